//! The map's history: every change (who, when, what), named versions, a view of the map as it
//! was at any revision, and restoring a past version as new, undoable operations.

use leptos::context::Provider;
use leptos::prelude::*;

use crate::api::history::{
    list_versions, map_at, map_history, name_version, side_changes, undo_side_change, HistoryEntry,
};
use crate::api::maps::MapSnapshot;
use crate::domain::history::edits_between;
use crate::domain::ids::Rev;
use crate::domain::text::MAX_NAME_CHARS;
use crate::ui::editor::{use_editor, Editor};
use crate::ui::erase::Erase;
use crate::ui::format::date_time;
use crate::ui::map::grid::MapGrid;
use crate::ui::resource::resource;

#[component]
pub fn HistoryPanel() -> impl IntoView {
    let editor = use_editor();
    let id = editor.id;
    let named = RwSignal::new(0u32);
    // Reloads whenever the map moves on, so the newest change is always listed.
    let entries = resource(move || editor.rev.get(), move |_| map_history(id, None));
    let versions = resource(move || named.get(), move |_| list_versions(id));
    let older = RwSignal::new(Vec::<HistoryEntry>::new());
    let viewing = RwSignal::new(None::<Rev>);

    let load_older = move |_| {
        let before = older
            .with_untracked(|o| o.last().map(|e| e.rev))
            .or_else(|| entries.get_untracked()?.ok()?.last().map(|e| e.rev));
        if let Some(before) = before {
            leptos::task::spawn_local(async move {
                if let Ok(page) = map_history(id, Some(before)).await {
                    older.update(|o| o.extend(page));
                }
            });
        }
    };

    view! {
        <section class="history" aria-labelledby="history-heading">
            <h2 id="history-heading">"History"</h2>
            <NameVersion on_named=Callback::new(move |()| named.update(|n| *n += 1))/>
            <h3>"Named versions"</h3>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match versions.await {
                        Ok(list) if list.is_empty() => view! {
                            <p class="empty-note">"None yet. Name the current version to find it again later."</p>
                        }.erase(),
                        Ok(list) => view! {
                            <ul class="versions">
                                {list.into_iter().map(|v| view! {
                                    <li>
                                        <button type="button" class="link" on:click=move |_| viewing.set(Some(v.rev))>
                                            {v.name.clone()}
                                        </button>
                                        <span class="muted">{format!(" · {} · {}", v.author, date_time(v.created_at))}</span>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.erase(),
                        Err(err) => view! { <p class="notice error">{err.to_string()}</p> }.erase(),
                    }
                })}
            </Transition>
            <h3>"Changes"</h3>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match entries.await {
                        Ok(list) if list.is_empty() => view! {
                            <p class="empty-note">"No changes since this map was created."</p>
                        }.erase(),
                        Ok(list) => view! { <EntryList entries=list viewing/> }.erase(),
                        Err(err) => view! { <p class="notice error">{err.to_string()}</p> }.erase(),
                    }
                })}
            </Transition>
            <EntryList entries=older viewing/>
            <button type="button" class="button small" on:click=load_older>"Older changes"</button>
            <SideChanges/>
            {move || viewing.get().map(|rev| view! { <VersionPreview rev viewing/> })}
        </section>
    }
}

#[component]
fn EntryList(
    #[prop(into)] entries: Signal<Vec<HistoryEntry>>,
    viewing: RwSignal<Option<Rev>>,
) -> impl IntoView {
    view! {
        <ol class="changes">
            <For
                each=move || entries.get()
                key=|entry| entry.rev
                children=move |entry| {
                    let rev = entry.rev;
                    view! {
                        <li>
                            <span class="change-summary">{entry.summary}</span>
                            <span class="muted">
                                {format!("{} · {} · #{}", entry.author, date_time(entry.at), entry.rev)}
                            </span>
                            <button
                                type="button"
                                class="button small ghost"
                                aria-label=format!("View the map after change {rev}")
                                on:click=move |_| viewing.set(Some(rev))
                            >
                                "View"
                            </button>
                        </li>
                    }
                }
            />
        </ol>
    }
}

/// What changed beside the map (status and tags, targets, triage, links, reviews): kept out of
/// its log, so listed apart, without "View" but with "Undo" where the value is still as the
/// change left it. Fetched again whenever the server says something beside the map changed.
#[component]
fn SideChanges() -> impl IntoView {
    let editor = use_editor();
    let id = editor.id;
    let undone = RwSignal::new(0u32);
    let changes = resource(
        move || (editor.news.get(), undone.get()),
        move |_| side_changes(id),
    );
    let error = RwSignal::new(None::<String>);
    let undo = move |entry: i64| {
        leptos::task::spawn_local(async move {
            match undo_side_change(id, entry).await {
                Ok(()) => error.set(None),
                Err(err) => error.set(Some(err.to_string())),
            }
            undone.update(|n| *n += 1);
        });
    };
    view! {
        <h3>"Beside the map"</h3>
        <p class="muted">"Status and tags, targets, opportunities' triage, links to other maps and reviews."</p>
        {move || error.get().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match changes.await {
                    Ok(list) if list.is_empty() => view! { <p class="empty-note">"None yet."</p> }.erase(),
                    Ok(list) => view! {
                        <ol class="changes side-changes">
                            {list.into_iter().map(|c| {
                                let button = c.undoable.then(|| view! {
                                    <button
                                        type="button"
                                        class="button small ghost"
                                        aria-label=format!("Undo: {}", c.what)
                                        on:click=move |_| undo(c.id)
                                    >
                                        "Undo"
                                    </button>
                                });
                                view! {
                                    <li>
                                        <span class="change-summary">{c.what}</span>
                                        <span class="muted">{format!("{} · {}", c.by, date_time(c.at))}</span>
                                        {button}
                                    </li>
                                }
                            }).collect_view()}
                        </ol>
                    }.erase(),
                    Err(err) => view! { <p class="notice error">{err.to_string()}</p> }.erase(),
                }
            })}
        </Transition>
    }
}

#[component]
fn NameVersion(on_named: Callback<()>) -> impl IntoView {
    let editor = use_editor();
    let draft = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (id, rev, name) = (editor.id, editor.rev.get_untracked(), draft.get_untracked());
        leptos::task::spawn_local(async move {
            match name_version(id, rev, name).await {
                Ok(_) => {
                    draft.set(String::new());
                    error.set(None);
                    on_named.run(());
                }
                Err(err) => error.set(Some(err.to_string())),
            }
        });
    };
    view! {
        <form class="name-version" on:submit=submit>
            <input
                type="text"
                aria-label="Name for the current version"
                placeholder="Name this version, e.g. before the Q3 workshop"
                maxlength=MAX_NAME_CHARS
                prop:value=move || draft.get()
                on:input=move |ev| draft.set(event_target_value(&ev))
            />
            <button type="submit" class="button small" disabled=move || draft.with(|d| d.trim().is_empty())>
                "Save name"
            </button>
            <Show when=move || error.with(Option::is_some)>
                <p class="notice error" role="alert">{move || error.get().unwrap_or_default()}</p>
            </Show>
        </form>
    }
}

/// The map as it was after revision `rev`, read-only, with a way to restore it.
#[component]
fn VersionPreview(rev: Rev, viewing: RwSignal<Option<Rev>>) -> impl IntoView {
    let editor = use_editor();
    let id = editor.id;
    let snapshot = resource(move || rev, move |rev| map_at(id, rev));
    let restore = move |old: MapSnapshot| {
        let edits = editor
            .map
            .with_untracked(|now| edits_between(now, &old.map));
        if edits.is_empty() {
            editor
                .notice
                .set(Some("The map already looks like that version.".into()));
        } else {
            editor.edits(edits);
            editor.notice.set(Some(format!(
                "Restored the map as it was after change {rev}. Undo (Ctrl+Z) takes it back."
            )));
        }
        viewing.set(None);
    };
    view! {
        <div class="preview-backdrop">
            <div class="preview" role="dialog" aria-modal="true" aria-label=format!("The map after change {rev}")>
                <Suspense fallback=|| view! { <p class="loading">"Loading that version…"</p> }>
                    {move || Suspend::new(async move {
                        match snapshot.await {
                            Ok(old) => {
                                let preview = Editor::read_only(old.clone());
                                view! {
                                    <header class="preview-header">
                                        <h2>{format!("After change {rev}")}</h2>
                                        <button type="button" class="button primary" on:click=move |_| restore(old.clone())>
                                            "Restore this version"
                                        </button>
                                        <button type="button" class="button" on:click=move |_| viewing.set(None)>
                                            "Close"
                                        </button>
                                    </header>
                                    <div class="read-only">
                                        <Provider value=preview>
                                            <MapGrid/>
                                        </Provider>
                                    </div>
                                }.erase()
                            }
                            Err(err) => view! {
                                <p class="notice error">{err.to_string()}</p>
                                <button type="button" class="button" on:click=move |_| viewing.set(None)>"Close"</button>
                            }.erase(),
                        }
                    })}
                </Suspense>
            </div>
        </div>
    }
}
