/*
 * tests/unit/test_ec2_netmath.c - EC2's network arithmetic: CIDR blocks and
 * their ranges, overlap, reserved subnet addresses, the next free address,
 * hostnames, resource ids, and the instance type table.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "backend/ec2/ec2types.h"
#include "backend/ec2/netmath.h"

#define IP(a, b, c, d)                                                                             \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

static struct ec2_cidr cidr(const char *text)
{
	struct ec2_cidr c = { 0 };
	struct nb_err err = { 0 };

	if (ec2_cidr_parse(text, &c, &err) != 0)
		fail_msg("cidr(\"%s\"): %s", text, err.msg);
	return c;
}

static void expect_cidr_error(const char *text, const char *msg)
{
	struct ec2_cidr c = { .addr = 42, .prefix = 7 };
	struct nb_err err = { 0 };
	int ret = ec2_cidr_parse(text, &c, &err);

	if (ret != -EINVAL || (msg && strcmp(err.msg, msg) != 0))
		fail_msg("parse(\"%s\")\n got  %d \"%s\"\n want -EINVAL \"%s\"", text, ret, err.msg,
			 msg ? msg : "(any)");
	assert_int_equal(c.addr, 42); /* untouched */
	assert_int_equal(c.prefix, 7);
}

#define RANGE(text) "InvalidSubnet.Range: The CIDR '" text "' is invalid."
#define SYNTAX(text)                                                                               \
	"InvalidParameterValue: Value (" text                                                      \
	") for parameter cidrBlock is invalid. This is not a valid CIDR block."

static void test_cidr_parse_and_range(void **state)
{
	struct ec2_cidr c;
	char out[EC2_CIDR_STRLEN];

	(void)state;
	c = cidr("10.1.0.0/16");
	assert_int_equal(c.addr, IP(10, 1, 0, 0));
	assert_int_equal(c.prefix, 16);
	c = cidr("172.31.255.240/28");
	assert_int_equal(c.addr, IP(172, 31, 255, 240));
	assert_int_equal(c.prefix, 28);
	c = cidr("0.0.0.0/16");
	assert_int_equal(c.addr, 0);
	expect_cidr_error("10.0.0.0/15", RANGE("10.0.0.0/15"));
	expect_cidr_error("10.0.0.0/29", RANGE("10.0.0.0/29"));
	expect_cidr_error("10.0.0.0/8", RANGE("10.0.0.0/8"));
	expect_cidr_error("10.0.0.0/32", RANGE("10.0.0.0/32"));
	expect_cidr_error("10.0.0.0/0", RANGE("10.0.0.0/0"));
	/* host bits set */
	expect_cidr_error("10.1.0.1/24", RANGE("10.1.0.1/24"));
	expect_cidr_error("10.1.0.16/27", RANGE("10.1.0.16/27"));
	expect_cidr_error("10.1.1.0/16", RANGE("10.1.1.0/16"));
	assert_int_equal(cidr("10.1.0.32/27").addr, IP(10, 1, 0, 32));
	/* not a CIDR at all */
	expect_cidr_error("10.0.0.0", SYNTAX("10.0.0.0"));
	expect_cidr_error("10.0.0/16", SYNTAX("10.0.0/16"));
	expect_cidr_error("10.0.0.0.0/16", SYNTAX("10.0.0.0.0/16"));
	expect_cidr_error("010.0.0.0/16", SYNTAX("010.0.0.0/16"));
	expect_cidr_error("10.0.0.0/016", SYNTAX("10.0.0.0/016"));
	expect_cidr_error("10.0.0.00/16", SYNTAX("10.0.0.00/16"));
	expect_cidr_error("256.0.0.0/16", SYNTAX("256.0.0.0/16"));
	expect_cidr_error("10.0.0.0/33", SYNTAX("10.0.0.0/33"));
	expect_cidr_error("10.0.0.0/", SYNTAX("10.0.0.0/"));
	expect_cidr_error(" 10.0.0.0/16", SYNTAX(" 10.0.0.0/16"));
	expect_cidr_error("10.0.0.0/16 ", SYNTAX("10.0.0.0/16 "));
	expect_cidr_error("10.0.0.0/16\n", NULL);
	expect_cidr_error("+10.0.0.0/16", NULL);
	expect_cidr_error("10.-0.0.0/16", NULL);
	expect_cidr_error("10.0.0.0/+16", NULL);
	expect_cidr_error("0x0a.0.0.0/16", NULL);
	expect_cidr_error("10.0.0.0/16/16", NULL);
	expect_cidr_error("1000.0.0.0/16", NULL);
	expect_cidr_error("", SYNTAX(""));
	expect_cidr_error(NULL, SYNTAX(""));

	c = cidr("192.168.16.0/20");
	assert_int_equal(ec2_cidr_format(&c, out, sizeof(out)), strlen("192.168.16.0/20"));
	assert_string_equal(out, "192.168.16.0/20");
	c.addr = IP(255, 255, 255, 255);
	c.prefix = 32;
	assert_int_equal(ec2_cidr_format(&c, out, sizeof(out)), 18);
	assert_string_equal(out, "255.255.255.255/32");
	assert_int_equal(ec2_cidr_format(&c, out, 18), -ENOSPC);
	assert_int_equal(ec2_cidr_size(&c), 1);
	c = cidr("10.0.0.0/16");
	assert_int_equal(ec2_cidr_size(&c), 65536);
	c = cidr("10.0.0.0/28");
	assert_int_equal(ec2_cidr_size(&c), 16);
}

static void test_cidr_overlap(void **state)
{
	struct ec2_cidr vpc = cidr("10.1.0.0/16"), a = cidr("10.1.0.0/24"), b = cidr("10.1.1.0/24"),
			c = cidr("10.1.0.128/25"), other = cidr("10.2.0.0/16"),
			last = cidr("10.1.255.240/28");

	(void)state;
	/* nested, both ways */
	assert_true(ec2_cidr_overlap(&vpc, &a));
	assert_true(ec2_cidr_overlap(&a, &vpc));
	assert_true(ec2_cidr_overlap(&a, &c));
	assert_true(ec2_cidr_overlap(&c, &a));
	assert_true(ec2_cidr_overlap(&vpc, &last));
	/* identical */
	assert_true(ec2_cidr_overlap(&a, &a));
	assert_true(ec2_cidr_overlap(&vpc, &vpc));
	/* adjacent */
	assert_false(ec2_cidr_overlap(&a, &b));
	assert_false(ec2_cidr_overlap(&b, &a));
	assert_false(ec2_cidr_overlap(&vpc, &other));
	assert_false(ec2_cidr_overlap(&c, &b));
	/* disjoint */
	assert_false(ec2_cidr_overlap(&a, &other));
	assert_true(ec2_cidr_contains(&vpc, IP(10, 1, 200, 7)));
	assert_false(ec2_cidr_contains(&vpc, IP(10, 2, 0, 0)));
	assert_false(ec2_cidr_contains(&a, IP(10, 1, 1, 0)));
}

static void test_ip_parse_and_format(void **state)
{
	struct nb_err err = { 0 };
	uint32_t ip = 0;
	char out[EC2_IP_STRLEN];

	(void)state;
	assert_int_equal(ec2_ip_parse("10.1.0.5", &ip, &err), 0);
	assert_int_equal(ip, IP(10, 1, 0, 5));
	assert_int_equal(ec2_ip_parse("255.255.255.255", &ip, &err), 0);
	assert_int_equal(ip, 0xffffffffu);
	assert_int_equal(ec2_ip_parse("0.0.0.0", &ip, &err), 0);
	assert_int_equal(ip, 0);
	ip = 7;
	assert_int_equal(ec2_ip_parse("10.1.0.05", &ip, &err), -EINVAL);
	assert_string_equal(err.msg, "InvalidParameterValue: Invalid IPv4 address '10.1.0.05'.");
	assert_int_equal(ip, 7);
	assert_int_equal(ec2_ip_parse("10.1.0", &ip, &err), -EINVAL);
	assert_int_equal(ec2_ip_parse("10.1.0.256", &ip, &err), -EINVAL);
	assert_int_equal(ec2_ip_parse("10.1.0.5/32", &ip, &err), -EINVAL);
	assert_int_equal(ec2_ip_parse("10.1.0.5 ", &ip, &err), -EINVAL);
	assert_int_equal(ec2_ip_parse("a.b.c.d", &ip, &err), -EINVAL);
	assert_int_equal(ec2_ip_parse("", &ip, &err), -EINVAL);
	assert_int_equal(ec2_ip_parse("10..0.5", &ip, &err), -EINVAL);
	assert_int_equal(ec2_ip_parse("10.1.0.5", &ip, NULL), 0);

	ec2_ip_format(IP(10, 1, 0, 5), out);
	assert_string_equal(out, "10.1.0.5");
	ec2_ip_format(0xffffffffu, out);
	assert_string_equal(out, "255.255.255.255");
	ec2_ip_format(0, out);
	assert_string_equal(out, "0.0.0.0");
}

static void test_reserved_addresses(void **state)
{
	struct ec2_cidr c = cidr("10.1.0.0/24"), small = cidr("10.1.2.16/28");

	(void)state;
	assert_false(ec2_ip_assignable(&c, IP(10, 1, 0, 0))); /* network */
	assert_false(ec2_ip_assignable(&c, IP(10, 1, 0, 1))); /* router, Docker's gateway */
	assert_false(ec2_ip_assignable(&c, IP(10, 1, 0, 2))); /* DNS */
	assert_false(ec2_ip_assignable(&c, IP(10, 1, 0, 3))); /* future */
	assert_true(ec2_ip_assignable(&c, IP(10, 1, 0, 4)));
	assert_true(ec2_ip_assignable(&c, IP(10, 1, 0, 254)));
	assert_false(ec2_ip_assignable(&c, IP(10, 1, 0, 255))); /* broadcast */
	assert_false(ec2_ip_assignable(&c, IP(10, 1, 1, 4)));	/* outside */
	assert_false(ec2_ip_assignable(&c, IP(10, 0, 255, 255)));
	assert_false(ec2_ip_assignable(&small, IP(10, 1, 2, 19)));
	assert_true(ec2_ip_assignable(&small, IP(10, 1, 2, 20)));
	assert_true(ec2_ip_assignable(&small, IP(10, 1, 2, 30)));
	assert_false(ec2_ip_assignable(&small, IP(10, 1, 2, 31)));
	assert_false(ec2_ip_assignable(&small, IP(10, 1, 2, 32)));
}

static void test_next_free(void **state)
{
	struct ec2_cidr c = cidr("10.1.0.0/24"), small = cidr("10.1.2.16/28"),
			big = cidr("10.9.0.0/16"), bad = { .addr = IP(10, 0, 0, 0), .prefix = 8 };
	uint32_t used[16], ip = 0;
	size_t n = 0, assignable = 0;

	(void)state;
	assert_int_equal(ec2_ip_next_free(&c, NULL, 0, &ip), 0);
	assert_int_equal(ip, IP(10, 1, 0, 4));
	used[0] = IP(10, 1, 0, 4);
	used[1] = IP(10, 1, 0, 6);
	used[2] = IP(10, 1, 0, 1);    /* reserved anyway */
	used[3] = IP(192, 168, 0, 5); /* elsewhere: ignored */
	assert_int_equal(ec2_ip_next_free(&c, used, 4, &ip), 0);
	assert_int_equal(ip, IP(10, 1, 0, 5));
	used[4] = IP(10, 1, 0, 5);
	assert_int_equal(ec2_ip_next_free(&c, used, 5, &ip), 0);
	assert_int_equal(ip, IP(10, 1, 0, 7));

	/* a /28: 16 addresses, 11 assignable (.20 to .30) */
	for (uint32_t a = IP(10, 1, 2, 16); a < IP(10, 1, 2, 32); a++)
		assignable += ec2_ip_assignable(&small, a);
	assert_int_equal(assignable, 11);
	while (ec2_ip_next_free(&small, used, n, &ip) == 0) {
		assert_true(ec2_ip_assignable(&small, ip));
		assert_int_equal(ip, IP(10, 1, 2, 20 + n));
		used[n++] = ip;
	}
	assert_int_equal(n, 11);
	assert_int_equal(ec2_ip_next_free(&small, used, n, &ip), -ENOSPC);
	/* freeing one in the middle makes it the next */
	used[5] = IP(10, 1, 2, 31); /* the broadcast: never given anyway */
	assert_int_equal(ec2_ip_next_free(&small, used, n, &ip), 0);
	assert_int_equal(ip, IP(10, 1, 2, 25));

	/* a /16 walks past its first /24 */
	{
		uint32_t *many = calloc(300, sizeof(*many));

		assert_non_null(many);
		for (size_t i = 0; i < 300; i++)
			many[i] = IP(10, 9, 0, 4) + (uint32_t)i;
		assert_int_equal(ec2_ip_next_free(&big, many, 300, &ip), 0);
		assert_int_equal(ip, IP(10, 9, 1, 48));
		free(many);
	}
	assert_int_equal(ec2_ip_next_free(&bad, NULL, 0, &ip), -EINVAL);
	assert_non_null(strstr(EC2_MSG_SUBNET_FULL, "InsufficientFreeAddressesInSubnet"));
}

static void test_hostname(void **state)
{
	char out[EC2_ID_MAX];

	(void)state;
	ec2_hostname(IP(10, 1, 0, 5), out);
	assert_string_equal(out, "ip-10-1-0-5");
	ec2_hostname(IP(172, 31, 255, 254), out);
	assert_string_equal(out, "ip-172-31-255-254");
}

static void test_ids(void **state)
{
	char a[EC2_ID_MAX], b[EC2_ID_MAX];

	(void)state;
	ec2_id_new("i", a);
	assert_int_equal(strlen(a), 2 + 17);
	assert_true(ec2_id_valid("i", a));
	assert_false(ec2_id_valid("subnet", a));
	for (const char *p = a + 2; *p; p++)
		assert_true((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'));
	ec2_id_new("i", b);
	assert_string_not_equal(a, b);
	ec2_id_new("subnet", a);
	assert_int_equal(strncmp(a, "subnet-", 7), 0);
	assert_int_equal(strlen(a), 7 + 17);
	assert_true(ec2_id_valid("subnet", a));
	ec2_id_new("averyverylongprefix", a); /* cut to 13 */
	assert_int_equal(strlen(a), 13 + 1 + 17);
	assert_int_equal(strncmp(a, "averyverylong-", 14), 0);

	assert_true(ec2_id_valid("i", "i-0123456789abcdef0"));
	assert_true(ec2_id_valid("i", "i-1a2b3c4d"));
	assert_true(ec2_id_valid("subnet", "subnet-0123456789abcdef0"));
	assert_false(ec2_id_valid("i", "i-0123456789ABCDEF0"));
	assert_false(ec2_id_valid("i", "i-0123456789abcdef"));	 /* 16 */
	assert_false(ec2_id_valid("i", "i-0123456789abcdef01")); /* 18 */
	assert_false(ec2_id_valid("i", "i-1a2b3c4"));
	assert_false(ec2_id_valid("i", "i-1a2b3c4g"));
	assert_false(ec2_id_valid("i", "i_1a2b3c4d"));
	assert_false(ec2_id_valid("i", "I-1a2b3c4d"));
	assert_false(ec2_id_valid("i", "i-"));
	assert_false(ec2_id_valid("i", ""));
	assert_false(ec2_id_valid("i", NULL));
	assert_false(ec2_id_valid("subnet", "subnet-1a2b3c4d "));
	assert_false(ec2_id_valid("sub", "subnet-1a2b3c4d"));

	assert_true(ec2_ami_valid("ami-12345678"));
	assert_true(ec2_ami_valid("ami-0abcdef1234567890"));
	assert_false(ec2_ami_valid("ami-0ABCDEF1234567890"));
	assert_false(ec2_ami_valid("ami-ABCDEF12"));
	assert_false(ec2_ami_valid("ami-1234567"));
	assert_false(ec2_ami_valid("ami-123456789"));
	assert_false(ec2_ami_valid("ami-0abcdef123456789"));
	assert_false(ec2_ami_valid("AMI-12345678"));
	assert_false(ec2_ami_valid("ami12345678"));
	assert_false(ec2_ami_valid("ubuntu:22.04"));
	assert_false(ec2_ami_valid(NULL));
}

static void test_types(void **state)
{
	const struct ec2_type *t;
	size_t n = ec2_type_count();

	(void)state;
	t = ec2_type_find("t3.micro");
	assert_non_null(t);
	assert_ptr_equal(ec2_type_default(), t);
	assert_string_equal(EC2_DEFAULT_TYPE, "t3.micro");
	assert_int_equal(t->vcpus, 2);
	assert_int_equal(t->memory_mib, 1024);
	assert_string_equal(t->arch, "x86_64");
	t = ec2_type_find("t2.nano");
	assert_int_equal(t->vcpus, 1);
	assert_int_equal(t->memory_mib, 512);
	t = ec2_type_find("t4g.small");
	assert_int_equal(t->vcpus, 2);
	assert_int_equal(t->memory_mib, 2048);
	assert_string_equal(t->arch, "arm64");
	t = ec2_type_find("m5.4xlarge");
	assert_int_equal(t->vcpus, 16);
	assert_int_equal(t->memory_mib, 65536);
	t = ec2_type_find("c5.9xlarge");
	assert_int_equal(t->vcpus, 36);
	assert_int_equal(t->memory_mib, 73728);
	t = ec2_type_find("c6i.large");
	assert_int_equal(t->memory_mib, 4096);
	t = ec2_type_find("r5.2xlarge");
	assert_int_equal(t->vcpus, 8);
	assert_int_equal(t->memory_mib, 65536);
	t = ec2_type_find("m7g.xlarge");
	assert_string_equal(t->arch, "arm64");
	assert_int_equal(t->memory_mib, 16384);
	t = ec2_type_find("c7g.4xlarge");
	assert_int_equal(t->vcpus, 16);
	assert_int_equal(t->memory_mib, 32768);
	assert_non_null(ec2_type_find("r6i.4xlarge"));
	assert_non_null(ec2_type_find("m6i.metal"));
	assert_null(ec2_type_find("T3.micro"));
	assert_null(ec2_type_find("t3.micro "));
	assert_null(ec2_type_find("m1.small"));
	assert_null(ec2_type_find(""));
	assert_null(ec2_type_find(NULL));
	/* every entry: a unique name, arm64 exactly for the g families, memory
	 * a whole number of GiB (but the nanos), 2 to 8 GiB per vCPU (but the t's) */
	assert_true(n > 100);
	assert_null(ec2_type_at(n));
	for (size_t i = 0; i < n; i++) {
		const struct ec2_type *e = ec2_type_at(i);
		const char *dot = strchr(e->name, '.');
		bool arm = dot[-1] == 'g';

		assert_ptr_equal(ec2_type_find(e->name), e);
		assert_string_equal(e->arch, arm ? "arm64" : "x86_64");
		assert_true(e->vcpus >= 1);
		if (e->name[0] != 't') {
			unsigned per = e->memory_mib / 1024 / e->vcpus;

			assert_true(per == 2 || per == 4 || per == 8);
			assert_int_equal(e->memory_mib % (1024 * e->vcpus), 0);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cidr_parse_and_range),
		cmocka_unit_test(test_cidr_overlap),
		cmocka_unit_test(test_ip_parse_and_format),
		cmocka_unit_test(test_reserved_addresses),
		cmocka_unit_test(test_next_free),
		cmocka_unit_test(test_hostname),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_types),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
