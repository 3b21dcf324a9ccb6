//! Settings resolved once: the flags (with the environment variables clap
//! reads for them) and the config file (read once) become one value that
//! `trace`, `complain` and `capture` share (ripgrep's LowArgs -> HiArgs).
//! No stage of the library sees a flag.

use super::args::{AnalysisArgs, DnsArgs, RdapArgs};
use serde::Deserialize;
use spamtrace::chain::trust::TrustConfig;
use spamtrace::chain::TraceOptions;
use spamtrace::enrich::abuse::facts::AbuseConfig;
use spamtrace::enrich::abuse::rdap::RdapConfig;
use spamtrace::enrich::dns::{self, AbuseOptions, DnsClient, DnsEnricher, LiveConfig};
use spamtrace::enrich::mmdb::{Mmdb, MmdbEnricher};
use spamtrace::enrich::{Enricher, Offline, RdapOnly};
use std::path::{Path, PathBuf};

/// The config file's shape (TOML).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConfigFile {
    #[serde(default)]
    pub(crate) trusted: Vec<String>,
    #[serde(default)]
    pub(crate) authserv_id: Vec<String>,
    #[serde(default)]
    pub(crate) dns_server: Vec<String>,
    #[serde(default)]
    pub(crate) dnsbl: Vec<String>,
    /// Who "we" are: the name of your own mail servers in reports.
    #[serde(default)]
    pub(crate) we: Option<String>,
    /// AUTH to the smarthost (`queue run --smarthost`), when the
    /// environment (SPAMTRACE_SMTP_USER / _PASSWORD) gives none. Never on
    /// the command line, where other users could read it.
    #[serde(default)]
    pub(crate) smtp_user: Option<String>,
    #[serde(default)]
    pub(crate) smtp_password: Option<String>,
    /// The folder of the RDAP bootstrap files, when `--rdap-bootstrap` is
    /// not given.
    #[serde(default)]
    pub(crate) rdap_bootstrap: Option<String>,
    /// The RDAP bootstrap for domain names (`dns.json`, a URL or a file),
    /// when `--rdap-dns-bootstrap` is not given.
    #[serde(default)]
    pub(crate) rdap_dns_bootstrap: Option<String>,
}

impl ConfigFile {
    /// Read a config file; a missing default file is not an error.
    pub(crate) fn load(path: &Path) -> Result<ConfigFile, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read config: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("{}: bad config: {e}", path.display()))
    }

    /// `$XDG_CONFIG_HOME/spamtrace/config.toml` (or the platform's equivalent).
    pub(crate) fn default_path() -> Option<PathBuf> {
        dirs::config_dir().map(|d| d.join("spamtrace").join("config.toml"))
    }
}

/// How DNS is reached.
enum DnsMode {
    /// `--offline`: no socket is opened.
    Offline,
    /// `--dns-replay REPORT.json`.
    Replay(PathBuf),
    Live(LiveConfig),
}

/// Everything a command needs to know, resolved.
pub(crate) struct Settings {
    /// Trust, inference, the time of the analysis.
    pub(crate) trace: TraceOptions,
    dns: DnsMode,
    dnsbl: Vec<String>,
    /// `--uribl` zones.
    uribl: Vec<String>,
    abuse: AbuseConfig,
    /// `--rdap`: ask the regional registries for abuse contacts.
    rdap: Option<RdapConfig>,
    /// Where RDAP questions about the advertised sites go (asked with
    /// `--site-contacts` or `complain --sites`, with or without `--rdap`).
    sites_rdap: RdapConfig,
    /// `--dkim`: verify signatures (the reader keeps bodies).
    pub(crate) dkim: bool,
    /// `--asn`: the IP-to-ASN zones to ask.
    asn: Option<dns::AsnZones>,
    /// `--asn-db`, `--geoip`: MaxMind-format databases.
    asn_db: Option<PathBuf>,
    geoip: Option<PathBuf>,
}

impl Settings {
    /// Resolve the flags of one command (DNS and RDAP flags where it has
    /// them) with the config file. `now`: the time of the analysis.
    pub(crate) fn resolve(
        analysis: &AnalysisArgs,
        dns: Option<&DnsArgs>,
        rdap: Option<&RdapArgs>,
        now: i64,
    ) -> Result<Settings, String> {
        let config = match &analysis.config {
            Some(p) => Some(ConfigFile::load(p)?),
            None => match ConfigFile::default_path() {
                Some(p) if p.is_file() => Some(ConfigFile::load(&p)?),
                _ => None,
            },
        }
        .unwrap_or_default();
        let mut trust = TrustConfig::default();
        for t in config.trusted.iter().chain(&analysis.trusted) {
            trust.add(t).map_err(|e| e.to_string())?;
        }
        for id in config.authserv_id.iter().chain(&analysis.authserv_id) {
            trust.add_authserv_id(id);
        }
        trust.we = analysis
            .we
            .clone()
            .or_else(|| config.we.clone())
            .filter(|w| !w.trim().is_empty());
        let trace = TraceOptions {
            trust,
            infer_trust: !analysis.no_infer_trust,
            now,
            bodies: false,
            site_contacts: false,
        };
        let Some(d) = dns else {
            return Ok(Settings {
                trace,
                dns: DnsMode::Offline,
                dnsbl: Vec::new(),
                uribl: Vec::new(),
                abuse: AbuseConfig::default(),
                rdap: None,
                sites_rdap: RdapConfig::default(),
                dkim: false,
                asn: None,
                asn_db: None,
                geoip: None,
            });
        };
        let mode = if d.offline {
            DnsMode::Offline
        } else if let Some(path) = &d.dns_replay {
            DnsMode::Replay(path.clone())
        } else {
            let servers = if d.dns_server.is_empty() {
                &config.dns_server
            } else {
                &d.dns_server
            };
            DnsMode::Live(LiveConfig {
                servers: servers
                    .iter()
                    .map(|s| dns::parse_server(s).map_err(|e| e.to_string()))
                    .collect::<Result<_, _>>()?,
                timeout: dns::parse_timeout(&d.dns_timeout).map_err(|e| e.to_string())?,
                concurrency: d.dns_concurrency.max(1),
            })
        };
        let zone = d.abusix_zone.trim().trim_matches('.');
        let abuse = AbuseConfig {
            abusix_zone: (!zone.is_empty() && !zone.eq_ignore_ascii_case("none"))
                .then(|| zone.to_ascii_lowercase()),
        };
        let rdap_config = |r: &RdapArgs| RdapConfig {
            bootstrap_url: match &config.rdap_bootstrap {
                Some(c) if r.rdap_bootstrap == spamtrace::enrich::abuse::rdap::IANA_BOOTSTRAP => {
                    c.clone()
                }
                _ => r.rdap_bootstrap.clone(),
            },
            base_url: r.rdap_base.clone(),
            allow_private: r.rdap_allow_private,
            domains: false,
            dns_bootstrap: r
                .rdap_dns_bootstrap
                .clone()
                .or_else(|| config.rdap_dns_bootstrap.clone()),
        };
        let sites_rdap = rdap.map(rdap_config).unwrap_or_default();
        let rdap = rdap.filter(|r| r.rdap).map(rdap_config);
        Ok(Settings {
            trace,
            dns: mode,
            dnsbl: dnsbl_zones(d.dnsbl.iter().chain(&config.dnsbl))?,
            uribl: d.uribl.clone(),
            abuse,
            rdap,
            sites_rdap,
            dkim: d.dkim,
            asn: if d.asn && d.asn_db.is_none() {
                Some(dns::AsnZones::parse(&d.asn_zones).ok_or_else(|| {
                    format!(
                        "--asn-zones {:?}: expected three zones, ORIGIN,ORIGIN6,NAMES",
                        d.asn_zones
                    )
                })?)
            } else {
                None
            },
            asn_db: d.asn_db.clone(),
            geoip: d.geoip.clone(),
        })
    }

    /// No DNS at all (`--offline`).
    pub(crate) fn offline(&self) -> bool {
        matches!(self.dns, DnsMode::Offline)
    }

    /// The enrich stage these settings ask for: none (`--offline`), the
    /// registries only (`--offline --rdap`), or DNS (live or replayed) with
    /// the abuse contacts, and RDAP when asked.
    pub(crate) fn enricher(&self) -> Result<Box<dyn Enricher>, String> {
        let inner = self.base_enricher()?;
        if self.asn_db.is_none() && self.geoip.is_none() {
            return Ok(inner);
        }
        let open = |p: &Option<PathBuf>| {
            p.as_deref()
                .map(Mmdb::open)
                .transpose()
                .map_err(|e| e.to_string())
        };
        Ok(Box::new(MmdbEnricher::new(
            inner,
            open(&self.asn_db)?,
            open(&self.geoip)?,
        )))
    }

    fn base_enricher(&self) -> Result<Box<dyn Enricher>, String> {
        let client = match &self.dns {
            DnsMode::Offline => {
                return Ok(match &self.rdap {
                    None => Box::new(Offline),
                    Some(r) => Box::new(
                        RdapOnly::new(self.trace.trust.clone(), self.abuse.clone(), r.clone())
                            .map_err(|e| format!("cannot start the RDAP stage: {e}"))?,
                    ),
                })
            }
            DnsMode::Replay(path) => {
                DnsClient::replay(dns::Recording::load(path).map_err(|e| e.to_string())?)
            }
            DnsMode::Live(cfg) => DnsClient::live(cfg).map_err(|e| e.to_string())?,
        };
        let live = matches!(self.dns, DnsMode::Live(_));
        let opts = dns::DnsOptions {
            dnsbl: self.dnsbl.clone(),
            dkim: self.dkim,
            asn: self.asn.clone(),
            uribl: self.uribl.clone(),
        };
        let enricher = DnsEnricher::new(client, opts)
            .map_err(|e| format!("cannot start the DNS stage: {e}"))?
            .with_abuse(AbuseOptions {
                trust: self.trace.trust.clone(),
                config: self.abuse.clone(),
                rdap: self.rdap.clone(),
            });
        let enricher = if self.trace.site_contacts {
            enricher.with_sites(
                dns::SiteOptions {
                    trust: self.trace.trust.clone(),
                    abusix_zone: self.abuse.abusix_zone.clone(),
                    rdap_ip: self.rdap.is_some(),
                    registrar: live || self.rdap.is_some(),
                },
                self.sites_rdap.clone(),
            )
        } else {
            enricher
        };
        let enricher = if live && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            enricher.with_beacon_note(super::dns_beacon_note)
        } else {
            enricher
        };
        Ok(Box::new(enricher))
    }
}

/// The DNSBL zones asked for: each checked, a bad one refused by name.
fn dnsbl_zones<'a>(zones: impl Iterator<Item = &'a String>) -> Result<Vec<String>, String> {
    zones
        .map(|z| spamtrace::enrich::dns::parse_dnsbl_zone(z).map_err(|e| e.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analysis(config: &Path, trusted: &[&str], ids: &[&str]) -> AnalysisArgs {
        AnalysisArgs {
            trusted: trusted.iter().map(|s| s.to_string()).collect(),
            authserv_id: ids.iter().map(|s| s.to_string()).collect(),
            config: Some(config.to_path_buf()),
            no_infer_trust: false,
            we: None,
        }
    }

    #[test]
    fn config_and_flags_resolve_into_one_trust() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "trusted = [\"10.0.0.0/8\"]\nauthserv_id = [\"MX.Example.ORG.\"]\ndnsbl = [\"bl.example.net\"]\n",
        )
        .unwrap();
        let s = Settings::resolve(
            &analysis(&path, &["mx.ours.org"], &["Ours."]),
            None,
            None,
            7,
        )
        .unwrap();
        let t = &s.trace.trust;
        assert!(t.trusts_ip("10.1.2.3".parse().unwrap()));
        assert!(t.trusts_name("a.mx.ours.org"));
        // Normalised wherever they come from: the config file or the flags.
        assert_eq!(t.authserv_ids, ["mx.example.org", "ours"]);
        assert_eq!((s.trace.now, s.trace.infer_trust), (7, true));
        assert!(s.offline(), "no DNS flags: no DNS");
        // A bad value names its source.
        std::fs::write(&path, "trusted = [\"999.1.1.1\"]\n").unwrap();
        let e = Settings::resolve(&analysis(&path, &[], &[]), None, None, 0)
            .err()
            .unwrap();
        assert!(e.contains("999.1.1.1"), "{e}");
        std::fs::write(&path, "trusted = [1\n").unwrap();
        let e = Settings::resolve(&analysis(&path, &[], &[]), None, None, 0)
            .err()
            .unwrap();
        assert!(e.contains("config.toml: bad config"), "{e}");
    }

    #[test]
    fn we_comes_from_the_flag_else_the_config() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "we = \"Example Corp\"\n").unwrap();
        let s = Settings::resolve(&analysis(&path, &[], &[]), None, None, 0).unwrap();
        assert_eq!(s.trace.trust.we.as_deref(), Some("Example Corp"));
        let mut a = analysis(&path, &[], &[]);
        a.we = Some("Ops Team".into());
        let s = Settings::resolve(&a, None, None, 0).unwrap();
        assert_eq!(s.trace.trust.we.as_deref(), Some("Ops Team"));
        std::fs::write(&path, "we = \"  \"\n").unwrap();
        let s = Settings::resolve(&analysis(&path, &[], &[]), None, None, 0).unwrap();
        assert_eq!(s.trace.trust.we, None);
    }
}
