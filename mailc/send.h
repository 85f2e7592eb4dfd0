/*
 * send.h - mailc's sending mode: the message on stdin to the recipients
 * of the command line and, with -t, of its own headers.
 */
#ifndef SEND_H
#define SEND_H

/* mailc [options] rcpt... < message; returns an exit status (sysexits.h) */
int send_main(int argc, char **argv);

#endif
