//! Issue 15, items 10–12: a dead DNS server is said out loud and stopped
//! being waited on; a DNSBL zone under a special-use name is asked, a bad
//! one refused; the DNS-beacon note on a terminal. Loopback servers only.

mod support;

use spamtrace::enrich::dns::{DnsClient, DnsEnricher, DnsOptions, LiveConfig};
use spamtrace::input::reader::MessageReader;
use spamtrace::input::InputOptions;
use spamtrace::{Enricher, TraceOptions};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::dns_server;

/// `n` messages, each from another public address and HELO name.
fn mbox(n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        s.push_str(&format!(
            "From x@example.org Mon Jan  1 00:00:00 2024\n\
             Received: from h{i}.fixture-sender.net (h{i}.fixture-sender.net [5.1.{}.{}])\n\
             \tby mx.fixture-receiver.org; Mon, 1 Jan 2024 00:00:00 +0000\n\
             From: a{i}@fixture-from{i}.com\nMessage-ID: <{i}@fixture-id{i}.com>\n\
             Date: Mon, 1 Jan 2024 00:00:00 +0000\n\nbody\n\n",
            i / 200 + 1,
            i % 200 + 1
        ));
    }
    s
}

#[test]
fn a_dead_server_is_said_once_given_up_on_and_the_run_is_degraded() {
    let (addr, server) = dns_server::start_silent();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.mbox");
    std::fs::write(&path, mbox(40)).unwrap();
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_spamtrace"))
        .args(["trace", "--format", "ndjson", "--dns-timeout", "0.2"])
        .args(["--dns-server", &addr.to_string()])
        .arg(&path)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "exit 3: degraded; {err}");
    assert_eq!(err.matches("not asking it again").count(), 1, "{err}");
    let summary = err
        .lines()
        .find(|l| l.contains("DNS degraded"))
        .unwrap_or_else(|| panic!("no summary: {err}"));
    assert!(summary.contains(&addr.to_string()), "{summary}");
    assert!(summary.contains("not asked after 5 in a row"), "{summary}");
    let reports: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(reports.len(), 40);
    assert!(reports.iter().all(|r| r["dns"]["degraded"] == true));
    // 40 messages × a dozen questions would be minutes of timeouts; the
    // breaker stops after the first wave.
    assert!(elapsed < Duration::from_secs(20), "{elapsed:?}");
    let questions: usize = reports
        .iter()
        .map(|r| r["dns"]["answers"].as_array().map_or(0, |a| a.len()))
        .sum();
    assert!(
        server.queries() < questions,
        "{} queries for {questions} questions",
        server.queries()
    );
}

#[test]
fn a_live_server_is_not_degraded() {
    let (addr, _server) = dns_server::start("h0.fixture-sender.net. A 5.1.1.1\n");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one.mbox");
    std::fs::write(&path, mbox(1)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_spamtrace"))
        .args(["trace", "--json", "--dns-server", &addr.to_string()])
        .arg(&path)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("degraded"), "{err}");
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(r["dns"].get("degraded").is_none());
}

#[test]
fn dnsbl_zones_under_special_use_names_are_asked() {
    let zone = "1.1.1.5.bl.test. A 127.0.0.2\n1.1.1.5.lab.internal. A 127.0.0.2\n";
    let (addr, server) = dns_server::start(zone);
    let opts = TraceOptions::default();
    let text = mbox(1);
    let mut batch: Vec<_> = MessageReader::new(text.as_bytes(), "t", InputOptions::default())
        .map(|m| spamtrace::walk(m.unwrap(), &opts))
        .collect();
    let client = DnsClient::live(&LiveConfig {
        servers: vec![addr],
        timeout: Duration::from_secs(2),
        concurrency: 8,
    })
    .unwrap();
    let mut e = DnsEnricher::new(
        client,
        DnsOptions {
            dnsbl: vec!["bl.test".into(), "lab.internal".into()],
            ..DnsOptions::default()
        },
    )
    .unwrap();
    e.enrich(&mut batch);
    let r = spamtrace::build(batch.remove(0), &opts);
    let listed: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.code == "DNSBL_LISTED")
        .map(|f| f.evidence["zone"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        listed,
        ["bl.test", "lab.internal"],
        "{:?}",
        server.questions()
    );
}

#[test]
fn a_malformed_dnsbl_zone_is_refused_by_name() {
    let out = Command::new(env!("CARGO_BIN_EXE_spamtrace"))
        .args([
            "trace",
            "--dnsbl",
            "bad zone.example",
            "--dns-server",
            "127.0.0.1:9",
        ])
        .arg("testdata/01-sendmail-university.eml")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--dnsbl \"bad zone.example\""), "{err}");
}

/// Run `cmd` under `script`, so its stdout and stderr are a terminal.
fn on_a_terminal(cmd: &str) -> Option<String> {
    let out = Command::new("script")
        .args(["-qec", cmd, "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn the_dns_beacon_note_is_said_on_a_terminal_only() {
    let (addr, _server) = dns_server::start("");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one.mbox");
    std::fs::write(&path, mbox(1)).unwrap();
    let cmd = format!(
        "{} trace --dns-server {addr} {} >/dev/null",
        env!("CARGO_BIN_EXE_spamtrace"),
        path.display()
    );
    let Some(seen) = on_a_terminal(&cmd) else {
        eprintln!("skipped: no script(1) to make a terminal");
        return;
    };
    assert!(seen.contains("about to look up"), "{seen}");
    assert!(seen.contains("--offline"), "{seen}");
    let n: usize = seen
        .split("about to look up ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("a count");
    assert!(n >= 3, "HELO, From and Message-ID domains: {seen}");
    let out = Command::new(env!("CARGO_BIN_EXE_spamtrace"))
        .args(["trace", "--dns-server", &addr.to_string()])
        .arg(&path)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("about to look up"));
}
