/* SPDX-License-Identifier: MIT */
#include "cgroup_scan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct walk {
        cgroup_scan_visit visit;
        void *cookie;
        char path[PATH_MAX];
        size_t len;
};

/* The cgroups below the directory open as fd (which it closes). */
static int walk_dir(struct walk *w, int fd, unsigned depth)
{
        struct dirent *de;
        DIR *d = fdopendir(fd);
        int k = 0;

        if (!d) {
                k = -errno;
                close(fd);
                return k;
        }
        while (k == 0 && (de = readdir(d))) {
                size_t len = w->len, nlen = strlen(de->d_name);
                struct stat st;
                int sub;

                /* the kernel's cgroup2 directories report DT_DIR; files are its interface */
                if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (len + 1 + nlen >= sizeof(w->path))
                        continue;
                sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub < 0) {
                        if (errno == EMFILE || errno == ENFILE || errno == ENOMEM)
                                k = -errno;
                        continue; /* removed under us */
                }
                if (fstat(sub, &st) < 0) {
                        close(sub);
                        continue;
                }
                w->path[len] = '/';
                memcpy(w->path + len + 1, de->d_name, nlen + 1);
                w->len = len + 1 + nlen;
                k = w->visit(w->cookie, st.st_ino, w->path, w->len, st.st_uid);
                if (k == 0 && depth + 1 < CGROUP_SCAN_DEPTH)
                        k = walk_dir(w, sub, depth + 1);
                else
                        close(sub);
                w->len = len;
                w->path[len] = '\0';
        }
        closedir(d);
        return k;
}

int cgroup_scan(int mount_fd, cgroup_scan_visit visit, void *cookie)
{
        struct walk *w = calloc(1, sizeof(*w));
        int fd, k;

        if (!w)
                return -ENOMEM;
        w->visit = visit;
        w->cookie = cookie;
        fd = openat(mount_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        k = fd < 0 ? -errno : walk_dir(w, fd, 0);
        free(w);
        return k;
}
