/*
 * util.c - see util.h.  Portable POSIX only; strlcpy/strlcat are here
 * because glibc before 2.38 lacks them.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

size_t
strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size > 0) {
		size_t n = len < size - 1 ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

size_t
strlcat(char *dst, const char *src, size_t size)
{
	size_t dlen = strnlen(dst, size);

	if (dlen == size)
		return size + strlen(src);
	return dlen + strlcpy(dst + dlen, src, size - dlen);
}

int
xsnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		return -1;
	return n;
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		fatal("malloc");
	return p;
}

void *
xcalloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);

	if (p == NULL)
		fatal("calloc");
	return p;
}

void *
xreallocarray(void *p, size_t n, size_t m)
{
	if (m && n > SIZE_MAX / m)
		fatalx("xreallocarray: overflow");
	p = realloc(p, (n * m) != 0 ? n * m : 1);
	if (p == NULL)
		fatal("realloc");
	return p;
}

void *
nofork_array(void *p, size_t *cap, size_t n, size_t m)
{
	size_t want;
	void *q;

	if (n <= *cap)
		return p;
	want = n < 256 ? 256 : n;
	if (m == 0 || want > SIZE_MAX / 2 / m)
		fatalx("nofork_array: overflow");
	want *= 2;
	q = mmap(NULL, want * m, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q == MAP_FAILED)
		fatal("mmap");
#ifdef MADV_DONTFORK
	(void)madvise(q, want * m, MADV_DONTFORK);
#endif
	if (p != NULL)
		munmap(p, *cap * m);
	*cap = want;
	return q;
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		fatal("strdup");
	return p;
}

void
wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n--)
		*v++ = 0;
}

int
ct_compare(const void *a, size_t alen, const void *b, size_t blen)
{
	const unsigned char *x = a, *y = b;
	unsigned char diff = alen != blen;
	size_t i;

	/* walk the longer-independent length of b so timing leaks only blen */
	for (i = 0; i < blen; i++)
		diff |= (unsigned char)((i < alen ? x[i] : 0) ^ y[i]);
	return diff != 0;
}

int
file_read_line(FILE *fp, char *buf, size_t size, size_t *len)
{
	size_t n = 0;
	int ch, toolong = 0;

	while ((ch = getc(fp)) != EOF) {
		if (n + 1 < size)
			buf[n++] = (char)ch;
		else
			toolong = 1;
		if (ch == '\n')
			break;
	}
	buf[n] = '\0';
	*len = n;
	return toolong ? -1 : n > 0;
}

int
write_all(int fd, const void *buf, size_t len)
{
	struct iovec v;

	v.iov_base = (void *)buf;
	v.iov_len = len;
	return writev_all(fd, &v, 1);
}

int
writev_all(int fd, struct iovec *v, int n)
{
	/* the system's most at once (POSIX: at least 16; Linux: 1024) */
	static long most;

	if (most == 0 && ((most = sysconf(_SC_IOV_MAX)) <= 0 || most > INT_MAX))
		most = 16;
	while (n > 0) {
		ssize_t w = writev(fd, v, n < most ? n : (int)most);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (w == 0 && v->iov_len > 0) {
			errno = EIO; /* no progress: never loop on it */
			return -1;
		}
		for (; n > 0 && (size_t)w >= v->iov_len; v++, n--)
			w -= (ssize_t)v->iov_len;
		if (n > 0) {
			v->iov_base = (char *)v->iov_base + w;
			v->iov_len -= (size_t)w;
		}
	}
	return 0;
}

int
mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	char *p;

	if (strlcpy(buf, path, sizeof(buf)) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		/* parents get the usual 0755, as mkdir -p gives them */
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
now_ms(void)
{
	return now_us() / 1000;
}

void
str_lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

int
str_ieq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return 0;
	return *a == *b;
}

int
str_iprefix(const char *s, const char *prefix)
{
	for (; *prefix; s++, prefix++)
		if (tolower((unsigned char)*s) !=
		    tolower((unsigned char)*prefix))
			return 0;
	return 1;
}

void
rfc5322_date(char *buf, size_t size, time_t t)
{
	static const char *days[] = {"Sun", "Mon", "Tue", "Wed",
				     "Thu", "Fri", "Sat"};
	static const char *months[] = {"Jan", "Feb", "Mar", "Apr",
				       "May", "Jun", "Jul", "Aug",
				       "Sep", "Oct", "Nov", "Dec"};
	struct tm tm, gm;
	long off;
	char sign = '+';

	localtime_r(&t, &tm);
	gmtime_r(&t, &gm);
	/* the offset from the two broken-down times, without tm_gmtoff */
	off = (tm.tm_hour - gm.tm_hour) * 60 + (tm.tm_min - gm.tm_min);
	if (tm.tm_yday != gm.tm_yday)
		off += (tm.tm_year > gm.tm_year ||
			(tm.tm_year == gm.tm_year && tm.tm_yday > gm.tm_yday))
			   ? 1440
			   : -1440;
	if (off < 0) {
		sign = '-';
		off = -off;
	}
	snprintf(buf, size, "%s, %d %s %d %02d:%02d:%02d %c%02ld%02ld",
		 days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
		 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, sign,
		 off / 60, off % 60);
}

static long long
parse_scaled(const char *s, const char *units, const long long *mult)
{
	char *end;
	long long v;
	const char *u;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || v < 0)
		return -1;
	if (*end == '\0')
		return v;
	if (end[1] != '\0' || (u = strchr(units, *end)) == NULL)
		return -1;
	if (v > LLONG_MAX / mult[u - units])
		return -1;
	return v * mult[u - units];
}

long long
parse_size(const char *s)
{
	static const long long m[] = {1024LL, 1024LL * 1024,
				      1024LL * 1024 * 1024};

	return parse_scaled(s, "KMG", m);
}

long long
parse_duration(const char *s)
{
	static const long long m[] = {1, 60, 3600, 86400};

	return parse_scaled(s, "smhd", m);
}
