//! Reported messages: the messages a wrapper carries (issue 17). A user's
//! "forward as attachment" (Outlook, Gmail, Thunderbird: a `message/rfc822`
//! part, or several) and an RFC 5965 feedback report (`multipart/report;
//! report-type=feedback-report`, the original as `message/rfc822` or
//! `text/rfc822-headers`) each yield their inner messages, traced as
//! messages of their own: the `Source` names the wrapper's path and index,
//! the inner message's MIME part path, and what the wrapper says
//! ([`ReportedBy`]). Delivery-status reports (bounces) and digests are not
//! reports of abuse and are left alone.
//!
//! The MIME parser is mail-parser; its `MessageParser::parse` panics on some
//! malformed messages ("Invalid part ID" on two corpus messages), so every
//! call goes through [`parse_mime`], which contains the panic.

use super::reader::{MessageReader, Mode};
use super::{InputError, InputOptions, Messages, RawMessage};
use crate::model::{ReportedBy, WrapperKind};
use mail_parser::{Message, MessageParser, MessagePart, MimeHeaders, PartType};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::LazyLock;

/// Wrappers inside wrappers followed at most this deep.
pub const MAX_DEPTH: usize = 3;
/// Inner messages taken from one wrapper, at most.
pub const MAX_INNER: usize = 16;
/// MIME nesting mail-parser is asked to follow.
pub const MIME_DEPTH: usize = 16;

/// mail-parser parses the MIME fields (Content-Type, Content-Disposition,
/// Content-Transfer-Encoding, ...) and skips every other field: none is
/// read from its parse (`header_raw`, the bytes as written, is all
/// [`inner_messages`] asks of the wrapper's From, Date, Subject and
/// Message-ID). Skipping is cheaper than a raw parse, and it spares the
/// fields mail-parser parses wrongly: its date parser takes the line break
/// after a two-letter zone (`UT`), and the next line became a field.
static PARSER: LazyLock<MessageParser> = LazyLock::new(|| {
    MessageParser::new()
        .with_mime_headers()
        .default_header_ignore()
});

/// Names a nested message anywhere: the cheap test before a MIME parse.
/// (A scan for `822` and for `/` cost more than this regex: `/` is
/// everywhere in base64.)
static NAMES_NESTED: LazyLock<regex::bytes::Regex> = LazyLock::new(|| {
    regex::bytes::Regex::new(r"(?i-u)message/rfc822|rfc822-headers|message/global")
        .expect("nested-message regex")
});

/// Parse a whole message with mail-parser, the panic contained: `Err`
/// says why there is no parse.
pub fn parse_mime(bytes: &[u8]) -> Result<Message<'_>, String> {
    quiet_parser_panics();
    match catch_unwind(AssertUnwindSafe(|| PARSER.parse(bytes))) {
        Ok(Some(m)) => Ok(m),
        Ok(None) => Err("the MIME parser found no message".to_string()),
        Err(p) => {
            let why = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown".to_string());
            Err(format!("the MIME parser panicked: {why}"))
        }
    }
}

/// The default panic hook prints every panic to stderr, caught or not:
/// for mail-parser's (caught here, reported as a finding) it would print a
/// backtrace per malformed message. This hook skips panics raised inside
/// mail-parser and hands every other one to the previous hook.
fn quiet_parser_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_parser = info
                .location()
                .is_some_and(|l| l.file().contains("mail-parser-"));
            if !in_parser {
                previous(info);
            }
        }));
    });
}

/// The message as the MIME walk reads it (`parse::mime::analyze`,
/// `--extract`): the header fields mail-parser's MIME parse reads (every
/// `Content-*` field, in order), blank line, body. The other header fields
/// (Received, DKIM-Signature, the filters' verdicts: most of a header block)
/// are left out, not handed to mail-parser to be parsed and never read: that
/// parse was half the cost of a body. The fields are split the way
/// mail-parser splits them ([`mime_fields`]), so the parse sees the same
/// MIME fields and the same body as with the whole header block.
pub fn whole(msg: &RawMessage) -> Option<Vec<u8>> {
    let body = msg.body.as_ref()?;
    let crlf = msg.header.ends_with(b"\r\n");
    let eol: &[u8] = if crlf { b"\r\n" } else { b"\n" };
    let mut header = std::borrow::Cow::Borrowed(&msg.header[..]);
    if !msg.header.ends_with(b"\n") {
        header.to_mut().extend_from_slice(eol);
    }
    header.to_mut().extend_from_slice(eol);
    let (keep, rest) = mime_fields(&header);
    let kept: usize = keep.iter().map(|r| r.len()).sum();
    let mut out = Vec::with_capacity(kept + eol.len() + rest.len() + body.len());
    for r in keep {
        out.extend_from_slice(&header[r]);
    }
    if !rest.is_empty() {
        out.extend_from_slice(&header[rest]);
    } else {
        // No end of the header block for mail-parser: none for it here either.
        out.extend_from_slice(eol);
    }
    out.extend_from_slice(body);
    Some(out)
}

/// The message as one byte string: header block, blank line, body.
pub(crate) fn whole_message(msg: &RawMessage) -> Option<Vec<u8>> {
    let body = msg.body.as_ref()?;
    let mut out = Vec::with_capacity(msg.header.len() + body.len() + 4);
    out.extend_from_slice(&msg.header);
    let crlf = msg.header.ends_with(b"\r\n");
    if !msg.header.ends_with(b"\n") {
        out.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
    }
    out.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
    out.extend_from_slice(body);
    Some(out)
}

/// The header block `h` (ending in a blank line) split the way
/// mail-parser 0.11's `parse_headers` splits it: the byte ranges of the
/// fields whose name (lower case, blanks dropped, as mail-parser reads it)
/// starts with `content-`, and the range from where mail-parser's header
/// block ends (the line break of the first blank or whitespace-only line,
/// and the blanks before it) to the end of `h` (empty when it finds no end). A field runs
/// to the first line break not followed by a space or tab; a line with no
/// `:` after its name is skipped.
pub(crate) fn mime_fields(h: &[u8]) -> (Vec<std::ops::Range<usize>>, std::ops::Range<usize>) {
    let mut keep = Vec::new();
    let mut at = 0;
    loop {
        // Blanks before a field; a line break there ends the block.
        let line = at;
        while at < h.len() && h[at] != b'\n' && h[at].is_ascii_whitespace() {
            at += 1;
        }
        if at >= h.len() {
            return (keep, h.len()..h.len());
        }
        if h[at] == b'\n' {
            return (keep, line..h.len());
        }
        let start = at;
        // The name: up to a `:` after its first non-blank, or a line break.
        let mut name = [0u8; 8];
        let mut name_len = 0;
        let mut colon = None;
        if matches!(h[at], b':' | b'c' | b'C') {
            while at < h.len() {
                let c = h[at];
                at += 1;
                if c == b'\n' {
                    break;
                }
                if c == b':' && name_len > 0 {
                    colon = Some(at);
                    break;
                }
                if c != b':' && !c.is_ascii_whitespace() {
                    if name_len < name.len() {
                        name[name_len] = c.to_ascii_lowercase();
                    }
                    name_len += 1;
                }
            }
        } else {
            // A name character first: the next `:` ends the name, which is
            // no `Content-` one, or a line break ends the line.
            match memchr::memchr2(b':', b'\n', &h[at + 1..]) {
                Some(i) => {
                    at += i + 2;
                    if h[at - 1] == b':' {
                        colon = Some(at);
                    }
                }
                None => at = h.len(),
            }
        }
        if colon.is_none() {
            if at >= h.len() {
                return (keep, h.len()..h.len());
            }
            continue; // no field on this line
        }
        // The value: to a line break not followed by a space or tab.
        loop {
            match memchr::memchr(b'\n', &h[at..]) {
                Some(i) => {
                    at += i + 1;
                    if !matches!(h.get(at), Some(b' ' | b'\t')) {
                        break;
                    }
                    at += 1;
                }
                None => {
                    at = h.len();
                    break;
                }
            }
        }
        if name_len >= 8 && &name == b"content-" {
            keep.push(start..at);
        }
    }
}

/// `messages`, each followed by the messages it carries when it is a
/// forward or a feedback report (`--unwrap auto`).
pub fn expand(messages: Messages, opts: InputOptions) -> Messages {
    Box::new(messages.flat_map(move |item| {
        let mut out = Vec::new();
        if let Ok(m) = &item {
            let inner = inner_messages(m, &opts, 1);
            out.push(item);
            out.extend(inner);
        } else {
            out.push(item);
        }
        out
    }))
}

/// What a feedback report's machine-readable part says.
#[derive(Default)]
struct Feedback {
    feedback_type: Option<String>,
    source_ip: Option<String>,
    user_agent: Option<String>,
    original_mail_from: Option<String>,
    arrival_date: Option<String>,
    reported_domain: Vec<String>,
}

/// A header-field block as (lowercased name, unfolded value) pairs.
fn fields(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
        } else if let Some((n, v)) = line.split_once(':') {
            out.push((n.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    out
}

fn feedback(text: &str) -> Feedback {
    let mut f = Feedback::default();
    for (n, v) in fields(text) {
        match n.as_str() {
            "feedback-type" => f.feedback_type.get_or_insert(v),
            "source-ip" => f.source_ip.get_or_insert(v),
            "user-agent" => f.user_agent.get_or_insert(v),
            "original-mail-from" => f.original_mail_from.get_or_insert(v),
            "arrival-date" | "received-date" => f.arrival_date.get_or_insert(v),
            "reported-domain" => {
                f.reported_domain.push(v);
                continue;
            }
            _ => continue,
        };
    }
    f
}

fn unfold(s: &str) -> String {
    s.split(['\r', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn ctype(part: &MessagePart) -> (String, String) {
    match part.content_type() {
        Some(ct) => (
            ct.ctype().to_ascii_lowercase(),
            ct.subtype().unwrap_or("").to_ascii_lowercase(),
        ),
        None => ("text".into(), "plain".into()),
    }
}

/// A part found to carry a message: its path, its bytes, whether the
/// bytes are only a header block.
struct Carried<'a> {
    path: String,
    bytes: &'a [u8],
    headers_only: bool,
}

/// Walk the parts below `id` (not into nested messages), collecting
/// `message/rfc822` parts and, in a report, `text/rfc822-headers` and the
/// feedback fields.
fn walk<'a>(
    m: &'a Message<'a>,
    id: usize,
    path: &str,
    depth: usize,
    out: &mut Vec<Carried<'a>>,
    fb: &mut Option<String>,
) {
    let Some(part) = m.parts.get(id) else { return };
    if depth > MIME_DEPTH || out.len() >= MAX_INNER {
        return;
    }
    let (t, s) = ctype(part);
    match &part.body {
        PartType::Multipart(subs) => {
            if s == "digest" {
                return;
            }
            for (i, sub) in subs.iter().enumerate() {
                let p = if path.is_empty() {
                    format!("{}", i + 1)
                } else {
                    format!("{path}.{}", i + 1)
                };
                walk(m, *sub as usize, &p, depth + 1, out, fb);
            }
        }
        PartType::Message(inner) => out.push(Carried {
            path: leaf(path),
            bytes: inner.raw_message(),
            headers_only: false,
        }),
        _ if t == "text" && s == "rfc822-headers" => out.push(Carried {
            path: leaf(path),
            bytes: part.contents(),
            headers_only: true,
        }),
        _ if t == "message" && s == "feedback-report" => {
            *fb = Some(String::from_utf8_lossy(part.contents()).into_owned());
        }
        _ => {}
    }
}

fn leaf(path: &str) -> String {
    if path.is_empty() {
        "1".into()
    } else {
        path.to_string()
    }
}

/// The messages `msg` carries, when it is a forward or a feedback report
/// (none otherwise, and none without a body).
pub fn inner_messages(
    msg: &RawMessage,
    opts: &InputOptions,
    depth: usize,
) -> Vec<Result<RawMessage, InputError>> {
    if depth > MAX_DEPTH {
        return Vec::new();
    }
    // Cheap test first: no nested message is named anywhere.
    let Some(body) = msg.body.as_deref() else {
        return Vec::new();
    };
    if !NAMES_NESTED.is_match(body) {
        return Vec::new();
    }
    let Some(bytes) = whole_message(msg) else {
        return Vec::new();
    };
    let Ok(m) = parse_mime(&bytes) else {
        return Vec::new();
    };
    let root = m.root_part();
    let (t, s) = ctype(root);
    let report_type = root
        .content_type()
        .and_then(|c| c.attribute("report-type"))
        .map(|r| r.to_ascii_lowercase());
    let kind = if t == "multipart" && s == "report" {
        if report_type.as_deref() != Some("feedback-report") {
            return Vec::new(); // a bounce or a read receipt
        }
        WrapperKind::FeedbackReport
    } else {
        WrapperKind::Forward
    };
    let mut carried = Vec::new();
    let mut fb_text = None;
    if t == "multipart" {
        walk(&m, 0, "", 0, &mut carried, &mut fb_text);
    } else if let PartType::Message(inner) = &root.body {
        carried.push(Carried {
            path: "1".into(),
            bytes: inner.raw_message(),
            headers_only: false,
        });
    }
    if carried.is_empty() {
        return Vec::new();
    }
    let fb = fb_text.as_deref().map(feedback).unwrap_or_default();
    let raw = |name: &str| m.header_raw(name).map(unfold);
    let base = ReportedBy {
        kind,
        from: raw("From"),
        date: raw("Date"),
        subject: raw("Subject"),
        message_id: raw("Message-ID"),
        received: fields(&String::from_utf8_lossy(&msg.header))
            .into_iter()
            .find(|(n, _)| n == "received")
            .map(|(_, v)| v),
        feedback_type: fb.feedback_type,
        source_ip: fb.source_ip,
        user_agent: fb.user_agent,
        original_mail_from: fb.original_mail_from,
        arrival_date: fb.arrival_date,
        reported_domain: fb.reported_domain,
        headers_only: false,
    };
    let inner_opts = InputOptions {
        keep_body: true,
        ..opts.clone()
    };
    let mut out = Vec::new();
    for c in carried {
        let part_path = match &msg.source.part {
            Some(p) => format!("{p}/{}", c.path),
            None => c.path.clone(),
        };
        let mut rb = base.clone();
        rb.headers_only = c.headers_only;
        let mut source = msg.source.clone();
        source.part = Some(part_path);
        source.reported_by = Some(Box::new(rb));
        let mut bytes = c.bytes.to_vec();
        if c.headers_only && !bytes.ends_with(b"\n\n") && !bytes.ends_with(b"\r\n\r\n") {
            bytes.extend_from_slice(b"\n\n");
        }
        let mut reader = MessageReader::with_mode(
            std::io::Cursor::new(bytes),
            &msg.source.path,
            inner_opts.clone(),
            Mode::Single,
        );
        match reader.next() {
            Some(Ok(mut inner)) => {
                inner.source = source;
                let deeper = inner_messages(&inner, opts, depth + 1);
                out.push(Ok(inner));
                out.extend(deeper);
            }
            Some(Err(e)) => out.push(Err(InputError {
                source,
                message: format!("the reported message inside: {}", e.message),
                whole_path: false,
            })),
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mime_fields_split_as_mail_parser_does() {
        let h = b"Received: from a\r\n\tby b; Mon, 1 Jan 2024 00:00:00 +0000\r\nno colon here\r\nContent-Type: multipart/mixed;\r\n boundary=\"x\"\r\nContent-Transfer -Encoding : 7bit\r\nX-Content-Type: text/html\r\nDate: Mon, 1 Jan 2024 00:00:00 UT\r\n\r\nbody\r\n";
        let (keep, rest) = mime_fields(h);
        let kept: Vec<&str> = keep
            .iter()
            .map(|r| std::str::from_utf8(&h[r.clone()]).unwrap())
            .collect();
        assert_eq!(
            kept,
            [
                "Content-Type: multipart/mixed;\r\n boundary=\"x\"\r\n",
                "Content-Transfer -Encoding : 7bit\r\n",
            ]
        );
        assert_eq!(&h[rest], b"\r\nbody\r\n".as_slice());
        // A line of blanks ends the block unless a space or tab folds it
        // into the field before.
        let (keep, rest) =
            mime_fields(b"Content-ID: <a>\n \nSubject: x\n\x0c\nContent-Type: text/html\n\n");
        assert_eq!(keep.len(), 1);
        assert_eq!(keep[0], 0..18);
        assert_eq!(rest.start, 29);
        // No end at all.
        let (_, rest) = mime_fields(b"Content-Type: text/plain\n folded");
        assert!(rest.is_empty());
    }
}
