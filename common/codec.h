/*
 * Base64url (RFC 4648 section 5, no padding) and the opaque list cursors
 * built on it.
 */
#ifndef ISMS_CODEC_H
#define ISMS_CODEC_H

#include <stddef.h>

#include "arena.h"

/* Decodes; returns the number of bytes written or -1 (bad input/space). */
long codec_b64url_decode(const char *in, size_t len, unsigned char *out,
			 size_t outlen);
/* Encodes into a new arena string. */
char *codec_b64url_encode(struct arena *a, const unsigned char *in,
			  size_t len);

#define CURSOR_MAX_PARTS 4

/*
 * A keyset cursor is the sort key of the last row of a page: n text parts
 * (none containing the unit separator), versioned and base64url-encoded.
 */
char *codec_cursor_encode(struct arena *a, const char *const *parts,
			  size_t n);
/* Returns 0 and fills parts (arena strings) when text holds n parts. */
int codec_cursor_decode(struct arena *a, const char *text, const char **parts,
			size_t n);

#endif
