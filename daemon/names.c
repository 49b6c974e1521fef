/* names.c - user-written names and values -> canonical form (see names.h). */
#include "daemon/names.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>

#include "daemon/config.h"
#include "daemon/dd.h"
#include "dns/rdata.h"

static bool
names_is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

/* Checks an ASCII name label by label; lower-cases it in place. */
static int
names_check(char *s)
{
	size_t len = strlen(s), label = 0;

	if (len == 0 || len > 253)
		return DD_EINVAL;
	for (size_t i = 0; i <= len; i++) {
		char c = s[i];
		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63)
				return DD_EINVAL;
			/* '*' only as a whole first label (RFC 4592) */
			if (memchr(s + i - label, '*', label) &&
			    (label != 1 || i - label != 0))
				return DD_EINVAL;
			label = 0;
			continue;
		}
		if (!(isalnum((unsigned char)c) || c == '-' || c == '_' || c == '*'))
			return DD_EINVAL;
		s[i] = (char)tolower((unsigned char)c);
		label++;
	}
	return 0;
}

int
names_canonical(const char *in, char *out, size_t outsz)
{
	char buf[1024];
	size_t len;

	if (in == NULL)
		return DD_EINVAL;
	len = strlen(in);
	if (len == 0 || len >= sizeof(buf))
		return DD_EINVAL;
	memcpy(buf, in, len + 1);
	if (buf[len - 1] == '.')
		buf[--len] = '\0';
	if (len == 0)
		return DD_EINVAL;
	if (!names_is_ascii(buf)) {
		char *ace = NULL;
		/* IDNA2008 with transitional mapping, as browsers resolve them */
		if (idn2_to_ascii_8z(buf, &ace, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL) !=
			    IDN2_OK ||
		    strlen(ace) >= sizeof(buf)) {
			idn2_free(ace);
			return DD_EINVAL;
		}
		snprintf(buf, sizeof(buf), "%s", ace);
		idn2_free(ace);
	}
	if (names_check(buf) < 0 || strlen(buf) >= outsz)
		return DD_EINVAL;
	memcpy(out, buf, strlen(buf) + 1);
	return 0;
}

int
names_resolve(const struct cfg *cfg, const char *user, char *out, size_t outsz)
{
	char canon[NAME_TEXT_MAX], rel[NAME_TEXT_MAX + 256];
	int z;

	if (user == NULL)
		return DD_EINVAL;
	if (user[0] == '\0' || strcmp(user, "@") == 0) {
		if (cfg->nzones != 1)
			return DD_ENOENT;
		snprintf(out, outsz, "%s", cfg->zones[0].name);
		return 0;
	}
	if (names_canonical(user, canon, sizeof(canon)) < 0)
		return DD_EINVAL;
	z = cfg_zone_of_name(cfg, canon);
	if (user[strlen(user) - 1] == '.') {
		/* a trailing dot makes a name absolute, never relative */
		if (z < 0)
			return DD_ENOENT;
		snprintf(out, outsz, "%s", canon);
		return z;
	}
	if (z >= 0 && cfg->nzones > 1) {
		snprintf(out, outsz, "%s", canon);
		return z;
	}
	if (cfg->nzones == 1) {
		/* relative to the one zone, unless it already ends in it */
		if (z == 0) {
			snprintf(out, outsz, "%s", canon);
			return 0;
		}
		snprintf(rel, sizeof(rel), "%s.%s", canon, cfg->zones[0].name);
		if (strlen(rel) > 253 || names_check(rel) < 0 || strlen(rel) >= outsz)
			return DD_EINVAL;
		memcpy(out, rel, strlen(rel) + 1);
		return 0;
	}
	return DD_ENOENT;
}

int
names_ip_family(const char *s)
{
	unsigned char buf[16];

	if (s == NULL)
		return 0;
	if (inet_pton(AF_INET, s, buf) == 1)
		return 4;
	if (inet_pton(AF_INET6, s, buf) == 1)
		return 6;
	return 0;
}

int
names_value(uint16_t type, const char *in, char *out, size_t outsz)
{
	unsigned char buf[16];

	if (in == NULL)
		return DD_EINVAL;
	switch (type) {
	case DNS_TYPE_A:
		if (inet_pton(AF_INET, in, buf) != 1 ||
		    inet_ntop(AF_INET, buf, out, (socklen_t)outsz) == NULL)
			return DD_EINVAL;
		return 0;
	case DNS_TYPE_AAAA:
		if (inet_pton(AF_INET6, in, buf) != 1 ||
		    inet_ntop(AF_INET6, buf, out, (socklen_t)outsz) == NULL)
			return DD_EINVAL;
		return 0;
	case DNS_TYPE_CNAME:
		return names_canonical(in, out, outsz) < 0 || strchr(out, '*') ? DD_EINVAL : 0;
	case DNS_TYPE_TXT: {
		size_t len = strlen(in);
		/* one character-string (RFC 1035 3.3.14); printable, no control bytes */
		if (len > 255 || len >= outsz)
			return DD_EINVAL;
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)in[i] < 0x20 || in[i] == 0x7f)
				return DD_EINVAL;
		memcpy(out, in, len + 1);
		return 0;
	}
	default:
		return DD_EINVAL;
	}
}

/* "<label>.<apex>" == name */
static bool
names_child_is(const char *name, const char *label, const char *apex)
{
	size_t l = strlen(label);

	return strncmp(name, label, l) == 0 && name[l] == '.' && strcmp(name + l + 1, apex) == 0;
}

bool
names_reserved(const struct cfg *cfg, const char *name)
{
	if (cfg->acme_zone != NULL && strcmp(name, cfg->acme_zone) == 0)
		return true;
	for (size_t i = 0; i < cfg->nzones; i++) {
		const struct cfg_zone *z = &cfg->zones[i];

		if (strcmp(name, z->name) == 0 || names_child_is(name, "*", z->name) ||
		    names_child_is(name, "_acme-challenge", z->name))
			return true;
		if (z->soa.mname != NULL && strcmp(name, z->soa.mname) == 0)
			return true;
		for (size_t j = 0; j < z->nns; j++)
			if (strcmp(name, z->ns[j]) == 0)
				return true;
	}
	return false;
}
