// SPDX-License-Identifier: GPL-2.0

//! The write path: the sub-buffer switch every client's write falls back
//! on (`relay_switch_subbuf()`, the slow path of the stock C inlines), and
//! the exported write for Rust clients.

use crate::abi::{Rchan, RchanBuf};
use crate::buffer::{subbuf_start_decision, BufState};
use crate::ring::{self, RingState};
use crate::sys::buf::Buf;
use crate::sys::chan::Chan;
use core::slice;
use kernel::ffi::c_void;

/// Switches `buf` to its next sub-buffer (`relay_switch_subbuf()`): the
/// slow path of every write.  Returns `length` when the record now fits,
/// 0 when it must be dropped (buffer full and stopped, or record too big).
///
/// The caller is the buffer's writer: its CPU with interrupts or
/// preemption off, or the client's lock for a global buffer.  A racing
/// caller garbles the ring's state, not memory: every access is a
/// volatile one through `Buf`, and every index `ring` computes is in
/// range.
pub(crate) fn switch_subbuf(buf: &Buf, length: usize) -> usize {
    // One body, the exported one, so that `ring::switch_subbuf` has one
    // caller and is inlined there (see Documentation/write-path.md).
    // SAFETY: A `&Buf` is a live buffer.
    unsafe { relay_switch_subbuf(buf.as_raw(), length) }
}

/// `relay_switch_subbuf()`, which the stock C inlines call: see
/// [`switch_subbuf`].
///
/// # Safety
///
/// `buf` is a live buffer of the caller's channel, and nothing else writes
/// to it meanwhile (interrupts or preemption off, or the client's lock).
#[cfg_attr(not(CONFIG_RELAY), export_name = "relay_switch_subbuf")]
#[cfg_attr(CONFIG_RELAY, export_name = "rrelay_switch_subbuf")]
pub(crate) unsafe extern "C" fn relay_switch_subbuf(buf: *mut RchanBuf, length: usize) -> usize {
    // SAFETY: Clients pass a live buffer of theirs.
    let mut s = BufState::new(unsafe { Buf::from_raw(buf) });
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
/// `chan` is an open channel; `data` is valid for `length` bytes.
#[export_name = "rrelay_write_record"]
pub(crate) unsafe extern "C" fn rrelay_write_record(
    chan: *mut Rchan,
    data: *const c_void,
    length: usize,
) {
    if data.is_null() && length != 0 {
        return;
    }
    // SAFETY: Per the function's contract.
    let (chan, record) = unsafe {
        let record = if length == 0 {
            &[][..]
        } else {
            slice::from_raw_parts(data.cast::<u8>(), length)
        };
        (Chan::from_raw(chan), record)
    };
    if let Some(chan) = chan {
        write(chan, record);
    }
}

/// `relay_write()` for Rust callers: logs `data` as one record into the
/// current CPU's buffer, from any context but NMI.  A record that does not
/// fit is dropped and counted, as in mainline.
pub(crate) fn write(chan: &Chan, data: &[u8]) {
    let irqs_off = kernel::interrupt::local_interrupt_disable();
    let Some(buf) = chan.this_cpu_buf(&irqs_off) else {
        return;
    };
    let mut s = BufState::new(buf);
    let geo = *s.geometry();
    let mut len = data.len();
    // Saturating: a parked offset plus any length still does not fit.
    if s.offset().saturating_add(len) > geo.subbuf_size() {
        // The buffer belongs to this CPU while interrupts are off.
        len = switch_subbuf(buf, len);
    }
    let Some(record) = data.get(..len).filter(|r| !r.is_empty()) else {
        return;
    };
    let off = s.offset();
    // The switch guaranteed `off + len <= subbuf_size`.
    if buf.copy_record(off, record) {
        // At most `subbuf_size` (see above): no overflow.
        s.set_offset(off.wrapping_add(len));
    }
}
