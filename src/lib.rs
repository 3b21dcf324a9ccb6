//! spamtrace: spam tracing and email header forensics.
//!
//! Data flows one way, each stage a module that imports only from the
//! stages before it (docs/architecture.md):
//!
//! [`input`] -> [`parse`] -> [`chain`] -> [`enrich`] (DNS, abuse contacts)
//! -> [`checks`] -> [`report`] (build, render), driven by [`run`].
//! [`model`] is the `spamtrace/1` contract every stage fills; [`util`]
//! holds what every stage may use. [`capture`] is the SMTP endpoint beside
//! the pipeline.
#![warn(unreachable_pub)]

pub mod capture;
pub mod chain;
pub mod checks;
pub mod enrich;
pub mod input;
pub mod model;
pub mod parse;
pub mod queue;
pub mod report;
pub mod run;
pub mod util;

pub use chain::{walk, TraceOptions, Traced};
pub use enrich::{Enricher, Offline};
pub use input::{InputError, InputOptions, RawMessage};
pub use model::{Code, Finding, Report, Severity};
pub use report::build;
pub use run::{trace, RunStats, Sink};
