// SPDX-License-Identifier: GPL-2.0

//! debugfs entries: owned ones that go when dropped (the insmod channel's
//! directory and `marker` file), and the buffer files relay creates and
//! removes through a client's callbacks.
//!
//! Not `kernel::debugfs`: its files go through the debugfs proxy and take
//! typed data, while relay's buffer files need the real operations (mmap
//! and splice, which the proxy hides; see `rrelay_create_buf_file()`).

use crate::abi::{Rchan, RchanBuf};
use core::ptr::{self, NonNull};
use kernel::bindings;
use kernel::ffi::{c_char, c_int};
use kernel::str::{CStr, CStrExt};

// These signatures are those of the C definitions (`src/helpers.c`,
// declared in `src/rrelay_internal.h`, or the kernel's), with pointers
// as references where the C side needs them live; each one declared
// `safe` has its argument beside it.  Kernel structures that bindgen
// marks as not FFI-safe cross the boundary behind pointers only.
#[allow(improper_ctypes)]
unsafe extern "C" {
    static rrelay_marker_fops: bindings::file_operations;
    #[cfg_attr(CONFIG_RELAY, link_name = "rrelay_file_operations")]
    static relay_file_operations: bindings::file_operations;
}

/// `IS_ERR_OR_NULL()` for pointers returned by kernel functions.
pub(crate) fn is_err_or_null<T>(ptr: *mut T) -> bool {
    ptr.is_null() || (ptr as usize) >= (-(bindings::MAX_ERRNO as isize)) as usize
}

/// A debugfs entry (file or directory) this module created, removed with
/// its contents when dropped.
///
/// # Invariants
///
/// `0` is a live debugfs dentry, ours until drop.
pub(crate) struct Debugfs(NonNull<bindings::dentry>);

impl Debugfs {
    /// `debugfs_create_dir()` at the top of debugfs.
    pub(crate) fn dir(name: &CStr) -> Option<Self> {
        // SAFETY: `name` is NUL-terminated; null is the debugfs root.
        let d = unsafe { bindings::debugfs_create_dir(name.as_char_ptr(), ptr::null_mut()) };
        // INVARIANT: a new entry, ours.
        (!is_err_or_null(d))
            .then(|| NonNull::new(d).map(Self))
            .flatten()
    }

    /// The entry, for C callers that take a parent directory.
    pub(crate) fn as_ptr(&self) -> *mut bindings::dentry {
        self.0.as_ptr()
    }

    /// The `marker` file of the insmod channel in this directory, whose
    /// writes `rrelay_marker_write()` logs into `chan` (the inode's
    /// private data).
    ///
    /// # Safety
    ///
    /// `chan` stays open while the file exists.
    pub(crate) unsafe fn marker(&self, chan: *mut Rchan) -> Option<Self> {
        // SAFETY: A NUL-terminated name, our directory; `chan` per the
        // contract; the operations are the module's, which outlives them.
        let d = unsafe {
            bindings::debugfs_create_file_unsafe(
                c"marker".as_char_ptr(),
                0o200,
                self.as_ptr(),
                chan.cast(),
                &raw const rrelay_marker_fops,
            )
        };
        // INVARIANT: a new entry, ours.
        (!is_err_or_null(d))
            .then(|| NonNull::new(d).map(Self))
            .flatten()
    }
}

impl Drop for Debugfs {
    fn drop(&mut self) {
        // SAFETY: Ours (type invariant); a directory goes with its contents.
        unsafe { bindings::debugfs_remove(self.0.as_ptr()) }
    }
}

/// A `create_buf_file` callback: a debugfs file with relay's own file
/// operations (see `rrelay_create_buf_file()`); null on failure.
///
/// # Safety
///
/// Called by relay only: `name` is NUL-terminated, `parent` a debugfs
/// directory or null, `buf` a live buffer, which outlives its file.
pub(crate) unsafe extern "C" fn create_buf_file(
    name: *const c_char,
    parent: *mut bindings::dentry,
    mode: bindings::umode_t,
    buf: *mut RchanBuf,
    _is_global: *mut c_int,
) -> *mut bindings::dentry {
    // SAFETY: Per the function's contract; the operations are the
    // module's, and keep the buffer alive themselves.
    let d = unsafe {
        bindings::debugfs_create_file_unsafe(
            name,
            mode,
            parent,
            buf.cast(),
            &raw const relay_file_operations,
        )
    };
    if is_err_or_null(d) {
        ptr::null_mut()
    } else {
        d
    }
}

/// A `remove_buf_file` callback: removes a file of [`create_buf_file`].
///
/// # Safety
///
/// Called by relay only, once, with a dentry [`create_buf_file`] made.
pub(crate) unsafe extern "C" fn remove_buf_file(dentry: *mut bindings::dentry) -> c_int {
    // SAFETY: Per the function's contract.
    unsafe { bindings::debugfs_remove(dentry) };
    0
}
