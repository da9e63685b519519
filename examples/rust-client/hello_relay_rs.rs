// SPDX-License-Identifier: GPL-2.0

//! hello_relay_rs - a minimal relay client in Rust.
//!
//! At load it opens a channel with one buffer per CPU, seen as
//! `/sys/kernel/debug/hello_relay_rs/cpu0` ... `cpuN`, logs `records` text
//! lines `hello_relay_rs seq=<n>` and flushes. Unloading closes the channel
//! and removes the directory.
//!
//! It uses rrelay's safe Rust API, `mod relay`, which rrelay installs
//! beside its C header and this module compiles into itself (see Kbuild).

use kernel::prelude::*;
use kernel::str::CString;

include!(env!("RRELAY_RUST_API"));
use relay::{Channel, Config, Dir};

module! {
    type: HelloRelay,
    name: "hello_relay_rs",
    authors: ["rrelay developers"],
    description: "Minimal relay client in Rust",
    license: "GPL",
    params: {
        records: u32 {
            default: 100,
            description: "lines to log at load",
        },
    },
}

struct HelloRelay {
    _chan: Channel,
}

impl kernel::Module for HelloRelay {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let dir = Dir::new(c"hello_relay_rs")?;
        // Per CPU: 4 sub-buffers of 4 KiB; files cpu0, cpu1, ... in dir.
        let chan = Channel::open(&Config::new(c"cpu").parent(&dir).subbufs(4096, 4))?;
        for seq in 0..module_parameters::records.value() {
            let line = CString::try_from_fmt(fmt!("hello_relay_rs seq={seq}\n"))?;
            chan.write(line.to_bytes());
        }
        chan.flush();
        // The channel keeps the directory; dropping it closes both.
        Ok(HelloRelay { _chan: chan })
    }
}
