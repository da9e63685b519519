// SPDX-License-Identifier: GPL-2.0

//! rrelay-read: drains every `cpuN` file of a relay channel directory.
//!
//! Waits with poll(), moves data with splice() (default), mmap() and the
//! rrelay ioctls, or read(); falls back to read() where a file offers
//! nothing better (mainline relay files, debugfs proxy files).  Writes one
//! file per CPU or one merged stream on stdout; shows progress on a
//! terminal and a summary at the end.  Stops on SIGINT/SIGTERM, after
//! `--duration`, or once every buffer reports its channel closed, and
//! always drains what is left first.  The reading itself is the `rrelay`
//! crate's.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{CommandFactory, Parser, ValueEnum};
use clap_complete::Shell;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use rrelay::{Channel, Method, Output, Reader};

/// Drain the per-CPU buffer files of a relay channel.
///
/// Moves data by splice (default), by mmap and the ioctls of
/// <linux/rrelay.h> (sub-buffers by batches, one call each), or by read(),
/// falling back to read() where a file
/// offers nothing better (mainline relay, debugfs proxy files). Stops on
/// SIGINT or SIGTERM, after --duration, or when every buffer reports its
/// channel closed, and drains what is left first. Prints a summary per
/// buffer on stderr.
#[derive(Parser, Debug)]
#[command(name = "rrelay-read", version)]
struct Args {
    /// How to move data.
    #[arg(short, long, value_enum, default_value_t = How::Splice)]
    method: How,

    /// Write one file per CPU, DIR/cpuN (default: one merged stream on stdout).
    #[arg(short, long, value_name = "DIR")]
    output: Option<PathBuf>,

    /// Stop after SECONDS (fractions allowed).
    #[arg(short = 't', long, value_name = "SECONDS", value_parser = parse_seconds)]
    duration: Option<Duration>,

    /// No live progress.
    #[arg(short, long)]
    quiet: bool,

    /// Print a completion script for SHELL and exit.
    #[arg(long, value_name = "SHELL", exclusive = true)]
    completions: Option<Shell>,

    /// The channel's directory, e.g. /sys/kernel/debug/<chan>.
    #[arg(value_name = "CHANNEL_DIR", required_unless_present = "completions")]
    dir: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum How {
    Splice,
    Mmap,
    Read,
}

impl From<How> for Method {
    fn from(h: How) -> Method {
        match h {
            How::Splice => Method::Splice,
            How::Mmap => Method::Mmap,
            How::Read => Method::Read,
        }
    }
}

fn parse_seconds(s: &str) -> Result<Duration, String> {
    let secs: f64 = s.parse().map_err(|e| format!("{e}"))?;
    Duration::try_from_secs_f64(secs).map_err(|e| format!("{e}"))
}

/// One buffer, its reader, where its data goes and its progress bar.
struct Cpu {
    reader: Reader,
    out: Output,
    bar: ProgressBar,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(shell) = args.completions {
        clap_complete::generate(
            shell,
            &mut Args::command(),
            "rrelay-read",
            &mut std::io::stdout(),
        );
        return ExitCode::SUCCESS;
    }
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("rrelay-read: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Drains the channel; false when moving data failed on the way.
fn run(args: &Args) -> Result<bool, Box<dyn std::error::Error>> {
    let dir = args.dir.as_ref().expect("clap requires it");
    // Before the files are open: whoever sees them open (the tests wait
    // for that) may signal at once, and the signal must stop a drain,
    // not kill the tool.
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&stop))?;
    }
    let channel = Channel::open(dir)?;
    if let Some(d) = &args.output {
        std::fs::create_dir_all(d).map_err(|e| rrelay::Error::io(d, "create directory", e))?;
    }
    let live = !args.quiet && std::io::stderr().is_terminal();
    let bars = MultiProgress::with_draw_target(if live {
        ProgressDrawTarget::stderr_with_hz(4)
    } else {
        ProgressDrawTarget::hidden()
    });
    let style = ProgressStyle::with_template(
        "{prefix:>6} {bytes:>11} {bytes_per_sec:>13} {msg} {spinner}",
    )?;
    let mut cpus = Vec::new();
    for buffer in channel.into_buffers() {
        let out = match &args.output {
            Some(d) => Output::create(d.join(buffer.name()))?,
            // Spliced straight on where stdout takes it (a file, a pipe,
            // /dev/null); a terminal refuses, and it is copied.
            None => Output::stdout(),
        };
        let bar = bars.add(ProgressBar::no_length().with_style(style.clone()));
        bar.set_prefix(buffer.name());
        cpus.push(Cpu {
            reader: Reader::new(buffer, args.method.into()),
            out,
            bar,
        });
    }

    let start = Instant::now();
    let mut ok = true;
    loop {
        let readers: Vec<&Reader> = cpus.iter().map(|c| &c.reader).collect();
        let ready = wait_all(&readers)?;
        for (cpu, r) in cpus.iter_mut().zip(ready) {
            if r.closed {
                cpu.reader.set_closed();
            }
            if r.data && !drain(cpu, false, &bars) {
                ok = false;
            }
        }
        let timed_out = args.duration.is_some_and(|d| start.elapsed() >= d);
        if stop.load(Ordering::Relaxed)
            || timed_out
            || !ok
            || cpus.iter().all(|c| c.reader.is_closed())
        {
            break;
        }
        if live {
            for cpu in &cpus {
                show(cpu);
            }
        }
    }
    // What is left, the partly filled sub-buffers included.
    for cpu in cpus.iter_mut() {
        if !drain(cpu, true, &bars) {
            ok = false;
        }
        let _ = rrelay::Sink::flush(&mut cpu.out);
        cpu.bar.finish_and_clear();
    }
    let secs = start.elapsed().as_secs_f64();
    let total: u64 = cpus.iter().map(|c| c.reader.bytes()).sum();
    for cpu in &cpus {
        let r = &cpu.reader;
        let stats = r
            .buffer()
            .info()
            .map(|i| {
                format!(
                    ", {} dropped (full), {} too big, {} sub-buffers lost to the writer",
                    i.full_count, i.big_count, i.lost_subbufs
                )
            })
            .unwrap_or_default();
        let torn = match r.overwritten_while_read() {
            0 => String::new(),
            n => format!(", {n} sub-buffers overwritten while read"),
        };
        eprintln!(
            "rrelay-read: {}: {} bytes by {:?}{stats}{torn}",
            r.buffer().name(),
            r.bytes(),
            r.method()
        );
    }
    eprintln!(
        "rrelay-read: {total} bytes in {secs:.3} s: {:.0} bytes/s",
        total as f64 / secs.max(1e-9)
    );
    Ok(ok)
}

/// Drains what one buffer holds; false (the error told) when it failed.
fn drain(cpu: &mut Cpu, tail: bool, bars: &MultiProgress) -> bool {
    match cpu.reader.drain(&mut cpu.out, tail) {
        Ok(_) => true,
        Err(e) => {
            let line = format!("rrelay-read: {e}");
            if bars.is_hidden() {
                eprintln!("{line}");
            } else {
                let _ = bars.println(line);
            }
            false
        }
    }
}

/// Waits up to 200 ms for data on any buffer.
fn wait_all(readers: &[&Reader]) -> rrelay::Result<Vec<rrelay::Ready>> {
    rrelay::wait(readers, Duration::from_millis(200))
}

/// One line per CPU: bytes, rate, drops.
fn show(cpu: &Cpu) {
    cpu.bar.set_position(cpu.reader.bytes());
    if let Ok(i) = cpu.reader.buffer().info() {
        let mut msg = format!("{} dropped", i.full_count);
        if i.lost_subbufs > 0 || cpu.reader.overwritten_while_read() > 0 {
            msg += &format!(
                ", {} lost",
                u64::from(i.lost_subbufs) + cpu.reader.overwritten_while_read()
            );
        }
        cpu.bar.set_message(msg);
    } else {
        cpu.bar.set_message("no stats (not an rrelay file)");
    }
    cpu.bar.tick();
}
