//! spamtrace: spam tracing and email header forensics.
//!
//! Data flows one way: [`input`] -> [`headers`]/[`received`] (parse) ->
//! [`chain`] (trust boundary, custody) -> [`checks`] (findings) ->
//! [`report`] (model and renderers). [`pipeline`] runs one message through.

pub mod abuse;
pub mod capture;
pub mod chain;
pub mod checks;
pub mod dns;
pub mod domain;
pub mod headers;
pub mod input;
pub mod message;
pub mod model;
pub mod pipeline;
pub mod progress;
pub mod providers;
pub mod received;
pub mod report;
pub mod run;
pub mod sanitize;
pub mod trust;
