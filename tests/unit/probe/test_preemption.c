/* SPDX-License-Identifier: MIT */
#include "test_helpers.h"

#include "preemption.h"

/* Debian 12's and 13's kernels: dynamic, voluntary by default. */
static const char debian[] = "CONFIG_PREEMPT_BUILD=y\nCONFIG_PREEMPT_VOLUNTARY=y\nCONFIG_PREEMPT_COUNT=y\n"
                             "CONFIG_PREEMPTION=y\nCONFIG_PREEMPT_DYNAMIC=y\nCONFIG_PREEMPT_RCU=y\n";

static void test_debian_is_voluntary_unless_told(void **state)
{
        (void)state;
        assert_int_equal(preemption_model(NULL, "root=/dev/vda ro quiet\n", debian), PREEMPTION_VOLUNTARY);
        assert_int_equal(preemption_model(NULL, "root=/dev/vda preempt=full\n", debian), PREEMPTION_FULL);
        /* the last one counts, and only a word of its own */
        assert_int_equal(preemption_model(NULL, "preempt=full preempt=none", debian), PREEMPTION_VOLUNTARY);
        assert_int_equal(preemption_model(NULL, "nopreempt=full", debian), PREEMPTION_VOLUNTARY);
        assert_int_equal(preemption_model(NULL, NULL, debian), PREEMPTION_VOLUNTARY);
}

/* debugfs says what is in force, whatever the rest says */
static void test_debugfs_wins(void **state)
{
        (void)state;
        assert_int_equal(preemption_model("none voluntary (full)\n", NULL, debian), PREEMPTION_FULL);
        assert_int_equal(preemption_model("none (voluntary) full lazy\n", "preempt=full", NULL), PREEMPTION_VOLUNTARY);
        assert_int_equal(preemption_model("none voluntary full (lazy)\n", NULL, NULL), PREEMPTION_FULL);
        /* unreadable or odd: the next source */
        assert_int_equal(preemption_model("garbage\n", NULL, debian), PREEMPTION_VOLUNTARY);
}

/* A kernel built without PREEMPT_DYNAMIC ignores preempt=; a CONFIG_PREEMPT_VOLUNTARY_BUILD is not CONFIG_PREEMPT */
static void test_static_kernels(void **state)
{
        (void)state;
        assert_int_equal(preemption_model(NULL, "preempt=none", "CONFIG_PREEMPT=y\nCONFIG_PREEMPT_COUNT=y\n"),
                         PREEMPTION_FULL);
        assert_int_equal(preemption_model(NULL, NULL, "CONFIG_PREEMPT_RT=y\n"), PREEMPTION_FULL);
        assert_int_equal(preemption_model(NULL, "preempt=full", "CONFIG_PREEMPT_NONE=y\n"), PREEMPTION_VOLUNTARY);
        assert_int_equal(preemption_model(NULL, NULL, "CONFIG_PREEMPT_VOLUNTARY_BUILD=y\nCONFIG_PREEMPT_COUNT=y\n"),
                         PREEMPTION_UNKNOWN);
        assert_int_equal(preemption_model(NULL, NULL, "# CONFIG_PREEMPT is not set\n"), PREEMPTION_UNKNOWN);
        assert_int_equal(preemption_model(NULL, "preempt=full", NULL), PREEMPTION_UNKNOWN);
        assert_string_equal(preemption_name(PREEMPTION_FULL), "full");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_debian_is_voluntary_unless_told),
                cmocka_unit_test(test_debugfs_wins),
                cmocka_unit_test(test_static_kernels),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
