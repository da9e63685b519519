// SPDX-License-Identifier: GPL-2.0

//! One buffer as rrelay allocates it: the C `struct rchan_buf` clients
//! see, then what only rrelay keeps; and its reference count.
//!
//! This is the one place that reads and writes the fields a buffer shares
//! with the stock C inlines on its CPU and with readers elsewhere (the ring
//! fields, the statistics, `finalized`, the switch count): each through a
//! named accessor, so that their memory ordering is decided here and
//! nowhere else.  Every ring field access is volatile (`READ_ONCE` and
//! `WRITE_ONCE` in C terms), exactly as mainline shares them.

use super::chan::{rrelay_kref_put, Chan};
use super::debugfs::is_err_or_null;
use super::pages::PageSet;
use crate::abi::{RchanBuf, SubbufStartFn};
use crate::pins::PinSlot;
use core::marker::PhantomData;
use core::mem::offset_of;
use core::ptr::{self, NonNull};
use kernel::alloc::{flags::GFP_KERNEL, KBox, KVec};
use kernel::bindings;
use kernel::error::Result;
use kernel::ffi::{c_int, c_uint, c_void};
use kernel::page::PAGE_SIZE;
use kernel::sync::aref::{ARef, AlwaysRefCounted};
use kernel::sync::atomic::{ordering, Atomic, AtomicType};
use kernel::sync::barrier::{smp_mb, Full, Read, Write};
use kernel::types::Opaque;

// These signatures are those of the C definitions (`src/helpers.c`,
// declared in `src/rrelay_internal.h`, or the kernel's), with pointers
// as references where the C side needs them live; each one declared
// `safe` has its argument beside it.  Kernel structures that bindgen
// marks as not FFI-safe cross the boundary behind pointers only.
#[allow(improper_ctypes)]
unsafe extern "C" {
    fn rrelay_buf_init_sync(buf: *mut RchanBuf);
    /// Safe: a `&Buf` holds a reference (type invariant), so the count is
    /// above zero.
    safe fn rrelay_buf_get(buf: &Buf);
    /// Safe: the irq_work of a live, initialised buffer (process context,
    /// as every caller).
    safe fn rrelay_buf_sync_wakeup(buf: &Buf);
    /// Safe: the wait queue of a live, initialised buffer.
    safe fn rrelay_buf_wake_readers(buf: &Buf);
    /// Safe: `&Buf` is a live, initialised buffer (its type invariants)
    /// and `pins` a live pin count; the C side only stores the buffer's
    /// count and offset and the file's size (or `early_bytes`), queues the
    /// buffer's own irq_work and loads `*pins`.
    safe fn rrelay_switch_publish(
        buf: &Buf,
        completed: bool,
        produced: usize,
        valid: usize,
        pins: &Atomic<i32>,
    ) -> bool;
    /// Safe: a live, initialised buffer; waits (process context) for a
    /// cross-CPU call that only reads its fields.
    safe fn rrelay_writer_snapshot(
        buf: &Buf,
        produced: &mut usize,
        offset: &mut usize,
        data: &mut *mut c_void,
    ) -> c_int;
    /// Safe: a live, initialised buffer; runs its switch on its CPU
    /// (process context).
    safe fn rrelay_flush_on_buf_cpu(buf: &Buf);
    fn rrelay_file_size_set(dentry: *mut bindings::dentry, size: bindings::loff_t);
}

/// A field of `struct rchan_buf`: its offset and type.
///
/// # Invariants
///
/// `0` is the offset in `RchanBuf` of a field of type `T`.
#[derive(Clone, Copy)]
struct Field<T>(usize, PhantomData<T>);

/// The [`Field`] at a path of `RchanBuf`, with its type checked.
macro_rules! field {
    ($($f:ident).+ : $t:ty) => {{
        let _type_check: fn(&RchanBuf) -> &$t = |b| &b.$($f).+;
        // INVARIANT: the offset of that very field, of type `$t`.
        Field::<$t>(offset_of!(RchanBuf, $($f).+), PhantomData)
    }};
}

/// The getter and setter of a field of `struct rchan_buf` shared with the
/// C inlines and readers.
macro_rules! shared_field {
    ($get:ident, $set:ident, $t:ty, $($f:ident).+) => {
        #[inline(always)]
        pub(crate) fn $get(&self) -> $t {
            self.load(field!($($f).+: $t))
        }

        #[inline(always)]
        pub(crate) fn $set(&self, v: $t) {
            self.store(field!($($f).+: $t), v)
        }
    };
}

/// A buffer: `struct rchan_buf` followed by rrelay's own state.
///
/// # Invariants
///
/// - Every `RchanBuf` rrelay hands out is the `rchan_buf` of a `Buf`
///   (`repr(C)`, first field), so the two pointers coincide.
/// - `rchan_buf` is initialised: its wait queue, irq_work and kref are set
///   up; `chan` is `chan`'s; `start`, `page_array` and `page_count`
///   describe `pages`; `padding` points to the `n_subbufs` entries of
///   `padding`.
/// - `pins` has one slot per sub-buffer, each naming this buffer.
/// - Shared `&Buf` exist only while a reference is held: relay's own (in
///   the channel's slot), an open file's, or a pipe buffer's.
#[repr(C)]
pub(crate) struct Buf {
    rchan_buf: Opaque<RchanBuf>,
    pins: KVec<PinSlot>,
    /// Sub-buffers readers lost to the writer lapping them (readers only,
    /// under the file lock; `relay_reset()` may clear it).
    lost: Atomic<usize>,
    /// The writer's switches as a sequence count: odd while one is under
    /// way (`ring::RingState::begin_switch`).  Written by the buffer's
    /// writer only; readers wait for an even value.
    switches: Atomic<u32>,
    padding: KVec<usize>,
    pages: PageSet,
    chan: ARef<Chan>,
}

impl Buf {
    /// Allocates a buffer of `chan`'s geometry for `cpu`
    /// (`relay_create_buf()`): the structure, its padding array, its pin
    /// slots and zeroed pages mapped contiguously; wait queue, reference
    /// count (to one, returned) and deferred reader wake-up set up.
    pub(crate) fn create(chan: &Chan, cpu: u32) -> Option<ARef<Buf>> {
        let geo = chan.geometry();
        let mut padding = KVec::new();
        padding.resize(geo.n_subbufs(), 0usize, GFP_KERNEL).ok()?;
        let pages = PageSet::new(geo.alloc_size() / PAGE_SIZE).ok()?;
        let mut buf = KBox::new(
            Buf {
                rchan_buf: Opaque::zeroed(),
                pins: KVec::new(),
                lost: Atomic::new(0),
                switches: Atomic::new(0),
                padding,
                pages,
                chan: chan.into(),
            },
            GFP_KERNEL,
        )
        .ok()?;
        let raw = buf.rchan_buf.get();
        // The box does not move: the slots may name the buffer by address.
        let named = NonNull::new(raw)?;
        for _ in 0..geo.n_subbufs() {
            buf.pins.push(PinSlot::new(named), GFP_KERNEL).ok()?;
        }
        let padding = buf.padding.as_mut_ptr();
        buf.store(field!(chan: *mut crate::abi::Rchan), chan.as_raw());
        buf.store(field!(padding: *mut usize), padding);
        buf.store(
            field!(page_array: *mut *mut bindings::page),
            buf.pages.array(),
        );
        buf.store(field!(page_count: c_uint), buf.pages.count() as c_uint);
        buf.store(field!(start: *mut c_void), buf.pages.addr());
        buf.store(field!(cpu: c_uint), cpu);
        // SAFETY: `raw` is the `rchan_buf` of the box, ours alone: its wait
        // queue, kref (to one) and irq_work are set up in place.
        unsafe { rrelay_buf_init_sync(raw) };
        // INVARIANT: initialised above; the one reference is returned.
        let ptr = NonNull::new(KBox::into_raw(buf))?;
        // SAFETY: The kref was just set to one, and that count is ours.
        Some(unsafe { ARef::from_raw(ptr) })
    }

    /// The buffer behind a pointer a client, the VFS or C code passes.
    ///
    /// # Safety
    ///
    /// `buf` came from rrelay (`relay_open`'s buffers, a file's, a pipe
    /// buffer's) and a reference on it is held for `'a`.
    #[inline(always)]
    pub(crate) unsafe fn from_raw<'a>(buf: *mut RchanBuf) -> &'a Buf {
        // SAFETY: `rchan_buf` is the first field of a `repr(C)` `Buf`
        // (type invariant), live for `'a` per the contract.
        unsafe { &*buf.cast::<Buf>() }
    }

    /// The C structure, for C code and client callbacks.
    #[inline(always)]
    pub(crate) fn as_raw(&self) -> *mut RchanBuf {
        self.rchan_buf.get()
    }

    /// The channel.
    #[inline(always)]
    pub(crate) fn chan(&self) -> &Chan {
        &self.chan
    }

    /// A field, read once (`READ_ONCE`).
    #[inline(always)]
    fn load<T: Copy>(&self, f: Field<T>) -> T {
        // SAFETY: `f` is a field of type `T` of `rchan_buf` (its type
        // invariant), which is initialised and lives as long as `self`
        // (type invariants); volatile, because others change fields
        // concurrently.
        unsafe { ptr::read_volatile(self.as_raw().wrapping_byte_add(f.0).cast::<T>()) }
    }

    /// A field, written once (`WRITE_ONCE`).
    #[inline(always)]
    fn store<T>(&self, f: Field<T>, v: T) {
        // SAFETY: As in `load`; the field is inside an `Opaque`, so it may
        // be written through a shared reference.
        unsafe { ptr::write_volatile(self.as_raw().wrapping_byte_add(f.0).cast::<T>(), v) }
    }

    /// A field that every CPU loads and stores atomically (C's
    /// `smp_load_acquire`/`smp_store_release`/`READ_ONCE`/`WRITE_ONCE`),
    /// as an [`Atomic`].
    #[inline(always)]
    fn atomic<T: AtomicType>(&self, f: Field<T>) -> &Atomic<T> {
        // SAFETY: `f` is a field of type `T` of `rchan_buf` (its type
        // invariant), initialised, aligned (a field of a `repr(C)`
        // struct) and live as long as `self`; every access to the fields
        // used so is atomic, from Rust (here) and from C.
        unsafe { Atomic::from_ptr(self.as_raw().wrapping_byte_add(f.0).cast::<T>()) }
    }

    shared_field!(offset, set_offset, usize, offset);
    shared_field!(data, set_data, *mut c_void, data);
    /// The produced count, as the writer loads its own (`READ_ONCE`).
    #[inline(always)]
    pub(crate) fn produced(&self) -> usize {
        self.load(field!(subbufs_produced: usize))
    }

    /// The produced count, as a reader on any CPU loads it: an acquire,
    /// pairing with the writer's release store of the count
    /// (`rrelay_switch_publish`), so the bytes and padding of every
    /// sub-buffer counted are visible to the loads that follow
    /// (`Documentation/ordering.rst`).
    pub(crate) fn produced_acquire(&self) -> usize {
        self.atomic(field!(subbufs_produced: usize))
            .load(ordering::Acquire)
    }

    /// Release, as in `rrelay_switch_publish` (the write path's store):
    /// here on `relay_reset()` and in the host model's order.
    pub(crate) fn set_produced(&self, v: usize) {
        self.atomic(field!(subbufs_produced: usize))
            .store(v, ordering::Release)
    }

    /// `READ_ONCE`.  The writer's stores into a sub-buffer it finds
    /// consumed depend on this load by control (the switch returns a
    /// length of 0 otherwise, and the client writes nothing), which with
    /// the reader's release store ([`Buf::set_consumed`]) keeps them after
    /// the reader's copies (`Documentation/ordering.rst`).
    #[inline(always)]
    pub(crate) fn consumed(&self) -> usize {
        self.load(field!(subbufs_consumed: usize))
    }

    /// Release: the reader's copies out of the sub-buffers it gives back
    /// come before the writer may reuse them.
    pub(crate) fn set_consumed(&self, v: usize) {
        self.atomic(field!(subbufs_consumed: usize))
            .store(v, ordering::Release)
    }
    shared_field!(bytes_consumed, set_bytes_consumed, usize, bytes_consumed);
    /// Acquire: pairs with [`Buf::set_finalized`]'s release, so a reader
    /// that sees the buffer finalized also sees its last counts.
    pub(crate) fn finalized(&self) -> c_uint {
        self.atomic(field!(finalized: c_uint))
            .load(ordering::Acquire)
    }

    /// Release: a reader that sees the buffer finalized (acquire) also
    /// sees the last switch's produced count and bytes.
    pub(crate) fn set_finalized(&self, v: c_uint) {
        self.atomic(field!(finalized: c_uint))
            .store(v, ordering::Release)
    }
    shared_field!(full_count, set_full_count, c_uint, stats.full_count);
    shared_field!(big_count, set_big_count, c_uint, stats.big_count);
    shared_field!(cpu, set_cpu, c_uint, cpu);

    /// Kernel address of the buffer's first byte.
    #[inline(always)]
    pub(crate) fn start(&self) -> *mut c_void {
        self.load(field!(start: *mut c_void))
    }

    /// Padding of sub-buffer `subbuf`.
    ///
    /// # Safety
    ///
    /// `subbuf < n_subbufs` (not checked: the switch's hot path).
    #[inline(always)]
    pub(crate) unsafe fn padding(&self, subbuf: usize) -> usize {
        let padding: *mut usize = self.padding_array();
        // SAFETY: `padding` has `n_subbufs` entries (type invariant), more
        // than `subbuf` per the contract.
        unsafe { ptr::read_volatile(padding.add(subbuf)) }
    }

    /// Sets the padding of sub-buffer `subbuf`.
    ///
    /// # Safety
    ///
    /// As for [`Buf::padding`].
    #[inline(always)]
    pub(crate) unsafe fn set_padding(&self, subbuf: usize, v: usize) {
        let padding: *mut usize = self.padding_array();
        // SAFETY: As in `padding`.
        unsafe { ptr::write_volatile(padding.add(subbuf), v) }
    }

    #[inline(always)]
    fn padding_array(&self) -> *mut usize {
        self.load(field!(padding: *mut usize))
    }

    /// Sub-buffers readers lost to the writer.
    pub(crate) fn lost(&self) -> usize {
        self.lost.load(ordering::Relaxed)
    }

    /// Sets [`Buf::lost`].
    pub(crate) fn set_lost(&self, v: usize) {
        self.lost.store(v, ordering::Relaxed)
    }

    /// The pins of sub-buffer `subbuf`, if it exists.
    #[inline(always)]
    pub(crate) fn pin_slot(&self, subbuf: usize) -> Option<&PinSlot> {
        self.pins.get(subbuf)
    }

    /// Whether sub-buffer `subbuf` is pinned, seen from the writer: a full
    /// barrier orders its stores of `produced` and `offset` before the
    /// load (see `ring::pin_for_splice`).  Past the end cannot happen
    /// (`subbuf < n_subbufs`); were it to, the writer stops rather than
    /// panic.
    pub(crate) fn pinned(&self, subbuf: usize) -> bool {
        smp_mb(Full);
        self.pins.get(subbuf).is_none_or(|p| p.is_pinned())
    }

    /// Marks the start of a switch: the count turns odd, visible before
    /// any field the switch changes.
    #[inline(always)]
    pub(crate) fn begin_switch(&self) {
        let s = &self.switches;
        s.store(s.load(ordering::Relaxed).wrapping_add(1), ordering::Relaxed);
        smp_mb(Write);
    }

    /// Marks the end of a switch.  Release: every store of the switch is
    /// visible before the even count, and (a write barrier) before the
    /// records written next.
    #[inline(always)]
    pub(crate) fn end_switch(&self) {
        let s = &self.switches;
        smp_mb(Write);
        s.store(s.load(ordering::Relaxed).wrapping_add(1), ordering::Release);
    }

    /// Whether a switch is under way, seen from the writer itself.
    #[inline(always)]
    pub(crate) fn switching(&self) -> bool {
        self.switches.load(ordering::Relaxed) % 2 != 0
    }

    /// A reader's look at the switch count before it reads the fields, as
    /// a sequence-count reader.
    pub(crate) fn read_begin(&self) -> u32 {
        self.switches.load(ordering::Acquire)
    }

    /// Whether the fields a reader read after [`Buf::read_begin`] gave
    /// `start` belong to no switch: the count was even then and has not
    /// moved.  Pairs with the writer's write barrier before it makes the
    /// count even again.
    pub(crate) fn read_valid(&self, start: u32) -> bool {
        smp_mb(Read);
        start % 2 == 0 && self.switches.load(ordering::Relaxed) == start
    }

    /// What a sub-buffer switch needs besides the arithmetic, in one call
    /// on the write path's slow path: for a `completed` sub-buffer the file
    /// grows by its `valid` bytes; a full barrier orders the writer's
    /// stores of `produced` and `offset` before the loads of the readers'
    /// wait queue and of `next`'s pin count; sleeping readers get a
    /// wake-up queued as irq_work (never a direct one: writers may run
    /// inside the scheduler).  Returns whether `next` is pinned.  Called by
    /// the buffer's writer only (`relay_switch_subbuf`).
    #[inline(always)]
    pub(crate) fn switch_publish(
        &self,
        completed: bool,
        produced: usize,
        valid: usize,
        next: &PinSlot,
    ) -> bool {
        rrelay_switch_publish(self, completed, produced, valid, next.count())
    }

    /// The page holding byte `pos` of the buffer, if `pos` is inside.
    pub(crate) fn page(&self, pos: usize) -> Option<*mut bindings::page> {
        self.pages.page(pos / PAGE_SIZE)
    }

    /// Whether `slot` is one of this buffer's.
    pub(crate) fn owns_slot(&self, slot: &PinSlot) -> bool {
        slot.buf().as_ptr() == self.as_raw()
    }

    /// The `len` bytes at `pos`, if they lie inside the buffer's mapping.
    pub(crate) fn bytes(&self, pos: usize, len: usize) -> Option<*const u8> {
        let end = pos.checked_add(len)?;
        (end <= self.pages.count() * PAGE_SIZE)
            .then(|| self.start().cast::<u8>().wrapping_add(pos).cast_const())
    }

    /// Copies `record` to `off` bytes into the writer's current sub-buffer
    /// (where `data` points), if that lies inside the buffer's mapping;
    /// returns whether it did.  For Rust writers (`write::write`), after
    /// the switch made room: the C inlines copy by themselves.
    pub(crate) fn copy_record(&self, off: usize, record: &[u8]) -> bool {
        let pos = (self.data() as usize)
            .wrapping_sub(self.start() as usize)
            .wrapping_add(off);
        let Some(to) = self.bytes(pos, record.len()) else {
            return false;
        };
        // SAFETY: `to` is writable for `record.len()` bytes (inside the
        // mapping, checked above), which `record` cannot overlap (it is
        // the caller's).
        unsafe { ptr::copy_nonoverlapping(record.as_ptr(), to.cast_mut(), record.len()) };
        true
    }

    /// Asks the client's `subbuf_start` callback whether to go on into the
    /// sub-buffer at byte `new` of the buffer, `prev` being the writer's
    /// current one (where `data` points) or none (on reset).
    #[inline(always)]
    pub(crate) fn call_subbuf_start(&self, f: SubbufStartFn, new: usize, prev: bool) -> bool {
        let subbuf = self.start().cast::<u8>().wrapping_add(new).cast();
        let prev = if prev { self.data() } else { ptr::null_mut() };
        // SAFETY: A valid buffer and two addresses inside it (or null for
        // `prev` on reset), as the callback's contract says.
        unsafe { f(self.as_raw(), subbuf, prev) != 0 }
    }

    /// The writer's `produced`, `offset` and `data` at one instant, read
    /// on the buffer's CPU with interrupts off there; an error for a
    /// global buffer or an offline CPU.  Process context.
    pub(crate) fn writer_snapshot(&self) -> Result<(usize, usize, *mut c_void)> {
        let (mut produced, mut offset, mut data) = (0, 0, ptr::null_mut());
        kernel::error::to_result(rrelay_writer_snapshot(
            self,
            &mut produced,
            &mut offset,
            &mut data,
        ))?;
        Ok((produced, offset, data))
    }

    /// `relay_flush()`'s sub-buffer switch of a per-CPU buffer, on the
    /// buffer's CPU (directly if that CPU is offline).  Process context,
    /// interrupts on.
    pub(crate) fn flush_on_cpu(&self) {
        rrelay_flush_on_buf_cpu(self)
    }

    /// Waits for a queued wake-up of the readers to finish; process
    /// context.
    pub(crate) fn sync_wakeup(&self) {
        rrelay_buf_sync_wakeup(self)
    }

    /// Wakes every reader sleeping in `poll()` on the buffer.
    pub(crate) fn wake_readers(&self) {
        rrelay_buf_wake_readers(self)
    }

    /// Asks the client to create the buffer's file through its
    /// `create_buf_file` callback, and records it: the file's size starts
    /// at the bytes logged so far.  `name` is NUL-terminated.  Returns
    /// whether it got one.  Called before the buffer is published.
    pub(crate) fn create_file(&self, name: &[u8], mode: bindings::umode_t) -> bool {
        let chan = self.chan();
        let Some(create) = chan.create_buf_file().filter(|_| name.last() == Some(&0)) else {
            return false;
        };
        // SAFETY: The client's callback (`relay_open`'s contract), with a
        // NUL-terminated name (checked above), its directory, and a live
        // buffer and channel.
        let dentry = unsafe {
            create(
                name.as_ptr().cast(),
                chan.parent(),
                mode,
                self.as_raw(),
                chan.is_global_ptr(),
            )
        };
        if is_err_or_null(dentry) {
            return false;
        }
        self.store(field!(dentry: *mut bindings::dentry), dentry);
        let early = self.load(field!(early_bytes: usize));
        // SAFETY: A live, positive dentry, just made; the buffer is not
        // published yet, so no switch grows the size meanwhile.
        unsafe { rrelay_file_size_set(dentry, early as bindings::loff_t) };
        true
    }

    /// `relay_close_buf()`: marks the buffer finalized, removes its file
    /// and drops relay's reference, `held`; open files keep it alive until
    /// released.
    pub(crate) fn close(held: ARef<Buf>) {
        held.set_finalized(1);
        held.sync_wakeup();
        // Readers asleep in poll() learn of the close now (mainline leaves
        // them asleep until a timeout, or for ever).
        held.wake_readers();
        let dentry = held.load(field!(dentry: *mut bindings::dentry));
        if !dentry.is_null() {
            if let Some(remove) = held.chan().remove_buf_file() {
                // SAFETY: The client's callback, with the dentry its
                // `create_buf_file` returned, once.
                unsafe { remove(dentry) };
            }
        }
    }

    /// The buffer's kref.
    fn kref(&self) -> *mut bindings::kref {
        self.as_raw()
            .wrapping_byte_add(offset_of!(RchanBuf, kref))
            .cast()
    }
}

// SAFETY: The kref of `rchan_buf` counts every reference (relay's, files',
// pipe buffers'): `inc_ref` and `dec_ref` keep it, and the last put frees
// the buffer.
unsafe impl AlwaysRefCounted for Buf {
    fn inc_ref(&self) {
        rrelay_buf_get(self)
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller owns the reference it drops, so the buffer is
        // live until this put.
        let (buf, last) = unsafe { (obj.as_ref(), rrelay_kref_put(obj.as_ref().kref())) };
        if last {
            // `relay_destroy_buf()`: a slot that still names the buffer
            // (a per-CPU one, or slot 0 of a global channel) forgets it.
            if buf.chan().slot(buf.cpu()) == buf.as_raw() {
                buf.chan().set_slot(buf.cpu(), ptr::null_mut());
            }
            // SAFETY: That was the last reference: nobody else uses the
            // buffer, which came from `KBox::into_raw` in `create`.  Its
            // fields free the pages and the padding and put the channel.
            drop(unsafe { KBox::from_raw(obj.as_ptr()) });
        }
    }
}
