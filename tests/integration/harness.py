# SPDX-License-Identifier: MIT
"""Shared pieces of the integration tests: the real daemon, the real kernel,
the real journald. Nothing here stands in for any of them."""

import errno
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

BUILD = os.environ.get("OPENSNOOPD_BUILD", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
DAEMON = os.path.abspath(os.path.join(BUILD, "opensnoopd"))
OPENER = os.path.abspath(os.path.join(BUILD, "tests", "opener"))
OPEN_MESSAGE_ID = "e0c0158eb2c1484eb4e67cee89d40b10"
LOSS_MESSAGE_ID = "58bd4eaad71a43d79f78ff1baa05e4da"


def require_environment(case):
    """Root, tracefs, journald: started if missing (CI ends whatever a session left)."""
    if os.geteuid() != 0:
        raise unittest.SkipTest("SKIPPED LOUDLY: integration tests need root (BPF); run them as root")
    if not os.path.exists("/sys/kernel/tracing/events"):
        subprocess.run(["mount", "-t", "tracefs", "nodev", "/sys/kernel/tracing"], check=True)
    # the process, not the socket: a socket can outlive its journald
    if subprocess.run(["pgrep", "-x", "systemd-journal"], stdout=subprocess.DEVNULL).returncode != 0:
        setup = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "setup-host")
        subprocess.run([setup], check=True)


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


# An implementation of the flag names independent of src/open_names.c.
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
    mounts = [l.split() for l in open("/proc/mounts")]
    roots = [m[1] for m in mounts if m[2] == "cgroup2"]
    path = [l.strip().split("::", 1)[1] for l in open("/proc/self/cgroup") if l.startswith("0::")]
    if not roots or not path:
        return None
    return os.stat(roots[0] + path[0]).st_ino


def check_open_entries(header, records, entries, daemon_pid=None):
    """Compares journal entries with what the opener did. Returns a list of
    problems, empty when every open has exactly one entry and every field of it
    is right."""
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


def journal(*matches, since_cursor=None):
    """Entries matching FIELD=value terms, oldest first."""
    cmd = ["journalctl", "--no-pager", "-o", "json", "--all"]
    if since_cursor:
        cmd.append("--after-cursor=" + since_cursor)
    out = subprocess.run(cmd + list(matches), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def wait_journal(matches, count, timeout=20.0):
    """Polls until at least count entries match (journald writes asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        entries = journal(*matches)
        if len(entries) >= count or time.monotonic() > deadline:
            return entries
        time.sleep(0.3)


def journal_cursor():
    out = subprocess.run(["journalctl", "--no-pager", "-n", "0", "--show-cursor"],
                         stdout=subprocess.PIPE, text=True).stdout
    for line in out.splitlines():
        if line.startswith("-- cursor: "):
            return line[len("-- cursor: "):]
    return None


def bpf_links_of(pid):
    """(prog ids, perf links) the process holds, from bpftool perf list."""
    out = subprocess.run(["bpftool", "perf", "list", "-j"], stdout=subprocess.PIPE, text=True).stdout
    links = [l for l in json.loads(out or "[]") if l.get("pid") == pid]
    return {l["prog_id"] for l in links}, links


def loaded_prog_ids():
    out = subprocess.run(["bpftool", "prog", "show", "-j"], stdout=subprocess.PIPE, text=True).stdout
    return {p["id"] for p in json.loads(out or "[]")}


def opens_reported(output):
    """How many opens a burst or burst-for run of the opener says it made."""
    return json.loads(output.strip().splitlines()[-1])["opens"]


def run_opener(comm, directory, *scenario):
    """Runs the opener; returns its header (pid, uid, gid) and one record per open."""
    out = subprocess.run([OPENER, comm, directory] + list(scenario), stdout=subprocess.PIPE,
                         check=True, text=True).stdout
    lines = [json.loads(l) for l in out.splitlines()]
    return lines[0], lines[1:]


class Daemon:
    """opensnoopd started as a service would start it, with our own NOTIFY_SOCKET
    so that READY=1 and STATUS= are observed for real."""

    def __init__(self, workdir, config_text, args=()):
        self.workdir = workdir
        self.config = os.path.join(workdir, "opensnoopd.conf")
        self.write_config(config_text)
        self.notify_path = tempfile.mktemp(prefix="notify-", dir=workdir)
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(self.notify_path)
        self.notify.settimeout(0.2)
        self.messages = []
        self.lock = threading.Lock()
        self.notify_closed = False
        self.reader = threading.Thread(target=self._drain_notify, daemon=True)
        self.reader.start()
        self.stderr_path = self.notify_path + ".stderr"
        self.stdout_path = self.notify_path + ".stdout"
        env = dict(os.environ, NOTIFY_SOCKET=self.notify_path)
        self.started = time.monotonic()
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen([DAEMON, "-c", self.config] + list(args), env=env, stdout=out, stderr=err)
        self.pid = self.proc.pid

    def write_config(self, text):
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

    def message_count(self):
        with self.lock:
            return len(self.messages)

    def wait_ready(self, timeout=120.0):
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

    def start(self, config_text="", args=(), ready=True):
        d = Daemon(self.workdir, config_text, args)
        self.daemons.append(d)
        if ready:
            d.wait_ready()
        return d

    def unique(self, stem):
        """A comm name no other test run uses (15 bytes at most)."""
        return f"{stem}{os.getpid() % 10000}{int(time.time() * 1000) % 10000}"[:15]


def record_figures(scenario, **figures):
    """Keeps what a test measured in BUILD/reliability.json, for the README's table."""
    path = os.path.join(BUILD, "reliability.json")
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError):
        data = {}
    data[scenario] = figures
    with open(path, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


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


def count_entries(*matches):
    """How many entries match, without decoding them all as JSON."""
    out = subprocess.run(["journalctl", "--no-pager", "-o", "export", "--output-fields=OPEN_PID"] + list(matches),
                         stdout=subprocess.PIPE).stdout
    return out.count(b"\n__CURSOR=") + out.startswith(b"__CURSOR=")


def start_journald():
    setup = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "setup-host")
    subprocess.run([setup], check=True, stderr=subprocess.DEVNULL)


def stop_journald():
    subprocess.run(["pkill", "-x", "systemd-journal"])
    for _ in range(100):
        if subprocess.run(["pgrep", "-x", "systemd-journal"], stdout=subprocess.DEVNULL).returncode != 0:
            return
        time.sleep(0.05)
