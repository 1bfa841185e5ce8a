/*
 * router_match over every service's table (and an Allow header for a
 * 405): a match fills one non-empty parameter without '/' per
 * placeholder, and a method the path does not have is a 405 listing the
 * ones it has. Input: a byte of method bits, the path.
 */
#include <string.h>

#include "fuzz.h"
#include "services.h"

static size_t
placeholders(const char *pattern)
{
	size_t n = 0;

	for (; *pattern != '\0'; pattern++)
		n += *pattern == '{';
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	const struct service *svc;
	const struct route *rt;
	struct request r;
	enum route_match m;
	unsigned allow;
	char buf[64], tiny[8];
	size_t i, k;
	uint8_t method = fuzz_byte(&in);

	request_init(&r, fuzz_arena());
	/* One method bit, as http_method_parse gives, or none. */
	r.method = method & 0x80 ? 0 : 1u << (method % 7);
	r.path = fuzz_str(&in, fuzz_arena());
	for (i = 0; (svc = test_service(i)) != NULL; i++) {
		rt = NULL;
		r.nparams = 0;
		m = router_match(svc->routes, svc->nroutes, &r, &rt, &allow);
		if (m == ROUTE_FOUND) {
			if (rt == NULL || !(rt->method & r.method) ||
			    r.nparams != placeholders(rt->pattern))
				fuzz_fail("bad match of %s", r.path);
			for (k = 0; k < r.nparams; k++)
				if (r.params[k] == NULL ||
				    r.params[k][0] == '\0' ||
				    strchr(r.params[k], '/') != NULL)
					fuzz_fail("bad parameter %zu of %s", k,
						  r.path);
		} else if (m == ROUTE_BAD_METHOD) {
			if (allow == 0 || (allow & r.method))
				fuzz_fail("bad Allow for %s", r.path);
			router_allow_header(allow, buf, sizeof(buf));
			router_allow_header(allow, tiny, sizeof(tiny));
			if (strlen(buf) >= sizeof(buf) ||
			    strlen(tiny) >= sizeof(tiny))
				fuzz_fail("Allow overflows");
		} else if (m != ROUTE_NOT_FOUND) {
			fuzz_fail("router_match returned %d", (int)m);
		}
	}
	arena_reset(fuzz_arena());
	return 0;
}
