/* SPDX-License-Identifier: MIT */
#include "cpulist.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* Beyond any kernel's NR_CPUS: a larger number means a corrupt list. */
#define CPU_NUMBER_MAX 65536

int cpulist_parse(const char *text, int *cpus, size_t max)
{
        size_t n = 0;
        const char *s = text;

        while (*s && *s != '\n') {
                char *end;
                long lo, hi;

                if (!isdigit((unsigned char)*s))
                        return -EINVAL;
                lo = hi = strtol(s, &end, 10);
                s = end;
                if (*s == '-') {
                        if (!isdigit((unsigned char)s[1]))
                                return -EINVAL;
                        hi = strtol(s + 1, &end, 10);
                        s = end;
                }
                if (lo > hi || hi >= CPU_NUMBER_MAX || (n > 0 && lo <= cpus[n < max ? n - 1 : max - 1]))
                        return -EINVAL;
                for (long c = lo; c <= hi; c++, n++)
                        if (n < max)
                                cpus[n] = (int)c;
                if (*s == ',')
                        s++;
                else if (*s && *s != '\n')
                        return -EINVAL;
        }
        return n > 0 ? (int)n : -EINVAL;
}

int cpulist_read(const char *path, int *cpus, size_t max)
{
        char buf[4096];
        FILE *f = fopen(path, "re");
        int r;

        if (!f)
                return -errno;
        r = fgets(buf, sizeof(buf), f) ? cpulist_parse(buf, cpus, max) : -EIO;
        fclose(f);
        return r;
}
