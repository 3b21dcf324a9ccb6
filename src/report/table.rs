//! The table for people: the route oldest -> newest with the delay per hop,
//! trust and the boundary marked, then the findings and the verdict. Every
//! value from the message goes through [`sanitize::for_terminal`].

use super::Report;
use crate::model::{HopKind, Severity};
use crate::sanitize::for_terminal;
use comfy_table::{presets, Cell, Color, ContentArrangement, Table};
use std::fmt::Write as _;

/// Rendering choices.
#[derive(Debug, Clone, Copy)]
pub struct TableStyle {
    pub color: bool,
    /// Terminal width, when known.
    pub width: Option<u16>,
}

fn cell(s: &str, color: Option<Color>, style: TableStyle) -> Cell {
    let c = Cell::new(for_terminal(s));
    match color {
        Some(col) if style.color => c.fg(col),
        _ => c,
    }
}

fn opt(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("")
}

/// Render one report.
pub fn render(r: &Report, style: TableStyle) -> String {
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
            let _ = writeln!(out, "  {label:<11} {}", for_terminal(v));
        }
    }
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    if let Some(w) = style.width {
        t.set_width(w);
    }
    if !style.color {
        t.force_no_tty();
    }
    t.set_header(vec![
        "hop",
        "trust",
        "from (HELO / rDNS)",
        "IP",
        "by",
        "with",
        "time (UTC)",
        "delay",
        "dns",
    ]);
    // Oldest first: the route as the message travelled.
    let mut prev_epoch: Option<i64> = None;
    for h in r.hops.iter().rev() {
        let trust = if r.trust_boundary == Some(h.index) {
            "boundary"
        } else if h.trusted {
            "trusted"
        } else {
            "claimed"
        };
        let from = match h.kind {
            HopKind::Unparsed => format!("(unparsed: {})", opt(&h.unparsed_reason)),
            HopKind::Local if h.from.helo.is_none() => "(local)".to_string(),
            _ => {
                let helo = opt(&h.from.helo);
                match h.from.rdns.as_deref() {
                    Some(rdns) if !rdns.eq_ignore_ascii_case(helo) => format!("{helo} / {rdns}"),
                    _ => helo.to_string(),
                }
            }
        };
        let epoch = h.timestamp.as_ref().map(|t| t.epoch);
        let delay = match (prev_epoch, epoch) {
            (Some(p), Some(e)) => {
                let d = e - p;
                if d < 0 {
                    format!("-{}", crate::checks::dates::human_duration(d))
                } else {
                    crate::checks::dates::human_duration(d)
                }
            }
            _ => String::new(),
        };
        if epoch.is_some() {
            prev_epoch = epoch;
        }
        let trust_color = match trust {
            "boundary" => Some(Color::Yellow),
            "trusted" => Some(Color::Green),
            _ => None,
        };
        t.add_row(vec![
            Cell::new(h.index),
            cell(trust, trust_color, style),
            cell(&from, None, style),
            cell(
                &h.from.ip.map(|i| i.to_string()).unwrap_or_default(),
                None,
                style,
            ),
            cell(opt(&h.by), None, style),
            cell(opt(&h.with), None, style),
            cell(
                h.timestamp.as_ref().map(|t| t.utc.as_str()).unwrap_or(""),
                None,
                style,
            ),
            cell(&delay, None, style),
            cell(dns_verdict(r, h.index), None, style),
        ]);
    }
    if !r.hops.is_empty() {
        let _ = writeln!(out, "{t}");
    }
    if let Some(rel) = &r.first_untrusted_relay {
        let _ = writeln!(
            out,
            "First untrusted relay: {} rDNS {} HELO {} -> {} at {} (hop {})",
            rel.ip.map(|i| i.to_string()).unwrap_or_else(|| "?".into()),
            for_terminal(rel.rdns.as_deref().unwrap_or("-")),
            for_terminal(rel.helo.as_deref().unwrap_or("-")),
            for_terminal(rel.received_by.as_deref().unwrap_or("?")),
            rel.received_at.as_deref().unwrap_or("?"),
            rel.hop
        );
    }
    if let Some(o) = &r.probable_origin {
        let _ = writeln!(
            out,
            "Probable origin:       {} rDNS {} HELO {} (hop {}, {} confidence)",
            o.ip.map(|i| i.to_string()).unwrap_or_else(|| "?".into()),
            for_terminal(o.rdns.as_deref().unwrap_or("-")),
            for_terminal(o.helo.as_deref().unwrap_or("-")),
            o.hop,
            o.confidence.as_str()
        );
    }
    if !r.findings.is_empty() {
        let _ = writeln!(out, "Findings:");
        for f in &r.findings {
            let sev = f.severity.as_str();
            let sev = if style.color {
                paint(sev, f.severity)
            } else {
                sev.to_string()
            };
            let hop = f
                .hop
                .map(|h| format!("hop {h}"))
                .unwrap_or_else(|| "-".into());
            let _ = writeln!(
                out,
                "  {sev:<6} {:<26} {hop:<7} {}",
                f.code,
                for_terminal(&f.message)
            );
        }
    }
    for c in &r.abuse_contacts {
        let _ = writeln!(
            out,
            "Report to: {} ({}, {}, {})",
            for_terminal(&c.address),
            c.scope,
            c.source,
            c.confidence
        );
    }
    let _ = writeln!(out, "Verdict: {}", for_terminal(&r.verdict));
    out
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
