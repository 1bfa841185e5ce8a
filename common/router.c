/*
 * Segment-by-segment matching of a path against the route table.
 */
#include "router.h"

#include <stdio.h>
#include <string.h>

/*
 * Matches path against pattern, storing placeholder values. Segments are
 * compared in place; a placeholder accepts any non-empty segment.
 */
static int
pattern_match(const char *pattern, const char *path, struct request *r,
	      const char **params, size_t *nparams)
{
	const char *p = pattern, *s = path, *pe, *se;
	size_t n = 0;

	for (;;) {
		if (*p != '/' || *s != '/')
			return *p == '\0' && *s == '\0';
		p++;
		s++;
		pe = strchr(p, '/');
		se = strchr(s, '/');
		if (pe == NULL)
			pe = p + strlen(p);
		if (se == NULL)
			se = s + strlen(s);
		if (*p == '{') {
			if (se == s || n == HTTP_MAX_PARAMS)
				return 0;
			if (params != NULL)
				params[n] = arena_strndup(r->arena, s,
							  (size_t)(se - s));
			n++;
		} else if (pe - p != se - s || memcmp(p, s, (size_t)(pe - p))) {
			return 0;
		}
		p = pe;
		s = se;
		if (*p == '\0' && *s == '\0') {
			*nparams = n;
			return 1;
		}
	}
}

enum route_match
router_match(const struct route *routes, size_t n, struct request *r,
	     const struct route **out, unsigned *allow)
{
	const char *params[HTTP_MAX_PARAMS];
	size_t i, np = 0;

	*allow = 0;
	if (r->path == NULL)
		return ROUTE_NOT_FOUND;
	for (i = 0; i < n; i++) {
		if (!pattern_match(routes[i].pattern, r->path, r, NULL, &np))
			continue;
		if (!(routes[i].method & r->method)) {
			*allow |= routes[i].method;
			continue;
		}
		pattern_match(routes[i].pattern, r->path, r, params, &np);
		memcpy(r->params, params, np * sizeof(params[0]));
		r->nparams = np;
		*out = &routes[i];
		return ROUTE_FOUND;
	}
	return *allow ? ROUTE_BAD_METHOD : ROUTE_NOT_FOUND;
}

void
router_allow_header(unsigned allow, char *buf, size_t len)
{
	size_t used = 0;
	unsigned bit;
	int w;

	buf[0] = '\0';
	for (bit = 1; bit <= HTTP_OPTIONS && used < len; bit <<= 1) {
		if (!(allow & bit))
			continue;
		w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
			     http_method_name(bit));
		if (w < 0)
			break;
		used += (size_t)w;
	}
}
