/* SPDX-License-Identifier: MIT */
#include "report_time.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "timespan.h"

#define USEC_PER_SEC 1000000LL

/* A span as the configuration's Coalesce= takes it ("1h30min", "2 days", "90"), but not "no". */
static int parse_span(const char *s, int64_t *ret)
{
        uint64_t usec;

        if (!isdigit((unsigned char)*s) || timespan_parse(s, &usec) < 0 || usec > INT64_MAX)
                return -EINVAL;
        *ret = (int64_t)usec;
        return 0;
}

/* Local midnight of the day now falls in, moved by days. */
static int midnight(int64_t now, int days, int64_t *ret)
{
        time_t t = (time_t)(now / USEC_PER_SEC);
        struct tm tm;

        if (!localtime_r(&t, &tm))
                return -EINVAL;
        tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
        tm.tm_mday += days;
        tm.tm_isdst = -1;
        t = mktime(&tm);
        if (t == (time_t)-1)
                return -EINVAL;
        *ret = (int64_t)t * USEC_PER_SEC;
        return 0;
}

/* "YYYY-MM-DD[( |T)HH:MM[:SS]]" or "HH:MM[:SS]", then optionally " UTC". */
static int absolute(const char *s, int64_t now, int64_t *ret)
{
        struct tm tm = { 0 }, check;
        int year, mon, mday, hour = 0, min = 0, sec = 0, used = 0;
        char sep;
        bool utc = false;
        size_t len = strlen(s);
        time_t t;

        if (len > 4 && strcmp(s + len - 4, " UTC") == 0) {
                utc = true;
                len -= 4;
        }
        if (sscanf(s, "%4d-%2d-%2d%n", &year, &mon, &mday, &used) == 3 && used == 10) {
                if ((size_t)used < len) {
                        int more = 0;

                        sep = s[used];
                        if (sep != ' ' && sep != 'T')
                                return -EINVAL;
                        used++;
                        if (sscanf(s + used, "%2d:%2d%n", &hour, &min, &more) != 2 || more != 5)
                                return -EINVAL;
                        used += more;
                        if ((size_t)used < len) {
                                if (sscanf(s + used, ":%2d%n", &sec, &more) != 1 || more != 3)
                                        return -EINVAL;
                                used += more;
                        }
                }
        } else {
                time_t n = (time_t)(now / USEC_PER_SEC);
                struct tm today;
                int more = 0;

                used = 0;
                if (sscanf(s, "%2d:%2d%n", &hour, &min, &used) != 2 || used != 5)
                        return -EINVAL;
                if ((size_t)used < len) {
                        if (sscanf(s + used, ":%2d%n", &sec, &more) != 1 || more != 3)
                                return -EINVAL;
                        used += more;
                }
                if (!(utc ? gmtime_r(&n, &today) : localtime_r(&n, &today)))
                        return -EINVAL;
                year = today.tm_year + 1900;
                mon = today.tm_mon + 1;
                mday = today.tm_mday;
        }
        if ((size_t)used != len)
                return -EINVAL;
        for (const char *c = s; c < s + used; c++)
                if (*c == '-' && c != s + 4 && c != s + 7)
                        return -EINVAL; /* sscanf took a sign: "2026-1-+4" */
        tm.tm_year = year - 1900;
        tm.tm_mon = mon - 1;
        tm.tm_mday = mday;
        tm.tm_hour = hour;
        tm.tm_min = min;
        tm.tm_sec = sec;
        tm.tm_isdst = -1;
        check = tm;
        t = utc ? timegm(&tm) : mktime(&tm);
        if (t == (time_t)-1)
                return -EINVAL;
        /* mktime() normalizes 2026-02-30 into March: a date that does not exist is refused */
        if (tm.tm_year != check.tm_year || tm.tm_mon != check.tm_mon || tm.tm_mday != check.tm_mday ||
            tm.tm_hour != check.tm_hour || tm.tm_min != check.tm_min || tm.tm_sec != check.tm_sec)
                return -EINVAL;
        *ret = (int64_t)t * USEC_PER_SEC;
        return 0;
}

int report_time_parse(const char *s, int64_t now, int64_t *ret)
{
        int64_t span;
        size_t len = strlen(s);
        int r;

        if (strcmp(s, "now") == 0) {
                *ret = now;
                return 0;
        }
        if (strcmp(s, "today") == 0)
                return midnight(now, 0, ret);
        if (strcmp(s, "yesterday") == 0)
                return midnight(now, -1, ret);
        if (strcmp(s, "tomorrow") == 0)
                return midnight(now, 1, ret);
        if (s[0] == '@') {
                long long secs;
                int used = 0;

                if (!isdigit((unsigned char)s[1]) || sscanf(s + 1, "%lld%n", &secs, &used) != 1 ||
                    (size_t)used != len - 1 || secs > INT64_MAX / USEC_PER_SEC)
                        return -EINVAL;
                *ret = secs * USEC_PER_SEC;
                return 0;
        }
        if (s[0] == '-' || s[0] == '+') {
                r = parse_span(s + 1, &span);
                if (r < 0)
                        return -EINVAL;
                if (s[0] == '-' ? __builtin_sub_overflow(now, span, ret) : __builtin_add_overflow(now, span, ret))
                        return -EINVAL;
                return 0;
        }
        if (len > 4 && strcmp(s + len - 4, " ago") == 0) {
                char buf[128];

                if (len - 4 >= sizeof(buf))
                        return -EINVAL;
                memcpy(buf, s, len - 4);
                buf[len - 4] = '\0';
                r = parse_span(buf, &span);
                if (r < 0 || __builtin_sub_overflow(now, span, ret))
                        return -EINVAL;
                return 0;
        }
        return absolute(s, now, ret);
}
