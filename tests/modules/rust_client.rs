// SPDX-License-Identifier: GPL-2.0

//! A relay client written in Rust, on rrelay's safe API only
//! (`include/rrelay/relay.rs`): no `unsafe`, no `extern` block.
//!
//! At load it opens a channel with files in `/sys/kernel/debug/rust_client/`
//! (`cpu0`...) and logs `records` text lines `rust_client seq=N`: even
//! numbers with `Channel::write`, odd ones filled in place through
//! `Channel::reserve`.  It then asks for a slot larger than a sub-buffer,
//! which relay must refuse and count, checks that `Channel::stats` says so
//! (failing the load if not), and flushes.  At unload the channel closes.
//! The guest tests read the lines back.

use core::fmt::Write;
use kernel::prelude::*;

include!(env!("RRELAY_RUST_API"));
use relay::{Channel, Config, Dir, Mode, Stats};

module! {
    type: RustClient,
    name: "rust_client",
    authors: ["rrelay developers"],
    description: "relay client written in Rust",
    license: "GPL",
    params: {
        records: u32 {
            default: 100,
            description: "records to log at load",
        },
    },
}

const SUBBUF_SIZE: usize = 4096;

/// One line of text, formatted on the stack.
struct Line([u8; 48], usize);

impl Write for Line {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = self.1 + s.len();
        self.0
            .get_mut(self.1..end)
            .ok_or(core::fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.1 = end;
        Ok(())
    }
}

impl Line {
    fn bytes(&self) -> &[u8] {
        &self.0[..self.1]
    }
}

struct RustClient {
    _chan: Channel,
}

impl kernel::Module for RustClient {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let dir = Dir::new(c"rust_client")?;
        let chan = Channel::open(
            &Config::new(c"cpu")
                .parent(&dir)
                .subbufs(SUBBUF_SIZE, 8)
                .mode(Mode::NoOverwrite),
        )?;
        for seq in 0..module_parameters::records.value() {
            let mut line = Line([0; 48], 0);
            writeln!(line, "rust_client seq={seq}").map_err(|_| EINVAL)?;
            if seq % 2 == 0 {
                chan.write(line.bytes());
            } else {
                let mut slot = chan.reserve(line.bytes().len()).ok_or(ENOSPC)?;
                slot.copy_from_slice(line.bytes());
            }
        }
        // Larger than a sub-buffer: refused and counted.
        let refused = chan.reserve(SUBBUF_SIZE + 1).is_none();
        let stats = chan.stats();
        if !refused || stats != (Stats { full: 0, big: 1 }) {
            pr_err!("rust_client: stats {:?}, want one big record\n", stats);
            return Err(EINVAL);
        }
        chan.flush();
        Ok(RustClient { _chan: chan })
    }
}
