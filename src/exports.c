// SPDX-License-Identifier: GPL-2.0
/*
 * Symbol exports of rrelay.ko.  The functions are written in Rust, which
 * cannot emit EXPORT_SYMBOL_GPL() entries, so this file does it for them.
 * Through <rrelay/relay.h> each name below is the mainline one, or the
 * "r"-prefixed one on a kernel with its own relay (CONFIG_RELAY=y).  The
 * prototypes are the stock header's; the Rust definitions must match them.
 */

#include <linux/export.h>
#include <rrelay/relay.h>

/* relay_open() is defined in src/api.rs. */
EXPORT_SYMBOL_GPL(relay_open);
/* relay_close() is defined in src/api.rs. */
EXPORT_SYMBOL_GPL(relay_close);
/* relay_flush() is defined in src/api.rs. */
EXPORT_SYMBOL_GPL(relay_flush);
/* relay_reset() is defined in src/api.rs. */
EXPORT_SYMBOL_GPL(relay_reset);
/* relay_stats() is defined in src/api.rs. */
EXPORT_SYMBOL_GPL(relay_stats);
/* relay_subbufs_consumed() is defined in src/api.rs. */
EXPORT_SYMBOL_GPL(relay_subbufs_consumed);
/* relay_buf_full() is defined in src/api.rs. */
EXPORT_SYMBOL_GPL(relay_buf_full);
/* relay_switch_subbuf() is defined in src/write.rs. */
EXPORT_SYMBOL_GPL(relay_switch_subbuf);
/* relay_file_operations = { ... } is in src/helpers.c. */
EXPORT_SYMBOL_GPL(relay_file_operations);
/* Beyond mainline: rrelay_write_record() is in src/write.rs. */
EXPORT_SYMBOL_GPL(rrelay_write_record);
/* Beyond mainline: rrelay_create_buf_file() is in src/helpers.c. */
EXPORT_SYMBOL_GPL(rrelay_create_buf_file);
