//! The home page's journey landscape: the filters and sort above the maps, each map's figures
//! line, and its "Status & tags" menu. The selection itself is `api::landscape::Query`.

use leptos::prelude::*;

use crate::api::hierarchy::{cards_of, SetParent};
use crate::api::landscape::{Entry, Family, Query, Related, SetCatalog, Sort};
use crate::domain::catalog::{Catalog, Status, MAX_TAGS, MAX_TAG_CHARS};
use crate::domain::ids::MapId;
use crate::ui::map::scores::describe;

/// Every distinct value `values` gives over `entries`, sorted.
fn distinct(entries: &[Entry], values: impl Fn(&Entry) -> Vec<String>) -> Vec<String> {
    let mut all: Vec<String> = entries.iter().flat_map(values).collect();
    all.sort_by_key(|v| v.to_lowercase());
    all.dedup();
    all
}

/// A `<select>` of "any" and `options`, setting `set` (None for "any").
#[component]
pub fn Choice(
    label: &'static str,
    any: &'static str,
    options: Vec<(String, String)>,
    value: Signal<String>,
    set: Callback<Option<String>>,
) -> impl IntoView {
    view! {
        <label class="field">
            <span>{label}</span>
            <select on:change=move |ev| {
                let value = event_target_value(&ev);
                set.run((!value.is_empty()).then_some(value));
            }>
                <option value="" selected=move || value.with(String::is_empty)>{any}</option>
                {options
                    .into_iter()
                    .map(|(key, text)| {
                        let chosen = key.clone();
                        view! { <option value=key selected=move || value.with(|v| *v == chosen)>{text}</option> }
                    })
                    .collect_view()}
            </select>
        </label>
    }
}

/// The filters and sort over the landscape.
#[component]
pub fn Filters(entries: Vec<Entry>, query: RwSignal<Query>) -> impl IntoView {
    let pairs = |values: Vec<String>| values.into_iter().map(|v| (v.clone(), v)).collect();
    let tags = pairs(distinct(&entries, |e| {
        e.map.catalog.tags.iter().map(|t| t.to_string()).collect()
    }));
    let owners = pairs(distinct(&entries, |e| e.map.owners.clone()));
    let personas = pairs(distinct(&entries, |e| e.personas.clone()));
    let statuses = Status::ALL
        .into_iter()
        .map(|s| (s.key().to_owned(), s.label().to_owned()))
        .collect();
    let shown = move || {
        let query = query.get();
        let count = query.select(&entries).len();
        crate::ui::format::count(count, "map", "maps")
    };
    view! {
        <div class="landscape-filters" role="search" aria-label="Filter maps">
            <label class="field grow">
                <span>"Search"</span>
                <input
                    type="search"
                    placeholder="Title, tag, owner or persona"
                    prop:value=move || query.with(|q| q.text.clone())
                    on:input=move |ev| query.update(|q| q.text = event_target_value(&ev))
                />
            </label>
            <Choice label="Status" any="Current (not archived)" options=statuses
                value=Signal::derive(move || query.with(|q| q.status.map(|s| s.key().to_owned()).unwrap_or_default()))
                set=Callback::new(move |v: Option<String>| query.update(|q| q.status = v.as_deref().and_then(Status::from_key)))/>
            <Choice label="Tag" any="Any tag" options=tags
                value=Signal::derive(move || query.with(|q| q.tag.clone().unwrap_or_default()))
                set=Callback::new(move |v| query.update(|q| q.tag = v))/>
            <Choice label="Owner" any="Anyone" options=owners
                value=Signal::derive(move || query.with(|q| q.owner.clone().unwrap_or_default()))
                set=Callback::new(move |v| query.update(|q| q.owner = v))/>
            <Choice label="Persona" any="Any persona" options=personas
                value=Signal::derive(move || query.with(|q| q.persona.clone().unwrap_or_default()))
                set=Callback::new(move |v| query.update(|q| q.persona = v))/>
            <label class="field">
                <span>"Sort by"</span>
                <select on:change=move |ev| {
                    let sort = Sort::from_key(&event_target_value(&ev)).unwrap_or_default();
                    query.update(|q| q.sort = sort);
                }>
                    {Sort::ALL
                        .into_iter()
                        .map(|s| view! { <option value=s.key() selected=move || query.with(|q| q.sort == s)>{s.label()}</option> })
                        .collect_view()}
                </select>
            </label>
            <label class="check">
                <input type="checkbox" prop:checked=move || query.with(|q| q.pain_only)
                    on:change=move |ev| query.update(|q| q.pain_only = event_target_checked(&ev))/>
                "Measured pain"
            </label>
            <label class="check">
                <input type="checkbox" prop:checked=move || query.with(|q| q.below_target_only)
                    on:change=move |ev| query.update(|q| q.below_target_only = event_target_checked(&ev))/>
                "Below target"
            </label>
            <label class="check">
                <input type="checkbox" prop:checked=move || query.with(|q| q.due_only)
                    on:change=move |ev| query.update(|q| q.due_only = event_target_checked(&ev))/>
                "Review due"
            </label>
            <p class="muted shown" role="status">{shown}</p>
        </div>
    }
}

/// A map's figures line: status, tags, owners, personas, score, conversion, pain.
#[component]
pub fn FiguresLine(entry: Entry) -> impl IntoView {
    let status = entry.map.catalog.status;
    let tags = entry.map.catalog.tags.clone();
    let owners =
        (!entry.map.owners.is_empty()).then(|| format!("Owner: {}", entry.map.owners.join(", ")));
    let personas =
        (!entry.personas.is_empty()).then(|| format!("Persona: {}", entry.personas.join(", ")));
    let score = match &entry.score {
        Some(score) if score.estimate.is_some() => describe(score),
        _ if entry.responses > 0 => format!("{} answers, too few for a score", entry.responses),
        _ => "No feedback yet".to_owned(),
    };
    let conversion = entry.conversion.map(|c| {
        format!(
            "{:.0}% reach the last stage (95% interval {:.0}–{:.0}%, of {})",
            c.value(),
            c.low(),
            c.high(),
            c.n()
        )
    });
    let pain = entry.measured_pain().then(|| {
        let mut why = Vec::new();
        if entry.pain_points > 0 {
            why.push(crate::ui::format::count(
                entry.pain_points as usize,
                "touchpoint scoring significantly low",
                "touchpoints scoring significantly low",
            ));
        }
        if entry.drop_off {
            why.push("a significant drop-off".to_owned());
        }
        format!("Measured pain: {}", why.join(" and "))
    });
    view! {
        <p class="figures">
            <span class=format!("status-badge status-{}", status.key())>{status.label()}</span>
            {tags.into_iter().map(|t| view! { <span class="tag">{t.to_string()}</span> }).collect_view()}
            {owners.map(|o| view! { <span>{o}</span> })}
            {personas.map(|p| view! { <span>{p}</span> })}
            <span class="figure">{score}</span>
            {conversion.map(|c| view! { <span class="figure">{c}</span> })}
            {pain.map(|p| view! { <span class="pain">{p}</span> })}
            {entry.targets.into_iter().map(|(standing, text)| {
                let below = standing == Some(crate::domain::targets::Standing::Below);
                view! { <span class="figure" class:pain=below>{text}</span> }
            }).collect_view()}
        </p>
    }
}

/// The "Status & tags" menu of a map.
#[component]
pub fn CatalogMenu(
    id: MapId,
    catalog: Catalog,
    title: String,
    action: ServerAction<SetCatalog>,
) -> impl IntoView {
    let tags = catalog
        .tags
        .iter()
        .map(|t| t.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    view! {
        <details class="review-menu catalog-menu">
            <summary class="button ghost" aria-label=format!("Status and tags of {title}")>"Status & tags"</summary>
            <div class="review-panel">
                <ActionForm action>
                    <input type="hidden" name="id" value=id.to_string()/>
                    <label class="field">
                        <span>"Status"</span>
                        <select name="status">
                            {Status::ALL
                                .into_iter()
                                .map(|s| view! {
                                    <option value=s.key() selected=s == catalog.status>{s.label()}</option>
                                })
                                .collect_view()}
                        </select>
                    </label>
                    <label class="field">
                        <span>{format!("Tags (comma-separated, up to {MAX_TAGS})")}</span>
                        <input type="text" name="tags" value=tags maxlength=MAX_TAGS * (MAX_TAG_CHARS + 2)/>
                    </label>
                    <button type="submit" class="button primary">"Save"</button>
                </ActionForm>
            </div>
        </details>
    }
}

/// Where a map stands among the others: the maps above it (a sub-journey's breadcrumb), the
/// as-is map it redesigns, and its own sub-journeys with their headline figures.
#[component]
pub fn FamilyLine(id: MapId, family: Family) -> impl IntoView {
    let Family {
        breadcrumb,
        children,
        as_is,
    } = family;
    let link = |r: &Related| view! { <a href=format!("/maps/{}", r.id)>{r.title.clone()}</a> };
    let crumbs = (!breadcrumb.is_empty()).then(|| {
        let place = breadcrumb.last().map(|p| {
            let stage = p.stage.as_ref().map(|s| format!(" · {s} stage"));
            let card = p.card.as_ref().map(|c| format!(" · \u{201c}{c}\u{201d}"));
            format!("{}{}", stage.unwrap_or_default(), card.unwrap_or_default())
        });
        view! {
            <span class="crumbs">
                "Sub-journey of "
                {breadcrumb
                    .iter()
                    .enumerate()
                    .map(|(i, r)| view! { {(i > 0).then_some(" › ")}{link(r)} })
                    .collect_view()}
                {place}
            </span>
        }
    });
    let redesign = as_is.map(|r| {
        view! {
            <span>
                "To-be of "{link(&r)}" · "
                <a href=format!("/maps/{id}/compare")>"Compare with as-is"</a>
            </span>
        }
    });
    let below = (!children.is_empty()).then(|| {
        view! {
            <span>
                "Sub-journeys: "
                {children
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        let stage = match (&r.stage, &r.card) {
                            (Some(s), Some(c)) => Some(format!(" ({s}: \u{201c}{c}\u{201d})")),
                            (Some(s), None) => Some(format!(" ({s})")),
                            (None, Some(c)) => Some(format!(" (\u{201c}{c}\u{201d})")),
                            (None, None) => None,
                        };
                        let figure = r.headline.as_ref().map(|s| format!(" — {}", describe(s)));
                        view! { {(i > 0).then_some("; ")}{link(r)}{stage}{figure} }
                    })
                    .collect_view()}
            </span>
        }
    });
    let any = crumbs.is_some() || redesign.is_some() || below.is_some();
    any.then(|| view! { <p class="figures family">{crumbs}{redesign}{below}</p> })
}

/// The "Sub-journey of" menu: the map (and its stage, or one of its cards) this one details,
/// or none. The chosen map's cards are fetched when it is chosen.
#[component]
pub fn ParentMenu(
    id: MapId,
    title: String,
    current: Option<MapId>,
    all: StoredValue<Vec<Entry>>,
    action: ServerAction<SetParent>,
) -> impl IntoView {
    let chosen = RwSignal::new(current.map(|c| c.to_string()).unwrap_or_default());
    // The form is drawn only while the menu is open: each row listing every other map would
    // make the landscape's page grow with the square of the number of maps.
    let open = RwSignal::new(false);
    let form = move || {
        let others: Vec<(String, String)> = all.with_value(|all| {
            all.iter()
                .filter(|e| e.map.id != id)
                .map(|e| (e.map.id.to_string(), e.map.title.clone()))
                .collect()
        });
        let stages = move || {
            let parent = chosen.get();
            all.with_value(|all| {
                all.iter()
                    .find(|e| e.map.id.to_string() == parent)
                    .map(|e| e.stages.clone())
                    .unwrap_or_default()
            })
        };
        let stage = RwSignal::new(String::new());
        let cards = LocalResource::new(move || {
            let parent = chosen.get().parse::<MapId>().ok();
            async move {
                match parent {
                    Some(parent) => cards_of(parent).await.unwrap_or_default(),
                    None => Vec::new(),
                }
            }
        });
        let stage_cards = move || {
            let stage = stage.get();
            cards
                .get()
                .unwrap_or_default()
                .into_iter()
                .filter(|(_, s, _)| s.to_string() == stage)
                .map(|(card, _, text)| view! { <option value=card.to_string()>{text}</option> })
                .collect_view()
        };
        view! {
            <ActionForm action>
                <input type="hidden" name="map" value=id.to_string()/>
                <label class="field">
                    <span>"Parent map"</span>
                    <select name="parent" on:change=move |ev| {
                        chosen.set(event_target_value(&ev));
                        stage.set(String::new());
                    }>
                        <option value="" selected=current.is_none()>"None: a map of its own"</option>
                        {others
                            .into_iter()
                            .map(|(key, text)| {
                                let selected = current.map(|c| c.to_string()) == Some(key.clone());
                                view! { <option value=key selected=selected>{text}</option> }
                            })
                            .collect_view()}
                    </select>
                </label>
                <label class="field">
                    <span>"Stage it details"</span>
                    <select name="stage" on:change=move |ev| stage.set(event_target_value(&ev))>
                        <option value="">"The whole map"</option>
                        {move || stages()
                            .into_iter()
                            .map(|(stage, name)| view! { <option value=stage.to_string()>{name}</option> })
                            .collect_view()}
                    </select>
                </label>
                <label class="field" hidden=move || stage.get().is_empty()>
                    <span>"Card it details"</span>
                    <select name="card">
                        <option value="">"The whole stage"</option>
                        {stage_cards}
                    </select>
                </label>
                <button type="submit" class="button primary">"Save"</button>
            </ActionForm>
        }
    };
    view! {
        <details
            class="review-menu parent-menu"
            on:toggle=move |ev| open.set(event_target::<web_sys::Element>(&ev).has_attribute("open"))
        >
            <summary class="button ghost" aria-label=format!("Sub-journey of, for {title}")>"Sub-journey of…"</summary>
            <div class="review-panel">{move || open.get().then(form)}</div>
        </details>
    }
}
