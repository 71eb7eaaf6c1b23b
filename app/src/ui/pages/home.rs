//! The home page: the journey landscape (every map, with its status, tags, owners and figures,
//! filtered and sorted: `landscape`), and forms to start a new map or import one.

use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;

use crate::ui::app::PageTitle;
use crate::ui::erase::Erase;
use crate::ui::pages::TopBar;
use crate::ui::resource::resource;

use crate::api::error::AppError;
use crate::api::hierarchy::{MakeToBe, SetParent};
use crate::api::landscape::{landscape, Entry, Query, SetCatalog};
use crate::api::maps::{CreateMap, DeleteMap, DuplicateMap, RenameMap};
use crate::api::reviews::{MarkReviewed, SetReviewInterval};
use crate::domain::review::{Review, INTERVALS};
use crate::domain::template::Template;
use crate::domain::text::MAX_NAME_CHARS;
use crate::ui::format::{count, date_time, iso};
use crate::ui::icons::{Icon, Svg};
use crate::ui::pages::backlog::BacklogView;
use crate::ui::pages::definitions::{ChannelsView, MetricsView};
use crate::ui::pages::landscape::{CatalogMenu, FamilyLine, FiguresLine, Filters, ParentMenu};
use crate::ui::pages::library::LibraryView;

#[component]
pub fn HomePage() -> impl IntoView {
    let create = ServerAction::<CreateMap>::new();
    let rename = ServerAction::<RenameMap>::new();
    let duplicate = ServerAction::<DuplicateMap>::new();
    let delete = ServerAction::<DeleteMap>::new();
    let set_review = ServerAction::<SetReviewInterval>::new();
    let reviewed = ServerAction::<MarkReviewed>::new();
    let catalog = ServerAction::<SetCatalog>::new();
    let to_be = ServerAction::<MakeToBe>::new();
    let parent = ServerAction::<SetParent>::new();
    let maps = resource(
        move || {
            (
                rename.version().get(),
                duplicate.version().get(),
                delete.version().get(),
                set_review.version().get(),
                reviewed.version().get(),
                catalog.version().get(),
                (to_be.version().get(), parent.version().get()),
            )
        },
        |_| landscape(),
    );
    // Kept while the list reloads (after a rename, say), so the filters stay as they were.
    let query = RwSignal::new(Query::default());
    let actions = MapActions {
        rename,
        duplicate,
        delete,
        set_review,
        reviewed,
        catalog,
        to_be,
        parent,
    };
    let failure = move || {
        let error = |value: Option<Result<_, AppError>>| value.and_then(Result::err);
        error(create.value().get().map(|r| r.map(|_| ())))
            .or_else(|| error(rename.value().get()))
            .or_else(|| error(duplicate.value().get().map(|r| r.map(|_| ()))))
            .or_else(|| error(delete.value().get()))
            .or_else(|| error(set_review.value().get()))
            .or_else(|| error(reviewed.value().get()))
            .or_else(|| error(catalog.value().get()))
            .or_else(|| error(to_be.value().get().map(|r| r.map(|_| ()))))
            .or_else(|| error(parent.value().get()))
    };

    let query_map = use_query_map();
    let view = move || query_map.with(|q| q.get("view").unwrap_or_default());
    let maps_view = move || {
        view! {
            <PageTitle text="Journey maps"/>
            <h1>"Journey maps"</h1>
            <HomeTabs current=""/>
            <Show when=move || failure().is_some()>
                <p class="notice error" role="alert">{move || failure().map(|e| e.to_string())}</p>
            </Show>
            <NewMapForm action=create/>
            <ImportForm/>
            <section class="map-list" aria-labelledby="your-maps">
                <h2 id="your-maps">"Your maps"</h2>
                <Transition fallback=|| view! { <p class="loading">"Loading maps…"</p> }>
                    {move || Suspend::new(async move {
                        match maps.await {
                            Err(AppError::Unauthenticated) => {
                                view! { <Redirect path="/login"/> }.erase()
                            }
                            Ok(list) if list.is_empty() => view! { <EmptyState/> }.erase(),
                            Ok(list) => view! { <MapList maps=list actions query/> }.erase(),
                            Err(err) => {
                                view! {
                                    <p class="notice error" role="alert">
                                        {format!("Couldn't load your maps: {err}")}
                                    </p>
                                }
                                    .erase()
                            }
                        }
                    })}
                </Transition>
            </section>
        }
    };
    view! {
        <link rel="stylesheet" href=crate::ui::pages::PAGE_STYLES/>
        <TopBar/>
        <main id="main" class="home">
            {move || match view().as_str() {
                "opportunities" => view! {
                    <PageTitle text="Opportunities"/>
                    <h1>"Opportunities"</h1>
                    <HomeTabs current="opportunities"/>
                    <BacklogView/>
                }
                    .erase(),
                "personas" => view! {
                    <PageTitle text="Personas"/>
                    <h1>"Personas"</h1>
                    <HomeTabs current="personas"/>
                    <LibraryView/>
                }
                    .erase(),
                "metrics" => view! {
                    <PageTitle text="Metrics"/>
                    <h1>"Metrics"</h1>
                    <HomeTabs current="metrics"/>
                    <MetricsView/>
                }
                    .erase(),
                "channels" => view! {
                    <PageTitle text="Channels"/>
                    <h1>"Channels"</h1>
                    <HomeTabs current="channels"/>
                    <ChannelsView/>
                }
                    .erase(),
                _ => maps_view().erase(),
            }}
        </main>
    }
}

/// The home page's views: the maps, the opportunity backlog across them, and the personas,
/// metric definitions and channels they share. `current` is the view's key ("" for the maps).
#[component]
fn HomeTabs(current: &'static str) -> impl IntoView {
    let tabs = [
        ("", "/", "Maps"),
        ("opportunities", "/?view=opportunities", "Opportunities"),
        ("personas", "/?view=personas", "Personas"),
        ("metrics", "/?view=metrics", "Metrics"),
        ("channels", "/?view=channels", "Channels"),
    ];
    view! {
        <nav class="home-tabs" aria-label="Home views">
            {tabs
                .into_iter()
                .map(|(key, href, label)| {
                    view! { <a href=href aria-current=(key == current).then_some("page")>{label}</a> }
                })
                .collect_view()}
        </nav>
    }
}

#[derive(Clone, Copy)]
struct MapActions {
    rename: ServerAction<RenameMap>,
    duplicate: ServerAction<DuplicateMap>,
    delete: ServerAction<DeleteMap>,
    set_review: ServerAction<SetReviewInterval>,
    reviewed: ServerAction<MarkReviewed>,
    catalog: ServerAction<SetCatalog>,
    to_be: ServerAction<MakeToBe>,
    parent: ServerAction<SetParent>,
}

#[component]
fn NewMapForm(action: ServerAction<CreateMap>) -> impl IntoView {
    let pending = action.pending();
    view! {
        <section class="new-map" aria-labelledby="new-map-heading">
            <h2 id="new-map-heading">"Start a new map"</h2>
            <ActionForm action>
                <fieldset class="templates">
                    <legend>"Template"</legend>
                    {Template::ALL
                        .into_iter()
                        .map(|template| {
                            view! {
                                <label class="template">
                                    <input
                                        type="radio"
                                        name="template"
                                        value=template.key()
                                        checked=template == Template::CustomerJourney
                                    />
                                    <span class="template-name">{template.label()}</span>
                                    <span class="template-description">{template.description()}</span>
                                </label>
                            }
                        })
                        .collect_view()}
                </fieldset>
                <div class="new-map-row">
                    <label class="field">
                        <span>"Title (optional)"</span>
                        <input
                            type="text"
                            name="title"
                            maxlength=MAX_NAME_CHARS
                            placeholder="e.g. First purchase, new customers"
                        />
                    </label>
                    <button type="submit" class="button primary" disabled=move || pending.get()>
                        {move || if pending.get() { "Creating…" } else { "Create map" }}
                    </button>
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
fn EmptyState() -> impl IntoView {
    view! {
        <div class="empty-state">
            <p class="empty-title">"No maps yet"</p>
            <p>
                "Pick a template above and create your first journey map. The five-stage customer \
                 journey comes with an example to show what a good map looks like."
            </p>
        </div>
    }
}

#[component]
fn MapList(maps: Vec<Entry>, actions: MapActions, query: RwSignal<Query>) -> impl IntoView {
    let stored = StoredValue::new(maps.clone());
    view! {
        <Filters entries=maps query/>
        {move || {
            let query = query.get();
            stored.with_value(|all| {
                let shown = query.select(all);
                if shown.is_empty() {
                    return view! { <p class="empty-state">"No maps match these filters."</p> }.erase();
                }
                view! {
                    <ul class="maps">
                        {shown.into_iter().cloned().map(|entry| view! { <MapRow entry actions all=stored/> }).collect_view()}
                    </ul>
                }
                    .erase()
            })
        }}
    }
}

/// "Copy of …", shortened so it stays a valid title.
fn copy_title(title: &str) -> String {
    let prefix = "Copy of ";
    let room = MAX_NAME_CHARS - prefix.chars().count();
    format!("{prefix}{}", title.chars().take(room).collect::<String>())
}

#[component]
fn MapRow(entry: Entry, actions: MapActions, all: StoredValue<Vec<Entry>>) -> impl IntoView {
    let map = entry.map.clone();
    let renaming = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    // A `Copy` id keeps the form closures below callable more than once.
    let id = map.id;
    let href = format!("/maps/{id}");
    let title = map.title.clone();
    let copy = copy_title(&map.title);
    let delete_label = format!("Delete {}", map.title);
    let review_menu =
        view! { <ReviewMenu id review=map.review.clone() title=map.title.clone() actions/> };
    let catalog_menu = view! {
        <CatalogMenu id catalog=entry.map.catalog.clone() title=map.title.clone() action=actions.catalog/>
    };
    let parent_menu = view! {
        <ParentMenu id title=map.title.clone() current=entry.family.breadcrumb.last().map(|p| p.id) all action=actions.parent/>
    };
    let family = entry.family.clone();
    let to_be_label = format!("Make a to-be map of {}", map.title);
    let meta = format!(
        "{} · edited ",
        count(map.stage_count as usize, "stage", "stages")
    );

    view! {
        <li class="map-row">
            <Show
                when=move || renaming.get()
                fallback={
                    let (href, title) = (href.clone(), title.clone());
                    move || view! { <a class="map-link" href=href.clone()>{title.clone()}</a> }
                }
            >
                <RenameForm id title=title.clone() action=actions.rename renaming/>
            </Show>
            <p class="map-meta">
                {meta}
                <time datetime=iso(map.updated_at)>{date_time(map.updated_at)}</time>
                <ReviewState review=map.review.clone() due=map.review_due/>
            </p>
            <FiguresLine entry/>
            <FamilyLine id family/>
            <div class="map-actions edit-only">
                // Named "Present" alone: a name with the title in it would also answer to the
                // title, which names the map's own link.
                <a class="button ghost" href=format!("/maps/{id}/present")>"Present"</a>
                <button
                    type="button"
                    class="button ghost"
                    aria-label=format!("Rename {}", map.title)
                    on:click=move |_| renaming.set(true)
                >
                    <Svg icon=Icon::Pencil/>
                    "Rename"
                </button>
                <ActionForm action=actions.duplicate>
                    <input type="hidden" name="id" value=id.to_string()/>
                    <input type="hidden" name="title" value=copy/>
                    <button
                        type="submit"
                        class="button ghost"
                        aria-label=format!("Duplicate {}", map.title)
                    >
                        <Svg icon=Icon::Copy/>
                        "Duplicate"
                    </button>
                </ActionForm>
                {catalog_menu}
                {parent_menu}
                <ActionForm action=actions.to_be>
                    <input type="hidden" name="id" value=id.to_string()/>
                    <button type="submit" class="button ghost" aria-label=to_be_label>
                        "Make to-be"
                    </button>
                </ActionForm>
                {review_menu}
                <Show
                    when=move || confirming.get()
                    fallback={
                        move || {
                            view! {
                                <button
                                    type="button"
                                    class="button ghost danger"
                                    aria-label=delete_label.clone()
                                    on:click=move |_| confirming.set(true)
                                >
                                    <Svg icon=Icon::Trash/>
                                    "Delete"
                                </button>
                            }
                        }
                    }
                >
                    <div class="confirm" role="group" aria-label="Confirm deletion">
                        <span>"Delete this map for everyone?"</span>
                        <ActionForm action=actions.delete>
                            <input type="hidden" name="id" value=id.to_string()/>
                            <button type="submit" class="button danger">
                                "Delete map"
                            </button>
                        </ActionForm>
                        <button type="button" class="button" on:click=move |_| confirming.set(false)>
                            "Keep it"
                        </button>
                    </div>
                </Show>
            </div>
        </li>
    }
}

/// Where the map stands with its reviews, after its meta line.
#[component]
fn ReviewState(review: Option<Review>, due: bool) -> impl IntoView {
    review.map(|review| {
        let last = match &review.last {
            Some((at, by)) => format!("reviewed {} by {by}", date_time(*at)),
            None => "never reviewed".to_owned(),
        };
        if due {
            view! { <span class="review-due">{format!(" · Review due ({last})")}</span> }.erase()
        } else {
            let next = format!(" · {last}; next review {}", date_time(review.due_at));
            view! { <span class="review-next">{next}</span> }.erase()
        }
    })
}

/// A map's review plan: how often (owners), and "mark reviewed" (editors).
#[component]
fn ReviewMenu(
    id: crate::domain::ids::MapId,
    review: Option<Review>,
    title: String,
    actions: MapActions,
) -> impl IntoView {
    let every = review.as_ref().map(|r| r.every_days);
    let planned = review.is_some();
    view! {
        <details class="review-menu reviews-menu">
            <summary class="button ghost" aria-label=format!("Reviews of {title}")>"Reviews"</summary>
            <div class="review-panel">
                <ActionForm action=actions.set_review>
                    <input type="hidden" name="id" value=id.to_string()/>
                    <label class="field">
                        <span>"Review this map"</span>
                        <select name="days">
                            <option value="" selected=every.is_none()>"Never"</option>
                            {INTERVALS
                                .into_iter()
                                .chain(every.filter(|d| !INTERVALS.contains(d)))
                                .map(|days| view! {
                                    <option value=days.to_string() selected=every == Some(days)>
                                        {format!("Every {days} days")}
                                    </option>
                                })
                                .collect_view()}
                        </select>
                    </label>
                    <button type="submit" class="button">"Save"</button>
                </ActionForm>
                {planned.then(|| view! {
                    <ActionForm action=actions.reviewed>
                        <input type="hidden" name="id" value=id.to_string()/>
                        <button type="submit" class="button primary">"Mark reviewed"</button>
                    </ActionForm>
                })}
            </div>
        </details>
    }
}

#[component]
fn RenameForm(
    id: crate::domain::ids::MapId,
    title: String,
    action: ServerAction<RenameMap>,
    renaming: RwSignal<bool>,
) -> impl IntoView {
    view! {
        <div class="rename-form">
            <ActionForm action>
                <input type="hidden" name="id" value=id.to_string()/>
                <input
                    type="text"
                    name="title"
                    aria-label="New title"
                    required
                    maxlength=MAX_NAME_CHARS
                    value=title
                />
                // Saving reloads the list, which closes this form.
                <button type="submit" class="button primary">"Save"</button>
                <button type="button" class="button" on:click=move |_| renaming.set(false)>
                    "Cancel"
                </button>
            </ActionForm>
        </div>
    }
}

/// Imports a map file (as exported from a map's Export menu) as a new map. A plain form post, so
/// it works before the page is interactive too.
#[component]
fn ImportForm() -> impl IntoView {
    view! {
        <section class="import-map" aria-labelledby="import-heading">
            <h2 id="import-heading">"Import a map file"</h2>
            <form action="/maps/import" method="post" enctype="multipart/form-data" class="import-row">
                <label class="field">
                    <span>"Waymark map file (.json)"</span>
                    <input type="file" name="file" accept=".json,application/json" required/>
                </label>
                <button type="submit" class="button">"Import map"</button>
            </form>
        </section>
    }
}
