//! The path flows: where customers went next from each touchpoint, as a Sankey-style drawing
//! (laid out by `sankey`) and, for screen readers and exact figures, a table of every
//! touchpoint's reach, share of its stage and most common next steps.

use std::collections::{HashMap, HashSet};

use leptos::prelude::*;

use super::sankey::{layout, Flow, Layout, Slot};
use crate::domain::ids::CardId;
use crate::domain::journey::TouchFigures;
use crate::domain::map::JourneyMap;
use crate::ui::editor::use_editor;
use crate::ui::erase::Erase;
use crate::ui::feedback::card_name;
use crate::ui::format::thousands;

/// The drawing's width, in its own units (it scales to the panel).
const WIDTH: f64 = 300.0;
/// A node's width.
const NODE: f64 = 6.0;
/// Characters of a touchpoint's name shown in the drawing (the table has them whole).
const LABEL_CHARS: usize = 20;

/// The touchpoints the view names, in the map's order (stage by stage), with their stages.
struct Places {
    names: Vec<(String, String)>,
    index: HashMap<CardId, usize>,
}

impl Places {
    fn name(&self, card: CardId) -> String {
        self.index
            .get(&card)
            .map(|&i| self.names[i].0.clone())
            .unwrap_or_default()
    }
}

#[component]
pub(super) fn PathFlows(touchpoints: Vec<TouchFigures>) -> impl IntoView {
    let editor = use_editor();
    let cards = editor.map.with_untracked(|m| in_map_order(m, &touchpoints));
    let places = Places {
        names: cards
            .iter()
            .map(|&(card, ref stage)| (card_name(editor, card), stage.clone()))
            .collect(),
        index: cards
            .iter()
            .enumerate()
            .map(|(i, (c, _))| (*c, i))
            .collect(),
    };
    let flows: Vec<Flow> = touchpoints
        .iter()
        .flat_map(|t| {
            let from = places.index.get(&t.card).copied();
            let index = &places.index;
            t.next.iter().filter_map(move |(to, count)| {
                Some(Flow {
                    from: from?,
                    to: *index.get(to)?,
                    count: *count,
                })
            })
        })
        .collect();
    let drawing = layout(&flows);
    let mut rows = touchpoints;
    rows.sort_by_key(|t| places.index.get(&t.card).copied().unwrap_or(usize::MAX));
    view! {
        <h3>"Path flows"</h3>
        {if drawing.bands.is_empty() {
            view! { <p class="empty-note">"No customer has gone from one touchpoint to another yet."</p> }.erase()
        } else {
            sankey(&drawing, &places).erase()
        }}
        <table class="journey-table">
            <caption>"Each touchpoint: customers who reached it, their share of its stage's customers, and where they went next"</caption>
            <thead>
                <tr>
                    <th scope="col">"Touchpoint"</th>
                    <th scope="col">"Reached"</th>
                    <th scope="col">"Share of stage"</th>
                    <th scope="col">"Next steps (moves)"</th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|t| {
                    let (name, stage) = places.index.get(&t.card).map(|&i| places.names[i].clone()).unwrap_or_default();
                    let share = t.share.map_or_else(
                        || "—".to_owned(),
                        |s| format!("{:.0}% ({:.0}–{:.0}%)", s.value(), s.low(), s.high()),
                    );
                    let next = t.next.iter()
                        .map(|(to, n)| format!("{} ({})", places.name(*to), thousands(*n)))
                        .collect::<Vec<_>>();
                    view! {
                        <tr>
                            <th scope="row">{name}<small>{stage}</small></th>
                            <td>{thousands(t.reach)}</td>
                            <td>{share}</td>
                            <td>{if next.is_empty() { "—".to_owned() } else { next.join(", ") }}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// The cards of `touchpoints` and of their next steps still on `map`, stage by stage and in
/// the map's order within a stage, each with its stage's name.
fn in_map_order(map: &JourneyMap, touchpoints: &[TouchFigures]) -> Vec<(CardId, String)> {
    let wanted: HashSet<CardId> = touchpoints
        .iter()
        .flat_map(|t| std::iter::once(t.card).chain(t.next.iter().map(|(card, _)| *card)))
        .collect();
    let mut cards: Vec<(usize, CardId, String)> = map
        .cards()
        .iter()
        .filter(|card| wanted.contains(&card.id))
        .filter_map(|card| {
            let (at, stage) = map
                .stages()
                .iter()
                .enumerate()
                .find(|(_, s)| s.id == card.stage)?;
            Some((at, card.id, stage.name.to_string()))
        })
        .collect();
    // Stable: cards of one stage keep the map's order.
    cards.sort_by_key(|(at, _, _)| *at);
    cards
        .into_iter()
        .map(|(_, card, stage)| (card, stage))
        .collect()
}

/// The drawing: nodes left and right, a band per flow (its figures in its title, for a
/// pointer), labels beside the nodes. Screen readers get the table instead.
fn sankey(drawing: &Layout, places: &Places) -> impl IntoView {
    let label = |slot: &Slot| {
        let name = &places.names[slot.node].0;
        match name.char_indices().nth(LABEL_CHARS) {
            Some((end, _)) => format!("{}…", &name[..end]),
            None => name.clone(),
        }
    };
    let (left, right) = (NODE, WIDTH - NODE);
    let middle = WIDTH / 2.0;
    view! {
        <svg
            class="flows"
            viewBox=format!("0 -4 {WIDTH} {}", drawing.height + 8.0)
            role="img"
            aria-label="Customers' moves between touchpoints, from the left column to the right, each band as wide as its count; the table below has the figures"
        >
            {drawing.bands.iter().map(|band| {
                let (from, to) = (band.from_y, band.to_y);
                let title = format!(
                    "{} → {}: {} moves",
                    places.names[band.flow.from].0,
                    places.names[band.flow.to].0,
                    thousands(band.flow.count)
                );
                view! {
                    <path
                        class="flow-band"
                        d=format!("M{left:.1},{from:.1} C{middle:.1},{from:.1} {middle:.1},{to:.1} {right:.1},{to:.1}")
                        stroke-width=format!("{:.1}", band.width.max(1.0))
                    >
                        <title>{title}</title>
                    </path>
                }
            }).collect_view()}
            {[(&drawing.sources, 0.0, left + 4.0, "start"), (&drawing.targets, right, right - 4.0, "end")]
                .into_iter()
                .map(|(slots, x, text_x, anchor)| slots.iter().map(|slot| view! {
                    <rect class="flow-node" x=x y=format!("{:.1}", slot.top) width=NODE height=format!("{:.1}", slot.height.max(1.0))></rect>
                    <text class="flow-label" x=text_x y=format!("{:.1}", slot.middle()) text-anchor=anchor dominant-baseline="middle">
                        {label(slot)}
                    </text>
                }).collect_view())
                .collect_view()}
        </svg>
    }
}
