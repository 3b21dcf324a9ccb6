//! The `spamtrace` command line: parse the arguments, dispatch.

mod cli;

use clap::Parser;
use cli::args::{Cli, Command};
use std::process::ExitCode;

// glibc malloc took a quarter of `trace`'s CPU, most of it in lock
// contention between threads; mimalloc keeps per-thread heaps.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc keeps freed pages for 10 ms before it gives them back; a
/// worker frees a batch's bodies and rendered text every few milliseconds,
/// so at that delay peak RSS grows with the pace of the run: 67 MB with
/// bodies on a 1 GiB mbox (scripts/bench-trace). 3 ms keeps it at 56-59 MB;
/// 1 ms gave 48-52 MB but three times the system time in madvise.
fn return_freed_memory_sooner() {
    // SAFETY: sets one of mimalloc's integer options; any value is valid.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) }
}

/// `mi_option_purge_delay` of mimalloc.h (v2), which libmimalloc-sys does
/// not name.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
const PURGE_DELAY_MS: std::os::raw::c_long = 3;

fn main() -> ExitCode {
    return_freed_memory_sooner();
    match Cli::parse().command {
        Command::Trace(args) => cli::trace::run(args),
        Command::Complain(args) => cli::complain::run(args),
        Command::Capture(args) => cli::capture::run(args),
        Command::Queue(args) => cli::queue::run(args),
        Command::Completions { shell } => cli::docs::completions(shell),
        Command::Man { page, dir } => cli::docs::man(page, dir.as_deref()),
    }
}
