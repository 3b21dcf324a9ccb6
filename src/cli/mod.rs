//! The binary side: every clap struct ([`args`]), the settings resolved
//! once from flags, config file and environment ([`settings`]), and one
//! module per subcommand that runs the library's pipeline and prints.

pub(crate) mod args;
pub(crate) mod capture;
pub(crate) mod complain;
pub(crate) mod docs;
pub(crate) mod extract;
pub(crate) mod progress;
pub(crate) mod settings;
pub(crate) mod trace;

use spamtrace::util::sanitize::for_terminal_lines;
use std::process::ExitCode;

/// A usage error (bad flag value, bad config): said once, exit status 2.
fn usage_error(e: &str) -> ExitCode {
    eprintln!("spamtrace: {}", for_terminal_lines(e));
    ExitCode::from(2)
}
