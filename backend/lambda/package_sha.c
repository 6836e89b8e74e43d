/*
 * backend/lambda/package_sha.c - Lambda's CodeSha256 of a package, and the
 * same digest in hex for fingerprints.
 */
#include <stdio.h>

#include <openssl/evp.h>

#include "backend/lambda/package.h"

void lambda_pkg_sha256_b64(const void *data, size_t len, char out[LAMBDA_SHA256_B64_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;

	if (!EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL) || md_len != 32) {
		out[0] = '\0'; /* only when libcrypto cannot allocate */
		return;
	}
	EVP_EncodeBlock((unsigned char *)out, md, 32);
}

void lambda_pkg_sha256_hex(const void *data, size_t len, char out[LAMBDA_SHA256_HEX_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;

	out[0] = '\0';
	if (!EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL) || md_len != 32)
		return;
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}
