//! The map page: loads one map and hands it to the editor.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::error::AppError;
use crate::api::maps::load_map;
use crate::domain::ids::MapId;
use crate::ui::map::map_editor::MapEditor;
use crate::ui::pages::not_found::NotFound;

#[component]
pub fn MapPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|raw| raw.parse::<MapId>().ok())
    };
    let snapshot = Resource::new(id, |id| async move {
        match id {
            Some(id) => load_map(id).await,
            None => Err(AppError::NotFound),
        }
    });

    view! {
        <Suspense fallback=|| view! { <p class="loading page-loading">"Loading map…"</p> }>
            {move || Suspend::new(async move {
                match snapshot.await {
                    Ok(snapshot) => view! { <MapEditor snapshot/> }.into_any(),
                    Err(AppError::NotFound) => view! { <NotFound/> }.into_any(),
                    Err(err) => {
                        view! {
                            <Title text="Map unavailable"/>
                            <main id="main" class="message-page">
                                <h1>"This map couldn't be loaded"</h1>
                                <p>{err.to_string()}</p>
                                <p><a class="button primary" href="">"Try again"</a></p>
                            </main>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}
