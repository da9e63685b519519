// SPDX-License-Identifier: GPL-2.0

//! The mmap reader's loop by batches (`RRELAY_IOC_BATCH`) against a fake
//! buffer that answers as `<linux/rrelay.h>` describes: each call checks
//! and consumes the batch held and hands out the next; the verdicts on
//! copies are scripted, as the writer's laps would make them.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::path::Path;

use rrelay::protocol::{drain_subbufs, Pass, SubbufSource};
use rrelay::{Batch, BatchEntry, BufInfo, Error, Result, Subbuf};
use rustix::io::Errno;

const SIZE: usize = 64;
const N: usize = 4;

#[derive(Default)]
struct Fake {
    map: Vec<u8>,
    produced: RefCell<u64>,
    consumed: RefCell<u64>,
    lengths: Vec<u64>,
    /// What each call says of the batch it is given back (default 0).
    stale: RefCell<VecDeque<u32>>,
    /// Every call as it came in.
    calls: RefCell<Vec<Batch>>,
    /// An errno every call gives, if set.
    fail: Option<Errno>,
    /// An offset each entry gets instead of the real one, if set.
    bad_offset: Option<u64>,
}

impl Fake {
    /// A buffer whose writer completed one sub-buffer per item of `data`
    /// and is in the next (a flight recorder: it laps the reader).
    fn with(data: &[&[u8]]) -> Fake {
        let mut f = Fake {
            map: vec![0xff; SIZE * N],
            ..Fake::default()
        };
        for (i, d) in data.iter().enumerate() {
            let at = (i % N) * SIZE;
            f.map[at..at + SIZE].fill(0xff);
            f.map[at..at + d.len()].copy_from_slice(d);
            f.lengths.push(d.len() as u64);
        }
        *f.produced.borrow_mut() = data.len() as u64;
        f
    }

    fn consumed(&self) -> u64 {
        *self.consumed.borrow()
    }
}

impl SubbufSource for Fake {
    fn info(&self) -> Result<BufInfo> {
        Ok(BufInfo {
            subbuf_size: SIZE as u64,
            n_subbufs: N as u64,
            produced: *self.produced.borrow(),
            consumed: *self.consumed.borrow(),
            ..BufInfo::default()
        })
    }

    fn subbuf(&self, _: u64) -> Result<Subbuf> {
        panic!("RRELAY_IOC_SUBBUF called although batches work");
    }

    fn consume(&self, _: u64) -> Result<()> {
        panic!("RRELAY_IOC_CONSUME called although batches work");
    }

    fn batch(&self, req: &mut Batch, entries: &mut [BatchEntry]) -> Result<()> {
        self.calls.borrow_mut().push(*req);
        if let Some(e) = self.fail {
            return Err(Error::io(self.path(), "RRELAY_IOC_BATCH", e));
        }
        let produced = *self.produced.borrow();
        let mut consumed = *self.consumed.borrow();
        req.stale = self.stale.borrow_mut().pop_front().unwrap_or(0);
        // Release: the batch's sub-buffers not consumed yet.
        if consumed >= req.first && consumed < req.first + u64::from(req.count) {
            consumed = req.first + u64::from(req.count);
        }
        // The writer, in number `produced`, is in the slot of
        // produced - N: only the N - 1 before it are whole.
        let oldest = produced.saturating_sub(N as u64 - 1);
        req.skipped = oldest.saturating_sub(consumed);
        consumed += req.skipped;
        *self.consumed.borrow_mut() = consumed;
        let count = (produced - consumed).min(entries.len() as u64);
        for (k, e) in entries[..count as usize].iter_mut().enumerate() {
            let i = consumed + k as u64;
            *e = BatchEntry {
                offset: self.bad_offset.unwrap_or(((i as usize % N) * SIZE) as u64),
                length: self.lengths[i as usize],
            };
        }
        req.first = consumed;
        req.count = count as u32;
        req.produced = produced;
        Ok(())
    }

    fn path(&self) -> &Path {
        Path::new("/fake/cpu0")
    }
}

/// What a drain hands on, one slice per call of `emit`.
fn drain(fake: &Fake) -> (Result<Pass>, Vec<Vec<u8>>) {
    let mut got = Vec::new();
    let pass = drain_subbufs(fake, &fake.map, &mut Vec::new(), |b| {
        got.push(b.to_vec());
        Ok(())
    });
    (pass, got)
}

#[test]
fn one_batch_hands_on_every_subbuf_in_order_and_the_next_call_consumes_it() {
    let f = Fake::with(&[b"first", b"second", b"third"]);
    let (pass, got) = drain(&f);
    // One batch, handed on in one slice.
    assert_eq!(got, vec![b"firstsecondthird".to_vec()]);
    assert_eq!(
        pass.unwrap(),
        Pass {
            subbufs: 3,
            bytes: 16,
            batches: 2,
            ..Pass::default()
        }
    );
    assert_eq!(f.consumed(), 3);
    // The second call gave back what the first handed out.
    let calls = f.calls.borrow();
    assert_eq!((calls[0].first, calls[0].count), (0, 0));
    assert_eq!((calls[1].first, calls[1].count), (0, 3));
    assert!(calls.iter().all(|c| c.flags == 0));
}

#[test]
fn a_second_drain_takes_only_what_came_since() {
    let mut f = Fake::with(&[b"a", b"b"]);
    assert_eq!(drain(&f).1, vec![b"ab".to_vec()]);
    assert!(drain(&f).1.is_empty());
    f = Fake {
        consumed: RefCell::new(2),
        ..Fake::with(&[b"a", b"b", b"c"])
    };
    assert_eq!(drain(&f).1, vec![b"c".to_vec()]);
    assert_eq!(f.consumed(), 3);
}

#[test]
fn stale_copies_are_dropped_and_counted_the_rest_goes_on() {
    let f = Fake::with(&[b"old", b"older", b"kept"]);
    // Nothing held at the first call; the second says the writer came
    // back into the first two while they were copied.
    f.stale.borrow_mut().extend([0, 2]);
    let (pass, got) = drain(&f);
    assert_eq!(got, vec![b"kept".to_vec()]);
    let pass = pass.unwrap();
    assert_eq!((pass.torn, pass.subbufs, pass.bytes), (2, 1, 4));
    assert_eq!(pass.lapped, 0);
    assert_eq!(f.consumed(), 3, "stale ones are consumed too");
}

#[test]
fn what_the_kernel_skipped_is_counted_apart() {
    // N + 2 completed: the writer, in number N + 2, has reused the slots
    // of 0, 1 and 2; the kernel skips them.
    let data: Vec<Vec<u8>> = (0..N as u8 + 2).map(|i| vec![i; 3]).collect();
    let refs: Vec<&[u8]> = data.iter().map(Vec::as_slice).collect();
    let f = Fake::with(&refs);
    let (pass, got) = drain(&f);
    let pass = pass.unwrap();
    assert_eq!(got, vec![[[3; 3], [4; 3], [5; 3]].concat()]);
    assert_eq!(
        (pass.skipped, pass.lapped, pass.torn, pass.subbufs),
        (3, 0, 0, 3)
    );
    assert_eq!(f.consumed(), N as u64 + 2);
}

#[test]
fn a_kernel_without_batches_is_read_one_subbuf_at_a_time() {
    // The protocol test's fake has no batch(): ENOTTY, as from an older
    // module; this one answers SUBBUF and CONSUME.
    struct Old(Fake);
    impl SubbufSource for Old {
        fn info(&self) -> Result<BufInfo> {
            self.0.info()
        }
        fn subbuf(&self, index: u64) -> Result<Subbuf> {
            Ok(Subbuf {
                index,
                offset: ((index as usize % N) * SIZE) as u64,
                length: self.0.lengths[index as usize],
                produced: *self.0.produced.borrow(),
            })
        }
        fn consume(&self, n: u64) -> Result<()> {
            *self.0.consumed.borrow_mut() += n;
            Ok(())
        }
        fn path(&self) -> &Path {
            self.0.path()
        }
    }
    let f = Old(Fake::with(&[b"x", b"yz"]));
    let mut got = Vec::new();
    let pass = drain_subbufs(&f, &f.0.map, &mut Vec::new(), |b| {
        got.push(b.to_vec());
        Ok(())
    })
    .unwrap();
    assert_eq!(got, vec![b"x".to_vec(), b"yz".to_vec()]);
    assert_eq!((pass.subbufs, pass.batches), (2, 0));
    assert_eq!(f.0.consumed(), 2);
}

#[test]
fn a_failing_batch_call_names_the_file_the_call_and_the_errno() {
    let f = Fake {
        fail: Some(Errno::INVAL),
        ..Fake::with(&[b"x"])
    };
    let e = drain(&f).0.unwrap_err();
    assert_eq!(e.raw_os_error(), Some(Errno::INVAL.raw_os_error()));
    assert!(e
        .to_string()
        .starts_with("/fake/cpu0: RRELAY_IOC_BATCH: Invalid argument"));
}

#[test]
fn an_entry_outside_the_mapping_is_an_error_naming_the_file() {
    let f = Fake {
        bad_offset: Some((SIZE * N - 2) as u64),
        ..Fake::with(&[b"spills over"])
    };
    let (pass, got) = drain(&f);
    assert!(got.is_empty());
    let e = pass.unwrap_err();
    assert!(matches!(e, Error::OutsideMapping { index: 0, .. }), "{e}");
}

#[test]
fn a_failing_sink_stops_the_pass_with_its_batch_consumed() {
    let f = Fake::with(&[b"one", b"two"]);
    let e = drain_subbufs(&f, &f.map, &mut Vec::new(), |_| {
        Err(Error::io(
            "/out/cpu0",
            "write",
            std::io::Error::from_raw_os_error(Errno::NOSPC.raw_os_error()),
        ))
    })
    .unwrap_err();
    assert!(e
        .to_string()
        .starts_with("/out/cpu0: write: No space left on device"));
    // The call that checked the batch consumed it (documented).
    assert_eq!(f.consumed(), 2);
}
