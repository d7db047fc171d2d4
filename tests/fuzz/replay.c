/* tests/fuzz/replay.c -- runs a libFuzzer target's LLVMFuzzerTestOneInput on files, so make test
 * replays every corpus under ASan/UBSan with the normal compiler.
 *
 * Usage: <target>-replay PATH...  (each PATH a file or a directory of files, not recursive)
 * Prints "replayed N inputs" and exits 0; exits 1 if a path cannot be read or nothing ran. A
 * crash in the target is reported by the sanitizers (non-zero exit).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "replay: cannot open %s\n", path);
		return -1;
	}
	size_t cap = 4096, n = 0;
	uint8_t *buf = malloc(cap);
	for (;;) {
		if (!buf) {
			fclose(f);
			fprintf(stderr, "replay: out of memory reading %s\n", path);
			return -1;
		}
		n += fread(buf + n, 1, cap - n, f);
		if (n < cap)
			break;
		cap *= 2;
		buf = realloc(buf, cap);
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		free(buf);
		fprintf(stderr, "replay: read error on %s\n", path);
		return -1;
	}
	/* An exactly-sized copy, so ASan sees any read past the input's end. */
	uint8_t *exact = malloc(n ? n : 1);
	if (!exact) {
		free(buf);
		return -1;
	}
	memcpy(exact, buf, n);
	free(buf);
	LLVMFuzzerTestOneInput(exact, n);
	free(exact);
	return 0;
}


int main(int argc, char **argv)
{
	long ran = 0;
	int rc = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: cannot stat %s\n", argv[i]);
			rc = 1;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (run_file(argv[i]) == 0)
				ran++;
			else
				rc = 1;
			continue;
		}
		struct dirent **names;
		int n = scandir(argv[i], &names, NULL, alphasort);
		if (n < 0) {
			fprintf(stderr, "replay: cannot read directory %s\n", argv[i]);
			rc = 1;
			continue;
		}
		for (int k = 0; k < n; k++) {
			char path[4096];
			snprintf(path, sizeof path, "%s/%s", argv[i], names[k]->d_name);
			struct stat fs;
			if (names[k]->d_name[0] != '.' && stat(path, &fs) == 0 && S_ISREG(fs.st_mode)) {
				if (run_file(path) == 0)
					ran++;
				else
					rc = 1;
			}
			free(names[k]);
		}
		free(names);
	}
	printf("replayed %ld inputs\n", ran);
	if (ran == 0) {
		fprintf(stderr, "replay: no inputs (usage: %s FILE_OR_DIR...)\n", argv[0]);
		return 1;
	}
	return rc;
}
