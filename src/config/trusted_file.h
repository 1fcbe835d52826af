/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_TRUSTED_FILE_H
#define OPENSNOOPD_TRUSTED_FILE_H

#include <stddef.h>

/*
 * What a root daemon reads decides what it does, so it is trusted only where
 * only root could have written it, as sshd's StrictModes does: with symlinks
 * resolved, the file (or directory) and every directory above it must be
 * owned by root and not writable by group or others. A world-writable
 * directory with the sticky bit (/tmp) is accepted, since only the owner of
 * an entry in it (root, checked next) can replace that entry.
 *
 * Errors return -errno and a one-line reason in why[] naming the path and
 * the fix; what names the thing for the message ("a configuration").
 */
int trusted_path_check(const char *path, const char *what, char *why, size_t why_size);

/*
 * Checks path as above, then reads it: it must be a regular file (a FIFO or
 * device is refused without blocking) of at most max bytes. *text is
 * NUL-terminated and the caller frees it. -ENOENT when it does not exist.
 */
int trusted_file_read(const char *path, const char *what, size_t max, char **text, size_t *len, char *why,
                      size_t why_size);

#endif
