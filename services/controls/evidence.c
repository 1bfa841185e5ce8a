/*
 * /api/v1/evidence: what shows that controls work. A piece of evidence is
 * a link (POST as application/json) or a file (POST with the file's own
 * Content-Type and the file as the raw body, the metadata in the query).
 * Files are at most ISMS_EVIDENCE_MAX_BYTES (10 MiB by default), of an
 * allowed type whose leading bytes must fit it; their SHA-256 is computed
 * here, checked again by the database on the bytes it stores, and sent
 * back with the bytes. The bytes live in evidence_content, which lists
 * never touch, and never change: a new file is a new piece of evidence.
 *
 * Evidence is valid from valid_from to valid_until (inclusive, either
 * open); a control linked only to evidence that is not valid today needs
 * evidence (controls.c).
 */
#include "controls.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "db.h"
#include "errors.h"
#include "page.h"
#include "server.h"
#include "validate.h"

static size_t max_bytes = EVIDENCE_MAX_BYTES_DEFAULT;

size_t
evidence_max_bytes(void)
{
	return max_bytes;
}

void
evidence_set_max_bytes(size_t n)
{
	max_bytes = n;
}

/*
 * The file types evidence may have, the name ending of a file that has
 * none, and the bytes such a file starts with (within its first `within`
 * bytes; NULL: any text).
 */
static const struct file_type {
	const char *type;
	const char *ext;
	const char *magic;
	size_t magic_len;
	size_t within;
} file_types[] = {
	{"application/pdf", "pdf", "%PDF-", 5, 1024},
	{"image/png", "png", "\x89PNG\r\n\x1a\n", 8, 0},
	{"image/jpeg", "jpg", "\xff\xd8\xff", 3, 0},
	{"text/plain", "txt", NULL, 0, 0},
	{"text/csv", "csv", NULL, 0, 0},
	{"application/zip", "zip", "PK\x03\x04", 4, 0},
	{"application/vnd.openxmlformats-officedocument.wordprocessingml."
	 "document",
	 "docx", "PK\x03\x04", 4, 0},
	{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	 "xlsx", "PK\x03\x04", 4, 0},
	{"application/vnd.openxmlformats-officedocument.presentationml."
	 "presentation",
	 "pptx", "PK\x03\x04", 4, 0},
};

#define NFILE_TYPES (sizeof(file_types) / sizeof(file_types[0]))

static const char *const kinds[] = {"file", "link", NULL};
static const char *const states[] = {"valid", "expired", "upcoming", NULL};

#define EVIDENCE_META_FIELDS                                                   \
	{"title", FIELD_STRING, FIELD_REQUIRED, 1, 200, NULL},                 \
		{"description", FIELD_TEXT, FIELD_NULLABLE, 0, 10000, NULL},   \
		{"valid_from", FIELD_DATE, FIELD_NULLABLE, 0, 0, NULL},        \
		{"valid_until", FIELD_DATE, FIELD_NULLABLE, 0, 0, NULL},       \
	{                                                                      \
		"control_ids", FIELD_UUIDS, 0, 0, 100, NULL                    \
	}

static const struct field link_fields[] = {
	EVIDENCE_META_FIELDS,
	{"url", FIELD_STRING, FIELD_REQUIRED, 1, 2000, NULL},
};

static const struct field file_fields[] = {
	EVIDENCE_META_FIELDS,
	{"filename", FIELD_STRING, FIELD_NULLABLE, 1, 255, NULL},
};

static const struct field update_fields[] = {
	EVIDENCE_META_FIELDS,
	{"url", FIELD_STRING, 0, 1, 2000, NULL},
	{"filename", FIELD_STRING, 0, 1, 255, NULL},
	{"id", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"kind", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"content_type", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"size", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"sha256", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"state", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"content_url", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"version", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"created_at", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"updated_at", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"created_by", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"updated_by", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
};

/* Evidence as the API shows it; `e` is a row of evidence. */
#define EVIDENCE_COLUMNS_WITH(ids)                                             \
	"e.id, e.title, e.description, e.kind, e.url, e.filename,"             \
	" e.content_type, e.size, encode(e.sha256, 'hex') AS sha256,"          \
	" e.valid_from, e.valid_until,"                                        \
	" evidence_state(e.valid_from, e.valid_until) AS state,"               \
	" CASE WHEN e.kind = 'file' THEN '/api/v1/evidence/' || e.id"          \
	" || '/content' END AS content_url, " ids " AS control_ids,"           \
	" e.version, e.created_at, e.updated_at, e.created_by, e.updated_by"
#define EVIDENCE_COLUMNS EVIDENCE_COLUMNS_WITH("evidence_control_ids(e.id)")
#define IDS_OF(json)                                                           \
	"(SELECT coalesce(jsonb_agg(x::uuid), '[]')"                           \
	" FROM jsonb_array_elements_text(" json ") x)"

#define EVIDENCE_PROBLEMS                                                      \
	"coalesce(jsonb_agg(jsonb_build_object('field', x.field,"              \
	" 'message', x.message)), '[]')"

/* ---- list ---- */

/*
 * $1 limit, $2 kind, $3 control_id, $4 state, $5 q (a LIKE pattern),
 * $6/$7 the cursor.
 */
static const struct db_stmt q_list = {
	"SELECT " EVIDENCE_COLUMNS " FROM evidence e"
	" WHERE e.tenant_id = app_tenant_id()"
	" AND ($2::text IS NULL OR e.kind = $2)"
	" AND ($3::uuid IS NULL OR EXISTS (SELECT 1 FROM evidence_controls ec"
	"  WHERE ec.tenant_id = e.tenant_id AND ec.evidence_id = e.id"
	"  AND ec.control_id = $3))"
	" AND ($4::text IS NULL OR evidence_state(e.valid_from, e.valid_until)"
	"  = $4)"
	" AND ($5::text IS NULL OR e.title ILIKE $5 OR e.description ILIKE $5"
	"  OR e.filename ILIKE $5)"
	" AND ($6::timestamptz IS NULL"
	"  OR (e.created_at, e.id) > ($6, $7::uuid))"
	" ORDER BY e.created_at, e.id LIMIT $1"};

const char *const evidence_list_query[] = {
	"limit", "cursor", "kind", "control_id", "state", "q", NULL};

int
evidence_list(struct request *r, struct response *res)
{
	const char *params[7], *q;
	struct page p;
	PGresult *rows;
	int status;

	if ((status = page_parse(r, res, &p)) != 0 ||
	    (status = controls_query_enum(r, res, "kind", kinds, &params[1])) !=
		    0 ||
	    (status = controls_query_uuid(r, res, "control_id", &params[2])) !=
		    0 ||
	    (status = controls_query_enum(r, res, "state", states,
					  &params[3])) != 0 ||
	    (status = controls_query_text(r, res, "q", 200, &q)) != 0)
		return status;
	params[0] = p.fetch;
	params[4] = q != NULL ? controls_like(r->arena, q) : NULL;
	params[5] = p.after_at;
	params[6] = p.after_id;
	rows = db_exec(r->db, &q_list, 7, params, DB_COMMIT);
	if (rows == NULL)
		return errors_from_db(res, r->db);
	return page_respond(r, res, &p, rows, "created_at", "id");
}

/* ---- create ---- */

/*
 * $1 the metadata (title, description, url or filename, valid_from,
 * valid_until, control_ids), $2 kind, $3 content type, $4 size, $5 the
 * SHA-256 (hex), $6 the bytes (bytea text). The bytes are stored only
 * when they hash to $5; otherwise NULL meets NOT NULL and nothing is
 * written.
 */
static const struct db_stmt q_insert = {
	"WITH m AS (SELECT $1::jsonb AS d),"
	" p AS (SELECT " EVIDENCE_PROBLEMS " AS errors FROM m,"
	"  evidence_problems(m.d -> 'control_ids', (m.d ->> "
	"'valid_from')::date,"
	"  (m.d ->> 'valid_until')::date) x),"
	" ins AS (INSERT INTO evidence (tenant_id, title, description, kind,"
	"  url, filename, content_type, size, sha256, valid_from, valid_until)"
	"  SELECT app_tenant_id(), m.d ->> 'title', m.d ->> 'description', $2,"
	"  m.d ->> 'url', m.d ->> 'filename', $3, $4::bigint, decode($5, "
	"'hex'),"
	"  (m.d ->> 'valid_from')::date, (m.d ->> 'valid_until')::date"
	"  FROM m, p WHERE p.errors = '[]' RETURNING *),"
	" stored AS (INSERT INTO evidence_content (tenant_id, evidence_id,"
	"  content) SELECT app_tenant_id(), ins.id, CASE WHEN"
	"  sha256($6::bytea) = ins.sha256 THEN $6::bytea END"
	"  FROM ins WHERE $6::bytea IS NOT NULL RETURNING 1),"
	" links AS (INSERT INTO evidence_controls (tenant_id, evidence_id,"
	"  control_id) SELECT app_tenant_id(), ins.id, x::uuid FROM ins,"
	"  jsonb_array_elements_text(coalesce($1::jsonb -> 'control_ids',"
	"  '[]')) x RETURNING 1)"
	" SELECT p.errors AS problems, (SELECT count(*) FROM stored) AS stored,"
	" (SELECT count(*) FROM links) AS linked, " EVIDENCE_COLUMNS_WITH(
		IDS_OF("coalesce($1::jsonb -> 'control_ids',"
		       " '[]')")) " FROM p LEFT JOIN ins e ON true"};

/* The media type without parameters, lower-case. */
static char *
media_type(struct arena *a, const char *header)
{
	size_t n;
	char *t, *p;

	while (*header == ' ')
		header++;
	n = strcspn(header, ";");
	while (n > 0 && header[n - 1] == ' ')
		n--;
	t = arena_strndup(a, header, n);
	for (p = t; p != NULL && *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return t;
}

static const struct file_type *
file_type(const char *type)
{
	size_t i;

	for (i = 0; i < NFILE_TYPES; i++)
		if (strcmp(file_types[i].type, type) == 0)
			return &file_types[i];
	return NULL;
}

/* True when the bytes start as files of type t do. */
static bool
magic_fits(const struct file_type *t, const char *body, size_t len)
{
	size_t i, within = t->within ? t->within : 1;

	if (t->magic == NULL)
		return true;
	for (i = 0; i < within && i + t->magic_len <= len; i++)
		if (memcmp(body + i, t->magic, t->magic_len) == 0)
			return true;
	return false;
}

static bool
url_valid(const char *url)
{
	const unsigned char *p;

	if (strncasecmp(url, "https://", 8) != 0 &&
	    strncasecmp(url, "http://", 7) != 0)
		return false;
	for (p = (const unsigned char *)url; *p != '\0'; p++)
		if (*p <= 0x20 || *p == 0x7f)
			return false;
	return strlen(strchr(url, ':') + 3) > 0;
}

/* The bytes as PostgreSQL's bytea hex text: "\x" then two digits each. */
static char *
bytea_hex(struct arena *a, const char *data, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char *out = arena_alloc(a, 2 * n + 3), *o;
	size_t i;

	if (out == NULL)
		return NULL;
	o = out;
	*o++ = '\\';
	*o++ = 'x';
	for (i = 0; i < n; i++) {
		*o++ = digits[(unsigned char)data[i] >> 4];
		*o++ = digits[(unsigned char)data[i] & 15];
	}
	*o = '\0';
	return out;
}

/* Runs the insert and answers 201 with the evidence. */
static int
insert(struct request *r, struct response *res, const char *meta,
       const char *kind, const char *type, const char *size, const char *sha256,
       const char *content)
{
	struct idempotency idem;
	const char *params[6];
	PGresult *row;
	int status;

	if ((status = idempotency_begin(r, res, &idem)) != 0)
		return status;
	params[0] = meta;
	params[1] = kind;
	params[2] = type;
	params[3] = size;
	params[4] = sha256;
	params[5] = content;
	row = db_exec(r->db, &q_insert, 6, params, idempotency_flags(&idem));
	if (row == NULL)
		return errors_from_db(res, r->db);
	if ((status = controls_problems(res, row,
					"The evidence cannot be stored as "
					"given.")) != 0)
		return status;
	res->body = db_row_json(row, 0);
	json_object_del(res->body, "problems");
	json_object_del(res->body, "stored");
	json_object_del(res->body, "linked");
	http_header(res, "Location", "/api/v1/evidence/%s",
		    PQgetvalue(row, 0, PQfnumber(row, "id")));
	page_etag(res, PQgetvalue(row, 0, PQfnumber(row, "version")), 201);
	return idempotency_end(r, res, &idem, 201);
}

static int
create_link(struct request *r, struct response *res)
{
	const struct config *cfg = server_config();
	int status;

	if (r->nquery > 0)
		return http_problem(res, 400, "invalid-query",
				    "A link's metadata goes in its JSON body, "
				    "not in the query.");
	if (cfg != NULL && r->body_len > cfg->max_body)
		return http_problem(res, 413, "payload-too-large",
				    "The body is larger than %zu bytes.",
				    cfg->max_body);
	if ((status = http_parse_json(r, res)) != 0 ||
	    (status = validate_object(res, r->json, link_fields,
				      sizeof(link_fields) /
					      sizeof(link_fields[0]),
				      VALIDATE_CREATE)) != 0)
		return status;
	if (!url_valid(json_string_value(json_object_get(r->json, "url")))) {
		http_field_error(res, "url",
				 "must be an http or https URL without spaces");
		return http_problem(res, 422, "validation",
				    "The request body has invalid fields.");
	}
	return insert(r, res, r->body, "link", NULL, NULL, NULL, NULL);
}

/* The query's metadata as the JSON a link would send. */
static json_t *
file_meta(struct request *r)
{
	static const char *const keys[] = {"title",       "description",
					   "filename",    "valid_from",
					   "valid_until", NULL};
	const char *ids = http_query(r, "control_ids"), *v, *comma;
	json_t *meta = json_object(), *list;
	size_t i;

	for (i = 0; keys[i] != NULL; i++)
		if ((v = http_query(r, keys[i])) != NULL)
			json_object_set_new(meta, keys[i], json_string(v));
	if (ids != NULL) {
		list = json_array();
		for (v = ids; *v != '\0' || v == ids; v = comma + 1) {
			comma = strchr(v, ',');
			if (comma == NULL)
				comma = v + strlen(v);
			json_array_append_new(
				list, json_stringn(v, (size_t)(comma - v)));
			if (*comma == '\0')
				break;
		}
		json_object_set_new(meta, "control_ids", list);
	}
	return meta;
}

static int
create_file(struct request *r, struct response *res)
{
	const char *type = media_type(r->arena, r->content_type), *filename;
	const struct file_type *ft = file_type(type);
	char sha[65], *meta_text, *meta_copy, *content;
	json_t *meta;
	int status;

	if (ft == NULL)
		return http_problem(res, 415, "unsupported-media-type",
				    "Evidence files may be PDF, PNG, JPEG, "
				    "plain text, CSV, ZIP or Office Open XML "
				    "(docx, xlsx, pptx); a link is sent as "
				    "application/json.");
	if (r->body_len > max_bytes)
		return http_problem(res, 413, "payload-too-large",
				    "Evidence files may be at most %zu bytes.",
				    max_bytes);
	meta = file_meta(r);
	status = validate_object(res, meta, file_fields,
				 sizeof(file_fields) / sizeof(file_fields[0]),
				 VALIDATE_CREATE);
	filename = json_string_value(json_object_get(meta, "filename"));
	if (status == 0 && filename != NULL &&
	    (strpbrk(filename, "/\\") != NULL || strcmp(filename, ".") == 0 ||
	     strcmp(filename, "..") == 0)) {
		http_field_error(res, "filename", "must be a plain file name");
		status = 422;
	}
	if (r->body_len == 0) {
		http_field_error(res, "body", "the file is empty");
		status = 422;
	} else if (!magic_fits(ft, r->body, r->body_len)) {
		http_field_error(res, "body", "is not a %s file", ft->type);
		status = 422;
	}
	if (status != 0) {
		json_decref(meta);
		return http_problem(res, 422, "validation",
				    "The evidence file or its metadata are "
				    "not valid.");
	}
	if (filename == NULL)
		json_object_set_new(meta, "filename",
				    json_sprintf("evidence.%s", ft->ext));
	meta_text = json_dumps(meta, JSON_COMPACT);
	json_decref(meta);
	if (meta_text == NULL)
		return http_internal(res, "out of memory encoding metadata");
	meta_copy = arena_strdup(r->arena, meta_text);
	free(meta_text);
	auth_sha256_hex(r->body, r->body_len, sha);
	content = bytea_hex(r->arena, r->body, r->body_len);
	if (meta_copy == NULL || content == NULL)
		return http_internal(res, "out of memory encoding the file");
	return insert(r, res, meta_copy, "file", ft->type,
		      arena_printf(r->arena, "%zu", r->body_len), sha, content);
}

const char *const evidence_create_query[] = {
	"title",       "description", "filename", "valid_from",
	"valid_until", "control_ids", NULL,
};

int
evidence_create(struct request *r, struct response *res)
{
	if (r->content_type == NULL || *r->content_type == '\0')
		return http_problem(res, 415, "unsupported-media-type",
				    "Send a link as application/json, or a "
				    "file with its own Content-Type.");
	if (http_media_type_is(r->content_type, "application/json"))
		return create_link(r, res);
	return create_file(r, res);
}

/* ---- one piece of evidence ---- */

static const struct db_stmt q_get = {
	"SELECT " EVIDENCE_COLUMNS " FROM evidence e"
	" WHERE e.tenant_id = app_tenant_id() AND e.id = $1::uuid"};

/*
 * JSON merge over the locked row; control_ids, when given, replaces the
 * links. url belongs to links, filename to files. $3: If-Match's version.
 */
static const struct db_stmt q_update = {
	"WITH cur AS (SELECT e AS old FROM evidence e"
	"  WHERE e.tenant_id = app_tenant_id() AND e.id = $1::uuid FOR UPDATE),"
	" n AS (SELECT jsonb_populate_record(cur.old, $2::jsonb) AS r FROM "
	"cur),"
	" p AS (SELECT " EVIDENCE_PROBLEMS " AS errors FROM ("
	"  SELECT pr.field, pr.message FROM n, evidence_problems($2::jsonb"
	"   -> 'control_ids', (n.r).valid_from, (n.r).valid_until) pr"
	"  UNION ALL SELECT 'url', 'only link evidence has a url' FROM cur"
	"   WHERE $2::jsonb ? 'url' AND (cur.old).kind = 'file'"
	"  UNION ALL SELECT 'filename', 'only file evidence has a filename'"
	"   FROM cur WHERE $2::jsonb ? 'filename' AND (cur.old).kind = 'link')"
	"  x),"
	" upd AS (UPDATE evidence e SET (title, description, url, filename,"
	"  valid_from, valid_until) = ((n.r).title, (n.r).description,"
	"  (n.r).url, (n.r).filename, (n.r).valid_from, (n.r).valid_until)"
	"  FROM n, p WHERE e.tenant_id = app_tenant_id() AND e.id = $1::uuid"
	"  AND ($3::int = 0 OR e.version = $3::int) AND p.errors = '[]'"
	"  RETURNING e.*),"
	" unlink AS (DELETE FROM evidence_controls ec USING upd"
	"  WHERE $2::jsonb ? 'control_ids' AND ec.tenant_id = app_tenant_id()"
	"  AND ec.evidence_id = upd.id AND ec.control_id NOT IN (SELECT x::uuid"
	"  FROM jsonb_array_elements_text($2::jsonb -> 'control_ids') x)"
	"  RETURNING 1),"
	" links AS (INSERT INTO evidence_controls (tenant_id, evidence_id,"
	"  control_id) SELECT app_tenant_id(), upd.id, x::uuid FROM upd,"
	"  jsonb_array_elements_text(CASE WHEN $2::jsonb ? 'control_ids'"
	"  THEN $2::jsonb -> 'control_ids' ELSE '[]' END) x"
	"  ON CONFLICT DO NOTHING RETURNING 1)"
	" SELECT (cur.old).version AS current_version, p.errors AS problems,"
	" (SELECT count(*) FROM unlink) + (SELECT count(*) FROM links)"
	"  AS relinked, " EVIDENCE_COLUMNS_WITH(
		"CASE WHEN $2::jsonb ? 'control_ids' THEN " IDS_OF(
			"$2::jsonb -> 'control_ids'") " ELSE "
						      "evidence_control_ids(e."
						      "id) END") " FROM cur "
								 "CROSS JOIN p "
								 "LEFT JOIN "
								 "upd e ON "
								 "true"};

static const struct db_stmt q_delete = {
	"WITH cur AS (SELECT e.version FROM evidence e"
	"  WHERE e.tenant_id = app_tenant_id() AND e.id = $1::uuid FOR UPDATE),"
	" del AS (DELETE FROM evidence e USING cur"
	"  WHERE e.tenant_id = app_tenant_id() AND e.id = $1::uuid"
	"  AND ($2::int = 0 OR cur.version = $2::int) RETURNING e.id)"
	" SELECT cur.version FROM cur"};

static const struct db_stmt q_content = {
	"SELECT e.kind, e.filename, e.content_type, encode(e.sha256, 'hex'),"
	" c.content FROM evidence e LEFT JOIN evidence_content c"
	" ON c.tenant_id = e.tenant_id AND c.evidence_id = e.id"
	" WHERE e.tenant_id = app_tenant_id() AND e.id = $1::uuid"};

static int
path_id(struct request *r, struct response *res)
{
	if (!validate_uuid(r->params[0]))
		return http_problem(res, 404, "not-found", "No such evidence.");
	return 0;
}

static int
evidence_response(struct response *res, const PGresult *row, int status)
{
	res->body = db_row_json(row, 0);
	json_object_del(res->body, "problems");
	json_object_del(res->body, "current_version");
	json_object_del(res->body, "relinked");
	return page_etag(res, PQgetvalue(row, 0, PQfnumber(row, "version")),
			 status);
}

int
evidence_get(struct request *r, struct response *res)
{
	const char *params[1] = {r->params[0]};
	PGresult *row;
	int status;

	if ((status = path_id(r, res)) != 0)
		return status;
	row = db_exec(r->db, &q_get, 1, params, DB_COMMIT);
	if (row == NULL)
		return errors_from_db(res, r->db);
	if (PQntuples(row) == 0)
		return http_problem(res, 404, "not-found", "No such evidence.");
	return evidence_response(res, row, 200);
}

int
evidence_update(struct request *r, struct response *res)
{
	long version = page_if_match(r);
	const char *params[3], *url;
	PGresult *row;
	int status;

	if ((status = path_id(r, res)) != 0 ||
	    (status = validate_object(res, r->json, update_fields,
				      sizeof(update_fields) /
					      sizeof(update_fields[0]),
				      VALIDATE_PATCH)) != 0)
		return status;
	url = json_string_value(json_object_get(r->json, "url"));
	if (url != NULL && !url_valid(url)) {
		http_field_error(res, "url",
				 "must be an http or https URL without spaces");
		return http_problem(res, 422, "validation",
				    "The request body has invalid fields.");
	}
	params[0] = r->params[0];
	params[1] = r->body;
	params[2] = arena_printf(r->arena, "%ld", version);
	row = db_exec(r->db, &q_update, 3, params, DB_COMMIT);
	if (row == NULL)
		return errors_from_db(res, r->db);
	if (PQntuples(row) == 0)
		return http_problem(res, 404, "not-found", "No such evidence.");
	if (version != 0 && strtol(PQgetvalue(row, 0, 0), NULL, 10) != version)
		return http_problem(res, 412, "precondition-failed",
				    "The evidence changed since it was read "
				    "(If-Match).");
	if ((status = controls_problems(res, row,
					"The evidence cannot be stored as "
					"given.")) != 0)
		return status;
	return evidence_response(res, row, 200);
}

int
evidence_delete(struct request *r, struct response *res)
{
	long version = page_if_match(r);
	const char *params[2];
	PGresult *row;
	int status;

	if ((status = path_id(r, res)) != 0)
		return status;
	params[0] = r->params[0];
	params[1] = arena_printf(r->arena, "%ld", version);
	row = db_exec(r->db, &q_delete, 2, params, DB_COMMIT);
	if (row == NULL)
		return controls_delete_failed(res, r->db,
					      "Audit checklist items or "
					      "findings refer to this "
					      "evidence; it stays as their "
					      "record.");
	if (PQntuples(row) == 0)
		return http_problem(res, 404, "not-found", "No such evidence.");
	if (version != 0 && strtol(PQgetvalue(row, 0, 0), NULL, 10) != version)
		return http_problem(res, 412, "precondition-failed",
				    "The evidence changed since it was read "
				    "(If-Match).");
	return 204;
}

/* ---- the bytes ---- */

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* bytea hex text ("\x...") to bytes in the arena; NULL when malformed. */
static char *
bytea_decode(struct arena *a, const char *text, size_t len, size_t *n)
{
	char *out;
	size_t i;
	int hi, lo;

	if (len < 2 || text[0] != '\\' || text[1] != 'x' || len % 2 != 0)
		return NULL;
	*n = (len - 2) / 2;
	out = arena_alloc(a, *n + 1);
	if (out == NULL)
		return NULL;
	for (i = 0; i < *n; i++) {
		hi = hexval(text[2 + 2 * i]);
		lo = hexval(text[3 + 2 * i]);
		if (hi < 0 || lo < 0)
			return NULL;
		out[i] = (char)(hi << 4 | lo);
	}
	return out;
}

/*
 * Content-Disposition for any file name: an ASCII fallback for old
 * clients and the exact name percent-encoded as UTF-8 (RFC 6266, 8187).
 */
static char *
disposition(struct arena *a, const char *name)
{
	static const char attr[] = "!#$&+-.^_`|~";
	size_t n = strlen(name), i;
	char *ascii = arena_alloc(a, n + 1), *pct = arena_alloc(a, 3 * n + 1);
	char *o;

	if (ascii == NULL || pct == NULL)
		return NULL;
	for (i = 0, o = ascii; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		/* One '_' per character: UTF-8 continuation bytes add none. */
		if ((c & 0xc0) == 0x80)
			continue;
		*o++ = c >= 0x20 && c < 0x7f && c != '"' && c != '\\' &&
				       c != '%'
			       ? (char)c
			       : '_';
	}
	*o = '\0';
	for (i = 0, o = pct; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || (c != '\0' && strchr(attr, c)))
			*o++ = (char)c;
		else
			o += sprintf(o, "%%%02X", c);
	}
	*o = '\0';
	return arena_printf(a,
			    "attachment; filename=\"%s\"; filename*=UTF-8''%s",
			    ascii, pct);
}

/* The SHA-256 (hex) as RFC 9530's Repr-Digest (base64). */
static char *
repr_digest(struct arena *a, const char *hex)
{
	unsigned char md[32], b64[48];
	size_t i;
	int hi, lo;

	for (i = 0; i < 32; i++) {
		hi = hexval(hex[2 * i]);
		lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return NULL;
		md[i] = (unsigned char)(hi << 4 | lo);
	}
	EVP_EncodeBlock(b64, md, 32);
	return arena_printf(a, "sha-256=:%s:", (const char *)b64);
}

int
evidence_content(struct request *r, struct response *res)
{
	const char *params[1] = {r->params[0]};
	const char *sha, *header;
	PGresult *row;
	size_t n = 0;
	char *bytes;
	int status;

	if ((status = path_id(r, res)) != 0)
		return status;
	row = db_exec(r->db, &q_content, 1, params, DB_COMMIT);
	if (row == NULL)
		return errors_from_db(res, r->db);
	if (PQntuples(row) == 0)
		return http_problem(res, 404, "not-found", "No such evidence.");
	if (strcmp(PQgetvalue(row, 0, 0), "file") != 0 ||
	    PQgetisnull(row, 0, 4))
		return http_problem(res, 404, "not-found",
				    "This evidence is a link; it has no "
				    "content here.");
	bytes = bytea_decode(r->arena, PQgetvalue(row, 0, 4),
			     (size_t)PQgetlength(row, 0, 4), &n);
	sha = PQgetvalue(row, 0, 3);
	header = disposition(r->arena, PQgetvalue(row, 0, 1));
	if (bytes == NULL || header == NULL)
		return http_internal(res, "evidence content unreadable");
	res->raw = bytes;
	res->raw_len = n;
	res->content_type = arena_strdup(r->arena, PQgetvalue(row, 0, 2));
	http_header(res, "Content-Disposition", "%s", header);
	http_header(res, "ETag", "\"%s\"", sha);
	if ((header = repr_digest(r->arena, sha)) != NULL)
		http_header(res, "Repr-Digest", "%s", header);
	/* Never rendered as a page of this origin, whatever it holds. */
	http_header(res, "Content-Security-Policy",
		    "default-src 'none'; "
		    "sandbox");
	return 200;
}
