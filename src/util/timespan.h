/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_TIMESPAN_H
#define OPENSNOOPD_TIMESPAN_H

#include <stdint.h>
#include <stdio.h>

/*
 * A time span as systemd writes them ("500ms", "1min 30s", "1.5s", "2d";
 * units us, ms, s, min or m, h, d, w, M (30.44 days), y (365.25 days) and
 * their long names; a bare number is seconds; "0" and "no" are 0), in µs:
 * the configuration's, journald's and the report's. 0, or -EINVAL.
 */
int timespan_parse(const char *s, uint64_t *usec);

/* A span as timespan_parse() reads it back, in the largest unit that divides it ("no" for 0). */
void timespan_print(FILE *f, uint64_t usec);

#endif
