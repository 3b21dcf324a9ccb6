//! Reverse names of addresses: the PTR name (`7.1.6.217.in-addr.arpa`) and
//! an address's name in a reversed-IP zone (DNSBLs, Abusix). One
//! implementation for the DNS checks and the abuse contacts; an IPv4-mapped
//! IPv6 address is named as the IPv4 address it is.

use std::fmt::Write as _;
use std::net::IpAddr;

/// The reverse-lookup name of an address: `7.1.6.217.in-addr.arpa`, or the
/// 32-nibble `ip6.arpa` name. IPv4-mapped IPv6 uses the IPv4 name.
pub fn reverse_name(ip: IpAddr) -> String {
    reversed(ip) + reverse_suffix(ip)
}

fn reverse_suffix(ip: IpAddr) -> &'static str {
    match ip.to_canonical() {
        IpAddr::V4(_) => ".in-addr.arpa",
        IpAddr::V6(_) => ".ip6.arpa",
    }
}

/// The address's labels in reverse order, without a suffix.
fn reversed(ip: IpAddr) -> String {
    let mut s = String::new();
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            let _ = write!(s, "{}.{}.{}.{}", o[3], o[2], o[1], o[0]);
        }
        IpAddr::V6(v6) => {
            for b in v6.octets().iter().rev() {
                let _ = write!(s, "{:x}.{:x}.", b & 0xf, b >> 4);
            }
            s.pop();
        }
    }
    s
}

/// The address's name in a reversed-IP zone: `7.1.6.217.zen.example`.
pub fn in_zone(ip: IpAddr, zone: &str) -> String {
    format!("{}.{}", reversed(ip), zone.trim_matches('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(reverse_name(ip("217.6.1.7")), "7.1.6.217.in-addr.arpa");
        // One rule for both callers: a mapped address is its IPv4 address.
        assert_eq!(
            reverse_name(ip("::ffff:217.6.1.7")),
            "7.1.6.217.in-addr.arpa"
        );
        assert_eq!(
            in_zone(ip("::ffff:217.6.1.7"), "zone.example."),
            "7.1.6.217.zone.example"
        );
        let v6 = reverse_name(ip("2a01:4f8::1"));
        assert!(
            v6.starts_with("1.0.0.0.") && v6.ends_with(".8.f.4.0.1.0.a.2.ip6.arpa"),
            "{v6}"
        );
        assert_eq!(v6.split('.').count(), 34);
    }
}
