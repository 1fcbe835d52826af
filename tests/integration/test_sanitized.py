# SPDX-License-Identifier: MIT
"""The daemon built with ASan+UBSan+LSan (tests/run-sanitized sets OPENSNOOPD_BUILD
to that build): a short real scenario must end with no sanitizer report."""

import os
import signal
import unittest

from harness import DaemonTestCase, run_opener, wait_journal

REPORTS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:", "SUMMARY:")


class SanitizedDaemonTest(DaemonTestCase):
    def setUp(self):
        super().setUp()
        if "detect_leaks=1" not in os.environ.get("ASAN_OPTIONS", ""):
            self.skipTest("SKIPPED LOUDLY: run through tests/run-sanitized, which builds the sanitized daemon")

    def test_start_trace_reload_stop_reports_nothing(self):
        comm = self.unique("asan")
        d = self.start(f"[Filter]\nExcludeCommands=nobody\n")
        _, records = run_opener(comm, self.workdir, "fields")
        # at least: the sanitized opener's own LeakSanitizer opens /proc/self/maps and more at exit
        self.assertGreaterEqual(len(wait_journal([f"OPEN_COMM={comm}", f"_PID={d.pid}"], len(records))),
                                len(records))
        # ExcludeUnits= sends each new cgroup's first opens to user space, which stores a verdict
        d.write_config(f"[Filter]\nCommands={comm}\nExcludeUnits=none-{comm}.service\n")
        seen = d.message_count()
        d.proc.send_signal(signal.SIGHUP)
        self.assertIsNotNone(d.wait_for("READY=1", 30, after=seen))
        run_opener(comm, self.workdir, "fields")
        self.sentinel(comm)  # the daemon wrote the opens after the reload
        status = d.stop(timeout=30)
        err = d.stderr()
        self.assertEqual(status, 0, err[-3000:])
        self.assertFalse([r for r in REPORTS if r in err], err[-3000:])
        self.assertIn("configuration reloaded", err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
