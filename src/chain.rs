//! The trust boundary, the custody links below it, and the probable origin
//! (DESIGN.md, "What a hop is, and whom to believe").

use crate::domain;
use crate::model::{Hop, HopKind};
use crate::trust::{classify, IpClass, TrustConfig};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// The relay that handed the message to our trusted region: hard evidence,
/// because a trusted server saw the TCP connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relay {
    /// The trusted hop whose `from` this relay is.
    pub hop: usize,
    pub ip: Option<IpAddr>,
    pub rdns: Option<String>,
    pub helo: Option<String>,
    /// The trusted receiver that saw the connection.
    pub received_by: Option<String>,
    /// When it did, RFC 3339 UTC.
    pub received_at: Option<String>,
    /// The receiver's date text as written.
    pub received_at_original: Option<String>,
}

/// The state of one custody link between two adjacent hops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkStatus {
    /// The lower hop's `by` names the upper hop's sender.
    Consistent,
    /// The lower hop's `by` names someone else: forgery starts here.
    Broken,
    /// Not enough in the headers to tell (no names, only an IP, unparsed).
    Unknown,
}

/// The link between hop `upper` and hop `upper + 1`, below the boundary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustodyLink {
    pub upper: usize,
    pub lower: usize,
    pub status: LinkStatus,
    /// How the link was judged ("same name", "same registrable domain", ...).
    pub reason: String,
    /// The names compared: the upper hop's sender names and the lower hop's `by`.
    pub upper_names: Vec<String>,
    pub lower_by: Option<String>,
}

/// How sure we are of the probable origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// It is the first untrusted relay: our own server saw it.
    High,
    /// One consistent custody link below the first untrusted relay.
    Medium,
    /// Two or more links, each only a claim.
    Low,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::High => "high",
            Confidence::Medium => "medium",
            Confidence::Low => "low",
        }
    }
}

/// The oldest sender reached from the boundary through consistent links.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    pub hop: usize,
    pub ip: Option<IpAddr>,
    pub rdns: Option<String>,
    pub helo: Option<String>,
    pub confidence: Confidence,
    /// Consistent links walked from the first untrusted relay.
    pub links: usize,
}

/// Why a relay was trusted (for the report's explanation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustStep {
    pub hop: usize,
    pub reason: String,
}

/// The chain stage's result.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chain {
    /// Index of the lowest trusted hop (the one whose sender is the first
    /// untrusted relay); `None` with no Received header at all.
    pub boundary: Option<usize>,
    pub first_untrusted_relay: Option<Relay>,
    pub probable_origin: Option<Origin>,
    pub custody: Vec<CustodyLink>,
    /// The lower hop of the first broken link.
    pub first_break: Option<usize>,
    /// Why each trusted hop's sender was trusted.
    pub trust_steps: Vec<TrustStep>,
    /// Trust was extended by inference (no `--trusted` given): see TRUST_INFERRED.
    pub inferred: bool,
}

/// Why the sender of trusted hop `i` is trusted too, or `None`.
fn trusts_sender(hops: &[Hop], i: usize, trust: &TrustConfig, infer: bool) -> Option<String> {
    let hop = &hops[i];
    let next_by = hops.get(i + 1).and_then(|h| h.by.as_deref());
    if hop.kind == HopKind::Local {
        return Some("local handover on a trusted host".into());
    }
    if let Some(ip) = hop.from.ip {
        match classify(ip) {
            IpClass::Loopback => return Some(format!("{ip} is loopback")),
            IpClass::Private => {
                return Some(format!("{ip} is a private address seen by a trusted host"))
            }
            _ => {}
        }
        if trust.trusts_ip(ip) {
            return Some(format!("{ip} is in a trusted network"));
        }
    }
    if let Some(rdns) = hop.from.rdns.as_deref() {
        if trust.trusts_name(rdns) {
            return Some(format!(
                "{rdns} (rDNS recorded by a trusted host) is a trusted host"
            ));
        }
    }
    if let (Some(helo), Some(by)) = (hop.from.helo.as_deref(), next_by) {
        if trust.trusts_name(helo) && trust.trusts_name(by) && domain::same_party(helo, by) {
            return Some(format!(
                "{helo} is a trusted host and wrote the next header"
            ));
        }
    }
    if infer && trust.is_empty() {
        // No trust configured: a peer whose recorded rDNS lies in the same
        // registrable domain as the receiver is taken as the receiver's own
        // relay. Only the rDNS counts (the receiver looked it up), never HELO.
        let by = hop.by.as_deref()?;
        let rdns = hop.from.rdns.as_deref()?;
        let by_dom = domain::registrable(by)?;
        if hop.from.ip.is_some() && domain::registrable(rdns).as_deref() == Some(&by_dom) {
            return Some(format!(
                "inferred: {rdns} is in the receiver's domain {by_dom}"
            ));
        }
    }
    None
}

/// The names a hop's sender went by: rDNS, HELO (normalised, deduplicated).
fn sender_names(hop: &Hop) -> Vec<String> {
    let mut names = Vec::new();
    for n in [hop.from.rdns.as_deref(), hop.from.helo.as_deref()]
        .into_iter()
        .flatten()
    {
        if let Some(n) = domain::normalize(n) {
            if !names.contains(&n) {
                names.push(n);
            }
        }
    }
    names
}

/// Judge the link between `upper` and the hop below it.
pub fn judge_link(upper: &Hop, lower: &Hop) -> CustodyLink {
    let names = sender_names(upper);
    let mut link = CustodyLink {
        upper: upper.index,
        lower: lower.index,
        status: LinkStatus::Unknown,
        reason: String::new(),
        upper_names: names.clone(),
        lower_by: lower.by.clone(),
    };
    if lower.kind == HopKind::Unparsed {
        link.reason = "the lower header could not be parsed".into();
        return link;
    }
    let Some(by) = lower.by.as_deref() else {
        link.reason = "the lower header names no receiving host".into();
        return link;
    };
    // `by` written as an address literal: compare it with the connecting IP.
    let by_ip = by
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_start_matches("IPv6:")
        .trim_start_matches("ipv6:")
        .parse::<IpAddr>()
        .ok();
    if let Some(by_ip) = by_ip {
        match upper.from.ip {
            Some(ip) if ip == by_ip => {
                link.status = LinkStatus::Consistent;
                link.reason = "the receiving host's address is the sender's address".into();
            }
            Some(_) if classify(by_ip) == IpClass::Public => {
                link.status = LinkStatus::Broken;
                link.reason =
                    format!("the lower hop was received by {by_ip}, not by the sender's address");
            }
            _ => link.reason = "the receiving host is named only by an internal address".into(),
        }
        return link;
    }
    let Some(by_n) = domain::normalize(by) else {
        link.reason = "the receiving host has no usable name".into();
        return link;
    };
    if names.is_empty() {
        link.reason = "the sender is known only by its address; needs DNS to compare".into();
        return link;
    }
    if names.contains(&by_n) {
        link.status = LinkStatus::Consistent;
        link.reason = "same name".into();
    } else if names.iter().any(|n| domain::same_party(n, &by_n)) {
        link.status = LinkStatus::Consistent;
        link.reason = "same registrable domain".into();
    } else if !by_n.contains('.') {
        // An unqualified internal name (`by mailhost`) cannot be compared.
        link.reason = format!("the receiving host {by_n:?} is not a qualified name");
    } else {
        link.status = LinkStatus::Broken;
        link.reason = format!(
            "{by_n} received it, but the sender above was {}",
            names.join(" / ")
        );
    }
    link
}

/// Walk the hops (header order) and decide the boundary, custody and origin.
pub fn analyze(hops: &[Hop], trust: &TrustConfig, infer: bool) -> Chain {
    let mut chain = Chain::default();
    if hops.is_empty() {
        return chain;
    }
    // 1. Trust runs down from hop 0 while each sender is trusted.
    let mut b = 0;
    let mut all_trusted = false;
    while let Some(reason) = trusts_sender(hops, b, trust, infer) {
        chain.inferred |= reason.starts_with("inferred");
        chain.trust_steps.push(TrustStep { hop: b, reason });
        if b + 1 == hops.len() {
            all_trusted = true;
            break;
        }
        b += 1;
    }
    chain.boundary = Some(b);
    if all_trusted {
        // Internal mail: every sender is ours; nobody to complain to.
        return chain;
    }
    let hop = &hops[b];
    if matches!(hop.kind, HopKind::Relay | HopKind::NoIp) {
        chain.first_untrusted_relay = Some(Relay {
            hop: b,
            ip: hop.from.ip,
            rdns: hop.from.rdns.clone(),
            helo: hop.from.helo.clone(),
            received_by: hop.by.clone(),
            received_at: hop.timestamp.as_ref().map(|t| t.utc.clone()),
            received_at_original: hop.timestamp.as_ref().map(|t| t.original.clone()),
        });
    }
    // 2. Below the boundary, follow consistent custody links.
    let mut origin_hop = chain.first_untrusted_relay.as_ref().map(|r| r.hop);
    let mut links = 0;
    let mut walking = true;
    for upper in b..hops.len().saturating_sub(1) {
        let link = judge_link(&hops[upper], &hops[upper + 1]);
        if walking {
            match link.status {
                LinkStatus::Consistent => {
                    let lower = &hops[upper + 1];
                    // The origin is a sender we can name: skip local
                    // handovers and private hops (not reportable).
                    if lower
                        .from
                        .ip
                        .is_some_and(|ip| classify(ip) == IpClass::Public)
                    {
                        origin_hop = Some(upper + 1);
                        links += 1;
                    }
                }
                LinkStatus::Broken => {
                    chain.first_break = Some(upper + 1);
                    walking = false;
                }
                LinkStatus::Unknown => walking = false,
            }
        }
        chain.custody.push(link);
    }
    if let Some(o) = origin_hop {
        let h = &hops[o];
        chain.probable_origin = Some(Origin {
            hop: o,
            ip: h.from.ip,
            rdns: h.from.rdns.clone(),
            helo: h.from.helo.clone(),
            confidence: match links {
                0 => Confidence::High,
                1 => Confidence::Medium,
                _ => Confidence::Low,
            },
            links,
        });
    }
    chain
}
