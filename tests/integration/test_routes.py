# SPDX-License-Identifier: MIT
"""Every route to an open the daemon can see in the mode it runs in: creat()
(through its tracepoint, or do_sys_open* in kprobe mode); open_by_handle_at(),
which takes no path: the record names the file the kernel opened
(OPEN_ABS_PATH); and in both modes io_uring's opens and the program file exec
opens. The truth is what the opener did."""

import json
import os
import signal
import struct
import subprocess
import unittest

from harness import OPENER, DaemonTestCase, detected_mode, field, field_bytes, journal, public_dir, run_opener

O_LARGEFILE = 0o100000
URING_PARKED = 300  # an ordinary user's io_uring opens in flight at once: more than the table's 256 names


def elf_interpreter(path):
    """The ELF interpreter a program names (PT_INTERP), or None for a static one."""
    with open(path, "rb") as f:
        data = f.read()
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for i in range(phnum):
        p_type, _, p_offset, _, _, p_filesz = struct.unpack_from("<IIQQQQ", data, phoff + i * phentsize)
        if p_type == 3:  # PT_INTERP
            return data[p_offset:p_offset + p_filesz].rstrip(b"\0").decode()
    return None


def io_uring_route(stderr):
    """The daemon's startup line names io_uring's tracepoints when it records its opens."""
    return "io_uring:io_uring_submit_" in stderr


class RoutesTest(DaemonTestCase):
    def test_creat_and_open_by_handle_at(self):
        comm = self.unique("routes")
        d = self.start(f"[Filter]\nCommands={comm}\n")
        header, records = run_opener(comm, self.workdir, "routes")
        self.sentinel(comm)
        absolute = "absolute paths on" in d.stderr()
        entries = {}
        for e in journal(f"OPEN_COMM={comm}"):
            entries.setdefault(field(e, "OPEN_SYSCALL"), []).append(e)

        [creat] = [r for r in records if r["syscall"] == "creat"]
        [e] = entries["creat"]
        self.assertEqual(field_bytes(e, "OPEN_PATH"), bytes.fromhex(creat["path_hex"]))
        self.assertEqual(field(e, "OPEN_FLAGS_TEXT"), "O_WRONLY|O_CREAT|O_TRUNC")
        self.assertEqual(field(e, "OPEN_MODE"), "0600")
        self.assertEqual(field(e, "OPEN_FD"), str(creat["result"]))
        self.assertEqual(field(e, "OPEN_PID"), str(header["pid"]))

        by_handle = [r for r in records if r["syscall"] == "open_by_handle_at"]
        self.assertEqual([r["result"] >= 0 for r in by_handle], [True, False], records)
        if detected_mode(d.stderr()) == "kprobe" and "__x64_sys_open_by_handle_at" not in d.stderr():
            # no kprobe on do_sys_open* sees it, and its syscall tracepoints are not attached
            # beside the kprobes; its own kprobe pair is x86-64's (docs/fields.md, opensnoopd(8) LIMITATIONS): a gap, named there
            self.assertNotIn("open_by_handle_at", entries)
            self.assertEqual(d.stop(), 0)
            return
        got = sorted(entries["open_by_handle_at"], key=lambda e: int(field(e, "OPEN_TIMESTAMP_USEC")))
        self.assertEqual(len(got), 2)
        for r, e in zip(by_handle, got):
            self.assertIsNone(field(e, "OPEN_PATH"), "a handle is not a path")
            self.assertIsNone(field(e, "OPEN_PATH_UNREADABLE"))
            self.assertEqual(field(e, "OPEN_DIRFD"), str(r["dirfd"]), "the mount fd")
            self.assertEqual(field(e, "OPEN_FLAGS_TEXT"), "O_RDONLY")
            if r["result"] >= 0:
                self.assertEqual(field(e, "OPEN_FD"), str(r["result"]))
                file = os.path.realpath(bytes.fromhex(r["file_hex"]).decode())
                self.assertEqual(field(e, "OPEN_ABS_PATH"), file if absolute else None)
                self.assertIn(f'opened "{file}" (by handle)' if absolute else 'opened (a file handle)',
                              field(e, "MESSAGE"))
            else:
                self.assertEqual(field(e, "OPEN_ERRNO"), str(-r["result"]))
                self.assertIsNone(field(e, "OPEN_ABS_PATH"))
                self.assertIn("failed to open (a file handle)", field(e, "MESSAGE"))
        self.assertEqual(d.stop(), 0)

    def test_openat2_flags_from_a_page_not_yet_touched(self):
        """openat2's struct open_how in a mapped page no one has touched: the kernel faults
        it in to copy it, a BPF program cannot. The record still has its flags and mode, and
        Access=write keeps the open."""
        comm = self.unique("coldhow")
        d = self.start(f"[Filter]\nCommands={comm}\nAccess=write\n")
        _, records = run_opener(comm, self.workdir, "cold-how")
        [r] = [r for r in records if r["syscall"] == "openat2"]
        self.assertGreaterEqual(r["result"], 0, records)
        self.sentinel(comm, "create")
        [e] = journal(f"OPEN_COMM={comm}", "OPEN_SYSCALL=openat2")
        self.assertEqual(field(e, "OPEN_FLAGS_TEXT"), "O_WRONLY|O_CREAT|O_TRUNC")
        self.assertEqual(field(e, "OPEN_MODE"), "0640")
        self.assertEqual(d.stop(), 0)

    def test_io_uring_opens(self):
        """IORING_OP_OPENAT and OPENAT2 never pass through the open system calls: each is
        recorded from io_uring's tracepoints with the kernel's copy of its name and flags
        (O_LARGEFILE included: the kernel adds it), its result, and its submitter."""
        comm = self.unique("uring")
        d = self.start(f"[Filter]\nCommands={comm}\n")
        if not io_uring_route(d.stderr()):
            self.skipTest("this kernel's io_uring tracepoints do not carry the request (before 5.11), or it "
                          "has no BTF: " + d.stderr().splitlines()[0])
        header, records = run_opener(comm, self.workdir, "uring")
        self.sentinel(comm)
        absolute = "absolute paths on" in d.stderr()
        got = journal(f"OPEN_COMM={comm}", "OPEN_SYSCALL=io_uring_openat")
        got += journal(f"OPEN_COMM={comm}", "OPEN_SYSCALL=io_uring_openat2")
        got.sort(key=lambda e: int(field(e, "OPEN_TIMESTAMP_USEC")))
        self.assertEqual(len(got), len(records), [field(e, "MESSAGE") for e in got])
        for r, e in zip(records, got):
            path = bytes.fromhex(r["path_hex"])
            self.assertEqual(field(e, "OPEN_SYSCALL"), r["syscall"])
            self.assertEqual(field_bytes(e, "OPEN_PATH"), path)
            self.assertEqual(int(field(e, "OPEN_FLAGS"), 16) & ~O_LARGEFILE, r["flags"])
            self.assertEqual(field(e, "OPEN_PID"), str(header["pid"]))
            self.assertEqual(field(e, "OPEN_UID"), str(header["uid"]))
            if r["flags"] & os.O_CREAT:
                self.assertEqual(field(e, "OPEN_MODE"), "%04o" % r["mode"])
            if r["result"] == "unreported":
                self.assertEqual(field(e, "OPEN_RESULT_UNREPORTED"), "1")
                self.assertIsNone(field(e, "OPEN_FD"))
                self.assertIn("(success not reported)", field(e, "MESSAGE"))
            elif r["result"] >= 0:
                self.assertEqual(field(e, "OPEN_FD"), str(r["result"]))
            else:
                self.assertEqual(field(e, "OPEN_ERRNO"), str(-r["result"]))
            if not path.startswith(b"/"):
                self.assertEqual(field(e, "OPEN_DIRFD"), str(r["dirfd"]))
                self.assertEqual(field_bytes(e, "OPEN_ABS_PATH"),
                                 os.path.join(os.path.realpath(self.workdir).encode(), path) if absolute else None)

        # the filters decide on io_uring's opens once, by what the request says: with
        # Access=write only the O_WRONLY|O_CREAT one is recorded
        before = len(journal(f"OPEN_COMM={comm}"))
        d.write_config(f"[Filter]\nCommands={comm}\nAccess=write\n")
        seen = d.message_count()
        d.proc.send_signal(signal.SIGHUP)
        self.assertIsNotNone(d.wait_for("READY=1", 30, after=seen), "READY=1 after the reload")
        _, again = run_opener(comm, self.workdir, "uring")
        self.sentinel(comm, "create")
        got = [e for e in journal(f"OPEN_COMM={comm}")[before:] if field(e, "OPEN_SYSCALL").startswith("io_uring")]
        writes = [r for r in again if r["flags"] & (os.O_WRONLY | os.O_RDWR)]
        self.assertEqual(len(writes), 1, again)
        self.assertEqual([(field(e, "OPEN_SYSCALL"), field_bytes(e, "OPEN_PATH")) for e in got],
                         [(r["syscall"], bytes.fromhex(r["path_hex"])) for r in writes],
                         [field(e, "MESSAGE") for e in got])
        self.assertEqual(d.stop(), 0)

    def test_io_uring_open_submitted_before_the_daemon_started(self):
        """An io_uring open parked in io_uring's worker before the daemon attached: its
        submission was never seen, so its name is not known, but it is recorded when it
        completes, with its result and the file the new fd names (OPEN_PATH_UNSEEN=1)."""
        comm = self.unique("uringpark")
        fifo = os.path.join(self.workdir, "uring-fifo")
        os.mkfifo(fifo)
        parker = subprocess.Popen([OPENER, comm, self.workdir, "uring-park", fifo], stdout=subprocess.PIPE, text=True)
        try:
            json.loads(parker.stdout.readline())  # the header
            self.assertEqual(json.loads(parker.stdout.readline()), {"parked": 1})
            d = self.start(f"[Filter]\nCommands={comm}\n")
            if not io_uring_route(d.stderr()):
                self.skipTest("no io_uring route on this kernel")
            writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)  # lets the parked open through (ENXIO: none is)
            r = json.loads(parker.stdout.readline())
            os.close(writer)
            self.assertEqual(parker.wait(timeout=30), 0)
        finally:
            parker.kill()
            parker.wait()
            parker.stdout.close()
        self.assertGreaterEqual(r["result"], 0, r)
        self.sentinel(comm)
        [e] = journal(f"OPEN_COMM={comm}", "OPEN_SYSCALL=io_uring_openat")
        self.assertEqual(field(e, "OPEN_PATH_UNSEEN"), "1")
        self.assertIsNone(field(e, "OPEN_PATH"))
        self.assertEqual(field(e, "OPEN_FD"), str(r["result"]))
        if "absolute paths on" in d.stderr():
            self.assertEqual(field(e, "OPEN_ABS_PATH"), os.path.realpath(fifo))
            self.assertIn(f'opened "{os.path.realpath(fifo)}" (name not seen)', field(e, "MESSAGE"))
        self.assertEqual(d.stop(), 0)

    def test_io_uring_names_in_flight_are_shared_fairly(self):
        """The names of io_uring opens in flight are kept in a table of 256: an ordinary
        user who keeps URING_PARKED opens in flight holds at most three quarters of it, so
        an open root parked first keeps its name (no OPEN_PATH_UNSEEN); the user's opens
        past its share are still recorded, without their names."""
        comm, other = self.unique("uringroot"), self.unique("uringnobody")
        d = self.start(f"[Filter]\nCommands={comm} {other}\n")
        if not io_uring_route(d.stderr()):
            self.skipTest("no io_uring route on this kernel")
        public = public_dir(self.workdir)
        mine, theirs = os.path.join(self.workdir, "uring-fifo"), os.path.join(public, "fifo")
        os.mkfifo(mine)
        os.mkfifo(theirs, 0o666)
        parker = subprocess.Popen([OPENER, comm, self.workdir, "uring-park", mine], stdout=subprocess.PIPE, text=True)
        churner = None
        try:
            json.loads(parker.stdout.readline())  # the header
            self.assertEqual(json.loads(parker.stdout.readline()), {"parked": 1})
            churner = subprocess.Popen(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", OPENER,
                                        other, public, "uring-park-many", str(URING_PARKED), theirs],
                                       stdout=subprocess.PIPE, text=True)
            self.assertEqual(json.loads(churner.stdout.readline())["uid"], 65534)  # the header: nobody
            self.assertEqual(json.loads(churner.stdout.readline()), {"parked": URING_PARKED})
            writer = os.open(mine, os.O_WRONLY | os.O_NONBLOCK)  # root's parked open goes through first
            r = json.loads(parker.stdout.readline())
            os.close(writer)
            self.assertEqual(parker.wait(timeout=30), 0)
            writer = os.open(theirs, os.O_RDWR)  # then nobody's, which a writer held open lets through
            self.assertEqual(json.loads(churner.stdout.readline()), {"completed": URING_PARKED})
            os.close(writer)
            self.assertEqual(churner.wait(timeout=30), 0)
        finally:
            for p in (parker, churner):
                if p:
                    p.kill()
                    p.wait()
                    p.stdout.close()
        self.assertGreaterEqual(r["result"], 0, r)
        self.sentinel(comm)
        self.sentinel(other)
        [e] = journal(f"OPEN_COMM={comm}", "OPEN_SYSCALL=io_uring_openat")
        self.assertIsNone(field(e, "OPEN_PATH_UNSEEN"), field(e, "MESSAGE"))
        self.assertEqual(field(e, "OPEN_PATH"), mine)
        self.assertEqual(field(e, "OPEN_FD"), str(r["result"]))
        # every one of nobody's is recorded, by name up to its share (192 of 256), unnamed past it
        got = journal(f"OPEN_COMM={other}", "OPEN_SYSCALL=io_uring_openat")
        self.assertEqual(len(got), URING_PARKED, d.latest_status())
        named = [e for e in got if field(e, "OPEN_PATH") == theirs]
        unseen = [e for e in got if field(e, "OPEN_PATH_UNSEEN") == "1"]
        self.assertEqual(len(named) + len(unseen), URING_PARKED)
        self.assertEqual(len(named), 256 * 3 // 4)
        self.assertEqual(d.stop(), 0)

    def test_exec_opens_the_program_file(self):
        """The program file a successful execve() opened is recorded (OPEN_SYSCALL=exec) with
        the kernel's copy of its name and, from the file the process now runs, its absolute
        path; there is no fd. The new program's comm is the opener's (see the opener). A #!
        script is recorded by its name, without an absolute path: its process runs /bin/sh."""
        comm = self.unique("exec")
        d = self.start(f"[Filter]\nCommands={comm}\n")
        if "sched:sched_process_exec" not in d.stderr():
            self.skipTest("no sched:sched_process_exec tracepoint")
        _, records = run_opener(comm, self.workdir, "exec")
        self.sentinel(comm)
        ran = [r for r in records if r["syscall"] == "exec" and r["result"] == 0 and not r.get("script")]
        [script] = [r for r in records if r.get("script")]
        self.assertEqual(len(ran), 1, records)
        self.assertEqual(script["result"], 0, records)
        got = [e for e in journal(f"OPEN_COMM={comm}", "OPEN_SYSCALL=exec")
               if field(e, "OPEN_ERRNO") is None and field(e, "OPEN_EXEC_INTERPRETER") is None]
        self.assertEqual(len(got), 2, [field(e, "MESSAGE") for e in got])
        [s] = [e for e in got if field(e, "OPEN_PID") == str(script["pid"])]
        # the script's process runs /bin/sh: no walk of the file it runs can name the script
        self.assertEqual(field_bytes(s, "OPEN_PATH"), bytes.fromhex(script["path_hex"]))
        self.assertIsNone(field(s, "OPEN_ABS_PATH"))
        [e] = [e for e in got if field(e, "OPEN_PID") == str(ran[0]["pid"])]
        self.assertEqual(field(e, "OPEN_PID"), str(ran[0]["pid"]))
        self.assertEqual(field_bytes(e, "OPEN_PATH"), bytes.fromhex(ran[0]["path_hex"]))
        self.assertEqual(field(e, "OPEN_FLAGS_TEXT"), "O_RDONLY")
        self.assertIsNone(field(e, "OPEN_FD"))
        self.assertIn("(exec, no fd)", field(e, "MESSAGE"))
        if "absolute paths on" in d.stderr():
            self.assertEqual(field_bytes(e, "OPEN_ABS_PATH"),
                             os.path.realpath(bytes.fromhex(ran[0]["file_hex"])))
        # a failed exec: through its syscall tracepoints in tracepoint mode, its system call
        # functions' kprobe pairs in kprobe mode
        [failed] = [r for r in records if r["syscall"] == "exec" and r["result"] < 0]
        [f] = journal(f"OPEN_COMM={comm}", "OPEN_SYSCALL=exec", f"OPEN_ERRNO={-failed['result']}")
        self.assertEqual(field_bytes(f, "OPEN_PATH"), bytes.fromhex(failed["path_hex"]))
        self.assertEqual(field(f, "OPEN_PID"), str(failed["pid"]))
        self.assertIn(" failed to exec ", field(f, "MESSAGE"))
        self.assertEqual(d.stop(), 0)

    def test_exec_records_the_interpreters(self):
        """What else an exec opens: the ELF interpreter a dynamic program names (PT_INTERP,
        /lib64/ld-linux-x86-64.so.2) and the interpreter a #! line names (/bin/sh), which
        the kernel opens itself, through no open system call. Each is recorded as an open
        of the exec (OPEN_SYSCALL=exec, OPEN_EXEC_INTERPRETER=elf or script) with the exec's
        pid and the new program's comm: the file, walked from the kernel's own data
        (OPEN_ABS_PATH), and for a #! line the name as the kernel read it (OPEN_PATH)."""
        comm = self.unique("interp")
        d = self.start(f"[Filter]\nCommands={comm}\n")
        if "sched:sched_process_exec" not in d.stderr():
            self.skipTest("no sched:sched_process_exec tracepoint")
        _, records = run_opener(comm, self.workdir, "exec")
        self.sentinel(comm)
        absolute = "absolute paths on" in d.stderr()
        [ran] = [r for r in records if r["syscall"] == "exec" and r["result"] == 0 and not r.get("script")]
        [script] = [r for r in records if r.get("script")]
        got = journal(f"OPEN_COMM={comm}", "OPEN_SYSCALL=exec")
        interpreters = {}
        for e in got:
            if field(e, "OPEN_EXEC_INTERPRETER") is not None:
                interpreters.setdefault(field(e, "OPEN_PID"), []).append(e)
        ld_so = elf_interpreter(bytes.fromhex(ran["file_hex"]).decode())
        self.assertIsNotNone(ld_so, "/bin/true is a dynamic program here")

        # the program: its ELF interpreter, and nothing else
        [e] = interpreters.get(str(ran["pid"]), [None])
        self.assertIsNotNone(e, [field(x, "MESSAGE") for x in got])
        self.assertEqual(field(e, "OPEN_EXEC_INTERPRETER"), "elf")
        self.assertEqual(field(e, "OPEN_COMM"), comm)
        self.assertEqual(field(e, "OPEN_FLAGS_TEXT"), "O_RDONLY")
        self.assertIsNone(field(e, "OPEN_FD"))
        self.assertIsNone(field(e, "OPEN_ERRNO"))
        if absolute:
            self.assertEqual(field(e, "OPEN_ABS_PATH"), os.path.realpath(ld_so))
            self.assertIn(f'opened "{os.path.realpath(ld_so)}" O_RDONLY (exec\'s ELF interpreter, no fd)', field(e, "MESSAGE"))

        # the script: /bin/sh by its #! line, then /bin/sh's own ELF interpreter
        mine = {field(e, "OPEN_EXEC_INTERPRETER"): e for e in interpreters.get(str(script["pid"]), [])}
        self.assertEqual(sorted(mine), ["elf", "script"], [field(x, "MESSAGE") for x in got])
        sh = mine["script"]
        self.assertEqual(field(sh, "OPEN_PATH"), "/bin/sh")
        self.assertEqual(field(sh, "OPEN_COMM"), comm)
        self.assertIsNone(field(sh, "OPEN_FD"))
        self.assertIn('"/bin/sh"', field(sh, "MESSAGE"))
        if absolute:
            self.assertEqual(field(sh, "OPEN_ABS_PATH"), os.path.realpath("/bin/sh"))
            self.assertEqual(field(mine["elf"], "OPEN_ABS_PATH"), os.path.realpath(elf_interpreter("/bin/sh")))
        self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
