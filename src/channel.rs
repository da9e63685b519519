// SPDX-License-Identifier: GPL-2.0

//! A channel's buffers: made for each CPU (at `relay_open()` and as CPUs
//! come up), and walked by the API.  The channel object itself, its
//! reference count and its per-CPU slots are `sys::chan::Chan`.

use crate::buffer::open_buf;
use crate::sys::buf::Buf;
use crate::sys::chan::{Chan, ChannelsGuard};
use crate::sys::cpu::cpus;

/// Gives `chan` a buffer for `cpu`, or shows it the global buffer
/// (`relay_open_buf()` and the slot store of its callers).  `Err` when
/// memory or a file could not be had.  Called under the channels lock.
pub(crate) fn open_cpu(chan: &Chan, cpu: u32) -> Result<(), ()> {
    match open_buf(chan, cpu)? {
        Some(buf) => {
            // CPU 0's slot for a global buffer, whose CPU this is.
            let home = buf.cpu();
            chan.install(home, buf);
            if home != cpu {
                if let Some(buf) = chan.buf(home) {
                    chan.share(cpu, buf);
                }
            }
        }
        None => {
            if let Some(buf) = chan.buf(0) {
                chan.share(cpu, buf);
            }
        }
    }
    Ok(())
}

/// The buffers of a channel, each once: the global one, or one per CPU
/// (online, or possible) that has one.  The caller keeps buffers from
/// going meanwhile (the channels lock, or its own use of the channel).
pub(crate) fn for_each_buf(chan: &Chan, online: bool, mut f: impl FnMut(&Buf)) {
    if chan.is_global() {
        if let Some(buf) = chan.buf(0) {
            f(buf);
        }
        return;
    }
    for cpu in cpus(online) {
        if let Some(buf) = chan.buf(cpu) {
            f(buf);
        }
    }
}

/// Runs `f` on every buffer of a client's channel, as `relay_flush()` and
/// `relay_reset()` do in mainline: a global buffer directly (it cannot
/// come or go), per-CPU buffers under the channels lock, which CPU hotplug
/// also takes.
pub(crate) fn for_each_buf_of_client(chan: &Chan, f: impl FnMut(&Buf)) {
    if chan.is_global() {
        for_each_buf(chan, false, f);
        return;
    }
    let _guard = ChannelsGuard::lock();
    for_each_buf(chan, false, f);
}
