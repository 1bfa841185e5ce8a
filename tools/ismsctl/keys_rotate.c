/*
 * ismsctl keys rotate: a new RS256 key pair in the key directory, then the
 * oldest pairs removed so that the newest N remain (default 2: the new
 * key, and the one before it, which keeps verifying the tokens it signed
 * until they expire).
 *
 * The services need no restart: isms-auth rescans the directory at most
 * every 5 s and signs with the newest kid that has a private key;
 * verifiers rescan when a token names a kid they do not know. Hence the
 * order: the public key is published first and the private key second,
 * so no token signed with the new key exists before its public key does.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "ismsctl.h"

#define RSA_BITS 2048
#define KEEP_DEFAULT 2
#define KEEP_MAX 100
/* How long to wait for the clock to pass the newest kid. */
#define KID_WAIT_SECONDS 3
/* isms-auth takes a new key up within this many seconds (sessions.c). */
#define SIGNER_RESCAN 5
/* The longest access token lifetime ISMS_ACCESS_TOKEN_TTL allows. */
#define TOKEN_TTL_MAX 900
#define NAME_MAX_LEN (AUTH_KID_MAX + 16)

static void
openssl_error(const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	ERR_error_string_n(e, buf, sizeof(buf));
	fprintf(stderr, "ismsctl: %s: %s\n", what, e ? buf : "unknown error");
}

/*
 * A kid later than every kid in the directory: isms-auth signs with the
 * newest in strcmp order. Kids have a second's resolution, so a rotation
 * in the same second as the last one waits for the next second.
 */
static int
next_kid(const struct auth_keyset *ks, char kid[CTL_KID_LEN + 1])
{
	const char *newest = ks->nkeys > 0 ? ks->keys[ks->nkeys - 1].kid : "";
	struct timespec now, pause;
	time_t made;
	int waited;

	for (waited = 0;; waited++) {
		ctl_kid_format(time(NULL), kid);
		if (kid[0] != '\0' && strcmp(kid, newest) > 0)
			return 0;
		/* Waiting only helps for a kid from the last few seconds. */
		if (waited == KID_WAIT_SECONDS ||
		    !ctl_kid_time(newest, &made) ||
		    made - time(NULL) >= KID_WAIT_SECONDS)
			break;
		clock_gettime(CLOCK_REALTIME, &now);
		pause.tv_sec = 0;
		pause.tv_nsec = 1000000000L - now.tv_nsec;
		nanosleep(&pause, NULL);
	}
	fprintf(stderr,
		"ismsctl: the key %s sorts after %s, the kid of a key made "
		"now; isms-auth signs with the newest kid, so remove or "
		"rename %s first\n",
		newest, kid, newest);
	return -1;
}

/* PEM: PKCS#8 for the private key, SubjectPublicKeyInfo for the public. */
static int
generate(BIO *priv, BIO *pub)
{
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pkey = NULL;
	int rc = -1;

	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (ctx == NULL || EVP_PKEY_keygen_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, RSA_BITS) <= 0 ||
	    EVP_PKEY_generate(ctx, &pkey) <= 0 ||
	    PEM_write_bio_PKCS8PrivateKey(priv, pkey, NULL, NULL, 0, NULL,
					  NULL) != 1 ||
	    PEM_write_bio_PUBKEY(pub, pkey) != 1) {
		openssl_error("cannot make an RSA key");
		goto out;
	}
	rc = 0;
out:
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

/*
 * Publishes the PEM as name in the directory: written to a temporary name
 * beside it, synced, then renamed, so a scan sees the whole file or none.
 * The file gets the directory's owner, who runs the services, when root
 * runs this. The caller holds the directory lock; an existing name is an
 * error, never replaced.
 */
static int
publish(int dfd, const struct stat *dir, const char *name, BIO *pem,
	mode_t mode)
{
	char tmp[NAME_MAX_LEN + 8];
	struct stat st;
	const char *p;
	char *data;
	long len;
	ssize_t w;
	int fd = -1, rc = -1;

	len = BIO_get_mem_data(pem, &data);
	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		errno = EEXIST;
		goto out;
	}
	if (unlinkat(dfd, tmp, 0) != 0 && errno != ENOENT)
		goto out;
	fd = openat(dfd, tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0 || fchmod(fd, mode) != 0 ||
	    (geteuid() == 0 && fchown(fd, dir->st_uid, dir->st_gid) != 0))
		goto out;
	for (p = data; len > 0;) {
		w = write(fd, p, (size_t)len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto out;
		p += w;
		len -= (long)w;
	}
	if (fsync(fd) != 0)
		goto out;
	w = close(fd);
	fd = -1;
	if (w != 0 || renameat(dfd, tmp, dfd, name) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0) {
		fprintf(stderr, "ismsctl: cannot write %s: %s\n", name,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		unlinkat(dfd, tmp, 0);
	}
	return rc;
}

static int
remove_file(int dfd, const char *kid, const char *suffix)
{
	char name[NAME_MAX_LEN];

	snprintf(name, sizeof(name), "%s%s", kid, suffix);
	if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	fprintf(stderr, "ismsctl: cannot remove %s: %s\n", name,
		strerror(errno));
	return -1;
}

/*
 * Removes every pair but the newest keep; their kids go to removed. A
 * removed key's tokens may still be unexpired: warns when its successor
 * took over signing less than a token lifetime ago.
 */
static int
prune(int dfd, const struct auth_keyset *ks, size_t keep, json_t *removed)
{
	char until_text[32];
	time_t now = time(NULL), successor, until;
	const char *kid;
	struct tm tm;
	size_t i;
	int rc = 0;

	for (i = 0; i + keep < ks->nkeys; i++) {
		kid = ks->keys[i].kid;
		if (ctl_kid_time(ks->keys[i + 1].kid, &successor) &&
		    (until = successor + SIGNER_RESCAN + TOKEN_TTL_MAX +
			     AUTH_LEEWAY) > now &&
		    gmtime_r(&until, &tm) != NULL &&
		    strftime(until_text, sizeof(until_text),
			     "%Y-%m-%dT%H:%M:%SZ", &tm) > 0)
			fprintf(stderr,
				"ismsctl: warning: tokens signed with %s may "
				"be valid until %s; with its key removed, the "
				"services refuse them once they rescan the "
				"key directory\n",
				kid, until_text);
		/* The private key first: a half-removed pair never signs. */
		if (remove_file(dfd, kid, ".key.pem") != 0 ||
		    remove_file(dfd, kid, ".pub.pem") != 0) {
			rc = -1;
			continue;
		}
		json_array_append_new(removed, json_string(kid));
	}
	return rc;
}

int
ctl_keys_rotate(int argc, char **argv)
{
	struct ctl_option opts[] = {{.name = "--keep", .takes_value = true}};
	char kid[CTL_KID_LEN + 1], name[NAME_MAX_LEN], err[128];
	const char *dir = ctl_keys_dir();
	BIO *priv = NULL, *pub = NULL;
	json_t *removed = NULL;
	struct auth_keyset ks;
	bool loaded = false;
	long keep = KEEP_DEFAULT;
	struct stat st;
	int dfd = -1, rc;

	rc = ctl_options(argc, argv, opts, 1);
	if (rc != 0)
		return rc;
	if (opts[0].seen &&
	    config_int("--keep", opts[0].value, KEEP_DEFAULT, KEEP_MAX, &keep,
		       err, sizeof(err)) != 0) {
		fprintf(stderr, "ismsctl: %s\n", err);
		return ctl_usage();
	}
	rc = 1;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fstat(dfd, &st) != 0) {
		fprintf(stderr,
			"ismsctl: cannot open the key directory %s: %s "
			"(set ISMS_JWT_KEYS_DIR)\n",
			dir, strerror(errno));
		goto out;
	}
	/* Rotations take turns; the services only read the directory. */
	if (flock(dfd, LOCK_EX) != 0) {
		fprintf(stderr, "ismsctl: cannot lock %s: %s\n", dir,
			strerror(errno));
		goto out;
	}
	if (ctl_keys_load(&ks, dir) != 0)
		goto out;
	loaded = true;
	if (next_kid(&ks, kid) != 0)
		goto out;

	priv = BIO_new(BIO_s_secmem());
	pub = BIO_new(BIO_s_mem());
	if (priv == NULL || pub == NULL) {
		openssl_error("out of memory");
		goto out;
	}
	if (generate(priv, pub) != 0)
		goto out;
	snprintf(name, sizeof(name), "%s.pub.pem", kid);
	if (publish(dfd, &st, name, pub, 0644) != 0)
		goto out;
	snprintf(name, sizeof(name), "%s.key.pem", kid);
	if (publish(dfd, &st, name, priv, 0600) != 0) {
		/* Never used without its private key; take it back. */
		remove_file(dfd, kid, ".pub.pem");
		goto out;
	}
	if (fsync(dfd) != 0) {
		fprintf(stderr, "ismsctl: cannot sync %s: %s\n", dir,
			strerror(errno));
		goto out;
	}

	auth_keyset_free(&ks);
	loaded = false;
	if (ctl_keys_load(&ks, dir) != 0)
		goto out;
	loaded = true;
	if (ks.nkeys == 0 || strcmp(ks.keys[ks.nkeys - 1].kid, kid) != 0) {
		fprintf(stderr,
			"ismsctl: %s is not the newest key in %s; "
			"nothing removed\n",
			kid, dir);
		goto out;
	}
	removed = json_array();
	if (removed == NULL)
		goto out;
	rc = prune(dfd, &ks, (size_t)keep, removed) != 0;
	fsync(dfd);
	fprintf(stderr,
		"ismsctl: isms-auth signs with %s within %d s, without a "
		"restart.\nismsctl: access tokens live up to 15 minutes and "
		"only the previous key keeps verifying its tokens: rotate at "
		"most every 15 minutes (or keep more keys with --keep N).\n",
		kid, SIGNER_RESCAN);
	if (ctl_print_json(json_pack("{s:s, s:O}", "kid", kid, "removed",
				     removed)) != 0)
		rc = 1;
out:
	json_decref(removed);
	BIO_free(pub);
	BIO_free(priv);
	if (loaded)
		auth_keyset_free(&ks);
	if (dfd >= 0)
		close(dfd);
	return rc;
}
