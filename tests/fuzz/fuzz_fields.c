/* SPDX-License-Identifier: MIT */
/* libFuzzer target: any bytes as a perf sample. The decoder must accept only
 * whole records, and the field encoder must turn any accepted record into
 * fields whose OPEN_PATH is the path byte for byte and whose MESSAGE is one
 * printable line; the JSON and text writers must cope with anything. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "escape.h"
#include "fields.h"
#include "sink.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static struct open_event ev;
static struct fields f;

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
        const struct fields_options o = { .priority = 6, .failure_priority = 5 };
        /* the largest a folded entry says: every field it adds, at its widest */
        static const struct open_fold fold = { UINT64_MAX, 0, UINT64_MAX, UINT32_MAX };
        static char cgroup[OPEN_PATH_MAX];
        static struct attribution who; /* the longest cgroup path and names there are */
        const struct open_context widest = { &fold, &who };

        if (!who.cgroup) {
                memset(cgroup, 'c', sizeof(cgroup) - 1);
                cgroup[0] = '/';
                memset(who.names.unit, 'u', sizeof(who.names.unit) - 1);
                memset(who.names.user_unit, 'v', sizeof(who.names.user_unit) - 1);
                memset(who.names.container_id, 'a', sizeof(who.names.container_id) - 1);
                who.cgroup = cgroup;
        }
        bool saw_path = false;
        FILE *null;

        if (decode_record(data, size, &ev) < 0)
                return 0;
        if (fields_from_event(&f, &ev, &widest, &o) < 0)
                abort(); /* a decoded event always fits, folded too */
        if (fields_from_event(&f, &ev, NULL, &o) < 0)
                abort();
        for (size_t i = 0; i < f.n; i++) {
                size_t name_len, len;
                const char *v = fields_value(&f, i, &name_len, &len);

                if (name_len == 9 && memcmp(f.iov[i].iov_base, "OPEN_PATH", 9) == 0) {
                        if (len != ev.path_len || memcmp(v, ev.path, len) != 0)
                                abort();
                        saw_path = true;
                }
                if (name_len == 7 && memcmp(f.iov[i].iov_base, "MESSAGE", 7) == 0 &&
                    (memchr(v, '\n', len) || !utf8_is_valid(v, len)))
                        abort();
        }
        if (!saw_path && !(ev.event_flags & (OPEN_EVENT_PATH_FAULT | OPEN_EVENT_NO_PATH |
                                             OPEN_EVENT_PATH_UNSEEN))) /* by handle, or not seen: no path */
                abort();
        null = fopen("/dev/null", "w");
        sink_json_write_fields(null, &f);
        {
                struct sink_options so = { .priority = 6, .failure_priority = 5, .stream = null };
                struct sink *text = NULL;

                if (sink_new(&sink_text_ops, &so, &text) == 0)
                        sink_write_event(text, &ev, &widest);
                sink_free(text);
        }
        fclose(null);
        return 0;
}
