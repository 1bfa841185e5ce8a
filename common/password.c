/*
 * argon2id hashing behind a counting semaphore.
 */
#include "password.h"

#include <argon2.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "validate.h"

#define T_COST 2
#define M_COST (19 * 1024)
#define PARALLELISM 1
#define SALT_LEN 16
#define HASH_LEN 32
#define WAIT_SECONDS 5

static sem_t slots;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int concurrency = 2;
static char dummy[PASSWORD_ENCODED_MAX];

static void hash_unbounded(const char *pw, char *out, int *rc);

static void
init(void)
{
	unsigned char pw[24];
	char text[sizeof(pw) * 2 + 1];
	size_t i;
	int rc;

	/*
	 * Each hash takes 19 MiB. Past its first free, glibc would serve
	 * blocks that size from a thread's heap and keep them there: every
	 * worker that ever hashed would hold 19 MiB while idle. A fixed
	 * threshold keeps large blocks in their own mappings, returned on
	 * free.
	 */
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	sem_init(&slots, 0, (unsigned)concurrency);
	auth_random(pw, sizeof(pw));
	for (i = 0; i < sizeof(pw); i++)
		snprintf(text + 2 * i, 3, "%02x", pw[i]);
	hash_unbounded(text, dummy, &rc);
}

void
password_set_concurrency(int n)
{
	if (n > 0)
		concurrency = n;
}

const char *
password_policy(const char *pw)
{
	size_t n;
	const char *p;

	if (pw == NULL)
		return "is required";
	n = validate_utf8_length(pw);
	if (n < PASSWORD_MIN_CHARS || n > PASSWORD_MAX_CHARS)
		return "must be from 12 to 128 characters long";
	for (p = pw; *p == ' '; p++)
		;
	if (*p == '\0')
		return "must not be only spaces";
	return NULL;
}

static void
hash_unbounded(const char *pw, char *out, int *rc)
{
	unsigned char salt[SALT_LEN];

	*rc = auth_random(salt, sizeof(salt)) == 0
		      ? argon2id_hash_encoded(T_COST, M_COST, PARALLELISM, pw,
					      strlen(pw), salt, sizeof(salt),
					      HASH_LEN, out,
					      PASSWORD_ENCODED_MAX)
		      : ARGON2_MISSING_ARGS;
}

static int
acquire(void)
{
	struct timespec until;
	int rc;

	pthread_once(&once, init);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += WAIT_SECONDS;
	while ((rc = sem_timedwait(&slots, &until)) != 0 && errno == EINTR)
		;
	return rc;
}

enum password_result
password_hash(const char *pw, char out[PASSWORD_ENCODED_MAX])
{
	int rc;

	if (acquire() != 0)
		return PASSWORD_BUSY;
	hash_unbounded(pw, out, &rc);
	sem_post(&slots);
	return rc == ARGON2_OK ? PASSWORD_OK : PASSWORD_ERROR;
}

enum password_result
password_verify(const char *encoded, const char *pw)
{
	int rc;

	if (acquire() != 0)
		return PASSWORD_BUSY;
	rc = argon2id_verify(encoded ? encoded : dummy, pw, strlen(pw));
	sem_post(&slots);
	if (encoded == NULL)
		return PASSWORD_MISMATCH;
	/* A malformed stored hash never matches. */
	return rc == ARGON2_OK ? PASSWORD_OK : PASSWORD_MISMATCH;
}
