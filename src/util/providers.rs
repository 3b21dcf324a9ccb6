//! Big mail providers: the domains their users send from, the domains their
//! servers run under, and the domains their Message-IDs end in. A message
//! claiming one of them (From, Message-ID) should pass through its servers.
//!
//! Pure data plus lookups by registrable domain; no I/O.

use crate::util::domain;

/// One provider.
#[derive(Debug)]
pub(crate) struct Provider {
    /// A short name for reports (`hotmail`, `gmail`...).
    pub name: &'static str,
    /// Registrable domains of its users' addresses.
    pub mail_domains: &'static [&'static str],
    /// Registrable domains its relays (HELO, rDNS, `by`) are named under.
    pub infra_domains: &'static [&'static str],
    /// Registrable domains its servers put on the right of Message-IDs.
    pub msgid_domains: &'static [&'static str],
}

/// The table. Registrable domains only (the Public Suffix List decides what
/// that is), so `mail.gmail.com` and `gmail.com` both match `gmail.com`.
pub(crate) static PROVIDERS: &[Provider] = &[
    Provider {
        name: "hotmail",
        mail_domains: &[
            "hotmail.com",
            "hotmail.co.uk",
            "hotmail.fr",
            "hotmail.de",
            "hotmail.it",
            "hotmail.es",
            "outlook.com",
            "outlook.fr",
            "outlook.de",
            "live.com",
            "live.co.uk",
            "live.fr",
            "msn.com",
        ],
        infra_domains: &[
            "hotmail.com",
            "outlook.com",
            "live.com",
            "msn.com",
            "microsoft.com",
            "phx.gbl",
            "outlook.office365.com",
            "office365.com",
        ],
        // `@phx.gbl`: Hotmail's internal Exchange forest; `prod.outlook.com`
        // and `namprd...` hosts fall under outlook.com.
        msgid_domains: &[
            "hotmail.com",
            "phx.gbl",
            "outlook.com",
            "live.com",
            "msn.com",
        ],
    },
    Provider {
        name: "gmail",
        mail_domains: &["gmail.com", "googlemail.com"],
        infra_domains: &["google.com", "gmail.com", "googlemail.com", "1e100.net"],
        msgid_domains: &["gmail.com", "googlemail.com"],
    },
    Provider {
        name: "yahoo",
        mail_domains: &[
            "yahoo.com",
            "yahoo.co.uk",
            "yahoo.fr",
            "yahoo.de",
            "yahoo.it",
            "yahoo.es",
            "yahoo.ca",
            "yahoo.com.au",
            "yahoo.co.in",
            "yahoo.co.jp",
            "yahoo.com.br",
            "ymail.com",
            "rocketmail.com",
        ],
        infra_domains: &[
            "yahoo.com",
            "yahoo.net",
            "yahoodns.net",
            "yahoo.co.jp",
            "yahoo.co.uk",
            "yahoo.fr",
            "yahoo.de",
            "yahoo.com.br",
            "yahoogroups.com",
        ],
        msgid_domains: &[
            "yahoo.com",
            "yahoo.co.jp",
            "yahoo.co.uk",
            "yahoo.fr",
            "yahoo.de",
        ],
    },
    Provider {
        name: "aol",
        mail_domains: &["aol.com", "aim.com", "aol.co.uk", "aol.fr", "aol.de"],
        // AOL mail has run on Yahoo's servers since 2017.
        infra_domains: &["aol.com", "aol.net", "aim.com", "yahoo.com", "yahoodns.net"],
        msgid_domains: &["aol.com", "aim.com"],
    },
    Provider {
        name: "gmx",
        mail_domains: &[
            "gmx.net", "gmx.de", "gmx.com", "gmx.at", "gmx.ch", "web.de", "mail.com",
        ],
        infra_domains: &[
            "gmx.net",
            "gmx.de",
            "gmx.com",
            "web.de",
            "mail.com",
            "kundenserver.de",
            "ui-portal.de",
        ],
        msgid_domains: &["gmx.net", "gmx.de", "gmx.com", "web.de", "mail.com"],
    },
    Provider {
        name: "mail.ru",
        mail_domains: &["mail.ru", "inbox.ru", "list.ru", "bk.ru", "internet.ru"],
        infra_domains: &["mail.ru"],
        msgid_domains: &["mail.ru", "inbox.ru", "list.ru", "bk.ru"],
    },
    Provider {
        name: "yandex",
        mail_domains: &["yandex.ru", "yandex.com", "ya.ru", "yandex.ua", "yandex.by"],
        infra_domains: &["yandex.ru", "yandex.net", "yandex.com"],
        msgid_domains: &["yandex.ru", "yandex.net", "yandex.com", "ya.ru"],
    },
    Provider {
        name: "icloud",
        mail_domains: &["icloud.com", "me.com", "mac.com"],
        infra_domains: &["apple.com", "icloud.com", "me.com", "mac.com"],
        msgid_domains: &["icloud.com", "me.com", "mac.com", "apple.com"],
    },
];

/// `f` of the registrable domain of `name` (a host name or `@domain`),
/// without copying the name when it is already in normal form.
fn with_registrable<R>(name: &str, f: impl FnOnce(&str) -> R) -> Option<R> {
    let n = domain::normalized(name.trim().trim_start_matches('@'))?;
    domain::registrable_part(&n).map(f)
}

fn find(name: &str, pick: fn(&Provider) -> &'static [&'static str]) -> Option<&'static Provider> {
    with_registrable(name, |reg| {
        PROVIDERS.iter().find(|p| pick(p).contains(&reg))
    })
    .flatten()
}

/// The provider whose users send from `domain` (an address domain).
pub(crate) fn by_mail_domain(domain: &str) -> Option<&'static Provider> {
    find(domain, |p| p.mail_domains)
}

/// The provider whose servers `host` (HELO, rDNS, `by`) names: one
/// registrable-domain lookup, not one a provider.
pub(crate) fn by_host(host: &str) -> Option<&'static Provider> {
    find(host, |p| p.infra_domains)
}

/// The provider a host name (a HELO) claims: the first whose servers or
/// mail domains its registrable domain is.
pub(crate) fn claimed_by_name(host: &str) -> Option<&'static Provider> {
    with_registrable(host, |reg| {
        PROVIDERS
            .iter()
            .find(|p| p.infra_domains.contains(&reg) || p.mail_domains.contains(&reg))
    })
    .flatten()
}

/// The provider whose Message-IDs end in `host`.
pub(crate) fn by_msgid_domain(host: &str) -> Option<&'static Provider> {
    find(host, |p| p.msgid_domains)
}

impl Provider {
    /// Does the host name `host` (HELO, rDNS, `by`) belong to this provider?
    pub(crate) fn runs_host(&self, host: &str) -> bool {
        with_registrable(host, |r| self.infra_domains.contains(&r)) == Some(true)
    }

    /// Is `domain` (an address domain) one of this provider's?
    pub(crate) fn owns_mail_domain(&self, domain: &str) -> bool {
        with_registrable(domain, |r| {
            self.mail_domains.contains(&r) || self.infra_domains.contains(&r)
        }) == Some(true)
    }
}

/// A mailbox host: whose servers a trusted region may be when the user
/// gave no `--trusted` (the recipient's mailbox is hosted there). Matched
/// on name suffixes of the trusted receivers (`by`, recorded rDNS).
#[derive(Debug)]
pub(crate) struct MailboxHost {
    /// The name a report uses.
    pub name: &'static str,
    /// The name when the recipient's address is one of `consumer_domains`
    /// (Outlook.com rather than Microsoft 365).
    pub consumer_name: &'static str,
    /// Host name suffixes (a dot boundary is required) of its receivers.
    pub host_suffixes: &'static [&'static str],
    /// Registrable domains of its consumer mailboxes.
    pub consumer_domains: &'static [&'static str],
}

/// Mailbox hosts. Suffixes are the names their receiving servers write in
/// `by` (as seen in the corpus and the providers' own headers).
pub(crate) static MAILBOX_HOSTS: &[MailboxHost] = &[
    MailboxHost {
        name: "Microsoft 365",
        consumer_name: "Outlook.com",
        // Exchange Online Protection's front ends (`*.mail.protection.outlook.com`,
        // `*.eop-nam12.prod.protection.outlook.com`), the mailbox servers
        // (`*.namprd19.prod.outlook.com`) and the older forest names.
        host_suffixes: &[
            "protection.outlook.com",
            "prod.outlook.com",
            "outlook.office365.com",
            "prod.exchangelabs.com",
            "exchangelabs.com",
            "phx.gbl",
            "hotmail.com",
            "outlook.com",
        ],
        consumer_domains: &[
            "hotmail.com",
            "hotmail.co.uk",
            "hotmail.fr",
            "hotmail.de",
            "hotmail.it",
            "hotmail.es",
            "outlook.com",
            "outlook.fr",
            "outlook.de",
            "live.com",
            "live.co.uk",
            "live.fr",
            "msn.com",
        ],
    },
    MailboxHost {
        name: "Google Workspace",
        consumer_name: "Gmail",
        // `mx.google.com`, `mx.googlemail.com`; the internal hops carry
        // no name or `*.google.com`.
        host_suffixes: &["google.com", "gmail.com", "googlemail.com"],
        consumer_domains: &["gmail.com", "googlemail.com"],
    },
    MailboxHost {
        name: "Yahoo Mail",
        consumer_name: "Yahoo Mail",
        host_suffixes: &["yahoo.com", "yahoodns.net", "yahoo.net", "yahoo.co.jp"],
        consumer_domains: &[],
    },
    MailboxHost {
        name: "AOL Mail",
        consumer_name: "AOL Mail",
        host_suffixes: &["aol.com", "aol.net"],
        consumer_domains: &[],
    },
    MailboxHost {
        name: "iCloud Mail",
        consumer_name: "iCloud Mail",
        host_suffixes: &["icloud.com", "me.com", "mac.com", "apple.com"],
        consumer_domains: &[],
    },
    MailboxHost {
        name: "Fastmail",
        consumer_name: "Fastmail",
        host_suffixes: &["messagingengine.com", "fastmail.com", "fastmail.fm"],
        consumer_domains: &[],
    },
    MailboxHost {
        name: "Proton Mail",
        consumer_name: "Proton Mail",
        host_suffixes: &["protonmail.ch", "proton.ch", "protonmail.com", "proton.me"],
        consumer_domains: &[],
    },
    MailboxHost {
        name: "GMX / WEB.DE",
        consumer_name: "GMX / WEB.DE",
        host_suffixes: &["gmx.net", "gmx.com", "gmx.de", "web.de", "ui-portal.de"],
        consumer_domains: &[],
    },
    MailboxHost {
        name: "Mail.ru",
        consumer_name: "Mail.ru",
        host_suffixes: &["mail.ru"],
        consumer_domains: &[],
    },
    MailboxHost {
        name: "Yandex Mail",
        consumer_name: "Yandex Mail",
        host_suffixes: &["yandex.net", "yandex.ru", "yandex.com"],
        consumer_domains: &[],
    },
    MailboxHost {
        name: "Zoho Mail",
        consumer_name: "Zoho Mail",
        host_suffixes: &["zoho.com", "zohomail.com", "zoho.eu"],
        consumer_domains: &[],
    },
];

/// Is `host` the (lower-case) `suffix` or a name below it, in any case?
fn under(host: &[u8], suffix: &str) -> bool {
    let s = suffix.as_bytes();
    host.len() >= s.len()
        && host[host.len() - s.len()..].eq_ignore_ascii_case(s)
        && (host.len() == s.len() || host[host.len() - s.len() - 1] == b'.')
}

/// The mailbox host whose receiving servers are named `host`.
pub(crate) fn mailbox_host(host: &str) -> Option<&'static MailboxHost> {
    let h = host.trim().trim_end_matches('.').as_bytes();
    MAILBOX_HOSTS
        .iter()
        .find(|m| m.host_suffixes.iter().any(|s| under(h, s)))
}

impl MailboxHost {
    /// Its name for a recipient at `recipient_domain`, when known.
    pub(crate) fn name_for(&self, recipient_domain: Option<&str>) -> &'static str {
        let consumer = recipient_domain
            .and_then(|d| with_registrable(d, |r| self.consumer_domains.contains(&r)))
            == Some(true);
        if consumer {
            self.consumer_name
        } else {
            self.name
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        assert_eq!(
            by_mail_domain("hotmail.com").map(|p| p.name),
            Some("hotmail")
        );
        assert_eq!(by_mail_domain("Yahoo.CO.UK").map(|p| p.name), Some("yahoo"));
        assert_eq!(by_mail_domain("example.com").map(|p| p.name), None);
        assert_eq!(
            by_msgid_domain("mail.gmail.com").map(|p| p.name),
            Some("gmail")
        );
        assert_eq!(
            by_msgid_domain("BAY4-F12.phx.gbl").map(|p| p.name),
            Some("hotmail")
        );
        let hotmail = by_mail_domain("hotmail.com").unwrap();
        assert!(hotmail.runs_host("mail-dm6nam10on2070.outbound.protection.outlook.com"));
        assert!(!hotmail.runs_host("mail.everfaster.com"));
        let eop = mailbox_host("MW2NAM12FT110.mail.protection.outlook.com").unwrap();
        assert_eq!(eop.name_for(Some("example.org")), "Microsoft 365");
        assert_eq!(eop.name_for(Some("hotmail.com")), "Outlook.com");
        assert_eq!(
            mailbox_host("mx.google.com").map(|m| m.name_for(Some("gmail.com"))),
            Some("Gmail")
        );
        assert!(mailbox_host("notgoogle.com").is_none());
        assert!(mailbox_host("mx.example.org").is_none());
    }
}
