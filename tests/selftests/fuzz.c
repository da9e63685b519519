// SPDX-License-Identifier: GPL-2.0
/*
 * A bounded, seeded random syscall fuzzer over relay buffer files.
 *
 * THREADS threads each run OPS random operations on their own open files,
 * mappings and pipe: open (good and bad names and flags), close, read
 * (good, NULL, unmapped, read-only and kernel addresses; any size), poll,
 * mmap (right and wrong lengths, offsets, protections and flags), munmap,
 * reading a mapped byte, splice into a pipe (any length and flags),
 * ioctl (the protocol's and random commands, good and bad arguments), the
 * batch ioctl with random fields and good and hostile entry arrays, and
 * lseek -- while stress_client writes from every context, and thread 0
 * now and then closes the channel, unloads the client and loads it again.
 *
 * Every call must succeed or fail with an errno a careful user could
 * expect; any other errno, a signal or a kernel splat fails the run.  The
 * seed is printed; RRELAY_FUZZ_SEED replays one.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/rrelay.h>
#include <linux/types.h>
#include "kselftest_harness.h"
#include "rrelay_test.h"

#define DIR		DEBUGFS "/stress_client"
#define THREADS		4
#define OPS		4000
#define SUBBUF		4096
#define NSUBBUF		8
#define ALLOC		(SUBBUF * NSUBBUF)
#define SLOTS		4

static unsigned long long seed;
static unsigned char *ro_page, *no_page;
static long unexpected, calls, failures;
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;

struct fuzzer {
	pthread_t thread;
	int id;
	unsigned long long rng;
	int fds[SLOTS];
	void *maps[SLOTS];
	size_t map_len[SLOTS];
	int map_prot[SLOTS];
	int pipe[2];
	__u64 consume;
	struct rrelay_batch_entry ent[64];
	unsigned char buf[1 << 16];
};

static unsigned long long next(struct fuzzer *f)
{
	/* xorshift64*: small, and the same sequence for the same seed. */
	f->rng ^= f->rng >> 12;
	f->rng ^= f->rng << 25;
	f->rng ^= f->rng >> 27;
	return f->rng * 2685821657736338717ULL;
}

static unsigned long pick(struct fuzzer *f, unsigned long n)
{
	return next(f) % n;
}

/* Errnos a buffer file may answer with, given what the fuzzer does. */
static int expected(int err)
{
	switch (err) {
	case EBADF: case EFAULT: case EINVAL: case EAGAIN: case ENOTTY:
	case ENODATA: case ESTALE: case ESPIPE: case EACCES: case EPERM:
	case ENOENT: case ENOMEM: case EOVERFLOW:
		return 1;
	}
	return 0;
}

static void check(struct fuzzer *f, const char *op, long ret)
{
	int err = errno;

	__sync_fetch_and_add(&calls, 1);
	if (ret >= 0)
		return;
	__sync_fetch_and_add(&failures, 1);
	if (expected(err))
		return;
	pthread_mutex_lock(&report_lock);
	if (unexpected++ < 10)
		printf("# thread %d: %s: unexpected errno %d (%s)\n", f->id, op, err,
		       strerror(err));
	pthread_mutex_unlock(&report_lock);
}

/* Where a read or ioctl writes: mostly good, sometimes hostile. */
static void *target(struct fuzzer *f)
{
	switch (pick(f, 8)) {
	case 0:
		return NULL;
	case 1:
		return no_page;
	case 2:
		return ro_page;
	case 3:
		return (void *)0xffffffff81000000UL;	/* the kernel's */
	default:
		return f->buf;
	}
}

static int any_fd(struct fuzzer *f)
{
	int fd = f->fds[pick(f, SLOTS)];

	return fd >= 0 || pick(f, 4) ? fd : 1000;	/* sometimes not open */
}

static void fuzz_one(struct fuzzer *f)
{
	static const int prots[] = { PROT_READ, PROT_READ | PROT_WRITE, PROT_WRITE,
				     PROT_READ | PROT_EXEC, PROT_NONE };
	static const int flags[] = { MAP_SHARED, MAP_PRIVATE, MAP_SHARED | MAP_NORESERVE,
				     MAP_SHARED | MAP_POPULATE };
	static const unsigned int cmds[] = { RRELAY_IOC_INFO, RRELAY_IOC_SUBBUF,
					     RRELAY_IOC_CONSUME, FIONREAD, 0, 0xb701 };
	static const int open_flags[] = { O_RDONLY, O_RDWR, O_WRONLY, O_RDONLY | O_NONBLOCK };
	static const size_t lengths[] = { ALLOC, ALLOC, SUBBUF, ALLOC + 4096, 0, 1UL << 40 };
	int slot = pick(f, SLOTS), fd;
	char path[64];
	void *map;
	long ret;

	switch (pick(f, 12)) {
	case 0:	/* open */
		if (f->fds[slot] >= 0)
			close(f->fds[slot]);
		snprintf(path, sizeof(path), DIR "/cpu%lu", pick(f, 10));
		f->fds[slot] = open(path, open_flags[pick(f, 4)]);
		check(f, "open", f->fds[slot]);
		break;
	case 1:	/* close */
		if (f->fds[slot] >= 0)
			check(f, "close", close(f->fds[slot]));
		f->fds[slot] = -1;
		break;
	case 2: {	/* read: past the end only where the target is hostile */
		void *to = target(f);
		size_t len = to != f->buf && !pick(f, 3) ? 1 << 20 : pick(f, sizeof(f->buf));

		check(f, "read", read(any_fd(f), to, len));
		break;
	}
	case 3: {	/* poll */
		struct pollfd p = { .fd = any_fd(f), .events = POLLIN | POLLOUT | POLLPRI };

		check(f, "poll", poll(&p, 1, pick(f, 3)));
		break;
	}
	case 4:	/* mmap */
		if (f->maps[slot])
			break;
		f->map_len[slot] = lengths[pick(f, 6)];
		f->map_prot[slot] = prots[pick(f, 5)];
		map = mmap(NULL, f->map_len[slot], f->map_prot[slot], flags[pick(f, 4)],
			   any_fd(f), pick(f, 4) ? 0 : 4096 * pick(f, 3));
		check(f, "mmap", map == MAP_FAILED ? -1 : 0);
		if (map != MAP_FAILED)
			f->maps[slot] = map;
		break;
	case 5:	/* munmap */
		if (f->maps[slot]) {
			check(f, "munmap", munmap(f->maps[slot], f->map_len[slot]));
			f->maps[slot] = NULL;
		}
		break;
	case 6:	/* a byte of a readable mapping: every page of the buffer is there */
		if (f->maps[slot] && f->map_len[slot] == ALLOC && f->map_prot[slot] & PROT_READ)
			f->buf[0] = __atomic_load_n((unsigned char *)f->maps[slot] + pick(f, ALLOC),
						    __ATOMIC_RELAXED);
		break;
	case 7:	/* splice into the pipe, then empty it */
		ret = splice(any_fd(f), NULL, f->pipe[1], NULL, pick(f, 1 << 17),
			     SPLICE_F_NONBLOCK | (pick(f, 2) ? 0 : (unsigned int)next(f)));
		check(f, "splice", ret);
		while (read(f->pipe[0], f->buf, sizeof(f->buf)) > 0)
			;
		break;
	case 8:	/* ioctl */
		fd = any_fd(f);
		ret = ioctl(fd, pick(f, 4) ? cmds[pick(f, 6)] : (unsigned int)next(f),
			    pick(f, 2) ? target(f) : (void *)(unsigned long)pick(f, 20));
		check(f, "ioctl", ret);
		break;
	case 9:	/* lseek: never seekable */
		check(f, "lseek", lseek(any_fd(f), pick(f, 1 << 20), SEEK_SET));
		break;
	case 10: {	/* a batch: any fields; entries ours or hostile */
		struct rrelay_batch b = {
			.first = pick(f, 4) ? pick(f, 64) : next(f),
			.count = pick(f, 4) ? pick(f, 12) : next(f),
			.flags = pick(f, 4) ? 0 : pick(f, 4),
			.max = pick(f, 4) ? pick(f, 65) : pick(f, 1 << 12),
		};
		void *to = target(f);

		b.entries = (uintptr_t)(to == f->buf ? (void *)f->ent : to);
		if (b.max > 64 && to == f->buf)
			b.max = 64;
		/* The struct itself: ours, or where it cannot be written. */
		if (!pick(f, 8))
			to = to == f->buf ? (void *)ro_page : to;
		else
			to = &b;
		check(f, "batch", ioctl(any_fd(f), RRELAY_IOC_BATCH, to));
		break;
	}
	default:	/* a sub-buffer consumed by hand */
		f->consume = pick(f, 12);
		check(f, "consume", ioctl(any_fd(f), RRELAY_IOC_CONSUME, &f->consume));
		break;
	}
}

static void *fuzz_main(void *arg)
{
	struct fuzzer *f = arg;
	int i;

	for (i = 0; i < OPS; i++) {
		fuzz_one(f);
		/* Thread 0 tears the channel down now and then, under the others. */
		if (f->id == 0 && i % 1000 == 999)
			run("rmmod stress_client && %s n_subbufs=%d && echo start >%s",
			    "insmod /modules/stress_client.ko", NSUBBUF, DIR "/ctl");
	}
	for (i = 0; i < SLOTS; i++) {
		if (f->fds[i] >= 0)
			close(f->fds[i]);
		if (f->maps[i])
			munmap(f->maps[i], f->map_len[i]);
	}
	close(f->pipe[0]);
	close(f->pipe[1]);
	return NULL;
}

TEST(random_syscalls_on_buffer_files_hurt_nothing)
{
	static struct fuzzer fuzzers[THREADS];
	const char *env = getenv("RRELAY_FUZZ_SEED");
	int t, i;

	seed = env ? strtoull(env, NULL, 0) : (unsigned long long)time(NULL);
	printf("# fuzz seed %llu (RRELAY_FUZZ_SEED=%llu replays it)\n", seed, seed);
	ro_page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	no_page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro_page);
	ASSERT_NE(MAP_FAILED, no_page);
	run("rmmod stress_client 2>/dev/null; rmmod rrelay 2>/dev/null");
	ASSERT_EQ(0, run("insmod " RRELAY_KO " chan="));
	ASSERT_EQ(0, run("insmod /modules/stress_client.ko n_subbufs=%d", NSUBBUF));
	ASSERT_EQ(0, run("echo start > " DIR "/ctl"));
	for (t = 0; t < THREADS; t++) {
		struct fuzzer *f = &fuzzers[t];

		f->id = t;
		f->rng = seed * 0x9e3779b97f4a7c15ULL + t + 1;
		for (i = 0; i < SLOTS; i++) {
			f->fds[i] = -1;
			f->maps[i] = NULL;
		}
		ASSERT_EQ(0, pipe2(f->pipe, O_NONBLOCK));
		ASSERT_EQ(0, pthread_create(&f->thread, NULL, fuzz_main, f));
	}
	for (t = 0; t < THREADS; t++)
		pthread_join(fuzzers[t].thread, NULL);
	printf("# fuzz seed %llu: %ld calls in %d threads, %ld failed as expected, ",
	       seed, calls, THREADS, failures - unexpected);
	printf("%ld unexpected\n", unexpected);
	EXPECT_EQ(0, unexpected);
	EXPECT_EQ(0, run("rmmod stress_client && rmmod rrelay"));
}

/* Buffer files are root's, as in mainline: nobody else opens them. */
TEST(unprivileged_users_cannot_open_buffer_files)
{
	int status;
	pid_t pid;

	run("rmmod stress_client 2>/dev/null; rmmod rrelay 2>/dev/null");
	ASSERT_EQ(0, run("insmod " RRELAY_KO " chan="));
	ASSERT_EQ(0, run("insmod /modules/stress_client.ko"));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		_exit(open(DIR "/cpu0", O_RDONLY) < 0 && errno == EACCES ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, run("rmmod stress_client && rmmod rrelay"));
}

TEST_HARNESS_MAIN
