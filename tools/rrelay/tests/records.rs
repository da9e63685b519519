// SPDX-License-Identifier: GPL-2.0

//! Record framing: a drained byte stream cut back into the client's
//! records, however the stream was split into drains.

use rrelay::records::BadRecord;
use rrelay::{FixedSize, LengthField, Records, Sink};

/// A record shaped like `struct client_record` of the tests: magic, cpu,
/// ctx, seq, len (whole record), csum, pad, then payload.
fn client_record(cpu: u16, seq: u32, len: u32) -> Vec<u8> {
    let mut r = Vec::new();
    r.extend_from_slice(&0x5252_4c59u32.to_le_bytes());
    r.extend_from_slice(&cpu.to_le_bytes());
    r.extend_from_slice(&0u16.to_le_bytes());
    r.extend_from_slice(&seq.to_le_bytes());
    r.extend_from_slice(&len.to_le_bytes());
    r.extend_from_slice(&0u32.to_le_bytes());
    r.extend_from_slice(&0u32.to_le_bytes());
    r.extend((24..len).map(|i| (seq * 31 + i) as u8));
    r
}

const CLIENT: LengthField = LengthField {
    offset: 12,
    width: 4,
};

fn all(records: &mut Records<impl rrelay::records::Framing>) -> Vec<Vec<u8>> {
    let mut v = Vec::new();
    while let Some(r) = records.next_record() {
        v.push(r.expect("well-formed").to_vec());
    }
    v
}

#[test]
fn fixed_size_records_come_out_whole() {
    let mut r = Records::new(FixedSize(4));
    r.push(b"aaaabbbbcc");
    assert_eq!(all(&mut r), vec![b"aaaa".to_vec(), b"bbbb".to_vec()]);
    assert_eq!(r.pending(), 2);
    r.push(b"cc");
    assert_eq!(all(&mut r), vec![b"cccc".to_vec()]);
    assert_eq!(r.pending(), 0);
}

#[test]
fn an_empty_stream_has_no_records() {
    let mut r = Records::new(CLIENT);
    assert!(r.next_record().is_none());
    assert_eq!(r.pending(), 0);
}

#[test]
fn length_field_records_of_mixed_sizes() {
    let want: Vec<Vec<u8>> = (0..50)
        .map(|seq| client_record(1, seq, 24 + seq * 7))
        .collect();
    let mut r = Records::new(CLIENT);
    r.push(&want.concat());
    assert_eq!(all(&mut r), want);
}

#[test]
fn a_header_split_between_drains_waits_for_the_rest() {
    let rec = client_record(0, 9, 100);
    let mut r = Records::new(CLIENT);
    // Not even the length field yet.
    r.push(&rec[..14]);
    assert!(r.next_record().is_none());
    r.push(&rec[14..60]);
    assert!(r.next_record().is_none());
    assert_eq!(r.pending(), 60);
    r.push(&rec[60..]);
    assert_eq!(all(&mut r), vec![rec]);
}

#[test]
fn any_split_of_the_stream_gives_the_same_records() {
    let want: Vec<Vec<u8>> = (0..200)
        .map(|seq| client_record(2, seq, 24 + (seq * 13) % 300))
        .collect();
    let stream = want.concat();
    for chunk in [1, 3, 24, 100, 4096] {
        let mut r = Records::new(CLIENT);
        let mut got = Vec::new();
        for piece in stream.chunks(chunk) {
            r.push(piece);
            got.extend(all(&mut r));
        }
        assert_eq!(got, want, "pushed {chunk} bytes at a time");
        assert_eq!(r.pending(), 0);
    }
}

#[test]
fn a_zero_length_is_reported_with_its_stream_position() {
    let mut stream = [client_record(0, 0, 40), client_record(0, 1, 40)].concat();
    stream.extend(client_record(0, 2, 0).iter().take(24));
    let mut r = Records::new(CLIENT);
    // Pushed in pieces, so that consumed bytes get compacted away before
    // the bad record is found: its position must still be the stream's.
    for piece in stream.chunks(16) {
        r.push(piece);
        while let Some(Ok(_)) = r.next_record() {}
    }
    assert_eq!(r.next_record(), Some(Err(BadRecord { at: 80, len: 0 })));
}

#[test]
fn length_fields_of_every_width() {
    for width in [1usize, 2, 8] {
        let f = LengthField { offset: 1, width };
        let mut rec = vec![0xee; 20];
        rec[1..1 + width].copy_from_slice(&20u64.to_le_bytes()[..width]);
        let mut r = Records::new(f);
        r.push(&[rec.clone(), rec.clone()].concat());
        assert_eq!(all(&mut r), vec![rec.clone(), rec], "width {width}");
    }
}

#[test]
fn records_are_a_sink() {
    let rec = client_record(3, 0, 64);
    let mut r = Records::new(CLIENT);
    Sink::write_all(&mut r, &rec).unwrap();
    assert_eq!(all(&mut r), vec![rec]);
}
