//! Unit tests of the chain walk: trust, custody links, origins.

use super::*;
use crate::model::FromPart;

/// A relay hop built by hand, so the chain logic is tested apart from
/// the Received parser.
fn hop(i: usize, helo: &str, rdns: &str, ip: &str, by: &str, raw: &str) -> Hop {
    let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
    let ip: Option<IpAddr> = ip.parse().ok();
    let kind = if ip.is_some() {
        HopKind::Relay
    } else if helo.is_empty() {
        HopKind::Local
    } else {
        HopKind::NoIp
    };
    let mut h = Hop::new(i, kind, raw.to_string());
    h.from = FromPart {
        helo: some(helo),
        rdns: some(rdns),
        ip,
        ident: None,
        forwarded_for: None,
    };
    h.by = some(by);
    h
}

fn trusted(specs: &[&str]) -> TrustConfig {
    let mut t = TrustConfig::default();
    for s in specs {
        t.add(s).unwrap();
    }
    t
}

#[test]
fn links() {
    let up = hop(
        1,
        "gate.example.org",
        "mx.example.org",
        "85.1.2.3",
        "mx.victim.net",
        "",
    );
    let judge = |by: &str| judge_link(&up, &hop(2, "a.b.c", "", "85.9.9.9", by, "")).status;
    assert_eq!(judge("mx.example.org"), LinkStatus::Consistent);
    assert_eq!(judge("MX.Example.ORG."), LinkStatus::Consistent);
    assert_eq!(judge("out7.example.org"), LinkStatus::Consistent);
    assert_eq!(judge("mail.other.net"), LinkStatus::Broken);
    // An address literal that is not the sender's: needs DNS, not a break.
    assert_eq!(judge("2002:a05:6a10:1::1"), LinkStatus::Unknown);
    assert_eq!(judge("mailhost"), LinkStatus::Unknown);
    // Unqualified sender name for the same host.
    let short = hop(1, "lugh", "", "85.1.2.3", "mx.victim.net", "");
    let low = hop(2, "x.y.z", "", "85.9.9.9", "lugh.tuatha.org", "");
    assert_eq!(judge_link(&short, &low).status, LinkStatus::Consistent);
}

fn dated(mut h: Hop, epoch: i64) -> Hop {
    h.timestamp = Some(crate::model::Timestamp {
        utc: String::new(),
        epoch,
        original: String::new(),
    });
    h
}

#[test]
fn address_only_upper_hops_are_judged() {
    // The upper hop recorded an address and an address greeting.
    let up = hop(
        1,
        "198.51.100.7",
        "",
        "89.248.165.47",
        "mx.victim.example",
        "",
    );
    let judge = |low: Hop| judge_link(&up, &low);
    // A named mail server below a sender that greeted with an address.
    let l = judge(hop(
        2,
        "a.example.com",
        "",
        "81.169.145.92",
        "smtp.bank-alerts.com",
        "",
    ));
    assert_eq!(l.status, LinkStatus::Broken, "{}", l.reason);
    // An address literal the upper hop never saw (same family).
    let l = judge(hop(
        2,
        "a.example.com",
        "",
        "81.169.145.92",
        "[37.120.1.9]",
        "",
    ));
    assert_eq!(l.status, LinkStatus::Broken, "{}", l.reason);
    // ... but the address it greeted with is NAT, not a break.
    let l = judge(hop(
        2,
        "a.example.com",
        "",
        "81.169.145.92",
        "198.51.100.7",
        "",
    ));
    assert_eq!(l.status, LinkStatus::Consistent, "{}", l.reason);
    // Another family cannot be compared offline.
    let l = judge(hop(
        2,
        "a.example.com",
        "",
        "81.169.145.92",
        "2a01:4f8::1",
        "",
    ));
    assert_eq!(l.status, LinkStatus::Unknown, "{}", l.reason);
    // A handover naming no receiver, an impossible source.
    let l = judge(hop(2, "a.example.com", "", "81.169.145.92", "", ""));
    assert!(l.status == LinkStatus::Broken && l.reason.contains("no receiving host"));
    let l = judge(hop(
        2,
        "a.example.com",
        "",
        "224.0.0.251",
        "198.51.100.7",
        "",
    ));
    assert!(l.status == LinkStatus::Broken && l.reason.contains("multicast"));
    let l = judge(hop(2, "a.example.com", "", "0.1.2.3", "198.51.100.7", ""));
    assert_eq!(l.status, LinkStatus::Broken);
    // Dated after the upper hop beyond the tolerance; within it, fine.
    let up_t = dated(up.clone(), 1_000_000);
    let low = hop(2, "a.example.com", "", "81.169.145.92", "198.51.100.7", "");
    let late = dated(low.clone(), 1_000_000 + CUSTODY_CLOCK_TOLERANCE + 1);
    assert_eq!(judge_link(&up_t, &late).status, LinkStatus::Broken);
    let ok = dated(low, 1_000_000 + 3600);
    assert_eq!(judge_link(&up_t, &ok).status, LinkStatus::Consistent);
    // A hex-word greeting is no name either.
    let hex = hop(1, "4F2A11C0", "", "89.248.165.47", "mx.victim.example", "");
    let low = hop(
        2,
        "a.example.com",
        "",
        "81.169.145.92",
        "mail.bank.example.com",
        "",
    );
    assert_eq!(judge_link(&hex, &low).status, LinkStatus::Broken);
    // A hostname-less sender without such a greeting: still unknown.
    let bare = hop(1, "", "", "89.248.165.47", "mx.victim.example", "");
    assert_eq!(judge_link(&bare, &low).status, LinkStatus::Unknown);
}

#[test]
fn narrowed_name_breaks() {
    let judge = |names: &str, by: &str| {
        let up = hop(1, names, "", "85.1.2.3", "mx.victim.net", "");
        judge_link(&up, &hop(2, "a.b.c", "", "85.9.9.9", by, "")).status
    };
    // Operators' own pairs (data).
    assert_eq!(
        judge("mout.rzone.de", "smtp.webmailer.de"),
        LinkStatus::Consistent
    );
    assert_eq!(
        judge("priv-edmwes.telusplanet.net", "out.telus.net"),
        LinkStatus::Consistent
    );
    // One host under a renamed (longer) domain; not two generic `mail` hosts.
    assert_eq!(
        judge("mx1.spamassassin.taint.org", "mx1.redhat.com"),
        LinkStatus::Consistent
    );
    assert_eq!(
        judge(
            "mail.chasebank-alerts.com",
            "mail.corporatebanking-online.com"
        ),
        LinkStatus::Broken
    );
    // Private-network names: of the same organisation, or not comparable.
    assert_eq!(
        judge("evv.kamakiriad.local", "kamakiriad.com"),
        LinkStatus::Consistent
    );
    assert_eq!(
        judge("wout2-smtp.messagingengine.com", "mailout.west.internal"),
        LinkStatus::Unknown
    );
    assert_eq!(
        judge("gw.corp.example.com", "mailout.west.internal"),
        LinkStatus::Unknown
    );
    // Google's internal hops: a 6to4 literal of its 10/8 hosts.
    let up = hop(
        1,
        "mail-sor-f41.google.com",
        "mail-sor-f41.google.com",
        "209.85.220.41",
        "mx.google.com",
        "",
    );
    let low = hop(2, "", "", "", "2002:a05:6a10:2d8e:b0:4f2:a0e1:23ce", "");
    assert_eq!(judge_link(&up, &low).status, LinkStatus::Consistent);
    let other = hop(1, "relay.example.org", "", "85.1.2.3", "mx.victim.net", "");
    assert_eq!(judge_link(&other, &low).status, LinkStatus::Unknown);
}

#[test]
fn notes_are_read_through_and_webmail_ends_the_walk() {
    let note = |i| {
        let mut h = Hop::new(i, HopKind::Local, "(qmail 1 invoked from network)".into());
        h.by = None;
        h
    };
    let mut web = hop(4, "", "", "92.72.118.41", "webmail.example.org", "");
    web.with = Some("HTTPS".into());
    let hops = vec![
        hop(
            0,
            "mx.corp.example",
            "mx.corp.example",
            "131.175.1.2",
            "store.corp.example",
            "",
        ),
        hop(
            1,
            "relay.example.org",
            "relay.example.org",
            "84.23.191.7",
            "mx.corp.example",
            "",
        ),
        note(2),
        hop(
            3,
            "webmail.example.org",
            "",
            "85.9.9.9",
            "relay.example.org",
            "",
        ),
        web,
        hop(
            5,
            "x.forged.example",
            "",
            "81.1.1.1",
            "webmail.example.org",
            "",
        ),
    ];
    let c = analyze(&hops, &trusted(&["131.175.0.0/16"]), false);
    assert_eq!(c.boundary, Some(1));
    assert!(c.custody[0].reason.contains("note"), "{:?}", c.custody[0]);
    // Judged from hop 1 over the note: relay.example.org received it.
    assert_eq!(c.custody[1].reason, "same name", "{:?}", c.custody[1]);
    assert_eq!(
        c.custody[2].status,
        LinkStatus::Consistent,
        "{:?}",
        c.custody[2]
    );
    let o = c.probable_origin.unwrap();
    assert_eq!(
        (o.hop, o.ip.unwrap().to_string()),
        (4, "92.72.118.41".into())
    );
}

#[test]
fn links_through_local_and_loopback_hops() {
    // `(from userid 0) by host`: the sender is the upper receiver itself.
    let local = hop(1, "", "", "", "int-mx1.corp.example.com", "");
    let low = hop(2, "a.b.c", "", "85.9.9.9", "int-mx1.corp.example.com", "");
    assert_eq!(judge_link(&local, &low).status, LinkStatus::Consistent);
    // A parser artefact as HELO (`mail@localhost`) is no name either.
    let pseudo = hop(1, "mail@localhost", "", "", "int-mx1.corp.example.com", "");
    assert_eq!(judge_link(&pseudo, &low).status, LinkStatus::Consistent);
    let lo = hop(
        1,
        "listman.example.com",
        "localhost.localdomain",
        "127.0.0.1",
        "listman.example.net",
        "",
    );
    let low = hop(2, "a.b.c", "", "85.9.9.9", "listman.example.net", "");
    assert_eq!(judge_link(&lo, &low).status, LinkStatus::Consistent);
}

#[test]
fn links_by_receiver_address_and_operator() {
    // M365: the lower receiver records its own address, the upper saw it.
    let up = hop(
        1,
        "bn0pr04ca0012.namprd04.prod.outlook.com",
        "",
        "2603:10b6:408:ee::17",
        "x.prod.outlook.com",
        "",
    );
    let raw = "from A.prod.outlook.com (2603:10b6:408:ee:cafe::3b) by BN0PR04CA0012.outlook.office365.com (2603:10b6:408:ee::17) with Microsoft SMTP Server";
    let low = hop(
        2,
        "a.prod.outlook.com",
        "",
        "2603:10b6:408:ee:cafe::3b",
        "bn0pr04ca0012.outlook.office365.com",
        raw,
    );
    assert_eq!(receiver_address(&low), "2603:10b6:408:ee::17".parse().ok());
    let link = judge_link(&up, &low);
    assert_eq!(link.status, LinkStatus::Consistent);
    assert!(link.reason.contains("own address"));
    // Google's relay and smtp.gmail.com: one operator.
    assert!(same_operator("mail-wm1-f51.google.com", "smtp.gmail.com"));
    assert!(!same_operator("mail.google.com.evil.net", "smtp.gmail.com"));
}

#[test]
fn boundary_with_trusted_networks_and_names() {
    let hops = vec![
        hop(
            0,
            "mx.corp.example",
            "mx.corp.example",
            "131.175.1.2",
            "store.corp.example",
            "",
        ),
        hop(
            1,
            "relay.isp.example",
            "relay.isp.example",
            "84.23.191.7",
            "mx.corp.example",
            "",
        ),
        hop(
            2,
            "pc",
            "dsl-1.isp.example",
            "91.203.66.14",
            "relay.isp.example",
            "",
        ),
    ];
    let c = analyze(&hops, &trusted(&["131.175.0.0/16"]), true);
    assert_eq!(c.boundary, Some(1));
    assert!(!c.inferred);
    let r = c.first_untrusted_relay.unwrap();
    assert_eq!(r.ip.unwrap().to_string(), "84.23.191.7");
    let o = c.probable_origin.unwrap();
    assert_eq!((o.hop, o.confidence), (2, Confidence::Medium));
    // By host name: the rDNS the trusted receiver recorded.
    let c = analyze(&hops, &trusted(&["mx.corp.example"]), true);
    assert_eq!(c.boundary, Some(1));
    // Nothing configured, no inference: hop 0 only.
    let c = analyze(&hops, &TrustConfig::default(), false);
    assert_eq!(c.boundary, Some(0));
}

#[test]
fn inference_rules() {
    // rDNS in the receiver's domain: inferred.
    let hops = vec![
        hop(
            0,
            "mx.corp.example",
            "mx.corp.example",
            "131.175.1.2",
            "store.corp.example",
            "",
        ),
        hop(
            1,
            "relay.isp.example",
            "relay.isp.example",
            "84.23.191.7",
            "mx.corp.example",
            "",
        ),
    ];
    let c = analyze(&hops, &TrustConfig::default(), true);
    assert_eq!(c.boundary, Some(1));
    assert!(c.inferred);
    // A HELO alone never counts: anyone can claim the receiver's name.
    let mut liar = hops.clone();
    liar[0].from.rdns = Some("dsl-9.other.example".into());
    let c = analyze(&liar, &TrustConfig::default(), true);
    assert_eq!(c.boundary, Some(0));
    // The oldest public relay is never trusted by inference (Gmail to Gmail).
    let gmail = vec![
        hop(
            0,
            "mail-sor-f41.google.com",
            "mail-sor-f41.google.com",
            "209.85.220.41",
            "mx.google.com",
            "",
        ),
        hop(1, "", "", "", "2002:a05:6a10:1::1", ""),
    ];
    let c = analyze(&gmail, &TrustConfig::default(), true);
    assert_eq!(c.boundary, Some(0));
    assert_eq!(
        c.first_untrusted_relay.unwrap().ip.unwrap().to_string(),
        "209.85.220.41"
    );
    // fetchmail: the mailbox server the recipient fetched from is theirs.
    let mut fetched = vec![
        hop(0, "dogma.example.org", "", "212.17.35.15", "localhost", ""),
        hop(
            1,
            "lists.example.net",
            "",
            "194.125.145.45",
            "dogma.example.org",
            "",
        ),
    ];
    fetched[0].with = Some("IMAP".into());
    let c = analyze(&fetched, &TrustConfig::default(), true);
    assert_eq!(c.boundary, Some(1));
    assert!(c.trust_steps[0].reason.contains("mailbox server"));
}

#[test]
fn inference_by_helo_needs_the_receivers_network() {
    let raw_in = "from A (2603:10b6:510:1::5) by B.prod.outlook.com (2603:10b6:a03:2::9) with Microsoft SMTP Server";
    let raw_out =
        "from evil (146.190.1.1) by B.prod.outlook.com (10.167.1.2) with Microsoft SMTP Server";
    let internal = hop(
        0,
        "a.namprd1.prod.outlook.com",
        "",
        "2603:10b6:510:1::5",
        "b.prod.outlook.com",
        raw_in,
    );
    let outsider = hop(
        0,
        "x.prod.outlook.com",
        "",
        "146.190.1.1",
        "b.prod.outlook.com",
        raw_out,
    );
    let origin = hop(1, "mail.sender.example", "", "85.1.2.3", "z", "");
    let c = analyze(&[internal, origin.clone()], &TrustConfig::default(), true);
    assert_eq!(c.boundary, Some(1));
    let c = analyze(&[outsider, origin], &TrustConfig::default(), true);
    assert_eq!(c.boundary, Some(0));
}

#[test]
fn first_break_stops_the_walk() {
    let hops = vec![
        hop(
            0,
            "relay.isp.example",
            "relay.isp.example",
            "84.23.191.7",
            "mx.corp.example",
            "",
        ),
        hop(
            1,
            "gate.fake.example",
            "pool37.dial.example",
            "217.6.1.7",
            "relay.isp.example",
            "",
        ),
        hop(
            2,
            "x.fake.example",
            "x.fake.example",
            "221.88.9.16",
            "server.unrelated.example",
            "",
        ),
        hop(3, "y.fake.example", "", "221.88.9.17", "x.fake.example", ""),
    ];
    let c = analyze(&hops, &TrustConfig::default(), false);
    assert_eq!(c.first_break, Some(2));
    let o = c.probable_origin.unwrap();
    assert_eq!((o.hop, o.links), (1, 1));
    // Links below the break are still judged and reported.
    assert_eq!(c.custody.len(), 3);
    assert_eq!(c.custody[2].status, LinkStatus::Consistent);
}
