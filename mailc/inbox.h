/*
 * inbox.h - mailc inbox: list the messages in a POP3 mailbox (reader.h
 * has the command line, the defaults and the exit statuses).
 */
#ifndef INBOX_H
#define INBOX_H

/* argv[0] is "inbox"; returns an exit status */
int inbox_main(int argc, char **argv);

#endif
