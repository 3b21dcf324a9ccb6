//! The 1999 acceptance case over real DNS: the fixture zone served
//! by hickory-server on 127.0.0.1, asked through hickory-resolver by a
//! `DnsLookup` adapter (the shape the DNS layer implements). Nothing reaches
//! the machine's resolver or the internet.

mod abuse_support;

use abuse_support::*;
use hickory_proto::rr::rdata::{A, MX, PTR, SOA, TXT};
use hickory_proto::rr::{LowerName, Name, RData, Record, RecordType as RType};
use hickory_resolver::config::{NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::TokioResolver;
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, ZoneType};
use hickory_server::Server;
use spamtrace::enrich::abuse::facts::AbuseConfig;
use spamtrace::enrich::abuse::{DnsAnswer, DnsLookup, RecordType};
use std::net::SocketAddr;
use std::sync::Arc;

fn name(s: &str) -> Name {
    Name::from_ascii(s).unwrap()
}

/// The fixture zone, all under the root so one handler answers everything.
fn zone() -> InMemoryZoneHandler {
    let mut z = InMemoryZoneHandler::empty(Name::root(), ZoneType::Primary, AxfrPolicy::Deny);
    let soa = SOA::new(
        name("ns.test."),
        name("root.test."),
        1,
        3600,
        600,
        86400,
        60,
    );
    let mut add = |n: &str, data: RData| {
        assert!(z.upsert_mut(Record::from_rdata(name(n), 60, data), 1));
    };
    add(".", RData::SOA(soa));
    add(
        "4.220.46.197.in-addr.arpa.",
        RData::PTR(PTR(name("mail.everfaster.com."))),
    );
    add("mail.everfaster.com.", RData::A(A::new(197, 46, 220, 4)));
    add(
        "everfaster.com.",
        RData::MX(MX::new(10, name("mx.everfaster.com."))),
    );
    add(
        "7.1.6.217.in-addr.arpa.",
        RData::PTR(PTR(name("pool37.qs4w.longlink.net."))),
    );
    add(
        "longlink.net.",
        RData::MX(MX::new(10, name("mail.longlink.net."))),
    );
    add(
        "4.220.46.197.abuse-contacts.abusix.zone.",
        RData::TXT(TXT::new(vec!["abuse@transit-noc.net".into()])),
    );
    // Innocents that take mail, and a HELO that even forward-confirms.
    add("gate.hypermoon.com.", RData::A(A::new(217, 6, 1, 7)));
    for d in [
        "hypermoon.com.",
        "hotmail.com.",
        "hotdogcity.com.",
        "big-hello.com.",
    ] {
        add(d, RData::MX(MX::new(10, name(&format!("mx.{d}")))));
    }
    // A null MX (RFC 7505) for a domain we ask about directly.
    add("nullmx.test.", RData::MX(MX::new(0, Name::root())));
    add("nullmx.test.", RData::A(A::new(192, 0, 2, 1)));
    z
}

/// The adapter: sync `DnsLookup` over an async resolver.
struct Lookup {
    rt: tokio::runtime::Runtime,
    resolver: TokioResolver,
}

impl DnsLookup for Lookup {
    fn lookup(&self, n: &str, t: RecordType) -> DnsAnswer {
        let rtype = match t {
            RecordType::A => RType::A,
            RecordType::Aaaa => RType::AAAA,
            RecordType::Mx => RType::MX,
            RecordType::Txt => RType::TXT,
            RecordType::Ptr => RType::PTR,
        };
        let fqdn = format!("{}.", n.trim_end_matches('.'));
        match self.rt.block_on(self.resolver.lookup(fqdn.as_str(), rtype)) {
            Ok(l) => DnsAnswer::Records(
                l.answers()
                    .iter()
                    .filter_map(|r| match &r.data {
                        RData::A(a) => Some(a.to_string()),
                        RData::AAAA(a) => Some(a.to_string()),
                        RData::PTR(p) => Some(p.0.to_string()),
                        RData::MX(mx) => Some(format!("{} {}", mx.preference, mx.exchange)),
                        RData::TXT(txt) => String::from_utf8(txt.txt_data.concat()).ok(),
                        _ => None,
                    })
                    .collect(),
            ),
            Err(e) if e.is_nx_domain() => DnsAnswer::NxDomain,
            Err(e) if e.is_no_records_found() => DnsAnswer::NoRecords,
            Err(e) => DnsAnswer::Failed(e.to_string()),
        }
    }
}

fn start() -> Lookup {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let addr: SocketAddr = rt.block_on(async {
        let mut catalog = Catalog::new();
        catalog.upsert(LowerName::new(&Name::root()), vec![Arc::new(zone())]);
        let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = socket.local_addr().unwrap();
        let mut server = Server::new(catalog);
        server.register_socket(socket);
        tokio::spawn(async move {
            let _ = server.block_until_done().await;
        });
        addr
    });
    let mut ns = NameServerConfig::udp_and_tcp(addr.ip());
    for c in &mut ns.connections {
        c.port = addr.port();
    }
    let config = ResolverConfig::from_parts(None, Vec::new(), vec![ns]);
    let resolver = {
        let _guard = rt.enter();
        TokioResolver::builder_with_config(config, TokioRuntimeProvider::default())
            .build()
            .unwrap()
    };
    Lookup { rt, resolver }
}

#[test]
fn sample_1999_over_a_loopback_dns_server() {
    let dns = start();
    let msg = read_message(&sample_path(), false);
    let trust = berkeley();
    let mut report = trace(&msg, &trust);
    let warnings = attach_contacts(
        &mut report,
        &msg,
        &trust,
        &dns,
        &AbuseConfig::default(),
        None,
    );
    assert!(warnings.is_empty(), "{warnings:?}");
    let cs = &report.abuse_contacts;
    let got: Vec<(&str, &str, &str, &str)> = cs
        .iter()
        .map(|c| {
            (
                c.address.as_str(),
                c.scope.as_str(),
                c.confidence.as_str(),
                c.role.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "abuse@transit-noc.net",
                "network",
                "confirmed",
                "first_untrusted_relay"
            ),
            (
                "abuse@everfaster.com",
                "relay_operator",
                "confirmed",
                "first_untrusted_relay"
            ),
            (
                "postmaster@everfaster.com",
                "relay_postmaster",
                "confirmed",
                "first_untrusted_relay"
            ),
            (
                "abuse@longlink.net",
                "relay_operator",
                "guess",
                "probable_origin"
            ),
        ]
    );
}

#[test]
fn null_mx_and_nxdomain_over_the_wire() {
    let dns = start();
    use spamtrace::enrich::abuse::facts::mail_target;
    use spamtrace::enrich::abuse::MailTarget;
    assert_eq!(mail_target(&dns, "nullmx.test"), MailTarget::NullMx);
    assert_eq!(mail_target(&dns, "everfaster.com"), MailTarget::Mx);
    assert_eq!(mail_target(&dns, "nowhere.test"), MailTarget::NoMail);
    assert_eq!(
        dns.lookup("mail.everfaster.com", RecordType::Txt),
        DnsAnswer::NoRecords
    );
}
