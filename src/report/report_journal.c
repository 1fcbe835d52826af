/* SPDX-License-Identifier: MIT */
#include "report_journal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>

#include "fields.h"
#include "report_files.h"
#include "report_names.h"

/* Values past a path's 4095 bytes are not opensnoopd's; one this long is refused, never cut. */
#define DATA_THRESHOLD (65536 + 64)
/* OPEN_FILES= of an entry of many names: at most what an entry holds */
#define FILES_THRESHOLD (sizeof(((struct fields *)0)->buf) + 64)

/* The values of one entry: sd_journal_get_data()'s pointer lasts only until its next call. */
struct entry_buffers {
        struct report_entry e;
        char value[_REPORT_FIELD_MAX][DATA_THRESHOLD];
        char files[FILES_THRESHOLD]; /* OPEN_FILES=, if the entry has it */
        size_t files_len;
        bool has_files;
        struct report_name name;
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

/* OPEN_FILES=: an entry of many names has it (report_names.h). */
static int read_files(sd_journal *j, struct entry_buffers *b)
{
        static const char name[] = "OPEN_FILES=";
        const void *data;
        size_t len;
        int r = sd_journal_get_data(j, "OPEN_FILES", &data, &len);

        b->has_files = false;
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (len < sizeof(name) - 1 || len - (sizeof(name) - 1) >= sizeof(b->files))
                return -EBADMSG;
        b->files_len = len - (sizeof(name) - 1);
        memcpy(b->files, (const char *)data + sizeof(name) - 1, b->files_len);
        b->has_files = true;
        return 0;
}

/* The fields of the entry at j that the query reads. 0 or -errno. */
static int read_entry(sd_journal *j, unsigned fields, struct entry_buffers *b)
{
        int r;

        for (unsigned f = 0; f < _REPORT_FIELD_MAX; f++)
                if (fields & 1u << f) {
                        r = read_field(j, f, b);
                        if (r < 0)
                                return r;
                }
        return read_files(j, b);
}

/* Whether opens first made after offset_usec past the entry's first are in --since/--until: 1, 0, -EBADMSG. */
static int in_time(const struct report_query *q, const struct report_entry *e, uint64_t offset_usec)
{
        int64_t when;

        if (!q->since_set && !q->until_set)
                return 1;
        if (report_entry_time(e, &when) < 0 || offset_usec > (uint64_t)(INT64_MAX - when))
                return -EBADMSG;
        when += (int64_t)offset_usec;
        return !((q->since_set && when < q->since) || (q->until_set && when >= q->until));
}

/* An entry of one name: its opens to its group, if --since/--until and --path-prefix= take it. */
static int add_one(const struct report_query *q, struct entry_buffers *b, struct report_key *k,
                   struct report_table *t, uint64_t entry)
{
        uint64_t opens;
        int r = in_time(q, &b->e, 0);

        if (r <= 0)
                return r;
        if (q->path_prefix && !report_entry_under(&b->e, q->path_prefix, q->path_prefix_len))
                return 0;
        r = report_entry_count(&b->e, &opens);
        if (r == 0)
                r = report_entry_key(&b->e, q->by, q->depth, k);
        return r < 0 ? r : report_table_add(t, k->buf, k->len, opens, entry);
}

/* Whether a name of an entry of many is one the query selects (the journal's matches took the whole entry). */
static bool name_selected(const struct report_query *q, const struct report_entry *e, const struct report_name *n)
{
        size_t path_len = q->path ? strlen(q->path) : 0;

        if (in_time(q, e, n->first_usec) <= 0)
                return false;
        if (q->path && !(n->has_path && n->path_len == path_len && memcmp(n->path, q->path, path_len) == 0) &&
            !(n->has_abs && n->abs_len == path_len && memcmp(n->abs, q->path, path_len) == 0))
                return false;
        if (q->failed && !n->failed)
                return false;
        return !q->path_prefix || report_entry_under(e, q->path_prefix, q->path_prefix_len);
}

/*
 * An entry of many names: each line of its OPEN_FILES= is a name with its
 * own count and path, the rest the entry's. All of its lines are read
 * before any is added: an entry is counted whole, or (-EBADMSG) not at all.
 */
static int add_names(const struct report_query *q, struct entry_buffers *b, struct report_key *k,
                     struct report_table *t, uint64_t entry)
{
        for (int pass = 0; pass < 2; pass++) {
                size_t pos = 0;
                int r;

                while ((r = report_name_next(b->files, b->files_len, &pos, &b->name)) > 0) {
                        struct report_entry e = b->e;

                        if (pass == 0) {
                                if (in_time(q, &e, b->name.first_usec) < 0)
                                        return -EBADMSG;
                                continue;
                        }
                        e.value[REPORT_FIELD_PATH] = b->name.has_path ? b->name.path : NULL;
                        e.len[REPORT_FIELD_PATH] = b->name.path_len;
                        e.value[REPORT_FIELD_ABS_PATH] = b->name.has_abs ? b->name.abs : NULL;
                        e.len[REPORT_FIELD_ABS_PATH] = b->name.abs_len;
                        if (!name_selected(q, &e, &b->name))
                                continue;
                        r = report_entry_key(&e, q->by, q->depth, k);
                        if (r == 0)
                                r = report_table_add(t, k->buf, k->len, b->name.count, entry);
                        if (r < 0)
                                return r;
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

static int read_entries(sd_journal *j, const struct report_query *q, struct report_table *t, struct report_stats *stats,
                        struct entry_buffers *b, struct report_key *k)
{
        unsigned fields = report_fields_needed(q->by, q->path_prefix != NULL, q->since_set || q->until_set);
        uint64_t stop = 0, journal_time, entry = 0;
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
                r = read_entry(j, fields, b);
                if (r == 0)
                        r = b->has_files ? add_names(q, b, k, t, ++entry) : add_one(q, b, k, t, ++entry);
                if (r == -ENOMEM || r == -EOVERFLOW)
                        return r;
                if (r < 0)
                        stats->unreadable++;
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
        r = sd_journal_set_data_threshold(j, FILES_THRESHOLD);
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
