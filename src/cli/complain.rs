//! `spamtrace complain`: messages through the same pipeline as `trace`
//! (DNS, abuse contacts and RDAP in the enrich stage), one complaint per
//! message and contact (or, with `--digest`, per contact), rendered as
//! complaint text or an RFC 5965 report; written to stdout (one message,
//! or an mbox stream of several), to `--out DIR`, or queued (`--send`).

use super::args::ComplainArgs;
use super::settings::Settings;
use sha2::{Digest, Sha256};
use spamtrace::enrich::abuse::address::{self, Mailbox};
use spamtrace::enrich::abuse::Exclusions;
use spamtrace::enrich::dns::auth::DKIM_MAX_BODY;
use spamtrace::input::{self, InputOptions};
use spamtrace::report::render::message::{self, Addressing};
use spamtrace::report::render::{arf, complaint, sites};
use spamtrace::run;
use spamtrace::util::clock::unix_now;
use spamtrace::util::sanitize::{bytes_for_terminal, for_terminal};
use spamtrace::util::words::count;
use std::collections::HashSet;
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
    // --sites: the body walked for the "Advertised sites" section and the
    // sites' contacts looked up (before the enrich stage is made).
    settings.trace.bodies = args.sites;
    settings.trace.site_contacts = args.sites;
    let mut enricher = match settings.enricher() {
        Ok(e) => e,
        Err(e) => return super::usage_error(&e),
    };
    // The body is read (bounded) to tell duplicates apart, to quote it
    // and for DKIM.
    let input_opts = InputOptions {
        keep_body: true,
        recursive: args.recursive,
        max_body_bytes: if args.include_body || args.sites {
            InputOptions::default().max_body_bytes
        } else {
            DKIM_MAX_BODY
        },
        ..InputOptions::default()
    };
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
    if args.send && args.reporter.is_none() && !args.dry_run {
        return super::usage_error(
            "--send needs --reporter ADDR (the From and envelope sender of every complaint)",
        );
    }
    if args.arf && args.reporter.is_none() {
        eprintln!("spamtrace: no --reporter given: the report is From spamtrace@localhost");
    }
    let mut batch = Batch::default();
    let mut seen: HashSet<(String, [u8; 32])> = HashSet::new();
    let mut read_errors = 0usize;
    for path in &args.paths {
        for item in input::open(path, &input_opts) {
            let msg = match item {
                Ok(m) => m,
                Err(e) => {
                    eprintln!("spamtrace: {}", for_terminal(&e.to_string()));
                    read_errors += 1;
                    continue;
                }
            };
            batch.messages += 1;
            let key = dedupe_key(&msg);
            if !seen.insert(key) {
                batch.duplicates += 1;
                continue;
            }
            let report = run::trace_one(msg.clone(), &settings.trace, enricher.as_mut());
            for w in enricher.take_warnings() {
                eprintln!("spamtrace: {}", for_terminal(&w));
            }
            batch.add(report, msg, &args, &copts);
        }
    }
    if let Some(text) = enricher.degraded() {
        super::dns_degraded_note(&text);
    }
    if batch.messages == 0 {
        eprintln!(
            "spamtrace: no message in {}",
            for_terminal(&args.paths.join(" "))
        );
        return ExitCode::from(1);
    }
    let mut complaints = if args.digest {
        batch.digests(&args, &copts)
    } else {
        std::mem::take(&mut batch.singles)
    };
    // The advertised sites' desks: one complaint per message and desk,
    // with --digest too (each is about the sites of one message).
    let site_count = batch.sites.len();
    complaints.append(&mut batch.sites);
    if complaints.is_empty() && batch.excluded > 0 {
        eprintln!(
            "spamtrace: no recipient left: {} at the message's own sender domains (From, Reply-To, Sender, Message-ID), where nothing is ever sent, as they may be forged; give another with --to ADDR",
            count(batch.excluded, "recipient")
        );
        return ExitCode::from(2);
    }
    if complaints.is_empty() {
        // `sendmail -t` would fail ("No recipient addresses found"), or
        // the report would go nowhere: say so, write nothing.
        if batch.list_posts > 0 && batch.messages == 1 {
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
    if args.sites && settings.offline() {
        eprintln!(
            "spamtrace: --offline: the advertised sites' hosting and registrar contacts were not looked up; no complaint to their desks"
        );
    }
    if args.sites && site_count > 0 {
        eprintln!(
            "spamtrace: {} to the advertised sites' hosting and registrar desks",
            count(site_count, "complaint")
        );
    }
    if batch.messages > 1 || args.digest || args.send || args.out.is_some() {
        eprintln!(
            "spamtrace: {} ({}, {} without a recipient), {} to {}{}",
            count(batch.messages, "message"),
            count(batch.duplicates, "duplicate"),
            batch.unaddressed,
            count(complaints.len(), "complaint"),
            count(contacts(&complaints), "contact"),
            if batch.excluded > 0 {
                format!(
                    ", {} left out at the message's own sender domains",
                    count(batch.excluded, "recipient")
                )
            } else {
                String::new()
            }
        );
    }
    let status = if args.send {
        send(&args, &complaints, now)
    } else if let Some(dir) = &args.out {
        write_out(dir, &complaints)
    } else {
        write_stdout(&complaints)
    };
    if status == ExitCode::SUCCESS && read_errors > 0 {
        return ExitCode::from(1);
    }
    status
}

/// One complaint, ready to write or queue.
struct Outgoing {
    /// Every recipient (To and Cc), plain addresses.
    rcpt: Vec<String>,
    message_id: String,
    bytes: Vec<u8>,
}

/// The run's messages and what became of them.
#[derive(Default)]
struct Batch {
    messages: usize,
    duplicates: usize,
    unaddressed: usize,
    list_posts: usize,
    /// Recipients dropped because they are at a forged sender's domain.
    excluded: usize,
    /// One complaint per message and contact (without --digest).
    singles: Vec<Outgoing>,
    /// With --digest: per contact (its domain), the messages.
    by_contact: Vec<(String, Vec<String>, Vec<usize>)>,
    /// With --digest: what the digest says of each message.
    kept: Vec<DigestItem>,
    /// With --sites: one complaint per message and hosting or registrar desk.
    sites: Vec<Outgoing>,
}

struct DigestItem {
    report: spamtrace::Report,
    header: Vec<u8>,
    body: Option<Vec<u8>>,
}

/// The header block for mail-parser: without an mbox `From ` line that
/// a message file may start with (mail-parser then reads no field at all).
fn header_fields(msg: &spamtrace::RawMessage) -> Vec<u8> {
    let h = msg.header.as_slice();
    let h = if h.starts_with(b"From ") {
        let nl = memchr::memchr(b'\n', h).map_or(h.len(), |i| i + 1);
        &h[nl..]
    } else {
        h
    };
    // With the blank line that ends it: mail-parser wants the end seen.
    let mut v = h.to_vec();
    v.extend_from_slice(b"\n\n");
    v
}

/// Same Message-ID and same body (or header, when there is no body):
/// the same message.
fn dedupe_key(msg: &spamtrace::RawMessage) -> (String, [u8; 32]) {
    let id = mail_parser::MessageParser::default()
        .parse_headers(&header_fields(msg))
        .and_then(|m| m.message_id().map(str::to_string))
        .unwrap_or_default();
    let hashed: &[u8] = msg.body.as_deref().unwrap_or(&msg.header);
    (id, Sha256::digest(hashed).into())
}

/// The forged sender's domains: From, Reply-To, Sender and Message-ID.
/// Nothing is ever sent there (a forged sender names an innocent party).
///
/// Read from the raw fields, every `@domain` in them: mail-parser 0.11
/// gives no From at all for some spam headers (a bare `From: x@y` after
/// a malformed Date, in spamassassin_public), and here missing a domain
/// is worse than excluding one too many.
fn sender_domains(msg: &spamtrace::RawMessage) -> Exclusions {
    let mut ex = Exclusions::default();
    let text = String::from_utf8_lossy(&msg.header);
    let mut fields: Vec<String> = Vec::new();
    for line in text.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some(last) = fields.last_mut() {
                last.push(' ');
                last.push_str(line.trim());
            }
        } else {
            fields.push(line.to_string());
        }
    }
    for f in fields {
        let Some((name, value)) = f.split_once(':') else {
            continue;
        };
        let name = name.trim().to_ascii_lowercase();
        if !matches!(name.as_str(), "from" | "reply-to" | "sender" | "message-id") {
            continue;
        }
        for (i, _) in value.match_indices('@') {
            let d: String = value[i + 1..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
                .collect();
            let d = d.trim_matches('.');
            if d.contains('.') {
                ex.add(d);
            }
        }
    }
    ex
}

fn domain_of(a: &str) -> String {
    let addr = Mailbox::parse(a)
        .map(|m| m.address)
        .unwrap_or_else(|_| a.to_string());
    let d = addr
        .rsplit_once('@')
        .map_or("", |(_, d)| d)
        .to_ascii_lowercase();
    spamtrace::util::domain::registrable(&d).unwrap_or(d)
}

fn plain(a: &str) -> String {
    Mailbox::parse(a)
        .map(|m| m.address)
        .unwrap_or_else(|_| a.to_string())
}

impl Batch {
    fn add(
        &mut self,
        report: spamtrace::Report,
        msg: spamtrace::RawMessage,
        args: &ComplainArgs,
        copts: &complaint::ComplaintOptions,
    ) {
        if args.sites {
            self.add_sites(&report, &msg, args, copts);
        }
        if complaint::is_list_post(&report) && !args.force {
            self.list_posts += 1;
        }
        let mut rcpt = Addressing::new(&report, copts, &args.to, &args.cc);
        let list_post = complaint::is_list_post(&report) && !args.force;
        if args.include_guesses && args.to.is_empty() && !list_post {
            for c in &report.abuse_contacts {
                if c.role == "first_untrusted_relay"
                    && c.confidence == "guess"
                    && address::is_safe(&c.address)
                    && !rcpt
                        .to
                        .iter()
                        .chain(rcpt.cc.iter())
                        .any(|t| t.eq_ignore_ascii_case(&c.address))
                {
                    // A postmaster@ is a copy, as for confirmed contacts.
                    if c.scope == complaint::RELAY_POSTMASTER {
                        rcpt.cc.push(c.address.clone());
                    } else {
                        rcpt.to.push(c.address.clone());
                    }
                }
            }
        }
        let ex = sender_domains(&msg);
        for list in [&mut rcpt.to, &mut rcpt.cc] {
            let before = list.len();
            list.retain(|a| !ex.excludes(&plain(a)));
            self.excluded += before - list.len();
        }
        if rcpt.is_empty() {
            self.unaddressed += 1;
            return;
        }
        // One complaint per contact: the addresses of one domain are one
        // contact (abuse@ in To, its postmaster@ in Cc); --to (or --cc
        // alone) is one contact, the one the user chose.
        let mut groups: Vec<(String, Addressing)> = Vec::new();
        if !args.to.is_empty() || rcpt.to.is_empty() {
            let first = rcpt
                .to
                .first()
                .or(rcpt.cc.first())
                .cloned()
                .unwrap_or_default();
            groups.push((domain_of(&first), rcpt.clone()));
        } else {
            for t in &rcpt.to {
                let d = domain_of(t);
                match groups.iter_mut().find(|(gd, _)| *gd == d) {
                    Some((_, g)) => g.to.push(t.clone()),
                    None => groups.push((
                        d,
                        Addressing {
                            to: vec![t.clone()],
                            cc: Vec::new(),
                        },
                    )),
                }
            }
            for c in &rcpt.cc {
                let d = domain_of(c);
                match groups.iter_mut().find(|(gd, _)| *gd == d) {
                    Some((_, g)) => g.cc.push(c.clone()),
                    // A --cc copy goes with the first contact.
                    None => {
                        if let Some((_, g)) = groups.first_mut() {
                            g.cc.push(c.clone())
                        }
                    }
                }
            }
        }
        if args.digest {
            let idx = self.kept.len();
            for (d, g) in &groups {
                match self.by_contact.iter_mut().find(|(cd, _, _)| cd == d) {
                    Some((_, _, v)) => v.push(idx),
                    None => {
                        let mut all = g.to.clone();
                        all.extend(g.cc.iter().cloned());
                        self.by_contact.push((d.clone(), all, vec![idx]));
                    }
                }
            }
            self.kept.push(DigestItem {
                report,
                header: msg.header,
                body: if args.include_body { msg.body } else { None },
            });
            return;
        }
        for (_, g) in groups {
            let bytes = if args.arf {
                arf::render_to(&report, &msg, copts, &g)
            } else {
                message::text(&report, &msg, copts, &g).into_bytes()
            };
            let mut all: Vec<String> = g.to.iter().chain(g.cc.iter()).map(|a| plain(a)).collect();
            all.dedup();
            self.singles.push(Outgoing {
                rcpt: all,
                message_id: header_message_id(&bytes),
                bytes,
            });
        }
    }

    /// The complaints to the desks of the sites `report` advertises: each
    /// to its desk, with the --cc copies (--to addresses the relay
    /// complaint only).
    fn add_sites(
        &mut self,
        report: &spamtrace::Report,
        msg: &spamtrace::RawMessage,
        args: &ComplainArgs,
        copts: &complaint::ComplaintOptions,
    ) {
        for desk in sites::desks(report) {
            let mut cc: Vec<String> = Vec::new();
            for a in &args.cc {
                if let Ok(m) = Mailbox::parse(a) {
                    if !m.address.eq_ignore_ascii_case(&desk.address) {
                        cc.push(m.to_header());
                    }
                }
            }
            let rcpt = Addressing {
                to: vec![desk.address.clone()],
                cc,
            };
            let bytes = sites::complaint(report, msg, copts, &desk, &rcpt, args.arf);
            let mut all: Vec<String> = rcpt
                .to
                .iter()
                .chain(rcpt.cc.iter())
                .map(|a| plain(a))
                .collect();
            all.dedup();
            self.sites.push(Outgoing {
                rcpt: all,
                message_id: header_message_id(&bytes),
                bytes,
            });
        }
    }

    fn digests(
        &mut self,
        args: &ComplainArgs,
        copts: &complaint::ComplaintOptions,
    ) -> Vec<Outgoing> {
        let mut out = Vec::new();
        for (_, rcpt, idx) in &self.by_contact {
            let items: Vec<&DigestItem> = idx.iter().map(|i| &self.kept[*i]).collect();
            out.push(digest(rcpt, &items, args, copts));
        }
        out
    }
}

fn contacts(c: &[Outgoing]) -> usize {
    let mut d: Vec<String> = c
        .iter()
        .filter_map(|o| o.rcpt.first())
        .map(|a| a.to_ascii_lowercase())
        .collect();
    d.sort();
    d.dedup();
    d.len()
}

/// The Message-ID of a message we rendered (without brackets).
fn header_message_id(bytes: &[u8]) -> String {
    let end = memchr::memmem::find(bytes, b"\n\n").unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end])
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("message-id")
                .then(|| v.trim().trim_matches(['<', '>']).to_string())
        })
        .unwrap_or_default()
}

/// One complaint for one contact covering several messages: a text part
/// (per message its relay IP, time and evidence) and each original
/// attached, as text/rfc822-headers or, with --include-body, message/rfc822.
fn digest(
    rcpt: &[String],
    items: &[&DigestItem],
    args: &ComplainArgs,
    copts: &complaint::ComplaintOptions,
) -> Outgoing {
    let clean = arf::clean_value;
    let (from, domain) = message::reporter(args.reporter.as_deref());
    let id = format!(
        "spamtrace.digest.{}.{}@{domain}",
        copts.now,
        message::random_hex(8)
    );
    let boundary = format!("spamtrace-digest-{}", message::random_hex(12));
    let mut s = String::new();
    if let Some(f) = &from {
        s.push_str(&format!("From: {}\n", f.to_header()));
    }
    let to: Vec<&String> = rcpt.iter().take(1).collect();
    s.push_str(&format!(
        "To: {}\n",
        to.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", ")
    ));
    if rcpt.len() > 1 {
        s.push_str(&format!("Cc: {}\n", rcpt[1..].join(", ")));
    }
    let mut ips: Vec<String> = items
        .iter()
        .filter_map(|i| {
            i.report
                .first_untrusted_relay
                .as_ref()?
                .ip
                .map(|ip| ip.to_string())
        })
        .collect();
    ips.sort();
    ips.dedup();
    let shown: Vec<&str> = ips.iter().take(5).map(String::as_str).collect();
    s.push_str(&format!(
        "Subject: Abuse report: {} spam messages from {}{}\n",
        items.len(),
        shown.join(", "),
        if ips.len() > 5 { ", ..." } else { "" }
    ));
    let date = mail_parser::DateTime::from_timestamp(copts.now).to_rfc822();
    s.push_str(&format!(
        "Date: {date}\nMessage-ID: <{id}>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"{boundary}\"\n\n"
    ));
    s.push_str("This is a digest of spam reports in MIME format.\n\n");
    s.push_str(&format!("--{boundary}\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"));
    s.push_str(&format!(
        "Hello,\n\nthe {} messages below reached us from a network your address is the abuse contact of.\nFor each: the relay that handed it to our first trusted server, when, and the evidence.\nThe originals are attached ({}).\n\n",
        items.len(),
        if args.include_body { "whole messages" } else { "headers only" }
    ));
    for (n, it) in items.iter().enumerate() {
        let r = &it.report;
        let relay = r.first_untrusted_relay.as_ref();
        let ip = relay
            .and_then(|x| x.ip)
            .map_or("unknown".into(), |i| i.to_string());
        let rdns = relay
            .and_then(|x| x.rdns.as_deref())
            .map(|d| format!(" ({})", clean(d)))
            .unwrap_or_default();
        let at = relay
            .and_then(|x| x.received_at.as_deref())
            .map_or("unknown time".into(), clean);
        s.push_str(&format!("{}. {ip}{rdns} at {at}\n", n + 1));
        if let Some(mid) = &r.message.message_id {
            s.push_str(&format!("   Message-ID: {}\n", clean(mid)));
        }
        if let Some(subj) = &r.message.subject {
            let mut subj = clean(subj);
            subj.truncate(subj.floor_char_boundary(120));
            s.push_str(&format!("   Subject: {subj}\n"));
        }
        for f in r
            .findings
            .iter()
            .filter(|f| f.severity != spamtrace::Severity::Info)
            .take(8)
        {
            let mut m = clean(&f.message);
            m.truncate(m.floor_char_boundary(200));
            s.push_str(&format!("   {:?}: {m}\n", f.code));
        }
        s.push('\n');
    }
    if let Some(f) = &from {
        s.push_str(&format!("-- \nReported by {} with spamtrace\n", f.address));
    }
    for it in items {
        let ctype = if it.body.is_some() {
            "message/rfc822"
        } else {
            "text/rfc822-headers"
        };
        s.push_str(&format!("\n--{boundary}\nContent-Type: {ctype}\nContent-Disposition: attachment\nContent-Transfer-Encoding: 8bit\n\n"));
        let mut orig = String::from_utf8_lossy(&it.header).replace("\r\n", "\n");
        if let Some(b) = &it.body {
            orig.push_str("\n\n");
            orig.push_str(&String::from_utf8_lossy(b).replace("\r\n", "\n"));
        }
        // The boundary is random; a message that happens to carry it
        // would end our part early: that line is defused.
        for line in orig.lines() {
            if line.starts_with("--") && line.contains(&boundary) {
                s.push(' ');
            }
            s.push_str(line);
            s.push('\n');
        }
    }
    s.push_str(&format!("\n--{boundary}--\n"));
    Outgoing {
        rcpt: rcpt.iter().map(|a| plain(a)).collect(),
        message_id: id,
        bytes: s.into_bytes(),
    }
}

fn write_stdout(c: &[Outgoing]) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    let terminal = std::io::stdout().is_terminal();
    let mut out = Vec::new();
    if c.len() == 1 {
        // One complaint: the message itself, for `sendmail -t -i`.
        out.extend_from_slice(&c[0].bytes);
    } else {
        // Several: an mbox stream (mboxrd quoting of `From ` lines).
        for o in c {
            out.extend_from_slice(b"From spamtrace@localhost Thu Jan  1 00:00:00 1970\n");
            for line in o.bytes.split_inclusive(|b| *b == b'\n') {
                let rest = line
                    .iter()
                    .skip_while(|b| **b == b'>')
                    .copied()
                    .collect::<Vec<u8>>();
                if rest.starts_with(b"From ") {
                    out.push(b'>');
                }
                out.extend_from_slice(line);
            }
            if !o.bytes.ends_with(b"\n") {
                out.push(b'\n');
            }
            out.push(b'\n');
        }
    }
    // The report carries the message's own bytes (headers as evidence):
    // fine for `sendmail -t`, not for a terminal, where they could be
    // escape sequences.
    let out = if terminal {
        terminal_copy_note();
        bytes_for_terminal(&out).into_bytes()
    } else {
        out
    };
    match stdout.write_all(&out).and_then(|_| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!(
                "spamtrace: cannot write output: {}",
                for_terminal(&e.to_string())
            );
            ExitCode::from(1)
        }
    }
}

/// Said when stdout is a terminal: what it shows is not the exact report.
fn terminal_copy_note() {
    eprintln!("spamtrace: stdout is a terminal: control characters of the message are shown escaped (\\u{{..}}); redirect to a file or a pipe for the exact bytes");
}

fn write_out(dir: &std::path::Path, c: &[Outgoing]) -> ExitCode {
    if let Err(e) = std::fs::create_dir_all(dir) {
        eprintln!("spamtrace: --out {}: {e}", dir.display());
        return ExitCode::from(1);
    }
    for (n, o) in c.iter().enumerate() {
        let d: String = o
            .rcpt
            .first()
            .map(|a| domain_of(a))
            .unwrap_or_default()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
            .collect();
        let p = dir.join(format!("{:04}-{d}.eml", n + 1));
        if let Err(e) = std::fs::write(&p, &o.bytes) {
            eprintln!("spamtrace: {}: {e}", p.display());
            return ExitCode::from(1);
        }
    }
    eprintln!(
        "spamtrace: {} complaints written to {}",
        c.len(),
        dir.display()
    );
    ExitCode::SUCCESS
}

/// LF to CRLF (SMTP's line end), leaving CRLF as it is.
fn crlf(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len() + b.len() / 32);
    let mut prev = 0u8;
    for &x in b {
        if x == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(x);
        prev = x;
    }
    out
}

/// `--send`: show, ask (on a terminal, unless --yes), queue.
fn send(args: &ComplainArgs, c: &[Outgoing], now: i64) -> ExitCode {
    let summary = |w: &mut dyn Write| {
        for o in c {
            let _ = writeln!(
                w,
                "  {}  to {}",
                for_terminal(&o.message_id),
                for_terminal(&o.rcpt.join(", "))
            );
        }
    };
    if args.dry_run {
        eprintln!(
            "spamtrace: --dry-run: {} complaints would be queued:",
            c.len()
        );
        summary(&mut std::io::stderr());
        return ExitCode::SUCCESS;
    }
    if c.len() > args.max_send && !args.yes {
        eprintln!(
            "spamtrace: {} complaints is more than --max-send {}: nothing queued (raise --max-send, or --yes)",
            c.len(),
            args.max_send
        );
        return ExitCode::from(2);
    }
    if !args.yes {
        if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
            eprintln!(
                "spamtrace: --send without a terminal to ask on: give --yes to queue {} complaints",
                c.len()
            );
            return ExitCode::from(2);
        }
        eprintln!("spamtrace: {} complaints would be queued:", c.len());
        summary(&mut std::io::stderr());
        eprint!("Queue them for sending? [y/N] ");
        let mut answer = String::new();
        let _ = std::io::stdin().read_line(&mut answer);
        if !matches!(answer.trim(), "y" | "Y" | "yes" | "YES") {
            eprintln!("spamtrace: nothing queued");
            return ExitCode::from(1);
        }
    }
    let spool = match super::queue::open(args.queue.as_deref()) {
        Ok(s) => s,
        Err(e) => return super::usage_error(&e),
    };
    let from = args
        .reporter
        .as_deref()
        .and_then(|r| Mailbox::parse(r).ok())
        .map(|m| m.address)
        .unwrap_or_default();
    let mut queued = 0;
    let mut seq = 0;
    for o in c {
        let bytes = crlf(&o.bytes);
        // One entry per recipient domain: each domain has its own MX.
        let mut by_domain: Vec<(String, Vec<String>)> = Vec::new();
        for r in &o.rcpt {
            let d = r
                .rsplit_once('@')
                .map_or("", |(_, d)| d)
                .to_ascii_lowercase();
            match by_domain.iter_mut().find(|(x, _)| *x == d) {
                Some((_, v)) => v.push(r.clone()),
                None => by_domain.push((d, vec![r.clone()])),
            }
        }
        for (_, to) in by_domain {
            seq += 1;
            let e = spamtrace::queue::Entry {
                id: spamtrace::queue::spool::new_id(now, seq),
                from: from.clone(),
                to,
                message_id: o.message_id.clone(),
                created: spamtrace::util::clock::unix_now(),
                next_try: 0,
                attempts: Vec::new(),
                message: bytes.clone(),
            };
            if let Err(err) = spool.enqueue(&e) {
                eprintln!("spamtrace: queue {}: {err}", spool.root().display());
                return ExitCode::from(1);
            }
            queued += 1;
        }
    }
    eprintln!(
        "spamtrace: {queued} queued in {} (deliver with: spamtrace queue run)",
        spool.root().display()
    );
    ExitCode::SUCCESS
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
