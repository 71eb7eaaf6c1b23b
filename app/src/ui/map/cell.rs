//! One cell of the grid: the cards of a stage in a lane, and a composer to add one.
//! Cards dropped on the cell go last; dropped on a card, they go before it.

use leptos::either::Either;
use leptos::ev::{DragEvent, KeyboardEvent};
use leptos::html;
use leptos::prelude::*;

use crate::domain::edit::Edit;
use crate::domain::map::{Card, Emotion, Lane, LaneKind, Stage};
use crate::domain::moves::{after_last, move_card};
use crate::domain::text::{Text, MAX_TEXT_CHARS};
use crate::ui::editor::{fresh, use_editor, Dragged};
use crate::ui::icons::{Icon, Svg};
use crate::ui::map::card_view::CardView;
use crate::ui::map::layout::Cells;

#[component]
pub fn Cell(
    stage: Stage,
    lane: Lane,
    grid_row: usize,
    grid_column: usize,
    cells: Cells,
) -> impl IntoView {
    let editor = use_editor();
    let (stage_id, lane_id, kind) = (stage.id, lane.id, lane.kind);
    let cards = move || cells.with(|c| c.get(&(stage_id, lane_id)).cloned().unwrap_or_default());
    let composing = RwSignal::new(false);
    let drop_target = RwSignal::new(false);
    let place = format!("{} · {}", stage.name, lane.name);
    let controls = editor.shows_controls();

    view! {
        <section
            class="cell"
            class:drop-target=move || drop_target.get()
            data-kind=kind.key()
            style=format!("grid-row: {grid_row}; grid-column: {grid_column}")
            aria-label=place.clone()
            on:dragover=move |ev: DragEvent| {
                if matches!(editor.dragging.get_untracked(), Some(Dragged::Card(_))) {
                    ev.prevent_default();
                    drop_target.set(true);
                }
            }
            on:dragleave=move |_| drop_target.set(false)
            on:drop=move |ev: DragEvent| {
                drop_target.set(false);
                if let Some(Dragged::Card(card)) = editor.dragging.get_untracked() {
                    ev.prevent_default();
                    editor.dragging.set(None);
                    let edit = editor.map.with_untracked(|m| move_card(m, card, stage_id, lane_id, None));
                    if let Some(edit) = edit {
                        editor.edit(edit);
                    }
                }
            }
        >
            <ul class="cards">
                <For
                    each=cards
                    key=|card| card.clone()
                    children=move |card: Card| view! { <li><CardView card kind/></li> }
                />
            </ul>
            {controls.then(|| {
                let place = place.clone();
                move || if composing.get() {
                    Either::Left(view! { <Composer stage=stage_id lane=lane_id kind composing/> })
                } else {
                    Either::Right(view! {
                        <button
                            type="button"
                            class="add-card edit-only"
                            aria-label=format!("Add card to {place}")
                            on:click=move |_| composing.set(true)
                        >
                            <Svg icon=Icon::Plus/>
                            <span aria-hidden="true">"Add card"</span>
                        </button>
                    })
                }
            })}
        </section>
    }
}

/// A textarea for a new card: Enter adds it and starts the next, Escape or leaving stops.
#[component]
fn Composer(
    stage: crate::domain::ids::StageId,
    lane: crate::domain::ids::LaneId,
    kind: LaneKind,
    composing: RwSignal<bool>,
) -> impl IntoView {
    let editor = use_editor();
    let area = NodeRef::<html::Textarea>::new();
    Effect::new(move |_| {
        if let Some(el) = area.get() {
            let _ = el.focus();
        }
    });
    let add = move || {
        // The blur that follows Escape arrives after this composer is gone.
        let Some(Some(el)) = area.try_get_untracked() else {
            return false;
        };
        let raw = el.value();
        if raw.trim().is_empty() {
            return false;
        }
        let text = match Text::parse(&raw) {
            Ok(text) => text,
            Err(err) => {
                editor.notice.set(Some(format!("Card not added: {err}.")));
                return false;
            }
        };
        let position = editor
            .map
            .with_untracked(|m| after_last(m.cards_in(stage, lane).map(|c| &c.position)));
        editor.edit(Edit::AddCard {
            card: Card {
                id: fresh(),
                stage,
                lane,
                position,
                text,
                channel: None,
                // A card in an emotions lane is a point of the curve, so it starts neutral.
                emotion: (kind == LaneKind::Emotions)
                    .then(|| Emotion::new(0).ok())
                    .flatten(),
                evidence: None,
                survey: None,
            },
        });
        el.set_value("");
        true
    };
    let on_keydown = move |ev: KeyboardEvent| match ev.key().as_str() {
        "Enter" if !ev.shift_key() => {
            ev.prevent_default();
            add();
        }
        "Escape" => {
            ev.prevent_default();
            composing.set(false);
        }
        _ => {}
    };
    view! {
        <div class="composer">
            <textarea
                node_ref=area
                aria-label="New card text"
                placeholder="Type and press Enter"
                maxlength=MAX_TEXT_CHARS
                on:keydown=on_keydown
                on:blur=move |_| {
                    add();
                    composing.try_set(false);
                }
            ></textarea>
        </div>
    }
}
