// SPDX-License-Identifier: GPL-2.0

//! `ring`'s write and read arithmetic, driven like the kernel drives it,
//! against a record-level model: what a reader gets back must be whole
//! records, byte for byte as written, in order, each once, and every
//! record not read must be accounted for by the statistics.

use proptest::prelude::*;
use rrelay_host_tests::ring::{self, Geometry, RingState};

const PAGE: usize = 4096;

/// A buffer as plain memory, standing in for `struct rchan_buf`.
struct Buf {
    geo: Geometry,
    mem: Vec<u8>,
    offset: usize,
    data_index: usize,
    produced: usize,
    consumed: usize,
    bytes_consumed: usize,
    padding: Vec<usize>,
    full_count: usize,
    big_count: usize,
    overwrite: bool,
    /// A client `subbuf_start` that answers `!relay_buf_full(buf)`: the
    /// default policy, decided by the client.
    callback: bool,
    lost: usize,
    /// Inside `switch_subbuf` (`begin_switch` .. `end_switch`).
    switching: bool,
    /// A sub-buffer a reader copied (its number and bytes), whose copy is
    /// checked with `copy_is_stale`, also from inside the writer's switch.
    held: Option<(usize, Vec<u8>)>,
    /// What `copy_is_stale` answered for `held` inside switches not yet
    /// checked.
    verdicts: Vec<Option<bool>>,
    /// Pins per sub-buffer, held by chunks in `pipe`.
    pins: Vec<usize>,
    /// Spliced chunks not yet read from the pipe, oldest first: position,
    /// length, the pinned sub-buffer (`None`: copied), the bytes as spliced.
    pipe: std::collections::VecDeque<(usize, usize, Option<usize>, Vec<u8>)>,
    /// The batch an mmap reader holds (`RRELAY_IOC_BATCH`): the number of
    /// its first sub-buffer and, for each, where its data lies and a copy.
    batch: Option<(usize, Vec<(usize, Vec<u8>)>)>,
    /// Copies of batches dropped as stale.
    batch_stale: usize,
}

/// Pipe buffers a splice may fill before the pipe is full.
const PIPE_SLOTS: usize = 3;

impl RingState for Buf {
    fn offset(&self) -> usize {
        self.offset
    }
    fn set_offset(&mut self, v: usize) {
        self.offset = v
    }
    fn data_index(&self) -> usize {
        self.data_index
    }
    fn set_data_index(&mut self, i: usize) {
        self.data_index = i
    }
    fn produced(&self) -> usize {
        self.produced
    }
    fn set_produced(&mut self, v: usize) {
        self.produced = v
    }
    fn consumed(&self) -> usize {
        self.consumed
    }
    fn set_consumed(&mut self, v: usize) {
        self.consumed = v
    }
    fn bytes_consumed(&self) -> usize {
        self.bytes_consumed
    }
    fn set_bytes_consumed(&mut self, v: usize) {
        self.bytes_consumed = v
    }
    fn padding(&self, i: usize) -> usize {
        self.padding[i]
    }
    fn set_padding(&mut self, i: usize, v: usize) {
        self.padding[i] = v
    }
    fn full_count(&self) -> usize {
        self.full_count
    }
    fn set_full_count(&mut self, v: usize) {
        self.full_count = v
    }
    fn big_count(&self) -> usize {
        self.big_count
    }
    fn set_big_count(&mut self, v: usize) {
        self.big_count = v
    }
    fn pinned(&self, i: usize) -> bool {
        self.pins[i] != 0
    }
    fn pin(&mut self, i: usize) {
        self.pins[i] += 1
    }
    fn unpin(&mut self, i: usize) {
        self.pins[i] -= 1
    }
    fn client_decides(&self) -> bool {
        // A flight recorder is a client's callback; no-overwrite the
        // default, unless a callback answers for it.
        self.overwrite || self.callback
    }
    fn publish(&mut self, _: Option<ring::Completed>, next: usize) -> bool {
        // A reader looks in while the writer is half-way through.
        self.probe();
        self.pinned(next)
    }
    fn begin_switch(&mut self) {
        assert!(!self.switching);
        self.switching = true;
    }
    fn end_switch(&mut self) {
        assert!(self.switching);
        self.switching = false;
    }
    fn switching(&self) -> bool {
        self.switching
    }
    fn lost(&self) -> usize {
        self.lost
    }
    fn set_lost(&mut self, v: usize) {
        self.lost = v
    }
}

/// The default policy of a client without `subbuf_start` (go on unless
/// full), or a flight recorder's (always go on).  A reader looks in as
/// the client decides.
fn policy(overwrite: bool) -> impl FnMut(&mut Buf, usize, bool, bool) -> bool {
    move |b, _, _, full| {
        b.probe();
        overwrite || !full
    }
}

impl Buf {
    fn new(size: usize, n: usize, overwrite: bool) -> Self {
        let geo = Geometry::new(size, n, PAGE).unwrap();
        let mut b = Buf {
            geo,
            mem: vec![0xee; geo.alloc_size()],
            offset: 0,
            data_index: 0,
            produced: 0,
            consumed: 0,
            bytes_consumed: 0,
            padding: vec![0; n],
            full_count: 0,
            big_count: 0,
            overwrite,
            callback: false,
            lost: 0,
            switching: false,
            held: None,
            verdicts: Vec::new(),
            pins: vec![0; n],
            pipe: Default::default(),
            batch: None,
            batch_stale: 0,
        };
        ring::reset(&mut b, &geo, &mut policy(overwrite));
        b
    }

    /// `relay_write()`: true when the record was stored.
    fn write(&mut self, rec: &[u8]) -> bool {
        let geo = self.geo;
        match ring::reserve(self, &geo, rec.len(), &mut policy(self.overwrite)) {
            Some(at) => {
                self.mem[at..at + rec.len()].copy_from_slice(rec);
                true
            }
            None => false,
        }
    }

    /// `relay_flush()`: a switch with nothing to write.
    fn flush(&mut self) {
        let geo = self.geo;
        ring::switch_subbuf(self, &geo, 0, &mut policy(self.overwrite));
    }

    /// `read()` of at most `count` bytes, chunk by chunk as the kernel does.
    fn read(&mut self, count: usize, out: &mut Vec<u8>) -> usize {
        let geo = self.geo;
        let mut done = 0;
        while done < count {
            let Some((pos, len)) = ring::read_chunk(self, &geo, count - done, done > 0) else {
                break;
            };
            assert!(len > 0);
            assert!(
                geo.subbuf_of(pos) == geo.subbuf_of(pos + len - 1),
                "chunk crosses sub-buffers"
            );
            out.extend_from_slice(&self.mem[pos..pos + len]);
            ring::read_done(self, &geo, pos, len);
            done += len;
        }
        done
    }

    /// `splice()` into a pipe of `PIPE_SLOTS` buffers, as the kernel does
    /// it: by reference where `pin_for_splice` allows, else a copy.  What
    /// the pipe holds is appended to `out` now, in stream order; reading
    /// the pipe later checks that it has not changed meanwhile.
    fn splice(&mut self, count: usize, out: &mut Vec<u8>) -> usize {
        let geo = self.geo;
        let mut done = 0;
        while done < count && self.pipe.len() < PIPE_SLOTS {
            let Some((pos, avail)) = ring::read_step(self, &geo) else {
                break;
            };
            let len = avail.min(count - done).min(PAGE - pos % PAGE);
            let slot = ring::pin_for_splice(self, &geo, pos);
            let bytes = self.mem[pos..pos + len].to_vec();
            out.extend_from_slice(&bytes);
            self.pipe.push_back((pos, len, slot, bytes));
            ring::read_done(self, &geo, pos, len);
            done += len;
        }
        done
    }

    /// Reads `k` buffers from the pipe: pages held by reference must show
    /// exactly what was spliced, however much was written since.
    fn read_pipe(&mut self, k: usize) {
        for _ in 0..k {
            let Some((pos, len, slot, bytes)) = self.pipe.pop_front() else {
                return;
            };
            if let Some(slot) = slot {
                assert_eq!(
                    &self.mem[pos..pos + len],
                    &bytes[..],
                    "a pinned page changed"
                );
                self.unpin(slot);
            }
        }
    }

    /// A reader asks whether its copy is stale, from wherever the writer is.
    fn probe(&mut self) {
        if let Some((first, copies)) = &self.batch {
            let geo = self.geo;
            assert_eq!(
                ring::plan_batch(self, &geo, *first, copies.len(), 4),
                None,
                "a batch planned inside a switch"
            );
        }
        if let Some((number, _)) = self.held {
            let geo = self.geo;
            let verdict = ring::copy_is_stale(self, &geo, number);
            self.verdicts.push(verdict);
        }
    }

    /// Whether the writer really is back in the sub-buffer number `number`
    /// or past it: it completed the `n` after it, and is not parked short
    /// of its slot.
    fn writer_reentered(&self, number: usize) -> bool {
        let n = self.geo.n_subbufs();
        let lead = self.produced - number;
        lead > n
            || (lead == n
                && !ring::is_parked(self, &self.geo)
                && self.data_index == self.geo.wrap(number))
    }

    /// A reader copies sub-buffer number `number` (whole, with padding).
    fn copy_subbuf(&mut self, number: usize) {
        let start = self.geo.start_of(self.geo.wrap(number));
        let bytes = self.mem[start..start + self.geo.subbuf_size()].to_vec();
        self.held = Some((number, bytes));
        self.verdicts.clear();
    }

    /// Checks the reader's copy as `RRELAY_IOC_SUBBUF` does after copying:
    /// every answer the reader got from inside a switch, and the answer
    /// now, must say stale exactly when the writer came back into the
    /// sub-buffer's memory.  Returns the answer now.
    fn check_copy(&mut self) -> bool {
        let Some((number, copy)) = self.held.clone() else {
            return false;
        };
        let geo = self.geo;
        let back = self.writer_reentered(number);
        for v in self.verdicts.drain(..) {
            // Asked mid-switch: wait (`None`), or an answer that holds.
            assert!(
                v.is_none() || v == Some(back) || (v == Some(false) && back),
                "copy of {number} called stale by a switch that did not enter it"
            );
        }
        let now = ring::copy_is_stale(self, &geo, number).expect("outside a switch");
        assert_eq!(now, back, "verdict on sub-buffer {number}");
        if !now {
            let start = geo.start_of(geo.wrap(number));
            assert_eq!(
                &self.mem[start..start + geo.subbuf_size()],
                &copy[..],
                "a copy called good changed under the reader"
            );
        }
        if !self.overwrite && number >= self.consumed {
            assert!(
                !now,
                "no-overwrite: unconsumed sub-buffer {number} called stale"
            );
        }
        now
    }

    /// One `RRELAY_IOC_BATCH` call, as the kernel makes it, by a reader
    /// that copies each sub-buffer handed out: the batch held is checked
    /// (each copy the verdict keeps must be what the sub-buffer still
    /// holds; the verdict must say stale exactly for those the writer came
    /// back into) and its good copies go to `out`; then up to `max` more
    /// are handed out and copied (none with `max` 0, `RELEASE_ONLY`).
    /// Returns how many were handed out.
    fn batch(&mut self, max: usize, out: &mut Vec<u8>) -> usize {
        let geo = self.geo;
        let (first, copies) = self.batch.take().unwrap_or((0, Vec::new()));
        let plan =
            ring::plan_batch(self, &geo, first, copies.len(), max).expect("outside a switch");
        let truth = (0..copies.len())
            .filter(|&k| self.writer_reentered(first + k))
            .count();
        assert_eq!(plan.stale, truth, "verdict on batch from {first}");
        assert!(
            (0..truth).all(|k| self.writer_reentered(first + k)),
            "not a prefix"
        );
        if !self.overwrite && first >= self.consumed {
            assert_eq!(
                plan.stale, 0,
                "no-overwrite: an unconsumed batch called stale"
            );
        }
        for (at, copy) in copies.iter().skip(plan.stale) {
            assert_eq!(
                &self.mem[*at..*at + copy.len()],
                &copy[..],
                "a copy called good changed under the reader"
            );
            out.extend_from_slice(copy);
        }
        self.batch_stale += plan.stale;
        ring::commit_batch(self, &geo, &plan);
        assert_eq!(self.consumed, plan.first.max(self.consumed));
        if plan.count == 0 {
            return 0;
        }
        assert!(plan.first + plan.count <= self.produced);
        let mut copies = Vec::new();
        for k in 0..plan.count {
            let (at, len) = ring::batch_entry(self, &geo, &plan, k);
            let slot = geo.wrap(plan.first + k);
            assert!(at >= geo.start_of(slot) && at + len <= geo.start_of(slot) + geo.subbuf_size());
            copies.push((at, self.mem[at..at + len].to_vec()));
        }
        self.batch = Some((plan.first, copies));
        plan.count
    }

    /// Gives back the batch held, if any (`RRELAY_BATCH_RELEASE_ONLY`).
    fn batch_release(&mut self, out: &mut Vec<u8>) {
        if self.batch.is_some() {
            assert_eq!(self.batch(0, out), 0);
        }
    }

    fn check_invariants(&self) {
        let size = self.geo.subbuf_size();
        assert!(
            self.offset <= size || self.offset == size + 1,
            "offset {}",
            self.offset
        );
        assert!(self.data_index < self.geo.n_subbufs());
        assert!(self.bytes_consumed <= size);
        if !self.overwrite {
            assert!(self.produced - self.consumed <= self.geo.n_subbufs());
        }
        let held = self.pipe.iter().filter(|c| c.2.is_some()).count();
        assert_eq!(self.pins.iter().sum::<usize>(), held);
        if self.offset <= size {
            assert!(
                !self.pinned(self.data_index),
                "writer in a pinned sub-buffer"
            );
        }
    }
}

/// A record: 4-byte sequence number, 2-byte length, then bytes that
/// depend on both, so a torn or shifted record cannot pass for a whole one.
fn record(seq: u32, len: usize) -> Vec<u8> {
    let mut r = Vec::with_capacity(len);
    r.extend_from_slice(&seq.to_le_bytes());
    r.extend_from_slice(&(len as u16).to_le_bytes());
    for i in 6..len {
        r.push((seq as usize * 7 + i * 13) as u8 | 1);
    }
    r
}

/// Splits a read stream into records; panics on any byte that is not part
/// of a whole, intact record (padding included, which is never written).
fn parse(stream: &[u8]) -> Vec<u32> {
    let mut seqs = Vec::new();
    let mut at = 0;
    while at < stream.len() {
        assert!(
            stream.len() - at >= 6,
            "{} stray bytes at {at}",
            stream.len() - at
        );
        let seq = u32::from_le_bytes(stream[at..at + 4].try_into().unwrap());
        let len = u16::from_le_bytes(stream[at + 4..at + 6].try_into().unwrap()) as usize;
        assert!(
            len >= 6 && at + len <= stream.len(),
            "bad length {len} at {at}"
        );
        assert_eq!(
            &stream[at..at + len],
            &record(seq, len)[..],
            "record {seq} torn"
        );
        seqs.push(seq);
        at += len;
    }
    seqs
}

#[derive(Clone, Debug)]
enum Op {
    Write(usize),
    Flush,
    Read(usize),
    Consumed(usize),
    Splice(usize),
    ReadPipe(usize),
    /// A reader copies one of the last `n` completed sub-buffers.
    Copy(usize),
    /// ... and asks whether its copy is stale.
    Check,
    /// An mmap reader's batch call (`RRELAY_IOC_BATCH`) with room for n.
    Batch(usize),
}

fn ops(size: usize) -> impl Strategy<Value = Vec<Op>> {
    let op = prop_oneof![
        6 => (6..=size + size / 4).prop_map(Op::Write),
        1 => Just(Op::Flush),
        3 => (1..3 * size).prop_map(Op::Read),
        1 => (0..4usize).prop_map(Op::Consumed),
        2 => (1..3 * size).prop_map(Op::Splice),
        2 => (1..PIPE_SLOTS + 1).prop_map(Op::ReadPipe),
        1 => (0..8usize).prop_map(Op::Copy),
        2 => Just(Op::Check),
        3 => (1..5usize).prop_map(Op::Batch),
    ];
    prop::collection::vec(op, 1..300)
}

/// What a run did: records written and stored, records dropped, what
/// readers got, the buffer, sub-buffers a client reported consumed.
struct Outcome {
    stored: Vec<u32>,
    dropped: usize,
    out: Vec<u8>,
    b: Buf,
    skipped: usize,
}

/// Whether `op` reads the buffer another way than by batches: a batch
/// reader gives its batch back first, as one that switches method must.
fn reads_otherwise(op: &Op) -> bool {
    matches!(op, Op::Read(_) | Op::Splice(_) | Op::Consumed(_))
}

/// Runs `ops` (with a client callback deciding like the default policy if
/// `callback`), then drains.
fn run(size: usize, n: usize, overwrite: bool, callback: bool, ops: &[Op]) -> Outcome {
    let mut b = Buf::new(size, n, overwrite);
    b.callback = callback;
    let mut stored = Vec::new();
    let mut dropped = 0;
    let mut skipped = 0;
    let mut out = Vec::new();
    let mut seq = 0u32;
    for op in ops {
        if reads_otherwise(op) {
            b.batch_release(&mut out);
        }
        match *op {
            Op::Write(len) => {
                if b.write(&record(seq, len)) {
                    stored.push(seq);
                } else {
                    dropped += 1;
                }
                seq += 1;
            }
            Op::Flush => b.flush(),
            Op::Read(count) => {
                // In overwrite mode a reader that stops mid-record and is
                // lapped loses the record's tail; a read with room for a
                // sub-buffer never stops mid-record (`read_chunk`), which
                // is what overwrite runs check.
                let size = b.geo.subbuf_size();
                b.read(if overwrite { count.max(size) } else { count }, &mut out);
            }
            Op::Splice(count) => {
                // Whole sub-buffers' worth in overwrite mode, as for Read.
                b.splice(if overwrite { usize::MAX } else { count }, &mut out);
            }
            Op::ReadPipe(k) => b.read_pipe(k),
            Op::Consumed(k) => {
                // Only where it cannot cut a record a reader is halfway
                // through: at a sub-buffer start (see the unit test below
                // for the other case).
                if b.bytes_consumed == 0 {
                    let geo = b.geo;
                    let before = b.consumed;
                    ring::subbufs_consumed(&mut b, &geo, k);
                    skipped += b.consumed - before;
                }
            }
            Op::Copy(k) => {
                if b.produced > 0 {
                    let back = k % b.produced.min(n);
                    b.copy_subbuf(b.produced - 1 - back);
                }
            }
            Op::Check => {
                if b.check_copy() {
                    b.held = None;
                }
            }
            Op::Batch(max) => {
                b.batch(max, &mut out);
            }
        }
        b.check_invariants();
    }
    b.batch_release(&mut out);
    b.read_pipe(PIPE_SLOTS);
    if !overwrite {
        b.flush();
    }
    b.read(usize::MAX, &mut out);
    Outcome {
        stored,
        dropped,
        out,
        b,
        skipped,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// No-overwrite: readers get exactly the stored records, in order,
    /// each once, never padding; every other record was counted, once.
    #[test]
    fn no_overwrite_delivers_every_stored_record_once(
        size in 16usize..400, n in 1usize..6, callback: bool,
        ops in (16usize..400).prop_flat_map(ops),
    ) {
        let o = run(size, n, false, callback, &ops);
        let seqs = parse(&o.out);
        if o.skipped == 0 {
            prop_assert_eq!(&seqs, &o.stored);
        } else {
            // Sub-buffers a client reported consumed are not read again.
            prop_assert!(seqs.windows(2).all(|w| w[0] < w[1]));
            prop_assert!(seqs.iter().all(|s| o.stored.contains(s)));
        }
        // Flushes drop no record, so they count nothing.
        prop_assert_eq!(o.b.full_count + o.b.big_count, o.dropped);
    }

    /// Overwrite: readers with room for a sub-buffer get an in-order
    /// subsequence of whole records, however far writers lap them, and
    /// every loss is counted.
    #[test]
    fn overwrite_drains_return_whole_records_in_order(
        size in 16usize..400, n in 2usize..6,
        ops in (16usize..400).prop_flat_map(ops),
    ) {
        let o = run(size, n, true, false, &ops);
        let seqs = parse(&o.out);
        prop_assert!(seqs.windows(2).all(|w| w[0] < w[1]));
        prop_assert!(seqs.iter().all(|s| o.stored.contains(s)));
        // Whatever was stored and not read was lost to the writer, and
        // counted (or skipped by the client's own report).
        if seqs.len() < o.stored.len() && o.skipped == 0 {
            prop_assert!(o.b.lost > 0 || o.b.batch_stale > 0);
        }
        // A flight recorder drops only what a pinned sub-buffer refuses
        // (or what is too big), and counts each exactly.
        prop_assert_eq!(o.b.full_count + o.b.big_count, o.dropped);
    }

    /// `copy_is_stale` (ESTALE of `RRELAY_IOC_SUBBUF`, and the check after
    /// every read() copy) says stale exactly when the writer is back in
    /// the copied sub-buffer's memory, asked at any point of the writer's
    /// switches, refused ones included: never for an unconsumed sub-buffer
    /// of a no-overwrite buffer, and never for a copy that is intact.
    /// `check_copy` asserts it; 1 and 2 sub-buffers are where a refused
    /// switch is aimed at the very sub-buffer a reader holds.
    #[test]
    fn a_copy_is_stale_exactly_when_the_writer_is_back(
        size in 16usize..200, n in 1usize..3, overwrite: bool, callback: bool,
        ops in (16usize..200).prop_flat_map(ops),
    ) {
        run(size, n, overwrite, callback, &ops);
    }
}

#[test]
fn a_record_may_end_exactly_at_the_boundary() {
    let mut b = Buf::new(64, 4, false);
    assert!(b.write(&record(0, 32)));
    assert!(b.write(&record(1, 32)));
    assert_eq!((b.produced, b.offset), (0, 64));
    assert!(b.write(&record(2, 8)));
    assert_eq!((b.produced, b.data_index, b.offset), (1, 1, 8));
    assert_eq!(b.padding[0], 0);
}

#[test]
fn a_too_big_record_is_counted_and_changes_nothing_else() {
    let mut b = Buf::new(64, 4, false);
    assert!(b.write(&record(0, 10)));
    assert!(!b.write(&record(1, 65)));
    assert_eq!((b.big_count, b.produced, b.offset), (1, 0, 10));
}

#[test]
fn a_full_buffer_parks_and_counts_each_refused_write() {
    let mut b = Buf::new(64, 2, false);
    for seq in 0..4 {
        assert_eq!(b.write(&record(seq, 40)), seq < 2);
    }
    assert_eq!(b.offset, 65);
    assert_eq!(b.full_count, 2);
    let mut out = Vec::new();
    b.read(1000, &mut out);
    assert_eq!(parse(&out), [0, 1]);
    // Room again: the next write un-parks without completing a sub-buffer.
    assert!(b.write(&record(4, 40)));
    assert_eq!(b.produced, 2);
}

#[test]
fn flushing_an_empty_subbuffer_pads_it_whole() {
    let mut b = Buf::new(64, 4, false);
    b.flush();
    assert_eq!((b.produced, b.padding[0]), (1, 64));
    let mut out = Vec::new();
    assert_eq!(b.read(100, &mut out), 0);
}

#[test]
fn reads_skip_padding_and_resume_mid_subbuffer() {
    let mut b = Buf::new(64, 4, false);
    assert!(b.write(&record(0, 40)));
    assert!(b.write(&record(1, 40)));
    let mut out = Vec::new();
    assert_eq!(b.read(10, &mut out), 10);
    b.read(1000, &mut out);
    assert_eq!(parse(&out), [0, 1]);
}

#[test]
fn a_client_report_restarts_reads_at_a_subbuffer_start() {
    let mut b = Buf::new(40, 4, false);
    for (seq, len) in [(0, 10), (1, 16), (2, 15)] {
        assert!(b.write(&record(seq, len)));
    }
    let mut out = Vec::new();
    assert_eq!(b.read(11, &mut out), 11);
    let geo = b.geo;
    ring::subbufs_consumed(&mut b, &geo, 1);
    assert_eq!(b.bytes_consumed, 0);
    b.flush();
    let mut rest = Vec::new();
    b.read(1000, &mut rest);
    assert_eq!(parse(&rest), [2]);
}

#[test]
fn a_pinned_subbuffer_is_full_even_to_a_flight_recorder() {
    let mut b = Buf::new(64, 2, true);
    assert!(b.write(&record(0, 40)));
    assert!(b.write(&record(1, 40)));
    let mut out = Vec::new();
    // Sub-buffer 0 is complete: it goes into the pipe by reference.
    assert_eq!(b.splice(40, &mut out), 40);
    assert_eq!(b.pipe[0].2, Some(0));
    // The writer fills sub-buffer 1, then would overwrite 0: refused,
    // counted, parked, however often it tries.
    assert!(b.write(&record(2, 20)));
    assert!(!b.write(&record(3, 40)));
    assert!(!b.write(&record(4, 40)));
    assert_eq!((b.full_count, b.offset), (2, 65));
    b.read_pipe(1);
    // Unpinned: the next write goes on into sub-buffer 0.
    assert!(b.write(&record(5, 40)));
    assert_eq!((b.data_index, b.offset), (0, 40));
    assert_eq!(parse(&out), [0]);
}

#[test]
fn the_current_subbuffer_and_a_lapped_one_are_copied() {
    let mut b = Buf::new(64, 2, true);
    assert!(b.write(&record(0, 40)));
    let mut out = Vec::new();
    // Still being written: copied, no pin.
    assert_eq!(b.splice(40, &mut out), 40);
    assert_eq!((b.pipe[0].2, b.pins[0]), (None, 0));
    // A writer parked short of the read position leaves it pinnable; one
    // that has re-entered it does not.
    for seq in 1..4 {
        assert!(b.write(&record(seq, 40)));
    }
    assert_eq!((b.produced, b.data_index), (3, 1));
    let geo = b.geo;
    b.consumed = 1;
    assert_eq!(ring::pin_for_splice(&mut b, &geo, 64), None);
    assert_eq!(b.pins, [0, 0]);
}

#[test]
fn reset_parks_the_writer_while_subbuffer_zero_is_pinned() {
    let mut b = Buf::new(64, 2, false);
    assert!(b.write(&record(0, 40)));
    assert!(b.write(&record(1, 40)));
    let mut out = Vec::new();
    assert_eq!(b.splice(40, &mut out), 40);
    let geo = b.geo;
    ring::reset(&mut b, &geo, &mut policy(false));
    assert_eq!(b.offset, 65);
    assert!(!b.write(&record(2, 10)));
    b.read_pipe(1);
    assert!(b.write(&record(3, 10)));
    assert_eq!((b.produced, b.data_index, b.offset), (0, 0, 10));
}

#[test]
fn a_stopped_flight_recorder_stays_readable() {
    // One record a sub-buffer: ten writes lap a ring of two four times.
    let mut b = Buf::new(64, 2, true);
    for seq in 0..10 {
        assert!(b.write(&record(seq, 40)));
    }
    // The client stops the recorder: its next switch is refused, parked.
    let geo = b.geo;
    ring::switch_subbuf(&mut b, &geo, 40, &mut |_: &mut Buf, _, _, _| false);
    assert_eq!(b.offset, 65);
    // The last two sub-buffers it completed are whole and readable; the
    // eight before them are counted lost.
    let mut out = Vec::new();
    b.read(1000, &mut out);
    assert_eq!(parse(&out), [8, 9]);
    assert_eq!(b.lost, 8);
}

#[test]
fn a_refused_flush_drops_nothing_and_counts_nothing() {
    let mut b = Buf::new(64, 2, false);
    assert!(b.write(&record(0, 40)));
    // Completes sub-buffer 0 and enters 1, the last free one.
    b.flush();
    assert!(b.write(&record(1, 40)));
    // Completes 1; 0 is unread, so the switch is refused: no record lost.
    b.flush();
    assert_eq!((b.produced, b.offset, b.full_count), (2, 65, 0));
    // A record refused now is dropped, and counted.
    assert!(!b.write(&record(2, 40)));
    assert_eq!(b.full_count, 1);
}

#[test]
fn a_refused_switch_into_a_held_subbuffer_leaves_its_copy_good() {
    // Two sub-buffers of one record each: the reader holds a copy of
    // number 0 while the writer, in 1, is refused its way back into 0.
    for callback in [false, true] {
        let mut b = Buf::new(64, 2, false);
        b.callback = callback;
        assert!(b.write(&record(0, 40)));
        assert!(b.write(&record(1, 40)));
        b.copy_subbuf(0);
        assert!(!b.write(&record(2, 40)));
        assert!(!b.write(&record(3, 40)));
        assert_eq!((b.produced, b.offset), (2, 65));
        // Asked from inside each refused switch: "wait", never "stale".
        assert!(!b.verdicts.is_empty());
        assert!(b.verdicts.iter().all(Option::is_none));
        assert!(!b.check_copy());
    }
}
