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
}
