# SPDX-License-Identifier: MIT
"""[Filter] Units= and ExcludeUnits=: processes moved into cgroups this test
creates under the real cgroup2 mount (shaped as systemd names them), before and
after the daemon started. An open is in a unit when a component of its cgroup's
path is the unit's name (a slice covers everything below it). The first opens
of a cgroup are decided in user space, which stores the verdict in the kernel's
filter_cgroups map; the later ones are decided there (the map is checked)."""

import os
import signal
import struct
import subprocess
import unittest

from harness import DAEMON, field, journal, wait_journal
from test_attribution import CgroupTestCase
from test_edges import Child, map_of

INCLUDE, EXCLUDE = 1, 2


class UnitFilterTest(CgroupTestCase):
    def setUp(self):
        super().setUp()
        self.tag = self.unique("u")
        self.comm = self.unique("unit")

    def file(self, name):
        """An existing file only this test opens (its entries are counted by path)."""
        path = os.path.join(self.workdir, f"{name}-{self.tag}")
        with open(path, "w"):
            pass
        return path

    def count(self, path):
        return len(journal(f"OPEN_PATH={path}", f"OPEN_COMM={self.comm}"))

    def sentinel_in(self, cgroup):
        """Opens a fresh file from cgroup (whose opens are recorded) and waits for its entry: what
        the daemon saw before it has been written or dropped by then."""
        path = self.marker()
        with open(path, "w"):
            pass
        self.open_in(cgroup, self.comm, path)
        self.assertEqual(len(wait_journal([f"OPEN_PATH={path}"], 1, timeout=120)), 1,
                         f"the sentinel {path} reached the journal once\n" + self.describe())

    def verdicts(self, d):
        """filter_cgroups as {cgroup id: verdict}."""
        return {struct.unpack("=Q", k)[0]: v[0] for k, v in map_of(d.pid, "filter_cgroups")}

    def cgroup_id(self, relative):
        return os.stat(os.path.join(self.mount, relative.lstrip("/"))).st_ino

    def check_twice(self, d, where, recorded, sentinel):
        """Each cgroup of where ({name: cgroup}) opens a file of its own, then sentinel() runs; twice: the
        first open of a cgroup is decided in user space, the second (a new process) in the kernel. Exactly
        the cgroups named in recorded have both opens in the journal, and the kernel holds every verdict."""
        files = {name: self.file(name) for name in where}
        for _ in range(2):
            for name, cgroup in where.items():
                self.open_in(cgroup, self.comm, files[name])
            sentinel()
        verdicts = self.verdicts(d)
        for name, cgroup in where.items():
            self.assertEqual(self.count(files[name]), 2 if name in recorded else 0, name)
            self.assertEqual(verdicts.get(self.cgroup_id(cgroup)), INCLUDE if name in recorded else EXCLUDE, name)
        return files

    def reload(self, d, text):
        d.write_config(text)
        seen = d.message_count()
        d.proc.send_signal(signal.SIGHUP)
        self.assertIsNotNone(d.wait_for("READY=1", 30, after=seen), "READY=1 after the reload\n" + d.stderr())

    def test_units_in_and_out_slice_and_late_unit(self):
        t = self.tag
        inside = self.cgroup(f"/test.slice/in-{t}.service")
        outside = self.cgroup(f"/test.slice/out-{t}.service")
        d = self.start(f"[Filter]\nUnits=in-{t}.service keep-{t}.slice late-{t}.service\nCommands={self.comm}\n")
        # created after the daemon started: a unit below a listed slice, a listed unit's sub-cgroup, a late unit
        where = {"in": inside, "out": outside, "deep": self.cgroup(f"/keep-{t}.slice/deep-{t}.service/worker"),
                 "sub": self.cgroup(f"/test.slice/in-{t}.service/sub"),
                 "late": self.cgroup(f"/test.slice/late-{t}.service")}
        files = self.check_twice(d, where, {"in", "deep", "sub", "late"}, lambda: self.sentinel_in(inside))
        for e in journal(f"OPEN_PATH={files['deep']}", f"OPEN_COMM={self.comm}"):
            self.assertEqual(field(e, "OPEN_CGROUP"), where["deep"])
        self.assertEqual(d.stop(), 0)

    def test_exclude_units_in_and_out(self):
        t = self.tag
        d = self.start(f"[Filter]\nExcludeUnits=noisy-{t}.service quiet-{t}.slice\nCommands={self.comm}\n")
        where = {"noisy": self.cgroup(f"/test.slice/noisy-{t}.service"),
                 "below": self.cgroup(f"/quiet-{t}.slice/app-{t}.service"),  # a unit in an excluded slice
                 "kept": self.cgroup(f"/test.slice/kept-{t}.service")}
        self.check_twice(d, where, {"kept"}, lambda: self.sentinel(self.comm))  # the test's cgroup: not excluded
        self.assertEqual(d.stop(), 0)

    def test_innermost_decides_and_reload_forgets_verdicts(self):
        t = self.tag
        d = self.start(f"[Filter]\nUnits=outer-{t}.slice\nExcludeUnits=skip-{t}.service\nCommands={self.comm}\n")
        keep = self.cgroup(f"/outer-{t}.slice/keep-{t}.service")
        skip = self.cgroup(f"/outer-{t}.slice/skip-{t}.service")
        files = {name: self.file(name) for name in ("keep", "skip")}
        self.open_in(keep, self.comm, files["keep"])
        self.open_in(skip, self.comm, files["skip"])
        self.sentinel_in(keep)
        self.assertEqual(self.count(files["keep"]), 1)
        self.assertEqual(self.count(files["skip"]), 0, "ExcludeUnits= names a unit inside the included slice")
        self.assertEqual(self.verdicts(d).get(self.cgroup_id(skip)), EXCLUDE)

        # the reload turns the lists round: the cached verdicts of the old ones must go
        self.reload(d, f"[Filter]\nUnits=skip-{t}.service\nCommands={self.comm}\n")
        self.assertEqual(self.verdicts(d), {}, "a reload that changes Units= clears filter_cgroups")
        self.open_in(keep, self.comm, files["keep"])
        self.open_in(skip, self.comm, files["skip"])
        self.sentinel_in(skip)
        self.assertEqual(self.count(files["keep"]), 1, "keep-*.service is no longer listed")
        self.assertEqual(self.count(files["skip"]), 1)
        self.assertEqual(self.verdicts(d).get(self.cgroup_id(keep)), EXCLUDE)
        self.assertEqual(d.stop(), 0)

    def test_user_space_verdict_keeps_the_absolute_path(self):
        """A relative open decided in user space keeps what the kernel found (OPEN_ABS_PATH): the
        undecided mark is the only flag user space clears."""
        t = self.tag
        d = self.start(f"[Filter]\nUnits=rel-{t}.service\nCommands={self.comm}\n")
        cgroup = self.cgroup(f"/test.slice/rel-{t}.service")
        path = self.file("relative")
        child = Child(self.comm, f"import os; os.chdir({self.workdir!r}); open({os.path.basename(path)!r}).close()")
        with open(os.path.join(self.mount, cgroup.lstrip("/"), "cgroup.procs"), "w") as f:
            f.write(str(child.pid))
        child.go()
        child.finish()
        self.sentinel_in(cgroup)
        entries = journal(f"OPEN_PATH={os.path.basename(path)}", f"OPEN_COMM={self.comm}")
        self.assertEqual(len(entries), 1)
        self.assertEqual(field(entries[0], "OPEN_ABS_PATH"), path)
        self.assertEqual(d.stop(), 0)

    def test_refused_without_cgroup2(self):
        """No cgroup2 mount, no path to match: refused, rather than every open silently recorded."""
        config = os.path.join(self.workdir, "units.conf")
        with open(config, "w") as f:
            f.write(f"[Filter]\nUnits=x-{self.tag}.service\n")
        run = subprocess.run(["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
                              'umount -l "$0" && exec "$@"', self.mount, DAEMON, "-c", config, "--output=text",
                              "--duration=1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300)
        self.assertEqual(run.returncode, 6, "EXIT STATUS: 6, the configuration: " + run.stderr)
        self.assertIn("Units= and ExcludeUnits=: they need a cgroup2 mount, and there is none", run.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
