/*
 * flush.h - `mailc flush [-v] [-H host] [-p port] [-u user]`: send what
 * waits in the outbox (outbox.h), with the settings of config.h.
 */
#ifndef FLUSH_H
#define FLUSH_H

/* argv[0] is "flush"; returns an exit status, as outbox_flush() */
int flush_main(int argc, char **argv);

#endif
