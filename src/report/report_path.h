/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_REPORT_PATH_H
#define OPENSNOOPD_REPORT_PATH_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Paths as opensnoopd-report compares and groups them: bytes, component by
 * component, never resolved against the file system (the journal says which
 * file was opened; the file system may have changed since).
 */

/* The length of a --path-prefix= without its trailing slashes ("/" stays "/"). */
size_t report_path_trim(const char *prefix, size_t len);

/*
 * Whether path is prefix or below it, prefix trimmed as above: "/etc" takes
 * "/etc" and "/etc/ssh/sshd_config", not "/etcetera"; "/" takes every
 * absolute path.
 */
bool report_path_under(const char *path, size_t len, const char *prefix, size_t prefix_len);

/*
 * The length of path's first depth components, for grouping by directory
 * subtree: "/etc/ssh/sshd_config" is "/etc" at depth 1 and "/etc/ssh" at 2;
 * a path of depth components or fewer is kept whole ("/etc/hostname" at 2).
 * A relative path counts its components the same way. depth >= 1.
 */
size_t report_path_cut(const char *path, size_t len, unsigned depth);

#endif
