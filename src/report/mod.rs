//! The report: one model per message, filled by the pipeline, read by the
//! renderers (table, JSON, NDJSON). Field names are a public contract
//! (docs/report-format.md).

pub mod arf;
pub mod complaint;
pub mod json;
pub mod table;

use crate::chain::{CustodyLink, Origin, Relay, TrustStep};
use crate::input::Source;
use crate::message::MessageSummary;
use crate::model::{Finding, Hop, Severity};
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
    pub findings: Vec<Finding>,
    pub abuse_contacts: Vec<AbuseContact>,
    /// Authentication-Results / Received-SPF verdicts written inside the
    /// trusted region (docs/checks.md, AUTH_RESULTS_UNTRUSTED).
    #[serde(default)]
    pub auth_results: Vec<crate::checks::auth_results::AuthVerdict>,
    /// Client addresses named by X-Originating-IP and its kin, with how
    /// far the header can be believed.
    #[serde(default)]
    pub origin_candidates: Vec<crate::checks::webmail::OriginCandidate>,
    /// DNS facts, DNSBL results and every answer used (absent offline).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns: Option<crate::dns::MessageDns>,
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

    pub fn has(&self, code: &str) -> bool {
        self.findings.iter().any(|f| f.code == code)
    }
}

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
