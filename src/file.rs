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

use crate::abi;
use crate::buffer::BufState;
use crate::ring::{self, RingState};
use crate::sys::file::{
    copy_to_user, get_user_struct, put_user_slice, put_user_struct, BufFile, CopiedPage, IovIter,
    Kiocb, Pipe, PollTable,
};
use kernel::bindings;
use kernel::error::code::{EINVAL, ENODATA, ENOTTY, ESTALE};
use kernel::ffi::{c_char, c_uint};
use kernel::page::PAGE_SIZE;
use kernel::sync::aref::ARef;

/// `poll`: `EPOLLERR` once the channel is closed; otherwise readable when
/// a whole sub-buffer is waiting (a partly filled one does not count, as
/// in mainline: wake-ups come at sub-buffer switches).
///
/// Called by the VFS only (`relay_file_operations`), on a file opened by
/// `rrelay_file_open` (which the type of `file` stands for) and its poll
/// table.
#[no_mangle]
pub(crate) extern "C" fn rrelay_file_poll(file: &BufFile, wait: Option<&PollTable>) -> c_uint {
    let readable = file.readable();
    if readable {
        file.poll_wait(wait);
    }
    // Looked at once queued (mainline looks before): a relay_close() that
    // sets it after this look wakes the queue this poller is on.  Acquire
    // (`Buf::finalized`): pairs with the close's release.
    if file.buf().finalized() != 0 {
        return bindings::POLLERR;
    }
    let mut mask = 0;
    let s = BufState::for_reader(file.buf());
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
fn step_seeing_writer<'a>(
    s: &mut BufState<'a>,
    tried: &mut bool,
    mut step: impl FnMut(&mut BufState<'a>) -> Option<(usize, usize)>,
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
fn drop_copy(s: &mut BufState<'_>, snapshot_tried: &mut bool, discarded: &mut usize) -> bool {
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
/// Process context.
fn read_with(
    file: &BufFile,
    count: usize,
    mut copy: impl FnMut(usize, usize, usize) -> usize,
) -> isize {
    if count == 0 {
        return 0;
    }
    let mut s = BufState::for_reader(file.buf());
    let geo = *s.geometry();
    let mut written = 0usize;
    let mut fault = false;
    let mut discarded = 0;
    let mut snapshot_tried = false;
    let lock = file.lock();
    while written < count {
        let Some((pos, len)) = step_seeing_writer(&mut s, &mut snapshot_tried, |s| {
            ring::read_chunk(s, &geo, count - written, written > 0)
        }) else {
            break;
        };
        let number = ring::number_at(&s, &geo, pos);
        let left = copy(written, pos, len);
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
    drop(lock);
    if written == 0 && fault {
        return -(bindings::EFAULT as isize);
    }
    written as isize
}

/// `read`: copies what is available, up to `count` bytes, and consumes it.
/// Returns 0 when nothing is available; a fault after some bytes returns
/// those bytes, a fault before any returns `-EFAULT`.
///
/// Called by the VFS only, on a file opened by `rrelay_file_open`;
/// `buffer` is a user address, which `copy_to_user` checks.
#[no_mangle]
pub(crate) extern "C" fn rrelay_file_read(
    file: &BufFile,
    buffer: *mut c_char,
    count: usize,
    _ppos: *mut bindings::loff_t,
) -> isize {
    read_with(file, count, |at, pos, len| {
        copy_to_user(file.buf(), pos, len, buffer.wrapping_add(at).cast())
    })
}

/// `read_iter`: `read` into an iov_iter, which readv() and splice (through
/// `copy_splice_read`) use.
///
/// Called by the VFS only, with a kiocb of a file opened by
/// `rrelay_file_open`.
#[no_mangle]
pub(crate) extern "C" fn rrelay_file_read_iter(iocb: &Kiocb, to: &IovIter) -> isize {
    let file = iocb.file();
    read_with(file, to.count(), |_, pos, len| {
        len - to.copy_from(file.buf(), pos, len)
    })
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
/// Called by the VFS only, on a file opened by `rrelay_file_open`, with
/// the pipe locked (which the type of `pipe` stands for).
#[no_mangle]
pub(crate) extern "C" fn rrelay_file_splice_read(
    file: &BufFile,
    _ppos: *mut bindings::loff_t,
    pipe: &Pipe,
    len: usize,
    _flags: c_uint,
) -> isize {
    let buf = file.buf();
    let mut s = BufState::for_reader(buf);
    let geo = *s.geometry();
    let mut spliced = 0usize;
    let mut error = 0isize;
    let mut discarded = 0;
    let mut snapshot_tried = false;
    let mut subbuf_in_progress = None;
    let copy_only = pipe.is_sendfile_pipe();
    let lock = file.lock();
    while spliced < len {
        let free = pipe.free_slots();
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
        let added = match pinned.and_then(|subbuf| s.pin_slot(subbuf)) {
            // The pipe buffer holds the pin and a reference of its own;
            // `rrelay_pipe_buf_put` drops them.
            Some(slot) => pipe.add_pinned(ARef::from(buf), slot, pos, chunk),
            None => match CopiedPage::new(buf, pos, chunk) {
                Err(e) => e.to_errno() as isize,
                Ok(page) => {
                    if s.lapped_since_copy(number) {
                        drop(page);
                        if !drop_copy(&mut s, &mut snapshot_tried, &mut discarded) {
                            break;
                        }
                        continue;
                    }
                    pipe.add_copy(page)
                }
            },
        };
        if added < 0 {
            error = added;
            break;
        }
        ring::read_done(&mut s, &geo, pos, chunk);
        spliced += chunk;
    }
    drop(lock);
    if spliced == 0 && error != 0 {
        return error;
    }
    spliced as isize
}

/// Entries a batch call builds on the stack before copying them out.
const BATCH_CHUNK: usize = 32;

/// `RRELAY_IOC_BATCH` with the `struct rrelay_batch` at user address
/// `user`: checks and consumes the batch the caller is done with, hands
/// out the next ready sub-buffers into the caller's entries
/// (`ring::plan_batch`).  Nothing is consumed or skipped unless the
/// entries and the struct were written back.
///
/// Process context: serialised with `read()`, splice and
/// `RRELAY_IOC_CONSUME` by the file's lock.
fn ioctl_batch(file: &BufFile, user: usize) -> kernel::error::Result {
    let mut req = abi::Batch::default();
    get_user_struct(user, &mut req)?;
    let mut s = BufState::for_reader(file.buf());
    let geo = *s.geometry();
    let release_only = req.flags & abi::BATCH_RELEASE_ONLY != 0;
    let max = if release_only { 0 } else { req.max as usize };
    if req.flags & !abi::BATCH_RELEASE_ONLY != 0
        || (!release_only && (max == 0 || max > abi::BATCH_MAX))
        || req.count as usize > geo.n_subbufs().min(abi::BATCH_MAX)
    {
        return Err(EINVAL);
    }
    let lock = file.lock();
    let plan =
        s.settled(|s| ring::plan_batch(s, &geo, req.first as usize, req.count as usize, max));
    let mut chunk = [abi::BatchEntry::default(); BATCH_CHUNK];
    let mut at = req.entries as usize;
    let mut k = 0;
    while k < plan.count {
        let n = (plan.count - k).min(BATCH_CHUNK);
        for (j, e) in chunk[..n].iter_mut().enumerate() {
            let (offset, length) = ring::batch_entry(&s, &geo, &plan, k + j);
            *e = abi::BatchEntry {
                offset: offset as u64,
                length: length as u64,
            };
        }
        put_user_slice(at, &chunk[..n])?;
        at = at.wrapping_add(core::mem::size_of_val(&chunk[..n]));
        k += n;
    }
    req.first = plan.first as u64;
    // Both at most `max`, `count` in: below `RRELAY_BATCH_MAX`.
    req.count = plan.count as u32;
    req.stale = plan.stale as u32;
    req.produced = plan.produced as u64;
    req.skipped = plan.skipped as u64;
    put_user_struct(user, &req)?;
    ring::commit_batch(&mut s, &geo, &plan);
    drop(lock);
    Ok(())
}

/// `unlocked_ioctl`: the mmap reader's protocol of `<uapi/linux/rrelay.h>`.
///
/// Called by the VFS only, on a file opened by `rrelay_file_open`; `arg`
/// is a user address, which the user copies check.
#[no_mangle]
pub(crate) extern "C" fn rrelay_file_ioctl(
    file: &BufFile,
    cmd: c_uint,
    arg: kernel::ffi::c_ulong,
) -> kernel::ffi::c_long {
    let user = arg;
    let mut s = BufState::for_reader(file.buf());
    let geo = *s.geometry();
    let ret = match cmd {
        abi::IOC_INFO => {
            let finalized = file.buf().finalized();
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
            put_user_struct(user, &info)
        }
        abi::IOC_SUBBUF => {
            let mut req = abi::SubbufInfo::default();
            match get_user_struct(user, &mut req) {
                Err(e) => Err(e),
                Ok(()) => {
                    // `produced` before the padding: the load is an
                    // acquire, pairing with the writer's release store of
                    // the count after the padding.
                    let produced = s.produced() as u64;
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
                        // Saturating: a torn padding must not panic kernels built
                        // with CONFIG_RUST_OVERFLOW_CHECKS.
                        req.length = (geo.subbuf_size() as u64).saturating_sub(padding);
                        req.produced = produced;
                        put_user_struct(user, &req)
                    }
                }
            }
        }
        abi::IOC_CONSUME => {
            let mut n = 0u64;
            match get_user_struct(user, &mut n) {
                Err(e) => Err(e),
                Ok(()) if n > geo.n_subbufs() as u64 => Err(EINVAL),
                Ok(()) => {
                    // Serialised with read(), which also consumes.
                    let _lock = file.lock();
                    ring::subbufs_consumed(&mut s, &geo, n as usize);
                    Ok(())
                }
            }
        }
        abi::IOC_BATCH => ioctl_batch(file, user),
        _ => Err(ENOTTY),
    };
    match ret {
        Ok(()) => 0,
        Err(e) => e.to_errno() as kernel::ffi::c_long,
    }
}
