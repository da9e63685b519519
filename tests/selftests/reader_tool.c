// SPDX-License-Identifier: GPL-2.0
/*
 * tools/rrelay-read end to end: it drains every CPU's buffer of a channel
 * while kernel producers write, by splice, mmap and read, until the
 * channel closes; each way must capture every record, byte for byte.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <linux/types.h>
#include "kselftest_harness.h"
#include "rrelay_test.h"
#include "client_record.h"

#define CLIENT_DIR	DEBUGFS "/relay_client"
#define RECORDS		2000
#define SIZE		100

static unsigned char data[RECORDS * SIZE + 1];

static ssize_t slurp(const char *path, unsigned char *out, size_t room)
{
	ssize_t n, len = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	while ((size_t)len < room && (n = read(fd, out + len, room - len)) > 0)
		len += n;
	close(fd);
	return len;
}

/* Records of one CPU, in order from 0, each intact; -1 otherwise. */
static long count_records(const unsigned char *p, size_t len, int cpu)
{
	size_t off = 0;
	long n = 0;

	while (off + sizeof(struct client_record) <= len) {
		const struct client_record *r = (const void *)(p + off);

		if (r->magic != CLIENT_RECORD_MAGIC || r->cpu != cpu ||
		    r->seq != (__u32)n || r->len > len - off ||
		    client_record_csum(r) != r->csum)
			return -1;
		n++;
		off += r->len;
	}
	return off == len ? n : -1;
}

/* Buffer files of the channel that process pid holds open. */
static int open_buffer_files(pid_t pid)
{
	char dir[64], link[512], target[256];
	struct dirent *e;
	int n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	d = opendir(dir);
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		ssize_t len;

		snprintf(link, sizeof(link), "%s/%s", dir, e->d_name);
		len = readlink(link, target, sizeof(target) - 1);
		if (len > 0) {
			target[len] = '\0';
			n += !strncmp(target, CLIENT_DIR "/cpu", strlen(CLIENT_DIR "/cpu"));
		}
	}
	closedir(d);
	return n;
}

static void drain_channel_by(struct __test_metadata *_metadata, const char *method)
{
	char out[64], path[96], cmd[256];
	int cpu, ncpu = 0, status, i;
	pid_t pid;

	snprintf(out, sizeof(out), "/tmp/rrelay-read-%s", method);
	run("rmmod relay_client 2>/dev/null; rmmod rrelay 2>/dev/null; rm -rf %s", out);
	ASSERT_EQ(0, run("insmod " RRELAY_KO " chan="));
	/*
	 * relay_write() only: a reader on another CPU can see a slot that
	 * relay_reserve() claimed before the client filled it (mainline's
	 * defect too, since the stock inline advances the offset first).
	 */
	ASSERT_EQ(0, run("insmod /modules/relay_client.ko real_fops=1 n_subbufs=64 reserve=0"));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		snprintf(cmd, sizeof(cmd), "%s.log", out);
		freopen(cmd, "w", stderr);
		execl("/tests/rrelay-read", "rrelay-read", "-q", "-m", method,
		      "-o", out, CLIENT_DIR, NULL);
		_exit(127);
	}
	/* The channel is closed below: let the reader open its files first. */
	for (cpu = 0; cpu < 8; cpu++) {
		snprintf(path, sizeof(path), CLIENT_DIR "/cpu%d", cpu);
		ncpu += !access(path, F_OK);
	}
	for (i = 0; i < 500 && open_buffer_files(pid) < ncpu; i++)
		usleep(10000);
	ASSERT_EQ(ncpu, open_buffer_files(pid));
	ncpu = 0;
	for (cpu = 0; cpu < 8; cpu++) {
		snprintf(path, sizeof(path), CLIENT_DIR "/cpu%d", cpu);
		if (access(path, F_OK))
			continue;
		snprintf(cmd, sizeof(cmd), "echo '%d %d %d 0' > " CLIENT_DIR "/emit",
			 cpu, RECORDS, SIZE);
		ASSERT_EQ(0, run("%s", cmd));
		ncpu++;
	}
	ASSERT_EQ(0, run("grep -q '^full 0$' " CLIENT_DIR "/stats"));
	ASSERT_EQ(0, run("echo close > " CLIENT_DIR "/ctl"));
	for (i = 0; i < 300 && waitpid(pid, &status, WNOHANG) == 0; i++)
		usleep(100000);
	if (i == 300) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		run("sed 's/^/# /' %s.log", out);
	ASSERT_TRUE(WIFEXITED(status)) TH_LOG("rrelay-read did not stop");
	ASSERT_EQ(0, WEXITSTATUS(status));
	for (cpu = 0; cpu < ncpu; cpu++) {
		ssize_t len;

		snprintf(path, sizeof(path), "%s/cpu%d", out, cpu);
		len = slurp(path, data, sizeof(data));
		EXPECT_EQ(RECORDS * SIZE, len) TH_LOG("%s cpu%d", method, cpu);
		EXPECT_EQ(RECORDS, count_records(data, len, cpu)) TH_LOG("%s cpu%d", method, cpu);
	}
	run("echo \"# $(tail -n 1 %s.log) (%s, %d CPUs x %d records)\"", out, method,
	    ncpu, RECORDS);
	EXPECT_EQ(0, run("rmmod relay_client && rmmod rrelay"));
}

TEST(captures_every_cpu_by_read) { drain_channel_by(_metadata, "read"); }
TEST(captures_every_cpu_by_splice) { drain_channel_by(_metadata, "splice"); }
TEST(captures_every_cpu_by_mmap) { drain_channel_by(_metadata, "mmap"); }

TEST(the_three_ways_give_the_same_bytes)
{
	const char *loop = "cd /tmp && for f in rrelay-read-read/cpu*; do %s && %s || exit 1; done";

	EXPECT_EQ(0, run(loop, "cmp $f rrelay-read-splice/${f#*/}",
			 "cmp $f rrelay-read-mmap/${f#*/}"));
}

TEST_HARNESS_MAIN
