# SPDX-License-Identifier: MIT
"""Short-lived units keep their names: a cgroup made, entered by one process that
opens one file and exits, and removed at once (a cron job, a systemd-run job, a
one-shot service) is named on every record it made: OPEN_UNIT, OPEN_CGROUP,
OPEN_CONTAINER_ID, and Units= decides on it. The daemon learns each cgroup's
path when it is made (cgroup:cgroup_mkdir), so the cgroup may be gone long
before the record is written."""

import ctypes
import os
import unittest

from harness import field, journal, wait_journal
from test_attribution import CgroupTestCase

ROUNDS = 40
LIBC = ctypes.CDLL(None, use_errno=True)


class ShortLivedUnitTest(CgroupTestCase):
    def setUp(self):
        super().setUp()
        self.tag = self.unique("s")
        self.comm = self.unique("short")
        self.slice = self.cgroup(f"/opensnoopd-test-{self.tag}.slice")

    def file(self, name):
        path = os.path.join(self.workdir, f"{name}-{self.tag}")
        with open(path, "w"):
            pass
        return path

    def lifetime(self, relative, path, make=True):
        """Makes the cgroup, forks a child that moves itself in, opens path and exits, then removes
        the cgroup as soon as the child is reaped: the cgroup lives about a millisecond (make=False:
        it is there already). Returns the
        cgroup's id (its directory's inode), which nothing can read after."""
        directory = os.path.join(self.mount, relative.lstrip("/"))
        if make:
            os.mkdir(directory)
        cgroup_id = os.stat(directory).st_ino
        pid = os.fork()
        if pid == 0:
            try:
                LIBC.prctl(15, self.comm.encode(), 0, 0, 0)  # PR_SET_NAME
                with open(os.path.join(directory, "cgroup.procs"), "w") as f:
                    f.write("0")
                os.close(os.open(path, os.O_RDONLY))
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        # the child is a zombie no more, but its cgroup may take a moment to empty
        for _ in range(1000):
            try:
                os.rmdir(directory)
                break
            except OSError:
                pass
        self.assertFalse(os.path.exists(directory), f"{directory} removed")
        return cgroup_id

    def test_every_record_of_a_short_lived_unit_names_it(self):
        """ROUNDS units and container scopes, each living about a millisecond: every record carries the
        exact OPEN_UNIT, OPEN_CGROUP, OPEN_CGROUP_ID (and OPEN_CONTAINER_ID for the scopes)."""
        t = self.tag
        d = self.start(f"[Filter]\nCommands={self.comm}\n")
        expect = {}
        for i in range(ROUNDS):
            if i % 4 == 3:
                container = "%064x" % (os.getpid() * 1000003 + i)
                unit = f"docker-{container[-64:]}.scope"
                container = container[-64:]
            else:
                unit, container = f"opensnoopd-test-{t}-{i}.service", None
            relative = f"{self.slice}/{unit}"
            path = self.file(f"f{i}")
            expect[path] = (relative, unit, container, self.lifetime(relative, path))
        self.sentinel(self.comm)
        unnamed = []
        for path, (relative, unit, container, cgroup_id) in expect.items():
            entries = journal(f"OPEN_PATH={path}", f"OPEN_COMM={self.comm}")
            self.assertEqual(len(entries), 1, path)
            e = entries[0]
            self.assertEqual(int(field(e, "OPEN_CGROUP_ID")), cgroup_id, path)
            if field(e, "OPEN_UNIT") is None:
                unnamed.append(unit)
                continue
            self.assertEqual(field(e, "OPEN_CGROUP"), relative, path)
            self.assertEqual(field(e, "OPEN_UNIT"), unit, path)
            self.assertEqual(field(e, "OPEN_CONTAINER_ID"), container, path)
        self.assertEqual(unnamed, [], f"{len(unnamed)} of {ROUNDS} short-lived units were not named")
        self.assertEqual(d.stop(), 0)

    def test_unit_made_before_the_daemon_started(self):
        """A cgroup there before the daemon started (found by its one scan of the mount, no
        cgroup:cgroup_mkdir record came for it), then entered, used and removed at once: named too."""
        unit = f"early-{self.tag}.service"
        relative = f"{self.slice}/{unit}"
        os.mkdir(os.path.join(self.mount, relative.lstrip("/")))
        d = self.start(f"[Filter]\nCommands={self.comm}\n")
        path = self.file("early")
        cgroup_id = self.lifetime(relative, path, make=False)
        self.sentinel(self.comm)
        e = journal(f"OPEN_PATH={path}", f"OPEN_COMM={self.comm}")
        self.assertEqual(len(e), 1)
        self.assertEqual(int(field(e[0], "OPEN_CGROUP_ID")), cgroup_id)
        self.assertEqual(field(e[0], "OPEN_CGROUP"), relative)
        self.assertEqual(field(e[0], "OPEN_UNIT"), unit)
        self.assertEqual(d.stop(), 0)

    def test_units_filter_on_short_lived_units(self):
        """Units= naming a unit that is made and removed again each round keeps exactly its opens; the
        other short-lived units' opens (decided in user space, their cgroups gone) are dropped."""
        t = self.tag
        keep = f"keep-{t}.service"
        d = self.start(f"[Filter]\nUnits={keep}\nCommands={self.comm}\n")
        kept, dropped = [], []
        for i in range(ROUNDS):
            ours = i % 2 == 0
            unit = keep if ours else f"other-{t}-{i}.service"
            path = self.file(f"u{i}")
            self.lifetime(f"{self.slice}/{unit}", path)
            (kept if ours else dropped).append(path)
        # the sentinel: a cgroup of the kept unit that stays until its entry is written
        marker = self.marker()
        with open(marker, "w"):
            pass
        self.open_in(self.cgroup(f"{self.slice}/{keep}"), self.comm, marker)
        self.assertEqual(len(wait_journal([f"OPEN_PATH={marker}"], 1, timeout=120)), 1, self.describe())
        leaked = [p for p in dropped if journal(f"OPEN_PATH={p}", f"OPEN_COMM={self.comm}")]
        missing = [p for p in kept if len(journal(f"OPEN_PATH={p}", f"OPEN_COMM={self.comm}")) != 1]
        self.assertEqual((len(leaked), len(missing)), (0, 0),
                         f"{len(leaked)} opens of unlisted units recorded, {len(missing)} of {keep} not once")
        for p in kept:
            self.assertEqual(field(journal(f"OPEN_PATH={p}")[0], "OPEN_UNIT"), keep)
        self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
