//! Contacts for what a message advertises (issue 17 item 5): the sites'
//! hosting desks through a DNS server on 127.0.0.1 (tests/support), their
//! registrars over RDAP for domains from a local HTTP server
//! (tests/abuse_support/http.rs) with a fixture bootstrap, and the
//! complaints `complain --sites` writes to those desks. No other network.

mod abuse_support;
mod support;

use abuse_support::http::serve;
use mail_auth::report::{Feedback, FeedbackType};
use serde_json::Value;
use spamtrace::enrich::abuse::rdap::{Rdap, RdapConfig};
use std::process::{Command, Output};
use support::dns_server;

fn fixture(name: &str) -> String {
    format!("{}/testdata/reported/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// The phish (21) and the spam (23) sites' addresses, their networks'
/// abuse contacts, and a shortener whose network must never be asked.
const ZONE: &str = "\
xn--pypal-4ve.com. A 185.234.72.19
billing.resolve-case.example. A 185.234.72.19
19.72.234.185.abuse-contacts.abusix.zone. TXT \"abuse@hostkey-fixture.net\"
www.cheap-meds-online.example. A 91.215.85.7
img.cheap-meds-online.example. A 91.215.85.7
img.cheap-meds-online.example. AAAA 2a0d:5600:21:1::7
7.85.215.91.abuse-contacts.abusix.zone. TXT \"abuse@bulletproof-fixture.net\"
bit.ly. A 67.199.248.10
xn--pypal-4ve.com.dbl.spamhaus.org. A 127.0.1.4
10.248.199.67.abuse-contacts.abusix.zone. TXT \"abuse@bitly-fixture.net\"
";

/// A registry record: the registrar entity with its abuse entity, and the
/// registry's own abuse entity at the top level (not the registrar's).
const RECORD_PYPAL: &str = r#"{
  "objectClassName": "domain", "ldhName": "XN--PYPAL-4VE.COM",
  "entities": [{
    "objectClassName": "entity", "roles": ["registrar"],
    "vcardArray": ["vcard", [["version", {}, "text", "4.0"], ["fn", {}, "text", "Fixture Registrar One, LLC"]]],
    "entities": [{
      "objectClassName": "entity", "roles": ["abuse"],
      "vcardArray": ["vcard", [["version", {}, "text", "4.0"], ["fn", {}, "text", "Abuse Contact"],
        ["email", {}, "text", "abuse@registrar-one.net"]]]
    }]
  }, {
    "objectClassName": "entity", "roles": ["abuse"],
    "vcardArray": ["vcard", [["email", {}, "text", "abuse@registry-operator.net"]]]
  }]
}"#;

/// A thin registry record: the registrar named, its abuse address only in
/// the registrar's own record (the `related` link).
const RECORD_RESOLVE_THIN: &str = r#"{
  "objectClassName": "domain", "ldhName": "resolve-case.example",
  "entities": [{"roles": ["registrar"], "vcardArray": ["vcard", [["fn", {}, "text", "Fixture Registrar Two"]]]}],
  "links": [{"rel": "related", "href": "{BASE}/registrar-two/domain/resolve-case.example"}]
}"#;

const RECORD_RESOLVE_REGISTRAR: &str = r#"{
  "entities": [{"roles": ["registrar"], "entities": [{"roles": ["abuse"],
    "vcardArray": ["vcard", [["email", {}, "text", "abuse@registrar-two.net"]]]}]},
   {"roles": ["registrant"], "vcardArray": ["vcard", [["email", {}, "text", "DATA REDACTED"]]]}]
}"#;

const RECORD_MEDS: &str = r#"{
  "entities": [{"roles": ["registrar"], "vcardArray": ["vcard", [["fn", {}, "text", "Fixture Registrar One, LLC"]]],
    "entities": [{"roles": ["abuse"], "vcardArray": ["vcard", [["email", {}, "text", "abuse@registrar-one.net"]]]}]}]
}"#;

fn rdap_routes() -> Vec<(String, String)> {
    vec![
        (
            "/bootstrap/ipv4.json".into(),
            r#"{"version":"1.0","services":[]}"#.into(),
        ),
        (
            "/bootstrap/ipv6.json".into(),
            r#"{"version":"1.0","services":[]}"#.into(),
        ),
        (
            "/bootstrap/dns.json".into(),
            r#"{"version":"1.0","services":[
                [["com","net"],["{BASE}/verisign/"]],
                [["example"],["{BASE}/example-registry/"]]]}"#
                .into(),
        ),
        (
            "/verisign/domain/xn--pypal-4ve.com".into(),
            RECORD_PYPAL.into(),
        ),
        (
            "/example-registry/domain/resolve-case.example".into(),
            RECORD_RESOLVE_THIN.into(),
        ),
        (
            "/registrar-two/domain/resolve-case.example".into(),
            RECORD_RESOLVE_REGISTRAR.into(),
        ),
        (
            "/example-registry/domain/cheap-meds-online.example".into(),
            RECORD_MEDS.into(),
        ),
    ]
}

fn spamtrace(args: &[&str]) -> Output {
    let home = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_spamtrace"))
        .args(args)
        .env("XDG_CONFIG_HOME", home.path())
        .env("HOME", home.path())
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
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn registrar_over_rdap_for_domains() {
    let server = serve(rdap_routes());
    let cfg = RdapConfig {
        bootstrap_url: format!("{}/bootstrap/", server.base),
        allow_private: true,
        domains: true,
        ..RdapConfig::default()
    };
    let (one, two, none) = block_on(async {
        let rdap = Rdap::new(&cfg).await.expect("bootstrap");
        (
            rdap.lookup_domain("xn--pypal-4ve.com").await.unwrap(),
            rdap.lookup_domain("resolve-case.example").await.unwrap(),
            rdap.lookup_domain("unknown-name.example").await.unwrap(),
        )
    });
    let one = one.expect("a record");
    assert_eq!(one.name.as_deref(), Some("Fixture Registrar One, LLC"));
    // The registrar's abuse entity, never the registry's own.
    assert_eq!(one.emails, ["abuse@registrar-one.net"]);
    // A thin registry record: the registrar's own record, once.
    let two = two.expect("a record");
    assert_eq!(two.emails, ["abuse@registrar-two.net"]);
    assert_eq!(two.name.as_deref(), Some("Fixture Registrar Two"));
    assert!(none.is_none(), "a 404 is no record");
    let asked = server.requests.lock().unwrap().clone();
    assert!(
        asked.contains(&"/bootstrap/dns.json".to_string()),
        "{asked:?}"
    );

    // The domain bootstrap from a file instead of the folder.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dns.json");
    let boot = format!(
        r#"{{"version":"1.0","services":[[["com"],["{}/verisign/"]]]}}"#,
        server.base
    );
    std::fs::write(&file, boot).unwrap();
    let cfg = RdapConfig {
        dns_bootstrap: Some(file.display().to_string()),
        ..cfg
    };
    let got = block_on(async {
        let rdap = Rdap::new(&cfg).await.expect("bootstrap");
        rdap.lookup_domain("xn--pypal-4ve.com").await.unwrap()
    });
    assert_eq!(got.unwrap().emails, ["abuse@registrar-one.net"]);

    // --rdap-base: one server for domains too, no bootstrap read.
    let cfg = RdapConfig {
        bootstrap_url: "http://127.0.0.1:9/never-asked/".into(),
        base_url: Some(format!("{}/verisign/", server.base)),
        allow_private: true,
        domains: true,
        dns_bootstrap: None,
    };
    let got = block_on(async {
        let rdap = Rdap::new(&cfg).await.expect("no bootstrap needed");
        rdap.lookup_domain("xn--pypal-4ve.com").await.unwrap()
    });
    assert_eq!(got.unwrap().emails, ["abuse@registrar-one.net"]);
}

fn sites(report: &Value) -> &Vec<Value> {
    report["site_contacts"]["sites"]
        .as_array()
        .unwrap_or_else(|| panic!("no site_contacts: {report:#}"))
}

fn site<'a>(report: &'a Value, host: &str) -> &'a Value {
    sites(report)
        .iter()
        .find(|s| s["host"] == host)
        .unwrap_or_else(|| panic!("no site {host}: {report:#}"))
}

fn addresses(site: &Value, scope: &str) -> Vec<String> {
    site["contacts"]
        .as_array()
        .map(|v| {
            v.iter()
                .filter(|c| c["scope"] == scope)
                .map(|c| c["address"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn trace_site_contacts_hosting_and_registrar_never_a_shortener() {
    let (addr, dns) = dns_server::start(ZONE);
    let rdap = serve(rdap_routes());
    let boot = format!("{}/bootstrap/", rdap.base);
    let addr = addr.to_string();
    let out = ok(&spamtrace(&[
        "trace",
        "--json",
        "--site-contacts",
        "--dns-server",
        &addr,
        "--dns-timeout",
        "2",
        "--rdap-bootstrap",
        &boot,
        "--rdap-allow-private",
        &fixture("23-spam-sites.eml"),
    ]));
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["site_contacts"]["looked_up"], true);
    let www = site(&r, "www.cheap-meds-online.example");
    assert_eq!(addresses(www, "hosting"), ["abuse@bulletproof-fixture.net"]);
    assert_eq!(addresses(www, "registrar"), ["abuse@registrar-one.net"]);
    assert_eq!(www["addresses"][0], "91.215.85.7");
    for c in www["contacts"].as_array().unwrap() {
        assert_eq!(c["role"], "advertised_site");
    }
    let img = site(&r, "img.cheap-meds-online.example");
    assert_eq!(img["addresses"].as_array().unwrap().len(), 2, "{img:#}");
    // The shortener: listed, said so, no contact, its network never asked.
    let short = site(&r, "bit.ly");
    assert_eq!(short["kind"], "shortener");
    assert!(short["contacts"].is_null(), "{short:#}");
    assert!(short["note"].as_str().unwrap().contains("shortener"));
    // The recipient's own domain: never.
    assert_eq!(site(&r, "help.example-corp.com")["kind"], "own");
    let asked = dns.questions();
    assert!(
        !asked
            .iter()
            .any(|q| q.contains("bit.ly") || q.contains("67.199.248")),
        "{asked:?}"
    );
    // The relay contacts are apart and unchanged in shape.
    for c in r["abuse_contacts"].as_array().unwrap() {
        assert_ne!(c["role"], "advertised_site");
    }
    // The answers the site contacts rest on are evidence, for --dns-replay.
    let answers = r["dns"]["answers"].as_array().unwrap();
    assert!(answers
        .iter()
        .any(|a| a["name"] == "www.cheap-meds-online.example"));
    // Replayed from the report: the same hosting contacts, no network;
    // a replay asks no registry unless --rdap.
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("report.json");
    std::fs::write(&saved, &out).unwrap();
    dns.stop();
    let replayed = ok(&spamtrace(&[
        "trace",
        "--json",
        "--site-contacts",
        "--dns-replay",
        saved.to_str().unwrap(),
        &fixture("23-spam-sites.eml"),
    ]));
    let again: Value = serde_json::from_str(&replayed).unwrap();
    let www2 = site(&again, "www.cheap-meds-online.example");
    assert_eq!(
        addresses(www2, "hosting"),
        ["abuse@bulletproof-fixture.net"]
    );
    assert!(addresses(www2, "registrar").is_empty());
    assert!(again["site_contacts"]["notes"][0]
        .as_str()
        .unwrap()
        .contains("registrars not asked"));
    let (addr2, _dns2) = dns_server::start(ZONE);
    let addr = addr2.to_string();
    // The table says the same, defanged.
    let table = ok(&spamtrace(&[
        "trace",
        "--site-contacts",
        "--color",
        "never",
        "--dns-server",
        &addr,
        "--rdap-bootstrap",
        &boot,
        "--rdap-allow-private",
        &fixture("23-spam-sites.eml"),
    ]));
    assert!(
        table.contains(
            "www[.]cheap-meds-online[.]example: report to hosting abuse@bulletproof-fixture.net"
        ),
        "{table}"
    );
    assert!(table.contains("bit[.]ly (shortener)"), "{table}");
    let asked_rdap = rdap.requests.lock().unwrap().clone();
    assert_eq!(
        asked_rdap
            .iter()
            .filter(|p| p.ends_with("/domain/cheap-meds-online.example"))
            .count(),
        2,
        "one registrar question per domain and run (two runs): {asked_rdap:?}"
    );
}

#[test]
fn offline_lists_the_sites_and_says_nothing_was_looked_up() {
    let out = ok(&spamtrace(&[
        "trace",
        "--json",
        "--offline",
        "--site-contacts",
        &fixture("23-spam-sites.eml"),
    ]));
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["site_contacts"]["looked_up"], false);
    assert!(r["site_contacts"]["notes"][0]
        .as_str()
        .unwrap()
        .contains("not looked up"));
    assert!(sites(&r).iter().all(|s| s["contacts"].is_null()));
    // The HTML page lists them too, defanged.
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("r.html");
    ok(&spamtrace(&[
        "trace",
        "--offline",
        "--site-contacts",
        "--html",
        page.to_str().unwrap(),
        &fixture("23-spam-sites.eml"),
    ]));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains("<h2 id=\"m0-sites\">Advertised sites</h2>"),
        "{html}"
    );
    assert!(
        html.contains("<code>bit[.]ly</code></td><td>shortener</td>"),
        "{html}"
    );
    // Not asked: not there.
    let out = ok(&spamtrace(&[
        "trace",
        "--json",
        "--offline",
        &fixture("23-spam-sites.eml"),
    ]));
    let r: Value = serde_json::from_str(&out).unwrap();
    assert!(r.get("site_contacts").is_none());
}

/// `complain --sites` into a folder: the files and their texts.
fn complain_sites(fixture_name: &str, extra: &[&str]) -> (Vec<Vec<u8>>, String) {
    let (addr, _dns) = dns_server::start(ZONE);
    let rdap = serve(rdap_routes());
    let boot = format!("{}/bootstrap/", rdap.base);
    let addr = addr.to_string();
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let o = out_dir.display().to_string();
    let f = fixture(fixture_name);
    let args = [
        &[
            "complain",
            "--sites",
            "--reporter",
            "soc@example-corp.com",
            "--now",
            "1764580000",
            "--dns-server",
            &addr,
            "--dns-timeout",
            "2",
            "--rdap-bootstrap",
            &boot,
            "--rdap-allow-private",
            "--out",
            &o,
        ][..],
        extra,
        &[f.as_str()][..],
    ]
    .concat();
    let out = spamtrace(&args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{err}");
    let mut names: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .collect();
    names.sort();
    (
        names.iter().map(|n| std::fs::read(n).unwrap()).collect(),
        err,
    )
}

#[test]
fn complain_sites_writes_hosting_and_registrar_complaints_defanged() {
    let (files, err) = complain_sites("21-phish-homograph.eml", &["--uribl", "dbl.spamhaus.org"]);
    let texts: Vec<String> = files
        .iter()
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect();
    let to = |t: &str| {
        t.lines()
            .find(|l| l.starts_with("To: "))
            .unwrap_or("")
            .to_string()
    };
    let find = |addr: &str| {
        texts
            .iter()
            .find(|t| to(t) == format!("To: {addr}"))
            .unwrap_or_else(|| panic!("no complaint to {addr}: {err}\n{texts:#?}"))
    };
    // One hosting desk for both sites (same address), one per registrar.
    let hosting = find("abuse@hostkey-fixture.net");
    assert!(
        hosting.contains("Subject: Phishing site impersonating PayPal hosted on your network"),
        "{hosting}"
    );
    assert!(
        hosting.contains("hxxps://xn--pypal-4ve[.]com/resolution/cancel"),
        "{hosting}"
    );
    assert!(
        hosting.contains("billing[.]resolve-case[.]example"),
        "{hosting}"
    );
    assert!(hosting.contains("Address:      185.234.72.19"), "{hosting}");
    assert!(
        hosting.contains("First seen: 2026-12-01T07:44:17Z (UTC)"),
        "{hosting}"
    );
    assert!(hosting.contains("URL_HOMOGRAPH"), "{hosting}");
    assert!(hosting.contains("URL_TEXT_MISMATCH"), "{hosting}");
    // The blocklist's listing, for the one site it lists.
    assert!(
        hosting.contains("URIBL_LISTED: the linked domain xn--pypal-4ve[.]com is listed by dbl[.]spamhaus[.]org (phish domain)"),
        "{hosting}"
    );
    assert!(hosting.contains("It impersonates PayPal"), "{hosting}");
    // The human text never carries a live link to the site.
    let human = hosting
        .split("----- Original message headers")
        .next()
        .unwrap();
    assert!(!human.contains("https://xn--pypal"), "{human}");
    assert!(!human.contains("resolve-case.example/"), "{human}");
    let reg1 = find("abuse@registrar-one.net");
    assert!(reg1.contains("registered through you"), "{reg1}");
    assert!(reg1.contains("xn--pypal-4ve[.]com"), "{reg1}");
    assert!(
        !reg1.contains("resolve-case[.]example/"),
        "one desk, its own sites: {reg1}"
    );
    find("abuse@registrar-two.net");
    // Never the registry's own abuse address, never the relay's desk twice.
    assert!(!texts
        .iter()
        .any(|t| t.contains("To: abuse@registry-operator.net")));
}

/// The human-readable part of an ARF report, decoded.
fn human_part(b: &[u8]) -> String {
    let m = mail_parser::MessageParser::default()
        .parse(b)
        .expect("a message");
    m.body_text(0).expect("a text part").into_owned()
}

#[test]
fn arf_is_fraud_for_a_phish_and_abuse_for_spam() {
    let (files, _) = complain_sites("21-phish-homograph.eml", &["--arf"]);
    let site_reports: Vec<Vec<u8>> = files
        .into_iter()
        .filter(|b| String::from_utf8_lossy(b).contains("Phishing site"))
        .collect();
    assert_eq!(site_reports.len(), 3, "hosting + two registrars");
    for b in &site_reports {
        let fb = Feedback::parse_rfc5322(b).expect("ARF parses");
        assert_eq!(fb.feedback_type(), FeedbackType::Fraud);
        let text = String::from_utf8_lossy(b);
        // The human part names the brand; the original is attached whole,
        // its URLs exact.
        let human = human_part(b);
        assert!(human.contains("It impersonates PayPal"), "{human}");
        assert!(human.contains("hxxps://"), "{human}");
        assert!(!human.contains("https://"), "{human}");
        assert!(text.contains("Content-Type: message/"), "{text}");
        assert!(
            fb.reported_uri().iter().any(|u| u.starts_with("https://")),
            "{text}"
        );
    }

    let (files, _) = complain_sites("23-spam-sites.eml", &["--arf"]);
    let spam: Vec<Vec<u8>> = files
        .into_iter()
        .filter(|b| String::from_utf8_lossy(b).contains("Spam-advertised site"))
        .collect();
    assert_eq!(spam.len(), 2, "the hosting desk and the registrar");
    for b in &spam {
        let fb = Feedback::parse_rfc5322(b).expect("ARF parses");
        assert_eq!(fb.feedback_type(), FeedbackType::Abuse);
        assert!(fb
            .reported_domain()
            .iter()
            .any(|d| d == "cheap-meds-online.example"));
        let human = human_part(b);
        assert!(!human.contains("bitly-fixture"), "{human}");
        assert!(!human.contains("impersonates"), "{human}");
        assert!(human.contains("unsolicited bulk mail"), "{human}");
    }
}

#[test]
fn sites_with_digest_and_dry_run_queue_the_desks_too() {
    let (addr, _dns) = dns_server::start(ZONE);
    let rdap = serve(rdap_routes());
    let boot = format!("{}/bootstrap/", rdap.base);
    let addr = addr.to_string();
    let out = spamtrace(&[
        "complain",
        "--sites",
        "--digest",
        "--send",
        "--dry-run",
        "--to",
        "abuse@relay-desk.example",
        "--dns-server",
        &addr,
        "--rdap-bootstrap",
        &boot,
        "--rdap-allow-private",
        &fixture("23-spam-sites.eml"),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    // The relay's digest to --to, and the two site desks to themselves.
    for to in [
        "to abuse@relay-desk.example",
        "to abuse@bulletproof-fixture.net",
        "to abuse@registrar-one.net",
    ] {
        assert!(err.contains(to), "{to}: {err}");
    }
    assert!(
        err.contains("2 complaints to the advertised sites"),
        "{err}"
    );
    assert!(!err.contains("bitly-fixture"), "{err}");
}

#[test]
fn the_per_message_cap_on_sites_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.eml");
    let links: String = (0..14)
        .map(|i| format!("http://shop{i}.many-sites{i}.example/p\n"))
        .collect();
    let msg = format!(
        "Received: from relay.example.net (relay.example.net [93.184.77.42])\n\tby mx.example-corp.com with ESMTP id 1; Tue, 01 Dec 2026 10:00:00 +0000\nFrom: deals@many.example\nTo: erin@example-corp.com\nSubject: offers\nDate: Tue, 01 Dec 2026 09:59:58 +0000\nMessage-ID: <many.1@many.example>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\nhttps://t.co/abc\n{links}"
    );
    std::fs::write(&path, msg).unwrap();
    let out = ok(&spamtrace(&[
        "trace",
        "--json",
        "--offline",
        "--site-contacts",
        path.to_str().unwrap(),
    ]));
    let r: Value = serde_json::from_str(&out).unwrap();
    let all = sites(&r);
    assert_eq!(r["site_contacts"]["limit"], 10, "{r:#}");
    assert_eq!(all.iter().filter(|s| s["kind"] == "site").count(), 10);
    // The shortener is listed beside the capped sites, as a shortener.
    assert_eq!(site(&r, "t.co")["kind"], "shortener");
    assert!(!all
        .iter()
        .any(|s| s["host"] == "shop13.many-sites13.example"));
}
