//! Findings from DNS facts (dns::facts), recorded by the enrich stage. A
//! timeout or SERVFAIL is never evidence: it only yields DNS_TEMPFAIL.
//! Runs after checks::hops, so it can clear or strengthen CHAIN_BREAK.

use super::Context;
use crate::model::Code;
use crate::model::{DnsblStatus, HopDns, HopVerdict, LinkDnsStatus, MessageDns, Resolution};
use crate::model::{Finding, Severity};
use crate::util::domain;
use serde_json::json;

/// Where a hop stands relative to the trust boundary.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Its sender is one of ours.
    Trusted,
    /// Its sender is the first untrusted relay: seen by our own server.
    Relay,
    /// Below the boundary: every field is a claim.
    Claimed,
}

fn role(ctx: &Context, hop: usize) -> Role {
    match ctx.chain.boundary {
        Some(b) if hop < b => Role::Trusted,
        Some(b) if hop == b && ctx.chain.first_untrusted_relay.is_some() => Role::Relay,
        None => Role::Trusted,
        _ => Role::Claimed,
    }
}

fn claim_note(r: Role) -> &'static str {
    if r == Role::Claimed {
        " (a hop claimed below the trust boundary)"
    } else {
        ""
    }
}

pub(crate) fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let Some(dns) = ctx.dns else { return };
    for h in &dns.hops {
        hop_findings(ctx, h, out);
    }
    links(dns, out);
    dnsbl(dns, out);
    if dns.skipped_questions > 0 {
        out.push(Finding::new(
            Code::DnsLimit,
            Severity::Info,
            None,
            format!(
                "{} DNS questions were not asked: the per-message limit was reached; the lowest hops are unchecked",
                dns.skipped_questions
            ),
            json!({"skipped": dns.skipped_questions, "limit": crate::enrich::dns::plan::MAX_QUESTIONS}),
        ));
    }
}

fn hop_findings(ctx: &Context, h: &HopDns, out: &mut Vec<Finding>) {
    let r = role(ctx, h.hop);
    let note = claim_note(r);
    let relay_warn = if r == Role::Relay {
        Severity::Warn
    } else {
        Severity::Info
    };
    let ip = h.ip.to_string();
    if matches!(h.ptr, Resolution::Nxdomain | Resolution::NoData) {
        out.push(Finding::new(
            Code::RdnsNone,
            relay_warn,
            Some(h.hop),
            format!("hop {}: {ip} has no reverse DNS (PTR){note}", h.hop),
            json!({"ip": ip, "ptr": h.ptr}),
        ));
    }
    if h.verdict == HopVerdict::Mismatch {
        out.push(Finding::new(
            Code::FcrdnsFail,
            relay_warn,
            Some(h.hop),
            format!(
                "hop {}: {ip} has rDNS {} but that name does not resolve back to {ip}{note}",
                h.hop,
                h.fcrdns_failed.join(", ")
            ),
            json!({"ip": ip, "ptr_names": h.ptr_names, "not_confirming": h.fcrdns_failed}),
        ));
    }
    if let Some(helo) = &h.helo {
        if helo.resolution == Resolution::Nxdomain {
            out.push(Finding::new(
                Code::HeloNxdomain,
                Severity::Info,
                Some(h.hop),
                format!(
                    "hop {}: the HELO name {} does not exist in DNS{note}",
                    h.hop, helo.name
                ),
                json!({"helo": helo.name, "ip": ip}),
            ));
        }
        if helo.matches_ip == Some(false) {
            // A cluster greeting with a sibling's name is ordinary: only a
            // HELO name outside the IP's own (confirmed) domain is suspect.
            let same_party = h
                .fcrdns_name
                .as_deref()
                .is_some_and(|n| domain::same_party(n, &helo.name));
            let sev = if same_party || r == Role::Trusted {
                Severity::Info
            } else {
                Severity::Warn
            };
            out.push(Finding::new(
                Code::HeloIpMismatch,
                sev,
                Some(h.hop),
                format!(
                    "hop {}: the HELO name {} resolves to {}, not to the connecting IP {ip}{note}",
                    h.hop,
                    helo.name,
                    helo.addresses.join(", ")
                ),
                json!({"helo": helo.name, "helo_addresses": helo.addresses, "ip": ip,
                       "fcrdns_name": h.fcrdns_name, "same_party_as_rdns": same_party}),
            ));
        }
        helo_claims_receiver(ctx, h, r, out);
    }
    if h.rdns_matches_ptr == Some(false) {
        if let Some(recorded) = &h.recorded_rdns {
            let today = if h.ptr_names.is_empty() {
                "no PTR".to_string()
            } else {
                h.ptr_names.join(", ")
            };
            out.push(Finding::new(
                Code::RdnsChanged,
                Severity::Info,
                Some(h.hop),
                format!(
                    "hop {}: the receiver recorded rDNS {recorded} for {ip}; today DNS gives {today}{note}",
                    h.hop
                ),
                json!({"ip": ip, "recorded": recorded, "today": h.ptr_names}),
            ));
        }
    }
    if !h.unknown.is_empty() {
        out.push(Finding::new(
            Code::DnsTempfail,
            Severity::Info,
            Some(h.hop),
            format!(
                "hop {}: DNS gave no usable answer, so these checks are unknown: {}",
                h.hop,
                h.unknown.join("; ")
            ),
            json!({"ip": ip, "questions": h.unknown}),
        ));
    }
}

/// The sender greeted the receiver with the receiver's own name or domain,
/// and DNS does not tie its IP to that name or domain.
fn helo_claims_receiver(ctx: &Context, h: &HopDns, r: Role, out: &mut Vec<Finding>) {
    let (Some(helo), Some(by)) = (
        &h.helo,
        ctx.hops
            .get(h.hop)
            .and_then(|x| x.by.as_deref())
            .and_then(domain::normalize),
    ) else {
        return;
    };
    if r == Role::Trusted {
        return;
    }
    let same_host = helo.name == by;
    if !same_host && !domain::same_party(&helo.name, &by) {
        return;
    }
    // DNS must have answered: a name we could not check is no evidence.
    if helo.resolution == Resolution::Unknown || helo.matches_ip == Some(true) {
        return;
    }
    if h.verdict == HopVerdict::Unknown {
        return;
    }
    if h.fcrdns_name
        .as_deref()
        .is_some_and(|n| domain::same_party(n, &by))
    {
        return;
    }
    // Forged only when the receiver's own name resolves, and not to the
    // sender: a name that does not resolve may be an internal host's.
    let forged = same_host && helo.matches_ip == Some(false);
    out.push(Finding::new(
        Code::HeloClaimsReceiver,
        if forged {
            Severity::Forged
        } else {
            Severity::Warn
        },
        Some(h.hop),
        format!(
            "hop {}: the sender at {} greeted {by} as {}, {}, but DNS does not place {} there{}",
            h.hop,
            h.ip,
            helo.name,
            if same_host {
                "the receiver's own name"
            } else {
                "a name in the receiver's own domain"
            },
            h.ip,
            claim_note(r)
        ),
        json!({"helo": helo.name, "by": by, "ip": h.ip.to_string(), "same_host": same_host,
               "helo_addresses": helo.addresses, "fcrdns_name": h.fcrdns_name}),
    ));
}

/// DNS clears or strengthens the CHAIN_BREAK that checks::hops reported.
fn links(dns: &MessageDns, out: &mut [Finding]) {
    for link in &dns.links {
        let Some(f) = out
            .iter_mut()
            .find(|f| f.code == Code::ChainBreak && f.hop == Some(link.lower))
        else {
            continue;
        };
        let upper_fcrdns = dns
            .hops
            .iter()
            .find(|h| h.hop == link.upper)
            .and_then(|h| h.fcrdns_name.clone());
        match link.status {
            LinkDnsStatus::Confirmed => {
                f.severity = Severity::Info;
                f.message.push_str(&format!(
                    "; cleared by DNS: {} resolves to {}, the address that sent hop {}",
                    link.by, link.ip, link.upper
                ));
            }
            LinkDnsStatus::Refuted => {
                // Forged only when DNS names the sender as someone else too.
                let other_party = upper_fcrdns
                    .as_deref()
                    .is_some_and(|n| !domain::same_party(n, &link.by));
                if other_party {
                    f.severity = Severity::Forged;
                }
                f.message.push_str(&format!(
                    "; DNS agrees: {} resolves to {}, not to {}{}",
                    link.by,
                    link.addresses.join(", "),
                    link.ip,
                    match &upper_fcrdns {
                        Some(n) if other_party => format!(", which is {n}"),
                        _ => String::new(),
                    }
                ));
            }
            LinkDnsStatus::Unresolved | LinkDnsStatus::Unknown => continue,
        }
        if let Some(ev) = f.evidence.as_object_mut() {
            ev.insert(
                "dns".into(),
                json!({"status": link.status, "by": link.by, "ip": link.ip.to_string(),
                       "addresses": link.addresses, "upper_fcrdns": upper_fcrdns}),
            );
        }
    }
}

fn dnsbl(dns: &MessageDns, out: &mut Vec<Finding>) {
    for r in &dns.dnsbl {
        let ip = r.ip.to_string();
        match r.status {
            DnsblStatus::Listed => out.push(Finding::new(
                Code::DnsblListed,
                Severity::Warn,
                Some(r.hop),
                format!(
                    "hop {}: {ip} is listed in {} ({}){}",
                    r.hop,
                    r.zone,
                    r.codes.join(", "),
                    r.reason
                        .as_deref()
                        .map(|x| format!(": {x}"))
                        .unwrap_or_default()
                ),
                json!({"ip": ip, "zone": r.zone, "codes": r.codes, "reason": r.reason}),
            )),
            DnsblStatus::Error => out.push(Finding::new(
                Code::DnsblError,
                Severity::Info,
                Some(r.hop),
                format!(
                    "hop {}: {} gave no verdict on {ip}: {}",
                    r.hop,
                    r.zone,
                    r.error.as_deref().unwrap_or("error")
                ),
                json!({"ip": ip, "zone": r.zone, "error": r.error}),
            )),
            DnsblStatus::Unknown => out.push(Finding::new(
                Code::DnsTempfail,
                Severity::Info,
                Some(r.hop),
                format!(
                    "hop {}: {} gave no usable answer about {ip} ({}): listing unknown",
                    r.hop,
                    r.zone,
                    r.error.as_deref().unwrap_or("no answer")
                ),
                json!({"ip": ip, "zone": r.zone, "error": r.error}),
            )),
            DnsblStatus::NotListed => {}
        }
    }
}
