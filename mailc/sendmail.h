/*
 * sendmail.h - mailc run under the name sendmail: the command line of
 * Postfix's sendmail(1), so that cron, PHP, mail(1) and git send mail
 * through mailc the way they already do.
 */
#ifndef SENDMAIL_H
#define SENDMAIL_H

/* the name of the program as run (argv[0]'s last component) */
int sendmail_is_name(const char *argv0);
/* sendmail's whole run; returns an exit status (sysexits.h) */
int sendmail_main(int argc, char **argv);

#endif
