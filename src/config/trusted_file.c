/* SPDX-License-Identifier: MIT */
#include "trusted_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FIX "(chown root; chmod go-w)"

/* Only root can change it: root's, and not writable by group or others. */
static bool root_only(const struct stat *st)
{
        return st->st_uid == 0 && !(st->st_mode & (S_IWGRP | S_IWOTH));
}

static int check_directory(const char *dir, const char *what, char *why, size_t why_size)
{
        struct stat st;

        if (lstat(dir, &st) < 0) {
                int r = -errno;

                snprintf(why, why_size, "cannot check directory %s: %s", dir, strerror(errno));
                return r;
        }
        /* sticky: only an entry's owner may replace it, and the next step checks that owner */
        if (root_only(&st) || (st.st_uid == 0 && (st.st_mode & S_ISVTX)))
                return 0;
        snprintf(why, why_size,
                 "refusing %s in %s, a directory owned by uid %u with mode %04o: every directory above it must "
                 "be owned by root and not writable by group or others " FIX,
                 what, dir, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
        return -EPERM;
}

/* Every directory from / down to the one holding resolved (absolute, without symlinks). */
static int check_parents(const char *resolved, const char *what, char *why, size_t why_size)
{
        char dir[PATH_MAX];
        int r = check_directory("/", what, why, why_size);

        for (const char *slash = strchr(resolved + 1, '/'); r == 0 && slash; slash = strchr(slash + 1, '/')) {
                size_t len = (size_t)(slash - resolved);

                memcpy(dir, resolved, len);
                dir[len] = '\0';
                r = check_directory(dir, what, why, why_size);
        }
        return r;
}

static int check_own(const struct stat *st, const char *what, char *why, size_t why_size)
{
        if (root_only(st))
                return 0;
        snprintf(why, why_size,
                 "refusing %s owned by uid %u with mode %04o: it must be owned by root and not writable by "
                 "group or others " FIX,
                 what, (unsigned)st->st_uid, (unsigned)(st->st_mode & 07777));
        return -EPERM;
}

/* Resolves symlinks, then checks every directory above what the path names. */
static int resolve_under_root_only_dirs(const char *path, const char *what, char resolved[static PATH_MAX], char *why,
                                        size_t why_size)
{
        if (!realpath(path, resolved)) {
                int r = -errno;

                snprintf(why, why_size, "cannot open: %s", strerror(errno));
                return r;
        }
        return check_parents(resolved, what, why, why_size);
}

int trusted_path_check(const char *path, const char *what, char *why, size_t why_size)
{
        char resolved[PATH_MAX];
        struct stat st;
        int r;

        r = resolve_under_root_only_dirs(path, what, resolved, why, why_size);
        if (r < 0)
                return r;
        if (lstat(resolved, &st) < 0) {
                r = -errno;
                snprintf(why, why_size, "cannot stat: %s", strerror(errno));
                return r;
        }
        return check_own(&st, what, why, why_size);
}

int trusted_file_read(const char *path, const char *what, size_t max, char **text, size_t *len, char *why,
                      size_t why_size)
{
        char resolved[PATH_MAX];
        struct stat st;
        char *buf = NULL;
        size_t got = 0;
        int fd, r;

        r = resolve_under_root_only_dirs(path, what, resolved, why, why_size);
        if (r < 0)
                return r;
        /* O_NONBLOCK: opening a FIFO must not hang us; it is refused below */
        fd = open(resolved, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                r = -errno;
                snprintf(why, why_size, "cannot open: %s", strerror(errno));
                return r;
        }
        if (fstat(fd, &st) < 0) {
                r = -errno;
                snprintf(why, why_size, "cannot stat: %s", strerror(errno));
                goto out;
        }
        if (!S_ISREG(st.st_mode)) {
                snprintf(why, why_size, "not a regular file");
                r = -EINVAL;
                goto out;
        }
        r = check_own(&st, what, why, why_size);
        if (r < 0)
                goto out;
        if ((size_t)st.st_size > max) {
                snprintf(why, why_size, "larger than %zu bytes: not %s", max, what);
                r = -EFBIG;
                goto out;
        }
        buf = malloc((size_t)st.st_size + 1);
        if (!buf) {
                r = -ENOMEM;
                goto out;
        }
        while (got < (size_t)st.st_size) {
                ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

                if (n == 0)
                        break;
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        snprintf(why, why_size, "cannot read: %s", strerror(errno));
                        goto out;
                }
                got += (size_t)n;
        }
        buf[got] = '\0';
        *text = buf;
        *len = got;
        buf = NULL;
        r = 0;
out:
        free(buf);
        close(fd);
        return r;
}
