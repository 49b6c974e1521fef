/* master.h - the supervising process. */
#ifndef DD_MASTER_H
#define DD_MASTER_H

/*
 * Loads config_path, opens the database, builds the shared table, binds the
 * sockets, drops privileges, forks the workers and supervises them until
 * SIGTERM/SIGINT.  Returns the process exit status (0 after a clean
 * shutdown, 2 when start-up failed).
 */
int master_run(const char *config_path);

#endif
