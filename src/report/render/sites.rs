//! The "Advertised sites" section of a complaint (issue 17): the sites the
//! message's links lead to, defanged, each with its registrable domain and
//! the link-protection wrapper it came out of. Shorteners and redirectors
//! are named as such: their operator is not the site.

use crate::model::Report;
use crate::parse::mime::urls::defang;
use std::fmt::Write;

/// URL shorteners and open redirectors: never reported as the site.
pub const REDIRECTORS: &[&str] = &[
    "bit.ly",
    "t.co",
    "tinyurl.com",
    "goo.gl",
    "ow.ly",
    "is.gd",
    "buff.ly",
    "lnkd.in",
    "rebrand.ly",
    "cutt.ly",
    "rb.gy",
    "shorturl.at",
    "tiny.cc",
    "t.ly",
    "s.id",
    "bitly.com",
];

/// Sites listed, at most.
pub const MAX_SITES: usize = 20;

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
        let mut line = format!("  {} ({})", defang(&u.url), d.replace('.', "[.]"));
        if let Some(w) = &u.wrapper {
            let _ = write!(line, ", unwrapped from {}", w.service);
        }
        if REDIRECTORS.contains(&d) {
            line.push_str(": a shortener/redirector, not the site");
        }
        let _ = writeln!(s, "{}", crate::util::sanitize::for_terminal(&line));
    }
    if s.is_empty() {
        return s;
    }
    format!("\nAdvertised sites (links in the message, defanged):\n{s}")
}
