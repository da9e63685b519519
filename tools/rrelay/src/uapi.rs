// SPDX-License-Identifier: GPL-2.0

//! The structures and ioctls of `<linux/rrelay.h>`
//! (`include/uapi/linux/rrelay.h`), which is the source of truth.

use rustix::ioctl::{opcode, Opcode};

/// `struct rrelay_buf_info`: one buffer at one moment, all counters since
/// the last reset.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BufInfo {
    /// Bytes per sub-buffer.
    pub subbuf_size: u64,
    /// Sub-buffers in the buffer.
    pub n_subbufs: u64,
    /// Sub-buffers completed.
    pub produced: u64,
    /// Sub-buffers consumed.
    pub consumed: u64,
    /// Bytes in the current sub-buffer; `subbuf_size + 1` when the writer
    /// is stopped.
    pub offset: u64,
    /// Records dropped because their sub-buffer switch was refused.
    pub full_count: u64,
    /// Records dropped as larger than a sub-buffer.
    pub big_count: u64,
    /// 1 once the channel is closed.
    pub finalized: u32,
    /// Sub-buffers that `read()` and `splice()` skipped because the writer
    /// lapped them (overwrite mode).
    pub lost_subbufs: u32,
}

impl BufInfo {
    /// Whether the client has closed the channel.
    pub fn is_finalized(&self) -> bool {
        self.finalized != 0
    }

    /// Whether the writer is stopped (the buffer full).
    pub fn is_stopped(&self) -> bool {
        self.offset > self.subbuf_size
    }

    /// Bytes of the whole buffer: what an mmap() of it covers, before
    /// rounding up to pages.
    pub fn buffer_len(&self) -> u64 {
        self.subbuf_size.saturating_mul(self.n_subbufs)
    }

    /// Completed sub-buffers not consumed yet.
    pub fn pending(&self) -> u64 {
        self.produced.saturating_sub(self.consumed)
    }
}

/// `struct rrelay_subbuf`: one complete sub-buffer.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Subbuf {
    /// In: its number (from 0 since the last reset).
    pub index: u64,
    /// Out: where it starts in the mapping.
    pub offset: u64,
    /// Out: bytes of data in it, padding excluded.
    pub length: u64,
    /// Out: sub-buffers completed so far.
    pub produced: u64,
}

/// `struct rrelay_batch_entry`: where one sub-buffer of a batch lies in
/// the mapping.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BatchEntry {
    /// Where its data starts in the mapping.
    pub offset: u64,
    /// Bytes of data from there, padding excluded.
    pub length: u64,
}

/// `struct rrelay_batch`: one call of the batch protocol. `first` and
/// `count` are in and out: in, the batch the caller is done with (0 and 0
/// for none); out, the batch handed out.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Batch {
    /// In/out: number of the batch's first sub-buffer.
    pub first: u64,
    /// In/out: sub-buffers in it (out: entries filled).
    pub count: u32,
    /// In: `BATCH_*` flags.
    pub flags: u32,
    /// In: user address of the entries, room for `max`.
    pub entries: u64,
    /// In: room in the entries, 1 to [`BATCH_MAX`].
    pub max: u32,
    /// Out: leading sub-buffers of the batch done with that the writer may
    /// have entered since they were handed out: their copies are not good.
    pub stale: u32,
    /// Out: sub-buffers completed.
    pub produced: u64,
    /// Out: sub-buffers the writer lapped before they could be handed out
    /// (the buffer's `lost_subbufs` counts them too).
    pub skipped: u64,
}

/// `RRELAY_BATCH_MAX`: most entries one batch call fills.
pub const BATCH_MAX: u32 = 1024;
/// `RRELAY_BATCH_RELEASE_ONLY`: check and consume the batch done with,
/// hand out nothing.
pub const BATCH_RELEASE_ONLY: u32 = 1;

/// `RRELAY_IOC_MAGIC`.
pub const IOC_MAGIC: u8 = 0xb7;
/// `RRELAY_IOC_INFO`: fills a [`BufInfo`].
pub const IOC_INFO: Opcode = opcode::read::<BufInfo>(IOC_MAGIC, 1);
/// `RRELAY_IOC_SUBBUF`: describes a [`Subbuf`]; `ENODATA` if not complete,
/// `ESTALE` if its memory was reused.
pub const IOC_SUBBUF: Opcode = opcode::read_write::<Subbuf>(IOC_MAGIC, 2);
/// `RRELAY_IOC_CONSUME`: marks the next n (a `u64`) sub-buffers consumed.
pub const IOC_CONSUME: Opcode = opcode::write::<u64>(IOC_MAGIC, 3);
/// `RRELAY_IOC_BATCH`: checks and consumes one [`Batch`], hands out the
/// next.
pub const IOC_BATCH: Opcode = opcode::read_write::<Batch>(IOC_MAGIC, 4);

const _: () = assert!(std::mem::size_of::<BufInfo>() == 64);
const _: () = assert!(std::mem::size_of::<Subbuf>() == 32);
const _: () = assert!(std::mem::size_of::<BatchEntry>() == 16);
const _: () = assert!(std::mem::size_of::<Batch>() == 48);
