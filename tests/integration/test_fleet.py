# SPDX-License-Identifier: MIT
"""Collecting opensnoopd's record from many machines with systemd's own
shipper: systemd-journal-upload reads the journal opensnoopd writes to and
sends it over HTTPS (a CA made for the test) to systemd-journal-remote on
loopback, which writes journal files that `journalctl -D` queries like a local
journal. Everything is real: the daemon, the kernel, journald (a namespace of
our own, so the upload carries only this test's entries and the host's
journald is left alone), the collector and the uploader.

Asserted: every OPEN_* field of a set of opens (every kind of open, a
non-UTF-8 path and a 4,095-byte path) arrives byte for byte and is queryable
by OPEN_COMM= and OPEN_PATH=; the uploader refuses a server its CA did not
sign; after the collector is stopped and started again, the uploader resumes
from its cursor file and the collector ends with every entry of the source
journal, none lost. systemd 252's uploader sends the entry its saved cursor
names a second time when it starts again on that state: that one entry, and no
other, may be at the collector twice."""

import collections
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

import harness
from harness import check_open_entries, field, field_bytes, require_environment, run_opener

REMOTE = "/lib/systemd/systemd-journal-remote"
UPLOAD = "/lib/systemd/systemd-journal-upload"
JOURNALD = "/lib/systemd/systemd-journald"
# Fields the collector sets itself: the position in its own file, not part of the entry.
LOCAL_FIELDS = {"__CURSOR", "__SEQNUM", "__SEQNUM_ID"}


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.2)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def entries_in(directory, *matches):
    """Every entry of the journal files in directory (matching FIELD=value terms), oldest first."""
    out = subprocess.run(["journalctl", "--no-pager", "-o", "json", "--all", "-D", directory] + list(matches),
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def identity(entry):
    """An entry as the source wrote it: every field but the file-local position."""
    return json.dumps({k: v for k, v in entry.items() if k not in LOCAL_FIELDS}, sort_keys=True)


def make_ca(directory):
    """A CA, a server certificate for 127.0.0.1 and a client certificate it signed, and a
    second CA that signed nothing. Returns the file names."""
    def run(*args):
        subprocess.run(["openssl"] + list(args), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    files = {k: os.path.join(directory, k) for k in ("ca.key", "ca.pem", "other-ca.key", "other-ca.pem", "ext")}
    files.update({f"{who}.{ext}": os.path.join(directory, f"{who}.{ext}")
                  for who in ("server", "client") for ext in ("key", "csr", "pem")})
    for ca in ("ca", "other-ca"):
        run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN=opensnoopd test {ca}",
            "-keyout", files[f"{ca}.key"], "-out", files[f"{ca}.pem"])
    with open(files["ext"], "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\n")
    for who in ("server", "client"):
        run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", files[f"{who}.key"],
            "-out", files[f"{who}.csr"])
        run("x509", "-req", "-days", "2", "-in", files[f"{who}.csr"], "-CA", files["ca.pem"], "-CAkey",
            files["ca.key"], "-CAcreateserial", "-out", files[f"{who}.pem"], "-extfile", files["ext"])
    return files


class Namespace:
    """A journald namespace of our own: systemd-journald NAME, listening on
    /run/systemd/journal.NAME/socket. A namespaced journald exits when idle for
    a while unless a stream client is connected, so one is kept open."""

    def __init__(self, name):
        self.name = name
        self.run_dir = f"/run/systemd/journal.{name}"
        self.socket = os.path.join(self.run_dir, "socket")
        self.proc = subprocess.Popen([JOURNALD, name], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        wait_until(lambda: os.path.exists(os.path.join(self.run_dir, "stdout")) or self.proc.poll() is not None,
                   20, f"journald namespace {name} to listen")
        if self.proc.poll() is not None:
            raise AssertionError(f"systemd-journald {name} exited with {self.proc.returncode}")
        self.keepalive = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.keepalive.connect(os.path.join(self.run_dir, "stdout"))
        # the stream protocol's header: identifier, unit, priority, level prefix, three forwards
        self.keepalive.sendall(b"opensnoopd-fleet-test\n\n6\n0\n0\n0\n0\n")
        with open("/etc/machine-id") as f:
            machine_id = f.read().strip()
        candidates = [f"/var/log/journal/{machine_id}.{name}", f"/run/log/journal/{machine_id}.{name}"]
        self.directory = wait_until(lambda: next((c for c in candidates if os.path.isdir(c)), None), 20,
                                    f"the journal directory of namespace {name}")

    def stop(self):
        self.keepalive.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
        shutil.rmtree(self.directory, ignore_errors=True)
        shutil.rmtree(self.run_dir, ignore_errors=True)


class Collector:
    """systemd-journal-remote on loopback, HTTPS with the test CA's server certificate."""

    def __init__(self, port, output, tls, log):
        self.port = port
        self.proc = subprocess.Popen([REMOTE, f"--listen-https=127.0.0.1:{port}", f"--key={tls['server.key']}",
                                      f"--cert={tls['server.pem']}", f"--output={output}/"],
                                     stdout=log, stderr=log, start_new_session=True)

        def listening():
            if self.proc.poll() is not None:
                raise AssertionError(f"systemd-journal-remote exited with {self.proc.returncode}")
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", port)) == 0

        wait_until(listening, 20, "systemd-journal-remote to listen")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            return self.proc.wait(timeout=30)
        return self.proc.returncode


class FleetTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_environment(cls)
        for tool in (REMOTE, UPLOAD, "/usr/bin/openssl"):
            if not os.access(tool, os.X_OK):
                raise AssertionError(f"{tool} is missing: scripts/setup-host installs it "
                                     "(systemd-journal-remote, openssl)")

    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="opensnoopd-fleet-")
        self.stack = []
        self.namespace = Namespace(f"osfleet{os.getpid()}")
        self.stack.append(self.namespace.stop)
        self.tls = make_ca(self.workdir)
        self.output = os.path.join(self.workdir, "collected")
        os.mkdir(self.output)
        self.log = open(os.path.join(self.workdir, "tools.log"), "ab")
        self.stack.append(self.log.close)
        self.state = os.path.join(self.workdir, "upload-state")
        self.port = free_port()
        self.uploaders = []

    def tearDown(self):
        for u in self.uploaders:
            if u.poll() is None:
                u.terminate()
                u.wait(timeout=30)
        for undo in reversed(self.stack):
            undo()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def tools_log(self):
        self.log.flush()
        with open(os.path.join(self.workdir, "tools.log"), "rb") as f:
            return f.read().decode(errors="replace")[-3000:]

    def start_daemon(self, comms):
        """The built opensnoopd, in a mount namespace where the journal socket is our namespace's."""
        wrapper = os.path.join(self.workdir, "opensnoopd-in-namespace")
        with open(wrapper, "w") as f:
            f.write("#!/bin/sh\nexec unshare -m sh -c 'mount --bind \"$0\" /run/systemd/journal/socket && "
                    f"exec \"$@\"' {self.namespace.socket} {harness.DAEMON} \"$@\"\n")
        os.chmod(wrapper, 0o755)
        real, harness.DAEMON = harness.DAEMON, wrapper
        try:
            d = harness.Daemon(self.workdir, "[Filter]\nCommands=" + " ".join(comms) + "\n")
        finally:
            harness.DAEMON = real
        self.stack.append(d.kill)
        d.wait_ready()
        return d

    def start_collector(self):
        c = Collector(self.port, self.output, self.tls, self.log)
        self.stack.append(c.stop)
        return c

    def start_uploader(self, trust=None):
        """journal-upload as its unit runs it: following the journal, saving its cursor."""
        u = subprocess.Popen([UPLOAD, f"--url=https://127.0.0.1:{self.port}", f"--trust={trust or self.tls['ca.pem']}",
                              f"--key={self.tls['client.key']}", f"--cert={self.tls['client.pem']}",
                              f"--directory={self.namespace.directory}", f"--save-state={self.state}",
                              "--follow=yes"], stdout=self.log, stderr=self.log, start_new_session=True)
        self.uploaders.append(u)
        return u

    def saved_cursor(self):
        """LAST_CURSOR from journal-upload's state file, or None."""
        try:
            with open(self.state) as f:
                lines = [l.strip() for l in f if l.startswith("LAST_CURSOR=")]
        except FileNotFoundError:
            return None
        return lines[-1][len("LAST_CURSOR="):] if lines else None

    def collected(self, *matches):
        return entries_in(self.output, *matches)

    def wait_collected(self, matches, count, timeout=60):
        return wait_until(lambda: (lambda e: e if len(e) >= count else None)(self.collected(*matches)), timeout,
                          f"{count} entries matching {matches} at the collector\n{self.tools_log()}")

    def assert_same_as_source(self, source, collected):
        """Each collected entry is its source entry, every field byte for byte."""
        by_cursor = {}
        for e in source:
            by_cursor[(e["_BOOT_ID"], e["__REALTIME_TIMESTAMP"], e["__MONOTONIC_TIMESTAMP"])] = e
        for e in collected:
            s = by_cursor.get((e["_BOOT_ID"], e["__REALTIME_TIMESTAMP"], e["__MONOTONIC_TIMESTAMP"]))
            self.assertIsNotNone(s, f"collected entry with no source: {field(e, 'MESSAGE')!r}")
            self.assertEqual(identity(e), identity(s))

    def test_upload_keeps_every_field_and_resumes_after_the_collector_restarts(self):
        d1, d2 = os.path.join(self.workdir, "a"), os.path.join(self.workdir, "b")
        os.mkdir(d1)
        os.mkdir(d2)
        comms = {k: f"fl{k}{os.getpid() % 100000}" for k in ("fields", "bytes", "down", "after")}
        daemon = self.start_daemon(comms.values())
        collector = self.start_collector()

        # A server certificate the uploader's CA did not sign is refused, nothing is sent.
        refused = self.start_uploader(trust=self.tls["other-ca.pem"])
        self.assertNotEqual(refused.wait(timeout=60), 0, "upload to an untrusted server must fail")
        self.assertEqual(self.collected(), [])
        self.assertIsNone(self.saved_cursor())

        uploader = self.start_uploader()
        # 1. every kind of open, a 4,095-byte path, a newline; then names that are not UTF-8
        fields_header, fields_records = run_opener(comms["fields"], d1, "fields")
        bad = [os.path.join(d1, "bad").encode() + b"\xff\xfe\x80 name", os.path.join(d1, "lat1-").encode() + b"caf\xe9",
               b"/" + b"\xc3" * 100]
        bytes_header, bytes_records = run_opener(comms["bytes"], d1, "paths", *[p.hex() for p in bad])
        self.assertEqual(max(len(bytes.fromhex(r["path_hex"])) for r in fields_records), 4095)

        got = self.wait_collected([f"OPEN_COMM={comms['fields']}"], len(fields_records))
        self.assertEqual(check_open_entries(fields_header, fields_records, got, daemon_pid=daemon.pid), [])
        got = self.wait_collected([f"OPEN_COMM={comms['bytes']}"], len(bad))
        self.assertEqual(check_open_entries(bytes_header, bytes_records, got, daemon_pid=daemon.pid), [])
        self.assertEqual(sorted(field_bytes(e, "OPEN_PATH") for e in got), sorted(bad))
        source = entries_in(self.namespace.directory, f"OPEN_COMM={comms['fields']}") + \
            entries_in(self.namespace.directory, f"OPEN_COMM={comms['bytes']}")
        self.assertEqual(len(source), len(fields_records) + len(bad))
        self.assert_same_as_source(source, self.collected(f"OPEN_COMM={comms['fields']}") +
                                   self.collected(f"OPEN_COMM={comms['bytes']}"))

        # queryable at the collector exactly as locally: by exact path, long and non-UTF-8 ones too
        opened = collections.Counter(bytes.fromhex(r["path_hex"]) for r in fields_records + bytes_records)
        for path, times in opened.items():
            if not path:
                continue
            match = subprocess.run(["journalctl", "--no-pager", "-o", "export", "-D", self.output,
                                    b"OPEN_PATH=" + path], stdout=subprocess.PIPE).stdout
            self.assertEqual(match.count(b"\n__CURSOR=") + match.startswith(b"__CURSOR="), times,
                             f"journalctl -D OPEN_PATH={path[:60]!r}")

        # 2. the collector goes away; opens go on; it comes back
        self.assertEqual(collector.stop(), 0)
        down_header, down_records = run_opener(comms["down"], d2, "fields")
        wait_until(lambda: len(entries_in(self.namespace.directory, f"OPEN_COMM={comms['down']}"))
                   == len(down_records), 30, "the opens made while the collector was down in the source journal")
        # the uploader fails on the first entry it cannot send; its unit restarts it (Restart=on-failure)
        rc = uploader.wait(timeout=120)
        self.assertNotEqual(rc, 0, "journal-upload exits with an error when the collector is gone")
        self.assertEqual(self.collected(f"OPEN_COMM={comms['down']}"), [])
        collector = self.start_collector()
        resumed_at = self.saved_cursor()
        self.assertIsNotNone(resumed_at, "journal-upload saved its cursor")
        uploader = self.start_uploader()
        got = self.wait_collected([f"OPEN_COMM={comms['down']}"], len(down_records))
        self.assertEqual(check_open_entries(down_header, down_records, got, daemon_pid=daemon.pid), [])
        after_header, after_records = run_opener(comms["after"], d2, "paths", (d2 + "/after").encode().hex())
        self.wait_collected([f"OPEN_COMM={comms['after']}"], 1)

        # 3. the whole source journal, exactly once: nothing lost while the collector was away, nothing sent twice
        self.assertEqual(daemon.stop(), 0)
        source = entries_in(self.namespace.directory)
        last = identity(source[-1])
        wait_until(lambda: any(identity(e) == last for e in self.collected()), 60,
                   "the source journal's last entry at the collector")
        collected = self.collected()
        missing = collections.Counter(map(identity, source)) - collections.Counter(map(identity, collected))
        extra = collections.Counter(map(identity, collected)) - collections.Counter(map(identity, source))
        self.assertEqual(sorted(json.loads(m).get("MESSAGE", "")[:100] for m in missing.elements()), [], "lost")
        # systemd 252's journal-upload, started again on its state file, sends the entry
        # the saved cursor names once more (it seeks to the cursor, then does not step
        # past it): at most that one entry may be there twice, nothing else.
        at_cursor = entries_in(self.namespace.directory, f"--cursor={resumed_at}", "-n", "1")
        allowed = collections.Counter([identity(at_cursor[0])] if at_cursor else [])
        self.assertEqual(extra - allowed, collections.Counter(),
                         "duplicated: " + ", ".join(json.loads(m).get("MESSAGE", "")[:80] for m in extra))
        harness.record_figures("fleet", source_entries=len(source), collected_entries=len(collected),
                               opens=len(fields_records) + len(bad) + len(down_records) + 1,
                               lost=sum(missing.values()), sent_twice=sum(extra.values()),
                               uploader_exit_when_collector_stopped=rc)
        print(f"fleet: {len(source)} source entries, {len(collected)} collected, 0 lost, "
              f"{sum(extra.values())} sent twice (the entry at the saved cursor), uploader exit {rc} "
              "while the collector was down")


if __name__ == "__main__":
    unittest.main()
