/*
 * Unit tests for common/http: query-string parsing (percent-decoding,
 * whitelist, repeats, bad escapes, limits), media types, JSON bodies
 * (415/400 and what jansson is told to refuse), problem recording, and
 * http_serialize: the status line, fixed headers, RFC 9457 problem
 * documents, JSON and raw bodies, 204/304, custom headers and a
 * Content-Length that matches the body.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "http.h"

static struct arena A;
static struct request R;
static struct response RES;

static void
setup(void)
{
	arena_init(&A, 4096);
	request_init(&R, &A);
	response_init(&RES, &A);
}

static void
teardown(void)
{
	request_release(&R);
	response_release(&RES);
	arena_free(&A);
}

/* memmem is a GNU extension; the build is plain POSIX. */
static const char *
find(const char *hay, size_t n, const char *needle)
{
	size_t k = strlen(needle), i;

	for (i = 0; k <= n && i <= n - k; i++)
		if (memcmp(hay + i, needle, k) == 0)
			return hay + i;
	return NULL;
}

/* ---- helpers ---- */

START_TEST(test_methods_and_reasons)
{
	ck_assert_uint_eq(http_method_parse("GET"), HTTP_GET);
	ck_assert_uint_eq(http_method_parse("POST"), HTTP_POST);
	ck_assert_uint_eq(http_method_parse("PUT"), HTTP_PUT);
	ck_assert_uint_eq(http_method_parse("PATCH"), HTTP_PATCH);
	ck_assert_uint_eq(http_method_parse("DELETE"), HTTP_DELETE);
	ck_assert_uint_eq(http_method_parse("HEAD"), HTTP_HEAD);
	ck_assert_uint_eq(http_method_parse("OPTIONS"), HTTP_OPTIONS);
	/* Methods are case-sensitive (RFC 9110 section 9.1). */
	ck_assert_uint_eq(http_method_parse("get"), 0);
	ck_assert_uint_eq(http_method_parse("TRACE"), 0);
	ck_assert_uint_eq(http_method_parse(""), 0);
	ck_assert_uint_eq(http_method_parse(NULL), 0);
	ck_assert_str_eq(http_method_name(HTTP_PATCH), "PATCH");
	ck_assert_str_eq(http_method_name(HTTP_GET | HTTP_POST), "UNKNOWN");
	ck_assert_str_eq(http_method_name(0), "UNKNOWN");
	ck_assert_str_eq(http_reason(200), "OK");
	ck_assert_str_eq(http_reason(422), "Unprocessable Content");
	ck_assert_str_eq(http_reason(503), "Service Unavailable");
	ck_assert_str_eq(http_reason(418), "Unknown");
}
END_TEST

/* ---- query strings ---- */

static const char *const allowed[] = {"q", "name", "limit", "x", NULL};

static int
parse_query(const char *qs, const char *const *keys)
{
	request_init(&R, &A);
	response_release(&RES);
	response_init(&RES, &A);
	R.query_string = qs;
	return http_parse_query(&R, &RES, keys);
}

START_TEST(test_query_decoding)
{
	ck_assert_int_eq(
		parse_query("q=hello%20world&name=a+b&x=%41%62%2b%26%3D",
			    allowed),
		0);
	ck_assert_uint_eq(R.nquery, 3);
	ck_assert_str_eq(http_query(&R, "q"), "hello world");
	ck_assert_str_eq(http_query(&R, "name"), "a b");
	ck_assert_str_eq(http_query(&R, "x"), "Ab+&=");
	ck_assert_ptr_null(http_query(&R, "limit"));
	ck_assert_ptr_null(http_query(&R, "Q"));
	/* Keys are decoded too; UTF-8 comes through as bytes. */
	ck_assert_int_eq(parse_query("n%61me=caf%C3%A9", allowed), 0);
	ck_assert_str_eq(http_query(&R, "name"), "caf\xc3\xa9");
	/* A value may hold '='; a key without '=' has an empty value. */
	ck_assert_int_eq(parse_query("q=a=b&x&name=", allowed), 0);
	ck_assert_str_eq(http_query(&R, "q"), "a=b");
	ck_assert_str_eq(http_query(&R, "x"), "");
	ck_assert_str_eq(http_query(&R, "name"), "");
	/* Escape at the very end of the string. */
	ck_assert_int_eq(parse_query("q=%7E", allowed), 0);
	ck_assert_str_eq(http_query(&R, "q"), "~");
}
END_TEST

START_TEST(test_query_empty)
{
	ck_assert_int_eq(parse_query(NULL, allowed), 0);
	ck_assert_uint_eq(R.nquery, 0);
	ck_assert_int_eq(parse_query("", allowed), 0);
	ck_assert_uint_eq(R.nquery, 0);
	ck_assert_int_eq(parse_query("", NULL), 0);
	ck_assert_int_eq(parse_query(NULL, NULL), 0);
	/* Empty pairs are skipped. */
	ck_assert_int_eq(parse_query("&&q=1&&&limit=2&", allowed), 0);
	ck_assert_uint_eq(R.nquery, 2);
	ck_assert_str_eq(http_query(&R, "q"), "1");
	ck_assert_str_eq(http_query(&R, "limit"), "2");
	ck_assert_int_eq(parse_query("&", NULL), 0);
	ck_assert_uint_eq(R.nquery, 0);
}
END_TEST

static void
assert_bad_query(const char *qs, const char *const *keys,
		 const char *detail_part)
{
	ck_assert_msg(parse_query(qs, keys) == 400, "accepted \"%s\"", qs);
	ck_assert_int_eq(RES.status, 400);
	ck_assert_str_eq(RES.problem_slug, "invalid-query");
	ck_assert_ptr_nonnull(RES.problem_detail);
	ck_assert_msg(strstr(RES.problem_detail, detail_part) != NULL,
		      "\"%s\": detail \"%s\" lacks \"%s\"", qs,
		      RES.problem_detail, detail_part);
}

START_TEST(test_query_unknown_key)
{
	assert_bad_query("sort=name", allowed,
			 "Unknown query parameter 'sort'");
	assert_bad_query("q=1&sort=name", allowed, "'sort'");
	assert_bad_query("Q=1", allowed, "'Q'");
	assert_bad_query("=1", allowed, "''");
	/* No whitelist: nothing is allowed. */
	assert_bad_query("q=1", NULL, "'q'");
	/* A long key is cut in the message. */
	{
		char qs[300];

		memset(qs, 'k', 200);
		strcpy(qs + 200, "=1");
		assert_bad_query(qs, allowed, "Unknown query parameter");
		ck_assert_uint_lt(strlen(RES.problem_detail), 120);
	}
}
END_TEST

START_TEST(test_query_repeated_key)
{
	assert_bad_query("q=1&q=2", allowed, "Query parameter 'q' is repeated");
	assert_bad_query("q=1&q=1", allowed, "repeated");
	assert_bad_query("q&q", allowed, "repeated");
	/* Repeats are found after decoding. */
	assert_bad_query("name=1&n%61me=2", allowed, "'name' is repeated");
}
END_TEST

START_TEST(test_query_bad_escapes)
{
	static const char *const bad[] = {
		"q=%",   "q=%4",    "q=%zz",  "q=%g0", "q=%0g",
		"q=a%",  "q=%%41",  "%=1",    "q%=1",  "q=%4&x=1",
		"q=%00", "q=a%00b", "q%00=1", /* NUL is refused */
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_bad_query(bad[i], allowed, "percent-encoding");
}
END_TEST

START_TEST(test_query_too_many)
{
	const char *keys[HTTP_MAX_QUERY + 2];
	char qs[1024];
	size_t i, used = 0;

	for (i = 0; i < HTTP_MAX_QUERY + 1; i++)
		keys[i] = arena_printf(&A, "k%zu", i);
	keys[HTTP_MAX_QUERY + 1] = NULL;
	/* Exactly the limit is fine. */
	for (i = 0; i < HTTP_MAX_QUERY; i++)
		used += (size_t)snprintf(qs + used, sizeof(qs) - used,
					 "%sk%zu=%zu", i ? "&" : "", i, i);
	ck_assert_int_eq(parse_query(qs, keys), 0);
	ck_assert_uint_eq(R.nquery, HTTP_MAX_QUERY);
	ck_assert_str_eq(http_query(&R, "k31"), "31");
	/* One more is refused, never written past the array. */
	snprintf(qs + used, sizeof(qs) - used, "&k%d=x", HTTP_MAX_QUERY);
	assert_bad_query(qs, keys, "Too many query parameters");
	ck_assert_uint_eq(R.nquery, HTTP_MAX_QUERY);
}
END_TEST

/* ---- media types ---- */

START_TEST(test_media_type)
{
	static const char *const yes[] = {
		"application/json",
		"application/json; charset=utf-8",
		"application/json;charset=UTF-8",
		"application/json ; charset=utf-8",
		"APPLICATION/JSON",
		"Application/Json; charset=utf-8",
		"  application/json",
		"application/json  ",
	};
	static const char *const no[] = {
		"",
		"application/jso",
		"application/jsonx",
		"application/json-patch+json",
		"application/problem+json",
		"text/json",
		"application/json,text/plain",
		"application/json x",
		"text/plain; type=application/json",
		"application /json",
	};
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		ck_assert_msg(http_media_type_is(yes[i], "application/json"),
			      "refused \"%s\"", yes[i]);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		ck_assert_msg(!http_media_type_is(no[i], "application/json"),
			      "accepted \"%s\"", no[i]);
	ck_assert(!http_media_type_is(NULL, "application/json"));
	ck_assert(http_media_type_is("text/csv; header=present", "text/csv"));
}
END_TEST

/* ---- JSON bodies ---- */

static int
parse_json(const char *ctype, const char *body, size_t len)
{
	request_release(&R);
	request_init(&R, &A);
	response_release(&RES);
	response_init(&RES, &A);
	R.content_type = ctype;
	R.body = body;
	R.body_len = len;
	return http_parse_json(&R, &RES);
}

#define JSON_BODY(s) (s), (sizeof(s) - 1)

START_TEST(test_json_success)
{
	ck_assert_int_eq(
		parse_json("application/json; charset=utf-8",
			   JSON_BODY("{\"name\":\"caf\xc3\xa9\",\"n\":[1,2]}")),
		0);
	ck_assert_int_eq(RES.status, 0);
	ck_assert(json_is_object(R.json));
	ck_assert_str_eq(json_string_value(json_object_get(R.json, "name")),
			 "caf\xc3\xa9");
	ck_assert_uint_eq(json_array_size(json_object_get(R.json, "n")), 2);
	ck_assert_int_eq(parse_json("application/json", JSON_BODY("[]")), 0);
	ck_assert(json_is_array(R.json));
	/* Only body_len bytes are read. */
	ck_assert_int_eq(parse_json("application/json", "{}garbage", 2), 0);
	ck_assert(json_is_object(R.json));
}
END_TEST

START_TEST(test_json_wrong_type)
{
	static const char *const types[] = {
		NULL,
		"",
		"text/plain",
		"application/x-www-form-urlencoded",
		"multipart/form-data; boundary=x",
		"application/json-seq",
		"text/json",
	};
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		ck_assert_int_eq(parse_json(types[i], JSON_BODY("{}")), 415);
		ck_assert_int_eq(RES.status, 415);
		ck_assert_str_eq(RES.problem_slug, "unsupported-media-type");
		ck_assert_ptr_null(R.json);
	}
	/* The media type is checked before the (empty) body. */
	ck_assert_int_eq(parse_json("text/plain", "", 0), 415);
}
END_TEST

static void
assert_bad_json(const char *body, size_t len)
{
	ck_assert_msg(parse_json("application/json", body, len) == 400,
		      "accepted %.*s", (int)len, body);
	ck_assert_int_eq(RES.status, 400);
	ck_assert_str_eq(RES.problem_slug, "malformed-json");
	ck_assert_ptr_nonnull(RES.problem_detail);
	ck_assert_ptr_null(R.json);
}

START_TEST(test_json_malformed)
{
	assert_bad_json("", 0);
	ck_assert_str_eq(RES.problem_detail, "The request body is empty.");
	assert_bad_json(JSON_BODY("{"));
	ck_assert_ptr_nonnull(strstr(RES.problem_detail, "not valid JSON"));
	assert_bad_json(JSON_BODY("{\"a\":1,}"));
	assert_bad_json(JSON_BODY("{'a':1}"));
	assert_bad_json(JSON_BODY("{\"a\":01}"));
	assert_bad_json(JSON_BODY("{\"a\":NaN}"));
	assert_bad_json(JSON_BODY("{} {}"));
	assert_bad_json(JSON_BODY("{}x"));
	assert_bad_json(JSON_BODY("   "));
	/* A bare scalar is not a document. */
	assert_bad_json(JSON_BODY("42"));
	assert_bad_json(JSON_BODY("\"text\""));
	assert_bad_json(JSON_BODY("null"));
}
END_TEST

START_TEST(test_json_duplicate_keys)
{
	assert_bad_json(JSON_BODY("{\"a\":1,\"a\":2}"));
	assert_bad_json(JSON_BODY("{\"a\":1,\"b\":{\"c\":1,\"c\":1}}"));
	/* An escaped spelling of the same key is the same key. */
	assert_bad_json(
		JSON_BODY("{\"role\":\"viewer\",\"r\\u006fle\":\"admin\"}"));
}
END_TEST

START_TEST(test_json_invalid_utf8)
{
	assert_bad_json(JSON_BODY("{\"a\":\"\xff\"}"));
	assert_bad_json(JSON_BODY("{\"a\":\"\xc3\"}"));         /* truncated */
	assert_bad_json(JSON_BODY("{\"a\":\"\xc0\xaf\"}"));     /* overlong / */
	assert_bad_json(JSON_BODY("{\"a\":\"\xed\xa0\x80\"}")); /* surrogate */
	assert_bad_json(JSON_BODY("{\"\xfe\":1}"));
	assert_bad_json(JSON_BODY("{\"a\":\"\\ud800\"}")); /* lone escape */
	/* NUL, raw or escaped, never reaches a handler. */
	assert_bad_json(JSON_BODY("{\"a\":\"\\u0000\"}"));
	assert_bad_json("{\"a\":\"x\0y\"}", 11);
}
END_TEST

/* ---- problems ---- */

START_TEST(test_problem_recording)
{
	ck_assert_int_eq(http_problem(&RES, 409, "conflict",
				      "Asset '%s' exists.", "web-1"),
			 409);
	ck_assert_int_eq(RES.status, 409);
	ck_assert_str_eq(RES.problem_slug, "conflict");
	ck_assert_str_eq(RES.problem_detail, "Asset 'web-1' exists.");
	http_field_error(&RES, "name", "must be at most %d characters", 200);
	http_field_error(&RES, "type", "is required");
	ck_assert_uint_eq(json_array_size(RES.problem_errors), 2);
	ck_assert_str_eq(
		json_string_value(json_object_get(
			json_array_get(RES.problem_errors, 0), "message")),
		"must be at most 200 characters");
	ck_assert_int_eq(http_internal(&RES, "connection reset"), 500);
	ck_assert_int_eq(RES.status, 500);
	ck_assert_str_eq(RES.log_reason, "connection reset");
	ck_assert_ptr_null(strstr(RES.problem_detail, "connection reset"));
}
END_TEST

START_TEST(test_header_limit)
{
	int i;

	for (i = 0; i < HTTP_MAX_HEADERS + 3; i++)
		http_header(&RES, "X-N", "%d", i);
	ck_assert_uint_eq(RES.nheaders, HTTP_MAX_HEADERS);
	ck_assert_str_eq(RES.headers[HTTP_MAX_HEADERS - 1].value, "7");
}
END_TEST

/* ---- serialization ---- */

struct parsed {
	char status_line[128];
	size_t nheaders;
	char *names[32];
	char *values[32];
	const char *body;
	size_t body_len;
};

/* Splits a serialized envelope; fails the test when it is not one. */
static void
parse_envelope(const char *out, size_t len, struct parsed *p)
{
	const char *end, *line, *eol, *colon;

	memset(p, 0, sizeof(*p));
	ck_assert_ptr_nonnull(out);
	end = find(out, len, "\r\n\r\n");
	ck_assert_msg(end != NULL, "no blank line in the envelope");
	p->body = end + 4;
	p->body_len = len - (size_t)(p->body - out);
	line = out;
	eol = find(line, (size_t)(end + 2 - line), "\r\n");
	ck_assert_uint_lt((size_t)(eol - line), sizeof(p->status_line));
	memcpy(p->status_line, line, (size_t)(eol - line));
	for (line = eol + 2; line < end + 2; line = eol + 2) {
		eol = find(line, (size_t)(end + 2 - line), "\r\n");
		ck_assert_ptr_nonnull(eol);
		colon = memchr(line, ':', (size_t)(eol - line));
		ck_assert_msg(colon != NULL && colon[1] == ' ',
			      "bad header line %.*s", (int)(eol - line), line);
		ck_assert_uint_lt(p->nheaders, 32);
		p->names[p->nheaders] =
			arena_strndup(&A, line, (size_t)(colon - line));
		p->values[p->nheaders] =
			arena_strndup(&A, colon + 2, (size_t)(eol - colon - 2));
		/* Header text never holds a bare CR, LF or NUL. */
		ck_assert_ptr_null(strpbrk(p->values[p->nheaders], "\r\n"));
		ck_assert_uint_eq(strlen(p->values[p->nheaders]),
				  (size_t)(eol - colon - 2));
		p->nheaders++;
	}
}

static const char *
header(const struct parsed *p, const char *name)
{
	const char *found = NULL;
	size_t i;

	for (i = 0; i < p->nheaders; i++)
		if (strcasecmp(p->names[i], name) == 0) {
			ck_assert_msg(found == NULL, "header %s twice", name);
			found = p->values[i];
		}
	return found;
}

static void
assert_common_headers(const struct parsed *p)
{
	ck_assert_str_eq(header(p, "Cache-Control"), "no-store");
	ck_assert_str_eq(header(p, "X-Content-Type-Options"), "nosniff");
	if (header(p, "Content-Length") != NULL)
		ck_assert_str_eq(header(p, "Content-Length"),
				 arena_printf(&A, "%zu", p->body_len));
}

/* Serializes RES for R, parses the envelope and the JSON body, if any. */
static json_t *
serialize(struct parsed *p)
{
	json_error_t err;
	size_t len = 0;
	const char *ctype;
	char *out;
	json_t *doc = NULL;

	out = http_serialize(&R, &RES, &len);
	ck_assert_ptr_nonnull(out);
	/* Copy into the arena so out can be freed before any assertion. */
	{
		char *copy = arena_alloc(&A, len + 1);

		memcpy(copy, out, len);
		copy[len] = '\0';
		free(out);
		out = copy;
	}
	parse_envelope(out, len, p);
	assert_common_headers(p);
	ctype = header(p, "Content-Type");
	if (p->body_len > 0 && ctype != NULL &&
	    (strcmp(ctype, "application/json") == 0 ||
	     strcmp(ctype, "application/problem+json") == 0)) {
		doc = json_loadb(p->body, p->body_len,
				 JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
				 &err);
		ck_assert_msg(doc != NULL, "body is not JSON: %s", err.text);
	}
	return doc;
}

static const char *
str(const json_t *doc, const char *key)
{
	return json_string_value(json_object_get(doc, key));
}

START_TEST(test_serialize_validation_problem)
{
	struct parsed p;
	json_t *doc, *errors, *e;

	R.path = "/api/v1/assets";
	R.request_id = "3f2a9c1e-req";
	http_field_error(&RES, "name", "is required");
	http_field_error(&RES, "type", "must be one of: %s", "server, laptop");
	RES.status = http_problem(&RES, 422, "validation",
				  "The request body has invalid fields.");
	doc = serialize(&p);

	ck_assert_str_eq(p.status_line, "Status: 422 Unprocessable Content");
	ck_assert_str_eq(header(&p, "Content-Type"),
			 "application/problem+json");
	ck_assert_ptr_nonnull(header(&p, "Content-Length"));
	ck_assert_ptr_nonnull(doc);
	ck_assert_str_eq(str(doc, "type"), "/problems/validation");
	ck_assert_str_eq(str(doc, "title"), "Unprocessable Content");
	ck_assert(json_is_integer(json_object_get(doc, "status")));
	ck_assert_int_eq(json_integer_value(json_object_get(doc, "status")),
			 422);
	ck_assert_str_eq(str(doc, "detail"),
			 "The request body has invalid fields.");
	ck_assert_str_eq(str(doc, "instance"), "/api/v1/assets");
	ck_assert_str_eq(str(doc, "request_id"), "3f2a9c1e-req");
	errors = json_object_get(doc, "errors");
	ck_assert(json_is_array(errors));
	ck_assert_uint_eq(json_array_size(errors), 2);
	e = json_array_get(errors, 0);
	ck_assert_str_eq(str(e, "field"), "name");
	ck_assert_str_eq(str(e, "message"), "is required");
	e = json_array_get(errors, 1);
	ck_assert_str_eq(str(e, "field"), "type");
	ck_assert_str_eq(str(e, "message"), "must be one of: server, laptop");
	ck_assert_uint_eq(json_object_size(doc), 7);
	json_decref(doc);
}
END_TEST

START_TEST(test_serialize_problem_defaults)
{
	struct parsed p;
	json_t *doc;

	/* No slug, no detail, no path, no request id. */
	RES.status = 404;
	doc = serialize(&p);
	ck_assert_str_eq(p.status_line, "Status: 404 Not Found");
	ck_assert_str_eq(str(doc, "type"), "/problems/not-found");
	ck_assert_str_eq(str(doc, "title"), "Not Found");
	ck_assert_str_eq(str(doc, "detail"), "Not Found");
	ck_assert_ptr_null(json_object_get(doc, "instance"));
	ck_assert_ptr_null(json_object_get(doc, "request_id"));
	ck_assert_ptr_null(json_object_get(doc, "errors"));
	json_decref(doc);

	/* A status outside the table still yields a document. */
	response_init(&RES, &A);
	RES.status = 418;
	doc = serialize(&p);
	ck_assert_str_eq(p.status_line, "Status: 418 Unknown");
	ck_assert_str_eq(str(doc, "type"), "/problems/error");
	json_decref(doc);
}
END_TEST

/* The types the OpenAPI document lists for each status (Problem). */
START_TEST(test_serialize_default_types)
{
	static const struct {
		int status;
		const char *type, *title;
	} v[] = {
		{400, "/problems/bad-request", "Bad Request"},
		{401, "/problems/unauthorized", "Unauthorized"},
		{403, "/problems/forbidden", "Forbidden"},
		{404, "/problems/not-found", "Not Found"},
		{405, "/problems/method-not-allowed", "Method Not Allowed"},
		{409, "/problems/conflict", "Conflict"},
		{412, "/problems/precondition-failed", "Precondition Failed"},
		{413, "/problems/payload-too-large", "Content Too Large"},
		{415, "/problems/unsupported-media-type",
		 "Unsupported Media Type"},
		{422, "/problems/validation", "Unprocessable Content"},
		{429, "/problems/too-many-requests", "Too Many Requests"},
		{500, "/problems/internal", "Internal Server Error"},
		{503, "/problems/unavailable", "Service Unavailable"},
	};
	struct parsed p;
	json_t *doc;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		response_init(&RES, &A);
		RES.status = http_problem(&RES, v[i].status, NULL, "d%zu", i);
		doc = serialize(&p);
		ck_assert_str_eq(str(doc, "type"), v[i].type);
		ck_assert_str_eq(str(doc, "title"), v[i].title);
		ck_assert_str_eq(str(doc, "detail"),
				 arena_printf(&A, "d%zu", i));
		ck_assert_str_eq(header(&p, "Content-Type"),
				 "application/problem+json");
		json_decref(doc);
	}
}
END_TEST

/*
 * Query keys are echoed in the detail; a key that is not UTF-8, or one
 * whose UTF-8 the %.64s cut splits, made json_string() fail and the
 * document went out without any detail.
 */
START_TEST(test_serialize_detail_survives_non_utf8_input)
{
	static const char *const qs[] = {
		"%FF=1",
		"%C3=1",
		/* 63 ASCII bytes and a two-byte character: cut after byte 64.
		 */
		"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
		"k"
		"%C3%A9=1",
	};
	struct parsed p;
	json_t *doc;
	bool has_detail, type_ok;
	size_t i;

	for (i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		request_init(&R, &A);
		response_init(&RES, &A);
		R.path = "/api/v1/assets";
		R.query_string = qs[i];
		RES.status = http_parse_query(&R, &RES, NULL);
		ck_assert_int_eq(RES.status, 400);
		doc = serialize(&p);
		has_detail = json_is_string(json_object_get(doc, "detail"));
		type_ok = strcmp(str(doc, "type"), "/problems/invalid-query") ==
			  0;
		json_decref(doc);
		ck_assert(type_ok);
		ck_assert_msg(has_detail, "query \"%s\": problem has no detail",
			      qs[i]);
	}
}
END_TEST

START_TEST(test_serialize_internal_error_hides_reason)
{
	struct parsed p;
	json_t *doc;

	R.path = "/api/v1/risks";
	RES.status = http_internal(&RES, "relation \"risks\" does not exist");
	doc = serialize(&p);
	ck_assert_str_eq(p.status_line, "Status: 500 Internal Server Error");
	ck_assert_str_eq(str(doc, "type"), "/problems/internal");
	ck_assert_ptr_null(find(p.body, p.body_len, "relation"));
	json_decref(doc);
}
END_TEST

START_TEST(test_serialize_problem_ignores_body)
{
	struct parsed p;
	json_t *doc;

	/* A handler filled a body, then failed: the problem is sent. */
	RES.body = json_pack("{s:s}", "secret", "half-built");
	RES.raw = "raw";
	RES.raw_len = 3;
	RES.status = http_problem(&RES, 409, "conflict", "Changed meanwhile.");
	doc = serialize(&p);
	ck_assert_str_eq(header(&p, "Content-Type"),
			 "application/problem+json");
	ck_assert_ptr_null(json_object_get(doc, "secret"));
	ck_assert_str_eq(str(doc, "type"), "/problems/conflict");
	json_decref(doc);
}
END_TEST

START_TEST(test_serialize_json_200)
{
	struct parsed p;
	json_t *doc;

	/* Status 0 means 200. */
	RES.body = json_pack("{s:s, s:i, s:[s]}", "name", "caf\xc3\xa9", "n", 3,
			     "tags", "a");
	doc = serialize(&p);
	ck_assert_str_eq(p.status_line, "Status: 200 OK");
	ck_assert_int_eq(RES.status, 200);
	ck_assert_str_eq(header(&p, "Content-Type"), "application/json");
	ck_assert_ptr_nonnull(header(&p, "Content-Length"));
	ck_assert(json_equal(doc, RES.body));
	json_decref(doc);

	/* A top-level array or scalar is encoded too. */
	response_release(&RES);
	response_init(&RES, &A);
	RES.status = 200;
	RES.body = json_string("plain");
	doc = serialize(&p);
	ck_assert_str_eq(json_string_value(doc), "plain");
	json_decref(doc);
	ck_assert_uint_eq(p.body_len, 7);
	ck_assert_mem_eq(p.body, "\"plain\"", 7);
}
END_TEST

START_TEST(test_serialize_201_custom_headers)
{
	struct parsed p;
	json_t *doc;

	RES.status = 201;
	RES.body = json_pack("{s:s}", "id", "a1");
	http_header(&RES, "Location", "/api/v1/assets/%s", "a1");
	http_header(&RES, "ETag", "\"%d\"", 7);
	doc = serialize(&p);
	ck_assert_str_eq(p.status_line, "Status: 201 Created");
	ck_assert_str_eq(header(&p, "Location"), "/api/v1/assets/a1");
	ck_assert_str_eq(header(&p, "ETag"), "\"7\"");
	ck_assert_str_eq(str(doc, "id"), "a1");
	json_decref(doc);
}
END_TEST

START_TEST(test_serialize_405_allow)
{
	struct parsed p;
	json_t *doc;

	http_header(&RES, "Allow", "%s", "GET, POST");
	RES.status = http_problem(&RES, 405, "method-not-allowed",
				  "DELETE is not allowed here; use GET, POST.");
	doc = serialize(&p);
	ck_assert_str_eq(p.status_line, "Status: 405 Method Not Allowed");
	ck_assert_str_eq(header(&p, "Allow"), "GET, POST");
	ck_assert_str_eq(str(doc, "type"), "/problems/method-not-allowed");
	json_decref(doc);
}
END_TEST

START_TEST(test_serialize_204_and_304_without_body)
{
	static const int statuses[] = {204, 304};
	struct parsed p;
	size_t i;

	for (i = 0; i < 2; i++) {
		response_release(&RES);
		response_init(&RES, &A);
		RES.status = statuses[i];
		/* Even a body a handler left behind is not sent. */
		RES.body = json_pack("{s:b}", "leftover", 1);
		http_header(&RES, "ETag", "\"v2\"");
		ck_assert_ptr_null(serialize(&p));
		ck_assert_uint_eq(p.body_len, 0);
		ck_assert_ptr_null(header(&p, "Content-Type"));
		ck_assert_ptr_null(header(&p, "Content-Length"));
		ck_assert_str_eq(header(&p, "ETag"), "\"v2\"");
	}
	ck_assert_str_eq(p.status_line, "Status: 304 Not Modified");
}
END_TEST

START_TEST(test_serialize_200_without_body)
{
	struct parsed p;

	RES.status = 200;
	ck_assert_ptr_null(serialize(&p));
	ck_assert_uint_eq(p.body_len, 0);
	ck_assert_str_eq(header(&p, "Content-Length"), "0");
}
END_TEST

START_TEST(test_serialize_raw_body)
{
	static const char csv[] = "id,name\n1,a\0b\n";
	struct parsed p;

	RES.status = 200;
	RES.raw = csv;
	RES.raw_len = sizeof(csv) - 1;
	RES.content_type = "text/csv; charset=utf-8";
	serialize(&p);
	ck_assert_str_eq(header(&p, "Content-Type"), "text/csv; charset=utf-8");
	ck_assert_uint_eq(p.body_len, sizeof(csv) - 1);
	ck_assert_mem_eq(p.body, csv, sizeof(csv) - 1);

	response_init(&RES, &A);
	RES.status = 200;
	RES.raw = "x";
	RES.raw_len = 1;
	serialize(&p);
	ck_assert_str_eq(header(&p, "Content-Type"), "text/plain");
}
END_TEST

START_TEST(test_serialize_long_headers)
{
	struct parsed p;
	char *value;
	int i;

	/* Header values longer than the fixed slack are accounted for. */
	value = arena_alloc(&A, 2001);
	memset(value, 'v', 2000);
	value[2000] = '\0';
	RES.status = 200;
	RES.body = json_pack("{s:s}", "k", "v");
	for (i = 0; i < HTTP_MAX_HEADERS; i++)
		http_header(&RES, "X-Long", "%s", value);
	json_decref(serialize(&p));
	/* Cache-Control, X-Content-Type-Options, Content-Type and -Length. */
	ck_assert_uint_eq(p.nheaders, 4 + HTTP_MAX_HEADERS);
	ck_assert_uint_eq(strlen(p.values[p.nheaders - 1]), 2000);
}
END_TEST

/*
 * The output buffer is sized 512 + body + custom headers; the
 * Content-Type of a raw body is not counted. A handler that serves a
 * stored file with its stored (client-supplied) media type overruns it.
 */
START_TEST(test_serialize_long_raw_content_type)
{
	struct parsed p;
	char *ctype;

	ctype = arena_alloc(&A, 701);
	strcpy(ctype, "application/x-");
	memset(ctype + 14, 'a', 686);
	ctype[700] = '\0';
	RES.status = 200;
	RES.raw = "x";
	RES.raw_len = 1;
	RES.content_type = ctype;
	serialize(&p);
	ck_assert_ptr_nonnull(header(&p, "Content-Type"));
	ck_assert_str_eq(header(&p, "Content-Type"), ctype);
	ck_assert_uint_eq(p.body_len, 1);
	ck_assert_int_eq(p.body[0], 'x');
}
END_TEST

static Suite *
http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *misc = tcase_create("misc");
	TCase *query = tcase_create("query");
	TCase *json = tcase_create("json");
	TCase *ser = tcase_create("serialize");
	TCase *sizes = tcase_create("sizes");

	tcase_add_checked_fixture(misc, setup, teardown);
	tcase_add_test(misc, test_methods_and_reasons);
	tcase_add_test(misc, test_media_type);
	tcase_add_test(misc, test_problem_recording);
	tcase_add_test(misc, test_header_limit);
	suite_add_tcase(s, misc);

	tcase_add_checked_fixture(query, setup, teardown);
	tcase_add_test(query, test_query_decoding);
	tcase_add_test(query, test_query_empty);
	tcase_add_test(query, test_query_unknown_key);
	tcase_add_test(query, test_query_repeated_key);
	tcase_add_test(query, test_query_bad_escapes);
	tcase_add_test(query, test_query_too_many);
	suite_add_tcase(s, query);

	tcase_add_checked_fixture(json, setup, teardown);
	tcase_add_test(json, test_json_success);
	tcase_add_test(json, test_json_wrong_type);
	tcase_add_test(json, test_json_malformed);
	tcase_add_test(json, test_json_duplicate_keys);
	tcase_add_test(json, test_json_invalid_utf8);
	suite_add_tcase(s, json);

	tcase_add_checked_fixture(ser, setup, teardown);
	tcase_add_test(ser, test_serialize_validation_problem);
	tcase_add_test(ser, test_serialize_problem_defaults);
	tcase_add_test(ser, test_serialize_default_types);
	tcase_add_test(ser, test_serialize_detail_survives_non_utf8_input);
	tcase_add_test(ser, test_serialize_internal_error_hides_reason);
	tcase_add_test(ser, test_serialize_problem_ignores_body);
	tcase_add_test(ser, test_serialize_json_200);
	tcase_add_test(ser, test_serialize_201_custom_headers);
	tcase_add_test(ser, test_serialize_405_allow);
	tcase_add_test(ser, test_serialize_204_and_304_without_body);
	tcase_add_test(ser, test_serialize_200_without_body);
	tcase_add_test(ser, test_serialize_raw_body);
	suite_add_tcase(s, ser);

	tcase_add_checked_fixture(sizes, setup, teardown);
	tcase_add_test(sizes, test_serialize_long_headers);
	tcase_add_test(sizes, test_serialize_long_raw_content_type);
	suite_add_tcase(s, sizes);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(http_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
