//! What a share link opens: the map, read-only and following the team's edits live, at
//! `/s/{token}`; and the same without the app around it at `/embed/{token}`, for an intranet's
//! iframe. A password-protected link asks for its password first.
//!
//! These pages are never hydrated: the server draws the map with its scores, display-only, and
//! `public/follow.js` (a few lines of plain script) swaps in a fresh rendering whenever the
//! map's socket says it changed. A reader downloads no part of the editor.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::error::AppError;
use crate::api::feedback::{get_map_feedback, Filter};
use crate::api::sharing::{open_share, UnlockShare};
use crate::domain::protocol::PROTOCOL_VERSION;
use crate::ui::app::PageTitle;
use crate::ui::editor::Access;
use crate::ui::erase::Erase;
use crate::ui::map::map_editor::MapEditor;
use crate::ui::pages::action_error;
use crate::ui::resource::resource;

#[component]
pub fn SharePage() -> impl IntoView {
    view! { <SharedView embedded=false/> }
}

#[component]
pub fn EmbedPage() -> impl IntoView {
    view! { <SharedView embedded=true/> }
}

#[component]
fn SharedView(embedded: bool) -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let unlock = ServerAction::<UnlockShare>::new();
    let shared = resource(
        move || (token(), unlock.version().get()),
        |(token, _)| async move {
            let shared = open_share(token.clone()).await?;
            // Drawn with the map: nothing in the page fetches the scores later. A map
            // whose summaries fail still shows, without them.
            let map = shared.snapshot.map.id;
            let feedback = get_map_feedback(map, Filter::default(), Some(token))
                .await
                .ok();
            Ok::<_, AppError>((shared, feedback))
        },
    );
    let unlock_error = action_error(unlock);

    view! {
        <Suspense fallback=|| view! { <p class="loading page-loading">"Loading map…"</p> }>
            {move || Suspend::new(async move {
                let token = token();
                match shared.await {
                    Ok((shared, feedback)) => {
                        let access = Access {
                            can_edit: false,
                            can_share: false,
                            share_token: Some(token.clone()),
                            account: None,
                            display_only: true,
                        };
                        let (map, rev) = (shared.snapshot.map.id, shared.snapshot.rev);
                        view! {
                            <div
                                class="shared"
                                class:embedded=embedded
                                data-follow-map=map.to_string()
                                data-rev=rev.0
                                data-protocol=PROTOCOL_VERSION
                            >
                                <p class="shared-banner">
                                    <span>
                                        "Read-only view "
                                        // Filled in by the follow script once it is connected.
                                        <span data-follow-status hidden></span>
                                    </span>
                                    {if embedded {
                                        view! { <a href=format!("/s/{token}") target="_blank" rel="noopener">"Open in Waymark ↗"</a> }.erase()
                                    } else {
                                        view! { <a href=format!("/s/{token}/present")>"Present"</a> }.erase()
                                    }}
                                </p>
                                <MapEditor snapshot=shared.snapshot access embedded feedback/>
                            </div>
                        }
                            .erase()
                    }
                    Err(AppError::Unauthenticated) => view! {
                        <PageTitle text="Shared map"/>
                        <link rel="stylesheet" href=crate::ui::pages::PAGE_STYLES/>
                        <main id="main" class="form-page">
                            <h1>"This map is protected"</h1>
                            <p>"Enter the password you were given with the link."</p>
                            <Show when=move || unlock_error.with(Option::is_some)>
                                <p class="notice error" role="alert">{unlock_error}</p>
                            </Show>
                            <ActionForm action=unlock>
                                <input type="hidden" name="token" value=token.clone()/>
                                <label class="field">
                                    <span>"Password"</span>
                                    <input type="password" name="password" required autocomplete="off"/>
                                </label>
                                <button type="submit" class="button primary">"Open map"</button>
                            </ActionForm>
                        </main>
                    }
                        .erase(),
                    Err(_) => view! {
                        <PageTitle text="Link not available"/>
                        <main id="main" class="message-page">
                            <h1>"This link doesn't open a map any more"</h1>
                            <p>"It may have expired or been revoked. Ask the person who shared it for a new one."</p>
                        </main>
                    }
                        .erase(),
                }
            })}
        </Suspense>
    }
}
