/*
 * The CSV reader (common/csv): every record of any input, with a field
 * limit from 1 to 64; and the writer's output of those records reads
 * back as the same fields (a formula-like field keeps the quote the
 * writer adds, which csv_unneutralise removes; a record of one empty
 * field and a leading byte order mark do not survive, by design). Input: a byte
 * for the field limit, the CSV text.
 */
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "fuzz.h"

#define MAX_FIELDS 64

static bool
formula(const char *s)
{
	return s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' ||
	       s[0] == '\t' || s[0] == '\r';
}

/* Writes one record and checks that reading it back gives it again. */
static void
check_written(struct arena *a, const char **fields, int n)
{
	const char *back[MAX_FIELDS];
	struct csv_writer w;
	struct csv_reader in;
	int i, got;

	/* A record of one empty field is an empty line, which reads as
	 * no record at all. */
	if (n == 1 && fields[0][0] == '\0')
		return;
	/* A first field that starts with a byte order mark loses it: the
	 * reader skips one at the start of the input. */
	if (strncmp(fields[0], "\xEF\xBB\xBF", 3) == 0)
		return;
	csv_writer_init(&w);
	for (i = 0; i < n; i++)
		csv_write_field(&w, fields[i]);
	csv_write_end(&w);
	if (w.failed)
		fuzz_fail("the writer ran out of memory");
	csv_reader_init(&in, w.data, w.len);
	got = csv_read(&in, a, back, MAX_FIELDS);
	if (got != n)
		fuzz_fail("wrote %d fields, read %d back (%s)", n, got,
			  in.error ? in.error : "");
	for (i = 0; i < n; i++) {
		const char *want = back[i];

		if (formula(fields[i])) {
			if (back[i][0] != '\'')
				fuzz_fail("formula field %d not neutralised",
					  i);
			want = back[i] + 1;
			if (strcmp(csv_unneutralise(back[i]), fields[i]) != 0)
				fuzz_fail("csv_unneutralise lost field %d", i);
		}
		if (strcmp(want, fields[i]) != 0)
			fuzz_fail("field %d changed in a round trip", i);
	}
	if (csv_read(&in, a, back, MAX_FIELDS) != 0)
		fuzz_fail("one record written, more read");
	csv_writer_free(&w);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	struct arena *a = fuzz_arena();
	const char *fields[MAX_FIELDS];
	struct csv_reader rd;
	size_t max = fuzz_byte(&in) % MAX_FIELDS + 1, len, records = 0;
	const char *text = fuzz_rest(&in, a, &len);
	int n;

	csv_reader_init(&rd, text, len);
	while ((n = csv_read(&rd, a, fields, max)) > 0) {
		if ((size_t)n > max)
			fuzz_fail("%d fields over a limit of %zu", n, max);
		if (++records != rd.record)
			fuzz_fail("record count %zu, reader says %zu", records,
				  rd.record);
		check_written(a, fields, n);
	}
	if (n < 0 && rd.error == NULL)
		fuzz_fail("a failure without a reason");
	arena_reset(a);
	return 0;
}
