/*
 * read.h - mailc read N: print one message of a POP3 mailbox, and with
 * -d delete it (reader.h has the command line, the defaults and the exit
 * statuses).
 */
#ifndef READ_H
#define READ_H

/* argv[0] is "read"; returns an exit status */
int read_main(int argc, char **argv);

#endif
