//! The parse stage: the header block split into fields ([`headers`]), each
//! Received header into a hop ([`received`]), and the message's own facts
//! ([`message`]: ids, dates, addresses, and what the DNS stage will ask
//! about). Pure functions of the bytes; no trust, no DNS.

pub(crate) mod authres;
pub mod headers;
pub mod message;
pub(crate) mod msgid;
pub mod received;
pub mod vendor;

use crate::model::Hop;

/// At most this many Received headers are parsed per message; the rest are
/// counted and reported (a message with 10,000 of them is an attack).
pub const MAX_HOPS: usize = 500;

/// Parse the Received headers of a header block into hops (header order),
/// and count those past [`MAX_HOPS`].
pub fn hops(fields: &[headers::Field]) -> (Vec<Hop>, usize) {
    let mut hops = Vec::new();
    let mut skipped = 0;
    for f in fields.iter().filter(|f| f.is("received")) {
        if hops.len() >= MAX_HOPS {
            skipped += 1;
            continue;
        }
        hops.push(received::parse(hops.len(), f.value));
    }
    (hops, skipped)
}
pub mod mime;
