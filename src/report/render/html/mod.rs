//! A self-contained HTML report (`--format html`, `--html FILE`,
//! `--html-dir DIR`): one file, no JavaScript, no external resource of
//! any kind (a strict Content-Security-Policy meta forbids them), so
//! opening a phish's report fetches nothing. It reads `model::Report` only.
//!
//! The page: the verdict first, the route drawn as inline SVG ([`route`]),
//! the findings by severity with their evidence, authentication, abuse
//! contacts with provenance, a delay timeline, the DNS evidence and the
//! Received headers as written (collapsible). Light and dark
//! (`prefers-color-scheme`), print CSS, readable at 360 px. Several
//! messages give one file with an index (sortable without JavaScript:
//! radio buttons and CSS `order`) or, with [`HtmlDir`], one file each and
//! an `index.html`. Every value from the message goes through [`esc::esc`].

mod esc;
mod index;
mod route;
mod style;

pub use index::{HtmlDir, HtmlWriter};

use crate::model::{
    AbuseContact, AuthVerdict, DnsblStatus, LinkDnsStatus, MessageDns, Report, Resolution, Severity,
};
use crate::util::clock::human_duration;
use esc::{esc, esc_or};
use std::fmt::Write as _;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The Content-Security-Policy of every page: nothing may load but inline
/// style and `data:` images; no script, no font, no frame, no form target.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/// One report as a whole HTML document.
pub fn render(r: &Report) -> String {
    let mut out = String::new();
    head(&mut out, &page_title(r));
    out.push_str("<main>");
    section(&mut out, r, 0, None);
    out.push_str("</main>");
    foot(&mut out);
    out
}

fn page_title(r: &Report) -> String {
    match r
        .message
        .subject
        .as_deref()
        .filter(|s| !s.trim().is_empty())
    {
        Some(s) => format!("spamtrace report: {}", esc::clip(s, 80)),
        None => "spamtrace report".to_string(),
    }
}

fn head(out: &mut String, title: &str) {
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light dark\">\n\
         <meta name=\"generator\" content=\"spamtrace {}\">\n\
         <title>{}</title>\n<style>{}</style>\n</head>\n<body>\n\
         <header class=\"top\"><p class=\"brand\">spamtrace <span>email header forensics</span></p></header>\n",
        env!("CARGO_PKG_VERSION"),
        esc(title),
        style::CSS
    );
}

fn foot(out: &mut String) {
    out.push_str(
        "<footer class=\"foot\"><p>Made by spamtrace. This page runs no script and loads nothing: \
         every value from the message is shown as text.</p></footer>\n</body>\n</html>\n",
    );
}

/// The worst severity's CSS name, or `none`.
fn worst_class(r: &Report) -> &'static str {
    r.worst().map(|s| s.as_str()).unwrap_or("none")
}

/// A finding code that may break after its underscores.
fn wbr(code: &str) -> String {
    esc(code).replace('_', "_<wbr>")
}

fn sev_word(s: Option<Severity>) -> &'static str {
    match s {
        Some(Severity::Forged) => "FORGED",
        Some(Severity::Warn) => "WARN",
        Some(Severity::Info) => "INFO",
        None => "CLEAN",
    }
}

fn ip_name(ip: Option<std::net::IpAddr>, rdns: &Option<String>, helo: &Option<String>) -> String {
    let mut s = ip
        .map(|i| i.to_string())
        .unwrap_or_else(|| "unknown address".into());
    match (rdns, helo) {
        (Some(n), _) => s.push_str(&format!(" ({n})")),
        (None, Some(h)) => s.push_str(&format!(" (HELO {h}, unverified)")),
        _ => {}
    }
    s
}

/// One message's section. `n`: its number in the run (ids are `m{n}-…`);
/// `back`: a link back to an index page.
fn section(out: &mut String, r: &Report, n: usize, back: Option<&str>) {
    let id = format!("m{n}");
    let facts = route::Facts::new(r);
    let m = &r.message;
    let _ = write!(
        out,
        "<section class=\"message\" id=\"{id}\" aria-labelledby=\"{id}-h\">\n<header class=\"msg-head\">"
    );
    if let Some(b) = back {
        let _ = write!(
            out,
            "<p class=\"back\"><a href=\"{}\">← all messages</a></p>",
            esc(b)
        );
    }
    let _ = write!(
        out,
        "<p class=\"eyebrow\">{} · message {} at byte {} · analysed {}</p><h1 id=\"{id}-h\">{}</h1><dl class=\"meta\">",
        esc(&r.source.path),
        r.source.index,
        r.source.offset,
        esc(&r.analyzed_at),
        esc_or(m.subject.as_deref(), "(no subject)")
    );
    for (label, v) in [
        ("From", &m.from),
        ("To", &m.to),
        ("Date", &m.date),
        ("Message-ID", &m.message_id),
        ("Return-Path", &m.return_path),
        ("Envelope sender", &m.envelope_from),
    ] {
        if let Some(v) = v {
            let _ = write!(out, "<div><dt>{label}</dt><dd>{}</dd></div>", esc(v));
        }
    }
    out.push_str("</dl></header>\n");

    // The verdict first.
    let worst = r.worst();
    let _ = writeln!(
        out,
        "<div class=\"verdict sev-{}\" role=\"note\"><p class=\"kicker\"><span class=\"sevword\">{}</span> Verdict</p><p class=\"verdict-text\">{}</p></div>",
        worst_class(r),
        sev_word(worst),
        esc(&r.verdict)
    );
    key_facts(out, r, &facts, &id);

    // The route.
    let _ = writeln!(out, "<h2 id=\"{id}-route\">Route</h2>");
    let items = route::items(&facts, true);
    let caption = route_caption(r);
    let wide = route::draw(&facts, &items, route::WIDE, &format!("{id}-rw"), &caption);
    let narrow = route::draw(&facts, &items, route::NARROW, &format!("{id}-rn"), &caption);
    let _ = writeln!(
        out,
        "<figure class=\"route-fig\"><div class=\"route-wide\">{}</div><div class=\"route-narrow\">{}</div>\n<figcaption>{}</figcaption></figure>",
        wide.svg,
        narrow.svg,
        legend()
    );
    for (newest, oldest) in route::folds(&items) {
        let inner: Vec<route::Item> = (newest..=oldest).rev().map(route::Item::Hop).collect();
        let cap = format!("Hops {oldest} to {newest}, folded in the route above");
        let fid = format!("{id}-f{newest}");
        let w = route::draw(&facts, &inner, route::WIDE, &format!("{fid}w"), &cap);
        let nw = route::draw(&facts, &inner, route::NARROW, &format!("{fid}n"), &cap);
        let _ = writeln!(
            out,
            "<details class=\"fold\"><summary>Hops {oldest} to {newest} ({} hops, folded above)</summary><div class=\"route-wide\">{}</div><div class=\"route-narrow\">{}</div></details>",
            oldest - newest + 1,
            w.svg,
            nw.svg
        );
    }
    trust_steps(out, r, &facts);

    findings(out, r, &id);
    authentication(out, r, &id);
    contacts(out, &r.abuse_contacts, &id);
    site_contacts(out, r, &id);
    timeline(out, r, &id);
    dns(out, r.dns.as_ref(), &id);
    raw_headers(out, r, &id);
    out.push_str("</section>\n");
}

fn route_caption(r: &Report) -> String {
    let mut s = format!(
        "The route of the message, {}, origin at the top and the recipient's mailbox at the bottom.",
        crate::util::words::count(r.hops.len(), "hop")
    );
    if let Some(x) = &r.first_untrusted_relay {
        s.push_str(&format!(
            " First untrusted relay: hop {}, {}.",
            x.hop,
            ip_name(x.ip, &x.rdns, &x.helo)
        ));
    }
    if let Some(o) = &r.probable_origin {
        s.push_str(&format!(
            " Probable origin: hop {}, {} ({} confidence).",
            o.hop,
            ip_name(o.ip, &o.rdns, &o.helo),
            o.confidence.as_str()
        ));
    }
    if r.custody
        .iter()
        .any(|l| l.status == crate::model::LinkStatus::Broken)
    {
        s.push_str(" A custody link is broken.");
    }
    s
}

fn legend() -> &'static str {
    "<ul class=\"legend\">\
     <li><span class=\"sw sw-trusted\"></span>trusted region: headers written by servers you trust</li>\
     <li><span class=\"sw sw-boundary\"></span>trust boundary: above it, every header is a claim</li>\
     <li><span class=\"sw sw-broken\"></span>broken custody link: the headers below it may be forged</li>\
     <li><span class=\"sw sw-unknown\"></span>custody unknown</li>\
     <li>badges: <b>FORGED</b> (diamond), <b>WARN</b> (triangle), <b>INFO</b> (circle)</li>\
     </ul>"
}

fn key_facts(out: &mut String, r: &Report, facts: &route::Facts, id: &str) {
    out.push_str("<div class=\"cards\">");
    match &r.first_untrusted_relay {
        Some(x) => {
            let _ = write!(
                out,
                "<div class=\"card relay\"><p class=\"card-label\">First untrusted relay</p><p class=\"card-value\">{}</p><p class=\"card-note\">{} · hop {} · seen by {} at {}</p></div>",
                esc(&x.ip.map(|i| i.to_string()).unwrap_or_else(|| "unknown".into())),
                esc(&x.rdns.clone().or_else(|| x.helo.clone().map(|h| format!("HELO {h} (unverified)"))).unwrap_or_else(|| "no name".into())),
                x.hop,
                esc_or(x.received_by.as_deref(), "the trusted server"),
                esc_or(x.received_at.as_deref(), "an unknown time")
            );
        }
        None => out.push_str("<div class=\"card relay\"><p class=\"card-label\">First untrusted relay</p><p class=\"card-value\">none</p><p class=\"card-note\">no relay outside the trusted region</p></div>"),
    }
    match &r.probable_origin {
        Some(o) => {
            let _ = write!(
                out,
                "<div class=\"card origin\"><p class=\"card-label\">Probable origin</p><p class=\"card-value\">{}</p><p class=\"card-note\">{} · hop {} · {} confidence, {}</p></div>",
                esc(&o.ip.map(|i| i.to_string()).unwrap_or_else(|| "unknown".into())),
                esc(&o.rdns.clone().or_else(|| o.helo.clone().map(|h| format!("HELO {h}"))).unwrap_or_else(|| "no name".into())),
                o.hop,
                o.confidence.as_str(),
                crate::util::words::count(o.links, "consistent link")
            );
        }
        None => out.push_str("<div class=\"card origin\"><p class=\"card-label\">Probable origin</p><p class=\"card-value\">unknown</p><p class=\"card-note\">no origin could be reached</p></div>"),
    }
    let count = |s: Severity| r.findings.iter().filter(|f| f.severity == s).count();
    let _ = write!(
        out,
        "<div class=\"card sev-{}\"><p class=\"card-label\">Findings</p><p class=\"card-value\"><a href=\"#{id}-findings\">{} forged · {} warn · {} info</a></p><p class=\"card-note\">worst: {}</p></div>",
        worst_class(r),
        count(Severity::Forged),
        count(Severity::Warn),
        count(Severity::Info),
        sev_word(r.worst()).to_lowercase()
    );
    let trusted = r.hops.iter().filter(|h| h.trusted).count();
    let trust = if r.has(crate::model::Code::TrustInferred) {
        format!(
            "{}, inferred from the receiver's own domain",
            crate::util::words::count(trusted, "trusted hop")
        )
    } else {
        crate::util::words::count(trusted, "trusted hop")
    };
    let _ = write!(
        out,
        "<div class=\"card trusted\"><p class=\"card-label\">Trusted region</p><p class=\"card-value\">{}</p><p class=\"card-note\">{}{}</p></div>",
        esc_or(facts.owner.as_deref(), "unknown"),
        trust,
        facts
            .boundary
            .map(|b| format!(" · boundary at hop {b}"))
            .unwrap_or_default()
    );
    out.push_str("</div>\n");
}

fn trust_steps(out: &mut String, r: &Report, facts: &route::Facts) {
    if r.trust_steps.is_empty() && r.origin_candidates.is_empty() {
        return;
    }
    out.push_str("<div class=\"notes\">");
    if !r.trust_steps.is_empty() {
        let _ = write!(
            out,
            "<details class=\"steps\"{}><summary class=\"note-h\">Why the trusted region{} was believed ({})</summary><ul>",
            if r.trust_steps.len() <= 5 { " open" } else { "" },
            facts
                .owner
                .as_deref()
                .map(|o| format!(" ({})", esc(o)))
                .unwrap_or_default(),
            crate::util::words::count(r.trust_steps.len(), "step")
        );
        for s in &r.trust_steps {
            let _ = write!(out, "<li>hop {}: {}</li>", s.hop, esc(&s.reason));
        }
        out.push_str("</ul></details>");
    }
    if !r.origin_candidates.is_empty() {
        out.push_str("<p class=\"note-h\">Client addresses named by headers</p><ul>");
        for c in &r.origin_candidates {
            let _ = write!(
                out,
                "<li><code>{}</code> ({}) from <code>{}</code>, written by {}: <b>{}</b></li>",
                c.ip,
                esc(&c.ip_class),
                esc(&c.header),
                c.written_by_hop
                    .map(|h| format!("hop {h}"))
                    .unwrap_or_else(|| "the origin".into()),
                c.credibility.as_str()
            );
        }
        out.push_str("</ul>");
    }
    out.push_str("</div>\n");
}

fn findings(out: &mut String, r: &Report, id: &str) {
    let _ = writeln!(out, "<h2 id=\"{id}-findings\">Findings</h2>");
    if r.findings.is_empty() {
        out.push_str("<p class=\"empty\">No findings.</p>\n");
        return;
    }
    for sev in [Severity::Forged, Severity::Warn, Severity::Info] {
        let group: Vec<_> = r.findings.iter().filter(|f| f.severity == sev).collect();
        if group.is_empty() {
            continue;
        }
        let _ = write!(
            out,
            "<h3 class=\"sevgroup sev-{0}\">{1} <span class=\"count\">({2})</span></h3><ul class=\"findings\">",
            sev.as_str(),
            match sev {
                Severity::Forged => "Forged",
                Severity::Warn => "Warnings",
                Severity::Info => "Information",
            },
            group.len()
        );
        for f in group {
            let _ = write!(
                out,
                "<li class=\"finding sev-{}\"><p class=\"f-head\"><span class=\"badge sev-{0}\">{}</span> <code class=\"code\">{}</code>{}</p><p class=\"f-msg\">{}</p>",
                sev.as_str(),
                sev_word(Some(sev)),
                wbr(f.code.as_str()),
                f.hop
                    .map(|h| format!(" <a class=\"hopref\" href=\"#{id}-hop{h}\">hop {h}</a>"))
                    .unwrap_or_default(),
                esc(&f.message)
            );
            evidence(out, &f.evidence);
            out.push_str("</li>");
        }
        out.push_str("</ul>\n");
    }
}

fn evidence(out: &mut String, v: &serde_json::Value) {
    let Some(obj) = v.as_object().filter(|o| !o.is_empty()) else {
        if !v.is_null() {
            let _ = write!(
                out,
                "<p class=\"evidence\"><code>{}</code></p>",
                esc(&v.to_string())
            );
        }
        return;
    };
    out.push_str("<dl class=\"evidence\">");
    for (k, v) in obj {
        let text = match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Array(a) if a.iter().all(|x| x.is_string()) => a
                .iter()
                .filter_map(|x| x.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            other => other.to_string(),
        };
        let _ = write!(out, "<div><dt>{}</dt><dd>{}</dd></div>", esc(k), esc(&text));
    }
    out.push_str("</dl>");
}

fn authentication(out: &mut String, r: &Report, id: &str) {
    let _ = writeln!(out, "<h2 id=\"{id}-auth\">Authentication</h2>");
    if r.auth_results.is_empty() {
        out.push_str("<p class=\"empty\">No Authentication-Results or Received-SPF written inside the trusted region.</p>\n");
    } else {
        out.push_str("<div class=\"tablewrap\"><table><caption>Verdicts written inside the trusted region</caption><thead><tr><th scope=\"col\">method</th><th scope=\"col\">result</th><th scope=\"col\">for</th><th scope=\"col\">by</th><th scope=\"col\">header</th></tr></thead><tbody>");
        for v in &r.auth_results {
            auth_row(out, v);
        }
        out.push_str("</tbody></table></div>\n");
    }
    if let Some(d) = &r.dns {
        let a = &d.auth;
        if a.spf.is_some() || !a.dkim.is_empty() {
            out.push_str("<div class=\"tablewrap\"><table><caption>Checked by spamtrace today</caption><thead><tr><th scope=\"col\">method</th><th scope=\"col\">result</th><th scope=\"col\">for</th></tr></thead><tbody>");
            if let Some(s) = &a.spf {
                let _ = write!(
                    out,
                    "<tr><td>spf</td><td>{}</td><td>{} for {}{}</td></tr>",
                    result_cell(s.result.as_str()),
                    esc(&s.domain),
                    s.ip,
                    s.helo
                        .as_deref()
                        .map(|h| format!(" (HELO {})", esc(h)))
                        .unwrap_or_default()
                );
            }
            for k in &a.dkim {
                let word = serde_json::to_value(k.result)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                let _ = write!(
                    out,
                    "<tr><td>dkim</td><td>{}</td><td>d={} s={} ({}){}</td></tr>",
                    result_cell(&word),
                    esc(&k.d),
                    esc(&k.s),
                    if k.aligned { "aligned" } else { "not aligned" },
                    k.error
                        .as_deref()
                        .map(|e| format!(": {}", esc(e)))
                        .unwrap_or_default()
                );
            }
            out.push_str("</tbody></table></div>\n");
        }
    }
    vendor_verdicts(out, r);
}

/// What the filters on the way wrote, each placed on the hop that wrote
/// it; a verdict below the trust boundary is a claim and says so.
fn vendor_verdicts(out: &mut String, r: &Report) {
    if r.vendor_verdicts.is_empty() {
        out.push_str("<p class=\"muted\">Vendor verdicts: no filter header in this message.</p>\n");
        return;
    }
    out.push_str("<div class=\"tablewrap\"><table><caption>Vendor verdicts: what the filters on the way wrote</caption><thead><tr><th scope=\"col\">filter</th><th scope=\"col\">header</th><th scope=\"col\">hop</th><th scope=\"col\">believed</th><th scope=\"col\">verdict</th><th scope=\"col\">what it says</th></tr></thead><tbody>");
    for v in &r.vendor_verdicts {
        let believed = if v.trusted {
            "trusted: written by a trusted server".to_string()
        } else {
            format!(
                "a claim{}",
                v.why_untrusted
                    .as_deref()
                    .map(|w| format!(": {}", esc(w)))
                    .unwrap_or_default()
            )
        };
        let _ = write!(
            out,
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&v.vendor),
            esc(&v.header),
            v.hop.map_or("origin".to_string(), |h| h.to_string()),
            believed,
            v.verdict
                .map_or("<span class=\"muted\">none stated</span>".to_string(), |c| {
                    esc(&c.as_str().replace('_', " "))
                }),
            esc(&v.meaning.join("; "))
        );
    }
    out.push_str("</tbody></table></div>\n");
}

fn result_cell(result: &str) -> String {
    let class = match result {
        "pass" => "good",
        "fail" | "softfail" | "permerror" | "body_altered" => "bad",
        _ => "muted",
    };
    format!("<span class=\"res {class}\">{}</span>", esc(result))
}

fn auth_row(out: &mut String, v: &AuthVerdict) {
    let props: Vec<String> = v
        .properties
        .iter()
        .map(|(k, val)| format!("{k}={val}"))
        .collect();
    let _ = write!(
        out,
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}{}</td><td>{}</td></tr>",
        esc(&v.method),
        result_cell(&v.result),
        esc(&props.join(" ")),
        esc_or(v.authserv_id.as_deref(), "a trusted server"),
        v.written_by_hop
            .map(|h| format!(" (hop {h})"))
            .unwrap_or_default(),
        esc(&v.header)
    );
}

fn contacts(out: &mut String, contacts: &[AbuseContact], id: &str) {
    let _ = writeln!(out, "<h2 id=\"{id}-contacts\">Abuse contacts</h2>");
    if contacts.is_empty() {
        out.push_str("<p class=\"empty\">None found. Abuse contacts need DNS (run without --offline, or with --dns-replay; --rdap asks the registries).</p>\n");
        return;
    }
    out.push_str("<div class=\"tablewrap\"><table><thead><tr><th scope=\"col\">address</th><th scope=\"col\">for</th><th scope=\"col\">whose</th><th scope=\"col\">provenance</th></tr></thead><tbody>");
    for c in contacts {
        let role = match c.role.as_str() {
            "" => String::new(),
            "first_untrusted_relay" => " · first untrusted relay".into(),
            other => format!(" · {} (a claim)", other.replace('_', " ")),
        };
        let _ = write!(
            out,
            "<tr><td><code>{}</code></td><td>{}{}{}</td><td>{}</td><td>{} · <b>{}</b>{}</td></tr>",
            esc(&c.address),
            esc_or(c.for_ip.as_deref(), "-"),
            c.hop.map(|h| format!(" (hop {h})")).unwrap_or_default(),
            esc(&role),
            esc(&c.scope.replace('_', " ")),
            esc(&c.source),
            esc(&c.confidence),
            if c.note.is_empty() {
                String::new()
            } else {
                format!(" · {}", esc(&c.note))
            }
        );
    }
    out.push_str("</tbody></table></div>\n");
}

/// The advertised sites' contacts (`--site-contacts`), hosts defanged;
/// nothing when they were not asked for.
fn site_contacts(out: &mut String, r: &Report, id: &str) {
    let Some(sc) = &r.site_contacts else { return };
    let _ = writeln!(out, "<h2 id=\"{id}-sites\">Advertised sites</h2>");
    if !sc.looked_up {
        out.push_str("<p class=\"empty\">Not looked up (--offline): the sites are listed, nobody was asked.</p>\n");
    }
    if sc.sites.is_empty() {
        return;
    }
    out.push_str("<div class=\"tablewrap\"><table><thead><tr><th scope=\"col\">host</th><th scope=\"col\">kind</th><th scope=\"col\">report to</th></tr></thead><tbody>");
    for site in &sc.sites {
        let to = if site.contacts.is_empty() {
            esc_or(site.note.as_deref(), "-")
        } else {
            site.contacts
                .iter()
                .map(|c| {
                    format!(
                        "<code>{}</code> ({}, {}{})",
                        esc(&c.address),
                        esc(&c.scope),
                        esc(&c.source),
                        c.for_ip
                            .as_deref()
                            .map(|ip| format!(", {}", esc(ip)))
                            .unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
                .join("<br>")
        };
        let _ = write!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{to}</td></tr>",
            esc(&site.host.replace('.', "[.]")),
            esc(&site.kind)
        );
    }
    out.push_str("</tbody></table></div>\n");
    for n in sc.notes.iter().filter(|_| sc.looked_up) {
        let _ = writeln!(out, "<p class=\"empty\">{}</p>", esc(n));
    }
}

fn timeline(out: &mut String, r: &Report, id: &str) {
    let _ = writeln!(out, "<h2 id=\"{id}-timeline\">Delay timeline</h2>");
    if r.hops.is_empty() {
        out.push_str("<p class=\"empty\">No Received headers.</p>\n");
        return;
    }
    // Delays oldest first; bars on a log scale so seconds and hours both show.
    let mut rows = Vec::new();
    let mut prev: Option<i64> = None;
    for h in r.hops.iter().rev() {
        let t = h.timestamp.as_ref().map(|t| t.epoch);
        let d = match (prev, t) {
            (Some(p), Some(t)) => Some(t - p),
            _ => None,
        };
        if t.is_some() {
            prev = t;
        }
        rows.push((h, d));
    }
    let max = rows
        .iter()
        .filter_map(|(_, d)| *d)
        .map(|d| d.abs())
        .max()
        .unwrap_or(0);
    let scale = |d: i64| -> f64 {
        if max == 0 {
            0.0
        } else {
            ((d.abs() as f64).ln_1p() / (max as f64).ln_1p() * 100.0).clamp(0.0, 100.0)
        }
    };
    out.push_str("<ol class=\"timeline\">");
    for (h, d) in rows {
        let time = h
            .timestamp
            .as_ref()
            .map(|t| esc(&t.utc.replace('T', " ")))
            .unwrap_or_else(|| "no date".into());
        let (delay, class) = match d {
            Some(d) if d < 0 => (format!("−{} (backwards)", human_duration(-d)), "bad"),
            Some(d) => (format!("+{}", human_duration(d)), ""),
            None => ("".to_string(), ""),
        };
        let _ = write!(
            out,
            "<li id=\"{id}-hop{}\"><span class=\"tl-hop\">hop {}</span><span class=\"tl-time\">{}</span><span class=\"tl-by\">{}</span><span class=\"tl-bar\"><span class=\"bar {class}\" style=\"width:{:.1}%\"></span></span><span class=\"tl-delay {class}\">{}</span></li>",
            h.index,
            h.index,
            time,
            esc_or(h.by.as_deref(), "?"),
            d.map(scale).unwrap_or(0.0),
            delay
        );
    }
    out.push_str("</ol>\n");
}

fn res_word(r: Resolution) -> &'static str {
    match r {
        Resolution::Found => "found",
        Resolution::NoData => "no data",
        Resolution::Nxdomain => "NXDOMAIN",
        Resolution::Unknown => "unknown",
    }
}

fn dns(out: &mut String, d: Option<&MessageDns>, id: &str) {
    let _ = writeln!(out, "<h2 id=\"{id}-dns\">DNS evidence</h2>");
    let Some(d) = d else {
        out.push_str("<p class=\"empty\">No DNS evidence: the report was made offline.</p>\n");
        return;
    };
    if !d.hops.is_empty() {
        out.push_str("<div class=\"tablewrap\"><table><caption>Reverse and forward DNS of each hop's sender</caption><thead><tr><th scope=\"col\">hop</th><th scope=\"col\">IP</th><th scope=\"col\">verdict</th><th scope=\"col\">PTR</th><th scope=\"col\">HELO</th><th scope=\"col\">recorded rDNS</th></tr></thead><tbody>");
        for h in &d.hops {
            let class = match h.verdict {
                crate::model::HopVerdict::Confirmed => "good",
                crate::model::HopVerdict::Unknown => "muted",
                _ => "bad",
            };
            let ptr = if h.ptr_names.is_empty() {
                res_word(h.ptr).to_string()
            } else {
                h.ptr_names.join(", ")
            };
            let helo = h
                .helo
                .as_ref()
                .map(|x| {
                    let m = match x.matches_ip {
                        Some(true) => ", matches",
                        Some(false) => ", does not match",
                        None => "",
                    };
                    format!(
                        "{}: {}{}{m}",
                        x.name,
                        res_word(x.resolution),
                        if x.addresses.is_empty() {
                            String::new()
                        } else {
                            format!(" {}", x.addresses.join(", "))
                        }
                    )
                })
                .unwrap_or_default();
            let recorded = match (&h.recorded_rdns, h.rdns_matches_ptr) {
                (Some(n), Some(true)) => format!("{n} (still the PTR)"),
                (Some(n), Some(false)) => format!("{n} (PTR changed)"),
                (Some(n), None) => n.clone(),
                (None, _) => String::new(),
            };
            let _ = write!(
                out,
                "<tr><td>{}</td><td><code>{}</code></td><td><span class=\"res {class}\">{}</span></td><td>{}{}</td><td>{}</td><td>{}</td></tr>",
                h.hop,
                h.ip,
                route::verdict_words(h.verdict),
                esc(&ptr),
                if h.fcrdns_failed.is_empty() {
                    String::new()
                } else {
                    format!(" (not back to the IP: {})", esc(&h.fcrdns_failed.join(", ")))
                },
                esc(&helo),
                esc(&recorded)
            );
        }
        out.push_str("</tbody></table></div>\n");
    }
    if !d.links.is_empty() {
        out.push_str("<div class=\"tablewrap\"><table><caption>Custody links: does the lower hop's receiver name resolve to the upper hop's sender?</caption><thead><tr><th scope=\"col\">link</th><th scope=\"col\">name</th><th scope=\"col\">sender IP</th><th scope=\"col\">DNS says</th></tr></thead><tbody>");
        for l in &d.links {
            let (word, class) = match l.status {
                LinkDnsStatus::Confirmed => ("confirmed", "good"),
                LinkDnsStatus::Refuted => ("refuted", "bad"),
                LinkDnsStatus::Unresolved => ("no address", "muted"),
                LinkDnsStatus::Unknown => ("unknown", "muted"),
            };
            let _ = write!(
                out,
                "<tr><td>{} → {}</td><td>{}</td><td><code>{}</code></td><td><span class=\"res {class}\">{word}</span> {}</td></tr>",
                l.lower,
                l.upper,
                esc(&l.by),
                l.ip,
                esc(&l.addresses.join(", "))
            );
        }
        out.push_str("</tbody></table></div>\n");
    }
    if !d.dnsbl.is_empty() {
        out.push_str("<div class=\"tablewrap\"><table><caption>DNS blocklists</caption><thead><tr><th scope=\"col\">hop</th><th scope=\"col\">IP</th><th scope=\"col\">zone</th><th scope=\"col\">status</th></tr></thead><tbody>");
        for b in &d.dnsbl {
            let (word, class) = match b.status {
                DnsblStatus::Listed => ("LISTED", "bad"),
                DnsblStatus::NotListed => ("not listed", "good"),
                DnsblStatus::Error => ("error", "muted"),
                DnsblStatus::Unknown => ("unknown", "muted"),
            };
            let detail = [
                b.codes.join(", "),
                b.reason.clone().unwrap_or_default(),
                b.error.clone().unwrap_or_default(),
            ]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" · ");
            let _ = write!(
                out,
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td><span class=\"res {class}\">{word}</span> {}</td></tr>",
                b.hop,
                b.ip,
                esc(&b.zone),
                esc(&detail)
            );
        }
        out.push_str("</tbody></table></div>\n");
    }
    let a = &d.auth;
    let mut facts = Vec::new();
    if let Some(m) = &a.message_id_domain {
        facts.push((
            "Message-ID domain",
            format!(
                "{} (asked {}): {}",
                m.domain,
                m.asked,
                res_word(m.resolution)
            ),
        ));
    }
    if let Some(e) = &a.envelope {
        let yn = |b: Option<bool>, y: &str, n: &str| match b {
            Some(true) => y.to_string(),
            Some(false) => n.to_string(),
            None => "unknown".to_string(),
        };
        facts.push((
            "Envelope domain",
            format!(
                "{}: {}, {}{}{}",
                e.domain,
                yn(e.exists, "exists", "does not exist"),
                yn(e.accepts_mail, "takes mail", "takes no mail"),
                if e.mx.is_empty() {
                    String::new()
                } else {
                    format!(" (MX {})", e.mx.join(", "))
                },
                if e.null_mx { ", null MX" } else { "" }
            ),
        ));
    }
    if !facts.is_empty() {
        out.push_str("<dl class=\"meta dnsfacts\">");
        for (k, v) in facts {
            let _ = write!(out, "<div><dt>{k}</dt><dd>{}</dd></div>", esc(&v));
        }
        out.push_str("</dl>\n");
    }
    if d.skipped_questions > 0 {
        let _ = writeln!(
            out,
            "<p class=\"muted\">{} not asked: the per-message cap was reached.</p>",
            crate::util::words::count(d.skipped_questions, "question")
        );
    }
    let _ = write!(
        out,
        "<details class=\"answers\"><summary>Every answer used ({})</summary><div class=\"tablewrap\"><table><thead><tr><th scope=\"col\">question</th><th scope=\"col\">rcode</th><th scope=\"col\">answers</th><th scope=\"col\">TTL</th><th scope=\"col\">when · server</th></tr></thead><tbody>",
        d.answers.len()
    );
    for a in &d.answers {
        let rcode = serde_json::to_value(a.rcode)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let _ = write!(
            out,
            "<tr><td><code>{} {}</code></td><td>{}</td><td>{}{}</td><td>{}</td><td>{} · {}</td></tr>",
            a.question.rtype.as_str(),
            esc(&a.question.name),
            esc(&rcode),
            esc(&a.answers.join(", ")),
            a.error
                .as_deref()
                .map(|e| format!(" ({})", esc(e)))
                .unwrap_or_default(),
            a.ttl.map(|t| t.to_string()).unwrap_or_default(),
            esc(&a.when),
            esc(&a.server)
        );
    }
    out.push_str("</tbody></table></div></details>\n");
}

fn raw_headers(out: &mut String, r: &Report, id: &str) {
    let _ = writeln!(out, "<h2 id=\"{id}-raw\">Raw headers</h2>");
    if !r.header_block.is_empty() {
        let block = String::from_utf8_lossy(&r.header_block);
        let _ = write!(
            out,
            "<details class=\"raw\"><summary>The header block as it arrived ({} lines)</summary><pre>",
            block.lines().count()
        );
        for line in block.lines() {
            // A folded line starts with a tab: shown as spaces, not `\u{9}`.
            let _ = writeln!(out, "{}", esc(&line.replace('\t', "    ")));
        }
        out.push_str("</pre></details>\n");
    }
    let _ = write!(
        out,
        "<details class=\"raw\"><summary>Received headers as written, top (newest) first ({})</summary><pre>",
        r.hops.len()
    );
    for h in &r.hops {
        let _ = writeln!(
            out,
            "<span class=\"rawno\">{:>3}</span> Received: {}",
            h.index,
            esc(&h.raw)
        );
    }
    out.push_str("</pre></details>\n");
}

/// The route of one report as a standalone SVG document (for pictures).
pub fn route_svg(r: &Report, wide: bool) -> String {
    let facts = route::Facts::new(r);
    let items = route::items(&facts, true);
    let geo = if wide { route::WIDE } else { route::NARROW };
    let d = route::draw(&facts, &items, geo, "route", &route_caption(r));
    d.svg
}

/// The stylesheet (for a page that embeds [`route_svg`]).
pub fn stylesheet() -> &'static str {
    style::CSS
}
