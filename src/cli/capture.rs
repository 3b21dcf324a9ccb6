//! `spamtrace capture`: the flags become the library's settings.

use super::args::CaptureArgs;
use super::settings::Settings;
use spamtrace::capture::{self, CaptureOptions};
use spamtrace::util::clock::unix_now;
use std::process::ExitCode;

pub(crate) fn run(args: CaptureArgs) -> ExitCode {
    // --analyze traces with the same trust settings as `trace` (offline);
    // without it, the config file is not read.
    let analysis = if args.analyze || args.analyze_out.is_some() {
        match Settings::resolve(&args.analysis, None, None, unix_now()) {
            Ok(s) => s.trace,
            Err(e) => return super::usage_error(&e),
        }
    } else {
        Default::default()
    };
    capture::run(CaptureOptions {
        listen: args.listen,
        maildir: args.maildir,
        mbox: args.mbox,
        hostname: args.hostname,
        max_size: args.max_size,
        max_buffered: args.max_buffered,
        max_rcpt: args.max_rcpt,
        max_connections: args.max_connections,
        max_per_ip: args.max_per_ip,
        max_bad_commands: args.max_bad_commands,
        command_timeout: args.command_timeout,
        data_timeout: args.data_timeout,
        session_timeout: args.session_timeout,
        shutdown_grace: args.shutdown_grace,
        tls_cert: args.tls_cert,
        tls_key: args.tls_key,
        ipv6_prefix: args.ipv6_prefix,
        keep_crlf: args.keep_crlf,
        seven_bit_only: args.seven_bit_only,
        analyze: args.analyze,
        analyze_out: args.analyze_out,
        analysis,
    })
}
