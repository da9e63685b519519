/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rrelay/relay.h - the relay API as provided by rrelay.ko
 *
 * Include this instead of <linux/relay.h>, before any header that
 * includes <linux/relay.h>.  It is the stock header: same structures, same
 * inlines (relay_write(), __relay_write(), relay_reserve(),
 * subbuf_start_reserve()), same calls.
 *
 * On a kernel without CONFIG_RELAY, rrelay exports the mainline names and
 * this header adds nothing.  On a kernel with CONFIG_RELAY=y the mainline
 * names belong to the built-in relay, so rrelay exports every symbol with
 * an "r" in front (rrelay_open, rrelay_switch_subbuf, ...); this header
 * then renames the API before <linux/relay.h> is read, so the stock
 * declarations and inlines themselves refer to rrelay's symbols.  One
 * client source builds for either kind of kernel.
 *
 * Beyond mainline, relay_stats() is exported.
 */
#ifndef _RRELAY_RELAY_H
#define _RRELAY_RELAY_H

#ifdef _LINUX_RELAY_H
#error "include <rrelay/relay.h> before anything that includes <linux/relay.h>"
#endif

#ifdef CONFIG_RELAY
#define relay_open		rrelay_open
#define relay_close		rrelay_close
#define relay_flush		rrelay_flush
#define relay_reset		rrelay_reset
#define relay_stats		rrelay_stats
#define relay_subbufs_consumed	rrelay_subbufs_consumed
#define relay_buf_full		rrelay_buf_full
#define relay_switch_subbuf	rrelay_switch_subbuf
#define relay_file_operations	rrelay_file_operations
#define relay_write		rrelay_write
#define __relay_write		__rrelay_write
#define relay_reserve		rrelay_reserve
#define subbuf_start_reserve	rrelay_subbuf_start_reserve
#endif

#include <linux/relay.h>

/**
 * rrelay_write_record() - relay_write() as an exported function
 * @chan: the channel
 * @data: the record
 * @length: its size in bytes
 *
 * Logs one record into the current CPU's buffer, from any context but NMI,
 * exactly as relay_write() does.  For clients that cannot use the inline,
 * such as Rust modules.  Beyond mainline.
 */
void rrelay_write_record(struct rchan *chan, const void *data, size_t length);

/**
 * rrelay_create_buf_file() - create a buffer file with relay's own file
 *                            operations
 * @filename: name of the file
 * @parent: debugfs directory to create it in
 * @mode: its mode
 * @buf: the buffer it stands for
 *
 * Call it from a create_buf_file callback instead of debugfs_create_file():
 * debugfs's proxy forwards neither mmap nor splice and cuts readers off
 * when the file is removed.  Beyond mainline.
 *
 * Return: the dentry, or an error pointer.
 */
struct dentry *rrelay_create_buf_file(const char *filename,
				      struct dentry *parent, umode_t mode,
				      struct rchan_buf *buf);

#endif /* _RRELAY_RELAY_H */
