//! Issue 13's batch side: `complain` over whole inputs (one complaint per
//! message and contact, duplicates once, --digest, --out) and the safety
//! of --send (--yes, --dry-run, --max-send, never a forged sender's domain).

use std::path::Path;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_spamtrace");
const SEVERAL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/14-several.mbox");
const ONE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/testdata/01-sendmail-university.eml"
);

fn spamtrace(args: &[&str], home: &Path) -> Output {
    Command::new(BIN)
        .args(args)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home)
        .env("XDG_STATE_HOME", home.join("state"))
        .env_remove("SPAMTRACE_REPORTER")
        .env_remove("SPAMTRACE_QUEUE")
        .stdin(Stdio::null())
        .output()
        .expect("spamtrace runs")
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn count(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |r| r.count())
}

const TO: &str = "abuse@example.test";

#[test]
fn one_complaint_per_message_as_an_mbox_stream_and_duplicates_once() {
    let home = tempfile::tempdir().unwrap();
    let out = spamtrace(&["complain", "--offline", "--to", TO, SEVERAL], home.path());
    assert!(out.status.success(), "{}", err(&out));
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    let starts = text
        .lines()
        .filter(|l| l.starts_with("From spamtrace@localhost "))
        .count();
    assert_eq!(starts, 3, "{}", err(&out));
    assert_eq!(text.matches("\nTo: abuse@example.test\n").count(), 3);
    // The same mbox twice, and one of its messages again alone: still 3.
    let out = spamtrace(
        &["complain", "--offline", "--to", TO, SEVERAL, SEVERAL],
        home.path(),
    );
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    assert_eq!(
        text.lines()
            .filter(|l| l.starts_with("From spamtrace@localhost "))
            .count(),
        3
    );
    assert!(
        err(&out).contains("6 messages (3 duplicates"),
        "{}",
        err(&out)
    );
    // --out: one file each.
    let dir = home.path().join("out");
    let d = dir.display().to_string();
    let out = spamtrace(
        &[
            "complain",
            "--offline",
            "--to",
            TO,
            "--out",
            &d,
            SEVERAL,
            ONE,
        ],
        home.path(),
    );
    assert!(out.status.success(), "{}", err(&out));
    assert_eq!(count(&dir), 4);
    for e in std::fs::read_dir(&dir).unwrap() {
        let t = std::fs::read_to_string(e.unwrap().path()).unwrap();
        assert!(t.starts_with("To: abuse@example.test\n"), "{t}");
    }
}

#[test]
fn a_digest_covers_every_message_of_the_contact_with_the_originals() {
    let home = tempfile::tempdir().unwrap();
    let out = spamtrace(
        &[
            "complain",
            "--offline",
            "--digest",
            "--reporter",
            "me@example.org",
            "--to",
            TO,
            SEVERAL,
        ],
        home.path(),
    );
    assert!(out.status.success(), "{}", err(&out));
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(
        text.starts_with("From: me@example.org\nTo: abuse@example.test\n"),
        "{text}"
    );
    assert!(
        text.contains("Subject: Abuse report: 3 spam messages"),
        "{text}"
    );
    assert_eq!(text.matches("Content-Type: text/rfc822-headers").count(), 3);
    for id in [
        "<442EB1A3.6050208@cedarvale.edu>",
        "<20060402142958.0001@KINGFISHER01>",
    ] {
        assert!(text.contains(&format!("   Message-ID: {id}")), "{id}");
    }
    let boundary = text
        .split("boundary=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert!(text.trim_end().ends_with(&format!("--{boundary}--")));
    // --arf stays one report per message.
    let out = spamtrace(
        &[
            "complain",
            "--offline",
            "--digest",
            "--arf",
            "--to",
            TO,
            SEVERAL,
        ],
        home.path(),
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn send_asks_or_needs_yes_and_dry_run_queues_nothing() {
    let home = tempfile::tempdir().unwrap();
    let q = home.path().join("q");
    let qs = q.display().to_string();
    let base = [
        "complain",
        "--offline",
        "--to",
        TO,
        "--send",
        "--queue",
        &qs,
    ];
    // No --reporter: refused.
    let out = spamtrace(&[&base[..], &[SEVERAL]].concat(), home.path());
    assert_eq!(out.status.code(), Some(2), "{}", err(&out));
    assert!(err(&out).contains("--reporter"), "{}", err(&out));
    let with_r = [&base[..], &["--reporter", "me@example.org"]].concat();
    // No terminal to ask on and no --yes: nothing queued.
    let out = spamtrace(&[&with_r[..], &[SEVERAL]].concat(), home.path());
    assert_eq!(out.status.code(), Some(2), "{}", err(&out));
    assert!(err(&out).contains("--yes"), "{}", err(&out));
    assert_eq!(count(&q.join("queue")), 0);
    // --dry-run: says what would go where, queues nothing.
    let out = spamtrace(
        &[&with_r[..], &["--dry-run", SEVERAL]].concat(),
        home.path(),
    );
    assert!(out.status.success(), "{}", err(&out));
    assert_eq!(
        err(&out).matches("to abuse@example.test").count(),
        3,
        "{}",
        err(&out)
    );
    assert_eq!(count(&q.join("queue")), 0);
    // More than --max-send: refused without --yes, whatever the terminal.
    let out = spamtrace(
        &[&with_r[..], &["--max-send", "2", SEVERAL]].concat(),
        home.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", err(&out));
    assert!(err(&out).contains("--max-send 2"), "{}", err(&out));
    assert_eq!(count(&q.join("queue")), 0);
    // --yes: queued, one entry each, CRLF line ends, the reporter as sender.
    let out = spamtrace(&[&with_r[..], &["--yes", SEVERAL]].concat(), home.path());
    assert!(out.status.success(), "{}", err(&out));
    assert_eq!(count(&q.join("queue")), 3);
    for e in std::fs::read_dir(q.join("queue")).unwrap() {
        let t = std::fs::read_to_string(e.unwrap().path()).unwrap();
        assert!(
            t.contains("\nfrom me@example.org\nto abuse@example.test\n"),
            "{t}"
        );
        let msg = t.split_once("\n\n").unwrap().1;
        assert!(msg.contains("\r\nMessage-ID: <spamtrace."), "{msg}");
        assert!(!msg.replace("\r\n", "").contains('\n'));
    }
    // The default queue folder is under $XDG_STATE_HOME.
    let out = spamtrace(
        &[
            "complain",
            "--offline",
            "--to",
            TO,
            "--send",
            "--yes",
            "--reporter",
            "me@example.org",
            ONE,
        ],
        home.path(),
    );
    assert!(out.status.success(), "{}", err(&out));
    assert_eq!(count(&home.path().join("state/spamtrace/queue/queue")), 1);
}

#[test]
fn nothing_goes_to_a_forged_senders_domains() {
    let home = tempfile::tempdir().unwrap();
    // 14-several's second message is From xqzt@bluemeadow-promo.biz with
    // Message-ID ...@bluemeadow: even asked for, those domains get nothing.
    let out = spamtrace(
        &[
            "complain",
            "--offline",
            "--to",
            "abuse@bluemeadow-promo.biz",
            "--cc",
            TO,
            SEVERAL,
        ],
        home.path(),
    );
    assert!(out.status.success(), "{}", err(&out));
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(
        err(&out).contains("1 recipient left out at the message's own sender domains"),
        "{}",
        err(&out)
    );
    let complaints: Vec<&str> = text.split("From spamtrace@localhost ").skip(1).collect();
    assert_eq!(complaints.len(), 3);
    let to_victim = complaints
        .iter()
        .filter(|c| c.contains("\nTo: abuse@bluemeadow-promo.biz"))
        .count();
    assert_eq!(
        to_victim, 2,
        "the two other messages' senders are not that domain"
    );
}

mod support;

/// A contact marked `guess` (the relay's PTR name is not forward-confirmed)
/// is addressed only with --include-guesses.
#[test]
fn guesses_are_addressed_only_when_asked_for() {
    let (dns, _server) = support::dns_server::start(
        "7.191.23.84.in-addr.arpa. PTR smtp2.guess-net.test.\n\
         guess-net.test. MX 10 mx.guess-net.test.\n\
         mx.guess-net.test. A 192.0.2.25\n",
    );
    let home = tempfile::tempdir().unwrap();
    let d = dns.to_string();
    let base = ["complain", "--dns-server", &d, "--abusix-zone", "none", ONE];
    let out = spamtrace(&base, home.path());
    assert_eq!(out.status.code(), Some(2), "{}", err(&out));
    let out = spamtrace(&[&base[..], &["--include-guesses"]].concat(), home.path());
    assert!(out.status.success(), "{}", err(&out));
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(
        text.starts_with("To: abuse@guess-net.test\nCc: postmaster@guess-net.test\n"),
        "{text}"
    );
}

/// On a terminal, --send shows what would go to whom and asks (python3's
/// pty gives the terminal; skipped, with a message, without python3).
#[test]
fn on_a_terminal_send_asks_first() {
    if Command::new("python3").arg("--version").output().is_err() {
        eprintln!("skipped: no python3 for a pseudo-terminal");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let q = home.path().join("q");
    const SCRIPT: &str = r#"
import os, pty, sys
answer = sys.argv[1].encode() + b"\n"
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
out = b""
sent = False
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
    if not sent and b"[y/N]" in out:
        os.write(fd, answer)
        sent = True
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode("utf-8", "replace"))
sys.exit(os.waitstatus_to_exitcode(status))
"#;
    for (answer, code, queued) in [("n", 1, 0), ("y", 0, 3)] {
        let out = Command::new("python3")
            .args(["-c", SCRIPT, answer, BIN])
            .args([
                "complain",
                "--offline",
                "--to",
                TO,
                "--send",
                "--reporter",
                "me@example.org",
                "--queue",
            ])
            .arg(&q)
            .arg(SEVERAL)
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path())
            .env_remove("SPAMTRACE_REPORTER")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        assert_eq!(out.status.code(), Some(code), "{answer}: {text}");
        assert_eq!(text.matches("to abuse@example.test").count(), 3, "{text}");
        assert_eq!(count(&q.join("queue")), queued, "{answer}: {text}");
    }
}
