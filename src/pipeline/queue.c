/* SPDX-License-Identifier: MIT */
#include "queue.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "clock.h"

/* Records are a uint32_t length, a uint32_t owner and the bytes, at 8-byte
 * boundaries. A length of WRAP means "the rest of the ring is unused:
 * continue at offset 0". */
#define WRAP          UINT32_MAX
#define HEADER        sizeof(uint64_t)
/* After a flood has touched this much of the ring, give the pages back once it
 * drains, so the daemon's memory returns to where it was. */
#define RELEASE_ABOVE (1u << 20)
/* Owners whose share is kept track of at once; a further one is not held to its share. */
#define OWNERS        32

struct owner_share {
        uint32_t owner;
        size_t bytes; /* 0: the slot is free */
};

struct queue {
        pthread_mutex_t lock;
        pthread_cond_t nonempty;
        char *ring;
        size_t capacity;
        size_t head; /* oldest record */
        size_t tail; /* where the next record goes */
        size_t used; /* bytes in use, wrap padding included */
        size_t count;
        size_t touched; /* bytes of the ring written since the pages were last given back */
        bool closed;
        bool consumer_waiting;
        struct owner_share shares[OWNERS];
};

static size_t record_size(size_t len)
{
        return HEADER + ((len + 7) & ~(size_t)7);
}

int queue_new(size_t capacity, struct queue **ret)
{
        pthread_condattr_t attr;
        struct queue *q;

        capacity &= ~(size_t)7;
        if (capacity < 4 * HEADER)
                return -EINVAL;
        q = calloc(1, sizeof(*q));
        if (!q)
                return -ENOMEM;
        q->capacity = capacity;
        q->ring = mmap(NULL, capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (q->ring == MAP_FAILED) {
                free(q);
                return -ENOMEM;
        }
        /* Small pages only: with transparent huge pages "always" (Debian's kernels), one record
         * written across a 2 MiB boundary faults in 2 MiB that the release below never reaches
         * (measured in the VM: the daemon's anonymous memory 0.3 → 2.3 MB after a flood). */
        (void)madvise(q->ring, capacity, MADV_NOHUGEPAGE);
        pthread_mutex_init(&q->lock, NULL);
        /* The timed wait runs on CLOCK_MONOTONIC: a clock step must not stall it. */
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&q->nonempty, &attr);
        pthread_condattr_destroy(&attr);
        *ret = q;
        return 0;
}

struct queue *queue_free(struct queue *q)
{
        if (!q)
                return NULL;
        pthread_mutex_destroy(&q->lock);
        pthread_cond_destroy(&q->nonempty);
        munmap(q->ring, q->capacity);
        free(q);
        return NULL;
}

static void put_length(struct queue *q, size_t at, uint32_t len)
{
        memcpy(q->ring + at, &len, sizeof(len));
}

static void put_owner(struct queue *q, size_t at, uint32_t owner)
{
        memcpy(q->ring + at + sizeof(uint32_t), &owner, sizeof(owner));
}

static uint32_t get_owner(const struct queue *q, size_t at)
{
        uint32_t owner;

        memcpy(&owner, q->ring + at + sizeof(uint32_t), sizeof(owner));
        return owner;
}

/* The owner's slot, a free one for it, or NULL when all are taken by others. */
static struct owner_share *share_of(struct queue *q, uint32_t owner)
{
        struct owner_share *free_slot = NULL;

        for (size_t i = 0; i < OWNERS; i++) {
                if (q->shares[i].bytes && q->shares[i].owner == owner)
                        return &q->shares[i];
                if (!q->shares[i].bytes && !free_slot)
                        free_slot = &q->shares[i];
        }
        if (free_slot)
                free_slot->owner = owner;
        return free_slot;
}

static uint32_t get_length(const struct queue *q, size_t at)
{
        uint32_t len;

        memcpy(&len, q->ring + at, sizeof(len));
        return len;
}

int queue_push(struct queue *q, const void *data, size_t len)
{
        return queue_push_owned(q, data, len, QUEUE_NO_OWNER);
}

int queue_push_owned(struct queue *q, const void *data, size_t len, uint32_t owner)
{
        size_t need = record_size(len), to_end;
        struct owner_share *share = NULL;
        int r = 0;

        if (need > q->capacity / 2 || len >= WRAP)
                return -EMSGSIZE;
        pthread_mutex_lock(&q->lock);
        if (q->closed) {
                r = -ESHUTDOWN;
                goto out;
        }
        if (owner != QUEUE_NO_OWNER) {
                share = share_of(q, owner);
                if (share && share->bytes + need > q->capacity / 4 * 3) {
                        r = -EDQUOT;
                        goto out;
                }
        }
        to_end = q->capacity - q->tail;
        if (to_end < need) {
                /* Skip to the start, if the records there are gone. */
                if (q->used + to_end + need > q->capacity) {
                        r = -ENOSPC;
                        goto out;
                }
                if (to_end >= HEADER)
                        put_length(q, q->tail, WRAP);
                q->used += to_end;
                q->tail = 0;
        } else if (q->used + need > q->capacity) {
                r = -ENOSPC;
                goto out;
        }
        put_length(q, q->tail, (uint32_t)len);
        put_owner(q, q->tail, owner);
        memcpy(q->ring + q->tail + HEADER, data, len);
        if (share)
                share->bytes += need;
        if (q->tail + need > q->touched)
                q->touched = q->tail + need;
        q->tail = (q->tail + need) % q->capacity;
        q->used += need;
        q->count++;
        if (q->consumer_waiting)
                pthread_cond_signal(&q->nonempty);
out:
        pthread_mutex_unlock(&q->lock);
        return r;
}

/* Moves head past wrap padding; called with the lock held and count > 0. */
static void skip_wrap(struct queue *q)
{
        size_t to_end = q->capacity - q->head;

        if (to_end < HEADER || get_length(q, q->head) == WRAP) {
                q->used -= to_end;
                q->head = 0;
        }
}

int queue_peek(struct queue *q, const void **data, size_t *len, int timeout_ms)
{
        /* the timed wait runs on CLOCK_MONOTONIC (queue_new()) */
        struct timespec deadline = clock_in_ms(CLOCK_MONOTONIC, timeout_ms);
        int r = 0;

        pthread_mutex_lock(&q->lock);
        while (q->count == 0 && r == 0) {
                if (q->closed) {
                        r = -ESHUTDOWN;
                        break;
                }
                q->consumer_waiting = true;
                if (pthread_cond_timedwait(&q->nonempty, &q->lock, &deadline) == ETIMEDOUT && q->count == 0)
                        r = q->closed ? -ESHUTDOWN : -EAGAIN;
                q->consumer_waiting = false;
        }
        if (r == 0) {
                skip_wrap(q);
                *len = get_length(q, q->head);
                *data = q->ring + q->head + HEADER;
        }
        pthread_mutex_unlock(&q->lock);
        return r;
}

void queue_pop(struct queue *q)
{
        pthread_mutex_lock(&q->lock);
        if (q->count > 0) {
                uint32_t owner;
                size_t need;

                skip_wrap(q);
                need = record_size(get_length(q, q->head));
                owner = get_owner(q, q->head);
                for (size_t i = 0; i < OWNERS && owner != QUEUE_NO_OWNER; i++)
                        if (q->shares[i].bytes && q->shares[i].owner == owner) {
                                q->shares[i].bytes -= need;
                                break;
                        }
                q->head = (q->head + need) % q->capacity;
                q->used -= need;
                q->count--;
                if (q->count == 0) {
                        /* Empty: start again at 0 so big records need no wrap. */
                        q->head = q->tail = 0;
                        q->used = 0;
                        if (q->touched > RELEASE_ABOVE) {
                                madvise(q->ring, q->touched, MADV_DONTNEED);
                                q->touched = 0;
                        }
                }
        }
        pthread_mutex_unlock(&q->lock);
}

int queue_list(struct queue *q, struct queue_item **items, size_t *n)
{
        size_t at, left;
        int r = 0;

        *items = NULL;
        *n = 0;
        pthread_mutex_lock(&q->lock);
        if (!q->closed) {
                r = -EBUSY;
                goto out;
        }
        if (q->count == 0)
                goto out;
        *items = malloc(q->count * sizeof(**items));
        if (!*items) {
                r = -ENOMEM;
                goto out;
        }
        for (at = q->head, left = q->count; left > 0; left--) {
                size_t to_end = q->capacity - at;
                uint32_t len;

                if (to_end < HEADER || get_length(q, at) == WRAP)
                        at = 0;
                len = get_length(q, at);
                (*items)[(*n)++] = (struct queue_item){ q->ring + at + HEADER, len, get_owner(q, at) };
                at = (at + record_size(len)) % q->capacity;
        }
out:
        pthread_mutex_unlock(&q->lock);
        return r;
}

void queue_clear(struct queue *q)
{
        pthread_mutex_lock(&q->lock);
        q->head = q->tail = q->used = q->count = 0;
        memset(q->shares, 0, sizeof(q->shares));
        if (q->touched > RELEASE_ABOVE) {
                madvise(q->ring, q->touched, MADV_DONTNEED);
                q->touched = 0;
        }
        pthread_mutex_unlock(&q->lock);
}

void queue_close(struct queue *q)
{
        pthread_mutex_lock(&q->lock);
        q->closed = true;
        pthread_cond_broadcast(&q->nonempty);
        pthread_mutex_unlock(&q->lock);
}

size_t queue_count(struct queue *q)
{
        size_t n;

        pthread_mutex_lock(&q->lock);
        n = q->count;
        pthread_mutex_unlock(&q->lock);
        return n;
}
