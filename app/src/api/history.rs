//! Server functions for a map's history: the list of changes, the map at a past revision, and
//! named versions.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::error::AppError;
use crate::api::maps::MapSnapshot;
use crate::domain::ids::{MapId, Rev};
use crate::domain::time::Millis;

/// Changes returned per history request; older ones come with `before`.
pub const HISTORY_PAGE: usize = 100;

/// One change in a map's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub rev: Rev,
    pub at: Millis,
    pub author: String,
    pub summary: String,
}

/// A revision someone gave a name, like "before the Q3 workshop".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    pub rev: Rev,
    pub name: String,
    pub author: String,
    pub created_at: Millis,
}

/// The newest changes before revision `before` (or the newest of all), newest first.
#[server]
pub async fn map_history(id: MapId, before: Option<Rev>) -> Result<Vec<HistoryEntry>, AppError> {
    use crate::api::ctx::{authorize, backend};
    use crate::domain::access::Capability;
    authorize(id, Capability::View).await?;
    backend()?.history(id, before, HISTORY_PAGE).await
}

/// The map as it was right after revision `rev`.
#[server]
pub async fn map_at(id: MapId, rev: Rev) -> Result<MapSnapshot, AppError> {
    use crate::api::ctx::{authorize, backend};
    use crate::domain::access::Capability;
    authorize(id, Capability::View).await?;
    backend()?.map_at(id, rev).await
}

/// Names revision `rev` of a map.
#[server]
pub async fn name_version(id: MapId, rev: Rev, name: String) -> Result<Version, AppError> {
    use crate::api::ctx::{author_name, authorize, backend};
    use crate::domain::access::Capability;
    use crate::domain::text::Name;

    authorize(id, Capability::Edit).await?;
    let name = Name::parse(&name).map_err(|e| AppError::invalid("name", e))?;
    backend()?.name_version(id, rev, name, author_name()).await
}

/// A map's named versions, newest first.
#[server]
pub async fn list_versions(id: MapId) -> Result<Vec<Version>, AppError> {
    use crate::api::ctx::{authorize, backend};
    use crate::domain::access::Capability;
    authorize(id, Capability::View).await?;
    backend()?.list_versions(id).await
}
