// SPDX-License-Identifier: GPL-2.0

//! The mirrored structures and ioctl numbers against the uapi header
//! itself, include/uapi/linux/rrelay.h, read from the tree.

use std::mem::{offset_of, size_of};

use rrelay::uapi::{BATCH_MAX, BATCH_RELEASE_ONLY, IOC_BATCH, IOC_CONSUME, IOC_INFO, IOC_SUBBUF};
use rrelay::{Batch, BatchEntry, BufInfo, Subbuf};

fn header() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../include/uapi/linux/rrelay.h"
    );
    std::fs::read_to_string(path).expect("the uapi header")
}

/// The members of `struct name` in the header, in order, with their
/// sizes in bytes.
fn members(name: &str) -> Vec<(String, usize)> {
    let h = header();
    let start = h
        .find(&format!("struct {name} {{"))
        .expect("struct in header");
    let body = &h[start..start + h[start..].find("};").unwrap()];
    body.lines()
        .skip(1)
        .filter_map(|l| {
            let l = l.split("/*").next()?.trim().strip_suffix(';')?;
            let (ty, field) = l.split_once(char::is_whitespace)?;
            let size = match ty {
                "__u64" => 8,
                "__u32" => 4,
                other => panic!("type {other} not mirrored"),
            };
            Some((field.trim().to_owned(), size))
        })
        .collect()
}

#[test]
fn buf_info_mirrors_the_header_member_by_member() {
    let want = members("rrelay_buf_info");
    let ours = [
        ("subbuf_size", offset_of!(BufInfo, subbuf_size), 8),
        ("n_subbufs", offset_of!(BufInfo, n_subbufs), 8),
        ("produced", offset_of!(BufInfo, produced), 8),
        ("consumed", offset_of!(BufInfo, consumed), 8),
        ("offset", offset_of!(BufInfo, offset), 8),
        ("full_count", offset_of!(BufInfo, full_count), 8),
        ("big_count", offset_of!(BufInfo, big_count), 8),
        ("finalized", offset_of!(BufInfo, finalized), 4),
        ("lost_subbufs", offset_of!(BufInfo, lost_subbufs), 4),
    ];
    let mut at = 0;
    assert_eq!(want.len(), ours.len());
    for ((name, size), (ours_name, ours_at, ours_size)) in want.iter().zip(ours) {
        assert_eq!((name.as_str(), at, *size), (ours_name, ours_at, ours_size));
        at += size;
    }
    assert_eq!(size_of::<BufInfo>(), at);
}

#[test]
fn subbuf_mirrors_the_header_member_by_member() {
    let want = members("rrelay_subbuf");
    let ours = [
        ("index", offset_of!(Subbuf, index)),
        ("offset", offset_of!(Subbuf, offset)),
        ("length", offset_of!(Subbuf, length)),
        ("produced", offset_of!(Subbuf, produced)),
    ];
    assert_eq!(want.len(), ours.len());
    for (i, ((name, size), (ours_name, ours_at))) in want.iter().zip(ours).enumerate() {
        assert_eq!((name.as_str(), i * 8, *size), (ours_name, ours_at, 8));
    }
    assert_eq!(size_of::<Subbuf>(), 32);
}

#[test]
fn batch_and_its_entries_mirror_the_header_member_by_member() {
    let ours = [
        ("first", offset_of!(Batch, first), 8),
        ("count", offset_of!(Batch, count), 4),
        ("flags", offset_of!(Batch, flags), 4),
        ("entries", offset_of!(Batch, entries), 8),
        ("max", offset_of!(Batch, max), 4),
        ("stale", offset_of!(Batch, stale), 4),
        ("produced", offset_of!(Batch, produced), 8),
        ("skipped", offset_of!(Batch, skipped), 8),
    ];
    let want = members("rrelay_batch");
    assert_eq!(want.len(), ours.len());
    let mut at = 0;
    for ((name, size), (ours_name, ours_at, ours_size)) in want.iter().zip(ours) {
        assert_eq!((name.as_str(), at, *size), (ours_name, ours_at, ours_size));
        at += size;
    }
    assert_eq!(size_of::<Batch>(), at);
    let want = members("rrelay_batch_entry");
    let ours = [
        ("offset", offset_of!(BatchEntry, offset)),
        ("length", offset_of!(BatchEntry, length)),
    ];
    assert_eq!(want.len(), ours.len());
    for (i, ((name, size), (ours_name, ours_at))) in want.iter().zip(ours).enumerate() {
        assert_eq!((name.as_str(), i * 8, *size), (ours_name, ours_at, 8));
    }
    assert_eq!(size_of::<BatchEntry>(), 16);
    let h = header();
    assert!(h.contains(&format!("#define RRELAY_BATCH_MAX\t{BATCH_MAX}\n")));
    assert!(h.contains(&format!(
        "#define RRELAY_BATCH_RELEASE_ONLY\t(1U << {})\n",
        BATCH_RELEASE_ONLY.trailing_zeros()
    )));
}

#[test]
fn ioctl_numbers_are_the_headers() {
    let h = header();
    assert!(h.contains("#define RRELAY_IOC_MAGIC\t0xb7"));
    assert!(h.contains("_IOR(RRELAY_IOC_MAGIC, 1, struct rrelay_buf_info)"));
    assert!(h.contains("_IOWR(RRELAY_IOC_MAGIC, 2, struct rrelay_subbuf)"));
    assert!(h.contains("_IOW(RRELAY_IOC_MAGIC, 3, __u64)"));
    assert!(h.contains("_IOWR(RRELAY_IOC_MAGIC, 4, struct rrelay_batch)"));
    // _IOC(dir, type, nr, size) on x86: dir << 30 | size << 16 | type << 8 | nr,
    // read = 2, write = 1.
    assert_eq!(IOC_INFO as u64, 2 << 30 | 64 << 16 | 0xb7 << 8 | 1);
    assert_eq!(IOC_SUBBUF as u64, 3 << 30 | 32 << 16 | 0xb7 << 8 | 2);
    assert_eq!(IOC_CONSUME as u64, 1 << 30 | 8 << 16 | 0xb7 << 8 | 3);
    assert_eq!(IOC_BATCH as u64, 3 << 30 | 48 << 16 | 0xb7 << 8 | 4);
}

#[test]
fn buf_info_reads_its_counters() {
    let i = BufInfo {
        subbuf_size: 4096,
        n_subbufs: 8,
        produced: 10,
        consumed: 4,
        offset: 4097,
        finalized: 1,
        ..BufInfo::default()
    };
    assert!(i.is_stopped() && i.is_finalized());
    assert_eq!((i.pending(), i.buffer_len()), (6, 32768));
    let running = BufInfo { offset: 4096, ..i };
    assert!(!running.is_stopped());
}
