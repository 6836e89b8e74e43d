/*
 * tools/bench_objects.c - makes the 10,000 objects of each kind that
 * `make bench`'s "objects" section reads, the cheapest way a user gets
 * them:
 *
 *   bench_objects make MNT secrets|functions|definitions N
 *	through the mount, as a user does: `echo v > ecs/secrets/sI`,
 *	`mkdir lambda/fI`, a RegisterTaskDefinition of family famI written
 *	to `register` (one revision each, so N families).
 *   bench_objects clone STATE tasks|instances N
 *	with nimbusfs unmounted: the state dir's one record of a stopped task
 *	(tasks/ID.json) or a terminated instance (ec2-instances/ID.json),
 *	which a real run left, copied under N-1 fresh ids. A long-lived state
 *	dir holds such records by the thousand; launching 10,000 containers
 *	to get them would measure the engine, not the reads.
 *
 * Prints the seconds it took.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backend/common/cleanup.h"
#include "backend/common/err.h"
#include "backend/common/json.h"
#include "tools/benchlib.h"

static int die(const char *what, const char *path)
{
	fprintf(stderr, "bench_objects: %s %s: %s\n", what, path, strerror(errno));
	return 1;
}

/* Writes text to path in one write, as `echo text > path` does. */
static int put(const char *path, const char *text, int flags)
{
	int ret = bench_write_file(path, text, strlen(text), flags);

	if (ret < 0)
		errno = -ret;
	return ret;
}

static int make(const char *mnt, const char *kind, int n)
{
	char path[4096], text[512];

	for (int i = 1; i <= n; i++) {
		int ret;

		if (strcmp(kind, "secrets") == 0) {
			snprintf(path, sizeof(path), "%s/ecs/secrets/s%05d", mnt, i);
			ret = put(path, "value\n", O_CREAT | O_TRUNC);
		} else if (strcmp(kind, "functions") == 0) {
			snprintf(path, sizeof(path), "%s/lambda/f%05d", mnt, i);
			ret = mkdir(path, 0755);
		} else if (strcmp(kind, "definitions") == 0) {
			snprintf(path, sizeof(path), "%s/ecs/task-definitions/register", mnt);
			snprintf(text, sizeof(text),
				 "{\"family\": \"fam%05d\", \"containerDefinitions\": [{\"name\": "
				 "\"app\", \"image\": \"local/busybox:latest\"}]}\n",
				 i);
			ret = put(path, text, 0);
		} else {
			fprintf(stderr, "bench_objects: unknown kind %s\n", kind);
			return 2;
		}
		if (ret < 0)
			return die("cannot make", path);
	}
	return 0;
}

static void random_hex(char *out, size_t n)
{
	unsigned char b[64];

	if (n > sizeof(b) || getrandom(b, n, 0) != (ssize_t)n)
		for (size_t i = 0; i < sizeof(b); i++)
			b[i] = (unsigned char)rand();
	for (size_t i = 0; i < n && i < sizeof(b); i++)
		out[i] = "0123456789abcdef"[b[i] & 15];
	out[n] = '\0';
}

/* The one <id>.json in dir: its name into out. */
static int the_record(const char *dir, char *out, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int found = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && strstr(e->d_name, ".json") &&
		    !strstr(e->d_name, ".tmp")) {
			snprintf(out, len, "%s/%s", dir, e->d_name);
			found++;
		}
	closedir(d);
	if (found != 1) {
		fprintf(stderr, "bench_objects: %s holds %d records; expected the one a run left\n",
			dir, found);
		errno = EINVAL;
		return -1;
	}
	return 0;
}

static int clone(const char *state, const char *kind, int n)
{
	bool tasks = strcmp(kind, "tasks") == 0;
	const char *sub = tasks ? "tasks" : "ec2-instances", *field = tasks ? "id" : "InstanceId";
	char dir[4096], tmpl[4400], path[4500], id[40];
	cleanup_free char *text = NULL;
	cleanup_cjson cJSON *rec = NULL;
	struct nb_err err = { 0 };
	size_t len = 0;
	FILE *f;

	if (!tasks && strcmp(kind, "instances") != 0) {
		fprintf(stderr, "bench_objects: unknown kind %s\n", kind);
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s/%s", state, sub);
	if (the_record(dir, tmpl, sizeof(tmpl)) < 0)
		return die("no template record in", dir);
	f = fopen(tmpl, "re");
	if (!f)
		return die("cannot open", tmpl);
	text = malloc(1 << 20);
	if (text)
		len = fread(text, 1, (1 << 20) - 1, f);
	fclose(f);
	if (!text || !(rec = json_parse(text, len, &err))) {
		fprintf(stderr, "bench_objects: %s: %s\n", tmpl, err.msg);
		return 1;
	}
	for (int i = 1; i < n; i++) {
		cleanup_free char *out = NULL;

		if (tasks) {
			random_hex(id, 32);
		} else {
			memcpy(id, "i-", 2);
			random_hex(id + 2, 17);
		}
		cJSON_ReplaceItemInObject(rec, field, cJSON_CreateString(id));
		out = json_print(rec);
		snprintf(path, sizeof(path), "%s/%s.json", dir, id);
		if (!out || put(path, out, O_CREAT | O_EXCL) < 0)
			return die("cannot write", path);
	}
	return 0;
}

int main(int argc, char **argv)
{
	double start = bench_now_ms(CLOCK_MONOTONIC);
	int n, ret;

	if (argc != 5 || (n = atoi(argv[4])) <= 0) {
		fprintf(stderr, "usage: bench_objects make MNT secrets|functions|definitions N\n"
				"       bench_objects clone STATE tasks|instances N\n");
		return 2;
	}
	if (strcmp(argv[1], "make") == 0)
		ret = make(argv[2], argv[3], n);
	else if (strcmp(argv[1], "clone") == 0)
		ret = clone(argv[2], argv[3], n);
	else
		ret = 2;
	if (ret == 0)
		printf("%.1f\n", (bench_now_ms(CLOCK_MONOTONIC) - start) / 1000);
	return ret;
}
