/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarations shared by rrelay's C files and its Rust code (which declares
 * the same functions in the files of src/sys/): C helpers Rust calls, and file
 * operations Rust implements.
 */
#ifndef _RRELAY_INTERNAL_H
#define _RRELAY_INTERNAL_H

#include <linux/fs.h>
#include <linux/poll.h>
#include <rrelay/relay.h>

void __percpu *rrelay_alloc_buf_slots(void);
void rrelay_free_buf_slots(void __percpu *slots);
struct rchan_buf **rrelay_buf_slot(void __percpu *slots, unsigned int cpu);
void rrelay_buf_init_sync(struct rchan_buf *buf);
bool rrelay_switch_publish(struct rchan_buf *buf, bool completed,
			   size_t produced, size_t valid, const int *pins);
void rrelay_buf_poll_wait(struct file *filp, struct rchan_buf *buf,
			  poll_table *wait);
void rrelay_buf_get(struct rchan_buf *buf);
void rrelay_chan_get(struct rchan *chan);
void rrelay_buf_sync_wakeup(struct rchan_buf *buf);
void rrelay_buf_wake_readers(struct rchan_buf *buf);
bool rrelay_kref_put(struct kref *kref);
void rrelay_kref_init(struct kref *kref);
struct page *rrelay_alloc_zeroed_page(void);
unsigned long rrelay_totalram_pages(void);
void rrelay_free_page(struct page *page);
void *rrelay_vmap(struct page **pages, unsigned int count);
void rrelay_vunmap(void *addr);
void rrelay_file_size_set(struct dentry *dentry, loff_t size);
void *rrelay_file_inode_private(struct file *filp);
void rrelay_file_lock(struct file *filp);
void rrelay_file_unlock(struct file *filp);
void rrelay_file_open_unseekable(struct file *filp);
bool rrelay_file_readable(struct file *filp);
size_t rrelay_iter_count(struct iov_iter *iter);
size_t rrelay_copy_to_iter(const void *from, size_t len, struct iov_iter *iter);
unsigned int rrelay_next_cpu(int cpu, bool online);
void rrelay_channels_lock(void);
void rrelay_channels_unlock(void);
struct rchan_buf *rrelay_this_cpu_buf(struct rchan *chan);
const char *rrelay_param_chan(void);
extern const struct file_operations rrelay_marker_fops;
unsigned int rrelay_pipe_free_slots(struct pipe_inode_info *pipe);
bool rrelay_pipe_is_sendfile_pipe(struct pipe_inode_info *pipe);
ssize_t rrelay_splice_page(struct pipe_inode_info *pipe, struct page *page,
			   unsigned int offset, unsigned int len,
			   unsigned long private);
struct page *rrelay_copy_to_new_page(const void *from, size_t len);
ssize_t rrelay_splice_new_page(struct pipe_inode_info *pipe, struct page *page,
			       size_t len);
void rrelay_flush_on_buf_cpu(struct rchan_buf *buf);
int rrelay_writer_snapshot(struct rchan_buf *buf, size_t *produced,
			   size_t *offset, void **data);
void rrelay_channels_add(struct rchan *chan);
void rrelay_channels_del(struct rchan *chan);
int rrelay_hotplug_init(void);
void rrelay_hotplug_exit(void);
void rrelay_ticker_start(unsigned int rate);
void rrelay_ticker_stop(void);

/*
 * Implemented in Rust: the file operations in src/file.rs (open and
 * release, and the pipe buffer references, in src/sys/file.rs), the ticker
 * and marker in src/rrelay.rs, the hotplug step in src/api.rs.
 */
int rrelay_file_open(struct inode *inode, struct file *filp);
__poll_t rrelay_file_poll(struct file *filp, poll_table *wait);
ssize_t rrelay_file_read(struct file *filp, char __user *buffer,
			 size_t count, loff_t *ppos);
ssize_t rrelay_file_read_iter(struct kiocb *iocb, struct iov_iter *to);
ssize_t rrelay_file_splice_read(struct file *filp, loff_t *ppos,
				struct pipe_inode_info *pipe, size_t len,
				unsigned int flags);
void rrelay_pipe_buf_get(unsigned long private);
void rrelay_pipe_buf_put(unsigned long private);
long rrelay_file_ioctl(struct file *filp, unsigned int cmd, unsigned long arg);
int rrelay_file_release(struct inode *inode, struct file *filp);
void rrelay_tick(void);
int rrelay_open_cpu_buf(struct rchan *chan, unsigned int cpu);
ssize_t rrelay_marker_write(struct file *filp, const char __user *buffer,
			    size_t count, loff_t *ppos);

#endif /* _RRELAY_INTERNAL_H */
