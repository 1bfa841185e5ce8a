/*
 * The controls service through the real stack: the seeded ISO/IEC 27001
 * catalogs (counts, ids, filters, the 2013 to 2022 mapping), frameworks of
 * a tenant's own from JSON and from OSCAL (a round trip keeps every
 * control and enhancement; a catalog of several MB imports in one
 * request), implemented controls, evidence files and links (the exact
 * bytes and their SHA-256 come back; the size limit and the type
 * allowlist hold), the Statement of Applicability (derived status, risks
 * behind it, frozen versions, their diff, the CSV and HTML exports), the
 * isolation of tenants and the roles of every route. Every refusal is a
 * problem document, and a refused write leaves the database as it was.
 */
#include <check.h>
#include <curl/curl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <strings.h>

#include "auth.h"
#include "client.h"

#define API "/api/v1"
#define ISO22 "iso27001-2022"
#define ISO13 "iso27001-2013"

static void
setup(void)
{
	t_setup();
}

static const char *
body_of(const struct reply *r)
{
	return r->body != NULL ? r->body : "";
}

static void
assert_problem(struct reply *r, long status)
{
	ck_assert_msg(t_is_problem(r, status),
		      "expected a %ld problem document, got %ld %s: %.400s",
		      status, r->status, r->content_type, body_of(r));
	t_reply_free(r);
}

static void
assert_status(struct reply *r, long status)
{
	ck_assert_msg(r->status == status, "expected %ld, got %ld: %.400s",
		      status, r->status, body_of(r));
	t_reply_free(r);
}

/* The reply, after checking its status. */
static struct reply *
expect(struct reply *r, long status)
{
	ck_assert_msg(r->status == status, "expected %ld, got %ld: %.400s",
		      status, r->status, body_of(r));
	return r;
}

/* A 422 whose errors name field (exactly, or as a prefix with '*'). */
static void
assert_field(struct reply *r, const char *field)
{
	const json_t *e;
	size_t i, n = strlen(field);
	bool found = false;

	ck_assert_msg(t_is_problem(r, 422), "%s: expected 422, got %ld %.400s",
		      field, r->status, body_of(r));
	json_array_foreach (json_object_get(r->json, "errors"), i, e) {
		const char *f = json_string_value(json_object_get(e, "field"));

		if (f != NULL &&
		    (field[n - 1] == '*' ? strncmp(f, field, n - 1) == 0
					 : strcmp(f, field) == 0))
			found = true;
	}
	ck_assert_msg(found, "no error for '%s' in %.400s", field, body_of(r));
	t_reply_free(r);
}

/* A string member of the reply's body, kept until exit. */
static char *
member(const struct reply *r, const char *key)
{
	const char *v = json_string_value(json_object_get(r->json, key));

	ck_assert_msg(v != NULL, "no string '%s' in %ld %.300s", key, r->status,
		      body_of(r));
	return t_keep(strdup(v));
}

static json_int_t
number(const json_t *j, const char *key)
{
	const json_t *v = json_object_get(j, key);

	ck_assert_msg(json_is_integer(v), "no integer '%s'", key);
	return json_integer_value(v);
}

/* The JSON text of j, which it takes; kept until exit. */
static char *
text_of(json_t *j)
{
	char *s;

	ck_assert_ptr_nonnull(j);
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	ck_assert_ptr_nonnull(s);
	return t_keep(s);
}

static char *pathf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
pathf(const char *fmt, ...)
{
	char *s;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	ck_assert_int_ge(n, 0);
	s = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(s);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return t_keep(s);
}

static char *db(const struct t_tenant *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The query's single value as owner, in t's context, kept until exit. */
static char *
db(const struct t_tenant *t, const char *fmt, ...)
{
	char sql[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	return t_keep(strdup(t_db_value(t->id, sql)));
}

/* JSON request with one extra header ("Name: value") or none. */
static struct reply *
req(const char *method, const char *path, const char *token, const char *body,
    const char *header)
{
	const char *const extra[] = {header, NULL};

	return t_http(method, path, token, body ? "application/json" : NULL,
		      body, body ? strlen(body) : 0, header ? extra : NULL);
}

static char *
if_match(const char *etag)
{
	return pathf("If-Match: %s", etag);
}

/* A tenant with a member of each role and their tokens. */
struct org {
	struct t_tenant t;
	char editor[37], viewer[37], auditor[37];
	const char *admin, *ed, *view, *aud; /* tokens */
};

static void
org_create(struct org *o, const char *prefix)
{
	t_tenant_create(&o->t, prefix);
	t_member_create(&o->t, "editor", o->editor);
	t_member_create(&o->t, "viewer", o->viewer);
	t_member_create(&o->t, "auditor", o->auditor);
	o->admin = t_token(o->t.id, o->t.admin_id, "admin");
	o->ed = t_token(o->t.id, o->editor, "editor");
	o->view = t_token(o->t.id, o->viewer, "viewer");
	o->aud = t_token(o->t.id, o->auditor, "auditor");
}

/* The seeded id of a global requirement. */
static char *
global_req(const struct org *o, const char *slug, const char *ref)
{
	return db(&o->t, "SELECT catalog_id('%s', '%s')", slug, ref);
}

static char *
create_control(const struct org *o, const char *body)
{
	struct reply *r =
		expect(req("POST", API "/controls", o->ed, body, NULL), 201);
	char *id = member(r, "id");

	t_reply_free(r);
	return id;
}

/* The ids of a list's items ("items" of every page, following cursors). */
static json_t *
all_items(const char *path, const char *token)
{
	json_t *items = json_array();
	const char *cursor = NULL;
	struct reply *r;
	size_t pages = 0;

	do {
		r = expect(req("GET",
			       cursor ? pathf("%s%scursor=%s", path,
					      strchr(path, '?') ? "&" : "?",
					      cursor)
				      : path,
			       token, NULL, NULL),
			   200);
		json_array_extend(items, json_object_get(r->json, "items"));
		cursor = json_string_value(
			json_object_get(r->json, "next_cursor"));
		cursor = cursor ? t_keep(strdup(cursor)) : NULL;
		t_reply_free(r);
		ck_assert_msg(++pages < 1000, "too many pages");
	} while (cursor != NULL);
	return items;
}

static bool
has_id(const json_t *items, const char *id)
{
	const json_t *e;
	size_t i;

	json_array_foreach (items, i, e) {
		const char *v = json_string_value(json_object_get(e, "id"));

		if (v != NULL && strcmp(v, id) == 0)
			return true;
	}
	return false;
}

/* ---- raw HTTP, for the headers the shared client does not keep ---- */

struct raw {
	long status;
	char *headers;
	size_t hlen;
	char *body;
	size_t blen;
};

static size_t
raw_collect(char *p, size_t size, size_t n, void *ctx)
{
	char **buf = ((char ***)ctx)[0];
	size_t *len = ((size_t **)ctx)[1];
	char *grown = realloc(*buf, *len + size * n + 1);

	if (grown == NULL)
		return 0;
	memcpy(grown + *len, p, size * n);
	*len += size * n;
	grown[*len] = '\0';
	*buf = grown;
	return size * n;
}

static struct raw *
raw_get(const char *path, const char *token, const char *accept)
{
	struct raw *x = calloc(1, sizeof(*x));
	struct curl_slist *h = NULL;
	void *hctx[2], *bctx[2];
	CURL *c = curl_easy_init();

	ck_assert_ptr_nonnull(x);
	hctx[0] = &x->headers;
	hctx[1] = &x->hlen;
	bctx[0] = &x->body;
	bctx[1] = &x->blen;
	curl_easy_setopt(c, CURLOPT_URL,
			 pathf("%s%s", t_env("ISMS_HTTP_URL"), path));
	h = curl_slist_append(h, pathf("Authorization: Bearer %s", token));
	if (accept != NULL)
		h = curl_slist_append(h, pathf("Accept: %s", accept));
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, raw_collect);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, hctx);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, raw_collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, bctx);
	ck_assert_int_eq(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &x->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (x->headers == NULL)
		x->headers = strdup("");
	return x;
}

static void
raw_free(struct raw *x)
{
	free(x->headers);
	free(x->body);
	free(x);
}

/* The value of a response header (first one), kept until exit. */
static char *
header(const struct raw *x, const char *name)
{
	const char *p = x->headers;
	size_t n = strlen(name), len;

	while (p != NULL && *p != '\0') {
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			p += n + 1;
			while (*p == ' ')
				p++;
			len = strcspn(p, "\r\n");
			return t_keep(strndup(p, len));
		}
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */

/* The expected 2022 Annex A references, in order: 37, 8, 14, 34. */
static void
expected_2022_refs(char refs[93][16])
{
	static const int sizes[] = {37, 8, 14, 34};
	int theme, k, i = 0;

	for (theme = 0; theme < 4; theme++)
		for (k = 1; k <= sizes[theme]; k++)
			snprintf(refs[i++], 16, "A.%d.%d", theme + 5, k);
}

static size_t
count_query(const char *path, const char *token)
{
	json_t *items = all_items(path, token);
	size_t n = json_array_size(items);

	json_decref(items);
	return n;
}

START_TEST(catalogs_match_the_reference)
{
	struct org o;
	struct reply *r;
	json_t *items, *counts, *themes;
	char refs[93][16];
	const json_t *e;
	size_t i;

	org_create(&o, "catalog");

	/* both global frameworks, with their counts */
	items = all_items(API "/frameworks?scope=global", o.view);
	ck_assert_int_eq(json_array_size(items), 2);
	json_decref(items);
	r = expect(req("GET", API "/frameworks/" ISO22, o.aud, NULL, NULL),
		   200);
	ck_assert_str_eq(member(r, "scope"), "global");
	ck_assert_str_eq(member(r, "version"), "2022");
	ck_assert_str_eq(r->etag, "\"1\"");
	counts = json_object_get(r->json, "counts");
	ck_assert_int_eq(number(counts, "clause"), 41);
	ck_assert_int_eq(number(counts, "group"), 4);
	ck_assert_int_eq(number(counts, "control"), 93);
	ck_assert_int_eq(number(counts, "enhancement"), 0);
	themes = json_object_get(r->json, "themes");
	ck_assert_int_eq(number(themes, "organizational"), 37);
	ck_assert_int_eq(number(themes, "people"), 8);
	ck_assert_int_eq(number(themes, "physical"), 14);
	ck_assert_int_eq(number(themes, "technological"), 34);
	t_reply_free(r);
	r = expect(req("GET", API "/frameworks/" ISO13, o.view, NULL, NULL),
		   200);
	counts = json_object_get(r->json, "counts");
	ck_assert_int_eq(number(counts, "control"), 114);
	ck_assert_int_eq(number(counts, "group"), 14);
	ck_assert_int_eq(json_object_size(json_object_get(r->json, "themes")),
			 14);
	t_reply_free(r);

	/* the 93 controls, paged, in the standard's order */
	expected_2022_refs(refs);
	items = all_items(API "/frameworks/" ISO22
			      "/requirements?kind=control&limit=40",
			  o.view);
	ck_assert_int_eq(json_array_size(items), 93);
	json_array_foreach (items, i, e) {
		ck_assert_str_eq(json_string_value(json_object_get(e, "ref")),
				 refs[i]);
		ck_assert_int_eq(json_array_size(json_object_get(
					 json_object_get(e, "attributes"),
					 "control_type")) > 0,
				 1);
	}
	json_decref(items);
	ck_assert_int_eq(count_query(API "/frameworks/" ISO22
					 "/requirements?kind=clause",
				     o.view),
			 41);
	ck_assert_int_eq(count_query(API "/frameworks/" ISO13
					 "/requirements?kind=control&limit=7",
				     o.view),
			 114);

	/* filters: theme and each attribute */
	ck_assert_int_eq(count_query(API "/frameworks/" ISO22
					 "/requirements?kind=control&theme="
					 "people",
				     o.view),
			 8);
	ck_assert_int_eq(count_query(API
				     "/frameworks/" ISO22
				     "/requirements?control_type=Corrective",
				     o.view),
			 14);
	ck_assert_int_eq(count_query(API "/frameworks/" ISO22
					 "/requirements?information_security_"
					 "properties=Confidentiality",
				     o.view),
			 87);
	ck_assert_int_eq(count_query(API "/frameworks/" ISO22
					 "/requirements?cybersecurity_concepts="
					 "Recover",
				     o.view),
			 6);
	ck_assert_int_eq(count_query(API "/frameworks/" ISO22
					 "/requirements?operational_"
					 "capabilities=Governance",
				     o.view),
			 8);
	ck_assert_int_eq(count_query(API "/frameworks/" ISO22
					 "/requirements?security_domains="
					 "Defence",
				     o.view),
			 22);
	items = all_items(API "/frameworks/" ISO22 "/requirements?q=cloud",
			  o.view);
	ck_assert_int_eq(json_array_size(items), 1);
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(items, 0), "ref")),
			 "A.5.23");
	json_decref(items);

	/* the mapping: 115 pairs, A.18.2.3 to two controls */
	ck_assert_int_eq(count_query(API "/frameworks/" ISO13
					 "/mappings?limit=50",
				     o.view),
			 115);
	ck_assert_int_eq(count_query(API "/frameworks/" ISO22
					 "/mappings?target=" ISO13,
				     o.view),
			 115);
	items = all_items(API "/frameworks/" ISO13 "/mappings?ref=A.18.2.3",
			  o.view);
	ck_assert_int_eq(json_array_size(items), 2);
	ck_assert_str_eq(
		json_string_value(json_object_get(
			json_object_get(json_array_get(items, 0), "to"),
			"ref")),
		"A.5.36");
	ck_assert_str_eq(
		json_string_value(json_object_get(
			json_object_get(json_array_get(items, 1), "to"),
			"ref")),
		"A.8.8");
	json_decref(items);

	/* malformed queries and unknown frameworks */
	assert_problem(req("GET",
			   API "/frameworks/" ISO22 "/requirements?kind=bogus",
			   o.view, NULL, NULL),
		       400);
	assert_problem(req("GET",
			   API "/frameworks/" ISO22 "/requirements?limit=0",
			   o.view, NULL, NULL),
		       400);
	assert_problem(req("GET",
			   API "/frameworks/" ISO22
			       "/requirements?cursor=bm9wZQ",
			   o.view, NULL, NULL),
		       400);
	assert_problem(req("GET",
			   API "/frameworks/" ISO22 "/requirements?color=red",
			   o.view, NULL, NULL),
		       400);
	assert_problem(req("GET", API "/frameworks?scope=everywhere", o.view,
			   NULL, NULL),
		       400);
	assert_problem(
		req("GET", API "/frameworks/nist-800-53", o.view, NULL, NULL),
		404);
	assert_problem(req("GET", API "/frameworks/Not%20A%20Slug", o.view,
			   NULL, NULL),
		       404);
	assert_problem(req("GET", API "/frameworks/nope/requirements", o.view,
			   NULL, NULL),
		       404);
	assert_problem(
		req("GET", API "/frameworks/nope/mappings", o.view, NULL, NULL),
		404);
	assert_problem(
		req("DELETE", API "/frameworks/" ISO22, o.admin, NULL, NULL),
		403);
	ck_assert_str_eq(db(&o.t,
			    "SELECT count(*) FROM requirements"
			    " WHERE framework_id = catalog_id('%s')",
			    ISO22),
			 "138");
}
END_TEST

/* A framework of the tenant's own, three levels deep. */
#define CUSTOM_BODY(slug)                                                      \
	"{\"slug\": \"" slug "\", \"name\": \"Supplier baseline\","            \
	" \"version\": \"2025.1\", \"description\": \"Our own\","              \
	" \"requirements\": ["                                                 \
	"  {\"ref\": \"G1\", \"kind\": \"group\", \"title\": \"Suppliers\","   \
	"   \"children\": ["                                                   \
	"    {\"ref\": \"S-1\", \"title\": \"Supplier register\","             \
	"     \"statement\": \"Keep a register.\\nReview it yearly.\","        \
	"     \"children\": [{\"ref\": \"S-1.1\", \"title\": \"Owners\"}]},"   \
	"    {\"ref\": \"S-2\", \"title\": \"Contracts\"}]},"                  \
	"  {\"ref\": \"C-4\", \"kind\": \"clause\", \"title\": \"Context\","   \
	"   \"children\": [{\"ref\": \"C-4.1\", \"title\": \"Scope\"}]}]}"

START_TEST(frameworks_from_json)
{
	struct org o;
	struct reply *r;
	json_t *items;
	char *etag, *id, *before;
	static const struct {
		const char *body;
		const char *field;
	} bad[] = {
		{"{\"name\": \"x\", \"requirements\": []}", "slug"},
		{"{\"slug\": \"Bad Slug\", \"name\": \"x\", \"requirements\":"
		 " [{\"ref\": \"a\", \"title\": \"b\"}]}",
		 "slug"},
		{"{\"slug\": \"import\", \"name\": \"x\", \"requirements\":"
		 " [{\"ref\": \"a\", \"title\": \"b\"}]}",
		 "slug"},
		{"{\"slug\": \"ok-1\", \"requirements\": [{\"ref\": \"a\","
		 " \"title\": \"b\"}]}",
		 "name"},
		{"{\"slug\": \"ok-1\", \"name\": 5, \"requirements\":"
		 " [{\"ref\": \"a\", \"title\": \"b\"}]}",
		 "name"},
		{"{\"slug\": \"ok-1\", \"name\": \"x\", \"version\": \"\","
		 " \"requirements\": [{\"ref\": \"a\", \"title\": \"b\"}]}",
		 "version"},
		{"{\"slug\": \"ok-1\", \"name\": \"x\", \"requirements\": []}",
		 "requirements"},
		{"{\"slug\": \"ok-1\", \"name\": \"x\", \"requirements\": {}}",
		 "requirements"},
		{"{\"slug\": \"ok-1\", \"name\": \"x\", \"color\": \"red\","
		 " \"requirements\": [{\"ref\": \"a\", \"title\": \"b\"}]}",
		 "color"},
		{"{\"slug\": \"ok-1\", \"name\": \"x\", \"requirements\":"
		 " [{\"title\": \"b\"}]}",
		 "requirements[0].ref"},
		{"{\"slug\": \"ok-1\", \"name\": \"x\", \"requirements\":"
		 " [{\"ref\": \"a\", \"title\": \"\"}]}",
		 "requirements[0].title"},
		{"{\"slug\": \"ok-1\", \"name\": \"x\", \"requirements\":"
		 " [{\"ref\": \"a\", \"title\": \"b\", \"kind\": "
		 "\"chapter\"}]}",
		 "requirements[0].kind"},
		{"{\"slug\": \"ok-1\", \"name\": \"x\", \"requirements\":"
		 " [{\"ref\": \"a\", \"title\": \"b\", \"kind\":"
		 " \"enhancement\"}]}",
		 "requirements[0].kind"},
		{"{\"slug\": \"ok-1\", \"name\": \"x\", \"requirements\":"
		 " [{\"ref\": \"a\", \"title\": \"b\", \"children\": [{\"ref\":"
		 " \"c\", \"title\": \"d\", \"kind\": \"group\"}]}]}",
		 "requirements[0].children[0].kind"},
		{"{\"slug\": \"ok-1\", \"name\": \"x\", \"requirements\":"
		 " [{\"ref\": \"a\", \"title\": \"b\"}, {\"ref\": \"a\","
		 " \"title\": \"c\"}]}",
		 "requirements[1].ref"},
		{"{\"slug\": \"ok-1\", \"name\": \"x\", \"requirements\":"
		 " [{\"ref\": \"a\", \"title\": \"b\", \"statement\": 7}]}",
		 "requirements[0].statement"},
		{"{\"slug\": \"ok-1\", \"name\": \"x\", \"requirements\":"
		 " [{\"ref\": \"a\", \"title\": \"b\", \"note\": \"x\"}]}",
		 "requirements[0].note"},
		{"{\"slug\": \"ok-1\", \"name\": \"x\", \"requirements\":"
		 " [{\"ref\": \"a\", \"title\": \"b\", \"children\": 3}]}",
		 "requirements[0].children"},
		{"{\"slug\": \"ok-1\", \"name\": \"x\", \"requirements\":"
		 " [\"a\"]}",
		 "requirements[0]"},
	};
	size_t i;

	org_create(&o, "custom");
	before = db(&o.t, "SELECT count(*) FROM frameworks WHERE tenant_id ="
			  " app_tenant_id()");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_field(
			req("POST", API "/frameworks", o.ed, bad[i].body, NULL),
			bad[i].field);
	assert_problem(
		t_http("POST", API "/frameworks", o.ed, "application/json",
		       "{\"slug\": \"x\xff\", \"name\": \"x\"}", 27, NULL),
		400);
	assert_problem(t_http("POST", API "/frameworks", o.ed, "text/plain",
			      "slug", 4, NULL),
		       415);
	assert_problem(req("POST", API "/frameworks", o.ed, "[1]", NULL), 400);
	ck_assert_str_eq(db(&o.t, "SELECT count(*) FROM frameworks WHERE"
				  " tenant_id = app_tenant_id()"),
			 before);

	r = expect(req("POST", API "/frameworks", o.ed, CUSTOM_BODY("baseline"),
		       "Idempotency-Key: fw-1"),
		   201);
	ck_assert_str_eq(r->location, API "/frameworks/baseline");
	ck_assert_str_eq(r->etag, "\"1\"");
	ck_assert_str_eq(member(r, "scope"), "tenant");
	ck_assert_str_eq(member(r, "source"), "json");
	ck_assert_str_eq(member(r, "version"), "2025.1");
	ck_assert_int_eq(number(json_object_get(r->json, "counts"), "group"),
			 1);
	ck_assert_int_eq(number(json_object_get(r->json, "counts"), "control"),
			 2);
	ck_assert_int_eq(
		number(json_object_get(r->json, "counts"), "enhancement"), 1);
	ck_assert_int_eq(number(json_object_get(r->json, "counts"), "clause"),
			 2);
	ck_assert_int_eq(
		number(json_object_get(r->json, "themes"), "Suppliers"), 3);
	id = member(r, "id");
	t_reply_free(r);
	/* the retry answers the first result and creates nothing */
	r = expect(req("POST", API "/frameworks", o.ed, CUSTOM_BODY("baseline"),
		       "Idempotency-Key: fw-1"),
		   201);
	ck_assert_str_eq(member(r, "id"), id);
	t_reply_free(r);
	assert_field(req("POST", API "/frameworks", o.ed,
			 CUSTOM_BODY("baseline-2"), "Idempotency-Key: fw-1"),
		     "Idempotency-Key");
	/* slugs: taken in the tenant, or a global one */
	assert_problem(req("POST", API "/frameworks", o.ed,
			   CUSTOM_BODY("baseline"), NULL),
		       409);
	assert_problem(req("POST", API "/frameworks", o.ed,
			   CUSTOM_BODY("iso27001-2022"), NULL),
		       409);
	ck_assert_str_eq(db(&o.t, "SELECT count(*) FROM frameworks WHERE"
				  " tenant_id = app_tenant_id()"),
			 "1");

	/* the tree as stored */
	items = all_items(API "/frameworks/baseline/requirements", o.aud);
	ck_assert_int_eq(json_array_size(items), 6);
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(items, 2), "parent_ref")),
			 "S-1");
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(items, 2), "kind")),
			 "enhancement");
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(items, 1), "statement")),
			 "Keep a register.\nReview it yearly.");
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(items, 5), "kind")),
			 "clause");
	json_decref(items);
	items = all_items(API "/frameworks?scope=tenant&source=json", o.view);
	ck_assert_int_eq(json_array_size(items), 1);
	ck_assert(has_id(items, id));
	json_decref(items);
	ck_assert_str_eq(db(&o.t,
			    "SELECT count(*) FROM activity_log WHERE entity ="
			    " 'requirements' AND tenant_id = app_tenant_id()"),
			 "6");

	/* delete: If-Match, then not while a control uses it */
	r = expect(req("GET", API "/frameworks/baseline", o.view, NULL, NULL),
		   200);
	etag = t_keep(strdup(r->etag));
	t_reply_free(r);
	assert_problem(req("DELETE", API "/frameworks/baseline", o.ed, NULL,
			   "If-Match: \"7\""),
		       412);
	create_control(
		&o,
		text_of(json_pack(
			"{s:s, s:[s]}", "name", "Uses it", "requirement_ids",
			db(&o.t, "SELECT id FROM requirements WHERE"
				 " tenant_id = app_tenant_id() AND ref ="
				 " 'S-2'"))));
	assert_problem(req("DELETE", API "/frameworks/baseline", o.ed, NULL,
			   if_match(etag)),
		       409);
	t_db_exec(o.t.id, "DELETE FROM controls");
	assert_status(req("DELETE", API "/frameworks/baseline", o.ed, NULL,
			  if_match(etag)),
		      204);
	assert_problem(
		req("GET", API "/frameworks/baseline", o.view, NULL, NULL),
		404);
	ck_assert_str_eq(db(&o.t, "SELECT count(*) FROM requirements WHERE"
				  " tenant_id = app_tenant_id()"),
			 "0");
}
END_TEST

/* ---- OSCAL ---- */

static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return t_keep(buf);
}

/* tests/fixtures/oscal/catalog.json, next to this suite's folder. */
static char *
fixture(size_t *len)
{
	char *dir = t_keep(strdup(__FILE__)), *slash = strrchr(dir, '/');

	ck_assert_ptr_nonnull(slash);
	*slash = '\0';
	return read_file(pathf("%s/../fixtures/oscal/catalog.json", dir), len);
}

static struct reply *
import(const char *token, const char *slug, const char *body, size_t len,
       const char *header)
{
	const char *const extra[] = {header, NULL};

	return t_http("POST", pathf(API "/frameworks/import?slug=%s", slug),
		      token, "application/json", body, len,
		      header ? extra : NULL);
}

/* Finds the control or group with id in an OSCAL tree. */
static const json_t *
find_node(const json_t *node, const char *id)
{
	static const char *const lists[] = {"groups", "controls"};
	const json_t *child, *found;
	size_t i, k;

	if (json_is_string(json_object_get(node, "id")) &&
	    strcmp(json_string_value(json_object_get(node, "id")), id) == 0)
		return node;
	for (k = 0; k < 2; k++)
		json_array_foreach (json_object_get(node, lists[k]), i, child) {
			if ((found = find_node(child, id)) != NULL)
				return found;
		}
	return NULL;
}

/*
 * Every control and enhancement under node (in the original) is in the
 * exported catalog with the same title, statement (parts), params and
 * props; returns how many were compared.
 */
static int
compare_controls(const json_t *node, const json_t *exported, bool in_control)
{
	static const char *const kept[] = {"title", "parts", "params",
					   "props", "links", "class"};
	const json_t *child, *other;
	size_t i, k;
	int n = 0;

	if (in_control || json_object_get(node, "parts") != NULL ||
	    json_object_get(node, "title") != NULL) {
		const char *id = json_string_value(json_object_get(node, "id"));

		if (id != NULL) {
			other = find_node(exported, id);
			ck_assert_msg(other != NULL, "%s is not exported", id);
			for (k = 0; k < sizeof(kept) / sizeof(kept[0]); k++)
				ck_assert_msg(
					json_equal(
						json_object_get(node, kept[k]),
						json_object_get(other,
								kept[k])) ||
						(json_object_get(node,
								 kept[k]) ==
							 NULL &&
						 json_object_get(other,
								 kept[k]) ==
							 NULL),
					"%s: %s differs", id, kept[k]);
			n++;
		}
	}
	json_array_foreach (json_object_get(node, "groups"), i, child)
		n += compare_controls(child, exported, false);
	json_array_foreach (json_object_get(node, "controls"), i, child)
		n += compare_controls(child, exported, true);
	return n;
}

static const char *
or_empty(const json_t *v)
{
	return json_is_string(v) ? json_string_value(v) : "";
}

/* The requirements of a framework as "kind ref parent title|statement". */
static json_t *
tree_lines(const char *slug, const char *token)
{
	json_t *items = all_items(
		pathf(API "/frameworks/%s/requirements", slug), token);
	json_t *lines = json_array();
	const json_t *e;
	size_t i;

	json_array_foreach (items, i, e) {
		json_array_append_new(
			lines,
			json_sprintf(
				"%s %s %s %s|%s",
				or_empty(json_object_get(e, "kind")),
				or_empty(json_object_get(e, "ref")),
				or_empty(json_object_get(e, "parent_ref")),
				or_empty(json_object_get(e, "title")),
				or_empty(json_object_get(e, "statement"))));
	}
	json_decref(items);
	return lines;
}

START_TEST(oscal_round_trip)
{
	struct org o;
	struct reply *r, *x;
	json_t *original, *catalog, *a, *b;
	const json_t *ac1;
	size_t len;
	char *body, *exported;
	int compared;

	org_create(&o, "oscal");
	body = fixture(&len);
	original = json_loads(body, 0, NULL);
	ck_assert_ptr_nonnull(original);

	r = expect(import(o.ed, "example", body, len, NULL), 201);
	ck_assert_str_eq(r->location, API "/frameworks/example");
	ck_assert_str_eq(member(r, "source"), "oscal");
	ck_assert_str_eq(member(r, "name"), "Example Control Catalog");
	ck_assert_str_eq(member(r, "version"), "1.2");
	ck_assert_int_eq(number(json_object_get(r->json, "counts"), "group"),
			 3);
	ck_assert_int_eq(number(json_object_get(r->json, "counts"), "control"),
			 4);
	ck_assert_int_eq(
		number(json_object_get(r->json, "counts"), "enhancement"), 3);
	t_reply_free(r);

	/* the statement is the statement part, nested items labelled */
	ck_assert_str_eq(
		db(&o.t, "SELECT statement FROM requirements WHERE tenant_id ="
			 " app_tenant_id() AND ref = 'ac-1'"),
		"The organization:\n"
		"a. Develops and documents an access control policy for {{ "
		"insert: param, ac-1_prm_1 }};\n"
		"1. Addresses purpose, scope and roles; and\n"
		"2. Is consistent with applicable laws \xe2\x80\x94 "
		"\xc3\xa9tat "
		"de l'art.\n"
		"b. Reviews the policy {{ insert: param, ac-1_prm_2 }}.");
	ck_assert_str_eq(
		db(&o.t,
		   "SELECT r.kind || ' ' || p.ref FROM requirements r JOIN"
		   " requirements p ON p.id = r.parent_id WHERE"
		   " r.tenant_id = app_tenant_id() AND r.ref ="
		   " 'ac-2.1.a'"),
		"enhancement ac-2.1");

	/* export, and compare every control and enhancement */
	x = expect(req("GET", API "/frameworks/example/export?format=oscal",
		       o.aud, NULL, NULL),
		   200);
	catalog = json_object_get(x->json, "catalog");
	ck_assert_ptr_nonnull(catalog);
	ck_assert_str_eq(json_string_value(json_object_get(catalog, "uuid")),
			 "9c1e7a62-3d0b-4c5e-8f5a-2b7d4e6f1a03");
	ck_assert_str_eq(
		json_string_value(json_object_get(
			json_object_get(catalog, "metadata"), "oscal-version")),
		"1.1.2");
	ck_assert(
		json_equal(json_object_get(json_object_get(original, "catalog"),
					   "back-matter"),
			   json_object_get(catalog, "back-matter")));
	ck_assert(json_equal(
		json_object_get(json_object_get(original, "catalog"), "params"),
		json_object_get(catalog, "params")));
	compared = compare_controls(json_object_get(original, "catalog"),
				    catalog, false);
	ck_assert_int_eq(compared, 10); /* 3 groups, 4 controls, 3 enh. */
	ac1 = find_node(catalog, "ac-1");
	ck_assert_int_eq(json_array_size(json_object_get(ac1, "parts")), 2);

	/* the export imports back to the same requirements */
	exported = json_dumps(x->json, JSON_COMPACT);
	t_reply_free(x);
	t_keep(exported);
	assert_status(
		import(o.ed, "example-copy", exported, strlen(exported), NULL),
		201);
	a = tree_lines("example", o.view);
	b = tree_lines("example-copy", o.view);
	ck_assert_int_eq(json_array_size(a), 10);
	ck_assert_msg(json_equal(a, b), "round trip differs");
	json_decref(a);
	json_decref(b);

	/* a seeded framework exports too; clause numbers become tokens */
	x = expect(req("GET", API "/frameworks/" ISO22 "/export", o.view, NULL,
		       NULL),
		   200);
	catalog = json_object_get(x->json, "catalog");
	ck_assert_ptr_nonnull(find_node(catalog, "A.8.34"));
	ck_assert_ptr_nonnull(find_node(catalog, "clause-6.1.3"));
	ck_assert_int_eq(json_array_size(json_object_get(catalog, "groups")),
			 4);
	t_reply_free(x);
	json_decref(original);

	/* refusals */
	assert_problem(import(o.ed, "example", body, len, NULL), 409);
	assert_problem(t_http("POST", API "/frameworks/import", o.ed,
			      "application/json", body, len, NULL),
		       400);
	assert_problem(import(o.ed, "import", body, len, NULL), 400);
	assert_problem(import(o.ed, "x1", "[1]", 3, NULL), 400);
	assert_problem(t_http("POST", API "/frameworks/import?slug=x1", o.ed,
			      "application/xml", "<catalog/>", 10, NULL),
		       415);
	assert_field(import(o.ed, "x1", "{\"catalog\": 1}", 14, NULL),
		     "catalog");
	body = "{\"catalog\": {\"uuid\": \"u\", \"metadata\": {\"title\": "
	       "\"T\"},"
	       " \"groups\": [{\"id\": \"g\", \"title\": \"G\", \"controls\":"
	       " [{\"title\": \"no id\"}, {\"id\": \"c\", \"title\": \"C\","
	       " \"groups\": []}, {\"id\": \"g\", \"title\": \"again\"}]}]}}";
	r = import(o.ed, "x1", body, strlen(body), NULL);
	ck_assert_msg(t_is_problem(r, 422), "%s", body_of(r));
	ck_assert_msg(
		strstr(body_of(r), "catalog.groups[0].controls[0].id") &&
			strstr(body_of(r),
			       "catalog.groups[0].controls[1].groups") &&
			strstr(body_of(r), "catalog.groups[0].controls[2].id"),
		"%s", body_of(r));
	t_reply_free(r);
	body = "{\"catalog\": {\"uuid\": \"u\", \"metadata\": {}}}";
	assert_field(import(o.ed, "x1", body, strlen(body), NULL),
		     "catalog.metadata.title");
	assert_problem(req("GET", API "/frameworks/example/export?format=csv",
			   o.view, NULL, NULL),
		       400);
	ck_assert_str_eq(db(&o.t, "SELECT string_agg(slug, ',' ORDER BY slug)"
				  " FROM frameworks WHERE tenant_id ="
				  " app_tenant_id()"),
			 "example,example-copy");
}
END_TEST

/* A public-catalog-sized OSCAL document: groups x controls x enhancements. */
static char *
big_catalog(int groups, int controls, int enhancements, size_t *len)
{
	static const char prose[] =
		"The organization develops, documents and disseminates to {{ "
		"insert: param, p }} a policy that addresses purpose, scope, "
		"roles, responsibilities, management commitment, coordination "
		"among organizational entities, and compliance; and procedures "
		"to facilitate the implementation of the policy. It reviews "
		"and updates the policy and the procedures at the frequency "
		"set in {{ insert: param, p }} and after significant changes "
		"to the organization, its systems or its threat environment, "
		"and keeps records of each review as documented information. ";
	json_t *doc, *gl, *cl, *el, *ctl;
	int g, c, e;
	char id[64], eid[80];
	char *text;

	gl = json_array();
	for (g = 0; g < groups; g++) {
		cl = json_array();
		for (c = 0; c < controls; c++) {
			snprintf(id, sizeof(id), "f%02d-%d", g, c + 1);
			el = json_array();
			for (e = 0; e < enhancements; e++) {
				snprintf(eid, sizeof(eid), "%s.%d", id, e + 1);
				json_array_append_new(
					el,
					json_pack(
						"{s:s, s:s+, s:[{s:s, s:s+, s:s"
						"+}]}",
						"id", eid, "title",
						"Enhancement ", eid, "parts",
						"name", "statement", "id", eid,
						"_smt", "prose", prose, prose));
			}
			ctl = json_pack(
				"{s:s, s:s, s:s+, s:[{s:s, s:s}],"
				" s:[{s:s+, s:s, s:s+, s:[{s:s+, s:s,"
				" s:[{s:s, s:s}], s:s+}]}, {s:s+, s:s, s:s+}],"
				" s:o}",
				"id", id, "class", "SP", "title", "Control ",
				id, "params", "id", "p", "label", "frequency",
				"parts", "id", id, "_smt", "name", "statement",
				"prose", prose, "The organization:", "parts",
				"id", id, "_smt.a", "name", "item", "props",
				"name", "label", "value", "a.", "prose", prose,
				prose, "id", id, "_gdn", "name", "guidance",
				"prose", prose, prose, "controls", el);
			json_array_append_new(cl, ctl);
		}
		snprintf(id, sizeof(id), "f%02d", g);
		json_array_append_new(gl,
				      json_pack("{s:s, s:s, s:s+, s:o}", "id",
						id, "class", "family", "title",
						"Family ", id, "controls", cl));
	}
	doc = json_pack("{s:{s:s, s:{s:s, s:s, s:s, s:s}, s:o}}", "catalog",
			"uuid", "0b7c3f1e-2a4d-4e5f-9a8b-7c6d5e4f3a2b",
			"metadata", "title", "A large public catalog",
			"last-modified", "2024-01-01T00:00:00Z", "version",
			"5.1.1", "oscal-version", "1.1.2", "groups", gl);
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	ck_assert_ptr_nonnull(text);
	*len = strlen(text);
	return t_keep(text);
}

static double
seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

START_TEST(large_oscal_catalog_in_one_request)
{
	struct org o;
	struct reply *r;
	struct timespec t0;
	double took;
	size_t len;
	char *body = big_catalog(20, 30, 3, &len);

	org_create(&o, "bigcat");
	ck_assert_msg(len > 3 * 1024 * 1024, "the catalog is %zu bytes", len);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = expect(import(o.ed, "big-catalog", body, len,
			  "Idempotency-Key: big-1"),
		   201);
	took = seconds_since(&t0);
	fprintf(stderr,
		"controls: imported an OSCAL catalog of %.1f MB (20 groups,"
		" 600 controls, 1800 enhancements) in %.2f s\n",
		(double)len / (1024.0 * 1024.0), took);
	ck_assert_int_eq(number(json_object_get(r->json, "counts"), "group"),
			 20);
	ck_assert_int_eq(number(json_object_get(r->json, "counts"), "control"),
			 600);
	ck_assert_int_eq(
		number(json_object_get(r->json, "counts"), "enhancement"),
		1800);
	t_reply_free(r);
	ck_assert_msg(took < 30.0, "the import took %.1f s", took);
	/* the retry is answered from the first result */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_status(import(o.ed, "big-catalog", body, len,
			     "Idempotency-Key: big-1"),
		      201);
	ck_assert_str_eq(db(&o.t, "SELECT count(*) FROM requirements WHERE"
				  " tenant_id = app_tenant_id()"),
			 "2420");
	ck_assert_str_eq(db(&o.t, "SELECT count(*) FROM activity_log WHERE"
				  " tenant_id = app_tenant_id() AND entity ="
				  " 'requirements'"),
			 "2420");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = expect(req("GET", API "/frameworks/big-catalog/export", o.view,
		       NULL, NULL),
		   200);
	fprintf(stderr, "controls: exported it again (%zu bytes) in %.2f s\n",
		r->len, seconds_since(&t0));
	ck_assert_int_eq(
		json_array_size(json_object_get(
			json_object_get(r->json, "catalog"), "groups")),
		20);
	t_reply_free(r);
	/* more than the bulk limit: nginx refuses it */
	body = malloc(17u * 1024 * 1024);
	ck_assert_ptr_nonnull(body);
	memset(body, ' ', 17u * 1024 * 1024);
	assert_problem(
		import(o.ed, "too-big", t_keep(body), 17u * 1024 * 1024, NULL),
		413);
}
END_TEST

/* ---- controls ---- */

START_TEST(controls_lifecycle)
{
	struct org o;
	struct reply *r;
	json_t *items, *reqs;
	char *id, *id2, *etag, *a51, *a515, *clause, *group, *state;
	char body[2048];
	size_t i;
	static const struct {
		const char *body;
		const char *field;
	} bad[] = {
		{"{}", "name"},
		{"{\"name\": \"\"}", "name"},
		{"{\"name\": 7}", "name"},
		{"{\"name\": null}", "name"},
		{"{\"name\": \"x\\u0001y\"}", "name"},
		{"{\"name\": \"x\", \"description\": 1}", "description"},
		{"{\"name\": \"x\", \"owner_id\": \"me\"}", "owner_id"},
		{"{\"name\": \"x\", \"status\": \"done\"}", "status"},
		{"{\"name\": \"x\", \"status\": null}", "status"},
		{"{\"name\": \"x\", \"effectiveness\": \"great\"}",
		 "effectiveness"},
		{"{\"name\": \"x\", \"implemented_on\": \"2025-02-30\"}",
		 "implemented_on"},
		{"{\"name\": \"x\", \"review_date\": \"tomorrow\"}",
		 "review_date"},
		{"{\"name\": \"x\", \"requirement_ids\": \"all\"}",
		 "requirement_ids"},
		{"{\"name\": \"x\", \"requirement_ids\": [\"nope\"]}",
		 "requirement_ids[0]"},
		{"{\"name\": \"x\", \"color\": \"red\"}", "color"},
		{"{\"name\": \"x\", \"version\": 3}", "version"},
		{"{\"name\": \"x\", \"needs_evidence\": false}",
		 "needs_evidence"},
	};

	org_create(&o, "controls");
	a51 = global_req(&o, ISO22, "A.5.1");
	a515 = global_req(&o, ISO22, "A.5.15");
	clause = global_req(&o, ISO22, "6.1.3");
	group = global_req(&o, ISO22, "A.5");
	state = db(&o.t, "SELECT count(*) FROM controls");

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_field(
			req("POST", API "/controls", o.ed, bad[i].body, NULL),
			bad[i].field);
	snprintf(body, sizeof(body), "{\"name\": \"%0201d\"}", 0);
	assert_field(req("POST", API "/controls", o.ed, body, NULL), "name");
	assert_problem(t_http("POST", API "/controls", o.ed, "application/json",
			      "{\"name\": \"\xc3\x28\"}", 14, NULL),
		       400);
	assert_problem(req("POST", API "/controls", o.ed,
			   "{\"name\": \"a\", \"name\": \"b\"}", NULL),
		       400);
	/* owners are members; requirements are clauses or controls */
	snprintf(body, sizeof(body),
		 "{\"name\": \"x\", \"owner_id\":"
		 " \"00000000-0000-4000-8000-000000000001\"}");
	assert_field(req("POST", API "/controls", o.ed, body, NULL),
		     "owner_id");
	snprintf(body, sizeof(body),
		 "{\"name\": \"x\", \"requirement_ids\": [\"%s\", \"%s\"]}",
		 a51, group);
	assert_field(req("POST", API "/controls", o.ed, body, NULL),
		     "requirement_ids[1]");
	snprintf(body, sizeof(body),
		 "{\"name\": \"x\", \"requirement_ids\": [\"%s\", \"%s\"]}",
		 a51, a51);
	assert_field(req("POST", API "/controls", o.ed, body, NULL),
		     "requirement_ids[1]");
	ck_assert_str_eq(db(&o.t, "SELECT count(*) FROM controls"), state);

	/* create */
	snprintf(
		body, sizeof(body),
		"{\"name\": \"Access reviews\", \"description\": \"Quarterly\","
		" \"owner_id\": \"%s\", \"status\": \"implemented\","
		" \"effectiveness\": \"effective\", \"review_date\":"
		" \"2030-01-31\", \"requirement_ids\": [\"%s\", \"%s\"]}",
		o.editor, a515, clause);
	r = expect(req("POST", API "/controls", o.ed, body,
		       "Idempotency-Key: c-1"),
		   201);
	id = member(r, "id");
	ck_assert_str_eq(r->location, pathf(API "/controls/%s", id));
	ck_assert_str_eq(r->etag, "\"1\"");
	ck_assert_str_eq(member(r, "owner_id"), o.editor);
	ck_assert_msg(
		json_is_string(json_object_get(r->json, "implemented_on")),
		"implemented_on is set when implemented");
	reqs = json_object_get(r->json, "requirements");
	ck_assert_int_eq(json_array_size(reqs), 2);
	ck_assert_str_eq(member(r, "evidence_status"), "missing");
	ck_assert(json_is_true(json_object_get(r->json, "needs_evidence")));
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "risks")), 0);
	t_reply_free(r);
	r = expect(req("POST", API "/controls", o.ed, body,
		       "Idempotency-Key: c-1"),
		   201);
	ck_assert_str_eq(member(r, "id"), id);
	t_reply_free(r);
	ck_assert_str_eq(db(&o.t, "SELECT count(*) FROM controls"), "1");
	id2 = create_control(&o, "{\"name\": \"Backup policy\", \"status\":"
				 " \"planned\"}");

	/* read */
	r = expect(req("GET", pathf(API "/controls/%s", id), o.aud, NULL, NULL),
		   200);
	etag = t_keep(strdup(r->etag));
	ck_assert_str_eq(member(r, "name"), "Access reviews");
	t_reply_free(r);
	assert_problem(
		req("GET", API "/controls/not-a-uuid", o.view, NULL, NULL),
		404);
	assert_problem(req("GET",
			   API "/controls/00000000-0000-4000-8000-000000000000",
			   o.view, NULL, NULL),
		       404);

	/* lists and filters */
	items = all_items(API "/controls?limit=1&sort=name", o.view);
	ck_assert_int_eq(json_array_size(items), 2);
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(items, 0), "name")),
			 "Access reviews");
	json_decref(items);
	items = all_items(API "/controls?limit=1&sort=-name", o.view);
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(items, 0), "name")),
			 "Backup policy");
	json_decref(items);
	ck_assert_int_eq(count_query(API "/controls?status=planned", o.view),
			 1);
	ck_assert_int_eq(
		count_query(pathf(API "/controls?requirement_id=%s", a515),
			    o.view),
		1);
	ck_assert_int_eq(
		count_query(API "/controls?needs_evidence=true", o.view), 1);
	ck_assert_int_eq(count_query(API "/controls?q=backup", o.view), 1);
	ck_assert_int_eq(
		count_query(pathf(API "/controls?owner_id=%s", o.editor),
			    o.view),
		1);
	assert_problem(
		req("GET", API "/controls?status=done", o.view, NULL, NULL),
		400);
	assert_problem(req("GET", API "/controls?needs_evidence=maybe", o.view,
			   NULL, NULL),
		       400);
	assert_problem(
		req("GET", API "/controls?sort=owner", o.view, NULL, NULL),
		400);

	/* change: If-Match, links replaced, JSON merge */
	assert_problem(req("PATCH", pathf(API "/controls/%s", id), o.ed,
			   "{\"status\": \"partial\"}", "If-Match: \"9\""),
		       412);
	assert_field(req("PATCH", pathf(API "/controls/%s", id), o.ed,
			 "{\"status\": \"finished\"}", NULL),
		     "status");
	assert_field(req("PATCH", pathf(API "/controls/%s", id), o.ed,
			 "{\"name\": null}", NULL),
		     "name");
	ck_assert_str_eq(db(&o.t,
			    "SELECT version FROM controls WHERE id ="
			    " '%s'",
			    id),
			 "1");
	snprintf(body, sizeof(body),
		 "{\"effectiveness\": \"partially_effective\", \"description\":"
		 " null, \"requirement_ids\": [\"%s\"]}",
		 a51);
	r = expect(req("PATCH", pathf(API "/controls/%s", id), o.ed, body,
		       if_match(etag)),
		   200);
	ck_assert_str_eq(r->etag, "\"2\"");
	ck_assert_str_eq(member(r, "effectiveness"), "partially_effective");
	ck_assert(json_is_null(json_object_get(r->json, "description")));
	ck_assert_str_eq(member(r, "name"), "Access reviews");
	reqs = json_object_get(r->json, "requirements");
	ck_assert_int_eq(json_array_size(reqs), 1);
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(reqs, 0), "ref")),
			 "A.5.1");
	t_reply_free(r);
	ck_assert_str_eq(db(&o.t,
			    "SELECT string_agg(requirement_id::text,"
			    " ',') FROM control_requirements WHERE"
			    " control_id = '%s'",
			    id),
			 a51);
	r = expect(req("PATCH", pathf(API "/controls/%s", id), o.ed,
		       "{\"owner_id\": null}", NULL),
		   200);
	ck_assert(json_is_null(json_object_get(r->json, "owner_id")));
	ck_assert_int_eq(
		json_array_size(json_object_get(r->json, "requirements")), 1);
	t_reply_free(r);
	assert_problem(req("PATCH",
			   API "/controls/00000000-0000-4000-8000-000000000000",
			   o.ed, "{\"name\": \"x\"}", NULL),
		       404);

	/* delete */
	assert_problem(req("DELETE", pathf(API "/controls/%s", id2), o.ed, NULL,
			   "If-Match: \"5\""),
		       412);
	assert_status(req("DELETE", pathf(API "/controls/%s", id2), o.ed, NULL,
			  "If-Match: \"1\""),
		      204);
	assert_problem(
		req("DELETE", pathf(API "/controls/%s", id2), o.ed, NULL, NULL),
		404);
	ck_assert_str_eq(db(&o.t,
			    "SELECT count(*) FROM activity_log WHERE"
			    " entity = 'controls' AND entity_id = '%s'",
			    id2),
			 "2");
}
END_TEST

/* ---- evidence ---- */

static struct reply *
upload(const char *token, const char *query, const char *type, const char *data,
       size_t len, const char *header)
{
	const char *const extra[] = {header, NULL};

	return t_http("POST", pathf(API "/evidence?%s", query), token, type,
		      data, len, header ? extra : NULL);
}

START_TEST(evidence_bytes_hash_and_validity)
{
	struct org o;
	struct reply *r;
	struct raw *x;
	char png[4096], sha[65], *id, *link, *ctl, *etag, *big, *state;
	unsigned char *b64 = NULL;
	size_t i, max = 10u * 1024 * 1024;

	org_create(&o, "evidence");
	ctl = create_control(&o, "{\"name\": \"Logging\", \"status\":"
				 " \"implemented\"}");

	/* a binary file: the PNG signature, then every byte value */
	memcpy(png, "\x89PNG\r\n\x1a\n", 8);
	for (i = 8; i < sizeof(png); i++)
		png[i] = (char)(i * 7 % 256);
	auth_sha256_hex(png, sizeof(png), sha);
	r = expect(upload(o.ed,
			  pathf("title=Log%%20sample&filename=r%%C3%%A9sum%%C3"
				"%%A9%%20%%22v2%%22.png&valid_from=2020-01-01"
				"&control_ids=%s",
				ctl),
			  "image/png", png, sizeof(png),
			  "Idempotency-Key: e-1"),
		   201);
	id = member(r, "id");
	ck_assert_str_eq(member(r, "kind"), "file");
	ck_assert_str_eq(member(r, "sha256"), sha);
	ck_assert_str_eq(member(r, "content_type"), "image/png");
	ck_assert_str_eq(member(r, "filename"),
			 "r\xc3\xa9sum\xc3\xa9 \"v2\".png");
	ck_assert_int_eq(number(r->json, "size"), (json_int_t)sizeof(png));
	ck_assert_str_eq(member(r, "state"), "valid");
	ck_assert_str_eq(member(r, "content_url"),
			 pathf(API "/evidence/%s/content", id));
	ck_assert_str_eq(json_string_value(json_array_get(
				 json_object_get(r->json, "control_ids"), 0)),
			 ctl);
	ck_assert_str_eq(r->location, pathf(API "/evidence/%s", id));
	t_reply_free(r);
	r = expect(upload(o.ed,
			  pathf("title=Log%%20sample&filename=r%%C3%%A9sum"
				"%%C3%%A9%%20%%22v2%%22.png&valid_from="
				"2020-01-01&control_ids=%s",
				ctl),
			  "image/png", png, sizeof(png),
			  "Idempotency-Key: e-1"),
		   201);
	ck_assert_str_eq(member(r, "id"), id);
	t_reply_free(r);
	ck_assert_str_eq(db(&o.t, "SELECT count(*) || ' ' ||"
				  " encode(sha256(content), 'hex') FROM"
				  " evidence_content GROUP BY content"),
			 pathf("1 %s", sha));

	/* the exact bytes come back, with their type, name and hash */
	r = expect(req("GET", pathf(API "/evidence/%s/content", id), o.aud,
		       NULL, NULL),
		   200);
	ck_assert_int_eq(r->len, sizeof(png));
	ck_assert(memcmp(r->body, png, sizeof(png)) == 0);
	ck_assert_str_eq(r->content_type, "image/png");
	t_reply_free(r);
	x = raw_get(pathf(API "/evidence/%s/content", id), o.view, NULL);
	ck_assert_int_eq(x->status, 200);
	ck_assert_str_eq(header(x, "Content-Disposition"),
			 "attachment; filename=\"r_sum_ _v2_.png\"; "
			 "filename*=UTF-8''r%C3%A9sum%C3%A9%20%22v2%22.png");
	ck_assert_str_eq(header(x, "X-Content-Type-Options"), "nosniff");
	ck_assert_str_eq(header(x, "ETag"), pathf("\"%s\"", sha));
	b64 = calloc(1, 64);
	{
		unsigned char md[32];
		unsigned int n = 0;

		EVP_Digest(png, sizeof(png), md, &n, EVP_sha256(), NULL);
		EVP_EncodeBlock(b64, md, 32);
	}
	ck_assert_str_eq(header(x, "Repr-Digest"),
			 pathf("sha-256=:%s:", (char *)b64));
	free(b64);
	ck_assert_msg(strstr(header(x, "Content-Security-Policy"), "sandbox"),
		      "no sandbox");
	raw_free(x);

	/* a link */
	r = expect(req("POST", API "/evidence", o.ed,
		       text_of(json_pack("{s:s, s:s, s:s, s:[s]}", "title",
					 "Wiki page", "url",
					 "https://wiki.example/logging",
					 "valid_until", "2099-12-31",
					 "control_ids", ctl)),
		       NULL),
		   201);
	link = member(r, "id");
	ck_assert_str_eq(member(r, "kind"), "link");
	ck_assert(json_is_null(json_object_get(r->json, "sha256")));
	ck_assert(json_is_null(json_object_get(r->json, "content_url")));
	t_reply_free(r);
	assert_problem(req("GET", pathf(API "/evidence/%s/content", link),
			   o.view, NULL, NULL),
		       404);

	/* refusals leave nothing behind */
	state = db(&o.t, "SELECT count(*) FROM evidence");
	assert_problem(upload(o.ed, "title=x", NULL, "abc", 3, NULL), 415);
	assert_problem(upload(o.ed, "title=x", "text/html", "<p>", 3, NULL),
		       415);
	assert_problem(upload(o.ed, "title=x", "application/x-msdownload", "MZ",
			      2, NULL),
		       415);
	assert_field(upload(o.ed, "title=x", "application/pdf", "not a pdf", 9,
			    NULL),
		     "body");
	assert_field(upload(o.ed, "title=x", "image/png", "", 0, NULL), "body");
	assert_field(
		upload(o.ed, "filename=a.txt", "text/plain", "abc", 3, NULL),
		"title");
	assert_field(upload(o.ed, "title=x&filename=..%2Fetc%2Fpasswd",
			    "text/plain", "abc", 3, NULL),
		     "filename");
	assert_field(upload(o.ed, "title=x&valid_from=2025-13-01", "text/plain",
			    "abc", 3, NULL),
		     "valid_from");
	assert_field(upload(o.ed,
			    "title=x&valid_from=2025-02-01&valid_until="
			    "2025-01-01",
			    "text/plain", "abc", 3, NULL),
		     "valid_until");
	assert_field(upload(o.ed, "title=x&control_ids=abc", "text/plain",
			    "abc", 3, NULL),
		     "control_ids[0]");
	assert_field(upload(o.ed,
			    "title=x&control_ids=00000000-0000-4000-8000-"
			    "000000000000",
			    "text/plain", "abc", 3, NULL),
		     "control_ids[0]");
	assert_problem(upload(o.ed, "title=x&shape=round", "text/plain", "abc",
			      3, NULL),
		       400);
	assert_problem(
		upload(o.ed, "title=x&title=y", "text/plain", "abc", 3, NULL),
		400);
	assert_problem(
		upload(o.ed, "title=%FF%FE", "text/plain", "abc", 3, NULL),
		400);
	assert_problem(t_http("POST", API "/evidence?title=x", o.ed,
			      "application/json",
			      "{\"title\": \"x\", \"url\": \"https://a.b\"}",
			      35, NULL),
		       400);
	assert_field(req("POST", API "/evidence", o.ed,
			 "{\"title\": \"x\", \"url\": \"javascript:alert(1)\"}",
			 NULL),
		     "url");
	assert_field(
		req("POST", API "/evidence", o.ed, "{\"title\": \"x\"}", NULL),
		"url");
	assert_field(req("POST", API "/evidence", o.ed,
			 "{\"title\": \"x\", \"url\": \"https://a.b\","
			 " \"sha256\": \"00\"}",
			 NULL),
		     "sha256");
	assert_problem(req("POST", API "/evidence", o.ed, "{\"title\": ", NULL),
		       400);
	ck_assert_str_eq(db(&o.t, "SELECT count(*) FROM evidence"), state);

	/* the size limit: 10 MiB is fine, one byte more is not */
	big = malloc(max + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, 'x', max + 1);
	assert_problem(
		upload(o.ed, "title=big", "text/plain", big, max + 1, NULL),
		413);
	r = expect(upload(o.ed, "title=big", "text/plain", big, max, NULL),
		   201);
	ck_assert_int_eq(number(r->json, "size"), (json_int_t)max);
	t_reply_free(r);
	free(big);

	/* validity: expired evidence leaves the control needing evidence */
	r = expect(
		req("GET", pathf(API "/controls/%s", ctl), o.view, NULL, NULL),
		200);
	ck_assert_str_eq(member(r, "evidence_status"), "valid");
	ck_assert(json_is_false(json_object_get(r->json, "needs_evidence")));
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "evidence")),
			 2);
	t_reply_free(r);
	r = expect(
		req("GET", pathf(API "/evidence/%s", id), o.view, NULL, NULL),
		200);
	etag = t_keep(strdup(r->etag));
	t_reply_free(r);
	assert_field(req("PATCH", pathf(API "/evidence/%s", id), o.ed,
			 "{\"url\": \"https://a.b\"}", NULL),
		     "url");
	assert_field(req("PATCH", pathf(API "/evidence/%s", link), o.ed,
			 "{\"filename\": \"a.txt\"}", NULL),
		     "filename");
	assert_field(req("PATCH", pathf(API "/evidence/%s", id), o.ed,
			 "{\"valid_until\": \"2019-12-31\"}", NULL),
		     "valid_until");
	assert_field(req("PATCH", pathf(API "/evidence/%s", id), o.ed,
			 "{\"content_type\": \"text/plain\"}", NULL),
		     "content_type");
	assert_problem(req("PATCH", pathf(API "/evidence/%s", id), o.ed,
			   "{\"title\": \"Renamed\"}", "If-Match: \"42\""),
		       412);
	r = expect(req("PATCH", pathf(API "/evidence/%s", id), o.ed,
		       "{\"valid_until\": \"2021-01-01\", \"title\":"
		       " \"Old logs\"}",
		       if_match(etag)),
		   200);
	ck_assert_str_eq(member(r, "state"), "expired");
	ck_assert_str_eq(r->etag, "\"2\"");
	t_reply_free(r);
	r = expect(req("PATCH", pathf(API "/evidence/%s", link), o.ed,
		       "{\"control_ids\": []}", NULL),
		   200);
	ck_assert_int_eq(
		json_array_size(json_object_get(r->json, "control_ids")), 0);
	t_reply_free(r);
	r = expect(
		req("GET", pathf(API "/controls/%s", ctl), o.view, NULL, NULL),
		200);
	ck_assert_str_eq(member(r, "evidence_status"), "expired");
	ck_assert(json_is_true(json_object_get(r->json, "needs_evidence")));
	t_reply_free(r);
	ck_assert_int_eq(
		count_query(API "/controls?needs_evidence=true", o.view), 1);
	ck_assert_int_eq(count_query(API "/evidence?state=expired", o.view), 1);
	ck_assert_int_eq(count_query(API "/evidence?kind=link", o.view), 1);
	ck_assert_int_eq(
		count_query(pathf(API "/evidence?control_id=%s", ctl), o.view),
		1);
	ck_assert_int_eq(count_query(API "/evidence?q=logs&limit=1", o.view),
			 1);
	assert_problem(
		req("GET", API "/evidence?state=old", o.view, NULL, NULL), 400);

	/* delete: the bytes go with the evidence */
	assert_problem(req("DELETE", pathf(API "/evidence/%s", id), o.ed, NULL,
			   if_match(etag)),
		       412);
	assert_status(
		req("DELETE", pathf(API "/evidence/%s", id), o.ed, NULL, NULL),
		204);
	assert_problem(req("GET", pathf(API "/evidence/%s/content", id), o.view,
			   NULL, NULL),
		       404);
	ck_assert_str_eq(db(&o.t,
			    "SELECT count(*) FROM evidence_content WHERE"
			    " evidence_id = '%s'",
			    id),
			 "0");
	assert_problem(
		req("GET", API "/evidence/xyz/content", o.view, NULL, NULL),
		404);
}
END_TEST

/* ---- the Statement of Applicability ---- */

static const json_t *
soa_item(const json_t *soa, const char *ref)
{
	const json_t *e;
	size_t i;

	json_array_foreach (json_object_get(soa, "items"), i, e) {
		if (strcmp(json_string_value(json_object_get(e, "ref")), ref) ==
		    0)
			return e;
	}
	ck_abort_msg("%s is not in the statement", ref);
	return NULL;
}

static const char *
item_str(const json_t *item, const char *key)
{
	const char *v = json_string_value(json_object_get(item, key));

	return v != NULL ? v : "(null)";
}

START_TEST(soa_derivation_and_versions)
{
	struct org o;
	struct reply *r;
	struct raw *x;
	const json_t *item;
	char *a515, *a516, *a74, *a51, *clause, *c1, *c2, *etag, *risk, *v1,
		*v2, *csv;
	const char *body_bad;
	char body[1024];

	org_create(&o, "soa");
	a51 = global_req(&o, ISO22, "A.5.1");
	a515 = global_req(&o, ISO22, "A.5.15");
	a516 = global_req(&o, ISO22, "A.5.16");
	a74 = global_req(&o, ISO22, "A.7.4");
	clause = global_req(&o, ISO22, "6.1.3");

	/* a fresh tenant: every Annex A control, none decided */
	r = expect(req("GET", API "/soa", o.aud, NULL, NULL), 200);
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")),
			 93);
	ck_assert_int_eq(
		number(json_object_get(r->json, "summary"), "undecided"), 93);
	ck_assert_str_eq(
		json_string_value(json_object_get(
			json_object_get(r->json, "framework"), "slug")),
		ISO22);
	item = soa_item(r->json, "A.5.15");
	ck_assert_str_eq(item_str(item, "applicability"), "undecided");
	ck_assert_str_eq(item_str(item, "implementation_status"),
			 "not_started");
	t_reply_free(r);
	ck_assert_int_eq(
		json_array_size(json_object_get(
			(r = expect(req("GET", API "/soa?framework=" ISO13,
					o.view, NULL, NULL),
				    200))
				->json,
			"items")),
		114);
	t_reply_free(r);
	assert_problem(
		req("GET", API "/soa?framework=nope", o.view, NULL, NULL), 404);

	/* decisions and their justification */
	assert_field(req("PUT", pathf(API "/soa/%s", a515), o.ed,
			 "{\"applicability\": \"included\"}", NULL),
		     "justification_reasons");
	assert_field(req("PUT", pathf(API "/soa/%s", a515), o.ed,
			 "{\"applicability\": \"included\","
			 " \"justification_reasons\": [\"whim\"]}",
			 NULL),
		     "justification_reasons");
	assert_field(req("PUT", pathf(API "/soa/%s", a515), o.ed,
			 "{\"applicability\": \"included\","
			 " \"justification_reasons\": [\"legal\"],"
			 " \"exclusion_justification\": \"x\"}",
			 NULL),
		     "exclusion_justification");
	assert_field(req("PUT", pathf(API "/soa/%s", a74), o.ed,
			 "{\"applicability\": \"excluded\"}", NULL),
		     "exclusion_justification");
	assert_field(req("PUT", pathf(API "/soa/%s", a74), o.ed,
			 "{\"applicability\": \"excluded\","
			 " \"exclusion_justification\": \"x\","
			 " \"justification_reasons\": [\"legal\"]}",
			 NULL),
		     "justification_reasons");
	assert_field(req("PUT", pathf(API "/soa/%s", a74), o.ed,
			 "{\"applicability\": \"maybe\"}", NULL),
		     "applicability");
	assert_field(req("PUT", pathf(API "/soa/%s", a74), o.ed,
			 "{\"applicability\": \"excluded\","
			 " \"exclusion_justification\": \"x\", \"ref\": \"A\"}",
			 NULL),
		     "ref");
	assert_problem(req("PUT", pathf(API "/soa/%s", clause), o.ed,
			   "{\"applicability\": \"excluded\","
			   " \"exclusion_justification\": \"x\"}",
			   NULL),
		       404);
	assert_problem(req("PUT", API "/soa/A.5.1", o.ed,
			   "{\"applicability\": \"excluded\","
			   " \"exclusion_justification\": \"x\"}",
			   NULL),
		       404);
	body_bad = "{\"applicability\": \"excluded\","
		   " \"exclusion_justification\": \"\xff\"}";
	assert_problem(t_http("PUT", pathf(API "/soa/%s", a74), o.ed,
			      "application/json", body_bad, strlen(body_bad),
			      NULL),
		       400);
	ck_assert_str_eq(db(&o.t, "SELECT count(*) FROM soa_entries"), "0");

	r = expect(req("PUT", pathf(API "/soa/%s", a515), o.ed,
		       "{\"applicability\": \"included\","
		       " \"justification_reasons\": [\"risk_treatment\","
		       " \"contractual\"], \"justification\":"
		       " \"=HYPERLINK(\\\"x\\\") <script>alert(1)</script>\"}",
		       NULL),
		   200);
	ck_assert_str_eq(r->etag, "\"1\"");
	ck_assert_str_eq(item_str(r->json, "applicability"), "included");
	ck_assert_str_eq(item_str(r->json, "framework"), ISO22);
	t_reply_free(r);
	assert_status(req("PUT", pathf(API "/soa/%s", a74), o.ed,
			  "{\"applicability\": \"excluded\","
			  " \"exclusion_justification\": \"No premises of our"
			  " own to monitor.\"}",
			  NULL),
		      200);
	assert_status(req("PUT", pathf(API "/soa/%s", a51), o.ed,
			  "{\"applicability\": \"included\","
			  " \"justification_reasons\": [\"best_practice\"]}",
			  NULL),
		      200);
	r = expect(req("GET", pathf(API "/soa/%s", a515), o.view, NULL, NULL),
		   200);
	etag = t_keep(strdup(r->etag));
	t_reply_free(r);
	assert_problem(req("PUT", pathf(API "/soa/%s", a515), o.ed,
			   "{\"applicability\": \"included\","
			   " \"justification_reasons\": [\"legal\"]}",
			   "If-Match: \"3\""),
		       412);
	assert_problem(req("PUT", pathf(API "/soa/%s", a516), o.ed,
			   "{\"applicability\": \"included\","
			   " \"justification_reasons\": [\"legal\"]}",
			   "If-Match: \"1\""),
		       412);
	ck_assert_str_eq(db(&o.t, "SELECT count(*) FROM soa_entries"), "3");

	/* the status follows the linked controls, the least advanced */
	snprintf(body, sizeof(body),
		 "{\"name\": \"IAM process\", \"status\": \"implemented\","
		 " \"requirement_ids\": [\"%s\", \"%s\"]}",
		 a515, a74);
	c1 = create_control(&o, body);
	snprintf(body, sizeof(body),
		 "{\"name\": \"Role catalogue\", \"status\": \"partial\","
		 " \"requirement_ids\": [\"%s\"]}",
		 a515);
	c2 = create_control(&o, body);
	r = expect(req("GET", API "/soa?framework=" ISO22, o.view, NULL, NULL),
		   200);
	item = soa_item(r->json, "A.5.15");
	ck_assert_str_eq(item_str(item, "implementation_status"), "partial");
	ck_assert_int_eq(json_array_size(json_object_get(item, "controls")), 2);
	ck_assert_str_eq(
		item_str(soa_item(r->json, "A.7.4"), "implementation_status"),
		"not_applicable");
	ck_assert_str_eq(
		item_str(soa_item(r->json, "A.5.1"), "implementation_status"),
		"not_started");
	ck_assert_int_eq(
		number(json_object_get(r->json, "summary"), "included"), 2);
	ck_assert_int_eq(
		number(json_object_get(r->json, "summary"), "excluded"), 1);
	t_reply_free(r);

	/* risks behind it: a treatment that relies on the control */
	risk = db(&o.t,
		  "WITH r AS (INSERT INTO risks (tenant_id, title)"
		  " VALUES (app_tenant_id(), 'Orphaned accounts')"
		  " RETURNING id), t AS (INSERT INTO risk_treatments"
		  " (tenant_id, risk_id, action) SELECT app_tenant_id(),"
		  " id, 'Review access' FROM r RETURNING id),"
		  " l AS (INSERT INTO risk_treatment_controls (tenant_id,"
		  " treatment_id, control_id) SELECT app_tenant_id(), id,"
		  " '%s' FROM t) SELECT id FROM r",
		  c2);
	r = expect(req("GET", pathf(API "/soa/%s", a515), o.view, NULL, NULL),
		   200);
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "risks")), 1);
	ck_assert_str_eq(
		item_str(json_array_get(json_object_get(r->json, "risks"), 0),
			 "id"),
		risk);
	t_reply_free(r);
	r = expect(
		req("GET", pathf(API "/controls/%s", c2), o.view, NULL, NULL),
		200);
	ck_assert_str_eq(
		item_str(json_array_get(json_object_get(r->json, "risks"), 0),
			 "title"),
		"Orphaned accounts");
	t_reply_free(r);
	assert_problem(
		req("DELETE", pathf(API "/controls/%s", c2), o.ed, NULL, NULL),
		409);

	/* an approved version is frozen */
	assert_field(req("POST", API "/soa/versions", o.admin,
			 "{\"framework\": \"nope\"}", NULL),
		     "framework");
	assert_field(req("POST", API "/soa/versions", o.admin, "{\"note\": 5}",
			 NULL),
		     "note");
	r = expect(req("POST", API "/soa/versions", o.admin,
		       "{\"note\": \"Approved at the management review\"}",
		       "Idempotency-Key: v-1"),
		   201);
	ck_assert_int_eq(number(r->json, "number"), 1);
	ck_assert_str_eq(r->location, API "/soa/versions/1");
	ck_assert_str_eq(member(r, "approved_by"), o.t.admin_id);
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")),
			 93);
	v1 = text_of(json_incref(json_object_get(r->json, "items")));
	t_reply_free(r);
	assert_status(req("POST", API "/soa/versions", o.admin,
			  "{\"note\": \"Approved at the management review\"}",
			  "Idempotency-Key: v-1"),
		      201);
	ck_assert_str_eq(db(&o.t, "SELECT count(*) FROM soa_versions"), "1");

	/* later edits change the statement, not the version */
	assert_status(req("PUT", pathf(API "/soa/%s", a515), o.ed,
			  "{\"applicability\": \"excluded\","
			  " \"exclusion_justification\": \"Outsourced\"}",
			  if_match(etag)),
		      200);
	assert_status(req("PATCH", pathf(API "/controls/%s", c2), o.ed,
			  "{\"status\": \"implemented\"}", NULL),
		      200);
	assert_status(req("PATCH", pathf(API "/controls/%s", c1), o.ed,
			  "{\"status\": \"planned\"}", NULL),
		      200);
	r = expect(req("GET", API "/soa/versions/1", o.aud, NULL, NULL), 200);
	ck_assert_str_eq(
		text_of(json_incref(json_object_get(r->json, "items"))), v1);
	ck_assert_str_eq(item_str(soa_item(r->json, "A.5.15"), "applicability"),
			 "included");
	t_reply_free(r);
	r = expect(req("POST", API "/soa/versions", o.admin,
		       "{\"framework\": \"" ISO22 "\"}", NULL),
		   201);
	ck_assert_int_eq(number(r->json, "number"), 2);
	v2 = text_of(json_incref(json_object_get(r->json, "items")));
	ck_assert_str_ne(v1, v2);
	t_reply_free(r);

	/* what changed between them */
	r = expect(req("GET", API "/soa/versions/1/diff?against=2", o.view,
		       NULL, NULL),
		   200);
	ck_assert_int_eq(number(r->json, "from"), 1);
	ck_assert_int_eq(number(r->json, "to"), 2);
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "changes")),
			 1);
	item = json_array_get(json_object_get(r->json, "changes"), 0);
	ck_assert_str_eq(item_str(item, "ref"), "A.5.15");
	ck_assert_str_eq(
		item_str(json_object_get(item, "from"), "applicability"),
		"included");
	ck_assert_str_eq(
		item_str(json_object_get(item, "to"), "implementation_status"),
		"not_applicable");
	t_reply_free(r);
	r = expect(req("GET", API "/soa/versions/2/diff", o.view, NULL, NULL),
		   200);
	ck_assert(json_is_null(json_object_get(r->json, "to")));
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "changes")),
			 0);
	t_reply_free(r);
	assert_problem(req("GET", API "/soa/versions/1/diff?against=soon",
			   o.view, NULL, NULL),
		       400);
	assert_problem(
		req("GET", API "/soa/versions/9/diff", o.view, NULL, NULL),
		404);
	assert_problem(req("GET", API "/soa/versions/0", o.view, NULL, NULL),
		       404);
	assert_problem(
		req("GET", API "/soa/versions/latest", o.view, NULL, NULL),
		404);
	ck_assert_int_eq(count_query(API "/soa/versions?limit=1", o.view), 2);
	ck_assert_int_eq(
		count_query(API "/soa/versions?framework=" ISO13, o.view), 0);

	/* a version of another framework cannot be compared */
	assert_status(req("POST", API "/soa/versions", o.admin,
			  "{\"framework\": \"" ISO13 "\"}", NULL),
		      201);
	assert_problem(req("GET", API "/soa/versions/2/diff?against=3", o.view,
			   NULL, NULL),
		       409);

	/* exports: CSV with formula cells neutralised, HTML escaped */
	r = expect(req("GET", API "/soa/export?format=csv&version=1", o.aud,
		       NULL, NULL),
		   200);
	ck_assert_str_eq(r->content_type, "text/csv; charset=utf-8");
	csv = t_keep(strdup(body_of(r)));
	t_reply_free(r);
	ck_assert_msg(strncmp(csv, "ref,title,theme,applicability,", 30) == 0,
		      "%.100s", csv);
	ck_assert_msg(strstr(csv, "A.5.15,Access control,organizational,"
				  "included,risk_treatment; contractual,"
				  "\"'=HYPERLINK(\"\"x\"\") <script>") != NULL,
		      "%.2000s", csv);
	ck_assert_msg(strstr(csv, "\r\nA.7.4,") != NULL, "CRLF records");
	r = expect(req("GET", API "/soa/export", o.view, NULL, NULL), 200);
	ck_assert_msg(strstr(body_of(r), "A.5.15,Access control,organizational,"
					 "excluded,,,Outsourced,not_applicable,"
					 "IAM process; Role catalogue,"
					 "Orphaned accounts") != NULL,
		      "%.3000s", body_of(r));
	t_reply_free(r);
	x = raw_get(API "/soa/export?version=1", o.aud, "text/html");
	ck_assert_int_eq(x->status, 200);
	ck_assert_msg(strncmp(header(x, "Content-Type"), "text/html", 9) == 0,
		      "%s", x->headers);
	ck_assert_msg(strstr(x->body,
			     "&lt;script&gt;alert(1)&lt;/script&gt;") != NULL,
		      "not escaped");
	ck_assert_msg(strstr(x->body, "<script") == NULL, "a script");
	ck_assert_msg(strstr(x->body, "Version 1, approved by") != NULL,
		      "no approval");
	ck_assert_msg(strstr(header(x, "Content-Security-Policy"),
			     "default-src 'none'") != NULL,
		      "no CSP");
	raw_free(x);
	r = expect(req("GET", API "/soa/export?format=html&framework=" ISO13,
		       o.view, NULL, NULL),
		   200);
	ck_assert_msg(strstr(body_of(r), "A.18.2.3") != NULL, "2013 page");
	t_reply_free(r);
	assert_problem(
		req("GET", API "/soa/export?format=pdf", o.view, NULL, NULL),
		400);
	assert_problem(req("GET", API "/soa/export?version=1&framework=" ISO22,
			   o.view, NULL, NULL),
		       400);
	assert_problem(
		req("GET", API "/soa/export?version=99", o.view, NULL, NULL),
		404);
}
END_TEST

/* ---- tenants ---- */

START_TEST(tenants_stay_apart)
{
	struct org a, b;
	struct reply *r;
	json_t *items;
	char *b_ctl, *b_ev, *b_req, *b_state, *a_ctl;
	char body[512];

	org_create(&a, "apart-a");
	org_create(&b, "apart-b");
	assert_status(req("POST", API "/frameworks", b.ed,
			  CUSTOM_BODY("b-only"), NULL),
		      201);
	b_req = db(&b.t, "SELECT id FROM requirements WHERE tenant_id ="
			 " app_tenant_id() AND ref = 'S-1'");
	snprintf(body, sizeof(body),
		 "{\"name\": \"B control\", \"requirement_ids\": [\"%s\"]}",
		 b_req);
	b_ctl = create_control(&b, body);
	r = expect(upload(b.ed, pathf("title=B%%20file&control_ids=%s", b_ctl),
			  "text/plain", "secret of B", 11, NULL),
		   201);
	b_ev = member(r, "id");
	t_reply_free(r);
	assert_status(req("PUT", pathf(API "/soa/%s", b_req), b.ed,
			  "{\"applicability\": \"included\","
			  " \"justification_reasons\": [\"business\"]}",
			  NULL),
		      200);
	assert_status(req("POST", API "/soa/versions", b.admin,
			  "{\"framework\": \"b-only\"}", NULL),
		      201);
	b_state = db(&b.t,
		     "SELECT (SELECT string_agg(id || ':' || version, ',')"
		     " FROM controls) || '|' || (SELECT string_agg(id || ':'"
		     " || version, ',') FROM evidence) || '|' || (SELECT"
		     " count(*) FROM frameworks WHERE tenant_id ="
		     " app_tenant_id()) || '|' || (SELECT string_agg(version"
		     "::text, ',') FROM soa_entries) || '|' || (SELECT count(*)"
		     " FROM control_requirements) || '|' || (SELECT count(*)"
		     " FROM evidence_controls)");

	/* B's ids as path ids: 404 */
	assert_problem(req("GET", pathf(API "/controls/%s", b_ctl), a.admin,
			   NULL, NULL),
		       404);
	assert_problem(req("PATCH", pathf(API "/controls/%s", b_ctl), a.admin,
			   "{\"name\": \"taken\"}", NULL),
		       404);
	assert_problem(req("DELETE", pathf(API "/controls/%s", b_ctl), a.admin,
			   NULL, NULL),
		       404);
	assert_problem(req("GET", pathf(API "/evidence/%s", b_ev), a.admin,
			   NULL, NULL),
		       404);
	assert_problem(req("GET", pathf(API "/evidence/%s/content", b_ev),
			   a.admin, NULL, NULL),
		       404);
	assert_problem(req("PATCH", pathf(API "/evidence/%s", b_ev), a.admin,
			   "{\"title\": \"taken\"}", NULL),
		       404);
	assert_problem(req("DELETE", pathf(API "/evidence/%s", b_ev), a.admin,
			   NULL, NULL),
		       404);
	assert_problem(
		req("GET", API "/frameworks/b-only", a.admin, NULL, NULL), 404);
	assert_problem(req("GET", API "/frameworks/b-only/requirements",
			   a.admin, NULL, NULL),
		       404);
	assert_problem(req("GET", API "/frameworks/b-only/mappings", a.admin,
			   NULL, NULL),
		       404);
	assert_problem(req("GET", API "/frameworks/b-only/export", a.admin,
			   NULL, NULL),
		       404);
	assert_problem(
		req("DELETE", API "/frameworks/b-only", a.admin, NULL, NULL),
		404);
	assert_problem(
		req("GET", pathf(API "/soa/%s", b_req), a.admin, NULL, NULL),
		404);
	assert_problem(req("PUT", pathf(API "/soa/%s", b_req), a.admin,
			   "{\"applicability\": \"excluded\","
			   " \"exclusion_justification\": \"x\"}",
			   NULL),
		       404);
	assert_problem(
		req("GET", API "/soa?framework=b-only", a.admin, NULL, NULL),
		404);
	assert_problem(req("GET", API "/soa/versions/1", a.admin, NULL, NULL),
		       404);
	assert_problem(
		req("GET", API "/soa/versions/1/diff", a.admin, NULL, NULL),
		404);
	assert_problem(
		req("GET", API "/soa/export?version=1", a.admin, NULL, NULL),
		404);

	/* B's ids inside A's bodies: 422, nothing written */
	assert_field(req("POST", API "/controls", a.ed,
			 text_of(json_pack("{s:s, s:[s]}", "name", "x",
					   "requirement_ids", b_req)),
			 NULL),
		     "requirement_ids[0]");
	assert_field(req("POST", API "/controls", a.ed,
			 text_of(json_pack("{s:s, s:s}", "name", "x",
					   "owner_id", b.editor)),
			 NULL),
		     "owner_id");
	a_ctl = create_control(&a, "{\"name\": \"A control\"}");
	assert_field(
		req("PATCH", pathf(API "/controls/%s", a_ctl), a.ed,
		    text_of(json_pack("{s:[s]}", "requirement_ids", b_req)),
		    NULL),
		"requirement_ids[0]");
	assert_field(req("POST", API "/evidence", a.ed,
			 text_of(json_pack("{s:s, s:s, s:[s]}", "title", "x",
					   "url", "https://a.example",
					   "control_ids", b_ctl)),
			 NULL),
		     "control_ids[0]");
	assert_field(upload(a.ed, pathf("title=x&control_ids=%s", b_ctl),
			    "text/plain", "abc", 3, NULL),
		     "control_ids[0]");
	assert_field(req("POST", API "/soa/versions", a.admin,
			 "{\"framework\": \"b-only\"}", NULL),
		     "framework");
	ck_assert_str_eq(db(&a.t, "SELECT count(*) FROM control_requirements"),
			 "0");
	ck_assert_str_eq(db(&a.t, "SELECT count(*) FROM evidence"), "0");

	/* A may use B's slug for its own framework */
	assert_status(req("POST", API "/frameworks", a.ed,
			  CUSTOM_BODY("b-only"), NULL),
		      201);

	/* lists never show B's rows */
	items = all_items(API "/controls", a.view);
	ck_assert(!has_id(items, b_ctl));
	json_decref(items);
	items = all_items(API "/evidence", a.view);
	ck_assert_int_eq(json_array_size(items), 0);
	json_decref(items);
	items = all_items(API "/frameworks", a.view);
	ck_assert_int_eq(json_array_size(items), 3);
	json_decref(items);
	ck_assert_int_eq(count_query(API "/soa/versions", a.view), 0);
	ck_assert_int_eq(
		count_query(pathf(API "/controls?requirement_id=%s", b_req),
			    a.view),
		0);

	/* and B is as it was */
	ck_assert_str_eq(
		db(&b.t,
		   "SELECT (SELECT string_agg(id || ':' || version, ',')"
		   " FROM controls) || '|' || (SELECT string_agg(id || ':'"
		   " || version, ',') FROM evidence) || '|' || (SELECT"
		   " count(*) FROM frameworks WHERE tenant_id ="
		   " app_tenant_id()) || '|' || (SELECT string_agg(version"
		   "::text, ',') FROM soa_entries) || '|' || (SELECT count(*)"
		   " FROM control_requirements) || '|' || (SELECT count(*)"
		   " FROM evidence_controls)"),
		b_state);
}
END_TEST

/* ---- the role matrix ---- */

enum { R_ADMIN = 1, R_EDITOR = 2, R_VIEWER = 4, R_AUDITOR = 8 };
#define R_READ (R_ADMIN | R_EDITOR | R_VIEWER | R_AUDITOR)
#define R_WRITE (R_ADMIN | R_EDITOR)

enum matrix_body {
	B_NONE,
	B_FRAMEWORK,
	B_OSCAL,
	B_CONTROL,
	B_PATCH,
	B_LINK,
	B_FILE,
	B_SOA,
	B_VERSION,
};

/*
 * Every route of isms-controls (services/controls/main.c) with the roles
 * the API documents for it. %C a control id, %E an evidence id, %R a
 * requirement id, %F the framework to delete, %S an OSCAL slug.
 */
static const struct {
	const char *method;
	const char *path;
	enum matrix_body body;
	unsigned roles;
} matrix[] = {
	{"GET", "/frameworks", B_NONE, R_READ},
	{"POST", "/frameworks", B_FRAMEWORK, R_WRITE},
	{"POST", "/frameworks/import?slug=%S", B_OSCAL, R_WRITE},
	{"GET", "/frameworks/" ISO22, B_NONE, R_READ},
	{"DELETE", "/frameworks/%F", B_NONE, R_WRITE},
	{"GET", "/frameworks/" ISO22 "/requirements", B_NONE, R_READ},
	{"GET", "/frameworks/" ISO13 "/mappings", B_NONE, R_READ},
	{"GET", "/frameworks/" ISO22 "/export", B_NONE, R_READ},
	{"GET", "/controls", B_NONE, R_READ},
	{"POST", "/controls", B_CONTROL, R_WRITE},
	{"GET", "/controls/%C", B_NONE, R_READ},
	{"PATCH", "/controls/%C", B_PATCH, R_WRITE},
	{"DELETE", "/controls/%D", B_NONE, R_WRITE},
	{"GET", "/evidence", B_NONE, R_READ},
	{"POST", "/evidence", B_LINK, R_WRITE},
	{"POST", "/evidence?title=matrix", B_FILE, R_WRITE},
	{"GET", "/evidence/%E", B_NONE, R_READ},
	{"PATCH", "/evidence/%E", B_PATCH, R_WRITE},
	{"GET", "/evidence/%E/content", B_NONE, R_READ},
	{"DELETE", "/evidence/%X", B_NONE, R_WRITE},
	{"GET", "/soa", B_NONE, R_READ},
	{"GET", "/soa/export", B_NONE, R_READ},
	{"GET", "/soa/versions", B_NONE, R_READ},
	{"POST", "/soa/versions", B_VERSION, R_ADMIN},
	{"GET", "/soa/versions/1", B_NONE, R_READ},
	{"GET", "/soa/versions/1/diff", B_NONE, R_READ},
	{"GET", "/soa/%R", B_NONE, R_READ},
	{"PUT", "/soa/%R", B_SOA, R_WRITE},
};

struct matrix_ids {
	const char *control, *doomed_control, *evidence, *doomed_evidence;
	const char *requirement, *doomed_framework, *role;
};

/* The path with its placeholders filled in. */
static char *
matrix_path(const char *pattern, const struct matrix_ids *m, int k)
{
	char out[512];
	const char *p, *v;
	size_t n = 0;

	for (p = pattern; *p != '\0' && n < sizeof(out) - 80; p++) {
		if (*p != '%') {
			out[n++] = *p;
			continue;
		}
		switch (*++p) {
		case 'C':
			v = m->control;
			break;
		case 'D':
			v = m->doomed_control;
			break;
		case 'E':
			v = m->evidence;
			break;
		case 'X':
			v = m->doomed_evidence;
			break;
		case 'R':
			v = m->requirement;
			break;
		case 'F':
			v = m->doomed_framework;
			break;
		default:
			v = pathf("matrix-%s-%d", m->role, k);
		}
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s", v);
	}
	out[n] = '\0';
	return pathf(API "%s", out);
}

static struct reply *
matrix_request(int i, const struct matrix_ids *m, const char *token, int k)
{
	const char *path = matrix_path(matrix[i].path, m, k);
	const char *body = NULL, *type = "application/json";
	size_t len;

	switch (matrix[i].body) {
	case B_NONE:
		return req(matrix[i].method, path, token, NULL, NULL);
	case B_FRAMEWORK:
		body = pathf("{\"slug\": \"matrix-fw-%s\", \"name\": \"M\","
			     " \"requirements\": [{\"ref\": \"1\", \"title\":"
			     " \"One\"}]}",
			     m->role);
		break;
	case B_OSCAL:
		body = fixture(&len);
		return t_http("POST", path, token, type, body, len, NULL);
	case B_CONTROL:
		body = pathf("{\"name\": \"matrix %s\"}", m->role);
		break;
	case B_PATCH:
		body = "{\"description\": \"matrix\"}";
		break;
	case B_LINK:
		body = pathf("{\"title\": \"matrix %s\", \"url\":"
			     " \"https://matrix.example\"}",
			     m->role);
		break;
	case B_FILE:
		return t_http("POST", path, token, "text/plain", "matrix", 6,
			      NULL);
	case B_SOA:
		body = "{\"applicability\": \"included\","
		       " \"justification_reasons\": [\"business\"]}";
		break;
	case B_VERSION:
		body = "{\"note\": \"matrix\"}";
		break;
	}
	return req(matrix[i].method, path, token, body, NULL);
}

#define MATRIX_STATE                                                           \
	"SELECT (SELECT string_agg(id || ':' || version, ',' ORDER BY id)"     \
	" FROM controls) || '|' || (SELECT string_agg(id || ':' || version,"   \
	" ',' ORDER BY id) FROM evidence) || '|' || (SELECT count(*) FROM"     \
	" frameworks WHERE tenant_id = app_tenant_id()) || '|' || (SELECT"     \
	" count(*) FROM soa_entries) || '|' || (SELECT count(*) FROM"          \
	" soa_versions)"

START_TEST(every_route_admits_exactly_its_roles)
{
	static const struct {
		const char *name;
		unsigned bit;
	} roles[] = {
		/* the read-only roles first: nothing they try may land */
		{"viewer", R_VIEWER},
		{"auditor", R_AUDITOR},
		{"editor", R_EDITOR},
		{"admin", R_ADMIN},
	};
	struct org o;
	struct matrix_ids m;
	struct reply *r;
	char fails[8192] = "", *state, *after;
	const char *tokens[4];
	size_t i, k;
	bool allowed;

	org_create(&o, "ctlmatrix");
	tokens[0] = o.view;
	tokens[1] = o.aud;
	tokens[2] = o.ed;
	tokens[3] = o.admin;
	memset(&m, 0, sizeof(m));
	m.control = create_control(&o, "{\"name\": \"matrix target\"}");
	m.requirement = global_req(&o, ISO22, "A.8.1");
	r = expect(req("POST", API "/evidence", o.ed,
		       "{\"title\": \"matrix target\", \"url\":"
		       " \"https://matrix.example/t\"}",
		       NULL),
		   201);
	m.evidence = member(r, "id");
	t_reply_free(r);
	r = expect(upload(o.ed, "title=matrix%20file", "text/plain", "bytes", 5,
			  NULL),
		   201);
	t_reply_free(r);
	assert_status(req("POST", API "/soa/versions", o.admin, "{}", NULL),
		      201);

	for (k = 0; k < 4; k++) {
		/* a fresh victim for each role's deletes */
		m.role = roles[k].name;
		m.doomed_control = create_control(
			&o, pathf("{\"name\": \"doomed %s\"}", roles[k].name));
		r = expect(req("POST", API "/evidence", o.ed,
			       pathf("{\"title\": \"doomed %s\", \"url\":"
				     " \"https://matrix.example/d\"}",
				     roles[k].name),
			       NULL),
			   201);
		m.doomed_evidence = member(r, "id");
		t_reply_free(r);
		m.doomed_framework = pathf("doomed-%s", roles[k].name);
		assert_status(req("POST", API "/frameworks", o.ed,
				  pathf("{\"slug\": \"%s\", \"name\": \"D\","
					" \"requirements\": [{\"ref\": \"1\","
					" \"title\": \"One\"}]}",
					m.doomed_framework),
				  NULL),
			      201);
		state = db(&o.t, MATRIX_STATE);
		for (i = 0; i < sizeof(matrix) / sizeof(matrix[0]); i++) {
			r = matrix_request((int)i, &m, tokens[k], (int)i);
			allowed = (matrix[i].roles & roles[k].bit) != 0;
			if (allowed ? (r->status == 401 || r->status == 403 ||
				       r->status >= 500)
				    : !t_is_problem(r, 403))
				snprintf(fails + strlen(fails),
					 sizeof(fails) - strlen(fails),
					 "%s %s %s: expected %s, got %ld "
					 "%.160s\n",
					 roles[k].name, matrix[i].method,
					 matrix[i].path,
					 allowed ? "allowed" : "403", r->status,
					 body_of(r));
			t_reply_free(r);
		}
		after = db(&o.t, MATRIX_STATE);
		if ((roles[k].bit & (R_VIEWER | R_AUDITOR)) &&
		    strcmp(after, state) != 0)
			snprintf(fails + strlen(fails),
				 sizeof(fails) - strlen(fails),
				 "%s changed the database:\n  %s\n  %s\n",
				 roles[k].name, state, after);
		if ((roles[k].bit & (R_EDITOR | R_ADMIN)) &&
		    strcmp(after, state) == 0)
			snprintf(fails + strlen(fails),
				 sizeof(fails) - strlen(fails),
				 "%s changed nothing\n", roles[k].name);
	}
	/* the writes that were allowed landed */
	ck_assert_str_eq(db(&o.t, "SELECT string_agg(name, ',' ORDER BY name)"
				  " FROM controls WHERE name LIKE 'matrix %%'"),
			 "matrix admin,matrix editor,matrix target");
	ck_assert_str_eq(db(&o.t, "SELECT count(*) FROM controls WHERE name"
				  " LIKE 'doomed %%'"),
			 "2");
	ck_assert_str_eq(db(&o.t, "SELECT count(*) FROM soa_versions"), "2");
	/* every auditor request is on record, the refused ones too */
	ck_assert_str_eq(db(&o.t,
			    "SELECT count(*) FROM activity_log WHERE"
			    " action = 'read' AND actor_id = '%s'",
			    o.auditor),
			 pathf("%zu", sizeof(matrix) / sizeof(matrix[0])));
	ck_assert_msg(fails[0] == '\0', "role matrix:\n%s", fails);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("controls");
	TCase *tc = tcase_create("controls");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, catalogs_match_the_reference);
	tcase_add_test(tc, frameworks_from_json);
	tcase_add_test(tc, oscal_round_trip);
	tcase_add_test(tc, large_oscal_catalog_in_one_request);
	tcase_add_test(tc, controls_lifecycle);
	tcase_add_test(tc, evidence_bytes_hash_and_validity);
	tcase_add_test(tc, soa_derivation_and_versions);
	tcase_add_test(tc, tenants_stay_apart);
	tcase_add_test(tc, every_route_admits_exactly_its_roles);
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
