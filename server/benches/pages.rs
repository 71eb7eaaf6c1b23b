//! What each kind of page costs a first-time visitor on a phone, served by a real `waymark`
//! binary with the built site: for the public feedback form and its thanks page, a share link,
//! an embed, the map editor and the sign-in page, the requests, the bytes on the wire, the sum
//! of the responses raw, gzip and brotli, first paint and time to interactive under a phone
//! profile (4× CPU slowdown, 1.6 Mbit/s, 150 ms round trips; `end2end/bench/pages.mjs`), and
//! each page's transfer against its budget (form 30 KB, share and embed 150 KB, editor 400 KB).
//!
//! The floor beside them is the smallest Leptos page that hydrates (`benches/floor`, a crate of
//! its own), built the same way (cargo-leptos, `--release --precompress --split`, Waymark's size
//! profile) and served by leptos_axum; each page's bytes and time to interactive are also
//! printed as multiples of the floor's. The bench builds the floor first (minutes, the first
//! time); `WAYMARK_FLOOR_URL` measures one already running instead.
//!
//! Needs the site built the way it is served (`.ci/serve` builds it into `target/release-site`;
//! `WAYMARK_SITE_DIR`, default that), Node.js with the end-to-end packages, and Chromium
//! (`CHROMIUM`, default `/usr/bin/chromium`). The server is the binary built with this bench
//! (`WAYMARK_PAGES_BIN` runs another).
//!
//! Run: `cargo bench -p server --bench pages`.

// A benchmark's job is to print its figures.
#![allow(clippy::print_stdout)]

use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use app::api::ctx::{Accounts, Feedback};
use app::api::sharing::{Disclosure, LinkSettings};
use app::domain::template::Template;

#[path = "support/mod.rs"]
mod support;
use support::{editors, Waymark};

struct Page {
    label: &'static str,
    path: String,
    budget_kb: Option<f64>,
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (pages, cookie) = prepare(dir.path()).await;
    let site = std::env::var("WAYMARK_SITE_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../target/release-site").into());
    let site = std::fs::canonicalize(&site).unwrap_or_else(|_| site.clone().into());
    // The binary built with this bench (release), unless told otherwise.
    let bin = std::env::var("WAYMARK_PAGES_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_waymark").to_owned());
    let site = site.to_string_lossy().into_owned();
    let env = [
        ("WAYMARK_SITE_DIR", site.as_str()),
        ("WAYMARK_BIN", bin.as_str()),
    ];
    let waymark = Waymark::start_with(dir.path(), &env).await;

    let mut rows = measure(&format!("http://{}", waymark.addr), &cookie, &pages);
    // The floor: one already running, or built and started here (and stopped once measured).
    let floor = match std::env::var("WAYMARK_FLOOR_URL") {
        Ok(url) => measure(&url, "none=none", &[floor_page()]),
        Err(_) => measure(&Floor::start(dir.path()).url, "none=none", &[floor_page()]),
    }
    .into_iter()
    .next()
    .unwrap_or_default();
    rows.push(floor.clone());
    let times_floor = |row: &serde_json::Value, key: &str| {
        row[key].as_f64().unwrap_or(f64::NAN) / floor[key].as_f64().unwrap_or(f64::NAN)
    };

    println!("Pages on a phone profile (4× CPU, 1.6 Mbit/s, 150 ms RTT), empty cache; {bin}");
    println!(
        "{:<12} | {:>4} | {:>9} | {:>9} {:>9} {:>9} | {:>7} {:>8} | {:>13} | {:>9}",
        "page",
        "req",
        "wire KB",
        "raw KB",
        "gzip KB",
        "br KB",
        "paint",
        "interact",
        "× floor KB, s",
        "budget"
    );
    for row in &rows {
        let label = row["label"].as_str().unwrap_or("?");
        let kb = |key: &str| row[key].as_f64().unwrap_or(f64::NAN) / 1024.0;
        let budget = pages
            .iter()
            .find(|p| p.label == label)
            .and_then(|p| p.budget_kb)
            .map_or("—".to_owned(), |b| {
                let verdict = if kb("transfer") <= b { "ok" } else { "OVER" };
                format!("{b:.0} {verdict}")
            });
        println!(
            "{:<12} | {:>4} | {:>9.1} | {:>9.1} {:>9.1} {:>9.1} | {:>5.0}ms {:>6.0}ms | {:>5.1}× {:>5.1}× | {:>9}",
            label.trim_start_matches("anonymous-"),
            row["requests"].as_u64().unwrap_or(0),
            kb("transfer"),
            kb("raw"),
            kb("gzip"),
            kb("br"),
            row["fcp"].as_f64().unwrap_or(f64::NAN),
            row["interactive"].as_f64().unwrap_or(f64::NAN),
            times_floor(row, "transfer"),
            times_floor(row, "interactive"),
            budget,
        );
    }
}

/// One JSON row per page from `end2end/bench/pages.mjs`, run against `base`.
fn measure(base: &str, cookie: &str, pages: &[Page]) -> Vec<serde_json::Value> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../end2end");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let output = Command::new("node")
        .arg(root.join("bench/pages.mjs"))
        .arg(base)
        .arg(cookie)
        .args(pages.iter().map(|p| format!("{}={}", p.label, p.path)))
        .env("CHROMIUM", chromium)
        .current_dir(&root)
        .output()
        .expect("node (with the end-to-end packages installed)");
    assert!(
        output.status.success(),
        "pages.mjs failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn floor_page() -> Page {
    Page {
        label: "anonymous-floor",
        path: "/".into(),
        budget_kb: None,
    }
}

/// The floor's server (`benches/floor`), built with cargo-leptos into `dir` and started.
struct Floor {
    child: Child,
    url: String,
}

impl Floor {
    fn start(dir: &Path) -> Floor {
        let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/floor");
        let site = dir.join("floor-site");
        let status = with_shell_env(Command::new("cargo"))
            .args(["leptos", "build", "--release", "--precompress", "--split"])
            .env("LEPTOS_SITE_ROOT", &site)
            .current_dir(&crate_dir)
            .status()
            .expect("cargo leptos (see the README for installing it)");
        assert!(status.success(), "building the floor failed");
        assert!(
            site.join("pkg/floor.wasm").exists(),
            "the floor's build left no {}",
            site.join("pkg/floor.wasm").display()
        );
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map_or_else(|| crate_dir.join("target"), Into::into);
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port");
        let child = with_shell_env(Command::new(target.join("release/waymark-floor")))
            .env("LEPTOS_OUTPUT_NAME", "floor")
            .env("LEPTOS_SITE_ROOT", &site)
            .env("LEPTOS_SITE_PKG_DIR", "pkg")
            .env("LEPTOS_SITE_ADDR", addr.to_string())
            .spawn()
            .expect("the floor's server");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(addr).is_err() {
            assert!(
                Instant::now() < deadline,
                "the floor's server did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Floor {
            child,
            url: format!("http://{addr}"),
        }
    }
}

/// `command` with only the environment a shell would give it: under what `cargo bench` adds
/// for the bench, the floor's build left its site somewhere else than `LEPTOS_SITE_ROOT`,
/// though the same command worked from a shell.
fn with_shell_env(mut command: Command) -> Command {
    command.env_clear();
    for name in [
        "PATH",
        "HOME",
        "CARGO_HOME",
        "CARGO_TARGET_DIR",
        "RUSTUP_HOME",
        "TMPDIR",
    ] {
        if let Some(value) = std::env::var_os(name) {
            command.env(name, value);
        }
    }
    command
}

impl Drop for Floor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A customer journey map with a share link, a touchpoint collecting feedback, and an editor.
async fn prepare(dir: &Path) -> (Vec<Page>, String) {
    let backend = support::backend(&dir.join("waymark.sqlite"));
    let map = backend
        .create(None, Template::CustomerJourney, None)
        .await
        .expect("map");
    let snapshot = backend.rooms.snapshot(map).await.expect("map");
    let touchpoint = snapshot
        .map
        .cards()
        .iter()
        .find(|c| c.text.to_string().contains("Instagram"))
        .map_or(snapshot.map.cards()[0].id, |c| c.id);
    let collect = app::domain::edit::Op {
        id: app::domain::ids::OpId::from_uuid(uuid::Uuid::now_v7()),
        edit: app::domain::edit::Edit::SetCardSurvey {
            id: touchpoint,
            survey: Some(app::domain::feedback::Survey::default_for("this step")),
        },
    };
    let author = app::domain::text::Name::parse("Bench").expect("name");
    backend
        .rooms
        .submit(map, vec![collect], &author)
        .await
        .expect("a survey");
    let cookie = editors(&backend.db, map, 1).await.remove(0);
    let accounts = server::accounts::ServerAccounts::new(backend.db.clone(), backend.rooms.clone());
    let owner = app::domain::ids::UserId::from_uuid(uuid::Uuid::new_v4());
    let user = app::api::auth::User {
        id: owner,
        email: "owner@example.com".into(),
        name: "Owner".into(),
        is_admin: false,
    };
    backend
        .db
        .writer()
        .write(move |conn| {
            use server::db::accounts::{insert_user, set_member};
            insert_user(conn, &user, "-", 0)?;
            set_member(conn, map, user.id, Some(app::domain::access::Role::Owner))
        })
        .await
        .expect("an owner");
    let settings = LinkSettings {
        label: app::domain::text::Name::parse("Bench").expect("name"),
        days: None,
        password: None,
        shows: Disclosure::default(),
    };
    let link = accounts
        .create_share_link(map, owner, settings)
        .await
        .expect("a share link");
    let feedback = server::feedback::ServerFeedback::new(backend.db.clone(), backend.rooms.clone());
    let form = feedback
        .form_token(map, touchpoint, false)
        .await
        .expect("a form");
    let pages = vec![
        Page {
            label: "anonymous-form",
            path: format!("/f/{form}"),
            budget_kb: Some(30.0),
        },
        Page {
            label: "anonymous-thanks",
            path: format!("/f/{form}/thanks"),
            budget_kb: Some(30.0),
        },
        Page {
            label: "anonymous-share",
            path: format!("/s/{}", link.token),
            budget_kb: Some(150.0),
        },
        Page {
            label: "anonymous-embed",
            path: format!("/embed/{}", link.token),
            budget_kb: Some(150.0),
        },
        Page {
            label: "anonymous-sign-in",
            path: "/login".into(),
            budget_kb: None,
        },
        Page {
            label: "editor",
            path: format!("/maps/{map}"),
            budget_kb: Some(400.0),
        },
    ];
    (pages, cookie)
}
