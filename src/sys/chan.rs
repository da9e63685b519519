// SPDX-License-Identifier: GPL-2.0

//! One channel as rrelay allocates it: the C `struct rchan` clients see,
//! then what only rrelay keeps; its reference count, its per-CPU table of
//! buffer slots, and the global channels list with its lock.
//!
//! The slots hold raw buffer pointers here; `sys::buf` adds the typed
//! accessors (a buffer knows its channel, not the other way round).

use crate::abi::{
    self, CreateBufFileFn, Rchan, RchanBuf, RchanCallbacks, RemoveBufFileFn, SubbufStartFn,
};
use crate::ring::Geometry;
use core::mem::offset_of;
use core::ptr::{self, NonNull};
use kernel::alloc::{flags::GFP_KERNEL, KBox};
use kernel::bindings;
use kernel::ffi::{c_char, c_int, c_uint, c_void};
use kernel::sync::aref::{ARef, AlwaysRefCounted};
use kernel::types::Opaque;

// These signatures are those of the C definitions (`src/helpers.c`,
// declared in `src/rrelay_internal.h`, or the kernel's), with pointers
// as references where the C side needs them live; each one declared
// `safe` has its argument beside it.  Kernel structures that bindgen
// marks as not FFI-safe cross the boundary behind pointers only.
#[allow(improper_ctypes)]
unsafe extern "C" {
    /// Safe: an allocation of null slots; null on failure.
    safe fn rrelay_alloc_buf_slots() -> *mut *mut RchanBuf;
    fn rrelay_free_buf_slots(slots: *mut *mut RchanBuf);
    fn rrelay_buf_slot(slots: *mut *mut RchanBuf, cpu: c_uint) -> *mut *mut RchanBuf;
    fn rrelay_kref_init(kref: *mut bindings::kref);
    /// Safe: a `&Chan` holds a reference (type invariant), so the count
    /// is above zero.
    safe fn rrelay_chan_get(chan: &Chan);
    pub(super) fn rrelay_kref_put(kref: *mut bindings::kref) -> bool;
    /// Safe: takes a mutex (process context, as every caller).
    safe fn rrelay_channels_lock();
    fn rrelay_channels_unlock();
    fn rrelay_channels_add(chan: *mut Rchan);
    fn rrelay_channels_del(chan: *mut Rchan);
}

/// The per-CPU slots holding one `*mut RchanBuf` each (`rchan::buf`),
/// freed on drop.
///
/// # Invariants
///
/// `0` came from `rrelay_alloc_buf_slots()` and is freed only by `drop`.
struct BufSlots(NonNull<*mut RchanBuf>);

impl BufSlots {
    fn new() -> Option<Self> {
        // INVARIANT: fresh slots, ours.
        NonNull::new(rrelay_alloc_buf_slots()).map(Self)
    }

    /// What `cpu`'s slot holds; null past `nr_cpu_ids`.
    fn get(&self, cpu: u32) -> *mut RchanBuf {
        if cpu >= super::cpu::nr_cpu_ids() {
            return ptr::null_mut();
        }
        // SAFETY: The slots are live (type invariant) and `cpu` is below
        // `nr_cpu_ids`.
        unsafe { ptr::read_volatile(rrelay_buf_slot(self.0.as_ptr(), cpu)) }
    }

    /// Sets `cpu`'s slot; nothing past `nr_cpu_ids`.
    fn set(&self, cpu: u32, buf: *mut RchanBuf) {
        if cpu < super::cpu::nr_cpu_ids() {
            // SAFETY: As in `get`.
            unsafe { ptr::write_volatile(rrelay_buf_slot(self.0.as_ptr(), cpu), buf) }
        }
    }
}

impl Drop for BufSlots {
    fn drop(&mut self) {
        // SAFETY: From `rrelay_alloc_buf_slots()`, not used afterwards
        // (type invariant).
        unsafe { rrelay_free_buf_slots(self.0.as_ptr()) }
    }
}

/// A channel: `struct rchan` followed by rrelay's own state.
///
/// # Invariants
///
/// - Every `Rchan` rrelay hands out is the `rchan` of a `Chan` (`repr(C)`,
///   first field), set up by [`Chan::new`]: its kref counts the
///   references (the client's, and one per buffer); `buf` is the table of
///   `slots`; the sizes are those of `geo`.
/// - `create_buf_file`, `remove_buf_file` and `subbuf_start` are the
///   client's callbacks, both file callbacks present.
/// - While the channel is open, a non-null slot names a live buffer,
///   holding relay's own reference on it (the same buffer in every slot of
///   a global channel): only `relay_close` drops those, and a buffer's
///   last put clears its slot.
/// - Shared `&Chan` exist only while a reference is held.
#[repr(C)]
pub(crate) struct Chan {
    rchan: Opaque<Rchan>,
    /// Validated once by `relay_open`, so the write path's sub-buffer
    /// switch never divides or fails to rebuild it.
    geo: Geometry,
    /// The client's callbacks, read once by `relay_open` (they may not
    /// change under a channel): one load on the switch rather than three.
    subbuf_start: Option<SubbufStartFn>,
    create_buf_file: Option<CreateBufFileFn>,
    remove_buf_file: Option<RemoveBufFileFn>,
    parent: *mut bindings::dentry,
    /// `base_filename` without its NUL, and its length (none: no files).
    base: Option<([u8; abi::NAME_MAX], usize)>,
    slots: BufSlots,
}

impl Chan {
    /// A channel of geometry `geo` (`relay_open()`'s set-up), with no
    /// buffer yet; the reference returned is the client's.  `None` without
    /// memory or a file callback.
    pub(crate) fn new(
        geo: Geometry,
        cb: &RchanCallbacks,
        base_filename: Option<&[u8]>,
        parent: *mut bindings::dentry,
        private_data: *mut c_void,
    ) -> Option<ARef<Chan>> {
        cb.create_buf_file?;
        cb.remove_buf_file?;
        // strscpy(): at most NAME_MAX - 1 bytes.
        let base = base_filename.map(|name| {
            let len = name.len().min(abi::NAME_MAX - 1);
            let mut base = [0u8; abi::NAME_MAX];
            base[..len].copy_from_slice(&name[..len]);
            (base, len)
        });
        let chan = KBox::new(
            Chan {
                rchan: Opaque::zeroed(),
                geo,
                subbuf_start: cb.subbuf_start,
                create_buf_file: cb.create_buf_file,
                remove_buf_file: cb.remove_buf_file,
                parent,
                base,
                slots: BufSlots::new()?,
            },
            GFP_KERNEL,
        )
        .ok()?;
        // SAFETY: The zeroed (valid) `rchan` of the box, ours alone: the
        // fields clients see, then the kref, to one.
        unsafe {
            let r = &mut *chan.rchan.get();
            r.version = abi::CHANNEL_VERSION;
            r.subbuf_size = geo.subbuf_size();
            r.n_subbufs = geo.n_subbufs();
            r.alloc_size = geo.alloc_size();
            r.parent = parent;
            r.private_data = private_data;
            r.cb = cb;
            r.buf = chan.slots.0.as_ptr();
            if let Some((name, len)) = &chan.base {
                r.has_base_filename = 1;
                for (d, &s) in r.base_filename.iter_mut().zip(&name[..*len]) {
                    *d = c_char::from_ne_bytes([s]);
                }
            }
            rrelay_kref_init(&raw mut r.kref);
        }
        // INVARIANT: set up above; the one reference is returned.
        let ptr = NonNull::new(KBox::into_raw(chan))?;
        // SAFETY: The count is one, ours.
        Some(unsafe { ARef::from_raw(ptr) })
    }

    /// The channel behind a pointer a client or C code passes; `None` for
    /// null.
    ///
    /// # Safety
    ///
    /// `chan` is null or came from `relay_open` and stays open (not yet
    /// given up to `relay_close`) for `'a`, or is being closed by the
    /// caller, which holds its reference.
    #[inline(always)]
    pub(crate) unsafe fn from_raw<'a>(chan: *mut Rchan) -> Option<&'a Chan> {
        // SAFETY: `rchan` is the first field of a `repr(C)` `Chan` (type
        // invariant), live for `'a` per the contract.
        unsafe { chan.cast::<Chan>().as_ref() }
    }

    /// The client's reference on its channel, which `relay_close` takes
    /// back; `None` for null.
    ///
    /// # Safety
    ///
    /// `chan` is null or came from `relay_open`, and the client gives up
    /// its reference.
    pub(crate) unsafe fn take_client_ref(chan: *mut Rchan) -> Option<ARef<Chan>> {
        let ptr = NonNull::new(chan.cast::<Chan>())?;
        // SAFETY: Per the contract; `rchan` is the first field of a `Chan`.
        Some(unsafe { ARef::from_raw(ptr) })
    }

    /// The C structure, for C code and clients.
    #[inline(always)]
    pub(crate) fn as_raw(&self) -> *mut Rchan {
        self.rchan.get()
    }

    /// The sub-buffer geometry.
    #[inline(always)]
    pub(crate) fn geometry(&self) -> &Geometry {
        &self.geo
    }

    /// The client's `subbuf_start` callback, if any.
    #[inline(always)]
    pub(crate) fn subbuf_start(&self) -> Option<SubbufStartFn> {
        self.subbuf_start
    }

    /// The client's `create_buf_file` callback (present: type invariant).
    pub(crate) fn create_buf_file(&self) -> Option<CreateBufFileFn> {
        self.create_buf_file
    }

    /// The client's `remove_buf_file` callback (present: type invariant).
    pub(crate) fn remove_buf_file(&self) -> Option<RemoveBufFileFn> {
        self.remove_buf_file
    }

    /// The directory the client gave `relay_open`.
    pub(crate) fn parent(&self) -> *mut bindings::dentry {
        self.parent
    }

    /// The base name of the buffer files, if the client gave one, without
    /// the NUL.
    pub(crate) fn base_filename(&self) -> Option<&[u8]> {
        self.base.as_ref().map(|(name, len)| &name[..*len])
    }

    /// Whether the channel has one buffer for all CPUs (set by the client's
    /// `create_buf_file` through [`Chan::is_global_ptr`]).
    pub(crate) fn is_global(&self) -> bool {
        // SAFETY: The field is initialised and only written by the client's
        // callback through `is_global_ptr`, under the channels lock while
        // the first buffer is made; volatile, as it was written through a
        // pointer C held.
        unsafe { ptr::read_volatile(self.is_global_ptr()) != 0 }
    }

    /// Where `create_buf_file` may set [`Chan::is_global`].
    pub(crate) fn is_global_ptr(&self) -> *mut c_int {
        self.as_raw()
            .wrapping_byte_add(offset_of!(Rchan, is_global))
            .cast()
    }

    /// The channel's kref.
    fn kref(&self) -> *mut bindings::kref {
        self.as_raw()
            .wrapping_byte_add(offset_of!(Rchan, kref))
            .cast()
    }

    /// What `cpu`'s slot holds (null past `nr_cpu_ids`); see `sys::buf`.
    pub(super) fn slot(&self, cpu: u32) -> *mut RchanBuf {
        self.slots.get(cpu)
    }

    /// Sets `cpu`'s slot; writers hold the channels lock, or own the
    /// channel alone (`relay_open`).  See `sys::buf`.
    pub(super) fn set_slot(&self, cpu: u32, buf: *mut RchanBuf) {
        self.slots.set(cpu, buf)
    }
}

// SAFETY: The kref of `rchan` counts every reference (the client's and
// one per buffer): `inc_ref` and `dec_ref` keep it, and the last put frees
// the channel.
unsafe impl AlwaysRefCounted for Chan {
    fn inc_ref(&self) {
        rrelay_chan_get(self)
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller owns the reference it drops, so the channel is
        // live until this put.
        if unsafe { rrelay_kref_put(obj.as_ref().kref()) } {
            // SAFETY: No buffer and no client references the channel any
            // more; it came from `KBox::into_raw` in `new`.  Dropping it
            // frees the slots.
            drop(unsafe { KBox::from_raw(obj.as_ptr()) });
        }
    }
}

/// The global lock of channel creation and teardown (mainline's
/// `relay_channels_mutex`); released when the guard drops.  It also
/// guards the channels list CPU hotplug walks.
///
/// # Invariants
///
/// The lock is held from `lock` until the guard drops.
pub(crate) struct ChannelsGuard(());

impl ChannelsGuard {
    /// Takes the lock; process context.
    pub(crate) fn lock() -> Self {
        rrelay_channels_lock();
        // INVARIANT: just taken.
        ChannelsGuard(())
    }

    /// Puts `chan` on the list CPU hotplug walks.
    ///
    /// # Safety
    ///
    /// `chan` is not on the list, and leaves it (through
    /// [`ChannelsGuard::remove`]) before it is freed.
    pub(crate) unsafe fn add(&self, chan: &Chan) {
        // SAFETY: Per the contract; the lock is held (`self`).
        unsafe { rrelay_channels_add(chan.as_raw()) }
    }

    /// Takes `chan` off the list, where [`ChannelsGuard::add`] put it.
    pub(crate) fn remove(&self, chan: &Chan) {
        // SAFETY: Channels are removed only by `relay_close`, once, after
        // `relay_open` added them; the lock is held (`self`).
        unsafe { rrelay_channels_del(chan.as_raw()) }
    }
}

impl Drop for ChannelsGuard {
    fn drop(&mut self) {
        // SAFETY: Held (type invariant), released once.
        unsafe { rrelay_channels_unlock() };
    }
}
