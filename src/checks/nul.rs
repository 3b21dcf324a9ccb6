//! NUL bytes in the header fields: dropped where values are read
//! (`parse::headers::unfold`), said here.

use super::Context;
use crate::model::{Code, Finding, Severity};
use crate::parse::headers;
use serde_json::json;

pub(crate) fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let n = headers::nul_count(ctx.fields);
    if n == 0 {
        return;
    }
    let mut names: Vec<String> = Vec::new();
    for f in ctx.fields.iter().filter(|f| f.value.contains(&0)) {
        let name = f.name.to_ascii_lowercase();
        if !names.contains(&name) {
            names.push(name);
        }
    }
    out.push(Finding::new(
        Code::NulInHeader,
        Severity::Warn,
        None,
        format!(
            "{n} NUL byte(s) in the header ({}): no mail program writes them; dropped, the rest parsed",
            names.join(", ")
        ),
        json!({"nul_bytes": n, "fields": names}),
    ));
}
