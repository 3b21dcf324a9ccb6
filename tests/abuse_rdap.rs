//! The RDAP client against a local HTTP server on 127.0.0.1 serving a
//! bootstrap and fixture RDAP records: nothing leaves the machine.

mod abuse_support;

use abuse_support::http::*;
use abuse_support::*;
use spamtrace::enrich::abuse;
use spamtrace::enrich::abuse::facts::AbuseConfig;
use spamtrace::enrich::abuse::rdap::{Rdap, RdapConfig};

fn local(server: &Server) -> RdapConfig {
    RdapConfig {
        bootstrap_url: format!("{}/bootstrap/", server.base),
        base_url: None,
        allow_private: true,
        ..RdapConfig::default()
    }
}

#[tokio::test]
async fn bootstrap_then_record_gives_the_preferred_abuse_address() {
    let server = serve(bootstrap_routes());
    let rdap = Rdap::new(&local(&server)).await.unwrap();
    let facts = rdap
        .lookup("197.46.220.4".parse().unwrap())
        .await
        .unwrap()
        .expect("a record");
    assert_eq!(
        facts.emails,
        ["abuse@everfaster-net.org", "helpdesk@everfaster-net.org"]
    );
    assert_eq!(facts.server, server.base.trim_start_matches("http://"));
    let reqs = server.requests.lock().unwrap().clone();
    assert!(
        reqs.contains(&"/afrinic/ip/197.46.220.4".to_string()),
        "{reqs:?}"
    );
}

#[tokio::test]
async fn no_record_is_no_contact_and_no_server_is_an_error() {
    let server = serve(bootstrap_routes());
    let rdap = Rdap::new(&local(&server)).await.unwrap();
    // The bootstrap names a server, which answers 404.
    assert_eq!(rdap.lookup("8.7.6.5".parse().unwrap()).await.unwrap(), None);
    // No service in the bootstrap covers this address.
    assert!(rdap.lookup("217.6.1.7".parse().unwrap()).await.is_err());
    // Private addresses are never asked about.
    assert!(rdap.lookup("10.0.0.1".parse().unwrap()).await.is_err());
}

#[tokio::test]
async fn base_url_replaces_the_bootstrap() {
    let server = serve(bootstrap_routes());
    let cfg = RdapConfig {
        bootstrap_url: "http://127.0.0.1:9/never-asked/".into(),
        base_url: Some(format!("{}/afrinic/", server.base)),
        allow_private: true,
        ..RdapConfig::default()
    };
    let rdap = Rdap::new(&cfg).await.unwrap();
    let facts = rdap.lookup("197.46.220.4".parse().unwrap()).await.unwrap();
    assert!(facts.is_some());
    let reqs = server.requests.lock().unwrap().clone();
    assert_eq!(reqs, ["/afrinic/ip/197.46.220.4"]);
}

#[tokio::test]
async fn a_local_server_is_refused_unless_allowed() {
    let server = serve(bootstrap_routes());
    let cfg = RdapConfig {
        allow_private: false,
        ..local(&server)
    };
    let rdap = Rdap::new(&cfg).await.unwrap();
    let err = rdap
        .lookup("197.46.220.4".parse().unwrap())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("197.46.220.4"), "{err}");
    let reqs = server.requests.lock().unwrap().clone();
    assert!(!reqs.iter().any(|r| r.starts_with("/afrinic/")), "{reqs:?}");
}

#[test]
fn complain_flow_adds_the_registry_contact_and_drops_hostile_addresses() {
    let server = serve(bootstrap_routes());
    let (msg, _) = report_1999(false);
    let trust = berkeley();
    let mut report = trace(&msg, &trust);
    let warnings = attach_contacts(
        &mut report,
        &msg,
        &trust,
        &zone_1999(),
        &AbuseConfig::default(),
        Some(&local(&server)),
    );
    // 217.6.1.7 (the origin) has no RDAP service in this bootstrap.
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let c = report
        .abuse_contacts
        .iter()
        .find(|c| c.address == "abuse@everfaster-net.org")
        .expect("the registry's contact");
    assert_eq!((c.source.as_str(), c.scope.as_str()), ("rdap", "network"));
    assert_eq!(c.confidence, "confirmed");

    // A relay in a network whose record carries hostile addresses.
    let text = b"Received: from x.example (x.example [8.8.4.4]) by mx.ours.org with ESMTP id 1; Sat, 4 Sep 1999 16:55:04 -0700\nFrom: a@b.example\nSubject: x\n\nbody\n";
    let msg = message_from(text);
    let mut trust = spamtrace::chain::trust::TrustConfig::default();
    trust.add("mx.ours.org").unwrap();
    let mut report = trace(&msg, &trust);
    attach_contacts(
        &mut report,
        &msg,
        &trust,
        &abuse::NoDns,
        &AbuseConfig::default(),
        Some(&local(&server)),
    );
    let got: Vec<&str> = report
        .abuse_contacts
        .iter()
        .map(|c| c.address.as_str())
        .collect();
    assert_eq!(got, ["noc@good-net.org"]);
}

/// abuse-contact 0.4's `EmailAddress` accepts a value with a comma (two
/// recipients in a To: header, one of them a local user); only our address
/// check stops it.
#[tokio::test]
async fn the_crate_passes_a_two_address_value_which_our_check_drops() {
    let server = serve(bootstrap_routes());
    let rdap = Rdap::new(&local(&server)).await.unwrap();
    let facts = rdap
        .lookup("8.8.4.4".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(
        facts.emails.iter().any(|e| e == "root,abuse@net.example"),
        "{:?}",
        facts.emails
    );
    assert!(!facts.emails.iter().any(|e| e.contains("REDACTED")));
    assert!(!spamtrace::enrich::abuse::address::is_safe(
        "root,abuse@net.example"
    ));
}
