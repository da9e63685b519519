// SPDX-License-Identifier: GPL-2.0

//! The channel object (`struct rchan` and what only rrelay keeps beside
//! it), its reference count and the walk over its buffers.

use crate::abi::{Rchan, RchanBuf, SubbufStartFn};
use crate::ring::Geometry;
use crate::sys;
use kernel::alloc::KBox;

/// A channel as rrelay allocates it: the C `struct rchan` clients see,
/// followed by what only rrelay needs.
///
/// # Invariants
///
/// Every `Rchan` rrelay hands out is the `rchan` field of a `Channel`, and
/// `geo` is the geometry of its sizes.
#[repr(C)]
pub(crate) struct Channel {
    pub(crate) rchan: Rchan,
    /// Validated once by `relay_open`, so the write path's sub-buffer
    /// switch never divides or fails to rebuild it.
    pub(crate) geo: Geometry,
    /// The client's `subbuf_start`, read once by `relay_open` (the
    /// callbacks may not change under a channel): one load on the switch
    /// rather than three.
    pub(crate) subbuf_start: Option<SubbufStartFn>,
}

/// The rrelay side of a channel rrelay made.
///
/// # Safety
///
/// `chan` is live and came from `relay_open`.
pub(crate) unsafe fn channel_of<'a>(chan: *mut Rchan) -> &'a Channel {
    // SAFETY: `rchan` is the first field of a `repr(C)` `Channel` (type
    // invariant), so the pointers coincide; the caller keeps it live.
    unsafe { &*chan.cast::<Channel>() }
}

///
/// # Safety
///
/// The caller owns one reference on `chan`.
pub(crate) unsafe fn chan_put(chan: *mut Rchan) {
    // SAFETY: Per the contract.
    if unsafe { sys::kref_put(&raw mut (*chan).kref) } {
        // SAFETY: No buffer and no caller references `chan` any more.
        unsafe {
            sys::free_buf_slots((*chan).buf);
            drop(KBox::from_raw(chan.cast::<Channel>()));
        }
    }
}

/// Allocates a buffer of `chan`'s geometry (`relay_create_buf()`): the

/// The buffers of a channel, each once: the global one, or one per CPU
/// that has one.
///
/// # Safety
///
/// `chan` is live; the caller keeps buffers from being freed meanwhile.
pub(crate) unsafe fn for_each_buf(
    chan: *mut Rchan,
    online: bool,
    mut f: impl FnMut(*mut RchanBuf),
) {
    // SAFETY: Per the contract.
    unsafe {
        if (*chan).is_global != 0 {
            let buf = *sys::buf_slot((*chan).buf, 0);
            if !buf.is_null() {
                f(buf);
            }
            return;
        }
        for cpu in sys::cpus(online) {
            let buf = *sys::buf_slot((*chan).buf, cpu);
            if !buf.is_null() {
                f(buf);
            }
        }
    }
}

/// Runs `f` on every buffer of a client's channel (nothing for null), as
/// `relay_flush()` and `relay_reset()` do in mainline: a global buffer
/// directly (it cannot come or go), per-CPU buffers under the channels
/// lock, which CPU hotplug also takes.
///
/// # Safety
///
/// `chan` is null or a live channel.
pub(crate) unsafe fn for_each_buf_of_client(chan: *mut Rchan, mut f: impl FnMut(*mut RchanBuf)) {
    if chan.is_null() {
        return;
    }
    // SAFETY: `chan` is live.
    if unsafe { (*chan).is_global } != 0 {
        // SAFETY: As above; slot 0 holds the global buffer.
        let buf = unsafe { *sys::buf_slot((*chan).buf, 0) };
        if !buf.is_null() {
            f(buf);
        }
        return;
    }
    let _guard = sys::ChannelsGuard::lock();
    // SAFETY: `chan` is live; the lock keeps its buffers in place.
    unsafe { for_each_buf(chan, false, f) };
}
