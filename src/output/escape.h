/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_ESCAPE_H
#define OPENSNOOPD_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>

/* Worst case of escape_for_display(): every byte becomes "\xNN". */
#define ESCAPE_MAX(n) ((n)*4 + 1)

/*
 * Makes bytes safe for a one-line human display (MESSAGE=, text output):
 * printable UTF-8 is kept, a backslash doubles, \n and \t become "\n" and
 * "\t", every other control character (C0, DEL, C1) and every byte of
 * invalid UTF-8 becomes "\xNN", and characters that change how text reads
 * without showing (bidirectional controls such as U+202E, U+2028, zero-width
 * and other invisible ones such as U+200B, U+FEFF, U+00AD) become "\u202e"
 * (or "\U000e0001"). The result is valid UTF-8 without control or invisible
 * characters. out must hold ESCAPE_MAX(len) bytes; returns the length.
 */
size_t escape_for_display(const char *in, size_t len, char *out);

/*
 * The same, between double quotes, with a quote inside written \": where a
 * value sits inside a sentence (MESSAGE=), nothing in it can pass for the
 * words around it. out must hold ESCAPE_QUOTED_MAX(len) bytes.
 */
#define ESCAPE_QUOTED_MAX(n) (ESCAPE_MAX(n) + 2)
size_t escape_quoted(const char *in, size_t len, char *out);

/*
 * The bytes escape_for_display() was given, from what it made of them (len
 * bytes at in): "\\", "\n", "\t", "\xNN", "\uNNNN" and "\UNNNNNNNN" undone.
 * out must hold len bytes. 0 with *out_len set, or -EBADMSG for text that
 * escape_for_display() does not make (a lone backslash, a bad escape).
 */
int unescape_display(const char *in, size_t len, char *out, size_t *out_len);

/* True when the bytes are well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF). */
bool utf8_is_valid(const char *in, size_t len);

#endif
