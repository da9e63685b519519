// SPDX-License-Identifier: GPL-2.0

//! The mmap reader's loop of `<linux/rrelay.h>`, apart from the file, so
//! that it runs against a fake as well as against the kernel:
//!
//! ```text
//! INFO -> consumed, produced
//! for i in consumed..produced:
//!     SUBBUF(i)          -> offset, length   (ESTALE: lapped, count it)
//!     copy length bytes at offset
//!     SUBBUF(i) again    -> ESTALE: overwritten while copied, drop the copy
//!     CONSUME(1)
//! ```

use std::path::Path;

use rustix::io::Errno;

use crate::uapi::{BufInfo, Subbuf};
use crate::{Error, Result};

/// What answers the protocol's three ioctls: a buffer file, or a fake.
pub trait SubbufSource {
    /// `RRELAY_IOC_INFO`.
    fn info(&self) -> Result<BufInfo>;
    /// `RRELAY_IOC_SUBBUF`.
    fn subbuf(&self, index: u64) -> Result<Subbuf>;
    /// `RRELAY_IOC_CONSUME`.
    fn consume(&self, n: u64) -> Result<()>;
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
    /// Sub-buffers the writer had reused before they could be copied.
    pub lapped: u64,
    /// Copies thrown away because the writer came back meanwhile.
    pub torn: u64,
}

/// Hands every complete, unconsumed sub-buffer of `src` to `emit`, copied
/// out of `map` (the buffer's mapping) and checked again after the copy,
/// and consumes it. Only bytes the writer did not touch while they were
/// copied reach `emit`; the others are counted in the returned [`Pass`].
pub fn drain_subbufs<S, F>(src: &S, map: &[u8], scratch: &mut Vec<u8>, mut emit: F) -> Result<Pass>
where
    S: SubbufSource + ?Sized,
    F: FnMut(&[u8]) -> Result<()>,
{
    let info = src.info()?;
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
        let range = usize::try_from(sb.offset)
            .ok()
            .zip(usize::try_from(sb.length).ok())
            .and_then(|(o, l)| Some(o..o.checked_add(l)?))
            .filter(|r| r.end <= map.len())
            .ok_or_else(|| Error::OutsideMapping {
                path: src.path().to_owned(),
                index,
                offset: sb.offset,
                length: sb.length,
                mapped: map.len(),
            })?;
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
