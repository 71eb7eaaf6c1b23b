//! Links between maps (`domain::hierarchy`): a map made the sub-journey of a parent map's
//! stage, a to-be map made from an as-is map, the two compared (`domain::compare`), and the
//! sub-journeys under a map with their headline figures.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::error::AppError;
use crate::api::feedback::MapFeedback;
use crate::domain::ids::{MapId, StageId};
use crate::domain::map::JourneyMap;

/// A map a person can see, as a link names it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Linked {
    pub id: MapId,
    pub title: String,
    /// The parent's stage a sub-journey details.
    pub stage: Option<StageId>,
    /// Its headline score, when the caller may see it and there is one to show.
    pub headline: Option<crate::domain::feedback::Score>,
}

/// A to-be map beside the as-is map it was made from, with what the as-is map measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AsIsToBe {
    pub as_is: JourneyMap,
    pub to_be: JourneyMap,
    pub measured: Option<MapFeedback>,
}

/// Makes a to-be map of map `id`: a copy the caller owns, titled "To-be: …", that stays linked
/// to it. Returns the new map.
#[server]
pub async fn make_to_be(id: MapId) -> Result<MapId, AppError> {
    use crate::api::ctx::{authorize, backend};
    use crate::domain::access::Capability;
    use crate::domain::hierarchy::{LinkKind, MapLink};
    use crate::domain::text::{Name, MAX_NAME_CHARS};

    let (owner, _) = authorize(id, Capability::View).await?;
    let backend = backend()?;
    let title = backend.load_map(id).await?.map.title.to_string();
    let prefix = "To-be: ";
    let room = MAX_NAME_CHARS - prefix.chars().count();
    let title = format!("{prefix}{}", title.chars().take(room).collect::<String>());
    let title = Name::parse(&title).map_err(|e| AppError::invalid("title", e))?;
    let copy = backend.duplicate_map(owner.id, id, title).await?;
    let link = MapLink {
        map: copy,
        kind: LinkKind::ToBe,
        parent: id,
        stage: None,
    };
    backend.set_link(link).await?;
    Ok(copy)
}

/// Makes map `map` a sub-journey of stage `stage` of map `parent`, or with `parent` empty a
/// map of its own again. Editors of `map` who can see `parent`.
#[server]
pub async fn set_parent(
    map: MapId,
    #[server(default)] parent: String,
    #[server(default)] stage: String,
) -> Result<(), AppError> {
    use crate::api::audit::Action;
    use crate::api::ctx::{authorize, backend, record, AuditEvent};
    use crate::domain::access::Capability;
    use crate::domain::hierarchy::{check_sub_journey, LinkKind, MapLink};

    authorize(map, Capability::Edit).await?;
    let backend = backend()?;
    let invalid = |field: &str, message: String| AppError::Invalid {
        field: field.into(),
        message,
    };
    if parent.is_empty() {
        backend.unlink(map, LinkKind::SubJourney).await?;
        record(
            AuditEvent::by_caller(Action::MapLinked)
                .on_map(map)
                .detail("no longer a sub-journey"),
        )
        .await;
        return Ok(());
    }
    let parent: MapId = parent
        .parse()
        .map_err(|_| invalid("parent", "choose a map".into()))?;
    // A parent the caller cannot see is as good as unknown.
    authorize(parent, Capability::View)
        .await
        .map_err(|_| invalid("parent", "choose a map you can see".into()))?;
    let parent_map = backend.load_map(parent).await?.map;
    let stage = match stage.as_str() {
        "" => None,
        raw => Some(
            raw.parse::<StageId>()
                .ok()
                .filter(|s| parent_map.stage(*s).is_some())
                .ok_or_else(|| invalid("stage", "choose a stage of the parent map".into()))?,
        ),
    };
    let links = backend.links().await?;
    check_sub_journey(&links, map, parent).map_err(|e| invalid("parent", e.to_string()))?;
    let stage_name = stage
        .and_then(|s| parent_map.stage(s))
        .map(|s| format!(" · {}", s.name))
        .unwrap_or_default();
    let detail = format!("sub-journey of {}{stage_name}", parent_map.title);
    backend
        .set_link(MapLink {
            map,
            kind: LinkKind::SubJourney,
            parent,
            stage,
        })
        .await?;
    record(
        AuditEvent::by_caller(Action::MapLinked)
            .on_map(map)
            .detail(detail),
    )
    .await;
    Ok(())
}

/// To-be map `id` beside its as-is map. `NotFound` when `id` is no to-be map, or its as-is map
/// is gone or hidden from the caller.
#[server]
pub async fn compare_with_as_is(id: MapId) -> Result<AsIsToBe, AppError> {
    use crate::api::ctx::{authorize, backend, feedback};
    use crate::api::feedback::Filter;
    use crate::domain::access::Capability;
    use crate::domain::hierarchy::LinkKind;

    authorize(id, Capability::View).await?;
    let backend = backend()?;
    let links = backend.links().await?;
    let link = links
        .iter()
        .find(|l| l.map == id && l.kind == LinkKind::ToBe)
        .ok_or(AppError::NotFound)?;
    let (_, role) = authorize(link.parent, Capability::View).await?;
    let measured = match role.may(Capability::ReadResponses) {
        true => feedback()?
            .map_feedback(link.parent, Filter::default())
            .await
            .ok(),
        false => None,
    };
    Ok(AsIsToBe {
        as_is: backend.load_map(link.parent).await?.map,
        to_be: backend.load_map(id).await?.map,
        measured,
    })
}

/// Map `id`'s breadcrumb (the maps above it, top first) and its sub-journeys, each with its
/// headline figure: only maps the caller can see.
#[server]
pub async fn family(id: MapId) -> Result<(Vec<Linked>, Vec<Linked>), AppError> {
    use crate::api::ctx::authorize;
    use crate::domain::access::Capability;

    let (user, _) = authorize(id, Capability::View).await?;
    lineage(id, &user).await
}

/// `family`, for a caller already allowed to see map `id` (the editor's `load_map` too).
#[cfg(feature = "ssr")]
pub(crate) async fn lineage(
    id: MapId,
    user: &crate::api::auth::User,
) -> Result<(Vec<Linked>, Vec<Linked>), AppError> {
    use crate::api::ctx::{accounts, backend, feedback};
    use crate::api::feedback::Filter;
    use crate::domain::access::Capability;
    use crate::domain::hierarchy::{ancestors, children};

    let (backend, accounts, feedback) = (backend()?, accounts()?, feedback()?);
    let links = backend.links().await?;
    let describe = |id: MapId, stage: Option<StageId>| {
        let (backend, accounts, feedback) = (&backend, &accounts, &feedback);
        async move {
            let role = accounts.role(user, id).await.ok().flatten()?;
            let title = backend.load_map(id).await.ok()?.map.title.to_string();
            let headline = match role.may(Capability::ReadResponses) {
                true => feedback
                    .map_feedback(id, Filter::default())
                    .await
                    .ok()
                    .and_then(|f| f.map.headline().filter(|s| s.estimate.is_some()).cloned()),
                false => None,
            };
            Some(Linked {
                id,
                title,
                stage,
                headline,
            })
        }
    };
    let mut above = Vec::new();
    for link in ancestors(&links, id) {
        above.extend(describe(link.parent, None).await);
    }
    let mut below = Vec::new();
    for link in children(&links, id) {
        below.extend(describe(link.map, link.stage).await);
    }
    Ok((above, below))
}
