//! `spamtrace completions SHELL` and `spamtrace man`.

use super::args::Cli;
use clap::CommandFactory;
use std::io::Write;
use std::process::ExitCode;

pub(crate) fn completions(shell: clap_complete::Shell) -> ExitCode {
    let mut cmd = Cli::command();
    // Into a buffer first: clap_complete panics on a closed pipe.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "spamtrace", &mut script);
    match std::io::stdout().write_all(&script) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("spamtrace: cannot write the completions: {e}");
            ExitCode::from(1)
        }
        _ => ExitCode::SUCCESS,
    }
}

pub(crate) fn man() -> ExitCode {
    match clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("spamtrace: cannot write the man page: {e}");
            ExitCode::from(1)
        }
    }
}
