// SPDX-License-Identifier: GPL-2.0

//! Pins of sub-buffers held by pipe buffers: a splice moves a completed
//! sub-buffer's pages into a pipe by reference, and the writer must not
//! come back into that sub-buffer until the pipe lets them go.

use crate::abi::RchanBuf;
use kernel::sync::atomic::{ordering, Atomic};

/// The pins of one sub-buffer: how many pipe buffers hold its pages by
/// reference.  A pipe buffer's `private` word points here, so it also
/// names the buffer, for the reference each pipe buffer holds on it.
pub(crate) struct PinSlot {
    pub(crate) pins: Atomic<i32>,
    pub(crate) buf: *mut RchanBuf,
}

impl PinSlot {
    /// Takes one more pin, as a pipe buffer is duplicated (`tee()`); the
    /// sub-buffer is pinned already, so no handshake with the writer.
    pub(crate) fn pin_again(&self) {
        self.pins.add(1, ordering::Relaxed);
    }

    /// Drops one pin.  Release: the pipe's reads of the pages come before
    /// the writer's next writes into them.
    pub(crate) fn unpin(&self) {
        self.pins.fetch_sub(1, ordering::Release);
    }

    /// The buffer whose sub-buffer this is.
    pub(crate) fn buf(&self) -> *mut RchanBuf {
        self.buf
    }
}
