//! Findings: one judgement each, with a stable code (a public contract,
//! see docs/checks.md), a severity, the hop it concerns and its evidence.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How much a finding weighs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth knowing; common in legitimate mail.
    Info,
    /// Suspicious; legitimate mail does this sometimes.
    Warn,
    /// Evidence that a header or identity was forged.
    Forged,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warn => "warn",
            Severity::Forged => "forged",
        }
    }
}

/// One judgement, with a stable code (a public contract, see docs/checks.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    /// The hop it concerns, when it concerns one.
    pub hop: Option<usize>,
    pub message: String,
    /// Machine-readable evidence: the values the judgement rests on.
    pub evidence: serde_json::Value,
}

impl Finding {
    pub fn new(
        code: Code,
        severity: Severity,
        hop: Option<usize>,
        message: impl Into<String>,
        evidence: serde_json::Value,
    ) -> Finding {
        Finding {
            code,
            severity,
            hop,
            message: message.into(),
            evidence,
        }
    }
}

/// Every finding code: a public contract, like SpamAssassin's rule names
/// (docs/checks.md documents each). Serialised as its name
/// (`CHAIN_BREAK`), so a typo cannot compile and the JSON does not change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Code {
    ArcBroken,
    ArcForwarded,
    ArfSourceIpMismatch,
    AttachmentDoubleExtension,
    AttachmentEncryptedArchive,
    AttachmentExecutable,
    AttachmentHtmlForm,
    AttachmentTypeMismatch,
    AuthResultsUntrusted,
    BogusIp,
    ChainBreak,
    DateInvalid,
    DateInFuture,
    DateInPast,
    DateMissing,
    DisplayNameSpoof,
    DkimResult,
    DmarcFail,
    DmarcNone,
    DnsblError,
    DnsblListed,
    DnsLimit,
    DnsTempfail,
    EnvelopeDomainNxdomain,
    EnvelopeSpf,
    FcrdnsFail,
    FromEnvelopeMismatch,
    FromProviderNotInPath,
    HeloClaimsReceiver,
    HeloDynamic,
    HeloIpLiteralMismatch,
    HeloIpMismatch,
    HeloNotFqdn,
    HeloNxdomain,
    HeloRdnsMismatch,
    MimeLimit,
    MimeParseFailed,
    MsgidDomainNxdomain,
    MsgidForgedHop,
    MsgidForgedProvider,
    MsgidFromRelay,
    MsgidInvalid,
    MsgidMissing,
    MsgidMultiple,
    MsgidNotFqdn,
    MsgidSpamware,
    MsgidTimestampMismatch,
    NoReceived,
    NulInHeader,
    OpenRelay,
    PrivateIpUntrusted,
    RdnsChanged,
    RdnsDynamic,
    RdnsNone,
    ReplyToDiverges,
    TimeReversed,
    TooManyReceived,
    TrustInferred,
    UnparseableReceived,
    UriblError,
    UriblListed,
    UrlHomograph,
    UrlTextMismatch,
    VendorCipMismatch,
    VendorVerdictSpam,
    VendorVerdictUntrusted,
    WebmailOrigin,
    WebmailOriginClaimed,
}

impl Code {
    /// Every code, in name order.
    pub const ALL: &'static [Code] = &[
        Code::ArcBroken,
        Code::ArcForwarded,
        Code::ArfSourceIpMismatch,
        Code::AttachmentDoubleExtension,
        Code::AttachmentEncryptedArchive,
        Code::AttachmentExecutable,
        Code::AttachmentHtmlForm,
        Code::AttachmentTypeMismatch,
        Code::AuthResultsUntrusted,
        Code::BogusIp,
        Code::ChainBreak,
        Code::DateInvalid,
        Code::DateInFuture,
        Code::DateInPast,
        Code::DateMissing,
        Code::DisplayNameSpoof,
        Code::DkimResult,
        Code::DmarcFail,
        Code::DmarcNone,
        Code::DnsblError,
        Code::DnsblListed,
        Code::DnsLimit,
        Code::DnsTempfail,
        Code::EnvelopeDomainNxdomain,
        Code::EnvelopeSpf,
        Code::FcrdnsFail,
        Code::FromEnvelopeMismatch,
        Code::FromProviderNotInPath,
        Code::HeloClaimsReceiver,
        Code::HeloDynamic,
        Code::HeloIpLiteralMismatch,
        Code::HeloIpMismatch,
        Code::HeloNotFqdn,
        Code::HeloNxdomain,
        Code::HeloRdnsMismatch,
        Code::MimeLimit,
        Code::MimeParseFailed,
        Code::MsgidDomainNxdomain,
        Code::MsgidForgedHop,
        Code::MsgidForgedProvider,
        Code::MsgidFromRelay,
        Code::MsgidInvalid,
        Code::MsgidMissing,
        Code::MsgidMultiple,
        Code::MsgidNotFqdn,
        Code::MsgidSpamware,
        Code::MsgidTimestampMismatch,
        Code::NoReceived,
        Code::NulInHeader,
        Code::OpenRelay,
        Code::PrivateIpUntrusted,
        Code::RdnsChanged,
        Code::RdnsDynamic,
        Code::RdnsNone,
        Code::ReplyToDiverges,
        Code::TimeReversed,
        Code::TooManyReceived,
        Code::TrustInferred,
        Code::UnparseableReceived,
        Code::UriblError,
        Code::UriblListed,
        Code::UrlHomograph,
        Code::UrlTextMismatch,
        Code::VendorCipMismatch,
        Code::VendorVerdictSpam,
        Code::VendorVerdictUntrusted,
        Code::WebmailOrigin,
        Code::WebmailOriginClaimed,
    ];

    /// The code's name, as serialised (`CHAIN_BREAK`).
    pub fn as_str(self) -> &'static str {
        match self {
            Code::ArcBroken => "ARC_BROKEN",
            Code::ArcForwarded => "ARC_FORWARDED",
            Code::AuthResultsUntrusted => "AUTH_RESULTS_UNTRUSTED",
            Code::UriblError => "URIBL_ERROR",
            Code::UriblListed => "URIBL_LISTED",
            Code::UrlTextMismatch => "URL_TEXT_MISMATCH",
            Code::UrlHomograph => "URL_HOMOGRAPH",
            Code::MimeParseFailed => "MIME_PARSE_FAILED",
            Code::MimeLimit => "MIME_LIMIT",
            Code::AttachmentTypeMismatch => "ATTACHMENT_TYPE_MISMATCH",
            Code::AttachmentHtmlForm => "ATTACHMENT_HTML_FORM",
            Code::AttachmentExecutable => "ATTACHMENT_EXECUTABLE",
            Code::AttachmentEncryptedArchive => "ATTACHMENT_ENCRYPTED_ARCHIVE",
            Code::AttachmentDoubleExtension => "ATTACHMENT_DOUBLE_EXTENSION",
            Code::ArfSourceIpMismatch => "ARF_SOURCE_IP_MISMATCH",
            Code::BogusIp => "BOGUS_IP",
            Code::ChainBreak => "CHAIN_BREAK",
            Code::DateInvalid => "DATE_INVALID",
            Code::DateInFuture => "DATE_IN_FUTURE",
            Code::DateInPast => "DATE_IN_PAST",
            Code::DateMissing => "DATE_MISSING",
            Code::DisplayNameSpoof => "DISPLAY_NAME_SPOOF",
            Code::DkimResult => "DKIM_RESULT",
            Code::DmarcFail => "DMARC_FAIL",
            Code::DmarcNone => "DMARC_NONE",
            Code::DnsblError => "DNSBL_ERROR",
            Code::DnsblListed => "DNSBL_LISTED",
            Code::DnsLimit => "DNS_LIMIT",
            Code::DnsTempfail => "DNS_TEMPFAIL",
            Code::EnvelopeDomainNxdomain => "ENVELOPE_DOMAIN_NXDOMAIN",
            Code::EnvelopeSpf => "ENVELOPE_SPF",
            Code::FcrdnsFail => "FCRDNS_FAIL",
            Code::FromEnvelopeMismatch => "FROM_ENVELOPE_MISMATCH",
            Code::FromProviderNotInPath => "FROM_PROVIDER_NOT_IN_PATH",
            Code::HeloClaimsReceiver => "HELO_CLAIMS_RECEIVER",
            Code::HeloDynamic => "HELO_DYNAMIC",
            Code::HeloIpLiteralMismatch => "HELO_IP_LITERAL_MISMATCH",
            Code::HeloIpMismatch => "HELO_IP_MISMATCH",
            Code::HeloNotFqdn => "HELO_NOT_FQDN",
            Code::HeloNxdomain => "HELO_NXDOMAIN",
            Code::HeloRdnsMismatch => "HELO_RDNS_MISMATCH",
            Code::MsgidDomainNxdomain => "MSGID_DOMAIN_NXDOMAIN",
            Code::MsgidForgedHop => "MSGID_FORGED_HOP",
            Code::MsgidForgedProvider => "MSGID_FORGED_PROVIDER",
            Code::MsgidFromRelay => "MSGID_FROM_RELAY",
            Code::MsgidInvalid => "MSGID_INVALID",
            Code::MsgidMissing => "MSGID_MISSING",
            Code::MsgidMultiple => "MSGID_MULTIPLE",
            Code::MsgidNotFqdn => "MSGID_NOT_FQDN",
            Code::MsgidSpamware => "MSGID_SPAMWARE",
            Code::MsgidTimestampMismatch => "MSGID_TIMESTAMP_MISMATCH",
            Code::NoReceived => "NO_RECEIVED",
            Code::NulInHeader => "NUL_IN_HEADER",
            Code::OpenRelay => "OPEN_RELAY",
            Code::PrivateIpUntrusted => "PRIVATE_IP_UNTRUSTED",
            Code::RdnsChanged => "RDNS_CHANGED",
            Code::RdnsDynamic => "RDNS_DYNAMIC",
            Code::RdnsNone => "RDNS_NONE",
            Code::ReplyToDiverges => "REPLY_TO_DIVERGES",
            Code::TimeReversed => "TIME_REVERSED",
            Code::TooManyReceived => "TOO_MANY_RECEIVED",
            Code::TrustInferred => "TRUST_INFERRED",
            Code::UnparseableReceived => "UNPARSEABLE_RECEIVED",
            Code::VendorCipMismatch => "VENDOR_CIP_MISMATCH",
            Code::VendorVerdictSpam => "VENDOR_VERDICT_SPAM",
            Code::VendorVerdictUntrusted => "VENDOR_VERDICT_UNTRUSTED",
            Code::WebmailOrigin => "WEBMAIL_ORIGIN",
            Code::WebmailOriginClaimed => "WEBMAIL_ORIGIN_CLAIMED",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Scripts and tests may compare with the name: `finding.code == "CHAIN_BREAK"`.
impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<Code> for &str {
    fn eq(&self, other: &Code) -> bool {
        *self == other.as_str()
    }
}
