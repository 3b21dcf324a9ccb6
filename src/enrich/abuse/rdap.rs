//! The regional registry's abuse contact over RDAP (`--rdap`), through the
//! abuse-contact crate's client (which walks the jCard tree, drops
//! `DATA REDACTED` placeholders, caps the record at 1 MiB and refuses
//! private destinations).
//!
//! The crate fetches its bootstrap only from IANA's fixed URLs, so we fetch
//! the bootstrap files ourselves from a configurable place (or build a
//! one-server bootstrap from `--rdap-base`) and hand them to
//! `Client::with_bootstrap`.

use super::{HopFacts, RdapFacts};
use abuse_contact::bootstrap::{Bootstrap, Registry};
use abuse_contact::{Client, Destinations, Scope};
use std::net::IpAddr;
use std::time::Duration;

/// IANA's folder of bootstrap files (RFC 9224).
pub const IANA_BOOTSTRAP: &str = "https://data.iana.org/rdap/";

/// The most we read of one bootstrap file.
const MAX_BOOTSTRAP_BYTES: usize = 4 << 20;

/// Where RDAP questions go.
#[derive(Debug, Clone)]
pub struct RdapConfig {
    /// The folder holding `ipv4.json` and `ipv6.json`.
    pub bootstrap_url: String,
    /// One RDAP base URL for every address, instead of the bootstrap.
    pub base_url: Option<String>,
    /// Let the client reach private and loopback addresses: a registry
    /// mirror you run, or a test server. Off by default, so a record or a
    /// redirect cannot send us into the local network.
    pub allow_private: bool,
}

impl Default for RdapConfig {
    fn default() -> Self {
        RdapConfig {
            bootstrap_url: IANA_BOOTSTRAP.to_string(),
            base_url: None,
            allow_private: false,
        }
    }
}

/// A registry that could not be reached or read (the bootstrap, a lookup).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RdapError(pub String);

/// An RDAP client with its bootstrap loaded.
pub struct Rdap {
    client: Client,
}

fn catch_all(range: &str, base: &str) -> Result<Registry, String> {
    let json = serde_json::json!({"services": [[[range], [base]]]});
    Registry::from_slice(json.to_string().as_bytes()).map_err(|e| e.to_string())
}

async fn fetch_registry(http: &reqwest::Client, url: &str) -> Result<Registry, String> {
    let mut resp = http
        .get(url)
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(|e| format!("RDAP bootstrap {url}: {e}"))?;
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| format!("RDAP bootstrap {url}: {e}"))?
    {
        if body.len() + chunk.len() > MAX_BOOTSTRAP_BYTES {
            return Err(format!("RDAP bootstrap {url}: larger than 4 MiB"));
        }
        body.extend_from_slice(&chunk);
    }
    Registry::from_slice(&body).map_err(|e| format!("RDAP bootstrap {url}: {e}"))
}

impl Rdap {
    /// Load the bootstrap (or build it from the base URL) and the client.
    pub async fn new(cfg: &RdapConfig) -> Result<Rdap, RdapError> {
        let bootstrap = match &cfg.base_url {
            Some(base) => Bootstrap {
                ipv4: catch_all("0.0.0.0/0", base).map_err(RdapError)?,
                ipv6: catch_all("::/0", base).map_err(RdapError)?,
                dns: Registry::default(),
            },
            None => {
                let http = reqwest::Client::builder()
                    .timeout(Duration::from_secs(30))
                    .no_proxy()
                    .build()
                    .map_err(|e| e.to_string())
                    .map_err(RdapError)?;
                let dir = cfg.bootstrap_url.trim_end_matches('/');
                Bootstrap {
                    ipv4: fetch_registry(&http, &format!("{dir}/ipv4.json"))
                        .await
                        .map_err(RdapError)?,
                    ipv6: fetch_registry(&http, &format!("{dir}/ipv6.json"))
                        .await
                        .map_err(RdapError)?,
                    dns: Registry::default(),
                }
            }
        };
        let dest = if cfg.allow_private {
            Destinations::Any
        } else {
            Destinations::Public
        };
        let client = Client::with_bootstrap(bootstrap, dest)
            .map_err(|e| e.to_string())
            .map_err(RdapError)?;
        Ok(Rdap { client })
    }

    /// The abuse addresses the registry publishes for `ip`; `None` when it
    /// holds no record.
    pub async fn lookup(&self, ip: IpAddr) -> Result<Option<RdapFacts>, RdapError> {
        let record = self
            .client
            .lookup_ip(ip)
            .await
            .map_err(|e| RdapError(format!("RDAP {ip}: {e}")))?;
        Ok(record.map(|r| RdapFacts {
            emails: r
                .abuse_contacts(Scope::Network)
                .iter()
                .map(|c| c.email.to_string())
                .collect(),
            server: r.server,
        }))
    }

    /// Fill in the RDAP answer of every hop that may get a contact. Errors
    /// are returned (for stderr) and leave that hop without an answer.
    pub async fn fill(&self, hops: &mut [HopFacts]) -> Vec<String> {
        let mut errors = Vec::new();
        for h in hops.iter_mut() {
            let Some(ip) = h.ip else { continue };
            if h.trusted || !abuse_contact::is_public(ip) {
                continue;
            }
            match self.lookup(ip).await {
                Ok(found) => h.rdap = found,
                Err(e) => errors.push(e.to_string()),
            }
        }
        errors
    }
}

/// The run's RDAP client, made on first use: the bootstrap is read once per
/// run, and when it cannot be, that is said once and no registry is asked.
pub struct LazyRdap {
    cfg: RdapConfig,
    client: Option<Option<Rdap>>,
}

impl LazyRdap {
    pub fn new(cfg: RdapConfig) -> LazyRdap {
        LazyRdap { cfg, client: None }
    }

    /// The client, made on `runtime` the first time; a failure goes to `warnings`.
    pub fn get(
        &mut self,
        runtime: &tokio::runtime::Runtime,
        warnings: &mut Vec<String>,
    ) -> Option<&Rdap> {
        let cfg = &self.cfg;
        self.client
            .get_or_insert_with(|| match runtime.block_on(Rdap::new(cfg)) {
                Ok(c) => Some(c),
                Err(e) => {
                    warnings.push(e.to_string());
                    None
                }
            })
            .as_ref()
    }
}
