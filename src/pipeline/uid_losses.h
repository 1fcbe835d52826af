/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_UID_LOSSES_H
#define OPENSNOOPD_UID_LOSSES_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Undelivered opens by user: whose opens the queue refused, the sink could
 * not take, or a stop left, so that a loss report says who flooded
 * (OPEN_UNDELIVERED_UIDS=) and an operator can see that the others' opens went
 * through. The reader and the writer add, the writer reads; the first
 * UID_LOSSES_MAX users are named, the rest counted together.
 */
#define UID_LOSSES_MAX 16

struct uid_loss {
        uint32_t uid;
        uint64_t count;
};

struct uid_loss_counts {
        struct uid_loss users[UID_LOSSES_MAX];
        size_t n;
        uint64_t others; /* of users past the first UID_LOSSES_MAX */
};

struct uid_losses {
        pthread_mutex_t lock;
        struct uid_loss_counts counts;
};

void uid_losses_init(struct uid_losses *u);
void uid_losses_done(struct uid_losses *u);
void uid_losses_add(struct uid_losses *u, uint32_t uid, uint64_t n);

/* n more of uid's opens in c (the same bound: past UID_LOSSES_MAX users, in others). */
void uid_loss_counts_add(struct uid_loss_counts *c, uint32_t uid, uint64_t n);

/* A copy of the counts so far (they only grow). */
void uid_losses_snapshot(struct uid_losses *u, struct uid_loss_counts *copy);

/* What now has over then (a snapshot taken earlier of the same counts), into news. then may be zeroed. */
void uid_losses_news(const struct uid_loss_counts *now, const struct uid_loss_counts *then,
                     struct uid_loss_counts *news);

/* "65534:52311 0:3 other:7": c's counts, most first, into buf (empty when all are zero). */
void uid_losses_format(const struct uid_loss_counts *c, char *buf, size_t size);

/* uid_losses_format() of uid_losses_news(now, then). */
void uid_losses_format_news(const struct uid_loss_counts *now, const struct uid_loss_counts *then, char *buf,
                            size_t size);

#endif
