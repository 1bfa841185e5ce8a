/*
 * Passwords: argon2id at OWASP's parameters (m=19 MiB, t=2, p=1), a length
 * policy, and a bound on how many hashes run at once so that a login flood
 * queues instead of starving the machine.
 */
#ifndef ISMS_PASSWORD_H
#define ISMS_PASSWORD_H

#include <stddef.h>

#define PASSWORD_MIN_CHARS 12
#define PASSWORD_MAX_CHARS 128
#define PASSWORD_ENCODED_MAX 128

enum password_result {
	PASSWORD_OK = 0,
	PASSWORD_MISMATCH,
	PASSWORD_BUSY, /* every hashing slot stayed taken: retry later */
	PASSWORD_ERROR,
};

/* NULL when the password is acceptable, else why not (for clients). */
const char *password_policy(const char *pw);

/* At most n hashes at once (default 2); call before the workers start. */
void password_set_concurrency(int n);

enum password_result password_hash(const char *pw,
				   char out[PASSWORD_ENCODED_MAX]);
/*
 * Checks pw against an encoded hash. With encoded NULL it checks against
 * a fixed hash of a random password, so an unknown account costs the same
 * as a known one.
 */
enum password_result password_verify(const char *encoded, const char *pw);

#endif
