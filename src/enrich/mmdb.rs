//! Who owns each hop's address, offline: MaxMind-format databases the user
//! has (`--asn-db FILE.mmdb`: GeoLite2-ASN or any database with
//! `autonomous_system_number` / `autonomous_system_organization`;
//! `--geoip FILE.mmdb`: GeoLite2-Country or -City, `country.iso_code`),
//! read with the maxminddb crate. Wraps the run's other enricher: DNS
//! first (when any), then the databases fill [`Traced::asn`].

use super::Enricher;
use crate::chain::Traced;
use crate::model::{AsnSource, HopAsn};
use maxminddb::{geoip2, Reader};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// Why a database cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{}: not a usable MaxMind database: {reason}", path.display())]
pub struct MmdbError {
    pub path: PathBuf,
    pub reason: String,
}

/// One opened database.
pub struct Mmdb {
    reader: Reader<Vec<u8>>,
}

impl Mmdb {
    pub fn open(path: &Path) -> Result<Mmdb, MmdbError> {
        let err = |reason: String| MmdbError {
            path: path.to_path_buf(),
            reason,
        };
        let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
        let reader = Reader::from_source(bytes).map_err(|e| err(e.to_string()))?;
        Ok(Mmdb { reader })
    }

    /// The AS number and organisation of `ip`, when the database has them.
    pub fn asn(&self, ip: IpAddr) -> Option<(Option<u32>, Option<String>)> {
        let found = self.reader.lookup(ip).ok()?;
        let asn: geoip2::Asn = found.decode().ok()??;
        (asn.autonomous_system_number.is_some() || asn.autonomous_system_organization.is_some())
            .then(|| {
                (
                    asn.autonomous_system_number,
                    asn.autonomous_system_organization.and_then(clean),
                )
            })
    }

    /// The country of `ip` (ISO code), else the one it is registered in.
    pub fn country(&self, ip: IpAddr) -> Option<String> {
        let found = self.reader.lookup(ip).ok()?;
        let c: geoip2::Country = found.decode().ok()??;
        c.country
            .iso_code
            .or(c.registered_country.iso_code)
            .filter(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_alphabetic()))
            .map(|c| c.to_ascii_uppercase())
    }

    /// The network that holds `ip` in the database (`192.0.2.0/24`).
    fn network(&self, ip: IpAddr) -> Option<String> {
        let found = self.reader.lookup(ip).ok()?;
        found
            .has_data()
            .then(|| found.network().ok().map(|n| n.to_string()))?
    }
}

/// A database's text is shown in tables and complaints: printable, bounded.
fn clean(s: &str) -> Option<String> {
    let c: String = crate::util::sanitize::for_terminal(s.trim())
        .chars()
        .take(80)
        .collect();
    (!c.is_empty()).then_some(c)
}

/// The databases, around the run's other enricher.
pub struct MmdbEnricher {
    inner: Box<dyn Enricher>,
    asn: Option<Mmdb>,
    geo: Option<Mmdb>,
}

impl MmdbEnricher {
    pub fn new(inner: Box<dyn Enricher>, asn: Option<Mmdb>, geo: Option<Mmdb>) -> MmdbEnricher {
        MmdbEnricher { inner, asn, geo }
    }

    /// The facts for one message's public hop addresses.
    pub fn lookup(&self, t: &Traced) -> Vec<HopAsn> {
        let mut out = Vec::new();
        for (_, ip) in super::dns::asn::targets(t) {
            let asn = self.asn.as_ref().and_then(|db| db.asn(ip));
            let country = self.geo.as_ref().and_then(|db| db.country(ip));
            if asn.is_none() && country.is_none() {
                continue;
            }
            let prefix = self.asn.as_ref().and_then(|db| db.network(ip));
            let (number, name) = asn.unwrap_or((None, None));
            for h in t.hops.iter().filter(|h| h.from.ip == Some(ip)) {
                out.push(HopAsn {
                    hop: h.index,
                    ip,
                    asn: number,
                    as_name: name.clone(),
                    country: country.clone(),
                    prefix: prefix.clone(),
                    registry: None,
                    source: AsnSource::Mmdb,
                });
            }
        }
        out
    }
}

impl Enricher for MmdbEnricher {
    fn enrich(&mut self, batch: &mut [Traced]) {
        if !self.inner.is_noop() {
            self.inner.enrich(batch);
        }
        for t in batch.iter_mut() {
            let found = self.lookup(t);
            if !found.is_empty() {
                t.asn = found;
            }
        }
    }

    fn take_warnings(&mut self) -> Vec<String> {
        self.inner.take_warnings()
    }
}
