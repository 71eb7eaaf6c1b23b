//! `--metrics-addr`: Prometheus metrics on an address of their own. Against the real binary,
//! since the recorder is process-wide and the tests share a process.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::binary::{backend, edit_round_trips, editors, map_socket, Http, Waymark};
use crate::support::http;

fn free_port() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
}

async fn scrape(addr: SocketAddr) -> String {
    let reply = http(addr, "GET", "/metrics", &[], "").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body
}

/// The sum of metric `name`'s series whose labels include each of `labels` (`key="value"`).
fn value(text: &str, name: &str, labels: &[&str]) -> f64 {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.rsplit_once(' '))
        .filter(|(series, _)| {
            let (metric, rest) = series.split_once('{').unwrap_or((series, ""));
            metric == name && labels.iter().all(|l| rest.contains(l))
        })
        .filter_map(|(_, v)| v.parse::<f64>().ok())
        .sum()
}

/// Scrapes until `done` holds (what is recorded after an answer was sent may lag a moment).
async fn scrape_until(addr: SocketAddr, what: &str, done: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = scrape(addr).await;
        if done(&text) {
            return text;
        }
        assert!(Instant::now() < deadline, "{what}; last scrape:\n{text}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn metrics_are_served_apart_and_move_with_requests_edits_and_answers() {
    let dir = tempfile::tempdir().unwrap();
    let (map, card, key, cookie) = {
        let backend = backend(&dir.path().join("waymark.sqlite"));
        let setup = crate::feedback::setup(backend).await;
        let key = crate::feedback::api_key(&setup).await;
        let cookie = editors(&setup.backend.db, setup.map, 1).await.remove(0);
        setup.backend.db.flush().await.unwrap();
        (setup.map, setup.touchpoints[0].0, key, cookie)
    };
    let metrics = free_port();
    let server = Waymark::start_with(
        dir.path(),
        &[("WAYMARK_METRICS_ADDR", metrics.to_string().as_str())],
    )
    .await;

    let before = scrape(metrics).await;
    assert!(value(&before, "waymark_database_size_bytes", &[]) > 0.0);
    let healthz = ["route=\"/healthz\"", "status=\"200\"", "method=\"GET\""];
    let export = ["route=\"/maps/{id}/export/{format}\"", "status=\"401\""];

    // A request, counted under its route's template and status.
    assert_eq!(
        http(server.addr, "GET", "/healthz", &[], "").await.status,
        200
    );
    let path = format!("/maps/{map}/export/json");
    assert_eq!(http(server.addr, "GET", &path, &[], "").await.status, 401);
    // An edit over the live socket, counted while the socket is open, timed to its commit.
    let socket = map_socket(server.addr, map, &cookie).await.unwrap();
    scrape_until(metrics, "the open socket is counted", |t| {
        value(t, "waymark_live_connections", &[]) == 1.0
    })
    .await;
    edit_round_trips(server.addr, map, &[card], &[cookie], 1).await;
    drop(socket);
    // An answer through the responses API.
    let answer = json!({ "touchpoint": card, "nps": 9 }).to_string();
    let mut api = Http::connect(server.addr).await;
    let path = format!("/api/v1/maps/{map}/responses");
    assert_eq!(api.post(&path, &key, answer.as_bytes()).await.unwrap(), 201);

    let after = scrape_until(metrics, "the edit's commit is timed", |t| {
        value(t, "waymark_edit_commit_seconds_count", &[])
            > value(&before, "waymark_edit_commit_seconds_count", &[])
            && value(t, "waymark_live_connections", &[]) == 0.0
    })
    .await;
    let moved =
        |name: &str, labels: &[&str]| value(&after, name, labels) - value(&before, name, labels);
    assert_eq!(
        moved("waymark_http_requests_total", &healthz),
        1.0,
        "{after}"
    );
    assert_eq!(
        moved("waymark_http_requests_total", &export),
        1.0,
        "{after}"
    );
    assert_eq!(
        moved(
            "waymark_http_requests_total",
            &["route=\"/ws/maps/{id}\"", "status=\"101\""]
        ),
        2.0,
        "{after}"
    );
    let api_route = ["route=\"/api/v1/maps/{id}/responses\"", "status=\"201\""];
    assert_eq!(moved("waymark_http_requests_total", &api_route), 1.0);
    let api_source = ["source=\"api\""];
    assert_eq!(
        moved("waymark_feedback_responses_stored_total", &api_source),
        1.0
    );
    assert!(
        moved("waymark_writer_batch_jobs_count", &[]) >= 2.0,
        "{after}"
    );
    assert!(after.contains("waymark_writer_queued_jobs "), "{after}");
    assert!(after.contains("waymark_edit_commit_seconds_bucket{le=\"0.005\"}"));
    // Ids and secrets stay out of the labels.
    for secret in [map.to_string(), key.clone(), card.to_string()] {
        assert!(!after.contains(&secret), "{secret} in\n{after}");
    }

    // Only the metrics address serves them.
    let public = http(server.addr, "GET", "/metrics", &[], "").await;
    assert_eq!(public.status, 404);
}

/// The listening TCP sockets process `pid` holds (Linux: its descriptors, looked up in the
/// kernel's socket tables).
fn listening_sockets(pid: u32) -> usize {
    let inodes: HashSet<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter_map(|link| {
            let link = link.to_string_lossy().into_owned();
            Some(link.strip_prefix("socket:[")?.strip_suffix(']')?.to_owned())
        })
        .collect();
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|table| std::fs::read_to_string(table).ok())
        .flat_map(|table| {
            table
                .lines()
                .skip(1)
                .map(|l| l.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
                .collect::<Vec<_>>()
        })
        // Field 3 is the state (0A: listening), field 9 the socket's inode.
        .filter(|f| {
            f.get(3).map(String::as_str) == Some("0A")
                && f.get(9).is_some_and(|i| inodes.contains(i))
        })
        .count()
}

#[tokio::test]
async fn metrics_are_off_by_default_and_an_address_in_use_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = Waymark::start(dir.path()).await;
    assert_eq!(
        listening_sockets(server.child.id()),
        1,
        "only the public port"
    );
    drop(server);

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let at = taken.local_addr().unwrap().to_string();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_waymark"))
        .arg("serve")
        .env("WAYMARK_ADDR", free_port().to_string())
        .env("WAYMARK_DATA_DIR", dir.path())
        .env("WAYMARK_SITE_DIR", dir.path())
        .env("WAYMARK_LOG", "error")
        .env("WAYMARK_METRICS_ADDR", &at)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.contains(&format!("cannot serve metrics on {at}")),
        "{said}"
    );
}
