//! Host names: normalisation and the registrable domain (Public Suffix List).

use std::net::IpAddr;

/// Lowercase, trailing dot stripped; `None` for an empty name, an address
/// literal (`[1.2.3.4]`) or `unknown`.
pub fn normalize(name: &str) -> Option<String> {
    let n = name.trim().trim_end_matches('.').to_ascii_lowercase();
    if n.is_empty() || n == "unknown" || n.starts_with('[') || n.parse::<IpAddr>().is_ok() {
        return None;
    }
    Some(n)
}

/// The registrable domain ("eTLD+1") of a host name, by the Public Suffix
/// List; `None` for names with no registrable part (a bare TLD, `localhost`).
pub fn registrable(name: &str) -> Option<String> {
    let n = normalize(name)?;
    let d = psl::domain(n.as_bytes())?;
    // psl treats unknown TLDs as public suffixes of one label ("*" rule),
    // so `mail.local` gives `mail.local`; keep that: it is what we compare.
    std::str::from_utf8(d.as_bytes()).ok().map(str::to_string)
}

/// A dotted name with at least one letter in its last label: what a fully
/// qualified HELO name looks like.
pub fn is_fqdn(name: &str) -> bool {
    let n = name.trim_end_matches('.');
    let Some((_, tld)) = n.rsplit_once('.') else {
        return false;
    };
    !tld.is_empty()
        && tld.chars().any(|c| c.is_ascii_alphabetic())
        && n.split('.').all(|l| !l.is_empty())
}

/// Do two names denote the same party: the same name or the same
/// registrable domain?
pub fn same_party(a: &str, b: &str) -> bool {
    match (normalize(a), normalize(b)) {
        (Some(a), Some(b)) => {
            a == b || matches!((registrable(&a), registrable(&b)), (Some(x), Some(y)) if x == y)
        }
        _ => false,
    }
}

/// Is `name` equal to `domain` or below it?
pub fn is_within(name: &str, domain: &str) -> bool {
    let (Some(n), Some(d)) = (normalize(name), normalize(domain)) else {
        return false;
    };
    n == d || n.ends_with(&format!(".{d}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registrable_domains() {
        assert_eq!(
            registrable("cs2.CS.Berkeley.EDU.").as_deref(),
            Some("berkeley.edu")
        );
        assert_eq!(
            registrable("a.b.example.co.uk").as_deref(),
            Some("example.co.uk")
        );
        assert_eq!(registrable("[1.2.3.4]"), None);
        assert!(same_party("mail.everfaster.com", "everfaster.com."));
        assert!(!same_party("server.big-hello.com", "gate.hypermoon.com"));
        assert!(is_fqdn("mail.example.org"));
        assert!(!is_fqdn("KRYPTIK"));
        assert!(!is_fqdn("192.168.1.2"));
    }
}
