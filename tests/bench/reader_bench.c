// SPDX-License-Identifier: GPL-2.0
/*
 * Reader cost, for make bench: how fast one CPU's stream drains by read()
 * (mainline relay and rrelay), splice() and mmap() with the ioctl protocol
 * (rrelay), and by tools/rrelay-read with each method.
 *
 * The client module fills all but one sub-buffer of CPU 0's buffer (4 MiB)
 * with 4096-byte records while nobody reads, and flushes; then the clock
 * runs while a reader moves everything to a sink:
 *
 *   read    read() into a 64 KiB user buffer, write() it to the sink
 *   splice  splice() into a pipe, splice() the pipe on to the sink
 *   mmap    RRELAY_IOC_BATCH of up to 64 sub-buffers (which also consumes
 *           the batch before), one writev() of them from the mapping to the
 *           sink (contiguous ones in one iovec)
 *   mmap-single  the per-sub-buffer protocol it replaces: RRELAY_IOC_SUBBUF,
 *           write() from the mapping, RRELAY_IOC_CONSUME, per sub-buffer
 *
 * Three laps through the same open file, pipe and mapping; laps 2 and 3
 * are timed (the steady state of a streaming reader: the mapping faulted
 * in once).  Two sinks: /dev/null, the reader's own cost (it never touches
 * the bytes, so mmap then costs only its ioctls), and a file in tmpfs,
 * which takes a copy of every byte.
 *
 *   tool-M  rrelay-read -m M -o DIR (files in tmpfs), stopped (SIGSTOP)
 *           while a 4 times bigger buffer (16 MiB) fills, timed from
 *           SIGCONT until it has drained and exited: one lap, its start-up
 *           and the mapping's first faults included
 *
 * Each line on stdout: "reader IMPL METHOD SUBBUF SINK BYTES NS"; every
 * lap's byte count is checked against what was written.  Under
 * -icount shift=0 the nanoseconds are guest instructions.
 *
 * Usage: reader_bench [BUFFER_BYTES]
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <linux/rrelay.h>
#include "../selftests/rrelay_test.h"

#define RECORD		4096
#define CHUNK		(64 * 1024)
#define BATCH		64		/* the reader library's batch too */
#define LAPS		3
#define SINK		"/tmp/reader-bench.out"
#define SINK_DIR	"/tmp/reader-bench-tool"
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static unsigned char chunk[CHUNK];

/* One reader of one buffer file, kept across laps. */
struct reader {
	int fd, sink;
	int pipe[2];		/* splice */
	char *map;		/* mmap */
	size_t map_len;
};

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static ssize_t drain_read(struct reader *r)
{
	ssize_t n, total = 0;

	while ((n = read(r->fd, chunk, sizeof(chunk))) > 0) {
		if (write(r->sink, chunk, n) != n)
			return -1;
		total += n;
	}
	return n < 0 ? -1 : total;
}

static ssize_t drain_splice(struct reader *r)
{
	ssize_t n, total = 0;

	while ((n = splice(r->fd, NULL, r->pipe[1], NULL, CHUNK, SPLICE_F_NONBLOCK)) > 0) {
		if (splice(r->pipe[0], NULL, r->sink, NULL, n, 0) != n)
			return -1;
		total += n;
	}
	return n < 0 ? -1 : total;
}

/*
 * The batch protocol.  No-overwrite mode: the writer never enters a
 * sub-buffer a batch holds, so it goes to the sink from the mapping, and
 * stale (checked on the next call) must be 0.
 */
static ssize_t drain_mmap(struct reader *r)
{
	static struct rrelay_batch_entry ent[BATCH];
	struct rrelay_batch b = { .entries = (uintptr_t)ent, .max = BATCH };
	struct iovec iov[BATCH];
	ssize_t total = 0, want;
	unsigned int i, n;

	for (;;) {
		if (ioctl(r->fd, RRELAY_IOC_BATCH, &b) || b.stale)
			return -1;
		if (!b.count)
			return total;
		for (i = 0, n = 0, want = 0; i < b.count; i++) {
			char *at = r->map + ent[i].offset;

			if (n && (char *)iov[n - 1].iov_base + iov[n - 1].iov_len == at) {
				iov[n - 1].iov_len += ent[i].length;
			} else {
				iov[n].iov_base = at;
				iov[n++].iov_len = ent[i].length;
			}
			want += ent[i].length;
		}
		if (writev(r->sink, iov, n) != want)
			return -1;
		total += want;
	}
}

static ssize_t drain_mmap_single(struct reader *r)
{
	struct rrelay_buf_info info;
	struct rrelay_subbuf sb;
	__u64 one = 1, i;
	ssize_t total = 0;

	if (ioctl(r->fd, RRELAY_IOC_INFO, &info))
		return -1;
	for (i = info.consumed; i < info.produced; i++) {
		sb.index = i;
		if (ioctl(r->fd, RRELAY_IOC_SUBBUF, &sb) ||
		    write(r->sink, r->map + sb.offset, sb.length) != (ssize_t)sb.length ||
		    ioctl(r->fd, RRELAY_IOC_CONSUME, &one))
			return -1;
		total += sb.length;
	}
	return total;
}

static int reader_open(struct reader *r, const char *path, const char *method,
		       size_t len)
{
	memset(r, 0, sizeof(*r));
	r->pipe[0] = -1;
	r->pipe[1] = -1;
	r->fd = open(path, O_RDONLY | O_NONBLOCK);
	if (r->fd < 0)
		return -1;
	if (!strcmp(method, "splice") && pipe(r->pipe))
		return -1;
	if (!strncmp(method, "mmap", 4)) {
		r->map = mmap(NULL, len, PROT_READ, MAP_SHARED, r->fd, 0);
		if (r->map == MAP_FAILED)
			return -1;
		r->map_len = len;
	}
	return 0;
}

static void reader_close(struct reader *r)
{
	if (r->map && r->map != MAP_FAILED)
		munmap(r->map, r->map_len);
	if (r->pipe[0] >= 0) {
		close(r->pipe[0]);
		close(r->pipe[1]);
	}
	close(r->fd);
}

/* Fill: count records on CPU 0, then a flush completes the last one. */
static int fill(const char *dir, size_t count)
{
	return run("echo '0 %zu %d 0' >%s/emit && echo flush >%s/ctl", count,
		   RECORD, dir, dir);
}

/* Load a client whose CPU 0 buffer is n sub-buffers of size bytes. */
static int load(const char *client, size_t size, size_t n)
{
	return run("insmod /modules/%s.ko subbuf_size=%zu n_subbufs=%zu%s", client,
		   size, n, strcmp(client, "relay_client") ? "" : " real_fops=1");
}

static int bench_method(const char *client, const char *method, size_t size,
			size_t n, const char *sink)
{
	char dir[64], path[96];
	size_t bytes = (n - 1) * size;
	long long ns = 0, t0;
	struct reader r;
	ssize_t got = 0;
	int lap, ret = -1;

	snprintf(dir, sizeof(dir), DEBUGFS "/%s", client);
	snprintf(path, sizeof(path), "%s/cpu0", dir);
	if (load(client, size, n))
		return -1;
	if (reader_open(&r, path, method, n * size))
		goto out;
	for (lap = 0; lap < LAPS; lap++) {
		if (fill(dir, bytes / RECORD))
			goto out;
		r.sink = open(sink, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (r.sink < 0)
			goto out;
		t0 = now_ns();
		if (!strcmp(method, "read"))
			got = drain_read(&r);
		else if (!strcmp(method, "splice"))
			got = drain_splice(&r);
		else if (!strcmp(method, "mmap"))
			got = drain_mmap(&r);
		else
			got = drain_mmap_single(&r);
		if (lap)
			ns += now_ns() - t0;
		close(r.sink);
		if (got != (ssize_t)bytes)
			goto out;
	}
	ret = 0;
	printf("reader %s %s %zu %s %zu %lld\n", strcmp(client, "relay_client") ?
	       "mainline" : "rrelay", method, size, strcmp(sink, SINK) ? "null" : "file",
	       (LAPS - 1) * bytes, ns);
out:
	if (ret)
		fprintf(stderr, "%s %s %zu %s: drained %zd of %zu bytes\n", client,
			method, size, sink, got, bytes);
	reader_close(&r);
	unlink(SINK);
	run("rmmod %s", client);
	return ret;
}

/* Whether the process holds every cpuN file of dir open. */
static int files_held(pid_t pid, const char *dir)
{
	return run("test $(ls -l /proc/%d/fd 2>/dev/null | grep -c '%s/cpu') -eq %s",
		   pid, dir, "$(ls " DEBUGFS "/relay_client | grep -c '^cpu')") == 0;
}

static int bench_tool(const char *method, size_t size, size_t n)
{
	const char *dir = DEBUGFS "/relay_client";
	size_t bytes = (n - 1) * size;
	char want[64], log[64];
	long long t0, t1;
	int status, i;
	pid_t pid;

	snprintf(log, sizeof(log), "/tmp/reader-bench-%s.log", method);
	if (load("relay_client", size, n))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (!freopen(log, "w", stderr))
			_exit(127);
		execl("/tests/rrelay-read", "rrelay-read", "-q", "-m", method, "-o",
		      SINK_DIR, dir, NULL);
		_exit(127);
	}
	for (i = 0; i < 500 && !files_held(pid, dir); i++)
		usleep(10000);
	if (i == 500) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return -1;
	}
	kill(pid, SIGSTOP);
	waitpid(pid, &status, WUNTRACED);
	if (fill(dir, bytes / RECORD) || run("echo close > %s/ctl", dir)) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return -1;
	}
	t0 = now_ns();
	kill(pid, SIGCONT);
	waitpid(pid, &status, 0);
	t1 = now_ns();
	run("rmmod relay_client; rm -rf " SINK_DIR);
	/* The tool's summary names the bytes it moved. */
	snprintf(want, sizeof(want), "rrelay-read: %zu bytes in", bytes);
	if (!WIFEXITED(status) || WEXITSTATUS(status) ||
	    run("grep -q '%s' %s", want, log)) {
		fprintf(stderr, "rrelay-read -m %s %zu: failed or short\n", method, size);
		run("cat %s >&2", log);
		return -1;
	}
	printf("reader rrelay tool-%s %zu file %zu %lld\n", method, size, bytes, t1 - t0);
	return 0;
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 4096, 64 * 1024, 1024 * 1024 };
	/* The first three are also the tool's. */
	static const char * const methods[] = { "read", "splice", "mmap", "mmap-single" };
	static const char * const sinks[] = { "/dev/null", SINK };
	size_t buffer = argc > 1 ? strtoul(argv[1], NULL, 0) : 4 << 20;
	int mainline = kernel_has_relay();
	unsigned int s, m, k;
	int ret = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		size_t size = sizes[s], n = buffer / size;

		if (n < 2)
			continue;
		for (k = 0; k < 2; k++) {
			if (mainline)
				ret |= bench_method("mainline_client", "read", size, n, sinks[k]);
			for (m = 0; m < ARRAY_SIZE(methods); m++)
				ret |= bench_method("relay_client", methods[m], size, n,
						    sinks[k]);
		}
		for (m = 0; m < 3; m++)
			ret |= bench_tool(methods[m], size, 4 * n);
	}
	return ret ? 1 : 0;
}
