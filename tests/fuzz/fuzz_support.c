/*
 * Shared parts of the fuzz targets (fuzz.h).
 */
#include "fuzz.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "services.h"

uint8_t
fuzz_byte(struct fuzz_in *in)
{
	uint8_t b;

	if (in->n == 0)
		return 0;
	b = in->p[0];
	in->p++;
	in->n--;
	return b;
}

char *
fuzz_str(struct fuzz_in *in, struct arena *a)
{
	const uint8_t *nul = memchr(in->p, '\0', in->n);
	size_t len = nul ? (size_t)(nul - in->p) : in->n;
	char *s = arena_strndup(a, (const char *)in->p, len);

	in->p += nul ? len + 1 : len;
	in->n -= nul ? len + 1 : len;
	return s;
}

char *
fuzz_rest(struct fuzz_in *in, struct arena *a, size_t *len)
{
	char *s = arena_alloc(a, in->n + 1);

	if (s == NULL)
		fuzz_fail("out of memory copying %zu bytes", in->n);
	memcpy(s, in->p, in->n);
	s[in->n] = '\0';
	*len = in->n;
	in->p += in->n;
	in->n = 0;
	return s;
}

void
fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("fuzz: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

static char key_dir[] = "/tmp/isms-fuzz-keys-XXXXXX";

static void
key_dir_remove(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/fuzz.pub.pem", key_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/fuzz.key.pem", key_dir);
	unlink(path);
	rmdir(key_dir);
}

static void
key_write(EVP_PKEY *pkey, bool private_key)
{
	char path[128];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/fuzz.%s.pem", key_dir,
		 private_key ? "key" : "pub");
	f = fopen(path, "w");
	if (f == NULL)
		fuzz_fail("cannot write %s", path);
	ok = private_key
		     ? PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL)
		     : PEM_write_PUBKEY(f, pkey);
	fclose(f);
	if (ok != 1)
		fuzz_fail("cannot write %s", path);
}

struct auth_keyset *
fuzz_keyset(void)
{
	static struct config cfg;
	static struct auth_keyset keys;
	EVP_PKEY *pkey;

	if (keys.nkeys > 0)
		return &keys;
	/* 1024 bits: a target may sign once per input. */
	pkey = EVP_RSA_gen(1024);
	if (pkey == NULL || mkdtemp(key_dir) == NULL)
		fuzz_fail("cannot make the key");
	key_write(pkey, false);
	key_write(pkey, true);
	EVP_PKEY_free(pkey);
	atexit(key_dir_remove);
	if (auth_keyset_load(&keys, key_dir, true) != 0)
		fuzz_fail("cannot load the key set from %s", key_dir);
	cfg.service = "isms-fuzz";
	cfg.database_url = "host=/nonexistent-isms-fuzz";
	cfg.listen = "/nonexistent-isms-fuzz/socket";
	cfg.keys_dir = key_dir;
	cfg.issuer = "isms";
	cfg.audience = "isms-api";
	cfg.workers = 1;
	cfg.max_body = 65536;
	cfg.token_ttl = 900;
	cfg.password_concurrency = 1;
	server_set_state(&cfg, &keys);
	return &keys;
}

size_t
fuzz_routes(const struct fuzz_route **out)
{
	static struct fuzz_route *all;
	static size_t n;
	const struct service *svc;
	size_t i, j;

	if (all == NULL) {
		/* Handlers may read the settings and the key set. */
		fuzz_keyset();
		for (i = 0; (svc = test_service(i)) != NULL; i++)
			n += svc->nroutes;
		all = calloc(n ? n : 1, sizeof(*all));
		if (all == NULL)
			fuzz_fail("out of memory");
		n = 0;
		for (i = 0; (svc = test_service(i)) != NULL; i++)
			for (j = 0; j < svc->nroutes; j++) {
				all[n].svc = svc;
				all[n].rt = &svc->routes[j];
				n++;
			}
	}
	*out = all;
	return n;
}

struct db *
fuzz_db(void)
{
	static struct db *db;

	if (db == NULL && (db = db_new("host=/nonexistent-isms-fuzz")) == NULL)
		fuzz_fail("db_new failed");
	return db;
}

struct arena *
fuzz_arena(void)
{
	static struct arena a;
	static bool ready;

	if (!ready) {
		arena_init(&a, 16384);
		ready = true;
	}
	return &a;
}

/* A value for a path placeholder: what its name says, or odd text. */
static const char *
placeholder(const char *name, size_t len, bool odd)
{
	if (odd)
		return "%27;--\"x";
	if (len == 4 && memcmp(name, "slug", 4) == 0)
		return "iso27001-2022";
	if (len == 6 && memcmp(name, "number", 6) == 0)
		return "1";
	return "00000000-0000-4000-8000-000000000001";
}

static const char *
fill_pattern(struct arena *a, const char *pattern, bool odd)
{
	char buf[1024];
	const char *p = pattern, *close, *v;
	size_t used = 0, n;

	while (*p != '\0' && used + 64 < sizeof(buf)) {
		if (*p == '{' && (close = strchr(p, '}')) != NULL) {
			v = placeholder(p + 1, (size_t)(close - p - 1), odd);
			n = strlen(v);
			memcpy(buf + used, v, n);
			used += n;
			p = close + 1;
		} else {
			buf[used++] = *p++;
		}
	}
	return arena_strndup(a, buf, used);
}

int
fuzz_request_for(struct request *r, struct response *res,
		 const struct fuzz_route *fr, const char *query,
		 bool odd_params)
{
	struct arena *a = fuzz_arena();
	const struct route *found = NULL;
	unsigned allow;
	unsigned m;

	request_init(r, a);
	response_init(res, a);
	/* The route's first method, as the router would have matched. */
	for (m = 1; m <= HTTP_OPTIONS && !(fr->rt->method & m); m <<= 1)
		;
	r->method = m;
	r->method_name = http_method_name(m);
	r->path = fill_pattern(a, fr->rt->pattern, odd_params);
	r->query_string = query;
	r->service = fr->svc;
	r->db = fuzz_db();
	r->request_id = "fuzz";
	r->principal.authenticated = true;
	r->principal.role = ROLE_ADMIN;
	snprintf(r->principal.tenant_id, sizeof(r->principal.tenant_id),
		 "00000000-0000-4000-8000-00000000000a");
	snprintf(r->principal.user_id, sizeof(r->principal.user_id),
		 "00000000-0000-4000-8000-00000000000b");
	snprintf(r->principal.jti, sizeof(r->principal.jti), "fuzz");
	/* Routes earlier in the table may take the path: use the match. */
	if (router_match(fr->svc->routes, fr->svc->nroutes, r, &found,
			 &allow) != ROUTE_FOUND)
		found = fr->rt;
	r->route = found;
	return http_parse_query(r, res, found->query);
}

void
fuzz_finish(struct request *r, struct response *res, int status)
{
	size_t len = 0;
	char *out;

	if (status == 0)
		status = 200;
	res->status = status;
	if (status < 200 || status > 599 || status == 500)
		fuzz_fail("%s %s answered %d (%s: %s)",
			  r->method_name ? r->method_name : "?",
			  r->route ? r->route->pattern : "?", status,
			  res->problem_detail ? res->problem_detail : "",
			  res->log_reason ? res->log_reason : "");
	out = http_serialize(r, res, &len);
	if (out == NULL)
		fuzz_fail("http_serialize failed for status %d", status);
	if (len < 8 || memcmp(out, "Status: ", 8) != 0)
		fuzz_fail("malformed envelope");
	free(out);
	request_release(r);
	response_release(res);
	db_release(r->db ? r->db : fuzz_db());
	arena_reset(fuzz_arena());
}

void
fuzz_dispatch(struct request *r, struct response *res)
{
	int status = r->route->handler(r, res);

	fuzz_finish(r, res, status);
}

void
fuzz_body_request(const struct fuzz_route *fr, unsigned flags,
		  const char *query, const char *content_type, const char *body,
		  size_t len)
{
	struct request r;
	struct response res;
	int status;

	status = fuzz_request_for(&r, &res, fr, query,
				  (flags & FUZZ_ODD_PARAMS) != 0);
	if (status != 0) {
		fuzz_finish(&r, &res, status);
		return;
	}
	if (flags & FUZZ_EDITOR)
		r.principal.role = ROLE_EDITOR;
	if (flags & FUZZ_IDEMPOTENT)
		r.idempotency_key = "fuzz-key-1";
	r.content_type = content_type;
	r.body = len > 0 ? body : NULL;
	r.body_len = len;
	if ((r.route->flags & ROUTE_JSON) &&
	    (status = http_parse_json(&r, &res)) != 0) {
		fuzz_finish(&r, &res, status);
		return;
	}
	fuzz_dispatch(&r, &res);
}

const struct fuzz_route *
fuzz_route_find(unsigned method, const char *pattern)
{
	const struct fuzz_route *all;
	size_t i, n = fuzz_routes(&all);

	for (i = 0; i < n; i++)
		if ((all[i].rt->method & method) &&
		    strcmp(all[i].rt->pattern, pattern) == 0)
			return &all[i];
	return NULL;
}
