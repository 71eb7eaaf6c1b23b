//! Server functions for journey maps: list, create, rename, duplicate, delete, load, sync.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use crate::api::error::AppError;
use crate::domain::edit::{EditError, Op};
use crate::domain::ids::{MapId, OpId, Rev};
use crate::domain::map::{JourneyMap, Millis};
use crate::domain::sync::Logged;

/// Most operations one sync request may carry; a browser sends more in several requests.
pub const MAX_OPS_PER_SYNC: usize = 500;

/// A line of the home page's list of maps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapSummary {
    pub id: MapId,
    pub title: String,
    pub stage_count: u32,
    pub updated_at: Millis,
}

/// A map as of a revision of its log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MapSnapshot {
    pub map: JourneyMap,
    pub rev: Rev,
}

/// An operation the server refused, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    pub op: OpId,
    pub error: EditError,
}

/// An operation the server had applied already, as revision `rev` (it was sent twice).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Known {
    pub op: OpId,
    pub rev: Rev,
}

/// The server's answer to a sync: its log after the browser's revision, and the refusals.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncReply {
    pub log: Vec<Logged>,
    pub rejected: Vec<Rejection>,
    #[serde(default)]
    pub known: Vec<Known>,
    /// The map's revision once the submitted operations are applied.
    pub rev: Rev,
}

#[server]
pub async fn list_maps() -> Result<Vec<MapSummary>, AppError> {
    use crate::api::ctx::{backend, require_user};
    let user = require_user()?;
    backend()?.list_maps(&user).await
}

/// Creates a map from a template and, for a plain form post, redirects to it.
#[server]
pub async fn create_map(template: String, title: String) -> Result<MapId, AppError> {
    use crate::api::ctx::{backend, require_user};
    use crate::domain::template::Template;
    use crate::domain::text::Name;

    let user = require_user()?;
    let template = Template::from_key(&template).ok_or_else(|| AppError::Invalid {
        field: "template".into(),
        message: "unknown template".into(),
    })?;
    let title = match title.trim() {
        "" => None,
        raw => Some(Name::parse(raw).map_err(|e| AppError::invalid("title", e))?),
    };
    let id = backend()?.create_map(user.id, template, title).await?;
    leptos_axum::redirect(&format!("/maps/{id}"));
    Ok(id)
}

#[server]
pub async fn rename_map(id: MapId, title: String) -> Result<(), AppError> {
    use crate::api::ctx::{author_name, authorize, backend};
    use crate::domain::access::Role;
    use crate::domain::edit::Edit;
    use crate::domain::text::Name;

    authorize(id, Role::Editor).await?;
    let title = Name::parse(&title).map_err(|e| AppError::invalid("title", e))?;
    let op = Op {
        id: OpId::from_uuid(uuid::Uuid::now_v7()),
        edit: Edit::RenameMap { title },
    };
    backend()?
        .sync_map(id, None, vec![op], author_name())
        .await?;
    Ok(())
}

#[server]
pub async fn duplicate_map(id: MapId, title: String) -> Result<MapId, AppError> {
    use crate::api::ctx::{authorize, backend};
    use crate::domain::access::Role;
    use crate::domain::text::Name;

    let owner = authorize(id, Role::Viewer).await?;
    let title = Name::parse(&title).map_err(|e| AppError::invalid("title", e))?;
    backend()?.duplicate_map(owner, id, title).await
}

#[server]
pub async fn delete_map(id: MapId) -> Result<(), AppError> {
    use crate::api::ctx::{authorize, backend};
    use crate::domain::access::Role;
    authorize(id, Role::Owner).await?;
    backend()?.delete_map(id).await
}

/// A map opened by someone, with what they may do with it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpenMap {
    pub snapshot: MapSnapshot,
    pub role: crate::domain::access::Role,
}

#[server]
pub async fn load_map(id: MapId) -> Result<OpenMap, AppError> {
    use crate::api::ctx::{accounts, backend, require_user};
    let user = require_user()?;
    // Not `authorize`: the page needs the role itself, to offer only what it allows.
    let role = accounts()?
        .role(&user, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let snapshot = backend()?.load_map(id).await?;
    Ok(OpenMap { snapshot, role })
}

/// Submits the browser's pending operations and returns the log after `since`.
#[server(input = Json)]
pub async fn sync_map(id: MapId, since: Rev, ops: Vec<Op>) -> Result<SyncReply, AppError> {
    use crate::api::ctx::{author_name, authorize, backend};
    use crate::domain::access::Role;
    authorize(id, Role::Editor).await?;
    if ops.len() > MAX_OPS_PER_SYNC {
        return Err(AppError::TooLarge(format!(
            "at most {MAX_OPS_PER_SYNC} operations per request"
        )));
    }
    backend()?
        .sync_map(id, Some(since), ops, author_name())
        .await
}
