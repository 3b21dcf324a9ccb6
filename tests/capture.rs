//! `spamtrace capture` against real clients on loopback: python3 smtplib
//! for well-behaved sessions, raw sockets for malformed input.

#[path = "capture/common.rs"]
mod common;

use common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const HELLO: &str =
    "EHLO client.example\r\nMAIL FROM:<s@example.com>\r\nRCPT TO:<r@example.org>\r\nDATA\r\n";

#[test]
fn empty_message_is_stored() {
    let srv = Server::start(Store::Maildir, &[]);
    let t = raw_session(srv.addr, format!("{HELLO}.\r\nQUIT\r\n").as_bytes());
    assert_eq!(codes(&t), ["250", "250", "250", "354", "250", "221"], "{t}");
    let stored = srv.stored();
    assert_eq!(stored.len(), 1);
    assert_eq!(content(&stored[0].1), b"");
    let text = String::from_utf8_lossy(&stored[0].1);
    assert!(text.starts_with("Return-Path: <s@example.com>\r\nReceived: from client.example ([127.0.0.1])\r\n\tby trap.test (spamtrace) with ESMTP id "), "{text}");
    assert!(text.contains("\tfor <r@example.org>;\r\n"), "{text}");
}

#[test]
fn pipelined_in_one_packet_and_dot_stuffing_on_first_line() {
    let srv = Server::start(Store::Maildir, &[]);
    let t = raw_session(
        srv.addr,
        format!("{HELLO}..first\r\n...second\r\n.third\r\n.\r\nQUIT\r\n").as_bytes(),
    );
    assert_eq!(codes(&t), ["250", "250", "250", "354", "250", "221"], "{t}");
    assert!(
        t.contains("250-PIPELINING") && t.contains("250-SIZE "),
        "{t}"
    );
    let stored = srv.stored();
    assert_eq!(stored.len(), 1);
    // `..` loses one dot; a lone leading dot (not stuffed) is kept as sent.
    assert_eq!(content(&stored[0].1), b".first\r\n..second\r\n.third\r\n");
}

#[test]
fn smuggling_sequences_never_end_data() {
    let srv = Server::start(Store::Maildir, &[]);
    let seqs: [&[u8]; 4] = [b"\n.\n", b"\n.\r\n", b"\r.\r\n", b"\r\n.\rX"];
    for (i, seq) in seqs.iter().enumerate() {
        let before = srv.stored().len();
        let mut body = b"Subject: smuggle\r\n\r\nhead".to_vec();
        body.extend_from_slice(seq);
        let smuggled = format!(
            "MAIL FROM:<smuggled{i}@evil.example>\r\nRCPT TO:<victim@example.org>\r\nDATA\r\nSubject: smuggled {i}\r\n\r\nfake\r\n"
        );
        body.extend_from_slice(smuggled.as_bytes());
        let mut session = HELLO.as_bytes().to_vec();
        session.extend_from_slice(&body);
        session.extend_from_slice(b".\r\nQUIT\r\n");
        let t = raw_session(srv.addr, &session);
        assert_eq!(
            codes(&t),
            ["250", "250", "250", "354", "250", "221"],
            "{seq:?}: {t}"
        );
        let stored = srv.stored();
        assert_eq!(stored.len(), before + 1, "{seq:?}: exactly one message");
        let newest = stored
            .iter()
            .find(|(_, b)| b.windows(smuggled.len()).any(|w| w == smuggled.as_bytes()))
            .expect("smuggled text inside the stored message");
        assert_eq!(content(&newest.1), &body[..], "{seq:?}: stored as sent");
    }
}

#[test]
fn commands_out_of_order_get_503() {
    let srv = Server::start(Store::Maildir, &[]);
    let t = raw_session(
        srv.addr,
        b"MAIL FROM:<a@b.example>\r\nEHLO c.example\r\nRCPT TO:<r@example.org>\r\nDATA\r\nMAIL FROM:<a@b.example>\r\nDATA\r\nMAIL FROM:<a@b.example>\r\nQUIT\r\n",
    );
    assert_eq!(
        codes(&t),
        ["503", "250", "503", "503", "250", "503", "503", "221"],
        "{t}"
    );
    assert!(srv.stored().is_empty());
}

#[test]
fn long_command_line_is_refused_and_session_goes_on() {
    let srv = Server::start(Store::Maildir, &[]);
    let mut s = format!("EHLO {}\r\n", "a".repeat(5000)).into_bytes();
    s.extend_from_slice(b"NOOP\r\nQUIT\r\n");
    let t = raw_session(srv.addr, &s);
    assert!(t.starts_with("500 5.5.2 "), "{t}");
    assert_eq!(codes(&t), ["500", "250", "221"], "{t}");
}

#[test]
fn too_many_bad_commands_end_the_session() {
    let srv = Server::start(Store::Maildir, &["--max-bad-commands", "3"]);
    let t = raw_session(srv.addr, &b"BOGUS\r\n".repeat(10));
    assert_eq!(codes(&t), ["500", "500", "500", "421"], "{t}");
}

#[test]
fn recipient_limit_and_postmaster() {
    let srv = Server::start(Store::Maildir, &[]);
    let mut s = b"EHLO c.example\r\nMAIL FROM:<>\r\nRCPT TO:<postmaster>\r\n".to_vec();
    for i in 0..100 {
        s.extend_from_slice(format!("RCPT TO:<r{i}@example.org>\r\n").as_bytes());
    }
    s.extend_from_slice(b"QUIT\r\n");
    let t = raw_session(srv.addr, &s);
    let c = codes(&t);
    assert_eq!(c.iter().filter(|c| *c == "250").count(), 1 + 1 + 100, "{t}");
    assert_eq!(c.iter().filter(|c| *c == "452").count(), 1, "{t}");
    assert!(t.contains("452 4.5.3 "), "{t}");
}

#[test]
fn smtplib_101_recipients() {
    if !have_python() {
        return;
    }
    let srv = Server::start(Store::Maildir, &[]);
    let out = python(
        "smtplib_case.py",
        &[srv.addr.port().to_string(), "rcpt101".into()],
        Duration::from_secs(30),
    );
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let refused = v["refused"].as_object().expect("refused");
    assert_eq!(refused.len(), 1, "{out}");
    assert_eq!(refused["r100@example.org"][0], 452);
    let stored = srv.stored();
    assert_eq!(stored.len(), 1);
    // More than one recipient: no `for` clause naming one of them.
    assert!(!String::from_utf8_lossy(&stored[0].1).contains("\tfor <"));
}

#[test]
fn smtplib_nul_8bit_and_dot_first_line() {
    if !have_python() {
        return;
    }
    let srv = Server::start(Store::Maildir, &[]);
    let out = python(
        "smtplib_case.py",
        &[srv.addr.port().to_string(), "basic".into()],
        Duration::from_secs(30),
    );
    assert_eq!(out.trim(), r#"{"refused": {}}"#);
    let stored = srv.stored();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        content(&stored[0].1),
        b"Subject: basic\r\n\r\n.first line\r\nnul:\0 8bit:\xff\xfe\r\n..two\r\n"
    );
}

#[test]
fn oversized_message_is_refused() {
    if !have_python() {
        return;
    }
    let srv = Server::start(Store::Maildir, &["--max-size", "100000"]);
    // smtplib declares SIZE=..., refused at MAIL.
    let out = python(
        "smtplib_case.py",
        &[srv.addr.port().to_string(), "oversize".into()],
        Duration::from_secs(30),
    );
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["error"][0], 552, "{out}");
    assert_eq!(v["noop"], 250);
    // Without SIZE: 1 MB drained, then 552 5.3.4, and the session goes on.
    let mut s = HELLO.as_bytes().to_vec();
    for _ in 0..10_000 {
        s.extend_from_slice(&[b'y'; 98]);
        s.extend_from_slice(b"\r\n");
    }
    s.extend_from_slice(b".\r\nNOOP\r\nQUIT\r\n");
    let t = raw_session(srv.addr, &s);
    assert_eq!(
        codes(&t),
        ["250", "250", "250", "354", "552", "250", "221"],
        "{t}"
    );
    assert!(t.contains("552 5.3.4 "));
    assert!(srv.stored().is_empty());
}

#[test]
fn one_byte_a_second_client_is_cut_off() {
    let srv = Server::start(Store::Maildir, &["--command-timeout", "2"]);
    let mut s = TcpStream::connect(srv.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    let start = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 512];
    // One byte a second, forever: only the deadline can end this.
    for b in b"EHLO slow.example.org.very.slowly".iter().cycle() {
        if s.write_all(&[*b]).is_err() || start.elapsed() > Duration::from_secs(15) {
            break;
        }
        let tick = Instant::now();
        let mut closed = false;
        while tick.elapsed() < Duration::from_secs(1) {
            match s.read(&mut buf) {
                Ok(0) => {
                    closed = true;
                    break;
                }
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(_) => {}
            }
        }
        if closed {
            break;
        }
    }
    let t = String::from_utf8_lossy(&got);
    assert!(t.contains("421 4.4.2 "), "{t}");
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn slow_data_is_cut_off_by_the_data_deadline() {
    let srv = Server::start(Store::Maildir, &["--data-timeout", "2"]);
    let mut s = TcpStream::connect(srv.addr).unwrap();
    s.write_all(HELLO.as_bytes()).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let start = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 512];
    // Whole lines, but one every 300 ms: only the DATA deadline ends it.
    while start.elapsed() < Duration::from_secs(15) {
        if s.write_all(b"drip\r\n").is_err() {
            break;
        }
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
    }
    let t = String::from_utf8_lossy(&got);
    assert!(t.contains("354 ") && t.contains("421 4.4.2 "), "{t}");
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "{:?}",
        start.elapsed()
    );
    assert!(srv.stored().is_empty());
}

#[test]
fn busy_session_is_ended_by_the_session_deadline() {
    let srv = Server::start(Store::Maildir, &["--session-timeout", "2"]);
    let mut s = TcpStream::connect(srv.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let start = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 512];
    // A valid command every 300 ms: each one is on time, the session is not.
    while start.elapsed() < Duration::from_secs(15) {
        if s.write_all(b"NOOP\r\n").is_err() {
            break;
        }
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
    }
    let t = String::from_utf8_lossy(&got);
    assert!(t.contains("250 2.0.0 ") && t.contains("421 4.4.2 "), "{t}");
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn connection_limit_per_ip() {
    let srv = Server::start(Store::Maildir, &["--max-per-ip", "2"]);
    let greet = |s: &mut TcpStream| {
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut b = [0u8; 256];
        let n = s.read(&mut b).unwrap_or(0);
        String::from_utf8_lossy(&b[..n]).into_owned()
    };
    let mut a = TcpStream::connect(srv.addr).unwrap();
    let mut b = TcpStream::connect(srv.addr).unwrap();
    assert!(greet(&mut a).starts_with("220 "));
    assert!(greet(&mut b).starts_with("220 "));
    let mut c = TcpStream::connect(srv.addr).unwrap();
    assert!(greet(&mut c).starts_with("421 4.7.0 "));
    drop(a);
    // The slot comes back once the first session is gone.
    let start = Instant::now();
    loop {
        let mut d = TcpStream::connect(srv.addr).unwrap();
        if greet(&mut d).starts_with("220 ") {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(5), "slot not freed");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn starttls_discards_pipelined_plaintext() {
    if !have_python() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: openssl cannot make a test certificate");
        return;
    }
    let (c, k) = (cert.display().to_string(), key.display().to_string());
    let srv = Server::start(Store::Maildir, &["--tls-cert", &c, "--tls-key", &k]);
    let out = python(
        "starttls.py",
        &[srv.addr.port().to_string()],
        Duration::from_secs(30),
    );
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let first = |k: &str| v[k][0].as_str().unwrap_or("").to_string();
    let last = |k: &str| {
        v[k].as_array()
            .and_then(|a| a.last())
            .and_then(|s| s.as_str())
            .unwrap_or("")
            .to_string()
    };
    assert!(v["ehlo"].to_string().contains("STARTTLS"), "{out}");
    assert!(first("starttls").starts_with("220 "), "{out}");
    // The injected MAIL was thrown away with the plaintext buffer, and the
    // session state was reset (RFC 3207): RCPT needs HELO and MAIL again.
    assert!(first("rcpt_before_mail").starts_with("503 "), "{out}");
    assert!(!v["ehlo2"].to_string().contains("STARTTLS"), "{out}");
    assert!(first("mail").starts_with("250 "), "{out}");
    assert!(last("end").starts_with("250 "), "{out}");
    let stored = srv.stored();
    assert_eq!(stored.len(), 1);
    let text = String::from_utf8_lossy(&stored[0].1);
    assert!(text.contains("with ESMTPS id"), "{text}");
    assert!(!text.contains("injected"), "{text}");
}

#[test]
fn mbox_store_quotes_from_lines() {
    if !have_python() {
        return;
    }
    let srv = Server::start(Store::Mbox, &[]);
    for _ in 0..2 {
        let out = python(
            "smtplib_case.py",
            &[srv.addr.port().to_string(), "from_lines".into()],
            Duration::from_secs(30),
        );
        assert_eq!(out.trim(), r#"{"refused": {}}"#);
    }
    let mbox = std::fs::read(srv.mbox()).unwrap();
    let text = String::from_utf8_lossy(&mbox);
    assert!(text.starts_with("From sender@example.com "), "{text}");
    assert_eq!(
        text.matches("\nFrom sender@example.com ").count(),
        1,
        "{text}"
    );
    assert_eq!(
        text.matches("\r\n>From the start\r\n>>From quoted\r\n")
            .count(),
        2,
        "{text}"
    );
    // spamtrace's own reader finds both messages.
    let n = spamtrace::input::open(&srv.mbox().display().to_string(), &Default::default())
        .filter(|m| m.is_ok())
        .count();
    assert_eq!(n, 2);
}

#[test]
fn analyze_writes_ndjson_with_our_hop_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("analysis.ndjson");
    let out_s = out.display().to_string();
    let srv = Server::start(Store::Maildir, &["--analyze", "--analyze-out", &out_s]);
    let body = "Received: from relay.example (relay.example [203.0.113.9]) by mx.example; Thu, 26 Nov 2026 04:00:00 +0000\r\nSubject: analyze\r\n\r\nhi\r\n";
    let t = raw_session(
        srv.addr,
        format!("EHLO c.example\r\nMAIL FROM:<s@example.com>\r\nRCPT TO:<r@example.org>\r\nDATA\r\n{body}.\r\nQUIT\r\n").as_bytes(),
    );
    assert_eq!(codes(&t), ["250", "250", "250", "354", "250", "221"], "{t}");
    let line = std::fs::read_to_string(&out).unwrap();
    assert_eq!(line.lines().count(), 1, "{line}");
    let v: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
    assert_eq!(v["schema"], "spamtrace/1");
    assert_eq!(v["hops"][0]["by"], "trap.test");
    assert_eq!(v["hops"][0]["from"]["ip"], "127.0.0.1");
    assert_eq!(v["hops"][0]["trusted"], true);
    assert_eq!(v["first_untrusted_relay"]["ip"], "203.0.113.9", "{v}");
}

#[test]
fn analyze_summary_on_stderr_is_sanitised() {
    let srv = Server::start(Store::Maildir, &["--analyze"]);
    let body = "Received: from evil\x1b[31m (x [198.51.100.4]) by mx.example; Thu, 26 Nov 2026 04:00:00 +0000\r\n\r\nhi\r\n";
    raw_session(
        srv.addr,
        format!("EHLO c.example\r\nMAIL FROM:<s@example.com>\r\nRCPT TO:<r@example.org>\r\nDATA\r\n{body}.\r\nQUIT\r\n").as_bytes(),
    );
    let start = Instant::now();
    while !srv.log_text().contains("198.51.100.4") && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let log = srv.log_text();
    assert!(log.contains("first untrusted relay 198.51.100.4"), "{log}");
    assert!(!log.contains('\x1b'), "{log}");
}

#[test]
fn sigterm_lets_the_transaction_in_flight_finish() {
    let mut srv = Server::start(Store::Maildir, &[]);
    let mut s = TcpStream::connect(srv.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(format!("{HELLO}Subject: in flight\r\n\r\nfirst half\r\n").as_bytes())
        .unwrap();
    // Wait for the 354 so the server is inside DATA.
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    while !String::from_utf8_lossy(&got).contains("354 ") {
        let n = s.read(&mut buf).expect("replies");
        assert!(n > 0);
        got.extend_from_slice(&buf[..n]);
    }
    srv.signal(libc::SIGTERM);
    std::thread::sleep(Duration::from_millis(300));
    // New connections are refused now.
    assert!(TcpStream::connect(srv.addr).is_err(), "still accepting");
    s.write_all(b"second half\r\n.\r\nQUIT\r\n").unwrap();
    let t = read_to_close(&mut s);
    assert!(t.contains("250 2.0.0 "), "{t}");
    let status = srv.wait_exit(Duration::from_secs(10)).expect("exits");
    assert!(status.success(), "{status:?}");
    let stored = srv.stored();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        content(&stored[0].1),
        b"Subject: in flight\r\n\r\nfirst half\r\nsecond half\r\n"
    );
}

#[test]
fn sigint_closes_idle_sessions_and_exits_zero() {
    let mut srv = Server::start(Store::Maildir, &[]);
    let mut s = TcpStream::connect(srv.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = [0u8; 256];
    let _ = s.read(&mut buf);
    srv.signal(libc::SIGINT);
    let t = read_to_close(&mut s);
    assert!(t.starts_with("421 4.3.2 "), "{t}");
    let status = srv.wait_exit(Duration::from_secs(10)).expect("exits");
    assert!(status.success());
}

#[test]
fn ipv6_peer_is_an_ipv6_literal() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("skipped: no IPv6 loopback");
        return;
    }
    let srv = Server::start_on("[::1]:0", Store::Maildir, &[]);
    let t = raw_session(srv.addr, format!("{HELLO}hi\r\n.\r\nQUIT\r\n").as_bytes());
    assert_eq!(codes(&t), ["250", "250", "250", "354", "250", "221"], "{t}");
    let stored = srv.stored();
    assert_eq!(stored.len(), 1);
    let text = String::from_utf8_lossy(&stored[0].1);
    assert!(
        text.contains("Received: from client.example ([IPv6:::1])\r\n"),
        "{text}"
    );
}

#[test]
fn hostile_helo_cannot_add_header_lines() {
    let srv = Server::start(Store::Maildir, &[]);
    let t = raw_session(
        srv.addr,
        b"HELO evil\x1b[2J(x [10.0.0.1])\r\nMAIL FROM:<s@example.com>\r\nRCPT TO:<r@example.org>\r\nDATA\r\nhi\r\n.\r\nQUIT\r\n",
    );
    assert_eq!(codes(&t), ["250", "250", "250", "354", "250", "221"], "{t}");
    let stored = srv.stored();
    let text = String::from_utf8_lossy(&stored[0].1);
    let received = text.split("\r\n").nth(1).unwrap_or("");
    assert!(received.starts_with("Received: from evil_"), "{received}");
    assert!(received.ends_with(" ([127.0.0.1])"), "{received}");
    assert!(
        !text.contains('\x1b') && !text.contains("(x [10.0.0.1])"),
        "{text}"
    );
    assert!(text.contains("with SMTP id"), "HELO means SMTP: {text}");
}

#[test]
fn bare_lf_commands_are_accepted_and_bare_lf_text_kept() {
    let srv = Server::start(Store::Maildir, &[]);
    let t = raw_session(
        srv.addr,
        b"EHLO c.example\nMAIL FROM:<s@example.com>\nRCPT TO:<r@example.org>\nDATA\nSubject: lf\n\nbody\n.\nstill body\r\n.\r\nQUIT\n",
    );
    assert_eq!(codes(&t), ["250", "250", "250", "354", "250", "221"], "{t}");
    let stored = srv.stored();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        content(&stored[0].1),
        b"Subject: lf\n\nbody\n.\nstill body\r\n"
    );
}

#[test]
fn memory_budget_refuses_with_452_and_recovers() {
    let srv = Server::start(Store::Maildir, &["--max-buffered", "1000"]);
    let mut s = HELLO.as_bytes().to_vec();
    for _ in 0..50 {
        s.extend_from_slice(&[b'z'; 98]);
        s.extend_from_slice(b"\r\n");
    }
    s.extend_from_slice(b".\r\nMAIL FROM:<s@example.com>\r\nRCPT TO:<r@example.org>\r\nDATA\r\nsmall\r\n.\r\nQUIT\r\n");
    let t = raw_session(srv.addr, &s);
    assert_eq!(
        codes(&t),
        ["250", "250", "250", "354", "452", "250", "250", "354", "250", "221"],
        "{t}"
    );
    assert!(t.contains("452 4.3.1 "), "{t}");
    let stored = srv.stored();
    assert_eq!(stored.len(), 1);
    assert_eq!(content(&stored[0].1), b"small\r\n");
}
