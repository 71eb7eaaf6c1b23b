//! Server functions for journey maps: list, create, rename, duplicate, delete, load. Edits
//! travel over the map's socket instead (`server::hub`).

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use crate::api::error::AppError;
use crate::domain::edit::EditError;
use crate::domain::ids::{MapId, OpId, Rev};
use crate::domain::map::JourneyMap;
use crate::domain::time::Millis;

/// A line of the home page's list of maps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapSummary {
    pub id: MapId,
    pub title: String,
    pub stage_count: u32,
    pub updated_at: Millis,
    /// Its review plan, if it has one.
    pub review: Option<crate::domain::review::Review>,
    /// Whether it is past due for review (as of the listing).
    pub review_due: bool,
    /// Its owners' names.
    #[serde(default)]
    pub owners: Vec<String>,
    /// Its status and tags.
    #[serde(default)]
    pub catalog: crate::domain::catalog::Catalog,
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
    use crate::domain::access::Capability;
    use crate::domain::edit::{Edit, Op};
    use crate::domain::text::Name;

    authorize(id, Capability::Edit).await?;
    let title = Name::parse(&title).map_err(|e| AppError::invalid("title", e))?;
    let op = Op {
        id: OpId::from_uuid(uuid::Uuid::now_v7()),
        edit: Edit::RenameMap { title },
    };
    backend()?.apply(id, op, author_name()).await
}

#[server]
pub async fn duplicate_map(id: MapId, title: String) -> Result<MapId, AppError> {
    use crate::api::ctx::{authorize, backend};
    use crate::domain::access::Capability;
    use crate::domain::text::Name;

    let (owner, _) = authorize(id, Capability::View).await?;
    let title = Name::parse(&title).map_err(|e| AppError::invalid("title", e))?;
    backend()?.duplicate_map(owner.id, id, title).await
}

#[server]
pub async fn delete_map(id: MapId) -> Result<(), AppError> {
    use crate::api::audit::Action;
    use crate::api::ctx::{authorize, backend, record, AuditEvent};
    use crate::domain::access::Capability;
    authorize(id, Capability::Delete).await?;
    backend()?.delete_map(id).await?;
    record(AuditEvent::by_caller(Action::MapDeleted).on_map(id)).await;
    Ok(())
}

/// A map opened by someone, with what they may do with it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpenMap {
    pub snapshot: MapSnapshot,
    pub role: crate::domain::access::Role,
    /// The account opening it (its name is how others see them on it).
    pub you: crate::api::auth::User,
    /// The maps above it (top first) and its sub-journeys, those the account can see, for
    /// the breadcrumb and the stages' headers (`api::hierarchy::family`).
    #[serde(default)]
    pub above: Vec<crate::api::hierarchy::Linked>,
    #[serde(default)]
    pub below: Vec<crate::api::hierarchy::Linked>,
}

// JSON in, as the editor's other server function: URL-encoded arguments would bring their
// encoder (serde_qs) into the editor's main module for this one call.
#[server(input = Json)]
pub async fn load_map(id: MapId) -> Result<OpenMap, AppError> {
    use crate::api::ctx::{authorize, backend};
    use crate::domain::access::Capability;
    // The page needs the role itself, to offer only what it allows.
    let (user, role) = authorize(id, Capability::View).await?;
    let snapshot = backend()?.load_map(id).await?;
    let (above, below) = crate::api::hierarchy::lineage(id, &user).await?;
    Ok(OpenMap {
        snapshot,
        role,
        you: user,
        above,
        below,
    })
}
