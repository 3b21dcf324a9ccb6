//! Running the binary from a test.
#![allow(dead_code)]

use std::process::{Command, Output, Stdio};

/// `spamtrace ARGS`, no colour, no standard input.
pub fn spamtrace(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spamtrace"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run spamtrace")
}
