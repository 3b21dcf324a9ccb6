//! Renderers of a finished report: [`table`] for people, [`html`] (a
//! self-contained page with the route drawn) for people and tickets, [`json`] (JSON
//! and NDJSON) for programs, [`complaint`] text and [`arf`] (RFC 5965)
//! for abuse desks. Each reads `model::Report` (and, for complaints, the
//! raw message it quotes) and nothing later in the pipeline.

pub mod arf;
pub mod body;
pub mod complaint;
pub mod html;
pub mod json;
mod layout;
pub mod message;
pub mod sites;
pub mod table;
