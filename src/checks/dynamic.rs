//! What the names say, offline: a recorded rDNS or HELO name of a
//! residential or dynamic address pool, sending straight to a receiver
//! (RDNS_DYNAMIC, HELO_DYNAMIC; docs/checks.md).
//!
//! The shapes are those SpamAssassin's `20_dynrdns.cf` and rspamd's
//! `hfilter` module describe: a pool word as its own token in the host
//! labels (`[.-]word[.-]`), or glued to the address digits (`word-12`,
//! `12dyn`), or the connecting address's own octets written into the name
//! (`1-2-3-4`, `4.3.2.1`, `001002003004`, `c0a80001`). The words and their
//! rates over the corpus are in docs/checks.md. Only the host labels are
//! read (not the registrable domain: `dyn.com` is a company), and a name
//! that calls itself `static`, or lies under a mail provider's domain, is
//! not a pool.

use super::Context;
use crate::model::{Code, Finding, Severity};
use crate::util::{domain, providers};
use serde_json::json;
use std::net::IpAddr;

/// Pool words, as data: the token and what it names.
pub const POOL_WORDS: &[(&str, &str)] = &[
    ("dynamic", "dynamic pool"),
    ("dyn", "dynamic pool"),
    ("dynip", "dynamic pool"),
    ("pool", "address pool"),
    ("dhcp", "DHCP lease"),
    ("ppp", "PPP dial-in"),
    ("pppoe", "PPPoE line"),
    ("dial", "dial-up"),
    ("dialup", "dial-up"),
    ("dsl", "DSL line"),
    ("adsl", "ADSL line"),
    ("xdsl", "DSL line"),
    ("vdsl", "VDSL line"),
    ("cable", "cable modem"),
    ("broadband", "broadband line"),
    ("bredband", "broadband line"),
    ("client", "client address"),
    ("clients", "client address"),
    ("cust", "customer line"),
    ("customer", "customer line"),
    ("cpe", "customer premises equipment"),
    ("residential", "residential line"),
    ("fios", "fibre-to-the-home line"),
];

/// Is `host` of the hfilter shape for `word`: the word as its own token
/// (`(^|[.-])word([.-]|$)`), or glued to digits (`word[.-]?[0-9]`,
/// `[0-9][.-]?word`)? Every occurrence of the word is tried, as a regex
/// search would; plain byte tests, no regex (this runs per hop).
fn word_shape(host: &str, word: &str) -> bool {
    let h = host.as_bytes();
    let sep = |b: u8| b == b'.' || b == b'-';
    let digit = |i: usize| h.get(i).is_some_and(u8::is_ascii_digit);
    let w = word.as_bytes();
    // A plain scan: the names are short, and a substring searcher's set-up
    // cost more than it saved (the words are ASCII, so a byte match is a
    // match of the text).
    let find_at = |from: usize| {
        let last = h.len().checked_sub(w.len())?;
        (from..=last).find(|&i| h[i] == w[0] && &h[i..i + w.len()] == w)
    };
    let mut from = 0;
    while let Some(s) = find_at(from) {
        let e = s + w.len();
        let before_token = s == 0 || sep(h[s - 1]);
        let after_token = e == h.len() || sep(h[e]);
        let digits_after = digit(e) || (e < h.len() && sep(h[e]) && digit(e + 1));
        let digits_before = (s > 0 && digit(s - 1)) || (s > 1 && sep(h[s - 1]) && digit(s - 2));
        if (before_token && after_token) || digits_after || digits_before {
            return true;
        }
        // The next occurrence may overlap this one (`dyndyn`).
        from = s + 1;
    }
    false
}

/// `(^|[.-])static([.-]|[0-9]|$)`: the name calls itself static.
fn says_static(host: &str) -> bool {
    let h = host.as_bytes();
    host.match_indices("static").any(|(s, w)| {
        let e = s + w.len();
        (s == 0 || h[s - 1] == b'.' || h[s - 1] == b'-')
            && (e == h.len() || matches!(h[e], b'.' | b'-' | b'0'..=b'9'))
    })
}

/// The decimal digits of an octet, as text.
fn decimal(b: u8, buf: &mut [u8; 3]) -> &[u8] {
    let mut n = 3;
    let mut v = b;
    loop {
        n -= 1;
        buf[n] = b'0' + v % 10;
        v /= 10;
        if v == 0 {
            return &buf[n..];
        }
    }
}

/// Why `name` looks like a dynamic pool's (with `ip`, the connecting
/// address whose digits it may carry), or `None`.
pub fn pool_shape(name: &str, ip: Option<IpAddr>) -> Option<String> {
    let n = domain::normalized(name)?;
    let reg = domain::registrable_part(&n)?;
    if n == reg
        || providers::by_mail_domain(reg).is_some()
        || providers::mailbox_host(&n).is_some()
        || providers::PROVIDERS
            .iter()
            .any(|p| p.infra_domains.contains(&reg))
    {
        return None;
    }
    let host = n.strip_suffix(reg)?.trim_end_matches('.');
    if host.is_empty() || says_static(host) {
        return None;
    }
    if let Some(IpAddr::V4(v4)) = ip.map(|i| i.to_canonical()) {
        let o = v4.octets();
        // The runs of digits in the name.
        let runs: Vec<&str> = host
            .split(|c: char| !c.is_ascii_digit())
            .filter(|r| !r.is_empty())
            .collect();
        let has_seq = |seq: [u8; 4]| {
            runs.windows(4).any(|w| {
                w.iter()
                    .zip(seq)
                    .all(|(a, b)| a.as_bytes() == decimal(b, &mut [0; 3]))
            })
        };
        let mut rev = o;
        rev.reverse();
        // `{:03}` and `{:02x}` of each octet, without formatting.
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut padded = [0u8; 12];
        let mut hex = [0u8; 8];
        for (i, b) in o.into_iter().enumerate() {
            padded[3 * i..3 * i + 3].copy_from_slice(&[
                b'0' + b / 100,
                b'0' + b / 10 % 10,
                b'0' + b % 10,
            ]);
            hex[2 * i] = HEX[usize::from(b >> 4)];
            hex[2 * i + 1] = HEX[usize::from(b & 15)];
        }
        let contains = |needle: &[u8]| std::str::from_utf8(needle).is_ok_and(|t| host.contains(t));
        if has_seq(o) || has_seq(rev) || contains(&padded) || contains(&hex) {
            return Some("the connecting address's digits in the name".into());
        }
    }
    POOL_WORDS
        .iter()
        // The word itself first: most names hold none of the words.
        .find(|(w, _)| word_shape(host, w))
        .map(|(w, what)| format!("`{w}` ({what})"))
}

/// 2008-01-01T00:00:00Z: after RFC 5068 (November 2007).
const BCP_134_EPOCH: i64 = 1_199_145_600;

pub(crate) fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let relay = ctx.chain.first_untrusted_relay.as_ref();
    let origin = ctx.chain.probable_origin.as_ref();
    let mut seen: Vec<usize> = Vec::new();
    let mut candidates = Vec::new();
    if let Some(r) = relay {
        candidates.push((r.hop, r.ip, r.rdns.clone(), r.helo.clone(), true));
    }
    if let Some(o) = origin {
        candidates.push((o.hop, o.ip, o.rdns.clone(), o.helo.clone(), false));
    }
    for (hop, ip, rdns, helo, is_relay) in candidates {
        if seen.contains(&hop) {
            continue;
        }
        seen.push(hop);
        // A client that logged in to its provider's submission server is
        // how home users send: not "straight to a receiver".
        if ctx.hops.get(hop).is_some_and(|h| h.authenticated) {
            continue;
        }
        let role = if is_relay {
            "the first untrusted relay"
        } else {
            "the probable origin"
        };
        // Before 2008 a home line delivering straight to an MX was
        // ordinary: RFC 5068 (BCP 134, November 2007) asked access
        // providers to stop it, and the Spamhaus PBL (2007) listed such
        // ranges. Then it weighs `info`, unless the host also greeted with
        // a pool name (a configured home server names itself; malware on
        // the line takes the name its address was given).
        let received = ctx.hops.get(hop).and_then(|h| h.timestamp.as_ref());
        let rdns_shape = rdns.as_deref().and_then(|n| pool_shape(n, ip));
        let helo_shape = helo.as_deref().and_then(|n| pool_shape(n, ip));
        let both = rdns_shape.is_some() && helo_shape.is_some();
        let before_bcp = received.is_some_and(|t| t.epoch < BCP_134_EPOCH) && !both;
        let severity = if is_relay && !before_bcp {
            Severity::Warn
        } else {
            Severity::Info
        };
        for (code, label, name, shape) in [
            (Code::RdnsDynamic, "rDNS", rdns.as_deref(), rdns_shape),
            (Code::HeloDynamic, "HELO", helo.as_deref(), helo_shape),
        ] {
            let (Some(name), Some(why)) = (name, shape) else {
                continue;
            };
            let shown = crate::util::sanitize::for_terminal(name);
            out.push(Finding::new(
                code,
                severity,
                Some(hop),
                format!(
                    "{role}'s {label} name {shown} is a residential or dynamic pool's: {why}{}",
                    if is_relay && before_bcp {
                        " (received before 2008, when direct delivery from such lines was common)"
                    } else {
                        ""
                    }
                ),
                json!({"name": name, "before_2008": before_bcp, "ip": ip.map(|i| i.to_string()), "shape": why,
                       "role": if is_relay { "first_untrusted_relay" } else { "probable_origin" }}),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        s.parse().ok()
    }

    #[test]
    fn pool_names() {
        let cases = [
            ("c-73-1-2-3.hsd1.ca.comcast.net", "73.1.2.3", true),
            ("pool-71-9-8-7.nycmny.fios.verizon.net", "71.9.8.7", true),
            ("3.2.1.93.dynamic.example-isp.nl", "93.1.2.3", true),
            ("ppp-1-2.example-isp.it", "10.9.9.9", true),
            ("adsl-dyn12.example-isp.fr", "10.9.9.9", true),
            ("host093001002003.example-isp.es", "93.1.2.3", true),
            ("5d010203.example-isp.de", "93.1.2.3", true),
            ("mail.example.org", "93.1.2.3", false),
            ("mx.dyn.com", "93.1.2.3", false),
            ("93-1-2-3.static.example-isp.nl", "93.1.2.3", false),
            ("mail-ed1-f41.google.com", "209.85.1.41", false),
            ("dynamo.example.org", "93.1.2.3", false),
        ];
        for (name, addr, want) in cases {
            assert_eq!(pool_shape(name, ip(addr)).is_some(), want, "{name}");
        }
    }

    /// The byte tests say what rspamd hfilter's regexes say.
    #[test]
    fn word_shapes_match_the_regexes() {
        let hosts = [
            "dyn",
            "dyn-1",
            "1dyn",
            "1-dyn",
            "x.dyn.y",
            "xdyn",
            "dynx",
            "dyn.x",
            "x-dyn",
            "dyndyn",
            "adyndyn1",
            "a.dy",
            "dy",
            "1.2dyn",
            "dyn.",
            ".dyn",
            "-dyn-",
            "é-dyn",
            "dynéx",
            "xé1dyn",
            "static",
            "static1",
            "astatic",
            "x.static-",
            "staticx",
            "x.staticstatic.1",
            "cable9",
            "ppp",
            "pppoe-1",
        ];
        for w in ["dyn", "ppp", "pppoe", "cable", "static"] {
            let re =
                regex::Regex::new(&format!(r"(^|[.-]){w}([.-]|$)|{w}[.-]?[0-9]|[0-9][.-]?{w}"))
                    .unwrap();
            for h in hosts {
                assert_eq!(word_shape(h, w), re.is_match(h), "{w} in {h}");
            }
        }
        let re = regex::Regex::new(r"(^|[.-])static([.-]|[0-9]|$)").unwrap();
        for h in hosts {
            assert_eq!(says_static(h), re.is_match(h), "{h}");
        }
        let mut b = [0; 3];
        assert_eq!(decimal(0, &mut b), b"0");
        assert_eq!(decimal(7, &mut b), b"7");
        assert_eq!(decimal(93, &mut b), b"93");
        assert_eq!(decimal(255, &mut b), b"255");
    }
}
