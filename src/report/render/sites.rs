//! The advertised sites in a complaint (issue 17): the "Advertised sites"
//! section (the sites the message's links lead to, defanged, each with its
//! registrable domain, the link-protection wrapper it came out of, and its
//! contacts when they were looked up), and the complaints to the sites'
//! hosting and registrar desks (`complain --sites`): one per desk, the
//! URLs defanged, when the message arrived, the evidence, and for a phish
//! the brand it claims. Shorteners and redirectors are named as such:
//! their operator is not the site.

use super::arf::{self, SiteFields};
use super::complaint::{self, ComplaintOptions};
use super::message::{self, Addressing};
use crate::input::RawMessage;
use crate::model::{AbuseContact, Code, Report, Site};
use crate::parse::mime::urls::defang;
use crate::report::phish::{self, Assessment};
use crate::util::links;
use crate::util::sanitize::for_terminal;
use std::fmt::Write;

/// Sites listed, at most.
pub const MAX_SITES: usize = 20;

fn dots(d: &str) -> String {
    d.replace('.', "[.]")
}

/// `s` with every occurrence of `host` (ASCII case ignored) defanged: a
/// URL the defanger could not read (`http:///host/`) still hides its host.
fn hide_host(s: &str, host: &str) -> String {
    if host.is_empty() || !host.contains('.') {
        return s.to_string();
    }
    let lower = s.to_ascii_lowercase();
    let h = host.to_ascii_lowercase();
    let mut out = String::with_capacity(s.len() + 8);
    let mut last = 0;
    for (i, _) in lower.match_indices(&h) {
        if i < last {
            continue;
        }
        out.push_str(&s[last..i]);
        out.push_str(&dots(&s[i..i + h.len()]));
        last = i + h.len();
    }
    out.push_str(&s[last..]);
    out
}

/// A line of our own text naming hosts (a finding's message, a contact's
/// note) with every host name and URL in it defanged; mail addresses are
/// kept (they are whom to write to).
fn defang_text(s: &str) -> String {
    s.split(' ')
        .map(|w| {
            if w.contains('@') || w.contains("[.]") {
                return w.to_string();
            }
            if w.contains("://") {
                return defang(w);
            }
            let core = w.trim_matches(|c: char| !c.is_alphanumeric());
            let is_name = core.contains('.')
                && core
                    .split('.')
                    .all(|l| !l.is_empty() && l.chars().all(|c| c.is_alphanumeric() || c == '-'))
                && core.chars().any(|c| c.is_alphabetic());
            if is_name {
                w.replacen(core, &dots(core), 1)
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The section, empty when the body was not read or holds no URL.
pub fn section(r: &Report) -> String {
    let mut s = String::new();
    let Some(b) = &r.body else { return s };
    let mut seen: Vec<&str> = Vec::new();
    for u in &b.urls {
        let Some(d) = u.domain.as_deref() else {
            continue;
        };
        if seen.contains(&d) {
            continue;
        }
        if seen.len() == MAX_SITES {
            let _ = writeln!(s, "  ... and more (see the report's JSON)");
            break;
        }
        seen.push(d);
        let mut line = format!("  {} ({})", defang(&u.url), dots(d));
        if let Some(w) = &u.wrapper {
            let _ = write!(line, ", unwrapped from {}", w.service);
        }
        if u.host.as_deref().and_then(links::classify) == Some(links::LinkHost::Shortener) {
            line.push_str(": a shortener/redirector, not the site");
        }
        let _ = writeln!(s, "{}", for_terminal(&line));
    }
    if s.is_empty() {
        return s;
    }
    let mut out = format!("\nAdvertised sites (links in the message, defanged):\n{s}");
    if let Some(sc) = &r.site_contacts {
        let _ = writeln!(out, "\nContacts for the advertised sites:");
        if !sc.looked_up {
            let _ = writeln!(out, "  not looked up (--offline)");
        }
        for site in &sc.sites {
            let _ = write!(out, "  {} ({})", dots(&site.host), site.kind);
            match &site.note {
                Some(n) if site.contacts.is_empty() => {
                    let _ = writeln!(out, ": {}", for_terminal(n));
                }
                _ => out.push('\n'),
            }
            for c in &site.contacts {
                let _ = writeln!(
                    out,
                    "    {:<32} {}, {}: {}",
                    for_terminal(&c.address),
                    c.scope,
                    c.source,
                    for_terminal(&c.note)
                );
            }
        }
        if let Some(n) = sc.limit {
            let _ = writeln!(out, "  (only the first {n} sites were looked up)");
        }
    }
    out
}

/// One desk to write to about advertised sites: an address, its scope
/// (`hosting` or `registrar`), and the sites it answers for.
#[derive(Debug, Clone)]
pub struct Desk<'a> {
    pub address: String,
    pub scope: String,
    pub sites: Vec<(&'a Site, &'a AbuseContact)>,
}

/// The desks of the report's site contacts, first seen first: one per
/// address and scope.
pub fn desks(r: &Report) -> Vec<Desk<'_>> {
    let mut out: Vec<Desk> = Vec::new();
    let Some(sc) = &r.site_contacts else {
        return out;
    };
    for site in sc.sites.iter().filter(|s| s.kind == "site") {
        for c in &site.contacts {
            if !crate::enrich::abuse::address::is_safe(&c.address) {
                continue;
            }
            match out
                .iter_mut()
                .find(|d| d.scope == c.scope && d.address.eq_ignore_ascii_case(&c.address))
            {
                Some(d) => d.sites.push((site, c)),
                None => out.push(Desk {
                    address: c.address.clone(),
                    scope: c.scope.clone(),
                    sites: vec![(site, c)],
                }),
            }
        }
    }
    out
}

/// The findings of the report that concern `site`: its URLs' homograph and
/// text mismatch, and its domain's URI blocklist listings.
fn evidence(r: &Report, site: &Site) -> Vec<String> {
    let mut out = Vec::new();
    for f in &r.findings {
        let ev = &f.evidence;
        let about = match f.code {
            Code::UrlHomograph => ev["host"].as_str() == Some(site.host.as_str()),
            Code::UrlTextMismatch | Code::UriblListed => {
                ev["domain"].as_str().is_some() && ev["domain"].as_str() == site.domain.as_deref()
            }
            _ => false,
        };
        if about {
            out.push(format!("{}: {}", f.code, f.message));
        }
    }
    out
}

/// The subject of a complaint to `desk`.
fn subject(desk: &Desk, a: &Assessment) -> String {
    let what = if a.phish {
        "Phishing site"
    } else {
        "Spam-advertised site"
    };
    let mut hosts: Vec<String> = Vec::new();
    for (s, _) in &desk.sites {
        let h = dots(&s.host);
        if !hosts.contains(&h) {
            hosts.push(h);
        }
    }
    let shown = hosts.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
    let more = if hosts.len() > 3 { ", ..." } else { "" };
    let whose = if desk.scope == "registrar" {
        "registered through you"
    } else {
        "hosted on your network"
    };
    let brand = a
        .brand
        .map(|b| format!(" impersonating {}", b.name))
        .unwrap_or_default();
    format!("{what}{brand} {whose}: {shown}{more}")
}

/// The human-readable text of a complaint to `desk`: the sites (defanged),
/// when the message arrived, the evidence, the brand claimed.
pub fn desk_summary(r: &Report, desk: &Desk, a: &Assessment) -> String {
    let t = for_terminal;
    let mut s = String::new();
    let kind = if a.phish {
        "a phishing message"
    } else {
        "unsolicited bulk mail (spam)"
    };
    let whose = if desk.scope == "registrar" {
        "whose domain names are registered through you (you are their registrar)"
    } else {
        "hosted at an address of a network you are responsible for"
    };
    let _ = writeln!(
        s,
        "The message below is {kind}. It advertises the site(s) listed here,\n{whose}."
    );
    let _ = writeln!(
        s,
        "The URLs are listed below, defanged (hxxp://, [.]); the original message follows.\n"
    );
    if let Some(relay) = &r.first_untrusted_relay {
        let by = relay.received_by.as_deref().unwrap_or("our server");
        let ip = relay
            .ip
            .map_or("an unknown address".into(), |i| i.to_string());
        let at = relay.received_at.as_deref().unwrap_or("an unknown time");
        let _ = writeln!(
            s,
            "First seen: {} (UTC), when {} accepted the message from {ip}\n(the time our trusted server recorded).\n",
            t(at),
            t(by)
        );
    }
    if let (Some(b), Some(by)) = (a.brand, &a.claimed_by) {
        let _ = writeln!(
            s,
            "It impersonates {}: {} claims {}, while its links lead to the site(s)\nbelow, which are not {}'s own domains ({}).\n",
            b.name,
            t(&defang_text(by)),
            b.name,
            b.name,
            b.domains.iter().take(4).map(|d| dots(d)).collect::<Vec<_>>().join(", ")
        );
    }
    let mut shown: Vec<&str> = Vec::new();
    for (site, c) in &desk.sites {
        if shown.contains(&site.host.as_str()) {
            continue;
        }
        shown.push(&site.host);
        let _ = writeln!(s, "Site: {}", dots(&site.host));
        if let Some(d) = &site.domain {
            let _ = writeln!(s, "  Domain:       {}", dots(d));
        }
        if let Some(ip) = &c.for_ip {
            let _ = writeln!(s, "  Address:      {ip} (resolved by us)");
        }
        let _ = writeln!(
            s,
            "  Contact:      {} ({})",
            t(&c.address),
            t(&defang_text(&c.note))
        );
        let _ = writeln!(s, "  URLs (defanged):");
        for u in &site.urls {
            let _ = writeln!(s, "    {}", t(&hide_host(&defang(u), &site.host)));
        }
        let ev = evidence(r, site);
        if !ev.is_empty() {
            let _ = writeln!(s, "  Evidence:");
            for e in ev {
                let _ = writeln!(s, "    {}", t(&defang_text(&e)));
            }
        }
        s.push('\n');
    }
    if a.phish {
        let _ = writeln!(s, "Why a phish:");
        for why in &a.reasons {
            let _ = writeln!(s, "  {}", t(&defang_text(why)));
        }
        s.push('\n');
    }
    let _ = writeln!(
        s,
        "This report was prepared with spamtrace {}. Verdict on the message's route: {}",
        env!("CARGO_PKG_VERSION"),
        t(&defang_text(&r.verdict))
    );
    s
}

/// The site fields of the ARF report to `desk`.
fn site_fields(desk: &Desk, a: &Assessment) -> SiteFields {
    let mut f = SiteFields {
        fraud: a.phish,
        ..SiteFields::default()
    };
    for (site, _) in &desk.sites {
        if let Some(d) = &site.domain {
            if !f.domains.contains(d) {
                f.domains.push(d.clone());
            }
        }
        for u in &site.urls {
            if f.uris.len() < 5 && !f.uris.contains(u) {
                f.uris.push(u.clone());
            }
        }
    }
    f
}

/// The complaint to `desk`: text (the original's headers copied below,
/// its body with --include-body), or with `arf` an RFC 5965 report with
/// the whole original attached (its URLs exact), Feedback-Type `fraud`
/// for a phish, `abuse` for spam.
pub fn complaint(
    r: &Report,
    msg: &RawMessage,
    opts: &ComplaintOptions,
    desk: &Desk,
    rcpt: &Addressing,
    arf_format: bool,
) -> Vec<u8> {
    let a = phish::assess(r);
    let subject = subject(desk, &a);
    let human = desk_summary(r, desk, &a);
    if arf_format {
        let whole = ComplaintOptions {
            include_body: true,
            ..opts.clone()
        };
        return arf::render_parts(
            r,
            msg,
            &whole,
            rcpt,
            &human,
            &subject,
            Some(&site_fields(desk, &a)),
        );
    }
    let mut text = human;
    let (header, body) = complaint::copied_message(msg, r, opts);
    let _ = writeln!(text, "\n----- Original message headers -----");
    for line in String::from_utf8_lossy(header.trim_ascii_end()).split('\n') {
        let _ = writeln!(text, "{}", for_terminal(line.trim_end_matches('\r')));
    }
    if let Some(body) = body {
        let _ = writeln!(text, "----- Original message body -----");
        for line in String::from_utf8_lossy(body.trim_ascii_end()).split('\n') {
            let _ = writeln!(text, "{}", for_terminal(line.trim_end_matches('\r')));
        }
    }
    let _ = writeln!(text, "----- End of original message -----");
    message::compose(&subject, &text, msg, opts, rcpt).into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defangs_names_not_addresses() {
        assert_eq!(
            defang_text("a link shows paypal.com but goes to resolve-case.example"),
            "a link shows paypal[.]com but goes to resolve-case[.]example"
        );
        assert_eq!(
            defang_text("an address of www.x.example; abuse@host.example (0.5 s, e.g.)"),
            "an address of www[.]x[.]example; abuse@host.example (0.5 s, e[.]g.)"
        );
        assert_eq!(
            defang_text("(p\u{430}ypal.com) https://a.example/x"),
            "(p\u{430}ypal[.]com) hxxps://a[.]example/x"
        );
        assert_eq!(
            defang("http://http://b.example/?u=HTTPS://c.example"),
            "hxxp://hxxp://b[.]example/?u=hxxpS://c[.]example"
        );
    }
}
