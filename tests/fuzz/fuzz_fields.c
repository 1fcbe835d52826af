/* SPDX-License-Identifier: MIT */
/* libFuzzer target: any bytes as a perf sample. The decoder must accept only
 * whole records, and the field encoder must turn any accepted record into
 * fields whose OPEN_PATH is the path byte for byte and whose MESSAGE is one
 * printable line, and into an entry of many names whose OPEN_FILES= lines
 * split one way and give the path back; the JSON and text writers must cope
 * with anything. */
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

/* An entry of many names: the decoded open three times, each with a count of its own. */
static void name_at(const void *src, size_t i, struct open_event *out, struct open_fold *fold)
{
        (void)src;
        memcpy(out, &ev, sizeof(ev));
        *fold = (struct open_fold){ i + 1, ev.boot_ns, ev.boot_ns + i, 0 };
}

/*
 * Its OPEN_FILES= splits into three lines of eight tab-separated columns,
 * whose path column gives back the path byte for byte: no path can add a
 * line or a column.
 */
static void check_files(const char *v, size_t len)
{
        static char back[ESCAPE_MAX(OPEN_PATH_MAX)];
        size_t lines = 0;

        for (size_t at = 0; at <= len; lines++) {
                const char *nl = memchr(v + at, '\n', len - at);
                size_t end = nl ? (size_t)(nl - v) : len, col = 0, start = at, back_len;

                for (size_t i = at; i <= end; i++)
                        if (i == end || v[i] == '\t') {
                                if (col == 5 && !(ev.event_flags & (OPEN_EVENT_PATH_FAULT | OPEN_EVENT_NO_PATH |
                                                                    OPEN_EVENT_PATH_UNSEEN)) &&
                                    (unescape_display(v + start, i - start, back, &back_len) < 0 ||
                                     back_len != ev.path_len || memcmp(back, ev.path, back_len) != 0))
                                        abort();
                                col++;
                                start = i + 1;
                        }
                if (col < 8)
                        abort();
                at = end + 1;
        }
        if (lines != 3)
                abort();
}

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
        {
                static struct open_event scratch;
                const struct open_names names = { .n = 3, .pids = 2, .name = name_at, .ev = &scratch };

                if (fields_from_names(&f, &names, &who, &o) < 0 || f.sendv_iovs > FIELDS_SENDV_IOVS)
                        abort(); /* three names of any path fit */
                for (size_t i = 0; i < f.n; i++) {
                        size_t name_len, len;
                        const char *v = fields_value(&f, i, &name_len, &len);

                        if (name_len == 10 && memcmp(f.iov[i].iov_base, "OPEN_FILES", 10) == 0)
                                check_files(v, len);
                }
        }
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
