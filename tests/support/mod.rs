//! Shared test helpers.
pub mod dns_server;
pub mod report;
