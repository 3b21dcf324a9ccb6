//! Abuse contacts: whom to send a complaint to, and nobody else.
//!
//! Three steps, each in its own module:
//! - [`facts`] asks DNS (through the [`DnsLookup`] trait, which the DNS layer
//!   implements) and gathers plain facts about each reportable hop;
//! - [`rdap`] asks the regional registries (`--rdap`) through the
//!   abuse-contact crate's RDAP client;
//! - [`contacts`] turns those facts into contacts: a pure function, where
//!   every rule of who may be reported to lives.
//!
//! [`address`] checks every address before it can reach a header we write.

pub mod accounts;
pub mod address;
mod contacts;
pub mod facts;
pub mod rdap;
pub mod sites;

pub use crate::model::{DnsAnswer, MailTarget};
pub use contacts::contacts;
pub use facts::{gather, DnsLookup, RecordType};

use crate::chain::trust::TrustConfig;
use crate::chain::Traced;
use crate::model::AbuseContact;
use std::net::IpAddr;

/// The Abusix zone that maps an IP to its network's abuse contact.
pub const ABUSIX_ZONE: &str = "abuse-contacts.abusix.zone";

/// Which part a hop plays in the route, for a contact's `role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Our trusted server saw this IP connect: hard evidence.
    FirstUntrustedRelay,
    /// A relay between the first untrusted relay and the probable origin,
    /// known only from headers (claims).
    Intermediate,
    /// The oldest sender reached through consistent custody links (a claim).
    ProbableOrigin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::FirstUntrustedRelay => "first_untrusted_relay",
            Role::Intermediate => "intermediate_relay",
            Role::ProbableOrigin => "probable_origin",
        }
    }
}

/// Where a host name for a hop came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameOrigin {
    /// Our own PTR lookup of the IP.
    Ptr,
    /// The rDNS name a trusted receiver recorded in its Received header.
    RecordedByTrusted,
    /// An rDNS name in a header below the trust boundary: a claim.
    Claimed,
    /// The HELO/EHLO name the sender gave: a claim.
    Helo,
}

/// A host name a hop went by, with what DNS says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameFacts {
    /// Normalised (lowercase, no trailing dot).
    pub name: String,
    pub origin: NameOrigin,
    /// The name's A/AAAA records include the hop's IP.
    pub forward_confirmed: bool,
    /// The registrable domain (Public Suffix List).
    pub domain: Option<String>,
    /// Whether that domain takes mail.
    pub mail: MailTarget,
}

/// The registry's answer over RDAP for one IP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RdapFacts {
    /// The server that answered (host[:port]).
    pub server: String,
    /// The abuse addresses of the record, most preferred first.
    pub emails: Vec<String>,
}

/// Everything the contact rules need to know about one hop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HopFacts {
    pub hop: usize,
    pub role: Role,
    pub ip: Option<IpAddr>,
    /// The hop was written by, or its sender is, a server we trust.
    pub trusted: bool,
    pub names: Vec<NameFacts>,
    /// The Abusix-style TXT answer for the IP; `None` when not asked or failed.
    pub abusix: Option<Vec<String>>,
    /// The RDAP answer for the IP; `None` without `--rdap` or when it failed.
    pub rdap: Option<RdapFacts>,
}

/// Domains nobody may be reported at: the forged sender's From, Reply-To and
/// Message-ID domains (reporting there hits the innocent) and our own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exclusions {
    /// Registrable domains, lowercase.
    pub domains: Vec<String>,
}

impl Exclusions {
    /// Add the registrable domain of `name` (a host or an address's domain).
    pub fn add(&mut self, name: &str) {
        let d =
            crate::util::domain::registrable(name).or_else(|| crate::util::domain::normalize(name));
        if let Some(d) = d {
            if !self.domains.contains(&d) {
                self.domains.push(d);
            }
        }
    }

    /// Is `domain` (or the domain of an address) excluded?
    pub fn excludes(&self, domain_or_address: &str) -> bool {
        let d = domain_or_address
            .rsplit_once('@')
            .map_or(domain_or_address, |(_, d)| d);
        let reg = crate::util::domain::registrable(d).or_else(|| crate::util::domain::normalize(d));
        reg.is_some_and(|r| self.domains.contains(&r))
    }
}

/// No DNS: every lookup fails, so only RDAP can give contacts. (The DNS
/// layer's lookups are `dns::abuse`.)
pub struct NoDns;

impl DnsLookup for NoDns {
    fn lookup(&self, _name: &str, _rtype: RecordType) -> DnsAnswer {
        DnsAnswer::Failed("offline".into())
    }
}

/// The contacts of a message from its DNS facts, asked through `dns`.
pub fn find(
    t: &Traced,
    trust: &TrustConfig,
    dns: &dyn DnsLookup,
    cfg: &facts::AbuseConfig,
) -> Vec<AbuseContact> {
    let (hops, excl) = gather(t, trust, dns, cfg);
    contacts(&hops, &excl)
}

/// [`find`], with the registry's answer (RDAP) for each reportable hop
/// added to the DNS facts. Returns the contacts and warnings for stderr
/// (a registry that did not answer...).
pub async fn find_with_rdap(
    t: &Traced,
    trust: &TrustConfig,
    dns: &dyn DnsLookup,
    cfg: &facts::AbuseConfig,
    rdap: &rdap::Rdap,
) -> (Vec<AbuseContact>, Vec<String>) {
    let (mut hops, excl) = gather(t, trust, dns, cfg);
    let warnings = rdap.fill(&mut hops).await;
    (contacts(&hops, &excl), warnings)
}

/// Find the contacts of a traced message (DNS through `dns`, RDAP when
/// `rdap` is given) and attach them to it; returns the warnings. For one
/// message at a time: the enrich stage asks whole batches (`dns::abuse`).
pub fn attach(
    t: &mut Traced,
    trust: &TrustConfig,
    dns: &dyn DnsLookup,
    cfg: &facts::AbuseConfig,
    rdap: Option<&rdap::RdapConfig>,
) -> Vec<String> {
    let Some(rc) = rdap else {
        let found = find(t, trust, dns, cfg);
        t.abuse_contacts = found;
        return Vec::new();
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    let (found, warnings) = match runtime {
        Ok(rt) => rt.block_on(async {
            match rdap::Rdap::new(rc).await {
                Ok(client) => find_with_rdap(t, trust, dns, cfg, &client).await,
                Err(e) => (find(t, trust, dns, cfg), vec![e.to_string()]),
            }
        }),
        Err(e) => (
            find(t, trust, dns, cfg),
            vec![format!("RDAP: cannot start a runtime: {e}")],
        ),
    };
    t.abuse_contacts = found;
    warnings
}
