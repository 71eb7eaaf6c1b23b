//! The Feedback panel's Inbox tab: the map's responses, newest first a page at a time,
//! optionally only the unhappy ones, each with a "Followed up" box.

use leptos::prelude::*;

use super::card_name;
use crate::api::feedback::{feedback_inbox, set_followed_up, InboxItem};
use crate::ui::editor::use_editor;
use crate::ui::format::date_time;

#[component]
pub(super) fn Inbox() -> impl IntoView {
    let editor = use_editor();
    let map = editor.id;
    let unhappy = RwSignal::new(false);
    let items = RwSignal::new(Vec::<InboxItem>::new());
    let next = RwSignal::new(None::<i64>);
    let loading = RwSignal::new(true);
    let error = RwSignal::new(None::<String>);
    let load = move |before: Option<i64>| {
        loading.set(true);
        let only = unhappy.get_untracked();
        leptos::task::spawn_local(async move {
            match feedback_inbox(map, only, before).await {
                Ok(page) => {
                    items.update(|list| {
                        if before.is_none() {
                            list.clear();
                        }
                        list.extend(page.items);
                    });
                    next.set(page.next);
                    error.set(None);
                }
                Err(err) => error.set(Some(err.to_string())),
            }
            loading.set(false);
        });
    };
    Effect::new(move |_| {
        unhappy.track();
        load(None);
    });
    let follow = move |id: i64, done: bool| {
        leptos::task::spawn_local(async move {
            match set_followed_up(map, id, done).await {
                Ok(()) => items.update(|list| {
                    if let Some(item) = list.iter_mut().find(|i| i.id == id) {
                        item.followed_up = done;
                    }
                }),
                Err(err) => error.set(Some(err.to_string())),
            }
        });
    };
    view! {
        <label class="check">
            <input type="checkbox" on:change=move |ev| unhappy.set(event_target_checked(&ev))/>
            "Only unhappy answers (NPS 0–6, CSAT 1–2, CES 1–3)"
        </label>
        {move || error.get().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
        <Show when=move || !loading.get() && items.with(Vec::is_empty)>
            <p class="empty-note">"No answers here yet."</p>
        </Show>
        <ul class="inbox">
            <For
                each=move || items.get()
                key=|item| (item.id, item.followed_up)
                children=move |item| {
                    let id = item.id;
                    let r = &item.response;
                    let scores = [("NPS", r.nps), ("CSAT", r.csat), ("CES", r.ces)]
                        .into_iter()
                        .filter_map(|(label, s)| s.map(|s| format!("{label} {s}")))
                        .collect::<Vec<_>>()
                        .join(" · ");
                    let meta = [r.channel.clone(), r.segment.clone(), r.respondent.clone().unwrap_or_default()]
                        .into_iter()
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                        .join(" · ");
                    view! {
                        <li class="inbox-item" class:done=item.followed_up>
                            <p class="inbox-head">
                                <strong>{card_name(editor, item.response.touchpoint)}</strong>
                                <span class="muted">{format!(" · {} · via {}", date_time(item.response.at), item.source.key())}</span>
                            </p>
                            {(!scores.is_empty()).then(|| view! { <p class="inbox-scores">{scores}</p> })}
                            {item.response.comment.clone().map(|c| view! { <blockquote>{c}</blockquote> })}
                            {(!meta.is_empty()).then(|| view! { <p class="muted">{meta}</p> })}
                            <label class="check">
                                <input type="checkbox" checked=item.followed_up on:change=move |ev| follow(id, event_target_checked(&ev))/>
                                "Followed up"
                            </label>
                        </li>
                    }
                }
            />
        </ul>
        <Show when=move || loading.get()>
            <p class="loading">"Loading…"</p>
        </Show>
        <Show when=move || next.get().is_some() && !loading.get()>
            <button type="button" class="button small" on:click=move |_| load(next.get_untracked())>"Older answers"</button>
        </Show>
    }
}
