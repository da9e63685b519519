// SPDX-License-Identifier: GPL-2.0

//! The C ABI of `<linux/relay.h>` (Linux 7.3): the structures client
//! modules see.
//!
//! Unmodified C clients compile the header's inlines (`relay_write()`,
//! `relay_reserve()`, ...) and so read and write `struct rchan` and
//! `struct rchan_buf` fields themselves.  These mirrors must therefore be
//! laid out exactly as the kernel's C compiler lays out the header, for
//! whatever configuration the kernel has (lockdep, for one, changes the size
//! of the wait queue inside `rchan_buf`).  Kernel types come from
//! `kernel::bindings`, so they have this kernel's sizes; the assertions
//! compare every offset against `c_layout.rs`, which Kbuild generates from
//! the C compiler's view of the real header, and fail the build on any
//! difference.  The mirrors of `<linux/relay.h>` live in
//! `include/rrelay/relay_abi.rs`, shared with the Rust API that clients
//! compile into themselves; those of `<uapi/linux/rrelay.h>` are here.

// The structures of <linux/relay.h> and their layout assertions: one
// source shared with the Rust API for clients.  It brings `bindings` and
// the C integer types into scope for the uapi mirrors below.
include!("../include/rrelay/relay_abi.rs");

#[allow(dead_code, non_upper_case_globals)]
mod c_layout {
    include!("c_layout.rs");
}

/// `struct rrelay_buf_info` of `<uapi/linux/rrelay.h>`.
#[repr(C)]
#[derive(Default)]
pub(crate) struct BufInfo {
    pub(crate) subbuf_size: u64,
    pub(crate) n_subbufs: u64,
    pub(crate) produced: u64,
    pub(crate) consumed: u64,
    pub(crate) offset: u64,
    pub(crate) full_count: u64,
    pub(crate) big_count: u64,
    pub(crate) finalized: u32,
    pub(crate) lost_subbufs: u32,
}

/// `struct rrelay_subbuf` of `<uapi/linux/rrelay.h>`.
#[repr(C)]
#[derive(Default, Clone, Copy)]
pub(crate) struct SubbufInfo {
    pub(crate) index: u64,
    pub(crate) offset: u64,
    pub(crate) length: u64,
    pub(crate) produced: u64,
}

/// `struct rrelay_batch_entry` of `<uapi/linux/rrelay.h>`.
#[repr(C)]
#[derive(Default, Clone, Copy)]
pub(crate) struct BatchEntry {
    pub(crate) offset: u64,
    pub(crate) length: u64,
}

/// `struct rrelay_batch` of `<uapi/linux/rrelay.h>`.
#[repr(C)]
#[derive(Default, Clone, Copy)]
pub(crate) struct Batch {
    pub(crate) first: u64,
    pub(crate) count: u32,
    pub(crate) flags: u32,
    pub(crate) entries: u64,
    pub(crate) max: u32,
    pub(crate) stale: u32,
    pub(crate) produced: u64,
    pub(crate) skipped: u64,
}

/// `RRELAY_BATCH_MAX`: most entries one batch call fills.
pub(crate) const BATCH_MAX: usize = c_layout::RRELAY_BATCH_MAX_;
/// `RRELAY_BATCH_RELEASE_ONLY`.
pub(crate) const BATCH_RELEASE_ONLY: u32 = c_layout::RRELAY_BATCH_RELEASE_ONLY_ as u32;

/// `RRELAY_IOC_INFO`.
pub(crate) const IOC_INFO: u32 = c_layout::RRELAY_IOC_INFO_ as u32;
/// `RRELAY_IOC_SUBBUF`.
pub(crate) const IOC_SUBBUF: u32 = c_layout::RRELAY_IOC_SUBBUF_ as u32;
/// `RRELAY_IOC_CONSUME`.
pub(crate) const IOC_CONSUME: u32 = c_layout::RRELAY_IOC_CONSUME_ as u32;
/// `RRELAY_IOC_BATCH`.
pub(crate) const IOC_BATCH: u32 = c_layout::RRELAY_IOC_BATCH_ as u32;

const _: () = {
    assert!(core::mem::size_of::<BufInfo>() == c_layout::RRELAY_BUF_INFO_SIZE);
    assert!(core::mem::size_of::<SubbufInfo>() == c_layout::RRELAY_SUBBUF_SIZE);
    assert!(core::mem::size_of::<Batch>() == c_layout::RRELAY_BATCH_SIZE);
    assert!(core::mem::size_of::<BatchEntry>() == c_layout::RRELAY_BATCH_ENTRY_SIZE);
    assert!(core::mem::offset_of!(Batch, count) == c_layout::RRELAY_BATCH_COUNT_OFFSET);
    assert!(core::mem::offset_of!(Batch, entries) == c_layout::RRELAY_BATCH_ENTRIES_OFFSET);
    assert!(core::mem::offset_of!(Batch, stale) == c_layout::RRELAY_BATCH_STALE_OFFSET);
    assert!(core::mem::offset_of!(Batch, skipped) == c_layout::RRELAY_BATCH_SKIPPED_OFFSET);
};
