/* SPDX-License-Identifier: MIT */
/* Each user's backlog at a stop: counts summed by user, in any order of adding. */
#include "test_helpers.h"

#include "backlog.h"

static void test_sums_by_user(void **state)
{
        static const uint32_t uids[] = { 65534, 65534, 0, 1000, 65534, 0, 4294967295u };
        struct backlog *b;

        (void)state;
        assert_int_equal(backlog_new(&b), 0);
        for (size_t i = 0; i < sizeof(uids) / sizeof(uids[0]); i++)
                assert_int_equal(backlog_add(b, uids[i], i + 1), 0);
        backlog_seal(b);
        assert_int_equal(backlog_add(b, 0, 1), -EBUSY);
        assert_int_equal(backlog_of(b, 65534), 1 + 2 + 5);
        assert_int_equal(backlog_of(b, 0), 3 + 6);
        assert_int_equal(backlog_of(b, 1000), 4);
        assert_int_equal(backlog_of(b, 4294967295u), 7);
        assert_int_equal(backlog_of(b, 42), 0);
        backlog_free(b);
        assert_null(backlog_free(NULL));
}

/* Many users, more than one allocation holds. */
static void test_many_users(void **state)
{
        struct backlog *b;

        (void)state;
        assert_int_equal(backlog_new(&b), 0);
        for (uint32_t round = 0; round < 3; round++)
                for (uint32_t uid = 0; uid < 5000; uid++)
                        assert_int_equal(backlog_add(b, uid * 7, uid), 0);
        backlog_seal(b);
        for (uint32_t uid = 0; uid < 5000; uid++)
                assert_int_equal(backlog_of(b, uid * 7), 3 * (uint64_t)uid);
        assert_int_equal(backlog_of(b, 1), 0);
        backlog_free(b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sums_by_user),
                cmocka_unit_test(test_many_users),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
