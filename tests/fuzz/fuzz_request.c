/*
 * A whole request through server_handle(), as FastCGI hands it over:
 * method, path, query, headers and body from the input, a bearer token
 * that is valid (admin or viewer), absent, or fuzzed, one service's table
 * and the built-in probes. The database is unreachable (a socket path
 * that does not exist), so every transaction fails as in an outage: the
 * answer must still be one well-formed envelope, never a 500. Input: a
 * byte choosing the service, a byte for the method, a byte for the token,
 * then NUL-separated: path, query, content type, Content-Length (empty:
 * the body's length), Idempotency-Key, If-Match, Authorization (token
 * byte 3 only), then the body.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "fuzz.h"
#include "services.h"

static struct db *db;
static char *tokens[2];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct auth_claims c;
	time_t now = time(NULL);
	static const char *const roles[2] = {"admin", "viewer"};
	int i;

	(void)argc;
	(void)argv;
	fuzz_keyset();
	db = fuzz_db();
	for (i = 0; i < 2; i++) {
		memset(&c, 0, sizeof(c));
		c.sub = "00000000-0000-4000-8000-00000000000b";
		c.tid = "00000000-0000-4000-8000-00000000000a";
		c.role = roles[i];
		c.jti = "fuzz";
		c.issuer = "isms";
		c.audience = "isms-api";
		c.iat = now;
		c.nbf = now;
		c.exp = now + 30L * 24 * 3600;
		tokens[i] = auth_sign(fuzz_keyset(), NULL, &c);
		if (tokens[i] == NULL)
			fuzz_fail("cannot sign a token");
	}
	return 0;
}

struct fake {
	const char *params[16][2];
	size_t nparams;
	const char *body;
	size_t len, off;
};

static char *
fake_param(const char *name, void *ctx)
{
	struct fake *f = ctx;
	size_t i;

	for (i = 0; i < f->nparams; i++)
		if (strcmp(f->params[i][0], name) == 0)
			return (char *)f->params[i][1];
	return NULL;
}

static int
fake_read(char *buf, int n, void *ctx)
{
	struct fake *f = ctx;
	size_t k = f->len - f->off;

	if ((size_t)n < k)
		k = (size_t)n;
	memcpy(buf, f->body + f->off, k);
	f->off += k;
	return (int)k;
}

static void
set(struct fake *f, const char *name, const char *value)
{
	if (value != NULL && f->nparams < 16) {
		f->params[f->nparams][0] = name;
		f->params[f->nparams][1] = value;
		f->nparams++;
	}
}

static const char *const methods[] = {"GET",    "POST", "PUT",     "PATCH",
				      "DELETE", "HEAD", "OPTIONS", "BREW"};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	struct arena *a = fuzz_arena();
	struct fake f;
	struct server_io io = {fake_param, fake_read, &f};
	const struct service *svc;
	uint8_t pick = fuzz_byte(&in), method = fuzz_byte(&in);
	uint8_t auth = fuzz_byte(&in) & 3;
	const char *length, *authorization = NULL, *e;
	char *out, status[4];
	size_t len;
	int code;

	memset(&f, 0, sizeof(f));
	svc = test_service(pick % test_service_count());
	if (svc == NULL)
		return 0;
	set(&f, "REQUEST_METHOD", methods[method & 7]);
	set(&f, "DOCUMENT_URI", fuzz_str(&in, a));
	set(&f, "QUERY_STRING", fuzz_str(&in, a));
	set(&f, "CONTENT_TYPE", fuzz_str(&in, a));
	length = fuzz_str(&in, a);
	set(&f, "HTTP_IDEMPOTENCY_KEY", fuzz_str(&in, a));
	set(&f, "HTTP_IF_MATCH", fuzz_str(&in, a));
	if (auth == 1 || auth == 2)
		authorization = arena_printf(a, "Bearer %s", tokens[auth - 1]);
	else if (auth == 3)
		authorization = fuzz_str(&in, a);
	set(&f, "HTTP_AUTHORIZATION", authorization);
	set(&f, "REQUEST_ID", "fuzz");
	set(&f, "REMOTE_ADDR", "127.0.0.1");
	f.body = fuzz_rest(&in, a, &f.len);
	set(&f, "CONTENT_LENGTH",
	    *length ? length : arena_printf(a, "%zu", f.len));

	out = server_handle(svc, db, a, &io, &len);
	if (out == NULL)
		fuzz_fail("no response");
	if (len < 12 || memcmp(out, "Status: ", 8) != 0)
		fuzz_fail("malformed envelope");
	memcpy(status, out + 8, 3);
	status[3] = '\0';
	code = atoi(status);
	if (code < 200 || code > 599 || code == 500) {
		e = memchr(out, '\n', len);
		fuzz_fail("answered %.*s", e ? (int)(e - out) : 12, out);
	}
	free(out);
	arena_reset(a);
	return 0;
}
