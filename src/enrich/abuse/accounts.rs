//! Where mail providers take reports about their users' accounts (not
//! about their networks: the network's abuse desk routes on IP ranges, an
//! account desk closes the sending account). Pure data, each fact with the
//! page it comes from; a provider missing here, or with `None`, publishes
//! nothing we could cite, and the report says so instead of guessing.

/// One provider's account-abuse desk.
#[derive(Debug)]
pub struct AccountDesk {
    /// The provider's name in `util::providers` (`gmail`, `hotmail`...).
    pub provider: &'static str,
    /// The name a report uses.
    pub display: &'static str,
    /// An address (`abuse@…`) or a web form (https URL).
    pub contact: Option<&'static str>,
    /// Where the fact comes from.
    pub source: &'static str,
}

/// The table.
pub static ACCOUNT_DESKS: &[AccountDesk] = &[
    AccountDesk {
        provider: "gmail",
        display: "Gmail",
        // Google's "Report a Gmail user" form asks for the account and the
        // headers of the message.
        contact: Some("https://support.google.com/mail/contact/abuse"),
        source: "Google, Gmail Help: \"Report a Gmail user\" (support.google.com/mail/contact/abuse)",
    },
    AccountDesk {
        provider: "hotmail",
        display: "Outlook.com",
        contact: Some("abuse@outlook.com"),
        source: "Microsoft Support: \"Deal with abuse, phishing, or spam in Outlook.com\" (forward to abuse@outlook.com)",
    },
    AccountDesk {
        provider: "icloud",
        display: "iCloud Mail",
        contact: Some("abuse@icloud.com"),
        source: "Apple Support: \"Phishing and other suspicious emails\" (spam received in or sent from icloud.com, me.com, mac.com to abuse@icloud.com)",
    },
    AccountDesk {
        provider: "yahoo",
        display: "Yahoo Mail",
        contact: None,
        source: "Yahoo Help takes account reports through its in-product form only; no address to cite",
    },
    AccountDesk {
        provider: "aol",
        display: "AOL Mail",
        contact: None,
        source: "AOL Help takes account reports through its in-product form only; no address to cite",
    },
    AccountDesk {
        provider: "gmx",
        display: "GMX / WEB.DE",
        contact: None,
        source: "no account-abuse address found in GMX's or WEB.DE's published help pages",
    },
    AccountDesk {
        provider: "mail.ru",
        display: "Mail.ru",
        contact: None,
        source: "no account-abuse address found in Mail.ru's published help pages",
    },
    AccountDesk {
        provider: "yandex",
        display: "Yandex Mail",
        contact: None,
        source: "no account-abuse address found in Yandex's published help pages",
    },
];

/// The desk of the provider named `provider` (`util::providers` name).
pub fn desk(provider: &str) -> Option<&'static AccountDesk> {
    ACCOUNT_DESKS.iter().find(|d| d.provider == provider)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_desk_names_a_provider_and_a_source() {
        for d in ACCOUNT_DESKS {
            assert!(
                crate::util::providers::PROVIDERS
                    .iter()
                    .any(|p| p.name == d.provider),
                "{} is no provider",
                d.provider
            );
            assert!(!d.source.is_empty());
            if let Some(c) = d.contact {
                assert!(c.starts_with("https://") || c.contains('@'), "{c}");
            }
        }
        assert_eq!(desk("gmail").map(|d| d.display), Some("Gmail"));
    }
}
