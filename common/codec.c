/*
 * Base64url and cursors.
 */
#include "codec.h"

#include <string.h>

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int
b64url_value(int c)
{
	const char *p = c ? strchr(alphabet, c) : NULL;

	return p == NULL ? -1 : (int)(p - alphabet);
}

long
codec_b64url_decode(const char *in, size_t len, unsigned char *out,
		    size_t outlen)
{
	unsigned long acc = 0;
	size_t i, o = 0;
	int bits = 0, v;

	if (len % 4 == 1)
		return -1;
	for (i = 0; i < len; i++) {
		v = b64url_value((unsigned char)in[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned long)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == outlen)
				return -1;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	/* Non-canonical trailing bits would let two texts decode alike. */
	if (bits > 0 && (acc & ((1ul << bits) - 1)) != 0)
		return -1;
	return (long)o;
}

char *
codec_b64url_encode(struct arena *a, const unsigned char *in, size_t len)
{
	char *out, *o;
	unsigned long acc = 0;
	int bits = 0;
	size_t i;

	out = arena_alloc(a, (len * 4 + 2) / 3 + 1);
	if (out == NULL)
		return NULL;
	for (i = 0, o = out; i < len; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			*o++ = alphabet[(acc >> bits) & 63];
		}
	}
	if (bits > 0)
		*o++ = alphabet[(acc << (6 - bits)) & 63];
	*o = '\0';
	return out;
}

#define CURSOR_VERSION '1'
#define CURSOR_SEP '\x1f'
#define CURSOR_MAX 512

char *
codec_cursor_encode(struct arena *a, const char *const *parts, size_t n)
{
	char buf[CURSOR_MAX];
	size_t i, used = 0, len;

	buf[used++] = CURSOR_VERSION;
	for (i = 0; i < n; i++) {
		len = strlen(parts[i]);
		if (used + 1 + len > sizeof(buf) ||
		    memchr(parts[i], CURSOR_SEP, len) != NULL)
			return NULL;
		buf[used++] = CURSOR_SEP;
		memcpy(buf + used, parts[i], len);
		used += len;
	}
	return codec_b64url_encode(a, (const unsigned char *)buf, used);
}

int
codec_cursor_decode(struct arena *a, const char *text, const char **parts,
		    size_t n)
{
	unsigned char buf[CURSOR_MAX];
	const char *p, *end, *sep;
	long len;
	size_t i;

	len = codec_b64url_decode(text, strlen(text), buf, sizeof(buf));
	if (len < 1 || buf[0] != CURSOR_VERSION ||
	    memchr(buf, '\0', (size_t)len) != NULL)
		return -1;
	p = (const char *)buf + 1;
	end = (const char *)buf + len;
	for (i = 0; i < n; i++) {
		if (p >= end || *p != CURSOR_SEP)
			return -1;
		p++;
		sep = memchr(p, CURSOR_SEP, (size_t)(end - p));
		if (sep == NULL)
			sep = end;
		parts[i] = arena_strndup(a, p, (size_t)(sep - p));
		if (parts[i] == NULL)
			return -1;
		p = sep;
	}
	return p == end ? 0 : -1;
}
