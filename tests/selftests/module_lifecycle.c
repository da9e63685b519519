// SPDX-License-Identifier: GPL-2.0
/*
 * rrelay.ko loads, shows its debugfs directory, unloads and takes the
 * directory with it; and does so again (nothing left behind by the first
 * round stops the second).
 */
#include "kselftest_harness.h"
#include "rrelay_test.h"

#define RRELAY_DIR DEBUGFS "/rrelay"

TEST(load_creates_debugfs_dir_and_unload_removes_it)
{
	ASSERT_EQ(0, is_dir(RRELAY_DIR)) TH_LOG("rrelay loaded before the test");
	ASSERT_EQ(0, run("insmod " RRELAY_KO));
	EXPECT_EQ(1, is_dir("/sys/module/rrelay"));
	EXPECT_EQ(1, is_dir(RRELAY_DIR));
	ASSERT_EQ(0, run("rmmod rrelay"));
	EXPECT_EQ(0, is_dir(RRELAY_DIR));
	EXPECT_EQ(0, is_dir("/sys/module/rrelay"));
}

TEST(reload_works)
{
	int i;

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, run("insmod " RRELAY_KO)) TH_LOG("round %d", i);
		ASSERT_EQ(1, is_dir(RRELAY_DIR));
		ASSERT_EQ(0, run("rmmod rrelay")) TH_LOG("round %d", i);
		ASSERT_EQ(0, is_dir(RRELAY_DIR));
	}
}

TEST(double_load_is_refused)
{
	ASSERT_EQ(0, run("insmod " RRELAY_KO));
	EXPECT_NE(0, run("insmod " RRELAY_KO " 2>/dev/null"));
	EXPECT_EQ(1, is_dir(RRELAY_DIR));
	ASSERT_EQ(0, run("rmmod rrelay"));
}

TEST_HARNESS_MAIN
