/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_LOG_H
#define OPENSNOOPD_LOG_H

#include <syslog.h>

/*
 * Diagnostics go to stderr. Under systemd stderr is a journal stream
 * ($JOURNAL_STREAM matches it): lines then carry a "<N>" priority prefix,
 * which journald understands; on a terminal they read "opensnoopd: ...".
 */
void log_setup(void);

__attribute__((format(printf, 2, 3))) void log_at(int priority, const char *fmt, ...);

/* Logs with ": <strerror>" appended and returns err (a negative errno). */
__attribute__((format(printf, 3, 4))) int log_errno_at(int priority, int err, const char *fmt, ...);

#define log_error(...)              log_at(LOG_ERR, __VA_ARGS__)
#define log_warning(...)            log_at(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)             log_at(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)               log_at(LOG_INFO, __VA_ARGS__)
#define log_error_errno(err, ...)   log_errno_at(LOG_ERR, (err), __VA_ARGS__)
#define log_warning_errno(err, ...) log_errno_at(LOG_WARNING, (err), __VA_ARGS__)

#endif
