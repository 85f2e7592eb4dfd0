/*
 * fuzz_base64.c - lib/base64.c (AUTH PLAIN/LOGIN responses).  The input
 * is both raw bytes to encode and, as a C string, a client's response to
 * decode.  Checks: encode -> decode gives the bytes back; a decode that
 * succeeds re-encodes to text that decodes to the same bytes; both work
 * into buffers of exactly the needed size (heap-allocated, so ASan sees
 * any overrun) and refuse one byte less.
 */
#include "fuzz_util.h"

#include "base64.h"

/* decode s into a buffer of exactly cap bytes; the length or -1 */
static int
decode_into(const char *s, size_t cap, unsigned char **out)
{
	int n;

	*out = malloc(cap ? cap : 1);
	n = base64_decode(s, *out, cap);
	CHECK(n < 0 || (size_t)n <= cap);
	return n;
}

static void
check_encode(const uint8_t *data, size_t size)
{
	size_t need = (size + 2) / 3 * 4 + 1;
	char *text = malloc(need);
	unsigned char *back;
	int n;

	CHECK(base64_encode(data, size, text, need - 1) < 0);
	n = base64_encode(data, size, text, need);
	CHECK(n == (int)need - 1 && strlen(text) == need - 1);
	n = decode_into(text, size, &back);
	CHECK(n == (int)size && memcmp(back, data, size) == 0);
	free(back);
	if (size > 0) {
		CHECK(decode_into(text, size - 1, &back) < 0);
		free(back);
	}
	free(text);
}

static void
check_decode(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *text;
	unsigned char *raw, *again;
	size_t need;
	int n, m;

	memcpy(s, data, size);
	s[size] = '\0';
	if ((n = decode_into(s, strlen(s) / 4 * 3, &raw)) >= 0) {
		CHECK((size_t)n <= strlen(s) / 4 * 3);
		need = ((size_t)n + 2) / 3 * 4 + 1;
		text = malloc(need);
		CHECK(base64_encode(raw, (size_t)n, text, need) >= 0);
		m = decode_into(text, (size_t)n, &again);
		CHECK(m == n && memcmp(raw, again, (size_t)n) == 0);
		free(again);
		/* exactly n bytes of room is enough for the original too */
		CHECK(decode_into(s, (size_t)n, &again) == n);
		free(again);
		free(text);
	}
	free(raw);
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_encode(data, size);
	check_decode(data, size);
	return 0;
}
