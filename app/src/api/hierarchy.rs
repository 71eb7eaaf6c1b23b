//! Links between maps (`domain::hierarchy`): a map made the sub-journey of a parent map's
//! stage, a to-be map made from an as-is map, the two compared (`domain::compare`), and the
//! sub-journeys under a map with their headline figures.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::error::AppError;
use crate::api::feedback::MapFeedback;
use crate::domain::ids::{CardId, MapId, StageId};
use crate::domain::map::JourneyMap;

/// A map a person can see, as a link names it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Linked {
    pub id: MapId,
    pub title: String,
    /// The parent's stage a sub-journey details.
    pub stage: Option<StageId>,
    /// The parent's card it details, if one (and the parent still has it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<CardId>,
    /// Its headline score, when the caller may see it and there is one to show.
    pub headline: Option<crate::domain::feedback::Score>,
    /// Of its customers who reached its first stage, the percentage who reached its last
    /// (`Funnel::end_to_end`), on the same terms.
    #[serde(default, deserialize_with = "crate::domain::lenient::optional")]
    pub conversion: Option<crate::domain::stats::Estimate>,
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
        card: None,
    };
    backend.set_link(link).await?;
    Ok(copy)
}

/// Makes map `map` a sub-journey of stage `stage`, or of card `card` (then on the card's
/// stage), of map `parent`; or with `parent` empty a map of its own again. Editors of `map` who
/// can see `parent`.
#[server]
pub async fn set_parent(
    map: MapId,
    #[server(default)] parent: String,
    #[server(default)] stage: String,
    #[server(default)] card: String,
) -> Result<(), AppError> {
    use crate::api::ctx::{authorize, backend};
    use crate::api::history::keep_beside;
    use crate::domain::access::Capability;
    use crate::domain::beside::Beside;
    use crate::domain::hierarchy::{check_sub_journey, LinkKind, MapLink};

    let (user, _) = authorize(map, Capability::Edit).await?;
    let backend = backend()?;
    let invalid = |field: &str, message: String| AppError::Invalid {
        field: field.into(),
        message,
    };
    if parent.is_empty() {
        let detail = "no longer a sub-journey".to_owned();
        return keep_beside(map, Beside::Parent(None), user.id, detail).await;
    }
    let parent: MapId = parent
        .parse()
        .map_err(|_| invalid("parent", "choose a map".into()))?;
    // A parent the caller cannot see is as good as unknown.
    authorize(parent, Capability::View)
        .await
        .map_err(|_| invalid("parent", "choose a map you can see".into()))?;
    let parent_map = backend.load_map(parent).await?.map;
    let card = match card.trim() {
        "" => None,
        raw => Some(
            raw.parse::<CardId>()
                .ok()
                .and_then(|c| parent_map.card(c))
                .ok_or_else(|| invalid("card", "choose a card of the parent map".into()))?,
        ),
    };
    let stage = match (card, stage.as_str()) {
        (Some(card), _) => Some(card.stage),
        (None, "") => None,
        (None, raw) => Some(
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
    let card_text = card
        .map(|c| format!(" · {}", c.excerpt()))
        .unwrap_or_default();
    let detail = format!("sub-journey of {}{stage_name}{card_text}", parent_map.title);
    let link = MapLink {
        map,
        kind: LinkKind::SubJourney,
        parent,
        stage,
        card: card.map(|c| c.id),
    };
    keep_beside(map, Beside::Parent(Some(link)), user.id, detail).await
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

/// The cards of map `id` a sub-journey may detail, stage by stage: each with its stage and
/// the start of its text.
#[server]
pub async fn cards_of(id: MapId) -> Result<Vec<(CardId, StageId, String)>, AppError> {
    use crate::api::ctx::{authorize, backend};
    use crate::domain::access::Capability;

    authorize(id, Capability::View).await?;
    let map = backend()?.load_map(id).await?.map;
    let mut cards: Vec<_> = map
        .cards()
        .iter()
        .filter(|c| !c.text.as_str().trim().is_empty())
        .map(|c| (c.id, c.stage, c.excerpt()))
        .collect();
    let place = |stage: StageId| map.stages().iter().position(|s| s.id == stage);
    cards.sort_by_key(|(_, stage, _)| place(*stage));
    Ok(cards)
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
    let describe = |id: MapId, stage: Option<StageId>, card: Option<CardId>| {
        let (backend, accounts, feedback) = (&backend, &accounts, &feedback);
        async move {
            let role = accounts.role(user, id).await.ok().flatten()?;
            let title = backend.load_map(id).await.ok()?.map.title.to_string();
            let figures = match role.may(Capability::ReadResponses) {
                true => feedback.map_feedback(id, Filter::default()).await.ok(),
                false => None,
            };
            let headline = figures
                .as_ref()
                .and_then(|f| f.map.headline().filter(|s| s.estimate.is_some()).cloned());
            let conversion = figures
                .as_ref()
                .and_then(|f| f.funnel.as_ref()?.end_to_end());
            Some(Linked {
                id,
                title,
                stage,
                card,
                headline,
                conversion,
            })
        }
    };
    let mut above = Vec::new();
    for link in ancestors(&links, id) {
        above.extend(describe(link.parent, None, None).await);
    }
    let below_links = children(&links, id);
    // A sub-journey of a card sits where the card is now; of a card since removed, on the
    // stage the card was on.
    let here = match below_links.iter().any(|l| l.card.is_some()) {
        true => Some(backend.load_map(id).await?.map),
        false => None,
    };
    let mut below = Vec::new();
    for link in below_links {
        let (stage, card) = link.place(here.as_ref());
        below.extend(describe(link.map, stage, card.map(|c| c.id)).await);
    }
    Ok((above, below))
}
