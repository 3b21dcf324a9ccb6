//! Host names: normalisation and the registrable domain (Public Suffix List).

use std::borrow::Cow;
use std::net::IpAddr;

/// Lowercase, trailing dot stripped; `None` for an empty name, an address
/// literal (`[1.2.3.4]`) or `unknown`.
pub fn normalize(name: &str) -> Option<String> {
    normalized(name).map(Cow::into_owned)
}

/// [`normalize`], borrowing when the name is already in normal form (the
/// usual case: the checks compare names per hop, so this is a hot path).
pub fn normalized(name: &str) -> Option<Cow<'_, str>> {
    let n = name.trim().trim_end_matches('.');
    let n = if n.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(n.to_ascii_lowercase())
    } else {
        Cow::Borrowed(n)
    };
    if n.is_empty() || n == "unknown" || n.starts_with('[') || looks_like_ip(&n) {
        return None;
    }
    Some(n)
}

/// An IP address, tested only when the text could be one (digits, dots,
/// colons, hex letters): parsing every host name was measurable.
fn looks_like_ip(n: &str) -> bool {
    n.bytes()
        .all(|b| b.is_ascii_hexdigit() || b == b'.' || b == b':')
        && n.parse::<IpAddr>().is_ok()
}

/// The registrable domain ("eTLD+1") of a host name, by the Public Suffix
/// List; `None` for names with no registrable part (a bare TLD, `localhost`).
pub fn registrable(name: &str) -> Option<String> {
    let n = normalized(name)?;
    registrable_part(&n).map(str::to_string)
}

/// The registrable domain of a name already [`normalized`], as a slice of it.
pub fn registrable_part(n: &str) -> Option<&str> {
    // psl treats unknown TLDs as public suffixes of one label ("*" rule),
    // so `mail.local` gives `mail.local`; keep that: it is what we compare.
    psl::domain_str(n)
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
    match (normalized(a), normalized(b)) {
        (Some(a), Some(b)) => {
            a == b
                || matches!((registrable_part(&a), registrable_part(&b)), (Some(x), Some(y)) if x == y)
        }
        _ => false,
    }
}

/// Is `name` equal to `domain` or below it?
pub fn is_within(name: &str, domain: &str) -> bool {
    let (Some(n), Some(d)) = (normalized(name), normalized(domain)) else {
        return false;
    };
    n == d || (n.len() > d.len() && n.ends_with(&*d) && n.as_bytes()[n.len() - d.len() - 1] == b'.')
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
        assert!(is_within("a.Example.org.", "example.org"));
        assert!(is_within("example.org", "EXAMPLE.org"));
        assert!(!is_within("badexample.org", "example.org"));
        assert_eq!(normalize("[1.2.3.4]"), None);
        assert_eq!(normalize("2001:db8::1"), None);
        assert_eq!(normalize("cafe.example"), Some("cafe.example".into()));
        assert_eq!(normalize("beef"), Some("beef".into()));
    }
}
