//! The DATA phase: find the end of the message and undo dot-stuffing.
//!
//! Only `CRLF . CRLF` ends a message. A bare LF or a bare CR never starts a
//! line, so `\n.\n`, `\n.\r\n`, `\r.\r\n` and `\r\n.\rX` are message text
//! (the SMTP smuggling family, CVE-2023-51766). Bare LF and CR bytes are
//! stored as sent: a capture records what arrived. At a line start, `..`
//! loses one dot; a lone dot followed by anything but CRLF is kept, since a
//! conforming client would have doubled it.
//!
//! The decoder is fed chunks as they arrive and stops storing once the size
//! limit is passed, so memory stays bounded whatever the client sends.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Message bytes held in memory by all sessions together. A message that
/// does not fit is drained and refused (452 4.3.1), so many concurrent
/// large messages cannot exhaust memory.
#[derive(Debug)]
pub struct Budget {
    used: AtomicU64,
    limit: u64,
}

impl Budget {
    pub fn new(limit: u64) -> Budget {
        Budget {
            used: AtomicU64::new(0),
            limit,
        }
    }

    fn take(&self, n: u64) -> bool {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |u| {
                u.checked_add(n).filter(|&t| t <= self.limit)
            })
            .is_ok()
    }

    /// Take up to `max` bytes, whatever is left; how many were taken.
    fn take_up_to(&self, max: u64) -> u64 {
        let mut got = 0;
        let _ = self
            .used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |u| {
                got = self.limit.saturating_sub(u).min(max);
                (got > 0).then_some(u + got)
            });
        got
    }

    fn give(&self, n: u64) {
        self.used.fetch_sub(n, Ordering::AcqRel);
    }

    /// Hold `n` bytes until the guard drops; `None` when they do not fit.
    pub fn hold(&self, n: u64) -> Option<Held<'_>> {
        self.take(n).then_some(Held { budget: self, n })
    }

    /// Bytes held now.
    pub fn used(&self) -> u64 {
        self.used.load(Ordering::Acquire)
    }
}

/// The first chunk of a message's text; later ones are [`CHUNK`].
const FIRST_CHUNK: usize = 64 << 10;
/// A message's text grows by chunks this size: never reallocated, never
/// copied, so what the budget counts is what is held.
pub const CHUNK: usize = 1 << 20;

/// A message's text, unstuffed, in chunks (see [`CHUNK`]). Each chunk is
/// its own anonymous memory map: dropped, it goes back to the system at
/// once, so the budget also bounds the resident memory (the allocator's
/// heaps would keep freed blocks of other threads for a while).
#[derive(Debug, Default)]
pub struct Content {
    chunks: Vec<Chunk>,
}

#[derive(Debug)]
struct Chunk {
    map: memmap2::MmapMut,
    len: usize,
}

impl Chunk {
    fn new(capacity: usize) -> std::io::Result<Chunk> {
        Ok(Chunk {
            map: memmap2::MmapMut::map_anon(capacity.max(1))?,
            len: 0,
        })
    }

    fn capacity(&self) -> usize {
        self.map.len()
    }

    fn bytes(&self) -> &[u8] {
        &self.map[..self.len]
    }

    /// Append what fits; how many bytes of `b` were taken.
    fn extend(&mut self, b: &[u8]) -> usize {
        let n = (self.capacity() - self.len).min(b.len());
        self.map[self.len..self.len + n].copy_from_slice(&b[..n]);
        self.len += n;
        n
    }
}

impl Content {
    /// One chunk holding `v` (tests, small messages).
    pub fn from_vec(v: Vec<u8>) -> Content {
        let mut c = Content::default();
        if let Ok(mut chunk) = Chunk::new(v.len()) {
            chunk.extend(&v);
            c.chunks.push(chunk);
        }
        c
    }

    pub fn len(&self) -> usize {
        self.chunks.iter().map(|c| c.len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The text, chunk by chunk.
    pub fn chunks(&self) -> impl Iterator<Item = &[u8]> {
        self.chunks.iter().map(Chunk::bytes)
    }

    /// One contiguous copy (tests and small texts only).
    pub fn to_vec(&self) -> Vec<u8> {
        self.chunks().collect::<Vec<_>>().concat()
    }

    /// The first bytes up to and including the blank line that ends the
    /// header block (or all of them), at most `max`.
    pub fn header_block(&self, max: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for c in self.chunks() {
            let room = max - out.len();
            out.extend_from_slice(&c[..c.len().min(room)]);
            if out.len() >= max || has_blank_line(&out) {
                break;
            }
        }
        out
    }

    /// The capacity held (what the budget counts).
    fn capacity(&self) -> usize {
        self.chunks.iter().map(Chunk::capacity).sum()
    }
}

fn has_blank_line(b: &[u8]) -> bool {
    memchr::memmem::find(b, b"\n\n").is_some() || memchr::memmem::find(b, b"\n\r\n").is_some()
}

/// Bytes of a [`Budget`] held for a while (see [`Budget::hold`]).
pub struct Held<'a> {
    budget: &'a Budget,
    n: u64,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.budget.give(self.n);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// After CRLF (or at the start of DATA).
    LineStart,
    /// Inside a line.
    Body,
    /// Just after a CR inside the text.
    Cr,
    /// A dot at a line start.
    Dot,
    /// `.` then CR at a line start: CRLF next ends the message.
    DotCr,
}

/// Decodes one DATA transfer.
#[derive(Debug)]
pub struct DataDecoder {
    state: State,
    content: Content,
    /// Unstuffed bytes seen, stored or not.
    size: u64,
    max_size: u64,
    done: bool,
    budget: Arc<Budget>,
    /// Bytes of `budget` this message holds; given back on drop.
    reserved: u64,
    out_of_memory: bool,
}

impl Drop for DataDecoder {
    fn drop(&mut self) {
        self.budget.give(self.reserved);
    }
}

/// What [`DataDecoder::feed`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Feed {
    /// The whole chunk was message text; more is needed.
    More,
    /// The message ended; this many bytes of the chunk were consumed
    /// (the rest is the next commands).
    Done(usize),
}

impl DataDecoder {
    pub fn new(max_size: u64, budget: Arc<Budget>) -> Self {
        DataDecoder {
            state: State::LineStart,
            content: Content::default(),
            size: 0,
            max_size,
            done: false,
            budget,
            reserved: 0,
            out_of_memory: false,
        }
    }

    /// True when the shared memory budget could not hold this message.
    pub fn out_of_memory(&self) -> bool {
        self.out_of_memory
    }

    fn drop_content(&mut self) {
        self.content = Content::default();
        self.budget.give(self.reserved);
        self.reserved = 0;
    }

    /// True once the message is larger than the limit (its text is dropped).
    pub fn too_big(&self) -> bool {
        self.size > self.max_size
    }

    /// True once the end of data was seen.
    pub fn finished(&self) -> bool {
        self.done
    }

    /// The message text, unstuffed (empty when too big). The budget stays
    /// held until the decoder is dropped, after the message is stored.
    pub fn take_text(&mut self) -> Content {
        std::mem::take(&mut self.content)
    }

    /// [`DataDecoder::take_text`] as one contiguous copy (tests).
    pub fn take_content(&mut self) -> Vec<u8> {
        self.take_text().to_vec()
    }

    fn emit(&mut self, bytes: &[u8]) {
        let n = bytes.len() as u64;
        self.size += n;
        if self.size > self.max_size || self.out_of_memory {
            // Past a limit: drain without buffering.
            if self.reserved > 0 {
                self.drop_content();
            }
        } else if !self.push(bytes) {
            self.out_of_memory = true;
            self.drop_content();
        }
    }

    /// Append `bytes` in chunks, each taken from the budget before it is
    /// allocated; false when the budget cannot hold them.
    fn push(&mut self, mut bytes: &[u8]) -> bool {
        while !bytes.is_empty() {
            let full = self
                .content
                .chunks
                .last()
                .is_none_or(|c| c.len == c.capacity());
            if full {
                let want = if self.content.chunks.is_empty() {
                    FIRST_CHUNK
                } else {
                    CHUNK
                };
                // Never more than the size limit lets the message reach.
                let left = self.max_size.saturating_sub(self.size - bytes.len() as u64) as usize;
                let want = want.min(left.max(bytes.len())) as u64;
                // Short of room for a whole chunk, take what is left.
                let got = self.budget.take_up_to(want);
                if got == 0 {
                    return false;
                }
                self.reserved += got;
                match Chunk::new(got as usize) {
                    Ok(chunk) => self.content.chunks.push(chunk),
                    Err(_) => return false,
                }
            }
            let Some(last) = self.content.chunks.last_mut() else {
                return false;
            };
            let n = last.extend(bytes);
            bytes = &bytes[n..];
        }
        debug_assert_eq!(self.content.capacity() as u64, self.reserved);
        true
    }

    /// Feed the next chunk from the client.
    pub fn feed(&mut self, chunk: &[u8]) -> Feed {
        let mut i = 0;
        while let Some(&b) = chunk.get(i) {
            match self.state {
                // Fast path: copy a run of plain bytes up to the next CR.
                State::Body => {
                    let rest = chunk.get(i..).unwrap_or_default();
                    let run = memchr::memchr(b'\r', rest).unwrap_or(rest.len());
                    self.emit_range(chunk, i, i + run);
                    if run < rest.len() {
                        self.emit(b"\r");
                        self.state = State::Cr;
                    }
                    i += run + 1;
                    continue;
                }
                State::LineStart => {
                    if b == b'.' {
                        self.state = State::Dot;
                    } else {
                        self.emit(&[b]);
                        self.state = if b == b'\r' { State::Cr } else { State::Body };
                    }
                }
                State::Cr => {
                    self.emit(&[b]);
                    self.state = match b {
                        b'\n' => State::LineStart,
                        b'\r' => State::Cr,
                        _ => State::Body,
                    };
                }
                State::Dot => match b {
                    b'.' => {
                        self.emit(b".");
                        self.state = State::Body;
                    }
                    b'\r' => self.state = State::DotCr,
                    _ => {
                        self.emit(&[b'.', b]);
                        self.state = State::Body;
                    }
                },
                State::DotCr => {
                    if b == b'\n' {
                        self.done = true;
                        return Feed::Done(i + 1);
                    }
                    self.emit(&[b'.', b'\r', b]);
                    self.state = if b == b'\r' { State::Cr } else { State::Body };
                }
            }
            i += 1;
        }
        Feed::More
    }

    fn emit_range(&mut self, chunk: &[u8], start: usize, end: usize) {
        match chunk.get(start..end) {
            Some(bytes) if !bytes.is_empty() => self.emit(bytes),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decode `input` fed in chunks of `step` bytes.
    fn decode(input: &[u8], step: usize) -> (Vec<u8>, Option<usize>) {
        let mut d = DataDecoder::new(1 << 20, Arc::new(Budget::new(1 << 20)));
        let mut offset = 0;
        for chunk in input.chunks(step) {
            if let Feed::Done(n) = d.feed(chunk) {
                return (d.take_content(), Some(offset + n));
            }
            offset += chunk.len();
        }
        (d.take_content(), None)
    }

    fn all_steps(input: &[u8]) -> (Vec<u8>, Option<usize>) {
        let first = decode(input, input.len().max(1));
        for step in 1..8 {
            assert_eq!(decode(input, step), first, "step {step}");
        }
        first
    }

    /// The rule stated plainly, on a whole buffer: the message ends at the
    /// first CRLF.CRLF (data starts at a line start); then `CRLF..` at a
    /// line start becomes `CRLF.`.
    fn reference(input: &[u8]) -> (Vec<u8>, Option<usize>) {
        let mut v = b"\r\n".to_vec();
        v.extend_from_slice(input);
        let Some(end) = v.windows(5).position(|w| w == b"\r\n.\r\n") else {
            return (vec![], None);
        };
        let body = &v[..end + 2];
        let mut out = Vec::new();
        let mut i = 0;
        while i < body.len() {
            if body[i..].starts_with(b"\r\n..") {
                out.extend_from_slice(b"\r\n.");
                i += 4;
            } else {
                out.push(body[i]);
                i += 1;
            }
        }
        (out[2..].to_vec(), Some(end + 3))
    }

    #[test]
    fn matches_the_reference_on_random_input() {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let alphabet = b"..\r\r\n\nax";
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 24) as usize;
            let mut input = Vec::new();
            let mut y = x;
            for _ in 0..len {
                y = y
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                input.push(alphabet[(y >> 33) as usize % alphabet.len()]);
            }
            input.extend_from_slice(b"\r\n.\r\n");
            let (want, want_end) = reference(&input);
            let got = all_steps(&input);
            assert_eq!(got.1, want_end, "{input:?}");
            assert_eq!(got.0, want, "{input:?}");
        }
    }

    #[test]
    fn empty_message() {
        assert_eq!(all_steps(b".\r\nQUIT\r\n"), (vec![], Some(3)));
    }

    #[test]
    fn unstuffs_first_and_later_lines() {
        let (c, end) = all_steps(b"..x\r\na\r\n..\r\n.\r\n");
        assert_eq!(c, b".x\r\na\r\n.\r\n");
        assert_eq!(end, Some(15));
    }

    #[test]
    fn smuggling_sequences_do_not_end_data() {
        for seq in [&b"\n.\n"[..], b"\n.\r\n", b"\r.\r\n", b"\r\n.\rX"] {
            let mut input = b"a".to_vec();
            input.extend_from_slice(seq);
            input.extend_from_slice(b"MAIL FROM:<x>\r\n.\r\n");
            let (c, end) = all_steps(&input);
            assert_eq!(end, Some(input.len()), "{seq:?}");
            assert_eq!(c, &input[..input.len() - 3], "{seq:?}");
        }
    }

    #[test]
    fn lone_dot_then_cr_is_kept() {
        let (c, _) = all_steps(b"a\r\n.\r\r\n.\r\n");
        assert_eq!(c, b"a\r\n.\r\r\n");
    }

    #[test]
    fn size_limit_drops_text_but_finds_end() {
        let budget = Arc::new(Budget::new(1000));
        let mut d = DataDecoder::new(10, Arc::clone(&budget));
        assert_eq!(d.feed(&[b'x'; 100]), Feed::More);
        assert!(d.too_big());
        assert_eq!(d.feed(b"\r\n.\r\n"), Feed::Done(5));
        assert!(d.take_content().is_empty());
        assert_eq!(budget.used(), 0);
    }

    #[test]
    fn shared_budget_refuses_and_is_given_back() {
        let budget = Arc::new(Budget::new(100));
        let mut a = DataDecoder::new(1000, Arc::clone(&budget));
        let mut b = DataDecoder::new(1000, Arc::clone(&budget));
        a.feed(&[b'a'; 60]);
        b.feed(&[b'b'; 60]);
        assert!(!a.out_of_memory() && b.out_of_memory());
        // a's first chunk took what the budget had left; b holds nothing.
        assert_eq!(budget.used(), 100);
        assert_eq!(b.feed(b"\r\n.\r\n"), Feed::Done(5));
        assert!(b.take_content().is_empty());
        drop(a);
        assert_eq!(budget.used(), 0);
    }

    /// Issue 15 item 2: what the budget holds is the memory the text
    /// holds (chunk capacities), a whole chunk at most beyond its length,
    /// and all of it given back.
    #[test]
    fn budget_counts_what_the_text_holds() {
        let budget = Arc::new(Budget::new(64 << 20));
        let mut d = DataDecoder::new(32 << 20, Arc::clone(&budget));
        let line = [b'x'; 1000];
        for _ in 0..3_000 {
            d.feed(&line);
            d.feed(b"\r\n");
            let held = d.content.capacity() as u64;
            assert_eq!(budget.used(), held);
            assert!(held <= d.content.len() as u64 + CHUNK as u64);
        }
        assert_eq!(d.feed(b".\r\n"), Feed::Done(3));
        let text = d.take_text();
        assert_eq!(text.len(), 3_000 * 1002);
        assert!(text.chunks().all(|c| c.len() <= CHUNK));
        drop(text);
        drop(d);
        assert_eq!(budget.used(), 0);
    }

    #[test]
    fn nul_and_8bit_kept() {
        let (c, _) = all_steps(b"a\0\xff\xfe\r\n.\r\n");
        assert_eq!(c, b"a\0\xff\xfe\r\n");
    }
}
