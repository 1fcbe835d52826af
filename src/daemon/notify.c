/* SPDX-License-Identifier: MIT */
#include "notify.h"

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "clock.h"

#define STATE_WAIT_MS 1000

static int notify_send(const char *message, int wait_ms)
{
        const char *path = getenv("NOTIFY_SOCKET");
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        size_t path_len = path ? strlen(path) : 0;
        uint64_t deadline = clock_ns(CLOCK_MONOTONIC) + (uint64_t)wait_ms * 1000000ull;
        int fd, r = 0;

        if (!path || (path[0] != '/' && path[0] != '@') || path_len >= sizeof(addr.sun_path))
                return 0;
        memcpy(addr.sun_path, path, path_len);
        if (path[0] == '@')
                addr.sun_path[0] = '\0'; /* abstract namespace */
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        /* connected, so that poll() tells when the receiver's queue has room */
        if (connect(fd, (struct sockaddr *)&addr, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + path_len)) < 0) {
                r = -errno;
                goto out;
        }
        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLOUT };
                uint64_t now;

                if (send(fd, message, strlen(message), MSG_NOSIGNAL) >= 0)
                        break;
                r = -errno;
                if (r != -EAGAIN && r != -EINTR)
                        break;
                now = clock_ns(CLOCK_MONOTONIC);
                if (now >= deadline)
                        break;
                (void)poll(&p, 1, (int)((deadline - now) / 1000000ull) + 1);
                r = 0;
        }
out:
        close(fd);
        return r;
}

int notify_ready(void)
{
        return notify_send("READY=1", STATE_WAIT_MS);
}

int notify_reloading(void)
{
        char message[64];

        /* systemd 253 and later match a reload to its RELOADING=1 by this time */
        snprintf(message, sizeof(message), "RELOADING=1\nMONOTONIC_USEC=%llu",
                 (unsigned long long)(clock_ns(CLOCK_MONOTONIC) / 1000));
        return notify_send(message, STATE_WAIT_MS);
}

uint64_t notify_watchdog_usec(void)
{
        const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
        unsigned long long v;
        char *end;

        if (!usec)
                return 0;
        /* WATCHDOG_PID, when set, names the process the watchdog is for: not a child we started */
        if (pid && strtol(pid, NULL, 10) != (long)getpid())
                return 0;
        errno = 0;
        v = strtoull(usec, &end, 10);
        return errno || *end || end == usec ? 0 : (uint64_t)v;
}

int notify_watchdog(void)
{
        return notify_send("WATCHDOG=1", 0);
}

int notify_stopping(unsigned extend_ms)
{
        char message[64];

        if (extend_ms == 0)
                return notify_send("STOPPING=1", STATE_WAIT_MS);
        snprintf(message, sizeof(message), "STOPPING=1\nEXTEND_TIMEOUT_USEC=%llu",
                 (unsigned long long)extend_ms * 1000);
        return notify_send(message, STATE_WAIT_MS);
}

int notify_status(const char *text)
{
        char message[1024];

        snprintf(message, sizeof(message), "STATUS=%s", text);
        return notify_send(message, 0);
}
