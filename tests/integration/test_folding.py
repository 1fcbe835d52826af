# SPDX-License-Identifier: MIT
"""Issue 10, folding: [Output] Coalesce= and CoalesceBy= fold repeated opens
into one entry with OPEN_COUNT=, and (issue 20, CoalesceNames=) the names one
command opened in a window into one entry, each with its exact count in
OPEN_FILES=; every open is still counted exactly:
the OPEN_COUNT of the entries in the journal plus what the loss reports say
was lost or undelivered adds up to the opens made, through a flood, a SIGTERM
while windows are open, and a reload that changes the window. Memory stays
bounded with millions of distinct keys."""

import json
import os
import re
import signal
import subprocess
import sys
import time

from harness import (DAEMON, OPENER, DaemonTestCase, field, journal, loss_reports, names_of, opens_reported,
                     parse_status, parse_stopped, rss_kb, run_opener)


def folded(*matches):
    """The daemon's entries matching, as (OPEN_COUNT, OPEN_PIDS, OPEN_PID, OPEN_FIRST_USEC, OPEN_LAST_USEC)."""
    out = []
    for e in journal(*matches):
        out.append(tuple(int(e[k]) if k in e else None
                         for k in ("OPEN_COUNT", "OPEN_PIDS", "OPEN_PID", "OPEN_FIRST_USEC", "OPEN_LAST_USEC")))
    return out


def wait_count(matches, total, timeout=60.0):
    """Polls until the OPEN_COUNT of the matching entries adds up to total (or the timeout); returns the entries."""
    deadline = time.monotonic() + timeout
    while True:
        entries = folded(*matches)
        if sum(e[0] or 0 for e in entries) >= total or time.monotonic() > deadline:
            return entries
        time.sleep(0.3)


def flood(comm, directory, processes, seconds):
    procs = [subprocess.Popen([OPENER, comm, directory, "burst-for", str(seconds)], stdout=subprocess.PIPE, text=True)
             for _ in range(processes)]
    return sum(opens_reported(p.communicate()[0]) for p in procs)


class FoldingTest(DaemonTestCase):
    def check_entries(self, entries, by_command):
        for count, pids, pid, first, last in entries:
            self.assertIsNotNone(count, "OPEN_COUNT= is on every entry while folding is on")
            self.assertGreaterEqual(count, 1)
            if count > 1:
                self.assertLessEqual(first, last)
            else:
                self.assertIsNone(first, "one open: OPEN_TIMESTAMP_USEC says when")
            if by_command:
                self.assertIsNotNone(pids)
                self.assertLessEqual(pids, count)
            else:
                self.assertIsNone(pids)

    def flood_then_sigterm(self, by, window, processes):
        comm = self.unique("fold" + by[0])
        d = self.start(f"[Filter]\nCommands={comm}\n[Output]\nCoalesce={window}\nCoalesceBy={by}\n")
        generated = flood(comm, self.workdir, processes, 5)
        # SIGTERM at once: the windows that the last opens opened are still pending
        self.assertEqual(d.stop(), 0)
        stopped = parse_status(re.findall(r"stopped: (.*)", d.stderr())[-1])
        entries = folded(f"_PID={d.pid}", f"OPEN_COMM={comm}")
        lost, undelivered = loss_reports(d.pid)
        in_journal = sum(e[0] for e in entries)
        figures = dict(by=by, window=window, generated=generated, entries=len(entries), in_journal=in_journal,
                       lost=lost, undelivered=undelivered)
        print(figures)
        self.check_entries(entries, by == "command")
        self.assertEqual(in_journal + lost + undelivered, generated, figures)
        self.assertEqual((stopped["written"], stopped["lost"], stopped["undelivered"]),
                         (in_journal, lost, undelivered), "the stop line counts opens, as the journal does")
        self.assertLess(len(entries) * 100, generated, "one file opened over and over folds")
        return entries

    def test_exact_counts_by_process_with_sigterm_in_open_windows(self):
        self.flood_then_sigterm("process", "1s", 2)

    def test_exact_counts_by_command_with_sigterm_in_open_windows(self):
        entries = self.flood_then_sigterm("command", "10s", 3)
        # the three processes open the same path: the entries of the first window name all three
        self.assertEqual(max(e[1] for e in entries), 3)

    def test_reload_flushes_windows_and_changes_the_window(self):
        comm = self.unique("foldr")
        d = self.start(f"[Filter]\nCommands={comm}\n[Output]\nCoalesce=10min\nCoalesceBy=process\n")
        header, _ = run_opener(comm, self.workdir, "burst", "5000")
        # a 10-minute window: nothing written yet, the opens are pending
        self.assertEqual(folded(f"_PID={d.pid}", f"OPEN_COMM={comm}"), [])
        d.write_config(f"[Filter]\nCommands={comm}\n[Output]\nCoalesce=200ms\nCoalesceBy=command\n")
        mark = d.message_count()
        d.proc.send_signal(signal.SIGHUP)
        self.assertIsNotNone(d.wait_for("READY=1", after=mark, timeout=30))
        self.assertIn("Coalesce= CoalesceBy=", d.stderr())
        entries = wait_count([f"_PID={d.pid}", f"OPEN_COMM={comm}"], 5000, timeout=30)
        # With a 10-minute window only the reload's flush can have written them. The first entry is
        # that flush, folded by process as it was; the last few opens may still have been on their
        # way through the queue at the reload, and fold under the new settings instead.
        self.assertEqual(sum(e[0] for e in entries), 5000, entries)
        self.assertEqual(entries[0][1:3], (None, header["pid"]),
                         "the reload wrote the pending window as it was, by process")
        self.assertGreater(entries[0][0], 1, entries)
        self.assertTrue(all(e[2] == header["pid"] for e in entries), entries)
        # the new window: 200 ms, by command; written without a stop
        generated = 5000
        for _ in range(3):
            generated += opens_reported(subprocess.run([OPENER, comm, self.workdir, "burst", "3000"],
                                                       stdout=subprocess.PIPE, text=True, check=True).stdout)
        entries = wait_count([f"_PID={d.pid}", f"OPEN_COMM={comm}"], generated, timeout=30)
        self.assertEqual(sum(e[0] for e in entries), generated)
        self.check_entries(entries[1:], by_command=True)
        self.assertEqual(d.stop(), 0)
        lost, undelivered = loss_reports(d.pid)
        self.assertEqual((lost, undelivered), (0, 0))
        self.assertEqual(sum(e[0] for e in folded(f"_PID={d.pid}", f"OPEN_COMM={comm}")), generated)

    def test_memory_is_bounded_with_millions_of_distinct_keys(self):
        comm = self.unique("foldm")
        # text on stdout keeps two million early-emitted entries out of the system journal;
        # a long window: every key stays pending until the bound makes it leave
        d = self.start(f"[Filter]\nCommands={comm}\n[Output]\nCoalesce=10min\nCoalesceBy=process\n",
                       args=("--output=text",))
        time.sleep(1)
        rss_before = rss_kb(d.pid)
        peak = rss_before
        procs = [subprocess.Popen([OPENER, comm, os.path.join(self.workdir, f"p{i}"), "distinct", "1000000"],
                                  stdout=subprocess.PIPE, text=True) for i in range(2)]
        while any(p.poll() is None for p in procs):
            peak = max(peak, rss_kb(d.pid))
            time.sleep(0.2)
        generated = sum(opens_reported(p.communicate()[0]) for p in procs)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            peak = max(peak, rss_kb(d.pid))
            c = parse_status(d.latest_status())
            if sum(c.get(k, 0) for k in ("written", "lost", "undelivered")) >= generated - 65536 * 2:
                break
            time.sleep(0.5)
        peak = max(peak, rss_kb(d.pid))
        self.assertEqual(d.stop(timeout=30), 0)
        stopped = parse_status(re.findall(r"stopped: (.*)", d.stderr())[-1])
        with open(d.stdout_path, "rb") as f:
            lines = [l for l in f.read().split(b"\n")[1:] if comm.encode() in l]
        in_output = sum(int(m.group(1)) if (m := re.search(rb" \(x(\d+)\)$", l)) else 1 for l in lines)
        growth_kb = peak - rss_before
        figures = dict(generated=generated, lines=len(lines), in_output=in_output, stopped=stopped,
                       rss_before_kb=rss_before, rss_peak_kb=peak, growth_kb=growth_kb)
        print(figures)
        self.assertEqual(generated, 2000000)
        self.assertEqual(stopped["written"], in_output)
        self.assertEqual(in_output + stopped["lost"] + stopped["undelivered"], generated, figures)
        # FOLD_MAX_KEYS (65536) keys of this size take about 16 MiB; two million unbounded about 450 MiB
        self.assertLess(growth_kb, 64 * 1024, figures)

    # The names of one command in a window: 150 of them, each opened as often as its index says, some
    # missing (ENOENT), one with a tab, a newline, a backslash and bytes that are not UTF-8 in it.
    NAMES_CODE = r"""
import os
names = [os.path.join(DIR, n) for n in NAMES]  # bytes: a name need not be UTF-8
for i, path in enumerate(names):
    for _ in range(1 + i % 4):
        try:
            os.close(os.open(path, os.O_RDONLY))
        except OSError:
            pass
print("done", flush=True)
"""

    def names_child(self, comm, names):
        """Runs NAMES_CODE as comm over names (bytes); the truth: {path: (opens, failed)}."""
        code = self.NAMES_CODE.replace("DIR", repr(os.fsencode(self.workdir))).replace("NAMES", repr(names))
        r = subprocess.run([sys.executable, "-c", "import ctypes, sys; ctypes.CDLL(None).prctl(15, sys.argv[1].encode(), "
                            "0, 0, 0); exec(sys.argv[2])", comm, code], stdout=subprocess.PIPE, check=True)
        self.assertEqual(r.stdout, b"done\n")
        return {os.fsdecode(os.path.join(os.fsencode(self.workdir), n)):
                (1 + i % 4, not os.path.exists(os.path.join(os.fsencode(self.workdir), n))) for i, n in enumerate(names)}

    def test_the_names_of_a_command_share_an_entry_each_counted(self):
        comm = self.unique("foldn")
        odd = b"odd\tname\nwith \\x41 \xff"
        names = [f"f{i}".encode() for i in range(150)] + [odd]
        for name in names[:150:3] + [odd]:  # one in three exists
            with open(os.path.join(os.fsencode(self.workdir), name), "w"):
                pass
        # a window longer than the test: the stop writes them, as entries of many names (the default)
        d = self.start(f"[Filter]\nCommands={comm}\n[Output]\nCoalesce=10min\n")
        truth = self.names_child(comm, names)
        self.assertEqual(d.stop(), 0)
        stopped = parse_stopped(d.stderr())
        entries = journal(f"_PID={d.pid}", f"OPEN_COMM={comm}")
        self.assertEqual(sum(int(field(e, "OPEN_COUNT")) for e in entries), stopped["written"])
        self.assertEqual(stopped["lost"] + stopped["undelivered"], 0)
        many = [e for e in entries if "OPEN_NAMES" in e]
        # 151 names: more than one entry holds (128), far fewer entries than names
        self.assertGreaterEqual(len(many), 2, entries)
        self.assertLessEqual(len(entries), 4, [field(e, "MESSAGE") for e in entries])
        self.assertTrue(all(int(field(e, "OPEN_NAMES")) <= 128 for e in many))
        got = {}
        for e in entries:
            for n in names_of(e):  # checks that the lines add up to OPEN_NAMES= and OPEN_COUNT=
                if n["path"] in truth:
                    count, failed = got.get(n["path"], (0, False))
                    got[n["path"]] = (count + n["count"], failed or n["failed"])
        self.assertEqual(got, truth, "each name's opens, exactly, and whether they failed")
        # the journal's index still finds an entry by any of its names, the odd one too
        odd_path = os.fsdecode(os.path.join(os.fsencode(self.workdir), odd))
        self.assertEqual(len(journal(f"_PID={d.pid}", "OPEN_PATH=" + odd_path)), 1)
        self.assertEqual(len(journal(f"_PID={d.pid}", f"OPEN_PATH={os.path.join(self.workdir, 'f7')}")), 1)
        self.assertEqual(len(journal(f"_PID={d.pid}", "OPEN_ERROR=ENOENT")), len(many))

        # CoalesceNames=no: an entry a name, as before
        comm = self.unique("foldo")
        d = self.start(f"[Filter]\nCommands={comm}\n[Output]\nCoalesce=10min\nCoalesceNames=no\n")
        truth = self.names_child(comm, names[:20])
        self.assertEqual(d.stop(), 0)
        entries = journal(f"_PID={d.pid}", f"OPEN_COMM={comm}")
        self.assertEqual(len(entries), 20)
        self.assertFalse([e for e in entries if "OPEN_NAMES" in e or "OPEN_FILES" in e])
        self.assertEqual({field(e, "OPEN_PATH"): (int(field(e, "OPEN_COUNT")), "OPEN_ERRNO" in e) for e in entries},
                         truth)

    def test_bad_spans_are_config_errors(self):
        for value in ("-1s", "5 fortnights", "11min", "500us", "1.s"):
            d = self.start(f"[Output]\nCoalesce={value}\n", ready=False)
            self.assertNotEqual(d.proc.wait(timeout=30), 0)
            self.assertRegex(d.stderr(), re.escape(f"{d.config}:2: Coalesce={value}: must be 0 or no, or a time span"))
        d = self.start("[Output]\nCoalesceBy=thread\n", ready=False)
        self.assertNotEqual(d.proc.wait(timeout=30), 0)
        self.assertIn(f"{d.config}:2: CoalesceBy=thread: must be process or command", d.stderr())
        out = subprocess.run([DAEMON, "-c", d.config,
                              "--check-config"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertNotEqual(out.returncode, 0)


def counted_by_path(d, comm):
    """{OPEN_PATH: (opens, OPEN_ABS_PATH values)} over the daemon's entries for comm (an entry a name)."""
    out = {}
    for e in journal(f"_PID={d.pid}", f"OPEN_COMM={comm}"):
        path = field(e, "OPEN_PATH")
        count, abs_paths = out.get(path, (0, set()))
        abs_path = field(e, "OPEN_ABS_PATH")
        out[path] = (count + int(field(e, "OPEN_COUNT")), abs_paths | ({abs_path} if abs_path else set()))
    return out


def repeats_in_kernel(stderr):
    """The opens the stop line says the kernel counted as repeats (0 when it says none)."""
    m = re.findall(r"stopped: .*; (\d+) counted as repeats in the kernel", stderr)
    return int(m[-1]) if m else 0


class KernelRepeatsTest(DaemonTestCase):
    """Issue 20: while folding is on, the kernel side counts an open that repeats one it has just sent
    in a slot (bpf_src/lib/repeat.bpf.h) instead of sending it; the counts reach the journal exactly,
    in the name of the open they repeat."""

    def counts_failures(self, d):
        line = re.search(r"repeats counted (.*?) while folding", d.stderr())
        self.assertIsNotNone(line, d.stderr())
        return line.group(1).startswith("in the kernel")

    def counts_successes(self, d):
        return re.search(r"repeats counted in the kernel while folding", d.stderr()) is not None

    def test_interleaved_repeats_of_two_processes_count_exactly(self):
        comm = self.unique("krep")
        # 40 names: more than a CPU's 16 slots, so slots are taken from each other all the time and
        # send what they counted; half exist, half do not
        names = [os.path.join(self.workdir, f"n{i}") for i in range(40)]
        for name in names[::2]:
            open(name, "w").close()
        d = self.start(f"[Filter]\nCommands={comm}\n[Output]\nCoalesce=10min\nCoalesceBy=process\n"
                       "CoalesceNames=no\n")
        hexes = [n.encode().hex() for n in names]
        procs = [subprocess.Popen([OPENER, comm, self.workdir, "again", "500"] + hexes, stdout=subprocess.PIPE,
                                  text=True) for _ in range(2)]
        outs = [p.communicate()[0] for p in procs]
        pids = [json.loads(o.splitlines()[0])["pid"] for o in outs]
        self.assertEqual(sum(opens_reported(o) for o in outs), 2 * 40 * 500)
        # the stop takes what the slots still hold
        self.assertEqual(d.stop(), 0)
        stopped = parse_stopped(d.stderr())
        self.assertEqual((stopped["lost"], stopped["undelivered"]), (0, 0), d.stderr())
        for pid in pids:
            got = {}
            for e in journal(f"_PID={d.pid}", f"OPEN_COMM={comm}", f"OPEN_PID={pid}"):
                got[field(e, "OPEN_PATH")] = got.get(field(e, "OPEN_PATH"), 0) + int(field(e, "OPEN_COUNT"))
            self.assertEqual(got, {n: 500 for n in names}, f"process {pid}: each name, exactly")
        kernel = repeats_in_kernel(d.stderr())
        # how many hit a slot depends on the hash of each pid and name: only its bounds are known
        self.assertLess(kernel, 2 * 40 * 500)
        if not self.counts_failures(d):
            self.assertEqual(kernel, 0)

    def test_a_failure_repeated_is_counted_in_the_kernel(self):
        comm = self.unique("kone")
        missing = os.path.join(self.workdir, "missing")
        # an entry a name: whatever else the opener opens stays out of the missing name's entries
        d = self.start(f"[Filter]\nCommands={comm}\n[Output]\nCoalesce=10min\nCoalesceNames=no\n")
        run_opener(comm, self.workdir, "again", "2000", missing.encode().hex())
        self.assertEqual(d.stop(), 0)
        stopped = parse_stopped(d.stderr())
        self.assertEqual((stopped["lost"], stopped["undelivered"]), (0, 0), d.stderr())
        self.assertEqual(counted_by_path(d, comm)[missing][0], 2000)
        kernel = repeats_in_kernel(d.stderr())
        if self.counts_failures(d):
            # only the first open on each CPU it ran on, and one that raced a slot's taking, are sent
            self.assertGreater(kernel, 1000, d.stderr())
            self.assertLess(kernel, 2000)
        else:
            self.assertEqual(kernel, 0)

    def test_a_path_renamed_between_repeats_is_not_a_repeat(self):
        comm = self.unique("kren")
        d = self.start(f"[Filter]\nCommands={comm}\n[Output]\nCoalesce=10min\nCoalesceNames=no\n")
        header, _ = run_opener(comm, self.workdir, "renamed-cwd", "300")
        self.assertEqual(d.stop(), 0)
        got = counted_by_path(d, comm)
        # and the open that made x (O_CREAT, in A)
        self.assertEqual(got["x"][0], 601, got)
        if "absolute paths on" in d.stderr():
            # the same name and file, under the path it had at each open
            self.assertEqual(got["x"][1], {os.path.join(self.workdir, "A", "x"), os.path.join(self.workdir, "B", "x")})
            by_abs = {}
            for e in journal(f"_PID={d.pid}", f"OPEN_COMM={comm}", "OPEN_PATH=x"):
                a = field(e, "OPEN_ABS_PATH")
                by_abs[a] = by_abs.get(a, 0) + int(field(e, "OPEN_COUNT"))
            self.assertEqual(by_abs, {os.path.join(self.workdir, "A", "x"): 301,
                                      os.path.join(self.workdir, "B", "x"): 300})
        # which this kernel counts, for the VM's logs
        print({"repeats counted": re.search(r"repeats counted (.*?) while folding", d.stderr()).group(1),
               "counted in the kernel": repeats_in_kernel(d.stderr())})
        if self.counts_successes(d):
            self.assertGreater(repeats_in_kernel(d.stderr()), 0, d.stderr())

    def test_no_folding_no_repeats(self):
        comm = self.unique("knof")
        d = self.start(f"[Filter]\nCommands={comm}\n")  # the harness's Coalesce=no
        missing = os.path.join(self.workdir, "missing")
        run_opener(comm, self.workdir, "again", "200", missing.encode().hex())
        self.assertEqual(d.stop(), 0)
        self.assertEqual(repeats_in_kernel(d.stderr()), 0)
        self.assertEqual(len(journal(f"_PID={d.pid}", f"OPEN_COMM={comm}", f"OPEN_PATH={missing}")), 200,
                         "an entry an open")


if __name__ == "__main__":
    import unittest
    unittest.main()
