// SPDX-License-Identifier: GPL-2.0

//! The write path: the sub-buffer switch every client's write falls back
//! on (`relay_switch_subbuf()`, the slow path of the stock C inlines), and
//! the exported write for Rust clients.

use crate::abi::{Rchan, RchanBuf};
use crate::buffer::{subbuf_start_decision, BufState};
use crate::ring::{self, RingState};
use crate::sys;
use core::ptr;
use kernel::ffi::c_void;

/// Switches `buf` to its next sub-buffer (`relay_switch_subbuf()`): the
/// slow path of every write.  Returns `length` when the record now fits,
/// 0 when it must be dropped (buffer full and stopped, or record too big).
///
/// # Safety
///
/// `buf` is a live buffer of the caller's channel, and nothing else writes
/// to it meanwhile (interrupts or preemption off, or the client's lock).
#[cfg_attr(not(CONFIG_RELAY), export_name = "relay_switch_subbuf")]
#[cfg_attr(CONFIG_RELAY, export_name = "rrelay_switch_subbuf")]
pub(crate) unsafe extern "C" fn relay_switch_subbuf(buf: *mut RchanBuf, length: usize) -> usize {
    // SAFETY: Clients pass a live buffer of theirs, from a context where
    // nothing else writes to it (irqs or preemption off, or their lock).
    let mut s = unsafe { BufState::new(buf) };
    let geo = *s.geometry();
    // The completed sub-buffer is published inside (`BufState::publish`).
    ring::switch_subbuf(&mut s, &geo, length, &mut subbuf_start_decision).length
}

/// `relay_write()` as a real function, for clients that cannot use the C
/// header's inline (Rust modules): logs `length` bytes from `data` as one
/// record into the current CPU's buffer.  Beyond mainline.
///
/// # Safety
///
/// `chan` is a live channel; `data` is valid for `length` bytes.
#[export_name = "rrelay_write_record"]
pub(crate) unsafe extern "C" fn rrelay_write_record(
    chan: *mut Rchan,
    data: *const c_void,
    length: usize,
) {
    if chan.is_null() || (data.is_null() && length != 0) {
        return;
    }
    let record = if length == 0 {
        &[][..]
    } else {
        // SAFETY: Per the function's contract.
        unsafe { core::slice::from_raw_parts(data.cast::<u8>(), length) }
    };
    // SAFETY: Per the function's contract.
    unsafe { write(chan, record) }
}

/// `relay_write()` for Rust callers: logs `data` as one record into the
/// current CPU's buffer, from any context but NMI.  A record that does not
/// fit is dropped and counted, as in mainline.
///
/// # Safety
///
/// `chan` is a live channel, not being closed or reset concurrently.
pub(crate) unsafe fn write(chan: *mut Rchan, data: &[u8]) {
    let _irqs_off = kernel::interrupt::local_interrupt_disable();
    // SAFETY: `chan` is live and interrupts are off.
    let buf = unsafe { sys::this_cpu_buf(chan) };
    if buf.is_null() {
        return;
    }
    // SAFETY: The buffer belongs to this CPU while interrupts are off.
    let mut s = unsafe { BufState::new(buf) };
    let geo = *s.geometry();
    let mut len = data.len();
    // Saturating: a parked offset plus any length still does not fit.
    if s.offset().saturating_add(len) > geo.subbuf_size() {
        // SAFETY: As above.
        len = unsafe { relay_switch_subbuf(buf, len) };
    }
    if len == 0 {
        return;
    }
    let off = s.offset();
    let at = s.data().wrapping_add(off);
    // SAFETY: The switch guaranteed `off + len <= subbuf_size`, so the
    // destination lies in the current sub-buffer; `data` is a valid slice.
    unsafe { ptr::copy_nonoverlapping(data.as_ptr(), at, len) };
    // At most `subbuf_size` (see above): no overflow.
    s.set_offset(off.wrapping_add(len));
}
