//! The `spamtrace/1` contract as plain data: every type that is serialised
//! into a report lives here, and nothing here does I/O or parsing (the
//! hickory-proto way: protocol types apart from the code that fills them).
//! Every stage may import from here; this module imports from no stage.

mod asn;
mod auth;
mod body;
mod chain;
mod contact;
mod dns;
mod dns_answer;
mod finding;
mod hop;
mod mail;
mod message;
mod owner;
mod report;
mod vendor;
mod webmail;

pub use asn::{AsnSource, HopAsn};
pub use auth::{AuthVerdict, DkimOutcome, SpfResult};
pub use body::{
    Attachment, Body, BodyLimit, BodyUrl, ReportedBy, UriblResult, UrlWrapper, WrapperKind,
};
pub use chain::{Confidence, CustodyLink, LinkStatus, Origin, Relay, TrustStep};
pub use contact::{AbuseContact, Site, SiteContacts};
pub use dns::{
    resolution, Alignment, ArcCheck, ArcInstance, ArcOutcome, AuthDns, DkimCheck, DmarcCheck,
    DmarcOutcome, DnsblResult, DnsblStatus, DomainExists, EnvelopeDns, HeloDns, HopDns, HopVerdict,
    LinkDns, LinkDnsStatus, MessageDns, Resolution, SpfCheck,
};
pub use dns_answer::{canonical, Answer, Outcome, Question, RType, Rcode};
pub use finding::{Code, Finding, Severity};
pub use hop::{FromPart, Hop, HopKind, Timestamp};
pub use mail::{DnsAnswer, MailTarget};
pub use message::{MessageSummary, Source, SourceFormat};
pub use owner::{Account, AccountContact, Distribution, Owner, OwnerKind};
pub use report::{Report, SCHEMA};
pub use vendor::{Transit, TransitHop, VendorClass, VendorVerdict};
pub use webmail::{Credibility, OriginCandidate};
