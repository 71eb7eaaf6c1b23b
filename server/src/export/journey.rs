//! The measured journey as files: a map's funnel and path flows under the Journey panel's filter,
//! drawn as one SVG picture (which `raster` turns into PNG or PDF) or written as CSV. The figures
//! are the panel's own (`Feedback::journey`), and so is the rule of who may have them.

use std::collections::HashMap;
use std::fmt::Write;

use app::api::ctx::Accounts;
use app::api::feedback::{parse_filter, Filter};
use app::api::journey::JourneyFigures;
use app::api::sharing::token_field;
use app::domain::access::Capability;
use app::domain::account::Token;
use app::domain::ids::{CardId, MapId};
use app::domain::journey::{Conversion, StageFigures};
use app::domain::map::JourneyMap;
use app::domain::stats::Estimate;
use app::domain::time::{date_time, format_day, Millis};
use app::ui::format::{duration, thousands};
use app::ui::journey::sankey::{self, Flow, Layout, Slot};
use axum::http::HeaderMap;
use serde::Deserialize;

use super::svg::{document, escape, text_block, wrap};
use super::table::cell;
use crate::accounts::ServerAccounts;
use crate::auth::cookie;
use crate::http::{HttpError, MapCaller};

/// What a journey download's query may say: the panel's filter (the form's values, blank for
/// none) and, for a visitor without an account, the share link they came through.
#[derive(Deserialize)]
pub(super) struct Options {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    segment: String,
    share: Option<String>,
}

impl Options {
    /// The filter, or a 400 that names the field and says what it wants.
    pub(super) fn filter(&self) -> Result<Filter, HttpError> {
        Ok(parse_filter(
            &self.from,
            &self.to,
            &self.channel,
            &self.segment,
        )?)
    }
}

/// The map whose measured journey the caller may download, as `api::journey::get_journey`
/// decides: through a share link only if its owner chose to show the funnel (whoever holds the
/// link, signed in or not, sees what the link shows), otherwise as a member who may view it.
pub(super) async fn readable(
    accounts: &ServerAccounts,
    map: &str,
    caller: Result<MapCaller, HttpError>,
    options: &Options,
    headers: &HeaderMap,
) -> Result<MapId, HttpError> {
    let Some(share) = options.share.as_deref() else {
        let caller = caller?;
        caller.require(Capability::View)?;
        return Ok(caller.map);
    };
    let map: MapId = map
        .parse()
        .map_err(|_| HttpError::not_found("no such map"))?;
    // A password-protected link opens with the grant its browser was given on unlocking it.
    let grant = cookie(headers, app::api::auth::SHARE_COOKIE).and_then(|raw| Token::parse(&raw));
    let opened = accounts.open_share(token_field(share)?, grant).await?;
    if opened.map != map {
        return Err(HttpError::not_found("no such map"));
    }
    if !opened.shows.funnel {
        return Err(HttpError::forbidden(
            "this link does not show the measured journey",
        ));
    }
    Ok(map)
}

/// The figures with the names they are shown under, worked out once for either kind of file.
pub(super) struct Report {
    title: String,
    filter: String,
    exported: Millis,
    customers: u64,
    stages: Vec<Stage>,
    /// Every touchpoint the flows name, stage by stage in the map's order: the flows' nodes.
    places: Vec<Place>,
    /// The touchpoints someone reached, in the order of `places`.
    touchpoints: Vec<Touchpoint>,
}

struct Stage {
    name: String,
    figures: StageFigures,
    drop_off: bool,
}

struct Place {
    name: String,
    stage: String,
}

struct Touchpoint {
    /// Index into `places`.
    place: usize,
    reach: u64,
    share: Option<Estimate>,
    /// Indexes into `places`, most moves first.
    next: Vec<(usize, u64)>,
}

impl Report {
    /// `figures` named from `map`; a card or stage gone from the map since keeps a placeholder
    /// name rather than vanishing from the figures.
    pub(super) fn new(
        map: &JourneyMap,
        figures: JourneyFigures,
        filter: &Filter,
        exported: Millis,
    ) -> Report {
        let stage_name = |id| {
            map.stage(id)
                .map_or_else(|| "A removed stage".to_owned(), |s| s.name.to_string())
        };
        let funnel = figures.funnel;
        let stages = funnel
            .stages
            .into_iter()
            .map(|figures| Stage {
                name: stage_name(figures.stage),
                drop_off: funnel.drop_off == Some(figures.stage),
                figures,
            })
            .collect();

        // Where each card sits: its stage's place on the map, then its own place in the list.
        let stage_at: HashMap<_, usize> = map
            .stages()
            .iter()
            .enumerate()
            .map(|(at, s)| (s.id, at))
            .collect();
        let rank: HashMap<CardId, (usize, usize)> = map
            .cards()
            .iter()
            .enumerate()
            .filter_map(|(at, card)| Some((card.id, (*stage_at.get(&card.stage)?, at))))
            .collect();
        let mut cards: Vec<CardId> = figures
            .touchpoints
            .iter()
            .flat_map(|t| std::iter::once(t.card).chain(t.next.iter().map(|(to, _)| *to)))
            .filter(|card| rank.contains_key(card))
            .collect();
        cards.sort_by_key(|card| rank.get(card).copied());
        cards.dedup();
        let index: HashMap<CardId, usize> =
            cards.iter().enumerate().map(|(i, c)| (*c, i)).collect();
        let places = cards
            .iter()
            .map(|&id| {
                let card = map.card(id);
                Place {
                    name: card
                        .and_then(|c| c.text.as_str().lines().next())
                        .filter(|line| !line.trim().is_empty())
                        .unwrap_or("An untitled touchpoint")
                        .to_owned(),
                    stage: card.map(|c| stage_name(c.stage)).unwrap_or_default(),
                }
            })
            .collect();
        let mut touchpoints: Vec<Touchpoint> = figures
            .touchpoints
            .into_iter()
            .filter_map(|t| {
                Some(Touchpoint {
                    place: *index.get(&t.card)?,
                    reach: t.reach,
                    share: t.share,
                    next: t
                        .next
                        .iter()
                        .filter_map(|(to, n)| Some((*index.get(to)?, *n)))
                        .collect(),
                })
            })
            .collect();
        touchpoints.sort_by_key(|t| t.place);
        Report {
            title: map.title.to_string(),
            filter: in_words(filter),
            exported,
            customers: funnel.customers,
            stages,
            places,
            touchpoints,
        }
    }
}

/// "All customers", or "Customers from 2026-09-01 to 2026-09-30, channel “web”".
fn in_words(filter: &Filter) -> String {
    let mut parts = Vec::new();
    match (filter.from, filter.to) {
        (Some(from), Some(to)) => {
            parts.push(format!("from {} to {}", format_day(from), format_day(to)))
        }
        (Some(from), None) => parts.push(format!("from {}", format_day(from))),
        (None, Some(to)) => parts.push(format!("until {}", format_day(to))),
        (None, None) => {}
    }
    for (what, label) in [("channel", &filter.channel), ("segment", &filter.segment)] {
        if let Some(label) = label {
            parts.push(format!("{what} “{label}”"));
        }
    }
    if parts.is_empty() {
        "All customers".to_owned()
    } else {
        format!("Customers {}", parts.join(", "))
    }
}

// ---- The CSV ----

/// Two tables in one file, one under the other, each under a title row and apart by a blank
/// row, after a few rows saying what was measured. Spreadsheet users open this file to read
/// or chart the figures, and that is how Excel, Sheets and Numbers show the analytics tools'
/// exports they already know (Google Analytics writes its reports so): each table reads on its
/// own. One table with a `kind` column would leave half of every row blank (a stage has no
/// next touchpoint, a touchpoint no conversion) and need a filter before any chart.
pub(super) fn csv(report: &Report) -> Result<Vec<u8>, csv::Error> {
    let mut out = Vec::new();
    section(
        &mut out,
        [
            vec!["Measured journey".to_owned(), cell(&report.title)],
            vec!["Filter".to_owned(), cell(&report.filter)],
            vec!["Customers".to_owned(), report.customers.to_string()],
            vec![
                "Exported".to_owned(),
                app::domain::time::iso(report.exported),
            ],
        ],
    )?;
    let header = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
    let mut funnel = vec![
        vec!["Funnel".to_owned()],
        header(&[
            "stage",
            "reach",
            "went on",
            "rate %",
            "low %",
            "high %",
            "median hours",
            "p90 hours",
            "drop-off",
        ]),
    ];
    for stage in &report.stages {
        let next = stage.figures.next.as_ref();
        let rate = next.and_then(|n| n.rate);
        let time = next.and_then(|n| n.time);
        funnel.push(vec![
            cell(&stage.name),
            stage.figures.reach.to_string(),
            next.map(|n| n.converted.to_string()).unwrap_or_default(),
            percent(rate.map(|r| r.value())),
            percent(rate.map(|r| r.low())),
            percent(rate.map(|r| r.high())),
            hours(time.map(|t| t.median)),
            hours(time.map(|t| t.p90)),
            if stage.drop_off { "yes" } else { "" }.to_owned(),
        ]);
    }
    section(&mut out, funnel)?;
    let mut flows = vec![
        vec!["Path flows".to_owned()],
        header(&[
            "touchpoint",
            "stage",
            "reach",
            "share %",
            "next touchpoint",
            "moves",
        ]),
    ];
    for touch in &report.touchpoints {
        let place = &report.places[touch.place];
        let row = |next: &str, moves: String| {
            vec![
                cell(&place.name),
                cell(&place.stage),
                touch.reach.to_string(),
                percent(touch.share.map(|s| s.value())),
                cell(next),
                moves,
            ]
        };
        // One row per next step, so that a pivot table sums moves; a touchpoint nobody left
        // from still gets its row, for its reach.
        if touch.next.is_empty() {
            flows.push(row("", String::new()));
        }
        for &(to, moves) in &touch.next {
            flows.push(row(&report.places[to].name, moves.to_string()));
        }
    }
    section(&mut out, flows)?;
    Ok(out)
}

/// Appends `rows` to `out`, after a blank row if something is there. (The csv writer writes a
/// row of one empty field as `""`, which spreadsheets show as a cell, hence a plain newline.)
fn section(
    out: &mut Vec<u8>,
    rows: impl IntoIterator<Item = Vec<String>>,
) -> Result<(), csv::Error> {
    if !out.is_empty() {
        out.push(b'\n');
    }
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(std::mem::take(out));
    for row in rows {
        writer.write_record(row)?;
    }
    *out = writer.into_inner().map_err(|e| e.into_error())?;
    Ok(())
}

/// A percentage to a tenth, blank when not measured.
fn percent(value: Option<f64>) -> String {
    value.map(|v| format!("{v:.1}")).unwrap_or_default()
}

/// A span in hours to a hundredth (36 seconds), blank when not measured: one unit for the
/// whole column, so that it sorts and sums.
fn hours(ms: Option<Millis>) -> String {
    ms.map(|ms| format!("{:.2}", ms as f64 / 3_600_000.0))
        .unwrap_or_default()
}

// ---- The picture ----

const WIDTH: f64 = 860.0;
const PAD: f64 = 24.0;
/// The stage names' column, left of the bars.
const NAME_W: f64 = 170.0;
const NAME_CHARS: usize = 22;
const BAR_W: f64 = 440.0;
const BAR_H: f64 = 18.0;
const NOTE_LINE: f64 = 16.0;
/// Room for the flows' labels, either side of the drawing.
const LABEL_W: f64 = 230.0;
const LABEL_CHARS: usize = 30;
const NODE: f64 = 8.0;
const INK: &str = "#1d2433";
const SOFT: &str = "#4b5468";
const ACCENT: &str = "#3c4fe0";
const DANGER: &str = "#c62f3b";
const TRACK: &str = "#eef0f6";

/// The funnel as horizontal bars and the path flows as Sankey-style bands, under a title that
/// says what was measured and when.
pub(super) fn svg(report: &Report) -> String {
    let mut body = String::new();
    let mut y = PAD + 22.0;
    let title = wrap(&report.title, 60);
    text_block(&mut body, PAD, y, &title, 22, "bold", INK);
    y += title.len() as f64 * 30.0;
    let about = [
        report.filter.clone(),
        format!(
            "Measured on {} customers · exported {}",
            thousands(report.customers),
            date_time(report.exported)
        ),
    ];
    text_block(&mut body, PAD, y, &about, 13, "normal", SOFT);
    y += about.len() as f64 * 17.5 + 20.0;
    y = funnel(&mut body, report, y);
    y = flows(&mut body, report, y + 20.0);
    document(
        WIDTH,
        y + PAD,
        &format!("{} · measured journey", report.title),
        &body,
    )
}

/// A section's heading and the line under it; returns where its content starts.
fn heading(out: &mut String, y: f64, title: &str, hint: &str) -> f64 {
    text_block(out, PAD, y, &[title.to_owned()], 16, "bold", INK);
    let hint = wrap(hint, 110);
    text_block(out, PAD, y + 20.0, &hint, 12, "normal", SOFT);
    y + 20.0 + hint.len() as f64 * NOTE_LINE + 12.0
}

/// One row per stage: its name, its reach as a bar (in red at the drop-off) and in figures,
/// and under the bar how many went on and how fast. Returns where the next section starts.
fn funnel(out: &mut String, report: &Report, y: f64) -> f64 {
    let mut y = heading(
        out,
        y,
        "Funnel",
        "Customers who reached each stage, and of them how many went on to the next",
    );
    let widest = report
        .stages
        .iter()
        .map(|s| s.figures.reach)
        .max()
        .unwrap_or(0)
        .max(1);
    let bar_x = PAD + NAME_W;
    for stage in &report.stages {
        let name = wrap(&stage.name, NAME_CHARS);
        text_block(out, PAD, y + 13.0, &name, 13, "bold", INK);
        let fill = if stage.drop_off { DANGER } else { ACCENT };
        let width = BAR_W * stage.figures.reach as f64 / widest as f64;
        let _ = write!(
            out,
            r##"<rect x="{bar_x:.1}" y="{y:.1}" width="{BAR_W:.1}" height="{BAR_H:.1}" rx="3" fill="{TRACK}"/><rect x="{bar_x:.1}" y="{y:.1}" width="{width:.1}" height="{BAR_H:.1}" rx="3" fill="{fill}"/>"##
        );
        let reached = format!("{} reached", thousands(stage.figures.reach));
        text_block(
            out,
            bar_x + BAR_W + 8.0,
            y + 13.0,
            &[reached],
            12,
            "normal",
            INK,
        );
        let mut notes = 0.0;
        if let Some(next) = &stage.figures.next {
            let line = [format!("↓ {}", conversion(next))];
            text_block(out, bar_x, y + BAR_H + 14.0, &line, 12, "normal", SOFT);
            notes += NOTE_LINE;
        }
        if stage.drop_off {
            let line = ["Drop-off: significantly fewer customers go on from here than anywhere else on the map".to_owned()];
            text_block(
                out,
                bar_x,
                y + BAR_H + 14.0 + notes,
                &line,
                12,
                "bold",
                DANGER,
            );
            notes += NOTE_LINE;
        }
        let rows = (name.len() as f64 * 17.5).max(BAR_H + notes + 4.0);
        y += rows + 14.0;
    }
    y
}

/// "60.0% went on (95% interval 31.3–83.2%), median 1.0 days, 90% within 1.5 days".
fn conversion(next: &Conversion) -> String {
    let Some(rate) = next.rate else {
        return "not measured: nobody reached the next stage".to_owned();
    };
    let mut parts = vec![format!(
        "{:.1}% went on (95% interval {:.1}–{:.1}%)",
        rate.value(),
        rate.low(),
        rate.high()
    )];
    if let Some(time) = next.time {
        parts.push(format!("median {}", duration(time.median)));
        parts.push(format!("90% within {}", duration(time.p90)));
    }
    parts.join(", ")
}

/// Where customers went next from each touchpoint: the nodes they left on the left, where they
/// went on the right, a band between as wide as its moves (laid out by the Journey panel's own
/// `sankey`); then the same in words. Returns where the picture ends.
fn flows(out: &mut String, report: &Report, y: f64) -> f64 {
    let mut y = heading(
        out,
        y,
        "Path flows",
        "Where customers went next from each touchpoint (its most common next steps), each band as wide as its moves",
    );
    let flows: Vec<Flow> = report
        .touchpoints
        .iter()
        .flat_map(|t| {
            t.next.iter().map(|&(to, count)| Flow {
                from: t.place,
                to,
                count,
            })
        })
        .collect();
    let drawing = sankey::layout(&flows);
    if drawing.bands.is_empty() {
        let line = ["No customer has gone from one touchpoint to another yet.".to_owned()];
        text_block(out, PAD, y + 12.0, &line, 13, "normal", SOFT);
        return y + 24.0;
    }
    bands(out, report, &drawing, y);
    y += drawing.height + 28.0;

    for touch in report.touchpoints.iter().filter(|t| !t.next.is_empty()) {
        let next: Vec<String> = touch
            .next
            .iter()
            .map(|&(to, moves)| format!("{} ({})", report.places[to].name, thousands(moves)))
            .collect();
        let line = format!("{} → {}", report.places[touch.place].name, next.join(", "));
        let lines = wrap(&line, 120);
        text_block(out, PAD, y, &lines, 12, "normal", INK);
        y += lines.len() as f64 * NOTE_LINE + 2.0;
    }
    y
}

/// The Sankey drawing itself, its top at `top`.
fn bands(out: &mut String, report: &Report, drawing: &Layout, top: f64) {
    let left = PAD + LABEL_W;
    let right = WIDTH - PAD - LABEL_W - NODE;
    let middle = (left + NODE + right) / 2.0;
    for band in &drawing.bands {
        let (from, to) = (top + band.from_y, top + band.to_y);
        let _ = write!(
            out,
            r#"<path d="M{:.1},{from:.1} C{middle:.1},{from:.1} {middle:.1},{to:.1} {right:.1},{to:.1}" fill="none" stroke="{ACCENT}" stroke-opacity="0.35" stroke-width="{:.1}"/>"#,
            left + NODE,
            band.width.max(1.0)
        );
    }
    // Each node's moves, out of it on the left and into it on the right.
    let moves = |slot: &Slot, leaving: bool| -> u64 {
        drawing
            .bands
            .iter()
            .filter(|b| slot.node == if leaving { b.flow.from } else { b.flow.to })
            .map(|b| b.flow.count)
            .sum()
    };
    for (slots, x, leaving) in [
        (&drawing.sources, left, true),
        (&drawing.targets, right, false),
    ] {
        let (label_x, anchor) = if leaving {
            (left - 6.0, "end")
        } else {
            (right + NODE + 6.0, "start")
        };
        for slot in slots.iter() {
            let _ = write!(
                out,
                r#"<rect x="{x:.1}" y="{:.1}" width="{NODE:.1}" height="{:.1}" fill="{SOFT}"/>"#,
                top + slot.top,
                slot.height.max(1.0)
            );
            let label = format!(
                "{} ({})",
                short(&report.places[slot.node].name),
                thousands(moves(slot, leaving))
            );
            let _ = write!(
                out,
                r#"<text x="{label_x:.1}" y="{:.1}" font-size="12" fill="{INK}" text-anchor="{anchor}">{}</text>"#,
                top + slot.middle() + 4.0,
                escape(&label)
            );
        }
    }
}

/// A name cut to fit beside the drawing (the list under it has it whole).
fn short(name: &str) -> String {
    let lines = wrap(name, LABEL_CHARS);
    match lines.as_slice() {
        [only] => only.clone(),
        [first, ..] => format!("{first}…"),
        [] => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::ids::StageId;
    use app::domain::journey::{Durations, Funnel, TouchFigures};
    use app::domain::stats;
    use app::domain::template::Template;
    use app::domain::text::{Name, Text};

    const DAY: Millis = 86_400_000;
    /// 2026-11-26T10:00:00Z.
    const NOW: Millis = 1_795_651_200_000 + 10 * 3_600_000;

    /// The customer journey template with its title, first stage and three cards (two of the
    /// first stage, one of the second) named with text that needs escaping or quoting.
    fn map() -> (JourneyMap, Vec<StageId>, Vec<CardId>) {
        use app::domain::edit::{apply, Edit};
        let mut map = Template::CustomerJourney.build(
            MapId::from_uuid(uuid::Uuid::nil()),
            Name::parse("Shoes & <socks>").ok(),
            0,
            &mut uuid::Uuid::new_v4,
        );
        let stages: Vec<StageId> = map.stages().iter().map(|s| s.id).collect();
        let in_stage = |map: &JourneyMap, stage| {
            map.cards()
                .iter()
                .filter(|c| c.stage == stage)
                .map(|c| c.id)
                .collect::<Vec<_>>()
        };
        let (first, second) = (in_stage(&map, stages[0]), in_stage(&map, stages[1]));
        let cards = vec![first[0], first[1], second[0]];
        let mut edits = vec![Edit::RenameStage {
            id: stages[0],
            name: Name::parse("=Aware \"now\"").unwrap(),
        }];
        for (card, text) in cards
            .iter()
            .zip(["Ad <b>banner</b>", "Newsletter", "Shop page"])
        {
            edits.push(Edit::SetCardText {
                id: *card,
                text: Text::parse(text).unwrap(),
            });
        }
        for edit in edits {
            apply(&mut map, &edit).unwrap();
        }
        (map, stages, cards)
    }

    /// Ten customers reached the first stage, six went on (a median of a day, 90% within a
    /// day and a half), three of those to the third stage; the second stage is the drop-off.
    fn figures(stages: &[StageId], cards: &[CardId]) -> JourneyFigures {
        let step = |i: usize, reach: u64, converted: u64, time: Option<Durations>| StageFigures {
            stage: stages[i],
            reach,
            next: stages.get(i + 1).map(|&to| Conversion {
                to,
                converted,
                rate: stats::wilson(converted, reach),
                time,
            }),
        };
        JourneyFigures {
            funnel: Funnel {
                customers: 10,
                stages: vec![
                    step(
                        0,
                        10,
                        6,
                        Some(Durations {
                            median: DAY,
                            p90: DAY * 3 / 2,
                        }),
                    ),
                    step(1, 6, 3, None),
                ],
                drop_off: Some(stages[1]),
            },
            touchpoints: vec![
                TouchFigures {
                    card: cards[0],
                    reach: 10,
                    share: stats::wilson(10, 10),
                    next: vec![(cards[2], 6), (cards[1], 2)],
                },
                TouchFigures {
                    card: cards[1],
                    reach: 2,
                    share: stats::wilson(2, 10),
                    next: vec![],
                },
            ],
        }
    }

    fn report() -> Report {
        let (map, stages, cards) = map();
        let filter = Filter {
            channel: Some("web".into()),
            from: app::domain::time::day_from_civil(2026, 9, 1),
            ..Filter::default()
        };
        Report::new(&map, figures(&stages, &cards), &filter, NOW)
    }

    #[test]
    fn the_csv_holds_the_funnel_and_the_flows_as_two_tables() {
        let report = report();
        let csv = String::from_utf8(csv(&report).unwrap()).unwrap();
        let sections: Vec<&str> = csv.split("\n\n").collect();
        assert_eq!(sections.len(), 3, "{csv}");
        assert_eq!(
            sections[0],
            "Measured journey,Shoes & <socks>\n\
             Filter,\"Customers from 2026-09-01, channel “web”\"\n\
             Customers,10\n\
             Exported,2026-11-26T10:00:00Z"
        );
        // Wilson's 95% interval for 6 of 10 is 31.3–83.2% and for 3 of 6 18.8–81.2%
        // (worked by hand: centre (p + z²/2n) / (1 + z²/n), half-width
        // z √(p(1−p)/n + z²/4n²) / (1 + z²/n), z = 1.96). The stage name that looks like a
        // formula is defused, and quoted for its quotes.
        let second = &report.stages[1].name;
        assert_eq!(
            sections[1],
            format!(
                "Funnel\n\
                 stage,reach,went on,rate %,low %,high %,median hours,p90 hours,drop-off\n\
                 \"'=Aware \"\"now\"\"\",10,6,60.0,31.3,83.2,24.00,36.00,\n\
                 {second},6,3,50.0,18.8,81.2,,,yes"
            )
        );
        let first = "\"'=Aware \"\"now\"\"\"";
        assert_eq!(
            sections[2],
            format!(
                "Path flows\n\
                 touchpoint,stage,reach,share %,next touchpoint,moves\n\
                 Ad <b>banner</b>,{first},10,100.0,Shop page,6\n\
                 Ad <b>banner</b>,{first},10,100.0,Newsletter,2\n\
                 Newsletter,{first},2,20.0,,\n"
            )
        );
    }

    #[test]
    fn the_picture_shows_the_figures_with_its_text_escaped() {
        let svg = svg(&report());
        assert!(
            svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
            "{svg}"
        );
        for expected in [
            "Shoes &amp; &lt;socks&gt;",
            "=Aware &quot;now&quot;",
            "Customers from 2026-09-01, channel “web”",
            "Measured on 10 customers · exported 26 Nov 2026, 10:00 UTC",
            "10 reached",
            "6 reached",
            "↓ 60.0% went on (95% interval 31.3–83.2%), median 1.0 days, 90% within 1.5 days",
            "↓ 50.0% went on (95% interval 18.8–81.2%)",
            "Drop-off: significantly fewer customers",
            "Ad &lt;b&gt;banner&lt;/b&gt; (8)",
        ] {
            assert!(svg.contains(expected), "{expected} in {svg}");
        }
        assert!(!svg.contains("<b>") && !svg.contains("<socks>"), "{svg}");
        // The drop-off's bar is red, and only its.
        assert_eq!(svg.matches(&format!("fill=\"{DANGER}\"/>")).count(), 1);
        // One band per move between touchpoints.
        assert_eq!(svg.matches("<path").count(), 2);
        // Well-formed enough for the rasteriser, which PNG and PDF go through.
        assert!(super::super::raster::png(&svg, 1.0).is_ok());
    }

    #[test]
    fn nothing_measured_still_makes_a_picture_and_a_table() {
        let (map, _, _) = map();
        let report = Report::new(&map, JourneyFigures::default(), &Filter::default(), NOW);
        let svg = svg(&report);
        assert!(svg.contains("All customers") && svg.contains("No customer has gone"));
        let csv = String::from_utf8(csv(&report).unwrap()).unwrap();
        assert!(
            csv.ends_with("touchpoint,stage,reach,share %,next touchpoint,moves\n"),
            "{csv}"
        );
    }

    #[test]
    fn filters_read_as_words() {
        let day = |d| app::domain::time::day_from_civil(2026, 9, d);
        assert_eq!(in_words(&Filter::default()), "All customers");
        let filter = Filter {
            from: day(1),
            to: day(30),
            channel: None,
            segment: Some("pro".into()),
        };
        assert_eq!(
            in_words(&filter),
            "Customers from 2026-09-01 to 2026-09-30, segment “pro”"
        );
        let until = Filter {
            to: day(30),
            ..Filter::default()
        };
        assert_eq!(in_words(&until), "Customers until 2026-09-30");
    }
}
