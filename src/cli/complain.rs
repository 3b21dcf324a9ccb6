//! `spamtrace complain`: one message through the same pipeline as `trace`
//! (DNS, abuse contacts and RDAP in the enrich stage), rendered as
//! complaint text or an RFC 5965 report.

use super::args::ComplainArgs;
use super::settings::Settings;
use spamtrace::enrich::abuse::address::Mailbox;
use spamtrace::enrich::dns::auth::DKIM_MAX_BODY;
use spamtrace::input::{self, InputOptions};
use spamtrace::report::render::message::{self, Addressing};
use spamtrace::report::render::{arf, complaint};
use spamtrace::run;
use spamtrace::util::clock::unix_now;
use spamtrace::util::sanitize::{for_terminal, for_terminal_lines};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

pub(crate) fn run(args: ComplainArgs) -> ExitCode {
    let now = args.now.unwrap_or_else(unix_now);
    let mut settings =
        match Settings::resolve(&args.analysis, Some(&args.dns), Some(&args.rdap), now) {
            Ok(s) => s,
            Err(e) => return super::usage_error(&e),
        };
    if let Some(r) = &args.reporter {
        // Header injection is the threat: one mailbox, no control character.
        if let Err(e) = Mailbox::parse(r) {
            return super::usage_error(&format!(
                "--reporter {r:?}: {e}; expected me@example.org or 'Jane Doe <me@example.org>'"
            ));
        }
    }
    for (flag, list) in [("--to", &args.to), ("--cc", &args.cc)] {
        for a in list {
            if let Err(e) = Mailbox::parse(a) {
                return super::usage_error(&format!(
                    "{flag} {a:?}: {e}; expected abuse@example.net or 'NOC <abuse@example.net>'"
                ));
            }
        }
    }
    let mut enricher = match settings.enricher() {
        Ok(e) => e,
        Err(e) => return super::usage_error(&e),
    };
    // The body is read when it is quoted or DKIM-verified (bounded then).
    let input_opts = InputOptions {
        keep_body: args.include_body || settings.dkim || args.sites,
        max_body_bytes: if args.include_body {
            InputOptions::default().max_body_bytes
        } else {
            DKIM_MAX_BODY
        },
        ..InputOptions::default()
    };
    let mut messages = input::open(&args.path, &input_opts);
    let msg = match messages.next() {
        Some(Ok(m)) => m,
        Some(Err(e)) => {
            eprintln!("spamtrace: {}", for_terminal(&e.to_string()));
            return ExitCode::from(1);
        }
        None => {
            eprintln!("spamtrace: no message in {}", for_terminal(&args.path));
            return ExitCode::from(1);
        }
    };
    if messages.next().is_some() {
        eprintln!(
            "spamtrace: {} holds more than one message: the complaint is about the first",
            for_terminal(&args.path)
        );
    }
    // --sites: the body walked for the "Advertised sites" section.
    settings.trace.bodies = args.sites;
    let report = run::trace_one(msg.clone(), &settings.trace, enricher.as_mut());
    for w in enricher.take_warnings() {
        eprintln!("spamtrace: {}", for_terminal(&w));
    }
    let copts = complaint::ComplaintOptions {
        include_body: args.include_body,
        redact: args
            .redact
            .then(|| args.redact_key.clone().unwrap_or_else(random_redact_key)),
        reporter: args.reporter.clone(),
        now,
        message_id: None,
        boundary: None,
        force: args.force,
    };
    let list_post = spamtrace::report::render::complaint::is_list_post(&report) && !args.force;
    let rcpt = Addressing::new(&report, &copts, &args.to, &args.cc);
    if rcpt.is_empty() {
        // `sendmail -t` would fail ("No recipient addresses found"), or
        // the report would go nowhere: say so, write nothing.
        if list_post {
            eprintln!(
                "spamtrace: a mailing list's server relayed this post: no complaint is addressed to its operator; give a recipient with --to ADDR, or --force to address the list server's contacts"
            );
        } else {
            eprintln!(
                "spamtrace: no recipient: no confirmed abuse contact was found{}; give one with --to ADDR (the report names the network and the contacts it could find)",
                if settings.offline() {
                    " (--offline: no DNS-based contacts, PTR, MX or Abusix TXT, were looked up)"
                } else {
                    ""
                }
            );
        }
        return ExitCode::from(2);
    }
    let out = if args.arf {
        if args.reporter.is_none() {
            eprintln!("spamtrace: no --reporter given: the report is From spamtrace@localhost");
        }
        arf::render_to(&report, &msg, &copts, &rcpt)
    } else {
        message::text(&report, &msg, &copts, &rcpt).into_bytes()
    };
    // The report carries the message's own bytes (headers as evidence):
    // fine for `sendmail -t`, not for a terminal, where they could be
    // escape sequences.
    let out = if std::io::stdout().is_terminal() {
        for_terminal_lines(&String::from_utf8_lossy(&out)).into_bytes()
    } else {
        out
    };
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(&out).and_then(|_| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("spamtrace: cannot write output: {e}");
            ExitCode::from(1)
        }
    }
}

/// A secret for `--redact` when none is given: random per run, so the
/// tokens cannot be reversed by guessing local parts (RFC 6590 wants them
/// unlinkable without the key). Said on stderr, since tokens then differ
/// between runs.
fn random_redact_key() -> String {
    let mut key = [0u8; 16];
    let read = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut key));
    if read.is_err() {
        // No /dev/urandom: fall back to the clock and the process id.
        let t = unix_now() as u128 ^ ((std::process::id() as u128) << 64);
        key = t.to_le_bytes();
    }
    eprintln!("spamtrace: no --redact-key given: using a random key for this run (set SPAMTRACE_REDACT_KEY for tokens that stay the same)");
    key.iter().map(|b| format!("{b:02x}")).collect()
}
