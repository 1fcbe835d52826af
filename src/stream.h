/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_STREAM_H
#define OPENSNOOPD_STREAM_H

#include <stdint.h>
#include <stdio.h>

#include "fields.h"

/*
 * The interactive outputs, to a stdio stream: --output=json prints one JSON
 * object per line with the journal's field names (a value that is not valid
 * UTF-8 becomes an array of byte values, as journalctl -o json does);
 * --output=text prints opensnoop's columns.
 */
int stream_write_json(FILE *out, const struct fields *f);

void stream_text_header(FILE *out);
/* start_boot_ns: when tracing started, for the TIME(s) column. */
int stream_write_text(FILE *out, const struct open_event *ev, uint64_t start_boot_ns);

#endif
