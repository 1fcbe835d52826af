/* SPDX-License-Identifier: MIT */
#include "status.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int status_notify(const char *text)
{
        const char *path = getenv("NOTIFY_SOCKET");
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        char message[1024];
        socklen_t len;
        int fd, n, r = 0;

        if (!path || (path[0] != '/' && path[0] != '@') || strlen(path) >= sizeof(addr.sun_path))
                return 0;
        memcpy(addr.sun_path, path, strlen(path));
        if (path[0] == '@')
                addr.sun_path[0] = '\0'; /* abstract namespace */
        len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
        n = snprintf(message, sizeof(message), "STATUS=%s", text);
        if (n < 0)
                return -EINVAL;
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (sendto(fd, message, (size_t)n < sizeof(message) ? (size_t)n : sizeof(message) - 1, MSG_NOSIGNAL,
                   (struct sockaddr *)&addr, len) < 0)
                r = -errno;
        close(fd);
        return r;
}
