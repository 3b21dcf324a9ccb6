//! The table for people: the route oldest -> newest with the delay per hop,
//! trust and the boundary marked, then the relay, the origin, the findings
//! and the verdict. Every value from the message goes through
//! [`crate::util::sanitize::for_terminal`]; the whole fits the terminal's width.

use super::layout;
use crate::model::LinkStatus;
use crate::model::Report;
use crate::model::{Hop, HopKind, MessageDns, Severity};
use crate::report::owner;
use crate::util::clock::human_duration;
use crate::util::sanitize::for_terminal;
use crate::util::words;
use comfy_table::{presets, Cell, Color, ContentArrangement, Table};
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
const LABEL: usize = 16;

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

fn opt(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("")
}

/// The sender of a hop, one fact per line: the address the receiver saw,
/// then the name it gave (HELO) and the name its address has (rDNS).
fn sender(h: &Hop) -> Vec<String> {
    match h.kind {
        HopKind::Unparsed => return vec![format!("(unparsed: {})", opt(&h.unparsed_reason))],
        HopKind::Local if h.from.helo.is_none() => return vec!["(local)".to_string()],
        _ => {}
    }
    let mut lines = vec![match h.from.ip {
        Some(ip) => ip.to_string(),
        None => "(no IP)".to_string(),
    }];
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

/// `by` and, below it, the protocol.
fn receiver(h: &Hop) -> Vec<String> {
    let mut lines = vec![h.by.clone().unwrap_or_else(|| "?".into())];
    if let Some(w) = &h.with {
        lines.push(format!("with {w}"));
    }
    lines
}

/// One `Label           value` line (or block), wrapped, label column aligned.
fn labelled(out: &mut String, label: &str, value: &str, width: usize) {
    let _ = writeln!(
        out,
        "{}",
        layout::labelled(label, &for_terminal(value), LABEL, width)
    );
}

/// One hop as the table shows it, every text sanitised.
struct HopRow {
    index: usize,
    trust: &'static str,
    sender: Vec<String>,
    receiver: Vec<String>,
    /// The date (when it changed), the time, the delay since the hop before.
    time: Vec<String>,
    dns: &'static str,
}

/// The hops, oldest first, with trust, time and delay worked out.
fn hop_rows(r: &Report) -> Vec<HopRow> {
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
    let mut rows = Vec::new();
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
        let ts = h.timestamp.as_ref();
        // The date only when it changes: `2023-03-14`, `16:12:42`, then
        // `16:12:44`, `+2s`.
        let mut time = Vec::new();
        if let Some(t) = ts {
            let (date, clock) = t.utc.split_once('T').unwrap_or((t.utc.as_str(), ""));
            if prev.is_none_or(|(_, d)| d != date) {
                time.push(date.to_string());
            }
            time.push(clock.trim_end_matches('Z').to_string());
            if let Some((p, _)) = prev {
                let sign = if t.epoch < p { "-" } else { "+" };
                time.push(format!("{sign}{}", human_duration(t.epoch - p)));
            }
            prev = Some((t.epoch, date));
        }
        let clean = |v: Vec<String>| v.iter().map(|l| for_terminal(l)).collect();
        // Who owns the sender's address (AS, country), when known.
        let mut from = sender(h);
        if let Some(label) = r
            .asn
            .iter()
            .find(|a| a.hop == h.index)
            .and_then(|a| a.label())
        {
            from.push(label);
        }
        rows.push(HopRow {
            index: h.index,
            trust,
            sender: clean(from),
            receiver: clean(receiver(h)),
            time: clean(time),
            dns: dns_verdict(r, h.index),
        });
    }
    rows
}

fn trust_color(trust: &str) -> Option<Color> {
    match trust {
        "BOUNDARY" => Some(Color::Yellow),
        "trusted" => Some(Color::Green),
        "suspect" => Some(Color::Red),
        _ => None,
    }
}

fn lines_cell(lines: &[String], color: Option<Color>, style: TableStyle) -> Cell {
    let c = Cell::new(lines.join("\n"));
    match color {
        Some(col) if style.color => c.fg(col),
        _ => c,
    }
}

/// The widest line of `lines`.
fn widest(lines: &[String]) -> usize {
    lines.iter().map(|l| layout::width(l)).max().unwrap_or(0)
}

/// Narrower than this, a host name column is mostly breaks: the route is
/// a list instead.
const MIN_COLUMN: usize = 16;

/// The widths of the sender and receiver columns at `width` (None when the
/// table cannot hold their unbreakable pieces: the route is then a list).
fn column_widths(rows: &[HopRow], header: &[&str], width: usize) -> Option<(usize, usize)> {
    let fixed: usize = [
        rows.iter()
            .map(|r| r.index.to_string().len())
            .max()
            .unwrap_or(0)
            .max(header[0].len()),
        rows.iter()
            .map(|r| r.trust.len())
            .max()
            .unwrap_or(0)
            .max(header[1].len()),
        rows.iter()
            .map(|r| widest(&r.time))
            .max()
            .unwrap_or(0)
            .max(header[4].len()),
    ]
    .iter()
    .sum::<usize>()
        + if header.len() > 5 {
            rows.iter()
                .map(|r| r.dns.len())
                .max()
                .unwrap_or(0)
                .max(header[5].len())
        } else {
            0
        };
    // Per column: a border and one space of padding on each side.
    let overhead = 3 * header.len() + 1;
    let room = width.checked_sub(overhead + fixed)?;
    let need = |f: fn(&HopRow) -> &Vec<String>, h: &str| {
        let lines = rows.iter().flat_map(|r| f(r).iter());
        let min = lines
            .clone()
            .map(|l| layout::min_width(l))
            .fold(MIN_COLUMN, usize::max);
        let want = lines
            .map(|l| layout::width(l))
            .fold(layout::width(h), usize::max);
        (min, want)
    };
    let (s_min, s_want) = need(|r| &r.sender, header[2]);
    let (r_min, r_want) = need(|r| &r.receiver, header[3]);
    if s_min + r_min > room {
        return None;
    }
    if s_want + r_want <= room {
        return Some((s_want, r_want));
    }
    // The split that makes the table shortest, then breaks the fewest
    // addresses, then the fewest lines; on a tie the wider sender (whole addresses).
    let mut best = (usize::MAX, usize::MAX, usize::MAX, 0);
    for s in s_min..=room - r_min {
        let r = room - s;
        let (mut height, mut lines, mut broken_ips) = (0, 0, 0);
        for row in rows {
            let a = layout::wrap_lines(&row.sender, s);
            let b = layout::wrap_lines(&row.receiver, r);
            height += a.len().max(b.len()).max(row.time.len());
            lines += a.len() + b.len();
            broken_ips += a.iter().chain(&b).filter(|l| l.ends_with(':')).count();
        }
        if (height, broken_ips, lines) <= (best.0, best.1, best.2) {
            best = (height, broken_ips, lines, s);
        }
    }
    let s = best.3.min(s_want);
    Some((s, room - s))
}

/// The hop table: oldest first, the route as the message travelled. Every
/// cell is wrapped here (comfy-table only draws), so a cell breaks only
/// where [`layout::wrap`] allows.
fn hop_table(rows: &[HopRow], with_dns: bool, style: TableStyle, width: usize) -> Option<Table> {
    let mut header = vec!["hop", "trust", "sender", "received by", "time (UTC)"];
    // The DNS verdict column only when DNS was consulted.
    if with_dns {
        header.push("dns");
    }
    let (s_width, r_width) = column_widths(rows, &header, width)?;
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled);
    if style.color {
        t.enforce_styling();
    } else {
        t.force_no_tty();
    }
    let mut head: Vec<Cell> = header.iter().map(Cell::new).collect();
    head[2] = Cell::new(layout::wrap(header[2], s_width).join("\n"));
    head[3] = Cell::new(layout::wrap(header[3], r_width).join("\n"));
    t.set_header(head);
    for h in rows {
        let mut row = vec![
            Cell::new(h.index),
            lines_cell(&[h.trust.to_string()], trust_color(h.trust), style),
            lines_cell(&layout::wrap_lines(&h.sender, s_width), None, style),
            lines_cell(&layout::wrap_lines(&h.receiver, r_width), None, style),
            lines_cell(&h.time, None, style),
        ];
        if with_dns {
            row.push(Cell::new(h.dns));
        }
        t.add_row(row);
    }
    Some(t)
}

/// The route as a list, for a terminal too narrow for the table: one block
/// per hop, labels in the summary's label column.
fn hop_list(rows: &[HopRow], style: TableStyle, width: usize) -> String {
    let mut out = String::from("Route, oldest first:\n");
    let digits = rows
        .iter()
        .map(|r| r.index.to_string().len())
        .max()
        .unwrap_or(1);
    for h in rows {
        let trust = match trust_color(h.trust) {
            Some(c) if style.color => paint_trust(h.trust, c),
            _ => h.trust.to_string(),
        };
        let pad = " ".repeat(8usize.saturating_sub(h.trust.len()));
        let mut head = format!("hop {:<digits$}  {trust}{pad}", h.index);
        if !h.time.is_empty() {
            head.push_str("  ");
            head.push_str(&h.time.join(" "));
        }
        if !h.dns.is_empty() {
            head.push_str("  dns ");
            head.push_str(h.dns);
        }
        let _ = writeln!(out, "{}", head.trim_end());
        for (label, lines) in [("  sender", &h.sender), ("  received by", &h.receiver)] {
            for (i, line) in lines.iter().enumerate() {
                let label = if i == 0 { label } else { "" };
                let _ = writeln!(out, "{}", layout::labelled(label, line, LABEL, width));
            }
        }
    }
    out
}

fn paint_trust(s: &str, c: Color) -> String {
    let code = match c {
        Color::Yellow => "33",
        Color::Green => "32",
        Color::Red => "31",
        _ => "0",
    };
    format!("\x1b[{code}m{s}\x1b[0m")
}

/// The route: a table when it fits `width`, otherwise a list.
fn route(r: &Report, style: TableStyle, width: usize) -> String {
    let rows = hop_rows(r);
    match hop_table(&rows, r.dns.is_some(), style, width) {
        Some(t) => format!("{t}\n"),
        None => hop_list(&rows, style, width),
    }
}

/// The first line: where the message came from. `<stdin>` for standard
/// input; the position only for a message of a mailbox (an mbox message has
/// an envelope; a later one a position), not for a file that is one message.
fn source_line(r: &Report) -> String {
    let path = if r.source.path == "-" {
        "<stdin>".to_string()
    } else {
        for_terminal(&r.source.path)
    };
    if r.source.index > 0 || r.source.offset > 0 || r.message.envelope_from.is_some() {
        format!(
            "{path} (message {} at byte {})",
            r.source.index, r.source.offset
        )
    } else {
        path
    }
}

/// Render one report.
pub fn render(r: &Report, style: TableStyle) -> String {
    let width = detect_width(style.width);
    let w = usize::from(width);
    let mut out = String::new();
    for line in layout::wrap(&source_line(r), w) {
        let _ = writeln!(out, "{line}");
    }
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
    for (label, v) in super::body::reported_lines(r) {
        labelled(&mut out, label, &v, w);
    }
    if !r.hops.is_empty() {
        out.push_str(&route(r, style, w));
    }
    let ip = |i: Option<std::net::IpAddr>| i.map(|i| i.to_string()).unwrap_or_else(|| "?".into());
    if let Some(rel) = &r.first_untrusted_relay {
        labelled(
            &mut out,
            "Untrusted relay",
            &format!(
                "{} ({}), seen by {}{} at {} (hop {})",
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
                "{} ({}) at hop {}: {} confidence, {}",
                ip(o.ip),
                owner::names_summary(
                    o.rdns.as_deref(),
                    o.helo.as_deref(),
                    owner::hop_dns(r.dns.as_ref(), o.hop)
                ),
                o.hop,
                o.confidence.as_str(),
                match o.links {
                    0 => "it is the first untrusted relay".to_string(),
                    n => format!(
                        "reached through {} below the relay, {}",
                        words::count(n, "consistent link"),
                        if n == 1 { "a claim" } else { "each a claim" }
                    ),
                }
            ),
            w,
        );
    }
    for c in &r.origin_candidates {
        labelled(
            &mut out,
            "Origin candidate",
            &format!(
                "{} ({}) from {}, written by {} ({})",
                c.ip,
                c.ip_class,
                c.header,
                c.written_by_hop
                    .map(|h| format!("hop {h}"))
                    .unwrap_or_else(|| "the origin".into()),
                c.credibility.as_str()
            ),
            w,
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
    // A result said twice (Authentication-Results and Received-SPF of the
    // same server) is shown once, where it is said first.
    let mut shown: Vec<(&str, &str)> = Vec::new();
    for id in ids {
        let verdicts: Vec<String> = r
            .auth_results
            .iter()
            .filter(|v| v.authserv_id.as_deref() == id)
            .filter(|v| {
                let key = (v.method.as_str(), v.result.as_str());
                let new = !shown.contains(&key);
                shown.push(key);
                new
            })
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
        if verdicts.is_empty() {
            continue;
        }
        labelled(
            &mut out,
            "Authentication",
            &format!(
                "{} (by {})",
                verdicts.join(", "),
                id.map_or("a trusted server, unnamed".to_string(), |id| format!(
                    "{id}, trusted"
                ))
            ),
            w,
        );
    }
    // SPF and DKIM checked by us today (dns::auth), beside the headers' claims.
    if let Some(line) = r.dns.as_ref().and_then(auth_line) {
        labelled(&mut out, "Checked today", &line, w);
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
            let _ = writeln!(
                out,
                "{}",
                layout::labelled("", &for_terminal(&f.message), 8, w)
            );
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
    for (label, v) in super::body::body_lines(r) {
        labelled(&mut out, label, &v, w);
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
    if let Some(d) = &m.auth.dmarc {
        parts.push(format!(
            "dmarc={} ({}{})",
            d.result.as_str(),
            d.domain,
            d.policy
                .as_deref()
                .map(|p| format!(", p={p}"))
                .unwrap_or_default()
        ));
    }
    if let Some(a) = &m.auth.arc {
        let result = serde_json::to_value(a.result)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let sealers: Vec<&str> = a.instances.iter().map(|i| i.sealer.as_str()).collect();
        parts.push(format!("arc={result} (sealed by {})", sealers.join(", ")));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn width_has_a_floor() {
        assert_eq!(detect_width(Some(20)), MIN_WIDTH);
        assert_eq!(detect_width(Some(90)), 90);
    }
}
