/*
 * Keyset cursors, page envelopes and the ETag/If-Match pair.
 */
#include "page.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "db.h"
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
		json_object_set_new(res->body, "next_cursor",
				    json_string(codec_cursor_encode(
					    r->arena, last, 2)));
	}
	return 200;
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
