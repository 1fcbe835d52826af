/* SPDX-License-Identifier: MIT */
#include "unit_filter.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "unit_match.h"

struct unit_filter {
        pthread_mutex_t lock;
        struct unit_verdict_store store;
        struct str_list units, exclude_units;
};

int unit_filter_new(const struct unit_verdict_store *store, struct unit_filter **ret)
{
        struct unit_filter *u = calloc(1, sizeof(*u));

        if (!u)
                return -ENOMEM;
        pthread_mutex_init(&u->lock, NULL);
        u->store = *store;
        *ret = u;
        return 0;
}

int unit_filter_set(struct unit_filter *u, const struct filter_config *c)
{
        struct str_list units, exclude_units;
        int r;

        if (str_list_equal(&u->units, &c->units) && str_list_equal(&u->exclude_units, &c->exclude_units))
                return 0;
        r = str_list_copy(&c->units, &units);
        if (r < 0)
                return r;
        r = str_list_copy(&c->exclude_units, &exclude_units);
        if (r < 0) {
                str_list_clear(&units);
                return r;
        }
        pthread_mutex_lock(&u->lock);
        str_list_clear(&u->units);
        str_list_clear(&u->exclude_units);
        u->units = units;
        u->exclude_units = exclude_units;
        r = u->store.clear(u->store.cookie);
        pthread_mutex_unlock(&u->lock);
        return r;
}

uint8_t unit_filter_decide(struct unit_filter *u, uint64_t cgroup_id, const char *path)
{
        uint8_t verdict;

        pthread_mutex_lock(&u->lock);
        verdict = unit_match_verdict(path, &u->units, &u->exclude_units);
        /* a full map is no error: that cgroup's opens keep coming here, decided the same way */
        if (path)
                (void)u->store.store(u->store.cookie, cgroup_id, verdict);
        pthread_mutex_unlock(&u->lock);
        return verdict;
}

struct unit_filter *unit_filter_free(struct unit_filter *u)
{
        if (!u)
                return NULL;
        str_list_clear(&u->units);
        str_list_clear(&u->exclude_units);
        pthread_mutex_destroy(&u->lock);
        free(u);
        return NULL;
}
