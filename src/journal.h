/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_JOURNAL_H
#define OPENSNOOPD_JOURNAL_H

#include "fields.h"

/*
 * Sends one entry. sd_journal_sendv() reports success and sends nothing when
 * journald's socket does not exist; callers check journal_reachable() before
 * each send, so that case is retried and counted, not lost silently.
 */
int journal_send(const struct fields *f);

/* True when journald's socket exists. */
int journal_reachable(void);

#endif
