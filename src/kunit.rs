// SPDX-License-Identifier: GPL-2.0

//! KUnit suites that run inside the kernel each time `rrelay.ko` loads.
//!
//! The host runs the same arithmetic under `cargo test`; these suites check
//! it where it really runs, with the kernel's `PAGE_SIZE` and `usize`.

#[kernel::macros::kunit_tests(rrelay_ring)]
mod ring_tests {
    use crate::ring::Geometry;
    use kernel::page::PAGE_SIZE;

    #[test]
    fn geometry_rejects_what_relay_open_rejects() {
        assert_eq!(Geometry::new(0, 8, PAGE_SIZE), None);
        assert_eq!(Geometry::new(4096, 0, PAGE_SIZE), None);
        assert_eq!(Geometry::new(1 << 16, 1 << 16, PAGE_SIZE), None);
        assert_eq!(Geometry::new(usize::MAX, 1, PAGE_SIZE), None);
    }

    #[test]
    fn geometry_rounds_the_buffer_to_pages() {
        let g = Geometry::new(100, 3, PAGE_SIZE).expect("valid sizes");
        assert_eq!(g.alloc_size(), PAGE_SIZE);
        assert_eq!(g.subbuf_offset(0), 0);
        assert_eq!(g.subbuf_offset(4), 100);
        let g = Geometry::new(PAGE_SIZE, 4, PAGE_SIZE).expect("valid sizes");
        assert_eq!(g.alloc_size(), 4 * PAGE_SIZE);
    }
}
