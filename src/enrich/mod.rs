//! The enrich stage: what the headers alone cannot tell, looked up and kept
//! as evidence. [`dns`] asks reverse and forward DNS, DNSBLs, SPF and DKIM
//! keys; [`abuse`] finds whom to complain to (DNS, RDAP). The stage knows no
//! rules: it reads a traced message and records facts, which the checks
//! judge later.

pub mod abuse;
pub mod dns;
pub mod mmdb;

use crate::chain::{self, Traced};

/// The enrichment stage: given a batch of parsed messages, look up what
/// they need (DNS...) before the checks run. Offline it does nothing.
pub trait Enricher {
    fn enrich(&mut self, batch: &mut [Traced]);
    /// True when [`Enricher::enrich`] does nothing: the workers then parse
    /// and finish each batch in one go, without the round trip through the
    /// calling thread (the messages are also freed by the thread that
    /// allocated them, which the allocator rewards).
    fn is_noop(&self) -> bool {
        false
    }
    /// Warnings for stderr since the last call: lookups that could not be
    /// made (a registry that did not answer...). The analysis goes on.
    fn take_warnings(&mut self) -> Vec<String> {
        Vec::new()
    }
    /// The DNS questions as they go, when this enricher asks DNS (for a
    /// progress display on another thread).
    fn dns_progress(&self) -> Option<std::sync::Arc<dns::client::DnsProgress>> {
        None
    }
    /// After the run: why it was degraded (a DNS server that did not
    /// answer), for stderr and the exit status. `None`: it was not.
    fn degraded(&self) -> Option<String> {
        None
    }
}

/// No enrichment: `--offline`.
pub struct Offline;

impl Enricher for Offline {
    fn enrich(&mut self, _batch: &mut [Traced]) {}
    fn is_noop(&self) -> bool {
        true
    }
}

/// Abuse contacts without DNS (`--offline --rdap`): only the regional
/// registries are asked, and only about the hops a trusted server saw. One
/// client for the run (the bootstrap is read once), a batch asked at once.
pub struct RdapOnly {
    trust: chain::trust::TrustConfig,
    config: abuse::facts::AbuseConfig,
    rdap: abuse::rdap::LazyRdap,
    runtime: tokio::runtime::Runtime,
    warnings: Vec<String>,
}

impl RdapOnly {
    pub fn new(
        trust: chain::trust::TrustConfig,
        config: abuse::facts::AbuseConfig,
        rdap: abuse::rdap::RdapConfig,
    ) -> std::io::Result<RdapOnly> {
        Ok(RdapOnly {
            trust,
            config,
            rdap: abuse::rdap::LazyRdap::new(rdap),
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?,
            warnings: Vec::new(),
        })
    }
}

impl Enricher for RdapOnly {
    fn enrich(&mut self, batch: &mut [Traced]) {
        let (trust, config) = (&self.trust, &self.config);
        // Without a client (the bootstrap failed, said once) DNS-less rules
        // still run: they name nobody, as offline.
        let found: Vec<_> = match self.rdap.get(&self.runtime, &mut self.warnings) {
            Some(client) => self.runtime.block_on(futures_util::future::join_all(
                batch
                    .iter()
                    .map(|t| abuse::find_with_rdap(t, trust, &abuse::NoDns, config, client)),
            )),
            None => batch
                .iter()
                .map(|t| (abuse::find(t, trust, &abuse::NoDns, config), Vec::new()))
                .collect(),
        };
        for (t, (contacts, w)) in batch.iter_mut().zip(found) {
            t.abuse_contacts = contacts;
            self.warnings.extend(w);
        }
    }

    fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }
}
