/*
 * Audits through the real stack: every field's validation, the status
 * transitions, the checklist generated from the scope, findings and the
 * closing rule of clause 10.2, corrective actions and their
 * verification, the frozen baseline that later edits do not reach, the
 * report as JSON and as a printable page, the certification programme,
 * the activity log (filters, paging, a row altered in the database and
 * found by verify, tenants that do not wait for each other), the
 * auditors' engagement scope, other tenants' ids everywhere, and the role
 * matrix of every route.
 */
#include <check.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"

#define AUDITS "/api/v1/audits"
#define NIL_ID "3f9a2c4e-8b1d-4e6f-9a7b-2c5d8e1f4a6b"

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

static int
names_field(const struct reply *r, const char *field)
{
	const json_t *e;
	size_t i;

	json_array_foreach (json_object_get(r->json, "errors"), i, e) {
		if (strcmp(json_string_value(json_object_get(e, "field")),
			   field) == 0)
			return 1;
	}
	return 0;
}

/* Expects a 422 naming field, for the body. */
static void
invalid(const char *method, const char *path, const char *tok, const char *body,
	const char *field)
{
	struct reply *r = t_json(method, path, tok, body);

	ck_assert_msg(r->status == 422 && names_field(r, field),
		      "%s %s: expected 422 naming %s, got %ld: %.400s", method,
		      body, field, r->status, r->body ? r->body : "");
	expect(r, 422);
}

/* Expects a 409 whose detail contains text. */
static void
conflict(struct reply *r, const char *text)
{
	const char *detail =
		json_string_value(json_object_get(r->json, "detail"));

	ck_assert_msg(r->status == 409 && detail && strstr(detail, text),
		      "expected 409 with '%s', got %ld: %.400s", text,
		      r->status, r->body ? r->body : "");
	expect(r, 409);
}

static const char *
str(const struct reply *r, const char *key)
{
	return json_string_value(json_object_get(r->json, key));
}

static long
num(const json_t *obj, const char *key)
{
	return (long)json_integer_value(json_object_get(obj, key));
}

/* Sends and expects status; returns the id of the answer (kept). */
static char *
call_id(const char *method, const char *path, const char *tok, const char *body,
	long status)
{
	struct reply *r = t_json(method, path, tok, body);
	char *id;

	ck_assert_msg(r->status == status, "%s %s %s: %ld %.400s", method, path,
		      body ? body : "", r->status, r->body);
	id = t_keep(strdup(str(r, "id") ? str(r, "id") : ""));
	t_reply_free(r);
	return id;
}

static char *
create_audit(const char *tok, const char *body)
{
	return call_id("POST", AUDITS, tok, body, 201);
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

/* The ids of a list's items, joined with commas (kept). */
static char *
item_ids(const struct reply *r)
{
	const json_t *item;
	size_t i, n = 0;
	char *out = calloc(1, 40 * 210);

	ck_assert_ptr_nonnull(out);
	json_array_foreach (json_object_get(r->json, "items"), i, item) {
		n += (size_t)sprintf(
			out + n, "%s%s", i ? "," : "",
			json_string_value(json_object_get(item, "id")));
	}
	return t_keep(out);
}

static size_t
item_count(const struct reply *r)
{
	return json_array_size(json_object_get(r->json, "items"));
}

/* An audit started with lead as its lead auditor; returns its id. */
static char *
started_audit(const char *tok, const char *lead, const char *extra)
{
	char *id = create_audit(
		tok, fmt("{\"type\": \"internal\", \"title\": \"Started\", "
			 "\"lead_auditor_id\": \"%s\"%s%s}",
			 lead, extra ? ", " : "", extra ? extra : ""));

	expect(t_json("PATCH", fmt(AUDITS "/%s", id), tok,
		      "{\"status\": \"in_progress\"}"),
	       200);
	return id;
}

/* The id of the checklist item of audit for requirement ref (kept). */
static char *
item_of(const char *tenant, const char *audit, const char *ref)
{
	return t_keep(strdup(t_db_value(
		tenant, fmt("SELECT i.id FROM audit_checklist_items i JOIN "
			    "requirements q ON q.id = i.requirement_id WHERE "
			    "i.audit_id = '%s' AND q.ref = '%s'",
			    audit, ref))));
}

/* A link piece of evidence of the tenant, written as its owner would. */
static char *
evidence_create(const char *tenant, const char *title)
{
	return t_keep(strdup(t_db_value(
		tenant, fmt("INSERT INTO evidence (tenant_id, title, kind, url)"
			    " VALUES (current_setting('app.tenant_id')::uuid,"
			    " '%s', 'link', 'https://docs.example/%s')"
			    " RETURNING id",
			    title, title))));
}

/* A finding of audit with an effective corrective action, closed. */
static void
close_with_effective_action(const char *tok, const char *verifier_tok,
			    const char *owner, const char *finding)
{
	char *ca = call_id(
		"POST", fmt("/api/v1/findings/%s/corrective-actions", finding),
		tok,
		fmt("{\"action\": \"Fix it\", \"owner_id\": \"%s\", "
		    "\"status\": \"done\"}",
		    owner),
		201);

	expect(t_json("PATCH", fmt("/api/v1/corrective-actions/%s", ca),
		      verifier_tok, "{\"verification_result\": \"effective\"}"),
	       200);
	expect(t_json("PATCH", fmt("/api/v1/findings/%s", finding), tok,
		      "{\"status\": \"closed\"}"),
	       200);
}

/* ---- audits: create, read, every field ---- */

START_TEST(create_and_read_every_field)
{
	struct t_tenant a;
	char member[37], auditor[37], *tok, *id, *asset, *body;
	struct reply *r;
	json_t *team;

	t_tenant_create(&a, "au-full");
	tok = t_token(a.id, a.admin_id, "admin");
	t_member_create(&a, "editor", member);
	t_member_create(&a, "auditor", auditor);
	asset = t_keep(strdup(t_db_value(
		a.id, "INSERT INTO assets (tenant_id, name, type) VALUES "
		      "(current_setting('app.tenant_id')::uuid, 'CRM', "
		      "'software') RETURNING id")));
	body = fmt("{\"type\": \"stage2\", \"title\": \"Stage 2 audit\", "
		   "\"description\": \"On site\\nday 1 and 2\", "
		   "\"scope_clauses\": [\"9\", \"10\"], \"scope_controls\": "
		   "[\"A.5.15\", \"A.8\"], \"scope_asset_ids\": [\"%s\"], "
		   "\"planned_start\": \"2027-03-01\", \"planned_end\": "
		   "\"2027-03-02\", \"due_by\": \"2027-03-31\", "
		   "\"lead_auditor_id\": \"%s\", \"team_member_ids\": "
		   "[\"%s\", \"%s\"]}",
		   asset, a.admin_id, member, auditor);
	r = t_json("POST", AUDITS, tok, body);
	ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
	id = t_keep(strdup(str(r, "id")));
	ck_assert_str_eq(r->etag, "\"1\"");
	ck_assert_str_eq(r->location, fmt(AUDITS "/%s", id));
	ck_assert_str_eq(str(r, "status"), "planned");
	ck_assert_str_eq(str(r, "lead_auditor_id"), a.admin_id);
	ck_assert_str_eq(str(r, "description"), "On site\nday 1 and 2");
	ck_assert_str_eq(str(r, "planned_start"), "2027-03-01");
	ck_assert_str_eq(str(r, "due_by"), "2027-03-31");
	ck_assert(json_is_null(json_object_get(r->json, "actual_start")));
	ck_assert(json_is_false(json_object_get(r->json, "cancelled")));
	ck_assert(json_is_null(json_object_get(r->json, "baseline_taken_at")));
	ck_assert_int_eq(
		json_array_size(json_object_get(r->json, "team_member_ids")),
		2);
	team = json_object_get(r->json, "team");
	ck_assert_int_eq(json_array_size(team), 3);
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(team, 0), "role")),
			 "lead");
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(team, 0), "membership_role")),
			 "admin");
	ck_assert_str_eq(
		json_string_value(json_array_get(
			json_object_get(r->json, "scope_asset_ids"), 0)),
		asset);
	ck_assert_str_eq(
		json_string_value(json_array_get(
			json_object_get(r->json, "allowed_transitions"), 0)),
		"in_progress");
	/* 9 (6 leaf clauses) + 10 (2), A.5.15 + A.8 (34): 43 items */
	ck_assert_int_eq(num(json_object_get(r->json, "checklist"), "total"),
			 43);
	t_reply_free(r);

	r = t_json("GET", fmt(AUDITS "/%s", id), tok, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(r->etag, "\"1\"");
	ck_assert_str_eq(str(r, "title"), "Stage 2 audit");
	t_reply_free(r);
	ck_assert_int_eq(db_count(a.id, fmt("SELECT count(*) FROM "
					    "activity_log WHERE entity = "
					    "'audits' AND entity_id = '%s' AND "
					    "action = 'create'",
					    id)),
			 1);

	/* Defaults: the whole standard, no team, no dates. */
	r = t_json("POST", AUDITS, tok,
		   "{\"type\": \"internal\", \"title\": \"Minimal\"}");
	ck_assert_int_eq(r->status, 201);
	ck_assert_int_eq(num(json_object_get(r->json, "checklist"), "total"),
			 123);
	ck_assert(json_is_null(json_object_get(r->json, "lead_auditor_id")));
	ck_assert_str_eq(json_string_value(json_array_get(
				 json_object_get(r->json, "scope_clauses"), 0)),
			 "all");
	t_reply_free(r);

	/* Lists: oldest first, filters, paging. */
	r = t_json("GET", AUDITS "?type=stage2", tok, NULL);
	ck_assert_str_eq(item_ids(r), id);
	t_reply_free(r);
	r = t_json("GET", fmt(AUDITS "?auditor_id=%s", auditor), tok, NULL);
	ck_assert_str_eq(item_ids(r), id);
	t_reply_free(r);
	r = t_json("GET", AUDITS "?limit=1", tok, NULL);
	ck_assert_str_eq(item_ids(r), id);
	ck_assert_ptr_nonnull(str(r, "next_cursor"));
	body = fmt(AUDITS "?limit=1&cursor=%s", str(r, "next_cursor"));
	t_reply_free(r);
	r = t_json("GET", body, tok, NULL);
	ck_assert_int_eq(item_count(r), 1);
	ck_assert_str_ne(item_ids(r), id);
	ck_assert(json_is_null(json_object_get(r->json, "next_cursor")));
	t_reply_free(r);
	expect(t_json("GET", AUDITS "?status=open", tok, NULL), 400);
	expect(t_json("GET", AUDITS "?cycle_id=x", tok, NULL), 400);
	expect(t_json("GET", AUDITS "?cursor=nope", tok, NULL), 400);
	expect(t_json("GET", AUDITS "?limit=0", tok, NULL), 400);
	expect(t_json("GET", AUDITS "?colour=red", tok, NULL), 400);
	expect(t_json("GET", AUDITS "/not-a-uuid", tok, NULL), 404);
	expect(t_json("GET", AUDITS "/" NIL_ID, tok, NULL), 404);
}
END_TEST

START_TEST(every_audit_field_is_validated)
{
	struct t_tenant a;
	char *tok, *id, *path;
	static const char bad_utf8[] = "{\"type\": \"internal\", \"title\": "
				       "\"\xff\"}";

	t_tenant_create(&a, "au-val");
	tok = t_token(a.id, a.admin_id, "admin");
	invalid("POST", AUDITS, tok, "{\"title\": \"x\"}", "type");
	invalid("POST", AUDITS, tok, "{\"type\": \"internal\"}", "title");
	invalid("POST", AUDITS, tok, "{\"type\": \"annual\", \"title\": \"x\"}",
		"type");
	invalid("POST", AUDITS, tok, "{\"type\": 1, \"title\": \"x\"}", "type");
	invalid("POST", AUDITS, tok,
		"{\"type\": \"internal\", \"title\": \"\"}", "title");
	invalid("POST", AUDITS, tok,
		fmt("{\"type\": \"internal\", \"title\": \"%0201d\"}", 0),
		"title");
	invalid("POST", AUDITS, tok,
		"{\"type\": \"internal\", \"title\": \"a\\u0001b\"}", "title");
	invalid("POST", AUDITS, tok,
		"{\"type\": \"internal\", \"title\": \"x\", \"description\": "
		"\"\"}",
		"description");
	invalid("POST", AUDITS, tok,
		"{\"type\": \"internal\", \"title\": \"x\", \"status\": "
		"\"in_progress\"}",
		"status");
	invalid("POST", AUDITS, tok,
		"{\"type\": \"internal\", \"title\": \"x\", \"colour\": 1}",
		"colour");
	invalid("POST", AUDITS, tok,
		"{\"type\": \"internal\", \"title\": \"x\", \"id\": \"" NIL_ID
		"\"}",
		"id");
	invalid("POST", AUDITS, tok,
		"{\"type\": \"internal\", \"title\": \"x\", \"cycle_id\": "
		"\"" NIL_ID "\"}",
		"cycle_id");
	invalid("POST", AUDITS, tok,
		"{\"type\": \"internal\", \"title\": \"x\", \"scope_clauses\": "
		"\"4\"}",
		"scope_clauses");
	invalid("POST", AUDITS, tok,
		"{\"type\": \"internal\", \"title\": \"x\", \"scope_clauses\": "
		"[\"4\", \"11\"]}",
		"scope_clauses[1]");
	invalid("POST", AUDITS, tok,
		"{\"type\": \"internal\", \"title\": \"x\", \"scope_clauses\": "
		"[\"4\", \"4\"]}",
		"scope_clauses[1]");
	invalid("POST", AUDITS, tok,
		"{\"type\": \"internal\", \"title\": \"x\", "
		"\"scope_controls\": [\"A.9.1\"]}",
		"scope_controls[0]");
	invalid("POST", AUDITS, tok,
		"{\"type\": \"internal\", \"title\": \"x\", "
		"\"scope_controls\": [\"" NIL_ID "\"]}",
		"scope_controls[0]");
	invalid("POST", AUDITS, tok,
		"{\"type\": \"internal\", \"title\": \"x\", "
		"\"scope_asset_ids\": [\"nope\"]}",
		"scope_asset_ids[0]");
	invalid("POST", AUDITS, tok,
		"{\"type\": \"internal\", \"title\": \"x\", "
		"\"scope_asset_ids\": [\"" NIL_ID "\"]}",
		"scope_asset_ids[0]");
	invalid("POST", AUDITS, tok,
		"{\"type\": \"internal\", \"title\": \"x\", \"planned_start\": "
		"\"2027-02-30\"}",
		"planned_start");
	invalid("POST", AUDITS, tok,
		"{\"type\": \"internal\", \"title\": \"x\", \"planned_start\": "
		"\"2027-03-02\", \"planned_end\": \"2027-03-01\"}",
		"planned_end");
	invalid("POST", AUDITS, tok,
		"{\"type\": \"internal\", \"title\": \"x\", \"actual_start\": "
		"\"2027-03-02\", \"actual_end\": \"2027-03-01\"}",
		"actual_end");
	invalid("POST", AUDITS, tok,
		"{\"type\": \"internal\", \"title\": \"x\", \"due_by\": 5}",
		"due_by");
	invalid("POST", AUDITS, tok,
		"{\"type\": \"internal\", \"title\": \"x\", "
		"\"lead_auditor_id\": \"" NIL_ID "\"}",
		"lead_auditor_id");
	invalid("POST", AUDITS, tok,
		"{\"type\": \"internal\", \"title\": \"x\", "
		"\"team_member_ids\": [\"" NIL_ID "\"]}",
		"team_member_ids[0]");
	invalid("POST", AUDITS, tok,
		fmt("{\"type\": \"internal\", \"title\": \"x\", "
		    "\"lead_auditor_id\": \"%s\", \"team_member_ids\": "
		    "[\"%s\"]}",
		    a.admin_id, a.admin_id),
		"team_member_ids[0]");
	expect(send_json("POST", AUDITS, tok, "[]", NULL), 400);
	expect(send_json("POST", AUDITS, tok, "{\"type\": 1, \"type\": 2}",
			 NULL),
	       400);
	expect(t_http("POST", AUDITS, tok, "application/json", bad_utf8,
		      strlen(bad_utf8), NULL),
	       400);
	expect(t_http("POST", AUDITS, tok, "text/plain", "x", 1, NULL), 415);
	ck_assert_int_eq(db_count(a.id, "SELECT count(*) FROM audits"), 0);

	/* PATCH: the same checks, null where a member may be empty. */
	id = create_audit(tok, "{\"type\": \"internal\", \"title\": \"x\"}");
	path = fmt(AUDITS "/%s", id);
	invalid("PATCH", path, tok, "{\"type\": null}", "type");
	invalid("PATCH", path, tok, "{\"status\": \"done\"}", "status");
	invalid("PATCH", path, tok, "{\"checklist\": {}}", "checklist");
	invalid("PATCH", path, tok, "{\"scope_controls\": [\"A.5\", 1]}",
		"scope_controls[1]");
	expect(t_json("PATCH", path, tok,
		      "{\"description\": null, \"lead_auditor_id\": null, "
		      "\"planned_start\": null}"),
	       200);
	expect(t_json("PATCH", AUDITS "/" NIL_ID, tok, "{\"title\": \"y\"}"),
	       404);
	expect(t_json("PATCH", AUDITS "/nope", tok, "{\"title\": \"y\"}"), 404);
}
END_TEST

/* ---- status transitions, If-Match, delete ---- */

START_TEST(transitions_if_match_and_delete)
{
	struct t_tenant a;
	char *tok, *id, *path, *other;
	struct reply *r;

	t_tenant_create(&a, "au-tr");
	tok = t_token(a.id, a.admin_id, "admin");
	id = create_audit(tok, "{\"type\": \"internal\", \"title\": \"T\"}");
	path = fmt(AUDITS "/%s", id);

	/* If-Match: a stale or malformed tag is 412, nothing written. */
	expect(send_json("PATCH", path, tok, "{\"title\": \"T2\"}",
			 "If-Match: \"7\""),
	       412);
	expect(send_json("PATCH", path, tok, "{\"title\": \"T2\"}",
			 "If-Match: soon"),
	       412);
	r = send_json("PATCH", path, tok, "{\"title\": \"T2\"}",
		      "If-Match: \"1\"");
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(r->etag, "\"2\"");
	t_reply_free(r);
	expect(send_json("DELETE", path, tok, NULL, "If-Match: \"1\""), 412);

	/* Only the allowed transitions, each refusal naming them. */
	conflict(t_json("PATCH", path, tok, "{\"status\": \"reporting\"}"),
		 "from planned it can change to: in_progress, closed");
	conflict(t_json("PATCH", path, tok, "{\"status\": \"in_progress\"}"),
		 "needs a lead auditor");
	r = t_json("PATCH", path, tok,
		   fmt("{\"status\": \"in_progress\", \"lead_auditor_id\": "
		       "\"%s\"}",
		       a.admin_id));
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(str(r, "status"), "in_progress");
	ck_assert_ptr_nonnull(str(r, "actual_start"));
	ck_assert_ptr_nonnull(str(r, "baseline_taken_at"));
	ck_assert_str_eq(
		json_string_value(json_array_get(
			json_object_get(r->json, "allowed_transitions"), 0)),
		"reporting");
	t_reply_free(r);
	conflict(t_json("PATCH", path, tok, "{\"status\": \"closed\"}"),
		 "from in_progress it can change to: reporting");
	conflict(t_json("PATCH", path, tok, "{\"status\": \"planned\"}"),
		 "cannot change from in_progress to planned");
	conflict(t_json("PATCH", path, tok, "{\"scope_clauses\": [\"4\"]}"),
		 "fixed once it has started");
	conflict(t_json("PATCH", path, tok, "{\"scope_controls\": [\"A.5\"]}"),
		 "fixed once it has started");
	conflict(t_json("DELETE", path, tok, NULL), "Only a planned audit");
	/* The team may still change. */
	expect(t_json("PATCH", path, tok, "{\"team_member_ids\": []}"), 200);
	r = t_json("PATCH", path, tok, "{\"status\": \"reporting\"}");
	ck_assert_int_eq(r->status, 200);
	ck_assert_ptr_nonnull(str(r, "actual_end"));
	t_reply_free(r);
	r = t_json("PATCH", path, tok, "{\"status\": \"closed\"}");
	ck_assert_int_eq(r->status, 200);
	ck_assert(json_is_false(json_object_get(r->json, "cancelled")));
	ck_assert_int_eq(json_array_size(json_object_get(
				 r->json, "allowed_transitions")),
			 0);
	t_reply_free(r);
	conflict(t_json("PATCH", path, tok, "{\"title\": \"later\"}"),
		 "A closed audit cannot change.");
	conflict(t_json("PATCH", path, tok, "{\"team_member_ids\": []}"),
		 "A closed audit cannot change.");
	ck_assert_str_eq(t_db_value(a.id, fmt("SELECT title FROM audits "
					      "WHERE id = '%s'",
					      id)),
			 "T2");

	/* planned -> closed is a cancellation. */
	other = create_audit(tok, "{\"type\": \"supplier\", \"title\": \"C\"}");
	r = t_json("PATCH", fmt(AUDITS "/%s", other), tok,
		   "{\"status\": \"closed\"}");
	ck_assert_int_eq(r->status, 200);
	ck_assert(json_is_true(json_object_get(r->json, "cancelled")));
	t_reply_free(r);

	/* DELETE: a planned audit without a baseline, with If-Match. */
	other = create_audit(tok, "{\"type\": \"supplier\", \"title\": \"D\"}");
	expect(send_json("DELETE", fmt(AUDITS "/%s", other), tok, NULL,
			 "If-Match: \"1\""),
	       204);
	expect(t_json("GET", fmt(AUDITS "/%s", other), tok, NULL), 404);
	expect(t_json("DELETE", fmt(AUDITS "/%s", other), tok, NULL), 404);
	ck_assert_int_eq(db_count(a.id, fmt("SELECT count(*) FROM "
					    "audit_checklist_items WHERE "
					    "audit_id = '%s'",
					    other)),
			 0);
	other = create_audit(tok, "{\"type\": \"supplier\", \"title\": \"E\"}");
	expect(t_json("POST", fmt(AUDITS "/%s/baseline", other), tok, NULL),
	       201);
	conflict(t_json("DELETE", fmt(AUDITS "/%s", other), tok, NULL),
		 "frozen baseline");
}
END_TEST

/* ---- the checklist ---- */

START_TEST(checklist_generated_from_scope)
{
	struct t_tenant a, b;
	char *tok, *id, *path, *item, *ev, *bev, *cursor, *seen, *other;
	struct reply *r;
	const json_t *first;
	int pages = 0;
	size_t total = 0;

	t_tenant_create(&a, "au-cl");
	t_tenant_create(&b, "au-clb");
	tok = t_token(a.id, a.admin_id, "admin");
	id = create_audit(tok, "{\"type\": \"internal\", \"title\": \"Full\"}");
	path = fmt(AUDITS "/%s/checklist", id);

	/* 123 items in the catalog's order, paged without overlap. */
	seen = t_keep(calloc(1, 40 * 130));
	cursor = NULL;
	do {
		r = t_json("GET",
			   cursor ? fmt("%s?limit=50&cursor=%s", path, cursor)
				  : fmt("%s?limit=50", path),
			   tok, NULL);
		ck_assert_int_eq(r->status, 200);
		if (pages == 0) {
			first = json_array_get(
				json_object_get(r->json, "items"), 0);
			ck_assert_str_eq(json_string_value(
						 json_object_get(first, "ref")),
					 "4.1");
			ck_assert_str_eq(json_string_value(json_object_get(
						 first, "result")),
					 "not_audited");
			ck_assert_str_eq(json_string_value(json_object_get(
						 first, "kind")),
					 "clause");
		}
		ck_assert_ptr_null(strstr(seen, item_ids(r)));
		strcat(seen, item_ids(r));
		total += item_count(r);
		cursor = str(r, "next_cursor")
				 ? t_keep(strdup(str(r, "next_cursor")))
				 : NULL;
		t_reply_free(r);
		pages++;
	} while (cursor != NULL);
	ck_assert_int_eq(total, 123);
	ck_assert_int_eq(pages, 3);
	r = t_json("GET", fmt("%s?kind=clause&limit=200", path), tok, NULL);
	ck_assert_int_eq(item_count(r), 30);
	t_reply_free(r);
	r = t_json("GET", fmt("%s?kind=control&limit=200", path), tok, NULL);
	ck_assert_int_eq(item_count(r), 93);
	ck_assert_str_eq(
		json_string_value(json_object_get(
			json_array_get(json_object_get(r->json, "items"), 92),
			"ref")),
		"A.8.34");
	t_reply_free(r);
	expect(t_json("GET", fmt("%s?kind=group", path), tok, NULL), 400);
	expect(t_json("GET", fmt("%s?result=bad", path), tok, NULL), 400);
	expect(t_json("GET", fmt("%s?cursor=xyz", path), tok, NULL), 400);

	/* A narrower scope: clause 9 (6 leaves), theme A.7 (14 controls). */
	other = create_audit(tok, "{\"type\": \"internal\", \"title\": \"P\", "
				  "\"scope_clauses\": [\"9\"], "
				  "\"scope_controls\": [\"A.7\"]}");
	r = t_json("GET", fmt(AUDITS "/%s/checklist?limit=200", other), tok,
		   NULL);
	ck_assert_int_eq(item_count(r), 20);
	t_reply_free(r);
	/* The scope changes while planned: the checklist follows, items that
	 * stay keep their notes. */
	item = item_of(a.id, other, "A.7.4");
	expect(t_json("PATCH", fmt(AUDITS "/%s/checklist/%s", other, item), tok,
		      "{\"notes\": \"walk the site\"}"),
	       200);
	r = t_json("PATCH", fmt(AUDITS "/%s", other), tok,
		   "{\"scope_clauses\": [], \"scope_controls\": [\"A.7.4\", "
		   "\"A.5.1\"]}");
	ck_assert_int_eq(num(json_object_get(r->json, "checklist"), "total"),
			 2);
	t_reply_free(r);
	r = t_json("GET", fmt(AUDITS "/%s/checklist/%s", other, item), tok,
		   NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(str(r, "notes"), "walk the site");
	ck_assert_str_eq(r->etag, "\"2\"");
	t_reply_free(r);

	/* Results wait for the start. */
	item = item_of(a.id, id, "A.5.15");
	conflict(t_json("PATCH", fmt("%s/%s", path, item), tok,
			"{\"result\": \"conforming\"}"),
		 "once the audit has started");
	expect(t_json("PATCH", fmt(AUDITS "/%s", id), tok,
		      fmt("{\"status\": \"in_progress\", \"lead_auditor_id\": "
			  "\"%s\"}",
			  a.admin_id)),
	       200);
	ev = evidence_create(a.id, "access-review");
	bev = evidence_create(b.id, "theirs");
	r = t_json("PATCH", fmt("%s/%s", path, item), tok,
		   fmt("{\"result\": \"minor_nc\", \"notes\": \"2 of 25 "
		       "leavers kept access\", \"sampled_records\": "
		       "[\"JML-2024-003\", \"JML-2024-017\"], "
		       "\"evidence_ids\": [\"%s\"]}",
		       ev));
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	ck_assert_str_eq(str(r, "result"), "minor_nc");
	ck_assert_str_eq(str(r, "audited_by"), a.admin_id);
	ck_assert_ptr_nonnull(str(r, "audited_at"));
	ck_assert_str_eq(str(r, "ref"), "A.5.15");
	ck_assert_str_eq(str(r, "title"), "Access control");
	ck_assert_int_eq(
		json_array_size(json_object_get(r->json, "sampled_records")),
		2);
	ck_assert_str_eq(json_string_value(json_array_get(
				 json_object_get(r->json, "evidence_ids"), 0)),
			 ev);
	ck_assert_str_eq(r->etag, "\"2\"");
	t_reply_free(r);
	r = t_json("GET", fmt("%s?result=minor_nc", path), tok, NULL);
	ck_assert_str_eq(item_ids(r), item);
	t_reply_free(r);
	expect(send_json("PATCH", fmt("%s/%s", path, item), tok,
			 "{\"notes\": \"x\"}", "If-Match: \"1\""),
	       412);
	invalid("PATCH", fmt("%s/%s", path, item), tok,
		"{\"result\": \"fail\"}", "result");
	invalid("PATCH", fmt("%s/%s", path, item), tok, "{\"notes\": \"\"}",
		"notes");
	invalid("PATCH", fmt("%s/%s", path, item), tok,
		"{\"sampled_records\": [1]}", "sampled_records[0]");
	invalid("PATCH", fmt("%s/%s", path, item), tok,
		"{\"evidence_ids\": [\"" NIL_ID "\"]}", "evidence_ids[0]");
	invalid("PATCH", fmt("%s/%s", path, item), tok,
		fmt("{\"evidence_ids\": [\"%s\"]}", bev), "evidence_ids[0]");
	invalid("PATCH", fmt("%s/%s", path, item), tok, "{\"ref\": \"A.1\"}",
		"ref");
	invalid("PATCH", fmt("%s/%s", path, item), tok,
		"{\"audited_by\": \"" NIL_ID "\"}", "audited_by");
	/* An item of another audit, or none: 404. */
	expect(t_json("GET", fmt(AUDITS "/%s/checklist/%s", other, item), tok,
		      NULL),
	       404);
	expect(t_json("PATCH", fmt(AUDITS "/%s/checklist/%s", other, item), tok,
		      "{\"notes\": \"x\"}"),
	       404);
	expect(t_json("GET", fmt("%s/nope", path), tok, NULL), 404);
	expect(t_json("GET", AUDITS "/" NIL_ID "/checklist", tok, NULL), 404);
	/* Back to not audited clears who and when. */
	r = t_json("PATCH", fmt("%s/%s", path, item), tok,
		   "{\"result\": \"not_audited\"}");
	ck_assert(json_is_null(json_object_get(r->json, "audited_by")));
	t_reply_free(r);
	/* Cited evidence is retained. */
	ck_assert_int_eq(db_count(a.id, fmt("SELECT count(*) FROM "
					    "audit_item_evidence WHERE "
					    "evidence_id = '%s'",
					    ev)),
			 1);
}
END_TEST

/* ---- findings, corrective actions, the closing rule ---- */

START_TEST(findings_and_the_closing_rule)
{
	struct t_tenant a, b;
	char editor[37], *tok, *etok, *id, *item, *nc, *minor, *ca, *ev, *breq,
		*bitem, *planned, *obs;
	struct reply *r;
	const json_t *req;

	t_tenant_create(&a, "au-fi");
	t_tenant_create(&b, "au-fib");
	tok = t_token(a.id, a.admin_id, "admin");
	etok = member_token(&a, "editor", editor);
	planned = create_audit(tok, "{\"type\": \"internal\", \"title\": "
				    "\"Not yet\"}");
	conflict(t_json("POST", fmt(AUDITS "/%s/findings", planned), tok,
			"{\"grade\": \"ofi\", \"title\": \"Early\"}"),
		 "while the audit is in progress or reporting");
	id = started_audit(tok, a.admin_id, NULL);
	item = item_of(a.id, id, "6.1.2");
	ev = evidence_create(a.id, "risk-method");
	/* Another tenant's own framework and audit, for the bodies below. */
	breq = t_keep(strdup(t_db_value(
		b.id,
		"WITH f AS (INSERT INTO frameworks (tenant_id, slug, name, "
		"source) VALUES (current_setting('app.tenant_id')::uuid, "
		"'own', 'Own', 'json') RETURNING id) INSERT INTO requirements "
		"(tenant_id, framework_id, ref, kind, title, sort_order) "
		"SELECT current_setting('app.tenant_id')::uuid, f.id, 'C-1', "
		"'control', 'Own control', 1 FROM f RETURNING id")));
	bitem = t_keep(strdup(t_db_value(
		b.id, "INSERT INTO audits (tenant_id, type, title) VALUES "
		      "(current_setting('app.tenant_id')::uuid, 'internal', "
		      "'B') RETURNING id")));
	bitem = item_of(b.id, bitem, "4.1");

	/* Every field. */
	r = t_json("POST", fmt(AUDITS "/%s/findings", id), tok,
		   fmt("{\"grade\": \"major_nc\", \"title\": \"No risk "
		       "assessment since 2022\", \"description\": \"The "
		       "method exists\\nbut was not applied.\", "
		       "\"checklist_item_id\": \"%s\", \"evidence_ids\": "
		       "[\"%s\"]}",
		       item, ev));
	ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
	nc = t_keep(strdup(str(r, "id")));
	ck_assert_str_eq(r->location, fmt("/api/v1/findings/%s", nc));
	ck_assert_str_eq(r->etag, "\"1\"");
	ck_assert_str_eq(str(r, "status"), "open");
	ck_assert_str_eq(str(r, "audit_id"), id);
	req = json_object_get(r->json, "requirement");
	ck_assert_str_eq(json_string_value(json_object_get(req, "ref")),
			 "6.1.2");
	ck_assert_str_eq(json_string_value(json_object_get(req, "framework")),
			 "iso27001-2022");
	ck_assert(json_is_null(json_object_get(r->json, "closed_at")));
	t_reply_free(r);
	r = t_json("GET", fmt("/api/v1/findings/%s", nc), tok, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(r->etag, "\"1\"");
	ck_assert_str_eq(json_string_value(json_array_get(
				 json_object_get(r->json, "evidence_ids"), 0)),
			 ev);
	t_reply_free(r);

	/* Validation, other tenants' ids included. */
	invalid("POST", fmt(AUDITS "/%s/findings", id), tok,
		"{\"title\": \"x\"}", "grade");
	invalid("POST", fmt(AUDITS "/%s/findings", id), tok,
		"{\"grade\": \"critical\", \"title\": \"x\"}", "grade");
	invalid("POST", fmt(AUDITS "/%s/findings", id), tok,
		"{\"grade\": \"ofi\"}", "title");
	invalid("POST", fmt(AUDITS "/%s/findings", id), tok,
		"{\"grade\": \"ofi\", \"title\": \"x\", \"status\": "
		"\"solved\"}",
		"status");
	invalid("POST", fmt(AUDITS "/%s/findings", id), tok,
		"{\"grade\": \"ofi\", \"title\": \"x\", \"requirement_id\": "
		"\"nope\"}",
		"requirement_id");
	invalid("POST", fmt(AUDITS "/%s/findings", id), tok,
		fmt("{\"grade\": \"ofi\", \"title\": \"x\", "
		    "\"requirement_id\": \"%s\"}",
		    breq),
		"requirement_id");
	invalid("POST", fmt(AUDITS "/%s/findings", id), tok,
		fmt("{\"grade\": \"ofi\", \"title\": \"x\", "
		    "\"checklist_item_id\": \"%s\"}",
		    bitem),
		"checklist_item_id");
	invalid("POST", fmt(AUDITS "/%s/findings", id), tok,
		fmt("{\"grade\": \"ofi\", \"title\": \"x\", "
		    "\"checklist_item_id\": \"%s\"}",
		    item_of(a.id, planned, "4.1")),
		"checklist_item_id");
	invalid("POST", fmt(AUDITS "/%s/findings", id), tok,
		fmt("{\"grade\": \"ofi\", \"title\": \"x\", "
		    "\"evidence_ids\": [\"%s\"]}",
		    evidence_create(b.id, "b-ev")),
		"evidence_ids[0]");
	invalid("POST", fmt(AUDITS "/%s/findings", id), tok,
		"{\"grade\": \"ofi\", \"title\": \"x\", \"closed_at\": null}",
		"closed_at");
	expect(t_json("POST", AUDITS "/" NIL_ID "/findings", tok,
		      "{\"grade\": \"ofi\", \"title\": \"x\"}"),
	       404);
	ck_assert_int_eq(db_count(a.id, "SELECT count(*) FROM findings"), 1);

	/* A nonconformity does not close without a verified action. */
	conflict(t_json("PATCH", fmt("/api/v1/findings/%s", nc), tok,
			"{\"status\": \"closed\"}"),
		 "verified as effective");
	expect(send_json("PATCH", fmt("/api/v1/findings/%s", nc), tok,
			 "{\"status\": \"in_progress\"}", "If-Match: \"9\""),
	       412);
	expect(send_json("PATCH", fmt("/api/v1/findings/%s", nc), tok,
			 "{\"status\": \"in_progress\"}", "If-Match: \"1\""),
	       200);

	/* Corrective actions: every field, validation. */
	r = t_json("POST", fmt("/api/v1/findings/%s/corrective-actions", nc),
		   etok,
		   fmt("{\"correction\": \"Assess the top risks now\", "
		       "\"root_cause\": \"No owner for the process\", "
		       "\"action\": \"Name an owner; yearly assessment\", "
		       "\"owner_id\": \"%s\", \"due_date\": \"2020-01-31\"}",
		       a.admin_id));
	ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
	ca = t_keep(strdup(str(r, "id")));
	ck_assert_str_eq(r->location, fmt("/api/v1/corrective-actions/%s", ca));
	ck_assert_str_eq(str(r, "status"), "open");
	ck_assert(json_is_true(json_object_get(r->json, "overdue")));
	ck_assert(json_is_null(json_object_get(r->json, "verified_by")));
	t_reply_free(r);
	invalid("POST", fmt("/api/v1/findings/%s/corrective-actions", nc), tok,
		"{\"owner_id\": null}", "action");
	invalid("POST", fmt("/api/v1/findings/%s/corrective-actions", nc), tok,
		"{\"action\": \"x\", \"owner_id\": \"" NIL_ID "\"}",
		"owner_id");
	invalid("POST", fmt("/api/v1/findings/%s/corrective-actions", nc), tok,
		fmt("{\"action\": \"x\", \"owner_id\": \"%s\"}", b.admin_id),
		"owner_id");
	invalid("POST", fmt("/api/v1/findings/%s/corrective-actions", nc), tok,
		"{\"action\": \"x\", \"status\": \"closed\"}", "status");
	invalid("POST", fmt("/api/v1/findings/%s/corrective-actions", nc), tok,
		"{\"action\": \"x\", \"verification_result\": \"good\"}",
		"verification_result");
	invalid("POST", fmt("/api/v1/findings/%s/corrective-actions", nc), tok,
		"{\"action\": \"x\", \"due_date\": \"tomorrow\"}", "due_date");
	invalid("POST", fmt("/api/v1/findings/%s/corrective-actions", nc), tok,
		"{\"action\": \"x\", \"verified_by\": \"" NIL_ID "\"}",
		"verified_by");
	expect(t_json("POST", "/api/v1/findings/" NIL_ID "/corrective-actions",
		      tok, "{\"action\": \"x\"}"),
	       404);

	/* Verification: once done, by someone other than the owner, final. */
	conflict(t_json("PATCH", fmt("/api/v1/corrective-actions/%s", ca), etok,
			"{\"verification_result\": \"effective\"}"),
		 "once it is done");
	expect(t_json("PATCH", fmt("/api/v1/corrective-actions/%s", ca), tok,
		      "{\"status\": \"done\"}"),
	       200);
	expect(t_json("PATCH", fmt("/api/v1/corrective-actions/%s", ca), tok,
		      "{\"verification_result\": \"effective\"}"),
	       403);
	expect(send_json("PATCH", fmt("/api/v1/corrective-actions/%s", ca),
			 etok, "{\"verification_result\": \"effective\"}",
			 "If-Match: \"1\""),
	       412);
	r = send_json("PATCH", fmt("/api/v1/corrective-actions/%s", ca), etok,
		      "{\"verification_result\": \"effective\", "
		      "\"verification_notes\": \"Assessment of 2024 seen\"}",
		      "If-Match: \"2\"");
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	ck_assert_str_eq(str(r, "verified_by"), editor);
	ck_assert_ptr_nonnull(str(r, "verified_at"));
	ck_assert_ptr_nonnull(str(r, "completed_at"));
	ck_assert(json_is_false(json_object_get(r->json, "overdue")));
	t_reply_free(r);
	conflict(t_json("PATCH", fmt("/api/v1/corrective-actions/%s", ca), tok,
			"{\"action\": \"rewritten\"}"),
		 "final");
	r = t_json("GET", fmt("/api/v1/corrective-actions/%s", ca), tok, NULL);
	ck_assert_str_eq(r->etag, "\"3\"");
	ck_assert_str_eq(str(r, "verification_result"), "effective");
	t_reply_free(r);
	r = t_json("GET", fmt("/api/v1/findings/%s/corrective-actions", nc),
		   tok, NULL);
	ck_assert_str_eq(item_ids(r), ca);
	t_reply_free(r);

	/* Now it closes; a closed finding takes no new action. */
	r = t_json("PATCH", fmt("/api/v1/findings/%s", nc), tok,
		   "{\"status\": \"closed\"}");
	ck_assert_int_eq(r->status, 200);
	ck_assert_ptr_nonnull(str(r, "closed_at"));
	ck_assert_int_eq(num(json_object_get(r->json, "corrective_actions"),
			     "verified_effective"),
			 1);
	t_reply_free(r);
	conflict(t_json("POST",
			fmt("/api/v1/findings/%s/corrective-actions", nc), tok,
			"{\"action\": \"more\"}"),
		 "The finding is closed");

	/* The audit closes only when every nonconformity is closed. */
	minor = call_id("POST", fmt(AUDITS "/%s/findings", id), tok,
			"{\"grade\": \"minor_nc\", \"title\": \"Stale "
			"policy\"}",
			201);
	obs = call_id("POST", fmt(AUDITS "/%s/findings", id), tok,
		      "{\"grade\": \"observation\", \"title\": \"Tidy up\"}",
		      201);
	r = t_json("GET", fmt(AUDITS "/%s/findings?grade=minor_nc", id), tok,
		   NULL);
	ck_assert_str_eq(item_ids(r), minor);
	t_reply_free(r);
	r = t_json("GET", fmt(AUDITS "/%s/findings?status=open", id), tok,
		   NULL);
	ck_assert_str_eq(item_ids(r), fmt("%s,%s", minor, obs));
	t_reply_free(r);
	expect(t_json("GET", fmt(AUDITS "/%s/findings?grade=low", id), tok,
		      NULL),
	       400);
	expect(t_json("PATCH", fmt(AUDITS "/%s", id), tok,
		      "{\"status\": \"reporting\"}"),
	       200);
	conflict(t_json("PATCH", fmt(AUDITS "/%s", id), tok,
			"{\"status\": \"closed\"}"),
		 "1 nonconformity of this audit is still open");
	/* Not effective: a new action is needed. */
	ca = call_id("POST",
		     fmt("/api/v1/findings/%s/corrective-actions", minor), tok,
		     fmt("{\"action\": \"Review\", \"owner_id\": \"%s\", "
			 "\"status\": \"done\"}",
			 editor),
		     201);
	expect(t_json("PATCH", fmt("/api/v1/corrective-actions/%s", ca), tok,
		      "{\"verification_result\": \"not_effective\"}"),
	       200);
	conflict(t_json("PATCH", fmt("/api/v1/findings/%s", minor), tok,
			"{\"status\": \"closed\"}"),
		 "verified as effective");
	close_with_effective_action(tok, etok, a.admin_id, minor);
	r = t_json("PATCH", fmt(AUDITS "/%s", id), tok,
		   "{\"status\": \"closed\"}");
	ck_assert_int_eq(r->status, 200);
	t_reply_free(r);
	/* The observation may stay open; nonconformities stay closed. */
	conflict(t_json("PATCH", fmt("/api/v1/findings/%s", nc), tok,
			"{\"status\": \"open\"}"),
		 "The audit is closed");
	conflict(t_json("PATCH", fmt("/api/v1/findings/%s", obs), tok,
			"{\"grade\": \"major_nc\"}"),
		 "The audit is closed");
	expect(t_json("PATCH", fmt("/api/v1/findings/%s", obs), tok,
		      "{\"status\": \"in_progress\"}"),
	       200);
	conflict(t_json("POST", fmt(AUDITS "/%s/findings", id), tok,
			"{\"grade\": \"ofi\", \"title\": \"late\"}"),
		 "this one is closed");
	invalid("PATCH", fmt("/api/v1/findings/%s", obs), tok,
		"{\"title\": null}", "title");
	expect(t_json("GET", "/api/v1/findings/" NIL_ID, tok, NULL), 404);
	expect(t_json("GET", "/api/v1/corrective-actions/nope", tok, NULL),
	       404);
}
END_TEST

/* ---- the baseline ---- */

START_TEST(baseline_is_frozen)
{
	struct t_tenant a;
	char *tok, *id, *ev, *risk, *before, *after, *path, *closed;
	struct reply *r;
	PGresult *res;
	PGconn *c;

	t_tenant_create(&a, "au-bl");
	tok = t_token(a.id, a.admin_id, "admin");
	/* What there is to freeze, written as its owner would. */
	t_db_exec(a.id, "INSERT INTO soa_entries (tenant_id, requirement_id, "
			"applicable, justification_reasons) VALUES "
			"(current_setting('app.tenant_id')::uuid, "
			"catalog_id('iso27001-2022', 'A.5.15'), true, "
			"'{risk_treatment}')");
	risk = t_keep(strdup(t_db_value(
		a.id,
		"INSERT INTO risks (tenant_id, title, inherent_likelihood,"
		" inherent_impact) VALUES "
		"(current_setting('app.tenant_id')::uuid, 'Leaver keeps "
		"access', 4, 4) RETURNING id")));
	ev = evidence_create(a.id, "joiners-leavers");

	id = create_audit(tok, "{\"type\": \"stage2\", \"title\": \"S2\"}");
	path = fmt(AUDITS "/%s/baseline", id);
	r = t_json("GET", path, tok, NULL);
	ck_assert(t_is_problem(r, 404));
	ck_assert_ptr_nonnull(strstr(r->body, "no baseline yet"));
	t_reply_free(r);

	/* Taken on request, before the start; once. */
	r = send_json("POST", path, tok, NULL, "Idempotency-Key: bl-1");
	ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
	ck_assert_str_eq(r->location, path);
	ck_assert(json_is_true(json_object_get(r->json, "intact")));
	/* The reply keeps the first 63 characters of the tag. */
	ck_assert_int_eq(strncmp(r->etag, fmt("\"%s\"", str(r, "digest")),
				 sizeof(r->etag) - 1),
			 0);
	ck_assert_int_eq(num(json_object_get(r->json, "counts"), "soa_items"),
			 93);
	ck_assert_int_eq(
		num(json_object_get(r->json, "counts"), "soa_included"), 1);
	ck_assert_int_eq(num(json_object_get(r->json, "counts"), "risks"), 1);
	ck_assert_int_eq(num(json_object_get(r->json, "counts"), "evidence"),
			 1);
	ck_assert_str_eq(str(r, "taken_by"), a.admin_id);
	ck_assert_str_eq(
		json_string_value(json_object_get(
			json_array_get(json_object_get(r->json, "risks"), 0),
			"id")),
		risk);
	ck_assert_str_eq(
		json_string_value(json_object_get(
			json_object_get(
				json_array_get(
					json_object_get(r->json, "risks"), 0),
				"inherent"),
			"level")),
		"High");
	ck_assert_str_eq(
		json_string_value(json_object_get(
			json_array_get(json_object_get(r->json, "evidence"), 0),
			"title")),
		"joiners-leavers");
	before = json_dumps(r->json, JSON_SORT_KEYS | JSON_COMPACT);
	t_keep(before);
	t_reply_free(r);
	/* A retry with the key is the first answer, not a conflict. */
	r = send_json("POST", path, tok, NULL, "Idempotency-Key: bl-1");
	ck_assert_int_eq(r->status, 201);
	t_reply_free(r);
	conflict(t_json("POST", path, tok, NULL), "never replaced");
	/* Starting keeps the one taken. */
	expect(t_json("PATCH", fmt(AUDITS "/%s", id), tok,
		      fmt("{\"status\": \"in_progress\", \"lead_auditor_id\": "
			  "\"%s\"}",
			  a.admin_id)),
	       200);
	ck_assert_int_eq(db_count(a.id, fmt("SELECT count(*) FROM "
					    "audit_baselines WHERE audit_id "
					    "= '%s'",
					    id)),
			 1);

	/* Later edits of the SoA, the risks and the evidence. */
	t_db_exec(a.id, "UPDATE soa_entries SET applicable = false, "
			"justification_reasons = '{}', "
			"exclusion_justification = 'Out of scope'");
	t_db_exec(a.id, fmt("UPDATE risks SET title = 'Renamed', "
			    "inherent_likelihood = 1, inherent_impact = 1 "
			    "WHERE id = '%s'",
			    risk));
	t_db_exec(a.id, fmt("UPDATE evidence SET title = 'Renamed' WHERE id = "
			    "'%s'",
			    ev));
	t_db_exec(a.id, "INSERT INTO risks (tenant_id, title) VALUES "
			"(current_setting('app.tenant_id')::uuid, 'New')");
	r = t_json("GET", path, tok, NULL);
	ck_assert_int_eq(r->status, 200);
	after = t_keep(json_dumps(r->json, JSON_SORT_KEYS | JSON_COMPACT));
	ck_assert_str_eq(after, before);
	t_reply_free(r);

	/* Not even the owner may change or remove it. */
	c = t_db();
	res = PQexec(c, fmt("BEGIN; SELECT set_config('app.tenant_id', '%s', "
			    "true); UPDATE audit_baselines SET risks = '[]'",
			    a.id));
	ck_assert_str_eq(PQresultErrorField(res, PG_DIAG_SQLSTATE), "IS409");
	PQclear(res);
	PQclear(PQexec(c, "ROLLBACK"));
	res = PQexec(c, fmt("BEGIN; SELECT set_config('app.tenant_id', '%s', "
			    "true); DELETE FROM audit_baselines",
			    a.id));
	ck_assert_str_eq(PQresultErrorField(res, PG_DIAG_SQLSTATE), "IS409");
	PQclear(res);
	PQclear(PQexec(c, "ROLLBACK"));

	/* A started audit took its own at the start; a closed one takes none.
	 */
	closed = started_audit(tok, a.admin_id, NULL);
	r = t_json("GET", fmt(AUDITS "/%s/baseline", closed), tok, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(num(json_object_get(r->json, "counts"), "risks"), 2);
	t_reply_free(r);
	closed = create_audit(tok, "{\"type\": \"internal\", \"title\": "
				   "\"Cancelled\"}");
	expect(t_json("PATCH", fmt(AUDITS "/%s", closed), tok,
		      "{\"status\": \"closed\"}"),
	       200);
	conflict(t_json("POST", fmt(AUDITS "/%s/baseline", closed), tok, NULL),
		 "closed");
	expect(t_json("POST", AUDITS "/" NIL_ID "/baseline", tok, NULL), 404);
	expect(t_json("GET", AUDITS "/nope/baseline", tok, NULL), 404);
}
END_TEST

/* ---- the report ---- */

START_TEST(report_json_and_html)
{
	struct t_tenant a;
	char editor[37], *tok, *etok, *id, *finding, *html;
	struct reply *r;
	const char *const accept[] = {"Accept: text/html,*/*;q=0.8", NULL};
	json_t *j;

	t_tenant_create(&a, "au-rp");
	tok = t_token(a.id, a.admin_id, "admin");
	etok = member_token(&a, "editor", editor);
	id = create_audit(tok, fmt("{\"type\": \"internal\", \"title\": "
				   "\"<script>alert(1)</script> & co\", "
				   "\"scope_clauses\": [\"9.2\"], "
				   "\"scope_controls\": [\"A.5.1\", "
				   "\"A.5.2\"], \"lead_auditor_id\": \"%s\"}",
				   a.admin_id));
	expect(t_json("PATCH", fmt(AUDITS "/%s", id), tok,
		      "{\"status\": \"in_progress\"}"),
	       200);
	expect(t_json("PATCH",
		      fmt(AUDITS "/%s/checklist/%s", id,
			  item_of(a.id, id, "9.2.1")),
		      tok, "{\"result\": \"conforming\"}"),
	       200);
	expect(t_json("PATCH",
		      fmt(AUDITS "/%s/checklist/%s", id,
			  item_of(a.id, id, "A.5.1")),
		      tok, "{\"result\": \"minor_nc\"}"),
	       200);
	finding = call_id("POST", fmt(AUDITS "/%s/findings", id), tok,
			  "{\"grade\": \"minor_nc\", \"title\": \"Policy "
			  "<b>unsigned</b>\"}",
			  201);
	call_id("POST", fmt(AUDITS "/%s/findings", id), tok,
		"{\"grade\": \"ofi\", \"title\": \"Automate reviews\"}", 201);
	call_id("POST", fmt("/api/v1/findings/%s/corrective-actions", finding),
		tok, "{\"action\": \"Sign it\", \"due_date\": \"2020-01-01\"}",
		201);
	close_with_effective_action(tok, etok, a.admin_id, finding);

	r = t_json("GET", fmt(AUDITS "/%s/report", id), tok, NULL);
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	ck_assert_str_eq(r->content_type, "application/json");
	j = r->json;
	ck_assert_int_eq(num(json_object_get(j, "checklist"), "total"), 4);
	ck_assert_int_eq(num(json_object_get(json_object_get(j, "checklist"),
					     "by_result"),
			     "not_audited"),
			 2);
	ck_assert(json_number_value(json_object_get(j, "coverage_percent")) ==
		  50.0);
	ck_assert_int_eq(
		num(json_object_get(json_object_get(j, "findings_by_grade"),
				    "minor_nc"),
		    "closed"),
		1);
	ck_assert_int_eq(
		num(json_object_get(json_object_get(j, "findings_by_grade"),
				    "ofi"),
		    "open"),
		1);
	ck_assert_int_eq(
		num(json_object_get(json_object_get(j, "findings_by_grade"),
				    "major_nc"),
		    "total"),
		0);
	ck_assert_int_eq(num(json_object_get(j, "corrective_actions"), "total"),
			 2);
	ck_assert_int_eq(num(json_object_get(j, "corrective_actions"),
			     "verified_effective"),
			 1);
	ck_assert_int_eq(
		num(json_object_get(j, "corrective_actions"), "overdue"), 1);
	ck_assert_int_eq(json_array_size(json_object_get(j, "findings")), 2);
	ck_assert_ptr_nonnull(
		json_object_get(json_object_get(j, "baseline"), "digest"));
	t_reply_free(r);

	r = t_json("GET", fmt(AUDITS "/%s/report?format=html", id), tok, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(r->content_type, "text/html; charset=utf-8");
	html = t_keep(strdup(r->body));
	t_reply_free(r);
	ck_assert_ptr_nonnull(strstr(html, "<!DOCTYPE html>"));
	ck_assert_ptr_nonnull(
		strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"));
	ck_assert_ptr_nonnull(strstr(html, "Policy &lt;b&gt;unsigned"));
	ck_assert_ptr_null(strstr(html, "<script"));
	ck_assert_ptr_nonnull(strstr(html, "@page"));
	ck_assert_ptr_nonnull(strstr(html, "50.0% of 4 items"));
	r = t_http("GET", fmt(AUDITS "/%s/report", id), tok, NULL, NULL, 0,
		   accept);
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(r->content_type, "text/html; charset=utf-8");
	t_reply_free(r);
	r = t_http("GET", fmt(AUDITS "/%s/report?format=json", id), tok, NULL,
		   NULL, 0, accept);
	ck_assert_str_eq(r->content_type, "application/json");
	t_reply_free(r);
	expect(t_json("GET", fmt(AUDITS "/%s/report?format=pdf", id), tok,
		      NULL),
	       400);
	expect(t_json("GET", AUDITS "/" NIL_ID "/report", tok, NULL), 404);
	expect(t_json("GET", AUDITS "/" NIL_ID "/report?format=html", tok,
		      NULL),
	       404);
}
END_TEST

/* ---- the certification programme ---- */

START_TEST(programme_proposes_the_cycle)
{
	struct t_tenant a;
	char *tok, *cycle;
	struct reply *r;
	const json_t *p;

	t_tenant_create(&a, "au-pg");
	tok = t_token(a.id, a.admin_id, "admin");
	r = t_json("POST", AUDITS "/programme", tok,
		   "{\"stage2_date\": \"2025-03-10\"}");
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
	ck_assert(json_is_null(json_object_get(r->json, "cycle_id")));
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "audits")),
			 0);
	p = json_object_get(r->json, "proposals");
	ck_assert_int_eq(json_array_size(p), 4);
#define PROPOSAL(i, field)                                                     \
	json_string_value(json_object_get(json_array_get(p, i), field))
	ck_assert_str_eq(PROPOSAL(0, "type"), "stage2");
	ck_assert_str_eq(PROPOSAL(0, "planned_start"), "2025-03-10");
	ck_assert_str_eq(PROPOSAL(1, "type"), "surveillance");
	ck_assert_str_eq(PROPOSAL(1, "planned_start"), "2026-02-10");
	ck_assert_str_eq(PROPOSAL(1, "due_by"), "2026-03-10");
	ck_assert_str_eq(PROPOSAL(2, "planned_start"), "2027-02-10");
	ck_assert_str_eq(PROPOSAL(2, "due_by"), "2027-03-10");
	ck_assert_str_eq(PROPOSAL(3, "type"), "recertification");
	ck_assert_str_eq(PROPOSAL(3, "planned_start"), "2028-01-10");
	ck_assert_str_eq(PROPOSAL(3, "due_by"), "2028-03-09");
	ck_assert_str_eq(PROPOSAL(3, "title"),
			 "ISO/IEC 27001: recertification audit");
	t_reply_free(r);
	ck_assert_int_eq(db_count(a.id, "SELECT count(*) FROM audits"), 0);

	/* End of month clips. */
	r = t_json("POST", AUDITS "/programme", tok,
		   "{\"stage2_date\": \"2025-01-31\"}");
	p = json_object_get(r->json, "proposals");
	ck_assert_str_eq(PROPOSAL(3, "planned_start"), "2027-11-30");
	ck_assert_str_eq(PROPOSAL(3, "due_by"), "2028-01-30");
	t_reply_free(r);

	r = send_json("POST", AUDITS "/programme", tok,
		      "{\"stage2_date\": \"2025-03-10\", \"title_prefix\": "
		      "\"Acme ISMS\", \"create\": true}",
		      "Idempotency-Key: cycle-1");
	ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
	cycle = t_keep(strdup(str(r, "cycle_id")));
	ck_assert_str_eq(r->location, fmt(AUDITS "?cycle_id=%s", cycle));
	p = json_object_get(r->json, "audits");
	ck_assert_int_eq(json_array_size(p), 4);
	ck_assert_str_eq(PROPOSAL(1, "status"), "planned");
	ck_assert_str_eq(PROPOSAL(1, "due_by"), "2026-03-10");
	ck_assert_str_eq(PROPOSAL(1, "cycle_id"), cycle);
	ck_assert_str_eq(PROPOSAL(2, "title"),
			 "Acme ISMS: surveillance audit 2");
#undef PROPOSAL
	ck_assert_int_eq(num(json_object_get(json_array_get(p, 3), "checklist"),
			     "total"),
			 123);
	t_reply_free(r);
	r = send_json("POST", AUDITS "/programme", tok,
		      "{\"stage2_date\": \"2025-03-10\", \"title_prefix\": "
		      "\"Acme ISMS\", \"create\": true}",
		      "Idempotency-Key: cycle-1");
	ck_assert_int_eq(r->status, 201);
	ck_assert_str_eq(str(r, "cycle_id"), cycle);
	t_reply_free(r);
	expect(send_json("POST", AUDITS "/programme", tok,
			 "{\"stage2_date\": \"2026-03-10\", \"create\": true}",
			 "Idempotency-Key: cycle-1"),
	       422);
	ck_assert_int_eq(db_count(a.id, "SELECT count(*) FROM audits"), 4);
	r = t_json("GET", fmt(AUDITS "?cycle_id=%s", cycle), tok, NULL);
	ck_assert_int_eq(item_count(r), 4);
	t_reply_free(r);

	invalid("POST", AUDITS "/programme", tok, "{}", "stage2_date");
	invalid("POST", AUDITS "/programme", tok,
		"{\"stage2_date\": \"2025-13-01\"}", "stage2_date");
	invalid("POST", AUDITS "/programme", tok,
		"{\"stage2_date\": \"2025-03-10\", \"create\": \"yes\"}",
		"create");
	invalid("POST", AUDITS "/programme", tok,
		fmt("{\"stage2_date\": \"2025-03-10\", \"title_prefix\": "
		    "\"%0151d\"}",
		    0),
		"title_prefix");
	invalid("POST", AUDITS "/programme", tok,
		"{\"stage2_date\": \"2025-03-10\", \"stage1_date\": "
		"\"2025-01-10\"}",
		"stage1_date");
	expect(send_json("POST", AUDITS "/programme", tok, "\"2025\"", NULL),
	       400);
	ck_assert_int_eq(db_count(a.id, "SELECT count(*) FROM audits"), 4);
}
END_TEST

/* ---- idempotent creates ---- */

START_TEST(idempotent_creates)
{
	struct t_tenant a;
	char *tok, *id, *again, *finding, *ca;
	struct reply *r;

	t_tenant_create(&a, "au-id");
	tok = t_token(a.id, a.admin_id, "admin");
	r = send_json("POST", AUDITS, tok,
		      "{\"type\": \"internal\", \"title\": \"Once\"}",
		      "Idempotency-Key: au-1");
	ck_assert_int_eq(r->status, 201);
	id = t_keep(strdup(str(r, "id")));
	t_reply_free(r);
	r = send_json("POST", AUDITS, tok,
		      "{\"type\": \"internal\", \"title\": \"Once\"}",
		      "Idempotency-Key: au-1");
	ck_assert_int_eq(r->status, 201);
	ck_assert_str_eq(str(r, "id"), id);
	ck_assert_str_eq(r->location, fmt(AUDITS "/%s", id));
	ck_assert_str_eq(r->etag, "\"1\"");
	t_reply_free(r);
	r = send_json("POST", AUDITS, tok,
		      "{\"type\": \"internal\", \"title\": \"Twice\"}",
		      "Idempotency-Key: au-1");
	ck_assert(names_field(r, "Idempotency-Key"));
	expect(r, 422);
	ck_assert_int_eq(db_count(a.id, "SELECT count(*) FROM audits"), 1);

	id = started_audit(tok, a.admin_id, NULL);
	r = send_json("POST", fmt(AUDITS "/%s/findings", id), tok,
		      "{\"grade\": \"ofi\", \"title\": \"One\"}",
		      "Idempotency-Key: fi-1");
	ck_assert_int_eq(r->status, 201);
	finding = t_keep(strdup(str(r, "id")));
	t_reply_free(r);
	r = send_json("POST", fmt(AUDITS "/%s/findings", id), tok,
		      "{\"grade\": \"ofi\", \"title\": \"One\"}",
		      "Idempotency-Key: fi-1");
	again = t_keep(strdup(str(r, "id")));
	expect(r, 201);
	ck_assert_str_eq(again, finding);
	r = send_json("POST",
		      fmt("/api/v1/findings/%s/corrective-actions", finding),
		      tok, "{\"action\": \"Do\"}", "Idempotency-Key: ca-1");
	ck_assert_int_eq(r->status, 201);
	ca = t_keep(strdup(str(r, "id")));
	t_reply_free(r);
	r = send_json("POST",
		      fmt("/api/v1/findings/%s/corrective-actions", finding),
		      tok, "{\"action\": \"Do\"}", "Idempotency-Key: ca-1");
	ck_assert_str_eq(str(r, "id"), ca);
	expect(r, 201);
	ck_assert_int_eq(db_count(a.id, "SELECT count(*) FROM findings"), 1);
	ck_assert_int_eq(
		db_count(a.id, "SELECT count(*) FROM corrective_actions"), 1);
}
END_TEST

/* ---- the activity log ---- */

/* Runs sql as the superuser (the stack's postgres role). */
static void
super_exec(const char *sql)
{
	PGconn *c = PQconnectdb(t_env("ISMS_SUPER_DATABASE_URL"));
	PGresult *res;

	ck_assert_msg(PQstatus(c) == CONNECTION_OK, "%s", PQerrorMessage(c));
	res = PQexec(c, sql);
	ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK, "%s: %s", sql,
		      PQerrorMessage(c));
	PQclear(res);
	PQfinish(c);
}

START_TEST(activity_log_filters_paging_and_verify)
{
	struct t_tenant a, b;
	char auditor[37], viewer[37], *tok, *atok, *id, *seq, *since, *cursor;
	struct reply *r;
	const json_t *item;
	long last = 0, n = 0;
	size_t i;

	t_tenant_create(&a, "au-ac");
	t_tenant_create(&b, "au-acb");
	tok = t_token(a.id, a.admin_id, "admin");
	atok = member_token(&a, "auditor", auditor);
	id = create_audit(tok, "{\"type\": \"internal\", \"title\": \"Log\"}");
	expect(t_json("PATCH", fmt(AUDITS "/%s", id), tok,
		      "{\"title\": \"Log 2\"}"),
	       200);
	expect(t_json("PATCH", fmt(AUDITS "/%s", id), tok,
		      "{\"title\": \"Log 3\"}"),
	       200);

	/* An audit's history, newest first, two at a time. */
	cursor = NULL;
	do {
		r = t_json("GET",
			   fmt("/api/v1/activity?entity=audits&entity_id=%s&"
			       "limit=2%s%s",
			       id, cursor ? "&cursor=" : "",
			       cursor ? cursor : ""),
			   tok, NULL);
		ck_assert_int_eq(r->status, 200);
		json_array_foreach (json_object_get(r->json, "items"), i,
				    item) {
			ck_assert(last == 0 || num(item, "seq") < last);
			last = num(item, "seq");
			ck_assert_str_eq(json_string_value(json_object_get(
						 item, "entity_id")),
					 id);
			ck_assert_int_eq(
				strlen(json_string_value(
					json_object_get(item, "hash"))),
				64);
			if (n++ == 0) {
				ck_assert_str_eq(
					json_string_value(json_object_get(
						json_object_get(item, "after"),
						"title")),
					"Log 3");
				ck_assert_str_eq(
					json_string_value(json_object_get(
						item, "actor_id")),
					a.admin_id);
			}
		}
		cursor = str(r, "next_cursor")
				 ? t_keep(strdup(str(r, "next_cursor")))
				 : NULL;
		t_reply_free(r);
	} while (cursor != NULL);
	ck_assert_int_eq(n, 3);

	/* Filters: action, actor, time range. */
	r = t_json("GET",
		   fmt("/api/v1/activity?entity=audits&action=create&"
		       "actor_id=%s",
		       a.admin_id),
		   tok, NULL);
	ck_assert_int_eq(item_count(r), 1);
	t_reply_free(r);
	since = t_keep(strdup(t_db_value(
		a.id, "SELECT to_char(now() AT TIME ZONE 'UTC' + interval "
		      "'1 hour', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")));
	r = t_json("GET", fmt("/api/v1/activity?since=%s", since), tok, NULL);
	ck_assert_int_eq(item_count(r), 0);
	t_reply_free(r);
	r = t_json("GET",
		   fmt("/api/v1/activity?until=%s&entity=tenants", since), tok,
		   NULL);
	ck_assert_int_eq(item_count(r), 1);
	t_reply_free(r);
	r = t_json("GET", "/api/v1/activity?since=2000-01-01T00:00:00%2B02:00",
		   tok, NULL);
	ck_assert_int_ge(item_count(r), 4);
	t_reply_free(r);
	expect(t_json("GET", "/api/v1/activity?since=yesterday", tok, NULL),
	       400);
	expect(t_json("GET", "/api/v1/activity?actor_id=me", tok, NULL), 400);
	expect(t_json("GET", "/api/v1/activity?action=edit", tok, NULL), 400);
	expect(t_json("GET", "/api/v1/activity?cursor=abc", tok, NULL), 400);
	expect(t_json("GET", "/api/v1/activity?seq=1", tok, NULL), 400);
	expect(t_json("GET", "/api/v1/activity?entity=", tok, NULL), 400);

	/* Auditors read it, and their reads are in it. */
	expect(t_json("GET", "/api/v1/activity?limit=1", atok, NULL), 200);
	r = t_json("GET",
		   fmt("/api/v1/activity?actor_id=%s&action=read", auditor),
		   tok, NULL);
	ck_assert_int_ge(item_count(r), 1);
	ck_assert_str_eq(
		json_string_value(json_object_get(
			json_object_get(
				json_array_get(
					json_object_get(r->json, "items"), 0),
				"after"),
			"path")),
		"/api/v1/activity");
	t_reply_free(r);
	expect(t_json("GET", "/api/v1/activity",
		      member_token(&a, "viewer", viewer), NULL),
	       403);

	/* A row altered behind the services' back is found. */
	r = t_json("GET", "/api/v1/activity/verify", tok, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert(json_is_true(json_object_get(r->json, "ok")));
	ck_assert(json_is_null(json_object_get(r->json, "first_broken_seq")));
	ck_assert_int_eq(num(r->json, "checked"),
			 num(json_object_get(r->json, "head"), "seq"));
	t_reply_free(r);
	seq = t_keep(strdup(t_db_value(
		a.id, fmt("SELECT seq FROM activity_log WHERE entity = "
			  "'audits' AND entity_id = '%s' AND action = "
			  "'update' ORDER BY seq LIMIT 1",
			  id))));
	super_exec(
		fmt("BEGIN; SET LOCAL session_replication_role = replica; "
		    "UPDATE activity_log SET after = jsonb_set(after, "
		    "'{title}', '\"Forged\"') WHERE tenant_id = '%s' AND seq "
		    "= %s; COMMIT",
		    a.id, seq));
	r = t_json("GET", "/api/v1/activity/verify", atok, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert(json_is_false(json_object_get(r->json, "ok")));
	ck_assert_int_eq(num(r->json, "first_broken_seq"),
			 strtol(seq, NULL, 10));
	ck_assert_int_eq(num(r->json, "checked"), strtol(seq, NULL, 10) - 1);
	t_reply_free(r);
	/* Another tenant's chain is its own. */
	r = t_json("GET", "/api/v1/activity/verify",
		   t_token(b.id, b.admin_id, "admin"), NULL);
	ck_assert(json_is_true(json_object_get(r->json, "ok")));
	t_reply_free(r);
	r = t_json("GET", "/api/v1/activity",
		   t_token(b.id, b.admin_id, "admin"), NULL);
	ck_assert_ptr_null(strstr(r->body, a.id));
	ck_assert_ptr_null(strstr(r->body, id));
	t_reply_free(r);
}
END_TEST

struct slow_write {
	const char *tenant, *audit;
	int done;
};

/* Holds tenant A's chain head (an uncommitted change) for a while. */
static void *
hold_head(void *arg)
{
	struct slow_write *w = arg;
	PGconn *c = PQconnectdb(t_env("ISMS_ADMIN_DATABASE_URL"));
	char sql[400];

	snprintf(sql, sizeof(sql),
		 "BEGIN; SELECT set_config('app.tenant_id', '%s', true); "
		 "UPDATE audits SET title = 'held' WHERE id = '%s'",
		 w->tenant, w->audit);
	PQclear(PQexec(c, sql));
	w->done = 1;
	sleep(4);
	PQclear(PQexec(c, "ROLLBACK"));
	PQfinish(c);
	return NULL;
}

START_TEST(tenants_do_not_wait_for_each_other)
{
	struct t_tenant a, b;
	struct slow_write w;
	pthread_t th;
	struct timespec t0, t1;
	char *tok, *btok, *id;
	double elapsed;

	t_tenant_create(&a, "au-sa");
	t_tenant_create(&b, "au-sb");
	tok = t_token(a.id, a.admin_id, "admin");
	btok = t_token(b.id, b.admin_id, "admin");
	id = create_audit(tok, "{\"type\": \"internal\", \"title\": \"A\"}");
	w.tenant = a.id;
	w.audit = id;
	w.done = 0;
	ck_assert_int_eq(pthread_create(&th, NULL, hold_head, &w), 0);
	while (!w.done)
		usleep(10000);
	/* A's chain is locked by the open transaction; B writes anyway. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	create_audit(btok, "{\"type\": \"internal\", \"title\": \"B\"}");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	elapsed = (double)(t1.tv_sec - t0.tv_sec) +
		  (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_msg(elapsed < 2.0, "tenant B waited %.1f s for A", elapsed);
	/* A's own write waits for A's head, then goes through. */
	create_audit(tok, "{\"type\": \"internal\", \"title\": \"A2\"}");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	elapsed = (double)(t1.tv_sec - t0.tv_sec) +
		  (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_msg(elapsed > 2.0, "A did not wait (%.1f s)", elapsed);
	pthread_join(th, NULL);
	expect(t_json("GET", "/api/v1/activity/verify", btok, NULL), 200);
}
END_TEST

/* ---- roles, engagement scope, other tenants ---- */

/*
 * One audit with everything below it, in a tenant: the ids every route
 * needs, and tokens per role. The auditor is on this audit's team.
 */
struct world {
	struct t_tenant t;
	char auditor[37], editor[37], viewer[37];
	char *tok, *etok, *vtok, *atok;
	char *audit, *item, *finding, *ca, *other, *other_finding;
};

static void
world_create(struct world *w, const char *prefix)
{
	t_tenant_create(&w->t, prefix);
	w->tok = t_token(w->t.id, w->t.admin_id, "admin");
	w->etok = member_token(&w->t, "editor", w->editor);
	w->vtok = member_token(&w->t, "viewer", w->viewer);
	w->atok = member_token(&w->t, "auditor", w->auditor);
	w->audit =
		started_audit(w->tok, w->t.admin_id,
			      fmt("\"team_member_ids\": [\"%s\"]", w->auditor));
	w->item = item_of(w->t.id, w->audit, "5.2");
	w->finding =
		call_id("POST", fmt(AUDITS "/%s/findings", w->audit), w->tok,
			"{\"grade\": \"minor_nc\", \"title\": \"F\"}", 201);
	w->ca = call_id(
		"POST",
		fmt("/api/v1/findings/%s/corrective-actions", w->finding),
		w->tok, "{\"action\": \"A\"}", 201);
	/* An audit the auditor is not on. */
	w->other = started_audit(w->tok, w->t.admin_id, NULL);
	w->other_finding =
		call_id("POST", fmt(AUDITS "/%s/findings", w->other), w->tok,
			"{\"grade\": \"ofi\", \"title\": \"Elsewhere\"}", 201);
}

enum kind { READ, WRITE, ACTIVITY };

struct route_case {
	const char *method;
	const char *path; /* %A audit, %I item, %F finding, %C action,
			     %P a fresh planned audit */
	const char *body;
	enum kind kind;
	long ok; /* the status a permitted role gets */
};

static const struct route_case routes[] = {
	{"GET", "/api/v1/audits", NULL, READ, 200},
	{"POST", "/api/v1/audits", "{\"type\": \"internal\", \"title\": \"R\"}",
	 WRITE, 201},
	{"POST", "/api/v1/audits/programme",
	 "{\"stage2_date\": \"2025-06-01\"}", WRITE, 200},
	{"GET", "/api/v1/audits/%A", NULL, READ, 200},
	{"PATCH", "/api/v1/audits/%A", "{\"description\": \"d\"}", WRITE, 200},
	{"DELETE", "/api/v1/audits/%P", NULL, WRITE, 204},
	{"GET", "/api/v1/audits/%A/checklist", NULL, READ, 200},
	{"GET", "/api/v1/audits/%A/checklist/%I", NULL, READ, 200},
	{"PATCH", "/api/v1/audits/%A/checklist/%I", "{\"notes\": \"n\"}", WRITE,
	 200},
	{"GET", "/api/v1/audits/%A/findings", NULL, READ, 200},
	{"POST", "/api/v1/audits/%A/findings",
	 "{\"grade\": \"ofi\", \"title\": \"R\"}", WRITE, 201},
	{"GET", "/api/v1/audits/%A/baseline", NULL, READ, 200},
	{"POST", "/api/v1/audits/%P/baseline", NULL, WRITE, 201},
	{"GET", "/api/v1/audits/%A/report", NULL, READ, 200},
	{"GET", "/api/v1/findings/%F", NULL, READ, 200},
	{"PATCH", "/api/v1/findings/%F", "{\"description\": \"d\"}", WRITE,
	 200},
	{"GET", "/api/v1/findings/%F/corrective-actions", NULL, READ, 200},
	{"POST", "/api/v1/findings/%F/corrective-actions",
	 "{\"action\": \"R\"}", WRITE, 201},
	{"GET", "/api/v1/corrective-actions/%C", NULL, READ, 200},
	{"PATCH", "/api/v1/corrective-actions/%C", "{\"root_cause\": \"r\"}",
	 WRITE, 200},
	{"GET", "/api/v1/activity", NULL, ACTIVITY, 200},
	{"GET", "/api/v1/activity/verify", NULL, ACTIVITY, 200},
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

/* The route's path with w's ids (a fresh planned audit for %P). */
static char *
route_path(const struct route_case *rc, const struct world *w)
{
	char out[512];
	const char *p, *v;
	size_t n = 0;

	for (p = rc->path; *p != '\0'; p++) {
		if (*p != '%') {
			out[n++] = *p;
			continue;
		}
		p++;
		v = *p == 'A'   ? w->audit
		    : *p == 'I' ? w->item
		    : *p == 'F' ? w->finding
		    : *p == 'C'
			    ? w->ca
			    : create_audit(w->tok, "{\"type\": \"internal\", "
						   "\"title\": \"Fresh\"}");
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s", v);
	}
	out[n] = '\0';
	return fmt("%s", out);
}

START_TEST(role_matrix_of_every_route)
{
	struct world w;
	const char *toks[4],
		*roles[4] = {"admin", "editor", "viewer", "auditor"};
	const struct route_case *rc;
	size_t i, k;
	long want;
	struct reply *r;

	world_create(&w, "au-rm");
	toks[0] = w.tok;
	toks[1] = w.etok;
	toks[2] = w.vtok;
	toks[3] = w.atok;
	for (k = 0; k < 4; k++) {
		for (i = 0; i < NROUTES; i++) {
			rc = &routes[i];
			if (rc->kind == READ)
				want = rc->ok;
			else if (rc->kind == WRITE)
				want = k < 2 ? rc->ok : 403;
			else
				want = (k == 0 || k == 3) ? rc->ok : 403;
			r = t_json(rc->method, route_path(rc, &w), toks[k],
				   rc->body);
			ck_assert_msg(r->status == want,
				      "%s %s as %s: expected %ld, got %ld: "
				      "%.300s",
				      rc->method, rc->path, roles[k], want,
				      r->status, r->body ? r->body : "");
			expect(r, want);
		}
	}
	/* Without a token: 401 everywhere. */
	for (i = 0; i < NROUTES; i++) {
		r = t_json(routes[i].method, route_path(&routes[i], &w), NULL,
			   routes[i].body);
		ck_assert_msg(r->status == 401, "%s %s: %ld", routes[i].method,
			      routes[i].path, r->status);
		expect(r, 401);
	}
	/* What viewers and auditors tried left no trace but their reads. */
	ck_assert_str_eq(
		t_db_value(w.t.id, fmt("SELECT description IS NULL FROM "
				       "audits WHERE id = '%s'",
				       w.other)),
		"t");
}
END_TEST

START_TEST(auditors_see_only_their_engagements)
{
	struct world w;
	const char *paths[8];
	struct reply *r;
	size_t i;

	world_create(&w, "au-en");
	/* On the team: everything of that audit. */
	r = t_json("GET", AUDITS, w.atok, NULL);
	ck_assert_str_eq(item_ids(r), w.audit);
	t_reply_free(r);
	r = t_json("GET", fmt(AUDITS "/%s", w.audit), w.atok, NULL);
	ck_assert_int_eq(r->status, 200);
	/* The whole team, not only the auditor. */
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "team")), 2);
	ck_assert_str_eq(str(r, "lead_auditor_id"), w.t.admin_id);
	t_reply_free(r);
	r = t_json("GET", fmt(AUDITS "/%s/report", w.audit), w.atok, NULL);
	ck_assert_int_eq(r->status, 200);
	t_reply_free(r);
	/* Not on the team: the audit and all below it do not exist. */
	paths[0] = fmt(AUDITS "/%s", w.other);
	paths[1] = fmt(AUDITS "/%s/checklist", w.other);
	paths[2] = fmt(AUDITS "/%s/checklist/%s", w.other,
		       item_of(w.t.id, w.other, "5.2"));
	paths[3] = fmt(AUDITS "/%s/findings", w.other);
	paths[4] = fmt(AUDITS "/%s/baseline", w.other);
	paths[5] = fmt(AUDITS "/%s/report", w.other);
	paths[6] = fmt("/api/v1/findings/%s", w.other_finding);
	paths[7] =
		fmt("/api/v1/findings/%s/corrective-actions", w.other_finding);
	for (i = 0; i < 8; i++) {
		expect(t_json("GET", paths[i], w.atok, NULL), 404);
		expect(t_json("GET", paths[i], w.vtok, NULL), 200);
	}
	/* Auditors read the SoA, risks, controls and evidence; write none. */
	expect(t_json("GET", "/api/v1/soa", w.atok, NULL), 200);
	expect(t_json("GET", "/api/v1/risks", w.atok, NULL), 200);
	expect(t_json("GET", "/api/v1/controls", w.atok, NULL), 200);
	expect(t_json("GET", "/api/v1/evidence", w.atok, NULL), 200);
	expect(t_json("POST", "/api/v1/risks", w.atok, "{\"title\": \"x\"}"),
	       403);
	/* Every one of those requests is in the log. */
	ck_assert_int_ge(
		db_count(w.t.id, fmt("SELECT count(*) FROM activity_log "
				     "WHERE actor_id = '%s' AND action = "
				     "'read'",
				     w.auditor)),
		16);
	/* Off the team again: the engagement ends with it. */
	expect(t_json("PATCH", fmt(AUDITS "/%s", w.audit), w.tok,
		      "{\"team_member_ids\": []}"),
	       200);
	expect(t_json("GET", fmt(AUDITS "/%s", w.audit), w.atok, NULL), 404);
}
END_TEST

START_TEST(other_tenants_ids_are_never_found)
{
	struct world w, o;
	const struct route_case *rc;
	struct reply *r;
	char *path, *before, *state;
	size_t i;

	world_create(&w, "au-xa");
	world_create(&o, "au-xb");
	state = fmt("SELECT (SELECT string_agg(version::text, ',' ORDER BY "
		    "id) FROM audits WHERE id IN ('%s', '%s')) || '/' || "
		    "(SELECT version FROM findings WHERE id = '%s') || '/' "
		    "|| (SELECT version FROM corrective_actions WHERE id = "
		    "'%s') || '/' || (SELECT version FROM "
		    "audit_checklist_items WHERE id = '%s')",
		    o.audit, o.other, o.finding, o.ca, o.item);
	before = t_keep(strdup(t_db_value(o.t.id, state)));
	/* B's ids in A's paths: 404 for every route that takes an id. */
	for (i = 0; i < NROUTES; i++) {
		rc = &routes[i];
		if (strchr(rc->path, '%') == NULL)
			continue;
		path = route_path(rc, &o);
		r = t_json(rc->method, path, w.tok, rc->body);
		ck_assert_msg(r->status == 404, "%s %s: %ld %.200s", rc->method,
			      path, r->status, r->body);
		expect(r, 404);
	}
	/* A's item under B's audit and the reverse. */
	expect(t_json("GET", fmt(AUDITS "/%s/checklist/%s", w.audit, o.item),
		      w.tok, NULL),
	       404);
	/* B's ids in A's bodies: 422 naming the field. */
	invalid("PATCH", fmt(AUDITS "/%s", w.audit), w.tok,
		fmt("{\"lead_auditor_id\": \"%s\"}", o.t.admin_id),
		"lead_auditor_id");
	invalid("PATCH", fmt(AUDITS "/%s", w.audit), w.tok,
		fmt("{\"team_member_ids\": [\"%s\"]}", o.auditor),
		"team_member_ids[0]");
	invalid("POST", fmt(AUDITS "/%s/findings", w.audit), w.tok,
		fmt("{\"grade\": \"ofi\", \"title\": \"x\", "
		    "\"checklist_item_id\": \"%s\"}",
		    o.item),
		"checklist_item_id");
	invalid("POST",
		fmt("/api/v1/findings/%s/corrective-actions", w.finding), w.tok,
		fmt("{\"action\": \"x\", \"owner_id\": \"%s\"}", o.editor),
		"owner_id");
	invalid("PATCH", fmt("/api/v1/corrective-actions/%s", w.ca), w.tok,
		fmt("{\"owner_id\": \"%s\"}", o.editor), "owner_id");
	/* Lists never show them. */
	r = t_json("GET", AUDITS, w.tok, NULL);
	ck_assert_ptr_null(strstr(r->body, o.audit));
	ck_assert_ptr_null(strstr(r->body, o.other));
	t_reply_free(r);
	r = t_json("GET", "/api/v1/activity?limit=200", w.tok, NULL);
	ck_assert_ptr_null(strstr(r->body, o.audit));
	t_reply_free(r);
	/* Nothing of B changed. */
	ck_assert_str_eq(t_db_value(o.t.id, state), before);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("audits");
	TCase *tc = tcase_create("audits");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, create_and_read_every_field);
	tcase_add_test(tc, every_audit_field_is_validated);
	tcase_add_test(tc, transitions_if_match_and_delete);
	tcase_add_test(tc, checklist_generated_from_scope);
	tcase_add_test(tc, findings_and_the_closing_rule);
	tcase_add_test(tc, baseline_is_frozen);
	tcase_add_test(tc, report_json_and_html);
	tcase_add_test(tc, programme_proposes_the_cycle);
	tcase_add_test(tc, idempotent_creates);
	tcase_add_test(tc, activity_log_filters_paging_and_verify);
	tcase_add_test(tc, tenants_do_not_wait_for_each_other);
	tcase_add_test(tc, role_matrix_of_every_route);
	tcase_add_test(tc, auditors_see_only_their_engagements);
	tcase_add_test(tc, other_tenants_ids_are_never_found);
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
