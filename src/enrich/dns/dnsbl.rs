//! What a DNSBL's answer means. Listings are 127.0.0.x; Spamhaus answers
//! 127.255.255.x when it refuses a query (public resolver, rate limit, bad
//! name): an error, not a listing.

use crate::model::{Answer, Outcome};
use std::net::Ipv4Addr;

/// A DNSBL zone's verdict on one address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Listing {
    Listed(Vec<String>),
    NotListed,
    /// The list answered, but not with a listing (refused, not a DNSBL answer).
    Error(String),
    /// No usable answer (timeout, SERVFAIL...).
    Unknown,
}

impl Listing {
    pub(crate) fn is_listed(&self) -> bool {
        matches!(self, Listing::Listed(_))
    }
}

/// Read the A answer of a DNSBL question.
pub(crate) fn interpret(a: &Answer) -> Listing {
    let codes = match a.outcome() {
        Outcome::NxDomain | Outcome::NoData => return Listing::NotListed,
        Outcome::Unknown => return Listing::Unknown,
        Outcome::Found(codes) => codes,
    };
    let mut listed = Vec::new();
    for c in codes {
        match c.parse::<Ipv4Addr>() {
            Ok(ip) if ip.octets()[..3] == [127, 255, 255] => {
                let why = match ip.octets()[3] {
                    252 => "typing error in the DNSBL name",
                    254 => "queries through a public or open resolver are refused",
                    255 => "too many queries",
                    _ => "query refused",
                };
                return Listing::Error(format!("the list refused the query ({c}: {why})"));
            }
            Ok(ip) if ip.octets()[0] == 127 => listed.push(c.clone()),
            _ => return Listing::Error(format!("{c} is not a DNSBL answer (127.0.0.0/8)")),
        }
    }
    Listing::Listed(listed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Question, RType, Rcode};

    fn answer(rcode: Rcode, codes: &[&str]) -> Answer {
        Answer {
            question: Question::new("2.0.0.127.zen.example", RType::A),
            rcode,
            answers: codes.iter().map(|s| s.to_string()).collect(),
            ttl: None,
            when: String::new(),
            server: String::new(),
            error: None,
        }
    }

    #[test]
    fn codes() {
        assert_eq!(
            interpret(&answer(Rcode::NoError, &["127.0.0.2", "127.0.0.10"])),
            Listing::Listed(vec!["127.0.0.2".into(), "127.0.0.10".into()])
        );
        assert_eq!(interpret(&answer(Rcode::NxDomain, &[])), Listing::NotListed);
        assert_eq!(interpret(&answer(Rcode::ServFail, &[])), Listing::Unknown);
        assert!(matches!(
            interpret(&answer(Rcode::NoError, &["127.255.255.254"])),
            Listing::Error(e) if e.contains("public")
        ));
        assert!(matches!(
            interpret(&answer(Rcode::NoError, &["192.0.2.1"])),
            Listing::Error(_)
        ));
    }
}
