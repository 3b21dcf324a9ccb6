//! A streaming reader of one file: a single message, or an mbox (mboxo or
//! mboxrd), recognised by content (a first line starting `From `).

use super::{Envelope, InputError, InputOptions, RawMessage, Source};
use std::io::BufRead;

/// Messages from one byte stream, one at a time.
pub struct MessageReader<R: BufRead> {
    reader: R,
    path: String,
    opts: InputOptions,
    /// Bytes consumed so far.
    offset: u64,
    index: usize,
    /// A `From ` line already read that starts the next message.
    pending_from: Option<(u64, Vec<u8>)>,
    /// None until the first line is seen; then whether this is an mbox.
    is_mbox: Option<bool>,
    done: bool,
    line: Vec<u8>,
}

/// Read one line (through `\n`) into `buf`, keeping at most `cap` bytes of
/// it; the rest of an overlong line is consumed and dropped. Returns the
/// bytes consumed (0 at end of input) and whether the line was cut.
pub fn read_line_capped(
    r: &mut impl BufRead,
    buf: &mut Vec<u8>,
    cap: usize,
) -> std::io::Result<(usize, bool)> {
    buf.clear();
    let mut consumed = 0;
    let mut cut = false;
    loop {
        let avail = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if avail.is_empty() {
            return Ok((consumed, cut));
        }
        let (chunk, found) = match memchr::memchr(b'\n', avail) {
            Some(i) => (&avail[..=i], true),
            None => (avail, false),
        };
        let room = cap.saturating_sub(buf.len());
        if chunk.len() > room {
            cut = true;
        }
        buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let n = chunk.len();
        r.consume(n);
        consumed += n;
        if found {
            return Ok((consumed, cut));
        }
    }
}

fn is_from_line(line: &[u8]) -> bool {
    line.starts_with(b"From ")
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

/// mboxrd unquoting: `>From `, `>>From `... lose one `>`.
fn unquote(line: &[u8]) -> &[u8] {
    let gt = line.iter().take_while(|b| **b == b'>').count();
    if gt > 0 && line[gt..].starts_with(b"From ") {
        &line[1..]
    } else {
        line
    }
}

impl<R: BufRead> MessageReader<R> {
    pub fn new(reader: R, path: &str, opts: InputOptions) -> Self {
        MessageReader {
            reader,
            path: path.to_string(),
            opts,
            offset: 0,
            index: 0,
            pending_from: None,
            is_mbox: None,
            done: false,
            line: Vec::with_capacity(1024),
        }
    }

    fn error(&self, index: usize, offset: u64, message: impl Into<String>) -> InputError {
        InputError {
            source: Source {
                path: self.path.clone(),
                index,
                offset,
            },
            message: message.into(),
        }
    }

    /// Read the next line; `Ok(None)` at end of input.
    fn next_line(&mut self, cap: usize) -> Result<Option<bool>, std::io::Error> {
        let (n, cut) = read_line_capped(&mut self.reader, &mut self.line, cap)?;
        self.offset += n as u64;
        Ok(if n == 0 { None } else { Some(cut) })
    }

    fn read_message(&mut self) -> Option<Result<RawMessage, InputError>> {
        if self.done {
            return None;
        }
        let index = self.index;
        let line_cap = self.opts.max_header_bytes + 2;
        let mut start = self.offset;
        let mut envelope = None;
        let mut first = Vec::new();
        // The message's first line: a pending `From ` line, or read one.
        if let Some((off, from)) = self.pending_from.take() {
            start = off;
            envelope = Some(parse_envelope(&from));
        } else {
            // Skip leading blank lines between messages.
            loop {
                match self.next_line(line_cap) {
                    Err(e) => {
                        self.done = true;
                        return Some(Err(self.error(index, start, format!("read error: {e}"))));
                    }
                    Ok(None) => {
                        self.done = true;
                        if self.index == 0 {
                            self.index += 1;
                            return Some(Err(self.error(0, 0, "empty input: no message")));
                        }
                        return None;
                    }
                    Ok(Some(_)) if is_blank(&self.line) && self.is_mbox == Some(true) => {
                        start = self.offset;
                        continue;
                    }
                    Ok(Some(_)) => break,
                }
            }
            if self.is_mbox.is_none() {
                self.is_mbox = Some(is_from_line(&self.line));
            }
            if is_from_line(&self.line) {
                envelope = Some(parse_envelope(&self.line));
            } else {
                first = std::mem::take(&mut self.line);
            }
        }
        self.index += 1;
        let mbox = self.is_mbox == Some(true);
        // Header block.
        let mut header = first;
        let mut error: Option<String> = None;
        let mut at_end = false;
        let mut prev_blank = false;
        if !header.is_empty() && is_blank(&header) {
            header.clear();
        } else {
            loop {
                match self.next_line(line_cap) {
                    Err(e) => {
                        error = Some(format!("read error: {e}"));
                        at_end = true;
                        break;
                    }
                    Ok(None) => {
                        at_end = true;
                        break;
                    }
                    Ok(Some(cut)) => {
                        if is_blank(&self.line) {
                            prev_blank = true;
                            break;
                        }
                        if mbox && is_from_line(&self.line) && header.is_empty() {
                            // Two From_ lines in a row: an empty message.
                        }
                        if cut || header.len() + self.line.len() > self.opts.max_header_bytes {
                            if error.is_none() {
                                error = Some(format!(
                                    "header block larger than {} bytes",
                                    self.opts.max_header_bytes
                                ));
                            }
                            continue;
                        }
                        if error.is_none() {
                            header.extend_from_slice(&self.line);
                        }
                    }
                }
            }
        }
        // Body: up to the next `From ` line after a blank line (mbox) or the end.
        let mut body = self.opts.keep_body.then(Vec::new);
        if !at_end {
            loop {
                let line_start = self.offset;
                match self.next_line(line_cap) {
                    Err(e) => {
                        error.get_or_insert(format!("read error: {e}"));
                        break;
                    }
                    Ok(None) => break,
                    Ok(Some(_)) => {
                        if mbox && prev_blank && is_from_line(&self.line) {
                            self.pending_from = Some((line_start, std::mem::take(&mut self.line)));
                            break;
                        }
                        prev_blank = is_blank(&self.line);
                        if let Some(b) = body.as_mut() {
                            let l = if mbox {
                                unquote(&self.line)
                            } else {
                                &self.line[..]
                            };
                            if b.len() + l.len() <= self.opts.max_body_bytes {
                                b.extend_from_slice(l);
                            }
                        }
                    }
                }
            }
        }
        if self.pending_from.is_none() {
            self.done = true;
        }
        let end = self
            .pending_from
            .as_ref()
            .map(|(o, _)| *o)
            .unwrap_or(self.offset);
        if let Some(e) = error {
            return Some(Err(self.error(index, start, e)));
        }
        if memchr::memchr(0, &header).is_some() {
            return Some(Err(self.error(
                index,
                start,
                "binary data (NUL bytes) in the header block: not an email message",
            )));
        }
        if crate::headers::fields(&header).is_empty() {
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
            },
            envelope,
            header,
            body,
            size: end - start,
        }))
    }
}

impl<R: BufRead> Iterator for MessageReader<R> {
    type Item = Result<RawMessage, InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.read_message()
    }
}
