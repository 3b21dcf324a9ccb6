//! Helpers every stage may use: domain names, the terminal/header
//! sanitiser, the provider table, the clock and durations, small grammar
//! (`words`), word splitting (`text`). Nothing here
//! knows about a stage.

pub mod brands;
pub mod clock;
pub mod domain;
pub mod links;
pub(crate) mod providers;
pub mod reverse;
pub mod sanitize;
pub mod text;
pub mod words;
