// SPDX-License-Identifier: GPL-2.0
/*
 * The clients in examples/, built as a user would build them (against an
 * installed rrelay), load and log exactly what they promise: every buffer
 * file /sys/kernel/debug/<client>/cpuN is read back and compared byte for
 * byte with the lines the client's source says it writes.
 */
#include <fcntl.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "rrelay_test.h"

#define RECORDS		100
#define MAX_CPUS	64

static char got[64 * 1024], want[64 * 1024];

/* The whole content of a buffer file, read until read() returns 0. */
static ssize_t slurp(const char *path)
{
	ssize_t n, len = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -errno;
	while ((n = read(fd, got + len, sizeof(got) - 1 - len)) > 0)
		len += n;
	close(fd);
	got[len] = '\0';
	return n < 0 ? -errno : len;
}

static int load(const char *client)
{
	run("rmmod %s 2>/dev/null; rmmod rrelay 2>/dev/null", client);
	if (run("insmod " RRELAY_KO " chan="))
		return -1;
	return run("insmod /modules/%s.ko records=%d", client, RECORDS);
}

static void unload(const char *client)
{
	run("rmmod %s; rmmod rrelay", client);
}

/* hello_relay logs RECORDS lines on every CPU, each in its own buffer. */
TEST(c_client_lines_read_back_byte_for_byte)
{
	int cpu, seq, files = 0;
	char path[128];
	size_t len;

	ASSERT_EQ(0, load("hello_relay"));
	for (cpu = 0; cpu < MAX_CPUS; cpu++) {
		snprintf(path, sizeof(path), DEBUGFS "/hello_relay/cpu%d", cpu);
		if (access(path, F_OK))
			continue;
		files++;
		len = 0;
		for (seq = 0; seq < RECORDS; seq++)
			len += snprintf(want + len, sizeof(want) - len,
					"hello_relay cpu=%d seq=%d\n", cpu, seq);
		ASSERT_EQ((ssize_t)len, slurp(path)) TH_LOG("%s", path);
		EXPECT_EQ(0, memcmp(got, want, len)) TH_LOG("%s", path);
	}
	/* A buffer, and so a file, for every online CPU. */
	EXPECT_EQ(sysconf(_SC_NPROCESSORS_ONLN), files);
	printf("# hello_relay: %d lines on each of %d CPUs read back\n",
	       RECORDS, files);
	unload("hello_relay");
}

/*
 * hello_relay_rs logs RECORDS lines from its init, which may move between
 * CPUs: each buffer holds a run of consecutive lines, and together they
 * hold every line once.
 */
TEST(rust_client_lines_read_back_byte_for_byte)
{
	int cpu, seq, n, total = 0;
	char path[128], seen[RECORDS] = { 0 };
	size_t len;
	char *p;

	ASSERT_EQ(0, load("hello_relay_rs"));
	for (cpu = 0; cpu < MAX_CPUS; cpu++) {
		snprintf(path, sizeof(path), DEBUGFS "/hello_relay_rs/cpu%d", cpu);
		if (access(path, F_OK))
			continue;
		ASSERT_LE(0, slurp(path)) TH_LOG("%s", path);
		if (!got[0])
			continue;
		/* The first line names where the run starts; rebuild it all. */
		n = sscanf(got, "hello_relay_rs seq=%d", &seq);
		ASSERT_EQ(1, n) TH_LOG("%s", path);
		ASSERT_GE(seq, 0);
		len = 0;
		for (p = got; *p && seq < RECORDS; seq++) {
			p = strchr(p, '\n');
			ASSERT_NE(NULL, p);
			p++;
			seen[seq]++;
			total++;
			len += snprintf(want + len, sizeof(want) - len,
					"hello_relay_rs seq=%d\n", seq);
		}
		ASSERT_EQ(strlen(got), len) TH_LOG("%s", path);
		EXPECT_EQ(0, memcmp(got, want, len)) TH_LOG("%s", path);
	}
	EXPECT_EQ(RECORDS, total);
	for (seq = 0; seq < RECORDS; seq++)
		EXPECT_EQ(1, seen[seq]) TH_LOG("line %d", seq);
	printf("# hello_relay_rs: %d of %d lines read back\n", total, RECORDS);
	unload("hello_relay_rs");
}

TEST_HARNESS_MAIN
