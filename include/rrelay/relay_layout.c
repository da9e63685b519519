// SPDX-License-Identifier: GPL-2.0
/*
 * rrelay/relay_layout.c - sizes and offsets of the <linux/relay.h>
 * structures as this kernel's C compiler lays them out
 *
 * Compiled to assembly only, never linked.  Kbuild turns the markers into
 * Rust constants (layout.kbuild for a Rust client, rrelay's own Kbuild for
 * rrelay.ko), and relay_abi.rs fails to compile when its Rust mirror of a
 * structure disagrees with them.  rrelay.ko's src/layout.c includes this
 * file and adds the structures of <uapi/linux/rrelay.h>.
 */

#include <linux/kbuild.h>
#include <linux/relay.h>

#define RCHAN_BUF(f)	OFFSET(RCHAN_BUF_##f, rchan_buf, f)
#define RCHAN(f)	OFFSET(RCHAN_##f, rchan, f)
#define RCHAN_CB(f)	OFFSET(RCHAN_CALLBACKS_##f, rchan_callbacks, f)

static void __used rrelay_relay_layout(void)
{
	DEFINE(RCHAN_BUF_SIZE, sizeof(struct rchan_buf));
	DEFINE(RCHAN_BUF_ALIGN, __alignof__(struct rchan_buf));
	RCHAN_BUF(start);
	RCHAN_BUF(data);
	RCHAN_BUF(offset);
	RCHAN_BUF(subbufs_produced);
	RCHAN_BUF(subbufs_consumed);
	RCHAN_BUF(chan);
	RCHAN_BUF(read_wait);
	RCHAN_BUF(wakeup_work);
	RCHAN_BUF(dentry);
	RCHAN_BUF(kref);
	RCHAN_BUF(stats);
	RCHAN_BUF(page_array);
	RCHAN_BUF(page_count);
	RCHAN_BUF(finalized);
	RCHAN_BUF(padding);
	RCHAN_BUF(bytes_consumed);
	RCHAN_BUF(early_bytes);
	RCHAN_BUF(cpu);

	DEFINE(RCHAN_SIZE, sizeof(struct rchan));
	DEFINE(RCHAN_ALIGN, __alignof__(struct rchan));
	RCHAN(version);
	RCHAN(subbuf_size);
	RCHAN(n_subbufs);
	RCHAN(alloc_size);
	RCHAN(cb);
	RCHAN(kref);
	RCHAN(private_data);
	RCHAN(buf);
	RCHAN(is_global);
	RCHAN(list);
	RCHAN(parent);
	RCHAN(has_base_filename);
	RCHAN(base_filename);

	DEFINE(RCHAN_CALLBACKS_SIZE, sizeof(struct rchan_callbacks));
	RCHAN_CB(subbuf_start);
	RCHAN_CB(create_buf_file);
	RCHAN_CB(remove_buf_file);

	DEFINE(RCHAN_BUF_STATS_SIZE, sizeof(struct rchan_buf_stats));

	DEFINE(RELAYFS_CHANNEL_VERSION_, RELAYFS_CHANNEL_VERSION);
	DEFINE(NAME_MAX_, NAME_MAX);
}
