// SPDX-License-Identifier: GPL-2.0

//! CPUs: iteration over the online or possible ones, and the hotplug
//! callback that gives CPUs coming up their buffers.

use kernel::bindings;
use kernel::ffi::{c_int, c_uint};

// These signatures are those of the C definitions (`src/helpers.c`,
// declared in `src/rrelay_internal.h`, or the kernel's), with pointers
// as references where the C side needs them live; each one declared
// `safe` has its argument beside it.  Kernel structures that bindgen
// marks as not FFI-safe cross the boundary behind pointers only.
#[allow(improper_ctypes)]
unsafe extern "C" {
    /// The next online (or possible) CPU after `cpu`, or `nr_cpu_ids`.
    /// Safe for any `cpu`: `cpumask_next()` clamps to the mask's size.
    safe fn rrelay_next_cpu(cpu: c_int, online: bool) -> c_uint;
    fn rrelay_hotplug_init() -> c_int;
    /// Safe: idempotent, and a no-op when nothing is registered.
    safe fn rrelay_hotplug_exit();
}

/// Iterates over the online (or possible) CPUs.
pub(crate) fn cpus(online: bool) -> impl Iterator<Item = u32> {
    let mut cpu: c_int = -1;
    core::iter::from_fn(move || {
        let next = rrelay_next_cpu(cpu, online);
        if next >= nr_cpu_ids() {
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

/// Registers rrelay's CPU hotplug callback (buffers for CPUs that come
/// online later); undone by [`hotplug_exit`].  Called once, at module
/// load.
pub(crate) fn hotplug_init() -> kernel::error::Result {
    // SAFETY: Called once, by the module's `init`, whose failure paths and
    // `drop` call `hotplug_exit` before the callback's code goes.
    kernel::error::to_result(unsafe { rrelay_hotplug_init() })
}

/// Removes the callback of [`hotplug_init`], if it was registered.
pub(crate) fn hotplug_exit() {
    rrelay_hotplug_exit()
}
