// SPDX-License-Identifier: GPL-2.0

//! Sub-buffer arithmetic of a relay buffer.
//!
//! Nothing here touches the kernel: the module compiles this file into
//! `rrelay.ko` and `tests/host` compiles the very same file for `cargo test`,
//! so the arithmetic that decides what user space sees is checked on the host
//! against a model as well as in the guest.

use core::num::NonZeroUsize;

/// The shape of every buffer of a channel: `n_subbufs` sub-buffers of
/// `subbuf_size` bytes, laid out back to back in one allocation whose size
/// is rounded up to whole pages (so it can be mapped into user space).
///
/// # Invariants
///
/// `subbuf_size` and `n_subbufs` are non-zero, `subbuf_size * n_subbufs`
/// fits in a `u32` (mainline's limit, so a size accepted here is accepted
/// there too), and `alloc_size` is that product rounded up to `page_size`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    // Non-zero types let every division and remainder below compile
    // without a divide-by-zero panic path: the write path has none.
    subbuf_size: NonZeroUsize,
    n_subbufs: NonZeroUsize,
    ring_bytes: NonZeroUsize,
    alloc_size: usize,
}

impl Geometry {
    /// Validates the sizes a client passes to `relay_open()`.
    ///
    /// Returns `None` where mainline's `relay_open()` returns NULL: a zero
    /// size or count, or a product above `u32::MAX`.  It also refuses a
    /// `page_size` that is not a power of two, and a product whose page
    /// rounding would overflow `usize`.
    pub const fn new(subbuf_size: usize, n_subbufs: usize, page_size: usize) -> Option<Self> {
        if subbuf_size == 0 || n_subbufs == 0 || !page_size.is_power_of_two() {
            return None;
        }
        if subbuf_size > u32::MAX as usize / n_subbufs {
            return None;
        }
        let bytes = subbuf_size * n_subbufs;
        let alloc_size = match bytes.checked_add(page_size - 1) {
            Some(v) => v & !(page_size - 1),
            None => return None,
        };
        let (Some(size), Some(n), Some(ring_bytes)) = (
            NonZeroUsize::new(subbuf_size),
            NonZeroUsize::new(n_subbufs),
            NonZeroUsize::new(bytes),
        ) else {
            return None;
        };
        // INVARIANT: checked above.
        Some(Self {
            subbuf_size: size,
            n_subbufs: n,
            ring_bytes,
            alloc_size,
        })
    }

    /// Bytes in one sub-buffer.
    pub const fn subbuf_size(&self) -> usize {
        self.subbuf_size.get()
    }

    /// Sub-buffers in one buffer.
    pub const fn n_subbufs(&self) -> usize {
        self.n_subbufs.get()
    }

    /// Index in the ring of the `count`-th sub-buffer (counters only grow).
    pub fn wrap(&self, count: usize) -> usize {
        count % self.n_subbufs
    }

    /// Sub-buffer holding byte `pos` of the buffer.
    pub fn subbuf_of(&self, pos: usize) -> usize {
        pos / self.subbuf_size
    }

    /// Offset of byte `pos` inside its sub-buffer.
    pub fn offset_in_subbuf(&self, pos: usize) -> usize {
        pos % self.subbuf_size
    }

    /// Byte position `pos` folded into the ring of sub-buffers.
    pub fn wrap_pos(&self, pos: usize) -> usize {
        pos % self.ring_bytes
    }

    /// Bytes allocated (and mappable) for one buffer: whole pages.
    pub const fn alloc_size(&self) -> usize {
        self.alloc_size
    }

    /// Offset in the buffer of the sub-buffer that the `produced`-th switch
    /// moves to; sub-buffers are reused in a ring.
    pub fn subbuf_offset(&self, produced: usize) -> usize {
        self.start_of(self.wrap(produced))
    }

    /// Offset in the buffer of sub-buffer `index` (below `n_subbufs`).
    ///
    /// The product is below `subbuf_size * n_subbufs`, which fits (type
    /// invariant): no overflow check on the write path.
    pub fn start_of(&self, index: usize) -> usize {
        index.wrapping_mul(self.subbuf_size.get())
    }

    /// Index of the sub-buffer after `index`, where `index` is
    /// `wrap(count - 1)`: the same as `wrap(count)`, without a division.
    pub fn wrap_next(&self, index: usize, count: usize) -> usize {
        // `index < n_subbufs <= u32::MAX`: no overflow.
        let next = index.wrapping_add(1);
        // `count` is 0 when the counter itself wrapped, and `0 % n == 0`.
        if next == self.n_subbufs.get() || count == 0 {
            0
        } else {
            next
        }
    }

    /// The offset of a parked writer: `subbuf_size + 1`, which fits in a
    /// `usize` since `subbuf_size` fits in a `u32` (type invariant).
    pub const fn parked(&self) -> usize {
        self.subbuf_size.get().wrapping_add(1)
    }
}

/// Access to the ring fields of one buffer.
///
/// The kernel implements it over `struct rchan_buf` in place (C inlines of
/// client modules change the same fields); host tests over a plain struct.
/// Counters wrap like C's `size_t`.
pub trait RingState {
    /// Bytes used in the current sub-buffer; `subbuf_size + 1` when parked.
    fn offset(&self) -> usize;
    /// Sets [`RingState::offset`].
    fn set_offset(&mut self, v: usize);
    /// Sub-buffer the writer is in (where `rchan_buf::data` points).
    fn data_index(&self) -> usize;
    /// Sets [`RingState::data_index`].
    fn set_data_index(&mut self, i: usize);
    /// Sub-buffers completed so far (`subbufs_produced`).
    fn produced(&self) -> usize;
    /// Sets [`RingState::produced`].
    fn set_produced(&mut self, v: usize);
    /// Sub-buffers consumed by readers (`subbufs_consumed`).
    fn consumed(&self) -> usize;
    /// Sets [`RingState::consumed`].
    fn set_consumed(&mut self, v: usize);
    /// Bytes consumed in the sub-buffer being read.
    fn bytes_consumed(&self) -> usize;
    /// Sets [`RingState::bytes_consumed`].
    fn set_bytes_consumed(&mut self, v: usize);
    /// Unused bytes at the end of sub-buffer `subbuf`.
    fn padding(&self, subbuf: usize) -> usize;
    /// Sets [`RingState::padding`].
    fn set_padding(&mut self, subbuf: usize, v: usize);
    /// Records dropped because a switch was refused (`stats.full_count`):
    /// the buffer was full, the next sub-buffer pinned, or the client's
    /// `subbuf_start` said stop.
    fn full_count(&self) -> usize;
    /// Sets [`RingState::full_count`].
    fn set_full_count(&mut self, v: usize);
    /// Records dropped for being larger than a sub-buffer.
    fn big_count(&self) -> usize;
    /// Sets [`RingState::big_count`].
    fn set_big_count(&mut self, v: usize);
    /// Whether a reader holds sub-buffer `subbuf` outside the ring (its
    /// pages spliced into a pipe), so the writer must stay out of it.
    ///
    /// The kernel puts a full barrier before the load: it orders the
    /// writer's earlier stores of `produced` and `offset` before it, the
    /// writer's half of the handshake described at [`pin_for_splice`].
    fn pinned(&self, subbuf: usize) -> bool;
    /// Pins `subbuf` once more, then a full barrier (the reader's half).
    fn pin(&mut self, subbuf: usize);
    /// Drops a pin taken by [`RingState::pin`].
    fn unpin(&mut self, subbuf: usize);
    /// Sub-buffers readers lost to the writer lapping them, in whole or in
    /// part (never counted by mainline).
    fn lost(&self) -> usize;
    /// Sets [`RingState::lost`].
    fn set_lost(&mut self, v: usize);
    /// The writer enters a switch: until [`RingState::end_switch`] its
    /// fields are in motion and its decision is not made, so a reader
    /// asking whether the writer is back in a sub-buffer must wait
    /// ([`copy_is_stale`]).  The kernel makes the pair a sequence count.
    fn begin_switch(&mut self);
    /// The writer leaves the switch, entered or parked.
    fn end_switch(&mut self);
    /// Whether the writer is between [`RingState::begin_switch`] and
    /// [`RingState::end_switch`].
    fn switching(&self) -> bool;
    /// Publishes a switch, once the writer has stored the new `produced`
    /// and `offset`: the sub-buffer completed (if the writer was not
    /// parked) goes to readers, then answers [`RingState::pinned`] for
    /// `next`, the sub-buffer the writer moves to.  The kernel grows the
    /// file, wakes readers and loads the pin behind a single full barrier.
    fn publish(&mut self, completed: Option<Completed>, next: usize) -> bool {
        let _ = completed;
        self.pinned(next)
    }
    /// Completes the writer's sub-buffer `done`: stores `produced`, the
    /// new count, then an offset of 0, then publishes `done`
    /// ([`RingState::publish`]).  The kernel stores the count with release
    /// semantics, so a reader whose acquire load sees it also sees the
    /// sub-buffer's bytes and padding (`Documentation/ordering.rst`).
    fn complete(&mut self, done: Completed, produced: usize, next: usize) -> bool {
        self.set_produced(produced);
        self.set_offset(0);
        self.publish(Some(done), next)
    }
    /// Whether a client's `subbuf_start` makes the decision (rather than
    /// the default "go on unless full", which never lets a writer into a
    /// full buffer and so never needs to see a pin first).
    fn client_decides(&self) -> bool {
        true
    }
}

/// Whether the writer has no sub-buffer to move to (`relay_buf_full()`):
/// every one holds unread data, or the next one is pinned by a reader.
pub fn is_full<S: RingState>(s: &S, g: &Geometry) -> bool {
    s.produced().wrapping_sub(s.consumed()) >= g.n_subbufs() || s.pinned(g.wrap(s.produced()))
}

/// Whether no completed sub-buffer waits for a reader.
pub fn is_empty<S: RingState>(s: &S, _g: &Geometry) -> bool {
    s.produced() == s.consumed()
}

/// Whether the writer stopped because the client (or the default policy)
/// refused the next sub-buffer; every write retries the switch.
pub fn is_parked<S: RingState>(s: &S, g: &Geometry) -> bool {
    s.offset() == g.parked()
}

/// Asks whether logging may go on in sub-buffer `new`, told whether there
/// is a previous one (`false` on reset) and whether the buffer is full.
/// The kernel calls the client's `subbuf_start` here, or answers `!full`
/// without one.
///
/// The previous sub-buffer is always the writer's current one
/// ([`RingState::data_index`]): the decision is asked before the writer
/// moves, so the kernel passes the client `rchan_buf::data` as it stands.
pub trait SubbufStart<S>: FnMut(&mut S, usize, bool, bool) -> bool {}
impl<S, F: FnMut(&mut S, usize, bool, bool) -> bool> SubbufStart<S> for F {}

/// Asks the decision (`relay_subbuf_start()`); `pinned` is whether a
/// reader pins `new`.  Counting a refusal is the caller's: only a refused
/// switch that drops a record counts.
///
/// A pinned sub-buffer is full whatever the client says: a flight
/// recorder's "always go on" must not rewrite pages a pipe still holds.
// Inlined: on the write path's switch a call costs more than the body.
#[inline(always)]
fn subbuf_start<S: RingState>(
    s: &mut S,
    g: &Geometry,
    new: usize,
    prev: bool,
    pinned: bool,
    decide: &mut impl SubbufStart<S>,
) -> bool {
    let full = pinned || s.produced().wrapping_sub(s.consumed()) >= g.n_subbufs();
    // A pinned sub-buffer is not offered to the client at all: its
    // callback may write a header into it even when told it is full.
    !pinned && decide(s, new, prev, full)
}

/// Empties the buffer and restarts it at sub-buffer 0, asking the decision
/// once with no previous sub-buffer (`__relay_reset()`).
pub fn reset<S: RingState>(s: &mut S, g: &Geometry, decide: &mut impl SubbufStart<S>) {
    s.set_produced(0);
    s.set_consumed(0);
    s.set_bytes_consumed(0);
    s.set_data_index(0);
    s.set_offset(0);
    s.set_full_count(0);
    s.set_big_count(0);
    s.set_lost(0);
    for i in 0..g.n_subbufs() {
        s.set_padding(i, 0);
    }
    // Mainline ignores the answer here and logs on; only a pin stops the
    // writer, parked until the pipe lets the sub-buffer go.
    let pinned = s.pinned(0);
    if !subbuf_start(s, g, 0, false, pinned, decide) && pinned {
        s.set_offset(g.parked());
    }
}

/// A sub-buffer the switch completed: readers may now have it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Completed {
    /// Its index.
    pub index: usize,
    /// Its unused tail.
    pub padding: usize,
}

/// What [`switch_subbuf`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Switch {
    /// Bytes the caller may now write at the offset: the length asked, or
    /// 0 when the record is dropped.
    pub length: usize,
    /// The sub-buffer completed, if the writer was not parked.
    pub completed: Option<Completed>,
}

/// Moves the writer to the next sub-buffer (`relay_switch_subbuf()`).
///
/// A record longer than a sub-buffer is dropped and counted in
/// `big_count` without switching.  Otherwise the current sub-buffer is
/// completed (its padding recorded, `produced` advanced) unless the writer
/// was parked, and the decision is asked for the next one: a refusal parks
/// the writer at `subbuf_size + 1`, so every later write comes back here,
/// and drops the record, counted in `full_count` (a switch with no record,
/// `relay_flush()`'s, drops nothing and counts nothing).
///
/// All of it runs between [`RingState::begin_switch`] and
/// [`RingState::end_switch`]: a reader never takes the writer's passing
/// `offset` of 0 for a writer back in a sub-buffer it then refuses.
pub fn switch_subbuf<S: RingState>(
    s: &mut S,
    g: &Geometry,
    length: usize,
    decide: &mut impl SubbufStart<S>,
) -> Switch {
    if length > g.subbuf_size() {
        s.set_big_count(s.big_count().wrapping_add(1));
        return Switch {
            length: 0,
            completed: None,
        };
    }
    s.begin_switch();
    let switch = move_on(s, g, length, decide);
    s.end_switch();
    switch
}

/// The body of [`switch_subbuf`], for a record that fits a sub-buffer.
// Inlined: it is the write path's switch.
#[inline(always)]
fn move_on<S: RingState>(
    s: &mut S,
    g: &Geometry,
    length: usize,
    decide: &mut impl SubbufStart<S>,
) -> Switch {
    let size = g.subbuf_size();
    let mut completed = None;
    let produced = s.produced();
    let new;
    let mut deferred = false;
    let offset = s.offset();
    // One publish per branch, so each knows statically what it publishes.
    let pinned = if offset != g.parked() {
        let padding = size - offset.min(size);
        let old = g.wrap(produced);
        s.set_padding(old, padding);
        let produced = produced.wrapping_add(1);
        new = g.wrap_next(old, produced);
        let done = Completed {
            index: old,
            padding,
        };
        completed = Some(done);
        s.complete(done, produced, new)
    } else {
        new = g.wrap(produced);
        s.set_offset(0);
        // A parked writer completes nothing, so publishing only checks the
        // pin, which matters only if the decision lets it in: with every
        // sub-buffer unread (a full buffer's refused writes) that check
        // waits until then, and costs nothing when the answer is stop.
        deferred = !s.client_decides() && s.produced().wrapping_sub(s.consumed()) >= g.n_subbufs();
        !deferred && s.publish(None, new)
    };
    if !subbuf_start(s, g, new, true, pinned, decide) || (deferred && s.publish(None, new)) {
        s.set_offset(g.parked());
        if length != 0 {
            s.set_full_count(s.full_count().wrapping_add(1));
        }
        return Switch {
            length: 0,
            completed,
        };
    }
    s.set_data_index(new);
    s.set_padding(new, 0);
    // The client may have reserved a header with `subbuf_start_reserve()`
    // (`length <= size` here, so no overflow).
    if s.offset() > size - length {
        s.set_big_count(s.big_count().wrapping_add(1));
        return Switch {
            length: 0,
            completed,
        };
    }
    Switch { length, completed }
}

// The module's write paths are the C inlines and `channel::write`, which
// must run the switch through the kernel glue; the host model writes here.
#[allow(dead_code)]
/// The write fast path (`relay_write()`/`relay_reserve()`): where in the
/// buffer `length` bytes go, switching sub-buffers when they do not fit in
/// the current one; `None` when the record is dropped.  Advances the
/// offset past the reserved bytes.
pub fn reserve<S: RingState>(
    s: &mut S,
    g: &Geometry,
    length: usize,
    decide: &mut impl SubbufStart<S>,
) -> Option<usize> {
    let mut len = length;
    if s.offset() + len > g.subbuf_size() {
        len = switch_subbuf(s, g, len, decide).length;
        if len == 0 {
            return None;
        }
    }
    let at = s.data_index() * g.subbuf_size() + s.offset();
    s.set_offset(s.offset() + len);
    Some(at)
}

/// A client reports `n` more sub-buffers read (`relay_subbufs_consumed()`):
/// more than a buffer holds is ignored, more than produced is clamped.
pub fn subbufs_consumed<S: RingState>(s: &mut S, g: &Geometry, n: usize) {
    if n > g.n_subbufs() {
        return;
    }
    let ready = s.produced().wrapping_sub(s.consumed());
    let consumed = if n > ready {
        s.produced()
    } else {
        s.consumed().wrapping_add(n)
    };
    // Mainline leaves a reader's partial position (bytes_consumed) as it
    // was, so a read() after a client's report resumes at that offset of
    // the *next* sub-buffer, mid-record.  The position belonged to a
    // sub-buffer now consumed: start the next one at its beginning.
    if consumed != s.consumed() {
        s.set_bytes_consumed(0);
    }
    s.set_consumed(consumed);
}

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
