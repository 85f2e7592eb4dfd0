/*
 * send.h - mailc's sending mode: the message on stdin to the recipients
 * of the command line (cmdline.h) and, with -t, of its own headers.
 */
#ifndef SEND_H
#define SEND_H

struct cmdline;

/* send one message as cl says; returns an exit status (sysexits.h) */
int send_main(const struct cmdline *cl);

#endif
