/*
 * backend/engine/engine.c - HTTP transport to the Docker Engine API.
 * One pool of curl easy handles per engine: a handle keeps its connection
 * alive between requests, so a request costs one round trip on the socket
 * instead of a connect. Streams are in stream.c.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/common/cleanup.h"
#include "backend/common/json.h"
#include "backend/common/log.h"
#include "backend/engine/engine.h"
#include "backend/engine/engine_i.h"

#define POOL_MAX 8
#define BODY_MAX (256u << 20) /* refuse replies beyond this: a runaway engine */

struct engine {
	char *url;	   /* as given, for messages */
	char *socket_path; /* unix socket, or NULL for tcp */
	char *base;	   /* "http://localhost" or "http://host:port" */
	pthread_mutex_t lock;
	char api[16];	      /* protected by lock */
	CURL *pool[POOL_MAX]; /* protected by lock */
	int npool;	      /* protected by lock */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

int engine_new(const char *url, struct engine **out, struct nb_err *err)
{
	struct engine *eng;
	const char *rest;

	pthread_once(&curl_once, curl_init_once);
	if (!url || !*url)
		return nb_err_set(err, -EINVAL, "engine URL is empty");
	eng = calloc(1, sizeof(*eng));
	if (!eng)
		return nb_err_set(err, -ENOMEM, "out of memory");
	pthread_mutex_init(&eng->lock, NULL);
	snprintf(eng->api, sizeof(eng->api), "%s", ENGINE_API_MAX);
	eng->url = strdup(url);
	if (strncmp(url, "unix://", 7) == 0) {
		rest = url + 7;
		if (*rest != '/') {
			engine_free(eng);
			return nb_err_set(err, -EINVAL,
					  "engine URL %s: a unix socket path must be absolute",
					  url);
		}
		eng->socket_path = strdup(rest);
		eng->base = strdup("http://localhost");
	} else if (strncmp(url, "tcp://", 6) == 0 || strncmp(url, "http://", 7) == 0) {
		rest = strstr(url, "://") + 3;
		if (!*rest || strchr(rest, '/')) {
			engine_free(eng);
			return nb_err_set(err, -EINVAL, "engine URL %s: expected tcp://HOST:PORT",
					  url);
		}
		if (asprintf(&eng->base, "http://%s", rest) < 0)
			eng->base = NULL;
	} else {
		engine_free(eng);
		return nb_err_set(err, -EINVAL,
				  "engine URL %s: expected unix:///PATH or tcp://HOST:PORT", url);
	}
	if (!eng->url || !eng->base || (strncmp(url, "unix://", 7) == 0 && !eng->socket_path)) {
		engine_free(eng);
		return nb_err_set(err, -ENOMEM, "out of memory");
	}
	*out = eng;
	return 0;
}

void engine_free(struct engine *eng)
{
	if (!eng)
		return;
	for (int i = 0; i < eng->npool; i++)
		curl_easy_cleanup(eng->pool[i]);
	pthread_mutex_destroy(&eng->lock);
	free(eng->url);
	free(eng->socket_path);
	free(eng->base);
	free(eng);
}

const char *engine_url(const struct engine *eng)
{
	return eng->url;
}

void engine_api_version(struct engine *eng, char *out, size_t len)
{
	pthread_mutex_lock(&eng->lock);
	snprintf(out, len, "%s", eng->api);
	pthread_mutex_unlock(&eng->lock);
}

static CURL *handle_get(struct engine *eng)
{
	CURL *h = NULL;

	pthread_mutex_lock(&eng->lock);
	if (eng->npool > 0)
		h = eng->pool[--eng->npool];
	pthread_mutex_unlock(&eng->lock);
	if (h)
		curl_easy_reset(h);
	else
		h = curl_easy_init();
	return h;
}

/* A handle whose transfer failed may hold a broken connection; drop it. */
static void handle_put(struct engine *eng, CURL *h, bool healthy)
{
	/* Reset drops pointers into the finished request's stack and headers
	 * but keeps the connection alive. */
	if (healthy)
		curl_easy_reset(h);
	pthread_mutex_lock(&eng->lock);
	if (healthy && eng->npool < POOL_MAX) {
		eng->pool[eng->npool++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(&eng->lock);
	if (h)
		curl_easy_cleanup(h);
}

static size_t collect_body(char *data, size_t size, size_t nmemb, void *ud)
{
	struct nb_buf *body = ud;
	size_t n = size * nmemb;

	if (body->len + n > BODY_MAX || nb_buf_append(body, data, n) < 0)
		return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
	return n;
}

/* Builds "<base>[/vX.Y]<path>"; versioned unless path is one of the
 * unversioned discovery endpoints. */
char *engine_build_url(struct engine *eng, const char *path, bool versioned)
{
	char api[16];
	char *url;

	engine_api_version(eng, api, sizeof(api));
	if (versioned) {
		if (asprintf(&url, "%s/v%s%s", eng->base, api, path) < 0)
			return NULL;
	} else if (asprintf(&url, "%s%s", eng->base, path) < 0) {
		return NULL;
	}
	return url;
}

int engine_setup_handle(struct engine *eng, CURL *h, const struct engine_req *req, const char *url,
			struct curl_slist **headers, char *errbuf)
{
	const char *ctype = req->content_type ? req->content_type : "application/json";
	char hdr[128];

	errbuf[0] = '\0';
	curl_easy_setopt(h, CURLOPT_URL, url);
	if (eng->socket_path)
		curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, eng->socket_path);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	*headers = curl_slist_append(NULL, "Expect:"); /* no 100-continue round trip */
	if (*headers &&
	    (req->body || strcmp(req->method, "POST") == 0 || strcmp(req->method, "PUT") == 0)) {
		struct curl_slist *more;

		snprintf(hdr, sizeof(hdr), "Content-Type: %s", ctype);
		more = curl_slist_append(*headers, hdr);
		if (!more)
			return -ENOMEM; /* the caller frees *headers */
		*headers = more;
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? (const char *)req->body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		/* CURLOPT_POSTFIELDS switches the method to POST; keep the asked one. */
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	}
	if (!*headers)
		return -ENOMEM;
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, *headers);
	return 0;
}

int engine_curl_error(struct engine *eng, CURL *h, CURLcode rc, const char *errbuf,
		      struct nb_err *err)
{
	const char *why = errbuf && errbuf[0] ? errbuf : curl_easy_strerror(rc);
	long os_errno = 0;

	/* For a unix socket curl's text names "localhost port 80"; the
	 * system's reason for the socket is what the user can act on. */
	curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
	if (eng->socket_path && os_errno && rc == CURLE_COULDNT_CONNECT)
		return nb_err_set(err, -EHOSTDOWN, "engine unreachable at %s: %s", eng->url,
				  strerror((int)os_errno));

	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		return nb_err_set(err, -ETIMEDOUT, "engine at %s did not answer in time: %s",
				  eng->url, why);
	case CURLE_OUT_OF_MEMORY:
	case CURLE_WRITE_ERROR:
		return nb_err_set(err, -ENOMEM, "engine reply from %s too large or out of memory",
				  eng->url);
	default:
		return nb_err_set(err, -EHOSTDOWN, "engine unreachable at %s: %s", eng->url, why);
	}
}

static int status_errno(long status)
{
	if (status < 400)
		return 0;
	switch (status) {
	case 400:
		return -EINVAL;
	case 401:
	case 403:
		return -EPERM;
	case 404:
		return -ENOENT;
	case 409:
		return -EBUSY;
	case 408:
	case 504:
		return -ETIMEDOUT;
	default:
		return -EIO;
	}
}

/* Turns a non-2xx reply into an errno and the engine's own message. */
int engine_status_error(struct engine *eng, const struct engine_req *req, long status,
			const struct nb_buf *body, struct nb_err *err)
{
	cleanup_cjson cJSON *doc = NULL;
	const char *msg = NULL;
	int code = status_errno(status);

	if (!code)
		return 0;
	if (body->len) {
		doc = cJSON_ParseWithLength(body->data, body->len);
		if (doc && cJSON_IsString(cJSON_GetObjectItemCaseSensitive(doc, "message")))
			msg = cJSON_GetObjectItemCaseSensitive(doc, "message")->valuestring;
	}
	if (!msg)
		msg = body->len ? body->data : "no message";
	(void)eng;
	return nb_err_set(err, code, "engine: %s %s: %ld: %s", req->method, req->path, status, msg);
}

static int do_request(struct engine *eng, const struct engine_req *req, bool versioned,
		      struct engine_resp *resp, struct nb_err *err)
{
	cleanup_slist struct curl_slist *headers = NULL;
	cleanup_free char *url = engine_build_url(eng, req->path, versioned);
	struct nb_buf body = { 0 };
	char errbuf[CURL_ERROR_SIZE];
	CURLcode rc;
	long status = 0;
	CURL *h;
	int ret;

	if (!url)
		return nb_err_set(err, -ENOMEM, "out of memory");
	h = handle_get(eng);
	if (!h)
		return nb_err_set(err, -ENOMEM, "out of memory");
	ret = engine_setup_handle(eng, h, req, url, &headers, errbuf);
	if (ret < 0) {
		handle_put(eng, h, false);
		return nb_err_set(err, ret, "out of memory");
	}
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
			 req->timeout_ms ? req->timeout_ms : ENGINE_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		ret = engine_curl_error(eng, h, rc, errbuf, err);
		handle_put(eng, h, false);
		nb_buf_free(&body);
		return ret;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	handle_put(eng, h, true);
	ret = engine_status_error(eng, req, status, &body, err);
	if (resp) {
		resp->status = status;
		resp->body = body;
	} else {
		nb_buf_free(&body);
	}
	return ret;
}

int engine_do(struct engine *eng, const struct engine_req *req, struct engine_resp *resp,
	      struct nb_err *err)
{
	return do_request(eng, req, true, resp, err);
}

int engine_do_json(struct engine *eng, const char *method, const char *path, const cJSON *body,
		   cJSON **out, struct nb_err *err)
{
	cleanup_free char *text = body ? json_print(body) : NULL;
	struct engine_resp resp = { 0 };
	struct engine_req req = {
		.method = method,
		.path = path,
		.body = text,
		.body_len = text ? strlen(text) : 0,
	};
	int ret;

	if (out)
		*out = NULL;
	if (body && !text)
		return nb_err_set(err, -ENOMEM, "out of memory");
	ret = engine_do(eng, &req, &resp, err);
	if (ret < 0 || !out) {
		nb_buf_free(&resp.body);
		return ret;
	}
	*out = NULL;
	if (resp.body.len) {
		*out = cJSON_ParseWithLength(resp.body.data, resp.body.len);
		if (!*out)
			ret = nb_err_set(err, -EIO, "engine: %s %s: reply is not JSON", method,
					 path);
	}
	nb_buf_free(&resp.body);
	return ret;
}

/* "1.41" -> 141; 0 when unparsable. */
static int api_number(const char *v)
{
	int major, minor;

	if (!v || sscanf(v, "%d.%d", &major, &minor) != 2)
		return 0;
	return major * 100 + minor;
}

static void copy_str(char *dst, size_t len, const cJSON *obj, const char *field)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, field);

	snprintf(dst, len, "%s", cJSON_IsString(item) ? item->valuestring : "");
}

int engine_negotiate(struct engine *eng, struct engine_info *info, struct nb_err *err)
{
	struct engine_req req = { .method = "GET", .path = "/version", .timeout_ms = 5000 };
	struct engine_resp resp = { 0 };
	cleanup_cjson cJSON *doc = NULL;
	const cJSON *comps, *comp;
	int ret = do_request(eng, &req, false, &resp, err);

	if (ret < 0) {
		nb_buf_free(&resp.body);
		return ret;
	}
	doc = cJSON_ParseWithLength(resp.body.data, resp.body.len);
	nb_buf_free(&resp.body);
	if (!doc)
		return nb_err_set(err, -EIO, "engine at %s: GET /version reply is not JSON",
				  eng->url);
	memset(info, 0, sizeof(*info));
	copy_str(info->version, sizeof(info->version), doc, "Version");
	copy_str(info->daemon_api, sizeof(info->daemon_api), doc, "ApiVersion");
	copy_str(info->os, sizeof(info->os), doc, "Os");
	copy_str(info->arch, sizeof(info->arch), doc, "Arch");
	copy_str(info->name, sizeof(info->name), cJSON_GetObjectItem(doc, "Platform"), "Name");
	comps = cJSON_GetObjectItemCaseSensitive(doc, "Components");
	if (!info->name[0] && cJSON_IsArray(comps)) {
		cJSON_ArrayForEach(comp, comps)
		{
			copy_str(info->name, sizeof(info->name), comp, "Name");
			if (info->name[0])
				break;
		}
	}
	/* The component is just "Engine"; say whose. */
	if (!info->name[0] || strcmp(info->name, "Engine") == 0)
		snprintf(info->name, sizeof(info->name), "Docker Engine");
	if (api_number(info->daemon_api) < api_number(ENGINE_API_MIN))
		return nb_err_set(err, -EPROTONOSUPPORT,
				  "engine at %s speaks API %s; nimbusfs needs %s or newer",
				  eng->url, info->daemon_api[0] ? info->daemon_api : "(unknown)",
				  ENGINE_API_MIN);
	snprintf(info->api_version, sizeof(info->api_version), "%s",
		 api_number(info->daemon_api) < api_number(ENGINE_API_MAX) ? info->daemon_api
									   : ENGINE_API_MAX);
	pthread_mutex_lock(&eng->lock);
	snprintf(eng->api, sizeof(eng->api), "%s", info->api_version);
	pthread_mutex_unlock(&eng->lock);
	return 0;
}

int engine_ping(struct engine *eng, struct nb_err *err)
{
	struct engine_req req = { .method = "GET", .path = "/_ping", .timeout_ms = 1500 };

	return do_request(eng, &req, false, NULL, err);
}

char *engine_escape(const char *s)
{
	char *tmp = curl_easy_escape(NULL, s, 0);
	char *out;

	if (!tmp)
		return NULL;
	out = strdup(tmp);
	curl_free(tmp);
	return out;
}

int engine_reply_id(const cJSON *reply, const char *what, char id_out[65], struct nb_err *err)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(reply, "Id");
	size_t len;

	if (!cJSON_IsString(item) || !(len = strlen(item->valuestring)) || len > 64)
		return nb_err_set(err, -EIO, "engine: %s: reply has no valid \"Id\"", what);
	memcpy(id_out, item->valuestring, len + 1);
	return 0;
}
