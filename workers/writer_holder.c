/*
 * writer_holder.c - who holds a name, for the write paths that let a user
 * write only what is theirs (docs/decisions/0012-ownership.md).  Reads the
 * store and the configuration; writes nothing.
 */
#include "workers/writer.h"
#include "workers/writer_int.h"

#include <stdio.h>
#include <string.h>

#include "daemon/config.h"
#include "daemon/db_records.h"
#include "daemon/db_users.h"
#include "daemon/dd.h"
#include "daemon/names.h"

/*
 * Whether name is an acme-dns account's name or below one: its label right
 * above acme.zone is an account's subdomain.  1, 0 or DD_EDB.
 */
static int
holder_acme_account(struct writer *w, const char *name)
{
	const char *zone = w->cfg->acme_zone;
	size_t nl = strlen(name), zl = zone ? strlen(zone) : 0;
	const char *label;
	char first[NAME_TEXT_MAX];

	if (zone == NULL || nl <= zl + 1 || name[nl - zl - 1] != '.' ||
	    strcmp(name + nl - zl, zone) != 0)
		return 0;
	/* the label just above the zone */
	label = name + nl - zl - 1;
	while (label > name && label[-1] != '.')
		label--;
	snprintf(first, sizeof(first), "%.*s", (int)(name + nl - zl - 1 - label), label);
	return db_acme_subdomain_taken(w->db, first);
}

int
writer_holder_of(struct writer *w, const char *name, struct writer_hold *h)
{
	int zone = writer_zone_of(w, name);
	const char *apex = zone >= 0 ? w->cfg->zones[zone].name : NULL;
	int64_t owner;
	int rc;

	memset(h, 0, sizeof(*h));
	snprintf(h->at, sizeof(h->at), "%s", name);
	if (names_reserved(w->cfg, name)) {
		h->kind = WRITER_RESERVED;
		return 0;
	}
	if ((rc = holder_acme_account(w, name)) != 0) {
		if (rc < 0)
			return DD_EDB;
		h->kind = WRITER_RESERVED;
		return 0;
	}
	if ((rc = db_name_holder(w->db, name, &owner)) < 0)
		return DD_EDB;
	if (rc == 1) {
		h->kind = owner > 0 ? WRITER_USER : WRITER_SERVER;
		h->user_id = owner;
		return 0;
	}
	/*
	 * A name nobody has written: the nearest ancestor a user holds, up to
	 * the apex.  The server's names do not extend below them: the apex
	 * is the server's, and so is every zone.
	 */
	for (const char *p = strchr(name, '.'); p != NULL && apex != NULL; p = strchr(p + 1, '.')) {
		if (strcmp(p + 1, apex) == 0)
			break;
		if ((rc = db_name_holder(w->db, p + 1, &owner)) < 0)
			return DD_EDB;
		if (rc == 1 && owner > 0) {
			h->kind = WRITER_USER;
			h->user_id = owner;
			snprintf(h->at, sizeof(h->at), "%s", p + 1);
			return 0;
		}
	}
	h->kind = WRITER_FREE;
	return 0;
}
