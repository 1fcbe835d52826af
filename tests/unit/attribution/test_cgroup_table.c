/* SPDX-License-Identifier: MIT */
#include "test_helpers.h"

#include "cgroup_table.h"

static struct cgroup_table *table(size_t system, size_t delegated, size_t bytes)
{
        struct cgroup_table *t;
        struct cgroup_table_limits l = { .entries = { system, delegated }, .bytes = { bytes, bytes } };

        assert_int_equal(cgroup_table_new(&l, &t), 0);
        return t;
}

static int add(struct cgroup_table *t, uint64_t id, const char *path, enum cgroup_pool pool)
{
        return cgroup_table_add(t, id, path, strlen(path), pool);
}

static void test_learn_and_look_up(void **state)
{
        struct cgroup_table *t = table(4, 4, 4096);

        (void)state;
        assert_null(cgroup_table_lookup(t, 7));
        assert_int_equal(add(t, 7, "/system.slice/x.service", CGROUP_POOL_SYSTEM), 0);
        assert_string_equal(cgroup_table_lookup(t, 7), "/system.slice/x.service");
        /* learned twice (the scan and the mkdir record): the first name stays, counted once */
        assert_int_equal(add(t, 7, "/other", CGROUP_POOL_SYSTEM), 0);
        assert_string_equal(cgroup_table_lookup(t, 7), "/system.slice/x.service");
        /* not NUL-terminated on the way in */
        assert_int_equal(cgroup_table_add(t, 8, "/a.service/junk", 10, CGROUP_POOL_SYSTEM), 0);
        assert_string_equal(cgroup_table_lookup(t, 8), "/a.service");
        cgroup_table_free(t);
        assert_null(cgroup_table_free(NULL));
}

/* A user filling the delegated pool cannot make a system service nameless. */
static void test_pools_are_apart(void **state)
{
        struct cgroup_table *t = table(2, 3, 4096);
        struct cgroup_table_stats st;

        (void)state;
        for (uint64_t id = 100; id < 110; id++)
                (void)add(t, id, "/user.slice/user-1000.slice/user@1000.service/x", CGROUP_POOL_DELEGATED);
        assert_int_equal(add(t, 1, "/system.slice/a.service", CGROUP_POOL_SYSTEM), 0);
        assert_int_equal(add(t, 2, "/system.slice/b.service", CGROUP_POOL_SYSTEM), 0);
        assert_int_equal(add(t, 3, "/system.slice/c.service", CGROUP_POOL_SYSTEM), -ENOSPC);
        cgroup_table_get_stats(t, &st);
        assert_int_equal(st.entries[CGROUP_POOL_DELEGATED], 3);
        assert_int_equal(st.refused[CGROUP_POOL_DELEGATED], 7);
        assert_int_equal(st.entries[CGROUP_POOL_SYSTEM], 2);
        assert_int_equal(st.refused[CGROUP_POOL_SYSTEM], 1);
        /* nothing was evicted: what was learned stays */
        assert_string_equal(cgroup_table_lookup(t, 100), "/user.slice/user-1000.slice/user@1000.service/x");
        assert_null(cgroup_table_lookup(t, 103));
        cgroup_table_free(t);
}

/* Long paths count against their pool's bytes, not only its entries. */
static void test_bytes_bound(void **state)
{
        struct cgroup_table *t = table(100, 100, 20);
        struct cgroup_table_stats st;

        (void)state;
        assert_int_equal(add(t, 1, "/0123456789", CGROUP_POOL_DELEGATED), 0); /* 12 bytes with its NUL */
        assert_int_equal(add(t, 2, "/012345678", CGROUP_POOL_DELEGATED), -ENOSPC);
        assert_int_equal(add(t, 3, "/012345", CGROUP_POOL_DELEGATED), 0); /* 20 exactly */
        cgroup_table_get_stats(t, &st);
        assert_int_equal(st.bytes[CGROUP_POOL_DELEGATED], 20);
        cgroup_table_free(t);
}

/* A removed cgroup is named until both its mark and its time are reached, in the order of removal. */
static void test_removed_names_wait_for_release(void **state)
{
        struct cgroup_table *t = table(8, 8, 4096);
        struct cgroup_table_stats st;

        (void)state;
        assert_int_equal(add(t, 1, "/a.service", CGROUP_POOL_SYSTEM), 0);
        assert_int_equal(add(t, 2, "/b.service", CGROUP_POOL_SYSTEM), 0);
        assert_int_equal(add(t, 3, "/c.service", CGROUP_POOL_DELEGATED), 0);
        cgroup_table_remove(t, 1, 5, 100);
        cgroup_table_remove(t, 2, 3, 200); /* an earlier mark than the one before: waits for 5 too */
        cgroup_table_remove(t, 99, 0, 0);  /* never learned: nothing to do */
        cgroup_table_get_stats(t, &st);
        assert_int_equal(st.removed, 2);

        cgroup_table_release(t, 4, 1000); /* time reached, mark not */
        assert_non_null(cgroup_table_lookup(t, 1));
        cgroup_table_release(t, 5, 99); /* mark reached, time not */
        assert_non_null(cgroup_table_lookup(t, 1));
        cgroup_table_release(t, 5, 150);
        assert_null(cgroup_table_lookup(t, 1));
        assert_string_equal(cgroup_table_lookup(t, 2), "/b.service");
        cgroup_table_release(t, 5, 200);
        assert_null(cgroup_table_lookup(t, 2));
        assert_string_equal(cgroup_table_lookup(t, 3), "/c.service"); /* live: never released */

        cgroup_table_get_stats(t, &st);
        assert_int_equal(st.removed, 0);
        assert_int_equal(st.entries[CGROUP_POOL_SYSTEM], 0);
        assert_int_equal(st.bytes[CGROUP_POOL_SYSTEM], 0);
        /* released names free their pool's room */
        for (uint64_t id = 10; id < 18; id++)
                assert_int_equal(add(t, id, "/x.service", CGROUP_POOL_SYSTEM), 0);
        cgroup_table_free(t); /* frees live and removed alike */
}

/* Ids that share buckets: removal from the middle of a chain keeps the others. */
static void test_many_ids(void **state)
{
        struct cgroup_table *t = table(1024, 0, 1 << 20);
        char path[32];

        (void)state;
        for (uint64_t id = 1; id <= 1024; id++) {
                snprintf(path, sizeof(path), "/u%llu.service", (unsigned long long)id);
                assert_int_equal(add(t, id << 20, path, CGROUP_POOL_SYSTEM), 0);
        }
        for (uint64_t id = 1; id <= 1024; id += 2)
                cgroup_table_remove(t, id << 20, 0, 0);
        cgroup_table_release(t, 0, 0);
        for (uint64_t id = 1; id <= 1024; id++) {
                snprintf(path, sizeof(path), "/u%llu.service", (unsigned long long)id);
                if (id % 2)
                        assert_null(cgroup_table_lookup(t, id << 20));
                else
                        assert_string_equal(cgroup_table_lookup(t, id << 20), path);
        }
        cgroup_table_free(t);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_learn_and_look_up),
                cmocka_unit_test(test_pools_are_apart),
                cmocka_unit_test(test_bytes_bound),
                cmocka_unit_test(test_removed_names_wait_for_release),
                cmocka_unit_test(test_many_ids),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
