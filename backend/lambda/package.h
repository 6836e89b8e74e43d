/*
 * backend/lambda/package.h - Lambda deployment packages (zip files): the
 * checks a hostile package must fail, unpacking into a directory that cannot
 * be escaped, a tar of the unpacked tree for the Docker Engine API, and
 * Lambda's CodeSha256.
 *
 * Errors are a negative errno with a reason in struct nb_err that names the
 * entry; callers prefix the file ("code.zip: entry \"../evil\": path escapes
 * the package") with nb_err_wrap():
 *   -EINVAL   not a zip, or a hostile or malformed entry (name, symlink, type)
 *   -EFBIG    over a limit: zipped size, unzipped budget, entry count, ratio
 *   -EBADMSG  corrupt data: CRC mismatch, sizes that lie, broken deflate stream
 *   -ENOTSUP  encrypted entries, compression methods libzip cannot read
 *   -ENOMEM, or the errno of a failed system call (unpack, tar).
 */
#ifndef NB_LAMBDA_PACKAGE_H
#define NB_LAMBDA_PACKAGE_H

#include <stddef.h>
#include <stdint.h>

#include "backend/common/buf.h"
#include "backend/common/err.h"

/* Zipped: Lambda's limit for a direct upload. */
#define LAMBDA_ZIP_MAX (50u * 1024 * 1024)
/* Unzipped: function and layers together. */
#define LAMBDA_UNZIPPED_MAX (250ull * 1024 * 1024)
/* 65535 is the classic zip format's own limit (without zip64 extensions),
 * so any package an ordinary zip tool writes fits; real packages with big
 * node_modules or Python wheels hold 10-30 thousand files. It bounds the
 * work of a check and the inodes an unpack creates (65535 small files
 * already take ~256 MiB in 4 KiB blocks, the unzipped budget). */
#define LAMBDA_ZIP_ENTRIES_MAX 65535u
/* An entry that unzips to more than LAMBDA_ZIP_RATIO_FLOOR bytes may be at
 * most LAMBDA_ZIP_RATIO_MAX times its compressed size. Source, bytecode and
 * shared libraries deflate 2:1 to 20:1; deflate's ceiling is ~1032:1, what
 * bombs use. Small entries are exempt: their ratio costs nothing. */
#define LAMBDA_ZIP_RATIO_MAX   100u
#define LAMBDA_ZIP_RATIO_FLOOR (1024u * 1024)
/* Entry names: bytes in one component, in the whole name, components. */
#define LAMBDA_NAME_COMPONENT_MAX 255u
#define LAMBDA_NAME_MAX		  4000u
#define LAMBDA_NAME_DEPTH_MAX	  100u
/* A symlink entry's target (its data). */
#define LAMBDA_SYMLINK_TARGET_MAX 4095u

/* The limits a check applies; lambda_pkg_check() uses the LAMBDA_* ones. */
struct lambda_pkg_limits {
	uint64_t zip_max;      /* bytes zipped */
	uint64_t unzipped_max; /* bytes unzipped, all entries together */
	uint64_t entries_max;
	uint64_t ratio_max;
	uint64_t ratio_floor;
};

/*
 * Checks a zip held in memory without writing anything. Every entry: no
 * absolute path, no ".." component, no backslash, no control character, no
 * empty or duplicate name once "." components and repeated '/' are dropped,
 * no entry below a file or symlink; files, directories and symlinks only
 * (unix mode in the external attributes); symlink targets relative and,
 * resolved from the link's directory through the package's other links,
 * inside the package. Entry count and per-entry compression ratio limited;
 * declared sizes summed against unzipped_budget (LAMBDA_UNZIPPED_MAX minus
 * what the layers use) and then every entry read in full, counting the real
 * bytes (a header that lies is caught) and letting libzip verify its CRC.
 * Stores the total unzipped size in *unzipped (may be NULL).
 */
int lambda_pkg_check(const void *zip, size_t len, uint64_t unzipped_budget, uint64_t *unzipped,
		     struct nb_err *err);

/* The same with explicit limits (tests use small ones). */
int lambda_pkg_check_limits(const void *zip, size_t len, const struct lambda_pkg_limits *lim,
			    uint64_t *unzipped, struct nb_err *err);

/*
 * Unpacks a zip into dir, which must not exist: it is created 0700. Files
 * are 0700 when the entry's unix mode has an execute bit, else 0600;
 * directories 0700 (the state dir is the owner's alone; the tar gives
 * containers 0555/0444); symlinks stay symlinks. Applies every check of
 * lambda_pkg_check() with unzipped_budget on the way, reading the data
 * once, so a package need not be checked first; *unzipped (may be NULL)
 * gets its size. Works relative to dir's fd with O_NOFOLLOW and O_EXCL, so
 * a symlink raced into the tree cannot redirect a write. On any failure
 * removes dir and everything written.
 */
int lambda_pkg_unpack(const void *zip, size_t len, const char *dir, uint64_t unzipped_budget,
		      uint64_t *unzipped, struct nb_err *err);

/* Lambda's CodeSha256: base64 of the SHA-256 of the bytes (44 characters
 * and a NUL). */
#define LAMBDA_SHA256_B64_LEN 45
void lambda_pkg_sha256_b64(const void *data, size_t len, char out[LAMBDA_SHA256_B64_LEN]);
/* The same digest in lowercase hex (64 characters and a NUL), for
 * fingerprints. */
#define LAMBDA_SHA256_HEX_LEN 65
void lambda_pkg_sha256_hex(const void *data, size_t len, char out[LAMBDA_SHA256_HEX_LEN]);

/* Removes dir and everything below it without following symlinks. A dir
 * that does not exist is not an error. Returns 0 or -errno. */
int lambda_pkg_remove_tree(const char *dir);

#endif
