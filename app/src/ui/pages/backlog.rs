//! The home page's opportunity backlog (`/?view=opportunities`): every opportunity card on the
//! maps a person can see, ranked by the evidence behind it, as a list or an impact/effort
//! matrix, each triaged in place. Part of the home page's code, so the map editor's first load
//! carries none of it.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::api::backlog::{opportunities, Backlog, BacklogMap, Opportunity, SetOpportunity};
use crate::domain::backlog::{quadrant, Level, Link, Reach, Status};
use crate::domain::ids::{CardId, MapId, UserId};
use crate::ui::erase::Erase;
use crate::ui::format::{count, thousands};
use crate::ui::pages::landscape::Choice;
use crate::ui::resource::resource;

/// Which opportunities show.
#[derive(Clone, Debug, Default, PartialEq)]
struct Selection {
    /// "" for open ones (not done nor dropped), "all", or a status key.
    status: String,
    /// "" for every map, or a map's id.
    map: String,
    /// "" for anyone, "-" for nobody, or an owner's name.
    owner: String,
}

impl Selection {
    fn keeps(&self, item: &Opportunity) -> bool {
        let status = match self.status.as_str() {
            "" => item.triage.status.is_open(),
            "all" => true,
            key => item.triage.status.key() == key,
        };
        let map = self.map.is_empty() || item.map.to_string() == self.map;
        let owner = match self.owner.as_str() {
            "" => true,
            "-" => item.owner.is_none(),
            name => item.owner.as_deref() == Some(name),
        };
        status && map && owner
    }
}

#[component]
pub fn BacklogView() -> impl IntoView {
    let save = ServerAction::<SetOpportunity>::new();
    let backlog = resource(move || save.version().get(), |_| opportunities());
    let selection = RwSignal::new(Selection::default());
    let matrix = RwSignal::new(false);
    let failure = move || save.value().get().and_then(Result::err);
    view! {
        <section class="map-list backlog" aria-labelledby="backlog-heading">
            <h2 id="backlog-heading">"Opportunity backlog"</h2>
            <p class="muted">
                "Every opportunity card on your maps, ranked by the evidence behind it: how far \
                 below its map each touchpoint it answers surely scores (the map's score less \
                 the top of the touchpoint's 95% interval), times the customers who reach it."
            </p>
            <Show when=move || failure().is_some()>
                <p class="notice error" role="alert">
                    {move || failure().map(|e| format!("Not saved: {e}"))}
                </p>
            </Show>
            <Transition fallback=|| view! { <p class="loading">"Loading opportunities…"</p> }>
                {move || Suspend::new(async move {
                    match backlog.await {
                        Ok(backlog) if backlog.items.is_empty() => view! {
                            <div class="empty-state">
                                <p class="empty-title">"No opportunities yet"</p>
                                <p>"Cards in a map's Opportunities lane gather here, from every map you can see."</p>
                            </div>
                        }
                            .erase(),
                        Ok(backlog) => view! { <Listing backlog selection matrix save/> }.erase(),
                        Err(err) => view! {
                            <p class="notice error" role="alert">
                                {format!("Couldn't load the opportunities: {err}")}
                            </p>
                        }
                            .erase(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Listing(
    backlog: Backlog,
    selection: RwSignal<Selection>,
    matrix: RwSignal<bool>,
    save: ServerAction<SetOpportunity>,
) -> impl IntoView {
    let backlog = StoredValue::new(backlog);
    let shown = move || {
        let selection = selection.get();
        backlog.with_value(|b| {
            let items: Vec<(usize, Opportunity)> = b
                .items
                .iter()
                .enumerate()
                .filter(|(_, item)| selection.keeps(item))
                .map(|(rank, item)| (rank + 1, item.clone()))
                .collect();
            items
        })
    };
    view! {
        <SelectionBar backlog selection matrix/>
        {move || {
            let items = shown();
            if items.is_empty() {
                return view! { <p class="empty-state">"No opportunities match these filters."</p> }.erase();
            }
            if matrix.get() {
                return view! { <Matrix items/> }.erase();
            }
            view! {
                <ol class="opportunities">
                    {items
                        .into_iter()
                        .map(|(rank, item)| {
                            let map = backlog.with_value(|b| b.map(item.map).cloned());
                            map.map(|map| view! { <Item rank item map save/> })
                        })
                        .collect_view()}
                </ol>
            }
                .erase()
        }}
    }
}

#[component]
fn SelectionBar(
    backlog: StoredValue<Backlog>,
    selection: RwSignal<Selection>,
    matrix: RwSignal<bool>,
) -> impl IntoView {
    let (maps, owners) = backlog.with_value(|b| {
        let maps: Vec<(String, String)> = b
            .maps
            .iter()
            .map(|m| (m.id.to_string(), m.title.clone()))
            .collect();
        let mut owners: Vec<String> = b.items.iter().filter_map(|i| i.owner.clone()).collect();
        owners.sort();
        owners.dedup();
        (maps, owners)
    });
    let statuses = std::iter::once(("all".to_owned(), "Any status".to_owned()))
        .chain(
            Status::ALL
                .into_iter()
                .map(|s| (s.key().to_owned(), s.label().to_owned())),
        )
        .collect();
    let owners = std::iter::once(("-".to_owned(), "Nobody".to_owned()))
        .chain(owners.into_iter().map(|o| (o.clone(), o)))
        .collect();
    let count = move || {
        let selection = selection.get();
        let n = backlog.with_value(|b| b.items.iter().filter(|i| selection.keeps(i)).count());
        count(n, "opportunity", "opportunities")
    };
    view! {
        <div class="landscape-filters" role="search" aria-label="Filter opportunities">
            <Choice label="Status" any="Open (not done or dropped)" options=statuses
                value=Signal::derive(move || selection.with(|s| s.status.clone()))
                set=Callback::new(move |v: Option<String>| selection.update(|s| s.status = v.unwrap_or_default()))/>
            <Choice label="Map" any="Every map" options=maps
                value=Signal::derive(move || selection.with(|s| s.map.clone()))
                set=Callback::new(move |v: Option<String>| selection.update(|s| s.map = v.unwrap_or_default()))/>
            <Choice label="Owner" any="Anyone" options=owners
                value=Signal::derive(move || selection.with(|s| s.owner.clone()))
                set=Callback::new(move |v: Option<String>| selection.update(|s| s.owner = v.unwrap_or_default()))/>
            <fieldset class="view-switch">
                <legend>"Show as"</legend>
                <label class="check">
                    <input type="radio" name="backlog-view" prop:checked=move || !matrix.get()
                        on:change=move |_| matrix.set(false)/>
                    "Ranked list"
                </label>
                <label class="check">
                    <input type="radio" name="backlog-view" prop:checked=move || matrix.get()
                        on:change=move |_| matrix.set(true)/>
                    "Impact × effort"
                </label>
            </fieldset>
            <p class="muted shown" role="status">{count}</p>
        </div>
    }
}

/// One opportunity in the ranked list.
#[component]
fn Item(
    rank: usize,
    item: Opportunity,
    map: BacklogMap,
    save: ServerAction<SetOpportunity>,
) -> impl IntoView {
    let triage = &item.triage;
    let sized = |name: &str, level: Option<Level>| {
        format!("{name}: {}", level.map_or("not sized", Level::label))
    };
    let facts = [
        format!("Stage: {}", item.stage),
        format!("Owner: {}", item.owner.as_deref().unwrap_or("nobody")),
        sized("Impact", triage.impact),
        sized("Effort", triage.effort),
    ];
    let quadrant = quadrant(triage);
    let evidence = &item.evidence;
    let unit = match evidence.reach {
        Reach::Customers => ("customer", "customers"),
        Reach::Answers => ("answer", "answers"),
    };
    let measured = evidence.priority > 0;
    let priority = if measured {
        format!("Evidence: {}", thousands(evidence.priority))
    } else {
        "No measured evidence yet".to_owned()
    };
    let links: Vec<String> = evidence
        .links
        .iter()
        .map(|link| describe_link(link, &map, unit))
        .collect();
    let heading = format!("{rank}. {}", item.text);
    let editable = map.editable;
    view! {
        <li class="opportunity">
            <div class="opportunity-head">
                <h3>{heading}</h3>
                <span class=format!("status-badge backlog-{}", triage.status.key())>{triage.status.label()}</span>
                <span class="priority" class:measured=measured>{priority}</span>
            </div>
            <p class="figures">
                <a href=format!("/maps/{}", map.id)>{map.title.clone()}</a>
                {facts.into_iter().map(|f| view! { <span>{f}</span> }).collect_view()}
                {quadrant.map(|q| view! { <span class="tag">{q}</span> })}
            </p>
            {(!links.is_empty()).then(|| view! {
                <ul class="evidence-links" aria-label="What it answers">
                    {links.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}
                </ul>
            })}
            {editable.then(|| view! { <TriageMenu item=item.clone() map=map.clone() save/> })}
        </li>
    }
}

/// "Purchase · Touchpoint: Checkout — CSAT 61% against the map's 84%: at least 12 points
/// below, significantly; 3,000 customers".
fn describe_link(link: &Link, map: &BacklogMap, unit: (&str, &str)) -> String {
    let label = map.label(link.card);
    let reach = || count(link.reach as usize, unit.0, unit.1);
    let (Some(score), Some(all)) = (&link.score, &link.map_score) else {
        return match link.kind {
            crate::domain::map::LaneKind::Touchpoints => format!("{label} — no score yet"),
            _ => label.to_owned(),
        };
    };
    let (Some(mine), Some(theirs)) = (score.estimate, all.estimate) else {
        return format!("{label} — too few answers for a score");
    };
    let metric = score.metric;
    let against = format!(
        "{} {} against the map's {}",
        metric.label(),
        metric.format(mine.value()),
        metric.format(theirs.value())
    );
    if link.shortfall > 0.0 {
        let surely = if link.significant {
            ", significantly"
        } else {
            ""
        };
        format!(
            "{label} — {against}: at least {:.0} points below{surely}; {}",
            link.shortfall,
            reach()
        )
    } else {
        format!("{label} — {against}: not measurably below; {}", reach())
    }
}

/// The opportunity's triage form, in a menu.
#[component]
fn TriageMenu(
    item: Opportunity,
    map: BacklogMap,
    save: ServerAction<SetOpportunity>,
) -> impl IntoView {
    let status = RwSignal::new(item.triage.status);
    let owner = RwSignal::new(item.triage.owner);
    let impact = RwSignal::new(item.triage.impact);
    let effort = RwSignal::new(item.triage.effort);
    let links = RwSignal::new(item.triage.links.clone());
    let (map_id, card): (MapId, CardId) = (item.map, item.card);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let key = |level: Option<Level>| level.map(|l| l.key().to_owned()).unwrap_or_default();
        save.dispatch(SetOpportunity {
            map: map_id,
            card,
            status: status.get().key().to_owned(),
            owner: owner.get().map(|o| o.to_string()).unwrap_or_default(),
            impact: key(impact.get()),
            effort: key(effort.get()),
            links: links.get(),
        });
    };
    let members = map.members.clone();
    let linkable = map.linkable.clone();
    view! {
        <details class="review-menu triage-menu">
            <summary class="button ghost" aria-label=format!("Triage {}", item.text)>"Triage"</summary>
            <div class="review-panel triage-panel">
                <form on:submit=submit>
                    <label class="field">
                        <span>"Status"</span>
                        <select on:change=move |ev| {
                            if let Some(s) = Status::from_key(&event_target_value(&ev)) {
                                status.set(s);
                            }
                        }>
                            {Status::ALL
                                .into_iter()
                                .map(|s| view! { <option value=s.key() selected=move || status.get() == s>{s.label()}</option> })
                                .collect_view()}
                        </select>
                    </label>
                    <label class="field">
                        <span>"Owner"</span>
                        <select on:change=move |ev| owner.set(event_target_value(&ev).parse::<UserId>().ok())>
                            <option value="" selected=move || owner.get().is_none()>"Nobody"</option>
                            {members
                                .into_iter()
                                .map(|(id, name)| view! { <option value=id.to_string() selected=move || owner.get() == Some(id)>{name}</option> })
                                .collect_view()}
                        </select>
                    </label>
                    <Sizing label="Impact" value=impact/>
                    <Sizing label="Effort" value=effort/>
                    <fieldset class="links">
                        <legend>"Answers (none ticked: the pain points and touchpoints of its stage)"</legend>
                        {linkable
                            .into_iter()
                            .map(|l| {
                                let id = l.card;
                                view! {
                                    <label class="check">
                                        <input type="checkbox" prop:checked=move || links.with(|ls| ls.contains(&id))
                                            on:change=move |ev| {
                                                let on = event_target_checked(&ev);
                                                links.update(|ls| {
                                                    ls.retain(|c| *c != id);
                                                    if on {
                                                        ls.push(id);
                                                    }
                                                });
                                            }/>
                                        {l.label}
                                    </label>
                                }
                            })
                            .collect_view()}
                    </fieldset>
                    <button type="submit" class="button primary" disabled=move || save.pending().get()>"Save"</button>
                </form>
            </div>
        </details>
    }
}

/// A select of "not sized" and the three levels.
#[component]
fn Sizing(label: &'static str, value: RwSignal<Option<Level>>) -> impl IntoView {
    view! {
        <label class="field">
            <span>{label}</span>
            <select on:change=move |ev| value.set(Level::from_key(&event_target_value(&ev)))>
                <option value="" selected=move || value.get().is_none()>"Not sized"</option>
                {Level::ALL
                    .into_iter()
                    .map(|l| view! { <option value=l.key() selected=move || value.get() == Some(l)>{l.label()}</option> })
                    .collect_view()}
            </select>
        </label>
    }
}

/// The impact/effort matrix: impact down the side (high first), effort across (low first).
#[component]
fn Matrix(items: Vec<(usize, Opportunity)>) -> impl IntoView {
    let cell = |impact: Level, effort: Level| {
        let here: Vec<String> = items
            .iter()
            .filter(|(_, i)| i.triage.impact == Some(impact) && i.triage.effort == Some(effort))
            .map(|(rank, i)| format!("{rank}. {}", i.text))
            .collect();
        view! {
            <td>
                <ul>{here.into_iter().map(|t| view! { <li>{t}</li> }).collect_view()}</ul>
            </td>
        }
    };
    let waiting: Vec<String> = items
        .iter()
        .filter(|(_, i)| i.triage.impact.is_none() || i.triage.effort.is_none())
        .map(|(rank, i)| format!("{rank}. {}", i.text))
        .collect();
    let rows = [Level::High, Level::Medium, Level::Low].map(|impact| {
        view! {
            <tr>
                <th scope="row">{format!("{} impact", impact.label())}</th>
                {Level::ALL.map(|effort| cell(impact, effort)).into_iter().collect_view()}
            </tr>
        }
    });
    view! {
        <table class="matrix">
            <caption>"Impact × effort (numbers are ranks in the list)"</caption>
            <thead>
                <tr>
                    <td></td>
                    {Level::ALL.map(|e| view! { <th scope="col">{format!("{} effort", e.label())}</th> }).into_iter().collect_view()}
                </tr>
            </thead>
            <tbody>{rows.into_iter().collect_view()}</tbody>
        </table>
        {(!waiting.is_empty()).then(|| view! {
            <h3 class="unsized-heading">"Not sized yet"</h3>
            <ul class="unsized">{waiting.into_iter().map(|t| view! { <li>{t}</li> }).collect_view()}</ul>
        })}
    }
}
