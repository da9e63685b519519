// SPDX-License-Identifier: GPL-2.0
/*
 * What is particular to Debian's own kernel (the debian boot of
 * scripts/check): it is the kernel Debian ships, rrelay built for it
 * loads, gets its BTF, and taints it only as an out-of-tree, unsigned
 * module, and unloads.  Runs first in plan.debian, before any other
 * program has loaded a module.
 */
#include <unistd.h>
#include <sys/utsname.h>
#include "kselftest_harness.h"
#include "rrelay_test.h"

#define DEBIAN_RELEASE	"7.3.4+deb13-amd64"
#define DEBIAN_VERSION	"Debian 7.3.4-1~bpo13+1"

/* Kernel taint bits 12 and 13 (admin-guide/tainted-kernels.rst). */
#define TAINT_OOT_MODULE	4096
#define TAINT_UNSIGNED_MODULE	8192
#define TAINTED			"/proc/sys/kernel/tainted"

static long taint_value(void)
{
	long v = -1;
	FILE *f = fopen(TAINTED, "r");

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

TEST(is_debians_kernel)
{
	struct utsname u;

	ASSERT_EQ(0, uname(&u));
	EXPECT_STREQ(DEBIAN_RELEASE, u.release);
	EXPECT_NE(NULL, strstr(u.version, DEBIAN_VERSION))
		TH_LOG("uname -v: %s", u.version);
	/* The kernel's own relay, which rrelay's r-prefixed names avoid. */
	EXPECT_TRUE(kernel_has_relay());
}

TEST(rrelay_taints_only_out_of_tree_unsigned)
{
	long before, after;

	before = taint_value();
	ASSERT_EQ(0, before) TH_LOG("tainted before any module: %ld", before);
	ASSERT_EQ(0, run("insmod " RRELAY_KO));
	after = taint_value();
	ksft_print_msg(TAINTED " with rrelay loaded: %ld\n", after);
	EXPECT_EQ(TAINT_OOT_MODULE | TAINT_UNSIGNED_MODULE, after);
	/* Debian's kernel has CONFIG_DEBUG_INFO_BTF_MODULES=y. */
	EXPECT_EQ(0, access("/sys/kernel/btf/rrelay", R_OK))
		TH_LOG("rrelay.ko has no BTF: built without Debian's vmlinux?");
	EXPECT_EQ(0, run("grep -q '^rrelay .*(OE)' /proc/modules"));
	EXPECT_EQ(0, run("rmmod rrelay"));
}

/*
 * The module that DKMS built and installed in the Debian chroot, as a
 * Debian user gets it (scripts/eco-tests debian-dkms), loads too.
 */
TEST(dkms_module_loads)
{
	if (access("/modules/rrelay_dkms.ko", R_OK))
		SKIP(return, "no DKMS-built rrelay.ko in the initramfs");
	ASSERT_EQ(0, run("insmod /modules/rrelay_dkms.ko"));
	EXPECT_EQ(1, is_dir(DEBUGFS "/rrelay"));
	EXPECT_EQ(0, run("rmmod rrelay"));
}

/*
 * Debian builds its kernel without KUnit, so rrelay's KUnit suites do
 * not exist there: say so as a skip rather than pass silently.
 */
TEST(kunit_suites)
{
	if (is_dir(DEBUGFS "/kunit") != 1)
		SKIP(return, "Debian's kernel has no KUnit (CONFIG_KUNIT is not set)");
	EXPECT_EQ(0, run("insmod " RRELAY_KO " && rmmod rrelay"));
	EXPECT_EQ(0, run("ls " DEBUGFS "/kunit | grep -q '^rrelay'"));
}

TEST_HARNESS_MAIN
