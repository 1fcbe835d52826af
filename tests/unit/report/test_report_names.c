/* SPDX-License-Identifier: MIT */
/*
 * An entry of many names, as a report reads it: each line of OPEN_FILES= as
 * fields.c writes it gives back the name's count, outcome and paths exactly;
 * a line opensnoopd does not write is refused whole.
 */
#include "test_helpers.h"

#include <errno.h>
#include <fcntl.h>

#include "fields.h"
#include "report_names.h"
#include "report_table.h"

static struct fields f;
static struct report_name name;
static struct open_event names_ev[3];
static struct open_fold names_fold[3];

static void name_at(const void *src, size_t i, struct open_event *out, struct open_fold *fold)
{
        (void)src;
        *out = names_ev[i];
        *fold = names_fold[i];
}

static struct open_event event(const char *path, size_t path_len, const char *abs, size_t abs_len, int64_t result)
{
        struct open_event ev = { .pid = 7, .tid = 7, .uid = 0, .flags = O_RDONLY, .result = result,
                                 .dirfd = AT_FDCWD, .syscall = 2 };

        strcpy(ev.comm, "make");
        memcpy(ev.path, path, path_len);
        ev.path_len = (uint16_t)path_len;
        if (abs) {
                memcpy(ev.path + path_len + 1, abs, abs_len);
                ev.abs_len = (uint16_t)abs_len;
                ev.event_flags = OPEN_EVENT_ABS;
        }
        return ev;
}

/* OPEN_FILES= of the entry fields_from_names() made. */
static const char *table(size_t *len)
{
        for (size_t i = 0; i < f.n; i++) {
                size_t name_len;
                const char *v = fields_value(&f, i, &name_len, len);

                if (name_len == 10 && memcmp(f.iov[i].iov_base, "OPEN_FILES", 10) == 0)
                        return v;
        }
        fail_msg("no OPEN_FILES=");
        return NULL;
}

static void test_lines_give_back_each_name(void **state)
{
        static struct open_event scratch;
        static const char odd[] = "a\tb\nc\\x41 \"q\"\xff\xe2\x80\xae";
        struct open_names names = { .n = 3, .name = name_at, .ev = &scratch };
        struct fields_options o = { .priority = 6, .failure_priority = 5 };
        const char *t;
        size_t len, pos = 0;

        (void)state;
        names_ev[0] = event("/etc/passwd", 11, NULL, 0, 3);
        names_fold[0] = (struct open_fold){ 5, 1000, 2000, 0 };
        names_ev[1] = event(odd, sizeof(odd) - 1, "/srv/x", 6, -ENOENT);
        names_fold[1] = (struct open_fold){ 2, 3001000, 3002000, 0 };
        names_ev[2] = event("", 0, NULL, 0, -512); /* an empty path, interrupted */
        names_fold[2] = (struct open_fold){ 1, 5000, 5000, 0 };
        assert_int_equal(fields_from_names(&f, &names, NULL, &o), 0);
        t = table(&len);

        assert_int_equal(report_name_next(t, len, &pos, &name), 1);
        assert_int_equal(name.count, 5);
        assert_false(name.failed);
        assert_true(name.has_path);
        assert_false(name.has_abs);
        assert_string_equal(name.path, "/etc/passwd");

        assert_int_equal(name.first_usec, 0);
        assert_int_equal(report_name_next(t, len, &pos, &name), 1);
        assert_int_equal(name.count, 2);
        assert_int_equal(name.first_usec, 3000);
        assert_true(name.failed);
        assert_int_equal(name.path_len, sizeof(odd) - 1);
        assert_memory_equal(name.path, odd, sizeof(odd) - 1);
        assert_true(name.has_abs);
        assert_string_equal(name.abs, "/srv/x");

        assert_int_equal(report_name_next(t, len, &pos, &name), 1);
        assert_int_equal(name.count, 1);
        assert_false(name.failed); /* interrupted: not a failure the program saw */
        assert_true(name.has_path);
        assert_int_equal(name.path_len, 0);
        assert_int_equal(report_name_next(t, len, &pos, &name), 0);
}

static void test_bad_lines_are_refused(void **state)
{
        static const char *const bad[] = {
                "",                                   /* no columns */
                "5\t0\t3\tO_RDONLY\topenat\t/a\t",       /* seven columns */
                "0\t0\t3\tO_RDONLY\topenat\t/a\t\t",     /* a count of none */
                "x\t0\t3\tO_RDONLY\topenat\t/a\t\t",     /* not a count */
                "5\t-1\t3\tO_RDONLY\topenat\t/a\t\t",    /* not a time */
                "5\t0\t\tO_RDONLY\topenat\t/a\t\t",      /* no outcome */
                "5\t0\t3\tO_RDONLY\topenat\t/a\\q\t\t",  /* an escape fields.c never writes */
                "5\t0\t3\tO_RDONLY\topenat\t/a\\\t\t",   /* a lone backslash */
        };
        size_t pos;

        (void)state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                pos = 0;
                if (strlen(bad[i]) == 0)
                        continue; /* an empty table has no line: 0, below */
                assert_int_equal(report_name_next(bad[i], strlen(bad[i]), &pos, &name), -EBADMSG);
        }
        pos = 0;
        assert_int_equal(report_name_next("", 0, &pos, &name), 0);
        /* a tab in the notes column is the notes' own */
        pos = 0;
        {
                static const char line[] = "5\t0\t3\tO_RDONLY\topenat\t/a\t\tmode=0644\tx";

                assert_int_equal(report_name_next(line, sizeof(line) - 1, &pos, &name), 1);
        }
}

/* An entry adds to a group once, however many of its names go there. */
static void test_an_entry_counts_once_a_group(void **state)
{
        struct report_table *t = report_table_new();
        uint64_t opens, entries;
        size_t groups;

        (void)state;
        assert_non_null(t);
        assert_int_equal(report_table_add(t, "a", 1, 5, 1), 0);
        assert_int_equal(report_table_add(t, "a", 1, 2, 1), 0);
        assert_int_equal(report_table_add(t, "b", 1, 1, 1), 0);
        assert_int_equal(report_table_add(t, "a", 1, 1, 2), 0);
        report_table_totals(t, &opens, &entries, &groups);
        assert_int_equal(opens, 9);
        assert_int_equal(entries, 2);
        assert_int_equal(groups, 2);
        report_table_free(t);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_lines_give_back_each_name),
                cmocka_unit_test(test_bad_lines_are_refused),
                cmocka_unit_test(test_an_entry_counts_once_a_group),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
