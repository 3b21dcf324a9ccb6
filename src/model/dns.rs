//! The report's `dns` section: what the answers say per hop, link and
//! DNSBL, the Message-ID / envelope / SPF / DKIM facts, and (in
//! [`super::dns_answer`]) every answer they rest on.

use super::auth::{DkimOutcome, SpfResult};
use super::dns_answer::{Answer, Outcome};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// The report's `dns` section: the facts and the answers they rest on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MessageDns {
    pub hops: Vec<HopDns>,
    pub links: Vec<LinkDns>,
    #[serde(default)]
    pub dnsbl: Vec<DnsblResult>,
    /// Questions not asked because the per-message cap was reached.
    #[serde(default)]
    pub skipped_questions: usize,
    /// Message-ID, envelope, SPF and DKIM facts (dns::auth), flattened
    /// into this section: `message_id_domain`, `envelope`, `spf`, `dkim`.
    #[serde(default, flatten)]
    pub auth: AuthDns,
    /// Every answer used, in the order asked: the evidence `--dns-replay` reads.
    pub answers: Vec<Answer>,
    /// Some questions got no answer (a server timed out, failed, or was no
    /// longer asked after failing in a row): the facts they feed are
    /// unknown, not clean. Absent when false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub degraded: bool,
}

/// How a lookup ended, as the facts name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    Found,
    NoData,
    Nxdomain,
    /// Timeout, SERVFAIL, refused, not recorded, or not asked (cap).
    Unknown,
}

/// The compact per-hop verdict the table shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HopVerdict {
    /// A PTR name resolves back to the IP (forward-confirmed rDNS).
    Confirmed,
    /// PTR names exist but none resolves back to the IP.
    Mismatch,
    /// The IP has no PTR record.
    NoRdns,
    Unknown,
}

impl HopVerdict {
    pub fn label(self) -> &'static str {
        match self {
            HopVerdict::Confirmed => "confirmed",
            HopVerdict::Mismatch => "mismatch",
            HopVerdict::NoRdns => "no rDNS",
            HopVerdict::Unknown => "unknown",
        }
    }
}

/// The HELO name's addresses against the connecting IP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeloDns {
    pub name: String,
    pub resolution: Resolution,
    pub addresses: Vec<String>,
    /// Only when `resolution` is `found`.
    pub matches_ip: Option<bool>,
}

/// DNS facts for one hop with a public connecting IP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HopDns {
    pub hop: usize,
    pub ip: IpAddr,
    pub verdict: HopVerdict,
    pub ptr: Resolution,
    pub ptr_names: Vec<String>,
    /// The PTR name whose addresses include the IP.
    pub fcrdns_name: Option<String>,
    /// PTR names that were forward-checked and do not include the IP.
    pub fcrdns_failed: Vec<String>,
    pub helo: Option<HeloDns>,
    /// The rDNS name the receiver recorded, and whether today's PTR still
    /// gives it (`None` when the PTR is unknown).
    pub recorded_rdns: Option<String>,
    pub rdns_matches_ptr: Option<bool>,
    /// Questions for this hop (and the `by` name of the custody link below
    /// it) with no usable answer (`PTR x: timeout`).
    pub unknown: Vec<String>,
}

/// What DNS says about a custody link: does the lower hop's `by` name
/// resolve to the upper hop's connecting IP?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkDnsStatus {
    Confirmed,
    Refuted,
    /// The name has no address (NXDOMAIN, no data): neither way.
    Unresolved,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkDns {
    pub upper: usize,
    pub lower: usize,
    pub by: String,
    pub ip: IpAddr,
    pub status: LinkDnsStatus,
    pub addresses: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DnsblStatus {
    Listed,
    NotListed,
    Error,
    Unknown,
}

/// One DNSBL zone's verdict on one address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsblResult {
    pub hop: usize,
    pub ip: IpAddr,
    pub zone: String,
    pub status: DnsblStatus,
    /// The 127.0.0.x return codes.
    pub codes: Vec<String>,
    /// The TXT record's reason, when listed.
    pub reason: Option<String>,
    pub error: Option<String>,
}

/// How a question was answered, from its recorded answer (if any).
pub fn resolution(a: Option<&Answer>) -> Resolution {
    match a.map(|a| a.outcome()) {
        Some(Outcome::Found(_)) => Resolution::Found,
        Some(Outcome::NoData) => Resolution::NoData,
        Some(Outcome::NxDomain) => Resolution::Nxdomain,
        _ => Resolution::Unknown,
    }
}

/// What the checks need from DNS, in the report's `dns` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuthDns {
    /// Does the Message-ID's (registrable) domain exist?
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id_domain: Option<DomainExists>,
    /// The envelope sender's domain: exists, takes mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub envelope: Option<EnvelopeDns>,
    /// SPF of the envelope domain for the first untrusted relay's IP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spf: Option<SpfCheck>,
    /// One per DKIM-Signature verified (`--dkim`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dkim: Vec<DkimCheck>,
    /// DMARC of the From domain, evaluated today (mail-auth).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dmarc: Option<DmarcCheck>,
    /// The ARC chain, verified today (mail-auth), when the message has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arc: Option<ArcCheck>,
}

/// A DMARC verdict as we can give it today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DmarcOutcome {
    /// SPF or DKIM passed and aligns with the From domain.
    Pass,
    /// Neither aligns with a pass, and every aligned signature could be
    /// checked (its key is published today).
    Fail,
    /// The From domain publishes no DMARC policy today.
    None,
    /// Could not be decided today: a DNS error, an aligned signature whose
    /// key is gone or that was not verified (no `--dkim`), an expired one.
    /// An old message's rotated keys are this, never `fail`.
    UnknownToday,
}

impl DmarcOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            DmarcOutcome::Pass => "pass",
            DmarcOutcome::Fail => "fail",
            DmarcOutcome::None => "none",
            DmarcOutcome::UnknownToday => "unknown_today",
        }
    }
}

/// How one method stands against the From domain for DMARC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Alignment {
    /// Passed and aligned.
    Pass,
    /// Passed, but for another domain.
    NotAligned,
    /// No pass to align (failed, none, not checked).
    None,
    /// A DNS error: neither way.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmarcCheck {
    /// The From (author) domain.
    pub domain: String,
    /// The policy that applies (`none`, `quarantine`, `reject`), after
    /// `sp=`/`np=` and `t=y`; `None` without a record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    pub spf: Alignment,
    pub dkim: Alignment,
    pub result: DmarcOutcome,
    /// Why the result is `unknown_today` (or what mail-auth said).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

/// An ARC chain's verdict today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArcOutcome {
    /// Every seal verifies: the chain holds.
    Pass,
    /// A seal or the newest message signature does not verify, or the
    /// instances are out of order: the chain is broken.
    Fail,
    /// A sealer's key is gone today, or DNS failed: no verdict.
    UnknownToday,
}

/// One ARC instance (ARC-Seal, ARC-Message-Signature and
/// ARC-Authentication-Results with the same `i=`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArcInstance {
    pub i: u32,
    /// Who sealed it: the ARC-Seal's `d=` and `s=`.
    pub sealer: String,
    pub selector: String,
    /// The seal's `cv=` (`none`, `pass`, `fail`).
    pub cv: String,
    /// The ARC-Authentication-Results' authserv-id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authserv_id: Option<String>,
    /// What the sealer saw: `spf`, `dkim`, `dmarc` results as it wrote them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub results: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArcCheck {
    pub result: ArcOutcome,
    /// Oldest first (`i=1` first).
    pub instances: Vec<ArcInstance>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainExists {
    /// The Message-ID's right side.
    pub domain: String,
    /// The name asked (its registrable domain: hosts under a real domain
    /// need not be in DNS).
    pub asked: String,
    pub resolution: Resolution,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvelopeDns {
    pub domain: String,
    /// `Some(false)`: NXDOMAIN; `None`: unknown.
    pub exists: Option<bool>,
    /// `Some(false)`: a null MX, or no MX and no address.
    pub accepts_mail: Option<bool>,
    /// MX exchanges as answered (`10 mx.example.org`).
    pub mx: Vec<String>,
    pub null_mx: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpfCheck {
    pub domain: String,
    pub ip: IpAddr,
    pub helo: Option<String>,
    pub result: SpfResult,
    /// mail-auth's result word (`temperror` and `permerror` kept apart).
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DkimCheck {
    pub d: String,
    pub s: String,
    /// The signing domain aligns (relaxed) with the From domain.
    pub aligned: bool,
    pub result: DkimOutcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}
