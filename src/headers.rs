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
/// whitespace that follows it, ends trimmed.
pub fn unfold(value: &[u8]) -> String {
    let mut out = Vec::with_capacity(value.len());
    for &b in value {
        if b != b'\r' && b != b'\n' {
            out.push(b);
        }
    }
    let s = String::from_utf8_lossy(&out);
    s.trim().to_string()
}

/// All fields of a header block, in order. Lines that are neither a field nor
/// a continuation (no colon, a leading `From ` line) are skipped.
pub fn fields(block: &[u8]) -> Vec<Field<'_>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < block.len() {
        let line_end = memchr::memchr(b'\n', &block[pos..])
            .map(|i| pos + i + 1)
            .unwrap_or(block.len());
        let line = &block[pos..line_end];
        if line.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
            // A continuation with no field before it: skip.
            pos = line_end;
            continue;
        }
        let colon = memchr::memchr(b':', line);
        let name_ok = colon
            .is_some_and(|c| c > 0 && line[..c].iter().all(|b| b.is_ascii_graphic() && *b != b':'));
        if !name_ok {
            pos = line_end;
            continue;
        }
        let colon = colon.unwrap();
        // The value runs on over continuation lines.
        let mut end = line_end;
        while end < block.len() && (block[end] == b' ' || block[end] == b'\t') {
            end = memchr::memchr(b'\n', &block[end..])
                .map(|i| end + i + 1)
                .unwrap_or(block.len());
        }
        let name = std::str::from_utf8(&line[..colon]).unwrap_or("");
        out.push(Field {
            name,
            value: &block[pos + colon + 1..end],
        });
        pos = end;
    }
    out
}

/// The first field called `name`.
pub fn first<'a>(fields: &[Field<'a>], name: &str) -> Option<Field<'a>> {
    fields.iter().find(|f| f.is(name)).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

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
