// SPDX-License-Identifier: GPL-2.0
/*
 * The BPF ringbuf as a peer of relay, for make bench: records per second
 * of a BPF program writing into one BPF_MAP_TYPE_RINGBUF while user space
 * drains it, in the shape of the kernel's own ringbuf benchmark
 * (tools/testing/selftests/bpf/benchs/bench_ringbufs.c: a program writing
 * a batch of records per trigger, the adaptive wakeup, a consumer that
 * reads the mapped ring itself and waits in epoll when it is empty).
 *
 * No libbpf and no compiler for BPF: the program is assembled here,
 * instruction by instruction, and loaded with the raw bpf(2) syscall.  It
 * is a socket filter, run by BPF_PROG_TEST_RUN with `repeat' (a socket
 * filter's test run repeats the program over one skb; its helpers include
 * the ringbuf's).  Each run writes BATCH records, in one of two modes:
 *
 *   output   bpf_ringbuf_output() of a record prepared on the BPF stack
 *            (the helper reserves, copies and commits)
 *   reserve  bpf_ringbuf_reserve(), the record filled in place by the
 *            program's own stores, bpf_ringbuf_submit()
 *
 * A record is SIZE bytes: its writer's CPU (u32), that CPU's sequence
 * number (u32, counted in a per-CPU array map across runs) and a fixed
 * byte pattern.  A failed output or reservation adds one to the CPU's lost
 * count in the same map.  Flags are 0 (the adaptive wakeup: the consumer
 * is woken when it has caught up with the record just committed).
 *
 * WRITERS user threads, each pinned to its own CPU (0..WRITERS-1), run the
 * program into the one shared ring of RING bytes (it is multi-producer),
 * all released together.  The consumer:
 *
 *   live  a thread (on CPU WRITERS if there is one) draining the ring
 *         through its mapped consumer and producer pages while they write,
 *         waiting in epoll when it is empty (bench_ringbufs.c's rb-custom)
 *   spin  the same thread, but polling the producer page instead of
 *         sleeping: the best a consumer can do to keep up
 *   lag   none while they write: once the ring is full further writes
 *         fail (lost); it is drained after they have finished.  With a
 *         ring that holds the whole run nothing is lost: the producer's
 *         cost alone
 *
 * Under QEMU's -icount all vCPUs take turns on one host thread, and a
 * consumer on another vCPU was seen not to run while a writer ran, for up
 * to 1.2e8 instructions (QEMU's round-robin kick comes every 100 ms of
 * virtual time, 1e8 instructions at shift=0; idle=poll changed nothing).
 * There, "lag" with a ring that holds the run gives the producer's
 * instructions, and "live" on a single vCPU (the consumer then shares the
 * writer's CPU and drains whenever the scheduler preempts the writer) the
 * producer's and consumer's together.
 *
 * Every record read is checked: its header (length SIZE, not discarded),
 * a writer's CPU, that CPU's sequence numbers strictly increasing and the
 * pattern.  At the end, per CPU: read + lost == written, and the gaps in
 * the sequence numbers read == lost.  Any mismatch: a message on stderr
 * and exit status 1.
 *
 * Output, one line on stdout per run:
 *
 *   bpfrb MODE CONSUMER WRITERS SIZE RING WRITTEN CONSUMED LOST NS RUN_NS
 *
 *   MODE      output | reserve
 *   CONSUMER  live | spin | lag
 *   RING      the ring's data size in bytes
 *   WRITTEN   records the program tried to write, all writers together
 *   CONSUMED  records read and checked by the consumer
 *   LOST      failed writes, as the program counted them
 *   NS        CLOCK_MONOTONIC nanoseconds from the first writer's start
 *             (after their common release) to the last writer's end:
 *             the writing phase (the consumer's final drain is not in it)
 *   RUN_NS    the mean over writers of the test runs' own time (the
 *             kernel's mean duration per run times the runs): the
 *             program without the syscall and skb set-up
 *
 * and before it one line "bpfrb-info jit=J jited=L insns=N batch=B",
 * J being /proc/sys/net/core/bpf_jit_enable (- if absent) and L the
 * program's JIT-compiled length in bytes (0: interpreted).  Under QEMU's
 * -icount shift=0 the nanoseconds are guest instructions, of every vCPU
 * (a consumer's included).
 *
 * Usage: bpf_ringbuf_bench MODE CONSUMER WRITERS SIZE RECORDS [RING [BREAK]]
 *   RECORDS   per writer, a multiple of BATCH
 *   RING      a power of 2, at least a page (default 524288, the default
 *             of bench_ringbufs.c)
 *   BREAK     the checks' own test: "payload" makes the program write a
 *             wrong last byte, "lost" makes it not count failed writes;
 *             either must make the run fail
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/bpf.h>

#define BATCH		100	/* records per run of the program */
#define MAX_REPEAT	100	/* runs per BPF_PROG_TEST_RUN */
#define MIN_SIZE	8
#define MAX_SIZE	256
#define MAX_INSNS	256
#define MAX_CPUS	64
#define SEQ_OFF		0	/* per-CPU state: next sequence number */
#define LOST_OFF	8	/* per-CPU state: failed writes */
#define STATE_SIZE	16

enum { MODE_OUTPUT, MODE_RESERVE };
enum { BREAK_NONE, BREAK_PAYLOAD, BREAK_LOST };

enum { LAG, LIVE, SPIN };
static const char * const consumer_name[] = { "lag", "live", "spin" };

static int mode, consumer, writers, size, breakage;
static int finished;		/* the writers have finished */
static long long records;	/* per writer */
static long ring_size = 512 * 1024;
static int ring_fd, state_fd, prog_fd, wake_fd;
static unsigned char image[MAX_SIZE];	/* what the program writes */
static unsigned char expect[MAX_SIZE];	/* what the consumer wants */
static int ncpus;		/* possible CPUs */

static void die(const char *what)
{
	fprintf(stderr, "bpf_ringbuf_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bpf_ringbuf_bench: FAIL: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
}

/* The pattern byte at offset j of a record (j >= 8). */
static unsigned char pattern(int j)
{
	return (unsigned char)(0x5a ^ (j * 29));
}

/* ---- the program, assembled ---- */

struct prog {
	struct bpf_insn insn[MAX_INSNS];
	int n;
};

static int emit(struct prog *p, __u8 code, __u8 dst, __u8 src, __s16 off, __s32 imm)
{
	struct bpf_insn *i = &p->insn[p->n];

	if (p->n >= MAX_INSNS - 1) {
		fprintf(stderr, "bpf_ringbuf_bench: program too long\n");
		exit(1);
	}
	memset(i, 0, sizeof(*i));
	i->code = code;
	i->dst_reg = dst;
	i->src_reg = src;
	i->off = off;
	i->imm = imm;
	return p->n++;
}

/* dst = the map of fd (a two-slot ld_imm64 the verifier resolves). */
static void emit_map(struct prog *p, __u8 dst, int fd)
{
	emit(p, BPF_LD | BPF_DW | BPF_IMM, dst, BPF_PSEUDO_MAP_FD, 0, fd);
	emit(p, 0, 0, 0, 0, 0);
}

static void emit_call(struct prog *p, int helper)
{
	emit(p, BPF_JMP | BPF_CALL, 0, 0, 0, helper);
}

/* A forward jump whose target is set later by land(). */
static int emit_jump(struct prog *p, __u8 op, __u8 reg, __s32 imm)
{
	return emit(p, BPF_JMP | op | BPF_K, reg, 0, 0, imm);
}

static void land(struct prog *p, int jump)
{
	p->insn[jump].off = p->n - jump - 1;
}

/* Store image[8..size) at base+off with immediates, widest first. */
static void emit_image(struct prog *p, __u8 base, int off)
{
	int j = 8;
	__u32 w;
	__u16 h;

	while (j + 4 <= size) {
		memcpy(&w, image + j, 4);
		emit(p, BPF_ST | BPF_MEM | BPF_W, base, 0, off + j, (__s32)w);
		j += 4;
	}
	if (j + 2 <= size) {
		memcpy(&h, image + j, 2);
		emit(p, BPF_ST | BPF_MEM | BPF_H, base, 0, off + j, h);
		j += 2;
	}
	if (j < size)
		emit(p, BPF_ST | BPF_MEM | BPF_B, base, 0, off + j, image[j]);
}

/* *(u64 *)(r9 + LOST_OFF) += 1, unless the checks are being tested. */
static void emit_lost(struct prog *p)
{
	if (breakage == BREAK_LOST)
		return;
	emit(p, BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_1, BPF_REG_9, LOST_OFF, 0);
	emit(p, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_1, 0, 0, 1);
	emit(p, BPF_STX | BPF_MEM | BPF_DW, BPF_REG_9, BPF_REG_1, LOST_OFF, 0);
}

/*
 * r6 loop counter, r7 sequence number, r8 CPU, r9 this CPU's state;
 * the key 0 at fp-8, the output mode's record below it.
 */
static int assemble(struct prog *p)
{
	int rec = -8 - (size + 7) / 8 * 8;	/* record on the stack */
	int no_state, loop, ok, next;

	p->n = 0;
	emit(p, BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, -8, 0);
	emit(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0);
	emit(p, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -8);
	emit_map(p, BPF_REG_1, state_fd);
	emit_call(p, BPF_FUNC_map_lookup_elem);
	no_state = emit_jump(p, BPF_JEQ, BPF_REG_0, 0);
	emit(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_9, BPF_REG_0, 0, 0);
	emit_call(p, BPF_FUNC_get_smp_processor_id);
	emit(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_8, BPF_REG_0, 0, 0);
	emit(p, BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_7, BPF_REG_9, SEQ_OFF, 0);
	emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_6, 0, 0, 0);
	if (mode == MODE_OUTPUT) {
		/* The record, once per run; only its sequence number changes. */
		emit(p, BPF_STX | BPF_MEM | BPF_W, BPF_REG_10, BPF_REG_8, rec, 0);
		emit(p, BPF_STX | BPF_MEM | BPF_W, BPF_REG_10, BPF_REG_7, rec + 4, 0);
		emit_image(p, BPF_REG_10, rec);
	}

	loop = p->n;
	if (mode == MODE_OUTPUT) {
		emit(p, BPF_STX | BPF_MEM | BPF_W, BPF_REG_10, BPF_REG_7, rec + 4, 0);
		emit_map(p, BPF_REG_1, ring_fd);
		emit(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0);
		emit(p, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, rec);
		emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_3, 0, 0, size);
		emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_4, 0, 0, 0);
		emit_call(p, BPF_FUNC_ringbuf_output);
		ok = emit_jump(p, BPF_JEQ, BPF_REG_0, 0);
		emit_lost(p);
		land(p, ok);
	} else {
		emit_map(p, BPF_REG_1, ring_fd);
		emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_2, 0, 0, size);
		emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_3, 0, 0, 0);
		emit_call(p, BPF_FUNC_ringbuf_reserve);
		ok = emit_jump(p, BPF_JNE, BPF_REG_0, 0);
		emit_lost(p);
		next = emit(p, BPF_JMP | BPF_JA, 0, 0, 0, 0);
		land(p, ok);
		emit(p, BPF_STX | BPF_MEM | BPF_W, BPF_REG_0, BPF_REG_8, 0, 0);
		emit(p, BPF_STX | BPF_MEM | BPF_W, BPF_REG_0, BPF_REG_7, 4, 0);
		emit_image(p, BPF_REG_0, 0);
		emit(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_0, 0, 0);
		emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_2, 0, 0, 0);
		emit_call(p, BPF_FUNC_ringbuf_submit);
		land(p, next);
	}
	emit(p, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_7, 0, 0, 1);
	emit(p, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_6, 0, 0, 1);
	emit(p, BPF_JMP | BPF_JLT | BPF_K, BPF_REG_6, 0, loop - p->n - 1, BATCH);
	emit(p, BPF_STX | BPF_MEM | BPF_DW, BPF_REG_9, BPF_REG_7, SEQ_OFF, 0);
	land(p, no_state);
	emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
	emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	return p->n;
}

/* The verifier's log, asked for only when a load failed. */
static char verifier_log[1 << 20];

static int load(void)
{
	static struct prog p;
	union bpf_attr a;
	int j;

	for (j = 8; j < size; j++) {
		expect[j] = pattern(j);
		image[j] = expect[j];
	}
	if (breakage == BREAK_PAYLOAD)
		image[size - 1] ^= 0xff;

	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_RINGBUF;
	a.max_entries = ring_size;
	ring_fd = sys_bpf(BPF_MAP_CREATE, &a);
	if (ring_fd < 0)
		die("BPF_MAP_CREATE ringbuf");

	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_PERCPU_ARRAY;
	a.key_size = 4;
	a.value_size = STATE_SIZE;
	a.max_entries = 1;
	state_fd = sys_bpf(BPF_MAP_CREATE, &a);
	if (state_fd < 0)
		die("BPF_MAP_CREATE percpu array");

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	a.insn_cnt = assemble(&p);
	a.insns = (unsigned long)p.insn;
	a.license = (unsigned long)"GPL";
	prog_fd = sys_bpf(BPF_PROG_LOAD, &a);
	if (prog_fd < 0) {
		a.log_buf = (unsigned long)verifier_log;
		a.log_size = sizeof(verifier_log);
		a.log_level = 1;
		prog_fd = sys_bpf(BPF_PROG_LOAD, &a);
		fprintf(stderr, "%s\n", verifier_log);
		die("BPF_PROG_LOAD");
	}
	return a.insn_cnt;
}

static void print_info(int insns)
{
	struct bpf_prog_info pi;
	union bpf_attr a;
	char jit[16] = "-";
	FILE *f;

	f = fopen("/proc/sys/net/core/bpf_jit_enable", "r");
	if (f) {
		if (!fgets(jit, sizeof(jit), f))
			snprintf(jit, sizeof(jit), "?");
		jit[strcspn(jit, "\n")] = 0;
		fclose(f);
	}
	memset(&pi, 0, sizeof(pi));
	memset(&a, 0, sizeof(a));
	a.info.bpf_fd = prog_fd;
	a.info.info_len = sizeof(pi);
	a.info.info = (unsigned long)&pi;
	if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a))
		die("BPF_OBJ_GET_INFO_BY_FD");
	printf("bpfrb-info jit=%s jited=%u insns=%d batch=%d\n",
	       jit, pi.jited_prog_len, insns, BATCH);
}

/* ---- the writers ---- */

struct writer {
	pthread_t thread;
	int cpu;
	long long start_ns, end_ns, run_ns;
	int err;
};

static pthread_barrier_t start;

static void *write_records(void *arg)
{
	struct writer *w = arg;
	unsigned char packet[64] = { 0 };	/* >= ETH_HLEN */
	union bpf_attr a;
	long long done, n;

	pin(w->cpu);
	pthread_barrier_wait(&start);
	w->start_ns = now_ns();
	for (done = 0; done < records; done += n * BATCH) {
		n = (records - done) / BATCH;
		if (n > MAX_REPEAT)
			n = MAX_REPEAT;
		memset(&a, 0, sizeof(a));
		a.test.prog_fd = prog_fd;
		a.test.data_in = (unsigned long)packet;
		a.test.data_size_in = sizeof(packet);
		a.test.repeat = n;
		if (sys_bpf(BPF_PROG_TEST_RUN, &a)) {
			w->err = errno;
			break;
		}
		w->run_ns += (long long)a.test.duration * n;
	}
	w->end_ns = now_ns();
	return NULL;
}

/* ---- the consumer ---- */

static struct {
	__u64 *cons;		/* consumer page, read-write */
	__u64 *prod;		/* producer page, read-only */
	unsigned char *data;	/* the data pages, mapped twice */
	int epoll;
} ring;

static long long consumed;
static long long seen[MAX_CPUS], last_seq[MAX_CPUS], gaps[MAX_CPUS];
static int writer_cpu[MAX_CPUS];	/* CPU -> 1 if a writer runs there */

static void map_ring(void)
{
	long page = sysconf(_SC_PAGESIZE);
	struct epoll_event ev = { .events = EPOLLIN };
	void *p;

	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, ring_fd, 0);
	if (p == MAP_FAILED)
		die("mmap consumer page");
	ring.cons = p;
	p = mmap(NULL, page + 2 * ring_size, PROT_READ, MAP_SHARED, ring_fd, page);
	if (p == MAP_FAILED)
		die("mmap producer and data pages");
	ring.prod = p;
	ring.data = (unsigned char *)p + page;

	ring.epoll = epoll_create1(0);
	wake_fd = eventfd(0, 0);
	if (ring.epoll < 0 || wake_fd < 0)
		die("epoll_create1/eventfd");
	ev.data.fd = ring_fd;
	if (epoll_ctl(ring.epoll, EPOLL_CTL_ADD, ring_fd, &ev))
		die("epoll_ctl ring");
	ev.data.fd = wake_fd;
	if (epoll_ctl(ring.epoll, EPOLL_CTL_ADD, wake_fd, &ev))
		die("epoll_ctl eventfd");
}

static void check(const unsigned char *r, __u32 len)
{
	__u32 cpu, seq;
	int j;

	if (len & BPF_RINGBUF_DISCARD_BIT)
		fail("record %lld: discarded", consumed);
	if (len != (__u32)size)
		fail("record %lld: length %u, not %d", consumed, len, size);
	memcpy(&cpu, r, 4);
	memcpy(&seq, r + 4, 4);
	if (cpu >= MAX_CPUS || !writer_cpu[cpu])
		fail("record %lld: CPU %u has no writer", consumed, cpu);
	if (seen[cpu] && seq <= last_seq[cpu])
		fail("record %lld: CPU %u: sequence number %u after %lld",
		     consumed, cpu, seq, last_seq[cpu]);
	gaps[cpu] += seq - (seen[cpu] ? last_seq[cpu] + 1 : 0);
	last_seq[cpu] = seq;
	seen[cpu]++;
	if (memcmp(r + 8, expect + 8, size - 8))
		for (j = 8; j < size; j++)
			if (r[j] != expect[j])
				fail("record %lld: byte %d is 0x%02x, not 0x%02x",
				     consumed, j, r[j], expect[j]);
	consumed++;
}

/* Read every committed record; 1 if any. */
static int drain(void)
{
	__u64 cons = __atomic_load_n(ring.cons, __ATOMIC_ACQUIRE);
	__u64 prod = __atomic_load_n(ring.prod, __ATOMIC_ACQUIRE);
	__u64 start_pos = cons, stored = cons;
	__u32 len, *hdr;

	while (cons < prod) {
		hdr = (__u32 *)(ring.data + (cons & (ring_size - 1)));
		len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);
		if (len & BPF_RINGBUF_BUSY_BIT)
			break;	/* reserved, not yet committed */
		check((unsigned char *)(hdr + 2), len);
		cons += ((len & ~BPF_RINGBUF_DISCARD_BIT) + BPF_RINGBUF_HDR_SZ + 7) & ~7ULL;
		/* Hand space back to the writers every page or so. */
		if (cons - stored >= 4096) {
			__atomic_store_n(ring.cons, cons, __ATOMIC_RELEASE);
			stored = cons;
		}
	}
	__atomic_store_n(ring.cons, cons, __ATOMIC_RELEASE);
	return cons != start_pos;
}

static void *consume(void *arg)
{
	struct epoll_event ev[2];
	int n, i, done = 0;

	if (writers < ncpus)
		pin(writers);
	/* Running on its own CPU before the writers start. */
	pthread_barrier_wait(&start);
	while (!done) {
		if (drain())
			continue;
		if (consumer == SPIN) {
			done = __atomic_load_n(&finished, __ATOMIC_ACQUIRE);
			continue;
		}
		n = epoll_wait(ring.epoll, ev, 2, -1);
		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		for (i = 0; i < n; i++)
			if (ev[i].data.fd == wake_fd)
				done = 1;
	}
	/* The writers have finished: everything is committed. */
	while (drain())
		;
	return NULL;
}

static int possible_cpus(void)
{
	int first, last;
	FILE *f = fopen("/sys/devices/system/cpu/possible", "r");

	if (!f)
		die("/sys/devices/system/cpu/possible");
	if (fscanf(f, "%d-%d", &first, &last) == 1)
		last = first;
	fclose(f);
	if (last + 1 > MAX_CPUS) {
		fprintf(stderr, "bpf_ringbuf_bench: more than %d CPUs\n", MAX_CPUS);
		exit(1);
	}
	return last + 1;
}

static void usage_exit(void)
{
	fprintf(stderr, "usage: bpf_ringbuf_bench output|reserve live|spin|lag WRITERS SIZE\n"
		"       RECORDS [RING [payload|lost]]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static struct writer w[MAX_CPUS];
	__u64 state[MAX_CPUS][STATE_SIZE / 8];
	long long written = 0, lost = 0, t0 = 0, end = 0, run_ns = 0;
	__u32 key = 0;
	union bpf_attr a;
	pthread_t reader;
	__u64 one = 1;
	int i, insns;

	if (argc < 6 || argc > 8)
		usage_exit();
	if (!strcmp(argv[1], "output"))
		mode = MODE_OUTPUT;
	else if (!strcmp(argv[1], "reserve"))
		mode = MODE_RESERVE;
	else
		usage_exit();
	for (consumer = SPIN; consumer > LAG; consumer--)
		if (!strcmp(argv[2], consumer_name[consumer]))
			break;
	if (strcmp(argv[2], consumer_name[consumer]))
		usage_exit();
	writers = atoi(argv[3]);
	size = atoi(argv[4]);
	records = atoll(argv[5]);
	if (argc > 6)
		ring_size = atol(argv[6]);
	if (argc > 7 && !strcmp(argv[7], "payload"))
		breakage = BREAK_PAYLOAD;
	else if (argc > 7 && !strcmp(argv[7], "lost"))
		breakage = BREAK_LOST;
	else if (argc > 7)
		usage_exit();
	ncpus = possible_cpus();
	if (writers < 1 || writers > ncpus || size < MIN_SIZE || size > MAX_SIZE ||
	    records < BATCH || records % BATCH || ring_size < sysconf(_SC_PAGESIZE) ||
	    (ring_size & (ring_size - 1)))
		usage_exit();

	insns = load();
	print_info(insns);
	map_ring();
	for (i = 0; i < writers; i++)
		writer_cpu[i] = 1;

	if (pthread_barrier_init(&start, NULL, consumer == LAG ? writers + 1 : writers + 2))
		die("pthread_barrier_init");
	if (consumer != LAG && pthread_create(&reader, NULL, consume, NULL))
		die("pthread_create consumer");
	for (i = 0; i < writers; i++) {
		w[i].cpu = i;
		if (pthread_create(&w[i].thread, NULL, write_records, &w[i]))
			die("pthread_create writer");
	}
	pthread_barrier_wait(&start);
	for (i = 0; i < writers; i++) {
		pthread_join(w[i].thread, NULL);
		if (w[i].err) {
			errno = w[i].err;
			die("BPF_PROG_TEST_RUN");
		}
		if (!i || w[i].start_ns < t0)
			t0 = w[i].start_ns;
		if (w[i].end_ns > end)
			end = w[i].end_ns;
		run_ns += w[i].run_ns;
	}
	if (consumer != LAG) {
		__atomic_store_n(&finished, 1, __ATOMIC_RELEASE);
		if (write(wake_fd, &one, sizeof(one)) != sizeof(one))
			die("eventfd write");
		pthread_join(reader, NULL);
	} else {
		while (drain())
			;
	}

	memset(&a, 0, sizeof(a));
	a.map_fd = state_fd;
	a.key = (unsigned long)&key;
	a.value = (unsigned long)state;
	if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &a))
		die("BPF_MAP_LOOKUP_ELEM");
	for (i = 0; i < ncpus; i++) {
		long long n = state[i][SEQ_OFF / 8], l = state[i][LOST_OFF / 8];

		if (!writer_cpu[i] && (n || seen[i]))
			fail("CPU %d wrote %lld records, read %lld, with no writer",
			     i, n, seen[i]);
		if (writer_cpu[i] && n != records)
			fail("CPU %d wrote %lld records, not %lld", i, n, records);
		/* Records lost after the last one read are gaps too. */
		if (seen[i])
			gaps[i] += n - (last_seq[i] + 1);
		else
			gaps[i] = n;
		if (seen[i] + l != n)
			fail("CPU %d: %lld read + %lld lost != %lld written",
			     i, seen[i], l, n);
		if (gaps[i] != l)
			fail("CPU %d: %lld missing from the sequence, %lld lost",
			     i, gaps[i], l);
		written += n;
		lost += l;
	}
	printf("bpfrb %s %s %d %d %ld %lld %lld %lld %lld %lld\n",
	       mode == MODE_OUTPUT ? "output" : "reserve", consumer_name[consumer],
	       writers, size, ring_size, written, consumed, lost, end - t0, run_ns / writers);
	return 0;
}
