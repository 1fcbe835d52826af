/* SPDX-License-Identifier: MIT */
#include "kernel_env.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

static bool exists(const char *path)
{
        return access(path, F_OK) == 0;
}

int kernel_env_ensure_tracefs(bool *mounted)
{
        *mounted = false;
        if (exists(TRACEFS_DIR "/events"))
                return 0;
        if (mount("nodev", TRACEFS_DIR, "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                return -errno;
        *mounted = true;
        return 0;
}

static bool has_tracepoint_pair(const char *name)
{
        char path[256];

        snprintf(path, sizeof(path), TRACEFS_DIR "/events/syscalls/sys_enter_%s", name);
        if (!exists(path))
                return false;
        snprintf(path, sizeof(path), TRACEFS_DIR "/events/syscalls/sys_exit_%s", name);
        return exists(path);
}

int kernel_env_detect(struct kernel_features *f)
{
        char line[512];
        FILE *ksyms;

        *f = (struct kernel_features){ 0 };
        f->kprobes = exists("/sys/bus/event_source/devices/kprobe/type") ||
                     exists(TRACEFS_DIR "/kprobe_events");
        f->tp_open = has_tracepoint_pair("open");
        f->tp_openat = has_tracepoint_pair("openat");
        f->tp_openat2 = has_tracepoint_pair("openat2");

        ksyms = fopen("/proc/kallsyms", "re");
        if (!ksyms)
                return -errno;
        while (fgets(line, sizeof(line), ksyms)) {
                char *name = strrchr(line, ' ');

                if (!name)
                        continue;
                name++;
                name[strcspn(name, "\t\n")] = '\0';
                if (strcmp(name, "do_sys_openat2") == 0)
                        f->sym_openat2 = true;
                else if (strcmp(name, "do_sys_open") == 0)
                        f->sym_open = true;
        }
        fclose(ksyms);
        return 0;
}

int kernel_env_find_headers(const char *kernel_source, char *where, size_t where_size, char *release,
                            size_t release_size)
{
        struct utsname u;
        char path[512];
        int r;

        if (uname(&u) < 0)
                return -errno;
        snprintf(release, release_size, "%s", u.release);
        if (kernel_source)
                snprintf(where, where_size, "%s", kernel_source);
        else
                snprintf(where, where_size, "/lib/modules/%s/build", u.release);
        snprintf(path, sizeof(path), "%s/include", where);
        if (access(path, R_OK | X_OK) == 0)
                return 0;
        r = -errno;
        if (!kernel_source && exists("/sys/kernel/kheaders.tar.xz"))
                return 0;
        return r;
}
