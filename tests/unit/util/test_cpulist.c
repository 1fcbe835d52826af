/* SPDX-License-Identifier: MIT */
#include "test_helpers.h"

#include "cpulist.h"

static void test_parse(void **state)
{
        int cpus[16];

        (void)state;
        assert_int_equal(cpulist_parse("0\n", cpus, 16), 1);
        assert_int_equal(cpulist_parse("0-3,8,10-11\n", cpus, 16), 7);
        assert_int_equal(cpus[3], 3);
        assert_int_equal(cpus[4], 8);
        assert_int_equal(cpus[6], 11);
        /* more CPUs than room: counted, not stored past max */
        assert_int_equal(cpulist_parse("0-31", cpus, 16), 32);
        /* counting alone, up to the largest list it accepts: nothing is sized for 4096 CPUs */
        assert_int_equal(cpulist_parse("0-65535\n", NULL, 0), 65536);
        assert_int_equal(cpulist_parse("0-3,4096-8191", NULL, 0), 4 + 4096);
        assert_int_equal(cpulist_parse("5,3", NULL, 0), -EINVAL);
}

static void test_rejects_garbage(void **state)
{
        int cpus[16];

        (void)state;
        assert_int_equal(cpulist_parse("", cpus, 16), -EINVAL);
        assert_int_equal(cpulist_parse("a", cpus, 16), -EINVAL);
        assert_int_equal(cpulist_parse("3-1", cpus, 16), -EINVAL);
        assert_int_equal(cpulist_parse("1-", cpus, 16), -EINVAL);
        assert_int_equal(cpulist_parse("4,2", cpus, 16), -EINVAL);
        assert_int_equal(cpulist_parse("0-99999999", cpus, 16), -EINVAL);
}

static void test_reads_this_machine(void **state)
{
        int *cpus = NULL;

        (void)state;
        assert_true(cpulist_read("/sys/devices/system/cpu/online", &cpus) >= 1);
        assert_true(cpus[0] >= 0);
        free(cpus);
        assert_int_equal(cpulist_read("/nonexistent", &cpus), -ENOENT);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_rejects_garbage),
                cmocka_unit_test(test_reads_this_machine),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
