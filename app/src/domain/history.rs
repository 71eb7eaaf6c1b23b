//! Reading the operation log as history: one-line descriptions of edits, and the edits that
//! turn one version of a map into another (used to restore a past version as new operations).

use crate::domain::edit::{apply, Edit};
use crate::domain::map::JourneyMap;

/// A short description of an edit for the history list, e.g. `Renamed a stage to "Loyalty"`.
pub fn describe(edit: &Edit) -> String {
    fn quote(text: &str) -> String {
        let short: String = text.chars().take(40).collect();
        if short.len() < text.len() {
            format!("“{short}…”")
        } else {
            format!("“{short}”")
        }
    }
    match edit {
        Edit::RenameMap { title } => format!("Renamed the map to {}", quote(title.as_str())),
        Edit::SetScenario { .. } => "Edited the scenario".into(),
        Edit::SetGoals { .. } => "Edited the goals".into(),
        Edit::AddStage { stage } => format!("Added stage {}", quote(stage.name.as_str())),
        Edit::RenameStage { name, .. } => format!("Renamed a stage to {}", quote(name.as_str())),
        Edit::MoveStage { .. } => "Moved a stage".into(),
        Edit::RemoveStage { .. } => "Removed a stage".into(),
        Edit::AddLane { lane } => format!("Added lane {}", quote(lane.name.as_str())),
        Edit::RenameLane { name, .. } => format!("Renamed a lane to {}", quote(name.as_str())),
        Edit::SetLaneKind { kind, .. } => format!("Made a lane a {} lane", kind.label()),
        Edit::MoveLane { .. } => "Moved a lane".into(),
        Edit::RemoveLane { .. } => "Removed a lane".into(),
        Edit::AddCard { card } => format!("Added card {}", quote(card.text.as_str())),
        Edit::SetCardText { text, .. } => format!("Changed a card to {}", quote(text.as_str())),
        Edit::SetCardChannel { .. } => "Set a card's channel".into(),
        Edit::SetCardEmotion { .. } => "Set an emotion".into(),
        Edit::SetCardEvidence { .. } => "Set a card's evidence level".into(),
        Edit::SetCardSurvey {
            survey: Some(_), ..
        } => "Set a touchpoint's survey".into(),
        Edit::SetCardSurvey { survey: None, .. } => "Stopped a touchpoint's survey".into(),
        Edit::SetFeedbackSettings { .. } => "Changed the feedback settings".into(),
        Edit::MoveCard { .. } => "Moved a card".into(),
        Edit::RemoveCard { .. } => "Removed a card".into(),
        Edit::AddPersona { persona } => format!("Added persona {}", quote(persona.name.as_str())),
        Edit::RenamePersona { name, .. } => {
            format!("Renamed a persona to {}", quote(name.as_str()))
        }
        Edit::SetPersonaField { field, .. } => {
            format!("Edited a persona's {}", field.label().to_lowercase())
        }
        Edit::RemovePersona { .. } => "Removed a persona".into(),
        Edit::AddComment { comment } if comment.thread.is_some() => {
            format!("Replied {}", quote(comment.text.as_str()))
        }
        Edit::AddComment { comment } => format!("Commented {}", quote(comment.text.as_str())),
        Edit::SetThreadResolved { resolved: true, .. } => "Resolved a thread".into(),
        Edit::SetThreadResolved {
            resolved: false, ..
        } => "Reopened a thread".into(),
        Edit::RemoveComment { .. } => "Deleted a comment".into(),
        Edit::Withheld => "Changed something not shown here".into(),
    }
}

/// The edits that turn `current` into `target` (ignoring timestamps), applied in order.
///
/// Restoring a past version this way keeps the history before it and is itself undoable.
/// Removals come first so limits are never exceeded on the way; an item that only moved out of
/// a removed stage or lane is put back with its comments.
pub fn edits_between(current: &JourneyMap, target: &JourneyMap) -> Vec<Edit> {
    let mut work = current.clone();
    let mut edits = Vec::new();
    let mut push = |work: &mut JourneyMap, edit: Edit| {
        if apply(work, &edit).is_ok() {
            edits.push(edit);
        }
    };

    for card in current.cards() {
        if target.card(card.id).is_none() {
            push(&mut work, Edit::RemoveCard { id: card.id });
        }
    }
    for stage in current.stages() {
        if target.stage(stage.id).is_none() {
            push(&mut work, Edit::RemoveStage { id: stage.id });
        }
    }
    for lane in current.lanes() {
        if target.lane(lane.id).is_none() {
            push(&mut work, Edit::RemoveLane { id: lane.id });
        }
    }
    for comment in current.comments() {
        if target.comment(comment.id).is_none() && work.comment(comment.id).is_some() {
            push(&mut work, Edit::RemoveComment { id: comment.id });
        }
    }

    if work.title != target.title {
        push(
            &mut work,
            Edit::RenameMap {
                title: target.title.clone(),
            },
        );
    }
    if work.scenario != target.scenario {
        push(
            &mut work,
            Edit::SetScenario {
                text: target.scenario.clone(),
            },
        );
    }
    if work.goals != target.goals {
        push(
            &mut work,
            Edit::SetGoals {
                text: target.goals.clone(),
            },
        );
    }
    if work.feedback != target.feedback {
        push(
            &mut work,
            Edit::SetFeedbackSettings {
                settings: target.feedback.clone(),
            },
        );
    }

    for stage in target.stages() {
        match work.stage(stage.id).cloned() {
            None => push(
                &mut work,
                Edit::AddStage {
                    stage: stage.clone(),
                },
            ),
            Some(now) => {
                if now.name != stage.name {
                    push(
                        &mut work,
                        Edit::RenameStage {
                            id: stage.id,
                            name: stage.name.clone(),
                        },
                    );
                }
                if now.position != stage.position {
                    let position = stage.position.clone();
                    push(
                        &mut work,
                        Edit::MoveStage {
                            id: stage.id,
                            position,
                        },
                    );
                }
            }
        }
    }
    for lane in target.lanes() {
        match work.lane(lane.id).cloned() {
            None => push(&mut work, Edit::AddLane { lane: lane.clone() }),
            Some(now) => {
                if now.name != lane.name {
                    push(
                        &mut work,
                        Edit::RenameLane {
                            id: lane.id,
                            name: lane.name.clone(),
                        },
                    );
                }
                if now.kind != lane.kind {
                    push(
                        &mut work,
                        Edit::SetLaneKind {
                            id: lane.id,
                            kind: lane.kind,
                        },
                    );
                }
                if now.position != lane.position {
                    let position = lane.position.clone();
                    push(
                        &mut work,
                        Edit::MoveLane {
                            id: lane.id,
                            position,
                        },
                    );
                }
            }
        }
    }

    for card in target.cards() {
        let Some(now) = work.card(card.id).cloned() else {
            push(&mut work, Edit::AddCard { card: card.clone() });
            continue;
        };
        let id = card.id;
        if now.text != card.text {
            push(
                &mut work,
                Edit::SetCardText {
                    id,
                    text: card.text.clone(),
                },
            );
        }
        if now.channel != card.channel {
            push(
                &mut work,
                Edit::SetCardChannel {
                    id,
                    channel: card.channel,
                },
            );
        }
        if now.emotion != card.emotion {
            push(
                &mut work,
                Edit::SetCardEmotion {
                    id,
                    emotion: card.emotion,
                },
            );
        }
        if now.evidence != card.evidence {
            push(
                &mut work,
                Edit::SetCardEvidence {
                    id,
                    evidence: card.evidence,
                },
            );
        }
        if now.survey != card.survey {
            push(
                &mut work,
                Edit::SetCardSurvey {
                    id,
                    survey: card.survey.clone(),
                },
            );
        }
        if (now.stage, now.lane, &now.position) != (card.stage, card.lane, &card.position) {
            let (stage, lane, position) = (card.stage, card.lane, card.position.clone());
            push(
                &mut work,
                Edit::MoveCard {
                    id,
                    stage,
                    lane,
                    position,
                },
            );
        }
    }

    for persona in target.personas() {
        let Some(now) = work.persona(persona.id).cloned() else {
            push(
                &mut work,
                Edit::AddPersona {
                    persona: persona.clone(),
                },
            );
            continue;
        };
        let id = persona.id;
        if now.name != persona.name {
            push(
                &mut work,
                Edit::RenamePersona {
                    id,
                    name: persona.name.clone(),
                },
            );
        }
        for field in crate::domain::map::PersonaField::ALL {
            if now.field(field) != persona.field(field) {
                let text = persona.field(field).clone();
                push(&mut work, Edit::SetPersonaField { id, field, text });
            }
        }
    }
    for persona in current.personas() {
        if target.persona(persona.id).is_none() {
            push(&mut work, Edit::RemovePersona { id: persona.id });
        }
    }

    // Threads before their replies, so every reply finds its thread.
    let mut comments: Vec<_> = target.comments().iter().collect();
    comments.sort_by_key(|c| c.thread.is_some());
    for comment in comments {
        match work.comment(comment.id).cloned() {
            None if target.has_target(comment.target) => {
                push(
                    &mut work,
                    Edit::AddComment {
                        comment: comment.clone(),
                    },
                );
            }
            Some(now) if now.resolved != comment.resolved => {
                let resolved = comment.resolved;
                push(
                    &mut work,
                    Edit::SetThreadResolved {
                        id: comment.id,
                        resolved,
                    },
                );
            }
            _ => {}
        }
    }
    edits
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::fixture::{choice, sample_map};

    fn without_times(map: &JourneyMap) -> JourneyMap {
        let mut map = map.clone();
        map.created_at = 0;
        map.updated_at = 0;
        map
    }

    proptest! {
        /// Whatever two versions of a map, the edits between them lead from one to the other.
        #[test]
        fn edits_between_reach_the_target(
            to_a in prop::collection::vec(choice(), 0..40),
            to_b in prop::collection::vec(choice(), 0..40),
        ) {
            let evolve = |choices: &[crate::domain::fixture::Choice]| {
                let mut map = sample_map();
                for c in choices {
                    let edit = c.edit(&map);
                    let _ = apply(&mut map, &edit);
                }
                map
            };
            let (a, b) = (evolve(&to_a), evolve(&to_b));
            let mut restored = a.clone();
            for edit in edits_between(&a, &b) {
                apply(&mut restored, &edit).unwrap();
            }
            prop_assert_eq!(without_times(&restored), without_times(&b));
            prop_assert!(edits_between(&b, &b).is_empty());
        }
    }

    #[test]
    fn descriptions_quote_and_shorten() {
        let map = sample_map();
        let edit = Edit::AddCard {
            card: map.cards()[0].clone(),
        };
        assert_eq!(
            describe(&edit),
            "Added card “Sees a friend's post about her new shoes”"
        );
        let long = crate::domain::text::Name::parse(&"a".repeat(60)).unwrap();
        let rename = describe(&Edit::RenameMap { title: long });
        assert!(rename.ends_with("…”"), "{rename}");
    }
}
