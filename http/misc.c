/*
 * misc.c - GET /myip and GET /health.
 */
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config.h"
#include "daemon/db.h"
#include "daemon/dd.h"
#include "http/http.h"
#include "shm/stats.h"
#include "shm/table.h"
#include "workers/writer.h"

static void
misc_myip(struct http_req *r)
{
	http_reply_json(r, 200, json_pack("{s:s}", "ip", r->client));
}

/* Can the database still be written (file and its directory)? */
static bool
misc_db_writable(struct http_req *r)
{
	const char *path = db_path(r->srv->ctx->db);
	char dir[4096];

	if (writer_db_failed(r->srv->ctx->writer))
		return false;
	snprintf(dir, sizeof(dir), "%s", path);
	return access(path, R_OK | W_OK) == 0 && access(dirname(dir), W_OK | X_OK) == 0;
}

static void
misc_health(struct http_req *r)
{
	const struct cfg *cfg = r->srv->ctx->cfg;
	json_t *reasons = json_array();
	unsigned alive = 0;
	bool db_ok = misc_db_writable(r);

	for (unsigned i = 0; i < cfg->dns.workers; i++) {
		struct shm_worker_stats *s = &r->srv->ctx->stats->w[i];
		if (s->pid != 0 && kill((pid_t)s->pid, 0) == 0)
			alive++;
	}
	if (!db_ok)
		json_array_append_new(reasons, json_string("database is not writable"));
	if (alive < cfg->dns.workers)
		json_array_append_new(reasons, json_sprintf("%u of %u dns workers running", alive,
							    cfg->dns.workers));
	http_reply_json(r, json_array_size(reasons) ? 503 : 200,
			json_pack("{s:s, s:s, s:s, s:{s:I, s:I}, s:I, s:I, s:o}", "status",
				  json_array_size(reasons) ? "degraded" : "ok", "version", DD_VERSION,
				  "database", db_ok ? "ok" : "failing", "workers", "dns",
				  (json_int_t)cfg->dns.workers, "alive", (json_int_t)alive, "zones",
				  (json_int_t)shm_zone_count(r->srv->ctx->table), "names",
				  (json_int_t)shm_table_count(r->srv->ctx->table), "reasons", reasons));
}

const struct http_route http_routes_misc[] = {
	{HTTP_GET, "/myip", misc_myip},
	{HTTP_GET, "/health", misc_health},
	{0, NULL, NULL},
};
