//! Vendor verdict headers, decoded: what the filters a message passed
//! wrote about it (Microsoft 365, SpamAssassin, rspamd, Proofpoint,
//! Mimecast, Barracuda, Cisco IronPort, Vade/OVH, MailScanner).
//!
//! The decoders are data: [`FAMILIES`] maps a header name to its vendor,
//! the receivers' names that run the product, and a decode function over
//! field tables (docs/vendor-headers.md names the public source of every
//! field's meaning). Which hop wrote a header, and whether it is believed,
//! is the checks' business (checks::vendor). No trust, no DNS.

mod microsoft;
pub(crate) mod others;
pub(crate) mod spamassassin;
pub mod tls;

use crate::model::VendorClass;
use std::collections::BTreeMap;
use std::net::IpAddr;

pub use others::decode_spamcause;
pub use spamassassin::RECEIVED_RULES;

/// At most this many bytes of a header value are decoded.
pub const MAX_VALUE: usize = 16 * 1024;
/// At most this many fields are kept per header.
pub const MAX_FIELDS: usize = 64;
/// At most this many characters of a field value are kept.
const MAX_FIELD_CHARS: usize = 512;

/// One header, decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    pub vendor: &'static str,
    pub fields: BTreeMap<String, String>,
    pub verdict: Option<VendorClass>,
    pub meaning: Vec<String>,
    /// Every field known and its value understood.
    pub complete: bool,
    /// The connecting IP the header names (CIP, X-IronPort-RemoteIP, ...).
    pub names_ip: Option<IpAddr>,
    /// The host the header names as the scanner (`on host` in
    /// X-Spam-Checker-Version, X-Rspamd-Server, AuthSource).
    pub names_host: Option<String>,
}

impl Decoded {
    pub(crate) fn new(vendor: &'static str) -> Decoded {
        Decoded {
            vendor,
            fields: BTreeMap::new(),
            verdict: None,
            meaning: Vec::new(),
            complete: true,
            names_ip: None,
            names_host: None,
        }
    }

    /// Keep a field (bounded, sanitised for terminals).
    pub(crate) fn field(&mut self, key: &str, value: &str) {
        if self.fields.len() >= MAX_FIELDS {
            self.complete = false;
            return;
        }
        // At most MAX_FIELD_CHARS characters (a value of no more bytes
        // than that has no more characters).
        let v = if value.len() <= MAX_FIELD_CHARS {
            value
        } else {
            match value.char_indices().nth(MAX_FIELD_CHARS) {
                Some((end, _)) => &value[..end],
                None => value,
            }
        };
        self.fields.insert(clean(key), clean(v));
    }

    /// A field the tables do not know: kept, and the decode is partial.
    pub(crate) fn unknown(&mut self, key: &str, value: &str) {
        self.complete = false;
        self.field(key, value);
    }

    pub(crate) fn say(&mut self, m: String) {
        if self.meaning.len() < MAX_FIELDS {
            self.meaning.push(if printable_ascii(&m) {
                m
            } else {
                crate::util::sanitize::for_terminal(&m)
            });
        }
    }

    /// Raise the verdict: the worst class a field states wins.
    pub(crate) fn classify(&mut self, c: Option<VendorClass>) {
        if let Some(c) = c {
            if self.verdict.is_none_or(|v| c > v) {
                self.verdict = Some(c);
            }
        }
    }
}

/// Printable ASCII only: text [`crate::util::sanitize::for_terminal`]
/// leaves as it is (the usual case for a filter's fields).
fn printable_ascii(s: &str) -> bool {
    s.bytes().all(|b| (b' '..=b'~').contains(&b))
}

/// Text safe for a terminal, copied once.
fn clean(s: &str) -> String {
    if printable_ascii(s) {
        s.to_string()
    } else {
        crate::util::sanitize::for_terminal(s)
    }
}

/// `key<kv>value<sep>key<kv>value...`, trimmed, empty elements skipped,
/// at most [`MAX_FIELDS`] elements.
pub(crate) struct Kv<'a> {
    parts: std::iter::Take<std::str::Split<'a, char>>,
    kv: char,
}

impl<'a> Kv<'a> {
    pub(crate) fn new(value: &'a str, sep: char, kv: char) -> Kv<'a> {
        Kv {
            parts: value.split(sep).take(MAX_FIELDS * 2),
            kv,
        }
    }
}

impl Iterator for Kv<'_> {
    type Item = (String, String);
    fn next(&mut self) -> Option<(String, String)> {
        for p in self.parts.by_ref() {
            let p = p.trim();
            if p.is_empty() {
                continue;
            }
            let (k, v) = p.split_once(self.kv).unwrap_or((p, ""));
            return Some((k.trim().to_string(), v.trim().to_string()));
        }
        None
    }
}

/// One header family: the header, the product, who runs it, the decoder.
pub struct Family {
    /// The header name, lower case.
    pub header: &'static str,
    pub vendor: &'static str,
    /// Name suffixes of the receivers that run the product: a copy of this
    /// header below the trust boundary of a message such receivers took in
    /// imitates them (the product strips or renames incoming copies).
    pub receivers: &'static [&'static str],
    /// Microsoft renamed it: another tenant's verdict, never the receiver's.
    pub renamed_untrusted: bool,
    pub decode: fn(&str) -> Decoded,
}

const MICROSOFT: &[&str] = &[
    "outlook.com",
    "office365.com",
    "hotmail.com",
    "exchangelabs.com",
    "outlook.office365.com",
];
const PROOFPOINT: &[&str] = &["pphosted.com", "ppops.net"];
const MIMECAST: &[&str] = &["mimecast.com", "mimecast-offshore.com"];
const BARRACUDA: &[&str] = &["barracudanetworks.com", "barracuda.com", "cudamail.com"];
const IRONPORT: &[&str] = &["iphmx.com"];
const VADE: &[&str] = &["ovh.net", "vadesecure.com", "vade.com"];

macro_rules! fam {
    ($h:literal, $v:literal, $r:expr, $u:literal, $d:expr) => {
        Family {
            header: $h,
            vendor: $v,
            receivers: $r,
            renamed_untrusted: $u,
            decode: $d,
        }
    };
}

/// Every decoded header.
pub const FAMILIES: &[Family] = &[
    fam!(
        "x-forefront-antispam-report",
        "microsoft",
        MICROSOFT,
        false,
        microsoft::forefront
    ),
    fam!(
        "x-forefront-antispam-report-untrusted",
        "microsoft",
        MICROSOFT,
        true,
        microsoft::forefront
    ),
    fam!(
        "x-microsoft-antispam",
        "microsoft",
        MICROSOFT,
        false,
        microsoft::antispam
    ),
    fam!(
        "x-microsoft-antispam-untrusted",
        "microsoft",
        MICROSOFT,
        true,
        microsoft::antispam
    ),
    fam!(
        "x-microsoft-antispam-mailbox-delivery",
        "microsoft",
        MICROSOFT,
        false,
        microsoft::mailbox_delivery
    ),
    fam!(
        "x-ms-exchange-organization-scl",
        "microsoft",
        MICROSOFT,
        false,
        microsoft::org_scl
    ),
    fam!(
        "x-ms-exchange-organization-pcl",
        "microsoft",
        MICROSOFT,
        false,
        microsoft::org_pcl
    ),
    fam!(
        "x-ms-exchange-organization-authas",
        "microsoft",
        MICROSOFT,
        false,
        microsoft::auth_as
    ),
    fam!(
        "x-ms-exchange-organization-authsource",
        "microsoft",
        MICROSOFT,
        false,
        microsoft::auth_source
    ),
    fam!(
        "x-ms-exchange-organization-messagedirectionality",
        "microsoft",
        MICROSOFT,
        false,
        microsoft::directionality
    ),
    fam!(
        "x-ms-exchange-organization-network-message-id",
        "microsoft",
        MICROSOFT,
        false,
        microsoft::network_message_id
    ),
    fam!(
        "x-ms-exchange-transport-endtoendlatency",
        "microsoft",
        MICROSOFT,
        false,
        microsoft::end_to_end_latency
    ),
    fam!(
        "x-spam-status",
        "spamassassin",
        &[],
        false,
        spamassassin::status
    ),
    fam!(
        "x-spam-flag",
        "spamassassin",
        &[],
        false,
        spamassassin::flag
    ),
    fam!(
        "x-spam-level",
        "spamassassin",
        &[],
        false,
        spamassassin::level
    ),
    fam!(
        "x-spam-report",
        "spamassassin",
        &[],
        false,
        spamassassin::report
    ),
    fam!(
        "x-spam-checker-version",
        "spamassassin",
        &[],
        false,
        spamassassin::checker_version
    ),
    fam!("x-spamd-result", "rspamd", &[], false, others::spamd_result),
    fam!("x-rspamd-score", "rspamd", &[], false, others::rspamd_score),
    fam!(
        "x-rspamd-action",
        "rspamd",
        &[],
        false,
        others::rspamd_action
    ),
    fam!(
        "x-rspamd-server",
        "rspamd",
        &[],
        false,
        others::rspamd_server
    ),
    fam!(
        "x-proofpoint-spam-details",
        "proofpoint",
        PROOFPOINT,
        false,
        others::proofpoint
    ),
    fam!(
        "x-mimecast-spam-score",
        "mimecast",
        MIMECAST,
        false,
        others::mimecast_score
    ),
    fam!(
        "x-mimecast-spam-signature",
        "mimecast",
        MIMECAST,
        false,
        others::mimecast_signature
    ),
    fam!(
        "x-mimecast-impersonation-protect",
        "mimecast",
        MIMECAST,
        false,
        others::mimecast_impersonation
    ),
    fam!(
        "x-barracuda-spam-score",
        "barracuda",
        BARRACUDA,
        false,
        others::barracuda_score
    ),
    fam!(
        "x-barracuda-spam-status",
        "barracuda",
        BARRACUDA,
        false,
        others::barracuda_status
    ),
    fam!(
        "x-barracuda-spam-report",
        "barracuda",
        BARRACUDA,
        false,
        others::barracuda_report
    ),
    fam!(
        "x-barracuda-apparent-source-ip",
        "barracuda",
        BARRACUDA,
        false,
        others::named_ip
    ),
    fam!(
        "x-ironport-anti-spam-filtered",
        "ironport",
        IRONPORT,
        false,
        others::ironport_filtered
    ),
    fam!(
        "x-ironport-anti-spam-result",
        "ironport",
        IRONPORT,
        false,
        others::ironport_result
    ),
    fam!(
        "x-ironport-remoteip",
        "ironport",
        IRONPORT,
        false,
        others::named_ip
    ),
    fam!("x-sbrs", "ironport", IRONPORT, false, others::sbrs),
    fam!("x-vr-spamcause", "vade", VADE, false, others::spamcause),
    fam!("x-ovh-spamcause", "vade", VADE, false, others::spamcause),
    fam!("x-vr-spamstate", "vade", VADE, false, others::vade_state),
    fam!("x-vr-spamscore", "vade", VADE, false, others::vade_score),
    fam!(
        "x-mailscanner-spamcheck",
        "mailscanner",
        &[],
        false,
        others::mailscanner_spamcheck
    ),
];

/// The family of a header name.
pub fn family(name: &str) -> Option<&'static Family> {
    // Every family's header is an `X-` header: most names of a message
    // are not, and need no scan of the table.
    let b = name.as_bytes();
    if b.len() < 2 || !b[..2].eq_ignore_ascii_case(b"x-") {
        return None;
    }
    FAMILIES
        .iter()
        .find(|f| f.header.eq_ignore_ascii_case(name))
}

/// Decode one header (`None` for a header no family decodes). The
/// Authentication-Results of Exchange Online carries `compauth=`.
pub fn decode(name: &str, value: &str) -> Option<Decoded> {
    let value = bounded(value);
    if name.eq_ignore_ascii_case("authentication-results") {
        return microsoft::compauth(value);
    }
    family(name).map(|f| (f.decode)(value))
}

/// The value cut at [`MAX_VALUE`] bytes, on a character boundary.
fn bounded(value: &str) -> &str {
    if value.len() <= MAX_VALUE {
        return value;
    }
    let mut end = MAX_VALUE;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    &value[..end]
}

/// The SCL table in words, for other stages.
pub fn scl_words(v: &str) -> Option<String> {
    microsoft::scl(v).map(|(m, _)| m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_header_has_one_family_and_decoding_never_panics() {
        for f in FAMILIES {
            assert_eq!(f.header, f.header.to_ascii_lowercase());
            assert!(f.header.starts_with("x-"), "family() skips other names");
            assert_eq!(
                family(&f.header.to_ascii_uppercase()).map(|g| g.header),
                Some(f.header)
            );
            assert_eq!(FAMILIES.iter().filter(|g| g.header == f.header).count(), 1);
            for v in ["", ";;;", ":", "\u{202e}x:y", &"A:".repeat(10_000), "é;é:é"] {
                let d = decode(f.header, v).unwrap();
                assert!(d.fields.len() <= MAX_FIELDS);
                assert!(d.fields.values().all(|v| !v.contains('\u{202e}')));
            }
        }
        assert!(decode("subject", "x").is_none());
    }
}
