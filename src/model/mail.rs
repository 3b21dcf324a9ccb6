//! Does a domain take mail? One rule (RFC 5321 section 5.1, RFC 7505) for
//! the envelope check and the abuse contacts, over lookups in presentation
//! form.

use serde::{Deserialize, Serialize};

/// One answer, in presentation form: an address (`A`/`AAAA`), a name
/// (`PTR`), `PREF EXCHANGE` or just `EXCHANGE` (`MX`), the joined strings
/// of one record (`TXT`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsAnswer {
    Records(Vec<String>),
    /// The name exists but has no record of that type.
    NoRecords,
    /// The name does not exist.
    NxDomain,
    /// No answer (timeout, SERVFAIL, offline): we cannot tell.
    Failed(String),
}

/// Whether a domain accepts mail (RFC 5321 section 5.1, RFC 7505).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailTarget {
    /// An MX record that names a host.
    Mx,
    /// No MX, but the domain has an address of its own.
    Address,
    /// A null MX (RFC 7505): the domain says it takes no mail.
    NullMx,
    /// The name does not exist, or has neither MX nor address.
    NoMail,
    /// The lookups failed or were not made: we cannot tell.
    Unknown,
}

impl MailTarget {
    pub fn takes_mail(self) -> bool {
        matches!(self, MailTarget::Mx | MailTarget::Address)
    }

    /// Judge a domain from its MX answer and, only when it has no MX, its
    /// address answers (`a` is asked first, `aaaa` only when `a` has none).
    pub fn judge(
        mx: &DnsAnswer,
        a: impl FnOnce() -> DnsAnswer,
        aaaa: impl FnOnce() -> DnsAnswer,
    ) -> MailTarget {
        match mx {
            DnsAnswer::Records(r) => {
                let exchanges: Vec<&str> = r
                    .iter()
                    .filter_map(|rec| rec.split_whitespace().last())
                    .collect();
                if exchanges
                    .iter()
                    .any(|x| !x.trim_end_matches('.').is_empty())
                {
                    MailTarget::Mx
                } else if exchanges.is_empty() {
                    MailTarget::Unknown
                } else {
                    MailTarget::NullMx
                }
            }
            DnsAnswer::NxDomain => MailTarget::NoMail,
            DnsAnswer::Failed(_) => MailTarget::Unknown,
            DnsAnswer::NoRecords => {
                let has = |d: &DnsAnswer| matches!(d, DnsAnswer::Records(r) if !r.is_empty());
                let a = a();
                if has(&a) {
                    return MailTarget::Address;
                }
                let aaaa = aaaa();
                if has(&aaaa) {
                    MailTarget::Address
                } else if matches!(a, DnsAnswer::Failed(_)) || matches!(aaaa, DnsAnswer::Failed(_))
                {
                    MailTarget::Unknown
                } else {
                    MailTarget::NoMail
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recs(r: &[&str]) -> DnsAnswer {
        DnsAnswer::Records(r.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn judges_mx_then_addresses() {
        let none = || DnsAnswer::NoRecords;
        let fail = || DnsAnswer::Failed("timeout".into());
        assert_eq!(
            MailTarget::judge(&recs(&["10 mx.example.org."]), none, none),
            MailTarget::Mx
        );
        assert_eq!(
            MailTarget::judge(&recs(&["0 ."]), none, none),
            MailTarget::NullMx
        );
        assert_eq!(
            MailTarget::judge(&DnsAnswer::NxDomain, none, none),
            MailTarget::NoMail
        );
        assert_eq!(
            MailTarget::judge(&DnsAnswer::NoRecords, none, none),
            MailTarget::NoMail
        );
        let v6 = || recs(&["2001:db8::25"]);
        assert_eq!(
            MailTarget::judge(&DnsAnswer::NoRecords, none, v6),
            MailTarget::Address
        );
        assert_eq!(
            MailTarget::judge(&DnsAnswer::NoRecords, none, fail),
            MailTarget::Unknown
        );
        assert_eq!(
            MailTarget::judge(&DnsAnswer::NoRecords, fail, none),
            MailTarget::Unknown
        );
        assert_eq!(MailTarget::judge(&fail(), none, none), MailTarget::Unknown);
        // AAAA is not asked when A answers.
        let a = || recs(&["192.0.2.25"]);
        let unasked = || -> DnsAnswer { panic!("AAAA asked") };
        assert_eq!(
            MailTarget::judge(&DnsAnswer::NoRecords, a, unasked),
            MailTarget::Address
        );
    }
}
