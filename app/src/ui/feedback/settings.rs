//! The Feedback panel's Settings tab: the fewest answers before a score shows, the fewest
//! comments before any is shown, the themes comments are sorted into, and (for the map's
//! owner) how long journey events are kept and forgetting one customer.

use leptos::prelude::*;

use crate::api::feedback::{
    event_retention, forget_customer, set_event_retention, MAX_RETENTION_DAYS,
};
use crate::api::targets::{map_targets, set_target};
use crate::domain::edit::Edit;
use crate::domain::feedback::{FeedbackSettings, Theme};
use crate::domain::targets::Measure;
use crate::domain::text::Name;
use crate::ui::editor::use_editor;
use crate::ui::erase::Erase;
use crate::ui::format::count;
use crate::ui::map::scores::use_scores;

#[component]
pub(super) fn Settings() -> impl IntoView {
    let editor = use_editor();
    let error = RwSignal::new(None::<String>);
    let settings = Memo::new(move |_| editor.map.with(|m| m.feedback.clone()));
    let save = move |change: &dyn Fn(&mut FeedbackSettings) -> Result<(), String>| {
        let mut next = settings.get_untracked();
        if let Err(err) = change(&mut next).and_then(|()| next.check().map_err(|e| e.message)) {
            error.set(Some(err));
            return;
        }
        error.set(None);
        editor.edit(Edit::SetFeedbackSettings { settings: next });
    };
    let number = |raw: String| {
        raw.trim()
            .parse::<u32>()
            .map_err(|_| "enter a whole number".to_owned())
    };
    let keywords = |raw: &str| -> Result<Vec<Name>, String> {
        raw.split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(|k| Name::parse(k).map_err(|e| e.message))
            .collect()
    };
    let new_name = RwSignal::new(String::new());
    let new_words = RwSignal::new(String::new());
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save(&|s| {
            let name = Name::parse(&new_name.get_untracked()).map_err(|e| e.message)?;
            let words = keywords(&new_words.get_untracked())?;
            if words.is_empty() {
                return Err("give the theme at least one keyword".into());
            }
            s.themes.push(Theme {
                name,
                keywords: words,
            });
            Ok(())
        });
        if error.get_untracked().is_none() {
            new_name.set(String::new());
            new_words.set(String::new());
        }
    };
    view! {
        {move || error.get().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
        <label class="field">
            <span>"Fewest answers before a score shows"</span>
            <input type="number" min="1" max="10000" prop:value=move || settings.get().minimum
                on:change=move |ev| save(&|s| { s.minimum = number(event_target_value(&ev))?; Ok(()) })/>
        </label>
        <label class="field">
            <span>"Fewest comments before any is shown (anonymity)"</span>
            <input type="number" min="1" max="10000" prop:value=move || settings.get().comment_minimum
                on:change=move |ev| save(&|s| { s.comment_minimum = number(event_target_value(&ev))?; Ok(()) })/>
        </label>
        <h3>"Themes"</h3>
        <p class="hint">"A comment belongs to a theme when it mentions one of its keywords. End a keyword with * to match words starting with it (deliver* finds delivery and delivered)."</p>
        <ul class="theme-rules">
            {move || settings.get().themes.into_iter().enumerate().map(|(i, theme)| {
                let words = theme.keywords.iter().map(Name::to_string).collect::<Vec<_>>().join(", ");
                view! {
                    <li>
                        <strong>{theme.name.to_string()}</strong>
                        <input type="text" aria-label=format!("Keywords of {}", theme.name) value=words
                            on:change=move |ev| save(&|s| {
                                let words = keywords(&event_target_value(&ev))?;
                                if let Some(t) = s.themes.get_mut(i) { t.keywords = words; }
                                Ok(())
                            })/>
                        <button type="button" class="button small danger" on:click=move |_| save(&|s| {
                            if i < s.themes.len() { s.themes.remove(i); }
                            Ok(())
                        })>"Remove"</button>
                    </li>
                }
            }).collect_view()}
        </ul>
        <form class="inline-form" on:submit=add>
            <input type="text" required maxlength="200" placeholder="Theme, e.g. Delivery" aria-label="New theme"
                prop:value=new_name on:input=move |ev| new_name.set(event_target_value(&ev))/>
            <input type="text" required placeholder="Keywords, comma separated" aria-label="Its keywords"
                prop:value=new_words on:input=move |ev| new_words.set(event_target_value(&ev))/>
            <button type="submit" class="button small">"Add theme"</button>
        </form>
        <Targets/>
        {editor.access.with_value(|a| a.can_share).then(|| view! { <EventRetention/> <ForgetCustomer/> })}
    }
}

/// How long the map keeps customers' journey events. Shortening it deletes the older events
/// at once (after a confirmation that says so) and hourly from then on; the counts on the map
/// stay.
#[component]
fn EventRetention() -> impl IntoView {
    let map = use_editor().id;
    let changed = RwSignal::new(0u32);
    let stored = LocalResource::new(move || {
        changed.track();
        async move { event_retention(map).await }
    });
    let days = RwSignal::new(String::new());
    // The setting awaiting confirmation, then what the server answered.
    let confirming = RwSignal::new(None::<Option<u32>>);
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let busy = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(kept)) = stored.get() {
            days.set(kept.map(|d| d.to_string()).unwrap_or_default());
        }
    });
    let ask = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        outcome.set(None);
        let text = days.get_untracked();
        let wanted = match text.trim() {
            "" => None,
            text => match text.parse::<u32>() {
                Ok(d) if (1..=MAX_RETENTION_DAYS).contains(&d) => Some(d),
                _ => {
                    outcome.set(Some(Err(format!(
                        "Enter 1 to {MAX_RETENTION_DAYS} days, or leave it empty to keep events."
                    ))));
                    return;
                }
            },
        };
        confirming.set(Some(wanted));
    };
    let save = move |_| {
        let Some(wanted) = confirming.get_untracked() else {
            return;
        };
        confirming.set(None);
        busy.set(true);
        leptos::task::spawn_local(async move {
            let said = match set_event_retention(map, wanted).await {
                Ok(customers) => Ok(match wanted {
                    None => "Journey events are kept until you delete them.".to_owned(),
                    Some(d) => format!(
                        "Journey events are kept {}; older events of {} were deleted.",
                        count(d as usize, "day", "days"),
                        count(customers as usize, "customer", "customers")
                    ),
                }),
                Err(err) => Err(err.to_string()),
            };
            busy.set(false);
            changed.update(|n| *n += 1);
            outcome.set(Some(said));
        });
    };
    view! {
        <h3>"Keep journey events"</h3>
        <p class="hint">"Customers' events older than this are deleted, now and every hour; the counts on the map stay. A customer with no event left counts as new if they come back. Empty: keep every event."</p>
        <form class="inline-form" on:submit=ask>
            <label>
                <span class="visually-hidden">"Days to keep journey events"</span>
                <input type="number" min="1" max=MAX_RETENTION_DAYS.to_string() placeholder="Forever"
                    prop:value=days on:input=move |ev| days.set(event_target_value(&ev))/>
            </label>
            <span>"days"</span>
            <button type="submit" class="button small" disabled=busy>"Save"</button>
        </form>
        {move || busy.get().then(|| view! { <p class="notice" role="status">"Deleting older events…"</p> })}
        {move || confirming.get().map(|wanted| view! {
            <div class="notice" role="group" aria-label="Confirm how long events are kept">
                <p>{match wanted {
                    Some(d) => format!("Delete every journey event older than {} now, and keep doing so? This cannot be undone.", count(d as usize, "day", "days")),
                    None => "Keep every journey event from now on?".to_owned(),
                }}</p>
                <button type="button" class="button small danger" on:click=save>"Yes, save"</button>
                <button type="button" class="button small" on:click=move |_| confirming.set(None)>"Cancel"</button>
            </div>
        })}
        {move || outcome.get().map(|said| match said {
            Ok(text) => view! { <p class="notice" role="status">{text}</p> }.erase(),
            Err(text) => view! { <p class="notice error" role="alert">{text}</p> }.erase(),
        })}
    }
}

/// A data subject's request: everything the map holds about one customer, deleted by the
/// reference the team knows them by, after a confirmation that says what goes.
#[component]
fn ForgetCustomer() -> impl IntoView {
    let map = use_editor().id;
    let reference = RwSignal::new(String::new());
    // The reference awaiting confirmation, then what the server answered.
    let confirming = RwSignal::new(None::<String>);
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let ask = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let wanted = reference.get_untracked().trim().to_owned();
        outcome.set(None);
        confirming.set((!wanted.is_empty()).then_some(wanted));
    };
    let forget = move |_| {
        let Some(wanted) = confirming.get_untracked() else {
            return;
        };
        confirming.set(None);
        leptos::task::spawn_local(async move {
            let said = match forget_customer(map, wanted.clone()).await {
                Ok(gone) if gone.events + gone.answers == 0 => {
                    Ok(format!("Nothing is stored about {wanted} on this map."))
                }
                Ok(gone) => {
                    reference.set(String::new());
                    Ok(format!(
                        "Deleted {} and {} of {wanted}.",
                        count(gone.events as usize, "event", "events"),
                        count(gone.answers as usize, "answer", "answers")
                    ))
                }
                Err(err) => Err(err.to_string()),
            };
            outcome.set(Some(said));
        });
    };
    view! {
        <h3>"Forget a customer"</h3>
        <p class="hint">"Deletes one customer's journey events and survey answers from this map for good, by the reference your tools send (their customer id or email), as a data protection request asks."</p>
        <form class="inline-form" on:submit=ask>
            <input type="text" required maxlength="200" aria-label="Customer reference" placeholder="Customer reference"
                prop:value=reference on:input=move |ev| reference.set(event_target_value(&ev))/>
            <button type="submit" class="button small danger">"Forget…"</button>
        </form>
        {move || confirming.get().map(|wanted| view! {
            <div class="notice" role="group" aria-label="Confirm forgetting a customer">
                <p>{format!("Delete every event and answer of {wanted}? This cannot be undone.")}</p>
                <button type="button" class="button small danger" on:click=forget>"Forget this customer"</button>
                <button type="button" class="button small" on:click=move |_| confirming.set(None)>"Cancel"</button>
            </div>
        })}
        {move || outcome.get().map(|said| match said {
            Ok(text) => view! { <p class="notice" role="status">{text}</p> }.erase(),
            Err(text) => view! { <p class="notice error" role="alert">{text}</p> }.erase(),
        })}
    }
}

/// The map's targets: each with a button to remove it, and a form to set one on the whole map
/// or a stage (replacing the one it had for that measure).
#[component]
fn Targets() -> impl IntoView {
    let editor = use_editor();
    let scores = use_scores();
    let changed = RwSignal::new(0u32);
    let lines = LocalResource::new(move || {
        changed.track();
        map_targets(editor.id, scores.filter.get_untracked(), None)
    });
    let error = RwSignal::new(None::<String>);
    let scope = RwSignal::new(String::new());
    let measure = RwSignal::new(Measure::Nps.key().to_owned());
    let value = RwSignal::new(String::new());
    let send = move |stage: String, measure: String, value: String| {
        leptos::task::spawn_local(async move {
            match set_target(editor.id, stage, measure, value).await {
                Ok(()) => error.set(None),
                Err(err) => error.set(Some(err.to_string())),
            }
            changed.update(|n| *n += 1);
            scores.refresh();
        });
    };
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        send(
            scope.get_untracked(),
            measure.get_untracked(),
            value.get_untracked(),
        );
        value.set(String::new());
    };
    view! {
        <h3>"Targets"</h3>
        <p class="hint">"What the team aims for, on the whole map or one stage. The Overview shows each against its figure: on target only when the whole 95% interval is at or above it. Metrics the organisation defines once for many maps are on the home page's "<a href="/?view=metrics">"Metrics"</a>" tab; setting a target here replaces the metric's."</p>
        {move || error.get().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
        <ul class="theme-rules">
            {move || lines.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|line| {
                let target = line.target;
                let name = editor.map.with(|m| super::overview::target_scope(m, target.stage));
                let mut what = format!("{name}: {} {}", target.measure.label(), target.measure.format(target.value()));
                if let Some(metric) = &line.metric {
                    what.push_str(&format!(" (the library's metric \u{201c}{metric}\u{201d})"));
                }
                let stage = target.stage.map(|s| s.to_string()).unwrap_or_default();
                let key = target.measure.key().to_owned();
                view! {
                    <li>
                        <span>{what.clone()}</span>
                        <button type="button" class="button small danger" aria-label=format!("Remove the target {what}")
                            on:click=move |_| send(stage.clone(), key.clone(), String::new())>"Remove"</button>
                    </li>
                }
            }).collect_view()}
        </ul>
        <form class="inline-form" on:submit=add>
            <select aria-label="Target on" on:change=move |ev| scope.set(event_target_value(&ev))>
                <option value="" selected=move || scope.with(String::is_empty)>"Whole map"</option>
                {move || editor.map.with(|m| m.stages().iter().map(|s| {
                    let id = s.id.to_string();
                    let chosen = id.clone();
                    view! { <option value=id selected=move || scope.with(|v| *v == chosen)>{s.name.to_string()}</option> }
                }).collect_view())}
            </select>
            <select aria-label="Measure" on:change=move |ev| measure.set(event_target_value(&ev))>
                {Measure::ALL.into_iter().map(|m| view! {
                    <option value=m.key() selected=move || measure.with(|v| v == m.key())>{m.label()}</option>
                }).collect_view()}
            </select>
            <input type="number" step="0.1" required aria-label="Target value" placeholder="e.g. 30"
                prop:value=value on:input=move |ev| value.set(event_target_value(&ev))/>
            <button type="submit" class="button small">"Add target"</button>
        </form>
    }
}
