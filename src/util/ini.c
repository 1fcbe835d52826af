/* SPDX-License-Identifier: MIT */
#include "ini.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *trim(char *s)
{
        char *end;

        while (isspace((unsigned char)*s))
                s++;
        end = s + strlen(s);
        while (end > s && isspace((unsigned char)end[-1]))
                *--end = '\0';
        return s;
}

__attribute__((format(printf, 4, 5))) static void syntax_error(const struct ini_handler *h, void *userdata,
                                                               unsigned line, const char *fmt, ...)
{
        char text[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(text, sizeof(text), fmt, ap);
        va_end(ap);
        h->syntax_error(userdata, line, text);
}

/* One line, NUL-terminated and writable. */
static int parse_line(char *s, unsigned line, char *section, size_t section_size, bool *skip,
                      const struct ini_handler *h, void *userdata)
{
        char *eq, *close;

        s = trim(s);
        if (*s == '\0' || *s == '#' || *s == ';')
                return 0;
        if (*s == '[') {
                close = strchr(s, ']');
                if (!close || close[1] != '\0' || close == s + 1 || (size_t)(close - s) > section_size) {
                        syntax_error(h, userdata, line, "'%s': not a [Section] line", s);
                        section[0] = '\0';
                        *skip = true;
                        return 0;
                }
                *close = '\0';
                snprintf(section, section_size, "%s", s + 1);
                *skip = !h->section(userdata, section, line);
                return 0;
        }
        eq = strchr(s, '=');
        if (!eq) {
                syntax_error(h, userdata, line, "'%s': not a Key=Value line", s);
                return 0;
        }
        if (*skip)
                return 0;
        *eq = '\0';
        if (section[0] == '\0') {
                syntax_error(h, userdata, line, "%s= is outside any section", trim(s));
                return 0;
        }
        return h->assignment(userdata, section, trim(s), trim(eq + 1), line);
}

int ini_parse(const char *text, size_t len, const struct ini_handler *h, void *userdata)
{
        char section[64] = "";
        bool skip = false;
        unsigned line = 0;

        for (size_t at = 0; at < len;) {
                const char *nl = memchr(text + at, '\n', len - at);
                size_t line_len = nl ? (size_t)(nl - (text + at)) : len - at;
                char *copy;
                int r;

                line++;
                if (memchr(text + at, '\0', line_len)) {
                        h->syntax_error(userdata, line, "line contains a NUL byte");
                        at += line_len + 1;
                        continue;
                }
                copy = strndup(text + at, line_len);
                at += line_len + 1;
                if (!copy)
                        return -ENOMEM;
                r = parse_line(copy, line, section, sizeof(section), &skip, h, userdata);
                free(copy);
                if (r == -ENOMEM)
                        return r;
        }
        return 0;
}
