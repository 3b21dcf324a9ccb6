//! Gathering the facts the contact rules need, over DNS.
//!
//! The lookups go through [`DnsLookup`], a general (name, record type) ->
//! answer interface that the DNS layer implements (with its run-wide cache
//! and evidence recording); tests implement it over a fixture zone.

use super::{Exclusions, HopFacts, MailTarget, NameFacts, NameOrigin, Role};
use crate::chain::{Origin, Relay};
use crate::domain;
use crate::headers;
use crate::message;
use crate::message::MessageSummary;
use crate::model::Hop;
use crate::pipeline::Traced;
use crate::report::Report;
use crate::trust::{classify, IpClass, TrustConfig};
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

/// One answer, in presentation form: an address (`A`/`AAAA`), a name
/// (`PTR`), `PREF EXCHANGE` or just `EXCHANGE` (`MX`), the joined strings
/// of one record (`TXT`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsAnswer {
    Records(Vec<String>),
    /// The name exists but has no record of that type.
    NoRecords,
    /// The name does not exist.
    NxDomain,
    /// No answer (timeout, SERVFAIL, offline): we cannot tell.
    Failed(String),
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

/// What the abuse stage reads of a message: its hops, the chain's verdict
/// and its header fields. Built from a finished [`Report`] (with the header
/// block) or from a [`Traced`] message in the enrichment stage.
#[derive(Clone, Copy)]
pub struct MessageView<'a> {
    pub hops: &'a [Hop],
    pub relay: Option<&'a Relay>,
    pub origin: Option<&'a Origin>,
    pub summary: &'a MessageSummary,
    pub header: &'a [u8],
}

impl<'a> MessageView<'a> {
    pub fn of_report(r: &'a Report, header: &'a [u8]) -> Self {
        MessageView {
            hops: &r.hops,
            relay: r.first_untrusted_relay.as_ref(),
            origin: r.probable_origin.as_ref(),
            summary: &r.message,
            header,
        }
    }

    pub fn of_traced(t: &'a Traced) -> Self {
        MessageView {
            hops: &t.hops,
            relay: t.chain.first_untrusted_relay.as_ref(),
            origin: t.chain.probable_origin.as_ref(),
            summary: &t.summary,
            header: &t.msg.header,
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
pub fn reportable_hops(m: &MessageView) -> Vec<(usize, Role)> {
    let mut out = Vec::new();
    let Some(fur) = m.relay else {
        return out;
    };
    out.push((fur.hop, Role::FirstUntrustedRelay));
    if let Some(o) = m.origin {
        if o.hop > fur.hop {
            for h in (fur.hop + 1..o.hop).take(MAX_INTERMEDIATE) {
                out.push((h, Role::Intermediate));
            }
            out.push((o.hop, Role::ProbableOrigin));
        }
    }
    out
}

/// The reversed-IP name in `zone` (octets for IPv4, nibbles for IPv6).
pub fn reversed_name(ip: IpAddr, zone: &str) -> String {
    let zone = zone.trim_matches('.');
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.{}.{zone}", o[3], o[2], o[1], o[0])
        }
        IpAddr::V6(v6) => {
            let mut s = String::with_capacity(64 + zone.len());
            for b in v6.octets().iter().rev() {
                s.push_str(&format!("{:x}.{:x}.", b & 0xf, b >> 4));
            }
            s.push_str(zone);
            s
        }
    }
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
    match dns.lookup(domain, RecordType::Mx) {
        DnsAnswer::Records(r) => {
            let exchanges: Vec<&str> = r
                .iter()
                .filter_map(|rec| rec.split_whitespace().last())
                .collect();
            if abuse_contact::dns::names_a_mail_host(exchanges.iter().copied()) {
                MailTarget::Mx
            } else if exchanges.is_empty() {
                MailTarget::Unknown
            } else {
                MailTarget::NullMx
            }
        }
        DnsAnswer::NxDomain => MailTarget::NoMail,
        DnsAnswer::Failed(_) => MailTarget::Unknown,
        DnsAnswer::NoRecords => {
            let has = |t| matches!(dns.lookup(domain, t), DnsAnswer::Records(r) if !r.is_empty());
            let failed = |t| matches!(dns.lookup(domain, t), DnsAnswer::Failed(_));
            if has(RecordType::A) || has(RecordType::Aaaa) {
                MailTarget::Address
            } else if failed(RecordType::A) {
                MailTarget::Unknown
            } else {
                MailTarget::NoMail
            }
        }
    }
}

/// The facts about one hop's names and network.
fn hop_facts(
    m: &MessageView,
    hop: usize,
    role: Role,
    trust: &TrustConfig,
    dns: &dyn DnsLookup,
    cfg: &AbuseConfig,
) -> Option<HopFacts> {
    let h = m.hops.get(hop)?;
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
    if let DnsAnswer::Records(ptrs) = dns.lookup(&reversed_name(ip, arpa(ip)), RecordType::Ptr) {
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
        facts.abusix = match dns.lookup(&reversed_name(ip, zone), RecordType::Txt) {
            DnsAnswer::Records(r) => Some(r),
            DnsAnswer::NoRecords | DnsAnswer::NxDomain => Some(Vec::new()),
            DnsAnswer::Failed(_) => None,
        };
    }
    Some(facts)
}

fn arpa(ip: IpAddr) -> &'static str {
    if ip.is_ipv4() {
        "in-addr.arpa"
    } else {
        "ip6.arpa"
    }
}

/// The domains nobody may be reported at, for this message.
pub fn exclusions(m: &MessageView, trust: &TrustConfig) -> Exclusions {
    let mut ex = Exclusions::default();
    let fields = headers::fields(m.header);
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
    for a in [&m.summary.return_path, &m.summary.envelope_from]
        .into_iter()
        .flatten()
    {
        if let Some(d) = message::address_domain(a) {
            ex.add(&d);
        }
    }
    // Our own servers: never complain to ourselves.
    for h in m.hops.iter().filter(|h| h.trusted) {
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
    m: &MessageView,
    trust: &TrustConfig,
    dns: &dyn DnsLookup,
    cfg: &AbuseConfig,
) -> (Vec<HopFacts>, Exclusions) {
    let budget = Budget {
        inner: dns,
        asked: Default::default(),
    };
    let dns: &dyn DnsLookup = &budget;
    let hops: Vec<HopFacts> = reportable_hops(m)
        .into_iter()
        .filter_map(|(hop, role)| hop_facts(m, hop, role, trust, dns, cfg))
        .collect();
    let mut ex = exclusions(m, trust);
    let mut ours = Exclusions::default();
    for h in m.hops.iter().filter(|h| h.trusted) {
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
