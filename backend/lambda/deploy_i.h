/*
 * backend/lambda/deploy_i.h - what deploy.c (code.zip, the recovery at
 * load), deploy_layers.c (layers) and deploy_commit.c (staging and moving
 * a package in) share. Every call here runs with l->deploy held, so one
 * package is processed at a time.
 */
#ifndef NB_LAMBDA_DEPLOY_I_H
#define NB_LAMBDA_DEPLOY_I_H

#include <stdint.h>

#include "backend/lambda/lambda_i.h"

/*
 * Where a package's files go in <state>/lambda/<fn>/: the unpacked tree, its
 * tar and the zip as written. A new package is staged beside them (tree
 * ".new", files ".next") and put in place only once everything is written,
 * so a failure on the way (ENOSPC) leaves the previous package whole.
 */
struct pkg_files {
	char tree[4200]; /* absolute */
	char tar[600];	 /* relative to the service's dir */
	char zip[600];
};

/* deploy_commit.c */
/* The files of a function's code (layer NULL) or of layer "NN-name.zip". */
void lambda_deploy_files(struct lambda *l, const char *name, const char *layer,
			 struct pkg_files *pf);
/* Unpacks (checking everything: a hostile package fails here, within
 * budget) and writes the staged files; what on failure names the file, as
 * "code.zip" or "layers/NN-name.zip", and kept what stays ("code"). */
int lambda_deploy_stage(struct lambda *l, const struct pkg_files *pf, const char *zip, size_t len,
			uint64_t budget, uint64_t *unzipped, const char *what, const char *kept,
			struct nb_err *err);
/* Removes what is staged. */
void lambda_deploy_unstage(struct lambda *l, const struct pkg_files *pf);
/* Moves a committed package in (see the protocol at its definition). */
void lambda_deploy_put(struct lambda *l, const struct pkg_files *pf);
/* At load: finishes or undoes the move of one package. want: the
 * CodeSha256 config.json names, or NULL for a layer. */
void lambda_deploy_recover_one(struct lambda *l, const struct pkg_files *pf, const char *want);

/* deploy.c */
/* The unzipped budget left for a package (layer NULL: the code): 250 MB
 * with the function's other packages. Takes l->lock. */
int lambda_deploy_budget(struct lambda *l, const char *name, const char *layer, uint64_t *budget,
			 struct nb_err *err);

/* deploy_layers.c */
/* Whether layer is a layer's name, NN-name.zip (err may be NULL). */
int lambda_layer_name_valid(const char *layer, struct nb_err *err);

#endif
