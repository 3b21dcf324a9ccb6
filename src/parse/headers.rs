//! A header block split into fields without copying (the mail-parser way):
//! each field is a name and its raw, still folded value, borrowed from the
//! message bytes. Values are decoded only where a check needs them.

/// One header field, borrowed from the header block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field<'a> {
    /// The name as written (compare with [`Field::is`]).
    pub name: &'a str,
    /// The raw value after the colon, folding and line endings kept.
    pub value: &'a [u8],
}

impl<'a> Field<'a> {
    /// Case-insensitive name comparison.
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    /// The value unfolded onto one line, trimmed; non-UTF-8 bytes replaced.
    pub fn text(&self) -> String {
        unfold(self.value)
    }
}

/// Unfold a raw header value: CR and LF removed, each fold kept as the
/// whitespace that follows it, ends trimmed; NUL bytes (spam carries
/// them; the NUL_IN_HEADER finding says so) dropped, the rest parsed. One copy of the bytes: valid
/// UTF-8 (the usual case) becomes the String as it is, trimmed in place.
pub fn unfold(value: &[u8]) -> String {
    let mut out = Vec::with_capacity(value.len());
    let mut rest = value;
    while let Some(i) = memchr::memchr3(b'\r', b'\n', 0, rest) {
        out.extend_from_slice(&rest[..i]);
        rest = &rest[i + 1..];
    }
    out.extend_from_slice(rest);
    let mut s = match String::from_utf8(out) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    let end = s.trim_end().len();
    s.truncate(end);
    let start = s.len() - s.trim_start().len();
    s.drain(..start);
    s
}

/// Where one field sits in its header block: what a stage keeps (instead
/// of borrowed [`Field`]s) so the next stage need not split the block again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpan {
    start: usize,
    colon: usize,
    end: usize,
}

impl FieldSpan {
    /// The field in `block`, the header block these spans were found in
    /// (another block gives empty fields, never a panic).
    pub fn field<'a>(&self, block: &'a [u8]) -> Field<'a> {
        // Names are printable ASCII (see `spans`): an ASCII test, not a
        // UTF-8 validation, which showed in profiles at a call per field.
        let name = block
            .get(self.start..self.colon)
            .filter(|n| n.is_ascii())
            .unwrap_or_default();
        Field {
            // SAFETY: ASCII bytes are valid UTF-8.
            name: unsafe { std::str::from_utf8_unchecked(name) },
            value: block.get(self.colon + 1..self.end).unwrap_or_default(),
        }
    }
}

/// The fields of `block` found earlier as `spans`, without splitting it again.
pub fn fields_at<'a>(block: &'a [u8], spans: &[FieldSpan]) -> Vec<Field<'a>> {
    spans.iter().map(|s| s.field(block)).collect()
}

/// All fields of a header block, in order. Lines that are neither a field nor
/// a continuation (no colon, a leading `From ` line) are skipped.
pub fn fields(block: &[u8]) -> Vec<Field<'_>> {
    fields_at(block, &spans(block))
}

/// Where each field of a header block is, in order (see [`fields`]).
pub fn spans(block: &[u8]) -> Vec<FieldSpan> {
    // Most messages have a few dozen fields: start there, not at 4.
    let mut out = Vec::with_capacity(32);
    // The field being read: (start, colon). Its value runs on over
    // continuation lines and ends at the next line that is not one.
    let mut open: Option<(usize, usize)> = None;
    let mut start = 0;
    // One memchr iterator over the block: a call per line showed in profiles.
    let ends = memchr::memchr_iter(b'\n', block)
        .map(|i| i + 1)
        .chain(std::iter::once(block.len()));
    for end in ends {
        if start >= end {
            continue;
        }
        let line = &block[start..end];
        if !matches!(line[0], b' ' | b'\t') {
            if let Some((s, colon)) = open.take() {
                out.push(FieldSpan {
                    start: s,
                    colon,
                    end: start,
                });
            }
            // Lines that are neither a field nor a continuation are skipped
            // (and so are continuations that follow them).
            // The name: printable ASCII up to the first colon (the name
            // only is read, not the line up to a colon).
            let c = line
                .iter()
                .position(|&b| b == b':' || !b.is_ascii_graphic())
                .unwrap_or(line.len());
            open = (c > 0 && line.get(c) == Some(&b':')).then_some((start, start + c));
        }
        start = end;
    }
    if let Some((s, colon)) = open {
        out.push(FieldSpan {
            start: s,
            colon,
            end: block.len(),
        });
    }
    out
}

/// How many NUL bytes the header fields carry (none in real mail; spam
/// and broken gateways add them).
pub fn nul_count(fields: &[Field]) -> usize {
    // Values are short and nearly never hold a NUL: a branch-free test
    // that vectorises, then a count only where it found one (a memchr
    // count per field cost more in its setup than in its scan).
    fields
        .iter()
        .filter(|f| f.value.iter().fold(false, |z, &b| z | (b == 0)))
        .map(|f| memchr::memchr_iter(0, f.value).count())
        .sum()
}

/// The first field called `name`.
pub fn first<'a>(fields: &[Field<'a>], name: &str) -> Option<Field<'a>> {
    fields.iter().find(|f| f.is(name)).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line-at-a-time splitter [`spans`] replaced, as the reference.
    fn spans_reference(block: &[u8]) -> Vec<FieldSpan> {
        let mut out = Vec::new();
        let mut pos = 0;
        while pos < block.len() {
            let line_end = memchr::memchr(b'\n', &block[pos..])
                .map(|i| pos + i + 1)
                .unwrap_or(block.len());
            let line = &block[pos..line_end];
            if line.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
                pos = line_end;
                continue;
            }
            let colon = memchr::memchr(b':', line)
                .filter(|&c| c > 0 && line[..c].iter().all(|b| b.is_ascii_graphic()));
            let Some(colon) = colon else {
                pos = line_end;
                continue;
            };
            let mut end = line_end;
            while end < block.len() && (block[end] == b' ' || block[end] == b'\t') {
                end = memchr::memchr(b'\n', &block[end..])
                    .map(|i| end + i + 1)
                    .unwrap_or(block.len());
            }
            out.push(FieldSpan {
                start: pos,
                colon: pos + colon,
                end,
            });
            pos = end;
        }
        out
    }

    #[test]
    fn spans_match_the_reference() {
        let blocks: [&[u8]; 10] = [
            b"",
            b"\n",
            b"A: 1",
            b"A: 1\n",
            b" lead\nA: 1\n\tmore\n  more\nB:2\r\nno colon\n cont\nC:\n",
            b"A:1\nbad line\n\tcont of nothing\nB: x\n \n",
            b": empty name\nX Y: spaced\nZ:z\n\t",
            b"From x Mon Jan  1 00:00:00 2001\nA: b\n\n",
            b"A:\n\n\n\tb\n",
            b"\t\n \nA:1\r\n\r\n B\r\n",
        ];
        for b in blocks {
            assert_eq!(
                spans(b),
                spans_reference(b),
                "{:?}",
                String::from_utf8_lossy(b)
            );
        }
        // Every split of a pseudo-random block of the interesting bytes.
        let alphabet = b"A: \t\n\rx";
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..2000 {
            let len = (seed % 24) as usize;
            let block: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    alphabet[(seed % alphabet.len() as u64) as usize]
                })
                .collect();
            assert_eq!(spans(&block), spans_reference(&block), "{block:?}");
        }
    }

    #[test]
    fn splits_and_unfolds() {
        let block = b"Received: from a\r\n\tby b; Sat, 4 Sep 1999 16:55:38 -0700\r\nSubject: hi\r\nbroken line\r\nX-A:\r\n";
        let f = fields(block);
        assert_eq!(f.len(), 3);
        assert!(f[0].is("received"));
        assert_eq!(f[0].text(), "from a\tby b; Sat, 4 Sep 1999 16:55:38 -0700");
        assert_eq!(f[1].text(), "hi");
        assert_eq!(f[2].name, "X-A");
        assert_eq!(f[2].text(), "");
    }
}
