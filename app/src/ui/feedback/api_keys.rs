//! The Feedback panel's API tab: how to send answers from other tools, the map's API keys
//! (made, listed, revoked; a new key's secret shown once) and the touchpoint ids to send.

use leptos::prelude::*;

use crate::api::feedback::{api_keys, create_api_key, revoke_api_key};
use crate::domain::ids::ApiKeyId;
use crate::ui::editor::use_editor;
use crate::ui::erase::Erase;
use crate::ui::format::date_time;
use crate::ui::pages::admin::{site_origin, CopyField};

#[component]
pub(super) fn ApiKeys() -> impl IntoView {
    let editor = use_editor();
    let map = editor.id;
    let changed = RwSignal::new(0u32);
    let keys = LocalResource::new(move || {
        changed.track();
        async move { api_keys(map).await }
    });
    let label = RwSignal::new(String::new());
    let secret = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let name = label.get_untracked();
        leptos::task::spawn_local(async move {
            match create_api_key(map, name).await {
                Ok(made) => {
                    secret.set(Some(made.secret));
                    label.set(String::new());
                    error.set(None);
                    changed.update(|n| *n += 1);
                }
                Err(err) => error.set(Some(err.to_string())),
            }
        });
    };
    let revoke = move |key: ApiKeyId| {
        leptos::task::spawn_local(async move {
            match revoke_api_key(map, key).await {
                Ok(()) => changed.update(|n| *n += 1),
                Err(err) => error.set(Some(err.to_string())),
            }
        });
    };
    let touchpoints = move || {
        editor.map.with(|m| {
            m.cards()
                .iter()
                .filter(|c| c.survey.is_some())
                .map(|c| {
                    (
                        c.id,
                        c.text.as_str().lines().next().unwrap_or("").to_owned(),
                    )
                })
                .collect::<Vec<_>>()
        })
    };
    view! {
        <p class="hint">
            "Send answers from other tools: "
            <code>{format!("POST /api/v1/maps/{map}/responses")}</code>
            " with a key below. "
            <a href="/api/v1/openapi.json" target="_blank" rel="noopener">"OpenAPI description"</a>
        </p>
        <pre class="example">{move || format!(
            "curl -X POST {}/api/v1/maps/{map}/responses \\\n  -H 'Authorization: Bearer <key>' \\\n  -H 'Content-Type: application/json' \\\n  -d '{{\"touchpoint\": \"<touchpoint id>\", \"nps\": 9, \"comment\": \"Quick checkout\"}}'",
            if cfg!(feature = "hydrate") { site_origin() } else { String::new() }
        )}</pre>
        {move || error.get().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
        {move || secret.get().map(|s| view! {
            <CopyField label="New key (shown only now)" value=s note="Store it in the other tool now; Waymark keeps only a fingerprint."/>
        })}
        <form class="inline-form" on:submit=create>
            <input type="text" required maxlength="200" placeholder="What uses it, e.g. Zendesk" aria-label="Key label"
                prop:value=label on:input=move |ev| label.set(event_target_value(&ev))/>
            <button type="submit" class="button small">"Create key"</button>
        </form>
        <h3>"Keys"</h3>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match keys.await {
                    Ok(list) if list.is_empty() => view! { <p class="empty-note">"No keys yet."</p> }.erase(),
                    Ok(list) => view! {
                        <ul class="api-keys">
                            {list.into_iter().map(|k| {
                                let id = k.id;
                                view! {
                                    <li>
                                        <span>{k.label.clone()}</span>
                                        <small class="muted">{format!(
                                            "made {} · {}",
                                            date_time(k.created_at),
                                            k.last_used_at.map_or_else(|| "never used".to_owned(), |t| format!("last used {}", date_time(t)))
                                        )}</small>
                                        <button type="button" class="button small danger" on:click=move |_| revoke(id)>"Revoke"</button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.erase(),
                    Err(err) => view! { <p class="notice error">{err.to_string()}</p> }.erase(),
                }
            })}
        </Suspense>
        <h3>"Touchpoint ids"</h3>
        <table class="touchpoint-ids">
            <thead><tr><th>"Touchpoint"</th><th>"Id"</th></tr></thead>
            <tbody>
                {move || touchpoints().into_iter().map(|(id, name)| view! {
                    <tr><td>{name}</td><td><code>{id.to_string()}</code></td></tr>
                }).collect_view()}
            </tbody>
        </table>
        <Show when=move || touchpoints().is_empty()>
            <p class="empty-note">"No touchpoint collects feedback yet: switch on a survey in a touchpoint's feedback panel."</p>
        </Show>
    }
}
