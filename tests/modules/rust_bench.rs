// SPDX-License-Identifier: GPL-2.0

//! Write-path cost of rrelay's safe Rust API (`include/rrelay/relay.rs`),
//! beside relay_bench.c's C inlines in the same boot (scripts/bench).
//!
//! At load it measures, for each sub-buffer size (1 MiB, 4 KiB; 8
//! sub-buffers, overwrite mode, as relay_bench's `run`) and record size (8
//! to 4096 bytes), `count` calls of `Channel::write` and of
//! `Channel::reserve` + fill, and logs one line each:
//!
//!     rrelay-bench rust SIZE COUNT SUBBUF write reserve+fill
//!
//! in nanoseconds per record (guest instructions under QEMU's `-icount
//! shift=0`).  The guest's bench job copies the lines to the host.

use kernel::prelude::*;
use kernel::time::{Instant, Monotonic};

include!(env!("RRELAY_RUST_API"));
use relay::{Channel, Config, Dir, Mode};

module! {
    type: RustBench,
    name: "rust_bench",
    authors: ["rrelay developers"],
    description: "write-path cost of rrelay's Rust API",
    license: "GPL",
    params: {
        count: u32 {
            default: 20000,
            description: "records per measurement",
        },
    },
}

/// Nanoseconds per record of `count` calls of `f`.
fn per_record(count: u32, mut f: impl FnMut()) -> i64 {
    let t0 = Instant::<Monotonic>::now();
    for _ in 0..count {
        f();
    }
    // checked: a division the compiler cannot prove safe would panic.
    t0.elapsed()
        .as_nanos()
        .checked_div(i64::from(count))
        .unwrap_or(0)
}

struct RustBench;

impl kernel::Module for RustBench {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let count = module_parameters::count.value().max(1);
        let dir = Dir::new(c"rust_bench")?;
        let rec = KVec::from_elem(0u8, 4096, GFP_KERNEL)?;
        for subbuf in [1 << 20, 4096] {
            for size in [8, 64, 256, 1024, 4096] {
                let chan = Channel::open(
                    &Config::new(c"b")
                        .parent(&dir)
                        .subbufs(subbuf, 8)
                        .mode(Mode::Overwrite),
                )?;
                let rec = &rec[..size];
                let write = per_record(count, || chan.write(rec));
                let reserve = per_record(count, || {
                    if let Some(mut slot) = chan.reserve(rec.len()) {
                        slot.copy_from_slice(rec);
                    }
                });
                pr_info!("rrelay-bench rust {size} {count} {subbuf} {write} {reserve}\n");
            }
        }
        Ok(RustBench)
    }
}
