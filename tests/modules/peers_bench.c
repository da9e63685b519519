// SPDX-License-Identifier: GPL-2.0
/*
 * The peers benchmark (scripts/bench, "Against the peers"): producer
 * kthreads shaped like the kernel's ring_buffer_benchmark.c (a loop of 50
 * writes, then a clock check, a wake-up of the consumer every 100 loops
 * and a cond_resched()), writing the same records into one of:
 *
 *   relay      a relay channel: rrelay when built as rrelay_peers (through
 *              <rrelay/relay.h>), the kernel's own relay when built as
 *              mainline_peers; drained from user space (tests/bench/
 *              peers_bench.c) by read, splice or mmap;
 *   rb         a private ftrace ring buffer (ring_buffer_alloc(), overwrite
 *              mode, as the benchmark allocates it), no consumer while the
 *              producers run;
 *   rb-kthread the same with the benchmark's in-kernel consumer kthread
 *              (ring_buffer_consume() over every CPU, woken by producers);
 *   event      a trace event (peers_trace.h), enabled by user space in a
 *              tracing instance and drained by splice of trace_pipe_raw.
 *
 * The ftrace targets exist in rrelay_peers only.  A record is SIZE bytes
 * (8..64): the writer's CPU and its sequence number, zero padded (the
 * benchmark reserves 10 bytes and stores its CPU).
 *
 * /sys/kernel/debug/<name>/ctl takes one request per write and reads back
 * the last result as one line:
 *   "open SUBBUF N_SUBBUFS"  open relay channel <name>_chan (debugfs root,
 *                            files cpuN) in no-overwrite mode
 *   "run TARGET WRITERS SIZE MS COUNT"
 *                            one producer on each of CPUs 0..WRITERS-1,
 *                            each writing until MS milliseconds passed or
 *                            it wrote COUNT records (0: no limit); returns
 *                            when all ended (a relay channel is flushed).
 *                            Reads "WRITTEN NS" for relay and event, and
 *                            "WRITTEN NS READ LOST" for rb targets (after
 *                            the ring buffer was drained in the kernel);
 *                            NS runs from the release of the producers to
 *                            the end of the last one.
 *   "close"                  close the relay channel
 */

#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/relay.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "bench_kthread.h"

#ifdef PEERS_FTRACE
#include <linux/ring_buffer.h>
#define CREATE_TRACE_POINTS
#include "peers_trace.h"
#endif

#ifndef PEERS_NAME
#define PEERS_NAME "rrelay_peers"
#endif

#define PEERS_WRITERS		8
#define PEERS_MAX_SIZE		64
/* The benchmark's write_iteration and wakeup_interval defaults. */
#define PEERS_BATCH		50
#define PEERS_WAKEUP		100

enum peers_target { T_RELAY, T_RB, T_RB_KTHREAD, T_EVENT };

struct peers_run {
	enum peers_target target;
	unsigned int size;
	u64 deadline;		/* ktime ns */
	u64 count;		/* per writer; 0: until the deadline */
	struct rchan *chan;
	struct trace_buffer *rb;
	struct task_struct *consumer;
	atomic_t waiting;	/* producers not yet at the start line */
	atomic_t running;	/* producers not yet done */
	int go;
	int finish;		/* producers done: the consumer drains and ends */
	atomic64_t written;
	atomic64_t read;
	int bad;		/* the consumer saw a record of a wrong CPU */
	u64 end;
	struct completion done;
	struct completion consumer_done;
};

static struct dentry *dir, *chan_dir;
static struct rchan *chan;
static DEFINE_MUTEX(peers_lock);
static char result[128];

static struct dentry *create_buf_file(const char *name, struct dentry *parent,
				      umode_t mode, struct rchan_buf *buf,
				      int *is_global)
{
#ifdef _RRELAY_RELAY_H
	/* No debugfs proxy: it forwards neither splice nor mmap. */
	return rrelay_create_buf_file(name, parent, mode, buf);
#else
	return debugfs_create_file(name, mode, parent, buf,
				   &relay_file_operations);
#endif
}

static int remove_buf_file(struct dentry *d)
{
	debugfs_remove(d);
	return 0;
}

/* No subbuf_start: relay's default, refuse writes while the buffer is full. */
static const struct rchan_callbacks peers_callbacks = {
	.create_buf_file = create_buf_file,
	.remove_buf_file = remove_buf_file,
};

/*
 * Writes n records numbered from *seq.  The target is chosen once per
 * batch, so that each transport's loop holds its own write call only.
 */
static void write_batch(struct peers_run *run, u8 *rec, u32 cpu, u64 *seq,
			unsigned int n)
{
	u32 s = *seq;
	unsigned int i;

	switch (run->target) {
	case T_RELAY:
		for (i = 0; i < n; i++, s++) {
			memcpy(rec + 4, &s, 4);
			relay_write(run->chan, rec, run->size);
		}
		break;
#ifdef PEERS_FTRACE
	case T_RB:
	case T_RB_KTHREAD:
		for (i = 0; i < n; i++, s++) {
			struct ring_buffer_event *event;

			memcpy(rec + 4, &s, 4);
			event = ring_buffer_lock_reserve(run->rb, run->size);
			if (event) {
				memcpy(ring_buffer_event_data(event), rec,
				       run->size);
				ring_buffer_unlock_commit(run->rb);
			}
		}
		break;
	case T_EVENT:
		for (i = 0; i < n; i++, s++)
			trace_peers_record(cpu, s);
		break;
#endif
	default:
		break;
	}
	*seq += n;
}

static int producer(void *arg)
{
	struct peers_run *run = arg;
	u8 rec[PEERS_MAX_SIZE] = {};
	u32 cpu = raw_smp_processor_id();
	u64 seq = 0, loops = 0;
	unsigned int n;

	memcpy(rec, &cpu, 4);
	atomic_dec(&run->waiting);
	while (!READ_ONCE(run->go))
		cond_resched();
	for (;;) {
		n = PEERS_BATCH;
		if (run->count && run->count - seq < n)
			n = run->count - seq;
		write_batch(run, rec, cpu, &seq, n);
		if (run->count ? seq == run->count :
		    ktime_get_ns() >= run->deadline)
			break;
		if (run->consumer && !(++loops % PEERS_WAKEUP))
			wake_up_process(run->consumer);
		cond_resched();
	}
	atomic64_add(seq, &run->written);
	if (atomic_dec_and_test(&run->running)) {
		run->end = ktime_get_ns();
		complete(&run->done);
	}
	bench_wait_for_stop();
	return 0;
}

#ifdef PEERS_FTRACE
/* Everything the ring buffer holds, checked as the benchmark checks it. */
static bool drain_rb(struct peers_run *run)
{
	struct ring_buffer_event *event;
	bool found = false;
	u32 rec_cpu;
	int cpu;
	u64 ts;

	for_each_online_cpu(cpu) {
		while ((event = ring_buffer_consume(run->rb, cpu, &ts, NULL))) {
			memcpy(&rec_cpu, ring_buffer_event_data(event), 4);
			if (rec_cpu != cpu)
				WRITE_ONCE(run->bad, 1);
			atomic64_inc(&run->read);
			found = true;
		}
	}
	return found;
}

/* The benchmark's consumer: drain, sleep until a producer wakes it. */
static int rb_consumer(void *arg)
{
	struct peers_run *run = arg;

	for (;;) {
		while (drain_rb(run))
			;
		set_current_state(TASK_INTERRUPTIBLE);
		if (READ_ONCE(run->finish))
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	drain_rb(run);
	complete(&run->consumer_done);
	bench_wait_for_stop();
	return 0;
}
#endif

static int start_consumer(struct peers_run *run)
{
#ifdef PEERS_FTRACE
	if (run->target == T_RB || run->target == T_RB_KTHREAD) {
		/* The benchmark's buffer: a million bytes per CPU, overwrite. */
		run->rb = ring_buffer_alloc(1000000, RB_FL_OVERWRITE);
		if (!run->rb)
			return -ENOMEM;
	}
	if (run->target == T_RB_KTHREAD) {
		run->consumer = kthread_run(rb_consumer, run, "peers_consumer");
		if (IS_ERR(run->consumer)) {
			int ret = PTR_ERR(run->consumer);

			run->consumer = NULL;
			ring_buffer_free(run->rb);
			return ret;
		}
	}
#endif
	return 0;
}

static void stop_consumer(struct peers_run *run)
{
#ifdef PEERS_FTRACE
	if (run->consumer) {
		WRITE_ONCE(run->finish, 1);
		wake_up_process(run->consumer);
		wait_for_completion(&run->consumer_done);
		kthread_stop(run->consumer);
	} else if (run->rb) {
		drain_rb(run);
	}
	if (run->rb)
		ring_buffer_free(run->rb);
#endif
}

static int peers_run(enum peers_target target, unsigned int writers,
		     unsigned int size, unsigned int ms, u64 count)
{
	struct task_struct *tasks[PEERS_WRITERS];
	struct peers_run *run;
	unsigned int t, started = 0;
	int ret;
	u64 t0;

	if (!writers || writers > PEERS_WRITERS ||
	    writers > num_online_cpus() || size < 8 || size > PEERS_MAX_SIZE ||
	    (!ms && !count))
		return -EINVAL;
	if (target == T_RELAY && !chan)
		return -ENOENT;
	run = kzalloc_obj(*run);
	if (!run)
		return -ENOMEM;
	run->target = target;
	run->size = size;
	run->count = count;
	run->chan = chan;
	atomic_set(&run->waiting, writers);
	atomic_set(&run->running, writers);
	init_completion(&run->done);
	init_completion(&run->consumer_done);
	ret = start_consumer(run);
	if (ret)
		goto out;
	for (t = 0; t < writers; t++) {
		tasks[t] = kthread_run_on_cpu(producer, run, t, "peers/%u");
		if (IS_ERR(tasks[t])) {
			ret = PTR_ERR(tasks[t]);
			break;
		}
		started++;
	}
	if (ret) {
		/* Let the started ones through; they end on their own. */
		atomic_sub(writers - started, &run->running);
		run->deadline = 0;
		run->count = 1;
		WRITE_ONCE(run->go, 1);
		if (started)
			wait_for_completion(&run->done);
		goto stop;
	}
	while (atomic_read(&run->waiting))
		schedule();
	t0 = ktime_get_ns();
	run->deadline = t0 + (u64)ms * NSEC_PER_MSEC;
	/* The deadline before the release: producers read it after go. */
	smp_store_release(&run->go, 1);
	wait_for_completion(&run->done);
	if (target == T_RELAY)
		relay_flush(chan);
	if (target == T_RB || target == T_RB_KTHREAD)
		stop_consumer(run);
	if (run->bad)
		ret = -EIO;
	else if (target == T_RB || target == T_RB_KTHREAD)
		snprintf(result, sizeof(result), "%llu %llu %llu %llu\n",
			 atomic64_read(&run->written), run->end - t0,
			 atomic64_read(&run->read),
			 atomic64_read(&run->written) -
			 atomic64_read(&run->read));
	else
		snprintf(result, sizeof(result), "%llu %llu\n",
			 atomic64_read(&run->written), run->end - t0);
	for (t = 0; t < started; t++)
		kthread_stop(tasks[t]);
	kfree(run);
	return ret;
stop:
	for (t = 0; t < started; t++)
		kthread_stop(tasks[t]);
	stop_consumer(run);
out:
	kfree(run);
	return ret;
}

static int parse_target(const char *name, enum peers_target *target)
{
	static const char *const names[] = {
		[T_RELAY] = "relay", [T_RB] = "rb",
		[T_RB_KTHREAD] = "rb-kthread", [T_EVENT] = "event",
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (!strcmp(name, names[i])) {
			*target = i;
			break;
		}
	}
	if (i == ARRAY_SIZE(names))
		return -EINVAL;
#ifndef PEERS_FTRACE
	if (*target != T_RELAY)
		return -EOPNOTSUPP;
#endif
	return 0;
}

static int peers_request(char *req)
{
	unsigned int writers, size, ms;
	enum peers_target target;
	size_t subbuf, nsub;
	char name[16];
	u64 count;
	int ret;

	if (sscanf(req, "open %zu %zu", &subbuf, &nsub) == 2) {
		if (chan)
			return -EBUSY;
		chan = relay_open("cpu", chan_dir, subbuf, nsub,
				  &peers_callbacks, NULL);
		return chan ? 0 : -EINVAL;
	}
	if (sscanf(req, "run %15s %u %u %u %llu", name, &writers, &size, &ms,
		   &count) == 5) {
		ret = parse_target(name, &target);
		return ret ? ret : peers_run(target, writers, size, ms, count);
	}
	if (sysfs_streq(req, "close")) {
		if (!chan)
			return -ENOENT;
		relay_close(chan);
		chan = NULL;
		return 0;
	}
	return -EINVAL;
}

static ssize_t ctl_write(struct file *f, const char __user *ubuf, size_t len,
			 loff_t *ppos)
{
	char req[64];
	int ret;

	if (!len || len >= sizeof(req))
		return -EINVAL;
	if (copy_from_user(req, ubuf, len))
		return -EFAULT;
	req[len] = '\0';
	mutex_lock(&peers_lock);
	result[0] = '\0';
	ret = peers_request(req);
	mutex_unlock(&peers_lock);
	return ret ? ret : len;
}

static ssize_t ctl_read(struct file *f, char __user *ubuf, size_t len,
			loff_t *ppos)
{
	ssize_t ret;

	mutex_lock(&peers_lock);
	ret = simple_read_from_buffer(ubuf, len, ppos, result, strlen(result));
	mutex_unlock(&peers_lock);
	return ret;
}

static const struct file_operations ctl_fops = {
	.owner = THIS_MODULE,
	.write = ctl_write,
	.read = ctl_read,
};

static int __init peers_init(void)
{
	dir = debugfs_create_dir(PEERS_NAME, NULL);
	chan_dir = debugfs_create_dir(PEERS_NAME "_chan", NULL);
	debugfs_create_file("ctl", 0600, dir, NULL, &ctl_fops);
	return 0;
}

static void __exit peers_exit(void)
{
	if (chan)
		relay_close(chan);
	debugfs_remove(dir);
	debugfs_remove(chan_dir);
}

module_init(peers_init);
module_exit(peers_exit);
MODULE_DESCRIPTION("relay beside the ftrace ring buffer, producers shaped like ring_buffer_benchmark");
MODULE_LICENSE("GPL");
