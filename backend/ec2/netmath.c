/*
 * backend/ec2/netmath.c - IPv4 addresses, CIDR blocks, reserved subnet
 * addresses, hostnames and resource ids.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>

#include "backend/ec2/netmath.h"

static uint32_t mask_of(unsigned prefix)
{
	return prefix == 0 ? 0 : prefix >= 32 ? 0xffffffffu : ~(0xffffffffu >> prefix);
}

/* A decimal number 0..max without sign, leading zeros or more than three
 * digits; advances *p. */
static bool parse_dec(const char **p, unsigned max, unsigned *out)
{
	const char *s = *p;
	unsigned v = 0;
	size_t n = 0;

	while (s[n] >= '0' && s[n] <= '9' && n < 4)
		v = v * 10 + (unsigned)(s[n++] - '0');
	if (n == 0 || n > 3 || (n > 1 && s[0] == '0') || v > max)
		return false;
	*p = s + n;
	*out = v;
	return true;
}

/* a.b.c.d at *p; advances *p past it. */
static bool parse_quad(const char **p, uint32_t *ip)
{
	uint32_t v = 0;
	unsigned octet;

	for (int i = 0; i < 4; i++) {
		if (i > 0 && *(*p)++ != '.')
			return false;
		if (!parse_dec(p, 255, &octet))
			return false;
		v = v << 8 | octet;
	}
	*ip = v;
	return true;
}

int ec2_cidr_parse(const char *text, struct ec2_cidr *out, struct nb_err *err)
{
	const char *p = text ? text : "";
	uint32_t addr;
	unsigned prefix;

	if (!parse_quad(&p, &addr) || *p++ != '/' || !parse_dec(&p, 32, &prefix) || *p)
		return nb_err_set(err, -EINVAL,
				  "InvalidParameterValue: Value (%.64s) for parameter cidrBlock is "
				  "invalid. This is not a valid CIDR block.",
				  text ? text : "");
	if (prefix < EC2_CIDR_PREFIX_MIN || prefix > EC2_CIDR_PREFIX_MAX ||
	    (addr & ~mask_of(prefix)) != 0)
		return nb_err_set(err, -EINVAL, "InvalidSubnet.Range: The CIDR '%s' is invalid.",
				  text);
	out->addr = addr;
	out->prefix = prefix;
	return 0;
}

bool ec2_cidr_overlap(const struct ec2_cidr *a, const struct ec2_cidr *b)
{
	uint32_t m = mask_of(a->prefix < b->prefix ? a->prefix : b->prefix);

	return (a->addr & m) == (b->addr & m);
}

bool ec2_cidr_contains(const struct ec2_cidr *c, uint32_t ip)
{
	uint32_t m = mask_of(c->prefix);

	return (ip & m) == (c->addr & m);
}

uint32_t ec2_cidr_size(const struct ec2_cidr *c)
{
	if (c->prefix == 0 || c->prefix > 32)
		return 0; /* 2^32 does not fit; past /32 is no block */
	return (uint32_t)1 << (32 - c->prefix);
}

int ec2_cidr_format(const struct ec2_cidr *c, char *out, size_t len)
{
	char ip[EC2_IP_STRLEN];
	int n;

	ec2_ip_format(c->addr, ip);
	n = snprintf(out, len, "%s/%u", ip, c->prefix);
	return n >= 0 && (size_t)n < len ? n : -ENOSPC;
}

int ec2_ip_parse(const char *text, uint32_t *ip, struct nb_err *err)
{
	const char *p = text ? text : "";
	uint32_t v;

	if (!parse_quad(&p, &v) || *p)
		return nb_err_set(err, -EINVAL,
				  "InvalidParameterValue: Invalid IPv4 address '%.64s'.",
				  text ? text : "");
	*ip = v;
	return 0;
}

void ec2_ip_format(uint32_t ip, char out[EC2_IP_STRLEN])
{
	snprintf(out, EC2_IP_STRLEN, "%u.%u.%u.%u", ip >> 24, ip >> 16 & 0xff, ip >> 8 & 0xff,
		 ip & 0xff);
}

bool ec2_ip_assignable(const struct ec2_cidr *c, uint32_t ip)
{
	uint32_t net = c->addr & mask_of(c->prefix), off = ip - net;

	return ec2_cidr_contains(c, ip) && off >= EC2_SUBNET_RESERVED_HEAD &&
	       off < ec2_cidr_size(c) - 1;
}

int ec2_ip_next_free(const struct ec2_cidr *c, const uint32_t *used, size_t n_used, uint32_t *out)
{
	/* One bit per address of the largest block, /16: 8 KiB. */
	uint8_t taken[(1u << (32 - EC2_CIDR_PREFIX_MIN)) / 8];
	uint32_t net = c->addr & mask_of(c->prefix), size = ec2_cidr_size(c);

	if (c->prefix < EC2_CIDR_PREFIX_MIN || c->prefix > 32)
		return -EINVAL; /* larger than any VPC block: not from ec2_cidr_parse */
	memset(taken, 0, (size + 7) / 8);
	for (size_t i = 0; i < n_used; i++) {
		uint32_t off = used[i] - net;

		if (ec2_cidr_contains(c, used[i]))
			taken[off / 8] |= (uint8_t)(1u << (off % 8));
	}
	for (uint32_t off = EC2_SUBNET_RESERVED_HEAD; off + 1 < size; off++) {
		if (!(taken[off / 8] & (1u << (off % 8)))) {
			*out = net + off;
			return 0;
		}
	}
	return -ENOSPC;
}

void ec2_hostname(uint32_t ip, char out[EC2_ID_MAX])
{
	snprintf(out, EC2_ID_MAX, "ip-%u-%u-%u-%u", ip >> 24, ip >> 16 & 0xff, ip >> 8 & 0xff,
		 ip & 0xff);
}

static void fill_random(uint8_t *b, size_t n)
{
	static uint64_t counter;
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = getrandom(b + got, n - got, 0);
		if (r > 0)
			got += (size_t)r;
		else if (r < 0 && errno != EINTR)
			break;
	}
	if (got < n) {
		/* No getrandom (an old kernel, a seccomp filter): ids need be
		 * unique, not secret; mix the clock and a counter. */
		struct timespec ts;
		uint64_t x;

		clock_gettime(CLOCK_REALTIME, &ts);
		x = (uint64_t)ts.tv_sec * 1000000007u ^ (uint64_t)ts.tv_nsec ^
		    __atomic_add_fetch(&counter, 0x9e3779b97f4a7c15ull, __ATOMIC_RELAXED);
		for (; got < n; got++) {
			x ^= x >> 33;
			x *= 0xff51afd7ed558ccdull;
			x ^= x >> 29;
			b[got] = (uint8_t)x;
		}
	}
}

void ec2_id_new(const char *prefix, char out[EC2_ID_MAX])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t raw[(EC2_ID_HEX + 1) / 2];
	char digits[EC2_ID_HEX + 1];

	fill_random(raw, sizeof(raw));
	for (size_t i = 0; i < EC2_ID_HEX; i++)
		digits[i] = hex[(raw[i / 2] >> (i % 2 ? 0 : 4)) & 0xf];
	digits[EC2_ID_HEX] = '\0';
	snprintf(out, EC2_ID_MAX, "%.*s-%s", EC2_ID_PREFIX_MAX, prefix ? prefix : "", digits);
}

static bool lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

bool ec2_id_valid(const char *prefix, const char *id)
{
	size_t np, n;

	if (!prefix || !id)
		return false;
	np = strlen(prefix);
	if (strncmp(id, prefix, np) != 0 || id[np] != '-')
		return false;
	id += np + 1;
	n = strlen(id);
	return (n == 8 || n == EC2_ID_HEX) && lower_hex(id, n);
}

bool ec2_ami_valid(const char *id)
{
	return ec2_id_valid("ami", id);
}
