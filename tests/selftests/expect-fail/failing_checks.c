// SPDX-License-Identifier: GPL-2.0
/*
 * Checks that must fail.  Not part of the plan: harness_can_fail runs this
 * program and requires the failures to be reported, which proves that a
 * failing check in the guest reaches the host as a failure.
 */
#include <sys/stat.h>
#include "kselftest_harness.h"

TEST(expect_that_fails)
{
	EXPECT_EQ(1, 2);
}

TEST(assert_on_a_missing_file)
{
	struct stat st;

	ASSERT_EQ(0, stat("/sys/kernel/debug/no-such-rrelay-file", &st));
}

TEST(passes)
{
	EXPECT_EQ(2, 1 + 1);
}

TEST_HARNESS_MAIN
