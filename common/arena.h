/*
 * Request-scoped memory: every allocation a request makes comes from one
 * arena that the server resets after FCGX_Finish_r, so handlers never free.
 */
#ifndef ISMS_ARENA_H
#define ISMS_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct arena_block;

struct arena {
	struct arena_block *head;
	size_t block_size;
};

void arena_init(struct arena *a, size_t block_size);
/* Frees every block but the first, which is kept for the next request. */
void arena_reset(struct arena *a);
void arena_free(struct arena *a);

/* Returns NULL only when the system is out of memory. */
void *arena_alloc(struct arena *a, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#endif
