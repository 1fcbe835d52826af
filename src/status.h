/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_STATUS_H
#define OPENSNOOPD_STATUS_H

/*
 * Sends "STATUS=text" to $NOTIFY_SOCKET without ever blocking. sd_notify()
 * blocks when the receiver's queue is full, and the caller here is the perf
 * reader: a status line that cannot be sent now is skipped (the next one
 * follows a second later). Returns 0, -EAGAIN if skipped, 0 without a socket.
 */
int status_notify(const char *text);

#endif
