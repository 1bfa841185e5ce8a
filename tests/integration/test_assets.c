/*
 * The asset inventory through the real stack: every field's validation,
 * JSON merge with If-Match, Idempotency-Key retries, archive and purge,
 * filters, sorts and keyset paging (stable while rows are inserted),
 * dependencies with effective C/I/A and cycle refusal, the tenant's
 * settings, the 10,000-row import and its all-or-nothing failure, the CSV
 * export, other tenants' ids everywhere, and the role matrix of every
 * route.
 */
#include <check.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"

#define ASSETS "/api/v1/assets"

static void
setup(void)
{
	t_setup();
}

/* ---- helpers ---- */

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

static char *
fmt(const char *f, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, f);
	n = vsnprintf(NULL, 0, f, ap);
	va_end(ap);
	ck_assert_int_ge(n, 0);
	s = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(s);
	va_start(ap, f);
	vsnprintf(s, (size_t)n + 1, f, ap);
	va_end(ap);
	return t_keep(s);
}

static struct reply *
send_json(const char *method, const char *path, const char *tok,
	  const char *body, const char *header)
{
	const char *extra[2] = {header, NULL};

	return t_http(method, path, tok, body ? "application/json" : NULL, body,
		      body ? strlen(body) : 0, extra);
}

/* Frees r after checking its status (and that errors are problems). */
static void
expect(struct reply *r, long status)
{
	ck_assert_msg(r->status == status, "expected %ld, got %ld: %.400s",
		      status, r->status, r->body ? r->body : "");
	if (status >= 400)
		ck_assert_msg(t_is_problem(r, status), "not a problem: %.300s",
			      r->body ? r->body : "");
	t_reply_free(r);
}

/* True when the problem's errors name field (and row, when row >= 0). */
static int
names_field(const struct reply *r, const char *field, long row)
{
	const json_t *e;
	size_t i;

	json_array_foreach (json_object_get(r->json, "errors"), i, e) {
		if (strcmp(json_string_value(json_object_get(e, "field")),
			   field) == 0 &&
		    (row < 0 ||
		     json_integer_value(json_object_get(e, "row")) == row))
			return 1;
	}
	return 0;
}

static const char *
str(const struct reply *r, const char *key)
{
	return json_string_value(json_object_get(r->json, key));
}

/* Creates an asset; returns its id (kept). */
static char *
create(const char *tok, const char *body)
{
	struct reply *r = t_json("POST", ASSETS, tok, body);
	char *id;

	ck_assert_msg(r->status == 201, "create %s: %ld %.400s", body,
		      r->status, r->body);
	id = t_keep(strdup(str(r, "id")));
	t_reply_free(r);
	return id;
}

static char *
member_token(const struct t_tenant *t, const char *role, char *user_id)
{
	t_member_create(t, role, user_id);
	return t_token(t->id, user_id, role);
}

static long
db_count(const char *tenant, const char *sql)
{
	return strtol(t_db_value(tenant, sql), NULL, 10);
}

/* The ids of a list reply's items, joined with commas (kept). */
static char *
item_ids(const struct reply *r)
{
	const json_t *item;
	size_t i, n = 0;
	char *out = calloc(1, 64 * 210);

	ck_assert_ptr_nonnull(out);
	json_array_foreach (json_object_get(r->json, "items"), i, item) {
		n += (size_t)sprintf(
			out + n, "%s%s", i ? "," : "",
			json_string_value(json_object_get(item, "id")));
	}
	return t_keep(out);
}

/* ---- one asset: create, read, every field ---- */

START_TEST(create_and_read_every_field)
{
	struct t_tenant a;
	char custodian[37], *tok, *id, *body;
	struct reply *r;
	json_t *eff;

	t_tenant_create(&a, "as-full");
	tok = t_token(a.id, a.admin_id, "admin");
	t_member_create(&a, "viewer", custodian);
	body = fmt("{\"name\": \"Customer database\", \"description\": "
		   "\"CRM data\\nof all customers\", \"type\": \"information\","
		   " \"owner_id\": \"%s\", \"custodian_id\": \"%s\","
		   " \"location\": \"eu-west-1\", \"classification\": "
		   "\"confidential\", \"confidentiality\": 4, \"integrity\": 3,"
		   " \"availability\": 2, \"status\": \"planned\","
		   " \"in_use_since\": \"2027-01-01\", \"tags\": [\"gdpr\", "
		   "\"crm\"], \"external_id\": \"cmdb-42\", \"review_date\": "
		   "\"2027-06-30\"}",
		   a.admin_id, custodian);
	r = t_json("POST", ASSETS, tok, body);
	ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
	id = t_keep(strdup(str(r, "id")));
	ck_assert_str_eq(r->etag, "\"1\"");
	ck_assert_str_eq(r->location, fmt(ASSETS "/%s", id));
	ck_assert_str_eq(str(r, "owner_id"), a.admin_id);
	ck_assert_str_eq(str(r, "custodian_id"), custodian);
	ck_assert_str_eq(str(r, "status"), "planned");
	ck_assert_str_eq(str(r, "review_date"), "2027-06-30");
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "tags")), 2);
	ck_assert(json_is_null(json_object_get(r->json, "archived_at")));
	ck_assert_ptr_nonnull(str(r, "status_changed_at"));
	eff = json_object_get(r->json, "effective");
	ck_assert_int_eq(
		json_integer_value(json_object_get(
			json_object_get(eff, "confidentiality"), "value")),
		4);
	ck_assert_str_eq(
		json_string_value(json_object_get(
			json_object_get(eff, "integrity"), "source_id")),
		id);
	t_reply_free(r);

	r = t_json("GET", fmt(ASSETS "/%s", id), tok, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(r->etag, "\"1\"");
	ck_assert_str_eq(str(r, "description"), "CRM data\nof all customers");
	t_reply_free(r);

	/* Stored as answered, and logged in the same transaction. */
	ck_assert_str_eq(t_db_value(a.id, fmt("SELECT name || '/' || "
					      "classification || '/' || "
					      "array_to_string(tags, ',') FROM "
					      "assets WHERE id = '%s'",
					      id)),
			 "Customer database/confidential/gdpr,crm");
	ck_assert_int_eq(db_count(a.id, fmt("SELECT count(*) FROM "
					    "activity_log WHERE entity = "
					    "'assets' AND action = 'create' "
					    "AND entity_id = '%s'",
					    id)),
			 1);

	/* The defaults; a non-UUID path id names nothing. */
	r = t_json("POST", ASSETS, tok,
		   "{\"name\": \"Bare\", \"type\": \"site\"}");
	ck_assert_int_eq(r->status, 201);
	ck_assert_str_eq(str(r, "status"), "in_use");
	ck_assert_ptr_nonnull(str(r, "in_use_since"));
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "tags")), 0);
	ck_assert(json_is_null(json_object_get(r->json, "classification")));
	t_reply_free(r);
	expect(t_json("GET", ASSETS "/not-a-uuid", tok, NULL), 404);
	expect(t_json("GET", ASSETS "/3f9a2c4e-8b1d-4e6f-9a7b-2c5d8e1f4a6b",
		      tok, NULL),
	       404);
}
END_TEST

START_TEST(every_field_is_validated)
{
	struct t_tenant a, b;
	char other[37], *tok;
	struct reply *r;
	size_t i;
	char long201[202], long51[52], long10001[10002];
	struct {
		const char *body; /* members after name and type */
		long status;
		const char *field;
	} * c, cases[] = {
		       {"\"colour\": \"red\"", 422, "colour"},
		       {"\"id\": \"3f9a2c4e-8b1d-4e6f-9a7b-2c5d8e1f4a6b\"", 422,
			"id"},
		       {"\"version\": 3", 422, "version"},
		       {"\"effective\": {}", 422, "effective"},
		       {"\"archived_at\": null", 422, "archived_at"},
		       {"\"description\": 5", 422, "description"},
		       {"\"description\": \"ok\\ttab\\nline\"", 201, NULL},
		       {"\"description\": null", 201, NULL},
		       {"\"owner_id\": \"nope\"", 422, "owner_id"},
		       {"\"owner_id\": 7", 422, "owner_id"},
		       {"\"owner_id\": "
			"\"3f9a2c4e-8b1d-4e6f-9a7b-2c5d8e1f4a6b\"",
			422, "owner_id"},
		       {"\"custodian_id\": "
			"\"3f9a2c4e-8b1d-4e6f-9a7b-2c5d8e1f4a6b\"",
			422, "custodian_id"},
		       {"\"custodian_id\": []", 422, "custodian_id"},
		       {"\"location\": \"\"", 422, "location"},
		       {"\"location\": \"a\\u0001b\"", 422, "location"},
		       {"\"location\": true", 422, "location"},
		       {"\"classification\": \"secret\"", 422,
			"classification"},
		       {"\"classification\": 3", 422, "classification"},
		       {"\"classification\": \"\"", 422, "classification"},
		       {"\"confidentiality\": \"4\"", 422, "confidentiality"},
		       {"\"confidentiality\": 0", 422, "confidentiality"},
		       {"\"confidentiality\": 5", 422, "confidentiality"},
		       {"\"confidentiality\": 2.5", 422, "confidentiality"},
		       {"\"confidentiality\": 99999999999", 422,
			"confidentiality"},
		       {"\"integrity\": -1", 422, "integrity"},
		       {"\"integrity\": null", 201, NULL},
		       {"\"availability\": 5", 422, "availability"},
		       {"\"availability\": {}", 422, "availability"},
		       {"\"status\": \"lost\"", 422, "status"},
		       {"\"status\": null", 422, "status"},
		       {"\"status\": \"disposed\"", 201, NULL},
		       {"\"in_use_since\": \"2024-02-30\"", 422,
			"in_use_since"},
		       {"\"retired_on\": \"yesterday\"", 422, "retired_on"},
		       {"\"disposed_on\": 20240101", 422, "disposed_on"},
		       {"\"in_use_since\": \"2024-05-01\", \"retired_on\": "
			"\"2024-04-01\"",
			422, "retired_on"},
		       {"\"retired_on\": \"2024-05-01\", \"disposed_on\": "
			"\"2024-04-01\"",
			422, "disposed_on"},
		       {"\"review_date\": \"2024-13-01\"", 422, "review_date"},
		       {"\"tags\": \"gdpr\"", 422, "tags"},
		       {"\"tags\": [1]", 422, "tags[0]"},
		       {"\"tags\": [\"\"]", 422, "tags[0]"},
		       {"\"tags\": [\"a\", \"a\"]", 422, "tags[1]"},
		       {"\"tags\": [\"a;b\"]", 422, "tags[0]"},
		       {"\"tags\": null", 422, "tags"},
		       {"\"tags\": "
			"[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\","
			"\"i\",\"j\",\"k\",\"l\",\"m\",\"n\",\"o\",\"p\",\"q\","
			"\"r\","
			"\"s\",\"t\",\"u\",\"v\",\"w\",\"x\",\"y\",\"z\",\"0\","
			"\"1\","
			"\"2\",\"3\",\"4\",\"5\",\"6\"]",
			422, "tags"},
		       {"\"external_id\": \"\"", 422, "external_id"},
		       {"\"external_id\": 12", 422, "external_id"},
		       {"\"external_id\": \"dup-1\"", 201, NULL},
		       {"\"external_id\": \"dup-1\"", 409, NULL},
	       };
	const char *const malformed[] = {
		"{\"name\": \"x\", \"type\": \"site\", \"name\": \"y\"}",
		"{\"name\": \"\xc3\x28\", \"type\": \"site\"}",
		"{\"name\": \"x\", \"type\": \"site\", \"location\": \"\xff\"}",
		"[{\"name\": \"x\", \"type\": \"site\"}]",
		"{\"name\": \"x\", \"type\": ",
	};

	t_tenant_create(&a, "as-val");
	t_tenant_create(&b, "as-val-b");
	t_member_create(&b, "editor", other);
	tok = t_token(a.id, a.admin_id, "admin");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = &cases[i];
		r = t_json("POST", ASSETS, tok,
			   fmt("{\"name\": \"v%zu\", \"type\": \"software\", "
			       "%s}",
			       i, c->body));
		ck_assert_msg(r->status == c->status,
			      "case %zu (%s): expected %ld, got %ld %.300s", i,
			      c->body, c->status, r->status, r->body);
		if (c->field != NULL)
			ck_assert_msg(names_field(r, c->field, -1),
				      "case %zu: %s not named: %.300s", i,
				      c->field, r->body);
		t_reply_free(r);
	}
	/* name and type themselves */
	memset(long201, 'n', 201);
	long201[201] = '\0';
	memset(long51, 'c', 51);
	long51[51] = '\0';
	memset(long10001, 'd', 10001);
	long10001[10001] = '\0';
	r = t_json("POST", ASSETS, tok, "{\"type\": \"site\"}");
	ck_assert(names_field(r, "name", -1));
	expect(r, 422);
	r = t_json("POST", ASSETS, tok, "{\"name\": \"x\"}");
	ck_assert(names_field(r, "type", -1));
	expect(r, 422);
	r = t_json("POST", ASSETS, tok,
		   "{\"name\": \"x\", \"type\": \"planet\"}");
	ck_assert(names_field(r, "type", -1));
	expect(r, 422);
	r = t_json("POST", ASSETS, tok,
		   fmt("{\"name\": \"%s\", \"type\": \"site\"}", long201));
	ck_assert(names_field(r, "name", -1));
	expect(r, 422);
	r = t_json("POST", ASSETS, tok,
		   fmt("{\"name\": \"x\", \"type\": \"site\", "
		       "\"classification\": \"%s\"}",
		       long51));
	ck_assert(names_field(r, "classification", -1));
	expect(r, 422);
	r = t_json("POST", ASSETS, tok,
		   fmt("{\"name\": \"x\", \"type\": \"site\", "
		       "\"description\": \"%s\"}",
		       long10001));
	ck_assert(names_field(r, "description", -1));
	expect(r, 422);
	r = t_json("POST", ASSETS, tok,
		   fmt("{\"name\": \"x\", \"type\": \"site\", \"location\": "
		       "\"%.201s\"}",
		       long10001));
	ck_assert(names_field(r, "location", -1));
	expect(r, 422);
	r = t_json("POST", ASSETS, tok,
		   fmt("{\"name\": \"x\", \"type\": \"site\", "
		       "\"external_id\": \"%s\"}",
		       long201));
	ck_assert(names_field(r, "external_id", -1));
	expect(r, 422);
	/* another tenant's member is no member here */
	r = t_json("POST", ASSETS, tok,
		   fmt("{\"name\": \"x\", \"type\": \"site\", \"owner_id\": "
		       "\"%s\", \"custodian_id\": \"%s\"}",
		       other, other));
	ck_assert(names_field(r, "owner_id", -1));
	ck_assert(names_field(r, "custodian_id", -1));
	expect(r, 422);
	/* malformed JSON, repeated keys, bad UTF-8, not an object: 400 */
	for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++)
		expect(t_http("POST", ASSETS, tok, "application/json",
			      malformed[i], strlen(malformed[i]), NULL),
		       400);
	expect(t_http("POST", ASSETS, tok, "text/plain", "{}", 2, NULL), 415);
	/* Only the 201 cases were written. */
	ck_assert_int_eq(db_count(a.id, "SELECT count(*) FROM assets"), 5);
}
END_TEST

START_TEST(patch_merges_and_if_match_guards)
{
	struct t_tenant a;
	char *tok, *id, *path;
	struct reply *r;

	t_tenant_create(&a, "as-patch");
	tok = t_token(a.id, a.admin_id, "admin");
	id = create(tok, "{\"name\": \"Laptop\", \"type\": \"hardware\", "
			 "\"location\": \"HQ\", \"confidentiality\": 2, "
			 "\"tags\": [\"it\"]}");
	path = fmt(ASSETS "/%s", id);

	/* Merge: what is named changes, null clears, the rest stays. */
	r = send_json("PATCH", path, tok,
		      "{\"location\": null, \"integrity\": 3, \"status\": "
		      "\"retired\"}",
		      "If-Match: \"1\"");
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	ck_assert_str_eq(r->etag, "\"2\"");
	ck_assert(json_is_null(json_object_get(r->json, "location")));
	ck_assert_int_eq(
		json_integer_value(json_object_get(r->json, "integrity")), 3);
	ck_assert_int_eq(
		json_integer_value(json_object_get(r->json, "confidentiality")),
		2);
	ck_assert_str_eq(str(r, "name"), "Laptop");
	ck_assert_ptr_nonnull(str(r, "retired_on"));
	t_reply_free(r);

	/* A stale version: 412 and nothing changes. */
	expect(send_json("PATCH", path, tok, "{\"name\": \"Stolen\"}",
			 "If-Match: \"1\""),
	       412);
	expect(send_json("PATCH", path, tok, "{\"name\": \"Stolen\"}",
			 "If-Match: \"not-a-version\""),
	       412);
	expect(send_json("DELETE", path, tok, NULL, "If-Match: \"1\""), 412);
	ck_assert_str_eq(t_db_value(a.id, fmt("SELECT name || version FROM "
					      "assets WHERE id = '%s'",
					      id)),
			 "Laptop2");

	/* Validation of the merged row, and of the patch itself. */
	r = t_json("PATCH", path, tok, "{\"name\": null}");
	ck_assert(names_field(r, "name", -1));
	expect(r, 422);
	r = t_json("PATCH", path, tok,
		   "{\"retired_on\": \"2000-01-01\", "
		   "\"in_use_since\": \"2001-01-01\"}");
	ck_assert(names_field(r, "retired_on", -1));
	expect(r, 422);
	r = t_json("PATCH", path, tok, "{\"version\": 9}");
	ck_assert(names_field(r, "version", -1));
	expect(r, 422);
	r = t_json("PATCH", path, tok, "{\"integrity\": 7}");
	ck_assert(names_field(r, "integrity", -1));
	expect(r, 422);
	expect(t_json("PATCH", path, tok, "[]"), 400);

	/* The current version and "*" pass. */
	expect(send_json("PATCH", path, tok, "{\"tags\": []}",
			 "If-Match: \"2\""),
	       200);
	expect(send_json("PATCH", path, tok, "{\"tags\": [\"x\"]}",
			 "If-Match: *"),
	       200);
	r = t_json("GET", path, tok, NULL);
	ck_assert_str_eq(r->etag, "\"4\"");
	t_reply_free(r);
	expect(send_json("DELETE", path, tok, NULL, "If-Match: \"4\""), 204);
	ck_assert_int_eq(db_count(a.id, fmt("SELECT count(*) FROM "
					    "activity_log WHERE entity = "
					    "'assets' AND entity_id = '%s'",
					    id)),
			 5);
	expect(t_json("PATCH", ASSETS "/3f9a2c4e-8b1d-4e6f-9a7b-2c5d8e1f4a6b",
		      tok, "{\"name\": \"x\"}"),
	       404);
}
END_TEST

/* ---- Idempotency-Key ---- */

struct post_job {
	const char *tok, *body, *key;
	long status;
	char id[64];
};

static void *
post_with_key(void *arg)
{
	struct post_job *j = arg;
	char header[300];
	struct reply *r;

	snprintf(header, sizeof(header), "Idempotency-Key: %s", j->key);
	r = send_json("POST", ASSETS, j->tok, j->body, header);
	j->status = r->status;
	snprintf(j->id, sizeof(j->id), "%s",
		 r->json && str(r, "id") ? str(r, "id") : "");
	t_reply_free(r);
	return NULL;
}

START_TEST(idempotent_retries_return_the_first_result)
{
	struct t_tenant a;
	struct post_job jobs[2];
	pthread_t th[2];
	char *tok, *id, *key, *key2, long_key[300];
	const char *body = "{\"name\": \"Once\", \"type\": \"service\"}";
	struct reply *r;
	int i;

	t_tenant_create(&a, "as-idem");
	tok = t_token(a.id, a.admin_id, "admin");
	key = fmt("Idempotency-Key: k-%ld", (long)time(NULL));
	r = send_json("POST", ASSETS, tok, body, key);
	ck_assert_int_eq(r->status, 201);
	id = t_keep(strdup(str(r, "id")));
	t_reply_free(r);

	/* The retry answers the first result, Location and ETag included. */
	r = send_json("POST", ASSETS, tok, body, key);
	ck_assert_int_eq(r->status, 201);
	ck_assert_str_eq(str(r, "id"), id);
	ck_assert_str_eq(r->location, fmt(ASSETS "/%s", id));
	ck_assert_str_eq(r->etag, "\"1\"");
	t_reply_free(r);
	ck_assert_int_eq(db_count(a.id, "SELECT count(*) FROM assets"), 1);

	/* The same key for another body or another path: 422. */
	r = send_json("POST", ASSETS, tok,
		      "{\"name\": \"Twice\", \"type\": \"service\"}", key);
	ck_assert(names_field(r, "Idempotency-Key", -1));
	expect(r, 422);
	expect(send_json("POST", fmt(ASSETS "/%s/dependencies", id), tok,
			 fmt("{\"depends_on_id\": \"%s\"}", id), key),
	       422);
	/* A key that is not 1 to 255 visible characters: 400. */
	memset(long_key, 'k', sizeof(long_key) - 1);
	long_key[sizeof(long_key) - 1] = '\0';
	memcpy(long_key, "Idempotency-Key: ", 17);
	expect(send_json("POST", ASSETS, tok, body, long_key), 400);
	/* A failed request holds no key: its retry is judged afresh. */
	key2 = fmt("Idempotency-Key: bad-%ld", (long)time(NULL));
	expect(send_json("POST", ASSETS, tok,
			 "{\"name\": \"x\", \"type\": \"site\", "
			 "\"classification\": \"nope\"}",
			 key2),
	       422);
	expect(send_json("POST", ASSETS, tok,
			 "{\"name\": \"x\", \"type\": \"site\"}", key2),
	       201);

	/* Two at once with one key: one asset, both told about it. */
	for (i = 0; i < 2; i++) {
		jobs[i].tok = tok;
		jobs[i].body = "{\"name\": \"Racing\", \"type\": \"service\"}";
		jobs[i].key = "race-1";
		ck_assert_int_eq(
			pthread_create(&th[i], NULL, post_with_key, &jobs[i]),
			0);
	}
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	ck_assert_int_eq(jobs[0].status, 201);
	ck_assert_int_eq(jobs[1].status, 201);
	ck_assert_str_eq(jobs[0].id, jobs[1].id);
	ck_assert_int_eq(db_count(a.id, "SELECT count(*) FROM assets WHERE "
					"name = 'Racing'"),
			 1);
}
END_TEST

/* ---- archive and purge ---- */

START_TEST(delete_archives_and_admins_purge)
{
	struct t_tenant a;
	char editor[37], *admin, *etok, *id, *other, *path;
	struct reply *r;

	t_tenant_create(&a, "as-del");
	admin = t_token(a.id, a.admin_id, "admin");
	etok = member_token(&a, "editor", editor);
	id = create(etok, "{\"name\": \"Old server\", \"type\": \"hardware\"}");
	other = create(etok, "{\"name\": \"App\", \"type\": \"software\"}");
	path = fmt(ASSETS "/%s", id);
	expect(t_json("POST", fmt(ASSETS "/%s/dependencies", other), etok,
		      fmt("{\"depends_on_id\": \"%s\"}", id)),
	       201);

	expect(t_json("DELETE", path, etok, NULL), 204);
	r = t_json("GET", path, etok, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_ptr_nonnull(str(r, "archived_at"));
	t_reply_free(r);
	r = t_json("GET", ASSETS, etok, NULL);
	ck_assert_str_eq(item_ids(r), other);
	t_reply_free(r);
	r = t_json("GET", ASSETS "?include_archived=true&sort=name", etok,
		   NULL);
	ck_assert_str_eq(item_ids(r), fmt("%s,%s", other, id));
	t_reply_free(r);
	/* Archiving again changes nothing. */
	expect(t_json("DELETE", path, etok, NULL), 204);
	ck_assert_str_eq(t_db_value(a.id, fmt("SELECT version FROM assets "
					      "WHERE id = '%s'",
					      id)),
			 "2");
	expect(t_json("DELETE", fmt("%s?purge=maybe", path), admin, NULL), 400);
	expect(t_json("DELETE", fmt("%s?purge=true", path), etok, NULL), 403);
	expect(t_json("DELETE", fmt("%s?purge=true", path), admin, NULL), 204);
	expect(t_json("GET", path, admin, NULL), 404);
	expect(t_json("DELETE", fmt("%s?purge=true", path), admin, NULL), 404);
	/* The edge went with it; the history stays. */
	ck_assert_int_eq(db_count(a.id, "SELECT count(*) FROM "
					"asset_dependencies"),
			 0);
	ck_assert_int_eq(db_count(a.id, fmt("SELECT count(*) FROM "
					    "activity_log WHERE entity = "
					    "'assets' AND action = 'delete' "
					    "AND entity_id = '%s'",
					    id)),
			 1);
}
END_TEST

/* ---- lists ---- */

START_TEST(list_filters)
{
	struct t_tenant a;
	char owner[37], *tok, *db, *lap, *pct, *und, *ret;
	struct reply *r;

	t_tenant_create(&a, "as-filter");
	tok = t_token(a.id, a.admin_id, "admin");
	t_member_create(&a, "editor", owner);
	db = create(tok, fmt("{\"name\": \"Customer DB\", \"type\": "
			     "\"information\", \"classification\": "
			     "\"restricted\", \"owner_id\": \"%s\", "
			     "\"tags\": [\"gdpr\", \"crm\"]}",
			     owner));
	lap = create(tok, "{\"name\": \"Laptop fleet\", \"description\": "
			  "\"All CUSTOMER-facing laptops\", \"type\": "
			  "\"hardware\", \"classification\": \"internal\", "
			  "\"tags\": [\"it\"]}");
	pct = create(tok, "{\"name\": \"100% secure vault\", \"type\": "
			  "\"site\"}");
	und = create(tok, "{\"name\": \"snake_case tool\", \"type\": "
			  "\"software\", \"tags\": [\"it\", \"dev\"]}");
	ret = create(tok, "{\"name\": \"Old fax\", \"type\": \"hardware\", "
			  "\"status\": \"retired\"}");

	r = t_json("GET", ASSETS "?type=hardware", tok, NULL);
	ck_assert_str_eq(item_ids(r), fmt("%s,%s", lap, ret));
	t_reply_free(r);
	r = t_json("GET", ASSETS "?classification=restricted", tok, NULL);
	ck_assert_str_eq(item_ids(r), db);
	t_reply_free(r);
	r = t_json("GET", fmt(ASSETS "?owner_id=%s", owner), tok, NULL);
	ck_assert_str_eq(item_ids(r), db);
	t_reply_free(r);
	r = t_json("GET", ASSETS "?tag=it", tok, NULL);
	ck_assert_str_eq(item_ids(r), fmt("%s,%s", lap, und));
	t_reply_free(r);
	r = t_json("GET", ASSETS "?status=retired", tok, NULL);
	ck_assert_str_eq(item_ids(r), ret);
	t_reply_free(r);
	/* q: a case-insensitive substring of name or description */
	r = t_json("GET", ASSETS "?q=customer", tok, NULL);
	ck_assert_str_eq(item_ids(r), fmt("%s,%s", db, lap));
	t_reply_free(r);
	r = t_json("GET", ASSETS "?q=customer&type=hardware&tag=it", tok, NULL);
	ck_assert_str_eq(item_ids(r), lap);
	t_reply_free(r);
	/* %, _ and \ are characters, not wildcards */
	r = t_json("GET", ASSETS "?q=%25", tok, NULL);
	ck_assert_str_eq(item_ids(r), pct);
	t_reply_free(r);
	r = t_json("GET", ASSETS "?q=e_c", tok, NULL);
	ck_assert_str_eq(item_ids(r), und);
	t_reply_free(r);
	r = t_json("GET", ASSETS "?q=%5C", tok, NULL);
	ck_assert_str_eq(item_ids(r), "");
	t_reply_free(r);

	expect(t_json("GET", ASSETS "?type=planet", tok, NULL), 400);
	expect(t_json("GET", ASSETS "?status=lost", tok, NULL), 400);
	expect(t_json("GET", ASSETS "?owner_id=me", tok, NULL), 400);
	expect(t_json("GET", ASSETS "?include_archived=yes", tok, NULL), 400);
	expect(t_json("GET", ASSETS "?q=", tok, NULL), 400);
	expect(t_json("GET", ASSETS "?sort=colour", tok, NULL), 400);
	expect(t_json("GET", ASSETS "?sort=--name", tok, NULL), 400);
	expect(t_json("GET", ASSETS "?tag=a&tag=b", tok, NULL), 400);
	expect(t_json("GET", ASSETS "?q=%FF", tok, NULL), 400);
}
END_TEST

/*
 * Pages through path (which has a query) with limit 2 from cursor (NULL:
 * the first page); returns the ids.
 */
static char *
walk_from(const char *tok, const char *path, const char *cursor)
{
	char *ids = t_keep(calloc(1, 40 * 64)), *next;
	struct reply *r;
	int pages = 0;

	for (;;) {
		r = t_json("GET",
			   cursor ? fmt("%s&limit=2&cursor=%s", path, cursor)
				  : fmt("%s&limit=2", path),
			   tok, NULL);
		ck_assert_msg(r->status == 200, "%s: %ld %s", path, r->status,
			      r->body);
		ck_assert_int_le(
			json_array_size(json_object_get(r->json, "items")), 2);
		if (json_array_size(json_object_get(r->json, "items")) > 0)
			sprintf(ids + strlen(ids), "%s%s", *ids ? "," : "",
				item_ids(r));
		next = (char *)json_string_value(
			json_object_get(r->json, "next_cursor"));
		cursor = next ? fmt("%s", next) : NULL;
		t_reply_free(r);
		if (cursor == NULL)
			break;
		ck_assert_int_lt(++pages, 20);
	}
	return ids;
}

static char *
walk(const char *tok, const char *path)
{
	return walk_from(tok, path, NULL);
}

START_TEST(every_sort_both_directions_pages)
{
	static const char *const names[] = {"delta", "alpha", "echo", "charlie",
					    "bravo"};
	struct t_tenant a;
	char *tok, *ids[5], *cursor;
	struct reply *r;
	int i;

	t_tenant_create(&a, "as-sort");
	tok = t_token(a.id, a.admin_id, "admin");
	for (i = 0; i < 5; i++)
		ids[i] = create(tok, fmt("{\"name\": \"%s\", \"type\": "
					 "\"site\"}",
					 names[i]));
	/* updated_at order: touch delta last, alpha first */
	expect(t_json("PATCH", fmt(ASSETS "/%s", ids[1]), tok,
		      "{\"location\": \"a\"}"),
	       200);
	expect(t_json("PATCH", fmt(ASSETS "/%s", ids[0]), tok,
		      "{\"location\": \"d\"}"),
	       200);

	ck_assert_str_eq(
		walk(tok, ASSETS "?sort=name"),
		fmt("%s,%s,%s,%s,%s", ids[1], ids[4], ids[3], ids[0], ids[2]));
	ck_assert_str_eq(
		walk(tok, ASSETS "?sort=-name"),
		fmt("%s,%s,%s,%s,%s", ids[2], ids[0], ids[3], ids[4], ids[1]));
	ck_assert_str_eq(
		walk(tok, ASSETS "?sort=created_at"),
		fmt("%s,%s,%s,%s,%s", ids[0], ids[1], ids[2], ids[3], ids[4]));
	ck_assert_str_eq(
		walk(tok, ASSETS "?sort=-created_at"),
		fmt("%s,%s,%s,%s,%s", ids[4], ids[3], ids[2], ids[1], ids[0]));
	ck_assert_str_eq(
		walk(tok, ASSETS "?sort=updated_at"),
		fmt("%s,%s,%s,%s,%s", ids[2], ids[3], ids[4], ids[1], ids[0]));
	ck_assert_str_eq(
		walk(tok, ASSETS "?sort=-updated_at"),
		fmt("%s,%s,%s,%s,%s", ids[0], ids[1], ids[4], ids[3], ids[2]));
	/* default: created_at ascending */
	ck_assert_str_eq(
		walk(tok, ASSETS "?type=site"),
		fmt("%s,%s,%s,%s,%s", ids[0], ids[1], ids[2], ids[3], ids[4]));

	/* A cursor belongs to its sort and its list. */
	r = t_json("GET", ASSETS "?sort=name&limit=2", tok, NULL);
	cursor = fmt("%s", str(r, "next_cursor"));
	t_reply_free(r);
	expect(t_json("GET", fmt(ASSETS "?sort=-name&cursor=%s", cursor), tok,
		      NULL),
	       400);
	expect(t_json("GET", fmt(ASSETS "?cursor=%s", cursor), tok, NULL), 400);
	expect(t_json("GET", fmt(ASSETS "?sort=name&cursor=%.20s", cursor), tok,
		      NULL),
	       400);
	expect(t_json("GET",
		      fmt(ASSETS "/%s/dependencies?cursor=%s", ids[0], cursor),
		      tok, NULL),
	       400);
}
END_TEST

START_TEST(cursor_is_stable_while_rows_are_inserted)
{
	struct t_tenant a;
	char *tok, *first, *rest, *all, *ids[8], *late[4], *cursor;
	struct reply *r;
	int i;

	t_tenant_create(&a, "as-stable");
	tok = t_token(a.id, a.admin_id, "admin");
	for (i = 0; i < 8; i++)
		ids[i] = create(tok, fmt("{\"name\": \"m%d\", \"type\": "
					 "\"site\"}",
					 i));
	/* by created_at: new rows come after the cursor, none repeats */
	r = t_json("GET", ASSETS "?limit=3", tok, NULL);
	first = item_ids(r);
	cursor = fmt("%s", str(r, "next_cursor"));
	t_reply_free(r);
	for (i = 0; i < 4; i++)
		late[i] = create(tok, fmt("{\"name\": \"a-late%d\", \"type\": "
					  "\"site\"}",
					  i));
	rest = walk_from(tok, ASSETS "?sort=created_at", cursor);
	all = fmt("%s,%s", first, rest);
	ck_assert_str_eq(all,
			 fmt("%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s", ids[0],
			     ids[1], ids[2], ids[3], ids[4], ids[5], ids[6],
			     ids[7], late[0], late[1], late[2], late[3]));

	/* by name: rows inserted before the cursor are not seen, after
	 * it they are; what was there is seen exactly once */
	r = t_json("GET", ASSETS "?sort=name&limit=3", tok, NULL);
	first = item_ids(r);
	ck_assert_str_eq(first, fmt("%s,%s,%s", late[0], late[1], late[2]));
	cursor = fmt("%s", str(r, "next_cursor"));
	t_reply_free(r);
	create(tok, "{\"name\": \"a-earlier\", \"type\": \"site\"}");
	late[0] = create(tok, "{\"name\": \"m3a\", \"type\": \"site\"}");
	rest = walk_from(tok, ASSETS "?sort=name", cursor);
	ck_assert_str_eq(rest, fmt("%s,%s,%s,%s,%s,%s,%s,%s,%s,%s", late[3],
				   ids[0], ids[1], ids[2], ids[3], late[0],
				   ids[4], ids[5], ids[6], ids[7]));
}
END_TEST

/* ---- dependencies ---- */

static long
effective(const char *tok, const char *id, const char *which,
	  const char **source)
{
	struct reply *r = t_json("GET", fmt(ASSETS "/%s", id), tok, NULL);
	const json_t *e;
	long v;

	ck_assert_int_eq(r->status, 200);
	e = json_object_get(json_object_get(r->json, "effective"), which);
	v = json_is_null(json_object_get(e, "value"))
		    ? -1
		    : (long)json_integer_value(json_object_get(e, "value"));
	*source = json_is_string(json_object_get(e, "source_id"))
			  ? fmt("%s", json_string_value(
					      json_object_get(e, "source_id")))
			  : "null";
	t_reply_free(r);
	return v;
}

START_TEST(dependencies_effective_values_and_cycles)
{
	struct t_tenant a, b;
	char *tok, *btok, *app, *srv, *room, *crm, *bid, *gone;
	const char *src;
	struct reply *r;

	t_tenant_create(&a, "as-dep");
	t_tenant_create(&b, "as-dep-b");
	tok = t_token(a.id, a.admin_id, "admin");
	btok = t_token(b.id, b.admin_id, "admin");
	/* crm -> app -> srv -> room: a service on a server in a room */
	crm = create(tok, "{\"name\": \"CRM data\", \"type\": "
			  "\"information\", \"confidentiality\": 4, "
			  "\"integrity\": 2}");
	app = create(tok, "{\"name\": \"CRM app\", \"type\": \"software\", "
			  "\"confidentiality\": 2, \"integrity\": 3, "
			  "\"availability\": 3}");
	srv = create(tok, "{\"name\": \"Server\", \"type\": \"hardware\", "
			  "\"confidentiality\": 1, \"availability\": 4}");
	room = create(tok, "{\"name\": \"Room\", \"type\": \"site\"}");
	bid = create(btok, "{\"name\": \"B's\", \"type\": \"site\"}");
	r = t_json("POST", fmt(ASSETS "/%s/dependencies", crm), tok,
		   fmt("{\"depends_on_id\": \"%s\"}", app));
	ck_assert_int_eq(r->status, 201);
	ck_assert_str_eq(r->location,
			 fmt(ASSETS "/%s/dependencies/%s", crm, app));
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(r->json, "related"), "name")),
			 "CRM app");
	t_reply_free(r);
	expect(t_json("POST", fmt(ASSETS "/%s/dependencies", app), tok,
		      fmt("{\"depends_on_id\": \"%s\"}", srv)),
	       201);
	expect(t_json("POST", fmt(ASSETS "/%s/dependencies", srv), tok,
		      fmt("{\"depends_on_id\": \"%s\"}", room)),
	       201);

	/* The room is as valuable as what runs in it, and says why. */
	ck_assert_int_eq(effective(tok, room, "confidentiality", &src), 4);
	ck_assert_str_eq(src, crm);
	ck_assert_int_eq(effective(tok, room, "integrity", &src), 3);
	ck_assert_str_eq(src, app);
	ck_assert_int_eq(effective(tok, room, "availability", &src), 4);
	ck_assert_str_eq(src, srv);
	/* the asset's own value counts, and is named as its source */
	ck_assert_int_eq(effective(tok, srv, "availability", &src), 4);
	ck_assert_str_eq(src, srv);
	/* what depends on nothing valuable stays as it is */
	ck_assert_int_eq(effective(tok, crm, "availability", &src), -1);
	ck_assert_str_eq(src, "null");

	/* Cycles, self, duplicates, strangers. */
	r = t_json("POST", fmt(ASSETS "/%s/dependencies", room), tok,
		   fmt("{\"depends_on_id\": \"%s\"}", crm));
	ck_assert(names_field(r, "depends_on_id", -1));
	expect(r, 422);
	expect(t_json("POST", fmt(ASSETS "/%s/dependencies", srv), tok,
		      fmt("{\"depends_on_id\": \"%s\"}", app)),
	       422);
	expect(t_json("POST", fmt(ASSETS "/%s/dependencies", srv), tok,
		      fmt("{\"depends_on_id\": \"%s\"}", srv)),
	       422);
	expect(t_json("POST", fmt(ASSETS "/%s/dependencies", app), tok,
		      fmt("{\"depends_on_id\": \"%s\"}", srv)),
	       409);
	r = t_json("POST", fmt(ASSETS "/%s/dependencies", app), tok,
		   fmt("{\"depends_on_id\": \"%s\"}", bid));
	ck_assert(names_field(r, "depends_on_id", -1));
	expect(r, 422);
	expect(t_json("POST", fmt(ASSETS "/%s/dependencies", app), tok,
		      "{\"depends_on_id\": \"x\"}"),
	       422);
	expect(t_json("POST", fmt(ASSETS "/%s/dependencies", app), tok,
		      "{\"depends_on\": \"x\"}"),
	       422);
	expect(t_json("POST", fmt(ASSETS "/%s/dependencies", bid), tok,
		      fmt("{\"depends_on_id\": \"%s\"}", app)),
	       404);
	gone = create(tok, "{\"name\": \"Gone\", \"type\": \"site\"}");
	expect(t_json("DELETE", fmt(ASSETS "/%s", gone), tok, NULL), 204);
	expect(t_json("POST", fmt(ASSETS "/%s/dependencies", app), tok,
		      fmt("{\"depends_on_id\": \"%s\"}", gone)),
	       422);

	/* Both directions, paged. */
	expect(t_json("POST", fmt(ASSETS "/%s/dependencies", app), tok,
		      fmt("{\"depends_on_id\": \"%s\"}", room)),
	       201);
	r = t_json("GET", fmt(ASSETS "/%s/dependencies?limit=1", app), tok,
		   NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 1);
	ck_assert_ptr_nonnull(str(r, "next_cursor"));
	t_reply_free(r);
	r = t_json("GET",
		   fmt(ASSETS "/%s/dependencies?direction=dependents", room),
		   tok, NULL);
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 2);
	t_reply_free(r);
	r = t_json("GET", fmt(ASSETS "/%s/dependencies", room), tok, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 0);
	t_reply_free(r);
	expect(t_json("GET", fmt(ASSETS "/%s/dependencies?direction=up", room),
		      tok, NULL),
	       400);

	/* Removing an edge, or archiving the dependent, lowers the value. */
	expect(t_json("DELETE", fmt(ASSETS "/%s/dependencies/%s", crm, app),
		      tok, NULL),
	       204);
	expect(t_json("DELETE", fmt(ASSETS "/%s/dependencies/%s", crm, app),
		      tok, NULL),
	       404);
	ck_assert_int_eq(effective(tok, room, "confidentiality", &src), 2);
	ck_assert_str_eq(src, app);
	expect(t_json("DELETE", fmt(ASSETS "/%s", app), tok, NULL), 204);
	ck_assert_int_eq(effective(tok, room, "confidentiality", &src), 1);
	ck_assert_str_eq(src, srv);
	ck_assert_int_eq(db_count(a.id, "SELECT count(*) FROM activity_log "
					"WHERE tenant_id = app_tenant_id() AND "
					"entity = 'asset_dependencies'"),
			 5);
}
END_TEST

/* ---- another tenant's ids, everywhere ---- */

START_TEST(other_tenants_ids_are_never_found)
{
	struct t_tenant a, b;
	char bmember[37], *atok, *btok, *aid, *bid, *bdep, *csv;
	struct reply *r;

	t_tenant_create(&a, "as-x-a");
	t_tenant_create(&b, "as-x-b");
	atok = t_token(a.id, a.admin_id, "admin");
	btok = member_token(&b, "editor", bmember);
	aid = create(atok, "{\"name\": \"A's\", \"type\": \"site\"}");
	bid = create(btok, "{\"name\": \"B's secret\", \"type\": \"site\"}");
	bdep = create(btok, "{\"name\": \"B's app\", \"type\": \"software\"}");
	expect(t_json("POST", fmt(ASSETS "/%s/dependencies", bdep), btok,
		      fmt("{\"depends_on_id\": \"%s\"}", bid)),
	       201);

	expect(t_json("GET", fmt(ASSETS "/%s", bid), atok, NULL), 404);
	expect(t_json("PATCH", fmt(ASSETS "/%s", bid), atok,
		      "{\"name\": \"mine\"}"),
	       404);
	expect(t_json("DELETE", fmt(ASSETS "/%s", bid), atok, NULL), 404);
	expect(t_json("DELETE", fmt(ASSETS "/%s?purge=true", bid), atok, NULL),
	       404);
	expect(t_json("GET", fmt(ASSETS "/%s/dependencies", bdep), atok, NULL),
	       404);
	expect(t_json("POST", fmt(ASSETS "/%s/dependencies", bdep), atok,
		      fmt("{\"depends_on_id\": \"%s\"}", aid)),
	       404);
	expect(t_json("DELETE", fmt(ASSETS "/%s/dependencies/%s", bdep, bid),
		      atok, NULL),
	       404);
	r = t_json("POST", fmt(ASSETS "/%s/dependencies", aid), atok,
		   fmt("{\"depends_on_id\": \"%s\"}", bid));
	ck_assert(names_field(r, "depends_on_id", -1));
	expect(r, 422);
	r = t_json("PATCH", fmt(ASSETS "/%s", aid), atok,
		   fmt("{\"owner_id\": \"%s\"}", bmember));
	ck_assert(names_field(r, "owner_id", -1));
	expect(r, 422);
	r = t_json("GET", fmt(ASSETS "?owner_id=%s", bmember), atok, NULL);
	ck_assert_str_eq(item_ids(r), "");
	t_reply_free(r);
	r = t_json("GET", ASSETS "?q=secret", atok, NULL);
	ck_assert_str_eq(item_ids(r), "");
	t_reply_free(r);
	r = t_json("GET", ASSETS "/export", atok, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_ptr_null(strstr(r->body, "B's"));
	ck_assert_ptr_nonnull(strstr(r->body, aid));
	t_reply_free(r);
	/* an import cannot reach B's assets by id */
	csv = fmt("id,name\n%s,taken\n", bid);
	r = t_http("POST", ASSETS "/import", atok, "text/csv", csv, strlen(csv),
		   NULL);
	ck_assert(names_field(r, "id", 1));
	expect(r, 422);
	/* B's edge and rows are untouched */
	ck_assert_str_eq(t_db_value(b.id, fmt("SELECT name || version FROM "
					      "assets WHERE id = '%s'",
					      bid)),
			 "B's secret1");
	ck_assert_int_eq(db_count(b.id, "SELECT count(*) FROM "
					"asset_dependencies"),
			 1);
}
END_TEST

/* ---- who may do what ---- */

START_TEST(role_matrix_of_every_route)
{
	static const char *const roles[] = {"admin", "editor", "viewer",
					    "auditor"};
	struct t_tenant a;
	char user[4][37], *tok[4], *id, *dep, *csv;
	struct reply *r;
	int i, write, admin;

	t_tenant_create(&a, "as-roles");
	for (i = 0; i < 4; i++)
		tok[i] = member_token(&a, roles[i], user[i]);
	id = create(tok[0], "{\"name\": \"Shared\", \"type\": \"site\"}");
	for (i = 0; i < 4; i++) {
		write = i < 2;
		admin = i == 0;
		/* reads: everyone */
		expect(t_json("GET", ASSETS, tok[i], NULL), 200);
		expect(t_json("GET", fmt(ASSETS "/%s", id), tok[i], NULL), 200);
		expect(t_json("GET", fmt(ASSETS "/%s/dependencies", id), tok[i],
			      NULL),
		       200);
		expect(t_json("GET", ASSETS "/export?format=csv", tok[i], NULL),
		       200);
		expect(t_json("GET", ASSETS "/settings", tok[i], NULL), 200);
		/* writes: admin and editor */
		r = t_json("POST", ASSETS, tok[i],
			   fmt("{\"name\": \"by %s\", \"type\": \"site\"}",
			       roles[i]));
		dep = write && r->status == 201 ? fmt("%s", str(r, "id"))
						: NULL;
		expect(r, write ? 201 : 403);
		expect(t_json("PATCH", fmt(ASSETS "/%s", id), tok[i],
			      "{\"location\": \"here\"}"),
		       write ? 200 : 403);
		expect(t_json("POST", fmt(ASSETS "/%s/dependencies", id),
			      tok[i],
			      fmt("{\"depends_on_id\": \"%s\"}",
				  dep ? dep : id)),
		       write ? 201 : 403);
		expect(t_json("DELETE",
			      fmt(ASSETS "/%s/dependencies/%s", id,
				  dep ? dep : id),
			      tok[i], NULL),
		       write ? 204 : 403);
		csv = fmt("name,type\nimported by %s,site\n", roles[i]);
		expect(t_http("POST", ASSETS "/import", tok[i], "text/csv", csv,
			      strlen(csv), NULL),
		       write ? 200 : 403);
		expect(t_json("DELETE", fmt(ASSETS "/%s", dep ? dep : id),
			      tok[i], NULL),
		       write ? 204 : 403);
		/* purge and settings: admin only */
		expect(t_json("DELETE",
			      fmt(ASSETS "/%s?purge=true", dep ? dep : id),
			      tok[i], NULL),
		       admin ? 204 : 403);
		expect(t_json("PUT", ASSETS "/settings", tok[i],
			      "{\"classifications\": [\"public\", "
			      "\"internal\", \"confidential\", "
			      "\"restricted\"], \"cia_scale\": {\"min\": 1, "
			      "\"max\": 4}}"),
		       admin ? 200 : 403);
	}
	/* nothing a reader tried was written */
	ck_assert_int_eq(db_count(a.id, "SELECT count(*) FROM assets WHERE "
					"name LIKE '%by viewer' OR name LIKE "
					"'%by auditor'"),
			 0);
	expect(t_json("GET", ASSETS, NULL, NULL), 401);
	expect(t_json("GET", ASSETS "/export", NULL, NULL), 401);
	expect(t_http("POST", ASSETS "/import", NULL, "text/csv", "name\n", 5,
		      NULL),
	       401);
}
END_TEST

/* ---- settings ---- */

START_TEST(tenant_settings_shape_validation)
{
	struct t_tenant a;
	char *tok, *id;
	struct reply *r;

	t_tenant_create(&a, "as-set");
	tok = t_token(a.id, a.admin_id, "admin");
	r = t_json("GET", ASSETS "/settings", tok, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(
		json_array_size(json_object_get(r->json, "classifications")),
		4);
	ck_assert_int_eq(json_integer_value(json_object_get(
				 json_object_get(r->json, "cia_scale"), "max")),
			 4);
	t_reply_free(r);
	id = create(tok,
		    "{\"name\": \"Internal wiki\", \"type\": \"software\", "
		    "\"classification\": \"internal\", "
		    "\"confidentiality\": 2}");
	/* dropping a classification in use, or shrinking the scale under a
	 * stored value, is refused */
	r = t_json("PUT", ASSETS "/settings", tok,
		   "{\"classifications\": [\"open\", \"secret\"], "
		   "\"cia_scale\": {\"min\": 0, \"max\": 1}}");
	ck_assert(names_field(r, "classifications", -1));
	ck_assert(names_field(r, "cia_scale", -1));
	expect(r, 422);
	expect(t_json("PATCH", fmt(ASSETS "/%s", id), tok,
		      "{\"classification\": null, \"confidentiality\": null}"),
	       200);
	r = t_json("PUT", ASSETS "/settings", tok,
		   "{\"classifications\": [\"open\", \"secret\"], "
		   "\"cia_scale\": {\"min\": 0, \"max\": 1}}");
	ck_assert_int_eq(r->status, 200);
	t_reply_free(r);
	expect(t_json("POST", ASSETS, tok,
		      "{\"name\": \"Vault\", \"type\": \"site\", "
		      "\"classification\": \"secret\", \"confidentiality\": "
		      "0}"),
	       201);
	r = t_json("POST", ASSETS, tok,
		   "{\"name\": \"x\", \"type\": \"site\", \"classification\": "
		   "\"internal\", \"integrity\": 2}");
	ck_assert(names_field(r, "classification", -1));
	ck_assert(names_field(r, "integrity", -1));
	expect(r, 422);
	/* the body's own rules */
	r = t_json("PUT", ASSETS "/settings", tok,
		   "{\"classifications\": [], \"cia_scale\": {\"min\": 3, "
		   "\"max\": 3}}");
	ck_assert(names_field(r, "classifications", -1));
	expect(r, 422);
	r = t_json("PUT", ASSETS "/settings", tok,
		   "{\"classifications\": [\"a\"], \"cia_scale\": {\"min\": 3, "
		   "\"max\": 3}}");
	ck_assert(names_field(r, "cia_scale.max", -1));
	expect(r, 422);
	r = t_json("PUT", ASSETS "/settings", tok,
		   "{\"classifications\": [\"a\", \"a\"], \"cia_scale\": "
		   "{\"min\": 0, \"max\": 11, \"step\": 1}}");
	ck_assert(names_field(r, "classifications[1]", -1));
	ck_assert(names_field(r, "cia_scale.max", -1));
	ck_assert(names_field(r, "cia_scale.step", -1));
	expect(r, 422);
	expect(t_json("PUT", ASSETS "/settings", tok, "{}"), 422);
}
END_TEST

/* ---- import and export ---- */

/* 10,000 rows; bad rows (1-based positions) break on purpose. */
static char *
big_csv(const char *owner, int bad1, int bad2, int bad3)
{
	size_t cap = 10000 * 220 + 256, n = 0;
	char *s = malloc(cap);
	int i;

	ck_assert_ptr_nonnull(s);
	n += (size_t)snprintf(s, cap,
			      "external_id,name,description,type,owner_id,"
			      "classification,confidentiality,integrity,"
			      "availability,status,tags,location\r\n");
	for (i = 1; i <= 10000; i++)
		n += (size_t)snprintf(
			s + n, cap - n,
			"bulk-%d,\"Asset %d, bulk\",\"Line one\nline "
			"\"\"two\"\"\",%s,%s,%s,%d,%d,2,in_use,rack;r%d,Room "
			"%d\r\n",
			i, i, i == bad1 ? "planet" : "hardware", owner,
			i == bad2 ? "secret" : "internal", 1 + i % 4,
			i == bad3 ? 9 : 1 + (i / 4) % 4, i % 7, i % 50);
	return t_keep(s);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

START_TEST(import_10000_rows_in_one_request)
{
	struct t_tenant a;
	char *tok, *csv;
	struct reply *r;
	double t0, took;

	t_tenant_create(&a, "as-bulk");
	tok = t_token(a.id, a.admin_id, "admin");
	csv = big_csv(a.admin_id, 0, 0, 0);
	t0 = now_s();
	r = t_http("POST", ASSETS "/import", tok, "text/csv", csv, strlen(csv),
		   NULL);
	took = now_s() - t0;
	fprintf(stderr,
		"assets: imported 10,000 CSV rows (%zu bytes) in "
		"%.2f s\n",
		strlen(csv), took);
	ck_assert_msg(r->status == 200, "%ld %.400s", r->status, r->body);
	ck_assert_int_eq(
		json_integer_value(json_object_get(r->json, "created")), 10000);
	t_reply_free(r);
	ck_assert_int_eq(db_count(a.id, "SELECT count(*) FROM assets"), 10000);
	ck_assert_str_eq(t_db_value(a.id, "SELECT description FROM assets "
					  "WHERE external_id = 'bulk-77'"),
			 "Line one\nline \"two\"");
	/* one entry per asset, and the chain still verifies */
	ck_assert_int_eq(db_count(a.id, "SELECT count(*) FROM activity_log "
					"WHERE tenant_id = app_tenant_id() AND "
					"entity = 'assets'"),
			 10000);
	ck_assert_str_eq(t_db_value(a.id, "SELECT ok FROM activity_verify()"),
			 "t");

	/* The same file again changes nothing; one changed row updates. */
	t0 = now_s();
	r = t_http("POST", ASSETS "/import", tok, "text/csv", csv, strlen(csv),
		   NULL);
	fprintf(stderr, "assets: re-imported 10,000 unchanged rows in %.2f s\n",
		now_s() - t0);
	ck_assert_int_eq(
		json_integer_value(json_object_get(r->json, "unchanged")),
		10000);
	t_reply_free(r);
	r = t_http("POST", ASSETS "/import", tok, "application/json",
		   "[{\"external_id\": \"bulk-5\", \"location\": \"Moved\"}, "
		   "{\"name\": \"Fresh\", \"type\": \"people\"}]",
		   strlen("[{\"external_id\": \"bulk-5\", \"location\": "
			  "\"Moved\"}, {\"name\": \"Fresh\", \"type\": "
			  "\"people\"}]"),
		   NULL);
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	ck_assert_int_eq(
		json_integer_value(json_object_get(r->json, "created")), 1);
	ck_assert_int_eq(
		json_integer_value(json_object_get(r->json, "updated")), 1);
	t_reply_free(r);
	/* a merge: what the row did not name is kept */
	ck_assert_str_eq(t_db_value(a.id, "SELECT location || '/' || name "
					  "FROM assets WHERE external_id = "
					  "'bulk-5'"),
			 "Moved/Asset 5, bulk");
	/* a deep page costs what the first does: it walks an index */
	r = t_json("GET", ASSETS "?sort=-name&limit=200", tok, NULL);
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")),
			 200);
	t_reply_free(r);
}
END_TEST

START_TEST(import_is_all_or_nothing)
{
	struct t_tenant a, b;
	char bmember[37], *tok, *csv, *id, *json;
	struct reply *r;
	double t0;

	t_tenant_create(&a, "as-aon");
	t_tenant_create(&b, "as-aon-b");
	t_member_create(&b, "viewer", bmember);
	tok = t_token(a.id, a.admin_id, "admin");
	id = create(tok, "{\"name\": \"Kept\", \"type\": \"site\", "
			 "\"external_id\": \"bulk-3\"}");
	csv = big_csv(a.admin_id, 17, 5000, 9999);
	t0 = now_s();
	r = t_http("POST", ASSETS "/import", tok, "text/csv", csv, strlen(csv),
		   NULL);
	fprintf(stderr,
		"assets: refused 10,000 rows with 3 bad ones in "
		"%.2f s\n",
		now_s() - t0);
	ck_assert_msg(r->status == 422, "%ld %.300s", r->status, r->body);
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "errors")),
			 3);
	ck_assert(names_field(r, "type", 17));
	ck_assert(names_field(r, "classification", 5000));
	ck_assert(names_field(r, "integrity", 9999));
	t_reply_free(r);
	/* nothing was written, not even the good rows or bulk-3's update */
	ck_assert_int_eq(db_count(a.id, "SELECT count(*) FROM assets"), 1);
	ck_assert_str_eq(t_db_value(a.id, fmt("SELECT name || version FROM "
					      "assets WHERE id = '%s'",
					      id)),
			 "Kept1");

	/* every kind of bad row, each reported with its position */
	json = fmt(
		"[{\"name\": \"ok\", \"type\": \"site\"},"
		" {\"name\": \"no type\"},"
		" {\"name\": 5, \"type\": \"site\", \"colour\": 1},"
		" 7,"
		" {\"name\": \"x\", \"type\": \"site\", \"owner_id\": "
		"\"%s\"},"
		" {\"name\": \"y\", \"type\": \"site\", \"external_id\": "
		"\"twice\"},"
		" {\"name\": \"z\", \"type\": \"site\", \"external_id\": "
		"\"twice\"},"
		" {\"id\": \"3f9a2c4e-8b1d-4e6f-9a7b-2c5d8e1f4a6b\", \"name\": "
		"\"w\"}]",
		bmember);
	r = t_http("POST", ASSETS "/import", tok, "application/json", json,
		   strlen(json), NULL);
	ck_assert_msg(r->status == 422, "%ld %.300s", r->status, r->body);
	ck_assert(names_field(r, "name", 3));
	ck_assert(names_field(r, "colour", 3));
	ck_assert(names_field(r, "(row)", 4));
	t_reply_free(r);
	json = fmt(
		"[{\"name\": \"ok\", \"type\": \"site\"},"
		" {\"name\": \"no type\"},"
		" {\"name\": \"x\", \"type\": \"site\", \"owner_id\": "
		"\"%s\"},"
		" {\"name\": \"y\", \"type\": \"site\", \"external_id\": "
		"\"twice\"},"
		" {\"name\": \"z\", \"type\": \"site\", \"external_id\": "
		"\"twice\"},"
		" {\"id\": \"3f9a2c4e-8b1d-4e6f-9a7b-2c5d8e1f4a6b\", \"name\": "
		"\"w\"}]",
		bmember);
	r = t_http("POST", ASSETS "/import", tok, "application/json", json,
		   strlen(json), NULL);
	ck_assert_msg(r->status == 422, "%ld %.300s", r->status, r->body);
	ck_assert(names_field(r, "type", 2));
	ck_assert(names_field(r, "owner_id", 3));
	ck_assert(names_field(r, "external_id", 4));
	ck_assert(names_field(r, "external_id", 5));
	ck_assert(names_field(r, "id", 6));
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "errors")),
			 5);
	t_reply_free(r);
	ck_assert_int_eq(db_count(a.id, "SELECT count(*) FROM assets"), 1);

	/* CSV-level problems */
	r = t_http("POST", ASSETS "/import", tok, "text/csv",
		   "name,colour,name\nx,red,y\n",
		   strlen("name,colour,name\nx,red,y\n"), NULL);
	ck_assert(names_field(r, "colour", 0));
	ck_assert(names_field(r, "name", 0));
	expect(r, 422);
	r = t_http("POST", ASSETS "/import", tok, "text/csv",
		   "name,type\n\"open,site\nok,site\n",
		   strlen("name,type\n\"open,site\nok,site\n"), NULL);
	ck_assert(names_field(r, "(row)", 1));
	expect(r, 422);
	r = t_http("POST", ASSETS "/import", tok, "text/csv",
		   "name,type\nok,site,extra\nfine,site\n",
		   strlen("name,type\nok,site,extra\nfine,site\n"), NULL);
	ck_assert(names_field(r, "(row)", 1));
	expect(r, 422);
	expect(t_http("POST", ASSETS "/import", tok, "text/csv",
		      "name,type\n\xff,site\n",
		      strlen("name,type\n\xff,site\n"), NULL),
	       400);
	expect(t_http("POST", ASSETS "/import", tok, "application/json",
		      "{\"name\": \"x\"}", strlen("{\"name\": \"x\"}"), NULL),
	       400);
	expect(t_http("POST", ASSETS "/import", tok, "application/json",
		      "[{\"a\": 1, \"a\": 2}]",
		      strlen("[{\"a\": 1, \"a\": 2}]"), NULL),
	       400);
	expect(t_http("POST", ASSETS "/import", tok, "text/plain", "x", 1,
		      NULL),
	       415);
	expect(t_http("POST", ASSETS "/import", tok, "text/csv", "", 0, NULL),
	       400);
	ck_assert_int_eq(db_count(a.id, "SELECT count(*) FROM assets"), 1);
}
END_TEST

START_TEST(import_limits)
{
	struct t_tenant a;
	size_t n = 10001 * 8 + 16, len = 0;
	char *tok, *csv = malloc(n);
	int i;

	t_tenant_create(&a, "as-lim");
	tok = t_token(a.id, a.admin_id, "admin");
	ck_assert_ptr_nonnull(csv);
	len += (size_t)sprintf(csv, "name\n");
	for (i = 0; i < 10001; i++)
		len += (size_t)sprintf(csv + len, "n%d\n", i % 100000);
	expect(t_http("POST", ASSETS "/import", tok, "text/csv", csv, len,
		      NULL),
	       413);
	free(csv);
	/* a body over the import's 16 MiB: nginx refuses it */
	n = 17u * 1024 * 1024;
	csv = malloc(n);
	memset(csv, 'x', n);
	memcpy(csv, "name\n", 5);
	expect(t_http("POST", ASSETS "/import", tok, "text/csv", csv, n, NULL),
	       413);
	free(csv);
}
END_TEST

START_TEST(export_is_csv_of_what_the_caller_sees)
{
	struct t_tenant a;
	char *tok, *id, *arch, *back, *all;
	struct reply *r;

	t_tenant_create(&a, "as-exp");
	tok = t_token(a.id, a.admin_id, "admin");
	id = create(tok, "{\"name\": \"=HYPERLINK(\\\"http://x\\\")\", "
			 "\"description\": \"comma, \\\"quote\\\"\\nnewline\","
			 " \"type\": \"software\", \"tags\": [\"a\", \"b\"], "
			 "\"confidentiality\": 3, \"external_id\": \"e-1\"}");
	arch = create(tok, "{\"name\": \"Archived\", \"type\": \"site\"}");
	expect(t_json("DELETE", fmt(ASSETS "/%s", arch), tok, NULL), 204);

	r = t_json("GET", ASSETS "/export?format=csv", tok, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(r->content_type, "text/csv; charset=utf-8");
	ck_assert_msg(strncmp(r->body, "id,external_id,name,description,type,",
			      37) == 0,
		      "%.200s", r->body);
	ck_assert_ptr_nonnull(strstr(r->body, id));
	/* the formula is neutralised, quotes doubled, lines kept */
	ck_assert_ptr_nonnull(
		strstr(r->body, "\"'=HYPERLINK(\"\"http://x\"\")\""));
	ck_assert_ptr_nonnull(
		strstr(r->body, "\"comma, \"\"quote\"\"\nnewline\""));
	ck_assert_ptr_nonnull(strstr(r->body, ",a;b,"));
	ck_assert_ptr_null(strstr(r->body, arch));
	back = fmt("%s", r->body);
	t_reply_free(r);
	r = t_json("GET", ASSETS "/export?include_archived=true", tok, NULL);
	ck_assert_ptr_nonnull(strstr(r->body, arch));
	all = fmt("%s", r->body);
	t_reply_free(r);
	/* with its archived_at column, an archived asset stays archived */
	r = t_http("POST", ASSETS "/import", tok, "text/csv", all, strlen(all),
		   NULL);
	ck_assert_msg(r->status == 200, "%ld %.400s", r->status, r->body);
	ck_assert_int_eq(
		json_integer_value(json_object_get(r->json, "unchanged")), 2);
	t_reply_free(r);
	/* a row naming it without that column restores it (a sync) */
	all = fmt("id,name\r\n%s,Archived\r\n", arch);
	r = t_http("POST", ASSETS "/import", tok, "text/csv", all, strlen(all),
		   NULL);
	ck_assert_int_eq(
		json_integer_value(json_object_get(r->json, "updated")), 1);
	t_reply_free(r);
	ck_assert_str_eq(t_db_value(a.id, fmt("SELECT archived_at IS NULL "
					      "FROM assets WHERE id = '%s'",
					      arch)),
			 "t");
	expect(t_json("GET", ASSETS "/export?format=xlsx", tok, NULL), 400);

	/* the file imports back unchanged, matched on id */
	r = t_http("POST", ASSETS "/import", tok, "text/csv", back,
		   strlen(back), NULL);
	ck_assert_msg(r->status == 200, "%ld %.400s", r->status, r->body);
	ck_assert_int_eq(
		json_integer_value(json_object_get(r->json, "unchanged")), 1);
	t_reply_free(r);
	ck_assert_str_eq(t_db_value(a.id, fmt("SELECT name FROM assets "
					      "WHERE id = '%s'",
					      id)),
			 "=HYPERLINK(\"http://x\")");
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("assets");
	TCase *tc = tcase_create("assets");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, create_and_read_every_field);
	tcase_add_test(tc, every_field_is_validated);
	tcase_add_test(tc, patch_merges_and_if_match_guards);
	tcase_add_test(tc, idempotent_retries_return_the_first_result);
	tcase_add_test(tc, delete_archives_and_admins_purge);
	tcase_add_test(tc, list_filters);
	tcase_add_test(tc, every_sort_both_directions_pages);
	tcase_add_test(tc, cursor_is_stable_while_rows_are_inserted);
	tcase_add_test(tc, dependencies_effective_values_and_cycles);
	tcase_add_test(tc, other_tenants_ids_are_never_found);
	tcase_add_test(tc, role_matrix_of_every_route);
	tcase_add_test(tc, tenant_settings_shape_validation);
	tcase_add_test(tc, import_10000_rows_in_one_request);
	tcase_add_test(tc, import_is_all_or_nothing);
	tcase_add_test(tc, import_limits);
	tcase_add_test(tc, export_is_csv_of_what_the_caller_sees);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
