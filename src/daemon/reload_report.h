/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_RELOAD_REPORT_H
#define OPENSNOOPD_RELOAD_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * How a reload ended, for the command that asked for it: `systemctl reload`
 * runs `opensnoopd --reload=PID` (ExecReload=), which signals the daemon and
 * returns only once the daemon has written the report of a reload that began
 * after its signal, with the daemon's own verdict. So the reload job fails on
 * a configuration the daemon refused, and succeeds only once the new one is
 * in force. The report is one line, "PID STARTED_USEC RESULT MESSAGE", in the
 * runtime directory systemd gives the unit (RuntimeDirectory=, root's 0755):
 * no other user can forge it.
 */
struct reload_report {
        pid_t pid;             /* the daemon that wrote it */
        uint64_t started_usec; /* CLOCK_MONOTONIC when the reload began: a signal sent before it was seen */
        int result;            /* 0: in force; else the negative errno of the failure */
        char message[512];     /* one line: what changed, or why not */
};

#define RELOAD_REPORT_NAME "reload"

/* Formats r as its one line (with the newline); returns its length, or -ENOBUFS. */
int reload_report_format(const struct reload_report *r, char *buf, size_t size);
/* Parses one line as reload_report_format() writes it; -EINVAL if it is not one. */
int reload_report_parse(const char *line, struct reload_report *r);

/* Writes r into dir/reload atomically (a new file renamed over the old). */
int reload_report_write(const char *dir, const struct reload_report *r);
/* Reads dir/reload; -ENOENT if there is none yet. */
int reload_report_read(const char *dir, struct reload_report *r);

/*
 * The asking side: sends SIGHUP to pid and waits, up to timeout_ms, for pid's
 * report of a reload that began after the signal, into r. Returns 0 with the
 * report (its result is the daemon's verdict), -ESRCH if there is no such
 * process, -ETIMEDOUT if no report came.
 */
int reload_report_request(pid_t pid, const char *dir, int timeout_ms, struct reload_report *r);

#endif
