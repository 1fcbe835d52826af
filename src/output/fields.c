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
        f->sendv_iovs = 0;
}

/* What sd_journal_sendv() makes of a field: 2 iovecs, or 4 for a value with a newline (its binary form). */
static size_t sendv_iovs(const char *value, size_t len)
{
        return memchr(value, '\n', len) ? 4 : 2;
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
        f->sendv_iovs += sendv_iovs(value, len);
        return 0;
}

static int add_string(struct fields *f, const char *name, const char *value)
{
        return add_bytes(f, name, value, strlen(value));
}

/* A number or another value we make ourselves, into value[64]: its length, or -ENOBUFS. */
#define FORMAT_VALUE_MAX 64
static int format_value(char value[FORMAT_VALUE_MAX], const char *fmt, va_list ap)
{
        int n = vsnprintf(value, FORMAT_VALUE_MAX, fmt, ap);

        return n < 0 || n >= FORMAT_VALUE_MAX ? -ENOBUFS : n;
}

/* Numbers and other values we make ourselves: these are the only formatted ones. */
__attribute__((format(printf, 3, 4))) static int add_format(struct fields *f, const char *name, const char *fmt, ...)
{
        char value[FORMAT_VALUE_MAX];
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = format_value(value, fmt, ap);
        va_end(ap);
        return n < 0 ? n : add_bytes(f, name, value, (size_t)n);
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
        f->sendv_iovs += 2; /* escaped: no newline */
        return 0;
}

/*
 * Which of a name's fields a call adds. An entry of one name has them all.
 * An entry of many has each value once, in two passes: the paths, which
 * fold_gather() made room for, then the rest (flags, outcome, system call,
 * ...) while there is room; the fd and dirfd of each name are in its line of
 * OPEN_FILES= only.
 */
enum name_pass { NAME_ALL, NAME_PATHS, NAME_REST };

/* FNV-1a of "NAME=value", never 0 (an empty slot). */
static uint64_t field_hash(const char *name, const char *value, size_t len)
{
        uint64_t h = 0xcbf29ce484222325ull;

        for (const char *p = name; *p; p++)
                h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
        h = (h ^ '=') * 0x100000001b3ull;
        for (size_t i = 0; i < len; i++)
                h = (h ^ (unsigned char)value[i]) * 0x100000001b3ull;
        return h | 1;
}

/*
 * Whether the names' fields of this entry have "NAME=value" already; if not,
 * *slot is where it goes. The table never fills: FIELDS_MAX fields at most.
 */
static bool has_field(const struct fields *f, const char *name, const char *value, size_t len, uint64_t hash,
                      size_t *slot)
{
        size_t name_len = strlen(name), i = hash & (FIELDS_SEEN_SLOTS - 1);

        for (; f->seen[i]; i = (i + 1) & (FIELDS_SEEN_SLOTS - 1)) {
                const struct iovec *v = &f->iov[f->seen_at[i]];

                if (f->seen[i] == hash && v->iov_len == name_len + 1 + len && memcmp(v->iov_base, name, name_len) == 0 &&
                    ((const char *)v->iov_base)[name_len] == '=' &&
                    memcmp((const char *)v->iov_base + name_len + 1, value, len) == 0)
                        return true;
        }
        *slot = i;
        return false;
}

/* A field of a name's, in pass: added, passed over (another pass's, there already, or no room), or -ENOBUFS. */
static int add_name_bytes(struct fields *f, enum name_pass pass, bool path, const char *name, const char *value,
                          size_t len)
{
        uint64_t hash;
        size_t slot;
        int r;

        if (pass == NAME_ALL)
                return add_bytes(f, name, value, len);
        if (path != (pass == NAME_PATHS))
                return 0;
        hash = field_hash(name, value, len);
        if (has_field(f, name, value, len, hash, &slot))
                return 0;
        if (pass == NAME_REST && (f->n + 1 > FIELDS_MAX || f->sendv_iovs + sendv_iovs(value, len) > FIELDS_SENDV_IOVS ||
                                  strlen(name) + 1 + len > sizeof(f->buf) - f->used))
                return 0; /* the value is still in the name's line of OPEN_FILES= */
        r = add_bytes(f, name, value, len);
        if (r == 0) {
                f->seen[slot] = hash;
                f->seen_at[slot] = (uint16_t)(f->n - 1);
        }
        return r;
}

static int add_name_string(struct fields *f, enum name_pass pass, const char *name, const char *value)
{
        return add_name_bytes(f, pass, false, name, value, strlen(value));
}

__attribute__((format(printf, 4, 5))) static int add_name_format(struct fields *f, enum name_pass pass,
                                                                 const char *name, const char *fmt, ...)
{
        char value[FORMAT_VALUE_MAX];
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = format_value(value, fmt, ap);
        va_end(ap);
        return n < 0 ? n : add_name_bytes(f, pass, false, name, value, (size_t)n);
}

static const struct {
        uint16_t flag;
        const char *why;
} abs_incomplete[] = {
        { OPEN_EVENT_ABS_TOO_DEEP, "too-deep" },
        { OPEN_EVENT_ABS_TOO_LONG, "too-long" },
        { OPEN_EVENT_ABS_NO_FILE, "fd-gone" },
        { OPEN_EVENT_ABS_UNREACHABLE, "unreachable" },
        { OPEN_EVENT_ABS_RENAMED, "renamed-during-walk" },
};

/*
 * OPEN_ABS_PATH= for a relative open, as the kernel side walked it;
 * OPEN_ABS_PATH_DELETED=1 when the file or directory was unlinked; and
 * OPEN_ABS_PATH_INCOMPLETE= when the walk gave no path, or a partial one.
 */
static int add_abs_path(struct fields *f, const struct open_event *ev, enum name_pass pass)
{
        int r = 0;

        if (ev->event_flags & OPEN_EVENT_ABS)
                r |= add_name_bytes(f, pass, true, "OPEN_ABS_PATH", ev->path + ev->path_len + 1, ev->abs_len);
        if (ev->event_flags & OPEN_EVENT_ABS_DELETED)
                r |= add_name_string(f, pass, "OPEN_ABS_PATH_DELETED", "1");
        for (size_t i = 0; i < sizeof(abs_incomplete) / sizeof(abs_incomplete[0]); i++)
                if (ev->event_flags & abs_incomplete[i].flag) {
                        r |= add_name_string(f, pass, "OPEN_ABS_PATH_INCOMPLETE", abs_incomplete[i].why);
                        break;
                }
        return r;
}

/* What names the file and how it was opened: OPEN_PATH= ... OPEN_SYSCALL=. */
static int add_name(struct fields *f, const struct open_event *ev, enum name_pass pass, const char *flags_text,
                    const char *error_name)
{
        bool interrupted = open_result_interrupted(ev->result);
        int r = 0;

        if (ev->event_flags & OPEN_EVENT_PATH_FAULT)
                r |= add_name_string(f, pass, "OPEN_PATH_UNREADABLE", "1");
        else if (ev->event_flags & OPEN_EVENT_PATH_UNSEEN)
                r |= add_name_string(f, pass, "OPEN_PATH_UNSEEN", "1");
        else if (!(ev->event_flags & OPEN_EVENT_NO_PATH))
                r |= add_name_bytes(f, pass, true, "OPEN_PATH", ev->path, ev->path_len);
        if (ev->event_flags & OPEN_EVENT_PATH_TRUNCATED)
                r |= add_name_string(f, pass, "OPEN_PATH_TRUNCATED", "1");
        if (ev->syscall == OPEN_SYSCALL_EXEC && ev->interpreter == OPEN_INTERPRETER_ELF)
                r |= add_name_string(f, pass, "OPEN_EXEC_INTERPRETER", "elf");
        else if (ev->syscall == OPEN_SYSCALL_EXEC && ev->interpreter == OPEN_INTERPRETER_SCRIPT)
                r |= add_name_string(f, pass, "OPEN_EXEC_INTERPRETER", "script");
        /* a failed open's name is from the caller's memory alone: read at entry and at return */
        if (ev->event_flags & OPEN_EVENT_PATH_CHANGED)
                r |= add_name_string(f, pass, "OPEN_PATH_CHANGED", "1");
        else if (ev->event_flags & OPEN_EVENT_PATH_UNCHECKED)
                r |= add_name_string(f, pass, "OPEN_PATH_UNCHECKED", "1");
        r |= add_abs_path(f, ev, pass);
        r |= add_name_format(f, pass, "OPEN_FLAGS", "0x%" PRIx64, (uint64_t)ev->flags);
        r |= add_name_string(f, pass, "OPEN_FLAGS_TEXT", flags_text);
        if (open_flags_use_mode(ev->flags))
                r |= add_name_format(f, pass, "OPEN_MODE", "%04" PRIo32, ev->mode & 07777);
        if (pass == NAME_ALL && ev->dirfd != AT_FDCWD && ev->path[0] != '/' &&
            !(ev->event_flags & OPEN_EVENT_PATH_FAULT))
                r |= add_format(f, "OPEN_DIRFD", "%" PRId32, ev->dirfd);
        if (ev->event_flags & OPEN_EVENT_RESULT_UNREPORTED) {
                r |= add_name_string(f, pass, "OPEN_RESULT_UNREPORTED", "1");
        } else if (ev->result >= 0) {
                if (pass == NAME_ALL && !(ev->event_flags & OPEN_EVENT_NO_FD))
                        r |= add_format(f, "OPEN_FD", "%" PRId64, (int64_t)ev->result);
        } else if (interrupted) {
                r |= add_name_string(f, pass, "OPEN_INTERRUPTED", error_name);
        } else {
                r |= add_name_format(f, pass, "OPEN_ERRNO", "%" PRId64, -(int64_t)ev->result);
                r |= add_name_string(f, pass, "OPEN_ERROR", error_name);
        }
        r |= add_name_string(f, pass, "OPEN_SYSCALL", open_syscall_name(ev->syscall));
        return r;
}

/* CLOCK_BOOTTIME → CLOCK_REALTIME in µs; wraps rather than overflows on a nonsense clock value. */
static int64_t realtime_usec(uint64_t boot_ns, const struct fields_options *o)
{
        return (int64_t)(boot_ns + (uint64_t)o->boot_to_realtime_ns) / 1000;
}

/* OPEN_CGROUP= and the names it has: OPEN_UNIT=, OPEN_USER_UNIT=, OPEN_CONTAINER_ID=. */
static int add_attribution(struct fields *f, const struct attribution *who)
{
        int r = 0;

        if (!who || !who->cgroup)
                return 0;
        r |= add_string(f, "OPEN_CGROUP", who->cgroup);
        if (who->names.unit[0])
                r |= add_string(f, "OPEN_UNIT", who->names.unit);
        if (who->names.user_unit[0])
                r |= add_string(f, "OPEN_USER_UNIT", who->names.user_unit);
        if (who->names.container_id[0])
                r |= add_string(f, "OPEN_CONTAINER_ID", who->names.container_id);
        return r;
}

int fields_from_event(struct fields *f, const struct open_event *ev, const struct open_context *ctx,
                      const struct fields_options *o)
{
        char flags_text[OPEN_FLAGS_TEXT_MAX], errbuf[16];
        const char *error_name = NULL;
        bool failed = ev->result < 0 && !open_result_interrupted(ev->result);
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
        r |= add_name(f, ev, NAME_ALL, flags_text, error_name);
        r |= add_format(f, "OPEN_CGROUP_ID", "%" PRIu64, (uint64_t)ev->cgroup_id);
        r |= add_format(f, "OPEN_TIMESTAMP_USEC", "%" PRId64, realtime_usec(ev->boot_ns, o));
        r |= add_attribution(f, who);
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

/* ---- an entry of many names ---- */

void fields_name_cost(const char *path, size_t path_len, const char *abs, size_t abs_len, struct fields_cost *c)
{
        /* OPEN_PATH= and OPEN_ABS_PATH=, and the name's line of OPEN_FILES= at its longest */
        c->iovs = sendv_iovs(path, path_len) + (abs ? sendv_iovs(abs, abs_len) : 0);
        c->bytes = sizeof("OPEN_PATH=") + path_len + (abs ? sizeof("OPEN_ABS_PATH=") + abs_len : 0) +
                   FIELDS_FILES_LINE_MAX(path_len, abs ? abs_len : 0);
}

/* The notes of a name's line: what its fields say beyond its path, flags and outcome. */
static size_t files_notes(const struct open_event *ev, char *out, size_t room)
{
        const char *notes[12];
        char mode[16], dirfd[24], incomplete[48];
        size_t n = 0, len = 0;

        if (ev->event_flags & OPEN_EVENT_PATH_FAULT)
                notes[n++] = "no-path,unreadable";
        else if (ev->event_flags & OPEN_EVENT_PATH_UNSEEN)
                notes[n++] = "no-path,unseen";
        else if (ev->event_flags & OPEN_EVENT_NO_PATH)
                notes[n++] = ev->syscall == OPEN_SYSCALL_EXEC ? "no-path" : "no-path,by-handle";
        if (ev->event_flags & OPEN_EVENT_PATH_TRUNCATED)
                notes[n++] = "truncated";
        if (ev->syscall == OPEN_SYSCALL_EXEC && ev->interpreter == OPEN_INTERPRETER_ELF)
                notes[n++] = "interpreter=elf";
        else if (ev->syscall == OPEN_SYSCALL_EXEC && ev->interpreter == OPEN_INTERPRETER_SCRIPT)
                notes[n++] = "interpreter=script";
        if (ev->event_flags & OPEN_EVENT_PATH_CHANGED)
                notes[n++] = "changed";
        else if (ev->event_flags & OPEN_EVENT_PATH_UNCHECKED)
                notes[n++] = "unchecked";
        if (ev->event_flags & OPEN_EVENT_ABS_DELETED)
                notes[n++] = "abs-deleted";
        for (size_t i = 0; i < sizeof(abs_incomplete) / sizeof(abs_incomplete[0]); i++)
                if (ev->event_flags & abs_incomplete[i].flag) {
                        snprintf(incomplete, sizeof(incomplete), "abs-incomplete=%s", abs_incomplete[i].why);
                        notes[n++] = incomplete;
                        break;
                }
        if (open_flags_use_mode(ev->flags)) {
                snprintf(mode, sizeof(mode), "mode=%04" PRIo32, ev->mode & 07777);
                notes[n++] = mode;
        }
        if (ev->dirfd != AT_FDCWD && ev->path[0] != '/' && !(ev->event_flags & OPEN_EVENT_PATH_FAULT)) {
                snprintf(dirfd, sizeof(dirfd), "dirfd=%" PRId32, ev->dirfd);
                notes[n++] = dirfd;
        }
        out[0] = '\0';
        for (size_t i = 0; i < n; i++) {
                int w = snprintf(out + len, room - len, "%s%s", i ? "," : "", notes[i]);

                if (w < 0 || (size_t)w >= room - len)
                        break;
                len += (size_t)w;
        }
        return len;
}

/*
 * One name's line of OPEN_FILES=, tab-separated: its opens; when the first of
 * them returned, in microseconds after the entry's OPEN_TIMESTAMP_USEC=; its
 * outcome (the first open's fd, "-" for none, the errno's name,
 * "interrupted (ERESTARTSYS)"); OPEN_FLAGS_TEXT=; OPEN_SYSCALL=; the path
 * and its absolute form escaped for display (a tab, a newline or a backslash
 * in them is escaped: the line splits one way only); and the notes. Returns
 * its length, or 0 if room is short (FIELDS_FILES_LINE_MAX() always suffices).
 */
static size_t files_line(const struct open_event *ev, const struct open_fold *fold, uint64_t entry_first_ns, char *out,
                         size_t room)
{
        char flags_text[OPEN_FLAGS_TEXT_MAX], errbuf[16], result[48], notes[FIELDS_FILES_NOTES_MAX];
        bool has_abs = ev->event_flags & OPEN_EVENT_ABS, has_path = !(ev->event_flags & (OPEN_EVENT_PATH_FAULT |
                                                                                          OPEN_EVENT_PATH_UNSEEN |
                                                                                          OPEN_EVENT_NO_PATH));
        size_t len;
        int w;

        if (room < FIELDS_FILES_LINE_MAX(has_path ? ev->path_len : 0, has_abs ? ev->abs_len : 0))
                return 0;
        open_flags_text(ev->flags, flags_text, sizeof(flags_text));
        if ((ev->event_flags & OPEN_EVENT_RESULT_UNREPORTED) || (ev->result >= 0 && (ev->event_flags & OPEN_EVENT_NO_FD)))
                snprintf(result, sizeof(result), "-");
        else if (ev->result >= 0)
                snprintf(result, sizeof(result), "%" PRId64, (int64_t)ev->result);
        else if (open_result_interrupted(ev->result))
                snprintf(result, sizeof(result), "interrupted (%s)", open_errno_name((int)-ev->result, errbuf));
        else
                snprintf(result, sizeof(result), "%s", open_errno_name((int)-ev->result, errbuf));
        files_notes(ev, notes, sizeof(notes));
        w = snprintf(out, room, "%" PRIu64 "\t%" PRIu64 "\t%s\t%s\t%s\t", fold->count,
                     (fold->first_ns - entry_first_ns) / 1000, result, flags_text, open_syscall_name(ev->syscall));
        if (w < 0 || (size_t)w >= room)
                return 0;
        len = (size_t)w;
        if (has_path)
                len += escape_for_display(ev->path, ev->path_len, out + len);
        out[len++] = '\t';
        if (has_abs)
                len += escape_for_display(ev->path + ev->path_len + 1, ev->abs_len, out + len);
        w = snprintf(out + len, room - len, "\t%s", notes);
        return w < 0 || (size_t)w >= room - len ? 0 : len + (size_t)w;
}

/* OPEN_FILES=: a line per name, in the order the names came; first_ns: the entry's first open. */
static int add_files(struct fields *f, const struct open_names *names, uint64_t first_ns)
{
        static const char name[] = "OPEN_FILES=";
        char *out = f->buf + f->used;
        size_t room = sizeof(f->buf) - f->used, len = sizeof(name) - 1;
        struct open_fold fold;

        if (f->n >= FIELDS_MAX || room < len)
                return -ENOBUFS;
        memcpy(out, name, len);
        for (size_t i = 0; i < names->n; i++) {
                size_t line;

                names->name(names->src, i, names->ev, &fold);
                if (i) {
                        if (room - len < 1)
                                return -ENOBUFS;
                        out[len++] = '\n';
                }
                line = files_line(names->ev, &fold, first_ns, out + len, room - len);
                if (line == 0)
                        return -ENOBUFS;
                len += line;
        }
        f->iov[f->n].iov_base = out;
        f->iov[f->n].iov_len = len;
        f->n++;
        f->used += len;
        f->sendv_iovs += 4; /* lines: a newline */
        return 0;
}

/*
 * MESSAGE=comm[pid] made COUNT opens of N names, F failed, by P processes:
 * "PATH", "ABS" (as "REL"), ... and K more: the names as MESSAGE names one,
 * as many as fit in FIELDS_NAMES_MESSAGE_MAX bytes (the first always), so
 * that journalctl's short output says what the entry is about; every name
 * is in OPEN_FILES=. Leaves the first name in names->ev.
 */
static int add_names_message(struct fields *f, const struct open_names *names, uint64_t count, uint64_t failed)
{
        char comm[ESCAPE_MAX(OPEN_COMM_LEN)];
        char *msg = f->buf + f->used;
        size_t room = sizeof(f->buf) - f->used, len, shown = 0;
        struct open_event *ev = names->ev;
        struct open_fold fold;
        int n;

        names->name(names->src, 0, ev, &fold);
        escape_for_display(ev->comm, strnlen(ev->comm, OPEN_COMM_LEN), comm);
        n = snprintf(msg, room, "MESSAGE=%s[%" PRIu32 "] made %" PRIu64 " opens of %zu names", comm, ev->pid, count,
                     names->n);
        if (n < 0 || (size_t)n >= room || f->n >= FIELDS_MAX)
                return -ENOBUFS;
        len = (size_t)n;
        if (failed)
                len += (size_t)snprintf(msg + len, room - len, ", %" PRIu64 " failed", failed);
        if (names->pids > 1)
                len += (size_t)snprintf(msg + len, room - len, ", by %" PRIu32 " processes", names->pids);
        for (size_t i = 0, start = len; i < names->n; i++) {
                size_t before = len;

                names->name(names->src, i, ev, &fold);
                if (room - len < ESCAPE_QUOTED_MAX((size_t)ev->path_len) + ESCAPE_QUOTED_MAX((size_t)ev->abs_len) + 64)
                        break;
                len += (size_t)snprintf(msg + len, room - len, i ? ", " : ": ");
                len += message_path(ev, msg + len, room - len);
                if (i > 0 && len - start > FIELDS_NAMES_MESSAGE_MAX) {
                        len = before; /* it does not fit: said in "and K more" */
                        break;
                }
                shown++;
        }
        if (shown < names->n)
                len += (size_t)snprintf(msg + len, room - len, " and %zu more", names->n - shown);
        names->name(names->src, 0, ev, &fold);
        f->iov[f->n].iov_base = msg;
        f->iov[f->n].iov_len = len;
        f->n++;
        f->used += len;
        f->sendv_iovs += 2; /* escaped: no newline */
        return 0;
}

static bool open_failed(const struct open_event *ev)
{
        return !(ev->event_flags & OPEN_EVENT_RESULT_UNREPORTED) && ev->result < 0 &&
               !open_result_interrupted(ev->result);
}

/* A name's flags and errno as text, for add_name(). */
static void name_texts(const struct open_event *ev, char flags_text[OPEN_FLAGS_TEXT_MAX], char errbuf[16],
                       const char **error_name)
{
        open_flags_text(ev->flags, flags_text, OPEN_FLAGS_TEXT_MAX);
        *error_name = ev->result < 0 ? open_errno_name((int)-ev->result, errbuf) : NULL;
}

int fields_from_names(struct fields *f, const struct open_names *names, const struct attribution *who,
                      const struct fields_options *o)
{
        char flags_text[OPEN_FLAGS_TEXT_MAX], errbuf[16];
        struct open_event *ev = names->ev;
        uint64_t count = 0, failed = 0, first_ns = UINT64_MAX, last_ns = 0;
        const char *error_name;
        struct open_fold fold;
        int r = 0;

        fields_reset(f);
        memset(f->seen, 0, sizeof(f->seen));
        for (size_t i = 0; i < names->n; i++) {
                names->name(names->src, i, ev, &fold);
                count += fold.count;
                failed += open_failed(ev) ? fold.count : 0;
                first_ns = fold.first_ns < first_ns ? fold.first_ns : first_ns;
                last_ns = fold.last_ns > last_ns ? fold.last_ns : last_ns;
        }
        /* first what fold_gather() made room for: each path, and the table of the names */
        for (size_t i = 0; i < names->n; i++) {
                names->name(names->src, i, ev, &fold);
                name_texts(ev, flags_text, errbuf, &error_name);
                r |= add_name(f, ev, NAME_PATHS, flags_text, error_name);
        }
        r |= add_files(f, names, first_ns);
        /* the entry's own fields: whose opens, when, how many; its first open's pid and tid */
        r |= add_names_message(f, names, count, failed);
        r |= add_string(f, "MESSAGE_ID", OPENSNOOPD_MESSAGE_OPEN);
        r |= add_format(f, "PRIORITY", "%d", failed ? o->failure_priority : o->priority);
        r |= add_string(f, "SYSLOG_IDENTIFIER", "opensnoopd");
        r |= add_format(f, "OPEN_PID", "%" PRIu32, ev->pid);
        r |= add_format(f, "OPEN_TID", "%" PRIu32, ev->tid);
        r |= add_format(f, "OPEN_UID", "%" PRIu32, ev->uid);
        r |= add_format(f, "OPEN_GID", "%" PRIu32, ev->gid);
        r |= add_bytes(f, "OPEN_COMM", ev->comm, strnlen(ev->comm, OPEN_COMM_LEN));
        r |= add_format(f, "OPEN_CGROUP_ID", "%" PRIu64, (uint64_t)ev->cgroup_id);
        r |= add_format(f, "OPEN_TIMESTAMP_USEC", "%" PRId64, realtime_usec(first_ns, o));
        r |= add_attribution(f, who);
        r |= add_format(f, "OPEN_COUNT", "%" PRIu64, count);
        r |= add_format(f, "OPEN_NAMES", "%zu", names->n);
        r |= add_format(f, "OPEN_LAST_USEC", "%" PRId64, realtime_usec(last_ns, o));
        if (names->pids)
                r |= add_format(f, "OPEN_PIDS", "%" PRIu32, names->pids);
        /* then each value the names have of the rest, once, while there is room */
        for (size_t i = 0; i < names->n; i++) {
                names->name(names->src, i, ev, &fold);
                name_texts(ev, flags_text, errbuf, &error_name);
                r |= add_name(f, ev, NAME_REST, flags_text, error_name);
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

bool fields_name_is(const struct fields *f, size_t i, const char *name, size_t name_len)
{
        const char *s = f->iov[i].iov_base;

        return f->iov[i].iov_len > name_len && s[name_len] == '=' && memcmp(s, name, name_len) == 0;
}
