//! Shared by the abuse and complaint tests: a fixture DNS zone behind the
//! `DnsLookup` trait, and the 1999 sample traced with Berkeley trusted.
#![allow(dead_code)]

pub mod http;

use spamtrace::enrich::abuse;

use spamtrace::chain::trust::TrustConfig;
use spamtrace::chain::TraceOptions;
use spamtrace::enrich::abuse::{DnsAnswer, DnsLookup, RecordType};
use spamtrace::input::{self, InputOptions, RawMessage};
use spamtrace::model::Report;
use std::collections::HashMap;

/// An in-memory zone: names absent are NXDOMAIN, a name present without the
/// asked type is NODATA, names listed in `failing` SERVFAIL.
#[derive(Default)]
pub struct FixtureDns {
    pub records: HashMap<(String, RecordType), Vec<String>>,
    pub failing: Vec<String>,
    pub asked: std::cell::RefCell<Vec<(String, RecordType)>>,
}

impl FixtureDns {
    pub fn add(&mut self, name: &str, t: RecordType, value: &str) -> &mut Self {
        let key = (name.trim_end_matches('.').to_ascii_lowercase(), t);
        self.records.entry(key).or_default().push(value.to_string());
        self
    }
}

impl DnsLookup for FixtureDns {
    fn lookup(&self, name: &str, t: RecordType) -> DnsAnswer {
        let n = name.trim_end_matches('.').to_ascii_lowercase();
        self.asked.borrow_mut().push((n.clone(), t));
        if self.failing.contains(&n) {
            return DnsAnswer::Failed("SERVFAIL".into());
        }
        match self.records.get(&(n.clone(), t)) {
            Some(r) => DnsAnswer::Records(r.clone()),
            None if self.records.keys().any(|(k, _)| *k == n) => DnsAnswer::NoRecords,
            None => DnsAnswer::NxDomain,
        }
    }
}

/// The fixture zone for the 1999 sample, plus MX records for every
/// innocent domain the message names, so that leaving them out is a rule
/// at work and not a missing record.
pub fn zone_1999() -> FixtureDns {
    let mut z = FixtureDns::default();
    z.add(
        "4.220.46.197.in-addr.arpa",
        RecordType::Ptr,
        "mail.everfaster.com.",
    )
    .add("mail.everfaster.com", RecordType::A, "197.46.220.4")
    .add("everfaster.com", RecordType::Mx, "10 mx.everfaster.com.")
    .add(
        "7.1.6.217.in-addr.arpa",
        RecordType::Ptr,
        "pool37.qs4w.longlink.net.",
    )
    .add("longlink.net", RecordType::Mx, "10 mail.longlink.net.")
    .add(
        "4.220.46.197.abuse-contacts.abusix.zone",
        RecordType::Txt,
        "abuse@transit-noc.net",
    )
    // Innocents: all take mail, and the HELO even forward-confirms.
    .add("gate.hypermoon.com", RecordType::A, "217.6.1.7")
    .add("hypermoon.com", RecordType::Mx, "10 mx.hypermoon.com.")
    .add("hotmail.com", RecordType::Mx, "10 mx.hotmail.com.")
    .add("hotdogcity.com", RecordType::Mx, "10 mx.hotdogcity.com.")
    .add("big-hello.com", RecordType::Mx, "10 mx.big-hello.com.")
    .add("aol.com", RecordType::Mx, "10 mx.aol.com.")
    .add("berkeley.edu", RecordType::Mx, "10 mx.berkeley.edu.")
    .add(
        "16.9.88.221.in-addr.arpa",
        RecordType::Ptr,
        "fritz.hotdogcity.com.",
    )
    .add("fritz.hotdogcity.com", RecordType::A, "221.88.9.16");
    z
}

pub fn sample_path() -> String {
    format!("{}/testdata/1999-berkeley.mbox", env!("CARGO_MANIFEST_DIR"))
}

pub fn read_message(path: &str, keep_body: bool) -> RawMessage {
    let opts = InputOptions {
        keep_body,
        ..InputOptions::default()
    };
    input::open(path, &opts)
        .next()
        .expect("one message")
        .expect("readable")
}

pub fn berkeley() -> TrustConfig {
    let mut t = TrustConfig::default();
    t.add("169.229.0.0/16").unwrap();
    t
}

/// A fixed analysis time, so reports are reproducible.
pub const NOW: i64 = 1_700_000_000;

/// The settings every helper here traces with.
pub fn opts(trust: &TrustConfig) -> TraceOptions {
    TraceOptions {
        trust: trust.clone(),
        infer_trust: true,
        now: NOW,
        ..Default::default()
    }
}

pub fn trace(msg: &RawMessage, trust: &TrustConfig) -> Report {
    spamtrace::trace(msg, &opts(trust))
}

/// `msg` parsed and its chain walked (no enrichment yet), as [`trace`] does.
pub fn walk(msg: &RawMessage, trust: &TrustConfig) -> spamtrace::Traced {
    spamtrace::walk(msg.clone(), &opts(trust))
}

/// The contacts of a traced message, found through `dns` (and RDAP): the
/// message is walked again with the same settings, the contacts attached
/// in the enrich stage's place, and `report` rebuilt. Returns the warnings.
pub fn attach_contacts(
    report: &mut Report,
    msg: &RawMessage,
    trust: &TrustConfig,
    dns: &dyn abuse::DnsLookup,
    cfg: &abuse::facts::AbuseConfig,
    rdap: Option<&abuse::rdap::RdapConfig>,
) -> Vec<String> {
    let opts = opts(trust);
    let mut traced = spamtrace::walk(msg.clone(), &opts);
    let warnings = abuse::attach(&mut traced, trust, dns, cfg, rdap);
    *report = spamtrace::build(traced, &opts);
    warnings
}

/// The 1999 sample traced, with contacts from the fixture zone.
pub fn report_1999(keep_body: bool) -> (RawMessage, Report) {
    let msg = read_message(&sample_path(), keep_body);
    let trust = berkeley();
    let mut report = trace(&msg, &trust);
    let warnings = attach_contacts(
        &mut report,
        &msg,
        &trust,
        &zone_1999(),
        &abuse::facts::AbuseConfig::default(),
        None,
    );
    assert!(warnings.is_empty(), "{warnings:?}");
    (msg, report)
}

/// A message from raw text (LF line ends allowed), traced with `trust`.
pub fn message_from(text: &[u8]) -> RawMessage {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut f, text).unwrap();
    let path = f.path().display().to_string();
    let m = read_message(&path, true);
    drop(f);
    m
}
