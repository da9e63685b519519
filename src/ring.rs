// SPDX-License-Identifier: GPL-2.0

//! Sub-buffer arithmetic of a relay buffer.
//!
//! Nothing here touches the kernel: the module compiles this file into
//! `rrelay.ko` and `tests/host` compiles the very same file for `cargo test`,
//! so the arithmetic that decides what user space sees is checked on the host
//! against a model as well as in the guest.

/// The shape of every buffer of a channel: `n_subbufs` sub-buffers of
/// `subbuf_size` bytes, laid out back to back in one allocation whose size
/// is rounded up to whole pages (so it can be mapped into user space).
///
/// # Invariants
///
/// `subbuf_size` and `n_subbufs` are non-zero, `subbuf_size * n_subbufs`
/// fits in a `u32` (mainline's limit, so a size accepted here is accepted
/// there too), and `alloc_size` is that product rounded up to `page_size`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    subbuf_size: usize,
    n_subbufs: usize,
    alloc_size: usize,
}

impl Geometry {
    /// Validates the sizes a client passes to `relay_open()`.
    ///
    /// Returns `None` where mainline's `relay_open()` returns NULL: a zero
    /// size or count, or a product above `u32::MAX`.  It also refuses a
    /// `page_size` that is not a power of two, and a product whose page
    /// rounding would overflow `usize`.
    pub const fn new(subbuf_size: usize, n_subbufs: usize, page_size: usize) -> Option<Self> {
        if subbuf_size == 0 || n_subbufs == 0 || !page_size.is_power_of_two() {
            return None;
        }
        if subbuf_size > u32::MAX as usize / n_subbufs {
            return None;
        }
        let bytes = subbuf_size * n_subbufs;
        let alloc_size = match bytes.checked_add(page_size - 1) {
            Some(v) => v & !(page_size - 1),
            None => return None,
        };
        // INVARIANT: checked above.
        Some(Self {
            subbuf_size,
            n_subbufs,
            alloc_size,
        })
    }

    /// Bytes in one sub-buffer.
    pub const fn subbuf_size(&self) -> usize {
        self.subbuf_size
    }

    /// Sub-buffers in one buffer.
    pub const fn n_subbufs(&self) -> usize {
        self.n_subbufs
    }

    /// Bytes allocated (and mappable) for one buffer: whole pages.
    pub const fn alloc_size(&self) -> usize {
        self.alloc_size
    }

    /// Offset in the buffer of the sub-buffer that the `produced`-th switch
    /// moves to; sub-buffers are reused in a ring.
    pub const fn subbuf_offset(&self, produced: usize) -> usize {
        (produced % self.n_subbufs) * self.subbuf_size
    }
}
