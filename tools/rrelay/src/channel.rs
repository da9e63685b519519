// SPDX-License-Identifier: GPL-2.0

//! A channel directory and its per-CPU buffer files.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;
use rustix::ioctl::{ioctl, Getter, Setter, Updater};

use crate::protocol::SubbufSource;
use crate::uapi::{
    Batch, BatchEntry, BufInfo, Subbuf, IOC_BATCH, IOC_CONSUME, IOC_INFO, IOC_SUBBUF,
};
use crate::{Error, Result};

/// A relay channel's directory (`/sys/kernel/debug/<chan>`) with its
/// buffer files open.
#[derive(Debug)]
pub struct Channel {
    dir: PathBuf,
    buffers: Vec<Buffer>,
}

impl Channel {
    /// Opens every `cpuN` file of `dir`, in CPU order, for reading without
    /// blocking.
    pub fn open(dir: impl AsRef<Path>) -> Result<Channel> {
        let dir = dir.as_ref();
        let buffers = buffer_files(dir)?
            .into_iter()
            .map(|(cpu, path)| Buffer::open(cpu, path))
            .collect::<Result<Vec<_>>>()?;
        if buffers.is_empty() {
            return Err(Error::NoBuffers {
                path: dir.to_owned(),
            });
        }
        Ok(Channel {
            dir: dir.to_owned(),
            buffers,
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The buffers, by CPU number.
    pub fn buffers(&self) -> &[Buffer] {
        &self.buffers
    }

    /// The buffers, to hand each to a [`Reader`](crate::Reader).
    pub fn into_buffers(self) -> Vec<Buffer> {
        self.buffers
    }
}

/// The `cpuN` files of a directory, sorted by CPU number.
pub fn buffer_files(dir: &Path) -> Result<Vec<(u32, PathBuf)>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, "open directory", e))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, "read directory", e))?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if let Some(cpu) = name.strip_prefix("cpu").and_then(parse_cpu) {
            files.push((cpu, entry.path()));
        }
    }
    files.sort();
    Ok(files)
}

/// A CPU number as relay writes it: decimal digits only.
fn parse_cpu(n: &str) -> Option<u32> {
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse().ok()
}

/// What one `read()` of a buffer file found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadResult {
    /// That many bytes.
    Data(usize),
    /// Nothing there now (relay's `read()` never waits).
    Empty,
    /// The channel was closed and the file cut off (`EIO`: mainline's
    /// debugfs proxy files after `relay_close()`).
    Closed,
}

/// One buffer file, `cpuN`, open for reading without blocking.
#[derive(Debug)]
pub struct Buffer {
    cpu: u32,
    path: PathBuf,
    file: File,
}

impl Buffer {
    /// Opens one buffer file.
    pub fn open(cpu: u32, path: impl AsRef<Path>) -> Result<Buffer> {
        let path = path.as_ref();
        let fd = rustix::fs::open(
            path,
            OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| Error::io(path, "open", e))?;
        Ok(Buffer {
            cpu,
            path: path.to_owned(),
            file: File::from(fd),
        })
    }

    /// The CPU number of its name.
    pub fn cpu(&self) -> u32 {
        self.cpu
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Its name (`cpuN`).
    pub fn name(&self) -> String {
        format!("cpu{}", self.cpu)
    }

    /// The open file.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// `RRELAY_IOC_INFO`: geometry, counters and drop statistics. Mainline
    /// relay's files answer `ENOTTY`.
    pub fn info(&self) -> Result<BufInfo> {
        // SAFETY: IOC_INFO is _IOR of struct rrelay_buf_info, which
        // `BufInfo` mirrors (repr(C), size checked in uapi.rs); the kernel
        // writes exactly that struct.
        unsafe { ioctl(&self.file, Getter::<IOC_INFO, BufInfo>::new()) }
            .map_err(|e| Error::io(&self.path, "RRELAY_IOC_INFO", e))
    }

    /// `RRELAY_IOC_SUBBUF`: where complete sub-buffer `index` lies in the
    /// mapping. `ENODATA`: not complete yet; `ESTALE`: its memory reused.
    pub fn subbuf(&self, index: u64) -> Result<Subbuf> {
        let mut sb = Subbuf {
            index,
            ..Subbuf::default()
        };
        // SAFETY: IOC_SUBBUF is _IOWR of struct rrelay_subbuf, which
        // `Subbuf` mirrors; the kernel reads and writes that struct only.
        unsafe { ioctl(&self.file, Updater::<IOC_SUBBUF, Subbuf>::new(&mut sb)) }
            .map_err(|e| Error::io(&self.path, "RRELAY_IOC_SUBBUF", e))?;
        Ok(sb)
    }

    /// `RRELAY_IOC_CONSUME`: marks the next `n` sub-buffers consumed.
    pub fn consume(&self, n: u64) -> Result<()> {
        // SAFETY: IOC_CONSUME is _IOW of a __u64, passed by pointer, which
        // `Setter` does with the u64 it holds.
        unsafe { ioctl(&self.file, Setter::<IOC_CONSUME, u64>::new(n)) }
            .map_err(|e| Error::io(&self.path, "RRELAY_IOC_CONSUME", e))
    }

    /// `RRELAY_IOC_BATCH`: checks and consumes the batch `req` holds
    /// (`first`, `count` as the last call left them), then hands out up to
    /// `entries.len()` ready sub-buffers into `entries` (none with
    /// [`BATCH_RELEASE_ONLY`](crate::uapi::BATCH_RELEASE_ONLY) in
    /// `req.flags`). Sets `req.entries` and `req.max` from `entries`.
    /// Kernels without it answer `ENOTTY`; `EINVAL` for more entries than
    /// [`BATCH_MAX`](crate::uapi::BATCH_MAX) or none.
    pub fn batch(&self, req: &mut Batch, entries: &mut [BatchEntry]) -> Result<()> {
        req.entries = entries.as_mut_ptr() as u64;
        req.max = u32::try_from(entries.len()).unwrap_or(u32::MAX);
        // SAFETY: IOC_BATCH is _IOWR of struct rrelay_batch, which `Batch`
        // mirrors; the kernel reads and writes that struct, and writes at
        // most `max` entries at `entries`, which `entries` has room for
        // and outlives the call.
        unsafe { ioctl(&self.file, Updater::<IOC_BATCH, Batch>::new(req)) }
            .map_err(|e| Error::io(&self.path, "RRELAY_IOC_BATCH", e))
    }

    /// One `read()`; never waits.
    pub fn read(&self, buf: &mut [u8]) -> Result<ReadResult> {
        loop {
            match (&self.file).read(buf) {
                Ok(0) => return Ok(ReadResult::Empty),
                Ok(n) => return Ok(ReadResult::Data(n)),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(ReadResult::Empty),
                Err(e) if e.raw_os_error() == Some(Errno::IO.raw_os_error()) => {
                    return Ok(ReadResult::Closed)
                }
                Err(e) => return Err(Error::io(&self.path, "read", e)),
            }
        }
    }
}

impl SubbufSource for Buffer {
    fn info(&self) -> Result<BufInfo> {
        Buffer::info(self)
    }

    fn subbuf(&self, index: u64) -> Result<Subbuf> {
        Buffer::subbuf(self, index)
    }

    fn consume(&self, n: u64) -> Result<()> {
        Buffer::consume(self, n)
    }

    fn batch(&self, req: &mut Batch, entries: &mut [BatchEntry]) -> Result<()> {
        Buffer::batch(self, req, entries)
    }

    fn path(&self) -> &Path {
        &self.path
    }
}
