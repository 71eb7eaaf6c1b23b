//! Operations: backups taken while the server writes, and shutting down without losing
//! anything acknowledged.

use std::collections::HashSet;

use app::api::audit::AuditQuery;
use app::domain::edit::Edit;
use app::domain::ids::{CardId, OpId, Rev};
use app::domain::map::Card;
use app::domain::position::Position;
use app::domain::protocol::{ClientMsg, ServerMsg};
use app::domain::template::Template;
use app::domain::text::Text;
use server::db::{self, Db};
use server::service::Service;
use uuid::Uuid;

use server::state::SiteConfig;

use crate::support::{admin_cookie, new_map, op, Client, Disk};

fn add_card(map: &app::domain::map::JourneyMap, n: usize) -> app::domain::edit::Op {
    op(Edit::AddCard {
        card: Card {
            id: CardId::from_uuid(Uuid::new_v4()),
            stage: map.stages()[n % map.stages().len()].id,
            lane: map.lanes()[0].id,
            position: Position::first(),
            text: Text::parse(&format!("Card {n}")).unwrap(),
            channel: None,
            emotion: None,
            evidence: None,
            survey: None,
        },
    })
}

#[tokio::test]
async fn a_backup_taken_during_writes_restores_to_a_consistent_database() {
    let disk = Disk::new();
    let backend = disk.open();
    let id = new_map(&backend, Template::Blank).await;
    let map = backend.rooms.snapshot(id).await.unwrap().map;

    let writers: Vec<_> = (0..3)
        .map(|w| {
            let (backend, map) = (backend.clone(), map.clone());
            tokio::spawn(async move {
                for n in 0..150 {
                    let edit = add_card(&map, w * 1000 + n);
                    backend
                        .rooms
                        .submit(id, vec![edit], &crate::support::author("writer"))
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    // Back up while the writers are busy.
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    let source = disk.path().join("waymark.sqlite");
    let target = disk.path().join("backup.sqlite");
    let (src, dst) = (source.clone(), target.clone());
    let bytes = tokio::task::spawn_blocking(move || db::backup(&src, &dst))
        .await
        .unwrap()
        .unwrap();
    assert!(bytes > 0);
    for writer in writers {
        writer.await.unwrap();
    }

    // The copy is a database of its own, consistent at some revision between 0 and 450.
    assert_eq!(db::check_restorable(&target).unwrap(), db::latest_schema());
    let (copy, fresh) = Db::open(&target).unwrap();
    assert!(!fresh);
    let stored = copy.load_map(id).await.unwrap();
    assert!(stored.rev <= Rev(450));
    assert_eq!(
        stored.map.cards().len() as u64,
        stored.rev.0,
        "one card per logged revision"
    );
    assert_eq!(stored.op_ids.len() as u64, stored.rev.0);
    let live = backend.rooms.snapshot(id).await.unwrap();
    assert_eq!(live.rev, Rev(450));
}

#[tokio::test]
async fn shutting_down_during_writes_loses_nothing_acknowledged() {
    let disk = Disk::new();
    let database = disk.path().join("waymark.sqlite");
    let service = Service::open(&database, disk.path(), SiteConfig::default())
        .await
        .unwrap();
    let cookie = admin_cookie(&service.state.backend).await;
    let map = service.state.backend.db.list_maps(None).await.unwrap()[0].id;
    let template = service.state.rooms.snapshot(map).await.unwrap().map;
    let (addr_tx, addr_rx) = tokio::sync::oneshot::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(service.run(
        ([127, 0, 0, 1], 0).into(),
        move |addr| {
            let _ = addr_tx.send(addr);
        },
        async move {
            let _ = stop_rx.await;
        },
    ));
    let addr = addr_rx.await.unwrap();

    // Two editors send operations one after another and note each acknowledgement.
    let editors: Vec<_> = (0..2)
        .map(|e| {
            let (template, cookie) = (template.clone(), cookie.clone());
            tokio::spawn(async move {
                let (mut client, _) =
                    Client::connect_to(addr, map, Rev(0), "Editor", Some(&cookie)).await;
                let mut acknowledged = Vec::new();
                let mut goodbye = None;
                for n in 0.. {
                    let edit = add_card(&template, e * 10_000 + n);
                    let id = edit.id;
                    client.send(&ClientMsg::Submit { ops: vec![edit] }).await;
                    loop {
                        match client.next().await {
                            ServerMsg::Applied { log } if log.iter().any(|l| l.op.id == id) => {
                                acknowledged.push(id);
                                break;
                            }
                            ServerMsg::Closing { reason, retry_ms } => {
                                goodbye = Some((reason, retry_ms));
                                break;
                            }
                            _ => {}
                        }
                    }
                    if goodbye.is_some() {
                        break;
                    }
                }
                (acknowledged, goodbye)
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    stop_tx.send(()).unwrap();
    server.await.unwrap().unwrap();

    let mut acknowledged: HashSet<OpId> = HashSet::new();
    for editor in editors {
        let (acks, goodbye) = editor.await.unwrap();
        let (reason, retry_ms) = goodbye.expect("the server says goodbye before closing");
        assert!(
            reason.contains("restarting") && retry_ms > 0,
            "{reason} {retry_ms}"
        );
        assert!(!acks.is_empty());
        acknowledged.extend(acks);
    }
    let (db, _) = Db::open(&database).unwrap();
    let logged: HashSet<OpId> = db
        .load_map(map)
        .await
        .unwrap()
        .op_ids
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let lost: Vec<_> = acknowledged.difference(&logged).collect();
    assert!(lost.is_empty(), "acknowledged but not stored: {lost:?}");
}

#[tokio::test]
async fn restore_keeps_the_old_database_whole_with_its_newest_commits() {
    let disk = Disk::new();
    let backend = disk.open();
    let id = new_map(&backend, Template::Blank).await;
    let backup = disk.path().join("backup.sqlite");
    let (src, dst) = (disk.path().join("waymark.sqlite"), backup.clone());
    tokio::task::spawn_blocking(move || db::backup(&src, &dst))
        .await
        .unwrap()
        .unwrap();
    drop(backend);

    // A commit that lives only in the write-ahead log: a connection that never checkpoints,
    // left open (as a server killed mid-flight leaves it).
    let live = rusqlite::Connection::open(disk.path().join("waymark.sqlite")).unwrap();
    live.query_row("PRAGMA wal_autocheckpoint = 0", [], |_| Ok(()))
        .unwrap();
    live.execute(
        "UPDATE maps SET title = 'Newest title' WHERE id = ?1",
        [id.to_string()],
    )
    .unwrap();
    assert!(
        std::fs::metadata(disk.path().join("waymark.sqlite-wal"))
            .unwrap()
            .len()
            > 0
    );
    std::mem::forget(live);

    let status = std::process::Command::new(env!("CARGO_BIN_EXE_waymark"))
        .arg("restore")
        .arg(&backup)
        .env("WAYMARK_DATA_DIR", disk.path())
        .env("WAYMARK_LOG", "error")
        .status()
        .unwrap();
    assert!(status.success());

    // The copy set aside has the newest commit.
    let kept = std::fs::read_dir(disk.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.strip_prefix("waymark.sqlite.before-restore-")
                .is_some_and(|stamp| stamp.chars().all(|c| c.is_ascii_digit()))
        })
        .expect("the previous database is kept");
    let conn = rusqlite::Connection::open(&kept).unwrap();
    let title: String = conn
        .query_row(
            "SELECT title FROM maps WHERE id = ?1",
            [id.to_string()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(title, "Newest title");
    // And the restored database is the backup's.
    let restored = rusqlite::Connection::open(disk.path().join("waymark.sqlite")).unwrap();
    let title: String = restored
        .query_row(
            "SELECT title FROM maps WHERE id = ?1",
            [id.to_string()],
            |r| r.get(0),
        )
        .unwrap();
    assert_ne!(title, "Newest title");
    drop(restored);

    // The next start records the restore in the audit log, once.
    assert!(disk.path().join(server::audit::RESTORE_NOTE).exists());
    let database = disk.path().join("waymark.sqlite");
    for _ in 0..2 {
        let service = Service::open(&database, disk.path(), SiteConfig::default())
            .await
            .unwrap();
        let logged = service
            .db
            .read(|conn| {
                server::db::audit::page(conn, &AuditQuery::default(), 10).map(|page| page.entries)
            })
            .await
            .unwrap();
        let restores: Vec<_> = logged
            .iter()
            .filter(|row| row.action == "database_restored")
            .collect();
        assert_eq!(restores.len(), 1, "{logged:?}");
        let detail = restores[0].detail.as_deref().unwrap();
        assert!(detail.contains("backup.sqlite"), "{detail}");
        assert!(
            detail.contains("waymark.sqlite.before-restore-"),
            "{detail}"
        );
        service.db.flush().await.unwrap();
    }
    assert!(!disk.path().join(server::audit::RESTORE_NOTE).exists());
}
