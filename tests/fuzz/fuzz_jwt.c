/*
 * Bearer token verification (auth_verify): the Authorization header as a
 * client sends it, and tokens whose header and claims are any JSON text
 * but carry a valid RS256 signature from a key in the key set, so that
 * the JOSE header checks and every claim check are reached (a signature
 * alone would stop nearly every input before them). Input: a byte of
 * mode, then mode 0: the header value; 1: "Bearer " and the rest; 2: the
 * JOSE header text, a NUL, the claims text, signed with the fuzz key;
 * 3: the same with the rest of the input as the signature.
 */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "codec.h"
#include "fuzz.h"

/* Claims are checked against this clock: seeds use it for exp, nbf. */
#define FUZZ_NOW 1700000000

static struct auth_keyset keys;
static EVP_PKEY *pkey;
static char dir[] = "/tmp/isms-fuzz-jwt-XXXXXX";

static void
cleanup(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/fuzz.pub.pem", dir);
	unlink(path);
	rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[128];
	FILE *f;

	(void)argc;
	(void)argv;
	/* 1024 bits: signing runs once per input, so it must be quick. */
	pkey = EVP_RSA_gen(1024);
	if (pkey == NULL || mkdtemp(dir) == NULL)
		fuzz_fail("cannot make the key");
	snprintf(path, sizeof(path), "%s/fuzz.pub.pem", dir);
	f = fopen(path, "w");
	if (f == NULL || PEM_write_PUBKEY(f, pkey) != 1)
		fuzz_fail("cannot write %s", path);
	fclose(f);
	atexit(cleanup);
	if (auth_keyset_load(&keys, dir, false) != 0)
		fuzz_fail("cannot load the key set from %s", dir);
	return 0;
}

static char *
b64(struct arena *a, const void *p, size_t n)
{
	return codec_b64url_encode(a, p, n);
}

/* "b64(header).b64(claims).b64(signature)" */
static const char *
token(struct arena *a, const char *header, const char *claims,
      const uint8_t *sig, size_t siglen)
{
	unsigned char own[512];
	size_t ownlen = sizeof(own);
	const char *input;
	EVP_MD_CTX *ctx;

	input = arena_printf(a, "%s.%s", b64(a, header, strlen(header)),
			     b64(a, claims, strlen(claims)));
	if (sig == NULL) {
		ctx = EVP_MD_CTX_new();
		if (ctx == NULL ||
		    EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pkey) !=
			    1 ||
		    EVP_DigestSign(ctx, own, &ownlen,
				   (const unsigned char *)input,
				   strlen(input)) != 1)
			fuzz_fail("signing failed");
		EVP_MD_CTX_free(ctx);
		sig = own;
		siglen = ownlen;
	}
	return arena_printf(a, "Bearer %s.%s", input, b64(a, sig, siglen));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	struct arena *a = fuzz_arena();
	struct principal p;
	enum auth_result rc;
	const char *header, *h, *c;
	uint8_t mode = fuzz_byte(&in) & 3;
	size_t len;

	switch (mode) {
	case 0:
		header = fuzz_str(&in, a);
		break;
	case 1:
		header = arena_printf(a, "Bearer %s", fuzz_str(&in, a));
		break;
	default:
		h = fuzz_str(&in, a);
		c = fuzz_str(&in, a);
		if (mode == 2) {
			header = token(a, h, c, NULL, 0);
		} else {
			const char *sig = fuzz_rest(&in, a, &len);

			header = token(a, h, c, (const uint8_t *)sig, len);
		}
		break;
	}
	rc = auth_verify(&keys, header, "isms", "isms-api", FUZZ_NOW, &p);
	if (rc == AUTH_OK) {
		/* What the server and the database rely on. */
		if (!p.authenticated || auth_role_name(p.role)[0] == '\0' ||
		    (!p.api_key && p.exp + AUTH_LEEWAY < FUZZ_NOW))
			fuzz_fail("an accepted token with a bad principal");
		if (memchr(p.tenant_id, '\0', sizeof(p.tenant_id)) == NULL ||
		    memchr(p.user_id, '\0', sizeof(p.user_id)) == NULL ||
		    memchr(p.jti, '\0', sizeof(p.jti)) == NULL)
			fuzz_fail("an unterminated principal field");
	} else if (p.authenticated || p.role != 0) {
		fuzz_fail("a refused token left a principal");
	}
	if (auth_result_str(rc) == NULL)
		fuzz_fail("no text for result %d", (int)rc);
	arena_reset(a);
	return 0;
}
