// SPDX-License-Identifier: GPL-2.0

//! rrelay-read: drains every `cpuN` file of a relay channel directory.
//!
//! Waits with poll(), moves data with splice() (default), mmap() and the
//! rrelay ioctls, or read(); falls back to read() where a file offers
//! nothing better (mainline relay files, debugfs proxy files).  Writes one
//! file per CPU or one merged stream on stdout; shows progress on a
//! terminal and a summary at the end.  Stops on SIGINT/SIGTERM, after
//! `--duration`, or once every buffer reports its channel closed, and
//! always drains what is left first.

use std::fs::{File, OpenOptions};
use std::io::{IsTerminal, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::Relaxed);
}

/// `struct rrelay_buf_info` of `<linux/rrelay.h>`.
#[repr(C)]
#[derive(Default, Clone, Copy)]
struct BufInfo {
    subbuf_size: u64,
    n_subbufs: u64,
    produced: u64,
    consumed: u64,
    offset: u64,
    full_count: u64,
    big_count: u64,
    finalized: u32,
    lost_subbufs: u32,
}

/// `struct rrelay_subbuf` of `<linux/rrelay.h>`.
#[repr(C)]
#[derive(Default, Clone, Copy)]
struct Subbuf {
    index: u64,
    offset: u64,
    length: u64,
    produced: u64,
}

const IOC_MAGIC: u64 = 0xb7;
// `libc::Ioctl` is glibc's unsigned long and musl's int (the aarch64 musl
// build of the arm64 guest); the kernel takes the low 32 bits either way.
const fn ioc(dir: u64, nr: u64, size: usize) -> libc::Ioctl {
    ((dir << 30) | ((size as u64) << 16) | (IOC_MAGIC << 8) | nr) as libc::Ioctl
}
const IOC_INFO: libc::Ioctl = ioc(2, 1, std::mem::size_of::<BufInfo>());
const IOC_SUBBUF: libc::Ioctl = ioc(3, 2, std::mem::size_of::<Subbuf>());
const IOC_CONSUME: libc::Ioctl = ioc(1, 3, std::mem::size_of::<u64>());

#[derive(Clone, Copy, PartialEq, Debug)]
enum Method {
    Splice,
    Mmap,
    Read,
}

struct Mapping {
    addr: *const u8,
    len: usize,
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: `addr`/`len` came from a successful mmap().
        unsafe { libc::munmap(self.addr as *mut libc::c_void, self.len) };
    }
}

/// One buffer file and where its data goes.
struct Buffer {
    name: String,
    file: File,
    out: Box<dyn Write>,
    out_fd: Option<i32>,
    method: Method,
    pipe: Option<(i32, i32)>,
    map: Option<Mapping>,
    bytes: u64,
    closed: bool,
    lost_subbufs: u64,
    /// Where a mapped sub-buffer is copied before it is checked again.
    scratch: Vec<u8>,
}

fn info(fd: i32) -> Option<BufInfo> {
    let mut i = BufInfo::default();
    // SAFETY: `i` is a valid, writable `rrelay_buf_info`.
    (unsafe { libc::ioctl(fd, IOC_INFO, &mut i) } == 0).then_some(i)
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

impl Buffer {
    fn fd(&self) -> i32 {
        self.file.as_raw_fd()
    }

    /// Picks the method: the one asked for if the file supports it.
    fn setup(&mut self, want: Method) {
        self.method = Method::Read;
        match want {
            Method::Read => {}
            Method::Splice => {
                let mut p = [0; 2];
                // SAFETY: `p` has room for two descriptors.
                if unsafe { libc::pipe(p.as_mut_ptr()) } == 0 {
                    // A file without splice support says EINVAL at once.
                    // SAFETY: valid descriptors; nothing is moved when empty.
                    let r = unsafe {
                        libc::splice(
                            self.fd(),
                            std::ptr::null_mut(),
                            p[1],
                            std::ptr::null_mut(),
                            1,
                            libc::SPLICE_F_NONBLOCK,
                        )
                    };
                    if r >= 0 || errno() != libc::EINVAL {
                        // A byte moved by the probe stays in the pipe and
                        // goes out first.
                        self.bytes += r.max(0) as u64;
                        self.pipe = Some((p[0], p[1]));
                        self.method = Method::Splice;
                    } else {
                        // SAFETY: our own descriptors.
                        unsafe {
                            libc::close(p[0]);
                            libc::close(p[1]);
                        }
                    }
                }
            }
            Method::Mmap => {
                if let Some(i) = info(self.fd()) {
                    let page = 4096u64;
                    let len = (i.subbuf_size * i.n_subbufs).div_ceil(page) * page;
                    // SAFETY: a read-only shared mapping of the whole buffer.
                    let addr = unsafe {
                        libc::mmap(
                            std::ptr::null_mut(),
                            len as usize,
                            libc::PROT_READ,
                            libc::MAP_SHARED,
                            self.fd(),
                            0,
                        )
                    };
                    if addr != libc::MAP_FAILED {
                        self.map = Some(Mapping {
                            addr: addr as *const u8,
                            len: len as usize,
                        });
                        self.method = Method::Mmap;
                    }
                }
            }
        }
    }

    /// Moves everything available now; false when the output failed.
    fn drain(&mut self, tail: bool) -> bool {
        match self.method {
            Method::Read => self.drain_read(),
            Method::Splice => self.drain_splice(),
            Method::Mmap => {
                // The partly filled current sub-buffer is not complete, so
                // not in the protocol; at the end read() takes it.
                self.drain_mmap() && (!tail || self.drain_read())
            }
        }
    }

    fn drain_read(&mut self) -> bool {
        let mut buf = vec![0u8; 1 << 16];
        loop {
            // SAFETY: `buf` is writable for its length.
            let n = unsafe { libc::read(self.fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if n <= 0 {
                if n < 0 && errno() == libc::EIO {
                    self.closed = true;
                }
                return true;
            }
            if self.out.write_all(&buf[..n as usize]).is_err() {
                return false;
            }
            self.bytes += n as u64;
        }
    }

    fn drain_splice(&mut self) -> bool {
        let (rd, wr) = self.pipe.expect("splice has a pipe");
        loop {
            // Anything in the pipe goes out first (the probe's byte too).
            let mut pending = 0i32;
            // SAFETY: FIONREAD on our pipe into an int.
            unsafe { libc::ioctl(rd, libc::FIONREAD, &mut pending) };
            if pending > 0 && !self.pipe_out(rd, pending as usize) {
                return false;
            }
            // SAFETY: valid descriptors.
            let n = unsafe {
                libc::splice(
                    self.fd(),
                    std::ptr::null_mut(),
                    wr,
                    std::ptr::null_mut(),
                    1 << 16,
                    libc::SPLICE_F_NONBLOCK,
                )
            };
            if n <= 0 {
                return true;
            }
            self.bytes += n as u64;
            if !self.pipe_out(rd, n as usize) {
                return false;
            }
        }
    }

    /// Moves `len` bytes from our pipe to the output: spliced straight
    /// into a file or pipe, copied for anything else (a terminal).
    fn pipe_out(&mut self, rd: i32, mut len: usize) -> bool {
        if let Some(out) = self.out_fd {
            // Bytes copied earlier may wait in `out`'s buffer (stdout):
            // they go first.
            if self.out.flush().is_err() {
                return false;
            }
            while len > 0 {
                // SAFETY: valid descriptors.
                let n = unsafe {
                    libc::splice(rd, std::ptr::null_mut(), out, std::ptr::null_mut(), len, 0)
                };
                if n <= 0 {
                    break;
                }
                len -= n as usize;
            }
        }
        let mut buf = vec![0u8; len.min(1 << 16)];
        while len > 0 {
            // SAFETY: `buf` is writable for its length.
            let n = unsafe { libc::read(rd, buf.as_mut_ptr().cast(), buf.len().min(len)) };
            if n <= 0 || self.out.write_all(&buf[..n as usize]).is_err() {
                return false;
            }
            len -= n as usize;
        }
        true
    }

    fn drain_mmap(&mut self) -> bool {
        let Some(i) = info(self.fd()) else {
            return true;
        };
        let map = self.map.as_ref().expect("mmap has a mapping");
        for index in i.consumed..i.produced {
            let mut sb = Subbuf {
                index,
                ..Default::default()
            };
            // SAFETY: `sb` is a valid `rrelay_subbuf`.
            if unsafe { libc::ioctl(self.fd(), IOC_SUBBUF, &mut sb) } != 0 {
                self.lost_subbufs += 1;
                let one = 1u64;
                // SAFETY: a valid `__u64`.
                unsafe { libc::ioctl(self.fd(), IOC_CONSUME, &one) };
                continue;
            }
            assert!((sb.offset + sb.length) as usize <= map.len);
            // SAFETY: inside the mapping (checked above), read-only.
            let data = unsafe {
                std::slice::from_raw_parts(map.addr.add(sb.offset as usize), sb.length as usize)
            };
            self.scratch.clear();
            self.scratch.extend_from_slice(data);
            // Overwritten while copied (overwrite mode): count, drop.
            // SAFETY: as above.
            if unsafe { libc::ioctl(self.fd(), IOC_SUBBUF, &mut sb) } != 0 {
                self.lost_subbufs += 1;
            } else {
                if self.out.write_all(&self.scratch).is_err() {
                    return false;
                }
                self.bytes += self.scratch.len() as u64;
            }
            let one = 1u64;
            // SAFETY: a valid `__u64`.
            unsafe { libc::ioctl(self.fd(), IOC_CONSUME, &one) };
        }
        true
    }
}

struct Options {
    dir: PathBuf,
    method: Method,
    output: Option<PathBuf>,
    duration: Option<Duration>,
    quiet: bool,
}

fn usage() -> ! {
    eprintln!(
        "usage: rrelay-read [-m splice|mmap|read] [-o DIR] [-t SECONDS] [-q] CHANNEL_DIR\n\
         \n  -m  how to move data (default splice; read where a file offers nothing better)\
         \n  -o  one file per CPU in DIR (default: one merged stream on stdout)\
         \n  -t  stop after SECONDS (default: on SIGINT/SIGTERM or when the channel closes)\
         \n  -q  no live progress"
    );
    std::process::exit(2);
}

fn parse_args() -> Options {
    let mut args = std::env::args().skip(1);
    let mut o = Options {
        dir: PathBuf::new(),
        method: Method::Splice,
        output: None,
        duration: None,
        quiet: false,
    };
    let mut dir = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "-m" | "--method" => {
                o.method = match args.next().as_deref() {
                    Some("splice") => Method::Splice,
                    Some("mmap") => Method::Mmap,
                    Some("read") => Method::Read,
                    _ => usage(),
                }
            }
            "-o" | "--output" => o.output = Some(args.next().unwrap_or_else(|| usage()).into()),
            "-t" | "--duration" => {
                let s: f64 = args
                    .next()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or_else(|| usage());
                o.duration = Some(Duration::from_secs_f64(s));
            }
            "-q" | "--quiet" => o.quiet = true,
            "-h" | "--help" => usage(),
            _ if dir.is_none() && !a.starts_with('-') => dir = Some(a),
            _ => usage(),
        }
    }
    o.dir = dir.unwrap_or_else(|| usage()).into();
    o
}

/// The buffer files of a channel directory, `cpuN` by CPU number.
fn buffer_files(dir: &Path) -> std::io::Result<Vec<(u32, PathBuf)>> {
    let mut v: Vec<(u32, PathBuf)> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let cpu = name.strip_prefix("cpu")?.parse().ok()?;
            Some((cpu, e.path()))
        })
        .collect();
    v.sort();
    Ok(v)
}

fn main() {
    let o = parse_args();
    let files = match buffer_files(&o.dir) {
        Ok(f) if !f.is_empty() => f,
        Ok(_) => {
            eprintln!("rrelay-read: no cpuN files in {}", o.dir.display());
            std::process::exit(1);
        }
        Err(e) => {
            eprintln!("rrelay-read: {}: {e}", o.dir.display());
            std::process::exit(1);
        }
    };
    // SAFETY: installing a handler that only stores to an atomic.
    unsafe {
        libc::signal(
            libc::SIGINT,
            on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t,
        );
        libc::signal(
            libc::SIGTERM,
            on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t,
        );
    }
    if let Some(d) = &o.output {
        if let Err(e) = std::fs::create_dir_all(d) {
            eprintln!("rrelay-read: {}: {e}", d.display());
            std::process::exit(1);
        }
    }
    let mut bufs = Vec::new();
    for (cpu, path) in files {
        let file = match OpenOptions::new()
            .read(true)
            .custom_flags_nonblock()
            .open(&path)
        {
            Ok(f) => f,
            Err(e) => {
                eprintln!("rrelay-read: {}: {e}", path.display());
                std::process::exit(1);
            }
        };
        let (out, out_fd): (Box<dyn Write>, Option<i32>) = match &o.output {
            Some(d) => {
                let f = File::create(d.join(format!("cpu{cpu}"))).unwrap_or_else(|e| {
                    eprintln!("rrelay-read: {}: {e}", d.display());
                    std::process::exit(1)
                });
                let fd = f.as_raw_fd();
                (Box::new(f), Some(fd))
            }
            // Spliced straight on where stdout takes it (a file, a pipe,
            // /dev/null); a terminal refuses, and `pipe_out` copies.
            None => (Box::new(std::io::stdout()), Some(libc::STDOUT_FILENO)),
        };
        let mut b = Buffer {
            name: format!("cpu{cpu}"),
            file,
            out,
            out_fd,
            method: Method::Read,
            pipe: None,
            map: None,
            bytes: 0,
            closed: false,
            lost_subbufs: 0,
            scratch: Vec::new(),
        };
        b.setup(o.method);
        bufs.push(b);
    }

    let start = Instant::now();
    let live = !o.quiet && std::io::stderr().is_terminal();
    let mut last_shown = Instant::now();
    let mut failed = false;
    loop {
        let mut fds: Vec<libc::pollfd> = bufs
            .iter()
            .map(|b| libc::pollfd {
                fd: b.fd(),
                events: libc::POLLIN,
                revents: 0,
            })
            .collect();
        // SAFETY: `fds` is a valid array of pollfd.
        unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, 200) };
        for (b, p) in bufs.iter_mut().zip(&fds) {
            if p.revents & (libc::POLLERR | libc::POLLHUP) != 0 {
                b.closed = true;
            }
            if p.revents & libc::POLLIN != 0 && !b.drain(false) {
                failed = true;
            }
        }
        let timed_out = o.duration.is_some_and(|d| start.elapsed() >= d);
        if STOP.load(Ordering::Relaxed) || timed_out || failed || bufs.iter().all(|b| b.closed) {
            break;
        }
        if live && last_shown.elapsed() >= Duration::from_millis(500) {
            let total: u64 = bufs.iter().map(|b| b.bytes).sum();
            let drops: u64 = bufs
                .iter()
                .filter_map(|b| info(b.fd()))
                .map(|i| i.full_count)
                .sum();
            eprint!(
                "\r{} bytes, {:.1} MB/s, {} dropped (full)   ",
                total,
                total as f64 / start.elapsed().as_secs_f64() / 1e6,
                drops
            );
            last_shown = Instant::now();
        }
    }
    // What is left, the partly filled sub-buffers included.
    for b in bufs.iter_mut() {
        if !b.drain(true) {
            failed = true;
        }
        let _ = b.out.flush();
    }
    let secs = start.elapsed().as_secs_f64();
    let total: u64 = bufs.iter().map(|b| b.bytes).sum();
    if live {
        eprintln!();
    }
    for b in &bufs {
        let i = info(b.fd());
        eprintln!(
            "rrelay-read: {}: {} bytes by {:?}{}{}",
            b.name,
            b.bytes,
            b.method,
            i.map(|i| format!(
                ", {} dropped (full), {} too big, {} sub-buffers lost to the writer",
                i.full_count, i.big_count, i.lost_subbufs
            ))
            .unwrap_or_default(),
            if b.lost_subbufs > 0 {
                format!(", {} sub-buffers overwritten while read", b.lost_subbufs)
            } else {
                String::new()
            }
        );
    }
    eprintln!(
        "rrelay-read: {} bytes in {:.3} s: {:.0} bytes/s",
        total,
        secs,
        total as f64 / secs.max(1e-9)
    );
    std::process::exit(if failed { 1 } else { 0 });
}

/// `O_NONBLOCK` on open, so that a read never waits.
trait NonBlock {
    fn custom_flags_nonblock(&mut self) -> &mut Self;
}

impl NonBlock for OpenOptions {
    fn custom_flags_nonblock(&mut self) -> &mut Self {
        use std::os::unix::fs::OpenOptionsExt;
        self.custom_flags(libc::O_NONBLOCK)
    }
}
