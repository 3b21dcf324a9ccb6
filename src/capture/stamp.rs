//! The headers we add to each stored message: a Return-Path with the
//! envelope sender and a Received header that can be trusted (it records
//! the socket's peer address, not what the client claimed).

use crate::util::sanitize::for_header;
use std::net::IpAddr;

/// What the session knows about one transaction.
pub(crate) struct Envelope<'a> {
    pub peer: IpAddr,
    pub helo: &'a str,
    pub hostname: &'a str,
    /// "SMTP", "ESMTP" or "ESMTPS".
    pub protocol: &'a str,
    pub id: &'a str,
    pub sender: &'a str,
    pub recipients: &'a [String],
    /// Unix seconds.
    pub time: i64,
}

/// A HELO name fit for our header: at most 64 characters from the set a
/// host name or address literal uses; anything else becomes `_`.
pub(crate) fn sanitize_helo(helo: &str) -> String {
    let s: String = helo
        .chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() {
        "unknown".into()
    } else {
        s
    }
}

/// An address for `<...>` in a header: no controls, no angle brackets.
/// A quoted local part (`"john smith"@example.org`) keeps its quotes and
/// the spaces inside them: without them it names another mailbox.
fn address(a: &str) -> String {
    let mut quoted = false;
    let mut escaped = false;
    for_header(a)
        .chars()
        .filter(|c| {
            let keep = match c {
                '<' | '>' => false,
                ' ' => quoted,
                _ => true,
            };
            match c {
                '\\' if quoted && !escaped => escaped = true,
                '"' if !escaped => {
                    quoted = !quoted;
                    escaped = false;
                }
                _ => escaped = false,
            }
            keep
        })
        .take(256)
        .collect()
}

/// The address literal for a peer: `[192.0.2.1]` or `[IPv6:2001:db8::1]`.
pub(crate) fn ip_literal(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => format!("[{v4}]"),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => format!("[{v4}]"),
            None => format!("[IPv6:{v6}]"),
        },
    }
}

/// `Return-Path:` and `Received:` lines, CRLF-terminated, to put on top.
pub(crate) fn headers(e: &Envelope) -> Vec<u8> {
    let date = mail_parser::DateTime::from_timestamp(e.time).to_rfc822();
    // `for` only with a single recipient: naming all would disclose Bccs.
    let for_clause = match e.recipients {
        [one] => format!("\r\n\tfor <{}>", address(one)),
        _ => String::new(),
    };
    format!(
        "Return-Path: <{sender}>\r\n\
         Received: from {helo} ({ip})\r\n\tby {host} (spamtrace) with {proto} id {id}{for_clause};\r\n\t{date}\r\n",
        sender = address(e.sender),
        helo = sanitize_helo(e.helo),
        ip = ip_literal(e.peer),
        host = sanitize_helo(e.hostname),
        proto = e.protocol,
        id = e.id,
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helo_cannot_inject_lines() {
        let h = sanitize_helo("evil\r\nX-Injected: 1 (spoof [1.2.3.4])");
        assert!(!h.contains('\r') && !h.contains(' ') && !h.contains('('));
        assert_eq!(sanitize_helo(""), "unknown");
        assert_eq!(sanitize_helo(&"a".repeat(500)).len(), 64);
    }

    #[test]
    fn ipv6_literal() {
        assert_eq!(
            ip_literal("2001:db8::1".parse().unwrap()),
            "[IPv6:2001:db8::1]"
        );
        assert_eq!(
            ip_literal("::ffff:192.0.2.1".parse().unwrap()),
            "[192.0.2.1]"
        );
        assert_eq!(ip_literal("192.0.2.1".parse().unwrap()), "[192.0.2.1]");
    }

    #[test]
    fn stamp_is_well_formed() {
        let rcpts = vec!["a@b.example".to_string()];
        let h = headers(&Envelope {
            peer: "192.0.2.7".parse().unwrap(),
            helo: "client.example",
            hostname: "trap.example.org",
            protocol: "ESMTP",
            id: "ID1",
            sender: "s@x.example\r\nBcc: y",
            recipients: &rcpts,
            time: 0,
        });
        let s = String::from_utf8(h).unwrap();
        assert!(s.starts_with("Return-Path: <s@x.exampleBcc:y>\r\nReceived: from client.example ([192.0.2.7])\r\n\tby trap.example.org"));
        assert!(s.contains("for <a@b.example>;"));
        assert!(s.ends_with("1970 00:00:00 +0000\r\n"), "{s}");
        // every line but continuation lines is a header
        assert_eq!(s.matches("\r\n").count(), 5);
    }
}
