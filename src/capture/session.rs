//! One SMTP session: read commands, keep the transaction state, enforce the
//! limits, hand finished messages to the store.
//!
//! smtp-proto parses command lines only; line framing, the DATA phase
//! ([`super::data`]) and the session state are ours.

use super::data::{DataDecoder, Feed};
use super::stamp;
use super::store::Message;
use super::Shared;
use smtp_proto::{Error as ParseError, Request};
use std::net::IpAddr;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;

/// The longest command line read into memory; a longer one is drained
/// and answered 500 5.5.2 (RFC 5321 allows 512 octets, extensions more).
pub const MAX_LINE: usize = 2048;

/// A byte stream: TCP, or TLS over TCP after STARTTLS.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// How a session ended.
pub enum End {
    Closed,
    /// The client asked for STARTTLS and got 220: upgrade this stream.
    StartTls(Box<dyn Io>),
}

/// What stays across STARTTLS: the peer, the deadlines and the error count.
pub struct Conn {
    pub peer: IpAddr,
    pub tls: bool,
    pub session_deadline: Instant,
    pub bad_commands: u32,
}

#[derive(Default)]
struct Transaction {
    sender: Option<String>,
    recipients: Vec<String>,
}

struct Session<'a> {
    shared: &'a Arc<Shared>,
    conn: &'a mut Conn,
    io: Box<dyn Io>,
    inbuf: Vec<u8>,
    out: Vec<u8>,
    helo: Option<String>,
    esmtp: bool,
    tx: Transaction,
    data: Option<DataDecoder>,
    /// Draining a command line longer than [`MAX_LINE`].
    discarding: bool,
    deadline: Instant,
}

enum Step {
    Continue,
    Close,
    StartTls,
}

/// Run the session until the client leaves, a limit ends it, or STARTTLS.
pub async fn run(shared: &Arc<Shared>, conn: &mut Conn, io: Box<dyn Io>, greet: bool) -> End {
    let mut s = Session {
        shared,
        deadline: Instant::now() + shared.cfg.command_timeout,
        conn,
        io,
        inbuf: Vec::with_capacity(4096),
        out: Vec::with_capacity(1024),
        helo: None,
        esmtp: false,
        tx: Transaction::default(),
        data: None,
        discarding: false,
    };
    if greet {
        s.reply(&format!(
            "220 {} ESMTP spamtrace capture",
            shared.cfg.hostname
        ));
    }
    match s.serve().await {
        Step::StartTls => End::StartTls(s.io),
        _ => {
            let _ = s.flush().await;
            let _ = s.io.shutdown().await;
            End::Closed
        }
    }
}

impl Session<'_> {
    fn reply(&mut self, line: &str) {
        self.out.extend_from_slice(line.as_bytes());
        self.out.extend_from_slice(b"\r\n");
    }

    /// Send the queued replies. A client that stops reading cannot hold
    /// the slot: the write has the command deadline too.
    async fn flush(&mut self) -> std::io::Result<()> {
        if self.out.is_empty() {
            return Ok(());
        }
        let out = std::mem::take(&mut self.out);
        let until = Instant::now() + self.shared.cfg.command_timeout;
        let io = &mut self.io;
        let r = tokio::time::timeout_at(until, async {
            io.write_all(&out).await?;
            io.flush().await
        })
        .await;
        self.out = out;
        self.out.clear();
        r.map_err(|_| std::io::ErrorKind::TimedOut)?
    }

    async fn serve(&mut self) -> Step {
        let mut chunk = vec![0u8; 16 * 1024];
        let mut shutdown = self.shared.shutdown.clone();
        loop {
            match self.process() {
                Step::Continue => {}
                Step::Close => return Step::Close,
                Step::StartTls => {
                    if self.flush().await.is_err() {
                        return Step::Close;
                    }
                    // Plaintext pipelined after STARTTLS is discarded.
                    return Step::StartTls;
                }
            }
            if self.store_pending().await {
                continue;
            }
            let idle = self.data.is_none() && self.tx.sender.is_none();
            if idle && *shutdown.borrow() {
                self.reply("421 4.3.2 Service shutting down");
                return Step::Close;
            }
            if self.flush().await.is_err() {
                return Step::Close;
            }
            let until = self.deadline.min(self.conn.session_deadline);
            tokio::select! {
                r = tokio::time::timeout_at(until, self.io.read(&mut chunk)) => match r {
                    Err(_) => {
                        let host = self.shared.cfg.hostname.clone();
                        self.reply(&format!("421 4.4.2 {host} Error: timeout exceeded"));
                        return Step::Close;
                    }
                    Ok(Ok(0)) | Ok(Err(_)) => return Step::Close,
                    Ok(Ok(n)) => self.inbuf.extend_from_slice(chunk.get(..n).unwrap_or_default()),
                },
                _ = shutdown.changed(), if idle => {}
            }
        }
    }

    /// Handle what is buffered: DATA text, or complete command lines.
    fn process(&mut self) -> Step {
        loop {
            if let Some(dec) = self.data.as_mut() {
                match dec.feed(&self.inbuf) {
                    Feed::More => {
                        self.inbuf.clear();
                        return Step::Continue;
                    }
                    Feed::Done(n) => {
                        self.inbuf.drain(..n);
                        // The message is complete: store it before anything else.
                        return Step::Continue;
                    }
                }
            }
            let Some(lf) = memchr::memchr(b'\n', &self.inbuf) else {
                if self.inbuf.len() > MAX_LINE {
                    self.inbuf.clear();
                    self.discarding = true;
                }
                return Step::Continue;
            };
            let line: Vec<u8> = self.inbuf.drain(..=lf).collect();
            if std::mem::take(&mut self.discarding) || line.len() > MAX_LINE {
                self.reply("500 5.5.2 Line too long");
                if self.bad() {
                    return Step::Close;
                }
                continue;
            }
            self.deadline = Instant::now() + self.shared.cfg.command_timeout;
            match self.command(&line) {
                Step::Continue => {}
                other => return other,
            }
            if self.data.is_some() {
                self.deadline = Instant::now() + self.shared.cfg.data_timeout;
            }
        }
    }

    /// Count a bad command; true when the limit is passed (421 queued).
    fn bad(&mut self) -> bool {
        self.conn.bad_commands += 1;
        if self.conn.bad_commands >= self.shared.cfg.max_bad_commands {
            self.reply("421 4.7.0 Too many errors, closing connection");
            return true;
        }
        false
    }

    fn bad_reply(&mut self, line: &str) -> Step {
        self.reply(line);
        if self.bad() {
            Step::Close
        } else {
            Step::Continue
        }
    }

    fn command(&mut self, line: &[u8]) -> Step {
        let cfg = &self.shared.cfg;
        // A SIZE too large for smtp-proto's integer is a syntax error
        // there (or wraps): it is simply too big.
        if line.len() > 5
            && line[..5].eq_ignore_ascii_case(b"MAIL ")
            && self.helo.is_some()
            && self.tx.sender.is_none()
            && declared_size(line).is_some_and(|n| n > cfg.max_size)
        {
            self.reply("552 5.3.4 Message size exceeds fixed limit");
            return Step::Continue;
        }
        let mut it = line.iter();
        let req = match Request::parse(&mut it) {
            Ok(r) => r,
            Err(ParseError::InvalidRecipientAddress) => {
                return self.bad_reply("501 5.1.3 Bad recipient address syntax")
            }
            Err(ParseError::InvalidSenderAddress) => {
                return self.bad_reply("501 5.1.7 Bad sender address syntax")
            }
            Err(ParseError::SyntaxError { syntax }) => {
                return self.bad_reply(&format!("501 5.5.4 Syntax: {syntax}"))
            }
            Err(ParseError::InvalidParameter { param }) => {
                return self.bad_reply(&format!("501 5.5.4 Invalid parameter {param}"))
            }
            Err(ParseError::UnsupportedParameter { .. }) => {
                return self.bad_reply("555 5.5.4 Unsupported parameter")
            }
            Err(_) => return self.bad_reply("500 5.5.1 Command unrecognized"),
        };
        match req {
            Request::Ehlo { host } => {
                self.helo = Some(host.into_owned());
                self.esmtp = true;
                self.tx = Transaction::default();
                let mut lines = vec![format!("250-{} Hello", cfg.hostname)];
                lines.push("PIPELINING".into());
                lines.push(format!("SIZE {}", cfg.max_size));
                if !cfg.seven_bit_only {
                    lines.push("8BITMIME".into());
                }
                lines.push("ENHANCEDSTATUSCODES".into());
                if cfg.tls.is_some() && !self.conn.tls {
                    lines.push("STARTTLS".into());
                }
                if !cfg.seven_bit_only {
                    lines.push("SMTPUTF8".into());
                }
                let last = lines.len() - 1;
                for (i, l) in lines.into_iter().enumerate() {
                    let l = match i {
                        0 => l,
                        i if i == last => format!("250 {l}"),
                        _ => format!("250-{l}"),
                    };
                    self.reply(&l);
                }
            }
            Request::Helo { host } => {
                self.helo = Some(host.into_owned());
                self.esmtp = false;
                self.tx = Transaction::default();
                let l = format!("250 {}", cfg.hostname);
                self.reply(&l);
            }
            Request::Mail { from } => {
                if self.helo.is_none() {
                    return self.bad_reply("503 5.5.1 Error: send HELO/EHLO first");
                }
                if self.tx.sender.is_some() {
                    return self.bad_reply("503 5.5.1 Error: nested MAIL command");
                }
                // smtp-proto wraps a SIZE too large for its integer: read
                // the digits ourselves, an overflow is simply too big.
                let declared = declared_size(line).unwrap_or(from.size as u64);
                if declared > cfg.max_size {
                    self.reply("552 5.3.4 Message size exceeds fixed limit");
                    return Step::Continue;
                }
                if cfg.seven_bit_only && needs_8bit(line) {
                    return self
                        .bad_reply("555 5.5.4 BODY=8BITMIME and SMTPUTF8 are not offered here");
                }
                self.tx.sender =
                    Some(quoted_address(line).unwrap_or_else(|| from.address.into_owned()));
                self.reply("250 2.1.0 Ok");
            }
            Request::Rcpt { to } => {
                if self.tx.sender.is_none() {
                    return self.bad_reply("503 5.5.1 Error: need MAIL command");
                }
                // smtp-proto returns an empty address for <postmaster>.
                let address = if to.address.is_empty() {
                    match bracketed(line) {
                        Some(a) if a.eq_ignore_ascii_case(b"postmaster") => "postmaster".into(),
                        _ => return self.bad_reply("501 5.1.3 Bad recipient address syntax"),
                    }
                } else {
                    quoted_address(line).unwrap_or_else(|| to.address.into_owned())
                };
                if self.tx.recipients.len() >= cfg.max_rcpt {
                    self.reply("452 4.5.3 Too many recipients");
                    return Step::Continue;
                }
                self.tx.recipients.push(address);
                self.reply("250 2.1.5 Ok");
            }
            Request::Data => {
                if self.tx.sender.is_none() {
                    return self.bad_reply("503 5.5.1 Error: need MAIL command");
                }
                if self.tx.recipients.is_empty() {
                    return self.bad_reply("503 5.5.1 Error: need RCPT command");
                }
                self.data = Some(DataDecoder::new(cfg.max_size, Arc::clone(&cfg.budget)));
                self.reply("354 End data with <CR><LF>.<CR><LF>");
            }
            Request::Rset => {
                self.tx = Transaction::default();
                self.reply("250 2.0.0 Ok");
            }
            Request::Noop { .. } => self.reply("250 2.0.0 Ok"),
            Request::Quit => {
                self.reply("221 2.0.0 Bye");
                return Step::Close;
            }
            Request::Vrfy { .. } => {
                self.reply("252 2.5.0 Cannot VRFY user, but will accept message")
            }
            Request::Help { .. } => self.reply(
                "214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP STARTTLS",
            ),
            Request::StartTls => {
                if cfg.tls.is_none() {
                    return self.bad_reply("502 5.5.1 Error: STARTTLS not available");
                }
                if self.conn.tls {
                    return self.bad_reply("503 5.5.1 Error: TLS already active");
                }
                self.reply("220 2.0.0 Ready to start TLS");
                return Step::StartTls;
            }
            _ => return self.bad_reply("502 5.5.1 Error: command not implemented"),
        }
        Step::Continue
    }

    /// When DATA has just ended, store the message and queue the reply.
    /// Returns true when it did.
    async fn store_pending(&mut self) -> bool {
        let Some(dec) = self.data.as_ref() else {
            return false;
        };
        if !dec.finished() {
            return false;
        }
        let Some(mut dec) = self.data.take() else {
            return false;
        };
        let tx = std::mem::take(&mut self.tx);
        self.deadline = Instant::now() + self.shared.cfg.command_timeout;
        if dec.too_big() {
            self.reply("552 5.3.4 Message size exceeds fixed limit");
            return true;
        }
        if dec.out_of_memory() {
            self.reply("452 4.3.1 Insufficient system storage, try again later");
            return true;
        }
        let cfg = &self.shared.cfg;
        let time = crate::util::clock::unix_now();
        let id = super::next_id(time);
        let sender = tx.sender.unwrap_or_default();
        let protocol = match (self.esmtp, self.conn.tls) {
            (false, _) => "SMTP",
            (true, false) => "ESMTP",
            (true, true) => "ESMTPS",
        };
        let stamp = stamp::headers(&stamp::Envelope {
            peer: self.conn.peer,
            helo: self.helo.as_deref().unwrap_or(""),
            hostname: &cfg.hostname,
            protocol,
            id: &id,
            sender: &sender,
            recipients: &tx.recipients,
            time,
        });
        let content = dec.take_text();
        if cfg.seven_bit_only && !seven_bit(&content) {
            self.reply("554 5.6.0 8-bit data or a line over 998 octets: this server offers neither 8BITMIME nor SMTPUTF8");
            return true;
        }
        let msg = Message {
            id: id.clone(),
            sender,
            time,
            stamp,
            content,
            lf: !cfg.keep_crlf,
        };
        let shared = Arc::clone(self.shared);
        let stored = tokio::task::spawn_blocking(move || shared.store_and_analyze(msg)).await;
        match stored {
            Ok(Ok(())) => self.reply(&format!("250 2.0.0 Ok: queued as {id}")),
            Ok(Err(e)) => {
                eprintln!(
                    "spamtrace capture: cannot store message {id}: {}",
                    crate::util::sanitize::for_terminal(&e.to_string())
                );
                self.reply("451 4.3.0 Error: cannot store message, try again later");
            }
            Err(_) => self.reply("451 4.3.0 Error: cannot store message, try again later"),
        }
        // Only now, with the message stored, is its memory budget given back.
        drop(dec);
        true
    }
}

/// The SIZE= a MAIL command declares, read from the line itself; an
/// overflowing number is `u64::MAX` (too big, not wrapped).
fn declared_size(line: &[u8]) -> Option<u64> {
    let close = memchr::memchr(b'>', line)?;
    let params = line.get(close + 1..)?;
    params
        .split(|b| b.is_ascii_whitespace())
        .filter_map(|p| {
            let (k, v) = p.split_at(p.iter().position(|b| *b == b'=')?);
            k.eq_ignore_ascii_case(b"SIZE").then_some(&v[1..])
        })
        .map(|v| {
            let digits = std::str::from_utf8(v).unwrap_or("");
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                digits.parse::<u64>().unwrap_or(u64::MAX)
            } else {
                0
            }
        })
        .next()
}

/// A MAIL command that asks for 8BITMIME or SMTPUTF8.
fn needs_8bit(line: &[u8]) -> bool {
    let Some(close) = memchr::memchr(b'>', line) else {
        return false;
    };
    let params = String::from_utf8_lossy(&line[close + 1..]).to_ascii_uppercase();
    params.contains("BODY=8BITMIME") || params.contains("SMTPUTF8")
}

/// What a relay without 8BITMIME and SMTPUTF8 may carry: 7-bit bytes in
/// lines of at most 998 octets.
fn seven_bit(text: &super::data::Content) -> bool {
    // The length of the line so far (a line may span chunks), CR included.
    let mut line = 0usize;
    for c in text.chunks() {
        if !c.is_ascii() {
            return false;
        }
        let mut rest = c;
        while let Some(i) = memchr::memchr(b'\n', rest) {
            line += i;
            if line > 999 || (line == 999 && rest.get(i.wrapping_sub(1)) != Some(&b'\r')) {
                return false;
            }
            line = 0;
            rest = &rest[i + 1..];
        }
        line += rest.len();
    }
    line <= 998
}

/// The address as the client wrote it, when its local part is quoted
/// (`<"john smith"@example.org>`): smtp-proto drops the quotes, which names
/// another mailbox. `None` for the common unquoted case, or when the text
/// has a control character.
fn quoted_address(line: &[u8]) -> Option<String> {
    let raw = bracketed(line)?;
    if !raw.starts_with(b"\"") || raw.iter().any(|b| b.is_ascii_control()) {
        return None;
    }
    let text = std::str::from_utf8(raw).ok()?;
    // The closing quote, then `@domain` (a quoted-pair may escape a quote).
    let mut escaped = false;
    let mut close = None;
    for (i, c) in text.char_indices().skip(1) {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => {
                close = Some(i);
                break;
            }
            _ => escaped = false,
        }
    }
    let close = close?;
    text[close + 1..].starts_with('@').then(|| text.to_string())
}

/// The text between the first `<` and the following `>` of a line.
fn bracketed(line: &[u8]) -> Option<&[u8]> {
    let start = memchr::memchr(b'<', line)? + 1;
    let len = memchr::memchr(b'>', line.get(start..)?)?;
    line.get(start..start + len)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// smtp-proto sees every command line a client sends: it must not
    /// panic on garbage (pseudo-random lines, fixed seed).
    #[test]
    fn command_parser_survives_garbage() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let prefixes: [&[u8]; 6] = [
            b"MAIL FROM:<",
            b"RCPT TO:<",
            b"EHLO ",
            b"HELO ",
            b"",
            b"VRFY ",
        ];
        let alphabet = b"<>:@\"\\. =\r\n\0\xff\xc3aZ9-[]";
        for _ in 0..20_000 {
            let mut line = prefixes[(next() % 6) as usize].to_vec();
            for _ in 0..(next() % 40) {
                line.push(alphabet[(next() as usize) % alphabet.len()]);
            }
            line.extend_from_slice(b"\r\n");
            let _ = Request::parse(&mut line.iter());
            assert!(bracketed(&line).is_none_or(|b| b.len() < line.len()));
        }
    }
}
