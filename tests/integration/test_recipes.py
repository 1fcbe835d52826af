# SPDX-License-Identifier: MIT
"""Recipes that work: every journalctl command line in README.md's code blocks
and in the man pages' EXAMPLES sections, read from those files when the test
runs, is run against a real daemon's record in the tests' journal namespace
(for `--namespace=opensnoopd`), after the opens it is about, and must find
exactly what its comment says. A recipe this file has no entry for in RECIPES
fails the test by name; so does an entry no page has any more.

The daemon runs as shipped (folding on, Coalesce=10s), with only a
Commands= filter so that the record holds this test's opens alone. Names are
the test's own, substituted consistently: nginx is a fresh comm (and
nginx.service a cgroup named after it), uid 1000 a fresh uid; /etc/shadow is
the real /etc/shadow.

A recipe is checked twice: as written (it must exit 0, and its output must
name what it should find and hold as many entries as the same query gives in
JSON), and as JSON (`-o json --all` appended), where every entry must be of the
kind the recipe claims to find (its predicate) and every open this test made
of that kind must be there."""

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

from harness import (JOURNAL, LOSS_MESSAGE_ID, OPEN_MESSAGE_ID, OPENER, JournalNamespace, _die_with_parent,
                     detected_mode, field, journal, names_of, opens_reported, wait_journal)
from test_attribution import CgroupTestCase

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
README = os.path.join(ROOT, "README.md")
MAN = os.path.join(ROOT, "man")

# Every recipe, as the page writes it, and the check that runs it. The opens
# behind each check are made by RecipesTest.make_opens (nginx, uid 1000 and
# the others are this test's own names):
#   nginx      a process named like it opens a file from a cgroup
#              /system.slice/nginx.service, and is refused (EACCES) a file as nobody
#   /etc/shadow  root opens it by its absolute path, and as ./shadow from /etc
#              (so only OPEN_ABS_PATH names it); nobody is refused it
#   uid 1000   a process of that uid opens two files and is refused one
#   hostname   a process opens /etc/hostname (the quick start)
#   exec       a program run, a #! script run, and a failed exec
#   openat2    an openat2() refused with EACCES
#   long       a path of 4,095 bytes, opened twice (one folded entry, OPEN_COUNT=2)
#   losses     an earlier daemon with a 64 KiB queue and journald frozen: a loss report
RECIPES = {
    # README: the first example
    "journalctl --namespace=opensnoopd OPEN_COMM=nginx OPEN_ERROR=EACCES": "nginx_denied",
    # README: quick start
    "journalctl --namespace=opensnoopd OPEN_PATH=/etc/hostname -n 3": "hostname_last3",
    # README: reading the record
    "journalctl --namespace=opensnoopd -f": "follow",
    "journalctl --namespace=opensnoopd OPEN_UNIT=nginx.service --since today": "unit",
    "journalctl --namespace=opensnoopd OPEN_COMM=nginx": "comm",
    "journalctl --namespace=opensnoopd OPEN_PATH=/etc/shadow + OPEN_ABS_PATH=/etc/shadow": "shadow",
    "journalctl --namespace=opensnoopd OPEN_ERROR=EACCES --since today": "denied",
    "journalctl --namespace=opensnoopd OPEN_UID=1000 --since yesterday": "uid",
    "journalctl --namespace=opensnoopd OPEN_SYSCALL=exec": "exec",
    "journalctl --namespace=opensnoopd -p notice --since -1h": "notice",
    "journalctl --namespace=opensnoopd -x MESSAGE_ID=58bd4eaad71a43d79f78ff1baa05e4da": "losses_explained",
    "journalctl --namespace=opensnoopd -o json --all "
    "--output-fields=OPEN_PATH,OPEN_ABS_PATH,OPEN_UID,OPEN_COMM,OPEN_COUNT": "all_json",
    # README: in the foreground (the system journal; run here against the tests' namespace,
    # where the daemon under test also runs as root with comm opensnoopd)
    "journalctl _UID=0 _COMM=opensnoopd OPEN_PATH=/etc/shadow + _UID=0 _COMM=opensnoopd "
    "OPEN_ABS_PATH=/etc/shadow": "shadow_foreground",
    # README: security model, sealing (RecipesTest.test_sealing)
    "journalctl --setup-keys": "sealing",
    "journalctl --namespace=opensnoopd --rotate": "sealing",
    "journalctl --namespace=opensnoopd --verify --verify-key=<the printed key>": "sealing",
    # opensnoopd(8) EXAMPLES
    "journalctl --namespace=opensnoopd OPEN_PATH=/etc/shadow + OPEN_ABS_PATH=/etc/shadow -o verbose": "shadow",
    "journalctl --namespace=opensnoopd -x MESSAGE_ID=58bd4eaad71a43d79f78ff1baa05e4da ": "losses_explained",
    "journalctl --namespace=opensnoopd -o json --all --output-fields=OPEN_PATH,OPEN_COMM": "all_json",
    # opensnoopd-fields(7) EXAMPLES
    "journalctl --namespace=opensnoopd MESSAGE_ID=e0c0158eb2c1484eb4e67cee89d40b10 OPEN_COMM=nginx": "comm",
    "journalctl --namespace=opensnoopd OPEN_PATH=/etc/shadow + OPEN_ABS_PATH=/etc/shadow -o json --all": "shadow",
    "journalctl --namespace=opensnoopd OPEN_SYSCALL=openat2 OPEN_ERROR=EACCES --since today": "openat2_denied",
    "journalctl --namespace=opensnoopd MESSAGE_ID=58bd4eaad71a43d79f78ff1baa05e4da -o verbose": "losses",
}
RECIPES = {" ".join(k.split()): v for k, v in RECIPES.items()}
# The order the checks run in: those that add entries (a forged one, a followed open) last.
ORDER = ["nginx_denied", "hostname_last3", "unit", "comm", "shadow", "denied", "uid", "exec", "notice",
         "losses_explained", "losses", "openat2_denied", "all_json", "shadow_foreground", "follow"]


def man_text(line):
    """A man page line as it reads: the escapes the pages use undone."""
    return line.replace("\\-", "-").replace("\\(dq", '"').replace("\\e", "\\").replace("\\&", "")


def recipes_in_docs():
    """{recipe: [where]}: the journalctl command lines of README.md's fenced code blocks
    (a leading "$ " and a trailing "# comment" dropped) and of the man pages' EXAMPLES."""
    found = {}

    def add(line, where):
        line = re.sub(r"^\$ ", "", line.strip())
        line = re.sub(r"\s+#.*$", "", line)
        if line.split()[:1] == ["journalctl"]:
            found.setdefault(" ".join(line.split()), []).append(where)

    with open(README) as f:
        block = False
        for n, line in enumerate(f, 1):
            if line.strip().startswith("```"):
                block = not block
            elif block:
                add(line, f"README.md:{n}")
    for page in sorted(os.listdir(MAN)):
        with open(os.path.join(MAN, page)) as f:
            section = None
            for n, line in enumerate(f, 1):
                if line.startswith(".SH "):
                    section = line[4:].strip().strip('"')
                elif section == "EXAMPLES" and not line.startswith("."):
                    add(man_text(line), f"man/{page}:{n}")
    return found


class Open:
    """One open this test made, as the journal should show it."""

    def __init__(self, comm, path, uid=0, error=None, syscall="openat", unit=None, abs_path=None, count=1):
        self.comm, self.path, self.uid, self.error = comm, path, uid, error
        self.syscall, self.unit, self.abs_path, self.count = syscall, unit, abs_path, count
        self.priority, self.message_id = (5 if error else 6), OPEN_MESSAGE_ID

    def key(self):
        return (self.comm, self.path, self.uid, self.error)

    def __repr__(self):
        return f"{self.comm}:{self.path[:60]}:{self.uid}:{self.error or 'ok'}"


class Entry:
    """An open of a journal entry (journalctl -o json) by the fields the recipes match on. An entry
    of one name is one; an entry of many (CoalesceNames=yes: OPEN_NAMES=) one per line of its
    OPEN_FILES=, with the entry's own fields (command, user, unit, priority) and the line's (path,
    outcome, system call). index: which entry of the recipe's output it is of."""

    def __init__(self, e, name=None, index=0):
        self.raw, self.index = e, index
        self.comm = field(e, "OPEN_COMM")
        self.uid = int(field(e, "OPEN_UID")) if field(e, "OPEN_UID") else None
        self.unit = field(e, "OPEN_UNIT")
        self.priority = int(field(e, "PRIORITY") or 6)
        self.message_id = field(e, "MESSAGE_ID")
        if name is None:
            self.path, self.abs_path = field(e, "OPEN_PATH"), field(e, "OPEN_ABS_PATH")
            self.error, self.syscall = field(e, "OPEN_ERROR"), field(e, "OPEN_SYSCALL")
            self.interpreter = field(e, "OPEN_EXEC_INTERPRETER")  # elf, script: what an exec opened beside its program
        else:
            self.path, self.abs_path = name["path"], name["abs_path"]
            self.error = name["outcome"] if name["failed"] else None
            self.syscall, self.interpreter = name["syscall"], name["interpreter"]

    @staticmethod
    def each(entries):
        """Every open of entries (journalctl -o json's), entry by entry."""
        return [Entry(e, n if "OPEN_FILES" in e else None, i) for i, e in enumerate(entries)
                for n in (names_of(e) if "OPEN_FILES" in e else [None])]

    def key(self):
        return (self.comm, self.path, self.uid, self.error)

    def __repr__(self):
        return f"{self.comm}:{(self.path or '')[:60]}:{self.uid}:{self.error or 'ok'}:{self.message_id}"


def values(e, name):
    """Every value of a field of a journalctl -o json entry: a field of an entry of many names repeats."""
    v = e.get(name)
    if v is None:
        return []
    items = v if isinstance(v, list) and v and isinstance(v[0], (list, str)) else [v]
    return [bytes(x).decode("utf-8", "surrogateescape") if isinstance(x, list) else x for x in items]


# An entry line of the short output: "Dec 04 16:01:02 host opensnoopd[123]: ..."
SHORT_LINE = re.compile(r"^[A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d \S+ [^\s:]+\[\d+\]: ", re.M)
# The first line of an entry in -o verbose: "Thu 2024-12-05 16:01:02.123456 UTC [s=...]"
VERBOSE_LINE = re.compile(r"^\S+ \d{4}-\d\d-\d\d \S+ \S+ \[s=", re.M)
# Fields journalctl adds to every JSON entry, whatever --output-fields= says.
JOURNALCTL_OWN = {"__CURSOR", "__REALTIME_TIMESTAMP", "__MONOTONIC_TIMESTAMP", "_BOOT_ID"}


def entries_in(output, args):
    """How many entries the recipe's own output shows, in its output format."""
    fmt = args[args.index("-o") + 1] if "-o" in args else "short"
    if fmt == "json":
        return len([l for l in output.splitlines() if l.strip()])
    if fmt == "verbose":
        return len(VERBOSE_LINE.findall(output))
    return len(SHORT_LINE.findall(output))


class RecipesTest(CgroupTestCase):
    maxDiff = None

    def test_every_recipe_has_a_check(self):
        """The pages' recipes and RECIPES are the same set: a new recipe gets a check before it ships."""
        docs = recipes_in_docs()
        unknown = [f"{r!r} ({', '.join(w)})" for r, w in docs.items() if r not in RECIPES]
        self.assertEqual(unknown, [], "recipes in the pages this test does not know how to exercise: add each to "
                         "RECIPES with a check that makes the opens it is about")
        gone = [r for r in RECIPES if r not in docs]
        self.assertEqual(gone, [], "recipes in RECIPES that no page has any more")
        self.assertEqual(set(RECIPES.values()) - {"sealing"}, set(ORDER))

    # --- the record --------------------------------------------------------

    def setUp(self):
        super().setUp()
        t = self.unique("")
        self.nginx = self.unique("ngx")
        self.names = {"nginx": self.nginx, "shadow": self.unique("shd"), "user": self.unique("usr"),
                      "hostname": self.unique("qs"), "exec": self.unique("exe"), "openat2": self.unique("oa2"),
                      "long": self.unique("long"), "follow": self.unique("fol"), "loss": self.unique("loss"),
                      "sentinel": self.unique("snt")}
        self.uid = 40000 + int(t) % 20000  # uid 1000: a uid no one else on the machine uses
        self.opens = []

    def as_user(self, uid, *command, cwd=None):
        """Runs command as uid (and gid), with no supplementary groups; returns its stdout."""
        return subprocess.run(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"] + list(command),
                              stdout=subprocess.PIPE, check=True, text=True, cwd=cwd).stdout

    def opener(self, comm, *paths, uid=0, cwd=None):
        """Opens each path (openat, O_RDONLY) as comm and uid; records them; returns the results."""
        command = [self.opener_copy, comm, self.workdir, "paths"] + [p.encode().hex() for p in paths]
        out = self.as_user(uid, *command, cwd=cwd)
        results = [json.loads(l)["result"] for l in out.splitlines()[1:]]
        return results

    def record(self, comm, path, result, **kw):
        error = None if result >= 0 else {13: "EACCES", 2: "ENOENT", 36: "ENAMETOOLONG"}[-result]
        self.opens.append(Open(comm, path, error=error, **kw))

    def make_opens(self):
        n = self.names
        # the opener, where nobody and uid 1000 can run it
        shared = tempfile.mkdtemp(prefix="opensnoopd-recipes-")
        self.addCleanup(shutil.rmtree, shared, ignore_errors=True)
        os.chmod(shared, 0o755)
        self.opener_copy = os.path.join(shared, "opener")
        shutil.copy(OPENER, self.opener_copy)
        # a file only root may reach (the workdir is 0700)
        www = os.path.join(self.workdir, "www")
        os.mkdir(www)
        secret = os.path.join(www, "secret.html")
        page = os.path.join(www, "index.html")
        for p in (secret, page):
            with open(p, "w") as f:
                f.write("x")

        # nginx: from its unit's cgroup, and refused as nobody
        unit = f"{self.nginx}.service"
        self.open_in(self.cgroup(f"/system.slice/{unit}"), self.nginx, page)
        self.opens.append(Open(self.nginx, page, unit=unit))
        [r] = self.opener(self.nginx, secret, uid=65534)
        self.assertEqual(r, -13)
        self.record(self.nginx, secret, r, uid=65534)

        # /etc/shadow: absolute, relative from /etc (OPEN_ABS_PATH only), and refused
        [r] = self.opener(n["shadow"], "/etc/shadow")
        self.record(n["shadow"], "/etc/shadow", r)
        [r] = self.opener(n["shadow"], "./shadow", cwd="/etc")
        self.record(n["shadow"], "./shadow", r, abs_path="/etc/shadow")
        [r] = self.opener(n["shadow"], "/etc/shadow", uid=65534)
        self.assertEqual(r, -13)
        self.record(n["shadow"], "/etc/shadow", r, uid=65534)
        self.assertEqual([o.error for o in self.opens[-3:]], [None, None, "EACCES"])

        # uid 1000
        for path, r in zip(("/etc/hostname", "/etc/passwd", secret),
                           self.opener(n["user"], "/etc/hostname", "/etc/passwd", secret, uid=self.uid)):
            self.record(n["user"], path, r, uid=self.uid)

        # the quick start's /etc/hostname
        [r] = self.opener(n["hostname"], "/etc/hostname")
        self.record(n["hostname"], "/etc/hostname", r)

        # a program run, a script run, a failed exec (each with the interpreters it opened)
        out = subprocess.run([OPENER, n["exec"], self.workdir, "exec"], stdout=subprocess.PIPE, check=True,
                             text=True).stdout
        for rec in [json.loads(l) for l in out.splitlines()[1:]]:
            path = bytes.fromhex(rec["path_hex"]).decode()
            self.record(n["exec"], path, min(rec["result"], 0), syscall="exec")

        # openat2, refused: opensnoopd-fields(7)'s example
        code = ("import ctypes, sys\n"
                "libc = ctypes.CDLL(None, use_errno=True)\n"
                "libc.prctl(15, sys.argv[1].encode(), 0, 0, 0)\n"
                "how = (ctypes.c_uint64 * 3)(0, 0, 0)\n"
                "r = libc.syscall(437, -100, sys.argv[2].encode(), ctypes.byref(how), 24)\n"
                "print(r if r >= 0 else -ctypes.get_errno())\n")
        r = int(self.as_user(65534, sys.executable, "-c", code, n["openat2"], secret))
        self.assertEqual(r, -13)
        self.record(n["openat2"], secret, r, uid=65534, syscall="openat2")

        # a path of 4,095 bytes (the longest the kernel takes), twice: one folded entry
        self.long_path = (self.workdir + "/" + ("L" * 200 + "/") * 25)[:4094] + "L"
        self.assertEqual(len(self.long_path), 4095)
        results = self.opener(n["long"], self.long_path, self.long_path)
        self.assertEqual(results, [-2, -2])
        self.record(n["long"], self.long_path, -2, count=2)

        path = self.sentinel(n["sentinel"])
        self.record(n["sentinel"], path, -2)

    def make_loss_report(self):
        """A loss report from a daemon whose 64 KiB queue fills while journald is frozen."""
        comm = self.names["loss"]
        d = self.start(f"[Filter]\nCommands={comm}\n[Output]\nQueueSize=64K\nCoalesce=no\n")
        JOURNAL.proc.send_signal(signal.SIGSTOP)
        try:
            out = subprocess.run([OPENER, comm, self.workdir, "burst", "20000"], stdout=subprocess.PIPE, text=True,
                                 check=True).stdout
            opens_reported(out)
            time.sleep(1)
        finally:
            JOURNAL.proc.send_signal(signal.SIGCONT)
        reports = wait_journal([f"MESSAGE_ID={LOSS_MESSAGE_ID}", f"_PID={d.pid}"], 1, timeout=60)
        self.assertTrue(reports, "a loss report after the freeze\n" + self.describe())
        self.assertEqual(d.stop(), 0)

    def adapt(self, recipe, namespace=None):
        """The recipe as this test runs it: the tests' namespace, the test's names."""
        args = []
        for a in shlex.split(recipe):
            a = a.replace("--namespace=opensnoopd", f"--namespace={namespace or JOURNAL.name}")
            a = re.sub(r"\bnginx\b", self.nginx, a)
            a = re.sub(r"^OPEN_UID=1000$", f"OPEN_UID={self.uid}", a)
            args.append(a)
        if not any(a.startswith("--namespace=") for a in args):
            # the system journal's recipe: the daemon under test writes to the tests' namespace
            args.insert(1, f"--namespace={JOURNAL.name}")
        return args[:1] + ["--no-pager"] + args[1:]

    def run_recipe(self, args, prefix=()):
        r = subprocess.run(list(prefix) + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           errors="replace", timeout=120)
        self.assertEqual(r.returncode, 0, f"{shlex.join(args)}: exit {r.returncode}: {r.stderr[-500:]}")
        return r.stdout

    def check_selection(self, recipe, predicate, prefix=()):
        """Runs the recipe as written and as JSON; every entry is one the recipe claims
        (predicate), every open of this test it claims is there, the two agree on the
        count, and the recipe's own output names each of them. Returns (output, entries)."""
        args = self.adapt(recipe)
        output = self.run_recipe(args, prefix)
        as_json = args if "-o" in args and args[args.index("-o") + 1] == "json" else args + ["-o", "json", "--all"]
        if "--all" not in as_json:
            as_json = as_json + ["--all"]
        raw = [json.loads(l) for l in self.run_recipe(as_json).splitlines() if l.strip()]
        opens = Entry.each(raw)
        # an entry of many names is the recipe's when one of its names is
        wrong = [o for o in opens if not any(predicate(n) for n in opens if n.index == o.index)]
        self.assertEqual(wrong, [], f"{recipe}: entries it does not claim to find")
        want = [o for o in self.opens if predicate(o)]
        got = {e.key() for e in opens}
        missing = [o for o in want if o.key() not in got]
        self.assertEqual(missing, [], f"{recipe}: opens it should find; it found {opens}")
        self.assertEqual(entries_in(output, args), len(raw), f"{recipe}: its output:\n{output[-3000:]}")
        for o in want:
            if len(o.path) < 1000:
                self.assertIn(o.path, output, f"{recipe}: its output names {o!r}")
        return output, [o for o in opens if predicate(o)]

    # --- the checks, one per kind of recipe ---------------------------------

    def check_nginx_denied(self, recipe):
        """nginx's permission denials: the one refused open, in the README's format."""
        output, entries = self.check_selection(recipe, lambda e: e.comm == self.nginx and e.error == "EACCES")
        self.assertEqual(len(entries), 1)
        secret = os.path.join(self.workdir, "www", "secret.html")
        self.assertRegex(output, r"opensnoopd\[\d+\]: " + re.escape(self.nginx) +
                         r"\[\d+\] failed to open \"" + re.escape(secret) + r"\" O_RDONLY: EACCES\n")

    def check_hostname_last3(self, recipe):
        """The last (up to) three opens of /etc/hostname: here the two this test made."""
        output, entries = self.check_selection(recipe, lambda e: e.path == "/etc/hostname")
        self.assertEqual(len(entries), 2)

    def check_unit(self, recipe):
        """Every file nginx.service opened: the process in its cgroup, not nginx's other opens."""
        _, entries = self.check_selection(recipe, lambda e: e.unit == f"{self.nginx}.service")
        self.assertEqual(len(entries), 1)

    def check_comm(self, recipe):
        """What processes named nginx opened: both opens, in and out of the unit."""
        _, entries = self.check_selection(recipe, lambda e: e.comm == self.nginx)
        self.assertEqual(len(entries), 2)
        self.assertEqual({e.message_id for e in entries}, {OPEN_MESSAGE_ID})

    def check_shadow(self, recipe, prefix=()):
        """Who opened /etc/shadow: root by its name, root as ./shadow from /etc, nobody refused."""
        shadow = self.names["shadow"]
        _, entries = self.check_selection(recipe, lambda e: "/etc/shadow" in (e.path, e.abs_path), prefix)
        self.assertEqual(sorted((e.comm, e.path, e.abs_path, e.uid, e.error) for e in entries),
                         [(shadow, "./shadow", "/etc/shadow", 0, None), (shadow, "/etc/shadow", None, 0, None),
                          (shadow, "/etc/shadow", None, 65534, "EACCES")])
        # why the recipe names both fields: the relative open's OPEN_PATH= is ./shadow, only its
        # OPEN_ABS_PATH= says /etc/shadow (OPEN_PATH= alone finds it only in an entry it shares)
        self.assertEqual([(o.path, o.abs_path) for o in Entry.each(journal("OPEN_ABS_PATH=/etc/shadow"))
                          if o.comm == shadow and o.path != "/etc/shadow"], [("./shadow", "/etc/shadow")])

    def check_denied(self, recipe):
        """Permission denials: the four refusals this test made (nginx, shadow, uid 1000, openat2)."""
        _, entries = self.check_selection(recipe, lambda e: e.error == "EACCES")
        self.assertEqual(len(entries), 4)

    def check_uid(self, recipe):
        """What one user opened: that uid's three opens, one of them refused."""
        _, entries = self.check_selection(recipe, lambda e: e.uid == self.uid)
        self.assertEqual(len(entries), 3)

    def check_exec(self, recipe):
        """Every program run (a binary and a #! script), the interpreters they opened, and failed execs."""
        _, entries = self.check_selection(recipe, lambda e: e.syscall == "exec")
        self.assertEqual(len([e for e in entries if not e.interpreter]), 3, entries)
        self.assertEqual({e.interpreter for e in entries if e.interpreter}, {"elf", "script"}, entries)

    def check_notice(self, recipe):
        """Failed opens, loss reports, warnings: nothing at info; every failed open and the loss report."""
        _, entries = self.check_selection(recipe, lambda e: e.priority <= 5 and (e.error or e.message_id != OPEN_MESSAGE_ID))
        self.assertTrue([e for e in entries if e.message_id == LOSS_MESSAGE_ID and e.priority == 4])

    def catalog_prefix(self):
        """A private mount namespace whose catalog database holds the package's catalog (as the
        package's `journalctl --update-catalog` would make it), leaving the machine's alone."""
        root = tempfile.mkdtemp(prefix="opensnoopd-catalog-", dir=self.workdir)
        os.makedirs(os.path.join(root, "usr/lib/systemd/catalog"))
        shutil.copy(os.path.join(ROOT, "systemd", "opensnoopd.catalog"), os.path.join(root, "usr/lib/systemd/catalog"))
        subprocess.run(["journalctl", f"--root={root}", "--update-catalog"], check=True)
        database = os.path.join(root, "var/lib/systemd/catalog")
        self.assertTrue(os.path.exists(os.path.join(database, "database")))
        return ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
                'mount --bind "$0" /var/lib/systemd/catalog && exec "$@"', database]

    def check_losses(self, recipe, prefix=()):
        """Every loss report (here the one of the frozen journald), each counting undelivered opens."""
        output, entries = self.check_selection(recipe, lambda e: e.message_id == LOSS_MESSAGE_ID, prefix)
        self.assertTrue(entries)
        self.assertTrue(all(int(field(e.raw, "OPEN_UNDELIVERED") or 0) > 0 for e in entries), entries)
        return output

    def check_losses_explained(self, recipe):
        """The loss reports with the catalog's explanation under each."""
        output = self.check_losses(recipe, self.catalog_prefix())
        self.assertIn("opensnoopd could not record some file opens", output)
        self.assertIn("OPEN_UNDELIVERED= reached opensnoopd but", output)

    def check_openat2_denied(self, recipe):
        """openat2()'s permission denials: the one this test made, not the openat() ones."""
        _, entries = self.check_selection(recipe, lambda e: e.syscall == "openat2" and e.error == "EACCES")
        self.assertEqual(len(entries), 1)

    def check_all_json(self, recipe):
        """Paths as JSON: every open, with the fields asked for only; the 4,095-byte path in
        full with --all (and its two opens counted, where OPEN_COUNT is asked for), and null
        without it."""
        args = self.adapt(recipe)
        wanted = set(args[[a.startswith("--output-fields=") for a in args].index(True)].split("=", 1)[1].split(","))
        entries = [json.loads(l) for l in self.run_recipe(args).splitlines() if l.strip()]
        for e in entries:
            self.assertLessEqual(set(e) - JOURNALCTL_OWN, wanted, e)
        got = {(field(e, "OPEN_COMM"), p) for e in entries for p in values(e, "OPEN_PATH")}
        missing = [o for o in self.opens if (o.comm, o.path) not in got]
        self.assertEqual(missing, [], recipe)
        [long_entry] = [e for e in entries if field(e, "OPEN_COMM") == self.names["long"]]
        self.assertEqual(field(long_entry, "OPEN_PATH"), self.long_path)
        if "OPEN_COUNT" in wanted:
            self.assertEqual(field(long_entry, "OPEN_COUNT"), "2")
            [relative] = [e for e in entries if "./shadow" in values(e, "OPEN_PATH")]
            self.assertEqual(values(relative, "OPEN_ABS_PATH"), ["/etc/shadow"])
            self.assertEqual(field(relative, "OPEN_UID"), "0")
        # without --all: the same entry's path is null
        without = [json.loads(l) for l in self.run_recipe([a for a in args if a != "--all"]).splitlines() if l.strip()]
        [long_entry] = [e for e in without if e.get("OPEN_COMM") == self.names["long"]]
        self.assertIn("OPEN_PATH", long_entry)
        self.assertIsNone(long_entry["OPEN_PATH"], "without --all a value over 4 KiB is null")

    def check_shadow_foreground(self, recipe):
        """The system journal's recipe: the daemon's entries only, not one anyone could forge."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.sendto(b"MESSAGE=forged\nOPEN_PATH=/etc/shadow\nOPEN_COMM=forger\nOPEN_UID=0\n",
                 JOURNAL.socket_dir + "/socket")
        s.close()
        self.assertTrue(wait_journal(["OPEN_COMM=forger", "OPEN_PATH=/etc/shadow"], 1, timeout=30))
        self.check_shadow(recipe)

    def check_follow(self, recipe):
        """Following: an open made after it started shows up (within folding's window)."""
        args = self.adapt(recipe)
        follower = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        lines = []
        reader = threading.Thread(target=lambda: lines.extend(follower.stdout), daemon=True)
        reader.start()
        try:
            time.sleep(2)
            path = self.marker()
            [r] = self.opener(self.names["follow"], path)
            self.assertEqual(r, -2)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not any(path in l for l in lines):
                time.sleep(0.3)
        finally:
            follower.terminate()
            follower.wait(timeout=10)
        reader.join(timeout=10)
        follower.stdout.close()
        self.assertTrue([l for l in lines if f'{self.names["follow"]}[' in l and path in l],
                        f"{recipe}: the new open in what it followed:\n{''.join(lines[-20:])}")

    def test_recipes_find_what_they_say(self):
        recipes = recipes_in_docs()
        unknown = [r for r in recipes if r not in RECIPES]
        self.assertEqual(unknown, [], "recipes with no check in RECIPES (see test_every_recipe_has_a_check)")
        self.make_loss_report()
        n = self.names
        commands = " ".join(v for k, v in n.items() if k != "loss")
        d = self.start(f"[Filter]\nCommands={commands}\n[Output]\nCoalesce=10s\n")  # folding on, as shipped
        self.mode = detected_mode(d.stderr())
        self.make_opens()
        by_check = {}
        for recipe, check in RECIPES.items():
            if recipe in recipes:
                by_check.setdefault(check, []).append(recipe)
        ran = 0
        for check in ORDER:
            for recipe in by_check.get(check, []):
                with self.subTest(recipe=recipe):
                    getattr(self, f"check_{check}")(recipe)
                ran += 1
        self.assertEqual(d.stop(), 0)
        print(f"{ran} recipes checked against the daemon in {self.mode} mode (the sealing ones: test_sealing)")

    # --- sealing -------------------------------------------------------------

    def test_sealing(self):
        """The security model's three recipes, in a journald namespace of this test's own whose
        /var/log/journal is a tmpfs of a private mount namespace: --setup-keys writes its key
        there, never to the machine's journal directory. The new key seals the file that
        --rotate starts, and --verify with the printed key passes."""
        recipes = [r for r, check in RECIPES.items() if check == "sealing" and r in recipes_in_docs()]
        self.assertEqual(len(recipes), 3, recipes)
        setup, rotate, verify = (next(r for r in recipes if w in r) for w in ("--setup-keys", "--rotate", "--verify"))
        with open("/etc/machine-id") as f:
            machine = f.read().strip()
        host_key = f"/var/log/journal/{machine}/fss"
        host_before = os.path.exists(host_key) and os.stat(host_key)
        holder = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
                                   'mount -t tmpfs opensnoopd-seal /var/log/journal && mkdir "/var/log/journal/$0" '
                                   "&& echo ready && exec sleep 3600", machine],
                                  stdout=subprocess.PIPE, text=True, preexec_fn=_die_with_parent)
        self.addCleanup(holder.wait)
        self.addCleanup(holder.kill)
        self.assertEqual(holder.stdout.readline().strip(), "ready")
        holder.stdout.close()
        enter = ["nsenter", f"--target={holder.pid}", "--mount", "--"]
        # named like the harness's instances, after a live pid: a killed run's files are removed by the next
        ns = JournalNamespace(JournalNamespace.PREFIX + str(holder.pid))
        config, _ = ns.paths()
        with open(config, "w") as f:
            f.write(ns.CONFIG)
        self.addCleanup(ns.remove_files)
        binary = next(p for p in ("/lib/systemd/systemd-journald", "/usr/lib/systemd/systemd-journald")
                      if os.path.exists(p))
        journald = subprocess.Popen(enter + [binary, ns.name], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        self.addCleanup(journald.wait, 30)
        self.addCleanup(journald.terminate)
        deadline = time.monotonic() + 30
        while not ns.accepts():
            self.assertLess(time.monotonic(), deadline, "the sealing test's journald accepts entries")
            self.assertIsNone(journald.poll())
            time.sleep(0.05)

        def send(text):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            s.sendto(f"MESSAGE={text}\nOPEN_PATH=/etc/shadow\n".encode(), ns.socket_dir + "/socket")
            s.close()
            query = ["journalctl", "--no-pager", f"--namespace={ns.name}", f"MESSAGE={text}"]
            self.assertTrue(wait_until_output(enter + query, text), f"{text} in the sealing test's journal")

        send("before the key")
        key = self.run_recipe(self.adapt(setup, ns.name), enter).strip()
        self.assertRegex(key, r"^[0-9a-f-]+/[0-9a-f]+-[0-9a-f]+$", "--setup-keys prints the verification key")
        subprocess.run(enter + ["test", "-s", host_key], check=True)  # the key, in the tmpfs
        self.assertEqual(os.path.exists(host_key) and os.stat(host_key), host_before, "the machine's key untouched")
        self.run_recipe(self.adapt(rotate, ns.name), enter)
        send("after the rotation")
        header = self.run_recipe(["journalctl", "--no-pager", f"--namespace={ns.name}", "--header"], enter)
        self.assertIn("SEALED", header, "the file --rotate started is sealed with the machine's key")
        args = self.adapt(verify.replace("<the printed key>", key), ns.name)
        r = subprocess.run(enter + args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertEqual(len(re.findall(r"^PASS: ", r.stdout, re.M)), 2, r.stdout)  # both files
        self.assertNotIn("FAIL", r.stdout)
        # A wrong key cannot be shown to fail here: the first seal is written at the end of the
        # key's first interval (15 min by default); until then --verify says "No sealing yet".

def wait_until_output(command, text, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
        if text in out:
            return True
        time.sleep(0.2)
    return False
