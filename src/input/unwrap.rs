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
use mail_parser::{HeaderName, Message, MessageParser, MessagePart, MimeHeaders, PartType};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::LazyLock;

/// Wrappers inside wrappers followed at most this deep.
pub const MAX_DEPTH: usize = 3;
/// Inner messages taken from one wrapper, at most.
pub const MAX_INNER: usize = 16;
/// MIME nesting mail-parser is asked to follow.
pub const MIME_DEPTH: usize = 16;

/// mail-parser's own choice of parse for each header (its built-in table,
/// used when no header is configured), except Received, kept raw: we parse
/// those ourselves, and its parse of them was a tenth of the MIME walk.
/// Configuring any header means configuring all of them: the rest are raw.
static PARSER: LazyLock<MessageParser> = LazyLock::new(|| {
    let mut p = MessageParser::new()
        .with_mime_headers()
        .with_address_headers()
        .with_date_headers()
        .with_message_ids()
        .header_text(HeaderName::Subject)
        .header_text(HeaderName::Comments)
        .header_id(HeaderName::ReturnPath)
        .header_comma_separated(HeaderName::Keywords)
        .header_comma_separated(HeaderName::ContentLanguage)
        .header_raw(HeaderName::Received);
    for list in [
        HeaderName::ListArchive,
        HeaderName::ListHelp,
        HeaderName::ListId,
        HeaderName::ListOwner,
        HeaderName::ListPost,
        HeaderName::ListSubscribe,
        HeaderName::ListUnsubscribe,
    ] {
        p = p.header_address(list);
    }
    p
});

/// Names a nested message anywhere: the cheap test before a MIME parse.
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

/// The message as one byte string: header block, blank line, body.
pub fn whole(msg: &RawMessage) -> Option<Vec<u8>> {
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
    let Some(bytes) = whole(msg) else {
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
