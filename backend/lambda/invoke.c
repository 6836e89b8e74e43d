/*
 * backend/lambda/invoke.c - invocations: a request id, a warm container,
 * one HTTP POST to the emulator on its 127.0.0.1 port with the function's
 * timeout, and the outcome recorded as Lambda records it: the response (or
 * Lambda's error payload), `last-invocation`, and the output between
 * START / END / REPORT lines in `logs`.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "backend/common/cleanup.h"
#include "backend/common/fdio.h"
#include "backend/common/buf.h"
#include "backend/common/json.h"
#include "backend/common/log.h"
#include "backend/lambda/lambda_i.h"
#include "backend/lambda/runlogs.h"
#include "backend/state/health.h"
#include "backend/state/hub.h"

/* Lambda's limit for an Event invocation's payload (1 MB since 2025). */
#define LAMBDA_ASYNC_PAYLOAD_MAX (1024u * 1024)
/* The largest response Lambda returns, as its error message names it. */
#define LAMBDA_RESPONSE_MAX 6291556u
/* How much of an invocation's output the emulator hands back (base64). */
#define LAMBDA_LOG_RESULT_MAX (96u * 1024)

struct outcome {
	char request_id[37];
	struct nb_buf body;
	struct nb_buf log_b64;
	bool log_header;	 /* the runtime returned its output (X-Amz-Log-Result) */
	struct nb_buf log_lines; /* else: read back from the container's log */
	struct timespec started; /* CLOCK_REALTIME, for that */
	char function_error[32];
	int max_memory_mb;
	bool too_big;
	bool discard;	  /* the container cannot serve again */
	bool interrupted; /* the caller went away */
	double duration_ms;
	char timeout_line[128];
};

static void new_request_id(char out[37])
{
	unsigned char b[16];

	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		memset(b, 0, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct outcome *o = ud;
	size_t len = size * n;

	if (o->body.len + len > LAMBDA_RESPONSE_MAX)
		o->too_big = true;
	else if (nb_buf_append(&o->body, p, len) < 0)
		return 0;
	return len;
}

/* "Name: value\r\n" -> value when name matches, else NULL. */
static const char *header_value(const char *line, size_t len, const char *name, size_t *vlen)
{
	size_t n = strlen(name);

	if (len <= n + 1 || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return NULL;
	line += n + 1;
	len -= n + 1;
	while (len && (*line == ' ' || *line == '\t'))
		line++, len--;
	while (len && (line[len - 1] == '\r' || line[len - 1] == '\n' || line[len - 1] == ' '))
		len--;
	*vlen = len;
	return line;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct outcome *o = ud;
	size_t len = size * n, vlen;
	const char *v;

	if ((v = header_value(p, len, "X-Amz-Function-Error", &vlen)))
		snprintf(o->function_error, sizeof(o->function_error), "%.*s", (int)vlen, v);
	else if ((v = header_value(p, len, "X-Amz-Log-Result", &vlen)) &&
		 vlen <= LAMBDA_LOG_RESULT_MAX) {
		o->log_header = true;
		nb_buf_append(&o->log_b64, v, vlen);
	} else if ((v = header_value(p, len, "X-Nimbusfs-Max-Memory-Used-MB", &vlen)))
		o->max_memory_mb = atoi(v);
	return len;
}

static void error_body(struct outcome *o, const char *type, const char *message)
{
	cleanup_cjson cJSON *e = cJSON_CreateObject();
	cleanup_free char *text = NULL;

	nb_buf_reset(&o->body);
	json_add_str(e, "errorType", type);
	json_add_str(e, "errorMessage", message);
	text = cJSON_PrintUnformatted(e);
	if (text)
		nb_buf_puts(&o->body, text);
	snprintf(o->function_error, sizeof(o->function_error), "Unhandled");
}

/* libcurl asks at least once a second, and whenever data moves. */
static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct nb_cancel *cancel = ud;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return nb_cancelled(cancel);
}

static void post(struct lambda_lease *lease, const char *payload, size_t len,
		 struct nb_cancel *cancel, struct outcome *o)
{
	CURL *h = lease->ctr->curl;
	struct curl_slist *hdrs = NULL;
	char url[128], rid[64], msg[256];
	struct timespec t0, t1;
	CURLcode rc;
	long status = 0;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", lease->ctr->port, LAMBDA_INVOKE_PATH);
	snprintf(rid, sizeof(rid), "X-Amzn-RequestId: %s", o->request_id);
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, "Expect:");
	hdrs = curl_slist_append(hdrs, rid);
	curl_easy_reset(h); /* keeps the connection to the container */
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)lease->timeout_s * 1000L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, o);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, o);
	if (cancel) {
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(h, CURLOPT_XFERINFODATA, (void *)cancel);
	}
	clock_gettime(CLOCK_REALTIME, &o->started);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = curl_easy_perform(h);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	curl_slist_free_all(hdrs);
	o->duration_ms =
		(double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (rc == CURLE_ABORTED_BY_CALLBACK) {
		o->discard = true;
		o->interrupted = true;
		snprintf(o->timeout_line, sizeof(o->timeout_line),
			 "%s The caller was interrupted; the invocation was abandoned",
			 o->request_id);
		error_body(o, "Client.Interrupted", "the invocation was interrupted");
	} else if (rc == CURLE_OPERATION_TIMEDOUT) {
		/* The run is cut short: its container may still be busy. */
		o->discard = true;
		snprintf(msg, sizeof(msg), "RequestId: %s Error: Task timed out after %.2f seconds",
			 o->request_id, (double)lease->timeout_s);
		snprintf(o->timeout_line, sizeof(o->timeout_line),
			 "%s Task timed out after %.2f seconds", o->request_id,
			 (double)lease->timeout_s);
		error_body(o, "Sandbox.Timedout", msg);
		o->duration_ms = lease->timeout_s * 1e3;
	} else if (rc != CURLE_OK || status != 200) {
		o->discard = rc != CURLE_OK;
		if (rc != CURLE_OK)
			snprintf(msg, sizeof(msg),
				 "RequestId: %s Error: Runtime exited without providing a reason "
				 "(%s)",
				 o->request_id, curl_easy_strerror(rc));
		else
			snprintf(msg, sizeof(msg), "RequestId: %s Error: the runtime answered %ld",
				 o->request_id, status);
		if (rc != CURLE_OK || !o->body.len)
			error_body(o, "Runtime.ExitError", msg);
		else
			snprintf(o->function_error, sizeof(o->function_error), "Unhandled");
	} else if (o->too_big) {
		error_body(o, "Function.ResponseSizeTooLarge",
			   "Response payload size exceeded maximum allowed payload size "
			   "(6291556 bytes).");
	}
}

static int decode_b64(const struct nb_buf *in, struct nb_buf *out)
{
	size_t pad = 0;
	int n;

	if (!in->len || in->len % 4)
		return 0;
	if (nb_buf_reserve(out, in->len / 4 * 3 + 1) < 0)
		return -ENOMEM;
	n = EVP_DecodeBlock((unsigned char *)out->data + out->len, (unsigned char *)in->data,
			    (int)in->len);
	if (n < 0)
		return 0;
	pad = (in->data[in->len - 1] == '=') + (in->data[in->len - 2] == '=');
	out->len += (size_t)n - pad;
	out->data[out->len] = '\0';
	return 0;
}

/* START, the invocation's output, END and REPORT, as CloudWatch shows them. */
static void append_logs(struct lambda *l, struct lambda_fn *fn, const struct lambda_lease *lease,
			const struct outcome *o)
{
	char name[LAMBDA_FUNCTION_NAME_MAX + 16];
	struct nb_buf text = { 0 };
	int fd;

	nb_buf_printf(&text, "START RequestId: %s Version: $LATEST\n", o->request_id);
	if (o->log_header)
		decode_b64(&o->log_b64, &text);
	else
		nb_buf_append(&text, o->log_lines.data, o->log_lines.len);
	if (text.len && text.data[text.len - 1] != '\n')
		nb_buf_puts(&text, "\n");
	if (o->timeout_line[0])
		nb_buf_printf(&text, "%s\n", o->timeout_line);
	nb_buf_printf(&text, "END RequestId: %s\n", o->request_id);
	nb_buf_printf(&text,
		      "REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %.0f ms\t"
		      "Memory Size: %d MB\tMax Memory Used: %d MB\t",
		      o->request_id, o->duration_ms, ceil(o->duration_ms), lease->memory_mb,
		      o->max_memory_mb);
	if (lease->cold)
		nb_buf_printf(&text, "Init Duration: %.2f ms\t", lease->init_ms);
	nb_buf_puts(&text, "\n");
	snprintf(name, sizeof(name), "%s/logs", fn->name);
	fd = openat(l->dirfd, name, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || nb_write_all(fd, text.data, text.len) < 0)
		log_warn("lambda: cannot append to %s logs: %s", fn->name, strerror(errno));
	if (fd >= 0)
		close(fd);
	nb_buf_free(&text);
}

static void record(struct lambda *l, const struct lambda_lease *lease, const struct outcome *o,
		   bool sync)
{
	struct lambda_fn *fn = lease->fn;
	cleanup_cjson cJSON *j = cJSON_CreateObject();
	cleanup_free char *text = NULL;
	cJSON *fields;

	json_add_str(j, "requestId", o->request_id);
	json_add_str(j, "invocationType", sync ? "RequestResponse" : "Event");
	json_add_num(j, "statusCode", sync ? 200 : 202);
	if (o->function_error[0])
		json_add_str(j, "functionError", o->function_error);
	else
		cJSON_AddNullToObject(j, "functionError");
	json_add_num(j, "durationMs", round(o->duration_ms * 100) / 100);
	json_add_num(j, "billedDurationMs", ceil(o->duration_ms));
	if (lease->cold)
		json_add_num(j, "initDurationMs", round(lease->init_ms * 100) / 100);
	else
		cJSON_AddNullToObject(j, "initDurationMs");
	json_add_num(j, "maxMemoryUsedMB", o->max_memory_mb);
	json_add_num(j, "memorySizeMB", lease->memory_mb);
	text = cJSON_Print(j);

	pthread_mutex_lock(&l->lock);
	if (!fn->deleted) {
		append_logs(l, fn, lease, o);
		lambda_fn_touch(l, fn, LAMBDA_F_LOGS);
		if (text) {
			nb_buf_reset(&fn->last_invocation);
			nb_buf_printf(&fn->last_invocation, "%s\n", text);
			lambda_fn_touch(l, fn, LAMBDA_F_LAST_INVOCATION);
		}
		if (sync) {
			nb_buf_reset(&fn->response);
			nb_buf_append(&fn->response, o->body.data, o->body.len);
			lambda_fn_touch(l, fn, LAMBDA_F_RESPONSE);
		}
	}
	pthread_mutex_unlock(&l->lock);
	fields = cJSON_CreateObject();
	if (fields) {
		json_add_str(fields, "action", sync ? "invoke" : "invoke-async");
		json_add_str(fields, "requestId", o->request_id);
		json_add_str(fields, "result", o->function_error[0] ? "error" : "success");
		json_add_num(fields, "durationMs", round(o->duration_ms * 100) / 100);
	}
	state_hub_publish(l->deps.hub, "lambda", fn->name, fields);
}

/* Lambda takes any JSON value; an empty payload is an empty event. */
static int check_payload(const char **payload, size_t *len, size_t max, struct nb_err *err)
{
	cJSON *j;

	if (*len > max)
		return nb_err_set(err, -EFBIG,
				  "Request must be smaller than %zu bytes for the InvokeFunction "
				  "operation (RequestTooLargeException)",
				  max);
	/* echo's newline is not part of the event. */
	while (*len && nb_is_blank((*payload)[*len - 1]))
		(*len)--;
	if (*len == 0) {
		*payload = "{}";
		*len = 2;
		return 0;
	}
	j = json_parse(*payload, *len, err);
	if (!j)
		return nb_err_wrap(err, "Could not parse request body into json "
					"(InvalidRequestContentException)");
	cJSON_Delete(j);
	return 0;
}

/* An invocation on a leased container, recorded and given back. */
static int perform(struct lambda *l, struct lambda_lease *lease, const char *payload, size_t len,
		   bool sync, struct nb_cancel *cancel, struct nb_buf *answer, struct nb_err *err)
{
	struct outcome o = { 0 };
	int ret = 0;

	new_request_id(o.request_id);
	post(lease, payload, len, cancel, &o);
	if (!o.log_header && !o.discard)
		lambda_runlogs_fetch(l->deps.eng, lease->ctr->id, &o.started, o.request_id,
				     &o.log_lines);
	record(l, lease, &o, sync && !o.interrupted);
	lambda_release(l, lease, o.discard);
	if (o.interrupted)
		ret = nb_err_set(err, -EINTR,
				 "invocation %s interrupted; its container is discarded",
				 o.request_id);
	else if (answer && nb_buf_append(answer, o.body.data, o.body.len) < 0)
		ret = nb_err_set(err, -ENOMEM, "out of memory");
	nb_buf_free(&o.body);
	nb_buf_free(&o.log_b64);
	nb_buf_free(&o.log_lines);
	return ret;
}

struct lambda_call {
	struct lambda_lease lease;
};

int lambda_invoke_prepare(struct lambda *l, const char *name, const char *payload, size_t len,
			  struct lambda_call **out, struct nb_err *err)
{
	struct lambda_call *c;
	int ret = check_payload(&payload, &len, LAMBDA_PAYLOAD_MAX, err);

	if (ret < 0)
		return ret;
	if (!state_health_engine_ready(l->deps.health, err))
		return nb_err_wrap(err, "cannot invoke %s", name);
	c = calloc(1, sizeof(*c));
	if (!c)
		return nb_err_set(err, -ENOMEM, "out of memory");
	ret = lambda_reserve(l, name, false, NULL, &c->lease, err);
	if (ret < 0) {
		free(c);
		return ret;
	}
	*out = c;
	return 0;
}

int lambda_invoke_run(struct lambda *l, struct lambda_call *c, const char *payload, size_t len,
		      struct nb_cancel *cancel, struct nb_buf *answer, struct nb_err *err)
{
	int ret = check_payload(&payload, &len, LAMBDA_PAYLOAD_MAX, err);

	/* The container is leased (or started) now, not at the write: it
	 * runs the function's configuration as it is now. */
	if (ret == 0)
		ret = lambda_acquire(l, &c->lease, cancel, err);
	if (ret == 0)
		ret = perform(l, &c->lease, payload, len, true, cancel, answer, err);
	else
		lambda_release(l, &c->lease, false);
	free(c);
	return ret;
}

void lambda_invoke_discard(struct lambda *l, struct lambda_call *c)
{
	lambda_release(l, &c->lease, false);
	free(c);
}

int lambda_invoke_async(struct lambda *l, const char *name, const char *payload, size_t len,
			struct nb_err *err)
{
	struct lambda_async *a;
	int ret = check_payload(&payload, &len, LAMBDA_ASYNC_PAYLOAD_MAX, err);

	if (ret < 0)
		return ret;
	if (!lambda_exists(l, name))
		return nb_err_set(err, -ENOENT, "Function not found: %s", name);
	a = calloc(1, sizeof(*a));
	if (!a || !(a->payload = malloc(len + 1))) {
		free(a);
		return nb_err_set(err, -ENOMEM, "out of memory");
	}
	memcpy(a->payload, payload, len);
	a->payload[len] = '\0';
	a->len = len;
	snprintf(a->name, sizeof(a->name), "%s", name);
	pthread_mutex_lock(&l->lock);
	if (l->aq_tail)
		l->aq_tail->next = a;
	else
		l->aq = a;
	l->aq_tail = a;
	pthread_cond_signal(&l->async_wake);
	pthread_mutex_unlock(&l->lock);
	return 0;
}

/* Event invocations, one after another; they wait for capacity rather
 * than fail, as Lambda's internal queue does. */
static void *async_main(void *arg)
{
	struct lambda *l = arg;

	pthread_mutex_lock(&l->lock);
	for (;;) {
		struct lambda_async *a;
		struct nb_err err = { 0 };

		while (!l->aq && !l->stopping)
			pthread_cond_wait(&l->async_wake, &l->lock);
		if (l->stopping)
			break;
		a = l->aq;
		l->aq = a->next;
		if (!l->aq)
			l->aq_tail = NULL;
		pthread_mutex_unlock(&l->lock);
		struct lambda_lease lease;
		int ret = state_health_engine_ready(l->deps.health, &err)
				  ? lambda_reserve(l, a->name, true, &l->async_cancel, &lease, &err)
				  : -EHOSTDOWN;

		if (ret == 0 && (ret = lambda_acquire(l, &lease, &l->async_cancel, &err)) < 0)
			lambda_release(l, &lease, false);
		if (ret == 0)
			ret = perform(l, &lease, a->payload, a->len, false, &l->async_cancel, NULL,
				      &err);
		if (ret < 0) {
			cJSON *fields = cJSON_CreateObject();

			json_add_str(fields, "action", "invoke-async");
			json_add_str(fields, "result", "failed");
			json_add_str(fields, "reason", err.msg);
			state_hub_publish(l->deps.hub, "lambda", a->name, fields);
		}
		free(a->payload);
		free(a);
		pthread_mutex_lock(&l->lock);
	}
	while (l->aq) {
		struct lambda_async *a = l->aq;

		l->aq = a->next;
		free(a->payload);
		free(a);
	}
	l->aq_tail = NULL;
	pthread_mutex_unlock(&l->lock);
	return NULL;
}

int lambda_async_start(struct lambda *l)
{
	return -pthread_create(&l->async_thread, NULL, async_main, l);
}

void lambda_async_stop(struct lambda *l)
{
	nb_cancel_fire(&l->async_cancel);
	pthread_mutex_lock(&l->lock);
	pthread_cond_broadcast(&l->async_wake);
	pthread_mutex_unlock(&l->lock);
	pthread_join(l->async_thread, NULL);
}
