// SPDX-License-Identifier: GPL-2.0

//! Errors that say which file failed, doing what, and the errno in words.

use std::io;
use std::path::{Path, PathBuf};

/// What went wrong, and where.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A system call on a file failed: `"/sys/kernel/debug/chan/cpu0: mmap: No such device (os error 19)"`.
    #[error("{}: {op}: {source}", path.display())]
    Io {
        /// The file (or directory) the call was made on.
        path: PathBuf,
        /// The operation, in a word or two (`"open"`, `"RRELAY_IOC_INFO"`, `"splice"`).
        op: &'static str,
        /// The error the kernel gave.
        #[source]
        source: io::Error,
    },
    /// A channel directory without any `cpuN` file.
    #[error("{}: no cpuN buffer files", path.display())]
    NoBuffers {
        /// The directory.
        path: PathBuf,
    },
    /// The kernel described a sub-buffer outside the mapping.
    #[error("{}: sub-buffer {index} ({length} bytes at {offset}) lies outside the {mapped}-byte mapping", path.display())]
    OutsideMapping {
        /// The buffer file.
        path: PathBuf,
        /// The sub-buffer's number.
        index: u64,
        /// Where the kernel said it starts.
        offset: u64,
        /// How long the kernel said it is.
        length: u64,
        /// The mapping's length.
        mapped: usize,
    },
}

impl Error {
    /// An [`Error::Io`] on `path`.
    pub fn io(path: impl AsRef<Path>, op: &'static str, source: impl Into<io::Error>) -> Self {
        Error::Io {
            path: path.as_ref().to_owned(),
            op,
            source: source.into(),
        }
    }

    /// The errno of a failed system call, if this is one.
    pub fn raw_os_error(&self) -> Option<i32> {
        match self {
            Error::Io { source, .. } => source.raw_os_error(),
            _ => None,
        }
    }
}

/// A `Result` of this crate.
pub type Result<T> = std::result::Result<T, Error>;
