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
        long last = -1;
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
                if (lo > hi || hi >= CPU_NUMBER_MAX || lo <= last)
                        return -EINVAL;
                for (long c = lo; c <= hi; c++, n++)
                        if (cpus && n < max)
                                cpus[n] = (int)c;
                last = hi;
                if (*s == ',')
                        s++;
                else if (*s && *s != '\n')
                        return -EINVAL;
        }
        return n > 0 ? (int)n : -EINVAL;
}

int cpulist_read(const char *path, int **cpus)
{
        char *line = NULL;
        size_t size = 0;
        FILE *f = fopen(path, "re");
        int n, r;

        if (!f)
                return -errno;
        r = getline(&line, &size, f) < 0 ? -EIO : 0;
        fclose(f);
        if (r < 0)
                goto out;
        n = cpulist_parse(line, NULL, 0);
        if (n < 0) {
                r = n;
                goto out;
        }
        *cpus = calloc((size_t)n, sizeof(**cpus));
        if (!*cpus) {
                r = -ENOMEM;
                goto out;
        }
        r = cpulist_parse(line, *cpus, (size_t)n);
out:
        free(line);
        return r;
}
