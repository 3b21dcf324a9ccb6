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
    /// Also read the bootstrap for domain names (RFC 9224 `dns.json`), for
    /// the registrars of advertised sites.
    pub domains: bool,
    /// Where `dns.json` is: a URL or a file; `None`: in `bootstrap_url`.
    pub dns_bootstrap: Option<String>,
}

impl Default for RdapConfig {
    fn default() -> Self {
        RdapConfig {
            bootstrap_url: IANA_BOOTSTRAP.to_string(),
            base_url: None,
            allow_private: false,
            domains: false,
            dns_bootstrap: None,
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
    /// `--rdap-base`: domain names are asked there too.
    base_url: Option<String>,
}

/// The registry's answer over RDAP for one domain name (RFC 9083): the
/// registrar entity and the addresses of its `abuse` entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrarFacts {
    /// The server that answered (host[:port]).
    pub server: String,
    /// The registrar's name (its jCard `fn`), when given.
    pub name: Option<String>,
    /// The registrar's abuse addresses, most preferred first.
    pub emails: Vec<String>,
}

/// The registrar's name and abuse addresses in a record: only the abuse
/// entity under the entity with role `registrar` counts (the crate's
/// `Scope::Registrar` walk takes every abuse entity of the record, a
/// registry's or a registrant's too).
fn registrar_of(r: &abuse_contact::Record) -> Option<(Option<String>, Vec<String>)> {
    let reg = r
        .response
        .entities
        .iter()
        .find(|e| e.roles.iter().any(|x| x.eq_ignore_ascii_case("registrar")))?;
    let name = reg
        .vcard_array
        .as_ref()
        .and_then(|v| v.get(1))
        .and_then(|v| v.as_array())
        .and_then(|props| {
            props.iter().find_map(|p| {
                let p = p.as_array()?;
                (p.first()?.as_str()? == "fn").then(|| p.get(3)?.as_str().map(str::to_string))?
            })
        });
    let sub = abuse_contact::rdap::Response {
        entities: reg.entities.clone(),
        ..Default::default()
    };
    let emails = sub
        .abuse_contacts(Scope::Registrar, &r.server)
        .iter()
        .map(|c| c.email.to_string())
        .collect();
    Some((name, emails))
}

/// A bootstrap file from a URL (http, https) or a local file.
async fn load_registry(http: &reqwest::Client, place: &str) -> Result<Registry, String> {
    if place.starts_with("http://") || place.starts_with("https://") {
        return fetch_registry(http, place).await;
    }
    let path = place.strip_prefix("file://").unwrap_or(place);
    let meta = std::fs::metadata(path).map_err(|e| format!("RDAP bootstrap {path}: {e}"))?;
    if meta.len() > MAX_BOOTSTRAP_BYTES as u64 {
        return Err(format!("RDAP bootstrap {path}: larger than 4 MiB"));
    }
    let body = std::fs::read(path).map_err(|e| format!("RDAP bootstrap {path}: {e}"))?;
    Registry::from_slice(&body).map_err(|e| format!("RDAP bootstrap {path}: {e}"))
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
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .no_proxy()
            .build()
            .map_err(|e| e.to_string())
            .map_err(RdapError)?;
        let mut bootstrap = match &cfg.base_url {
            Some(base) => Bootstrap {
                ipv4: catch_all("0.0.0.0/0", base).map_err(RdapError)?,
                ipv6: catch_all("::/0", base).map_err(RdapError)?,
                dns: Registry::default(),
            },
            None => {
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
        if cfg.domains && cfg.base_url.is_none() {
            let place = match &cfg.dns_bootstrap {
                Some(p) => p.clone(),
                None => format!("{}/dns.json", cfg.bootstrap_url.trim_end_matches('/')),
            };
            bootstrap.dns = load_registry(&http, &place).await.map_err(RdapError)?;
        }
        let dest = if cfg.allow_private {
            Destinations::Any
        } else {
            Destinations::Public
        };
        let client = Client::with_bootstrap(bootstrap, dest)
            .map_err(|e| e.to_string())
            .map_err(RdapError)?;
        Ok(Rdap {
            client,
            base_url: cfg.base_url.clone(),
        })
    }

    /// The registrar of `domain` (a registrable domain) and its abuse
    /// addresses; `None` when the registry holds no record. When the
    /// registry's record names no registrar abuse address, the registrar's
    /// own record (the `related` link, RFC 9083 4.2) is read once.
    pub async fn lookup_domain(&self, domain: &str) -> Result<Option<RegistrarFacts>, RdapError> {
        let err = |e: abuse_contact::Error| RdapError(format!("RDAP {domain}: {e}"));
        let name = abuse_contact::DomainName::new(domain)
            .map_err(|e| RdapError(format!("RDAP {domain}: {e}")))?;
        let record = match &self.base_url {
            Some(base) => {
                let url = format!("{}/domain/{}", base.trim_end_matches('/'), name.as_str());
                self.client.fetch(&url, name.as_str()).await.map_err(err)?
            }
            None => self.client.lookup_domain(&name).await.map_err(err)?,
        };
        let Some(record) = record else {
            return Ok(None);
        };
        let (mut reg_name, mut emails) = registrar_of(&record).unwrap_or_default();
        let mut server = record.server.clone();
        if emails.is_empty() {
            if let Some(href) = record.response.related_href() {
                if let Some(r2) = self.client.fetch(href, name.as_str()).await.map_err(err)? {
                    if let Some((n2, e2)) = registrar_of(&r2) {
                        reg_name = reg_name.or(n2);
                        emails = e2;
                        server = r2.server.clone();
                    }
                }
            }
        }
        Ok(Some(RegistrarFacts {
            server,
            name: reg_name,
            emails,
        }))
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
