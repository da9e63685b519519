// SPDX-License-Identifier: GPL-2.0
/*
 * Symbol exports of rrelay.ko.  The functions are written in Rust, which
 * cannot emit EXPORT_SYMBOL_GPL() entries, so this file does it for them.
 * Through <rrelay/relay.h> each name below is the mainline one, or the
 * "r"-prefixed one on a kernel with its own relay (CONFIG_RELAY=y).  The
 * Rust definitions (src/channel.rs, src/file.rs) must keep the stock
 * header's signatures: C checks names here, not types.
 */

#include <linux/export.h>
#include <rrelay/relay.h>

EXPORT_SYMBOL_GPL(relay_open);
EXPORT_SYMBOL_GPL(relay_close);
EXPORT_SYMBOL_GPL(relay_flush);
EXPORT_SYMBOL_GPL(relay_reset);
EXPORT_SYMBOL_GPL(relay_stats);
EXPORT_SYMBOL_GPL(relay_subbufs_consumed);
EXPORT_SYMBOL_GPL(relay_buf_full);
EXPORT_SYMBOL_GPL(relay_switch_subbuf);
EXPORT_SYMBOL_GPL(relay_file_operations);

/* Beyond mainline: relay_write() as a function, for Rust clients. */
EXPORT_SYMBOL_GPL(rrelay_write_record);
