/* SPDX-License-Identifier: MIT */
#include "backlog.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

struct user_backlog {
        uint32_t uid;
        uint64_t opens;
};

struct backlog {
        struct user_backlog *users; /* once sealed: sorted by uid, one per user */
        size_t n, cap;
        bool sealed;
};

int backlog_new(struct backlog **ret)
{
        *ret = calloc(1, sizeof(**ret));
        return *ret ? 0 : -ENOMEM;
}

struct backlog *backlog_free(struct backlog *b)
{
        if (b) {
                free(b->users);
                free(b);
        }
        return NULL;
}

int backlog_add(struct backlog *b, uint32_t uid, uint64_t n)
{
        if (b->sealed)
                return -EBUSY;
        /* a run of one user's records, the common case, takes one slot */
        if (b->n > 0 && b->users[b->n - 1].uid == uid) {
                b->users[b->n - 1].opens += n;
                return 0;
        }
        if (b->n == b->cap) {
                size_t cap = b->cap ? b->cap * 2 : 64;
                struct user_backlog *grown = realloc(b->users, cap * sizeof(*grown));

                if (!grown)
                        return -ENOMEM;
                b->users = grown;
                b->cap = cap;
        }
        b->users[b->n++] = (struct user_backlog){ uid, n };
        return 0;
}

static int by_uid(const void *a, const void *b)
{
        const struct user_backlog *x = a, *y = b;

        return (x->uid > y->uid) - (x->uid < y->uid);
}

void backlog_seal(struct backlog *b)
{
        size_t kept = 0;

        if (b->sealed)
                return;
        qsort(b->users, b->n, sizeof(*b->users), by_uid);
        for (size_t i = 0; i < b->n; i++) {
                if (kept > 0 && b->users[kept - 1].uid == b->users[i].uid)
                        b->users[kept - 1].opens += b->users[i].opens;
                else
                        b->users[kept++] = b->users[i];
        }
        b->n = kept;
        b->sealed = true;
}

uint64_t backlog_of(const struct backlog *b, uint32_t uid)
{
        size_t lo = 0, hi = b->n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (b->users[mid].uid == uid)
                        return b->users[mid].opens;
                if (b->users[mid].uid < uid)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return 0;
}
