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

/// An entry of the map's side log (`domain::beside`): a change to what is kept beside the map
/// rather than in its log (its status and tags, targets, an opportunity's triage, its links),
/// or a review.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SideChange {
    pub id: i64,
    pub at: Millis,
    /// The account's name ("A former member" once it is gone).
    pub by: String,
    pub what: String,
    /// Undoing it would be taken now: it changed a value that is still as it left it.
    pub undoable: bool,
}

/// Most side changes listed: the newest.
#[cfg(feature = "ssr")]
const SIDE_CHANGES: u32 = 200;

/// Map `id`'s side changes, newest first (the map's own edits are `map_history`).
#[server]
pub async fn side_changes(id: MapId) -> Result<Vec<SideChange>, AppError> {
    use crate::api::ctx::{accounts, authorize, backend};
    use crate::domain::access::Capability;

    let (_, role) = authorize(id, Capability::View).await?;
    let entries = backend()?.side_log(id, SIDE_CHANGES).await?;
    let users = accounts()?.users().await?;
    let may_undo = role.may(Capability::Edit);
    Ok(entries
        .into_iter()
        .map(|(entry, undoable)| SideChange {
            id: entry.id,
            at: entry.at,
            by: entry
                .by
                .and_then(|by| users.iter().find(|u| u.id == by))
                .map_or_else(|| "A former member".to_owned(), |u| u.name.clone()),
            what: entry.what,
            undoable: undoable && may_undo,
        })
        .collect())
}

/// Writes `after` beside map `map` as `by`, and records the change in the map's side log (as
/// "Target: {detail}", say) and in the audit log.
#[cfg(feature = "ssr")]
pub(crate) async fn keep_beside(
    map: MapId,
    after: crate::domain::beside::Beside,
    by: crate::domain::ids::UserId,
    detail: String,
) -> Result<(), AppError> {
    use crate::api::audit::Action;
    use crate::api::ctx::{backend, record, AuditEvent};
    use crate::domain::beside::Beside;

    let action = match after {
        Beside::Catalog(_) => Action::MapCatalogued,
        Beside::Targets(_) => Action::TargetsChanged,
        Beside::Triage(..) => Action::OpportunityTriaged,
        Beside::Parent(_) => Action::MapLinked,
    };
    let what = format!("{}: {detail}", after.label());
    backend()?.change_beside(map, after, by, what).await?;
    record(AuditEvent::by_caller(action).on_map(map).detail(detail)).await;
    Ok(())
}

/// Undoes entry `entry` of map `id`'s side log: puts back the value it replaced, as a change
/// of its own (which can be undone in turn). Refused when that value was changed again since.
#[server]
pub async fn undo_side_change(id: MapId, entry: i64) -> Result<(), AppError> {
    use crate::api::ctx::{authorize, backend};
    use crate::domain::access::Capability;
    use crate::domain::beside::Beside;

    let (user, _) = authorize(id, Capability::Edit).await?;
    let backend = backend()?;
    // Linking a map under another takes seeing that one (`set_parent`); so does linking it back.
    // (A parent since deleted is refused below, saying so.)
    if let Some((Beside::Parent(Some(link)), _)) = backend.side_entry(id, entry).await?.change {
        let hidden = authorize(link.parent, Capability::View).await.is_err();
        if hidden && backend.load_map(link.parent).await.is_ok() {
            return Err(AppError::Invalid {
                field: String::new(),
                message: "this would link the map under one you cannot see".into(),
            });
        }
    }
    backend.undo_beside(id, entry, user.id).await
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
