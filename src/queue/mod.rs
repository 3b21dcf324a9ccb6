//! The outgoing queue (issue 13): complaints waiting to be delivered, kept
//! on disk so that a crash never loses one and never sends one twice.
//!
//! - [`policy`]: what a reply means (sent, retry later, failed) and when
//!   the next attempt is due: pure functions, no I/O.
//! - [`spool`]: the folders (`tmp/`, `queue/`, `sent/`, `failed/`) and the
//!   entry file format; every write is tmp/ + fsync + rename.
//! - [`deliver`]: SMTP through lettre on tokio, to a smarthost (STARTTLS,
//!   AUTH) or straight to the recipient domain's MX (our DNS client).
//!
//! The queue sits beside the pipeline: it uses the DNS client of
//! [`crate::enrich::dns`] and nothing of the report.

pub mod deliver;
pub mod policy;
pub mod spool;

pub use policy::{Outcome, RetryPolicy};
pub use spool::{Entry, Spool, State};
