/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_BACKLOG_H
#define OPENSNOOPD_BACKLOG_H

#include <stddef.h>
#include <stdint.h>

/*
 * Each user's backlog at a stop: the opens still queued or pending in fold
 * windows. A stop writes the opens of the users with the smallest backlog
 * first (writer.c), so that one user's flood, queued ahead of everyone
 * else's opens, cannot use up the time the stop has for all of them.
 * Counts are added, then sealed; a sealed backlog is only read.
 */
struct backlog;

int backlog_new(struct backlog **ret);
struct backlog *backlog_free(struct backlog *b);

/* n more of uid's opens. 0 or -ENOMEM. Not once sealed (-EBUSY). */
int backlog_add(struct backlog *b, uint32_t uid, uint64_t n);

/* Done adding: the counts are summed by user. */
void backlog_seal(struct backlog *b);

/* uid's backlog, once sealed (0 for a user with none). */
uint64_t backlog_of(const struct backlog *b, uint32_t uid);

#endif
