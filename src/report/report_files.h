/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_REPORT_FILES_H
#define OPENSNOOPD_REPORT_FILES_H

#include <systemd/sd-journal.h>

/*
 * The journal files a report reads, opened by name so that none is left out
 * unsaid. sd-journal leaves out of a namespace or a directory any file it
 * cannot open, and says so only in its debug log; Debian 13's (systemd 257)
 * does so now and then with the very file journald is writing, which it
 * takes for truncated when journald has just grown it (it compares the
 * header's arena size, read live, with a file size read a moment before:
 * systemd issues #40053, #41992). A report without that file would sum less
 * than was recorded and not say so. Opened by name, a file that fails makes
 * the open fail: it is tried again while it reads as truncated or is gone
 * (journald rotating it), up to REPORT_FILES_RETRY_MSEC, and then left out
 * and named.
 */
#define REPORT_FILES_RETRY_MSEC    2000
#define REPORT_FILES_SKIPPED_NAMED 8

struct report_skipped {
        unsigned count;                         /* files left out */
        char *path[REPORT_FILES_SKIPPED_NAMED]; /* the first of them (malloc'd) */
        int error[REPORT_FILES_SKIPPED_NAMED];  /* and why: a negative errno */
};

/*
 * Opens every *.journal and *.journal~ file of the directories named (each
 * may be missing) into *ret. 0; -ENODATA when no file could be opened (none
 * there, or none this user may read: *skipped says which); -errno.
 */
int report_files_open(const char *const *directories, sd_journal **ret, struct report_skipped *skipped);

/* The directories of namespace ns on this machine, /run's then /var's (malloc'd; free both). */
int report_files_namespace_dirs(const char *ns, char *dirs[2]);

void report_skipped_clear(struct report_skipped *skipped);

#endif
