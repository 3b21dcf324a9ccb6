//! The `from` clause: who connected (IP), what it claimed (HELO), what the
//! receiver looked up (rDNS), and an ident, across the formats MTAs write.
//!
//! The rules, in order (see docs/received.md for the formats behind them):
//! 1. The connecting IP is the first address in a comment (`(rdns [ip])`,
//!    `([ip] helo=x)`, `(ip)`, `(user@ip)`); else a literal outside comments
//!    (`from [ip] (HELO x)`, `from name (helo) [ip]`); else a bare IP as the
//!    first word (webmail `from 1.2.3.4 by`). A literal that follows
//!    `HELO`/`EHLO` is a claim and never the IP.
//! 2. An explicit HELO (`helo=`, `HELO x`, `EHLO x`, `LHLO x`, `claiming to
//!    be "x"`) makes the first word the rDNS name (Exim, qmail, smtpd).
//! 3. Otherwise in `from A (B [ip])` A is the HELO and B the rDNS (Sendmail,
//!    Postfix, Gmail); in `from A ([ip])` A is the HELO, and the rDNS too
//!    when the receiver vouches for it (Exim, CommuniGate `verified`); in
//!    qmail's `from A (ip)` A is the rDNS and, with no `(HELO ...)`, the HELO.

use super::lex::{tokenize, Spanned, Tok};
use crate::model::FromPart;
use std::net::{IpAddr, Ipv4Addr};

/// Context the from clause alone does not carry.
pub(super) struct Context {
    /// The receiver is Exim (it writes `name ([ip])` when HELO = rDNS).
    pub exim: bool,
    /// The receiver is Microsoft Exchange (`from HELO (ip)`).
    pub microsoft: bool,
}

/// What one comment of the from clause says.
#[derive(Default)]
struct CommentInfo<'a> {
    ip: Option<IpAddr>,
    bracketed: bool,
    with_port: bool,
    /// The name written before the IP (`rdns [ip]`).
    name: Option<&'a str>,
    helo: Option<String>,
    ident: Option<&'a str>,
    verified: bool,
    /// Words only, no IP (Exim 3 `(helo)`).
    lone_name: Option<&'a str>,
    /// `(proxying for ip, ...)`, `(Forwarded-For: ip, ...)`: a proxy's note,
    /// whose address is the client behind the peer, never the peer.
    proxy_note: bool,
    forwarded_for: Option<IpAddr>,
}

/// Interpret the tokens after `from`.
pub(super) fn interpret(toks: &[Spanned<'_>], ctx: &Context) -> FromPart {
    let mut first: Option<Tok<'_>> = None;
    let mut ip_comment: Option<CommentInfo<'_>> = None;
    let mut glued = false;
    let mut spaced_comment = false;
    let mut helo: Option<String> = None;
    let mut ident: Option<String> = None;
    let mut lone_name: Option<&str> = None;
    let mut outer_ip: Option<(IpAddr, bool)> = None; // (ip, came first)
    let mut forwarded_for: Option<IpAddr> = None;
    let mut i = 0;
    while i < toks.len() {
        let t = toks[i];
        match t.tok {
            Tok::Word(w) if first.is_none() && i == 0 => first = Some(Tok::Word(w)),
            Tok::Literal(l) if i == 0 => {
                first = Some(Tok::Literal(l));
                if let Some(ip) = parse_ip(l) {
                    outer_ip = Some((ip, true));
                }
            }
            Tok::Literal(l) => match (parse_ip(l), outer_ip) {
                (Some(ip), None) => outer_ip = Some((ip, false)),
                // MDaemon/SMTPD32 `from [helo-literal] [ip]`: the second is the peer.
                (Some(ip), Some((_, true))) if i == 1 => outer_ip = Some((ip, false)),
                _ => {}
            },
            // IIS SMTPSVC: `from NAME - 1.2.3.4 by ...`.
            Tok::Word("-") if outer_ip.is_none() => {
                if let Some(ip) = toks.get(i + 1).and_then(|t| match t.tok {
                    Tok::Word(w) => parse_ip(w),
                    _ => None,
                }) {
                    outer_ip = Some((ip, false));
                    i += 1;
                }
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("claiming") => {
                // smtpd: `claiming to be "name"`
                if let Some(q) = toks[i + 1..].iter().take(3).find_map(|t| match t.tok {
                    Tok::Quoted(q) => Some(q),
                    _ => None,
                }) {
                    helo = Some(q.to_string());
                }
            }
            Tok::Comment(c) => {
                let info = comment(c);
                if info.proxy_note {
                    forwarded_for = forwarded_for.or(info.forwarded_for);
                    i += 1;
                    continue;
                }
                if let Some(h) = &info.helo {
                    helo.get_or_insert_with(|| h.clone());
                }
                if let Some(id) = info.ident {
                    ident.get_or_insert_with(|| id.to_string());
                }
                if info.ip.is_some() && ip_comment.is_none() {
                    glued = i == 1 && !t.spaced;
                    spaced_comment = c.starts_with(char::is_whitespace);
                    ip_comment = Some(info);
                } else if info.ip.is_none() && lone_name.is_none() {
                    lone_name = info.lone_name;
                }
            }
            _ => {}
        }
        i += 1;
    }

    // `from user@host by ...` (Sendmail submit, AOL): an account, not a host;
    // Postfix `from userid 0`: a local user.
    if let Some(Tok::Word(w)) = first {
        if w.eq_ignore_ascii_case("userid") {
            first = None;
        }
        if w.contains('@') && parse_ip(w.rsplit('@').next().unwrap_or("")).is_none() {
            ident.get_or_insert_with(|| w.to_string());
            first = None;
        }
    }
    let first_name = match first {
        Some(Tok::Word(w)) if parse_ip(w).is_none() => Some(w),
        _ => None,
    };
    // The sender's claim when the first token is a literal: `[1.2.3.4]`.
    let first_claim = match first {
        Some(Tok::Word(w)) => Some(w.to_string()),
        Some(Tok::Literal(l)) => Some(format!("[{l}]")),
        _ => None,
    };
    let mut part = FromPart::default();
    // `(HELO )`: the sender stated an empty HELO, so the first word is not it.
    let helo_stated = helo.is_some();
    let explicit_helo = helo.filter(|h| !h.trim().is_empty());

    if let Some(info) = ip_comment {
        part.ip = info.ip;
        if helo_stated {
            part.helo = explicit_helo.clone();
            part.rdns = first_name
                .map(str::to_string)
                .or(info.name.map(str::to_string));
        } else if let Some(name) = info.name {
            part.helo = first_claim;
            part.rdns = Some(name.to_string());
        } else if info.bracketed {
            part.helo = first_claim;
            if ctx.exim || info.verified {
                part.rdns = first_name.map(str::to_string);
            }
        } else if glued {
            // smtpd: `name(ip)`, the name is the rDNS.
            part.rdns = first_name.map(str::to_string);
        } else if info.with_port || spaced_comment || ctx.microsoft {
            part.helo = first_claim;
        } else {
            // qmail: `rdns (ip)`, HELO omitted when it equals the rDNS.
            part.rdns = first_name.map(str::to_string);
            part.helo = first_claim;
        }
        if ident.is_none() {
            ident = info.ident.map(str::to_string);
        }
    } else if let Some((ip, came_first)) = outer_ip {
        part.ip = Some(ip);
        if came_first {
            part.helo = explicit_helo;
        } else if let Some(h) = explicit_helo.or(lone_name.map(str::to_string)) {
            // Exim 3 / GMX: `rdns (helo) [ip]`.
            part.rdns = first_name.map(str::to_string);
            part.helo = Some(h);
        } else {
            // NAVGW, fetchmail: `name [ip]`.
            part.helo = first_claim;
        }
    } else if let Some(Tok::Word(w)) = first {
        if let Some(ip) = parse_ip(w) {
            part.ip = Some(ip);
        } else {
            part.helo = Some(w.to_string());
            if helo_stated {
                part.rdns = Some(w.to_string());
                part.helo = explicit_helo;
            }
        }
    } else {
        part.helo = explicit_helo.or(first_claim);
    }
    part.helo = part
        .helo
        .map(|h| normalise_name(&h))
        .filter(|h| !h.is_empty());
    part.rdns = part
        .rdns
        .map(|h| normalise_name(&h))
        .filter(|h| !is_unknown(h) && parse_ip(h).is_none());
    part.ident = ident;
    part.forwarded_for = forwarded_for;
    part
}

/// Read one comment of the from clause.
fn comment(text: &str) -> CommentInfo<'_> {
    let toks = tokenize(text);
    let mut info = CommentInfo::default();
    // A proxy's note of its client: `proxying for ip, unknown` (SquirrelMail),
    // `Forwarded-For: ip, [ip]` (mshttpd). Its addresses are not the peer.
    let lead = |k: usize, word: &str| match toks.get(k).map(|t| t.tok) {
        Some(Tok::Word(w)) => w.eq_ignore_ascii_case(word),
        _ => false,
    };
    if (lead(0, "proxying") && lead(1, "for")) || lead(0, "forwarded-for:") {
        info.forwarded_for = toks.iter().find_map(|t| match t.tok {
            Tok::Word(w) => parse_ip(w),
            Tok::Literal(l) => parse_ip(l),
            _ => None,
        });
        info.proxy_note = true;
        return info;
    }
    let mut words = 0;
    let mut i = 0;
    while i < toks.len() {
        let next = toks.get(i + 1).map(|t| t.tok);
        match toks[i].tok {
            Tok::Literal(l) => {
                if let (None, Some(ip)) = (info.ip, parse_ip(l)) {
                    info.ip = Some(ip);
                    info.bracketed = true;
                    // `[ip]:port`
                    info.with_port |= matches!(next, Some(Tok::Word(w)) if w.starts_with(':'));
                }
            }
            // zmailer (vger): `([ip]:port "EHLO name" rhost-flags-...)`
            Tok::Quoted(q) => {
                let mut parts = q.split_whitespace();
                let verb = parts.next().unwrap_or("");
                if ["helo", "ehlo", "lhlo"]
                    .iter()
                    .any(|k| verb.eq_ignore_ascii_case(k))
                {
                    info.helo = Some(parts.next().unwrap_or("").to_string());
                }
            }
            Tok::Word(w) => {
                words += 1;
                if let Some(claim) = strip_prefix_ci(w, "helo=") {
                    info.helo = Some(match (claim, next) {
                        // `helo=[1.2.3.4]` splits into a word and a literal.
                        ("", Some(Tok::Literal(l))) => {
                            i += 1;
                            format!("[{l}]")
                        }
                        (h, _) => h.to_string(),
                    });
                } else if let Some(ident) = strip_prefix_ci(w, "ident=") {
                    info.ident = Some(ident);
                } else if ["helo", "ehlo", "lhlo", "hello"]
                    .iter()
                    .any(|k| w.eq_ignore_ascii_case(k))
                {
                    // The claim follows; a literal here is never the IP.
                    info.helo = Some(match next {
                        Some(Tok::Word(h)) => h.to_string(),
                        Some(Tok::Literal(h)) => format!("[{h}]"),
                        _ => String::new(),
                    });
                    if matches!(next, Some(Tok::Word(_) | Tok::Literal(_))) {
                        i += 1;
                    }
                } else if w.eq_ignore_ascii_case("account") || w.eq_ignore_ascii_case("user") {
                    i += 1; // CommuniGate/SquirrelMail account names
                } else if w.eq_ignore_ascii_case("verified") {
                    info.verified = true;
                } else if let Some((user, host)) = w.rsplit_once('@') {
                    match parse_ip(host) {
                        Some(ip) if info.ip.is_none() => {
                            info.ip = Some(ip);
                            info.ident = Some(user);
                        }
                        Some(_) => {}
                        None if info.ip.is_none() && info.name.is_none() => {
                            // Sendmail `ident@rdns [ip]`
                            info.ident = Some(user);
                            info.name = Some(host);
                        }
                        None => {}
                    }
                } else if let Some(ip) = parse_ip(w) {
                    if info.ip.is_none() {
                        info.ip = Some(ip);
                        info.with_port = w.contains(':') && matches!(ip, IpAddr::V4(_));
                    }
                } else if info.ip.is_none() && info.name.is_none() && words == 1 && !w.contains('=')
                {
                    info.name = Some(w);
                }
            }
            _ => {}
        }
        i += 1;
    }
    if info.ip.is_none() {
        info.lone_name = info.name.take().filter(|_| words == 1);
    }
    info
}

/// Names as we compare them: lowercase, no trailing dot.
pub(super) fn normalise_name(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// `word` without an ASCII `prefix`, compared without case. `get` rather than
/// slicing: a word may carry UTF-8 (`françois@…`), and an index inside a
/// character would panic.
fn strip_prefix_ci<'a>(word: &'a str, prefix: &str) -> Option<&'a str> {
    let head = word.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &word[prefix.len()..])
}

/// Placeholders MTAs write where a reverse lookup found nothing.
fn is_unknown(name: &str) -> bool {
    matches!(name, "" | "unknown" | "softdnserr" | "unverified")
}

/// An address as MTAs write it: `1.2.3.4`, `IPv6:2001:db8::1`, `::ffff:1.2.3.4`
/// (mapped to IPv4), `1.2.3.4:25` or `1.2.3.4.25` (a port), `fe80::1%4`.
pub(super) fn parse_ip(text: &str) -> Option<IpAddr> {
    let t = text.trim();
    let t = match t.get(..5) {
        Some(p) if p.eq_ignore_ascii_case("ipv6:") => &t[5..],
        _ => t,
    };
    let t = t.split('%').next().unwrap_or(t);
    if t.is_empty()
        || !t
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b'.' || b == b':')
    {
        return None;
    }
    if let Ok(ip) = t.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    // IPv4 with a port: `1.2.3.4:25`, or four octets and a port `1.2.3.4.25`.
    if let Some((addr, port)) = t.split_once(':') {
        if port.bytes().all(|b| b.is_ascii_digit()) {
            return addr.parse::<Ipv4Addr>().ok().map(IpAddr::V4);
        }
    }
    let dots: Vec<&str> = t.split('.').collect();
    if dots.len() == 5
        && dots
            .iter()
            .all(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
    {
        let end = t.rfind('.').unwrap_or(t.len());
        return t[..end].parse::<Ipv4Addr>().ok().map(IpAddr::V4);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_forms() {
        assert_eq!(parse_ip("1.2.3.4"), Some("1.2.3.4".parse().unwrap()));
        assert_eq!(
            parse_ip("IPv6:2001:db8::1"),
            Some("2001:db8::1".parse().unwrap())
        );
        assert_eq!(parse_ip("::ffff:1.2.3.4"), Some("1.2.3.4".parse().unwrap()));
        assert_eq!(parse_ip("1.2.3.4:25"), Some("1.2.3.4".parse().unwrap()));
        assert_eq!(
            parse_ip("63.251.66.24.63559"),
            Some("63.251.66.24".parse().unwrap())
        );
        assert_eq!(parse_ip("fe80::1%4"), Some("fe80::1".parse().unwrap()));
        // Version numbers and names are not addresses.
        assert_eq!(parse_ip("15.20.1234.5"), None);
        assert_eq!(parse_ip("8.12.10"), None);
        assert_eq!(parse_ip("cafe"), None);
        assert_eq!(parse_ip(""), None);
    }
}
