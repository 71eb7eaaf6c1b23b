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

/// A change kept beside the map rather than in its log: its status and tags, targets, an
/// opportunity's triage, its links to other maps, a review (from the audit log).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SideChange {
    pub at: Millis,
    /// The account's name ("A former member" once it is gone).
    pub by: String,
    pub what: String,
}

/// Most side changes listed: the newest.
#[cfg(feature = "ssr")]
const SIDE_CHANGES: u32 = 200;

/// Map `id`'s side changes, newest first (the map's own edits are `map_history`).
#[server]
pub async fn side_changes(id: MapId) -> Result<Vec<SideChange>, AppError> {
    use crate::api::audit::{Action, AuditQuery};
    use crate::api::ctx::{accounts, audit, authorize};
    use crate::domain::access::Capability;

    authorize(id, Capability::View).await?;
    let kind = |action: &str| {
        Some(match Action::parse(action)? {
            Action::MapCatalogued => "Status and tags",
            Action::TargetsChanged => "Target",
            Action::OpportunityTriaged => "Opportunity",
            Action::MapLinked => "Linked",
            Action::MapReviewed => "Reviewed",
            _ => return None,
        })
    };
    let query = AuditQuery {
        map: Some(id),
        ..AuditQuery::default()
    };
    let page = audit()?.log(query, SIDE_CHANGES).await?;
    let users = accounts()?.users().await?;
    Ok(page
        .entries
        .into_iter()
        .filter_map(|e| {
            let kind = kind(&e.action)?;
            let by = e
                .actor
                .as_deref()
                .and_then(|a| users.iter().find(|u| u.id.to_string() == a))
                .map_or_else(|| "A former member".to_owned(), |u| u.name.clone());
            let what = match e.detail {
                Some(detail) if !detail.is_empty() => format!("{kind}: {detail}"),
                _ => kind.to_owned(),
            };
            Some(SideChange { at: e.at, by, what })
        })
        .collect())
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
