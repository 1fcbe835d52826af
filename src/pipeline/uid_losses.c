/* SPDX-License-Identifier: MIT */
#include "uid_losses.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void uid_losses_init(struct uid_losses *u)
{
        memset(u, 0, sizeof(*u));
        pthread_mutex_init(&u->lock, NULL);
}

void uid_losses_done(struct uid_losses *u)
{
        if (u)
                pthread_mutex_destroy(&u->lock);
}

void uid_loss_counts_add(struct uid_loss_counts *c, uint32_t uid, uint64_t n)
{
        size_t i;

        for (i = 0; i < c->n && c->users[i].uid != uid; i++)
                ;
        if (i < c->n)
                c->users[i].count += n;
        else if (c->n < UID_LOSSES_MAX)
                c->users[c->n++] = (struct uid_loss){ uid, n };
        else
                c->others += n;
}

void uid_losses_add(struct uid_losses *u, uint32_t uid, uint64_t n)
{
        pthread_mutex_lock(&u->lock);
        uid_loss_counts_add(&u->counts, uid, n);
        pthread_mutex_unlock(&u->lock);
}

void uid_losses_snapshot(struct uid_losses *u, struct uid_loss_counts *copy)
{
        pthread_mutex_lock(&u->lock);
        *copy = u->counts;
        pthread_mutex_unlock(&u->lock);
}

static int most_first(const void *a, const void *b)
{
        const struct uid_loss *x = a, *y = b;

        return x->count < y->count ? 1 : x->count > y->count ? -1 : (x->uid > y->uid) - (x->uid < y->uid);
}

void uid_losses_news(const struct uid_loss_counts *now, const struct uid_loss_counts *then,
                     struct uid_loss_counts *news)
{
        *news = (struct uid_loss_counts){ .others = now->others - then->others };
        for (size_t i = 0; i < now->n; i++) {
                uint64_t before = 0;

                /* users are only ever appended: the same slot, or none yet */
                if (i < then->n && then->users[i].uid == now->users[i].uid)
                        before = then->users[i].count;
                if (now->users[i].count > before)
                        news->users[news->n++] = (struct uid_loss){ now->users[i].uid, now->users[i].count - before };
        }
}

void uid_losses_format(const struct uid_loss_counts *c, char *buf, size_t size)
{
        struct uid_loss sorted[UID_LOSSES_MAX];
        size_t n = 0, len = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < c->n; i++)
                if (c->users[i].count)
                        sorted[n++] = c->users[i];
        qsort(sorted, n, sizeof(sorted[0]), most_first);
        for (size_t i = 0; i < n && len < size; i++)
                len += (size_t)snprintf(buf + len, size - len, "%s%" PRIu32 ":%" PRIu64, len ? " " : "", sorted[i].uid,
                                        sorted[i].count);
        if (c->others && len < size)
                snprintf(buf + len, size - len, "%sother:%" PRIu64, len ? " " : "", c->others);
}

void uid_losses_format_news(const struct uid_loss_counts *now, const struct uid_loss_counts *then, char *buf,
                            size_t size)
{
        struct uid_loss_counts news;

        uid_losses_news(now, then, &news);
        uid_losses_format(&news, buf, size);
}
