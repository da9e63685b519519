// SPDX-License-Identifier: GPL-2.0

//! The reader's side of the sub-buffer arithmetic (`relay_file_read_*()`
//! in mainline, and what rrelay adds for consistent reads and splice).
//! Pure like the rest of `ring`.

use super::{is_parked, subbufs_consumed, Geometry, RingState};

/// Accounts `bytes` read at `read_pos` (`relay_file_read_consume()`);
/// `None` means "where the consumed count says".
///
/// Mainline passes position 0 for that, which is also the real position
/// of the first sub-buffer: a read there after a skip over padding was
/// then charged to the wrong sub-buffer.  `Option` keeps the two apart.
fn read_consume<S: RingState>(s: &mut S, g: &Geometry, read_pos: Option<usize>, bytes: usize) {
    let size = g.subbuf_size();
    if s.produced() == s.consumed() && s.offset() == s.bytes_consumed() {
        return;
    }
    if s.bytes_consumed() + bytes > size {
        subbufs_consumed(s, g, 1);
        s.set_bytes_consumed(0);
    }
    s.set_bytes_consumed(s.bytes_consumed() + bytes);
    let read_subbuf = match read_pos {
        None => g.wrap(s.consumed()),
        Some(pos) => g.subbuf_of(pos),
    };
    if s.bytes_consumed() + s.padding(read_subbuf) == size {
        if read_subbuf == g.wrap(s.produced()) && s.offset() == size {
            return;
        }
        subbufs_consumed(s, g, 1);
        s.set_bytes_consumed(0);
    }
}

/// Consumes every finished sub-buffer at the read position.
///
/// Mainline consumes at most one per read step.  When the next one is all
/// padding too (flushed with nothing in it), its read_start_pos() then
/// skips that padding by position into the sub-buffer after it -- possibly
/// one already read, which read() then returns a second time.
fn consume_finished<S: RingState>(s: &mut S, g: &Geometry) {
    for _ in 0..g.n_subbufs() {
        let before = s.consumed();
        read_consume(s, g, None, 0);
        if s.consumed() == before {
            break;
        }
    }
}

/// Whether a reader has unread bytes (`relay_file_read_avail()`); jumps the
/// read position forward when the writer lapped the reader.
/// Moves a lapped reader to sub-buffer number `oldest`; what it skips is
/// lost to it, and counted.
fn skip_to<S: RingState>(s: &mut S, g: &Geometry, oldest: usize) {
    s.set_lost(s.lost().wrapping_add(oldest.wrapping_sub(s.consumed())));
    s.set_consumed(oldest);
    s.set_bytes_consumed(0);
    consume_finished(s, g);
}

fn read_avail<S: RingState>(s: &mut S, g: &Geometry) -> bool {
    let size = g.subbuf_size();
    let n = g.n_subbufs();
    consume_finished(s, g);
    let produced = s.produced();
    let lead = produced.wrapping_sub(s.consumed());
    if s.offset() > size {
        // Parked: the writer is in no sub-buffer, so the last `n` it
        // completed are all whole.  A reader further behind skips to the
        // oldest of them (a flight recorder its client stopped stays
        // readable), and counts what it skipped.
        if lead > n {
            skip_to(s, g, produced.wrapping_sub(n));
        }
        return produced != s.consumed();
    }
    // Lapped once the writer is past the reader's sub-buffer, or in it.
    // Mainline takes `lead == n` alone for that; but a parked writer that
    // retries its switch shows an offset of 0 (not parked) for a moment
    // before the client refuses again, and a reader then skipped an unread
    // sub-buffer of a no-overwrite buffer.  `data` moves only once the
    // writer is in.
    if lead > n || (lead == n && s.data_index() == g.wrap(produced)) {
        // The oldest sub-buffer still whole is the one after the writer's.
        skip_to(s, g, produced.wrapping_sub(n).wrapping_add(1));
    }
    let consumed = s.consumed();
    let mut write_pos = g.wrap(produced) * size + s.offset();
    let read_pos = g.wrap(consumed) * size + s.bytes_consumed();
    if read_pos > write_pos {
        write_pos += n * size;
    }
    if read_pos == write_pos {
        return s.offset() == size && s.produced() > s.consumed();
    }
    true
}

/// The first readable byte: the consumed position, moved past padding
/// (`relay_file_read_start_pos()`).
fn read_start_pos<S: RingState>(s: &S, g: &Geometry) -> usize {
    let size = g.subbuf_size();
    let consumed = g.wrap(s.consumed());
    let mut read_pos = g.wrap_pos(consumed * size + s.bytes_consumed());
    let read_subbuf = g.subbuf_of(read_pos);
    let padding = s.padding(read_subbuf);
    let padding_start = (read_subbuf + 1) * size - padding;
    let padding_end = (read_subbuf + 1) * size;
    if read_pos >= padding_start && read_pos < padding_end {
        read_pos = g.wrap(read_subbuf + 1) * size;
    }
    read_pos
}

/// Bytes readable from `read_pos` to the end of valid data in its
/// sub-buffer (`relay_file_read_subbuf_avail()`).
fn read_subbuf_avail<S: RingState>(s: &S, g: &Geometry, read_pos: usize) -> usize {
    let size = g.subbuf_size();
    let write_subbuf = s.data_index();
    let write_offset = s.offset().min(size);
    let read_subbuf = g.subbuf_of(read_pos);
    let read_offset = g.offset_in_subbuf(read_pos);
    let padding = s.padding(read_subbuf);
    if read_subbuf == write_subbuf {
        write_offset.saturating_sub(read_offset + padding)
    } else {
        (size - padding).saturating_sub(read_offset)
    }
}

/// The next chunk a `read()` may copy: its position in the buffer and its
/// length (never crossing a sub-buffer or touching padding), or `None`
/// when nothing is readable.  Follow with [`read_done`] for what was used.
pub fn read_step<S: RingState>(s: &mut S, g: &Geometry) -> Option<(usize, usize)> {
    if !read_avail(s, g) {
        return None;
    }
    let pos = read_start_pos(s, g);
    match read_subbuf_avail(s, g, pos) {
        0 => None,
        avail => Some((pos, avail)),
    }
}

/// The next chunk of a `read()` with room for `room` more bytes, that has
/// already returned something if `started`: as [`read_step`], limited to
/// `room`, except that a started read stops (`None`) rather than take part
/// of a sub-buffer's data.  A reader whose room is at least a sub-buffer
/// thus only ever stops at the end of a sub-buffer's data, or where the
/// writer is -- never inside a record, which a lapping writer could then
/// cut off.
pub fn read_chunk<S: RingState>(
    s: &mut S,
    g: &Geometry,
    room: usize,
    started: bool,
) -> Option<(usize, usize)> {
    let (pos, avail) = read_step(s, g)?;
    if started && avail > room {
        return None;
    }
    Some((pos, avail.min(room)))
}

/// The number of the sub-buffer holding `pos`, a position [`read_step`]
/// returned (in the sub-buffer being read or, past its padding, the next).
pub fn number_at<S: RingState>(s: &S, g: &Geometry, pos: usize) -> usize {
    let consumed = s.consumed();
    let ahead = g.wrap(g.subbuf_of(pos) + g.n_subbufs() - g.wrap(consumed));
    consumed.wrapping_add(ahead)
}

/// Whether the writer may be back in sub-buffer number `number` (or about
/// to be), so that bytes copied from it may be newer than the sub-buffer:
/// it is once it has completed the `n` after it, or is entering the one
/// after those -- unless it is parked short of it.
pub fn may_be_reused<S: RingState>(s: &S, g: &Geometry, number: usize) -> bool {
    let lead = s.produced().wrapping_sub(number);
    let n = g.n_subbufs();
    lead > n || (lead == n && !is_parked(s, g))
}

/// Whether bytes a reader copied from sub-buffer number `number` may be
/// newer than that sub-buffer ([`may_be_reused`]), or `None` while the
/// writer is inside a switch: its answer is not known yet, and the reader
/// asks again once the writer is out.  Outside a switch a writer with
/// `lead == n` is either parked (refused: the sub-buffer is intact) or in
/// the sub-buffer, so a refused switch never makes a copy stale -- in a
/// no-overwrite buffer, where a switch into unread data is always
/// refused, no copy of an unconsumed sub-buffer ever is.
pub fn copy_is_stale<S: RingState>(s: &S, g: &Geometry, number: usize) -> Option<bool> {
    if s.switching() {
        return None;
    }
    Some(may_be_reused(s, g, number))
}

/// Consumes `bytes` read from `pos`, as returned by [`read_step`].
pub fn read_done<S: RingState>(s: &mut S, g: &Geometry, pos: usize, bytes: usize) {
    read_consume(s, g, Some(pos), bytes);
}

/// Pins the sub-buffer of the chunk at `pos` (as returned by [`read_step`])
/// so that its pages can go into a pipe by reference; returns its index,
/// or `None` when the chunk must be copied instead.
///
/// Only a completed sub-buffer at the read position qualifies, and only if
/// the writer has not come back to it: the current one is still being
/// written, and one the writer re-entered may change under the reader.
///
/// The handshake with the writer: the reader pins, then (full barrier)
/// looks at `produced` and `offset`; the writer stores them, then (full
/// barrier) looks at the pin before entering a sub-buffer.  Either the
/// reader sees that the writer may be back -- it unpins and copies -- or
/// the writer sees the pin and stays out until the pin is dropped.
pub fn pin_for_splice<S: RingState>(s: &mut S, g: &Geometry, pos: usize) -> Option<usize> {
    let number = s.consumed();
    let slot = g.subbuf_of(pos);
    if slot != g.wrap(number) || s.produced() == number {
        return None;
    }
    s.pin(slot);
    // Parked short of it, the writer will see the pin.  Still complete,
    // too: a relay_reset() meanwhile restarts the writer at 0.
    if s.produced() == number || may_be_reused(s, g, number) {
        s.unpin(slot);
        return None;
    }
    Some(slot)
}

/// How many of the `count` sub-buffers numbered from `first` the writer
/// may be back in ([`may_be_reused`]): always a prefix, since the older a
/// sub-buffer the further the writer is past it.  Wrapping counters: a
/// `first` ahead of `produced` (the buffer was reset since) makes them all
/// reused.
fn reused_prefix<S: RingState>(s: &S, g: &Geometry, first: usize, count: usize) -> usize {
    let lead = s.produced().wrapping_sub(first);
    let n = g.n_subbufs();
    // Number `first + k` is reused once `lead - k > n`, or `lead - k == n`
    // with the writer in its slot (not parked short of it).
    let bound = if is_parked(s, g) {
        lead.saturating_sub(n)
    } else {
        lead.saturating_sub(n - 1)
    };
    bound.min(count)
}

/// What one batch call of an mmap reader (`RRELAY_IOC_BATCH`) does,
/// worked out by [`plan_batch`] and applied by [`commit_batch`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Batch {
    /// Of the batch the reader is done with, the leading sub-buffers the
    /// writer may have been back in since they were handed out: copies of
    /// them may hold newer bytes and must be dropped.
    pub stale: usize,
    /// `consumed` once the batch done with is released, before any skip.
    pub released: usize,
    /// Sub-buffers past `released` the writer had lapped before they could
    /// be handed out: skipped, and counted lost.
    pub skipped: usize,
    /// Number of the first sub-buffer handed out (`released + skipped`).
    pub first: usize,
    /// How many are handed out.
    pub count: usize,
    /// `produced` as the plan saw it.
    pub produced: usize,
    /// Bytes of sub-buffer `first` that `read()` already returned: its
    /// entry starts after them.
    pub head: usize,
}

/// Plans one batch call: checks the batch the reader is done with (the
/// `done_count` sub-buffers from number `done_first`), releases it, and
/// hands out up to `max` complete sub-buffers from where the buffer's
/// consumption then is, skipping any the writer lapped.  `None` while the
/// writer is inside a switch: its decision is not made, and a refused
/// switch must not make a good copy look stale or a whole sub-buffer
/// look lapped ([`copy_is_stale`]); ask again once it is out.
///
/// Releasing consumes the batch's sub-buffers not consumed yet, if the
/// consumption stands inside it; if it stands elsewhere (another reader
/// moved it past, or the buffer was reset) nothing is consumed.  The
/// caller checks `done_count` against `n_subbufs`.
pub fn plan_batch<S: RingState>(
    s: &S,
    g: &Geometry,
    done_first: usize,
    done_count: usize,
    max: usize,
) -> Option<Batch> {
    if s.switching() {
        return None;
    }
    let produced = s.produced();
    let stale = reused_prefix(s, g, done_first, done_count);
    let consumed = s.consumed();
    let done_end = done_first.wrapping_add(done_count);
    let into = consumed.wrapping_sub(done_first);
    let released = if into < done_count {
        // As `subbufs_consumed`: never past what is produced.
        if done_end.wrapping_sub(consumed) > produced.wrapping_sub(consumed) {
            produced
        } else {
            done_end
        }
    } else {
        consumed
    };
    let pending = produced.wrapping_sub(released);
    let skipped = reused_prefix(s, g, released, pending);
    let first = released.wrapping_add(skipped);
    let count = (pending - skipped).min(max);
    // Consumption unmoved: read() may have taken the start of `first`.
    let head = if first == consumed && count > 0 {
        s.bytes_consumed()
    } else {
        0
    };
    Some(Batch {
        stale,
        released,
        skipped,
        first,
        count,
        produced,
        head,
    })
}

/// Where the `k`-th sub-buffer of batch `b` lies in the buffer: its
/// offset and the length of its data (padding, and for the first what
/// `read()` already returned, excluded).  Lengths saturate: a padding
/// torn by a writer lapping meanwhile is caught by the next check.
pub fn batch_entry<S: RingState>(s: &S, g: &Geometry, b: &Batch, k: usize) -> (usize, usize) {
    let slot = g.wrap(b.first.wrapping_add(k));
    let head = if k == 0 { b.head } else { 0 };
    let data = g.subbuf_size().saturating_sub(s.padding(slot));
    let head = head.min(data);
    (g.start_of(slot) + head, data - head)
}

/// Applies a plan of [`plan_batch`]: the release, then the skip (counted
/// in `lost`), each only if the consumption still stands where the plan
/// found it.
pub fn commit_batch<S: RingState>(s: &mut S, g: &Geometry, b: &Batch) {
    let ahead = b.released.wrapping_sub(s.consumed());
    if ahead != 0 && ahead <= g.n_subbufs() {
        subbufs_consumed(s, g, ahead);
    }
    if b.skipped != 0 && s.consumed() == b.released {
        s.set_lost(s.lost().wrapping_add(b.skipped));
        s.set_consumed(b.first);
        s.set_bytes_consumed(0);
    }
}
