// SPDX-License-Identifier: GPL-2.0
/*
 * The relay engine seen from user space: records that the relay_client
 * module logs through the stock header API, read back byte for byte from
 * /sys/kernel/debug/relay_client/cpuN.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/rrelay.h>
#include <sys/sendfile.h>
#include <unistd.h>
#include <linux/types.h>
#include "kselftest_harness.h"
#include "rrelay_test.h"
#include "client_record.h"

#define CLIENT_DIR	DEBUGFS "/relay_client"
#define SUBBUF		4096
#define NSUBBUF		4

static int load(const char *client_args)
{
	run("rmmod relay_client 2>/dev/null; rmmod rrelay 2>/dev/null");
	if (run("insmod " RRELAY_KO " chan="))
		return -1;
	return run("insmod /modules/relay_client.ko %s", client_args);
}

static void unload(void)
{
	run("rmmod relay_client; rmmod rrelay");
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -errno;
}

static int client_emit(int cpu, int count, int size, int ctx)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "%d %d %d %d", cpu, count, size, ctx);
	return write_str(CLIENT_DIR "/emit", cmd);
}

static int client_ctl(const char *cmd)
{
	return write_str(CLIENT_DIR "/ctl", cmd);
}

static long stat_of(const char *name)
{
	return stat_in(CLIENT_DIR "/stats", name);
}

/* Read a buffer file until read() returns 0; the byte count, or -errno. */
static ssize_t drain(const char *path, unsigned char *out, size_t room)
{
	ssize_t n, len = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -errno;
	while ((size_t)len < room && (n = read(fd, out + len, 1000)) > 0)
		len += n;
	close(fd);
	return n < 0 ? -errno : len;
}

struct parsed {
	long records;
	long first_seq, last_seq;
	long ctx_count[3];
};

/*
 * Walk a byte stream of client records.  Every byte must belong to an
 * intact record (right magic, length and checksum): padding or a torn
 * record fails.  Sequence numbers must rise by one per CPU, from any start.
 */
static int parse(const unsigned char *p, size_t len, int cpu, struct parsed *out)
{
	size_t off = 0;

	memset(out, 0, sizeof(*out));
	out->first_seq = -1;
	while (off < len) {
		struct client_record r;

		if (len - off < sizeof(r)) {
			printf("# %zu stray bytes at %zu\n", len - off, off);
			return -1;
		}
		memcpy(&r, p + off, sizeof(r));
		if (r.magic != CLIENT_RECORD_MAGIC || r.len < sizeof(r) ||
		    r.len > len - off ||
		    client_record_csum((const void *)(p + off)) != r.csum) {
			printf("# bad record at byte %zu (magic %08x len %u)\n",
			       off, r.magic, r.len);
			return -1;
		}
		if (cpu >= 0 && r.cpu != cpu) {
			printf("# record of cpu %u in cpu %d's buffer\n", r.cpu, cpu);
			return -1;
		}
		if (out->first_seq < 0) {
			out->first_seq = r.seq;
		} else if (cpu >= 0 && r.seq != out->last_seq + 1) {
			printf("# seq %u after %ld\n", r.seq, out->last_seq);
			return -1;
		}
		out->last_seq = r.seq;
		if (r.ctx < 3)
			out->ctx_count[r.ctx]++;
		out->records++;
		off += r.len;
	}
	return 0;
}

static unsigned char data[NSUBBUF * SUBBUF * 4];

TEST(records_read_back_in_order_without_padding)
{
	struct parsed p;
	ssize_t len;

	ASSERT_EQ(0, load(""));
	ASSERT_EQ(0, client_emit(0, 100, 100, 0));
	len = drain(CLIENT_DIR "/cpu0", data, sizeof(data));
	EXPECT_EQ(100 * 100, len);
	ASSERT_EQ(0, parse(data, len, 0, &p));
	EXPECT_EQ(100, p.records);
	EXPECT_EQ(0, p.first_seq);
	EXPECT_EQ(99, p.last_seq);
	printf("# written 100 read %ld dropped %ld\n", p.records, stat_of("full"));
	/* Everything was consumed: a second reader finds nothing. */
	EXPECT_EQ(0, drain(CLIENT_DIR "/cpu0", data, sizeof(data)));
	unload();
}

TEST(partial_subbuf_is_readable_and_reads_resume)
{
	struct parsed p;
	ssize_t len;

	ASSERT_EQ(0, load(""));
	ASSERT_EQ(0, client_emit(1, 7, 64, 0));
	len = drain(CLIENT_DIR "/cpu1", data, sizeof(data));
	ASSERT_EQ(7 * 64, len);
	ASSERT_EQ(0, client_emit(1, 90, 64, 0));
	len = drain(CLIENT_DIR "/cpu1", data, sizeof(data));
	ASSERT_EQ(0, parse(data, len, 1, &p));
	EXPECT_EQ(90, p.records);
	EXPECT_EQ(7, p.first_seq);
	unload();
}

TEST(no_overwrite_drops_when_full_and_counts_every_drop)
{
	struct parsed p;
	ssize_t len;
	long full;

	ASSERT_EQ(0, load(""));
	ASSERT_EQ(0, client_emit(1, 500, 100, 0));
	full = stat_of("full");
	len = drain(CLIENT_DIR "/cpu1", data, sizeof(data));
	ASSERT_EQ(0, parse(data, len, 1, &p));
	printf("# written 500 read %ld dropped (full_count) %ld\n", p.records, full);
	EXPECT_EQ(0, p.first_seq);
	EXPECT_EQ(NSUBBUF * (SUBBUF / 100), p.records);
	EXPECT_EQ(500, p.records + full);
	unload();
}

TEST(overwrite_keeps_the_newest_subbuffers)
{
	struct parsed p;
	ssize_t len;

	ASSERT_EQ(0, load("overwrite=1"));
	ASSERT_EQ(0, client_emit(0, 500, 100, 0));
	len = drain(CLIENT_DIR "/cpu0", data, sizeof(data));
	ASSERT_EQ(0, parse(data, len, 0, &p));
	printf("# written 500 read %ld (seq %ld..%ld)\n", p.records,
	       p.first_seq, p.last_seq);
	EXPECT_EQ(499, p.last_seq);
	EXPECT_GE(p.records, (NSUBBUF - 1) * (SUBBUF / 100));
	/*
	 * full_count counts records dropped, and a flight recorder drops
	 * none: the 9 switches into a full buffer that 500 records of 100
	 * bytes make overwrite unread sub-buffers, which the reader counts as
	 * lost (mainline counted each such switch in full_count).
	 */
	EXPECT_EQ(0, stat_of("full"));
	unload();
}

/*
 * A callback that makes room itself when the buffer is full (it consumes
 * the oldest sub-buffer) and then answers !relay_buf_full() never refuses:
 * no record is dropped, so full_count stays 0.  The callback's answer
 * decides what counts, not a look at the buffer taken before asking it
 * (mainline counts each of these 9 switches into a full buffer).
 */
TEST(a_callback_that_makes_room_drops_and_counts_nothing)
{
	struct parsed p;
	ssize_t len;

	ASSERT_EQ(0, load("make_room=1"));
	ASSERT_EQ(0, client_emit(0, 500, 100, 0));
	EXPECT_EQ(0, stat_of("full"));
	len = drain(CLIENT_DIR "/cpu0", data, sizeof(data));
	ASSERT_EQ(0, parse(data, len, 0, &p));
	printf("# written 500 read %ld (seq %ld..%ld), full_count %ld\n", p.records,
	       p.first_seq, p.last_seq, stat_of("full"));
	EXPECT_EQ(499, p.last_seq);
	unload();
}

TEST(too_big_record_is_counted_and_disturbs_nothing)
{
	struct parsed p;
	ssize_t len;

	ASSERT_EQ(0, load(""));
	ASSERT_EQ(0, client_emit(0, 3, 64, 0));
	ASSERT_EQ(0, client_emit(0, 1, SUBBUF + 1, 0));
	ASSERT_EQ(0, client_emit(0, 3, 64, 0));
	EXPECT_EQ(1, stat_of("big"));
	len = drain(CLIENT_DIR "/cpu0", data, sizeof(data));
	ASSERT_EQ(0, parse(data, len, -1, &p));
	EXPECT_EQ(6, p.records);
	unload();
}

/*
 * Mainline 7.3 returns the same record again here: after two flushes the
 * second sub-buffer is all padding, and its read position skips that
 * padding into the first sub-buffer, which was already read.
 */
/*
 * A client that reserves a header in every sub-buffer from its
 * subbuf_start callback (subbuf_start_reserve()): the reader sees each
 * header, then that sub-buffer's records; a record that no longer fits
 * after the header goes to the next sub-buffer.
 */
TEST(subbuf_start_reserve_puts_a_header_before_each_subbuffer)
{
	static const int records[] = { 40, 40, 20 };
	size_t off = 0;
	struct parsed p;
	__u32 h[4];
	ssize_t len;
	int i;

	ASSERT_EQ(0, load("header=16"));
	ASSERT_EQ(0, client_emit(0, 100, 100, 0));
	len = drain(CLIENT_DIR "/cpu0", data, sizeof(data));
	ASSERT_EQ(3 * 16 + 100 * 100, len);
	for (i = 0; i < 3; i++) {
		memcpy(h, data + off, sizeof(h));
		EXPECT_EQ(CLIENT_HEADER_MAGIC, h[0]);
		EXPECT_EQ(i, h[1]);
		ASSERT_EQ(0, parse(data + off + 16, records[i] * 100, 0, &p));
		EXPECT_EQ(i * 40, p.first_seq);
		off += 16 + records[i] * 100;
	}
	unload();
}

TEST(flushing_empty_subbuffers_never_repeats_data)
{
	struct parsed p;
	ssize_t len;

	ASSERT_EQ(0, load("n_subbufs=2"));
	ASSERT_EQ(0, client_emit(0, 1, 64, 0));
	len = drain(CLIENT_DIR "/cpu0", data, sizeof(data));
	ASSERT_EQ(0, parse(data, len, 0, &p));
	EXPECT_EQ(1, p.records);
	ASSERT_EQ(0, client_ctl("flush"));
	ASSERT_EQ(0, client_ctl("flush"));
	EXPECT_EQ(0, drain(CLIENT_DIR "/cpu0", data, sizeof(data)));
	unload();
}

TEST(reset_empties_every_buffer)
{
	struct parsed p;
	ssize_t len;

	ASSERT_EQ(0, load(""));
	ASSERT_EQ(0, client_emit(0, 100, 100, 0));
	ASSERT_EQ(0, client_emit(1, 5, 100, 0));
	ASSERT_EQ(0, client_ctl("reset"));
	EXPECT_EQ(0, drain(CLIENT_DIR "/cpu0", data, sizeof(data)));
	EXPECT_EQ(0, drain(CLIENT_DIR "/cpu1", data, sizeof(data)));
	ASSERT_EQ(0, client_emit(0, 3, 100, 0));
	len = drain(CLIENT_DIR "/cpu0", data, sizeof(data));
	ASSERT_EQ(0, parse(data, len, 0, &p));
	EXPECT_EQ(3, p.records);
	EXPECT_EQ(100, p.first_seq);
	unload();
}

TEST(empty_read_returns_zero_and_lseek_fails)
{
	char c;
	int fd;

	ASSERT_EQ(0, load(""));
	fd = open(CLIENT_DIR "/cpu0", O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, read(fd, &c, 1));
	EXPECT_EQ(-1, lseek(fd, 0, SEEK_SET));
	EXPECT_EQ(ESPIPE, errno);
	EXPECT_EQ(-1, pread(fd, &c, 1, 0));
	EXPECT_EQ(ESPIPE, errno);
	close(fd);
	unload();
}

TEST(flush_makes_a_partial_subbuffer_pollable)
{
	struct pollfd pfd = { .events = POLLIN };

	ASSERT_EQ(0, load(""));
	pfd.fd = open(CLIENT_DIR "/cpu0", O_RDONLY);
	ASSERT_LE(0, pfd.fd);
	ASSERT_EQ(0, client_emit(0, 3, 64, 0));
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	ASSERT_EQ(0, client_ctl("flush"));
	EXPECT_EQ(1, poll(&pfd, 1, 1000));
	EXPECT_TRUE(pfd.revents & POLLIN);
	close(pfd.fd);
	unload();
}

TEST(poll_wakes_a_sleeping_reader_at_a_switch)
{
	struct pollfd pfd = { .events = POLLIN };
	pid_t pid;
	int st;

	ASSERT_EQ(0, load(""));
	pfd.fd = open(CLIENT_DIR "/cpu1", O_RDONLY);
	ASSERT_LE(0, pfd.fd);
	pid = fork();
	if (pid == 0) {
		usleep(200000);
		_exit(client_emit(1, 50, 100, 2) ? 1 : 0);
	}
	EXPECT_EQ(1, poll(&pfd, 1, 10000));
	EXPECT_TRUE(pfd.revents & POLLIN);
	waitpid(pid, &st, 0);
	EXPECT_EQ(0, st);
	close(pfd.fd);
	unload();
}

TEST(softirq_and_hardirq_records_arrive_intact)
{
	struct parsed p;
	ssize_t len;

	ASSERT_EQ(0, load(""));
	ASSERT_EQ(0, client_emit(1, 20, 80, 1));
	ASSERT_EQ(0, client_emit(1, 20, 80, 2));
	ASSERT_EQ(0, client_emit(1, 20, 80, 0));
	len = drain(CLIENT_DIR "/cpu1", data, sizeof(data));
	ASSERT_EQ(0, parse(data, len, 1, &p));
	EXPECT_EQ(60, p.records);
	EXPECT_EQ(20, p.ctx_count[0]);
	EXPECT_EQ(20, p.ctx_count[1]);
	EXPECT_EQ(20, p.ctx_count[2]);
	unload();
}

TEST(global_buffer_takes_every_cpu)
{
	struct parsed p;
	ssize_t len;

	ASSERT_EQ(0, load("global=1"));
	EXPECT_EQ(0, access(CLIENT_DIR "/cpu0", R_OK));
	EXPECT_NE(0, access(CLIENT_DIR "/cpu1", F_OK));
	ASSERT_EQ(0, client_emit(0, 10, 64, 0));
	ASSERT_EQ(0, client_emit(1, 10, 64, 2));
	ASSERT_EQ(0, client_ctl("flush"));
	len = drain(CLIENT_DIR "/cpu0", data, sizeof(data));
	ASSERT_EQ(0, parse(data, len, -1, &p));
	EXPECT_EQ(20, p.records);
	unload();
}

TEST(close_is_seen_by_an_open_reader)
{
	struct pollfd pfd = { .events = POLLIN };
	char c;

	ASSERT_EQ(0, load(""));
	pfd.fd = open(CLIENT_DIR "/cpu0", O_RDONLY);
	ASSERT_LE(0, pfd.fd);
	ASSERT_EQ(0, client_ctl("close"));
	/* debugfs_create_file()'s proxy cuts the file off: HUP, then EIO. */
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_TRUE(pfd.revents & (POLLHUP | POLLERR));
	EXPECT_GE(0, read(pfd.fd, &c, 1));
	close(pfd.fd);
	unload();
}

TEST(close_gives_epollerr_and_keeps_data_through_relay_fops)
{
	struct pollfd pfd = { .events = POLLIN };
	struct parsed p;
	ssize_t len = 0, n;

	ASSERT_EQ(0, load("real_fops=1"));
	pfd.fd = open(CLIENT_DIR "/cpu1", O_RDONLY);
	ASSERT_LE(0, pfd.fd);
	ASSERT_EQ(0, client_emit(1, 5, 64, 0));
	ASSERT_EQ(0, client_ctl("close"));
	EXPECT_NE(0, access(CLIENT_DIR "/cpu1", F_OK));
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLERR, pfd.revents);
	while ((n = read(pfd.fd, data + len, 100)) > 0)
		len += n;
	EXPECT_EQ(0, n);
	ASSERT_EQ(0, parse(data, len, 1, &p));
	EXPECT_EQ(5, p.records);
	close(pfd.fd);
	unload();
}

TEST(client_unload_with_an_open_reader)
{
	struct pollfd pfd = { .events = POLLIN };
	char c;

	ASSERT_EQ(0, load("real_fops=1"));
	pfd.fd = open(CLIENT_DIR "/cpu0", O_RDONLY);
	ASSERT_LE(0, pfd.fd);
	ASSERT_EQ(0, client_emit(0, 3, 64, 0));
	ASSERT_EQ(0, run("rmmod relay_client"));
	/* The buffer outlives its channel and its client. */
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLERR, pfd.revents);
	EXPECT_EQ(1, read(pfd.fd, &c, 1));
	/* rrelay's file operations are in use: rrelay stays. */
	EXPECT_NE(0, run("rmmod rrelay 2>/dev/null"));
	close(pfd.fd);
	EXPECT_EQ(0, run("rmmod rrelay"));
}

TEST(rmmod_rrelay_is_refused_while_its_file_is_open)
{
	int fd;

	run("rmmod relay_client 2>/dev/null; rmmod rrelay 2>/dev/null");
	ASSERT_EQ(0, run("insmod " RRELAY_KO " rate=0"));
	fd = open(DEBUGFS "/rrelay/cpu0", O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_NE(0, run("rmmod rrelay 2>/dev/null"));
	EXPECT_EQ(0, access(DEBUGFS "/rrelay/cpu0", F_OK));
	close(fd);
	EXPECT_EQ(0, run("rmmod rrelay"));
	EXPECT_NE(0, access(DEBUGFS "/rrelay", F_OK));
}

#define CPU3_ONLINE "/sys/devices/system/cpu/cpu3/online"

TEST(a_cpu_onlined_later_gets_a_buffer_and_keeps_it_offline)
{
	struct parsed p;
	ssize_t len;

	if (access(CPU3_ONLINE, W_OK))
		SKIP(return, "needs a 4th CPU that can go offline");
	ASSERT_EQ(0, write_str(CPU3_ONLINE, "0"));
	ASSERT_EQ(0, load(""));
	EXPECT_NE(0, access(CLIENT_DIR "/cpu3", F_OK));
	ASSERT_EQ(0, write_str(CPU3_ONLINE, "1"));
	ASSERT_EQ(0, access(CLIENT_DIR "/cpu3", R_OK));
	ASSERT_EQ(0, client_emit(3, 10, 64, 2));
	ASSERT_EQ(0, write_str(CPU3_ONLINE, "0"));
	/* Offline, its buffer stays readable. */
	len = drain(CLIENT_DIR "/cpu3", data, sizeof(data));
	ASSERT_EQ(0, parse(data, len, 3, &p));
	EXPECT_EQ(10, p.records);
	EXPECT_EQ(-ENODEV, client_emit(3, 1, 64, 0));
	ASSERT_EQ(0, write_str(CPU3_ONLINE, "1"));
	ASSERT_EQ(0, client_emit(3, 4, 64, 0));
	len = drain(CLIENT_DIR "/cpu3", data, sizeof(data));
	ASSERT_EQ(0, parse(data, len, 3, &p));
	EXPECT_EQ(4, p.records);
	EXPECT_EQ(10, p.first_seq);
	unload();
}

TEST(mmap_shows_what_read_returns_and_outlives_the_channel)
{
	const size_t alloc = NSUBBUF * SUBBUF;
	unsigned char copy[2 * SUBBUF];
	struct parsed p;
	unsigned char *map;
	ssize_t len;
	int fd, rw;

	ASSERT_EQ(0, load("real_fops=1"));
	fd = open(CLIENT_DIR "/cpu0", O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, client_emit(0, 50, 100, 0));

	/* Mainline's rule: the whole buffer, from offset 0, or EINVAL. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, SUBBUF, PROT_READ, MAP_SHARED, fd, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, alloc, PROT_READ, MAP_SHARED, fd, SUBBUF));
	EXPECT_EQ(EINVAL, errno);
	/* Never writable and shared: EACCES from the VFS for a read-only
	 * file, EPERM from relay even for root's O_RDWR one.
	 */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, alloc, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
	EXPECT_EQ(EACCES, errno);
	rw = open(CLIENT_DIR "/cpu0", O_RDWR);
	ASSERT_LE(0, rw);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, alloc, PROT_READ | PROT_WRITE, MAP_SHARED, rw, 0));
	EXPECT_EQ(EPERM, errno);
	close(rw);

	map = mmap(NULL, alloc, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_NE(0, mprotect(map, alloc, PROT_READ | PROT_WRITE));
	/* 40 records fill sub-buffer 0 up to its padding, 10 start sub-buffer 1. */
	ASSERT_EQ(0, parse(map, 40 * 100, 0, &p));
	EXPECT_EQ(39, p.last_seq);
	ASSERT_EQ(0, parse(map + SUBBUF, 10 * 100, 0, &p));
	EXPECT_EQ(40, p.first_seq);
	len = drain(CLIENT_DIR "/cpu0", data, sizeof(data));
	ASSERT_EQ(50 * 100, len);
	EXPECT_EQ(0, memcmp(data, map, 4000));
	EXPECT_EQ(0, memcmp(data + 4000, map + SUBBUF, 1000));

	/* The mapping outlives relay_close() and the client. */
	memcpy(copy, map, sizeof(copy));
	close(fd);
	ASSERT_EQ(0, client_ctl("close"));
	ASSERT_EQ(0, run("rmmod relay_client"));
	EXPECT_EQ(0, memcmp(copy, map, sizeof(copy)));
	EXPECT_NE(0, run("rmmod rrelay 2>/dev/null"));
	EXPECT_EQ(0, munmap(map, alloc));
	EXPECT_EQ(0, run("rmmod rrelay"));
}

TEST(splice_and_sendfile_return_what_read_would)
{
	struct parsed p;
	ssize_t n, len = 0;
	int fd, pipefd[2], out;

	ASSERT_EQ(0, load("real_fops=1"));
	fd = open(CLIENT_DIR "/cpu1", O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pipe(pipefd));
	/* Nothing there yet: end of data, as read() says. */
	EXPECT_EQ(0, splice(fd, NULL, pipefd[1], NULL, 4096, SPLICE_F_NONBLOCK));
	ASSERT_EQ(0, client_emit(1, 60, 100, 0));

	n = splice(fd, NULL, pipefd[1], NULL, 2500, 0);
	ASSERT_EQ(2500, n);
	ASSERT_EQ(2500, read(pipefd[0], data, sizeof(data)));
	len = 2500;

	out = open("/tmp/rrelay-sendfile", O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, out);
	n = sendfile(out, fd, NULL, 1 << 20);
	ASSERT_EQ(60 * 100 - 2500, n) TH_LOG("sendfile: %s", strerror(errno));
	ASSERT_EQ(n, pread(out, data + len, sizeof(data) - len, 0));
	len += n;
	ASSERT_EQ(0, parse(data, len, 1, &p));
	EXPECT_EQ(60, p.records);
	EXPECT_EQ(59, p.last_seq);
	close(out);
	unlink("/tmp/rrelay-sendfile");
	close(pipefd[0]);
	close(pipefd[1]);
	close(fd);
	unload();
}

/* Read exactly len bytes from a pipe (blocking); 0, or -1. */
static int read_pipe(int fd, unsigned char *out, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len && (n = read(fd, out + got, len - got)) > 0)
		got += n;
	return got == len ? 0 : -1;
}

/*
 * Sub-buffer 0 (seq 0..39) sits in two pipes by reference (spliced, then
 * tee'd) while the writer comes round to it: the writer is refused and
 * counts each refusal, and the pipes give back exactly what was spliced.
 * Once both let go, the writer goes on into sub-buffer 0.  The same for a
 * no-overwrite channel and a flight recorder, whose "always go on" a
 * pinned sub-buffer overrides.
 */
static void check_pinned_against_lapping(struct __test_metadata *_metadata,
					 const char *mode)
{
	int fd, p1[2], p2[2];
	struct parsed p;
	ssize_t len;

	ASSERT_EQ(0, load(mode));
	fd = open(CLIENT_DIR "/cpu0", O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pipe(p1));
	ASSERT_EQ(0, pipe(p2));
	/* 40 records of 100 bytes fill a sub-buffer: 0 and 1 are written. */
	ASSERT_EQ(0, client_emit(0, 80, 100, 0));
	ASSERT_EQ(4000, splice(fd, NULL, p1[1], NULL, 4000, SPLICE_F_NONBLOCK));
	ASSERT_EQ(4000, tee(p1[0], p2[1], 4000, SPLICE_F_NONBLOCK));
	ASSERT_EQ(0, read_pipe(p1[0], data, 4000));
	ASSERT_EQ(0, parse(data, 4000, 0, &p));
	EXPECT_EQ(0, p.first_seq);
	EXPECT_EQ(39, p.last_seq);

	/* Seq 80..159 fill sub-buffers 2 and 3; 160..479 find 0 pinned. */
	ASSERT_EQ(0, client_emit(0, 400, 100, 0));
	EXPECT_EQ(320, stat_of("full"));
	ASSERT_EQ(0, read_pipe(p2[0], data, 4000));
	ASSERT_EQ(0, parse(data, 4000, 0, &p));
	EXPECT_EQ(0, p.first_seq);
	EXPECT_EQ(39, p.last_seq);

	/* Released: the writer is back in sub-buffer 0. */
	ASSERT_EQ(0, client_emit(0, 10, 100, 0));
	len = drain(CLIENT_DIR "/cpu0", data, sizeof(data));
	ASSERT_EQ(130 * 100, len);
	ASSERT_EQ(0, parse(data, 120 * 100, 0, &p));
	EXPECT_EQ(40, p.first_seq);
	EXPECT_EQ(159, p.last_seq);
	ASSERT_EQ(0, parse(data + 120 * 100, 10 * 100, 0, &p));
	EXPECT_EQ(480, p.first_seq);
	EXPECT_EQ(320, stat_of("full"));
	printf("# %s: written 490, 40 held in pipes, read 130, refused (full_count) 320\n",
	       mode);
	close(p1[0]);
	close(p1[1]);
	close(p2[0]);
	close(p2[1]);
	close(fd);
	unload();
}

TEST(spliced_pages_outlast_a_lapping_writer)
{
	check_pinned_against_lapping(_metadata, "real_fops=1");
}

TEST(spliced_pages_outlast_a_lapping_flight_recorder)
{
	check_pinned_against_lapping(_metadata, "real_fops=1 overwrite=1");
}

struct pipe_drain {
	int fd;
	size_t len;
	int ret;
};

static void *drain_pipe_later(void *arg)
{
	struct pipe_drain *d = arg;

	usleep(200 * 1000);
	d->ret = read_pipe(d->fd, data, d->len);
	return NULL;
}

/*
 * A two-buffer pipe takes two sub-buffers' worth; with SPLICE_F_NONBLOCK
 * a full pipe gives EAGAIN and consumes nothing; a blocking splice waits
 * until a reader makes room, and the stream is whole and in order.
 */
TEST(splice_into_a_full_pipe_waits_or_says_eagain)
{
	struct pipe_drain d = { .len = 160 * 100 };
	ssize_t n, total;
	pthread_t reader;
	struct parsed p;
	int fd, pipefd[2];

	ASSERT_EQ(0, load("real_fops=1"));
	fd = open(CLIENT_DIR "/cpu1", O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pipe(pipefd));
	ASSERT_EQ(2 * 4096, fcntl(pipefd[1], F_SETPIPE_SZ, 2 * 4096));
	/* Sub-buffers 0..2 complete, 3 holds 40 records still current. */
	ASSERT_EQ(0, client_emit(1, 160, 100, 0));
	total = splice(fd, NULL, pipefd[1], NULL, 1 << 20, SPLICE_F_NONBLOCK);
	ASSERT_EQ(8000, total);
	EXPECT_EQ(-1, splice(fd, NULL, pipefd[1], NULL, 1 << 20, SPLICE_F_NONBLOCK));
	EXPECT_EQ(EAGAIN, errno);

	d.fd = pipefd[0];
	ASSERT_EQ(0, pthread_create(&reader, NULL, drain_pipe_later, &d));
	while (total < 16000) {
		n = splice(fd, NULL, pipefd[1], NULL, 1 << 20, 0);
		ASSERT_LT(0, n) TH_LOG("splice: %zd %s", n, strerror(errno));
		total += n;
	}
	ASSERT_EQ(0, pthread_join(reader, NULL));
	ASSERT_EQ(0, d.ret);
	ASSERT_EQ(0, parse(data, 16000, 1, &p));
	EXPECT_EQ(0, p.first_seq);
	EXPECT_EQ(159, p.last_seq);
	/* Everything was consumed, the current sub-buffer by copy. */
	EXPECT_EQ(0, splice(fd, NULL, pipefd[1], NULL, 1 << 20, SPLICE_F_NONBLOCK));
	close(pipefd[0]);
	close(pipefd[1]);
	close(fd);
	unload();
}

/*
 * Pages in a pipe outlive the file, relay_close() and the client; rrelay
 * itself, whose code releases them, stays loaded until the pipe lets go.
 */
TEST(a_pipe_holding_pages_outlives_the_channel)
{
	int fd, pipefd[2];
	struct parsed p;

	ASSERT_EQ(0, load("real_fops=1"));
	fd = open(CLIENT_DIR "/cpu0", O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pipe(pipefd));
	ASSERT_EQ(0, client_emit(0, 41, 100, 0));
	ASSERT_EQ(4000, splice(fd, NULL, pipefd[1], NULL, 4000, 0));
	close(fd);
	ASSERT_EQ(0, client_ctl("close"));
	ASSERT_EQ(0, run("rmmod relay_client"));
	EXPECT_NE(0, run("rmmod rrelay 2>/dev/null"));
	ASSERT_EQ(0, read_pipe(pipefd[0], data, 4000));
	ASSERT_EQ(0, parse(data, 4000, 0, &p));
	EXPECT_EQ(39, p.last_seq);
	close(pipefd[0]);
	close(pipefd[1]);
	EXPECT_EQ(0, run("rmmod rrelay"));
}

/*
 * The batch mmap protocol (RRELAY_IOC_BATCH), three sub-buffers a call,
 * no-overwrite: straight from the mapping, never stale; then the partly
 * filled current sub-buffer by read().  The bytes moved, or -1.
 */
static ssize_t capture_by_batch(int fd, unsigned char *out)
{
	struct rrelay_batch_entry ent[3];
	struct rrelay_batch b = { .entries = (uintptr_t)ent, .max = 3 };
	size_t size = NSUBBUF * SUBBUF;
	char *map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	ssize_t n, len = 0;
	unsigned int i;

	if (map == MAP_FAILED)
		return -1;
	do {
		if (ioctl(fd, RRELAY_IOC_BATCH, &b) || b.stale || b.skipped)
			return -1;
		for (i = 0; i < b.count; i++) {
			memcpy(out + len, map + ent[i].offset, ent[i].length);
			len += ent[i].length;
		}
	} while (b.count);
	while ((n = read(fd, out + len, 1000)) > 0)
		len += n;
	munmap(map, size);
	return len;
}

/*
 * One CPU's stream, overflowing a no-overwrite buffer with nobody reading
 * (160 records kept, 340 dropped), captured by one way; the bytes and the
 * drop count it saw.
 */
static ssize_t capture_by(const char *how, unsigned char *out, size_t room,
			  long *dropped)
{
	ssize_t n, len = 0;
	int fd, p[2], file;

	if (load("real_fops=1") || client_emit(1, 500, 100, 0))
		return -1;
	fd = open(CLIENT_DIR "/cpu1", O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return -1;
	if (!strcmp(how, "read")) {
		while ((n = read(fd, out + len, 1000)) > 0)
			len += n;
	} else if (!strcmp(how, "splice")) {
		if (pipe(p))
			return -1;
		while ((n = splice(fd, NULL, p[1], NULL, 3 * 4096, SPLICE_F_NONBLOCK)) > 0)
			if (read_pipe(p[0], out + len, n) == 0)
				len += n;
		close(p[0]);
		close(p[1]);
	} else if (!strcmp(how, "sendfile")) {
		file = open("/tmp/rrelay-capture", O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (file < 0)
			return -1;
		while (sendfile(file, fd, NULL, 1 << 20) > 0)
			;
		len = pread(file, out, room, 0);
		close(file);
		unlink("/tmp/rrelay-capture");
	} else if (!strcmp(how, "mmap")) {
		struct rrelay_buf_info info;
		struct rrelay_subbuf sb;
		size_t size = NSUBBUF * SUBBUF;
		__u64 one = 1, i;
		char *map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);

		if (map == MAP_FAILED || ioctl(fd, RRELAY_IOC_INFO, &info))
			return -1;
		for (i = info.consumed; i < info.produced; i++) {
			sb.index = i;
			if (ioctl(fd, RRELAY_IOC_SUBBUF, &sb))
				return -1;
			memcpy(out + len, map + sb.offset, sb.length);
			len += sb.length;
			ioctl(fd, RRELAY_IOC_CONSUME, &one);
		}
		/* The partly filled current sub-buffer, if any, by read(). */
		while ((n = read(fd, out + len, 1000)) > 0)
			len += n;
		munmap(map, size);
	} else {
		len = capture_by_batch(fd, out);
	}
	*dropped = stat_of("full");
	close(fd);
	unload();
	return len;
}

TEST(read_splice_sendfile_and_mmap_see_the_same_stream_and_drops)
{
	static const char * const ways[] = { "splice", "sendfile", "mmap", "batch" };
	static unsigned char ref[NSUBBUF * SUBBUF];
	long ref_dropped, dropped;
	ssize_t ref_len, len;
	struct parsed p;
	unsigned int i;

	ref_len = capture_by("read", ref, sizeof(ref), &ref_dropped);
	ASSERT_EQ(160 * 100, ref_len);
	ASSERT_EQ(0, parse(ref, ref_len, 1, &p));
	EXPECT_EQ(340, ref_dropped);
	for (i = 0; i < 4; i++) {
		memset(data, 0, sizeof(data));
		len = capture_by(ways[i], data, sizeof(data), &dropped);
		EXPECT_EQ(ref_len, len) TH_LOG("%s", ways[i]);
		EXPECT_EQ(0, memcmp(ref, data, ref_len)) TH_LOG("%s", ways[i]);
		EXPECT_EQ(ref_dropped, dropped) TH_LOG("%s", ways[i]);
	}
	printf("# read, splice, sendfile, mmap, mmap by batches: %zd bytes (%ld records) each, ",
	       ref_len, p.records);
	printf("%ld dropped each\n", ref_dropped);
}

/*
 * A flight recorder whose writer laps the reader again and again (each
 * emit writes five sub-buffers' worth into a ring of four, from process,
 * softirq and hardirq context in turn) while the reader takes one
 * sub-buffer at a time: every single read, or splice, returns whole,
 * intact records in sequence; each gap in the sequence is a loss the
 * buffer counts (RRELAY_IOC_INFO lost_subbufs).
 */
static void check_lapped_reads_are_whole(struct __test_metadata *_metadata, int use_splice)
{
	long last = -1, gaps = 0, records = 0, reads = 0;
	struct rrelay_buf_info info;
	int fd, p[2], i, status;
	struct parsed rec;
	ssize_t n;
	pid_t writer;

	ASSERT_EQ(0, load("real_fops=1 overwrite=1"));
	fd = open(CLIENT_DIR "/cpu1", O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pipe(p));
	writer = fork();
	ASSERT_LE(0, writer);
	if (writer == 0) {
		/* A failed assertion ends the test: the writer goes with it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (i = 0; i < 400; i++)
			if (client_emit(1, 200, 100, i % 3))
				_exit(1);
		_exit(0);
	}
	while (waitpid(writer, &status, WNOHANG) == 0) {
		if (use_splice) {
			n = splice(fd, NULL, p[1], NULL, SUBBUF, SPLICE_F_NONBLOCK);
			if (n > 0)
				ASSERT_EQ(0, read_pipe(p[0], data, n));
		} else {
			n = read(fd, data, SUBBUF);
		}
		ASSERT_LE(0, n);
		if (n > 0) {
			ASSERT_EQ(0, parse(data, n, 1, &rec)) TH_LOG("%zd bytes", n);
			ASSERT_LT(last, rec.first_seq);
			gaps += rec.first_seq != last + 1;
			last = rec.last_seq;
			records += rec.records;
			reads++;
		}
		usleep(reads % 5 * 500);
	}
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(0, ioctl(fd, RRELAY_IOC_INFO, &info));
	EXPECT_LT(0, gaps);
	EXPECT_LE(gaps, info.lost_subbufs);
	printf("# %s: %ld reads, %ld records whole, %ld gaps, %u sub-buffers counted lost\n",
	       use_splice ? "splice" : "read", reads, records, gaps, info.lost_subbufs);
	close(p[0]);
	close(p[1]);
	close(fd);
	unload();
}

TEST(lapped_reads_return_whole_records_and_count_the_loss)
{
	check_lapped_reads_are_whole(_metadata, 0);
}

TEST(lapped_splices_return_whole_records_and_count_the_loss)
{
	check_lapped_reads_are_whole(_metadata, 1);
}

/*
 * A flight recorder its client stops (subbuf_start refuses from then on)
 * after it lapped the reader: the last four sub-buffers it completed are
 * whole and readable, the nine before them counted lost.
 */
TEST(a_stopped_flight_recorder_stays_readable)
{
	struct rrelay_buf_info info;
	struct parsed p;
	ssize_t len;
	int fd;

	ASSERT_EQ(0, load("real_fops=1 overwrite=1"));
	/* Seq 0..519 in sub-buffers 0..12 (40 each); 520.. refused. */
	ASSERT_EQ(0, client_emit(0, 500, 100, 0));
	ASSERT_EQ(0, client_ctl("freeze"));
	ASSERT_EQ(0, client_emit(0, 100, 100, 0));
	fd = open(CLIENT_DIR "/cpu0", O_RDONLY);
	ASSERT_LE(0, fd);
	len = 0;
	for (ssize_t n; (n = read(fd, data + len, SUBBUF)) > 0; )
		len += n;
	ASSERT_EQ(160 * 100, len);
	ASSERT_EQ(0, parse(data, len, 0, &p));
	EXPECT_EQ(360, p.first_seq);
	EXPECT_EQ(519, p.last_seq);
	ASSERT_EQ(0, ioctl(fd, RRELAY_IOC_INFO, &info));
	EXPECT_EQ(9, info.lost_subbufs);
	close(fd);
	unload();
}

/*
 * sendfile() into a socket: the socket keeps the pages after the internal
 * pipe lets them go, so those bytes are copied, and a writer lapping the
 * buffer meanwhile changes nothing the socket has not sent yet.
 */
TEST(sendfile_into_a_socket_keeps_its_bytes_while_the_writer_laps)
{
	struct parsed p;
	int fd, sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		SKIP(return, "no AF_UNIX sockets in this kernel (%s)", strerror(errno));
	ASSERT_EQ(0, load("real_fops=1 overwrite=1"));
	fd = open(CLIENT_DIR "/cpu0", O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, client_emit(0, 80, 100, 0));
	ASSERT_EQ(4000, sendfile(sv[0], fd, NULL, 4000));
	/* Ten laps of the ring while the socket holds seq 0..39. */
	ASSERT_EQ(0, client_emit(0, 1600, 100, 0));
	ASSERT_EQ(0, read_pipe(sv[1], data, 4000));
	ASSERT_EQ(0, parse(data, 4000, 0, &p));
	EXPECT_EQ(0, p.first_seq);
	EXPECT_EQ(39, p.last_seq);
	close(sv[0]);
	close(sv[1]);
	close(fd);
	unload();
}

TEST(splice_through_a_debugfs_proxy_file_is_refused)
{
	int fd, pipefd[2];

	ASSERT_EQ(0, load(""));
	fd = open(CLIENT_DIR "/cpu0", O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pipe(pipefd));
	EXPECT_EQ(-1, splice(fd, NULL, pipefd[1], NULL, 4096, SPLICE_F_NONBLOCK));
	EXPECT_EQ(EINVAL, errno);
	close(pipefd[0]);
	close(pipefd[1]);
	close(fd);
	unload();
}

TEST(mmap_reader_protocol_finds_and_frees_subbuffers)
{
	const size_t alloc = NSUBBUF * SUBBUF;
	struct rrelay_buf_info info;
	struct rrelay_subbuf sb;
	long records = 0, next_seq = 0;
	struct parsed p;
	unsigned char *map;
	__u64 i, one = 1, too_many = NSUBBUF + 1;
	int fd, round;

	ASSERT_EQ(0, load("real_fops=1"));
	fd = open(CLIENT_DIR "/cpu0", O_RDONLY);
	ASSERT_LE(0, fd);
	map = mmap(NULL, alloc, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	/* 160 records fill the 4 sub-buffers; 140 are dropped. */
	ASSERT_EQ(0, client_emit(0, 300, 100, 0));

	for (round = 0; round < 2; round++) {
		ASSERT_EQ(0, ioctl(fd, RRELAY_IOC_INFO, &info));
		ASSERT_EQ(SUBBUF, info.subbuf_size);
		ASSERT_EQ(NSUBBUF, info.n_subbufs);
		for (i = info.consumed; i < info.produced; i++) {
			sb.index = i;
			ASSERT_EQ(0, ioctl(fd, RRELAY_IOC_SUBBUF, &sb));
			EXPECT_EQ((i % NSUBBUF) * SUBBUF, sb.offset);
			ASSERT_EQ(0, parse(map + sb.offset, sb.length, 0, &p));
			EXPECT_EQ(next_seq, p.first_seq);
			next_seq = p.last_seq + 1;
			records += p.records;
			ASSERT_EQ(0, ioctl(fd, RRELAY_IOC_CONSUME, &one));
		}
		if (round == 0) {
			EXPECT_EQ(NSUBBUF, info.produced);
			EXPECT_EQ(140, (long)info.full_count);
			EXPECT_EQ(SUBBUF + 1, info.offset) TH_LOG("stopped when full");
			/* Consumed: room again, and writes resume. */
			ASSERT_EQ(0, client_emit(0, 10, 100, 0));
			next_seq = 300;
			ASSERT_EQ(0, client_ctl("flush"));
		}
	}
	printf("# written 310 read through mmap %ld dropped %ld\n", records, stat_of("full"));
	EXPECT_EQ(170, records);
	EXPECT_EQ(310, records + stat_of("full"));

	sb.index = info.produced;
	EXPECT_EQ(-1, ioctl(fd, RRELAY_IOC_SUBBUF, &sb));
	EXPECT_EQ(ENODATA, errno);
	sb.index = 0;
	EXPECT_EQ(-1, ioctl(fd, RRELAY_IOC_SUBBUF, &sb));
	EXPECT_EQ(ESTALE, errno);
	EXPECT_EQ(-1, ioctl(fd, RRELAY_IOC_CONSUME, &too_many));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(fd, _IO(RRELAY_IOC_MAGIC, 99)));
	EXPECT_EQ(ENOTTY, errno);
	/* Consumed through the protocol is consumed for read() too. */
	EXPECT_EQ(0, drain(CLIENT_DIR "/cpu0", data, sizeof(data)));
	munmap(map, alloc);
	close(fd);
	unload();
}

/* One RRELAY_IOC_BATCH call; b keeps the batch it hands out. */
static int batch_call(int fd, struct rrelay_batch *b, __u32 flags)
{
	b->flags = flags;
	return ioctl(fd, RRELAY_IOC_BATCH, b);
}

/*
 * No-overwrite: the batch protocol hands every complete sub-buffer out
 * once, in order, two per call, checked byte for byte in the mapping;
 * nothing is ever stale or skipped, each call consumes the batch before
 * it (the writer, stopped when full, goes on), and what is neither read
 * nor dropped is nowhere: written = read + full_count.
 */
TEST(batch_mmap_reader_gets_every_record_once)
{
	const size_t alloc = NSUBBUF * SUBBUF;
	struct rrelay_batch_entry ent[2];
	struct rrelay_batch b = { .entries = (uintptr_t)ent, .max = 2 };
	struct rrelay_buf_info info;
	long records = 0, next_seq = 0, calls = 0;
	__u64 expect_first = 0;
	struct parsed p;
	unsigned char *map;
	unsigned int i;
	int fd, round;

	ASSERT_EQ(0, load("real_fops=1"));
	fd = open(CLIENT_DIR "/cpu0", O_RDONLY);
	ASSERT_LE(0, fd);
	map = mmap(NULL, alloc, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	/* 160 records fill the 4 sub-buffers; 140 are dropped. */
	ASSERT_EQ(0, client_emit(0, 300, 100, 0));
	for (round = 0; round < 2; round++) {
		do {
			ASSERT_EQ(0, batch_call(fd, &b, 0));
			calls++;
			EXPECT_EQ(0, b.stale);
			EXPECT_EQ(0, b.skipped);
			ASSERT_LE(b.count, 2);
			ASSERT_EQ(expect_first, b.first);
			for (i = 0; i < b.count; i++) {
				EXPECT_EQ(((b.first + i) % NSUBBUF) * SUBBUF, ent[i].offset);
				ASSERT_EQ(0, parse(map + ent[i].offset, ent[i].length, 0, &p));
				EXPECT_EQ(p.records * 100, (long)ent[i].length);
				EXPECT_EQ(next_seq, p.first_seq);
				next_seq = p.last_seq + 1;
				records += p.records;
			}
			expect_first += b.count;
		} while (b.count);
		ASSERT_EQ(0, ioctl(fd, RRELAY_IOC_INFO, &info));
		/* The last call consumed the last batch. */
		EXPECT_EQ(info.produced, info.consumed);
		EXPECT_EQ(expect_first, info.produced);
		if (round == 0) {
			EXPECT_EQ(NSUBBUF, info.produced);
			EXPECT_EQ(SUBBUF + 1, info.offset) TH_LOG("stopped when full");
			/* Consumed: room again, and writes resume. */
			ASSERT_EQ(0, client_emit(0, 50, 100, 0));
			next_seq = 300;
			ASSERT_EQ(0, client_ctl("flush"));
		}
	}
	printf("# written 350 read through batches %ld (%ld calls) dropped %ld\n",
	       records, calls, stat_of("full"));
	EXPECT_EQ(210, records);
	EXPECT_EQ(350, records + stat_of("full"));
	EXPECT_EQ(0, info.lost_subbufs);
	/* Nothing is left for read() either. */
	EXPECT_EQ(0, drain(CLIENT_DIR "/cpu0", data, sizeof(data)));
	munmap(map, alloc);
	close(fd);
	unload();
}

/* Copies of the entries of b, out of the mapping. */
static void copy_batch(const unsigned char *map, const struct rrelay_batch *b,
		       const struct rrelay_batch_entry *ent, unsigned char copy[][SUBBUF])
{
	unsigned int i;

	for (i = 0; i < b->count; i++)
		memcpy(copy[i], map + ent[i].offset, ent[i].length);
}

/*
 * Overwrite: a flight recorder laps the reader while it holds a batch.
 * The next call says which copies the writer may have overwritten (a
 * prefix: the oldest first), skips what it lapped before it could be
 * handed out (counted in lost_subbufs), and the copies it keeps are the
 * records as written.  Records of 100 bytes, 40 to a sub-buffer.
 */
TEST(batch_mmap_reader_drops_what_the_writer_overwrote)
{
	const size_t alloc = NSUBBUF * SUBBUF;
	static unsigned char copy[NSUBBUF][SUBBUF];
	struct rrelay_batch_entry ent[NSUBBUF];
	struct rrelay_batch b = { .entries = (uintptr_t)ent, .max = NSUBBUF };
	struct rrelay_buf_info info;
	unsigned char *map;
	struct parsed p;
	unsigned int i;
	int fd;

	ASSERT_EQ(0, load("real_fops=1 overwrite=1"));
	fd = open(CLIENT_DIR "/cpu0", O_RDONLY);
	ASSERT_LE(0, fd);
	map = mmap(NULL, alloc, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	/* Seq 0..80: #0 and #1 complete, the writer in #2. */
	ASSERT_EQ(0, client_emit(0, 81, 100, 0));
	ASSERT_EQ(0, batch_call(fd, &b, 0));
	ASSERT_EQ(0, b.first);
	ASSERT_EQ(2, b.count);
	EXPECT_EQ(2, b.produced);
	copy_batch(map, &b, ent, copy);
	/* Seq 81..240 while the reader holds #0 and #1: the writer, in #6
	 * (slot 2), has been back in both, and in #2's slot.
	 */
	ASSERT_EQ(0, client_emit(0, 160, 100, 0));
	ASSERT_EQ(0, batch_call(fd, &b, 0));
	EXPECT_EQ(2, b.stale) TH_LOG("#0 and #1 overwritten while held");
	EXPECT_EQ(1, b.skipped) TH_LOG("#2 lapped before it was handed out");
	ASSERT_EQ(3, b.first);
	ASSERT_EQ(3, b.count);
	copy_batch(map, &b, ent, copy);
	for (i = 0; i < b.count; i++) {
		ASSERT_EQ(0, parse(copy[i], ent[i].length, 0, &p));
		EXPECT_EQ(120 + 40 * i, p.first_seq);
		EXPECT_EQ(40, p.records);
	}
	/* Seq 241..280: the writer completes #6 and enters #7, #3's slot. */
	ASSERT_EQ(0, client_emit(0, 40, 100, 0));
	ASSERT_EQ(0, batch_call(fd, &b, RRELAY_BATCH_RELEASE_ONLY));
	EXPECT_EQ(1, b.stale) TH_LOG("#3 overwritten, #4 and #5 whole");
	EXPECT_EQ(0, b.count);
	/* The copies called good are what the writer wrote. */
	for (i = 1; i < 3; i++) {
		ASSERT_EQ(0, parse(copy[i], ent[i].length, 0, &p));
		EXPECT_EQ(120 + 40 * i, p.first_seq);
		EXPECT_EQ(0, memcmp(copy[i], map + ent[i].offset, ent[i].length));
	}
	ASSERT_EQ(0, ioctl(fd, RRELAY_IOC_INFO, &info));
	EXPECT_EQ(6, info.consumed);
	EXPECT_EQ(1, info.lost_subbufs);
	printf("# batches: 2 copies stale, 1 sub-buffer skipped, then 1 stale of 3\n");
	munmap(map, alloc);
	close(fd);
	unload();
}

/*
 * Bad requests get a clear errno and change nothing: unknown flags, no
 * room or too much, a batch done with larger than the buffer, entries or
 * the struct where they cannot be written.
 */
TEST(batch_mmap_protocol_refuses_bad_input)
{
	struct rrelay_batch_entry ent[NSUBBUF];
	struct rrelay_batch b, good = { .entries = (uintptr_t)ent, .max = NSUBBUF };
	struct rrelay_buf_info info;
	unsigned char *bad;
	struct parsed p;
	ssize_t len;
	int fd;

	ASSERT_EQ(0, load("real_fops=1"));
	fd = open(CLIENT_DIR "/cpu0", O_RDONLY);
	ASSERT_LE(0, fd);
	/* Two sub-buffers complete (#0, #1), the writer in #2. */
	ASSERT_EQ(0, client_emit(0, 81, 100, 0));
	bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, bad);

	b = good;
	b.flags = 2;
	EXPECT_EQ(-1, ioctl(fd, RRELAY_IOC_BATCH, &b));
	EXPECT_EQ(EINVAL, errno);
	b = good;
	b.max = 0;
	EXPECT_EQ(-1, ioctl(fd, RRELAY_IOC_BATCH, &b));
	EXPECT_EQ(EINVAL, errno);
	b.max = RRELAY_BATCH_MAX + 1;
	EXPECT_EQ(-1, ioctl(fd, RRELAY_IOC_BATCH, &b));
	EXPECT_EQ(EINVAL, errno);
	b = good;
	b.count = NSUBBUF + 1;
	EXPECT_EQ(-1, ioctl(fd, RRELAY_IOC_BATCH, &b));
	EXPECT_EQ(EINVAL, errno);
	b = good;
	b.entries = (uintptr_t)bad;
	EXPECT_EQ(-1, ioctl(fd, RRELAY_IOC_BATCH, &b));
	EXPECT_EQ(EFAULT, errno);
	b.entries = 0;
	EXPECT_EQ(-1, ioctl(fd, RRELAY_IOC_BATCH, &b));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(fd, RRELAY_IOC_BATCH, bad));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(fd, RRELAY_IOC_BATCH, NULL));
	EXPECT_EQ(EFAULT, errno);
	/* The same number with another size is another command. */
	EXPECT_EQ(-1, ioctl(fd, _IOWR(RRELAY_IOC_MAGIC, 4, __u64), &b));
	EXPECT_EQ(ENOTTY, errno);
	/* Release only: no room needed, nothing handed out. */
	b = good;
	b.max = 0;
	b.entries = 0;
	EXPECT_EQ(0, batch_call(fd, &b, RRELAY_BATCH_RELEASE_ONLY));
	EXPECT_EQ(0, b.count);
	/* Nothing was consumed by the failed calls: a good one starts at #0. */
	ASSERT_EQ(0, ioctl(fd, RRELAY_IOC_INFO, &info));
	EXPECT_EQ(0, info.consumed);
	b = good;
	ASSERT_EQ(0, batch_call(fd, &b, 0));
	EXPECT_EQ(0, b.first);
	EXPECT_EQ(2, b.count);
	/*
	 * Given back by a call that cannot write the entries of the next
	 * batch (#2, completed meanwhile): nothing consumed.
	 */
	ASSERT_EQ(0, client_emit(0, 40, 100, 0));
	b.entries = (uintptr_t)bad;
	EXPECT_EQ(-1, ioctl(fd, RRELAY_IOC_BATCH, &b));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(0, ioctl(fd, RRELAY_IOC_INFO, &info));
	EXPECT_EQ(0, info.consumed);
	/* Still held, never consumed: read() gets every record. */
	munmap(bad, 4096);
	len = drain(CLIENT_DIR "/cpu0", data, sizeof(data));
	ASSERT_EQ(0, parse(data, len, 0, &p));
	EXPECT_EQ(121, p.records);
	EXPECT_EQ(0, p.first_seq);
	close(fd);
	unload();
}

TEST(bad_user_pointers_fail_cleanly_and_lose_nothing)
{
	unsigned char *map, *bad;
	struct parsed p;
	ssize_t len;
	int fd;

	ASSERT_EQ(0, load("real_fops=1"));
	fd = open(CLIENT_DIR "/cpu0", O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, client_emit(0, 5, 100, 0));
	/* A page that can be neither read nor written. */
	bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, bad);
	EXPECT_EQ(-1, read(fd, bad, 100));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(fd, RRELAY_IOC_INFO, bad));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(fd, RRELAY_IOC_CONSUME, bad));
	EXPECT_EQ(EFAULT, errno);
	munmap(bad, 4096);
	/* A private writable mapping copies on write: the buffer is untouched. */
	map = mmap(NULL, NSUBBUF * SUBBUF, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	memset(map, 0xaa, 500);
	munmap(map, NSUBBUF * SUBBUF);
	/* Nothing was consumed by the failed calls. */
	len = drain(CLIENT_DIR "/cpu0", data, sizeof(data));
	ASSERT_EQ(0, parse(data, len, 0, &p));
	EXPECT_EQ(5, p.records);
	EXPECT_EQ(0, p.first_seq);
	close(fd);
	unload();
}

TEST(invalid_relay_open_arguments_return_null)
{
	FILE *f;
	int ok = -1, total = -1;
	char line[128];

	ASSERT_EQ(0, load(""));
	ASSERT_EQ(0, client_ctl("invalid_open"));
	f = fopen(CLIENT_DIR "/stats", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "invalid_open %d/%d", &ok, &total) == 2)
			break;
	fclose(f);
	EXPECT_EQ(8, total);
	EXPECT_EQ(total, ok);
	unload();
}

TEST(insmod_channel_relays_marker_writes)
{
	char path[64], want[] = "rrelay marker record\n";
	int cpu, found = 0;
	ssize_t len;

	run("rmmod relay_client 2>/dev/null; rmmod rrelay 2>/dev/null");
	ASSERT_EQ(0, run("insmod " RRELAY_KO " subbuf_size=4096 n_subbufs=4 rate=0"));
	ASSERT_EQ(0, write_str(DEBUGFS "/rrelay/marker", want));
	for (cpu = 0; cpu < 64; cpu++) {
		snprintf(path, sizeof(path), DEBUGFS "/rrelay/cpu%d", cpu);
		if (access(path, F_OK))
			break;
		len = drain(path, data, sizeof(data));
		if (len == (ssize_t)strlen(want) && !memcmp(data, want, len))
			found++;
		else
			EXPECT_EQ(0, len);
	}
	EXPECT_GE(cpu, 1);
	EXPECT_EQ(1, found);
	ASSERT_EQ(0, run("rmmod rrelay"));
}

/*
 * rust_client logs its lines through rrelay's safe Rust API, half by
 * write() and half by reserve(), and fails to load unless stats() counted
 * its one slot too big for a sub-buffer.
 */
TEST(rust_client_records_read_back)
{
	char path[64], *line, *save;
	int cpu, lines = 0, seq, max = -1;
	unsigned char seen[200] = { 0 };
	ssize_t len;

	run("rmmod rust_client 2>/dev/null; rmmod rrelay 2>/dev/null");
	ASSERT_EQ(0, run("insmod " RRELAY_KO " chan="));
	ASSERT_EQ(0, run("insmod /modules/rust_client.ko records=150"));
	for (cpu = 0; cpu < 64; cpu++) {
		snprintf(path, sizeof(path), DEBUGFS "/rust_client/cpu%d", cpu);
		if (access(path, F_OK))
			break;
		len = drain(path, data, sizeof(data) - 1);
		ASSERT_LE(0, len);
		data[len] = '\0';
		for (line = strtok_r((char *)data, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			int fields = sscanf(line, "rust_client seq=%d", &seq);
			char want[32];

			ASSERT_EQ(1, fields) TH_LOG("%s", line);
			ASSERT_LT(seq, 150);
			/*
			 * Byte for byte: odd lines were filled in place
			 * through a reservation, even ones copied by write().
			 */
			snprintf(want, sizeof(want), "rust_client seq=%d", seq);
			ASSERT_STREQ(want, line);
			EXPECT_EQ(0, seen[seq]);
			seen[seq] = 1;
			lines++;
			if (seq > max)
				max = seq;
		}
	}
	printf("# rust_client wrote 150, read %d\n", lines);
	EXPECT_EQ(150, lines);
	EXPECT_EQ(149, max);
	EXPECT_EQ(0, run("rmmod rust_client"));
	EXPECT_EQ(0, run("rmmod rrelay"));
}

TEST_HARNESS_MAIN
