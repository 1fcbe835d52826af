/* SPDX-License-Identifier: MIT */
#include "report_output.h"

#include <errno.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "json_value.h"

/* The rows a report shows. */
static size_t shown(const struct report_result *res)
{
        return res->top && res->top < res->n_rows ? res->top : res->n_rows;
}

/* A uid's decimal bytes as a number: 0, or -EBADMSG. */
static int parse_uid(const char *s, size_t len, uint32_t *ret)
{
        uint64_t n;
        int r = report_parse_decimal(s, len, UINT32_MAX, &n);

        if (r < 0)
                return r;
        *ret = (uint32_t)n;
        return 0;
}

/* The name of the user with that uid, or NULL. */
static const char *user_name(const struct report_result *res, const char *value, size_t len)
{
        struct passwd *pw;
        uint32_t uid;

        if (!res->resolve_users || parse_uid(value, len, &uid) < 0)
                return NULL;
        pw = getpwuid(uid);
        return pw ? pw->pw_name : NULL;
}

/* One cell, as text shows it, into out (ESCAPE_MAX(len) + 3 bytes). */
static void cell_text(const struct report_result *res, const struct report_row *row, unsigned column, char *out)
{
        const char *value, *name;
        size_t len;

        if (!report_key_part(row->key, row->key_len, column, &value, &len)) {
                strcpy(out, "-");
                return;
        }
        if (len == 0) {
                strcpy(out, "\"\"");
                return;
        }
        name = res->grouping->column[column].value == REPORT_VALUE_UID ? user_name(res, value, len) : NULL;
        if (name) {
                value = name;
                len = strlen(name);
        }
        out[escape_for_display(value, len, out)] = '\0';
}

/* Display columns of valid UTF-8 (each character one column: escape_for_display() leaves no control ones). */
static size_t width(const char *s)
{
        size_t w = 0;

        for (; *s; s++)
                w += ((unsigned char)*s & 0xc0) != 0x80;
        return w;
}

static size_t digits(uint64_t n)
{
        size_t d = 1;

        while (n >= 10) {
                n /= 10;
                d++;
        }
        return d;
}

/* The longest cell of each column, in a buffer large enough for any. */
static int cell_buffer(const struct report_result *res, char **ret)
{
        size_t longest = 256; /* a user name in place of a uid */

        for (size_t i = 0; i < shown(res); i++)
                if (res->rows[i]->key_len > longest)
                        longest = res->rows[i]->key_len;
        *ret = malloc(ESCAPE_MAX(longest) + 3);
        return *ret ? 0 : -ENOMEM;
}

int report_print_text(FILE *f, const struct report_result *res)
{
        const struct report_grouping *g = res->grouping;
        size_t n = shown(res), wo = digits(res->opens), we = digits(res->entries), wc[REPORT_KEY_PARTS] = { 0 };
        char *cell, total[128];
        int r;

        r = cell_buffer(res, &cell);
        if (r < 0)
                return r;
        if (wo < strlen("OPENS"))
                wo = strlen("OPENS");
        if (we < strlen("ENTRIES"))
                we = strlen("ENTRIES");
        for (unsigned c = 0; c < g->columns; c++) {
                wc[c] = strlen(g->column[c].heading);
                for (size_t i = 0; i < n; i++) {
                        cell_text(res, res->rows[i], c, cell);
                        if (width(cell) > wc[c])
                                wc[c] = width(cell);
                }
        }
        fprintf(f, "%*s  %*s", (int)wo, "OPENS", (int)we, "ENTRIES");
        for (unsigned c = 0; c < g->columns; c++)
                fprintf(f, "  %-*s", c + 1 < g->columns ? (int)wc[c] : 0, g->column[c].heading);
        fputc('\n', f);
        for (size_t i = 0; i < n; i++) {
                fprintf(f, "%*" PRIu64 "  %*" PRIu64, (int)wo, res->rows[i]->opens, (int)we, res->rows[i]->entries);
                for (unsigned c = 0; c < g->columns; c++) {
                        cell_text(res, res->rows[i], c, cell);
                        fprintf(f, "  %s", cell);
                        if (c + 1 < g->columns)
                                fprintf(f, "%*s", (int)(wc[c] - width(cell)), "");
                }
                fputc('\n', f);
        }
        if (n < res->n_rows)
                snprintf(total, sizeof(total), "total: %zu %s, the top %zu shown", res->n_rows,
                         res->n_rows == 1 ? g->name : g->plural, n);
        else
                snprintf(total, sizeof(total), "total: %zu %s", res->n_rows, res->n_rows == 1 ? g->name : g->plural);
        fprintf(f, "%*" PRIu64 "  %*" PRIu64 "  %s\n", (int)wo, res->opens, (int)we, res->entries, total);
        free(cell);
        return ferror(f) ? -EIO : 0;
}

static void json_cell(FILE *f, const struct report_result *res, const struct report_row *row, unsigned column)
{
        const struct report_column *col = &res->grouping->column[column];
        const char *value, *name;
        size_t len;
        uint32_t uid;

        fprintf(f, "\"%s\":", col->json);
        if (!report_key_part(row->key, row->key_len, column, &value, &len)) {
                fputs("null", f);
                if (col->value == REPORT_VALUE_UID)
                        fputs(",\"user\":null", f);
                return;
        }
        if (col->value != REPORT_VALUE_UID || parse_uid(value, len, &uid) < 0) {
                json_bytes(f, value, len);
                return;
        }
        fprintf(f, "%" PRIu32 ",\"user\":", uid);
        name = user_name(res, value, len);
        if (name)
                json_bytes(f, name, strlen(name));
        else
                fputs("null", f);
}

int report_print_json(FILE *f, const struct report_result *res)
{
        size_t n = shown(res);

        fprintf(f, "{\"by\":\"%s\",", res->grouping->name);
        if (res->grouping == report_grouping(REPORT_BY_PREFIX))
                fprintf(f, "\"depth\":%u,", res->depth);
        fprintf(f, "\"opens\":%" PRIu64 ",\"entries\":%" PRIu64 ",\"groups\":%zu,\"rows\":[", res->opens, res->entries,
                res->n_rows);
        for (size_t i = 0; i < n; i++) {
                fputs(i ? ",{" : "{", f);
                for (unsigned c = 0; c < res->grouping->columns; c++) {
                        json_cell(f, res, res->rows[i], c);
                        fputc(',', f);
                }
                fprintf(f, "\"opens\":%" PRIu64 ",\"entries\":%" PRIu64 "}", res->rows[i]->opens,
                        res->rows[i]->entries);
        }
        fputs("]}\n", f);
        return ferror(f) ? -EIO : 0;
}
