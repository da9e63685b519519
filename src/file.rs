// SPDX-License-Identifier: GPL-2.0

//! The file operations of buffer files (`relay_file_operations`, whose
//! table is in `src/helpers.c`): open, read, poll, release, with mainline's
//! semantics.  Reads never block, skip padding, may return the partly
//! filled current sub-buffer, and consume what they return; the read
//! position belongs to the buffer, shared by every open file.
//!
//! Beyond mainline: splice moves completed sub-buffers' pages into the
//! pipe by reference, pinned against the writer until the pipe lets them
//! go; the mmap reader's ioctls.

use crate::abi::{self, RchanBuf};
use crate::buffer::{buf_get, buf_put, BufState};
use crate::pins::PinSlot;
use crate::ring::{self, RingState};
use crate::sys;
use core::ptr;
use kernel::bindings;
use kernel::error::code::{EINVAL, ENODATA, ENOTTY, ESTALE};
use kernel::ffi::{c_char, c_int, c_uint, c_ulong};
use kernel::page::PAGE_SIZE;
use kernel::sync::barrier::{smp_mb, Read};

/// `open`: the file takes a reference on its buffer (from `i_private`).
///
/// # Safety
///
/// Called by the VFS only, with the file of a relay buffer.
#[no_mangle]
pub(crate) unsafe extern "C" fn rrelay_file_open(
    _inode: *mut bindings::inode,
    filp: *mut bindings::file,
) -> c_int {
    // SAFETY: The VFS passes a live file whose inode was created with the
    // buffer as `i_private`; the buffer lives while its file exists.
    unsafe {
        let buf = sys::file_inode_private(filp).cast::<RchanBuf>();
        buf_get(buf);
        (*filp).private_data = buf.cast();
        sys::file_open_unseekable(filp);
    }
    0
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
    // SAFETY: As above; the arguments are the poll operation's.
    let readable = unsafe { sys::file_readable(filp) };
    if readable {
        // SAFETY: As above.
        unsafe { sys::buf_poll_wait(filp, buf, wait) };
    }
    // Looked at once queued (mainline looks before): a relay_close() that
    // sets it after this look wakes the queue this poller is on.
    // SAFETY: As above.
    if unsafe { ptr::read_volatile(&raw const (*buf).finalized) } != 0 {
        return bindings::POLLERR;
    }
    let mut mask = 0;
    // SAFETY: As above.
    let s = unsafe { BufState::new(buf) };
    if readable && !ring::is_empty(&s, s.geometry()) {
        mask |= bindings::POLLIN | bindings::POLLRDNORM;
    }
    mask
}

/// The next chunk `step` finds (`ring::read_step` or `ring::read_chunk`),
/// seeing the writer's own sub-buffer through a snapshot: when the chunk
/// lies in it, the writer's position is taken on its CPU
/// (`BufState::snapshot_writer`), once per `tried`, and the step is taken
/// again from there.
fn step_seeing_writer(
    s: &mut BufState,
    tried: &mut bool,
    mut step: impl FnMut(&mut BufState) -> Option<(usize, usize)>,
) -> Option<(usize, usize)> {
    let (pos, avail) = step(s)?;
    let geo = *s.geometry();
    if *tried || ring::number_at(s, &geo, pos) != s.produced() {
        return Some((pos, avail));
    }
    *tried = true;
    if !s.snapshot_writer() {
        // A global buffer or an offline CPU: the live position.
        return Some((pos, avail));
    }
    step(s)
}

/// After a copy the writer may have overwritten (not returned): back to
/// the live fields, where the next step finds the reader lapped, skips to
/// the oldest whole sub-buffer and counts the loss.  False once a writer
/// lapping again and again has kept the reader here for a buffer's worth
/// of tries: the read then returns what it has.
fn drop_copy(s: &mut BufState, snapshot_tried: &mut bool, discarded: &mut usize) -> bool {
    s.drop_snapshot();
    *snapshot_tried = false;
    *discarded += 1;
    *discarded <= s.geometry().n_subbufs()
}

/// Copies what is available, up to `count` bytes, through `copy(to_offset,
/// from, len)` (which returns the bytes it could not copy), and consumes
/// what was copied.  Returns the bytes copied, or `-EFAULT` when a fault
/// stopped the very first copy.
///
/// Beyond mainline: once it has returned data, a read stops rather than
/// take part of a sub-buffer (`ring::read_chunk`); bytes the writer may
/// have overwritten while they were copied are not returned (the reader
/// skips on, and the lost sub-buffers are counted); and the writer's own
/// sub-buffer is read up to where the writer was at one instant on its
/// CPU, never into a slot `relay_reserve()` handed out but the client has
/// not filled yet.
///
/// # Safety
///
/// `filp` is a buffer file opened by `rrelay_file_open`; process context.
unsafe fn read_with(
    filp: *mut bindings::file,
    count: usize,
    mut copy: impl FnMut(usize, *const u8, usize) -> usize,
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
    let mut discarded = 0;
    let mut snapshot_tried = false;
    // SAFETY: A live file, process context.
    unsafe { sys::file_lock(filp) };
    while written < count {
        let Some((pos, len)) = step_seeing_writer(&mut s, &mut snapshot_tried, |s| {
            ring::read_chunk(s, &geo, count - written, written > 0)
        }) else {
            break;
        };
        let number = ring::number_at(&s, &geo, pos);
        let left = copy(written, s.addr(pos), len);
        if s.lapped_since_copy(number) {
            if !drop_copy(&mut s, &mut snapshot_tried, &mut discarded) {
                break;
            }
            continue;
        }
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
    // SAFETY: Per the contract; each chunk lies inside the buffer's
    // mapping, and `copy_to_user` checks the user address.
    unsafe {
        read_with(filp, count, |at, from, len| {
            sys::copy_to_user(buffer.wrapping_add(at).cast(), from.cast(), len)
        })
    }
}

/// `read_iter`: `read` into an iov_iter, which readv() and splice (through
/// `copy_splice_read`) use.
///
/// # Safety
///
/// Called by the VFS only, on a file opened by `rrelay_file_open`.
#[no_mangle]
pub(crate) unsafe extern "C" fn rrelay_file_read_iter(
    iocb: *mut bindings::kiocb,
    to: *mut bindings::iov_iter,
) -> isize {
    // SAFETY: The VFS passes a live kiocb and iterator.
    unsafe {
        let filp = (*iocb).ki_filp;
        read_with(filp, sys::iter_count(to), |_, from, len| {
            len - sys::copy_to_iter(from.cast(), len, to)
        })
    }
}

/// `splice_read`: moves what `read()` would return into a pipe, and
/// consumes it.
///
/// A chunk of a completed sub-buffer goes in by reference: the pipe buffer
/// holds the page, a pin that keeps the writer out of the sub-buffer
/// (`ring::pin_for_splice`), and a reference on the buffer, until the pipe
/// releases it.  The partly written current sub-buffer, and one the writer
/// may be back in, are copied into new pages instead, and a copy the
/// writer may have overwritten meanwhile is dropped, as in `read()`.  Each
/// pipe buffer holds at most one page's worth.  Once it has moved data, a
/// splice stops rather than take part of a sub-buffer (its bytes or the
/// pipe's free buffers too few).  Returns the bytes moved, 0 when there is
/// nothing to read, or an error when nothing could be moved.
///
/// # Safety
///
/// Called by the VFS only, on a file opened by `rrelay_file_open`, with
/// the pipe locked.
#[no_mangle]
pub(crate) unsafe extern "C" fn rrelay_file_splice_read(
    filp: *mut bindings::file,
    _ppos: *mut bindings::loff_t,
    pipe: *mut bindings::pipe_inode_info,
    len: usize,
    _flags: c_uint,
) -> isize {
    // SAFETY: `private_data` is the buffer referenced by this file.
    let buf = unsafe { (*filp).private_data.cast::<RchanBuf>() };
    // SAFETY: As above.
    let mut s = unsafe { BufState::new(buf) };
    let geo = *s.geometry();
    let mut spliced = 0usize;
    let mut error = 0isize;
    let mut discarded = 0;
    let mut snapshot_tried = false;
    let mut subbuf_in_progress = None;
    // SAFETY: The caller locked the pipe, a live one.
    let copy_only = unsafe { sys::pipe_is_sendfile_pipe(pipe) };
    // SAFETY: A live file, process context.
    unsafe { sys::file_lock(filp) };
    while spliced < len {
        // SAFETY: The caller locked the pipe.
        let free = unsafe { sys::pipe_free_slots(pipe) };
        if free == 0 {
            break;
        }
        let Some((pos, avail)) =
            step_seeing_writer(&mut s, &mut snapshot_tried, |s| ring::read_step(s, &geo))
        else {
            break;
        };
        let number = ring::number_at(&s, &geo, pos);
        if spliced > 0 && subbuf_in_progress != Some(number) {
            let pages = (pos % PAGE_SIZE + avail).div_ceil(PAGE_SIZE);
            if avail > len - spliced || pages > free {
                break;
            }
        }
        subbuf_in_progress = Some(number);
        let chunk = avail.min(len - spliced).min(PAGE_SIZE - pos % PAGE_SIZE);
        // A snapshot shows the writer's own sub-buffer, never pinnable.
        // sendfile()'s internal pipe is not pinned either: it goes on into
        // a socket (blktrace's network mode) whose queue keeps the pages
        // after the pipe lets them go, so those bytes are copied.
        let pinned = if s.has_snapshot() || copy_only {
            None
        } else {
            ring::pin_for_splice(&mut s, &geo, pos)
        };
        let added = match pinned {
            Some(subbuf) => {
                let slot: *const PinSlot = s.pin_slot(subbuf);
                // The pipe buffer's reference; `rrelay_pipe_buf_put` drops
                // it with the pin.
                // SAFETY: This file holds a reference on `buf`.
                unsafe { buf_get(buf) };
                // SAFETY: The page is the buffer's, the chunk lies within
                // it, and the pin and the reference are the pipe buffer's
                // to drop (even if it cannot be added).
                unsafe { sys::splice_page(pipe, s.page(pos), pos % PAGE_SIZE, chunk, slot) }
            }
            None => {
                // SAFETY: The chunk lies in the buffer's mapping.
                let page = unsafe { sys::copy_to_new_page(s.addr(pos), chunk) };
                if page.is_null() {
                    -(bindings::ENOMEM as isize)
                } else if s.lapped_since_copy(number) {
                    // SAFETY: The page is ours alone (just allocated, not
                    // in the pipe).
                    unsafe { sys::free_page(page) };
                    if !drop_copy(&mut s, &mut snapshot_tried, &mut discarded) {
                        break;
                    }
                    continue;
                } else {
                    // SAFETY: The pipe is locked; the page is given up.
                    unsafe { sys::splice_new_page(pipe, page, chunk) }
                }
            }
        };
        if added < 0 {
            error = added;
            break;
        }
        ring::read_done(&mut s, &geo, pos, chunk);
        spliced += chunk;
    }
    // SAFETY: Taken above.
    unsafe { sys::file_unlock(filp) };
    if spliced == 0 && error != 0 {
        return error;
    }
    spliced as isize
}

/// A pipe buffer holding a sub-buffer's page was duplicated (`tee()`): the
/// copy holds a pin and a buffer reference of its own.
///
/// # Safety
///
/// `private` is the `PinSlot` of a pipe buffer made by
/// `rrelay_file_splice_read` and not yet released.
#[no_mangle]
pub(crate) unsafe extern "C" fn rrelay_pipe_buf_get(private: c_ulong) {
    // SAFETY: Per the contract, the slot and its buffer are alive: the
    // original pipe buffer holds a reference.
    unsafe {
        let slot = &*(private as *const PinSlot);
        slot.pin_again();
        buf_get(slot.buf());
    }
}

/// A pipe buffer holding a sub-buffer's page was released: drops its pin
/// (the writer may come back) and its buffer reference.
///
/// # Safety
///
/// `private` is the `PinSlot` of a pipe buffer made by
/// `rrelay_file_splice_read` (or `rrelay_pipe_buf_get`), released once.
#[no_mangle]
pub(crate) unsafe extern "C" fn rrelay_pipe_buf_put(private: c_ulong) {
    // SAFETY: Per the contract, the pipe buffer's reference keeps the
    // slot alive until the `buf_put` below, which comes last.
    unsafe {
        let slot = &*(private as *const PinSlot);
        let buf = slot.buf();
        slot.unpin();
        buf_put(buf);
    }
}

/// `unlocked_ioctl`: the mmap reader's protocol of `<uapi/linux/rrelay.h>`.
///
/// # Safety
///
/// Called by the VFS only, on a file opened by `rrelay_file_open`.
#[no_mangle]
pub(crate) unsafe extern "C" fn rrelay_file_ioctl(
    filp: *mut bindings::file,
    cmd: c_uint,
    arg: kernel::ffi::c_ulong,
) -> kernel::ffi::c_long {
    let user = arg;
    // SAFETY: `private_data` is the buffer referenced by this file.
    let buf = unsafe { (*filp).private_data.cast::<RchanBuf>() };
    // SAFETY: As above.
    let mut s = unsafe { BufState::new(buf) };
    let geo = *s.geometry();
    let ret = match cmd {
        abi::IOC_INFO => {
            // SAFETY: `buf` is live.
            let finalized = unsafe { ptr::read_volatile(&raw const (*buf).finalized) };
            let info = abi::BufInfo {
                subbuf_size: geo.subbuf_size() as u64,
                n_subbufs: geo.n_subbufs() as u64,
                produced: s.produced() as u64,
                consumed: s.consumed() as u64,
                offset: s.offset() as u64,
                full_count: s.full_count() as u64,
                big_count: s.big_count() as u64,
                finalized,
                lost_subbufs: s.lost().min(u32::MAX as usize) as u32,
            };
            sys::put_user_struct(user, &info)
        }
        abi::IOC_SUBBUF => {
            let mut req = abi::SubbufInfo::default();
            match sys::get_user_struct(user, &mut req) {
                Err(e) => Err(e),
                Ok(()) => {
                    // `produced` before the padding: pairs with the
                    // writer's barrier between setting a sub-buffer's
                    // padding and counting it produced.
                    let produced = s.produced() as u64;
                    smp_mb(Read);
                    let slot = geo.wrap(req.index as usize);
                    let padding = s.padding(slot) as u64;
                    if req.index >= produced {
                        Err(ENODATA)
                    } else if s.lapped_since_copy(req.index as usize) {
                        // The writer is in the slot again, or past it: the
                        // padding read above, and what the caller copied
                        // before asking, may belong to a newer sub-buffer.
                        Err(ESTALE)
                    } else {
                        req.offset = (slot * geo.subbuf_size()) as u64;
                        req.length = geo.subbuf_size() as u64 - padding;
                        req.produced = produced;
                        sys::put_user_struct(user, &req)
                    }
                }
            }
        }
        abi::IOC_CONSUME => {
            let mut n = 0u64;
            match sys::get_user_struct(user, &mut n) {
                Err(e) => Err(e),
                Ok(()) if n > geo.n_subbufs() as u64 => Err(EINVAL),
                Ok(()) => {
                    // Serialised with read(), which also consumes.
                    // SAFETY: A live file, process context.
                    unsafe { sys::file_lock(filp) };
                    ring::subbufs_consumed(&mut s, &geo, n as usize);
                    // SAFETY: Taken above.
                    unsafe { sys::file_unlock(filp) };
                    Ok(())
                }
            }
        }
        _ => Err(ENOTTY),
    };
    match ret {
        Ok(()) => 0,
        Err(e) => e.to_errno() as kernel::ffi::c_long,
    }
}
