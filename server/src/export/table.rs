//! The map's cards, and its customers' responses, as CSV for spreadsheets.

use app::domain::import::FileResponse;
use app::domain::map::JourneyMap;
use app::domain::time::iso;
use app::domain::time::Millis;

/// Cells that start like a formula are prefixed with `'` so a spreadsheet shows them as text
/// rather than running them (CSV injection).
pub(crate) fn cell(text: &str) -> String {
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

/// `2026-11-05T10:00:00Z`: RFC 3339 in UTC, which spreadsheets and the CSV import both read.
fn timestamp(at: Millis) -> String {
    iso(at)
}

/// One row per response, with the touchpoint's id (for re-importing) and its title; the
/// column names are ones the CSV import recognises.
pub fn responses_csv(
    map: &JourneyMap,
    responses: &[(FileResponse, Option<f64>)],
) -> Result<Vec<u8>, csv::Error> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "touchpoint",
        "touchpoint_name",
        "at",
        "nps",
        "csat",
        "ces",
        "comment",
        "channel",
        "segment",
        "respondent",
        "source",
        "sentiment",
        "followed_up",
    ])?;
    let number = |n: Option<u8>| n.map(|n| n.to_string()).unwrap_or_default();
    for (file, sentiment) in responses {
        let r = &file.response;
        let name = map
            .card(r.touchpoint)
            .map(|c| c.text.as_str().lines().next().unwrap_or("").to_owned())
            .unwrap_or_default();
        out.write_record([
            r.touchpoint.to_string(),
            cell(&name),
            timestamp(r.at),
            number(r.nps),
            number(r.csat),
            number(r.ces),
            cell(r.comment.as_deref().unwrap_or("")),
            cell(&r.channel),
            cell(&r.segment),
            cell(r.respondent.as_deref().unwrap_or("")),
            file.source.key().to_owned(),
            sentiment.map(|s| format!("{s:.3}")).unwrap_or_default(),
            file.followed_up.to_string(),
        ])?;
    }
    out.into_inner().map_err(|e| e.into_error().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc_3339_in_utc() {
        assert_eq!(timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            timestamp(1_795_651_200_000 + 37_230_500),
            "2026-11-26T10:20:30Z"
        );
    }

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
