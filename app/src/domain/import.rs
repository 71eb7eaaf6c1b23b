//! The map file: Waymark's JSON export format, and reading one back safely.
//!
//! ```json
//! { "format": "waymark-map", "version": 2, "exported_at": 1795685460000,
//!   "map": { "id": "…", "title": "…", "scenario": "…", "goals": "…",
//!            "created_at": 0, "updated_at": 0,
//!            "stages": [{ "id", "name", "position" }],
//!            "lanes": [{ "id", "name", "kind", "position" }],
//!            "cards": [{ "id", "stage", "lane", "position", "text", "channel"?, "emotion"?, "evidence"? }],
//!            "personas": [{ "id", "name", "position", "role", "goals", "motivations", "frustrations" }],
//!            "comments": [{ "id", "target": { "kind", "id" }, "thread"?, "author", "text", "at", "resolved" }],
//!            "feedback": { "minimum", "comment_minimum", "themes": [{ "name", "keywords": [] }] } },
//!   "catalog"?: { "status": "draft" | "in_review" | "validated" | "archived", "tags"?: [] },
//!   "targets"?: [{ "stage"?, "measure": "nps" | "csat" | "ces" | "conversion", "tenths",
//!                  "metric"? (the library's metric definition it follows, where it exists) }],
//!   "opportunities"?: [{ "card", "status": "idea" | "planned" | "in_progress" | "done" | "dropped",
//!                        "impact"?, "effort"?: "low" | "medium" | "high", "links"?: [card ids] }],
//!   "responses"?: [{ "touchpoint", "at", "nps"?, "csat"?, "ces"?, "comment"?, "channel", "segment",
//!                    "respondent"?, "source", "followed_up" }] }
//! ```
//!
//! Cards that collect feedback carry `"survey": { "nps"?, "csat"?, "ces"?, "comment"? }` (the
//! wording of each question asked). `responses`, the customers' answers, is there only when the
//! export asked for it; `at` is milliseconds since the Unix epoch and `source` one of `form`,
//! `api`, `csv`.
//!
//! Field values follow the map's own types (`domain::map`): lane kinds, channels and evidence
//! levels are snake_case words, emotions are -2..=2, positions are fractional-index keys. A file
//! from outside is untrusted: `read_map_file` checks the format and version first, then rebuilds
//! the map through `edit::apply`, so everything a user's edits must obey (limits, references,
//! unique ids) holds for an imported map too.

use serde::{Deserialize, Serialize};

use crate::domain::backlog::Triage;
use crate::domain::catalog::Catalog;
use crate::domain::edit::{apply, Edit, EditError};
use crate::domain::feedback::{Response, ResponseInput, Source, When};
use crate::domain::ids::CardId;
use crate::domain::map::JourneyMap;
use crate::domain::targets::Target;
use crate::domain::time::Millis;

pub const FORMAT: &str = "waymark-map";
/// Version 2 added the map's `catalog` (status and tags, `domain::catalog`), its `targets`
/// (`domain::targets`) and its opportunities' triage (`domain::backlog`, without owners: people are not in the file); a
/// version 1 file reads as a draft without tags, its opportunities untriaged.
pub const VERSION: u32 = 2;
/// The oldest version this Waymark reads.
pub const OLDEST_VERSION: u32 = 1;

/// A map file as written by `export`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MapFile {
    pub format: String,
    pub version: u32,
    pub exported_at: Millis,
    pub map: JourneyMap,
    /// Its status and tags among the team's maps.
    #[serde(default)]
    pub catalog: Catalog,
    /// What the team aims for on it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<Target>,
    /// The triage of its opportunity cards.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub opportunities: Vec<FileOpportunity>,
    /// Customers' answers, when the export included them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub responses: Vec<FileResponse>,
}

/// An opportunity card's triage as a map file carries it: without its owner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileOpportunity {
    pub card: CardId,
    #[serde(flatten)]
    pub triage: Triage,
}

impl FileOpportunity {
    pub fn new(card: CardId, triage: Triage) -> FileOpportunity {
        FileOpportunity {
            card,
            triage: Triage {
                owner: None,
                ..triage
            },
        }
    }
}

/// A stored response as a map file carries it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileResponse {
    #[serde(flatten)]
    pub response: Response,
    pub source: Source,
    #[serde(default)]
    pub followed_up: bool,
}

/// What a map file holds, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct Imported {
    pub map: JourneyMap,
    pub catalog: Catalog,
    pub targets: Vec<Target>,
    pub opportunities: Vec<FileOpportunity>,
    pub responses: Vec<FileResponse>,
}

/// Why a file could not be imported. Nothing is created when it can't.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("this is not a Waymark map file (expected \"format\": \"{FORMAT}\")")]
    NotAMapFile,
    #[error(
        "this map file is version {0}; this Waymark reads versions {OLDEST_VERSION} to {VERSION}"
    )]
    Version(u32),
    #[error("the file is not valid: {0}")]
    Malformed(String),
    #[error("the map in the file is not valid: {0}")]
    Invalid(String),
}

/// Wraps `map` and its catalog, and optionally its responses, for export.
pub fn export(
    map: &JourneyMap,
    catalog: Catalog,
    responses: Vec<FileResponse>,
    now: Millis,
) -> MapFile {
    MapFile {
        format: FORMAT.to_owned(),
        version: VERSION,
        exported_at: now,
        map: map.clone(),
        catalog,
        targets: Vec::new(),
        opportunities: Vec::new(),
        responses,
    }
}

/// Reads a map file and returns its map and responses, checked as thoroughly as a user's edits
/// and a customer's answers are (`now` bounds the answers' times).
pub fn read_map_file(json: &str, now: Millis) -> Result<Imported, ImportError> {
    // The header first, on its own, so a file of another kind or version gets a clear error
    // rather than a complaint about some field deep inside.
    #[derive(Deserialize)]
    struct Header {
        format: Option<String>,
        version: Option<u32>,
    }
    let header: Header =
        serde_json::from_str(json).map_err(|e| ImportError::Malformed(e.to_string()))?;
    if header.format.as_deref() != Some(FORMAT) {
        return Err(ImportError::NotAMapFile);
    }
    match header.version {
        Some(OLDEST_VERSION..=VERSION) => {}
        Some(other) => return Err(ImportError::Version(other)),
        None => return Err(ImportError::Malformed("missing \"version\"".into())),
    }
    let file: MapFile =
        serde_json::from_str(json).map_err(|e| ImportError::Malformed(e.to_string()))?;
    let map = rebuild(file.map)?;
    file.catalog
        .check()
        .map_err(|e| ImportError::Invalid(format!("catalog: {e}")))?;
    crate::domain::targets::check(&file.targets)
        .map_err(|e| ImportError::Invalid(format!("targets: {e}")))?;
    if file
        .targets
        .iter()
        .any(|t| t.stage.is_some_and(|s| map.stage(s).is_none()))
    {
        return Err(ImportError::Invalid(
            "targets: a target is on a stage the map does not have".into(),
        ));
    }
    let opportunities = file
        .opportunities
        .into_iter()
        .enumerate()
        .map(|(i, o)| {
            let triage = o
                .triage
                .check(&map, o.card)
                .map_err(|e| ImportError::Invalid(format!("opportunity {}: {e}", i + 1)))?;
            Ok(FileOpportunity::new(o.card, triage))
        })
        .collect::<Result<_, ImportError>>()?;
    let responses = file
        .responses
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            check_response(&map, r, now)
                .map_err(|e| ImportError::Invalid(format!("response {}: {e}", i + 1)))
        })
        .collect::<Result<_, _>>()?;
    Ok(Imported {
        map,
        catalog: file.catalog,
        targets: file.targets,
        opportunities,
        responses,
    })
}

/// A response from a file, checked as if a customer had just sent it.
fn check_response(
    map: &JourneyMap,
    file: FileResponse,
    now: Millis,
) -> Result<FileResponse, crate::domain::feedback::ResponseError> {
    let r = file.response;
    let input = ResponseInput {
        touchpoint: r.touchpoint.to_string(),
        at: Some(When::Millis(r.at)),
        nps: r.nps.map(i64::from),
        csat: r.csat.map(i64::from),
        ces: r.ces.map(i64::from),
        comment: r.comment,
        channel: Some(r.channel),
        segment: Some(r.segment),
        respondent: r.respondent,
    };
    let response = input.check(
        |id| id.parse().ok().filter(|id| map.card(*id).is_some()),
        now,
    )?;
    Ok(FileResponse {
        response,
        source: file.source,
        followed_up: file.followed_up,
    })
}

/// The same map, rebuilt item by item through `apply` from its first persona up.
pub fn rebuild(map: JourneyMap) -> Result<JourneyMap, ImportError> {
    let mut personas = map.personas.into_iter();
    let first = personas
        .next()
        .ok_or_else(|| ImportError::Invalid(EditError::LastPersona.to_string()))?;
    let mut rebuilt = JourneyMap::new(map.id, map.title, first, map.created_at);
    rebuilt.scenario = map.scenario;
    rebuilt.goals = map.goals;
    rebuilt.updated_at = map.updated_at;
    let settings = Edit::SetFeedbackSettings {
        settings: map.feedback,
    };
    apply(&mut rebuilt, &settings).map_err(|err| ImportError::Invalid(err.to_string()))?;
    let mut comments = map.comments;
    // A thread's first comment must exist before its replies.
    comments.sort_by_key(|c| c.thread.is_some());
    let edits = personas
        .map(|persona| Edit::AddPersona { persona })
        .chain(map.stages.into_iter().map(|stage| Edit::AddStage { stage }))
        .chain(map.lanes.into_iter().map(|lane| Edit::AddLane { lane }))
        .chain(map.cards.into_iter().map(|card| Edit::AddCard { card }))
        .chain(
            comments
                .into_iter()
                .map(|comment| Edit::AddComment { comment }),
        );
    for edit in edits {
        apply(&mut rebuilt, &edit).map_err(|err| ImportError::Invalid(err.to_string()))?;
    }
    Ok(rebuilt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixture::{ids, sample_map};
    use crate::domain::ids::MapId;
    use crate::domain::template::Template;

    /// 2026-11-26, after every answer in these tests.
    const NOW: Millis = 1_795_651_200_000;

    #[test]
    fn every_template_round_trips() {
        for template in Template::ALL {
            let map = template.build(MapId::from_uuid(uuid::Uuid::nil()), None, 7, &mut ids(0));
            let json = serde_json::to_string(&export(&map, Catalog::default(), vec![], 9)).unwrap();
            assert_eq!(read_map_file(&json, NOW).unwrap().map, map, "{template:?}");
        }
    }

    #[test]
    fn surveys_feedback_settings_and_responses_round_trip() {
        use crate::domain::feedback::{FeedbackSettings, Survey};
        let mut map = sample_map();
        let card = map.cards()[0].id;
        let survey = Edit::SetCardSurvey {
            id: card,
            survey: Some(Survey::default_for("checkout")),
        };
        apply(&mut map, &survey).unwrap();
        let settings = FeedbackSettings {
            minimum: 12,
            comment_minimum: 20,
            ..FeedbackSettings::default()
        };
        apply(&mut map, &Edit::SetFeedbackSettings { settings }).unwrap();
        let answer = |nps: u8| FileResponse {
            response: Response {
                touchpoint: card,
                at: NOW - 86_400_000,
                nps: Some(nps),
                csat: None,
                ces: Some(6),
                comment: Some("Quick and easy".into()),
                channel: "web".into(),
                segment: String::new(),
                respondent: Some("order-17".into()),
            },
            source: Source::Csv,
            followed_up: true,
        };
        let file = export(&map, Catalog::default(), vec![answer(9), answer(3)], NOW);
        let json = serde_json::to_string(&file).unwrap();
        let back = read_map_file(&json, NOW).unwrap();
        assert_eq!(back.map, map);
        assert_eq!(back.responses, file.responses);

        // An answer out of range, or for a card the map lacks, refuses the whole file.
        let mut bad = serde_json::to_value(&file).unwrap();
        bad["responses"][1]["nps"] = 11.into();
        // (Refused as the file is read: a response deserializes through its checks.)
        let err = read_map_file(&bad.to_string(), NOW).unwrap_err();
        assert!(
            matches!(&err, ImportError::Malformed(m) if m.contains("nps") && m.contains("out of range")),
            "{err}"
        );
        let mut stray = serde_json::to_value(&file).unwrap();
        stray["responses"][0]["touchpoint"] = uuid::Uuid::new_v4().to_string().into();
        let err = read_map_file(&stray.to_string(), NOW).unwrap_err();
        assert!(
            matches!(&err, ImportError::Invalid(m) if m.contains("touchpoint")),
            "{err}"
        );
    }

    #[test]
    fn hostile_files_are_refused_with_a_reason() {
        let map = sample_map();
        let good = serde_json::to_value(export(&map, Catalog::default(), vec![], 0)).unwrap();
        let check = |value: serde_json::Value, expected: fn(&ImportError) -> bool| {
            let err = read_map_file(&value.to_string(), NOW).unwrap_err();
            assert!(expected(&err), "{err}");
        };
        let mut wrong_version = good.clone();
        wrong_version["version"] = 3.into();
        check(wrong_version, |e| matches!(e, ImportError::Version(3)));
        let mut too_old = good.clone();
        too_old["version"] = 0.into();
        check(too_old, |e| matches!(e, ImportError::Version(0)));
        // Version 1 had no catalog: it reads as a draft without tags; version 2's is kept.
        let mut first = good.clone();
        first["version"] = 1.into();
        first.as_object_mut().unwrap().remove("catalog");
        let read = read_map_file(&first.to_string(), NOW).unwrap();
        assert_eq!(read.catalog, Catalog::default());
        let mut tagged = good.clone();
        tagged["catalog"] = serde_json::json!({ "status": "validated", "tags": ["a", "b"] });
        let read = read_map_file(&tagged.to_string(), NOW).unwrap();
        assert_eq!(
            read.catalog.status,
            crate::domain::catalog::Status::Validated
        );
        // Opportunities' triage is kept, without owners; one on a card that is no
        // opportunity refuses the file.
        let guest = map
            .cards()
            .iter()
            .find(|c| c.text.as_str() == "Guest checkout")
            .unwrap()
            .id;
        let mut triaged = good.clone();
        triaged["opportunities"] = serde_json::json!([{
            "card": guest, "status": "planned", "impact": "high",
            "owner": uuid::Uuid::from_u128(7),
        }]);
        let read = read_map_file(&triaged.to_string(), NOW).unwrap();
        assert_eq!(read.opportunities.len(), 1);
        assert_eq!(read.opportunities[0].triage.owner, None);
        assert_eq!(
            read.opportunities[0].triage.impact,
            Some(crate::domain::backlog::Level::High)
        );
        let mut aimed = good.clone();
        aimed["targets"] = serde_json::json!([{ "measure": "nps", "tenths": 200 }]);
        assert_eq!(
            read_map_file(&aimed.to_string(), NOW)
                .unwrap()
                .targets
                .len(),
            1
        );
        aimed["targets"] = serde_json::json!([{ "measure": "nps", "tenths": 2000 }]);
        check(
            aimed.clone(),
            |e| matches!(e, ImportError::Invalid(m) if m.contains("targets")),
        );
        aimed["targets"] = serde_json::json!([{ "stage": uuid::Uuid::from_u128(77), "measure": "nps", "tenths": 0 }]);
        check(
            aimed,
            |e| matches!(e, ImportError::Invalid(m) if m.contains("stage")),
        );
        let mut misplaced = good.clone();
        misplaced["opportunities"] =
            serde_json::json!([{ "card": map.cards()[0].id, "status": "idea" }]);
        check(
            misplaced,
            |e| matches!(e, ImportError::Invalid(m) if m.contains("opportunity 1")),
        );
        let mut bad_tags = good.clone();
        bad_tags["catalog"] = serde_json::json!({ "status": "validated", "tags": ["b", "a"] });
        check(bad_tags, |e| matches!(e, ImportError::Invalid(_)));
        let mut other_format = good.clone();
        other_format["format"] = "something-else".into();
        check(other_format, |e| matches!(e, ImportError::NotAMapFile));
        let mut dangling = good.clone();
        dangling["map"]["cards"][0]["stage"] = uuid::Uuid::new_v4().to_string().into();
        check(
            dangling,
            |e| matches!(e, ImportError::Invalid(m) if m.contains("stage")),
        );
        let mut duplicate = good.clone();
        let first = duplicate["map"]["stages"][0].clone();
        duplicate["map"]["stages"]
            .as_array_mut()
            .unwrap()
            .push(first);
        check(
            duplicate,
            |e| matches!(e, ImportError::Invalid(m) if m.contains("already exists")),
        );
        let mut too_many = good.clone();
        let stage = too_many["map"]["stages"][0].clone();
        let stages: Vec<_> = (0..101)
            .map(|n| {
                let mut s = stage.clone();
                s["id"] = uuid::Uuid::from_u128(10_000 + n).to_string().into();
                s
            })
            .collect();
        too_many["map"]["stages"] = stages.into();
        check(
            too_many,
            |e| matches!(e, ImportError::Invalid(m) if m.contains("at most 100")),
        );
        let mut no_persona = good;
        no_persona["map"]["personas"] = serde_json::json!([]);
        check(no_persona, |e| matches!(e, ImportError::Invalid(_)));

        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(matches!(
            read_map_file(&deep, NOW),
            Err(ImportError::Malformed(_))
        ));
        assert!(matches!(
            read_map_file("{\"format\":", NOW),
            Err(ImportError::Malformed(_))
        ));
    }
}
