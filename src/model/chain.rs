//! The chain stage's verdicts as the report carries them: the first
//! untrusted relay, the custody links below it, the probable origin.

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
