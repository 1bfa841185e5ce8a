/*
 * Keyset paging shared by every list: `limit` (default 50, 1-200) and an
 * opaque `cursor` holding the (created_at, id) of the last row served.
 * A page costs the same at the first row and the millionth.
 */
#ifndef ISMS_PAGE_H
#define ISMS_PAGE_H

#include <libpq-fe.h>

#include "http.h"

#define PAGE_DEFAULT 50
#define PAGE_MAX 200

struct page {
	long limit;
	const char *fetch;    /* limit + 1, as a statement parameter */
	const char *after_at; /* NULL on the first page */
	const char *after_id;
};

/* Reads limit and cursor from the query; 0 or 400 with a problem. */
int page_parse(struct request *r, struct response *res, struct page *p);

/*
 * Fills res->body with {"items": [...], "next_cursor": ...} from rows
 * fetched with p->fetch as LIMIT, the sort key in columns at_col and
 * id_col (which must be among the rows' fields).
 */
int page_respond(struct request *r, struct response *res, const struct page *p,
		 const PGresult *rows, const char *at_col, const char *id_col);

/*
 * If-Match: 0 when absent or "*"; otherwise the version it names in *out
 * (-1 for a tag that can never match, which the caller turns into 412).
 */
long page_if_match(const struct request *r);

/* Sets ETag from a version and returns status (for `return`). */
int page_etag(struct response *res, const char *version, int status);

#endif
