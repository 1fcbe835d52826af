/* SPDX-License-Identifier: MIT */
#include "reload_report.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"

int reload_report_format(const struct reload_report *r, char *buf, size_t size)
{
        int n;

        /* the message is ours, but one line it must stay: the reader splits on the newline */
        if (strchr(r->message, '\n'))
                return -EINVAL;
        n = snprintf(buf, size, "%ld %" PRIu64 " %d %s\n", (long)r->pid, r->started_usec, r->result, r->message);
        if (n < 0 || (size_t)n >= size)
                return -ENOBUFS;
        return n;
}

int reload_report_parse(const char *line, struct reload_report *r)
{
        long pid;
        int consumed = 0;
        size_t len;

        *r = (struct reload_report){ 0 };
        if (sscanf(line, "%ld %" SCNu64 " %d %n", &pid, &r->started_usec, &r->result, &consumed) != 3 ||
            consumed == 0 || pid <= 0 || r->result > 0)
                return -EINVAL;
        r->pid = (pid_t)pid;
        len = strcspn(line + consumed, "\n");
        if (len >= sizeof(r->message))
                len = sizeof(r->message) - 1;
        memcpy(r->message, line + consumed, len);
        r->message[len] = '\0';
        return 0;
}

int reload_report_write(const char *dir, const struct reload_report *r)
{
        char line[640], path[4096], tmp[4096];
        int fd, n, e;

        n = reload_report_format(r, line, sizeof(line));
        if (n < 0)
                return n;
        if (snprintf(path, sizeof(path), "%s/" RELOAD_REPORT_NAME, dir) >= (int)sizeof(path) ||
            snprintf(tmp, sizeof(tmp), "%s/." RELOAD_REPORT_NAME ".%ld", dir, (long)getpid()) >= (int)sizeof(tmp))
                return -ENAMETOOLONG;
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        if (write(fd, line, (size_t)n) != n) {
                e = errno ? -errno : -EIO;
                close(fd);
                unlink(tmp);
                return e;
        }
        close(fd);
        if (rename(tmp, path) < 0) {
                e = -errno;
                unlink(tmp);
                return e;
        }
        return 0;
}

int reload_report_read(const char *dir, struct reload_report *r)
{
        char path[4096], line[640];
        ssize_t n;
        int fd;

        if (snprintf(path, sizeof(path), "%s/" RELOAD_REPORT_NAME, dir) >= (int)sizeof(path))
                return -ENAMETOOLONG;
        fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = read(fd, line, sizeof(line) - 1);
        close(fd);
        if (n < 0)
                return -errno;
        line[n] = '\0';
        return reload_report_parse(line, r);
}

int reload_report_request(pid_t pid, const char *dir, int timeout_ms, struct reload_report *r)
{
        uint64_t sent_usec = clock_ns(CLOCK_MONOTONIC) / 1000, deadline_usec = sent_usec + (uint64_t)timeout_ms * 1000;
        const struct timespec poll_interval = { .tv_nsec = 20 * 1000000L };

        if (kill(pid, SIGHUP) < 0)
                return -errno;
        /* a reload already under way when the signal came does not answer it: the next one does */
        while (reload_report_read(dir, r) < 0 || r->pid != pid || r->started_usec < sent_usec) {
                if (clock_ns(CLOCK_MONOTONIC) / 1000 > deadline_usec)
                        return -ETIMEDOUT;
                if (kill(pid, 0) < 0 && errno == ESRCH)
                        return -ESRCH;
                nanosleep(&poll_interval, NULL);
        }
        return 0;
}
