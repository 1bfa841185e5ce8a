/*
 * The JWT key directory as the keys subcommands see it: where it is, the
 * key pairs in it, and what a kid says about when its key was made. The
 * key pairs come from the services' own scan (auth_keyset_load), so
 * ismsctl sees exactly the keys they do.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ismsctl.h"

/* The same default the services use (config.c). */
#define KEYS_DIR_DEFAULT "var/keys"
#define KID_FORMAT "k%Y%m%dT%H%M%SZ"

const char *
ctl_keys_dir(void)
{
	const char *dir = getenv("ISMS_JWT_KEYS_DIR");

	return dir != NULL && *dir != '\0' ? dir : KEYS_DIR_DEFAULT;
}

int
ctl_keys_load(struct auth_keyset *ks, const char *dir)
{
	DIR *d;

	/* auth_keyset_load fails alike for an empty and an unreadable dir. */
	d = opendir(dir);
	if (d == NULL) {
		fprintf(stderr,
			"ismsctl: cannot open the key directory %s: %s "
			"(set ISMS_JWT_KEYS_DIR)\n",
			dir, strerror(errno));
		return -1;
	}
	closedir(d);
	if (auth_keyset_load(ks, dir, true) != 0 && ks->dir == NULL) {
		fprintf(stderr, "ismsctl: out of memory\n");
		auth_keyset_free(ks);
		return -1;
	}
	return 0;
}

void
ctl_kid_format(time_t t, char kid[CTL_KID_LEN + 1])
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(kid, CTL_KID_LEN + 1, KID_FORMAT, &tm) != CTL_KID_LEN)
		kid[0] = '\0';
}

bool
ctl_kid_time(const char *kid, time_t *out)
{
	char back[CTL_KID_LEN + 1];
	struct tm tm;
	char z;

	memset(&tm, 0, sizeof(tm));
	if (strlen(kid) != CTL_KID_LEN ||
	    sscanf(kid, "k%4d%2d%2dT%2d%2d%2d%c", &tm.tm_year, &tm.tm_mon,
		   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &z) != 7 ||
	    z != 'Z')
		return false;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*out = timegm(&tm);
	/* Formatting it back refuses what sscanf lets pass (signs, 13th month).
	 */
	ctl_kid_format(*out, back);
	return strcmp(back, kid) == 0;
}

json_t *
ctl_kid_created_at(const char *kid)
{
	char text[32];
	struct tm tm;
	time_t t;

	if (!ctl_kid_time(kid, &t) || gmtime_r(&t, &tm) == NULL ||
	    strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return json_null();
	return json_string(text);
}
