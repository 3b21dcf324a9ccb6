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

pub mod address;
pub mod contacts;
pub mod facts;
pub mod rdap;

pub use contacts::contacts;
pub use facts::{gather, DnsAnswer, DnsLookup, RecordType};

use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// The Abusix zone that maps an IP to its network's abuse contact.
pub const ABUSIX_ZONE: &str = "abuse-contacts.abusix.zone";

/// Which part a hop plays in the route, for a contact's `role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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

/// Whether a domain accepts mail (RFC 5321 section 5.1, RFC 7505).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailTarget {
    /// An MX record that names a host.
    Mx,
    /// No MX, but the domain has an address of its own.
    Address,
    /// A null MX (RFC 7505): the domain says it takes no mail.
    NullMx,
    /// The name does not exist, or has neither MX nor address.
    NoMail,
    /// The lookups failed or were not made: we cannot tell.
    Unknown,
}

impl MailTarget {
    pub fn takes_mail(self) -> bool {
        matches!(self, MailTarget::Mx | MailTarget::Address)
    }
}

/// A host name a hop went by, with what DNS says about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RdapFacts {
    /// The server that answered (host[:port]).
    pub server: String,
    /// The abuse addresses of the record, most preferred first.
    pub emails: Vec<String>,
}

/// Everything the contact rules need to know about one hop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exclusions {
    /// Registrable domains, lowercase.
    pub domains: Vec<String>,
}

impl Exclusions {
    /// Add the registrable domain of `name` (a host or an address's domain).
    pub fn add(&mut self, name: &str) {
        let d = crate::domain::registrable(name).or_else(|| crate::domain::normalize(name));
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
        let reg = crate::domain::registrable(d).or_else(|| crate::domain::normalize(d));
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

/// Find the contacts for a message: DNS facts through `dns`, RDAP when
/// `rdap` is given. Returns the contacts and warnings for stderr (an RDAP
/// server that did not answer...). Works on a [`facts::MessageView`], so the
/// enrichment stage can call it on a `Traced` message.
pub fn find(
    m: &facts::MessageView,
    trust: &crate::trust::TrustConfig,
    dns: &dyn DnsLookup,
    cfg: &facts::AbuseConfig,
    rdap: Option<&rdap::RdapConfig>,
) -> (Vec<crate::report::AbuseContact>, Vec<String>) {
    let (mut hops, excl) = gather(m, trust, dns, cfg);
    let mut warnings = Vec::new();
    if let Some(rc) = rdap {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build();
        match rt {
            Ok(rt) => rt.block_on(async {
                match rdap::Rdap::new(rc).await {
                    Ok(client) => warnings.extend(client.fill(&mut hops).await),
                    Err(e) => warnings.push(e),
                }
            }),
            Err(e) => warnings.push(format!("RDAP: cannot start a runtime: {e}")),
        }
    }
    (contacts(&hops, &excl), warnings)
}

/// [`find`] for a finished report (with its message's header block): the
/// contacts go into `report.abuse_contacts`; the warnings are returned.
pub fn attach(
    report: &mut crate::report::Report,
    header: &[u8],
    trust: &crate::trust::TrustConfig,
    dns: &dyn DnsLookup,
    cfg: &facts::AbuseConfig,
    rdap: Option<&rdap::RdapConfig>,
) -> Vec<String> {
    let view = facts::MessageView::of_report(report, header);
    let (found, warnings) = find(&view, trust, dns, cfg, rdap);
    report.abuse_contacts = found;
    warnings
}
