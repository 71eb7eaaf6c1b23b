//! Comment threads: those on one card, stage or lane, or every open thread of the map.

use leptos::prelude::*;

use crate::domain::edit::Edit;
use crate::domain::ids::CommentId;
use crate::domain::map::{Comment, JourneyMap, Target};
use crate::domain::text::{Name, Text, MAX_TEXT_CHARS};
use crate::ui::editor::{fresh, use_editor, Editor};
use crate::ui::format::date_time;
use crate::ui::icons::{Icon, IconButton};
use crate::ui::map::panel_state::{use_side_panel, Panel};

/// "card “Checkout”", "stage “Purchase”": what a thread is about.
pub fn target_label(map: &JourneyMap, target: Target) -> String {
    let (kind, name) = match target {
        Target::Card(id) => ("card", map.card(id).map(|c| c.text.to_string())),
        Target::Stage(id) => ("stage", map.stage(id).map(|s| s.name.to_string())),
        Target::Lane(id) => ("lane", map.lane(id).map(|l| l.name.to_string())),
    };
    let name = name.unwrap_or_default();
    let short: String = name.chars().take(40).collect();
    let ellipsis = if short.len() < name.len() { "…" } else { "" };
    format!("{kind} “{short}{ellipsis}”")
}

/// Open threads on `target`: the number shown on its comment button.
pub fn open_threads(map: &JourneyMap, target: Target) -> usize {
    map.comments()
        .iter()
        .filter(|c| c.target == target && c.thread.is_none() && !c.resolved)
        .count()
}

/// A thread: its first comment and the replies, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Thread {
    root: Comment,
    replies: Vec<Comment>,
}

fn threads(map: &JourneyMap, target: Option<Target>) -> Vec<Thread> {
    map.comments()
        .iter()
        .filter(|c| c.thread.is_none())
        .filter(|c| match target {
            Some(target) => c.target == target,
            None => !c.resolved,
        })
        .map(|root| Thread {
            root: root.clone(),
            replies: map
                .comments()
                .iter()
                .filter(|c| c.thread == Some(root.id))
                .cloned()
                .collect(),
        })
        .collect()
}

fn post(editor: Editor, target: Target, thread: Option<CommentId>, raw: &str) -> bool {
    let text = match Text::parse(raw) {
        Ok(text) if !text.is_empty() => text,
        Ok(_) => return false,
        Err(err) => {
            editor
                .notice
                .set(Some(format!("Comment not posted: {err}.")));
            return false;
        }
    };
    let author = Name::parse(&editor.name.get_untracked())
        .or_else(|_| Name::parse("Guest"))
        .expect("\"Guest\" is a valid name");
    editor.edit(Edit::AddComment {
        comment: Comment {
            id: fresh(),
            target,
            thread,
            author,
            text,
            at: js_now(),
            resolved: false,
        },
    });
    true
}

/// The browser's clock, for the time a comment was written.
fn js_now() -> i64 {
    // `Date.now()` in the browser; on the server nothing is ever posted.
    leptos::prelude::window()
        .performance()
        .map(|p| (p.time_origin() + p.now()) as i64)
        .unwrap_or(0)
}

#[component]
pub fn CommentsPanel(target: Option<Target>) -> impl IntoView {
    let editor = use_editor();
    let panel = use_side_panel();
    let list = Memo::new(move |_| editor.map.with(|m| threads(m, target)));
    let heading = move || match target {
        Some(target) => editor
            .map
            .with(|m| format!("Comments on {}", target_label(m, target))),
        None => "Open threads".to_owned(),
    };
    view! {
        <section class="comments" aria-labelledby="comments-heading">
            <h2 id="comments-heading">{heading}</h2>
            {target.map(|_| view! {
                <button type="button" class="button small ghost" on:click=move |_| panel.show(Panel::Comments(None))>
                    "All open threads"
                </button>
            })}
            {target.map(|target| view! { <Composer target thread=None label="New comment"/> })}
            <Show when=move || list.with(Vec::is_empty)>
                <p class="empty-note">
                    {match target {
                        Some(_) => "No comments yet. Start a thread above.",
                        None => "No open threads. Open a card's comments to start one.",
                    }}
                </p>
            </Show>
            <For
                each=move || list.get()
                key=|thread| thread.clone()
                children=move |thread| view! { <ThreadView thread show_target=target.is_none()/> }
            />
        </section>
    }
}

#[component]
fn ThreadView(thread: Thread, show_target: bool) -> impl IntoView {
    let editor = use_editor();
    let panel = use_side_panel();
    let Thread { root, replies } = thread;
    let (id, target, resolved) = (root.id, root.target, root.resolved);
    let about = show_target.then(|| {
        let label = editor.map.with_untracked(|m| target_label(m, target));
        view! {
            <button
                type="button"
                class="thread-target"
                on:click=move |_| {
                    panel.show(Panel::Comments(Some(target)));
                    if let Target::Card(card) = target {
                        if let Some(el) = document().get_element_by_id(&format!("card-{card}")) {
                            el.scroll_into_view();
                        }
                    }
                }
            >
                {format!("On {label}")}
            </button>
        }
    });
    view! {
        <article class="thread" class:resolved=resolved>
            {about}
            <CommentView comment=root/>
            {replies.into_iter().map(|reply| view! { <CommentView comment=reply/> }).collect_view()}
            <div class="thread-actions">
                <button
                    type="button"
                    class="button small"
                    on:click=move |_| editor.edit(Edit::SetThreadResolved { id, resolved: !resolved })
                >
                    {if resolved { "Reopen" } else { "Resolve" }}
                </button>
            </div>
            <Show when=move || !resolved>
                <Composer target thread=Some(id) label="Reply"/>
            </Show>
        </article>
    }
}

/// The open threads as a display-only map shows them (a share link that shows comments): read,
/// never answered. Nothing when there are none, or when the link withholds them.
#[component]
pub fn FixedThreads() -> impl IntoView {
    let editor = use_editor();
    let threads: Vec<(Thread, String)> = editor.map.with_untracked(|map| {
        threads(map, None)
            .into_iter()
            .map(|t| {
                let label = target_label(map, t.root.target);
                (t, label)
            })
            .collect()
    });
    (!threads.is_empty()).then(|| {
        view! {
            <section class="comments" aria-labelledby="comments-heading">
                <h2 id="comments-heading">"Comments"</h2>
                {threads
                    .into_iter()
                    .map(|(thread, label)| view! {
                        <article class="thread">
                            <p class="thread-target">{format!("On {label}")}</p>
                            <CommentView comment=thread.root/>
                            {thread.replies.into_iter().map(|comment| view! { <CommentView comment/> }).collect_view()}
                        </article>
                    })
                    .collect_view()}
            </section>
        }
    })
}

#[component]
fn CommentView(comment: Comment) -> impl IntoView {
    let editor = use_editor();
    let controls = editor.shows_controls();
    let id = comment.id;
    let what = if comment.thread.is_some() {
        "reply"
    } else {
        "thread"
    };
    view! {
        <div class="comment">
            <p class="comment-meta">
                <strong>{comment.author.to_string()}</strong>
                " · "
                <time>{date_time(comment.at)}</time>
                {controls.then(|| view! {
                    <IconButton
                        icon=Icon::Trash
                        label=format!("Delete this {what}")
                        class="comment-delete"
                        on_click=Callback::new(move |()| editor.edit(Edit::RemoveComment { id }))
                    />
                })}
            </p>
            <p class="comment-text">{comment.text.to_string()}</p>
        </div>
    }
}

/// A box to write a new thread or a reply. Enter posts, Shift+Enter starts a new line.
#[component]
fn Composer(target: Target, thread: Option<CommentId>, label: &'static str) -> impl IntoView {
    let editor = use_editor();
    let draft = RwSignal::new(String::new());
    let submit = move || {
        if post(editor, target, thread, &draft.get_untracked()) {
            draft.set(String::new());
        }
    };
    view! {
        <form
            class="comment-composer"
            on:submit=move |ev| {
                ev.prevent_default();
                submit();
            }
        >
            <textarea
                aria-label=label
                placeholder=if thread.is_some() { "Reply…" } else { "Add a comment…" }
                maxlength=MAX_TEXT_CHARS
                prop:value=move || draft.get()
                on:input=move |ev| draft.set(event_target_value(&ev))
                on:keydown=move |ev| {
                    if ev.key() == "Enter" && !ev.shift_key() {
                        ev.prevent_default();
                        submit();
                    }
                }
            ></textarea>
            <button type="submit" class="button small primary" disabled=move || draft.with(|d| d.trim().is_empty())>
                {if thread.is_some() { "Reply" } else { "Comment" }}
            </button>
        </form>
    }
}

/// The button that opens an item's comments, with the number of open threads.
#[component]
pub fn CommentButton(target: Target) -> impl IntoView {
    let editor = use_editor();
    let panel = use_side_panel();
    let open = Memo::new(move |_| editor.map.with(|m| open_threads(m, target)));
    let label = move || match open.get() {
        0 => "Comments".to_owned(),
        n => format!("Comments ({n} open)"),
    };
    view! {
        <button
            type="button"
            class="comment-button edit-only"
            class:has-comments=move || open.get() != 0
            aria-label=label
            title=label
            on:click=move |_| panel.show(Panel::Comments(Some(target)))
        >
            <crate::ui::icons::Svg icon=Icon::Comment/>
            // A closure rather than <Show>: no owner of its own on each of a big map's cards.
            {move || match open.get() {
                0 => None,
                n => Some(view! { <span class="count">{n}</span> }),
            }}
        </button>
    }
}
