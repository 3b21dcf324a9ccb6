//! The binary side: every clap struct ([`args`]), the settings resolved
//! once from flags, config file and environment ([`settings`]), and one
//! module per subcommand that runs the library's pipeline and prints.

pub(crate) mod args;
pub(crate) mod capture;
pub(crate) mod complain;
pub(crate) mod docs;
pub(crate) mod extract;
pub(crate) mod progress;
pub(crate) mod queue;
pub(crate) mod settings;
pub(crate) mod trace;

use spamtrace::util::sanitize::for_terminal_lines;
use std::process::ExitCode;

/// The exit status of a run that analysed every input but whose DNS was
/// degraded (a server that did not answer): the DNS findings are missing.
pub(crate) const EXIT_DEGRADED: u8 = 3;

/// Said once, on stderr when it is a terminal, before the first lookups:
/// looking up a spammer's names can tell the spammer the message was read.
pub(crate) fn dns_beacon_note(names: usize) {
    eprintln!(
        "spamtrace: about to look up {names} name(s) taken from the message(s) (HELO, sender and Message-ID domains); whoever runs those domains' DNS can see the lookups and learn the message was read. --offline (or offline = true in the config) avoids it"
    );
}

/// Said once after a run whose DNS was degraded.
pub(crate) fn dns_degraded_note(text: &str) {
    eprintln!("spamtrace: {}", for_terminal_lines(text));
}

/// A usage error (bad flag value, bad config): said once, exit status 2.
fn usage_error(e: &str) -> ExitCode {
    eprintln!("spamtrace: {}", for_terminal_lines(e));
    ExitCode::from(2)
}
