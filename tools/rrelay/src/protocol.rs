// SPDX-License-Identifier: GPL-2.0

//! The mmap reader's loop of `<linux/rrelay.h>`, apart from the file, so
//! that it runs against a fake as well as against the kernel. By batches,
//! one call each:
//!
//! ```text
//! batch = (first 0, count 0)
//! loop:
//!     BATCH(batch)       -> stale: drop the copies of the first `stale` of
//!                           the batch held; the others go on; it is
//!                           consumed; the next batch: first, count, entries
//!     stop if count is 0
//!     copy each entry
//! ```
//!
//! or, where the kernel has no batches (`ENOTTY`), one sub-buffer at a
//! time:
//!
//! ```text
//! INFO -> consumed, produced
//! for i in consumed..produced:
//!     SUBBUF(i)          -> offset, length   (ESTALE: lapped, count it)
//!     copy length bytes at offset
//!     SUBBUF(i) again    -> ESTALE: overwritten while copied, drop the copy
//!     CONSUME(1)
//! ```

use std::ops::Range;
use std::path::Path;

use rustix::io::Errno;

use crate::uapi::{Batch, BatchEntry, BufInfo, Subbuf};
use crate::{Error, Result};

/// What answers the protocol's ioctls: a buffer file, or a fake.
pub trait SubbufSource {
    /// `RRELAY_IOC_INFO`.
    fn info(&self) -> Result<BufInfo>;
    /// `RRELAY_IOC_SUBBUF`.
    fn subbuf(&self, index: u64) -> Result<Subbuf>;
    /// `RRELAY_IOC_CONSUME`.
    fn consume(&self, n: u64) -> Result<()>;
    /// `RRELAY_IOC_BATCH` with room for `entries.len()` entries (see
    /// [`Buffer::batch`](crate::Buffer::batch)). By default `ENOTTY`, as
    /// from a kernel without it: [`drain_subbufs`] then goes one
    /// sub-buffer at a time.
    fn batch(&self, req: &mut Batch, entries: &mut [BatchEntry]) -> Result<()> {
        let _ = (req, entries);
        Err(Error::io(self.path(), "RRELAY_IOC_BATCH", Errno::NOTTY))
    }
    /// The file, for errors.
    fn path(&self) -> &Path;
}

/// What one pass over the complete sub-buffers did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    /// Sub-buffers handed on whole.
    pub subbufs: u64,
    /// Bytes handed on.
    pub bytes: u64,
    /// Sub-buffers the writer had reused before they could be copied, found
    /// by the reader (one sub-buffer at a time; the buffer's
    /// `lost_subbufs` does not count them).
    pub lapped: u64,
    /// Copies thrown away because the writer came back meanwhile.
    pub torn: u64,
    /// Sub-buffers the kernel skipped because the writer had lapped them
    /// before a batch could hand them out (the buffer's `lost_subbufs`
    /// counts them too).
    pub skipped: u64,
    /// Batch calls made (0: one sub-buffer at a time).
    pub batches: u64,
}

/// Most bytes of sub-buffers one batch asks for (each is copied before it
/// is checked), and most sub-buffers.
const BATCH_BYTES: u64 = 1 << 20;
const BATCH_SUBBUFS: u64 = 64;

/// Hands every complete, unconsumed sub-buffer of `src` to `emit`, copied
/// out of `map` (the buffer's mapping) and checked after the copy, and
/// consumes it. Only bytes the writer did not touch while they were copied
/// reach `emit`; the others are counted in the returned [`Pass`].
///
/// By batches where the kernel has them: `emit` gets the good copies of a
/// batch in one slice, back to back in order. A batch is consumed by the
/// call that checks it, before its copies go to `emit`, so a failing
/// `emit` loses that batch (at most 64 sub-buffers or 1 MiB). One
/// sub-buffer at a time otherwise, a call of `emit` each, each consumed
/// once it is emitted.
pub fn drain_subbufs<S, F>(src: &S, map: &[u8], scratch: &mut Vec<u8>, emit: F) -> Result<Pass>
where
    S: SubbufSource + ?Sized,
    F: FnMut(&[u8]) -> Result<()>,
{
    let info = src.info()?;
    let max = (BATCH_BYTES / info.subbuf_size.max(1)).clamp(1, BATCH_SUBBUFS) as usize;
    let mut entries = vec![BatchEntry::default(); max];
    let mut req = Batch::default();
    match src.batch(&mut req, &mut entries) {
        Err(e) if e.raw_os_error() == Some(Errno::NOTTY.raw_os_error()) => {
            drain_one_by_one(src, &info, map, scratch, emit)
        }
        Err(e) => Err(e),
        Ok(()) => drain_batches(src, req, &mut entries, map, scratch, emit),
    }
}

/// Where sub-buffer `index`'s data lies in `map`, or the error that says
/// it lies outside.
fn in_map<S: SubbufSource + ?Sized>(
    src: &S,
    map: &[u8],
    index: u64,
    offset: u64,
    length: u64,
) -> Result<Range<usize>> {
    usize::try_from(offset)
        .ok()
        .zip(usize::try_from(length).ok())
        .and_then(|(o, l)| Some(o..o.checked_add(l)?))
        .filter(|r| r.end <= map.len())
        .ok_or_else(|| Error::OutsideMapping {
            path: src.path().to_owned(),
            index,
            offset,
            length,
            mapped: map.len(),
        })
}

/// The batch loop, from the first call's answer `req`.
fn drain_batches<S, F>(
    src: &S,
    mut req: Batch,
    entries: &mut [BatchEntry],
    map: &[u8],
    scratch: &mut Vec<u8>,
    mut emit: F,
) -> Result<Pass>
where
    S: SubbufSource + ?Sized,
    F: FnMut(&[u8]) -> Result<()>,
{
    let mut pass = Pass::default();
    // The copies of the batch held: where each ends in `scratch`.
    let mut ends: Vec<usize> = Vec::with_capacity(entries.len());
    loop {
        pass.batches += 1;
        pass.skipped += req.skipped;
        // The verdict on the batch held: its first `stale` copies may mix
        // in newer bytes.
        let stale = (req.stale as usize).min(ends.len());
        pass.torn += stale as u64;
        // The good copies lie back to back: one call hands them all on.
        let start = if stale > 0 { ends[stale - 1] } else { 0 };
        let end = ends.last().copied().unwrap_or(0);
        if end > start {
            emit(&scratch[start..end])?;
        }
        pass.subbufs += (ends.len() - stale) as u64;
        pass.bytes += (end - start) as u64;
        let count = req.count as usize;
        if count == 0 {
            return Ok(pass);
        }
        if count > entries.len() {
            return Err(Error::io(src.path(), "RRELAY_IOC_BATCH", Errno::OVERFLOW));
        }
        scratch.clear();
        ends.clear();
        for (k, e) in entries[..count].iter().enumerate() {
            let range = in_map(src, map, req.first + k as u64, e.offset, e.length)?;
            scratch.extend_from_slice(&map[range]);
            ends.push(scratch.len());
        }
        req.flags = 0;
        src.batch(&mut req, entries)?;
    }
}

/// The loop one sub-buffer at a time, over what `info` says is complete.
fn drain_one_by_one<S, F>(
    src: &S,
    info: &BufInfo,
    map: &[u8],
    scratch: &mut Vec<u8>,
    mut emit: F,
) -> Result<Pass>
where
    S: SubbufSource + ?Sized,
    F: FnMut(&[u8]) -> Result<()>,
{
    let mut pass = Pass::default();
    for index in info.consumed..info.produced {
        let sb = match src.subbuf(index) {
            Ok(sb) => sb,
            Err(e) if e.raw_os_error() == Some(Errno::STALE.raw_os_error()) => {
                pass.lapped += 1;
                src.consume(1)?;
                continue;
            }
            Err(e) => return Err(e),
        };
        let range = in_map(src, map, index, sb.offset, sb.length)?;
        scratch.clear();
        scratch.extend_from_slice(&map[range]);
        match src.subbuf(index) {
            Ok(_) => {
                emit(scratch)?;
                pass.subbufs += 1;
                pass.bytes += scratch.len() as u64;
            }
            Err(e) if e.raw_os_error() == Some(Errno::STALE.raw_os_error()) => pass.torn += 1,
            Err(e) => return Err(e),
        }
        src.consume(1)?;
    }
    Ok(pass)
}
