/*
 * Keyset cursors, page envelopes and the ETag/If-Match pair.
 */
#include "page.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "db.h"
#include "errors.h"
#include "validate.h"

int
page_parse(struct request *r, struct response *res, struct page *p)
{
	const char *cursor = http_query(r, "cursor");
	const char *after[2] = {NULL, NULL};
	int status;

	status = validate_query_int(res, "limit", http_query(r, "limit"),
				    PAGE_DEFAULT, 1, PAGE_MAX, &p->limit);
	if (status != 0)
		return status;
	if (cursor != NULL &&
	    (codec_cursor_decode(r->arena, cursor, after, 2) != 0 ||
	     !validate_timestamp(after[0]) || !validate_uuid(after[1])))
		return http_problem(res, 400, "invalid-query",
				    "The cursor is not one this API issued.");
	/* One row more than the page tells whether another page exists. */
	p->fetch = arena_printf(r->arena, "%ld", p->limit + 1);
	p->after_at = after[0];
	p->after_id = after[1];
	return 0;
}

int
page_respond(struct request *r, struct response *res, const struct page *p,
	     const PGresult *rows, const char *at_col, const char *id_col)
{
	int i, n = PQntuples(rows);
	const char *last[2];
	json_t *items, *row;

	items = json_array();
	for (i = 0; i < n && i < p->limit; i++)
		json_array_append_new(items, db_row_json(rows, i));
	res->body = json_pack("{s:o, s:n}", "items", items, "next_cursor");
	if (n > p->limit) {
		row = json_array_get(items, (size_t)p->limit - 1);
		last[0] = json_string_value(json_object_get(row, at_col));
		last[1] = json_string_value(json_object_get(row, id_col));
		if (last[0] == NULL || last[1] == NULL)
			return http_internal(res, "page key missing in rows");
		json_object_set_new(
			res->body, "next_cursor",
			json_string(codec_cursor_encode(r->arena, last, 2)));
	}
	return 200;
}

/*
 * A sorted cursor: '2', then the sort ("name" or "-name"), the last row's
 * id and its key, separated by the unit separator. The key comes last and
 * runs to the end, so it may hold any text.
 */
#define SORTED_VERSION '2'
#define SORTED_SEP '\x1f'
#define SORTED_MAX 2048

static int
sorted_find(const struct page_sort *sorts, size_t nsorts, const char *name,
	    size_t *out)
{
	size_t i;

	for (i = 0; i < nsorts; i++)
		if (strcmp(sorts[i].name, name) == 0) {
			*out = i;
			return 0;
		}
	return -1;
}

/* True when the key suits its sort: UTF-8 text, or a timestamp. */
static bool
sorted_key_valid(enum page_key key, const char *s, size_t len)
{
	json_t *text;

	if (key == PAGE_KEY_TIMESTAMP)
		return validate_timestamp(s);
	/* jansson refuses invalid UTF-8 and embedded NULs are cut off. */
	text = json_stringn(s, len);
	json_decref(text);
	return text != NULL && strlen(s) == len;
}

static int
sorted_cursor_decode(struct request *r, const char *text,
		     const struct page_sort *sorts, struct page_sorted *p)
{
	unsigned char buf[SORTED_MAX];
	const char *spec, *id, *key, *end, *sep;
	size_t len, spec_len;
	long n;
	char want[72];

	len = strlen(text);
	if (len > (SORTED_MAX / 3) * 4)
		return -1;
	n = codec_b64url_decode(text, len, buf, sizeof(buf));
	if (n < 2 || buf[0] != SORTED_VERSION || buf[1] != SORTED_SEP)
		return -1;
	end = (const char *)buf + n;
	spec = (const char *)buf + 2;
	sep = memchr(spec, SORTED_SEP, (size_t)(end - spec));
	if (sep == NULL)
		return -1;
	spec_len = (size_t)(sep - spec);
	snprintf(want, sizeof(want), "%s%s", p->desc ? "-" : "",
		 sorts[p->sort].name);
	if (spec_len != strlen(want) || memcmp(spec, want, spec_len) != 0)
		return -2;
	id = sep + 1;
	if (end - id < 37 || id[36] != SORTED_SEP)
		return -1;
	p->after_id = arena_strndup(r->arena, id, 36);
	key = id + 37;
	p->after_key = arena_strndup(r->arena, key, (size_t)(end - key));
	if (p->after_id == NULL || p->after_key == NULL ||
	    !validate_uuid(p->after_id))
		return -1;
	return sorted_key_valid(sorts[p->sort].key, p->after_key,
				(size_t)(end - key))
		       ? 0
		       : -1;
}

int
page_sorted_parse(struct request *r, struct response *res,
		  const struct page_sort *sorts, size_t nsorts,
		  struct page_sorted *p)
{
	const char *sort = http_query(r, "sort");
	const char *cursor = http_query(r, "cursor");
	int status, rc;

	memset(p, 0, sizeof(*p));
	status = validate_query_int(res, "limit", http_query(r, "limit"),
				    PAGE_DEFAULT, 1, PAGE_MAX, &p->limit);
	if (status != 0)
		return status;
	if (sort != NULL) {
		p->desc = sort[0] == '-';
		if (sorted_find(sorts, nsorts, sort + p->desc, &p->sort) != 0)
			return http_problem(res, 400, "invalid-query",
					    "Query parameter 'sort' must be a "
					    "sort field, optionally prefixed "
					    "with '-' for descending order.");
	}
	if (cursor != NULL) {
		rc = sorted_cursor_decode(r, cursor, sorts, p);
		if (rc == -2)
			return http_problem(res, 400, "invalid-query",
					    "The cursor was issued for another "
					    "sort order.");
		if (rc != 0)
			return http_problem(res, 400, "invalid-query",
					    "The cursor is not one this API "
					    "issued.");
	}
	p->fetch = arena_printf(r->arena, "%ld", p->limit + 1);
	return 0;
}

int
page_sorted_respond(struct request *r, struct response *res,
		    const struct page_sort *sorts, const struct page_sorted *p,
		    const PGresult *rows, const char *id_col)
{
	int i, n = PQntuples(rows);
	char buf[SORTED_MAX];
	const char *key, *id, *name = sorts[p->sort].name;
	size_t used, klen;
	json_t *items, *row;

	items = json_array();
	for (i = 0; i < n && i < p->limit; i++)
		json_array_append_new(items, db_row_json(rows, i));
	res->body = json_pack("{s:o, s:n}", "items", items, "next_cursor");
	if (n <= p->limit)
		return 200;
	row = json_array_get(items, (size_t)p->limit - 1);
	key = json_string_value(json_object_get(row, name));
	id = json_string_value(json_object_get(row, id_col));
	if (key == NULL || id == NULL || strlen(id) != 36)
		return http_internal(res, "sort key missing in rows");
	klen = strlen(key);
	used = (size_t)snprintf(buf, sizeof(buf), "%c%c%s%s%c%s%c",
				SORTED_VERSION, SORTED_SEP, p->desc ? "-" : "",
				name, SORTED_SEP, id, SORTED_SEP);
	if (used + klen > sizeof(buf))
		return http_internal(res, "sort key too long for a cursor");
	memcpy(buf + used, key, klen);
	json_object_set_new(
		res->body, "next_cursor",
		json_string(codec_b64url_encode(
			r->arena, (const unsigned char *)buf, used + klen)));
	return 200;
}

int
page_list(struct request *r, struct response *res, const struct db_stmt *stmt)
{
	const char *params[3];
	struct page p;
	PGresult *rows;
	int status;

	if ((status = page_parse(r, res, &p)) != 0)
		return status;
	params[0] = p.fetch;
	params[1] = p.after_at;
	params[2] = p.after_id;
	rows = db_exec(r->db, stmt, 3, params, DB_COMMIT);
	if (rows == NULL)
		return errors_from_db(res, r->db);
	return page_respond(r, res, &p, rows, "created_at", "id");
}

int
page_path_id(struct request *r, struct response *res, const char *what)
{
	if (r->nparams < 1 || !validate_uuid(r->params[0]))
		return http_problem(res, 404, "not-found", "No such %s.", what);
	return 0;
}

const PGresult *
page_get(struct request *r, struct response *res, const struct db_stmt *stmt,
	 const char *what, int *status)
{
	const char *params[1] = {r->params[0]};
	PGresult *row;

	if ((*status = page_path_id(r, res, what)) != 0)
		return NULL;
	row = db_exec(r->db, stmt, 1, params, DB_COMMIT);
	if (row == NULL) {
		*status = errors_from_db(res, r->db);
		return NULL;
	}
	if (PQntuples(row) == 0) {
		*status = http_problem(res, 404, "not-found", "No such %s.",
				       what);
		return NULL;
	}
	return row;
}

int
page_missing_or_stale(struct request *r, struct response *res,
		      const struct db_stmt *exists, const char *what)
{
	const char *params[1] = {r->params[0]};
	PGresult *row = db_exec(r->db, exists, 1, params, 0);

	if (row == NULL)
		return errors_from_db(res, r->db);
	if (PQntuples(row) > 0)
		return http_problem(res, 412, "precondition-failed",
				    "The %s changed since it was read "
				    "(If-Match).",
				    what);
	return http_problem(res, 404, "not-found", "No such %s.", what);
}

/* The message of the first problem, for a 403 or 409 detail. */
static const char *
first_message(struct response *res, const PGresult *row)
{
	json_t *list = db_value_json(row, 0, PQfnumber(row, "problems"));
	const char *m = json_string_value(
		json_object_get(json_array_get(list, 0), "message"));
	const char *copy = arena_strdup(res->arena, m != NULL ? m : "");

	json_decref(list);
	return copy;
}

int
page_outcome(struct response *res, const PGresult *row, const char *what)
{
	const char *outcome = PQgetvalue(row, 0, PQfnumber(row, "outcome"));
	json_t *list;
	const json_t *e;
	size_t i;

	if (strcmp(outcome, "ok") == 0 || strcmp(outcome, "created") == 0) {
		res->body = db_value_json(row, 0, PQfnumber(row, "item"));
		return page_etag(res,
				 PQgetvalue(row, 0, PQfnumber(row, "version")),
				 outcome[0] == 'c' ? 201 : 200);
	}
	if (strcmp(outcome, "not_found") == 0)
		return http_problem(res, 404, "not-found", "No such %s.", what);
	if (strcmp(outcome, "stale") == 0)
		return http_problem(res, 412, "precondition-failed",
				    "The %s changed since it was read "
				    "(If-Match).",
				    what);
	if (strcmp(outcome, "conflict") == 0)
		return http_problem(res, 409, "conflict", "%s",
				    first_message(res, row));
	if (strcmp(outcome, "forbidden") == 0)
		return http_problem(res, 403, "forbidden", "%s",
				    first_message(res, row));
	if (strcmp(outcome, "invalid") != 0)
		return http_internal(res, "unknown outcome of a write");
	list = db_value_json(row, 0, PQfnumber(row, "problems"));
	json_array_foreach (list, i, e) {
		http_field_error(
			res, json_string_value(json_object_get(e, "field")),
			"%s", json_string_value(json_object_get(e, "message")));
	}
	json_decref(list);
	return http_problem(res, 422, "validation", "The %s is not valid.",
			    what);
}

long
page_if_match(const struct request *r)
{
	const char *s = r->if_match;
	char *end;
	long v;

	if (s == NULL || strcmp(s, "*") == 0)
		return 0;
	if (strncmp(s, "W/", 2) == 0)
		s += 2;
	if (*s != '"' || !isdigit((unsigned char)s[1]))
		return -1;
	v = strtol(s + 1, &end, 10);
	if (strcmp(end, "\"") != 0 || v <= 0)
		return -1;
	return v;
}

int
page_etag(struct response *res, const char *version, int status)
{
	http_header(res, "ETag", "\"%s\"", version);
	return status;
}
