/*
 * backend/lambda/fnconfig.c - the function configuration model: Lambda's
 * runtimes, a configuration's life (init, copy, free, layers), whether it
 * can run, and the warm container fingerprint. Validators are in
 * fnconfig_check.c, the one-value files in fnconfig_field.c, dotenv in
 * fnconfig_env.c, JSON in fnconfig_json.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "backend/lambda/fnconfig.h"
#include "backend/lambda/fnconfig_i.h"

/*
 * Lambda's runtimes (AWS Lambda Developer Guide, "Lambda runtimes"). A
 * supported one maps to its AWS base image; a deprecated one, which AWS no
 * longer lets a function be created or updated with, names the runtime AWS
 * recommends instead. "provided" runtimes are OS-only: the package brings
 * its own bootstrap.
 */
struct runtime {
	const char *id;
	const char *image;     /* NULL: deprecated */
	const char *successor; /* deprecated ones */
	bool provided;
};

static const struct runtime runtimes[] = {
	{ "nodejs24.x", "public.ecr.aws/lambda/nodejs:24", NULL, false },
	{ "nodejs22.x", "public.ecr.aws/lambda/nodejs:22", NULL, false },
	{ "nodejs20.x", "public.ecr.aws/lambda/nodejs:20", NULL, false },
	{ "nodejs18.x", "public.ecr.aws/lambda/nodejs:18", NULL, false },
	{ "python3.14", "public.ecr.aws/lambda/python:3.14", NULL, false },
	{ "python3.13", "public.ecr.aws/lambda/python:3.13", NULL, false },
	{ "python3.12", "public.ecr.aws/lambda/python:3.12", NULL, false },
	{ "python3.11", "public.ecr.aws/lambda/python:3.11", NULL, false },
	{ "python3.10", "public.ecr.aws/lambda/python:3.10", NULL, false },
	{ "python3.9", "public.ecr.aws/lambda/python:3.9", NULL, false },
	{ "java25", "public.ecr.aws/lambda/java:25", NULL, false },
	{ "java21", "public.ecr.aws/lambda/java:21", NULL, false },
	{ "java17", "public.ecr.aws/lambda/java:17", NULL, false },
	{ "java11", "public.ecr.aws/lambda/java:11", NULL, false },
	{ "java8.al2", "public.ecr.aws/lambda/java:8.al2", NULL, false },
	{ "dotnet10", "public.ecr.aws/lambda/dotnet:10", NULL, false },
	{ "dotnet8", "public.ecr.aws/lambda/dotnet:8", NULL, false },
	{ "ruby3.4", "public.ecr.aws/lambda/ruby:3.4", NULL, false },
	{ "ruby3.3", "public.ecr.aws/lambda/ruby:3.3", NULL, false },
	{ "ruby3.2", "public.ecr.aws/lambda/ruby:3.2", NULL, false },
	{ "provided.al2023", "public.ecr.aws/lambda/provided:al2023", NULL, true },
	{ "provided.al2", "public.ecr.aws/lambda/provided:al2", NULL, true },
	/* deprecated: creating or updating a function with them fails on AWS */
	{ "nodejs16.x", NULL, "nodejs22.x", false },
	{ "nodejs14.x", NULL, "nodejs22.x", false },
	{ "nodejs12.x", NULL, "nodejs22.x", false },
	{ "nodejs10.x", NULL, "nodejs22.x", false },
	{ "nodejs8.10", NULL, "nodejs22.x", false },
	{ "nodejs6.10", NULL, "nodejs22.x", false },
	{ "nodejs4.3", NULL, "nodejs22.x", false },
	{ "nodejs4.3-edge", NULL, "nodejs22.x", false },
	{ "nodejs", NULL, "nodejs22.x", false },
	{ "python3.8", NULL, "python3.13", false },
	{ "python3.7", NULL, "python3.13", false },
	{ "python3.6", NULL, "python3.13", false },
	{ "python2.7", NULL, "python3.13", false },
	{ "java8", NULL, "java8.al2", false },
	{ "dotnet6", NULL, "dotnet8", false },
	{ "dotnetcore3.1", NULL, "dotnet8", false },
	{ "dotnetcore2.1", NULL, "dotnet8", false },
	{ "dotnetcore2.0", NULL, "dotnet8", false },
	{ "dotnetcore1.0", NULL, "dotnet8", false },
	{ "ruby2.7", NULL, "ruby3.3", false },
	{ "ruby2.5", NULL, "ruby3.3", false },
	{ "go1.x", NULL, "provided.al2023", false },
	{ "provided", NULL, "provided.al2023", true },
};

#define N_RUNTIMES (sizeof(runtimes) / sizeof(runtimes[0]))

static const struct runtime *runtime_find(const char *id)
{
	for (size_t i = 0; id && i < N_RUNTIMES; i++)
		if (strcmp(runtimes[i].id, id) == 0)
			return &runtimes[i];
	return NULL;
}

const char *lambda_runtime_image(const char *runtime)
{
	const struct runtime *r = runtime_find(runtime);

	return r ? r->image : NULL;
}

bool lambda_runtime_is_provided(const char *runtime)
{
	const struct runtime *r = runtime_find(runtime);

	return r && r->provided;
}

bool lambda_runtime_known(const char *runtime)
{
	return runtime_find(runtime) != NULL;
}

int lambda_runtime_valid(const char *runtime, struct nb_err *err)
{
	const struct runtime *r = runtime_find(runtime);
	char constraint[700] = "Member must satisfy enum value set: [";
	size_t n = strlen(constraint);

	if (r && r->image)
		return 0;
	if (r)
		return nb_err_set(err, -EINVAL,
				  "The runtime parameter of %s is no longer supported for "
				  "creating or updating AWS Lambda functions. We recommend you "
				  "use the new runtime (%s) while creating or updating functions.",
				  r->id, r->successor);
	for (size_t i = 0; i < N_RUNTIMES && runtimes[i].image; i++)
		n += (size_t)snprintf(constraint + n, sizeof(constraint) - n, "%s%s", i ? ", " : "",
				      runtimes[i].id);
	snprintf(constraint + n, sizeof(constraint) - n, "]");
	return fnc_constraint(err, "runtime", runtime ? runtime : "", constraint);
}

/* the model */

void lambda_config_init(struct lambda_config *c, const char *name)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name ? name : "");
	c->timeout = LAMBDA_TIMEOUT_DEFAULT;
	c->memory_mb = LAMBDA_MEMORY_DEFAULT;
	c->ephemeral_mb = LAMBDA_EPHEMERAL_DEFAULT;
	c->reserved_concurrency = LAMBDA_CONCURRENCY_DEFAULT;
	snprintf(c->architecture, sizeof(c->architecture), "x86_64");
}

static void layers_free(struct lambda_config_layer *layers, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(layers[i].name);
	free(layers);
}

void lambda_config_free(struct lambda_config *c)
{
	if (!c)
		return;
	lambda_env_free(c->env, c->n_env);
	layers_free(c->layers, c->n_layers);
	lambda_config_init(c, "");
}

static int layers_copy(struct lambda_config_layer **out, const struct lambda_config_layer *src,
		       size_t n)
{
	struct lambda_config_layer *l = n ? calloc(n, sizeof(*l)) : NULL;

	*out = NULL;
	if (n && !l)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		l[i] = src[i];
		l[i].name = strdup(src[i].name ? src[i].name : "");
		if (!l[i].name) {
			layers_free(l, i);
			return -ENOMEM;
		}
	}
	*out = l;
	return 0;
}

int lambda_config_copy(struct lambda_config *dst, const struct lambda_config *src)
{
	*dst = *src;
	dst->env = NULL;
	dst->n_env = 0;
	dst->layers = NULL;
	dst->n_layers = 0;
	if (fnc_env_copy(&dst->env, &dst->n_env, src->env, src->n_env) < 0 ||
	    layers_copy(&dst->layers, src->layers, src->n_layers) < 0) {
		lambda_config_free(dst);
		return -ENOMEM;
	}
	dst->n_layers = src->n_layers;
	return 0;
}

int lambda_config_set_layers(struct lambda_config *c, const struct lambda_config_layer *layers,
			     size_t n)
{
	struct lambda_config_layer *copy;

	if (layers_copy(&copy, layers, n) < 0)
		return -ENOMEM;
	layers_free(c->layers, c->n_layers);
	c->layers = copy;
	c->n_layers = n;
	return 0;
}

const char *lambda_config_package_type(const struct lambda_config *c)
{
	return c->image[0] ? "Image" : "Zip";
}

int lambda_config_runnable(const struct lambda_config *c, struct nb_err *err)
{
	if (c->image[0])
		return 0;
	if (!c->runtime[0])
		return nb_err_set(err, -EINVAL,
				  "the function has no runtime: write one to `runtime` (e.g. "
				  "python3.12) or an image to `image`");
	if (!c->handler[0] && !lambda_runtime_is_provided(c->runtime))
		return nb_err_set(err, -EINVAL,
				  "the function has no handler: write one to `handler` (e.g. "
				  "lambda_function.lambda_handler)");
	return 0;
}

int lambda_name_valid(const char *name, struct nb_err *err)
{
	size_t n = name ? strlen(name) : 0;

	if (n < 1)
		return fnc_constraint(err, "functionName", "",
				      "Member must have length greater than or equal to 1");
	if (n > LAMBDA_FUNCTION_NAME_MAX)
		return fnc_constraint(err, "functionName", name,
				      "Member must have length less than or equal to 64");
	if (strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != n)
		return fnc_constraint(err, "functionName", name,
				      "Member must satisfy regular expression pattern: "
				      "[a-zA-Z0-9-_]+");
	return 0;
}

/* fingerprint */

static void feed(EVP_MD_CTX *md, const char *tag, const void *data, size_t len, bool *ok)
{
	uint64_t n = len;

	*ok = *ok && EVP_DigestUpdate(md, tag, strlen(tag) + 1) &&
	      EVP_DigestUpdate(md, &n, sizeof(n)) && (len == 0 || EVP_DigestUpdate(md, data, len));
}

static void feed_str(EVP_MD_CTX *md, const char *tag, const char *s, bool *ok)
{
	feed(md, tag, s ? s : "", s ? strlen(s) : 0, ok);
}

static void feed_int(EVP_MD_CTX *md, const char *tag, long long v, bool *ok)
{
	char text[32];

	feed(md, tag, text, (size_t)snprintf(text, sizeof(text), "%lld", v), ok);
}

int lambda_config_fingerprint(const struct lambda_config *c, char out[65])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	const char *prev = NULL;
	bool ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL);

	out[0] = '\0';
	feed_str(md, "fnconfig-v1", "", &ok);
	feed_str(md, "runtime", c->runtime, &ok);
	feed_str(md, "handler", c->handler, &ok);
	feed_str(md, "image", c->image, &ok);
	feed_str(md, "architecture", c->architecture, &ok);
	feed_int(md, "timeout", c->timeout, &ok);
	feed_int(md, "memory", c->memory_mb, &ok);
	feed_int(md, "ephemeral", c->ephemeral_mb, &ok);
	feed_str(md, "code_sha256", c->code_sha256, &ok);
	/* Variables in key order, so reordering the file keeps containers;
	 * keys are unique. */
	feed_int(md, "env", (long long)c->n_env, &ok);
	for (size_t k = 0; k < c->n_env; k++) {
		const struct lambda_env_var *next = NULL;

		for (size_t i = 0; i < c->n_env; i++)
			if ((!prev || strcmp(c->env[i].key, prev) > 0) &&
			    (!next || strcmp(c->env[i].key, next->key) < 0))
				next = &c->env[i];
		if (!next)
			break;
		feed_str(md, "key", next->key, &ok);
		feed_str(md, "value", next->value, &ok);
		prev = next->key;
	}
	feed_int(md, "layers", (long long)c->n_layers, &ok);
	for (size_t i = 0; i < c->n_layers; i++) {
		feed_str(md, "layer", c->layers[i].name, &ok);
		feed_str(md, "layer_sha256", c->layers[i].code_sha256, &ok);
		feed_int(md, "layer_size", (long long)c->layers[i].code_size, &ok);
	}
	ok = ok && EVP_DigestFinal_ex(md, digest, &dlen) && dlen == 32;
	EVP_MD_CTX_free(md);
	if (!ok)
		return -ENOMEM;
	for (unsigned int i = 0; i < dlen; i++)
		snprintf(out + 2 * i, 3, "%02x", digest[i]);
	return 0;
}
