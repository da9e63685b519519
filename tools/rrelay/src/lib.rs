// SPDX-License-Identifier: GPL-2.0

//! Reading relay channels from user space.
//!
//! A relay channel (rrelay's, or mainline relay's) shows each per-CPU
//! buffer as a file, `cpuN`, in its debugfs directory. This crate opens
//! them ([`Channel`]), drains each by `splice()`, by `mmap()` with the
//! ioctl protocol of `<linux/rrelay.h>`, or by `read()` ([`Reader`], which
//! falls back to `read()` where a file offers nothing better), waits for
//! data with `poll()` ([`wait`]), reports a buffer's statistics and lost
//! sub-buffers ([`Buffer::info`], [`BufInfo`]), and cuts the stream back
//! into the client's records ([`Records`]).
//!
//! ```no_run
//! use rrelay::{Channel, Method, Reader, Records, LengthField};
//! use std::time::Duration;
//!
//! # fn main() -> rrelay::Result<()> {
//! let channel = Channel::open("/sys/kernel/debug/relay_client")?;
//! let mut readers: Vec<Reader> = channel
//!     .into_buffers()
//!     .into_iter()
//!     .map(|b| Reader::new(b, Method::Mmap))
//!     .collect();
//! // relay_client's records hold their length in a u32 at byte 12.
//! let mut records: Vec<_> = readers
//!     .iter()
//!     .map(|_| Records::new(LengthField { offset: 12, width: 4 }))
//!     .collect();
//! while !readers.iter().all(Reader::is_closed) {
//!     let ready = rrelay::wait(&readers, Duration::from_millis(200))?;
//!     for ((reader, ready), recs) in readers.iter_mut().zip(ready).zip(&mut records) {
//!         if ready.closed {
//!             reader.set_closed();
//!         }
//!         reader.drain(recs, reader.is_closed())?;
//!         while let Some(record) = recs.next_record() {
//!             let record = record.expect("well-formed records");
//!             println!("cpu{}: {} bytes", reader.buffer().cpu(), record.len());
//!         }
//!     }
//! }
//! for reader in &readers {
//!     let info = reader.buffer().info()?;
//!     println!("cpu{}: {} dropped, {} lost", reader.buffer().cpu(), info.full_count, info.lost_subbufs);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Errors name the file and the failed call, with the errno in words.

#![deny(missing_docs)]

mod channel;
mod error;
pub mod protocol;
mod reader;
pub mod records;
pub mod uapi;

pub use channel::{buffer_files, Buffer, Channel, ReadResult};
pub use error::{Error, Result};
pub use reader::{wait, Method, Output, Reader, Ready, Sink};
pub use records::{FixedSize, LengthField, Records};
pub use uapi::{BufInfo, Subbuf};
