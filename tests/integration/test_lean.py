# SPDX-License-Identifier: MIT
"""Issue 12: the resident daemon never maps the compiler, the compiler's
failures are one clear line with nothing left attached, and the existing
suites pass with the perf buffer forced (the ring buffer is the default where
the kernel has it)."""

import json
import os
import re
import signal
import subprocess
import tempfile
import time
import unittest
from unittest import mock

import harness
import test_daemon
import test_reliability
from harness import DaemonTestCase, bpf_links_of, journal, loaded_prog_ids, wait_journal

COMPILER_MAPPINGS = re.compile(rb"libLLVM|libclang|libbcc|/llvm-", re.IGNORECASE)
OUR_PROGRAMS = re.compile(r"^(tracepoint__sys|kprobe_open_)")


def children_of(pid):
    """The (pid, comm) of every process whose parent is pid."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        if ppid == pid:
            found.append((int(entry), comm))
    return found


def orphaned_programs(before):
    """Programs of ours loaded since before that no live process has attached:
    what a daemon or helper that died would leave behind."""
    out = subprocess.run(["bpftool", "prog", "show", "-j"], stdout=subprocess.PIPE, text=True).stdout
    new = {p["id"]: p.get("name", "") for p in json.loads(out or "[]") if p["id"] not in before}
    out = subprocess.run(["bpftool", "perf", "list", "-j"], stdout=subprocess.PIPE, text=True).stdout
    held = {l["prog_id"] for l in json.loads(out or "[]") if os.path.exists(f"/proc/{l['pid']}")}
    return {i: n for i, n in new.items() if OUR_PROGRAMS.match(n) and i not in held}


def daemon_lines(d):
    return [l for l in d.stderr().splitlines() if l.startswith("opensnoopd: ")]


class LeanResidentTest(DaemonTestCase):
    def test_no_compiler_mapped_after_ready(self):
        d = self.start()
        with open(f"/proc/{d.pid}/maps", "rb") as f:
            maps = f.read()
        self.assertTrue(maps, "the daemon's maps are readable")
        self.assertIn(b"libbpf", maps, "the resident process reads its buffers with libbpf")
        self.assertEqual([l for l in maps.splitlines() if COMPILER_MAPPINGS.search(l)], [],
                         "LLVM, Clang or libbcc mapped into the resident process")
        self.assertEqual(children_of(d.pid), [], "the compiler helper has exited")
        # ... and it traces: a unique path opened now reaches the journal.
        marker = os.path.join(self.workdir, f"lean-marker-{os.getpid()}-{time.monotonic_ns()}")
        open(marker, "w").close()
        self.assertEqual(len(wait_journal([f"OPEN_PATH={marker}", f"_PID={d.pid}"], 1)), 1)
        self.assertEqual(d.stop(), 0)

    def test_buffer_auto_and_perf(self):
        # Buffer=auto is the ring buffer wherever the kernel has one (5.8+), one size for the machine.
        release = tuple(int(x) for x in re.match(r"(\d+)\.(\d+)", os.uname().release).groups())
        d = self.start("[Probe]\nRingBufferSize=64K\n")
        if release >= (5, 8):
            self.assertIn("through a ring buffer of 64 KiB", d.stderr())
        else:
            self.assertRegex(d.stderr(), r"through perf buffers of 256 pages on \d+ CPUs")
        self.assertEqual(d.stop(), 0)
        d = self.start("[Probe]\nBuffer=perf\nPerfBufferPages=8\n")
        self.assertRegex(d.stderr(), r"through perf buffers of 8 pages on \d+ CPUs")
        self.assertEqual(d.stop(), 0)


class CompilerFailureTest(DaemonTestCase):
    def test_compile_error_is_one_line(self):
        # Trusted (root's, 0755, outside /tmp) but with no headers in it: clang fails.
        source = tempfile.mkdtemp(prefix="opensnoopd-no-headers-", dir="/run")
        self.addCleanup(os.rmdir, source)
        os.chmod(source, 0o755)
        os.mkdir(os.path.join(source, "include"))
        self.addCleanup(os.rmdir, os.path.join(source, "include"))
        before = loaded_prog_ids()
        d = self.start(f"[Probe]\nKernelSource={source}\n", ready=False)
        self.assertEqual(d.proc.wait(timeout=60), 5, "EXIT STATUS: 5, the kernel side")
        lines = daemon_lines(d)
        self.assertEqual(len(lines), 1, d.stderr())
        self.assertIn("compiling the BPF program failed (clang's messages are above)", lines[0])
        self.assertIn("file not found", d.stderr(), "clang's own message is there too")
        self.assertNotIn("READY=1", "\n".join(d.messages))
        self.assertEqual(orphaned_programs(before), {})

    def test_killed_compiler_is_one_line_and_nothing_attached(self):
        before = loaded_prog_ids()
        d = self.start(ready=False)
        helper = None
        deadline = time.monotonic() + 30
        while helper is None and time.monotonic() < deadline and d.proc.poll() is None:
            found = [p for p, comm in children_of(d.pid) if comm.startswith("opensnoopd-comp")]
            helper = found[0] if found else None
            time.sleep(0.005)
        self.assertIsNotNone(helper, "the daemon ran its compiler in a child")
        os.kill(helper, signal.SIGKILL)
        links_seen = []
        while d.proc.poll() is None and time.monotonic() < deadline:
            links_seen += bpf_links_of(d.pid)[1]
            time.sleep(0.01)
        self.assertEqual(d.proc.wait(timeout=10), 5, "EXIT STATUS: 5, the kernel side (its compile)")
        lines = daemon_lines(d)
        self.assertEqual(len(lines), 1, d.stderr())
        self.assertIn("was killed by signal 9", lines[0])
        self.assertEqual(links_seen, [], "the daemon attached nothing")
        self.assertNotIn("READY=1", "\n".join(d.messages))
        self.assertEqual(orphaned_programs(before), {})


# The existing suites again, with Buffer=perf added to every configuration the daemon is given.
def perf_config(write_config):
    def write(self, text):
        write_config(self, text + "\n[Probe]\nBuffer=perf\n")
    return write


class ForcedPerfBuffer:
    def setUp(self):
        patcher = mock.patch.object(harness.Daemon, "write_config", perf_config(harness.Daemon.write_config))
        patcher.start()
        self.addCleanup(patcher.stop)
        super().setUp()

    def start(self, *args, **kwargs):
        d = super().start(*args, **kwargs)
        if kwargs.get("ready", True):
            self.assertIn("through perf buffers", d.stderr())
        return d


class PerfFieldsTest(ForcedPerfBuffer, test_daemon.FieldsTest):
    pass


class PerfLifecycleTest(ForcedPerfBuffer, test_daemon.LifecycleTest):
    pass


class PerfFilterTest(ForcedPerfBuffer, test_daemon.FilterTest):
    pass


class PerfReliabilityTest(ForcedPerfBuffer, test_reliability.ReliabilityTest):
    pass


def load_tests(loader, tests, pattern):
    suite = unittest.TestSuite()
    for case in (LeanResidentTest, CompilerFailureTest, PerfFieldsTest, PerfLifecycleTest, PerfFilterTest):
        suite.addTests(loader.loadTestsFromTestCase(case))
    # only the flood: the other reliability tests are about the queue and journald, not the buffer
    suite.addTest(PerfReliabilityTest("test_flood_loses_nothing_silently_and_memory_stays_flat"))
    return suite


if __name__ == "__main__":
    unittest.main()
