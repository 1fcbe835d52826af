/* SPDX-License-Identifier: MIT */
#include "test_helpers.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "reload_report.h"

static void test_round_trip(void **state)
{
        struct reload_report in = { .pid = 4242, .started_usec = 123456789012ull, .result = -22 }, out;
        char line[640];

        (void)state;
        snprintf(in.message, sizeof(in.message), "reloading /etc/x.conf failed: still running with the previous one");
        assert_true(reload_report_format(&in, line, sizeof(line)) > 0);
        assert_string_equal(line, "4242 123456789012 -22 reloading /etc/x.conf failed: still running with the "
                                  "previous one\n");
        assert_int_equal(reload_report_parse(line, &out), 0);
        assert_int_equal(out.pid, 4242);
        assert_true(out.started_usec == 123456789012ull);
        assert_int_equal(out.result, -22);
        assert_string_equal(out.message, in.message);
}

static void test_refuses_what_it_did_not_write(void **state)
{
        struct reload_report r = { .pid = 1 };

        (void)state;
        assert_int_equal(reload_report_parse("", &r), -EINVAL);
        assert_int_equal(reload_report_parse("12 x 0 ok\n", &r), -EINVAL);
        assert_int_equal(reload_report_parse("0 5 0 ok\n", &r), -EINVAL);   /* no such pid */
        assert_int_equal(reload_report_parse("12 5 3 ok\n", &r), -EINVAL);  /* a result is 0 or -errno */
        /* a message of two lines would let the second pass for a report: refused at the source */
        snprintf(r.message, sizeof(r.message), "one\ntwo");
        assert_int_equal(reload_report_format(&r, (char[640]){ 0 }, 640), -EINVAL);
}

static void test_write_then_read(void **state)
{
        char dir[] = "/tmp/reload-report-XXXXXX";
        struct reload_report in = { .pid = 7, .started_usec = 99, .result = 0 }, out;

        (void)state;
        assert_non_null(mkdtemp(dir));
        assert_int_equal(reload_report_read(dir, &out), -ENOENT);
        snprintf(in.message, sizeof(in.message), "configuration reloaded");
        assert_int_equal(reload_report_write(dir, &in), 0);
        assert_int_equal(reload_report_read(dir, &out), 0);
        assert_int_equal(out.pid, 7);
        assert_string_equal(out.message, "configuration reloaded");
        in.started_usec = 100; /* a newer one replaces it whole */
        assert_int_equal(reload_report_write(dir, &in), 0);
        assert_int_equal(reload_report_read(dir, &out), 0);
        assert_true(out.started_usec == 100);
        assert_int_equal(unlink(strcat(strcpy((char[64]){ 0 }, dir), "/" RELOAD_REPORT_NAME)), 0);
        assert_int_equal(rmdir(dir), 0);
}

/* The asking side: a signal, then only a report of a reload that began after it counts. */
static void test_request_waits_for_a_newer_report(void **state)
{
        char dir[] = "/tmp/reload-report-XXXXXX";
        struct reload_report r;
        sigset_t hup;
        pid_t child;
        int status;

        (void)state;
        assert_non_null(mkdtemp(dir));
        sigemptyset(&hup);
        sigaddset(&hup, SIGHUP);
        assert_int_equal(sigprocmask(SIG_BLOCK, &hup, NULL), 0);
        child = fork();
        assert_true(child >= 0);
        if (child == 0) {
                struct reload_report stale = { .pid = getpid(), .started_usec = 1, .result = 0 }, fresh;
                struct timespec now;
                int sig;

                snprintf(stale.message, sizeof(stale.message), "stale");
                reload_report_write(dir, &stale); /* older than any signal: must not answer it */
                sigwait(&hup, &sig);
                clock_gettime(CLOCK_MONOTONIC, &now);
                fresh = (struct reload_report){ .pid = getpid(), .result = -EINVAL,
                                                .started_usec = (uint64_t)now.tv_sec * 1000000u +
                                                                (uint64_t)now.tv_nsec / 1000 };
                snprintf(fresh.message, sizeof(fresh.message), "refused");
                _exit(reload_report_write(dir, &fresh) == 0 ? 0 : 1);
        }
        sigprocmask(SIG_UNBLOCK, &hup, NULL);
        usleep(100000); /* the child has written its stale report and waits for the signal */
        assert_int_equal(reload_report_request(child, dir, 10000, &r), 0);
        assert_int_equal(r.pid, child);
        assert_int_equal(r.result, -EINVAL);
        assert_string_equal(r.message, "refused");
        assert_int_equal(waitpid(child, &status, 0), child);
        assert_int_equal(reload_report_request(child, dir, 1000, &r), -ESRCH); /* gone */
        unlink(strcat(strcpy((char[64]){ 0 }, dir), "/" RELOAD_REPORT_NAME));
        rmdir(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_refuses_what_it_did_not_write),
                cmocka_unit_test(test_write_then_read),
                cmocka_unit_test(test_request_waits_for_a_newer_report),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
