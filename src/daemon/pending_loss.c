/* SPDX-License-Identifier: MIT */
#include "pending_loss.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trusted_file.h"

#define MAGIC "opensnoopd-pending-loss 1"

int pending_loss_format(const struct pending_loss *p, char *buf, size_t size)
{
        size_t len;
        int n;

        n = snprintf(buf, size,
                     MAGIC "\npid %ld\nsince_usec %" PRIu64 "\nuntil_usec %" PRIu64 "\nlost %" PRIu64
                           "\nundelivered %" PRIu64 "\nsuppressed %" PRIu64 "\n",
                     (long)p->pid, p->since_usec, p->until_usec, p->lost, p->undelivered, p->suppressed);
        if (n < 0 || (size_t)n >= size)
                return -ENOBUFS;
        len = (size_t)n;
        for (size_t i = 0; i < p->by_uid.n; i++) {
                n = snprintf(buf + len, size - len, "uid %" PRIu32 " %" PRIu64 "\n", p->by_uid.users[i].uid,
                             p->by_uid.users[i].count);
                if (n < 0 || (size_t)n >= size - len)
                        return -ENOBUFS;
                len += (size_t)n;
        }
        n = snprintf(buf + len, size - len, "other %" PRIu64 "\n", p->by_uid.others);
        if (n < 0 || (size_t)n >= size - len)
                return -ENOBUFS;
        len += (size_t)n;
        for (size_t i = 0; i < p->lost_by_uid.n; i++) {
                n = snprintf(buf + len, size - len, "lost_uid %" PRIu32 " %" PRIu64 "\n",
                             p->lost_by_uid.users[i].uid, p->lost_by_uid.users[i].count);
                if (n < 0 || (size_t)n >= size - len)
                        return -ENOBUFS;
                len += (size_t)n;
        }
        n = p->lost_by_uid.others ? snprintf(buf + len, size - len, "lost_other %" PRIu64 "\nend\n",
                                              p->lost_by_uid.others)
                                  : snprintf(buf + len, size - len, "end\n");
        if (n < 0 || (size_t)n >= size - len)
                return -ENOBUFS;
        return (int)(len + (size_t)n);
}

/* A decimal number of at most max, and nothing else: no sign, no space, no empty string. */
static bool parse_number(const char *s, uint64_t max, uint64_t *v)
{
        char *end;

        if (*s < '0' || *s > '9')
                return false;
        errno = 0;
        *v = strtoull(s, &end, 10);
        return errno == 0 && *end == '\0' && *v <= max;
}

enum {
        SEEN_PID = 1,
        SEEN_SINCE = 2,
        SEEN_UNTIL = 4,
        SEEN_LOST = 8,
        SEEN_UNDELIVERED = 16,
        SEEN_SUPPRESSED = 32,
        SEEN_OTHER = 64,
        SEEN_ALL = 127,
        SEEN_LOST_OTHER = 128, /* optional */
};

/* "UID COUNT" of a uid line into c, once per uid. */
static bool parse_uid_line(char *value, struct uid_loss_counts *c, char *why, size_t why_size)
{
        char *count = strchr(value, ' ');
        uint64_t v, n;

        if (!count || (*count++ = '\0', !parse_number(value, UINT32_MAX, &v)) || !parse_number(count, UINT64_MAX, &n)) {
                snprintf(why, why_size, "a uid line is not \"uid UID COUNT\"");
                return false;
        }
        for (size_t i = 0; i < c->n; i++)
                if (c->users[i].uid == v) {
                        snprintf(why, why_size, "uid %" PRIu64 " appears twice", v);
                        return false;
                }
        if (c->n == UID_LOSSES_MAX) {
                snprintf(why, why_size, "more than %d uids", UID_LOSSES_MAX);
                return false;
        }
        c->users[c->n++] = (struct uid_loss){ (uint32_t)v, n };
        return true;
}

/* One "key value" line (not the magic, not "end") into p. false: not one of ours. */
static bool parse_line(char *line, struct pending_loss *p, unsigned *seen, char *why, size_t why_size)
{
        static const struct {
                const char *key;
                unsigned bit;
                size_t offset;
        } keys[] = {
                { "since_usec", SEEN_SINCE, offsetof(struct pending_loss, since_usec) },
                { "until_usec", SEEN_UNTIL, offsetof(struct pending_loss, until_usec) },
                { "lost", SEEN_LOST, offsetof(struct pending_loss, lost) },
                { "undelivered", SEEN_UNDELIVERED, offsetof(struct pending_loss, undelivered) },
                { "suppressed", SEEN_SUPPRESSED, offsetof(struct pending_loss, suppressed) },
                { "other", SEEN_OTHER, offsetof(struct pending_loss, by_uid.others) },
                { "lost_other", SEEN_LOST_OTHER, offsetof(struct pending_loss, lost_by_uid.others) },
        };
        char *value = strchr(line, ' ');
        uint64_t v;

        if (!value) {
                snprintf(why, why_size, "line \"%.40s\" has no value", line);
                return false;
        }
        *value++ = '\0';
        if (strcmp(line, "uid") == 0)
                return parse_uid_line(value, &p->by_uid, why, why_size);
        if (strcmp(line, "lost_uid") == 0)
                return parse_uid_line(value, &p->lost_by_uid, why, why_size);
        if (strcmp(line, "pid") == 0) {
                if (*seen & SEEN_PID || !parse_number(value, INT32_MAX, &v) || v == 0) {
                        snprintf(why, why_size, "bad or repeated pid");
                        return false;
                }
                *seen |= SEEN_PID;
                p->pid = (pid_t)v;
                return true;
        }
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
                if (strcmp(line, keys[i].key) != 0)
                        continue;
                if (*seen & keys[i].bit || !parse_number(value, UINT64_MAX, &v)) {
                        snprintf(why, why_size, "bad or repeated %s", keys[i].key);
                        return false;
                }
                *seen |= keys[i].bit;
                memcpy((char *)p + keys[i].offset, &v, sizeof(v));
                return true;
        }
        snprintf(why, why_size, "unknown key \"%.40s\"", line);
        return false;
}

/* The users' counts and the others' add up to at most total (without overflowing). */
static bool users_within(const struct uid_loss_counts *c, uint64_t total)
{
        uint64_t left = total;

        for (size_t i = 0; i < c->n; i++) {
                if (c->users[i].count > left)
                        return false;
                left -= c->users[i].count;
        }
        return c->others <= left;
}

int pending_loss_parse(const char *text, struct pending_loss *p, char *why, size_t why_size)
{
        char buf[PENDING_LOSS_MAX_BYTES + 1], *line, *next;
        unsigned seen = 0;
        size_t len = strlen(text);

        *p = (struct pending_loss){ 0 };
        if (len > PENDING_LOSS_MAX_BYTES) {
                snprintf(why, why_size, "larger than %d bytes", PENDING_LOSS_MAX_BYTES);
                return -EBADMSG;
        }
        memcpy(buf, text, len + 1);
        line = buf;
        next = strchr(line, '\n');
        if (!next || (*next = '\0', strcmp(line, MAGIC) != 0)) {
                snprintf(why, why_size, "its first line is not \"" MAGIC "\"");
                return -EBADMSG;
        }
        for (line = next + 1; (next = strchr(line, '\n')); line = next + 1) {
                *next = '\0';
                if (strcmp(line, "end") == 0)
                        break;
                if (!parse_line(line, p, &seen, why, why_size))
                        return -EBADMSG;
        }
        if (!next) {
                snprintf(why, why_size, "it was cut short: no \"end\" line");
                return -EBADMSG;
        }
        if (next[1] != '\0') {
                snprintf(why, why_size, "something follows its \"end\" line");
                return -EBADMSG;
        }
        if ((seen & SEEN_ALL) != SEEN_ALL) {
                snprintf(why, why_size, "a key is missing");
                return -EBADMSG;
        }
        if (!users_within(&p->by_uid, p->undelivered) || !users_within(&p->lost_by_uid, p->lost) ||
            p->since_usec > p->until_usec) {
                snprintf(why, why_size, "its counts or its window do not add up");
                return -EBADMSG;
        }
        return 0;
}

void pending_loss_merge(struct pending_loss *into, const struct pending_loss *from)
{
        if (pending_loss_empty(into)) {
                *into = *from;
                return;
        }
        if (from->since_usec < into->since_usec) {
                into->since_usec = from->since_usec;
                into->pid = from->pid;
        }
        if (from->until_usec > into->until_usec)
                into->until_usec = from->until_usec;
        into->lost += from->lost;
        into->undelivered += from->undelivered;
        into->suppressed += from->suppressed;
        for (size_t i = 0; i < from->by_uid.n; i++)
                uid_loss_counts_add(&into->by_uid, from->by_uid.users[i].uid, from->by_uid.users[i].count);
        into->by_uid.others += from->by_uid.others;
        for (size_t i = 0; i < from->lost_by_uid.n; i++)
                uid_loss_counts_add(&into->lost_by_uid, from->lost_by_uid.users[i].uid,
                                    from->lost_by_uid.users[i].count);
        into->lost_by_uid.others += from->lost_by_uid.others;
}

void pending_loss_to_report(const struct pending_loss *p, struct loss_report *report)
{
        *report = (struct loss_report){ .lost = p->lost,
                                        .undelivered = p->undelivered,
                                        .suppressed = p->suppressed,
                                        .from_pid = p->pid,
                                        .since_usec = p->since_usec,
                                        .until_usec = p->until_usec };
        uid_losses_format(&p->by_uid, report->by_uid, sizeof(report->by_uid));
        uid_losses_format(&p->lost_by_uid, report->lost_by_uid, sizeof(report->lost_by_uid));
}

int pending_loss_path(const char *dir, char *path, size_t size)
{
        int n = snprintf(path, size, "%s/" PENDING_LOSS_NAME, dir);

        return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Writes all of buf to fd. */
static int write_all(int fd, const char *buf, size_t len)
{
        while (len > 0) {
                ssize_t n = write(fd, buf, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0 ? -errno : -EIO;
                buf += n;
                len -= (size_t)n;
        }
        return 0;
}

int pending_loss_write(const char *dir, const struct pending_loss *p, char *why, size_t why_size)
{
        char text[PENDING_LOSS_MAX_BYTES], path[4096], tmp[4096];
        int fd, n, r;

        n = pending_loss_format(p, text, sizeof(text));
        if (n < 0)
                return n;
        r = pending_loss_path(dir, path, sizeof(path));
        if (r < 0 ||
            snprintf(tmp, sizeof(tmp), "%s/." PENDING_LOSS_NAME ".%ld", dir, (long)getpid()) >= (int)sizeof(tmp))
                return -ENAMETOOLONG;
        if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
                r = -errno;
                snprintf(why, why_size, "cannot create %s: %s", dir, strerror(errno));
                return r;
        }
        /* a directory another user could write would let them replace the record before it is read */
        r = trusted_path_check(dir, "a state directory", why, why_size);
        if (r < 0)
                return r;
        (void)unlink(tmp); /* a previous run's of the same pid, cut short */
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
                r = -errno;
                snprintf(why, why_size, "cannot create %s: %s", tmp, strerror(errno));
                return r;
        }
        r = write_all(fd, text, (size_t)n);
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        close(fd);
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0) {
                snprintf(why, why_size, "cannot write %s: %s", path, strerror(-r));
                unlink(tmp);
        }
        return r;
}

int pending_loss_read(const char *dir, struct pending_loss *p, char *why, size_t why_size)
{
        char path[4096], *text = NULL;
        size_t len;
        int r;

        r = pending_loss_path(dir, path, sizeof(path));
        if (r < 0)
                return r;
        r = trusted_file_read(path, "a pending loss report", PENDING_LOSS_MAX_BYTES, &text, &len, why, why_size);
        if (r < 0)
                return r == -EFBIG ? -EBADMSG : r;
        if (strlen(text) != len) {
                snprintf(why, why_size, "it holds a NUL byte");
                r = -EBADMSG;
        } else {
                r = pending_loss_parse(text, p, why, why_size);
        }
        free(text);
        return r;
}
