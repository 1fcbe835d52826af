/* SPDX-License-Identifier: MIT */
#include "test_helpers.h"

#include "report_group.h"
#include "report_output.h"
#include "report_table.h"

static struct report_key key;

static void set(struct report_entry *e, enum report_field f, const char *value)
{
        e->value[f] = value;
        e->len[f] = value ? strlen(value) : 0;
}

/* An entry of OPEN_COMM=comm OPEN_UID=uid OPEN_UNIT=unit OPEN_PATH=path (OPEN_ABS_PATH=abs) OPEN_COUNT=count. */
static struct report_entry entry(const char *comm, const char *uid, const char *unit, const char *path, const char *abs,
                                 const char *count)
{
        struct report_entry e = { 0 };

        set(&e, REPORT_FIELD_COMM, comm);
        set(&e, REPORT_FIELD_UID, uid);
        set(&e, REPORT_FIELD_UNIT, unit);
        set(&e, REPORT_FIELD_PATH, path);
        set(&e, REPORT_FIELD_ABS_PATH, abs);
        set(&e, REPORT_FIELD_COUNT, count);
        return e;
}

static void add(struct report_table *t, const struct report_entry *e, enum report_by by, unsigned depth)
{
        static uint64_t entry;
        uint64_t n;

        assert_int_equal(report_entry_count(e, &n), 0);
        assert_int_equal(report_entry_key(e, by, depth, &key), 0);
        assert_int_equal(report_table_add(t, key.buf, key.len, n, ++entry), 0);
}

static void test_key_parts_absent_and_empty_differ(void **state)
{
        const char *v;
        size_t len;

        (void)state;
        report_key_reset(&key);
        assert_int_equal(report_key_add(&key, "cat", 3), 0);
        assert_int_equal(report_key_add(&key, NULL, 0), 0);
        assert_int_equal(report_key_add(&key, "", 0), 0);
        assert_int_equal(report_key_add(&key, "x", 1), -E2BIG);
        assert_true(report_key_part(key.buf, key.len, 0, &v, &len));
        assert_int_equal(len, 3);
        assert_memory_equal(v, "cat", 3);
        assert_false(report_key_part(key.buf, key.len, 1, &v, &len));
        assert_true(report_key_part(key.buf, key.len, 2, &v, &len));
        assert_int_equal(len, 0);
        assert_false(report_key_part(key.buf, key.len, 3, &v, &len));
}

static void test_sums_open_count_and_counts_entries(void **state)
{
        struct report_table *t = report_table_new();
        struct report_entry a = entry("cat", "0", "a.service", "/etc/passwd", NULL, "5"),
                            b = entry("cat", "0", "a.service", "/etc/passwd", NULL, NULL), /* no OPEN_COUNT: 1 */
                c = entry("ls", "1000", NULL, "/etc/group", NULL, "12");
        const struct report_row **rows;
        uint64_t opens, entries;
        size_t n, groups;

        (void)state;
        assert_non_null(t);
        add(t, &a, REPORT_BY_UNIT, 0);
        add(t, &b, REPORT_BY_UNIT, 0);
        add(t, &c, REPORT_BY_UNIT, 0);
        report_table_totals(t, &opens, &entries, &groups);
        assert_int_equal(opens, 18);
        assert_int_equal(entries, 3);
        assert_int_equal(groups, 2);
        assert_int_equal(report_table_sorted(t, &rows, &n), 0);
        assert_int_equal(n, 2);
        /* most opens first: the entry without a unit (12) before a.service (6) */
        assert_int_equal(rows[0]->opens, 12);
        assert_int_equal(rows[0]->entries, 1);
        assert_int_equal(rows[1]->opens, 6);
        assert_int_equal(rows[1]->entries, 2);
        free(rows);
        assert_null(report_table_free(t));
        assert_null(report_table_free(NULL));
}

static void test_many_groups_grow_the_table(void **state)
{
        struct report_table *t = report_table_new();
        const struct report_row **rows;
        char path[32], count[16];
        uint64_t opens, entries;
        size_t n, groups;

        (void)state;
        for (int round = 0; round < 2; round++)
                for (int i = 0; i < 100000; i++) {
                        struct report_entry e;

                        snprintf(path, sizeof(path), "/d/%d", i);
                        snprintf(count, sizeof(count), "%d", i % 7 + 1);
                        e = entry("x", "0", NULL, path, NULL, count);
                        add(t, &e, REPORT_BY_PATH, 0);
                }
        report_table_totals(t, &opens, &entries, &groups);
        assert_int_equal(groups, 100000);
        assert_int_equal(entries, 200000);
        assert_int_equal(report_table_sorted(t, &rows, &n), 0);
        assert_int_equal(n, 100000);
        opens = 0;
        for (size_t i = 0; i < n; i++) {
                assert_int_equal(rows[i]->entries, 2);
                if (i)
                        assert_true(rows[i - 1]->opens >= rows[i]->opens);
                opens += rows[i]->opens;
        }
        assert_int_equal(opens, 2 * (100000 / 7 * 28 + (1 + 2 + 3 + 4 + 5)));
        free(rows);
        report_table_free(t);
}

static void test_path_is_the_absolute_one_and_prefix_cuts_it(void **state)
{
        struct report_entry rel = entry("c", "0", NULL, "conf/x", "/srv/app/conf/x", "3"),
                            abs = entry("c", "0", NULL, "/srv/app/y", NULL, "2"),
                            none = entry("c", "0", NULL, NULL, NULL, NULL);
        struct report_table *t = report_table_new();
        const struct report_row **rows;
        const char *v;
        size_t n, len;

        (void)state;
        add(t, &rel, REPORT_BY_PREFIX, 2);
        add(t, &abs, REPORT_BY_PREFIX, 2);
        add(t, &none, REPORT_BY_PREFIX, 2);
        assert_int_equal(report_table_sorted(t, &rows, &n), 0);
        assert_int_equal(n, 2);
        assert_int_equal(rows[0]->opens, 5);
        assert_true(report_key_part(rows[0]->key, rows[0]->key_len, 0, &v, &len));
        assert_int_equal(len, strlen("/srv/app"));
        assert_memory_equal(v, "/srv/app", len);
        assert_false(report_key_part(rows[1]->key, rows[1]->key_len, 0, &v, &len)); /* no path at all */
        free(rows);
        report_table_free(t);
}

static void test_filters(void **state)
{
        struct report_entry rel = entry("c", "0", NULL, "x", "/srv/app/x", NULL),
                            symlink = entry("c", "0", NULL, "/etc/localtime", "/usr/share/zoneinfo/UTC", NULL),
                            relative_only = entry("c", "0", NULL, "srv/app/x", NULL, NULL), bad = rel;
        uint64_t n;
        int64_t when;

        (void)state;
        assert_true(report_entry_under(&rel, "/srv/app", 8));
        assert_false(report_entry_under(&rel, "/srv/ap", 7));
        assert_true(report_entry_under(&symlink, "/etc", 4)); /* by the name it was opened with */
        assert_true(report_entry_under(&symlink, "/usr", 4)); /* by the file it opened */
        assert_false(report_entry_under(&relative_only, "/", 1));
        set(&bad, REPORT_FIELD_COUNT, "0");
        assert_int_equal(report_entry_count(&bad, &n), -EBADMSG);
        set(&bad, REPORT_FIELD_COUNT, "12a");
        assert_int_equal(report_entry_count(&bad, &n), -EBADMSG);
        set(&bad, REPORT_FIELD_COUNT, "18446744073709551615");
        assert_int_equal(report_entry_count(&bad, &n), -EBADMSG);
        assert_int_equal(report_entry_time(&bad, &when), -EBADMSG);
        set(&bad, REPORT_FIELD_TIMESTAMP, "1796398245000000");
        assert_int_equal(report_entry_time(&bad, &when), 0);
        assert_int_equal(when, 1796398245000000LL);
}

static void test_json(void **state)
{
        struct report_entry a = entry("c\"at", "0", NULL, "/p", NULL, "4"),
                            b = entry("\xff", "1000", "u", "/p", NULL, NULL);
        struct report_table *t = report_table_new();
        struct report_result res = { .grouping = report_grouping(REPORT_BY_WHO) };
        const struct report_row **rows;
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        (void)state;
        add(t, &a, REPORT_BY_WHO, 0);
        add(t, &b, REPORT_BY_WHO, 0);
        assert_int_equal(report_table_sorted(t, &rows, &res.n_rows), 0);
        res.rows = rows;
        report_table_totals(t, &res.opens, &res.entries, &size);
        assert_int_equal(report_print_json(f, &res), 0);
        fclose(f);
        assert_string_equal(
                text, "{\"by\":\"who\",\"opens\":5,\"entries\":2,\"groups\":2,\"rows\":["
                      "{\"command\":\"c\\\"at\",\"uid\":0,\"user\":null,\"unit\":null,\"opens\":4,\"entries\":1},"
                      "{\"command\":[255],\"uid\":1000,\"user\":null,\"unit\":\"u\",\"opens\":1,\"entries\":1}]}\n");
        free(text);
        free(rows);
        report_table_free(t);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_key_parts_absent_and_empty_differ),
                cmocka_unit_test(test_sums_open_count_and_counts_entries),
                cmocka_unit_test(test_many_groups_grow_the_table),
                cmocka_unit_test(test_path_is_the_absolute_one_and_prefix_cuts_it),
                cmocka_unit_test(test_filters),
                cmocka_unit_test(test_json),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
