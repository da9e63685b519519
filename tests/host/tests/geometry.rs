// SPDX-License-Identifier: GPL-2.0

//! `Geometry` against mainline `relay_open()`'s size rules.

use proptest::prelude::*;
use rrelay_host_tests::ring::Geometry;

const PAGE: usize = 4096;

/// What mainline computes, written the obvious way in wide integers.
fn mainline(subbuf_size: u128, n_subbufs: u128) -> Option<u128> {
    if subbuf_size == 0 || n_subbufs == 0 || subbuf_size > u32::MAX as u128 / n_subbufs {
        return None;
    }
    let bytes = subbuf_size * n_subbufs;
    Some(bytes.div_ceil(PAGE as u128) * PAGE as u128)
}

#[test]
fn zero_sizes_are_refused() {
    assert_eq!(Geometry::new(0, 1, PAGE), None);
    assert_eq!(Geometry::new(1, 0, PAGE), None);
}

#[test]
fn product_above_u32_is_refused() {
    assert_eq!(Geometry::new(1 << 16, 1 << 16, PAGE), None);
    assert!(Geometry::new(1 << 16, (1 << 16) - 1, PAGE).is_some());
}

#[test]
fn page_size_must_be_a_power_of_two() {
    assert_eq!(Geometry::new(64, 4, 3000), None);
    assert_eq!(Geometry::new(64, 4, 0), None);
}

#[test]
fn subbufs_are_reused_in_a_ring() {
    let g = Geometry::new(1000, 3, PAGE).unwrap();
    let offsets: Vec<usize> = (0..7).map(|p| g.subbuf_offset(p)).collect();
    assert_eq!(offsets, [0, 1000, 2000, 0, 1000, 2000, 0]);
    assert_eq!(g.alloc_size(), PAGE);
}

#[test]
fn wrap_next_across_the_counter_wrap() {
    for n in [1, 3, 7, 8, 1000] {
        let g = Geometry::new(1, n, PAGE).unwrap();
        for count in (usize::MAX - 2 * n)..=usize::MAX {
            let next = count.wrapping_add(1);
            assert_eq!(
                g.wrap_next(g.wrap(count), next),
                g.wrap(next),
                "n={n} count={count}"
            );
        }
    }
}

proptest! {
    #[test]
    fn matches_mainline(size in 0usize..(1 << 20), n in 0usize..(1 << 14)) {
        let ours = Geometry::new(size, n, PAGE);
        match mainline(size as u128, n as u128) {
            None => prop_assert_eq!(ours, None),
            Some(alloc) => {
                let g = ours.expect("mainline accepts these sizes");
                prop_assert_eq!(g.alloc_size() as u128, alloc);
                prop_assert_eq!(g.subbuf_size(), size);
                prop_assert_eq!(g.n_subbufs(), n);
                prop_assert_eq!(g.alloc_size() % PAGE, 0);
                prop_assert!(g.alloc_size() >= size * n);
            }
        }
    }

    #[test]
    fn every_subbuf_fits_in_the_allocation(size in 1usize..(1 << 16), n in 1usize..256,
                                           produced in 0usize..100_000) {
        let g = Geometry::new(size, n, PAGE).unwrap();
        let off = g.subbuf_offset(produced);
        prop_assert_eq!(off % size, 0);
        prop_assert!(off + size <= g.alloc_size());
    }

    #[test]
    fn wrap_next_is_wrap_of_the_next_count(n in 1usize..5000, count in any::<usize>()) {
        // The switch's division-free step, counters near the top included.
        let g = Geometry::new(1, n, PAGE).unwrap();
        let next = count.wrapping_add(1);
        prop_assert_eq!(g.wrap_next(g.wrap(count), next), g.wrap(next));
    }
}
