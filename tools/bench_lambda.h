/*
 * tools/bench_lambda.h - the parts of bench_lambda (tools/bench_lambda.c),
 * one figure each, and the function and port they share.
 */
#ifndef NB_TOOLS_BENCH_LAMBDA_H
#define NB_TOOLS_BENCH_LAMBDA_H

#include <stdbool.h>
#include <stddef.h>
#include <curl/curl.h>

#include "backend/engine/engine.h"

#define BENCH_LAMBDA_HANDLER_SH "handler() { echo '{}'; }\n"
#define BENCH_LAMBDA_MAX_COLD	50

/* One run of the driver: its function and engine connection. */
struct bench_lambda {
	const char *mnt, *owner;
	struct engine *eng;
	char fn_dir[1024]; /* MNT/lambda/nb-bench-PID; "" until made */
	char invoke[1200]; /* fn_dir/invoke */
};

/* CLOCK_MONOTONIC ms. */
double bench_lambda_now(void);

/* Whether an invocation (ret: what bench_fn_invoke() returned, ans: its
 * answer) answered "{}"; if not, says so (what failed, the function's
 * last-error). */
bool bench_lambda_answered(const struct bench_lambda *b, int ret, const char *ans,
			   const char *what);

/* One invocation through the mount, checked by bench_lambda_answered(). */
bool bench_lambda_invoke(const struct bench_lambda *b, const char *what);

/* The first line of `warm`: short id and port of the only container, and
 * how many invocations it served. 0 or -1. */
int bench_lambda_warm_ctr(const struct bench_lambda *b, char id[13], int *port, long *served);

/* A curl handle set up for POSTs of the invocation nimbusfs sends, to the
 * emulator on 127.0.0.1:port; fresh: a new connection each time. NULL on
 * failure. */
CURL *bench_lambda_port_handle(int port, bool fresh);

/* One POST on h; 0 when it answered 200 "{}", else -1 (said). */
int bench_lambda_post(CURL *h);

/* Frees what the port handles share, at exit. */
void bench_lambda_port_done(void);

/* The figures; each prints its line. 0 or -1. */
int bench_lambda_warm(struct bench_lambda *b, int port, int n, const char *id);
int bench_lambda_tput(struct bench_lambda *b, int port, int n);
int bench_lambda_cold(struct bench_lambda *b, const char *id, int n);

#endif
