/*
 * Every ISMS_* variable a service reads, its default, and its check.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *
env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : fallback;
}

int
config_int(const char *name, const char *text, long min, long max, long *out,
	   char *err, size_t errlen)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || v < min || v > max) {
		snprintf(err, errlen,
			 "%s must be an integer from %ld to %ld (got \"%s\")",
			 name, min, max, text);
		return -1;
	}
	*out = v;
	return 0;
}

static void
die(const char *service, const char *msg)
{
	fprintf(stderr, "%s: configuration error: %s\n", service, msg);
	exit(2);
}

static long
int_setting(const char *service, const char *name, const char *fallback,
	    long min, long max)
{
	char err[256];
	long v;

	if (config_int(name, env_or(name, fallback), min, max, &v, err,
		       sizeof(err)) != 0)
		die(service, err);
	return v;
}

void
config_load(struct config *c, const char *service)
{
	c->service = service;
	c->database_url = env_or("ISMS_DATABASE_URL", "dbname=isms");
	c->listen = env_or("ISMS_LISTEN", NULL);
	c->keys_dir = env_or("ISMS_JWT_KEYS_DIR", "var/keys");
	c->issuer = env_or("ISMS_JWT_ISSUER", "isms");
	c->audience = env_or("ISMS_JWT_AUDIENCE", "isms-api");
	c->workers = (int)int_setting(service, "ISMS_WORKERS", "4", 1, 256);
	c->max_body = (size_t)int_setting(service, "ISMS_MAX_BODY", "1048576",
					  1024, 64L * 1024 * 1024);
	c->token_ttl = (int)int_setting(service, "ISMS_ACCESS_TOKEN_TTL", "900",
					60, 900);
	c->password_concurrency = (int)int_setting(
		service, "ISMS_PASSWORD_CONCURRENCY", "2", 1, 64);
	if (c->listen == NULL)
		die(service, "ISMS_LISTEN is required (a unix socket path or "
			     "host:port)");
}

static char *
unquote(char *v)
{
	size_t n = strlen(v);

	if (n >= 2 && ((v[0] == '\'' && v[n - 1] == '\'') ||
		       (v[0] == '"' && v[n - 1] == '"'))) {
		v[n - 1] = '\0';
		return v + 1;
	}
	return v;
}

int
config_read_env_file(const char *path)
{
	char line[4096];
	FILE *f;
	char *eq, *key, *val;

	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		key = line;
		if (strncmp(key, "export ", 7) == 0)
			key += 7;
		if (*key == '#' || (eq = strchr(key, '=')) == NULL)
			continue;
		*eq = '\0';
		val = unquote(eq + 1);
		setenv(key, val, 0);
	}
	fclose(f);
	return 0;
}
