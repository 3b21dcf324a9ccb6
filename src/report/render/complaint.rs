//! The complaint for an abuse desk, as plain text: the IP and the time of
//! the transfer, why that IP, which hops are forged, whom to send it to, and
//! the original headers (the body only with `--include-body`; recipient
//! addresses redacted with `--redact`, RFC 6590).
//!
//! Everything copied from the message goes through
//! [`crate::util::sanitize::for_terminal`], line by line: the complaint is read on
//! terminals and pasted into mail.

use crate::input::RawMessage;
use crate::model::Severity;
use crate::model::{AbuseContact, Report};
use crate::parse::headers;
use crate::parse::message;
use crate::report::owner::{self, Runner};
use crate::util::sanitize::{for_header, for_terminal};
use sha2::{Digest, Sha256};
use std::fmt::Write as _;

/// Choices for the complaint and the ARF report.
#[derive(Debug, Clone, Default)]
pub struct ComplaintOptions {
    /// Include the message body (`--include-body`).
    pub include_body: bool,
    /// Redact recipient addresses (`--redact`) with this secret (may be empty).
    pub redact: Option<String>,
    /// The reporter (`--reporter`): a plain address or `Name <address>`
    /// (see [`crate::enrich::abuse::address::Mailbox`]); From of the ARF report and
    /// of the text complaint.
    pub reporter: Option<String>,
    /// The report time (Unix seconds); fixed by tests.
    pub now: i64,
    /// The report's Message-ID (without brackets); derived when `None`.
    pub message_id: Option<String>,
    /// The MIME boundary; derived when `None`.
    pub boundary: Option<String>,
    /// Write the complaint even against a mailing list's server (`--force`).
    pub force: bool,
}

/// The scope of an RFC 5321 `postmaster@` contact: never a main recipient.
pub const RELAY_POSTMASTER: &str = "relay_postmaster";

/// The recipients we suggest writing to (To): the first untrusted relay's
/// confirmed contacts, but not its postmaster@ (see [`cc`]). Guesses and
/// contacts for claimed hops are listed in the text, not addressed; an
/// address that is not plain is never one.
pub fn recipients(contacts: &[AbuseContact]) -> Vec<&AbuseContact> {
    contacts
        .iter()
        .filter(|c| c.role == "first_untrusted_relay" && c.confidence == "confirmed")
        .filter(|c| c.scope != RELAY_POSTMASTER)
        .filter(|c| crate::enrich::abuse::address::is_safe(&c.address))
        .collect()
}

/// Did a mailing list re-send the message (its server is then the first
/// untrusted relay)?
pub fn is_list_post(r: &Report) -> bool {
    owner::mailing_list(r).is_some()
}

/// The recipients of this complaint: [`recipients`], or nobody when the
/// first untrusted relay is a mailing list's server and `--force` was not
/// given (the list relayed a post; its operator is not the spammer).
pub fn addressed<'a>(r: &'a Report, opts: &ComplaintOptions) -> Vec<&'a AbuseContact> {
    if owner::mailing_list(r).is_some() && !opts.force {
        return Vec::new();
    }
    recipients(&r.abuse_contacts)
}

/// The copies we suggest (Cc): the first untrusted relay's confirmed
/// postmaster@ of a domain whose abuse@ is among the [`recipients`].
/// RFC 2142 abuse@ is a convention many domains lack; RFC 5321 requires
/// postmaster@, so a copy there reaches the operator even when abuse@
/// bounces, while abuse@ stays the addressee that abuse desks route on.
pub fn cc(contacts: &[AbuseContact]) -> Vec<&AbuseContact> {
    let to = recipients(contacts);
    let abuse_domain = |d: &str| {
        to.iter().any(|c| {
            c.address.rsplit_once('@').is_some_and(|(l, cd)| {
                l.eq_ignore_ascii_case("abuse") && cd.eq_ignore_ascii_case(d)
            })
        })
    };
    contacts
        .iter()
        .filter(|c| c.role == "first_untrusted_relay" && c.confidence == "confirmed")
        .filter(|c| c.scope == RELAY_POSTMASTER)
        .filter(|c| crate::enrich::abuse::address::is_safe(&c.address))
        .filter(|c| {
            c.address
                .rsplit_once('@')
                .is_some_and(|(_, d)| abuse_domain(d))
        })
        .filter(|c| {
            !to.iter()
                .any(|t| t.address.eq_ignore_ascii_case(&c.address))
        })
        .collect()
}

/// The receiver's original date text for the first untrusted relay: the
/// recorded original, else the text after the last `;` of its header.
pub(crate) fn relay_time_original(r: &Report) -> Option<String> {
    let relay = r.first_untrusted_relay.as_ref()?;
    if let Some(o) = relay
        .received_at_original
        .as_deref()
        .filter(|o| !o.is_empty())
    {
        return Some(o.to_string());
    }
    let raw = &r.hops.get(relay.hop)?.raw;
    raw.rsplit_once(';')
        .map(|(_, d)| d.trim().to_string())
        .filter(|d| !d.is_empty())
}

/// At most this many recipient addresses are redacted.
const MAX_REDACTED: usize = 32;

/// The recipient addresses of the message (To, Cc, Delivered-To,
/// X-Original-To, Envelope-To, Received `for`): what `--redact` hides.
pub(crate) fn recipient_addresses(msg: &RawMessage, r: &Report) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |a: &str| {
        let a = a.trim().trim_matches(['<', '>']).to_ascii_lowercase();
        // Bounded: each address costs a pass over the copy.
        if a.contains('@') && !out.contains(&a) && out.len() < MAX_REDACTED {
            out.push(a);
        }
    };
    for f in headers::fields(&msg.header) {
        if ["to", "cc", "delivered-to", "x-original-to", "envelope-to"]
            .iter()
            .any(|n| f.is(n))
        {
            for (_, a) in message::addresses(&f) {
                if let Some(a) = a {
                    add(&a);
                }
            }
        }
    }
    for h in &r.hops {
        if let Some(f) = &h.for_ {
            add(f);
        }
    }
    out
}

/// RFC 6590: the local part replaced by a keyed hash, the domain kept, so
/// the reporter can match reports to mailboxes and nobody else can.
pub fn redact_address(addr: &str, key: &str) -> String {
    let (local, domain) = addr.rsplit_once('@').unwrap_or((addr, ""));
    let mut h = Sha256::new();
    h.update(key.as_bytes());
    h.update([0]);
    h.update(local.to_ascii_lowercase().as_bytes());
    let digest = h.finalize();
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("redacted-{hex}@{domain}")
}

/// Replace every occurrence (ASCII case-insensitive) of each address. One
/// lowercased copy, one search per address, one output: linear in the size.
pub(crate) fn redact_bytes(data: &[u8], addrs: &[String], key: &str) -> Vec<u8> {
    let lower = data.to_ascii_lowercase();
    // (start, end, address index); the longest match wins at one position.
    let mut hits: Vec<(usize, usize, usize)> = Vec::new();
    for (i, a) in addrs.iter().enumerate().filter(|(_, a)| !a.is_empty()) {
        for at in memchr::memmem::find_iter(&lower, a.as_bytes()) {
            hits.push((at, at + a.len(), i));
        }
    }
    if hits.is_empty() {
        return data.to_vec();
    }
    hits.sort_by_key(|&(start, end, _)| (start, std::cmp::Reverse(end)));
    let tokens: Vec<String> = addrs.iter().map(|a| redact_address(a, key)).collect();
    let mut out = Vec::with_capacity(data.len() + hits.len() * 16);
    let mut last = 0;
    for (start, end, i) in hits {
        if start < last {
            continue; // inside an address already replaced
        }
        out.extend_from_slice(&data[last..start]);
        out.extend_from_slice(tokens[i].as_bytes());
        last = end;
    }
    out.extend_from_slice(&data[last..]);
    out
}

/// The header block and body as they will be copied: a leading mbox
/// `From ` line dropped, recipients redacted when asked.
pub(crate) fn copied_message(
    msg: &RawMessage,
    r: &Report,
    opts: &ComplaintOptions,
) -> (Vec<u8>, Option<Vec<u8>>) {
    let mut header = msg.header.as_slice();
    if header.starts_with(b"From ") {
        let end = memchr::memchr(b'\n', header).map_or(header.len(), |i| i + 1);
        header = &header[end..];
    }
    let body = if opts.include_body {
        msg.body.clone()
    } else {
        None
    };
    match &opts.redact {
        Some(key) => {
            let addrs = recipient_addresses(msg, r);
            (
                redact_bytes(header, &addrs, key),
                body.map(|b| redact_bytes(&b, &addrs, key)),
            )
        }
        None => (header.to_vec(), body),
    }
}

/// A one-line subject: the IP, its name and the time.
pub fn subject(r: &Report) -> String {
    match &r.first_untrusted_relay {
        Some(relay) => {
            let ip = relay
                .ip
                .map_or("an unknown address".into(), |i| i.to_string());
            let name = relay
                .rdns
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default();
            let at = relay
                .received_at
                .as_deref()
                .map(|t| format!(" at {t}"))
                .unwrap_or_default();
            match owner::mailing_list(r) {
                Some(l) => for_header(&format!(
                    "Mailing-list post ({}) relayed by {ip}{name}{at}",
                    l.name
                )),
                None => for_header(&format!("Spam from {ip}{name}{at}")),
            }
        }
        None => "Spam report".to_string(),
    }
}

/// The human-readable part: everything but the copy of the message.
pub fn summary(r: &Report) -> String {
    summary_with(r, false)
}

/// [`summary`]; `force`: the complaint is written against a mailing list's
/// server too (`--force`).
pub fn summary_with(r: &Report, force: bool) -> String {
    let t = for_terminal;
    let mut s = String::new();
    let Some(relay) = &r.first_untrusted_relay else {
        let _ = writeln!(
            s,
            "spamtrace found no untrusted relay in this message: {}.",
            t(&r.verdict)
        );
        return s;
    };
    let ip = relay
        .ip
        .map_or("an unknown address".into(), |i| i.to_string());
    let runner = owner::runner(r, relay.received_by.as_deref());
    let by = relay
        .received_by
        .as_deref()
        .unwrap_or("the receiving server");
    let list = owner::mailing_list(r);
    if let (Some(l), false) = (list, force) {
        let (we, server) = match &runner {
            Runner::Provider(p) => (
                format!("{p}, which hosts the recipient's mailbox,"),
                format!("its server {}", t(by)),
            ),
            Runner::Own(None) => ("We".to_string(), format!("our mail server {}", t(by))),
            Runner::Own(Some(w)) => (w.clone(), format!("its mail server {}", t(by))),
        };
        let _ = writeln!(
            s,
            "The message below is a post to the mailing list {}.\n\
             {we} received it from {ip}, the list's server:\n\
             {server} accepted it from there. The list relayed a post it did not write;\n\
             the poster's route is below it. This is not a complaint against the list.\n",
            t(&l.name)
        );
    } else {
        match &runner {
            Runner::Provider(p) => {
                let _ = writeln!(
                    s,
                    "The unsolicited message below was delivered to a mailbox hosted by\n\
                 {p}. {p}, which hosts the recipient's mailbox,\n\
                 recorded that its server {} accepted it over a TCP connection\n\
                 from {ip}, an address you are responsible for.\n",
                    t(by)
                );
            }
            Runner::Own(None) => {
                let _ = writeln!(
                    s,
                    "We received the unsolicited message below. Our mail server {} accepted it\n\
                 over a TCP connection from {ip}, an address you are responsible for.\n",
                    t(by)
                );
            }
            Runner::Own(Some(w)) => {
                let _ = writeln!(
                s,
                "{w} received the unsolicited message below. {w}'s mail server {} accepted it\n\
                 over a TCP connection from {ip}, an address you are responsible for.\n",
                t(by)
            );
            }
        }
    }
    if let (Some(l), true) = (list, force) {
        let _ = writeln!(
            s,
            "This message is a post to the mailing list {}: {ip} is the list's server,\n\
             which relayed a post it did not write. The poster's route is below it.\n",
            t(&l.name)
        );
    }
    for d in r.distribution.iter().filter(|d| d.kind == "forwarder") {
        let _ = writeln!(
            s,
            "The message was forwarded by {} ({}): {ip} may be the forwarder,\n\
             not the author.\n",
            t(&d.name),
            t(&d.signs.join(", "))
        );
    }
    let _ = writeln!(s, "  IP address:       {ip}");
    if let Some(n) = &relay.rdns {
        let _ = writeln!(s, "  Host name (rDNS): {}", t(n));
    }
    if let Some(n) = &relay.helo {
        let _ = writeln!(s, "  HELO name:        {}", t(n));
    }
    if let Some(net) = r
        .asn
        .iter()
        .find(|a| a.hop == relay.hop)
        .and_then(|a| a.label())
    {
        let _ = writeln!(s, "  Network:          {}", t(&net));
    }
    let _ = writeln!(s, "  Received by:      {} ({})", t(by), t(&runner.tag()));
    match &relay.received_at {
        Some(utc) => {
            let _ = writeln!(s, "  Date and time:    {} (UTC)", t(utc));
        }
        None => {
            let _ = writeln!(s, "  Date and time:    not recorded");
        }
    }
    if let Some(orig) = relay_time_original(r) {
        let _ = writeln!(
            s,
            "                    {} (as the receiver wrote it)",
            t(&orig)
        );
    }
    let _ = writeln!(s, "\nWhy this IP");
    let _ = write!(
        s,
        "  The Received header at hop {} was written by {},\n  \
         {}: it saw the connection from {ip}.",
        relay.hop,
        t(by),
        t(&runner.server())
    );
    if r.trust_steps.is_empty() {
        // Hop 0 is the boundary: no header above it had to be believed.
        let _ = writeln!(
            s,
            "\n  It is the topmost Received header: the receiving server\n  \
             added it itself when it accepted the message, so it rests on no other\n  \
             header and no trusted relay had to vouch for it."
        );
    } else {
        let _ = writeln!(s, "\n  The headers above it are believed because:");
        for step in &r.trust_steps {
            let _ = writeln!(s, "    hop {}: {}", step.hop, t(&step.reason));
        }
    }
    let below: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.hop.is_some_and(|h| h > relay.hop) && f.severity >= Severity::Warn)
        .collect();
    let _ = writeln!(s, "\nHeaders below that point are claims");
    if let Some(o) = &r.probable_origin {
        if o.hop != relay.hop {
            let oip = o.ip.map_or("an unknown address".into(), |i| i.to_string());
            let name = o.rdns.as_deref().or(o.helo.as_deref()).unwrap_or("");
            let _ = writeln!(
                s,
                "  Probable origin: {oip} {} (hop {}, {} confidence, {}).",
                t(name),
                o.hop,
                o.confidence.as_str(),
                crate::util::words::count(o.links, "consistent link")
            );
        }
    }
    if below.is_empty() {
        let _ = writeln!(s, "  No hop below the boundary was found forged.");
    }
    for f in below {
        let _ = writeln!(
            s,
            "  hop {}: {} ({}): {}",
            f.hop.unwrap_or(0),
            f.code,
            f.severity.as_str(),
            t(&f.message)
        );
    }
    if !r.accounts.is_empty() {
        let _ = writeln!(s, "\nAccounts");
        for a in &r.accounts {
            let what = match a.evidence.as_str() {
                "authenticated_sender" => "the authenticated sender its submission server recorded",
                "dkim_pass" => {
                    "From, with the provider's DKIM signature passing at a trusted server"
                }
                _ => "Reply-To: where the sender wants replies (a claim of the message)",
            };
            let role = if a.role == "sender" {
                "sent from"
            } else {
                "replies to"
            };
            let _ = writeln!(
                s,
                "  {role} the {} account {} ({what})",
                t(&a.provider),
                t(&a.address)
            );
            match &a.contact {
                Some(c) => {
                    let _ = writeln!(
                        s,
                        "    report the account to {} ({}; source: {})",
                        t(&c.address),
                        c.kind,
                        t(&c.source)
                    );
                }
                None => {
                    let _ = writeln!(
                        s,
                        "    no account-abuse contact of {} is known to spamtrace",
                        t(&a.provider)
                    );
                }
            }
        }
    }
    let _ = writeln!(s, "\nSuggested recipients");
    let list_only = list.is_some() && !force;
    if list_only {
        let _ = writeln!(
            s,
            "  none: the first untrusted relay is a mailing list's server, which relayed\n  \
             a post; a complaint to its operator is not suggested (use --force to write one).\n  \
             Report the poster (below), or leave the list."
        );
    }
    if r.abuse_contacts.is_empty() && !list_only {
        let _ = writeln!(s, "  none found (offline, or no contact published)");
    }
    let first_head = format!(
        "for the first untrusted relay (seen by {})",
        match &runner {
            Runner::Provider(p) => format!("{p}'s server"),
            Runner::Own(None) => "our server".to_string(),
            Runner::Own(Some(w)) => format!("{w}'s server"),
        }
    );
    for role in [
        "first_untrusted_relay",
        "intermediate_relay",
        "probable_origin",
    ] {
        let group: Vec<_> = r.abuse_contacts.iter().filter(|c| c.role == role).collect();
        if group.is_empty() {
            continue;
        }
        let head = match role {
            "first_untrusted_relay" => &first_head,
            "intermediate_relay" => "for a relay in between (from headers: a claim)",
            _ => "for the probable origin (from headers: a claim)",
        };
        let _ = writeln!(s, "  {head}:");
        for c in group {
            let _ = writeln!(
                s,
                "    {:<32} {} {}, {}, {}: {}",
                t(&c.address),
                c.for_ip.as_deref().unwrap_or(""),
                c.scope,
                c.source,
                c.confidence,
                t(&c.note)
            );
        }
    }
    let _ = writeln!(
        s,
        "\nThis report was prepared with spamtrace {}. Verdict: {}",
        env!("CARGO_PKG_VERSION"),
        t(&r.verdict)
    );
    s
}

/// [`summary`], with recipient addresses redacted when asked (a finding
/// may quote one).
pub(crate) fn summary_for(r: &Report, msg: &RawMessage, opts: &ComplaintOptions) -> String {
    let s = summary_with(r, opts.force);
    match &opts.redact {
        Some(key) => {
            let addrs = recipient_addresses(msg, r);
            String::from_utf8_lossy(&redact_bytes(s.as_bytes(), &addrs, key)).into_owned()
        }
        None => s,
    }
}

/// Copied lines, each made safe for a terminal.
fn push_lines(s: &mut String, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for line in text.split('\n') {
        let _ = writeln!(s, "{}", for_terminal(line.trim_end_matches('\r')));
    }
}

/// The complaint text.
pub fn render(r: &Report, msg: &RawMessage, opts: &ComplaintOptions) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "Subject: {}", subject(r));
    if let Some(from) = opts
        .reporter
        .as_deref()
        .and_then(|r| crate::enrich::abuse::address::Mailbox::parse(r).ok())
    {
        let _ = writeln!(s, "From: {}", for_terminal(&from.to_text()));
    }
    let to: Vec<&str> = addressed(r, opts)
        .iter()
        .map(|c| c.address.as_str())
        .collect();
    let _ = writeln!(
        s,
        "Suggested To: {}",
        if to.is_empty() {
            "(none found)".to_string()
        } else {
            for_terminal(&to.join(", "))
        }
    );
    let cc: Vec<&str> = if to.is_empty() {
        Vec::new()
    } else {
        cc(&r.abuse_contacts)
    }
    .iter()
    .map(|c| c.address.as_str())
    .collect();
    if !cc.is_empty() {
        let _ = writeln!(s, "Suggested Cc: {}", for_terminal(&cc.join(", ")));
    }
    s.push('\n');
    s.push_str(&summary_for(r, msg, opts));
    s.push_str(&super::sites::section(r));
    let (header, body) = copied_message(msg, r, opts);
    let _ = writeln!(s, "\n----- Original message headers -----");
    push_lines(&mut s, header.trim_ascii_end());
    if let Some(body) = body {
        let _ = writeln!(s, "----- Original message body -----");
        push_lines(&mut s, body.trim_ascii_end());
    }
    let _ = writeln!(s, "----- End of original message -----");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_every_case_and_prefers_the_longer_address() {
        let addrs = vec!["a@b.org".to_string(), "xa@b.org".to_string()];
        let out = redact_bytes(b"To: A@B.ORG, xa@b.org; a@b.orgy", &addrs, "k");
        let out = String::from_utf8(out).unwrap();
        let (a, xa) = (
            redact_address("a@b.org", "k"),
            redact_address("xa@b.org", "k"),
        );
        assert_eq!(out, format!("To: {a}, {xa}; {a}y"));
        assert_eq!(redact_bytes(b"nothing", &addrs, "k"), b"nothing");
    }
}
