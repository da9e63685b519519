// SPDX-License-Identifier: GPL-2.0

// The structures of <linux/relay.h> (Linux 7.3) as Rust sees them: the one
// mirror of them, shared by rrelay.ko (src/abi.rs) and by the safe Rust API
// that clients compile into themselves (include/rrelay/relay.rs).  Not a
// module of its own: each user include!()s it into a module that also holds
// `c_layout`, the constants generated from this kernel's C view of the
// header (relay_layout.c, through layout.kbuild or rrelay's Kbuild).  The
// assertions at the end fail the build on any difference in size, alignment
// or offset, whatever the kernel's configuration (lockdep, for one, changes
// the size of the wait queue inside `rchan_buf`).
//
// No inner attributes or `//!` comments here: include!() does not take them.

use kernel::bindings;
use kernel::ffi::{c_char, c_int, c_uint, c_void};

/// `RELAYFS_CHANNEL_VERSION`: the version of these structures.
pub(crate) const CHANNEL_VERSION: u32 = 7;

/// `NAME_MAX`: the size of `rchan::base_filename`.
pub(crate) const NAME_MAX: usize = 255;

/// `RELAY_STATS_BUF_FULL`: `relay_stats()` flag for `full_count`.
pub(crate) const RELAY_STATS_BUF_FULL: c_int = 1 << 0;
/// `RELAY_STATS_WRT_BIG`: `relay_stats()` flag for `big_count`.
pub(crate) const RELAY_STATS_WRT_BIG: c_int = 1 << 1;
/// `RELAY_STATS_LAST`: the highest flag `relay_stats()` accepts.
pub(crate) const RELAY_STATS_LAST: c_int = RELAY_STATS_WRT_BIG;

/// `struct rchan_buf_stats`.
#[repr(C)]
pub(crate) struct RchanBufStats {
    pub(crate) full_count: c_uint,
    pub(crate) big_count: c_uint,
}

/// `struct rchan_buf`: one buffer of a channel (per CPU, or the global one).
///
/// The header declares it `____cacheline_aligned`; the alignment assertion
/// below checks that 64 is this kernel's `SMP_CACHE_BYTES`.
#[repr(C, align(64))]
pub(crate) struct RchanBuf {
    pub(crate) start: *mut c_void,
    pub(crate) data: *mut c_void,
    pub(crate) offset: usize,
    pub(crate) subbufs_produced: usize,
    pub(crate) subbufs_consumed: usize,
    pub(crate) chan: *mut Rchan,
    pub(crate) read_wait: bindings::wait_queue_head,
    pub(crate) wakeup_work: bindings::irq_work,
    pub(crate) dentry: *mut bindings::dentry,
    pub(crate) kref: bindings::kref,
    pub(crate) stats: RchanBufStats,
    pub(crate) page_array: *mut *mut bindings::page,
    pub(crate) page_count: c_uint,
    pub(crate) finalized: c_uint,
    pub(crate) padding: *mut usize,
    pub(crate) bytes_consumed: usize,
    pub(crate) early_bytes: usize,
    pub(crate) cpu: c_uint,
}

/// `struct rchan`: a channel.
#[repr(C)]
pub(crate) struct Rchan {
    pub(crate) version: u32,
    pub(crate) subbuf_size: usize,
    pub(crate) n_subbufs: usize,
    pub(crate) alloc_size: usize,
    pub(crate) cb: *const RchanCallbacks,
    pub(crate) kref: bindings::kref,
    pub(crate) private_data: *mut c_void,
    /// `struct rchan_buf * __percpu *`: a per-CPU slot for each buffer.
    pub(crate) buf: *mut *mut RchanBuf,
    pub(crate) is_global: c_int,
    pub(crate) list: bindings::list_head,
    pub(crate) parent: *mut bindings::dentry,
    pub(crate) has_base_filename: c_int,
    pub(crate) base_filename: [c_char; NAME_MAX],
}

/// `subbuf_start` callback: return 1 to go on logging, 0 to stop.
pub(crate) type SubbufStartFn =
    unsafe extern "C" fn(buf: *mut RchanBuf, subbuf: *mut c_void, prev: *mut c_void) -> c_int;

/// `create_buf_file` callback.
pub(crate) type CreateBufFileFn = unsafe extern "C" fn(
    filename: *const c_char,
    parent: *mut bindings::dentry,
    mode: bindings::umode_t,
    buf: *mut RchanBuf,
    is_global: *mut c_int,
) -> *mut bindings::dentry;

/// `remove_buf_file` callback.
pub(crate) type RemoveBufFileFn = unsafe extern "C" fn(dentry: *mut bindings::dentry) -> c_int;

/// `struct rchan_callbacks`.
#[repr(C)]
pub(crate) struct RchanCallbacks {
    pub(crate) subbuf_start: Option<SubbufStartFn>,
    pub(crate) create_buf_file: Option<CreateBufFileFn>,
    pub(crate) remove_buf_file: Option<RemoveBufFileFn>,
}

macro_rules! assert_layout {
    ($ty:ty, size $size:ident, align $align:ident, { $($field:ident => $off:ident),* $(,)? }) => {
        const _: () = {
            assert!(core::mem::size_of::<$ty>() == c_layout::$size);
            assert!(core::mem::align_of::<$ty>() == c_layout::$align);
            $(assert!(core::mem::offset_of!($ty, $field) == c_layout::$off);)*
        };
    };
}

assert_layout!(RchanBuf, size RCHAN_BUF_SIZE, align RCHAN_BUF_ALIGN, {
    start => RCHAN_BUF_start,
    data => RCHAN_BUF_data,
    offset => RCHAN_BUF_offset,
    subbufs_produced => RCHAN_BUF_subbufs_produced,
    subbufs_consumed => RCHAN_BUF_subbufs_consumed,
    chan => RCHAN_BUF_chan,
    read_wait => RCHAN_BUF_read_wait,
    wakeup_work => RCHAN_BUF_wakeup_work,
    dentry => RCHAN_BUF_dentry,
    kref => RCHAN_BUF_kref,
    stats => RCHAN_BUF_stats,
    page_array => RCHAN_BUF_page_array,
    page_count => RCHAN_BUF_page_count,
    finalized => RCHAN_BUF_finalized,
    padding => RCHAN_BUF_padding,
    bytes_consumed => RCHAN_BUF_bytes_consumed,
    early_bytes => RCHAN_BUF_early_bytes,
    cpu => RCHAN_BUF_cpu,
});

assert_layout!(Rchan, size RCHAN_SIZE, align RCHAN_ALIGN, {
    version => RCHAN_version,
    subbuf_size => RCHAN_subbuf_size,
    n_subbufs => RCHAN_n_subbufs,
    alloc_size => RCHAN_alloc_size,
    cb => RCHAN_cb,
    kref => RCHAN_kref,
    private_data => RCHAN_private_data,
    buf => RCHAN_buf,
    is_global => RCHAN_is_global,
    list => RCHAN_list,
    parent => RCHAN_parent,
    has_base_filename => RCHAN_has_base_filename,
    base_filename => RCHAN_base_filename,
});

const _: () = {
    assert!(core::mem::size_of::<RchanCallbacks>() == c_layout::RCHAN_CALLBACKS_SIZE);
    assert!(
        core::mem::offset_of!(RchanCallbacks, subbuf_start)
            == c_layout::RCHAN_CALLBACKS_subbuf_start
    );
    assert!(
        core::mem::offset_of!(RchanCallbacks, create_buf_file)
            == c_layout::RCHAN_CALLBACKS_create_buf_file
    );
    assert!(
        core::mem::offset_of!(RchanCallbacks, remove_buf_file)
            == c_layout::RCHAN_CALLBACKS_remove_buf_file
    );
    assert!(core::mem::size_of::<RchanBufStats>() == c_layout::RCHAN_BUF_STATS_SIZE);
    assert!(CHANNEL_VERSION as usize == c_layout::RELAYFS_CHANNEL_VERSION_);
    assert!(NAME_MAX == c_layout::NAME_MAX_);
};
