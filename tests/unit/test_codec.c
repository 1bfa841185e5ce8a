/*
 * Unit tests for common/codec: base64url (RFC 4648 section 5, unpadded)
 * against the RFC vectors and random round trips, the strict decoder
 * (alphabet, length, canonical trailing bits, output space), and the
 * versioned list cursors built on it.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "codec.h"

static struct arena A;

static void
setup(void)
{
	arena_init(&A, 4096);
}

static void
teardown(void)
{
	arena_free(&A);
}

/* A fixed-seed generator, so a failure names a reproducible input. */
static uint32_t rng_state = 0x9e3779b9u;

static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static int
is_b64url_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static long
decode_str(const char *in, unsigned char *out, size_t outlen)
{
	return codec_b64url_decode(in, strlen(in), out, outlen);
}

START_TEST(test_rfc4648_vectors)
{
	static const struct {
		const char *plain, *encoded;
	} v[] = {
		{"", ""},
		{"f", "Zg"},
		{"fo", "Zm8"},
		{"foo", "Zm9v"},
		{"foob", "Zm9vYg"},
		{"fooba", "Zm9vYmE"},
		{"foobar", "Zm9vYmFy"},
	};
	unsigned char out[16];
	size_t i;
	long n;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *e = codec_b64url_encode(&A,
					      (const unsigned char *)v[i].plain,
					      strlen(v[i].plain));

		ck_assert_str_eq(e, v[i].encoded);
		n = decode_str(v[i].encoded, out, sizeof(out));
		ck_assert_int_eq(n, (long)strlen(v[i].plain));
		ck_assert_mem_eq(out, v[i].plain, (size_t)n);
	}
}
END_TEST

START_TEST(test_url_alphabet)
{
	static const unsigned char in[] = {0xfb, 0xff};
	unsigned char out[4];

	/* Standard base64 would be "+/8="; the URL alphabet has - and _. */
	ck_assert_str_eq(codec_b64url_encode(&A, in, 2), "-_8");
	ck_assert_int_eq(decode_str("-_8", out, sizeof(out)), 2);
	ck_assert_mem_eq(out, in, 2);
}
END_TEST

START_TEST(test_random_round_trips)
{
	unsigned char in[64], out[64];
	size_t len, i;
	int round;

	for (len = 0; len <= 64; len++) {
		for (round = 0; round < 20; round++) {
			char *e;
			long n;

			for (i = 0; i < len; i++)
				in[i] = (unsigned char)rng();
			e = codec_b64url_encode(&A, in, len);
			ck_assert_ptr_nonnull(e);
			/* Unpadded: ceil(4n/3) characters. */
			ck_assert_uint_eq(strlen(e), (len * 4 + 2) / 3);
			for (i = 0; e[i] != '\0'; i++)
				ck_assert_msg(is_b64url_char(e[i]),
					      "bad char %d in %s", e[i], e);
			n = decode_str(e, out, len);
			ck_assert_int_eq(n, (long)len);
			ck_assert_mem_eq(out, in, len);
			/* One byte too little room is refused, not overrun. */
			if (len > 0)
				ck_assert_int_eq(decode_str(e, out, len - 1),
						 -1);
		}
		arena_reset(&A);
	}
}
END_TEST

START_TEST(test_rejects_bad_characters)
{
	static const char *const bad[] = {
		/* Every one has a valid length, so only the character fails. */
		"Zm9v+g", "Zm9v/g", "Zm9vYg==",   "Zm8=", "Zm 9",
		"Zm9\n",  "Zm9v.A", "Zm\xc3\xa9", "*AAA", "AAA\x7f",
	};
	unsigned char out[32];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(decode_str(bad[i], out, sizeof(out)) == -1,
			      "accepted \"%s\"", bad[i]);
	/* An embedded NUL inside the given length is not a character. */
	ck_assert_int_eq(codec_b64url_decode("Zm\0v", 4, out, sizeof(out)), -1);
}
END_TEST

START_TEST(test_rejects_non_canonical_trailing_bits)
{
	unsigned char out[8];

	/* "AQ" is 0x01; "AR".."A_" carry set bits past the last byte. */
	ck_assert_int_eq(decode_str("AQ", out, sizeof(out)), 1);
	ck_assert_uint_eq(out[0], 0x01);
	ck_assert_int_eq(decode_str("AR", out, sizeof(out)), -1);
	ck_assert_int_eq(decode_str("AB", out, sizeof(out)), -1);
	ck_assert_int_eq(decode_str("A_", out, sizeof(out)), -1);
	/* Three characters: two trailing bits. "AAE" is 00 01. */
	ck_assert_int_eq(decode_str("AAE", out, sizeof(out)), 2);
	ck_assert_uint_eq(out[1], 0x01);
	ck_assert_int_eq(decode_str("AAF", out, sizeof(out)), -1);
	ck_assert_int_eq(decode_str("AAH", out, sizeof(out)), -1);
	/* "Zg" is "f"; "Zh" would decode alike. */
	ck_assert_int_eq(decode_str("Zh", out, sizeof(out)), -1);
	ck_assert_int_eq(decode_str("Zm9", out, sizeof(out)), -1);
}
END_TEST

START_TEST(test_rejects_length_mod_4_is_1)
{
	unsigned char out[16];

	ck_assert_int_eq(decode_str("A", out, sizeof(out)), -1);
	ck_assert_int_eq(decode_str("AAAAA", out, sizeof(out)), -1);
	ck_assert_int_eq(decode_str("Zm9vYmFyZ", out, sizeof(out)), -1);
	ck_assert_int_eq(decode_str("", out, sizeof(out)), 0);
	ck_assert_int_eq(decode_str("", out, 0), 0);
}
END_TEST

START_TEST(test_cursor_round_trip)
{
	const char *const p4[] = {"2024-02-29T12:00:00.123456Z",
				  "00000000-0000-0000-0000-000000000001", "",
				  "caf\xc3\xa9 & 'quotes' = ok"};
	const char *got[CURSOR_MAX_PARTS];
	size_t n, i;

	for (n = 1; n <= CURSOR_MAX_PARTS; n++) {
		char *c = codec_cursor_encode(&A, p4, n);

		ck_assert_ptr_nonnull(c);
		for (i = 0; c[i] != '\0'; i++)
			ck_assert(is_b64url_char(c[i]));
		memset(got, 0, sizeof(got));
		ck_assert_int_eq(codec_cursor_decode(&A, c, got, n), 0);
		for (i = 0; i < n; i++)
			ck_assert_str_eq(got[i], p4[i]);
	}
}
END_TEST

START_TEST(test_cursor_wrong_part_count)
{
	const char *const parts[] = {"a", "b", "c"};
	const char *got[CURSOR_MAX_PARTS];
	char *c2 = codec_cursor_encode(&A, parts, 2);

	ck_assert_ptr_nonnull(c2);
	ck_assert_int_eq(codec_cursor_decode(&A, c2, got, 2), 0);
	ck_assert_int_eq(codec_cursor_decode(&A, c2, got, 1), -1);
	ck_assert_int_eq(codec_cursor_decode(&A, c2, got, 3), -1);
	ck_assert_int_eq(codec_cursor_decode(&A, c2, got, 0), -1);
}
END_TEST

static char *
encode_raw(const char *bytes, size_t n)
{
	return codec_b64url_encode(&A, (const unsigned char *)bytes, n);
}

START_TEST(test_cursor_tampered_or_foreign)
{
	const char *const parts[] = {"2024-01-01", "abc"};
	const char *got[CURSOR_MAX_PARTS];
	unsigned char junk[48];
	char *c, *t;
	size_t i;

	c = codec_cursor_encode(&A, parts, 2);
	ck_assert_ptr_nonnull(c);

	/* The first character carries the version byte. */
	t = arena_strdup(&A, c);
	t[0] = t[0] == 'N' ? 'O' : 'N';
	ck_assert_int_eq(codec_cursor_decode(&A, t, got, 2), -1);
	/* Padding, foreign characters, truncation to len%4==1. */
	ck_assert_int_eq(
		codec_cursor_decode(&A, arena_printf(&A, "%s=", c), got, 2),
		-1);
	ck_assert_int_eq(
		codec_cursor_decode(&A, arena_printf(&A, "%s+", c), got, 2),
		-1);
	ck_assert_int_eq(
		codec_cursor_decode(&A, arena_printf(&A, "*%s", c), got, 2),
		-1);
	/* Appended zero bytes put a NUL inside the last part. */
	ck_assert_int_eq(
		codec_cursor_decode(&A, arena_printf(&A, "%sAAAA", c), got, 2),
		-1);

	/* Hand-made texts: wrong version, no version, NUL, no separator. */
	ck_assert_int_eq(codec_cursor_decode(&A,
					     encode_raw("2\x1f"
							"a\x1f"
							"b",
							5),
					     got, 2),
			 -1);
	ck_assert_int_eq(codec_cursor_decode(&A,
					     encode_raw("\x1f"
							"a\x1f"
							"b",
							4),
					     got, 2),
			 -1);
	ck_assert_int_eq(codec_cursor_decode(&A,
					     encode_raw("1\x1f"
							"a\0\x1f"
							"b",
							6),
					     got, 2),
			 -1);
	ck_assert_int_eq(codec_cursor_decode(&A,
					     encode_raw("1a\x1f"
							"b",
							4),
					     got, 2),
			 -1);
	ck_assert_int_eq(codec_cursor_decode(&A, "", got, 1), -1);
	ck_assert_int_eq(codec_cursor_decode(&A, "not a cursor", got, 1), -1);
	/* Something JSON-ish a client might forge. */
	ck_assert_int_eq(
		codec_cursor_decode(&A, encode_raw("{\"id\":1}", 8), got, 1),
		-1);

	/* Random bytes never decode as a cursor unless they start with the
	 * version and separator; force the first byte away from '1'. */
	for (i = 0; i < 200; i++) {
		size_t k, n = 1 + rng() % sizeof(junk);

		for (k = 0; k < n; k++)
			junk[k] = (unsigned char)rng();
		if (junk[0] == '1')
			junk[0] = '0';
		ck_assert_int_eq(
			codec_cursor_decode(&A, encode_raw((char *)junk, n),
					    got, 1),
			-1);
	}

	/* A text longer than the cursor buffer is refused, not overrun. */
	{
		char big[1001];

		memset(big, 'M', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		ck_assert_int_eq(codec_cursor_decode(&A, big, got, 1), -1);
	}
}
END_TEST

START_TEST(test_cursor_encode_refuses_separator_and_overflow)
{
	const char *const sep[] = {"ok", "a\x1f"
					 "b"};
	const char *const sep_only[] = {"\x1f"};
	const char *parts[1];
	char long_part[600];

	ck_assert_ptr_null(codec_cursor_encode(&A, sep, 2));
	ck_assert_ptr_null(codec_cursor_encode(&A, sep_only, 1));
	/* The first part alone is fine. */
	ck_assert_ptr_nonnull(codec_cursor_encode(&A, sep, 1));

	memset(long_part, 'x', sizeof(long_part) - 1);
	long_part[sizeof(long_part) - 1] = '\0';
	parts[0] = long_part;
	ck_assert_ptr_null(codec_cursor_encode(&A, parts, 1));
	/* 510 bytes: version + separator + 510 = 512, the limit. */
	long_part[510] = '\0';
	ck_assert_ptr_nonnull(codec_cursor_encode(&A, parts, 1));
	long_part[510] = 'x';
	long_part[511] = '\0';
	ck_assert_ptr_null(codec_cursor_encode(&A, parts, 1));
}
END_TEST

START_TEST(test_cursor_longest_round_trips)
{
	const char *parts[1], *got[1];
	char long_part[511];
	char *c;

	memset(long_part, 'y', sizeof(long_part) - 1);
	long_part[sizeof(long_part) - 1] = '\0';
	parts[0] = long_part;
	c = codec_cursor_encode(&A, parts, 1);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(codec_cursor_decode(&A, c, got, 1), 0);
	ck_assert_str_eq(got[0], long_part);
}
END_TEST

static Suite *
codec_suite(void)
{
	Suite *s = suite_create("codec");
	TCase *b64 = tcase_create("base64url");
	TCase *cur = tcase_create("cursor");

	tcase_add_checked_fixture(b64, setup, teardown);
	tcase_add_test(b64, test_rfc4648_vectors);
	tcase_add_test(b64, test_url_alphabet);
	tcase_add_test(b64, test_random_round_trips);
	tcase_add_test(b64, test_rejects_bad_characters);
	tcase_add_test(b64, test_rejects_non_canonical_trailing_bits);
	tcase_add_test(b64, test_rejects_length_mod_4_is_1);
	suite_add_tcase(s, b64);

	tcase_add_checked_fixture(cur, setup, teardown);
	tcase_add_test(cur, test_cursor_round_trip);
	tcase_add_test(cur, test_cursor_wrong_part_count);
	tcase_add_test(cur, test_cursor_tampered_or_foreign);
	tcase_add_test(cur, test_cursor_encode_refuses_separator_and_overflow);
	tcase_add_test(cur, test_cursor_longest_round_trips);
	suite_add_tcase(s, cur);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(codec_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
