/*
 * backend/engine/images.c - typed image calls.
 * The progress reply of import and pull is one JSON object per line (the
 * engine ends each with "\r\n", and JSON text never holds a raw newline),
 * so it is split on newlines as it arrives and each line parsed whole.
 */
#include <errno.h>
#include <string.h>

#include "backend/common/cleanup.h"
#include "backend/common/json.h"
#include "backend/engine/images.h"

/* A progress line longer than this is not a progress line. */
#define PROGRESS_LINE_MAX (1u << 20)

struct progress {
	const char *what; /* "import local/x:latest", for messages */
	struct nb_buf line;
	engine_progress_cb cb;
	void *ud;
	struct nb_err *err;
	int ret; /* sticky: first error */
};

/* {"errorDetail": {"message": "..."}, "error": "..."}: the detail is the
 * structured form; older engines send only "error". */
static const char *progress_error(const cJSON *msg)
{
	const cJSON *detail = cJSON_GetObjectItemCaseSensitive(msg, "errorDetail");
	const cJSON *text = cJSON_GetObjectItemCaseSensitive(detail, "message");

	if (cJSON_IsString(text) && *text->valuestring)
		return text->valuestring;
	text = cJSON_GetObjectItemCaseSensitive(msg, "error");
	if (cJSON_IsString(text) && *text->valuestring)
		return text->valuestring;
	if (detail)
		return "unspecified error";
	return NULL;
}

static int progress_line(struct progress *p, const char *line, size_t len)
{
	cleanup_cjson cJSON *msg = NULL;
	const char *why;

	while (len && strchr(" \t\r", line[len - 1]))
		len--;
	if (!len)
		return 0;
	msg = json_parse(line, len, NULL);
	if (!cJSON_IsObject(msg))
		return nb_err_set(p->err, -EIO, "engine: %s: progress reply is not JSON objects",
				  p->what);
	why = progress_error(msg);
	if (why)
		return nb_err_set(p->err, -EIO, "engine: %s: %s", p->what, why);
	if (p->cb && p->cb(msg, p->ud))
		return nb_err_set(p->err, -ECANCELED, "engine: %s: cancelled", p->what);
	return 0;
}

static int progress_feed(struct progress *p, const char *data, size_t len)
{
	const char *nl;
	size_t n;

	while (len && !p->ret) {
		nl = memchr(data, '\n', len);
		n = nl ? (size_t)(nl - data) : len;
		if (p->line.len + n > PROGRESS_LINE_MAX)
			return p->ret = nb_err_set(p->err, -EPROTO,
						   "engine: %s: progress line too long", p->what);
		if (nb_buf_append(&p->line, data, n) < 0)
			return p->ret = nb_err_set(p->err, -ENOMEM, "out of memory");
		data += n;
		len -= n;
		if (!nl)
			break;
		data++;
		len--;
		p->ret = progress_line(p, p->line.data, p->line.len);
		nb_buf_reset(&p->line);
	}
	return p->ret;
}

/* The last line may lack its newline. */
static int progress_end(struct progress *p)
{
	if (p->ret)
		return p->ret;
	p->ret = progress_line(p, p->line.data ? p->line.data : "", p->line.len);
	nb_buf_reset(&p->line);
	return p->ret;
}

int engine_image_inspect(struct engine *eng, const char *ref, cJSON **out, struct nb_err *err)
{
	cleanup_free char *eref = ref ? engine_escape(ref) : NULL;
	cleanup_buf struct nb_buf path = { 0 };
	int ret;

	*out = NULL;
	if (!ref || !*ref)
		return nb_err_set(err, -EINVAL, "image reference is empty");
	if (!eref || nb_buf_printf(&path, "/images/%s/json", eref) < 0)
		return nb_err_set(err, -ENOMEM, "out of memory");
	ret = engine_do_json(eng, "GET", path.data, NULL, out, err);
	if (ret < 0)
		return ret;
	if (!cJSON_IsObject(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		return nb_err_set(err, -EIO, "engine: inspect image %s: reply is not an object",
				  ref);
	}
	return 0;
}

int engine_image_list(struct engine *eng, cJSON **out, struct nb_err *err)
{
	int ret = engine_do_json(eng, "GET", "/images/json", NULL, out, err);

	if (ret < 0)
		return ret;
	if (!cJSON_IsArray(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		return nb_err_set(err, -EIO, "engine: list images: reply is not a JSON array");
	}
	return 0;
}

int engine_image_import(struct engine *eng, const void *tar, size_t len, const char *repo,
			const char *tag, struct nb_err *err)
{
	cleanup_free char *erepo = repo ? engine_escape(repo) : NULL;
	cleanup_free char *etag = engine_escape(tag ? tag : "latest");
	cleanup_buf struct nb_buf path = { 0 };
	cleanup_buf struct nb_buf what = { 0 };
	struct engine_resp resp = { 0 };
	struct engine_req req = {
		.method = "POST",
		.content_type = "application/x-tar",
		.body = tar,
		.body_len = len,
		.timeout_ms = ENGINE_IMPORT_TIMEOUT_MS,
	};
	struct progress p = { .err = err };
	int ret;

	if (!repo || !*repo || (tag && !*tag))
		return nb_err_set(err, -EINVAL, "image import needs a repository and a tag");
	/* The engine would happily make an empty image of an empty tarball. */
	if (!tar || !len)
		return nb_err_set(err, -EINVAL, "image import: the tarball is empty");
	if (!erepo || !etag ||
	    nb_buf_printf(&path, "/images/create?fromSrc=-&repo=%s&tag=%s", erepo, etag) < 0 ||
	    nb_buf_printf(&what, "import %s:%s", repo, tag ? tag : "latest") < 0)
		return nb_err_set(err, -ENOMEM, "out of memory");
	req.path = path.data;
	p.what = what.data;
	ret = engine_do(eng, &req, &resp, err);
	if (ret == 0 && progress_feed(&p, resp.body.data, resp.body.len) == 0)
		progress_end(&p);
	nb_buf_free(&resp.body);
	nb_buf_free(&p.line);
	return ret < 0 ? ret : p.ret;
}

int engine_image_tag(struct engine *eng, const char *ref, const char *repo, const char *tag,
		     struct nb_err *err)
{
	cleanup_free char *eref = ref ? engine_escape(ref) : NULL;
	cleanup_free char *erepo = repo ? engine_escape(repo) : NULL;
	cleanup_free char *etag = engine_escape(tag ? tag : "latest");
	cleanup_buf struct nb_buf path = { 0 };
	struct engine_req req = { .method = "POST" };

	if (!ref || !*ref || !repo || !*repo || (tag && !*tag))
		return nb_err_set(err, -EINVAL, "image tag needs an image, a repository and a tag");
	if (!eref || !erepo || !etag ||
	    nb_buf_printf(&path, "/images/%s/tag?repo=%s&tag=%s", eref, erepo, etag) < 0)
		return nb_err_set(err, -ENOMEM, "out of memory");
	req.path = path.data;
	return engine_do(eng, &req, NULL, err);
}

static int pull_chunk(const char *data, size_t len, void *ud)
{
	return progress_feed(ud, data, len) != 0;
}

int engine_image_pull(struct engine *eng, const char *ref, engine_progress_cb cb, void *ud,
		      struct nb_err *err)
{
	return engine_image_pull_cancel(eng, ref, cb, ud, NULL, err);
}

int engine_image_pull_cancel(struct engine *eng, const char *ref, engine_progress_cb cb, void *ud,
			     struct nb_cancel *stop, struct nb_err *err)
{
	char name[512], tag[160];
	cleanup_free char *ename = NULL;
	cleanup_free char *etag = NULL;
	cleanup_buf struct nb_buf path = { 0 };
	cleanup_buf struct nb_buf what = { 0 };
	struct engine_req req = { .method = "POST", .timeout_ms = ENGINE_PULL_TIMEOUT_MS };
	struct progress p = { .cb = cb, .ud = ud, .err = err };
	int ret;

	ret = engine_image_ref_split(ref, name, sizeof(name), tag, sizeof(tag), err);
	if (ret < 0)
		return ret;
	ename = engine_escape(name);
	etag = engine_escape(tag);
	if (!ename || !etag ||
	    nb_buf_printf(&path, "/images/create?fromImage=%s&tag=%s", ename, etag) < 0 ||
	    nb_buf_printf(&what, "pull %s", ref) < 0)
		return nb_err_set(err, -ENOMEM, "out of memory");
	req.path = path.data;
	p.what = what.data;
	ret = engine_stream(eng, &req, pull_chunk, &p, stop, err);
	if (ret == 0 && !p.ret && nb_cancelled(stop))
		p.ret = nb_err_set(err, -EINTR, "the pull of %s was interrupted", ref);
	if (ret == 0 && !p.ret)
		progress_end(&p);
	nb_buf_free(&p.line);
	return ret < 0 ? ret : p.ret;
}

/* Copies s[0..len) into dst, or fails when it does not fit or is empty. */
static int copy_part(char *dst, size_t size, const char *s, size_t len, const char *ref,
		     const char *part, struct nb_err *err)
{
	if (!len)
		return nb_err_set(err, -EINVAL, "image reference \"%s\": empty %s", ref, part);
	if (len >= size)
		return nb_err_set(err, -EINVAL, "image reference \"%.200s\": %s too long", ref,
				  part);
	memcpy(dst, s, len);
	dst[len] = '\0';
	return 0;
}

int engine_image_ref_split(const char *ref, char *name, size_t name_len, char *tag, size_t tag_len,
			   struct nb_err *err)
{
	const char *at, *end, *slash, *colon;
	int ret;

	if (!ref || !*ref)
		return nb_err_set(err, -EINVAL, "image reference is empty");
	if (strpbrk(ref, " \t\r\n?#"))
		return nb_err_set(err, -EINVAL, "image reference \"%.200s\" has invalid characters",
				  ref);
	at = strchr(ref, '@');
	end = at ? at : ref + strlen(ref);
	/* A ':' before the last '/' is a registry port, not a tag. */
	slash = memrchr(ref, '/', (size_t)(end - ref));
	colon = memrchr(slash ? slash : ref, ':', (size_t)(end - (slash ? slash : ref)));
	ret = copy_part(name, name_len, ref, (size_t)((colon ? colon : end) - ref), ref, "name",
			err);
	if (ret < 0)
		return ret;
	if (name[0] == '/' || name[strlen(name) - 1] == '/' || strstr(name, "//"))
		return nb_err_set(err, -EINVAL, "image reference \"%.200s\": empty path component",
				  ref);
	/* name:tag@digest pins the digest; the tag is only a label then. */
	if (at) {
		if (!strchr(at + 1, ':') || strchr(at + 1, '@'))
			return nb_err_set(err, -EINVAL,
					  "image reference \"%.200s\": digest must be ALGO:HEX",
					  ref);
		return copy_part(tag, tag_len, at + 1, strlen(at + 1), ref, "digest", err);
	}
	if (colon)
		return copy_part(tag, tag_len, colon + 1, (size_t)(end - colon - 1), ref, "tag",
				 err);
	return copy_part(tag, tag_len, "latest", 6, ref, "tag", err);
}
