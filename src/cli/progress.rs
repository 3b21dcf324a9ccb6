//! The progress display of long runs: on stderr, only when stderr is a
//! terminal, so it never mixes with output on stdout. It counts bytes
//! (with ETA when the total is known: files, mboxes, folders) and
//! messages, and while DNS is asked, the questions in flight, answered and
//! failed. It appears only for a large input (many bytes or many files),
//! a DNS run, or a run that lasts: a quick run never draws it.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use spamtrace::enrich::dns::client::DnsProgress;
use spamtrace::input::Census;
use spamtrace::run::Progress;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Inputs smaller than this finish before a bar is worth drawing...
pub(crate) const MIN_BYTES: u64 = 8 << 20;
/// ... unless they are this many files (a Maildir of small messages).
pub(crate) const MIN_FILES: u64 = 1000;
/// A bar is drawn only once the run has lasted this long.
const SHOW_AFTER: Duration = Duration::from_millis(700);
/// How often the DNS counts are refreshed.
const TICK: Duration = Duration::from_millis(200);

/// An indicatif bar, and what its message says.
pub(crate) struct Bar {
    bar: ProgressBar,
    counts: Arc<Counts>,
}

/// What the message line says, shared with the ticker thread.
struct Counts {
    messages: AtomicU64,
    /// Files to read (a folder's count as many).
    files: u64,
    dns: Option<Arc<DnsProgress>>,
}

impl Counts {
    /// `1204 messages; DNS: 12 in flight, 3390 answered, 4 failed; 50000 files`
    /// (what matters first: the end is cut on a narrow terminal).
    fn line(&self) -> String {
        let n = self.messages.load(Ordering::Relaxed);
        let mut s = format!("{n} message{}", if n == 1 { "" } else { "s" });
        if let Some(d) = &self.dns {
            let (flight, answered, failed) = d.get();
            s.push_str(&format!(
                "; DNS: {flight} in flight, {answered} answered, {failed} failed"
            ));
        }
        if self.files > 1 {
            s.push_str(&format!("; {} files", self.files));
        }
        s
    }
}

/// Whether a run of `census` (and DNS when `dns`) is worth a bar.
pub(crate) fn wanted(census: &Census, dns: bool) -> bool {
    match census.bytes {
        Some(b) => dns || b >= MIN_BYTES || census.files >= MIN_FILES,
        // Stdin: unknown size.
        None => true,
    }
}

impl Bar {
    /// A bar for what `census` found to read (and the DNS questions of
    /// `dns`), or None when stderr is not a terminal or the run is small.
    pub(crate) fn for_stderr(census: &Census, dns: Option<Arc<DnsProgress>>) -> Option<Bar> {
        if !std::io::stderr().is_terminal() || !wanted(census, dns.is_some()) {
            return None;
        }
        // `wide_msg` takes the rest of the line and is cut to it: the bar
        // never wraps onto a second line.
        let style = match census.bytes {
            // DNS-bound: the questions matter more than the bytes.
            Some(_) if dns.is_some() => {
                ProgressStyle::with_template("{bar:12} {percent:>3}% {eta:>4} {wide_msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
            }
            Some(_) => {
                ProgressStyle::with_template("{bar:20} {bytes}/{total_bytes} ETA {eta} {wide_msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
            }
            None => ProgressStyle::with_template("{spinner} {bytes} {bytes_per_sec} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        };
        // Hidden at first: drawn only if the run lasts (the ticker shows it).
        let bar = ProgressBar::with_draw_target(census.bytes, ProgressDrawTarget::hidden())
            .with_style(style);
        let counts = Arc::new(Counts {
            messages: AtomicU64::new(0),
            files: census.files,
            dns,
        });
        bar.set_message(counts.line());
        let (b, c) = (bar.clone(), counts.clone());
        std::thread::spawn(move || ticker(b, c));
        Some(Bar { bar, counts })
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

/// Shows the bar once the run has lasted [`SHOW_AFTER`], then refreshes
/// the counts (the DNS ones change while a batch resolves, when no
/// message is written) until the bar is finished.
fn ticker(bar: ProgressBar, counts: Arc<Counts>) {
    let start = std::time::Instant::now();
    let mut shown = false;
    while !bar.is_finished() {
        std::thread::sleep(TICK);
        if bar.is_finished() {
            break;
        }
        if !shown && start.elapsed() >= SHOW_AFTER {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            bar.enable_steady_tick(TICK);
            shown = true;
        }
        bar.set_message(counts.line());
    }
}

impl Progress for Bar {
    fn advance(&mut self, bytes: u64, messages: u64) {
        self.counts.messages.fetch_add(messages, Ordering::Relaxed);
        self.bar.inc(bytes);
        self.bar.set_message(self.counts.line());
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

#[cfg(test)]
mod tests {
    use super::*;

    fn census(bytes: Option<u64>, files: u64) -> Census {
        Census {
            bytes,
            files,
            ..Census::default()
        }
    }

    #[test]
    fn many_small_files_or_dns_or_stdin_get_a_bar() {
        assert!(!wanted(&census(Some(4096), 1), false));
        assert!(wanted(&census(Some(MIN_BYTES), 1), false));
        // A Maildir of 50,000 small files.
        assert!(wanted(&census(Some(50_000 * 3000 / 1000), 50_000), false));
        assert!(wanted(&census(Some(4096), 1), true));
        assert!(wanted(&census(None, 0), false));
    }

    #[test]
    fn the_line_counts_messages_files_and_dns_questions() {
        let dns = Arc::new(DnsProgress::default());
        let c = Counts {
            messages: AtomicU64::new(1),
            files: 50_000,
            dns: Some(dns.clone()),
        };
        dns.in_flight.store(12, Ordering::Relaxed);
        dns.answered.store(3390, Ordering::Relaxed);
        dns.failed.store(4, Ordering::Relaxed);
        assert_eq!(
            c.line(),
            "1 message; DNS: 12 in flight, 3390 answered, 4 failed; 50000 files"
        );
        c.messages.store(2, Ordering::Relaxed);
        assert!(c.line().starts_with("2 messages"));
    }
}
