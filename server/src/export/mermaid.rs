//! The map as a Mermaid `journey` diagram, for documentation that renders Mermaid.
//!
//! Sections are stages; tasks are the customer-action cards of each stage (touchpoints when a
//! stage has no actions), scored 1–5 from the stage's emotion (-2..=2) and done by the personas.

use app::domain::map::{Card, JourneyMap, LaneKind};

/// Mermaid's journey syntax gives `:` and `#` meaning, ends a task at a line break, and takes
/// a line starting with `%%` for a comment. Some renderers pass labels on as HTML, so angle
/// brackets become look-alike guillemets: a card's text can never become markup there.
fn clean(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| match c {
            ':' | ';' | '#' => ' ',
            '<' => '‹',
            '>' => '›',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    let words = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    words.trim_start_matches('%').trim_start().to_owned()
}

pub fn render(map: &JourneyMap) -> String {
    let actors = map
        .personas()
        .iter()
        .map(|p| clean(p.name.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let lane_ids = |kind: LaneKind| -> Vec<_> {
        map.lanes()
            .iter()
            .filter(|l| l.kind == kind)
            .map(|l| l.id)
            .collect()
    };
    let (actions, touchpoints, emotions) = (
        lane_ids(LaneKind::CustomerActions),
        lane_ids(LaneKind::Touchpoints),
        lane_ids(LaneKind::Emotions),
    );
    let mut out = format!("journey\n    title {}\n", clean(map.title.as_str()));
    for stage in map.stages() {
        let in_lanes = |lanes: &[app::domain::ids::LaneId]| -> Vec<&Card> {
            lanes
                .iter()
                .flat_map(|lane| map.cards_in(stage.id, *lane))
                .collect()
        };
        let scores: Vec<i32> = in_lanes(&emotions)
            .iter()
            .filter_map(|c| c.emotion)
            .map(|e| i32::from(e.score()))
            .collect();
        // Mermaid scores run 1..=5; a stage without an emotion counts as neutral.
        let score = match scores.len() {
            0 => 3,
            n => (scores.iter().sum::<i32>() as f64 / n as f64).round() as i32 + 3,
        };
        let mut tasks = in_lanes(&actions);
        if tasks.is_empty() {
            tasks = in_lanes(&touchpoints);
        }
        out.push_str(&format!("    section {}\n", clean(stage.name.as_str())));
        if tasks.is_empty() {
            out.push_str(&format!(
                "      {}: {score}: {actors}\n",
                clean(stage.name.as_str())
            ));
        }
        for task in tasks {
            let name = match clean(task.text.as_str()) {
                empty if empty.is_empty() => "(empty card)".to_owned(),
                name => name,
            };
            out.push_str(&format!("      {name}: {score}: {actors}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use app::domain::ids::MapId;
    use app::domain::template::Template;

    use super::*;

    #[test]
    fn the_five_stage_template_becomes_a_journey() {
        let mut n = 0u128;
        let map = Template::CustomerJourney.build(
            MapId::from_uuid(uuid::Uuid::nil()),
            None,
            0,
            &mut || {
                n += 1;
                uuid::Uuid::from_u128(n)
            },
        );
        let mermaid = render(&map);
        assert!(mermaid.starts_with("journey\n    title Customer journey — online shoe store\n"));
        assert!(mermaid.contains("    section Consideration\n      Compares models and reads reviews: 2: Maya, the busy commuter\n"), "{mermaid}");
        assert!(
            mermaid.contains("Wears them daily gets a care-tips email: 5: Maya, the busy commuter"),
            "{mermaid}"
        );
        assert_eq!(clean("a: b # c\nd"), "a b c d");
        assert_eq!(clean("<img src=x>"), "‹img src=x›");
        assert_eq!(clean("%% hidden"), "hidden");
    }
}
