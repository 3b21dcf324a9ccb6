//! A streaming reader of one byte stream: a single message, or an mbox
//! (mboxo or mboxrd), recognised by content (a first line starting `From `).
//!
//! The stream is read in large chunks into one reusable buffer and split with
//! memchr/memmem, not line by line: only the header block of each message is
//! copied out; the body is skipped (or kept, capped, when asked). Memory is
//! the buffer (at most `max_header_bytes` + 1 MiB) plus one header block.
//!
//! Where a message ends, in an mbox:
//! - in the body, at a `From ` line that follows a blank line and carries a
//!   time of day (`From sender Thu Jan  1 00:00:00 1970`); mboxo leaves body
//!   lines such as "From what I hear, ..." unquoted, and those have none;
//! - in the header block, at any `From ` line: a message without a blank
//!   line, or two `From_` lines in a row (an empty message, reported as an
//!   error); but not at the obsolete header syntax `From : addr`.

use super::{Envelope, InputError, InputOptions, RawMessage};

use crate::model::Source;
use memchr::memmem;
use std::io::{ErrorKind, Read};

/// How much is read at a time, past the header limit.
const CHUNK: usize = 1 << 20;
/// The first buffer: small, so a Maildir of small files stays cheap.
const FIRST_BUF: usize = 64 << 10;
/// The first bytes of an OLE compound document (an Outlook `.msg`).
const OLE_MAGIC: &[u8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1";
/// A message boundary in an mbox body: a `From ` line (checked for the blank
/// line before it).
const SEPARATOR: &[u8] = b"\nFrom ";

/// Whether `From ` lines split the stream into messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// An mbox when the first line starts `From `, else one message.
    Auto,
    /// Always one message (a Maildir file: `From ` in its body is not quoted).
    Single,
}

/// Messages from one byte stream, one at a time.
pub struct MessageReader<R> {
    reader: R,
    path: String,
    opts: InputOptions,
    mode: Mode,
    buf: Vec<u8>,
    max_buf: usize,
    /// The next unconsumed byte in `buf`; message-local indices are relative to it.
    pos: usize,
    /// The end of the valid bytes in `buf`.
    len: usize,
    /// The stream offset of `buf[0]`.
    base: u64,
    eof: bool,
    read_error: Option<String>,
    index: usize,
    started: bool,
    mbox: bool,
    done: bool,
    finder: memmem::Finder<'static>,
}

/// The outcome of looking for the end of a line.
enum Scan {
    /// The relative index of the `\n`.
    Found(usize),
    /// The stream ended first.
    Eof,
    /// Past the limit without a `\n`.
    TooLong,
}

/// A `From_` envelope line, not the obsolete header syntax `From : addr`
/// (seen in real spam) that also starts with `From `.
fn is_envelope_line(line: &[u8]) -> bool {
    line.strip_prefix(b"From ").is_some_and(|rest| {
        let rest = rest.trim_ascii_start();
        !rest.is_empty() && rest[0] != b':'
    })
}

/// Whether `head` (a file's first bytes) starts with an mbox `From ` line.
pub(crate) fn is_envelope_start(head: &[u8]) -> bool {
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    is_envelope_line(line)
}

/// How far into a `From ` line [`is_separator_line`] looks for the time.
const SEPARATOR_PROBE: usize = 256;

/// A `From_` line that starts the next message: an envelope line with a time
/// of day (`hh:mm`) in it. Body text after a blank line that happens to
/// start with `From ` (unquoted in mboxo) has none.
fn is_separator_line(line: &[u8]) -> bool {
    let line = &line[..line.len().min(SEPARATOR_PROBE)];
    is_envelope_line(line)
        && line.windows(4).any(|w| {
            w[0].is_ascii_digit() && w[1] == b':' && w[2].is_ascii_digit() && w[3].is_ascii_digit()
        })
}

/// Whether a header block has at least one `name:` field line (what
/// [`crate::parse::headers::fields`] would find), without building the field list.
fn has_field(header: &[u8]) -> bool {
    header.split(|b| *b == b'\n').any(|line| {
        memchr::memchr(b':', line)
            .is_some_and(|c| c > 0 && line[..c].iter().all(|b| b.is_ascii_graphic()))
    })
}

/// A header block pasted with leading indentation (copied from a mail
/// client or a web page: every line starts with the same spaces): the block
/// without that indentation, continuation lines keeping what is beyond it.
/// `None` when the first line is not indented.
fn dedent_pasted(header: &[u8]) -> Option<Vec<u8>> {
    let indent = header
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t'))
        .count();
    if indent == 0 {
        return None;
    }
    let prefix = &header[..indent];
    let mut out = Vec::with_capacity(header.len());
    for line in header.split_inclusive(|b| *b == b'\n') {
        out.extend_from_slice(line.strip_prefix(prefix).unwrap_or(line));
    }
    Some(out)
}

/// Whether the block starts with a field name and its colon.
fn starts_with_field(header: &[u8]) -> bool {
    let name = header
        .iter()
        .take_while(|b| b.is_ascii_graphic() && **b != b':')
        .count();
    name > 0 && header.get(name) == Some(&b':')
}

fn is_blank(line: &[u8]) -> bool {
    line == b"\n" || line == b"\r\n"
}

fn parse_envelope(line: &[u8]) -> Envelope {
    let text = String::from_utf8_lossy(line);
    let rest = text
        .trim_end_matches(['\r', '\n'])
        .strip_prefix("From ")
        .unwrap_or("");
    let rest = rest.trim_start();
    let (sender, date) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    Envelope {
        sender: sender.to_string(),
        date: date.trim().to_string(),
    }
}

/// mboxrd unquoting of a whole body: in each line `>From `, `>>From `...
/// lose one `>` (mboxo's `>From ` too: the two cannot be told apart).
pub fn unquote_body(body: &[u8]) -> Vec<u8> {
    unquoted(body.to_vec())
}

/// [`unquote_body`] of a body owned: the same bytes, not copied, when no
/// line needs it (most bodies). A quoted line is found from its `From `
/// (memmem), not by splitting the body into lines.
fn unquoted(body: Vec<u8>) -> Vec<u8> {
    // Where each quoted line starts: the `>` it loses.
    let mut cuts = Vec::new();
    for i in memchr::memmem::find_iter(&body, b"From ") {
        let mut s = i;
        while s > 0 && body[s - 1] == b'>' {
            s -= 1;
        }
        if s < i && (s == 0 || body[s - 1] == b'\n') {
            cuts.push(s);
        }
    }
    if cuts.is_empty() {
        return body;
    }
    let mut out = Vec::with_capacity(body.len() - cuts.len());
    let mut at = 0;
    for c in cuts {
        out.extend_from_slice(&body[at..c]);
        at = c + 1;
    }
    out.extend_from_slice(&body[at..]);
    out
}

impl<R: Read> MessageReader<R> {
    pub fn new(reader: R, path: &str, opts: InputOptions) -> Self {
        Self::with_mode(reader, path, opts, Mode::Auto)
    }

    pub fn with_mode(reader: R, path: &str, opts: InputOptions, mode: Mode) -> Self {
        let max_buf = opts.max_header_bytes.saturating_add(CHUNK);
        MessageReader {
            reader,
            path: path.to_string(),
            opts,
            mode,
            buf: vec![0; FIRST_BUF.min(max_buf)],
            max_buf,
            pos: 0,
            len: 0,
            base: 0,
            eof: false,
            read_error: None,
            index: 0,
            started: false,
            mbox: false,
            done: false,
            finder: memmem::Finder::new(SEPARATOR),
        }
    }

    /// Whether this stream turned out to be an mbox (known after the first message).
    pub fn is_mbox(&self) -> bool {
        self.mbox
    }

    fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    fn avail(&self) -> usize {
        self.len - self.pos
    }

    /// Read more bytes, dropping those before `pos` and growing the buffer up
    /// to `max_buf`. False at the end of the stream, on a read error, or when
    /// the buffer is full.
    fn fill(&mut self) -> bool {
        if self.eof {
            return false;
        }
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.len, 0);
            self.len -= self.pos;
            self.base += self.pos as u64;
            self.pos = 0;
        }
        if self.len == self.buf.len() {
            if self.buf.len() >= self.max_buf {
                return false;
            }
            let grown = (self.buf.len() * 2).min(self.max_buf);
            self.buf.resize(grown, 0);
        }
        loop {
            match self.reader.read(&mut self.buf[self.len..]) {
                Ok(0) => {
                    self.eof = true;
                    return false;
                }
                Ok(n) => {
                    self.len += n;
                    return true;
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.read_error = Some(e.to_string());
                    self.eof = true;
                    return false;
                }
            }
        }
    }

    /// Make at least `n` bytes available if the stream has them.
    fn want(&mut self, n: usize) -> bool {
        while self.avail() < n {
            if !self.fill() {
                return false;
            }
        }
        true
    }

    fn starts_with(&mut self, rel: usize, prefix: &[u8]) -> bool {
        self.want(rel + prefix.len());
        self.buf[self.pos..self.len]
            .get(rel..)
            .is_some_and(|b| b.starts_with(prefix))
    }

    /// The next `\n` at or after relative index `from`, reading as needed,
    /// no further than relative index `limit`.
    fn scan_newline(&mut self, mut from: usize, limit: usize) -> Scan {
        loop {
            if let Some(i) = memchr::memchr(b'\n', &self.buf[self.pos + from..self.len]) {
                let at = from + i;
                return if at >= limit {
                    Scan::TooLong
                } else {
                    Scan::Found(at)
                };
            }
            from = self.avail();
            if from >= limit {
                return Scan::TooLong;
            }
            if !self.fill() {
                return if self.eof { Scan::Eof } else { Scan::TooLong };
            }
        }
    }

    /// Skip blank lines before a message.
    fn skip_blank_lines(&mut self) {
        loop {
            self.want(2);
            let rest = &self.buf[self.pos..self.len];
            if rest.first() == Some(&b'\n') {
                self.pos += 1;
            } else if rest.starts_with(b"\r\n") {
                self.pos += 2;
            } else {
                return;
            }
        }
    }

    /// Append body bytes `[from, to)` (relative) to `body`, capped.
    fn keep(&self, body: &mut Option<Vec<u8>>, from: usize, to: usize) {
        if let Some(b) = body.as_mut() {
            if to > from {
                let room = self.opts.max_body_bytes.saturating_sub(b.len());
                let chunk = &self.buf[self.pos + from..self.pos + to];
                b.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
        }
    }

    /// Whether the line that ends with the `\n` at relative index `m` is blank.
    fn blank_line_ends_at(&self, m: usize) -> bool {
        let b = &self.buf[self.pos..self.len];
        match m.checked_sub(1).and_then(|i| b.get(i)) {
            Some(b'\n') => true,
            Some(b'\r') => m.checked_sub(2).and_then(|i| b.get(i)) == Some(&b'\n'),
            _ => false,
        }
    }

    /// Consume the body of a message from relative index `from` (a `\n` that
    /// ends a blank line, or the start of an unread region) up to the next
    /// message or the end of the stream.
    fn skip_body(&mut self, mut search: usize, mut body_start: usize, body: &mut Option<Vec<u8>>) {
        loop {
            if self.mbox {
                let hay = &self.buf[self.pos + search.min(self.avail())..self.len];
                if let Some(j) = self.finder.find(hay) {
                    let mut m = search + j;
                    if self.blank_line_ends_at(m) {
                        // Read the whole `From ` line (up to the probe): first
                        // drop the body before it, keeping the two bytes the
                        // blank-line test needs, so the buffer has room.
                        let cut = m.saturating_sub(2);
                        self.keep(body, body_start, cut);
                        body_start = body_start.saturating_sub(cut);
                        self.pos += cut;
                        m -= cut;
                        self.want(m + 1 + SEPARATOR_PROBE);
                        let rest = &self.buf[self.pos + m + 1..self.len];
                        let line_end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
                        if is_separator_line(&rest[..line_end]) {
                            self.keep(body, body_start, m + 1);
                            self.pos += m + 1;
                            return;
                        }
                    }
                    search = m + 1;
                    continue;
                }
            }
            // Nothing more here: drop what was scanned, keeping the bytes a
            // separator split across reads still needs (and two before it).
            let avail = self.avail();
            let next = search.max(avail.saturating_sub(SEPARATOR.len() - 1));
            let cut = next.saturating_sub(2).min(avail);
            self.keep(body, body_start, cut);
            body_start = body_start.saturating_sub(cut);
            self.pos += cut;
            search = next - cut;
            if !self.fill() {
                let end = self.avail();
                self.keep(body, body_start, end);
                self.pos = self.len;
                return;
            }
        }
    }

    fn error(&self, index: usize, offset: u64, message: impl Into<String>) -> InputError {
        InputError {
            source: Source {
                path: self.path.clone(),
                index,
                offset,
                part: None,
                reported_by: None,
                format: None,
            },
            message: message.into(),
            // In a single-message file the file is the message.
            whole_path: !self.mbox,
        }
    }

    fn start(&mut self) {
        self.started = true;
        self.want(4096);
        // Leading blank lines do not hide an mbox.
        let rest = &self.buf[self.pos..self.len];
        let blanks = rest
            .iter()
            .take_while(|b| **b == b'\n' || **b == b'\r')
            .count();
        let first_line = rest[blanks..].split(|b| *b == b'\n').next().unwrap_or(&[]);
        if self.mode == Mode::Auto && is_envelope_line(first_line) {
            self.mbox = true;
            self.pos += blanks;
        }
    }

    fn read_message(&mut self) -> Option<Result<RawMessage, InputError>> {
        if self.done {
            return None;
        }
        if !self.started {
            self.start();
        }
        if self.mbox {
            self.skip_blank_lines();
        }
        if !self.want(1) {
            self.done = true;
            if let Some(e) = self.read_error.take() {
                let (i, o) = (self.index, self.offset());
                return Some(Err(self.error(i, o, format!("read error: {e}"))));
            }
            if self.index == 0 {
                self.index = 1;
                let mut e = self.error(0, 0, "empty file: no message");
                e.whole_path = true;
                return Some(Err(e));
            }
            return None;
        }
        let index = self.index;
        self.index += 1;
        let start = self.offset();
        let limit_bytes = self.opts.max_header_bytes;
        let too_long = || format!("header block larger than {limit_bytes} bytes");
        let mut error: Option<String> = None;
        let mut envelope = None;
        let mut rel = 0;
        // The envelope `From_` line.
        if self.starts_with(0, b"From ") {
            let end = match self.scan_newline(0, limit_bytes) {
                Scan::Found(i) => Some(i + 1),
                Scan::Eof => Some(self.avail()),
                Scan::TooLong => {
                    error = Some(too_long());
                    None
                }
            };
            if let Some(end) = end {
                let line = &self.buf[self.pos..self.pos + end];
                if is_envelope_line(line) {
                    envelope = Some(parse_envelope(line));
                    rel = end;
                }
            }
        }
        // The header block, up to a blank line.
        let header_start = rel;
        let limit = header_start.saturating_add(limit_bytes);
        let mut header_end = rel;
        // Where to look for the end of the body; None when the message ends here.
        let mut body_from: Option<usize> = None;
        if error.is_none() {
            loop {
                match self.scan_newline(rel, limit) {
                    Scan::Found(i) => {
                        let line = &self.buf[self.pos + rel..=self.pos + i];
                        if is_blank(line) {
                            header_end = rel;
                            body_from = Some(i);
                            break;
                        }
                        if self.mbox && is_envelope_line(line) {
                            header_end = rel;
                            break;
                        }
                        rel = i + 1;
                    }
                    Scan::Eof => {
                        header_end = self.avail();
                        break;
                    }
                    Scan::TooLong => {
                        error = Some(too_long());
                        body_from = Some(rel);
                        break;
                    }
                }
            }
        } else {
            body_from = Some(0);
        }
        let header = if error.is_none() {
            self.buf[self.pos + header_start..self.pos + header_end].to_vec()
        } else {
            Vec::new()
        };
        let mut body = self.opts.keep_body.then(Vec::new);
        if error.is_some() && !self.mbox {
            // No header end within the limit in a single message: the input
            // is given up here, unread (`trace /dev/zero` ends).
            body_from = None;
            header_end = header_end.min(self.avail());
            self.done = true;
        }
        match body_from {
            Some(from) => {
                let body_start = if error.is_none() { from + 1 } else { from };
                self.skip_body(from, body_start, &mut body);
            }
            None => self.pos += header_end,
        }
        if self.mbox {
            body = body.map(unquoted);
        }
        let size = self.offset() - start;
        if self.eof && self.avail() == 0 && !self.mbox {
            self.done = true;
        }
        if let Some(e) = self.read_error.take() {
            error.get_or_insert(format!("read error: {e}"));
        }
        if let Some(e) = error {
            return Some(Err(self.error(index, start, e)));
        }
        if header.is_empty() && envelope.is_some() {
            return Some(Err(self.error(
                index,
                start,
                "empty message: a From_ line with no header fields",
            )));
        }
        if header.starts_with(OLE_MAGIC) {
            return Some(Err(self.error(
                index,
                start,
                "an Outlook .msg file (OLE compound document), not an email message: save it as .eml",
            )));
        }
        // NULs inside header fields are spam's, parsed around (NUL_IN_HEADER);
        // NULs in a block that does not start with a field are a binary file.
        if memchr::memchr(0, &header).is_some() && !starts_with_field(&header) {
            return Some(Err(self.error(
                index,
                start,
                "binary data (NUL bytes) in the header block: not an email message",
            )));
        }
        let header = match dedent_pasted(&header) {
            Some(d) if !has_field(&header) && has_field(&d) => d,
            _ => header,
        };
        if !has_field(&header) {
            return Some(Err(self.error(
                index,
                start,
                "no header fields: not an email message",
            )));
        }
        Some(Ok(RawMessage {
            source: Source {
                path: self.path.clone(),
                index,
                offset: start,
                part: None,
                reported_by: None,
                format: None,
            },
            envelope,
            header,
            body,
            size,
        }))
    }
}

impl<R: Read> Iterator for MessageReader<R> {
    type Item = Result<RawMessage, InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.read_message()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unquoting_finds_the_quoted_lines() {
        // The line-by-line rule the memmem scan replaces.
        let by_lines = |body: &[u8]| -> Vec<u8> {
            let mut out = Vec::new();
            for line in body.split_inclusive(|b| *b == b'\n') {
                let gt = line.iter().take_while(|b| **b == b'>').count();
                let skip = usize::from(gt > 0 && line[gt..].starts_with(b"From "));
                out.extend_from_slice(&line[skip..]);
            }
            out
        };
        for body in [
            &b">From a\n>>From b\nx>From c\n>From\n>>>From d"[..],
            b"From x\n> From y\n>From z\r\n\n>>",
            b">>From >From From \n>",
            b"no quoted line\n",
            b"",
        ] {
            assert_eq!(
                unquote_body(body),
                by_lines(body),
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
        assert_eq!(unquote_body(b">From a\n>>From b"), b"From a\n>From b");
    }

    /// A reader that hands out at most `n` bytes per read, to split
    /// separators across reads.
    struct Trickle<'a>(&'a [u8], usize);

    #[test]
    fn pasted_indented_header_blocks_are_dedented() {
        let block =
            b"  Received: from a (a [192.0.2.1])\n  \tby b; Mon, 1 Jan 2024\n  Subject: hi\n";
        let d = dedent_pasted(block).unwrap();
        assert_eq!(
            d,
            b"Received: from a (a [192.0.2.1])\n\tby b; Mon, 1 Jan 2024\nSubject: hi\n"
        );
        assert!(!has_field(block) && has_field(&d));
        assert_eq!(dedent_pasted(b"Subject: x\n"), None);
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.1.min(out.len()).min(self.0.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn same_split_whatever_the_read_size() {
        let mbox = b"From a Mon Jan  1 00:00:00 2000\r\nSubject: 1\r\n\r\nbody\r\n>From x\r\n\r\nFrom b Mon Jan  1 00:00:00 2000\nSubject: 2\n\nFrom c Mon Jan  1 00:00:01 2000\nSubject: 3\n\nFrom what I hear, a body line\n\nFrom d\n";
        let all: Vec<_> = MessageReader::new(&mbox[..], "m", InputOptions::default())
            .map(|m| m.map(|m| (m.source.offset, m.header, m.size)))
            .collect();
        for n in 1..9 {
            let got: Vec<_> =
                MessageReader::new(Trickle(&mbox[..], n), "m", InputOptions::default())
                    .map(|m| m.map(|m| (m.source.offset, m.header, m.size)))
                    .collect();
            assert_eq!(got, all, "read size {n}");
        }
        assert_eq!(all.len(), 3);
        // mboxo body lines that start `From ` after a blank line, with no
        // time of day, stay in the body.
        assert!(all[2]
            .as_ref()
            .is_ok_and(|m| m.2 as usize == mbox.len() - m.0 as usize));
    }
}
