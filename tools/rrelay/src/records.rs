// SPDX-License-Identifier: GPL-2.0

//! Cutting a buffer's byte stream back into the client's records.
//!
//! Relay does not frame records: a client writes bytes, and a reader gets
//! them back in order, with sub-buffer padding removed. How long each
//! record is, only the client's format says; a [`Framing`] tells it.

use std::io;
use std::path::Path;

use crate::reader::Sink;

/// How long the record at the head of the stream is.
pub trait Framing {
    /// The length of the record that starts at `head[0]`, once `head` holds
    /// enough of it to tell (`None`: more bytes needed). A length of 0 is
    /// not a record.
    fn record_len(&self, head: &[u8]) -> Option<usize>;
}

/// Records of one fixed size.
#[derive(Debug, Clone, Copy)]
pub struct FixedSize(pub usize);

impl Framing for FixedSize {
    fn record_len(&self, _: &[u8]) -> Option<usize> {
        Some(self.0)
    }
}

/// Records whose header holds their whole length (header included) as an
/// unsigned little-endian integer of `width` bytes at `offset`, as
/// `struct client_record` of the tests holds its `len` (offset 12, width 4).
#[derive(Debug, Clone, Copy)]
pub struct LengthField {
    /// Where the length lies in the header.
    pub offset: usize,
    /// Its size in bytes: 1, 2, 4 or 8.
    pub width: usize,
}

impl Framing for LengthField {
    fn record_len(&self, head: &[u8]) -> Option<usize> {
        let field = head.get(self.offset..self.offset.checked_add(self.width)?)?;
        let mut le = [0u8; 8];
        le.get_mut(..field.len())?.copy_from_slice(field);
        usize::try_from(u64::from_le_bytes(le)).ok()
    }
}

/// A record that cannot be: its framing gave it length 0.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad record at byte {at} of the stream: length {len}")]
pub struct BadRecord {
    /// Its position in the stream.
    pub at: u64,
    /// The length its framing gave.
    pub len: usize,
}

/// A stream's bytes in, whole records out: feed it what a reader drains
/// (it is a [`Sink`]), take the records with [`Records::next_record`].
#[derive(Debug)]
pub struct Records<F> {
    framing: F,
    pending: Vec<u8>,
    start: usize,
    /// Stream position of `pending[0]`.
    base: u64,
}

impl<F: Framing> Records<F> {
    /// An empty stream cut by `framing`.
    pub fn new(framing: F) -> Self {
        Records {
            framing,
            pending: Vec::new(),
            start: 0,
            base: 0,
        }
    }

    /// Appends bytes of the stream.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start >= self.pending.len() / 2 {
            self.pending.drain(..self.start);
            self.base += self.start as u64;
            self.start = 0;
        }
        self.pending.extend_from_slice(bytes);
    }

    /// The next whole record, `None` until all of it has been pushed.
    pub fn next_record(&mut self) -> Option<Result<&[u8], BadRecord>> {
        let head = &self.pending[self.start..];
        if head.is_empty() {
            return None;
        }
        let len = self.framing.record_len(head)?;
        if len == 0 {
            return Some(Err(BadRecord {
                at: self.base + self.start as u64,
                len,
            }));
        }
        if head.len() < len {
            return None;
        }
        let begin = self.start;
        self.start += len;
        Some(Ok(&self.pending[begin..begin + len]))
    }

    /// Bytes pushed that do not form a whole record yet.
    pub fn pending(&self) -> usize {
        self.pending.len() - self.start
    }
}

impl<F: Framing> Sink for Records<F> {
    fn name(&self) -> &Path {
        Path::new("<records>")
    }

    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.push(bytes);
        Ok(())
    }
}
