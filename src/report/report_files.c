/* SPDX-License-Identifier: MIT */
#include "report_files.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-id128.h>
#include <time.h>

#include "lists.h"

#define RETRY_STEP_MSEC 50

static int by_name(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* What sd-journal itself reads of a directory: the online and archived files, and the ones it set aside (~). */
static bool is_journal_file(const char *name)
{
        size_t n = strlen(name);

        return (n > 8 && strcmp(name + n - 8, ".journal") == 0) || (n > 9 && strcmp(name + n - 9, ".journal~") == 0);
}

/*
 * The journal files of dirs now, sorted, but those in left_out. A directory
 * that is missing, or that this user may not list, adds none (as sd-journal).
 */
static int list_files(const char *const *dirs, const struct str_list *left_out, struct str_list *l)
{
        for (size_t d = 0; dirs[d]; d++) {
                DIR *dir = opendir(dirs[d]);
                struct dirent *de;

                if (!dir) {
                        if (errno == ENOENT || errno == ENOTDIR || errno == EACCES)
                                continue;
                        return -errno;
                }
                while ((de = readdir(dir))) {
                        char *path;
                        int r;

                        if (!is_journal_file(de->d_name))
                                continue;
                        if (asprintf(&path, "%s/%s", dirs[d], de->d_name) < 0) {
                                closedir(dir);
                                return -ENOMEM;
                        }
                        if (str_list_has(left_out, path)) {
                                free(path);
                                continue;
                        }
                        r = str_list_add(l, path);
                        if (r < 0) {
                                closedir(dir);
                                return r;
                        }
                }
                closedir(dir);
        }
        if (l->n)
                qsort(l->v, l->n, sizeof(*l->v), by_name);
        return 0;
}

static void pause_a_step(void)
{
        struct timespec step = { 0, RETRY_STEP_MSEC * 1000000L };

        while (nanosleep(&step, &step) < 0 && errno == EINTR)
                ;
}

static int leave_out(struct str_list *left_out, struct report_skipped *skipped, const char *path, int error)
{
        char *copy = strdup(path);

        if (!copy)
                return -ENOMEM;
        if (skipped->count < REPORT_FILES_SKIPPED_NAMED) {
                skipped->path[skipped->count] = strdup(path);
                if (!skipped->path[skipped->count]) {
                        free(copy);
                        return -ENOMEM;
                }
                skipped->error[skipped->count] = error;
        }
        skipped->count++;
        return str_list_add(left_out, copy);
}

/*
 * The set would not open: which file is it? Each alone. A file that reads as
 * truncated is waited for while the budget lasts (*again); one that is gone
 * was rotated or removed, and the next listing says which; any other is left
 * out. Returns how many failed alone, or -ENOMEM.
 */
static int sort_out(const struct str_list *files, bool may_wait, struct str_list *left_out,
                    struct report_skipped *skipped, bool *again)
{
        int failed = 0;

        for (size_t i = 0; i < files->n; i++) {
                const char *one[2] = { files->v[i], NULL };
                sd_journal *j = NULL;
                int r = sd_journal_open_files(&j, one, 0);

                if (r >= 0) {
                        sd_journal_close(j);
                        continue;
                }
                if (r == -ENOMEM)
                        return r;
                failed++;
                if (r == -ENOENT || (r == -ENODATA && may_wait)) {
                        *again = true;
                        continue;
                }
                r = leave_out(left_out, skipped, files->v[i], r);
                if (r < 0)
                        return r;
        }
        return failed;
}

int report_files_open(const char *const *dirs, sd_journal **ret, struct report_skipped *skipped)
{
        struct str_list files = { 0 }, now = { 0 }, left_out = { 0 };
        unsigned waited = 0;
        int r;

        *ret = NULL;
        for (;;) {
                bool again = false;

                str_list_clear(&files);
                r = list_files(dirs, &left_out, &files);
                if (r < 0)
                        break;
                if (files.n == 0) {
                        r = -ENODATA;
                        break;
                }
                r = sd_journal_open_files(ret, (const char **)files.v, 0);
                if (r >= 0) {
                        /* a rotation between the listing and the open renames a file we did not open */
                        str_list_clear(&now);
                        r = list_files(dirs, &left_out, &now);
                        if (r < 0 || str_list_equal(&files, &now) || waited >= REPORT_FILES_RETRY_MSEC)
                                break;
                        sd_journal_close(*ret);
                        *ret = NULL;
                        again = true;
                } else if (r == -ENOMEM) {
                        break;
                } else {
                        int failed = sort_out(&files, waited < REPORT_FILES_RETRY_MSEC, &left_out, skipped, &again);

                        if (failed < 0) {
                                r = failed;
                                break;
                        }
                        if (failed == 0)
                                break; /* the set fails, no file alone does: r says why */
                }
                if (again) {
                        pause_a_step();
                        waited += RETRY_STEP_MSEC;
                }
        }
        if (r < 0 && *ret) {
                sd_journal_close(*ret);
                *ret = NULL;
        }
        str_list_clear(&files);
        str_list_clear(&now);
        str_list_clear(&left_out);
        return r < 0 ? r : 0;
}

int report_files_namespace_dirs(const char *ns, char *dirs[2])
{
        char machine[SD_ID128_STRING_MAX];
        sd_id128_t id;
        int r;

        dirs[0] = dirs[1] = NULL;
        r = sd_id128_get_machine(&id);
        if (r < 0)
                return r;
        sd_id128_to_string(id, machine);
        if (asprintf(&dirs[0], "/run/log/journal/%s.%s", machine, ns) < 0) {
                dirs[0] = NULL;
                return -ENOMEM;
        }
        if (asprintf(&dirs[1], "/var/log/journal/%s.%s", machine, ns) < 0) {
                free(dirs[0]);
                dirs[0] = dirs[1] = NULL;
                return -ENOMEM;
        }
        return 0;
}

void report_skipped_clear(struct report_skipped *skipped)
{
        if (!skipped)
                return;
        for (unsigned i = 0; i < skipped->count && i < REPORT_FILES_SKIPPED_NAMED; i++)
                free(skipped->path[i]);
        *skipped = (struct report_skipped){ 0 };
}
