/*
 * queue_admin.h - `smtpd -q`: list the queue, and the commands an admin
 * runs on it (postqueue's and postsuper's jobs):
 *   smtpd -q                  list queued, held and set-aside messages
 *   smtpd -q flush            SIGUSR1 to the master running the queue
 *   smtpd -q delete ID...     remove messages (queued, held, set aside)
 *   smtpd -q delete all       remove every one of them
 *   smtpd -q hold ID...       move env/ID to hold/ID: the relay skips it
 *   smtpd -q release ID...    move it back, due at once, and wake the relay
 * delete, hold and release are file operations: they work whether a
 * master runs or not, each under the message's lock (the one a relay
 * worker holds while it delivers), and refuse a message being delivered.
 */
#ifndef QUEUE_ADMIN_H
#define QUEUE_ADMIN_H

#include <stdio.h>

/*
 * Run `smtpd -q` with argv[0..argc) after -q (argc 0: list) on queue.
 * Run as root, it becomes the queue directory's owner (the run user)
 * first.  Returns the exit status: 0 done; 1 an unknown id, no master
 * to flush, or an error; 64 a bad command; 75 (EX_TEMPFAIL) a message
 * being delivered right now: try again.  Each line names its message.
 */
int queue_admin(const char *queue, int argc, char **argv);
/* print the queue, held messages, and what corrupt/ holds */
int queue_print(const char *queue, FILE *out);

#endif
