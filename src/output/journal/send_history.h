/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_SEND_HISTORY_H
#define OPENSNOOPD_SEND_HISTORY_H

/*
 * What the journal sink sent, for journal_watch_settle(): when the last entry
 * went to journald, at which priorities, and how many went in each of the
 * last SEND_HISTORY_SECONDS seconds. The journal sink's alone; no other sink
 * keeps one.
 */
#include <stdatomic.h>
#include <stdint.h>

#define SEND_HISTORY_SECONDS 128

struct send_history {
        _Atomic uint64_t last_send_ns; /* CLOCK_MONOTONIC; 0: nothing sent yet */
        _Atomic unsigned priorities;   /* bit p: an entry of priority p was sent */
        /* the writer's; read after it ends */
        uint64_t second[SEND_HISTORY_SECONDS];
        uint32_t count[SEND_HISTORY_SECONDS];
};

/* Counts one entry of priority (0-7; -1: none) sent at now_ns. */
void send_history_note(struct send_history *h, int priority, uint64_t now_ns);

/* Entries sent from from_ns to to_ns (CLOCK_MONOTONIC), to the second; UINT64_MAX if it cannot tell. */
uint64_t send_history_between(const struct send_history *h, uint64_t from_ns, uint64_t to_ns);

#endif
