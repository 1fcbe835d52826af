/* SPDX-License-Identifier: MIT */
/* --output=text: opensnoop's columns, for a person at a terminal. */
#include "sink.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "escape.h"

static void text_header(struct sink *s)
{
        fprintf(s->stream, "%-14s %-16s %-7s %4s %3s %s\n", "TIME(s)", "COMM", "PID", "FD", "ERR", "PATH");
}

static int text_line(struct sink *s, const struct open_event *ev, uint64_t count)
{
        char comm[ESCAPE_MAX(OPEN_COMM_LEN)], path[ESCAPE_MAX(OPEN_PATH_MAX)];
        double t = ev->boot_ns >= s->start_boot_ns ? (double)(ev->boot_ns - s->start_boot_ns) / 1e9 : 0.0;

        escape_for_display(ev->comm, strnlen(ev->comm, OPEN_COMM_LEN), comm);
        if ((ev->event_flags & OPEN_EVENT_NO_PATH) && (ev->event_flags & OPEN_EVENT_ABS))
                escape_for_display(ev->path + ev->path_len + 1, ev->abs_len, path); /* by handle: what opened */
        else
                escape_for_display(ev->path, ev->path_len, path);
        /* FD -1: none (a failure, or no fd: exec's program file, io_uring's fixed file table) */
        fprintf(s->stream, "%-14.6f %-16s %-7" PRIu32 " %4" PRId64 " %3" PRId64 " %s", t, comm, ev->pid,
                (int64_t)(ev->result >= 0 && !(ev->event_flags & (OPEN_EVENT_NO_FD | OPEN_EVENT_RESULT_UNREPORTED))
                                  ? ev->result
                                  : -1),
                (int64_t)(ev->result >= 0 ? 0 : -ev->result), path);
        /* a folded line says how many opens it stands for */
        if (count > 1)
                fprintf(s->stream, " (x%" PRIu64 ")", count);
        fputc('\n', s->stream);
        return ferror(s->stream) ? -EIO : 0;
}

static int text_write_event(struct sink *s, const struct open_event *ev, const struct open_context *ctx)
{
        return text_line(s, ev, ctx->fold ? ctx->fold->count : 1);
}

/* An entry of many names: a line each, at its first open's time, pid and fd. */
static int text_write_names(struct sink *s, const struct open_names *names, const struct open_context *ctx)
{
        struct open_fold fold;
        int r = 0;

        (void)ctx;
        for (size_t i = 0; i < names->n && r == 0; i++) {
                names->name(names->src, i, names->ev, &fold);
                r = text_line(s, names->ev, fold.count);
        }
        return r;
}

/* On stderr: stdout holds only the columns, for whatever reads them. */
static int text_write_loss(struct sink *s, const struct loss_report *report)
{
        (void)s;
        fprintf(stderr, "opensnoopd: %llu events lost in the kernel, %llu could not be delivered\n",
                (unsigned long long)report->lost, (unsigned long long)report->undelivered);
        return 0;
}

const struct sink_ops sink_text_ops = {
        .header = text_header,
        .write_event = text_write_event,
        .write_names = text_write_names,
        .write_loss = text_write_loss,
        .flush = sink_stream_flush,
};
