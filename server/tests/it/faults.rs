//! Storage faults against the real server: the database busy (another connection holding the
//! write lock past the busy timeout), the disk full (`PRAGMA max_page_count`), a writer job that
//! panics. For each: the editor is told its edits were not saved, nothing unsaved is shown to
//! anyone (page loads and catch-ups included), nothing acknowledged is lost, the edits are sent
//! again and land once the database takes writes, every replica converges, and `/readyz` says
//! how the server stands.

use std::time::Duration;

use app::domain::edit::{Edit, Op};
use app::domain::ids::{MapId, OpId, Rev};
use app::domain::protocol::{ClientMsg, ServerMsg};
use app::domain::sync::Replica;
use app::domain::template::Template;
use app::domain::text::{Name, Text};
use server::backend::ServerBackend;
use server::db::StoreError;

use crate::support::{hold_writer, http, new_map, op, Client, Disk, Running};

fn rename(title: &str) -> Op {
    op(Edit::RenameMap {
        title: Name::parse(title).unwrap(),
    })
}

struct World {
    disk: Disk,
    backend: ServerBackend,
    server: Running,
    id: MapId,
}

async fn world() -> World {
    let disk = Disk::new();
    let backend = disk.open();
    let id = new_map(&backend, Template::CustomerJourney).await;
    let server = disk.serve(backend.clone()).await;
    World {
        disk,
        backend,
        server,
        id,
    }
}

impl World {
    /// A browser's view of the map: its replica, kept by what the server sends.
    async fn join(&self, name: &str) -> (Client, Replica) {
        let committed = self.backend.rooms.snapshot(self.id).await.unwrap();
        let (client, welcome) = Client::connect(&self.server, self.id, committed.rev, name).await;
        assert!(matches!(welcome, ServerMsg::Welcome { map: None, .. }));
        (client, Replica::new(committed.map, committed.rev))
    }

    async fn page(&self) -> String {
        let page = http(
            self.server.addr,
            "GET",
            &format!("/maps/{}", self.id),
            &[],
            "",
        )
        .await;
        assert_eq!(page.status, 200);
        page.body
    }

    async fn readyz(&self) -> (u16, String) {
        let reply = http(self.server.addr, "GET", "/readyz", &[], "").await;
        (reply.status, reply.body)
    }

    /// What the log holds, read from the file by a connection of the test's own.
    fn logged(&self) -> Vec<(i64, String)> {
        let conn = rusqlite::Connection::open(self.disk.path().join("waymark.sqlite")).unwrap();
        let mut stmt = conn
            .prepare("SELECT rev, op_id FROM ops WHERE map_id = ?1 ORDER BY rev")
            .unwrap();
        stmt.query_map([self.id.to_string()], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }
}

/// Reads messages until `until` says stop, keeping `replica` up to date with what was applied.
async fn follow(
    client: &mut Client,
    replica: &mut Replica,
    mut until: impl FnMut(&ServerMsg) -> bool,
) -> ServerMsg {
    loop {
        let msg = client.next_not_peers().await;
        if let ServerMsg::Applied { log } = &msg {
            for logged in log {
                replica.confirm(logged).expect("a gap-free log");
            }
        }
        if until(&msg) {
            return msg;
        }
    }
}

/// Whether a browser's replica shows the server's map (the time of the last edit, which the
/// server stamps, aside).
fn shows(replica: &Replica, server: &app::domain::map::JourneyMap) -> bool {
    let mut seen = replica.view().clone();
    seen.updated_at = server.updated_at;
    &seen == server
}

fn not_saved(msg: &ServerMsg) -> Option<&[OpId]> {
    match msg {
        ServerMsg::NotSaved { ops, retry_ms } => {
            assert!(*retry_ms > 0);
            Some(ops)
        }
        _ => None,
    }
}

fn applied_up_to(rev: Rev) -> impl FnMut(&ServerMsg) -> bool {
    move |msg| matches!(msg, ServerMsg::Applied { log } if log.last().is_some_and(|l| l.rev >= rev))
}

#[tokio::test]
async fn a_busy_database_refuses_edits_shows_none_of_them_and_takes_them_when_free() {
    let w = world().await;
    let (mut alice, mut alices) = w.join("Alice").await;
    let (mut bob, mut bobs) = w.join("Bob").await;
    let start = alices.rev();

    // Someone else holds the write lock past the writer's busy timeout.
    let outsider = rusqlite::Connection::open(w.disk.path().join("waymark.sqlite")).unwrap();
    outsider.execute_batch("BEGIN IMMEDIATE").unwrap();

    let (phantom, next) = (rename("Phantom"), rename("Built on it"));
    alice
        .send(&ClientMsg::Submit {
            ops: vec![phantom.clone()],
        })
        .await;
    // Sent before Alice hears back: it may build on the first, so it is not saved either.
    alice
        .send(&ClientMsg::Submit {
            ops: vec![next.clone()],
        })
        .await;

    // While the write waits: nobody sees it, on a page load, a catch-up or a live socket.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!w.page().await.contains("Phantom"));
    let (mut carol, welcome) = Client::connect(&w.server, w.id, start, "Carol").await;
    assert!(matches!(welcome, ServerMsg::Welcome { rev, map: None, .. } if rev == start));

    let first = follow(&mut alice, &mut alices, |m| not_saved(m).is_some()).await;
    assert_eq!(not_saved(&first).unwrap(), [phantom.id]);
    let second = follow(&mut alice, &mut alices, |m| not_saved(m).is_some()).await;
    assert_eq!(not_saved(&second).unwrap(), [next.id]);
    // Busy: the writer cannot even take the lock to check.
    let (status, why) = w.readyz().await;
    assert_eq!(status, 503, "{why}");
    assert!(!w.page().await.contains("Phantom"));
    assert!(w.logged().is_empty(), "nothing was saved");

    // The lock goes; Alice's browser sends both again, in order, and they land once each.
    outsider.execute_batch("ROLLBACK").unwrap();
    alice
        .send(&ClientMsg::Submit {
            ops: vec![phantom.clone(), next.clone()],
        })
        .await;
    let end = Rev(start.0 + 2);
    follow(&mut alice, &mut alices, applied_up_to(end)).await;
    follow(&mut bob, &mut bobs, applied_up_to(end)).await;
    // Carol, who joined during the fault, hears exactly the two edits, as revisions 1 and 2.
    let mut heard = Vec::new();
    while heard.len() < 2 {
        if let ServerMsg::Applied { log } = carol.next_not_peers().await {
            heard.extend(log.iter().map(|l| (l.rev, l.op.id)));
        }
    }
    assert_eq!(
        heard,
        [(Rev(start.0 + 1), phantom.id), (end, next.id)],
        "no revision means two different edits"
    );

    let server_map = w.backend.rooms.snapshot(w.id).await.unwrap();
    assert_eq!(server_map.rev, end);
    assert!(shows(&alices, &server_map.map));
    assert!(shows(&bobs, &server_map.map));
    assert_eq!(w.logged().len(), 2);
    assert_eq!(w.readyz().await, (200, "ready".to_owned()));
}

#[tokio::test]
async fn a_full_disk_refuses_edits_until_there_is_room_again() {
    let w = world().await;
    let (mut alice, mut alices) = w.join("Alice").await;
    let (mut bob, mut bobs) = w.join("Bob").await;
    let card = alices.view().cards()[0].id;

    // The file may not grow: SQLite answers SQLITE_FULL as soon as a write needs a new page.
    crate::support::room_on_disk(&w.backend.db, Some(0)).await;

    // Long edits, acknowledged one by one, until one no longer fits.
    let mut acknowledged = Vec::new();
    let refused = loop {
        assert!(acknowledged.len() < 50, "the disk never filled");
        let text: String = (0..5_000)
            .map(|i| char::from(b'a' + ((i * 7 + acknowledged.len() * 13) % 26) as u8))
            .collect();
        let edit = op(Edit::SetCardText {
            id: card,
            text: Text::parse(&text).unwrap(),
        });
        alice
            .send(&ClientMsg::Submit {
                ops: vec![edit.clone()],
            })
            .await;
        let answer = follow(&mut alice, &mut alices, |m| {
            not_saved(m).is_some() || matches!(m, ServerMsg::Applied { .. })
        })
        .await;
        if not_saved(&answer).is_some() {
            break edit;
        }
        acknowledged.push(edit.id);
    };
    let (status, why) = w.readyz().await;
    assert_eq!(status, 503, "{why}");
    assert!(why.contains("full"), "{why}");
    let stored: Vec<String> = w.logged().into_iter().map(|(_, op)| op).collect();
    let acked: Vec<String> = acknowledged.iter().map(ToString::to_string).collect();
    assert_eq!(
        stored, acked,
        "what was acknowledged, and only that, is saved"
    );

    // Room again: the refused edit is sent again and lands.
    crate::support::room_on_disk(&w.backend.db, None).await;
    alice
        .send(&ClientMsg::Submit {
            ops: vec![refused.clone()],
        })
        .await;
    let end = Rev(acknowledged.len() as u64 + 1);
    follow(&mut alice, &mut alices, applied_up_to(end)).await;
    follow(&mut bob, &mut bobs, applied_up_to(end)).await;
    let server_map = w.backend.rooms.snapshot(w.id).await.unwrap();
    assert_eq!(server_map.rev, end);
    assert!(shows(&alices, &server_map.map));
    assert!(shows(&bobs, &server_map.map));
    assert_eq!(w.logged().last().unwrap().1, refused.id.to_string());
    assert_eq!(w.readyz().await, (200, "ready".to_owned()));
}

#[tokio::test]
async fn a_writer_job_that_panics_is_rolled_back_and_everyone_else_goes_on() {
    let w = world().await;
    let (mut alice, mut alices) = w.join("Alice").await;
    let (mut bob, mut bobs) = w.join("Bob").await;

    // The panicking job shares a batch with Alice's edit: one job holds the writer while both
    // queue behind it.
    let (release, hold) = hold_writer(&w.backend, |_| Ok(())).await;
    let id = w.id;
    let panicking = w
        .backend
        .db
        .writer()
        .enqueue(move |conn| -> Result<(), StoreError> {
            conn.execute("DELETE FROM maps WHERE id = ?1", [id.to_string()])?;
            panic!("injected fault")
        })
        .await
        .unwrap();
    let edit = rename("After the fault");
    alice
        .send(&ClientMsg::Submit {
            ops: vec![edit.clone()],
        })
        .await;
    while w.backend.rooms.waiting_for_the_database(w.id) == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    release.send(()).unwrap();
    hold.committed().await.unwrap();

    // The job's caller hears of it; its change (deleting the map) is rolled back.
    let err = panicking.committed().await.unwrap_err();
    assert!(err.to_string().contains("injected fault"), "{err}");
    let end = Rev(alices.rev().0 + 1);
    follow(&mut alice, &mut alices, applied_up_to(end)).await;
    follow(&mut bob, &mut bobs, applied_up_to(end)).await;
    let server_map = w.backend.rooms.snapshot(w.id).await.unwrap();
    assert!(shows(&alices, &server_map.map));
    assert!(shows(&bobs, &server_map.map));
    assert!(w.page().await.contains("After the fault"));

    // The writer carries on, and says what it survived.
    let more = rename("And on");
    alice
        .send(&ClientMsg::Submit {
            ops: vec![more.clone()],
        })
        .await;
    follow(&mut bob, &mut bobs, applied_up_to(end.next())).await;
    assert_eq!(w.logged().len(), 2);
    let (status, body) = w.readyz().await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        "ready (the database writer recovered from 1 failed jobs)"
    );
}
