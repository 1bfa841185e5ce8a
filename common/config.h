/*
 * Settings from the environment, with documented defaults, validated once
 * at start. A bad value is a clear message and exit code 2.
 */
#ifndef ISMS_CONFIG_H
#define ISMS_CONFIG_H

#include <stddef.h>

struct config {
	const char *service;      /* program name, for messages and logs */
	const char *database_url; /* ISMS_DATABASE_URL */
	const char *listen;       /* ISMS_LISTEN: socket path or host:port */
	const char *keys_dir;     /* ISMS_JWT_KEYS_DIR */
	const char *issuer;       /* ISMS_JWT_ISSUER */
	const char *audience;     /* ISMS_JWT_AUDIENCE */
	int workers;              /* ISMS_WORKERS */
	size_t max_body;          /* ISMS_MAX_BODY */
	int token_ttl;            /* ISMS_ACCESS_TOKEN_TTL, seconds */
	int password_concurrency; /* ISMS_PASSWORD_CONCURRENCY */
};

/* Exits with status 2 and a message on stderr when a setting is invalid. */
void config_load(struct config *c, const char *service);

/*
 * Parses an integer setting in [min, max]; returns -1 with a message in
 * err (size errlen) when the text is not such an integer.
 */
int config_int(const char *name, const char *text, long min, long max,
	       long *out, char *err, size_t errlen);

/* Reads a KEY='value' file into the environment without overriding. */
int config_read_env_file(const char *path);

#endif
