// SPDX-License-Identifier: GPL-2.0

//! What the channel made at load needs from C: its name (a string module
//! parameter, which `module!` does not offer), its periodic source, and
//! the channel behind its `marker` file.  Above `chan`.

use super::chan::Chan;
use kernel::bindings;
use kernel::ffi::{c_char, c_uint, c_void};
use kernel::str::{CStr, CStrExt};
use kernel::types::Opaque;

// These signatures are those of the C definitions (`src/helpers.c`,
// declared in `src/rrelay_internal.h`, or the kernel's), with pointers
// as references where the C side needs them live; each one declared
// `safe` has its argument beside it.  Kernel structures that bindgen
// marks as not FFI-safe cross the boundary behind pointers only.
#[allow(improper_ctypes)]
unsafe extern "C" {
    /// Safe: returns the address of a static array.
    safe fn rrelay_param_chan() -> *const c_char;
    fn rrelay_ticker_start(rate: c_uint);
    /// Safe: timers never started are skipped.
    safe fn rrelay_ticker_stop();
    fn rrelay_file_inode_private(filp: *mut bindings::file) -> *mut c_void;
}

/// The `chan` module parameter.
pub(crate) fn param_chan() -> &'static CStr {
    // SAFETY: A NUL-terminated array in the module's data, only written by
    // the module loader before `init`.
    unsafe { CStr::from_char_ptr(rrelay_param_chan()) }
}

/// Starts a pinned timer on every online CPU that calls `rrelay_tick()`
/// there `rate` times a second (as far as `HZ` allows).
///
/// # Safety
///
/// `rrelay_tick` may run from now until [`ticker_stop`] returns.
pub(crate) unsafe fn ticker_start(rate: u32) {
    // SAFETY: Per the function's contract.
    unsafe { rrelay_ticker_start(rate) }
}

/// Stops the timers of [`ticker_start`] and waits for running ticks.
pub(crate) fn ticker_stop() {
    rrelay_ticker_stop()
}

/// The `marker` file of the insmod channel, in a `write` operation.
///
/// # Invariants
///
/// A live file of the entry `Debugfs::marker` made, whose inode's private
/// data is the insmod channel: open while the file exists (its owner
/// removes the file before it closes the channel).
#[repr(transparent)]
pub(crate) struct MarkerFile(Opaque<bindings::file>);

impl MarkerFile {
    /// The channel the file logs into.
    pub(crate) fn chan(&self) -> Option<&Chan> {
        // SAFETY: A live file whose inode holds the open insmod channel
        // (type invariant), which outlives the write operation.
        unsafe { Chan::from_raw(rrelay_file_inode_private(self.0.get()).cast()) }
    }
}
