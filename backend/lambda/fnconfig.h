/*
 * backend/lambda/fnconfig.h - a Lambda function's configuration: the model,
 * its validation against Lambda's own limits, the one-value files
 * (runtime, handler, timeout, ...), the dotenv `environment` file,
 * GetFunctionConfiguration's JSON and the JSON the service persists.
 *
 * Errors are a negative errno with the reason in struct nb_err, worded as
 * AWS words it where AWS has wording ("1 validation error detected: Value
 * '901' at 'timeout' failed to satisfy constraint: Member must have value
 * less than or equal to 900"): -EINVAL a bad value, -EFBIG over a size
 * limit, -ENOMEM. A setter or apply that fails changes nothing.
 * Pure functions: no locks, no I/O, never block.
 */
#ifndef NB_LAMBDA_FNCONFIG_H
#define NB_LAMBDA_FNCONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <cjson/cJSON.h>

#include "backend/common/buf.h"
#include "backend/common/err.h"

/* FunctionName: [A-Za-z0-9_-]{1,64}. (Not LAMBDA_NAME_MAX: package.h uses
 * that name for zip entry names.) */
#define LAMBDA_FUNCTION_NAME_MAX 64
#define LAMBDA_HANDLER_MAX	 128
#define LAMBDA_DESCRIPTION_MAX	 256
#define LAMBDA_IMAGE_MAX	 255
#define LAMBDA_ROLE_MAX		 639
#define LAMBDA_TIMEOUT_MIN	 1
#define LAMBDA_TIMEOUT_MAX	 900
#define LAMBDA_TIMEOUT_DEFAULT	 3
#define LAMBDA_MEMORY_MIN	 128
#define LAMBDA_MEMORY_MAX	 10240
#define LAMBDA_MEMORY_DEFAULT	 128
#define LAMBDA_EPHEMERAL_MIN	 512
#define LAMBDA_EPHEMERAL_MAX	 10240
#define LAMBDA_EPHEMERAL_DEFAULT 512
/* nimbusfs's cap on a function's warm containers; 0 throttles every
 * invoke, as a reserved concurrency of 0 does on AWS. */
#define LAMBDA_CONCURRENCY_MIN	   0
#define LAMBDA_CONCURRENCY_MAX	   1000
#define LAMBDA_CONCURRENCY_DEFAULT 10
/* Environment: the sum of every key's and value's bytes. */
#define LAMBDA_ENV_MAX 4096
/* A role for functions that were given none (rendered with the account). */
#define LAMBDA_DEFAULT_ROLE_NAME "nimbusfs-lambda"

struct lambda_env_var {
	char *key;
	char *value;
};

/* A layer as config.json shows it (the service fills these). */
struct lambda_config_layer {
	char *name;	      /* "01-deps.zip"; the ARN uses "01-deps" */
	uint64_t code_size;   /* zipped bytes */
	char code_sha256[45]; /* base64, "" when unknown */
};

struct lambda_config {
	char name[LAMBDA_FUNCTION_NAME_MAX + 1];
	char runtime[32];		      /* "" until set */
	char handler[LAMBDA_HANDLER_MAX + 1]; /* "" until set */
	char description[LAMBDA_DESCRIPTION_MAX + 1];
	char role[LAMBDA_ROLE_MAX + 1]; /* "" renders the default role */
	int timeout;			/* seconds */
	int memory_mb;
	int ephemeral_mb;
	int reserved_concurrency;
	char image[LAMBDA_IMAGE_MAX + 1]; /* PackageType Image when not "" */
	char architecture[16];		  /* "x86_64" or "arm64" */
	struct lambda_env_var *env;	  /* in the order first written */
	size_t n_env;
	/* filled by the service, rendered in config.json: */
	char code_sha256[45]; /* base64, as Lambda's CodeSha256 */
	uint64_t code_size;
	struct timespec last_modified; /* CLOCK_REALTIME */
	char state[16];		       /* "" omits State */
	char state_reason[256];
	char state_reason_code[64];
	struct lambda_config_layer *layers;
	size_t n_layers;
};

/* The one-value files. */
enum lambda_field {
	LAMBDA_FIELD_RUNTIME,
	LAMBDA_FIELD_HANDLER,
	LAMBDA_FIELD_TIMEOUT,
	LAMBDA_FIELD_MEMORY,
	LAMBDA_FIELD_EPHEMERAL,
	LAMBDA_FIELD_ENVIRONMENT,
	LAMBDA_FIELD_CONCURRENCY,
	LAMBDA_FIELD_IMAGE,
	LAMBDA_FIELD_DESCRIPTION,
	LAMBDA_FIELD_ARCHITECTURE,
};

/* Defaults: timeout 3, memory 128, ephemeral 512, concurrency 10, x86_64,
 * Zip with no runtime or handler yet, no environment. name is copied as
 * is (truncated to 64 bytes); check it with lambda_name_valid() first. */
void lambda_config_init(struct lambda_config *c, const char *name);
/* Frees env and layers; c is left as lambda_config_init(c, "") leaves it. */
void lambda_config_free(struct lambda_config *c);
/* dst need not be initialised; on -ENOMEM it is left empty (freeable). */
int lambda_config_copy(struct lambda_config *dst, const struct lambda_config *src);

/* "Zip" or "Image". */
const char *lambda_config_package_type(const struct lambda_config *c);
/* Whether c can be invoked: Zip needs a runtime, and a handler unless the
 * runtime is OS-only; Image needs an image. 0 or -EINVAL naming what is
 * missing. */
int lambda_config_runnable(const struct lambda_config *c, struct nb_err *err);

/* FunctionName: [A-Za-z0-9_-]{1,64}. 0 or -EINVAL. */
int lambda_name_valid(const char *name, struct nb_err *err);

/* Runtimes. lambda_runtime_image: AWS's base image for a supported
 * runtime, NULL when unknown or deprecated. lambda_runtime_valid: 0, or
 * -EINVAL for a deprecated runtime (AWS's "no longer supported" message,
 * naming its successor) or an unknown one (listing the supported ones). */
const char *lambda_runtime_image(const char *runtime);
bool lambda_runtime_is_provided(const char *runtime);
int lambda_runtime_valid(const char *runtime, struct nb_err *err);
/* Whether runtime is known at all, supported or deprecated (a persisted
 * config keeps a runtime that was deprecated after it was set). */
bool lambda_runtime_known(const char *runtime);

/*
 * Setters for the one-value files. text is what was written (len bytes,
 * as `echo` writes it: surrounding whitespace and the trailing newline are
 * dropped); each validates fully before changing c. Empty is an error
 * except for description (empty clears it) and environment (empty clears
 * every variable).
 */
int lambda_config_set_runtime(struct lambda_config *c, const char *text, size_t len,
			      struct nb_err *err);
int lambda_config_set_handler(struct lambda_config *c, const char *text, size_t len,
			      struct nb_err *err);
int lambda_config_set_timeout(struct lambda_config *c, const char *text, size_t len,
			      struct nb_err *err);
int lambda_config_set_memory(struct lambda_config *c, const char *text, size_t len,
			     struct nb_err *err);
int lambda_config_set_ephemeral(struct lambda_config *c, const char *text, size_t len,
				struct nb_err *err);
int lambda_config_set_concurrency(struct lambda_config *c, const char *text, size_t len,
				  struct nb_err *err);
/* Makes the function PackageType Image (a Docker image reference). */
int lambda_config_set_image(struct lambda_config *c, const char *text, size_t len,
			    struct nb_err *err);
int lambda_config_set_description(struct lambda_config *c, const char *text, size_t len,
				  struct nb_err *err);
int lambda_config_set_architecture(struct lambda_config *c, const char *text, size_t len,
				   struct nb_err *err);
/* Parses text as dotenv (lambda_env_parse) and replaces the whole set. */
int lambda_config_set_env(struct lambda_config *c, const char *text, size_t len,
			  struct nb_err *err);
/* Dispatches to the setter of f. */
int lambda_config_set_field(struct lambda_config *c, enum lambda_field f, const char *text,
			    size_t len, struct nb_err *err);
/* Appends a one-value file's content: the value and "\n"; nothing when a
 * string field is unset (runtime, handler, image of a Zip function,
 * description). The environment renders as lambda_env_render(). */
int lambda_config_render_field(const struct lambda_config *c, enum lambda_field f,
			       struct nb_buf *out);

/*
 * Environment as dotenv: KEY=VALUE per line; blank lines and lines whose
 * first non-blank is '#' skipped; an optional "export " prefix; values
 * unquoted (an inline comment starts at a '#' after a blank; surrounding
 * blanks dropped), 'single-quoted' (literal) or "double-quoted" (\n \r \t
 * \" \\ escapes); quoted values may span lines. A later duplicate key
 * replaces the earlier value in place. Keys match [a-zA-Z]([a-zA-Z0-9_])+;
 * Lambda's reserved keys are refused; the sum of key and value bytes may be
 * at most LAMBDA_ENV_MAX (-EFBIG beyond). -EINVAL names the line.
 * On success *out (caller frees with lambda_env_free) holds *n variables
 * (*out may be NULL when *n is 0); on error *out is NULL and *n 0.
 */
int lambda_env_parse(const char *text, size_t len, struct lambda_env_var **out, size_t *n,
		     struct nb_err *err);
/* Checks a set built otherwise (keys, reserved keys, size). */
int lambda_env_check(const struct lambda_env_var *vars, size_t n, struct nb_err *err);
/* Appends KEY=VALUE lines that lambda_env_parse reads back identically. */
int lambda_env_render(const struct lambda_env_var *vars, size_t n, struct nb_buf *out);
void lambda_env_free(struct lambda_env_var *vars, size_t n);

/*
 * GetFunctionConfiguration's JSON, pretty-printed and newline-terminated,
 * keys in AWS's order: FunctionName, FunctionArn, Runtime, Role, Handler,
 * CodeSize, Description, Timeout, MemorySize, LastModified, CodeSha256,
 * Version, Environment (when not empty), TracingConfig, Layers (when any),
 * State, StateReason, StateReasonCode (each when set), PackageType,
 * Architectures, EphemeralStorage, LoggingConfig. Runtime and Handler are
 * left out for PackageType Image, as AWS leaves them out.
 */
int lambda_config_render_json(const struct lambda_config *c, const char *region,
			      const char *account, struct nb_buf *out);

/*
 * Applies a write to config.json: a CreateFunction or
 * UpdateFunctionConfiguration request body, or GetFunctionConfiguration's
 * output as rendered above (read-only fields are accepted when they still
 * hold what they say, ignored when they can drift, like LastModified and
 * State). Fields AWS has and nimbusfs does not implement (VpcConfig, Tags,
 * ...) are accepted only when empty. Validated into a copy, then swapped:
 * on error c is unchanged. -EINVAL naming the field (unknown fields with
 * the AWS CLI's "Unknown parameter in input" wording, wrong types with its
 * "Invalid type for parameter" wording, invalid JSON with line and column),
 * -EFBIG environment over 4 KB, -ENOMEM.
 */
int lambda_config_apply_json(struct lambda_config *c, const char *text, size_t len,
			     struct nb_err *err);

/* Persistence: every field round-trips. *out is the caller's. from_json
 * validates everything (a state file may have been edited by hand); c need
 * not be initialised and must be freed on success; on error it is left
 * empty (freeable). */
int lambda_config_to_json(const struct lambda_config *c, cJSON **out);
int lambda_config_from_json(struct lambda_config *c, const cJSON *j, struct nb_err *err);

/*
 * A hex SHA-256 over what a warm container runs: runtime, handler, image,
 * architecture, timeout, memory, ephemeral storage, environment (in key
 * order), code_sha256 and the layers' names and hashes; not the
 * description, role, concurrency or state. Returns 0, or -ENOMEM with out
 * set to "".
 */
int lambda_config_fingerprint(const struct lambda_config *c, char out[65]);

/* Layers, for the service: replaces c's layers with n copies. */
int lambda_config_set_layers(struct lambda_config *c, const struct lambda_config_layer *layers,
			     size_t n);

#endif
