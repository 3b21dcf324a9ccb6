//! Vendor verdicts placed on the chain (docs/vendor-headers.md): which hop
//! wrote each filter's header, whether it is believed, and what it says
//! against the chain (Microsoft's CIP against our first untrusted relay,
//! SpamAssassin's Received-derived rules beside ours); and the transit:
//! how long the message travelled, and over which TLS.
//!
//! A header is placed by the connecting IP it names (CIP,
//! X-IronPort-RemoteIP: the hop that received from that address wrote
//! it), else by the host it names (X-Spam-Checker-Version's `on host`,
//! X-Rspamd-Server), else by its position among the Received headers
//! ([`super::position`]). It is believed when its position is inside the
//! trusted region, as for Authentication-Results. Microsoft's stamps are
//! the exception: Exchange writes them out of Received order, and strips
//! or renames (`-Untrusted`) incoming copies; with a Microsoft receiver
//! in the trusted region, the first copy of each is the receiver's own
//! unless it stands between untrusted Received headers.

use super::{position, Context};
use crate::model::{
    Code, Credibility, Finding, Severity, Transit, TransitHop, VendorClass, VendorVerdict,
};
use crate::parse::vendor::{self, Decoded, Family};
use crate::util::domain;
use serde_json::json;
use std::net::IpAddr;
use std::sync::LazyLock;

/// amavisd-new named in a Received header (any case), without a lowercase copy.
static AMAVIS: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"(?i-u)\(amavisd-new").expect("amavis regex"));

/// At most this many vendor headers are decoded per message.
const MAX_HEADERS: usize = 120;
/// At most this many VENDOR_VERDICT_UNTRUSTED findings per message.
const MAX_UNTRUSTED_FINDINGS: usize = 10;

/// Does a hop's receiver run the product (a `receivers` suffix)?
fn runs(by: Option<&str>, receivers: &[&str]) -> bool {
    let Some(by) = by.and_then(domain::normalized) else {
        return false;
    };
    receivers.iter().any(|s| {
        by == *s
            || (by.len() > s.len()
                && by.ends_with(s)
                && by.as_bytes()[by.len() - s.len() - 1] == b'.')
    })
}

/// The trusted hops, lowest (oldest) first.
fn trusted_hops(ctx: &Context) -> impl Iterator<Item = usize> {
    let top = match ctx.chain.boundary {
        Some(b) if !ctx.hops.is_empty() => b.min(ctx.hops.len() - 1) + 1,
        _ => 0,
    };
    (0..top).rev()
}

/// The trusted hops whose receiver runs the product, lowest (oldest) first.
fn trusted_runners(ctx: &Context, receivers: &[&str]) -> Vec<usize> {
    trusted_hops(ctx)
        .filter(|&i| runs(ctx.hops[i].by.as_deref(), receivers))
        .collect()
}

/// The hop whose sender had address `ip` (the topmost).
fn hop_of_ip(ctx: &Context, ip: IpAddr) -> Option<usize> {
    ctx.hops.iter().position(|h| h.from.ip == Some(ip))
}

/// The hop whose receiver named itself `host`.
fn hop_of_host(ctx: &Context, host: &str) -> Option<usize> {
    let host = domain::normalized(host)?;
    ctx.hops.iter().position(|h| {
        h.by.as_deref()
            .and_then(domain::normalized)
            .is_some_and(|by| by == host)
    })
}

/// One header, decoded and placed, with what the checks need beside it.
/// Placed once per message ([`place`]); both the findings ([`check`]) and
/// the report's verdict list ([`verdicts`]) read it.
pub(crate) struct Placed {
    v: VendorVerdict,
    /// The header stands between untrusted Received headers.
    below: bool,
    renamed: bool,
    /// A trusted receiver runs the product the header names.
    claims_receiver: bool,
    cip: Option<IpAddr>,
}

pub(crate) fn place(ctx: &Context) -> Vec<Placed> {
    let mut out: Vec<Placed> = Vec::new();
    let mut seen_names: Vec<String> = Vec::new();
    let mut tried = 0usize;
    let boundary = ctx.chain.boundary;
    // A content filter (amavisd-new 2.x, a SpamAssassin content_filter)
    // appends its X-Spam-* fields below every Received header; a trusted
    // hop into it (`by localhost (amavisd-new, port 10024)`) or back out of
    // it (a loopback re-injection, `from host (localhost [127.0.0.1])`)
    // vouches for the last copy of each.
    let amavis = boundary.and_then(|b| {
        ctx.hops
            .iter()
            .take(b + 1)
            .position(|h| AMAVIS.is_match(&h.raw) || h.from.ip.is_some_and(|ip| ip.is_loopback()))
    });
    let last_copy = |i: usize, name: &str| {
        !ctx.fields
            .iter()
            .skip(i + 1)
            .any(|g| g.name.eq_ignore_ascii_case(name))
    };
    let ms_runners = vendor::family("x-forefront-antispam-report")
        .map(|f| trusted_runners(ctx, f.receivers))
        .unwrap_or_default();
    // Whether some trusted receiver runs a product, per receivers list
    // (the families share a few lists).
    let mut runner_known: Vec<(&'static [&'static str], bool)> = Vec::new();
    // Received headers above the field at hand.
    let mut above = 0usize;
    for (i, f) in ctx.fields.iter().enumerate() {
        let is_received = f.is("received");
        let above_here = above;
        above += usize::from(is_received);
        if is_received {
            continue;
        }
        let fam: Option<&'static Family> = vendor::family(f.name);
        let ar = f.is("authentication-results");
        if fam.is_none() && !ar {
            continue;
        }
        tried += 1;
        if out.len() >= MAX_HEADERS || tried > 2 * MAX_HEADERS {
            break;
        }
        let text = f.text();
        let Some(d): Option<Decoded> = vendor::decode(f.name, &text) else {
            continue;
        };
        let name = f.name.to_ascii_lowercase();
        let vendor_name = fam.map(|f| f.vendor).unwrap_or(d.vendor);
        let vendor_name = if d.vendor.is_empty() {
            vendor_name
        } else {
            d.vendor
        };
        let renamed = fam.is_some_and(|f| f.renamed_untrusted);
        let receivers: &'static [&'static str] = fam.map(|f| f.receivers).unwrap_or(&[]);
        let writer = position::writer_hop_below(ctx, above_here);
        let placed_trusted =
            position::field_credibility_below(ctx, above_here) == Credibility::Trusted;
        // Between untrusted Received headers (not below all of them).
        let below = matches!((writer, boundary), (Some(w), Some(b)) if w > b);
        let named_hop = d
            .names_ip
            .and_then(|ip| hop_of_ip(ctx, ip))
            .map(|h| (h, "names_ip"))
            .or_else(|| {
                d.names_host
                    .as_deref()
                    .and_then(|h| hop_of_host(ctx, h))
                    .map(|h| (h, "names_host"))
            });
        let firewall =
            vendor_name == "microsoft" && !ar && !renamed && !ms_runners.is_empty() && !below;
        // The first copy the firewall could have let stand is the receiver's.
        let first_copy = !seen_names.contains(&name);
        if firewall {
            seen_names.push(name.clone());
        }
        let appended = vendor_name == "spamassassin"
            && writer.is_none()
            && amavis.is_some()
            && last_copy(i, f.name);
        let (trusted, why) = if renamed {
            (
                false,
                Some("Microsoft renamed it -Untrusted: another tenant's verdict, carried in with the message".to_string()),
            )
        } else if firewall && first_copy {
            (true, None)
        } else if firewall {
            (
                false,
                Some(
                    "a copy of the same header stands above it: this one came with the message"
                        .to_string(),
                ),
            )
        } else if placed_trusted || appended {
            (true, None)
        } else {
            (
                false,
                Some(if below {
                    "it stands between Received headers written below the trust boundary"
                        .to_string()
                } else {
                    "it was written below the trust boundary".to_string()
                }),
            )
        };
        let (hop, placed_by) = match (named_hop, firewall && trusted) {
            _ if appended && !placed_trusted => (amavis, "content_filter"),
            (Some((h, by)), _) => (Some(h), by),
            (None, true) if writer.is_none() => (ms_runners.first().copied(), "header_firewall"),
            (None, true) => (writer, "header_firewall"),
            (None, false) => (writer, "position"),
        };
        let claims_receiver = !receivers.is_empty() && {
            match runner_known
                .iter()
                .find(|(r, _)| std::ptr::eq(*r, receivers))
            {
                Some(&(_, known)) => known,
                None => {
                    let known =
                        trusted_hops(ctx).any(|i| runs(ctx.hops[i].by.as_deref(), receivers));
                    runner_known.push((receivers, known));
                    known
                }
            }
        };
        out.push(Placed {
            v: VendorVerdict {
                vendor: vendor_name.to_string(),
                header: name,
                hop,
                trusted,
                why_untrusted: why,
                placed_by: placed_by.to_string(),
                fields: d.fields,
                verdict: d.verdict,
                meaning: d.meaning,
                complete: d.complete,
            },
            below,
            renamed,
            claims_receiver,
            cip: if fam.is_some_and(|f| f.header.starts_with("x-forefront")) {
                d.names_ip
            } else {
                None
            },
        });
    }
    cross_check(ctx, &mut out);
    out
}

/// CIP against the chain: recorded in the verdict's fields.
fn cross_check(ctx: &Context, placed: &mut [Placed]) {
    let relay = ctx.chain.first_untrusted_relay.as_ref().and_then(|r| r.ip);
    for p in placed.iter_mut() {
        let Some(cip) = p.cip else { continue };
        let agrees = match (relay, hop_of_ip(ctx, cip)) {
            (Some(r), _) if r == cip => "the first untrusted relay".to_string(),
            (_, Some(h)) => format!("the sender of hop {h}"),
            _ if cip.is_ipv4() && cip == IpAddr::from([255, 255, 255, 255]) => {
                "no address (255.255.255.255: seen on outbound stamps of mail the tenant's own users submitted)".to_string()
            }
            _ => "no hop's sender (its Received header was removed, or never written)".to_string(),
        };
        p.v.fields.insert("cip_is".into(), agrees.clone());
        let why = if relay == Some(cip) {
            ": Microsoft saw the same connection, which confirms the relay"
        } else if agrees.starts_with("the sender of hop") {
            ": it corroborates that hop's Received header"
        } else {
            ""
        };
        p.v.meaning.push(format!("CIP {cip} is {agrees}{why}"));
    }
}

/// Every vendor header of the message, decoded and placed; SpamAssassin's
/// Received-derived rules marked with whether our own code fired
/// (`findings`: the other checks' results).
pub(crate) fn verdicts(placed: Vec<Placed>, findings: &[Finding]) -> Vec<VendorVerdict> {
    placed
        .into_iter()
        .map(|p| {
            let mut v = p.v;
            for m in v.meaning.iter_mut() {
                if let Some(start) = m.find("(ours: ") {
                    let code = m[start + 7..].trim_end_matches(')').to_string();
                    let fired = findings.iter().any(|f| f.code.as_str() == code);
                    *m = format!(
                        "{}(ours: {code}, {})",
                        &m[..start],
                        if fired { "fired too" } else { "did not fire" }
                    );
                }
            }
            v
        })
        .collect()
}

/// A meaning line that states (part of) the verdict, not a fact about
/// the connection.
pub(crate) fn speaks_to_verdict(m: &str) -> bool {
    const HEADS: &[&str] = &[
        "SCL",
        "SFV",
        "CAT",
        "SFTY",
        "SRV",
        "dest",
        "OFR",
        "compauth",
        "reason",
        "PCL",
        "BCL",
        "SpamAssassin",
        "flagged",
        "rspamd",
        "Proofpoint",
        "spamscore",
        "phishscore",
        "impersonation",
        "Barracuda",
        "SBRS",
        "decoded",
    ];
    HEADS.iter().any(|h| m.starts_with(h))
}

fn class_words(c: VendorClass) -> &'static str {
    match c {
        VendorClass::NotSpam => "not spam",
        VendorClass::Skipped => "filtering skipped",
        VendorClass::Bulk => "bulk",
        VendorClass::Spam => "spam",
        VendorClass::Phishing => "phishing",
    }
}

/// VENDOR_VERDICT_UNTRUSTED, VENDOR_VERDICT_SPAM, VENDOR_CIP_MISMATCH.
pub(crate) fn check(ctx: &Context, placed: &[Placed], out: &mut Vec<Finding>) {
    // The trusted side's worst judgement, and who made it.
    let trusted_bad = placed
        .iter()
        .filter(|p| p.v.trusted && p.v.verdict.is_some_and(VendorClass::is_bad))
        .max_by_key(|p| p.v.verdict);
    let mut untrusted = 0;
    let mut reported: Vec<(String, Option<usize>, bool)> = Vec::new();
    for p in placed.iter().filter(|p| !p.v.trusted) {
        let clean = p.v.verdict.is_some_and(VendorClass::is_clean);
        // A "not spam" the trusted side contradicts: forged when it is a
        // bypass (only a receiver's own policy skips filtering) or the
        // trusted filter's own product; a sending provider's honest
        // outbound "no" (web.de's X-Spam-Flag: NO) is only noted.
        let contradicted = clean && !p.renamed && trusted_bad.is_some();
        let contradicted_forged = contradicted
            && (p.v.verdict == Some(VendorClass::Skipped)
                || trusted_bad.is_some_and(|t| t.v.vendor == p.v.vendor));
        let imitates = p.claims_receiver && p.below && !p.renamed;
        let severity = if contradicted_forged || imitates {
            Severity::Forged
        } else {
            Severity::Info
        };
        let key = (p.v.vendor.clone(), p.v.hop, severity == Severity::Forged);
        if reported.contains(&key) {
            continue;
        }
        // Headers without a verdict are reported only when forged.
        if p.v.verdict.is_none() && severity == Severity::Info {
            continue;
        }
        if untrusted >= MAX_UNTRUSTED_FINDINGS {
            break;
        }
        untrusted += 1;
        reported.push(key);
        let mut msg = format!(
            "{} ({}) says {} but is not believed: {}",
            p.v.header,
            p.v.vendor,
            p.v.verdict.map(class_words).unwrap_or("nothing conclusive"),
            p.v.why_untrusted.as_deref().unwrap_or("untrusted")
        );
        if imitates {
            msg.push_str("; a trusted receiver runs this product and would have removed or renamed an incoming copy");
        }
        if contradicted {
            if let Some(t) = trusted_bad {
                msg.push_str(&format!(
                    "; the trusted {} ({}) judged it {}",
                    t.v.header,
                    t.v.vendor,
                    t.v.verdict.map(class_words).unwrap_or("?")
                ));
            }
        }
        out.push(Finding::new(
            Code::VendorVerdictUntrusted,
            severity,
            p.v.hop,
            msg,
            json!({"vendor": p.v.vendor, "header": p.v.header, "verdict": p.v.verdict,
                   "fields": p.v.fields, "imitates_trusted_receiver": imitates,
                   "contradicted_by": if contradicted { trusted_bad.map(|t| t.v.header.clone()) } else { None }}),
        ));
    }
    // One VENDOR_VERDICT_SPAM per vendor whose trusted verdict is bad.
    let mut vendors: Vec<&str> = Vec::new();
    for p in placed
        .iter()
        .filter(|p| p.v.trusted && p.v.verdict.is_some_and(VendorClass::is_bad))
    {
        if vendors.contains(&p.v.vendor.as_str()) {
            continue;
        }
        vendors.push(&p.v.vendor);
        let worst = placed
            .iter()
            .filter(|q| q.v.trusted && q.v.vendor == p.v.vendor)
            .filter_map(|q| q.v.verdict)
            .max()
            .unwrap_or(VendorClass::Spam);
        let headers: Vec<&str> = placed
            .iter()
            .filter(|q| {
                q.v.trusted
                    && q.v.vendor == p.v.vendor
                    && q.v.verdict.is_some_and(VendorClass::is_bad)
            })
            .map(|q| q.v.header.as_str())
            .collect();
        let mut meaning: Vec<&str> = placed
            .iter()
            .filter(|q| {
                q.v.trusted
                    && q.v.vendor == p.v.vendor
                    && q.v.verdict.is_some_and(VendorClass::is_bad)
            })
            .flat_map(|q| q.v.meaning.iter().map(String::as_str))
            .filter(|m| speaks_to_verdict(m))
            .collect();
        let mut seen: Vec<&str> = Vec::new();
        meaning.retain(|m| {
            let new = !seen.contains(m);
            seen.push(m);
            new
        });
        meaning.truncate(6);
        out.push(Finding::new(
            Code::VendorVerdictSpam,
            Severity::Warn,
            p.v.hop,
            format!(
                "the trusted {} filter judged the message {}: {}",
                p.v.vendor,
                class_words(worst),
                meaning.join("; ")
            ),
            json!({"vendor": p.v.vendor, "verdict": worst, "headers": headers}),
        ));
    }
    // CIP of the trusted Forefront stamp against our first untrusted relay.
    let relay = ctx.chain.first_untrusted_relay.as_ref().and_then(|r| r.ip);
    if let Some(p) = placed.iter().find(|p| p.v.trusted && p.cip.is_some()) {
        let cip = p.cip.unwrap_or(IpAddr::from([0, 0, 0, 0]));
        if relay.is_some_and(|r| r != cip) {
            let at = hop_of_ip(ctx, cip);
            out.push(Finding::new(
                Code::VendorCipMismatch,
                Severity::Info,
                p.v.hop,
                format!(
                    "Microsoft's CIP {cip} is not our first untrusted relay {}: {}",
                    relay.map(|r| r.to_string()).unwrap_or_default(),
                    match at {
                        Some(h) => format!(
                            "it is the sender of hop {h}, so Microsoft's boundary and ours differ"
                        ),
                        None => "no Received header names it".to_string(),
                    }
                ),
                json!({"cip": cip, "first_untrusted_relay": relay, "cip_hop": at}),
            ));
        }
    }
}

/// The transit: Date -> first trusted receipt -> final hop, each hop's
/// delay and TLS, the slowest hop marked (`None` without Received headers).
pub(crate) fn transit(ctx: &Context) -> Option<Transit> {
    if ctx.hops.is_empty() {
        return None;
    }
    let date = crate::parse::headers::first(ctx.fields, "date")
        .and_then(|f| crate::parse::message::date(f.value))
        .map(|d| d.to_timestamp());
    let ts = |i: usize| {
        ctx.hops
            .get(i)
            .and_then(|h| h.timestamp.as_ref())
            .map(|t| t.epoch)
    };
    let n = ctx.hops.len();
    let mut hops = Vec::with_capacity(n);
    for i in (0..n).rev() {
        // The next older time: the hop below with a time, else the Date.
        let below = (i + 1..n).find_map(ts).or(date);
        let delay = match (ts(i), below) {
            (Some(t), Some(b)) => Some(t - b),
            _ => None,
        };
        let (tls_version, tls_cipher) = vendor::tls::tls(&ctx.hops[i].raw);
        hops.push(TransitHop {
            hop: i,
            delay_secs: delay,
            tls_version: tls_version.map(|s| crate::util::sanitize::for_terminal(&s)),
            tls_cipher: tls_cipher.map(|s| crate::util::sanitize::for_terminal(&s)),
            slowest: false,
        });
    }
    let slowest = hops
        .iter()
        .filter(|h| h.delay_secs.is_some_and(|d| d > 0))
        .max_by_key(|h| (h.delay_secs, std::cmp::Reverse(h.hop)))
        .map(|h| h.hop);
    if let Some(s) = slowest {
        for h in hops.iter_mut().filter(|h| h.hop == s) {
            h.slowest = true;
        }
    }
    let top = (0..n).find_map(ts);
    let first_trusted = ctx.chain.boundary.and_then(ts);
    let diff = |a: Option<i64>, b: Option<i64>| Some(a? - b?);
    Some(Transit {
        to_first_trusted_secs: diff(first_trusted, date),
        trusted_secs: diff(top, first_trusted),
        total_secs: diff(top, date),
        slowest_hop: slowest,
        hops,
    })
}
