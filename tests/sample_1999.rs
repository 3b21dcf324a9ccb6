//! Acceptance: the 1999 Berkeley sample (testdata/1999-berkeley.mbox).

use spamtrace::chain::trust::TrustConfig;
use spamtrace::chain::TraceOptions;
use spamtrace::input::{self, InputOptions};
use spamtrace::model::LinkStatus;
use spamtrace::model::Report;
use spamtrace::model::Severity;
use std::process::Command;

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/1999-berkeley.mbox");

fn trace(trusted: &[&str], infer: bool) -> Report {
    let mut trust = TrustConfig::default();
    for t in trusted {
        trust.add(t).unwrap();
    }
    let opts = TraceOptions {
        trust,
        infer_trust: infer,
        now: 1_735_689_600,
        ..Default::default()
    };
    let mut msgs = input::open(SAMPLE, &InputOptions::default());
    let msg = msgs.next().expect("one message").expect("readable");
    assert!(msgs.next().is_none());
    spamtrace::trace(&msg, &opts)
}

/// The facts the acceptance names, for any trust setting that reaches them.
fn assert_acceptance(r: &Report) {
    let rel = r.first_untrusted_relay.as_ref().expect("a relay");
    assert_eq!(rel.hop, 1);
    assert_eq!(rel.ip.unwrap().to_string(), "197.46.220.4");
    assert_eq!(rel.rdns.as_deref(), Some("mail.everfaster.com"));
    assert_eq!(rel.helo.as_deref(), Some("mail.everfaster.com"));
    assert!(rel
        .received_by
        .as_deref()
        .unwrap()
        .eq_ignore_ascii_case("cs2.CS.Berkeley.EDU"));
    assert_eq!(rel.received_at.as_deref(), Some("1999-09-04T23:55:04Z"));
    assert!(r.hops[0].trusted && r.hops[1].trusted && !r.hops[2].trusted);

    // The break: hop 2 is `by mail.everfaster.com`, hop 3 `by server.big-hello.com`.
    assert_eq!(r.hops[2].by.as_deref(), Some("mail.everfaster.com"));
    assert_eq!(r.hops[3].by.as_deref(), Some("server.big-hello.com"));
    let broken: Vec<_> = r
        .custody
        .iter()
        .filter(|l| l.status == LinkStatus::Broken)
        .collect();
    assert_eq!(broken.len(), 1, "{:#?}", r.custody);
    assert_eq!((broken[0].upper, broken[0].lower), (2, 3));
    let cb = r
        .findings
        .iter()
        .find(|f| f.code == "CHAIN_BREAK")
        .expect("CHAIN_BREAK");
    assert_eq!(cb.hop, Some(3));
    // Below a sender that lied about its name: the spamware pattern.
    assert_eq!(cb.severity, Severity::Forged);
    assert_eq!(cb.evidence["lower_by"], "server.big-hello.com");

    let o = r.probable_origin.as_ref().expect("an origin");
    assert_eq!(o.hop, 2);
    assert_eq!(o.ip.unwrap().to_string(), "217.6.1.7");
    assert_eq!(o.helo.as_deref(), Some("gate.hypermoon.com"));
    assert_eq!(o.rdns.as_deref(), Some("pool37.qs4w.longlink.net"));
    assert_eq!(o.confidence.as_str(), "medium");
    assert!(r
        .findings
        .iter()
        .any(|f| f.code == "HELO_RDNS_MISMATCH" && f.hop == Some(2)));
    assert!(r.verdict.contains("197.46.220.4"), "{}", r.verdict);
    assert!(r.verdict.contains("217.6.1.7"), "{}", r.verdict);
}

#[test]
fn with_trusted_network() {
    let r = trace(&["169.229.0.0/16"], true);
    assert_acceptance(&r);
    assert!(!r.has("TRUST_INFERRED"));
    assert!(r.trust_steps[0].reason.contains("trusted network"));
}

#[test]
fn without_trusted_the_inference_is_explained() {
    let r = trace(&[], true);
    assert_acceptance(&r);
    let f = r
        .findings
        .iter()
        .find(|f| f.code == "TRUST_INFERRED")
        .expect("the inference is reported");
    assert_eq!(f.severity, Severity::Info);
    assert!(r.trust_steps[0].reason.contains("berkeley.edu"));
}

#[test]
fn without_inference_the_boundary_is_hop_0() {
    let r = trace(&[], false);
    let rel = r.first_untrusted_relay.as_ref().unwrap();
    assert_eq!(rel.hop, 0);
    assert_eq!(rel.ip.unwrap().to_string(), "169.229.60.56");
    // The chain below is still checked and the break still found.
    assert_eq!(
        r.findings
            .iter()
            .filter(|f| f.code == "CHAIN_BREAK")
            .count(),
        1
    );
}

#[test]
fn binary_json_and_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "trusted = [\"169.229.0.0/16\"]\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_spamtrace"))
        .args([
            "trace",
            "--offline",
            "--json",
            "--config",
            config.to_str().unwrap(),
            SAMPLE,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // An mbox, even of one message, gives an array (docs/report-format.md).
    let v = &v.as_array().expect("an array for an mbox")[0];
    assert_eq!(v["schema"], "spamtrace/1");
    assert_eq!(v["first_untrusted_relay"]["ip"], "197.46.220.4");
    assert_eq!(
        v["first_untrusted_relay"]["received_at"],
        "1999-09-04T23:55:04Z"
    );
    assert_eq!(v["probable_origin"]["ip"], "217.6.1.7");
    assert_eq!(v["probable_origin"]["confidence"], "medium");
    assert_eq!(v["hops"][0]["index"], 0);
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"CHAIN_BREAK") && !codes.contains(&"TRUST_INFERRED"));
}
