/*
 * fetch.h - mailc fetch DIR: download a POP3 mailbox into the local
 * Maildir DIR, durably and never twice, and with -d empty it (reader.h
 * has the command line, the defaults and the exit statuses).
 */
#ifndef FETCH_H
#define FETCH_H

/* argv[0] is "fetch"; returns an exit status */
int fetch_main(int argc, char **argv);

#endif
