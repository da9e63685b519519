// SPDX-License-Identifier: GPL-2.0
/*
 * A relay client that writes from every context at once, for the stress
 * test (tests/selftests/stress.c).  While started, on every CPU online at
 * start:
 *
 *   process  an unbound kthread (it may run anywhere, and moves when its
 *            CPU goes offline) writing bursts with relay_write()
 *   softirq  a pinned timer writing a burst every jiffy
 *   hardirq  a pinned hard hrtimer writing a burst every 100 us, half of
 *            it with relay_reserve() + fill, interrupts being off
 *
 * Every record is a struct client_record whose cpu field names its source
 * (the CPU it was started for) and ctx field its context; each source
 * numbers its records from 0.  A source keeps writing when hotplug moves
 * it to another CPU, so records are accounted per source, not per buffer:
 * every record a source emitted must be read exactly once, or dropped and
 * counted in relay_stats(RELAY_STATS_BUF_FULL).
 *
 * /sys/kernel/debug/stress_client/
 *   cpu0..cpuN  buffer files, with relay's own file operations
 *   ctl         write "start", "stop", or "buffer_only" (a channel with no
 *               files: written, checked from here, closed)
 *   stats       emitted, full, big, sources; buffer_only: ok|failed
 */

#include <linux/cpu.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/relay.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/timer.h>
#include "client_record.h"

static unsigned int subbuf_size = 4096;
module_param(subbuf_size, uint, 0444);
MODULE_PARM_DESC(subbuf_size, "sub-buffer size");
static unsigned int n_subbufs = 8;
module_param(n_subbufs, uint, 0444);
MODULE_PARM_DESC(n_subbufs, "sub-buffers per buffer");
static bool overwrite;
module_param(overwrite, bool, 0444);
MODULE_PARM_DESC(overwrite, "overwrite the oldest data when full");
static bool callback;
module_param(callback, bool, 0444);
MODULE_PARM_DESC(callback, "no-overwrite decided by a subbuf_start callback returning !relay_buf_full(buf), instead of relay's default");
static unsigned int record_size = 64;
module_param(record_size, uint, 0444);
MODULE_PARM_DESC(record_size, "bytes per record");

enum { CTX_PROCESS, CTX_SOFTIRQ, CTX_HARDIRQ, NR_CTX };

/* One writer: its records, its sequence, where it runs from. */
struct source {
	struct rchan *chan;
	u32 id, ctx, seq;
	u8 rec[CLIENT_RECORD_MAX];
	struct task_struct *task;
	struct timer_list timer;
	struct hrtimer hrtimer;
};

static struct dentry *dir;
static struct rchan *chan;
static DEFINE_MUTEX(ctl_lock);
static struct source *sources[NR_CTX][NR_CPUS];
static unsigned int nr_sources;
static atomic_long_t emitted;
static bool running;
static const char *buffer_only_result = "not run";

static void emit(struct source *s, unsigned int count, bool reserve)
{
	struct client_record *r = (void *)s->rec;
	unsigned long flags;
	unsigned int i;
	void *slot;

	for (i = 0; i < count; i++) {
		client_record_fill(r, s->id, s->seq++, record_size, s->ctx);
		if (reserve && i % 2) {
			local_irq_save(flags);
			slot = relay_reserve(s->chan, record_size);
			if (slot)
				memcpy(slot, r, record_size);
			local_irq_restore(flags);
		} else {
			relay_write(s->chan, r, record_size);
		}
	}
	atomic_long_add(count, &emitted);
}

static int process_writer(void *arg)
{
	struct source *s = arg;

	while (!kthread_should_stop()) {
		emit(s, 16, false);
		usleep_range(50, 150);
	}
	return 0;
}

static void softirq_writer(struct timer_list *t)
{
	struct source *s = timer_container_of(s, t, timer);

	emit(s, 8, false);
	if (READ_ONCE(running))
		mod_timer(t, jiffies + 1);
}

static enum hrtimer_restart hardirq_writer(struct hrtimer *t)
{
	struct source *s = container_of(t, struct source, hrtimer);

	emit(s, 4, true);
	if (!READ_ONCE(running))
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, ns_to_ktime(100 * NSEC_PER_USEC));
	return HRTIMER_RESTART;
}

static void start_hrtimer_here(void *arg)
{
	struct source *s = arg;

	hrtimer_start(&s->hrtimer, ns_to_ktime(100 * NSEC_PER_USEC),
		      HRTIMER_MODE_REL_PINNED_HARD);
}

static void stop_sources(void)
{
	struct source *s;
	int ctx, cpu;

	WRITE_ONCE(running, false);
	for (ctx = 0; ctx < NR_CTX; ctx++) {
		for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
			s = sources[ctx][cpu];
			if (!s)
				continue;
			if (ctx == CTX_PROCESS)
				kthread_stop(s->task);
			else if (ctx == CTX_SOFTIRQ)
				timer_shutdown_sync(&s->timer);
			else
				hrtimer_cancel(&s->hrtimer);
			kfree(s);
			sources[ctx][cpu] = NULL;
		}
	}
	nr_sources = 0;
}

static int start_sources(void)
{
	struct source *s;
	int ctx, cpu;

	if (READ_ONCE(running))
		return -EBUSY;
	atomic_long_set(&emitted, 0);
	WRITE_ONCE(running, true);
	cpus_read_lock();
	for_each_online_cpu(cpu) {
		for (ctx = 0; ctx < NR_CTX; ctx++) {
			s = kzalloc_obj(*s);
			if (!s)
				goto fail;
			s->chan = chan;
			s->id = cpu;
			s->ctx = ctx;
			if (ctx == CTX_PROCESS) {
				s->task = kthread_run(process_writer, s, "stress/%d", cpu);
				if (IS_ERR(s->task)) {
					kfree(s);
					goto fail;
				}
			} else if (ctx == CTX_SOFTIRQ) {
				timer_setup(&s->timer, softirq_writer, TIMER_PINNED);
				s->timer.expires = jiffies + 1;
				add_timer_on(&s->timer, cpu);
			} else {
				hrtimer_setup(&s->hrtimer, hardirq_writer, CLOCK_MONOTONIC,
					      HRTIMER_MODE_REL_PINNED_HARD);
				/* Pinned to the CPU it is started on: start it there. */
				smp_call_function_single(cpu, start_hrtimer_here, s, 1);
			}
			sources[ctx][cpu] = s;
			nr_sources++;
		}
	}
	cpus_read_unlock();
	return 0;
fail:
	cpus_read_unlock();
	stop_sources();
	return -ENOMEM;
}

static struct dentry *create_buf_file(const char *filename,
				      struct dentry *parent, umode_t mode,
				      struct rchan_buf *buf, int *is_global)
{
	return rrelay_create_buf_file(filename, parent, mode, buf);
}

static int remove_buf_file(struct dentry *dentry)
{
	debugfs_remove(dentry);
	return 0;
}

static int subbuf_start_overwrite(struct rchan_buf *buf, void *subbuf,
				  void *prev_subbuf)
{
	return 1;
}

/* The most common client policy: stop when full, asked in the callback. */
static int subbuf_start_unless_full(struct rchan_buf *buf, void *subbuf,
				    void *prev_subbuf)
{
	return !relay_buf_full(buf);
}

static const struct rchan_callbacks cb_unless_full = {
	.subbuf_start		= subbuf_start_unless_full,
	.create_buf_file	= create_buf_file,
	.remove_buf_file	= remove_buf_file,
};

static const struct rchan_callbacks cb_drop = {
	.create_buf_file	= create_buf_file,
	.remove_buf_file	= remove_buf_file,
};

static const struct rchan_callbacks cb_overwrite = {
	.subbuf_start		= subbuf_start_overwrite,
	.create_buf_file	= create_buf_file,
	.remove_buf_file	= remove_buf_file,
};

static atomic_t buffer_only_creates;

static struct dentry *count_create(const char *filename, struct dentry *parent,
				   umode_t mode, struct rchan_buf *buf,
				   int *is_global)
{
	atomic_inc(&buffer_only_creates);
	return NULL;
}

static const struct rchan_callbacks cb_buffer_only = {
	.create_buf_file	= count_create,
	.remove_buf_file	= remove_buf_file,
};

/*
 * A channel with no base name: no files, so create_buf_file must never be
 * called (mainline calls it with a NULL name).  Every online CPU has a
 * buffer, and writes land in the writer's: two full sub-buffers of
 * 64-byte records and one more record in the third.
 */
static const char *buffer_only(void)
{
	unsigned int cpu, i, n = 2 * (4096 / 64) + 1;
	struct client_record *r;
	const char *ret = "ok";
	struct rchan_buf *buf;
	struct rchan *c;

	r = kmalloc(64, GFP_KERNEL);
	if (!r)
		return "no memory";
	atomic_set(&buffer_only_creates, 0);
	c = relay_open(NULL, NULL, 4096, 4, &cb_buffer_only, NULL);
	if (!c) {
		kfree(r);
		return "relay_open failed";
	}
	cpus_read_lock();
	for_each_online_cpu(cpu) {
		buf = *per_cpu_ptr(c->buf, cpu);
		if (!buf || buf->dentry)
			ret = "a buffer missing, or with a file";
	}
	cpus_read_unlock();
	preempt_disable();
	for (i = 0; i < n; i++) {
		client_record_fill(r, 0, i, 64, CTX_PROCESS);
		__relay_write(c, r, 64);
	}
	buf = *this_cpu_ptr(c->buf);
	if (buf->subbufs_produced != 2 || buf->offset != 64 || memcmp(buf->data, r, 64))
		ret = "the records are not where they were written";
	preempt_enable();
	if (atomic_read(&buffer_only_creates))
		ret = "create_buf_file was called";
	relay_close(c);
	kfree(r);
	return ret;
}

static ssize_t ctl_write(struct file *file, const char __user *ubuf,
			 size_t len, loff_t *ppos)
{
	char kbuf[32];
	int ret = 0;

	if (len >= sizeof(kbuf))
		return -EINVAL;
	if (copy_from_user(kbuf, ubuf, len))
		return -EFAULT;
	kbuf[len] = '\0';
	strim(kbuf);
	mutex_lock(&ctl_lock);
	if (!strcmp(kbuf, "start"))
		ret = start_sources();
	else if (!strcmp(kbuf, "stop"))
		stop_sources();
	else if (!strcmp(kbuf, "buffer_only"))
		buffer_only_result = buffer_only();
	else
		ret = -EINVAL;
	mutex_unlock(&ctl_lock);
	return ret ? ret : len;
}

static int stats_show(struct seq_file *m, void *v)
{
	seq_printf(m, "emitted %ld\n", atomic_long_read(&emitted));
	seq_printf(m, "full %zu\n", relay_stats(chan, RELAY_STATS_BUF_FULL));
	seq_printf(m, "big %zu\n", relay_stats(chan, RELAY_STATS_WRT_BIG));
	seq_printf(m, "sources %u\n", nr_sources);
	seq_printf(m, "buffer_only %s\n", buffer_only_result);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(stats);

static const struct file_operations ctl_fops = {
	.owner = THIS_MODULE,
	.write = ctl_write,
};

static int __init stress_client_init(void)
{
	if (record_size < sizeof(struct client_record) ||
	    record_size > CLIENT_RECORD_MAX)
		return -EINVAL;
	dir = debugfs_create_dir("stress_client", NULL);
	chan = relay_open("cpu", dir, subbuf_size, n_subbufs,
			  overwrite ? &cb_overwrite :
			  callback ? &cb_unless_full : &cb_drop, NULL);
	if (!chan) {
		debugfs_remove(dir);
		return -EINVAL;
	}
	debugfs_create_file("ctl", 0200, dir, NULL, &ctl_fops);
	debugfs_create_file("stats", 0400, dir, NULL, &stats_fops);
	return 0;
}

static void __exit stress_client_exit(void)
{
	debugfs_lookup_and_remove("ctl", dir);
	mutex_lock(&ctl_lock);
	stop_sources();
	mutex_unlock(&ctl_lock);
	relay_close(chan);
	debugfs_remove(dir);
}

module_init(stress_client_init);
module_exit(stress_client_exit);
MODULE_DESCRIPTION("relay client writing from every context at once (stress test)");
MODULE_LICENSE("GPL");
