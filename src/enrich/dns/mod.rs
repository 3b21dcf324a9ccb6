//! DNS cross-checks, kept as evidence (docs/dns.md).
//!
//! - [`names`]: reverse and DNSBL names, and which header names may be asked;
//! - [`client`]: the resolver facade (hickory-resolver or a recording), with
//!   the run-wide cache, shared in-flight questions and a concurrency bound;
//! - [`replay`]: answers read back from a JSON report (`--dns-replay`);
//! - [`plan`]: which questions a message needs, in two rounds, capped;
//! - [`facts`]: what the answers say per hop, link and DNSBL (pure);
//! - [`dnsbl`]: DNSBL return codes;
//! - [`auth`]: Message-ID/envelope existence, SPF and DKIM (mail-auth) facts;
//! - [`asn`]: who owns each hop's address (Team Cymru's TXT zones);
//! - [`stage`]: the enrich stage that ties these together ([`DnsEnricher`]);
//! - [`abuse`]: the abuse contacts' lookups, batch-wise, as evidence;
//! - [`sites`]: the advertised sites' hosting and registrar lookups.

pub(crate) mod abuse;
pub mod asn;
pub mod auth;
pub mod client;
pub(crate) mod dnsbl;
pub(crate) mod facts;
pub(crate) mod names;
pub mod plan;
pub mod replay;
pub mod sites;
mod stage;
pub mod uribl;

pub use abuse::AbuseOptions;
pub use asn::AsnZones;
pub use client::{DnsClient, DnsStats, LiveConfig};
pub use replay::Recording;
pub use sites::SiteOptions;
pub use stage::{DnsEnricher, DnsOptions};

/// Why the DNS stage cannot be set up as asked.
#[derive(Debug, thiserror::Error)]
pub enum DnsSetupError {
    #[error("--dns-server {0:?}: expected IP or IP:PORT")]
    BadServer(String),
    #[error(
        "--dns-timeout {0:?}: expected seconds (2, 0.5, 2s) or milliseconds (500ms), at most 300s"
    )]
    BadTimeout(String),
    #[error("{}: cannot read the DNS recording: {source}", path.display())]
    ReadRecording {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {reason}", path.display())]
    BadRecording {
        path: std::path::PathBuf,
        reason: replay::NotAReport,
    },
    #[error(
        "--dnsbl {0:?}: not a DNS zone name (labels of letters, digits, hyphens, at least one dot)"
    )]
    BadDnsblZone(String),
    /// The system's resolver configuration, or a resolver, could not be made.
    #[error("{0}")]
    Resolver(String),
}

/// Parse a `--dns-server` value: `IP` (port 53) or `IP:PORT` (`[v6]:PORT`).
pub fn parse_server(s: &str) -> Result<std::net::SocketAddr, DnsSetupError> {
    let s = s.trim();
    if let Ok(a) = s.parse::<std::net::SocketAddr>() {
        return Ok(a);
    }
    s.trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<std::net::IpAddr>()
        .map(|ip| std::net::SocketAddr::new(ip, 53))
        .map_err(|_| DnsSetupError::BadServer(s.to_string()))
}

/// Check a `--dnsbl` zone (or one from the config file): refused with a
/// clear error when it is not a zone name, never dropped silently. Zones
/// under `.test`, `.local` or `.internal` are asked like any other.
pub fn parse_dnsbl_zone(zone: &str) -> Result<String, DnsSetupError> {
    names::zone_name(zone).ok_or_else(|| DnsSetupError::BadDnsblZone(zone.to_string()))
}

/// Parse a `--dns-timeout` value: seconds (`2`, `0.5`, `2s`) or `500ms`.
pub fn parse_timeout(s: &str) -> Result<std::time::Duration, DnsSetupError> {
    let t = s.trim();
    let secs = if let Some(ms) = t.strip_suffix("ms") {
        ms.trim().parse::<f64>().map(|v| v / 1000.0)
    } else {
        t.trim_end_matches('s').trim().parse::<f64>()
    };
    match secs {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 300.0 => {
            Ok(std::time::Duration::from_secs_f64(v))
        }
        _ => Err(DnsSetupError::BadTimeout(s.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_values() {
        assert_eq!(parse_server("127.0.0.1:5353").unwrap().port(), 5353);
        assert_eq!(parse_server("127.0.0.1").unwrap().port(), 53);
        assert_eq!(parse_server("::1").unwrap().port(), 53);
        assert_eq!(parse_server("[::1]:5353").unwrap().port(), 5353);
        assert!(parse_server("dns.example").is_err());
        assert_eq!(parse_timeout("500ms").unwrap().as_millis(), 500);
        assert_eq!(parse_timeout("2").unwrap().as_secs(), 2);
        assert!(parse_timeout("0").is_err());
        assert!(parse_timeout("soon").is_err());
    }
}
