//! The ARF report (RFC 5965): `multipart/report; report-type=feedback-report`
//! with a human-readable part, a `message/feedback-report` part and the
//! original as `message/rfc822` (`text/rfc822-headers` without
//! `--include-body`), with From, To, Subject, Date and Message-ID set so
//! `sendmail -t` can send it as is.
//!
//! mail-auth's `Feedback::to_arf` writes the report fields; we assemble the
//! MIME ourselves, because its `to_rfc5322` may quoted-printable the
//! message/rfc822 part, which RFC 2046 forbids (5.2.1: 7bit, 8bit or binary
//! only). Every value copied from the message into a header goes through
//! [`clean_value`] (controls neutralised, ASCII only, bounded), and the
//! boundary is chosen so that no part contains it.

use super::complaint::{self, ComplaintOptions};
use super::message::Addressing;
use crate::enrich::abuse::address;
use crate::input::RawMessage;
use crate::model::Report;
use crate::parse::authres::parse_authentication_results;
use crate::parse::headers;
use crate::util::sanitize::for_header;
use mail_auth::report::{Feedback, FeedbackType};
use sha2::{Digest, Sha256};
use std::fmt::Write as _;

/// Longest value copied from a message into one header field.
const MAX_VALUE: usize = 900;

/// A value safe in a header we write: no control characters (so no CR/LF
/// to start a new field), ASCII only, at most [`MAX_VALUE`] characters.
pub fn clean_value(s: &str) -> String {
    let s: String = for_header(s)
        .chars()
        .map(|c| if c.is_ascii() { c } else { '?' })
        .take(MAX_VALUE)
        .collect();
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Fold one `Name: value` line at spaces to lines of at most 78 characters
/// where possible (RFC 5322 2.2.3), joined with CRLF.
fn fold(line: &str) -> String {
    fold_lines(line, "\r\n")
}

/// [`fold`] with the line end `eol` (LF for a local submission, CRLF for
/// the ARF report), ended by one.
pub(super) fn fold_lines(line: &str, eol: &str) -> String {
    let mut out = String::new();
    let mut cur = String::new();
    for word in line.split(' ') {
        if !cur.is_empty() && cur.len() + 1 + word.len() > 78 {
            out.push_str(&cur);
            out.push_str(eol);
            cur = String::from(" ");
        } else if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    out.push_str(&cur);
    out.push_str(eol);
    out
}

/// Normalise line endings to CRLF. A bare LF (mbox) is a line end; a bare
/// CR is not (mail readers differ on it, so it could split one header into
/// two in the copy): it becomes a space.
fn crlf(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 32);
    let mut i = 0;
    while i < data.len() {
        match data[i] {
            b'\r' if data.get(i + 1) == Some(&b'\n') => {
                out.extend_from_slice(b"\r\n");
                i += 2;
                continue;
            }
            b'\r' => out.push(b' '),
            b'\n' => out.extend_from_slice(b"\r\n"),
            b => out.push(b),
        }
        i += 1;
    }
    out
}

/// Break lines longer than `max` characters (SMTP allows 998 octets): a
/// hostile host name in a finding must not make the report unsendable.
/// LF line ends as CRLF (the canonical form of a message part); a bare CR
/// is kept, since the original must stay the bytes that were received.
fn crlf_keep_cr(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 32);
    for (i, b) in data.iter().enumerate() {
        if *b == b'\n' && (i == 0 || data[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(*b);
    }
    out
}

fn hard_wrap(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let mut n = 0;
        for c in line.chars() {
            if n >= max && c != '\n' {
                out.push('\n');
                n = 0;
            }
            out.push(c);
            n += 1;
        }
    }
    out
}

/// What the report says when the original travels base64.
pub const ORIGINAL_ENCODED: &str = "the original, base64 because it has 8-bit or UTF-8 bytes, NUL, bare CR or lines over 998 octets, which relays change; decoded it is the message as received";

/// Whether a part can travel as 7bit through any relay: ASCII without NUL
/// or bare CR, every line at most 998 octets (RFC 5322 2.1.1).
fn travels_as_is(data: &[u8]) -> bool {
    data.is_ascii()
        && !data.contains(&0)
        && data.split(|b| *b == b'\n').all(|l| {
            let l = l.strip_suffix(b"\r").unwrap_or(l);
            l.len() <= 998 && !l.contains(&b'\r')
        })
}

/// Base64 in lines of 76 characters (RFC 2045 6.8), each ending CRLF.
fn base64_lines(data: &[u8]) -> Vec<u8> {
    use base64::Engine as _;
    let text = base64::engine::general_purpose::STANDARD.encode(data);
    let mut out = Vec::with_capacity(text.len() + text.len() / 38 + 2);
    for chunk in text.as_bytes().chunks(76) {
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// `write!` into a byte buffer.
struct StrBuf<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for StrBuf<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// A boundary no part contains: RFC 2046 5.1.1 bchars, at most 70.
fn boundary(wanted: Option<&str>, seed: &[u8], parts: &[&[u8]]) -> String {
    let ok = |b: &str| {
        !b.is_empty()
            && b.len() <= 60
            && b.chars()
                .all(|c| c.is_ascii_alphanumeric() || "'()+_,-./:=?".contains(c))
    };
    let mut b = match wanted.filter(|w| ok(w)) {
        Some(w) => w.to_string(),
        None => {
            let d = Sha256::digest(seed);
            let hex: String = d[..12].iter().map(|x| format!("{x:02x}")).collect();
            format!("=_spamtrace_{hex}")
        }
    };
    let mut n = 0;
    while parts
        .iter()
        .any(|p| memchr::memmem::find(p, format!("--{b}").as_bytes()).is_some())
    {
        n += 1;
        b = format!("{b}.{n}");
    }
    b
}

/// The Authentication-Results the report believes, quoted: for each
/// authserv-id of a trusted verdict (`report.auth_results`, judged once by
/// checks::auth_results), the top header that carries it.
fn trusted_auth_results(r: &Report, msg: &RawMessage) -> Vec<String> {
    let trusted: Vec<&str> = r
        .auth_results
        .iter()
        .filter(|v| v.trusted && v.header == "authentication-results")
        .filter_map(|v| v.authserv_id.as_deref())
        .collect();
    let mut quoted: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for f in headers::fields(&msg.header) {
        if !f.is("authentication-results") {
            continue;
        }
        let text = f.text();
        let (id, _) = parse_authentication_results(&text);
        let Some(id) = id.filter(|id| trusted.contains(&id.as_str())) else {
            continue;
        };
        if quoted.contains(&id) {
            continue;
        }
        quoted.push(id);
        out.push(clean_value(&text));
    }
    out
}

/// A report about advertised sites: its Feedback-Type and the
/// Reported-Domain / Reported-URI fields (RFC 5965 3.2) it carries instead
/// of the relay operator's domains.
#[derive(Debug, Clone, Default)]
pub struct SiteFields {
    /// A phish: `fraud`; else `abuse`.
    pub fraud: bool,
    pub domains: Vec<String>,
    /// The URLs, exact (at most a few).
    pub uris: Vec<String>,
}

/// The report fields (RFC 5965 section 3.1), through mail-auth.
fn feedback_fields(
    r: &Report,
    msg: &RawMessage,
    opts: &ComplaintOptions,
    site: Option<&SiteFields>,
) -> String {
    let kind = match site {
        Some(s) if s.fraud => FeedbackType::Fraud,
        _ => FeedbackType::Abuse,
    };
    let mut fb = Feedback::new(kind)
        .with_version(1)
        .with_user_agent(format!("spamtrace/{}", env!("CARGO_PKG_VERSION")));
    if let Some(relay) = &r.first_untrusted_relay {
        if let Some(ip) = relay.ip {
            fb = fb.with_source_ip(ip);
        }
        if let Some(ts) = r.hops.get(relay.hop).and_then(|h| h.timestamp.as_ref()) {
            fb = fb.with_arrival_date(ts.epoch);
        }
        // Reporting-MTA names the reporter's own MTA (RFC 5965 3.2): never
        // the server of a provider that hosts the recipient's mailbox.
        let own = matches!(
            crate::report::owner::runner(r, relay.received_by.as_deref()),
            crate::report::owner::Runner::Own(_)
        );
        if let Some(by) = relay.received_by.as_ref().filter(|_| own) {
            fb = fb.with_reporting_mta(clean_value(by));
        }
    }
    let mail_from = r
        .message
        .envelope_from
        .as_deref()
        .or(r.message.return_path.as_deref())
        .map(|a| a.trim().trim_matches(['<', '>']).to_string());
    if let Some(a) = mail_from.filter(|a| !a.is_empty()) {
        fb = fb.with_original_mail_from(format!("<{}>", clean_value(&a)));
    }
    if let Some(rcpt) = complaint::recipient_addresses(msg, r).first() {
        let rcpt = match &opts.redact {
            Some(key) => complaint::redact_address(rcpt, key),
            None => rcpt.clone(),
        };
        fb = fb.with_original_rcpt_to(format!("<{}>", clean_value(&rcpt)));
    }
    let mut domains: Vec<String> = Vec::new();
    if let Some(s) = site {
        domains.extend(s.domains.iter().cloned());
        for u in &s.uris {
            let u = clean_value(u);
            if !u.is_empty() && !u.contains(' ') {
                fb = fb.with_reported_uri(u);
            }
        }
    }
    for c in complaint::recipients(&r.abuse_contacts)
        .into_iter()
        .filter(|_| site.is_none())
    {
        if c.scope == "relay_operator" {
            if let Some((_, d)) = c.address.rsplit_once('@') {
                if !domains.iter().any(|x| x == d) {
                    domains.push(d.to_string());
                }
            }
        }
    }
    for d in domains {
        fb = fb.with_reported_domain(clean_value(&d));
    }
    for ar in trusted_auth_results(r, msg) {
        fb = fb.with_authentication_results(ar);
    }
    fb.to_arf()
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .map(fold)
        .collect()
}

/// The whole report message, as bytes (the original may be 8-bit),
/// addressed to the contacts found.
pub fn render(r: &Report, msg: &RawMessage, opts: &ComplaintOptions) -> Vec<u8> {
    render_to(r, msg, opts, &Addressing::new(r, opts, &[], &[]))
}

/// [`render`], addressed as `rcpt` says (`complain --to/--cc`).
pub fn render_to(
    r: &Report,
    msg: &RawMessage,
    opts: &ComplaintOptions,
    rcpt: &Addressing,
) -> Vec<u8> {
    let human = complaint::summary_for(r, msg, opts);
    let subject = format!("Abuse report: {}", clean_value(&complaint::subject(r)));
    render_parts(r, msg, opts, rcpt, &human, &subject, None)
}

/// An ARF report with its own human-readable part and Subject, and for a
/// report about advertised sites, its fields ([`SiteFields`]).
pub fn render_parts(
    r: &Report,
    msg: &RawMessage,
    opts: &ComplaintOptions,
    rcpt: &Addressing,
    human: &str,
    subject: &str,
    site: Option<&SiteFields>,
) -> Vec<u8> {
    // The CLI refuses a reporter that does not parse; here it falls back.
    let from = opts
        .reporter
        .as_deref()
        .and_then(|r| address::Mailbox::parse(r).ok())
        .unwrap_or_else(|| address::Mailbox {
            name: None,
            address: "spamtrace@localhost".to_string(),
        });
    let from_domain = from
        .address
        .rsplit_once('@')
        .map_or("localhost", |(_, d)| d);
    let (to, cc) = (&rcpt.to, &rcpt.cc);

    let human = crlf(hard_wrap(human, 900).as_bytes());
    let fields = feedback_fields(r, msg, opts, site).into_bytes();
    let (header, body) = complaint::copied_message(msg, r, opts);
    let mut original = crlf_keep_cr(header.trim_ascii_end());
    original.extend_from_slice(b"\r\n");
    if let Some(b) = &body {
        original.extend_from_slice(b"\r\n");
        original.extend_from_slice(&crlf_keep_cr(b));
        if !original.ends_with(b"\r\n") {
            original.extend_from_slice(b"\r\n");
        }
    }
    // A relay without 8BITMIME re-encodes 8-bit parts, one without SMTPUTF8
    // bounces UTF-8 headers, and every relay folds lines over 998 octets:
    // such an original travels base64, and decoded it is the bytes we copied.
    let encode = !travels_as_is(&original);
    let original_type = match (&body, encode) {
        (Some(_), false) => "message/rfc822",
        // RFC 6532 3.7: message/global may be base64; message/rfc822 may not
        // (RFC 2046 5.2.1).
        (Some(_), true) => "message/global",
        (None, _) => "text/rfc822-headers",
    };

    let mut seed = opts.now.to_le_bytes().to_vec();
    seed.extend_from_slice(&msg.header);
    let boundary = boundary(
        opts.boundary.as_deref(),
        &seed,
        &[&human, &fields, &original],
    );
    let message_id = opts
        .message_id
        .as_deref()
        .map(clean_value)
        .filter(|m| !m.is_empty() && !m.contains(['<', '>', ' ']))
        .unwrap_or_else(|| super::message::message_id(opts.now, from_domain, &seed));

    let mut head = String::new();
    head.push_str(&fold(&format!("From: {}", from.to_header())));
    head.push_str(&fold(&if to.is_empty() {
        "To: undisclosed-recipients:;".to_string()
    } else {
        format!("To: {}", to.join(", "))
    }));
    if !cc.is_empty() {
        head.push_str(&fold(&format!("Cc: {}", cc.join(", "))));
    }
    head.push_str(&fold(&format!("Subject: {}", clean_value(subject))));
    let date = mail_parser::DateTime::from_timestamp(opts.now).to_rfc822();
    let _ = write!(head, "Date: {date}\r\nMessage-ID: <{message_id}>\r\n");
    head.push_str("MIME-Version: 1.0\r\n");
    let _ = write!(
        head,
        "Content-Type: multipart/report; report-type=feedback-report;\r\n\tboundary=\"{boundary}\"\r\n\r\n"
    );
    head.push_str("This is an abuse report in the Abuse Reporting Format (RFC 5965).\r\n");

    let mut out = head.into_bytes();
    let mut part = |ctype: &str, data: &[u8], description: Option<&str>| {
        let base64 = !travels_as_is(data);
        let _ = write!(
            StrBuf(&mut out),
            "\r\n--{boundary}\r\nContent-Type: {ctype}\r\n"
        );
        if let Some(d) = description.filter(|_| base64) {
            out.extend_from_slice(fold(&format!("Content-Description: {d}")).as_bytes());
        }
        if base64 {
            out.extend_from_slice(b"Content-Transfer-Encoding: base64\r\n\r\n");
            out.extend_from_slice(&base64_lines(data));
        } else {
            out.extend_from_slice(b"Content-Transfer-Encoding: 7bit\r\n\r\n");
            out.extend_from_slice(data);
        }
    };
    part("text/plain; charset=utf-8", &human, None);
    part("message/feedback-report", &fields, None);
    part(original_type, &original, Some(ORIGINAL_ENCODED));
    out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    out
}
