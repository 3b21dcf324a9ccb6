//! What the filters a message passed wrote about it (vendor verdicts), and
//! how long it travelled (transit). Plain data; the decoders live in
//! `parse::vendor`, the placement on the chain in `checks::vendor`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A filter's overall judgement, as far as its header says one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VendorClass {
    /// Scanned and judged not spam.
    NotSpam,
    /// Filtering was skipped (an allow list, a transport rule: `SCL:-1`).
    Skipped,
    /// Bulk mail (newsletters, marketing), not necessarily spam.
    Bulk,
    /// Judged spam.
    Spam,
    /// Judged phishing, spoofing, impersonation or malware.
    Phishing,
}

impl VendorClass {
    pub fn as_str(self) -> &'static str {
        match self {
            VendorClass::NotSpam => "not_spam",
            VendorClass::Skipped => "skipped",
            VendorClass::Bulk => "bulk",
            VendorClass::Spam => "spam",
            VendorClass::Phishing => "phishing",
        }
    }

    /// Does the class say "let it through" (a claim a sender likes to plant)?
    pub fn is_clean(self) -> bool {
        matches!(self, VendorClass::NotSpam | VendorClass::Skipped)
    }

    /// Does the class say "this is bad mail"?
    pub fn is_bad(self) -> bool {
        matches!(self, VendorClass::Spam | VendorClass::Phishing)
    }
}

/// One vendor header, decoded and placed on the chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VendorVerdict {
    /// The product family (`microsoft`, `spamassassin`, `rspamd`, ...).
    pub vendor: String,
    /// The header name, lower case.
    pub header: String,
    /// The hop whose server wrote the header (`None`: the origin, below
    /// every Received header).
    pub hop: Option<usize>,
    /// Written inside the trusted region.
    pub trusted: bool,
    /// Why it is not believed (absent when trusted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why_untrusted: Option<String>,
    /// How the writer was found: `position`, `names_ip`, `names_host`,
    /// `header_firewall`, `content_filter` (docs/vendor-headers.md).
    pub placed_by: String,
    /// Every field the header carries, decoded values as written.
    pub fields: BTreeMap<String, String>,
    /// The overall judgement, when the header states one (`null` otherwise).
    #[serde(default)]
    pub verdict: Option<VendorClass>,
    /// The fields in words (`SFV:SPM` -> "spam filtering marked it spam").
    pub meaning: Vec<String>,
    /// Every field decoded (no unknown key, no unparsable value).
    pub complete: bool,
}

/// One hop's part of the journey.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransitHop {
    pub hop: usize,
    /// Seconds since the hop below it (or the Date header, for the bottom hop).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_secs: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_cipher: Option<String>,
    /// The longest delay of the journey.
    #[serde(default)]
    pub slowest: bool,
}

/// How long the message travelled: Date -> first trusted receipt -> final hop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transit {
    /// From the Date header to the first trusted receipt (the boundary hop).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_first_trusted_secs: Option<i64>,
    /// From the first trusted receipt to the final (top) hop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_secs: Option<i64>,
    /// From the Date header to the final hop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_secs: Option<i64>,
    /// The hop with the longest delay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slowest_hop: Option<usize>,
    /// Oldest hop first, as the message travelled.
    pub hops: Vec<TransitHop>,
}
