/*
 * util.h - small helpers every program here needs: checked string copies,
 * write-all, mkdir -p, monotonic time, secret wiping.
 * Nothing here allocates except xstrdup/xmalloc, which die on failure.
 */
#ifndef UTIL_H
#define UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define nitems(a) (sizeof(a) / sizeof((a)[0]))

size_t strlcpy(char *dst, const char *src, size_t size);
size_t strlcat(char *dst, const char *src, size_t size);
/* snprintf that returns -1 on truncation or error, else the length */
int xsnprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xreallocarray(void *p, size_t n, size_t m);
/*
 * Room for at least n elements of size m in memory that a fork does not
 * copy (MADV_DONTFORK where there is one): for a parent's scratch arrays
 * that no child uses.  p and *cap: the array so far (NULL, 0 at first);
 * its contents are not kept when it grows.
 */
void *nofork_array(void *p, size_t *cap, size_t n, size_t m);
char *xstrdup(const char *s);

/* wipe memory the compiler may not optimise away (passwords) */
void wipe(void *p, size_t n);
/* constant-time comparison of two byte strings, 0 when equal */
int ct_compare(const void *a, size_t alen, const void *b, size_t blen);

/*
 * Read one line of a config-like file into buf (LF kept, NUL-terminated),
 * its length in *len counting any NUL bytes, which fgets() would hide.
 * 1 for a line, 0 at the end of the file, -1 for a line longer than
 * size - 1 (the rest of it is read and dropped).
 */
int file_read_line(FILE *fp, char *buf, size_t size, size_t *len);
/* write the whole buffer, retrying on EINTR and short writes; 0 or -1 */
int write_all(int fd, const void *buf, size_t len);
/*
 * writev(2) until all of v[0..n) is written (EINTR retried); 0 or -1.
 * The iovecs are used up: edited as the writes go.
 */
struct iovec;
int writev_all(int fd, struct iovec *v, int n);
/* mkdir -p: missing parents get 0755, path itself mode; 0 or -1 */
int mkdir_p(const char *path, mode_t mode);

/* micro- and milliseconds on the monotonic clock */
int64_t now_us(void);
int64_t now_ms(void);
/* lower-case an ASCII string in place */
void str_lower(char *s);
/* case-insensitive ASCII comparisons */
int str_ieq(const char *a, const char *b);
int str_iprefix(const char *s, const char *prefix);
/* RFC 5322 date of t in local time: "Sun, 22 Nov 2026 04:17:40 +0000" */
void rfc5322_date(char *buf, size_t size, time_t t);
/* parse a size with K/M/G suffix, or a duration with s/m/h/d; -1 on error */
long long parse_size(const char *s);
long long parse_duration(const char *s);

#endif
