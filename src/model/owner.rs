//! Who "we" are: the owner of the trusted region (the servers whose
//! Received headers are believed), and the parties a message passed
//! through that are not the sender (mailing lists, forwarders), and the
//! accounts an abuse desk can act on.

use serde::{Deserialize, Serialize};

/// Whose servers the trusted region is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OwnerKind {
    /// The user's own servers (configured with `--trusted`, or inferred
    /// in a domain that is no mailbox provider's).
    Own,
    /// A mailbox provider hosts the recipient's mailbox (inferred from
    /// the names of the trusted receivers, see src/util/providers.rs).
    Provider,
    /// Both: the user's own servers and a mailbox provider (a forwarding
    /// rule of the user's into a hosted mailbox, or the reverse).
    Mixed,
}

impl OwnerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OwnerKind::Own => "own",
            OwnerKind::Provider => "provider",
            OwnerKind::Mixed => "mixed",
        }
    }
}

/// The owner of the trusted region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    pub kind: OwnerKind,
    /// The name a report uses: the configured `we`, a provider's name
    /// ("Microsoft 365 (Exchange Online Protection)"), or "the recipient's
    /// mail servers (example.org)".
    pub name: String,
    /// The mailbox provider's name, when one hosts part of the region.
    #[serde(default)]
    pub provider: Option<String>,
    /// Whether `name` was configured (`we = "..."`, `--we`).
    #[serde(default)]
    pub configured: bool,
    /// Why: the receiver names the owner was inferred from.
    #[serde(default)]
    pub evidence: Vec<String>,
}

/// A party that re-sent the message without being its author.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Distribution {
    /// `mailing_list` or `forwarder`.
    pub kind: String,
    /// The list's identity (List-Id, else List-Post, else the list
    /// software's name) or the forwarder's domain.
    pub name: String,
    /// The signs it rests on (`List-Id <fork.xent.com>`, `Precedence:
    /// list`, `SRS envelope sender`, `ARC seal by forwarder.example`).
    pub signs: Vec<String>,
}

/// An account at a mail provider that an abuse desk can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// `sender` (the authenticated or DKIM-vouched sender) or `reply_to`.
    pub role: String,
    pub address: String,
    /// The provider's name ("Gmail").
    pub provider: String,
    /// What the account rests on: `authenticated_sender` (the
    /// submission hop recorded it), `dkim_pass` (the provider's signature
    /// verified at a trusted hop), `reply_to` (only the header: a claim).
    pub evidence: String,
    /// Where accounts at this provider are reported, with its source.
    pub contact: Option<AccountContact>,
}

/// A provider's abuse contact for accounts (not for its network).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountContact {
    /// An address (`abuse@…`) or a web form URL.
    pub address: String,
    /// `email` or `web_form`.
    pub kind: String,
    /// Where the fact comes from (the provider's page).
    pub source: String,
}
