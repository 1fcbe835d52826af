/* SPDX-License-Identifier: MIT */
#include "pipeline.h"

#include <errno.h>
#include <stdlib.h>

#include "decode.h"

struct pipeline {
        struct sink *sink;
        struct open_event event; /* 4 KiB: too large for the stack of every call */
};

int pipeline_new(struct sink *sink, struct pipeline **ret)
{
        struct pipeline *p = calloc(1, sizeof(*p));

        if (!p)
                return -ENOMEM;
        p->sink = sink;
        *ret = p;
        return 0;
}

struct pipeline *pipeline_free(struct pipeline *p)
{
        free(p);
        return NULL;
}

int pipeline_push(struct pipeline *p, const void *record, size_t len)
{
        int r = decode_record(record, len, &p->event);

        if (r < 0)
                return r;
        return sink_write_event(p->sink, &p->event);
}
