/* SPDX-License-Identifier: MIT */
#include "report_names.h"

#include <errno.h>
#include <string.h>

#include "escape.h"
#include "report_group.h"

enum column { COUNT, FIRST, OUTCOME, FLAGS, SYSCALL, PATH, ABS, NOTES, COLUMNS };

/* Whether a comma-separated list holds word. */
static bool has_word(const char *list, size_t len, const char *word)
{
        size_t w = strlen(word);

        for (size_t i = 0; i < len;) {
                const char *comma = memchr(list + i, ',', len - i);
                size_t end = comma ? (size_t)(comma - list) : len;

                if (end - i == w && memcmp(list + i, word, w) == 0)
                        return true;
                i = end + 1;
        }
        return false;
}

/* out: OPEN_PATH_MAX + 1 bytes. An escape is never shorter than what it stands for. */
static int unescape_path(const char *in, size_t len, char *out, size_t *out_len)
{
        static char scratch[ESCAPE_MAX(OPEN_PATH_MAX)];

        if (len >= sizeof(scratch) || unescape_display(in, len, scratch, out_len) < 0 || *out_len > OPEN_PATH_MAX)
                return -EBADMSG;
        memcpy(out, scratch, *out_len);
        out[*out_len] = '\0';
        return 0;
}

int report_name_next(const char *table, size_t len, size_t *pos, struct report_name *name)
{
        const char *col[COLUMNS];
        size_t col_len[COLUMNS], at = *pos, end;
        const char *newline;
        int c = 0;

        if (at >= len)
                return 0;
        newline = memchr(table + at, '\n', len - at);
        end = newline ? (size_t)(newline - table) : len;
        *pos = newline ? end + 1 : len;
        for (size_t i = at; c < COLUMNS; c++) {
                const char *tab = c < NOTES ? memchr(table + i, '\t', end - i) : NULL;
                size_t stop = tab ? (size_t)(tab - table) : end;

                if (c < NOTES && !tab)
                        return -EBADMSG;
                col[c] = table + i;
                col_len[c] = stop - i;
                i = stop + 1;
        }
        if (report_parse_decimal(col[COUNT], col_len[COUNT], UINT64_MAX, &name->count) < 0 || name->count == 0 ||
            report_parse_decimal(col[FIRST], col_len[FIRST], INT64_MAX, &name->first_usec) < 0 ||
            col_len[OUTCOME] == 0)
                return -EBADMSG;
        name->failed = col[OUTCOME][0] == 'E';
        name->has_path = !has_word(col[NOTES], col_len[NOTES], "no-path");
        name->has_abs = col_len[ABS] > 0;
        if (unescape_path(col[PATH], col_len[PATH], name->path, &name->path_len) < 0)
                return -EBADMSG;
        if (unescape_path(col[ABS], col_len[ABS], name->abs, &name->abs_len) < 0)
                return -EBADMSG;
        return 1;
}
