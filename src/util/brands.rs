//! Brands phishing claims to be, each with the registrable domains that
//! are really its own. A message whose From display name, From domain or
//! link text claims a brand while its links go elsewhere impersonates it.
//! Pure data plus matching; no I/O.

use crate::util::domain;

/// One brand.
#[derive(Debug)]
pub struct Brand {
    /// The name to write in a complaint.
    pub name: &'static str,
    /// Lowercase words or phrases that claim it (matched on word bounds).
    pub claims: &'static [&'static str],
    /// Its own registrable domains.
    pub domains: &'static [&'static str],
}

/// The table: the brands most phished (their own domains as their sites
/// and mail show them).
pub static BRANDS: &[Brand] = &[
    Brand {
        name: "Microsoft",
        claims: &[
            "microsoft",
            "office 365",
            "office365",
            "microsoft 365",
            "outlook",
            "onedrive",
            "sharepoint",
        ],
        domains: &[
            "microsoft.com",
            "office.com",
            "office365.com",
            "outlook.com",
            "live.com",
            "microsoftonline.com",
            "sharepoint.com",
            "onedrive.com",
            "hotmail.com",
        ],
    },
    Brand {
        name: "PayPal",
        claims: &["paypal"],
        domains: &["paypal.com", "paypal.me", "paypalobjects.com"],
    },
    Brand {
        name: "Apple",
        claims: &["apple", "icloud", "itunes", "app store"],
        domains: &["apple.com", "icloud.com", "me.com", "itunes.com"],
    },
    Brand {
        name: "Amazon",
        claims: &["amazon"],
        domains: &[
            "amazon.com",
            "amazon.co.uk",
            "amazon.de",
            "amazon.fr",
            "amazon.it",
            "amazon.es",
            "amazon.ca",
            "amazon.co.jp",
        ],
    },
    Brand {
        name: "DHL",
        claims: &["dhl"],
        domains: &["dhl.com", "dhl.de"],
    },
    Brand {
        name: "Netflix",
        claims: &["netflix"],
        domains: &["netflix.com"],
    },
    Brand {
        name: "DocuSign",
        claims: &["docusign"],
        domains: &["docusign.com", "docusign.net"],
    },
    Brand {
        name: "Google",
        claims: &["google", "gmail"],
        domains: &["google.com", "gmail.com", "googlemail.com"],
    },
    Brand {
        name: "eBay",
        claims: &["ebay"],
        domains: &[
            "ebay.com",
            "ebay.co.uk",
            "ebay.de",
            "ebay.fr",
            "ebay.it",
            "ebay.ca",
        ],
    },
    Brand {
        name: "Facebook",
        claims: &["facebook", "instagram"],
        domains: &[
            "facebook.com",
            "facebookmail.com",
            "instagram.com",
            "meta.com",
            "fb.com",
        ],
    },
    Brand {
        name: "Ledger",
        claims: &["ledger live", "ledger wallet", "ledger"],
        domains: &["ledger.com"],
    },
    Brand {
        name: "McAfee",
        claims: &["mcafee"],
        domains: &["mcafee.com"],
    },
    Brand {
        name: "Bradesco",
        claims: &["bradesco"],
        domains: &["bradesco.com.br", "bradescoseguros.com.br"],
    },
    Brand {
        name: "Correios",
        claims: &["correios"],
        domains: &["correios.com.br"],
    },
    Brand {
        name: "Chase",
        claims: &["chase bank", "jpmorgan chase", "chase online"],
        domains: &["chase.com", "jpmorganchase.com"],
    },
    Brand {
        name: "Wells Fargo",
        claims: &["wells fargo", "wellsfargo"],
        domains: &["wellsfargo.com"],
    },
    Brand {
        name: "Bank of America",
        claims: &["bank of america", "bankofamerica"],
        domains: &["bankofamerica.com", "bofa.com"],
    },
];

/// Is `word` in `text` (lowercase) on word bounds?
fn has_word(text: &str, word: &str) -> bool {
    let bound = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
    text.match_indices(word).any(|(i, _)| {
        bound(text[..i].chars().next_back()) && bound(text[i + word.len()..].chars().next())
    })
}

/// The brand a piece of text (a display name, link text) claims: by name,
/// or by naming one of its domains.
pub fn claimed_in_text(text: &str) -> Option<&'static Brand> {
    let t = text.to_lowercase();
    BRANDS.iter().find(|b| {
        b.claims.iter().any(|c| has_word(&t, c))
            || b.domains.iter().any(|d| {
                t.match_indices(d).any(|(i, _)| {
                    let before = t[..i].chars().next_back();
                    let after = t[i + d.len()..].chars().next();
                    before.is_none_or(|c| c == '.' || c == '/' || !c.is_alphanumeric())
                        && after.is_none_or(|c| !c.is_alphanumeric() && c != '.' && c != '-')
                })
            })
    })
}

/// The brand a domain claims without being its own: a label holding the
/// brand's name (`paypal-secure.example`), not one of its domains.
pub fn claimed_by_domain(name: &str) -> Option<&'static Brand> {
    let reg = domain::registrable_str(name)?;
    if owner_of(&reg).is_some() {
        return None;
    }
    let first = reg.split('.').next()?;
    BRANDS.iter().find(|b| {
        b.claims
            .iter()
            .filter(|c| !c.contains(' ') && c.len() >= 4)
            .any(|c| first.contains(c))
    })
}

/// The brand whose own domain `name` is in.
pub fn owner_of(name: &str) -> Option<&'static Brand> {
    let reg = domain::registrable_str(name)?;
    BRANDS.iter().find(|b| b.domains.contains(&&*reg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims() {
        assert_eq!(
            claimed_in_text("PayPal Service \u{2013} Billing").map(|b| b.name),
            Some("PayPal")
        );
        assert_eq!(
            claimed_in_text("www.paypal.com/resolution").map(|b| b.name),
            Some("PayPal")
        );
        assert_eq!(
            claimed_in_text("Office 365 Admin").map(|b| b.name),
            Some("Microsoft")
        );
        // Word bounds: "pineapple" claims nothing, nor "paypal.com.evil".
        assert!(claimed_in_text("pineapple offers").is_none());
        assert!(claimed_in_text("notpaypal.com.evil.example").is_none());
        assert_eq!(
            claimed_by_domain("secure-paypal-help.example").map(|b| b.name),
            Some("PayPal")
        );
        assert!(claimed_by_domain("paypal.com").is_none());
        assert_eq!(owner_of("www.paypal.com").map(|b| b.name), Some("PayPal"));
    }
}
