// SPDX-License-Identifier: GPL-2.0

//! The FFI layer: the one place that calls into C, kernel functions from
//! `kernel::bindings` and the helpers of `src/helpers.c` (kernel macros and
//! inlines that Rust cannot call directly), behind typed wrappers that own
//! their invariants, so that the code above needs `unsafe` only where C
//! hands it a raw pointer.
//!
//! Each file declares the C helpers it calls, in an `unsafe extern` block:
//! those whose contract the parameter types express (a `&Buf` is a live,
//! initialised buffer; a `&Pipe` a live, locked pipe) are declared `safe`,
//! with the argument in a comment; the others stay `unsafe` and are called
//! with a `// SAFETY:` argument.
//!
//! From the bottom up (each file uses only those above it in this list,
//! and nothing of the crate's above `sys` but the C structures of
//! `crate::abi`, the arithmetic of `crate::ring` and `crate::pins`):
//!
//! - [`cpu`]: CPU iteration and the hotplug callback;
//! - [`debugfs`]: owned debugfs entries and relay's buffer-file callbacks;
//! - [`pages`]: a buffer's pages and their mapping, owned;
//! - [`chan`]: one channel (`struct rchan`), counted, its per-CPU slots,
//!   and the channels lock and list;
//! - [`insmod`]: the module parameter, ticker and `marker` file of the
//!   channel made at load;
//! - [`buf`]: one buffer (`struct rchan_buf` and rrelay's part), counted
//!   (`ARef<Buf>`), and the accessors of its shared ring fields;
//! - [`slots`]: the buffers in a channel's per-CPU slots, typed;
//! - [`file`](mod@file): buffer files (open, release, the inode lock),
//!   user memory, iov_iters and pipes.

pub(crate) mod buf;
pub(crate) mod chan;
pub(crate) mod cpu;
pub(crate) mod debugfs;
pub(crate) mod file;
pub(crate) mod insmod;
pub(crate) mod pages;
pub(crate) mod slots;
