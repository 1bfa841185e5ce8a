/*
 * /api/v1/frameworks: the control catalogs a tenant can use. The global
 * ones (ISO/IEC 27001:2022 with its clauses 4-10 and the 93 Annex A
 * controls, ISO/IEC 27001:2013 with its 114 controls, and the mapping
 * between them) are seeded by the migration and read-only; a tenant adds
 * its own from JSON (here) or from an OSCAL catalog (oscal.c), and may
 * delete those while nothing refers to them. Frameworks are addressed by
 * slug; a tenant's slug never shadows a global one (0007).
 *
 * The JSON form and the OSCAL import share one insertion: both flatten
 * their tree into rows {ref, parent_ref, kind, title, statement, theme,
 * params, oscal, sort_order}, and one statement writes the framework and
 * every requirement (frameworks_insert).
 */
#include "controls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "errors.h"
#include "page.h"
#include "validate.h"

/* Counts by kind, and controls by theme, over requirements q in src. */
#define FW_COUNTS(src, cond)                                                   \
	"(SELECT jsonb_build_object("                                          \
	"'clause', count(*) FILTER (WHERE q.kind = 'clause'),"                 \
	" 'group', count(*) FILTER (WHERE q.kind = 'group'),"                  \
	" 'control', count(*) FILTER (WHERE q.kind = 'control'),"              \
	" 'enhancement', count(*) FILTER (WHERE q.kind = 'enhancement'))"      \
	" FROM " src " q" cond ")"
#define FW_THEMES(src, cond)                                                   \
	"(SELECT coalesce(jsonb_object_agg(t.theme, t.n), '{}')"               \
	" FROM (SELECT q.theme, count(*) AS n FROM " src " q" cond             \
	" AND q.kind IN ('control', 'enhancement') AND q.theme IS NOT NULL"    \
	" GROUP BY q.theme) t)"

/* A framework as the API shows it; `f` is a row of frameworks. */
#define FRAMEWORK_COLUMNS_WITH(counts, themes)                                 \
	"f.id, f.slug, f.name, f.edition AS version, f.description,"           \
	" f.source, CASE WHEN f.tenant_id IS NULL THEN 'global'"               \
	" ELSE 'tenant' END AS scope, " counts " AS counts, " themes           \
	" AS themes, f.version AS revision, f.created_at, f.updated_at,"       \
	" f.created_by, f.updated_by"
#define FRAMEWORK_COLUMNS                                                      \
	FRAMEWORK_COLUMNS_WITH(                                                \
		FW_COUNTS("requirements", " WHERE q.framework_id = f.id"),     \
		FW_THEMES("requirements", " WHERE q.framework_id = f.id"))

static const struct db_stmt q_no_jit = {
	"SELECT set_config('jit', 'off', true)"};

/* ---- the shared insertion ---- */

/*
 * $1 slug, $2 name, $3 edition, $4 description, $5 source, $6 the OSCAL
 * catalog's other members, $7 the rows. Parents are found by ref among
 * the same rows; the requirements' foreign keys are checked at the end of
 * the statement, when every row exists.
 */
static const struct db_stmt q_insert = {
	"WITH f AS (INSERT INTO frameworks (tenant_id, slug, name, edition,"
	"  description, source, oscal) VALUES (app_tenant_id(), $1, $2, $3, $4,"
	"  $5, $6::jsonb) RETURNING *),"
	" rows AS MATERIALIZED (SELECT x.*, gen_random_uuid() AS id"
	"  FROM jsonb_to_recordset($7::jsonb) AS x(ref text, parent_ref text,"
	"  kind text, title text, statement text, theme text, params jsonb,"
	"  oscal jsonb, sort_order integer)),"
	" ins AS (INSERT INTO requirements (tenant_id, id, framework_id,"
	"  parent_id, ref, kind, title, statement, theme, params, oscal,"
	"  sort_order) SELECT app_tenant_id(), r.id, f.id, p.id, r.ref, r.kind,"
	"  r.title, r.statement, r.theme, r.params, r.oscal, r.sort_order"
	"  FROM rows r CROSS JOIN f LEFT JOIN rows p ON p.ref = r.parent_ref"
	"  RETURNING 1)"
	" SELECT (SELECT count(*) FROM ins) AS "
	"inserted, " FRAMEWORK_COLUMNS_WITH(
		FW_COUNTS("rows", ""),
		FW_THEMES("rows", " WHERE true")) " FROM f"};

static int
framework_response(struct response *res, const PGresult *row, int status)
{
	res->body = db_row_json(row, 0);
	json_object_del(res->body, "inserted");
	return page_etag(res, PQgetvalue(row, 0, PQfnumber(row, "revision")),
			 status);
}

int
frameworks_insert(struct request *r, struct response *res,
		  const struct idempotency *idem, const char *slug,
		  const char *name, const char *edition,
		  const char *description, const char *source,
		  const json_t *oscal, const json_t *rows)
{
	const char *params[7];
	char *oscal_text = NULL, *rows_text;
	PGresult *row;

	if (db_exec(r->db, &q_no_jit, 0, NULL, 0) == NULL)
		return errors_from_db(res, r->db);
	rows_text = json_dumps(rows, JSON_COMPACT);
	if (oscal != NULL)
		oscal_text = json_dumps(oscal, JSON_COMPACT);
	if (rows_text == NULL || (oscal != NULL && oscal_text == NULL)) {
		free(rows_text);
		free(oscal_text);
		return http_internal(res, "out of memory encoding the rows");
	}
	params[0] = slug;
	params[1] = name;
	params[2] = edition;
	params[3] = description;
	params[4] = source;
	params[5] = oscal_text;
	params[6] = rows_text;
	row = db_exec(r->db, &q_insert, 7, params, idempotency_flags(idem));
	free(rows_text);
	free(oscal_text);
	if (row == NULL)
		return errors_from_db(res, r->db);
	http_header(res, "Location", "/api/v1/frameworks/%s", slug);
	return idempotency_end(r, res, idem, framework_response(res, row, 201));
}

/* ---- the JSON form ---- */

static const char *const kinds[] = {"clause", "group", "control", "enhancement",
				    NULL};

static const struct field create_fields[] = {
	{"slug", FIELD_STRING, FIELD_REQUIRED, 1, 63, NULL},
	{"name", FIELD_STRING, FIELD_REQUIRED, 1, 200, NULL},
	{"version", FIELD_STRING, FIELD_NULLABLE, 1, 100, NULL},
	{"description", FIELD_TEXT, FIELD_NULLABLE, 0, 10000, NULL},
	{"requirements", FIELD_ANY, FIELD_REQUIRED, 0, 0, NULL},
};

static const struct field node_fields[] = {
	{"ref", FIELD_STRING, FIELD_REQUIRED, 1, 100, NULL},
	{"title", FIELD_STRING, FIELD_REQUIRED, 1, 1000, NULL},
	{"statement", FIELD_TEXT, FIELD_NULLABLE, 0, 100000, NULL},
	{"kind", FIELD_ENUM, 0, 0, 0, kinds},
	{"theme", FIELD_STRING, FIELD_NULLABLE, 1, 1000, NULL},
	{"children", FIELD_ANY, 0, 0, 0, NULL},
};

#define MAX_ERRORS 50

struct tree {
	struct request *r;
	struct response *res;
	json_t *rows;
	json_t *seen; /* refs, as an object used as a set */
	int order;
	int nerrors;
};

static void
tree_error(struct tree *t, const char *field, const char *message)
{
	if (t->nerrors++ < MAX_ERRORS)
		http_field_error(t->res, field, "%s", message);
}

/* The kinds a node may have under a parent of kind parent (NULL: top). */
static bool
kind_allowed(const char *parent, const char *kind)
{
	if (parent == NULL)
		return strcmp(kind, "enhancement") != 0;
	if (strcmp(parent, "group") == 0)
		return strcmp(kind, "group") == 0 ||
		       strcmp(kind, "control") == 0;
	if (strcmp(parent, "clause") == 0)
		return strcmp(kind, "clause") == 0;
	return strcmp(kind, "enhancement") == 0;
}

static const char *
default_kind(const char *parent)
{
	if (parent == NULL || strcmp(parent, "group") == 0)
		return "control";
	if (strcmp(parent, "clause") == 0)
		return "clause";
	return "enhancement";
}

static void tree_nodes(struct tree *t, const json_t *list, const char *path,
		       const char *parent_ref, const char *parent_kind,
		       const char *theme, int depth);

static void
tree_node(struct tree *t, const json_t *node, const char *path,
	  const char *parent_ref, const char *parent_kind, const char *theme,
	  int depth)
{
	struct response check;
	const json_t *e, *children;
	const char *ref, *kind, *title;
	size_t i;

	response_init(&check, t->r->arena);
	if (validate_object(&check, node, node_fields,
			    sizeof(node_fields) / sizeof(node_fields[0]),
			    VALIDATE_CREATE) != 0) {
		if (check.problem_errors == NULL)
			tree_error(t, path, "must be an object");
		json_array_foreach (check.problem_errors, i, e) {
			tree_error(
				t,
				arena_printf(t->r->arena, "%s.%s", path,
					     json_string_value(json_object_get(
						     e, "field"))),
				json_string_value(
					json_object_get(e, "message")));
		}
		response_release(&check);
		return;
	}
	response_release(&check);
	ref = json_string_value(json_object_get(node, "ref"));
	title = json_string_value(json_object_get(node, "title"));
	kind = json_string_value(json_object_get(node, "kind"));
	if (kind == NULL)
		kind = default_kind(parent_kind);
	if (!kind_allowed(parent_kind, kind)) {
		tree_error(t, arena_printf(t->r->arena, "%s.kind", path),
			   parent_kind == NULL
				   ? "must be clause, group or control at the "
				     "top level"
				   : "does not fit under its parent (groups "
				     "hold groups and controls, controls hold "
				     "enhancements, clauses hold clauses)");
		return;
	}
	if (json_object_get(t->seen, ref) != NULL) {
		tree_error(t, arena_printf(t->r->arena, "%s.ref", path),
			   "is repeated in this framework");
		return;
	}
	json_object_set_new(t->seen, ref, json_true());
	if (json_is_string(json_object_get(node, "theme")))
		theme = json_string_value(json_object_get(node, "theme"));
	else if (theme == NULL && strcmp(kind, "group") == 0)
		theme = title;
	json_array_append_new(
		t->rows,
		json_pack("{s:s, s:s?, s:s, s:s, s:O?, s:s?, s:n, s:n, s:i}",
			  "ref", ref, "parent_ref", parent_ref, "kind", kind,
			  "title", title, "statement",
			  json_object_get(node, "statement"), "theme", theme,
			  "params", "oscal", "sort_order", t->order++));
	children = json_object_get(node, "children");
	if (children != NULL)
		tree_nodes(t, children,
			   arena_printf(t->r->arena, "%s.children", path), ref,
			   kind, theme, depth + 1);
}

static void
tree_nodes(struct tree *t, const json_t *list, const char *path,
	   const char *parent_ref, const char *parent_kind, const char *theme,
	   int depth)
{
	const json_t *node;
	size_t i;

	if (!json_is_array(list)) {
		tree_error(t, path, "must be an array");
		return;
	}
	if (depth >= FRAMEWORK_MAX_DEPTH) {
		tree_error(t, path, "nests too deep");
		return;
	}
	json_array_foreach (list, i, node) {
		if (json_array_size(t->rows) >= FRAMEWORK_MAX_REQUIREMENTS) {
			tree_error(t, path, "holds too many requirements");
			return;
		}
		tree_node(t, node,
			  arena_printf(t->r->arena, "%s[%zu]", path, i),
			  parent_ref, parent_kind, theme, depth);
	}
}

int
frameworks_create(struct request *r, struct response *res)
{
	struct idempotency idem;
	struct tree t = {r, res, NULL, NULL, 0, 0};
	const json_t *list;
	const char *slug;
	int status;

	status = validate_object(res, r->json, create_fields,
				 sizeof(create_fields) /
					 sizeof(create_fields[0]),
				 VALIDATE_CREATE);
	if (status != 0)
		return status;
	slug = json_string_value(json_object_get(r->json, "slug"));
	if (!controls_slug_valid(slug) || strcmp(slug, "import") == 0)
		http_field_error(res, "slug",
				 "must be 1 to 63 lower-case letters, digits, "
				 "'.', '_' or '-', starting with a letter or "
				 "digit (not 'import')");
	list = json_object_get(r->json, "requirements");
	t.rows = json_array();
	t.seen = json_object();
	if (json_is_array(list) && json_array_size(list) == 0)
		tree_error(&t, "requirements", "must not be empty");
	else
		tree_nodes(&t, list, "requirements", NULL, NULL, NULL, 0);
	if (res->problem_errors != NULL) {
		json_decref(t.rows);
		json_decref(t.seen);
		return http_problem(res, 422, "validation",
				    "The request body has invalid fields.");
	}
	if ((status = idempotency_begin(r, res, &idem)) == 0)
		status = frameworks_insert(
			r, res, &idem, slug,
			json_string_value(json_object_get(r->json, "name")),
			json_string_value(json_object_get(r->json, "version")),
			json_string_value(
				json_object_get(r->json, "description")),
			"json", NULL, t.rows);
	json_decref(t.rows);
	json_decref(t.seen);
	return status;
}

/* ---- list and read ---- */

static const struct db_stmt q_list = {
	"SELECT " FRAMEWORK_COLUMNS " FROM frameworks f"
	" WHERE ($2::text IS NULL OR ($2 = 'global') = (f.tenant_id IS NULL))"
	" AND ($3::text IS NULL OR f.source = $3)"
	" AND ($4::timestamptz IS NULL"
	"  OR (f.created_at, f.id) > ($4, $5::uuid))"
	" ORDER BY f.created_at, f.id LIMIT $1"};

static const struct db_stmt q_get = {"SELECT " FRAMEWORK_COLUMNS
				     " FROM frameworks f WHERE f.slug = $1"};

static const char *const scopes[] = {"global", "tenant", NULL};
static const char *const sources[] = {"seed", "json", "oscal", NULL};

const char *const frameworks_list_query[] = {"limit", "cursor", "scope",
					     "source", NULL};

int
frameworks_list(struct request *r, struct response *res)
{
	const char *params[5];
	struct page p;
	PGresult *rows;
	int status;

	if ((status = page_parse(r, res, &p)) != 0 ||
	    (status = controls_query_enum(r, res, "scope", scopes,
					  &params[1])) != 0 ||
	    (status = controls_query_enum(r, res, "source", sources,
					  &params[2])) != 0)
		return status;
	params[0] = p.fetch;
	params[3] = p.after_at;
	params[4] = p.after_id;
	rows = db_exec(r->db, &q_list, 5, params, DB_COMMIT);
	if (rows == NULL)
		return errors_from_db(res, r->db);
	return page_respond(r, res, &p, rows, "created_at", "id");
}

/* A slug that cannot exist names nothing: 404. */
static int
path_slug(struct request *r, struct response *res)
{
	if (!controls_slug_valid(r->params[0]))
		return http_problem(res, 404, "not-found",
				    "No such framework.");
	return 0;
}

int
frameworks_get(struct request *r, struct response *res)
{
	const char *params[1] = {r->params[0]};
	PGresult *row;
	int status;

	if ((status = path_slug(r, res)) != 0)
		return status;
	row = db_exec(r->db, &q_get, 1, params, DB_COMMIT);
	if (row == NULL)
		return errors_from_db(res, r->db);
	if (PQntuples(row) == 0)
		return http_problem(res, 404, "not-found",
				    "No such framework.");
	return framework_response(res, row, 200);
}

/*
 * Only a tenant's own framework, and only while no control, SoA entry or
 * SoA version refers to it; its requirements go with it.
 */
static const struct db_stmt q_delete = {
	"WITH f AS (SELECT f.id, f.tenant_id, f.version FROM frameworks f"
	"  WHERE f.slug = $1),"
	" used AS (SELECT EXISTS (SELECT 1 FROM control_requirements cr"
	"   JOIN requirements q ON q.id = cr.requirement_id"
	"   WHERE cr.tenant_id = app_tenant_id()"
	"   AND q.framework_id = (SELECT id FROM f))"
	"  OR EXISTS (SELECT 1 FROM soa_entries e"
	"   JOIN requirements q ON q.id = e.requirement_id"
	"   WHERE e.tenant_id = app_tenant_id()"
	"   AND q.framework_id = (SELECT id FROM f))"
	"  OR EXISTS (SELECT 1 FROM soa_versions v"
	"   WHERE v.tenant_id = app_tenant_id()"
	"   AND v.framework_id = (SELECT id FROM f)) AS used),"
	" del AS (DELETE FROM frameworks x USING f, used"
	"  WHERE x.id = f.id AND f.tenant_id IS NOT NULL AND NOT used.used"
	"  AND ($2::int = 0 OR f.version = $2::int) RETURNING x.id)"
	" SELECT f.version, f.tenant_id IS NULL AS global, used.used,"
	" (SELECT count(*) FROM del) AS deleted FROM f, used"};

int
frameworks_delete(struct request *r, struct response *res)
{
	long version = page_if_match(r);
	const char *params[2];
	PGresult *row;
	int status;

	if ((status = path_slug(r, res)) != 0)
		return status;
	params[0] = r->params[0];
	params[1] = arena_printf(r->arena, "%ld", version);
	row = db_exec(r->db, &q_delete, 2, params, DB_COMMIT);
	if (row == NULL)
		return controls_delete_failed(res, r->db,
					      "Other records (audits, "
					      "findings) refer to this "
					      "framework's requirements.");
	if (PQntuples(row) == 0)
		return http_problem(res, 404, "not-found",
				    "No such framework.");
	if (strcmp(PQgetvalue(row, 0, 1), "t") == 0)
		return http_problem(res, 403, "forbidden",
				    "Global frameworks are read-only.");
	if (version != 0 && strtol(PQgetvalue(row, 0, 0), NULL, 10) != version)
		return http_problem(res, 412, "precondition-failed",
				    "The framework changed since it was read "
				    "(If-Match).");
	if (strcmp(PQgetvalue(row, 0, 2), "t") == 0)
		return http_problem(res, 409, "conflict",
				    "Controls, Statement of Applicability "
				    "entries or versions refer to this "
				    "framework.");
	return 204;
}

/* The framework's id, for the lists below; NULL after a 404 or error. */
static const struct db_stmt q_framework_id = {
	"SELECT f.id FROM frameworks f WHERE f.slug = $1"};

static const char *
framework_id(struct request *r, struct response *res, int *status)
{
	const char *params[1] = {r->params[0]};
	PGresult *row;

	*status = 0;
	if ((*status = path_slug(r, res)) != 0)
		return NULL;
	row = db_exec(r->db, &q_framework_id, 1, params, 0);
	if (row == NULL) {
		*status = errors_from_db(res, r->db);
		return NULL;
	}
	if (PQntuples(row) == 0) {
		*status = http_problem(res, 404, "not-found",
				       "No such framework.");
		return NULL;
	}
	return arena_strdup(r->arena, PQgetvalue(row, 0, 0));
}

/* ---- requirements ---- */

/*
 * $1 limit, $2 framework id, $3 kind, $4 theme, $5-$9 one value of each
 * attribute, $10 q (a LIKE pattern on ref and title), $11/$12 the cursor
 * (sort order, id).
 */
static const struct db_stmt q_requirements = {
	"SELECT r.id, r.ref, r.title, r.statement, r.kind, r.parent_id,"
	" p.ref AS parent_ref, r.theme, r.attributes, r.params, r.sort_order"
	" FROM requirements r LEFT JOIN requirements p ON p.id = r.parent_id"
	" WHERE r.framework_id = $2::uuid"
	" AND ($3::text IS NULL OR r.kind = $3)"
	" AND ($4::text IS NULL OR r.theme = $4)"
	" AND ($5::text IS NULL OR r.attributes -> 'control_type' ? $5)"
	" AND ($6::text IS NULL"
	"  OR r.attributes -> 'information_security_properties' ? $6)"
	" AND ($7::text IS NULL OR r.attributes -> 'cybersecurity_concepts' ? "
	"$7)"
	" AND ($8::text IS NULL"
	"  OR r.attributes -> 'operational_capabilities' ? $8)"
	" AND ($9::text IS NULL OR r.attributes -> 'security_domains' ? $9)"
	" AND ($10::text IS NULL OR r.ref ILIKE $10 OR r.title ILIKE $10)"
	" AND ($11::int IS NULL OR (r.sort_order, r.id) > ($11::int, "
	"$12::uuid))"
	" ORDER BY r.sort_order, r.id LIMIT $1"};

static const char *const attribute_keys[] = {
	"control_type",           "information_security_properties",
	"cybersecurity_concepts", "operational_capabilities",
	"security_domains",
};

const char *const requirements_list_query[] = {
	"limit",
	"cursor",
	"kind",
	"theme",
	"control_type",
	"information_security_properties",
	"cybersecurity_concepts",
	"operational_capabilities",
	"security_domains",
	"q",
	NULL,
};

int
requirements_list(struct request *r, struct response *res)
{
	const char *params[12], *q;
	struct int_page p;
	PGresult *rows;
	size_t i;
	int status;

	if ((status = int_page_parse(r, res, &p)) != 0 ||
	    (status = controls_query_enum(r, res, "kind", kinds, &params[2])) !=
		    0 ||
	    (status = controls_query_text(r, res, "theme", 1000, &params[3])) !=
		    0 ||
	    (status = controls_query_text(r, res, "q", 200, &q)) != 0)
		return status;
	for (i = 0; i < 5; i++)
		if ((status = controls_query_text(r, res, attribute_keys[i],
						  100, &params[4 + i])) != 0)
			return status;
	if ((params[1] = framework_id(r, res, &status)) == NULL)
		return status;
	params[0] = p.fetch;
	params[9] = q != NULL ? controls_like(r->arena, q) : NULL;
	params[10] = p.after_key;
	params[11] = p.after_id;
	rows = db_exec(r->db, &q_requirements, 12, params, DB_COMMIT);
	if (rows == NULL)
		return errors_from_db(res, r->db);
	return int_page_respond(r, res, &p, rows, "sort_order", "id");
}

/* ---- mappings ---- */

/*
 * Mappings with one end in the framework ($2). $3 narrows to one of its
 * requirements (by ref), $4 to the other end's framework (by slug);
 * $5/$6 the cursor (sort order, id).
 */
static const struct db_stmt q_mappings = {
	"SELECT m.id, m.relationship,"
	" jsonb_build_object('id', a.id, 'framework', fa.slug, 'ref', a.ref,"
	"  'title', a.title) AS \"from\","
	" jsonb_build_object('id', b.id, 'framework', fb.slug, 'ref', b.ref,"
	"  'title', b.title) AS \"to\", m.sort_order"
	" FROM requirement_mappings m"
	" JOIN requirements a ON a.id = m.from_requirement"
	" JOIN frameworks fa ON fa.id = a.framework_id"
	" JOIN requirements b ON b.id = m.to_requirement"
	" JOIN frameworks fb ON fb.id = b.framework_id"
	" WHERE (a.framework_id = $2::uuid OR b.framework_id = $2::uuid)"
	" AND ($3::text IS NULL OR (a.framework_id = $2::uuid AND a.ref = $3)"
	"  OR (b.framework_id = $2::uuid AND b.ref = $3))"
	" AND ($4::text IS NULL OR (a.framework_id = $2::uuid AND fb.slug = $4)"
	"  OR (b.framework_id = $2::uuid AND fa.slug = $4))"
	" AND ($5::int IS NULL OR (m.sort_order, m.id) > ($5::int, $6::uuid))"
	" ORDER BY m.sort_order, m.id LIMIT $1"};

const char *const mappings_list_query[] = {"limit", "cursor", "ref", "target",
					   NULL};

int
mappings_list(struct request *r, struct response *res)
{
	const char *params[6];
	struct int_page p;
	PGresult *rows;
	int status;

	if ((status = int_page_parse(r, res, &p)) != 0 ||
	    (status = controls_query_text(r, res, "ref", 100, &params[2])) !=
		    0 ||
	    (status = controls_query_text(r, res, "target", 63, &params[3])) !=
		    0)
		return status;
	if ((params[1] = framework_id(r, res, &status)) == NULL)
		return status;
	params[0] = p.fetch;
	params[4] = p.after_key;
	params[5] = p.after_id;
	rows = db_exec(r->db, &q_mappings, 6, params, DB_COMMIT);
	if (rows == NULL)
		return errors_from_db(res, r->db);
	return int_page_respond(r, res, &p, rows, "sort_order", "id");
}
