/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_JSON_VALUE_H
#define OPENSNOOPD_JSON_VALUE_H

#include <stddef.h>
#include <stdio.h>

/* A JSON string of bytes, escaped ("\"", "\\", "\n", "\u001b"); the bytes must be valid UTF-8. */
void json_string(FILE *out, const char *s, size_t len);

/*
 * A journal value as JSON, as journalctl -o json writes it: a string if the
 * bytes are valid UTF-8, else an array of the byte values ([255,47]).
 */
void json_bytes(FILE *out, const char *s, size_t len);

#endif
