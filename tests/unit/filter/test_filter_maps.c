/* SPDX-License-Identifier: MIT */
#include "test_helpers.h"

#include "config.h"
#include "filter_maps.h"

static void build_as(const char *text, const char *unit, struct filter_maps *s)
{
        struct config c;
        struct config_errors e = { 0 };

        config_init(&c);
        assert_int_equal(config_parse(text, strlen(text), "t.conf", &c, &e), 0);
        assert_int_equal(filter_maps_build(&c.filter, &(struct filter_self){ .pid = 4242, .unit = unit }, s), 0);
        config_done(&c);
}

static void build(const char *text, struct filter_maps *s)
{
        build_as(text, NULL, s);
}

static void test_no_filter_traces_all_but_self(void **state)
{
        struct filter_maps s;

        (void)state;
        build("", &s);
        assert_int_equal(s.settings.active, 0);
        assert_int_equal(s.settings.self_pid, 4242);
        assert_int_equal(s.npids + s.nuids + s.ncomms + s.nprefixes, 0);
        /* journald's and PID 1's opens of our /proc entries are ours: only that one prefix outside a unit */
        assert_int_equal(s.nself_noise, 1);
        assert_int_equal(s.self_noise[0].prefixlen, strlen("/proc/4242/") * 8);
        assert_memory_equal(s.self_noise[0].data, "/proc/4242/", strlen("/proc/4242/") + 1);
        assert_int_equal(s.self_noise_verdicts[0], FILTER_EXCLUDE);
        filter_maps_done(&s);
}

static void test_every_filter_sets_its_bit(void **state)
{
        struct filter_maps s;

        (void)state;
        build("[Filter]\nPIDs=10 11\nUIDs=1000\nCommands=nginx\nExcludeCommands=cron\n"
              "PathPrefixes=/etc/\nExcludePathPrefixes=/etc/ssl\nFailedOnly=yes\nAccess=write\n",
              &s);
        assert_int_equal(s.settings.active, FILTER_PIDS | FILTER_UIDS | FILTER_COMMS | FILTER_EXCLUDE_COMMS |
                                                    FILTER_PREFIXES | FILTER_ANY_PREFIX | FILTER_FAILED_ONLY |
                                                    FILTER_WRITE_ONLY);
        assert_int_equal(s.npids, 2);
        assert_int_equal(s.pids[1], 11);
        assert_int_equal(s.uids[0], 1000);
        filter_maps_done(&s);
}

static void test_comm_keys_are_padded_like_the_kernel(void **state)
{
        struct filter_maps s;
        struct filter_comm_key expected = { 0 };

        (void)state;
        build("[Filter]\nExcludeCommands=cron\n", &s);
        assert_int_equal(s.settings.active, FILTER_EXCLUDE_COMMS);
        memcpy(expected.comm, "cron", 4);
        assert_int_equal(s.ncomms, 1);
        assert_memory_equal(&s.comms[0], &expected, sizeof(expected));
        assert_int_equal(s.comm_verdicts[0], FILTER_EXCLUDE);
        filter_maps_done(&s);
}

static void test_prefix_keys(void **state)
{
        struct filter_maps s;

        (void)state;
        build("[Filter]\nExcludePathPrefixes=/proc/ /sys/\n", &s);
        /* exclusions alone: look up, but do not require an include match */
        assert_int_equal(s.settings.active, FILTER_ANY_PREFIX);
        assert_int_equal(s.nprefixes, 2);
        assert_int_equal(s.prefixes[0].prefixlen, 6 * 8);
        assert_memory_equal(s.prefixes[1].data, "/sys/", 5);
        assert_int_equal(s.prefixes[1].data[5], 0);
        assert_int_equal(s.prefix_verdicts[1], FILTER_EXCLUDE);
        filter_maps_done(&s);
        filter_maps_done(NULL);
}

static void test_excluded_ids_share_the_map_with_verdicts(void **state)
{
        struct filter_maps s;

        (void)state;
        build("[Filter]\nPIDs=10\nExcludePIDs=20 21\nExcludeUIDs=33\n", &s);
        assert_int_equal(s.settings.active, FILTER_PIDS | FILTER_EXCLUDE_PIDS | FILTER_EXCLUDE_UIDS);
        assert_int_equal(s.npids, 3);
        assert_int_equal(s.pids[0], 10);
        assert_int_equal(s.pid_verdicts[0], FILTER_INCLUDE);
        assert_int_equal(s.pids[2], 21);
        assert_int_equal(s.pid_verdicts[2], FILTER_EXCLUDE);
        assert_int_equal(s.nuids, 1);
        assert_int_equal(s.uid_verdicts[0], FILTER_EXCLUDE);
        filter_maps_done(&s);
}

/* Units= and ExcludeUnits= only switch the kernel's cgroup lookup on: their verdicts come from user space. */
static void test_units_set_their_bits(void **state)
{
        struct filter_maps s;

        (void)state;
        build("[Filter]\nUnits=nginx.service\n", &s);
        assert_int_equal(s.settings.active, FILTER_UNITS);
        filter_maps_done(&s);
        build("[Filter]\nExcludeUnits=cron.service\n", &s);
        assert_int_equal(s.settings.active, FILTER_EXCLUDE_UNITS);
        filter_maps_done(&s);
        build("[Filter]\nUnits=system.slice\nExcludeUnits=cron.service\n", &s);
        assert_int_equal(s.settings.active, FILTER_UNITS | FILTER_EXCLUDE_UNITS);
        filter_maps_done(&s);
}

static void test_self_noise_of_a_unit(void **state)
{
        static const char extra[] = "/run/systemd/units/log-extra-fields:opensnoopd.service";
        struct filter_maps s;

        (void)state;
        build_as("", "opensnoopd.service", &s);
        assert_int_equal(s.nself_noise, 2);
        assert_int_equal(s.self_noise[1].prefixlen, strlen(extra) * 8);
        assert_memory_equal(s.self_noise[1].data, extra, sizeof(extra));
        filter_maps_done(&s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_no_filter_traces_all_but_self),
                cmocka_unit_test(test_every_filter_sets_its_bit),
                cmocka_unit_test(test_comm_keys_are_padded_like_the_kernel),
                cmocka_unit_test(test_excluded_ids_share_the_map_with_verdicts),
                cmocka_unit_test(test_self_noise_of_a_unit),
                cmocka_unit_test(test_units_set_their_bits),
                cmocka_unit_test(test_prefix_keys),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
