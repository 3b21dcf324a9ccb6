//! The verdict: one sentence for people, from the chain and the findings.

use crate::chain::Chain;
use crate::model::{Code, Finding, Hop, HopKind, Severity};

/// One sentence for people: where the message came from and how sure we are.
pub(super) fn verdict(hops: &[Hop], chain: &Chain, findings: &[Finding]) -> String {
    let name = |ip: Option<std::net::IpAddr>, rdns: &Option<String>, helo: &Option<String>| {
        let ip = ip
            .map(|i| i.to_string())
            .unwrap_or_else(|| "an unknown address".into());
        // Name a relay by the rDNS its receiver recorded; a HELO alone is
        // the sender's claim (spam says `HELO yahoo.com`), so say so.
        match (rdns.as_deref(), helo.as_deref()) {
            (Some(n), _) => format!("{ip} ({n})"),
            (None, Some(h)) => format!("{ip} (HELO {h}, unverified)"),
            (None, None) => ip,
        }
    };
    if hops.is_empty() {
        return "no Received headers: nothing to trace".into();
    }
    let Some(r) = &chain.first_untrusted_relay else {
        if hops.iter().all(|h| h.kind == HopKind::Unparsed) {
            return "no Received header could be parsed".into();
        }
        // Trust stopped at a hop that names no relay (unparsed, no IP).
        if let Some(b) = chain.boundary.filter(|b| b + 1 < hops.len()) {
            return format!(
                "trust ends at hop {b}, which records no connecting relay: nobody to name; see the findings"
            );
        }
        return "every hop is trusted: internal mail, or the trusted region is too wide".into();
    };
    let mut s = format!(
        "first untrusted relay {}, seen by {} at {}",
        name(r.ip, &r.rdns, &r.helo),
        r.received_by.as_deref().unwrap_or("the trusted server"),
        r.received_at.as_deref().unwrap_or("an unknown time")
    );
    if let Some(b) = chain.first_break {
        // Only a corroborated break (severity forged) is called forgery: a
        // bare break is often a renamed or outsourced relay.
        let forged_break = findings.iter().any(|f| {
            f.code == Code::ChainBreak && f.hop == Some(b) && f.severity == Severity::Forged
        });
        if forged_break {
            s.push_str(&format!("; headers from hop {b} down are likely forged"));
        } else {
            s.push_str(&format!(
                "; custody breaks at hop {b}: the headers from hop {b} down are unconfirmed claims"
            ));
        }
    }
    if let Some(o) = &chain.probable_origin {
        if o.hop != r.hop {
            s.push_str(&format!(
                "; probable origin {} ({} confidence)",
                name(o.ip, &o.rdns, &o.helo),
                o.confidence.as_str()
            ));
        }
    }
    let forged = findings
        .iter()
        .filter(|f| f.severity == Severity::Forged)
        .count();
    if forged > 0 {
        s.push_str(&format!("; {forged} finding(s) of forgery"));
    }
    s
}
