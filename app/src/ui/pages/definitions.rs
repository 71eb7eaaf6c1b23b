//! The home page's shared metric definitions (`/?view=metrics`) and channels
//! (`/?view=channels`), kept by `api::definitions`. Part of the home page's code, like the
//! persona library.

use leptos::prelude::*;

use crate::api::definitions::{
    library_definitions, ApplyMetric, Definitions, DeleteChannel, DeleteMetric, MapChoice,
    MetricEntry, SaveChannel, SaveMetric,
};
use crate::api::error::AppError;
use crate::domain::definitions::{LibraryChannel, MetricDefinition};
use crate::domain::targets::Measure;
use crate::domain::text::{MAX_NAME_CHARS, MAX_TEXT_CHARS};
use crate::ui::erase::{Erase, Erased};
use crate::ui::pages::clear_once_added;
use crate::ui::resource::resource;

/// The first error among `results` (each an action's last outcome), for the page's notice.
fn first_error(results: [Option<Result<(), AppError>>; 3]) -> Option<AppError> {
    results.into_iter().flatten().find_map(Result::err)
}

/// Loads the definitions (with the unlisted channel labels when `labels`) again whenever
/// `versions` change, and shows `contents` of them.
fn shelf(
    labels: bool,
    versions: impl Fn() -> [usize; 3] + Send + Sync + 'static,
    failure: impl Fn() -> Option<AppError> + Send + Sync + Copy + 'static,
    contents: impl Fn(Definitions) -> Erased + Send + Sync + Copy + 'static,
) -> impl IntoView {
    let loaded = resource(versions, move |_| library_definitions(labels));
    view! {
        <Show when=move || failure().is_some()>
            <p class="notice error" role="alert">{move || failure().map(|e| format!("Not saved: {e}"))}</p>
        </Show>
        <Transition fallback=|| view! { <p class="loading">"Loading the library…"</p> }>
            {move || Suspend::new(async move {
                match loaded.await {
                    Ok(defs) => contents(defs),
                    Err(err) => view! {
                        <p class="notice error" role="alert">{format!("Couldn't load the library: {err}")}</p>
                    }
                        .erase(),
                }
            })}
        </Transition>
    }
}

#[derive(Clone, Copy)]
struct MetricActions {
    save: ServerAction<SaveMetric>,
    apply: ServerAction<ApplyMetric>,
    delete: ServerAction<DeleteMetric>,
}

#[component]
pub fn MetricsView() -> impl IntoView {
    let actions = MetricActions {
        save: ServerAction::new(),
        apply: ServerAction::new(),
        delete: ServerAction::new(),
    };
    let versions = move || {
        [
            actions.save.version().get(),
            actions.apply.version().get(),
            actions.delete.version().get(),
        ]
    };
    let failure = move || {
        first_error([
            actions.save.value().get().map(|r| r.map(|_| ())),
            actions.apply.value().get(),
            actions.delete.value().get(),
        ])
    };
    let contents = move |defs: Definitions| {
        let Definitions { metrics, maps, .. } = defs;
        let empty = metrics.is_empty();
        view! {
            {empty.then(|| view! {
                <div class="empty-state">
                    <p class="empty-title">"No metric definitions yet"</p>
                    <p>"Define one below: what it measures, how, and the target it is held to."</p>
                </div>
            })}
            <ul class="library-personas">
                {metrics
                    .into_iter()
                    .map(|entry| view! { <Metric entry maps=maps.clone() actions/> })
                    .collect_view()}
            </ul>
            <details class="library-new">
                <summary class="button">"New metric"</summary>
                <MetricForm metric=None action=actions.save/>
            </details>
        }
        .erase()
    };
    view! {
        <section class="map-list library" aria-labelledby="metrics-heading">
            <h2 id="metrics-heading">"Metric definitions"</h2>
            <p class="muted">
                "Metrics defined once, each with its target, and taken as targets by many maps. \
                 Changing a metric's target here changes it on every map that took it; a map that \
                 sets its own target there stops following."
            </p>
            {shelf(false, versions, failure, contents)}
        </section>
    }
}

/// One metric definition: what it is, where it is a target, and taking it on another map.
#[component]
fn Metric(entry: MetricEntry, maps: Vec<MapChoice>, actions: MetricActions) -> impl IntoView {
    let MetricEntry {
        metric,
        used_on,
        hidden_uses,
    } = entry;
    let id = metric.id;
    let name = metric.name.to_string();
    // Every place it can be taken: each map's whole map, then its stages.
    let places: Vec<(String, crate::domain::ids::MapId, String)> = maps
        .iter()
        .flat_map(|m| {
            std::iter::once((format!("{} — whole map", m.title), m.id, String::new())).chain(
                m.stages
                    .iter()
                    .map(|(s, stage)| (format!("{} — {stage}", m.title), m.id, s.to_string())),
            )
        })
        .collect();
    let chosen = RwSignal::new(0usize);
    let options = places.clone();
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some((_, map, stage)) = options.get(chosen.get_untracked()) {
            actions.apply.dispatch(ApplyMetric {
                id,
                map: *map,
                stage: stage.clone(),
            });
        }
    };
    let hidden = (hidden_uses > 0).then(|| {
        view! { <li class="muted">{crate::ui::format::count(hidden_uses, "map you cannot see", "maps you cannot see")}</li> }
    });
    let used = !used_on.is_empty() || hidden_uses > 0;
    view! {
        <li class="library-persona">
            <h3>{name.clone()}</h3>
            <p><strong>{metric.target_text()}</strong></p>
            {(!metric.description.as_str().is_empty()).then(|| view! { <p class="muted">{metric.description.to_string()}</p> })}
            <details class="library-edit">
                <summary class="button ghost" aria-label=format!("Edit {name}")>"Edit"</summary>
                <MetricForm metric=Some(metric.clone()) action=actions.save/>
            </details>
            <h4>"Target of"</h4>
            {(!used).then(|| view! { <p class="muted">"No map yet."</p> })}
            <ul class="library-uses">
                {used_on
                    .into_iter()
                    .map(|(map, title)| view! { <li><a href=format!("/maps/{map}")>{title}</a></li> })
                    .collect_view()}
                {hidden}
            </ul>
            {(!places.is_empty()).then(|| view! {
                <form class="inline-form" on:submit=apply>
                    <label class="field">
                        <span>{format!("Make {name} a target of")}</span>
                        <select on:change=move |ev| chosen.set(event_target_value(&ev).parse().unwrap_or(0))>
                            {places
                                .iter()
                                .enumerate()
                                .map(|(i, (label, _, _))| view! { <option value=i.to_string()>{label.clone()}</option> })
                                .collect_view()}
                        </select>
                    </label>
                    <button type="submit" class="button small">"Set target"</button>
                </form>
            })}
            <ActionForm action=actions.delete>
                <input type="hidden" name="id" value=id.to_string()/>
                <button type="submit" class="button small ghost danger" aria-label=format!("Delete {name} from the library")>
                    "Delete from library"
                </button>
            </ActionForm>
        </li>
    }
}

/// A metric's name, measure, description and target; saving an existing one changes every
/// target taken from it.
#[component]
fn MetricForm(metric: Option<MetricDefinition>, action: ServerAction<SaveMetric>) -> impl IntoView {
    let value = |f: fn(&MetricDefinition) -> String| metric.as_ref().map(f).unwrap_or_default();
    let button = if metric.is_some() {
        "Save everywhere"
    } else {
        "Add to library"
    };
    let measure = metric.as_ref().map_or(Measure::Nps, |m| m.measure);
    let form = NodeRef::new();
    if metric.is_none() {
        clear_once_added(move || matches!(action.value().get(), Some(Ok(_))), form);
    }
    let (id, name, target, description) = (
        value(|m| m.id.to_string()),
        value(|m| m.name.to_string()),
        value(|m| m.value().to_string()),
        value(|m| m.description.to_string()),
    );
    view! {
        <ActionForm action node_ref=form attr:class="library-form">
            <input type="hidden" name="id" value=id/>
            <label class="field">
                <span>"Name"</span>
                <input type="text" name="name" required maxlength=MAX_NAME_CHARS value=name/>
            </label>
            <label class="field">
                <span>"Measure"</span>
                <select name="measure">
                    {Measure::ALL
                        .into_iter()
                        .map(|m| view! { <option value=m.key() selected=m == measure>{m.label()}</option> })
                        .collect_view()}
                </select>
            </label>
            <label class="field">
                <span>"Target"</span>
                <input type="text" inputmode="decimal" name="target" required placeholder="e.g. +30, 80%, 5.5"
                    value=target/>
            </label>
            <label class="field">
                <span>"How it is measured"</span>
                <textarea name="description" maxlength=MAX_TEXT_CHARS rows="2">{description}</textarea>
            </label>
            <button type="submit" class="button primary">{button}</button>
        </ActionForm>
    }
}

#[derive(Clone, Copy)]
struct ChannelActions {
    save: ServerAction<SaveChannel>,
    delete: ServerAction<DeleteChannel>,
}

#[component]
pub fn ChannelsView() -> impl IntoView {
    let actions = ChannelActions {
        save: ServerAction::new(),
        delete: ServerAction::new(),
    };
    let versions = move || {
        [
            actions.save.version().get(),
            actions.delete.version().get(),
            0,
        ]
    };
    let failure = move || {
        first_error([
            actions.save.value().get().map(|r| r.map(|_| ())),
            actions.delete.value().get(),
            None,
        ])
    };
    let contents = move |defs: Definitions| {
        let Definitions {
            channels,
            unlisted_labels,
            may_edit_channels: admin,
            ..
        } = defs;
        let empty = channels.is_empty();
        view! {
            {empty.then(|| view! {
                <div class="empty-state">
                    <p class="empty-title">"No shared channels yet"</p>
                    <p>"Feedback and events keep the channel labels they arrive with."</p>
                </div>
            })}
            <ul class="library-personas">
                {channels
                    .into_iter()
                    .map(|channel| view! { <Channel channel admin actions/> })
                    .collect_view()}
            </ul>
            {(!unlisted_labels.is_empty()).then(|| view! {
                <h3>"Labels in your maps' feedback that no channel answers to"</h3>
                <p class="muted">"Add them to a channel as its other labels, so new answers are stored under its name."</p>
                <ul class="library-uses">
                    {unlisted_labels.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}
                </ul>
            })}
            {match admin {
                true => view! {
                    <details class="library-new">
                        <summary class="button">"New channel"</summary>
                        <ChannelForm channel=None action=actions.save/>
                    </details>
                }
                    .erase(),
                false => view! { <p class="muted">"Only admins change the channels."</p> }.erase(),
            }}
        }
        .erase()
    };
    view! {
        <section class="map-list library" aria-labelledby="channels-heading">
            <h2 id="channels-heading">"Channels"</h2>
            <p class="muted">
                "The organisation's channels, by one name on every map. Feedback and events that \
                 arrive with any of a channel's other labels are stored under its name, from the \
                 moment it is saved; what was stored before keeps its label."
            </p>
            {shelf(true, versions, failure, contents)}
        </section>
    }
}

#[component]
fn Channel(channel: LibraryChannel, admin: bool, actions: ChannelActions) -> impl IntoView {
    let name = channel.name.clone();
    let aliases = match channel.aliases.is_empty() {
        true => "No other labels".to_owned(),
        false => format!("Also arrives as: {}", channel.aliases.join(", ")),
    };
    let id = channel.id;
    view! {
        <li class="library-persona">
            <h3>{name.clone()}</h3>
            <p>{aliases}</p>
            {(!channel.description.as_str().is_empty()).then(|| view! { <p class="muted">{channel.description.to_string()}</p> })}
            {admin.then(|| view! {
                <details class="library-edit">
                    <summary class="button ghost" aria-label=format!("Edit {name}")>"Edit"</summary>
                    <ChannelForm channel=Some(channel.clone()) action=actions.save/>
                </details>
                <ActionForm action=actions.delete>
                    <input type="hidden" name="id" value=id.to_string()/>
                    <button type="submit" class="button small ghost danger" aria-label=format!("Delete {name} from the library")>
                        "Delete from library"
                    </button>
                </ActionForm>
            })}
        </li>
    }
}

#[component]
fn ChannelForm(
    channel: Option<LibraryChannel>,
    action: ServerAction<SaveChannel>,
) -> impl IntoView {
    let value = |f: fn(&LibraryChannel) -> String| channel.as_ref().map(f).unwrap_or_default();
    let (id, name, aliases, description) = (
        value(|c| c.id.to_string()),
        value(|c| c.name.clone()),
        value(|c| c.aliases.join(", ")),
        value(|c| c.description.to_string()),
    );
    let form = NodeRef::new();
    if channel.is_none() {
        clear_once_added(move || matches!(action.value().get(), Some(Ok(_))), form);
    }
    view! {
        <ActionForm action node_ref=form attr:class="library-form">
            <input type="hidden" name="id" value=id/>
            <label class="field">
                <span>"Name"</span>
                <input type="text" name="name" required maxlength="60" value=name/>
            </label>
            <label class="field">
                <span>"Other labels it arrives as (comma separated)"</span>
                <input type="text" name="aliases" placeholder="e.g. ios, android" value=aliases/>
            </label>
            <label class="field">
                <span>"Description"</span>
                <textarea name="description" maxlength=MAX_TEXT_CHARS rows="2">{description}</textarea>
            </label>
            <button type="submit" class="button primary">"Save channel"</button>
        </ActionForm>
    }
}
