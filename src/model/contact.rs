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
