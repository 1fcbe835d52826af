/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_FIELDS_H
#define OPENSNOOPD_FIELDS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "enrich.h"
#include "escape.h"
#include "opensnoop.h"

/* MESSAGE_IDs; the catalog (systemd/opensnoopd.catalog) explains them. */
#define OPENSNOOPD_MESSAGE_OPEN "e0c0158eb2c1484eb4e67cee89d40b10"
#define OPENSNOOPD_MESSAGE_LOSS "58bd4eaad71a43d79f78ff1baa05e4da"

#define FIELDS_MAX 40
/*
 * Room for every value: the path and its absolute form (together at most
 * OPEN_PATH_MAX), the path escaped in MESSAGE, the cgroup's path and names,
 * the rest.
 */
#define FIELDS_BUF_SIZE                                                                                 \
        (OPEN_PATH_MAX + ESCAPE_QUOTED_MAX(OPEN_PATH_MAX) + ESCAPE_MAX(OPEN_COMM_LEN) + OPEN_PATH_MAX + \
         sizeof(struct cgroup_names) + 2048)

/*
 * One journal entry as "NAME=value" byte strings, ready for sd_journal_sendv()
 * and for the JSON writer. Values are copied bytes, never a printf format, so
 * a path arrives exactly as the process passed it.
 */
struct fields {
        struct iovec iov[FIELDS_MAX];
        size_t n;
        size_t used;
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

#endif
