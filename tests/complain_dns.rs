//! Issue 5's acceptance test through the binary: the 1999 sample against a
//! fixture zone on 127.0.0.1. `trace --json` and `complain` name the same
//! contacts; `--dns-replay` of the trace's JSON gives them again with the
//! server stopped; `--offline` names none and says why.

mod abuse_support;
mod support;

use std::path::Path;
use std::process::{Command, Output};
use support::dns_server;

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/1999-berkeley.mbox");
const NOW: &str = "1764000000";

/// The zone, plus MX records for every innocent domain the message
/// names (so leaving them out is a rule at work, not a missing record).
const ZONE: &str = "4.220.46.197.in-addr.arpa. PTR mail.everfaster.com.\n\
                    mail.everfaster.com. A 197.46.220.4\n\
                    everfaster.com. MX 10 mx.everfaster.com.\n\
                    7.1.6.217.in-addr.arpa. PTR pool37.qs4w.longlink.net.\n\
                    longlink.net. MX 10 mail.longlink.net.\n\
                    4.220.46.197.abuse-contacts.abusix.zone. TXT \"abuse@transit-noc.net\"\n\
                    gate.hypermoon.com. A 217.6.1.7\n\
                    hypermoon.com. MX 10 mx.hypermoon.com.\n\
                    hotmail.com. MX 10 mx.hotmail.com.\n\
                    hotdogcity.com. MX 10 mx.hotdogcity.com.\n\
                    fritz.hotdogcity.com. A 221.88.9.16\n\
                    big-hello.com. MX 10 mx.big-hello.com.\n\
                    server.big-hello.com. A 203.0.113.81\n";

const INNOCENT: [&str; 4] = [
    "hotmail.com",
    "hotdogcity.com",
    "big-hello.com",
    "hypermoon.com",
];

fn spamtrace(args: &[&str], home: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spamtrace"))
        .args(args)
        .env("XDG_CONFIG_HOME", home)
        .env("HOME", home)
        .env_remove("SPAMTRACE_REPORTER")
        .output()
        .expect("spamtrace runs")
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("UTF-8 output")
}

/// The one report of `trace --json` on the sample: an mbox, so an array
/// (docs/report-format.md), of one.
fn one_report(text: &str) -> serde_json::Value {
    match serde_json::from_str(text).expect("JSON") {
        serde_json::Value::Array(mut a) if a.len() == 1 => a.remove(0),
        v => panic!("an array of one report expected: {v}"),
    }
}

/// (address, role, scope, confidence, source) of each contact.
fn contacts(report: &serde_json::Value) -> Vec<[String; 5]> {
    report["abuse_contacts"]
        .as_array()
        .expect("abuse_contacts")
        .iter()
        .map(|c| {
            ["address", "role", "scope", "confidence", "source"]
                .map(|k| c[k].as_str().unwrap_or("").to_string())
        })
        .collect()
}

fn expected() -> Vec<[String; 5]> {
    [
        [
            "abuse@transit-noc.net",
            "first_untrusted_relay",
            "network",
            "confirmed",
            "abusix",
        ],
        [
            "abuse@everfaster.com",
            "first_untrusted_relay",
            "relay_operator",
            "confirmed",
            "rfc2142",
        ],
        [
            "postmaster@everfaster.com",
            "first_untrusted_relay",
            "relay_postmaster",
            "confirmed",
            "rfc5321",
        ],
        [
            "abuse@longlink.net",
            "probable_origin",
            "relay_operator",
            "guess",
            "rfc2142",
        ],
    ]
    .map(|c| c.map(String::from))
    .to_vec()
}

/// The complaint names the contacts, suggests only the confirmed ones, and
/// never an innocent domain.
fn check_complaint(text: &str) {
    let to = text
        .lines()
        .find(|l| l.starts_with("Suggested To:"))
        .unwrap_or_else(|| panic!("no Suggested To: {text}"));
    assert!(to.contains("abuse@everfaster.com"), "{to}");
    assert!(to.contains("abuse@transit-noc.net"), "{to}");
    assert!(
        !to.contains("longlink"),
        "a claimed hop is not a recipient: {to}"
    );
    // postmaster@ is a copy beside abuse@ of its domain, never the addressee.
    assert!(!to.contains("postmaster@"), "{to}");
    let cc = text
        .lines()
        .find(|l| l.starts_with("Suggested Cc:"))
        .unwrap_or_else(|| panic!("no Suggested Cc: {text}"));
    assert_eq!(cc, "Suggested Cc: postmaster@everfaster.com");
    assert!(text.contains("abuse@longlink.net"), "{text}");
    assert!(!text.contains("postmaster@longlink.net"), "{text}");
    for d in INNOCENT {
        assert!(!text.contains(&format!("abuse@{d}")), "{d}: {text}");
        assert!(!text.contains(&format!("postmaster@{d}")), "{d}: {text}");
    }
}

#[test]
fn sample_1999_contacts_live_in_trace_and_complain_then_replayed() {
    let home = tempfile::tempdir().unwrap();
    let (addr, server) = dns_server::start(ZONE);
    let addr = addr.to_string();
    let trusted = ["--trusted", "169.229.0.0/16"];
    let dns = ["--dns-server", addr.as_str(), "--dns-timeout", "2"];

    let live = ok(&spamtrace(
        &[&["trace", "--json"][..], &trusted, &dns, &[SAMPLE]].concat(),
        home.path(),
    ));
    let report = one_report(&live);
    assert_eq!(
        contacts(&report),
        expected(),
        "{:#}",
        report["abuse_contacts"]
    );
    for c in report["abuse_contacts"].as_array().unwrap() {
        let a = c["address"].as_str().unwrap();
        assert!(
            !INNOCENT.iter().any(|d| a.ends_with(&format!("@{d}"))),
            "{a}"
        );
    }
    // The abuse lookups are evidence in the report.
    let answers = report["dns"]["answers"].as_array().unwrap();
    let recorded =
        |name: &str, t: &str| answers.iter().any(|a| a["name"] == name && a["type"] == t);
    assert!(recorded("everfaster.com", "MX"));
    assert!(recorded("longlink.net", "MX"));
    assert!(recorded("4.220.46.197.abuse-contacts.abusix.zone", "TXT"));
    // Below the boundary a HELO name is ignored, and not asked about.
    let asked = server.questions();
    assert!(
        !asked
            .iter()
            .any(|q| q.ends_with("hypermoon.com") && q.starts_with("MX")),
        "{asked:?}"
    );
    // The cache: one question once per run.
    let mx = asked.iter().filter(|q| *q == "MX everfaster.com").count();
    assert_eq!(mx, 1, "{asked:?}");

    let table = ok(&spamtrace(
        &[
            &["trace", "--color", "never"][..],
            &trusted,
            &dns,
            &[SAMPLE],
        ]
        .concat(),
        home.path(),
    ));
    assert!(table.contains("abuse@everfaster.com"), "{table}");
    assert!(table.contains("abuse@longlink.net"), "{table}");

    let complaint = ok(&spamtrace(
        &[&["complain", "--now", NOW][..], &trusted, &dns, &[SAMPLE]].concat(),
        home.path(),
    ));
    check_complaint(&complaint);

    // The recording, with the server stopped: same contacts, same complaint.
    server.stop();
    let rec = home.path().join("report.json");
    std::fs::write(&rec, &live).unwrap();
    let rec = rec.to_str().unwrap();
    let replay = ["--dns-replay", rec];
    let again = ok(&spamtrace(
        &[&["trace", "--json"][..], &trusted, &replay, &[SAMPLE]].concat(),
        home.path(),
    ));
    let again = one_report(&again);
    assert_eq!(contacts(&again), expected());
    assert_eq!(again["abuse_contacts"], report["abuse_contacts"]);
    let replayed = ok(&spamtrace(
        &[
            &["complain", "--now", NOW][..],
            &trusted,
            &replay,
            &[SAMPLE],
        ]
        .concat(),
        home.path(),
    ));
    // The same complaint, but for the Message-ID's random part.
    let no_id = |t: &str| {
        t.lines()
            .filter(|l| !l.starts_with("Message-ID:"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(no_id(&replayed), no_id(&complaint));
}

#[test]
fn offline_names_no_dns_contact_and_says_why() {
    let home = tempfile::tempdir().unwrap();
    let args = ["--offline", "--trusted", "169.229.0.0/16", SAMPLE];
    let json = ok(&spamtrace(
        &[&["trace", "--json"][..], &args].concat(),
        home.path(),
    ));
    let report = one_report(&json);
    assert_eq!(report["abuse_contacts"], serde_json::json!([]));
    let table = ok(&spamtrace(
        &[&["trace", "--color", "never"][..], &args].concat(),
        home.path(),
    ));
    assert!(table.contains("--offline"), "{table}");
    let out = spamtrace(
        &[&["complain", "--now", NOW][..], &args].concat(),
        home.path(),
    );
    // No recipient and no --to: refused, and the reason named.
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--offline: no DNS-based contacts"), "{err}");
    let out = spamtrace(
        &[
            &["complain", "--now", NOW, "--to", "abuse@example.net"][..],
            &args,
        ]
        .concat(),
        home.path(),
    );
    let text = ok(&out);
    assert!(text.contains("Suggested To: (none found)"), "{text}");
}

#[test]
fn abusix_zone_flag_moves_or_disables_the_txt_question() {
    let home = tempfile::tempdir().unwrap();
    let zone = format!("{ZONE}4.220.46.197.contacts.test. TXT \"noc@other-noc.net\"\n");
    let (addr, server) = dns_server::start(&zone);
    let addr = addr.to_string();
    let run = |zone: &str| {
        let out = ok(&spamtrace(
            &[
                "trace",
                "--json",
                "--trusted",
                "169.229.0.0/16",
                "--dns-server",
                &addr,
                "--abusix-zone",
                zone,
                SAMPLE,
            ],
            home.path(),
        ));
        let r = one_report(&out);
        contacts(&r)
            .into_iter()
            .map(|c| c[0].clone())
            .collect::<Vec<_>>()
    };
    let moved = run("contacts.test");
    assert!(
        moved.contains(&"noc@other-noc.net".to_string()),
        "{moved:?}"
    );
    assert!(
        !moved.contains(&"abuse@transit-noc.net".to_string()),
        "{moved:?}"
    );
    let none = run("none");
    assert!(!none.iter().any(|a| a.contains("noc")), "{none:?}");
    assert!(
        none.contains(&"abuse@everfaster.com".to_string()),
        "{none:?}"
    );
    assert!(!server
        .questions()
        .iter()
        .any(|q| q.contains("abuse-contacts")));
}

#[test]
fn rdap_adds_the_registry_contact_to_the_dns_ones() {
    let home = tempfile::tempdir().unwrap();
    let (addr, _server) = dns_server::start(ZONE);
    let rdap = abuse_support::http::serve(abuse_support::http::bootstrap_routes());
    let boot = format!("{}/bootstrap/", rdap.base);
    let text = ok(&spamtrace(
        &[
            "complain",
            "--now",
            NOW,
            "--trusted",
            "169.229.0.0/16",
            "--dns-server",
            &addr.to_string(),
            "--rdap",
            "--rdap-bootstrap",
            &boot,
            "--rdap-allow-private",
            SAMPLE,
        ],
        home.path(),
    ));
    check_complaint(&text);
    let to = text
        .lines()
        .find(|l| l.starts_with("Suggested To:"))
        .unwrap();
    assert!(to.contains("abuse@everfaster-net.org"), "{to}");
}

#[test]
fn an_mbox_asks_each_abuse_question_once_and_every_message_gets_contacts() {
    let home = tempfile::tempdir().unwrap();
    let (addr, server) = dns_server::start(ZONE);
    let one = std::fs::read(SAMPLE).unwrap();
    let mbox = home.path().join("many.mbox");
    let copies = 300; // more than one batch (256)
    let mut all = Vec::new();
    for _ in 0..copies {
        all.extend_from_slice(&one);
        all.push(b'\n');
    }
    std::fs::write(&mbox, all).unwrap();
    let out = ok(&spamtrace(
        &[
            "trace",
            "--format",
            "ndjson",
            "--trusted",
            "169.229.0.0/16",
            "--dns-server",
            &addr.to_string(),
            mbox.to_str().unwrap(),
        ],
        home.path(),
    ));
    let reports: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(reports.len(), copies);
    for r in &reports {
        assert_eq!(contacts(r), expected());
    }
    let asked = server.questions();
    for q in [
        "MX everfaster.com",
        "MX longlink.net",
        "TXT 4.220.46.197.abuse-contacts.abusix.zone",
    ] {
        assert_eq!(
            asked.iter().filter(|x| *x == q).count(),
            1,
            "{q}: {asked:?}"
        );
    }
}
