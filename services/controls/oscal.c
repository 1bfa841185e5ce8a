/*
 * OSCAL catalogs (the NIST Open Security Controls Assessment Language,
 * catalog model 1.x, JSON): POST /api/v1/frameworks/import makes a tenant
 * framework of one, GET /api/v1/frameworks/{slug}/export?format=oscal
 * writes any framework as one (OSCAL 1.1.2).
 *
 * Import: groups become requirements of kind group (nested groups
 * nested), controls kind control, controls nested in controls (control
 * enhancements) kind enhancement, all keyed by their OSCAL id. A
 * control's statement is the text of its "statement" part: the part's
 * prose, then each nested part on a line of its own, its label first.
 * Params are kept as they are; every other member of a group or control
 * (class, props, links, parts) and of the catalog (uuid, metadata,
 * back-matter, params) is kept too, so the export gives them back. The
 * rows go through the same insertion as a framework created from JSON
 * (frameworks_insert), in one statement.
 *
 * Export: the kept members come back as they were (key order aside);
 * requirements that did not come from OSCAL (the seeded catalogs,
 * frameworks made from JSON) get a statement part from their statement,
 * and a reference that is not an OSCAL token (clause "4.1") is written
 * as one ("clause-4.1") with the reference as the control's label prop.
 */
#include "controls.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "errors.h"
#include "validate.h"

#define OSCAL_VERSION "1.1.2"
#define MAX_ERRORS 50

/* ---- text of a statement ---- */

struct text {
	char *s;
	size_t len, cap;
	bool failed;
};

static void
text_add(struct text *t, const char *s, size_t n)
{
	char *grown;
	size_t cap;

	if (t->failed || n == 0)
		return;
	if (t->len + n + 1 > t->cap) {
		cap = t->cap ? t->cap : 256;
		while (cap < t->len + n + 1)
			cap *= 2;
		grown = realloc(t->s, cap);
		if (grown == NULL) {
			t->failed = true;
			return;
		}
		t->s = grown;
		t->cap = cap;
	}
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = '\0';
}

static const char *
part_label(const json_t *part)
{
	const json_t *prop;
	size_t i;

	json_array_foreach (json_object_get(part, "props"), i, prop) {
		if (json_is_string(json_object_get(prop, "name")) &&
		    strcmp(json_string_value(json_object_get(prop, "name")),
			   "label") == 0)
			return json_string_value(
				json_object_get(prop, "value"));
	}
	return NULL;
}

/* One line per part: "<label> <prose>" (no label on the top part). */
static void
text_part(struct text *t, const json_t *part, int depth)
{
	const char *label = depth > 0 ? part_label(part) : NULL;
	const char *prose = json_string_value(json_object_get(part, "prose"));
	const json_t *sub;
	size_t i;

	if (depth > FRAMEWORK_MAX_DEPTH * 4 || !json_is_object(part))
		return;
	if (label != NULL || prose != NULL) {
		if (t->len > 0)
			text_add(t, "\n", 1);
		if (label != NULL) {
			text_add(t, label, strlen(label));
			if (prose != NULL)
				text_add(t, " ", 1);
		}
		if (prose != NULL)
			text_add(t, prose, strlen(prose));
	}
	json_array_foreach (json_object_get(part, "parts"), i, sub)
		text_part(t, sub, depth + 1);
}

/* ---- import ---- */

struct flat {
	struct request *r;
	struct response *res;
	json_t *rows;
	json_t *seen; /* refs, as an object used as a set */
	int order;
	int nerrors;
};

static void
flat_error(struct flat *f, const char *path, const char *member,
	   const char *message)
{
	if (f->nerrors++ >= MAX_ERRORS)
		return;
	if (member != NULL)
		http_field_error(
			f->res,
			arena_printf(f->r->arena, "%s.%s", path, member), "%s",
			message);
	else
		http_field_error(f->res, path, "%s", message);
}

/* A string of 1 to max characters without control characters. */
static bool
line_ok(const char *s, long max)
{
	const unsigned char *p;
	size_t n;

	if (s == NULL)
		return false;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	n = validate_utf8_length(s);
	return n >= 1 && (long)n <= max;
}

/* An optional member that must be an array when present. */
static bool
array_or_absent(struct flat *f, const json_t *obj, const char *path,
		const char *member)
{
	const json_t *v = json_object_get(obj, member);

	if (v == NULL || json_is_array(v))
		return true;
	flat_error(f, path, member, "must be an array");
	return false;
}

static void flat_list(struct flat *f, const json_t *obj, const char *path,
		      const char *member, const char *parent_ref,
		      const char *parent_kind, const char *theme, int depth);

/* The members kept for the export: all but those stored in columns. */
static json_t *
extras(const json_t *node)
{
	static const char *const stored[] = {"id",       "title",  "params",
					     "controls", "groups", NULL};
	json_t *copy = json_deep_copy(node);
	size_t i;

	for (i = 0; stored[i] != NULL; i++)
		json_object_del(copy, stored[i]);
	if (json_object_size(copy) == 0) {
		json_decref(copy);
		return json_null();
	}
	return copy;
}

static void
flat_node(struct flat *f, const json_t *node, const char *path,
	  const char *parent_ref, const char *kind, const char *theme,
	  int depth)
{
	bool group = strcmp(kind, "group") == 0;
	const char *ref = json_string_value(json_object_get(node, "id"));
	const char *title = json_string_value(json_object_get(node, "title"));
	const json_t *part;
	struct text stmt = {NULL, 0, 0, false};
	size_t i;
	bool ok = true;

	if (!json_is_object(node)) {
		flat_error(f, path, NULL, "must be an object");
		return;
	}
	if (group && json_object_get(node, "id") == NULL)
		ref = arena_printf(f->r->arena, "group-%d", f->order + 1);
	if (!line_ok(ref, 100)) {
		flat_error(f, path, "id",
			   "must be a string of 1 to 100 characters");
		ok = false;
	}
	if (!line_ok(title, 1000)) {
		flat_error(f, path, "title",
			   "must be a string of 1 to 1000 characters");
		ok = false;
	}
	ok = array_or_absent(f, node, path, "params") && ok;
	ok = array_or_absent(f, node, path, "parts") && ok;
	ok = array_or_absent(f, node, path, "controls") && ok;
	if (group)
		ok = array_or_absent(f, node, path, "groups") && ok;
	else if (json_object_get(node, "groups") != NULL) {
		flat_error(f, path, "groups", "a control holds no groups");
		ok = false;
	}
	if (!ok)
		return;
	if (json_object_get(f->seen, ref) != NULL) {
		flat_error(f, path, "id", "is repeated in this catalog");
		return;
	}
	json_object_set_new(f->seen, ref, json_true());
	if (group && theme == NULL)
		theme = title;
	json_array_foreach (json_object_get(node, "parts"), i, part) {
		if (json_is_object(part) &&
		    json_is_string(json_object_get(part, "name")) &&
		    strcmp(json_string_value(json_object_get(part, "name")),
			   "statement") == 0)
			text_part(&stmt, part, 0);
	}
	if (stmt.failed) {
		free(stmt.s);
		flat_error(f, path, NULL, "could not be read (out of memory)");
		return;
	}
	if (stmt.s != NULL && validate_utf8_length(stmt.s) > 100000)
		flat_error(f, path, "parts",
			   "hold a statement longer than 100000 characters");
	else
		json_array_append_new(
			f->rows,
			json_pack("{s:s, s:s?, s:s, s:s, s:s?, s:s?, s:O?, "
				  "s:o, s:i}",
				  "ref", ref, "parent_ref", parent_ref, "kind",
				  kind, "title", title, "statement", stmt.s,
				  "theme", theme, "params",
				  json_object_get(node, "params"), "oscal",
				  extras(node), "sort_order", f->order++));
	free(stmt.s);
	if (group)
		flat_list(f, node, path, "groups", ref, "group", theme,
			  depth + 1);
	flat_list(f, node, path, "controls", ref, kind, theme, depth + 1);
}

/*
 * The groups or controls of obj. What a control is depends on where it
 * is: under a control it is an enhancement.
 */
static void
flat_list(struct flat *f, const json_t *obj, const char *path,
	  const char *member, const char *parent_ref, const char *parent_kind,
	  const char *theme, int depth)
{
	const json_t *list = json_object_get(obj, member), *node;
	const char *kind;
	size_t i;

	if (list == NULL)
		return;
	if (depth >= FRAMEWORK_MAX_DEPTH) {
		flat_error(f, path, member, "nest too deep");
		return;
	}
	if (strcmp(member, "groups") == 0)
		kind = "group";
	else if (parent_kind != NULL && strcmp(parent_kind, "group") != 0)
		kind = "enhancement";
	else
		kind = "control";
	json_array_foreach (list, i, node) {
		if (json_array_size(f->rows) >= FRAMEWORK_MAX_REQUIREMENTS) {
			flat_error(f, path, member,
				   "hold too many controls and groups");
			return;
		}
		flat_node(f, node,
			  arena_printf(f->r->arena, "%s.%s[%zu]", path, member,
				       i),
			  parent_ref, kind, theme, depth);
	}
}

const char *const oscal_import_query[] = {"slug", "name", NULL};

int
oscal_import(struct request *r, struct response *res)
{
	struct flat f = {r, res, NULL, NULL, 0, 0};
	struct idempotency idem;
	const char *slug = http_query(r, "slug"), *name = http_query(r, "name");
	const char *edition;
	const json_t *catalog, *metadata;
	json_t *kept;
	int status;

	if (slug == NULL || !controls_slug_valid(slug) ||
	    strcmp(slug, "import") == 0)
		return http_problem(res, 400, "invalid-query",
				    "Query parameter 'slug' is required: 1 to "
				    "63 lower-case letters, digits, '.', '_' "
				    "or '-', starting with a letter or digit.");
	if (name != NULL && !line_ok(name, 200))
		return http_problem(res, 400, "invalid-query",
				    "Query parameter 'name' must be 1 to 200 "
				    "characters long.");
	if (!json_is_object(r->json))
		return http_problem(res, 400, "bad-request",
				    "The body must be a JSON object.");
	catalog = json_object_get(r->json, "catalog");
	if (!json_is_object(catalog)) {
		http_field_error(res, "catalog",
				 "must be an OSCAL catalog "
				 "object");
		return http_problem(res, 422, "validation",
				    "The body is not an OSCAL catalog.");
	}
	metadata = json_object_get(catalog, "metadata");
	if (!json_is_object(metadata) ||
	    !line_ok(json_string_value(json_object_get(metadata, "title")),
		     name != NULL ? 100000 : 200))
		flat_error(&f, "catalog.metadata", "title",
			   name != NULL ? "must be a string"
					: "must be a string of 1 to 200 "
					  "characters (or give ?name=)");
	edition = json_string_value(json_object_get(metadata, "version"));
	if (json_object_get(metadata, "version") != NULL &&
	    !line_ok(edition, 100))
		flat_error(&f, "catalog.metadata", "version",
			   "must be a string of 1 to 100 characters");
	if (!json_is_string(json_object_get(catalog, "uuid")))
		flat_error(&f, "catalog", "uuid", "must be a string");
	f.rows = json_array();
	f.seen = json_object();
	if (array_or_absent(&f, catalog, "catalog", "groups") &&
	    array_or_absent(&f, catalog, "catalog", "controls")) {
		flat_list(&f, catalog, "catalog", "groups", NULL, NULL, NULL,
			  0);
		flat_list(&f, catalog, "catalog", "controls", NULL, NULL, NULL,
			  0);
	}
	if (res->problem_errors == NULL && json_array_size(f.rows) == 0)
		flat_error(&f, "catalog", "groups",
			   "the catalog holds no groups or controls");
	if (res->problem_errors != NULL) {
		json_decref(f.rows);
		json_decref(f.seen);
		return http_problem(res, 422, "validation",
				    "The body is not an OSCAL catalog this "
				    "service can import.");
	}
	if (name == NULL)
		name = json_string_value(json_object_get(metadata, "title"));
	kept = json_deep_copy(catalog);
	json_object_del(kept, "groups");
	json_object_del(kept, "controls");
	if ((status = idempotency_begin(r, res, &idem)) == 0)
		status = frameworks_insert(r, res, &idem, slug, name, edition,
					   NULL, "oscal", kept, f.rows);
	json_decref(kept);
	json_decref(f.rows);
	json_decref(f.seen);
	return status;
}

/* ---- export ---- */

static const struct db_stmt q_framework = {
	"SELECT f.id, f.slug, f.name, f.edition, f.oscal, f.updated_at"
	" FROM frameworks f WHERE f.slug = $1"};

/* Parents come before their children in a framework's order. */
static const struct db_stmt q_rows = {
	"SELECT r.id, r.parent_id, r.ref, r.kind, r.title, r.statement,"
	" r.params, r.oscal FROM requirements r"
	" WHERE r.framework_id = $1::uuid ORDER BY r.sort_order"};

const char *const oscal_export_query[] = {"format", NULL};

/* An OSCAL token: a letter or '_', then letters, digits, '.', '-', '_'. */
static bool
token_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!(isalpha(*p) || *p == '_' || *p >= 0x80))
		return false;
	for (p++; *p != '\0'; p++)
		if (!(isalnum(*p) || *p == '.' || *p == '-' || *p == '_' ||
		      *p >= 0x80))
			return false;
	return true;
}

/* The reference as a token: "<kind>-<ref>", other characters as '_'. */
static const char *
export_id(struct arena *a, const char *ref, const char *kind)
{
	char *id, *p;

	if (token_valid(ref))
		return ref;
	id = arena_printf(a, "%s-%s", kind, ref);
	if (id == NULL)
		return ref;
	for (p = id + strlen(kind) + 1; *p != '\0'; p++)
		if (!(isalnum((unsigned char)*p) || *p == '.' || *p == '-' ||
		      *p == '_' || (unsigned char)*p >= 0x80))
			*p = '_';
	return id;
}

/* Moves member key of from (if present) to the end of to. */
static void
take(json_t *to, json_t *from, const char *key)
{
	json_t *v = json_object_get(from, key);

	if (v != NULL) {
		json_object_set(to, key, v);
		json_object_del(from, key);
	}
}

/* Appends what is left of from to to, and frees from. */
static void
take_rest(json_t *to, json_t *from)
{
	const char *key;
	json_t *v;

	json_object_foreach (from, key, v) {
		json_object_set(to, key, v);
	}
	json_decref(from);
}

static json_t *
column_json(const PGresult *rows, int i, int col)
{
	json_t *v = db_value_json(rows, i, col);

	if (json_is_null(v)) {
		json_decref(v);
		return NULL;
	}
	return v;
}

/* One group or control: id, class, title, params, props, links, parts. */
static json_t *
export_node(struct arena *a, const PGresult *rows, int i)
{
	const char *ref = PQgetvalue(rows, i, 2),
		   *kind = PQgetvalue(rows, i, 3);
	const char *id = export_id(a, ref, kind);
	json_t *node = json_object();
	json_t *kept = column_json(rows, i, 7);
	json_t *params = column_json(rows, i, 6);
	json_t *props;

	if (kept == NULL)
		kept = json_object();
	json_object_set_new(node, "id", json_string(id));
	take(node, kept, "class");
	json_object_set_new(node, "title", json_string(PQgetvalue(rows, i, 4)));
	if (params != NULL)
		json_object_set_new(node, "params", params);
	if (id != ref) {
		props = json_object_get(kept, "props");
		if (!json_is_array(props)) {
			props = json_array();
			json_object_set_new(kept, "props", props);
		}
		json_array_insert_new(
			props, 0,
			json_pack("{s:s, s:s}", "name", "label", "value", ref));
	}
	take(node, kept, "props");
	take(node, kept, "links");
	if (json_object_get(kept, "parts") == NULL &&
	    !PQgetisnull(rows, i, 5) && strcmp(kind, "group") != 0)
		json_object_set_new(kept, "parts",
				    json_pack("[{s:s+, s:s, s:s}]", "id", id,
					      "_smt", "name", "statement",
					      "prose", PQgetvalue(rows, i, 5)));
	take(node, kept, "parts");
	take_rest(node, kept);
	return node;
}

/* Appends child to the parent's "groups" or "controls". */
static void
attach(json_t *parent, json_t *child, bool group)
{
	const char *key = group ? "groups" : "controls";
	json_t *list = json_object_get(parent, key);

	if (list == NULL) {
		list = json_array();
		json_object_set_new(parent, key, list);
	}
	json_array_append(list, child);
}

static json_t *
export_metadata(const PGresult *fw, json_t *kept)
{
	json_t *from = json_object_get(kept, "metadata");
	json_t *md = json_object(), *rest;

	rest = json_is_object(from) ? json_deep_copy(from) : json_object();
	if (json_object_get(rest, "title") == NULL)
		json_object_set_new(rest, "title",
				    json_string(PQgetvalue(fw, 0, 2)));
	if (json_object_get(rest, "last-modified") == NULL)
		json_object_set_new(rest, "last-modified",
				    db_value_json(fw, 0, 5));
	if (json_object_get(rest, "version") == NULL)
		json_object_set_new(
			rest, "version",
			json_string(PQgetisnull(fw, 0, 3)
					    ? "1.0"
					    : PQgetvalue(fw, 0, 3)));
	json_object_set_new(rest, "oscal-version", json_string(OSCAL_VERSION));
	take(md, rest, "title");
	take(md, rest, "published");
	take(md, rest, "last-modified");
	take(md, rest, "version");
	take(md, rest, "oscal-version");
	take_rest(md, rest);
	return md;
}

int
oscal_export(struct request *r, struct response *res)
{
	const char *format = http_query(r, "format"), *params[1];
	json_t *catalog, *kept, *nodes, *top, *node, *parent;
	PGresult *fw, *rows;
	int i, n;

	if (format != NULL && strcmp(format, "oscal") != 0)
		return http_problem(res, 400, "invalid-query",
				    "Query parameter 'format' must be oscal.");
	if (!controls_slug_valid(r->params[0]))
		return http_problem(res, 404, "not-found",
				    "No such framework.");
	params[0] = r->params[0];
	fw = db_exec(r->db, &q_framework, 1, params, 0);
	if (fw == NULL)
		return errors_from_db(res, r->db);
	if (PQntuples(fw) == 0)
		return http_problem(res, 404, "not-found",
				    "No such framework.");
	params[0] = PQgetvalue(fw, 0, 0);
	rows = db_exec(r->db, &q_rows, 1, params, DB_COMMIT);
	if (rows == NULL)
		return errors_from_db(res, r->db);

	kept = column_json(fw, 0, 4);
	if (kept == NULL)
		kept = json_object();
	catalog = json_object();
	json_object_set_new(catalog, "uuid",
			    json_is_string(json_object_get(kept, "uuid"))
				    ? json_incref(json_object_get(kept, "uuid"))
				    : json_string(PQgetvalue(fw, 0, 0)));
	json_object_del(kept, "uuid");
	json_object_set_new(catalog, "metadata", export_metadata(fw, kept));
	json_object_del(kept, "metadata");
	take(catalog, kept, "params");
	top = json_object();
	nodes = json_object();
	n = PQntuples(rows);
	for (i = 0; i < n; i++) {
		node = export_node(r->arena, rows, i);
		json_object_set(nodes, PQgetvalue(rows, i, 0), node);
		parent = PQgetisnull(rows, i, 1)
				 ? top
				 : json_object_get(nodes,
						   PQgetvalue(rows, i, 1));
		if (parent == NULL)
			parent = top;
		attach(parent, node,
		       strcmp(PQgetvalue(rows, i, 3), "group") == 0);
		json_decref(node);
	}
	take(catalog, top, "controls");
	take(catalog, top, "groups");
	json_decref(top);
	json_decref(nodes);
	take(catalog, kept, "back-matter");
	take_rest(catalog, kept);
	res->body = json_pack("{s:o}", "catalog", catalog);
	http_header(res, "Content-Disposition",
		    "attachment; filename=\"%s.oscal.json\"", r->params[0]);
	return 200;
}
