//! `spamtrace trace` with DNS, end to end: the 1999 sample against a
//! fixture zone on 127.0.0.1, `--dns-replay` with the server stopped, and
//! `--offline` opening no socket.

mod support;

use std::process::{Command, Output};
use support::dns_server;

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/1999-berkeley.mbox");

/// 217.6.1.7 is pool37.qs4w.longlink.net (forward-confirmed); the HELO name
/// gate.hypermoon.com resolves elsewhere.
const ZONE_1999: &str = "7.1.6.217.in-addr.arpa. PTR pool37.qs4w.longlink.net.\n\
                         pool37.qs4w.longlink.net. A 217.6.1.7\n\
                         gate.hypermoon.com. A 203.0.113.80\n\
                         4.220.46.197.in-addr.arpa. PTR mail.everfaster.com.\n\
                         mail.everfaster.com. A 197.46.220.4\n\
                         server.big-hello.com. A 203.0.113.81\n";

fn spamtrace(args: &[&str], config_home: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spamtrace"))
        .args(args)
        // No user config file: it could name DNS servers.
        .env("XDG_CONFIG_HOME", config_home)
        .env("HOME", config_home)
        .output()
        .expect("spamtrace runs")
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    // An mbox, even of one message, gives an array (docs/report-format.md).
    match v {
        serde_json::Value::Array(mut a) if a.len() == 1 => a.remove(0),
        v => v,
    }
}

fn finding<'a>(r: &'a serde_json::Value, code: &str, hop: u64) -> &'a serde_json::Value {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code && f["hop"] == hop)
        .unwrap_or_else(|| panic!("no {code} on hop {hop}: {:#}", r["findings"]))
}

#[test]
fn sample_1999_live_then_replayed_without_the_server() {
    let tmp = tempfile::tempdir().unwrap();
    let (addr, server) = dns_server::start(ZONE_1999);
    let addr = addr.to_string();
    let live = spamtrace(
        &[
            "trace",
            "--json",
            "--trusted",
            "169.229.0.0/16",
            "--dns-server",
            &addr,
            SAMPLE,
        ],
        tmp.path(),
    );
    let report = json(&live);
    assert!(server.queries() > 0);
    let mismatch = finding(&report, "HELO_IP_MISMATCH", 2);
    assert_eq!(mismatch["evidence"]["helo_addresses"][0], "203.0.113.80");
    // The probable origin (hop 2) is forward-confirmed.
    assert_eq!(report["probable_origin"]["hop"], 2);
    let hop2 = report["dns"]["hops"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["hop"] == 2)
        .unwrap();
    assert_eq!(hop2["verdict"], "confirmed");
    assert_eq!(hop2["fcrdns_name"], "pool37.qs4w.longlink.net");
    // Evidence: the PTR answer with its rcode, TTL, time and server.
    let ptr = report["dns"]["answers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "7.1.6.217.in-addr.arpa")
        .expect("PTR evidence");
    assert_eq!(ptr["type"], "PTR");
    assert_eq!(ptr["rcode"], "NOERROR");
    assert_eq!(ptr["answers"][0], "pool37.qs4w.longlink.net");
    assert_eq!(ptr["ttl"], 300);
    assert_eq!(ptr["server"], addr.as_str());
    assert!(ptr["when"].as_str().unwrap().ends_with('Z'));
    // The custody link 2 -> 3 is refuted by DNS: server.big-hello.com is not 217.6.1.7.
    assert_eq!(finding(&report, "CHAIN_BREAK", 3)["severity"], "forged");

    // Replay with the server stopped: same report apart from analyzed_at.
    server.stop();
    let recording = tmp.path().join("report.json");
    std::fs::write(&recording, &live.stdout).unwrap();
    let replayed = spamtrace(
        &[
            "trace",
            "--json",
            "--trusted",
            "169.229.0.0/16",
            "--dns-replay",
            recording.to_str().unwrap(),
            SAMPLE,
        ],
        tmp.path(),
    );
    let mut a = report.clone();
    let mut b = json(&replayed);
    a.as_object_mut().unwrap().remove("analyzed_at");
    b.as_object_mut().unwrap().remove("analyzed_at");
    assert_eq!(a, b);
}

#[test]
fn table_shows_the_dns_verdict_per_hop() {
    let tmp = tempfile::tempdir().unwrap();
    let (addr, _server) = dns_server::start(ZONE_1999);
    let out = spamtrace(
        &[
            "trace",
            "--color",
            "never",
            "--trusted",
            "169.229.0.0/16",
            "--dns-server",
            &addr.to_string(),
            SAMPLE,
        ],
        tmp.path(),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let row = text
        .lines()
        .find(|l| l.contains("217.6.1.7") && l.contains('│'))
        .expect("hop 2 row");
    assert!(row.contains("confirmed"), "{text}");
    let row = text
        .lines()
        .find(|l| l.contains("221.88.9.16") && l.contains('│'))
        .expect("hop 3 row");
    assert!(row.contains("no rDNS"), "{text}");
}

#[test]
fn offline_opens_no_socket() {
    let tmp = tempfile::tempdir().unwrap();
    let (addr, server) = dns_server::start(ZONE_1999);
    let addr = addr.to_string();
    let args = [
        "trace",
        "--json",
        "--offline",
        "--dns-server",
        &addr,
        SAMPLE,
    ];
    let report = json(&spamtrace(&args, tmp.path()));
    assert_eq!(server.queries(), 0, "--offline asked the DNS server");
    assert!(report.get("dns").is_none());
    // The same run without --offline does reach the server: the count works.
    let _ = json(&spamtrace(
        &args[..2]
            .iter()
            .chain(&args[3..])
            .copied()
            .collect::<Vec<_>>(),
        tmp.path(),
    ));
    assert!(server.queries() > 0);

    // And under strace, when it can run here: no IP socket at all.
    let log = tmp.path().join("strace.log");
    let traced = Command::new("strace")
        .args(["-f", "-e", "trace=socket,connect", "-o"])
        .arg(&log)
        .arg(env!("CARGO_BIN_EXE_spamtrace"))
        .args(args)
        .env("XDG_CONFIG_HOME", tmp.path())
        .output();
    match traced {
        Ok(o) if o.status.success() => {
            let calls = std::fs::read_to_string(&log).unwrap();
            assert!(
                !calls.contains("AF_INET"),
                "--offline opened an IP socket:\n{calls}"
            );
        }
        _ => eprintln!("skip: strace is not usable here; the query count above stands"),
    }
}

#[test]
fn dns_flags_are_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let out = spamtrace(
        &["trace", "--dns-server", "dns.example", SAMPLE],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--dns-server"));
    let out = spamtrace(
        &["trace", "--offline", "--dns-replay", "x.json", SAMPLE],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let out = spamtrace(
        &["trace", "--dns-replay", "/nonexistent/r.json", SAMPLE],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(2));
}
