//! Attachments as indicators: name, declared and sniffed type, size,
//! sha256. Nothing is executed; nothing is written (the CLI's `--extract`
//! writes, with sanitised names).

use crate::model::Attachment;
use sha2::{Digest, Sha256};

/// Extensions Windows runs (or hands to a script host) on a double click.
pub const EXECUTABLE: &[&str] = &[
    "exe", "scr", "com", "pif", "bat", "cmd", "vbs", "vbe", "js", "jse", "wsf", "wsh", "hta",
    "ps1", "msi", "jar", "lnk", "cpl", "reg", "iso", "img", "vhd", "msix", "appx",
];

/// Extensions a double extension hides behind.
const DOCUMENT: &[&str] = &[
    "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "txt", "jpg", "jpeg", "png", "gif", "rtf",
    "csv", "zip", "mp3", "mp4",
];

pub fn attachment(name: Option<String>, declared: String, data: &[u8], part: &str) -> Attachment {
    let sniffed = sniff(data).map(str::to_string);
    let html = sniffed.as_deref() == Some("text/html")
        || declared == "text/html"
        || name
            .as_deref()
            .is_some_and(|n| matches!(extension(n).as_deref(), Some("html" | "htm" | "shtml")));
    Attachment {
        html_form: html && has_form(data),
        encrypted_archive: encrypted_zip(data),
        name,
        name_raw: None,
        declared,
        sniffed,
        size: data.len(),
        sha256: hex(&Sha256::digest(data)),
        part: part.to_string(),
    }
}

/// The file name parameter as written in a part's header block: the
/// Content-Disposition `filename`, else the Content-Type `name`, unfolded,
/// without its quotes, RFC 2231 sections (`filename*0*=`, `filename*1=`)
/// joined in order; encoded words and `utf-8''` prefixes kept as written.
pub fn raw_name(header: &[u8]) -> Option<String> {
    let fields = crate::parse::headers::fields(header);
    for (field, param) in [
        ("content-disposition", "filename"),
        ("content-type", "name"),
    ] {
        let Some(f) = fields.iter().find(|f| f.is(field)) else {
            continue;
        };
        let value = f.text();
        let mut sections: Vec<(u32, String)> = Vec::new();
        for (attr, v) in params(&value) {
            let attr = attr.to_ascii_lowercase();
            let Some(rest) = attr.strip_prefix(param) else {
                continue;
            };
            let rest = rest.strip_suffix('*').unwrap_or(rest);
            let n = match rest.strip_prefix('*') {
                Some(n) => n.parse().unwrap_or(u32::MAX),
                None if rest.is_empty() => 0,
                None => continue, // another parameter (`name` vs `names`)
            };
            sections.push((n, v));
        }
        if !sections.is_empty() {
            sections.sort_by_key(|s| s.0);
            return Some(sections.into_iter().map(|s| s.1).collect());
        }
    }
    None
}

/// The `attr=value` parameters after a header value's first `;`, values
/// unquoted (a `;` inside quotes is part of the value).
fn params(value: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Some((_, mut rest)) = value.split_once(';') else {
        return out;
    };
    while let Some((attr, after)) = rest.split_once('=') {
        let attr = attr.trim().trim_start_matches(';').trim().to_string();
        let after = after.trim_start();
        let (v, next) = if let Some(q) = after.strip_prefix('"') {
            let mut v = String::new();
            let mut chars = q.char_indices();
            let mut end = q.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, e)) = chars.next() {
                            v.push(e);
                        }
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    _ => v.push(c),
                }
            }
            let next = q[end..].split_once(';').map_or("", |x| x.1);
            (v, next)
        } else {
            match after.split_once(';') {
                Some((v, n)) => (v.trim().to_string(), n),
                None => (after.trim().to_string(), ""),
            }
        };
        out.push((attr, v));
        rest = next;
    }
    out
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The last extension of a file name, lowercased.
pub fn extension(name: &str) -> Option<String> {
    let n = name.trim().trim_end_matches(['.', ' ']);
    let (_, ext) = n.rsplit_once('.')?;
    (!ext.is_empty() && ext.len() <= 5).then(|| ext.to_ascii_lowercase())
}

/// `invoice.pdf.exe`: a document extension followed by an executable or
/// HTML one (spaces before the last dot count: `scan.pdf      .exe`).
pub fn double_extension(name: &str) -> Option<(String, String)> {
    let last = extension(name)?;
    if !(EXECUTABLE.contains(&last.as_str()) || matches!(last.as_str(), "html" | "htm")) {
        return None;
    }
    let stem = &name.trim()[..name.trim().len() - last.len() - 1];
    let inner = extension(stem.trim_end())?;
    DOCUMENT.contains(&inner.as_str()).then_some((inner, last))
}

/// The type the first bytes show.
pub fn sniff(d: &[u8]) -> Option<&'static str> {
    let starts = |m: &[u8]| d.starts_with(m);
    Some(if starts(b"MZ") {
        "application/x-msdownload"
    } else if starts(b"\x7fELF") {
        "application/x-executable"
    } else if starts(b"%PDF-") {
        "application/pdf"
    } else if starts(b"PK\x03\x04") {
        "application/zip"
    } else if starts(b"Rar!\x1a\x07") {
        "application/vnd.rar"
    } else if starts(b"7z\xbc\xaf\x27\x1c") {
        "application/x-7z-compressed"
    } else if starts(b"\x1f\x8b") {
        "application/gzip"
    } else if starts(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") {
        "application/x-ole-storage"
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if starts(b"\xff\xd8\xff") {
        "image/jpeg"
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        "image/gif"
    } else if starts(b"{\\rtf") {
        "application/rtf"
    } else {
        let head: Vec<u8> = d
            .iter()
            .skip_while(|b| b.is_ascii_whitespace() || **b == 0xef || **b == 0xbb || **b == 0xbf)
            .take(64)
            .map(|b| b.to_ascii_lowercase())
            .collect();
        if head.starts_with(b"<!doctype html")
            || head.starts_with(b"<html")
            || head.starts_with(b"<head")
            || head.starts_with(b"<script")
            || head.starts_with(b"<form")
        {
            "text/html"
        } else {
            return None;
        }
    })
}

/// An HTML document with a form or a password field (a credential page
/// carried as a file, which no link scanner sees).
/// The first MiB is read, ASCII case ignored, on the bytes: the needles
/// are ASCII, which no byte of a character beyond ASCII (nor the
/// replacement of an invalid one) matches.
fn has_form(d: &[u8]) -> bool {
    let d = &d[..d.len().min(1 << 20)];
    let at = |i: usize, s: &[u8]| {
        d.get(i..i + s.len())
            .is_some_and(|t| t.eq_ignore_ascii_case(s))
    };
    memchr::memchr_iter(b'<', d).any(|i| at(i + 1, b"form"))
        || memchr::memchr_iter(b'=', d).any(|i| {
            i >= 4 && at(i - 4, b"type") && (at(i + 1, b"\"password\"") || at(i + 1, b"password"))
        })
}

/// A ZIP whose first entry has the "encrypted" flag (general purpose bit 0).
fn encrypted_zip(d: &[u8]) -> bool {
    d.len() >= 8 && d.starts_with(b"PK\x03\x04") && d[6] & 1 == 1
}

/// A file name safe to write: no directory, no control or reserved
/// characters, no leading dot, bounded length.
pub fn sanitise_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let mut s: String = base
        .chars()
        .map(|c| {
            if c.is_control() || "<>:\"|?*".contains(c) || is_bidi(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    s = s
        .trim_start_matches(['.', ' '])
        .trim_end_matches(['.', ' '])
        .to_string();
    if s.is_empty() {
        s = "attachment".into();
    }
    s.chars().take(120).collect()
}

fn is_bidi(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_file_names_as_written() {
        let h = b"Content-Type: text/html; name=\"a.html\"\r\nContent-Disposition: attachment;\r\n\tfilename=\"=?utf-8?B?w6kuaHRtbA==?=\"; size=12\r\n";
        assert_eq!(raw_name(h).as_deref(), Some("=?utf-8?B?w6kuaHRtbA==?="));
        let h = b"Content-Disposition: attachment; filename*0*=utf-8''%C3%A9;\r\n filename*1=\".pdf\"\r\n";
        assert_eq!(raw_name(h).as_deref(), Some("utf-8''%C3%A9.pdf"));
        let h = b"Content-Type: application/pdf; names=x; name=\"q;\\\"x\\\".pdf\"\r\n";
        assert_eq!(raw_name(h).as_deref(), Some("q;\"x\".pdf"));
        assert_eq!(raw_name(b"Content-Type: text/plain\r\n"), None);
    }

    #[test]
    fn forms_as_in_the_lowercased_text() {
        let by_text = |d: &[u8]| {
            let low = String::from_utf8_lossy(d).to_ascii_lowercase();
            low.contains("<form")
                || low.contains("type=\"password\"")
                || low.contains("type=password")
        };
        for d in [
            &b"<html><FORM action=x>"[..],
            b"<input TYPE=\"Password\">",
            b"<input type=password>",
            b"<input type=\"passwor\">",
            b"type=",
            b"<for",
            b"\xff<\xc3form type\xe9=password",
            b"",
        ] {
            assert_eq!(has_form(d), by_text(d), "{:?}", String::from_utf8_lossy(d));
        }
    }

    #[test]
    fn double_extensions() {
        assert_eq!(
            double_extension("Invoice.pdf.exe"),
            Some(("pdf".into(), "exe".into()))
        );
        assert_eq!(
            double_extension("scan.PDF   .html"),
            Some(("pdf".into(), "html".into()))
        );
        assert_eq!(double_extension("report.final.pdf"), None);
        assert_eq!(double_extension("setup.exe"), None);
    }

    #[test]
    fn sanitised_names() {
        assert_eq!(sanitise_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitise_name("..\\x\u{202e}gpj.exe"), "x_gpj.exe");
        assert_eq!(sanitise_name(".."), "attachment");
    }
}
