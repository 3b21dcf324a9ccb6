//! The verdict: one sentence for people, from the chain and the findings.

use super::owner::{hop_dns, relay_name};
use crate::chain::Chain;
use crate::model::{
    Account, Code, Distribution, Finding, Hop, HopKind, MessageDns, Owner, OwnerKind, Severity,
};

/// What the verdict speaks of.
pub(super) struct Said<'a> {
    pub hops: &'a [Hop],
    pub chain: &'a Chain,
    pub findings: &'a [Finding],
    pub owner: Option<&'a Owner>,
    pub distribution: &'a [Distribution],
    pub accounts: &'a [Account],
    pub dns: Option<&'a MessageDns>,
}

/// One sentence for people: where the message came from and how sure we are.
pub(super) fn verdict(v: &Said) -> String {
    let (hops, chain, findings) = (v.hops, v.chain, v.findings);
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
    let by = r.received_by.as_deref().unwrap_or("the trusted server");
    let whose = match v.owner {
        Some(o) if o.kind == OwnerKind::Provider => {
            format!("{by} ({}, which hosts the recipient's mailbox)", o.name)
        }
        Some(o) if o.kind == OwnerKind::Mixed => match &o.provider {
            Some(p) if crate::util::providers::mailbox_host(by).is_some() => {
                format!("{by} ({p}, which hosts the recipient's mailbox)")
            }
            _ => by.to_string(),
        },
        _ => by.to_string(),
    };
    let mut s = format!(
        "first untrusted relay {}, seen by {whose} at {}",
        relay_name(
            r.ip,
            r.rdns.as_deref(),
            r.helo.as_deref(),
            hop_dns(v.dns, r.hop)
        ),
        r.received_at.as_deref().unwrap_or("an unknown time")
    );
    for d in v.distribution {
        match d.kind.as_str() {
            "mailing_list" => s.push_str(&format!(
                "; a mailing list ({}) re-sent it: the first untrusted relay is the list's server, which relayed a post; the poster is below it",
                d.name
            )),
            _ => s.push_str(&format!(
                "; forwarded by {} ({}): the first untrusted relay may be the forwarder",
                d.name,
                d.signs.join(", ")
            )),
        }
    }
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
                relay_name(
                    o.ip,
                    o.rdns.as_deref(),
                    o.helo.as_deref(),
                    hop_dns(v.dns, o.hop)
                ),
                o.confidence.as_str()
            ));
        }
    }
    for a in v.accounts {
        let how = match a.evidence.as_str() {
            "authenticated_sender" => "the authenticated sender its submission server recorded",
            "dkim_pass" => "its DKIM signature passed at a trusted server",
            _ => "named in Reply-To: a claim",
        };
        match a.role.as_str() {
            "sender" => s.push_str(&format!(
                "; sent from the {} account {} ({how})",
                a.provider, a.address
            )),
            _ => s.push_str(&format!(
                "; replies go to the {} account {}",
                a.provider, a.address
            )),
        }
    }
    let forged = findings
        .iter()
        .filter(|f| f.severity == Severity::Forged)
        .count();
    if forged > 0 {
        s.push_str(&format!(
            "; {} of forgery",
            crate::util::words::count(forged, "finding")
        ));
    }
    s
}
