/*
 * GET /api/v1/auth/jwks and /.well-known/jwks.json: the public keys that
 * verify access tokens, old ones included until their tokens expire.
 */
#include <time.h>

#include "auth.h"
#include "server.h"

int
jwks_get(struct request *r, struct response *res)
{
	(void)r;
	auth_keyset_refresh(server_keyset(), time(NULL), 5);
	res->body = auth_jwks(server_keyset());
	http_header(res, "Cache-Control", "public, max-age=60");
	return 200;
}
