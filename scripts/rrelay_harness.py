#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Boot rrelay's test kernel under QEMU (TCG) and judge what it printed.

Subcommands:
  boot    boot a kernel with an initramfs, stream the console, keep logs
  report  turn cargo, selftest (TAP), KUnit (KTAP) and console logs into
          one list of results and the closing line "N passed, N failed"

The guest writes test output to its second serial port (results log) and
the kernel writes to the first (console log), so parsing one never trips
over the other.
"""

import argparse
import re
import subprocess
import sys
import threading
import time

# A console line matching any of these fails the run even if every test
# passed: the kernel noticed something wrong.
SPLAT_PATTERNS = [
    r"\bBUG:",
    r"\bWARNING:",
    r"\bOops\b",
    r"\bKASAN\b",
    r"\bUBSAN\b",
    r"Call Trace",
    r"unreferenced object 0x",
    r"Kernel panic",
    r"general protection fault",
    r"INFO: task .* blocked for more than",
    r"possible (circular|recursive) locking",
    r"inconsistent lock state",
]
SPLAT_RE = re.compile("|".join(SPLAT_PATTERNS))

TAP_RE = re.compile(r"^(\s*)(not ok|ok) (\d+) ?-? ?([^#]*?)\s*(#\s*(\w+).*)?$")


def boot(args):
    """Run QEMU once; return 0 when the guest reported exit status 0."""
    append = "panic=-1 kunit.filter_glob=rrelay* " + " ".join(args.append)
    cmd = qemu_command(args.arch, args.smp, args.mem, args.accel) + [
        "-kernel", args.kernel, "-initrd", args.initramfs,
        "-chardev", "stdio,id=con,signal=off",
    ]
    if args.arch == "aarch64":
        # virt has one PL011 (ttyAMA0, the console); the results go through
        # a virtio console (hvc0), which tests/guest/init prefers.
        cmd += ["-serial", "chardev:con",
                "-chardev", "file,id=res,path=" + args.results,
                "-device", "virtio-serial-device",
                "-device", "virtconsole,chardev=res",
                "-append", "console=ttyAMA0 " + append]
    else:
        # no_timer_check: at boot, x86 checks the IO-APIC timer by counting
        # ticks over a busy-wait; a vCPU starved by a loaded host misses
        # them and the kernel panics ("IO-APIC + timer doesn't work"), seen
        # once at a host load of 12.  The timer works under QEMU; the check
        # only measures the host's load.
        cmd += ["-serial", "chardev:con", "-serial", "file:" + args.results,
                "-append", "console=ttyS0 no_timer_check " + append]
    cmd += args.qemu_arg
    console = open(args.console, "w")
    open(args.results, "w").close()
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)

    def pump():
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").replace("\r", "")
            console.write(line)
            console.flush()
            if args.echo:
                sys.stdout.write(line)
                sys.stdout.flush()

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        proc.wait(timeout=args.timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        timed_out = True
    reader.join(5)
    elapsed = time.monotonic() - start
    with open(args.console, "a") as c:
        if timed_out:
            c.write("rrelay-host: guest killed after %d s time limit\n" % args.timeout)
    status = guest_exit(read(args.results)) if not timed_out else None
    kernel_ok = True
    if args.expect_kernel:
        kernel_ok = expect_kernel(args.results, read(args.console), args.expect_kernel)
    print("guest: %s after %.1f s" % (
        "timed out" if timed_out else "exit status %s" % status, elapsed), file=sys.stderr)
    if args.check_console:
        splats = find_splats(read(args.console))
        for s in splats:
            print("console: " + s, file=sys.stderr)
        if splats:
            return 1
    return 0 if status == 0 and kernel_ok else 1


def expect_kernel(results, console, release):
    """Whether the console shows that kernel release booted: a boot of
    another kernel (a stale or wrong image) must not pass as this one.
    The verdict goes into the results log as one more test, so that the
    report counts it with the guest's."""
    want = "Linux version %s " % release
    ok = any(l.startswith(want) or (" " + want) in l for l in console.splitlines())
    with open(results, "a") as r:
        r.write("rrelay-test-begin host\n%s 1 console shows %s\nrrelay-test-end host rc=%d\n"
                % ("ok" if ok else "not ok", want.strip(), 0 if ok else 1))
    if not ok:
        print("console: no '%s' line: another kernel booted" % want.strip(), file=sys.stderr)
    return ok


def qemu_command(arch, smp, mem, accel):
    """QEMU and its machine for a guest architecture, without the boot files.
    aarch64 runs QEMU's virt machine with the most capable CPU model
    (-cpu max), under TCG like x86; its CPU hotplug goes through PSCI."""
    if arch == "aarch64":
        base = ["qemu-system-aarch64", "-M", "virt", "-cpu", "max"]
    elif arch == "x86_64":
        base = ["qemu-system-x86_64"]
    else:
        raise ValueError("unknown guest architecture " + arch)
    return base + ["-accel", accel, "-nodefaults", "-no-reboot", "-display", "none",
                   "-smp", str(smp), "-m", mem]


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read().replace("\r", "")
    except FileNotFoundError:
        return ""


def guest_exit(results):
    m = re.findall(r"^rrelay-guest-exit (\d+)", results, re.M)
    return int(m[-1]) if m else None


def find_splats(console):
    return [l.strip() for l in console.splitlines() if SPLAT_RE.search(l)]


def parse_selftests(results):
    """Results of each kselftest program between begin/end markers."""
    out = []
    cur, seen = None, 0
    for line in results.splitlines():
        if line.startswith("rrelay-test-begin "):
            cur, seen = line.split()[1], 0
            continue
        if line.startswith("rrelay-test-end ") and cur:
            rc = line.split("rc=")[-1]
            if rc != "0" and not any(r[0].startswith(cur + ":") and not r[1] for r in out):
                out.append((cur + ": exit status " + rc, False, "program failed"))
            elif seen == 0 and rc == "0":
                out.append((cur + ": ran no test", False, "no TAP result"))
            cur = None
            continue
        if cur is None:
            continue
        m = TAP_RE.match(line)
        if m and m.group(1) == "":
            seen += 1
            directive = (m.group(6) or "").upper()
            name = "%s: %s" % (cur, m.group(4))
            if directive == "SKIP":
                out.append((name, None, "skipped"))
            else:
                out.append((name, m.group(2) == "ok", ""))
    if cur:
        out.append((cur + ": did not finish", False, "guest died or timed out"))
    return out


def parse_kunit(console):
    """KUnit suites from the console.  A module's suites run at every load,
    so each (suite, case) counts once and its worst result wins."""
    res = {}
    suite = None
    for line in console.splitlines():
        m = re.match(r"^\s*# Subtest: (\S+)", line)
        if m:
            # Only rrelay's suites: the kernel's own may run at boot.
            suite = m.group(1) if m.group(1).startswith("rrelay") else None
            continue
        m = TAP_RE.match(line)
        if not m or suite is None:
            continue
        depth = len(m.group(1))
        if depth == 0:
            suite = None
            continue
        if depth >= 4:
            key = "kunit %s: %s" % (suite, m.group(4))
            directive = (m.group(6) or "").upper()
            ok = None if directive == "SKIP" else m.group(2) == "ok"
            prev = res.get(key, True)
            res[key] = ok if prev is not False else False
    return [(k, v, "") for k, v in res.items()]


def parse_cargo(log):
    out = []
    for m in re.finditer(r"^test (\S+) \.\.\. (ok|FAILED|ignored)$", log, re.M):
        ok = {"ok": True, "FAILED": False, "ignored": None}[m.group(2)]
        out.append(("host " + m.group(1), ok, ""))
    if re.search(r"^error(\[E\d+\])?:", log, re.M):
        out.append(("host: cargo build", False, "see the cargo log"))
    return out


def parse_unittest(log):
    out = []
    for m in re.finditer(r"^(test\w+) \(([\w.]+)\)[^\n]*? \.\.\. (ok|FAIL|ERROR|skipped.*)$", log, re.M):
        ok = None if m.group(3).startswith("skipped") else m.group(3) == "ok"
        parts = m.group(2).split(".")
        cls = parts[-2] if parts[-1] == m.group(1) and len(parts) > 1 else parts[-1]
        out.append(("host %s.%s" % (cls, m.group(1)), ok, ""))
    return out


def parse_steps(log):
    return [(l[3:] if l.startswith("ok ") else l[5:], l.startswith("ok "), "see above")
            for l in log.splitlines() if l.strip()]


def report(args):
    results = []
    for path in args.steps:
        results += parse_steps(read(path))
    for path in args.unittest:
        results += parse_unittest(read(path))
    for path in args.cargo:
        results += parse_cargo(read(path))
    for label, results_path, console_path in args.boot:
        tag = "" if label == "test" else "[%s] " % label
        text = read(results_path)
        st = guest_exit(text)
        console = read(console_path)
        splats = find_splats(console)
        boot = parse_selftests(text)
        boot.append(("guest: ran to the end", st is not None, "no exit marker"))
        boot += parse_kunit(console)
        boot.append(("console: no kernel splat", not splats, "; ".join(splats[:5])))
        results += [(tag + n, ok, why) for n, ok, why in boot]
    passed = failed = skipped = 0
    for name, ok, why in results:
        if ok is None:
            skipped += 1
            tag = "SKIP"
        elif ok:
            passed += 1
            tag = "PASS"
        else:
            failed += 1
            tag = "FAIL"
        print("%s %s%s" % (tag, name, ("  (" + why + ")") if why and ok is False else ""))
    if passed + failed == 0:
        failed = 1
        print("FAIL no test ran")
    line = "%d passed, %d failed" % (passed, failed)
    if skipped:
        line += ", %d skipped" % skipped
    print(line)
    return 1 if failed else 0


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("boot")
    b.add_argument("--kernel", required=True)
    b.add_argument("--initramfs", required=True)
    b.add_argument("--arch", choices=["x86_64", "aarch64"], default="x86_64",
                   help="guest architecture (aarch64: QEMU virt, -cpu max)")
    b.add_argument("--smp", type=int, default=4)
    b.add_argument("--accel", default="tcg",
                   help="QEMU -accel value, e.g. tcg,thread=multi")
    b.add_argument("--mem", default="1G")
    b.add_argument("--timeout", type=int, default=900)
    b.add_argument("--console", required=True)
    b.add_argument("--results", required=True)
    b.add_argument("--echo", action="store_true")
    b.add_argument("--check-console", action="store_true")
    b.add_argument("--expect-kernel", metavar="RELEASE",
                   help="fail unless the console shows 'Linux version RELEASE'")
    b.add_argument("--qemu-arg", action="append", default=[])
    b.add_argument("append", nargs="*")
    r = sub.add_parser("report")
    r.add_argument("--steps", action="append", default=[])
    r.add_argument("--cargo", action="append", default=[])
    r.add_argument("--unittest", action="append", default=[])
    r.add_argument("--boot", nargs=3, action="append", default=[],
                   metavar=("LABEL", "RESULTS", "CONSOLE"),
                   help="one boot's results and console logs")
    a = p.parse_args()
    return boot(a) if a.cmd == "boot" else report(a)


if __name__ == "__main__":
    sys.exit(main())
