// SPDX-License-Identifier: GPL-2.0

//! The safe Rust API as a crate of its own, over the stand-in `kernel`.

#![no_std]

include!(env!("RRELAY_RUST_API"));
