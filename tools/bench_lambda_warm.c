/*
 * tools/bench_lambda_warm.c - bench_lambda's warm figures: one invocation
 * through the mount against the same POST straight to the warm
 * container's port (kept-alive, and on a fresh connection), interleaved
 * round by round; and sequential invocations per second both ways.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/bench_lambda.h"
#include "tools/benchfn.h"
#include "tools/benchlib.h"

int bench_lambda_warm(struct bench_lambda *b, int port, int n, const char *id)
{
	double *t_nb = calloc((size_t)n, sizeof(double)), *t_ka = calloc((size_t)n, sizeof(double));
	double *t_fr = calloc((size_t)n, sizeof(double));
	CURL *ka = bench_lambda_port_handle(port, false),
	     *fr = bench_lambda_port_handle(port, true);
	char ans[256], id2[13];
	int got = 0, ret = -1, port2;
	long served0 = 0, served1 = 0;

	if (!t_nb || !t_ka || !t_fr || !ka || !fr)
		goto out;
	if (bench_lambda_warm_ctr(b, id2, &port2, &served0) < 0)
		goto out;
	/* Warm-up: a tenth of the rounds, at least 10. */
	for (int i = 0; i < (n / 10 > 10 ? n / 10 : 10); i++)
		if (bench_fn_invoke(b->invoke, ans, sizeof(ans)) < 0 || bench_lambda_post(ka) < 0 ||
		    bench_lambda_post(fr) < 0)
			goto out;
	if (bench_lambda_warm_ctr(b, id2, &port2, &served0) < 0)
		goto out;
	for (int i = 0; i < n; i++) {
		double t0 = bench_lambda_now(), t1, t2, t3;
		int len = bench_fn_invoke(b->invoke, ans, sizeof(ans));

		t1 = bench_lambda_now();
		if (!bench_lambda_answered(b, len, ans, "invoke") || bench_lambda_post(ka) < 0)
			goto out;
		t2 = bench_lambda_now();
		if (bench_lambda_post(fr) < 0)
			goto out;
		t3 = bench_lambda_now();
		t_nb[got] = (t1 - t0) * 1e3;
		t_ka[got] = (t2 - t1) * 1e3;
		t_fr[got] = (t3 - t2) * 1e3;
		got++;
	}
	/* Every invocation through the mount went to the container measured
	 * with curl: the same one, and its served count grew by n. */
	if (bench_lambda_warm_ctr(b, id2, &port2, &served1) < 0 || strcmp(id, id2) != 0 ||
	    port != port2 || served1 - served0 != n)
		fprintf(stderr,
			"bench_lambda: warning: warm container changed (%s:%d -> %s:%d) or served "
			"%ld, not %d\n",
			id, port, id2, port2, served1 - served0, n);
	printf("warm %.1f %.1f %.1f %.1f %.1f %.1f %d\n", bench_quantile(t_nb, got, 0.5),
	       bench_quantile(t_nb, got, 0.9), bench_quantile(t_ka, got, 0.5),
	       bench_quantile(t_ka, got, 0.9), bench_quantile(t_fr, got, 0.5),
	       bench_quantile(t_fr, got, 0.9), got);
	fflush(stdout);
	ret = 0;
out:
	if (ka)
		curl_easy_cleanup(ka);
	if (fr)
		curl_easy_cleanup(fr);
	free(t_nb);
	free(t_ka);
	free(t_fr);
	return ret;
}

int bench_lambda_tput(struct bench_lambda *b, int port, int n)
{
	CURL *ka = bench_lambda_port_handle(port, false);
	double t0, nb_s, curl_s;
	int ret = -1;

	if (!ka)
		return -1;
	t0 = bench_lambda_now();
	for (int i = 0; i < n; i++)
		if (!bench_lambda_invoke(b, "invoke"))
			goto out;
	nb_s = (bench_lambda_now() - t0) / 1e3;
	/* Connect outside the timed loop, as nimbusfs's connection is. */
	if (bench_lambda_post(ka) < 0)
		goto out;
	t0 = bench_lambda_now();
	for (int i = 0; i < n; i++)
		if (bench_lambda_post(ka) < 0)
			goto out;
	curl_s = (bench_lambda_now() - t0) / 1e3;
	printf("tput %d %.0f %.0f\n", n, n / nb_s, n / curl_s);
	fflush(stdout);
	ret = 0;
out:
	curl_easy_cleanup(ka);
	return ret;
}
