/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_HANDOFF_H
#define OPENSNOOPD_HANDOFF_H

#include <stdint.h>

/*
 * What the compiler helper (opensnoopd-compile) sends the daemon over their
 * SOCK_SEQPACKET socket: one message per map and per program, each map and
 * loaded program with its fd attached (SCM_RIGHTS), then one HANDOFF_DONE or
 * HANDOFF_FAILED. A socket that ends before either means the helper died.
 */
enum handoff_kind {
        HANDOFF_MAP = 1,         /* name: the map's name in the program; with its fd */
        HANDOFF_PROG = 2,        /* name: the function; with its fd; load_ns: time in the verifier */
        HANDOFF_PROG_FAILED = 3, /* name: the function; text: why it did not load (the verifier's last line) */
        HANDOFF_DONE = 4,        /* everything was sent */
        HANDOFF_FAILED = 5,      /* text: what failed; nothing more follows */
};

struct handoff_msg {
        uint32_t kind;
        int32_t error; /* -errno, for HANDOFF_PROG_FAILED and HANDOFF_FAILED */
        uint64_t load_ns;
        char name[64];
        char text[256];
};

/* Sends one message, with fd attached unless it is negative. Returns 0 or -errno. */
int handoff_send(int sock, const struct handoff_msg *m, int fd);

/*
 * Receives one message and its fd (-1 if none came; close-on-exec if one
 * did). Returns 0, -EPIPE when the peer closed the socket, -EBADMSG for a
 * message of the wrong size, or -errno.
 */
int handoff_recv(int sock, struct handoff_msg *m, int *fd);

#endif
