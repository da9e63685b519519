# SPDX-License-Identifier: GPL-2.0
"""The host side of the QEMU harness must turn what the guest printed into
failures: a failing TAP line, a program that died, a missing exit marker, a
kernel splat on the console.  Run with: python3 -m unittest -v tests/host/test_harness.py
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scripts"))
import rrelay_harness as h  # noqa: E402


def results(*lines):
    return "\n".join(lines) + "\n"


class Selftests(unittest.TestCase):
    def test_pass_and_fail_lines(self):
        r = h.parse_selftests(results(
            "rrelay-test-begin prog", "TAP version 13", "1..2",
            "ok 1 global.a", "not ok 2 global.b", "rrelay-test-end prog rc=1"))
        self.assertEqual(r, [("prog: global.a", True, ""), ("prog: global.b", False, "")])

    def test_timing_line_after_the_end_marker_is_ignored(self):
        r = h.parse_selftests(results(
            "rrelay-test-begin p", "ok 1 global.a", "rrelay-test-end p rc=0",
            "rrelay-test-time p 12 s"))
        self.assertEqual(r, [("p: global.a", True, "")])

    def test_program_that_dies_without_tap_fails(self):
        r = h.parse_selftests(results("rrelay-test-begin p", "Segmentation fault",
                                      "rrelay-test-end p rc=139"))
        self.assertEqual([x[1] for x in r], [False])

    def test_program_that_never_ends_fails(self):
        r = h.parse_selftests(results("rrelay-test-begin p", "ok 1 global.a"))
        self.assertIn(False, [x[1] for x in r])

    def test_skip_is_neither_pass_nor_fail(self):
        r = h.parse_selftests(results("rrelay-test-begin p", "ok 1 global.a # SKIP no cpu",
                                      "rrelay-test-end p rc=0"))
        self.assertEqual(r[0][1], None)

    def test_indented_subtest_lines_are_not_top_level(self):
        r = h.parse_selftests(results("rrelay-test-begin p", "    ok 1 inner",
                                      "ok 1 outer", "rrelay-test-end p rc=0"))
        self.assertEqual([x[0] for x in r], ["p: outer"])


class Console(unittest.TestCase):
    def test_splats_are_found(self):
        for line in ["WARNING: CPU: 1 PID: 7 at src/x.c:3 f+0x1/0x2",
                     "BUG: KASAN: slab-out-of-bounds in f",
                     "Call Trace:", "unreferenced object 0xffff888003 (size 64):",
                     "BUG: sleeping function called from invalid context",
                     "UBSAN: shift-out-of-bounds in x.c:1:2"]:
            self.assertEqual(h.find_splats("boot ok\n" + line + "\n"), [line], line)

    def test_clean_boot_lines_are_not_splats(self):
        clean = ("kasan: KernelAddressSanitizer initialized (generic)\n"
                 "... MAX_LOCKDEP_SUBCLASSES:  8\n"
                 "rrelay: loading test module taints kernel.\n")
        self.assertEqual(h.find_splats(clean), [])

    def test_kunit_cases_count_once_and_worst_wins(self):
        run = ("KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: rrelay_s\n    1..2\n"
               "    ok 1 a\n    %s 2 b\nok 1 rrelay_s\n")
        r = dict((k, v) for k, v, _ in h.parse_kunit(run % "ok" + run % "not ok"))
        self.assertEqual(r, {"kunit rrelay_s: a": True, "kunit rrelay_s: b": False})

    def test_kunit_suites_of_the_kernel_itself_are_not_counted(self):
        run = "    # Subtest: rust_kernel_fmt\n    1..1\n    not ok 1 x\nnot ok 1 rust_kernel_fmt\n"
        self.assertEqual(h.parse_kunit(run), [])

    def test_guest_exit_marker(self):
        self.assertEqual(h.guest_exit("x\nrrelay-guest-exit 3\n"), 3)
        self.assertIsNone(h.guest_exit("x\n"))


class ExpectKernel(unittest.TestCase):
    """--expect-kernel: the boot of another kernel must not pass."""

    def check(self, console, release):
        import tempfile
        with tempfile.NamedTemporaryFile("w+", suffix=".log") as f:
            ok = h.expect_kernel(f.name, console, release)
            return ok, h.parse_selftests(h.read(f.name))

    def test_the_right_kernel_passes(self):
        con = "[    0.000000] Linux version 7.3.4+deb13-amd64 (debian-kernel@lists.debian.org) ...\n"
        ok, res = self.check(con, "7.3.4+deb13-amd64")
        self.assertTrue(ok)
        self.assertEqual([r[1] for r in res], [True])

    def test_another_kernel_fails(self):
        con = "[    0.000000] Linux version 7.3.4 (root@host) (clang version 19) #1\n"
        ok, res = self.check(con, "7.3.4+deb13-amd64")
        self.assertFalse(ok)
        self.assertEqual([r[1] for r in res], [False])

    def test_a_longer_release_is_another_kernel(self):
        con = "Linux version 7.3.4+deb13-amd64-rt (x) #1\n"
        self.assertFalse(self.check(con, "7.3.4+deb13-amd64")[0])


class Cargo(unittest.TestCase):
    def test_cargo_lines(self):
        r = h.parse_cargo("test a::b ... ok\ntest c ... FAILED\ntest d ... ignored\n")
        self.assertEqual([x[1] for x in r], [True, False, None])


class Machines(unittest.TestCase):
    def test_aarch64_boots_virt_with_cpu_max(self):
        cmd = h.qemu_command("aarch64", 4, "1G", "tcg")
        self.assertEqual(cmd[:5], ["qemu-system-aarch64", "-M", "virt", "-cpu", "max"])
        self.assertIn("4", cmd)

    def test_x86_64_is_the_default_machine(self):
        self.assertEqual(h.qemu_command("x86_64", 1, "1G", "tcg")[0], "qemu-system-x86_64")

    def test_unknown_arch_is_refused(self):
        with self.assertRaises(ValueError):
            h.qemu_command("riscv64", 1, "1G", "tcg")


if __name__ == "__main__":
    unittest.main()
