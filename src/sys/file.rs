// SPDX-License-Identifier: GPL-2.0

//! What the file operations of buffer files touch in the VFS: the file and
//! its private buffer, the inode lock that serialises readers, user
//! memory, iov_iters and pipes (pages by reference and by copy).

use super::buf::Buf;
use crate::abi::RchanBuf;
use crate::pins::PinSlot;
use core::ptr::NonNull;
use kernel::bindings;
use kernel::error::{
    code::{EFAULT, EINVAL, ENOMEM},
    Result,
};
use kernel::ffi::{c_int, c_uint, c_ulong, c_void};
use kernel::page::PAGE_SIZE;
use kernel::sync::aref::ARef;
use kernel::types::Opaque;

// These signatures are those of the C definitions (`src/helpers.c`,
// declared in `src/rrelay_internal.h`, or the kernel's), with pointers
// as references where the C side needs them live; each one declared
// `safe` has its argument beside it.  Kernel structures that bindgen
// marks as not FFI-safe cross the boundary behind pointers only.
#[allow(improper_ctypes)]
unsafe extern "C" {
    fn rrelay_file_inode_private(filp: *mut bindings::file) -> *mut c_void;
    fn rrelay_file_open_unseekable(filp: *mut bindings::file);
    /// Safe: takes the inode lock of a live file (process context, as
    /// every file operation that calls it).
    safe fn rrelay_file_lock(filp: &BufFile);
    fn rrelay_file_unlock(filp: &BufFile);
    /// Safe: reads the mode of a live file.
    safe fn rrelay_file_readable(filp: &BufFile) -> bool;
    /// Safe: a live file, its buffer, whose wait queue was set up with
    /// it, and a live poll table or none.
    safe fn rrelay_buf_poll_wait(filp: &BufFile, buf: &Buf, wait: Option<&PollTable>);
    /// Safe: reads the count of a live iterator.
    safe fn rrelay_iter_count(iter: &IovIter) -> usize;
    fn rrelay_copy_to_iter(from: *const c_void, len: usize, iter: &IovIter) -> usize;
    /// Safe: reads the counts of a live, locked pipe.
    safe fn rrelay_pipe_free_slots(pipe: &Pipe) -> c_uint;
    /// Safe: compares the pointer only.
    safe fn rrelay_pipe_is_sendfile_pipe(pipe: &Pipe) -> bool;
    fn rrelay_splice_page(
        pipe: &Pipe,
        page: *mut bindings::page,
        offset: c_uint,
        len: c_uint,
        private: c_ulong,
    ) -> isize;
    fn rrelay_copy_to_new_page(from: *const c_void, len: usize) -> *mut bindings::page;
    fn rrelay_splice_new_page(pipe: &Pipe, page: *mut bindings::page, len: usize) -> isize;
    fn rrelay_free_page(page: *mut bindings::page);
}

/// A buffer file opened by `rrelay_file_open`.
///
/// # Invariants
///
/// `private_data` holds a reference on the file's buffer, taken by
/// `rrelay_file_open` and dropped by `rrelay_file_release`.
#[repr(transparent)]
pub(crate) struct BufFile(Opaque<bindings::file>);

/// `open`: the file takes a reference on its buffer (the inode's
/// `i_private`) and has no positions.
///
/// # Safety
///
/// Called by the VFS only, with the file of a relay buffer: its inode was
/// created with a live buffer as `i_private` (the buffer lives while its
/// file exists).
#[no_mangle]
unsafe extern "C" fn rrelay_file_open(
    _inode: *mut bindings::inode,
    filp: *mut bindings::file,
) -> c_int {
    // SAFETY: Per the function's contract; the file is being opened, ours
    // alone, and `private_data` keeps the reference (`BufFile`'s
    // invariant).
    unsafe {
        let buf = Buf::from_raw(rrelay_file_inode_private(filp).cast());
        (*filp).private_data = ARef::into_raw(ARef::from(buf)).as_ptr().cast();
        rrelay_file_open_unseekable(filp);
    }
    0
}

/// `release`: drops the file's reference; the last one frees the buffer.
///
/// # Safety
///
/// Called by the VFS only, once per file `rrelay_file_open` opened.
#[no_mangle]
unsafe extern "C" fn rrelay_file_release(
    _inode: *mut bindings::inode,
    filp: *mut bindings::file,
) -> c_int {
    // SAFETY: `private_data` holds the file's reference (`BufFile`'s
    // invariant), given up here.
    drop(unsafe { ARef::from_raw(NonNull::new_unchecked((*filp).private_data.cast::<Buf>())) });
    0
}

impl BufFile {
    /// The buffer the file stands for.
    pub(crate) fn buf(&self) -> &Buf {
        // SAFETY: `private_data` holds a reference (type invariant), kept
        // while the file lives, so as long as `self`.
        unsafe { Buf::from_raw((*self.0.get()).private_data.cast::<RchanBuf>()) }
    }

    /// Whether the file was opened for reading.
    pub(crate) fn readable(&self) -> bool {
        rrelay_file_readable(self)
    }

    /// `poll_wait()` on the buffer's wait queue.
    pub(crate) fn poll_wait(&self, wait: Option<&PollTable>) {
        rrelay_buf_poll_wait(self, self.buf(), wait)
    }

    /// Takes the file's inode lock, which serialises readers of one
    /// buffer; process context.
    pub(crate) fn lock(&self) -> InodeGuard<'_> {
        rrelay_file_lock(self);
        // INVARIANT: just taken.
        InodeGuard(self)
    }
}

/// The poll table of a `poll` operation (`poll_table`), live for the
/// operation.
#[repr(transparent)]
pub(crate) struct PollTable(Opaque<bindings::poll_table_struct>);

/// The kiocb of a `read_iter` operation on a buffer file.
///
/// # Invariants
///
/// `ki_filp` is a file opened by `rrelay_file_open`, live as long as the
/// kiocb.
#[repr(transparent)]
pub(crate) struct Kiocb(Opaque<bindings::kiocb>);

impl Kiocb {
    /// The file being read.
    pub(crate) fn file(&self) -> &BufFile {
        // SAFETY: A live kiocb of a buffer file (type invariant); a
        // `BufFile` is a transparent `file`.
        unsafe { &*(*self.0.get()).ki_filp.cast::<BufFile>() }
    }
}

/// The inode lock of a buffer file, released on drop.
///
/// # Invariants
///
/// The lock of the file's inode is held until the guard drops.
pub(crate) struct InodeGuard<'a>(&'a BufFile);

impl Drop for InodeGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: Held (type invariant), released once.
        unsafe { rrelay_file_unlock(self.0) };
    }
}

/// Copies `len` bytes at `pos` of `buf` to user address `to`; returns the
/// bytes that could NOT be copied (all of them if they are not inside the
/// buffer).
pub(crate) fn copy_to_user(buf: &Buf, pos: usize, len: usize, to: *mut c_void) -> usize {
    let Some(from) = buf.bytes(pos, len) else {
        return len;
    };
    // SAFETY: `from` is readable for `len` bytes (inside the mapping);
    // `copy_to_user` checks the user address.
    unsafe { bindings::copy_to_user(to, from.cast(), len as c_ulong) as usize }
}

/// An iov_iter of a read operation, live for the operation.
#[repr(transparent)]
pub(crate) struct IovIter(Opaque<bindings::iov_iter>);

impl IovIter {
    /// Bytes the iterator has room for.
    pub(crate) fn count(&self) -> usize {
        rrelay_iter_count(self)
    }

    /// Copies `len` bytes at `pos` of `buf` into the iterator; returns the
    /// bytes copied (fewer on a fault, none outside the buffer).
    pub(crate) fn copy_from(&self, buf: &Buf, pos: usize, len: usize) -> usize {
        let Some(from) = buf.bytes(pos, len) else {
            return 0;
        };
        // SAFETY: `from` is readable for `len` bytes; a live iterator.
        unsafe { rrelay_copy_to_iter(from.cast(), len, self) }
    }
}

/// A pipe a splice fills.
///
/// # Invariants
///
/// Live, and locked by the splice operation it is passed to.
#[repr(transparent)]
pub(crate) struct Pipe(Opaque<bindings::pipe_inode_info>);

impl Pipe {
    /// Whether this is the internal pipe of this task's `sendfile()`
    /// (`do_splice_direct()`).
    pub(crate) fn is_sendfile_pipe(&self) -> bool {
        rrelay_pipe_is_sendfile_pipe(self)
    }

    /// How many more buffers the pipe takes.
    pub(crate) fn free_slots(&self) -> usize {
        rrelay_pipe_free_slots(self) as usize
    }

    /// Adds `len` bytes at `pos` of `buf` to the pipe by reference, as a
    /// pipe buffer owning `slot`'s pin (taken by the caller) and `held`,
    /// which are dropped when the pipe releases it (or at once if it
    /// cannot be added).  Returns `len`, or `-EPIPE` (no reader; SIGPIPE
    /// sent) or `-EAGAIN`; `-EINVAL` if the chunk is not in one page of
    /// the buffer (then the pin is dropped here).
    pub(crate) fn add_pinned(
        &self,
        held: ARef<Buf>,
        slot: &PinSlot,
        pos: usize,
        len: usize,
    ) -> isize {
        let offset = pos % PAGE_SIZE;
        let page = held.page(pos);
        let Some(page) = page.filter(|_| len <= PAGE_SIZE - offset && held.owns_slot(slot)) else {
            slot.unpin();
            return EINVAL.to_errno() as isize;
        };
        let private = core::ptr::from_ref(slot) as c_ulong;
        // The pipe buffer owns the reference from here on.
        let _ = ARef::into_raw(held);
        // SAFETY: Live and locked; the page is the buffer's and the chunk
        // lies within it; the pin and the reference are the pipe buffer's
        // to drop (`rrelay_pipe_buf_put`), even if it cannot be added.
        unsafe { rrelay_splice_page(self, page, offset as c_uint, len as c_uint, private) }
    }

    /// Adds a copy of `len` bytes (at most a page) at `pos` of `buf`, made
    /// by [`CopiedPage::new`], which the pipe then owns.  Returns `len`,
    /// or `-EPIPE` (no reader; SIGPIPE sent) or `-EAGAIN`.
    pub(crate) fn add_copy(&self, page: CopiedPage) -> isize {
        let (raw, len) = (page.page, page.len);
        core::mem::forget(page);
        // SAFETY: Live and locked; the page is given up to the pipe.
        unsafe { rrelay_splice_new_page(self, raw, len) }
    }
}

/// A page of the kernel's holding a copy of part of a buffer, freed on
/// drop unless given to a pipe ([`Pipe::add_copy`]).
///
/// # Invariants
///
/// `page` is ours, and holds `len` (at most a page) bytes.
pub(crate) struct CopiedPage {
    page: *mut bindings::page,
    len: usize,
}

impl CopiedPage {
    /// A copy of `len` bytes (at most a page) at `pos` of `buf`.
    pub(crate) fn new(buf: &Buf, pos: usize, len: usize) -> Result<Self> {
        let from = buf
            .bytes(pos, len)
            .filter(|_| len <= PAGE_SIZE)
            .ok_or(ENOMEM)?;
        // SAFETY: `from` is readable for `len` bytes (inside the mapping).
        let page = unsafe { rrelay_copy_to_new_page(from.cast(), len) };
        if page.is_null() {
            return Err(ENOMEM);
        }
        // INVARIANT: a new page with the copy.
        Ok(Self { page, len })
    }
}

impl Drop for CopiedPage {
    fn drop(&mut self) {
        // SAFETY: The page is ours (type invariant), in no pipe.
        unsafe { rrelay_free_page(self.page) }
    }
}

/// A pipe buffer holding a sub-buffer's page was duplicated (`tee()`): the
/// copy holds a pin and a buffer reference of its own.
///
/// # Safety
///
/// `private` is the `PinSlot` of a pipe buffer made by [`Pipe::add_pinned`]
/// and not yet released.
#[no_mangle]
unsafe extern "C" fn rrelay_pipe_buf_get(private: c_ulong) {
    // SAFETY: Per the contract, the slot and its buffer are alive: the
    // original pipe buffer holds a reference.
    let (slot, buf) = unsafe {
        let slot = &*(private as *const PinSlot);
        (slot, Buf::from_raw(slot.buf().as_ptr()))
    };
    slot.pin_again();
    // The copy's reference, dropped by `rrelay_pipe_buf_put`.
    let _ = ARef::into_raw(ARef::from(buf));
}

/// A pipe buffer holding a sub-buffer's page was released: drops its pin
/// (the writer may come back) and its buffer reference.
///
/// # Safety
///
/// `private` is the `PinSlot` of a pipe buffer made by [`Pipe::add_pinned`]
/// (or `rrelay_pipe_buf_get`), released once.
#[no_mangle]
unsafe extern "C" fn rrelay_pipe_buf_put(private: c_ulong) {
    // SAFETY: Per the contract, the pipe buffer's reference keeps the slot
    // alive until the drop, which comes last and gives that reference up.
    unsafe {
        let slot = &*(private as *const PinSlot);
        slot.unpin();
        drop(ARef::from_raw(slot.buf().cast::<Buf>()));
    }
}

/// Copies `value` to user address `addr`; `-EFAULT` if it cannot.
pub(crate) fn put_user_struct<T>(addr: usize, value: &T) -> Result {
    let len = core::mem::size_of::<T>();
    // SAFETY: `value` is valid for `len` bytes of reading; `copy_to_user`
    // checks the user address.
    let left = unsafe {
        bindings::copy_to_user(
            addr as *mut c_void,
            core::ptr::from_ref(value).cast(),
            len as c_ulong,
        )
    };
    if left == 0 {
        Ok(())
    } else {
        Err(EFAULT)
    }
}

/// Copies `values` to user address `addr`, back to back as a C array;
/// `-EFAULT` if it cannot (some may have been copied).
pub(crate) fn put_user_slice<T>(addr: usize, values: &[T]) -> Result {
    let len = core::mem::size_of_val(values);
    // SAFETY: `values` is valid for `len` bytes of reading; `copy_to_user`
    // checks the user address range.
    let left = unsafe {
        bindings::copy_to_user(addr as *mut c_void, values.as_ptr().cast(), len as c_ulong)
    };
    if left == 0 {
        Ok(())
    } else {
        Err(EFAULT)
    }
}

/// Copies a `T` from user address `addr` into `value`; `-EFAULT` if it
/// cannot.  `T` must be plain data (any bytes a valid value).
pub(crate) fn get_user_struct<T: Copy>(addr: usize, value: &mut T) -> Result {
    let len = core::mem::size_of::<T>();
    // SAFETY: `value` is valid for `len` bytes of writing and `T` is plain
    // data (callers pass integer-only structs); `copy_from_user` checks
    // the user address.
    let left = unsafe {
        bindings::copy_from_user(
            core::ptr::from_mut(value).cast(),
            addr as *const c_void,
            len as c_ulong,
        )
    };
    if left == 0 {
        Ok(())
    } else {
        Err(EFAULT)
    }
}
