/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_FIELDS_H
#define OPENSNOOPD_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "enrich.h"
#include "escape.h"
#include "open_names.h"
#include "opensnoop.h"

/* MESSAGE_IDs; the catalog (systemd/opensnoopd.catalog) explains them. */
#define OPENSNOOPD_MESSAGE_OPEN "e0c0158eb2c1484eb4e67cee89d40b10"
#define OPENSNOOPD_MESSAGE_LOSS "58bd4eaad71a43d79f78ff1baa05e4da"

/*
 * An entry's limits. journald takes at most 1024 fields an entry, its own
 * included, and sd_journal_sendv() sends each field as 2 iovecs, or 4 where
 * the value holds a newline, in one sendmsg() or writev() of at most IOV_MAX
 * (1024).
 */
#define FIELDS_MAX        500
#define FIELDS_SENDV_IOVS 1000

/*
 * An entry of many names (fields_from_names()): what its names' paths and
 * lines of OPEN_FILES= may take (fold_gather() keeps to it, with
 * fields_name_cost()); the rest is for the entry's own fields and the
 * values its names share.
 */
#define FIELDS_NAMES_IOVS  800
#define FIELDS_NAMES_BYTES (256u << 10)
/* Its MESSAGE= names the names while they fit in this many bytes (and the first always). */
#define FIELDS_NAMES_MESSAGE_MAX 1024
#define FIELDS_FILES_NOTES_MAX 160
/* A line of OPEN_FILES= at its longest: count, time, outcome, flags, system call, both paths escaped, notes. */
#define FIELDS_FILES_LINE_MAX(path_len, abs_len)                                                            \
        (24 + 24 + 48 + OPEN_FLAGS_TEXT_MAX + 24 + ESCAPE_MAX((size_t)(path_len)) + ESCAPE_MAX((size_t)(abs_len)) + \
         FIELDS_FILES_NOTES_MAX + 8)

/*
 * Room for every value: of one name, the path and its absolute form
 * (together at most OPEN_PATH_MAX), the path escaped in MESSAGE, the cgroup's
 * path and names, the rest; of many, the room their paths may take besides.
 */
#define FIELDS_BUF_SIZE                                                                                 \
        (OPEN_PATH_MAX + ESCAPE_QUOTED_MAX(OPEN_PATH_MAX) + ESCAPE_MAX(OPEN_COMM_LEN) + OPEN_PATH_MAX + \
         sizeof(struct cgroup_names) + 2048 + FIELDS_NAMES_BYTES + FIELDS_NAMES_MESSAGE_MAX)

/*
 * One journal entry as "NAME=value" byte strings, ready for sd_journal_sendv()
 * and for the JSON writer. Values are copied bytes, never a printf format, so
 * a path arrives exactly as the process passed it. A field may repeat (an
 * entry of many names).
 */
#define FIELDS_SEEN_SLOTS 1024 /* a power of two, twice FIELDS_MAX at least */

struct fields {
        struct iovec iov[FIELDS_MAX];
        size_t n;
        size_t used;
        size_t sendv_iovs; /* what sd_journal_sendv() will make of them */
        /* an entry of many names: the names' fields so far, by hash, so that each value goes in once */
        uint64_t seen[FIELDS_SEEN_SLOTS];
        uint16_t seen_at[FIELDS_SEEN_SLOTS];
        char buf[FIELDS_BUF_SIZE];
};

struct fields_options {
        int priority;                /* PRIORITY= of a successful open */
        int failure_priority;        /* PRIORITY= of a failed one */
        int64_t boot_to_realtime_ns; /* CLOCK_REALTIME - CLOCK_BOOTTIME, for OPEN_TIMESTAMP_USEC */
};

/* What a folded entry stands for (fold.c): count opens, the first of which is the event itself. */
struct open_fold {
        uint64_t count;
        uint64_t first_ns, last_ns; /* CLOCK_BOOTTIME of the first and the last */
        uint32_t pids;              /* CoalesceBy=command: distinct processes; 0 otherwise */
};

/* What the stages between decode and the sink found out about one open (pipeline.c). */
struct open_context {
        const struct open_fold *fold;  /* folding is on: what the entry stands for; else NULL */
        const struct attribution *who; /* enrich.c: its cgroup and unit; NULL if unknown */
};

/*
 * Fills f from one open. ctx (or any member NULL) adds: fold, OPEN_COUNT=,
 * and, when it stands for more than one open, OPEN_FIRST_USEC= and
 * OPEN_LAST_USEC= (for one they would repeat OPEN_TIMESTAMP_USEC), by
 * command OPEN_PIDS=; who, OPEN_CGROUP= and those of OPEN_UNIT=,
 * OPEN_USER_UNIT= and OPEN_CONTAINER_ID= it has. Returns 0, or -ENOBUFS if it
 * would not fit (it always does for a decoded event).
 */
int fields_from_event(struct fields *f, const struct open_event *ev, const struct open_context *ctx,
                      const struct fields_options *o);

/*
 * An entry of many names ([Output] CoalesceNames=yes): the names the fold
 * stage gathered (fold_gather()), each read into ev when needed.
 */
struct open_names {
        size_t n;      /* 2 or more */
        uint32_t pids; /* by command: distinct processes over all of them; 0 by process */
        /* the i-th name, i < n, the oldest first: its first open into *ev, what it stands for into *fold */
        void (*name)(const void *src, size_t i, struct open_event *ev, struct open_fold *fold);
        const void *src;
        struct open_event *ev; /* room for one */
};

/*
 * Fills f from many names: OPEN_COUNT= of them all, OPEN_NAMES=, OPEN_PIDS=
 * (by command), OPEN_TIMESTAMP_USEC= of the first open and OPEN_LAST_USEC=
 * of the last; the first open's pid, tid and command, and who's cgroup and
 * units. Each name's path as OPEN_PATH= and OPEN_ABS_PATH= (a value once,
 * however many names have it), then each value of their other fields
 * (OPEN_FLAGS=, OPEN_ERROR=, OPEN_SYSCALL=, ...) once, while there is room;
 * and OPEN_FILES=, a line per name with its count, outcome, flags, system
 * call, paths and notes (fields_from_names() in fields.c says how). 0, or
 * -ENOBUFS when the names take more room than fold_gather() allows.
 */
int fields_from_names(struct fields *f, const struct open_names *names, const struct attribution *who,
                      const struct fields_options *o);

/* What one name takes of an entry of many, at most: sd_journal_sendv()'s iovecs, and bytes of fields.buf. */
struct fields_cost {
        size_t iovs, bytes;
};
void fields_name_cost(const char *path, size_t path_len, const char *abs, size_t abs_len, struct fields_cost *c);

/* Opens that never became entries, since the last report. */
struct loss_report {
        uint64_t lost;        /* never reached opensnoopd */
        uint64_t undelivered; /* reached it, could not be written */
        uint64_t suppressed;  /* written, then dropped by journald's rate limit */
        char by_uid[256];      /* of undelivered: "UID:N ...", most first; or "" */
        char lost_by_uid[256]; /* of lost, the same */
        /* a report an earlier daemon could not deliver before it stopped (pending_loss.h); from_pid 0: ours */
        pid_t from_pid;
        uint64_t since_usec, until_usec; /* CLOCK_REALTIME: when its opens were made */
};

/*
 * A loss report: OPEN_LOST=, OPEN_UNDELIVERED=, OPEN_SUPPRESSED= (zero counts are left out), OPEN_UNDELIVERED_UIDS=;
 * for an earlier daemon's, OPEN_LOSS_PID=, OPEN_LOSS_SINCE_USEC=, OPEN_LOSS_UNTIL_USEC=.
 */
int fields_loss_report(struct fields *f, const struct loss_report *report);

/* The value of field i, after "NAME=": *len receives its length. */
const char *fields_value(const struct fields *f, size_t i, size_t *name_len, size_t *len);

/* Whether field i is named name (name_len bytes). */
bool fields_name_is(const struct fields *f, size_t i, const char *name, size_t name_len);

#endif
