//! The contact rules: the 1999 sample against a fixture zone (the issue's
//! acceptance case), and each rule of item 1 on facts fed directly.

mod abuse_support;

use abuse_support::*;
use spamtrace::enrich::abuse;
use spamtrace::enrich::abuse::facts;
use spamtrace::enrich::abuse::facts::AbuseConfig;
use spamtrace::enrich::abuse::{
    contacts, Exclusions, HopFacts, MailTarget, NameFacts, NameOrigin, RdapFacts, RecordType, Role,
};
use spamtrace::model::AbuseContact;

fn find<'a>(cs: &'a [AbuseContact], addr: &str) -> Option<&'a AbuseContact> {
    cs.iter().find(|c| c.address == addr)
}

#[test]
fn sample_1999_contacts_from_the_fixture_zone() {
    let (_, report) = report_1999(false);
    let cs = &report.abuse_contacts;

    let relay = find(cs, "abuse@everfaster.com").expect("relay operator contact");
    assert_eq!(relay.scope, "relay_operator");
    assert_eq!(relay.confidence, "confirmed");
    assert_eq!(relay.role, "first_untrusted_relay");
    assert_eq!(relay.source, "rfc2142");
    assert_eq!(relay.for_ip.as_deref(), Some("197.46.220.4"));

    // RFC 5321's postmaster@ beside it: same domain, same confidence, a
    // scope and source of its own.
    let pm = find(cs, "postmaster@everfaster.com").expect("relay postmaster contact");
    assert_eq!(pm.scope, "relay_postmaster");
    assert_eq!(pm.source, "rfc5321");
    assert_eq!(pm.confidence, "confirmed");
    assert_eq!(pm.role, "first_untrusted_relay");
    assert_eq!(pm.for_ip.as_deref(), Some("197.46.220.4"));
    assert_eq!(pm.note, relay.note);

    let net = find(cs, "abuse@transit-noc.net").expect("network contact from the TXT");
    assert_eq!(net.scope, "network");
    assert_eq!(net.source, "abusix");
    assert_eq!(net.confidence, "confirmed");
    assert_eq!(net.role, "first_untrusted_relay");

    let origin = find(cs, "abuse@longlink.net").expect("probable origin contact");
    assert_eq!(origin.role, "probable_origin");
    assert_eq!(origin.for_ip.as_deref(), Some("217.6.1.7"));
    // pool37.qs4w.longlink.net has no A record in the zone: not confirmed.
    assert_eq!(origin.confidence, "guess");
    // postmaster@ only for the relay our server saw, not a claimed hop.
    assert!(find(cs, "postmaster@longlink.net").is_none(), "{cs:#?}");

    for innocent in [
        "hotmail.com",
        "hotdogcity.com",
        "big-hello.com",
        "hypermoon.com",
        "aol.com",
        "berkeley.edu",
    ] {
        assert!(
            !cs.iter()
                .any(|c| c.address.ends_with(&format!("@{innocent}"))),
            "a contact at {innocent}: {cs:#?}"
        );
    }
    assert_eq!(cs.len(), 4, "{cs:#?}");
}

#[test]
fn sample_1999_asks_no_question_about_the_forged_hops() {
    let msg = read_message(&sample_path(), false);
    let trust = berkeley();
    let report = trace(&msg, &trust);
    let zone = zone_1999();
    assert!(report.first_untrusted_relay.is_some());
    let _ = facts::gather(&walk(&msg, &trust), &trust, &zone, &AbuseConfig::default());
    let asked = zone.asked.borrow();
    assert!(!asked.is_empty());
    for (name, _) in asked.iter() {
        assert!(
            !name.contains("hotdogcity") && !name.contains("big-hello") && !name.contains("221.88"),
            "asked about a forged hop: {name}"
        );
    }
}

#[test]
fn abusix_zone_is_configurable() {
    let msg = read_message(&sample_path(), false);
    let trust = berkeley();
    let mut report = trace(&msg, &trust);
    let mut zone = zone_1999();
    zone.add(
        "4.220.46.197.contacts.example.net",
        spamtrace::enrich::abuse::RecordType::Txt,
        "noc@other-zone.net",
    );
    let cfg = AbuseConfig {
        abusix_zone: Some("contacts.example.net".into()),
    };
    attach_contacts(&mut report, &msg, &trust, &zone, &cfg, None);
    assert!(find(&report.abuse_contacts, "noc@other-zone.net").is_some());
    assert!(find(&report.abuse_contacts, "abuse@transit-noc.net").is_none());
}

fn name(n: &str, origin: NameOrigin, fc: bool, mail: MailTarget) -> NameFacts {
    NameFacts {
        name: n.into(),
        origin,
        forward_confirmed: fc,
        domain: spamtrace::util::domain::registrable(n),
        mail,
    }
}

fn hop(role: Role, ip: &str, names: Vec<NameFacts>) -> HopFacts {
    HopFacts {
        hop: 1,
        role,
        ip: Some(ip.parse().unwrap()),
        trusted: false,
        names,
        abusix: Some(vec!["abuse@net-owner.net".into()]),
        rdap: None,
    }
}

fn relay_name(mail: MailTarget) -> Vec<NameFacts> {
    vec![name("mx.relay.org", NameOrigin::Ptr, true, mail)]
}

#[test]
fn no_contact_for_trusted_private_or_reserved_hops() {
    let ex = Exclusions::default();
    let mut trusted = hop(
        Role::FirstUntrustedRelay,
        "8.8.4.4",
        relay_name(MailTarget::Mx),
    );
    trusted.trusted = true;
    assert!(contacts(&[trusted], &ex).is_empty());
    for ip in [
        "10.1.2.3",
        "192.168.1.1",
        "127.0.0.1",
        "192.0.2.7",
        "100.64.0.1",
        "fd00::1",
    ] {
        let h = hop(Role::FirstUntrustedRelay, ip, relay_name(MailTarget::Mx));
        assert!(contacts(&[h], &ex).is_empty(), "{ip}");
    }
    let h = hop(
        Role::FirstUntrustedRelay,
        "8.8.4.4",
        relay_name(MailTarget::Mx),
    );
    // The TXT's network contact, abuse@ and postmaster@ of relay.org.
    assert_eq!(contacts(&[h], &ex).len(), 3);
}

#[test]
fn rfc2142_only_where_the_domain_takes_mail() {
    let ex = Exclusions::default();
    let got = |mail| {
        let mut h = hop(Role::FirstUntrustedRelay, "8.8.4.4", relay_name(mail));
        h.abusix = None;
        contacts(&[h], &ex)
            .into_iter()
            .map(|c| c.address)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        got(MailTarget::Mx),
        ["abuse@relay.org", "postmaster@relay.org"]
    );
    assert_eq!(
        got(MailTarget::Address),
        ["abuse@relay.org", "postmaster@relay.org"]
    );
    assert!(got(MailTarget::NullMx).is_empty());
    assert!(got(MailTarget::NoMail).is_empty());
    assert!(got(MailTarget::Unknown).is_empty());
}

#[test]
fn unconfirmed_names_are_guesses_and_helo_counts_only_at_the_boundary() {
    let ex = Exclusions::default();
    let names = vec![
        name("a.fc-ptr.org", NameOrigin::Ptr, true, MailTarget::Mx),
        name(
            "b.not-fc.org",
            NameOrigin::RecordedByTrusted,
            false,
            MailTarget::Mx,
        ),
        name("c.helo.org", NameOrigin::Helo, true, MailTarget::Mx),
        name("d.claimed.org", NameOrigin::Claimed, true, MailTarget::Mx),
    ];
    let fur = contacts(
        &[hop(Role::FirstUntrustedRelay, "8.8.4.4", names.clone())],
        &ex,
    );
    let conf = |a: &str| find(&fur, a).map(|c| c.confidence.clone());
    assert_eq!(conf("abuse@fc-ptr.org").as_deref(), Some("confirmed"));
    assert_eq!(conf("abuse@not-fc.org").as_deref(), Some("guess"));
    assert_eq!(conf("abuse@helo.org").as_deref(), Some("guess"));
    assert_eq!(conf("abuse@claimed.org").as_deref(), Some("guess"));
    // postmaster@ is confirmed or guessed exactly as the abuse@ beside it.
    for d in ["fc-ptr.org", "not-fc.org", "helo.org", "claimed.org"] {
        let pm = find(&fur, &format!("postmaster@{d}")).expect(d);
        assert_eq!(
            (pm.source.as_str(), pm.scope.as_str()),
            ("rfc5321", "relay_postmaster")
        );
        assert_eq!(
            Some(pm.confidence.clone()),
            conf(&format!("abuse@{d}")),
            "{d}"
        );
    }

    let origin = contacts(&[hop(Role::ProbableOrigin, "8.8.4.4", names)], &ex);
    assert!(find(&origin, "abuse@helo.org").is_none(), "{origin:#?}");
    // The origin's IP is itself a claim: its network contact is a guess.
    assert_eq!(
        find(&origin, "abuse@net-owner.net").unwrap().confidence,
        "guess"
    );
    assert!(origin.iter().all(|c| c.role == "probable_origin"));
    assert!(
        origin.iter().all(|c| !c.address.starts_with("postmaster@")),
        "{origin:#?}"
    );
    let mid = contacts(
        &[hop(
            Role::Intermediate,
            "8.8.4.4",
            relay_name(MailTarget::Mx),
        )],
        &ex,
    );
    assert!(find(&mid, "abuse@relay.org").is_some(), "{mid:#?}");
    assert!(find(&mid, "postmaster@relay.org").is_none(), "{mid:#?}");
}

#[test]
fn excluded_domains_get_nothing_except_the_relays_own_network_contact() {
    let mut ex = Exclusions::default();
    ex.add("victim.com");
    let mut h = hop(
        Role::FirstUntrustedRelay,
        "8.8.4.4",
        vec![name(
            "mail.victim.com",
            NameOrigin::Ptr,
            true,
            MailTarget::Mx,
        )],
    );
    h.abusix = Some(vec!["noc@victim.com".into()]);
    let fur = contacts(&[h.clone()], &ex);
    assert_eq!(fur.len(), 1);
    assert_eq!(fur[0].address, "noc@victim.com");
    assert_eq!(fur[0].scope, "network");

    h.role = Role::ProbableOrigin;
    assert!(contacts(&[h], &ex).is_empty());
}

#[test]
fn hostile_addresses_from_dns_or_rdap_never_become_contacts() {
    let mut h = hop(Role::FirstUntrustedRelay, "8.8.4.4", Vec::new());
    h.abusix = Some(vec![
        "abuse@ok.net,second@ok.net".into(),
        "x@y.net\r\nBcc: victim@z.org".into(),
        "<abuse@bracket.net>".into(),
    ]);
    h.rdap = Some(RdapFacts {
        server: "127.0.0.1".into(),
        emails: vec!["\"quoted\"@q.net".into(), "abuse@rdap-ok.net".into()],
    });
    let got: Vec<String> = contacts(&[h], &Exclusions::default())
        .into_iter()
        .map(|c| c.address)
        .collect();
    assert_eq!(got, ["abuse@rdap-ok.net", "abuse@ok.net", "second@ok.net"]);
}

#[test]
fn sender_domain_is_not_excluded_when_the_relay_confirms_it() {
    // A provider's own confirmed relay sending for its own domain: the
    // sender is not forged, so abuse@ the provider is right.
    let text = b"Received: from out.provider.net (out.provider.net [8.8.4.4]) by mx.ours.org with ESMTP id 1; Sat, 4 Sep 1999 16:55:04 -0700\nFrom: someone@provider.net\nMessage-ID: <1@provider.net>\nSubject: x\n\nbody\n";
    let msg = message_from(text);
    let mut trust = spamtrace::chain::trust::TrustConfig::default();
    trust.add("mx.ours.org").unwrap();
    let mut report = trace(&msg, &trust);
    let mut zone = FixtureDns::default();
    zone.add(
        "4.4.8.8.in-addr.arpa",
        abuse::RecordType::Ptr,
        "out.provider.net.",
    )
    .add("out.provider.net", abuse::RecordType::A, "8.8.4.4")
    .add("provider.net", abuse::RecordType::Mx, "10 mx.provider.net.");
    attach_contacts(
        &mut report,
        &msg,
        &trust,
        &zone,
        &AbuseConfig::default(),
        None,
    );
    let c = find(&report.abuse_contacts, "abuse@provider.net").expect("contact");
    assert_eq!(c.confidence, "confirmed");
    let c = find(&report.abuse_contacts, "postmaster@provider.net").expect("postmaster");
    assert_eq!(c.confidence, "confirmed");

    // The same relay with an unconfirmed name: the From domain stays excluded.
    let mut report = trace(&msg, &trust);
    let mut zone = FixtureDns::default();
    zone.add("provider.net", abuse::RecordType::Mx, "10 mx.provider.net.");
    attach_contacts(
        &mut report,
        &msg,
        &trust,
        &zone,
        &AbuseConfig::default(),
        None,
    );
    assert!(
        report.abuse_contacts.is_empty(),
        "{:#?}",
        report.abuse_contacts
    );
}

#[test]
fn mail_target_reads_null_mx_and_address_fallback() {
    let mut z = FixtureDns::default();
    z.add("null.org", abuse::RecordType::Mx, "0 .")
        .add("addr.org", abuse::RecordType::A, "8.8.4.4")
        .add("mx.org", abuse::RecordType::Mx, "10 mx.mx.org.")
        .add("txtonly.org", abuse::RecordType::Txt, "v=spf1 -all");
    z.failing.push("broken.org".into());
    assert_eq!(facts::mail_target(&z, "null.org"), MailTarget::NullMx);
    assert_eq!(facts::mail_target(&z, "addr.org"), MailTarget::Address);
    assert_eq!(facts::mail_target(&z, "mx.org"), MailTarget::Mx);
    assert_eq!(facts::mail_target(&z, "txtonly.org"), MailTarget::NoMail);
    assert_eq!(facts::mail_target(&z, "nx.org"), MailTarget::NoMail);
    assert_eq!(facts::mail_target(&z, "broken.org"), MailTarget::Unknown);
}

#[test]
fn reversed_names() {
    let ip = "197.46.220.4".parse().unwrap();
    assert_eq!(
        spamtrace::util::reverse::in_zone(ip, "abuse-contacts.abusix.zone"),
        "4.220.46.197.abuse-contacts.abusix.zone"
    );
    let v6 = "2001:db8::1".parse().unwrap();
    assert_eq!(
        spamtrace::util::reverse::reverse_name(v6),
        "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"
    );
}

#[test]
fn enrichment_stage_gets_the_same_contacts_from_a_traced_message() {
    let (msg, report) = report_1999(false);
    let opts = spamtrace::chain::TraceOptions {
        trust: berkeley(),
        infer_trust: true,
        now: NOW,
        ..Default::default()
    };
    let traced = spamtrace::chain::walk(msg, &opts);
    let found = abuse::find(&traced, &berkeley(), &zone_1999(), &AbuseConfig::default());
    assert_eq!(found, report.abuse_contacts);
    // The TXT's, abuse@ and postmaster@ everfaster.com, abuse@longlink.net.
    assert_eq!(found.len(), 4);
}

/// A zone where every IP has 4 PTR names in distinct domains, none with
/// mail: every name costs several questions.
struct Generous {
    asked: std::cell::RefCell<Vec<(String, RecordType)>>,
}

impl abuse::DnsLookup for Generous {
    fn lookup(&self, name: &str, t: RecordType) -> abuse::DnsAnswer {
        let key = (name.to_string(), t);
        if !self.asked.borrow().contains(&key) {
            self.asked.borrow_mut().push(key);
        }
        match t {
            RecordType::Ptr => abuse::DnsAnswer::Records(
                (0..4)
                    .map(|k| format!("h{k}.{}.example.com", name.replace('.', "-")))
                    .collect(),
            ),
            _ => abuse::DnsAnswer::NoRecords,
        }
    }
}

#[test]
fn a_long_consistent_chain_is_capped_in_questions() {
    let mut text = String::from(
        "Received: from host1.d1.com (host1.d1.com [5.1.1.1]) by mx.berkeley.edu with SMTP; Sat, 4 Sep 1999 16:55:38 -0700\n",
    );
    for i in 2..40 {
        text.push_str(&format!(
            "Received: from host{i}.d{i}.com (host{i}.d{i}.com [5.1.{i}.1]) by host{p}.d{p}.com with SMTP; Sat, 4 Sep 1999 16:55:00 -0700\n",
            p = i - 1
        ));
    }
    text.push_str("From: a@b.example\nSubject: x\n\nbody\n");
    let msg = message_from(text.as_bytes());
    let mut trust = berkeley();
    trust.add("mx.berkeley.edu").unwrap();
    let report = trace(&msg, &trust);
    assert!(report.first_untrusted_relay.is_some(), "{}", report.verdict);
    let dns = Generous {
        asked: Default::default(),
    };
    let (hops, _) = facts::gather(&walk(&msg, &trust), &trust, &dns, &AbuseConfig::default());
    // The first untrusted relay, at most 8 relays between, the origin.
    assert!(hops.len() <= 10, "{}", hops.len());
    let asked = dns.asked.borrow().len();
    assert!(asked > 0 && asked <= facts::MAX_QUESTIONS, "{asked}");
    // The chain needs more than the cap, so the cap did its work.
    assert_eq!(asked, facts::MAX_QUESTIONS, "{} hops", hops.len());
}
