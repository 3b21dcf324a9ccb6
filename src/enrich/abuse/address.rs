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

/// The longest display name we accept for `--reporter`, in characters.
const MAX_NAME: usize = 128;

/// Why a value is not one safe mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BadMailbox {
    #[error("control characters (CR, LF, TAB...) are not allowed")]
    Control,
    #[error("not a plain address")]
    NotPlain,
    #[error("unterminated quoted name")]
    Unterminated,
    #[error("a '>' without '<'")]
    NoOpeningBracket,
    #[error("{0:?} in the name: quote it (\"Doe, Jane\" <jane@example.org>)")]
    Special(char),
    #[error("expected one <address> after the name, and nothing after it")]
    NotOneAddress,
    #[error("the part in <...> is not a plain address")]
    InnerNotPlain,
    #[error("the name is longer than {MAX_NAME} characters")]
    NameTooLong,
}

/// A reporter's mailbox (`--reporter`): a plain address and, when given,
/// the display name of an RFC 5322 `name-addr` (`Jane Doe <jane@x.org>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    /// Unquoted and unescaped, whitespace collapsed; `None` when absent.
    pub name: Option<String>,
    /// A plain address ([`is_safe`]), domain lowercased.
    pub address: String,
}

impl Mailbox {
    /// Parse one mailbox: `jane@x.org`, `<jane@x.org>`, `Jane Doe
    /// <jane@x.org>` or `"Doe, Jane" <jane@x.org>`. Refused: any control
    /// character (CR/LF would start a new header), more than one address
    /// (commas, a second `<...>`, an unquoted `,;:@` in the name), comments,
    /// anything after the `>`, and an address that is not plain.
    pub fn parse(input: &str) -> Result<Mailbox, BadMailbox> {
        if input.chars().any(char::is_control) {
            return Err(BadMailbox::Control);
        }
        let s = input.trim();
        if !s.contains(['<', '>']) {
            return clean(s)
                .map(|address| Mailbox {
                    name: None,
                    address,
                })
                .ok_or(BadMailbox::NotPlain);
        }
        // `[phrase] <addr>`: the phrase quoted or a run of words.
        let (name, rest) = if let Some(q) = s.strip_prefix('"') {
            let mut name = String::new();
            let mut chars = q.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => match chars.next() {
                        Some((_, e)) => name.push(e),
                        None => break,
                    },
                    '"' => {
                        end = Some(i + 1);
                        break;
                    }
                    c => name.push(c),
                }
            }
            let end = end.ok_or(BadMailbox::Unterminated)?;
            (name, &q[end..])
        } else {
            let lt = s.find('<').ok_or(BadMailbox::NoOpeningBracket)?;
            let name = &s[..lt];
            if let Some(c) = name.chars().find(|c| "()<>[]:;@\\,\"".contains(*c)) {
                return Err(BadMailbox::Special(c));
            }
            (name.to_string(), &s[lt..])
        };
        let inner = rest
            .trim()
            .strip_prefix('<')
            .and_then(|r| r.strip_suffix('>'))
            .ok_or(BadMailbox::NotOneAddress)?;
        let address = clean(inner).ok_or(BadMailbox::InnerNotPlain)?;
        let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.chars().count() > MAX_NAME {
            return Err(BadMailbox::NameTooLong);
        }
        Ok(Mailbox {
            name: (!name.is_empty()).then_some(name),
            address,
        })
    }

    /// For a header we write (RFC 5322 3.4): the bare address, or
    /// `name <address>` with the name as atoms when it is plain ASCII
    /// words, as a quoted string when it is ASCII with specials, and as
    /// RFC 2047 encoded words (UTF-8, base64) when it is not ASCII.
    pub fn to_header(&self) -> String {
        match &self.name {
            None => self.address.clone(),
            Some(n) => format!("{} <{}>", header_phrase(n), self.address),
        }
    }

    /// For text a person reads (and may paste into a mail client): the
    /// name quoted when it has specials, non-ASCII left as it is.
    pub fn to_text(&self) -> String {
        match &self.name {
            None => self.address.clone(),
            Some(n) => format!("{} <{}>", quoted_phrase(n), self.address),
        }
    }
}

/// RFC 5322 atext.
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c)
}

/// A phrase as atoms when every word is atext, else a quoted string.
fn quoted_phrase(n: &str) -> String {
    if n.split(' ')
        .all(|w| !w.is_empty() && w.chars().all(is_atext))
    {
        return n.to_string();
    }
    let mut q = String::with_capacity(n.len() + 2);
    q.push('"');
    for c in n.chars() {
        if c == '"' || c == '\\' {
            q.push('\\');
        }
        q.push(c);
    }
    q.push('"');
    q
}

/// [`quoted_phrase`] for ASCII names, RFC 2047 encoded words otherwise.
fn header_phrase(n: &str) -> String {
    if n.is_ascii() {
        return quoted_phrase(n);
    }
    // Each encoded word at most 75 characters (RFC 2047 2): `=?UTF-8?B?`
    // and `?=` take 12, leaving 63, so 45 bytes of text (60 in base64),
    // split at character boundaries.
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in n.chars() {
        if chunk.len() + c.len_utf8() > 45 {
            words.push(format!("=?UTF-8?B?{}?=", base64(chunk.as_bytes())));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        words.push(format!("=?UTF-8?B?{}?=", base64(chunk.as_bytes())));
    }
    words.join(" ")
}

fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_of_rfc4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn mailbox_forms_and_how_they_are_written() {
        let m = |s: &str| Mailbox::parse(s).unwrap();
        assert_eq!(m(" jane@Example.ORG ").to_header(), "jane@example.org");
        assert_eq!(m("<jane@example.org>").to_header(), "jane@example.org");
        assert_eq!(
            m("Jane   Doe <jane@example.org>").to_header(),
            "Jane Doe <jane@example.org>"
        );
        assert_eq!(
            m("Jane Q. Doe <jane@example.org>").to_header(),
            "\"Jane Q. Doe\" <jane@example.org>"
        );
        let q = m(r#""Doe, \"JD\" Jane" <jane@example.org>"#);
        assert_eq!(q.name.as_deref(), Some(r#"Doe, "JD" Jane"#));
        assert_eq!(q.to_header(), r#""Doe, \"JD\" Jane" <jane@example.org>"#);
        let u = m("Jürgen Müller <j@example.de>");
        assert_eq!(
            u.to_header(),
            "=?UTF-8?B?SsO8cmdlbiBNw7xsbGVy?= <j@example.de>"
        );
        assert_eq!(u.to_text(), "\"Jürgen Müller\" <j@example.de>");
        // A long non-ASCII name: several encoded words, none over 75.
        let long = m(&format!("{} <j@example.de>", "é".repeat(100)));
        let h = long.to_header();
        assert!(h.split(' ').all(|w| w.len() <= 75), "{h}");
        assert_eq!(h.matches("=?UTF-8?B?").count(), 5, "{h}");
        assert_eq!(m("\"\" <j@example.de>").name, None);
    }

    #[test]
    fn mailbox_refuses_injection_and_lists() {
        for bad in [
            "Jane <j@x.org>\r\nBcc: evil@x.org",
            "j@x.org\nBcc: evil@x.org",
            "Jane\t<j@x.org>",
            "Jane <j@x.org>, evil@x.org",
            "j@x.org, evil@x.org",
            "Jane <j@x.org> <evil@x.org>",
            "Doe, Jane <j@x.org>",
            "a@b.org <j@x.org>",
            "Jane <j@x.org",
            "Jane j@x.org>",
            "\"Jane <j@x.org>",
            "\"Jane\" <j@x.org> trailing",
            "Jane <j@x.org,evil@x.org>",
            "Jane <<j@x.org>>",
            "j@x.org (Jane)",
            "Jane <>",
            "",
            "\u{85}Jane <j@x.org>",
        ] {
            assert!(Mailbox::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Mailbox::parse(&format!("{} <j@x.org>", "a".repeat(200))).is_err());
    }

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
