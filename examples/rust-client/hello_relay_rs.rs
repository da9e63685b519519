// SPDX-License-Identifier: GPL-2.0

//! hello_relay_rs - a minimal relay client in Rust.
//!
//! At load it opens a channel with one buffer per CPU, seen as
//! `/sys/kernel/debug/hello_relay_rs/cpu0` ... `cpuN`, logs `records` text
//! lines `hello_relay_rs seq=<n>` and flushes. Unloading closes the channel.
//!
//! The relay API is C. This module declares the few calls it needs and
//! links against rrelay.ko's exports.

use core::ptr;
use kernel::bindings;
use kernel::ffi::{c_char, c_int, c_void};
use kernel::prelude::*;
use kernel::str::{CStrExt, CString};

module! {
    type: HelloRelay,
    name: "hello_relay_rs",
    authors: ["rrelay developers"],
    description: "Minimal relay client in Rust",
    license: "GPL",
    params: {
        records: u32 {
            default: 100,
            description: "lines to log at load",
        },
    },
}

/// `struct rchan_callbacks` of `<linux/relay.h>`, field for field.
#[repr(C)]
struct RchanCallbacks {
    subbuf_start: Option<unsafe extern "C" fn(*mut c_void, *mut c_void, *mut c_void) -> c_int>,
    create_buf_file: Option<
        unsafe extern "C" fn(
            *const c_char,
            *mut bindings::dentry,
            bindings::umode_t,
            *mut c_void,
            *mut c_int,
        ) -> *mut bindings::dentry,
    >,
    remove_buf_file: Option<unsafe extern "C" fn(*mut bindings::dentry) -> c_int>,
}

// rrelay.ko's exports. On a kernel with its own relay (CONFIG_RELAY=y)
// they carry an "r" in front. Channels and buffers stay opaque pointers.
// Only pointers cross, but the lint looks inside `struct dentry` (whose
// bindgen form has an empty array member) and complains: allowed.
#[allow(improper_ctypes)]
extern "C" {
    #[cfg_attr(CONFIG_RELAY, link_name = "rrelay_open")]
    fn relay_open(
        base_filename: *const c_char,
        parent: *mut bindings::dentry,
        subbuf_size: usize,
        n_subbufs: usize,
        cb: *const RchanCallbacks,
        private_data: *mut c_void,
    ) -> *mut c_void;
    #[cfg_attr(CONFIG_RELAY, link_name = "rrelay_flush")]
    fn relay_flush(chan: *mut c_void);
    #[cfg_attr(CONFIG_RELAY, link_name = "rrelay_close")]
    fn relay_close(chan: *mut c_void);
    fn rrelay_write_record(chan: *mut c_void, data: *const c_void, length: usize);
    fn rrelay_create_buf_file(
        filename: *const c_char,
        parent: *mut bindings::dentry,
        mode: bindings::umode_t,
        buf: *mut c_void,
    ) -> *mut bindings::dentry;
}

/// Makes the file of one buffer, with relay's own file operations.
///
/// # Safety
///
/// Called by relay only, with the arguments of `create_buf_file`.
unsafe extern "C" fn create_buf_file(
    filename: *const c_char,
    parent: *mut bindings::dentry,
    mode: bindings::umode_t,
    buf: *mut c_void,
    _is_global: *mut c_int,
) -> *mut bindings::dentry {
    // SAFETY: relay passes a file name, our directory and a live buffer.
    unsafe { rrelay_create_buf_file(filename, parent, mode, buf) }
}

/// Removes a file made by `create_buf_file`.
///
/// # Safety
///
/// Called by relay only, with a dentry that `create_buf_file` returned.
unsafe extern "C" fn remove_buf_file(dentry: *mut bindings::dentry) -> c_int {
    // SAFETY: The dentry is one of our files.
    unsafe { bindings::debugfs_remove(dentry) };
    0
}

static CALLBACKS: RchanCallbacks = RchanCallbacks {
    subbuf_start: None,
    create_buf_file: Some(create_buf_file),
    remove_buf_file: Some(remove_buf_file),
};

struct HelloRelay {
    dir: *mut bindings::dentry,
    chan: *mut c_void,
}

// SAFETY: The pointers are only used at load and unload, which the module
// loader serialises; relay's calls may be made from any task.
unsafe impl Send for HelloRelay {}
// SAFETY: As above: nothing is used through a shared reference.
unsafe impl Sync for HelloRelay {}

impl kernel::Module for HelloRelay {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // SAFETY: A NUL-terminated name, at the root of debugfs.
        let dir = unsafe {
            bindings::debugfs_create_dir(c"hello_relay_rs".as_char_ptr(), ptr::null_mut())
        };
        // Per CPU: 4 sub-buffers of 4 KiB; files cpu0, cpu1, ... in dir.
        // SAFETY: A base name, our directory and callbacks that live forever.
        let chan = unsafe {
            relay_open(
                c"cpu".as_char_ptr(),
                dir,
                4096,
                4,
                &CALLBACKS,
                ptr::null_mut(),
            )
        };
        if chan.is_null() {
            // SAFETY: Our directory, which nothing else uses.
            unsafe { bindings::debugfs_remove(dir) };
            return Err(ENOMEM);
        }
        let this = HelloRelay { dir, chan };
        for seq in 0..module_parameters::records.value() {
            let line = CString::try_from_fmt(fmt!("hello_relay_rs seq={seq}\n"))?;
            let bytes = line.to_bytes();
            // SAFETY: An open channel; the record is `bytes`.
            unsafe { rrelay_write_record(this.chan, bytes.as_ptr().cast(), bytes.len()) };
        }
        // SAFETY: An open channel.
        unsafe { relay_flush(this.chan) };
        Ok(this)
    }
}

impl Drop for HelloRelay {
    fn drop(&mut self) {
        // SAFETY: Our channel, closed once, then our directory.
        unsafe {
            relay_close(self.chan);
            bindings::debugfs_remove(self.dir);
        }
    }
}
