/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_PROBE_H
#define OPENSNOOPD_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "filter_maps.h"
#include "kernel_layout.h"
#include "opensnoop.h"
#include "probe_plan.h"

/*
 * The kernel side: compile the embedded program (in a helper process, see
 * probe_compile()), attach it, read its buffers, fill its filter maps, take
 * it all down. This is the only module that talks to the kernel's BPF
 * interfaces (through libbpf); no module of this process links libbcc.
 */
struct probe;

/* Called from probe_poll() and probe_drain() for each record. */
typedef void (*probe_event_fn)(void *cookie, void *raw, int size);

struct probe_params {
        struct probe_plan plan; /* attach points, and plan.buffer: PROBE_BUFFER_RING or _PERF */
        unsigned max_in_flight;
        unsigned wakeup_events;             /* the ring buffer's; perf buffers take theirs in probe_open_buffers() */
        size_t ring_buffer_size;            /* bytes, a power of two: the ring buffer's size, if plan.buffer is ring */
        const struct kernel_layout *layout; /* this kernel's offsets (BTF); NULL: no absolute paths, no io_uring */
        bool abs_paths;                     /* build OPEN_ABS_PATH (with layout) */
};

/* The program text as libbcc will compile it, preceded by its -D flags as a comment. */
int probe_print_source(const struct probe_params *params, FILE *f);

/*
 * Compiles and loads the program in a short-lived helper process
 * (opensnoopd-compile, beside this executable or in OPENSNOOPD_LIBEXECDIR),
 * which links libbcc, so that LLVM is never mapped into this one: clang runs
 * there (about a second) and the maps and loaded programs come back as fds.
 * libbcc finds kernel headers by itself, or where $BCC_KERNEL_SOURCE says.
 * On failure why says what happened in one line (clang's own messages are on
 * stderr); nothing is attached then.
 */
int probe_compile(const struct probe_params *params, struct probe **ret, char *why, size_t why_size);

/*
 * Loads a filter into the maps so that no open is wrongly dropped on the way:
 * new entries first, then the settings, then stale entries go (a full map
 * has its stale entries pruned first).
 */
int probe_set_filter(struct probe *p, const struct filter_maps *maps);

/*
 * Opens the buffer the program was compiled for, read by probe_poll(): the
 * ring buffer (its size was fixed at compile time), or one perf buffer of
 * perf_pages pages per online CPU, waking the reader every wakeup_events
 * records. Records the buffer had no room for are counted by the kernel side
 * (OPEN_STAT_BUFFER_FULL), not reported here.
 */
int probe_open_buffers(struct probe *p, unsigned perf_pages, unsigned wakeup_events, probe_event_fn on_event,
                       void *cookie);

/*
 * Attaches per plan: the first planned of fentry, the kprobe pair and the
 * tracepoints, and each next one planned if that fails. Return probes (and
 * fexit) are attached before entry probes (fentry). On failure nothing stays
 * attached and probe_error() says which step failed, for each mode tried.
 */
int probe_attach(struct probe *p);

/* Detaches every program; idempotent. Records already in the buffers stay readable. */
void probe_detach(struct probe *p);

/*
 * Waits up to timeout_ms for records and hands every one to the callback.
 * Perf wake-ups are batched (WakeupEvents=), so every buffer is also read at
 * least every 100 ms: a quiet CPU's last few records are not held back.
 * Returns 0 or -errno; -EINTR is normal.
 */
int probe_poll(struct probe *p, int timeout_ms);

/* Reads every buffer to the end, now (at shutdown, after probe_detach()). */
void probe_drain(struct probe *p);

/* PROBE_MODE_KPROBE or PROBE_MODE_TRACEPOINT after a successful probe_attach(). */
enum probe_mode probe_mode(const struct probe *p);
/* "syscalls:sys_*_openat ..." or "do_sys_openat2". */
const char *probe_attach_points(const struct probe *p);

/*
 * Whether records of cgroups made and removed (OPEN_RECORD_CGROUP_*) come
 * with the opens: cgroup:cgroup_mkdir and cgroup_rmdir are attached.
 */
bool probe_learns_cgroups(const struct probe *p);
/* "a ring buffer of 4 MiB" or "perf buffers of 256 pages on 2 CPUs", after probe_open_buffers(). */
const char *probe_buffer_description(const struct probe *p);
/*
 * Whether the kernel side counts repeats (struct repeat_slot) while the
 * filter says so (filter_settings.repeats): after probe_open_buffers(), they
 * come with the records, as records of their count (OPEN_RECORD_REPEATS).
 */
bool probe_counts_repeats(const struct probe *p);

/* Time spent loading (the verifier, in the helper) and attaching, over all programs. */
void probe_timings(const struct probe *p, uint64_t *load_ns, uint64_t *attach_ns);

/* What the last failing call was doing, for the caller's log line. */
const char *probe_error(const struct probe *p);

/* Sums the per-CPU counters of the stats map. */
int probe_read_stats(struct probe *p, uint64_t out[OPEN_STAT_MAX]);

/*
 * The kernel side's losses by user (lost_uids, see opensnoop.h): at most max
 * of them into out, sorted by uid, their number in *n. From any thread;
 * 0 or -ENOENT.
 */
struct probe_lost_uid {
        uint32_t uid;
        uint64_t count;
};
int probe_read_lost_uids(struct probe *p, struct probe_lost_uid *out, size_t max, size_t *n);

/*
 * The filter_cgroups map (Units=, see opensnoop.h), from any thread: these
 * two leave probe_error() alone. Store: 0 or -errno (-E2BIG never: the map is
 * an LRU and makes room). Clear: deletes every verdict; 0 or -errno.
 */
int probe_store_cgroup_verdict(struct probe *p, uint64_t cgroup_id, uint8_t verdict);
int probe_clear_cgroup_verdicts(struct probe *p);

/* Detaches, closes and frees everything; accepts NULL. */
struct probe *probe_free(struct probe *p);

#endif
