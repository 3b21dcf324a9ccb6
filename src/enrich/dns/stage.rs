//! The DNS enrichment stage: for a batch of traced messages, ask each
//! message's questions (two rounds) through the run's [`DnsClient`], all
//! messages concurrently, and attach the facts to each message. The
//! stage is sync (`run::Enricher`); it blocks on its own tokio runtime.

use super::client::DnsClient;
use super::facts;
use super::plan::{self, AnswerMap};
use crate::chain::Traced;
use crate::enrich::abuse::rdap::LazyRdap;
use crate::enrich::Enricher;
use crate::model::{MessageDns, Rcode};
use futures_util::future::join_all;

/// Choices for the DNS stage besides how to reach DNS.
#[derive(Debug, Clone)]
pub struct DnsOptions {
    /// DNSBL zones (`--dnsbl`), asked about the first untrusted relay and
    /// the probable origin.
    pub dnsbl: Vec<String>,
    /// Verify the DKIM signatures of messages whose body was kept
    /// (`--dkim`); a body kept for another reason (a complaint quoting it)
    /// is then not verified when this is off.
    pub dkim: bool,
    /// Ask who owns each public hop address (`--asn`), in these zones.
    pub asn: Option<super::asn::AsnZones>,
    /// URI blocklist zones (`--uribl`), asked about the registrable
    /// domains of the body's URLs.
    pub uribl: Vec<String>,
}

impl Default for DnsOptions {
    fn default() -> Self {
        DnsOptions {
            dnsbl: Vec::new(),
            dkim: true,
            asn: None,
            uribl: Vec::new(),
        }
    }
}

/// The enricher used by `spamtrace trace` unless `--offline`.
pub struct DnsEnricher {
    runtime: tokio::runtime::Runtime,
    client: DnsClient,
    opts: DnsOptions,
    /// Find abuse contacts over DNS (dns::abuse); `None`: not asked.
    abuse: Option<super::abuse::AbuseOptions>,
    /// The RDAP client (`--rdap`), made on the first batch.
    rdap: Option<LazyRdap>,
    /// Look up the advertised sites' contacts (`--site-contacts`), with
    /// the RDAP client for domains (made on the first batch).
    sites: Option<(super::sites::SiteOptions, Option<LazyRdap>)>,
    /// For stderr: lookups that could not be made (an RDAP server down...).
    warnings: Vec<String>,
    /// Said once before the first lookups (the CLI's DNS-beacon note, when
    /// stderr is a terminal): how many names from the messages are asked.
    beacon_note: Option<fn(usize)>,
}

impl DnsEnricher {
    pub fn new(client: DnsClient, opts: DnsOptions) -> std::io::Result<DnsEnricher> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        Ok(DnsEnricher {
            runtime,
            client,
            opts,
            abuse: None,
            rdap: None,
            sites: None,
            warnings: Vec::new(),
            beacon_note: None,
        })
    }

    /// Call `note` once, before the first batch's lookups, with the number
    /// of distinct names taken from the messages that are about to be asked.
    pub fn with_beacon_note(mut self, note: fn(usize)) -> DnsEnricher {
        self.beacon_note = Some(note);
        self
    }

    /// Also find each message's abuse contacts (after the DNS checks' lookups).
    pub fn with_abuse(mut self, abuse: super::abuse::AbuseOptions) -> DnsEnricher {
        self.rdap = abuse.rdap.clone().map(LazyRdap::new);
        self.abuse = Some(abuse);
        self
    }

    /// Also find the contacts of the sites the messages advertise: RDAP
    /// for domains through `rdap` (its `domains` set here) when
    /// `opts.registrar`, and for the sites' addresses when `opts.rdap_ip`.
    pub fn with_sites(
        mut self,
        opts: super::sites::SiteOptions,
        mut rdap: crate::enrich::abuse::rdap::RdapConfig,
    ) -> DnsEnricher {
        rdap.domains = true;
        let lazy = (opts.registrar || opts.rdap_ip).then(|| LazyRdap::new(rdap));
        self.sites = Some((opts, lazy));
        self
    }

    /// The run's client: later stages (DKIM, SPF, abuse contacts) ask
    /// through it to share the cache and the evidence format.
    pub fn client(&self) -> &DnsClient {
        &self.client
    }

    /// Run a future on the stage's runtime (for lookups outside `enrich`).
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }

    /// The DNS facts of one message (used by `enrich`).
    pub fn message(&self, t: &Traced) -> MessageDns {
        self.runtime
            .block_on(message_dns(&self.client, t, &self.opts))
            .0
    }
}

impl Enricher for DnsEnricher {
    fn enrich(&mut self, batch: &mut [Traced]) {
        if let Some(note) = self.beacon_note.take() {
            // The advertised sites' hosts (--site-contacts) are names from
            // the messages too: their DNS servers see the lookups.
            let sites: usize = match &self.sites {
                Some((o, _)) => batch
                    .iter()
                    .map(|t| {
                        crate::enrich::abuse::sites::list(t, &o.trust)
                            .sites
                            .iter()
                            .filter(|s| {
                                s.kind == "site" && s.host.parse::<std::net::IpAddr>().is_err()
                            })
                            .count()
                    })
                    .sum(),
                None => 0,
            };
            note(message_names(batch, &self.opts) + sites);
        }
        let (client, opts) = (&self.client, &self.opts);
        let facts = self
            .runtime
            .block_on(join_all(batch.iter().map(|t| message_dns(client, t, opts))));
        for (t, (f, asn)) in batch.iter_mut().zip(facts) {
            t.dns = Some(f);
            if !asn.is_empty() {
                t.asn = asn;
            }
        }
        if !opts.uribl.is_empty() {
            let zones = &opts.uribl;
            let found = self.runtime.block_on(join_all(
                batch.iter().map(|t| super::uribl::lookup(client, t, zones)),
            ));
            for (t, (results, evidence)) in batch.iter_mut().zip(found) {
                if let Some(b) = &mut t.body {
                    b.uribl = results;
                }
                if let Some(d) = &mut t.dns {
                    d.answers.extend(evidence);
                }
            }
        }
        if let Some((sopts, lazy)) = &mut self.sites {
            // The registry's bootstrap is read only once a message links somewhere.
            let links = batch
                .iter()
                .any(|t| t.body.as_ref().is_some_and(|b| !b.urls.is_empty()));
            let rdap = match lazy {
                Some(l) if links => l.get(&self.runtime, &mut self.warnings),
                _ => None,
            };
            let client = &self.client;
            let found = self.runtime.block_on(join_all(
                batch
                    .iter()
                    .filter(|t| t.body.is_some())
                    .map(|t| super::sites::lookup(client, t, sopts, rdap)),
            ));
            for (t, (sites, evidence, w)) in
                batch.iter_mut().filter(|t| t.body.is_some()).zip(found)
            {
                t.site_contacts = Some(sites);
                if let Some(d) = &mut t.dns {
                    for a in evidence {
                        if !d.answers.iter().any(|x| x.question == a.question) {
                            d.answers.push(a);
                        }
                    }
                }
                self.warnings.extend(w);
            }
        }
        let Some(abuse) = &self.abuse else { return };
        let rdap = match &mut self.rdap {
            Some(r) => r.get(&self.runtime, &mut self.warnings),
            None => None,
        };
        let contacts = super::abuse::contacts_for_batch(&self.client, batch, abuse, rdap);
        let warnings = self.runtime.block_on(contacts);
        self.warnings.extend(warnings);
    }

    fn take_warnings(&mut self) -> Vec<String> {
        let mut w = std::mem::take(&mut self.warnings);
        w.extend(self.client.take_notices());
        w
    }

    fn dns_progress(&self) -> Option<std::sync::Arc<super::client::DnsProgress>> {
        Some(self.client.progress())
    }

    fn degraded(&self) -> Option<String> {
        self.client.degraded()
    }
}

/// Distinct names from the batch's messages (HELO, rDNS claims, domains of
/// the sender and Message-ID) that the first round asks: reverse and DNSBL
/// names are built from addresses, not taken from the message.
fn message_names(batch: &[Traced], opts: &DnsOptions) -> usize {
    let mut names = std::collections::HashSet::new();
    for t in batch {
        for q in plan::round1(t, &opts.dnsbl).questions {
            let n = q.name.as_str();
            let built = n.ends_with(".in-addr.arpa")
                || n.ends_with(".ip6.arpa")
                || opts
                    .dnsbl
                    .iter()
                    .any(|z| n.ends_with(z.trim_end_matches('.')));
            if !built {
                names.insert(q.name);
            }
        }
        // The later lookups (Message-ID, envelope and From domains: MX, A,
        // SPF, abuse contacts) name these too.
        let m = &t.summary;
        let ids = m.message_id.as_deref().and_then(|id| {
            let id = id.trim().trim_matches(['<', '>']);
            id.rsplit_once('@').map(|(_, d)| d.to_string())
        });
        let addrs = [&m.from_address, &m.return_path, &m.envelope_from]
            .into_iter()
            .filter_map(|a| a.as_deref())
            .filter_map(crate::parse::message::address_domain);
        for d in ids.into_iter().chain(addrs) {
            if let Some(n) = super::names::host_name(&d) {
                names.insert(n);
            }
        }
    }
    names.len()
}

async fn ask(client: &DnsClient, plan: &plan::Plan, answers: &mut AnswerMap) {
    let got = join_all(
        plan.questions
            .iter()
            .map(|q| client.lookup(&q.name, q.rtype)),
    )
    .await;
    for (q, a) in plan.questions.iter().zip(got) {
        answers.insert(q.clone(), a);
    }
}

/// One message: round 1, round 2 (needs round 1's PTR and DNSBL answers), facts.
pub(super) async fn message_dns(
    client: &DnsClient,
    t: &Traced,
    opts: &DnsOptions,
) -> (MessageDns, Vec<crate::model::HopAsn>) {
    let mut answers = AnswerMap::new();
    let first = plan::round1(t, &opts.dnsbl);
    ask(client, &first, &mut answers).await;
    let second = plan::round2(t, &opts.dnsbl, &answers, first.questions.len());
    ask(client, &second, &mut answers).await;
    let asked: Vec<_> = first
        .questions
        .iter()
        .chain(&second.questions)
        .cloned()
        .collect();
    let mut m = facts::build(
        t,
        &answers,
        &opts.dnsbl,
        &asked,
        first.skipped + second.skipped,
    );
    // DKIM is verified when asked and the reader kept the body (`--dkim`).
    super::auth::add(client, t, opts.dkim && t.msg.body.is_some(), &mut m).await;
    let asn = match &opts.asn {
        Some(zones) => super::asn::lookup(client, t, zones, &mut m).await,
        None => Vec::new(),
    };
    m.degraded = m
        .answers
        .iter()
        .any(|a| matches!(a.rcode, Rcode::Timeout | Rcode::Error) && a.server != "-");
    (m, asn)
}
