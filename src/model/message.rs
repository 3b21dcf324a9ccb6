//! The message itself: where it came from and what its own header fields say.

use serde::{Deserialize, Serialize};

/// Where a message came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// The path as given (`-` for stdin); for a Maildir, the message file.
    pub path: String,
    /// The message's position in its file (0 for a single message).
    pub index: usize,
    /// The byte offset of the message (its `From ` line for mbox) in the file.
    pub offset: u64,
    /// For a message found inside another (a reported message): its MIME
    /// part path in the wrapper (`2`, `2.1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
    /// For a message found inside another: what the wrapper says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_by: Option<Box<super::ReportedBy>>,
    /// The container the message was read from when it was not RFC 5322
    /// text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<SourceFormat>,
}

/// What a message was read from, when not RFC 5322 text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceFormat {
    /// An Outlook .msg file: the header block is its transport headers,
    /// the body synthesised from its properties.
    OutlookMsg,
}

impl Source {
    /// A whole file (or stdin, `-`) that is one message.
    pub fn file(path: impl Into<String>) -> Source {
        Source {
            path: path.into(),
            index: 0,
            offset: 0,
            part: None,
            reported_by: None,
            format: None,
        }
    }
}

/// What the report says about the message itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageSummary {
    pub message_id: Option<String>,
    /// The Date header as written.
    pub date: Option<String>,
    /// The Date header in UTC (RFC 3339), when it parses.
    pub date_utc: Option<String>,
    /// The From header, decoded (display name and address).
    pub from: Option<String>,
    /// The From header as written (unfolded, RFC 2047 words and control
    /// characters kept), only when it differs from `from`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_raw: Option<String>,
    /// The From address alone.
    pub from_address: Option<String>,
    /// The display name of the first From entry, trimmed, when that entry
    /// has an address too (what the display-name check reads, so the From
    /// is parsed once). Not in the JSON: `from` shows it.
    #[serde(skip)]
    pub from_name: Option<String>,
    pub to: Option<String>,
    /// The Subject, decoded (RFC 2047).
    pub subject: Option<String>,
    /// The Subject as written (unfolded), only when it differs from `subject`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_raw: Option<String>,
    pub return_path: Option<String>,
    /// The mbox envelope sender, when the message had a `From ` line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub envelope_from: Option<String>,
}
