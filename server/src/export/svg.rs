//! The map drawn as one SVG picture: title and brief, stages by lanes, every card in full, the
//! emotion curves. Sized to its content, so nothing is ever cut off however big the map is.
//! All user text is XML-escaped.

use std::fmt::Write;

use app::domain::map::{Card, Emotion, JourneyMap, Lane, LaneKind};

const PAD: f64 = 24.0;
const LANE_W: f64 = 170.0;
const COL_W: f64 = 230.0;
const CARD_W: f64 = COL_W - 16.0;
const LINE: f64 = 16.0;
const SMALL_LINE: f64 = 14.0;
/// Characters per line in a card at 12px, a little under the average width so text stays inside.
const CARD_CHARS: usize = 30;
const CURVE_H: f64 = 110.0;
const FONT: &str = "DejaVu Sans, Helvetica, Arial, sans-serif";

/// Wraps `text` into lines of at most `width` characters, breaking at spaces where it can.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let mut word = word.to_owned();
            // A word longer than a line is cut into line-sized pieces.
            while word.chars().count() > width {
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                let head: String = word.chars().take(width).collect();
                word = word.chars().skip(width).collect();
                lines.push(head);
            }
            let needed =
                line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
            if needed > width && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&word);
        }
        lines.push(line);
    }
    while lines.len() > 1 && lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines
}

/// Escapes text for XML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0.
            c if c.is_control() && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

fn lane_colour(kind: LaneKind) -> &'static str {
    match kind {
        LaneKind::CustomerActions => "#3c4fe0",
        LaneKind::Touchpoints => "#0e8a9a",
        LaneKind::Channels => "#5a7184",
        LaneKind::Thoughts => "#8a5cd0",
        LaneKind::Emotions => "#e0913c",
        LaneKind::PainPoints => "#c62f3b",
        LaneKind::Opportunities => "#1f8a5b",
        LaneKind::MomentsOfTruth => "#c99a00",
        LaneKind::Backstage => "#7a8296",
        LaneKind::Text => "#a3abbd",
    }
}

/// The small line under a card's text: channel, emotion, evidence.
fn card_meta(card: &Card) -> String {
    let mut parts = Vec::new();
    if let Some(channel) = card.channel {
        parts.push(channel.label().to_owned());
    }
    if let Some(emotion) = card.emotion {
        parts.push(format!("{:+} {}", emotion.score(), emotion.label()));
    }
    if let Some(evidence) = card.evidence {
        parts.push(evidence.label().to_owned());
    }
    parts.join(" · ")
}

fn card_height(card: &Card) -> f64 {
    let lines = wrap(card.text.as_str(), CARD_CHARS).len() as f64;
    let meta = if card_meta(card).is_empty() {
        0.0
    } else {
        SMALL_LINE
    };
    12.0 + lines * LINE + meta
}

/// Lines of text from (`x`, `y`), one below the other; the text is escaped here.
pub(super) fn text_block(
    out: &mut String,
    x: f64,
    y: f64,
    lines: &[String],
    size: u32,
    weight: &str,
    fill: &str,
) {
    let _ = write!(
        out,
        r#"<text x="{x:.1}" y="{y:.1}" font-size="{size}" font-weight="{weight}" fill="{fill}">"#
    );
    for (i, line) in lines.iter().enumerate() {
        let dy = if i == 0 { 0.0 } else { f64::from(size) * 1.35 };
        let _ = write!(
            out,
            r#"<tspan x="{x:.1}" dy="{dy:.1}">{}</tspan>"#,
            escape(line)
        );
    }
    out.push_str("</text>");
}

/// Draws `map`.
pub fn render(map: &JourneyMap) -> String {
    let stages = map.stages();
    let lanes = map.lanes();
    let width = PAD * 2.0 + LANE_W + COL_W * stages.len().max(1) as f64;
    let text_chars = ((width - PAD * 2.0) / 7.0) as usize;

    let mut body = String::new();
    // Title and brief.
    let mut y = PAD + 22.0;
    let title = wrap(map.title.as_str(), text_chars / 2);
    text_block(&mut body, PAD, y, &title, 24, "bold", "#1d2433");
    y += title.len() as f64 * 32.0;
    for (label, text) in [
        ("Scenario", map.scenario.as_str()),
        ("Goals", map.goals.as_str()),
    ] {
        if text.is_empty() {
            continue;
        }
        let lines = wrap(&format!("{label}: {text}"), text_chars);
        text_block(&mut body, PAD, y, &lines, 13, "normal", "#4b5468");
        y += lines.len() as f64 * 17.5 + 4.0;
    }
    let personas: Vec<String> = map
        .personas()
        .iter()
        .map(|p| match p.role.as_str() {
            "" => p.name.to_string(),
            role => format!("{} ({role})", p.name),
        })
        .collect();
    let lines = wrap(&format!("Personas: {}", personas.join("; ")), text_chars);
    text_block(&mut body, PAD, y, &lines, 13, "normal", "#4b5468");
    y += lines.len() as f64 * 17.5 + 12.0;

    // Stage headers.
    let header_lines: Vec<Vec<String>> = stages
        .iter()
        .enumerate()
        .map(|(i, s)| wrap(&format!("{}. {}", i + 1, s.name), 26))
        .collect();
    let header_h = 20.0 + header_lines.iter().map(Vec::len).max().unwrap_or(1) as f64 * 18.0;
    let grid_top = y;
    let _ = write!(
        body,
        r##"<rect x="{PAD}" y="{grid_top:.1}" width="{:.1}" height="{header_h:.1}" fill="#f4f6fa"/>"##,
        width - PAD * 2.0
    );
    for (i, lines) in header_lines.iter().enumerate() {
        let x = PAD + LANE_W + COL_W * i as f64 + 10.0;
        text_block(&mut body, x, grid_top + 24.0, lines, 14, "bold", "#1d2433");
    }
    y = grid_top + header_h;

    // Lanes.
    for lane in lanes {
        y = render_lane(&mut body, map, lane, y, width);
    }
    let height = y + PAD;
    // Column rules over the whole grid.
    for i in 0..=stages.len() {
        let x = PAD + LANE_W + COL_W * i as f64;
        let _ = write!(
            body,
            r##"<line x1="{x:.1}" y1="{grid_top:.1}" x2="{x:.1}" y2="{y:.1}" stroke="#dfe3ec"/>"##
        );
    }

    document(width, height, map.title.as_str(), &body)
}

/// A whole picture: `body` on white, `width` by `height`, titled `title` (escaped here). Every
/// exported picture starts the same way, so that they share one font (the one `raster` has).
pub(super) fn document(width: f64, height: f64, title: &str, body: &str) -> String {
    let mut svg = String::with_capacity(body.len() + 512);
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="{FONT}"><title>{}</title><rect width="100%" height="100%" fill="#ffffff"/>"##,
        escape(title)
    );
    svg.push_str(body);
    svg.push_str("</svg>");
    svg
}

/// Draws one lane from `top` and returns where the next begins.
fn render_lane(out: &mut String, map: &JourneyMap, lane: &Lane, top: f64, width: f64) -> f64 {
    let stages = map.stages();
    let colour = lane_colour(lane.kind);
    let curve = lane.kind == LaneKind::Emotions;
    let cards_top = top + if curve { CURVE_H } else { 0.0 };
    let cells: Vec<Vec<&Card>> = stages
        .iter()
        .map(|s| map.cards_in(s.id, lane.id).collect())
        .collect();
    let cells_h = cells
        .iter()
        .map(|cell| cell.iter().map(|c| card_height(c) + 8.0).sum::<f64>())
        .fold(0.0, f64::max);
    let bottom = cards_top + (cells_h + 8.0).max(56.0);

    let _ = write!(
        out,
        r##"<line x1="{PAD}" y1="{top:.1}" x2="{:.1}" y2="{top:.1}" stroke="#dfe3ec"/><rect x="{PAD}" y="{top:.1}" width="4" height="{:.1}" fill="{colour}"/>"##,
        width - PAD,
        bottom - top
    );
    let name = wrap(lane.name.as_str(), 20);
    text_block(out, PAD + 12.0, top + 22.0, &name, 13, "bold", "#1d2433");
    let kind = vec![lane.kind.label().to_owned()];
    text_block(
        out,
        PAD + 12.0,
        top + 26.0 + name.len() as f64 * 17.5,
        &kind,
        11,
        "normal",
        "#7a8296",
    );

    if curve {
        render_curve(out, &cells, top);
    }
    for (i, cell) in cells.iter().enumerate() {
        let x = PAD + LANE_W + COL_W * i as f64 + 8.0;
        let mut y = cards_top + 8.0;
        for card in cell {
            let h = card_height(card);
            let _ = write!(
                out,
                r##"<rect x="{x:.1}" y="{y:.1}" width="{CARD_W:.1}" height="{h:.1}" rx="5" fill="#ffffff" stroke="#dfe3ec"/><rect x="{x:.1}" y="{y:.1}" width="3" height="{h:.1}" fill="{colour}"/>"##
            );
            let lines = wrap(card.text.as_str(), CARD_CHARS);
            text_block(out, x + 10.0, y + 17.0, &lines, 12, "normal", "#1d2433");
            let meta = card_meta(card);
            if !meta.is_empty() {
                let meta_y = y + 17.0 + lines.len() as f64 * LINE;
                text_block(out, x + 10.0, meta_y, &[meta], 10, "normal", "#7a8296");
            }
            y += h + 8.0;
        }
    }
    bottom
}

/// The emotion curve of a lane: each stage's mean score, joined.
fn render_curve(out: &mut String, cells: &[Vec<&Card>], top: f64) {
    let mid = top + CURVE_H / 2.0;
    let step = (CURVE_H - 30.0) / 4.0;
    let points: Vec<(f64, f64)> = cells
        .iter()
        .enumerate()
        .filter_map(|(i, cell)| {
            let scores: Vec<f64> = cell
                .iter()
                .filter_map(|c| c.emotion.map(Emotion::score))
                .map(f64::from)
                .collect();
            (!scores.is_empty()).then(|| {
                let mean = scores.iter().sum::<f64>() / scores.len() as f64;
                (PAD + LANE_W + COL_W * (i as f64 + 0.5), mid - mean * step)
            })
        })
        .collect();
    let _ = write!(
        out,
        r##"<line x1="{:.1}" y1="{mid:.1}" x2="{:.1}" y2="{mid:.1}" stroke="#c5cbd8" stroke-dasharray="4 4"/>"##,
        PAD + LANE_W,
        PAD + LANE_W + COL_W * cells.len() as f64
    );
    if points.len() > 1 {
        let path: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect();
        let _ = write!(
            out,
            r##"<polyline points="{}" fill="none" stroke="#e0913c" stroke-width="3" stroke-linejoin="round"/>"##,
            path.join(" ")
        );
    }
    for (x, y) in points {
        let _ = write!(
            out,
            r##"<circle cx="{x:.1}" cy="{y:.1}" r="6" fill="#ffffff" stroke="#e0913c" stroke-width="3"/>"##
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_every_character() {
        assert_eq!(wrap("a bb ccc", 4), ["a bb", "ccc"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("one\ntwo", 10), ["one", "two"]);
        assert_eq!(wrap("", 10), [""]);
        let text = "x".repeat(5000);
        assert_eq!(wrap(&text, 30).concat(), text);
    }

    #[test]
    fn user_text_is_escaped() {
        assert_eq!(
            escape(r#"<img src=x onerror="alert(1)"> & 'q'"#),
            "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &apos;q&apos;"
        );
    }
}
