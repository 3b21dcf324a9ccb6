//! Shared test helpers.
pub mod cli;
pub mod dns_server;
pub mod report;
