# SPDX-License-Identifier: MIT
"""Who made an open: processes moved into cgroups this test creates under the
real cgroup2 mount, shaped as systemd and container runtimes name them, and the
OPEN_CGROUP, OPEN_UNIT, OPEN_USER_UNIT and OPEN_CONTAINER_ID the daemon writes."""

import os
import unittest

from harness import DaemonTestCase, field, journal
from test_edges import Child


def cgroup2_mount():
    """Where cgroup v2 is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid systems)."""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            sep = fields.index("-")
            if fields[sep + 1] == "cgroup2":
                return fields[4]
    return None


class CgroupTestCase(DaemonTestCase):
    """Runs processes in cgroups it creates under the real cgroup2 mount, and removes them after."""

    def setUp(self):
        super().setUp()
        self.mount = cgroup2_mount()
        if not self.mount:
            self.skipTest("SKIPPED LOUDLY: no cgroup2 mount on this machine")
        self.made = []

    def tearDown(self):
        for path in reversed(self.made):
            try:
                os.rmdir(path)
            except OSError:
                pass
        super().tearDown()

    def cgroup(self, relative):
        """Creates the cgroup (and its parents) under the mount; returns its path relative to it."""
        parts = relative.strip("/").split("/")
        for i in range(1, len(parts) + 1):
            path = os.path.join(self.mount, *parts[:i])
            if not os.path.isdir(path):
                os.mkdir(path)
                self.made.append(path)
        return "/" + "/".join(parts)

    def open_in(self, relative, comm, path):
        """A process of comm, moved into the cgroup, opens path."""
        child = Child(comm, f"open({path!r}).close()")
        with open(os.path.join(self.mount, relative.lstrip("/"), "cgroup.procs"), "w") as f:
            f.write(str(child.pid))
        child.go()
        child.finish()
        return child.pid


class AttributionTest(CgroupTestCase):
    def test_units_user_units_and_containers(self):
        tag = f"{os.getpid()}"
        container = ("%064x" % (os.getpid() * 7919 + 12345))[-64:]
        shapes = [
            (f"/test.slice/x-{tag}.service", f"x-{tag}.service", None, None),
            (f"/system.slice/docker-{container}.scope", f"docker-{container}.scope", None, container),
            (f"/user.slice/user-1000.slice/user@1000.service/app.slice/y-{tag}.service", "user@1000.service",
             f"y-{tag}.service", None),
        ]
        comm = self.unique("attr")
        d = self.start(f"[Filter]\nCommands={comm}\n")
        pids = {}
        for relative, unit, user_unit, container_id in shapes:
            pids[self.open_in(self.cgroup(relative), comm, "/etc/hostname")] = (relative, unit, user_unit,
                                                                                  container_id)
        self.sentinel(comm)
        entries = {int(field(e, "OPEN_PID")): e for e in journal(f"OPEN_COMM={comm}", "OPEN_PATH=/etc/hostname")}
        self.assertEqual(set(entries), set(pids))
        for pid, (relative, unit, user_unit, container_id) in pids.items():
            e = entries[pid]
            self.assertEqual(field(e, "OPEN_CGROUP"), relative)
            self.assertEqual(field(e, "OPEN_UNIT"), unit)
            self.assertEqual(field(e, "OPEN_USER_UNIT"), user_unit)
            self.assertEqual(field(e, "OPEN_CONTAINER_ID"), container_id)
            self.assertEqual(int(field(e, "OPEN_CGROUP_ID")),
                             os.stat(os.path.join(self.mount, relative.lstrip("/"))).st_ino)
        # queried the way an operator asks "what did this unit open?"
        self.assertEqual(len(journal(f"OPEN_UNIT=x-{tag}.service", f"OPEN_COMM={comm}")), 1)
        self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
