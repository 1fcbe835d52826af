# SPDX-License-Identifier: MIT
"""Issue 21, opensnoopd-report: the sums it prints are the opens made, exactly,
with folding on (the default Coalesce=10s, CoalesceBy=command), for every
grouping, for `who PATH` and `unit UNIT`, and with --failed, --path-prefix,
--since and --until. Each figure is checked twice: the opens against what the
opener says it did, and the entries against the journal as journalctl reads
it. The real daemon, kernel and journald (the harness's namespace)."""

import glob
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest
from collections import Counter

from harness import (BUILD, JOURNAL, OPEN_MESSAGE_ID, OPENER, JournalNamespace, field, journal, names_of,
                     wait_journal)
from test_attribution import CgroupTestCase

REPORT = os.path.abspath(os.path.join(BUILD, "opensnoopd-report"))
NOBODY = 65534


def report(*args):
    """opensnoopd-report's JSON for the tests' namespace, every group."""
    out = subprocess.run([REPORT, f"--namespace={JOURNAL.name}", "--output=json", "--top=0"] + list(args),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if out.returncode != 0:
        raise AssertionError(f"opensnoopd-report {' '.join(args)}: exit {out.returncode}: {out.stderr}")
    return json.loads(out.stdout)


class ReportTest(CgroupTestCase):
    def run_in(self, cgroup, comm, directory, *scenario, uid=0):
        """The opener, moved into cgroup before it starts (as uid); returns how many opens it made."""
        procs = os.path.join(self.mount, cgroup.lstrip("/"), "cgroup.procs")
        become = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"] if uid else []
        out = subprocess.run(["sh", "-c", 'echo $$ > "$0" && exec "$@"', procs] + become +
                             [OPENER, comm, directory] + list(scenario),
                             stdout=subprocess.PIPE, text=True, check=True).stdout
        lines = out.strip().splitlines()
        return json.loads(lines[-1])["opens"] if "opens" in lines[-1] else len(lines) - 1

    def setUp(self):
        super().setUp()
        tag = self.unique("")
        self.a, self.b = self.unique("repa"), self.unique("repb")
        self.unit_a, self.unit_b = f"repa-{tag}.service", f"repb-{tag}.service"
        self.cg_a = self.cgroup(f"/test.slice/{self.unit_a}")
        self.cg_b = self.cgroup(f"/test.slice/{self.unit_b}")
        self.dir = os.path.realpath(self.workdir)
        for sub in ("a", "b", "ab", "c", "late"):
            os.mkdir(os.path.join(self.dir, sub))

    def wait_recorded(self, total, timeout=90):
        """Entries of both commands until their OPEN_COUNT adds up to total (folding writes within 10 s)."""
        deadline = time.monotonic() + timeout
        while True:
            entries = [e for c in (self.a, self.b) for e in journal(f"OPEN_COMM={c}", f"MESSAGE_ID={OPEN_MESSAGE_ID}")]
            got = sum(int(field(e, "OPEN_COUNT") or 1) for e in entries)
            if got >= total or time.monotonic() > deadline:
                self.assertEqual(got, total, "every open reached the journal\n" + self.describe())
                return entries

    def make_opens(self):
        """The truth: (command, unit, uid, path, failed, opens) of every open made, and the time between the
        first phase and the second (a whole second: --since=@T)."""
        d, truth = self.dir, []

        def did(comm, unit, uid, path, failed, opens):
            truth.append(dict(command=comm, unit=unit, uid=uid, path=path, failed=failed, opens=opens))

        a, b, ua, ub = self.a, self.b, self.unit_a, self.unit_b
        did(a, ua, 0, f"{d}/a/burst", False, self.run_in(self.cg_a, a, f"{d}/a", "burst", "500"))
        did(a, ua, 0, f"{d}/b/burst", False, self.run_in(self.cg_a, a, f"{d}/b", "burst", "300"))
        did(a, ua, 0, f"{d}/ab/burst", False, self.run_in(self.cg_a, a, f"{d}/ab", "burst", "7"))
        # relative to an fd of DIR/a (opened first, O_DIRECTORY): OPEN_PATH=burst, OPEN_ABS_PATH=DIR/a/burst
        did(a, ua, 0, f"{d}/a/burst", False,
            self.run_in(self.cg_a, a, d, "at", f"{d}/a".encode().hex(), b"burst".hex()))
        did(a, ua, 0, f"{d}/a", False, 1)
        did(b, ub, 0, f"{d}/a/burst", False, self.run_in(self.cg_b, b, f"{d}/a", "burst", "200"))
        self.run_in(self.cg_b, b, f"{d}/c", "distinct", "50")
        for i in range(50):
            did(b, ub, 0, f"{d}/c/d{i}", True, 1)
        # the work directory is root's (0700): EACCES
        did(b, ub, NOBODY, f"{d}/a/burst", True, self.run_in(self.cg_b, b, f"{d}/a", "burst", "100", uid=NOBODY))
        boundary = int(time.time()) + 1
        time.sleep(boundary + 0.05 - time.time())
        late = dict(command=a, unit=ua, uid=0, path=f"{d}/late/burst", failed=False,
                    opens=self.run_in(self.cg_a, a, f"{d}/late", "burst", "40"))
        return truth, late, boundary

    @staticmethod
    def sums(truth, key, keep=lambda t: True):
        out = Counter()
        for t in truth:
            if keep(t):
                out[key(t)] += t["opens"]
        return dict(out)

    def check(self, got, want, by, journal_entries, name):
        """got: the report's JSON; want: {key: opens} from the truth; from the journal, the entries per group
        and how many entries in all (an entry of many names may count in several groups, in the total once)."""
        journal_entries, distinct = journal_entries
        key = {"unit": lambda r: r["unit"], "command": lambda r: r["command"], "user": lambda r: r["uid"],
               "path": lambda r: r["path"], "prefix": lambda r: r["prefix"],
               "who": lambda r: (r["command"], r["uid"], r["unit"])}[by]
        self.assertEqual(got["by"], by, name)
        self.assertEqual({key(r): r["opens"] for r in got["rows"]}, want, name)
        self.assertEqual(got["opens"], sum(want.values()), name)
        self.assertEqual(got["groups"], len(want), name)
        self.assertEqual({key(r): r["entries"] for r in got["rows"]}, journal_entries, name)
        self.assertEqual(got["entries"], distinct, name)
        self.assertEqual([r["opens"] for r in got["rows"]], sorted((r["opens"] for r in got["rows"]), reverse=True))

    def test_sums_are_exact(self):
        d = self.start(f"[Filter]\nCommands={self.a} {self.b}\n[Output]\nCoalesce=10s\nCoalesceBy=command\n")
        truth, late, boundary = self.make_opens()
        everything = truth + [late]
        entries = self.wait_recorded(sum(t["opens"] for t in everything))
        self.assertLess(len(entries), 100, "folded: far fewer entries than opens")
        self.assertEqual(d.stop(), 0)

        # an entry of many names (the default CoalesceNames=yes) counts in each group one of its names is in
        named = [dict(e, name=n) for e in entries for n in names_of(e)]
        self.assertLess(len(entries), len(named), "the names of a command share entries")

        def opened(e):
            return e["name"]["abs_path"] or e["name"]["path"]

        def counted(key, keep=lambda e: True):
            """The journal's side: entries per group, and entries in all."""
            keys = [{key(dict(e, name=n)) for n in names_of(e) if keep(dict(e, name=n))} for e in entries]
            return dict(Counter(k for ks in keys for k in ks)), sum(1 for ks in keys if ks)

        under = lambda p, prefix: p == prefix or p.startswith(prefix + "/")  # noqa: E731
        depth = self.dir.count("/") + 1
        cut = lambda p: "/".join(p.split("/")[:depth + 1])  # noqa: E731
        d_ = self.dir
        cases = [
            ("unit", [], lambda t: t["unit"], lambda e: field(e, "OPEN_UNIT"), None, None),
            ("command", [], lambda t: t["command"], lambda e: field(e, "OPEN_COMM"), None, None),
            ("user", [], lambda t: t["uid"], lambda e: int(field(e, "OPEN_UID")), None, None),
            ("path", [], lambda t: t["path"], opened, None, None),
            ("prefix", [f"--depth={depth}"], lambda t: cut(t["path"]), lambda e: cut(opened(e)), None, None),
            # --failed: OPEN_ERRNO= present (on an entry of many names, a name's outcome is an errno)
            ("user", ["--failed"], lambda t: t["uid"], lambda e: int(field(e, "OPEN_UID")),
             lambda t: t["failed"], lambda e: e["name"]["failed"]),
            # a subtree, component by component: DIR/a, not DIR/ab
            ("command", [f"--path-prefix={d_}/a/"], lambda t: t["command"], lambda e: field(e, "OPEN_COMM"),
             lambda t: under(t["path"], f"{d_}/a"), lambda e: under(opened(e), f"{d_}/a")),
            ("unit", [f"--unit={self.unit_b}", "--by=command"], lambda t: t["command"],
             lambda e: field(e, "OPEN_COMM"), lambda t: t["unit"] == self.unit_b,
             lambda e: field(e, "OPEN_UNIT") == self.unit_b),
        ]
        for by, args, truth_key, entry_key, keep_truth, keep_entry in cases:
            name = f"--by={by} {' '.join(args)}"
            with self.subTest(name):
                got = report(*([f"--by={by}"] if "--by=" not in " ".join(args) else []), *args)
                by = got["by"]
                self.check(got, self.sums(everything, truth_key, keep_truth or (lambda t: True)), by,
                           counted(entry_key, keep_entry or (lambda e: True)), name)

        who_path = f"{d_}/a/burst"
        with self.subTest("who"):
            got = report("who", who_path)
            self.check(got, self.sums(everything, lambda t: (t["command"], t["uid"], t["unit"]),
                                      lambda t: t["path"] == who_path), "who",
                       counted(lambda e: (field(e, "OPEN_COMM"), int(field(e, "OPEN_UID")), field(e, "OPEN_UNIT")),
                               lambda e: who_path in (e["name"]["path"], e["name"]["abs_path"])), "who")
            self.assertEqual(got["rows"][0]["user"], "root")
            # the open relative to an fd of DIR/a is there by its OPEN_ABS_PATH= alone
            self.assertIn("burst", [n["path"] for n in (n for e in entries for n in names_of(e))
                                    if n["abs_path"] == who_path])
        with self.subTest("unit"):
            got = report("unit", self.unit_a)
            self.check(got, self.sums(everything, lambda t: t["path"], lambda t: t["unit"] == self.unit_a), "path",
                       counted(opened, lambda e: field(e, "OPEN_UNIT") == self.unit_a), "unit")
        local = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(boundary))
        for args, keep in (([f"--since=@{boundary}"], lambda t: t is late),
                           ([f"--since={local}"], lambda t: t is late),
                           ([f"--until=@{boundary}"], lambda t: t is not late),
                           (["--since=-1h", f"--until={local}"], lambda t: t is not late)):
            with self.subTest(" ".join(args)):
                got = report("--by=path", *args)
                want = self.sums(everything, lambda t: t["path"], keep)
                self.assertEqual({r["path"]: r["opens"] for r in got["rows"]}, want)
        # aligned text: the heading, the rows the JSON has, and the total over all of them
        text = subprocess.run([REPORT, f"--namespace={JOURNAL.name}", "--by=command", "--top=1"],
                              stdout=subprocess.PIPE, text=True, check=True).stdout.splitlines()
        total = sum(t["opens"] for t in everything)
        self.assertEqual(text[0].split(), ["OPENS", "ENTRIES", "COMMAND"])
        self.assertEqual(text[1].split()[0::2], [str(self.sums(everything, lambda t: t["command"])[self.a]),
                                                 self.a])
        self.assertEqual(text[2].split()[0], str(total))
        self.assertIn("total: 2 commands, the top 1 shown", text[2])
        self.assertEqual(len(text), 3)
        self.assertEqual(text[0].index("COMMAND"), text[1].index(self.a), "columns aligned")
        self.assertEqual(text[0].index("ENTRIES") + len("ENTRIES"), text[1].index(self.a) - 2)


class ReportUsageTest(unittest.TestCase):
    def test_bad_input_is_one_line_and_exit_2(self):
        for args, says in ((["--by=inode"], "--by=inode: must be unit, command, user, path or prefix"),
                           (["--since=soon"], "--since=soon: not a time"),
                           (["--top=-1"], "--top=-1: must be a number"),
                           (["--depth=3"], "--depth= goes with --by=prefix"),
                           (["--output=xml"], "--output=xml: must be text or json"),
                           (["--path-prefix=etc"], "must be an absolute path"),
                           (["who", "shadow"], "the path must be absolute"),
                           (["who"], "who: give one path"),
                           (["what"], "'what': not a command"),
                           (["--since=today", "--until=yesterday"], "--since= must be before --until="),
                           (["--namespace=x", "--directory=/tmp"], "give one")):
            with self.subTest(" ".join(args)):
                r = subprocess.run([REPORT] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertEqual(r.stdout, "")
                self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
                self.assertIn(says, r.stderr)
        r = subprocess.run([REPORT, "--namespace=opensnoopd-report-none"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        self.assertEqual(r.returncode, 7, r.stderr)
        self.assertIn("no journal file of namespace 'opensnoopd-report-none'", r.stderr)


class ReportFilesTest(unittest.TestCase):
    """A directory's or a namespace's files are opened by name (report_files.h): one that
    reads as truncated, as Debian 13's sd-journal now and then takes the file journald is
    growing, is tried again, and if it still will not open it is named on stderr, never left
    out unsaid as sd_journal_open_directory() would. A journal file of a journald namespace of
    this test's own holds 40 open entries of OPEN_COUNT=3; the directories hold copies of it."""

    ENTRIES, COUNT = 40, 3

    @classmethod
    def setUpClass(cls):
        ns = JournalNamespace(f"opensnoopd-rfiles-{os.getpid()}")
        ns.remove_files()
        ns.start()
        try:
            sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            for i in range(cls.ENTRIES):
                sender.sendto(f"MESSAGE=rfiles opened /rfiles/{i}\nMESSAGE_ID={OPEN_MESSAGE_ID}\nOPEN_COMM=rfiles\n"
                              f"OPEN_UID=0\nOPEN_PATH=/rfiles/{i}\nOPEN_COUNT={cls.COUNT}\n".encode(),
                              ns.socket_dir + "/socket")
            stored = wait_journal(["OPEN_COMM=rfiles"], cls.ENTRIES, namespace=ns.name)
            assert len(stored) == cls.ENTRIES, f"journald stored {len(stored)} of {cls.ENTRIES}"
            ns.stop()  # the file is offline and whole from here on
            with open(glob.glob(os.path.join(ns.paths()[1][1], "*.journal"))[0], "rb") as f:
                cls.whole = f.read()
        finally:
            ns.close()

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="opensnoopd-rfiles-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        with open(os.path.join(self.dir, "a.journal"), "wb") as f:
            f.write(self.whole)
        with open(os.path.join(self.dir, "b.journal"), "wb") as f:  # the header and no more
            f.write(self.whole[:4096])

    def report(self):
        r = subprocess.run([REPORT, f"--directory={self.dir}", "--output=json", "--top=0"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout), r.stderr

    def test_a_file_that_stays_truncated_is_named(self):
        got, err = self.report()
        self.assertEqual(got["opens"], self.ENTRIES * self.COUNT, "a.journal's opens, every one")
        self.assertEqual(err, f"opensnoopd-report: {self.dir}/b.journal could not be read (No data available); "
                              "its opens are not counted\n")

    def test_a_file_truncated_for_a_moment_is_read(self):
        def grow():  # as journald would: the whole file, in place of the short one, at once
            time.sleep(0.3)
            with open(os.path.join(self.dir, "b.tmp"), "wb") as f:
                f.write(self.whole)
            os.rename(os.path.join(self.dir, "b.tmp"), os.path.join(self.dir, "b.journal"))

        os.unlink(os.path.join(self.dir, "a.journal"))  # (a copy's entries would count once: sd-journal sees the same)
        grower = threading.Thread(target=grow)
        grower.start()
        got, err = self.report()
        grower.join()
        self.assertEqual(got["opens"], self.ENTRIES * self.COUNT, "b.journal's opens, every one")
        self.assertEqual(err, "")


if __name__ == "__main__":
    unittest.main()
