/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_QUEUE_H
#define OPENSNOOPD_QUEUE_H

#include <stddef.h>
#include <stdint.h>

/*
 * A bounded queue of byte records between one producer (the perf reader) and
 * one consumer (the writer thread). The producer never blocks: a record that
 * does not fit is refused, and the caller counts it. The consumer peeks at the
 * oldest record and pops it only once it is delivered, so a failed write can
 * be retried without losing the record.
 */
struct queue;

/* capacity: bytes of records; a record costs its length plus 8, rounded up to 8. */
int queue_new(size_t capacity, struct queue **ret);
struct queue *queue_free(struct queue *q);

/* 0, -EMSGSIZE (can never fit), -ENOSPC (full now), -ESHUTDOWN (closed). */
int queue_push(struct queue *q, const void *data, size_t len);

/*
 * The same, for a record of owner (the user whose open it is): no owner may
 * hold more than three quarters of the queue, so that one user's flood
 * leaves room for everyone else's opens; past that, -EDQUOT.
 */
#define QUEUE_NO_OWNER UINT32_MAX /* queue_push(): held to no share */
int queue_push_owned(struct queue *q, const void *data, size_t len, uint32_t owner);

/*
 * Waits up to timeout_ms for a record and points *data at it, valid until
 * queue_pop(). Returns 0, -EAGAIN on timeout, -ESHUTDOWN once closed and empty.
 */
int queue_peek(struct queue *q, const void **data, size_t *len, int timeout_ms);
void queue_pop(struct queue *q);

/* No more pushes; wakes the consumer, which still gets what is queued. */
void queue_close(struct queue *q);

/* One queued record, as queue_list() gives it. */
struct queue_item {
        const void *data;
        size_t len;
        uint32_t owner;
};

/*
 * After queue_close(), for the consumer: every queued record, oldest first,
 * into *items (malloc'd, *n of them; NULL when there are none), valid until
 * queue_clear(). So that a stop can write them in another order than they
 * came. 0, -EBUSY (still open), -ENOMEM.
 */
int queue_list(struct queue *q, struct queue_item **items, size_t *n);

/* Drops every queued record (the consumer is done with them). */
void queue_clear(struct queue *q);

/* Records queued now. */
size_t queue_count(struct queue *q);

#endif
