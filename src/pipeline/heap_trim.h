/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_HEAP_TRIM_H
#define OPENSNOOPD_HEAP_TRIM_H

#include <stdbool.h>
#include <stddef.h>

/*
 * When the writer gives freed heap memory back to the kernel. A burst of
 * names nothing folds fills the fold table up to its bounds (FOLD_MAX_KEYS,
 * FOLD_MAX_BYTES), one calloc() per key, in the writer thread's malloc
 * arena; once the burst is over and the table has drained, glibc keeps the
 * freed chunks for later (it only returns the top of a heap, and a few live
 * entries stay on top), so the daemon's RSS stays up by most of the peak.
 * malloc_trim(0) returns every whole free page of every arena.
 *
 * The rule: once what the table holds has come down to a quarter of the
 * highest it held since the last trim, and that high mark was at least
 * HEAP_TRIM_ABOVE, trim, and start over from what it holds now. A drain
 * from a peak thus trims a few times (each a quarter of the last), down to
 * HEAP_TRIM_ABOVE; a table that stays high or only wobbles never does.
 * Pure bookkeeping: the caller trims.
 */
#define HEAP_TRIM_ABOVE (1u << 20)

/* M_TRIM_THRESHOLD, set at start (main.c): glibc's documented default, kept from growing. */
#define HEAP_TRIM_THRESHOLD (128 << 10)

struct heap_trim {
        size_t high; /* the most held since the last trim */
};

/* held: the bytes the table holds now. true: trim now. */
bool heap_trim_due(struct heap_trim *t, size_t held);

#endif
