# SPDX-License-Identifier: MIT
"""Runs inside the VM (Debian 12, Debian's kernel, systemd as PID 1) as a test
unit: drives the installed opensnoopd service with systemctl and reads what it
recorded with journalctl; then runs the integration suite itself
(tests/integration: test_daemon, test_reliability) against the build's
opensnoopd, where Mode=auto must pick kprobes. Writes OUT/result.json: every
check and its detail, and each suite's log."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

IN = os.path.dirname(os.path.abspath(__file__))
INTEGRATION = os.path.join(IN, "integration")
sys.path.insert(0, INTEGRATION)
import harness  # noqa: E402  (the integration tests' helpers: field decoding, the entry checks)

harness.OPENER = "/usr/local/bin/opener"
OUT = sys.argv[1]
# The suites' flood and loads run for as long as on any machine; only their
# rates differ under emulation. Together the two suites must end within this.
SUITES_TIMEOUT = int(os.environ.get("OPENSNOOPD_VM_SUITES_TIMEOUT", "1080"))
EXPOSURE_LIMIT = 3.0
CONF = "/etc/opensnoopd/opensnoopd.conf"
UNIT = "_SYSTEMD_UNIT=opensnoopd.service"
checks = []
log = open(os.path.join(OUT, "checks.log"), "w", buffering=1)


def say(text):
    print(text, flush=True)
    log.write(text + "\n")


def check(name, ok, detail=""):
    checks.append({"name": name, "ok": bool(ok), "detail": str(detail)[:2000]})
    say(("PASS " if ok else "FAIL ") + name + (f": {detail}" if detail else ""))
    return ok


def run(*cmd, timeout=300):
    return subprocess.run(list(cmd), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout)


def show(prop):
    return run("systemctl", "show", "-p", prop, "--value", "opensnoopd").stdout.strip()


def set_config(text):
    with open(CONF, "w") as f:
        f.write(text)
    os.chmod(CONF, 0o644)


# The service writes to the system journal (the integration suite to a namespace of its own).
def journal(*matches):
    return harness.journal(*matches, namespace=None)


def wait_journal(matches, count, timeout):
    return harness.wait_journal(matches, count, timeout, namespace=None)


def wait_until(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    return predicate()


def workdir():
    return tempfile.mkdtemp(prefix="vm-", dir="/var/tmp")


def sentinel(directory, comm):
    """Opens a fresh missing path as comm and waits until the unit wrote its entry."""
    path = os.path.join(directory, f"sentinel-{time.monotonic_ns()}")
    harness.run_opener(comm, directory, "paths", path.encode().hex())
    return wait_journal([UNIT, f"OPEN_PATH={path}"], 1, 60)


def check_fields(mode, comm):
    """The opener's opens, each read back from the unit's journal and compared field by field."""
    pid = int(show("MainPID"))
    header, records = harness.run_opener(comm, workdir(), "fields")
    entries = wait_journal([UNIT, f"OPEN_COMM={comm}"], len(records), timeout=60)
    check(f"{mode}: every field of {len(records)} opens (open, openat, openat2; missing, O_CREAT 0640, "
          f"dirfd, newline, 4000 and 4095 bytes, empty)",
          not (problems := harness.check_open_entries(header, records, entries, daemon_pid=pid)),
          "; ".join(problems))
    return header, records


def main():
    kernel = os.uname().release
    say(f"checks on {kernel}, kprobes enabled: {open('/sys/kernel/debug/kprobes/enabled').read().strip() if os.path.exists('/sys/kernel/debug/kprobes/enabled') else 'n/a'}")
    subprocess.run(["install", "-m", "755", os.path.join(IN, "opener"), harness.OPENER], check=True)
    run("journalctl", "--update-catalog")

    # 1. the shipped configuration, started as a user would
    t0 = time.monotonic()
    r = run("systemctl", "start", "opensnoopd")
    started = time.monotonic() - t0
    if not check("systemctl start opensnoopd succeeds (returns once READY=1 is sent)", r.returncode == 0,
                 f"{started:.1f} s"):
        say(run("journalctl", "--no-pager", "-u", "opensnoopd", "-n", "40").stdout)
        return {"kernel": kernel, "exposure": None, "checks": checks}
    check("active (running), Type=notify", (show("ActiveState"), show("SubState"), show("Type")) ==
          ("active", "running", "notify"), f"{show('ActiveState')}/{show('SubState')}/{show('Type')}")
    status = run("systemctl", "status", "--no-pager", "opensnoopd").stdout
    check("systemctl status shows STATUS= with mode kprobe on do_sys_openat2",
          re.search(r"Status: \"Tracing with kprobe \(do_sys_openat2\): \d+ written", status), status[:600])

    # 2. kprobe mode: every field, and the README's queries
    header, records = check_fields("kprobe", "vmkprobe")
    created = [r for r in records if bytes.fromhex(r["path_hex"]).endswith(b"/created")][0]
    path = bytes.fromhex(created["path_hex"]).decode()
    by_path = journal("-u", "opensnoopd", f"OPEN_PATH={path}")
    check("journalctl -u opensnoopd OPEN_PATH=<exact path> -o json", len(by_path) == 1 and
          harness.field(by_path[0], "OPEN_MODE") == "0640", len(by_path))
    nl = [r for r in records if b"\n" in bytes.fromhex(r["path_hex"])][0]
    by_nl = journal("-u", "opensnoopd", "OPEN_PATH=" + bytes.fromhex(nl["path_hex"]).decode())
    check("journalctl OPEN_PATH= with a newline in the path", len(by_nl) == 1, len(by_nl))
    check("journalctl OPEN_COMM=<name>", len(journal("OPEN_COMM=vmkprobe")) == len(records))
    check("journalctl MESSAGE_ID=<open id>",
          len(journal(f"MESSAGE_ID={harness.OPEN_MESSAGE_ID}", "OPEN_COMM=vmkprobe")) == len(records))
    x = run("journalctl", "--no-pager", "-x", "-u", "opensnoopd", "OPEN_COMM=vmkprobe").stdout
    check("journalctl -x shows the catalog text", "vmkprobe[%d] opened a file" % header["pid"] in x
          and "Defined-By: opensnoopd" in x, x[:400])

    # 3. tracepoint mode on the same kernel
    set_config("[Probe]\nMode=tracepoint\n")
    r = run("systemctl", "restart", "opensnoopd")
    check("Mode=tracepoint: restart, STATUS= names the tracepoints",
          r.returncode == 0 and show("StatusText").startswith("Tracing with tracepoint (syscalls:sys_*_open "),
          show("StatusText"))
    check_fields("tracepoint", "vmtracepoint")

    # 4. reload: a new filter applies at once; a broken file changes nothing
    def unit_log():
        return run("journalctl", "--no-pager", "-u", "opensnoopd").stdout

    set_config("[Probe]\nMode=tracepoint\n[Filter]\nCommands=vmkeep\n")
    r = run("systemctl", "reload", "opensnoopd")
    reloaded = "configuration reloaded from /etc/opensnoopd/opensnoopd.conf: Commands="
    check("reload says in the journal what changed", wait_until(lambda: reloaded in unit_log(), 60))
    d = workdir()
    _, keep = harness.run_opener("vmkeep", d, "fields")
    harness.run_opener("vmdrop", d, "fields")
    sentinel(d, "vmkeep")  # vmdrop's opens came before it: had they been recorded, they would be in by now
    kept = journal(UNIT, "OPEN_COMM=vmkeep")
    check("reload applies Commands= at once", r.returncode == 0 and len(kept) == len(keep) + 1 and
          not journal("OPEN_COMM=vmdrop"), f"kept {len(kept)}/{len(keep) + 1}")
    set_config("[Probe]\nMode=tracepoint\n[Filter]\nCommands=vmkeep2\nFailedOnly=sometimes\n")
    run("systemctl", "reload", "opensnoopd")
    broken = f"{CONF}:5: FailedOnly=sometimes: not a boolean (use yes or no)"
    reported = wait_until(lambda: broken in unit_log(), 60)
    harness.run_opener("vmkeep", d, "fields")
    sentinel(d, "vmkeep")
    check("a broken config on reload is reported with file:line and the old filter keeps running",
          show("ActiveState") == "active" and reported and
          len(journal(UNIT, "OPEN_COMM=vmkeep")) == 2 * len(keep) + 2,
          show("ActiveState"))

    # 5. a burst: every open in the journal or counted as lost/undelivered
    set_config("[Filter]\nCommands=vmburst\n")
    run("systemctl", "restart", "opensnoopd")
    pid = show("MainPID")
    n = 25000
    t0 = time.monotonic()
    out = run(harness.OPENER, "vmburst", workdir(), "burst", str(n)).stdout
    took = time.monotonic() - t0
    made = harness.opens_reported(out)

    def accounted():
        written = run("journalctl", "--no-pager", "-o", "cat", UNIT, "OPEN_COMM=vmburst").stdout.count("\n")
        lost = 0
        for e in journal(f"MESSAGE_ID={harness.LOSS_MESSAGE_ID}", f"_PID={pid}"):
            lost += int(harness.field(e, "OPEN_LOST") or 0) + int(harness.field(e, "OPEN_UNDELIVERED") or 0)
        return written, lost

    written, lost = wait_until(lambda: (lambda w, l: (w, l) if w + l >= n else None)(*accounted()), 120) \
        or accounted()
    suppressed = "Suppressed" in run("journalctl", "--no-pager", "-u", "systemd-journald").stdout
    check(f"burst of {n} opens in {took:.1f} s: written + reported lost == generated, no journald rate limit",
          made == n and written + lost == n and not suppressed,
          f"written {written}, reported lost/undelivered {lost}, generated {made}, journald suppressed: {suppressed}")

    # 6. stop: exit 0, nothing of ours left in the kernel
    set_config("")  # the defaults again: kprobe mode, no filter
    run("systemctl", "restart", "opensnoopd")
    pid = int(show("MainPID"))
    progs, links = harness.bpf_links_of(pid)
    r = run("systemctl", "stop", "opensnoopd")
    left = progs & harness.loaded_prog_ids()
    kprobe_events = open("/sys/kernel/tracing/kprobe_events").read()
    check("systemctl stop: inactive, exit status 0",
          r.returncode == 0 and show("ActiveState") == "inactive" and show("ExecMainStatus") == "0",
          f"{show('ActiveState')} status {show('ExecMainStatus')}")
    check("after stop no BPF program, perf link or kprobe of ours remains",
          len(links) == 2 and not left and not harness.bpf_links_of(pid)[1] and "opensnoopd" not in kprobe_events,
          f"links while running {len(links)}, programs left {left}, kprobe_events {kprobe_events!r}")

    # 7. SIGKILL: systemd restarts it and it traces again
    run("systemctl", "start", "opensnoopd")
    old = show("MainPID")
    run("systemctl", "kill", "-s", "KILL", "opensnoopd")
    new = wait_until(lambda: show("MainPID") not in ("0", old) and show("SubState") == "running" and show("MainPID"),
                     120)
    if check("systemctl kill -s KILL: Restart=on-failure brings it back", new, f"old {old} new {new}"):
        check_fields("after restart", "vmrestart")

    # 8. hardening score
    sec = run("systemd-analyze", "security", "--no-pager", "opensnoopd.service").stdout
    m = re.search(r"Overall exposure level for opensnoopd.service: ([0-9.]+) (\w+)", sec)
    exposure = f"{m.group(1)} {m.group(2)}" if m else None
    check(f"systemd-analyze security: exposure at most {EXPOSURE_LIMIT}",
          m and float(m.group(1)) <= EXPOSURE_LIMIT, exposure)

    # 9. not root
    r = run("runuser", "-u", "tester", "--", "/usr/sbin/opensnoopd")
    check("as a non-root user: one clear line, exit 1", r.returncode == 1 and r.stderr.strip().splitlines() ==
          ["opensnoopd: must run as root (or with CAP_BPF and CAP_PERFMON) to load BPF programs"], r.stderr)

    run("journalctl", "--no-pager", "-u", "opensnoopd", "-n", "50")
    run("systemctl", "stop", "opensnoopd")  # the suites trace on their own
    suites = run_integration_suites()
    return {"kernel": kernel, "exposure": exposure, "suites": suites, "checks": checks}


def run_integration_suites():
    """tests/integration's suites, as ctest runs them on the host, here on Debian's
    kernel under systemd as PID 1; Mode=auto must pick kprobes (OPENSNOOPD_TEST_EXPECT_MODE)."""
    build = "/var/tmp/opensnoopd-build"
    os.makedirs(os.path.join(build, "tests"), exist_ok=True)
    shutil.copy(os.path.join(IN, "opensnoopd"), os.path.join(build, "opensnoopd"))
    shutil.copy(os.path.join(IN, "opener"), os.path.join(build, "tests", "opener"))
    env = dict(os.environ, OPENSNOOPD_BUILD=build, OPENSNOOPD_TEST_EXPECT_MODE="kprobe", PYTHONUNBUFFERED="1",
               PYTHONDONTWRITEBYTECODE="1")
    os.umask(0o022)
    deadline = time.monotonic() + SUITES_TIMEOUT
    figures = {}
    for suite in ("test_daemon", "test_reliability"):
        log_path = os.path.join(OUT, f"integration-{suite}.log")
        t0 = time.monotonic()
        say(f"running the integration suite {suite}")
        with open(log_path, "w") as out:
            try:
                rc = subprocess.run([sys.executable, "-m", "unittest", "-v", suite], cwd=INTEGRATION, env=env,
                                    stdout=out, stderr=subprocess.STDOUT,
                                    timeout=max(60, deadline - time.monotonic())).returncode
            except subprocess.TimeoutExpired:
                rc = "timeout"
        took = time.monotonic() - t0
        with open(log_path) as f:
            text = f.read()
        ran = re.search(r"^Ran (\d+) tests? in", text, re.M)
        verdict = text.strip().splitlines()[-1] if text.strip() else ""
        passed = rc == 0 and ran and verdict == "OK"  # "OK (skipped=N)" is not a pass here
        figures[suite] = {"tests": int(ran.group(1)) if ran else None, "seconds": round(took), "result": verdict}
        check(f"integration suite {suite} in kprobe mode under systemd: "
              f"{ran.group(1) if ran else '?'} tests, {verdict or rc} in {took:.0f} s",
              passed, "" if passed else text[-1800:])
    reliability = os.path.join(build, "reliability.json")
    if os.path.exists(reliability):
        shutil.copy(reliability, os.path.join(OUT, "reliability.json"))
    return figures


if __name__ == "__main__":
    try:
        result = main()
    except Exception as e:  # a crash in the checks is a failed check, not a hung VM
        check("the checks ran to the end", False, repr(e))
        result = {"kernel": os.uname().release, "exposure": None, "checks": checks}
    with open(os.path.join(OUT, "result.json"), "w") as f:
        json.dump(result, f, indent=1)
    sys.exit(0 if all(c["ok"] for c in checks) else 1)
