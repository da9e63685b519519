// SPDX-License-Identifier: GPL-2.0

//! rrelay: the Linux relay facility (formerly relayfs) as a Rust module.
//!
//! Kernel code logs into per-CPU, sub-buffered ring buffers; user space
//! drains them through files in debugfs.  This crate root declares the
//! module and owns its top-level debugfs directory, `/sys/kernel/debug/rrelay`.

use kernel::debugfs::Dir;
use kernel::prelude::*;

mod ring;

#[cfg(CONFIG_KUNIT)]
mod kunit;

module! {
    type: RRelay,
    name: "rrelay",
    authors: ["rrelay developers"],
    description: "Relay channels: per-CPU sub-buffered ring buffers drained through debugfs",
    license: "GPL",
}

/// The channel format version rrelay implements: `RELAYFS_CHANNEL_VERSION`
/// of Linux 7.3's `<linux/relay.h>`.
const CHANNEL_VERSION: u32 = 7;

/// Returns the relay channel format version this module implements.
///
/// Exported to other modules by `src/exports.c`.
#[no_mangle]
pub extern "C" fn rrelay_channel_version() -> u32 {
    CHANNEL_VERSION
}

struct RRelay {
    _debugfs: Dir,
}

impl kernel::Module for RRelay {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(RRelay {
            _debugfs: Dir::new(c"rrelay"),
        })
    }
}
