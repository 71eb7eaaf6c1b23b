//! Shared set-up: a backend over a temporary database that can be "restarted".

use std::path::Path;
use std::sync::Arc;

use app::domain::edit::{Edit, Op};
use app::domain::ids::{MapId, OpId};
use app::domain::template::Template;
use axum::serve::Listener;
use axum::Router;
use leptos::config::LeptosOptions;
use server::backend::ServerBackend;
use server::db::Db;
use server::rooms::Rooms;
use server::router::{router, AppState};
use tempfile::TempDir;
use uuid::Uuid;

/// A data directory that outlives the backends opened on it, like a server's disk.
pub struct Disk {
    pub dir: TempDir,
}

impl Disk {
    pub fn new() -> Disk {
        Disk {
            dir: tempfile::tempdir().expect("temporary directory"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Opens the database as a starting server would.
    pub fn open(&self) -> ServerBackend {
        let (db, _fresh) = Db::open(&self.path().join("waymark.sqlite")).expect("open database");
        ServerBackend {
            rooms: Rooms::new(db.clone()),
            db,
        }
    }

    pub fn router(&self, backend: ServerBackend) -> Router {
        let leptos_options = LeptosOptions::builder()
            .output_name(Arc::<str>::from("waymark"))
            .site_root(Arc::<str>::from(self.path().to_string_lossy().as_ref()))
            .build();
        router(AppState::new(leptos_options, backend))
    }
}

pub async fn new_map(backend: &ServerBackend, template: Template) -> MapId {
    backend.create(template, None).await.expect("create map")
}

pub fn op(edit: Edit) -> Op {
    Op {
        id: OpId::from_uuid(Uuid::new_v4()),
        edit,
    }
}

/// A server on a free loopback port, serving until dropped.
pub struct Running {
    pub addr: std::net::SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Disk {
    pub async fn serve(&self, backend: ServerBackend) -> Running {
        let listener = server::router::listen(([127, 0, 0, 1], 0).into())
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let app = self.router(backend);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Running { addr, task }
    }
}
