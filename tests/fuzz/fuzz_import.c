/*
 * The asset importer (POST /api/v1/assets/import): a CSV file (common/csv
 * under the importer's header and cell rules) or a JSON array of rows,
 * each checked against the asset fields, up to the one statement that
 * writes. Input: a byte of flags (bit 0: JSON instead of CSV), the body.
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
	    (fr = fuzz_route_find(HTTP_POST, "/api/v1/assets/import")) == NULL)
		return 0;
	body = fuzz_rest(&in, fuzz_arena(), &len);
	fuzz_body_request(fr, (flags >> 1) & FUZZ_IDEMPOTENT, NULL,
			  flags & 1 ? "application/json" : "text/csv", body,
			  len);
	return 0;
}
