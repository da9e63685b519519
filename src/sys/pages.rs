// SPDX-License-Identifier: GPL-2.0

//! The pages of a buffer, mapped contiguously in the kernel: an owned set
//! that unmaps and frees them when dropped.
//!
//! Not `kernel::page::Page`: the pages must sit in one C array of
//! `struct page *` (`rchan_buf::page_array`, which the mmap fault handler
//! of `src/helpers.c` indexes), and they are allocated with
//! `__GFP_RETRY_MAYFAIL`, which `kernel::alloc::Flags` does not offer.

use core::ptr::NonNull;
use kernel::alloc::{flags::GFP_KERNEL, AllocError, KVVec};
use kernel::bindings;
use kernel::ffi::{c_uint, c_ulong, c_void};

// These signatures are those of the C definitions (`src/helpers.c`,
// declared in `src/rrelay_internal.h`, or the kernel's), with pointers
// as references where the C side needs them live; each one declared
// `safe` has its argument beside it.  Kernel structures that bindgen
// marks as not FFI-safe cross the boundary behind pointers only.
#[allow(improper_ctypes)]
unsafe extern "C" {
    /// Safe: an allocation (may sleep, as every caller may); null on
    /// failure.
    safe fn rrelay_alloc_zeroed_page() -> *mut bindings::page;
    /// Safe: reads a counter.
    safe fn rrelay_totalram_pages() -> c_ulong;
    fn rrelay_free_page(page: *mut bindings::page);
    fn rrelay_vmap(pages: *mut *mut bindings::page, count: c_uint) -> *mut c_void;
    fn rrelay_vunmap(addr: *mut c_void);
}

/// Pages allocated by `rrelay_alloc_zeroed_page()`, freed on drop.
///
/// # Invariants
///
/// Every entry is a page this set owns, unmapped unless a [`PageSet`]
/// maps it.
struct Pages(KVVec<*mut bindings::page>);

impl Drop for Pages {
    fn drop(&mut self) {
        for &page in self.0.iter() {
            // SAFETY: The page is ours (type invariant); whoever mapped it
            // has unmapped it before (`PageSet::drop`).
            unsafe { rrelay_free_page(page) };
        }
    }
}

/// `n` zeroed pages and their contiguous kernel mapping (`vmap`).
///
/// # Invariants
///
/// `addr` is the `vmap` of exactly the pages of `pages`, in order, until
/// drop.
pub(crate) struct PageSet {
    pages: Pages,
    addr: NonNull<c_void>,
}

impl PageSet {
    /// Allocates `n` zeroed pages and maps them.  Refused at once when `n`
    /// exceeds all memory, before any page is taken from others; the page
    /// array may be large, so it is kvmalloc'ed (mainline's kvcalloc).
    pub(crate) fn new(n: usize) -> Result<Self, AllocError> {
        if n > rrelay_totalram_pages() as usize {
            return Err(AllocError);
        }
        let mut pages = Pages(KVVec::with_capacity(n, GFP_KERNEL)?);
        for _ in 0..n {
            let page = rrelay_alloc_zeroed_page();
            if page.is_null() {
                return Err(AllocError);
            }
            // INVARIANT: the set owns the page from here on.  Cannot fail:
            // the capacity was reserved above.
            pages.0.push(page, GFP_KERNEL)?;
        }
        let count = u32::try_from(n).map_err(|_| AllocError)?;
        // SAFETY: `pages` holds `n` valid pages.
        let addr = unsafe { rrelay_vmap(pages.0.as_mut_ptr(), count) };
        // INVARIANT: `addr` maps exactly `pages`.
        Ok(Self {
            addr: NonNull::new(addr).ok_or(AllocError)?,
            pages,
        })
    }

    /// Kernel address of the first byte.
    pub(crate) fn addr(&self) -> *mut c_void {
        self.addr.as_ptr()
    }

    /// The C array of the pages, for `rchan_buf::page_array`.
    pub(crate) fn array(&self) -> *mut *mut bindings::page {
        self.pages.0.as_ptr().cast_mut()
    }

    /// How many pages.
    pub(crate) fn count(&self) -> usize {
        self.pages.0.len()
    }

    /// Page number `n`, if there is one.
    pub(crate) fn page(&self, n: usize) -> Option<*mut bindings::page> {
        self.pages.0.get(n).copied()
    }
}

impl Drop for PageSet {
    fn drop(&mut self) {
        // SAFETY: `addr` came from `vmap` (type invariant) and the buffer
        // that used it is being freed; `pages` frees the pages next.
        unsafe { rrelay_vunmap(self.addr.as_ptr()) };
    }
}
