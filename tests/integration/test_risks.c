/*
 * The risks service through the real stack: the tenant's risk matrix
 * (defaults, validation, re-evaluation of every risk, refusal of a change
 * that orphans values in use), the threat and vulnerability catalogs
 * (global read-only entries and a tenant's own), risks (scores and levels
 * on non-default matrices, status transitions, filters, keyset paging,
 * If-Match, Idempotency-Key), treatment plans, acceptance with four eyes
 * and expiry, the heat map as JSON and SVG, tenant isolation (the
 * database itself refuses another tenant's asset) and the role of every
 * route. Every refusal must be a problem document and leave the database
 * as it was.
 */
#include <check.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"

#define RISKS "/api/v1/risks"
#define MATRIX "/api/v1/risk-matrix"
#define THREATS "/api/v1/threats"
#define VULNS "/api/v1/vulnerabilities"
#define HEATMAP "/api/v1/risks/heatmap"
#define NO_SUCH_ID "00000000-0000-4000-8000-000000000000"

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

static const char *
body_of(const struct reply *r)
{
	return r->body != NULL ? r->body : "";
}

/* The JSON text of j, which it takes; kept until exit. */
static char *
text(json_t *j)
{
	char *s;

	ck_assert_ptr_nonnull(j);
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	ck_assert_ptr_nonnull(s);
	return t_keep(s);
}

static struct reply *
req(const char *method, const char *path, const char *tok, const char *body)
{
	return t_json(method, path, tok, body);
}

/* With one extra header ("If-Match: ...", "Idempotency-Key: ..."). */
static struct reply *
req_h(const char *method, const char *path, const char *tok, const char *body,
      const char *header)
{
	const char *extra[2] = {header, NULL};

	return t_http(method, path, tok, body ? "application/json" : NULL, body,
		      body ? strlen(body) : 0, extra);
}

/* Frees r after checking its status; errors must be problem documents. */
static void
expect(struct reply *r, long status)
{
	ck_assert_msg(r->status == status, "expected %ld, got %ld: %.600s",
		      status, r->status, body_of(r));
	if (status >= 400)
		ck_assert_msg(t_is_problem(r, status), "not a problem: %.300s",
			      body_of(r));
	t_reply_free(r);
}

static bool
names_field(const struct reply *r, const char *field)
{
	const json_t *e;
	size_t i;

	json_array_foreach (json_object_get(r->json, "errors"), i, e) {
		if (strcmp(json_string_value(json_object_get(e, "field")),
			   field) == 0)
			return true;
	}
	return false;
}

/* A 422 whose errors name field; frees r. */
static void
expect_invalid(struct reply *r, const char *field, const char *what)
{
	ck_assert_msg(t_is_problem(r, 422), "%s: expected 422, got %ld: %.500s",
		      what, r->status, body_of(r));
	ck_assert_msg(names_field(r, field),
		      "%s: errors do not name %s: %.500s", what, field,
		      body_of(r));
	t_reply_free(r);
}

static const char *
str(const struct reply *r, const char *key)
{
	return json_string_value(json_object_get(r->json, key));
}

/* A string member of the reply's body, kept until exit. */
static char *
member(const struct reply *r, const char *key)
{
	const char *v = str(r, key);

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

/* The name of a level object member ("current_level": {"name": ...}). */
static const char *
level_of(const json_t *risk, const char *key)
{
	return json_string_value(
		json_object_get(json_object_get(risk, key), "name"));
}

/* The query's single value as owner, in t's context, kept until exit. */
static char *db(const struct t_tenant *t, const char *f, ...)
	__attribute__((format(printf, 2, 3)));

static char *
db(const struct t_tenant *t, const char *f, ...)
{
	char sql[4096];
	va_list ap;

	va_start(ap, f);
	vsnprintf(sql, sizeof(sql), f, ap);
	va_end(ap);
	return t_keep(strdup(t_db_value(t->id, sql)));
}

/*
 * Runs sql as owner in t's context, expecting it to fail; returns the
 * SQLSTATE (kept). The transaction is rolled back.
 */
static char *
db_refused(const struct t_tenant *t, const char *sql)
{
	PGconn *c = t_db();
	const char *v[1] = {t->id};
	PGresult *res;
	char *state;

	PQclear(PQexec(c, "BEGIN"));
	PQclear(PQexecParams(c, "SELECT set_config('app.tenant_id', $1, true)",
			     1, NULL, v, NULL, NULL, 0));
	res = PQexec(c, sql);
	state = t_keep(
		strdup(PQresultErrorField(res, PG_DIAG_SQLSTATE)
			       ? PQresultErrorField(res, PG_DIAG_SQLSTATE)
			       : "none"));
	PQclear(res);
	PQclear(PQexec(c, "ROLLBACK"));
	return state;
}

/* A date offset days from today (UTC), kept. */
static char *
day(long offset)
{
	time_t now = time(NULL) + offset * 86400;
	struct tm tm;
	char *s = malloc(16);

	ck_assert_ptr_nonnull(s);
	gmtime_r(&now, &tm);
	strftime(s, 16, "%Y-%m-%d", &tm);
	return t_keep(s);
}

/* RFC 3339 UTC, offset seconds from now, kept. */
static char *
timestamp(long offset)
{
	time_t now = time(NULL) + offset;
	struct tm tm;
	char *s = malloc(32);

	ck_assert_ptr_nonnull(s);
	gmtime_r(&now, &tm);
	strftime(s, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return t_keep(s);
}

/* A tenant with a member of each role and their tokens. */
struct world {
	struct t_tenant t;
	char editor[37], viewer[37], auditor[37], admin2[37];
	const char *admin_tok, *admin2_tok, *editor_tok, *viewer_tok,
		*auditor_tok;
};

static void
world(struct world *w, const char *prefix)
{
	t_tenant_create(&w->t, prefix);
	t_member_create(&w->t, "editor", w->editor);
	t_member_create(&w->t, "viewer", w->viewer);
	t_member_create(&w->t, "auditor", w->auditor);
	t_member_create(&w->t, "admin", w->admin2);
	w->admin_tok = t_token(w->t.id, w->t.admin_id, "admin");
	w->admin2_tok = t_token(w->t.id, w->admin2, "admin");
	w->editor_tok = t_token(w->t.id, w->editor, "editor");
	w->viewer_tok = t_token(w->t.id, w->viewer, "viewer");
	w->auditor_tok = t_token(w->t.id, w->auditor, "auditor");
}

/* An asset of the tenant, written directly (the assets service's own). */
static char *
asset(const struct world *w, const char *name)
{
	return db(&w->t,
		  "INSERT INTO assets (tenant_id, name, type) VALUES "
		  "(app_tenant_id(), '%s', 'hardware') RETURNING id",
		  name);
}

/* Creates a risk from body (taken); returns its id, kept. */
static char *
risk(const struct world *w, json_t *body)
{
	struct reply *r = req("POST", RISKS, w->editor_tok, text(body));
	char *id;

	ck_assert_msg(r->status == 201, "create risk: %ld %.600s", r->status,
		      body_of(r));
	id = member(r, "id");
	t_reply_free(r);
	return id;
}

/* A risk over one asset assessed at (li, ii) inherent and (lc, ic) now. */
static char *
assessed(const struct world *w, const char *title, const char *asset_id, int li,
	 int ii, int lc, int ic)
{
	return risk(w, json_pack("{s:s, s:[s], s:i, s:i, s:i, s:i, s:s}",
				 "title", title, "asset_ids", asset_id,
				 "inherent_likelihood", li, "inherent_impact",
				 ii, "current_likelihood", lc, "current_impact",
				 ic, "status", "assessed"));
}

static struct reply *
get_ok(const char *path, const char *tok)
{
	struct reply *r = req("GET", path, tok, NULL);

	ck_assert_msg(r->status == 200, "GET %s: %ld %.400s", path, r->status,
		      body_of(r));
	return r;
}

static struct reply *
patch_ok(const char *path, const char *tok, const char *body)
{
	struct reply *r = req("PATCH", path, tok, body);

	ck_assert_msg(r->status == 200, "PATCH %s %s: %ld %.600s", path, body,
		      r->status, body_of(r));
	return r;
}

static bool
items_have(const struct reply *r, const char *id)
{
	const json_t *item;
	size_t i;

	json_array_foreach (json_object_get(r->json, "items"), i, item) {
		if (strcmp(json_string_value(json_object_get(item, "id")),
			   id) == 0)
			return true;
	}
	return false;
}

/* The list at path holds exactly the n ids given (any order). */
static void
expect_ids(const char *path, const char *tok, size_t n, ...)
{
	struct reply *r = get_ok(path, tok);
	size_t got = json_array_size(json_object_get(r->json, "items")), i;
	va_list ap;
	const char *id;

	ck_assert_msg(got == n, "%s: %zu items, expected %zu: %.600s", path,
		      got, n, body_of(r));
	va_start(ap, n);
	for (i = 0; i < n; i++) {
		id = va_arg(ap, const char *);
		ck_assert_msg(items_have(r, id), "%s lacks %s: %.600s", path,
			      id, body_of(r));
	}
	va_end(ap);
	t_reply_free(r);
}

/*
 * A non-default matrix: 4 likelihood levels, 5 impact levels, three risk
 * levels (Green 400 days, Amber 60, Red 7), appetite up to Amber.
 */
static json_t *
custom_matrix(void)
{
	json_t *m = json_pack(
		"{s:[{s:s},{s:s},{s:s},{s:s}], s:[{s:s},{s:s},{s:s},{s:s},"
		"{s:s, s:s}], s:[{s:s, s:s, s:i, s:i}, {s:s, s:s, s:i, s:i},"
		" {s:s, s:s, s:i, s:i}], s:s}",
		"likelihood_levels", "name", "Remote", "name", "Occasional",
		"name", "Probable", "name", "Frequent", "impact_levels", "name",
		"Trivial", "name", "Low", "name", "Medium", "name", "High",
		"name", "Critical", "description", "Business-ending",
		"risk_levels", "name", "Green", "colour", "#00AA00", "rank", 1,
		"review_interval_days", 400, "name", "Amber", "colour",
		"#ffbf00", "rank", 2, "review_interval_days", 60, "name", "Red",
		"colour", "#dd0000", "rank", 3, "review_interval_days", 7,
		"acceptance_threshold", "Amber");
	json_t *grid = json_pack(
		"[[s,s,s,s,s],[s,s,s,s,s],[s,s,s,s,s],[s,s,s,s,s]]", "Green",
		"Green", "Green", "Green", "Amber", "Green", "Green", "Amber",
		"Amber", "Red", "Green", "Amber", "Amber", "Red", "Red",
		"Amber", "Amber", "Red", "Red", "Red");

	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_nonnull(grid);
	json_object_set_new(m, "grid", grid);
	return m;
}

/* ------------------------------------------------------------------ */

START_TEST(matrix_default_and_validation)
{
	struct world w;
	struct reply *r;
	json_t *m, *base;
	char *good;
	size_t i;

	world(&w, "matrix");
	r = get_ok(MATRIX, w.viewer_tok);
	ck_assert_str_eq(r->etag, "\"1\"");
	ck_assert_int_eq(
		json_array_size(json_object_get(r->json, "likelihood_levels")),
		5);
	ck_assert_int_eq(
		json_array_size(json_object_get(r->json, "impact_levels")), 5);
	ck_assert_int_eq(
		json_array_size(json_object_get(r->json, "risk_levels")), 4);
	ck_assert_str_eq(str(r, "acceptance_threshold"), "Medium");
	ck_assert_int_eq(
		number(json_array_get(
			       json_object_get(r->json, "likelihood_levels"),
			       4),
		       "value"),
		5);
	ck_assert_str_eq(
		json_string_value(json_array_get(
			json_array_get(json_object_get(r->json, "grid"), 4),
			4)),
		"Very high");
	t_reply_free(r);

	base = custom_matrix();
	/* Each case breaks one thing; the errors name it. */
	{
		static const char *const fields[] = {
			"likelihood_levels",
			"impact_levels",
			"likelihood_levels[1].name",
			"likelihood_levels[0].value",
			"impact_levels[1].name",
			"risk_levels[0].colour",
			"risk_levels[1].rank",
			"risk_levels[0].review_interval_days",
			"grid",
			"grid[1]",
			"grid[0][0]",
			"acceptance_threshold",
			"colour_scheme",
			"version",
			"risk_levels[0]",
			"likelihood_levels[0].name",
			"impact_levels[2].name",
			"risk_levels",
			"likelihood_levels[0].description",
		};
		json_t *l, *im, *lv, *g;

		for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
			m = json_deep_copy(base);
			l = json_object_get(m, "likelihood_levels");
			im = json_object_get(m, "impact_levels");
			lv = json_object_get(m, "risk_levels");
			g = json_object_get(m, "grid");
			switch (i) {
			case 0:
				json_array_remove(l, 0);
				json_array_remove(l, 0);
				break;
			case 1:
				g = json_deep_copy(im);
				json_array_extend(im, g);
				json_decref(g);
				break;
			case 2:
				json_object_del(json_array_get(l, 1), "name");
				break;
			case 3:
				json_object_set_new(json_array_get(l, 0),
						    "value", json_integer(2));
				break;
			case 4:
				json_object_set_new(json_array_get(im, 1),
						    "name",
						    json_string("Trivial"));
				break;
			case 5:
				json_object_set_new(json_array_get(lv, 0),
						    "colour",
						    json_string("#00AAZZ"));
				break;
			case 6:
				json_object_set_new(json_array_get(lv, 1),
						    "rank", json_integer(1));
				break;
			case 7:
				json_object_set_new(json_array_get(lv, 0),
						    "review_interval_days",
						    json_integer(0));
				break;
			case 8:
				json_array_remove(g, 3);
				break;
			case 9:
				json_array_remove(json_array_get(g, 1), 0);
				break;
			case 10:
				json_array_set_new(json_array_get(g, 0), 0,
						   json_string("Purple"));
				break;
			case 11:
				json_object_set_new(m, "acceptance_threshold",
						    json_string("Purple"));
				break;
			case 12:
				json_object_set_new(m, "colour_scheme",
						    json_string("x"));
				break;
			case 13:
				json_object_set_new(m, "version",
						    json_integer(1));
				break;
			case 14:
				json_array_set_new(lv, 0, json_string("Green"));
				break;
			case 15:
				json_object_set_new(json_array_get(l, 0),
						    "name",
						    json_string("Bad\001name"));
				break;
			case 16:
				json_object_set_new(
					json_array_get(im, 2), "name",
					json_string(
						"012345678901234567890123456"
						"7890123456789012345678901"));
				break;
			case 17:
				json_array_remove(lv, 2);
				json_array_remove(lv, 1);
				break;
			case 18:
				json_object_set_new(json_array_get(l, 0),
						    "description",
						    json_integer(3));
				break;
			}
			expect_invalid(req("PUT", MATRIX, w.admin_tok, text(m)),
				       fields[i], fields[i]);
		}
	}
	expect(req("PUT", MATRIX, w.admin_tok, "[1]"), 400);
	expect(req("PUT", MATRIX, w.admin_tok, "{\"grid\": "), 400);
	expect(req("PUT", MATRIX, w.admin_tok,
		   "{\"acceptance_threshold\": \"\xff\"}"),
	       400);
	expect(t_http("PUT", MATRIX, w.admin_tok, "text/plain", "x", 1, NULL),
	       415);
	good = text(json_deep_copy(base));
	expect(req("PUT", MATRIX, w.editor_tok, good), 403);
	expect(req_h("PUT", MATRIX, w.admin_tok, good, "If-Match: \"7\""), 412);
	expect(req_h("PUT", MATRIX, w.admin_tok, good, "If-Match: yes"), 412);
	/* nothing the refusals sent was stored */
	ck_assert_str_eq(db(&w.t, "SELECT version FROM risk_matrices"), "1");

	r = req_h("PUT", MATRIX, w.admin_tok, good, "If-Match: \"1\"");
	ck_assert_msg(r->status == 200, "%ld %s", r->status, body_of(r));
	ck_assert_str_eq(r->etag, "\"2\"");
	ck_assert_int_eq(number(r->json, "risks_reevaluated"), 0);
	ck_assert_int_eq(number(r->json, "version"), 2);
	/* values are positions; colours are stored in lower case */
	ck_assert_int_eq(
		number(json_array_get(json_object_get(r->json, "impact_levels"),
				      4),
		       "value"),
		5);
	ck_assert_str_eq(
		json_string_value(json_object_get(
			json_array_get(json_object_get(r->json, "risk_levels"),
				       0),
			"colour")),
		"#00aa00");
	t_reply_free(r);
	r = get_ok(MATRIX, w.auditor_tok);
	ck_assert_str_eq(str(r, "acceptance_threshold"), "Amber");
	ck_assert_str_eq(r->etag, "\"2\"");
	t_reply_free(r);
	json_decref(base);
}
END_TEST

START_TEST(scores_follow_the_matrix_and_its_changes)
{
	struct world w;
	struct reply *r;
	char *a, *r1, *r2, *r3, *r4;
	json_t *m;

	world(&w, "scores");
	a = asset(&w, "Mail server");
	r1 = risk(&w, json_pack("{s:s, s:[s], s:i, s:i, s:i, s:i, s:i, s:i, "
				"s:s, s:s}",
				"title", "Mailbox takeover", "asset_ids", a,
				"inherent_likelihood", 4, "inherent_impact", 5,
				"current_likelihood", 3, "current_impact", 4,
				"residual_likelihood", 1, "residual_impact", 2,
				"treatment", "modify", "status", "assessed"));
	r2 = assessed(&w, "Spam", a, 2, 2, 1, 1);
	r3 = risk(&w, json_pack("{s:s, s:[s]}", "title", "Unassessed",
				"asset_ids", a));

	/* the default 5 x 5 */
	r = get_ok(fmt("%s/%s", RISKS, r1), w.viewer_tok);
	ck_assert_int_eq(number(r->json, "inherent_score"), 20);
	ck_assert_str_eq(level_of(r->json, "inherent_level"), "Very high");
	ck_assert_int_eq(number(r->json, "current_score"), 12);
	ck_assert_str_eq(level_of(r->json, "current_level"), "High");
	ck_assert_str_eq(
		json_string_value(json_object_get(
			json_object_get(r->json, "current_level"), "colour")),
		"#ef6c00");
	ck_assert_int_eq(number(r->json, "residual_score"), 2);
	ck_assert_str_eq(level_of(r->json, "residual_level"), "Low");
	ck_assert(json_is_true(json_object_get(r->json, "above_appetite")));
	ck_assert_str_eq(str(r, "next_review"), day(90));
	t_reply_free(r);
	r = get_ok(fmt("%s/%s", RISKS, r3), w.viewer_tok);
	ck_assert(json_is_null(json_object_get(r->json, "inherent_level")));
	ck_assert(json_is_null(json_object_get(r->json, "above_appetite")));
	ck_assert(json_is_null(json_object_get(r->json, "next_review")));
	t_reply_free(r);

	/* a 4 x 5 matrix re-evaluates every risk in the same request */
	r = req("PUT", MATRIX, w.admin_tok, text(custom_matrix()));
	ck_assert_msg(r->status == 200, "%ld %s", r->status, body_of(r));
	ck_assert_int_eq(number(r->json, "risks_reevaluated"), 2);
	t_reply_free(r);
	r = get_ok(fmt("%s/%s", RISKS, r1), w.viewer_tok);
	ck_assert_int_eq(number(r->json, "inherent_score"), 20);
	ck_assert_str_eq(level_of(r->json, "inherent_level"), "Red");
	ck_assert_str_eq(level_of(r->json, "current_level"), "Red");
	ck_assert_str_eq(level_of(r->json, "residual_level"), "Green");
	ck_assert_int_eq(
		number(json_object_get(r->json, "current_level"), "rank"), 3);
	ck_assert(json_is_true(json_object_get(r->json, "above_appetite")));
	ck_assert_str_eq(str(r, "next_review"), day(7));
	ck_assert_str_eq(r->etag, "\"2\"");
	t_reply_free(r);
	r = get_ok(fmt("%s/%s", RISKS, r2), w.viewer_tok);
	ck_assert_str_eq(level_of(r->json, "inherent_level"), "Green");
	ck_assert_str_eq(level_of(r->json, "current_level"), "Green");
	ck_assert(json_is_false(json_object_get(r->json, "above_appetite")));
	ck_assert_str_eq(str(r, "next_review"), day(400));
	t_reply_free(r);
	/* the unassessed risk did not change */
	ck_assert_str_eq(
		db(&w.t, "SELECT version FROM risks WHERE id = '%s'", r3), "1");

	/* a new risk on the custom matrix: Amber is within the appetite */
	r4 = assessed(&w, "Supplier outage", a, 4, 1, 2, 3);
	r = get_ok(fmt("%s/%s", RISKS, r4), w.viewer_tok);
	ck_assert_int_eq(number(r->json, "inherent_score"), 4);
	ck_assert_str_eq(level_of(r->json, "inherent_level"), "Amber");
	ck_assert_int_eq(number(r->json, "current_score"), 6);
	ck_assert_str_eq(level_of(r->json, "current_level"), "Amber");
	ck_assert(json_is_false(json_object_get(r->json, "above_appetite")));
	ck_assert_str_eq(str(r, "next_review"), day(60));
	t_reply_free(r);
	/* five likelihood levels no longer exist */
	expect_invalid(req("POST", RISKS, w.editor_tok,
			   text(json_pack("{s:s, s:[s], s:i, s:i}", "title",
					  "Too likely", "asset_ids", a,
					  "inherent_likelihood", 5,
					  "inherent_impact", 1))),
		       "inherent_likelihood", "likelihood beyond the matrix");
	expect_invalid(req("PATCH", fmt("%s/%s", RISKS, r4), w.editor_tok,
			   "{\"current_impact\": 6}"),
		       "current_impact", "impact beyond the matrix");

	/* a 3 x 3 matrix would orphan r1's likelihood 4: refused, named */
	m = custom_matrix();
	json_array_remove(json_object_get(m, "likelihood_levels"), 3);
	json_array_remove(json_object_get(m, "grid"), 3);
	r = req("PUT", MATRIX, w.admin_tok, text(m));
	ck_assert_msg(t_is_problem(r, 422), "%ld %s", r->status, body_of(r));
	ck_assert(names_field(r, "likelihood_levels"));
	ck_assert_msg(strstr(body_of(r), r1) != NULL &&
			      strstr(body_of(r), r4) != NULL &&
			      strstr(body_of(r), r2) == NULL,
		      "the refusal names the risks using likelihood 4: %s",
		      body_of(r));
	t_reply_free(r);
	ck_assert_str_eq(db(&w.t, "SELECT version FROM risk_matrices"), "2");
	ck_assert_str_eq(db(&w.t,
			    "SELECT current_level FROM risks WHERE id = "
			    "'%s'",
			    r1),
			 "Red");
	/* the re-evaluation is on record, under the admin who changed it */
	ck_assert_str_eq(
		db(&w.t,
		   "SELECT count(*) FROM activity_log WHERE tenant_id = "
		   "app_tenant_id() AND "
		   "entity = 'risks' AND entity_id = '%s' AND "
		   "action = 'update' AND actor_id = '%s' AND "
		   "after ->> 'current_level' = 'Red'",
		   r1, w.t.admin_id),
		"1");
}
END_TEST

START_TEST(catalogs_global_and_own)
{
	struct world a, b;
	struct reply *r;
	char *cursor = NULL, *own, *own_path, *global, *vuln, *risk_id, *as;
	const char *key = "Idempotency-Key: threat-create-1";
	size_t seen = 0, total;
	json_t *body;

	world(&a, "catalog-a");
	world(&b, "catalog-b");
	r = get_ok(THREATS "?limit=200", a.auditor_tok);
	total = json_array_size(json_object_get(r->json, "items"));
	ck_assert_msg(total >= 30, "%zu global threats", total);
	global = t_keep(strdup(json_string_value(json_object_get(
		json_array_get(json_object_get(r->json, "items"), 0), "id"))));
	ck_assert_str_eq(
		json_string_value(json_object_get(
			json_array_get(json_object_get(r->json, "items"), 0),
			"scope")),
		"global");
	ck_assert(json_is_null(json_object_get(r->json, "next_cursor")));
	t_reply_free(r);
	r = get_ok(VULNS "?limit=200", a.viewer_tok);
	ck_assert_msg(json_array_size(json_object_get(r->json, "items")) >= 30,
		      "%s", body_of(r));
	vuln = t_keep(strdup(json_string_value(json_object_get(
		json_array_get(json_object_get(r->json, "items"), 0), "id"))));
	t_reply_free(r);

	/* keyset pages by name, both directions */
	do {
		r = get_ok(cursor ? fmt(THREATS "?limit=7&cursor=%s", cursor)
				  : THREATS "?limit=7",
			   a.viewer_tok);
		seen += json_array_size(json_object_get(r->json, "items"));
		cursor = json_is_string(json_object_get(r->json, "next_cursor"))
				 ? member(r, "next_cursor")
				 : NULL;
		t_reply_free(r);
	} while (cursor != NULL);
	ck_assert_int_eq(seen, total);
	r = get_ok(THREATS "?limit=2&sort=-name", a.viewer_tok);
	cursor = member(r, "next_cursor");
	t_reply_free(r);
	expect(req("GET", fmt(THREATS "?sort=name&cursor=%s", cursor),
		   a.viewer_tok, NULL),
	       400);
	expect(req("GET", THREATS "?cursor=bm9wZQ", a.viewer_tok, NULL), 400);
	r = get_ok(THREATS "?category=natural_events", a.viewer_tok);
	ck_assert_int_ge(json_array_size(json_object_get(r->json, "items")), 3);
	ck_assert_str_eq(
		json_string_value(json_object_get(
			json_array_get(json_object_get(r->json, "items"), 0),
			"category")),
		"natural_events");
	t_reply_free(r);
	expect(req("GET", THREATS "?category=software", a.viewer_tok, NULL),
	       400);
	expect(req("GET", THREATS "?scope=mine", a.viewer_tok, NULL), 400);
	expect(req("GET", THREATS "?q=fire", a.viewer_tok, NULL), 400);
	expect_ids(THREATS "?scope=tenant", a.viewer_tok, 0);

	/* a threat of the tenant's own, created once for a retried key */
	body = json_pack("{s:s, s:s, s:s}", "name", "Rogue contractor",
			 "category", "unauthorized_actions", "description",
			 "A contractor misuses remote access.");
	r = req_h("POST", THREATS, a.editor_tok, text(json_incref(body)), key);
	ck_assert_msg(r->status == 201, "%ld %s", r->status, body_of(r));
	own = member(r, "id");
	own_path = fmt("%s/%s", THREATS, own);
	ck_assert_str_eq(r->location, own_path);
	ck_assert_str_eq(r->etag, "\"1\"");
	ck_assert_str_eq(str(r, "scope"), "tenant");
	t_reply_free(r);
	r = req_h("POST", THREATS, a.editor_tok, text(json_incref(body)), key);
	ck_assert_int_eq(r->status, 201);
	ck_assert_str_eq(member(r, "id"), own);
	t_reply_free(r);
	json_object_set_new(body, "name", json_string("Another"));
	expect_invalid(req_h("POST", THREATS, a.editor_tok, text(body), key),
		       "Idempotency-Key", "key reuse");
	ck_assert_str_eq(db(&a.t, "SELECT count(*) FROM risk_catalog WHERE "
				  "tenant_id IS NOT NULL"),
			 "1");
	expect(req("POST", THREATS, a.editor_tok,
		   "{\"name\": \"Rogue contractor\", \"category\": "
		   "\"natural_events\"}"),
	       409);
	expect_invalid(
		req("POST", VULNS, a.editor_tok,
		    "{\"name\": \"x\", \"category\": \"natural_events\"}"),
		"category", "a threat category for a vulnerability");
	expect_invalid(req("POST", THREATS, a.editor_tok,
			   "{\"category\": \"natural_events\"}"),
		       "name", "name missing");
	expect_invalid(
		req("POST", THREATS, a.editor_tok,
		    text(json_pack("{s:s, s:s}", "name", fmt("%0201d", 0),
				   "category", "natural_events"))),
		"name", "name too long");
	expect_invalid(req("POST", THREATS, a.editor_tok,
			   "{\"name\": \"x\", \"category\": \"natural_events\","
			   " \"scope\": \"global\"}"),
		       "scope", "scope is read-only");
	expect_invalid(req("POST", THREATS, a.editor_tok,
			   "{\"name\": \"x\", \"category\": \"natural_events\","
			   " \"severity\": 3}"),
		       "severity", "unknown field");
	expect_invalid(req("POST", THREATS, a.editor_tok,
			   "{\"name\": \"x\", \"category\": 7}"),
		       "category", "category not a string");
	expect(req("POST", THREATS, a.editor_tok,
		   "{\"name\": \"\xc3\x28\", \"category\": \"site\"}"),
	       400);
	expect(req("POST", THREATS, a.viewer_tok,
		   "{\"name\": \"x\", \"category\": \"natural_events\"}"),
	       403);

	r = get_ok(own_path, a.viewer_tok);
	ck_assert_str_eq(r->etag, "\"1\"");
	t_reply_free(r);
	expect(req_h("PATCH", own_path, a.editor_tok, "{\"description\": null}",
		     "If-Match: \"5\""),
	       412);
	r = req_h("PATCH", own_path, a.editor_tok,
		  "{\"description\": null, \"category\": \"compromise_of_"
		  "functions\"}",
		  "If-Match: \"1\"");
	ck_assert_msg(r->status == 200, "%ld %s", r->status, body_of(r));
	ck_assert(json_is_null(json_object_get(r->json, "description")));
	ck_assert_str_eq(str(r, "name"), "Rogue contractor");
	ck_assert_str_eq(r->etag, "\"2\"");
	t_reply_free(r);
	expect_ids(THREATS "?scope=tenant", a.viewer_tok, 1, own);

	/* the global catalog is read-only */
	expect(req("GET", fmt("%s/%s", THREATS, global), a.viewer_tok, NULL),
	       200);
	expect(req("PATCH", fmt("%s/%s", THREATS, global), a.editor_tok,
		   "{\"name\": \"Mine now\"}"),
	       403);
	expect(req("DELETE", fmt("%s/%s", VULNS, vuln), a.admin_tok, NULL),
	       403);
	/* a threat is not a vulnerability */
	expect(req("GET", fmt("%s/%s", VULNS, own), a.viewer_tok, NULL), 404);
	expect(req("GET", THREATS "/not-a-uuid", a.viewer_tok, NULL), 404);

	/* another tenant neither sees nor uses it */
	expect(req("GET", own_path, b.admin_tok, NULL), 404);
	expect(req("PATCH", own_path, b.admin_tok, "{\"name\": \"Taken\"}"),
	       404);
	expect(req("DELETE", own_path, b.admin_tok, NULL), 404);
	expect_ids(THREATS "?scope=tenant", b.viewer_tok, 0);
	as = asset(&b, "B laptop");
	expect_invalid(req("POST", RISKS, b.editor_tok,
			   text(json_pack("{s:s, s:[s], s:[s]}", "title", "x",
					  "asset_ids", as, "threat_ids", own))),
		       "threat_ids[0]", "another tenant's threat");
	ck_assert_str_eq(db(&b.t, "SELECT count(*) FROM risks"), "0");
	ck_assert_str_eq(db(&a.t,
			    "SELECT name FROM risk_catalog WHERE id = "
			    "'%s'",
			    own),
			 "Rogue contractor");

	/* an entry in use is not deleted */
	risk_id = risk(&a, json_pack("{s:s, s:[s], s:[s], s:[s]}", "title",
				     "Contractor abuse", "asset_ids",
				     asset(&a, "VPN"), "threat_ids", own,
				     "vulnerability_ids", vuln));
	expect(req("DELETE", own_path, a.editor_tok, NULL), 409);
	t_reply_free(patch_ok(fmt("%s/%s", RISKS, risk_id), a.editor_tok,
			      "{\"threat_ids\": []}"));
	expect(req_h("DELETE", own_path, a.editor_tok, NULL, "If-Match: \"1\""),
	       412);
	expect(req_h("DELETE", own_path, a.editor_tok, NULL, "If-Match: \"2\""),
	       204);
	expect(req("GET", own_path, a.viewer_tok, NULL), 404);
	expect(req("DELETE", own_path, a.editor_tok, NULL), 404);
}
END_TEST

START_TEST(risks_crud_and_validation)
{
	struct world w;
	struct reply *r;
	char *a1, *a2, *old, *id, *path, *other, *big;
	const char *key = "Idempotency-Key: risk-create-1";
	json_t *body, *bad;
	size_t i;

	world(&w, "crud");
	a1 = asset(&w, "Payroll");
	a2 = asset(&w, "HR share");
	old = asset(&w, "Retired NAS");
	db(&w.t,
	   "UPDATE assets SET archived_at = now() WHERE id = '%s' "
	   "RETURNING 1",
	   old);
	body = json_pack("{s:s, s:s, s:s, s:s, s:[s,s], s:i, s:i, s:i, s:i, "
			 "s:s, s:s, s:s}",
			 "title", "Payroll fraud", "description",
			 "Changes to bank details\nwithout a second check.",
			 "category", "Fraud", "owner_id", w.editor, "asset_ids",
			 a1, a2, "inherent_likelihood", 3, "inherent_impact", 5,
			 "current_likelihood", 2, "current_impact", 5,
			 "treatment", "modify", "status", "assessed",
			 "last_reviewed_on", day(-10));
	r = req("POST", RISKS, w.editor_tok, text(json_incref(body)));
	ck_assert_msg(r->status == 201, "%ld %s", r->status, body_of(r));
	id = member(r, "id");
	path = fmt("%s/%s", RISKS, id);
	ck_assert_str_eq(r->location, path);
	ck_assert_str_eq(r->etag, "\"1\"");
	ck_assert_str_eq(str(r, "owner_id"), w.editor);
	ck_assert_str_eq(str(r, "category"), "Fraud");
	ck_assert_str_eq(str(r, "status"), "assessed");
	ck_assert_str_eq(str(r, "created_by"), w.editor);
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "asset_ids")),
			 2);
	ck_assert_int_eq(number(r->json, "inherent_score"), 15);
	ck_assert_str_eq(str(r, "last_reviewed_on"), day(-10));
	ck_assert_str_eq(str(r, "next_review"), day(80));
	ck_assert(json_is_false(json_object_get(r->json, "review_overdue")));
	t_reply_free(r);

	/* every field's validation; each leaves nothing behind */
	{
		static const struct {
			const char *key;
			const char *json; /* the value, as JSON */
			const char *field;
		} cases[] = {
			{"title", "\"\"", "title"},
			{"title", "null", "title"},
			{"title", "\"a\\u0001b\"", "title"},
			{"title", "7", "title"},
			{"category", "\"\"", "category"},
			{"owner_id", "\"nobody\"", "owner_id"},
			{"owner_id", "\"" NO_SUCH_ID "\"", "owner_id"},
			{"asset_ids", "[]", "asset_ids"},
			{"asset_ids", "\"x\"", "asset_ids"},
			{"asset_ids", "[\"x\"]", "asset_ids[0]"},
			{"asset_ids", "[\"" NO_SUCH_ID "\"]", "asset_ids[0]"},
			{"threat_ids", "[\"" NO_SUCH_ID "\"]", "threat_ids[0]"},
			{"vulnerability_ids", "[1]", "vulnerability_ids[0]"},
			{"inherent_likelihood", "0", "inherent_likelihood"},
			{"inherent_likelihood", "8", "inherent_likelihood"},
			{"inherent_likelihood", "\"3\"", "inherent_likelihood"},
			{"inherent_likelihood", "2.5", "inherent_likelihood"},
			{"residual_impact", "3", "residual_likelihood"},
			{"treatment", "\"mitigate\"", "treatment"},
			{"status", "\"open\"", "status"},
			{"status", "null", "status"},
			{"status", "\"closed\"", "status"},
			{"status", "\"accepted\"", "status"},
			{"last_reviewed_on", "\"2024-13-01\"",
			 "last_reviewed_on"},
			{"last_reviewed_on", "\"2999-01-01\"",
			 "last_reviewed_on"},
			{"severity", "3", "severity"},
			{"inherent_score", "3", "inherent_score"},
			{"id", "\"" NO_SUCH_ID "\"", "id"},
		};
		json_error_t err;

		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			bad = json_deep_copy(body);
			json_object_set_new(bad, cases[i].key,
					    json_loads(cases[i].json,
						       JSON_DECODE_ANY, &err));
			expect_invalid(
				req("POST", RISKS, w.editor_tok, text(bad)),
				cases[i].field, cases[i].key);
		}
	}
	expect_invalid(req("POST", RISKS, w.editor_tok, "{}"), "asset_ids",
		       "empty body");
	big = malloc(10002);
	ck_assert_ptr_nonnull(big);
	memset(big, 'x', 10001);
	big[10001] = '\0';
	bad = json_deep_copy(body);
	json_object_set_new(bad, "description", json_string(big));
	free(big);
	expect_invalid(req("POST", RISKS, w.editor_tok, text(bad)),
		       "description", "description too long");
	bad = json_deep_copy(body);
	json_object_set_new(bad, "asset_ids", json_pack("[s]", old));
	expect_invalid(req("POST", RISKS, w.editor_tok, text(bad)),
		       "asset_ids[0]", "an archived asset");
	bad = json_deep_copy(body);
	json_object_set_new(bad, "asset_ids", json_pack("[s,s]", a1, a1));
	expect_invalid(req("POST", RISKS, w.editor_tok, text(bad)),
		       "asset_ids[1]", "a repeated asset");
	expect(req("POST", RISKS, w.editor_tok, "[1]"), 400);
	expect(req("POST", RISKS, w.editor_tok, "{\"title\": "), 400);
	expect(req("POST", RISKS, w.editor_tok, "{\"title\": \"\xff\xfe\"}"),
	       400);
	expect(req("POST", RISKS, w.editor_tok,
		   "{\"title\": \"a\", \"title\": \"b\"}"),
	       400);
	expect(t_http("POST", RISKS, w.editor_tok, "text/plain", "{}", 2, NULL),
	       415);
	expect(req("POST", RISKS, w.viewer_tok, text(json_incref(body))), 403);
	ck_assert_str_eq(db(&w.t, "SELECT count(*) FROM risks"), "1");

	/* read, change under If-Match, links replaced */
	r = get_ok(path, w.auditor_tok);
	ck_assert_str_eq(r->etag, "\"1\"");
	ck_assert_str_eq(str(r, "title"), "Payroll fraud");
	t_reply_free(r);
	r = req_h("PATCH", path, w.editor_tok,
		  text(json_pack("{s:s, s:[s], s:n}", "title",
				 "Payroll fraud (bank details)", "asset_ids",
				 a2, "description")),
		  "If-Match: \"1\"");
	ck_assert_msg(r->status == 200, "%ld %s", r->status, body_of(r));
	ck_assert_str_eq(r->etag, "\"2\"");
	ck_assert_str_eq(str(r, "title"), "Payroll fraud (bank details)");
	ck_assert(json_is_null(json_object_get(r->json, "description")));
	ck_assert_str_eq(str(r, "category"), "Fraud");
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "asset_ids")),
			 1);
	t_reply_free(r);
	ck_assert_str_eq(db(&w.t,
			    "SELECT string_agg(asset_id::text, ',') FROM "
			    "risk_assets WHERE risk_id = '%s'",
			    id),
			 a2);
	expect(req_h("PATCH", path, w.editor_tok, "{\"title\": \"x\"}",
		     "If-Match: \"1\""),
	       412);
	expect(req_h("PATCH", path, w.editor_tok, "{\"title\": \"x\"}",
		     "If-Match: soon"),
	       412);
	expect_invalid(req("PATCH", path, w.editor_tok, "{\"asset_ids\": []}"),
		       "asset_ids", "the last asset");
	expect_invalid(
		req("PATCH", path, w.editor_tok, "{\"inherent_score\": 1}"),
		"inherent_score", "a derived field");
	expect(req("PATCH", path, w.viewer_tok, "{\"title\": \"x\"}"), 403);
	expect(req("PATCH", RISKS "/" NO_SUCH_ID, w.editor_tok,
		   "{\"title\": \"x\"}"),
	       404);
	expect(req("PATCH", RISKS "/12", w.editor_tok, "{\"title\": \"x\"}"),
	       404);
	expect(req("GET", RISKS "/" NO_SUCH_ID, w.viewer_tok, NULL), 404);
	ck_assert_str_eq(
		db(&w.t, "SELECT version FROM risks WHERE id = '%s'", id), "2");

	/* a retried create returns the first result */
	bad = json_pack("{s:s, s:[s]}", "title", "Retried", "asset_ids", a1);
	r = req_h("POST", RISKS, w.editor_tok, text(json_incref(bad)), key);
	ck_assert_int_eq(r->status, 201);
	other = member(r, "id");
	t_reply_free(r);
	r = req_h("POST", RISKS, w.editor_tok, text(json_incref(bad)), key);
	ck_assert_int_eq(r->status, 201);
	ck_assert_str_eq(member(r, "id"), other);
	t_reply_free(r);
	json_object_set_new(bad, "title", json_string("Retried, changed"));
	expect_invalid(req_h("POST", RISKS, w.editor_tok, text(bad), key),
		       "Idempotency-Key", "key reuse");
	ck_assert_str_eq(db(&w.t, "SELECT count(*) FROM risks"), "2");

	/* deleting: admins only, If-Match, and it takes the plan along */
	r = req("POST", fmt("%s/treatments", path), w.editor_tok,
		"{\"action\": \"Dual control on bank detail changes\"}");
	ck_assert_int_eq(r->status, 201);
	t_reply_free(r);
	expect(req("DELETE", path, w.editor_tok, NULL), 403);
	expect(req_h("DELETE", path, w.admin_tok, NULL, "If-Match: \"1\""),
	       412);
	expect(req_h("DELETE", path, w.admin_tok, NULL, "If-Match: \"2\""),
	       204);
	expect(req("GET", path, w.viewer_tok, NULL), 404);
	expect(req("DELETE", path, w.admin_tok, NULL), 404);
	ck_assert_str_eq(db(&w.t,
			    "SELECT (SELECT count(*) FROM risk_treatments) + "
			    "(SELECT count(*) FROM risk_assets WHERE risk_id "
			    "= '%s')",
			    id),
			 "0");
	ck_assert_str_eq(
		db(&w.t,
		   "SELECT count(*) FROM activity_log WHERE tenant_id = "
		   "app_tenant_id() AND entity "
		   "= 'risks' AND entity_id = '%s' AND action = "
		   "'delete'",
		   id),
		"1");
	json_decref(body);
}
END_TEST

START_TEST(tenants_never_meet)
{
	struct world a, b;
	struct reply *r;
	char *a1, *b1, *ra, *path, *tpath, *treatment;

	world(&a, "iso-a");
	world(&b, "iso-b");
	a1 = asset(&a, "A database");
	b1 = asset(&b, "B database");
	ra = assessed(&a, "A's risk", a1, 3, 3, 2, 2);
	path = fmt("%s/%s", RISKS, ra);
	r = req("POST", fmt("%s/treatments", path), a.editor_tok,
		"{\"action\": \"Harden\"}");
	ck_assert_int_eq(r->status, 201);
	treatment = member(r, "id");
	t_reply_free(r);
	tpath = fmt("%s/treatments/%s", path, treatment);

	/* A's ids inside B's bodies */
	expect_invalid(req("POST", RISKS, b.editor_tok,
			   text(json_pack("{s:s, s:[s]}", "title", "x",
					  "asset_ids", a1))),
		       "asset_ids[0]", "A's asset in B");
	expect_invalid(
		req("POST", RISKS, b.editor_tok,
		    text(json_pack("{s:s, s:[s], s:s}", "title", "x",
				   "asset_ids", b1, "owner_id", a.editor))),
		"owner_id", "A's member as B's owner");
	ck_assert_str_eq(db(&b.t, "SELECT count(*) FROM risks"), "0");
	/* and the other way round, on A's own risk */
	expect_invalid(req("PATCH", path, a.editor_tok,
			   text(json_pack("{s:[s]}", "asset_ids", b1))),
		       "asset_ids[0]", "B's asset in A");
	expect_invalid(req("PATCH", tpath, a.editor_tok,
			   text(json_pack("{s:s}", "owner_id", b.editor))),
		       "owner_id", "B's member owning A's action");

	/* the database itself refuses B's asset for A's risk */
	ck_assert_str_eq(
		db_refused(&a.t, fmt("INSERT INTO risk_assets (tenant_id, "
				     "risk_id, asset_id) VALUES ('%s', "
				     "'%s', '%s')",
				     a.t.id, ra, b1)),
		"23503");

	/* A's ids in B's paths are not there */
	expect(req("GET", path, b.admin_tok, NULL), 404);
	expect(req("PATCH", path, b.admin_tok, "{\"title\": \"Mine\"}"), 404);
	expect(req("DELETE", path, b.admin_tok, NULL), 404);
	expect(req("GET", fmt("%s/treatments", path), b.admin_tok, NULL), 404);
	expect(req("POST", fmt("%s/treatments", path), b.admin_tok,
		   "{\"action\": \"x\"}"),
	       404);
	expect(req("GET", tpath, b.admin_tok, NULL), 404);
	expect(req("PATCH", tpath, b.admin_tok, "{\"action\": \"x\"}"), 404);
	expect(req("DELETE", tpath, b.admin_tok, NULL), 404);
	expect(req("GET", fmt("%s/acceptance", path), b.admin_tok, NULL), 404);
	expect(req("POST", fmt("%s/acceptance", path), b.admin_tok,
		   "{\"justification\": \"x\"}"),
	       404);
	expect(req("POST", fmt("%s/acceptance/decision", path), b.admin_tok,
		   "{\"decision\": \"rejected\", \"justification\": \"x\"}"),
	       404);
	/* and B's lists never show them */
	expect_ids(RISKS, b.viewer_tok, 0);
	expect_ids(fmt(RISKS "?asset_id=%s", a1), b.viewer_tok, 0);
	r = get_ok(HEATMAP, b.viewer_tok);
	ck_assert_int_eq(number(r->json, "total"), 0);
	t_reply_free(r);
	expect_ids(RISKS, a.viewer_tok, 1, ra);
	/* each tenant's matrix is its own */
	expect(req("PUT", MATRIX, b.admin_tok, text(custom_matrix())), 200);
	r = get_ok(MATRIX, a.viewer_tok);
	ck_assert_str_eq(r->etag, "\"1\"");
	ck_assert_str_eq(str(r, "acceptance_threshold"), "Medium");
	t_reply_free(r);
	ck_assert_str_eq(db(&a.t, "SELECT version FROM risks"), "1");
	ck_assert_str_eq(db(&a.t, "SELECT action FROM risk_treatments"),
			 "Harden");
}
END_TEST

START_TEST(status_transitions)
{
	struct world w;
	struct reply *r;
	char *a, *id, *path, *plan;

	world(&w, "status");
	a = asset(&w, "Website");
	id = risk(&w, json_pack("{s:s, s:[s]}", "title", "Defacement",
				"asset_ids", a));
	path = fmt("%s/%s", RISKS, id);

	/* identified may only become assessed or closed */
	expect(req("PATCH", path, w.editor_tok, "{\"status\": \"treated\"}"),
	       409);
	expect(req("PATCH", path, w.editor_tok,
		   "{\"status\": \"treatment_planned\"}"),
	       409);
	expect(req("PATCH", path, w.editor_tok, "{\"status\": \"accepted\"}"),
	       409);
	r = req("PATCH", path, w.editor_tok, "{\"status\": \"assessed\"}");
	ck_assert_msg(t_is_problem(r, 422), "%ld %s", r->status, body_of(r));
	ck_assert(names_field(r, "inherent_likelihood"));
	ck_assert(names_field(r, "current_likelihood"));
	t_reply_free(r);
	t_reply_free(patch_ok(path, w.editor_tok,
			      "{\"status\": \"assessed\", "
			      "\"inherent_likelihood\": 4, "
			      "\"inherent_impact\": 4, "
			      "\"current_likelihood\": 3, "
			      "\"current_impact\": 4}"));
	expect(req("PATCH", path, w.editor_tok, "{\"status\": \"treated\"}"),
	       409);
	expect(req("PATCH", path, w.editor_tok, "{\"status\": \"identified\"}"),
	       409);
	/* the risk cannot become accepted by an edit */
	expect(req("PATCH", path, w.admin_tok, "{\"status\": \"accepted\"}"),
	       409);
	r = req("PATCH", path, w.editor_tok,
		"{\"status\": \"treatment_planned\"}");
	ck_assert_msg(t_is_problem(r, 422), "%ld %s", r->status, body_of(r));
	ck_assert(names_field(r, "treatment"));
	ck_assert(names_field(r, "residual_likelihood"));
	t_reply_free(r);
	t_reply_free(patch_ok(path, w.editor_tok,
			      "{\"status\": \"treatment_planned\", "
			      "\"treatment\": \"modify\", "
			      "\"residual_likelihood\": 1, "
			      "\"residual_impact\": 2}"));
	/* treated needs the plan done */
	r = req("POST", fmt("%s/treatments", path), w.editor_tok,
		"{\"action\": \"Web application firewall\"}");
	ck_assert_int_eq(r->status, 201);
	plan = fmt("%s/treatments/%s", path, member(r, "id"));
	t_reply_free(r);
	expect_invalid(
		req("PATCH", path, w.editor_tok, "{\"status\": \"treated\"}"),
		"status", "open actions");
	t_reply_free(
		patch_ok(plan, w.editor_tok, "{\"status\": \"in_progress\"}"));
	expect_invalid(
		req("PATCH", path, w.editor_tok, "{\"status\": \"treated\"}"),
		"status", "actions in progress");
	t_reply_free(patch_ok(plan, w.editor_tok, "{\"status\": \"done\"}"));
	r = patch_ok(path, w.editor_tok, "{\"status\": \"treated\"}");
	ck_assert_str_eq(str(r, "status"), "treated");
	t_reply_free(r);
	expect(req("PATCH", path, w.editor_tok, "{\"status\": \"assessed\"}"),
	       409);
	/* closed is final, but the record can still be corrected */
	t_reply_free(patch_ok(path, w.editor_tok, "{\"status\": \"closed\"}"));
	expect(req("PATCH", path, w.editor_tok, "{\"status\": \"assessed\"}"),
	       409);
	r = patch_ok(path, w.editor_tok, "{\"title\": \"Defacement (old)\"}");
	ck_assert_str_eq(str(r, "status"), "closed");
	t_reply_free(r);
	ck_assert_str_eq(db(&w.t,
			    "SELECT string_agg(after ->> 'status', ',' ORDER "
			    "BY seq) FROM activity_log WHERE tenant_id = "
			    "app_tenant_id() AND entity = "
			    "'risks' AND entity_id = '%s' AND (before ->> "
			    "'status') IS DISTINCT FROM (after ->> 'status')",
			    id),
			 "identified,assessed,treatment_planned,treated,"
			 "closed");

	/* a new risk may start assessed, not accepted */
	assessed(&w, "Born assessed", a, 1, 1, 1, 1);
	expect_invalid(
		req("POST", RISKS, w.editor_tok,
		    text(json_pack("{s:s, s:[s], s:s}", "title", "x",
				   "asset_ids", a, "status", "accepted"))),
		"status", "created accepted");
}
END_TEST

START_TEST(list_filters_and_paging)
{
	struct world w;
	struct reply *r;
	char *a1, *a2, *r1, *r2, *r3, *r4, *r5, *cursor = NULL;
	size_t pages = 0, seen = 0;
	size_t i;

	world(&w, "filters");
	a1 = asset(&w, "Core router");
	a2 = asset(&w, "Backup tapes");
	r1 = risk(&w, json_pack("{s:s, s:[s], s:s, s:i, s:i, s:i, s:i, s:i, "
				"s:i, s:s, s:s}",
				"title", "Router failure", "asset_ids", a1,
				"owner_id", w.editor, "inherent_likelihood", 5,
				"inherent_impact", 5, "current_likelihood", 4,
				"current_impact", 4, "residual_likelihood", 2,
				"residual_impact", 2, "treatment", "modify",
				"status", "treatment_planned"));
	r2 = risk(&w, json_pack("{s:s, s:[s], s:s, s:i, s:i, s:i, s:i, s:s, "
				"s:s}",
				"title", "Tape loss", "asset_ids", a2,
				"owner_id", w.admin2, "inherent_likelihood", 3,
				"inherent_impact", 3, "current_likelihood", 2,
				"current_impact", 2, "treatment", "retain",
				"status", "assessed"));
	r3 = risk(&w, json_pack("{s:s, s:[s,s], s:i, s:i, s:i, s:i, s:s, "
				"s:s}",
				"title", "Ransomware", "asset_ids", a1, a2,
				"inherent_likelihood", 4, "inherent_impact", 5,
				"current_likelihood", 4, "current_impact", 5,
				"status", "assessed", "last_reviewed_on",
				day(-100)));
	r4 = risk(&w, json_pack("{s:s, s:[s]}", "title", "Not yet assessed",
				"asset_ids", a2));
	r5 = assessed(&w, "Gone", a1, 1, 1, 1, 1);
	t_reply_free(patch_ok(fmt("%s/%s", RISKS, r5), w.editor_tok,
			      "{\"status\": \"closed\"}"));

	expect_ids(RISKS "?level=High", w.viewer_tok, 1, r1);
	expect_ids(RISKS "?stage=inherent&level=Very%20high", w.viewer_tok, 2,
		   r1, r3);
	expect_ids(RISKS "?score_min=10", w.viewer_tok, 2, r1, r3);
	expect_ids(RISKS "?score_min=2&score_max=4", w.viewer_tok, 1, r2);
	expect_ids(RISKS "?stage=residual&score_max=4", w.viewer_tok, 1, r1);
	expect_ids(RISKS "?stage=inherent&score_min=9&score_max=9",
		   w.viewer_tok, 1, r2);
	expect_ids(fmt(RISKS "?owner_id=%s", w.editor), w.viewer_tok, 1, r1);
	expect_ids(fmt(RISKS "?asset_id=%s", a2), w.viewer_tok, 3, r2, r3, r4);
	expect_ids(RISKS "?treatment=retain", w.viewer_tok, 1, r2);
	expect_ids(RISKS "?status=assessed", w.viewer_tok, 2, r2, r3);
	expect_ids(RISKS "?status=closed", w.viewer_tok, 1, r5);
	expect_ids(RISKS "?overdue=true", w.viewer_tok, 1, r3);
	expect_ids(RISKS "?overdue=false", w.viewer_tok, 4, r1, r2, r4, r5);
	expect_ids(RISKS "?above_appetite=true", w.viewer_tok, 2, r1, r3);
	expect_ids(RISKS "?above_appetite=false", w.viewer_tok, 2, r2, r5);
	expect_ids(
		fmt(RISKS "?asset_id=%s&above_appetite=true&overdue=false", a1),
		w.viewer_tok, 1, r1);
	expect_ids(RISKS "?level=Purple", w.viewer_tok, 0);
	r = get_ok(fmt("%s/%s", RISKS, r3), w.viewer_tok);
	ck_assert(json_is_true(json_object_get(r->json, "review_overdue")));
	ck_assert_str_eq(str(r, "next_review"), day(-70));
	t_reply_free(r);

	/* keyset pages, in the order of creation */
	do {
		r = get_ok(cursor ? fmt(RISKS "?limit=2&cursor=%s", cursor)
				  : RISKS "?limit=2",
			   w.auditor_tok);
		pages++;
		if (pages == 1)
			ck_assert_str_eq(
				json_string_value(json_object_get(
					json_array_get(json_object_get(r->json,
								       "items"),
						       0),
					"id")),
				r1);
		seen += json_array_size(json_object_get(r->json, "items"));
		cursor = json_is_string(json_object_get(r->json, "next_cursor"))
				 ? member(r, "next_cursor")
				 : NULL;
		t_reply_free(r);
	} while (cursor != NULL && pages < 10);
	ck_assert_int_eq(pages, 3);
	ck_assert_int_eq(seen, 5);
	expect_ids(RISKS "?limit=200&status=assessed&treatment=modify",
		   w.viewer_tok, 0);

	/* query keys and values are whitelisted */
	{
		static const char *const bad[] = {
			"stage=future",
			"score_min=0",
			"score_min=50",
			"score_max=abc",
			"owner_id=xyz",
			"asset_id=1",
			"treatment=mitigate",
			"status=open",
			"overdue=yes",
			"above_appetite=1",
			"level=",
			"limit=0",
			"limit=201",
			"cursor=garbage",
			"severity=high",
			"level=High&level=Low",
			"sort=title",
		};

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			expect(req("GET", fmt(RISKS "?%s", bad[i]),
				   w.viewer_tok, NULL),
			       400);
	}
}
END_TEST

START_TEST(treatment_plans)
{
	struct world a, b;
	struct reply *r;
	char *asset_id, *id, *path, *plans, *tid, *tpath, *control, *foreign;
	const char *key = "Idempotency-Key: treatment-1";
	bool controls;

	world(&a, "plan-a");
	world(&b, "plan-b");
	asset_id = asset(&a, "ERP");
	id = assessed(&a, "ERP outage", asset_id, 3, 4, 3, 4);
	path = fmt("%s/%s", RISKS, id);
	plans = fmt("%s/treatments", path);
	/*
	 * control_ids name the tenant's controls; until the controls table
	 * exists they are stored unchecked.
	 */
	controls = strcmp(db(&a.t, "SELECT to_regclass('public.controls') IS "
				   "NOT NULL"),
			  "t") == 0;
	control = controls ? db(&a.t, "INSERT INTO controls (tenant_id, name) "
				      "VALUES (app_tenant_id(), 'Backups') "
				      "RETURNING id")
			   : fmt("%s", "11111111-1111-4111-8111-111111111111");
	foreign = controls ? db(&b.t, "INSERT INTO controls (tenant_id, name) "
				      "VALUES (app_tenant_id(), 'B backups') "
				      "RETURNING id")
			   : NULL;

	expect_ids(plans, a.viewer_tok, 0);
	r = req_h("POST", plans, a.editor_tok,
		  text(json_pack("{s:s, s:[s], s:s, s:s}", "action",
				 "Nightly backups with restore tests",
				 "control_ids", control, "owner_id", a.editor,
				 "due_date", day(-1))),
		  key);
	ck_assert_msg(r->status == 201, "%ld %s", r->status, body_of(r));
	tid = member(r, "id");
	tpath = fmt("%s/%s", plans, tid);
	ck_assert_str_eq(r->location, tpath);
	ck_assert_str_eq(r->etag, "\"1\"");
	ck_assert_str_eq(str(r, "status"), "planned");
	ck_assert_str_eq(str(r, "risk_id"), id);
	ck_assert(json_is_true(json_object_get(r->json, "overdue")));
	ck_assert(json_is_null(json_object_get(r->json, "completed_on")));
	ck_assert_str_eq(json_string_value(json_array_get(
				 json_object_get(r->json, "control_ids"), 0)),
			 control);
	t_reply_free(r);
	r = req_h("POST", plans, a.editor_tok,
		  text(json_pack("{s:s, s:[s], s:s, s:s}", "action",
				 "Nightly backups with restore tests",
				 "control_ids", control, "owner_id", a.editor,
				 "due_date", day(-1))),
		  key);
	ck_assert_int_eq(r->status, 201);
	ck_assert_str_eq(member(r, "id"), tid);
	t_reply_free(r);

	expect_invalid(req("POST", plans, a.editor_tok, "{}"), "action",
		       "action missing");
	expect_invalid(
		req("POST", plans, a.editor_tok,
		    text(json_pack("{s:s}", "action", fmt("%02001d", 0)))),
		"action", "action too long");
	expect_invalid(req("POST", plans, a.editor_tok,
			   "{\"action\": \"x\", \"status\": \"finished\"}"),
		       "status", "status");
	expect_invalid(req("POST", plans, a.editor_tok,
			   "{\"action\": \"x\", \"due_date\": \"2024-02-30\"}"),
		       "due_date", "due date");
	expect_invalid(req("POST", plans, a.editor_tok,
			   "{\"action\": \"x\", \"control_ids\": [\"x\"]}"),
		       "control_ids[0]", "control id");
	expect_invalid(req("POST", plans, a.editor_tok,
			   text(json_pack("{s:s, s:s}", "action", "x",
					  "owner_id", b.editor))),
		       "owner_id", "another tenant's member");
	expect_invalid(req("POST", plans, a.editor_tok,
			   "{\"action\": \"x\", \"completed_on\": "
			   "\"2024-01-01\"}"),
		       "completed_on", "read-only");
	if (foreign != NULL)
		expect_invalid(req("POST", plans, a.editor_tok,
				   text(json_pack("{s:s, s:[s]}", "action", "x",
						  "control_ids", foreign))),
			       "control_ids[0]", "another tenant's control");
	expect(req("POST", plans, a.viewer_tok, "{\"action\": \"x\"}"), 403);
	expect(req("POST", RISKS "/" NO_SUCH_ID "/treatments", a.editor_tok,
		   "{\"action\": \"x\"}"),
	       404);
	ck_assert_str_eq(db(&a.t, "SELECT count(*) FROM risk_treatments"), "1");

	expect_ids(plans, a.auditor_tok, 1, tid);
	r = get_ok(tpath, a.viewer_tok);
	ck_assert_str_eq(r->etag, "\"1\"");
	t_reply_free(r);
	r = req_h("PATCH", tpath, a.editor_tok, "{\"status\": \"done\"}",
		  "If-Match: \"1\"");
	ck_assert_msg(r->status == 200, "%ld %s", r->status, body_of(r));
	ck_assert_str_eq(str(r, "completed_on"), day(0));
	ck_assert(json_is_false(json_object_get(r->json, "overdue")));
	ck_assert_str_eq(r->etag, "\"2\"");
	t_reply_free(r);
	expect(req_h("PATCH", tpath, a.editor_tok, "{\"status\": \"planned\"}",
		     "If-Match: \"1\""),
	       412);
	r = patch_ok(tpath, a.editor_tok,
		     "{\"control_ids\": [], \"due_date\": null}");
	ck_assert_int_eq(
		json_array_size(json_object_get(r->json, "control_ids")), 0);
	ck_assert_str_eq(str(r, "action"),
			 "Nightly backups with restore tests");
	t_reply_free(r);
	ck_assert_str_eq(db(&a.t, "SELECT count(*) FROM "
				  "risk_treatment_controls"),
			 "0");
	expect(req("GET", fmt("%s/treatments/not-a-uuid", path), a.viewer_tok,
		   NULL),
	       404);
	expect(req("GET", RISKS "/" NO_SUCH_ID "/treatments/" NO_SUCH_ID,
		   a.viewer_tok, NULL),
	       404);
	expect(req("PATCH", tpath, a.viewer_tok, "{\"status\": \"done\"}"),
	       403);
	expect(req("DELETE", tpath, a.auditor_tok, NULL), 403);
	expect(req_h("DELETE", tpath, a.editor_tok, NULL, "If-Match: \"1\""),
	       412);
	expect(req("DELETE", tpath, a.editor_tok, NULL), 204);
	expect(req("GET", tpath, a.viewer_tok, NULL), 404);
	expect(req("DELETE", tpath, a.editor_tok, NULL), 404);
	expect_ids(plans, a.viewer_tok, 0);
}
END_TEST

START_TEST(acceptance_four_eyes_and_expiry)
{
	struct world w;
	struct reply *r;
	char *a, *id, *path, *other, *opath, *fresh, *ask, *decide;

	world(&w, "accept");
	a = asset(&w, "Legacy ERP");
	id = assessed(&w, "Unsupported ERP", a, 4, 4, 3, 4);
	path = fmt("%s/%s", RISKS, id);
	ask = fmt("%s/acceptance", path);
	decide = fmt("%s/acceptance/decision", path);
	expect_ids(ask, w.viewer_tok, 0);

	expect(req("POST", ask, w.viewer_tok, "{\"justification\": \"x\"}"),
	       403);
	expect_invalid(req("POST", ask, w.editor_tok, "{}"), "justification",
		       "justification missing");
	expect_invalid(req("POST", ask, w.editor_tok,
			   "{\"justification\": \"x\", \"expires_at\": "
			   "\"2030-01-01T00:00:00Z\"}"),
		       "expires_at", "a requester sets no expiry");
	fresh = risk(&w, json_pack("{s:s, s:[s]}", "title", "Not assessed",
				   "asset_ids", a));
	expect(req("POST", fmt("%s/%s/acceptance", RISKS, fresh), w.editor_tok,
		   "{\"justification\": \"x\"}"),
	       409);

	/* an admin asks; the same admin may not decide */
	r = req_h("POST", ask, w.admin_tok,
		  "{\"justification\": \"Replacement planned next year.\"}",
		  "Idempotency-Key: accept-1");
	ck_assert_msg(r->status == 201, "%ld %s", r->status, body_of(r));
	ck_assert_str_eq(str(r, "state"), "pending");
	ck_assert_str_eq(str(r, "requested_by"), w.t.admin_id);
	t_reply_free(r);
	expect(req("POST", ask, w.editor_tok, "{\"justification\": \"again\"}"),
	       409);
	expect(req("POST", decide, w.admin_tok,
		   text(json_pack("{s:s, s:s, s:s}", "decision", "approved",
				  "justification", "Self-approved",
				  "expires_at", timestamp(86400)))),
	       403);
	expect(req("POST", decide, w.editor_tok,
		   text(json_pack("{s:s, s:s, s:s}", "decision", "approved",
				  "justification", "Not an admin", "expires_at",
				  timestamp(86400)))),
	       403);
	expect_invalid(req("POST", decide, w.admin2_tok,
			   "{\"decision\": \"approved\", \"justification\": "
			   "\"ok\"}"),
		       "expires_at", "an approval without expiry");
	expect_invalid(req("POST", decide, w.admin2_tok,
			   text(json_pack("{s:s, s:s, s:s}", "decision",
					  "rejected", "justification", "no",
					  "expires_at", timestamp(86400)))),
		       "expires_at", "a rejection with expiry");
	expect_invalid(req("POST", decide, w.admin2_tok,
			   text(json_pack("{s:s, s:s, s:s}", "decision",
					  "approved", "justification", "ok",
					  "expires_at", timestamp(-60)))),
		       "expires_at", "an expiry in the past");
	expect_invalid(
		req("POST", decide, w.admin2_tok,
		    text(json_pack("{s:s, s:s, s:s}", "decision", "approved",
				   "justification", "ok", "expires_at",
				   timestamp(4L * 366 * 86400)))),
		"expires_at", "an expiry beyond three years");
	expect_invalid(req("POST", decide, w.admin2_tok,
			   "{\"decision\": \"maybe\", \"justification\": "
			   "\"ok\"}"),
		       "decision", "decision");
	expect_invalid(req("POST", decide, w.admin2_tok,
			   "{\"decision\": \"rejected\"}"),
		       "justification", "decision justification");
	ck_assert_str_eq(db(&w.t, "SELECT coalesce(decision, 'pending') FROM "
				  "risk_acceptances"),
			 "pending");
	ck_assert_str_eq(
		db(&w.t, "SELECT status FROM risks WHERE id = '%s'", id),
		"assessed");

	/* another admin approves, with an expiry */
	r = req("POST", decide, w.admin2_tok,
		text(json_pack("{s:s, s:s, s:s}", "decision", "approved",
			       "justification",
			       "Compensating monitoring is in place.",
			       "expires_at", timestamp(10 * 86400))));
	ck_assert_msg(r->status == 200, "%ld %s", r->status, body_of(r));
	ck_assert_str_eq(str(r, "state"), "approved");
	ck_assert_str_eq(str(r, "decided_by"), w.admin2);
	t_reply_free(r);
	r = get_ok(path, w.viewer_tok);
	ck_assert_str_eq(str(r, "status"), "accepted");
	ck_assert_str_eq(
		json_string_value(json_object_get(
			json_object_get(r->json, "acceptance"), "state")),
		"approved");
	ck_assert_str_eq(str(r, "next_review"), day(10));
	t_reply_free(r);
	/* a decision is final */
	expect(req("POST", decide, w.admin2_tok,
		   "{\"decision\": \"rejected\", \"justification\": \"no\"}"),
	       409);
	expect(req("PATCH", path, w.editor_tok,
		   "{\"status\": \"treatment_planned\"}"),
	       409);
	expect_ids(RISKS "?status=accepted", w.viewer_tok, 1, id);

	/* a rejection leaves the risk as it was; a new request may follow */
	other = assessed(&w, "Shared admin account", a, 3, 3, 3, 3);
	opath = fmt("%s/%s", RISKS, other);
	r = req("POST", fmt("%s/acceptance", opath), w.editor_tok,
		"{\"justification\": \"Only two admins.\"}");
	ck_assert_int_eq(r->status, 201);
	t_reply_free(r);
	r = req("POST", fmt("%s/acceptance/decision", opath), w.admin_tok,
		"{\"decision\": \"rejected\", \"justification\": \"Use "
		"personal accounts.\"}");
	ck_assert_msg(r->status == 200, "%ld %s", r->status, body_of(r));
	ck_assert_str_eq(str(r, "state"), "rejected");
	t_reply_free(r);
	expect(req("POST", fmt("%s/acceptance/decision", opath), w.admin2_tok,
		   "{\"decision\": \"rejected\", \"justification\": \"x\"}"),
	       409);
	r = get_ok(opath, w.viewer_tok);
	ck_assert_str_eq(str(r, "status"), "assessed");
	t_reply_free(r);
	expect(req("POST", fmt("%s/acceptance", opath), w.editor_tok,
		   "{\"justification\": \"Reconsider.\"}"),
	       201);
	r = get_ok(fmt("%s/acceptance", opath), w.auditor_tok);
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 2);
	ck_assert_str_eq(
		json_string_value(json_object_get(
			json_array_get(json_object_get(r->json, "items"), 0),
			"state")),
		"rejected");
	t_reply_free(r);

	/*
	 * The approval expires: moved into the past by hand, as if 40 days
	 * had gone by (a decided acceptance is final, even for the owner,
	 * unless its trigger is switched off).
	 */
	t_db_exec(w.t.id,
		  fmt("DO $$ BEGIN"
		      " ALTER TABLE risk_acceptances DISABLE TRIGGER final;"
		      " UPDATE risk_acceptances"
		      "  SET requested_at = now() - interval '40 days',"
		      "  decided_at = now() - interval '35 days',"
		      "  expires_at = now() - interval '5 days'"
		      "  WHERE risk_id = '%s' AND decision = 'approved';"
		      " ALTER TABLE risk_acceptances ENABLE TRIGGER final;"
		      " UPDATE risks"
		      "  SET acceptance_expires_at = now() - interval '5 days',"
		      "  last_reviewed_on = current_date - 40 WHERE id = '%s';"
		      " END $$",
		      id, id));
	/* every reader sees it back to assessed and due for review */
	r = get_ok(path, w.auditor_tok);
	ck_assert_str_eq(str(r, "status"), "assessed");
	ck_assert_str_eq(
		json_string_value(json_object_get(
			json_object_get(r->json, "acceptance"), "state")),
		"expired");
	ck_assert(json_is_true(json_object_get(r->json, "review_overdue")));
	ck_assert_str_eq(str(r, "next_review"), day(-5));
	t_reply_free(r);
	expect_ids(RISKS "?status=accepted", w.viewer_tok, 0);
	expect_ids(RISKS "?status=assessed", w.viewer_tok, 2, id, other);
	expect_ids(RISKS "?overdue=true", w.viewer_tok, 1, id);
	ck_assert_str_eq(
		db(&w.t, "SELECT status FROM risks WHERE id = '%s'", id),
		"accepted");
	/* the next write of the register persists it, on the record */
	t_reply_free(
		patch_ok(opath, w.editor_tok, "{\"category\": \"Access\"}"));
	ck_assert_str_eq(
		db(&w.t, "SELECT status FROM risks WHERE id = '%s'", id),
		"assessed");
	ck_assert_str_eq(
		db(&w.t,
		   "SELECT count(*) FROM activity_log WHERE tenant_id = "
		   "app_tenant_id() AND entity "
		   "= 'risks' AND entity_id = '%s' AND before ->> "
		   "'status' = 'accepted' AND after ->> 'status' = "
		   "'assessed' AND actor_id = '%s'",
		   id, w.editor),
		"1");
	ck_assert_str_eq(
		db(&w.t, "SELECT count(*) FILTER (WHERE action = 'create')"
			 " || ',' || count(*) FILTER (WHERE action = "
			 "'update' AND after ->> 'decision' IS NOT NULL "
			 "AND before ->> 'decision' IS NULL) FROM "
			 "activity_log WHERE tenant_id = app_tenant_id() AND "
			 "entity = 'risk_acceptances'"),
		"3,2");
	/* reviewed again, it may be accepted again */
	expect(req("POST", ask, w.editor_tok,
		   "{\"justification\": \"Still no replacement.\"}"),
	       201);
}
END_TEST

/* The heat map's cell at (l, i). */
static const json_t *
cell_at(const struct reply *r, json_int_t l, json_int_t i)
{
	const json_t *c;
	size_t k;

	json_array_foreach (json_object_get(r->json, "cells"), k, c) {
		if (number(c, "likelihood") == l && number(c, "impact") == i)
			return c;
	}
	ck_abort_msg("no cell (%lld, %lld)", (long long)l, (long long)i);
	return NULL;
}

static struct reply *
heatmap_as(const char *path, const char *tok, const char *accept)
{
	char header[128];

	snprintf(header, sizeof(header), "Accept: %s", accept);
	return req_h("GET", path, tok, NULL, header);
}

START_TEST(heat_map_counts_and_picture)
{
	struct world w;
	struct reply *r;
	const json_t *c, *cells;
	json_int_t sum = 0;
	json_t *m, *levels, *grid, *row, *v;
	char *a, *gone, *flood;
	size_t k, j;

	world(&w, "heat");
	a = asset(&w, "Data centre");
	assessed(&w, "Cooling failure", a, 4, 5, 3, 4);
	assessed(&w, "Power failure", a, 4, 5, 3, 4);
	flood = assessed(&w, "Flood", a, 5, 5, 5, 5);
	gone = assessed(&w, "Closed one", a, 1, 1, 1, 1);
	t_reply_free(patch_ok(fmt("%s/%s", RISKS, gone), w.editor_tok,
			      "{\"status\": \"closed\"}"));
	risk(&w,
	     json_pack("{s:s, s:[s]}", "title", "Unassessed", "asset_ids", a));

	r = get_ok(HEATMAP, w.viewer_tok);
	ck_assert_str_eq(str(r, "stage"), "current");
	cells = json_object_get(r->json, "cells");
	ck_assert_int_eq(json_array_size(cells), 25);
	json_array_foreach (cells, k, c)
		sum += number(c, "count");
	ck_assert_int_eq(sum, 3);
	ck_assert_int_eq(number(r->json, "total"), 3);
	ck_assert_int_eq(number(r->json, "not_assessed"), 1);
	c = cell_at(r, 3, 4);
	ck_assert_int_eq(number(c, "count"), 2);
	ck_assert_str_eq(json_string_value(json_object_get(c, "level")),
			 "High");
	ck_assert_str_eq(json_string_value(json_object_get(c, "colour")),
			 "#ef6c00");
	ck_assert_int_eq(number(cell_at(r, 5, 5), "count"), 1);
	ck_assert_str_eq(
		json_string_value(json_object_get(cell_at(r, 5, 5), "level")),
		"Very high");
	ck_assert_int_eq(number(cell_at(r, 1, 1), "count"), 0);
	ck_assert_int_eq(
		json_array_size(json_object_get(r->json, "likelihood_levels")),
		5);
	t_reply_free(r);
	r = get_ok(HEATMAP "?stage=inherent", w.auditor_tok);
	ck_assert_int_eq(number(cell_at(r, 4, 5), "count"), 2);
	ck_assert_int_eq(number(cell_at(r, 5, 5), "count"), 1);
	ck_assert_int_eq(number(cell_at(r, 3, 4), "count"), 0);
	t_reply_free(r);
	r = get_ok(HEATMAP "?stage=residual", w.viewer_tok);
	ck_assert_int_eq(number(r->json, "total"), 0);
	ck_assert_int_eq(number(r->json, "not_assessed"), 4);
	t_reply_free(r);
	expect(req("GET", HEATMAP "?stage=target", w.viewer_tok, NULL), 400);
	expect(req("GET", HEATMAP "?format=svg", w.viewer_tok, NULL), 400);

	/* the picture */
	r = heatmap_as(HEATMAP, w.viewer_tok, "image/svg+xml");
	ck_assert_int_eq(r->status, 200);
	ck_assert_msg(strncmp(r->content_type, "image/svg+xml", 13) == 0, "%s",
		      r->content_type);
	ck_assert_msg(strncmp(body_of(r), "<svg xmlns=", 11) == 0, "%.200s",
		      body_of(r));
	ck_assert(strstr(body_of(r), ">2</text>") != NULL);
	ck_assert(strstr(body_of(r), "fill=\"#ef6c00\"") != NULL);
	ck_assert(strstr(body_of(r), "Almost certain") != NULL);
	ck_assert(strstr(body_of(r), "<script") == NULL);
	ck_assert(strstr(body_of(r), "</svg>") != NULL);
	t_reply_free(r);
	r = heatmap_as(HEATMAP "?stage=inherent", w.auditor_tok, "image/*");
	ck_assert_msg(strncmp(r->content_type, "image/svg+xml", 13) == 0, "%s",
		      r->content_type);
	t_reply_free(r);
	r = heatmap_as(HEATMAP, w.viewer_tok,
		       "application/json, image/svg+xml;q=0.5");
	ck_assert_msg(r->status == 200 && r->json != NULL, "%s",
		      r->content_type);
	t_reply_free(r);
	r = heatmap_as(HEATMAP, w.viewer_tok, "*/*");
	ck_assert_msg(r->status == 200 && r->json != NULL, "%s",
		      r->content_type);
	t_reply_free(r);
	expect(heatmap_as(HEATMAP, w.viewer_tok, "text/html"), 406);
	expect(heatmap_as(HEATMAP, w.viewer_tok, "image/svg+xml;q=0"), 406);

	/* names are tenant data: the picture escapes them */
	r = get_ok(MATRIX, w.admin_tok);
	m = json_deep_copy(r->json);
	t_reply_free(r);
	json_object_del(m, "version");
	json_object_del(m, "created_at");
	json_object_del(m, "updated_at");
	json_object_del(m, "updated_by");
	levels = json_object_get(m, "risk_levels");
	json_object_set_new(json_array_get(levels, 3), "name",
			    json_string("R&D <b>high</b>"));
	json_object_set_new(
		json_array_get(json_object_get(m, "likelihood_levels"), 4),
		"name", json_string("\"Often\""));
	grid = json_object_get(m, "grid");
	json_array_foreach (grid, k, row) {
		json_array_foreach (row, j, v) {
			if (strcmp(json_string_value(v), "Very high") == 0)
				json_array_set_new(
					row, j, json_string("R&D <b>high</b>"));
		}
	}
	r = req("PUT", MATRIX, w.admin_tok, text(m));
	ck_assert_msg(r->status == 200, "%ld %s", r->status, body_of(r));
	ck_assert_int_eq(number(r->json, "risks_reevaluated"), 3);
	t_reply_free(r);
	r = heatmap_as(HEATMAP, w.viewer_tok, "image/svg+xml");
	ck_assert_int_eq(r->status, 200);
	ck_assert(strstr(body_of(r), "R&amp;D &lt;b&gt;high&lt;/b&gt;") !=
		  NULL);
	ck_assert(strstr(body_of(r), "&quot;Often&quot;") != NULL);
	ck_assert(strstr(body_of(r), "<b>") == NULL);
	t_reply_free(r);
	/* the levels were renamed with the grid: filters use the new name */
	expect_ids(RISKS "?level=R%26D%20%3Cb%3Ehigh%3C%2Fb%3E", w.viewer_tok,
		   1, flood);
}
END_TEST

enum {
	R_ADMIN = 1,
	R_EDITOR = 2,
	R_VIEWER = 4,
	R_AUDITOR = 8,
	R_READ = 15,
	R_WRITE = 3,
};

/* Placeholders in paths and bodies: {r} {r2} {t} {th} {v} {role} {a}. */
static const struct {
	const char *method;
	const char *path;
	const char *body;
	unsigned roles;
} matrix[] = {
	{"GET", MATRIX, NULL, R_READ},
	{"PUT", MATRIX, "{matrix}", R_ADMIN},
	{"GET", THREATS, NULL, R_READ},
	{"POST", THREATS,
	 "{\"name\": \"{role} threat\", \"category\": \"natural_events\"}",
	 R_WRITE},
	{"GET", THREATS "/{th}", NULL, R_READ},
	{"PATCH", THREATS "/{th}", "{\"description\": \"by {role}\"}", R_WRITE},
	{"DELETE", THREATS "/{th}", NULL, R_WRITE},
	{"GET", VULNS, NULL, R_READ},
	{"POST", VULNS,
	 "{\"name\": \"{role} weakness\", \"category\": \"site\"}", R_WRITE},
	{"GET", VULNS "/{v}", NULL, R_READ},
	{"PATCH", VULNS "/{v}", "{\"description\": \"by {role}\"}", R_WRITE},
	{"DELETE", VULNS "/{v}", NULL, R_WRITE},
	{"GET", RISKS, NULL, R_READ},
	{"POST", RISKS,
	 "{\"title\": \"{role} risk\", \"asset_ids\": [\"{a}\"]}", R_WRITE},
	{"GET", HEATMAP, NULL, R_READ},
	{"GET", RISKS "/{r}", NULL, R_READ},
	{"PATCH", RISKS "/{r}", "{\"description\": \"by {role}\"}", R_WRITE},
	{"GET", RISKS "/{r}/treatments", NULL, R_READ},
	{"POST", RISKS "/{r}/treatments", "{\"action\": \"{role} action\"}",
	 R_WRITE},
	{"GET", RISKS "/{r}/treatments/{t}", NULL, R_READ},
	{"PATCH", RISKS "/{r}/treatments/{t}", "{\"status\": \"in_progress\"}",
	 R_WRITE},
	{"DELETE", RISKS "/{r}/treatments/{t}", NULL, R_WRITE},
	{"GET", RISKS "/{r}/acceptance", NULL, R_READ},
	{"POST", RISKS "/{r}/acceptance", "{\"justification\": \"{role}\"}",
	 R_WRITE},
	{"POST", RISKS "/{r}/acceptance/decision",
	 "{\"decision\": \"rejected\", \"justification\": \"{role}\"}",
	 R_ADMIN},
	{"DELETE", RISKS "/{r2}", NULL, R_ADMIN},
};

/* s with every {name} replaced by its value (kept). */
static char *
expand(const char *s, const char *const *names, const char *const *values,
       size_t n)
{
	char *out = t_keep(strdup(s)), *at, *next;
	size_t i, len;

	for (i = 0; i < n; i++) {
		len = strlen(names[i]);
		while ((at = strstr(out, names[i])) != NULL) {
			*at = '\0';
			next = fmt("%s%s%s", out, values[i], at + len);
			out = next;
		}
	}
	return out;
}

#define ROLE_STATE                                                             \
	"SELECT concat_ws(',', (SELECT count(*) FROM risks),"                  \
	" (SELECT sum(version) FROM risks),"                                   \
	" (SELECT count(*) FROM risk_treatments),"                             \
	" (SELECT sum(version) FROM risk_treatments),"                         \
	" (SELECT count(*) FROM risk_acceptances),"                            \
	" (SELECT sum(version) FROM risk_acceptances),"                        \
	" (SELECT version FROM risk_matrices),"                                \
	" (SELECT count(*) FROM risk_catalog WHERE tenant_id IS NOT NULL),"    \
	" (SELECT sum(version) FROM risk_catalog WHERE tenant_id IS NOT"       \
	" NULL))"

START_TEST(every_route_admits_exactly_its_roles)
{
	static const struct {
		const char *name;
		unsigned bit;
	} roles[] = {
		/* admin last: its allowed writes come after the refusals */
		{"viewer", R_VIEWER},
		{"auditor", R_AUDITOR},
		{"editor", R_EDITOR},
		{"admin", R_ADMIN},
	};
	static const char *const names[] = {"{r2}", "{r}",     "{t}",
					    "{th}", "{v}",     "{role}",
					    "{a}",  "{matrix}"};
	const char *values[8];
	struct world w;
	struct reply *r;
	char fails[8192] = "", *state, *after, *path, *body, *a;
	const char *tok;
	json_t *m;
	size_t i, k;
	bool allowed;

	world(&w, "roles");
	a = asset(&w, "Role asset");
	values[1] = assessed(&w, "Role risk", a, 3, 3, 3, 3);
	values[0] = assessed(&w, "Doomed risk", a, 1, 1, 1, 1);
	r = req("POST", fmt("%s/%s/treatments", RISKS, values[1]), w.editor_tok,
		"{\"action\": \"Target action\"}");
	ck_assert_int_eq(r->status, 201);
	values[2] = member(r, "id");
	t_reply_free(r);
	r = req("POST", THREATS, w.editor_tok,
		"{\"name\": \"Target threat\", \"category\": "
		"\"natural_events\"}");
	ck_assert_int_eq(r->status, 201);
	values[3] = member(r, "id");
	t_reply_free(r);
	r = req("POST", VULNS, w.editor_tok,
		"{\"name\": \"Target weakness\", \"category\": \"site\"}");
	ck_assert_int_eq(r->status, 201);
	values[4] = member(r, "id");
	t_reply_free(r);
	values[6] = a;
	r = get_ok(MATRIX, w.admin_tok);
	m = json_deep_copy(r->json);
	t_reply_free(r);
	json_object_del(m, "version");
	json_object_del(m, "created_at");
	json_object_del(m, "updated_at");
	json_object_del(m, "updated_by");
	values[7] = text(m);
	state = db(&w.t, ROLE_STATE);

	for (k = 0; k < sizeof(roles) / sizeof(roles[0]); k++) {
		if (roles[k].bit == R_EDITOR) {
			/* nothing the read-only roles tried changed a thing */
			after = db(&w.t, ROLE_STATE);
			if (strcmp(after, state) != 0)
				snprintf(fails + strlen(fails),
					 sizeof(fails) - strlen(fails),
					 "refused requests changed the "
					 "database:\n  %s\n  %s\n",
					 state, after);
		}
		values[5] = roles[k].name;
		tok = roles[k].bit == R_ADMIN    ? w.admin_tok
		      : roles[k].bit == R_EDITOR ? w.editor_tok
		      : roles[k].bit == R_VIEWER ? w.viewer_tok
						 : w.auditor_tok;
		for (i = 0; i < sizeof(matrix) / sizeof(matrix[0]); i++) {
			path = expand(matrix[i].path, names, values, 8);
			body = matrix[i].body ? expand(matrix[i].body, names,
						       values, 8)
					      : NULL;
			r = req(matrix[i].method, path, tok, body);
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
	}
	ck_assert_msg(fails[0] == '\0', "role matrix:\n%s", fails);
	/* the allowed writes did land */
	ck_assert_str_eq(db(&w.t, "SELECT string_agg(name, ',' ORDER BY name) "
				  "FROM risk_catalog WHERE tenant_id IS NOT "
				  "NULL"),
			 "admin threat,admin weakness,editor threat,editor "
			 "weakness");
	ck_assert_str_eq(db(&w.t, "SELECT string_agg(title, ',' ORDER BY "
				  "lower(title)) FROM risks"),
			 "admin risk,editor risk,Role risk");
	ck_assert_str_eq(db(&w.t, "SELECT string_agg(decision || ':' || "
				  "justification, ',') FROM "
				  "risk_acceptances"),
			 "rejected:editor");
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("risks");
	TCase *tc = tcase_create("risks");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, matrix_default_and_validation);
	tcase_add_test(tc, scores_follow_the_matrix_and_its_changes);
	tcase_add_test(tc, catalogs_global_and_own);
	tcase_add_test(tc, risks_crud_and_validation);
	tcase_add_test(tc, tenants_never_meet);
	tcase_add_test(tc, status_transitions);
	tcase_add_test(tc, list_filters_and_paging);
	tcase_add_test(tc, treatment_plans);
	tcase_add_test(tc, acceptance_four_eyes_and_expiry);
	tcase_add_test(tc, heat_map_counts_and_picture);
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
