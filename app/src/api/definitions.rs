//! The library's metric definitions and channels (`domain::definitions`), and the server
//! functions that keep them.
//!
//! - Anyone signed in may add a metric definition; changing or deleting one that maps use needs
//!   the right to edit each of them (the change reaches their targets). Taking one as a target
//!   needs the right to edit that map.
//! - Channels decide the label every map's incoming feedback and events are stored under, so
//!   only admins change them.
//!
//! The audit log records each change (`library_changed`, and `targets_changed` per map).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::error::AppError;
use crate::domain::definitions::{LibraryChannel, MetricDefinition};
use crate::domain::ids::{LibraryId, MapId, StageId};

/// A metric definition, with the maps the caller can see that took it as a target.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricEntry {
    pub metric: MetricDefinition,
    pub used_on: Vec<(MapId, String)>,
    /// Maps the caller cannot see use it too (their count).
    pub hidden_uses: usize,
}

/// A map the caller may edit, with its stages: where a metric can be taken as a target.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MapChoice {
    pub id: MapId,
    pub title: String,
    pub stages: Vec<(StageId, String)>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Definitions {
    pub metrics: Vec<MetricEntry>,
    pub channels: Vec<LibraryChannel>,
    pub maps: Vec<MapChoice>,
    /// Channel labels the caller's maps' feedback carries that no channel answers to.
    pub unlisted_labels: Vec<String>,
    /// Whether the caller may change the channels.
    pub may_edit_channels: bool,
}

/// How many of the caller's maps are read for the labels their feedback carries.
#[cfg(feature = "ssr")]
const LABEL_MAPS: usize = 100;

/// The library's metric definitions and channels, as the caller sees them; with `labels`, the
/// channel labels of their maps' feedback that no channel answers to (the Channels tab's list,
/// which reads the figures of up to `LABEL_MAPS` maps).
#[server]
pub async fn library_definitions(#[server(default)] labels: bool) -> Result<Definitions, AppError> {
    use crate::api::ctx::{accounts, backend, feedback, require_user};
    use crate::api::feedback::Filter;
    use crate::domain::access::Capability;
    use crate::domain::definitions::ChannelNames;

    let user = require_user()?;
    let (backend, accounts) = (backend()?, accounts()?);
    let listed = backend.list_maps(&user).await?;
    let mut defs = Definitions {
        channels: backend.channel_library().await?,
        may_edit_channels: user.is_admin,
        ..Definitions::default()
    };
    let all_uses = backend.metric_uses().await?;
    for metric in backend.metric_library().await? {
        let uses = maps_using(&all_uses, metric.id);
        let used_on: Vec<_> = listed
            .iter()
            .filter(|m| uses.contains(&m.id))
            .map(|m| (m.id, m.title.clone()))
            .collect();
        defs.metrics.push(MetricEntry {
            hidden_uses: uses.len() - used_on.len(),
            metric,
            used_on,
        });
    }
    let names = ChannelNames::new(&defs.channels);
    let wanted = labels;
    let mut labels = std::collections::BTreeSet::new();
    for (i, map) in listed.iter().enumerate() {
        let role = accounts.role(&user, map.id).await?;
        if role.is_some_and(|r| r.may(Capability::Edit)) {
            let outline = backend.outline_of(map.id).await?;
            defs.maps.push(MapChoice {
                id: map.id,
                title: map.title.clone(),
                stages: outline.stages,
            });
        }
        if wanted && i < LABEL_MAPS {
            let figures = feedback()?.map_feedback(map.id, Filter::default()).await?;
            labels.extend(figures.channels.into_iter().filter(|label| {
                let mut renamed = Some(label.clone());
                names.rename(&mut renamed);
                renamed.as_deref() == Some(label.as_str())
                    && !defs.channels.iter().any(|c| c.name == *label)
            }));
        }
    }
    defs.unlisted_labels = labels.into_iter().collect();
    Ok(defs)
}

/// Checks the caller may edit every map that took metric definition `id` as a target; returns
/// the caller and those maps.
#[cfg(feature = "ssr")]
async fn may_change_metric(
    id: LibraryId,
) -> Result<(crate::domain::ids::UserId, Vec<MapId>), AppError> {
    use crate::api::ctx::{accounts, backend, require_user};
    use crate::domain::access::Capability;

    let user = require_user()?;
    let uses = maps_using(&backend()?.metric_uses().await?, id);
    for map in &uses {
        let role = accounts()?.role(&user, *map).await?;
        if !role.is_some_and(|r| r.may(Capability::Edit)) {
            return Err(AppError::Invalid {
                field: String::new(),
                message: "this metric is a target of maps you may not edit; ask their owners"
                    .into(),
            });
        }
    }
    Ok((user.id, uses))
}

/// The maps among `uses` (`Backend::metric_uses`) with a target taken from definition `id`.
#[cfg(feature = "ssr")]
fn maps_using(uses: &[(LibraryId, MapId)], id: LibraryId) -> Vec<MapId> {
    uses.iter()
        .filter_map(|&(metric, map)| (metric == id).then_some(map))
        .collect()
}

/// The definition or channel `id` of a library shelf, or `NotFound`.
#[cfg(feature = "ssr")]
fn by_id<T>(shelf: Vec<T>, id: LibraryId, id_of: impl Fn(&T) -> LibraryId) -> Result<T, AppError> {
    shelf
        .into_iter()
        .find(|item| id_of(item) == id)
        .ok_or(AppError::NotFound)
}

/// An existing definition's or channel's id among `existing`, or a new one when `raw` is empty and
/// the library has room.
#[cfg(feature = "ssr")]
fn library_id(
    raw: &str,
    existing: impl ExactSizeIterator<Item = LibraryId>,
    what: &str,
) -> Result<LibraryId, AppError> {
    use crate::domain::definitions::MAX_DEFINITIONS;
    let mut existing = existing;
    match raw {
        "" if existing.len() >= MAX_DEFINITIONS => Err(AppError::Invalid {
            field: String::new(),
            message: format!("the library holds at most {MAX_DEFINITIONS} {what}"),
        }),
        "" => Ok(LibraryId::from_uuid(uuid::Uuid::new_v4())),
        raw => raw
            .parse::<LibraryId>()
            .ok()
            .filter(|id| existing.any(|e| e == *id))
            .ok_or(AppError::NotFound),
    }
}

/// Records a change of the library, and of each map's targets it changed.
#[cfg(feature = "ssr")]
async fn record_change(detail: String, maps: &[MapId]) {
    use crate::api::audit::Action;
    use crate::api::ctx::{record, AuditEvent};
    for map in maps {
        record(
            AuditEvent::by_caller(Action::TargetsChanged)
                .on_map(*map)
                .detail(detail.clone()),
        )
        .await;
    }
    record(AuditEvent::by_caller(Action::LibraryChanged).detail(detail)).await;
}

/// Adds a metric definition (`id` empty) or changes one; a change reaches every target taken
/// from it. Returns its id.
#[server]
pub async fn save_metric(
    #[server(default)] id: String,
    name: String,
    measure: String,
    #[server(default)] description: String,
    target: String,
) -> Result<LibraryId, AppError> {
    use crate::api::ctx::{backend, require_user};
    use crate::domain::targets::Measure;
    use crate::domain::text::{Name, Text};

    require_user()?;
    let backend = backend()?;
    let existing = backend.metric_library().await?;
    let id = library_id(id.trim(), existing.iter().map(|m| m.id), "metrics")?;
    let name = Name::parse(&name).map_err(|e| AppError::invalid("name", e))?;
    let measure = Measure::from_key(&measure).ok_or_else(|| AppError::Invalid {
        field: "measure".into(),
        message: format!("no measure is called {measure:?}"),
    })?;
    let description = Text::parse(&description).map_err(|e| AppError::invalid("description", e))?;
    // As people write targets: "+30", "80%".
    let value = target
        .trim()
        .trim_end_matches('%')
        .trim_end()
        .parse::<f64>()
        .map_err(|_| AppError::Invalid {
            field: "target".into(),
            message: "enter the target as a number".into(),
        })?;
    let metric = MetricDefinition::new(id, name, measure, description, value)
        .map_err(|e| AppError::invalid("target", e))?;
    let user = may_change_metric(id).await?.0;
    let detail = format!("Metric {}: {}", metric.name.as_str(), metric.target_text());
    let changed = backend
        .save_metric(metric, user, format!("Target: {detail}"))
        .await?;
    record_change(detail, &changed).await;
    Ok(id)
}

/// Takes metric definition `id` as map `map`'s target on `stage` (empty: the whole map),
/// replacing the target it had there for the same measure.
#[server]
pub async fn apply_metric(
    id: LibraryId,
    map: MapId,
    #[server(default)] stage: String,
) -> Result<(), AppError> {
    use crate::api::ctx::{authorize, backend};
    use crate::api::history::keep_beside;
    use crate::domain::access::Capability;
    use crate::domain::beside::Beside;
    use crate::domain::targets::check;

    let (user, _) = authorize(map, Capability::Edit).await?;
    let backend = backend()?;
    let metric = by_id(backend.metric_library().await?, id, |m| m.id)?;
    let current = backend.load_map(map).await?.map;
    let stage = match stage.trim() {
        "" => None,
        raw => Some(
            raw.parse::<StageId>()
                .ok()
                .filter(|s| current.stage(*s).is_some())
                .ok_or_else(|| AppError::Invalid {
                    field: "stage".into(),
                    message: "choose a stage of the map".into(),
                })?,
        ),
    };
    let mut targets = backend.targets_of(map).await?;
    targets.retain(|t| !(t.stage == stage && t.measure == metric.measure));
    targets.push(metric.target_on(stage));
    check(&targets).map_err(|e| AppError::invalid("stage", e))?;
    let scope = stage
        .and_then(|s| current.stage(s))
        .map_or("Whole map".to_owned(), |s| s.name.to_string());
    let detail = format!(
        "{scope}: {} (metric {})",
        metric.target_text(),
        metric.name.as_str()
    );
    keep_beside(map, Beside::Targets(targets), user.id, detail).await?;
    Ok(())
}

/// Deletes metric definition `id`; the targets maps took from it stay, as their own.
#[server]
pub async fn delete_metric(id: LibraryId) -> Result<(), AppError> {
    use crate::api::ctx::{backend, require_user};

    require_user()?;
    let backend = backend()?;
    let metric = by_id(backend.metric_library().await?, id, |m| m.id)?;
    let (user, uses) = may_change_metric(id).await?;
    let detail = format!("Metric {} deleted", metric.name.as_str());
    backend
        .delete_metric(id, user, format!("Target: {detail}, kept as the map's own"))
        .await?;
    record_change(detail, &uses).await;
    Ok(())
}

/// Adds a channel (`id` empty) or changes one: its name, and the other labels (comma
/// separated) stored under it from now on. Admins only.
#[server]
pub async fn save_channel(
    #[server(default)] id: String,
    name: String,
    #[server(default)] aliases: String,
    #[server(default)] description: String,
) -> Result<LibraryId, AppError> {
    use crate::api::ctx::{backend, require_admin};
    use crate::domain::text::Text;

    require_admin()?;
    let backend = backend()?;
    let existing = backend.channel_library().await?;
    let id = library_id(id.trim(), existing.iter().map(|c| c.id), "channels")?;
    let description = Text::parse(&description).map_err(|e| AppError::invalid("description", e))?;
    let channel = LibraryChannel::new(id, &name, &aliases, description)
        .map_err(|e| AppError::invalid("name", e))?;
    let detail = match channel.aliases.is_empty() {
        true => format!("Channel {}", channel.name),
        false => format!("Channel {} ({})", channel.name, channel.aliases.join(", ")),
    };
    backend.save_channel(channel).await?;
    record_change(detail, &[]).await;
    Ok(id)
}

/// Deletes channel `id`: its labels are stored as they arrive from now on. Admins only.
#[server]
pub async fn delete_channel(id: LibraryId) -> Result<(), AppError> {
    use crate::api::ctx::{backend, require_admin};

    require_admin()?;
    let backend = backend()?;
    let channel = by_id(backend.channel_library().await?, id, |c| c.id)?;
    backend.delete_channel(id).await?;
    record_change(format!("Channel {} deleted", channel.name), &[]).await;
    Ok(())
}
