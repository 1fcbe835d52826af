/* SPDX-License-Identifier: MIT */
#include "kprobe_events.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel_env.h"
#include "sysfs.h"

static int write_events(const char *line)
{
        int fd = open(TRACEFS_DIR "/kprobe_events", O_WRONLY | O_APPEND | O_CLOEXEC), r = 0;
        size_t len = strlen(line);

        if (fd < 0)
                return -errno;
        if (write(fd, line, len) != (ssize_t)len)
                r = -errno;
        close(fd);
        return r;
}

int kprobe_event_add_return(const char *name, const char *symbol, unsigned maxactive, uint64_t *id)
{
        char line[256], path[256];
        int r;

        snprintf(line, sizeof(line), "r%u:" KPROBE_EVENTS_GROUP "/%s %s\n", maxactive, name, symbol);
        r = write_events(line);
        if (r < 0)
                return r;
        snprintf(path, sizeof(path), TRACEFS_DIR "/events/" KPROBE_EVENTS_GROUP "/%s/id", name);
        r = sysfs_read_u64(path, id);
        if (r < 0)
                kprobe_event_remove(name);
        return r;
}

int kprobe_event_remove(const char *name)
{
        char line[160];
        int r;

        snprintf(line, sizeof(line), "-:" KPROBE_EVENTS_GROUP "/%.100s\n", name);
        r = write_events(line);
        return r == -ENOENT ? 0 : r;
}

int kprobe_event_missed(const char *name, uint64_t *missed)
{
        FILE *f = fopen(TRACEFS_DIR "/kprobe_profile", "re");
        char line[256], event[128];
        uint64_t hit, miss;
        int r = -ENOENT;

        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "%127s %" SCNu64 " %" SCNu64, event, &hit, &miss) == 3 && strcmp(event, name) == 0) {
                        *missed = miss;
                        r = 0;
                        break;
                }
        fclose(f);
        return r;
}

void kprobe_events_remove_stale(void)
{
        FILE *f = fopen(TRACEFS_DIR "/kprobe_events", "re");
        char line[512], stale[16][64];
        int n = 0;

        if (!f)
                return;
        /* "r4096:opensnoopd/ret_1234 do_sys_openat2" */
        while (fgets(line, sizeof(line), f) && n < 16) {
                char *ours = strstr(line, ":" KPROBE_EVENTS_GROUP "/");
                char name[64];
                int pid;

                if (!ours || sscanf(ours + sizeof(KPROBE_EVENTS_GROUP) + 1, "%63s", name) != 1 ||
                    sscanf(name, "ret_%d", &pid) != 1)
                        continue;
                if (pid > 0 && kill(pid, 0) < 0 && errno == ESRCH)
                        snprintf(stale[n++], sizeof(stale[0]), "%s", name);
        }
        fclose(f);
        for (int i = 0; i < n; i++)
                kprobe_event_remove(stale[i]);
}
