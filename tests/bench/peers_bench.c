// SPDX-License-Identifier: GPL-2.0
/*
 * The user-space side of the peers benchmark (scripts/bench, "Against the
 * peers"): drives tests/modules/peers_bench.c and drains what its
 * producers write while they write.
 *
 *   peers_bench IMPL METHOD WRITERS SIZE MS COUNT
 *
 * IMPL    rrelay | mainline: a relay channel (16 sub-buffers of 64 KiB per
 *         CPU, no-overwrite), METHOD read | splice | mmap | none;
 *         ftrace-rb: a private ring buffer, METHOD kthread (the benchmark's
 *         in-kernel consumer) | none;
 *         ftrace-event: a trace event in tracing instance "peers" (1 MiB per
 *         CPU, overwrite), METHOD splice (trace_pipe_raw) | none.
 * METHOD  none: nobody reads while the producers write (the lagging
 *         consumer); what the buffer kept is drained and counted after.
 *
 * One reader thread per producer CPU, bound to no CPU, reads that CPU's
 * file until the producers have ended and the file is empty.  read and
 * mmap check every record (the writer's CPU, sequence numbers rising);
 * splice moves pages to /dev/null and counts bytes.
 *
 * Prints one line:
 *   peers IMPL METHOD WRITERS SIZE WRITTEN READ LOST NS BAD
 * WRITTEN records written, READ records the consumer got, LOST = WRITTEN -
 * READ, NS from the producers' release to the last one's end (guest
 * instructions under QEMU's -icount shift=0), BAD the number of readers that
 * saw a record out of place (another CPU's, a sequence number not rising,
 * a record cut short) or more records than were written: none may for
 * rrelay (scripts/bench fails), mainline relay's read() has known races
 * (Documentation/api.rst).  Exits 1 when a system call fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/rrelay.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define SUBBUF		65536
#define N_SUBBUFS	16
#define MAX_WRITERS	8
#define TRACING		"/sys/kernel/tracing"
#define INSTANCE	TRACING "/instances/peers"

enum method { M_READ, M_SPLICE, M_MMAP, M_NONE, M_KTHREAD };

struct reader {
	pthread_t thread;
	int fd;
	unsigned int cpu;
	__u64 records;	/* read and mmap: records seen */
	__u64 bytes;		/* splice: bytes moved */
	__s64 last_seq;
	__u64 bad;		/* the number of the first bad record, or 0 */
	const char *error;
};

static enum method method;
static unsigned int size;
static atomic_int producers_done;
static int event;		/* ftrace-event: pages, not records */

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void put(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_TRUNC);

	if (fd < 0 || write(fd, value, strlen(value)) != (ssize_t)strlen(value))
		die(path);
	close(fd);
}

/*
 * One record: the writer's CPU, then its sequence number.  After the first
 * bad record the reader stops checking (the stream can no longer be cut
 * into records) and only counts.
 */
static void check(struct reader *r, const unsigned char *rec)
{
	__u32 cpu, seq;

	r->records++;
	if (r->bad)
		return;
	memcpy(&cpu, rec, 4);
	memcpy(&seq, rec + 4, 4);
	if (cpu != r->cpu || (__s64)seq <= r->last_seq)
		r->bad = r->records;
	r->last_seq = seq;
}

static void check_bytes(struct reader *r, const unsigned char *p, size_t n,
			unsigned char *carry, size_t *carried)
{
	/* Whole records in place; only one cut by the caller's buffer is copied. */
	while (!*carried && n >= size) {
		check(r, p);
		p += size;
		n -= size;
	}
	while (n) {
		size_t take = size - *carried;

		if (take > n)
			take = n;
		memcpy(carry + *carried, p, take);
		*carried += take;
		p += take;
		n -= take;
		if (*carried == size) {
			check(r, carry);
			*carried = 0;
		}
	}
}

/*
 * Whether to read again at once: a relay read that moved less than a
 * sub-buffer has caught up with the writer's current sub-buffer, and
 * reading it again at once would take a few records at a time (each time
 * a snapshot of the writer's position, in rrelay an IPI).  As a relay
 * consumer would, wait then for poll(), which wakes when a whole
 * sub-buffer is ready.
 */
static int more_now(__u64 moved)
{
	return moved >= SUBBUF - 64;
}

/*
 * Waits for data: 10 ms at most, so that the end of the producers is
 * seen even by a file whose poll() does not wake for it.
 */
static void wait_data(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	poll(&p, 1, 10);
}

static void drain_read(struct reader *r)
{
	unsigned char carry[64], *buf = malloc(SUBBUF);
	size_t carried = 0;
	ssize_t n;

	if (!buf)
		die("malloc");

	for (;;) {
		int done = atomic_load(&producers_done);

		n = read(r->fd, buf, SUBBUF);
		if (n < 0) {
			r->error = "read";
			return;
		}
		if (n)
			check_bytes(r, buf, n, carry, &carried);
		if (more_now(n))
			continue;
		if (done && !n)
			break;
		if (!done)
			wait_data(r->fd);
	}
	if (carried && !r->bad)
		r->bad = r->records + 1;
	free(buf);
}

static void drain_splice(struct reader *r)
{
	int pipefd[2], null = open("/dev/null", O_WRONLY);
	ssize_t n, moved;

	if (null < 0 || pipe(pipefd))
		die("pipe");
	fcntl(pipefd[0], F_SETPIPE_SZ, 1 << 20);
	for (;;) {
		int done = atomic_load(&producers_done);

		moved = splice(r->fd, NULL, pipefd[1], NULL, 1 << 20,
			       SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (moved < 0 && errno != EAGAIN) {
			r->error = strerror(errno);
			break;
		}
		if (moved < 0)
			moved = 0;
		r->bytes += moved;
		for (n = moved; n > 0; ) {
			ssize_t m = splice(pipefd[0], NULL, null, NULL, n,
					   SPLICE_F_MOVE);

			if (m <= 0) {
				r->error = "splice to /dev/null";
				return;
			}
			n -= m;
		}
		/* trace_pipe_raw moves whole pages only: take all there are. */
		if (event ? moved > 0 : more_now(moved))
			continue;
		if (done && !moved)
			break;
		if (!done)
			wait_data(r->fd);
	}
	close(pipefd[0]);
	close(pipefd[1]);
	close(null);
	if (event) {
		/* What splice leaves behind: the last, partly filled page. */
		unsigned char *page = malloc(SUBBUF);

		if (!page)
			die("malloc");
		while ((n = read(r->fd, page, SUBBUF)) > 0)
			r->bytes += n;
		free(page);
	}
}

static void drain_mmap(struct reader *r)
{
	unsigned char carry[64];
	size_t carried = 0;
	unsigned char *map;

	map = mmap(NULL, SUBBUF * N_SUBBUFS, PROT_READ, MAP_SHARED, r->fd, 0);
	if (map == MAP_FAILED) {
		r->error = "mmap";
		return;
	}
	for (;;) {
		int done = atomic_load(&producers_done);
		struct rrelay_buf_info info;
		struct rrelay_subbuf sb;
		__u64 i;

		if (ioctl(r->fd, RRELAY_IOC_INFO, &info)) {
			r->error = "RRELAY_IOC_INFO";
			break;
		}
		for (i = info.consumed; i < info.produced; i++) {
			__u64 one = 1;

			sb.index = i;
			if (ioctl(r->fd, RRELAY_IOC_SUBBUF, &sb)) {
				r->error = "RRELAY_IOC_SUBBUF";
				goto out;
			}
			check_bytes(r, map + sb.offset, sb.length, carry,
				    &carried);
			if (ioctl(r->fd, RRELAY_IOC_CONSUME, &one)) {
				r->error = "RRELAY_IOC_CONSUME";
				goto out;
			}
		}
		if (info.produced != info.consumed)
			continue;
		if (done)
			break;
		wait_data(r->fd);
	}
out:
	munmap(map, SUBBUF * N_SUBBUFS);
}

static void *reader_main(void *arg)
{
	struct reader *r = arg;

	switch (method) {
	case M_READ:
		drain_read(r);
		break;
	case M_SPLICE:
		drain_splice(r);
		break;
	case M_MMAP:
		drain_mmap(r);
		break;
	default:
		break;
	}
	return NULL;
}

static enum method parse_method(const char *s)
{
	static const char *const names[] = {
		[M_READ] = "read", [M_SPLICE] = "splice", [M_MMAP] = "mmap",
		[M_NONE] = "none", [M_KTHREAD] = "kthread",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(s, names[i]))
			return i;
	fprintf(stderr, "peers_bench: no method %s\n", s);
	exit(2);
}

/* A line "NAME: VALUE" of a per-CPU stats file of the instance. */
static __u64 stat_of(unsigned int cpu, const char *name)
{
	char path[128], line[128];
	__u64 v = 0;
	FILE *f;

	snprintf(path, sizeof(path), INSTANCE "/per_cpu/cpu%u/stats", cpu);
	f = fopen(path, "r");
	if (!f)
		die(path);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, strlen(name)) &&
		    line[strlen(name)] == ':')
			v = strtoull(line + strlen(name) + 1, NULL, 10);
	fclose(f);
	return v;
}

int main(int argc, char **argv)
{
	struct reader readers[MAX_WRITERS] = {};
	unsigned long long written = 0, ns = 0, got = 0, lost = 0;
	const char *impl, *ctl;
	unsigned int writers, ms, cpu;
	char req[128], res[128];
	int relay, fd, n, failed = 0, bad = 0;
	__u64 read_before[MAX_WRITERS] = {};

	if (argc != 7) {
		fprintf(stderr, "usage: peers_bench IMPL METHOD WRITERS SIZE MS COUNT\n");
		return 2;
	}
	impl = argv[1];
	method = parse_method(argv[2]);
	writers = atoi(argv[3]);
	size = atoi(argv[4]);
	ms = atoi(argv[5]);
	if (!writers || writers > MAX_WRITERS || size < 8 || size > 64)
		return 2;
	relay = !strcmp(impl, "rrelay") || !strcmp(impl, "mainline");
	event = !strcmp(impl, "ftrace-event");
	ctl = !strcmp(impl, "mainline") ? "/sys/kernel/debug/mainline_peers/ctl" :
					  "/sys/kernel/debug/rrelay_peers/ctl";
	if (relay) {
		snprintf(req, sizeof(req), "open %d %d", SUBBUF, N_SUBBUFS);
		put(ctl, req);
	} else if (event) {
		if (mkdir(INSTANCE, 0755) && errno != EEXIST)
			die(INSTANCE);
		put(INSTANCE "/buffer_size_kb", "1024");
		put(INSTANCE "/events/peers_bench/peers_record/enable", "1");
	} else if (strcmp(impl, "ftrace-rb")) {
		fprintf(stderr, "peers_bench: no implementation %s\n", impl);
		return 2;
	}
	for (cpu = 0; cpu < writers; cpu++) {
		struct reader *r = &readers[cpu];
		char path[128];

		if (!relay && !event)
			break;
		r->cpu = cpu;
		r->last_seq = -1;
		if (relay)
			snprintf(path, sizeof(path),
				 "/sys/kernel/debug/%s_peers_chan/cpu%u", impl, cpu);
		else
			snprintf(path, sizeof(path),
				 INSTANCE "/per_cpu/cpu%u/trace_pipe_raw", cpu);
		r->fd = open(path, O_RDONLY | (event ? O_NONBLOCK : 0));
		if (r->fd < 0)
			die(path);
		if (event)
			read_before[cpu] = stat_of(cpu, "read events");
		if (method != M_NONE &&
		    pthread_create(&r->thread, NULL, reader_main, r))
			die("pthread_create");
	}

	snprintf(req, sizeof(req), "run %s %u %u %u %s",
		 relay ? "relay" : event ? "event" :
		 method == M_KTHREAD ? "rb-kthread" : "rb",
		 writers, size, ms, argv[6]);
	put(ctl, req);
	if (event)
		put(INSTANCE "/events/peers_bench/peers_record/enable", "0");
	fd = open(ctl, O_RDONLY);
	n = fd < 0 ? -1 : read(fd, res, sizeof(res) - 1);
	if (n <= 0)
		die(ctl);
	res[n] = '\0';
	close(fd);
	if (sscanf(res, "%llu %llu %llu %llu", &written, &ns, &got, &lost) < 2)
		die("result");
	atomic_store(&producers_done, 1);
	/* The lagging consumer: what the buffer kept, drained now. */
	if (method == M_NONE)
		method = event ? M_SPLICE : M_READ;

	for (cpu = 0; cpu < writers && (relay || event); cpu++) {
		struct reader *r = &readers[cpu];

		if (r->thread)
			pthread_join(r->thread, NULL);
		else
			reader_main(r);
		if (r->error) {
			fprintf(stderr, "peers_bench: cpu%u: %s\n", cpu, r->error);
			failed = 1;
		}
		if (r->bad) {
			fprintf(stderr, "peers_bench: %s %s cpu%u: record %llu out of place\n",
				impl, argv[2], cpu, (unsigned long long)r->bad);
			bad++;
		}
		if (event)
			got += stat_of(cpu, "read events") - read_before[cpu];
		else if (method == M_SPLICE)
			got += r->bytes / size;
		else
			got += r->records;
		close(r->fd);
	}
	if (relay || event)
		lost = written - got;
	if (relay)
		put(ctl, "close");
	if (event && rmdir(INSTANCE))
		die("rmdir " INSTANCE);
	if (got > written) {
		fprintf(stderr, "peers_bench: %s %s read %llu of %llu records\n",
			impl, argv[2], got, written);
		bad++;
		lost = 0;
	}
	printf("peers %s %s %u %u %llu %llu %llu %llu %d\n", impl, argv[2],
	       writers, size, written, got, lost, ns, bad);
	return failed;
}
