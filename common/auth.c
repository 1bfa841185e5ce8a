/*
 * RS256 bearer tokens: the key set (public keys by kid, private keys only
 * where isms-auth holds them), verification and signing.
 */
#include "auth.h"

#include <dirent.h>
#include <jansson.h>
#include <jwt.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "codec.h"
#include "validate.h"

static const char *const role_names[] = {"admin", "editor", "viewer",
					 "auditor"};

const char *
auth_role_name(enum role r)
{
	size_t i;

	for (i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++)
		if (r == (enum role)(1u << i))
			return role_names[i];
	return "";
}

enum role
auth_role_parse(const char *name)
{
	size_t i;

	for (i = 0;
	     name != NULL && i < sizeof(role_names) / sizeof(*role_names); i++)
		if (strcmp(name, role_names[i]) == 0)
			return (enum role)(1u << i);
	return 0;
}

const char *
auth_result_str(enum auth_result r)
{
	static const char *const s[] = {
		"ok",
		"missing bearer token",
		"malformed token",
		"algorithm not accepted",
		"unknown key id",
		"bad signature",
		"missing or invalid claims",
		"token expired",
		"token not yet valid",
		"wrong issuer",
		"wrong audience",
		"invalid API key",
	};

	return (size_t)r < sizeof(s) / sizeof(s[0]) ? s[r] : "invalid token";
}

static unsigned char *
read_file(const char *path, int *len)
{
	unsigned char *buf;
	struct stat st;
	FILE *f;
	size_t n;

	f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	if (fstat(fileno(f), &st) != 0 || st.st_size <= 0 ||
	    st.st_size > 65536) {
		fclose(f);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	n = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
	fclose(f);
	if (buf == NULL || n != (size_t)st.st_size) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = (int)n;
	return buf;
}

static bool
kid_valid(const char *kid, size_t n)
{
	size_t i;

	if (n == 0 || n > AUTH_KID_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!(kid[i] == '-' || kid[i] == '_' ||
		      (kid[i] >= '0' && kid[i] <= '9') ||
		      (kid[i] >= 'A' && kid[i] <= 'Z') ||
		      (kid[i] >= 'a' && kid[i] <= 'z')))
			return false;
	return true;
}

static void
keys_free(struct auth_key *keys, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(keys[i].pem);
		free(keys[i].private_pem);
		EVP_PKEY_free(keys[i].pkey);
	}
	free(keys);
}

static int
kid_cmp(const void *a, const void *b)
{
	return strcmp(((const struct auth_key *)a)->kid,
		      ((const struct auth_key *)b)->kid);
}

/* The RSA public key in pem, or NULL. */
static EVP_PKEY *
rsa_public_key(const unsigned char *pem, int len)
{
	BIO *bio = BIO_new_mem_buf(pem, len);
	EVP_PKEY *pkey =
		bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	if (pkey != NULL && !EVP_PKEY_is_a(pkey, "RSA")) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	return pkey;
}

/*
 * Reads every <kid>.pub.pem in dir holding an RSA public key, sorted by
 * kid (oldest first). Each key is parsed here, once: parsing a PEM per
 * request cost more than the rest of the request (OpenSSL's decoders
 * take global locks).
 */
static int
scan(const char *dir, bool with_private, struct auth_key **out, size_t *nout)
{
	static const char suffix[] = ".pub.pem";
	struct auth_key *keys = NULL, *grown;
	size_t n = 0, len;
	struct dirent *de;
	char path[4096];
	DIR *d;

	d = opendir(dir);
	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		struct auth_key k;

		len = strlen(de->d_name);
		if (len <= sizeof(suffix) - 1 ||
		    strcmp(de->d_name + len - (sizeof(suffix) - 1), suffix) ||
		    !kid_valid(de->d_name, len - (sizeof(suffix) - 1)))
			continue;
		memset(&k, 0, sizeof(k));
		memcpy(k.kid, de->d_name, len - (sizeof(suffix) - 1));
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		k.pem = read_file(path, &k.pem_len);
		if (k.pem == NULL)
			continue;
		k.pkey = rsa_public_key(k.pem, k.pem_len);
		if (k.pkey == NULL) {
			free(k.pem);
			continue;
		}
		if (with_private) {
			snprintf(path, sizeof(path), "%s/%s.key.pem", dir,
				 k.kid);
			k.private_pem = read_file(path, &k.private_pem_len);
		}
		grown = realloc(keys, (n + 1) * sizeof(*keys));
		if (grown == NULL) {
			free(k.pem);
			free(k.private_pem);
			EVP_PKEY_free(k.pkey);
			break;
		}
		keys = grown;
		keys[n++] = k;
	}
	closedir(d);
	if (n > 1)
		qsort(keys, n, sizeof(*keys), kid_cmp);
	*out = keys;
	*nout = n;
	return 0;
}

int
auth_keyset_load(struct auth_keyset *ks, const char *dir, bool with_private)
{
	memset(ks, 0, sizeof(*ks));
	pthread_rwlock_init(&ks->lock, NULL);
	ks->dir = strdup(dir);
	ks->with_private = with_private;
	ks->last_scan = time(NULL);
	if (ks->dir == NULL ||
	    scan(dir, with_private, &ks->keys, &ks->nkeys) != 0)
		return -1;
	return ks->nkeys > 0 ? 0 : -1;
}

void
auth_keyset_free(struct auth_keyset *ks)
{
	keys_free(ks->keys, ks->nkeys);
	free(ks->dir);
	pthread_rwlock_destroy(&ks->lock);
	memset(ks, 0, sizeof(*ks));
}

static void rescan(struct auth_keyset *ks, time_t now);

void
auth_keyset_refresh(struct auth_keyset *ks, time_t now, int seconds)
{
	time_t last;

	pthread_rwlock_rdlock(&ks->lock);
	last = ks->last_scan;
	pthread_rwlock_unlock(&ks->lock);
	if (now - last >= seconds)
		rescan(ks, now);
}

static json_t *
bn_json(const EVP_PKEY *pkey, const char *name)
{
	unsigned char buf[1024];
	struct arena a;
	BIGNUM *bn = NULL;
	json_t *v = NULL;
	int n;

	if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1)
		return NULL;
	n = BN_num_bytes(bn);
	if (n > 0 && (size_t)n <= sizeof(buf)) {
		BN_bn2bin(bn, buf);
		arena_init(&a, 2048);
		v = json_string(codec_b64url_encode(&a, buf, (size_t)n));
		arena_free(&a);
	}
	BN_free(bn);
	return v;
}

json_t *
auth_jwks(struct auth_keyset *ks)
{
	json_t *keys = json_array();
	size_t i;

	pthread_rwlock_rdlock(&ks->lock);
	for (i = 0; i < ks->nkeys; i++)
		json_array_append_new(
			keys, json_pack("{s:s, s:s, s:s, s:s, s:o?, s:o?}",
					"kty", "RSA", "kid", ks->keys[i].kid,
					"alg", "RS256", "use", "sig", "n",
					bn_json(ks->keys[i].pkey,
						OSSL_PKEY_PARAM_RSA_N),
					"e",
					bn_json(ks->keys[i].pkey,
						OSSL_PKEY_PARAM_RSA_E)));
	pthread_rwlock_unlock(&ks->lock);
	return json_pack("{s:o}", "keys", keys);
}

static void
rescan(struct auth_keyset *ks, time_t now)
{
	struct auth_key *keys;
	size_t n;

	pthread_rwlock_wrlock(&ks->lock);
	if (now > ks->last_scan) {
		ks->last_scan = now;
		if (scan(ks->dir, ks->with_private, &keys, &n) == 0 && n > 0) {
			keys_free(ks->keys, ks->nkeys);
			ks->keys = keys;
			ks->nkeys = n;
		}
	}
	pthread_rwlock_unlock(&ks->lock);
}

static const struct auth_key *
find_key(const struct auth_keyset *ks, const char *kid)
{
	size_t i;

	for (i = 0; i < ks->nkeys; i++)
		if (strcmp(ks->keys[i].kid, kid) == 0)
			return &ks->keys[i];
	return NULL;
}

static json_t *
decode_segment(const char *seg, size_t len)
{
	unsigned char buf[AUTH_TOKEN_MAX];
	long n;

	n = codec_b64url_decode(seg, len, buf, sizeof(buf));
	if (n <= 0)
		return NULL;
	return json_loadb((const char *)buf, (size_t)n, JSON_REJECT_DUPLICATES,
			  NULL);
}

static bool
copy_str(const json_t *obj, const char *key, char *out, size_t outlen)
{
	const char *s = json_string_value(json_object_get(obj, key));

	if (s == NULL || *s == '\0' || strlen(s) >= outlen)
		return false;
	memcpy(out, s, strlen(s) + 1);
	return true;
}

static bool
audience_ok(const json_t *aud, const char *audience)
{
	size_t i;
	const json_t *v;

	if (json_is_string(aud))
		return strcmp(json_string_value(aud), audience) == 0;
	json_array_foreach (aud, i, v) {
		if (json_is_string(v) &&
		    strcmp(json_string_value(v), audience) == 0)
			return true;
	}
	return false;
}

static enum auth_result
check_claims(const json_t *c, const char *issuer, const char *audience,
	     time_t now, struct principal *out)
{
	const json_t *exp = json_object_get(c, "exp");
	const json_t *nbf = json_object_get(c, "nbf");
	const char *iss = json_string_value(json_object_get(c, "iss"));
	char role[16];

	if (!json_is_integer(exp) || (nbf != NULL && !json_is_integer(nbf)))
		return AUTH_BAD_CLAIMS;
	if (iss == NULL || strcmp(iss, issuer) != 0)
		return AUTH_WRONG_ISSUER;
	if (!audience_ok(json_object_get(c, "aud"), audience))
		return AUTH_WRONG_AUDIENCE;
	if (now > json_integer_value(exp) + AUTH_LEEWAY)
		return AUTH_EXPIRED;
	if (nbf != NULL && json_integer_value(nbf) > now + AUTH_LEEWAY)
		return AUTH_NOT_YET_VALID;
	if (!copy_str(c, "sub", out->user_id, sizeof(out->user_id)) ||
	    !copy_str(c, "tid", out->tenant_id, sizeof(out->tenant_id)) ||
	    !copy_str(c, "jti", out->jti, sizeof(out->jti)) ||
	    !copy_str(c, "role", role, sizeof(role)) ||
	    !validate_uuid(out->user_id) || !validate_uuid(out->tenant_id) ||
	    !kid_valid(out->jti, strlen(out->jti)))
		return AUTH_BAD_CLAIMS;
	out->role = auth_role_parse(role);
	if (out->role == 0)
		return AUTH_BAD_CLAIMS;
	if (json_object_get(c, "sid") != NULL &&
	    (!copy_str(c, "sid", out->sid, sizeof(out->sid)) ||
	     !validate_uuid(out->sid)))
		return AUTH_BAD_CLAIMS;
	out->exp = (time_t)json_integer_value(exp);
	return AUTH_OK;
}

/* Checks the JOSE header: alg pinned to RS256, a known-format kid. */
static enum auth_result
check_header(const json_t *h, char *kid)
{
	const char *alg = json_string_value(json_object_get(h, "alg"));
	const json_t *typ = json_object_get(h, "typ");
	const char *k = json_string_value(json_object_get(h, "kid"));

	if (alg == NULL || strcmp(alg, "RS256") != 0)
		return AUTH_BAD_ALG;
	if (json_object_get(h, "crit") != NULL ||
	    (typ != NULL && (!json_is_string(typ) ||
			     strcasecmp(json_string_value(typ), "JWT") != 0)))
		return AUTH_MALFORMED;
	if (k == NULL || !kid_valid(k, strlen(k)))
		return AUTH_UNKNOWN_KID;
	memcpy(kid, k, strlen(k) + 1);
	return AUTH_OK;
}

int
auth_random(unsigned char *buf, size_t n)
{
	return RAND_bytes(buf, (int)n) == 1 ? 0 : -1;
}

void
auth_sha256_hex(const void *data, size_t n, char out[65])
{
	unsigned char md[32];
	unsigned int len = 0, i;

	EVP_Digest(data, n, md, &len, EVP_sha256(), NULL);
	for (i = 0; i < len; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
}

static void
uuid_text(const unsigned char *b, char *out)
{
	snprintf(out, AUTH_UUID_LEN + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		 b[10], b[11], b[12], b[13], b[14], b[15]);
}

static int
uuid_bytes(const char *s, unsigned char *out)
{
	unsigned int v;
	size_t i, o = 0;

	if (!validate_uuid(s))
		return -1;
	for (i = 0; s[i] != '\0' && o < 16; i++) {
		if (s[i] == '-')
			continue;
		if (sscanf(s + i, "%2x", &v) != 1)
			return -1;
		out[o++] = (unsigned char)v;
		i++;
	}
	return o == 16 ? 0 : -1;
}

void
auth_uuid(char out[AUTH_UUID_LEN + 1])
{
	unsigned char b[16];

	if (auth_random(b, sizeof(b)) != 0)
		abort();
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	uuid_text(b, out);
}

#define API_KEY_BYTES (16 + 16 + 1 + AUTH_API_KEY_SECRET)

char *
auth_api_key_format(struct arena *a, const char *tenant_id, const char *key_id,
		    enum role role, const unsigned char *secret,
		    char key_hash[65])
{
	unsigned char raw[API_KEY_BYTES];
	char *b64;

	if (uuid_bytes(tenant_id, raw) != 0 ||
	    uuid_bytes(key_id, raw + 16) != 0)
		return NULL;
	raw[32] = (unsigned char)role;
	memcpy(raw + 33, secret, AUTH_API_KEY_SECRET);
	auth_sha256_hex(secret, AUTH_API_KEY_SECRET, key_hash);
	b64 = codec_b64url_encode(a, raw, sizeof(raw));
	return b64 ? arena_printf(a, AUTH_API_KEY_PREFIX "%s", b64) : NULL;
}

static enum auth_result
api_key_parse(const char *text, struct principal *out)
{
	unsigned char raw[API_KEY_BYTES + 1];
	long n;

	n = codec_b64url_decode(text, strlen(text), raw, sizeof(raw));
	if (n != API_KEY_BYTES ||
	    auth_role_name((enum role)raw[32])[0] == '\0' ||
	    raw[32] == ROLE_AUDITOR)
		return AUTH_BAD_API_KEY;
	uuid_text(raw, out->tenant_id);
	uuid_text(raw + 16, out->user_id);
	out->role = (enum role)raw[32];
	auth_sha256_hex(raw + 33, AUTH_API_KEY_SECRET, out->key_hash);
	snprintf(out->jti, sizeof(out->jti), "key");
	out->api_key = true;
	out->authenticated = true;
	return AUTH_OK;
}

/*
 * RS256 (RSASSA-PKCS1-v1_5 with SHA-256, RFC 7518 3.3): sig, base64url,
 * over the first len bytes of the token (header.payload).
 */
static EVP_MD *sha256_md; /* fetched once: a fetch takes global locks */

static void
fetch_sha256(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static bool
rs256_valid(EVP_PKEY *pkey, const char *signed_part, size_t len,
	    const char *sig_b64)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	unsigned char sig[1024];
	EVP_MD_CTX *ctx;
	long n;
	bool ok;

	pthread_once(&once, fetch_sha256);
	n = codec_b64url_decode(sig_b64, strlen(sig_b64), sig, sizeof(sig));
	if (n <= 0 || sha256_md == NULL || n != EVP_PKEY_get_size(pkey))
		return false;
	ctx = EVP_MD_CTX_new();
	ok = ctx != NULL &&
	     EVP_DigestVerifyInit(ctx, NULL, sha256_md, NULL, pkey) == 1 &&
	     EVP_DigestVerify(ctx, sig, (size_t)n,
			      (const unsigned char *)signed_part, len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

enum auth_result
auth_verify(struct auth_keyset *ks, const char *authorization,
	    const char *issuer, const char *audience, time_t now,
	    struct principal *out)
{
	const char *token, *dot1, *dot2;
	char kid[AUTH_KID_MAX + 1];
	const struct auth_key *key;
	json_t *header = NULL, *claims = NULL;
	enum auth_result rc = AUTH_MALFORMED;
	size_t len;

	memset(out, 0, sizeof(*out));
	if (authorization == NULL || *authorization == '\0')
		return AUTH_MISSING;
	if (strncasecmp(authorization, "Bearer ", 7) != 0)
		return AUTH_MALFORMED;
	token = authorization + 7;
	while (*token == ' ')
		token++;
	if (strncmp(token, AUTH_API_KEY_PREFIX, 4) == 0)
		return api_key_parse(token + 4, out);
	len = strlen(token);
	dot1 = strchr(token, '.');
	dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	if (len == 0 || len >= AUTH_TOKEN_MAX || dot2 == NULL ||
	    strchr(dot2 + 1, '.') != NULL || dot2[1] == '\0')
		return AUTH_MALFORMED;

	header = decode_segment(token, (size_t)(dot1 - token));
	if (header == NULL)
		goto out;
	rc = check_header(header, kid);
	if (rc != AUTH_OK)
		goto out;

	pthread_rwlock_rdlock(&ks->lock);
	key = find_key(ks, kid);
	if (key == NULL && now > ks->last_scan) {
		pthread_rwlock_unlock(&ks->lock);
		rescan(ks, now);
		pthread_rwlock_rdlock(&ks->lock);
		key = find_key(ks, kid);
	}
	rc = AUTH_UNKNOWN_KID;
	/* The header named RS256 (check_header); the key comes by kid. */
	if (key != NULL)
		rc = rs256_valid(key->pkey, token, (size_t)(dot2 - token),
				 dot2 + 1)
			     ? AUTH_OK
			     : AUTH_BAD_SIGNATURE;
	pthread_rwlock_unlock(&ks->lock);
	if (rc != AUTH_OK)
		goto out;

	rc = AUTH_MALFORMED;
	claims = decode_segment(dot1 + 1, (size_t)(dot2 - dot1 - 1));
	if (!json_is_object(claims))
		goto out;
	rc = check_claims(claims, issuer, audience, now, out);
	out->authenticated = rc == AUTH_OK;
out:
	json_decref(header);
	json_decref(claims);
	if (rc != AUTH_OK)
		memset(out, 0, sizeof(*out));
	return rc;
}

char *
auth_sign(struct auth_keyset *ks, const char *kid, const struct auth_claims *c)
{
	const struct auth_key *key = NULL;
	char *token = NULL;
	jwt_t *jwt = NULL;
	size_t i;

	pthread_rwlock_rdlock(&ks->lock);
	for (i = ks->nkeys; i > 0; i--) {
		const struct auth_key *k = &ks->keys[i - 1];

		if (k->private_pem != NULL &&
		    (kid == NULL || strcmp(k->kid, kid) == 0)) {
			key = k;
			break;
		}
	}
	if (key == NULL || jwt_new(&jwt) != 0 ||
	    jwt_set_alg(jwt, JWT_ALG_RS256, key->private_pem,
			key->private_pem_len) != 0 ||
	    jwt_add_header(jwt, "kid", key->kid) != 0 ||
	    jwt_add_grant(jwt, "iss", c->issuer) != 0 ||
	    jwt_add_grant(jwt, "aud", c->audience) != 0 ||
	    (c->sub && jwt_add_grant(jwt, "sub", c->sub) != 0) ||
	    (c->sid && jwt_add_grant(jwt, "sid", c->sid) != 0) ||
	    (c->tid && jwt_add_grant(jwt, "tid", c->tid) != 0) ||
	    (c->role && jwt_add_grant(jwt, "role", c->role) != 0) ||
	    (c->jti && jwt_add_grant(jwt, "jti", c->jti) != 0) ||
	    jwt_add_grant_int(jwt, "iat", (long)c->iat) != 0 ||
	    jwt_add_grant_int(jwt, "nbf", (long)c->nbf) != 0 ||
	    jwt_add_grant_int(jwt, "exp", (long)c->exp) != 0)
		goto out;
	token = jwt_encode_str(jwt);
out:
	pthread_rwlock_unlock(&ks->lock);
	jwt_free(jwt);
	return token;
}
