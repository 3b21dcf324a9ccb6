//! What a message's body holds (issue 17): the wrapper a reported message
//! came in, the MIME parts, the URLs and the attachments. Plain data; the
//! MIME walk is `parse::mime`, the unwrapping `input::unwrap`.

use serde::{Deserialize, Serialize};

/// How a reported message reached us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WrapperKind {
    /// A user's "forward as attachment" (a `message/rfc822` part).
    Forward,
    /// An RFC 5965 feedback report (`multipart/report;
    /// report-type=feedback-report`).
    FeedbackReport,
}

/// The message an inner (reported) message was found in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportedBy {
    pub kind: WrapperKind,
    /// The wrapper's From (the reporter or the feedback loop), raw.
    pub from: Option<String>,
    pub date: Option<String>,
    pub subject: Option<String>,
    pub message_id: Option<String>,
    /// The wrapper's top Received header (the reporter's own hop 0), unfolded.
    pub received: Option<String>,
    /// ARF `Feedback-Type` (abuse, fraud, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback_type: Option<String>,
    /// ARF `Source-IP`: the address the feedback loop says sent the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_mail_from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrival_date: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reported_domain: Vec<String>,
    /// The report carried only the header block (`text/rfc822-headers`).
    #[serde(default)]
    pub headers_only: bool,
}

/// What the body of a message holds (absent with `--headers-only`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Body {
    /// MIME parts walked.
    pub parts: usize,
    /// Bytes of decoded part contents looked at.
    pub decoded_bytes: usize,
    pub urls: Vec<BodyUrl>,
    pub attachments: Vec<Attachment>,
    /// The caps that were reached (`depth`, `parts`, `decoded_bytes`,
    /// `urls`): the rest of the body was not looked at.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub limits: Vec<BodyLimit>,
    /// URI blocklist answers for the URLs' domains (`--uribl`; filled by
    /// the DNS stage).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uribl: Vec<UriblResult>,
    /// The MIME parser failed (it panicked, or found no message): why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parse_failure: Option<String>,
}

/// A cap of the body walk that was reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BodyLimit {
    pub limit: String,
    pub max: usize,
}

/// A URL found in the body, exact (renderers for people defang it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BodyUrl {
    /// The URL, after unwrapping a link-protection wrapper.
    pub url: String,
    /// The host as written (lowercased; punycode for an IDN).
    pub host: Option<String>,
    /// The host in Unicode, when it is an IDN (`xn--` labels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_unicode: Option<String>,
    /// The registrable domain of the host (Public Suffix List).
    pub domain: Option<String>,
    /// Where it was found: `href`, `src`, `action`, `meta_refresh`,
    /// `data_attr`, `text`.
    pub context: String,
    /// The MIME part path (`1.2`).
    pub part: String,
    /// The link text, when it names a URL or a domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The link-protection wrapper, when the URL came wrapped: its
    /// service and the URL as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrapper: Option<UrlWrapper>,
}

/// A link-protection wrapper a URL was taken out of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UrlWrapper {
    /// `safelinks`, `google`, `urldefense`, `mimecast`, `barracuda`.
    pub service: String,
    pub url: String,
}

/// An attachment, as an indicator: nothing of it is executed or written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// The file name, decoded (RFC 2047/2231).
    pub name: Option<String>,
    /// The file name parameter as written in the part's header (unfolded;
    /// RFC 2231 continuations joined), only when it differs from `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_raw: Option<String>,
    /// The declared Content-Type.
    pub declared: String,
    /// The type its first bytes show, when known.
    pub sniffed: Option<String>,
    pub size: usize,
    pub sha256: String,
    pub part: String,
    /// An HTML attachment holding a `<form>`.
    #[serde(default)]
    pub html_form: bool,
    /// A ZIP archive whose entries are encrypted.
    #[serde(default)]
    pub encrypted_archive: bool,
}

/// One URI blocklist's answer about one domain of the body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UriblResult {
    pub domain: String,
    pub zone: String,
    /// `listed`, `not_listed`, `error` (the list refused or answered
    /// outside its codes: never a listing), `unknown` (no answer).
    pub status: String,
    /// The A records returned.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub codes: Vec<String>,
    /// What the codes mean, from the zone's documented table.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub meanings: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}
