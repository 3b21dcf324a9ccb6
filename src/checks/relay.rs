//! OPEN_RELAY: a relay that took the message from a host outside its own
//! domain and passed it to a host outside its domain, for a recipient
//! outside its domain: "don't relay from outside to outside", the rule
//! every mail server is held to (RFC 5321 section 7.1, RFC 2505).
//!
//! Only relays whose Received header the route supports are judged (the
//! first untrusted relay and those reached through consistent custody):
//! a forged header proves nothing about the server it names.

use super::position;

use super::Context;
use crate::chain::trust::{classify, IpClass};
use crate::model::Code;
use crate::model::Credibility;
use crate::model::{Finding, HopKind, Severity};
use crate::parse::headers;
use crate::parse::message::{address_domain, addresses};
use crate::util::domain;
use serde_json::json;

/// The recipients a relay handled at hop `i`: its own `for`, else the next
/// hop's `for` and the To/Cc addresses.
fn recipients(ctx: &Context, i: usize) -> Vec<String> {
    let clean = |s: &str| s.trim().trim_matches(['<', '>', ';']).to_string();
    if let Some(f) = ctx.hops.get(i).and_then(|h| h.for_.as_deref()) {
        return vec![clean(f)];
    }
    let mut out = Vec::new();
    if let Some(f) = i
        .checked_sub(1)
        .and_then(|u| ctx.hops.get(u))
        .and_then(|h| h.for_.as_deref())
    {
        out.push(clean(f));
    }
    for name in ["to", "cc"] {
        if let Some(f) = headers::first(ctx.fields, name) {
            out.extend(addresses(&f).into_iter().filter_map(|(_, a)| a).take(50));
        }
    }
    out
}

/// A dotted host name under a known public suffix: one that can exist in
/// the public DNS, so "outside the relay's domain" means something.
fn public_name(name: &str) -> bool {
    let n = name.trim_end_matches('.');
    let n = if n.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(n.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(n)
    };
    domain::is_fqdn(&n) && domain::has_known_suffix(&n)
}

/// Does `hay` contain the lowercase ASCII `needle`, in any case?
fn contains_ci(hay: &str, needle: &str) -> bool {
    hay.as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

pub(crate) fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let Some(boundary) = ctx.chain.boundary else {
        return;
    };
    for i in boundary + 1..ctx.hops.len() {
        if position::hop_credibility(ctx, i) == Credibility::Claimed {
            break;
        }
        let (hop, upper) = (&ctx.hops[i], &ctx.hops[i - 1]);
        if hop.kind != HopKind::Relay || hop.authenticated {
            continue;
        }
        if hop
            .with
            .as_deref()
            .is_some_and(|w| contains_ci(w, "http") || contains_ci(w, "local"))
        {
            continue;
        }
        let Some(relay) = hop.by.as_deref().and_then(domain::normalized) else {
            continue;
        };
        // Every party must be named under a public suffix: an unqualified
        // or private name (`by mailhost`, `HELO fw`, `plato.einstein`,
        // `for <user@localhost>`) may be inside the relay's own network, so
        // "outside to outside" cannot be judged.
        if !public_name(&relay) {
            continue;
        }
        let Some(relay_domain) = domain::registrable(&relay) else {
            continue;
        };
        // The sender: a public address, named by the rDNS the relay looked
        // up (else its HELO), outside the relay's domain.
        if !hop
            .from
            .ip
            .is_some_and(|ip| classify(ip) == IpClass::Public)
        {
            continue;
        }
        let Some(sender) = hop
            .from
            .rdns
            .as_deref()
            .or(hop.from.helo.as_deref())
            .and_then(domain::normalized)
        else {
            continue;
        };
        if !public_name(&sender) || domain::same_party(&sender, &relay) {
            continue;
        }
        // The next receiver, outside the relay's domain.
        let Some(next) = upper.by.as_deref().and_then(domain::normalized) else {
            continue;
        };
        if !public_name(&next) || domain::same_party(&next, &relay) {
            continue;
        }
        // Every recipient outside the relay's domain.
        let mut rcpts = recipients(ctx, i);
        // By the lowercase text, without a lowercase copy per comparison.
        rcpts.sort_by(|a, b| {
            a.bytes()
                .map(|c| c.to_ascii_lowercase())
                .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
        });
        rcpts.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
        let rcpt_domains: Vec<String> = rcpts.iter().filter_map(|r| address_domain(r)).collect();
        if rcpt_domains.is_empty()
            || rcpt_domains.len() < rcpts.len()
            || rcpt_domains.iter().any(|d| !public_name(d))
            || rcpt_domains
                .iter()
                .any(|d| domain::is_within(d, &relay_domain) || domain::same_party(d, &relay))
        {
            continue;
        }
        // A relay sending for its own users (the From or envelope domain
        // is its own) is a submission server, not an open relay.
        let own_user = [
            ctx.message.from_address.as_deref(),
            ctx.message.return_path.as_deref(),
            ctx.message.envelope_from.as_deref(),
        ]
        .into_iter()
        .flatten()
        .filter_map(address_domain)
        .any(|d| domain::same_party(&d, &relay));
        if own_user {
            continue;
        }
        // Relaying for roaming customers by IP looks the same from outside
        // (14% of the corpus' ham), so the finding is a warning only with
        // two more signs of abuse: the sender greeted with a qualified name
        // of a third party (neither its rDNS nor the relay), and the
        // headers under the relay are forged. Each alone is common in ham.
        let helo_lie = hop
            .from
            .helo
            .as_deref()
            .and_then(domain::normalize)
            .filter(|h| {
                domain::is_fqdn(h)
                    && !domain::same_party(h, &relay)
                    && hop
                        .from
                        .rdns
                        .as_deref()
                        .is_some_and(|r| !domain::same_party(h, r))
            });
        let forged_below = ctx.chain.first_break.is_some_and(|b| b > i);
        let severity = if helo_lie.is_some() && forged_below {
            Severity::Warn
        } else {
            Severity::Info
        };
        out.push(Finding::new(
            Code::OpenRelay,
            severity,
            Some(i),
            format!(
                "{relay} relayed from outside to outside: it took the message from {sender} [{}] and handed it to {next}, for {}, none of them in {relay_domain}{}",
                hop.from.ip.map(|ip| ip.to_string()).unwrap_or_default(),
                rcpts.join(", "),
                if severity == Severity::Warn {
                    ""
                } else {
                    " (or a relay for its roaming customers)"
                }
            ),
            json!({"relay": relay, "relay_domain": relay_domain, "from": sender,
                   "from_ip": hop.from.ip.map(|ip| ip.to_string()), "to": next,
                   "recipients": rcpts, "hop": i, "helo_of_third_party": helo_lie,
                   "forged_headers_below": forged_below}),
        ));
    }
}
