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
//! A reader of `relay_client`'s records, whose header holds the record's
//! length in a `u32` at byte 12 (the same example as
//! `Documentation/userspace.rst`'s):
//!
//! ```no_run
//! use rrelay::{Channel, LengthField, Method, Reader, Records};
//! use std::time::Duration;
//!
//! fn main() -> rrelay::Result<()> {
//!     let channel = Channel::open("/sys/kernel/debug/relay_client")?;
//!     let mut readers: Vec<Reader> = channel
//!         .into_buffers()
//!         .into_iter()
//!         .map(|b| Reader::new(b, Method::Mmap))
//!         .collect();
//!     let mut records: Vec<_> = readers
//!         .iter()
//!         .map(|_| Records::new(LengthField { offset: 12, width: 4 }))
//!         .collect();
//!     while !readers.iter().all(Reader::is_closed) {
//!         let ready = rrelay::wait(&readers, Duration::from_millis(200))?;
//!         for ((r, ready), recs) in readers.iter_mut().zip(ready).zip(&mut records) {
//!             if ready.closed {
//!                 r.set_closed();
//!             }
//!             r.drain(recs, r.is_closed())?;
//!             while let Some(Ok(record)) = recs.next_record() {
//!                 println!("cpu{}: a record of {} bytes", r.buffer().cpu(), record.len());
//!             }
//!         }
//!     }
//!     for r in &readers {
//!         let info = r.buffer().info()?;
//!         println!("cpu{}: {} dropped, {} lost", r.buffer().cpu(),
//!                  info.full_count, info.lost_subbufs);
//!     }
//!     Ok(())
//! }
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
pub use uapi::{Batch, BatchEntry, BufInfo, Subbuf};
