// SPDX-License-Identifier: GPL-2.0
/*
 * Sizes and offsets of the C structures rrelay.ko mirrors in Rust, as this
 * kernel's C compiler lays them out.  Compiled to assembly only; Kbuild
 * turns the markers into src/c_layout.rs, and src/abi.rs fails to compile
 * when its Rust mirror of a structure disagrees.  Those of <linux/relay.h>
 * come from include/rrelay/relay_layout.c, the same list a Rust client's
 * build checks (unmodified C clients inline relay_write() over them, so
 * they must match exactly); those of <uapi/linux/rrelay.h> are below.
 */

#include <rrelay/relay_layout.c>
#include <uapi/linux/rrelay.h>

static void __used rrelay_uapi_layout(void)
{
	DEFINE(RRELAY_BUF_INFO_SIZE, sizeof(struct rrelay_buf_info));
	DEFINE(RRELAY_SUBBUF_SIZE, sizeof(struct rrelay_subbuf));
	DEFINE(RRELAY_IOC_INFO_, RRELAY_IOC_INFO);
	DEFINE(RRELAY_IOC_SUBBUF_, RRELAY_IOC_SUBBUF);
	DEFINE(RRELAY_IOC_CONSUME_, RRELAY_IOC_CONSUME);
	DEFINE(RRELAY_BATCH_SIZE, sizeof(struct rrelay_batch));
	DEFINE(RRELAY_BATCH_ENTRY_SIZE, sizeof(struct rrelay_batch_entry));
	DEFINE(RRELAY_BATCH_COUNT_OFFSET, offsetof(struct rrelay_batch, count));
	DEFINE(RRELAY_BATCH_ENTRIES_OFFSET, offsetof(struct rrelay_batch, entries));
	DEFINE(RRELAY_BATCH_STALE_OFFSET, offsetof(struct rrelay_batch, stale));
	DEFINE(RRELAY_BATCH_SKIPPED_OFFSET, offsetof(struct rrelay_batch, skipped));
	DEFINE(RRELAY_BATCH_MAX_, RRELAY_BATCH_MAX);
	DEFINE(RRELAY_BATCH_RELEASE_ONLY_, RRELAY_BATCH_RELEASE_ONLY);
	DEFINE(RRELAY_IOC_BATCH_, RRELAY_IOC_BATCH);
}
