// SPDX-License-Identifier: GPL-2.0

//! What the channel made at load needs from C: its name (a string module
//! parameter, which `module!` does not offer), its periodic source, and
//! the channel behind its `marker` file.

use kernel::bindings;
use kernel::ffi::{c_char, c_uint, c_void};
use kernel::str::{CStr, CStrExt};

// SAFETY: The signatures are those of the C definitions (`src/helpers.c`,
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

/// The private data of a file's inode: for the `marker` file, the channel.
///
/// # Safety
///
/// `filp` is a live file.
pub(crate) unsafe fn file_inode_private(filp: *mut bindings::file) -> *mut c_void {
    // SAFETY: Per the function's contract.
    unsafe { rrelay_file_inode_private(filp) }
}
