//! The admin page's audit log: who did what and when, newest first, a page at a time, with
//! filters and the same rows as CSV or JSON. Part of the admin page's lazy chunk only.

use leptos::prelude::*;

use crate::api::audit::{audit_log, time_filter, Action, AuditEntry, AuditQuery};
use crate::ui::erase::Erase;
use crate::ui::format::date_time;
use crate::ui::resource::resource;

/// The filters as typed, applied when the form is sent.
#[derive(Clone, Copy)]
struct Fields {
    action: RwSignal<String>,
    actor: RwSignal<String>,
    map: RwSignal<String>,
    from: RwSignal<String>,
    to: RwSignal<String>,
}

impl Fields {
    fn query(self) -> Result<AuditQuery, String> {
        let action = Action::parse(&self.action.get_untracked());
        let map = self.map.get_untracked();
        let map = match map.trim() {
            "" => None,
            id => Some(id.parse().map_err(|_| "Map: give a map's id".to_owned())?),
        };
        let at = |text: String, field: &str, through: bool| match text.trim() {
            "" => Ok(None),
            day => time_filter(day, through)
                .map(Some)
                .ok_or_else(|| format!("{field}: give a date")),
        };
        Ok(AuditQuery {
            action,
            actor: Some(self.actor.get_untracked()),
            map,
            from: at(self.from.get_untracked(), "From", false)?,
            to: at(self.to.get_untracked(), "To", true)?,
            before: None,
        })
    }
}

#[component]
pub fn AuditLog() -> impl IntoView {
    let fields = Fields {
        action: RwSignal::new(String::new()),
        actor: RwSignal::new(String::new()),
        map: RwSignal::new(String::new()),
        from: RwSignal::new(String::new()),
        to: RwSignal::new(String::new()),
    };
    let applied = RwSignal::new(AuditQuery::default());
    let problem = RwSignal::new(None::<String>);
    let page = resource(move || applied.get(), audit_log);
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match fields.query() {
            Ok(query) => {
                problem.set(None);
                applied.set(query);
            }
            Err(message) => problem.set(Some(message)),
        }
    };
    let older = move |before: i64| {
        applied.update(|q| q.before = Some(before));
    };
    let newest = move |_| applied.update(|q| q.before = None);
    let input = |signal: RwSignal<String>| move |ev| signal.set(event_target_value(&ev));
    view! {
        // Its table's styles are the side panels' (loaded on demand, not with every page).
        <link rel="stylesheet" href=crate::ui::map::side_panel::PANEL_STYLES/>
        <section class="map-list" aria-labelledby="audit-log">
            <h2 id="audit-log">"Audit log"</h2>
            <p class="muted">"Sign-ins, access changes, share links, API keys, exports, imports and deletions."</p>
            <form class="audit-filters" on:submit=apply>
                <label class="field">
                    <span>"Action"</span>
                    <select name="action" on:change=input(fields.action)>
                        <option value="">"Any"</option>
                        {Action::ALL.into_iter().map(|a| view! { <option value=a.as_str()>{a.as_str().replace('_', " ")}</option> }).collect_view()}
                    </select>
                </label>
                <label class="field">
                    <span>"Who (email contains)"</span>
                    <input type="search" name="actor" maxlength="254" on:input=input(fields.actor)/>
                </label>
                <label class="field">
                    <span>"Map id"</span>
                    <input type="text" name="map" on:input=input(fields.map)/>
                </label>
                <label class="field">
                    <span>"From"</span>
                    <input type="date" name="from" on:input=input(fields.from)/>
                </label>
                <label class="field">
                    <span>"To"</span>
                    <input type="date" name="to" on:input=input(fields.to)/>
                </label>
                <button type="submit" class="button">"Filter"</button>
            </form>
            // A plain GET form, so the browser encodes the filters as typed; the server reads
            // them as this page does.
            <form class="audit-export" method="get" action="/admin/audit.csv">
                <input type="hidden" name="action" prop:value=move || fields.action.get()/>
                <input type="hidden" name="actor" prop:value=move || fields.actor.get()/>
                <input type="hidden" name="map" prop:value=move || fields.map.get()/>
                <input type="hidden" name="from" prop:value=move || fields.from.get()/>
                <input type="hidden" name="to" prop:value=move || fields.to.get()/>
                <button type="submit" class="button ghost">"Export CSV"</button>
                <button type="submit" class="button ghost" formaction="/admin/audit.json">"Export JSON"</button>
            </form>
            <Show when=move || problem.with(Option::is_some)>
                <p class="notice error" role="alert">{move || problem.get().unwrap_or_default()}</p>
            </Show>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(page) if page.entries.is_empty() => view! {
                            <p class="muted">"Nothing recorded matches these filters."</p>
                        }.erase(),
                        Ok(page) => {
                            let next = page.older;
                            view! {
                                <Rows entries=page.entries/>
                                <p class="audit-pages">
                                    <Show when=move || applied.with(|q| q.before.is_some())>
                                        <button type="button" class="button ghost" on:click=newest>"Newest"</button>
                                    </Show>
                                    {next.map(|before| view! {
                                        <button type="button" class="button ghost" on:click=move |_| older(before)>"Older"</button>
                                    })}
                                </p>
                            }.erase()
                        }
                        Err(err) => view! { <p class="notice error">{err.to_string()}</p> }.erase(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Rows(entries: Vec<AuditEntry>) -> impl IntoView {
    let text = |value: Option<String>| value.unwrap_or_default();
    view! {
        <table class="audit-log">
            <caption class="visually-hidden">"Recorded actions, newest first"</caption>
            <thead>
                <tr>
                    <th scope="col">"When"</th>
                    <th scope="col">"Who"</th>
                    <th scope="col">"Action"</th>
                    <th scope="col">"Map"</th>
                    <th scope="col">"Target"</th>
                    <th scope="col">"Detail"</th>
                    <th scope="col">"Address"</th>
                </tr>
            </thead>
            <tbody>
                {entries.into_iter().map(|e| view! {
                    <tr>
                        <td>{date_time(e.at)}</td>
                        <td>{e.actor_label}</td>
                        <td>{e.action.replace('_', " ")}</td>
                        <td>{text(e.map)}</td>
                        <td>{text(e.target)}</td>
                        <td>{text(e.detail)}</td>
                        <td>{text(e.ip)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}
