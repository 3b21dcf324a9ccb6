//! The DNS half of header forensics, end to end through the CLI against a
//! fixture zone on 127.0.0.1: MSGID_DOMAIN_NXDOMAIN, ENVELOPE_DOMAIN_NXDOMAIN
//! (NXDOMAIN and null MX), SPF by mail-auth (include, a, exists) and DKIM
//! (a key made and a message signed here), every answer recorded and the
//! run replayed with the server stopped; `--offline` asks nothing.

mod support;

use mail_auth::common::crypto::Ed25519Key;
use mail_auth::common::headers::HeaderWriter;
use mail_auth::dkim::DkimSigner;
use serde_json::Value;
use std::process::{Command, Output};
use support::dns_server;

/// The relay every message comes from (the first untrusted relay).
const RELAY: &str = "5.1.1.20";

fn spamtrace(args: &[&str], home: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spamtrace"))
        .args(args)
        .env("XDG_CONFIG_HOME", home)
        .env("HOME", home)
        .output()
        .expect("spamtrace runs")
}

fn reports(out: &Output) -> Vec<Value> {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    match serde_json::from_slice(&out.stdout).expect("JSON") {
        Value::Array(a) => a,
        v => vec![v],
    }
}

fn codes(r: &Value) -> Vec<(String, String)> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn has(r: &Value, code: &str, severity: &str) -> bool {
    codes(r).iter().any(|(c, s)| c == code && s == severity)
}

fn lacks(r: &Value, code: &str) -> bool {
    !codes(r).iter().any(|(c, _)| c == code)
}

/// One message from RELAY to our mx1 (trusted 93.184.216.0/24), dated now.
fn message(return_path: &str, from: &str, msgid: &str, body: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    message_at(now, return_path, from, msgid, body)
}

/// The same, received at `when` (Unix seconds).
fn message_at(when: i64, return_path: &str, from: &str, msgid: &str, body: &str) -> String {
    let now = mail_parser::DateTime::from_timestamp(when).to_rfc822();
    format!(
        "Received: from relay.sender-mail.com (relay.sender-mail.com [{RELAY}])\r\n\
         \tby mx1.recipient-site.org (Postfix) with ESMTP id 4ABC; {now}\r\n\
         Return-Path: <{return_path}>\r\n\
         From: Alice <{from}>\r\n\
         To: bob@recipient-site.org\r\n\
         Subject: forensics\r\n\
         Date: {now}\r\n\
         Message-ID: <{msgid}>\r\n\
         \r\n\
         {body}"
    )
}

/// Prepend a DKIM-Signature made with the test key for d=`d`, s=`s`.
fn sign(d: &str, s: &str, msg: &str) -> String {
    let key = KEY.with(|(pkcs8, _)| Ed25519Key::from_pkcs8_der(pkcs8).unwrap());
    let sig = DkimSigner::from_key(key)
        .domain(d)
        .selector(s)
        .headers(["From", "To", "Subject", "Date", "Message-ID"])
        .sign(msg.as_bytes())
        .expect("signs");
    format!("{}{msg}", sig.to_header())
}

thread_local! {
    static KEY: (Vec<u8>, Vec<u8>) = {
        let pkcs8 = Ed25519Key::generate_pkcs8().unwrap();
        let public = Ed25519Key::from_pkcs8_der(&pkcs8).unwrap().public_key();
        (pkcs8, public)
    };
}

fn b64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = c
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (*b as u32) << (16 - 8 * i));
        for i in 0..4 {
            if i <= c.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The fixture: five senders, each exercising one path.
fn zone(public_key: &[u8]) -> String {
    format!(
        "sender-mail.com. MX 10 relay.sender-mail.com.\n\
         relay.sender-mail.com. A {RELAY}\n\
         sender-mail.com. TXT \"v=spf1 mx -all\"\n\
         sel._domainkey.sender-mail.com. TXT \"v=DKIM1; k=ed25519; p={}\"\n\
         nullmx-mail.net. MX 0 .\n\
         nullmx-mail.net. TXT \"v=spf1 -all\"\n\
         spf-fails.net. MX 10 mx.spf-fails.net.\n\
         spf-fails.net. TXT \"v=spf1 include:_spf.spf-fails.net -all\"\n\
         _spf.spf-fails.net. TXT \"v=spf1 a:out.spf-fails.net ip4:192.0.2.0/24 -all\"\n\
         out.spf-fails.net. A 203.0.113.9\n\
         exists-no.net. A 203.0.113.10\n\
         exists-no.net. TXT \"v=spf1 exists:%{{i}}.ok.exists-no.net -all\"\n\
         exists-yes.net. A 203.0.113.11\n\
         exists-yes.net. TXT \"v=spf1 exists:%{{i}}.ok.exists-yes.net -all\"\n\
         {RELAY}.ok.exists-yes.net. A 127.0.0.2\n",
        b64(public_key)
    )
}

/// The test mbox: (what each message shows, its text).
fn mbox() -> String {
    let good = message(
        "bounce@sender-mail.com",
        "alice@sender-mail.com",
        "1.2@sender-mail.com",
        "Hello.\r\n",
    );
    let good = sign("sender-mail.com", "sel", &good);
    // Signed, then the body changed; Message-ID under a domain that does
    // not exist; envelope domain with a null MX.
    let altered = message(
        "bounce@nullmx-mail.net",
        "alice@sender-mail.com",
        "3.4@host.no-such-msgid-domain.com",
        "Hello.\r\n",
    );
    let altered = sign("sender-mail.com", "sel", &altered).replace("Hello.", "Hullo.");
    // SPF fails through include: and a:; the selector has no key.
    let spf_fail = message(
        "bounce@spf-fails.net",
        "alice@spf-fails.net",
        "5.6@sender-mail.com",
        "Hi.\r\n",
    );
    let spf_fail = sign("spf-fails.net", "gone", &spf_fail);
    let exists_no = message(
        "bounce@exists-no.net",
        "alice@exists-no.net",
        "7.8@sender-mail.com",
        "Hi.\r\n",
    );
    let exists_yes = message(
        "bounce@exists-yes.net",
        "alice@exists-yes.net",
        "9.0@sender-mail.com",
        "Hi.\r\n",
    );
    let nx = message(
        "bounce@no-such-envelope-domain.com",
        "alice@sender-mail.com",
        "1.1@sender-mail.com",
        "Hi.\r\n",
    );
    [good, altered, spf_fail, exists_no, exists_yes, nx]
        .iter()
        .map(|m| format!("From MAILER-DAEMON Thu Nov 26 05:00:00 2026\r\n{m}\r\n"))
        .collect()
}

#[test]
fn forensics_live_replayed_and_offline() {
    let tmp = tempfile::tempdir().unwrap();
    let public = KEY.with(|(_, p)| p.clone());
    let (addr, server) = dns_server::start(&zone(&public));
    let path = tmp.path().join("msgs.mbox");
    std::fs::write(&path, mbox()).unwrap();
    let path = path.to_str().unwrap();
    let addr = addr.to_string();
    let base = ["trace", "--json", "--trusted", "93.184.216.0/24", "--dkim"];
    let live_out = spamtrace(
        &[&base[..], &["--dns-server", &addr, path]].concat(),
        tmp.path(),
    );
    let live = reports(&live_out);
    assert_eq!(live.len(), 6);
    let [good, altered, spf_fail, exists_no, exists_yes, nx] = &live[..] else {
        unreachable!()
    };

    // Good: SPF pass through mx, DKIM pass and aligned, domains exist.
    assert_eq!(good["dns"]["spf"]["result"], "pass", "{:#}", good["dns"]);
    assert_eq!(good["dns"]["spf"]["ip"], RELAY);
    assert_eq!(
        good["dns"]["dkim"][0]["result"], "pass",
        "{:#}",
        good["dns"]
    );
    assert_eq!(good["dns"]["dkim"][0]["d"], "sender-mail.com");
    assert_eq!(good["dns"]["dkim"][0]["aligned"], true);
    assert_eq!(good["dns"]["envelope"]["accepts_mail"], true);
    assert_eq!(good["dns"]["message_id_domain"]["resolution"], "no_data");
    for code in [
        "MSGID_DOMAIN_NXDOMAIN",
        "ENVELOPE_DOMAIN_NXDOMAIN",
        "ENVELOPE_SPF",
    ] {
        assert!(lacks(good, code), "{code}: {:#}", good["findings"]);
    }
    assert!(has(good, "DKIM_RESULT", "info"));

    // Altered body, null MX, Message-ID domain that does not exist.
    assert_eq!(altered["dns"]["dkim"][0]["result"], "body_altered");
    assert_eq!(altered["dns"]["envelope"]["null_mx"], true);
    assert_eq!(altered["dns"]["envelope"]["accepts_mail"], false);
    assert!(has(altered, "ENVELOPE_DOMAIN_NXDOMAIN", "warn"));
    assert!(has(altered, "MSGID_DOMAIN_NXDOMAIN", "warn"));
    assert_eq!(
        altered["dns"]["message_id_domain"]["asked"],
        "no-such-msgid-domain.com"
    );

    // SPF fail through include: and a:, missing DKIM key: unknown today.
    assert_eq!(
        spf_fail["dns"]["spf"]["result"], "fail",
        "{:#}",
        spf_fail["dns"]
    );
    assert!(has(spf_fail, "ENVELOPE_SPF", "warn"));
    assert_eq!(spf_fail["dns"]["dkim"][0]["result"], "key_missing");
    assert!(has(spf_fail, "DKIM_RESULT", "info"));

    // exists: with no such name is "no match" (fail), not temperror.
    assert_eq!(
        exists_no["dns"]["spf"]["result"], "fail",
        "{:#}",
        exists_no["dns"]
    );
    assert_eq!(
        exists_yes["dns"]["spf"]["result"], "pass",
        "{:#}",
        exists_yes["dns"]
    );

    // The envelope domain does not exist.
    assert_eq!(nx["dns"]["envelope"]["exists"], false);
    assert!(has(nx, "ENVELOPE_DOMAIN_NXDOMAIN", "warn"));
    assert_eq!(nx["dns"]["spf"]["result"], "none");

    // No report calls anything forged on these grounds.
    for r in &live {
        assert!(
            codes(r).iter().all(|(_, s)| s != "forged"),
            "{:#}",
            r["findings"]
        );
    }

    // Every question the server saw is in some report's evidence: nothing
    // went around our client.
    let recorded: Vec<String> = live
        .iter()
        .flat_map(|r| r["dns"]["answers"].as_array().unwrap().clone())
        .map(|a| {
            format!(
                "{} {}",
                a["type"].as_str().unwrap(),
                a["name"].as_str().unwrap()
            )
        })
        .collect();
    let asked = server.questions();
    for q in &asked {
        assert!(recorded.contains(q), "{q} asked but not recorded");
    }
    // Each question once for the whole run (the run-wide cache).
    let mut unique = asked.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), asked.len(), "{asked:?}");

    // The table shows what was checked today.
    let table = spamtrace(
        &[
            "trace",
            "--color",
            "never",
            "--trusted",
            "93.184.216.0/24",
            "--dkim",
            "--dns-server",
            &addr,
            path,
        ],
        tmp.path(),
    );
    // A summary value's continuation lines joined (the table wraps them
    // under the label column).
    let text = String::from_utf8_lossy(&table.stdout).replace("\n                 ", " ");
    assert!(
        text.contains(
            "spf=pass (sender-mail.com for 5.1.1.20), dkim=pass (sender-mail.com, aligned)"
        ),
        "{text}"
    );
    assert!(
        text.contains("dkim=body_altered (sender-mail.com, aligned)"),
        "{text}"
    );
    drop(server);

    // Replay with the server gone: the same DNS facts and findings.
    let rec = tmp.path().join("live.json");
    std::fs::write(&rec, &live_out.stdout).unwrap();
    let replayed = reports(&spamtrace(
        &[&base[..], &["--dns-replay", rec.to_str().unwrap(), path]].concat(),
        tmp.path(),
    ));
    for (a, b) in live.iter().zip(&replayed) {
        for key in ["spf", "dkim", "envelope", "message_id_domain"] {
            assert_eq!(a["dns"][key], b["dns"][key], "{key}");
        }
        assert_eq!(codes(a), codes(b));
    }

    // Offline: no DNS section, none of these findings.
    let offline = reports(&spamtrace(
        &[
            "trace",
            "--json",
            "--trusted",
            "93.184.216.0/24",
            "--offline",
            path,
        ],
        tmp.path(),
    ));
    for r in &offline {
        assert!(r.get("dns").is_none());
        for code in [
            "MSGID_DOMAIN_NXDOMAIN",
            "ENVELOPE_DOMAIN_NXDOMAIN",
            "ENVELOPE_SPF",
            "DKIM_RESULT",
        ] {
            assert!(lacks(r, code));
        }
    }
}

#[test]
fn servfail_is_unknown_never_nxdomain() {
    let tmp = tempfile::tempdir().unwrap();
    let (addr, _server) = dns_server::start_servfail();
    let path = tmp.path().join("msgs.mbox");
    std::fs::write(&path, mbox()).unwrap();
    let out = reports(&spamtrace(
        &[
            "trace",
            "--json",
            "--trusted",
            "93.184.216.0/24",
            "--dkim",
            "--dns-timeout",
            "500ms",
            "--dns-server",
            &addr.to_string(),
            path.to_str().unwrap(),
        ],
        tmp.path(),
    ));
    for r in &out {
        assert_eq!(r["dns"]["spf"]["result"], "unknown", "{:#}", r["dns"]);
        assert!(r["dns"]["envelope"]["exists"].is_null());
        for code in [
            "MSGID_DOMAIN_NXDOMAIN",
            "ENVELOPE_DOMAIN_NXDOMAIN",
            "ENVELOPE_SPF",
        ] {
            assert!(lacks(r, code), "{code}");
        }
    }
    // The body-hash check needs no DNS: the altered message still says so.
    assert_eq!(out[1]["dns"]["dkim"][0]["result"], "body_altered");
    assert_eq!(out[0]["dns"]["dkim"][0]["result"], "error");
}

#[test]
fn without_dkim_flag_no_body_is_kept_and_no_dkim_is_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let public = KEY.with(|(_, p)| p.clone());
    let (addr, server) = dns_server::start(&zone(&public));
    let path = tmp.path().join("msgs.mbox");
    std::fs::write(&path, mbox()).unwrap();
    let out = reports(&spamtrace(
        &[
            "trace",
            "--json",
            "--trusted",
            "93.184.216.0/24",
            "--dns-server",
            &addr.to_string(),
            path.to_str().unwrap(),
        ],
        tmp.path(),
    ));
    assert_eq!(out[0]["dns"]["spf"]["result"], "pass");
    assert!(out.iter().all(|r| r["dns"].get("dkim").is_none()));
    assert!(!server.questions().iter().any(|q| q.contains("_domainkey")));
}

/// A hostile SPF record (nine mx: mechanisms, ten exchanges each) cannot
/// make one message ask more than the budget.
#[test]
fn hostile_spf_record_stays_within_the_budget() {
    let tmp = tempfile::tempdir().unwrap();
    let mut zone = String::from("hostile.net. MX 10 mx.hostile.net.\n");
    let mechs: Vec<String> = (1..=9).map(|i| format!("mx:m{i}.hostile.net")).collect();
    zone.push_str(&format!(
        "hostile.net. TXT \"v=spf1 {} -all\"\n",
        mechs.join(" ")
    ));
    for i in 1..=9 {
        for j in 1..=10 {
            zone.push_str(&format!(
                "m{i}.hostile.net. MX {j} x{j}.m{i}.hostile.net.\n"
            ));
        }
    }
    let (addr, server) = dns_server::start(&zone);
    let path = tmp.path().join("hostile.eml");
    let msg = message("x@hostile.net", "x@hostile.net", "1@hostile.net", "Hi.\r\n");
    std::fs::write(&path, msg).unwrap();
    let r = reports(&spamtrace(
        &[
            "trace",
            "--json",
            "--trusted",
            "93.184.216.0/24",
            "--dns-server",
            &addr.to_string(),
            path.to_str().unwrap(),
        ],
        tmp.path(),
    ));
    let asked = server.questions();
    assert!(
        asked.len() <= spamtrace::enrich::dns::plan::MAX_QUESTIONS,
        "{} questions",
        asked.len()
    );
    let auth_asked = asked.iter().filter(|q| q.contains("hostile.net")).count();
    assert!(
        auth_asked <= spamtrace::enrich::dns::auth::MAX_AUTH_QUESTIONS,
        "{auth_asked}"
    );
    assert!(auth_asked > 10, "the evaluation went on: {asked:?}");
    assert_eq!(
        r[0]["dns"]["spf"]["result"], "unknown",
        "{:#}",
        r[0]["dns"]["spf"]
    );
    assert!(lacks(&r[0], "ENVELOPE_SPF"));
}

/// Today's DNS about a years-old message: "does not exist" is info.
#[test]
fn old_messages_get_info_not_warn() {
    let tmp = tempfile::tempdir().unwrap();
    let (addr, _server) = dns_server::start("");
    let path = tmp.path().join("old.eml");
    let msg = message_at(
        1_262_304_000, // 2010-01-01
        "x@gone-since-2010.com",
        "x@gone-since-2010.com",
        "1@gone-since-2010.com",
        "Hi.\r\n",
    );
    std::fs::write(&path, msg).unwrap();
    let r = reports(&spamtrace(
        &[
            "trace",
            "--json",
            "--trusted",
            "93.184.216.0/24",
            "--dns-server",
            &addr.to_string(),
            path.to_str().unwrap(),
        ],
        tmp.path(),
    ));
    assert!(
        has(&r[0], "ENVELOPE_DOMAIN_NXDOMAIN", "info"),
        "{:#}",
        r[0]["findings"]
    );
    assert!(has(&r[0], "MSGID_DOMAIN_NXDOMAIN", "info"));
    let f = r[0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "ENVELOPE_DOMAIN_NXDOMAIN")
        .unwrap();
    assert!(f["evidence"]["message_age_days"].as_i64().unwrap() > 365 * 5);
}

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus");

/// The real mail of /work/shared/corpus with bodies (DKIM) against a server
/// that knows no name: no panic, the budget holds, and these checks never
/// make a ham message forged.
#[test]
fn corpus_with_nxdomain_everywhere_never_makes_ham_forged() {
    use spamtrace::chain::TraceOptions;
    use spamtrace::enrich::dns::{DnsClient, DnsEnricher, DnsOptions, LiveConfig};
    use spamtrace::enrich::Enricher;
    use spamtrace::input::reader::MessageReader;
    use spamtrace::input::InputOptions;
    use spamtrace::model::Severity;
    use std::collections::BTreeMap;
    let corpus = std::path::Path::new(CORPUS);
    let Ok(manifest) = std::fs::read_to_string(corpus.join("MANIFEST.tsv")) else {
        eprintln!("skip: {CORPUS} is absent");
        return;
    };
    // Every third file, from the second: other files than tests/dns_corpus.rs.
    let files: Vec<(&str, bool)> = manifest
        .lines()
        .skip(2)
        .step_by(3)
        .filter_map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            Some((*cols.first()?, cols.get(2) == Some(&"ham")))
        })
        .collect();
    let (addr, server) = dns_server::start("");
    let client = DnsClient::live(&LiveConfig {
        servers: vec![addr],
        timeout: std::time::Duration::from_secs(2),
        concurrency: 32,
    })
    .unwrap();
    let mut enricher = DnsEnricher::new(client, DnsOptions::default()).unwrap();
    let opts = TraceOptions {
        infer_trust: true,
        now: spamtrace::util::clock::unix_now(),
        ..TraceOptions::default()
    };
    let input = InputOptions {
        keep_body: true,
        max_body_bytes: spamtrace::enrich::dns::auth::DKIM_MAX_BODY,
        ..InputOptions::default()
    };
    let mine = [
        "MSGID_DOMAIN_NXDOMAIN",
        "ENVELOPE_DOMAIN_NXDOMAIN",
        "ENVELOPE_SPF",
        "DKIM_RESULT",
    ];
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let (mut checked, mut ham_checked, mut signed) = (0, 0, 0);
    for chunk in files.chunks(256) {
        let mut batch = Vec::new();
        let mut is_ham = Vec::new();
        for (rel, ham) in chunk {
            let Ok(bytes) = std::fs::read(corpus.join(rel)) else {
                continue;
            };
            for m in MessageReader::new(&bytes[..], rel, input.clone()).flatten() {
                batch.push(spamtrace::walk(m, &opts));
                is_ham.push(*ham);
            }
        }
        enricher.enrich(&mut batch);
        for (t, ham) in batch.into_iter().zip(is_ham) {
            let path = t.msg.source.path.clone();
            let r = spamtrace::build(t, &opts);
            let dns = r.dns.as_ref().expect("dns facts");
            assert!(
                dns.answers.len() <= spamtrace::enrich::dns::plan::MAX_QUESTIONS,
                "{path}"
            );
            signed += usize::from(!dns.auth.dkim.is_empty());
            checked += 1;
            for f in r
                .findings
                .iter()
                .filter(|f| mine.contains(&f.code.as_str()))
            {
                let key = format!(
                    "{} {} {}",
                    if ham { "ham" } else { "other" },
                    f.code,
                    f.severity.as_str()
                );
                *counts.entry(key).or_default() += 1;
                if ham {
                    assert_ne!(f.severity, Severity::Forged, "{path}: {f:?}");
                }
            }
            ham_checked += usize::from(ham);
        }
    }
    eprintln!(
        "{checked} messages ({ham_checked} ham, {signed} with DKIM verified), {} queries; {counts:#?}",
        server.queries()
    );
    assert!(checked > 0 && server.queries() > 0);
}
