/* SPDX-License-Identifier: MIT */
/*
 * opensnoopd-report: how many opens the journal records, summed by unit,
 * command, user, path or directory, from the entries opensnoopd wrote
 * (OPEN_COUNT= counted, so a folded entry counts every open it stands for).
 * Reads the journal with sd-journal; needs no privilege beyond reading it.
 *
 * The edges: arguments, the query, the output. This is the only file of it
 * that exits or prints a diagnostic.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exit_status.h"
#include "report_group.h"
#include "report_journal.h"
#include "report_output.h"
#include "report_path.h"
#include "report_table.h"
#include "report_time.h"

#ifndef OPENSNOOPD_VERSION
#define OPENSNOOPD_VERSION "0"
#endif

#define NAMESPACE_DEFAULT "opensnoopd"
#define TOP_DEFAULT       20
#define DEPTH_DEFAULT     2
#define DEPTH_MAX         4096
#define FILES_MAX         256

struct args {
        struct report_query q;
        const char *files[FILES_MAX + 1];
        size_t n_files;
        bool by_set, depth_set;
        size_t top;
        bool json;
};

static void usage(FILE *f)
{
        fprintf(f, "Usage: opensnoopd-report [OPTION]...\n"
                   "       opensnoopd-report who PATH [OPTION]...\n"
                   "       opensnoopd-report unit UNIT [OPTION]...\n"
                   "Sum the opens opensnoopd recorded in the journal (OPEN_COUNT= of every entry).\n\n"
                   "  who PATH              who opened this file: by command, user and unit\n"
                   "  unit UNIT             what this unit opened: by path\n\n"
                   "      --by=WHAT         group by unit (default), command, user, path or prefix\n"
                   "      --depth=N         with --by=prefix: the first N path components (default 2)\n"
                   "      --unit=UNIT       only opens by processes of this unit (OPEN_UNIT=)\n"
                   "      --path-prefix=DIR only opens of DIR or files below it\n"
                   "      --failed          only failed opens (OPEN_ERRNO=)\n"
                   "      --since=TIME      only opens from TIME on: \"2026-12-04 10:00:00\", \"today\",\n"
                   "                        \"yesterday\", \"-1h\", \"@EPOCH\" (see opensnoopd-report(1))\n"
                   "      --until=TIME      only opens before TIME\n"
                   "      --top=N           show the N largest groups (default 20; 0: all)\n"
                   "      --output=FORMAT   text (default: aligned columns) or json (one object)\n"
                   "      --namespace=NAME  read this journal namespace (default " NAMESPACE_DEFAULT ")\n"
                   "      --directory=DIR   read the journal files in DIR instead\n"
                   "      --file=FILE       read this journal file instead (may be repeated)\n"
                   "      --version         print the version and exit\n"
                   "  -h, --help            print this help and exit\n");
}

/* A usage error: one line, then exit status 2. */
__attribute__((format(printf, 1, 2))) static int bad(const char *fmt, ...)
{
        va_list ap;

        fputs("opensnoopd-report: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputs(" (see --help)\n", stderr);
        return -EINVAL;
}

static int parse_size(const char *s, size_t min, size_t max, size_t *ret)
{
        char *end;
        unsigned long long n;

        if (*s < '0' || *s > '9')
                return -EINVAL;
        errno = 0;
        n = strtoull(s, &end, 10);
        if (errno || *end || n < min || n > max)
                return -EINVAL;
        *ret = (size_t)n;
        return 0;
}

static int64_t now_usec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int parse_option(int c, const char *arg, struct args *a)
{
        size_t n;
        int r;

        switch (c) {
        case 'b':
                r = report_by_from_string(arg);
                if (r < 0)
                        return bad("--by=%s: must be unit, command, user, path or prefix", arg);
                a->q.by = (enum report_by)r;
                a->by_set = true;
                return 0;
        case 'd':
                if (parse_size(arg, 1, DEPTH_MAX, &n) < 0)
                        return bad("--depth=%s: must be a number from 1 to %d", arg, DEPTH_MAX);
                a->q.depth = (unsigned)n;
                a->depth_set = true;
                return 0;
        case 'u':
                if (!*arg)
                        return bad("--unit=: must name a unit, such as nginx.service");
                a->q.unit = arg;
                return 0;
        case 'p':
                if (arg[0] != '/')
                        return bad("--path-prefix=%s: must be an absolute path", arg);
                a->q.path_prefix = arg;
                a->q.path_prefix_len = report_path_trim(arg, strlen(arg));
                return 0;
        case 'f':
                a->q.failed = true;
                return 0;
        case 's':
        case 'U':
                r = report_time_parse(arg, now_usec(), c == 's' ? &a->q.since : &a->q.until);
                if (r < 0)
                        return bad("--%s=%s: not a time: give \"2026-12-04 10:00:00\", \"today\", \"yesterday\", "
                                   "\"-1h\" or \"@EPOCH\"",
                                   c == 's' ? "since" : "until", arg);
                *(c == 's' ? &a->q.since_set : &a->q.until_set) = true;
                return 0;
        case 't':
                if (parse_size(arg, 0, SIZE_MAX, &a->top) < 0)
                        return bad("--top=%s: must be a number, 0 for all", arg);
                return 0;
        case 'o':
                if (strcmp(arg, "text") != 0 && strcmp(arg, "json") != 0)
                        return bad("--output=%s: must be text or json", arg);
                a->json = strcmp(arg, "json") == 0;
                return 0;
        case 'n':
                if (!*arg)
                        return bad("--namespace=: must name a journal namespace");
                a->q.namespace = arg;
                return 0;
        case 'D':
                a->q.directory = arg;
                return 0;
        case 'F':
                if (a->n_files == FILES_MAX)
                        return bad("--file=%s: at most %d files", arg, FILES_MAX);
                a->files[a->n_files++] = arg;
                return 0;
        default:
                return -EINVAL;
        }
}

/* The verb and its argument (who PATH, unit UNIT), if any. */
static int parse_verb(int argc, char **argv, struct args *a)
{
        if (argc == 0)
                return 0;
        if (strcmp(argv[0], "who") == 0) {
                if (argc != 2)
                        return bad("who: give one path, as in: opensnoopd-report who /etc/shadow");
                if (argv[1][0] != '/')
                        return bad("who %s: the path must be absolute", argv[1]);
                a->q.path = argv[1];
                if (!a->by_set)
                        a->q.by = REPORT_BY_WHO;
                return 0;
        }
        if (strcmp(argv[0], "unit") == 0) {
                if (argc != 2 || !*argv[1])
                        return bad("unit: give one unit, as in: opensnoopd-report unit nginx.service");
                if (a->q.unit)
                        return bad("unit %s: --unit=%s given too", argv[1], a->q.unit);
                a->q.unit = argv[1];
                if (!a->by_set)
                        a->q.by = REPORT_BY_PATH;
                return 0;
        }
        return bad("'%s': not a command: give who PATH, unit UNIT, or options only", argv[0]);
}

/* 0 to run, 1 to exit successfully (help, version), -EINVAL for bad arguments. */
static int parse_args(int argc, char **argv, struct args *a)
{
        static const struct option options[] = {
                { "by", required_argument, NULL, 'b' },
                { "depth", required_argument, NULL, 'd' },
                { "unit", required_argument, NULL, 'u' },
                { "path-prefix", required_argument, NULL, 'p' },
                { "failed", no_argument, NULL, 'f' },
                { "since", required_argument, NULL, 's' },
                { "until", required_argument, NULL, 'U' },
                { "top", required_argument, NULL, 't' },
                { "output", required_argument, NULL, 'o' },
                { "namespace", required_argument, NULL, 'n' },
                { "directory", required_argument, NULL, 'D' },
                { "file", required_argument, NULL, 'F' },
                { "version", no_argument, NULL, 'V' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c, r;

        a->q.by = REPORT_BY_UNIT;
        a->q.depth = DEPTH_DEFAULT;
        a->top = TOP_DEFAULT;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
                if (c == 'h') {
                        usage(stdout);
                        return 1;
                }
                if (c == 'V') {
                        printf("opensnoopd-report %s\n", OPENSNOOPD_VERSION);
                        return 1;
                }
                if (c == '?')
                        return bad("%s: %s", argv[optind - 1],
                                   optopt ? "needs a value, or takes none" : "not an option");
                r = parse_option(c, optarg, a);
                if (r < 0)
                        return r;
        }
        r = parse_verb(argc - optind, argv + optind, a);
        if (r < 0)
                return r;
        if (a->depth_set && a->q.by != REPORT_BY_PREFIX)
                return bad("--depth= goes with --by=prefix");
        if (a->q.since_set && a->q.until_set && a->q.since >= a->q.until)
                return bad("--since= must be before --until=");
        if (!!a->q.namespace + !!a->q.directory + !!a->n_files > 1)
                return bad("--namespace=, --directory= and --file= each name the journal to read: give one");
        if (a->n_files)
                a->q.files = a->files;
        else if (!a->q.directory && !a->q.namespace)
                a->q.namespace = NAMESPACE_DEFAULT;
        return 0;
}

static const char *journal_name(const struct args *a)
{
        return a->n_files ? "the files given" : a->q.directory ? a->q.directory : a->q.namespace;
}

static int print(const struct args *a, const struct report_table *t)
{
        struct report_result res = {
                .grouping = report_grouping(a->q.by), .depth = a->q.depth, .top = a->top, .resolve_users = true
        };
        const struct report_row **rows;
        size_t groups;
        int r;

        r = report_table_sorted(t, &rows, &res.n_rows);
        if (r < 0)
                return r;
        res.rows = rows;
        report_table_totals(t, &res.opens, &res.entries, &groups);
        r = a->json ? report_print_json(stdout, &res) : report_print_text(stdout, &res);
        free(rows);
        if (r == 0 && fflush(stdout) != 0)
                r = -errno;
        return r;
}

int main(int argc, char **argv)
{
        struct report_stats stats = { 0 };
        struct report_table *t = NULL;
        static struct args a;
        const char *step;
        int r;

        r = parse_args(argc, argv, &a);
        if (r != 0)
                return r > 0 ? EXIT_OK : EXIT_USAGE;
        t = report_table_new();
        if (!t) {
                fprintf(stderr, "opensnoopd-report: out of memory\n");
                return EXIT_RUNTIME;
        }
        r = report_journal_read(&a.q, t, &stats, &step);
        if (r == -ENODATA && a.q.directory) {
                fprintf(stderr, "opensnoopd-report: no journal file in %s, or none this user may read\n",
                        a.q.directory);
                r = EXIT_JOURNAL;
                goto out;
        }
        if (r == -ENODATA) {
                if (geteuid() == 0)
                        fprintf(stderr,
                                "opensnoopd-report: no journal file of namespace '%s': has opensnoopd run with "
                                "LogNamespace=%s? (or give --namespace=, --directory=)\n",
                                a.q.namespace, a.q.namespace);
                else
                        fprintf(stderr,
                                "opensnoopd-report: no journal file of namespace '%s' that this user may read: "
                                "reading it takes root or the group adm or systemd-journal\n",
                                a.q.namespace);
                r = EXIT_JOURNAL;
                goto out;
        }
        if (r < 0) {
                fprintf(stderr, "opensnoopd-report: failed to %s (%s): %s\n", step, journal_name(&a), strerror(-r));
                r = EXIT_JOURNAL;
                goto out;
        }
        for (unsigned i = 0; i < stats.skipped.count && i < REPORT_FILES_SKIPPED_NAMED; i++)
                fprintf(stderr, "opensnoopd-report: %s could not be read (%s); its opens are not counted\n",
                        stats.skipped.path[i], strerror(-stats.skipped.error[i]));
        if (stats.skipped.count > REPORT_FILES_SKIPPED_NAMED)
                fprintf(stderr,
                        "opensnoopd-report: %u more journal files could not be read; their opens are not counted\n",
                        stats.skipped.count - REPORT_FILES_SKIPPED_NAMED);
        if (stats.unreadable)
                fprintf(stderr, "opensnoopd-report: %llu entries could not be read (corrupt?) and are not counted\n",
                        (unsigned long long)stats.unreadable);
        r = print(&a, t);
        if (r < 0) {
                fprintf(stderr, "opensnoopd-report: failed to write the report: %s\n", strerror(-r));
                r = EXIT_RUNTIME;
                goto out;
        }
        r = EXIT_OK;
out:
        report_skipped_clear(&stats.skipped);
        report_table_free(t);
        return r;
}
