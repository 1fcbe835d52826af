/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_FOLD_H
#define OPENSNOOPD_FOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fields.h"
#include "opensnoop.h"

/*
 * The fold stage ([Output] Coalesce=, CoalesceBy=): repeated opens within a
 * window become one entry that says how many there were (struct open_fold).
 *
 *   process: same pid, path bytes, flags, mode, outcome (success, or the same
 *            errno; the fd may differ), uid, gid and system call.
 *   command: the same, across the processes of one command name, uid and
 *            cgroup; the entry also counts the distinct pids.
 *
 * A window opens with the first open of a key and closes window_ns later
 * (by the caller's clock): the entry is then due. Nothing is ever dropped
 * here: when the pending keys reach max_keys or their memory max_bytes,
 * fold_add() refuses (-ENOSPC) and the caller emits the oldest entry early.
 * Entries leave in the order their windows opened. Not thread-safe: the
 * writer thread owns it.
 */
enum coalesce_by { COALESCE_BY_PROCESS, COALESCE_BY_COMMAND };

/* "process", "command", indexed by the enum; NULL-terminated. */
extern const char *const coalesce_by_names[];

/* The bounds the daemon uses: 65536 pending keys, 64 MiB for them (paths and pid sets included). */
#define FOLD_MAX_KEYS  65536
#define FOLD_MAX_BYTES (64u << 20)
/* Distinct pids one command entry tracks; one more closes the entry early and opens a new one. */
#define FOLD_MAX_PIDS  4096
/* Names in one entry of many (fold_gather()): about 30 journal bytes an open (docs/performance.md). */
#define FOLD_NAMES_MAX 128

struct fold;

int fold_new(enum coalesce_by by, uint64_t window_ns, size_t max_keys, size_t max_bytes, struct fold **ret);
struct fold *fold_free(struct fold *f);

/* Changes the key and window; only while nothing is pending (-EBUSY otherwise). */
int fold_configure(struct fold *f, enum coalesce_by by, uint64_t window_ns);

/*
 * Counts ev into its entry, or opens one (its window closes at now_ns +
 * window). -ENOSPC: the bounds are reached; emit the oldest entry, then add
 * again. -ENOMEM: out of memory (also emit and retry).
 */
int fold_add(struct fold *f, const struct open_event *ev, uint64_t now_ns);

/* The same for n opens like ev, the first at first_ns and the last at ev->boot_ns (repeats the kernel
 * counted: struct repeat_slot). */
int fold_add_n(struct fold *f, const struct open_event *ev, uint64_t n, uint64_t first_ns, uint64_t now_ns);

/*
 * The oldest entry if its window has closed by now_ns (UINT64_MAX: any):
 * its first open is copied into *ev, its counts into *info. false if none.
 * It stays pending until fold_pop().
 */
bool fold_oldest(struct fold *f, uint64_t now_ns, struct open_event *ev, struct open_fold *info);

/* Removes the entry fold_oldest() returned. */
void fold_pop(struct fold *f);

/*
 * An entry of many names ([Output] CoalesceNames=yes): once fold_oldest()
 * has said the oldest entry is due, takes it and the other pending entries of
 * its key but the name (by process: the pid; by command: the command and
 * cgroup; and the uid and gid), in the order they were made, as many as one
 * journal entry holds (FOLD_NAMES_MAX, and fields.h's room for their paths).
 * An entry taken early counts what it has: its window just ends sooner.
 * Returns how many it took (1: the oldest alone); they stay pending until
 * fold_pop_gathered().
 */
size_t fold_gather(struct fold *f);

/* The i-th entry fold_gather() took, the oldest first: its first open into *ev, its counts into *info. */
void fold_gathered(const struct fold *f, size_t i, struct open_event *ev, struct open_fold *info);

/* By command, the distinct pids over the entries taken; 0 by process. 0 or -ENOMEM. */
int fold_gathered_pids(const struct fold *f, uint32_t *ret);

/* Removes the entries fold_gather() took. */
void fold_pop_gathered(struct fold *f);

/*
 * Every entry made has a number, from 0 in the order they were made: a
 * removed cgroup's name is kept until the entries made before its removal
 * are written (enrich.h). fold_made(): the number the next entry gets;
 * fold_done(): the oldest pending entry's (fold_made() when none is), i.e.
 * every entry numbered below it has been removed. Until fold_reorder().
 */
uint64_t fold_made(const struct fold *f);
uint64_t fold_done(const struct fold *f);

/* Entries pending, and the opens they hold. */
size_t fold_keys(const struct fold *f);
uint64_t fold_opens(const struct fold *f);
size_t fold_bytes(const struct fold *f);

/* Forgets every pending entry; returns the opens they held (to count them as undelivered). */
uint64_t fold_discard(struct fold *f);

/* Calls fn with each pending entry's uid and opens, oldest first. */
void fold_each_pending(const struct fold *f, void (*fn)(uint32_t uid, uint64_t opens, void *ctx), void *ctx);

/*
 * For a stop, which writes every pending entry whatever its window: puts
 * them in the order of rank(uid), lowest first, keeping their order within
 * one rank. Windows no longer close in order after it. 0, or -ENOMEM (the
 * order is unchanged).
 */
int fold_reorder(struct fold *f, uint64_t (*rank)(uint32_t uid, void *ctx), void *ctx);

#endif
