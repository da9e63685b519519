// SPDX-License-Identifier: GPL-2.0

//! A stand-in for the kernel crate with only the items the safe Rust API
//! (`include/rrelay/relay.rs`) uses, so that `scripts/lint msrv` can
//! compile the API with an older rustc than the kernel was built with:
//! 1.85, Debian's kernel's.  Sizes are those of a kernel without lockdep;
//! the layout constants come from rrelay.ko's build (`src/c_layout.rs`).

#![no_std]
#![allow(dead_code, non_camel_case_types, non_upper_case_globals, missing_docs)]

/// The layout the API is checked against, whose kernel types (wait queue,
/// irq_work) are sized here to match: this checks the API's Rust, not the
/// layout, which the kernel builds check.
mod c_layout {
    include!(env!("RRELAY_C_LAYOUT"));
}

pub mod ffi {
    pub type c_char = u8;
    pub type c_int = i32;
    pub type c_uint = u32;
    pub type c_ulong = u64;
    pub type c_void = core::ffi::c_void;
}
pub mod bindings {
    #[repr(C)]
    pub struct dentry {
        _p: [u8; 0],
    }
    use crate::c_layout::*;
    #[repr(C)]
    pub struct wait_queue_head {
        _p: [u64; (RCHAN_BUF_wakeup_work - RCHAN_BUF_read_wait) / 8],
    }
    #[repr(C)]
    pub struct irq_work {
        _p: [u64; (RCHAN_BUF_dentry - RCHAN_BUF_wakeup_work) / 8],
    }
    #[repr(C)]
    pub struct kref {
        _p: u32,
    }
    #[repr(C)]
    pub struct list_head {
        _p: [u64; 2],
    }
    #[repr(C)]
    pub struct page {
        _p: [u8; 0],
    }
    pub type umode_t = u16;
    extern "C" {
        pub static mut this_cpu_off: u64;
        pub static mut __per_cpu_offset: [u64; 8];
        pub fn raw_smp_processor_id() -> u32;
        pub fn debugfs_create_dir(n: *const u8, p: *mut dentry) -> *mut dentry;
        pub fn debugfs_remove(d: *mut dentry);
    }
}
pub mod error {
    #[derive(Debug)]
    pub struct Error(i32);
    pub type Result<T = ()> = core::result::Result<T, Error>;
    pub mod code {
        pub const EINVAL: super::Error = super::Error(-22);
        pub const ENOMEM: super::Error = super::Error(-12);
        pub const ENAMETOOLONG: super::Error = super::Error(-36);
    }
    impl From<crate::sync::AllocError> for Error {
        fn from(_: crate::sync::AllocError) -> Self {
            code::ENOMEM
        }
    }
    pub fn from_err_ptr<T>(p: *mut T) -> Result<*mut T> {
        Ok(p)
    }
}
pub mod str {
    pub use core::ffi::CStr;
    pub trait CStrExt {
        fn as_char_ptr(&self) -> *const u8;
    }
    impl CStrExt for CStr {
        fn as_char_ptr(&self) -> *const u8 {
            self.as_ptr().cast()
        }
    }
}
pub mod sync {
    pub struct AllocError;
    pub struct Arc<T>(*const T);
    impl<T> Clone for Arc<T> {
        fn clone(&self) -> Self {
            Arc(self.0)
        }
    }
    impl<T> core::ops::Deref for Arc<T> {
        type Target = T;
        fn deref(&self) -> &T {
            // SAFETY: no `Arc` is ever made (`new` always fails): this
            // stand-in is only compiled, for the API's type check.
            unsafe { &*self.0 }
        }
    }
    impl<T> Arc<T> {
        pub fn new(_v: T, _f: u32) -> Result<Self, AllocError> {
            Err(AllocError)
        }
    }
}
pub mod interrupt {
    pub struct LocalInterruptDisabled;
    pub fn local_interrupt_disable() -> LocalInterruptDisabled {
        LocalInterruptDisabled
    }
}
pub mod prelude {
    pub const GFP_KERNEL: u32 = 0;
}
