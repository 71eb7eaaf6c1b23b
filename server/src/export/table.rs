//! The map's cards as CSV, one row per card, for spreadsheets.

use app::domain::map::JourneyMap;

/// Cells that start like a formula are prefixed with `'` so a spreadsheet shows them as text
/// rather than running them (CSV injection).
fn cell(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_owned(),
    }
}

pub fn cards_csv(map: &JourneyMap) -> Result<Vec<u8>, csv::Error> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "stage_number",
        "stage",
        "lane",
        "lane_kind",
        "order",
        "text",
        "channel",
        "emotion",
        "evidence",
        "card_id",
    ])?;
    for (stage_number, stage) in map.stages().iter().enumerate() {
        for lane in map.lanes() {
            for (order, card) in map.cards_in(stage.id, lane.id).enumerate() {
                out.write_record([
                    (stage_number + 1).to_string(),
                    cell(stage.name.as_str()),
                    cell(lane.name.as_str()),
                    lane.kind.key().to_owned(),
                    (order + 1).to_string(),
                    cell(card.text.as_str()),
                    card.channel.map(|c| c.key().to_owned()).unwrap_or_default(),
                    card.emotion
                        .map(|e| e.score().to_string())
                        .unwrap_or_default(),
                    card.evidence
                        .map(|e| e.key().to_owned())
                        .unwrap_or_default(),
                    card.id.to_string(),
                ])?;
            }
        }
    }
    out.into_inner().map_err(|e| e.into_error().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_quotes_kept() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("plain"), "plain");
        let mut map = app::domain::template::Template::Blank.build(
            app::domain::ids::MapId::from_uuid(uuid::Uuid::nil()),
            None,
            0,
            &mut uuid::Uuid::new_v4,
        );
        let card = app::domain::map::Card {
            id: app::domain::ids::CardId::from_uuid(uuid::Uuid::new_v4()),
            stage: map.stages()[0].id,
            lane: map.lanes()[0].id,
            position: app::domain::position::Position::first(),
            text: app::domain::text::Text::parse("Says \"hi\", then =1+1").unwrap(),
            channel: None,
            emotion: None,
            evidence: None,
            survey: None,
        };
        app::domain::edit::apply(&mut map, &app::domain::edit::Edit::AddCard { card }).unwrap();
        let csv = String::from_utf8(cards_csv(&map).unwrap()).unwrap();
        assert!(
            csv.contains(
                r#"1,Stage 1,Customer actions,customer_actions,1,"Says ""hi"", then =1+1",,,"#
            ),
            "{csv}"
        );
    }
}
