/*
 * Unit tests for common/auth: RS256 bearer tokens against key pairs made
 * at test time (OpenSSL 3 EVP) in private mkdtemp() directories. Covers
 * the key set (loading, skipping bad names, rotation picked up by a
 * rate-limited rescan), auth_sign/auth_verify round trips, the principal,
 * and the attacks a verifier must refuse, each with its auth_result:
 * missing or non-Bearer credentials, malformed tokens, alg "none", the
 * HS256-with-the-public-key confusion, unknown kids, tampering, a foreign
 * key under a known kid, time claims with their 30 s leeway, issuer,
 * audience (string and array), missing or ill-formed identity claims
 * and the optional session id. Also the API keys ("isk_" + base64url of
 * tenant, key id, role and secret) and the random/UUID/SHA-256 helpers.
 */
#include <check.h>
#include <dirent.h>
#include <jansson.h>
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "auth.h"
#include "codec.h"
#include "validate.h"

#define ISS "isms"
#define AUD "isms-api"
#define U1 "0b7e4bbb-6f43-4b5e-9d7b-2b3c5f9e1a11"
#define U2 "5d1c7a7e-2a8e-4a57-9f7e-bb1e2f6b9c01"

/* Made once in main(), before any test (and any fork). */
struct keypair {
	EVP_PKEY *pkey;
	char *pub_pem, *key_pem; /* SubjectPublicKeyInfo, PKCS#8 */
};
static struct keypair key_a, key_b, key_c;
static char dir_main[64];  /* k1 = key A */
static char dir_other[64]; /* k1 = key B: a foreign key under A's kid */
static char dir_rot[64];   /* filled by the rotation test */

/* ---- key material ---- */

static char *
bio_text(BIO *bio)
{
	char *data, *s;
	long n = BIO_get_mem_data(bio, &data);

	s = malloc((size_t)n + 1);
	if (s != NULL) {
		memcpy(s, data, (size_t)n);
		s[n] = '\0';
	}
	return s;
}

static int
keypair_new(struct keypair *kp)
{
	BIO *pub = BIO_new(BIO_s_mem()), *priv = BIO_new(BIO_s_mem());
	int ok;

	kp->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	ok = kp->pkey != NULL && pub != NULL && priv != NULL &&
	     PEM_write_bio_PUBKEY(pub, kp->pkey) == 1 &&
	     PEM_write_bio_PrivateKey(priv, kp->pkey, NULL, NULL, 0, NULL,
				      NULL) == 1;
	if (ok) {
		kp->pub_pem = bio_text(pub);
		kp->key_pem = bio_text(priv);
		ok = kp->pub_pem != NULL && kp->key_pem != NULL;
	}
	BIO_free(pub);
	BIO_free(priv);
	return ok ? 0 : -1;
}

static void
keypair_free(struct keypair *kp)
{
	EVP_PKEY_free(kp->pkey);
	free(kp->pub_pem);
	free(kp->key_pem);
}

static int
write_text(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f == NULL)
		return -1;
	ok = fputs(text, f) >= 0;
	return fclose(f) == 0 && ok ? 0 : -1;
}

/* Writes <kid>.pub.pem and <kid>.key.pem. */
static int
write_keypair(const char *dir, const char *kid, const struct keypair *kp)
{
	char name[128];

	snprintf(name, sizeof(name), "%s.key.pem", kid);
	if (write_text(dir, name, kp->key_pem) != 0)
		return -1;
	/* The public key last: a scan keys off it. */
	snprintf(name, sizeof(name), "%s.pub.pem", kid);
	return write_text(dir, name, kp->pub_pem);
}

static void
remove_dir(const char *dir)
{
	char path[512];
	struct dirent *de;
	DIR *d;

	if (dir[0] == '\0' || (d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

static int
make_dir(char *buf)
{
	strcpy(buf, "/tmp/isms-auth-test-XXXXXX");
	return mkdtemp(buf) != NULL ? 0 : -1;
}

/* ---- per-test state ---- */

static struct arena A;
static struct auth_keyset KS; /* dir_main, with private keys */
static time_t NOW;
static struct principal P;

static void
setup(void)
{
	arena_init(&A, 8192);
	ck_assert_int_eq(auth_keyset_load(&KS, dir_main, true), 0);
	NOW = time(NULL);
	memset(&P, 0, sizeof(P));
}

static void
teardown(void)
{
	auth_keyset_free(&KS);
	arena_free(&A);
}

static struct auth_claims
good_claims(void)
{
	struct auth_claims c = {
		.sub = U1,
		.tid = U2,
		.role = "editor",
		.jti = "jti-0001",
		.issuer = ISS,
		.audience = AUD,
		.iat = NOW,
		.nbf = NOW,
		.exp = NOW + 900,
	};

	return c;
}

/* "Bearer " + a token from auth_sign, in the arena. */
static const char *
bearer_signed(struct auth_keyset *ks, const char *kid,
	      const struct auth_claims *c)
{
	char *tok = auth_sign(ks, kid, c);
	const char *out;

	ck_assert_msg(tok != NULL, "auth_sign failed");
	out = arena_printf(&A, "Bearer %s", tok);
	free(tok);
	return out;
}

static enum auth_result
verify(const char *authorization)
{
	return auth_verify(&KS, authorization, ISS, AUD, NOW, &P);
}

static const char *
b64(const void *p, size_t n)
{
	return codec_b64url_encode(&A, p, n);
}

/* An RS256 signature of input by pkey, base64url. */
static const char *
rs256(EVP_PKEY *pkey, const char *input)
{
	unsigned char sig[512];
	size_t len = sizeof(sig);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	ck_assert_ptr_nonnull(ctx);
	ok = EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pkey) == 1 &&
	     EVP_DigestSign(ctx, sig, &len, (const unsigned char *)input,
			    strlen(input)) == 1;
	EVP_MD_CTX_free(ctx);
	ck_assert_msg(ok, "RS256 signing failed");
	return b64(sig, len);
}

/* JSON text of obj (stolen) in the arena. */
static const char *
dump(json_t *obj)
{
	char *s = json_dumps(obj, JSON_COMPACT | JSON_ENCODE_ANY);
	const char *out;

	json_decref(obj);
	ck_assert_ptr_nonnull(s);
	out = arena_strdup(&A, s);
	free(s);
	return out;
}

/* "Bearer h.p.s" from header and payload text, RS256-signed by pkey. */
static const char *
crafted(const char *header, const char *payload, EVP_PKEY *pkey)
{
	const char *input =
		arena_printf(&A, "%s.%s", b64(header, strlen(header)),
			     b64(payload, strlen(payload)));

	return arena_printf(&A, "Bearer %s.%s", input, rs256(pkey, input));
}

static const char *const HDR =
	"{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"k1\"}";

static json_t *
claims_json(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "iss",
			 ISS, "aud", AUD, "sub", U1, "tid", U2, "role",
			 "viewer", "jti", "j-1", "iat", (json_int_t)NOW, "nbf",
			 (json_int_t)NOW, "exp", (json_int_t)NOW + 600);
}

/* Verifies claims (stolen), signed correctly with k1 = key A. */
static enum auth_result
verify_claims(json_t *claims)
{
	return verify(crafted(HDR, dump(claims), key_a.pkey));
}

static void
assert_principal_empty(void)
{
	ck_assert(!P.authenticated);
	ck_assert_str_eq(P.user_id, "");
	ck_assert_str_eq(P.tenant_id, "");
	ck_assert_int_eq(P.role, 0);
}

#define ASSERT_REFUSED(expr, want)                                             \
	do {                                                                   \
		enum auth_result got_ = (expr);                                \
		ck_assert_msg(got_ == (want), "%s: got %d (%s), want %d (%s)", \
			      #expr, got_, auth_result_str(got_), (want),      \
			      auth_result_str(want));                          \
		assert_principal_empty();                                      \
	} while (0)

/* ---- roles and names ---- */

START_TEST(test_roles)
{
	static const enum role roles[] = {ROLE_ADMIN, ROLE_EDITOR, ROLE_VIEWER,
					  ROLE_AUDITOR};
	static const char *const names[] = {"admin", "editor", "viewer",
					    "auditor"};
	size_t i;

	for (i = 0; i < 4; i++) {
		ck_assert_str_eq(auth_role_name(roles[i]), names[i]);
		ck_assert_int_eq(auth_role_parse(names[i]), roles[i]);
		ck_assert_int_eq(auth_role_parse(auth_role_name(roles[i])),
				 roles[i]);
	}
	ck_assert_int_eq(auth_role_parse("Admin"), 0);
	ck_assert_int_eq(auth_role_parse("ADMIN"), 0);
	ck_assert_int_eq(auth_role_parse("admin "), 0);
	ck_assert_int_eq(auth_role_parse("superuser"), 0);
	ck_assert_int_eq(auth_role_parse(""), 0);
	ck_assert_int_eq(auth_role_parse(NULL), 0);
	ck_assert_str_eq(auth_role_name(0), "");
	ck_assert_str_eq(auth_role_name(ROLE_ADMIN | ROLE_EDITOR), "");
	ck_assert_str_eq(auth_role_name((enum role)(1 << 4)), "");
}
END_TEST

START_TEST(test_result_strings)
{
	int i, j;

	for (i = AUTH_OK; i <= AUTH_BAD_API_KEY; i++) {
		ck_assert_str_ne(auth_result_str((enum auth_result)i), "");
		for (j = AUTH_OK; j < i; j++)
			ck_assert_str_ne(auth_result_str((enum auth_result)i),
					 auth_result_str((enum auth_result)j));
	}
	ck_assert_str_eq(auth_result_str(AUTH_OK), "ok");
	ck_assert_str_eq(auth_result_str((enum auth_result)99),
			 "invalid token");
}
END_TEST

/* ---- the key set ---- */

START_TEST(test_keyset_load)
{
	struct auth_keyset ks;
	char dir[64];

	ck_assert_uint_eq(KS.nkeys, 1);
	ck_assert_str_eq(KS.keys[0].kid, "k1");
	ck_assert_ptr_nonnull(KS.keys[0].private_pem);
	ck_assert_int_eq(KS.keys[0].pem_len, (int)strlen(key_a.pub_pem));
	ck_assert_mem_eq(KS.keys[0].pem, key_a.pub_pem, strlen(key_a.pub_pem));

	/* Without private keys, none is read. */
	ck_assert_int_eq(auth_keyset_load(&ks, dir_main, false), 0);
	ck_assert_uint_eq(ks.nkeys, 1);
	ck_assert_ptr_null(ks.keys[0].private_pem);
	auth_keyset_free(&ks);

	/* Files that are not <valid kid>.pub.pem are skipped. */
	ck_assert_int_eq(make_dir(dir), 0);
	ck_assert_int_eq(write_text(dir, "bad kid.pub.pem", key_a.pub_pem), 0);
	ck_assert_int_eq(write_text(dir, ".pub.pem", key_a.pub_pem), 0);
	ck_assert_int_eq(write_text(dir, "k9.pub.pem.bak", key_a.pub_pem), 0);
	ck_assert_int_eq(write_text(dir, "k9.pem", key_a.pub_pem), 0);
	ck_assert_int_eq(write_text(dir, "empty.pub.pem", ""), 0);
	ck_assert_int_eq(auth_keyset_load(&ks, dir, false), -1);
	ck_assert_uint_eq(ks.nkeys, 0);
	auth_keyset_free(&ks);
	/* Sorted by kid, whatever the directory order. */
	ck_assert_int_eq(write_keypair(dir, "k2", &key_b), 0);
	ck_assert_int_eq(write_keypair(dir, "k10", &key_c), 0);
	ck_assert_int_eq(write_keypair(dir, "k1", &key_a), 0);
	ck_assert_int_eq(auth_keyset_load(&ks, dir, true), 0);
	ck_assert_uint_eq(ks.nkeys, 3);
	ck_assert_str_eq(ks.keys[0].kid, "k1");
	ck_assert_str_eq(ks.keys[1].kid, "k10");
	ck_assert_str_eq(ks.keys[2].kid, "k2");
	auth_keyset_free(&ks);
	remove_dir(dir);

	/* No directory at all. */
	ck_assert_int_eq(auth_keyset_load(&ks, "/nonexistent/keys", false), -1);
	auth_keyset_free(&ks);
}
END_TEST

/* ---- signing and verifying ---- */

START_TEST(test_sign_verify_round_trip)
{
	struct auth_claims c = good_claims();

	ck_assert_int_eq(verify(bearer_signed(&KS, "k1", &c)), AUTH_OK);
	ck_assert(P.authenticated);
	ck_assert_str_eq(P.user_id, U1);
	ck_assert_str_eq(P.tenant_id, U2);
	ck_assert_str_eq(P.jti, "jti-0001");
	ck_assert_int_eq(P.role, ROLE_EDITOR);
	ck_assert_int_eq(P.exp, NOW + 900);

	/* NULL kid: the newest key with a private key. */
	c.role = "auditor";
	ck_assert_int_eq(verify(bearer_signed(&KS, NULL, &c)), AUTH_OK);
	ck_assert_int_eq(P.role, ROLE_AUDITOR);
}
END_TEST

START_TEST(test_sign_needs_private_key)
{
	struct auth_claims c = good_claims();
	struct auth_keyset pub;

	ck_assert_ptr_null(auth_sign(&KS, "nope", &c));
	ck_assert_int_eq(auth_keyset_load(&pub, dir_main, false), 0);
	ck_assert_ptr_null(auth_sign(&pub, NULL, &c));
	ck_assert_ptr_null(auth_sign(&pub, "k1", &c));
	auth_keyset_free(&pub);
}
END_TEST

START_TEST(test_scheme_and_spacing)
{
	struct auth_claims c = good_claims();
	char *tok = auth_sign(&KS, "k1", &c);
	const char *t;

	ck_assert_ptr_nonnull(tok);
	t = arena_strdup(&A, tok);
	free(tok);
	/* The scheme is case-insensitive (RFC 9110 section 11.1). */
	ck_assert_int_eq(verify(arena_printf(&A, "bearer %s", t)), AUTH_OK);
	ck_assert_int_eq(verify(arena_printf(&A, "BEARER %s", t)), AUTH_OK);
	ck_assert_int_eq(verify(arena_printf(&A, "Bearer    %s", t)), AUTH_OK);
	ASSERT_REFUSED(verify(t), AUTH_MALFORMED);
	ASSERT_REFUSED(verify(arena_printf(&A, "Bearer%s", t)), AUTH_MALFORMED);
	ASSERT_REFUSED(verify(arena_printf(&A, "Token %s", t)), AUTH_MALFORMED);
}
END_TEST

/* ---- attacks ---- */

START_TEST(test_missing)
{
	ASSERT_REFUSED(verify(NULL), AUTH_MISSING);
	ASSERT_REFUSED(verify(""), AUTH_MISSING);
}
END_TEST

START_TEST(test_not_bearer)
{
	ASSERT_REFUSED(verify("Basic dXNlcjpwYXNzd29yZA=="), AUTH_MALFORMED);
	ASSERT_REFUSED(verify("Digest username=\"x\""), AUTH_MALFORMED);
	ASSERT_REFUSED(verify("Bearer"), AUTH_MALFORMED);
	ASSERT_REFUSED(verify("Bearer "), AUTH_MALFORMED);
	ASSERT_REFUSED(verify("Bearer    "), AUTH_MALFORMED);
}
END_TEST

START_TEST(test_malformed_shapes)
{
	struct auth_claims c = good_claims();
	char *tok = auth_sign(&KS, "k1", &c);
	const char *t, *dot;
	char *big;

	ck_assert_ptr_nonnull(tok);
	t = arena_strdup(&A, tok);
	free(tok);
	dot = strrchr(t, '.');

	/* Two parts: header.payload, no signature segment. */
	ASSERT_REFUSED(
		verify(arena_printf(&A, "Bearer %.*s", (int)(dot - t), t)),
		AUTH_MALFORMED);
	/* An empty signature segment. */
	ASSERT_REFUSED(
		verify(arena_printf(&A, "Bearer %.*s.", (int)(dot - t), t)),
		AUTH_MALFORMED);
	/* Four parts. */
	ASSERT_REFUSED(verify(arena_printf(&A, "Bearer %s.x", t)),
		       AUTH_MALFORMED);
	ASSERT_REFUSED(verify("Bearer abc"), AUTH_MALFORMED);
	ASSERT_REFUSED(verify("Bearer .."), AUTH_MALFORMED);
	ASSERT_REFUSED(verify("Bearer ..x"), AUTH_MALFORMED);
	/* Header segment that is not base64url JSON. */
	ASSERT_REFUSED(verify(arena_printf(&A, "Bearer !%s", t)),
		       AUTH_MALFORMED);
	ASSERT_REFUSED(
		verify(arena_printf(&A, "Bearer %s.%s.%s", b64("not json", 8),
				    b64("{}", 2), "c2ln")),
		AUTH_MALFORMED);
	/* Padded base64 (RFC 7515 forbids it). */
	ASSERT_REFUSED(verify(arena_printf(&A, "Bearer %s=.%s.%s",
					   b64(HDR, strlen(HDR)), b64("{}", 2),
					   "c2ln")),
		       AUTH_MALFORMED);
	/* Over the size limit. */
	big = arena_alloc(&A, AUTH_TOKEN_MAX + 64);
	memcpy(big, "Bearer ", 7);
	memset(big + 7, 'A', AUTH_TOKEN_MAX + 8);
	big[7 + 10] = '.';
	big[7 + 20] = '.';
	big[7 + AUTH_TOKEN_MAX + 8] = '\0';
	ASSERT_REFUSED(verify(big), AUTH_MALFORMED);
}
END_TEST

START_TEST(test_header_checks)
{
	const char *payload = dump(claims_json());

	/* typ other than JWT, crit, duplicate members. */
	ASSERT_REFUSED(verify(crafted("{\"alg\":\"RS256\",\"typ\":\"JOSE\","
				      "\"kid\":\"k1\"}",
				      payload, key_a.pkey)),
		       AUTH_MALFORMED);
	ASSERT_REFUSED(verify(crafted("{\"alg\":\"RS256\",\"typ\":7,"
				      "\"kid\":\"k1\"}",
				      payload, key_a.pkey)),
		       AUTH_MALFORMED);
	ASSERT_REFUSED(verify(crafted("{\"alg\":\"RS256\",\"kid\":\"k1\","
				      "\"crit\":[\"exp\"]}",
				      payload, key_a.pkey)),
		       AUTH_MALFORMED);
	ASSERT_REFUSED(verify(crafted("{\"alg\":\"HS256\",\"alg\":\"RS256\","
				      "\"kid\":\"k1\"}",
				      payload, key_a.pkey)),
		       AUTH_MALFORMED);
	/* A header without typ, or with "jwt", is fine. */
	ck_assert_int_eq(verify(crafted("{\"alg\":\"RS256\",\"kid\":\"k1\"}",
					payload, key_a.pkey)),
			 AUTH_OK);
	ck_assert_int_eq(verify(crafted("{\"alg\":\"RS256\",\"typ\":\"jwt\","
					"\"kid\":\"k1\"}",
					payload, key_a.pkey)),
			 AUTH_OK);
	/* The same claims through the shared header are fine too. */
	ck_assert_int_eq(verify(crafted(HDR, payload, key_a.pkey)), AUTH_OK);
	ck_assert_int_eq(P.role, ROLE_VIEWER);
}
END_TEST

START_TEST(test_alg_none)
{
	const char *h = "{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"k1\"}";
	const char *payload = dump(claims_json());
	const char *unsigned_tok;

	unsigned_tok = arena_printf(&A, "Bearer %s.%s.", b64(h, strlen(h)),
				    b64(payload, strlen(payload)));
	/* The empty signature makes it malformed before alg is read. */
	ASSERT_REFUSED(verify(unsigned_tok), AUTH_MALFORMED);
	/* With any signature text, alg none is refused as such. */
	ASSERT_REFUSED(verify(arena_printf(&A, "%sAAAA", unsigned_tok)),
		       AUTH_BAD_ALG);
	ASSERT_REFUSED(verify(crafted("{\"alg\":\"None\",\"kid\":\"k1\"}",
				      payload, key_a.pkey)),
		       AUTH_BAD_ALG);
	ASSERT_REFUSED(verify(crafted("{\"alg\":\"rs256\",\"kid\":\"k1\"}",
				      payload, key_a.pkey)),
		       AUTH_BAD_ALG);
	ASSERT_REFUSED(verify(crafted("{\"alg\":\"RS512\",\"kid\":\"k1\"}",
				      payload, key_a.pkey)),
		       AUTH_BAD_ALG);
	ASSERT_REFUSED(verify(crafted("{\"kid\":\"k1\"}", payload, key_a.pkey)),
		       AUTH_BAD_ALG);
	ASSERT_REFUSED(verify(crafted("{\"alg\":null,\"kid\":\"k1\"}", payload,
				      key_a.pkey)),
		       AUTH_BAD_ALG);
	ASSERT_REFUSED(verify(crafted("[\"RS256\"]", payload, key_a.pkey)),
		       AUTH_BAD_ALG);
}
END_TEST

/*
 * The classic key confusion: HMAC-SHA256 keyed with the public key's PEM
 * text, which a verifier that trusts the header's alg would accept.
 */
START_TEST(test_hs256_with_public_key_as_secret)
{
	const char *h = "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k1\"}";
	const char *payload, *input, *tok;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	jwt_t *jwt = NULL;
	json_t *claims = claims_json();

	json_object_set_new(claims, "role", json_string("admin"));
	payload = dump(claims);
	input = arena_printf(&A, "%s.%s", b64(h, strlen(h)),
			     b64(payload, strlen(payload)));
	ck_assert_ptr_nonnull(HMAC(
		EVP_sha256(), key_a.pub_pem, (int)strlen(key_a.pub_pem),
		(const unsigned char *)input, strlen(input), mac, &maclen));
	tok = arena_printf(&A, "%s.%s", input, b64(mac, maclen));

	/* The forgery is sound: libjwt alone, given the PEM, accepts it. */
	ck_assert_int_eq(jwt_decode(&jwt, tok,
				    (const unsigned char *)key_a.pub_pem,
				    (int)strlen(key_a.pub_pem)),
			 0);
	ck_assert_int_eq(jwt_get_alg(jwt), JWT_ALG_HS256);
	jwt_free(jwt);

	ASSERT_REFUSED(verify(arena_printf(&A, "Bearer %s", tok)),
		       AUTH_BAD_ALG);
}
END_TEST

START_TEST(test_unknown_kid)
{
	const char *payload = dump(claims_json());

	ASSERT_REFUSED(verify(crafted("{\"alg\":\"RS256\",\"kid\":\"k404\"}",
				      payload, key_a.pkey)),
		       AUTH_UNKNOWN_KID);
	/* Even after the directory may be rescanned. */
	ASSERT_REFUSED(auth_verify(&KS,
				   crafted("{\"alg\":\"RS256\","
					   "\"kid\":\"k404\"}",
					   payload, key_a.pkey),
				   ISS, AUD, NOW + 5, &P),
		       AUTH_UNKNOWN_KID);
	/* No kid, or one that could name a path, is never looked up. */
	ASSERT_REFUSED(
		verify(crafted("{\"alg\":\"RS256\"}", payload, key_a.pkey)),
		AUTH_UNKNOWN_KID);
	ASSERT_REFUSED(verify(crafted("{\"alg\":\"RS256\",\"kid\":\"../k1\"}",
				      payload, key_a.pkey)),
		       AUTH_UNKNOWN_KID);
	ASSERT_REFUSED(verify(crafted("{\"alg\":\"RS256\",\"kid\":\"\"}",
				      payload, key_a.pkey)),
		       AUTH_UNKNOWN_KID);
	ASSERT_REFUSED(verify(crafted("{\"alg\":\"RS256\",\"kid\":1}", payload,
				      key_a.pkey)),
		       AUTH_UNKNOWN_KID);
	ASSERT_REFUSED(verify(crafted("{\"alg\":\"RS256\",\"kid\":\"k1.pub\"}",
				      payload, key_a.pkey)),
		       AUTH_UNKNOWN_KID);
}
END_TEST

START_TEST(test_tampered)
{
	struct auth_claims c = good_claims();
	char *tok = auth_sign(&KS, "k1", &c);
	const char *t, *dot1, *dot2, *forged;
	char *flipped;
	size_t mid;

	ck_assert_ptr_nonnull(tok);
	t = arena_strdup(&A, tok);
	free(tok);
	dot1 = strchr(t, '.');
	dot2 = strchr(dot1 + 1, '.');

	/* The payload swapped for one that promotes the user. */
	c.role = "admin";
	tok = auth_sign(&KS, "k1", &c);
	ck_assert_ptr_nonnull(tok);
	{
		const char *p1 = strchr(tok, '.') + 1;
		const char *p2 = strchr(p1, '.');

		forged = arena_printf(&A, "Bearer %.*s.%.*s%s", (int)(dot1 - t),
				      t, (int)(p2 - p1), p1, dot2);
	}
	free(tok);
	ASSERT_REFUSED(verify(forged), AUTH_BAD_SIGNATURE);

	/* One character of the signature changed, mid-way. */
	flipped = arena_strdup(&A, t);
	mid = (size_t)(dot2 - t) + 1 + strlen(dot2 + 1) / 2;
	flipped[mid] = flipped[mid] == 'A' ? 'B' : 'A';
	ASSERT_REFUSED(verify(arena_printf(&A, "Bearer %s", flipped)),
		       AUTH_BAD_SIGNATURE);

	/* A signature cut short. */
	ASSERT_REFUSED(verify(arena_printf(&A, "Bearer %.*s",
					   (int)(strlen(t) - 4), t)),
		       AUTH_BAD_SIGNATURE);
	/* Longer than the key (three bytes more), or not base64url. */
	ASSERT_REFUSED(verify(arena_printf(&A, "Bearer %sAAAA", t)),
		       AUTH_BAD_SIGNATURE);
	flipped = arena_strdup(&A, t);
	flipped[mid] = '+';
	ASSERT_REFUSED(verify(arena_printf(&A, "Bearer %s", flipped)),
		       AUTH_BAD_SIGNATURE);
}
END_TEST

START_TEST(test_foreign_key_under_known_kid)
{
	struct auth_keyset other;
	struct auth_claims c = good_claims();

	/* Key B saved as "k1": a token with kid k1, signed by B. */
	ck_assert_int_eq(auth_keyset_load(&other, dir_other, true), 0);
	ASSERT_REFUSED(verify(bearer_signed(&other, "k1", &c)),
		       AUTH_BAD_SIGNATURE);
	/* And by hand, with the same claims as an accepted token. */
	ASSERT_REFUSED(verify(crafted(HDR, dump(claims_json()), key_b.pkey)),
		       AUTH_BAD_SIGNATURE);
	auth_keyset_free(&other);
}
END_TEST

START_TEST(test_expiry_and_leeway)
{
	struct auth_claims c = good_claims();

	c.nbf = NOW - 1000;
	c.iat = NOW - 1000;
	c.exp = NOW - AUTH_LEEWAY - 1;
	ASSERT_REFUSED(verify(bearer_signed(&KS, "k1", &c)), AUTH_EXPIRED);
	c.exp = NOW - 3600;
	ASSERT_REFUSED(verify(bearer_signed(&KS, "k1", &c)), AUTH_EXPIRED);
	/* Within the leeway: accepted. */
	c.exp = NOW - AUTH_LEEWAY;
	ck_assert_int_eq(verify(bearer_signed(&KS, "k1", &c)), AUTH_OK);
	c.exp = NOW - 1;
	ck_assert_int_eq(verify(bearer_signed(&KS, "k1", &c)), AUTH_OK);
	c.exp = NOW;
	ck_assert_int_eq(verify(bearer_signed(&KS, "k1", &c)), AUTH_OK);
}
END_TEST

START_TEST(test_not_before)
{
	struct auth_claims c = good_claims();
	json_t *claims;

	c.nbf = NOW + AUTH_LEEWAY + 1;
	ASSERT_REFUSED(verify(bearer_signed(&KS, "k1", &c)),
		       AUTH_NOT_YET_VALID);
	c.nbf = NOW + 600;
	ASSERT_REFUSED(verify(bearer_signed(&KS, "k1", &c)),
		       AUTH_NOT_YET_VALID);
	c.nbf = NOW + AUTH_LEEWAY;
	ck_assert_int_eq(verify(bearer_signed(&KS, "k1", &c)), AUTH_OK);
	/* nbf is optional. */
	claims = claims_json();
	json_object_del(claims, "nbf");
	ck_assert_int_eq(verify_claims(claims), AUTH_OK);
}
END_TEST

START_TEST(test_issuer)
{
	struct auth_claims c = good_claims();
	json_t *claims;

	c.issuer = "evil";
	ASSERT_REFUSED(verify(bearer_signed(&KS, "k1", &c)), AUTH_WRONG_ISSUER);
	c.issuer = "isms ";
	ASSERT_REFUSED(verify(bearer_signed(&KS, "k1", &c)), AUTH_WRONG_ISSUER);
	c.issuer = "ISMS";
	ASSERT_REFUSED(verify(bearer_signed(&KS, "k1", &c)), AUTH_WRONG_ISSUER);
	claims = claims_json();
	json_object_del(claims, "iss");
	ASSERT_REFUSED(verify_claims(claims), AUTH_WRONG_ISSUER);
	claims = claims_json();
	json_object_set_new(claims, "iss", json_pack("[s]", ISS));
	ASSERT_REFUSED(verify_claims(claims), AUTH_WRONG_ISSUER);
}
END_TEST

START_TEST(test_audience)
{
	struct auth_claims c = good_claims();
	json_t *claims;

	c.audience = "other-api";
	ASSERT_REFUSED(verify(bearer_signed(&KS, "k1", &c)),
		       AUTH_WRONG_AUDIENCE);
	c.audience = "isms-api-2";
	ASSERT_REFUSED(verify(bearer_signed(&KS, "k1", &c)),
		       AUTH_WRONG_AUDIENCE);

	/* The array form: accepted when it holds the audience. */
	claims = claims_json();
	json_object_set_new(claims, "aud", json_pack("[s,s]", "other", AUD));
	ck_assert_int_eq(verify_claims(claims), AUTH_OK);
	claims = claims_json();
	json_object_set_new(claims, "aud", json_pack("[i,s]", 1, AUD));
	ck_assert_int_eq(verify_claims(claims), AUTH_OK);
	claims = claims_json();
	json_object_set_new(claims, "aud", json_pack("[s,s]", "a", "b"));
	ASSERT_REFUSED(verify_claims(claims), AUTH_WRONG_AUDIENCE);
	claims = claims_json();
	json_object_set_new(claims, "aud", json_array());
	ASSERT_REFUSED(verify_claims(claims), AUTH_WRONG_AUDIENCE);
	claims = claims_json();
	json_object_set_new(claims, "aud", json_pack("[[s]]", AUD));
	ASSERT_REFUSED(verify_claims(claims), AUTH_WRONG_AUDIENCE);
	claims = claims_json();
	json_object_set_new(claims, "aud", json_pack("{s:s}", "aud", AUD));
	ASSERT_REFUSED(verify_claims(claims), AUTH_WRONG_AUDIENCE);
	claims = claims_json();
	json_object_del(claims, "aud");
	ASSERT_REFUSED(verify_claims(claims), AUTH_WRONG_AUDIENCE);
}
END_TEST

START_TEST(test_missing_identity_claims)
{
	struct auth_claims c;

	c = good_claims();
	c.sub = NULL;
	ASSERT_REFUSED(verify(bearer_signed(&KS, "k1", &c)), AUTH_BAD_CLAIMS);
	c = good_claims();
	c.tid = NULL;
	ASSERT_REFUSED(verify(bearer_signed(&KS, "k1", &c)), AUTH_BAD_CLAIMS);
	c = good_claims();
	c.jti = NULL;
	ASSERT_REFUSED(verify(bearer_signed(&KS, "k1", &c)), AUTH_BAD_CLAIMS);
	c = good_claims();
	c.role = NULL;
	ASSERT_REFUSED(verify(bearer_signed(&KS, "k1", &c)), AUTH_BAD_CLAIMS);
}
END_TEST

START_TEST(test_invalid_identity_claims)
{
	static const char *const bad_roles[] = {
		"superuser",    "Admin", "",
		"admin,editor", "owner", "a-role-name-longer-than-sixteen",
	};
	static const char *const bad_uuids[] = {
		"user-1",
		"",
		"0b7e4bbb6f434b5e9d7b2b3c5f9e1a11",
		"0b7e4bbb-6f43-4b5e-9d7b-2b3c5f9e1a11x",
		"' OR 1=1 --",
	};
	struct auth_claims c;
	size_t i;

	for (i = 0; i < sizeof(bad_roles) / sizeof(bad_roles[0]); i++) {
		c = good_claims();
		c.role = bad_roles[i];
		ASSERT_REFUSED(verify(bearer_signed(&KS, "k1", &c)),
			       AUTH_BAD_CLAIMS);
	}
	for (i = 0; i < sizeof(bad_uuids) / sizeof(bad_uuids[0]); i++) {
		c = good_claims();
		c.sub = bad_uuids[i];
		ASSERT_REFUSED(verify(bearer_signed(&KS, "k1", &c)),
			       AUTH_BAD_CLAIMS);
		c = good_claims();
		c.tid = bad_uuids[i];
		ASSERT_REFUSED(verify(bearer_signed(&KS, "k1", &c)),
			       AUTH_BAD_CLAIMS);
	}
	c = good_claims();
	c.jti = "has space";
	ASSERT_REFUSED(verify(bearer_signed(&KS, "k1", &c)), AUTH_BAD_CLAIMS);
	c.jti = "01234567890123456789012345678901234567890123456789012345678901"
		"234";
	ASSERT_REFUSED(verify(bearer_signed(&KS, "k1", &c)), AUTH_BAD_CLAIMS);
}
END_TEST

START_TEST(test_claim_types)
{
	json_t *claims;

	claims = claims_json();
	json_object_del(claims, "exp");
	ASSERT_REFUSED(verify_claims(claims), AUTH_BAD_CLAIMS);
	claims = claims_json();
	json_object_set_new(
		claims, "exp",
		json_string(arena_printf(&A, "%lld", (long long)NOW + 600)));
	ASSERT_REFUSED(verify_claims(claims), AUTH_BAD_CLAIMS);
	claims = claims_json();
	json_object_set_new(claims, "exp", json_real((double)NOW + 600));
	ASSERT_REFUSED(verify_claims(claims), AUTH_BAD_CLAIMS);
	claims = claims_json();
	json_object_set_new(claims, "nbf", json_string("0"));
	ASSERT_REFUSED(verify_claims(claims), AUTH_BAD_CLAIMS);
	claims = claims_json();
	json_object_set_new(claims, "sub", json_integer(1));
	ASSERT_REFUSED(verify_claims(claims), AUTH_BAD_CLAIMS);
	claims = claims_json();
	json_object_set_new(claims, "role", json_pack("[s]", "admin"));
	ASSERT_REFUSED(verify_claims(claims), AUTH_BAD_CLAIMS);
	/* A payload that is not an object. */
	ASSERT_REFUSED(verify(crafted(HDR, "[1]", key_a.pkey)), AUTH_MALFORMED);
	/* Duplicate claims: which "role" would count? Neither. */
	ASSERT_REFUSED(
		verify(crafted(
			HDR,
			arena_printf(
				&A,
				"{\"iss\":\"" ISS "\",\"aud\":\"" AUD
				"\",\"sub\":\"" U1 "\","
				"\"tid\":\"" U2
				"\",\"role\":\"viewer\",\"role\":\"admin\","
				"\"jti\":\"j\",\"exp\":%lld}",
				(long long)NOW + 600),
			key_a.pkey)),
		AUTH_MALFORMED);
}
END_TEST

START_TEST(test_session_id)
{
	struct auth_claims c;

	c = good_claims();
	ck_assert_int_eq(verify(bearer_signed(&KS, "k1", &c)), AUTH_OK);
	ck_assert_str_eq(P.sid, "");
	c.sid = U2;
	ck_assert_int_eq(verify(bearer_signed(&KS, "k1", &c)), AUTH_OK);
	ck_assert_str_eq(P.sid, U2);
	ck_assert(!P.api_key);
	c.sid = "session-1";
	ASSERT_REFUSED(verify(bearer_signed(&KS, "k1", &c)), AUTH_BAD_CLAIMS);
	c.sid = "";
	ASSERT_REFUSED(verify(bearer_signed(&KS, "k1", &c)), AUTH_BAD_CLAIMS);
}
END_TEST

/* ---- API keys ---- */

static const unsigned char SECRET[AUTH_API_KEY_SECRET] = {
	1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
	17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
};

START_TEST(test_api_key_round_trip)
{
	static const enum role roles[] = {ROLE_ADMIN, ROLE_EDITOR, ROLE_VIEWER};
	char hash[65], want[65];
	const char *key;
	size_t i;

	auth_sha256_hex(SECRET, sizeof(SECRET), want);
	for (i = 0; i < 3; i++) {
		memset(hash, 0, sizeof(hash));
		key = auth_api_key_format(&A, U2, U1, roles[i], SECRET, hash);
		ck_assert_ptr_nonnull(key);
		ck_assert_int_eq(strncmp(key, AUTH_API_KEY_PREFIX,
					 strlen(AUTH_API_KEY_PREFIX)),
				 0);
		ck_assert_str_eq(hash, want);
		ck_assert_int_eq(verify(arena_printf(&A, "Bearer %s", key)),
				 AUTH_OK);
		ck_assert(P.authenticated);
		ck_assert(P.api_key);
		ck_assert_str_eq(P.tenant_id, U2);
		ck_assert_str_eq(P.user_id, U1);
		ck_assert_int_eq(P.role, roles[i]);
		ck_assert_str_eq(P.key_hash, want);
	}
	/* Upper-case UUIDs come back in the canonical lower case. */
	key = auth_api_key_format(&A, "5D1C7A7E-2A8E-4A57-9F7E-BB1E2F6B9C01",
				  U1, ROLE_VIEWER, SECRET, hash);
	ck_assert_int_eq(verify(arena_printf(&A, "Bearer %s", key)), AUTH_OK);
	ck_assert_str_eq(P.tenant_id, U2);
	/* Ill-formed ids are refused when formatting. */
	ck_assert_ptr_null(auth_api_key_format(&A, "tenant", U1, ROLE_VIEWER,
					       SECRET, hash));
	ck_assert_ptr_null(
		auth_api_key_format(&A, U2, U1 "0", ROLE_VIEWER, SECRET, hash));
}
END_TEST

START_TEST(test_api_key_refused)
{
	unsigned char raw[65];
	char hash[65];
	const char *key, *body;
	size_t n;

	key = auth_api_key_format(&A, U2, U1, ROLE_EDITOR, SECRET, hash);
	ck_assert_ptr_nonnull(key);
	body = key + strlen(AUTH_API_KEY_PREFIX);
	n = strlen(body);

	ASSERT_REFUSED(verify("Bearer isk_"), AUTH_BAD_API_KEY);
	ASSERT_REFUSED(verify("Bearer isk_!!!!"), AUTH_BAD_API_KEY);
	/* Truncated, extended, padded. */
	ASSERT_REFUSED(
		verify(arena_printf(&A, "Bearer isk_%.*s", (int)(n - 3), body)),
		AUTH_BAD_API_KEY);
	ASSERT_REFUSED(verify(arena_printf(&A, "Bearer isk_%sAAAA", body)),
		       AUTH_BAD_API_KEY);
	ASSERT_REFUSED(verify(arena_printf(&A, "Bearer isk_%s=", body)),
		       AUTH_BAD_API_KEY);
	ASSERT_REFUSED(verify(arena_printf(&A, "Bearer isk_%s ", body)),
		       AUTH_BAD_API_KEY);

	/* Role bytes that are no single role, and auditor. */
	ck_assert_int_eq(codec_b64url_decode(body, n, raw, sizeof(raw)), 65);
	{
		static const unsigned char bad_roles[] = {
			0, ROLE_ADMIN | ROLE_EDITOR, ROLE_AUDITOR, 16, 255,
		};
		size_t i;

		for (i = 0; i < sizeof(bad_roles); i++) {
			raw[32] = bad_roles[i];
			ASSERT_REFUSED(verify(arena_printf(&A, "Bearer isk_%s",
							   b64(raw, 65))),
				       AUTH_BAD_API_KEY);
		}
	}
	/* The prefix is case-sensitive: anything else is a JWT attempt. */
	ASSERT_REFUSED(verify(arena_printf(&A, "Bearer ISK_%s", body)),
		       AUTH_MALFORMED);
}
END_TEST

START_TEST(test_helpers)
{
	char hex[65], u1[AUTH_UUID_LEN + 1], u2[AUTH_UUID_LEN + 1];
	unsigned char buf[32], zero[32] = {0};
	int i;

	auth_sha256_hex("", 0, hex);
	ck_assert_str_eq(hex,
			 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca"
			 "495991b7852b855");
	auth_sha256_hex("abc", 3, hex);
	ck_assert_str_eq(hex,
			 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb"
			 "410ff61f20015ad");

	memset(buf, 0, sizeof(buf));
	ck_assert_int_eq(auth_random(buf, sizeof(buf)), 0);
	ck_assert(memcmp(buf, zero, sizeof(buf)) != 0);

	for (i = 0; i < 50; i++) {
		auth_uuid(u1);
		auth_uuid(u2);
		ck_assert(validate_uuid(u1));
		ck_assert_str_ne(u1, u2);
		/* Version 4, RFC 4122 variant. */
		ck_assert_int_eq(u1[14], '4');
		ck_assert_ptr_nonnull(strchr("89ab", u1[19]));
	}
}
END_TEST

/*
 * Rotation: a key pair written after the key set was loaded is found by
 * a rescan on the unknown kid, at most once per second of `now`.
 */
START_TEST(test_key_rotation)
{
	struct auth_keyset verifier, signer2, signer3;
	struct auth_claims c = good_claims();
	const char *tok2, *tok3;
	time_t t0;

	ck_assert_int_eq(write_keypair(dir_rot, "k1", &key_a), 0);
	ck_assert_int_eq(auth_keyset_load(&verifier, dir_rot, false), 0);
	ck_assert_uint_eq(verifier.nkeys, 1);
	t0 = verifier.last_scan;

	ck_assert_int_eq(write_keypair(dir_rot, "k2", &key_c), 0);
	ck_assert_int_eq(auth_keyset_load(&signer2, dir_rot, true), 0);
	tok2 = bearer_signed(&signer2, "k2", &c);
	auth_keyset_free(&signer2);

	/* Same second as the load: no rescan yet. */
	ASSERT_REFUSED(auth_verify(&verifier, tok2, ISS, AUD, t0, &P),
		       AUTH_UNKNOWN_KID);
	ck_assert_uint_eq(verifier.nkeys, 1);
	/* Later: the unknown kid triggers one rescan, which finds k2. */
	ck_assert_int_eq(auth_verify(&verifier, tok2, ISS, AUD, t0 + 2, &P),
			 AUTH_OK);
	ck_assert_uint_eq(verifier.nkeys, 2);
	ck_assert_int_eq(verifier.last_scan, t0 + 2);
	ck_assert_str_eq(P.user_id, U1);
	/* The old key still verifies. */
	ck_assert_int_eq(auth_verify(&verifier, bearer_signed(&KS, "k1", &c),
				     ISS, AUD, t0 + 2, &P),
			 AUTH_OK);

	/* A third key within the same second waits for the next one. */
	ck_assert_int_eq(write_keypair(dir_rot, "k3", &key_b), 0);
	ck_assert_int_eq(auth_keyset_load(&signer3, dir_rot, true), 0);
	tok3 = bearer_signed(&signer3, "k3", &c);
	auth_keyset_free(&signer3);
	ASSERT_REFUSED(auth_verify(&verifier, tok3, ISS, AUD, t0 + 2, &P),
		       AUTH_UNKNOWN_KID);
	ck_assert_uint_eq(verifier.nkeys, 2);
	ck_assert_int_eq(auth_verify(&verifier, tok3, ISS, AUD, t0 + 3, &P),
			 AUTH_OK);
	ck_assert_uint_eq(verifier.nkeys, 3);

	/* A retired key: removed from the directory, gone after a rescan
	 * that some other unknown kid triggers. */
	{
		char path[128];

		snprintf(path, sizeof(path), "%s/k2.pub.pem", dir_rot);
		ck_assert_int_eq(unlink(path), 0);
		ASSERT_REFUSED(auth_verify(&verifier,
					   crafted("{\"alg\":\"RS256\","
						   "\"kid\":\"k404\"}",
						   "{}", key_a.pkey),
					   ISS, AUD, t0 + 4, &P),
			       AUTH_UNKNOWN_KID);
		ASSERT_REFUSED(
			auth_verify(&verifier, tok2, ISS, AUD, t0 + 4, &P),
			AUTH_UNKNOWN_KID);
	}
	auth_keyset_free(&verifier);
}
END_TEST

static Suite *
auth_suite(void)
{
	Suite *s = suite_create("auth");
	TCase *names = tcase_create("names");
	TCase *keys = tcase_create("keys");
	TCase *attacks = tcase_create("attacks");
	TCase *claims = tcase_create("claims");
	TCase *keys_api = tcase_create("api_keys");

	tcase_add_test(names, test_roles);
	tcase_add_test(names, test_result_strings);
	suite_add_tcase(s, names);

	tcase_add_checked_fixture(keys, setup, teardown);
	tcase_add_test(keys, test_keyset_load);
	tcase_add_test(keys, test_sign_verify_round_trip);
	tcase_add_test(keys, test_sign_needs_private_key);
	tcase_add_test(keys, test_scheme_and_spacing);
	tcase_add_test(keys, test_key_rotation);
	tcase_set_timeout(keys, 60);
	suite_add_tcase(s, keys);

	tcase_add_checked_fixture(attacks, setup, teardown);
	tcase_add_test(attacks, test_missing);
	tcase_add_test(attacks, test_not_bearer);
	tcase_add_test(attacks, test_malformed_shapes);
	tcase_add_test(attacks, test_header_checks);
	tcase_add_test(attacks, test_alg_none);
	tcase_add_test(attacks, test_hs256_with_public_key_as_secret);
	tcase_add_test(attacks, test_unknown_kid);
	tcase_add_test(attacks, test_tampered);
	tcase_add_test(attacks, test_foreign_key_under_known_kid);
	tcase_set_timeout(attacks, 60);
	suite_add_tcase(s, attacks);

	tcase_add_checked_fixture(claims, setup, teardown);
	tcase_add_test(claims, test_expiry_and_leeway);
	tcase_add_test(claims, test_not_before);
	tcase_add_test(claims, test_issuer);
	tcase_add_test(claims, test_audience);
	tcase_add_test(claims, test_missing_identity_claims);
	tcase_add_test(claims, test_invalid_identity_claims);
	tcase_add_test(claims, test_claim_types);
	tcase_add_test(claims, test_session_id);
	tcase_set_timeout(claims, 60);
	suite_add_tcase(s, claims);

	tcase_add_checked_fixture(keys_api, setup, teardown);
	tcase_add_test(keys_api, test_api_key_round_trip);
	tcase_add_test(keys_api, test_api_key_refused);
	tcase_add_test(keys_api, test_helpers);
	suite_add_tcase(s, keys_api);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed = 1;

	if (keypair_new(&key_a) != 0 || keypair_new(&key_b) != 0 ||
	    keypair_new(&key_c) != 0 || make_dir(dir_main) != 0 ||
	    make_dir(dir_other) != 0 || make_dir(dir_rot) != 0 ||
	    write_keypair(dir_main, "k1", &key_a) != 0 ||
	    write_keypair(dir_other, "k1", &key_b) != 0) {
		fprintf(stderr, "test_auth: cannot make test keys\n");
		goto out;
	}
	sr = srunner_create(auth_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
out:
	remove_dir(dir_main);
	remove_dir(dir_other);
	remove_dir(dir_rot);
	keypair_free(&key_a);
	keypair_free(&key_b);
	keypair_free(&key_c);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
