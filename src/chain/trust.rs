//! Whom we believe: trusted networks and hosts from `--trusted` and the
//! config file.

use crate::util::domain;
use ipnet::IpNet;
use std::net::IpAddr;

/// A `--trusted` value that is no network, address or host name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--trusted {0:?}: expected a CIDR (169.229.0.0/16), an IP, or a host name (mx.example.org, localhost, *.example.org)")]
pub struct BadTrustSpec(pub String);

/// The trusted region: networks and host names whose headers we believe.
#[derive(Debug, Clone, Default)]
pub struct TrustConfig {
    pub networks: Vec<IpNet>,
    /// Host names (lowercase, no trailing dot); a name also trusts its subdomains
    /// when written with a leading dot (`.example.org`).
    pub hosts: Vec<String>,
    /// Authserv-ids whose Authentication-Results we believe.
    pub authserv_ids: Vec<String>,
    /// Who "we" are: the name of the user's own servers in reports (`we =
    /// "..."` in the config, `--we`); `None`: inferred (report::owner).
    pub we: Option<String>,
}

impl TrustConfig {
    /// Add one `--trusted` value: a CIDR, a bare IP, or a host name as a
    /// header can carry it: dotted (`mx.example.org`, a trailing dot
    /// allowed), a single label (`localhost`, `jalapeno`), or with a
    /// wildcard prefix `*.example.org` / `.example.org` (the name and its
    /// subdomains, which is already what `example.org` means).
    pub fn add(&mut self, spec: &str) -> Result<(), BadTrustSpec> {
        let spec = spec.trim();
        if let Ok(net) = spec.parse::<IpNet>() {
            self.networks.push(net.trunc());
        } else if let Ok(ip) = spec.parse::<IpAddr>() {
            self.networks.push(IpNet::from(ip));
        } else if let Some(name) = host_spec(spec) {
            if !self.hosts.contains(&name) {
                self.hosts.push(name);
            }
        } else {
            return Err(BadTrustSpec(spec.to_string()));
        }
        Ok(())
    }

    /// Add one authserv-id (`--authserv-id`, the config file), as compared:
    /// lowercase, without a trailing dot.
    pub fn add_authserv_id(&mut self, id: &str) {
        let id = id.trim().trim_end_matches('.').to_ascii_lowercase();
        if !id.is_empty() && !self.authserv_ids.contains(&id) {
            self.authserv_ids.push(id);
        }
    }

    pub fn trusts_ip(&self, ip: IpAddr) -> bool {
        self.networks.iter().any(|n| n.contains(&ip))
    }

    pub fn trusts_name(&self, name: &str) -> bool {
        if self.hosts.is_empty() {
            return false;
        }
        let Some(n) = domain::normalize(name) else {
            return false;
        };
        // A trusted name covers itself and every name below it
        // (`example.org` trusts `mx1.example.org`); a leading dot is accepted.
        self.hosts.iter().any(|h| {
            let h = h.trim_start_matches('.');
            n == h
                || (n.len() > h.len()
                    && n.ends_with(h)
                    && n.as_bytes()[n.len() - h.len() - 1] == b'.')
        })
    }

    pub fn is_empty(&self) -> bool {
        self.networks.is_empty() && self.hosts.is_empty()
    }
}

/// A `--trusted` host name, as stored: lowercase, without a wildcard
/// prefix or a trailing dot. `None` for what no header names a host by:
/// empty labels, characters outside letters, digits, `-` and `_`, or a
/// numeric last label (`999.1.1.1` is a bad address, not a name; no TLD is
/// numeric, and neither is a single label).
fn host_spec(spec: &str) -> Option<String> {
    let name = spec
        .strip_prefix("*.")
        .or_else(|| spec.strip_prefix('.'))
        .unwrap_or(spec);
    let name = name.strip_suffix('.').unwrap_or(name);
    let labels: Vec<&str> = name.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    let numeric_tld = labels
        .last()
        .is_some_and(|t| t.bytes().all(|b| b.is_ascii_digit()));
    (name.len() <= 253 && labels.iter().all(label_ok) && !numeric_tld)
        .then(|| name.to_ascii_lowercase())
}

/// Address classes that matter for trust and for BOGUS_IP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpClass {
    Public,
    Loopback,
    /// RFC 1918, RFC 6598 (CGN), IPv6 ULA, link-local.
    Private,
    /// Unspecified, multicast, broadcast, TEST-NET, benchmarking, 0/8, 240/4,
    /// documentation prefixes: never a real peer on the Internet.
    Bogus,
}

pub fn classify(ip: IpAddr) -> IpClass {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            if v4.is_loopback() {
                IpClass::Loopback
            } else if v4.is_private() || v4.is_link_local() || (o[0] == 100 && (o[1] & 0xc0) == 64)
            {
                IpClass::Private
            } else if v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_documentation()
                || o[0] == 0
                || o[0] >= 240
                || (o[0] == 198 && (o[1] & 0xfe) == 18)
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
            {
                IpClass::Bogus
            } else {
                IpClass::Public
            }
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return classify(IpAddr::V4(v4));
            }
            let s = v6.segments();
            if v6.is_loopback() {
                IpClass::Loopback
            } else if (s[0] & 0xfe00) == 0xfc00 || (s[0] & 0xffc0) == 0xfe80 {
                IpClass::Private
            } else if v6.is_unspecified() || v6.is_multicast() || (s[0] == 0x2001 && s[1] == 0xdb8)
            {
                IpClass::Bogus
            } else {
                IpClass::Public
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authserv_ids_are_kept_as_compared() {
        let mut t = TrustConfig::default();
        t.add_authserv_id(" MX1.Example.org. ");
        t.add_authserv_id("mx1.example.org");
        t.add_authserv_id("");
        assert_eq!(t.authserv_ids, ["mx1.example.org"]);
    }

    #[test]
    fn classes() {
        let c = |s: &str| classify(s.parse().unwrap());
        assert_eq!(c("127.0.0.1"), IpClass::Loopback);
        assert_eq!(c("10.1.2.3"), IpClass::Private);
        assert_eq!(c("100.64.0.1"), IpClass::Private);
        assert_eq!(c("192.0.2.1"), IpClass::Bogus);
        assert_eq!(c("0.1.2.3"), IpClass::Bogus);
        assert_eq!(c("197.46.220.4"), IpClass::Public);
        assert_eq!(c("fd00::1"), IpClass::Private);
        assert_eq!(c("2001:db8::1"), IpClass::Bogus);
        assert_eq!(c("2a01:111:f400::1"), IpClass::Public);
    }

    #[test]
    fn trusted_specs() {
        let mut t = TrustConfig::default();
        t.add("169.229.0.0/16").unwrap();
        t.add("mx.example.org.").unwrap();
        t.add(".corp.example").unwrap();
        assert!(t.add("not a thing").is_err());
        assert!(t.add("999.1.1.1").is_err());
        assert!(t.add("10.0.0.0/33").is_err());
        assert!(t.trusts_ip("169.229.60.56".parse().unwrap()));
        assert!(t.trusts_name("MX.example.org"));
        assert!(t.trusts_name("a.corp.example"));
        assert!(!t.trusts_name("example.org"));
        assert!(t.trusts_name("a.mx.example.org"));
        assert!(!t.trusts_name("evilmx.example.org"));
    }

    #[test]
    fn trusted_names_as_headers_carry_them() {
        let mut t = TrustConfig::default();
        // Single labels: `from localhost (jalapeno [127.0.0.1])`.
        t.add("localhost").unwrap();
        t.add("Jalapeno").unwrap();
        assert!(t.trusts_name("jalapeno"));
        assert!(t.trusts_name("localhost"));
        assert!(!t.trusts_name("jalapeno2"));
        // Wildcards: the name and its subdomains.
        t.add("*.corp.example").unwrap();
        t.add(".other.example").unwrap();
        assert!(t.trusts_name("corp.example"));
        assert!(t.trusts_name("a.b.corp.example"));
        assert!(t.trusts_name("mx.other.example"));
        assert!(!t.trusts_name("evilcorp.example"));
        assert_eq!(
            t.hosts,
            ["localhost", "jalapeno", "corp.example", "other.example"]
        );
        for bad in [
            "",
            "*",
            "*.",
            "a..b",
            "a b",
            "1234",
            "999.1.1.1",
            "*.*.x",
            "a/b",
            "x@y",
        ] {
            assert!(t.add(bad).is_err(), "{bad:?} accepted");
        }
    }
}
