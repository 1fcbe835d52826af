# SPDX-License-Identifier: MIT
"""Issue 10, point 4: journald's own drops are not silent. A journald
namespace with a small RateLimitBurst, opensnoopd run in a cgroup named like
a unit (journald rate-limits only clients its cgroup attributes to a unit)
with that namespace's socket bind-mounted over the journal socket: every
open ends up in the namespace's journal, or in a loss report as lost,
undelivered or suppressed (journald's "Suppressed N messages"), exactly."""

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

import harness
from harness import DaemonTestCase, field, run_opener

NAMESPACE = "osdtestrl"
LOSS_MESSAGE_ID = "58bd4eaad71a43d79f78ff1baa05e4da"


def cgroup2_root():
    with open("/proc/self/mountinfo") as f:
        for line in f:
            parts = line.split()
            if parts[parts.index("-") + 1] == "cgroup2":
                return parts[4]
    return None


def ns_journal(*matches):
    out = subprocess.run(["journalctl", f"--namespace={NAMESPACE}", "--no-pager", "-o", "json", "--all"]
                         + list(matches), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
    import json
    return [json.loads(line) for line in out.splitlines() if line.strip()]


class SuppressedTest(DaemonTestCase):
    journald = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with open(f"/etc/systemd/journald@{NAMESPACE}.conf", "w") as f:
            f.write("[Journal]\nRateLimitIntervalSec=30s\nRateLimitBurst=100\n")
        cls.socket = f"/run/systemd/journal.{NAMESPACE}/socket"
        # A namespace's journald exits after 30 s without a connection (and forgets what it
        # suppressed, saying nothing): a stdout stream keeps it up for the test.
        cls.stream = cls.connect_stream()
        if cls.stream is None:
            # under a name of its own: the suite's journald-going-away test stops every "systemd-journal"
            cls.bindir = tempfile.mkdtemp(prefix="opensnoopd-nsjournald-")
            binary = os.path.join(cls.bindir, "osd-ns-journald")
            os.symlink("/lib/systemd/systemd-journald", binary)
            cls.journald = subprocess.Popen([binary, NAMESPACE], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(100):
                cls.stream = cls.connect_stream()
                if cls.stream:
                    break
                time.sleep(0.1)
        assert cls.stream, "the namespace's journald runs"

    @staticmethod
    def connect_stream():
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(f"/run/systemd/journal.{NAMESPACE}/stdout")
        except OSError:
            s.close()
            return None
        s.sendall(b"osdtest-keepalive\n\n6\n0\n0\n0\n0\n")
        return s

    @classmethod
    def tearDownClass(cls):
        cls.stream.close()
        os.unlink(f"/etc/systemd/journald@{NAMESPACE}.conf")
        if cls.journald:
            cls.journald.terminate()
            cls.journald.wait()
            shutil.rmtree(cls.bindir, ignore_errors=True)

    def setUp(self):
        super().setUp()
        root = cgroup2_root()
        self.assertIsNotNone(root, "a cgroup2 hierarchy")
        self.unit = f"osdrl{os.getpid()}-{int(time.time())}.service"
        self.cgroup = os.path.join(root, self.unit)
        os.mkdir(self.cgroup)
        # the daemon, in the unit's cgroup, in a mount namespace where the journal socket is the namespace's
        self.wrapper = os.path.join(self.workdir, "in-unit")
        with open(self.wrapper, "w") as f:
            f.write("#!/bin/sh\n"
                    f"echo $$ > {self.cgroup}/cgroup.procs || exit 1\n"
                    f"exec unshare -m sh -c 'mount --bind {self.socket} /run/systemd/journal/socket && "
                    f"LOG_NAMESPACE={NAMESPACE} exec \"$0\" \"$@\"' {harness.DAEMON} \"$@\"\n")
        os.chmod(self.wrapper, 0o755)
        self.real_daemon = harness.DAEMON
        harness.DAEMON = self.wrapper

    def tearDown(self):
        harness.DAEMON = self.real_daemon
        super().tearDown()
        try:
            os.rmdir(self.cgroup)
        except OSError:
            pass

    def test_suppressed_entries_are_counted_exactly(self):
        comm = self.unique("supp")
        d = self.start(f"[Filter]\nCommands={comm}\n")
        self.assertIn(f"journald rate-limits {self.unit}: 100 entries per 30000 ms", d.stderr())
        generated = 0
        for _ in range(3):
            _, records = run_opener(comm, self.workdir, "burst", "3000")
            generated += int(records[-1]["opens"])
        # journald tells what it dropped only with the unit's first entry after its interval (30 s)
        time.sleep(31)
        _, records = run_opener(comm, self.workdir, "burst", "3000")
        generated += int(records[-1]["opens"])
        deadline = time.monotonic() + 20
        while not re.search(r"[1-9]\d* suppressed", d.latest_status()) and time.monotonic() < deadline:
            time.sleep(0.2)
        running = d.latest_status()
        self.assertGreater(int(re.search(r"(\d+) suppressed", running).group(1)), 0, "STATUS says so while running")
        started = time.monotonic()
        self.assertEqual(d.stop(timeout=90), 0)
        stop_s = time.monotonic() - started
        in_journal = len(ns_journal(f"_PID={d.pid}", f"OPEN_COMM={comm}"))
        lost = undelivered = suppressed = 0
        for e in ns_journal(f"MESSAGE_ID={LOSS_MESSAGE_ID}", f"_PID={d.pid}"):
            lost += int(field(e, "OPEN_LOST") or 0)
            undelivered += int(field(e, "OPEN_UNDELIVERED") or 0)
            suppressed += int(field(e, "OPEN_SUPPRESSED") or 0)
        notices = sum(int(field(e, "N_DROPPED")) for e in ns_journal("MESSAGE_ID=a596d6fe7bfa4994828e72309e95d61e")
                      if field(e, "MESSAGE").endswith(" from " + self.unit))
        stopped = re.findall(r"stopped: (.*)", d.stderr())[-1]
        reports = sum(1 for e in ns_journal(f"MESSAGE_ID={LOSS_MESSAGE_ID}", f"_PID={d.pid}") if "OPEN_SUPPRESSED" in e)
        figures = dict(generated=generated, in_journal=in_journal, suppressed=suppressed, journald_notices=notices,
                       lost=lost, undelivered=undelivered, stop_seconds=round(stop_s, 1), stopped=stopped)
        print(figures)
        self.assertGreater(suppressed, 0, "a burst of 100 per 30 s drops most of 9000")
        self.assertEqual(suppressed, notices, "every notice about our unit is in the loss reports")
        self.assertEqual(in_journal + suppressed + lost + undelivered, generated, figures)
        self.assertIn(f"{suppressed} suppressed", stopped)
        self.assertGreaterEqual(reports, 2, "one loss report while running, one after the stop's last interval")

    def test_under_a_burst_nothing_is_suppressed_and_the_stop_does_not_wait(self):
        comm = self.unique("suppq")
        d = self.start(f"[Filter]\nCommands={comm}\n")
        _, records = run_opener(comm, self.workdir, "burst", "50")
        generated = int(records[-1]["opens"])
        deadline = time.monotonic() + 20
        while len(ns_journal(f"_PID={d.pid}", f"OPEN_COMM={comm}")) < generated and time.monotonic() < deadline:
            time.sleep(0.2)
        started = time.monotonic()
        self.assertEqual(d.stop(timeout=90), 0)
        stop_s = time.monotonic() - started
        self.assertEqual(len(ns_journal(f"_PID={d.pid}", f"OPEN_COMM={comm}")), generated)
        self.assertIn("0 suppressed", re.findall(r"stopped: (.*)", d.stderr())[-1])
        # 50 entries and a few log lines are under a burst of 100: journald dropped none, nothing to wait for
        self.assertLess(stop_s, 10, "the stop waits out journald's interval only when it may have dropped some")


if __name__ == "__main__":
    import unittest
    unittest.main()
