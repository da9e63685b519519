// SPDX-License-Identifier: GPL-2.0
/*
 * A relay client written against the stock <linux/relay.h> only, as
 * Documentation/filesystems/relay.rst describes one.  It opens a channel at
 * load and offers debugfs knobs so that tests can make it log records from
 * a chosen CPU and context, and look at what relay counted.
 *
 * /sys/kernel/debug/relay_client/
 *   cpu0..cpuN  buffer files (created with debugfs_create_file, as mainline
 *               clients do)
 *   emit        write "CPU COUNT SIZE CTX": log COUNT records of SIZE bytes
 *               on CPU from CTX (0 process, 1 softirq, 2 hardirq)
 *   ctl         write "flush", "reset", "close", "freeze" (overwrite: refuse
 *               every switch from now on), "invalid_open", or
 *               "half_switch CPU" (see half_switch())
 *   stats       read: full, big, emitted, invalid_open results
 *
 * Every record starts with struct client_record: the CPU, a per-CPU
 * sequence number, the length, and a checksum of the payload, so the
 * reader can tell a record intact and in order, and see any padding.
 */

#include <linux/debugfs.h>
#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/relay.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/timer.h>
#include <linux/workqueue.h>
#include "client_record.h"

/* mainline_client.c builds this file again under another name. */
#ifndef CLIENT_NAME
#define CLIENT_NAME "relay_client"
#endif
/* Mainline exports neither relay_stats() nor rrelay_create_buf_file(). */
#ifndef CLIENT_HAS_STATS
#define CLIENT_HAS_STATS 1
#endif

static unsigned int subbuf_size = 4096;
module_param(subbuf_size, uint, 0444);
MODULE_PARM_DESC(subbuf_size, "sub-buffer size");
static unsigned int n_subbufs = 4;
module_param(n_subbufs, uint, 0444);
MODULE_PARM_DESC(n_subbufs, "sub-buffers per buffer");
static bool overwrite;
module_param(overwrite, bool, 0444);
MODULE_PARM_DESC(overwrite, "overwrite the oldest data when full");
static bool global;
module_param(global, bool, 0444);
MODULE_PARM_DESC(global, "one global buffer instead of one per CPU");
static bool reserve = true;
module_param(reserve, bool, 0444);
MODULE_PARM_DESC(reserve, "log every other record with relay_reserve() + fill (default) instead of relay_write()");
static bool make_room;
module_param(make_room, bool, 0444);
MODULE_PARM_DESC(make_room, "a subbuf_start that consumes the oldest sub-buffer itself when the buffer is full, then answers !relay_buf_full()");
static unsigned int header;
module_param(header, uint, 0444);
MODULE_PARM_DESC(header, "bytes of header to put at the start of every sub-buffer with subbuf_start_reserve() (0: none)");
static bool real_fops;
module_param(real_fops, bool, 0444);
MODULE_PARM_DESC(real_fops, "create buffer files with rrelay_create_buf_file(): relay's own file operations, no debugfs proxy");

static struct dentry *dir;
static struct rchan *chan;
static DEFINE_MUTEX(client_lock);
static DEFINE_RAW_SPINLOCK(global_lock);	/* serialises writers of a global buffer */
static u32 seq[NR_CPUS];
static atomic_long_t emitted;
static int invalid_open_ok, invalid_open_total;

struct emit_req {
	unsigned int count, size, ctx;
	u8 *rec;		/* room for one record, allocated by the writer */
	struct timer_list timer;
	struct completion done;
};

static void emit_records(struct emit_req *req)
{
	unsigned int cpu = smp_processor_id(), i;
	u8 *rec = req->rec;
	struct client_record *r = (void *)rec;
	unsigned long flags;

	for (i = 0; i < req->count; i++) {
		client_record_fill(r, cpu, seq[cpu]++, req->size, req->ctx);
		if (global) {
			raw_spin_lock_irqsave(&global_lock, flags);
			__relay_write(chan, rec, req->size);
			raw_spin_unlock_irqrestore(&global_lock, flags);
		} else if (!reserve || i % 2) {
			relay_write(chan, rec, req->size);
		} else {
			/* relay_reserve() + fill, with interrupts kept away. */
			void *slot;

			local_irq_save(flags);
			slot = relay_reserve(chan, req->size);
			if (slot)
				memcpy(slot, rec, req->size);
			local_irq_restore(flags);
		}
		atomic_long_inc(&emitted);
	}
}

static long emit_in_process(void *arg)
{
	emit_records(arg);
	return 0;
}

static void emit_in_hardirq(void *arg)
{
	emit_records(arg);
}

static void emit_in_softirq(struct timer_list *t)
{
	struct emit_req *req = timer_container_of(req, t, timer);

	emit_records(req);
	complete(&req->done);
}

static ssize_t emit_write(struct file *file, const char __user *ubuf,
			  size_t len, loff_t *ppos)
{
	struct emit_req req = {};
	unsigned int cpu;
	char kbuf[64];
	int ret;

	if (len >= sizeof(kbuf))
		return -EINVAL;
	if (copy_from_user(kbuf, ubuf, len))
		return -EFAULT;
	kbuf[len] = '\0';
	if (sscanf(kbuf, "%u %u %u %u", &cpu, &req.count, &req.size,
		   &req.ctx) != 4)
		return -EINVAL;
	if (req.size < sizeof(struct client_record) ||
	    req.size > CLIENT_RECORD_MAX || req.ctx > 2)
		return -EINVAL;
	if (cpu >= nr_cpu_ids || !cpu_online(cpu))
		return -ENODEV;

	req.rec = kmalloc(req.size, GFP_KERNEL);
	if (!req.rec)
		return -ENOMEM;
	mutex_lock(&client_lock);
	ret = -ESHUTDOWN;
	if (!chan)
		goto out;
	ret = 0;
	switch (req.ctx) {
	case 0:
		work_on_cpu(cpu, emit_in_process, &req);
		break;
	case 1:
		init_completion(&req.done);
		timer_setup_on_stack(&req.timer, emit_in_softirq, 0);
		req.timer.expires = jiffies;
		add_timer_on(&req.timer, cpu);
		wait_for_completion(&req.done);
		timer_delete_sync(&req.timer);
		timer_destroy_on_stack(&req.timer);
		break;
	case 2:
		ret = smp_call_function_single(cpu, emit_in_hardirq, &req, 1);
		break;
	}
out:
	mutex_unlock(&client_lock);
	kfree(req.rec);
	return ret ? ret : len;
}

/* ctl "freeze" stops a flight recorder: its client refuses every switch. */
static bool frozen;

static int subbuf_start_overwrite(struct rchan_buf *buf, void *subbuf,
				  void *prev_subbuf)
{
	return !READ_ONCE(frozen);
}

/*
 * A header at the start of every sub-buffer, reserved so that records
 * follow it: CLIENT_HEADER_MAGIC, then the sub-buffer's number, then
 * zeros.  Logging goes on unless the buffer is full, as in mainline
 * clients that do this.
 */
static int subbuf_start_header(struct rchan_buf *buf, void *subbuf,
			       void *prev_subbuf)
{
	u32 *h = subbuf;

	if (relay_buf_full(buf))
		return 0;
	memset(subbuf, 0, header);
	h[0] = CLIENT_HEADER_MAGIC;
	h[1] = buf->subbufs_produced;
	subbuf_start_reserve(buf, header);
	return 1;
}

static struct dentry *create_buf_file(const char *filename,
				      struct dentry *parent, umode_t mode,
				      struct rchan_buf *buf, int *is_global)
{
	if (global)
		*is_global = 1;
#if CLIENT_HAS_STATS
	if (real_fops)
		return rrelay_create_buf_file(filename, parent, mode, buf);
#endif
	return debugfs_create_file(filename, mode, parent, buf,
				   &relay_file_operations);
}

static int remove_buf_file(struct dentry *dentry)
{
	debugfs_remove(dentry);
	return 0;
}

static const struct rchan_callbacks cb_drop = {
	.create_buf_file	= create_buf_file,
	.remove_buf_file	= remove_buf_file,
};

static const struct rchan_callbacks cb_overwrite = {
	.subbuf_start		= subbuf_start_overwrite,
	.create_buf_file	= create_buf_file,
	.remove_buf_file	= remove_buf_file,
};

/*
 * A client that keeps its newest data by discarding its oldest unread
 * sub-buffer when full, then asks relay_buf_full() as most callbacks do:
 * it never refuses, so no record is ever dropped.
 */
static int subbuf_start_make_room(struct rchan_buf *buf, void *subbuf,
				  void *prev_subbuf)
{
	if (relay_buf_full(buf))
		relay_subbufs_consumed(buf->chan, buf->cpu, 1);
	return !relay_buf_full(buf);
}

static const struct rchan_callbacks cb_make_room = {
	.subbuf_start		= subbuf_start_make_room,
	.create_buf_file	= create_buf_file,
	.remove_buf_file	= remove_buf_file,
};

static const struct rchan_callbacks cb_header = {
	.subbuf_start		= subbuf_start_header,
	.create_buf_file	= create_buf_file,
	.remove_buf_file	= remove_buf_file,
};

static const struct rchan_callbacks cb_no_create = {
	.remove_buf_file	= remove_buf_file,
};

/* relay_open() must refuse each of these and leave nothing behind. */
static void invalid_opens(void)
{
	static const struct {
		size_t size, n;
		const struct rchan_callbacks *cb;
	} bad[] = {
		{ 0, 4, &cb_drop },
		{ 4096, 0, &cb_drop },
		{ 0x10000, 0x10000, &cb_drop },		/* product > UINT_MAX */
		{ SIZE_MAX, 2, &cb_drop },
		{ 4096, SIZE_MAX, &cb_drop },
#if CLIENT_HAS_STATS
		/* More than all memory: mainline would call the OOM killer. */
		{ 1 << 20, 4095, &cb_drop },
#endif
		{ 4096, 4, NULL },
		{ 4096, 4, &cb_no_create },
	};
	int i;

	invalid_open_ok = 0;
	invalid_open_total = ARRAY_SIZE(bad);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct rchan *c = relay_open("bad", dir, bad[i].size, bad[i].n,
					     bad[i].cb, NULL);
		if (c) {
			pr_err(CLIENT_NAME ": relay_open accepted case %d\n", i);
			relay_close(c);
		} else {
			invalid_open_ok++;
		}
	}
}

/*
 * The first store mainline's relay_switch_subbuf() makes, and nothing
 * more: the current sub-buffer's padding, before subbufs_produced moves.
 * This is what a reader on another CPU sees while that writer is between
 * the two stores; "flush" then completes the switch (it stores the same
 * padding again).  tests/selftests/read_race.c holds a reader there.
 */
static void half_switch(unsigned int cpu)
{
	struct rchan_buf *buf = *per_cpu_ptr(chan->buf, cpu);

	WRITE_ONCE(buf->padding[buf->subbufs_produced % chan->n_subbufs],
		   chan->subbuf_size - buf->offset);
}

static ssize_t ctl_write(struct file *file, const char __user *ubuf,
			 size_t len, loff_t *ppos)
{
	char kbuf[32];
	unsigned int cpu;
	int ret = len;

	if (len >= sizeof(kbuf))
		return -EINVAL;
	if (copy_from_user(kbuf, ubuf, len))
		return -EFAULT;
	kbuf[len] = '\0';
	strim(kbuf);

	mutex_lock(&client_lock);
	if (!strcmp(kbuf, "invalid_open")) {
		invalid_opens();
	} else if (!chan) {
		ret = -ESHUTDOWN;
	} else if (sscanf(kbuf, "half_switch %u", &cpu) == 1) {
		if (cpu < nr_cpu_ids && cpu_possible(cpu) && *per_cpu_ptr(chan->buf, cpu))
			half_switch(cpu);
		else
			ret = -EINVAL;
	} else if (!strcmp(kbuf, "freeze")) {
		WRITE_ONCE(frozen, true);
	} else if (!strcmp(kbuf, "flush")) {
		relay_flush(chan);
	} else if (!strcmp(kbuf, "reset")) {
		relay_reset(chan);
	} else if (!strcmp(kbuf, "close")) {
		relay_close(chan);
		chan = NULL;
	} else {
		ret = -EINVAL;
	}
	mutex_unlock(&client_lock);
	return ret;
}

static size_t stat(int flags)
{
#if CLIENT_HAS_STATS
	return chan ? relay_stats(chan, flags) : 0;
#else
	return 0;
#endif
}

static int stats_show(struct seq_file *m, void *v)
{
	mutex_lock(&client_lock);
	seq_printf(m, "full %zu\nbig %zu\nemitted %ld\ninvalid_open %d/%d\n",
		   stat(RELAY_STATS_BUF_FULL), stat(RELAY_STATS_WRT_BIG),
		   atomic_long_read(&emitted), invalid_open_ok,
		   invalid_open_total);
	mutex_unlock(&client_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(stats);

static const struct file_operations emit_fops = {
	.owner = THIS_MODULE,
	.write = emit_write,
};

static const struct file_operations ctl_fops = {
	.owner = THIS_MODULE,
	.write = ctl_write,
};

static int __init relay_client_init(void)
{
	if (header && (header < 8 || header >= subbuf_size - 1))
		return -EINVAL;
	dir = debugfs_create_dir(CLIENT_NAME, NULL);
	chan = relay_open("cpu", dir, subbuf_size, n_subbufs,
			  header ? &cb_header : overwrite ? &cb_overwrite :
			  make_room ? &cb_make_room : &cb_drop, NULL);
	if (!chan) {
		debugfs_remove(dir);
		return -EINVAL;
	}
	debugfs_create_file("emit", 0200, dir, NULL, &emit_fops);
	debugfs_create_file("ctl", 0200, dir, NULL, &ctl_fops);
	debugfs_create_file("stats", 0400, dir, NULL, &stats_fops);
	return 0;
}

static void __exit relay_client_exit(void)
{
	debugfs_lookup_and_remove("emit", dir);
	debugfs_lookup_and_remove("ctl", dir);
	if (chan)
		relay_close(chan);
	debugfs_remove(dir);
}

module_init(relay_client_init);
module_exit(relay_client_exit);
MODULE_DESCRIPTION("relay test client using only the stock header API");
MODULE_LICENSE("GPL");
