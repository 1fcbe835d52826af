# SPDX-License-Identifier: MIT
"""opensnoopd on this machine's real kernel, writing to the real journald."""

import json
import os
import re
import signal
import subprocess
import tempfile
import unittest

from harness import (DAEMON, OPEN_MESSAGE_ID, DaemonTestCase, bpf_links_of, check_open_entries, detected_mode,
                     expected_mode, field, field_bytes, journal, kprobe_links, loaded_prog_ids, pinned_mode, route_tracepoints,
                     kernel_preemption, trampoline_links_of, trampolines_attach,
                     run_opener, tracepoint_syscalls, wait_journal, wait_until)

class FieldsTest(DaemonTestCase):
    def check_entries(self, header, records, entries, daemon_pid=None):
        """Every open the opener made has exactly one entry, and every field is right (OPEN_ABS_PATH
        too where the daemon builds absolute paths: its startup line says so)."""
        absolute = all("absolute paths on" in d.stderr() for d in self.daemons)
        self.assertEqual(check_open_entries(header, records, entries, daemon_pid,
                                            directory=self.workdir if absolute else None), [], self.describe())

    def test_every_field_of_every_kind_of_open(self):
        d = self.start()
        comm = self.unique("fields")
        header, records = run_opener(comm, self.workdir, "fields")
        self.assertEqual(len(records), 10)
        # where the kernel has BTF, absolute paths are on by default, and checked below
        self.assertEqual("absolute paths on" in d.stderr(), os.path.exists("/sys/kernel/btf/vmlinux"), d.stderr())
        entries = wait_journal([f"OPEN_COMM={comm}"], len(records))
        self.check_entries(header, records, entries, daemon_pid=d.pid)
        # the newline path: exact bytes in OPEN_PATH, escaped in MESSAGE
        nl = [e for e in entries if b"\n" in field_bytes(e, "OPEN_PATH")]
        self.assertEqual(len(nl), 1)
        self.assertIn("new\\nline", field(nl[0], "MESSAGE"))
        # queried the way the README shows
        by_id = journal(f"MESSAGE_ID={OPEN_MESSAGE_ID}", f"OPEN_COMM={comm}")
        self.assertEqual(len(by_id), len(records))
        self.assertEqual(d.stop(), 0)

    def test_json_output_has_the_journal_fields(self):
        comm = self.unique("jsonout")
        d = self.start(f"[Filter]\nCommands={comm}\n", args=["--output=json"])
        header, records = run_opener(comm, self.workdir, "fields")

        def lines():
            with open(d.stdout_path) as f:
                return len(f.readlines())
        wait_until(lambda: lines() >= len(records), timeout=60)
        self.assertEqual(d.stop(), 0)
        with open(d.stdout_path) as f:
            entries = [json.loads(line) for line in f]
        self.check_entries(header, records, entries)

    def test_text_output_columns(self):
        comm = self.unique("textout")
        d = self.start(f"[Filter]\nCommands={comm}\n", args=["--output=text"])
        header, records = run_opener(comm, self.workdir, "fields")
        # the sentinel, in the text output rather than the journal: once its line is
        # there, every line of the opens before it is too
        marker = self.marker()
        run_opener(comm, self.workdir, "paths", marker.encode().hex())

        def text():
            with open(d.stdout_path, encoding="utf-8") as f:
                return f.read()
        self.assertTrue(wait_until(lambda: marker + "\n" in text(), timeout=60), text()[-2000:])
        self.assertEqual(d.stop(), 0)
        lines = text().splitlines()
        self.assertEqual(lines[0].split(), ["TIME(s)", "COMM", "PID", "FD", "ERR", "PATH"])
        self.assertEqual(len(lines), 1 + len(records) + 1, "a header, one line per open, the sentinel's")
        # one ring buffer keeps the order of opens; per-CPU perf buffers (Buffer=perf) do not across CPUs
        if "through a ring buffer" in d.stderr():
            self.assertTrue(lines[-1].endswith(marker))
        else:
            self.assertEqual(sum(l.endswith(marker) for l in lines), 1)
        missing = [l.split() for l in lines[1:] if l.split()[-1].endswith("/missing")]
        self.assertEqual(len(missing), 1)
        self.assertEqual(missing[0][1:5], [comm, str(header["pid"]), "-1", "2"])

    def test_fentry_mode_where_the_kernel_attaches_trampolines(self):
        # pinned: where bench/hookcost's own trampolines attach, Mode=fentry must trace every field
        # exactly and leave nothing attached; elsewhere, it must refuse in one line
        d = self.start("[Probe]\nMode=fentry\n", ready=False)
        if not trampolines_attach():
            self.assertEqual(d.proc.wait(timeout=60), 5, "EXIT STATUS: 5, the kernel: " + d.stderr())
            self.assertIn("Mode=fentry: this kernel does not attach BPF trampolines to do_sys_openat2", d.stderr())
            return
        self.assertIsNotNone(d.wait_for("READY=1"), d.stderr())
        self.assertEqual(detected_mode(d.stderr()), "fentry", d.stderr())
        # where the kernel may preempt a trampoline's program, the startup log says what that costs
        self.assertEqual("Mode=fentry on a kernel whose preemption is" in d.stderr(),
                         kernel_preemption() != "voluntary", d.stderr())
        self.assertEqual(len(trampoline_links_of(d.pid)), kprobe_links(d.stderr()))
        comm = self.unique("fentry")
        header, records = run_opener(comm, self.workdir, "fields")
        entries = wait_journal([f"OPEN_COMM={comm}"], len(records))
        self.check_entries(header, records, entries, daemon_pid=d.pid)
        self.assertEqual(d.stop(), 0)
        self.assertEqual(trampoline_links_of(d.pid), [])


class LifecycleTest(DaemonTestCase):
    def test_sigterm_exits_zero_and_leaves_nothing_attached(self):
        # about tracepoints: pinned, so that it tests them on a kernel where auto picks kprobes too
        before = loaded_prog_ids()
        d = self.start("[Probe]\nMode=tracepoint\n")
        ours, links = bpf_links_of(d.pid)
        syscalls = tracepoint_syscalls()
        self.assertIn("openat", syscalls)
        syscall_links = [l for l in links if l.get("tracepoint", "").startswith("sys_")]
        self.assertEqual(len(syscall_links), 2 * len(syscalls), f"an enter and exit tracepoint for each of {syscalls}")
        self.assertEqual(sorted(l.get("tracepoint") for l in links if l not in syscall_links),
                         route_tracepoints(d.stderr()), "io_uring's and exec's, as the startup line says")
        self.assertTrue(ours - before, "our programs are loaded while running")
        status = d.latest_status()
        self.assertIn("Tracing with tracepoint", status)
        self.assertIn("syscalls:sys_*_openat", status)
        self.assertEqual(detected_mode(d.stderr()), "tracepoint")
        self.assertEqual(d.stop(), 0)
        self.assertLess(d.stop_seconds, 2.0)
        self.assertEqual(bpf_links_of(d.pid)[1], [])
        self.assertFalse(ours & loaded_prog_ids(), "a program of ours is still loaded")
        self.assertIn("stopped:", d.stderr())

    def test_ready_is_sent_only_after_attach(self):
        # Mode=auto: whichever mode this kernel allows (fentry, else kprobe, else tracepoints)
        d = self.start(ready=False)
        self.assertIsNotNone(d.wait_for("READY=1"))
        links = bpf_links_of(d.pid)[1]
        self.assertTrue(links, "READY=1 came with probes attached")
        mode = detected_mode(d.stderr())
        self.assertIn(mode, ("fentry", "kprobe", "tracepoint"), d.stderr())
        if expected_mode():
            self.assertEqual(mode, expected_mode(), "the mode the daemon must pick on this kernel")
        elif not pinned_mode():
            # the cheapest hook that is as exact: trampolines where they attach on a kernel that does not
            # preempt kernel code (a preempted trampoline program lets other opens pass), else a kprobe
            self.assertEqual(mode == "fentry", trampolines_attach() and kernel_preemption() == "voluntary",
                             "Mode=auto takes fentry exactly where it is as exact: " + d.stderr())
        self.assertIn(f"Tracing with {mode} (", d.latest_status())
        # a kprobe and a kretprobe on the open function (and open_by_handle_at's), or a tracepoint
        # pair per open system call, as perf events; fentry's pairs are BPF links of their own;
        # and in every mode the routes no open system call serves (io_uring's, exec's)
        hooks = {"fentry": 0, "kprobe": kprobe_links(d.stderr())}.get(mode, 2 * len(tracepoint_syscalls()))
        self.assertEqual(len(links), hooks + len(route_tracepoints(d.stderr())), links)
        self.assertEqual(len(trampoline_links_of(d.pid)), kprobe_links(d.stderr()) if mode == "fentry" else 0)
        self.assertEqual(d.stop(signal.SIGINT), 0)

    def test_duration_counts_from_ready(self):
        # the compile before READY=1 takes seconds, and --duration=2 must still trace for 2 s
        comm = self.unique("duration")
        d = self.start(args=["--duration=2"])
        marker = self.marker()
        run_opener(comm, self.workdir, "paths", marker.encode().hex())
        self.assertEqual(d.proc.wait(timeout=15), 0, d.stderr())
        self.assertEqual(len(wait_journal([f"OPEN_PATH={marker}"], 1)), 1, "an open after READY=1 is recorded")
        # STOPPING=1, not the exit: detaching the probes after it takes a while of its own
        ran = d.arrival("STOPPING=1") - d.arrival("READY=1")
        self.assertAlmostEqual(ran, 2.0, delta=0.1, msg=f"STOPPING=1 came {ran:.2f} s after READY=1")


class FilterTest(DaemonTestCase):
    def test_path_prefix_of_the_longest_length(self):
        # the one limit the docs give (FILTER_PREFIX_MAX) is a prefix the kernel side matches whole
        # the daemon's own word for it (the tests also run where the source tree is not)
        conf = os.path.join(self.workdir, "limit.conf")
        with open(conf, "w") as f:
            f.write(f"[Filter]\nPathPrefixes=/{'x' * 5000}\n")
        said = subprocess.run([DAEMON, "-c", conf, "--check-config"], capture_output=True, text=True).stderr
        longest = int(re.search(r"PathPrefixes=.*: longer than (\d+) bytes", said).group(1))
        comm = self.unique("longprefix")
        prefix = os.path.join(self.workdir, "p" * (longest - len(self.workdir) - 1))
        self.assertEqual(len(prefix), longest)
        d = self.start(f"[Filter]\nCommands={comm}\nPathPrefixes={prefix}\n")
        outside, inside = prefix[:-1] + "q/x", prefix + "/x"  # outside differs in the last byte only
        run_opener(comm, self.workdir, "paths", outside.encode().hex(), inside.encode().hex())
        entries = wait_journal([f"OPEN_COMM={comm}"], 1)
        self.assertEqual([field(e, "OPEN_PATH") for e in entries], [inside], self.describe())
        self.assertEqual(d.stop(), 0)

    def test_excluded_comm_produces_no_entries(self):
        hidden, shown = self.unique("hide"), self.unique("show")
        d = self.start(f"[Filter]\nExcludeCommands={hidden}\n")
        run_opener(hidden, self.workdir, "fields")
        _, records = run_opener(shown, self.workdir, "fields")
        # the daemon wrote what came after, so what came before had its chance
        self.assertEqual(len(wait_journal([f"OPEN_COMM={shown}"], len(records))), len(records), self.describe())
        self.assertEqual(journal(f"OPEN_COMM={hidden}"), [])
        self.assertEqual(d.stop(), 0)

    def test_include_filters_and_reload(self):
        a, b = self.unique("fa"), self.unique("fb")
        os.mkdir(os.path.join(self.workdir, "keep"))
        d = self.start(f"[Filter]\nCommands={a} {b}\nPathPrefixes={self.workdir}/\n"
                       f"ExcludePathPrefixes={self.workdir}/new\nFailedOnly=no\n")
        _, records = run_opener(a, self.workdir, "fields")
        # kept: paths under workdir except new\nline. A relative one (the fields scenario's is
        # relative to an fd of workdir) matches by its absolute path, when the kernel side builds
        # one (the startup line says); the empty path never matches.
        absolute = "absolute paths on" in d.stderr()

        def as_matched(path):
            return self.workdir.encode() + b"/" + path if absolute and path and path[:1] != b"/" else path
        kept = [r for r in records if as_matched(bytes.fromhex(r["path_hex"])).startswith(self.workdir.encode() + b"/")
                and b"/new" not in bytes.fromhex(r["path_hex"])]
        marker_a = self.sentinel(a)  # under workdir, not under new: kept
        entries = journal(f"OPEN_COMM={a}")
        self.assertEqual(sorted(field_bytes(e, "OPEN_PATH") for e in entries),
                         sorted([bytes.fromhex(r["path_hex"]) for r in kept] + [marker_a.encode()]))

        # reload: only failures of b now
        d.write_config(f"[Filter]\nCommands={b}\nFailedOnly=yes\n")
        seen = d.message_count()
        d.proc.send_signal(signal.SIGHUP)
        self.assertIsNotNone(d.wait_for("READY=1", 10, after=seen), "READY=1 after RELOADING=1")
        self.assertIn("RELOADING=1", "\n".join(d.messages))
        self.assertIn("configuration reloaded", d.stderr())
        self.assertIn("Commands= PathPrefixes= ExcludePathPrefixes= FailedOnly=", d.stderr())
        run_opener(a, self.workdir, "fields")
        _, records_b = run_opener(b, self.workdir, "fields")
        failed_b = [r for r in records_b if r["result"] < 0]
        self.sentinel(b)  # a failed open: recorded under FailedOnly=yes
        entries_b = journal(f"OPEN_COMM={b}")
        self.assertEqual(len(entries_b), len(failed_b) + 1)
        self.assertTrue(all(field(e, "OPEN_ERRNO") for e in entries_b))
        self.assertEqual(len(journal(f"OPEN_COMM={a}")), len(kept) + 1, "a is no longer traced")

        # a broken config on reload: reported with file:line, old filter stays
        d.write_config("[Filter]\nCommands=x\nBogus=1\nFailedOnly=perhaps\n")
        seen = d.message_count()
        d.proc.send_signal(signal.SIGHUP)
        self.assertIsNotNone(d.wait_for("READY=1", 10, after=seen))
        err = d.stderr()
        self.assertIn(f"{d.config}:3: unknown key 'Bogus' in [Filter]", err)
        self.assertIn(f"{d.config}:4: FailedOnly=perhaps: not a boolean", err)
        self.assertIn("still running with the previous configuration", err)
        _, records_b2 = run_opener(b, self.workdir, "fields")
        self.sentinel(b)
        self.assertEqual(len(journal(f"OPEN_COMM={b}")), 2 * len(failed_b) + 2)
        self.assertEqual(d.proc.poll(), None)
        self.assertEqual(d.stop(), 0)

    def test_dropins_at_check_and_reload(self):
        """FILE.d/*.conf after FILE, in name order: --check-config, --print-config and a reload read them,
        errors as file:line."""
        a, b = self.unique("da"), self.unique("db")
        d = self.start(f"[Filter]\nCommands={a}\n")
        dropins = d.config + ".d"
        os.mkdir(dropins, 0o755)
        for name, text in (("20-b.conf", f"[Filter]\nCommands=\nCommands={b}\n"),
                           ("10-a.conf", "[Filter]\nCommands=nobody-runs\n")):
            with open(os.path.join(dropins, name), "w") as f:
                f.write(text)
        r = subprocess.run([DAEMON, "-c", d.config, "--check-config"], capture_output=True, text=True)
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""), "good files: silent")
        r = subprocess.run([DAEMON, "-c", d.config, "--print-config"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"\nCommands={b}\n", r.stdout)

        seen = d.message_count()
        d.proc.send_signal(signal.SIGHUP)
        self.assertIsNotNone(d.wait_for("READY=1", 10, after=seen), "READY=1 after RELOADING=1")
        self.assertIn("configuration reloaded", d.stderr())
        run_opener(a, self.workdir, "fields")
        self.sentinel(b)
        self.assertEqual(journal(f"OPEN_COMM={a}"), [], "the drop-in's Commands= replaced the file's")

        with open(os.path.join(dropins, "20-b.conf"), "a") as f:
            f.write("Bogus=1\n")
        seen = d.message_count()
        d.proc.send_signal(signal.SIGHUP)
        self.assertIsNotNone(d.wait_for("READY=1", 10, after=seen))
        self.assertIn(f"{dropins}/20-b.conf:4: unknown key 'Bogus' in [Filter]", d.stderr())
        self.assertIn("still running with the previous configuration", d.stderr())
        self.assertEqual(d.stop(), 0)

    def test_write_access_filter(self):
        comm = self.unique("wr")
        d = self.start(f"[Filter]\nCommands={comm}\nAccess=write\n")
        _, records = run_opener(comm, self.workdir, "fields")
        writes = [r for r in records if r["flags"] & 3 or r["flags"] & 0o1100]
        self.assertEqual(len(writes), 3)
        self.sentinel(comm, "create")  # a write: recorded under Access=write
        self.assertEqual(len(journal(f"OPEN_COMM={comm}")), len(writes) + 1)
        # STATUS= follows the kernel's counters once a second
        status = wait_until(lambda: re.search(r"[1-9][0-9]* filtered", d.latest_status()), 5)
        self.assertTrue(status, d.latest_status())
        self.assertEqual(d.stop(), 0)


class ReloadTest(DaemonTestCase):
    """`systemctl reload` runs `opensnoopd --reload=$MAINPID` (the unit's ExecReload=), with
    RuntimeDirectory= in $RUNTIME_DIRECTORY: it fails on a broken file, which never reaches the
    daemon, and returns only once the new configuration is in force."""

    def reload(self, d, runtime, pid=None):
        return subprocess.run([DAEMON, "-c", d.config, f"--reload={pid or d.pid}"], capture_output=True, text=True,
                              env=dict(os.environ, RUNTIME_DIRECTORY=runtime), timeout=90)

    def test_reload_returns_once_in_force_and_fails_on_a_broken_file(self):
        runtime = tempfile.mkdtemp(prefix="run-", dir=self.workdir)
        a, b = self.unique("rla"), self.unique("rlb")
        d = self.start(f"[Filter]\nCommands={a}\n", env={"RUNTIME_DIRECTORY": runtime})
        self.sentinel(a)
        d.write_config(f"[Filter]\nCommands={b}\n")
        r = self.reload(d, runtime)
        self.assertEqual((r.returncode, r.stderr), (0, ""), "a good file: exit 0, nothing to say")
        # in force the moment it returned: a's next open is already filtered out, b's recorded
        run_opener(a, self.workdir, "paths", self.marker().encode().hex())
        self.sentinel(b)
        self.assertEqual(len(journal(f"OPEN_COMM={a}")), 1, "only a's sentinel, from before the reload")
        self.assertIn("configuration reloaded", d.stderr())

        # a broken file: the reload fails with file:line, and the daemon is not even asked
        d.write_config(f"[Filter]\nCommands={a}\nFailedOnly=perhaps\n")
        seen = d.message_count()
        r = self.reload(d, runtime)
        self.assertEqual(r.returncode, 6, "EXIT STATUS: 6, the configuration")
        self.assertIn(f"{d.config}:3: FailedOnly=perhaps: not a boolean", r.stderr)
        self.sentinel(b)  # the old filter (b) still runs
        self.assertEqual(len(journal(f"OPEN_COMM={b}")), 2)
        self.assertNotIn("RELOADING=1", "\n".join(d.messages[seen:]), "the daemon was never signalled")

        # a daemon that is gone: one line, exit 1
        d.write_config(f"[Filter]\nCommands={b}\n")
        r = self.reload(d, runtime, pid=2 ** 22 + 1)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertEqual(d.stop(), 0)


class BadInputTest(DaemonTestCase):
    def test_bad_config_exits_nonzero_attaching_nothing(self):
        before = loaded_prog_ids()
        d = self.start("[Probe]\nMode=fast\n[Filter]\nFoo=1\nCommands=waytoolongcommandname\n", ready=False)
        self.assertEqual(d.proc.wait(timeout=10), 6, "EXIT STATUS: 6, the configuration")
        err = d.stderr().splitlines()
        self.assertIn(f"opensnoopd: {d.config}:2: Mode=fast: must be auto, fentry, kprobe or tracepoint", err)
        self.assertIn(f"opensnoopd: {d.config}:4: unknown key 'Foo' in [Filter]", err)
        self.assertIn(f"opensnoopd: {d.config}:5: Commands=waytoolongcommandname: longer than 15 bytes, "
                      "the kernel's limit for a command name", err)
        self.assertEqual(loaded_prog_ids() - before, set())
        self.assertNotIn("READY=1", "\n".join(d.messages))

    def test_config_writable_by_others_is_refused(self):
        d = self.start("", ready=False)
        d.kill()
        os.chmod(d.config, 0o666)
        r = subprocess.run([DAEMON, "-c", d.config, "--check-config"], stderr=subprocess.PIPE, text=True)
        self.assertEqual(r.returncode, 6)
        self.assertIn("it must be owned by root and not writable by group or others", r.stderr)

    def test_not_root_is_one_clear_line(self):
        conf = os.path.join(self.workdir, "c.conf")
        open(conf, "w").close()
        os.chmod(self.workdir, 0o755)
        r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", DAEMON, "-c", conf],
                           stderr=subprocess.PIPE, text=True)
        self.assertEqual(r.returncode, 4, "EXIT STATUS: 4, not privileged")
        self.assertEqual(r.stderr.strip().splitlines(),
                         ["opensnoopd: must run as root (or with CAP_BPF and CAP_PERFMON) to load BPF programs"])

    def test_check_config_and_print_bpf(self):
        conf = os.path.join(self.workdir, "c.conf")
        with open(conf, "w") as f:
            # the tracepoint program: pinned, as auto prints the kprobe one where there are kprobes
            f.write("[Probe]\nMode=tracepoint\n[Filter]\nCommands=nginx\n")
        r = subprocess.run([DAEMON, "-c", conf, "--check-config"], capture_output=True, text=True)
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""), "a good file: silent")
        r = subprocess.run([DAEMON, "-c", conf, "--print-config"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0)
        self.assertIn("Mode=tracepoint", r.stdout)
        self.assertIn("Commands=nginx", r.stdout)
        self.assertIn("Coalesce=", r.stdout, "the defaults too: the configuration in force")
        r = subprocess.run([DAEMON, "-c", conf, "--print-bpf"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0)
        self.assertIn("-DOPENSNOOPD_TP_OPENAT", r.stdout)
        self.assertIn("TRACEPOINT_PROBE(syscalls, sys_enter_openat)", r.stdout)
        self.assertIn("struct open_event {", r.stdout, "event.h is embedded")
        r = subprocess.run([DAEMON, "--output=xml"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2, "EXIT STATUS: 2, usage")
        self.assertIn("--output=xml: must be journal, json or text", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
