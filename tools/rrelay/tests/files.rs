// SPDX-License-Identifier: GPL-2.0

//! The library against real files standing in for buffer files: a tmpfs
//! channel directory, regular files (splice but no ioctls), FIFOs (poll,
//! non-blocking reads), /proc/self/mem (EIO). What needs the kernel's
//! relay files is checked in the guest (tests/selftests/reader_tool.c).

use std::fs::{self, File};
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::path::Path;
use std::time::Duration;

use rrelay::{Buffer, Channel, Error, Method, Output, Reader, Sink};
use rustix::fs::{FileType, Mode, CWD};
use rustix::io::Errno;

fn words(e: Errno) -> String {
    std::io::Error::from_raw_os_error(e.raw_os_error()).to_string()
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

fn fifo(path: &Path) {
    rustix::fs::mknodat(CWD, path, FileType::Fifo, Mode::RUSR | Mode::WUSR, 0).unwrap();
}

/// Opens the write end of a FIFO whose read end `Buffer::open` holds.
fn fifo_writer(path: &Path) -> File {
    fs::OpenOptions::new().write(true).open(path).unwrap()
}

#[test]
fn a_channel_opens_its_cpu_files_in_cpu_order() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "cpu10", "cpu2", "cpu0", "cpu1", "stats", "cpu", "cpux", "cpu+3", "ctl",
    ] {
        File::create(dir.path().join(name)).unwrap();
    }
    let ch = Channel::open(dir.path()).unwrap();
    assert_eq!(ch.dir(), dir.path());
    let cpus: Vec<u32> = ch.buffers().iter().map(Buffer::cpu).collect();
    assert_eq!(cpus, [0, 1, 2, 10]);
    assert_eq!(ch.buffers()[3].name(), "cpu10");
    assert_eq!(ch.buffers()[3].path(), dir.path().join("cpu10"));
}

#[test]
fn a_directory_without_buffers_says_so() {
    let dir = tempfile::tempdir().unwrap();
    File::create(dir.path().join("stats")).unwrap();
    let e = Channel::open(dir.path()).unwrap_err();
    assert!(matches!(e, Error::NoBuffers { .. }));
    assert_eq!(
        e.to_string(),
        format!("{}: no cpuN buffer files", dir.path().display())
    );
}

#[test]
fn a_missing_directory_names_itself_and_the_errno() {
    let e = Channel::open("/nonexistent/rrelay-chan").unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "/nonexistent/rrelay-chan: open directory: {}",
            words(Errno::NOENT)
        )
    );
}

#[test]
fn an_unreadable_buffer_file_names_itself() {
    let dir = tempfile::tempdir().unwrap();
    // A dangling symlink: open() fails with ENOENT.
    std::os::unix::fs::symlink("/nonexistent/target", dir.path().join("cpu0")).unwrap();
    let e = Channel::open(dir.path()).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(Errno::NOENT.raw_os_error()));
    assert_eq!(
        e.to_string(),
        format!(
            "{}/cpu0: open: {}",
            dir.path().display(),
            words(Errno::NOENT)
        )
    );
}

#[test]
fn ioctls_on_a_file_without_them_say_enotty_with_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cpu0");
    File::create(&path).unwrap();
    let b = Buffer::open(0, &path).unwrap();
    for (e, op) in [
        (b.info().unwrap_err(), "RRELAY_IOC_INFO"),
        (b.subbuf(0).unwrap_err(), "RRELAY_IOC_SUBBUF"),
        (b.consume(1).unwrap_err(), "RRELAY_IOC_CONSUME"),
    ] {
        assert_eq!(
            e.to_string(),
            format!("{}: {op}: {}", path.display(), words(Errno::NOTTY))
        );
    }
}

#[test]
fn mmap_falls_back_to_read_where_the_protocol_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cpu0");
    fs::write(&path, pattern(10_000)).unwrap();
    let mut r = Reader::new(Buffer::open(0, &path).unwrap(), Method::Mmap);
    assert_eq!(r.method(), Method::Read);
    let mut got = Vec::new();
    assert_eq!(r.drain(&mut got, true).unwrap(), 10_000);
    assert_eq!(got, pattern(10_000));
}

#[test]
fn read_drains_everything_and_then_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cpu3");
    let data = pattern(300_000);
    fs::write(&path, &data).unwrap();
    let mut r = Reader::new(Buffer::open(3, &path).unwrap(), Method::Read);
    let mut got = Vec::new();
    assert_eq!(r.drain(&mut got, false).unwrap(), data.len() as u64);
    assert_eq!(r.drain(&mut got, false).unwrap(), 0);
    assert_eq!(got, data);
    assert_eq!(r.bytes(), data.len() as u64);
    assert!(!r.is_closed());
}

#[test]
fn splice_moves_a_file_byte_for_byte_into_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cpu0");
    let data = pattern(1 << 20);
    fs::write(&path, &data).unwrap();
    let mut r = Reader::new(Buffer::open(0, &path).unwrap(), Method::Splice);
    assert_eq!(r.method(), Method::Splice);
    let out_path = dir.path().join("out");
    let mut out = Output::create(&out_path).unwrap();
    assert_eq!(
        r.drain(&mut out, false).unwrap() + 1,
        data.len() as u64,
        "the probe's byte counted at start"
    );
    assert_eq!(r.bytes(), data.len() as u64);
    out.flush().unwrap();
    assert_eq!(fs::read(&out_path).unwrap(), data);
}

#[test]
fn splice_copies_into_a_sink_without_a_descriptor() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cpu0");
    let data = pattern(200_001);
    fs::write(&path, &data).unwrap();
    let mut r = Reader::new(Buffer::open(0, &path).unwrap(), Method::Splice);
    let mut got = Vec::new();
    r.drain(&mut got, false).unwrap();
    assert_eq!(got, data, "the probe's byte first, then the rest in order");
}

#[test]
fn a_fifo_is_drained_as_data_comes_and_empty_reads_do_not_wait() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cpu1");
    fifo(&path);
    let b = Buffer::open(1, &path).unwrap();
    let mut w = fifo_writer(&path);
    for method in [Method::Read, Method::Splice] {
        let mut r = Reader::new(Buffer::open(1, &path).unwrap(), method);
        let mut got = Vec::new();
        assert_eq!(
            r.drain(&mut got, false).unwrap(),
            0,
            "{method:?}: nothing yet"
        );
        w.write_all(b"record one|").unwrap();
        w.write_all(b"record two|").unwrap();
        r.drain(&mut got, false).unwrap();
        assert_eq!(got, b"record one|record two|", "{method:?}");
        assert_eq!(r.method(), method);
    }
    drop(b);
}

#[test]
fn splice_goes_on_into_a_pipe_sink() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cpu0");
    let data = pattern(50_000);
    fs::write(&path, &data).unwrap();
    let (rd, wr): (OwnedFd, OwnedFd) = rustix::pipe::pipe().unwrap();
    rustix::pipe::fcntl_setpipe_size(&wr, 1 << 20).unwrap();
    let mut out = Output::from_file("<pipe>", File::from(wr));
    let mut r = Reader::new(Buffer::open(0, &path).unwrap(), Method::Splice);
    r.drain(&mut out, false).unwrap();
    drop(out);
    let mut got = Vec::new();
    File::from(rd).read_to_end(&mut got).unwrap();
    assert_eq!(got, data);
}

#[test]
fn wait_reports_data_and_hangups() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("cpu0"), dir.path().join("cpu1"));
    fifo(&a);
    fifo(&b);
    let readers = [
        Reader::new(Buffer::open(0, &a).unwrap(), Method::Read),
        Reader::new(Buffer::open(1, &b).unwrap(), Method::Read),
    ];
    let mut wa = fifo_writer(&a);
    let wb = fifo_writer(&b);
    let none = rrelay::wait(&readers, Duration::from_millis(10)).unwrap();
    assert!(none.iter().all(|r| !r.data && !r.closed));
    wa.write_all(b"x").unwrap();
    drop(wb);
    let ready = rrelay::wait(&readers, Duration::from_millis(1000)).unwrap();
    assert!(ready[0].data && !ready[0].closed);
    assert!(ready[1].closed, "writer gone: POLLHUP");
}

#[test]
fn eio_from_read_means_the_channel_was_closed() {
    // Reading unmapped memory through /proc/self/mem fails with EIO, as a
    // debugfs proxy file does after relay_close().
    let b = Buffer::open(0, "/proc/self/mem").unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(b.read(&mut buf).unwrap(), rrelay::ReadResult::Closed);
    let mut r = Reader::new(Buffer::open(0, "/proc/self/mem").unwrap(), Method::Read);
    assert_eq!(r.drain(&mut Vec::new(), false).unwrap(), 0);
    assert!(r.is_closed());
}

#[test]
fn a_failing_output_is_named_with_its_errno() {
    struct Full;
    impl Sink for Full {
        fn name(&self) -> &Path {
            Path::new("/out/cpu0")
        }
        fn write_all(&mut self, _: &[u8]) -> std::io::Result<()> {
            Err(std::io::Error::from_raw_os_error(
                Errno::NOSPC.raw_os_error(),
            ))
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cpu0");
    fs::write(&path, b"data").unwrap();
    for method in [Method::Read, Method::Splice] {
        let mut r = Reader::new(Buffer::open(0, &path).unwrap(), method);
        let e = r.drain(&mut Full, false).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("/out/cpu0: write: {}", words(Errno::NOSPC))
        );
    }
}
