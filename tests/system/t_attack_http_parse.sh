#!/bin/bash
# t_attack_http_parse.sh - strict HTTP parsing (issue 17, findings 6 and 7):
# request smuggling with framing headers that disagree (two Content-Length,
# Content-Length with chunked, a list in Content-Length) gets one 400 with
# Connection: close and the request behind it never runs; a NUL or another
# control character in the decoded path or query, and invalid
# percent-encoding (%zz, %4, a trailing %), get 400 and change nothing,
# while the same names percent-encoded correctly still work.
. "$(dirname "$0")/lib.sh"

ONE_ZONE=1
write_http_config
init_db || exit 1
start_daemon || exit 1
wait_http || exit 1
M=$MASTER
Z=$ZONE

new_user bob
new_user victim
upd "$M" '{"subdomain":"corp","ip":"192.0.2.10"}'
assert_status "create corp" 200
upd "$M" '{"subdomain":"corp.bobhome","ip":"192.0.2.11"}'
assert_status "create corp.bobhome" 200
audit0=$(audit_rows)

# users NAME...: the usernames GET /users (master) lists, sorted, one line.
users()
{
	api "$M" GET /users
	jv 'sorted(u["username"] for u in j["users"])'
}

# ---- smuggling: the second request on the connection never runs
py_checks http_probe.py smuggle "$HTTP_PORT" "$M" victim
assert_eq "the smuggled DELETE /users/victim did not run" '["bob","victim"]' "$(users)"
assert_eq "no audit row from the smuggled requests" "$audit0" "$(audit_rows)"

# ---- NUL and control characters in the path or query
# raw DELETE: curl sends the path as it is given (--path-as-is, no globbing)
del()
{
	api "$M" DELETE "$1" "" --path-as-is -g
}
del '/users/bob%00xyz'
assert_api_error "DELETE /users/bob%00xyz" 400
assert_match "... the error names an encoded control character" 'encoded control character' "$H_BODY"
assert_eq "... Connection: close" close "$(h_header Connection)"
assert_eq "bob still exists" '["bob","victim"]' "$(users)"
del '/records/corp%00.bobhome'
assert_api_error "DELETE /records/corp%00.bobhome" 400
assert_dns "corp still answers" "corp.$Z" A 192.0.2.10
assert_dns "corp.bobhome still answers" "corp.bobhome.$Z" A 192.0.2.11
for t in '/records/corp%0a.bobhome' '/records/corp%0D%0AX:%20y' '/records/corp%7f' \
	'/records/corp%1F'; do
	del "$t"
	assert_api_error "DELETE $t" 400
done
for t in '/records?name=corp%00x' '/records?a%00=1' '/records?x=%0d%0a'; do
	api "$M" GET "$t" "" -g
	assert_api_error "GET $t: a control character in the query" 400
done

# ---- invalid percent-encoding
for t in '/records/corp%zz' '/records/corp%4' '/records/corp%' '/records/%%30corp' \
	'/users/bob%g0'; do
	del "$t"
	assert_api_error "DELETE $t" 400
	assert_match "... the error names invalid percent-encoding" 'invalid percent-encoding' "$H_BODY"
done
api "$M" GET '/records?name=corp%zz' "" -g
assert_api_error "GET /records?name=corp%zz" 400
api "$M" GET '/records?name=%' "" -g
assert_api_error "GET /records?name=% (a trailing %)" 400
assert_eq "bob and victim still exist" '["bob","victim"]' "$(users)"
assert_dns "corp still answers after all that" "corp.$Z" A 192.0.2.10
assert_dns "corp.bobhome still answers after all that" "corp.bobhome.$Z" A 192.0.2.11
assert_eq "no audit row from any refused request" "$audit0" "$(audit_rows)"

# ---- the same names, encoded correctly, still work
api "$M" GET '/records?x=%41%20b' "" -g
assert_status "GET /records with a printable encoded query" 200
del '/records/corp%2Ebobhome'
assert_status "DELETE /records/corp%2Ebobhome (an encoded dot)" 200
assert_dns "corp.bobhome is gone" "corp.bobhome.$Z" A ""
assert_dns "corp is still served" "corp.$Z" A 192.0.2.10
del '/users/b%6Fb'
assert_status "DELETE /users/b%6Fb (an encoded o)" 200
assert_eq "only bob is gone" '["victim"]' "$(users)"
b='{"subdomain":"after","ip":"192.0.2.12"}'
upd "$M" "$b" -H "Content-Length: ${#b}"
assert_status "one correct Content-Length still works" 200
api "" GET /health
assert_status "the daemon serves after all that" 200
