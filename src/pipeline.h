/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_PIPELINE_H
#define OPENSNOOPD_PIPELINE_H

#include <stddef.h>

#include "sink.h"

/*
 * What the writer thread does with one queued record, stage by stage:
 * decode (decode.c: bytes → struct open_event) → sink (sink_*.c: the
 * destination). New stages (enrich, fold) go between them, each a file of
 * its own.
 */
struct pipeline;

/* The pipeline writes to sink, which it does not own. */
int pipeline_new(struct sink *sink, struct pipeline **ret);
struct pipeline *pipeline_free(struct pipeline *p);

/*
 * Runs one record through every stage. 0: written. -EAGAIN: the sink cannot
 * take it now; offer the same record again later. Any other -errno: it can
 * never be written (a malformed record, or the sink refused it for good).
 */
int pipeline_push(struct pipeline *p, const void *record, size_t len);

#endif
