// SPDX-License-Identifier: GPL-2.0

//! Draining one buffer by splice, mmap + the ioctl protocol, or read.

use std::fs::File;
use std::io::{self, Stdout, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::time::Duration;

use memmap2::{Mmap, MmapOptions};
use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::io::Errno;
use rustix::pipe::SpliceFlags;

use crate::channel::{Buffer, ReadResult};
use crate::protocol::drain_subbufs;
use crate::{Error, Result};

/// How a [`Reader`] moves data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `splice()` into a pipe of its own, then on into the sink (by
    /// reference where the sink is a file or a pipe).
    Splice,
    /// `mmap()` of the whole buffer and the ioctls of `<linux/rrelay.h>`.
    Mmap,
    /// `read()`.
    Read,
}

/// Where drained bytes go.
pub trait Sink {
    /// What to call it in errors.
    fn name(&self) -> &Path;
    /// Takes bytes.
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// Passes on what it buffered, before bytes are spliced past it.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
    /// A descriptor to splice into, if it may take spliced pages.
    fn splice_target(&self) -> Option<BorrowedFd<'_>> {
        None
    }
}

impl Sink for Vec<u8> {
    fn name(&self) -> &Path {
        Path::new("<memory>")
    }

    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.extend_from_slice(bytes);
        Ok(())
    }
}

/// A file or standard output as a [`Sink`]; splice goes straight into it
/// where the kernel allows (a file, a pipe), and copies otherwise (a
/// terminal).
#[derive(Debug)]
pub struct Output {
    name: PathBuf,
    to: To,
}

#[derive(Debug)]
enum To {
    File(File),
    Stdout(Stdout),
}

impl Output {
    /// Creates (or truncates) the file `path`.
    pub fn create(path: impl AsRef<Path>) -> Result<Output> {
        let path = path.as_ref();
        let file = File::create(path).map_err(|e| Error::io(path, "create", e))?;
        Ok(Output {
            name: path.to_owned(),
            to: To::File(file),
        })
    }

    /// An already open file, called `name` in errors.
    pub fn from_file(name: impl AsRef<Path>, file: File) -> Output {
        Output {
            name: name.as_ref().to_owned(),
            to: To::File(file),
        }
    }

    /// Standard output (shared by all that write to it).
    pub fn stdout() -> Output {
        Output {
            name: PathBuf::from("<stdout>"),
            to: To::Stdout(io::stdout()),
        }
    }
}

impl Sink for Output {
    fn name(&self) -> &Path {
        &self.name
    }

    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match &mut self.to {
            To::File(f) => f.write_all(bytes),
            To::Stdout(s) => s.write_all(bytes),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.to {
            To::File(f) => f.flush(),
            To::Stdout(s) => s.flush(),
        }
    }

    fn splice_target(&self) -> Option<BorrowedFd<'_>> {
        Some(match &self.to {
            To::File(f) => f.as_fd(),
            To::Stdout(s) => s.as_fd(),
        })
    }
}

/// How much one `read()` or `splice()` asks for.
const CHUNK: usize = 1 << 16;

enum How {
    Read {
        buf: Vec<u8>,
    },
    Splice {
        rd: OwnedFd,
        wr: OwnedFd,
        copy: Vec<u8>,
    },
    Mmap {
        map: Mmap,
        scratch: Vec<u8>,
    },
}

/// Drains one buffer by the method it was given, or by `read()` where the
/// file offers nothing better (mainline relay's files, debugfs proxies).
pub struct Reader {
    buffer: Buffer,
    how: How,
    bytes: u64,
    torn: u64,
    closed: bool,
}

impl Reader {
    /// A reader of `buffer` by `want`, if the file supports it, else by
    /// `read()`. A splice probe may move a byte already: it counts, and
    /// goes out first.
    pub fn new(buffer: Buffer, want: Method) -> Reader {
        let mut bytes = 0;
        let how = match want {
            Method::Read => None,
            Method::Splice => probe_splice(&buffer).map(|(rd, wr, moved)| {
                bytes = moved as u64;
                How::Splice {
                    rd,
                    wr,
                    copy: Vec::new(),
                }
            }),
            Method::Mmap => map(&buffer).map(|map| How::Mmap {
                map,
                scratch: Vec::new(),
            }),
        };
        Reader {
            buffer,
            how: how.unwrap_or(How::Read { buf: Vec::new() }),
            bytes,
            torn: 0,
            closed: false,
        }
    }

    /// The method it uses.
    pub fn method(&self) -> Method {
        match self.how {
            How::Read { .. } => Method::Read,
            How::Splice { .. } => Method::Splice,
            How::Mmap { .. } => Method::Mmap,
        }
    }

    /// Its buffer.
    pub fn buffer(&self) -> &Buffer {
        &self.buffer
    }

    /// Bytes moved so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Mapped sub-buffers dropped because the writer reused them before or
    /// while they were copied (mmap, overwrite mode).
    pub fn overwritten_while_read(&self) -> u64 {
        self.torn
    }

    /// Whether the file said its channel is closed (`poll()` `EPOLLERR` or
    /// `EPOLLHUP`, `read()` `EIO`).
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Records that the file said its channel is closed.
    pub fn set_closed(&mut self) {
        self.closed = true;
    }

    /// Moves everything there is now into `out`; with `tail`, also the
    /// partly filled current sub-buffer, which the mmap protocol does not
    /// hand out (it is taken by `read()`). Returns the bytes moved.
    pub fn drain<S: Sink + ?Sized>(&mut self, out: &mut S, tail: bool) -> Result<u64> {
        let before = self.bytes;
        match &mut self.how {
            How::Read { buf } => {
                read_all(&self.buffer, buf, out, &mut self.bytes, &mut self.closed)?;
            }
            How::Splice { rd, wr, copy } => loop {
                // What the pipe holds goes out first (the probe's byte too).
                let pending = rustix::io::ioctl_fionread(&*rd)
                    .map_err(|e| Error::io(self.buffer.path(), "FIONREAD on its pipe", e))?;
                pipe_out(rd, pending as usize, copy, out)?;
                match rustix::pipe::splice(
                    self.buffer.file(),
                    None,
                    &*wr,
                    None,
                    CHUNK,
                    SpliceFlags::NONBLOCK,
                ) {
                    Ok(0) | Err(Errno::AGAIN) => break,
                    Err(Errno::INTR) => continue,
                    Ok(n) => {
                        self.bytes += n as u64;
                        pipe_out(rd, n, copy, out)?;
                    }
                    Err(e) => return Err(Error::io(self.buffer.path(), "splice", e)),
                }
            },
            How::Mmap { map, scratch } => {
                let pass = drain_subbufs(&self.buffer, map, scratch, |bytes| {
                    out.write_all(bytes)
                        .map_err(|e| Error::io(out.name(), "write", e))
                })?;
                self.bytes += pass.bytes;
                self.torn += pass.lapped + pass.torn;
                if tail {
                    let mut buf = Vec::new();
                    read_all(
                        &self.buffer,
                        &mut buf,
                        out,
                        &mut self.bytes,
                        &mut self.closed,
                    )?;
                }
            }
        }
        Ok(self.bytes - before)
    }
}

fn read_all<S: Sink + ?Sized>(
    buffer: &Buffer,
    buf: &mut Vec<u8>,
    out: &mut S,
    bytes: &mut u64,
    closed: &mut bool,
) -> Result<()> {
    buf.resize(CHUNK, 0);
    loop {
        match buffer.read(buf)? {
            ReadResult::Data(n) => {
                out.write_all(&buf[..n])
                    .map_err(|e| Error::io(out.name(), "write", e))?;
                *bytes += n as u64;
            }
            ReadResult::Empty => return Ok(()),
            ReadResult::Closed => {
                *closed = true;
                return Ok(());
            }
        }
    }
}

/// Moves `len` bytes from the read end of a pipe into `out`: spliced on
/// where it takes that, copied through `copy` for the rest.
fn pipe_out<S: Sink + ?Sized>(
    rd: &OwnedFd,
    mut len: usize,
    copy: &mut Vec<u8>,
    out: &mut S,
) -> Result<()> {
    if len == 0 {
        return Ok(());
    }
    // Bytes copied earlier may wait in the sink's buffer: they go first.
    out.flush().map_err(|e| Error::io(out.name(), "flush", e))?;
    if let Some(fd) = out.splice_target() {
        while len > 0 {
            match rustix::pipe::splice(rd, None, fd, None, len, SpliceFlags::empty()) {
                Ok(0) => break,
                Ok(n) => len -= n,
                Err(Errno::INTR) => {}
                // A terminal, or anything else that takes no pages: copy.
                Err(_) => break,
            }
        }
    }
    copy.resize(len.min(CHUNK), 0);
    while len > 0 {
        let want = copy.len().min(len);
        match rustix::io::read(rd, &mut copy[..want]) {
            Ok(0) => {
                return Err(Error::io(
                    out.name(),
                    "copy from the pipe",
                    io::Error::from(io::ErrorKind::UnexpectedEof),
                ))
            }
            Ok(n) => {
                out.write_all(&copy[..n])
                    .map_err(|e| Error::io(out.name(), "write", e))?;
                len -= n;
            }
            Err(Errno::INTR) => {}
            Err(e) => return Err(Error::io(out.name(), "copy from the pipe", e)),
        }
    }
    Ok(())
}

/// A pipe, if the file can splice: a file without splice support says
/// `EINVAL` at once. Returns the pipe and the bytes the probe moved.
fn probe_splice(buffer: &Buffer) -> Option<(OwnedFd, OwnedFd, usize)> {
    let (rd, wr) = rustix::pipe::pipe().ok()?;
    match rustix::pipe::splice(buffer.file(), None, &wr, None, 1, SpliceFlags::NONBLOCK) {
        Err(Errno::INVAL) => None,
        Ok(n) => Some((rd, wr, n)),
        Err(_) => Some((rd, wr, 0)),
    }
}

/// The whole buffer mapped read-only, if the file speaks the protocol.
fn map(buffer: &Buffer) -> Option<Mmap> {
    let info = buffer.info().ok()?;
    let page = rustix::param::page_size() as u64;
    let len = usize::try_from(info.buffer_len().div_ceil(page) * page).ok()?;
    // SAFETY: a read-only shared mapping of the buffer file, which the
    // kernel never truncates; its length is the one the kernel requires.
    // The writer may change its bytes while they are read: every read of
    // them is a copy that the protocol checks afterwards (drain_subbufs).
    unsafe { MmapOptions::new().len(len).map(buffer.file()) }.ok()
}

/// What [`wait`] saw on a reader's file.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Ready {
    /// Data to drain.
    pub data: bool,
    /// The channel is closed (`EPOLLERR`/`EPOLLHUP`).
    pub closed: bool,
}

/// `poll()` on the readers' files until one has data or `timeout` passes
/// (or a signal comes: then nothing is ready).
pub fn wait<R: std::borrow::Borrow<Reader>>(
    readers: &[R],
    timeout: Duration,
) -> Result<Vec<Ready>> {
    let mut fds: Vec<PollFd<'_>> = readers
        .iter()
        .map(|r| PollFd::new(r.borrow().buffer.file(), PollFlags::IN))
        .collect();
    let ts = Timespec {
        tv_sec: timeout.as_secs() as _,
        tv_nsec: timeout.subsec_nanos() as _,
    };
    match rustix::event::poll(&mut fds, Some(&ts)) {
        Ok(_) => {}
        Err(Errno::INTR) => return Ok(vec![Ready::default(); readers.len()]),
        Err(e) => {
            let path = readers
                .first()
                .map_or(Path::new(""), |r| r.borrow().buffer.path());
            return Err(Error::io(path, "poll", e));
        }
    }
    Ok(fds
        .iter()
        .map(|p| {
            let ev = p.revents();
            Ready {
                data: ev.contains(PollFlags::IN),
                closed: ev.intersects(PollFlags::ERR | PollFlags::HUP),
            }
        })
        .collect())
}
