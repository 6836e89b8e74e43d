/*
 * backend/ec2/ec2types.h - the EC2 instance types nimbusfs knows: their
 * vCPUs and memory as AWS publishes them, and their architecture. An
 * instance's container gets the type's vCPUs and memory as its limits.
 *
 * The table holds the burstable families (t2, t3, t3a, t4g) and the common
 * general purpose (m5, m6i, m6g, m7g), compute optimised (c5, c6i, c6g, c7g)
 * and memory optimised (r5, r6i, r6g, r7g) families, every size AWS sells
 * including metal. Pure data: no locks, no I/O.
 */
#ifndef NB_EC2_TYPES_H
#define NB_EC2_TYPES_H

#include <stddef.h>

/*
 * The type a RunInstances request without InstanceType gets. AWS's API
 * default is m1.small, a previous-generation type nimbusfs does not list;
 * nimbusfs launches the free-tier t3.micro instead (2 vCPUs, 1 GiB).
 */
#define EC2_DEFAULT_TYPE "t3.micro"

#define EC2_ARCH_X86_64 "x86_64"
#define EC2_ARCH_ARM64	"arm64"

struct ec2_type {
	const char *name;    /* "t3.micro" */
	unsigned vcpus;	     /* as DescribeInstanceTypes' DefaultVCpus */
	unsigned memory_mib; /* as DescribeInstanceTypes' MemoryInfo.SizeInMiB */
	const char *arch;    /* EC2_ARCH_X86_64 or EC2_ARCH_ARM64 */
};

/* The type named exactly name (case-sensitive, as AWS), NULL when unknown
 * or name is NULL. */
const struct ec2_type *ec2_type_find(const char *name);

/* The EC2_DEFAULT_TYPE entry; never NULL. */
const struct ec2_type *ec2_type_default(void);

/* The table, for listings: ec2_type_at(i) for i < ec2_type_count(), in
 * family then size order; NULL past the end. */
size_t ec2_type_count(void);
const struct ec2_type *ec2_type_at(size_t i);

#endif
