/* SPDX-License-Identifier: MIT */
#include "report_journal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>

#include "fields.h"
#include "report_files.h"

/* Values past a path's 4095 bytes are not opensnoopd's; one this long is refused, never cut. */
#define DATA_THRESHOLD (65536 + 64)

/* The values of one entry: sd_journal_get_data()'s pointer lasts only until its next call. */
struct entry_buffers {
        struct report_entry e;
        char value[_REPORT_FIELD_MAX][DATA_THRESHOLD];
};

static int add_match(sd_journal *j, const char *field, const char *value)
{
        char *m;
        int r;

        if (asprintf(&m, "%s=%s", field, value) < 0)
                return -ENOMEM;
        r = sd_journal_add_match(j, m, 0);
        free(m);
        return r;
}

/* OPEN_ERRNO= present: a match of every value it takes in these files (journald indexes values, not names). */
static int add_failed_matches(sd_journal *j, size_t *n)
{
        const void *data;
        size_t len, count = 0, cap = 0;
        char **values = NULL;
        int r;

        r = sd_journal_query_unique(j, "OPEN_ERRNO");
        if (r < 0)
                return r;
        SD_JOURNAL_FOREACH_UNIQUE(j, data, len)
        {
                char **more;

                if (count == cap) {
                        cap = cap ? cap * 2 : 64;
                        more = realloc(values, cap * sizeof(*values));
                        if (!more) {
                                r = -ENOMEM;
                                goto out;
                        }
                        values = more;
                }
                values[count] = strndup(data, len);
                if (!values[count]) {
                        r = -ENOMEM;
                        goto out;
                }
                count++;
        }
        for (size_t i = 0; i < count && r >= 0; i++)
                r = sd_journal_add_match(j, values[i], 0);
out:
        for (size_t i = 0; i < count; i++)
                free(values[i]);
        free(values);
        *n = count;
        return r < 0 ? r : 0;
}

/* Files named are opened as given; a directory's or a namespace's, so that none is left out unsaid (report_files.h). */
static int open_journal(const struct report_query *q, sd_journal **j, struct report_skipped *skipped)
{
        char *ns_dirs[2];
        int r;

        if (q->files)
                return sd_journal_open_files(j, (const char **)q->files, 0);
        if (q->directory)
                return report_files_open((const char *const[]){ q->directory, NULL }, j, skipped);
        r = report_files_namespace_dirs(q->namespace, ns_dirs);
        if (r < 0)
                return r;
        r = report_files_open((const char *const[]){ ns_dirs[0], ns_dirs[1], NULL }, j, skipped);
        free(ns_dirs[0]);
        free(ns_dirs[1]);
        return r;
}

/* Matches: (OPEN_PATH=p OR OPEN_ABS_PATH=p) AND MESSAGE_ID AND OPEN_UNIT= AND (OPEN_ERRNO=a OR ...). */
static int add_matches(sd_journal *j, const struct report_query *q, bool *none)
{
        size_t errnos;
        int r = 0;

        *none = false;
        if (q->path) {
                r = add_match(j, "OPEN_PATH", q->path);
                if (r >= 0)
                        r = sd_journal_add_disjunction(j);
                if (r >= 0)
                        r = add_match(j, "OPEN_ABS_PATH", q->path);
                if (r >= 0)
                        r = sd_journal_add_conjunction(j);
        }
        if (r >= 0)
                r = sd_journal_add_match(j, "MESSAGE_ID=" OPENSNOOPD_MESSAGE_OPEN, 0);
        if (r >= 0 && q->unit)
                r = add_match(j, "OPEN_UNIT", q->unit);
        if (r >= 0 && q->failed) {
                r = add_failed_matches(j, &errnos);
                *none = errnos == 0;
        }
        return r < 0 ? r : 0;
}

static int read_field(sd_journal *j, enum report_field f, struct entry_buffers *b)
{
        size_t name = strlen(report_field_names[f]) + 1, len;
        const void *data;
        int r;

        r = sd_journal_get_data(j, report_field_names[f], &data, &len);
        if (r == -ENOENT) {
                b->e.value[f] = NULL;
                b->e.len[f] = 0;
                return 0;
        }
        if (r < 0)
                return r;
        if (len < name || len >= DATA_THRESHOLD)
                return -EBADMSG;
        len -= name;
        memcpy(b->value[f], (const char *)data + name, len);
        b->e.value[f] = b->value[f];
        b->e.len[f] = len;
        return 0;
}

/* Whether the entry at j is one to add: 1 with *opens and k filled, 0 to pass it over, or -errno. */
static int select_entry(sd_journal *j, const struct report_query *q, unsigned fields, struct entry_buffers *b,
                        uint64_t *opens, struct report_key *k)
{
        int64_t when;
        int r;

        for (unsigned f = 0; f < _REPORT_FIELD_MAX; f++)
                if (fields & 1u << f) {
                        r = read_field(j, f, b);
                        if (r < 0)
                                return r;
                }
        if (q->since_set || q->until_set) {
                r = report_entry_time(&b->e, &when);
                if (r < 0)
                        return r;
                if ((q->since_set && when < q->since) || (q->until_set && when >= q->until))
                        return 0;
        }
        if (q->path_prefix && !report_entry_under(&b->e, q->path_prefix, q->path_prefix_len))
                return 0;
        r = report_entry_count(&b->e, opens);
        if (r < 0)
                return r;
        r = report_entry_key(&b->e, q->by, q->depth, k);
        return r < 0 ? r : 1;
}

static int read_entries(sd_journal *j, const struct report_query *q, struct report_table *t, struct report_stats *stats,
                        struct entry_buffers *b, struct report_key *k)
{
        unsigned fields = report_fields_needed(q->by, q->path_prefix != NULL, q->since_set || q->until_set);
        uint64_t opens, stop = 0, journal_time;
        int r;

        if (q->until_set && q->until < INT64_MAX - REPORT_TIME_SLACK_USEC)
                stop = (uint64_t)(q->until + REPORT_TIME_SLACK_USEC);
        if (q->since_set && q->since > REPORT_TIME_SLACK_USEC)
                r = sd_journal_seek_realtime_usec(j, (uint64_t)(q->since - REPORT_TIME_SLACK_USEC));
        else
                r = sd_journal_seek_head(j);
        if (r < 0)
                return r;
        while ((r = sd_journal_next(j)) > 0) {
                if (stop && sd_journal_get_realtime_usec(j, &journal_time) >= 0 && journal_time > stop)
                        break;
                r = select_entry(j, q, fields, b, &opens, k);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        stats->unreadable++;
                        continue;
                }
                if (r == 0)
                        continue;
                r = report_table_add(t, k->buf, k->len, opens);
                if (r < 0)
                        return r;
        }
        return r;
}

int report_journal_read(const struct report_query *q, struct report_table *t, struct report_stats *stats,
                        const char **step)
{
        struct entry_buffers *b = NULL;
        struct report_key *k = NULL;
        sd_journal *j = NULL;
        bool none;
        int r;

        *step = "open the journal";
        r = open_journal(q, &j, &stats->skipped);
        if (r < 0)
                return r;
        *step = "set the journal's data threshold";
        r = sd_journal_set_data_threshold(j, DATA_THRESHOLD);
        if (r < 0)
                goto out;
        *step = "add the journal matches";
        r = add_matches(j, q, &none);
        if (r < 0 || none)
                goto out;
        *step = "allocate";
        b = calloc(1, sizeof(*b));
        k = malloc(sizeof(*k));
        if (!b || !k) {
                r = -ENOMEM;
                goto out;
        }
        *step = "read the journal";
        r = read_entries(j, q, t, stats, b, k);
out:
        free(k);
        free(b);
        sd_journal_close(j);
        return r < 0 ? r : 0;
}
