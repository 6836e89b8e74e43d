/*
 * tools/bench_lambda_port.c - bench_lambda's floor for an invocation: the
 * same POST nimbusfs sends, with libcurl straight to the emulator's
 * published 127.0.0.1 port.
 */
#include <stdio.h>
#include <string.h>

#include "tools/bench_lambda.h"
#include "tools/benchfn.h"
#include "tools/benchlib.h"

#define INVOKE_PATH  "/2015-03-31/functions/function/invocations"
#define CURL_TIMEOUT 30000L

/* The answer to the last POST (its start). */
struct sink {
	char data[256];
	size_t len;
};

static struct sink curl_sink;
static struct curl_slist *curl_hdrs;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct sink *s = ud;
	size_t len = size * n, room = sizeof(s->data) - 1 - s->len;

	memcpy(s->data + s->len, p, len < room ? len : room);
	s->len += len < room ? len : room;
	s->data[s->len] = '\0';
	return len;
}

CURL *bench_lambda_port_handle(int port, bool fresh)
{
	static char url[128];
	CURL *h = curl_easy_init();

	if (!h)
		return NULL;
	if (!curl_hdrs) {
		curl_hdrs = curl_slist_append(curl_hdrs, "Content-Type: application/json");
		curl_hdrs = curl_slist_append(curl_hdrs, "Expect:");
		curl_hdrs = curl_slist_append(curl_hdrs, "X-Amzn-RequestId: "
							 "00000000-0000-4000-8000-000000000000");
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, INVOKE_PATH);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, curl_hdrs);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, BENCH_FN_PAYLOAD);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
			 (curl_off_t)(sizeof(BENCH_FN_PAYLOAD) - 1));
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, CURL_TIMEOUT);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &curl_sink);
	if (fresh) {
		curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
	}
	return h;
}

int bench_lambda_post(CURL *h)
{
	long status = 0;
	CURLcode rc;

	curl_sink.len = 0;
	curl_sink.data[0] = '\0';
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK || status != 200 || strncmp(curl_sink.data, "{}", 2) != 0) {
		fprintf(stderr, "bench_lambda: POST: %s, HTTP %ld, %s\n", curl_easy_strerror(rc),
			status, curl_sink.data);
		return -1;
	}
	return 0;
}

void bench_lambda_port_done(void)
{
	curl_slist_free_all(curl_hdrs);
	curl_hdrs = NULL;
}
