//! The progress bar of long runs: on stderr, only when stderr is a terminal
//! and the input is large, so it never mixes with output on stdout.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use spamtrace::run::Progress;
use std::io::IsTerminal;

/// Inputs smaller than this finish before a bar is worth drawing.
pub(crate) const MIN_BYTES: u64 = 8 << 20;

/// An indicatif bar counting bytes (with ETA when the total is known) and messages.
pub(crate) struct Bar {
    bar: ProgressBar,
    messages: u64,
}

impl Bar {
    /// A bar for `total` bytes (None: unknown, as for stdin), or None when
    /// stderr is not a terminal or the input is small.
    pub(crate) fn for_stderr(total: Option<u64>) -> Option<Bar> {
        if !std::io::stderr().is_terminal() {
            return None;
        }
        let bar = match total {
            Some(t) if t < MIN_BYTES => return None,
            Some(t) => ProgressBar::with_draw_target(Some(t), ProgressDrawTarget::stderr())
                .with_style(
                    ProgressStyle::with_template(
                        "{bar:30} {bytes}/{total_bytes} {msg} {bytes_per_sec} ETA {eta}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
                ),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(
                ProgressStyle::with_template("{spinner} {bytes} {msg} {bytes_per_sec}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            ),
        };
        Some(Bar { bar, messages: 0 })
    }

    /// A handle that prints lines on stderr without tearing the bar.
    pub(crate) fn printer(&self) -> Printer {
        Printer(Some(self.bar.clone()))
    }

    /// Remove the bar (before the summary or on exit).
    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Progress for Bar {
    fn advance(&mut self, bytes: u64, messages: u64) {
        self.messages += messages;
        self.bar.inc(bytes);
        self.bar.set_message(format!("{} messages", self.messages));
    }
}

/// Prints a line on stderr, above the bar when there is one.
#[derive(Clone, Default)]
pub(crate) struct Printer(Option<ProgressBar>);

impl Printer {
    pub(crate) fn eprintln(&self, line: &str) {
        match &self.0 {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }
}
