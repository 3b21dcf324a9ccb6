//! The body of a message (issue 17): the MIME parts decoded by mail-parser
//! (base64, quoted-printable, charsets), bounded in depth, parts and
//! decoded bytes, each cap reported when reached; the URLs of the text and
//! HTML parts ([`urls`]) and the attachments as indicators ([`attach`]).
//! Nested messages (`message/rfc822`) are not walked here: with `--unwrap
//! auto` they are traced as messages of their own (`input::unwrap`).

pub mod attach;
pub mod urls;

use crate::input::unwrap::parse_mime;
use crate::model::{Body, BodyLimit};
use mail_parser::{Message, MimeHeaders, PartType};

/// Caps of one body walk.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Multipart nesting followed.
    pub depth: usize,
    /// Parts looked at.
    pub parts: usize,
    /// Decoded bytes looked at.
    pub decoded_bytes: usize,
    /// URLs kept.
    pub urls: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            depth: 12,
            parts: 200,
            decoded_bytes: 8 << 20,
            urls: 200,
        }
    }
}

/// Walk the body of the message `bytes` (header block, blank line, body).
pub fn analyze(bytes: &[u8], limits: &Limits) -> Body {
    walk(bytes, limits, None)
}

/// An attachment's bytes, for `--extract`: its part path, its file name
/// (unsanitised), its decoded contents.
pub type Extracted = (String, Option<String>, Vec<u8>);

/// The attachments of the message `bytes` with their contents (the same
/// walk and caps as [`analyze`]).
pub fn extract(bytes: &[u8], limits: &Limits) -> Vec<Extracted> {
    let mut out = Vec::new();
    walk(bytes, limits, Some(&mut out));
    out
}

fn walk(bytes: &[u8], limits: &Limits, keep: Option<&mut Vec<Extracted>>) -> Body {
    let mut body = Body::default();
    match parse_mime(bytes) {
        Ok(m) => {
            let mut w = Walk {
                m: &m,
                limits,
                body: &mut body,
                keep,
            };
            w.part(0, "", 0);
        }
        Err(why) => body.parse_failure = Some(why),
    }
    body
}

struct Walk<'a, 'x> {
    m: &'a Message<'x>,
    limits: &'a Limits,
    body: &'a mut Body,
    keep: Option<&'a mut Vec<Extracted>>,
}

impl Walk<'_, '_> {
    fn limit(&mut self, name: &str, max: usize) {
        if !self.body.limits.iter().any(|l| l.limit == name) {
            self.body.limits.push(BodyLimit {
                limit: name.to_string(),
                max,
            });
        }
    }

    fn part(&mut self, id: usize, path: &str, depth: usize) {
        let Some(part) = self.m.parts.get(id) else {
            return;
        };
        if self.body.parts >= self.limits.parts {
            self.limit("parts", self.limits.parts);
            return;
        }
        self.body.parts += 1;
        let leaf = if path.is_empty() { "1" } else { path };
        if let PartType::Multipart(subs) = &part.body {
            if depth >= self.limits.depth {
                self.limit("depth", self.limits.depth);
                return;
            }
            for (i, sub) in subs.iter().enumerate() {
                let p = if path.is_empty() {
                    format!("{}", i + 1)
                } else {
                    format!("{path}.{}", i + 1)
                };
                self.part(*sub as usize, &p, depth + 1);
            }
            return;
        }
        if matches!(part.body, PartType::Message(_)) {
            return;
        }
        let len = part.len();
        if self.body.decoded_bytes + len > self.limits.decoded_bytes {
            self.limit("decoded_bytes", self.limits.decoded_bytes);
            return;
        }
        self.body.decoded_bytes += len;
        let name = part.attachment_name().map(str::to_string);
        let disposition_attachment = part
            .content_disposition()
            .is_some_and(|d| d.ctype().eq_ignore_ascii_case("attachment"));
        let declared = part
            .content_type()
            .map(|c| match c.subtype() {
                Some(s) => format!("{}/{}", c.ctype(), s).to_ascii_lowercase(),
                None => c.ctype().to_ascii_lowercase(),
            })
            .unwrap_or_else(|| "text/plain".to_string());
        let is_attachment = name.is_some() || disposition_attachment;
        match &part.body {
            PartType::Html(html) => {
                let max = self.limits.urls;
                if urls::from_html(html, leaf, &mut self.body.urls, max) {
                    self.limit("urls", max);
                }
            }
            PartType::Text(text) if !is_attachment => {
                let max = self.limits.urls;
                if urls::from_text(text, leaf, &mut self.body.urls, max) {
                    self.limit("urls", max);
                }
            }
            _ => {}
        }
        // Report parts (feedback, delivery status, header blocks) are
        // machine-readable text, not files.
        let report_part = declared.starts_with("message/") || declared == "text/rfc822-headers";
        if !report_part && (is_attachment || matches!(part.body, PartType::Binary(_))) {
            if let Some(k) = self.keep.as_deref_mut() {
                k.push((leaf.to_string(), name.clone(), part.contents().to_vec()));
            }
            let raw = name.as_ref().and_then(|decoded| {
                let header = self
                    .m
                    .raw_message
                    .get(part.raw_header_offset() as usize..part.raw_body_offset() as usize)?;
                attach::raw_name(header).filter(|r| r != decoded)
            });
            let mut a = attach::attachment(name, declared, part.contents(), leaf);
            a.name_raw = raw;
            self.body.attachments.push(a);
        }
    }
}

#[cfg(test)]
mod tests {
    //! The MIME view that input::unwrap hands mail-parser, walked here
    //! (parse reads input, never the other way).
    use super::*;
    use crate::input::{unwrap, RawMessage};
    use crate::model::Source;

    fn msg(header: &str, body: &str) -> RawMessage {
        RawMessage {
            source: Source::file("t.eml"),
            envelope: None,
            header: header.as_bytes().to_vec(),
            body: Some(body.as_bytes().to_vec()),
            size: 0,
        }
    }

    #[test]
    fn the_mime_view_walks_like_the_whole_message() {
        let header = "From: a@example.com\nDate: Mon, 1 Jan 2024 00:00:00 +0000\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\nSubject: =?utf-8?q?x?=";
        let body = "--b\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n<a href=3D\"https://evil.example/x\">www.paypal.com</a>\n--b\nContent-Type: application/octet-stream; name=\"a.exe\"\nContent-Transfer-Encoding: base64\n\nTVqQAAMAAAAEAAAA\n--b--\n";
        let m = msg(header, body);
        let view = unwrap::whole(&m).unwrap();
        assert!(view.starts_with(b"Content-Type: multipart/mixed"));
        let a = analyze(&view, &Default::default());
        let b = analyze(&unwrap::whole_message(&m).unwrap(), &Default::default());
        assert_eq!(a, b);
        assert_eq!(a.urls.len(), 1);
        assert_eq!(a.attachments.len(), 1);
    }

    #[test]
    fn a_two_letter_zone_does_not_eat_the_body() {
        // mail-parser 0.11's date parser reads three bytes for an obsolete
        // zone: `UT` at the end of the last field took the line break, and
        // the body's first paragraph was parsed as header fields. The MIME
        // view hands it no Date field.
        let m = msg(
            "Content-Type: text/plain\nDate: Sun, 25 Aug 2002 16:50:54 UT",
            "see http://first.example/\n\nhttp://second.example/\n",
        );
        let b = analyze(&unwrap::whole(&m).unwrap(), &Default::default());
        assert_eq!(b.decoded_bytes, m.body.as_ref().unwrap().len());
        assert_eq!(b.urls.len(), 2);
    }
}
