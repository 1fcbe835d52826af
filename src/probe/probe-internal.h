/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_PROBE_INTERNAL_H
#define OPENSNOOPD_PROBE_INTERNAL_H

/*
 * What the probe's files share, and no one else sees: struct probe and the
 * few helpers every step uses. compile.c makes the probe (the helper
 * process) and frees it; maps.c fills the filter maps; buffers.c reads the
 * records; attach.c attaches and detaches; stats.c sums the kernel's
 * counters; probe.c answers what it is. Only these files talk to libbpf.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "probe.h"

#define MAX_CFLAGS        128
#define MAX_MAPS          32
#define MAX_PROGS         48
#define MAX_LINKS         32
#define RETURN_EVENTS     (1 + ROUTES)        /* the open function's, and one per route with a pair of its own */
#define MAX_TRAMPOLINES   (2 * RETURN_EVENTS) /* fentry mode: an entry and an exit for each */
#define SWEEP_INTERVAL_NS 100000000ull        /* read every buffer at least this often */

/* What a repeat slot's count is of: the record that made it, as handed on (repeats.c). */
struct repeat_known {
        uint32_t gen; /* 0: none yet */
        uint32_t pid, uid, gid;
        uint64_t cgroup_id;
};

/* A map or a loaded program the helper handed over. */
struct handed {
        char name[64];
        int fd;           /* -1: a program that did not load */
        uint64_t load_ns; /* programs: time in the verifier */
        char error[256];  /* programs that did not load: why */
};

/* One program attached to one point: closing perf_fd detaches it. */
struct link {
        int perf_fd;
        char point[64];
};

struct probe {
        struct probe_plan plan;
        char *cflags[MAX_CFLAGS];     /* NULL past the last */
        struct handed maps[MAX_MAPS]; /* all kept open: the kernel empties a perf event array when its
                                       * last user-space fd closes, and nothing would be delivered */
        int nmaps;
        struct handed progs[MAX_PROGS];
        int nprogs;
        struct link links[MAX_LINKS];
        int nlinks;
        enum probe_mode mode;
        bool cgroup_names; /* cgroup:cgroup_mkdir and cgroup_rmdir are attached */
        char points[512];
        char buffer_desc[64];
        /* Read with libbpf's ring_buffer or perf_buffer: they do the memory ordering of the
         * mmap'd rings, which is easy to get subtly wrong, in a few kB of code, and each
         * keeps its own epoll set. */
        struct ring_buffer *ring;
        struct perf_buffer *perf;
        probe_event_fn on_event;
        void *cookie;
        uint64_t last_sweep_ns;
        /* Bytes of the ring read so far, and what the kernel side was last told (ring_pos). */
        uint64_t ring_consumed, ring_published;
        int ring_pos_fd;
        /* Repeats counted in the kernel (repeats.c): the mapped slots, and whose count each holds. */
        struct repeat_slot *repeat_slots;
        size_t repeat_nslots, repeat_map_bytes;
        struct repeat_known *repeat_known;
        int ncpus_possible;
        uint64_t *percpu_values;     /* ncpus_possible of them: one per-CPU map value */
        uint64_t load_ns, attach_ns; /* time spent in the kernel's verifier, and attaching */
        /* The tracefs return probes of ours, if any (kprobe_events.h): the open function's, then
         * each kprobe route's (routes.def); and what each missed, as last read. */
        char return_event[RETURN_EVENTS][64];
        uint64_t missed_returns[RETURN_EVENTS];
        /* Fentry mode: the attached programs, whose recursion guard counts the calls it let
         * pass unseen; and those counts as last read. */
        int trampolines[MAX_TRAMPOLINES];
        int ntrampolines;
        uint64_t missed_trampolines[MAX_TRAMPOLINES];
        char error[256];
};

__attribute__((format(printf, 2, 3))) static inline void set_error(struct probe *p, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(p->error, sizeof(p->error), fmt, ap);
        va_end(ap);
}

/* Leaves p->error alone: callable from any thread. */
static inline int find_map_fd(const struct probe *p, const char *name)
{
        for (int i = 0; i < p->nmaps; i++)
                if (strcmp(p->maps[i].name, name) == 0)
                        return p->maps[i].fd;
        return -ENOENT;
}

static inline int table_fd(struct probe *p, const char *name)
{
        int fd = find_map_fd(p, name);

        if (fd < 0)
                set_error(p, "finding map %s", name);
        return fd < 0 ? -1 : fd;
}

/* repeats.c: map the slots (none where the program counts no repeats), note a record's slot, take the counts. */
int probe_map_repeats(struct probe *p);
void probe_unmap_repeats(struct probe *p);
void probe_note_repeat(struct probe *p, const void *raw, size_t size);
void probe_take_repeats(struct probe *p);

/* The attached events hold their programs: our fds of them only keep unused ones loaded. */
static inline void close_programs(struct probe *p)
{
        for (int i = 0; i < p->nprogs; i++) {
                if (p->progs[i].fd >= 0)
                        close(p->progs[i].fd);
                p->progs[i].fd = -1;
        }
}

#endif
