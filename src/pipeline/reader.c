/* SPDX-License-Identifier: MIT */
#include "reader.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

#define POLL_MS 100 /* also how long reader_stop() may wait */

struct reader {
        struct queue *q;
        struct counters *c;
        struct probe *probe;
        pthread_t thread;
        bool started;
        _Atomic bool stop;
};

int reader_new(struct queue *q, struct counters *c, struct reader **ret)
{
        struct reader *r = calloc(1, sizeof(*r));

        if (!r)
                return -ENOMEM;
        r->q = q;
        r->c = c;
        *ret = r;
        return 0;
}

void reader_on_event(void *reader, void *raw, int size)
{
        struct reader *r = reader;
        int n = size > 0 ? decode_size(raw, (size_t)size) : -EBADMSG;
        uint32_t uid;

        if (n < 0) {
                atomic_fetch_add(&r->c->lost_malformed, 1);
                return;
        }
        uid = open_record_uid(raw);
        /* the user's share: one user's flood cannot fill the queue for everyone (queue.h) */
        if (queue_push_owned(r->q, raw, (size_t)n, uid) < 0) {
                uint64_t opens = record_opens(raw);

                /* a cgroup's record is no open: what is lost is its name */
                if (opens == 0)
                        atomic_fetch_add(&r->c->names_unkept, 1);
                else
                        counters_undelivered(r->c, uid, opens);
        }
}

static void *reader_main(void *arg)
{
        struct reader *r = arg;

        while (!atomic_load(&r->stop))
                (void)probe_poll(r->probe, POLL_MS); /* EINTR and the like: poll again */
        return NULL;
}

int reader_start(struct reader *r, struct probe *p)
{
        int e;

        r->probe = p;
        e = pthread_create(&r->thread, NULL, reader_main, r);
        if (e != 0)
                return -e;
        r->started = true;
        return 0;
}

int reader_stop(struct reader *r)
{
        int e;

        if (!r || !r->started)
                return 0;
        atomic_store(&r->stop, true);
        e = pthread_join(r->thread, NULL);
        r->started = false;
        return -e;
}

struct reader *reader_free(struct reader *r)
{
        if (!r)
                return NULL;
        reader_stop(r);
        free(r);
        return NULL;
}
