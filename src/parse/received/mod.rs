//! One Received header -> one [`Hop`].
//!
//! mail-parser's Received parser loses too much for forensics (see
//! docs/received.md), so the clauses are split by our own tolerant tokenizer
//! ([`lex`]), the `from` clause is read by [`from`], and only the date is
//! left to mail-parser. Nothing here panics or allocates in proportion to
//! anything but the header's (capped) length.

mod date;
mod from;
mod lex;

use crate::model::{Hop, HopKind, Timestamp};
use lex::{tokenize, Spanned, Tok};
use mail_parser::parsers::MessageStream;
use mail_parser::HeaderValue;
use std::borrow::Cow;

/// Only this much of a header is read; the rest is kept in `raw` only.
const MAX_PARSED_LEN: usize = 8 * 1024;

/// The clauses of a Received header, as token slices.
#[derive(Default)]
struct Clauses<'t, 'a> {
    from: Option<&'t [Spanned<'a>]>,
    by: Option<&'t [Spanned<'a>]>,
    via: Option<&'t [Spanned<'a>]>,
    with: Option<&'t [Spanned<'a>]>,
    id: Option<&'t [Spanned<'a>]>,
    for_: Option<&'t [Spanned<'a>]>,
}

/// Parse the raw (possibly folded) value of the Received header at `index`.
pub fn parse(index: usize, value: &[u8]) -> Hop {
    let raw = crate::parse::headers::unfold(value);
    let mut text = raw.as_str();
    if text.len() > MAX_PARSED_LEN {
        let mut end = MAX_PARSED_LEN;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text = &text[..end];
    }
    let rewritten;
    if let Some(inner) = leading_from_comment(text) {
        // `(from HOST [ip]) by ...`: the whole from clause sits in a comment.
        rewritten = inner;
        text = &rewritten;
    }
    let toks = tokenize(text);
    let (clause_end, date) = split_date(text, &toks);
    let clauses = split_clauses(&toks[..clause_end]);
    let timestamp = date.and_then(parse_timestamp);

    let with = clauses.with.and_then(with_text);
    let with_lower = with.as_deref().unwrap_or("").to_ascii_lowercase();
    // All comments, lowercased into one buffer, for the marker searches.
    let mut comments_lower = String::with_capacity(text.len() + 64);
    for t in &toks {
        if let Tok::Comment(c) = t.tok {
            comments_lower.push_str(c);
            comments_lower.push_str(" | ");
        }
    }
    comments_lower.make_ascii_lowercase();
    let marks = comment_markers(&comments_lower);
    let ctx = from::Context {
        exim: marks.exim,
        // Exchange writes `from HELO (ip)`; M365's internal HTTPS hops say
        // nothing of Microsoft in `with`, but their receivers are outlook.com.
        microsoft: with_lower.starts_with("microsoft")
            || with_lower == "mapi"
            || raw_lower_has_outlook_by(&toks),
    };
    let from_part = clauses
        .from
        .map(|f| from::interpret(f, &ctx))
        .unwrap_or_default();

    let kind = if from_part.ip.is_some() {
        HopKind::Relay
    } else if clauses.from.is_none() && clauses.by.is_none() {
        // Notes without a peer: qmail `(qmail 1 invoked by uid 0)`, Yahoo
        // `(EGP: ...)`, list managers' `with ECARTIS`, `via dmail`.
        let other_clause = clauses.with.is_some() || clauses.via.is_some() || clauses.id.is_some();
        let only_comments = toks[..clause_end]
            .iter()
            .all(|t| matches!(t.tok, Tok::Comment(_)));
        if other_clause || (clause_end > 0 && only_comments) {
            HopKind::Local
        } else {
            HopKind::Unparsed
        }
    } else if is_local(&clauses, with.as_deref(), &comments_lower, &from_part.helo) {
        HopKind::Local
    } else {
        HopKind::NoIp
    };

    let mut hop = Hop::new(index, kind, String::new());
    if kind == HopKind::Unparsed {
        hop.unparsed_reason = Some(if text.trim().is_empty() {
            "empty header".into()
        } else {
            "no from or by clause".into()
        });
    }
    hop.tls = is_tls(&with_lower, marks.tls);
    hop.authenticated = is_authenticated(&with_lower, marks.auth);
    hop.from = from_part;
    hop.by = clauses
        .by
        .and_then(first_value)
        .map(|b| from::normalise_name(&b));
    hop.with = with;
    hop.via = clauses.via.and_then(with_text);
    hop.id = clauses.id.and_then(first_value).map(Cow::into_owned);
    hop.for_ = clauses.for_.and_then(first_value).map(Cow::into_owned);
    hop.timestamp = timestamp;
    hop.raw = raw;
    hop
}

/// `(from X [ip]) by ...` -> `from X [ip] by ...` (NAVGW and friends), and
/// a whole header wrapped in `[...]` (seen from a Motorola gateway).
fn leading_from_comment(text: &str) -> Option<String> {
    let closer = match text.as_bytes().first()? {
        b'(' => ')',
        b'[' => ']',
        _ => return None,
    };
    let rest = &text[1..];
    if !rest.get(..5)?.eq_ignore_ascii_case("from ") {
        return None;
    }
    let close = if closer == ']' {
        rest.rfind(closer)?
    } else {
        rest.find(closer)?
    };
    Some(format!("{} {}", &rest[..close], &rest[close + 1..]))
}

/// Where the clauses end and the date text (after the last `;`) begins.
/// Without a `;`, a date is looked for from a weekday or a day-month pair.
fn split_date<'a>(text: &'a str, toks: &[Spanned<'a>]) -> (usize, Option<&'a str>) {
    if let Some(last) = toks.iter().rposition(|t| t.tok == Tok::Semi) {
        let date = toks.get(last + 1).map(|t| text[t.start..].trim());
        return (last, date.filter(|d| !d.is_empty()));
    }
    for (i, t) in toks.iter().enumerate().skip(1) {
        let Tok::Word(w) = t.tok else { continue };
        let w = w.trim_end_matches(',');
        let next_is_month = || matches!(toks.get(i + 1).map(|t| t.tok), Some(Tok::Word(m)) if MONTHS.iter().any(|x| m.eq_ignore_ascii_case(x)));
        let is_day_name = DAYS.iter().any(|d| w.eq_ignore_ascii_case(d));
        let is_day_num = w.len() <= 2 && w.bytes().all(|b| b.is_ascii_digit()) && next_is_month();
        // Go's `2018-12-10 11:43:59.61 +0000 UTC` (SendGrid), with no `;`.
        let is_iso_day = is_iso_date(w)
            && matches!(toks.get(i + 1).map(|t| t.tok), Some(Tok::Word(t)) if t.contains(':'));
        if is_day_name || is_day_num || is_iso_day {
            return (i, Some(text[t.start..].trim()));
        }
    }
    (toks.len(), None)
}

/// `2018-12-10`: four digits, a dash, one or two, a dash, one or two.
fn is_iso_date(w: &str) -> bool {
    let parts: Vec<&str> = w.split('-').collect();
    matches!(parts[..], [y, m, d] if y.len() == 4
        && (1..=2).contains(&m.len()) && (1..=2).contains(&d.len())
        && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())))
}

const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The date through [`date::parse_loose`] (Go's time format, month-first,
/// asctime and numeric dates), else through mail-parser; `original` keeps
/// the text as written.
fn parse_timestamp(original: &str) -> Option<Timestamp> {
    // The usual RFC 5322 form, which no loose form matches, directly.
    if let Some(dt) = crate::parse::message::strict_date(original.as_bytes()) {
        return dt.is_valid().then(|| Timestamp {
            utc: crate::parse::message::utc_rfc3339(&dt),
            epoch: dt.to_timestamp(),
            original: original.to_string(),
        });
    }
    // The loose forms first: mail-parser misreads some of them (asctime).
    if let Some(loose) = date::parse_loose(original) {
        return loose.map(|epoch| Timestamp {
            utc: date::rfc3339(epoch),
            epoch,
            original: original.to_string(),
        });
    }
    let HeaderValue::DateTime(dt) = MessageStream::new(original.as_bytes()).parse_date() else {
        return None;
    };
    if !dt.is_valid() {
        return None;
    }
    Some(Timestamp {
        utc: crate::parse::message::utc_rfc3339(&dt),
        epoch: dt.to_timestamp(),
        original: original.to_string(),
    })
}

/// Split tokens at the clause keywords. Each keyword opens its clause once;
/// a repeat (XMail's trailing `from <sender>`) stays inside the open clause.
fn split_clauses<'t, 'a>(toks: &'t [Spanned<'a>]) -> Clauses<'t, 'a> {
    let mut c = Clauses::default();
    let mut open: Option<(&str, usize)> = None;
    let close = |c: &mut Clauses<'t, 'a>, open: Option<(&str, usize)>, end: usize| {
        let Some((kw, start)) = open else { return };
        let slice = Some(&toks[start..end]);
        match kw {
            "from" => c.from = slice,
            "by" => c.by = slice,
            "via" => c.via = slice,
            "with" => c.with = slice,
            "id" => c.id = slice,
            _ => c.for_ = slice,
        }
    };
    let mut seen = [false; 6];
    for (i, t) in toks.iter().enumerate() {
        let Tok::Word(w) = t.tok else { continue };
        let Some(k) = KEYWORDS.iter().position(|k| w.eq_ignore_ascii_case(k)) else {
            continue;
        };
        // `from` only opens the header; the rest open once each.
        if seen[k] || (k == 0 && open.is_some()) {
            continue;
        }
        seen[k] = true;
        close(&mut c, open, i);
        open = Some((KEYWORDS[k], i + 1));
    }
    close(&mut c, open, toks.len());
    c
}

const KEYWORDS: [&str; 6] = ["from", "by", "via", "with", "id", "for"];

/// The first word, literal or `<...>` of a clause, as written (borrowed
/// but for a literal, which gets its brackets back).
fn first_value<'a>(toks: &[Spanned<'a>]) -> Option<Cow<'a, str>> {
    toks.iter().find_map(|t| match t.tok {
        Tok::Word(w) | Tok::Angle(w) => Some(Cow::Borrowed(w)),
        Tok::Literal(l) => Some(Cow::Owned(format!("[{l}]"))),
        _ => None,
    })
}

/// A protocol or via clause: its words up to the first comment after them
/// (`Microsoft SMTP Server (version=...)` -> `Microsoft SMTP Server`).
fn with_text(toks: &[Spanned<'_>]) -> Option<String> {
    let mut out = String::new();
    for t in toks {
        let piece = match t.tok {
            Tok::Word(w) => w,
            Tok::Literal(l) => l,
            Tok::Comment(_) if !out.is_empty() => break,
            _ => continue,
        };
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(piece);
    }
    (!out.is_empty()).then_some(out)
}

/// A handover without a network peer.
fn is_local(
    c: &Clauses<'_, '_>,
    with: Option<&str>,
    comments: &str,
    helo: &Option<String>,
) -> bool {
    if c.from.is_none() {
        return true; // `by host (Postfix, from userid 0)`, Gmail `by 2002:...`
    }
    let with = with.unwrap_or("").to_ascii_lowercase();
    let proto = with.split(' ').next().unwrap_or("");
    let from_words: Vec<&str> = c
        .from
        .unwrap_or(&[])
        .iter()
        .filter_map(|t| match t.tok {
            Tok::Word(w) => Some(w),
            _ => None,
        })
        .collect();
    let from_has = |w: &str| from_words.iter().any(|x| x.eq_ignore_ascii_case(w));
    matches!(proto, "local" | "lmtp" | "spool" | "mapi" | "pipe")
        // Exim's local submissions: `-bs` (local-esmtp), `-bS` (local-bsmtp).
        || proto.starts_with("local-")
        || from_has("userid")
        || from_has("pickup")
        || from_words
            .first()
            .is_some_and(|w| w.to_ascii_lowercase().ends_with("@localhost"))
        || comments.contains("invoked by uid")
        || comments.contains("invoked from network")
        || matches!(helo.as_deref(), Some("localhost" | "localhost.localdomain"))
}

const TLS_PROTOCOLS: [&str; 7] = [
    "esmtps",
    "esmtpsa",
    "utf8smtps",
    "utf8smtpsa",
    "lmtps",
    "lmtpsa",
    "smtps",
];
const AUTH_PROTOCOLS: [&str; 7] = [
    "esmtpa",
    "esmtpsa",
    "utf8smtpa",
    "utf8smtpsa",
    "lmtpa",
    "lmtpsa",
    "asmtp",
];

/// What the comments say, lowercased (see [`comment_markers`]).
struct Markers {
    /// The receiver is Exim.
    exim: bool,
    /// A TLS marker ([`TLS_MARKERS`]).
    tls: bool,
    /// An authentication marker ([`AUTH_MARKERS`]).
    auth: bool,
}

const TLS_MARKERS: [&str; 11] = [
    "using tls",
    "version=tls",
    "tlsv1",
    "tls1",
    "tls-1",
    "tls:",
    "ssl:",
    "sslv3",
    "transport security",
    "cipher=",
    "encrypted",
];
const AUTH_MARKERS: [&str; 5] = [
    "authenticated",
    "auth: ",
    "with login",
    "with plain",
    "with cram-md5",
];

/// The markers in the lowercased comments, in one pass over them: the
/// four bytes at each position pick the markers that may start there (a
/// substring search per marker per hop showed in archive-scale profiles).
/// Every marker is at least four bytes long.
fn comment_markers(comments: &str) -> Markers {
    let mut m = Markers {
        exim: false,
        tls: false,
        auth: false,
    };
    let h = comments.as_bytes();
    for i in 0..h.len().saturating_sub(3) {
        let rest = &h[i..];
        let any = |needles: &[&str]| needles.iter().any(|n| rest.starts_with(n.as_bytes()));
        match [h[i], h[i + 1], h[i + 2], h[i + 3]] {
            [b'e', b'x', b'i', b'm'] => m.exim = true,
            [b't', b'l', b's', b'v' | b'1' | b'-' | b':']
            | [b'u', b's', b'i', b'n']
            | [b'v', b'e', b'r', b's']
            | [b's', b's', b'l', b':' | b'v']
            | [b't', b'r', b'a', b'n']
            | [b'c', b'i', b'p', b'h']
            | [b'e', b'n', b'c', b'r'] => m.tls |= any(&TLS_MARKERS),
            [b'a', b'u', b't', b'h'] | [b'w', b'i', b't', b'h'] => m.auth |= any(&AUTH_MARKERS),
            _ => {}
        }
    }
    m
}

/// `with`: the `with` clause, lowercased; `marked`: a TLS marker in the comments.
fn is_tls(with: &str, marked: bool) -> bool {
    let proto = with.split(' ').next().unwrap_or("");
    TLS_PROTOCOLS.contains(&proto) || with.split(' ').any(|w| w == "tls") || marked
}

/// Arguments as for [`is_tls`].
fn is_authenticated(with: &str, marked: bool) -> bool {
    let proto = with.split(' ').next().unwrap_or("");
    AUTH_PROTOCOLS.contains(&proto) || marked
}

/// Is the receiving host (`by NAME`) one of Microsoft 365's?
fn raw_lower_has_outlook_by(toks: &[Spanned]) -> bool {
    toks.windows(2).any(|w| match (&w[0].tok, &w[1].tok) {
        (Tok::Word(b), Tok::Word(name)) if b.eq_ignore_ascii_case("by") => {
            let n = name.trim_end_matches('.').as_bytes();
            let ends = |s: &str| {
                n.len() >= s.len() && n[n.len() - s.len()..].eq_ignore_ascii_case(s.as_bytes())
            };
            ends(".outlook.com") || ends(".outlook.office365.com")
        }
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_pass_markers_are_the_substring_searches() {
        let extra = [
            "exim",
            "tls",
            "ssl",
            "auth",
            "with",
            "exi",
            "e",
            "t",
            " ",
            " | ",
            "x",
            "using",
            "encrypt",
            "with cram",
        ];
        let pieces: Vec<&str> = TLS_MARKERS
            .iter()
            .chain(&AUTH_MARKERS)
            .chain(&extra)
            .copied()
            .collect();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let mut hits = [0; 3];
        for _ in 0..20_000 {
            let mut text = String::new();
            for _ in 0..next(5) {
                let p = pieces[next(pieces.len())];
                // Cut pieces too, so partial markers meet.
                text.push_str(&p[next(p.len().min(3))..]);
            }
            let m = comment_markers(&text);
            let naive = |ns: &[&str]| ns.iter().any(|n| text.contains(n));
            assert_eq!(m.exim, text.contains("exim"), "{text:?}");
            assert_eq!(m.tls, naive(&TLS_MARKERS), "{text:?}");
            assert_eq!(m.auth, naive(&AUTH_MARKERS), "{text:?}");
            hits[0] += usize::from(m.exim);
            hits[1] += usize::from(m.tls);
            hits[2] += usize::from(m.auth);
        }
        assert!(hits.iter().all(|&h| h > 200), "{hits:?}");
    }
}
