/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool to_journal_stream;

void log_setup(void)
{
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        to_journal_stream = e && sscanf(e, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) == 0 &&
                            (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

static void vlog(int priority, const char *suffix, const char *fmt, va_list ap)
{
        char line[2048];

        vsnprintf(line, sizeof(line), fmt, ap);
        if (to_journal_stream)
                fprintf(stderr, "<%d>%s%s\n", priority, line, suffix);
        else
                fprintf(stderr, "opensnoopd: %s%s\n", line, suffix);
}

void log_at(int priority, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vlog(priority, "", fmt, ap);
        va_end(ap);
}

int log_errno_at(int priority, int err, const char *fmt, ...)
{
        char suffix[160];
        va_list ap;

        snprintf(suffix, sizeof(suffix), ": %s", strerror(err < 0 ? -err : err));
        va_start(ap, fmt);
        vlog(priority, suffix, fmt, ap);
        va_end(ap);
        return err < 0 ? err : -err;
}
