//! The table for people: the route oldest -> newest with the delay per hop,
//! trust and the boundary marked, then the relay, the origin, the findings
//! and the verdict. Every value from the message goes through
//! [`crate::util::sanitize::for_terminal`]; the whole fits the terminal's width.

use crate::model::LinkStatus;
use crate::model::Report;
use crate::model::{Hop, HopKind, MessageDns, Severity};
use crate::report::owner;
use crate::util::clock::human_duration;
use crate::util::sanitize::for_terminal;
use comfy_table::{presets, Cell, Color, ColumnConstraint, ContentArrangement, Table, Width};
use std::fmt::Write as _;

/// Rendering choices.
#[derive(Debug, Clone, Copy)]
pub struct TableStyle {
    pub color: bool,
    /// Terminal width, when the caller knows it; otherwise detected.
    pub width: Option<u16>,
}

/// The width used when stdout is not a terminal and `COLUMNS` is unset.
pub const DEFAULT_WIDTH: u16 = 100;
/// Narrower than this and the table becomes unreadable; we stop shrinking.
const MIN_WIDTH: u16 = 60;
/// Labels of the summary lines are padded to this width.
const LABEL: usize = 15;

/// The width to render for: the caller's, `$COLUMNS`, the terminal's, or
/// [`DEFAULT_WIDTH`].
pub fn detect_width(requested: Option<u16>) -> u16 {
    let w = requested
        .or_else(|| {
            std::env::var("COLUMNS")
                .ok()
                .and_then(|c| c.trim().parse().ok())
        })
        .or_else(terminal_columns)
        .unwrap_or(DEFAULT_WIDTH);
    w.max(MIN_WIDTH)
}

/// The terminal's width when stdout is a terminal.
fn terminal_columns() -> Option<u16> {
    // SAFETY: TIOCGWINSZ only writes a `winsize` into the struct we pass.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) } == 0;
    (ok && ws.ws_col > 0).then_some(ws.ws_col)
}

fn cell(s: &str, color: Option<Color>, style: TableStyle) -> Cell {
    lines_cell(&[s.to_string()], color, style)
}

/// A cell of several lines, each sanitised on its own (so the line breaks
/// are ours, never the message's).
fn lines_cell(lines: &[String], color: Option<Color>, style: TableStyle) -> Cell {
    let text: Vec<String> = lines.iter().map(|l| for_terminal(l)).collect();
    let c = Cell::new(text.join("\n"));
    match color {
        Some(col) if style.color => c.fg(col),
        _ => c,
    }
}

fn opt(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("")
}

/// The sender of a hop, one fact per line: the address the receiver saw,
/// then the name it gave (HELO) and the name its address has (rDNS).
/// Separate lines keep the column narrow and names unbroken. An address
/// longer than `ip_room` (a long IPv6 address in a narrow table) is split
/// after a colon, never inside a group.
fn sender(h: &Hop, ip_room: usize) -> Vec<String> {
    match h.kind {
        HopKind::Unparsed => return vec![format!("(unparsed: {})", opt(&h.unparsed_reason))],
        HopKind::Local if h.from.helo.is_none() => return vec!["(local)".to_string()],
        _ => {}
    }
    let mut lines = match h.from.ip {
        Some(ip) => split_address(&ip.to_string(), ip_room),
        None => vec!["(no IP)".to_string()],
    };
    if let Some(helo) = &h.from.helo {
        lines.push(format!("helo={helo}"));
    }
    if let Some(rdns) = h.from.rdns.as_deref() {
        if !h
            .from
            .helo
            .as_deref()
            .is_some_and(|x| x.eq_ignore_ascii_case(rdns))
        {
            lines.push(format!("rdns={rdns}"));
        }
    }
    lines
}

/// An address on lines of at most `room` characters, broken only after a
/// `:` (IPv6); an address that fits, or has no colon, stays whole.
fn split_address(addr: &str, room: usize) -> Vec<String> {
    if addr.len() <= room || !addr.contains(':') {
        return vec![addr.to_string()];
    }
    let mut lines = Vec::new();
    let mut line = String::new();
    for part in addr.split_inclusive(':') {
        if !line.is_empty() && line.len() + part.len() > room {
            lines.push(std::mem::take(&mut line));
        }
        line.push_str(part);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The narrowest the receiver column is squeezed to for a whole address.
const MIN_RECEIVER: usize = 12;

/// How wide the sender column may be kept for addresses, at `width`: what
/// the fixed columns (hop, trust, time, delay, dns), the borders and a
/// narrow receiver column leave; at least an IPv4 address, at most the
/// longest IPv6 address.
fn address_room(width: usize, fixed: &[usize]) -> usize {
    sender_room(width, fixed)
        .saturating_sub(MIN_RECEIVER)
        .clamp(15, 39)
}

/// What the sender and receiver columns share at `width`, padding
/// included: the width less the fixed columns and the borders.
fn sender_room(width: usize, fixed: &[usize]) -> usize {
    // Per column: a border and one space of padding on each side.
    let overhead = 3 * (fixed.len() + 2) + 1;
    width.saturating_sub(overhead + fixed.iter().sum::<usize>())
}

/// `by` and, below it, the protocol.
fn receiver(h: &Hop) -> Vec<String> {
    let mut lines = vec![h.by.clone().unwrap_or_else(|| "?".into())];
    if let Some(w) = &h.with {
        lines.push(format!("with {w}"));
    }
    lines
}

/// Word-wrap `text` to `width` columns, continuation lines indented by `indent`.
fn wrap(text: &str, width: usize, indent: usize) -> String {
    let room = width.saturating_sub(indent).max(20);
    let mut out = String::new();
    let mut line = 0;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let len = word.chars().count();
        if line > 0 && line + 1 + len > room {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += len;
    }
    out
}

/// One `Label          value` line, wrapped.
fn labelled(out: &mut String, label: &str, value: &str, width: usize) {
    let _ = writeln!(
        out,
        "{label:<LABEL$} {}",
        wrap(&for_terminal(value), width, LABEL + 1)
    );
}

/// The hop table: oldest first, the route as the message travelled.
fn hop_table(r: &Report, style: TableStyle, width: u16) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width);
    if style.color {
        t.enforce_styling();
    } else {
        t.force_no_tty();
    }
    let mut header = vec![
        "hop",
        "trust",
        "sender",
        "received by",
        "time (UTC)",
        "delay",
    ];
    // The DNS verdict column only when DNS was consulted.
    let with_dns = r.dns.is_some();
    if with_dns {
        header.push("dns");
    }
    t.set_header(header);
    // The boundary is only a boundary when someone is on the other side.
    let boundary = r
        .first_untrusted_relay
        .as_ref()
        .map(|_| r.trust_boundary)
        .unwrap_or(None);
    // Headers from the first broken custody link down may be invented.
    let first_break = r
        .custody
        .iter()
        .find(|l| l.status == LinkStatus::Broken)
        .map(|l| l.lower);
    // Addresses are kept whole when they fit (a wrapped IPv6 address reads
    // as two addresses); the fixed columns are about this wide.
    let hop_digits = r.hops.len().to_string().len().max(3);
    let mut fixed = vec![hop_digits, 8, 10, 7];
    if with_dns {
        fixed.push(12);
    }
    let ip_room = address_room(usize::from(width), &fixed);
    let mut ip_width = 0;
    let (mut sender_longest, mut receiver_longest, mut delay_longest) = (0, 0, 0);
    let mut prev: Option<(i64, &str)> = None;
    for h in r.hops.iter().rev() {
        let trust = if boundary == Some(h.index) {
            "BOUNDARY"
        } else if h.trusted {
            "trusted"
        } else if first_break.is_some_and(|b| h.index >= b) {
            "suspect"
        } else {
            "claimed"
        };
        let trust_color = match trust {
            "BOUNDARY" => Some(Color::Yellow),
            "trusted" => Some(Color::Green),
            "suspect" => Some(Color::Red),
            _ => None,
        };
        let ts = h.timestamp.as_ref();
        let delay = match (prev, ts) {
            (Some((p, _)), Some(t)) if t.epoch < p => format!("-{}", human_duration(p - t.epoch)),
            (Some((p, _)), Some(t)) => human_duration(t.epoch - p),
            _ => String::new(),
        };
        // The date only when it changes: `2023-03-14 16:12:42`, then `16:12:44`.
        let time: Vec<String> = match ts {
            Some(t) => {
                let (date, clock) = t.utc.split_once('T').unwrap_or((t.utc.as_str(), ""));
                let clock = clock.trim_end_matches('Z');
                if prev.is_some_and(|(_, d)| d == date) {
                    vec![clock.to_string()]
                } else {
                    vec![date.to_string(), clock.to_string()]
                }
            }
            None => Vec::new(),
        };
        if let Some(t) = ts {
            prev = Some((t.epoch, t.utc.split_once('T').map_or("", |(d, _)| d)));
        }
        delay_longest = delay_longest.max(delay.len());
        let from = sender(h, ip_room);
        sender_longest = from
            .iter()
            .map(|l| l.len())
            .fold(sender_longest, usize::max);
        let by = receiver(h);
        receiver_longest = by
            .iter()
            .map(|l| l.len())
            .fold(receiver_longest, usize::max);
        if h.from.ip.is_some() {
            let n = from.iter().take_while(|l| !l.contains('=')).count();
            ip_width = from[..n].iter().map(|l| l.len()).fold(ip_width, usize::max);
        }
        let mut row = vec![
            Cell::new(h.index),
            cell(trust, trust_color, style),
            lines_cell(&from, None, style),
            lines_cell(&by, None, style),
            lines_cell(&time, None, style),
            cell(&delay, None, style),
        ];
        if with_dns {
            row.push(cell(dns_verdict(r, h.index), None, style));
        }
        t.add_row(row);
    }
    // When sender and receiver do not both fit, keep the addresses whole.
    // Only then: comfy-table holds a constrained column at its bound, so a
    // bound set always would squeeze names that had room.
    if let Some(d) = fixed.get_mut(3) {
        *d = delay_longest.max("delay".len());
    }
    let room = sender_room(usize::from(width), &fixed);
    if sender_longest + receiver_longest > room {
        let content = ip_width.max(room.saturating_sub(receiver_longest).min(sender_longest));
        // The boundary counts the padding (one space each side).
        let w = content + 2;
        if let (Some(col), Ok(w)) = (t.column_mut(2), u16::try_from(w)) {
            if ip_width > 0 {
                col.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(w)));
            }
        }
    }
    t
}

/// Render one report.
pub fn render(r: &Report, style: TableStyle) -> String {
    let width = detect_width(style.width);
    let w = usize::from(width);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} (message {} at byte {})",
        for_terminal(&r.source.path),
        r.source.index,
        r.source.offset
    );
    let m = &r.message;
    for (label, v) in [
        ("From", &m.from),
        ("Subject", &m.subject),
        ("Date", &m.date),
        ("Message-ID", &m.message_id),
    ] {
        if let Some(v) = v {
            labelled(&mut out, &format!("  {label}"), v, w);
        }
    }
    if !r.hops.is_empty() {
        let _ = writeln!(out, "{}", hop_table(r, style, width));
    }
    let ip = |i: Option<std::net::IpAddr>| i.map(|i| i.to_string()).unwrap_or_else(|| "?".into());
    if let Some(rel) = &r.first_untrusted_relay {
        labelled(
            &mut out,
            "Untrusted relay",
            &format!(
                "{} {}, seen by {}{} at {} (hop {})",
                ip(rel.ip),
                owner::names_summary(
                    rel.rdns.as_deref(),
                    rel.helo.as_deref(),
                    owner::hop_dns(r.dns.as_ref(), rel.hop)
                ),
                rel.received_by.as_deref().unwrap_or("?"),
                match owner::runner(r, rel.received_by.as_deref()) {
                    owner::Runner::Provider(p) =>
                        format!(" ({p}, the recipient's mailbox provider)"),
                    owner::Runner::Own(_) => String::new(),
                },
                rel.received_at.as_deref().unwrap_or("?"),
                rel.hop
            ),
            w,
        );
    }
    if let Some(o) = &r.probable_origin {
        labelled(
            &mut out,
            "Probable origin",
            &format!(
                "{} {} (hop {}, {} confidence, {} consistent link(s) below the relay)",
                ip(o.ip),
                owner::names_summary(
                    o.rdns.as_deref(),
                    o.helo.as_deref(),
                    owner::hop_dns(r.dns.as_ref(), o.hop)
                ),
                o.hop,
                o.confidence.as_str(),
                o.links
            ),
            w,
        );
    }
    for c in &r.origin_candidates {
        let _ = writeln!(
            out,
            "Origin candidate:      {} ({}) from {}, written by {} ({})",
            c.ip,
            c.ip_class,
            for_terminal(&c.header),
            c.written_by_hop
                .map(|h| format!("hop {h}"))
                .unwrap_or_else(|| "the origin".into()),
            c.credibility.as_str()
        );
    }
    if let Some(o) = &r.owner {
        let what = match o.kind {
            crate::model::OwnerKind::Provider => {
                format!(
                    "{}, which hosts the recipient's mailbox (inferred from its servers' names)",
                    o.name
                )
            }
            crate::model::OwnerKind::Mixed => format!(
                "{} and {}, which hosts the recipient's mailbox",
                o.name,
                o.provider.as_deref().unwrap_or("a mailbox provider")
            ),
            crate::model::OwnerKind::Own => o.name.clone(),
        };
        labelled(&mut out, "Trusted servers", &what, w);
    }
    for d in &r.distribution {
        let label = if d.kind == "mailing_list" {
            "Mailing list"
        } else {
            "Forwarded by"
        };
        labelled(
            &mut out,
            label,
            &format!("{} ({})", d.name, d.signs.join("; ")),
            w,
        );
    }
    for a in &r.accounts {
        let contact = a
            .contact
            .as_ref()
            .map(|c| format!("; report to {} ({})", c.address, c.source))
            .unwrap_or_else(|| "; no account-abuse contact known".into());
        labelled(
            &mut out,
            if a.role == "sender" {
                "Sender account"
            } else {
                "Reply-To account"
            },
            &format!(
                "{} at {} ({}){contact}",
                a.address,
                a.provider,
                a.evidence.replace('_', " ")
            ),
            w,
        );
    }
    // Trusted verdicts, one line per authserv-id.
    let mut ids: Vec<Option<&str>> = Vec::new();
    for v in &r.auth_results {
        if !ids.contains(&v.authserv_id.as_deref()) {
            ids.push(v.authserv_id.as_deref());
        }
    }
    for id in ids {
        let verdicts: Vec<String> = r
            .auth_results
            .iter()
            .filter(|v| v.authserv_id.as_deref() == id)
            .map(|v| {
                let domain = v
                    .properties
                    .iter()
                    .find(|(k, _)| k == "header.d" || k == "header.from" || k == "smtp.mailfrom")
                    .map(|(_, d)| format!(" ({d})"))
                    .unwrap_or_default();
                format!("{}={}{domain}", v.method, v.result)
            })
            .collect();
        let _ = writeln!(
            out,
            "Authentication:        {} (trusted, by {})",
            for_terminal(&verdicts.join(", ")),
            for_terminal(id.unwrap_or("a trusted server"))
        );
    }
    // SPF and DKIM checked by us today (dns::auth), beside the headers' claims.
    if let Some(line) = r.dns.as_ref().and_then(auth_line) {
        let _ = writeln!(out, "Checked today:         {}", for_terminal(&line));
    }
    // One line per trusted filter verdict (docs/vendor-headers.md).
    for v in r
        .vendor_verdicts
        .iter()
        .filter(|v| v.trusted && v.verdict.is_some())
    {
        labelled(&mut out, "Filter verdict", &vendor_line(v), w);
    }
    if let Some(line) = r.transit.as_ref().and_then(transit_line) {
        labelled(&mut out, "Transit", &line, w);
    }
    if !r.findings.is_empty() {
        let _ = writeln!(out, "Findings:");
        // Message-wide findings first, then by hop (header order); the
        // checks' order is kept within a hop.
        let mut findings: Vec<&crate::model::Finding> = r.findings.iter().collect();
        findings.sort_by_key(|f| f.hop.map_or(0, |h| h.saturating_add(1)));
        for f in findings {
            let sev = if style.color {
                paint(f.severity.as_str(), f.severity)
            } else {
                format!("{:<6}", f.severity.as_str())
            };
            let hop = f.hop.map(|h| format!(" hop {h}")).unwrap_or_default();
            let _ = writeln!(out, "  {sev} {}{hop}", f.code);
            let _ = writeln!(out, "         {}", wrap(&for_terminal(&f.message), w, 9));
        }
    }
    for c in &r.abuse_contacts {
        // Contacts for hops below the first untrusted relay rest on claims.
        let role = match c.role.as_str() {
            "" | "first_untrusted_relay" => String::new(),
            other => format!("; for the {}, a claim", other.replace('_', " ")),
        };
        labelled(
            &mut out,
            "Report to",
            &format!(
                "{} ({}, {}, {}{role})",
                c.address, c.scope, c.source, c.confidence
            ),
            w,
        );
    }
    if r.abuse_contacts.is_empty() && r.first_untrusted_relay.is_some() {
        // Offline there is no DNS section: contacts need PTR/MX lookups.
        let why = if r.dns.is_none() {
            "none: abuse contacts need DNS; run without --offline (or with --dns-replay)"
        } else {
            "none found (see `spamtrace complain --rdap` for the registry's contact)"
        };
        labelled(&mut out, "Report to", why, w);
    }
    labelled(&mut out, "Verdict", &r.verdict, w);
    out
}

/// `microsoft x-forefront-antispam-report (hop 3): phishing; SCL 9: ...`
fn vendor_line(v: &crate::model::VendorVerdict) -> String {
    let said: Vec<&str> = v
        .meaning
        .iter()
        .map(String::as_str)
        .filter(|m| {
            crate::checks::vendor::speaks_to_verdict(m)
                || m.starts_with("CIP ")
                || m.contains("(ours: ")
        })
        .take(8)
        .collect();
    format!(
        "{} {} ({}): {}{}{}",
        v.vendor,
        v.header,
        v.hop
            .map(|h| format!("hop {h}"))
            .unwrap_or_else(|| "the origin".into()),
        v.verdict
            .map(|c| c.as_str().replace('_', " "))
            .unwrap_or_default(),
        if said.is_empty() { "" } else { "; " },
        said.join("; ")
    )
}

/// `1m 5s from Date to the first trusted receipt, 2s inside; slowest hop 3 (58s); TLS on 3 of 4 hops`
fn transit_line(t: &crate::model::Transit) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(s) = t.to_first_trusted_secs {
        parts.push(format!(
            "{} from Date to the first trusted receipt",
            human_duration(s)
        ));
    }
    if let Some(s) = t.trusted_secs {
        parts.push(format!("{} inside the trusted servers", human_duration(s)));
    }
    if let Some(s) = t.total_secs {
        parts.push(format!("{} in all", human_duration(s)));
    }
    if let Some(h) = t.slowest_hop {
        let d = t
            .hops
            .iter()
            .find(|x| x.hop == h)
            .and_then(|x| x.delay_secs)
            .unwrap_or(0);
        parts.push(format!("slowest hop {h} ({})", human_duration(d)));
    }
    let tls: Vec<String> = t
        .hops
        .iter()
        .filter_map(|h| {
            let v = h.tls_version.as_deref()?;
            Some(format!(
                "hop {} {v}{}",
                h.hop,
                h.tls_cipher
                    .as_deref()
                    .map(|c| format!(" {c}"))
                    .unwrap_or_default()
            ))
        })
        .collect();
    if !tls.is_empty() {
        parts.push(format!(
            "TLS recorded on {} of {} hops ({})",
            tls.len(),
            t.hops.len(),
            tls.iter().take(3).cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// The hop's compact DNS verdict; empty offline or without a public IP.
fn dns_verdict(r: &Report, hop: usize) -> &'static str {
    r.dns
        .as_ref()
        .and_then(|d| d.hops.iter().find(|h| h.hop == hop))
        .map(|h| h.verdict.label())
        .unwrap_or("")
}

fn paint(s: &str, sev: Severity) -> String {
    let code = match sev {
        Severity::Forged => "1;31",
        Severity::Warn => "1;33",
        Severity::Info => "1;34",
    };
    format!("\x1b[{code}m{s:<6}\x1b[0m")
}

/// One line for the table: `spf=pass (sender-mail.com for 5.1.1.20),
/// dkim=pass (sender-mail.com, aligned)`.
fn auth_line(m: &MessageDns) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(s) = &m.auth.spf {
        parts.push(format!(
            "spf={} ({} for {})",
            s.result.as_str(),
            s.domain,
            s.ip
        ));
    }
    for d in &m.auth.dkim {
        let result = serde_json::to_value(d.result)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        parts.push(format!(
            "dkim={result} ({}, {})",
            d.d,
            if d.aligned { "aligned" } else { "not aligned" }
        ));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_with_indent() {
        let s = wrap("aaaa bbbb cccc dddd", 30, 20);
        assert_eq!(s, "aaaa bbbb cccc dddd");
        let s = wrap(&"word ".repeat(20), 40, 10);
        assert!(s.lines().all(|l| l.chars().count() <= 40), "{s}");
        assert!(s.lines().skip(1).all(|l| l.starts_with("          w")));
    }

    #[test]
    fn addresses_split_only_after_a_colon() {
        assert_eq!(split_address("192.0.2.1", 10), vec!["192.0.2.1"]);
        assert_eq!(
            split_address("2603:10b6:a03:254:cafe::5a", 40),
            vec!["2603:10b6:a03:254:cafe::5a"]
        );
        let parts = split_address("2603:10b6:a03:254:cafe::5a", 17);
        assert_eq!(parts, vec!["2603:10b6:a03:", "254:cafe::5a"]);
        assert_eq!(parts.concat(), "2603:10b6:a03:254:cafe::5a");
        let full = "2001:0db8:85a3:0000:0000:8a2e:0370:7334";
        for room in [0, 5, 15, 20, 38] {
            let parts = split_address(full, room);
            assert_eq!(parts.concat(), full);
            assert!(parts.iter().all(|p| p.len() <= room.max(5)), "{parts:?}");
        }
    }

    #[test]
    fn address_room_keeps_ipv4_and_grows_with_width() {
        let fixed = [3, 8, 10, 7];
        assert!(address_room(60, &fixed) >= 15);
        assert!(address_room(80, &fixed) >= 18);
        assert_eq!(address_room(200, &fixed), 39);
    }

    #[test]
    fn width_has_a_floor() {
        assert_eq!(detect_width(Some(20)), MIN_WIDTH);
        assert_eq!(detect_width(Some(90)), 90);
    }
}
