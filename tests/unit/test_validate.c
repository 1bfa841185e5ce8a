/*
 * Unit tests for common/validate: the scalar checks (UUID, date,
 * RFC 3339 timestamp, UTF-8 length), validate_object over every field
 * type in create and patch modes, validate_query_int's strict integer
 * parsing, and validate_param's conversion of JSON values to text.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "http.h"
#include "validate.h"

static struct arena A;
static struct response RES;

static void
setup(void)
{
	arena_init(&A, 4096);
	response_init(&RES, &A);
}

static void
teardown(void)
{
	response_release(&RES);
	arena_free(&A);
}

/* ---- scalars ---- */

START_TEST(test_uuid)
{
	ck_assert(validate_uuid("0b7e4bbb-6f43-4b5e-9d7b-2b3c5f9e1a11"));
	ck_assert(validate_uuid("00000000-0000-0000-0000-000000000000"));
	ck_assert(validate_uuid("0B7E4BBB-6F43-4B5E-9D7B-2B3C5F9E1A11"));
	ck_assert(!validate_uuid(NULL));
	ck_assert(!validate_uuid(""));
	ck_assert(!validate_uuid("0b7e4bbb6f434b5e9d7b2b3c5f9e1a11"));
	ck_assert(!validate_uuid("0b7e4bbb-6f43-4b5e-9d7b-2b3c5f9e1a1"));
	ck_assert(!validate_uuid("0b7e4bbb-6f43-4b5e-9d7b-2b3c5f9e1a111"));
	ck_assert(!validate_uuid("{0b7e4bb-6f43-4b5e-9d7b-2b3c5f9e1a11}"));
	ck_assert(!validate_uuid("0b7e4bbg-6f43-4b5e-9d7b-2b3c5f9e1a11"));
	ck_assert(!validate_uuid("0b7e4bbb-6f43-4b5e-9d7b_2b3c5f9e1a11"));
	ck_assert(!validate_uuid("0b7e4bbb-6f434-b5e-9d7b-2b3c5f9e1a11"));
	ck_assert(!validate_uuid(" b7e4bbb-6f43-4b5e-9d7b-2b3c5f9e1a11"));
	ck_assert(!validate_uuid("0b7e4bbb-6f43-4b5e-9d7b-2b3c5f9e1a1\n"));
	ck_assert(!validate_uuid("0b7e4bbb--f43-4b5e-9d7b-2b3c5f9e1a11"));
}
END_TEST

START_TEST(test_date)
{
	static const char *const good[] = {
		"2024-01-31", "2024-02-29", "2000-02-29", "2023-02-28",
		"0001-01-01", "9999-12-31", "2024-04-30", "2024-12-31",
	};
	static const char *const bad[] = {
		"2023-02-29", /* not a leap year */
		"1900-02-29", /* century, not divisible by 400 */
		"2100-02-29",  "2024-02-30",
		"2024-04-31",  "2024-06-31",
		"2024-09-31",  "2024-11-31",
		"2024-01-32",  "2024-00-10",
		"2024-13-01",  "2024-01-00",
		"0000-01-01",  "2024-1-01",
		"2024-01-1",   "24-01-01",
		"2024/01/01",  "2024-01-01T",
		"2024-01-01 ", " 2024-01-01",
		"2024-0a-01",  "+024-01-01",
		"-024-01-01",  "",
		"20240101",
	};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(validate_date(good[i]), "refused %s", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!validate_date(bad[i]), "accepted %s", bad[i]);
	ck_assert(!validate_date(NULL));
}
END_TEST

START_TEST(test_timestamp)
{
	static const char *const good[] = {
		"2024-01-01T00:00:00Z",
		"2024-01-01t00:00:00z",
		"2024-02-29T23:59:59Z",
		"2024-06-30T23:59:60Z", /* a leap second */
		"2024-01-01T12:30:45.1Z",
		"2024-01-01T12:30:45.123456789Z",
		"2024-01-01T12:30:45+00:00",
		"2024-01-01T12:30:45-05:00",
		"2024-01-01T12:30:45+05:30",
		"2024-01-01T12:30:45.5+14:00",
		"2024-01-01T12:30:45-23:59",
	};
	static const char *const bad[] = {
		"2024-01-01",
		"2024-01-01T00:00:00",  /* no offset */
		"2024-01-01 00:00:00Z", /* space separator */
		"2024-01-01T24:00:00Z",
		"2024-01-01T23:60:00Z",
		"2024-01-01T23:59:61Z",
		"2023-02-29T00:00:00Z",
		"2024-13-01T00:00:00Z",
		"2024-01-01T00:00:00.Z", /* empty fraction */
		"2024-01-01T00:00:00.1234567890Z", /* past nanoseconds */
		"2024-01-01T00:00:00,5Z",
		"2024-01-01T00:00:00ZZ",
		"2024-01-01T00:00:00Z ",
		"2024-01-01T00:00:00+0500",
		"2024-01-01T00:00:00+05",
		"2024-01-01T00:00:00+24:00",
		"2024-01-01T00:00:00+05:60",
		"2024-01-01T00:00:00+05:00x",
		"2024-01-01T0:00:00Z",
		"2024-01-01T00:0:00Z",
		"2024-01-01T00:00:0Z",
		"2024-01-01T00-00-00Z",
		"2024-01-01T00:00:00UTC",
		"2024-01-01T00:00:00GMT+1",
		"",
		"now",
	};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(validate_timestamp(good[i]), "refused %s",
			      good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!validate_timestamp(bad[i]), "accepted %s",
			      bad[i]);
	ck_assert(!validate_timestamp(NULL));
}
END_TEST

START_TEST(test_utf8_length)
{
	ck_assert_uint_eq(validate_utf8_length(""), 0);
	ck_assert_uint_eq(validate_utf8_length("abc"), 3);
	ck_assert_uint_eq(validate_utf8_length("caf\xc3\xa9"), 4);  /* café */
	ck_assert_uint_eq(validate_utf8_length("\xe2\x82\xac"), 1); /* € */
	ck_assert_uint_eq(validate_utf8_length("\xf0\x9f\x94\x92"), 1); /* 🔒 */
	ck_assert_uint_eq(validate_utf8_length("a\xf0\x9f\x94\x92"
					       "b\xc3\xbc"),
			  4);
	ck_assert_uint_eq(validate_utf8_length("\xe6\x97\xa5\xe6\x9c\xac"), 2);
}
END_TEST

/* ---- validate_object ---- */

static const char *const severities[] = {"low", "medium", "high", NULL};

static const struct field fields[] = {
	{"title", FIELD_STRING, FIELD_REQUIRED, 1, 10, NULL},
	{"notes", FIELD_TEXT, FIELD_NULLABLE, 0, 20, NULL},
	{"severity", FIELD_ENUM, FIELD_REQUIRED, 0, 0, severities},
	{"score", FIELD_INT, 0, 1, 25, NULL},
	{"accepted", FIELD_BOOL, 0, 0, 0, NULL},
	{"owner_id", FIELD_UUID, FIELD_NULLABLE, 0, 0, NULL},
	{"due", FIELD_DATE, FIELD_NULLABLE, 0, 0, NULL},
	{"reviewed_at", FIELD_TIMESTAMP, 0, 0, 0, NULL},
	{"tags", FIELD_STRINGS, 0, 0, 3, NULL},
	{"control_ids", FIELD_UUIDS, 0, 0, 2, NULL},
	{"meta", FIELD_OBJECT, 0, 0, 0, NULL},
	{"extra", FIELD_ANY, 0, 0, 0, NULL},
	{"id", FIELD_UUID, FIELD_READONLY, 0, 0, NULL},
	{"description", FIELD_STRING, 0, 0, 0, NULL}, /* max 0: unbounded */
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

#define U1 "0b7e4bbb-6f43-4b5e-9d7b-2b3c5f9e1a11"
#define U2 "5d1c7a7e-2a8e-4a57-9f7e-bb1e2f6b9c01"

/* Parses text (which must be valid JSON) and validates it. */
static int
run(const char *text, enum validate_mode mode)
{
	json_error_t err;
	json_t *body;
	int rc;

	response_release(&RES);
	response_init(&RES, &A);
	body = json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
	ck_assert_msg(body != NULL, "bad test JSON %s: %s", text, err.text);
	rc = validate_object(&RES, body, fields, NFIELDS, mode);
	json_decref(body);
	return rc;
}

/* The message recorded for field, or NULL when it has no error. */
static const char *
error_for(const char *field)
{
	size_t i;
	json_t *e;

	json_array_foreach (RES.problem_errors, i, e) {
		if (strcmp(json_string_value(json_object_get(e, "field")),
			   field) == 0)
			return json_string_value(json_object_get(e, "message"));
	}
	return NULL;
}

static size_t
nerrors(void)
{
	return json_array_size(RES.problem_errors);
}

/* Asserts that text fails with exactly one error, on field. */
#define ASSERT_ONE_ERROR(text, mode, field)                                    \
	do {                                                                   \
		ck_assert_int_eq(run(text, mode), 422);                        \
		ck_assert_msg(nerrors() == 1 && error_for(field) != NULL,      \
			      "%s: want one error on %s, got %zu", text,       \
			      field, nerrors());                               \
	} while (0)

#define ASSERT_VALID(text, mode)                                               \
	do {                                                                   \
		int rc_ = run(text, mode);                                     \
		ck_assert_msg(                                                 \
			rc_ == 0, "%s: status %d, first error on %s", text,    \
			rc_,                                                   \
			nerrors() ? json_string_value(json_object_get(         \
					    json_array_get(RES.problem_errors, \
							   0),                 \
					    "field"))                          \
				  : "(none)");                                 \
		ck_assert_ptr_null(RES.problem_errors);                        \
	} while (0)

START_TEST(test_object_valid_full)
{
	ASSERT_VALID("{\"title\":\"Flood\",\"notes\":\"line 1\\nline 2\\t.\","
		     "\"severity\":\"high\",\"score\":25,\"accepted\":false,"
		     "\"owner_id\":\"" U1 "\",\"due\":\"2024-02-29\","
		     "\"reviewed_at\":\"2024-01-01T10:00:00+01:00\","
		     "\"tags\":[\"a\",\"b\",\"c\"],"
		     "\"control_ids\":[\"" U1 "\",\"" U2 "\"],"
		     "\"meta\":{\"k\":[1,2]},\"extra\":[null,1,\"x\"],"
		     "\"description\":\""
		     "0123456789012345678901234567890123456789"
		     "\"}",
		     VALIDATE_CREATE);
	ck_assert_int_eq(RES.status, 0);
	ASSERT_VALID("{\"title\":\"x\",\"severity\":\"low\"}", VALIDATE_CREATE);
}
END_TEST

START_TEST(test_object_not_an_object)
{
	ck_assert_int_eq(run("[]", VALIDATE_CREATE), 400);
	ck_assert_int_eq(RES.status, 400);
	ck_assert_int_eq(run("\"title\"", VALIDATE_PATCH), 400);
	ck_assert_int_eq(run("null", VALIDATE_PATCH), 400);
	ck_assert_int_eq(
		validate_object(&RES, NULL, fields, NFIELDS, VALIDATE_PATCH),
		400);
}
END_TEST

START_TEST(test_object_required)
{
	ck_assert_int_eq(run("{}", VALIDATE_CREATE), 422);
	ck_assert_int_eq(RES.status, 422);
	ck_assert_str_eq(RES.problem_slug, "validation");
	ck_assert_uint_eq(nerrors(), 2);
	ck_assert_str_eq(error_for("title"), "is required");
	ck_assert_str_eq(error_for("severity"), "is required");
	ASSERT_ONE_ERROR("{\"title\":\"x\"}", VALIDATE_CREATE, "severity");
	/* A patch may send any subset, including nothing. */
	ASSERT_VALID("{}", VALIDATE_PATCH);
	ASSERT_VALID("{\"score\":3}", VALIDATE_PATCH);
}
END_TEST

START_TEST(test_object_unknown_and_readonly)
{
	ASSERT_ONE_ERROR("{\"title\":\"x\",\"severity\":\"low\",\"colour\":1}",
			 VALIDATE_CREATE, "colour");
	ck_assert_str_eq(error_for("colour"), "is not a known field");
	ASSERT_ONE_ERROR("{\"colour\":null}", VALIDATE_PATCH, "colour");
	/* Case matters: "Title" is not "title". */
	ASSERT_ONE_ERROR("{\"Title\":\"x\"}", VALIDATE_PATCH, "Title");
	ASSERT_ONE_ERROR("{\"id\":\"" U1 "\"}", VALIDATE_PATCH, "id");
	ck_assert_str_eq(error_for("id"), "is read-only");
	ASSERT_ONE_ERROR("{\"title\":\"x\",\"severity\":\"low\",\"id\":\"" U1
			 "\"}",
			 VALIDATE_CREATE, "id");
}
END_TEST

START_TEST(test_object_reports_every_error)
{
	ck_assert_int_eq(run("{\"title\":\"\",\"score\":0,\"accepted\":1,"
			     "\"bogus\":true}",
			     VALIDATE_CREATE),
			 422);
	ck_assert_uint_eq(nerrors(), 5);
	ck_assert_ptr_nonnull(error_for("title"));
	ck_assert_ptr_nonnull(error_for("score"));
	ck_assert_ptr_nonnull(error_for("accepted"));
	ck_assert_ptr_nonnull(error_for("bogus"));
	ck_assert_str_eq(error_for("severity"), "is required");
}
END_TEST

START_TEST(test_object_null)
{
	ASSERT_VALID("{\"notes\":null,\"owner_id\":null,\"due\":null}",
		     VALIDATE_PATCH);
	ASSERT_ONE_ERROR("{\"title\":null}", VALIDATE_PATCH, "title");
	ck_assert_str_eq(error_for("title"), "must not be null");
	ASSERT_ONE_ERROR("{\"score\":null}", VALIDATE_PATCH, "score");
	ASSERT_ONE_ERROR("{\"tags\":null}", VALIDATE_PATCH, "tags");
	/* A required, non-nullable field sent as null in a create. */
	ASSERT_ONE_ERROR("{\"title\":\"x\",\"severity\":null}", VALIDATE_CREATE,
			 "severity");
}
END_TEST

START_TEST(test_object_string_lengths_in_characters)
{
	/* title: 1..10 characters, counted as code points. */
	ASSERT_VALID("{\"title\":\"a\"}", VALIDATE_PATCH);
	ASSERT_VALID("{\"title\":\"0123456789\"}", VALIDATE_PATCH);
	ASSERT_ONE_ERROR("{\"title\":\"01234567890\"}", VALIDATE_PATCH,
			 "title");
	ASSERT_ONE_ERROR("{\"title\":\"\"}", VALIDATE_PATCH, "title");
	/* Ten two-byte characters are 20 bytes but 10 characters. */
	ASSERT_VALID("{\"title\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		     "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}",
		     VALIDATE_PATCH);
	/* Ten four-byte characters (emoji). */
	ASSERT_VALID("{\"title\":\"\xf0\x9f\x94\x92\xf0\x9f\x94\x92\xf0\x9f\x94"
		     "\x92\xf0\x9f\x94\x92\xf0\x9f\x94\x92\xf0\x9f\x94\x92\xf0"
		     "\x9f\x94\x92\xf0\x9f\x94\x92\xf0\x9f\x94\x92\xf0\x9f\x94"
		     "\x92\"}",
		     VALIDATE_PATCH);
	/* Eleven of them is one too many. */
	ASSERT_ONE_ERROR("{\"title\":\"\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
			 "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2"
			 "\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\"}",
			 VALIDATE_PATCH, "title");
	/* JSON escapes count as the character they stand for. */
	ASSERT_VALID("{\"title\":\"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
		     "\\u00e9\\u00e9\\u00e9\\u00e9\"}",
		     VALIDATE_PATCH);
	/* Wrong types. */
	ASSERT_ONE_ERROR("{\"title\":5}", VALIDATE_PATCH, "title");
	ck_assert_str_eq(error_for("title"), "must be a string");
	ASSERT_ONE_ERROR("{\"title\":[\"x\"]}", VALIDATE_PATCH, "title");
	ASSERT_ONE_ERROR("{\"notes\":true}", VALIDATE_PATCH, "notes");
}
END_TEST

START_TEST(test_object_control_characters)
{
	static const char *const controls[] = {
		"\\n",     "\\r",     "\\t", "\\u0001", "\\u001b",
		"\\u001f", "\\u007f", "\\b", "\\f",
	};
	char text[128];
	size_t i;

	for (i = 0; i < sizeof(controls) / sizeof(controls[0]); i++) {
		snprintf(text, sizeof(text), "{\"title\":\"a%sb\"}",
			 controls[i]);
		ASSERT_ONE_ERROR(text, VALIDATE_PATCH, "title");
		ck_assert_str_eq(error_for("title"),
				 "must not contain control characters");
	}
	/* Text fields take line breaks and tabs, nothing else. */
	ASSERT_VALID("{\"notes\":\"a\\nb\\r\\nc\\td\"}", VALIDATE_PATCH);
	ASSERT_ONE_ERROR("{\"notes\":\"a\\u0007b\"}", VALIDATE_PATCH, "notes");
	ASSERT_ONE_ERROR("{\"notes\":\"a\\u007fb\"}", VALIDATE_PATCH, "notes");
	ASSERT_ONE_ERROR("{\"notes\":\"a\\u001bb\"}", VALIDATE_PATCH, "notes");
	/* notes: at most 20 characters; line breaks count. */
	ASSERT_VALID("{\"notes\":\"\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n"
		     "\\n\\n\\n\\n\\n\\n\"}",
		     VALIDATE_PATCH);
	ASSERT_ONE_ERROR("{\"notes\":\"\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n"
			 "\\n\\n\\n\\n\\n\\n\\n\\n\"}",
			 VALIDATE_PATCH, "notes");
	/* An unbounded string is still checked for control characters. */
	ASSERT_ONE_ERROR("{\"description\":\"a\\nb\"}", VALIDATE_PATCH,
			 "description");
}
END_TEST

START_TEST(test_object_enum)
{
	ASSERT_VALID("{\"severity\":\"medium\"}", VALIDATE_PATCH);
	ASSERT_ONE_ERROR("{\"severity\":\"HIGH\"}", VALIDATE_PATCH, "severity");
	ck_assert_str_eq(error_for("severity"),
			 "must be one of: low, medium, high");
	ASSERT_ONE_ERROR("{\"severity\":\"\"}", VALIDATE_PATCH, "severity");
	ASSERT_ONE_ERROR("{\"severity\":\"high \"}", VALIDATE_PATCH,
			 "severity");
	ASSERT_ONE_ERROR("{\"severity\":2}", VALIDATE_PATCH, "severity");
	ASSERT_ONE_ERROR("{\"severity\":[\"low\"]}", VALIDATE_PATCH,
			 "severity");
}
END_TEST

START_TEST(test_object_int)
{
	ASSERT_VALID("{\"score\":1}", VALIDATE_PATCH);
	ASSERT_VALID("{\"score\":25}", VALIDATE_PATCH);
	ASSERT_ONE_ERROR("{\"score\":0}", VALIDATE_PATCH, "score");
	ck_assert_str_eq(error_for("score"), "must be an integer from 1 to 25");
	ASSERT_ONE_ERROR("{\"score\":26}", VALIDATE_PATCH, "score");
	ASSERT_ONE_ERROR("{\"score\":-1}", VALIDATE_PATCH, "score");
	ASSERT_ONE_ERROR("{\"score\":5.0}", VALIDATE_PATCH, "score");
	ASSERT_ONE_ERROR("{\"score\":5.5}", VALIDATE_PATCH, "score");
	ASSERT_ONE_ERROR("{\"score\":\"5\"}", VALIDATE_PATCH, "score");
	ASSERT_ONE_ERROR("{\"score\":true}", VALIDATE_PATCH, "score");
	ASSERT_ONE_ERROR("{\"score\":9223372036854775807}", VALIDATE_PATCH,
			 "score");
	ASSERT_ONE_ERROR("{\"score\":-9223372036854775808}", VALIDATE_PATCH,
			 "score");
}
END_TEST

START_TEST(test_object_bool_uuid_date_timestamp_object)
{
	ASSERT_VALID("{\"accepted\":true}", VALIDATE_PATCH);
	ASSERT_ONE_ERROR("{\"accepted\":\"true\"}", VALIDATE_PATCH, "accepted");
	ASSERT_ONE_ERROR("{\"accepted\":0}", VALIDATE_PATCH, "accepted");

	ASSERT_ONE_ERROR("{\"owner_id\":\"not-a-uuid\"}", VALIDATE_PATCH,
			 "owner_id");
	ASSERT_ONE_ERROR("{\"owner_id\":42}", VALIDATE_PATCH, "owner_id");

	ASSERT_ONE_ERROR("{\"due\":\"2023-02-29\"}", VALIDATE_PATCH, "due");
	ASSERT_ONE_ERROR("{\"due\":\"2024-01-01T00:00:00Z\"}", VALIDATE_PATCH,
			 "due");
	ASSERT_ONE_ERROR("{\"due\":20240101}", VALIDATE_PATCH, "due");

	ASSERT_VALID("{\"reviewed_at\":\"2024-01-01T00:00:00.5Z\"}",
		     VALIDATE_PATCH);
	ASSERT_ONE_ERROR("{\"reviewed_at\":\"2024-01-01\"}", VALIDATE_PATCH,
			 "reviewed_at");
	ASSERT_ONE_ERROR("{\"reviewed_at\":1704067200}", VALIDATE_PATCH,
			 "reviewed_at");

	ASSERT_VALID("{\"meta\":{}}", VALIDATE_PATCH);
	ASSERT_ONE_ERROR("{\"meta\":[]}", VALIDATE_PATCH, "meta");
	ASSERT_ONE_ERROR("{\"meta\":\"{}\"}", VALIDATE_PATCH, "meta");

	ASSERT_VALID("{\"extra\":{\"anything\":[true]}}", VALIDATE_PATCH);
	ASSERT_VALID("{\"extra\":0}", VALIDATE_PATCH);
}
END_TEST

START_TEST(test_object_string_arrays)
{
	ASSERT_VALID("{\"tags\":[]}", VALIDATE_PATCH);
	ASSERT_VALID("{\"tags\":[\"a\",\"b\",\"c\"]}", VALIDATE_PATCH);
	ASSERT_ONE_ERROR("{\"tags\":[\"a\",\"b\",\"c\",\"d\"]}", VALIDATE_PATCH,
			 "tags");
	ck_assert_ptr_nonnull(strstr(error_for("tags"), "3 items"));
	ASSERT_ONE_ERROR("{\"tags\":\"a\"}", VALIDATE_PATCH, "tags");
	ck_assert_str_eq(error_for("tags"), "must be an array");
	ASSERT_ONE_ERROR("{\"tags\":{}}", VALIDATE_PATCH, "tags");
	/* Items are named by index. */
	ASSERT_ONE_ERROR("{\"tags\":[\"a\",\"a\"]}", VALIDATE_PATCH, "tags[1]");
	ck_assert_str_eq(error_for("tags[1]"), "is repeated");
	ASSERT_ONE_ERROR("{\"tags\":[\"a\",2]}", VALIDATE_PATCH, "tags[1]");
	ck_assert_str_eq(error_for("tags[1]"), "must be a string");
	ASSERT_ONE_ERROR("{\"tags\":[\"\"]}", VALIDATE_PATCH, "tags[0]");
	ASSERT_ONE_ERROR("{\"tags\":[\"ok\",\"a\\nb\"]}", VALIDATE_PATCH,
			 "tags[1]");
	ASSERT_ONE_ERROR("{\"tags\":[null]}", VALIDATE_PATCH, "tags[0]");
	/* Two errors on different items. */
	ck_assert_int_eq(run("{\"tags\":[\"x\",\"x\",\"x\"]}", VALIDATE_PATCH),
			 422);
	ck_assert_uint_eq(nerrors(), 2);
	ck_assert_ptr_nonnull(error_for("tags[1]"));
	ck_assert_ptr_nonnull(error_for("tags[2]"));
}
END_TEST

START_TEST(test_object_string_array_item_length)
{
	char text[512], item[128];

	/* Each item: 1..100 characters. */
	memset(item, 'x', 100);
	item[100] = '\0';
	snprintf(text, sizeof(text), "{\"tags\":[\"%s\"]}", item);
	ASSERT_VALID(text, VALIDATE_PATCH);
	item[100] = 'x';
	item[101] = '\0';
	snprintf(text, sizeof(text), "{\"tags\":[\"%s\"]}", item);
	ASSERT_ONE_ERROR(text, VALIDATE_PATCH, "tags[0]");
}
END_TEST

START_TEST(test_object_uuid_arrays)
{
	ASSERT_VALID("{\"control_ids\":[]}", VALIDATE_PATCH);
	ASSERT_VALID("{\"control_ids\":[\"" U1 "\",\"" U2 "\"]}",
		     VALIDATE_PATCH);
	ASSERT_ONE_ERROR("{\"control_ids\":[\"" U1 "\",\"" U2 "\",\"" U1 "\"]}",
			 VALIDATE_PATCH, "control_ids");
	ASSERT_ONE_ERROR("{\"control_ids\":[\"" U1 "\",\"nope\"]}",
			 VALIDATE_PATCH, "control_ids[1]");
	ck_assert_str_eq(error_for("control_ids[1]"), "must be a UUID");
	ASSERT_ONE_ERROR("{\"control_ids\":[\"" U1 "\",\"" U1 "\"]}",
			 VALIDATE_PATCH, "control_ids[1]");
	ck_assert_str_eq(error_for("control_ids[1]"), "is repeated");
	ASSERT_ONE_ERROR("{\"control_ids\":[7]}", VALIDATE_PATCH,
			 "control_ids[0]");
	ASSERT_ONE_ERROR("{\"control_ids\":\"" U1 "\"}", VALIDATE_PATCH,
			 "control_ids");
}
END_TEST

/*
 * struct field documents min/max as "characters, items, or integer
 * bounds": an array field with min 1 must refuse an empty array.
 */
START_TEST(test_object_array_min_items)
{
	static const struct field owners[] = {
		{"owner_ids", FIELD_UUIDS, FIELD_REQUIRED, 1, 5, NULL},
		{"labels", FIELD_STRINGS, 0, 2, 5, NULL},
	};
	json_t *body;
	int rc;

	response_release(&RES);
	response_init(&RES, &A);
	body = json_pack("{s:[s], s:[s,s]}", "owner_ids", U1, "labels", "a",
			 "b");
	ck_assert_int_eq(
		validate_object(&RES, body, owners, 2, VALIDATE_CREATE), 0);
	json_decref(body);

	body = json_pack("{s:[], s:[s]}", "owner_ids", "labels", "a");
	rc = validate_object(&RES, body, owners, 2, VALIDATE_CREATE);
	json_decref(body);
	ck_assert_msg(rc == 422,
		      "an empty owner_ids (min 1 item) and a "
		      "one-item labels (min 2) were accepted: status %d",
		      rc);
	ck_assert_ptr_nonnull(error_for("owner_ids"));
	ck_assert_ptr_nonnull(error_for("labels"));
}
END_TEST

/* ---- validate_query_int ---- */

static int
qint(const char *text, long *out)
{
	response_release(&RES);
	response_init(&RES, &A);
	return validate_query_int(&RES, "limit", text, 50, 1, 200, out);
}

START_TEST(test_query_int)
{
	static const char *const junk[] = {
		"",
		"abc",
		"12x",
		"x12",
		"1.5",
		"0x10",
		"+5",
		" 5",
		"5 ",
		"\t5",
		"\n5",
		"--5",
		"-",
		"+",
		"1e2",
		"5\n",
		"0",
		"201",
		"-1",
		"99999999999999999999",
		"-99999999999999999999",
	};
	long v;
	size_t i;

	v = -1;
	ck_assert_int_eq(qint(NULL, &v), 0);
	ck_assert_int_eq(v, 50);
	ck_assert_int_eq(qint("1", &v), 0);
	ck_assert_int_eq(v, 1);
	ck_assert_int_eq(qint("200", &v), 0);
	ck_assert_int_eq(v, 200);
	ck_assert_int_eq(qint("007", &v), 0);
	ck_assert_int_eq(v, 7);
	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		v = 12345;
		ck_assert_msg(qint(junk[i], &v) == 400, "accepted \"%s\"",
			      junk[i]);
		ck_assert_int_eq(v, 12345);
		ck_assert_int_eq(RES.status, 400);
		ck_assert_str_eq(RES.problem_slug, "invalid-query");
		ck_assert_ptr_nonnull(strstr(RES.problem_detail, "'limit'"));
		ck_assert_ptr_nonnull(strstr(RES.problem_detail, "1 to 200"));
	}
}
END_TEST

START_TEST(test_query_int_negative_range)
{
	long v;

	response_release(&RES);
	ck_assert_int_eq(
		validate_query_int(&RES, "offset", "-5", 0, -10, 10, &v), 0);
	ck_assert_int_eq(v, -5);
	/* "-0" is a minus and plain digits: zero. */
	ck_assert_int_eq(
		validate_query_int(&RES, "offset", "-0", 3, -10, 10, &v), 0);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(
		validate_query_int(&RES, "offset", "-11", 0, -10, 10, &v), 400);
	ck_assert_int_eq(
		validate_query_int(&RES, "offset", "- 5", 0, -10, 10, &v), 400);
	ck_assert_int_eq(
		validate_query_int(&RES, "offset", "-+5", 0, -10, 10, &v), 400);
}
END_TEST

/* ---- validate_param ---- */

START_TEST(test_param)
{
	json_t *s = json_string("caf\xc3\xa9");
	json_t *i = json_integer(-42);
	json_t *big = json_integer(9007199254740993LL);
	json_t *r = json_real(1.5);
	json_t *o = json_pack("{s:i}", "a", 1);
	json_t *a = json_pack("[s,b]", "x", 1);
	json_t *n = json_null();
	json_t *t = json_true(), *f = json_false();

	ck_assert_str_eq(validate_param(&A, s), "caf\xc3\xa9");
	ck_assert_str_eq(validate_param(&A, i), "-42");
	ck_assert_str_eq(validate_param(&A, big), "9007199254740993");
	ck_assert_str_eq(validate_param(&A, r), "1.5");
	ck_assert_str_eq(validate_param(&A, o), "{\"a\":1}");
	ck_assert_str_eq(validate_param(&A, a), "[\"x\",true]");
	ck_assert_str_eq(validate_param(&A, t), "true");
	ck_assert_str_eq(validate_param(&A, f), "false");
	ck_assert_ptr_null(validate_param(&A, n));
	ck_assert_ptr_null(validate_param(&A, NULL));
	json_decref(s);
	json_decref(i);
	json_decref(big);
	json_decref(r);
	json_decref(o);
	json_decref(a);
	json_decref(n);
	json_decref(t);
	json_decref(f);
}
END_TEST

static Suite *
validate_suite(void)
{
	Suite *s = suite_create("validate");
	TCase *scalars = tcase_create("scalars");
	TCase *object = tcase_create("object");
	TCase *query = tcase_create("query_int");
	TCase *param = tcase_create("param");

	tcase_add_test(scalars, test_uuid);
	tcase_add_test(scalars, test_date);
	tcase_add_test(scalars, test_timestamp);
	tcase_add_test(scalars, test_utf8_length);
	suite_add_tcase(s, scalars);

	tcase_add_checked_fixture(object, setup, teardown);
	tcase_add_test(object, test_object_valid_full);
	tcase_add_test(object, test_object_not_an_object);
	tcase_add_test(object, test_object_required);
	tcase_add_test(object, test_object_unknown_and_readonly);
	tcase_add_test(object, test_object_reports_every_error);
	tcase_add_test(object, test_object_null);
	tcase_add_test(object, test_object_string_lengths_in_characters);
	tcase_add_test(object, test_object_control_characters);
	tcase_add_test(object, test_object_enum);
	tcase_add_test(object, test_object_int);
	tcase_add_test(object, test_object_bool_uuid_date_timestamp_object);
	tcase_add_test(object, test_object_string_arrays);
	tcase_add_test(object, test_object_string_array_item_length);
	tcase_add_test(object, test_object_uuid_arrays);
	tcase_add_test(object, test_object_array_min_items);
	suite_add_tcase(s, object);

	tcase_add_checked_fixture(query, setup, teardown);
	tcase_add_test(query, test_query_int);
	tcase_add_test(query, test_query_int_negative_range);
	suite_add_tcase(s, query);

	tcase_add_checked_fixture(param, setup, teardown);
	tcase_add_test(param, test_param);
	suite_add_tcase(s, param);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(validate_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
