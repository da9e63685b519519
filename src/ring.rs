// SPDX-License-Identifier: GPL-2.0

//! Sub-buffer arithmetic of a relay buffer.
//!
//! Nothing here touches the kernel: the module compiles this file into
//! `rrelay.ko` and `tests/host` compiles the very same file for `cargo test`,
//! so the arithmetic that decides what user space sees is checked on the host
//! against a model as well as in the guest.
//!
//! The writer's side (geometry, switch, reset, reserve) is here; the
//! reader's (what is readable, consuming, staleness of a copy, pins for
//! splice) is in `ring/read.rs`, a submodule included by path so that the
//! host build finds it too.

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

#[path = "ring/read.rs"]
mod read;
pub use read::{
    batch_entry, commit_batch, copy_is_stale, may_be_reused, number_at, pin_for_splice, plan_batch,
    read_chunk, read_done, read_step, Batch,
};
