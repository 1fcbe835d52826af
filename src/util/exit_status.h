/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_EXIT_STATUS_H
#define OPENSNOOPD_EXIT_STATUS_H

/*
 * opensnoopd's exit statuses: one per kind of failure an operator must act
 * on differently, with the LSB numbers systemd names in `systemctl status`
 * (status=6/NOTCONFIGURED). The unit's RestartPreventExitStatus= lists the
 * permanent ones: restarting cannot mend them. opensnoopd(8) documents them.
 */
enum exit_status {
        EXIT_OK = 0,
        EXIT_RUNTIME = 1,    /* anything else: memory, threads, a reload the daemon could not apply */
        EXIT_USAGE = 2,      /* INVALIDARGUMENT: a bad option or argument */
        EXIT_PRIVILEGE = 4,  /* NOPERMISSION: not root, nor CAP_BPF with CAP_PERFMON */
        EXIT_KERNEL = 5,     /* NOTINSTALLED: what the kernel side needs is missing or refused it
                              * (headers, tracefs, the compile, the verifier, an attach point) */
        EXIT_CONFIG = 6,     /* NOTCONFIGURED: the configuration is invalid or untrusted */
        EXIT_JOURNAL = 7,    /* NOTRUNNING: the journal it writes to cannot be reached */
};

#endif
