/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_NOTIFY_H
#define OPENSNOOPD_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The service manager's notification socket ($NOTIFY_SOCKET), as
 * sd_notify() uses it, but never blocking for long: sd_notify() waits as
 * long as the receiver's queue is full, and a stuck PID 1 must not stall us.
 *
 * State changes (READY=1, RELOADING=1, STOPPING=1) wait up to a second for
 * room; STATUS= lines never wait: one that cannot be sent at once is
 * dropped, and a newer one follows. Without $NOTIFY_SOCKET all of them are
 * no-ops. Each returns 0, or -errno (-EAGAIN: dropped or timed out).
 */
int notify_ready(void);
int notify_reloading(void);
/* STOPPING=1; extend_ms > 0 also asks for that long to stop (EXTEND_TIMEOUT_USEC=, systemd 236 and later). */
int notify_stopping(unsigned extend_ms);
int notify_status(const char *text);

/* The service manager's watchdog interval ($WATCHDOG_USEC, for this process), or 0 when there is none. */
uint64_t notify_watchdog_usec(void);
/* WATCHDOG=1: never waits (a ping that cannot be sent at once is dropped; the next one follows). */
int notify_watchdog(void);

#endif
