// SPDX-License-Identifier: GPL-2.0

//! The one place that calls into C: kernel functions from
//! `kernel::bindings` and the helpers of `src/helpers.c` (kernel macros and
//! inlines that Rust cannot call directly).
//!
//! Each wrapper states the contract it needs from its caller.  Functions
//! taking raw `RchanBuf`/`Rchan` pointers are `unsafe` because those
//! objects are shared with C clients and their lifetime is reference
//! counted by hand, as in mainline.

use crate::abi::{Rchan, RchanBuf};
use core::ptr;
use kernel::bindings;
use kernel::ffi::{c_char, c_int, c_uint, c_ulong, c_void};
use kernel::str::{CStr, CStrExt};

mod c {
    use crate::abi::{Rchan, RchanBuf};
    use kernel::bindings;
    use kernel::ffi::{c_char, c_int, c_uint, c_ulong, c_void};

    // The relay structures embed kernel types that bindgen marks as not
    // FFI-safe; they only ever cross the boundary behind pointers.
    #[allow(improper_ctypes)]
    extern "C" {
        pub(super) fn rrelay_alloc_buf_slots() -> *mut *mut RchanBuf;
        pub(super) fn rrelay_free_buf_slots(slots: *mut *mut RchanBuf);
        pub(super) fn rrelay_buf_slot(slots: *mut *mut RchanBuf, cpu: c_uint)
            -> *mut *mut RchanBuf;
        pub(super) fn rrelay_buf_init_sync(buf: *mut RchanBuf);
        pub(super) fn rrelay_switch_publish(
            buf: *mut RchanBuf,
            completed: bool,
            valid: usize,
            pins: *const c_int,
        ) -> bool;
        pub(super) fn rrelay_buf_poll_wait(
            filp: *mut bindings::file,
            buf: *mut RchanBuf,
            wait: *mut bindings::poll_table_struct,
        );
        pub(super) fn rrelay_kref_get(kref: *mut bindings::kref);
        pub(super) fn rrelay_kref_put(kref: *mut bindings::kref) -> bool;
        pub(super) fn rrelay_kref_init(kref: *mut bindings::kref);
        pub(super) fn rrelay_alloc_zeroed_page() -> *mut bindings::page;
        pub(super) fn rrelay_totalram_pages() -> kernel::ffi::c_ulong;
        pub(super) fn rrelay_free_page(page: *mut bindings::page);
        pub(super) fn rrelay_vmap(pages: *mut *mut bindings::page, count: c_uint) -> *mut c_void;
        pub(super) fn rrelay_vunmap(addr: *mut c_void);
        pub(super) fn rrelay_file_size_set(dentry: *mut bindings::dentry, size: bindings::loff_t);
        pub(super) fn rrelay_file_inode_private(filp: *mut bindings::file) -> *mut c_void;
        pub(super) fn rrelay_file_lock(filp: *mut bindings::file);
        pub(super) fn rrelay_file_unlock(filp: *mut bindings::file);
        pub(super) fn rrelay_file_readable(filp: *mut bindings::file) -> bool;
        pub(super) fn rrelay_file_open_unseekable(filp: *mut bindings::file);
        pub(super) fn rrelay_next_cpu(cpu: c_int, online: bool) -> c_uint;
        pub(super) fn rrelay_channels_lock();
        pub(super) fn rrelay_channels_unlock();
        pub(super) fn rrelay_this_cpu_buf(chan: *mut Rchan) -> *mut RchanBuf;
        pub(super) fn rrelay_param_chan() -> *const c_char;
        pub(super) static rrelay_marker_fops: bindings::file_operations;
        pub(super) fn rrelay_iter_count(iter: *mut bindings::iov_iter) -> usize;
        pub(super) fn rrelay_copy_to_iter(
            from: *const c_void,
            len: usize,
            iter: *mut bindings::iov_iter,
        ) -> usize;
        pub(super) fn rrelay_pipe_free_slots(pipe: *mut bindings::pipe_inode_info) -> c_uint;
        pub(super) fn rrelay_pipe_is_sendfile_pipe(pipe: *mut bindings::pipe_inode_info) -> bool;
        pub(super) fn rrelay_splice_page(
            pipe: *mut bindings::pipe_inode_info,
            page: *mut bindings::page,
            offset: c_uint,
            len: c_uint,
            private: c_ulong,
        ) -> isize;
        pub(super) fn rrelay_copy_to_new_page(
            from: *const c_void,
            len: usize,
        ) -> *mut bindings::page;
        pub(super) fn rrelay_splice_new_page(
            pipe: *mut bindings::pipe_inode_info,
            page: *mut bindings::page,
            len: usize,
        ) -> isize;
        pub(super) fn rrelay_flush_on_buf_cpu(buf: *mut RchanBuf);
        pub(super) fn rrelay_writer_snapshot(
            buf: *mut RchanBuf,
            produced: *mut usize,
            offset: *mut usize,
            data: *mut *mut c_void,
        ) -> c_int;
        pub(super) fn rrelay_channels_add(chan: *mut Rchan);
        pub(super) fn rrelay_channels_del(chan: *mut Rchan);
        pub(super) fn rrelay_hotplug_init() -> c_int;
        pub(super) fn rrelay_hotplug_exit();
        pub(super) fn rrelay_ticker_start(rate: c_uint);
        pub(super) fn rrelay_ticker_stop();
        #[cfg_attr(CONFIG_RELAY, link_name = "rrelay_file_operations")]
        pub(super) static relay_file_operations: bindings::file_operations;
    }
}

/// Per-CPU slots holding one `*mut RchanBuf` each (`rchan::buf`).
///
/// Returns null when the allocation fails.
pub(crate) fn alloc_buf_slots() -> *mut *mut RchanBuf {
    // SAFETY: No preconditions; the slots start out null.
    unsafe { c::rrelay_alloc_buf_slots() }
}

/// Frees slots returned by [`alloc_buf_slots`].
///
/// # Safety
///
/// `slots` came from [`alloc_buf_slots`] and is not used afterwards.
pub(crate) unsafe fn free_buf_slots(slots: *mut *mut RchanBuf) {
    // SAFETY: Per the function's contract.
    unsafe { c::rrelay_free_buf_slots(slots) }
}

/// The slot of `cpu`.
///
/// # Safety
///
/// `slots` is live and `cpu < nr_cpu_ids`.
pub(crate) unsafe fn buf_slot(slots: *mut *mut RchanBuf, cpu: u32) -> *mut *mut RchanBuf {
    // SAFETY: Per the function's contract.
    unsafe { c::rrelay_buf_slot(slots, cpu) }
}

/// Initialises the wait queue, the reference count (to one) and the
/// deferred reader wake-up of a new buffer.
///
/// # Safety
///
/// `buf` is valid and not yet visible to anyone else.
pub(crate) unsafe fn buf_init_sync(buf: *mut RchanBuf) {
    // SAFETY: Per the function's contract.
    unsafe { c::rrelay_buf_init_sync(buf) }
}

/// What a sub-buffer switch needs besides the arithmetic, in one call on
/// the write path's slow path: for a `completed` sub-buffer the file grows
/// by its `valid` bytes; a full barrier orders the writer's stores of
/// `produced` and `offset` before the loads of the readers' wait queue and
/// of `pins`, the pin count of the sub-buffer the writer moves into;
/// sleeping readers get a wake-up queued as irq_work (never a direct one:
/// writers may run inside the scheduler).  Returns whether `*pins` is
/// non-zero.
///
/// # Safety
///
/// `buf` is live, set up by [`buf_init_sync`], and its writer is the
/// caller; `pins` points to a live pin count of `buf`.
pub(crate) unsafe fn switch_publish(
    buf: *mut RchanBuf,
    completed: bool,
    valid: usize,
    pins: *const c_int,
) -> bool {
    // SAFETY: Per the function's contract.
    unsafe { c::rrelay_switch_publish(buf, completed, valid, pins) }
}

/// Waits for a queued wake-up of `buf` to finish.
///
/// # Safety
///
/// `buf` is valid and was set up by [`buf_init_sync`]; process context.
pub(crate) unsafe fn buf_sync_wakeup(buf: *mut RchanBuf) {
    // SAFETY: The work item was initialised by `buf_init_sync`.
    unsafe { bindings::irq_work_sync(&raw mut (*buf).wakeup_work) };
}

/// Wakes every reader sleeping in `poll()` on `buf`.
///
/// # Safety
///
/// `buf` is valid and was set up by [`buf_init_sync`].
pub(crate) unsafe fn buf_wake_readers(buf: *mut RchanBuf) {
    // SAFETY: The wait queue was initialised by `buf_init_sync`.
    unsafe {
        bindings::__wake_up(
            &raw mut (*buf).read_wait,
            bindings::TASK_INTERRUPTIBLE,
            1,
            ptr::null_mut(),
        )
    };
}

/// `poll_wait()` on `buf`'s wait queue.
///
/// # Safety
///
/// All three pointers are the live arguments of a `poll` file operation.
pub(crate) unsafe fn buf_poll_wait(
    filp: *mut bindings::file,
    buf: *mut RchanBuf,
    wait: *mut bindings::poll_table_struct,
) {
    // SAFETY: Per the function's contract.
    unsafe { c::rrelay_buf_poll_wait(filp, buf, wait) }
}

/// `kref_init()`.
///
/// # Safety
///
/// `kref` is valid and not shared yet.
pub(crate) unsafe fn kref_init(kref: *mut bindings::kref) {
    // SAFETY: Per the function's contract.
    unsafe { c::rrelay_kref_init(kref) }
}

/// `kref_get()`.
///
/// # Safety
///
/// The caller holds a reference, so the count is above zero.
pub(crate) unsafe fn kref_get(kref: *mut bindings::kref) {
    // SAFETY: Per the function's contract.
    unsafe { c::rrelay_kref_get(kref) }
}

/// Drops a reference; true when it was the last one and the object must
/// be released by the caller.
///
/// # Safety
///
/// The caller owns the reference it drops.
pub(crate) unsafe fn kref_put(kref: *mut bindings::kref) -> bool {
    // SAFETY: Per the function's contract.
    unsafe { c::rrelay_kref_put(kref) }
}

/// A zeroed page, or null.
/// Pages of memory the kernel manages in all.
pub(crate) fn totalram_pages() -> usize {
    // SAFETY: Reads a counter; no precondition.
    unsafe { c::rrelay_totalram_pages() as usize }
}

pub(crate) fn alloc_zeroed_page() -> *mut bindings::page {
    // SAFETY: No preconditions; may sleep, as every caller may.
    unsafe { c::rrelay_alloc_zeroed_page() }
}

/// Frees a page from [`alloc_zeroed_page`].
///
/// # Safety
///
/// `page` came from [`alloc_zeroed_page`], is unmapped and unused.
pub(crate) unsafe fn free_page(page: *mut bindings::page) {
    // SAFETY: Per the function's contract.
    unsafe { c::rrelay_free_page(page) }
}

/// Maps `count` pages contiguously in the kernel (`vmap`), or null.
///
/// # Safety
///
/// `pages` points to `count` valid pages.
pub(crate) unsafe fn vmap(pages: *mut *mut bindings::page, count: u32) -> *mut c_void {
    // SAFETY: Per the function's contract.
    unsafe { c::rrelay_vmap(pages, count) }
}

/// Undoes [`vmap`].
///
/// # Safety
///
/// `addr` came from [`vmap`] and nothing uses the mapping any more.
pub(crate) unsafe fn vunmap(addr: *mut c_void) {
    // SAFETY: Per the function's contract.
    unsafe { c::rrelay_vunmap(addr) }
}

/// Sets the size `stat` shows for a buffer file.
///
/// # Safety
///
/// `dentry` is a live positive dentry.
pub(crate) unsafe fn file_size_set(dentry: *mut bindings::dentry, size: i64) {
    // SAFETY: Per the function's contract.
    unsafe { c::rrelay_file_size_set(dentry, size) }
}

/// The `i_private` of the file's inode: the buffer the file stands for.
///
/// # Safety
///
/// `filp` is a live file.
pub(crate) unsafe fn file_inode_private(filp: *mut bindings::file) -> *mut c_void {
    // SAFETY: Per the function's contract.
    unsafe { c::rrelay_file_inode_private(filp) }
}

/// Takes the file's inode lock, which serialises readers of one buffer.
///
/// # Safety
///
/// `filp` is a live file; process context.
pub(crate) unsafe fn file_lock(filp: *mut bindings::file) {
    // SAFETY: Per the function's contract.
    unsafe { c::rrelay_file_lock(filp) }
}

/// Releases [`file_lock`].
///
/// # Safety
///
/// The caller holds the lock.
pub(crate) unsafe fn file_unlock(filp: *mut bindings::file) {
    // SAFETY: Per the function's contract.
    unsafe { c::rrelay_file_unlock(filp) }
}

/// Whether the file was opened for reading.
///
/// # Safety
///
/// `filp` is a live file.
pub(crate) unsafe fn file_readable(filp: *mut bindings::file) -> bool {
    // SAFETY: Per the function's contract.
    unsafe { c::rrelay_file_readable(filp) }
}

/// Makes a file being opened position-less: `pread` gives `-ESPIPE` (and
/// `lseek`, through the file operations), while `sendfile` still works.
///
/// # Safety
///
/// `filp` is the file of an `open` file operation.
pub(crate) unsafe fn file_open_unseekable(filp: *mut bindings::file) {
    // SAFETY: Per the function's contract.
    unsafe { c::rrelay_file_open_unseekable(filp) }
}

/// Copies `len` bytes from kernel address `from` to user address `to`;
/// returns the bytes that could NOT be copied.
///
/// # Safety
///
/// `from` is valid for `len` bytes of reading.
pub(crate) unsafe fn copy_to_user(to: *mut c_void, from: *const c_void, len: usize) -> usize {
    // SAFETY: `from` per the contract; `copy_to_user` checks `to` itself.
    unsafe { bindings::copy_to_user(to, from, len as kernel::ffi::c_ulong) as usize }
}

/// Iterates over the online (or possible) CPUs.
pub(crate) fn cpus(online: bool) -> impl Iterator<Item = u32> {
    let mut cpu: c_int = -1;
    core::iter::from_fn(move || {
        // SAFETY: `cpu` is -1 or a CPU number below `nr_cpu_ids`.
        let next = unsafe { c::rrelay_next_cpu(cpu, online) };
        // SAFETY: `nr_cpu_ids` is set before any module loads.
        if next >= unsafe { bindings::nr_cpu_ids } {
            return None;
        }
        cpu = next as c_int;
        Some(next)
    })
}

/// `nr_cpu_ids`: one more than the highest CPU number.
pub(crate) fn nr_cpu_ids() -> u32 {
    // SAFETY: Set before any module loads, never changed after.
    unsafe { bindings::nr_cpu_ids }
}

/// The global lock of channel creation and teardown (mainline's
/// `relay_channels_mutex`); released when the guard drops.
pub(crate) struct ChannelsGuard(());

impl ChannelsGuard {
    /// Takes the lock; process context.
    pub(crate) fn lock() -> Self {
        // SAFETY: Paired with the unlock in `drop`.
        unsafe { c::rrelay_channels_lock() };
        ChannelsGuard(())
    }

    /// Puts `chan` on the list CPU hotplug walks.
    ///
    /// # Safety
    ///
    /// `chan` is live, set up, not on the list, and leaves it (through
    /// [`ChannelsGuard::remove`]) before it is freed.
    pub(crate) unsafe fn add(&self, chan: *mut Rchan) {
        // SAFETY: Per the contract; the lock is held (`self`).
        unsafe { c::rrelay_channels_add(chan) }
    }

    /// Takes `chan` off the list.
    ///
    /// # Safety
    ///
    /// `chan` is on the list.
    pub(crate) unsafe fn remove(&self, chan: *mut Rchan) {
        // SAFETY: Per the contract; the lock is held (`self`).
        unsafe { c::rrelay_channels_del(chan) }
    }
}

/// Registers rrelay's CPU hotplug callback (buffers for CPUs that come
/// online later); undone by [`hotplug_exit`].
pub(crate) fn hotplug_init() -> kernel::error::Result {
    // SAFETY: Called once, at module load.
    kernel::error::to_result(unsafe { c::rrelay_hotplug_init() })
}

/// Removes the callback of [`hotplug_init`], if it was registered.
pub(crate) fn hotplug_exit() {
    // SAFETY: Idempotent; called at module unload.
    unsafe { c::rrelay_hotplug_exit() }
}

impl Drop for ChannelsGuard {
    fn drop(&mut self) {
        // SAFETY: Taken in `lock`.
        unsafe { c::rrelay_channels_unlock() };
    }
}

/// `IS_ERR_OR_NULL()` for pointers returned by kernel functions.
pub(crate) fn is_err_or_null<T>(ptr: *mut T) -> bool {
    ptr.is_null() || (ptr as usize) >= (-(bindings::MAX_ERRNO as isize)) as usize
}

/// The buffer of the CPU running the caller.
///
/// # Safety
///
/// `chan` is live and interrupts are off (the buffer belongs to this CPU
/// until they are back on).
pub(crate) unsafe fn this_cpu_buf(chan: *mut Rchan) -> *mut RchanBuf {
    // SAFETY: Per the function's contract.
    unsafe { c::rrelay_this_cpu_buf(chan) }
}

/// The `chan` module parameter.
pub(crate) fn param_chan() -> &'static CStr {
    // SAFETY: A NUL-terminated array in the module's data, only written by
    // the module loader before `init`.
    unsafe { CStr::from_char_ptr(c::rrelay_param_chan()) }
}

/// `relay_file_operations`: the operations of buffer files.
pub(crate) fn relay_fops() -> *const bindings::file_operations {
    &raw const c::relay_file_operations
}

/// The operations of the insmod channel's `marker` file.
pub(crate) fn marker_fops() -> *const bindings::file_operations {
    &raw const c::rrelay_marker_fops
}

/// `debugfs_create_dir()`; null (never an error pointer) on failure.
pub(crate) fn debugfs_create_dir(
    name: &CStr,
    parent: *mut bindings::dentry,
) -> *mut bindings::dentry {
    // SAFETY: `name` is NUL-terminated; `parent` is null or a debugfs
    // directory, as every caller passes.
    let d = unsafe { bindings::debugfs_create_dir(name.as_char_ptr(), parent) };
    if is_err_or_null(d) {
        core::ptr::null_mut()
    } else {
        d
    }
}

/// Creates a debugfs file with the real `fops` (no debugfs proxy, which
/// would hide mmap and splice and cut open files off at removal); its
/// operations keep what they use alive by reference counts themselves.
/// Null on failure.
///
/// # Safety
///
/// `name` is NUL-terminated; `parent` is a debugfs directory or null;
/// `data` stays valid while the file exists, and `fops` for the module's
/// life.
pub(crate) unsafe fn debugfs_create_file(
    name: *const c_char,
    mode: bindings::umode_t,
    parent: *mut bindings::dentry,
    data: *mut c_void,
    fops: *const bindings::file_operations,
) -> *mut bindings::dentry {
    // SAFETY: Per the function's contract.
    let d = unsafe { bindings::debugfs_create_file_unsafe(name, mode, parent, data, fops) };
    if is_err_or_null(d) {
        core::ptr::null_mut()
    } else {
        d
    }
}

/// `debugfs_remove()`: removes a file, or a directory with its contents.
///
/// # Safety
///
/// `dentry` is null or a debugfs entry the caller created and still owns.
pub(crate) unsafe fn debugfs_remove(dentry: *mut bindings::dentry) {
    // SAFETY: Per the function's contract.
    unsafe { bindings::debugfs_remove(dentry) }
}

/// Starts a pinned timer on every online CPU that calls `rrelay_tick()`
/// there `rate` times a second (as far as `HZ` allows).
///
/// # Safety
///
/// `rrelay_tick` may run from now until [`ticker_stop`] returns.
pub(crate) unsafe fn ticker_start(rate: u32) {
    // SAFETY: Per the function's contract.
    unsafe { c::rrelay_ticker_start(rate) }
}

/// Stops the timers of [`ticker_start`] and waits for running ticks.
pub(crate) fn ticker_stop() {
    // SAFETY: Timers never started are skipped.
    unsafe { c::rrelay_ticker_stop() }
}

/// Bytes the iterator has room for.
///
/// # Safety
///
/// `iter` is a live iterator.
pub(crate) unsafe fn iter_count(iter: *mut bindings::iov_iter) -> usize {
    // SAFETY: Per the function's contract.
    unsafe { c::rrelay_iter_count(iter) }
}

/// Copies `len` bytes from kernel address `from` into the iterator;
/// returns the bytes copied (fewer on a fault).
///
/// # Safety
///
/// `from` is valid for `len` bytes of reading; `iter` is a live iterator.
pub(crate) unsafe fn copy_to_iter(
    from: *const c_void,
    len: usize,
    iter: *mut bindings::iov_iter,
) -> usize {
    // SAFETY: Per the function's contract.
    unsafe { c::rrelay_copy_to_iter(from, len, iter) }
}

/// Copies `value` to user address `addr`; `-EFAULT` if it cannot.
pub(crate) fn put_user_struct<T>(addr: usize, value: &T) -> kernel::error::Result {
    let len = core::mem::size_of::<T>();
    // SAFETY: `value` is valid for `len` bytes of reading; `copy_to_user`
    // checks the user address.
    let left = unsafe { copy_to_user(addr as *mut c_void, core::ptr::from_ref(value).cast(), len) };
    if left == 0 {
        Ok(())
    } else {
        Err(kernel::error::code::EFAULT)
    }
}

/// Copies a `T` from user address `addr` into `value`; `-EFAULT` if it
/// cannot.  `T` must be plain data (any bytes a valid value).
pub(crate) fn get_user_struct<T: Copy>(addr: usize, value: &mut T) -> kernel::error::Result {
    let len = core::mem::size_of::<T>();
    // SAFETY: `value` is valid for `len` bytes of writing and `T` is plain
    // data (callers pass integer-only structs); `copy_from_user` checks
    // the user address.
    let left = unsafe {
        bindings::copy_from_user(
            core::ptr::from_mut(value).cast(),
            addr as *const c_void,
            len as kernel::ffi::c_ulong,
        )
    };
    if left == 0 {
        Ok(())
    } else {
        Err(kernel::error::code::EFAULT)
    }
}

/// Whether `pipe` is the internal pipe of this task's `sendfile()`
/// (`do_splice_direct()`).
///
/// # Safety
///
/// `pipe` is live.
pub(crate) unsafe fn pipe_is_sendfile_pipe(pipe: *mut bindings::pipe_inode_info) -> bool {
    // SAFETY: Per the contract; only the pointer is compared.
    unsafe { c::rrelay_pipe_is_sendfile_pipe(pipe) }
}

/// How many more buffers `pipe` takes.
///
/// # Safety
///
/// `pipe` is live and locked by the caller.
pub(crate) unsafe fn pipe_free_slots(pipe: *mut bindings::pipe_inode_info) -> usize {
    // SAFETY: Per the contract.
    unsafe { c::rrelay_pipe_free_slots(pipe) as usize }
}

/// Adds `len` bytes at `offset` of `page` to `pipe` by reference, as a pipe
/// buffer owning `slot`'s pin and a reference on its buffer, which are
/// dropped when the pipe releases it (or at once if it cannot be added).
/// Returns `len`, or `-EPIPE` (no reader; SIGPIPE sent) or `-EAGAIN`.
///
/// # Safety
///
/// `pipe` is live and locked; `page` is a page of `slot`'s buffer and
/// `offset + len` at most a page; the caller gives up one pin and one
/// buffer reference of `slot`'s.
pub(crate) unsafe fn splice_page(
    pipe: *mut bindings::pipe_inode_info,
    page: *mut bindings::page,
    offset: usize,
    len: usize,
    slot: *const crate::pins::PinSlot,
) -> isize {
    // SAFETY: Per the contract; both fit in a `c_uint` (at most a page).
    unsafe { c::rrelay_splice_page(pipe, page, offset as c_uint, len as c_uint, slot as c_ulong) }
}

/// A page of the kernel's holding a copy of `len` bytes (at most a page)
/// from `from`, to go into a pipe with [`splice_new_page`] or be freed
/// with [`free_page`]; null when no memory.
///
/// # Safety
///
/// `from` is readable for `len` bytes.
pub(crate) unsafe fn copy_to_new_page(from: *const u8, len: usize) -> *mut bindings::page {
    // SAFETY: Per the contract.
    unsafe { c::rrelay_copy_to_new_page(from.cast(), len) }
}

/// Adds a page from [`copy_to_new_page`] to `pipe`, which then owns it
/// (or drops it at once if it cannot be added).  Returns `len`, or
/// `-EPIPE` (no reader; SIGPIPE sent) or `-EAGAIN`.
///
/// # Safety
///
/// `pipe` is live and locked; the caller gives up `page`, which holds
/// `len` bytes.
pub(crate) unsafe fn splice_new_page(
    pipe: *mut bindings::pipe_inode_info,
    page: *mut bindings::page,
    len: usize,
) -> isize {
    // SAFETY: Per the contract.
    unsafe { c::rrelay_splice_new_page(pipe, page, len) }
}

/// `relay_flush()`'s sub-buffer switch of a per-CPU buffer, on the
/// buffer's CPU (directly if that CPU is offline).
///
/// # Safety
///
/// `buf` is a live per-CPU buffer; process context, interrupts on.
pub(crate) unsafe fn flush_on_buf_cpu(buf: *mut RchanBuf) {
    // SAFETY: Per the contract.
    unsafe { c::rrelay_flush_on_buf_cpu(buf) }
}

/// The writer's `produced`, `offset` and `data` of a per-CPU buffer, read
/// at one instant on the buffer's CPU; an error for a global buffer or an
/// offline CPU.
///
/// # Safety
///
/// `buf` is live; the out pointers are valid for writes.
pub(crate) unsafe fn writer_snapshot(
    buf: *mut RchanBuf,
    produced: *mut usize,
    offset: *mut usize,
    data: *mut *mut c_void,
) -> kernel::error::Result {
    // SAFETY: Per the contract.
    kernel::error::to_result(unsafe { c::rrelay_writer_snapshot(buf, produced, offset, data) })
}
