// SPDX-License-Identifier: GPL-2.0

//! rrelay: the Linux relay facility (formerly relayfs) as a Rust module.
//!
//! Kernel code logs into per-CPU, sub-buffered ring buffers; user space
//! drains them through files in debugfs.  This crate root declares the
//! module, its parameters, and the channel it creates at load so that
//! `insmod rrelay.ko` alone gives readable files:
//! `/sys/kernel/debug/<chan>/cpuN` and a `marker` file whose writes are
//! logged as records on the writer's CPU.

use core::fmt::Write;
use core::ptr;
use core::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use kernel::bindings;
use kernel::ffi::{c_char, c_int, c_void};
use kernel::prelude::*;
use kernel::sync::aref::ARef;
use sys::chan::Chan;
use sys::cpu;
use sys::debugfs::{self, Debugfs};
use sys::insmod::{self, MarkerFile};

mod abi;
mod api;
mod buffer;
mod channel;
mod file;
mod pins;
pub mod ring;
mod sys;
mod write;

#[cfg(CONFIG_KUNIT)]
mod kunit;

module! {
    type: RRelay,
    name: "rrelay",
    authors: ["rrelay developers"],
    description: "Relay channels: per-CPU sub-buffered ring buffers drained through debugfs",
    license: "GPL",
    params: {
        subbuf_size: u32 {
            default: 16384,
            description: "sub-buffer size in bytes of the channel created at load",
        },
        n_subbufs: u32 {
            default: 8,
            description: "sub-buffers per CPU of the channel created at load",
        },
        rate: u32 {
            default: 10,
            description: "records per second each CPU logs into the channel created at load (0: none)",
        },
        overwrite: bool {
            default: false,
            description: "flight-recorder mode for the channel created at load: overwrite the oldest data instead of dropping new data when full",
        },
    },
}

/// Largest record the `marker` file takes in one write.
const MARKER_MAX: usize = 4096;

/// `subbuf_start` of the insmod channel in overwrite mode: always go on.
extern "C" fn overwrite_subbuf_start(
    _buf: *mut abi::RchanBuf,
    _subbuf: *mut c_void,
    _prev: *mut c_void,
) -> c_int {
    1
}

static DROP_WHEN_FULL: abi::RchanCallbacks = abi::RchanCallbacks {
    subbuf_start: None,
    create_buf_file: Some(debugfs::create_buf_file),
    remove_buf_file: Some(debugfs::remove_buf_file),
};

static OVERWRITE: abi::RchanCallbacks = abi::RchanCallbacks {
    subbuf_start: Some(overwrite_subbuf_start),
    create_buf_file: Some(debugfs::create_buf_file),
    remove_buf_file: Some(debugfs::remove_buf_file),
};

/// The insmod channel while its periodic source runs, for `rrelay_tick`.
static TICK_CHANNEL: AtomicPtr<abi::Rchan> = AtomicPtr::new(ptr::null_mut());
/// Sequence number of the next periodic record, over all CPUs.
static TICK_SEQ: AtomicU64 = AtomicU64::new(0);

/// A line of text built on the stack, for records written from timers.
struct Line {
    bytes: [u8; 64],
    len: usize,
}

impl Write for Line {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = self.len + s.len();
        let dst = self.bytes.get_mut(self.len..end).ok_or(core::fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// One periodic record, in softirq context on the CPU it describes:
/// `rrelay tick cpu=<cpu> seq=<n>`, a text line so that `cat` shows it.
#[no_mangle]
extern "C" fn rrelay_tick() {
    let chan = TICK_CHANNEL.load(Ordering::Acquire);
    if chan.is_null() {
        return;
    }
    let mut line = Line {
        bytes: [0; 64],
        len: 0,
    };
    let seq = TICK_SEQ.fetch_add(1, Ordering::Relaxed);
    let cpu = kernel::cpu::CpuId::current().as_u32();
    // SAFETY: The channel stays open until the ticker has stopped
    // (`InsmodChannel::drop`).
    if let Some(chan) = unsafe { Chan::from_raw(chan) } {
        if writeln!(line, "rrelay tick cpu={cpu} seq={seq}").is_ok() {
            write::write(chan, &line.bytes[..line.len]);
        }
    }
}

/// The channel created at load, with its debugfs directory.
///
/// # Invariants
///
/// `chan` is open, its files in `_dir`, until `drop`; `marker`, if any,
/// is in `_dir` and names `chan`.
struct InsmodChannel {
    marker: Option<Debugfs>,
    chan: Option<ARef<Chan>>,
    /// Held for its drop, which removes the directory, after the fields
    /// above (see `drop`).
    _dir: Debugfs,
}

impl InsmodChannel {
    fn new(name: &CStr) -> Result<Self> {
        let Some(dir) = Debugfs::dir(name) else {
            pr_err!("cannot create debugfs directory {}\n", name);
            return Err(ENOENT);
        };
        let cb = if module_parameters::overwrite.value() {
            &OVERWRITE
        } else {
            &DROP_WHEN_FULL
        };
        let Some(chan) = api::open(
            Some(b"cpu"),
            dir.as_ptr(),
            module_parameters::subbuf_size.value() as usize,
            module_parameters::n_subbufs.value() as usize,
            cb,
            ptr::null_mut(),
        ) else {
            pr_err!("relay_open failed for the insmod channel (bad sizes or no memory)\n");
            return Err(EINVAL);
        };
        // SAFETY: The marker file's data is the channel, which stays open
        // until `drop` has removed the file.
        let marker = unsafe { dir.marker(chan.as_raw()) };
        if marker.is_none() {
            pr_warn!("no marker file in {}\n", name);
        }
        let rate = module_parameters::rate.value();
        if rate > 0 {
            TICK_CHANNEL.store(chan.as_raw(), Ordering::Release);
            // SAFETY: `rrelay_tick` finds the open channel; `drop` stops
            // the ticker before closing it.
            unsafe { insmod::ticker_start(rate) };
        }
        // INVARIANT: `chan` is open, its files and `marker` in `dir`.
        Ok(Self {
            marker,
            chan: Some(chan),
            _dir: dir,
        })
    }
}

impl Drop for InsmodChannel {
    fn drop(&mut self) {
        insmod::ticker_stop();
        TICK_CHANNEL.store(ptr::null_mut(), Ordering::Release);
        // Remove the marker first: once removal returns, no write to it is
        // running (debugfs drains them), and none can start.
        self.marker.take();
        // The buffer files are removed by the channel's callback, before
        // the directory goes (`_dir`, dropped after this).
        if let Some(chan) = self.chan.take() {
            api::close(chan);
        }
    }
}

/// `write` of the `marker` file: the bytes written become one record.
///
/// Called by the VFS only, on the `marker` file (which the type of `file`
/// stands for); `buffer` is a user address, which the copy checks.
#[no_mangle]
extern "C" fn rrelay_marker_write(
    file: &MarkerFile,
    buffer: *const c_char,
    count: usize,
    _ppos: *mut bindings::loff_t,
) -> isize {
    if count > MARKER_MAX {
        return -(bindings::EMSGSIZE as isize);
    }
    let mut record = KVec::new();
    if record.resize(count, 0u8, GFP_KERNEL).is_err() {
        return -(bindings::ENOMEM as isize);
    }
    let reader = kernel::uaccess::UserSlice::new(
        kernel::uaccess::UserPtr::from_ptr(buffer.cast_mut().cast()),
        count,
    );
    if reader.reader().read_slice(&mut record).is_err() {
        return -(bindings::EFAULT as isize);
    }
    if let Some(chan) = file.chan() {
        write::write(chan, &record);
    }
    count as isize
}

struct RRelay {
    channel: Option<InsmodChannel>,
}

// SAFETY: The raw pointers are owned by the module and used only at load
// and unload, which the module loader serialises.
unsafe impl Sync for RRelay {}
// SAFETY: As above.
unsafe impl Send for RRelay {}

impl kernel::Module for RRelay {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        cpu::hotplug_init()?;
        let name = insmod::param_chan();
        let channel = if name.is_empty() {
            None
        } else {
            match InsmodChannel::new(name) {
                Ok(c) => Some(c),
                Err(e) => {
                    cpu::hotplug_exit();
                    return Err(e);
                }
            }
        };
        Ok(RRelay { channel })
    }
}

impl Drop for RRelay {
    fn drop(&mut self) {
        self.channel.take();
        cpu::hotplug_exit();
    }
}
