/*
 * spool.h - where a message waits between its last byte and its
 * delivery: an unlinked file in the queue's tmp/, so a crash leaves no
 * name behind and memory stays bounded whatever the message's size.
 * The SMTP session (DATA) and the relay child (bounces) write one, then
 * hand its descriptor to deliver().
 */
#ifndef SPOOL_H
#define SPOOL_H

#include "conf.h"

/* a new, already unlinked spool file open for reading and writing; -1 */
int spool_create(const struct conf *c);

#endif
