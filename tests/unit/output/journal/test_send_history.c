/* SPDX-License-Identifier: MIT */
#include "test_helpers.h"

#include "send_history.h"

#define SEC 1000000000ull

static void test_counts_by_second(void **state)
{
        struct send_history h = { 0 };

        (void)state;
        send_history_note(&h, 6, 10 * SEC + 1);
        send_history_note(&h, 6, 10 * SEC + 2);
        send_history_note(&h, 5, 12 * SEC);
        assert_int_equal(atomic_load(&h.last_send_ns), 12 * SEC);
        assert_int_equal(atomic_load(&h.priorities), (1u << 6) | (1u << 5));
        assert_int_equal(send_history_between(&h, 10 * SEC, 12 * SEC), 3);
        assert_int_equal(send_history_between(&h, 11 * SEC, 12 * SEC), 1);
        /* a second's slot is reused SEND_HISTORY_SECONDS later, and its old count forgotten */
        send_history_note(&h, -1, (10 + SEND_HISTORY_SECONDS) * SEC);
        assert_int_equal(send_history_between(&h, 10 * SEC, 10 * SEC), 0);
        assert_int_equal(send_history_between(&h, 0, SEND_HISTORY_SECONDS * SEC), UINT64_MAX);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_counts_by_second),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
