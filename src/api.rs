// SPDX-License-Identifier: GPL-2.0

//! The exported kernel API of relay: open, close, flush, reset, consumed,
//! full, stats.
//!
//! Each function keeps the name, signature and behaviour of mainline 7.3
//! (`kernel/relay.c`), since C clients call them through the stock header.
//! The structures are the C ones (`crate::abi`), shared with the clients'
//! inlined `relay_write()`; the sub-buffer arithmetic is `crate::ring`'s.

use crate::abi::{self, Rchan, RchanBuf, RchanCallbacks};
use crate::buffer::{close_buf, open_buf, reset_buf, BufState};
use crate::channel::{chan_put, for_each_buf, for_each_buf_of_client, Channel};
use crate::ring::{self, Geometry};
use crate::sys;
use crate::write::relay_switch_subbuf;
use core::ptr;
use kernel::alloc::{flags::GFP_KERNEL, KBox};
use kernel::bindings;
use kernel::ffi::{c_char, c_int, c_uint, c_void};
use kernel::page::PAGE_SIZE;

/// `relay_open()`: creates a channel with a buffer (and, with a base name, a
/// file) per online CPU, or one global buffer if `create_buf_file` asks.
///
/// Returns null for a zero size or count, sizes whose product exceeds
/// `UINT_MAX`, missing mandatory callbacks, or when memory or a file could
/// not be had; nothing is left behind then.
///
/// # Safety
///
/// A non-null `base_filename` is NUL-terminated; `parent` is what the
/// client's `create_buf_file` expects; a non-null `cb` outlives the channel.
#[cfg_attr(not(CONFIG_RELAY), export_name = "relay_open")]
#[cfg_attr(CONFIG_RELAY, export_name = "rrelay_open")]
pub(crate) unsafe extern "C" fn relay_open(
    base_filename: *const c_char,
    parent: *mut bindings::dentry,
    subbuf_size: usize,
    n_subbufs: usize,
    cb: *const RchanCallbacks,
    private_data: *mut c_void,
) -> *mut Rchan {
    let Some(geo) = Geometry::new(subbuf_size, n_subbufs, PAGE_SIZE) else {
        return ptr::null_mut();
    };
    // SAFETY: A non-null `cb` points to the client's callbacks.
    if cb.is_null() || unsafe { (*cb).create_buf_file.is_none() || (*cb).remove_buf_file.is_none() }
    {
        return ptr::null_mut();
    }
    let channel = Channel {
        // SAFETY: All-zero is a valid `Rchan`.
        rchan: unsafe { core::mem::zeroed::<Rchan>() },
        geo,
        // SAFETY: `cb` is non-null (checked above) and the client's.
        subbuf_start: unsafe { (*cb).subbuf_start },
    };
    let Ok(boxed) = KBox::new(channel, GFP_KERNEL) else {
        return ptr::null_mut();
    };
    // INVARIANT: every channel handed out is the first field of a `Channel`.
    let chan = KBox::into_raw(boxed).cast::<Rchan>();
    let slots = sys::alloc_buf_slots();
    if slots.is_null() {
        // SAFETY: `chan` is ours alone and came from `KBox::into_raw`.
        drop(unsafe { KBox::from_raw(chan.cast::<Channel>()) });
        return ptr::null_mut();
    }
    // SAFETY: `chan` is ours alone until returned.
    unsafe {
        (*chan).version = abi::CHANNEL_VERSION;
        (*chan).subbuf_size = geo.subbuf_size();
        (*chan).n_subbufs = geo.n_subbufs();
        (*chan).alloc_size = geo.alloc_size();
        (*chan).parent = parent;
        (*chan).private_data = private_data;
        (*chan).cb = cb;
        (*chan).buf = slots;
        if !base_filename.is_null() {
            (*chan).has_base_filename = 1;
            // strscpy(): copy at most NAME_MAX - 1 bytes, always terminate.
            let dst = &raw mut (*chan).base_filename;
            let mut i = 0;
            while i < abi::NAME_MAX - 1 && *base_filename.add(i) != 0 {
                (*dst)[i] = *base_filename.add(i);
                i += 1;
            }
        }
        sys::kref_init(&raw mut (*chan).kref);
    }

    let guard = sys::ChannelsGuard::lock();
    for cpu in sys::cpus(true) {
        // SAFETY: `chan` is set up; the lock is held.
        let buf = unsafe { open_buf(chan, cpu) };
        if buf.is_null() {
            // SAFETY: Every buffer in a slot holds relay's reference.
            unsafe {
                let mut seen = ptr::null_mut();
                for_each_buf(chan, false, |b| {
                    if b != seen {
                        seen = b;
                        close_buf(b);
                    }
                });
                chan_put(chan);
            }
            return ptr::null_mut();
        }
        // SAFETY: `cpu` is online, so below `nr_cpu_ids`.
        unsafe { *sys::buf_slot((*chan).buf, cpu) = buf };
    }
    // SAFETY: `chan` is set up; `relay_close` takes it off the list.
    unsafe { guard.add(chan) };
    chan
}

/// Gives `chan` a buffer for `cpu` if it has none: called for every
/// channel when a CPU is being brought up.  0, or `-ENOMEM`.
///
/// # Safety
///
/// `chan` is on the channels list; the channels lock is held.
#[no_mangle]
pub(crate) unsafe extern "C" fn rrelay_open_cpu_buf(chan: *mut Rchan, cpu: c_uint) -> c_int {
    // SAFETY: `chan` is live (on the list); `cpu` is a possible CPU.
    unsafe {
        let slot = sys::buf_slot((*chan).buf, cpu);
        if !(*slot).is_null() {
            return 0;
        }
        let buf = open_buf(chan, cpu);
        if buf.is_null() {
            return -(bindings::ENOMEM as c_int);
        }
        *slot = buf;
    }
    0
}

/// `relay_close()`: closes every buffer and drops the channel.  Buffers
/// with open files live on until the files are released.
///
/// # Safety
///
/// `chan` is null or an open channel, given up by the caller.
#[cfg_attr(not(CONFIG_RELAY), export_name = "relay_close")]
#[cfg_attr(CONFIG_RELAY, export_name = "rrelay_close")]
pub(crate) unsafe extern "C" fn relay_close(chan: *mut Rchan) {
    if chan.is_null() {
        return;
    }
    let guard = sys::ChannelsGuard::lock();
    // SAFETY: The client passes its live channel and gives up its use; it
    // is on the list since `relay_open` returned it.
    unsafe {
        for_each_buf(chan, false, |buf| close_buf(buf));
        guard.remove(chan);
        chan_put(chan);
    }
}

/// `relay_flush()`: forces a sub-buffer switch on every buffer, so readers
/// see (and poll reports) what the current sub-buffers hold.
///
/// # Safety
///
/// `chan` is null or an open channel.
#[cfg_attr(not(CONFIG_RELAY), export_name = "relay_flush")]
#[cfg_attr(CONFIG_RELAY, export_name = "rrelay_flush")]
pub(crate) unsafe extern "C" fn relay_flush(chan: *mut Rchan) {
    // SAFETY: The client passes null or its live channel.
    let global = !chan.is_null() && unsafe { (*chan).is_global } != 0;
    // SAFETY: As above.
    unsafe {
        for_each_buf_of_client(chan, |buf| {
            if global {
                // The client's lock serialises its writers, as in mainline.
                relay_switch_subbuf(buf, 0);
            } else {
                // On the buffer's CPU, between its writer's records: a
                // switch from here would race that writer (as mainline's
                // does), which could then write into a sub-buffer already
                // completed, and pinned by a splice.
                sys::flush_on_buf_cpu(buf);
            }
        })
    };
}

/// `relay_reset()`: empties every buffer and restarts it at its first
/// sub-buffer.  Process context, with no writer active (as in mainline).
///
/// # Safety
///
/// `chan` is null or an open channel with no writer active.
#[cfg_attr(not(CONFIG_RELAY), export_name = "relay_reset")]
#[cfg_attr(CONFIG_RELAY, export_name = "rrelay_reset")]
pub(crate) unsafe extern "C" fn relay_reset(chan: *mut Rchan) {
    // SAFETY: The client passes null or its live channel.
    unsafe { for_each_buf_of_client(chan, |buf| reset_buf(buf, false)) };
}

/// `relay_subbufs_consumed()`: a client reports `consumed` more
/// sub-buffers of `cpu`'s buffer as read.
///
/// # Safety
///
/// `chan` is null or an open channel.
#[cfg_attr(not(CONFIG_RELAY), export_name = "relay_subbufs_consumed")]
#[cfg_attr(CONFIG_RELAY, export_name = "rrelay_subbufs_consumed")]
pub(crate) unsafe extern "C" fn relay_subbufs_consumed(
    chan: *mut Rchan,
    cpu: c_uint,
    consumed: usize,
) {
    if chan.is_null() || cpu >= sys::nr_cpu_ids() {
        return;
    }
    // SAFETY: The client passes its live channel; `cpu` is in range.
    let buf = unsafe { *sys::buf_slot((*chan).buf, cpu) };
    if buf.is_null() {
        return;
    }
    // SAFETY: A buffer in a slot of a live channel is live.
    let mut s = unsafe { BufState::new(buf) };
    let geo = *s.geometry();
    ring::subbufs_consumed(&mut s, &geo, consumed);
}

/// `relay_buf_full()`: 1 when every sub-buffer holds unread data.
///
/// # Safety
///
/// `buf` is a live buffer.
#[cfg_attr(not(CONFIG_RELAY), export_name = "relay_buf_full")]
#[cfg_attr(CONFIG_RELAY, export_name = "rrelay_buf_full")]
pub(crate) unsafe extern "C" fn relay_buf_full(buf: *mut RchanBuf) -> c_int {
    // SAFETY: The client passes a live buffer.
    let s = unsafe { BufState::new(buf) };
    c_int::from(ring::is_full(&s, s.geometry()))
}

/// `relay_stats()`: the sum over buffers of `full_count`
/// (`RELAY_STATS_BUF_FULL`) or `big_count` (`RELAY_STATS_WRT_BIG`).
/// Exported, unlike mainline, so clients can see their drops.
///
/// # Safety
///
/// `chan` is null or an open channel.
#[cfg_attr(not(CONFIG_RELAY), export_name = "relay_stats")]
#[cfg_attr(CONFIG_RELAY, export_name = "rrelay_stats")]
pub(crate) unsafe extern "C" fn relay_stats(chan: *mut Rchan, flags: c_int) -> usize {
    if chan.is_null() || flags > abi::RELAY_STATS_LAST {
        return 0;
    }
    let mut count: c_uint = 0;
    // SAFETY: The client passes its live channel.
    unsafe {
        for_each_buf(chan, true, |buf| {
            let stats = &raw const (*buf).stats;
            if flags & abi::RELAY_STATS_BUF_FULL != 0 {
                count = count.wrapping_add(ptr::read_volatile(&raw const (*stats).full_count));
            } else if flags & abi::RELAY_STATS_WRT_BIG != 0 {
                count = count.wrapping_add(ptr::read_volatile(&raw const (*stats).big_count));
            }
        })
    };
    count as usize
}
