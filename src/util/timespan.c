/* SPDX-License-Identifier: MIT */
#include "timespan.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

/*
 * A time span as systemd writes them: "500ms", "1s", "1min 30s", "1.5s",
 * "2d", "5 min"; a bare number is seconds. "0" and "no" turn the feature off.
 * Stored in µs.
 */
int timespan_parse(const char *s, uint64_t *out)
{
        static const struct {
                const char *suffix;
                uint64_t usec;
        } units[] = {
                { "usec", 1 },
                { "us", 1 },
                { "msec", 1000 },
                { "ms", 1000 },
                { "seconds", 1000000 },
                { "second", 1000000 },
                { "sec", 1000000 },
                { "s", 1000000 },
                { "minutes", 60000000 },
                { "minute", 60000000 },
                { "min", 60000000 },
                { "m", 60000000 },
                { "hours", 3600000000ull },
                { "hour", 3600000000ull },
                { "hr", 3600000000ull },
                { "h", 3600000000ull },
                { "days", 86400000000ull },
                { "day", 86400000000ull },
                { "d", 86400000000ull },
                { "weeks", 604800000000ull },
                { "week", 604800000000ull },
                { "w", 604800000000ull },
                { "months", 2629800000000ull }, /* systemd's: 30.44 days */
                { "month", 2629800000000ull },
                { "M", 2629800000000ull },
                { "years", 31557600000000ull }, /* 365.25 days */
                { "year", 31557600000000ull },
                { "y", 31557600000000ull },
        };
        uint64_t total = 0;
        bool any = false;

        if (strcasecmp(s, "no") == 0 || strcmp(s, "0") == 0) {
                *out = 0;
                return 0;
        }
        while (*s) {
                uint64_t whole = 0, frac = 0, frac_div = 1, unit = 1000000;
                size_t n;

                while (*s == ' ')
                        s++;
                if (!*s)
                        break;
                if (!isdigit((unsigned char)*s))
                        return -EINVAL;
                for (; isdigit((unsigned char)*s); s++) {
                        if (whole > UINT32_MAX)
                                return -EINVAL;
                        whole = whole * 10 + (uint64_t)(*s - '0');
                }
                if (*s == '.') {
                        s++;
                        if (!isdigit((unsigned char)*s))
                                return -EINVAL;
                        for (; isdigit((unsigned char)*s); s++) {
                                if (frac_div < 1000000) {
                                        frac = frac * 10 + (uint64_t)(*s - '0');
                                        frac_div *= 10;
                                }
                        }
                }
                for (n = 0; s[n] == ' '; n++)
                        ;
                if (isalpha((unsigned char)s[n]))
                        s += n; /* "5 min", as systemd takes it */
                for (n = 0; isalpha((unsigned char)s[n]); n++)
                        ;
                if (n > 0) {
                        size_t i;

                        for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
                                if (strlen(units[i].suffix) == n && strncmp(s, units[i].suffix, n) == 0)
                                        break;
                        if (i == sizeof(units) / sizeof(units[0]))
                                return -EINVAL;
                        unit = units[i].usec;
                        s += n;
                }
                if (whole > UINT64_MAX / unit - 1 ||
                    __builtin_add_overflow(total, whole * unit + frac * unit / frac_div, &total))
                        return -EINVAL;
                any = true;
                if (*s && *s != ' ' && !isdigit((unsigned char)*s))
                        return -EINVAL;
        }
        if (!any)
                return -EINVAL;
        *out = total;
        return 0;
}

void timespan_print(FILE *f, uint64_t v)
{
        if (v == 0)
                fputs("no", f);
        else if (v % 60000000 == 0)
                fprintf(f, "%" PRIu64 "min", v / 60000000);
        else if (v % 1000000 == 0)
                fprintf(f, "%" PRIu64 "s", v / 1000000);
        else if (v % 1000 == 0)
                fprintf(f, "%" PRIu64 "ms", v / 1000);
        else
                fprintf(f, "%" PRIu64 "us", v);
}
