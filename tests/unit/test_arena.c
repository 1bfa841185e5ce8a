/*
 * Unit tests for common/arena: alignment of every allocation, large
 * allocations that get a block of their own, sizes the allocator must
 * refuse, arena_reset keeping the arena usable (and keeping the first
 * block), and the strdup/strndup/printf helpers.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

#define ALIGN _Alignof(max_align_t)

static int
aligned(const void *p)
{
	return ((uintptr_t)p % ALIGN) == 0;
}

START_TEST(test_init_default_block_size)
{
	struct arena a;

	arena_init(&a, 0);
	ck_assert_uint_eq(a.block_size, 16384);
	ck_assert_ptr_null(a.head);
	arena_init(&a, 100);
	ck_assert_uint_eq(a.block_size, 100);
	/* Freeing and resetting an arena that never allocated is harmless. */
	arena_reset(&a);
	arena_free(&a);
	ck_assert_ptr_null(a.head);
}
END_TEST

START_TEST(test_alloc_alignment)
{
	struct arena a;
	size_t n;

	arena_init(&a, 256);
	for (n = 1; n <= 300; n++) {
		void *p = arena_alloc(&a, n);

		ck_assert_ptr_nonnull(p);
		ck_assert_msg(aligned(p),
			      "allocation of %zu bytes at %p is "
			      "not aligned to %zu",
			      n, p, (size_t)ALIGN);
		/* Usable for the strictest type, without UB under ubsan. */
		if (n >= sizeof(long double))
			*(long double *)p = 1.0L;
	}
	arena_free(&a);
}
END_TEST

START_TEST(test_alloc_no_overlap)
{
	struct arena a;
	unsigned char *p[200];
	size_t i, j, len;

	arena_init(&a, 128);
	for (i = 0; i < 200; i++) {
		len = 1 + i % 37;
		p[i] = arena_alloc(&a, len);
		ck_assert_ptr_nonnull(p[i]);
		memset(p[i], (int)(i & 0xff), len);
	}
	for (i = 0; i < 200; i++) {
		len = 1 + i % 37;
		for (j = 0; j < len; j++)
			ck_assert_uint_eq(p[i][j], i & 0xff);
	}
	arena_free(&a);
	ck_assert_ptr_null(a.head);
}
END_TEST

START_TEST(test_large_allocation)
{
	struct arena a;
	unsigned char *small1, *big, *small2;
	const size_t big_n = 1024 * 1024;
	size_t i;

	arena_init(&a, 1024);
	small1 = arena_alloc(&a, 10);
	ck_assert_ptr_nonnull(small1);
	memset(small1, 0x11, 10);
	big = arena_alloc(&a, big_n);
	ck_assert_ptr_nonnull(big);
	ck_assert(aligned(big));
	memset(big, 0x22, big_n);
	small2 = arena_alloc(&a, 10);
	ck_assert_ptr_nonnull(small2);
	ck_assert(aligned(small2));
	memset(small2, 0x33, 10);
	/* Nothing written later clobbered what came before. */
	for (i = 0; i < 10; i++)
		ck_assert_uint_eq(small1[i], 0x11);
	for (i = 0; i < big_n; i += 4093)
		ck_assert_uint_eq(big[i], 0x22);
	ck_assert_uint_eq(big[big_n - 1], 0x22);
	for (i = 0; i < 10; i++)
		ck_assert_uint_eq(small2[i], 0x33);
	/* Exactly the block size, and one more, both fit. */
	ck_assert_ptr_nonnull(arena_alloc(&a, 1024));
	ck_assert_ptr_nonnull(arena_alloc(&a, 1025));
	arena_free(&a);
}
END_TEST

START_TEST(test_alloc_refuses_impossible_sizes)
{
	struct arena a;

	arena_init(&a, 1024);
	ck_assert_ptr_null(arena_alloc(&a, SIZE_MAX));
	ck_assert_ptr_null(arena_alloc(&a, SIZE_MAX - 1));
	/*
	 * Sizes that only malloc refuses are not tried: valgrind reports
	 * them as "fishy" and ASan aborts on them by default.
	 */
	/* The arena is still usable afterwards. */
	ck_assert_ptr_nonnull(arena_alloc(&a, 16));
	arena_free(&a);
}
END_TEST

/*
 * A size just below SIZE_MAX passes the overflow guard, but the block
 * header is then added to it in block_new(): sizeof(header) + size wraps
 * to a few bytes, malloc succeeds, and a "huge" block is returned. The
 * allocator must refuse such sizes like the others.
 */
START_TEST(test_alloc_refuses_sizes_that_wrap_with_the_header)
{
	struct arena a;
	size_t n;

	/* The sizes that wrapped; all are above any sane guard. */
	for (n = SIZE_MAX - 46; n <= SIZE_MAX - ALIGN; n++) {
		void *p;

		arena_init(&a, 1024);
		p = arena_alloc(&a, n);
		arena_free(&a);
		ck_assert_msg(p == NULL,
			      "arena_alloc(SIZE_MAX - %zu) returned %p",
			      SIZE_MAX - n, p);
	}
}
END_TEST

START_TEST(test_reset_keeps_working)
{
	struct arena a;
	char *s;
	int round, i;

	arena_init(&a, 512);
	for (round = 0; round < 5; round++) {
		for (i = 0; i < 100; i++) {
			s = arena_printf(&a, "round %d item %d", round, i);
			ck_assert_ptr_nonnull(s);
		}
		ck_assert_ptr_nonnull(arena_alloc(&a, 100000));
		s = arena_strdup(&a, "after");
		ck_assert_str_eq(s, "after");
		arena_reset(&a);
		ck_assert_ptr_nonnull(a.head);
	}
	s = arena_strdup(&a, "still usable");
	ck_assert_str_eq(s, "still usable");
	arena_free(&a);
	ck_assert_ptr_null(a.head);
}
END_TEST

START_TEST(test_reset_keeps_first_block)
{
	struct arena a;
	uintptr_t first, again;
	int i;

	arena_init(&a, 4096);
	first = (uintptr_t)arena_alloc(&a, 16);
	for (i = 0; i < 50; i++)
		ck_assert_ptr_nonnull(arena_alloc(&a, 1000));
	arena_reset(&a);
	/* The kept block is empty again: its first byte is handed out. */
	again = (uintptr_t)arena_alloc(&a, 16);
	ck_assert_uint_eq(first, again);
	arena_free(&a);
}
END_TEST

START_TEST(test_reset_after_large_first_block)
{
	struct arena a;
	char *p;

	arena_init(&a, 1024);
	/* The only block is an oversized one: reset must not keep it. */
	ck_assert_ptr_nonnull(arena_alloc(&a, 1 << 20));
	arena_reset(&a);
	ck_assert_ptr_null(a.head);
	p = arena_alloc(&a, 8);
	ck_assert_ptr_nonnull(p);
	memcpy(p, "1234567", 8);
	ck_assert_str_eq(p, "1234567");
	arena_reset(&a);
	arena_reset(&a);
	arena_free(&a);
}
END_TEST

START_TEST(test_strdup_strndup)
{
	struct arena a;
	const char *src = "hello, world";
	char *s;

	arena_init(&a, 64);
	s = arena_strdup(&a, src);
	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_ne(s, src);
	ck_assert_str_eq(s, src);
	ck_assert_ptr_null(arena_strdup(&a, NULL));
	s = arena_strdup(&a, "");
	ck_assert_str_eq(s, "");

	s = arena_strndup(&a, src, 5);
	ck_assert_str_eq(s, "hello");
	ck_assert_ptr_ne(s, src);
	s = arena_strndup(&a, src + 7, 5);
	ck_assert_str_eq(s, "world");
	s = arena_strndup(&a, src, 0);
	ck_assert_str_eq(s, "");
	arena_free(&a);
}
END_TEST

START_TEST(test_printf)
{
	struct arena a;
	char big[3000];
	char *s;

	arena_init(&a, 64);
	s = arena_printf(&a, "%s-%d-%05.1f-%c", "x", -42, 3.14159, 'z');
	ck_assert_str_eq(s, "x--42-003.1-z");
	s = arena_printf(&a, "%s", "");
	ck_assert_str_eq(s, "");
	/* Longer than a block: the allocator must take a block of its own. */
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	s = arena_printf(&a, "<%s>", big);
	ck_assert_uint_eq(strlen(s), sizeof(big) + 1);
	ck_assert_int_eq(s[0], '<');
	ck_assert_int_eq(s[sizeof(big)], '>');
	ck_assert_int_eq(s[1500], 'q');
	arena_free(&a);
}
END_TEST

static Suite *
arena_suite(void)
{
	Suite *s = suite_create("arena");
	TCase *tc = tcase_create("core");
	TCase *limits = tcase_create("limits");

	tcase_add_test(tc, test_init_default_block_size);
	tcase_add_test(tc, test_alloc_alignment);
	tcase_add_test(tc, test_alloc_no_overlap);
	tcase_add_test(tc, test_large_allocation);
	tcase_add_test(tc, test_reset_keeps_working);
	tcase_add_test(tc, test_reset_keeps_first_block);
	tcase_add_test(tc, test_reset_after_large_first_block);
	tcase_add_test(tc, test_strdup_strndup);
	tcase_add_test(tc, test_printf);
	suite_add_tcase(s, tc);

	tcase_add_test(limits, test_alloc_refuses_impossible_sizes);
	tcase_add_test(limits,
		       test_alloc_refuses_sizes_that_wrap_with_the_header);
	suite_add_tcase(s, limits);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(arena_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
