/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_PENDING_LOSS_H
#define OPENSNOOPD_PENDING_LOSS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fields.h"
#include "uid_losses.h"

/*
 * A loss report journald did not take before a stop (it was frozen, or
 * gone): kept in the state directory (systemd's StateDirectory=) so that the
 * next start writes it to the journal before anything else, and removes the
 * file only once journald has taken it. Without it, opens a stop counted as
 * undelivered would be in the stop line only, which the same journald never
 * received either.
 *
 * The file is text, one "key value" a line, and ends with "end" (a file cut
 * short is refused, not read as smaller counts):
 *
 *   opensnoopd-pending-loss 1
 *   pid 1234
 *   since_usec 1767225600000000
 *   until_usec 1767225660000000
 *   lost 0
 *   undelivered 992
 *   suppressed 0
 *   uid 65534 992
 *   other 0
 *   end
 *
 * and, where the kernel lost opens, "lost_uid UID COUNT" lines (and
 * "lost_other COUNT" past UID_LOSSES_MAX users) before "end": optional, so
 * that a file an earlier version wrote is still read.
 *
 * Only root may have written it: the directory chain and the file are
 * checked as a configuration is (trusted_file.h), it is opened without
 * following a symlink, and it is written as a new 0600 file renamed over the
 * old one.
 */
struct pending_loss {
        pid_t pid;           /* the daemon that could not deliver them (the oldest, merged) */
        uint64_t since_usec; /* CLOCK_REALTIME: the opens were made from here... */
        uint64_t until_usec; /* ...to here (that daemon's start and stop) */
        uint64_t lost, undelivered, suppressed;
        struct uid_loss_counts by_uid;      /* of undelivered */
        struct uid_loss_counts lost_by_uid; /* of lost */
};

#define PENDING_LOSS_NAME      "pending-loss"
/* Where it is kept when $STATE_DIRECTORY is not set (StateDirectory=opensnoopd sets it). */
#define PENDING_LOSS_DIRECTORY "/var/lib/opensnoopd"
/* Far more than a record takes (UID_LOSSES_MAX users): a larger file is not one. */
#define PENDING_LOSS_MAX_BYTES 4096

/* Whether it says anything. */
static inline int pending_loss_empty(const struct pending_loss *p)
{
        return !p->lost && !p->undelivered && !p->suppressed;
}

/* The file's text into buf; returns its length, or -ENOBUFS. */
int pending_loss_format(const struct pending_loss *p, char *buf, size_t size);

/*
 * Parses what pending_loss_format() writes: every line known, every number
 * in range, the users' counts within undelivered, "end" last. -EBADMSG
 * otherwise, with the first fault in why.
 */
int pending_loss_parse(const char *text, struct pending_loss *p, char *why, size_t why_size);

/* Adds from to into: counts, users, the window (the older pid stays). */
void pending_loss_merge(struct pending_loss *into, const struct pending_loss *from);

/* As a loss entry's contents (OPEN_LOSS_PID= and the window included). */
void pending_loss_to_report(const struct pending_loss *p, struct loss_report *report);

/* dir/pending-loss, or -ENAMETOOLONG. */
int pending_loss_path(const char *dir, char *path, size_t size);

/*
 * Writes p into dir (created 0700 if missing; it must be root's and not
 * writable by others) atomically. why: the fault, for the log.
 */
int pending_loss_write(const char *dir, const struct pending_loss *p, char *why, size_t why_size);

/*
 * Reads dir's record into p: -ENOENT when there is none; -EPERM when someone
 * other than root could have written it; -EBADMSG when it is not a record.
 * why says which, and why.
 */
int pending_loss_read(const char *dir, struct pending_loss *p, char *why, size_t why_size);

#endif
