/*
 * The query string of every route: http_parse_query against the route's
 * own keys, then the route's handler, which reads its parameters (limit,
 * cursor, sort, filters, enums, UUIDs, booleans) before it reaches the
 * database. Input: a byte choosing the route, a byte of flags, the query
 * string.
 */
#include <string.h>

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	const struct fuzz_route *all, *fr;
	struct request r;
	struct response res;
	size_t n = fuzz_routes(&all), i;
	uint8_t pick = fuzz_byte(&in), flags = fuzz_byte(&in);
	const char *query;
	int status;

	if (n == 0)
		return 0;
	fr = &all[pick % n];
	query = fuzz_str(&in, fuzz_arena());
	status = fuzz_request_for(&r, &res, fr, query, flags & 1);
	if (status == 0) {
		/* What http_parse_query promises the handlers. */
		for (i = 0; i < r.nquery; i++) {
			const char *const *k = r.route->query;

			while (k != NULL && *k != NULL &&
			       strcmp(*k, r.query[i].key) != 0)
				k++;
			if (k == NULL || *k == NULL)
				fuzz_fail("key '%s' is not allowed",
					  r.query[i].key);
			if (http_query(&r, r.query[i].key) != r.query[i].value)
				fuzz_fail("key '%s' is repeated",
					  r.query[i].key);
		}
	}
	if (status != 0) {
		fuzz_finish(&r, &res, status);
		return 0;
	}
	/* The server parses a JSON route's body before the handler runs. */
	if (r.route->flags & ROUTE_JSON) {
		r.content_type = "application/json";
		r.body = "{}";
		r.body_len = 2;
		if ((status = http_parse_json(&r, &res)) != 0)
			fuzz_fail("{} refused");
	}
	fuzz_dispatch(&r, &res);
	return 0;
}
