// SPDX-License-Identifier: GPL-2.0

//! The buffers in a channel's per-CPU slots, typed: which buffer a CPU
//! has, installing relay's reference, closing them all.  Above `chan`
//! (which holds the slots as raw pointers) and `buf`.

use super::buf::Buf;
use super::chan::Chan;
use crate::abi::RchanBuf;
use core::ptr::NonNull;
use kernel::interrupt::LocalInterruptDisabled;
use kernel::sync::aref::ARef;

// These signatures are those of the C definitions (`src/helpers.c`,
// declared in `src/rrelay_internal.h`), with pointers as references where
// the C side needs them live; each one declared `safe` has its argument
// beside it.
#[allow(improper_ctypes)]
unsafe extern "C" {
    /// Safe: the chan is live; reads this CPU's slot.
    safe fn rrelay_this_cpu_buf(chan: &Chan) -> *mut RchanBuf;
}

/// The buffers in a channel's slots (see the invariants of [`Chan`]).
impl Chan {
    /// The buffer in `cpu`'s slot, if any.
    pub(crate) fn buf(&self, cpu: u32) -> Option<&Buf> {
        let buf = self.slot(cpu);
        // SAFETY: A non-null slot of an open channel names a live buffer
        // (`Chan`'s invariants), which `&self` outlives no more than the
        // channel is open.
        (!buf.is_null()).then(|| unsafe { Buf::from_raw(buf) })
    }

    /// Puts `buf` in `cpu`'s slot, which keeps the reference as relay's
    /// own (dropped by [`Chan::close_bufs`]).  Under the channels lock, or
    /// with the channel not published yet.
    pub(crate) fn install(&self, cpu: u32, buf: ARef<Buf>) {
        self.set_slot(cpu, ARef::into_raw(buf).as_ptr().cast());
    }

    /// Shows `buf`, in a slot already, in `cpu`'s slot too (a global
    /// buffer is every CPU's).
    pub(crate) fn share(&self, cpu: u32, buf: &Buf) {
        self.set_slot(cpu, buf.as_raw());
    }

    /// `relay_close_buf()` of every buffer: drops relay's references
    /// (each buffer once: the global one, or those of the possible CPUs).
    /// Called once, by the holder of the channel's reference (`relay_open`
    /// failing, or `relay_close`), under the channels lock.
    pub(crate) fn close_bufs(&self) {
        let close = |cpu| {
            if let Some(buf) = NonNull::new(self.slot(cpu).cast::<Buf>()) {
                // SAFETY: The slot holds relay's reference (`Chan`'s
                // invariants), given up once here.
                Buf::close(unsafe { ARef::from_raw(buf) });
            }
        };
        if self.is_global() {
            close(0);
        } else {
            super::cpu::cpus(false).for_each(close);
        }
    }

    /// The buffer of the CPU running the caller, which keeps interrupts
    /// off meanwhile (the buffer belongs to this CPU until they are back
    /// on).
    #[inline(always)]
    pub(crate) fn this_cpu_buf(&self, _irqs_off: &LocalInterruptDisabled) -> Option<&Buf> {
        let buf = rrelay_this_cpu_buf(self);
        // SAFETY: As in `buf`.
        (!buf.is_null()).then(|| unsafe { Buf::from_raw(buf) })
    }
}
