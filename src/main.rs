//! The `spamtrace` command line: parse the arguments, dispatch.

mod cli;

use clap::Parser;
use cli::args::{Cli, Command};
use std::process::ExitCode;

// glibc malloc took a quarter of `trace`'s CPU, most of it in lock
// contention between threads; mimalloc keeps per-thread heaps.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Trace(args) => cli::trace::run(args),
        Command::Complain(args) => cli::complain::run(args),
        Command::Capture(args) => cli::capture::run(args),
        Command::Queue(args) => cli::queue::run(args),
        Command::Completions { shell } => cli::docs::completions(shell),
        Command::Man { page, dir } => cli::docs::man(page, dir.as_deref()),
    }
}
