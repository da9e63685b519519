// SPDX-License-Identifier: GPL-2.0
/*
 * Symbol exports of rrelay.ko.  The functions are written in Rust; Rust
 * cannot emit EXPORT_SYMBOL_GPL() entries, so this file does it for them.
 */

#include <linux/export.h>
#include <rrelay.h>

EXPORT_SYMBOL_GPL(rrelay_channel_version);
