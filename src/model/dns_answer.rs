//! The data of DNS evidence: a question, and the answer we used for it.
//! Plain data, no I/O: live lookups and replayed reports both produce these.

use super::DnsAnswer;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// The record types spamtrace asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RType {
    A,
    AAAA,
    PTR,
    TXT,
    MX,
    CNAME,
    NS,
    SOA,
}

impl RType {
    /// The address record type for an IP's family (A for IPv4, AAAA for IPv6).
    pub fn address_for(ip: IpAddr) -> RType {
        match ip {
            IpAddr::V4(_) => RType::A,
            IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some() => RType::A,
            IpAddr::V6(_) => RType::AAAA,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RType::A => "A",
            RType::AAAA => "AAAA",
            RType::PTR => "PTR",
            RType::TXT => "TXT",
            RType::MX => "MX",
            RType::CNAME => "CNAME",
            RType::NS => "NS",
            RType::SOA => "SOA",
        }
    }
}

/// One DNS question: a name (lowercase, no trailing dot) and a type.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Question {
    pub name: String,
    #[serde(rename = "type")]
    pub rtype: RType,
}

impl Question {
    pub fn new(name: &str, rtype: RType) -> Question {
        Question {
            name: name.trim_end_matches('.').to_ascii_lowercase(),
            rtype,
        }
    }
}

impl std::fmt::Display for Question {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.rtype.as_str(), self.name)
    }
}

/// How a question ended. TIMEOUT, ERROR and UNRECORDED are not DNS response
/// codes but outcomes of asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Rcode {
    NoError,
    NxDomain,
    ServFail,
    Refused,
    /// No answer within --dns-timeout (after retries).
    Timeout,
    /// Any other failure (FORMERR, NOTIMP, a network error...): see `error`.
    Error,
    /// `--dns-replay`: the recording holds no answer to this question.
    Unrecorded,
}

/// The answer used for one question: the unit of DNS evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    #[serde(flatten)]
    pub question: Question,
    pub rcode: Rcode,
    /// The records of the asked type, as text (names lowercase, no trailing dot).
    pub answers: Vec<String>,
    /// The smallest TTL among the answers, or the negative-caching TTL.
    pub ttl: Option<u32>,
    /// When the answer arrived (RFC 3339 UTC).
    pub when: String,
    /// The server that gave it (`IP:PORT`).
    pub server: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What an answer says, for the checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome<'a> {
    /// Records of the asked type.
    Found(&'a [String]),
    /// The name exists but has no record of that type (NOERROR, no data).
    NoData,
    /// The name does not exist.
    NxDomain,
    /// No usable answer (timeout, SERVFAIL, refused, not recorded): never evidence.
    Unknown,
}

impl Answer {
    pub fn outcome(&self) -> Outcome<'_> {
        match self.rcode {
            Rcode::NoError if !self.answers.is_empty() => Outcome::Found(&self.answers),
            Rcode::NoError => Outcome::NoData,
            Rcode::NxDomain => Outcome::NxDomain,
            _ => Outcome::Unknown,
        }
    }

    /// Does an address answer include `ip`?
    pub fn includes_ip(&self, ip: IpAddr) -> bool {
        let want = canonical(ip);
        self.answers
            .iter()
            .filter_map(|a| a.parse::<IpAddr>().ok())
            .any(|a| canonical(a) == want)
    }

    /// Is this an answer worth keeping as evidence (something was asked)?
    pub fn is_evidence(&self) -> bool {
        self.rcode != Rcode::Unrecorded
    }

    /// A short text for messages: `NXDOMAIN`, `timeout`, `1.2.3.4, 5.6.7.8`.
    pub fn summary(&self) -> String {
        match self.outcome() {
            Outcome::Found(a) => a.join(", "),
            Outcome::NoData => "no data".into(),
            Outcome::NxDomain => "NXDOMAIN".into(),
            Outcome::Unknown => match self.rcode {
                Rcode::Timeout => "timeout".into(),
                Rcode::Unrecorded => "not in the recording".into(),
                r => serde_json::to_value(r)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_else(|| "error".into()),
            },
        }
    }
}

impl Answer {
    /// This answer in presentation form, owned: what the mail-target rule
    /// and the abuse rules read. A failure is never a negative answer.
    pub fn to_dns_answer(&self) -> DnsAnswer {
        match self.outcome() {
            Outcome::Found(r) => DnsAnswer::Records(r.to_vec()),
            Outcome::NoData => DnsAnswer::NoRecords,
            Outcome::NxDomain => DnsAnswer::NxDomain,
            Outcome::Unknown => DnsAnswer::Failed(self.summary()),
        }
    }
}

/// IPv4-mapped IPv6 compares equal to its IPv4 address.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answer_json_shape_round_trips() {
        let a = Answer {
            question: Question::new("7.1.6.217.IN-ADDR.ARPA.", RType::PTR),
            rcode: Rcode::NoError,
            answers: vec!["pool37.qs4w.longlink.net".into()],
            ttl: Some(3600),
            when: "2026-01-01T00:00:00Z".into(),
            server: "127.0.0.1:53".into(),
            error: None,
        };
        let v = serde_json::to_value(&a).unwrap();
        assert_eq!(v["name"], "7.1.6.217.in-addr.arpa");
        assert_eq!(v["type"], "PTR");
        assert_eq!(v["rcode"], "NOERROR");
        let back: Answer = serde_json::from_value(v).unwrap();
        assert_eq!(back, a);
        assert_eq!(
            a.outcome(),
            Outcome::Found(&["pool37.qs4w.longlink.net".to_string()])
        );
    }

    #[test]
    fn failures_are_unknown_never_negative() {
        for rcode in [
            Rcode::ServFail,
            Rcode::Timeout,
            Rcode::Refused,
            Rcode::Unrecorded,
        ] {
            let a = Answer {
                question: Question::new("x.example", RType::A),
                rcode,
                answers: vec![],
                ttl: None,
                when: String::new(),
                server: String::new(),
                error: None,
            };
            assert_eq!(a.outcome(), Outcome::Unknown);
        }
    }
}
