// SPDX-License-Identifier: GPL-2.0

//! The mmap reader's protocol loop, one sub-buffer at a time, against a
//! fake buffer that answers the three ioctls as `<linux/rrelay.h>`
//! describes (and `ENOTTY` to the batch call, as an older module would),
//! with a writer that can lap the reader before or while it copies.

use std::cell::RefCell;
use std::collections::HashSet;
use std::path::Path;

use rrelay::protocol::{drain_subbufs, Pass, SubbufSource};
use rrelay::{BufInfo, Error, Result, Subbuf};
use rustix::io::Errno;

const SIZE: usize = 64;
const N: usize = 4;

struct Fake {
    map: RefCell<Vec<u8>>,
    produced: RefCell<u64>,
    consumed: RefCell<u64>,
    /// Data length of each completed sub-buffer, by index.
    lengths: RefCell<Vec<u64>>,
    /// Indices whose second SUBBUF query says ESTALE (lapped mid-copy).
    torn: RefCell<HashSet<u64>>,
    /// An errno SUBBUF gives for every query, if set.
    fail: Option<Errno>,
    /// An offset SUBBUF gives instead of the real one, if set.
    bad_offset: Option<u64>,
    queries: RefCell<HashSet<u64>>,
}

impl Fake {
    fn new() -> Fake {
        Fake {
            map: RefCell::new(vec![0; SIZE * N]),
            produced: RefCell::new(0),
            consumed: RefCell::new(0),
            lengths: RefCell::new(Vec::new()),
            torn: RefCell::new(HashSet::new()),
            fail: None,
            bad_offset: None,
            queries: RefCell::new(HashSet::new()),
        }
    }

    /// The writer completes the next sub-buffer with `data` (padded).
    fn complete(&self, data: &[u8]) {
        assert!(data.len() <= SIZE);
        let index = *self.produced.borrow();
        let at = (index as usize % N) * SIZE;
        let mut map = self.map.borrow_mut();
        map[at..at + SIZE].fill(0xff);
        map[at..at + data.len()].copy_from_slice(data);
        self.lengths.borrow_mut().push(data.len() as u64);
        *self.produced.borrow_mut() += 1;
    }

    fn consumed(&self) -> u64 {
        *self.consumed.borrow()
    }

    fn err(op: &'static str, e: Errno) -> Error {
        Error::io("/fake/cpu0", op, e)
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

    fn subbuf(&self, index: u64) -> Result<Subbuf> {
        if let Some(e) = self.fail {
            return Err(Fake::err("RRELAY_IOC_SUBBUF", e));
        }
        let produced = *self.produced.borrow();
        if index >= produced {
            return Err(Fake::err("RRELAY_IOC_SUBBUF", Errno::NODATA));
        }
        // The writer is in sub-buffer `produced`: it reused index's slot
        // once it got to index + N.
        if produced >= index + N as u64 {
            return Err(Fake::err("RRELAY_IOC_SUBBUF", Errno::STALE));
        }
        let again = !self.queries.borrow_mut().insert(index);
        if again && self.torn.borrow().contains(&index) {
            return Err(Fake::err("RRELAY_IOC_SUBBUF", Errno::STALE));
        }
        Ok(Subbuf {
            index,
            offset: self
                .bad_offset
                .unwrap_or(((index as usize % N) * SIZE) as u64),
            length: self.lengths.borrow()[index as usize],
            produced,
        })
    }

    fn consume(&self, n: u64) -> Result<()> {
        if n > N as u64 {
            return Err(Fake::err("RRELAY_IOC_CONSUME", Errno::INVAL));
        }
        *self.consumed.borrow_mut() += n;
        Ok(())
    }

    fn path(&self) -> &Path {
        Path::new("/fake/cpu0")
    }
}

fn drain(fake: &Fake) -> (Result<Pass>, Vec<Vec<u8>>) {
    let map = fake.map.borrow().clone();
    let mut got = Vec::new();
    let pass = drain_subbufs(fake, &map, &mut Vec::new(), |b| {
        got.push(b.to_vec());
        Ok(())
    });
    (pass, got)
}

#[test]
fn complete_subbufs_come_out_in_order_and_are_consumed() {
    let f = Fake::new();
    f.complete(b"first");
    f.complete(b"second");
    f.complete(b"third");
    let (pass, got) = drain(&f);
    assert_eq!(
        got,
        vec![b"first".to_vec(), b"second".to_vec(), b"third".to_vec()]
    );
    assert_eq!(
        pass.unwrap(),
        Pass {
            subbufs: 3,
            bytes: 16,
            ..Pass::default()
        }
    );
    assert_eq!(f.consumed(), 3);
}

#[test]
fn nothing_produced_moves_nothing() {
    let f = Fake::new();
    let (pass, got) = drain(&f);
    assert!(got.is_empty());
    assert_eq!(pass.unwrap(), Pass::default());
    assert_eq!(f.consumed(), 0);
}

#[test]
fn padding_is_left_out() {
    let f = Fake::new();
    f.complete(&[7; 10]);
    f.complete(&[8; SIZE]);
    let (_, got) = drain(&f);
    assert_eq!(got, vec![vec![7; 10], vec![8; SIZE]]);
}

#[test]
fn a_second_pass_takes_only_what_came_since() {
    let f = Fake::new();
    f.complete(b"a");
    assert_eq!(drain(&f).1, vec![b"a".to_vec()]);
    assert!(drain(&f).1.is_empty());
    f.complete(b"b");
    f.complete(b"c");
    assert_eq!(drain(&f).1, vec![b"b".to_vec(), b"c".to_vec()]);
    assert_eq!(f.consumed(), 3);
}

#[test]
fn the_ring_wraps_around() {
    let f = Fake::new();
    // N - 1 at a time: the writer, in the next one, has not reused any.
    for round in 0..3u8 {
        let want: Vec<Vec<u8>> = (0..N as u8 - 1).map(|i| vec![round * 10 + i; 5]).collect();
        for w in &want {
            f.complete(w);
        }
        assert_eq!(drain(&f).1, want, "round {round}");
    }
    assert_eq!(f.consumed(), 3 * (N as u64 - 1));
}

#[test]
fn a_lapped_subbuf_is_counted_and_skipped() {
    let f = Fake::new();
    // N + 2 completed: the writer, in number N + 2, has reused the slots
    // of 0, 1 and 2.
    for i in 0..N as u8 + 2 {
        f.complete(&[i; 3]);
    }
    let (pass, got) = drain(&f);
    let pass = pass.unwrap();
    assert_eq!(pass.lapped, 3, "0, 1 and 2 were reused (writer in 6)");
    assert_eq!(got, vec![vec![3; 3], vec![4; 3], vec![5; 3]]);
    assert_eq!(f.consumed(), N as u64 + 2, "lapped ones are consumed too");
}

#[test]
fn a_copy_torn_by_the_writer_is_dropped_and_counted() {
    let f = Fake::new();
    f.complete(b"keep");
    f.complete(b"torn");
    f.complete(b"keep too");
    f.torn.borrow_mut().insert(1);
    let (pass, got) = drain(&f);
    assert_eq!(got, vec![b"keep".to_vec(), b"keep too".to_vec()]);
    let pass = pass.unwrap();
    assert_eq!((pass.torn, pass.subbufs, pass.bytes), (1, 2, 12));
    assert_eq!(f.consumed(), 3);
}

#[test]
fn a_subbuf_outside_the_mapping_is_an_error_naming_the_file() {
    let mut f = Fake::new();
    f.bad_offset = Some((SIZE * N - 2) as u64);
    f.complete(b"spills over");
    let (pass, got) = drain(&f);
    let e = pass.unwrap_err();
    assert!(got.is_empty());
    assert!(matches!(e, Error::OutsideMapping { index: 0, .. }));
    let msg = e.to_string();
    assert!(msg.starts_with("/fake/cpu0: sub-buffer 0"), "{msg}");
}

#[test]
fn other_errors_stop_the_pass_with_file_call_and_errno() {
    let mut f = Fake::new();
    f.fail = Some(Errno::FAULT);
    f.complete(b"x");
    let e = drain(&f).0.unwrap_err();
    assert_eq!(e.raw_os_error(), Some(Errno::FAULT.raw_os_error()));
    assert_eq!(
        e.to_string(),
        format!(
            "/fake/cpu0: RRELAY_IOC_SUBBUF: {}",
            std::io::Error::from_raw_os_error(Errno::FAULT.raw_os_error())
        )
    );
    assert_eq!(f.consumed(), 0);
}

#[test]
fn a_failing_sink_stops_the_pass_before_consuming() {
    let f = Fake::new();
    f.complete(b"one");
    f.complete(b"two");
    let map = f.map.borrow().clone();
    let e = drain_subbufs(&f, &map, &mut Vec::new(), |_| {
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
    assert_eq!(f.consumed(), 0, "what was not written stays in the buffer");
}
