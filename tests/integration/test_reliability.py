# SPDX-License-Identifier: MIT
"""opensnoopd keeps running and loses nothing silently, under hostile
paths, floods, journald going away, shutdown under load and reloads. Every
figure docs/reliability.md quotes is recorded here as measured."""

import os
import signal
import subprocess
import time
import unittest

from harness import (JOURNAL, LOSS_MESSAGE_ID, OPEN_MESSAGE_ID, OPENER, DaemonTestCase, bpf_links_of,
                     count_entries, count_opens, field, field_bytes, journal, largest_mappings, loaded_prog_ids,
                     loss_reports, opens_reported, parse_status, parse_stopped, record_figures, rss_kb, run_opener,
                     wait_journal, wait_until)

FLOOD_SECONDS = float(os.environ.get("OPENSNOOPD_FLOOD_SECONDS", "30"))

# How long a stop may take. The daemon's contract: it drains for at most 1.5 s
# (DRAIN_TIMEOUT_MS), then counts what is left as undelivered and detaches;
# systemd kills it after TimeoutStopSec=10s. Half of that budget catches a stop
# that ignores its drain deadline or hangs in teardown, yet leaves room for a
# slow machine: under emulation a stop under load measured 2.002 s, so a bound
# of 2.0 s timed the machine rather than checked the contract. That nothing
# is left out when the deadline cuts the drain short is checked exactly, from
# the stop line and the journal.
STOP_SECONDS_BOUND = 5.0


def hostile_paths(directory):
    d = directory.encode()
    return [
        d + b"/new\nline",
        d + b"/tab\there",
        d + b"/esc\x1b[31mred\x1b[0m\x1b]0;title\x07",
        d + b"/key=value=OPEN_PATH=x",
        d + b"/invalid\xff\xfe\xc3(\xed\xa0\x80",
        d + b"/" + bytes(range(0x01, 0x20)),
        d + b"/" + bytes(range(0x7f, 0x100)),
        d + b"/" + b"/".join([b"L" * 200] * 19) + b"/" + b"M" * (4095 - len(d) - 1 - 19 * 201),
        b"../" * 1000 + b"etc/hostname",
        b"",
    ]


class FloodRun:
    """Processes opening files as fast as they can; counts exactly how many opens they made."""

    def __init__(self, comm, directory, processes, seconds):
        self.procs = [subprocess.Popen([OPENER, comm, directory, "burst-for", str(seconds)],
                                       stdout=subprocess.PIPE, text=True) for _ in range(processes)]
        self.started = time.monotonic()

    def wait(self):
        total = 0
        for p in self.procs:
            out, _ = p.communicate()
            total += opens_reported(out)
        self.seconds = time.monotonic() - self.started
        return total


class ReliabilityTest(DaemonTestCase):
    def test_hostile_paths_arrive_byte_for_byte(self):
        comm = self.unique("hostile")
        d = self.start(f"[Filter]\nCommands={comm}\n")
        paths = hostile_paths(self.workdir)
        header, records = run_opener(comm, self.workdir, "paths", *[p.hex() for p in paths])
        self.assertEqual([bytes.fromhex(r["path_hex"]) for r in records], paths)
        entries = wait_journal([f"OPEN_COMM={comm}"], len(paths))
        got = [field_bytes(e, "OPEN_PATH") for e in entries]
        self.assertEqual(sorted(got), sorted(paths), "OPEN_PATH is exactly what was passed")
        for e in entries:
            message = field(e, "MESSAGE")
            self.assertNotIn("\n", message)
            self.assertFalse(any(ord(c) < 0x20 or 0x7f <= ord(c) < 0xa0 for c in message), repr(message))
            self.assertIsInstance(e["MESSAGE"], str, "MESSAGE is valid UTF-8")
        self.assertEqual(d.stop(), 0)
        self.assertEqual(max(map(len, paths)), 4095)
        record_figures("hostile_paths", paths=len(paths), longest_bytes=max(map(len, paths)),
                       exact=len(paths))

    def accounted(self, d, comm, generated, timeout=120):
        """Waits until the journal accounts for generated opens of comm (entries, plus
        the OPEN_LOST and OPEN_UNDELIVERED of the loss reports) and STATUS agrees with
        it; returns (written, lost, undelivered), STATUS's counters."""
        def figures():
            written = count_entries(f"_PID={d.pid}", f"OPEN_COMM={comm}")
            lost, undelivered = loss_reports(d.pid)
            counters = parse_status(d.latest_status())
            status = (counters.get("written"), counters.get("lost"), counters.get("undelivered"))
            return (written, lost, undelivered), status

        def settled():
            journal_figures, status = figures()
            return sum(journal_figures) >= generated and journal_figures == status
        wait_until(settled, timeout)
        return figures()

    def test_flood_loses_nothing_silently_and_memory_stays_flat(self):
        comm = self.unique("flood")
        d = self.start(f"[Filter]\nCommands={comm}\n")
        self.sentinel(comm)  # the daemon has written an entry: its memory is as after start-up
        rss_before, rss_anon_before = rss_kb(d.pid), rss_kb(d.pid, "RssAnon")
        rss_file_before, rss_shmem_before = rss_kb(d.pid, "RssFile"), rss_kb(d.pid, "RssShmem")
        flood = FloodRun(comm, self.workdir, 2, FLOOD_SECONDS)
        generated = flood.wait() + 1  # and the sentinel's open
        d.settle(generated)
        (written, lost, undelivered), status = self.accounted(d, comm, generated)
        rss_after = rss_kb(d.pid)
        self.assertIsNone(d.proc.poll(), "still running")
        figures = dict(seconds=round(flood.seconds, 1), processes=2, generated=generated,
                       rate_per_s=int(generated / flood.seconds), written=written, lost=lost,
                       undelivered=undelivered, rss_before_kb=rss_before, rss_after_kb=rss_after,
                       rss_anon_before_kb=rss_anon_before, rss_anon_after_kb=rss_kb(d.pid, "RssAnon"),
                       rss_file_before_kb=rss_file_before, rss_file_after_kb=rss_kb(d.pid, "RssFile"),
                       rss_shmem_before_kb=rss_shmem_before, rss_shmem_after_kb=rss_kb(d.pid, "RssShmem"),
                       largest_mappings=largest_mappings(d.pid))
        record_figures("flood", **figures)
        print(figures)
        self.assertEqual(written + lost + undelivered, generated, figures)
        self.assertEqual(status, (written, lost, undelivered), "STATUS agrees with the journal")
        # 10%, or 1 MB where the whole daemon is a few MB (the writer's first allocations)
        self.assertLessEqual(rss_after, max(rss_before * 1.10, rss_before + 1024), figures)
        self.assertEqual(d.stop(), 0)

    def test_journald_going_away(self):
        comm = self.unique("jgone")
        d = self.start(f"[Filter]\nCommands={comm}\n[Output]\nQueueSize=64K\n")
        try:
            JOURNAL.stop()  # the tests' own journald, never the host's
            generated = run_opener_count(comm, self.workdir, 20000)

            def overflowed():
                counters = parse_status(d.latest_status())
                return counters if counters.get("undelivered", 0) > 0 else None
            down_status = wait_until(overflowed, 60)
            self.assertTrue(down_status, "the full queue counts what it cannot hold: " + d.latest_status())
            self.assertEqual(down_status.get("written"), 0, "nothing is written while journald is away")
            self.assertIsNone(d.proc.poll(), "survives journald's absence")
        finally:
            JOURNAL.start()
        counters = d.settle(generated, timeout=120)
        (written, lost, undelivered), status = self.accounted(d, comm, generated)
        figures = dict(generated=generated, written=written, lost=lost, undelivered=undelivered,
                       queue_bytes=65536)
        record_figures("journald_away", **figures)
        self.assertGreater(undelivered, 0, "a 64 KiB queue cannot hold 20000 events")
        self.assertEqual(written + lost + undelivered, generated, figures)
        self.assertEqual(counters["undelivered"], undelivered, "the OPEN_UNDELIVERED entry matches STATUS")
        self.assertEqual(status, (written, lost, undelivered), "STATUS agrees with the journal")
        # writing resumed: every open made after journald came back is recorded, once
        _, records = run_opener(comm, self.workdir, "fields")
        self.sentinel(comm)
        self.assertEqual(count_entries(f"_PID={d.pid}", f"OPEN_COMM={comm}"), written + len(records) + 1)
        self.assertEqual(len(journal(f"_PID={d.pid}", f"OPEN_COMM={comm}", "OPEN_SYSCALL=openat2")), 1)
        self.assertEqual(d.stop(), 0)

    def test_sigterm_under_load_and_sigkill(self):
        comm = self.unique("load")
        # What two processes reach here with no daemon of ours tracing them: the load
        # below must be heavy for this machine (a loop reaches far less under emulation).
        calibration = FloodRun(comm, self.workdir, 2, 1)
        untraced_rate = calibration.wait() / calibration.seconds
        d = self.start()
        progs, links = bpf_links_of(d.pid)
        before = taken(d)
        # long enough to outlast the stop on a slow machine: under emulation the
        # first STATUS with the flood's opens and a stop take seconds each
        flood = FloodRun(comm, self.workdir, 2, 10)
        # stop once the flood's opens are going through the daemon
        wait_until(lambda: taken(d) >= before + 1000, 5, 0.05)
        self.assertTrue(all(p.poll() is None for p in flood.procs), "the load is running at SIGTERM")
        rc = d.stop()
        self.assertTrue(all(p.poll() is None for p in flood.procs), "the load ran until the daemon exited")
        generated = flood.wait()
        rate = int(generated / flood.seconds)
        record_figures("sigterm_under_load", opens_per_s=rate, untraced_opens_per_s=int(untraced_rate),
                       exit_code=rc, stop_seconds=round(d.stop_seconds, 2))
        self.assertEqual(rc, 0)
        self.assertLess(d.stop_seconds, STOP_SECONDS_BOUND)
        self.assertGreaterEqual(rate, untraced_rate / 10, "the load was at least a tenth of the untraced rate")
        self.assertFalse(progs & loaded_prog_ids(), "no program of ours left")
        self.assertEqual(bpf_links_of(d.pid)[1], [], "no perf event of ours left")
        # the stop line accounts for every event the daemon took: each is in the
        # journal, or in a loss report
        stopped = parse_stopped(d.stderr())
        self.assertIsNotNone(stopped, d.stderr())
        opens = [f"_PID={d.pid}", f"MESSAGE_ID={OPEN_MESSAGE_ID}"]
        wait_until(lambda: count_entries(*opens) >= stopped["written"], 60)
        self.assertEqual((count_entries(*opens),) + loss_reports(d.pid),
                         (stopped["written"], stopped["lost"], stopped["undelivered"]))
        self.assertGreater(stopped["written"], 0)

        d = self.start()
        d.proc.kill()
        d.proc.wait()
        d2 = self.start()
        comm2 = self.unique("afterkill")
        _, records = run_opener(comm2, self.workdir, "fields")
        self.assertEqual(len(wait_journal([f"_PID={d2.pid}", f"OPEN_COMM={comm2}"], len(records))), len(records))
        self.assertEqual(d2.stop(), 0)

    def test_reload_under_load_loses_nothing(self):
        a = self.unique("rla")
        d = self.start(f"[Filter]\nCommands={a} other1\n")
        # long enough for four reloads on a slow machine: under emulation, with every open walked,
        # the flood made 5,755 opens/s and a reload took seconds
        flood = FloodRun(a, self.workdir, 1, 20)
        for i in range(4):
            # each reload once more of the flood's opens have gone through
            seen = taken(d)
            wait_until(lambda: taken(d) > seen + 100, 3, 0.05)
            self.assertTrue(all(p.poll() is None for p in flood.procs), f"the load is running at reload {i + 1}")
            d.write_config(f"[Filter]\nCommands={a} other{i + 2}\n")
            notified = d.message_count()
            d.proc.send_signal(signal.SIGHUP)
            self.assertIsNotNone(d.wait_for("READY=1", 30, after=notified), f"reload {i + 1} done")
        generated = flood.wait()
        d.settle(generated)
        (written, lost, undelivered), status = self.accounted(d, a, generated)
        record_figures("reload_under_load", reloads=4, generated=generated, written=written, lost=lost,
                       undelivered=undelivered)
        self.assertEqual(written + lost + undelivered, generated)
        self.assertEqual(status, (written, lost, undelivered), "STATUS agrees with the journal")
        self.assertEqual(d.stderr().count("configuration reloaded"), 4)
        self.assertEqual(d.stop(), 0)


class StopWhileJournaldFrozenTest(DaemonTestCase):
    """Issue #18: a stop while journald is frozen (SIGSTOP: its socket takes a few
    datagrams, then every send blocks). Every open the daemon saw, pending in a fold
    window or queued, is written or counted as undelivered by its uid: in the stop
    line, in the last STATUS=, and in a loss entry the journal receives, at the stop
    if journald is back in time, else at the next start from the state directory."""

    OPENS = 1000

    def frozen_stop(self, coalesce, resume_after_s):
        """Starts a daemon, freezes the tests' journald, makes OPENS opens of distinct
        names as nobody, SIGTERMs the daemon 1 s later, and lets journald go on
        resume_after_s after the daemon's probes are detached (None: only once the
        daemon has exited).
        Returns the daemon and its stop line's counters."""
        comm = self.unique("frozen")
        self.state = os.path.join(self.workdir, "state")
        os.mkdir(self.state, 0o700)
        # an entry a name: a thousand entries that a frozen journald cannot all take (of many names, they
        # would be eight, and fit in its socket's buffer)
        d = self.start(f"[Filter]\nCommands={comm}\n[Output]\nCoalesce={coalesce}\nCoalesceNames=no\n",
                       env={"STATE_DIRECTORY": self.state})
        self.comm = comm
        journald = JOURNAL.proc.pid  # the tests' own instance: never the host's
        os.kill(journald, signal.SIGSTOP)
        try:
            out = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", OPENER, comm,
                                  self.workdir, "distinct", str(self.OPENS)],
                                 stdout=subprocess.PIPE, text=True, check=True).stdout
            self.assertEqual(opens_reported(out), self.OPENS)
            time.sleep(1)
            d.proc.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            if resume_after_s is not None:
                # counted from the end of the detach, which takes from 0.1 to 1.5 s here: the drain starts then
                wait_until(lambda: not bpf_links_of(d.pid)[1], 10, 0.05)
                time.sleep(resume_after_s)
                os.kill(journald, signal.SIGCONT)
            rc = d.proc.wait(timeout=30)
            d.stop_seconds = time.monotonic() - signalled
        finally:
            os.kill(journald, signal.SIGCONT)
        d.close_notify()
        self.assertEqual(rc, 0, d.stderr())
        stopped = parse_stopped(d.stderr())
        self.assertIsNotNone(stopped, d.stderr())
        self.assertEqual(stopped["written"] + stopped["lost"] + stopped["undelivered"], self.OPENS,
                         "the stop line accounts for every open: " + d.stderr()[-2000:])
        status = parse_status(d.latest_status())
        self.assertEqual((status.get("written"), status.get("undelivered")),
                         (stopped["written"], stopped["undelivered"]), "the last STATUS= says the same")
        return d, stopped

    def journal_accounts(self, stopped, pids):
        """The journal holds the stop line's written opens of comm, and loss entries of pids
        that say the rest, all of uid 65534 (nobody)."""
        opens = [f"OPEN_COMM={self.comm}"]
        wait_until(lambda: count_opens(*opens) >= stopped["written"], 30)
        written = count_opens(*opens)

        def reported():
            return [e for pid in pids for e in journal(f"MESSAGE_ID={LOSS_MESSAGE_ID}", f"_PID={pid}")]
        wait_until(lambda: sum(int(field(e, "OPEN_UNDELIVERED") or 0) for e in reported())
                   >= stopped["undelivered"], 30)
        entries = reported()
        undelivered = sum(int(field(e, "OPEN_UNDELIVERED") or 0) for e in entries)
        lost = sum(int(field(e, "OPEN_LOST") or 0) for e in entries)
        by_uid = {}
        for e in entries:
            for pair in (field(e, "OPEN_UNDELIVERED_UIDS") or "").split():
                uid, n = pair.split(":")
                by_uid[uid] = by_uid.get(uid, 0) + int(n)
        figures = dict(opens=self.OPENS, written=written, lost=lost, undelivered=undelivered, by_uid=by_uid)
        self.assertEqual(written + lost + undelivered, self.OPENS, figures)
        self.assertEqual((written, undelivered), (stopped["written"], stopped["undelivered"]), figures)
        self.assertEqual(by_uid, {"65534": undelivered} if undelivered else {}, figures)
        return figures

    def test_journald_back_during_the_stop(self):
        # back 2 s into the drain: after it gave up on entries (1.1 s), while the loss report
        # is still being offered (until 3 s)
        d, stopped = self.frozen_stop("10s", 2.0)
        self.assertGreater(stopped["undelivered"], 0, "journald was frozen past the drain")
        figures = self.journal_accounts(stopped, [d.pid])
        self.assertFalse(os.listdir(self.state), "nothing left for the next start")
        record_figures("stop_journald_back", stop_seconds=round(d.stop_seconds, 2), **figures)

    def persisted(self, coalesce, scenario):
        d, stopped = self.frozen_stop(coalesce, None)
        self.assertGreater(stopped["undelivered"], 0, "journald was frozen until the exit")
        self.assertEqual(os.listdir(self.state), ["pending-loss"], "the report waits for the next start")
        st = os.stat(os.path.join(self.state, "pending-loss"))
        self.assertEqual((st.st_uid, st.st_mode & 0o777), (0, 0o600))
        # the next start writes it first thing, then removes it
        d2 = self.start(f"[Filter]\nCommands={self.comm}\n", env={"STATE_DIRECTORY": self.state})
        figures = self.journal_accounts(stopped, [d.pid, d2.pid])
        self.assertTrue(wait_until(lambda: not os.listdir(self.state), 10), "removed once journald took it")
        carried = journal(f"MESSAGE_ID={LOSS_MESSAGE_ID}", f"_PID={d2.pid}")
        self.assertEqual(len(carried), 1)
        self.assertEqual(field(carried[0], "OPEN_LOSS_PID"), str(d.pid))
        self.assertEqual(d2.stop(), 0)
        record_figures(scenario, stop_seconds=round(d.stop_seconds, 2), **figures)

    def test_journald_back_only_after_the_exit_folding(self):
        self.persisted("10s", "stop_journald_frozen_folding")

    def test_journald_back_only_after_the_exit_queued(self):
        self.persisted("no", "stop_journald_frozen_queued")

    def test_a_forged_or_corrupt_report_is_refused_in_one_line(self):
        """Only root can have written the record a start reports: one another user owns, or one
        that is not a record, is said in one line and ignored; the daemon traces as usual."""
        self.state = os.path.join(self.workdir, "state")
        os.mkdir(self.state, 0o700)
        path = os.path.join(self.state, "pending-loss")
        forged = ("opensnoopd-pending-loss 1\npid 1\nsince_usec 0\nuntil_usec 0\nlost 0\nundelivered 5\n"
                  "suppressed 0\nuid 0 5\nother 0\nend\n")
        cases = [(65534, forged, "owned by uid 65534"), (0, "garbage\n\xff", "its first line is not"),
                 (0, forged[:60], "cut short")]
        for owner, text, why in cases:
            with open(path, "w", encoding="latin-1") as f:
                f.write(text)
            os.chown(path, owner, 0)
            os.chmod(path, 0o600)
            comm = self.unique("forged")
            d = self.start(f"[Filter]\nCommands={comm}\n", env={"STATE_DIRECTORY": self.state})
            self.sentinel(comm)
            self.assertEqual(d.stop(), 0)
            lines = [l for l in d.stderr().splitlines() if "pending loss report" in l]
            self.assertEqual(len(lines), 1, d.stderr())
            self.assertIn(why, lines[0])
            self.assertEqual(journal(f"MESSAGE_ID={LOSS_MESSAGE_ID}", f"_PID={d.pid}"), [])
            self.assertTrue(os.path.exists(path), "left alone for an operator to look at")


def taken(d):
    """How many events the daemon's STATUS= accounts for: written, lost or undelivered."""
    counters = parse_status(d.latest_status())
    return sum(counters.get(k, 0) for k in ("written", "lost", "undelivered"))


def run_opener_count(comm, directory, n):
    out = subprocess.run([OPENER, comm, directory, "burst", str(n)], stdout=subprocess.PIPE, text=True,
                         check=True).stdout
    return opens_reported(out)


if __name__ == "__main__":
    unittest.main(verbosity=2)


class FairShareTest(DaemonTestCase):
    """Issue #18 (2): one user's flood costs only that user. nobody floods names
    nothing folds from three processes while root opens its own names at 100/s;
    the daemon stops 2 s after the flood, its queue still full of the flood. In
    the kernel's ring buffer (a share of its reserve per user), in the queue (a
    share per user) and at the stop (the smallest backlog written first), root's
    opens go through; every open lost or undelivered is the flooder's, and is
    said to be (OPEN_LOST_UIDS=, OPEN_UNDELIVERED_UIDS=). Before the shares,
    root's last opens were left at the stop behind the flood's backlog, and a
    small ring lost root's opens with the flood's."""

    FLOOD_SECONDS = 8   # and 2 s less the pause before the stop
    STEADY_OPENS = 950  # at 100/s: to about the stop, its last ones queued behind the flood

    def test_a_flood_costs_only_the_flooder(self):
        # stopped half a second after the flood: the queue is still full of it
        self.flood_beside_root("fair_share", "", 0.5)

    def test_a_flood_costs_only_the_flooder_in_a_small_ring(self):
        # a ring the reader cannot keep empty: the flood fills it, and the kernel side's
        # shares decide whose records are refused
        self.flood_beside_root("fair_share_small_ring", "[Probe]\nRingBufferSize=128K\n", 2)

    def flood_beside_root(self, scenario, probe_config, pause_s):
        """The flood for FLOOD_SECONDS, root's opens until about the stop, the stop pause_s after the flood."""
        flooder, steady = self.unique("flood"), self.unique("steady")
        steady_dir = os.path.join(self.workdir, "steady")
        os.mkdir(steady_dir)
        d = self.start(f"{probe_config}[Filter]\nCommands={flooder} {steady}\n")
        floods = [subprocess.Popen(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", OPENER,
                                    flooder, self.workdir, "distinct-for", str(self.FLOOD_SECONDS + 2 - pause_s)],
                                   stdout=subprocess.PIPE, text=True) for _ in range(3)]
        root = subprocess.Popen([OPENER, steady, steady_dir, "paced", str(self.STEADY_OPENS), "100"],
                                stdout=subprocess.PIPE, text=True)
        flooded = sum(opens_reported(p.communicate()[0]) for p in floods)
        time.sleep(pause_s)
        self.assertEqual(opens_reported(root.communicate()[0]), self.STEADY_OPENS)
        self.assertEqual(d.stop(), 0, d.stderr()[-2000:])
        stopped = parse_stopped(d.stderr())
        self.assertIsNotNone(stopped, d.stderr())

        mine = [f"_PID={d.pid}", f"MESSAGE_ID={OPEN_MESSAGE_ID}"]
        wait_until(lambda: count_entries(*mine) >= stopped["written"], 60)
        written_root = count_entries(*mine, f"OPEN_COMM={steady}")
        reports = journal(f"MESSAGE_ID={LOSS_MESSAGE_ID}", f"_PID={d.pid}")
        totals, by_uid = {"lost": 0, "undelivered": 0}, {"lost": {}, "undelivered": {}}
        for e in reports:
            for kind, total, uids in (("lost", "OPEN_LOST", "OPEN_LOST_UIDS"),
                                      ("undelivered", "OPEN_UNDELIVERED", "OPEN_UNDELIVERED_UIDS")):
                totals[kind] += int(field(e, total) or 0)
                for pair in (field(e, uids) or "").split():
                    uid, n = pair.split(":")
                    by_uid[kind][uid] = by_uid[kind].get(uid, 0) + int(n)
        figures = dict(flooded=flooded, flood_per_s=int(flooded / self.FLOOD_SECONDS), root=self.STEADY_OPENS,
                       root_written=written_root, written=stopped["written"], lost=stopped["lost"],
                       undelivered=stopped["undelivered"], stop_seconds=round(d.stop_seconds, 2),
                       lost_by_uid=by_uid["lost"], undelivered_by_uid=by_uid["undelivered"])
        record_figures(scenario, **figures)
        # every open accounted for, in the stop line and in the journal
        self.assertEqual(stopped["written"] + stopped["lost"] + stopped["undelivered"], flooded + self.STEADY_OPENS,
                         figures)
        self.assertEqual(count_entries(*mine), stopped["written"], figures)
        self.assertEqual((totals["lost"], totals["undelivered"]), (stopped["lost"], stopped["undelivered"]), figures)
        # root's opens all written; what was lost or undelivered is the flooder's, and says so
        self.assertEqual(written_root, self.STEADY_OPENS, figures)
        for kind in ("lost", "undelivered"):
            self.assertEqual(by_uid[kind], {"65534": totals[kind]} if totals[kind] else {}, figures)
