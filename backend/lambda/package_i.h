/*
 * backend/lambda/package_i.h - what the package files share: an opened
 * package whose entries are validated and sorted (package.c), the checks on
 * names and symlinks (package_names.c), and the counted read of one entry's
 * data that unpacking (package_unpack.c) writes out.
 */
#ifndef NB_LAMBDA_PACKAGE_I_H
#define NB_LAMBDA_PACKAGE_I_H

#include <stdbool.h>
#include <stdint.h>
#include <zip.h>

#include "backend/lambda/package.h"

enum pkg_type { PKG_FILE, PKG_DIR, PKG_SYMLINK };

struct pkg_entry {
	zip_uint64_t index;
	const char *raw; /* the name as stored (owned by the zip_t) */
	char *name;	 /* normalised: no "." or empty components, no trailing '/' */
	char *target;	 /* a symlink's target */
	enum pkg_type type;
	bool exec; /* the unix mode has an execute bit */
	uint64_t size, comp_size;
};

struct pkg {
	zip_t *za;
	const struct lambda_pkg_limits *lim;
	struct pkg_entry *e; /* sorted by name */
	size_t n;
	uint64_t declared; /* sum of the headers' sizes */
	uint64_t real;	   /* bytes decompressed so far */
	char *buf;	   /* read buffer */
};

#define PKG_READ_BUF (64u * 1024)

/* Opens the zip from memory and checks everything but the regular files'
 * data: limits, names, types, declared sizes; reads symlink targets and
 * checks where they resolve. Call pkg_close() whatever it returns. */
/* The limits of a check or an unpack: Lambda's, with this unzipped budget. */
struct lambda_pkg_limits pkg_limits(uint64_t unzipped_budget);

int pkg_open(struct pkg *p, const void *zip, size_t len, const struct lambda_pkg_limits *lim,
	     struct nb_err *err);
void pkg_close(struct pkg *p);

/* Reads entry e in full, counting real bytes against its header and the
 * limits, and libzip checking its CRC; writes them to fd when fd >= 0 and
 * copies them to cap (cap_len bytes, e->size <= cap_len) when not NULL. */
int pkg_read_entry(struct pkg *p, const struct pkg_entry *e, int fd, char *cap, size_t cap_len,
		   struct nb_err *err);

/* ---- package_names.c ---- */

/* Room for pkg_quote()'s output. */
#define PKG_QUOTE_LEN 816

/* Writes s into out as "..." with '"', '\\' and control bytes escaped,
 * shortened past 200 bytes. */
void pkg_quote(const char *s, char *out, size_t len);

/* Set err to `entry "<name, escaped>": <fmt...>` and return code. */
int pkg_entry_err(struct nb_err *err, int code, const struct pkg_entry *e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int pkg_raw_err(struct nb_err *err, int code, const char *raw, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Checks a raw name and stores its normalised form (malloc'd) in *out, or
 * NULL for the package root ("./"), which only a directory may name. */
int pkg_normalise(const char *raw, bool is_dir, char **out, struct nb_err *err);

/* Orders entries by normalised name (qsort). */
int pkg_entry_cmp(const void *a, const void *b);

/* On sorted entries: duplicates, and entries below a file or symlink. */
int pkg_check_tree(const struct pkg *p, struct nb_err *err);

/* Reads a symlink entry's target into e->target and checks its bytes. */
int pkg_read_symlink(struct pkg *p, struct pkg_entry *e, struct nb_err *err);

/* Refuses a symlink whose target is absolute or, resolved from its
 * directory through the package's own symlinks, leaves the package. */
int pkg_check_symlink(const struct pkg *p, const struct pkg_entry *e, struct nb_err *err);

#endif
