/*
 * backend/ec2/ec2types.c - the instance type table: vCPUs and MiB as AWS's
 * instance type pages and DescribeInstanceTypes list them.
 */
#include <string.h>

#include "backend/ec2/ec2types.h"

#define X86 EC2_ARCH_X86_64
#define ARM EC2_ARCH_ARM64

/* clang-format off */
static const struct ec2_type types[] = {
	/* t2 */
	{ "t2.nano", 1, 512, X86 },
	{ "t2.micro", 1, 1024, X86 },
	{ "t2.small", 1, 2048, X86 },
	{ "t2.medium", 2, 4096, X86 },
	{ "t2.large", 2, 8192, X86 },
	{ "t2.xlarge", 4, 16384, X86 },
	{ "t2.2xlarge", 8, 32768, X86 },
	/* t3 */
	{ "t3.nano", 2, 512, X86 },
	{ "t3.micro", 2, 1024, X86 },
	{ "t3.small", 2, 2048, X86 },
	{ "t3.medium", 2, 4096, X86 },
	{ "t3.large", 2, 8192, X86 },
	{ "t3.xlarge", 4, 16384, X86 },
	{ "t3.2xlarge", 8, 32768, X86 },
	/* t3a */
	{ "t3a.nano", 2, 512, X86 },
	{ "t3a.micro", 2, 1024, X86 },
	{ "t3a.small", 2, 2048, X86 },
	{ "t3a.medium", 2, 4096, X86 },
	{ "t3a.large", 2, 8192, X86 },
	{ "t3a.xlarge", 4, 16384, X86 },
	{ "t3a.2xlarge", 8, 32768, X86 },
	/* t4g */
	{ "t4g.nano", 2, 512, ARM },
	{ "t4g.micro", 2, 1024, ARM },
	{ "t4g.small", 2, 2048, ARM },
	{ "t4g.medium", 2, 4096, ARM },
	{ "t4g.large", 2, 8192, ARM },
	{ "t4g.xlarge", 4, 16384, ARM },
	{ "t4g.2xlarge", 8, 32768, ARM },
	/* m5 */
	{ "m5.large", 2, 8192, X86 },
	{ "m5.xlarge", 4, 16384, X86 },
	{ "m5.2xlarge", 8, 32768, X86 },
	{ "m5.4xlarge", 16, 65536, X86 },
	{ "m5.8xlarge", 32, 131072, X86 },
	{ "m5.12xlarge", 48, 196608, X86 },
	{ "m5.16xlarge", 64, 262144, X86 },
	{ "m5.24xlarge", 96, 393216, X86 },
	{ "m5.metal", 96, 393216, X86 },
	/* m6i */
	{ "m6i.large", 2, 8192, X86 },
	{ "m6i.xlarge", 4, 16384, X86 },
	{ "m6i.2xlarge", 8, 32768, X86 },
	{ "m6i.4xlarge", 16, 65536, X86 },
	{ "m6i.8xlarge", 32, 131072, X86 },
	{ "m6i.12xlarge", 48, 196608, X86 },
	{ "m6i.16xlarge", 64, 262144, X86 },
	{ "m6i.24xlarge", 96, 393216, X86 },
	{ "m6i.32xlarge", 128, 524288, X86 },
	{ "m6i.metal", 128, 524288, X86 },
	/* m6g */
	{ "m6g.medium", 1, 4096, ARM },
	{ "m6g.large", 2, 8192, ARM },
	{ "m6g.xlarge", 4, 16384, ARM },
	{ "m6g.2xlarge", 8, 32768, ARM },
	{ "m6g.4xlarge", 16, 65536, ARM },
	{ "m6g.8xlarge", 32, 131072, ARM },
	{ "m6g.12xlarge", 48, 196608, ARM },
	{ "m6g.16xlarge", 64, 262144, ARM },
	{ "m6g.metal", 64, 262144, ARM },
	/* m7g */
	{ "m7g.medium", 1, 4096, ARM },
	{ "m7g.large", 2, 8192, ARM },
	{ "m7g.xlarge", 4, 16384, ARM },
	{ "m7g.2xlarge", 8, 32768, ARM },
	{ "m7g.4xlarge", 16, 65536, ARM },
	{ "m7g.8xlarge", 32, 131072, ARM },
	{ "m7g.12xlarge", 48, 196608, ARM },
	{ "m7g.16xlarge", 64, 262144, ARM },
	{ "m7g.metal", 64, 262144, ARM },
	/* c5 */
	{ "c5.large", 2, 4096, X86 },
	{ "c5.xlarge", 4, 8192, X86 },
	{ "c5.2xlarge", 8, 16384, X86 },
	{ "c5.4xlarge", 16, 32768, X86 },
	{ "c5.9xlarge", 36, 73728, X86 },
	{ "c5.12xlarge", 48, 98304, X86 },
	{ "c5.18xlarge", 72, 147456, X86 },
	{ "c5.24xlarge", 96, 196608, X86 },
	{ "c5.metal", 96, 196608, X86 },
	/* c6i */
	{ "c6i.large", 2, 4096, X86 },
	{ "c6i.xlarge", 4, 8192, X86 },
	{ "c6i.2xlarge", 8, 16384, X86 },
	{ "c6i.4xlarge", 16, 32768, X86 },
	{ "c6i.8xlarge", 32, 65536, X86 },
	{ "c6i.12xlarge", 48, 98304, X86 },
	{ "c6i.16xlarge", 64, 131072, X86 },
	{ "c6i.24xlarge", 96, 196608, X86 },
	{ "c6i.32xlarge", 128, 262144, X86 },
	{ "c6i.metal", 128, 262144, X86 },
	/* c6g */
	{ "c6g.medium", 1, 2048, ARM },
	{ "c6g.large", 2, 4096, ARM },
	{ "c6g.xlarge", 4, 8192, ARM },
	{ "c6g.2xlarge", 8, 16384, ARM },
	{ "c6g.4xlarge", 16, 32768, ARM },
	{ "c6g.8xlarge", 32, 65536, ARM },
	{ "c6g.12xlarge", 48, 98304, ARM },
	{ "c6g.16xlarge", 64, 131072, ARM },
	{ "c6g.metal", 64, 131072, ARM },
	/* c7g */
	{ "c7g.medium", 1, 2048, ARM },
	{ "c7g.large", 2, 4096, ARM },
	{ "c7g.xlarge", 4, 8192, ARM },
	{ "c7g.2xlarge", 8, 16384, ARM },
	{ "c7g.4xlarge", 16, 32768, ARM },
	{ "c7g.8xlarge", 32, 65536, ARM },
	{ "c7g.12xlarge", 48, 98304, ARM },
	{ "c7g.16xlarge", 64, 131072, ARM },
	{ "c7g.metal", 64, 131072, ARM },
	/* r5 */
	{ "r5.large", 2, 16384, X86 },
	{ "r5.xlarge", 4, 32768, X86 },
	{ "r5.2xlarge", 8, 65536, X86 },
	{ "r5.4xlarge", 16, 131072, X86 },
	{ "r5.8xlarge", 32, 262144, X86 },
	{ "r5.12xlarge", 48, 393216, X86 },
	{ "r5.16xlarge", 64, 524288, X86 },
	{ "r5.24xlarge", 96, 786432, X86 },
	{ "r5.metal", 96, 786432, X86 },
	/* r6i */
	{ "r6i.large", 2, 16384, X86 },
	{ "r6i.xlarge", 4, 32768, X86 },
	{ "r6i.2xlarge", 8, 65536, X86 },
	{ "r6i.4xlarge", 16, 131072, X86 },
	{ "r6i.8xlarge", 32, 262144, X86 },
	{ "r6i.12xlarge", 48, 393216, X86 },
	{ "r6i.16xlarge", 64, 524288, X86 },
	{ "r6i.24xlarge", 96, 786432, X86 },
	{ "r6i.32xlarge", 128, 1048576, X86 },
	{ "r6i.metal", 128, 1048576, X86 },
	/* r6g */
	{ "r6g.medium", 1, 8192, ARM },
	{ "r6g.large", 2, 16384, ARM },
	{ "r6g.xlarge", 4, 32768, ARM },
	{ "r6g.2xlarge", 8, 65536, ARM },
	{ "r6g.4xlarge", 16, 131072, ARM },
	{ "r6g.8xlarge", 32, 262144, ARM },
	{ "r6g.12xlarge", 48, 393216, ARM },
	{ "r6g.16xlarge", 64, 524288, ARM },
	{ "r6g.metal", 64, 524288, ARM },
	/* r7g */
	{ "r7g.medium", 1, 8192, ARM },
	{ "r7g.large", 2, 16384, ARM },
	{ "r7g.xlarge", 4, 32768, ARM },
	{ "r7g.2xlarge", 8, 65536, ARM },
	{ "r7g.4xlarge", 16, 131072, ARM },
	{ "r7g.8xlarge", 32, 262144, ARM },
	{ "r7g.12xlarge", 48, 393216, ARM },
	{ "r7g.16xlarge", 64, 524288, ARM },
	{ "r7g.metal", 64, 524288, ARM },
};
/* clang-format on */

#define N_TYPES (sizeof(types) / sizeof(types[0]))

const struct ec2_type *ec2_type_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < N_TYPES; i++)
		if (strcmp(types[i].name, name) == 0)
			return &types[i];
	return NULL;
}

const struct ec2_type *ec2_type_default(void)
{
	const struct ec2_type *t = ec2_type_find(EC2_DEFAULT_TYPE);

	return t ? t : &types[0];
}

size_t ec2_type_count(void)
{
	return N_TYPES;
}

const struct ec2_type *ec2_type_at(size_t i)
{
	return i < N_TYPES ? &types[i] : NULL;
}
