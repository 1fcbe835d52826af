/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_PROBE_H
#define OPENSNOOPD_PROBE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "filter_maps.h"
#include "opensnoop.h"
#include "probe_plan.h"

/*
 * The kernel side, through libbcc: compile the embedded program, load and
 * attach it, read its buffers, fill its filter maps, take it all down. This
 * is the only module that includes bcc headers.
 */
struct probe;

/* Called from probe_poll() and probe_drain() for each record, and for each report of lost ones. */
typedef void (*probe_event_fn)(void *cookie, void *raw, int size);
typedef void (*probe_lost_fn)(void *cookie, uint64_t lost);

struct probe_params {
        struct probe_plan plan;
        unsigned max_in_flight;
};

/* The program text as libbcc will compile it, preceded by its -D flags as a comment. */
int probe_print_source(const struct probe_params *params, FILE *f);

/*
 * Compiles the program (clang runs: about a second). libbcc finds kernel
 * headers by itself, or where $BCC_KERNEL_SOURCE says. -EINVAL if it does not
 * compile (clang's messages are on stderr).
 */
int probe_compile(const struct probe_params *params, struct probe **ret);

/*
 * Loads a filter into the maps so that no open is wrongly dropped on the way:
 * new entries first, then the settings, then stale entries go (a full map
 * has its stale entries pruned first).
 */
int probe_set_filter(struct probe *p, const struct filter_maps *maps);

/* One perf buffer per online CPU, stored in the program's events map, read by probe_poll(). */
int probe_open_buffers(struct probe *p, unsigned pages, unsigned wakeup_events, probe_event_fn on_event,
                       probe_lost_fn on_lost, void *cookie);

/*
 * Loads and attaches per plan: the kprobe pair if planned, else (or if that
 * fails and tracepoints are planned too) the tracepoints. Return probes are
 * attached before entry probes. On failure nothing stays attached and
 * probe_error() says which step failed.
 */
int probe_attach(struct probe *p);

/*
 * Frees the compiler's state (LLVM's, tens of MB) once the programs are
 * attached: they keep their maps alive, and our own fds of the maps we still
 * fill or read keep working. Filters and stats work as before; attaching
 * again does not.
 */
int probe_release_compiler(struct probe *p);

/* Detaches every program; idempotent. Records already in the buffers stay readable. */
void probe_detach(struct probe *p);

/*
 * Waits up to timeout_ms for records and hands every one to the callback.
 * Wake-ups are batched (WakeupEvents=), so every buffer is also read at least
 * every 100 ms: a quiet CPU's last few records are not held back. Returns 0
 * or -errno; -EINTR is normal.
 */
int probe_poll(struct probe *p, int timeout_ms);

/* Reads every buffer to the end, now (at shutdown, after probe_detach()). */
void probe_drain(struct probe *p);

/* PROBE_MODE_KPROBE or PROBE_MODE_TRACEPOINT after a successful probe_attach(). */
enum probe_mode probe_mode(const struct probe *p);
/* "syscalls:sys_*_openat ..." or "do_sys_openat2". */
const char *probe_attach_points(const struct probe *p);
/* Time spent loading (the verifier) and attaching, over all programs. */
void probe_timings(const struct probe *p, uint64_t *load_ns, uint64_t *attach_ns);

/* What the last failing call was doing, for the caller's log line. */
const char *probe_error(const struct probe *p);

/* Sums the per-CPU counters of the stats map. */
int probe_read_stats(struct probe *p, uint64_t out[OPEN_STAT_MAX]);

/* Detaches, closes and frees everything; accepts NULL. */
struct probe *probe_free(struct probe *p);

#endif
