/*
 * interactive.h - mailc -i (or mailc with no arguments on a terminal):
 * a person is asked for the server, then for each message, and sees the
 * whole SMTP conversation (DESIGN.md §3).
 */
#ifndef INTERACTIVE_H
#define INTERACTIVE_H

/* host and port are the offered defaults; returns an exit status */
int interactive_main(const char *host, const char *port);

#endif
