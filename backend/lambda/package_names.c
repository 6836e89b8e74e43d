/*
 * backend/lambda/package_names.c - what an entry's name and a symlink's
 * target may be: checks and normalisation of names, escaped quoting for
 * messages, duplicates and entries below files, and symlink targets
 * resolved through the package's own links.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/lambda/package_i.h"

#define QUOTE_MAX    200 /* bytes of a name shown in a message */
#define SYMLINK_HOPS 40	 /* as the kernel's MAXSYMLINKS */

/* ---- messages ---- */

void pkg_quote(const char *s, char *out, size_t len)
{
	size_t o = 0, i;

	out[o++] = '"';
	for (i = 0; s[i] && i < QUOTE_MAX && o + 8 < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			o += (size_t)snprintf(out + o, len - o, "\\%c", c);
		else if (c == '\n')
			o += (size_t)snprintf(out + o, len - o, "\\n");
		else if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(out + o, len - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	if (s[i])
		o += (size_t)snprintf(out + o, len - o, "...");
	snprintf(out + o, len - o, "\"");
}

static int verr(struct nb_err *err, int code, const char *raw, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

static int verr(struct nb_err *err, int code, const char *raw, const char *fmt, va_list ap)
{
	char q[PKG_QUOTE_LEN], why[NB_ERR_MSG_MAX];

	pkg_quote(raw, q, sizeof(q));
	vsnprintf(why, sizeof(why), fmt, ap);
	return nb_err_set(err, code, "entry %s: %s", q, why);
}

int pkg_raw_err(struct nb_err *err, int code, const char *raw, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	code = verr(err, code, raw, fmt, ap);
	va_end(ap);
	return code;
}

int pkg_entry_err(struct nb_err *err, int code, const struct pkg_entry *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	code = verr(err, code, e->raw, fmt, ap);
	va_end(ap);
	return code;
}

/* ---- names ---- */

int pkg_normalise(const char *raw, bool is_dir, char **out, struct nb_err *err)
{
	size_t len = strlen(raw), depth = 0, o = 0;
	long level = 0;
	bool escapes = false, dotdot = false;
	char *norm;

	*out = NULL;
	if (len == 0)
		return pkg_raw_err(err, -EINVAL, raw, "the name is empty");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)raw[i];

		if (c < 0x20 || c == 0x7f)
			return pkg_raw_err(err, -EINVAL, raw, "the name holds a control character");
		if (c == '\\')
			return pkg_raw_err(err, -EINVAL, raw,
					   "the name holds a backslash (a Windows separator?)");
	}
	if (raw[0] == '/')
		return pkg_raw_err(err, -EINVAL, raw, "absolute path");
	if (len > LAMBDA_NAME_MAX)
		return pkg_raw_err(err, -EINVAL, raw, "the name is longer than %u bytes",
				   LAMBDA_NAME_MAX);
	norm = malloc(len + 1);
	if (!norm)
		return nb_err_set(err, -ENOMEM, "out of memory");
	for (const char *c = raw; *c;) {
		size_t clen = strcspn(c, "/");

		if (clen == 2 && c[0] == '.' && c[1] == '.') {
			dotdot = true;
			escapes |= --level < 0;
		} else if (clen > LAMBDA_NAME_COMPONENT_MAX) {
			free(norm);
			return pkg_raw_err(err, -EINVAL, raw, "a component is longer than %u bytes",
					   LAMBDA_NAME_COMPONENT_MAX);
		} else if (clen && !(clen == 1 && c[0] == '.')) {
			level++;
			depth++;
			if (o)
				norm[o++] = '/';
			memcpy(norm + o, c, clen);
			o += clen;
		}
		c += clen + (c[clen] == '/');
	}
	norm[o] = '\0';
	if (escapes || dotdot) {
		free(norm);
		return pkg_raw_err(err, -EINVAL, raw, "%s",
				   escapes ? "path escapes the package"
					   : "path has a \"..\" component");
	}
	if (depth > LAMBDA_NAME_DEPTH_MAX) {
		free(norm);
		return pkg_raw_err(err, -EINVAL, raw, "the path is more than %u levels deep",
				   LAMBDA_NAME_DEPTH_MAX);
	}
	if (o == 0) {
		free(norm);
		return is_dir ? 0
			      : pkg_raw_err(err, -EINVAL, raw, "the name is empty once normalised");
	}
	*out = norm;
	return 0;
}

int pkg_entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pkg_entry *)a)->name, ((const struct pkg_entry *)b)->name);
}

/* The entry named by the first len bytes of name, or NULL. */
static const struct pkg_entry *lookup(const struct pkg *p, const char *name, size_t len)
{
	size_t lo = 0, hi = p->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *m = p->e[mid].name;
		int c = strncmp(m, name, len);

		if (c == 0)
			c = m[len] ? 1 : 0;
		if (c == 0)
			return &p->e[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- the tree ---- */

int pkg_check_tree(const struct pkg *p, struct nb_err *err)
{
	char q[PKG_QUOTE_LEN];

	for (size_t i = 0; i < p->n; i++) {
		const struct pkg_entry *e = &p->e[i];

		if (i + 1 < p->n && strcmp(e->name, p->e[i + 1].name) == 0) {
			/* Report the later one in the zip. */
			const struct pkg_entry *a = e, *b = &p->e[i + 1];

			if (a->index > b->index) {
				a = b;
				b = e;
			}
			pkg_quote(a->raw, q, sizeof(q));
			return pkg_entry_err(err, -EINVAL, b,
					     "duplicate name (entry %s is the same)", q);
		}
		for (const char *s = strchr(e->name, '/'); s; s = strchr(s + 1, '/')) {
			const struct pkg_entry *up = lookup(p, e->name, (size_t)(s - e->name));

			if (up && up->type != PKG_DIR) {
				pkg_quote(up->raw, q, sizeof(q));
				return pkg_entry_err(err, -EINVAL, e,
						     "lies below %s, which is a %s", q,
						     up->type == PKG_FILE ? "file" : "symlink");
			}
		}
	}
	return 0;
}

/* ---- symlinks ---- */

enum { RESOLVE_OK, RESOLVE_ESCAPES, RESOLVE_LOOPS, RESOLVE_TOO_LONG };

/*
 * Walks target from the directory cur (a normalised path, "" for the root,
 * in a buffer of cap bytes) as the kernel would, following the package's
 * own symlinks: a link "lnk" -> "." makes "lnk/lnk/../.." escape although
 * it looks balanced. Components the package lacks are taken as directories,
 * which can only make it stricter.
 */
static int resolve(const struct pkg *p, char *cur, size_t cap, const char *target, int *hops)
{
	size_t len = strlen(cur);

	for (const char *c = target; *c;) {
		size_t clen = strcspn(c, "/");
		const struct pkg_entry *e;

		if (clen == 2 && c[0] == '.' && c[1] == '.') {
			char *slash;

			if (len == 0)
				return RESOLVE_ESCAPES;
			slash = strrchr(cur, '/');
			len = slash ? (size_t)(slash - cur) : 0;
			cur[len] = '\0';
		} else if (clen && !(clen == 1 && c[0] == '.')) {
			size_t base = len;

			if (len + 1 + clen + 1 > cap)
				return RESOLVE_TOO_LONG;
			if (len)
				cur[len++] = '/';
			memcpy(cur + len, c, clen);
			len += clen;
			cur[len] = '\0';
			e = lookup(p, cur, len);
			if (e && e->type == PKG_SYMLINK) {
				int rc;

				if (++*hops > SYMLINK_HOPS)
					return RESOLVE_LOOPS;
				if (e->target[0] == '/')
					return RESOLVE_ESCAPES;
				len = base;
				cur[len] = '\0';
				rc = resolve(p, cur, cap, e->target, hops);
				if (rc != RESOLVE_OK)
					return rc;
				len = strlen(cur);
			}
		}
		c += clen + (c[clen] == '/');
	}
	return RESOLVE_OK;
}

int pkg_check_symlink(const struct pkg *p, const struct pkg_entry *e, struct nb_err *err)
{
	char q[PKG_QUOTE_LEN], cur[2 * (LAMBDA_NAME_MAX + LAMBDA_SYMLINK_TARGET_MAX)];
	const char *slash = strrchr(e->name, '/');
	size_t dir_len = slash ? (size_t)(slash - e->name) : 0;
	int hops = 0, rc;

	pkg_quote(e->target, q, sizeof(q));
	if (e->target[0] == '/')
		return pkg_entry_err(err, -EINVAL, e, "symlink target %s is absolute", q);
	memcpy(cur, e->name, dir_len);
	cur[dir_len] = '\0';
	rc = resolve(p, cur, sizeof(cur), e->target, &hops);
	if (rc == RESOLVE_ESCAPES)
		return pkg_entry_err(err, -EINVAL, e, "symlink target %s escapes the package", q);
	if (rc == RESOLVE_LOOPS)
		return pkg_entry_err(err, -EINVAL, e,
				     "symlink target %s goes through more than %d symlinks", q,
				     SYMLINK_HOPS);
	if (rc == RESOLVE_TOO_LONG)
		return pkg_entry_err(err, -EINVAL, e, "symlink target %s resolves too long a path",
				     q);
	return 0;
}

int pkg_read_symlink(struct pkg *p, struct pkg_entry *e, struct nb_err *err)
{
	char q[PKG_QUOTE_LEN];
	int rc;

	if (e->size == 0 || e->size > LAMBDA_SYMLINK_TARGET_MAX)
		return pkg_entry_err(err, -EINVAL, e, "symlink target of %llu bytes (1-%u allowed)",
				     (unsigned long long)e->size, LAMBDA_SYMLINK_TARGET_MAX);
	e->target = calloc(1, (size_t)e->size + 1);
	if (!e->target)
		return nb_err_set(err, -ENOMEM, "out of memory");
	rc = pkg_read_entry(p, e, -1, e->target, (size_t)e->size, err);
	if (rc)
		return rc;
	pkg_quote(e->target, q, sizeof(q));
	if (strlen(e->target) != e->size)
		return pkg_entry_err(err, -EINVAL, e, "symlink target %s holds a NUL byte", q);
	for (const char *c = e->target; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f || *c == '\\')
			return pkg_entry_err(err, -EINVAL, e,
					     "symlink target %s holds a control character or "
					     "backslash",
					     q);
	return 0;
}
