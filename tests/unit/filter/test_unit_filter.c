/* SPDX-License-Identifier: MIT */
#include "test_helpers.h"

#include "unit_filter.h"

/* What unit_filter asked its store to do: the verdicts stored since the last clear, and the clears. */
struct stored {
        uint64_t ids[8];
        uint8_t verdicts[8];
        size_t n;
        unsigned clears;
};

static int store(void *cookie, uint64_t id, uint8_t verdict)
{
        struct stored *s = cookie;

        assert_true(s->n < 8);
        s->ids[s->n] = id;
        s->verdicts[s->n++] = verdict;
        return 0;
}

static int clear(void *cookie)
{
        struct stored *s = cookie;

        s->n = 0;
        s->clears++;
        return 0;
}

static void test_decides_stores_and_forgets(void **state)
{
        struct stored s = { 0 };
        struct unit_filter *u;
        struct filter_config c = { .units = { (char *[]){ "web.service" }, 1 } };
        struct filter_config same = { .units = { (char *[]){ "web.service" }, 1 } };
        struct filter_config other = { .exclude_units = { (char *[]){ "web.service" }, 1 } };

        (void)state;
        assert_int_equal(unit_filter_new(&(struct unit_verdict_store){ store, clear, &s }, &u), 0);
        assert_int_equal(unit_filter_set(u, &c), 0);
        assert_int_equal(s.clears, 1);
        assert_int_equal(unit_filter_decide(u, 10, "/system.slice/web.service"), FILTER_INCLUDE);
        assert_int_equal(unit_filter_decide(u, 11, "/system.slice/db.service"), FILTER_EXCLUDE);
        assert_int_equal(s.n, 2);
        assert_int_equal(s.ids[1], 11);
        assert_int_equal(s.verdicts[1], FILTER_EXCLUDE);
        /* a cgroup that could not be resolved is recorded, and no verdict is stored for it */
        assert_int_equal(unit_filter_decide(u, 12, NULL), FILTER_INCLUDE);
        assert_int_equal(s.n, 2);
        /* a reload with the same lists keeps the verdicts; other lists forget them */
        assert_int_equal(unit_filter_set(u, &same), 0);
        assert_int_equal(s.clears, 1);
        assert_int_equal(s.n, 2);
        assert_int_equal(unit_filter_set(u, &other), 0);
        assert_int_equal(s.clears, 2);
        assert_int_equal(s.n, 0);
        assert_int_equal(unit_filter_decide(u, 10, "/system.slice/web.service"), FILTER_EXCLUDE);
        assert_int_equal(unit_filter_decide(u, 11, "/system.slice/db.service"), FILTER_INCLUDE);
        assert_null(unit_filter_free(u));
        assert_null(unit_filter_free(NULL));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_decides_stores_and_forgets),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
