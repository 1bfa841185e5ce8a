/*
 * The list cursors: codec_cursor_decode for one to four parts, the
 * (created_at, id) cursor of page_parse and the sorted cursor of
 * page_sorted_parse, as a client can send any text. Also: base64url and
 * cursors decode to what they were encoded from. Input: the cursor text;
 * the same bytes split at 0x1f are the parts of the round trip.
 */
#include <string.h>

#include "codec.h"
#include "fuzz.h"
#include "page.h"

static const struct page_sort sorts[] = {
	{"name", PAGE_KEY_TEXT},
	{"created_at", PAGE_KEY_TIMESTAMP},
};

static void
round_trip(const uint8_t *data, size_t size)
{
	struct arena *a = fuzz_arena();
	const char *parts[CURSOR_MAX_PARTS], *back[CURSOR_MAX_PARTS];
	unsigned char out[1024];
	const char *p, *end, *sep;
	char *enc, *copy;
	size_t n = 0, i;
	long got;

	enc = codec_b64url_encode(a, data, size);
	got = enc ? codec_b64url_decode(enc, strlen(enc), out, sizeof(out))
		  : -1;
	if (size <= sizeof(out) &&
	    (got != (long)size || memcmp(out, data, size) != 0))
		fuzz_fail("base64url does not round-trip %zu bytes", size);
	copy = arena_strndup(a, (const char *)data, size);
	if (copy == NULL || strlen(copy) != size)
		return; /* parts are C strings: no NUL inside */
	for (p = copy, end = copy + size; n < CURSOR_MAX_PARTS;) {
		sep = memchr(p, '\x1f', (size_t)(end - p));
		parts[n++] = arena_strndup(
			a, p, sep ? (size_t)(sep - p) : (size_t)(end - p));
		if (sep == NULL)
			break;
		p = sep + 1;
	}
	enc = codec_cursor_encode(a, parts, n);
	if (enc == NULL)
		return; /* too long */
	if (codec_cursor_decode(a, enc, back, n) != 0)
		fuzz_fail("a cursor of %zu parts does not decode", n);
	for (i = 0; i < n; i++)
		if (strcmp(parts[i], back[i]) != 0)
			fuzz_fail("part %zu changed in a round trip", i);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = fuzz_arena();
	struct request r;
	struct response res;
	struct page p;
	struct page_sorted ps;
	const char *parts[CURSOR_MAX_PARTS];
	const char *text = arena_strndup(a, (const char *)data, size);
	size_t n;
	int status;

	for (n = 1; n <= CURSOR_MAX_PARTS; n++)
		if (codec_cursor_decode(a, text, parts, n) == 0)
			for (size_t i = 0; i < n; i++)
				if (parts[i] == NULL ||
				    strchr(parts[i], '\x1f') != NULL)
					fuzz_fail("part %zu of %zu is bad", i,
						  n);

	request_init(&r, a);
	response_init(&res, a);
	r.query[0].key = "cursor";
	r.query[0].value = text;
	r.query[1].key = "sort";
	r.query[1].value = size > 0 && data[0] & 1 ? "-name" : "created_at";
	r.nquery = 2;
	status = page_parse(&r, &res, &p);
	if (status == 0 && (p.after_at == NULL || p.after_id == NULL ||
			    p.limit != PAGE_DEFAULT))
		fuzz_fail("page_parse accepted a cursor without its parts");
	response_release(&res);
	response_init(&res, a);
	status = page_sorted_parse(&r, &res, sorts, 2, &ps);
	if (status == 0 && (ps.after_key == NULL || ps.after_id == NULL))
		fuzz_fail("page_sorted_parse accepted a partial cursor");
	if (status != 0 && status != 400)
		fuzz_fail("page_sorted_parse answered %d", status);
	response_release(&res);

	round_trip(data, size);
	arena_reset(a);
	return 0;
}
