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

/* Buffer files under dir that process pid holds open. */
static int open_files_in(pid_t pid, const char *dir)
{
	char fds[64], link[512], target[256];
	struct dirent *e;
	int n = 0;
	DIR *d;

	snprintf(fds, sizeof(fds), "/proc/%d/fd", pid);
	d = opendir(fds);
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		ssize_t len;

		snprintf(link, sizeof(link), "%s/%s", fds, e->d_name);
		len = readlink(link, target, sizeof(target) - 1);
		if (len > 0) {
			target[len] = '\0';
			n += !strncmp(target, dir, strlen(dir)) &&
			     !strncmp(target + strlen(dir), "/cpu", 4);
		}
	}
	closedir(d);
	return n;
}

static int open_buffer_files(pid_t pid)
{
	return open_files_in(pid, CLIENT_DIR);
}

/* cpuN files in dir. */
static int buffer_files_in(const char *dir)
{
	char path[128];
	int cpu, n = 0;

	for (cpu = 0; cpu < 8; cpu++) {
		snprintf(path, sizeof(path), "%s/cpu%d", dir, cpu);
		n += !access(path, F_OK);
	}
	return n;
}

/*
 * Start rrelay-read with args on dir, output in out, and wait until it
 * holds every buffer file; its pid, or -1.
 */
static pid_t start_tool(const char *dir, const char *out, const char *args)
{
	char cmd[512];
	pid_t pid;
	int i;

	run("rm -rf %s", out);
	pid = fork();
	if (pid == 0) {
		snprintf(cmd, sizeof(cmd), "exec /tests/rrelay-read -q %s -o %s %s 2>%s.log",
			 args, out, dir, out);
		execl("/bin/sh", "sh", "-c", cmd, NULL);
		_exit(127);
	}
	for (i = 0; pid > 0 && i < 500 && open_files_in(pid, dir) < buffer_files_in(dir); i++)
		usleep(10000);
	return pid;
}

/* Wait up to secs for pid; its exit status, or -1 (killed) if it hung. */
static int wait_tool(pid_t pid, int secs)
{
	int status, i;

	for (i = 0; i < secs * 10 && waitpid(pid, &status, WNOHANG) == 0; i++)
		usleep(100000);
	if (i == secs * 10) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return -1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
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
	 * Every other record by relay_reserve() + fill: mainline lets a reader
	 * on another CPU see a slot the client has not filled yet; rrelay
	 * reads the writer's sub-buffer as the writer's CPU sees it.
	 */
	ASSERT_EQ(0, run("insmod /modules/relay_client.ko real_fops=1 n_subbufs=64"));
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

/*
 * Stopping without the channel closing: after -t, or on SIGINT.  Either
 * way what the buffers hold is drained first, the partly filled current
 * sub-buffer included (50 records: 40 complete, 10 not).  With -t the
 * records are written before the tool starts: written after, a guest
 * stalled for a second between the two would let the tool stop before
 * the records exist.  A signal is sent only once they are written.
 */
static void stop_and_drain(struct __test_metadata *_metadata, const char *args, int sig)
{
	const char *out = "/tmp/rrelay-read-stop";
	char path[64];
	ssize_t len;
	pid_t pid;

	run("rmmod relay_client 2>/dev/null; rmmod rrelay 2>/dev/null");
	ASSERT_EQ(0, run("insmod " RRELAY_KO " chan="));
	ASSERT_EQ(0, run("insmod /modules/relay_client.ko real_fops=1 reserve=0"));
	if (!sig)
		ASSERT_EQ(0, run("echo '0 50 %d 0' > " CLIENT_DIR "/emit", SIZE));
	pid = start_tool(CLIENT_DIR, out, args);
	ASSERT_LT(0, pid);
	ASSERT_EQ(buffer_files_in(CLIENT_DIR), open_buffer_files(pid));
	if (sig) {
		ASSERT_EQ(0, run("echo '0 50 %d 0' > " CLIENT_DIR "/emit", SIZE));
		kill(pid, sig);
	}
	EXPECT_EQ(0, wait_tool(pid, 20)) TH_LOG("rrelay-read %s", args);
	snprintf(path, sizeof(path), "%s/cpu0", out);
	len = slurp(path, data, sizeof(data));
	EXPECT_EQ(50 * SIZE, len);
	EXPECT_EQ(50, count_records(data, len, 0));
	EXPECT_EQ(0, run("rmmod relay_client && rmmod rrelay"));
}

TEST(stops_after_its_duration_and_drains_first)
{
	stop_and_drain(_metadata, "-m splice -t 1", 0);
}

TEST(stops_on_sigint_and_drains_first)
{
	stop_and_drain(_metadata, "-m mmap", SIGINT);
}

/*
 * Mainline relay's files (debugfs proxies) offer neither splice nor mmap:
 * the tool falls back to read() and captures exactly what read() gives.
 * Only on a kernel with its own relay (the bench kernel).
 *
 * The records are all written before the tool starts: a mainline buffer
 * read while its writer switches sub-buffers on another CPU can return
 * unwritten memory and data twice (mainline's own races, described in
 * Documentation/api.rst, one shown by tests/selftests/read_race.c), which
 * is not the tool's to hide.
 */
TEST(falls_back_to_read_on_mainline_relay_files)
{
	const char *dir = DEBUGFS "/mainline_client", *out = "/tmp/rrelay-read-mainline";
	int cpu, ncpu;
	char path[96];
	ssize_t len;
	pid_t pid;

	if (!kernel_has_relay())
		SKIP(return, "no mainline relay in this kernel");
	run("rmmod mainline_client 2>/dev/null");
	ASSERT_EQ(0, run("insmod /modules/mainline_client.ko n_subbufs=64 reserve=0"));
	ncpu = buffer_files_in(dir);
	for (cpu = 0; cpu < ncpu; cpu++)
		ASSERT_EQ(0, run("echo '%d %d %d 0' > %s/emit", cpu, RECORDS, SIZE, dir));
	pid = start_tool(dir, out, "-m splice");
	ASSERT_LT(0, pid);
	ASSERT_EQ(ncpu, open_files_in(pid, dir));
	/* Mainline cuts readers off at relay_close(): stop the tool first. */
	kill(pid, SIGINT);
	EXPECT_EQ(0, wait_tool(pid, 30));
	EXPECT_EQ(0, run("grep -q 'by Read' %s.log", out));
	for (cpu = 0; cpu < ncpu; cpu++) {
		snprintf(path, sizeof(path), "%s/cpu%d", out, cpu);
		len = slurp(path, data, sizeof(data));
		EXPECT_EQ(RECORDS * SIZE, len) TH_LOG("cpu%d", cpu);
		EXPECT_EQ(RECORDS, count_records(data, len, cpu)) TH_LOG("cpu%d", cpu);
	}
	run("echo \"# $(tail -n 1 %s.log) (mainline relay, read fallback, %d CPUs)\"", out, ncpu);
	EXPECT_EQ(0, run("rmmod mainline_client"));
}

TEST_HARNESS_MAIN
