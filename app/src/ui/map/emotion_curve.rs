//! The emotion curve of an emotions lane: one point per stage at the mean score of its cards,
//! joined into a line. Points are edited in place: click a level in a stage's column to set it,
//! or focus a point and press the up and down arrows.
//!
//! Beside this designed curve, a dashed measured one: each stage's headline feedback score
//! placed on the same -2 … +2 scale, where customers' answers exist.

use leptos::ev::KeyboardEvent;
use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;

use crate::domain::edit::Edit;
use crate::domain::ids::{LaneId, StageId};
use crate::domain::map::{Card, Emotion};
use crate::domain::moves::after_last;
use crate::domain::text::Text;
use crate::ui::editor::{fresh, use_editor};
use crate::ui::map::layout::{Cells, COLUMN_WIDTH};
use crate::ui::map::scores::{describe, use_scores};
use crate::ui::options::escape_into;

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

/// A stage's headline feedback score, placed on the emotion scale.
#[derive(Clone, Debug, PartialEq)]
struct Measured {
    column: usize,
    stage_name: String,
    /// -2 … +2, as emotions are.
    level: f64,
    description: String,
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
    // Each stage's headline feedback score, where customers' answers exist.
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
                    Some(Measured {
                        column,
                        stage_name: name.clone(),
                        level,
                        description: describe(&score),
                    })
                })
                .collect::<Vec<_>>()
        })
    });
    let controls = editor.shows_controls();
    let width = move || stages.with(Vec::len).max(1) as f64 * COLUMN_WIDTH;
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

    // The element an event came from, as the column, stage and score it stands for (see
    // `drawing`): one handler each for the whole drawing.
    let pressed = move |ev: &web_sys::Event| {
        let (column, score) = column_and_score(&event_target::<web_sys::Element>(ev))?;
        let stage = stages.with_untracked(|s| s.get(column).map(|(id, _)| *id))?;
        Some((column, stage, score))
    };
    let on_click = move |ev: web_sys::MouseEvent| {
        if let Some((_, stage, score)) = pressed(&ev) {
            set_score(stage, score);
        }
    };
    let on_key = move |ev: KeyboardEvent| {
        let delta = match ev.key().as_str() {
            "ArrowUp" | "ArrowRight" => 1,
            "ArrowDown" | "ArrowLeft" => -1,
            _ => return,
        };
        let Some((column, stage, score)) = pressed(&ev) else {
            return;
        };
        ev.prevent_default();
        set_score(stage, (score + delta).clamp(Emotion::MIN, Emotion::MAX));
        // The drawing is made anew with the change: keep the keyboard on this stage's point.
        let curve = ev
            .current_target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok());
        request_animation_frame(move || {
            let selector = format!("circle[data-column=\"{column}\"]");
            if let Some(Ok(point)) = curve
                .and_then(|c| c.query_selector(&selector).ok().flatten())
                .map(|p| p.dyn_into::<web_sys::SvgElement>())
            {
                let _ = point.focus();
            }
        });
    };
    let markup = move || {
        points.with(|points| {
            measured.with(|measured| drawing(stages.with(Vec::len), points, measured, controls))
        })
    };

    view! {
        <svg
            class="emotion-curve"
            width=width
            height=HEIGHT
            viewBox=move || format!("0 0 {} {HEIGHT}", width())
            role="group"
            aria-label="Emotion curve"
            on:click=on_click
            on:keydown=on_key
            inner_html=markup
        ></svg>
    }
}

/// The column and score an element of the drawing stands for.
fn column_and_score(el: &web_sys::Element) -> Option<(usize, i8)> {
    let column = el.get_attribute("data-column")?.parse().ok()?;
    let score = el.get_attribute("data-score")?.parse().ok()?;
    Some((column, score))
}

fn x_of(column: usize) -> f64 {
    (column as f64 + 0.5) * COLUMN_WIDTH
}

/// The inside of the curve's `<svg>` as markup: a few dozen shapes, redrawn whole when the map
/// or its scores change. As views they were the biggest part of the editor's bundle after the
/// cards (about 15 KB); as one string they cost a function. Stage names and score descriptions
/// are the only text from outside, escaped like everything else that goes in.
fn drawing(columns: usize, points: &[Point], measured: &[Measured], controls: bool) -> String {
    use std::fmt::Write;

    let mut svg = String::new();
    let width = columns.max(1) as f64 * COLUMN_WIDTH;
    let zero = y_of(0.0);
    let _ = write!(
        svg,
        r#"<line class="baseline" x1="0" x2="{width}" y1="{zero}" y2="{zero}"></line>"#
    );
    // Click targets: one band per score in every stage's column.
    svg.push_str(r#"<g class="levels edit-only">"#);
    if controls {
        for column in 0..columns {
            for score in Emotion::MIN..=Emotion::MAX {
                let _ = write!(
                    svg,
                    r#"<rect x="{}" y="{}" width="{COLUMN_WIDTH}" height="{STEP}" data-column="{column}" data-score="{score}"><title>Set to {score:+}</title></rect>"#,
                    column as f64 * COLUMN_WIDTH,
                    y_of(f64::from(score)) - STEP / 2.0,
                );
            }
        }
    }
    svg.push_str("</g>");
    let line = |svg: &mut String, class: &str, at: &mut dyn Iterator<Item = (usize, f64)>| {
        let _ = write!(svg, r#"<path class="{class}" d=""#);
        for (i, (column, level)) in at.enumerate() {
            let cmd = if i == 0 { 'M' } else { 'L' };
            let _ = write!(
                svg,
                "{}{cmd}{:.1},{:.1}",
                if i == 0 { "" } else { " " },
                x_of(column),
                y_of(level)
            );
        }
        svg.push_str(r#""></path>"#);
    };
    line(
        &mut svg,
        "curve",
        &mut points.iter().map(|p| (p.column, p.mean)),
    );
    line(
        &mut svg,
        "curve measured",
        &mut measured.iter().map(|m| (m.column, m.level)),
    );
    for m in measured {
        let _ = write!(
            svg,
            r#"<rect class="measured-point" x="{}" y="{}" width="8" height="8"><title>Measured at "#,
            x_of(m.column) - 4.0,
            y_of(m.level) - 4.0,
        );
        escape_into(&mut svg, &m.stage_name);
        svg.push_str(": ");
        escape_into(&mut svg, &m.description);
        svg.push_str("</title></rect>");
    }
    if !measured.is_empty() {
        svg.push_str(concat!(
            r#"<g class="curve-legend" aria-hidden="true">"#,
            r#"<line class="curve" x1="8" x2="28" y1="10" y2="10"></line>"#,
            r#"<text x="32" y="14">designed</text>"#,
            r#"<line class="curve measured" x1="96" x2="116" y1="10" y2="10"></line>"#,
            r#"<text x="120" y="14">measured (feedback)</text></g>"#,
        ));
    }
    for p in points {
        let score = p.card.emotion.map_or(0, Emotion::score);
        let label = Emotion::new(score).map(Emotion::label).unwrap_or("Neutral");
        let _ = write!(
            svg,
            r#"<circle class="point" data-column="{}" data-score="{score}" cx="{}" cy="{}" r="7""#,
            p.column,
            x_of(p.column),
            y_of(p.mean),
        );
        if controls {
            let _ = write!(
                svg,
                r#" tabindex="0" role="slider" aria-valuemin="{}" aria-valuemax="{}" aria-valuenow="{score}" aria-valuetext="{score:+} {label}" aria-label="Emotion at "#,
                Emotion::MIN,
                Emotion::MAX,
            );
            escape_into(&mut svg, &p.stage_name);
            svg.push('"');
        }
        svg.push_str("><title>");
        escape_into(&mut svg, &p.stage_name);
        let _ = write!(svg, ": {:+.1}", p.mean);
        if !controls {
            let _ = write!(svg, " {label}");
        }
        svg.push_str("</title></circle>");
    }
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixture::sample_map;

    #[test]
    fn the_drawing_escapes_names_and_offers_controls_only_to_editors() {
        let card = Card {
            emotion: Emotion::new(-1).ok(),
            ..sample_map().cards()[0].clone()
        };
        let points = [Point {
            stage: card.stage,
            stage_name: r#"<b>"Q&A"</b>"#.into(),
            column: 1,
            mean: -1.0,
            card,
        }];
        let measured = [Measured {
            column: 0,
            stage_name: "<script>x</script>".into(),
            level: 0.5,
            description: "NPS 10 & more".into(),
        }];
        let svg = drawing(2, &points, &measured, true);
        assert!(!svg.contains("<b>") && !svg.contains("<script>"), "{svg}");
        assert!(svg.contains(r#"aria-label="Emotion at &lt;b&gt;&quot;Q&amp;A&quot;&lt;/b&gt;""#));
        assert!(svg.contains("Measured at &lt;script&gt;x&lt;/script&gt;: NPS 10 &amp; more"));
        let bands = 2 * (Emotion::MAX - Emotion::MIN + 1) as usize;
        assert_eq!(svg.matches("<rect x=").count(), bands);
        assert!(svg.contains(r#"role="slider""#) && svg.contains(r#"aria-valuenow="-1""#));
        assert!(svg.contains(r#"data-column="1" data-score="-1""#));
        // The point of column 1 at -1: half a column in, a step below the middle.
        assert!(
            svg.contains(r#"<path class="curve" d="M372.0,78.0">"#),
            "{svg}"
        );

        let display = drawing(2, &points, &measured, false);
        assert_eq!(display.matches("<rect x=").count(), 0);
        assert!(!display.contains("slider") && !display.contains("tabindex"));
    }
}
