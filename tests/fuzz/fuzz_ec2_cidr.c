/*
 * tests/fuzz/fuzz_ec2_cidr.c - CIDR blocks (ec2/subnets/create, subnet
 * cidr files) and dotted quads (PrivateIpAddress): ec2_cidr_parse() and
 * ec2_ip_parse(). Both take only canonical text (no leading zeros, signs
 * or blanks), so what they accept formats back to exactly the same text.
 * A block also goes through the address arithmetic the subnet code does.
 */
#include "backend/ec2/netmath.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

static void block(const char *text)
{
	struct ec2_cidr c, c2;
	struct nb_err err = { 0 };
	char out[EC2_CIDR_STRLEN], host[EC2_ID_MAX];
	uint32_t used[3], ip;
	int ret = ec2_cidr_parse(text, &c, &err);

	FUZZ_CHECK_ERR(ret, &err);
	if (ret < 0)
		return;
	FUZZ_CHECK(c.prefix >= EC2_CIDR_PREFIX_MIN && c.prefix <= EC2_CIDR_PREFIX_MAX, "prefix %u",
		   c.prefix);
	FUZZ_CHECK((c.addr & (ec2_cidr_size(&c) - 1)) == 0, "host bits set in %08x/%u", c.addr,
		   c.prefix);
	ret = ec2_cidr_format(&c, out, sizeof(out));
	FUZZ_CHECK(ret > 0 && strcmp(out, text) == 0, "\"%s\" formats as \"%s\"", text, out);
	FUZZ_CHECK(ec2_cidr_parse(out, &c2, &err) == 0 && c2.addr == c.addr &&
			   c2.prefix == c.prefix,
		   "\"%s\" does not parse back", out);
	FUZZ_CHECK(ec2_cidr_overlap(&c, &c2) && ec2_cidr_contains(&c, c.addr), "overlap");
	/* The first free addresses: .4, then past the ones in use. */
	used[0] = c.addr + 4;
	used[1] = c.addr + 5;
	used[2] = c.addr + 7;
	ret = ec2_ip_next_free(&c, used, 3, &ip);
	FUZZ_CHECK(ret == 0 && ip == c.addr + 6, "next free in %s: %d %08x", out, ret, ip);
	FUZZ_CHECK(ec2_ip_assignable(&c, ip) && !ec2_ip_assignable(&c, c.addr) &&
			   !ec2_ip_assignable(&c, c.addr + ec2_cidr_size(&c) - 1),
		   "reserved addresses of %s", out);
	ec2_hostname(ip, host);
	FUZZ_CHECK(strncmp(host, "ip-", 3) == 0, "hostname %s", host);
}

static void quad(const char *text)
{
	struct nb_err err = { 0 };
	char out[EC2_IP_STRLEN];
	uint32_t ip;
	int ret = ec2_ip_parse(text, &ip, &err);

	FUZZ_CHECK_ERR(ret, &err);
	if (ret < 0)
		return;
	ec2_ip_format(ip, out);
	FUZZ_CHECK(strcmp(out, text) == 0, "\"%s\" formats as \"%s\"", text, out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);

	if (!text)
		return 0;
	block(text);
	quad(text);
	(void)ec2_id_valid("subnet", text);
	(void)ec2_ami_valid(text);
	free(text);
	return 0;
}
