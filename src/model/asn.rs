//! Who owns each hop's address: the origin AS, its name and the country,
//! from DNS (Team Cymru's IP-to-ASN zones, recorded and replayable) or
//! from MaxMind-format databases the user has (`--asn-db`, `--geoip`).

use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// Where a hop's network facts came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AsnSource {
    /// The IP-to-ASN TXT zones (`origin.asn.cymru.com` and kin), asked
    /// through the run's DNS client; the answers are in `dns.answers`.
    Dns,
    /// MaxMind-format databases (`--asn-db`, `--geoip`).
    Mmdb,
}

/// The network of one hop's public connecting IP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HopAsn {
    pub hop: usize,
    pub ip: IpAddr,
    /// The origin AS number (`None`: not announced, or not known).
    pub asn: Option<u32>,
    /// The AS's name as its registry has it (`EXAMPLE-NET Example Net, NL`
    /// reads as `Example Net`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_name: Option<String>,
    /// ISO 3166 country code of the address (or of the AS's registration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// The announced prefix that holds the address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// The regional registry (`ripencc`, `arin`...), when the source names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<String>,
    pub source: AsnSource,
}

impl HopAsn {
    /// For people: `AS64500 Example Net, NL` (parts that are known).
    pub fn label(&self) -> Option<String> {
        let mut s = String::new();
        if let Some(n) = self.asn {
            s.push_str(&format!("AS{n}"));
        }
        if let Some(name) = self.as_name.as_deref().filter(|n| !n.is_empty()) {
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(name);
        }
        if let Some(c) = self.country.as_deref().filter(|c| !c.is_empty()) {
            if !s.is_empty() {
                s.push_str(", ");
            }
            s.push_str(c);
        }
        (!s.is_empty()).then_some(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_joins_what_is_known() {
        let mut a = HopAsn {
            hop: 0,
            ip: "192.0.2.1".parse().unwrap(),
            asn: Some(64500),
            as_name: Some("Example Net".into()),
            country: Some("NL".into()),
            prefix: None,
            registry: None,
            source: AsnSource::Dns,
        };
        assert_eq!(a.label().unwrap(), "AS64500 Example Net, NL");
        a.as_name = None;
        assert_eq!(a.label().unwrap(), "AS64500, NL");
        a.asn = None;
        a.country = None;
        assert_eq!(a.label(), None);
    }
}
