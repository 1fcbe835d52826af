/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_UID_LOSSES_H
#define OPENSNOOPD_UID_LOSSES_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Undelivered opens by user: whose opens the queue refused, so that a loss
 * report says who flooded (OPEN_UNDELIVERED_UIDS=) and an operator can see
 * that the others' opens went through. The reader adds, the writer reads;
 * the first UID_LOSSES_MAX users are named, the rest counted together.
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
void uid_losses_add(struct uid_losses *u, uint32_t uid);

/* A copy of the counts so far (they only grow). */
void uid_losses_snapshot(struct uid_losses *u, struct uid_loss_counts *copy);

/*
 * "65534:52311 0:3 other:7": what now has over then, most first, into buf
 * (empty when nothing changed). then may be zeroed.
 */
void uid_losses_format_news(const struct uid_loss_counts *now, const struct uid_loss_counts *then, char *buf,
                            size_t size);

#endif
