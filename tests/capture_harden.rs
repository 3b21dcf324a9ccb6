//! Issue 15 and 16 on `spamtrace capture`: what is stored (LF by default,
//! quoted local parts), the limits that overflowed, the per-IP key, and an
//! ARF report that crosses a hop offering neither 8BITMIME nor SMTPUTF8.

#[path = "capture/common.rs"]
mod common;

use common::*;
use spamtrace::chain::TraceOptions;
use spamtrace::input::reader::MessageReader;
use spamtrace::input::InputOptions;
use spamtrace::report::render::arf;
use spamtrace::report::render::complaint::ComplaintOptions;
use std::net::IpAddr;
use std::process::{Command, Stdio};

const HELLO: &str =
    "EHLO client.example\r\nMAIL FROM:<s@example.com>\r\nRCPT TO:<r@example.org>\r\nDATA\r\n";

#[test]
fn lf_line_ends_by_default_bare_cr_kept() {
    let srv = Server::start_lf(Store::Maildir, &[]);
    let t = raw_session(
        srv.addr,
        format!("{HELLO}Subject: a\r\nX: b\rc\r\n\r\nline\r\n.\r\nQUIT\r\n").as_bytes(),
    );
    assert_eq!(codes(&t), ["250", "250", "250", "354", "250", "221"], "{t}");
    let stored = srv.stored();
    let bytes = &stored[0].1;
    assert!(!bytes.windows(2).any(|w| w == b"\r\n"), "{bytes:?}");
    assert!(bytes.starts_with(b"Return-Path: <s@example.com>\nReceived: from"));
    assert!(
        bytes.ends_with(b"Subject: a\nX: b\rc\n\nline\n"),
        "{bytes:?}"
    );
}

#[test]
fn lf_in_mbox_and_keep_crlf_keeps_the_wire() {
    let srv = Server::start_lf(Store::Mbox, &[]);
    let t = raw_session(
        srv.addr,
        format!("{HELLO}Subject: a\r\n\r\nFrom here\r\n.\r\nQUIT\r\n").as_bytes(),
    );
    assert_eq!(codes(&t)[4], "250", "{t}");
    let mbox = std::fs::read(srv.mbox()).unwrap();
    assert!(!mbox.contains(&b'\r'), "{}", String::from_utf8_lossy(&mbox));
    assert!(mbox.ends_with(b"Subject: a\n\n>From here\n\n"));

    let srv = Server::start(Store::Maildir, &[]);
    let t = raw_session(
        srv.addr,
        format!("{HELLO}Subject: a\r\n\r\nx\r\n.\r\nQUIT\r\n").as_bytes(),
    );
    assert_eq!(codes(&t)[4], "250", "{t}");
    assert_eq!(content(&srv.stored()[0].1), b"Subject: a\r\n\r\nx\r\n");
}

#[test]
fn quoted_local_parts_keep_their_quotes() {
    let srv = Server::start(Store::Maildir, &[]);
    let t = raw_session(
        srv.addr,
        b"EHLO c.example\r\nMAIL FROM:<\"john smith\"@example.org>\r\nRCPT TO:<\"jane doe\"@example.net>\r\nDATA\r\nSubject: q\r\n\r\nx\r\n.\r\nQUIT\r\n",
    );
    assert_eq!(codes(&t), ["250", "250", "250", "354", "250", "221"], "{t}");
    let text = String::from_utf8(srv.stored()[0].1.clone()).unwrap();
    assert!(
        text.starts_with("Return-Path: <\"john smith\"@example.org>\r\n"),
        "{text}"
    );
    assert!(text.contains("for <\"jane doe\"@example.net>;"), "{text}");
}

#[test]
fn a_size_too_large_for_any_integer_is_too_big() {
    let srv = Server::start(Store::Maildir, &["--max-size", "1000"]);
    for size in ["99999999999999999999999", "18446744073709551616", "1001"] {
        let t = raw_session(
            srv.addr,
            format!("EHLO c\r\nMAIL FROM:<s@example.com> SIZE={size}\r\nQUIT\r\n").as_bytes(),
        );
        assert_eq!(codes(&t), ["250", "552", "221"], "SIZE={size}: {t}");
    }
    let t = raw_session(
        srv.addr,
        b"EHLO c\r\nMAIL FROM:<s@example.com> SIZE=999\r\nQUIT\r\n",
    );
    assert_eq!(codes(&t), ["250", "250", "221"], "{t}");
}

#[test]
fn huge_timeouts_are_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    for flag in ["--command-timeout", "--data-timeout", "--session-timeout"] {
        let out = Command::new(env!("CARGO_BIN_EXE_spamtrace"))
            .args(["capture", "--listen", "127.0.0.1:0", "--maildir"])
            .arg(dir.path().join("md"))
            .args([flag, "1e19"])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag}: {err}");
        assert!(err.contains(flag) && err.contains("at most"), "{err}");
    }
}

#[test]
fn ipv6_clients_count_by_their_64() {
    let key = |s: &str, p| spamtrace::capture::client_key(s.parse::<IpAddr>().unwrap(), p);
    assert_eq!(key("2001:db8:1:2::1", 64), key("2001:db8:1:2:ffff::9", 64));
    assert_ne!(key("2001:db8:1:2::1", 64), key("2001:db8:1:3::1", 64));
    assert_ne!(key("2001:db8:1:2::1", 128), key("2001:db8:1:2::2", 128));
    assert_eq!(
        key("::ffff:192.0.2.7", 64),
        "192.0.2.7".parse::<IpAddr>().unwrap()
    );
    assert_eq!(key("192.0.2.7", 64), "192.0.2.7".parse::<IpAddr>().unwrap());
}

/// Send `text` (CRLF lines) through one SMTP transaction, dot-stuffed.
fn send(addr: std::net::SocketAddr, text: &[u8]) -> String {
    let mut data = Vec::new();
    for line in text.split_inclusive(|b| *b == b'\n') {
        if line.starts_with(b".") {
            data.push(b'.');
        }
        data.extend_from_slice(line);
    }
    let mut session = HELLO.as_bytes().to_vec();
    session.extend_from_slice(&data);
    session.extend_from_slice(b".\r\nQUIT\r\n");
    raw_session(addr, &session)
}

#[test]
fn seven_bit_hop_offers_neither_extension_and_refuses_8bit() {
    let srv = Server::start(Store::Maildir, &["--seven-bit-only"]);
    let t = raw_session(srv.addr, b"EHLO c\r\nQUIT\r\n");
    assert!(!t.contains("8BITMIME") && !t.contains("SMTPUTF8"), "{t}");
    assert!(
        t.contains("250 ENHANCEDSTATUSCODES") || t.contains("250-ENHANCEDSTATUSCODES"),
        "{t}"
    );
    let t = send(srv.addr, "Subject: café\r\n\r\nx\r\n".as_bytes());
    assert_eq!(codes(&t)[4], "554", "{t}");
    let long = format!("Subject: a\r\n\r\n{}\r\n", "x".repeat(999));
    let t = send(srv.addr, long.as_bytes());
    assert_eq!(codes(&t)[4], "554", "{t}");
    let t = raw_session(
        srv.addr,
        b"EHLO c\r\nMAIL FROM:<s@example.com> BODY=8BITMIME\r\nQUIT\r\n",
    );
    assert_eq!(codes(&t), ["250", "555", "221"], "{t}");
    assert!(srv.stored().is_empty());
}

/// The message issue 15 names: a 2,000-octet line, 8-bit and UTF-8
/// headers, a lone "." line in the body.
fn hostile_original() -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(
        b"Received: from mail.example.net (mail.example.net [203.0.113.9])\r\n\tby mx.example.org with ESMTP id 1; Mon, 1 Jan 2024 00:00:00 +0000\r\n",
    );
    m.extend_from_slice(
        "From: Françoise <f@example.net>\r\nSubject: prix réduit 日本\r\n".as_bytes(),
    );
    m.extend_from_slice(b"X-Latin1: caf\xe9\r\n");
    m.extend_from_slice(format!("In-Reply-To: <{}@example.net>\r\n", "a".repeat(2000)).as_bytes());
    m.extend_from_slice(
        b"Message-ID: <1@example.net>\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\n",
    );
    m.extend_from_slice(b"first line\r\n.\r\n");
    m.extend_from_slice(format!("<p>{}</p>\r\n", "b".repeat(2000)).as_bytes());
    m.extend_from_slice(b"last\r\n");
    m
}

/// The third part of the ARF, decoded: (its header, its bytes).
fn original_part(report: &[u8]) -> (String, Vec<u8>) {
    let text = String::from_utf8(report.to_vec()).expect("the report is ASCII");
    let b = text
        .split("boundary=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let parts: Vec<&str> = text.split(&format!("\r\n--{b}")).collect();
    let third = parts[3].trim_start_matches("\r\n");
    let (head, body) = third.split_once("\r\n\r\n").unwrap();
    use base64::Engine as _;
    let clean: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(clean)
        .expect("base64");
    (head.to_string(), bytes)
}

#[test]
fn arf_original_survives_a_hop_without_8bitmime_and_smtputf8() {
    let original = hostile_original();
    let opts = InputOptions {
        keep_body: true,
        ..InputOptions::default()
    };
    let msg = MessageReader::new(&original[..], "hostile.eml", opts)
        .next()
        .unwrap()
        .unwrap();
    let report = spamtrace::trace(&msg, &TraceOptions::default());
    let copts = ComplaintOptions {
        include_body: true,
        now: 1_704_067_200,
        ..ComplaintOptions::default()
    };
    let arf = arf::render(&report, &msg, &copts);
    for l in arf.split(|b| *b == b'\n') {
        assert!(l.is_ascii() && l.len() <= 999, "line of {} octets", l.len());
    }
    let (head, decoded) = original_part(&arf);
    assert!(head.contains("Content-Type: message/global"), "{head}");
    assert!(head.contains("Content-Transfer-Encoding: base64"), "{head}");
    assert!(
        head.contains("Content-Description: the original, base64"),
        "{head}"
    );
    assert_eq!(decoded, original, "the copy in the report");

    let srv = Server::start(Store::Maildir, &["--seven-bit-only"]);
    let t = send(srv.addr, &arf);
    assert_eq!(codes(&t), ["250", "250", "250", "354", "250", "221"], "{t}");
    let stored = srv.stored();
    let relayed = content(&stored[0].1);
    assert_eq!(relayed, &arf[..], "the report as relayed");
    let (_, decoded) = original_part(relayed);
    assert_eq!(decoded, original, "the original after the hop");

    // The headers-only report: text/rfc822-headers, base64 too.
    let copts = ComplaintOptions {
        include_body: false,
        ..copts
    };
    let arf = arf::render(&report, &msg, &copts);
    let (head, decoded) = original_part(&arf);
    assert!(head.contains("text/rfc822-headers"), "{head}");
    let end = original.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 2;
    assert_eq!(decoded, &original[..end]);
    let t = send(srv.addr, &arf);
    assert_eq!(codes(&t)[4], "250", "{t}");
}

#[test]
fn a_plain_original_stays_message_rfc822_7bit() {
    let original = b"Received: from a.example.net ([203.0.113.9]) by mx.example.org; Mon, 1 Jan 2024 00:00:00 +0000\r\nSubject: plain\r\nMessage-ID: <2@example.net>\r\n\r\nbody\r\n";
    let opts = InputOptions {
        keep_body: true,
        ..InputOptions::default()
    };
    let msg = MessageReader::new(&original[..], "plain.eml", opts)
        .next()
        .unwrap()
        .unwrap();
    let report = spamtrace::trace(&msg, &TraceOptions::default());
    let copts = ComplaintOptions {
        include_body: true,
        now: 1_704_067_200,
        ..ComplaintOptions::default()
    };
    let arf = String::from_utf8(arf::render(&report, &msg, &copts)).unwrap();
    assert!(arf.contains("Content-Type: message/rfc822\r\nContent-Transfer-Encoding: 7bit\r\n\r\nReceived: from a.example.net"), "{arf}");
    assert!(!arf.contains("base64"));
}
