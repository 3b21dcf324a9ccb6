//! Link hosts that are not the advertised site: URL shorteners and
//! redirectors, link-protection wrappers, and big platforms whose network
//! or registrar is no one to complain to about a page. Pure data plus a
//! lookup by host; no I/O.

use crate::util::domain;

/// URL shorteners and open redirectors: their operator is not the site.
/// Registrable domains.
pub const SHORTENERS: &[&str] = &[
    "bit.ly",
    "bitly.com",
    "t.co",
    "tinyurl.com",
    "goo.gl",
    "ow.ly",
    "is.gd",
    "buff.ly",
    "lnkd.in",
    "rebrand.ly",
    "cutt.ly",
    "shorturl.at",
    "tiny.cc",
    "s.id",
    "rb.gy",
    "t.ly",
];

/// Link-protection wrappers (a wrapped link that could not be unwrapped
/// still names the wrapper's host): host suffixes.
pub const WRAPPERS: &[&str] = &[
    "safelinks.protection.outlook.com",
    "urldefense.com",
    "urldefense.proofpoint.com",
    "mimecast.com",
    "linkprotect.cudasvc.com",
];

/// Big platforms: links to their own sites (a logo, a privacy page, an XML
/// namespace) are not the advertiser, and their network or registrar does
/// not act on a page they host. Registrable domains.
pub const PLATFORMS: &[&str] = &[
    "google.com",
    "gstatic.com",
    "googleapis.com",
    "youtube.com",
    "microsoft.com",
    "office.com",
    "live.com",
    "outlook.com",
    "apple.com",
    "icloud.com",
    "amazon.com",
    "facebook.com",
    "instagram.com",
    "twitter.com",
    "x.com",
    "linkedin.com",
    "w3.org",
    "schema.org",
];

/// What a link host is, when it is not an advertised site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkHost {
    Shortener,
    Wrapper,
    Platform,
}

/// Is `host` a shortener, a wrapper or a platform?
pub fn classify(host: &str) -> Option<LinkHost> {
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    let reg = domain::registrable(&h).unwrap_or_else(|| h.clone());
    if SHORTENERS.contains(&reg.as_str()) {
        return Some(LinkHost::Shortener);
    }
    if WRAPPERS.iter().any(|w| domain::is_within(&h, w)) {
        return Some(LinkHost::Wrapper);
    }
    // The big mail providers' own domains (util::providers) are platforms too.
    if PLATFORMS.contains(&reg.as_str()) || crate::util::providers::by_mail_domain(&reg).is_some() {
        return Some(LinkHost::Platform);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_by_registrable_domain_and_suffix() {
        assert_eq!(classify("bit.ly"), Some(LinkHost::Shortener));
        assert_eq!(classify("WWW.TinyURL.com."), Some(LinkHost::Shortener));
        assert_eq!(
            classify("nam12.safelinks.protection.outlook.com"),
            Some(LinkHost::Wrapper)
        );
        assert_eq!(classify("www.w3.org"), Some(LinkHost::Platform));
        assert_eq!(classify("mail.yahoo.com"), Some(LinkHost::Platform));
        assert_eq!(classify("xn--pypal-4ve.com"), None);
        assert_eq!(classify("notbit.ly.example"), None);
    }
}
