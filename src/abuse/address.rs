//! A strict check for the addresses we put in To: an RFC 5321 dot-atom
//! local part and an LDH domain. Anything else (commas, angle brackets,
//! quotes, spaces, control characters) could add a recipient or a header.

/// Is `addr` a plain `local@domain` we may write into a header?
pub fn is_safe(addr: &str) -> bool {
    if addr.len() > 254 {
        return false;
    }
    let Some((local, domain)) = addr.split_once('@') else {
        return false;
    };
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c);
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local
            .split('.')
            .all(|part| !part.is_empty() && part.chars().all(atext));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    local_ok && domain_ok
}

/// `addr` lowercased in its domain, when it is safe.
pub fn clean(addr: &str) -> Option<String> {
    let addr = addr.trim();
    if !is_safe(addr) {
        return None;
    }
    let (local, domain) = addr.split_once('@')?;
    Some(format!("{local}@{}", domain.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_and_refuses_injection() {
        assert!(is_safe("abuse@example.com"));
        assert!(is_safe("network-abuse+x@a.b-c.org"));
        for bad in [
            "abuse@example.com,victim@other.org",
            "abuse@example.com\r\nBcc: x@y.org",
            "<abuse@example.com>",
            "\"a b\"@example.com",
            "abuse@localhost",
            "abuse@-x.com",
            "a..b@example.com",
            "DATA REDACTED",
            "abuse@exa mple.com",
        ] {
            assert!(!is_safe(bad), "{bad:?}");
        }
        assert_eq!(
            clean(" Abuse@Example.COM ").as_deref(),
            Some("Abuse@example.com")
        );
    }
}
