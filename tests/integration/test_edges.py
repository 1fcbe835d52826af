# SPDX-License-Identifier: MIT
"""The edges of what opensnoopd promises, each once broken: a reload that swaps
large filters, an open a signal interrupts, flags exactly as passed, a stop
while journald is frozen, the daemon's own noise kept out of its record, and
processes excluded by pid. Real kernel, real journald (the tests' namespace)."""

import json
import os
import signal
import subprocess
import sys
import time
import unittest

from harness import (JOURNAL, OPENER, DaemonTestCase, detected_mode, field, journal, opens_reported,
                     parse_stopped, run_opener, wait_journal, wait_until)

# A child that names itself (the kernel's comm), says its pid, then runs code when told to.
CHILD = r"""
import ctypes, os, signal, sys
ctypes.CDLL(None).prctl(15, sys.argv[1].encode(), 0, 0, 0)   # PR_SET_NAME
print(os.getpid(), flush=True)
sys.stdin.readline()
exec(sys.argv[2])
"""


class Child:
    def __init__(self, comm, code):
        self.proc = subprocess.Popen([sys.executable, "-c", CHILD, comm, code], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self.pid = int(self.proc.stdout.readline())

    def go(self):
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()

    def finish(self, timeout=30):
        self.proc.communicate(timeout=timeout)
        if self.proc.returncode != 0:
            raise AssertionError(f"child {self.pid} exited {self.proc.returncode}")


def wchan(pid):
    with open(f"/proc/{pid}/wchan") as f:
        return f.read()


def map_of(pid, name):
    """The contents of the BPF map `name` that process `pid` holds, as a set of (key bytes, value bytes)."""
    held = set()
    for fd in os.listdir(f"/proc/{pid}/fdinfo"):
        try:
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                held |= {int(l.split()[1]) for l in f if l.startswith("map_id:")}
        except OSError:
            continue
    maps = json.loads(subprocess.run(["bpftool", "map", "show", "-j"], stdout=subprocess.PIPE, text=True).stdout)
    ids = [m["id"] for m in maps if m.get("name") == name and m["id"] in held]
    assert len(ids) == 1, f"one map {name} held by pid {pid}: {ids}"
    dump = json.loads(subprocess.run(["bpftool", "map", "dump", "id", str(ids[0]), "-j"], stdout=subprocess.PIPE,
                                     text=True).stdout)
    return {(bytes(int(b, 16) for b in e["key"]), bytes(int(b, 16) for b in e["value"])) for e in dump}


def pid_entries(pids, verdict):
    return {(p.to_bytes(4, sys.byteorder), bytes([verdict])) for p in pids}


class EdgesTest(DaemonTestCase):
    def test_reload_swaps_600_pids_for_600_others(self):
        # 600 + 600 is more than the 1024 the kernel map holds: stale entries must go first
        first, second = range(3000000, 3000600), range(3000600, 3001200)
        d = self.start("[Filter]\nPIDs=" + " ".join(map(str, first)) + "\n")
        self.assertEqual(map_of(d.pid, "filter_pids"), pid_entries(first, 1))
        d.write_config("[Filter]\nPIDs=" + " ".join(map(str, second)) + "\n")
        seen = d.message_count()
        d.proc.send_signal(signal.SIGHUP)
        self.assertIsNotNone(d.wait_for("READY=1", 30, after=seen))
        self.assertIn("configuration reloaded", d.stderr())
        self.assertNotIn("reloading: ", d.stderr())
        self.assertEqual(map_of(d.pid, "filter_pids"), pid_entries(second, 1))
        self.assertEqual(d.stop(), 0)

    def test_interrupted_open_is_recorded_as_interrupted(self):
        comm = self.unique("intr")
        fifo = os.path.join(self.workdir, "fifo")
        os.mkfifo(fifo)
        d = self.start(f"[Filter]\nCommands={comm}\n")
        # Python's handler has no SA_RESTART: the kernel sees -ERESTARTSYS at the
        # syscall's exit, the program EINTR; Python runs the handler (which says
        # so) and opens again (PEP 475).
        child = Child(comm, "signal.signal(signal.SIGUSR1, lambda *a: print('handled', flush=True))\n"
                            f"os.open({fifo!r}, os.O_RDONLY)")
        child.go()
        # fs/pipe.c waits for the other end in wait_for_partner()
        self.assertTrue(wait_until(lambda: wchan(child.pid) == "wait_for_partner", 10),
                        "the child blocks in the FIFO's open")
        os.kill(child.pid, signal.SIGUSR1)
        self.assertEqual(child.proc.stdout.readline(), "handled\n")
        writer = os.open(fifo, os.O_WRONLY)  # lets the second open through
        child.finish()
        os.close(writer)
        entries = wait_journal([f"OPEN_COMM={comm}", f"OPEN_PATH={fifo}"], 2, timeout=30)
        self.assertEqual(len(entries), 2, [field(e, "MESSAGE") for e in entries])
        interrupted, opened = entries
        self.assertEqual(field(interrupted, "OPEN_INTERRUPTED"), "ERESTARTSYS")
        self.assertIsNone(field(interrupted, "OPEN_ERRNO"))
        self.assertIsNone(field(interrupted, "OPEN_ERROR"))
        self.assertEqual(field(interrupted, "PRIORITY"), "6", "not a failure the program saw")
        self.assertIn("was interrupted opening", field(interrupted, "MESSAGE"))
        self.assertIsNotNone(field(opened, "OPEN_FD"))
        self.assertEqual(d.stop(), 0)

    def test_flags_are_recorded_as_passed(self):
        # open(2) with an explicit O_LARGEFILE (as Free Pascal's runtime does), and without:
        # the kernel adds it itself on 64-bit, which must not show
        comm = self.unique("largef")
        d = self.start(f"[Filter]\nCommands={comm}\n")
        libc = "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        child = Child(comm, libc + "libc.open(b'/etc/hostname', 0o100000)\nlibc.open(b'/etc/passwd', 0)\n")
        child.go()
        child.finish()
        by_path = {field(e, "OPEN_PATH"): e for e in wait_journal([f"OPEN_COMM={comm}"], 2, timeout=30)}
        self.assertEqual(field(by_path["/etc/hostname"], "OPEN_FLAGS"), hex(0o100000))
        self.assertEqual(field(by_path["/etc/hostname"], "OPEN_FLAGS_TEXT"), "O_RDONLY|O_LARGEFILE")
        self.assertEqual(field(by_path["/etc/passwd"], "OPEN_FLAGS"), "0x0")
        self.assertEqual(field(by_path["/etc/passwd"], "OPEN_FLAGS_TEXT"), "O_RDONLY")
        mode = detected_mode(d.stderr())
        self.assertEqual(d.stop(), 0)
        print(f"flags as passed, checked in {mode} mode")

    def test_stop_while_journald_is_frozen_exits_zero_and_counts_everything(self):
        comm = self.unique("frozen")
        d = self.start(f"[Filter]\nCommands={comm}\n[Output]\nQueueSize=64K\n")
        self.sentinel(comm)
        JOURNAL.proc.send_signal(signal.SIGSTOP)
        try:
            # far more entries than journald's socket queues (net.unix.max_dgram_qlen): the
            # writer blocks in it, and the stop meets a writer that cannot finish
            out = subprocess.run([OPENER, comm, self.workdir, "burst", "20000"], stdout=subprocess.PIPE, text=True,
                                 check=True).stdout
            generated = opens_reported(out)
            rc = d.stop(timeout=15)
        finally:
            JOURNAL.proc.send_signal(signal.SIGCONT)
        self.assertEqual(rc, 0, d.stderr()[-2000:])
        self.assertLess(d.stop_seconds, 10.0, "inside systemd's TimeoutStopSec=10s")
        stopped = parse_stopped(d.stderr())
        self.assertIsNotNone(stopped, d.stderr()[-2000:])
        self.assertGreater(stopped["undelivered"], 0, "a 64 KiB queue cannot hold 20000 entries")
        # the sentinel is the one more open of comm written before the freeze
        self.assertEqual(stopped["written"] + stopped["lost"] + stopped["undelivered"], generated + 1, stopped)
        print(f"stopped in {d.stop_seconds:.2f} s with journald frozen: {stopped}")

    def test_watchdog_pings_only_while_the_writer_goes_round(self):
        # systemd's WatchdogSec= sets WATCHDOG_USEC: pings while the writer works, none once it is stuck
        comm = self.unique("watchdog")
        d = self.start(f"[Filter]\nCommands={comm}\n[Output]\nQueueSize=64K\n", env={"WATCHDOG_USEC": "1000000"})

        def pings():
            with d.lock:
                return sum("WATCHDOG=1" in m.split("\n") for m in d.messages)

        self.assertTrue(wait_until(lambda: pings() >= 4, 5), "a ping at least every half interval")
        JOURNAL.proc.send_signal(signal.SIGSTOP)
        try:
            # more than journald's socket queues: the writer blocks in a write
            subprocess.run([OPENER, comm, self.workdir, "burst", "20000"], stdout=subprocess.PIPE, check=True)
            time.sleep(1.5)  # the last pings of half an interval
            stuck = pings()
            time.sleep(2)
            self.assertEqual(pings(), stuck, "no ping while the writer is stuck: systemd restarts us")
        finally:
            JOURNAL.proc.send_signal(signal.SIGCONT)
        self.assertTrue(wait_until(lambda: pings() > stuck, 30), "pings again once the writer goes round")
        self.assertEqual(d.stop(), 0)

    def test_own_noise_is_not_recorded(self):
        d = self.start("")
        comm = self.unique("noise")
        # something to write, so journald describes its client (and PID 1, where
        # it is systemd, reads our cgroup on each STATUS=)
        run_opener(comm, self.workdir, "burst", "2000")
        # a client journald has not seen: it reads /proc/<that pid>/, and those opens are recorded.
        # The client lives until its message is stored: Debian 13's journald (257) read nothing
        # of /proc for a sender that had already exited.
        message = self.unique("hello")
        logger = Child(self.unique("logger"), "import socket; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto("
                       f"{('MESSAGE=' + message + chr(10)).encode()!r}, {JOURNAL.socket_dir + '/socket'!r}); "
                       "sys.stdin.readline()")
        logger.go()
        stored = wait_journal([f"MESSAGE={message}", f"_PID={logger.pid}"], 1)
        logger.go()
        logger.finish()
        logger_pid = logger.pid
        self.assertEqual(len(stored), 1, "journald stored the client's message with its pid")
        self.sentinel(comm)

        def about(pid, entries):
            return [e for e in entries if (field(e, "OPEN_PATH") or "").startswith(f"/proc/{pid}/")]

        journald = journal(f"OPEN_PID={JOURNAL.proc.pid}")
        about_logger, about_us = about(logger_pid, journald), about(d.pid, journald)
        by_comm = journal("OPEN_COMM=systemd-journal")
        self.assertTrue(about_logger, f"journald's opens for another client are recorded: journald {JOURNAL.proc.pid}, "
                        f"opensnoopd {d.pid}, client {logger_pid}; opens by comm systemd-journal (pid, path): "
                        f"{sorted({(field(e, 'OPEN_PID'), str(field(e, 'OPEN_PATH'))) for e in by_comm})[:40]}; "
                        f"status: {d.latest_status()}")
        self.assertEqual(about_us, [], "journald's opens for opensnoopd are not")
        self.assertEqual(d.stop(), 0)

    def test_excluded_pid_is_not_recorded(self):
        comm = self.unique("expid")
        hidden = Child(comm, "open('/etc/hostname').close()")
        shown = Child(comm, "open('/etc/hostname').close()")
        d = self.start(f"[Filter]\nCommands={comm}\nExcludePIDs={hidden.pid}\n")
        hidden.go()
        shown.go()
        hidden.finish()
        shown.finish()
        self.sentinel(comm)
        pids = {field(e, "OPEN_PID") for e in journal(f"OPEN_COMM={comm}", "OPEN_PATH=/etc/hostname")}
        self.assertEqual(pids, {str(shown.pid)})
        self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
