//! The map page: loads one map and hands it to the editor, with what the visitor may do.

use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_location, use_params_map};

use crate::api::error::AppError;
use crate::api::maps::load_map;
use crate::domain::ids::MapId;
use crate::ui::app::PageTitle;
use crate::ui::editor::Access;
use crate::ui::erase::Erase;
use crate::ui::map::lineage::Lineage;
use crate::ui::map::map_editor::MapEditor;
use crate::ui::pages::not_found::NotFound;
use crate::ui::resource::resource;

#[component]
pub fn MapPage() -> impl IntoView {
    let params = use_params_map();
    let location = use_location();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|raw| raw.parse::<MapId>().ok())
    };
    let opened = resource(id, |id| async move {
        match id {
            Some(id) => load_map(id).await,
            None => Err(AppError::NotFound),
        }
    });

    view! {
        <Suspense fallback=|| view! { <p class="loading page-loading">"Loading map…"</p> }>
            {move || Suspend::new(async move {
                match opened.await {
                    Ok(open) => {
                        let access = Access::for_role(open.role, open.you);
                        let lineage = Lineage {
                            above: open.above,
                            below: open.below,
                        };
                        view! { <MapEditor snapshot=open.snapshot access lineage/> }.erase()
                    }
                    Err(AppError::Unauthenticated) => {
                        let next = location.pathname.get_untracked();
                        view! { <Redirect path=format!("/login?next={next}")/> }.erase()
                    }
                    Err(AppError::NotFound | AppError::Forbidden) => view! { <NotFound/> }.erase(),
                    Err(err) => {
                        view! {
                            <PageTitle text="Map unavailable"/>
                            <main id="main" class="message-page">
                                <h1>"This map couldn't be loaded"</h1>
                                <p>{err.to_string()}</p>
                                <p><a class="button primary" href="">"Try again"</a></p>
                            </main>
                        }
                            .erase()
                    }
                }
            })}
        </Suspense>
    }
}
