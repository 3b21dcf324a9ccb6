//! Message-ID forensics: missing, malformed, several, unqualified, claiming
//! a provider the route never touched, added by a relay, a timestamp that
//! contradicts the Date, a host from the forged part of the chain, ratware
//! shapes (SpamAssassin's MSGID_* rules, explained).
//!
//! MSGID_DOMAIN_NXDOMAIN needs DNS: `parse::msgid::domain_to_check` is the question,
//! [`nxdomain_finding`] turns the looked-up answer into the finding.

use super::Context;
use crate::model::Code;
use crate::model::{Finding, Severity};
use crate::parse::msgid::{id_texts, is_literal, parse, MsgId};
use crate::util::domain;
use crate::util::providers;
use regex::Regex;
use serde_json::json;
use std::sync::LazyLock;

/// A Message-ID timestamp may differ this much from the Date header (after
/// trying both the Date's wall clock and UTC) before it is a mismatch.
pub const MSGID_TIMESTAMP_TOLERANCE: i64 = 24 * 3600;

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let ids = id_texts(ctx.fields);
    let Some(first) = ids.first() else {
        out.push(Finding::new(
            Code::MsgidMissing,
            Severity::Warn,
            None,
            "the message has no Message-ID header; every mail client and submission server adds one",
            json!({}),
        ));
        return;
    };
    if ids.len() > 1 {
        out.push(Finding::new(
            Code::MsgidMultiple,
            Severity::Warn,
            None,
            format!(
                "the message has {} Message-ID headers; RFC 5322 allows one",
                ids.len()
            ),
            json!({"message_ids": ids.iter().take(10).collect::<Vec<_>>(), "count": ids.len()}),
        ));
    }
    let id = match parse(first) {
        Ok(id) => id,
        Err(why) => {
            out.push(Finding::new(
                Code::MsgidInvalid,
                Severity::Warn,
                None,
                format!("the Message-ID {first:?} is not <left@right>: {why}"),
                json!({"message_id": first, "reason": why}),
            ));
            return;
        }
    };
    if !is_literal(&id.right) && !domain::is_fqdn(&id.right) {
        out.push(Finding::new(
            Code::MsgidNotFqdn,
            Severity::Info,
            None,
            format!(
                "the Message-ID's right side {:?} is neither a dotted domain nor an address literal",
                id.right
            ),
            json!({"message_id": first, "right": id.right}),
        ));
    }
    forged_provider(ctx, first, &id, out);
    from_relay(ctx, first, &id, out);
    timestamp_mismatch(ctx, first, &id, out);
    forged_hop(ctx, first, &id, out);
    if let Some(d) = ctx.dns.and_then(|d| d.auth.message_id_domain.as_ref()) {
        if d.resolution == crate::model::Resolution::Nxdomain {
            out.extend(nxdomain_finding(&d.asked, false).map(|f| super::aged(ctx, f)));
        }
    }
    spamware(first, &id, out);
}

/// Every host name the route mentions (HELO, rDNS, `by`), any hop.
fn route_names<'a>(ctx: &'a Context) -> impl Iterator<Item = &'a str> {
    ctx.hops.iter().flat_map(|h| {
        [
            h.from.helo.as_deref(),
            h.from.rdns.as_deref(),
            h.by.as_deref(),
        ]
        .into_iter()
        .flatten()
    })
}

/// MSGID_FORGED_PROVIDER: a provider's Message-ID on mail that neither
/// comes from that provider's users nor passed through its servers.
fn forged_provider(ctx: &Context, raw: &str, id: &MsgId, out: &mut Vec<Finding>) {
    let Some(p) = providers::by_msgid_domain(&id.right) else {
        return;
    };
    let from = ctx.sender_domain();
    if from.as_deref().is_some_and(|d| p.owns_mail_domain(d)) {
        return;
    }
    if route_names(ctx).any(|n| p.runs_host(n)) {
        return;
    }
    // With no Received header there is no route to compare with.
    if ctx.hops.is_empty() {
        return;
    }
    // Some mailing lists re-send without the author's Received headers:
    // then the missing provider hop is no proof.
    let list = ctx.is_mailing_list();
    out.push(Finding::new(
        Code::MsgidForgedProvider,
        if list {
            Severity::Warn
        } else {
            Severity::Forged
        },
        None,
        format!(
            "the Message-ID claims {} ({}), but the From domain is {} and no hop passes through {}'s servers{}",
            p.name,
            id.right,
            from.as_deref().unwrap_or("missing"),
            p.name,
            if list { " (a mailing list re-sent it)" } else { "" }
        ),
        json!({"message_id": raw, "right": id.right, "provider": p.name, "from_domain": from,
               "mailing_list": list}),
    ));
}

/// MSGID_FROM_RELAY: the ID was made by a relay (it carries a relay's queue
/// id or names a relay other than the origin), not by the author's client.
fn from_relay(ctx: &Context, raw: &str, id: &MsgId, out: &mut Vec<Finding>) {
    let left = id.left.to_ascii_lowercase();
    for hop in ctx.hops {
        // The length test first: a short id is never lowercased.
        let by_queue = hop
            .id
            .as_deref()
            .map(str::trim)
            .is_some_and(|q| q.len() >= 6 && left.contains(&q.to_ascii_lowercase()));
        // The bottom hop's receiver is often the author's submission
        // server, which may legitimately write the ID: only its queue id
        // counts there, not its name.
        let bottom = hop.index + 1 == ctx.hops.len();
        let by_name = !bottom
            && hop
                .by
                .as_deref()
                .and_then(domain::normalize)
                .is_some_and(|b| b == id.right);
        if by_queue || by_name {
            out.push(Finding::new(
                Code::MsgidFromRelay,
                Severity::Info,
                Some(hop.index),
                format!(
                    "the Message-ID was added by the relay of hop {} ({}), not by the author's mail client",
                    hop.index,
                    if by_queue {
                        "it contains the relay's queue id"
                    } else {
                        "it names the relay"
                    }
                ),
                json!({"message_id": raw, "hop": hop.index, "queue_id": hop.id, "by": hop.by,
                       "matched": if by_queue { "queue_id" } else { "host" }}),
            ));
            return;
        }
    }
}

/// A `YYYYMMDDhhmmss` (or `YYYYMMDDhhmm`) stamp at the start of the left side.
fn left_timestamp(left: &str) -> Option<(i64, String)> {
    let b = left.as_bytes();
    // The stamp and the character after it are ASCII: read them by hand
    // (what the regex below says, without compiling it).
    if !b.iter().take(15).all(u8::is_ascii) {
        return left_timestamp_regex(left);
    }
    let d = |i: usize| {
        b.get(i)
            .filter(|c| c.is_ascii_digit())
            .map(|c| u32::from(c - b'0'))
    };
    let two = |i: usize| Some(d(i)? * 10 + d(i + 1)?);
    let year = two(0).filter(|c| matches!(c, 19 | 20))? * 100 + two(2)?;
    let month = two(4).filter(|m| (1..=12).contains(m))?;
    let day = two(6).filter(|v| (1..=31).contains(v))?;
    let hour = two(8).filter(|h| *h <= 23)?;
    let minute = two(10).filter(|m| *m <= 59)?;
    let second = two(12).filter(|s| *s <= 59);
    let end = match second {
        Some(_) if d(14).is_none() => 14,
        _ if d(12).is_none() => 12,
        _ => return None,
    };
    let second = if end == 14 { second } else { None };
    let dt = mail_parser::DateTime {
        year: year as u16,
        month: month as u8,
        day: day as u8,
        hour: hour as u8,
        minute: minute as u8,
        second: second.unwrap_or(0) as u8,
        tz_before_gmt: false,
        tz_hour: 0,
        tz_minute: 0,
    };
    Some((dt.to_timestamp(), left.get(..end)?.to_string()))
}

/// [`left_timestamp`] by the regex, for a left side with other than ASCII
/// in its first characters (`\d` is any Unicode digit there).
fn left_timestamp_regex(left: &str) -> Option<(i64, String)> {
    static STAMP: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^((?:19|20)\d\d)(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])([01]\d|2[0-3])([0-5]\d)([0-5]\d)?(?:\D|$)")
            .expect("valid regex")
    });
    let c = STAMP.captures(left)?;
    let num = |i: usize| c.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
    let dt = mail_parser::DateTime {
        year: num(1)? as u16,
        month: num(2)? as u8,
        day: num(3)? as u8,
        hour: num(4)? as u8,
        minute: num(5)? as u8,
        second: num(6).unwrap_or(0) as u8,
        tz_before_gmt: false,
        tz_hour: 0,
        tz_minute: 0,
    };
    let end = c.get(6).or_else(|| c.get(5))?.end();
    Some((dt.to_timestamp(), left.get(..end)?.to_string()))
}

/// MSGID_TIMESTAMP_MISMATCH: the ID's stamp is far from the Date header,
/// read either as the Date's wall clock or as UTC (zones are not written).
fn timestamp_mismatch(ctx: &Context, raw: &str, id: &MsgId, out: &mut Vec<Finding>) {
    let Some((stamp, text)) = left_timestamp(&id.left) else {
        return;
    };
    let Some(date) = crate::parse::headers::first(ctx.fields, "date")
        .and_then(|f| crate::parse::message::date(f.value))
        .filter(|d| d.is_valid())
    else {
        return;
    };
    let utc = date.to_timestamp();
    let offset = (date.tz_hour as i64 * 3600 + date.tz_minute as i64 * 60)
        * if date.tz_before_gmt { -1 } else { 1 };
    let wall = utc + offset;
    let gap = (stamp - wall).abs().min((stamp - utc).abs());
    if gap > MSGID_TIMESTAMP_TOLERANCE {
        out.push(Finding::new(
            Code::MsgidTimestampMismatch,
            Severity::Warn,
            None,
            format!(
                "the Message-ID carries the time {text}, {} away from the Date header",
                crate::util::clock::human_duration(gap)
            ),
            json!({"message_id": raw, "stamp": text, "stamp_epoch": stamp, "date_epoch": utc,
                   "seconds": gap, "tolerance_seconds": MSGID_TIMESTAMP_TOLERANCE}),
        ));
    }
}

/// MSGID_FORGED_HOP: the right side names a host that appears only in the
/// forged part of the chain (at or below the first broken custody link).
fn forged_hop(ctx: &Context, raw: &str, id: &MsgId, out: &mut Vec<Finding>) {
    let Some(brk) = ctx.chain.first_break else {
        return;
    };
    if !break_is_hard(ctx, brk) {
        return;
    }
    // The author's own host: honest mail often breaks custody (internal
    // names, rewritten headers); an ID in the From's domain is no forgery.
    if ctx
        .sender_domain()
        .is_some_and(|d| domain::same_party(&d, &id.right))
    {
        return;
    }
    let names_of = |h: &crate::model::Hop| {
        [h.from.helo.clone(), h.from.rdns.clone(), h.by.clone()]
            .into_iter()
            .flatten()
            .filter_map(|n| domain::normalize(&n))
            .collect::<Vec<_>>()
    };
    let matches = |n: &String| *n == id.right;
    let in_forged = ctx
        .hops
        .iter()
        .filter(|h| h.index >= brk)
        .find(|h| names_of(h).iter().any(matches));
    let Some(hop) = in_forged else {
        return;
    };
    let in_honest = ctx
        .hops
        .iter()
        .filter(|h| h.index < brk)
        .any(|h| names_of(h).iter().any(|n| domain::same_party(n, &id.right)));
    if in_honest {
        return;
    }
    // A custody break alone is common in honest mail (rewritten or
    // anonymised relays), so this is a warning; it is forgery when the
    // From also claims a big provider the route never touched: two
    // independent contradictions pointing the same way.
    let provider_contradicted = ctx
        .sender_domain()
        .and_then(|d| providers::by_mail_domain(&d))
        .is_some_and(|p| !route_names(ctx).any(|n| p.runs_host(n)));
    out.push(Finding::new(
        Code::MsgidForgedHop,
        // A hard break alone is common in honest mail (2.8% of the corpus'
        // ham carried this at `warn`, 0.2% of spam and phishing): `info`.
        // With the From's provider contradicted too, two independent
        // contradictions: `forged`.
        if provider_contradicted {
            Severity::Forged
        } else {
            Severity::Info
        },
        Some(hop.index),
        if provider_contradicted {
            format!(
                "the Message-ID names {}, a host that appears only below the broken custody link at hop {brk}, and the From's provider is not on the route",
                id.right
            )
        } else {
            format!(
                "the Message-ID names {}, a host that appears only below the broken custody link at hop {brk}",
                id.right
            )
        },
        json!({"message_id": raw, "right": id.right, "first_break": brk, "hop": hop.index,
               "from_provider_not_in_path": provider_contradicted}),
    ));
}

/// A custody break that means forgery rather than an internal handover or
/// a name we cannot compare: the relay above connected from a public
/// address under a qualified name, and the header below names a different,
/// qualified receiver.
fn break_is_hard(ctx: &Context, brk: usize) -> bool {
    let Some(upper) = brk.checked_sub(1).and_then(|u| ctx.hops.get(u)) else {
        return false;
    };
    let Some(lower) = ctx.hops.get(brk) else {
        return false;
    };
    let public = upper.from.ip.is_some_and(|ip| {
        crate::chain::trust::classify(ip) == crate::chain::trust::IpClass::Public
    });
    let qualified = |n: Option<&str>| {
        n.and_then(domain::normalize)
            .is_some_and(|n| domain::is_fqdn(&n))
    };
    public
        && qualified(upper.from.rdns.as_deref().or(upper.from.helo.as_deref()))
        && qualified(lower.by.as_deref())
}

/// Ratware Message-ID shapes (after SpamAssassin's 20_head_tests.cf).
fn spamware(raw: &str, id: &MsgId, out: &mut Vec<Finding>) {
    static SHAPES: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
        [
            // `<123456a1bc12$abc12345$12345678@...>`
            (
                "99X9XX99",
                r"^\d{6}[a-z]\d[a-z]{2}\d{2}\$[a-z]{3}\d{5}\$\d{8}$",
            ),
            // `<ABCDEFG-0001234567890@...>`
            ("ALPHA_NUM", r"^[A-Z]{7}-000\d{10}$"),
            // Capitals only: no mail client makes these.
            ("CAPS", r"^[A-Z]{6,}$"),
        ]
        .into_iter()
        .map(|(n, r)| (n, Regex::new(r).expect("valid regex")))
        .collect()
    });
    // Outlook's `<000801c25394$a1b2c3d4$0201a8c0@host>` is hex; ratware
    // imitating it uses other letters.
    static DOLLARS: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^\w{4,}\$\w{4,}\$\w{4,}$").expect("valid regex"));
    static DOLLARS_OK: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^[0-9a-fA-F]{4,}\$[0-9a-fA-F]{4,}\$[0-9a-fA-F]{4,}$").expect("valid regex")
    });
    let shape = if id.left.is_ascii() {
        ascii_shape(&id.left)
    } else {
        let mut shape = SHAPES
            .iter()
            .find(|(_, r)| r.is_match(&id.left))
            .map(|(n, _)| *n);
        if shape.is_none()
            && DOLLARS.is_match(&id.left)
            && !DOLLARS_OK.is_match(&id.left)
            && !id.left.to_ascii_lowercase().contains("localhost")
        {
            shape = Some("FAKE_OUTLOOK");
        }
        shape
    };
    if let Some(shape) = shape {
        out.push(Finding::new(
            Code::MsgidSpamware,
            Severity::Warn,
            None,
            format!("the Message-ID has the shape {shape} made by known spam software"),
            json!({"message_id": raw, "shape": shape}),
        ));
    }
}

/// The spamware shape of an ASCII left side: what the regexes of
/// [`spamware`] say (on ASCII, `\d` and `\w` are `[0-9]` and
/// `[A-Za-z0-9_]`), by hand.
fn ascii_shape(left: &str) -> Option<&'static str> {
    let b = left.as_bytes();
    // Runs of one class each: (test, length).
    type Run = (fn(&u8) -> bool, usize);
    let runs = |spec: &[Run]| {
        let mut i = 0;
        for (test, n) in spec {
            if b.len() < i + n || !b[i..i + n].iter().all(test) {
                return false;
            }
            i += n;
        }
        i == b.len()
    };
    let digit: fn(&u8) -> bool = u8::is_ascii_digit;
    let lower: fn(&u8) -> bool = u8::is_ascii_lowercase;
    let upper: fn(&u8) -> bool = u8::is_ascii_uppercase;
    let dollar: fn(&u8) -> bool = |c| *c == b'$';
    let dash: fn(&u8) -> bool = |c| *c == b'-';
    let zero: fn(&u8) -> bool = |c| *c == b'0';
    #[rustfmt::skip]
    let shape = [
        ("99X9XX99", &[(digit, 6), (lower, 1), (digit, 1), (lower, 2), (digit, 2), (dollar, 1),
                       (lower, 3), (digit, 5), (dollar, 1), (digit, 8)][..]),
        ("ALPHA_NUM", &[(upper, 7), (dash, 1), (zero, 3), (digit, 10)][..]),
    ]
    .into_iter()
    .find(|(_, spec)| runs(spec))
    .map(|(n, _)| n);
    if shape.is_some() {
        return shape;
    }
    if b.len() >= 6 && b.iter().all(u8::is_ascii_uppercase) {
        return Some("CAPS");
    }
    let three = |ok: fn(&u8) -> bool| {
        let parts: Vec<&[u8]> = b.split(|c| *c == b'$').collect();
        parts.len() == 3 && parts.iter().all(|p| p.len() >= 4 && p.iter().all(ok))
    };
    let word: fn(&u8) -> bool = |c| c.is_ascii_alphanumeric() || *c == b'_';
    (three(word)
        && !three(u8::is_ascii_hexdigit)
        && !left.to_ascii_lowercase().contains("localhost"))
    .then_some("FAKE_OUTLOOK")
}

/// MSGID_DOMAIN_NXDOMAIN from a lookup's answer: `exists` is false when the
/// name and its registrable domain have no records at all (NXDOMAIN).
pub fn nxdomain_finding(domain: &str, exists: bool) -> Option<Finding> {
    (!exists).then(|| {
        Finding::new(
            Code::MsgidDomainNxdomain,
            Severity::Warn,
            None,
            format!("the Message-ID's domain {domain} does not exist in DNS"),
            json!({"domain": domain}),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ids() {
        let id = parse("<19990904195323.H8159@fritz.hotdogcity.com>").unwrap();
        assert_eq!(id.right, "fritz.hotdogcity.com");
        assert!(parse("19990904@host.example").is_err());
        assert!(parse("<a@b@c.example>").is_err());
        assert!(parse("<a b@c.example>").is_err());
        assert!(parse("<@c.example>").is_err());
        assert!(parse("<abc@>").is_err());
        assert!(parse("<\"a@b\"@c.example>").is_ok());
        assert!(parse("<abc@[192.0.2.1]>").is_ok());
    }

    #[test]
    fn finds_stamps() {
        let (t, text) = left_timestamp("19990904195323.H8159").unwrap();
        assert_eq!(text, "19990904195323");
        assert_eq!(t, 936474803);
        assert!(left_timestamp("1999090419").is_none());
        assert!(left_timestamp("CAF=abc").is_none());
    }

    /// The hand-written readings say what the regexes say.
    #[test]
    fn ascii_readings_match_the_regexes() {
        for left in [
            "19990904195323.H8159",
            "199909041953",
            "1999090419532",
            "19990904195399",
            "199909041953a",
            "20011231235959x",
            "20011231240000",
            "20011332000000",
            "20010100000000",
            "20010132000000",
            "200101310000",
            "2001013100001",
            "18990101000000",
            "20991231235960",
            "2099123123596",
            "20991231235",
        ] {
            assert_eq!(left_timestamp(left), left_timestamp_regex(left), "{left}");
        }
        let spam = |l: &str| {
            let mut out = Vec::new();
            let id = MsgId {
                left: l.to_string(),
                right: "x.example".into(),
            };
            spamware("<x>", &id, &mut out);
            out.first()
                .map(|f| f.evidence["shape"].as_str().unwrap_or("").to_string())
        };
        for (left, want) in [
            ("123456a1bc12$abc12345$12345678", Some("99X9XX99")),
            ("123456a1bc12$abc12345$1234567", None),
            ("ABCDEFG-0001234567890", Some("ALPHA_NUM")),
            ("ABCDEFG-0011234567890", None),
            ("ABCDEF", Some("CAPS")),
            ("ABCDE", None),
            ("000801c25394$a1b2c3d4$0201a8c0", None),
            ("000801x25394$a1b2c3d4$0201a8c0", Some("FAKE_OUTLOOK")),
            ("localhost1$a1b2c3d4$0201a8c0zz", None),
            ("abcd$ef_g$hijk", Some("FAKE_OUTLOOK")),
            ("abcd$efg$hijk", None),
            ("abcd$efgh$ijkl$mnop", None),
            ("ÄBCD$efgh$ijkl", Some("FAKE_OUTLOOK")),
        ] {
            assert_eq!(spam(left).as_deref(), want, "{left}");
        }
    }
}
