/*
 * The body of every route that takes one (its JSON parse and its field
 * list's validation, or its own reading of a raw body), through the
 * route's handler up to the database. Input: a byte choosing the route,
 * a byte of flags (fuzz.h; bits 3-4 the content type), the query string,
 * a NUL, the body.
 */
#include <stdlib.h>

#include "fuzz.h"

static const char *const content_types[] = {
	"application/json",
	"text/csv",
	"application/pdf",
	"application/json; charset=utf-8",
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fuzz_route **body_routes;
	static size_t nbody;
	struct fuzz_in in = {data, size};
	const struct fuzz_route *all;
	size_t n = fuzz_routes(&all), i, len;
	uint8_t pick = fuzz_byte(&in), flags = fuzz_byte(&in);
	const char *query, *body;

	if (body_routes == NULL) {
		body_routes = calloc(n + 1, sizeof(*body_routes));
		for (i = 0; i < n; i++)
			if (all[i].rt->flags & (ROUTE_JSON | ROUTE_BODY))
				body_routes[nbody++] = &all[i];
	}
	if (nbody == 0)
		return 0;
	query = fuzz_str(&in, fuzz_arena());
	body = fuzz_rest(&in, fuzz_arena(), &len);
	fuzz_body_request(body_routes[pick % nbody], flags & 7, query,
			  content_types[(flags >> 3) & 3], body, len);
	return 0;
}
