//! The lines the table shows for a reported message's wrapper and for
//! what the body holds (issue 17). URLs and hosts are defanged here
//! (`hxxp://`, `example[.]com`): people copy from terminals; the JSON keeps
//! them exact.

use crate::model::{Report, SourceFormat, WrapperKind};
use crate::parse::mime::urls::defang;

/// URL lines shown, at most (the JSON has them all).
pub const MAX_URL_LINES: usize = 12;

/// `(label, value)` lines about where a message came from: an Outlook
/// .msg, and where a reported message sat.
pub fn reported_lines(r: &Report) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if r.source.format == Some(SourceFormat::OutlookMsg) && r.source.reported_by.is_none() {
        out.push((
            "  Read from",
            "an Outlook .msg: its transport headers, the body rebuilt from its properties"
                .to_string(),
        ));
    }
    let Some(rb) = r.source.reported_by.as_deref() else {
        return out;
    };
    let part = r.source.part.as_deref().unwrap_or("?");
    let what = match rb.kind {
        WrapperKind::Forward => "a forward".to_string(),
        WrapperKind::FeedbackReport => format!(
            "a feedback report (ARF, Feedback-Type {})",
            rb.feedback_type.as_deref().unwrap_or("?")
        ),
    };
    let mut s = format!(
        "MIME part {part} of {what} from {}, {}",
        rb.from.as_deref().unwrap_or("?"),
        rb.date.as_deref().unwrap_or("no date")
    );
    if let Some(ip) = &rb.source_ip {
        s.push_str(&format!("; the report names Source-IP {ip}"));
    }
    if rb.headers_only {
        s.push_str("; the header block only");
    }
    out.push(("  Reported in", s));
    out
}

/// `(label, value)` lines for the URLs and attachments.
pub fn body_lines(r: &Report) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let Some(b) = &r.body else {
        return out;
    };
    let mut seen = std::collections::HashSet::new();
    let urls: Vec<_> = b
        .urls
        .iter()
        .filter(|u| seen.insert((&u.url, &u.text)))
        .collect();
    for u in urls.iter().take(MAX_URL_LINES) {
        let mut s = defang(&u.url);
        if let Some(d) = &u.domain {
            s.push_str(&format!(" ({})", d.replace('.', "[.]")));
        }
        if let Some(uni) = &u.host_unicode {
            s.push_str(&format!(" [IDN {}]", uni.replace('.', "[.]")));
        }
        if let Some(w) = &u.wrapper {
            s.push_str(&format!(" via {}", w.service));
        }
        if let Some(t) = &u.text {
            s.push_str(&format!(", shown as \"{}\"", defang(t)));
        }
        out.push(("URL", s));
    }
    if urls.len() > MAX_URL_LINES {
        out.push((
            "URL",
            format!("... and {} more (see --json)", urls.len() - MAX_URL_LINES),
        ));
    }
    for a in &b.attachments {
        out.push((
            "Attachment",
            format!(
                "{} ({}{}, {} bytes, sha256 {})",
                a.name.as_deref().unwrap_or("(no name)"),
                a.declared,
                a.sniffed
                    .as_deref()
                    .filter(|s| *s != a.declared)
                    .map(|s| format!(", bytes say {s}"))
                    .unwrap_or_default(),
                a.size,
                a.sha256
            ),
        ));
    }
    out.extend(site_lines(r));
    out
}

/// `(label, value)` lines for the advertised sites' contacts, when they
/// were asked for (`--site-contacts`).
pub fn site_lines(r: &Report) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let Some(sc) = &r.site_contacts else {
        return out;
    };
    if !sc.looked_up {
        out.push((
            "Site contacts",
            "not looked up (--offline): the sites are listed, nobody was asked".to_string(),
        ));
    }
    for n in sc.notes.iter().filter(|_| sc.looked_up) {
        out.push(("Site contacts", n.clone()));
    }
    for site in &sc.sites {
        let host = site.host.replace('.', "[.]");
        let mut s = if site.contacts.is_empty() {
            match &site.note {
                Some(n) if sc.looked_up || site.kind != "site" => {
                    format!("{host} ({}): {n}", site.kind)
                }
                _ => format!("{host} ({})", site.kind),
            }
        } else {
            let cs: Vec<String> = site
                .contacts
                .iter()
                .map(|c| format!("{} {} ({})", c.scope, c.address, c.source))
                .collect();
            format!("{host}: report to {}", cs.join(", "))
        };
        if !site.addresses.is_empty() {
            s.push_str(&format!(" [{}]", site.addresses.join(", ")));
        }
        out.push(("Site", s));
    }
    if let Some(n) = sc.limit {
        out.push((
            "Site",
            format!("only the first {n} sites of the message were looked up"),
        ));
    }
    out
}
