//! One Received header -> one [`Hop`], on top of mail-parser's tokenizer.
//!
//! FIRST CUT: a thin wrapper; the normalisation of mail-parser's quirks
//! (Exim rDNS/HELO, bracketed literals, qmail, unknown `with`...) lands next.

use crate::model::{FromPart, Hop, HopKind, Timestamp};
use mail_parser::parsers::MessageStream;
use mail_parser::{HeaderValue, Host};

/// Parse the raw (possibly folded) value of the Received header at `index`.
pub fn parse(index: usize, value: &[u8]) -> Hop {
    let raw = crate::headers::unfold(value);
    let mut unfolded = raw.clone().into_bytes();
    unfolded.extend_from_slice(b"\r\n");
    let parsed = MessageStream::new(&unfolded).parse_received();
    let HeaderValue::Received(r) = parsed else {
        let mut hop = Hop::new(index, HopKind::Unparsed, raw);
        hop.unparsed_reason = Some("not a Received header mail-parser understands".into());
        return hop;
    };
    let host = |h: &Option<Host>| {
        h.as_ref().map(|h| match h {
            Host::Name(n) => n.trim_end_matches('.').to_ascii_lowercase(),
            Host::IpAddr(ip) => format!("[{ip}]"),
        })
    };
    let ip = r.from_ip;
    let kind = if ip.is_some() {
        HopKind::Relay
    } else if r.from.is_none() {
        HopKind::Local
    } else {
        HopKind::NoIp
    };
    let mut hop = Hop::new(index, kind, raw);
    hop.from = FromPart {
        helo: host(&r.from),
        rdns: r
            .from_iprev
            .as_ref()
            .map(|s| s.trim_end_matches('.').to_ascii_lowercase()),
        ip,
        ident: r.ident.as_ref().map(|s| s.to_string()),
    };
    hop.by = host(&r.by);
    hop.with = r.with.as_ref().map(|p| format!("{p:?}"));
    hop.id = r.id.as_ref().map(|s| s.to_string());
    hop.for_ = r.for_.as_ref().map(|s| s.to_string());
    hop.tls = r.tls_version.is_some();
    hop.timestamp = r.date.as_ref().map(|d| Timestamp {
        utc: d.to_timezone(0).to_rfc3339(),
        epoch: d.to_timestamp(),
        original: String::new(),
    });
    hop
}
