/* SPDX-License-Identifier: MIT */
#include "test_helpers.h"

#include "timespan.h"

/* The units past Coalesce='s bound, as journald.conf and opensnoopd-report's --since= use them. */
static void test_timespan_units(void **state)
{
        uint64_t v;

        (void)state;
        assert_int_equal(timespan_parse("2d", &v), 0);
        assert_int_equal(v, 2 * 86400000000ull);
        assert_int_equal(timespan_parse("1w 1 day", &v), 0); /* "5 min", as systemd writes it too */
        assert_int_equal(v, 8 * 86400000000ull);
        assert_int_equal(timespan_parse("1M", &v), 0);
        assert_int_equal(v, 2629800000000ull);
        assert_int_equal(timespan_parse("1y", &v), 0);
        assert_int_equal(v, 31557600000000ull);
        assert_int_equal(timespan_parse("1m", &v), 0);
        assert_int_equal(v, 60000000ull);
        assert_int_equal(timespan_parse("4000000000y", &v), -EINVAL);
        assert_int_equal(timespan_parse("500000y 500000y 500000y", &v), -EINVAL);
        assert_int_equal(timespan_parse("1 fortnight", &v), -EINVAL);
}

/* What timespan_print() writes, timespan_parse() reads back. */
static void test_print_round_trip(void **state)
{
        static const uint64_t spans[] = { 0, 1, 1500, 2000000, 90000000, 600000000, 86400000000ull };

        (void)state;
        for (size_t i = 0; i < sizeof(spans) / sizeof(spans[0]); i++) {
                char buf[64] = "";
                FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");
                uint64_t v = 1;

                assert_non_null(f);
                timespan_print(f, spans[i]);
                fclose(f);
                assert_int_equal(timespan_parse(buf, &v), 0);
                assert_int_equal(v, spans[i]);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_timespan_units),
                cmocka_unit_test(test_print_round_trip),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
