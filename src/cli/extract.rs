//! `trace --extract DIR`: the attachments written out, the only place
//! spamtrace writes a message's contents to disk. Names are sanitised
//! (no directory part, no control, bidi or reserved characters), prefixed
//! with the message's position and MIME part, and never overwrite a file;
//! the files are not executable (mode 0600).

use spamtrace::input::{self, InputOptions};
use spamtrace::parse::mime::{self, attach::sanitise_name};
use spamtrace::util::sanitize::for_terminal;
use std::io::Write;
use std::path::Path;

/// Write the attachments of every message of `paths` into `dir`; returns
/// how many files were written, or the first error that stops it.
pub(crate) fn extract(paths: &[String], opts: &InputOptions, dir: &Path) -> Result<usize, String> {
    if paths.iter().any(|p| p == "-") {
        return Err("--extract cannot read stdin a second time: give a file".into());
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut n = 0;
    for path in paths {
        for (seq, msg) in input::open(path, opts).flatten().enumerate() {
            let Some(bytes) = input::unwrap::whole(&msg) else {
                continue;
            };
            for (part, name, data) in mime::extract(&bytes, &Default::default()) {
                let name = sanitise_name(name.as_deref().unwrap_or("attachment"));
                let inner = msg.source.part.as_deref().unwrap_or("0").replace('/', "_");
                let file = dir.join(format!("{}-{seq}-{inner}-{part}-{name}", msg.source.index));
                let mut o = std::fs::OpenOptions::new();
                o.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
                let mut f = match o.open(&file) {
                    Ok(f) => f,
                    Err(e) => {
                        return Err(format!(
                            "{}: {e}",
                            for_terminal(&file.display().to_string())
                        ))
                    }
                };
                f.write_all(&data)
                    .map_err(|e| format!("{}: {e}", file.display()))?;
                n += 1;
            }
        }
    }
    Ok(n)
}
