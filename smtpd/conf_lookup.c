/*
 * conf_lookup.c - see conf_lookup.h.  Read-only questions asked of a
 * parsed config at every RCPT and delivery; conf.c only builds it.
 */
#include <ctype.h>
#include <string.h>

#include "addr.h"
#include "util.h"

#include "conf_lookup.h"

int
conf_is_local(const struct conf *c, const char *domain)
{
	int i;

	for (i = 0; i < c->ndomains; i++)
		if (str_ieq(c->domains[i], domain))
			return 1;
	return 0;
}

const struct route *
conf_route(const struct conf *c, const char *domain)
{
	const struct route *star = NULL;
	int i;

	for (i = 0; i < c->nroutes; i++) {
		if (str_ieq(c->routes[i].domain, domain))
			return &c->routes[i];
		if (strcmp(c->routes[i].domain, "*") == 0 && star == NULL)
			star = &c->routes[i];
	}
	return star;
}

int
conf_dest(const struct conf *c, const char *domain, char *buf, size_t size)
{
	const struct route *rt = conf_route(c, domain);
	size_t i;

	if (rt != NULL && !rt->mx)
		return xsnprintf(buf, size, "[%s]:%s", rt->host, rt->port) < 0
			   ? -1
			   : 0;
	if (strlcpy(buf, domain, size) >= size)
		return -1;
	for (i = 0; buf[i]; i++)
		buf[i] = (char)tolower((unsigned char)buf[i]);
	return 0;
}

/* a path component from an address part: no "/", no "..", no controls */
static int
safe_component(const char *s)
{
	if (*s == '\0' || strcmp(s, ".") == 0 || strcmp(s, "..") == 0 ||
	    s[0] == '.')
		return 0;
	for (; *s; s++)
		if (*s == '/' || iscntrl((unsigned char)*s) || *s == ' ')
			return 0;
	return 1;
}

int
conf_mailbox(const struct conf *c, const char *local, const char *domain,
	     char *buf, size_t size)
{
	char u[ADDR_LOCAL_MAX + 1], d[ADDR_DOMAIN_MAX + 1];
	const char *t;
	size_t n = 0;

	if (strlcpy(u, local, sizeof(u)) >= sizeof(u) ||
	    strlcpy(d, domain, sizeof(d)) >= sizeof(d))
		return -1;
	str_lower(u);
	str_lower(d);
	if (!safe_component(u) || !safe_component(d))
		return -1;
	for (t = c->mailbox; *t; t++) {
		const char *ins = NULL;
		char one[2] = {*t, '\0'};
		if (t[0] == '%' && t[1] == 'u')
			ins = u;
		else if (t[0] == '%' && t[1] == 'd')
			ins = d;
		if (ins)
			t++;
		else
			ins = one;
		if (n + strlen(ins) >= size)
			return -1;
		memcpy(buf + n, ins, strlen(ins) + 1);
		n += strlen(ins);
	}
	return 0;
}

void
conf_mailbox_root(const struct conf *c, char *buf, size_t size)
{
	char *pct, *slash;

	strlcpy(buf, c->mailbox, size);
	if ((pct = strchr(buf, '%')) != NULL)
		*pct = '\0';
	if ((slash = strrchr(buf, '/')) != NULL)
		slash[slash == buf ? 1 : 0] = '\0';
}

int
conf_relay_client(const struct conf *c, const char *ip)
{
	int i;

	for (i = 0; i < c->nrelay_from; i++)
		if (cidr_match(&c->relay_from[i], ip))
			return 1;
	return 0;
}
