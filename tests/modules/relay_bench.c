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
 */

#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/relay.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#ifndef BENCH_NAME
#define BENCH_NAME "relay_bench"
#endif

#define BENCH_MAX	4096

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

static int __init bench_init(void)
{
	floor_buf = __alloc_percpu(BENCH_MAX, SMP_CACHE_BYTES);
	if (!floor_buf)
		return -ENOMEM;
	dir = debugfs_create_dir(BENCH_NAME, NULL);
	debugfs_create_file("run", 0600, dir, NULL, &run_fops);
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
