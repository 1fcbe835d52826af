/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_PROBE_H
#define OPENSNOOPD_PROBE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../bpf_src/filter.h"
#include "filter_spec.h"
#include "probe_plan.h"

/*
 * The kernel side, through libbcc: compile the embedded program, load and
 * attach it, read its perf buffers, fill its filter maps, take it all down.
 * This is the only module that includes bcc headers.
 */
struct probe;

/* Same shapes as libbcc's perf_reader callbacks. Called from probe_read*(). */
typedef void (*probe_event_fn)(void *cookie, void *raw, int size);
typedef void (*probe_lost_fn)(void *cookie, uint64_t lost);

struct probe_params {
        struct probe_plan plan;
        unsigned max_in_flight;
        const char *kernel_source; /* NULL: libbcc's own search */
};

/* The program text as libbcc will compile it, preceded by its -D flags as a comment. */
void probe_print_source(const struct probe_params *params, FILE *f);

/* Compiles the program (several seconds: clang runs). -EINVAL if it does not compile. */
int probe_compile(const struct probe_params *params, struct probe **ret);

/* Loads the filter into the maps: new entries, then the settings, then stale entries go. */
int probe_set_filter(struct probe *p, const struct filter_spec *spec);

/* One perf reader per online CPU, stored in the program's events map. */
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

/* Detaches every program; idempotent. Events already in the buffers stay readable. */
void probe_detach(struct probe *p);

/* "tracepoint", "kprobe", after a successful probe_attach(). */
const char *probe_mode(const struct probe *p);
/* "syscalls:sys_enter_openat ..." or "do_sys_openat2". */
const char *probe_attach_points(const struct probe *p);
/* Time spent loading (the verifier) and attaching, over all programs. */
void probe_timings(const struct probe *p, uint64_t *load_ns, uint64_t *attach_ns);

/* What the last failing call was doing, for the caller's log line. */
const char *probe_error(const struct probe *p);

/* Perf reader fds for poll(); probe_read() consumes what reader i holds. */
size_t probe_buffer_count(const struct probe *p);
int probe_buffer_fd(const struct probe *p, size_t i);
void probe_read(struct probe *p, size_t i);
void probe_read_all(struct probe *p);

/* Sums the per-CPU counters of the stats map. */
int probe_read_stats(struct probe *p, uint64_t out[OPEN_STAT_MAX]);

/* Detaches, closes and frees everything; accepts NULL. */
struct probe *probe_free(struct probe *p);

#endif
