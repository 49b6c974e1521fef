/*
 * replay.c - runs LLVMFuzzerTestOneInput over every file of the directories
 * (or files) named on the command line, without libFuzzer, so that the corpus
 * is replayed under ASan and UBSan by `make test`.  Exit 0 when all ran.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_MAX (1u << 20)

static int
replay_file(const char *path, uint8_t *buf)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return -1;
	}
	size_t n = fread(buf, 1, REPLAY_MAX, f);
	int err = ferror(f);
	fclose(f);
	if (err) {
		fprintf(stderr, "%s: read error\n", path);
		return -1;
	}
	/* a private copy of the exact size, so ASan sees reads past the end */
	uint8_t *copy = malloc(n ? n : 1);
	if (!copy)
		return -1;
	memcpy(copy, buf, n);
	LLVMFuzzerTestOneInput(copy, n);
	free(copy);
	return 0;
}

static int
replay_path(const char *path, uint8_t *buf, unsigned *count)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		perror(path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return replay_file(path, buf);
	}
	DIR *d = opendir(path);
	if (!d) {
		perror(path);
		return -1;
	}
	int rc = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		char sub[4096];
		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) >= sizeof(sub))
			continue;
		if (stat(sub, &st) == 0 && S_ISREG(st.st_mode)) {
			(*count)++;
			if (replay_file(sub, buf) < 0)
				rc = -1;
		}
	}
	closedir(d);
	return rc;
}

int
main(int argc, char **argv)
{
	static uint8_t buf[REPLAY_MAX];
	unsigned count = 0;
	int rc = 0;

	for (int i = 1; i < argc; i++)
		if (replay_path(argv[i], buf, &count) < 0)
			rc = 1;
	printf("replayed %u inputs\n", count);
	return rc;
}
