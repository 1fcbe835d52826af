/* SPDX-License-Identifier: MIT */
/*
 * The journal sink: the only file that talks to journald. sd_journal_sendv()
 * reports success and sends nothing when journald's socket does not exist,
 * so the socket is checked before every send (well under a microsecond,
 * against about 20 for the send itself): that case is retried and counted,
 * not lost silently.
 */
#include "sink.h"

#include "clock.h"
#include "send_history.h"

/* CODE_FILE=sink_journal.c on every entry would tell the reader nothing. */
#define SD_JOURNAL_SUPPRESS_LOCATION

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

static bool journal_reachable(void)
{
        return access(JOURNAL_SOCKET, W_OK) == 0;
}

/*
 * Errors that pass: journald away (the socket is gone, or outlived it:
 * ECONNREFUSED), overloaded (EAGAIN, ENOBUFS) or short of memory. Anything
 * else says this entry can never be sent, and retrying it would stall every
 * entry behind it.
 */
int sink_journal_error_is_transient(int err)
{
        switch (err < 0 ? -err : err) {
        case EAGAIN:
        case ENOBUFS:
        case ENOMEM:
        case ECONNREFUSED:
        case ECONNRESET:
        case ENOENT:
        case ENOTCONN:
        case EPIPE:
        case EINTR:
        case ETIMEDOUT:
                return 1;
        default:
                return 0;
        }
}

/* Which priority an entry has, and when it was sent: for journal_watch_settle(). */
static void note_sent(struct sink *s)
{
        int priority = -1;

        for (size_t i = 0; i < s->fields.n && priority < 0; i++) {
                const char *v = s->fields.iov[i].iov_base;

                if (s->fields.iov[i].iov_len == 10 && memcmp(v, "PRIORITY=", 9) == 0 && v[9] >= '0' && v[9] <= '7')
                        priority = v[9] - '0';
        }
        send_history_note(s->state, priority, clock_ns(CLOCK_MONOTONIC));
}

static int journal_send(struct sink *s)
{
        int r;

        if (!journal_reachable())
                return -EAGAIN;
        r = sd_journal_sendv(s->fields.iov, (int)s->fields.n);
        if (r >= 0) {
                note_sent(s);
                return 0;
        }
        return sink_journal_error_is_transient(r) ? -EAGAIN : r;
}

static int journal_write_event(struct sink *s, const struct open_event *ev, const struct open_context *ctx)
{
        int r = sink_fields_from_event(s, ev, ctx);

        return r < 0 ? r : journal_send(s);
}

static int journal_write_names(struct sink *s, const struct open_names *names, const struct open_context *ctx)
{
        int r = sink_fields_from_names(s, names, ctx);

        return r < 0 ? r : journal_send(s);
}

static int journal_write_loss(struct sink *s, const struct loss_report *report)
{
        int r = fields_loss_report(&s->fields, report);

        return r < 0 ? r : journal_send(s);
}

static int journal_open(struct sink *s)
{
        s->state = calloc(1, sizeof(struct send_history));
        return s->state ? 0 : -ENOMEM;
}

static void journal_close(struct sink *s)
{
        free(s->state);
        s->state = NULL;
}

const struct send_history *sink_journal_history(const struct sink *s)
{
        return s && s->ops == &sink_journal_ops ? s->state : NULL;
}

const struct sink_ops sink_journal_ops = {
        .open = journal_open,
        .close = journal_close,
        .write_event = journal_write_event,
        .write_names = journal_write_names,
        .write_loss = journal_write_loss,
};
