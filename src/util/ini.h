/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_INI_H
#define OPENSNOOPD_INI_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The lexer of journald.conf-style files: "[Section]" lines, "Key=Value"
 * lines, '#' and ';' comments, blank lines; white space around keys and
 * values is dropped. It knows no keys: the caller's callbacks decide what a
 * section or an assignment means. Lines are numbered from 1.
 */
struct ini_handler {
        /* A section starts. Returns false to skip its assignments (unknown section). */
        bool (*section)(void *userdata, const char *name, unsigned line);
        /* One Key=Value inside a section that was accepted. -ENOMEM stops the parse. */
        int (*assignment)(void *userdata, const char *section, const char *key, const char *value, unsigned line);
        /* A line that is not valid syntax; the text says why. */
        void (*syntax_error)(void *userdata, unsigned line, const char *text);
};

/* Parses len bytes (need not be NUL-terminated). Returns 0, or -ENOMEM. */
int ini_parse(const char *text, size_t len, const struct ini_handler *h, void *userdata);

#endif
