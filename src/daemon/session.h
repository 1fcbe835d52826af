/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_SESSION_H
#define OPENSNOOPD_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/*
 * One tracing session: the probe (kernel side), the reader thread, the
 * queue, the writer thread with its pipeline and sink, and the counters that
 * account for every open. main.c drives it; it logs nothing itself: failures
 * return -errno, and session_error() says what failed.
 *
 *   probe ──reader──▶ queue ──writer──▶ pipeline (decode → fold → sink)
 */
struct session;

/* How long a stop may deliver before what is left is counted as undelivered. */
#define SESSION_DRAIN_TIMEOUT_MS 1500
/* The longest a stop takes: the drain, waiting out journald's rate-limit interval (45 s at most), the markers. */
#define SESSION_STOP_MAX_MS      55000

/* state_dir: where a loss report journald did not take before a stop is kept for the next start. */
int session_new(const char *state_dir, struct session **ret);

/*
 * Plans, compiles, loads and attaches per c, and starts the threads. The
 * calling thread must block the signals it handles first: the threads
 * inherit its mask. On failure nothing stays attached.
 */
int session_start(struct session *s, const struct config *c);

/*
 * A reload: the filter and the priorities of c, at once; folding (Coalesce=,
 * CoalesceBy=) once the writer has written what is pending in its windows
 * (within a tenth of a second while journald takes entries). The rest of c
 * is ignored.
 */
int session_apply(struct session *s, const struct config *c);

/*
 * The status line ("Tracing with fentry (do_sys_openat2): 12 written, ..."),
 * with the kernel's counters read afresh. Returns true when it differs from
 * the last line this function returned.
 */
bool session_status(struct session *s, char *buf, size_t size);

/* What session_start() did, for the log: mode, attach points, timings, output. */
void session_describe(struct session *s, char *buf, size_t size);

/* Mode=fentry on a kernel that preempts kernel code: what that costs (one line); else "". */
const char *session_hook_note(const struct session *s);

/* With the journal: whether journald rate-limits us (one line for the startup log); else "". */
const char *session_journal_note(const struct session *s);

/*
 * After session_start(): about a loss report an earlier daemon kept for us
 * (being sent first, or ignored, and why); "" when there was none.
 */
const char *session_carry_note(const struct session *s);

/* After session_stop(): where the loss report journald did not take was kept (or why it could not be); or "". */
const char *session_stop_note(const struct session *s);

/* Whether session_start() had to mount tracefs. */
bool session_mounted_tracefs(const struct session *s);

/*
 * Detaches the probes, reads what the buffers hold, lets the writer deliver
 * for up to SESSION_DRAIN_TIMEOUT_MS and counts the rest as undelivered, by
 * uid; a loss report journald did not take within twice that is kept in the
 * state directory for the next start (session_stop_note()); with a journal
 * that rate-limits us and entries sent within its interval, waits (up to
 * 45 s) until journald has said what it dropped, and reports that; then
 * formats the final counters into summary. Returns 0, or -ETIMEDOUT when the
 * writer is stuck in a write (journald hung): the session must then not be
 * freed, and the process should _exit().
 */
int session_stop(struct session *s, char *summary, size_t size);

/* What the last failing call was doing. */
const char *session_error(const struct session *s);

/* Which part failed session_start(): what the operator must look at (main maps it to an exit status). */
enum session_failure {
        SESSION_FAILED_OTHER,   /* memory, threads */
        SESSION_FAILED_KERNEL,  /* the plan, the compile, the load, the filter maps, the buffers, the attach */
        SESSION_FAILED_JOURNAL, /* the journal it writes to */
        SESSION_FAILED_CONFIG,  /* the configuration asks for what this machine has not (Units= without cgroup2) */
};
enum session_failure session_failure(const struct session *s);

/* When the writer thread last went round its loop (CLOCK_MONOTONIC ns; 0 before the start): the watchdog's heartbeat. */
uint64_t session_writer_alive_ns(const struct session *s);

/* Accepts NULL and a half-started session. */
struct session *session_free(struct session *s);

#endif
