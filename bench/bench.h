/*
 * bench.h - what the two bench programs share: reading a numeric option
 * (K/M/G suffixes, as smtpd.conf sizes) within a range, or dying with a
 * message that names the option.
 */
#ifndef BENCH_H
#define BENCH_H

#include "log.h"
#include "util.h"

static long long
number_arg(const char *opt, const char *s, long long lo, long long hi)
{
	long long v = parse_size(s);

	if (v < lo || v > hi)
		fatalx("-%s: '%s' is not a number from %lld to %lld", opt, s,
		       lo, hi);
	return v;
}

#endif
