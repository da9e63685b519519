// SPDX-License-Identifier: GPL-2.0
/*
 * Write-path cost of a relay: the same code measures mainline's relay
 * (built as mainline_bench) and rrelay (built as relay_bench, through
 * <rrelay/relay.h>) in one boot of the bench kernel, beside a floor that
 * does what any write must: interrupts saved and restored around a memcpy
 * into a per-CPU buffer.
 *
 * /sys/kernel/debug/<name>/run: write "SIZE COUNT SUBBUF_SIZE N_SUBBUFS",
 * then read back one line:
 *   SIZE COUNT SUBBUF relay_write __relay_write reserve+fill floor
 * each in nanoseconds per write (guest instructions under QEMU's
 * -icount shift=0).  The channel is in overwrite mode, so no write is
 * dropped and every sub-buffer switch is taken.
 *
 * Three more files, each written with a request and read back as one line:
 *   full  "SIZE COUNT SUBBUF N_SUBBUFS": a channel in no-overwrite mode
 *         (no subbuf_start), filled until the writer stops, then COUNT
 *         refused writes; reads "SIZE COUNT SUBBUF relay_write
 *         reserve+fill" in ns per refused write.
 *   chans "NCHAN SIZE COUNT SUBBUF N_SUBBUFS": NCHAN channels open, COUNT
 *         relay_write calls spread over them in turn; reads "NCHAN SIZE
 *         COUNT SUBBUF ns-per-write".
 *   scale "NTHREADS SIZE COUNT SUBBUF N_SUBBUFS": one writer kthread bound
 *         to each of CPUs 0..NTHREADS-1, each making COUNT relay_write
 *         calls into its own CPU's buffer, all released at once; reads
 *         "NTHREADS SIZE COUNT SUBBUF total-ns" from the release to the
 *         last writer's end.
 */

#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/relay.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "bench_kthread.h"

#ifndef BENCH_NAME
#define BENCH_NAME "relay_bench"
#endif

#define BENCH_MAX	4096
#define BENCH_CHANS	64
#define BENCH_THREADS	8

static struct dentry *dir;
static DEFINE_MUTEX(bench_lock);
static char result[256];
static u8 __percpu *floor_buf;	/* dynamic: modules' static per-CPU room is small */

static int always(struct rchan_buf *buf, void *subbuf, void *prev)
{
	return 1;
}

static struct dentry *create_file(const char *name, struct dentry *parent,
				  umode_t mode, struct rchan_buf *buf,
				  int *is_global)
{
	return debugfs_create_file(name, mode, parent, buf,
				   &relay_file_operations);
}

static int remove_file(struct dentry *d)
{
	debugfs_remove(d);
	return 0;
}

static const struct rchan_callbacks cb = {
	.subbuf_start = always,
	.create_buf_file = create_file,
	.remove_buf_file = remove_file,
};

/* No subbuf_start: relay's default, stop when every sub-buffer is full. */
static const struct rchan_callbacks cb_stop = {
	.create_buf_file = create_file,
	.remove_buf_file = remove_file,
};

static u64 per_op(u64 t0, u64 t1, unsigned int count)
{
	return div_u64(t1 - t0, count);
}

static int measure(unsigned int size, unsigned int count, size_t subbuf,
		   size_t nsub)
{
	u64 t0, t1, w, uw, rs, fl;
	unsigned long flags;
	struct rchan *chan;
	unsigned int i;
	u8 *rec;

	rec = kzalloc(size, GFP_KERNEL);
	if (!rec)
		return -ENOMEM;
	chan = relay_open("b", dir, subbuf, nsub, &cb, NULL);
	if (!chan) {
		kfree(rec);
		return -EINVAL;
	}

	preempt_disable();
	t0 = ktime_get_ns();
	for (i = 0; i < count; i++)
		relay_write(chan, rec, size);
	t1 = ktime_get_ns();
	w = per_op(t0, t1, count);

	t0 = ktime_get_ns();
	for (i = 0; i < count; i++) {
		local_irq_save(flags);
		__relay_write(chan, rec, size);
		local_irq_restore(flags);
	}
	t1 = ktime_get_ns();
	uw = per_op(t0, t1, count);

	t0 = ktime_get_ns();
	for (i = 0; i < count; i++) {
		void *slot;

		local_irq_save(flags);
		slot = relay_reserve(chan, size);
		if (slot)
			memcpy(slot, rec, size);
		local_irq_restore(flags);
	}
	t1 = ktime_get_ns();
	rs = per_op(t0, t1, count);

	t0 = ktime_get_ns();
	for (i = 0; i < count; i++) {
		local_irq_save(flags);
		memcpy(this_cpu_ptr(floor_buf), rec, size);
		barrier();
		local_irq_restore(flags);
	}
	t1 = ktime_get_ns();
	fl = per_op(t0, t1, count);
	preempt_enable();

	relay_close(chan);
	kfree(rec);
	snprintf(result, sizeof(result), "%u %u %zu %llu %llu %llu %llu\n",
		 size, count, subbuf, w, uw, rs, fl);
	return 0;
}

/* Cost of a write refused because the buffer is full (no-overwrite). */
static int measure_full(unsigned int size, unsigned int count, size_t subbuf,
			size_t nsub)
{
	u64 t0, t1, w, rs;
	unsigned long flags;
	struct rchan *chan;
	unsigned int i;
	size_t fill;
	u8 *rec;

	rec = kzalloc(size, GFP_KERNEL);
	if (!rec)
		return -ENOMEM;
	chan = relay_open("f", dir, subbuf, nsub, &cb_stop, NULL);
	if (!chan) {
		kfree(rec);
		return -EINVAL;
	}

	preempt_disable();
	/* Enough records to fill every sub-buffer and be refused once. */
	fill = (nsub + 1) * (subbuf / size + 1);
	for (i = 0; i < fill; i++)
		relay_write(chan, rec, size);

	t0 = ktime_get_ns();
	for (i = 0; i < count; i++)
		relay_write(chan, rec, size);
	t1 = ktime_get_ns();
	w = per_op(t0, t1, count);

	t0 = ktime_get_ns();
	for (i = 0; i < count; i++) {
		void *slot;

		local_irq_save(flags);
		slot = relay_reserve(chan, size);
		if (slot)
			memcpy(slot, rec, size);
		local_irq_restore(flags);
	}
	t1 = ktime_get_ns();
	rs = per_op(t0, t1, count);
	preempt_enable();

	relay_close(chan);
	kfree(rec);
	snprintf(result, sizeof(result), "%u %u %zu %llu %llu\n",
		 size, count, subbuf, w, rs);
	return 0;
}

/* Per-write cost with NCHAN channels open, written in turn. */
static int measure_chans(unsigned int nchan, unsigned int size,
			 unsigned int count, size_t subbuf, size_t nsub)
{
	struct rchan *chans[BENCH_CHANS];
	unsigned int i, c, opened;
	char name[8];
	int ret = 0;
	u64 t0, t1;
	u8 *rec;

	rec = kzalloc(size, GFP_KERNEL);
	if (!rec)
		return -ENOMEM;
	for (opened = 0; opened < nchan; opened++) {
		snprintf(name, sizeof(name), "c%u_", opened);
		chans[opened] = relay_open(name, dir, subbuf, nsub, &cb, NULL);
		if (!chans[opened]) {
			ret = -ENOMEM;
			goto out;
		}
	}

	preempt_disable();
	t0 = ktime_get_ns();
	for (i = 0, c = 0; i < count; i++) {
		relay_write(chans[c], rec, size);
		if (++c == nchan)
			c = 0;
	}
	t1 = ktime_get_ns();
	preempt_enable();
	snprintf(result, sizeof(result), "%u %u %u %zu %llu\n",
		 nchan, size, count, subbuf, per_op(t0, t1, count));
out:
	while (opened--)
		relay_close(chans[opened]);
	kfree(rec);
	return ret;
}

/* Writers released together on several CPUs (scale). */
struct scale_run {
	struct rchan *chan;
	const u8 *rec;
	unsigned int size, count;
	atomic_t waiting;	/* writers not yet at the start line */
	atomic_t running;	/* writers not yet done */
	int go;
	u64 end;
	struct completion done;
};

static int scale_writer(void *arg)
{
	struct scale_run *run = arg;
	unsigned int i;

	atomic_dec(&run->waiting);
	/* Yield while waiting: the releasing thread may share this CPU. */
	while (!READ_ONCE(run->go))
		cond_resched();
	for (i = 0; i < run->count; i++)
		relay_write(run->chan, run->rec, run->size);
	if (atomic_dec_and_test(&run->running)) {
		run->end = ktime_get_ns();
		complete(&run->done);
	}
	bench_wait_for_stop();
	return 0;
}

static int measure_scale(unsigned int nthreads, unsigned int size,
			 unsigned int count, size_t subbuf, size_t nsub)
{
	struct task_struct *tasks[BENCH_THREADS];
	struct scale_run run = {};
	unsigned int t, started = 0;
	int ret = 0;
	u64 t0;
	u8 *rec;

	if (!nthreads || nthreads > BENCH_THREADS ||
	    nthreads > num_online_cpus())
		return -EINVAL;
	rec = kzalloc(size, GFP_KERNEL);
	if (!rec)
		return -ENOMEM;
	run.chan = relay_open("s", dir, subbuf, nsub, &cb, NULL);
	if (!run.chan) {
		kfree(rec);
		return -EINVAL;
	}
	run.rec = rec;
	run.size = size;
	run.count = count;
	atomic_set(&run.waiting, nthreads);
	atomic_set(&run.running, nthreads);
	init_completion(&run.done);
	for (t = 0; t < nthreads; t++) {
		tasks[t] = kthread_run_on_cpu(scale_writer, &run, t, "rbench/%u");
		if (IS_ERR(tasks[t])) {
			ret = PTR_ERR(tasks[t]);
			break;
		}
		started++;
	}
	if (ret) {
		/* Let the started ones through; they end on their own. */
		atomic_sub(nthreads - started, &run.running);
		WRITE_ONCE(run.go, 1);
		if (started)
			wait_for_completion(&run.done);
		goto out;
	}
	while (atomic_read(&run.waiting))
		schedule();
	t0 = ktime_get_ns();
	WRITE_ONCE(run.go, 1);
	wait_for_completion(&run.done);
	snprintf(result, sizeof(result), "%u %u %u %zu %llu\n",
		 nthreads, size, count, subbuf, run.end - t0);
out:
	for (t = 0; t < started; t++)
		kthread_stop(tasks[t]);
	relay_close(run.chan);
	kfree(rec);
	return ret;
}

/* Reads a request of exactly n numbers from user space. */
static int parse_request(const char __user *ubuf, size_t len,
			 unsigned long *v, int n)
{
	char kbuf[64];
	int got;

	if (len >= sizeof(kbuf))
		return -EINVAL;
	if (copy_from_user(kbuf, ubuf, len))
		return -EFAULT;
	kbuf[len] = '\0';
	got = sscanf(kbuf, "%lu %lu %lu %lu %lu", &v[0], &v[1], &v[2], &v[3],
		     &v[4]);
	return got == n ? 0 : -EINVAL;
}

static bool bad_size(unsigned long size, unsigned long count,
		     unsigned long subbuf)
{
	return !size || size > BENCH_MAX || !count || count > UINT_MAX ||
	       size > subbuf;
}

static ssize_t full_write(struct file *f, const char __user *ubuf,
			  size_t len, loff_t *ppos)
{
	unsigned long v[5];
	int ret;

	ret = parse_request(ubuf, len, v, 4);
	if (ret)
		return ret;
	if (bad_size(v[0], v[1], v[2]))
		return -EINVAL;
	mutex_lock(&bench_lock);
	ret = measure_full(v[0], v[1], v[2], v[3]);
	mutex_unlock(&bench_lock);
	return ret ? ret : len;
}

static ssize_t chans_write(struct file *f, const char __user *ubuf,
			   size_t len, loff_t *ppos)
{
	unsigned long v[5];
	int ret;

	ret = parse_request(ubuf, len, v, 5);
	if (ret)
		return ret;
	if (!v[0] || v[0] > BENCH_CHANS || bad_size(v[1], v[2], v[3]))
		return -EINVAL;
	mutex_lock(&bench_lock);
	ret = measure_chans(v[0], v[1], v[2], v[3], v[4]);
	mutex_unlock(&bench_lock);
	return ret ? ret : len;
}

static ssize_t scale_write(struct file *f, const char __user *ubuf,
			   size_t len, loff_t *ppos)
{
	unsigned long v[5];
	int ret;

	ret = parse_request(ubuf, len, v, 5);
	if (ret)
		return ret;
	if (bad_size(v[1], v[2], v[3]))
		return -EINVAL;
	mutex_lock(&bench_lock);
	ret = measure_scale(v[0], v[1], v[2], v[3], v[4]);
	mutex_unlock(&bench_lock);
	return ret ? ret : len;
}

static ssize_t run_write(struct file *f, const char __user *ubuf, size_t len,
			 loff_t *ppos)
{
	unsigned int size, count;
	size_t subbuf, nsub;
	char kbuf[64];
	int ret;

	if (len >= sizeof(kbuf))
		return -EINVAL;
	if (copy_from_user(kbuf, ubuf, len))
		return -EFAULT;
	kbuf[len] = '\0';
	if (sscanf(kbuf, "%u %u %zu %zu", &size, &count, &subbuf, &nsub) != 4)
		return -EINVAL;
	if (!size || size > BENCH_MAX || !count || size > subbuf)
		return -EINVAL;
	mutex_lock(&bench_lock);
	ret = measure(size, count, subbuf, nsub);
	mutex_unlock(&bench_lock);
	return ret ? ret : len;
}

static ssize_t run_read(struct file *f, char __user *ubuf, size_t len,
			loff_t *ppos)
{
	return simple_read_from_buffer(ubuf, len, ppos, result, strlen(result));
}

static const struct file_operations run_fops = {
	.owner = THIS_MODULE,
	.write = run_write,
	.read = run_read,
};

static const struct file_operations full_fops = {
	.owner = THIS_MODULE,
	.write = full_write,
	.read = run_read,
};

static const struct file_operations chans_fops = {
	.owner = THIS_MODULE,
	.write = chans_write,
	.read = run_read,
};

static const struct file_operations scale_fops = {
	.owner = THIS_MODULE,
	.write = scale_write,
	.read = run_read,
};

static int __init bench_init(void)
{
	floor_buf = __alloc_percpu(BENCH_MAX, SMP_CACHE_BYTES);
	if (!floor_buf)
		return -ENOMEM;
	dir = debugfs_create_dir(BENCH_NAME, NULL);
	debugfs_create_file("run", 0600, dir, NULL, &run_fops);
	debugfs_create_file("full", 0600, dir, NULL, &full_fops);
	debugfs_create_file("chans", 0600, dir, NULL, &chans_fops);
	debugfs_create_file("scale", 0600, dir, NULL, &scale_fops);
	return 0;
}

static void __exit bench_exit(void)
{
	debugfs_remove(dir);
	free_percpu(floor_buf);
}

module_init(bench_init);
module_exit(bench_exit);
MODULE_DESCRIPTION("relay write-path cost, built for rrelay and for mainline relay");
MODULE_LICENSE("GPL");
