// SPDX-License-Identifier: GPL-2.0

//! One buffer's life and ring state: made for a CPU with its file
//! (`relay_open_buf()`) and reset; and [`BufState`], the view of its live
//! ring fields that `crate::ring`'s arithmetic works on.  The buffer
//! object itself (its C structure, references, pages, closing) is
//! `sys::buf::Buf`.
//!
//! Lifetimes are reference counts as in mainline (`sys::buf`): a buffer
//! holds one on its channel; relay (the channel's slot) and every open
//! file or pipe buffer hold one on a buffer; the last put frees pages,
//! padding and buffer, and then drops the channel's.

use crate::abi::{self, SubbufStartFn};
use crate::pins::PinSlot;
use crate::ring::{self, Geometry, RingState};
use crate::sys::buf::Buf;
use crate::sys::chan::Chan;
use kernel::bindings;
use kernel::ffi::{c_uint, c_void};
use kernel::processor::cpu_relax;
use kernel::sync::aref::ARef;
use kernel::sync::barrier::{smp_mb, Read};

/// File mode of buffer files: `S_IRUSR`, root-only as in mainline.
const BUF_FILE_MODE: bindings::umode_t = 0o400;

/// The ring state of one live buffer, read and written in place through
/// the accessors of `sys::buf::Buf`, or, for a reader that reached the
/// writer's sub-buffer, through a snapshot of the writer's position.
///
/// # Invariants
///
/// `geo` and `subbuf_start` are those of `buf`'s channel.
pub(crate) struct BufState<'a> {
    buf: &'a Buf,
    geo: Geometry,
    subbuf_start: Option<SubbufStartFn>,
    /// Where the writer was at one instant, seen from its own CPU: what a
    /// reader uses instead of the live fields once it reaches the writer's
    /// sub-buffer (see [`BufState::snapshot_writer`]).
    writer: Option<WriterPos>,
    /// Made by [`BufState::for_reader`]: `produced` is loaded with
    /// acquire semantics.  The writer's own loads of its count need none.
    reader: bool,
}

/// The writer's position at one instant.
#[derive(Clone, Copy)]
struct WriterPos {
    produced: usize,
    offset: usize,
    data_index: usize,
}

impl<'a> BufState<'a> {
    /// The live state of `buf`.
    #[inline(always)]
    pub(crate) fn new(buf: &'a Buf) -> Self {
        let chan = buf.chan();
        // INVARIANT: the geometry and callback of `buf`'s channel.
        Self {
            buf,
            geo: *chan.geometry(),
            subbuf_start: chan.subbuf_start(),
            writer: None,
            reader: false,
        }
    }

    /// The state as a reader on any CPU sees it: every load of `produced`
    /// is an acquire (`Buf::produced_acquire`), so that the bytes and
    /// padding of the sub-buffers it counts are visible to the loads that
    /// follow (`Documentation/ordering.rst`).
    pub(crate) fn for_reader(buf: &'a Buf) -> Self {
        Self {
            reader: true,
            ..Self::new(buf)
        }
    }

    /// From now on, sees the writer where it is at this instant, read on
    /// its CPU with interrupts off there.  A writer runs with interrupts
    /// off from `relay_reserve()` to the end of its fill (as relay requires
    /// of its callers) or copies before it moves the offset, so the
    /// snapshot never shows a reserved slot that is not filled yet: a
    /// reader on another CPU might, reading the live offset.  Nothing to
    /// do for a global buffer (its writers are anywhere) or a CPU that is
    /// offline (no writer).
    ///
    /// Returns whether a snapshot is now in use.
    ///
    /// A writer that only keeps preemption off (`__relay_write()`, or
    /// `relay_reserve()` without interrupts off) may be caught inside a
    /// switch, with `produced` moved on but not `data` or `offset`: such a
    /// snapshot is not used.  It is taken again a few times, then the live
    /// fields serve, as in mainline.
    pub(crate) fn snapshot_writer(&mut self) -> bool {
        for _ in 0..3 {
            let Ok((produced, offset, data)) = self.buf.writer_snapshot() else {
                return false;
            };
            let data_index = self
                .geo
                .subbuf_of((data as usize).wrapping_sub(self.addr(0) as usize));
            // Parked (in no sub-buffer), or in sub-buffer number `produced`.
            if offset == self.geo.subbuf_size() + 1 || data_index == self.geo.wrap(produced) {
                self.writer = Some(WriterPos {
                    produced,
                    offset,
                    data_index,
                });
                return true;
            }
        }
        false
    }

    /// Whether a snapshot of the writer is in use.
    pub(crate) fn has_snapshot(&self) -> bool {
        self.writer.is_some()
    }

    /// Back to the live fields.
    pub(crate) fn drop_snapshot(&mut self) {
        self.writer = None;
    }

    /// Whether the writer may, by now, be back in sub-buffer number
    /// `number` that the reader just copied from: then the copy may mix in
    /// newer bytes and must not be returned.  A read barrier orders the
    /// copy before the look at the writer, whose switch has a full barrier
    /// between moving on and writing.
    ///
    /// A writer inside a switch has not decided yet whether it enters the
    /// sub-buffer: the reader waits for it to come out (a few hundred
    /// instructions with interrupts or preemption off on its CPU), reading
    /// the fields as a sequence-count reader, so that a refused switch
    /// never makes a good copy look stale.
    pub(crate) fn lapped_since_copy(&self, number: usize) -> bool {
        self.settled(|s| ring::copy_is_stale(s, &self.geo, number))
    }

    /// `f`'s answer on the live ring fields (never a snapshot), once the
    /// writer is outside a switch and did not move while `f` looked: `f`
    /// answers `None` inside a switch.  Fields are read as a sequence-count
    /// reader; a read barrier first orders the reader's earlier copies
    /// before its look at the writer, whose switch has a full barrier
    /// between moving on and writing.  Used by the checks of copies
    /// ([`BufState::lapped_since_copy`]) and by the mmap reader's batches
    /// (`ring::plan_batch`).
    pub(crate) fn settled<T>(&self, f: impl Fn(&Self) -> Option<T>) -> T {
        smp_mb(Read);
        let live = Self {
            writer: None,
            ..*self
        };
        loop {
            let start = self.buf.read_begin();
            if let Some(answer) = f(&live) {
                if self.buf.read_valid(start) {
                    return answer;
                }
            }
            cpu_relax();
        }
    }

    pub(crate) fn geometry(&self) -> &Geometry {
        &self.geo
    }

    /// Kernel address of byte `pos` of the buffer.
    #[inline(always)]
    pub(crate) fn addr(&self, pos: usize) -> *mut u8 {
        self.buf.start().cast::<u8>().wrapping_add(pos)
    }

    /// Where the writer's current sub-buffer starts (`rchan_buf::data`).
    #[inline(always)]
    pub(crate) fn data(&self) -> *mut u8 {
        self.buf.data().cast::<u8>()
    }

    /// The pins of sub-buffer `subbuf`, if it exists.
    pub(crate) fn pin_slot(&self, subbuf: usize) -> Option<&'a PinSlot> {
        self.buf.pin_slot(subbuf)
    }
}

impl RingState for BufState<'_> {
    fn offset(&self) -> usize {
        match self.writer {
            Some(w) => w.offset,
            None => self.buf.offset(),
        }
    }
    fn set_offset(&mut self, v: usize) {
        self.buf.set_offset(v)
    }
    fn data_index(&self) -> usize {
        if let Some(w) = self.writer {
            return w.data_index;
        }
        // `data` is at or after `start`: no overflow check needed.
        self.geo
            .subbuf_of((self.data() as usize).wrapping_sub(self.addr(0) as usize))
    }
    fn set_data_index(&mut self, i: usize) {
        let data = self.addr(self.geo.start_of(i)).cast::<c_void>();
        self.buf.set_data(data)
    }
    fn produced(&self) -> usize {
        match self.writer {
            Some(w) => w.produced,
            None if self.reader => self.buf.produced_acquire(),
            // The writer loads its own count.
            None => self.buf.produced(),
        }
    }
    fn set_produced(&mut self, v: usize) {
        self.buf.set_produced(v)
    }
    fn consumed(&self) -> usize {
        self.buf.consumed()
    }
    fn set_consumed(&mut self, v: usize) {
        self.buf.set_consumed(v)
    }
    fn bytes_consumed(&self) -> usize {
        self.buf.bytes_consumed()
    }
    fn set_bytes_consumed(&mut self, v: usize) {
        self.buf.set_bytes_consumed(v)
    }
    fn padding(&self, subbuf: usize) -> usize {
        // The writer's sub-buffer had none at the instant of a snapshot;
        // the writer may have completed it since, which the rest of the
        // snapshot does not show either.
        if let Some(w) = self.writer {
            if subbuf == w.data_index && w.offset <= self.geo.subbuf_size() {
                return 0;
            }
        }
        // SAFETY: `ring` only asks for sub-buffers below `n_subbufs`.
        unsafe { self.buf.padding(subbuf) }
    }
    fn set_padding(&mut self, subbuf: usize, v: usize) {
        // SAFETY: As in `padding`.
        unsafe { self.buf.set_padding(subbuf, v) }
    }
    fn full_count(&self) -> usize {
        self.buf.full_count() as usize
    }
    fn set_full_count(&mut self, v: usize) {
        // The C counter is an unsigned int: it wraps.
        self.buf.set_full_count(v as c_uint)
    }
    fn big_count(&self) -> usize {
        self.buf.big_count() as usize
    }
    fn set_big_count(&mut self, v: usize) {
        self.buf.set_big_count(v as c_uint)
    }
    fn pinned(&self, subbuf: usize) -> bool {
        self.buf.pinned(subbuf)
    }
    fn pin(&mut self, subbuf: usize) {
        if let Some(slot) = self.buf.pin_slot(subbuf) {
            slot.pin();
        }
    }
    fn unpin(&mut self, subbuf: usize) {
        if let Some(slot) = self.buf.pin_slot(subbuf) {
            slot.unpin();
        }
    }
    fn client_decides(&self) -> bool {
        self.subbuf_start.is_some()
    }
    fn lost(&self) -> usize {
        self.buf.lost()
    }
    fn set_lost(&mut self, v: usize) {
        self.buf.set_lost(v)
    }
    fn begin_switch(&mut self) {
        self.buf.begin_switch()
    }
    fn end_switch(&mut self) {
        self.buf.end_switch()
    }
    fn switching(&self) -> bool {
        self.buf.switching()
    }
    fn publish(&mut self, completed: Option<ring::Completed>, next: usize) -> bool {
        // Only `complete` (below) completes a sub-buffer on this path; a
        // direct call finds its count and offset stored already, and the
        // kernel stores them again, unchanged.
        let produced = self.produced();
        self.switch_publish(completed, produced, next)
    }
    fn complete(&mut self, done: ring::Completed, produced: usize, next: usize) -> bool {
        // The kernel stores the count (release) and the offset, in that
        // order, inside the call that publishes: a release store from
        // Rust is an out-of-line helper call in a 7.3 module, from C an
        // inline instruction (a plain store on x86, stlr on arm64).
        self.switch_publish(Some(done), produced, next)
    }
}

impl BufState<'_> {
    /// [`RingState::publish`] and [`RingState::complete`] of the kernel.
    #[inline(always)]
    fn switch_publish(
        &mut self,
        completed: Option<ring::Completed>,
        produced: usize,
        next: usize,
    ) -> bool {
        // `next` is below `n_subbufs`, the number of pin slots; were it
        // not, the writer stops as if it were pinned rather than panic.
        let Some(slot) = self.buf.pin_slot(next) else {
            return true;
        };
        let (done, valid) = match completed {
            Some(c) => (true, self.geo.subbuf_size().wrapping_sub(c.padding)),
            None => (false, 0),
        };
        self.buf.switch_publish(done, produced, valid, slot)
    }
}

/// Asks the client whether to go on logging into sub-buffer `new` (its
/// `subbuf_start` callback), or applies the default: go on unless full.
#[inline(always)]
pub(crate) fn subbuf_start_decision(
    s: &mut BufState<'_>,
    new: usize,
    prev: bool,
    full: bool,
) -> bool {
    match s.subbuf_start {
        None => !full,
        // The previous sub-buffer is the writer's current one
        // (`SubbufStart`), where `data` points.
        Some(f) => s.buf.call_subbuf_start(f, s.geo.start_of(new), prev),
    }
}

/// `__relay_reset()`: empties the buffer and restarts it at its first
/// sub-buffer.
pub(crate) fn reset_buf(buf: &Buf) {
    buf.sync_wakeup();
    let mut s = BufState::new(buf);
    buf.set_finalized(0);
    let geo = *s.geometry();
    ring::reset(&mut s, &geo, &mut subbuf_start_decision);
}

/// Creates the buffer of one CPU (`relay_open_buf()`), with its file if
/// the channel has a base name, and returns relay's reference on it; for
/// a global channel that has its buffer already, `None` and the slot of
/// CPU 0 serves.  Called under the channels lock.
pub(crate) fn open_buf(chan: &Chan, cpu: u32) -> Result<Option<ARef<Buf>>, ()> {
    if chan.is_global() {
        return Ok(None);
    }
    let buf = Buf::create(chan, cpu).ok_or(())?;
    if let Some(base) = chan.base_filename() {
        if !buf.create_file(&file_name(base, cpu), BUF_FILE_MODE) {
            return Err(());
        }
    }
    // Buffer-only channels (no base name) get no file and no call to
    // `create_buf_file`: mainline calls it with a NULL name, which clients
    // do not expect.
    reset_buf(&buf);
    if chan.is_global() {
        // The client's `create_buf_file` just made this the one buffer.
        buf.set_cpu(0);
    }
    Ok(Some(buf))
}

/// The name of `cpu`'s buffer file, `<base><cpu>`, NUL-terminated.
fn file_name(base: &[u8], cpu: u32) -> [u8; abi::NAME_MAX + 12] {
    // Base names are at most NAME_MAX - 1 bytes; the CPU adds up to 10.
    let mut name = [0u8; abi::NAME_MAX + 12];
    let len = base.len().min(abi::NAME_MAX - 1);
    name[..len].copy_from_slice(&base[..len]);
    let mut end = len;
    let mut digits = [0u8; 10];
    let mut n = cpu;
    let mut d = 0;
    loop {
        digits[d] = b'0' + (n % 10) as u8;
        d += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    while d > 0 {
        d -= 1;
        name[end] = digits[d];
        end += 1;
    }
    name
}
