/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_REPORT_TIME_H
#define OPENSNOOPD_REPORT_TIME_H

#include <stdint.h>

/*
 * opensnoopd-report's --since= and --until=: a time as journalctl takes it,
 * in microseconds since the epoch. now is the current time (µs); local time
 * is the TZ of the process. Accepted (and nothing else):
 *
 *   "2026-12-04 10:00:00", "2026-12-04 10:00", "2026-12-04" (midnight),
 *   the same with "T" for the space, "10:00:00" or "10:00" (today),
 *   each optionally followed by " UTC" (otherwise local time);
 *   "now", "today", "yesterday", "tomorrow" (midnight, local time);
 *   "@1764842400" (seconds since the epoch);
 *   "-1h", "+30min", "-1h30min", "2 days ago", "-90": a span before (-,
 *   "ago") or after (+) now, as timespan_parse() reads it (a bare
 *   number is seconds; units us, ms, s, min or m, h, d, w, M, y).
 *
 * Returns 0, or -EINVAL for anything else (a date that does not exist too).
 */
int report_time_parse(const char *s, int64_t now, int64_t *ret);

#endif
