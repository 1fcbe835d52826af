# SPDX-License-Identifier: MIT
"""Shared pieces of the integration tests: the real daemon, the real kernel,
the real journald. Nothing here stands in for any of them."""

import atexit
import ctypes
import errno
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

BUILD = os.environ.get("OPENSNOOPD_BUILD", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
DAEMON = os.path.abspath(os.path.join(BUILD, "opensnoopd"))
OPENER = os.path.abspath(os.path.join(BUILD, "tests", "opener"))
HOOKCOST = os.path.abspath(os.path.join(BUILD, "tests", "hookcost"))
OPEN_MESSAGE_ID = "e0c0158eb2c1484eb4e67cee89d40b10"
LOSS_MESSAGE_ID = "58bd4eaad71a43d79f78ff1baa05e4da"


def require_environment(case):
    """Root and tracefs; and the tests' own journald (see JournalNamespace)."""
    if os.geteuid() != 0:
        raise unittest.SkipTest("SKIPPED LOUDLY: integration tests need root (BPF); run them as root")
    if not os.path.exists("/sys/kernel/tracing/events"):
        subprocess.run(["mount", "-t", "tracefs", "nodev", "/sys/kernel/tracing"], check=True)
    JOURNAL.ensure_started()


class JournalNamespace:
    """A journald namespace of this test process's own: its own systemd-journald
    instance, its own socket and journal files, with rate limiting off.

    Every daemon under test writes there (Daemon runs it in a mount namespace with
    this instance's socket directory over /run/systemd/journal), and every query
    reads there (journalctl --namespace). So the tests are exempt from rate
    limiting the way the product's unit is, on a machine where systemd is PID 1 as
    well as where it is not; they never add entries to the host's journal; and a
    test may stop and start this journald without touching the host's. The
    instance is stopped and its files removed when the process exits; if the
    process is killed, the instance dies with it (PR_SET_PDEATHSIG) and the next
    run removes the files."""

    PREFIX = "opensnoopd-test-"
    CONFIG = ("[Journal]\n"
              "Storage=persistent\n"
              "RateLimitIntervalSec=0\n"
              # room for the flood test's entries, and a cap: a run never fills the disk
              "SystemMaxUse=4G\n"
              "SystemKeepFree=1G\n"
              "SystemMaxFileSize=256M\n"
              "ForwardToSyslog=no\n"
              "ForwardToKMsg=no\n"
              "ForwardToConsole=no\n"
              "ForwardToWall=no\n")

    def __init__(self, name):
        self.name = name
        self.proc = None

    def paths(self, name=None):
        """The config file and the directories an instance called name owns."""
        name = name or self.name
        with open("/etc/machine-id") as f:
            machine = f.read().strip()
        return (f"/etc/systemd/journald@{name}.conf",
                [f"/run/systemd/journal.{name}", f"/var/log/journal/{machine}.{name}",
                 f"/run/log/journal/{machine}.{name}"])

    @property
    def socket_dir(self):
        return f"/run/systemd/journal.{self.name}"

    def remove_files(self, name=None):
        config, dirs = self.paths(name)
        for d in dirs:
            shutil.rmtree(d, ignore_errors=True)
        try:
            os.unlink(config)
        except FileNotFoundError:
            pass

    def remove_stale(self):
        """Files of instances whose test process is gone (killed before it could clean up)."""
        for config in os.listdir("/etc/systemd"):
            m = re.fullmatch(r"journald@" + re.escape(self.PREFIX) + r"(\d+)\.conf", config)
            if m and not os.path.exists(f"/proc/{m.group(1)}"):
                self.remove_files(self.PREFIX + m.group(1))

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def ensure_started(self):
        if not self.running():
            if self.proc is None:
                self.remove_stale()
                atexit.register(self.close)
            self.start()

    def start(self):
        """Starts the instance; returns once it accepts entries."""
        config, _ = self.paths()
        with open(config, "w") as f:
            f.write(self.CONFIG)
        binary = next(p for p in ("/lib/systemd/systemd-journald", "/usr/lib/systemd/systemd-journald")
                      if os.path.exists(p))
        if getattr(self, "log", None):  # a restart (the journald-going-away test) replaces it
            self.log.close()
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([binary, self.name], stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        deadline = time.monotonic() + 30
        while not self.accepts():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"systemd-journald {self.name} did not start (exit {self.proc.poll()})")
            time.sleep(0.05)
        # A namespace instance expects to be socket-activated: with no stream
        # client it exits after 30 s without entries (as while a daemon under test
        # compiles on a slow machine). An open stdout stream keeps it running.
        self.stream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.stream.connect(self.socket_dir + "/stdout")
        self.stream.sendall(b"opensnoopd-tests\n\n6\n0\n0\n0\n0\n")

    def describe(self):
        """What a failed test should show about this instance."""
        state = "not started" if self.proc is None else \
            f"pid {self.proc.pid}, " + ("running" if self.running() else f"exited {self.proc.returncode}")
        if self.proc is not None:
            self.log.seek(0)
            state += ", output: " + self.log.read()[-1000:].decode(errors="replace")
        last = subprocess.run(journalctl() + ["-n", "3", "-o", "short-monotonic"], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True).stdout
        return f"journald {self.name}: {state}; accepts: {self.accepts()}; last entries:\n{last}"

    def accepts(self):
        """Whether a journald listens on the socket (a socket file can outlive its journald)."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            s.connect(self.socket_dir + "/socket")
            return True
        except OSError:
            return False
        finally:
            s.close()

    def stop(self):
        """Stops this instance, and only it; returns once it is gone."""
        if self.running():
            self.stream.close()
            self.proc.terminate()
            self.proc.wait(timeout=30)

    def close(self):
        self.stop()
        if getattr(self, "log", None):
            self.log.close()
        self.remove_files()


_prctl = ctypes.CDLL(None, use_errno=True).prctl


def _die_with_parent():
    _prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG


JOURNAL = JournalNamespace(f"{JournalNamespace.PREFIX}{os.getpid()}")


def expected_mode():
    """The probe mode the daemon must pick here, when the environment says (the VM test)."""
    return os.environ.get("OPENSNOOPD_TEST_EXPECT_MODE")


def pinned_mode():
    """The Mode= every test daemon gets unless its configuration names one (OPENSNOOPD_TEST_MODE):
    the VM runs the suites in kprobe mode on one release and in auto's choice on the other."""
    return os.environ.get("OPENSNOOPD_TEST_MODE")


def detected_mode(stderr):
    """The mode the daemon says it traces with ("fentry", "kprobe" or "tracepoint")."""
    m = re.search(r"tracing opens with (\S+) on ", stderr)
    return m.group(1) if m else None


def route_tracepoints(text):
    """The tracepoints of the routes no open system call serves (io_uring's, exec's program
    file's and its interpreters', the latter raw), and of the cgroups' names (cgroup_mkdir,
    cgroup_rmdir), that the daemon's startup line, or its STATUS=, says are attached: in both
    modes."""
    names = []
    m = re.search(r"io_uring:(io_uring_submit_\w+),(io_uring_complete)", text)
    if m:
        names += [m.group(1), m.group(2)]
    if "sched:sched_process_exec" in text:
        names.append("sched_process_exec")
    if "raw:sched_process_exec" in text:
        names.append("sched_process_exec")
    if "cgroup:cgroup_mkdir,cgroup_rmdir" in text:
        names += ["cgroup_mkdir", "cgroup_rmdir"]
    return sorted(names)


def kprobe_links(text):
    """The hooks kprobe (or fentry) mode attaches, as the startup line or STATUS= names them: a
    pair on the open function, and one on each of open_by_handle_at's, execve's and execveat's
    system call functions (x86-64)."""
    return 2 + sum(2 for f in ("__x64_sys_open_by_handle_at", "__x64_sys_execve", "__x64_sys_execveat")
                   if re.search(rf"\b{f}\b", text))


def tracepoint_syscalls():
    """The system calls this kernel has syscalls: tracepoints for that tracepoint mode attaches
    (arm64 has no open nor creat): the open calls, and exec's, for its failures."""
    return [s for s in ("open", "openat", "openat2", "creat", "open_by_handle_at", "execve", "execveat")
            if os.path.exists(f"/sys/kernel/tracing/events/syscalls/sys_enter_{s}")]


def wait_until(predicate, timeout=60.0, interval=0.2):
    """Polls predicate until it returns something true or the timeout; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def field_bytes(entry, name):
    """A journal field as bytes: journalctl -o json gives a string, or a byte array for binary values."""
    v = entry.get(name)
    if v is None:
        return None
    if isinstance(v, list):
        if v and isinstance(v[0], list):  # a field sent twice
            raise AssertionError(f"{name} appears more than once")
        return bytes(v)
    return v.encode()


def field(entry, name):
    b = field_bytes(entry, name)
    return None if b is None else b.decode("utf-8", "surrogateescape")


_ESCAPE = re.compile(r"\\(\\|n|t|x[0-9a-f]{2}|u[0-9a-f]{4}|U[0-9a-f]{8})")


def unescape_display(text):
    """The bytes behind a path as OPEN_FILES= escapes it (escape.c's escape_for_display(), read
    independently of it): \\\\ \\n \\t \\xNN \\uNNNN \\UNNNNNNNN; as a str, surrogateescape'd."""
    out, at = bytearray(), 0
    for m in _ESCAPE.finditer(text):
        if "\\" in text[at:m.start()]:
            raise AssertionError(f"a lone backslash in {text!r}")
        out += text[at:m.start()].encode()
        e = m.group(1)
        out += {"\\": b"\\", "n": b"\n", "t": b"\t"}.get(e) or (
            bytes([int(e[1:], 16)]) if e[0] == "x" else chr(int(e[1:], 16)).encode())
        at = m.end()
    if "\\" in text[at:]:
        raise AssertionError(f"a lone backslash in {text!r}")
    out += text[at:].encode()
    return out.decode("utf-8", "surrogateescape")


def names_of(entry):
    """What an entry of opens stands for, name by name: dicts of count, first_usec (when its first open
    returned), path, abs_path (None where the entry has none), failed (an errno) and outcome. An entry of
    one name gives one; an entry of many (CoalesceNames=yes: OPEN_NAMES=) a line of its OPEN_FILES=
    each, whose columns are count, microseconds after OPEN_TIMESTAMP_USEC=, outcome, flags, system
    call, path, absolute path and notes, tab-separated."""
    first = int(field(entry, "OPEN_TIMESTAMP_USEC"))
    if "OPEN_FILES" not in entry:
        return [dict(count=int(field(entry, "OPEN_COUNT") or 1), first_usec=first, path=field(entry, "OPEN_PATH"),
                     abs_path=field(entry, "OPEN_ABS_PATH"), failed=field(entry, "OPEN_ERRNO") is not None,
                     outcome=field(entry, "OPEN_ERROR") or field(entry, "OPEN_FD"),
                     syscall=field(entry, "OPEN_SYSCALL"), interpreter=field(entry, "OPEN_EXEC_INTERPRETER"))]
    names = []
    for line in field(entry, "OPEN_FILES").split("\n"):
        count, after, outcome, _, syscall, path, abs_path, notes = line.split("\t", 7)
        notes = notes.split(",")
        names.append(dict(count=int(count), first_usec=first + int(after),
                          path=None if "no-path" in notes else unescape_display(path),
                          abs_path=unescape_display(abs_path) if abs_path else None,
                          failed=outcome.startswith("E"), outcome=outcome, syscall=syscall,
                          interpreter=next((n.split("=", 1)[1] for n in notes if n.startswith("interpreter=")),
                                           None)))
    if len(names) != int(field(entry, "OPEN_NAMES")) or sum(n["count"] for n in names) != int(field(entry, "OPEN_COUNT")):
        raise AssertionError(f"OPEN_FILES= does not add up to OPEN_NAMES= and OPEN_COUNT=: {entry}")
    return names


# An implementation of the flag names independent of src/output/open_names.c.
FLAG_NAMES = [(0o20200000, "O_TMPFILE"), (0o4010000, "O_SYNC"), (0o100, "O_CREAT"), (0o200, "O_EXCL"),
              (0o400, "O_NOCTTY"), (0o1000, "O_TRUNC"), (0o2000, "O_APPEND"), (0o4000, "O_NONBLOCK"),
              (0o10000, "O_DSYNC"), (0o200000, "O_DIRECTORY"), (0o400000, "O_NOFOLLOW"),
              (0o2000000, "O_CLOEXEC")]


def flags_text(flags):
    parts = [["O_RDONLY", "O_WRONLY", "O_RDWR"][flags & 3]]
    rest = flags & ~3
    for bits, name in FLAG_NAMES:
        if rest & bits == bits:
            parts.append(name)
            rest &= ~bits
    return "|".join(parts)


def own_cgroup_id():
    """The cgroup v2 id of this process (its cgroup directory's inode), or None without cgroup v2."""
    with open("/proc/mounts") as f:
        mounts = [l.split() for l in f]
    roots = [m[1] for m in mounts if m[2] == "cgroup2"]
    with open("/proc/self/cgroup") as f:
        path = [l.strip().split("::", 1)[1] for l in f if l.startswith("0::")]
    if not roots or not path:
        return None
    return os.stat(roots[0] + path[0]).st_ino


def check_open_entries(header, records, entries, daemon_pid=None, directory=None):
    """Compares journal entries with what the opener did. Returns a list of
    problems, empty when every open has exactly one entry and every field of it
    is right. With directory (the opener's, when the daemon builds absolute
    paths), a relative open's OPEN_ABS_PATH is checked too: the fields
    scenario opens relative to an fd of that directory."""
    problems = []
    cgroup = own_cgroup_id()
    by_key = {}
    for e in entries:
        by_key.setdefault((field_bytes(e, "OPEN_PATH"), field(e, "OPEN_SYSCALL")), []).append(e)

    def expect(what, got, want):
        if got != want:
            problems.append(f"{what}: got {got!r}, want {want!r}")

    for r in records:
        path = bytes.fromhex(r["path_hex"])
        where = f"{r['syscall']}({path[:50]!r})"
        matches = by_key.get((path, r["syscall"]), [])
        if len(matches) != 1:
            problems.append(f"{where}: {len(matches)} entries, want 1")
            continue
        e = matches[0]
        expect(f"{where} MESSAGE_ID", field(e, "MESSAGE_ID"), OPEN_MESSAGE_ID)
        expect(f"{where} SYSLOG_IDENTIFIER", field(e, "SYSLOG_IDENTIFIER"), "opensnoopd")
        expect(f"{where} OPEN_PID", field(e, "OPEN_PID"), str(header["pid"]))
        expect(f"{where} OPEN_TID", field(e, "OPEN_TID"), str(header["pid"]))
        expect(f"{where} OPEN_UID", field(e, "OPEN_UID"), str(header["uid"]))
        expect(f"{where} OPEN_GID", field(e, "OPEN_GID"), str(header["gid"]))
        expect(f"{where} OPEN_FLAGS", field(e, "OPEN_FLAGS"), hex(r["flags"]))
        expect(f"{where} OPEN_FLAGS_TEXT", field(e, "OPEN_FLAGS_TEXT"), flags_text(r["flags"]))
        expect(f"{where} OPEN_MODE", field(e, "OPEN_MODE"), "%04o" % r["mode"] if r["flags"] & 0o100 else None)
        if r["result"] >= 0:
            expect(f"{where} OPEN_FD", field(e, "OPEN_FD"), str(r["result"]))
            expect(f"{where} PRIORITY", field(e, "PRIORITY"), "6")
            expect(f"{where} OPEN_ERRNO", field(e, "OPEN_ERRNO"), None)
            want_tail = f" = {r['result']}"
        else:
            name = errno.errorcode[-r["result"]]
            expect(f"{where} OPEN_ERRNO", field(e, "OPEN_ERRNO"), str(-r["result"]))
            expect(f"{where} OPEN_ERROR", field(e, "OPEN_ERROR"), name)
            expect(f"{where} PRIORITY", field(e, "PRIORITY"), "5")
            expect(f"{where} OPEN_FD", field(e, "OPEN_FD"), None)
            want_tail = ": " + name
        relative = path and not path.startswith(b"/") and r["dirfd"] != -100
        expect(f"{where} OPEN_DIRFD", field(e, "OPEN_DIRFD"), str(r["dirfd"]) if relative else None)
        if directory is not None:
            want = os.path.realpath(directory).encode() + b"/" + path if path and path[:1] != b"/" else None
            expect(f"{where} OPEN_ABS_PATH", field_bytes(e, "OPEN_ABS_PATH"), want)
        ts = int(field(e, "OPEN_TIMESTAMP_USEC") or 0)
        if not r["before_us"] - 5000 <= ts <= r["after_us"] + 5000:
            problems.append(f"{where} OPEN_TIMESTAMP_USEC {ts} outside [{r['before_us']}, {r['after_us']}]")
        if cgroup is not None:
            expect(f"{where} OPEN_CGROUP_ID", field(e, "OPEN_CGROUP_ID"), str(cgroup))
        message = field(e, "MESSAGE") or ""
        if "\n" in message or not message.startswith(f"{field(e, 'OPEN_COMM')}[{header['pid']}] ") \
                or not message.endswith(want_tail):
            problems.append(f"{where} MESSAGE {message[:120]!r}")
        if daemon_pid is not None:
            expect(f"{where} _PID", field(e, "_PID"), str(daemon_pid))
    if len(entries) != len(records):
        problems.append(f"{len(entries)} entries for {len(records)} opens")
    return problems


# Queries read the tests' own journal unless told otherwise (the VM's service
# checks read the system journal: namespace=None).
_OURS = object()


def journalctl(namespace=_OURS):
    ns = JOURNAL.name if namespace is _OURS else namespace
    return ["journalctl", "--no-pager"] + ([f"--namespace={ns}"] if ns else [])


# Debian 13's journalctl (systemd 257) now and then leaves out the very file
# journald is writing: it compares the header's arena size, read live, with
# the file size it read a moment before, and when journald has just grown the
# file it takes the file for truncated and skips it, exit 0 and no word of it
# but at debug level (systemd issues #40053, #41992). Measured in Debian 13's
# VM: a query right after a sentinel answered "no entries" while the entries
# had been in the file for 0.6 s; the same query a moment later found them.
SKIPPED_FILE = re.compile(rb"is truncated, ignoring file|Failed to open journal file")
QUERY_TRIES = 50


def run_journalctl(args, namespace=_OURS):
    """journalctl's output over every journal file. A failed query raises rather
    than reading as "no entries"; one that skipped a file is asked again."""
    env = dict(os.environ, SYSTEMD_LOG_LEVEL="debug")  # the only level at which journalctl says it skipped a file
    for _ in range(QUERY_TRIES):
        r = subprocess.run(journalctl(namespace) + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        if r.returncode != 0:
            raise AssertionError(f"journalctl {' '.join(args)[:200]}: exit {r.returncode}: "
                                 f"{r.stderr.decode(errors='replace')[-500:]}")
        skipped = SKIPPED_FILE.search(r.stderr)
        if not skipped:
            return r.stdout
        print("journalctl skipped a journal file (it read as truncated); asking again", file=sys.stderr, flush=True)
        time.sleep(0.05)
    line = r.stderr[:skipped.end()].rsplit(b"\n", 1)[-1].decode(errors="replace")
    raise AssertionError(f"journalctl {' '.join(args)[:200]}: skipped a journal file {QUERY_TRIES} times: {line}")


def journal(*matches, namespace=_OURS):
    """Entries matching FIELD=value terms, oldest first."""
    out = run_journalctl(["-o", "json", "--all"] + list(matches), namespace)
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def wait_journal(matches, count, timeout=60.0, namespace=_OURS):
    """Polls until at least count entries match (journald writes asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        entries = journal(*matches, namespace=namespace)
        if len(entries) >= count or time.monotonic() > deadline:
            return entries
        time.sleep(0.3)


def bpf_links_of(pid):
    """(prog ids, perf links) the process holds, from bpftool perf list."""
    out = subprocess.run(["bpftool", "perf", "list", "-j"], stdout=subprocess.PIPE, text=True).stdout
    links = [l for l in json.loads(out or "[]") if l.get("pid") == pid]
    return {l["prog_id"] for l in links}, links


def trampoline_links_of(pid):
    """The fentry/fexit links the process holds, from its fds' fdinfo: BPF links of type
    tracing, which bpftool perf list does not show. Each as its prog_id (an int)."""
    links = []
    fdinfo = f"/proc/{pid}/fdinfo"
    for fd in os.listdir(fdinfo) if os.path.isdir(fdinfo) else ():
        try:
            with open(os.path.join(fdinfo, fd)) as f:
                info = f.read()
        except OSError:
            continue
        if re.search(r"^link_type:\s+tracing$", info, re.M):
            m = re.search(r"^prog_id:\s+(\d+)$", info, re.M)
            links.append(int(m.group(1)) if m else None)
    return links


def trampolines_attach():
    """Whether this kernel attaches BPF trampolines (fentry/fexit) to do_sys_openat2, asked of
    bench/hookcost, which tries with programs of its own: an oracle beside the daemon's own test."""
    out = subprocess.run([HOOKCOST, "/", "100", "1"], stdout=subprocess.PIPE, text=True, check=True).stdout
    return "unavailable" not in json.loads(out)["fentry+fexit"]


def kernel_preemption():
    """"voluntary" (none too), "full" (lazy, RT too) or None: whether this kernel may preempt a
    task inside kernel code, read as the daemon reads it (src/probe/preemption.c), so that a test
    knows whether Mode=auto may take fentry here: debugfs's sched/preempt if readable, else
    preempt= on a PREEMPT_DYNAMIC kernel, else the build's CONFIG_PREEMPT* default."""
    models = {"none": "voluntary", "voluntary": "voluntary", "full": "full", "lazy": "full"}
    try:
        with open("/sys/kernel/debug/sched/preempt") as f:
            m = re.search(r"\((\w+)\)", f.read())
        if m and m.group(1) in models:
            return models[m.group(1)]
    except OSError:
        pass
    try:
        with open(f"/boot/config-{os.uname().release}") as f:
            config = set(re.findall(r"^(CONFIG_PREEMPT\w*)=y$", f.read(), re.M))
    except OSError:
        return None
    if "CONFIG_PREEMPT_RT" in config:
        return "full"
    if "CONFIG_PREEMPT_DYNAMIC" in config:
        with open("/proc/cmdline") as f:
            given = re.findall(r"(?:^|\s)preempt=(\w+)", f.read())
        if given and given[-1] in models:
            return models[given[-1]]
    if config & {"CONFIG_PREEMPT", "CONFIG_PREEMPT_LAZY"}:
        return "full"
    if config & {"CONFIG_PREEMPT_VOLUNTARY", "CONFIG_PREEMPT_NONE"}:
        return "voluntary"
    return None


def loaded_prog_ids():
    out = subprocess.run(["bpftool", "prog", "show", "-j"], stdout=subprocess.PIPE, text=True).stdout
    return {p["id"] for p in json.loads(out or "[]")}


def opens_reported(output):
    """How many opens a burst or burst-for run of the opener says it made."""
    return json.loads(output.strip().splitlines()[-1])["opens"]


def public_dir(workdir):
    """A directory in workdir where an ordinary user may make files."""
    public = os.path.join(workdir, "public")
    os.mkdir(public)
    os.chmod(workdir, 0o755)
    os.chmod(public, 0o777)
    return public


def run_opener(comm, directory, *scenario):
    """Runs the opener; returns its header (pid, uid, gid) and one record per open."""
    out = subprocess.run([OPENER, comm, directory] + list(scenario), stdout=subprocess.PIPE,
                         check=True, text=True).stdout
    lines = [json.loads(l) for l in out.splitlines()]
    return lines[0], lines[1:]


class Daemon:
    """opensnoopd started as a service would start it, with our own NOTIFY_SOCKET
    so that READY=1 and STATUS= are observed for real."""

    def __init__(self, workdir, config_text, args=(), env=None):
        self.workdir = workdir
        self.config = os.path.join(workdir, "opensnoopd.conf")
        self.write_config(config_text)
        self.notify_path = tempfile.mktemp(prefix="notify-", dir=workdir)
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(self.notify_path)
        self.notify.settimeout(0.2)
        self.messages = []
        self.arrivals = []  # time.monotonic() of each message's arrival
        self.lock = threading.Lock()
        self.notify_closed = False
        self.reader = threading.Thread(target=self._drain_notify, daemon=True)
        self.reader.start()
        self.stderr_path = self.notify_path + ".stderr"
        self.stdout_path = self.notify_path + ".stdout"
        # a state directory of its own: a loss report one daemon keeps is read by the next of the same test only
        more = dict(env or {})
        more.setdefault("STATE_DIRECTORY", os.path.join(workdir, "state"))
        # the journal it writes to is the tests' namespace, as systemd says with LogNamespace=: its
        # rate limit (off) is the one that applies, not the system journal's (on a machine where
        # systemd is PID 1 that one would make every stop after a flood wait out its interval)
        more.setdefault("LOG_NAMESPACE", JOURNAL.name)
        env = dict(os.environ, NOTIFY_SOCKET=self.notify_path, **more)
        # In a mount namespace of its own, the daemon finds the tests' journald
        # where sd_journal_send() looks: its socket directory (not the socket file,
        # which a restarted journald replaces) over /run/systemd/journal. unshare
        # and sh exec, so the process is the daemon's: same pid.
        os.makedirs("/run/systemd/journal", exist_ok=True)
        command = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
                   'mount --bind "$0" /run/systemd/journal && exec "$@"', JOURNAL.socket_dir,
                   DAEMON, "-c", self.config] + list(args)
        self.started = time.monotonic()
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(command, env=env, stdout=out, stderr=err)
        self.pid = self.proc.pid

    def write_config(self, text):
        # Folding (on by default) makes one entry of many opens; the tests that
        # count an entry per open run without it, those about folding set it.
        if "Coalesce=" not in text:
            text += "\n[Output]\nCoalesce=no\n"
        if pinned_mode() and "Mode=" not in text:
            text += f"\n[Probe]\nMode={pinned_mode()}\n"
        tmp = self.config + ".new"
        with open(tmp, "w") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.rename(tmp, self.config)

    def _drain_notify(self):
        # Read every notification as it comes, as systemd does: a receiver that
        # lags makes sd_notify() block in the daemon.
        while not self.notify_closed:
            try:
                msg = self.notify.recv(4096).decode()
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.messages.append(msg)
                self.arrivals.append(time.monotonic())

    def wait_for(self, key, timeout=120.0, after=0):
        """Waits for a notification (from index after on) containing key (READY=1, ...);
        None if the daemon exits first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                found = [m for m in self.messages[after:] if key in m.split("\n")]
            if found:
                return found[0]
            if self.proc.poll() is not None:
                return None
            time.sleep(0.05)
        return None

    def arrival(self, key):
        """When (time.monotonic()) the first notification containing key came, or None."""
        with self.lock:
            return next((t for t, m in zip(self.arrivals, self.messages) if key in m.split("\n")), None)

    def message_count(self):
        with self.lock:
            return len(self.messages)

    def wait_ready(self, timeout=300.0):
        # generous: under emulation a start (clang, then the verifier) took over 120 s on a busy host
        if self.wait_for("READY=1", timeout) is None:
            raise AssertionError("opensnoopd did not become ready:\n" + self.stderr())
        self.ready_after = time.monotonic() - self.started

    def latest_status(self):
        with self.lock:
            status = [m for m in self.messages if m.startswith("STATUS=")]
        return status[-1] if status else ""

    def settle(self, generated, timeout=180):
        """Waits until STATUS= accounts for `generated` opens (written, lost or
        undelivered), or the timeout; returns the counters."""
        deadline = time.monotonic() + timeout
        while True:
            counters = parse_status(self.latest_status())
            if sum(counters.get(k, 0) for k in ("written", "lost", "undelivered")) >= generated \
                    or time.monotonic() > deadline:
                return counters
            time.sleep(0.2)

    def stderr(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        self.proc.send_signal(sig)
        start = time.monotonic()
        rc = self.proc.wait(timeout=timeout)
        self.stop_seconds = time.monotonic() - start
        self.close_notify()
        return rc

    def close_notify(self):
        self.notify_closed = True
        self.reader.join()
        self.notify.close()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if not self.notify_closed:
            self.close_notify()


class DaemonTestCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_environment(cls)

    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="opensnoopd-test-")
        self.daemons = []

    def tearDown(self):
        for d in self.daemons:
            d.kill()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def start(self, config_text="", args=(), ready=True, env=None):
        """A daemon under test; env: more environment (what systemd would set: RUNTIME_DIRECTORY=, ...)."""
        d = Daemon(self.workdir, config_text, args, env)
        self.daemons.append(d)
        if ready:
            d.wait_ready()
        return d

    def unique(self, stem):
        """A comm name no other test run uses (15 bytes at most)."""
        return f"{stem}{os.getpid() % 10000}{int(time.time() * 1000) % 10000}"[:15]

    def marker(self):
        """A path no open has used: a sentinel's."""
        self.markers = getattr(self, "markers", 0) + 1
        return os.path.join(self.workdir, f"sentinel-{self.markers}-{time.monotonic_ns()}")

    def sentinel(self, comm, scenario="paths"):
        """Opens a fresh marker path as comm (a failed read-only open; scenario
        "create" makes it a write) and waits until the daemon has written its
        entry. Everything the daemon saw before the marker has been written or
        dropped by then, so a test may count, or assert an absence, at once.
        Returns the marker's path; its entry is one more for comm."""
        path = self.marker()
        run_opener(comm, self.workdir, scenario, path.encode().hex())
        entries = wait_journal([f"OPEN_PATH={path}"], 1, timeout=120)
        self.assertEqual(len(entries), 1, f"the sentinel {path} reached the journal once\n" + self.describe())
        return path

    def describe(self):
        """The state of the tests' journald and of the daemons, for a failure's message."""
        text = JOURNAL.describe()
        for d in self.daemons:
            text += f"\ndaemon {d.pid} ({d.proc.poll()}): {d.latest_status()}\n{d.stderr()[-1500:]}"
        return text


def record_figures(scenario, **figures):
    """Keeps what a test measured in BUILD/reliability.json, for docs/reliability.md."""
    path = os.path.join(BUILD, "reliability.json")
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError):
        data = {}
    data[scenario] = figures
    with open(path, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)


def rss_kb(pid, what="VmRSS"):
    """A process's resident memory (or one part of it: RssAnon, RssFile), in kB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(what + ":"):
                return int(line.split()[1])
    return None


def largest_mappings(pid, n=5):
    """The n mappings with the most resident memory, "RSS kB path" each (/proc/PID/smaps)."""
    found, name = [], ""
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            fields = line.split()
            if fields and "-" in fields[0] and not fields[0].endswith(":"):
                name = fields[5] if len(fields) > 5 else "[anon]"
            elif fields and fields[0] == "Rss:":
                found.append((int(fields[1]), name))
    return [f"{kb} kB {path}" for kb, path in sorted(found, reverse=True)[:n]]


def parse_stopped(stderr):
    """The counters of the daemon's last words ("stopped: N written, ..."), as a dict."""
    lines = [l for l in stderr.splitlines() if "stopped: " in l]
    if not lines:
        return None
    return {k: int(v) for v, k in re.findall(r"(\d+) (written|filtered|lost|undelivered)", lines[-1])}


def parse_status(status):
    """The counters of a STATUS= line, as a dict."""
    return {k: int(v) for v, k in re.findall(r"(\d+) (written|filtered|lost|undelivered)", status)}


def loss_reports(daemon_pid):
    """Sums of OPEN_LOST and OPEN_UNDELIVERED over the daemon's loss reports."""
    lost = undelivered = 0
    for e in journal(f"MESSAGE_ID={LOSS_MESSAGE_ID}", f"_PID={daemon_pid}"):
        lost += int(field(e, "OPEN_LOST") or 0)
        undelivered += int(field(e, "OPEN_UNDELIVERED") or 0)
    return lost, undelivered


def count_opens(*matches):
    """How many opens the matching entries stand for (OPEN_COUNT=, 1 where absent: folding off), without
    decoding them all as JSON: an entry of many names (CoalesceNames=yes) counts all of its opens."""
    out = run_journalctl(["-o", "export", "--output-fields=OPEN_COUNT"] + list(matches))
    total = 0
    for entry in out.split(b"\n\n"):
        if entry.strip():
            m = re.search(rb"^OPEN_COUNT=(\d+)$", entry, re.M)
            total += int(m.group(1)) if m else 1
    return total


def count_entries(*matches):
    """How many entries match, without decoding them all as JSON."""
    out = run_journalctl(["-o", "export", "--output-fields=OPEN_PID"] + list(matches))
    return out.count(b"\n__CURSOR=") + out.startswith(b"__CURSOR=")


