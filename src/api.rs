// SPDX-License-Identifier: GPL-2.0

//! The exported kernel API of relay: open, close, flush, reset, consumed,
//! full, stats.
//!
//! Each function keeps the name, signature and behaviour of mainline 7.3
//! (`kernel/relay.c`), since C clients call them through the stock header.
//! The structures are the C ones (`crate::abi`), shared with the clients'
//! inlined `relay_write()`; the sub-buffer arithmetic is `crate::ring`'s.

use crate::abi::{self, Rchan, RchanBuf, RchanCallbacks};
use crate::buffer::{reset_buf, BufState};
use crate::channel::{for_each_buf, for_each_buf_of_client, open_cpu};
use crate::ring::{self, Geometry};
use crate::sys::buf::Buf;
use crate::sys::chan::{Chan, ChannelsGuard};
use crate::sys::cpu::cpus;
use crate::write::switch_subbuf;
use core::ptr;
use kernel::bindings;
use kernel::ffi::{c_char, c_int, c_uint, c_void};
use kernel::page::PAGE_SIZE;
use kernel::str::{CStr, CStrExt};
use kernel::sync::aref::ARef;

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
    // SAFETY: A non-null `cb` points to the client's callbacks, which
    // outlive the channel; a non-null `base_filename` is NUL-terminated.
    let (cb, base) = unsafe {
        (
            cb.as_ref(),
            base_filename
                .as_ref()
                .map(|_| CStr::from_char_ptr(base_filename)),
        )
    };
    let Some(cb) = cb else {
        return ptr::null_mut();
    };
    match open(
        base.map(CStr::to_bytes),
        parent,
        subbuf_size,
        n_subbufs,
        cb,
        private_data,
    ) {
        // The client's reference, given up by `relay_close`.
        Some(chan) => ARef::into_raw(chan).as_ptr().cast(),
        None => ptr::null_mut(),
    }
}

/// `relay_open()` for Rust callers: the channel, with the caller's
/// reference (for [`close`]), or `None` as `relay_open()` returns null.
pub(crate) fn open(
    base_filename: Option<&[u8]>,
    parent: *mut bindings::dentry,
    subbuf_size: usize,
    n_subbufs: usize,
    cb: &RchanCallbacks,
    private_data: *mut c_void,
) -> Option<ARef<Chan>> {
    let geo = Geometry::new(subbuf_size, n_subbufs, PAGE_SIZE)?;
    let chan = Chan::new(geo, cb, base_filename, parent, private_data)?;
    let guard = ChannelsGuard::lock();
    for cpu in cpus(true) {
        if open_cpu(&chan, cpu).is_err() {
            chan.close_bufs();
            return None;
        }
    }
    // SAFETY: `chan` is set up, not on the list; `close` takes it off
    // before it can be freed (the caller's reference keeps it until then).
    unsafe { guard.add(&chan) };
    Some(chan)
}

/// Gives `chan` a buffer for `cpu` if it has none: called by the CPU
/// hotplug callback of `src/helpers.c` for every channel on the list (so
/// open, which the type of `chan` stands for), under the channels lock,
/// when a CPU is being brought up.  0, or `-ENOMEM`.
#[no_mangle]
pub(crate) extern "C" fn rrelay_open_cpu_buf(chan: &Chan, cpu: c_uint) -> c_int {
    if chan.buf(cpu).is_some() || open_cpu(chan, cpu).is_ok() {
        0
    } else {
        -(bindings::ENOMEM as c_int)
    }
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
    // SAFETY: The client passes null or its open channel, and gives up its
    // reference.
    if let Some(chan) = unsafe { Chan::take_client_ref(chan) } {
        close(chan);
    }
}

/// `relay_close()` for Rust callers, with the reference [`open`] gave.
pub(crate) fn close(chan: ARef<Chan>) {
    let guard = ChannelsGuard::lock();
    chan.close_bufs();
    guard.remove(&chan);
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
    let Some(chan) = (unsafe { Chan::from_raw(chan) }) else {
        return;
    };
    let global = chan.is_global();
    for_each_buf_of_client(chan, |buf| {
        if global {
            // The client's lock serialises its writers, as in mainline.
            switch_subbuf(buf, 0);
        } else {
            // On the buffer's CPU, between its writer's records: a switch
            // from here would race that writer (as mainline's does), which
            // could then write into a sub-buffer already completed, and
            // pinned by a splice.
            buf.flush_on_cpu();
        }
    });
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
    if let Some(chan) = unsafe { Chan::from_raw(chan) } {
        for_each_buf_of_client(chan, reset_buf);
    }
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
    // SAFETY: The client passes null or its live channel.
    let Some(buf) = (unsafe { Chan::from_raw(chan) }).and_then(|c| c.buf(cpu)) else {
        return;
    };
    // A reader: the client read the sub-buffers it gives back.
    let mut s = BufState::for_reader(buf);
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
    let s = BufState::new(unsafe { Buf::from_raw(buf) });
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
    // SAFETY: The client passes null or its live channel.
    let Some(chan) = (unsafe { Chan::from_raw(chan) }) else {
        return 0;
    };
    if flags > abi::RELAY_STATS_LAST {
        return 0;
    }
    let mut count: c_uint = 0;
    for_each_buf(chan, true, |buf| {
        if flags & abi::RELAY_STATS_BUF_FULL != 0 {
            count = count.wrapping_add(buf.full_count());
        } else if flags & abi::RELAY_STATS_WRT_BIG != 0 {
            count = count.wrapping_add(buf.big_count());
        }
    });
    count as usize
}
