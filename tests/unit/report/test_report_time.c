/* SPDX-License-Identifier: MIT */
#include "test_helpers.h"

#include <time.h>

#include "report_time.h"

#define S   1000000LL
/* 2026-12-04 15:30:45 UTC, a Friday */
#define NOW (1796398245LL * S)

static int64_t parse(const char *s)
{
        int64_t t = -1;

        assert_int_equal(report_time_parse(s, NOW, &t), 0);
        return t;
}

static void refused(const char *s)
{
        int64_t t = 7;

        assert_int_equal(report_time_parse(s, NOW, &t), -EINVAL);
        assert_int_equal(t, 7);
}

static int utc(void **state)
{
        (void)state;
        setenv("TZ", "UTC", 1);
        tzset();
        return 0;
}

static void test_absolute(void **state)
{
        (void)state;
        assert_int_equal(parse("2026-12-04 10:00:00"), 1796378400LL * S);
        assert_int_equal(parse("2026-12-04T10:00:00"), 1796378400LL * S);
        assert_int_equal(parse("2026-12-04 10:00"), 1796378400LL * S);
        assert_int_equal(parse("2026-12-04"), 1796342400LL * S);
        assert_int_equal(parse("10:00"), 1796378400LL * S);
        assert_int_equal(parse("10:00:01"), 1796378401LL * S);
        assert_int_equal(parse("2026-12-04 10:00:00 UTC"), 1796378400LL * S);
        assert_int_equal(parse("@1796378400"), 1796378400LL * S);
}

static void test_local_time_is_tz(void **state)
{
        (void)state;
        setenv("TZ", "Europe/Berlin", 1); /* UTC+1 in December */
        tzset();
        assert_int_equal(parse("2026-12-04 10:00:00"), (1796378400LL - 3600) * S);
        assert_int_equal(parse("2026-12-04 10:00:00 UTC"), 1796378400LL * S);
        assert_int_equal(parse("today"), (1796342400LL - 3600) * S);
        utc(NULL);
}

static void test_words(void **state)
{
        (void)state;
        assert_int_equal(parse("now"), NOW);
        assert_int_equal(parse("today"), 1796342400LL * S);
        assert_int_equal(parse("yesterday"), (1796342400LL - 86400) * S);
        assert_int_equal(parse("tomorrow"), (1796342400LL + 86400) * S);
}

static void test_relative(void **state)
{
        (void)state;
        assert_int_equal(parse("-1h"), NOW - 3600 * S);
        assert_int_equal(parse("+30min"), NOW + 1800 * S);
        assert_int_equal(parse("-1h30min"), NOW - 5400 * S);
        assert_int_equal(parse("-1h 30m"), NOW - 5400 * S);
        assert_int_equal(parse("2 days ago"), NOW - 2 * 86400 * S);
        assert_int_equal(parse("-1w"), NOW - 7 * 86400 * S);
        assert_int_equal(parse("-500ms"), NOW - 500000);
        assert_int_equal(parse("-1M"), NOW - 2629800 * S);
        assert_int_equal(parse("-1y"), NOW - 31557600 * S);
        assert_int_equal(parse("-90"), NOW - 90 * S);
        assert_int_equal(parse("-1.5h"), NOW - 5400 * S);
}

static void test_refused(void **state)
{
        (void)state;
        refused("");
        refused("soon");
        refused("-no");
        refused("-1 fortnight");
        refused("-h");
        refused("1h");         /* a span needs - or + or "ago" */
        refused("2026-02-30"); /* no such day */
        refused("2026-12-04 25:00");
        refused("2026-12-04 10:00:00.5");
        refused("2026-12-4");
        refused("2026-12-04 10");
        refused("10:00 tomorrow");
        refused("@");
        refused("@-5");
        refused("@12x");
        refused("-99999999999999999999s");
        refused("-9999999999999y");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_absolute), cmocka_unit_test(test_local_time_is_tz), cmocka_unit_test(test_words),
                cmocka_unit_test(test_relative), cmocka_unit_test(test_refused),
        };

        return cmocka_run_group_tests(tests, utc, NULL);
}
