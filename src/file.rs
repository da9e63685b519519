// SPDX-License-Identifier: GPL-2.0

//! The file operations of buffer files (`relay_file_operations`, whose
//! table is in `src/helpers.c`): open, read, poll, release, with mainline's
//! semantics.  Reads never block, skip padding, may return the partly
//! filled current sub-buffer, and consume what they return; the read
//! position belongs to the buffer, shared by every open file.

use crate::abi::RchanBuf;
use crate::channel::{buf_get, buf_put, BufState};
use crate::ring;
use crate::sys;
use core::ptr;
use kernel::bindings;
use kernel::ffi::{c_char, c_int, c_uint};

/// `open`: the file takes a reference on its buffer (from `i_private`).
///
/// # Safety
///
/// Called by the VFS only, with the file of a relay buffer.
#[no_mangle]
pub(crate) unsafe extern "C" fn rrelay_file_open(
    inode: *mut bindings::inode,
    filp: *mut bindings::file,
) -> c_int {
    // SAFETY: The VFS passes a live file whose inode was created with the
    // buffer as `i_private`; the buffer lives while its file exists.
    unsafe {
        let buf = sys::file_inode_private(filp).cast::<RchanBuf>();
        buf_get(buf);
        (*filp).private_data = buf.cast();
        sys::nonseekable_open(inode, filp)
    }
}

/// `release`: drops the file's reference; the last one frees the buffer.
///
/// # Safety
///
/// Called by the VFS only, once per successful `rrelay_file_open`.
#[no_mangle]
pub(crate) unsafe extern "C" fn rrelay_file_release(
    _inode: *mut bindings::inode,
    filp: *mut bindings::file,
) -> c_int {
    // SAFETY: `private_data` holds the reference taken by `open`.
    unsafe { buf_put((*filp).private_data.cast()) };
    0
}

/// `poll`: `EPOLLERR` once the channel is closed; otherwise readable when
/// a whole sub-buffer is waiting (a partly filled one does not count, as
/// in mainline: wake-ups come at sub-buffer switches).
///
/// # Safety
///
/// Called by the VFS only, on a file opened by `rrelay_file_open`.
#[no_mangle]
pub(crate) unsafe extern "C" fn rrelay_file_poll(
    filp: *mut bindings::file,
    wait: *mut bindings::poll_table_struct,
) -> c_uint {
    // SAFETY: `private_data` is the buffer referenced by this file.
    let buf = unsafe { (*filp).private_data.cast::<RchanBuf>() };
    // SAFETY: As above.
    if unsafe { ptr::read_volatile(&raw const (*buf).finalized) } != 0 {
        return bindings::POLLERR;
    }
    let mut mask = 0;
    // SAFETY: As above; the arguments are the poll operation's.
    if unsafe { sys::file_readable(filp) } {
        // SAFETY: As above.
        unsafe { sys::buf_poll_wait(filp, buf, wait) };
        // SAFETY: As above.
        let s = unsafe { BufState::new(buf) };
        if !ring::is_empty(&s, s.geometry()) {
            mask |= bindings::POLLIN | bindings::POLLRDNORM;
        }
    }
    mask
}

/// `read`: copies what is available, up to `count` bytes, and consumes it.
/// Returns 0 when nothing is available; a fault after some bytes returns
/// those bytes, a fault before any returns `-EFAULT`.
///
/// # Safety
///
/// Called by the VFS only, on a file opened by `rrelay_file_open`.
#[no_mangle]
pub(crate) unsafe extern "C" fn rrelay_file_read(
    filp: *mut bindings::file,
    buffer: *mut c_char,
    count: usize,
    _ppos: *mut bindings::loff_t,
) -> isize {
    if count == 0 {
        return 0;
    }
    // SAFETY: `private_data` is the buffer referenced by this file.
    let buf = unsafe { (*filp).private_data.cast::<RchanBuf>() };
    // SAFETY: As above.
    let mut s = unsafe { BufState::new(buf) };
    let geo = *s.geometry();
    let mut written = 0usize;
    let mut fault = false;
    // SAFETY: A live file, process context.
    unsafe { sys::file_lock(filp) };
    while written < count {
        let Some((pos, avail)) = ring::read_step(&mut s, &geo) else {
            break;
        };
        let len = avail.min(count - written);
        // SAFETY: `pos + len` lies inside the buffer's mapping; the user
        // address is checked by `copy_to_user`.
        let left = unsafe {
            sys::copy_to_user(buffer.wrapping_add(written).cast(), s.addr(pos).cast(), len)
        };
        let copied = len - left;
        if copied > 0 {
            ring::read_done(&mut s, &geo, pos, copied);
            written += copied;
        }
        if left != 0 {
            fault = true;
            break;
        }
    }
    // SAFETY: Taken above.
    unsafe { sys::file_unlock(filp) };
    if written == 0 && fault {
        return -(bindings::EFAULT as isize);
    }
    written as isize
}
