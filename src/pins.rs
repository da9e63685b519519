// SPDX-License-Identifier: GPL-2.0

//! Pins of sub-buffers held by pipe buffers: a splice moves a completed
//! sub-buffer's pages into a pipe by reference, and the writer must not
//! come back into that sub-buffer until the pipe lets them go
//! (`ring::pin_for_splice`, and the pin check of the switch).
//!
//! Below the FFI layer: a pin slot only names its buffer by the C
//! structure, so `sys` can hold slots without importing anything above it.

use crate::abi::RchanBuf;
use core::ptr::NonNull;
use kernel::sync::atomic::{ordering, Atomic};

/// The pins of one sub-buffer: how many pipe buffers hold its pages by
/// reference.  A pipe buffer's `private` word points here, so it also
/// names the buffer, for the reference each pipe buffer holds on it.
///
/// # Invariants
///
/// `buf` is the buffer whose pin table holds this slot, so it lives at
/// least as long as the slot.
pub(crate) struct PinSlot {
    pins: Atomic<i32>,
    buf: NonNull<RchanBuf>,
}

impl PinSlot {
    /// A slot of `buf` with no pin.
    pub(crate) fn new(buf: NonNull<RchanBuf>) -> Self {
        // INVARIANT: the caller puts the slot in `buf`'s own pin table.
        Self {
            pins: Atomic::new(0),
            buf,
        }
    }

    /// Takes a pin for a splice reader.  Fully ordered: the pin is visible
    /// before the reader looks at `produced` and `offset`.
    pub(crate) fn pin(&self) {
        self.pins.fetch_add(1, ordering::Full);
    }

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

    /// Whether any pipe buffer holds the sub-buffer; the caller orders
    /// the load after its stores (a full barrier on the writer's side).
    /// Acquire, pairing with [`PinSlot::unpin`]'s release: the pipe's last
    /// reads of the pages come before the writer's next writes there.
    pub(crate) fn is_pinned(&self) -> bool {
        self.pins.load(ordering::Acquire) != 0
    }

    /// The pin count, for the C half of the switch, which loads it after
    /// its full barrier.
    pub(crate) fn count(&self) -> &Atomic<i32> {
        &self.pins
    }

    /// The buffer whose sub-buffer this is.
    pub(crate) fn buf(&self) -> NonNull<RchanBuf> {
        self.buf
    }
}
