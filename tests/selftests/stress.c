// SPDX-License-Identifier: GPL-2.0
/*
 * Stress with conservation.  stress_client writes on every CPU from
 * process, softirq and hardirq context at once, for a bounded time, while
 * one reader thread per buffer drains it by read(), splice(), mmap() with
 * the per-sub-buffer ioctls or mmap() by batches (by CPU number, in turn)
 * and CPUs go offline and online through sysfs.
 * Every record read must be whole and read once; in no-overwrite mode
 * every record emitted must have been read or counted as dropped, exactly
 * (emitted = read + full_count), with relay's default policy or a client
 * callback returning !relay_buf_full(buf), with 8 sub-buffers or 2, by
 * every reader kind and by each kind of mmap reader alone -- and no mmap
 * reader may see ESTALE (or a stale batch) for a sub-buffer it has not
 * consumed.  Then
 * channel teardown racing readers, and relay_close() waking readers that
 * sleep in poll().
 *
 * RRELAY_STRESS_SECONDS (default 3) bounds each run.  RRELAY_STRESS_SEED
 * (default 0; scripts/check sets it per soak round) rotates which reader
 * kind each buffer gets and which CPU goes offline first.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <linux/rrelay.h>
#include <linux/types.h>
#include "kselftest_harness.h"
#include "rrelay_test.h"
#include "client_record.h"

#define DIR		DEBUGFS "/stress_client"
#define MAX_CPUS	8
#define NR_CTX		3
#define RECORD		64
#define SUBBUF		4096
#define NSUBBUF		8
#define CHUNK		(64 * 1024)

/* Which records have been read: one bit per (context, source, sequence). */
static struct {
	unsigned char *bits;
	size_t bytes;
} seen[NR_CTX][MAX_CPUS];
static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static long delivered, duplicates, torn, mmap_skipped;
static int stop_readers;

#define FLAG_SET(f, v)	__atomic_store_n(&(f), (v), __ATOMIC_RELEASE)
#define FLAG_GET(f)	__atomic_load_n(&(f), __ATOMIC_ACQUIRE)

static void forget_all(void)
{
	int c, s;

	for (c = 0; c < NR_CTX; c++)
		for (s = 0; s < MAX_CPUS; s++) {
			free(seen[c][s].bits);
			seen[c][s].bits = NULL;
			seen[c][s].bytes = 0;
		}
	delivered = 0;
	duplicates = 0;
	torn = 0;
	mmap_skipped = 0;
}

/* Account whole records in p; any byte that is not one counts as torn. */
static void note(const unsigned char *p, size_t len)
{
	size_t off = 0;

	pthread_mutex_lock(&seen_lock);
	while (off < len) {
		const struct client_record *r = (const void *)(p + off);
		size_t byte;

		if (len - off < RECORD || r->magic != CLIENT_RECORD_MAGIC ||
		    r->len != RECORD || r->ctx >= NR_CTX || r->cpu >= MAX_CPUS ||
		    client_record_csum(r) != r->csum) {
			torn++;
			break;
		}
		byte = r->seq / 8;
		if (byte >= seen[r->ctx][r->cpu].bytes) {
			size_t bytes = (byte + 1) * 2;

			seen[r->ctx][r->cpu].bits = realloc(seen[r->ctx][r->cpu].bits, bytes);
			memset(seen[r->ctx][r->cpu].bits + seen[r->ctx][r->cpu].bytes, 0,
			       bytes - seen[r->ctx][r->cpu].bytes);
			seen[r->ctx][r->cpu].bytes = bytes;
		}
		if (seen[r->ctx][r->cpu].bits[byte] & (1 << (r->seq % 8)))
			duplicates++;
		seen[r->ctx][r->cpu].bits[byte] |= 1 << (r->seq % 8);
		delivered++;
		off += RECORD;
	}
	pthread_mutex_unlock(&seen_lock);
}

/* One stress configuration. */
struct config {
	int overwrite;		/* a flight recorder: the client always goes on */
	int callback;		/* no-overwrite decided by the client's callback */
	int n_subbufs;
	int method;		/* every reader's, or -1: by CPU number in turn */
};

struct reader {
	pthread_t thread;
	int cpu, method;	/* 0 read, 1 splice, 2 mmap, 3 mmap by batches */
	int fd, pipe[2];
	unsigned char *map;
	size_t map_len;
	unsigned char buf[CHUNK];
};

static void drain_read(struct reader *r)
{
	ssize_t n;

	while ((n = read(r->fd, r->buf, sizeof(r->buf))) > 0)
		note(r->buf, n);
}

static void drain_splice(struct reader *r)
{
	ssize_t n, got;

	while ((n = splice(r->fd, NULL, r->pipe[1], NULL, CHUNK, SPLICE_F_NONBLOCK)) > 0) {
		for (got = 0; got < n; ) {
			ssize_t m = read(r->pipe[0], r->buf + got, n - got);

			if (m <= 0)
				return;
			got += m;
		}
		note(r->buf, n);
	}
}

static void drain_mmap(struct reader *r)
{
	struct rrelay_buf_info info;
	struct rrelay_subbuf sb;
	__u64 one = 1, i;

	if (ioctl(r->fd, RRELAY_IOC_INFO, &info))
		return;
	for (i = info.consumed; i < info.produced; i++) {
		sb.index = i;
		if (ioctl(r->fd, RRELAY_IOC_SUBBUF, &sb) == 0) {
			/* Copied first: in overwrite mode it is checked after. */
			memcpy(r->buf, r->map + sb.offset, sb.length);
			if (ioctl(r->fd, RRELAY_IOC_SUBBUF, &sb) == 0)
				note(r->buf, sb.length);
			else
				__sync_fetch_and_add(&mmap_skipped, 1);
		} else {
			__sync_fetch_and_add(&mmap_skipped, 1);
		}
		ioctl(r->fd, RRELAY_IOC_CONSUME, &one);
	}
}

/*
 * The batch protocol: each call checks the copies of the batch before
 * (its first b.stale were overwritten meanwhile: counted, not noted),
 * consumes it, and hands out the next, which is copied at once.
 */
static void drain_batch(struct reader *r)
{
	struct rrelay_batch_entry ent[CHUNK / SUBBUF];
	struct rrelay_batch b = { .entries = (uintptr_t)ent, .max = CHUNK / SUBBUF };
	size_t len[CHUNK / SUBBUF];
	unsigned int i;

	do {
		unsigned int held = b.count;

		if (ioctl(r->fd, RRELAY_IOC_BATCH, &b))
			return;
		__sync_fetch_and_add(&mmap_skipped, b.stale);
		for (i = b.stale; i < held; i++)
			note(r->buf + i * SUBBUF, len[i]);
		for (i = 0; i < b.count; i++) {
			len[i] = ent[i].length;
			memcpy(r->buf + i * SUBBUF, r->map + ent[i].offset, len[i]);
		}
	} while (b.count);
}

static void drain(struct reader *r)
{
	if (r->method == 0)
		drain_read(r);
	else if (r->method == 1)
		drain_splice(r);
	else if (r->method == 2)
		drain_mmap(r);
	else
		drain_batch(r);
}

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	struct pollfd p = { .fd = r->fd, .events = POLLIN };

	while (!FLAG_GET(stop_readers)) {
		poll(&p, 1, 20);
		drain(r);
	}
	/* The writers have stopped: what is left, the partial sub-buffer too. */
	drain(r);
	drain_read(r);
	return NULL;
}

static long stat_of(const char *name)
{
	return stat_in(DIR "/stats", name);
}

static int online_cpus(void)
{
	return sysconf(_SC_NPROCESSORS_ONLN);
}

static int set_online(int cpu, int on)
{
	char path[64];
	int fd, ok;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", cpu);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ok = write(fd, on ? "1" : "0", 1) == 1;
	close(fd);
	return ok ? 0 : -1;
}

static double seconds(void)
{
	const char *s = getenv("RRELAY_STRESS_SECONDS");

	return s ? atof(s) : 3.0;
}

static unsigned int stress_seed(void)
{
	const char *s = getenv("RRELAY_STRESS_SEED");

	/* Small: it is added to CPU numbers. */
	return s ? strtoull(s, NULL, 0) % 1024 : 0;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/*
 * One run: writers everywhere, a reader per buffer, CPUs 1..N-1 going
 * offline and online in turn.  Returns the hotplug cycles done.
 */
static long stress_run(struct __test_metadata *_metadata, const struct config *cfg)
{
	static struct reader readers[MAX_CPUS];
	int ncpu = online_cpus(), i, cpu = stress_seed();
	double end;
	long cycles = 0;
	char path[64];

	forget_all();
	FLAG_SET(stop_readers, 0);
	run("rmmod stress_client 2>/dev/null; rmmod rrelay 2>/dev/null");
	if (run("insmod " RRELAY_KO " chan=") ||
	    run("insmod /modules/stress_client.ko record_size=%d subbuf_size=%d n_subbufs=%d%s%s",
		RECORD, SUBBUF, cfg->n_subbufs, cfg->overwrite ? " overwrite=1" : "",
		cfg->callback ? " callback=1" : ""))
		return -1;
	if (ncpu > MAX_CPUS)
		ncpu = MAX_CPUS;
	for (i = 0; i < ncpu; i++) {
		struct reader *r = &readers[i];

		memset(r, 0, sizeof(*r));
		r->cpu = i;
		r->method = cfg->method < 0 ? (i + stress_seed()) % 4 : cfg->method;
		r->map_len = SUBBUF * cfg->n_subbufs;
		snprintf(path, sizeof(path), DIR "/cpu%d", i);
		r->fd = open(path, O_RDONLY | O_NONBLOCK);
		if (r->fd < 0 || pipe(r->pipe))
			return -1;
		if (r->method >= 2) {
			r->map = mmap(NULL, r->map_len, PROT_READ, MAP_SHARED, r->fd, 0);
			if (r->map == MAP_FAILED)
				return -1;
		}
		pthread_create(&r->thread, NULL, reader_main, r);
	}
	if (run("echo start > " DIR "/ctl"))
		return -1;
	end = now() + seconds();
	while (now() < end) {
		if (ncpu > 1) {
			cpu = cpu % (ncpu - 1) + 1;
			if (set_online(cpu, 0) == 0) {
				usleep(20000);
				EXPECT_EQ(0, set_online(cpu, 1));
				cycles++;
			}
		} else {
			usleep(100000);
		}
	}
	EXPECT_EQ(0, run("echo stop > " DIR "/ctl"));
	FLAG_SET(stop_readers, 1);
	for (i = 0; i < ncpu; i++) {
		pthread_join(readers[i].thread, NULL);
		if (readers[i].map)
			munmap(readers[i].map, readers[i].map_len);
		close(readers[i].pipe[0]);
		close(readers[i].pipe[1]);
		close(readers[i].fd);
	}
	return cycles;
}

/* Sub-buffers read() and splice() skipped when lapped, on all buffers. */
static long lost_subbufs(void)
{
	struct rrelay_buf_info info;
	char path[64];
	long lost = 0;
	int i, fd;

	for (i = 0; i < online_cpus() && i < MAX_CPUS; i++) {
		snprintf(path, sizeof(path), DIR "/cpu%d", i);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		if (ioctl(fd, RRELAY_IOC_INFO, &info) == 0)
			lost += info.lost_subbufs;
		close(fd);
	}
	return lost;
}

/*
 * A no-overwrite run: every record emitted was read exactly once or
 * dropped and counted, each drop exactly once (full_count), and nothing
 * was skipped -- by read() or splice() (lost) or by an mmap reader told
 * ESTALE (mmap_skipped): no-overwrite sub-buffers are never reused before
 * they are consumed.
 */
static void no_overwrite_conserves(struct __test_metadata *_metadata,
				   const struct config *cfg, const char *name)
{
	long cycles, emitted, full, big, lost;

	cycles = stress_run(_metadata, cfg);
	ASSERT_LE(0, cycles);
	emitted = stat_of("emitted");
	full = stat_of("full");
	big = stat_of("big");
	lost = lost_subbufs();
	printf("# stress no-overwrite%s, %d CPUs, %.0f s, seed %u: %ld records emitted, %ld read, ",
	       name, online_cpus(), seconds(), stress_seed(), emitted, delivered);
	printf("%ld dropped (counted), %ld hotplug cycles, %ld duplicates, %ld torn, ",
	       full, cycles, duplicates, torn);
	printf("%ld mmap ESTALE\n", mmap_skipped);
	EXPECT_LT(0, delivered);
	EXPECT_EQ(0, torn);
	EXPECT_EQ(0, duplicates);
	EXPECT_EQ(0, big);
	EXPECT_EQ(0, mmap_skipped);
	EXPECT_EQ(0, lost);
	EXPECT_EQ(emitted, delivered + full);
	EXPECT_EQ(0, run("rmmod stress_client"));
}

TEST(no_overwrite_every_record_read_once_or_counted)
{
	const struct config cfg = { .n_subbufs = NSUBBUF, .method = -1 };

	no_overwrite_conserves(_metadata, &cfg, "");
}

/* The callback, not a pre-check, decides what a refused switch is. */
TEST(no_overwrite_callback_counts_each_drop_once)
{
	const struct config cfg = { .callback = 1, .n_subbufs = 2, .method = -1 };

	no_overwrite_conserves(_metadata, &cfg, " (callback, 2 sub-buffers)");
}

/* Every switch is aimed at the sub-buffer an mmap reader holds. */
TEST(no_overwrite_mmap_readers_never_see_estale)
{
	const struct config cfg = { .n_subbufs = 2, .method = 2 };

	no_overwrite_conserves(_metadata, &cfg, " (mmap only, 2 sub-buffers)");
}

TEST(no_overwrite_mmap_readers_never_see_estale_with_a_callback)
{
	const struct config cfg = { .callback = 1, .n_subbufs = 2, .method = 2 };

	no_overwrite_conserves(_metadata, &cfg, " (mmap only, callback, 2 sub-buffers)");
}

/* The same for readers by batches, which hold several sub-buffers a call. */
TEST(no_overwrite_batch_mmap_readers_never_see_a_stale_batch)
{
	const struct config cfg = { .callback = 1, .n_subbufs = 2, .method = 3 };

	no_overwrite_conserves(_metadata, &cfg, " (mmap batches only, callback, 2 sub-buffers)");
}

/* Splice pins sub-buffers: a pinned one refuses the writer, counted too. */
TEST(no_overwrite_splice_readers_count_each_drop_once)
{
	const struct config cfg = { .n_subbufs = 2, .method = 1 };

	no_overwrite_conserves(_metadata, &cfg, " (splice only, 2 sub-buffers)");
}

TEST(overwrite_reads_stay_whole_and_losses_are_counted)
{
	const struct config cfg = { .overwrite = 1, .n_subbufs = NSUBBUF, .method = -1 };
	long cycles, emitted, full, lost, missing;

	cycles = stress_run(_metadata, &cfg);
	ASSERT_LE(0, cycles);
	lost = lost_subbufs();
	emitted = stat_of("emitted");
	full = stat_of("full");
	missing = emitted - delivered;
	printf("# stress overwrite, %d CPUs, %.0f s: %ld records emitted, %ld read, ",
	       online_cpus(), seconds(), emitted, delivered);
	printf("%ld sub-buffers lost (read/splice %ld, mmap %ld), %ld hotplug cycles, ",
	       lost + mmap_skipped, lost, mmap_skipped, cycles);
	printf("%ld duplicates, %ld torn\n", duplicates, torn);
	EXPECT_LT(0, delivered);
	EXPECT_EQ(0, torn);
	EXPECT_EQ(0, duplicates);
	/* Each record not read was in a lost sub-buffer or refused (full). */
	EXPECT_LE(missing, (lost + mmap_skipped) * (SUBBUF / RECORD) + full);
	EXPECT_EQ(0, run("rmmod stress_client"));
}

struct poller {
	int fd;
	short revents;
};

static void *poll_forever(void *arg)
{
	struct poller *p = arg;
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN };

	poll(&pfd, 1, -1);
	p->revents = pfd.revents;
	return NULL;
}

/* A reader asleep in poll() with no timeout wakes when the channel closes. */
TEST(close_wakes_readers_sleeping_in_poll)
{
	struct poller p = { 0 };
	pthread_t t;
	int i;

	run("rmmod stress_client 2>/dev/null; rmmod rrelay 2>/dev/null");
	ASSERT_EQ(0, run("insmod " RRELAY_KO " chan="));
	ASSERT_EQ(0, run("insmod /modules/stress_client.ko"));
	p.fd = open(DIR "/cpu0", O_RDONLY);
	ASSERT_LE(0, p.fd);
	ASSERT_EQ(0, pthread_create(&t, NULL, poll_forever, &p));
	usleep(200000);
	ASSERT_EQ(0, run("rmmod stress_client"));
	for (i = 0; i < 50 && !p.revents; i++)
		usleep(100000);
	EXPECT_EQ(POLLERR, p.revents & POLLERR);
	if (!p.revents)
		pthread_cancel(t);
	pthread_join(t, NULL);
	close(p.fd);
	EXPECT_EQ(0, run("rmmod rrelay"));
}

struct churner {
	pthread_t thread;
	int cpu;
	long ops;
};

static int stop_churn;

/* Open, poll, read, mmap, splice, close, again, while the channel goes. */
static void *churn(void *arg)
{
	struct churner *c = arg;
	unsigned char buf[4096];
	char path[64];
	int p[2];

	if (pipe(p))
		return NULL;
	snprintf(path, sizeof(path), DIR "/cpu%d", c->cpu);
	while (!FLAG_GET(stop_churn)) {
		struct pollfd pfd = { .events = POLLIN };
		void *map;
		int fd = open(path, O_RDONLY | O_NONBLOCK);

		c->ops++;
		if (fd < 0)
			continue;
		pfd.fd = fd;
		poll(&pfd, 1, 1);
		/* Any outcome will do here; what matters is that none hurts. */
		(void)!read(fd, buf, sizeof(buf));
		map = mmap(NULL, SUBBUF * NSUBBUF, PROT_READ, MAP_SHARED, fd, 0);
		if (splice(fd, NULL, p[1], NULL, 4096, SPLICE_F_NONBLOCK) > 0)
			(void)!read(p[0], buf, sizeof(buf));
		if (map != MAP_FAILED) {
			buf[0] = __atomic_load_n((unsigned char *)map, __ATOMIC_RELAXED);
			munmap(map, SUBBUF * NSUBBUF);
		}
		close(fd);
		c->ops += 5;
	}
	close(p[0]);
	close(p[1]);
	return NULL;
}

/*
 * The channel is opened, written and torn down again and again while
 * threads open, poll, read, map, splice and close its files.
 */
TEST(teardown_races_readers)
{
	static struct churner churners[MAX_CPUS];
	int rounds = 20, round, i, ncpu = online_cpus();
	double start = now();
	long ops = 0;

	if (ncpu > MAX_CPUS)
		ncpu = MAX_CPUS;
	run("rmmod stress_client 2>/dev/null; rmmod rrelay 2>/dev/null");
	ASSERT_EQ(0, run("insmod " RRELAY_KO " chan="));
	for (round = 0; round < rounds; round++) {
		ASSERT_EQ(0, run("insmod /modules/stress_client.ko n_subbufs=%d", NSUBBUF));
		ASSERT_EQ(0, run("echo start > " DIR "/ctl"));
		FLAG_SET(stop_churn, 0);
		for (i = 0; i < ncpu; i++) {
			churners[i].cpu = i;
			churners[i].ops = 0;
			pthread_create(&churners[i].thread, NULL, churn, &churners[i]);
		}
		usleep(50000 + round * 5000);
		/* Stops the writers, closes the channel: files go under the readers. */
		ASSERT_EQ(0, run("rmmod stress_client"));
		usleep(20000);
		FLAG_SET(stop_churn, 1);
		for (i = 0; i < ncpu; i++) {
			pthread_join(churners[i].thread, NULL);
			ops += churners[i].ops;
		}
	}
	printf("# %d teardowns raced by %d readers: %ld file operations in %.1f s\n",
	       rounds, ncpu, ops, now() - start);
	EXPECT_EQ(0, run("rmmod rrelay"));
}

/* A channel with no base name gets no files and no create_buf_file call. */
TEST(buffer_only_channel_works_without_files)
{
	run("rmmod stress_client 2>/dev/null; rmmod rrelay 2>/dev/null");
	ASSERT_EQ(0, run("insmod " RRELAY_KO " chan="));
	ASSERT_EQ(0, run("insmod /modules/stress_client.ko"));
	ASSERT_EQ(0, run("echo buffer_only > " DIR "/ctl"));
	EXPECT_EQ(0, run("grep -qx 'buffer_only ok' " DIR "/stats")) {
		run("sed 's/^/# /' " DIR "/stats");
	}
	EXPECT_EQ(0, run("rmmod stress_client && rmmod rrelay"));
}

TEST_HARNESS_MAIN
