// SPDX-License-Identifier: GPL-2.0

//! One buffer: its pages, its live ring state (fields shared with the C
//! inlines), its references and its file.
//!
//! Lifetimes are reference counts as in mainline: a buffer holds one on its
//! channel; `relay_close()` and every open file hold one on a buffer; the
//! last put frees pages, padding and buffer, and then drops the channel's.

use crate::abi::{self, Rchan, RchanBuf, SubbufStartFn};
use crate::channel::{chan_put, channel_of};
use crate::pins::PinSlot;
use crate::ring::{self, Geometry, RingState};
use crate::sys;
use core::ptr;
use kernel::alloc::{flags::GFP_KERNEL, KBox, KVVec, KVec};
use kernel::bindings;
use kernel::ffi::{c_char, c_uint, c_void};
use kernel::page::PAGE_SIZE;
use kernel::processor::cpu_relax;
use kernel::sync::atomic::{ordering, Atomic};
use kernel::sync::barrier::{smp_mb, Full, Read, Write};

/// File mode of buffer files: `S_IRUSR`, root-only as in mainline.
const BUF_FILE_MODE: bindings::umode_t = 0o400;

/// The ring state of one live buffer, read and written in place.
///
/// Every access is volatile (`READ_ONCE`/`WRITE_ONCE` in C terms): the
/// fields are shared with C inlines running on the buffer's CPU and with
/// readers on others, exactly as mainline shares them.
///
/// # Invariants
///
/// `buf` points to a live, initialised `RchanBuf` whose channel has the
/// geometry `geo`.
pub(crate) struct BufState {
    buf: *mut RchanBuf,
    geo: Geometry,
    subbuf_start: Option<SubbufStartFn>,
    /// Where the writer was at one instant, seen from its own CPU: what a
    /// reader uses instead of the live fields once it reaches the writer's
    /// sub-buffer (see [`BufState::snapshot_writer`]).
    writer: Option<WriterPos>,
}

/// The writer's position at one instant.
#[derive(Clone, Copy)]
struct WriterPos {
    produced: usize,
    offset: usize,
    data_index: usize,
}

macro_rules! field {
    ($s:expr, $f:ident) => {
        // SAFETY: `buf` is live (type invariant); volatile because others
        // change the field concurrently.
        unsafe { ptr::read_volatile(&raw const (*$s.buf).$f) }
    };
    ($s:expr, $f:ident = $v:expr) => {
        // SAFETY: As above.
        unsafe { ptr::write_volatile(&raw mut (*$s.buf).$f, $v) }
    };
}

/// A buffer as rrelay allocates it: the C `struct rchan_buf` clients see,
/// followed by what only rrelay needs.
///
/// # Invariants
///
/// Every `RchanBuf` rrelay hands out is the `rchan_buf` field of a
/// `Buffer`; once set up, `pins` has one slot per sub-buffer, each naming
/// this buffer.
#[repr(C)]
struct Buffer {
    rchan_buf: RchanBuf,
    pins: KVec<PinSlot>,
    /// Sub-buffers readers lost to the writer lapping them (readers only,
    /// under the file lock).
    lost: usize,
    /// The writer's switches as a sequence count: odd while one is under
    /// way (`ring::RingState::begin_switch`).  Written by the buffer's
    /// writer only; readers wait for an even value.
    switches: Atomic<u32>,
}

impl BufState {
    /// # Safety
    ///
    /// `buf` is a live, initialised buffer.
    pub(crate) unsafe fn new(buf: *mut RchanBuf) -> Self {
        // SAFETY: `buf` and its channel are live per the contract.
        let chan = unsafe { channel_of((*buf).chan) };
        // INVARIANT: `geo` is the geometry of `buf`'s channel.
        Self {
            buf,
            geo: chan.geo,
            subbuf_start: chan.subbuf_start,
            writer: None,
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
            let (mut produced, mut offset) = (0usize, 0usize);
            let mut data: *mut c_void = ptr::null_mut();
            // SAFETY: `buf` is live (type invariant); the out pointers are
            // valid locals.
            let taken =
                unsafe { sys::writer_snapshot(self.buf, &mut produced, &mut offset, &mut data) };
            if taken.is_err() {
                return false;
            }
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
        smp_mb(Read);
        let live = Self {
            writer: None,
            ..*self
        };
        let switches = &self.buffer().switches;
        loop {
            let start = switches.load(ordering::Acquire);
            if let Some(stale) = ring::copy_is_stale(&live, &self.geo, number) {
                // Pairs with the writer's write barrier before it makes
                // the count even again.
                smp_mb(Read);
                if start % 2 == 0 && switches.load(ordering::Relaxed) == start {
                    return stale;
                }
            }
            cpu_relax();
        }
    }

    /// The rrelay part of the buffer.
    fn buffer(&self) -> &Buffer {
        // SAFETY: `buf` is the `rchan_buf` of a live `Buffer` (its type
        // invariant).
        unsafe { &*self.buf.cast::<Buffer>() }
    }

    pub(crate) fn geometry(&self) -> &Geometry {
        &self.geo
    }

    /// Kernel address of byte `pos` of the buffer.
    pub(crate) fn addr(&self, pos: usize) -> *mut u8 {
        let start: *mut c_void = field!(self, start);
        start.cast::<u8>().wrapping_add(pos)
    }

    /// Where the writer's current sub-buffer starts (`rchan_buf::data`).
    pub(crate) fn data(&self) -> *mut u8 {
        let data: *mut c_void = field!(self, data);
        data.cast::<u8>()
    }

    /// The page holding byte `pos` of the buffer (`pos` below its size).
    pub(crate) fn page(&self, pos: usize) -> *mut bindings::page {
        // SAFETY: `buf` is live (type invariant) and `page_array` holds a
        // page for every byte of the allocation, which contains `pos`.
        unsafe { *(*self.buf).page_array.add(pos / PAGE_SIZE) }
    }

    /// The pins of sub-buffer `subbuf` (below `n_subbufs`).
    pub(crate) fn pin_slot(&self, subbuf: usize) -> &PinSlot {
        // SAFETY: `buf` is the `rchan_buf` of a live `Buffer` (its type
        // invariant), whose `pins` has a slot per sub-buffer.
        let pins = unsafe { &(*self.buf.cast::<Buffer>()).pins };
        &pins[subbuf]
    }
}

impl RingState for BufState {
    fn offset(&self) -> usize {
        match self.writer {
            Some(w) => w.offset,
            None => field!(self, offset),
        }
    }
    fn set_offset(&mut self, v: usize) {
        field!(self, offset = v)
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
        field!(self, data = data)
    }
    fn produced(&self) -> usize {
        match self.writer {
            Some(w) => w.produced,
            None => field!(self, subbufs_produced),
        }
    }
    fn set_produced(&mut self, v: usize) {
        field!(self, subbufs_produced = v)
    }
    fn consumed(&self) -> usize {
        field!(self, subbufs_consumed)
    }
    fn set_consumed(&mut self, v: usize) {
        field!(self, subbufs_consumed = v)
    }
    fn bytes_consumed(&self) -> usize {
        field!(self, bytes_consumed)
    }
    fn set_bytes_consumed(&mut self, v: usize) {
        field!(self, bytes_consumed = v)
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
        let padding: *mut usize = field!(self, padding);
        // SAFETY: `padding` has `n_subbufs` entries and `ring` only asks for
        // indices below that.
        unsafe { ptr::read_volatile(padding.add(subbuf)) }
    }
    fn set_padding(&mut self, subbuf: usize, v: usize) {
        let padding: *mut usize = field!(self, padding);
        // SAFETY: As in `padding`.
        unsafe { ptr::write_volatile(padding.add(subbuf), v) }
    }
    fn full_count(&self) -> usize {
        // SAFETY: `buf` is live (type invariant).
        unsafe { ptr::read_volatile(&raw const (*self.buf).stats.full_count) as usize }
    }
    fn set_full_count(&mut self, v: usize) {
        // SAFETY: As above. The C counter is an unsigned int: it wraps.
        unsafe { ptr::write_volatile(&raw mut (*self.buf).stats.full_count, v as c_uint) }
    }
    fn big_count(&self) -> usize {
        // SAFETY: As above.
        unsafe { ptr::read_volatile(&raw const (*self.buf).stats.big_count) as usize }
    }
    fn set_big_count(&mut self, v: usize) {
        // SAFETY: As above.
        unsafe { ptr::write_volatile(&raw mut (*self.buf).stats.big_count, v as c_uint) }
    }
    fn pinned(&self, subbuf: usize) -> bool {
        // Orders the writer's stores of `produced` and `offset` before the
        // load (see `ring::pin_for_splice`).
        smp_mb(Full);
        // SAFETY: `buf` is the `rchan_buf` of a live `Buffer` (its type
        // invariant).
        let pins = unsafe { &(*self.buf.cast::<Buffer>()).pins };
        // Past the end cannot happen (`subbuf < n_subbufs`); were it to,
        // the writer stops rather than panic.
        pins.get(subbuf)
            .is_none_or(|p| p.pins.load(ordering::Relaxed) != 0)
    }
    fn pin(&mut self, subbuf: usize) {
        // Fully ordered: the pin is visible before the reader looks at
        // `produced` and `offset`.
        self.pin_slot(subbuf).pins.fetch_add(1, ordering::Full);
    }
    fn unpin(&mut self, subbuf: usize) {
        self.pin_slot(subbuf).unpin();
    }
    fn client_decides(&self) -> bool {
        self.subbuf_start.is_some()
    }
    fn lost(&self) -> usize {
        // SAFETY: `buf` is the `rchan_buf` of a live `Buffer` (its type
        // invariant); volatile, as `relay_reset()` may clear it.
        unsafe { ptr::read_volatile(&raw const (*self.buf.cast::<Buffer>()).lost) }
    }
    fn set_lost(&mut self, v: usize) {
        // SAFETY: As above.
        unsafe { ptr::write_volatile(&raw mut (*self.buf.cast::<Buffer>()).lost, v) }
    }
    fn begin_switch(&mut self) {
        let switches = &self.buffer().switches;
        switches.store(
            switches.load(ordering::Relaxed).wrapping_add(1),
            ordering::Relaxed,
        );
        // The odd count is visible before any field the switch changes.
        smp_mb(Write);
    }
    fn end_switch(&mut self) {
        let switches = &self.buffer().switches;
        // Release: every store of the switch is visible before the even
        // count, and (a write barrier) before the records written next.
        smp_mb(Write);
        switches.store(
            switches.load(ordering::Relaxed).wrapping_add(1),
            ordering::Release,
        );
    }
    fn switching(&self) -> bool {
        self.buffer().switches.load(ordering::Relaxed) % 2 != 0
    }
    fn publish(&mut self, completed: Option<ring::Completed>, next: usize) -> bool {
        // SAFETY: `buf` is the `rchan_buf` of a live `Buffer` (its type
        // invariant).
        let pins = unsafe { &(*self.buf.cast::<Buffer>()).pins };
        // `next` is below `n_subbufs`, the length of `pins`; were it not,
        // the writer stops as if it were pinned rather than panic.
        let Some(slot) = pins.get(next) else {
            return true;
        };
        let (done, valid) = match completed {
            Some(c) => (true, self.geo.subbuf_size().wrapping_sub(c.padding)),
            None => (false, 0),
        };
        // SAFETY: `buf` is live and initialised, its writer is the caller
        // (the `relay_switch_subbuf` contract), and `slot` is one of its
        // pin counts.
        unsafe { sys::switch_publish(self.buf, done, valid, slot.pins.as_ptr()) }
    }
}

/// Asks the client whether to go on logging into sub-buffer `new` (its
/// `subbuf_start` callback), or applies the default: go on unless full.
pub(crate) fn subbuf_start_decision(s: &mut BufState, new: usize, prev: bool, full: bool) -> bool {
    match s.subbuf_start {
        None => !full,
        Some(f) => {
            let subbuf = s.addr(s.geo.start_of(new)).cast();
            // The previous sub-buffer is the writer's current one
            // (`SubbufStart`), where `data` points.
            let prev = if prev {
                s.data().cast()
            } else {
                ptr::null_mut()
            };
            // SAFETY: A valid buffer and two addresses inside it (or null
            // for `prev` on reset), as the callback's contract says.
            unsafe { f(s.buf, subbuf, prev) != 0 }
        }
    }
}

/// `__relay_reset()`.
///
/// # Safety
///
/// `buf` is live; `init` only for a buffer nobody else sees yet.
pub(crate) unsafe fn reset_buf(buf: *mut RchanBuf, init: bool) {
    if init {
        // SAFETY: Per the contract, `buf` is not shared yet.
        unsafe { sys::buf_init_sync(buf) };
    } else {
        // SAFETY: `buf` is live and was initialised.
        unsafe { sys::buf_sync_wakeup(buf) };
    }
    // SAFETY: `buf` is live.
    let mut s = unsafe { BufState::new(buf) };
    // SAFETY: `buf` is live.
    unsafe { (*buf).finalized = 0 };
    let geo = *s.geometry();
    ring::reset(&mut s, &geo, &mut subbuf_start_decision);
}

/// Frees a buffer whose last reference is gone (`relay_destroy_buf()`),
/// then drops its reference on the channel.
///
/// # Safety
///
/// Nobody else references `buf`: no file, no slot user, no writer.
unsafe fn destroy_buf(buf: *mut RchanBuf) {
    // SAFETY: `buf` is ours alone now; its channel is live because `buf`
    // holds a reference on it.
    unsafe {
        let chan = (*buf).chan;
        if !(*buf).start.is_null() {
            sys::vunmap((*buf).start);
        }
        if !(*buf).page_array.is_null() {
            let pages = KVVec::from_raw_parts(
                (*buf).page_array,
                (*buf).page_count as usize,
                (*chan).alloc_size / PAGE_SIZE,
            );
            for &page in pages.iter() {
                sys::free_page(page);
            }
        }
        if !(*buf).padding.is_null() {
            drop(KVec::from_raw_parts(
                (*buf).padding,
                (*chan).n_subbufs,
                (*chan).n_subbufs,
            ));
        }
        let slot = sys::buf_slot((*chan).buf, (*buf).cpu);
        if *slot == buf {
            *slot = ptr::null_mut();
        }
        // A buffer is the first field of its `Buffer` (type invariant).
        drop(KBox::from_raw(buf.cast::<Buffer>()));
        chan_put(chan);
    }
}

/// Drops a reference on a buffer and frees it with the last one.
///
/// # Safety
///
/// The caller owns one reference on `buf`.
pub(crate) unsafe fn buf_put(buf: *mut RchanBuf) {
    // SAFETY: Per the contract.
    if unsafe { sys::kref_put(&raw mut (*buf).kref) } {
        // SAFETY: That was the last reference.
        unsafe { destroy_buf(buf) };
    }
}

/// Takes a reference on a buffer.
///
/// # Safety
///
/// `buf` is live and the caller already holds a reference on it (directly
/// or through its file's inode, which pins it until `remove_buf_file`).
pub(crate) unsafe fn buf_get(buf: *mut RchanBuf) {
    // SAFETY: Per the contract.
    unsafe { sys::kref_get(&raw mut (*buf).kref) }
}

/// Drops a reference on a channel and frees it with the last one.

/// structure, its padding array and zeroed pages mapped contiguously.
///
/// # Safety
///
/// `chan` is live and was set up by `relay_open`.
unsafe fn create_buf(chan: *mut Rchan) -> *mut RchanBuf {
    // SAFETY: `chan` is live.
    let (n_subbufs, alloc_size) = unsafe { ((*chan).n_subbufs, (*chan).alloc_size) };
    let buffer = Buffer {
        // SAFETY: All-zero is a valid `RchanBuf` (null pointers, zero counts).
        rchan_buf: unsafe { core::mem::zeroed::<RchanBuf>() },
        pins: KVec::new(),
        lost: 0,
        switches: Atomic::new(0),
    };
    let Ok(boxed) = KBox::new(buffer, GFP_KERNEL) else {
        return ptr::null_mut();
    };
    // INVARIANT: every buffer handed out is the first field of a `Buffer`;
    // its pins are filled in below, before anyone else sees it.
    let buf = KBox::into_raw(boxed).cast::<RchanBuf>();
    // The buffer holds a channel reference from here on; `destroy_buf`
    // drops it on every path.
    // SAFETY: `chan` is live and referenced by the caller.
    unsafe {
        (*buf).chan = chan;
        sys::kref_get(&raw mut (*chan).kref);
    }

    let mut padding = KVec::new();
    if padding.resize(n_subbufs, 0usize, GFP_KERNEL).is_err() {
        // SAFETY: `buf` is ours alone.
        unsafe { destroy_buf(buf) };
        return ptr::null_mut();
    }
    let (p, _, _) = padding.into_raw_parts();
    // SAFETY: `buf` is ours alone.
    unsafe { (*buf).padding = p };

    // SAFETY: `buf` is the first field of a `Buffer`, ours alone.
    let pins = unsafe { &mut (*buf.cast::<Buffer>()).pins };
    for _ in 0..n_subbufs {
        let slot = PinSlot {
            pins: Atomic::new(0),
            buf,
        };
        if pins.push(slot, GFP_KERNEL).is_err() {
            // SAFETY: `buf` is ours alone.
            unsafe { destroy_buf(buf) };
            return ptr::null_mut();
        }
    }

    let n_pages = alloc_size / PAGE_SIZE;
    // A buffer larger than all memory cannot be had: refused before any
    // page is taken from others.  The page array may be large: kvmalloc,
    // as mainline's kvcalloc.
    let Ok(mut pages) = (if n_pages > sys::totalram_pages() {
        Err(kernel::alloc::AllocError)
    } else {
        KVVec::<*mut bindings::page>::with_capacity(n_pages, GFP_KERNEL)
    }) else {
        // SAFETY: `buf` is ours alone.
        unsafe { destroy_buf(buf) };
        return ptr::null_mut();
    };
    for _ in 0..n_pages {
        let page = sys::alloc_zeroed_page();
        if page.is_null() {
            break;
        }
        // Cannot fail: the capacity was reserved above.
        let _ = pages.push(page, GFP_KERNEL);
    }
    let complete = pages.len() == n_pages;
    let start = if complete {
        // SAFETY: `pages` holds `n_pages` valid pages.
        unsafe { sys::vmap(pages.as_mut_ptr(), n_pages as u32) }
    } else {
        ptr::null_mut()
    };
    let (array, count, _) = pages.into_raw_parts();
    // SAFETY: `buf` is ours alone; `destroy_buf` frees what is recorded.
    unsafe {
        (*buf).page_array = array;
        (*buf).page_count = count as c_uint;
        (*buf).start = start;
    }
    if start.is_null() {
        // SAFETY: `buf` is ours alone.
        unsafe { destroy_buf(buf) };
        return ptr::null_mut();
    }
    buf
}

/// Creates the buffer of one CPU (`relay_open_buf()`); for a global
/// channel, returns the one buffer already made.
///
/// # Safety
///
/// `chan` is live, set up by `relay_open`; the channels lock is held.
pub(crate) unsafe fn open_buf(chan: *mut Rchan, cpu: u32) -> *mut RchanBuf {
    // SAFETY: `chan` is live; `cpu` is an online CPU.
    unsafe {
        if (*chan).is_global != 0 {
            return *sys::buf_slot((*chan).buf, 0);
        }
        let buf = create_buf(chan);
        if buf.is_null() {
            return buf;
        }
        (*buf).cpu = cpu;
        sys::buf_init_sync(buf);
        if (*chan).has_base_filename != 0 {
            let dentry = create_buf_file(chan, buf, cpu);
            if dentry.is_null() {
                buf_put(buf);
                return ptr::null_mut();
            }
            (*buf).dentry = dentry;
            sys::file_size_set(dentry, (*buf).early_bytes as i64);
        }
        // Buffer-only channels (no base name) get no file and no call to
        // `create_buf_file`: mainline calls it with a NULL name, which
        // clients do not expect.
        reset_buf(buf, false);
        if (*chan).is_global != 0 {
            *sys::buf_slot((*chan).buf, 0) = buf;
            (*buf).cpu = 0;
        }
        buf
    }
}

/// Asks the client to create the file of `buf`, named `<base><cpu>`.
///
/// # Safety
///
/// As for `open_buf`.
unsafe fn create_buf_file(chan: *mut Rchan, buf: *mut RchanBuf, cpu: u32) -> *mut bindings::dentry {
    // Base names are at most NAME_MAX - 1 bytes; the CPU adds up to 10.
    let mut name = [0u8; abi::NAME_MAX + 12];
    // SAFETY: `chan` is live; `base_filename` is NUL-terminated within
    // NAME_MAX bytes (`relay_open` made it so).
    let base = unsafe { &*(&raw const (*chan).base_filename).cast::<[u8; abi::NAME_MAX]>() };
    let len = base
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(abi::NAME_MAX - 1);
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
    // SAFETY: `chan` is live; `create_buf_file` was checked non-null by
    // `relay_open`; `name` is NUL-terminated.
    unsafe {
        let create = (*(*chan).cb)
            .create_buf_file
            .unwrap_or_else(|| unreachable!());
        let dentry = create(
            name.as_ptr().cast::<c_char>(),
            (*chan).parent,
            BUF_FILE_MODE,
            buf,
            &raw mut (*chan).is_global,
        );
        if sys::is_err_or_null(dentry) {
            ptr::null_mut()
        } else {
            dentry
        }
    }
}

/// `relay_close_buf()`: marks the buffer finalized, removes its file and
/// drops relay's reference; open files keep it alive until released.
///
/// # Safety
///
/// `buf` is live and relay's own reference on it has not been dropped.
pub(crate) unsafe fn close_buf(buf: *mut RchanBuf) {
    // SAFETY: Per the contract.
    unsafe {
        ptr::write_volatile(&raw mut (*buf).finalized, 1);
        sys::buf_sync_wakeup(buf);
        // Readers asleep in poll() learn of the close now (mainline leaves
        // them asleep until a timeout, or for ever).
        sys::buf_wake_readers(buf);
        let chan = (*buf).chan;
        if !(*buf).dentry.is_null() {
            let remove = (*(*chan).cb)
                .remove_buf_file
                .unwrap_or_else(|| unreachable!());
            remove((*buf).dentry);
        }
        buf_put(buf);
    }
}
