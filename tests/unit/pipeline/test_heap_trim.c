/* SPDX-License-Identifier: MIT */
/* When the writer gives a drained fold table's memory back: after a peak, at each quarter, never while it stays high. */
#include "test_helpers.h"

#include "heap_trim.h"

#define MIB (1u << 20)

/* A burst's peak, then the drain: a trim at a quarter of the peak, at a quarter of that, and so on down to the floor. */
static void test_drain_after_a_peak(void **state)
{
        struct heap_trim t = { 0 };

        (void)state;
        for (size_t held = 0; held <= 16 * MIB; held += MIB)
                assert_false(heap_trim_due(&t, held));
        assert_false(heap_trim_due(&t, 4 * MIB + 1));
        assert_true(heap_trim_due(&t, 4 * MIB));
        /* once per quarter, not at every turn of the writer's loop */
        assert_false(heap_trim_due(&t, 4 * MIB));
        assert_false(heap_trim_due(&t, 2 * MIB));
        assert_true(heap_trim_due(&t, MIB));
        assert_true(heap_trim_due(&t, MIB / 4));
        /* below the floor: nothing worth a trim is left */
        assert_false(heap_trim_due(&t, 0));
        assert_false(heap_trim_due(&t, 0));
}

/* A table that stays high, or that never held much, is never trimmed. */
static void test_no_trim_without_a_drain(void **state)
{
        struct heap_trim busy = { 0 }, small = { 0 };

        (void)state;
        for (int i = 0; i < 1000; i++) {
                assert_false(heap_trim_due(&busy, (size_t)(8 + i % 3) * MIB));
                assert_false(heap_trim_due(&small, (size_t)(i % 2) * (HEAP_TRIM_ABOVE - 1)));
        }
}

/* A new peak after a trim: the next drain trims again. */
static void test_each_peak(void **state)
{
        struct heap_trim t = { 0 };

        (void)state;
        assert_false(heap_trim_due(&t, 20 * MIB));
        assert_true(heap_trim_due(&t, 0));
        assert_false(heap_trim_due(&t, 0));
        assert_false(heap_trim_due(&t, 8 * MIB));
        assert_false(heap_trim_due(&t, 3 * MIB));
        assert_true(heap_trim_due(&t, 2 * MIB));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_drain_after_a_peak),
                cmocka_unit_test(test_no_trim_without_a_drain),
                cmocka_unit_test(test_each_peak),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
