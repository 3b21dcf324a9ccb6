//! Names we are willing to ask about: reverse names for addresses, DNSBL
//! names, and host names taken from a (hostile) header, validated first.

pub(crate) use crate::util::reverse::reverse_name;
use crate::util::{domain, reverse};
use std::net::IpAddr;

/// The name to ask a DNSBL zone about an address: `7.1.6.217.zen.example`.
pub(crate) fn dnsbl_name(ip: IpAddr, zone: &str) -> Option<String> {
    let zone = zone_name(zone)?;
    Some(reverse::in_zone(ip, &zone))
}

/// A DNSBL zone the user named (`--dnsbl`, `dnsbl = [...]`): the syntax of
/// [`host_name`], but a special-use suffix (`.test`, `.local`, `.internal`)
/// is the user's choice, not a hostile header's, and is asked as given.
pub(crate) fn zone_name(zone: &str) -> Option<String> {
    let n = domain::normalize(zone)?;
    (n.len() <= 253 && n.contains('.') && n.split('.').all(label_ok)).then_some(n)
}

fn label_ok(l: &str) -> bool {
    !l.is_empty()
        && l.len() <= 63
        && l.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Suffixes that never resolve in public DNS: asking about them only leaks.
const SPECIAL_USE: &[&str] = &[
    "localhost",
    "local",
    "localdomain",
    "invalid",
    "test",
    "example",
    "internal",
    "lan",
    "home.arpa",
    "arpa",
];

/// A header's host name made fit to query: lowercase, no trailing dot,
/// letters/digits/hyphens/underscores in labels of 1..=63 bytes, at most 253
/// bytes, at least two labels with a non-numeric last one, and not a
/// special-use name. `None` for anything else (addresses, junk, hostile text).
pub(crate) fn host_name(name: &str) -> Option<String> {
    let n = domain::normalize(name)?;
    if n.len() > 253 || !domain::is_fqdn(&n) {
        return None;
    }
    if !n.split('.').all(label_ok) {
        return None;
    }
    if SPECIAL_USE
        .iter()
        .any(|s| n == *s || n.ends_with(&format!(".{s}")))
    {
        return None;
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverse_names() {
        assert_eq!(
            reverse_name("217.6.1.7".parse().unwrap()),
            "7.1.6.217.in-addr.arpa"
        );
        assert_eq!(
            reverse_name("::ffff:217.6.1.7".parse().unwrap()),
            "7.1.6.217.in-addr.arpa"
        );
        assert_eq!(
            reverse_name("2a01:4f8::1".parse().unwrap()),
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.f.4.0.1.0.a.2.ip6.arpa"
        );
        assert_eq!(
            dnsbl_name("127.0.0.2".parse().unwrap(), "zen.spamhaus.org.").as_deref(),
            Some("2.0.0.127.zen.spamhaus.org")
        );
    }

    #[test]
    fn hostile_names_are_not_asked() {
        assert_eq!(
            host_name("Gate.HyperMoon.com.").as_deref(),
            Some("gate.hypermoon.com")
        );
        for bad in [
            "KRYPTIK",
            "[1.2.3.4]",
            "1.2.3.4",
            "evil\x1b[31m.com",
            "a..b.com",
            "mail.local",
            "localhost",
            "x.internal",
            "sp ace.com",
        ] {
            assert_eq!(host_name(bad), None, "{bad:?}");
        }
        // A zone the user names may be special-use (a lab's DNSBL).
        assert_eq!(zone_name("bl.test.").as_deref(), Some("bl.test"));
        assert_eq!(
            zone_name("dnsbl.internal").as_deref(),
            Some("dnsbl.internal")
        );
        assert_eq!(zone_name("bl.local").as_deref(), Some("bl.local"));
        assert_eq!(zone_name("bad zone.org"), None);
        assert_eq!(zone_name("nodot"), None);
        let long = format!("{}.com", "a".repeat(64));
        assert_eq!(host_name(&long), None);
    }
}
