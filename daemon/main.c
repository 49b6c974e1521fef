/* main.c - ddnsd command line: run, --check-config, --init-db, --restore, --version. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon/backup.h"
#include "daemon/config.h"
#include "daemon/db.h"
#include "daemon/dd.h"
#include "daemon/log.h"
#include "daemon/master.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: ddnsd -c CONFIG [--check-config | --init-db | --restore BACKUP]\n"
		   "       ddnsd --version\n"
		   "\n"
		   "  -c, --config FILE   configuration file (YAML)\n"
		   "      --check-config  validate FILE, print every problem as FILE:LINE: reason\n"
		   "      --init-db       create or migrate the database, then exit\n"
		   "      --restore BACKUP  check BACKUP and install it as the database of the\n"
		   "                      stopped daemon (the old one kept as DATABASE.before-restore)\n"
		   "  -V, --version       print the version\n"
		   "  -h, --help          this text\n"
		   "\n"
		   "Runs in the foreground and logs to stderr.  SIGHUP reloads, SIGTERM stops.\n");
}

/* Loads and validates path; prints every problem.  Returns 0 or 1. */
static int
check_config(const char *path, struct cfg **out)
{
	struct cfg_errors errs = {0};
	int rc = cfg_load(path, out, &errs);

	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	cfg_errors_fini(&errs);
	if (rc < 0 && errs.n == 0)
		fprintf(stderr, "%s: %s\n", path, dd_strerror(rc));
	return rc < 0 ? 1 : 0;
}

static int
init_db(const char *path)
{
	struct cfg *cfg = NULL;
	struct db *db = NULL;
	uint32_t serial;
	int rc = 1;

	if (check_config(path, &cfg) != 0)
		return 1;
	if (db_open(cfg->database, &db) < 0)
		goto done;
	for (size_t i = 0; i < cfg->nzones; i++)
		if (db_zone_sync(db, cfg->zones[i].name, &serial) < 0)
			goto done;
	printf("%s: ready (schema version %d)\n", cfg->database, DB_SCHEMA_VERSION);
	rc = 0;
done:
	db_close(db);
	cfg_free(cfg);
	return rc;
}

int
main(int argc, char **argv)
{
	enum { OPT_CHECK = 256, OPT_INITDB, OPT_RESTORE };
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check-config", no_argument, NULL, OPT_CHECK},
		{"init-db", no_argument, NULL, OPT_INITDB},
		{"restore", required_argument, NULL, OPT_RESTORE},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *config = NULL, *restore = NULL;
	int c, mode = 0;

	/* Everything the daemon writes holds secrets (token hashes, the audit
	 * log, keys): the database, its -wal/-shm, backups, restored copies and
	 * directories are made for the daemon's user only.  SQLite gives the
	 * -wal and -shm the database file's own mode, so an existing 0644
	 * database is reported at start (proc_check_modes), not changed. */
	umask(S_IRWXG | S_IRWXO);
	log_set_role("ddnsd");
	db_init();
	while ((c = getopt_long(argc, argv, "c:Vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case OPT_CHECK:
		case OPT_INITDB:
			mode = c;
			break;
		case OPT_RESTORE:
			mode = c;
			restore = optarg;
			break;
		case 'V':
			printf("ddnsd %s\n", DD_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || config == NULL) {
		if (config == NULL)
			fprintf(stderr, "ddnsd: -c CONFIG is required\n");
		else
			fprintf(stderr, "ddnsd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (mode == OPT_CHECK) {
		struct cfg *cfg = NULL;
		int rc = check_config(config, &cfg);
		if (rc == 0)
			printf("%s: ok\n", config);
		cfg_free(cfg);
		return rc;
	}
	if (mode == OPT_INITDB)
		return init_db(config);
	if (mode == OPT_RESTORE) {
		struct cfg *cfg = NULL;
		int rc = check_config(config, &cfg);
		if (rc == 0)
			rc = backup_restore(cfg, restore);
		cfg_free(cfg);
		return rc;
	}
	return master_run(config);
}
