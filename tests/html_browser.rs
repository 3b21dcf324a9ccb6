//! A real browser: headless Chromium renders the three golden pages to PNG
//! at 1280 and 390 px (not blank: many colours, much ink), `--dump-dom`
//! shows the boundary and origin labels, and a hostile message's page runs
//! no script (its <title> unchanged) and sends no request (its URLs point
//! at a listener on 127.0.0.1 that must see no connection). Two controls
//! show the harness would notice: a page with a script does change its
//! title, a page with an <img> does reach the listener.
//! Skips, with a message, only where Chromium is not installed
//! (`.ci/run` installs the Debian package `chromium`).
//! `UPDATE_DOCS_PNG=1` rewrites docs/route-1999.png from the 1999 golden.

mod html_support;

use html_support::*;
use spamtrace::chain::TraceOptions;
use spamtrace::input::InputOptions;
use spamtrace::report::render::html;
use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn chromium() -> Option<PathBuf> {
    for name in [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ] {
        let found = std::env::var_os("PATH").and_then(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join(name))
                .find(|f| f.is_file())
        });
        if found.is_some() {
            return found;
        }
    }
    None
}

macro_rules! need_chromium {
    () => {
        match chromium() {
            Some(c) => c,
            None => {
                eprintln!("SKIP: Chromium not found (apt-get install chromium); the browser tests did not run");
                return;
            }
        }
    };
}

/// Run Chromium headless on `page` with `args`; a fresh profile each time;
/// killed after 60 s.
fn run(chrome: &Path, page: &Path, args: &[String]) -> Vec<u8> {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let mut out = Vec::new();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let _ = stdout.read_to_end(&mut out);
        out
    });
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 60 s on {}", page.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    reader.join().unwrap()
}

fn dump_dom(chrome: &Path, page: &Path) -> String {
    let out = run(
        chrome,
        page,
        &["--virtual-time-budget=3000".into(), "--dump-dom".into()],
    );
    String::from_utf8_lossy(&out).into_owned()
}

fn screenshot(chrome: &Path, page: &Path, png: &Path, width: u32, height: u32) {
    run(
        chrome,
        page,
        &[
            format!("--screenshot={}", png.display()),
            format!("--window-size={width},{height}"),
        ],
    );
}

/// Decode a PNG: (width, height, RGB(A) bytes, bytes per pixel).
fn decode(png_path: &Path) -> (u32, u32, Vec<u8>, usize) {
    let dec = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(png_path).expect("a PNG was written"),
    ));
    let mut r = dec.read_info().unwrap();
    let mut buf = vec![0; r.output_buffer_size().unwrap()];
    let info = r.next_frame(&mut buf).unwrap();
    let bpp = info.line_size / info.width as usize;
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf, bpp)
}

/// How many distinct colours, and what share of pixels differ from the
/// most common one (the background).
fn ink(png_path: &Path) -> (usize, f64) {
    let (_, _, buf, bpp) = decode(png_path);
    let mut counts = std::collections::HashMap::new();
    for px in buf.chunks(bpp) {
        *counts.entry(px[..3].to_vec()).or_insert(0usize) += 1;
    }
    let total: usize = counts.values().sum();
    let bg = counts.values().max().copied().unwrap_or(0);
    (counts.len(), 1.0 - bg as f64 / total as f64)
}

#[test]
fn goldens_render_in_chromium_at_1280_and_390() {
    let chrome = need_chromium!();
    let dir = tempfile::tempdir().unwrap();
    for (_, golden) in GOLDEN {
        let page = PathBuf::from(golden_path(golden));
        for (w, h) in [(1280, 2400), (390, 2400)] {
            let png = dir.path().join(format!("{golden}-{w}.png"));
            screenshot(&chrome, &page, &png, w, h);
            let (width, _, _, _) = decode(&png);
            assert_eq!(width, w, "{golden}: screenshot width");
            let (colours, share) = ink(&png);
            assert!(colours > 64, "{golden} at {w}px: {colours} colours: blank?");
            assert!(
                share > 0.15,
                "{golden} at {w}px: {share:.3} of pixels inked: blank?"
            );
        }
        let dom = dump_dom(&chrome, &page);
        assert!(
            dom.contains("TRUST BOUNDARY"),
            "{golden}: boundary label in the DOM"
        );
        assert!(
            dom.contains("PROBABLE ORIGIN"),
            "{golden}: origin label in the DOM"
        );
        assert!(
            dom.contains("FIRST UNTRUSTED RELAY"),
            "{golden}: relay label in the DOM"
        );
        let want = title_of(&std::fs::read_to_string(&page).unwrap());
        assert_eq!(title_of(&dom), want, "{golden}: title");
    }
}

/// A listener on 127.0.0.1 that counts connections until dropped.
struct Listener {
    port: u16,
    hits: Arc<AtomicUsize>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Listener {
    fn start() -> Listener {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        let port = l.local_addr().unwrap().port();
        let hits = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (h, s) = (hits.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let start = Instant::now();
            while !s.load(Ordering::SeqCst) && start.elapsed() < Duration::from_secs(300) {
                match l.accept() {
                    Ok((mut c, _)) => {
                        h.fetch_add(1, Ordering::SeqCst);
                        let mut buf = [0u8; 1024];
                        let _ = c.set_read_timeout(Some(Duration::from_millis(200)));
                        let _ = c.read(&mut buf);
                        let _ = std::io::Write::write_all(
                            &mut c,
                            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                        );
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Listener {
            port,
            hits,
            stop,
            thread: Some(thread),
        }
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[test]
fn hostile_message_runs_nothing_and_fetches_nothing() {
    let chrome = need_chromium!();
    let listener = Listener::start();
    let dir = tempfile::tempdir().unwrap();
    let opts = TraceOptions {
        now: 1_764_547_200,
        infer_trust: true,
        ..TraceOptions::default()
    };
    let text = hostile(listener.port);
    let msg = spamtrace::input::reader::MessageReader::new(
        text.as_bytes(),
        "hostile.eml",
        InputOptions::default(),
    )
    .next()
    .unwrap()
    .unwrap();
    let report = spamtrace::trace(&msg, &opts);
    let page = html::render(&report);
    assert!(page.contains(&format!("127.0.0.1:{}", listener.port)));
    let path = dir.path().join("hostile.html");
    std::fs::write(&path, &page).unwrap();

    // The controls: the harness sees a script run and a request leave.
    let control_js = dir.path().join("control-js.html");
    std::fs::write(
        &control_js,
        "<!DOCTYPE html><title>before</title><script>document.title='PWNED'</script>",
    )
    .unwrap();
    assert_eq!(title_of(&dump_dom(&chrome, &control_js)), "PWNED");
    let control_net = dir.path().join("control-net.html");
    std::fs::write(
        &control_net,
        format!(
            "<!DOCTYPE html><title>t</title><img src=\"http://127.0.0.1:{}/control\">",
            listener.port
        ),
    )
    .unwrap();
    dump_dom(&chrome, &control_net);
    let wait = Instant::now();
    while listener.hits() == 0 && wait.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        listener.hits() > 0,
        "the control request reached the listener"
    );
    let before = listener.hits();

    // The hostile page: title unchanged, no request, the payloads as text.
    let dom = dump_dom(&chrome, &path);
    let png = dir.path().join("hostile.png");
    screenshot(&chrome, &path, &png, 1280, 1600);
    screenshot(
        &chrome,
        &path,
        &dir.path().join("hostile-390.png"),
        390,
        1600,
    );
    std::thread::sleep(Duration::from_millis(500));
    let want = title_of(&page);
    assert!(want.starts_with("spamtrace report: <script>"), "{want}");
    assert_eq!(title_of(&dom), want, "a script changed the title");
    assert_eq!(listener.hits(), before, "the hostile page made a request");
    let p = parse(&dom);
    assert!(by_name(&p, "script").is_empty() && by_name(&p, "img").is_empty());
    let (colours, _) = ink(&png);
    assert!(colours > 16, "hostile page rendered");
}

/// docs/route-1999.png: the 1999 route alone, from the golden's report.
#[test]
fn docs_picture_of_the_1999_route() {
    let chrome = need_chromium!();
    let golden = std::fs::read_to_string(golden_path("1999-berkeley.html")).unwrap();
    // The wide drawing as it stands in the golden page.
    let start = golden.find("<div class=\"route-wide\">").unwrap();
    let end = golden[start..].find("</div>").unwrap() + start;
    let svg = &golden[start + "<div class=\"route-wide\">".len()..end];
    let height: f64 = svg
        .split("height=\"")
        .nth(1)
        .and_then(|h| h.split('"').next())
        .and_then(|h| h.parse().ok())
        .unwrap();
    let css = html::stylesheet();
    let page = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>route</title><style>{css}\nbody{{background:#fff;margin:0}}.pic{{width:780px;padding:10px}}svg.route{{max-width:760px}}</style></head><body><div class=\"pic\">{svg}</div></body></html>"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("route.html");
    std::fs::write(&path, page).unwrap();
    let png = dir.path().join("route.png");
    screenshot(&chrome, &path, &png, 780, height.ceil() as u32 + 20);
    let (colours, share) = ink(&png);
    assert!(
        colours > 64 && share > 0.1,
        "{colours} colours, {share:.3} inked"
    );
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/route-1999.png");
    if std::env::var_os("UPDATE_DOCS_PNG").is_some() {
        std::fs::copy(&png, &docs).unwrap();
    }
    assert!(
        docs.exists(),
        "docs/route-1999.png (UPDATE_DOCS_PNG=1 writes it)"
    );
    let (w, _, _, _) = decode(&docs);
    assert_eq!(w, 780);
}
