//! Attachments as indicators (issue 17): executable or script types,
//! double extensions, a declared type the bytes contradict, HTML with a
//! form, an encrypted archive (which no gateway scanner can open).

use crate::model::{Attachment, Body, Code, Finding, Severity};
use crate::parse::mime::attach::{double_extension, extension, EXECUTABLE};
use serde_json::json;

fn ev(a: &Attachment) -> serde_json::Value {
    json!({"name": a.name, "declared": a.declared, "sniffed": a.sniffed, "size": a.size,
           "sha256": a.sha256, "part": a.part})
}

fn family(t: &str) -> &str {
    match t {
        "application/x-msdownload" | "application/x-executable" => "executable",
        "application/zip"
        | "application/vnd.rar"
        | "application/x-7z-compressed"
        | "application/gzip"
        | "application/x-zip-compressed" => "archive",
        t if t.starts_with("image/") => "image",
        "application/pdf" => "pdf",
        "text/html" => "html",
        _ => "other",
    }
}

pub(crate) fn check(body: &Body) -> Vec<Finding> {
    let mut out = Vec::new();
    for a in &body.attachments {
        let name = a.name.as_deref().unwrap_or("");
        let ext = extension(name);
        let exe_name = ext.as_deref().is_some_and(|e| EXECUTABLE.contains(&e));
        let exe_bytes = a
            .sniffed
            .as_deref()
            .is_some_and(|s| family(s) == "executable");
        if exe_name || exe_bytes {
            out.push(Finding::new(
                Code::AttachmentExecutable,
                Severity::Warn,
                None,
                format!("attachment {name:?} is an executable or script type"),
                ev(a),
            ));
        }
        if let Some((inner, last)) = double_extension(name) {
            out.push(Finding::new(
                Code::AttachmentDoubleExtension,
                Severity::Warn,
                None,
                format!("attachment {name:?} hides .{last} behind .{inner}"),
                ev(a),
            ));
        }
        if let Some(s) = a.sniffed.as_deref() {
            let declared = family(&a.declared);
            let by_ext = match ext.as_deref() {
                Some("pdf") => "pdf",
                Some("zip" | "rar" | "7z" | "gz") => "archive",
                Some("jpg" | "jpeg" | "png" | "gif") => "image",
                Some("html" | "htm") => "html",
                _ => "other",
            };
            let sniffed = family(s);
            let claims = if declared != "other" {
                declared
            } else {
                by_ext
            };
            if claims != "other" && sniffed != "other" && claims != sniffed {
                out.push(Finding::new(
                    Code::AttachmentTypeMismatch,
                    Severity::Info,
                    None,
                    format!("attachment {name:?} says {claims} but its bytes are {s}"),
                    ev(a),
                ));
            }
        }
        if a.html_form {
            out.push(Finding::new(
                Code::AttachmentHtmlForm,
                Severity::Warn,
                None,
                format!("HTML attachment {name:?} holds a form: a credential page as a file"),
                ev(a),
            ));
        }
        if a.encrypted_archive {
            out.push(Finding::new(
                Code::AttachmentEncryptedArchive,
                Severity::Warn,
                None,
                format!("attachment {name:?} is a password-protected archive"),
                ev(a),
            ));
        }
    }
    out
}
