/*
 * The OSCAL catalog importer (POST /api/v1/frameworks/import): the JSON
 * parse, then the walk over groups, controls, enhancements and parts that
 * flattens a catalog into requirement rows, up to the statement that
 * stores them. Input: a byte of flags (bit 0: give ?name=), the body.
 */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fuzz_route *fr;
	struct fuzz_in in = {data, size};
	uint8_t flags = fuzz_byte(&in);
	const char *body;
	size_t len;

	if (fr == NULL &&
	    (fr = fuzz_route_find(HTTP_POST, "/api/v1/frameworks/import")) ==
		    NULL)
		return 0;
	body = fuzz_rest(&in, fuzz_arena(), &len);
	fuzz_body_request(fr, 0,
			  flags & 1 ? "slug=fuzz-catalog&name=Fuzz"
				    : "slug=fuzz-catalog",
			  "application/json", body, len);
	return 0;
}
