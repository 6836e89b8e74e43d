/*
 * backend/lambda/package.c - checking a Lambda deployment package (a zip in
 * memory) before anything is written: limits, every entry's name and type,
 * symlinks that must stay inside, declared sizes, then every entry's data
 * read in full so libzip verifies its CRC and a header that lies about the
 * size is caught. Unpacking (package_unpack.c) reuses pkg_open() and
 * pkg_read_entry(), so it applies the same checks.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backend/common/fdio.h"
#include "backend/lambda/package_i.h"

/* ---- opening ---- */

static bool ratio_exceeded(const struct lambda_pkg_limits *lim, uint64_t size, uint64_t comp)
{
	if (size <= lim->ratio_floor || lim->ratio_max == 0)
		return false;
	return comp < size / lim->ratio_max + (size % lim->ratio_max != 0);
}

/* Fills e from entry i: name, type, mode, sizes. */
static int scan_entry(struct pkg *p, zip_uint64_t i, struct pkg_entry *e, struct nb_err *err)
{
	zip_stat_t st;
	zip_uint8_t opsys;
	zip_uint32_t attr, mode = 0;
	bool is_dir;
	int rc;

	e->index = i;
	e->raw = zip_get_name(p->za, i, ZIP_FL_ENC_RAW);
	if (!e->raw)
		return nb_err_set(err, -EINVAL, "entry #%llu: %s", (unsigned long long)i,
				  zip_strerror(p->za));
	zip_stat_init(&st);
	if (zip_stat_index(p->za, i, ZIP_FL_ENC_RAW, &st) != 0 ||
	    (st.valid & (ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE)) !=
		    (ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE))
		return pkg_raw_err(err, -EINVAL, e->raw, "unreadable header: %s",
				   zip_strerror(p->za));
	if (zip_file_get_external_attributes(p->za, i, 0, &opsys, &attr) == 0 &&
	    opsys == ZIP_OPSYS_UNIX)
		mode = attr >> 16;
	is_dir = e->raw[0] && e->raw[strlen(e->raw) - 1] == '/';
	switch (mode & S_IFMT) {
	case 0:
	case S_IFREG:
		e->type = is_dir ? PKG_DIR : PKG_FILE;
		break;
	case S_IFDIR:
		e->type = PKG_DIR;
		break;
	case S_IFLNK:
		if (is_dir)
			return pkg_raw_err(err, -EINVAL, e->raw,
					   "a symlink named like a directory");
		e->type = PKG_SYMLINK;
		break;
	default:
		return pkg_raw_err(err, -EINVAL, e->raw,
				   "special file (mode 0%o): only files, directories and symlinks "
				   "are allowed",
				   (unsigned)mode);
	}
	e->exec = e->type == PKG_FILE && (mode & 0111);
	e->size = st.size;
	e->comp_size = st.comp_size;
	if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE)
		return pkg_raw_err(err, -ENOTSUP, e->raw, "encrypted entries are not supported");
	if ((st.valid & ZIP_STAT_COMP_METHOD) &&
	    !zip_compression_method_supported(st.comp_method, 0))
		return pkg_raw_err(err, -ENOTSUP, e->raw, "compression method %d is not supported",
				   (int)st.comp_method);
	if (e->type == PKG_DIR && e->size)
		return pkg_raw_err(err, -EINVAL, e->raw,
				   "a directory entry holding %llu bytes of data",
				   (unsigned long long)e->size);
	if (ratio_exceeded(p->lim, e->size, e->comp_size))
		return pkg_raw_err(
			err, -EFBIG, e->raw,
			"compression ratio over %llu:1 (%llu bytes from %llu): a zip bomb?",
			(unsigned long long)p->lim->ratio_max, (unsigned long long)e->size,
			(unsigned long long)e->comp_size);
	if (e->size > p->lim->unzipped_max - p->declared)
		return pkg_raw_err(err, -EFBIG, e->raw,
				   "%llu bytes unzipped bring the package over its budget of %llu "
				   "bytes",
				   (unsigned long long)e->size,
				   (unsigned long long)p->lim->unzipped_max);
	p->declared += e->size;
	rc = pkg_normalise(e->raw, e->type == PKG_DIR, &e->name, err);
	return rc;
}

void pkg_close(struct pkg *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->e[i].name);
		free(p->e[i].target);
	}
	free(p->e);
	free(p->buf);
	if (p->za)
		zip_discard(p->za);
	memset(p, 0, sizeof(*p));
}

int pkg_open(struct pkg *p, const void *zip, size_t len, const struct lambda_pkg_limits *lim,
	     struct nb_err *err)
{
	zip_error_t ze;
	zip_source_t *src;
	zip_int64_t n;
	size_t kept = 0;
	bool dup_names = false;
	int rc = 0;

	memset(p, 0, sizeof(*p));
	p->lim = lim;
	if (len > lim->zip_max)
		return nb_err_set(err, -EFBIG,
				  "the package is %zu bytes zipped, over the limit of %llu", len,
				  (unsigned long long)lim->zip_max);
	if (len == 0)
		return nb_err_set(err, -EINVAL, "not a zip archive: the file is empty");
	zip_error_init(&ze);
	src = zip_source_buffer_create(zip, len, 0, &ze);
	if (src) {
		/* A failed open leaves src to us: it can be opened again. */
		p->za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
		/* With ZIP_CHECKCONS libzip refuses two identical names without
		 * saying which: open without it, and check_tree() names them. */
		if (!p->za && zip_error_code_zip(&ze) == ZIP_ER_EXISTS) {
			zip_error_fini(&ze);
			zip_error_init(&ze);
			dup_names = true;
			p->za = zip_open_from_source(src, ZIP_RDONLY, &ze);
		}
	}
	if (!src || !p->za) {
		if (src)
			zip_source_free(src);
		if (zip_error_code_zip(&ze) == ZIP_ER_MEMORY || !src)
			rc = nb_err_set(err, -ENOMEM, "out of memory");
		else
			rc = nb_err_set(err, -EINVAL, "not a zip archive: %s",
					zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return rc;
	}
	zip_error_fini(&ze);
	n = zip_get_num_entries(p->za, 0);
	if (n <= 0)
		return nb_err_set(err, -EINVAL, "the package has no entries");
	if ((uint64_t)n > lim->entries_max)
		return nb_err_set(err, -EFBIG,
				  "the package has %lld entries, over the limit of %llu",
				  (long long)n, (unsigned long long)lim->entries_max);
	p->buf = malloc(PKG_READ_BUF);
	p->e = calloc((size_t)n, sizeof(*p->e));
	if (!p->buf || !p->e)
		return nb_err_set(err, -ENOMEM, "out of memory");
	for (zip_uint64_t i = 0; i < (zip_uint64_t)n; i++) {
		struct pkg_entry *e = &p->e[kept];

		p->n = kept + 1; /* so that pkg_close() frees what scan_entry() took */
		rc = scan_entry(p, i, e, err);
		if (rc)
			return rc;
		if (e->name)
			kept++;
	}
	p->n = kept;
	qsort(p->e, p->n, sizeof(*p->e), pkg_entry_cmp);
	rc = pkg_check_tree(p, err);
	if (!rc && dup_names)
		rc = nb_err_set(err, -EINVAL, "the package holds two entries of the same name");
	for (size_t i = 0; !rc && i < p->n; i++)
		if (p->e[i].type == PKG_SYMLINK)
			rc = pkg_read_symlink(p, &p->e[i], err);
	for (size_t i = 0; !rc && i < p->n; i++)
		if (p->e[i].type == PKG_SYMLINK)
			rc = pkg_check_symlink(p, &p->e[i], err);
	return rc;
}

/* ---- data ---- */

static int read_error(zip_error_t *ze, const struct pkg_entry *e, struct nb_err *err)
{
	switch (zip_error_code_zip(ze)) {
	case ZIP_ER_MEMORY:
		return nb_err_set(err, -ENOMEM, "out of memory");
	case ZIP_ER_CRC:
		return pkg_entry_err(err, -EBADMSG, e, "CRC mismatch: the data is corrupt");
	case ZIP_ER_NOPASSWD:
	case ZIP_ER_WRONGPASSWD:
	case ZIP_ER_ENCRNOTSUPP:
		return pkg_entry_err(err, -ENOTSUP, e, "encrypted entries are not supported");
	case ZIP_ER_COMPNOTSUPP:
		return pkg_entry_err(err, -ENOTSUP, e, "compression method not supported");
	default:
		return pkg_entry_err(err, -EBADMSG, e, "cannot read: %s", zip_error_strerror(ze));
	}
}

int pkg_read_entry(struct pkg *p, const struct pkg_entry *e, int fd, char *cap, size_t cap_len,
		   struct nb_err *err)
{
	zip_file_t *zf = zip_fopen_index(p->za, e->index, 0);
	uint64_t got = 0;
	int rc = 0;

	if (!zf) {
		rc = read_error(zip_get_error(p->za), e, err);
		zip_error_clear(p->za);
		return rc;
	}
	for (;;) {
		zip_int64_t n = zip_fread(zf, p->buf, PKG_READ_BUF);

		if (n < 0) {
			rc = read_error(zip_file_get_error(zf), e, err);
			break;
		}
		if (n == 0)
			break;
		got += (uint64_t)n;
		p->real += (uint64_t)n;
		/* The header's size was checked against every limit, so data
		 * past it is the only way round them. */
		if (got > e->size) {
			rc = pkg_entry_err(err, -EBADMSG, e,
					   "unzips to more than the %llu bytes its header declares",
					   (unsigned long long)e->size);
			break;
		}
		if (p->real > p->lim->unzipped_max) {
			rc = pkg_entry_err(err, -EFBIG, e,
					   "the package unzips to more than %llu bytes",
					   (unsigned long long)p->lim->unzipped_max);
			break;
		}
		if (fd >= 0) {
			rc = nb_write_all(fd, p->buf, (size_t)n);
			if (rc) {
				pkg_entry_err(err, rc, e, "cannot write: %s", strerror(-rc));
				break;
			}
		}
		if (cap && got <= cap_len)
			memcpy(cap + (got - (uint64_t)n), p->buf, (size_t)n);
	}
	zip_fclose(zf);
	if (!rc && got != e->size)
		rc = pkg_entry_err(err, -EBADMSG, e,
				   "unzips to %llu bytes, its header declares %llu",
				   (unsigned long long)got, (unsigned long long)e->size);
	return rc;
}

/* ---- the check ---- */

int lambda_pkg_check_limits(const void *zip, size_t len, const struct lambda_pkg_limits *lim,
			    uint64_t *unzipped, struct nb_err *err)
{
	struct pkg p __attribute__((cleanup(pkg_close)));
	int rc = pkg_open(&p, zip, len, lim, err);

	for (size_t i = 0; !rc && i < p.n; i++)
		if (p.e[i].type == PKG_FILE)
			rc = pkg_read_entry(&p, &p.e[i], -1, NULL, 0, err);
	if (!rc && unzipped)
		*unzipped = p.real;
	return rc;
}

struct lambda_pkg_limits pkg_limits(uint64_t unzipped_budget)
{
	return (struct lambda_pkg_limits){
		.zip_max = LAMBDA_ZIP_MAX,
		.unzipped_max = unzipped_budget,
		.entries_max = LAMBDA_ZIP_ENTRIES_MAX,
		.ratio_max = LAMBDA_ZIP_RATIO_MAX,
		.ratio_floor = LAMBDA_ZIP_RATIO_FLOOR,
	};
}

int lambda_pkg_check(const void *zip, size_t len, uint64_t unzipped_budget, uint64_t *unzipped,
		     struct nb_err *err)
{
	const struct lambda_pkg_limits lim = pkg_limits(unzipped_budget);

	return lambda_pkg_check_limits(zip, len, &lim, unzipped, err);
}
