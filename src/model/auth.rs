//! Authentication verdicts: the Authentication-Results / Received-SPF
//! lines the report carries, and the SPF and DKIM outcomes of our own checks.

use serde::{Deserialize, Serialize};

/// One method's verdict from one header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthVerdict {
    /// `authentication-results` or `received-spf`.
    pub header: String,
    /// The authserv-id (for Received-SPF, the `receiver=` key if given).
    pub authserv_id: Option<String>,
    /// `spf`, `dkim`, `dmarc`, `arc`.
    pub method: String,
    /// `pass`, `fail`, `softfail`, `none`, `neutral`, `temperror`...
    pub result: String,
    /// Properties as written: `smtp.mailfrom`, `header.d`, `header.s`...
    pub properties: Vec<(String, String)>,
    /// Which Received header wrote it (`None`: the origin).
    pub written_by_hop: Option<usize>,
    pub trusted: bool,
    /// Why it is not believed (`None` when trusted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why_untrusted: Option<String>,
}

/// What verifying one signature found (the DNS phase fills this in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DkimOutcome {
    Pass,
    /// The signature does not match the message: altered, or forged.
    Fail,
    /// No key at the selector today: keys are rotated, so this is
    /// "unknown today", never evidence of forgery.
    KeyMissing,
    /// The body hash does not match: the body changed after signing (a
    /// list footer, a gateway, or a forgery).
    BodyAltered,
    /// The signature's x= expiry has passed: no verdict.
    Expired,
    /// DNS or syntax trouble: no verdict.
    Error,
}

/// An SPF result (RFC 7208), as mail-auth reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpfResult {
    Pass,
    Fail,
    SoftFail,
    Neutral,
    None,
    /// The record is broken (syntax, too many lookups): the domain's fault.
    PermError,
    /// TempError: DNS gave no usable answer; could not be decided today.
    Unknown,
}

impl SpfResult {
    pub fn as_str(self) -> &'static str {
        match self {
            SpfResult::Pass => "pass",
            SpfResult::Fail => "fail",
            SpfResult::SoftFail => "softfail",
            SpfResult::Neutral => "neutral",
            SpfResult::None => "none",
            SpfResult::PermError => "permerror",
            SpfResult::Unknown => "unknown",
        }
    }
}
