/* SPDX-License-Identifier: MIT */
#include "sysfs.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

int sysfs_read(const char *path, char *buf, size_t size)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC), r;
        ssize_t n;

        buf[0] = '\0';
        if (fd < 0)
                return -errno;
        n = read(fd, buf, size - 1);
        r = n < 0 ? -errno : n == 0 ? -EIO : 0;
        close(fd);
        buf[n > 0 ? n : 0] = '\0';
        return r;
}

int sysfs_read_u64(const char *path, uint64_t *v)
{
        char buf[32], *end;
        int r = sysfs_read(path, buf, sizeof(buf));

        if (r < 0)
                return r;
        if (!isdigit((unsigned char)buf[0]))
                return -EINVAL;
        errno = 0;
        *v = strtoull(buf, &end, 10);
        if (errno || (*end && *end != '\n'))
                return -EINVAL;
        return 0;
}
