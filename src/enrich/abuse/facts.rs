//! Gathering the facts the contact rules need, over DNS.
//!
//! The lookups go through [`DnsLookup`], a general (name, record type) ->
//! answer interface that the DNS layer implements (with its run-wide cache
//! and evidence recording); tests implement it over a fixture zone.

use super::{DnsAnswer, Exclusions, HopFacts, MailTarget, NameFacts, NameOrigin, Role};

use crate::util::{domain, reverse};

use crate::parse::message;

use crate::chain::Traced;

use crate::chain::trust::{classify, IpClass, TrustConfig};
use std::net::IpAddr;

/// Record types the abuse stage asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordType {
    A,
    Aaaa,
    Mx,
    Txt,
    Ptr,
}

/// The DNS layer as the abuse stage sees it.
pub trait DnsLookup {
    fn lookup(&self, name: &str, rtype: RecordType) -> DnsAnswer;
}

/// Settings for the abuse stage.
#[derive(Debug, Clone)]
pub struct AbuseConfig {
    /// The Abusix-style zone; `None` to not ask.
    pub abusix_zone: Option<String>,
}

impl Default for AbuseConfig {
    fn default() -> Self {
        AbuseConfig {
            abusix_zone: Some(super::ABUSIX_ZONE.to_string()),
        }
    }
}

/// At most this many relays between the first untrusted relay and the origin
/// get lookups, and at most this many PTR names per IP: a hostile message
/// must not make the lookups unbounded.
const MAX_INTERMEDIATE: usize = 8;
const MAX_PTR_NAMES: usize = 4;
/// Distinct DNS questions per message at most; past this every lookup
/// fails. The cap sits here, in front of any [`DnsLookup`], so live,
/// replayed and recorded answers give the same contacts.
pub const MAX_QUESTIONS: usize = 64;

/// A [`DnsLookup`] that stops asking after [`MAX_QUESTIONS`] distinct questions.
struct Budget<'a> {
    inner: &'a dyn DnsLookup,
    asked: std::cell::RefCell<Vec<(String, RecordType)>>,
}

impl DnsLookup for Budget<'_> {
    fn lookup(&self, name: &str, rtype: RecordType) -> DnsAnswer {
        let key = (name.trim_end_matches('.').to_ascii_lowercase(), rtype);
        let mut asked = self.asked.borrow_mut();
        if !asked.contains(&key) {
            if asked.len() >= MAX_QUESTIONS {
                return DnsAnswer::Failed("per-message abuse lookup limit".into());
            }
            asked.push(key);
        }
        drop(asked);
        self.inner.lookup(name, rtype)
    }
}

/// The hops worth a contact, with their roles: the first untrusted relay,
/// the relays below it up to the probable origin, and the origin.
pub fn reportable_hops(t: &Traced) -> Vec<(usize, Role)> {
    let mut out = Vec::new();
    let Some(fur) = t.chain.first_untrusted_relay.as_ref() else {
        return out;
    };
    out.push((fur.hop, Role::FirstUntrustedRelay));
    if let Some(o) = t.chain.probable_origin.as_ref() {
        if o.hop > fur.hop {
            for h in (fur.hop + 1..o.hop).take(MAX_INTERMEDIATE) {
                out.push((h, Role::Intermediate));
            }
            out.push((o.hop, Role::ProbableOrigin));
        }
    }
    out
}

/// Does `name` resolve (A or AAAA, by the IP's family) to `ip`?
fn forward_confirms(dns: &dyn DnsLookup, name: &str, ip: IpAddr) -> bool {
    let rtype = if ip.is_ipv4() {
        RecordType::A
    } else {
        RecordType::Aaaa
    };
    match dns.lookup(name, rtype) {
        DnsAnswer::Records(r) => r.iter().any(|a| a.trim().parse::<IpAddr>() == Ok(ip)),
        _ => false,
    }
}

/// Does `domain` take mail? MX naming a host; else, with no MX, an address.
pub fn mail_target(dns: &dyn DnsLookup, domain: &str) -> MailTarget {
    MailTarget::judge(
        &dns.lookup(domain, RecordType::Mx),
        || dns.lookup(domain, RecordType::A),
        || dns.lookup(domain, RecordType::Aaaa),
    )
}

/// The facts about one hop's names and network.
fn hop_facts(
    t: &Traced,
    hop: usize,
    role: Role,
    trust: &TrustConfig,
    dns: &dyn DnsLookup,
    cfg: &AbuseConfig,
) -> Option<HopFacts> {
    let h = t.hops.get(hop)?;
    let ip = h.from.ip;
    // `Hop::trusted` says who wrote the header; what matters here is whether
    // the *sender* is ours (a trusted network can sit below the boundary).
    let trusted = ip.is_some_and(|ip| trust.trusts_ip(ip));
    let reportable = ip.is_some_and(|ip| classify(ip) == IpClass::Public) && !trusted;
    let mut facts = HopFacts {
        hop,
        role,
        ip,
        trusted,
        names: Vec::new(),
        abusix: None,
        rdap: None,
    };
    let (Some(ip), true) = (ip, reportable) else {
        return Some(facts);
    };
    let mut candidates: Vec<(String, NameOrigin)> = Vec::new();
    if let DnsAnswer::Records(ptrs) = dns.lookup(&reverse::reverse_name(ip), RecordType::Ptr) {
        for p in ptrs.iter().take(MAX_PTR_NAMES) {
            candidates.push((p.clone(), NameOrigin::Ptr));
        }
    }
    let recorded = if role == Role::FirstUntrustedRelay {
        NameOrigin::RecordedByTrusted
    } else {
        NameOrigin::Claimed
    };
    if let Some(r) = &h.from.rdns {
        candidates.push((r.clone(), recorded));
    }
    // Below the boundary a HELO name is whatever the spammer wrote and the
    // rules ignore it: do not tell its DNS servers we are looking.
    if let (Some(helo), Role::FirstUntrustedRelay) = (&h.from.helo, role) {
        candidates.push((helo.clone(), NameOrigin::Helo));
    }
    for (name, origin) in candidates {
        let Some(name) = domain::normalize(&name) else {
            continue;
        };
        if facts.names.iter().any(|n| n.name == name) {
            continue; // the stronger origin came first
        }
        let reg = domain::registrable(&name);
        let mail = match &reg {
            Some(d) => mail_target(dns, d),
            None => MailTarget::Unknown,
        };
        facts.names.push(NameFacts {
            forward_confirmed: forward_confirms(dns, &name, ip),
            name,
            origin,
            domain: reg,
            mail,
        });
    }
    if let Some(zone) = &cfg.abusix_zone {
        facts.abusix = match dns.lookup(&reverse::in_zone(ip, zone), RecordType::Txt) {
            DnsAnswer::Records(r) => Some(r),
            DnsAnswer::NoRecords | DnsAnswer::NxDomain => Some(Vec::new()),
            DnsAnswer::Failed(_) => None,
        };
    }
    Some(facts)
}

/// The domains nobody may be reported at, for this message.
pub fn exclusions(t: &Traced, trust: &TrustConfig) -> Exclusions {
    let mut ex = Exclusions::default();
    let fields = t.fields();
    for f in fields
        .iter()
        .filter(|f| f.is("from") || f.is("reply-to") || f.is("sender"))
    {
        for (_, a) in message::addresses(f) {
            if let Some(d) = a.as_deref().and_then(message::address_domain) {
                ex.add(&d);
            }
        }
    }
    for f in fields.iter().filter(|f| f.is("message-id")) {
        for id in message::ids(f) {
            if let Some(d) = message::address_domain(&id) {
                ex.add(&d);
            }
        }
    }
    for a in [&t.summary.return_path, &t.summary.envelope_from]
        .into_iter()
        .flatten()
    {
        if let Some(d) = message::address_domain(a) {
            ex.add(&d);
        }
    }
    // Our own servers: never complain to ourselves.
    for h in t.hops.iter().filter(|h| h.trusted) {
        if let Some(by) = &h.by {
            ex.add(by);
        }
    }
    for host in &trust.hosts {
        ex.add(host.trim_start_matches('.'));
    }
    ex
}

/// Gather the facts for every reportable hop of the message, and the
/// exclusions. A sender domain is not excluded when the first untrusted
/// relay's own confirmed name is in it: then the sender was not forged.
pub fn gather(
    t: &Traced,
    trust: &TrustConfig,
    dns: &dyn DnsLookup,
    cfg: &AbuseConfig,
) -> (Vec<HopFacts>, Exclusions) {
    let budget = Budget {
        inner: dns,
        asked: Default::default(),
    };
    let dns: &dyn DnsLookup = &budget;
    let hops: Vec<HopFacts> = reportable_hops(t)
        .into_iter()
        .filter_map(|(hop, role)| hop_facts(t, hop, role, trust, dns, cfg))
        .collect();
    let mut ex = exclusions(t, trust);
    let mut ours = Exclusions::default();
    for h in t.hops.iter().filter(|h| h.trusted) {
        if let Some(by) = &h.by {
            ours.add(by);
        }
    }
    if let Some(fur) = hops.iter().find(|h| h.role == Role::FirstUntrustedRelay) {
        for n in &fur.names {
            let vouched = matches!(n.origin, NameOrigin::Ptr | NameOrigin::RecordedByTrusted);
            if let (true, true, Some(d)) = (vouched, n.forward_confirmed, &n.domain) {
                if !ours.excludes(d) {
                    ex.domains.retain(|x| x != d);
                }
            }
        }
    }
    (hops, ex)
}
