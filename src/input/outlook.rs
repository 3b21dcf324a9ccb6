//! Outlook `.msg` files (issue 17): an OLE compound document (read with the
//! `cfb` crate) whose streams are MAPI properties, turned into a message
//! the rest of the pipeline traces.
//!
//! - The header block is `PR_TRANSPORT_MESSAGE_HEADERS` (0x007D): the header
//!   as the receiving Exchange saw it, its Received chain exact. A `.msg`
//!   without it (a draft, a message composed and never sent) has nothing to
//!   trace and is an error naming the file.
//! - When bodies are read, a small MIME body is synthesised from the
//!   properties: the text body (0x1000), the HTML body (0x1013), each
//!   attachment (`__attach_version1.0_#n`: data 0x3701, file name
//!   0x3707/0x3704, MIME tag 0x370E) base64-encoded, and an attached
//!   Outlook message (0x3701 as a storage, `PR_ATTACH_DATA_OBJ`) as a
//!   `message/rfc822` part built the same way, so `--unwrap auto` traces a
//!   phish forwarded as an attachment like any other forward. The original
//!   `Content-Type` and `Content-Transfer-Encoding` fields of the header
//!   block are replaced by the synthesised body's (the .msg keeps the body
//!   decoded, not as sent); every other field is kept as written.
//! - Hostile input: the file, each stream, the attachment count and the
//!   nesting are capped; the crate is called under `catch_unwind`; a
//!   truncated or corrupt file is an error naming it.
//!
//! Property stream names: `__substg1.0_PPPPTTTT`, PPPP the property id and
//! TTTT its type (`001F` UTF-16LE string, `001E` 8-bit string, `0102`
//! binary, `000D` object storage) ([MS-OXMSG] 2.1.3).

use super::{InputError, InputOptions, Messages, RawMessage};
use crate::model::{Source, SourceFormat};
use base64::Engine;
use sha2::{Digest, Sha256};
use std::io::{Cursor, Read, Seek};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The first bytes of an OLE compound document.
pub const OLE_MAGIC: &[u8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1";
/// A `.msg` file larger than this is not read.
pub const MAX_FILE_BYTES: u64 = 64 << 20;
/// Attachments taken from one message (each level), at most.
pub const MAX_ATTACHMENTS: usize = 64;
/// Attached messages inside attached messages followed at most this deep.
pub const MAX_EMBED_DEPTH: usize = 3;

/// Whether `head` (a file's first bytes) is an OLE compound document.
pub fn is_ole(head: &[u8]) -> bool {
    head.starts_with(OLE_MAGIC)
}

/// The one message of the `.msg` file at `path`.
pub fn open(path: &str, opts: &InputOptions) -> Messages {
    let item = read_file(path).and_then(|bytes| read(&bytes, path, opts));
    Box::new(std::iter::once(item))
}

fn read_file(path: &str) -> Result<Vec<u8>, InputError> {
    let f = std::fs::File::open(path)
        .map_err(|e| InputError::path(path, format!("cannot open: {}", super::io_reason(&e))))?;
    read_capped(f, path)
}

/// Read a whole `.msg` from `r` (a file, or stdin after its first bytes),
/// at most [`MAX_FILE_BYTES`].
pub fn read_capped(r: impl Read, path: &str) -> Result<Vec<u8>, InputError> {
    let mut bytes = Vec::new();
    r.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| InputError::path(path, format!("read error: {e}")))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(InputError::path(
            path,
            format!(
                "an Outlook .msg file larger than {} MiB: not read",
                MAX_FILE_BYTES >> 20
            ),
        ));
    }
    Ok(bytes)
}

/// The message of the `.msg` file `bytes` (read from `path`).
pub fn read(bytes: &[u8], path: &str, opts: &InputOptions) -> Result<RawMessage, InputError> {
    let converted = catch_unwind(AssertUnwindSafe(|| convert(bytes, opts)))
        .unwrap_or_else(|_| Err("the compound-file reader panicked".to_string()));
    match converted {
        Ok((header, body)) => Ok(RawMessage {
            source: Source {
                format: Some(SourceFormat::OutlookMsg),
                ..Source::file(path)
            },
            envelope: None,
            header,
            body,
            size: bytes.len() as u64,
        }),
        Err(why) => Err(InputError::path(path, why)),
    }
}

/// The header block and (when bodies are kept) the synthesised body.
fn convert(bytes: &[u8], opts: &InputOptions) -> Result<(Vec<u8>, Option<Vec<u8>>), String> {
    let mut cf = cfb::CompoundFile::open(Cursor::new(bytes))
        .map_err(|e| format!("a corrupt Outlook .msg file (OLE compound document): {e}"))?;
    // What is kept of the body is base64 (4/3 of the bytes) and must stay
    // within the body limit.
    let mut budget = Budget {
        left: opts.max_body_bytes / 4 * 3,
        header_max: opts.max_header_bytes,
    };
    let msg = Msg::read(&mut cf, "", &mut budget, 0, opts.keep_body)?;
    let Some(headers) = msg.headers.clone() else {
        return Err("an Outlook .msg without transport headers \
                    (PR_TRANSPORT_MESSAGE_HEADERS): a draft or a message never sent, \
                    nothing to trace"
            .to_string());
    };
    if !opts.keep_body {
        return Ok((header_block(&headers), None));
    }
    let (header, body) = msg.mime(headers, bytes)?;
    Ok((header, Some(body)))
}

/// What is left to read of the body streams, and the header cap.
struct Budget {
    left: usize,
    header_max: usize,
}

/// One Outlook message's properties (the root, or an attached message).
struct Msg {
    headers: Option<String>,
    text: Option<String>,
    /// The HTML body and whether it is known to be UTF-8.
    html: Option<(Vec<u8>, bool)>,
    attachments: Vec<Attach>,
    /// Attachments over [`MAX_ATTACHMENTS`] or over the byte budget, left out.
    left_out: usize,
}

struct Attach {
    name: Option<String>,
    mime: Option<String>,
    data: AttachData,
}

enum AttachData {
    Bytes(Vec<u8>),
    Message(Box<Msg>),
}

fn prop_path(storage: &str, name: &str) -> String {
    format!("{storage}/__substg1.0_{name}")
}

/// A stream's bytes, when it exists and is at most `max` long (`Err` when
/// longer: a cap reached).
fn stream<F: Read + Seek>(
    cf: &mut cfb::CompoundFile<F>,
    path: &str,
    max: usize,
) -> Result<Option<Vec<u8>>, usize> {
    if !cf.is_stream(path) {
        return Ok(None);
    }
    let Ok(mut s) = cf.open_stream(path) else {
        return Ok(None);
    };
    let len = s.len();
    if len > max as u64 {
        return Err(len as usize);
    }
    let mut out = Vec::with_capacity(len as usize);
    // A corrupt sector chain reads short or fails: take what was read.
    let _ = (&mut s).take(max as u64).read_to_end(&mut out);
    Ok(Some(out))
}

fn utf16le(b: &[u8]) -> String {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let s = String::from_utf16_lossy(&units);
    s.trim_end_matches('\0').to_string()
}

/// An 8-bit string property: UTF-8 when it is, else Windows-1252 read as
/// Latin-1 (the code page property is not consulted).
fn eight_bit(b: &[u8]) -> String {
    let b = b.strip_suffix(b"\0").unwrap_or(b);
    match std::str::from_utf8(b) {
        Ok(s) => s.to_string(),
        Err(_) => b.iter().map(|&c| c as char).collect(),
    }
}

/// A string property (`001F`, else `001E`), at most `max` bytes.
fn string_prop<F: Read + Seek>(
    cf: &mut cfb::CompoundFile<F>,
    storage: &str,
    id: &str,
    max: usize,
) -> Result<Option<String>, usize> {
    if let Some(b) = stream(cf, &prop_path(storage, &format!("{id}001F")), max)? {
        return Ok(Some(utf16le(&b)));
    }
    Ok(stream(cf, &prop_path(storage, &format!("{id}001E")), max)?.map(|b| eight_bit(&b)))
}

impl Msg {
    fn read<F: Read + Seek>(
        cf: &mut cfb::CompoundFile<F>,
        storage: &str,
        budget: &mut Budget,
        depth: usize,
        bodies: bool,
    ) -> Result<Msg, String> {
        let headers = string_prop(cf, storage, "007D", budget.header_max)
            .map_err(|n| {
                format!(
                    "an Outlook .msg whose transport headers stream says {n} bytes, over the \
                 header limit of {} bytes (a corrupt or hostile file)",
                    budget.header_max
                )
            })?
            // An empty stream is no header either.
            .filter(|h| {
                !h.trim_matches(|c: char| c.is_whitespace() || c == '\0')
                    .is_empty()
            });
        let mut msg = Msg {
            headers,
            text: None,
            html: None,
            attachments: Vec::new(),
            left_out: 0,
        };
        if !bodies {
            return Ok(msg);
        }
        // Over the budget, a body stream is left out (the walk reports
        // nothing of it), not an error: the headers are still traced.
        fn take(n: usize, budget: &mut Budget) -> bool {
            let ok = n <= budget.left;
            if ok {
                budget.left -= n;
            }
            ok
        }
        if let Ok(Some(t)) = string_prop(cf, storage, "1000", budget.left) {
            if take(t.len(), budget) {
                msg.text = Some(t);
            }
        }
        let html = match stream(cf, &prop_path(storage, "10130102"), budget.left) {
            Ok(Some(h)) => Some((h, false)),
            _ => match stream(cf, &prop_path(storage, "1013001F"), budget.left) {
                Ok(Some(h)) => Some((utf16le(&h).into_bytes(), true)),
                _ => None,
            },
        };
        if let Some(h) = html {
            if take(h.0.len(), budget) {
                msg.html = Some(h);
            }
        }
        let attach_dirs: Vec<String> =
            match cf.read_storage(if storage.is_empty() { "/" } else { storage }) {
                Ok(entries) => entries
                    .filter(|e| e.is_storage() && e.name().starts_with("__attach_version1.0_#"))
                    .map(|e| e.path().to_string_lossy().into_owned())
                    .collect(),
                Err(_) => Vec::new(),
            };
        for dir in attach_dirs {
            if msg.attachments.len() >= MAX_ATTACHMENTS {
                msg.left_out += 1;
                continue;
            }
            let name = [("3707"), ("3704"), ("3001")]
                .iter()
                .find_map(|id| string_prop(cf, &dir, id, 4096).ok().flatten())
                .filter(|n| !n.is_empty());
            let mime = string_prop(cf, &dir, "370E", 256).ok().flatten();
            let embedded = prop_path(&dir, "3701000D");
            let data = if cf.is_storage(&embedded) {
                if depth + 1 > MAX_EMBED_DEPTH {
                    msg.left_out += 1;
                    continue;
                }
                AttachData::Message(Box::new(Msg::read(cf, &embedded, budget, depth + 1, true)?))
            } else {
                match stream(cf, &prop_path(&dir, "37010102"), budget.left) {
                    Ok(Some(b)) if take(b.len(), budget) => AttachData::Bytes(b),
                    Ok(None) => continue, // a link or an OLE object: no bytes
                    _ => {
                        msg.left_out += 1;
                        continue;
                    }
                }
            };
            msg.attachments.push(Attach { name, mime, data });
        }
        Ok(msg)
    }

    /// The header block (MIME fields replaced) and the synthesised body.
    fn mime(&self, headers: String, file: &[u8]) -> Result<(Vec<u8>, Vec<u8>), String> {
        let boundary = boundary_at(file, 0);
        let mut header = strip_mime_fields(&header_block(&headers));
        let nl: &[u8] = if header.ends_with(b"\r\n") || header.is_empty() {
            b"\r\n"
        } else {
            b"\n"
        };
        if !header.is_empty() && !header.ends_with(b"\n") {
            header.extend_from_slice(nl);
        }
        let has_version = header.split(|&c| c == b'\n').any(|line| {
            line.split(|&c| c == b':')
                .next()
                .is_some_and(|n| n.trim_ascii().eq_ignore_ascii_case(b"mime-version"))
        });
        if !has_version {
            header.extend_from_slice(b"MIME-Version: 1.0");
            header.extend_from_slice(nl);
        }
        header.extend_from_slice(
            format!("Content-Type: multipart/mixed; boundary=\"{boundary}\"").as_bytes(),
        );
        header.extend_from_slice(nl);
        let mut body = Vec::new();
        self.parts(&boundary, file, 0, &mut body);
        Ok((header, body))
    }

    /// The multipart body: one part per body and attachment.
    fn parts(&self, boundary: &str, file: &[u8], depth: usize, out: &mut Vec<u8>) {
        let b64 = |out: &mut Vec<u8>, data: &[u8]| {
            let enc = base64::engine::general_purpose::STANDARD.encode(data);
            for line in enc.as_bytes().chunks(76) {
                out.extend_from_slice(line);
                out.extend_from_slice(b"\r\n");
            }
        };
        let start = |out: &mut Vec<u8>| {
            out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        };
        if let Some(t) = &self.text {
            start(out);
            out.extend_from_slice(
                b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n",
            );
            b64(out, t.as_bytes());
        }
        if let Some((h, utf8)) = &self.html {
            let charset = if *utf8 || std::str::from_utf8(h).is_ok() {
                "utf-8"
            } else {
                "windows-1252"
            };
            start(out);
            out.extend_from_slice(
                format!("Content-Type: text/html; charset={charset}\r\nContent-Transfer-Encoding: base64\r\n\r\n")
                    .as_bytes(),
            );
            b64(out, h);
        }
        for a in &self.attachments {
            match &a.data {
                AttachData::Bytes(data) => {
                    start(out);
                    let mime = a
                        .mime
                        .as_deref()
                        .map(str::trim)
                        .filter(|m| is_mime_type(m))
                        .unwrap_or("application/octet-stream");
                    out.extend_from_slice(format!("Content-Type: {mime}\r\n").as_bytes());
                    out.extend_from_slice(b"Content-Disposition: attachment");
                    if let Some(n) = &a.name {
                        // Quoted as written when that is safe, else RFC 2231.
                        let plain = n
                            .bytes()
                            .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\');
                        let param = if plain {
                            format!("; filename=\"{n}\"")
                        } else {
                            format!("; filename*=utf-8''{}", percent(n))
                        };
                        out.extend_from_slice(param.as_bytes());
                    }
                    out.extend_from_slice(b"\r\nContent-Transfer-Encoding: base64\r\n\r\n");
                    b64(out, data);
                }
                AttachData::Message(m) => {
                    let Some(h) = &m.headers else {
                        // An attached draft: no header to trace; its
                        // bodies are not walked either.
                        continue;
                    };
                    let inner = boundary_at(file, depth + 1);
                    let Ok((header, body)) = m.mime_at(h.clone(), &inner, file, depth + 1) else {
                        continue;
                    };
                    start(out);
                    out.extend_from_slice(b"Content-Type: message/rfc822\r\n");
                    out.extend_from_slice(b"Content-Disposition: attachment\r\n\r\n");
                    out.extend_from_slice(&header);
                    out.extend_from_slice(b"\r\n");
                    out.extend_from_slice(&body);
                    out.extend_from_slice(b"\r\n");
                }
            }
        }
        out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    }

    fn mime_at(
        &self,
        headers: String,
        boundary: &str,
        file: &[u8],
        depth: usize,
    ) -> Result<(Vec<u8>, Vec<u8>), String> {
        let mut header = strip_mime_fields(&header_block(&headers));
        // Inside a multipart, lines end CRLF whatever the header used.
        header = crlf(&header);
        header.extend_from_slice(
            format!(
                "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"{boundary}\"\r\n"
            )
            .as_bytes(),
        );
        let mut body = Vec::new();
        self.parts(boundary, file, depth, &mut body);
        Ok((header, body))
    }
}

fn crlf(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len() + b.len() / 32);
    for line in b.split_inclusive(|&c| c == b'\n') {
        let l = line.strip_suffix(b"\n").unwrap_or(line);
        let l = l.strip_suffix(b"\r").unwrap_or(l);
        out.extend_from_slice(l);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// A boundary no part can contain: base64 has no `_`, and the hash of the
/// file is not known to whoever wrote the file's header text.
fn boundary_at(file: &[u8], depth: usize) -> String {
    let h = Sha256::digest(file);
    let hex: String = h[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("=_spamtrace_msg_{depth}_{hex}")
}

/// `type/subtype` of token characters, nothing else (no parameters, no
/// line breaks: the MIME tag is the sender's text).
fn is_mime_type(m: &str) -> bool {
    let token = |s: &str| {
        !s.is_empty()
            && s.len() <= 127
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    m.split_once('/').is_some_and(|(t, s)| token(t) && token(s))
}

/// RFC 2231 percent-encoding of a file name (every byte outside the
/// attribute-char set).
fn percent(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The transport headers as a header block: up to the first blank line
/// (Exchange stores the header and its terminating blank line), trailing
/// NULs dropped.
fn header_block(headers: &str) -> Vec<u8> {
    let b = headers.trim_end_matches('\0').as_bytes();
    let end = memchr::memmem::find(b, b"\r\n\r\n")
        .map(|i| i + 2)
        .or_else(|| memchr::memmem::find(b, b"\n\n").map(|i| i + 1))
        .unwrap_or(b.len());
    b[..end].to_vec()
}

/// The header block without its `Content-Type` and
/// `Content-Transfer-Encoding` fields (continuation lines included).
fn strip_mime_fields(header: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(header.len());
    let mut dropping = false;
    for line in header.split_inclusive(|&c| c == b'\n') {
        let continuation = line.first().is_some_and(|c| *c == b' ' || *c == b'\t');
        if !continuation {
            let name = line.split(|&c| c == b':').next().unwrap_or_default();
            let name = name.trim_ascii();
            dropping = name.eq_ignore_ascii_case(b"content-type")
                || name.eq_ignore_ascii_case(b"content-transfer-encoding");
        }
        if !dropping {
            out.extend_from_slice(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mime_fields_are_replaced_with_their_continuations() {
        let h = b"Received: a\r\nContent-Type: multipart/alternative;\r\n\tboundary=\"x\"\r\nSubject: s\r\nContent-Transfer-Encoding: 7bit\r\n";
        assert_eq!(strip_mime_fields(h), b"Received: a\r\nSubject: s\r\n");
    }

    #[test]
    fn the_header_block_ends_at_the_blank_line() {
        assert_eq!(header_block("A: 1\r\nB: 2\r\n\r\n\0"), b"A: 1\r\nB: 2\r\n");
        assert_eq!(header_block("A: 1\nB: 2"), b"A: 1\nB: 2");
    }

    #[test]
    fn mime_tags_and_file_names_are_made_safe() {
        assert!(is_mime_type("application/pdf"));
        assert!(!is_mime_type("text/html\r\nX-Injected: 1"));
        assert!(!is_mime_type("text/html; charset=x"));
        assert_eq!(percent("a b\"\r\n.pdf"), "a%20b%22%0D%0A.pdf");
    }

    #[test]
    fn garbage_after_the_magic_is_an_error_not_a_panic() {
        let mut b = OLE_MAGIC.to_vec();
        b.extend(std::iter::repeat_n(0xffu8, 600));
        let opts = InputOptions {
            keep_body: true,
            ..InputOptions::default()
        };
        let e = read(&b, "x.msg", &opts).unwrap_err();
        assert!(
            e.to_string().starts_with("x.msg: a corrupt Outlook .msg"),
            "{e}"
        );
    }
}
