//! Everything spamtrace says about one message: the `spamtrace/1` contract
//! (docs/report-format.md). Field names are public: scripts key on them.

use super::{
    AbuseContact, AuthVerdict, Code, CustodyLink, Finding, Hop, MessageDns, MessageSummary,
};
use super::{Account, Distribution, Owner};
use super::{Origin, OriginCandidate, Relay, Severity, Source, TrustStep};
use super::{Transit, VendorVerdict};
use serde::{Deserialize, Serialize};

pub const SCHEMA: &str = "spamtrace/1";

/// Everything spamtrace says about one message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema: String,
    pub source: Source,
    pub message: MessageSummary,
    /// In header order: index 0 is the top (newest) header.
    pub hops: Vec<Hop>,
    /// Index of the lowest trusted hop.
    pub trust_boundary: Option<usize>,
    /// Why each trusted hop's sender was believed.
    pub trust_steps: Vec<TrustStep>,
    pub first_untrusted_relay: Option<Relay>,
    pub probable_origin: Option<Origin>,
    /// Custody links below the boundary, top down.
    pub custody: Vec<CustodyLink>,
    /// Whose servers the trusted region is (who "we" are).
    #[serde(default)]
    pub owner: Option<Owner>,
    /// Mailing lists and forwarders that re-sent the message.
    #[serde(default)]
    pub distribution: Vec<Distribution>,
    /// Accounts at mail providers an abuse desk can act on.
    #[serde(default)]
    pub accounts: Vec<Account>,
    pub findings: Vec<Finding>,
    pub abuse_contacts: Vec<AbuseContact>,
    /// Contacts for the sites the message advertises (`--site-contacts`,
    /// `complain --sites`): hosting and registrar desks, apart from the
    /// relay contacts above. Absent unless asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_contacts: Option<super::SiteContacts>,
    /// Authentication-Results / Received-SPF verdicts written inside the
    /// trusted region (docs/checks.md, AUTH_RESULTS_UNTRUSTED).
    #[serde(default)]
    pub auth_results: Vec<AuthVerdict>,
    /// Client addresses named by X-Originating-IP and its kin, with how
    /// far the header can be believed.
    #[serde(default)]
    pub origin_candidates: Vec<OriginCandidate>,
    /// What the filters the message passed wrote (X-Forefront-Antispam-Report,
    /// X-Spam-Status, ...), each placed on the chain (docs/vendor-headers.md).
    #[serde(default)]
    pub vendor_verdicts: Vec<VendorVerdict>,
    /// How long the message travelled, and over which TLS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transit: Option<Transit>,
    /// DNS facts, DNSBL results and every answer used (absent offline).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns: Option<MessageDns>,
    /// Who owns each public hop address (AS, name, country), from DNS or
    /// MaxMind-format databases; empty when not looked up.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub asn: Vec<super::HopAsn>,
    /// The message's header block as it arrived (moved from the reader,
    /// not copied; at most its header limit), for a renderer that shows it
    /// (the HTML report's raw headers). Not in JSON: the report carries
    /// what was found, and these are the message's own bytes.
    #[serde(skip)]
    pub header_block: Vec<u8>,
    /// What the body holds: MIME parts, URLs, attachments (absent when the
    /// body was not read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<super::Body>,
    /// One sentence: what happened to this message.
    pub verdict: String,
    /// When the analysis ran (RFC 3339 UTC).
    pub analyzed_at: String,
}

impl Report {
    /// The worst severity among the findings.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    /// Does a finding carry `code` (a [`Code`], or its name)?
    pub fn has<C: Copy>(&self, code: C) -> bool
    where
        Code: PartialEq<C>,
    {
        self.findings.iter().any(|f| f.code == code)
    }
}
