/*
 * Bearer token verification. Tokens are RS256 JWTs with a kid naming one
 * of the public keys in ISMS_JWT_KEYS_DIR; the signature is checked here
 * with OpenSSL against exactly that key (parsed once per key), as are the
 * alg and the claims. libjwt only signs (isms-auth).
 */
#ifndef ISMS_AUTH_H
#define ISMS_AUTH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "arena.h"

enum role {
	ROLE_ADMIN = 1 << 0,
	ROLE_EDITOR = 1 << 1,
	ROLE_VIEWER = 1 << 2,
	ROLE_AUDITOR = 1 << 3,
};

#define ROLES_ADMIN (ROLE_ADMIN)
#define ROLES_WRITE (ROLE_ADMIN | ROLE_EDITOR)
#define ROLES_READ (ROLE_ADMIN | ROLE_EDITOR | ROLE_VIEWER | ROLE_AUDITOR)

#define AUTH_UUID_LEN 36
#define AUTH_JTI_MAX 64
#define AUTH_KID_MAX 64
#define AUTH_TOKEN_MAX 8192
#define AUTH_LEEWAY 30

struct principal {
	char user_id[AUTH_UUID_LEN + 1]; /* the API key's id for a key */
	char tenant_id[AUTH_UUID_LEN + 1];
	char jti[AUTH_JTI_MAX + 1];
	char sid[AUTH_UUID_LEN + 1];      /* the session (refresh family) */
	char key_hash[65];                /* SHA-256 of an API key's secret */
	enum role role;
	time_t exp;
	bool authenticated;
	bool api_key;
};

#define AUTH_API_KEY_PREFIX "isk_"
#define AUTH_API_KEY_SECRET 32

struct auth_key {
	char kid[AUTH_KID_MAX + 1];
	unsigned char *pem; /* public key, PEM */
	int pem_len;
	/* pem parsed once: an RSA key, or the file is skipped */
	struct evp_pkey_st *pkey;
	unsigned char *private_pem; /* only where a .key.pem exists */
	int private_pem_len;
	time_t mtime;
};

/* The key set; readers take the lock shared, a reload takes it exclusive. */
struct auth_keyset {
	pthread_rwlock_t lock;
	char *dir;
	struct auth_key *keys;
	size_t nkeys;
	time_t last_scan;
	bool with_private;
};

enum auth_result {
	AUTH_OK = 0,
	AUTH_MISSING,   /* no Authorization header */
	AUTH_MALFORMED, /* not "Bearer <jwt>" or not a JWT */
	AUTH_BAD_ALG,
	AUTH_UNKNOWN_KID,
	AUTH_BAD_SIGNATURE,
	AUTH_BAD_CLAIMS,
	AUTH_EXPIRED,
	AUTH_NOT_YET_VALID,
	AUTH_WRONG_ISSUER,
	AUTH_WRONG_AUDIENCE,
	AUTH_BAD_API_KEY,
};

int auth_keyset_load(struct auth_keyset *ks, const char *dir,
		     bool with_private);
void auth_keyset_free(struct auth_keyset *ks);

/*
 * Verifies "Bearer <jwt>" and fills the principal. Unknown kids trigger at
 * most one rescan of the key directory per second, so a rotated key is
 * picked up without a restart.
 */
enum auth_result auth_verify(struct auth_keyset *ks, const char *authorization,
			     const char *issuer, const char *audience,
			     time_t now, struct principal *out);

const char *auth_result_str(enum auth_result r);
const char *auth_role_name(enum role r);
/* Returns 0 for an unknown name. */
enum role auth_role_parse(const char *name);

struct auth_claims {
	const char *sid;
	const char *sub;
	const char *tid;
	const char *role;
	const char *jti;
	const char *issuer;
	const char *audience;
	time_t iat;
	time_t nbf;
	time_t exp;
};

/*
 * An API key is "isk_" + base64url(tenant id, key id, role, secret): the
 * service learns the tenant and role without a lookup, and the database
 * checks the secret's hash in the request's first round trip. Returns a
 * new arena string; the secret's SHA-256 (hex) goes to key_hash.
 */
char *auth_api_key_format(struct arena *a, const char *tenant_id,
			  const char *key_id, enum role role,
			  const unsigned char *secret, char key_hash[65]);

/*
 * The public keys as a JSON Web Key Set (RFC 7517): kty RSA, kid, alg
 * RS256, use sig, n and e. Returns a new reference.
 */
json_t *auth_jwks(struct auth_keyset *ks);

/* Rescans the key directory when the last scan is older than seconds. */
void auth_keyset_refresh(struct auth_keyset *ks, time_t now, int seconds);

/* Random bytes from the system CSPRNG; 0 on success. */
int auth_random(unsigned char *buf, size_t n);
/* SHA-256 of data as 64 hex digits. */
void auth_sha256_hex(const void *data, size_t n, char out[65]);
/* A random UUID (version 4). */
void auth_uuid(char out[AUTH_UUID_LEN + 1]);

/*
 * Signs claims as an RS256 JWT with the private key of kid (NULL: the
 * newest key that has one). Returns a malloc'ed token or NULL.
 */
char *auth_sign(struct auth_keyset *ks, const char *kid,
		const struct auth_claims *c);

#endif
