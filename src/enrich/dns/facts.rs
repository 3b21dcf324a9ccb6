//! What the answers say about a message: per hop, per custody link, per
//! DNSBL. Pure functions of the traced message and the recorded answers;
//! the checks (checks::dns) turn these facts into findings.

use super::dnsbl::{interpret, Listing};
use super::names::{dnsbl_name, host_name, reverse_name};
use super::plan::{dnsbl_targets, ptr_names_to_check, public_ip, AnswerMap};
use crate::chain::Traced;
use crate::model::{Answer, Outcome, Question, RType};

use crate::model::{
    resolution, DnsblResult, DnsblStatus, HeloDns, HopDns, HopVerdict, LinkDns, LinkDnsStatus,
    MessageDns, Resolution,
};
use std::net::IpAddr;

fn get<'a>(answers: &'a AnswerMap, name: &str, rtype: RType) -> Option<&'a Answer> {
    answers.get(&Question::new(name, rtype)).map(|a| a.as_ref())
}

/// `PTR 7.1.6.217.in-addr.arpa: timeout` for an answer that says nothing.
fn unknown_note(q: &Question, a: Option<&Answer>) -> Option<String> {
    match a {
        None => Some(format!("{q}: not asked (per-message limit)")),
        Some(a) if a.outcome() == Outcome::Unknown => Some(format!("{q}: {}", a.summary())),
        _ => None,
    }
}

fn hop_facts(t: &Traced, answers: &AnswerMap, hop: usize, ip: IpAddr) -> HopDns {
    let h = &t.hops[hop];
    let mut unknown = Vec::new();
    let ptr_q = Question::new(&reverse_name(ip), RType::PTR);
    let ptr_a = answers.get(&ptr_q).map(|a| a.as_ref());
    unknown.extend(unknown_note(&ptr_q, ptr_a));
    let ptr = resolution(ptr_a);
    let ptr_names = match ptr_a.map(|a| a.outcome()) {
        Some(Outcome::Found(n)) => n.to_vec(),
        _ => Vec::new(),
    };
    let addr = RType::address_for(ip);
    let mut fcrdns_name = None;
    let mut fcrdns_failed = Vec::new();
    let mut fcrdns_unknown = false;
    for name in ptr_names_to_check(answers, ip) {
        let a = get(answers, &name, addr);
        match a {
            Some(a) if a.includes_ip(ip) => {
                fcrdns_name.get_or_insert(name);
            }
            Some(a) if a.outcome() != Outcome::Unknown => fcrdns_failed.push(name),
            _ => {
                fcrdns_unknown = true;
                unknown.extend(unknown_note(&Question::new(&name, addr), a));
            }
        }
    }
    let helo = h.from.helo.as_deref().and_then(host_name).map(|name| {
        let a = get(answers, &name, addr);
        unknown.extend(unknown_note(&Question::new(&name, addr), a));
        let res = resolution(a);
        HeloDns {
            addresses: match a.map(|a| a.outcome()) {
                Some(Outcome::Found(x)) => x.to_vec(),
                _ => Vec::new(),
            },
            matches_ip: (res == Resolution::Found).then(|| a.is_some_and(|a| a.includes_ip(ip))),
            resolution: res,
            name,
        }
    });
    // The custody link below this hop: its `by` name was asked with this hop.
    for link in t.chain.custody.iter().filter(|l| l.upper == hop) {
        if let Some(by) = link.lower_by.as_deref().and_then(host_name) {
            let q = Question::new(&by, addr);
            if let Some(note) = unknown_note(&q, answers.get(&q).map(|a| a.as_ref())) {
                if !unknown.contains(&note) {
                    unknown.push(note);
                }
            }
        }
    }
    let recorded_rdns = h.from.rdns.as_deref().and_then(host_name);
    let rdns_matches_ptr = match (&recorded_rdns, ptr) {
        (Some(r), Resolution::Found | Resolution::NoData | Resolution::Nxdomain) => {
            Some(ptr_names.iter().any(|n| n == r))
        }
        _ => None,
    };
    let verdict = if fcrdns_name.is_some() {
        HopVerdict::Confirmed
    } else if matches!(ptr, Resolution::Nxdomain | Resolution::NoData) {
        HopVerdict::NoRdns
    } else if !fcrdns_failed.is_empty() && !fcrdns_unknown {
        HopVerdict::Mismatch
    } else {
        HopVerdict::Unknown
    };
    HopDns {
        hop,
        ip,
        verdict,
        ptr,
        ptr_names,
        fcrdns_name,
        fcrdns_failed,
        helo,
        recorded_rdns,
        rdns_matches_ptr,
        unknown,
    }
}

fn link_facts(t: &Traced, answers: &AnswerMap) -> Vec<LinkDns> {
    let mut out = Vec::new();
    for link in &t.chain.custody {
        let (Some(ip), Some(by)) = (
            public_ip(t, link.upper),
            link.lower_by.as_deref().and_then(host_name),
        ) else {
            continue;
        };
        let a = get(answers, &by, RType::address_for(ip));
        let status = match a.map(|a| a.outcome()) {
            Some(Outcome::Found(_)) if a.is_some_and(|a| a.includes_ip(ip)) => {
                LinkDnsStatus::Confirmed
            }
            Some(Outcome::Found(_)) => LinkDnsStatus::Refuted,
            Some(Outcome::NxDomain | Outcome::NoData) => LinkDnsStatus::Unresolved,
            _ => LinkDnsStatus::Unknown,
        };
        out.push(LinkDns {
            upper: link.upper,
            lower: link.lower,
            addresses: a.map(|a| a.answers.clone()).unwrap_or_default(),
            by,
            ip,
            status,
        });
    }
    out
}

fn dnsbl_facts(t: &Traced, answers: &AnswerMap, zones: &[String]) -> Vec<DnsblResult> {
    let mut out = Vec::new();
    for (hop, ip) in dnsbl_targets(t) {
        for zone in zones {
            let Some(name) = dnsbl_name(ip, zone) else {
                continue;
            };
            let mut r = DnsblResult {
                hop,
                ip,
                zone: zone.trim_end_matches('.').to_ascii_lowercase(),
                status: DnsblStatus::Unknown,
                codes: Vec::new(),
                reason: None,
                error: None,
            };
            match get(answers, &name, RType::A).map(interpret) {
                Some(Listing::Listed(codes)) => {
                    r.status = DnsblStatus::Listed;
                    r.codes = codes;
                    r.reason = get(answers, &name, RType::TXT).and_then(|a| match a.outcome() {
                        Outcome::Found(txt) => Some(txt.join("; ")),
                        _ => None,
                    });
                }
                Some(Listing::NotListed) => r.status = DnsblStatus::NotListed,
                Some(Listing::Error(e)) => {
                    r.status = DnsblStatus::Error;
                    r.error = Some(e);
                }
                Some(Listing::Unknown) | None => {
                    r.error = get(answers, &name, RType::A).map(|a| a.summary());
                }
            }
            out.push(r);
        }
    }
    out
}

/// Build the facts of one message from its answers. `asked` is the order
/// in which the questions were asked: the evidence keeps that order.
pub(crate) fn build(
    t: &Traced,
    answers: &AnswerMap,
    zones: &[String],
    asked: &[Question],
    skipped_questions: usize,
) -> MessageDns {
    let hops = t
        .hops
        .iter()
        .filter_map(|h| public_ip(t, h.index).map(|ip| hop_facts(t, answers, h.index, ip)))
        .collect();
    MessageDns {
        hops,
        links: link_facts(t, answers),
        dnsbl: dnsbl_facts(t, answers, zones),
        skipped_questions,
        auth: Default::default(),
        answers: asked
            .iter()
            .filter_map(|q| answers.get(q))
            .filter(|a| a.is_evidence())
            .map(|a| a.as_ref().clone())
            .collect(),
        degraded: false,
    }
}
