/*
 * tests/unit/test_json.c - the cJSON helper layer: parse errors with a
 * position, the completeness test that decides when a written JSON request
 * commits, and typed getters that name the field and the range.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "backend/common/cleanup.h"
#include "backend/common/json.h"

static cJSON *parse_ok(const char *text)
{
	struct nb_err err = { 0 };
	cJSON *doc = json_parse(text, strlen(text), &err);

	assert_non_null(doc);
	assert_int_equal(err.code, 0);
	return doc;
}

static void assert_complete(const char *text, bool expected)
{
	if (json_is_complete(text, strlen(text)) != expected)
		fail_msg("json_is_complete(\"%s\") is not %s", text, expected ? "true" : "false");
}

/* json_parse */

static void test_parsing_an_empty_document_fails_with_einval(void **state)
{
	struct nb_err err = { 0 };

	(void)state;
	assert_null(json_parse("", 0, &err));
	assert_int_equal(err.code, -EINVAL);
	assert_string_equal(err.msg, "invalid JSON: empty document");
	nb_err_clear(&err);
	assert_null(json_parse(NULL, 5, &err));
	assert_int_equal(err.code, -EINVAL);
}

static void test_a_parse_error_names_its_line_and_column(void **state)
{
	const char *text = "{\n  \"a\": 1,\n  \"b\": }";
	struct nb_err err = { 0 };

	(void)state;
	assert_null(json_parse(text, strlen(text), &err));
	assert_int_equal(err.code, -EINVAL);
	assert_string_equal(err.msg, "invalid JSON at line 3, column 8");
}

static void test_a_parse_error_on_the_first_line_names_its_column(void **state)
{
	struct nb_err err = { 0 };

	(void)state;
	assert_null(json_parse("{\"a\" 1}", 7, &err));
	assert_string_equal(err.msg, "invalid JSON at line 1, column 6");
}

static void test_trailing_garbage_after_the_document_is_rejected(void **state)
{
	struct nb_err err = { 0 };

	(void)state;
	assert_null(json_parse("{} x", 4, &err));
	assert_int_equal(err.code, -EINVAL);
	assert_string_equal(err.msg,
			    "invalid JSON at line 1, column 4: unexpected data after the document");
}

static void test_a_second_document_on_a_later_line_is_rejected_with_its_position(void **state)
{
	const char *text = "{\"a\":1}\n\n  ]";
	struct nb_err err = { 0 };

	(void)state;
	assert_null(json_parse(text, strlen(text), &err));
	assert_non_null(strstr(err.msg, "line 3, column 3"));
	assert_non_null(strstr(err.msg, "unexpected data after the document"));
}

static void test_a_nul_byte_after_the_document_is_rejected(void **state)
{
	struct nb_err err = { 0 };

	(void)state;
	assert_null(json_parse("{}\0", 3, &err));
	assert_int_equal(err.code, -EINVAL);
}

static void test_parse_tolerates_a_null_err(void **state)
{
	(void)state;
	assert_null(json_parse("nope", 4, NULL));
}

static void test_parse_honours_the_length_not_the_nul(void **state)
{
	cleanup_cjson cJSON *doc = NULL;
	struct nb_err err = { 0 };

	(void)state;
	/* Only the first 7 bytes are the document; the rest must be ignored. */
	doc = json_parse("{\"a\":1} trailing", 7, &err);
	assert_non_null(doc);
	assert_int_equal(cJSON_GetObjectItem(doc, "a")->valueint, 1);
}

static void test_trailing_whitespace_is_allowed(void **state)
{
	cleanup_cjson cJSON *doc = NULL;

	(void)state;
	doc = parse_ok("  {\"name\": \"web\"} \t\r\n\n");
	assert_string_equal(cJSON_GetObjectItem(doc, "name")->valuestring, "web");
}

/* json_is_complete */

static void test_nothing_or_only_whitespace_is_not_complete(void **state)
{
	(void)state;
	assert_false(json_is_complete("", 0));
	assert_complete(" ", false);
	assert_complete(" \t\r\n\n", false);
}

static void test_an_unclosed_object_or_array_is_not_complete(void **state)
{
	(void)state;
	assert_complete("{", false);
	assert_complete("{\"a\": 1", false);
	assert_complete("{\"a\": {\"b\": 1}", false);
	assert_complete("[1, [2]", false);
	assert_complete("\n  [", false);
}

static void test_a_closing_bracket_inside_a_string_does_not_close(void **state)
{
	(void)state;
	assert_complete("{\"a\": \"}\"", false);
	assert_complete("[\"]\"", false);
	assert_complete("{\"a\": \"}\"}", true);
}

static void test_an_escaped_quote_does_not_end_a_string(void **state)
{
	(void)state;
	assert_complete("{\"a\": \"x\\\"}", false);
	assert_complete("{\"a\": \"x\\\"}\"", false);
	assert_complete("{\"a\": \"x\\\"}\"}", true);
	/* An escaped backslash does end the string at the next quote. */
	assert_complete("{\"a\": \"x\\\\\"}", true);
}

static void test_balanced_objects_and_arrays_are_complete(void **state)
{
	(void)state;
	assert_complete("{}", true);
	assert_complete("{\"a\": 1}", true);
	assert_complete("  \n{\"a\": [1, {\"b\": 2}]}", true);
	assert_complete("[1, [2]]", true);
	assert_complete("{\"a\": 1}\n", true);
}

static void test_a_complete_but_invalid_document_counts_as_complete(void **state)
{
	(void)state;
	assert_complete("{bad json}", true);
	assert_complete("{bad json}\n", true);
	assert_complete("[}", true);
}

static void test_a_mismatched_closer_inside_makes_a_document_complete(void **state)
{
	(void)state;
	/* Can never become valid, so it is committed (and rejected) at once. */
	assert_complete("{\"a\": [}", true);
	assert_complete("{\"a\": {\"b\": [1, 2}}", true);
	/* A closer inside a string is not a closer. */
	assert_complete("{\"a\": [\"}\"", false);
	/* Matching closers still wait for the outermost. */
	assert_complete("{\"a\": [1, {\"b\": 2}]", false);
}

static void test_a_bare_scalar_is_complete_only_at_a_newline(void **state)
{
	(void)state;
	assert_complete("42", false);
	assert_complete("42\n", true);
	assert_complete("\"text\"", false);
	assert_complete("\"text\"\n", true);
	assert_complete("true", false);
	assert_complete("  true\n", true);
}

/* typed getters: errors first */

static void test_a_getter_on_a_non_object_names_the_field(void **state)
{
	cleanup_cjson cJSON *doc = NULL;
	struct nb_err err = { 0 };
	const char *s = "untouched";

	(void)state;
	doc = parse_ok("[1, 2]");
	assert_int_equal(json_get_str(doc, "name", &s, &err), -EINVAL);
	assert_string_equal(err.msg, "expected a JSON object holding \"name\"");
	assert_int_equal(json_get_str(NULL, "name", &s, &err), -EINVAL);
}

static void test_a_missing_required_field_is_a_value_error_naming_it(void **state)
{
	cleanup_cjson cJSON *doc = NULL;
	struct nb_err err = { 0 };
	const char *s;
	int64_t n;

	(void)state;
	doc = parse_ok("{\"other\": 1}");
	assert_int_equal(json_get_str(doc, "family", &s, &err), -EINVAL);
	assert_int_equal(err.code, -EINVAL);
	assert_string_equal(err.msg, "\"family\" is required");
	assert_int_equal(json_get_int(doc, "count", 1, 10, &n, &err), -EINVAL);
	assert_string_equal(err.msg, "\"count\" is required");
}

static void test_a_null_required_field_counts_as_missing(void **state)
{
	cleanup_cjson cJSON *doc = NULL;
	struct nb_err err = { 0 };
	const char *s;

	(void)state;
	doc = parse_ok("{\"family\": null}");
	assert_int_equal(json_get_str(doc, "family", &s, &err), -EINVAL);
	assert_string_equal(err.msg, "\"family\" is required");
}

static void test_field_names_are_case_sensitive(void **state)
{
	cleanup_cjson cJSON *doc = NULL;
	struct nb_err err = { 0 };
	const char *s;

	(void)state;
	doc = parse_ok("{\"Family\": \"web\"}");
	assert_int_equal(json_get_str(doc, "family", &s, &err), -EINVAL);
	assert_string_equal(err.msg, "\"family\" is required");
}

static void test_a_field_of_the_wrong_type_names_the_field_and_the_type(void **state)
{
	cleanup_cjson cJSON *doc = NULL;
	struct nb_err err = { 0 };
	const cJSON *item;
	const char *s;
	int64_t n;
	bool b;

	(void)state;
	doc = parse_ok("{\"s\": 1, \"n\": \"1\", \"b\": 1, \"o\": [], \"a\": {}}");
	assert_int_equal(json_get_str(doc, "s", &s, &err), -EINVAL);
	assert_string_equal(err.msg, "\"s\" must be a string");
	assert_int_equal(json_get_str_opt(doc, "s", "d", &s, &err), -EINVAL);
	assert_string_equal(err.msg, "\"s\" must be a string");
	assert_int_equal(json_get_int(doc, "n", 0, 10, &n, &err), -EINVAL);
	assert_string_equal(err.msg, "\"n\" must be a number");
	assert_int_equal(json_get_int_opt(doc, "n", 1, 0, 10, &n, &err), -EINVAL);
	assert_string_equal(err.msg, "\"n\" must be a number");
	assert_int_equal(json_get_bool_opt(doc, "b", false, &b, &err), -EINVAL);
	assert_string_equal(err.msg, "\"b\" must be true or false");
	assert_int_equal(json_get_object_opt(doc, "o", &item, &err), -EINVAL);
	assert_string_equal(err.msg, "\"o\" must be an object");
	assert_null(item);
	assert_int_equal(json_get_array_opt(doc, "a", &item, &err), -EINVAL);
	assert_string_equal(err.msg, "\"a\" must be an array");
	assert_null(item);
}

static void test_an_integer_out_of_range_names_the_field_the_value_and_the_range(void **state)
{
	cleanup_cjson cJSON *doc = NULL;
	struct nb_err err = { 0 };
	int64_t n = 99;

	(void)state;
	doc = parse_ok("{\"count\": 11, \"low\": -1}");
	assert_int_equal(json_get_int(doc, "count", 1, 10, &n, &err), -EINVAL);
	assert_string_equal(err.msg, "\"count\" is 11; it must be between 1 and 10");
	assert_int_equal(n, 99);
	assert_int_equal(json_get_int_opt(doc, "low", 5, 0, 10, &n, &err), -EINVAL);
	assert_string_equal(err.msg, "\"low\" is -1; it must be between 0 and 10");
	assert_int_equal(n, 99);
}

static void test_a_fractional_number_is_not_an_integer(void **state)
{
	cleanup_cjson cJSON *doc = NULL;
	struct nb_err err = { 0 };
	int64_t n;

	(void)state;
	doc = parse_ok("{\"count\": 1.5}");
	assert_int_equal(json_get_int(doc, "count", 0, 10, &n, &err), -EINVAL);
	assert_string_equal(err.msg, "\"count\" must be an integer");
	assert_int_equal(json_get_int_opt(doc, "count", 1, 0, 10, &n, &err), -EINVAL);
	assert_string_equal(err.msg, "\"count\" must be an integer");
}

static void test_an_integer_past_int64_max_is_out_of_range(void **state)
{
	cleanup_cjson cJSON *doc = NULL;
	struct nb_err err = { 0 };
	int64_t n = 7;

	(void)state;
	/* 2^63 rounds to (double)INT64_MAX, so a naive check lets it through. */
	doc = parse_ok("{\"a\": 9223372036854775808, \"b\": 1e19, \"c\": 1e300}");
	assert_int_equal(json_get_int(doc, "a", INT64_MIN, INT64_MAX, &n, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "it must be between"));
	assert_int_equal(json_get_int(doc, "b", INT64_MIN, INT64_MAX, &n, &err), -EINVAL);
	assert_int_equal(json_get_int(doc, "c", 0, INT64_MAX, &n, &err), -EINVAL);
	assert_int_equal(n, 7);
}

static void test_getters_tolerate_a_null_err(void **state)
{
	cleanup_cjson cJSON *doc = NULL;
	const char *s;

	(void)state;
	doc = parse_ok("{}");
	assert_int_equal(json_get_str(doc, "x", &s, NULL), -EINVAL);
}

/* typed getters: success */

static void test_required_fields_are_read_with_their_values(void **state)
{
	cleanup_cjson cJSON *doc = NULL;
	struct nb_err err = { 0 };
	const char *s;
	int64_t n;

	(void)state;
	doc = parse_ok("{\"family\": \"web\", \"count\": 10, \"min\": -5, \"big\": 4294967296}");
	assert_int_equal(json_get_str(doc, "family", &s, &err), 0);
	assert_string_equal(s, "web");
	assert_int_equal(json_get_int(doc, "count", 1, 10, &n, &err), 0);
	assert_int_equal(n, 10);
	assert_int_equal(json_get_int(doc, "min", -5, 0, &n, &err), 0);
	assert_int_equal(n, -5);
	assert_int_equal(json_get_int(doc, "big", 0, INT64_MAX, &n, &err), 0);
	assert_int_equal(n, 4294967296ll);
	assert_int_equal(err.code, 0);
}

static void test_optional_fields_take_their_defaults_when_absent_or_null(void **state)
{
	cleanup_cjson cJSON *doc = NULL;
	struct nb_err err = { 0 };
	const cJSON *item = (const cJSON *)&item;
	const char *s;
	int64_t n;
	bool b;

	(void)state;
	doc = parse_ok("{\"count\": null}");
	assert_int_equal(json_get_str_opt(doc, "name", "dflt", &s, &err), 0);
	assert_string_equal(s, "dflt");
	assert_int_equal(json_get_str_opt(doc, "name", NULL, &s, &err), 0);
	assert_null(s);
	assert_int_equal(json_get_int_opt(doc, "count", 1, 1, 10, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(json_get_bool_opt(doc, "wait", true, &b, &err), 0);
	assert_true(b);
	assert_int_equal(json_get_object_opt(doc, "env", &item, &err), 0);
	assert_null(item);
	item = (const cJSON *)&item;
	assert_int_equal(json_get_array_opt(doc, "cmd", &item, &err), 0);
	assert_null(item);
	assert_int_equal(err.code, 0);
}

static void test_optional_fields_that_are_present_win_over_the_default(void **state)
{
	cleanup_cjson cJSON *doc = NULL;
	struct nb_err err = { 0 };
	const cJSON *item;
	const char *s;
	int64_t n;
	bool b;

	(void)state;
	doc = parse_ok("{\"name\": \"x\", \"count\": 3, \"wait\": false, \"env\": {\"A\": \"1\"}, "
		       "\"cmd\": [\"sh\"]}");
	assert_int_equal(json_get_str_opt(doc, "name", "dflt", &s, &err), 0);
	assert_string_equal(s, "x");
	assert_int_equal(json_get_int_opt(doc, "count", 1, 1, 10, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(json_get_bool_opt(doc, "wait", true, &b, &err), 0);
	assert_false(b);
	assert_int_equal(json_get_object_opt(doc, "env", &item, &err), 0);
	assert_true(cJSON_IsObject(item));
	assert_int_equal(json_get_array_opt(doc, "cmd", &item, &err), 0);
	assert_int_equal(cJSON_GetArraySize(item), 1);
}

static void test_added_fields_print_compactly(void **state)
{
	cleanup_cjson cJSON *doc = cJSON_CreateObject();
	cleanup_free char *text = NULL;

	(void)state;
	assert_non_null(doc);
	assert_int_equal(json_add_str(doc, "s", "v"), 0);
	assert_int_equal(json_add_str(doc, "null", NULL), 0);
	assert_int_equal(json_add_num(doc, "n", 2), 0);
	assert_int_equal(json_add_bool(doc, "b", true), 0);
	text = json_print(doc);
	assert_string_equal(text, "{\"s\":\"v\",\"null\":\"\",\"n\":2,\"b\":true}");
}

static void test_strings_appended_to_an_array_print_in_order(void **state)
{
	cleanup_cjson cJSON *arr = cJSON_CreateArray();
	cleanup_free char *text = NULL;

	(void)state;
	assert_non_null(arr);
	assert_int_equal(json_array_add_str(arr, "a"), 0);
	assert_int_equal(json_array_add_str(arr, NULL), 0);
	text = json_print(arr);
	assert_string_equal(text, "[\"a\",\"\"]");
}

static void test_text_that_is_not_utf8_or_holds_a_nul_escape_is_refused(void **state)
{
	struct nb_err err = { 0 };
	size_t bad = 0;

	(void)state;
	assert_null(json_parse("{\"a\": \"x\xffy\"}", 12, &err));
	assert_non_null(strstr(err.msg, "column 9: not UTF-8"));
	assert_null(json_parse("{\"a\": \"nul\\u0000evil\"}", 22, &err));
	assert_non_null(strstr(err.msg, "\\u0000"));
	/* An escaped backslash before u0000 is text, not the escape. */
	cJSON *doc = json_parse("{\"a\": \"\\\\u0000\"}", 16, &err);
	assert_non_null(doc);
	cJSON_Delete(doc);
	assert_true(json_utf8_valid("h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 12, NULL));
	assert_false(json_utf8_valid("\xc0\xaf", 2, &bad)); /* overlong */
	assert_int_equal(bad, 0);
	assert_false(json_utf8_valid("ab\xed\xa0\x80", 5, &bad)); /* a surrogate */
	assert_int_equal(bad, 2);
	assert_false(json_utf8_valid("\xe2\x82", 2, NULL)); /* cut short */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parsing_an_empty_document_fails_with_einval),
		cmocka_unit_test(test_a_parse_error_names_its_line_and_column),
		cmocka_unit_test(test_a_parse_error_on_the_first_line_names_its_column),
		cmocka_unit_test(test_trailing_garbage_after_the_document_is_rejected),
		cmocka_unit_test(
			test_a_second_document_on_a_later_line_is_rejected_with_its_position),
		cmocka_unit_test(test_a_nul_byte_after_the_document_is_rejected),
		cmocka_unit_test(test_parse_tolerates_a_null_err),
		cmocka_unit_test(test_parse_honours_the_length_not_the_nul),
		cmocka_unit_test(test_trailing_whitespace_is_allowed),
		cmocka_unit_test(test_nothing_or_only_whitespace_is_not_complete),
		cmocka_unit_test(test_an_unclosed_object_or_array_is_not_complete),
		cmocka_unit_test(test_a_closing_bracket_inside_a_string_does_not_close),
		cmocka_unit_test(test_an_escaped_quote_does_not_end_a_string),
		cmocka_unit_test(test_balanced_objects_and_arrays_are_complete),
		cmocka_unit_test(test_a_complete_but_invalid_document_counts_as_complete),
		cmocka_unit_test(test_a_mismatched_closer_inside_makes_a_document_complete),
		cmocka_unit_test(test_a_bare_scalar_is_complete_only_at_a_newline),
		cmocka_unit_test(test_a_getter_on_a_non_object_names_the_field),
		cmocka_unit_test(test_a_missing_required_field_is_a_value_error_naming_it),
		cmocka_unit_test(test_a_null_required_field_counts_as_missing),
		cmocka_unit_test(test_field_names_are_case_sensitive),
		cmocka_unit_test(test_a_field_of_the_wrong_type_names_the_field_and_the_type),
		cmocka_unit_test(
			test_an_integer_out_of_range_names_the_field_the_value_and_the_range),
		cmocka_unit_test(test_a_fractional_number_is_not_an_integer),
		cmocka_unit_test(test_an_integer_past_int64_max_is_out_of_range),
		cmocka_unit_test(test_getters_tolerate_a_null_err),
		cmocka_unit_test(test_required_fields_are_read_with_their_values),
		cmocka_unit_test(test_optional_fields_take_their_defaults_when_absent_or_null),
		cmocka_unit_test(test_optional_fields_that_are_present_win_over_the_default),
		cmocka_unit_test(test_added_fields_print_compactly),
		cmocka_unit_test(test_strings_appended_to_an_array_print_in_order),
		cmocka_unit_test(test_text_that_is_not_utf8_or_holds_a_nul_escape_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
