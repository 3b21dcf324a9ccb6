//! Issue 13: `complain --send` into the durable queue and `queue run`
//! delivering it, on loopback only: the capture endpoint (smarthost, MX
//! from a fixture zone), small scripted SMTP servers (451 then 250, 550,
//! silence), STARTTLS with a self-signed certificate, and kill -9 in the
//! middle of a run.

#[path = "capture/common.rs"]
mod common;
mod support;

use common::{Server, Store};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::dns_server;

const BIN: &str = env!("CARGO_BIN_EXE_spamtrace");
const TEMPLATE: &str = include_str!("../testdata/01-sendmail-university.eml");

fn spamtrace(args: &[&str], home: &Path) -> Output {
    Command::new(BIN)
        .args(args)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home)
        .env("XDG_STATE_HOME", home.join("state"))
        .env_remove("SPAMTRACE_REPORTER")
        .env_remove("SPAMTRACE_QUEUE")
        .env_remove("SPAMTRACE_SMTP_USER")
        .stdin(Stdio::null())
        .output()
        .expect("spamtrace runs")
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// An mbox of `n` different messages (own Message-ID, own body line).
fn mbox(dir: &Path, n: usize) -> PathBuf {
    let mut s = String::new();
    for i in 0..n {
        s.push_str("From h.lindqvist@tidewaterlab.org Tue Mar 14 16:12:44 2023\n");
        let m = TEMPLATE
            .replace(
                "<6410a6d2.5c7a.4e1f@tidewaterlab.org>",
                &format!("<case{i}.q@tidewaterlab.org>"),
            )
            .replace(
                "Dana, the calibration",
                &format!("Copy {i}. Dana, the calibration"),
            );
        s.push_str(&m);
        s.push('\n');
    }
    let p = dir.join("in.mbox");
    std::fs::write(&p, s).unwrap();
    p
}

/// Queue one complaint per message of `input` for `to`.
fn enqueue(home: &Path, queue: &Path, input: &Path, to: &str, extra: &[&str]) -> Output {
    let q = queue.display().to_string();
    let i = input.display().to_string();
    let mut args = vec![
        "complain",
        "--offline",
        "--send",
        "--yes",
        "--queue",
        &q,
        "--reporter",
        "reporter@example.org",
        "--to",
        to,
    ];
    args.extend_from_slice(extra);
    args.push(&i);
    spamtrace(&args, home)
}

fn count(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |r| r.count())
}

/// The Message-ID of each stored message (the complaint's own: the
/// first one in the header block).
fn message_ids(srv: &Server) -> Vec<String> {
    srv.stored()
        .iter()
        .filter_map(|(_, b)| {
            let t = String::from_utf8_lossy(b);
            let head = t
                .split("\r\n\r\n")
                .next()
                .unwrap_or("")
                .replace("\r\n", "\n");
            let head = head.split("\n\n").next().unwrap_or("").to_string();
            head.lines()
                .find_map(|l| l.strip_prefix("Message-ID: ").map(|v| v.trim().to_string()))
        })
        .collect()
}

fn ids_queued(queue: &Path) -> Vec<String> {
    let mut ids = Vec::new();
    for state in ["queue", "sent", "failed"] {
        for e in std::fs::read_dir(queue.join(state)).unwrap() {
            let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
            let id = text
                .lines()
                .find_map(|l| l.strip_prefix("message-id "))
                .unwrap()
                .to_string();
            ids.push(format!("<{id}>"));
        }
    }
    ids.sort();
    ids
}

#[test]
fn kill_9_during_queue_run_loses_none_and_sends_none_twice() {
    let home = tempfile::tempdir().unwrap();
    let queue = home.path().join("q");
    let input = mbox(home.path(), 200);
    let out = enqueue(
        home.path(),
        &queue,
        &input,
        "abuse@example.test",
        &["--max-send", "200"],
    );
    assert!(out.status.success(), "{}", err(&out));
    assert_eq!(count(&queue.join("queue")), 200, "{}", err(&out));
    let expected = ids_queued(&queue);
    assert_eq!(expected.len(), 200);

    let srv = Server::start(Store::Maildir, &[]);
    let smarthost = srv.addr.to_string();
    let q = queue.display().to_string();
    let run_args = [
        "queue",
        "--queue",
        &q,
        "run",
        "--smarthost",
        &smarthost,
        "--smarthost-tls",
        "none",
        "--concurrency",
        "4",
        "--per-destination",
        "4",
        "--min-backoff",
        "0",
    ];
    let mut child = Command::new(BIN)
        .args(run_args)
        .env("HOME", home.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it (SIGKILL) once some, not all, have arrived.
    let t0 = Instant::now();
    let arrived_at_kill = loop {
        let n = count(&srv.maildir().join("new"));
        if n >= 30 {
            child.kill().unwrap();
            break n;
        }
        assert!(t0.elapsed() < Duration::from_secs(120), "run too slow: {n}");
        std::thread::sleep(Duration::from_millis(2));
    };
    let _ = child.wait();
    let sent_at_kill = count(&queue.join("sent"));
    assert!(
        sent_at_kill < 200,
        "the run finished before the kill: nothing was tested"
    );
    eprintln!("killed after {arrived_at_kill} arrivals, {sent_at_kill} in sent/");
    // The restart delivers the rest.
    let out = spamtrace(&run_args, home.path());
    assert!(out.status.success(), "{}", err(&out));
    assert_eq!(count(&queue.join("queue")), 0, "{}", err(&out));
    assert_eq!(count(&queue.join("sent")), 200);
    // Every complaint arrived exactly once (by Message-ID).
    let mut got: HashMap<String, usize> = HashMap::new();
    for id in message_ids(&srv) {
        *got.entry(id).or_default() += 1;
    }
    let twice: Vec<_> = got.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "sent twice: {twice:?}");
    let mut got_ids: Vec<String> = got.into_keys().collect();
    got_ids.sort();
    assert_eq!(got_ids, expected, "every queued complaint arrives");
}

/// A scripted SMTP server on 127.0.0.1: `reply(n)` gives the answer to
/// the end of DATA of the n-th transaction (0-based); `None` never
/// answers anything (not even the greeting).
struct Scripted {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<String>>>,
    /// The most sessions open at once.
    max_open: Arc<std::sync::atomic::AtomicUsize>,
}

fn scripted(reply: fn(usize) -> Option<&'static str>) -> Scripted {
    scripted_with(reply, Arc::new(Mutex::new(Vec::new())))
}

/// As [`scripted`], offering AUTH PLAIN and recording every command in `commands`.
fn scripted_with(
    reply: fn(usize) -> Option<&'static str>,
    commands: Arc<Mutex<Vec<String>>>,
) -> Scripted {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let received = Arc::new(Mutex::new(Vec::new()));
    let rec = received.clone();
    let max_open = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let open = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let max2 = max_open.clone();
    std::thread::spawn(move || {
        for (n, s) in l.incoming().enumerate() {
            let Ok(s) = s else { continue };
            let rec = rec.clone();
            let cmds = commands.clone();
            let (open, max2) = (open.clone(), max2.clone());
            std::thread::spawn(move || {
                use std::sync::atomic::Ordering::SeqCst;
                let now = open.fetch_add(1, SeqCst) + 1;
                max2.fetch_max(now, SeqCst);
                session(s, reply(n), &rec, &cmds);
                open.fetch_sub(1, SeqCst);
            });
        }
    });
    Scripted {
        addr,
        received,
        max_open,
    }
}

fn session(
    s: TcpStream,
    end: Option<&'static str>,
    rec: &Mutex<Vec<String>>,
    cmds: &Mutex<Vec<String>>,
) {
    let Some(end) = end else {
        std::thread::sleep(Duration::from_secs(30));
        return;
    };
    let mut w = s.try_clone().unwrap();
    let mut r = BufReader::new(s);
    let _ = w.write_all(b"220 scripted.test ESMTP\r\n");
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        cmds.lock().unwrap().push(line.trim_end().to_string());
        let cmd = line.to_ascii_uppercase();
        if cmd.starts_with("EHLO") {
            let _ = w.write_all(b"250-scripted.test\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n");
        } else if cmd.starts_with("AUTH") {
            let _ = w.write_all(b"235 2.7.0 ok\r\n");
        } else if cmd.starts_with("DATA") {
            let _ = w.write_all(b"354 go\r\n");
            let mut msg = String::new();
            loop {
                line.clear();
                if r.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                if line == ".\r\n" {
                    break;
                }
                msg.push_str(&line);
            }
            if end.starts_with('2') {
                rec.lock().unwrap().push(msg);
            }
            // A slow server: sessions overlap when the client allows it.
            std::thread::sleep(Duration::from_millis(100));
            let _ = w.write_all(format!("{end}\r\n").as_bytes());
        } else if cmd.starts_with("QUIT") {
            let _ = w.write_all(b"221 bye\r\n");
            return;
        } else {
            let _ = w.write_all(b"250 ok\r\n");
        }
    }
}

fn one_queued(home: &Path) -> PathBuf {
    let queue = home.join("q");
    let input = mbox(home, 1);
    let out = enqueue(home, &queue, &input, "abuse@example.test", &[]);
    assert!(out.status.success(), "{}", err(&out));
    assert_eq!(count(&queue.join("queue")), 1);
    queue
}

fn run(home: &Path, queue: &Path, smarthost: SocketAddr, extra: &[&str]) -> Output {
    let (q, h) = (queue.display().to_string(), smarthost.to_string());
    let mut args = vec![
        "queue",
        "--queue",
        &q,
        "run",
        "--smarthost",
        &h,
        "--smarthost-tls",
        "none",
    ];
    args.extend_from_slice(extra);
    spamtrace(&args, home)
}

fn only_file(dir: &Path) -> String {
    let files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    std::fs::read_to_string(&files[0]).unwrap()
}

#[test]
fn a_451_is_retried_and_one_copy_arrives() {
    let home = tempfile::tempdir().unwrap();
    let queue = one_queued(home.path());
    let srv = scripted(|n| {
        Some(if n < 2 {
            "451 4.3.0 try later"
        } else {
            "250 2.0.0 queued"
        })
    });
    let out = run(
        home.path(),
        &queue,
        srv.addr,
        &["--min-backoff", "0", "--max-backoff", "0"],
    );
    assert!(out.status.success(), "{}", err(&out));
    assert_eq!(srv.received.lock().unwrap().len(), 1, "{}", err(&out));
    assert_eq!(count(&queue.join("queue")), 0);
    // Both refusals are recorded with the entry.
    let sent = only_file(&queue.join("sent"));
    assert_eq!(sent.matches("451 4.3.0 try later").count(), 2, "{sent}");
    assert!(err(&out).contains("1 sent"), "{}", err(&out));
}

#[test]
fn a_4xx_waits_for_the_backoff_and_the_lifetime_ends_it() {
    let home = tempfile::tempdir().unwrap();
    let queue = one_queued(home.path());
    let srv = scripted(|_| Some("452 4.2.2 full"));
    // A long backoff: one attempt, then it waits.
    let out = run(home.path(), &queue, srv.addr, &["--min-backoff", "1h"]);
    assert!(out.status.success(), "{}", err(&out));
    assert_eq!(count(&queue.join("queue")), 1);
    let q = queue.display().to_string();
    let list = spamtrace(&["queue", "--queue", &q, "list"], home.path());
    let text = String::from_utf8_lossy(&list.stdout).to_string();
    assert!(
        text.contains("retry in") && text.contains("452 4.2.2 full"),
        "{text}"
    );
    // Lifetime 0: the next failure is final.
    let out = run(home.path(), &queue, srv.addr, &["--lifetime", "0"]);
    assert!(out.status.success(), "{}", err(&out));
    let out = spamtrace(
        &[
            "queue",
            "--queue",
            &q,
            "flush",
            "--smarthost",
            &srv.addr.to_string(),
            "--smarthost-tls",
            "none",
            "--lifetime",
            "0",
        ],
        home.path(),
    );
    assert!(out.status.success(), "{}", err(&out));
    let failed = only_file(&queue.join("failed"));
    assert!(failed.contains("queue lifetime over"), "{failed}");
}

#[test]
fn a_550_moves_the_complaint_to_failed_with_the_reply() {
    let home = tempfile::tempdir().unwrap();
    let queue = one_queued(home.path());
    let srv = scripted(|_| Some("550 5.7.1 we do not take reports"));
    let out = run(home.path(), &queue, srv.addr, &["--min-backoff", "0"]);
    assert!(out.status.success(), "{}", err(&out));
    assert_eq!(count(&queue.join("queue")), 0);
    let failed = only_file(&queue.join("failed"));
    assert!(
        failed.contains("550 5.7.1 we do not take reports"),
        "{failed}"
    );
    let q = queue.display().to_string();
    let list = spamtrace(&["queue", "--queue", &q, "list"], home.path());
    let text = String::from_utf8_lossy(&list.stdout).to_string();
    assert!(
        text.contains("failed") && text.contains("550 5.7.1"),
        "{text}"
    );
    // retry ID puts it back; drop ID removes it.
    let id = text.split_whitespace().next().unwrap().to_string();
    let r = spamtrace(&["queue", "--queue", &q, "retry", &id], home.path());
    assert!(r.status.success(), "{}", err(&r));
    assert_eq!(count(&queue.join("queue")), 1);
    let d = spamtrace(&["queue", "--queue", &q, "drop", &id], home.path());
    assert!(d.status.success(), "{}", err(&d));
    assert_eq!(
        count(&queue.join("queue")) + count(&queue.join("failed")),
        0
    );
    let bad = spamtrace(&["queue", "--queue", &q, "drop", "../etc"], home.path());
    assert_eq!(bad.status.code(), Some(1));
}

#[test]
fn a_server_that_never_answers_times_out_and_is_retried_later() {
    let home = tempfile::tempdir().unwrap();
    let queue = one_queued(home.path());
    let srv = scripted(|_| None);
    let t0 = Instant::now();
    let out = run(
        home.path(),
        &queue,
        srv.addr,
        &["--timeout", "1", "--min-backoff", "10m"],
    );
    assert!(out.status.success(), "{}", err(&out));
    assert!(t0.elapsed() < Duration::from_secs(20), "{:?}", t0.elapsed());
    assert_eq!(count(&queue.join("queue")), 1);
    let entry = only_file(&queue.join("queue"));
    let attempt = entry
        .lines()
        .find(|l| l.starts_with("attempt "))
        .expect("an attempt recorded");
    assert!(attempt.contains("timeout"), "{attempt}");
    assert!(err(&out).contains("1 waiting"), "{}", err(&out));
}

fn self_signed(dir: &Path) -> Option<(String, String)> {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: openssl cannot make a test certificate");
        return None;
    }
    Some((cert.display().to_string(), key.display().to_string()))
}

#[test]
fn starttls_to_the_capture_endpoint_with_a_self_signed_certificate() {
    let home = tempfile::tempdir().unwrap();
    let Some((cert, key)) = self_signed(home.path()) else {
        return;
    };
    let srv = Server::start(Store::Maildir, &["--tls-cert", &cert, "--tls-key", &key]);
    let queue = one_queued(home.path());
    let (q, h) = (queue.display().to_string(), srv.addr.to_string());
    // Without the certificate as a root, STARTTLS is required and does not
    // verify: nothing goes in plain text, the entry waits.
    let out = spamtrace(
        &[
            "queue",
            "--queue",
            &q,
            "run",
            "--smarthost",
            &h,
            "--min-backoff",
            "1h",
        ],
        home.path(),
    );
    assert!(out.status.success(), "{}", err(&out));
    assert_eq!(count(&queue.join("queue")), 1, "{}", err(&out));
    assert_eq!(srv.stored().len(), 0);
    // With it: delivered over TLS.
    let out = spamtrace(
        &[
            "queue",
            "--queue",
            &q,
            "flush",
            "--smarthost",
            &h,
            "--smarthost-ca",
            &cert,
        ],
        home.path(),
    );
    assert!(out.status.success(), "{}", err(&out));
    assert_eq!(count(&queue.join("sent")), 1, "{}", err(&out));
    let stored = srv.stored();
    assert_eq!(stored.len(), 1);
    // The capture's own Received header (the first one) says the session
    // was encrypted: "with ESMTPS".
    let text = String::from_utf8_lossy(&stored[0].1);
    let first: String = text
        .split("\nReceived: ")
        .next()
        .unwrap_or("")
        .chars()
        .take(600)
        .collect();
    let top = if text.starts_with("Received: ") {
        first
    } else {
        text.split("\nReceived: ")
            .nth(1)
            .unwrap_or("")
            .chars()
            .take(600)
            .collect()
    };
    assert!(top.contains("with ESMTPS"), "{top}");
}

#[test]
fn direct_delivery_follows_the_mx_the_a_fallback_and_a_null_mx() {
    let home = tempfile::tempdir().unwrap();
    let srv = Server::start(Store::Maildir, &[]);
    let (dns, _dns_server) = dns_server::start(
        "example.test. MX 10 mx.example.test.\n\
         mx.example.test. A 127.0.0.1\n\
         nomx.test. A 127.0.0.1\n\
         nullmx.test. MX 0 .\n",
    );
    let queue = home.path().join("q");
    let input = mbox(home.path(), 1);
    for to in ["abuse@example.test", "abuse@nomx.test", "abuse@nullmx.test"] {
        let out = enqueue(home.path(), &queue, &input, to, &[]);
        assert!(out.status.success(), "{}", err(&out));
    }
    let (q, d, p) = (
        queue.display().to_string(),
        dns.to_string(),
        srv.addr.port().to_string(),
    );
    let out = spamtrace(
        &[
            "queue",
            "--queue",
            &q,
            "run",
            "--dns-server",
            &d,
            "--smtp-port",
            &p,
            "--min-backoff",
            "1h",
        ],
        home.path(),
    );
    assert!(out.status.success(), "{}", err(&out));
    assert_eq!(count(&queue.join("sent")), 2, "{}", err(&out));
    let failed = only_file(&queue.join("failed"));
    assert!(
        failed.contains("null MX") && failed.contains("to abuse@nullmx.test"),
        "{failed}"
    );
    let rcpts: Vec<String> = srv
        .stored()
        .iter()
        .map(|(_, b)| String::from_utf8_lossy(b).to_string())
        .collect();
    assert!(rcpts.iter().any(|t| t.contains("abuse@example.test")));
    assert!(rcpts.iter().any(|t| t.contains("abuse@nomx.test")));
}

/// One queued complaint delivered to a scripted smarthost that offers AUTH,
/// with `setup` choosing where the credentials come from; the commands the
/// server saw.
fn deliver_with_auth(setup: impl FnOnce(&Path, &mut Command)) -> Vec<String> {
    let home = tempfile::tempdir().unwrap();
    let queue = one_queued(home.path());
    let commands = Arc::new(Mutex::new(Vec::new()));
    let srv = scripted_with(|_| Some("250 2.0.0 ok"), commands.clone());
    let (q, h) = (queue.display().to_string(), srv.addr.to_string());
    let mut cmd = Command::new(BIN);
    cmd.args([
        "queue",
        "--queue",
        &q,
        "run",
        "--smarthost",
        &h,
        "--smarthost-tls",
        "none",
    ])
    .env("HOME", home.path())
    .env("XDG_CONFIG_HOME", home.path())
    .env_remove("SPAMTRACE_SMTP_USER")
    .env_remove("SPAMTRACE_SMTP_PASSWORD")
    .stdin(Stdio::null());
    setup(home.path(), &mut cmd);
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", err(&out));
    assert_eq!(srv.received.lock().unwrap().len(), 1);
    let cmds = commands.lock().unwrap().clone();
    cmds
}

#[test]
fn smarthost_auth_takes_the_credentials_from_the_environment() {
    let cmds = deliver_with_auth(|_, cmd| {
        cmd.env("SPAMTRACE_SMTP_USER", "u")
            .env("SPAMTRACE_SMTP_PASSWORD", "p");
    });
    // AUTH PLAIN of "\0u\0p".
    assert!(cmds.iter().any(|c| c == "AUTH PLAIN AHUAcA=="), "{cmds:?}");
    assert!(
        cmds.iter().any(|c| c == "MAIL FROM:<reporter@example.org>"),
        "{cmds:?}"
    );
    assert!(
        cmds.iter().any(|c| c == "RCPT TO:<abuse@example.test>"),
        "{cmds:?}"
    );
}

#[test]
fn smarthost_auth_takes_the_credentials_from_the_config_file() {
    let cmds = deliver_with_auth(|home, _| {
        let conf = home.join("spamtrace");
        std::fs::create_dir_all(&conf).unwrap();
        std::fs::write(
            conf.join("config.toml"),
            "smtp_user = \"cfg\"\nsmtp_password = \"secret\"\n",
        )
        .unwrap();
    });
    // AUTH PLAIN of "\0cfg\0secret".
    assert!(
        cmds.iter().any(|c| c == "AUTH PLAIN AGNmZwBzZWNyZXQ="),
        "{cmds:?}"
    );
}

#[test]
fn per_destination_limits_and_the_interval_hold() {
    let home = tempfile::tempdir().unwrap();
    let queue = home.path().join("q");
    let input = mbox(home.path(), 6);
    let out = enqueue(home.path(), &queue, &input, "abuse@example.test", &[]);
    assert!(out.status.success(), "{}", err(&out));
    let srv = scripted(|_| Some("250 ok"));
    let out = run(
        home.path(),
        &queue,
        srv.addr,
        &["--concurrency", "8", "--per-destination", "1"],
    );
    assert!(out.status.success(), "{}", err(&out));
    assert_eq!(srv.received.lock().unwrap().len(), 6);
    assert_eq!(srv.max_open.load(std::sync::atomic::Ordering::SeqCst), 1);
    // Three at once allowed: never more than three.
    let queue2 = home.path().join("q2");
    let out = enqueue(home.path(), &queue2, &input, "abuse@example.test", &[]);
    assert!(out.status.success(), "{}", err(&out));
    let srv = scripted(|_| Some("250 ok"));
    let t0 = Instant::now();
    let out = run(
        home.path(),
        &queue2,
        srv.addr,
        &["--per-destination", "3", "--min-interval", "200ms"],
    );
    assert!(out.status.success(), "{}", err(&out));
    assert_eq!(srv.received.lock().unwrap().len(), 6);
    assert!(srv.max_open.load(std::sync::atomic::Ordering::SeqCst) <= 3);
    // Six starts 200 ms apart: at least a second.
    assert!(
        t0.elapsed() >= Duration::from_millis(1000),
        "{:?}",
        t0.elapsed()
    );
}
