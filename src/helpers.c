// SPDX-License-Identifier: GPL-2.0
/*
 * The few kernel macros and static inlines the Rust side of rrelay needs
 * and cannot call: per-CPU slots, wait-queue and irq_work set-up, vmap
 * with PAGE_KERNEL, inode size and lock.  Each is a one-line wrapper; the
 * logic stays in Rust.  Also the file operations of buffer files, which C
 * clients reference by name (relay_file_operations).
 */

#include <rrelay/relay.h>
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/irq_work.h>
#include <linux/kref.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/pipe_fs_i.h>
#include <linux/sched.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/splice.h>
#include <linux/uio.h>
#include <linux/timer.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>
#include "rrelay_internal.h"

void __percpu *rrelay_alloc_buf_slots(void)
{
	return alloc_percpu(struct rchan_buf *);
}

void rrelay_free_buf_slots(void __percpu *slots)
{
	free_percpu(slots);
}

struct rchan_buf **rrelay_buf_slot(void __percpu *slots, unsigned int cpu)
{
	return per_cpu_ptr((struct rchan_buf * __percpu *)slots, cpu);
}

static void rrelay_wakeup_readers(struct irq_work *work)
{
	struct rchan_buf *buf = container_of(work, struct rchan_buf,
					     wakeup_work);

	wake_up_interruptible(&buf->read_wait);
}

/* Wait queue, reference count and deferred wake-up of a new buffer. */
void rrelay_buf_init_sync(struct rchan_buf *buf)
{
	init_waitqueue_head(&buf->read_wait);
	kref_init(&buf->kref);
	init_irq_work(&buf->wakeup_work, rrelay_wakeup_readers);
}

/*
 * The publishing half of a sub-buffer switch.  When a sub-buffer was
 * completed (the writer was not parked), the new produced count is stored
 * with release semantics: the records the client's inlines stored on this
 * CPU with plain stores, and the padding, are visible to any CPU whose
 * acquire load sees the count.  The offset goes to 0 after the count, and
 * the file grows by the sub-buffer's valid bytes.  One full barrier then
 * orders those stores before the two loads below: the waiter check, which
 * pairs with the barrier in poll_wait()'s queueing, and the pin count of
 * the sub-buffer the writer moves into, which pairs with the fully ordered
 * increment of a splice reader (ring::pin_for_splice()).  A sleeping
 * reader gets its wake-up as irq_work, never directly: writers may run
 * inside the scheduler.  Returns whether that sub-buffer is pinned.
 */
bool rrelay_switch_publish(struct rchan_buf *buf, bool completed,
			   size_t produced, size_t valid, const int *pins)
{
	if (completed) {
		/* Pairs with the acquire load of BufState::produced(). */
		smp_store_release(&buf->subbufs_produced, produced);
		WRITE_ONCE(buf->offset, 0);
		if (buf->dentry)
			d_inode(buf->dentry)->i_size += valid;
		else
			buf->early_bytes += valid;
	}
	/* Orders produced and offset before the waiter and pin loads. */
	smp_mb();
	/* Lockless: pairs with the barrier in poll_wait()'s queueing. */
	if (completed && waitqueue_active(&buf->read_wait))
		irq_work_queue(&buf->wakeup_work);
	/*
	 * Pairs with the fully ordered pin of ring::pin_for_splice(); acquire
	 * pairs with the release of an unpin, so the pipe's last reads of the
	 * pages come before the writer's next stores into them.
	 */
	return smp_load_acquire(pins) != 0;
}

void rrelay_buf_poll_wait(struct file *filp, struct rchan_buf *buf,
			  poll_table *wait)
{
	poll_wait(filp, &buf->read_wait, wait);
}

/* A reference more on a buffer or a channel the caller holds one on. */
void rrelay_buf_get(struct rchan_buf *buf)
{
	kref_get(&buf->kref);
}

void rrelay_chan_get(struct rchan *chan)
{
	kref_get(&chan->kref);
}

/* Waits for a queued wake-up of the buffer's readers to finish. */
void rrelay_buf_sync_wakeup(struct rchan_buf *buf)
{
	irq_work_sync(&buf->wakeup_work);
}

/* Wakes every reader sleeping in poll() on the buffer. */
void rrelay_buf_wake_readers(struct rchan_buf *buf)
{
	wake_up_interruptible(&buf->read_wait);
}

/* True when this put dropped the last reference. */
bool rrelay_kref_put(struct kref *kref)
{
	return refcount_dec_and_test(&kref->refcount);
}

void rrelay_kref_init(struct kref *kref)
{
	kref_init(kref);
}

/*
 * A buffer page.  A large channel may ask for more than the machine can
 * spare: reclaim may run, but the allocation fails rather than wake the
 * OOM killer (mainline's GFP_KERNEL loop may kill a process instead).
 */
struct page *rrelay_alloc_zeroed_page(void)
{
	return alloc_page(GFP_KERNEL | __GFP_ZERO | __GFP_RETRY_MAYFAIL | __GFP_NOWARN);
}

unsigned long rrelay_totalram_pages(void)
{
	return totalram_pages();
}

void rrelay_free_page(struct page *page)
{
	__free_page(page);
}

void *rrelay_vmap(struct page **pages, unsigned int count)
{
	return vmap(pages, count, VM_MAP, PAGE_KERNEL);
}

void rrelay_file_size_set(struct dentry *dentry, loff_t size)
{
	d_inode(dentry)->i_size = size;
}

void *rrelay_file_inode_private(struct file *filp)
{
	return file_inode(filp)->i_private;
}

void rrelay_file_lock(struct file *filp)
{
	inode_lock(file_inode(filp));
}

void rrelay_file_unlock(struct file *filp)
{
	inode_unlock(file_inode(filp));
}

size_t rrelay_iter_count(struct iov_iter *iter)
{
	return iov_iter_count(iter);
}

size_t rrelay_copy_to_iter(const void *from, size_t len, struct iov_iter *iter)
{
	return copy_to_iter(from, len, iter);
}

/*
 * Buffer files have no positions: like nonseekable_open(), except that
 * FMODE_LSEEK stays set, because sendfile() into a file goes through
 * do_splice_direct(), which requires it (without ever seeking).  lseek()
 * still answers -ESPIPE, and pread() too, FMODE_PREAD being cleared.
 */
void rrelay_file_open_unseekable(struct file *filp)
{
	filp->f_mode &= ~(FMODE_PREAD | FMODE_PWRITE);
}

static loff_t rrelay_file_llseek(struct file *filp, loff_t offset, int whence)
{
	return -ESPIPE;
}

bool rrelay_file_readable(struct file *filp)
{
	return filp->f_mode & FMODE_READ;
}

/* Next online (or possible) CPU after cpu, or nr_cpu_ids: for iteration. */
unsigned int rrelay_next_cpu(int cpu, bool online)
{
	return cpumask_next(cpu, online ? cpu_online_mask : cpu_possible_mask);
}

static DEFINE_MUTEX(rrelay_channels_mutex);

void rrelay_channels_lock(void)
{
	mutex_lock(&rrelay_channels_mutex);
}

void rrelay_channels_unlock(void)
{
	mutex_unlock(&rrelay_channels_mutex);
}

/*
 * mmap of a buffer file maps the whole buffer, read-only.  The mapping
 * holds the file, the file holds the buffer: pages stay valid after
 * relay_close() and after the client is gone, until munmap().
 */
static vm_fault_t rrelay_buf_fault(struct vm_fault *vmf)
{
	struct rchan_buf *buf = vmf->vma->vm_private_data;

	if (vmf->pgoff >= buf->page_count)
		return VM_FAULT_SIGBUS;
	vmf->page = buf->page_array[vmf->pgoff];
	get_page(vmf->page);
	return 0;
}

static const struct vm_operations_struct rrelay_mmap_ops = {
	.fault = rrelay_buf_fault,
};

static int rrelay_file_mmap_prepare(struct vm_area_desc *desc)
{
	struct rchan_buf *buf = desc->file->private_data;

	/* Mainline's rule: the whole buffer or nothing.  Offsets would map
	 * past its end, so they are refused too.
	 */
	if (vma_desc_size(desc) != buf->chan->alloc_size || desc->pgoff)
		return -EINVAL;
	/* User space never writes into a relay buffer, even as root with an
	 * O_RDWR file; private mappings may still copy-on-write.
	 */
	if (vma_desc_test(desc, VMA_SHARED_BIT)) {
		if (vma_desc_test(desc, VMA_WRITE_BIT))
			return -EPERM;
		vma_desc_clear_flags(desc, VMA_MAYWRITE_BIT);
	}
	vma_desc_set_flags(desc, VMA_DONTEXPAND_BIT);
	desc->vm_ops = &rrelay_mmap_ops;
	desc->private_data = buf;
	return 0;
}

/* The pipe do_splice_direct() (sendfile) keeps for this task. */
bool rrelay_pipe_is_sendfile_pipe(struct pipe_inode_info *pipe)
{
	return pipe == current->splice_pipe;
}

/* Pipe buffers splice may still add (the pipe is locked by the caller). */
unsigned int rrelay_pipe_free_slots(struct pipe_inode_info *pipe)
{
	return pipe->max_usage - pipe_buf_usage(pipe);
}

/*
 * Pipe buffers that hold a sub-buffer's page by reference.  private points
 * to the sub-buffer's pin slot; src/sys/file.rs keeps the pin and the buffer
 * reference, this file the page and the module reference: the pipe may
 * outlive the file, the channel and the client, and these operations are
 * rrelay's code.
 */
static bool rrelay_pipe_buf_get_op(struct pipe_inode_info *pipe,
				   struct pipe_buffer *pbuf)
{
	get_page(pbuf->page);
	__module_get(THIS_MODULE);
	rrelay_pipe_buf_get(pbuf->private);
	return true;
}

static void rrelay_pipe_buf_release_op(struct pipe_inode_info *pipe,
				       struct pipe_buffer *pbuf)
{
	put_page(pbuf->page);
	rrelay_pipe_buf_put(pbuf->private);
	/* Last: the caller returns into rrelay's text right after this. */
	module_put(THIS_MODULE);
}

/* No try_steal: the page stays the buffer's, never the page cache's. */
static const struct pipe_buf_operations rrelay_pipe_buf_ops = {
	.release	= rrelay_pipe_buf_release_op,
	.get		= rrelay_pipe_buf_get_op,
};

ssize_t rrelay_splice_page(struct pipe_inode_info *pipe, struct page *page,
			   unsigned int offset, unsigned int len,
			   unsigned long private)
{
	struct pipe_buffer pbuf = {
		.page		= page,
		.offset		= offset,
		.len		= len,
		.ops		= &rrelay_pipe_buf_ops,
		.private	= private,
	};

	get_page(page);
	__module_get(THIS_MODULE);
	/* On failure add_to_pipe() releases pbuf, dropping all of the above. */
	return add_to_pipe(pipe, &pbuf);
}

/* A new page holding a copy of len (at most a page) bytes, or NULL. */
struct page *rrelay_copy_to_new_page(const void *from, size_t len)
{
	struct page *page = alloc_page(GFP_KERNEL);

	if (page)
		memcpy(page_address(page), from, len);
	return page;
}

/* Adds a page from rrelay_copy_to_new_page() to the pipe, which owns it. */
ssize_t rrelay_splice_new_page(struct pipe_inode_info *pipe, struct page *page,
			       size_t len)
{
	struct pipe_buffer pbuf = {
		.page	= page,
		.len	= len,
		.ops	= &nosteal_pipe_buf_ops,
	};

	return add_to_pipe(pipe, &pbuf);
}

static void rrelay_flush_here(void *buf)
{
	relay_switch_subbuf(buf, 0);
}

/*
 * relay_flush()'s switch of a per-CPU buffer, run on the buffer's CPU with
 * interrupts off there, so between records of its writer; directly when
 * that CPU is offline (no writer).
 */
void rrelay_flush_on_buf_cpu(struct rchan_buf *buf)
{
	if (smp_call_function_single(buf->cpu, rrelay_flush_here, buf, 1))
		relay_switch_subbuf(buf, 0);
}

struct rrelay_writer_pos {
	struct rchan_buf *buf;
	size_t produced, offset;
	void *data;
};

static void rrelay_read_writer_pos(void *arg)
{
	struct rrelay_writer_pos *pos = arg;

	pos->produced = READ_ONCE(pos->buf->subbufs_produced);
	pos->offset = READ_ONCE(pos->buf->offset);
	pos->data = READ_ONCE(pos->buf->data);
}

/*
 * The writer's position in a per-CPU buffer at one instant, read on the
 * buffer's CPU with interrupts off (a writer there is between records);
 * -ENXIO if that CPU is offline, -EINVAL for a global buffer.
 */
int rrelay_writer_snapshot(struct rchan_buf *buf, size_t *produced,
			   size_t *offset, void **data)
{
	struct rrelay_writer_pos pos = { .buf = buf };
	int ret;

	if (buf->chan->is_global)
		return -EINVAL;
	ret = smp_call_function_single(buf->cpu, rrelay_read_writer_pos, &pos, 1);
	if (ret)
		return ret;
	*produced = pos.produced;
	*offset = pos.offset;
	*data = pos.data;
	return 0;
}

const struct file_operations relay_file_operations = {
	.owner		= THIS_MODULE,
	.open		= rrelay_file_open,
	.poll		= rrelay_file_poll,
	.llseek		= rrelay_file_llseek,
	.read		= rrelay_file_read,
	.read_iter	= rrelay_file_read_iter,
	.splice_read	= rrelay_file_splice_read,
	.mmap_prepare	= rrelay_file_mmap_prepare,
	.unlocked_ioctl	= rrelay_file_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.release	= rrelay_file_release,
};

/**
 * rrelay_create_buf_file() - create a buffer file with relay's own file
 *                            operations
 * @filename: name of the file
 * @parent: debugfs directory to create it in
 * @mode: its mode (relay passes S_IRUSR)
 * @buf: the buffer it stands for
 *
 * For a client's create_buf_file callback.  debugfs_create_file() puts a
 * proxy in front of the file operations that forwards neither mmap nor
 * splice and cuts readers off at removal; this file gets relay's own, which
 * keep what they use alive themselves.
 *
 * Return: the dentry, or an error pointer.
 */
struct dentry *rrelay_create_buf_file(const char *filename,
				      struct dentry *parent, umode_t mode,
				      struct rchan_buf *buf)
{
	return debugfs_create_file_unsafe(filename, mode, parent, buf,
					  &relay_file_operations);
}

void rrelay_vunmap(void *addr)
{
	vunmap(addr);
}

/* The buffer of the current CPU; interrupts must be off. */
struct rchan_buf *rrelay_this_cpu_buf(struct rchan *chan)
{
	return *this_cpu_ptr(chan->buf);
}

/*
 * Name of the channel created at load (and of its debugfs directory);
 * empty for none.  A string parameter, which the Rust module! macro does
 * not offer in 7.3, so it lives here.
 */
static char chan[NAME_MAX] = "rrelay";
module_param_string(chan, chan, sizeof(chan), 0444);
MODULE_PARM_DESC(chan, "name of the channel created at load, in debugfs (default rrelay; empty: none)");

const char *rrelay_param_chan(void)
{
	return chan;
}

const struct file_operations rrelay_marker_fops = {
	.owner		= THIS_MODULE,
	.open		= nonseekable_open,
	.write		= rrelay_marker_write,
};

/*
 * The periodic source of the insmod channel: a pinned timer per online
 * CPU calls rrelay_tick() there, in softirq context, rate times a second.
 */
static DEFINE_PER_CPU(struct timer_list, rrelay_ticker);
static unsigned long rrelay_tick_interval;

static void rrelay_tick_fn(struct timer_list *t)
{
	rrelay_tick();
	mod_timer(t, jiffies + rrelay_tick_interval);
}

void rrelay_ticker_start(unsigned int rate)
{
	unsigned int cpu;

	rrelay_tick_interval = max(1UL, HZ / max(1U, rate));
	cpus_read_lock();
	for_each_online_cpu(cpu) {
		struct timer_list *t = per_cpu_ptr(&rrelay_ticker, cpu);

		timer_setup(t, rrelay_tick_fn, TIMER_PINNED);
		t->expires = jiffies + rrelay_tick_interval;
		add_timer_on(t, cpu);
	}
	cpus_read_unlock();
}

void rrelay_ticker_stop(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct timer_list *t = per_cpu_ptr(&rrelay_ticker, cpu);

		if (t->function)
			timer_shutdown_sync(t);
	}
}

/*
 * Channels, for CPU hotplug: a CPU that comes online after relay_open()
 * gets its buffers in the prepare stage, before it runs anything that
 * could write (as mainline's CPUHP_RELAY_PREPARE does, through the
 * dynamic prepare state a module can have).  All under the channels mutex.
 */
static LIST_HEAD(rrelay_channels);
static int rrelay_hotplug_state = -1;

void rrelay_channels_add(struct rchan *chan)
{
	list_add(&chan->list, &rrelay_channels);
}

void rrelay_channels_del(struct rchan *chan)
{
	list_del(&chan->list);
}

static int rrelay_prepare_cpu(unsigned int cpu)
{
	struct rchan *chan;
	int ret = 0;

	mutex_lock(&rrelay_channels_mutex);
	list_for_each_entry(chan, &rrelay_channels, list) {
		ret = rrelay_open_cpu_buf(chan, cpu);
		if (ret) {
			pr_err("rrelay: no buffer for cpu %u (%d)\n", cpu, ret);
			break;
		}
	}
	mutex_unlock(&rrelay_channels_mutex);
	return ret;
}

int rrelay_hotplug_init(void)
{
	int ret = cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN,
					    "rrelay:prepare",
					    rrelay_prepare_cpu, NULL);

	if (ret < 0)
		return ret;
	rrelay_hotplug_state = ret;
	return 0;
}

void rrelay_hotplug_exit(void)
{
	if (rrelay_hotplug_state >= 0)
		cpuhp_remove_state_nocalls(rrelay_hotplug_state);
	rrelay_hotplug_state = -1;
}
