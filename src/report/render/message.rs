//! The complaint as a mail message, ready for `sendmail -t -i`: a header
//! block (From when the reporter is known, To, Cc, Subject, Date,
//! Message-ID, MIME-Version, Content-Type text/plain; charset=utf-8) over
//! the complaint text of [`super::complaint::render`], which keeps the
//! suggested recipients in the body. Lines end in LF, as a local mail
//! submission expects.
//!
//! Also here: who a report is addressed to ([`Addressing`], for this
//! message and the ARF report alike), and the Message-ID with a random
//! part, so two reports made in the same second for the same message
//! never share one.

use super::complaint::{self, ComplaintOptions};
use crate::enrich::abuse::address::{self, Mailbox};
use crate::input::RawMessage;
use crate::model::Report;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;

/// The recipients of a report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Addressing {
    pub to: Vec<String>,
    pub cc: Vec<String>,
}

impl Addressing {
    /// The contacts found ([`complaint::recipients`] in To, [`complaint::cc`]
    /// in Cc) with `cc` added; or, when `to` is given, exactly `to` and
    /// `cc` (the user has chosen: the contacts found stay listed in the
    /// body). Only plain, safe addresses are kept.
    ///
    /// A mailing list's post is addressed to nobody found unless `--force`
    /// ([`complaint::addressed`]): the list relayed it, its operator did not
    /// send it.
    pub fn new(r: &Report, opts: &ComplaintOptions, to: &[String], cc: &[String]) -> Addressing {
        let safe = |v: Vec<String>| -> Vec<String> {
            let mut out: Vec<String> = Vec::new();
            for a in v {
                if address::is_safe(&a) && !out.iter().any(|o| o.eq_ignore_ascii_case(&a)) {
                    out.push(a);
                }
            }
            out
        };
        let given = |v: &[String]| -> Vec<String> {
            v.iter()
                .filter_map(|a| Mailbox::parse(a).ok())
                .map(|m| m.to_header())
                .collect()
        };
        if !to.is_empty() {
            return Addressing {
                to: given(to),
                cc: given(cc),
            };
        }
        let found = |v: Vec<&crate::model::AbuseContact>| -> Vec<String> {
            v.iter().map(|c| c.address.clone()).collect()
        };
        let addressed = complaint::addressed(r, opts);
        let to = safe(found(addressed.clone()));
        let mut all_cc = if addressed.is_empty() {
            Vec::new()
        } else {
            safe(found(complaint::cc(&r.abuse_contacts)))
        };
        all_cc.extend(given(cc));
        Addressing { to, cc: all_cc }
    }

    /// No recipient at all: `sendmail -t` would refuse the message.
    pub fn is_empty(&self) -> bool {
        self.to.is_empty() && self.cc.is_empty()
    }
}

/// `len` random bytes as hex: from the kernel, or (without /dev/urandom)
/// from the clock, the process and a counter.
pub fn random_hex(len: usize) -> String {
    let mut bytes = vec![0u8; len];
    let read = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes));
    if read.is_err() {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let mut h = Sha256::new();
        h.update(nanos.to_le_bytes());
        h.update(std::process::id().to_le_bytes());
        h.update(
            COUNTER
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                .to_le_bytes(),
        );
        let d = h.finalize();
        bytes = d.iter().cycle().take(len).copied().collect();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A Message-ID (without brackets) for a report made at `now` by someone
/// at `domain`: `spamtrace.NOW.HASH.RANDOM@domain`, the hash of `seed`
/// (what the report is about), the random part so that two reports never
/// share one.
pub(crate) fn message_id(now: i64, domain: &str, seed: &[u8]) -> String {
    let d = Sha256::digest(seed);
    let hash: String = d[..4].iter().map(|x| format!("{x:02x}")).collect();
    format!("spamtrace.{now}.{hash}.{}@{domain}", random_hex(8))
}

/// A value for a header we write: no control character, ASCII only.
fn clean(s: &str) -> String {
    super::arf::clean_value(s)
}

/// Fold `Name: value` at spaces to lines of at most 78 characters where
/// possible (RFC 5322 2.2.3), LF line ends.
fn fold(line: &str) -> String {
    super::arf::fold_lines(line, "\n")
}

/// Longest line a message may carry (RFC 5322 2.1.1), CRLF excluded.
const MAX_LINE: usize = 998;

/// The body as 7bit or 8bit when every line fits, else quoted-printable
/// (a copied header line can be longer than a message line may be).
fn encode_body(text: &str) -> (&'static str, String) {
    if text.lines().all(|l| l.len() <= MAX_LINE) {
        let cte = if text.is_ascii() { "7bit" } else { "8bit" };
        return (cte, text.to_string());
    }
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    for line in text.split_inclusive('\n') {
        let (line, nl) = match line.strip_suffix('\n') {
            Some(l) => (l, true),
            None => (line, false),
        };
        let mut width = 0;
        let bytes = line.as_bytes();
        for (i, &b) in bytes.iter().enumerate() {
            let last = i + 1 == bytes.len();
            let plain =
                (b == b' ' || b == b'\t') && !last || (b'!'..=b'~').contains(&b) && b != b'=';
            let piece = if plain {
                (b as char).to_string()
            } else {
                format!("={b:02X}")
            };
            if width + piece.len() > 75 {
                out.push_str("=\n");
                width = 0;
            }
            out.push_str(&piece);
            width += piece.len();
        }
        if nl {
            out.push('\n');
        }
    }
    ("quoted-printable", out)
}

/// The complaint body: [`complaint::render`] without its own `Subject:`
/// and `From:` lines, which are now the message's header fields.
fn body(r: &Report, msg: &RawMessage, opts: &ComplaintOptions) -> String {
    let text = complaint::render(r, msg, opts);
    let mut rest = text.as_str();
    for prefix in ["Subject: ", "From: "] {
        if rest.starts_with(prefix) {
            rest = rest.split_once('\n').map_or("", |(_, tail)| tail);
        }
    }
    rest.to_string()
}

/// The reporter (`--reporter`) as a mailbox, and the domain our
/// Message-IDs are made at (`localhost` without a reporter).
pub fn reporter(reporter: Option<&str>) -> (Option<Mailbox>, String) {
    let from = reporter.and_then(|r| Mailbox::parse(r).ok());
    let domain = from
        .as_ref()
        .and_then(|m| m.address.rsplit_once('@').map(|(_, d)| d.to_string()))
        .unwrap_or_else(|| "localhost".into());
    (from, domain)
}

/// The text complaint as a whole message (LF line ends).
pub fn text(r: &Report, msg: &RawMessage, opts: &ComplaintOptions, to: &Addressing) -> String {
    let subject = format!("Abuse report: {}", clean(&complaint::subject(r)));
    compose(&subject, &body(r, msg, opts), msg, opts, to)
}

/// A complaint message: the header block over `text` (LF line ends).
pub fn compose(
    subject: &str,
    text: &str,
    msg: &RawMessage,
    opts: &ComplaintOptions,
    to: &Addressing,
) -> String {
    let (from, domain) = reporter(opts.reporter.as_deref());
    let mut seed = opts.now.to_le_bytes().to_vec();
    seed.extend_from_slice(&msg.header);
    let id = opts
        .message_id
        .as_deref()
        .map(clean)
        .filter(|m| !m.is_empty() && !m.contains(['<', '>', ' ']))
        .unwrap_or_else(|| message_id(opts.now, &domain, &seed));
    let mut head = String::new();
    if let Some(f) = &from {
        head.push_str(&fold(&format!("From: {}", f.to_header())));
    }
    if !to.to.is_empty() {
        head.push_str(&fold(&format!("To: {}", to.to.join(", "))));
    }
    if !to.cc.is_empty() {
        head.push_str(&fold(&format!("Cc: {}", to.cc.join(", "))));
    }
    head.push_str(&fold(&format!("Subject: {}", clean(subject))));
    let date = mail_parser::DateTime::from_timestamp(opts.now).to_rfc822();
    let _ = write!(
        head,
        "Date: {date}\nMessage-ID: <{id}>\nMIME-Version: 1.0\n"
    );
    let (cte, body) = encode_body(text);
    let _ = write!(
        head,
        "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: {cte}\n"
    );
    head.push('\n');
    head.push_str(&body);
    head
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_differ_in_the_same_second() {
        let a = message_id(1, "example.org", b"same");
        let b = message_id(1, "example.org", b"same");
        assert_ne!(a, b);
        assert!(
            a.starts_with("spamtrace.1.") && a.ends_with("@example.org"),
            "{a}"
        );
    }

    #[test]
    fn long_lines_are_quoted_printable() {
        let (cte, s) = encode_body("short\n");
        assert_eq!((cte, s.as_str()), ("7bit", "short\n"));
        assert_eq!(encode_body("caf\u{e9}\n").0, "8bit");
        let long = format!("{}\n.\n", "x= ".repeat(500));
        let (cte, s) = encode_body(&long);
        assert_eq!(cte, "quoted-printable");
        assert!(s.lines().all(|l| l.len() <= 76), "{s}");
        assert!(s.contains("x=3D"));
        // A lone dot line stays a line of its own (sendmail -i keeps it).
        assert!(s.lines().any(|l| l == "."));
    }

    #[test]
    fn folds_at_spaces() {
        let f = fold(&format!("To: {}", ["abuse@example.org"; 8].join(", ")));
        assert!(f.lines().all(|l| l.len() <= 78));
        assert!(f.lines().skip(1).all(|l| l.starts_with(' ')));
    }
}
