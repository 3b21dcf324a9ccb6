//! Plain data types shared by every stage: a hop, a timestamp, a finding.
//! No I/O and no parsing here (the hickory-dns way: protocol types apart).

use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// What kind of handover a Received header records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HopKind {
    /// A network handover: the receiver saw a connecting IP.
    Relay,
    /// A handover without a network peer: pickup, `with local`, LMTP from a
    /// socket, qmail `invoked by uid`, Postfix `from userid 0`.
    Local,
    /// A network handover whose connecting IP the header does not give.
    NoIp,
    /// The header could not be parsed at all; `unparsed_reason` says why.
    Unparsed,
}

/// The sending side of a hop, as the receiver recorded it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FromPart {
    /// The name the sender gave in HELO/EHLO: a claim.
    pub helo: Option<String>,
    /// The reverse-DNS name the receiver looked up for the peer.
    pub rdns: Option<String>,
    /// The connecting IP the receiver saw: the only hard fact in a header.
    pub ip: Option<IpAddr>,
    /// RFC 1413 ident or a user name the receiver recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ident: Option<String>,
    /// The client a proxying receiver says it acted for (SquirrelMail
    /// `(proxying for 1.2.3.4)`, mshttpd `(Forwarded-For: 1.2.3.4, ...)`):
    /// the browser behind a webmail front end, as that front end recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forwarded_for: Option<IpAddr>,
}

/// A point in time as a header gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timestamp {
    /// RFC 3339 in UTC, e.g. `1999-09-04T23:55:04Z`.
    pub utc: String,
    /// Seconds since the Unix epoch (UTC).
    pub epoch: i64,
    /// The date text as it stood in the header.
    pub original: String,
}

/// One Received header, normalised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hop {
    /// Position in header order: 0 is the top (newest) header.
    pub index: usize,
    pub kind: HopKind,
    pub from: FromPart,
    /// The receiving host, as it named itself.
    pub by: Option<String>,
    /// The protocol text after `with`, kept as written (`ESMTPS`, `Internet Mail Service`...).
    pub with: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    pub id: Option<String>,
    #[serde(rename = "for")]
    pub for_: Option<String>,
    /// The hop used TLS (ESMTPS, a `(version=TLS...)` comment, ...).
    pub tls: bool,
    /// The sender authenticated (ESMTPA/ESMTPSA, "Authenticated sender", `auth=`).
    pub authenticated: bool,
    pub timestamp: Option<Timestamp>,
    /// Filled in by the chain stage: the header was written by a server we trust.
    pub trusted: bool,
    /// Why the header could not be parsed (kind `unparsed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unparsed_reason: Option<String>,
    /// The header's value, unfolded, as text (non-UTF-8 bytes replaced).
    pub raw: String,
}

impl Hop {
    /// An empty hop of `kind` for the header `raw`.
    pub fn new(index: usize, kind: HopKind, raw: String) -> Hop {
        Hop {
            index,
            kind,
            from: FromPart::default(),
            by: None,
            with: None,
            via: None,
            id: None,
            for_: None,
            tls: false,
            authenticated: false,
            timestamp: None,
            trusted: false,
            unparsed_reason: None,
            raw,
        }
    }
}
