//! Sender identity: the From domain against the envelope (Return-Path, the
//! mbox `From ` line, Sender), Reply-To, the display name, and a From that
//! claims a big provider whose servers the route never touched.
//!
//! The DNS half of the envelope checks (ENVELOPE_DOMAIN_NXDOMAIN, SPF) is
//! [`envelope_domain`] (the question) and [`envelope_findings`] (the
//! looked-up facts, as plain data, turned into findings).

use super::position;

use super::Context;
use crate::model::Credibility;
use crate::model::{Finding, Severity};
use crate::parse::headers;
use crate::parse::message::{address_domain, addresses};
use crate::util::domain;
use crate::util::providers;

use crate::model::{Code, SpfResult};
use crate::parse::message::bare_address;
use serde_json::json;

/// Address domains compare by registrable domain (`mail.example.com`
/// sends for `example.com`).
fn same_org(a: &str, b: &str) -> bool {
    domain::same_party(a, b)
}

pub(crate) fn check(ctx: &Context, out: &mut Vec<Finding>) {
    envelope_dns(ctx, out);
    let Some(from_addr) = ctx.message.from_address.as_deref() else {
        return;
    };
    let Some(from_domain) = address_domain(from_addr) else {
        return;
    };
    envelope_mismatch(ctx, &from_domain, out);
    reply_to(ctx, &from_domain, out);
    // The summary keeps the name only when the first From entry has an
    // address, and that address is then `from_address`.
    if let Some(name) = &ctx.message.from_name {
        display_name(name, from_addr, &from_domain, out);
    }
    provider_not_in_path(ctx, &from_domain, out);
}

/// The envelope identities and where each came from.
fn envelope_identities(ctx: &Context) -> Vec<(&'static str, String)> {
    let mut ids = Vec::new();
    if let Some(rp) = ctx.message.return_path.as_deref().and_then(bare_address) {
        ids.push(("return_path", rp));
    }
    if let Some(env) = ctx.message.envelope_from.as_deref().and_then(bare_address) {
        ids.push(("mbox_envelope", env));
    }
    if let Some(sender) = headers::first(ctx.fields, "sender")
        .map(|f| addresses(&f))
        .and_then(|l| l.into_iter().find_map(|(_, a)| a))
    {
        ids.push(("sender", sender));
    }
    ids
}

/// FROM_ENVELOPE_MISMATCH: the envelope sender's domain is not the From's.
/// Common and legitimate for lists and bulk senders (their bounces go to
/// the list or the mailing service), so informational; the evidence says
/// which identity diverged.
fn envelope_mismatch(ctx: &Context, from_domain: &str, out: &mut Vec<Finding>) {
    let mut diverging = Vec::new();
    for (source, addr) in envelope_identities(ctx) {
        let Some(d) = address_domain(&addr) else {
            continue;
        };
        if !same_org(&d, from_domain) && !diverging.iter().any(|(_, a): &(&str, String)| *a == addr)
        {
            diverging.push((source, addr));
        }
    }
    if diverging.is_empty() {
        return;
    }
    let list = ctx.is_mailing_list();
    let desc: Vec<String> = diverging
        .iter()
        .map(|(s, a)| format!("{} {a}", s.replace('_', " ")))
        .collect();
    out.push(Finding::new(
        Code::FromEnvelopeMismatch,
        Severity::Info,
        None,
        format!(
            "the From domain {from_domain} differs from the envelope sender: {}{}",
            desc.join(", "),
            if list { " (a mailing list: expected)" } else { "" }
        ),
        json!({"from_domain": from_domain,
               "envelope": diverging.iter().map(|(s, a)| json!({"source": s, "address": a})).collect::<Vec<_>>(),
               "mailing_list": list}),
    ));
}

/// REPLY_TO_DIVERGES: replies go to another domain than the From. A warning
/// when replies go to a free-mail provider the From does not belong to (the
/// phisher's collection box); otherwise informational.
fn reply_to(ctx: &Context, from_domain: &str, out: &mut Vec<Finding>) {
    let Some(f) = headers::first(ctx.fields, "reply-to") else {
        return;
    };
    let list = ctx.is_mailing_list();
    for (_, addr) in addresses(&f).into_iter().take(20) {
        let Some(addr) = addr else { continue };
        let Some(d) = address_domain(&addr) else {
            continue;
        };
        if same_org(&d, from_domain) {
            continue;
        }
        let freemail = providers::by_mail_domain(&d)
            .filter(|p| !p.owns_mail_domain(from_domain))
            .map(|p| p.name);
        out.push(Finding::new(
            Code::ReplyToDiverges,
            if freemail.is_some() && !list {
                Severity::Warn
            } else {
                Severity::Info
            },
            None,
            format!(
                "replies go to {addr}, outside the From domain {from_domain}{}",
                match freemail {
                    Some(p) => format!(" (a {p} mailbox)"),
                    None => String::new(),
                }
            ),
            json!({"reply_to": addr, "reply_to_domain": d, "from_domain": from_domain,
                   "freemail": freemail, "mailing_list": list}),
        ));
        return;
    }
}

/// Generic TLDs that people write in display names as domains.
const CLASSIC_TLDS: &[&str] = &[
    "com", "net", "org", "edu", "gov", "mil", "int", "info", "biz", "io", "app",
];

/// The address or domain a display name pretends to be, if any.
fn name_claim(name: &str) -> Option<String> {
    for token in name.split(|c: char| c.is_whitespace() || "\"'()<>[],;:".contains(c)) {
        let token = token.trim_matches(|c: char| !c.is_alphanumeric());
        if token.len() < 4 || token.len() > 255 {
            continue;
        }
        if let Some(d) = address_domain(token) {
            if domain::is_fqdn(&d) && domain::registrable(&d).is_some() {
                return Some(token.to_ascii_lowercase());
            }
            continue;
        }
        // A bare domain: dotted, under a country code or a classic generic
        // TLD (new gTLDs like .hughes read as names: "Craig R.Hughes"),
        // with a label of three letters or more before it.
        if token.contains('.') && domain::is_fqdn(token) && !token.contains('@') {
            let lower = token.to_ascii_lowercase();
            let Some((rest, tld)) = lower.rsplit_once('.') else {
                continue;
            };
            let label = rest.rsplit('.').next().unwrap_or("");
            let classic = tld.len() == 2 || CLASSIC_TLDS.contains(&tld);
            if classic
                && label.len() >= 3
                && domain::has_known_suffix(&lower)
                && domain::registrable(&lower).is_some()
            {
                return Some(lower);
            }
        }
    }
    None
}

/// DISPLAY_NAME_SPOOF: `"security@paypal.com" <x@evil.example>`.
fn display_name(name: &str, addr: &str, from_domain: &str, out: &mut Vec<Finding>) {
    let Some(claim) = name_claim(name) else {
        return;
    };
    let claimed_domain = address_domain(&claim).unwrap_or_else(|| claim.clone());
    if same_org(&claimed_domain, from_domain) {
        return;
    }
    let is_address = claim.contains('@');
    // A full address in the name is the phisher's tell; a bare domain is
    // often a brand sent through a mailing service ("CNET News.com").
    out.push(Finding::new(
        Code::DisplayNameSpoof,
        if is_address {
            Severity::Warn
        } else {
            Severity::Info
        },
        None,
        format!(
            "the display name shows {} {claim}, but the real sender is {addr}",
            if is_address {
                "the address"
            } else {
                "the domain"
            }
        ),
        json!({"display_name": name, "claimed": claim, "claimed_domain": claimed_domain,
               "address": addr, "from_domain": from_domain}),
    ));
}

/// FROM_PROVIDER_NOT_IN_PATH: From claims a big provider, and no hop of
/// the route that can be believed names one of its servers.
fn provider_not_in_path(ctx: &Context, from_domain: &str, out: &mut Vec<Finding>) {
    let Some(p) = providers::by_mail_domain(from_domain) else {
        return;
    };
    // Without a Received header (a draft, a local copy) there is no route.
    if ctx.hops.is_empty() {
        return;
    }
    let touched = believable_route_names(ctx).any(|n| p.runs_host(n));
    if touched {
        return;
    }
    // A mailing list re-sends the post and drops the author's route: the
    // provider's hops are missing for an honest reason.
    let list = ctx.is_mailing_list();
    out.push(Finding::new(
        Code::FromProviderNotInPath,
        if list { Severity::Info } else { Severity::Warn },
        None,
        format!(
            "From claims {} {} address ({from_domain}), but no hop of the route passes through {}'s servers{}",
            crate::util::words::article(p.name),
            p.name,
            p.name,
            if list {
                " (a mailing list re-sent it: the author's route is not in the headers)"
            } else {
                ""
            }
        ),
        json!({"from_domain": from_domain, "provider": p.name, "hops": ctx.hops.len(),
               "mailing_list": list}),
    ));
}

/// The host names of the route that can be believed: the `by` and the
/// recorded rDNS of every hop whose Received header is trusted (at or above
/// the boundary) or reached from it through consistent custody links. A
/// HELO is only what the sender claimed (`HELO mail.yahoo.com` costs a
/// spammer nothing), and a header below a broken or unknown link is the
/// spammer's own text: neither places the provider on the route.
fn believable_route_names<'a>(ctx: &'a Context) -> impl Iterator<Item = &'a str> + 'a {
    ctx.hops
        .iter()
        .enumerate()
        .filter(move |(i, _)| position::hop_credibility(ctx, *i) != Credibility::Claimed)
        .flat_map(|(_, h)| [h.from.rdns.as_deref(), h.by.as_deref()])
        .flatten()
}

/// What a DNS stage found out about the envelope sender's domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EnvelopeFacts {
    pub domain: String,
    /// `Some(false)`: NXDOMAIN.
    pub exists: Option<bool>,
    /// `Some(false)`: no MX, A or AAAA, or a null MX (RFC 7505).
    pub accepts_mail: Option<bool>,
    /// SPF of the domain against the first untrusted relay's IP.
    pub spf: Option<SpfResult>,
    pub relay_ip: Option<std::net::IpAddr>,
    /// Signs that the relay forwarded mail it did not originate (a mailing
    /// list, ARC, a DKIM signature of the envelope or From domain that
    /// verifies): SPF fails on honest forwarded mail, so a fail is `info`.
    pub forwarded: Vec<String>,
}

/// ENVELOPE_DOMAIN_NXDOMAIN and ENVELOPE_SPF from the DNS stage's facts.
fn envelope_dns(ctx: &Context, out: &mut Vec<Finding>) {
    let Some(dns) = ctx.dns else { return };
    let env = dns.auth.envelope.as_ref();
    let spf = dns.auth.spf.as_ref();
    let Some(domain) = env
        .map(|e| e.domain.clone())
        .or(spf.map(|s| s.domain.clone()))
    else {
        return;
    };
    let mut forwarded = Vec::new();
    if ctx.is_mailing_list() {
        forwarded.push("a mailing list sent it".to_string());
    }
    if headers::first(ctx.fields, "arc-seal").is_some() {
        forwarded.push("it carries an ARC seal".to_string());
    }
    let from = ctx.message.from_address.as_deref().and_then(address_domain);
    for d in dns.auth.dkim.iter().filter(|d| {
        d.result == crate::model::DkimOutcome::Pass
            && (same_org(&d.d, &domain) || from.as_deref().is_some_and(|f| same_org(&d.d, f)))
    }) {
        forwarded.push(format!("a DKIM signature of {} verifies", d.d));
    }
    let facts = EnvelopeFacts {
        domain,
        exists: env.and_then(|e| e.exists),
        accepts_mail: env.and_then(|e| e.accepts_mail),
        spf: spf.map(|s| s.result),
        relay_ip: spf.map(|s| s.ip),
        forwarded,
    };
    for f in envelope_findings(&facts) {
        out.push(super::aged(ctx, f));
    }
}

/// ENVELOPE_DOMAIN_NXDOMAIN and ENVELOPE_SPF from looked-up facts.
pub(crate) fn envelope_findings(facts: &EnvelopeFacts) -> Vec<Finding> {
    let mut out = Vec::new();
    let d = &facts.domain;
    if facts.exists == Some(false) || facts.accepts_mail == Some(false) {
        out.push(Finding::new(
            Code::EnvelopeDomainNxdomain,
            Severity::Warn,
            None,
            if facts.exists == Some(false) {
                format!("the envelope sender's domain {d} does not exist")
            } else {
                format!("the envelope sender's domain {d} takes no mail (no MX, no address)")
            },
            json!({"domain": d, "exists": facts.exists, "accepts_mail": facts.accepts_mail}),
        ));
    }
    // Only a failing SPF is a finding; every result is in the report's
    // `dns.spf` and the table. Never `forged`: forwarding breaks SPF.
    let ip = facts
        .relay_ip
        .map(|i| i.to_string())
        .unwrap_or_else(|| "?".into());
    if let Some(spf @ (SpfResult::Fail | SpfResult::SoftFail)) = facts.spf {
        let severity = if spf == SpfResult::Fail && facts.forwarded.is_empty() {
            Severity::Warn
        } else {
            Severity::Info
        };
        out.push(Finding::new(
            Code::EnvelopeSpf,
            severity,
            None,
            format!(
                "SPF {}: {d} does not authorise the first untrusted relay {ip}{}",
                spf.as_str(),
                if facts.forwarded.is_empty() {
                    String::new()
                } else {
                    format!(" (forwarded mail? {})", facts.forwarded.join("; "))
                }
            ),
            json!({"domain": d, "ip": facts.relay_ip.map(|i| i.to_string()), "result": spf,
                   "forwarded": facts.forwarded}),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_name_claims() {
        assert_eq!(
            name_claim("\"service@paypal.com\"").as_deref(),
            Some("service@paypal.com")
        );
        assert_eq!(
            name_claim("PayPal.com Security").as_deref(),
            Some("paypal.com")
        );
        assert_eq!(name_claim("Charles Lewis"), None);
        assert_eq!(name_claim("Dr. J. Smith"), None);
        assert_eq!(name_claim("version 2.0.1"), None);
        assert_eq!(name_claim("Craig R.Hughes"), None);
        assert_eq!(name_claim("Mr.Jo Smith"), None);
    }

    #[test]
    fn envelope_findings_severities() {
        let mut f = EnvelopeFacts {
            domain: "x.example.net".into(),
            exists: Some(true),
            accepts_mail: Some(true),
            spf: Some(SpfResult::Pass),
            relay_ip: "5.1.1.1".parse().ok(),
            forwarded: vec![],
        };
        assert!(envelope_findings(&f).is_empty());
        f.spf = Some(SpfResult::Fail);
        assert_eq!(envelope_findings(&f)[0].severity, Severity::Warn);
        f.forwarded = vec!["a mailing list sent it".into()];
        assert_eq!(envelope_findings(&f)[0].severity, Severity::Info);
        f.spf = Some(SpfResult::Unknown);
        assert!(envelope_findings(&f).is_empty());
        f.accepts_mail = Some(false);
        let out = envelope_findings(&f);
        assert_eq!(out[0].code, Code::EnvelopeDomainNxdomain);
        assert!(out[0].message.contains("takes no mail"));
        f.exists = None;
        f.accepts_mail = None;
        assert!(envelope_findings(&f).is_empty());
    }

    #[test]
    fn bare_addresses() {
        assert_eq!(
            bare_address("<a@b.example>").as_deref(),
            Some("a@b.example")
        );
        assert_eq!(bare_address("<>"), None);
        assert_eq!(bare_address("MAILER-DAEMON"), None);
        assert_eq!(
            bare_address("dogboyseven@aol.com").as_deref(),
            Some("dogboyseven@aol.com")
        );
    }
}
