//! The grid: stages as columns, lanes as rows, cards in the cells. Every element is placed on
//! explicit grid lines computed here, so an emotions lane can take two rows (its curve above its
//! cards) and the stage headers and lane labels can stay in view while the grid scrolls.

use std::collections::HashMap;

use leptos::prelude::*;

use crate::domain::edit::Edit;
use crate::domain::ids::{LaneId, StageId};
use crate::domain::map::{Card, Lane, LaneKind, Stage};
use crate::domain::moves::after_last;
use crate::domain::text::Name;
use crate::ui::editor::{fresh, use_editor};
use crate::ui::icons::{Icon, Svg};
use crate::ui::map::cell::Cell;
use crate::ui::map::emotion_curve::EmotionCurve;
use crate::ui::map::lane_header::LaneHeader;
use crate::ui::map::layout::{Cells, LaneRow, COLUMN_WIDTH};
use crate::ui::map::stage_header::StageHeader;

#[component]
pub fn MapGrid() -> impl IntoView {
    let editor = use_editor();
    let stages = Memo::new(move |_| {
        editor
            .map
            .with(|m| m.stages().iter().cloned().enumerate().collect::<Vec<_>>())
    });
    let stage_count = Signal::derive(move || stages.with(Vec::len));
    let rows = Memo::new(move |_| {
        editor.map.with(|m| {
            let mut next_row = 2;
            m.lanes()
                .iter()
                .enumerate()
                .map(|(index, lane)| {
                    let has_curve = lane.kind == LaneKind::Emotions;
                    let row = LaneRow {
                        lane: lane.clone(),
                        index,
                        first_row: next_row,
                        has_curve,
                    };
                    next_row += 1 + usize::from(has_curve);
                    row
                })
                .collect::<Vec<_>>()
        })
    });
    let lane_count = Signal::derive(move || rows.with(Vec::len));
    let cells: Cells = Memo::new(move |_| {
        editor.map.with(|m| {
            let mut cells: HashMap<(StageId, LaneId), Vec<Card>> = HashMap::new();
            for card in m.cards() {
                cells
                    .entry((card.stage, card.lane))
                    .or_default()
                    .push(card.clone());
            }
            cells
        })
    });
    let last_row = move || rows.with(|r| r.last().map_or(2, |r| r.card_row() + 1));
    let controls = editor.shows_controls();
    let grid_style = move || {
        format!(
            "--col-w: {COLUMN_WIDTH}px; grid-template-columns: var(--lane-w) repeat({}, var(--col-w)) var(--add-w);",
            stage_count.get()
        )
    };

    view! {
        <div class="grid-scroll" role="region" aria-label="Journey map" tabindex="0">
            <div class="grid" style=grid_style>
                <div class="corner" style="grid-row: 1; grid-column: 1">
                    <span>"Lanes"</span>
                    <span aria-hidden="true">"╲"</span>
                    <span>"Stages"</span>
                </div>
                <For
                    each=move || stages.get()
                    key=|entry| entry.clone()
                    children=move |(index, stage)| view! { <StageHeader stage index count=stage_count/> }
                />
                {controls.then(|| view! {
                    <div
                        class="add-stage edit-only"
                        style=move || format!("grid-row: 1; grid-column: {}", stage_count.get() + 2)
                    >
                        <AddStageButton/>
                    </div>
                })}
                <For
                    each=move || rows.get()
                    key=|row| row.clone()
                    children=move |row| {
                        view! { <LaneRowView row stages stage_count lane_count cells/> }
                    }
                />
                {controls.then(|| view! {
                    <div
                        class="add-lane edit-only"
                        style=move || format!("grid-row: {}; grid-column: 1", last_row())
                    >
                        <AddLaneControl/>
                    </div>
                })}
            </div>
        </div>
    }
}

#[component]
fn LaneRowView(
    row: LaneRow,
    stages: Memo<Vec<(usize, Stage)>>,
    stage_count: Signal<usize>,
    lane_count: Signal<usize>,
    cells: Cells,
) -> impl IntoView {
    let curve = row.has_curve.then(|| {
        let lane = row.lane.id;
        let first_row = row.first_row;
        view! {
            <div
                class="curve-row"
                style=move || {
                    format!("grid-row: {first_row}; grid-column: 2 / span {}", stage_count.get().max(1))
                }
            >
                <EmotionCurve lane cells/>
            </div>
        }
    });
    let lane = row.lane.clone();
    let card_row = row.card_row();
    view! {
        <LaneHeader row=row.clone() count=lane_count/>
        {curve}
        <For
            each=move || stages.get()
            key=|entry| entry.clone()
            children=move |(index, stage)| {
                view! { <Cell stage lane=lane.clone() grid_row=card_row grid_column=index + 2 cells/> }
            }
        />
    }
}

#[component]
fn AddStageButton() -> impl IntoView {
    let editor = use_editor();
    let add = move |_| {
        let position = editor
            .map
            .with_untracked(|m| after_last(m.stages().iter().map(|s| &s.position)));
        let Ok(name) = Name::parse("New stage") else {
            return;
        };
        editor.edit(Edit::AddStage {
            stage: Stage {
                id: fresh(),
                name,
                position,
            },
        });
    };
    view! {
        <button type="button" class="button dashed" on:click=add>
            <Svg icon=Icon::Plus/>
            "Add stage"
        </button>
    }
}

#[component]
fn AddLaneControl() -> impl IntoView {
    let editor = use_editor();
    let add = move |key: String| {
        let Some(kind) = LaneKind::from_key(&key) else {
            return;
        };
        let position = editor
            .map
            .with_untracked(|m| after_last(m.lanes().iter().map(|l| &l.position)));
        let Ok(name) = Name::parse(kind.label()) else {
            return;
        };
        editor.edit(Edit::AddLane {
            lane: Lane {
                id: fresh(),
                name,
                kind,
                position,
            },
        });
    };
    view! {
        <label class="add-lane-label">
            <Svg icon=Icon::Plus/>
            <span class="visually-hidden">"Add lane"</span>
            <select
                aria-label="Add lane"
                prop:value=""
                on:change=move |ev| {
                    add(event_target_value(&ev));
                    // Back to the prompt, ready for the next lane.
                    event_target::<web_sys::HtmlSelectElement>(&ev).set_value("");
                }
            >
                <option value="" disabled=true selected=true>"Add lane…"</option>
                {LaneKind::ALL
                    .into_iter()
                    .map(|k| view! { <option value=k.key()>{k.label()}</option> })
                    .collect_view()}
            </select>
        </label>
    }
}
