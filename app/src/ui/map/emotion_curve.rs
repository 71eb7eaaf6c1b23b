//! The emotion curve of an emotions lane: one point per stage at the mean score of its cards,
//! joined into a line. Points are edited in place: click a level in a stage's column to set it,
//! or focus a point and press the up and down arrows.
//!
//! Beside this designed curve, a dashed measured one: each stage's headline feedback score
//! placed on the same -2 … +2 scale, where customers' answers exist.

use leptos::ev::KeyboardEvent;
use leptos::prelude::*;

use crate::domain::edit::Edit;
use crate::domain::ids::{LaneId, StageId};
use crate::domain::map::{Card, Emotion};
use crate::domain::moves::after_last;
use crate::domain::text::Text;
use crate::ui::editor::{fresh, use_editor};
use crate::ui::erase::{shown, Erase};
use crate::ui::map::layout::{Cells, COLUMN_WIDTH};
use crate::ui::map::scores::{describe, use_scores};

const HEIGHT: f64 = 112.0;
/// Vertical distance between two adjacent scores.
const STEP: f64 = 22.0;

fn y_of(score: f64) -> f64 {
    HEIGHT / 2.0 - score * STEP
}

/// A stage's point: its mean score and the card that keyboard edits adjust.
#[derive(Clone, Debug, PartialEq)]
struct Point {
    stage: StageId,
    stage_name: String,
    column: usize,
    mean: f64,
    card: Card,
}

#[component]
pub fn EmotionCurve(lane: LaneId, cells: Cells) -> impl IntoView {
    let editor = use_editor();
    let stages = Memo::new(move |_| {
        editor.map.with(|m| {
            m.stages()
                .iter()
                .map(|s| (s.id, s.name.to_string()))
                .collect::<Vec<_>>()
        })
    });
    let points = Memo::new(move |_| {
        let stages = stages.get();
        cells.with(|cells| {
            stages
                .iter()
                .enumerate()
                .filter_map(|(column, (stage, name))| {
                    let scored: Vec<&Card> = cells
                        .get(&(*stage, lane))?
                        .iter()
                        .filter(|c| c.emotion.is_some())
                        .collect();
                    let first = (*scored.first()?).clone();
                    let sum: f64 = scored
                        .iter()
                        .filter_map(|c| c.emotion)
                        .map(|e| f64::from(e.score()))
                        .sum();
                    Some(Point {
                        stage: *stage,
                        stage_name: name.clone(),
                        column,
                        mean: sum / scored.len() as f64,
                        card: first,
                    })
                })
                .collect::<Vec<_>>()
        })
    });
    let scores = use_scores();
    // (column, stage name, position on the emotion scale, description) per measured stage.
    let measured = Memo::new(move |_| {
        stages.with(|stages| {
            stages
                .iter()
                .enumerate()
                .filter_map(|(column, (stage, name))| {
                    let summary = scores.stage(*stage)?;
                    let score = summary.headline()?.clone();
                    let value = score.estimate?.value();
                    let level = score.metric.normalise(value) * 4.0 - 2.0;
                    Some((column, name.clone(), level, describe(&score)))
                })
                .collect::<Vec<_>>()
        })
    });
    let controls = editor.shows_controls();
    let width = move || stages.with(Vec::len).max(1) as f64 * COLUMN_WIDTH;
    let x_of = |column: usize| (column as f64 + 0.5) * COLUMN_WIDTH;
    let path = move || {
        points.with(|points| {
            points
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let cmd = if i == 0 { 'M' } else { 'L' };
                    format!("{cmd}{:.1},{:.1}", x_of(p.column), y_of(p.mean))
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
    };
    // Sets the emotion of a stage: adjusts its first scored card, or adds one.
    let set_score = move |stage: StageId, score: i8| {
        let Ok(emotion) = Emotion::new(score) else {
            return;
        };
        let existing = points
            .with_untracked(|points| points.iter().find(|p| p.stage == stage).map(|p| p.card.id));
        match existing {
            Some(id) => editor.edit(Edit::SetCardEmotion {
                id,
                emotion: Some(emotion),
            }),
            None => {
                let position = editor
                    .map
                    .with_untracked(|m| after_last(m.cards_in(stage, lane).map(|c| &c.position)));
                let Ok(text) = Text::parse(emotion.label()) else {
                    return;
                };
                editor.edit(Edit::AddCard {
                    card: Card {
                        id: fresh(),
                        stage,
                        lane,
                        position,
                        text,
                        channel: None,
                        emotion: Some(emotion),
                        evidence: None,
                        survey: None,
                    },
                });
            }
        }
    };

    view! {
        <svg
            class="emotion-curve"
            width=width
            height=HEIGHT
            viewBox=move || format!("0 0 {} {HEIGHT}", width())
            role="group"
            aria-label="Emotion curve"
        >
            <line class="baseline" x1="0" x2=width y1=y_of(0.0) y2=y_of(0.0)></line>
            // Click targets: one band per score in every stage's column, with one handler for
            // all of them (the band says which stage and score it stands for).
            <g class="levels edit-only" on:click=move |ev| {
                let band = event_target::<web_sys::Element>(&ev);
                let column = band.get_attribute("data-column").and_then(|c| c.parse::<usize>().ok());
                let score = band.get_attribute("data-score").and_then(|s| s.parse::<i8>().ok());
                let stage = column.and_then(|c| stages.with_untracked(|s| s.get(c).map(|(id, _)| *id)));
                if let (Some(stage), Some(score)) = (stage, score) {
                    set_score(stage, score);
                }
            }>
                {move || controls.then(|| {
                    (0..stages.with(Vec::len))
                        .flat_map(|column| {
                            (Emotion::MIN..=Emotion::MAX).map(move |score| {
                                view! {
                                    <rect
                                        x=column as f64 * COLUMN_WIDTH
                                        y=y_of(f64::from(score)) - STEP / 2.0
                                        width=COLUMN_WIDTH
                                        height=STEP
                                        data-column=column
                                        data-score=score
                                    >
                                        <title>{format!("Set to {:+}", score)}</title>
                                    </rect>
                                }
                            })
                        })
                        .collect_view()
                })}
            </g>
            <path class="curve" d=path></path>
            <path class="curve measured" d=move || {
                measured.with(|points| {
                    points
                        .iter()
                        .enumerate()
                        .map(|(i, (column, _, level, _))| {
                            let cmd = if i == 0 { 'M' } else { 'L' };
                            format!("{cmd}{:.1},{:.1}", x_of(*column), y_of(*level))
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                })
            }></path>
            // Lists of a few points each, redrawn whole: a keyed <For> costs the bundle more.
            {move || measured.get().into_iter().map(|(column, name, level, text)| view! {
                <rect class="measured-point" x=x_of(column) - 4.0 y=y_of(level) - 4.0 width="8" height="8">
                    <title>{format!("Measured at {name}: {text}")}</title>
                </rect>
            }).collect_view()}
            {shown(move || measured.with(|m| !m.is_empty()), || view! {
                <g class="curve-legend" aria-hidden="true">
                    <line class="curve" x1="8" x2="28" y1="10" y2="10"></line>
                    <text x="32" y="14">"designed"</text>
                    <line class="curve measured" x1="96" x2="116" y1="10" y2="10"></line>
                    <text x="120" y="14">"measured (feedback)"</text>
                </g>
            })}
            {move || points.get().into_iter().map(move |point| {
                    let Point { stage, stage_name, column, mean, card } = point;
                    let score = card.emotion.map_or(0, Emotion::score);
                    let on_key = move |ev: KeyboardEvent| {
                        let delta = match ev.key().as_str() {
                            "ArrowUp" | "ArrowRight" => 1,
                            "ArrowDown" | "ArrowLeft" => -1,
                            _ => return,
                        };
                        ev.prevent_default();
                        set_score(stage, (score + delta).clamp(Emotion::MIN, Emotion::MAX));
                    };
                    let label = Emotion::new(score).map(Emotion::label).unwrap_or("Neutral");
                    if !controls {
                        return view! {
                            <circle class="point" data-score=score cx=x_of(column) cy=y_of(mean) r="7">
                                <title>{format!("{stage_name}: {mean:+.1} {label}")}</title>
                            </circle>
                        }
                        .erase();
                    }
                    view! {
                        <circle
                            class="point"
                            data-score=score
                            cx=x_of(column)
                            cy=y_of(mean)
                            r="7"
                            tabindex="0"
                            role="slider"
                            aria-label=format!("Emotion at {stage_name}")
                            aria-valuemin=Emotion::MIN
                            aria-valuemax=Emotion::MAX
                            aria-valuenow=score
                            aria-valuetext=format!("{score:+} {label}")
                            on:keydown=on_key
                        >
                            <title>{format!("{stage_name}: {mean:+.1}")}</title>
                        </circle>
                    }
                    .erase()
            }).collect_view()}
        </svg>
    }
}
