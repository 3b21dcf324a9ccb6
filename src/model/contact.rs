//! Someone to send a complaint to.

use serde::{Deserialize, Serialize};

/// Someone to send a complaint to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AbuseContact {
    pub address: String,
    /// The relay IP this contact answers for.
    pub for_ip: Option<String>,
    /// Where the address came from (`rfc2142`, `rfc5321`, `abusix`, `rdap`...).
    pub source: String,
    /// Whose contact it is (`network`, `domain`, `relay_operator`,
    /// `relay_postmaster`...).
    pub scope: String,
    /// `confirmed` or `guess`.
    pub confidence: String,
    /// The hop's part in the route: `first_untrusted_relay`,
    /// `intermediate_relay` or `probable_origin` (the last two are claims).
    #[serde(default)]
    pub role: String,
    /// The hop this contact answers for.
    #[serde(default)]
    pub hop: Option<usize>,
    /// Why this contact (the name or zone it came from).
    #[serde(default)]
    pub note: String,
}

/// The contacts for what a message advertises (`trace --site-contacts`,
/// `complain --sites`): per link host, the network that hosts its address
/// (scope `hosting`) and the registrar of its domain (scope `registrar`).
/// Kept apart from the relay contacts (`abuse_contacts`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteContacts {
    /// False when nothing was asked (`--offline`): the sites are listed,
    /// their contacts were not looked up.
    pub looked_up: bool,
    /// Why not, or what could not be asked (a registry down...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Link hosts, first seen first, deduplicated by host.
    pub sites: Vec<Site>,
    /// The per-message cap on hosts, when the message had more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
}

/// One link host of the message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Site {
    /// The host (lowercase; punycode for an IDN).
    pub host: String,
    /// Its registrable domain (Public Suffix List); absent for an address.
    pub domain: Option<String>,
    /// `site` (its contacts are looked up), `shortener`, `wrapper` (a
    /// link-protection wrapper that could not be unwrapped), `platform` (a
    /// big provider's own site), `brand` (the real domain of a brand),
    /// `own` (ours or the recipient's).
    pub kind: String,
    /// The URLs at this host, exact, at most a few.
    pub urls: Vec<String>,
    /// The addresses the host resolved to (A/AAAA), at most a few.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<String>,
    /// Scope `hosting` or `registrar`, role `advertised_site`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<AbuseContact>,
    /// For a site without contacts: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}
