// SPDX-License-Identifier: GPL-2.0
/*
 * The test harness itself: a program whose checks fail must exit non-zero
 * and print "not ok" for exactly the failing tests, or no failure in this
 * suite could ever be seen.
 */
#include <unistd.h>
#include "kselftest_harness.h"
#include "rrelay_test.h"

#define FAILING "/tests/expect-fail/failing_checks"

TEST(failing_checks_are_reported)
{
	char out[16384];
	size_t len = 0;
	ssize_t n;
	int fds[2], status;
	pid_t pid;

	ASSERT_EQ(0, pipe(fds));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		execl(FAILING, FAILING, NULL);
		_exit(127);
	}
	close(fds[1]);
	while ((n = read(fds[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += n;
	out[len] = '\0';
	close(fds[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));

	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_NE(0, WEXITSTATUS(status));
	EXPECT_NE(NULL, strstr(out, "not ok 1 global.expect_that_fails"));
	EXPECT_NE(NULL, strstr(out, "not ok 2 global.assert_on_a_missing_file"));
	EXPECT_NE(NULL, strstr(out, "\nok 3 global.passes"));
	if (_metadata->exit_code != KSFT_PASS)
		TH_LOG("child said:\n%s", out);
}

TEST_HARNESS_MAIN
