/* SPDX-License-Identifier: MIT */
#include "fields.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "open_names.h"
#include "opensnoop.h"

static void fields_reset(struct fields *f)
{
        f->n = 0;
        f->used = 0;
}

/* Appends "NAME=" followed by len raw bytes. */
static int add_bytes(struct fields *f, const char *name, const char *value, size_t len)
{
        size_t name_len = strlen(name);
        char *p = f->buf + f->used;

        if (f->n >= FIELDS_MAX || name_len + 1 + len > sizeof(f->buf) - f->used)
                return -ENOBUFS;
        memcpy(p, name, name_len);
        p[name_len] = '=';
        memcpy(p + name_len + 1, value, len);
        f->iov[f->n].iov_base = p;
        f->iov[f->n].iov_len = name_len + 1 + len;
        f->n++;
        f->used += name_len + 1 + len;
        return 0;
}

static int add_string(struct fields *f, const char *name, const char *value)
{
        return add_bytes(f, name, value, strlen(value));
}

/* Numbers and other values we make ourselves: these are the only formatted ones. */
__attribute__((format(printf, 3, 4))) static int add_format(struct fields *f, const char *name, const char *fmt, ...)
{
        char value[64];
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(value, sizeof(value), fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t)n >= sizeof(value))
                return -ENOBUFS;
        return add_bytes(f, name, value, (size_t)n);
}

/*
 * The path part of MESSAGE: "PATH"; where the kernel side built an absolute
 * path, that one, as what was opened, then (as "PATH"); by handle, "ABS" (by
 * handle) or (a file handle). Returns the bytes written.
 */
static size_t message_path(const struct open_event *ev, char *out, size_t room)
{
        const char *abs = ev->path + ev->path_len + 1;
        size_t len = 0;

        if (ev->event_flags & OPEN_EVENT_ABS)
                len += escape_quoted(abs, ev->abs_len, out);
        if (ev->event_flags & OPEN_EVENT_PATH_UNSEEN)
                return len + (size_t)snprintf(out + len, room - len, "%s(name not seen)", len ? " " : "");
        /* the ELF interpreter: the file mapped, by its walk; the name the program gave is gone */
        if ((ev->event_flags & OPEN_EVENT_NO_PATH) && ev->interpreter == OPEN_INTERPRETER_ELF)
                return len ? len : (size_t)snprintf(out, room, "(file not found)");
        if (ev->event_flags & OPEN_EVENT_NO_PATH)
                return len + (size_t)snprintf(out + len, room - len, len ? " (by handle)" : "(a file handle)");
        if (ev->event_flags & OPEN_EVENT_PATH_FAULT)
                return len + (size_t)snprintf(out + len, room - len, "%s(unreadable path)", len ? " " : "");
        if (!len) {
                len = escape_quoted(ev->path, ev->path_len, out);
        } else {
                len += (size_t)snprintf(out + len, room - len, " (as ");
                len += escape_quoted(ev->path, ev->path_len, out + len);
                out[len++] = ')';
        }
        if (ev->event_flags & OPEN_EVENT_PATH_CHANGED)
                len += (size_t)snprintf(out + len, room - len, " (name changed during the call)");
        return len;
}

/*
 * MESSAGE=comm[pid] opened "PATH" FLAGS = FD, ... failed to open "PATH" FLAGS: ERRNO,
 * or ... was interrupted opening "PATH" FLAGS: ERESTARTSYS. The path is quoted, so
 * that no name can read as more of the sentence ("x; sshd[1] opened /etc/shadow").
 * A relative path is shown by its absolute form first: "/srv/a/x" (as "../x").
 */
static int add_message(struct fields *f, const struct open_event *ev, const struct open_fold *fold,
                       const char *flags_text, const char *error_name)
{
        const char *verb = (ev->event_flags & OPEN_EVENT_RESULT_UNREPORTED) ? "had io_uring open"
                           : ev->result >= 0                                ? "opened"
                           : open_result_interrupted(ev->result)            ? "was interrupted opening"
                           /* the error of a failed exec may be the open's or a later step's */
                           : ev->syscall == OPEN_SYSCALL_EXEC ? "failed to exec"
                                                              : "failed to open";
        char comm[ESCAPE_MAX(OPEN_COMM_LEN)];
        char *msg = f->buf + f->used;
        size_t room = sizeof(f->buf) - f->used, len, path_len;
        const char *prefix = "MESSAGE=";
        int n;

        escape_for_display(ev->comm, strnlen(ev->comm, OPEN_COMM_LEN), comm);
        n = snprintf(msg, room, "%s%s[%" PRIu32 "] %s ", prefix, comm, ev->pid, verb);
        if (n < 0 || (size_t)n >= room ||
            room - (size_t)n < ESCAPE_QUOTED_MAX((size_t)ev->path_len) + ESCAPE_QUOTED_MAX((size_t)ev->abs_len) + 128)
                return -ENOBUFS;
        len = (size_t)n;
        path_len = message_path(ev, msg + len, room - len);
        len += path_len;
        if (ev->event_flags & OPEN_EVENT_RESULT_UNREPORTED)
                n = snprintf(msg + len, room - len, " %s (success not reported)", flags_text);
        else if (ev->result >= 0 && (ev->event_flags & OPEN_EVENT_NO_FD))
                n = snprintf(msg + len, room - len, " %s (%s, no fd)", flags_text,
                             ev->interpreter == OPEN_INTERPRETER_ELF      ? "exec's ELF interpreter"
                             : ev->interpreter == OPEN_INTERPRETER_SCRIPT ? "exec's interpreter"
                                                                          : open_syscall_name(ev->syscall));
        else if (ev->result >= 0)
                n = snprintf(msg + len, room - len, " %s = %" PRId64, flags_text, (int64_t)ev->result);
        else
                n = snprintf(msg + len, room - len, " %s: %s", flags_text, error_name);
        if (n < 0 || (size_t)n >= room - len)
                return -ENOBUFS;
        len += (size_t)n;
        if (fold && fold->count > 1) {
                if (fold->pids > 1)
                        n = snprintf(msg + len, room - len, " (%" PRIu64 " times by %" PRIu32 " processes)",
                                     fold->count, fold->pids);
                else
                        n = snprintf(msg + len, room - len, " (%" PRIu64 " times)", fold->count);
                if (n < 0 || (size_t)n >= room - len)
                        return -ENOBUFS;
                len += (size_t)n;
        }
        if (f->n >= FIELDS_MAX)
                return -ENOBUFS;
        f->iov[f->n].iov_base = msg;
        f->iov[f->n].iov_len = len;
        f->n++;
        f->used += len;
        return 0;
}

/*
 * OPEN_ABS_PATH= for a relative open, as the kernel side walked it;
 * OPEN_ABS_PATH_DELETED=1 when the file or directory was unlinked; and
 * OPEN_ABS_PATH_INCOMPLETE= when the walk gave no path, or a partial one.
 */
static int add_abs_path(struct fields *f, const struct open_event *ev)
{
        static const struct {
                uint16_t flag;
                const char *why;
        } incomplete[] = {
                { OPEN_EVENT_ABS_TOO_DEEP, "too-deep" },
                { OPEN_EVENT_ABS_TOO_LONG, "too-long" },
                { OPEN_EVENT_ABS_NO_FILE, "fd-gone" },
                { OPEN_EVENT_ABS_UNREACHABLE, "unreachable" },
                { OPEN_EVENT_ABS_RENAMED, "renamed-during-walk" },
        };
        int r = 0;

        if (ev->event_flags & OPEN_EVENT_ABS)
                r |= add_bytes(f, "OPEN_ABS_PATH", ev->path + ev->path_len + 1, ev->abs_len);
        if (ev->event_flags & OPEN_EVENT_ABS_DELETED)
                r |= add_string(f, "OPEN_ABS_PATH_DELETED", "1");
        for (size_t i = 0; i < sizeof(incomplete) / sizeof(incomplete[0]); i++)
                if (ev->event_flags & incomplete[i].flag) {
                        r |= add_string(f, "OPEN_ABS_PATH_INCOMPLETE", incomplete[i].why);
                        break;
                }
        return r;
}

/* CLOCK_BOOTTIME → CLOCK_REALTIME in µs; wraps rather than overflows on a nonsense clock value. */
static int64_t realtime_usec(uint64_t boot_ns, const struct fields_options *o)
{
        return (int64_t)(boot_ns + (uint64_t)o->boot_to_realtime_ns) / 1000;
}

int fields_from_event(struct fields *f, const struct open_event *ev, const struct open_context *ctx,
                      const struct fields_options *o)
{
        char flags_text[OPEN_FLAGS_TEXT_MAX], errbuf[16];
        const char *error_name = NULL;
        bool interrupted = open_result_interrupted(ev->result), failed = ev->result < 0 && !interrupted;
        const struct open_fold *fold = ctx ? ctx->fold : NULL;
        const struct attribution *who = ctx ? ctx->who : NULL;
        int r = 0;

        fields_reset(f);
        open_flags_text(ev->flags, flags_text, sizeof(flags_text));
        if (ev->result < 0)
                error_name = open_errno_name((int)-ev->result, errbuf);

        r |= add_message(f, ev, fold, flags_text, error_name);
        r |= add_string(f, "MESSAGE_ID", OPENSNOOPD_MESSAGE_OPEN);
        /* an interrupted open is not a failure the program saw */
        r |= add_format(f, "PRIORITY", "%d", failed ? o->failure_priority : o->priority);
        r |= add_string(f, "SYSLOG_IDENTIFIER", "opensnoopd");
        r |= add_format(f, "OPEN_PID", "%" PRIu32, ev->pid);
        r |= add_format(f, "OPEN_TID", "%" PRIu32, ev->tid);
        r |= add_format(f, "OPEN_UID", "%" PRIu32, ev->uid);
        r |= add_format(f, "OPEN_GID", "%" PRIu32, ev->gid);
        r |= add_bytes(f, "OPEN_COMM", ev->comm, strnlen(ev->comm, OPEN_COMM_LEN));
        if (ev->event_flags & OPEN_EVENT_PATH_FAULT)
                r |= add_string(f, "OPEN_PATH_UNREADABLE", "1");
        else if (ev->event_flags & OPEN_EVENT_PATH_UNSEEN)
                r |= add_string(f, "OPEN_PATH_UNSEEN", "1");
        else if (!(ev->event_flags & OPEN_EVENT_NO_PATH))
                r |= add_bytes(f, "OPEN_PATH", ev->path, ev->path_len);
        if (ev->event_flags & OPEN_EVENT_PATH_TRUNCATED)
                r |= add_string(f, "OPEN_PATH_TRUNCATED", "1");
        if (ev->syscall == OPEN_SYSCALL_EXEC && ev->interpreter == OPEN_INTERPRETER_ELF)
                r |= add_string(f, "OPEN_EXEC_INTERPRETER", "elf");
        else if (ev->syscall == OPEN_SYSCALL_EXEC && ev->interpreter == OPEN_INTERPRETER_SCRIPT)
                r |= add_string(f, "OPEN_EXEC_INTERPRETER", "script");
        /* a failed open's name is from the caller's memory alone: read at entry and at return */
        if (ev->event_flags & OPEN_EVENT_PATH_CHANGED)
                r |= add_string(f, "OPEN_PATH_CHANGED", "1");
        else if (ev->event_flags & OPEN_EVENT_PATH_UNCHECKED)
                r |= add_string(f, "OPEN_PATH_UNCHECKED", "1");
        r |= add_abs_path(f, ev);
        r |= add_format(f, "OPEN_FLAGS", "0x%" PRIx64, (uint64_t)ev->flags);
        r |= add_string(f, "OPEN_FLAGS_TEXT", flags_text);
        if (open_flags_use_mode(ev->flags))
                r |= add_format(f, "OPEN_MODE", "%04" PRIo32, ev->mode & 07777);
        if (ev->dirfd != AT_FDCWD && ev->path[0] != '/' && !(ev->event_flags & OPEN_EVENT_PATH_FAULT))
                r |= add_format(f, "OPEN_DIRFD", "%" PRId32, ev->dirfd);
        if (ev->event_flags & OPEN_EVENT_RESULT_UNREPORTED) {
                r |= add_string(f, "OPEN_RESULT_UNREPORTED", "1");
        } else if (ev->result >= 0) {
                if (!(ev->event_flags & OPEN_EVENT_NO_FD))
                        r |= add_format(f, "OPEN_FD", "%" PRId64, (int64_t)ev->result);
        } else if (interrupted) {
                r |= add_string(f, "OPEN_INTERRUPTED", error_name);
        } else {
                r |= add_format(f, "OPEN_ERRNO", "%" PRId64, -(int64_t)ev->result);
                r |= add_string(f, "OPEN_ERROR", error_name);
        }
        r |= add_string(f, "OPEN_SYSCALL", open_syscall_name(ev->syscall));
        r |= add_format(f, "OPEN_CGROUP_ID", "%" PRIu64, (uint64_t)ev->cgroup_id);
        r |= add_format(f, "OPEN_TIMESTAMP_USEC", "%" PRId64, realtime_usec(ev->boot_ns, o));
        if (who && who->cgroup) {
                r |= add_string(f, "OPEN_CGROUP", who->cgroup);
                if (who->names.unit[0])
                        r |= add_string(f, "OPEN_UNIT", who->names.unit);
                if (who->names.user_unit[0])
                        r |= add_string(f, "OPEN_USER_UNIT", who->names.user_unit);
                if (who->names.container_id[0])
                        r |= add_string(f, "OPEN_CONTAINER_ID", who->names.container_id);
        }
        if (fold) {
                r |= add_format(f, "OPEN_COUNT", "%" PRIu64, fold->count);
                /* one open: both would repeat OPEN_TIMESTAMP_USEC, and a unique value costs the journal ~100 bytes */
                if (fold->count > 1) {
                        r |= add_format(f, "OPEN_FIRST_USEC", "%" PRId64, realtime_usec(fold->first_ns, o));
                        r |= add_format(f, "OPEN_LAST_USEC", "%" PRId64, realtime_usec(fold->last_ns, o));
                }
                if (fold->pids)
                        r |= add_format(f, "OPEN_PIDS", "%" PRIu32, fold->pids);
        }
        return r ? -ENOBUFS : 0;
}

int fields_loss_report(struct fields *f, const struct loss_report *report)
{
        uint64_t lost = report->lost, undelivered = report->undelivered, suppressed = report->suppressed;
        char msg[256];
        int r = 0;

        fields_reset(f);
        if (suppressed)
                snprintf(msg, sizeof(msg),
                         "%" PRIu64 " open events lost in the kernel, %" PRIu64 " could not be delivered, %" PRIu64
                         " were dropped by journald's rate limit",
                         lost, undelivered, suppressed);
        else
                snprintf(msg, sizeof(msg),
                         "%" PRIu64 " open events lost in the kernel, %" PRIu64 " could not be delivered", lost,
                         undelivered);
        if (report->from_pid) {
                size_t len = strlen(msg);

                snprintf(msg + len, sizeof(msg) - len, " by opensnoopd[%ld] before it stopped", (long)report->from_pid);
        }
        r |= add_string(f, "MESSAGE", msg);
        r |= add_string(f, "MESSAGE_ID", OPENSNOOPD_MESSAGE_LOSS);
        r |= add_string(f, "PRIORITY", "4");
        r |= add_string(f, "SYSLOG_IDENTIFIER", "opensnoopd");
        if (lost)
                r |= add_format(f, "OPEN_LOST", "%" PRIu64, lost);
        if (undelivered)
                r |= add_format(f, "OPEN_UNDELIVERED", "%" PRIu64, undelivered);
        if (suppressed)
                r |= add_format(f, "OPEN_SUPPRESSED", "%" PRIu64, suppressed);
        if (report->lost_by_uid[0])
                r |= add_string(f, "OPEN_LOST_UIDS", report->lost_by_uid);
        if (report->by_uid[0])
                r |= add_string(f, "OPEN_UNDELIVERED_UIDS", report->by_uid);
        if (report->from_pid) {
                r |= add_format(f, "OPEN_LOSS_PID", "%ld", (long)report->from_pid);
                r |= add_format(f, "OPEN_LOSS_SINCE_USEC", "%" PRIu64, report->since_usec);
                r |= add_format(f, "OPEN_LOSS_UNTIL_USEC", "%" PRIu64, report->until_usec);
        }
        return r ? -ENOBUFS : 0;
}

const char *fields_value(const struct fields *f, size_t i, size_t *name_len, size_t *len)
{
        const char *s = f->iov[i].iov_base;
        const char *eq = memchr(s, '=', f->iov[i].iov_len);
        size_t nl = eq ? (size_t)(eq - s) : f->iov[i].iov_len;

        *name_len = nl;
        *len = f->iov[i].iov_len - nl - (eq ? 1 : 0);
        return eq ? eq + 1 : s + nl;
}
