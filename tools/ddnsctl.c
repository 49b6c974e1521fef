/* ddnsctl.c - the admin CLI; talks to the daemon over control.socket. */
#include <stdio.h>
#include <string.h>

#include "daemon/dd.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: ddnsctl [-s SOCKET | -c CONFIG] [--json] COMMAND ...\n"
		   "       ddnsctl --version\n"
		   "\n"
		   "commands: status stats record user token zone backup reload\n"
		   "(see ddnsctl(8))\n");
}

int
main(int argc, char **argv)
{
	if (argc == 2 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)) {
		printf("ddnsctl %s\n", DD_VERSION);
		return 0;
	}
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	fprintf(stderr, "ddnsctl: the control socket protocol is not in this build yet\n");
	return 1;
}
