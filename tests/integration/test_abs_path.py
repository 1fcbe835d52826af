# SPDX-License-Identifier: MIT
"""Where a relative open went: OPEN_ABS_PATH, built in the kernel at the time
of the open, for opens relative to the working directory (on a tmpfs mounted
for the test, so the walk crosses a mount) or to a directory fd, successful
and failed, from a removed working directory; path filters on it; and
AbsolutePaths=no. The truth is the real path of the file or directory, as
this process sees it."""

import os
import subprocess
import unittest

from harness import OPENER, DaemonTestCase, field, field_bytes, journal


def opener(comm, directory, *scenario, cwd=None):
    subprocess.run([OPENER, comm, directory] + list(scenario), stdout=subprocess.DEVNULL, check=True, cwd=cwd)


def hexed(*paths):
    return [p.encode().hex() for p in paths]


class AbsPathTest(DaemonTestCase):
    def setUp(self):
        super().setUp()
        self.top = os.path.realpath(self.workdir)
        self.mnt = os.path.join(self.top, "mnt")
        os.mkdir(self.mnt)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "opensnoopd-test", self.mnt], check=True)
        self.addCleanup(subprocess.run, ["umount", "-l", self.mnt])
        self.d = os.path.join(self.mnt, "d")
        os.makedirs(os.path.join(self.d, "sub"))
        with open(os.path.join(self.d, "g"), "w") as f:
            f.write("g")

    def entries(self, comm):
        return [(field_bytes(e, "OPEN_PATH").decode(), e) for e in journal(f"OPEN_COMM={comm}")
                if not field_bytes(e, "OPEN_PATH").decode().startswith(os.path.join(self.workdir, "sentinel-"))]

    def abs_paths(self, comm):
        return {path: field(e, "OPEN_ABS_PATH") for path, e in self.entries(comm)}

    def test_relative_to_cwd_and_dirfd_across_a_mount(self):
        comm = self.unique("abs")
        daemon = self.start(f"[Filter]\nCommands={comm}\n")
        cwd = os.path.join(self.d, "sub")
        opener(comm, self.top, "paths", *hexed("../g", "../sub/../g", "missing", "../nodir/x", "/etc/hostname"),
               cwd=cwd)
        opener(comm, self.top, "at", self.d.encode().hex(), *hexed("g", "absent"))
        self.sentinel(comm)
        got = {path: (field(e, "OPEN_ABS_PATH"), field(e, "OPEN_DIRFD") is not None)
               for path, e in self.entries(comm)}
        g = os.path.join(self.d, "g")
        self.assertEqual(got, {
            # successful: the file the kernel opened
            "../g": (g, False),
            "../sub/../g": (g, False),
            "g": (g, True),
            # failed: the directory's absolute path joined with the path as passed
            "missing": (cwd + "/missing", False),
            "../nodir/x": (cwd + "/../nodir/x", False),
            "absent": (self.d + "/absent", True),
            # absolute: no second path
            "/etc/hostname": (None, False),
            self.d: (None, False),  # the directory the fd of "at" is for
        })
        self.assertEqual(daemon.stop(), 0)

    def test_removed_working_directory(self):
        comm = self.unique("gone")
        daemon = self.start(f"[Filter]\nCommands={comm}\n")
        opener(comm, self.d, "gone-cwd", "was-here")
        self.sentinel(comm)
        [(path, e)] = self.entries(comm)
        self.assertEqual(path, "x")
        self.assertEqual(field(e, "OPEN_ABS_PATH"), self.d + "/was-here/x")
        self.assertEqual(field(e, "OPEN_ABS_PATH_DELETED"), "1")
        self.assertEqual(daemon.stop(), 0)

    def test_path_filters_match_the_absolute_path(self):
        comm = self.unique("absf")
        daemon = self.start(f"[Filter]\nCommands={comm}\nPathPrefixes={self.d}/\n"
                            f"ExcludePathPrefixes={self.d}/sub/\nPathPrefixes={self.workdir}/sentinel-\n")
        # from the tmpfs's sub directory: "../g" is in d/, "x" in d/sub/ (excluded);
        # from the test's directory, "mnt/d/g" is in d/ too
        opener(comm, self.top, "paths", *hexed("../g", "x"), cwd=os.path.join(self.d, "sub"))
        opener(comm, self.top, "paths", *hexed("mnt/d/g", "other"), cwd=self.top)
        self.sentinel(comm)
        self.assertEqual(self.abs_paths(comm), {"../g": self.d + "/g", "mnt/d/g": self.d + "/g"})
        self.assertEqual(daemon.stop(), 0)

    def test_absolute_paths_off(self):
        comm = self.unique("absoff")
        daemon = self.start(f"[Probe]\nAbsolutePaths=no\n[Filter]\nCommands={comm}\n")
        opener(comm, self.top, "paths", *hexed("../g", "missing"), cwd=os.path.join(self.d, "sub"))
        self.sentinel(comm)
        self.assertEqual(self.abs_paths(comm), {"../g": None, "missing": None})
        self.assertEqual(daemon.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
