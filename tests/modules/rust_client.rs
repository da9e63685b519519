// SPDX-License-Identifier: GPL-2.0

//! A relay client written in Rust, through rrelay's exported C ABI only.
//!
//! At load it opens a channel with files in `/sys/kernel/debug/rust_client/`
//! (`cpu0`...), logs `records` text lines `rust_client seq=N` and flushes;
//! at unload it closes the channel.  The guest tests read the lines back.

use core::fmt::Write;
use core::ptr;
use kernel::bindings;
use kernel::ffi::{c_char, c_int, c_void};
use kernel::prelude::*;
use kernel::str::CStrExt;

module! {
    type: RustClient,
    name: "rust_client",
    authors: ["rrelay developers"],
    description: "relay client written in Rust",
    license: "GPL",
    params: {
        records: u32 {
            default: 100,
            description: "records to log at load",
        },
    },
}

/// `struct rchan_callbacks` of `<linux/relay.h>`.
#[repr(C)]
struct Callbacks {
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

// The relay API of rrelay.ko; on a kernel with its own relay the symbols
// carry an "r" in front.  Kernel structures cross only behind pointers,
// whatever bindgen thinks of their FFI safety.
#[allow(improper_ctypes)]
extern "C" {
    #[cfg_attr(CONFIG_RELAY, link_name = "rrelay_open")]
    fn relay_open(
        base: *const c_char,
        parent: *mut bindings::dentry,
        subbuf_size: usize,
        n_subbufs: usize,
        cb: *const Callbacks,
        private_data: *mut c_void,
    ) -> *mut c_void;
    #[cfg_attr(CONFIG_RELAY, link_name = "rrelay_close")]
    fn relay_close(chan: *mut c_void);
    #[cfg_attr(CONFIG_RELAY, link_name = "rrelay_flush")]
    fn relay_flush(chan: *mut c_void);
    fn rrelay_write_record(chan: *mut c_void, data: *const c_void, length: usize);
    #[cfg_attr(CONFIG_RELAY, link_name = "rrelay_file_operations")]
    static relay_file_operations: bindings::file_operations;
}

/// `create_buf_file`: a debugfs file with rrelay's file operations.
///
/// # Safety
///
/// Called by relay only, with a live buffer.
unsafe extern "C" fn create_buf_file(
    name: *const c_char,
    parent: *mut bindings::dentry,
    mode: bindings::umode_t,
    buf: *mut c_void,
    _is_global: *mut c_int,
) -> *mut bindings::dentry {
    // SAFETY: relay passes a file name, our directory and its buffer, which
    // outlives the file; the file operations are rrelay's.
    unsafe {
        bindings::debugfs_create_file_unsafe(
            name,
            mode,
            parent,
            buf,
            &raw const relay_file_operations,
        )
    }
}

/// `remove_buf_file`.
///
/// # Safety
///
/// Called by relay only, with a dentry from `create_buf_file`.
unsafe extern "C" fn remove_buf_file(dentry: *mut bindings::dentry) -> c_int {
    // SAFETY: relay passes the dentry `create_buf_file` returned.
    unsafe { bindings::debugfs_remove(dentry) };
    0
}

static CALLBACKS: Callbacks = Callbacks {
    subbuf_start: None,
    create_buf_file: Some(create_buf_file),
    remove_buf_file: Some(remove_buf_file),
};

struct Line([u8; 48], usize);

impl Write for Line {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = self.1 + s.len();
        self.0
            .get_mut(self.1..end)
            .ok_or(core::fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.1 = end;
        Ok(())
    }
}

struct RustClient {
    dir: *mut bindings::dentry,
    chan: *mut c_void,
}

// SAFETY: The pointers are used at load and unload only, which the module
// loader serialises.
unsafe impl Send for RustClient {}
// SAFETY: As above.
unsafe impl Sync for RustClient {}

impl kernel::Module for RustClient {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // SAFETY: A NUL-terminated name at the debugfs root.
        let dir =
            unsafe { bindings::debugfs_create_dir(c"rust_client".as_char_ptr(), ptr::null_mut()) };
        // SAFETY: A base name, our directory, static callbacks.
        let chan = unsafe {
            relay_open(
                c"cpu".as_char_ptr(),
                dir,
                4096,
                8,
                &CALLBACKS,
                ptr::null_mut(),
            )
        };
        if chan.is_null() {
            // SAFETY: Our directory.
            unsafe { bindings::debugfs_remove(dir) };
            return Err(EINVAL);
        }
        for seq in 0..module_parameters::records.value() {
            let mut line = Line([0; 48], 0);
            writeln!(line, "rust_client seq={seq}").map_err(|_| EINVAL)?;
            // SAFETY: An open channel and a record in `line`.
            unsafe { rrelay_write_record(chan, line.0.as_ptr().cast(), line.1) };
        }
        // SAFETY: An open channel.
        unsafe { relay_flush(chan) };
        Ok(RustClient { dir, chan })
    }
}

impl Drop for RustClient {
    fn drop(&mut self) {
        // SAFETY: Our open channel and our directory.
        unsafe {
            relay_close(self.chan);
            bindings::debugfs_remove(self.dir);
        }
    }
}
