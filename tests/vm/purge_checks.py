# SPDX-License-Identifier: MIT
"""Runs inside the VM (Debian 12, systemd as PID 1) with the opensnoopd Debian
package installed: checks what the installation did (unit enabled and running,
conffile, catalog indexed), purges the package with apt, and checks that
nothing of it is left: unit, enablement links, conffile, programs and man
pages, the process, its BPF programs, perf links and kprobe events, and its
journal catalog entries. The journal entries it wrote stay: they are the record.

    python3 purge_checks.py OUT [--install DEB]

writes OUT/purge-result.json ({"checks": [{"name", "ok", "detail"}, ...]},
the shape of checks.py's records) and exits 0 only if every check passed.
From Python: installed(deb) installs (if given) and checks the installation,
purged() purges and checks the leftovers, run(deb) does both; each returns
its list of records.
Standalone on purpose: it needs only python3, apt, systemctl, journalctl and
bpftool in the guest."""

import json
import os
import re
import subprocess
import sys

PACKAGE = "opensnoopd"
UNIT = "opensnoopd.service"
MESSAGE_IDS = ("e0c0158eb2c1484eb4e67cee89d40b10", "58bd4eaad71a43d79f78ff1baa05e4da")
CONF = "/etc/opensnoopd/opensnoopd.conf"


def sh(*cmd, timeout=600, env=None):
    return subprocess.run(list(cmd), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout,
                          env=env)


class Checks:
    def __init__(self):
        self.records = []

    def check(self, name, ok, detail=""):
        self.records.append({"name": name, "ok": bool(ok), "detail": str(detail)[:2000]})
        print(("PASS " if ok else "FAIL ") + name + (f": {detail}" if detail else ""), flush=True)
        return ok


def show(prop):
    return sh("systemctl", "show", "-p", prop, "--value", UNIT).stdout.strip()


def tracefs():
    for d in ("/sys/kernel/tracing", "/sys/kernel/debug/tracing"):
        if os.path.exists(os.path.join(d, "kprobe_events")):
            return d
    return None


def kprobe_events_of(pid):
    """The kprobe events process pid made: its return probes (opensnoopd/ret_<pid> and
    opensnoopd/ret_<pid>_by_handle), or
    libbcc's (named ..._bcc_<pid>)."""
    d = tracefs()
    if d is None or not pid:
        return []
    with open(os.path.join(d, "kprobe_events")) as f:
        return [l.strip() for l in f if re.search(rf"_bcc_{pid}\b|opensnoopd/ret_{pid}(_\w+)?\b", l)]


def registered_kprobes():
    """Kprobes on the open path registered in the kernel by anyone (debugfs's kprobes/list
    shows those made through the perf kprobe PMU too, which kprobe_events does not)."""
    try:
        with open("/sys/kernel/debug/kprobes/list") as f:
            return [l.strip() for l in f if re.search(r"\bdo_sys_open(at2)?\+", l)]
    except OSError:
        return None


def bpf_state(pid):
    """(ids of the BPF programs pid has attached, its perf links, every loaded program id)."""
    links = json.loads(sh("bpftool", "perf", "list", "-j").stdout or "[]")
    mine = [l for l in links if l.get("pid") == pid]
    loaded = {p["id"] for p in json.loads(sh("bpftool", "prog", "show", "-j").stdout or "[]")}
    return {l["prog_id"] for l in mine}, mine, loaded


def catalog_ids():
    out = sh("journalctl", "--list-catalog", "--no-pager").stdout
    return [i for i in MESSAGE_IDS if i in out]


def install(checks, deb):
    """apt install ./DEB, as a user would; the postinst enables and starts the unit."""
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    r = sh("apt-get", "install", "-y", "--no-install-recommends", os.path.abspath(deb), env=env, timeout=900)
    checks.check(f"apt-get install {os.path.basename(deb)}", r.returncode == 0, (r.stdout + r.stderr)[-1500:])


def installed(deb=None):
    """Installs DEB with apt if given; checks what the installation did. Returns the records."""
    checks = Checks()
    check = checks.check
    if deb:
        install(checks, deb)
    status = sh("dpkg-query", "-W", "-f=${db:Status-Abbrev} ${Version}", PACKAGE).stdout.strip()
    if not check("the package is installed", status.startswith("ii "), status):
        return checks.records
    enabled = sh("systemctl", "is-enabled", UNIT).stdout.strip()
    check("installing enabled the unit", enabled == "enabled", enabled)
    check("installing started the unit: active (running)", (show("ActiveState"), show("SubState")) ==
          ("active", "running"), f"{show('ActiveState')}/{show('SubState')}")
    conffiles = sh("dpkg-query", "-W", "-f=${Conffiles}", PACKAGE).stdout
    check(f"{CONF} is a conffile", CONF in conffiles, conffiles.strip())
    check("the catalog was indexed on install (systemd's trigger)", catalog_ids() == list(MESSAGE_IDS),
          catalog_ids())
    return checks.records


def purged():
    """Purges the installed package with apt (starting the unit first if it is not running, so
    that there is something to clean up) and checks nothing of it is left. Returns the records."""
    checks = Checks()
    check = checks.check
    if show("ActiveState") != "active":
        r = sh("systemctl", "start", UNIT)
        check("before purge: systemctl start opensnoopd", r.returncode == 0, r.stderr.strip())
    pid = int(show("MainPID") or 0)
    progs, links, _ = bpf_state(pid)
    events = kprobe_events_of(pid)
    kprobes = registered_kprobes()
    mode = show("StatusText")
    check("before purge: the daemon holds BPF programs and perf links", pid and progs and links,
          f"pid {pid}, programs {sorted(progs)}, {len(links)} links, kprobe events {events}, "
          f"kprobes {kprobes}, status {mode!r}")
    listed = [p for p in sh("dpkg-query", "-L", PACKAGE).stdout.splitlines() if p.strip()]
    # files and symlinks of its own, not directories (nor /lib, a symlink to a directory)
    files = [p for p in listed if (os.path.isfile(p) or os.path.islink(p)) and not os.path.isdir(p)]

    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    r = sh("apt-get", "purge", "-y", PACKAGE, env=env)
    check("apt-get purge opensnoopd succeeds", r.returncode == 0, (r.stdout + r.stderr)[-1500:])

    status = sh("dpkg-query", "-W", "-f=${db:Status-Abbrev}", PACKAGE)
    check("dpkg no longer knows the package", status.returncode != 0 or status.stdout.strip() in ("", "un", "pn"),
          status.stdout.strip() or status.stderr.strip())
    left = [p for p in files if os.path.lexists(p)]
    check(f"none of the {len(files)} files it shipped is left", files and not left, left)
    check("the conffile and /etc/opensnoopd are gone", not os.path.lexists("/etc/opensnoopd"),
          os.listdir("/etc/opensnoopd") if os.path.isdir("/etc/opensnoopd") else "")
    unit_paths = [p for p in ("/lib/systemd/system/" + UNIT, "/usr/lib/systemd/system/" + UNIT,
                              "/etc/systemd/system/multi-user.target.wants/" + UNIT,
                              "/etc/systemd/system/" + UNIT,
                              "/var/lib/systemd/deb-systemd-helper-enabled/" + UNIT,
                              "/var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/" + UNIT,
                              "/var/lib/systemd/deb-systemd-helper-masked/" + UNIT) if os.path.lexists(p)]
    check("no unit file, enablement link or deb-systemd-helper state is left", not unit_paths, unit_paths)
    load = show("LoadState")
    check("systemd no longer has the unit (LoadState=not-found)", load == "not-found", load)
    r = sh("pgrep", "-x", "opensnoopd")
    check("no opensnoopd process runs", r.returncode == 1, r.stdout.strip())
    _, links_after, loaded = bpf_state(pid)
    check("its BPF programs are unloaded and its perf links gone", not (progs & loaded) and not links_after,
          f"still loaded {sorted(progs & loaded)}, links {links_after}")
    check("no kprobe event of it is left in kprobe_events", not kprobe_events_of(pid),
          f"before {events}, after {kprobe_events_of(pid)}")
    if mode.startswith("Tracing with kprobe"):
        after = registered_kprobes()
        check("kprobe mode: its kprobes on the open path were registered, and are gone",
              kprobes and after == [], f"before {kprobes}, after {after}")
    check("the catalog no longer has its MESSAGE_IDs (systemd's trigger re-indexed it)", catalog_ids() == [],
          catalog_ids())
    return checks.records


def run(deb=None):
    """installed() then purged(): the whole install-to-purge cycle."""
    records = installed(deb)
    if records and all(r["ok"] for r in records):
        records += purged()
    return records


def main():
    args = sys.argv[1:]
    deb = None
    if "--install" in args:
        i = args.index("--install")
        deb = args[i + 1]
        del args[i:i + 2]
    out = args[0] if args else "."
    try:
        records = run(deb)
    except Exception as e:  # a crash is a failed check, not a hung VM
        records = [{"name": "the purge checks ran to the end", "ok": False, "detail": repr(e)}]
    with open(os.path.join(out, "purge-result.json"), "w") as f:
        json.dump({"checks": records}, f, indent=1)
    return 0 if records and all(r["ok"] for r in records) else 1


if __name__ == "__main__":
    sys.exit(main())
