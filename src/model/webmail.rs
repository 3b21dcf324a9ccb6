//! Client addresses that headers like X-Originating-IP name, with how far
//! each can be believed.

use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// An address a header says the message was first sent from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OriginCandidate {
    pub ip: IpAddr,
    /// The header it came from, as named in the message.
    pub header: String,
    /// The hop whose server wrote the header (`None`: the origin itself).
    pub written_by_hop: Option<usize>,
    pub credibility: Credibility,
    /// `public`, `private`, `loopback`, `bogus`.
    pub ip_class: String,
}

/// How far a header field can be believed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Credibility {
    /// Written inside the trusted region.
    Trusted,
    /// Written below the boundary by a hop reached through consistent
    /// custody links: a claim, but one the route supports.
    Consistent,
    /// Written in the part of the chain nobody vouches for.
    Claimed,
}

impl Credibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Credibility::Trusted => "trusted",
            Credibility::Consistent => "consistent",
            Credibility::Claimed => "claimed",
        }
    }
}
