/*
 * control_dnssec.c - `ddnsctl dnssec`: a signed zone's keys, the DS records
 * for its parent, its DNSKEY RRset as a trust anchor, and the state of its
 * signatures.  Private keys never leave the store.
 */
#include "workers/control_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "daemon/config.h"
#include "daemon/db_dnssec.h"
#include "daemon/dd.h"
#include "daemon/signer.h"
#include "workers/wctx.h"
#include "workers/writer.h"

#define CTL_KEYS_TEXT 8192 /* DNSKEY or DS lines of one zone */

/* The signed zone args names, or -1 with the reason in err. */
static int
ctl_signed_zone(struct control *c, json_t *args, char *err, size_t errsz)
{
	int z = ctl_zone_arg(c, args, err, errsz);

	if (z < 0)
		return -1;
	if (!signer_zone_on(writer_signer(c->ctx->writer), (unsigned)z)) {
		snprintf(err, errsz, "zone %s is not signed (zones[].dnssec.enabled)",
			 c->ctx->cfg->zones[z].name);
		return -1;
	}
	return z;
}

static json_t *
ctl_dnssec_text(struct control *c, json_t *args, char *err, size_t errsz, bool ds)
{
	char *text;
	json_t *out = NULL;
	int z = ctl_signed_zone(c, args, err, errsz), n;

	if (z < 0)
		return NULL;
	if ((text = malloc(CTL_KEYS_TEXT)) == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	n = signer_keys_text(writer_signer(c->ctx->writer), (unsigned)z, ds, text, CTL_KEYS_TEXT);
	if (n < 0)
		snprintf(err, errsz, "cannot write the keys: %s", dd_strerror(n));
	else
		out = json_pack("{s:s, s:s}", "zone", c->ctx->cfg->zones[z].name, "text", text);
	free(text);
	return out;
}

json_t *
ctl_dnssec_ds(struct control *c, json_t *args, char *err, size_t errsz)
{
	return ctl_dnssec_text(c, args, err, errsz, true);
}

json_t *
ctl_dnssec_dnskey(struct control *c, json_t *args, char *err, size_t errsz)
{
	return ctl_dnssec_text(c, args, err, errsz, false);
}

json_t *
ctl_dnssec_status(struct control *c, json_t *args, char *err, size_t errsz)
{
	const struct cfg_zone *zc;
	struct db_dnskey k[DB_KEYS_MAX];
	size_t n = 0;
	int64_t total = 0, due = 0;
	json_t *keys, *out;
	int z = ctl_signed_zone(c, args, err, errsz);

	if (z < 0)
		return NULL;
	zc = &c->ctx->cfg->zones[z];
	if (db_dnssec_keys(c->ctx->db, zc->name, k, DB_KEYS_MAX, &n) < 0 ||
	    db_dnssec_sig_counts(c->ctx->db, zc->name,
				 (int64_t)time(NULL) + (int64_t)zc->dnssec.signature_validity / 3,
				 &total, &due) < 0) {
		snprintf(err, errsz, "database unavailable");
		return NULL;
	}
	keys = json_array();
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(keys, json_pack("{s:s, s:i, s:i, s:s, s:I, s:I}", "role",
						      k[i].role, "keytag", k[i].keytag, "algorithm",
						      k[i].alg, "state", k[i].state, "created",
						      (json_int_t)k[i].created_at, "since",
						      (json_int_t)k[i].state_at));
		memset(k[i].priv, 0, sizeof(k[i].priv));
	}
	out = json_pack("{s:s, s:b, s:s, s:i, s:s, s:I, s:o, s:I, s:I, s:I, s:I}", "zone", zc->name,
			"signing", signer_signing(writer_signer(c->ctx->writer), (unsigned)z),
			"algorithm", zc->dnssec.algorithm, "algorithm_number", zc->dnssec.alg,
			"denial", zc->dnssec.denial, "signature_validity",
			(json_int_t)zc->dnssec.signature_validity, "keys", keys, "signatures",
			(json_int_t)total, "resign_pending", (json_int_t)due, "denial_records",
			(json_int_t)db_chain_count(c->ctx->db, zc->name), "signed_here",
			(json_int_t)signer_signatures(writer_signer(c->ctx->writer), (unsigned)z));
	return out;
}

json_t *
ctl_dnssec_rollover(struct control *c, json_t *args, char *err, size_t errsz)
{
	const char *role = ctl_str(args, "role");
	int z = ctl_signed_zone(c, args, err, errsz), rc;

	if (z < 0)
		return NULL;
	if (role == NULL || (strcmp(role, "zsk") != 0 && strcmp(role, "ksk") != 0)) {
		snprintf(err, errsz, "say which key: zsk or ksk");
		return NULL;
	}
	rc = writer_dnssec_rollover(c->ctx->writer, (unsigned)z, strcmp(role, "ksk") == 0);
	if (rc < 0) {
		snprintf(err, errsz, "%s",
			 rc == DD_EEXIST ? "a rollover of that key is under way (ddnsctl dnssec status)"
					 : "database write failed");
		return NULL;
	}
	return json_pack("{s:s, s:s, s:s}", "zone", c->ctx->cfg->zones[z].name, "role", role,
			 "state", strcmp(role, "ksk") == 0 ? DB_KEY_DS_ONLY : DB_KEY_PUBLISHED);
}
