/*
 * backend/ec2/netmath.h - the network arithmetic of EC2's VPCs: IPv4
 * addresses and CIDR blocks, the addresses AWS reserves in a subnet, the
 * instance hostname, and resource ids ("i-0123456789abcdef0").
 *
 * Addresses are uint32_t in host byte order (10.1.0.5 is 0x0a010005).
 * Errors are a negative errno with AWS's code and message in struct nb_err
 * as "<Code>: <message>" ("InvalidSubnet.Range: The CIDR '10.0.0.0/8' is
 * invalid."). Pure functions: no locks, no I/O (ec2_id_new reads
 * getrandom), never block.
 */
#ifndef NB_EC2_NETMATH_H
#define NB_EC2_NETMATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/common/err.h"

/* VPC and subnet blocks: AWS allows /16 (65,536 addresses) to /28 (16). */
#define EC2_CIDR_PREFIX_MIN 16
#define EC2_CIDR_PREFIX_MAX 28
/* "255.255.255.255/32" and its NUL. */
#define EC2_CIDR_STRLEN 19
/* "255.255.255.255" and its NUL. */
#define EC2_IP_STRLEN 16
/* AWS reserves the first four addresses of every subnet (network, VPC
 * router, DNS, future use) and the last (broadcast). */
#define EC2_SUBNET_RESERVED_HEAD 4
/* An id: a prefix of at most EC2_ID_PREFIX_MAX bytes, "-", 17 hex. */
#define EC2_ID_MAX	  32
#define EC2_ID_PREFIX_MAX 13
#define EC2_ID_HEX	  17

/* What ec2_ip_next_free's -ENOSPC means, as AWS words it; the argument is
 * the subnet id. */
#define EC2_MSG_SUBNET_FULL                                                                        \
	"InsufficientFreeAddressesInSubnet: There are not enough free addresses in subnet '%s' "   \
	"to satisfy the requested number of instances."

struct ec2_cidr {
	uint32_t addr;	 /* the network address: host bits are zero */
	unsigned prefix; /* EC2_CIDR_PREFIX_MIN..EC2_CIDR_PREFIX_MAX */
};

/*
 * Parses a VPC or subnet block, "a.b.c.d/n": four decimal octets 0-255
 * without leading zeros or signs, and a prefix of 16 to 28, nothing around
 * them. -EINVAL with "InvalidParameterValue: Value (x) for parameter
 * cidrBlock is invalid. This is not a valid CIDR block." for text that is
 * no CIDR, "InvalidSubnet.Range: The CIDR 'x' is invalid." for a prefix
 * out of range or host bits set ("10.1.0.1/24"). out is set only on 0.
 */
int ec2_cidr_parse(const char *text, struct ec2_cidr *out, struct nb_err *err);

/* Whether a and b share an address (one holds the other, as blocks do). */
bool ec2_cidr_overlap(const struct ec2_cidr *a, const struct ec2_cidr *b);

/* Whether ip lies in c. */
bool ec2_cidr_contains(const struct ec2_cidr *c, uint32_t ip);

/* The number of addresses in c, 2^(32 - prefix); 0 for /0 and past /32. */
uint32_t ec2_cidr_size(const struct ec2_cidr *c);

/* Writes "a.b.c.d/n"; returns its length, or -ENOSPC (out holds a
 * truncated string when len > 0). EC2_CIDR_STRLEN bytes always suffice. */
int ec2_cidr_format(const struct ec2_cidr *c, char *out, size_t len);

/* Parses a dotted quad as ec2_cidr_parse parses one. -EINVAL with
 * "InvalidParameterValue: Invalid IPv4 address 'x'." */
int ec2_ip_parse(const char *text, uint32_t *ip, struct nb_err *err);

void ec2_ip_format(uint32_t ip, char out[EC2_IP_STRLEN]);

/* Whether an instance may have ip in c: inside c and none of the five
 * addresses AWS reserves (.0 network, .1 router - Docker's gateway too,
 * .2 DNS, .3 future, and the broadcast address). */
bool ec2_ip_assignable(const struct ec2_cidr *c, uint32_t ip);

/* The lowest assignable address of c that is not in used (n_used
 * addresses in any order; ones outside c are ignored) into *out: 0, or
 * -ENOSPC when every assignable address is taken (EC2_MSG_SUBNET_FULL);
 * -EINVAL for a block larger than /16. */
int ec2_ip_next_free(const struct ec2_cidr *c, const uint32_t *used, size_t n_used, uint32_t *out);

/* The private DNS hostname's first label, "ip-10-1-0-5". */
void ec2_hostname(uint32_t ip, char out[EC2_ID_MAX]);

/* A fresh id: prefix (at most EC2_ID_PREFIX_MAX bytes; longer is cut),
 * "-", and 17 lowercase hex digits from getrandom: "i-0123456789abcdef0",
 * "subnet-...", "vpc-...", "r-...". */
void ec2_id_new(const char *prefix, char out[EC2_ID_MAX]);

/* Whether id is prefix, "-", and 8 (AWS's older ids) or 17 lowercase hex
 * digits. Uppercase hex is refused, as AWS refuses it. */
bool ec2_id_valid(const char *prefix, const char *id);

/* Whether id is an AMI id: "ami-" and 8 or 17 lowercase hex digits. */
bool ec2_ami_valid(const char *id);

#endif
