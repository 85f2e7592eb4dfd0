/*
 * spool.c - see spool.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "util.h"

#include "store/spool.h"

int
spool_create(const struct conf *c)
{
	char path[PATH_MAX];
	int fd;

	if (xsnprintf(path, sizeof(path), "%s/tmp/spool.XXXXXX", c->queue) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = mkstemp(path)) < 0)
		return -1;
	(void)unlink(path);
	return fd;
}
