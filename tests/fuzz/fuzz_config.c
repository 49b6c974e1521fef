/* fuzz_config.c - libFuzzer target for the config loader: the input is the
 * whole config file. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "daemon/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	struct cfg *c = NULL;
	struct cfg_errors errs = {0};
	FILE *f;

	if (path[0] == '\0') {
		int fd;
		snprintf(path, sizeof(path), "/tmp/ddnsd-fuzz-config.XXXXXX");
		fd = mkstemp(path);
		if (fd < 0)
			abort();
		close(fd);
	}
	f = fopen(path, "wb");
	if (f == NULL)
		abort();
	if (size > 0 && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	if (cfg_load(path, &c, &errs) == 0)
		cfg_free(c);
	cfg_errors_fini(&errs);
	return 0;
}
