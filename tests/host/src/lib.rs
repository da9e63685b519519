// SPDX-License-Identifier: GPL-2.0

//! The module's kernel-independent sources, compiled for the host.
//!
//! Each file is the one `rrelay.ko` is built from, included by path, so a
//! test here exercises exactly the code that runs in the kernel.

#[path = "../../../src/ring.rs"]
pub mod ring;
