//! The message's own header fields that the report shows and the checks
//! read: Message-ID, Date, From, Subject... decoded with mail-parser's field
//! parsers, one field at a time (no full-message parse).

use crate::parse::headers;

use crate::model::MessageSummary;
use crate::model::Timestamp;
use crate::parse::headers::Field;
use crate::util::domain;
use mail_parser::parsers::MessageStream;
use mail_parser::{Address, DateTime, HeaderValue};

/// Terminate a raw value with CRLF as mail-parser's field parsers expect;
/// NUL bytes dropped, as [`headers::unfold`] does (NUL_IN_HEADER).
fn stream_input(value: &[u8]) -> Vec<u8> {
    let mut v = value.to_vec();
    v.retain(|b| *b != 0);
    if !v.ends_with(b"\n") {
        v.extend_from_slice(b"\r\n");
    }
    v
}

/// Decode an unstructured field (RFC 2047 encoded words).
pub fn unstructured(f: &Field) -> String {
    if let Some(plain) = unstructured_plain(f.value) {
        return plain;
    }
    let input = stream_input(f.value);
    match MessageStream::new(&input).parse_unstructured() {
        HeaderValue::Text(t) => t.trim().to_string(),
        _ => f.text(),
    }
}

/// What mail-parser's `parse_unstructured` (then trimmed) gives for a value
/// without encoded words and NUL bytes, without its token list: each line's
/// text between its first and last byte that is not a space, tab or CR,
/// the lines joined by one space. `None` for values it must decode.
fn unstructured_plain(value: &[u8]) -> Option<String> {
    if memchr::memchr(0, value).is_some() || memchr::memmem::find(value, b"=?").is_some() {
        return None;
    }
    // A line break not followed by a continuation ends mail-parser's read.
    let folds_only = memchr::memchr_iter(b'\n', value)
        .all(|i| matches!(value.get(i + 1), None | Some(b' ' | b'\t')));
    if !folds_only {
        return None;
    }
    let blank = |b: &u8| matches!(b, b' ' | b'\t' | b'\r');
    let mut out = Vec::with_capacity(value.len());
    for line in value.split(|b| *b == b'\n') {
        let Some(start) = line.iter().position(|b| !blank(b)) else {
            continue;
        };
        let end = line.iter().rposition(|b| !blank(b)).unwrap_or(start);
        if !out.is_empty() {
            out.push(b' ');
        }
        out.extend_from_slice(&line[start..=end]);
    }
    let text = match String::from_utf8(out) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    let trimmed = text.trim();
    Some(if trimmed.len() == text.len() {
        text
    } else {
        trimmed.to_string()
    })
}

/// The usual RFC 5322 date, `[Day, ]D Mon YYYY HH:MM:SS +hhmm[ (comment)]`,
/// read directly into what mail-parser's `parse_date` makes of it (the
/// tests compare the two), without its byte-at-a-time state machine.
/// `None` for any other shape: mail-parser's turn.
pub(crate) fn strict_date(value: &[u8]) -> Option<DateTime> {
    let start = value.iter().position(|b| !matches!(b, b' ' | b'\t'))?;
    let end = value
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))?;
    let v = value.get(start..=end)?;
    let mut i = 0;
    if v.first()?.is_ascii_alphabetic() {
        // Any weekday: mail-parser reads no letter before the day.
        let day = v.get(..5)?;
        if !(day[..3].iter().all(u8::is_ascii_alphabetic) && day[3] == b',' && day[4] == b' ') {
            return None;
        }
        i = 5;
    }
    // Digits: 1..=max of them, their value.
    let digits = |i: &mut usize, max: usize| -> Option<u32> {
        let run = v[*i..].iter().take_while(|b| b.is_ascii_digit()).count();
        if run == 0 || run > max {
            return None;
        }
        let n = v[*i..*i + run]
            .iter()
            .fold(0u32, |n, b| n * 10 + u32::from(b - b'0'));
        *i += run;
        Some(n)
    };
    let byte =
        |i: &mut usize, want: u8| -> Option<()> { (v.get(*i) == Some(&want)).then(|| *i += 1) };
    let day = digits(&mut i, 2)?;
    byte(&mut i, b' ')?;
    let mon = v.get(i..i + 3)?;
    const MONTHS: [&[u8; 3]; 12] = [
        b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov",
        b"dec",
    ];
    let month = MONTHS.iter().position(|m| mon.eq_ignore_ascii_case(*m))? + 1;
    i += 3;
    byte(&mut i, b' ')?;
    if !matches!(v.get(i), Some(b'1'..=b'9')) {
        return None;
    }
    let year_at = i;
    let year = digits(&mut i, 4)?;
    if i - year_at != 4 {
        return None;
    }
    byte(&mut i, b' ')?;
    let hour = digits(&mut i, 2)?;
    byte(&mut i, b':')?;
    let minute = digits(&mut i, 2)?;
    byte(&mut i, b':')?;
    let second = digits(&mut i, 2)?;
    byte(&mut i, b' ')?;
    let before_gmt = match v.get(i)? {
        b'+' => false,
        b'-' => true,
        _ => return None,
    };
    i += 1;
    let zone_at = i;
    let zone = digits(&mut i, 4)?;
    if i - zone_at != 4 {
        return None;
    }
    // Nothing after the zone but one plain comment: `(PDT)`.
    match &v[i..] {
        [] => {}
        [b' ', b'(', inner @ .., b')']
            if !inner
                .iter()
                .any(|b| matches!(b, b'(' | b')' | b'\\' | b'\n')) => {}
        _ => return None,
    }
    Some(DateTime {
        year: year as u16,
        month: month as u8,
        day: day as u8,
        hour: hour as u8,
        minute: minute as u8,
        second: second as u8,
        tz_before_gmt: before_gmt,
        tz_hour: ((zone / 100) % 24) as u8,
        tz_minute: ((zone % 100) % 60) as u8,
    })
}

/// A parsed date field.
pub fn date(value: &[u8]) -> Option<DateTime> {
    if let Some(d) = strict_date(value) {
        return Some(d);
    }
    let input = stream_input(value);
    match MessageStream::new(&input).parse_date() {
        HeaderValue::DateTime(d) => Some(d),
        _ => None,
    }
}

/// A mail-parser date as our [`Timestamp`], with the original text.
pub fn timestamp(d: &DateTime, original: &str) -> Timestamp {
    Timestamp {
        utc: utc_rfc3339(d),
        epoch: d.to_timestamp(),
        original: original.to_string(),
    }
}

/// `d` in UTC as RFC 3339 (`1999-09-04T23:55:38Z`), what mail-parser's
/// `to_timezone(0).to_rfc3339()` gives, without its `format!` (one per hop
/// showed in archive-scale profiles).
pub fn utc_rfc3339(d: &DateTime) -> String {
    let u = d.to_timezone(0);
    if u.year > 9999 {
        return u.to_rfc3339();
    }
    let mut b = *b"0000-00-00T00:00:00Z";
    let mut put = |at: usize, width: usize, mut v: u32| {
        for i in (at..at + width).rev() {
            b[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, 4, u.year.into());
    put(5, 2, u.month.into());
    put(8, 2, u.day.into());
    put(11, 2, u.hour.into());
    put(14, 2, u.minute.into());
    put(17, 2, u.second.into());
    String::from_utf8_lossy(&b).into_owned()
}

/// The addresses of an address field: (display name, address) pairs.
pub fn addresses(f: &Field) -> Vec<(Option<String>, Option<String>)> {
    let input = stream_input(f.value);
    let value = MessageStream::new(&input).parse_address();
    let HeaderValue::Address(addr) = value else {
        return Vec::new();
    };
    let list: Vec<_> = match &addr {
        Address::List(l) => l.iter().collect(),
        Address::Group(g) => g.iter().flat_map(|g| g.addresses.iter()).collect(),
    };
    list.into_iter()
        .map(|a| {
            (
                a.name.as_ref().map(|n| n.trim().to_string()),
                a.address.as_ref().map(|s| s.trim().to_string()),
            )
        })
        .collect()
}

/// Message-IDs of an id field, without angle brackets.
pub fn ids(f: &Field) -> Vec<String> {
    let input = stream_input(f.value);
    match MessageStream::new(&input).parse_id() {
        HeaderValue::Text(t) => vec![t.to_string()],
        HeaderValue::TextList(l) => l.into_iter().map(|t| t.to_string()).collect(),
        _ => Vec::new(),
    }
}

/// The domain of an address (`user@Example.COM` -> `example.com`).
pub fn address_domain(addr: &str) -> Option<String> {
    let (_, d) = addr.trim().trim_matches(['<', '>']).rsplit_once('@')?;
    let d = d.trim().trim_end_matches('.').to_ascii_lowercase();
    (!d.is_empty()).then_some(d)
}

/// The value as written, unfolded ([`headers::unfold`]), when it is not
/// `decoded`; compared without a copy first, so the usual field (nothing
/// encoded) costs no allocation.
pub fn raw_if_different(value: &[u8], decoded: &str) -> Option<String> {
    let mut raw = value
        .iter()
        .copied()
        .filter(|b| !matches!(b, b'\r' | b'\n' | 0))
        .skip_while(u8::is_ascii_whitespace);
    let mut dec = decoded.as_bytes().iter().copied();
    let same = loop {
        match (raw.next(), dec.next()) {
            (Some(a), Some(b)) if a == b => continue,
            (None, None) => break true,
            (Some(a), None) if a.is_ascii_whitespace() => {
                break raw.all(|b| b.is_ascii_whitespace());
            }
            _ => break false,
        }
    };
    if same {
        return None;
    }
    let raw = headers::unfold(value);
    (raw != decoded).then_some(raw)
}

/// Build the summary from the header fields and the mbox envelope.
pub fn summarize(fields: &[Field], envelope_from: Option<&str>) -> MessageSummary {
    let mut s = MessageSummary {
        envelope_from: envelope_from.map(str::to_string),
        ..Default::default()
    };
    if let Some(f) = headers::first(fields, "message-id") {
        s.message_id = Some(f.text());
    }
    if let Some(f) = headers::first(fields, "date") {
        let text = f.text();
        s.date_utc = date(f.value)
            .filter(|d| d.is_valid())
            .map(|d| utc_rfc3339(&d));
        s.date = Some(text);
    }
    if let Some(f) = headers::first(fields, "from") {
        let decoded = unstructured(&f);
        s.from_raw = raw_if_different(f.value, &decoded);
        s.from = Some(decoded);
        // The first address; the display name only beside it.
        let mut pairs = addresses(&f).into_iter();
        match pairs.next() {
            Some((name, Some(addr))) => {
                s.from_name = name;
                s.from_address = Some(addr);
            }
            _ => s.from_address = pairs.find_map(|(_, a)| a),
        }
    }
    if let Some(f) = headers::first(fields, "to") {
        s.to = Some(unstructured(&f));
    }
    if let Some(f) = headers::first(fields, "subject") {
        let decoded = unstructured(&f);
        s.subject_raw = raw_if_different(f.value, &decoded);
        s.subject = Some(decoded);
    }
    if let Some(f) = headers::first(fields, "return-path") {
        s.return_path = Some(f.text());
    }
    s
}

/// DKIM-Signature fields read per message at most.
pub const MAX_DKIM_FIELDS: usize = 50;

/// A DKIM-Signature's identity, read without DNS: the signing domain, the
/// selector, and whether the domain aligns with the From (relaxed, RFC 7489:
/// same registrable domain). Verification (mail-auth, the DNS phase) adds
/// the result (checks::auth_results::dkim_finding).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkimSignature {
    pub d: String,
    pub s: String,
    pub aligned: bool,
}

/// The DKIM-Signature fields of the message (at most [`MAX_DKIM_FIELDS`]).
pub fn dkim_signatures(fields: &[Field], message: &MessageSummary) -> Vec<DkimSignature> {
    let from = message.from_address.as_deref().and_then(address_domain);
    fields
        .iter()
        .filter(|f| f.is("dkim-signature"))
        .take(MAX_DKIM_FIELDS)
        .filter_map(|f| {
            let text = f.text();
            let tag = |name: &str| {
                text.split(';').find_map(|t| {
                    let (k, v) = t.split_once('=')?;
                    (k.trim() == name).then(|| {
                        v.split_whitespace()
                            .collect::<String>()
                            .trim_end_matches('.')
                            .to_ascii_lowercase()
                    })
                })
            };
            let d = tag("d")?;
            let s = tag("s").unwrap_or_default();
            let aligned = from.as_deref().is_some_and(|f| domain::same_party(f, &d));
            Some(DkimSignature { d, s, aligned })
        })
        .collect()
}

/// A bare address from a path or envelope value (`<a@b>`, `a@b (comment)`).
pub fn bare_address(v: &str) -> Option<String> {
    let v = v.trim();
    let v = match (v.find('<'), v.rfind('>')) {
        (Some(s), Some(e)) if s < e => &v[s + 1..e],
        _ => crate::util::text::words(v).next().unwrap_or(""),
    };
    let v = v.trim();
    (v.contains('@') && !v.contains(char::is_whitespace)).then(|| v.to_string())
}

/// The envelope sender (Return-Path first, else the mbox envelope), a bare
/// address; `None` for the null sender (bounces).
pub fn envelope_sender(message: &MessageSummary) -> Option<String> {
    let rp = message.return_path.as_deref().and_then(bare_address);
    rp.or_else(|| message.envelope_from.as_deref().and_then(bare_address))
}

/// The envelope sender's domain a DNS stage should check
/// (ENVELOPE_DOMAIN_NXDOMAIN, SPF).
pub fn envelope_domain(message: &MessageSummary) -> Option<String> {
    envelope_sender(message).as_deref().and_then(address_domain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_values_only_when_they_differ() {
        assert_eq!(raw_if_different(b" plain text\r\n", "plain text"), None);
        assert_eq!(raw_if_different(b" a\r\n b  ", "a b"), None);
        assert_eq!(
            raw_if_different(b" =?utf-8?Q?caf=C3=A9?=\r\n", "café").as_deref(),
            Some("=?utf-8?Q?caf=C3=A9?=")
        );
        // Control characters are kept as written (JSON escapes them).
        assert_eq!(
            raw_if_different(b" a\x1b[31mb", "a b").as_deref(),
            Some("a\x1b[31mb")
        );
        assert_eq!(raw_if_different(b"", ""), None);
    }

    #[test]
    fn utc_rfc3339_matches_mail_parser() {
        for text in [
            "Sat, 4 Sep 1999 16:55:38 -0700",
            "Mon, 1 Jan 2001 00:00:00 +0000",
            "Thu, 31 Dec 2026 23:59:59 +1400",
            "Tue, 29 Feb 2000 12:34:56 +0530",
        ] {
            let d = date(text.as_bytes()).expect("a date");
            assert_eq!(utc_rfc3339(&d), d.to_timezone(0).to_rfc3339(), "{text}");
        }
        let epoch = DateTime::from_timestamp(0);
        assert_eq!(utc_rfc3339(&epoch), "1970-01-01T00:00:00Z");
    }

    fn mail_parser_date(value: &[u8]) -> Option<DateTime> {
        match MessageStream::new(&stream_input(value)).parse_date() {
            HeaderValue::DateTime(d) => Some(d),
            _ => None,
        }
    }

    /// Pseudo-random picks from `items` (xorshift, fixed seed).
    fn picker(seed: u64) -> impl FnMut(usize) -> usize {
        let mut s = seed;
        move |n| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s % n as u64) as usize
        }
    }

    #[test]
    fn strict_dates_are_what_mail_parser_reads() {
        let fixed: [&[u8]; 12] = [
            b" Sat, 4 Sep 1999 16:55:38 -0700\r\n",
            b"Mon, 01 Jan 2001 00:00:00 +0000 (UTC)",
            b"4 SEP 1999 16:55:38 -0700 (PDT)\n",
            b"Thu, 31 Feb 2026 23:59:60 +2599",
            b"Tue, 1 dec 3001 9:5:7 -0000",
            b"\tFri, 13 Oct 2023 08:00:00 +0530  ",
            b"Fri, 13 Oct 2023 08:00:00 +0530 (a b c)\r\n",
            b"Sun, 7 Mar 1900 00:00:00 +1400",
            b"Wed, 9 Oct 2002 12:57:14 -0400",
            b"Wed, 9 Oct 2002 12:57:14 -0400 (EDT) extra",
            b"Wed, 9 Oct 02 12:57:14 -0400",
            b"Wed 9 Oct 2002 12:57:14 GMT",
        ];
        let mut seen = 0;
        for v in fixed {
            if let Some(d) = strict_date(v) {
                seen += 1;
                assert_eq!(
                    Some(d),
                    mail_parser_date(v),
                    "{:?}",
                    String::from_utf8_lossy(v)
                );
            }
        }
        assert_eq!(seen, 9);
        // Pieces of dates, well and badly formed, in random orders: whatever
        // the strict reader accepts, mail-parser reads the same.
        let pieces: [&str; 24] = [
            "Sat, ",
            "Xyz, ",
            "4 ",
            "04 ",
            "31 ",
            "123 ",
            "Sep ",
            "jAn ",
            "Foo ",
            "1999 ",
            "0999 ",
            "99 ",
            "16:55:38 ",
            "9:5:7 ",
            "24:61:61 ",
            "16:55 ",
            "-0700",
            "+2399",
            "+07",
            " (PDT)",
            " (a (b))",
            " x",
            "\r\n",
            "\n\t",
        ];
        let mut pick = picker(0x9e37_79b9_7f4a_7c15);
        let mut accepted = 0;
        for _ in 0..20_000 {
            let mut v = String::new();
            if pick(2) == 0 {
                v.push_str(pieces[pick(2)]);
            }
            for range in [2..6, 6..9, 9..12, 12..16, 16..19, 19..24] {
                if pick(8) > 0 {
                    v.push_str(pieces[range.start + pick(range.len())]);
                }
            }
            if let Some(d) = strict_date(v.as_bytes()) {
                accepted += 1;
                assert_eq!(Some(d), mail_parser_date(v.as_bytes()), "{v:?}");
            }
        }
        assert!(accepted > 500, "{accepted}");
    }

    #[test]
    fn plain_unstructured_values_are_what_mail_parser_reads() {
        let decode = |v: &[u8]| match MessageStream::new(&stream_input(v)).parse_unstructured() {
            HeaderValue::Text(t) => t.trim().to_string(),
            _ => headers::unfold(v),
        };
        let pieces: [&[u8]; 14] = [
            b" ",
            b"\t",
            b"\r\n ",
            b"\n\t",
            b"\r",
            b"a",
            b"Hello",
            b"caf\xc3\xa9",
            b"\xff",
            b"=",
            b"?",
            b"\x0b",
            b"\xc2\xa0",
            b"x y",
        ];
        let mut pick = picker(0x2545_f491_4f6c_dd1d);
        let mut plain = 0;
        for _ in 0..20_000 {
            let mut v = Vec::new();
            for _ in 0..pick(9) {
                v.extend_from_slice(pieces[pick(pieces.len())]);
            }
            if pick(2) == 0 {
                v.extend_from_slice(b"\r\n");
            }
            if let Some(got) = unstructured_plain(&v) {
                plain += 1;
                assert_eq!(got, decode(&v), "{:?}", String::from_utf8_lossy(&v));
            }
        }
        assert!(plain > 5_000, "{plain}");
        assert_eq!(unstructured_plain(b" =?utf-8?Q?caf=C3=A9?=\r\n"), None);
        assert_eq!(unstructured_plain(b" a\x00b"), None);
    }
}
