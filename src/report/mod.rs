//! The report stage: [`build`] runs the checks over a traced message and
//! fills the one model (`model::Report`), with the verdict sentence;
//! [`render`] turns a finished report into table, JSON, NDJSON, complaint
//! text or ARF. Renderers read the model only: they compute no finding and
//! no verdict.

mod build;
pub(crate) mod owner;
pub mod phish;
pub mod render;
mod verdict;

pub use build::build;
