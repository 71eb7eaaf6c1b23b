//! The opportunity backlog (`domain::backlog`): every opportunity card on the maps a person can
//! see, with its triage and the evidence behind it, ranked; and the one server function that
//! triages a card.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::error::AppError;
use crate::domain::backlog::{Evidence, Triage};
use crate::domain::ids::{CardId, MapId, UserId};

/// One opportunity card.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Opportunity {
    pub map: MapId,
    pub card: CardId,
    pub text: String,
    /// Its stage's name.
    pub stage: String,
    pub triage: Triage,
    /// The owner's name, while they are a member of the map.
    pub owner: Option<String>,
    pub evidence: Evidence,
}

/// What the backlog needs to know of one map.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BacklogMap {
    pub id: MapId,
    pub title: String,
    /// Whether the caller may triage its opportunities.
    pub editable: bool,
    /// Who may own them (its members), when editable.
    pub members: Vec<(UserId, String)>,
    /// Its pain points and touchpoints, in the map's order: what an opportunity may link to.
    pub linkable: Vec<Linkable>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Linkable {
    pub card: CardId,
    /// "Purchase · Pain point: Forced to create an account".
    pub label: String,
}

impl BacklogMap {
    /// How card `id` is named in this map's lists.
    pub fn label(&self, id: CardId) -> &str {
        self.linkable
            .iter()
            .find(|l| l.card == id)
            .map_or("(removed card)", |l| l.label.as_str())
    }
}

/// The whole backlog, highest suggested priority first (`domain::backlog::rank`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Backlog {
    pub maps: Vec<BacklogMap>,
    pub items: Vec<Opportunity>,
}

impl Backlog {
    pub fn map(&self, id: MapId) -> Option<&BacklogMap> {
        self.maps.iter().find(|m| m.id == id)
    }
}

/// Every opportunity card on the maps the caller can see, except archived maps'.
#[server]
pub async fn opportunities() -> Result<Backlog, AppError> {
    use crate::api::ctx::{accounts, backend, feedback, require_user};
    use crate::api::feedback::Filter;
    use crate::domain::access::Capability;
    use crate::domain::backlog::{evidence, is_opportunity, linkable, rank, Measures};
    use crate::domain::catalog::Status;
    use crate::domain::feedback::{Summary, Tally};

    let user = require_user()?;
    let (backend, accounts, feedback) = (backend()?, accounts()?, feedback()?);
    let mut backlog = Backlog::default();
    for listed in backend.list_maps(&user).await? {
        if listed.catalog.status == Status::Archived {
            continue;
        }
        let id = listed.id;
        // A map deleted meanwhile, or unreadable now, is left out (its failure is logged).
        let Ok(snapshot) = backend.load_map(id).await else {
            continue;
        };
        let map = snapshot.map;
        let cards: Vec<_> = map
            .cards()
            .iter()
            .filter(|c| is_opportunity(&map, c.id))
            .collect();
        if cards.is_empty() {
            continue;
        }
        let editable = accounts
            .role(&user, id)
            .await?
            .is_some_and(|r| r.may(Capability::Edit));
        let members: Vec<(UserId, String)> = accounts
            .map_members(id)
            .await?
            .into_iter()
            .map(|m| (m.user, m.name))
            .collect();
        let stage_name = |stage| map.stage(stage).map_or("", |s| s.name.as_str());
        let linkable = map
            .cards()
            .iter()
            .filter_map(|c| {
                let kind = match linkable(&map, c.id)? {
                    crate::domain::map::LaneKind::PainPoints => "Pain point",
                    _ => "Touchpoint",
                };
                let label = format!("{} · {kind}: {}", stage_name(c.stage), c.text.as_str());
                Some(Linkable { card: c.id, label })
            })
            .collect();
        let triage = backend.triage_of(id).await?;
        let figures = feedback.map_feedback(id, Filter::default()).await.ok();
        let nothing = Summary::new(&Tally::default(), 0);
        let measures = match &figures {
            Some(f) => Measures {
                map: &f.map,
                touchpoints: &f.touchpoints,
                pain_points: &f.pain_points,
                funnel: f.funnel.as_ref(),
            },
            None => Measures {
                map: &nothing,
                touchpoints: &[],
                pain_points: &[],
                funnel: None,
            },
        };
        for card in cards {
            let triage = triage
                .iter()
                .find(|(c, _)| *c == card.id)
                .map(|(_, t)| t.clone())
                .unwrap_or_default();
            let owner = triage
                .owner
                .and_then(|o| members.iter().find(|(m, _)| *m == o))
                .map(|(_, name)| name.clone());
            backlog.items.push(Opportunity {
                map: id,
                card: card.id,
                text: card.text.as_str().to_owned(),
                stage: stage_name(card.stage).to_owned(),
                evidence: evidence(&map, card.id, &triage, &measures),
                owner,
                triage,
            });
        }
        backlog.maps.push(BacklogMap {
            id,
            title: listed.title,
            editable,
            members: if editable { members } else { Vec::new() },
            linkable,
        });
    }
    backlog
        .items
        .sort_by(|a, b| rank((&a.evidence, &a.triage), (&b.evidence, &b.triage)));
    Ok(backlog)
}

/// Triages opportunity card `card` of map `map`: its status, owner (a member's id, or empty),
/// impact and effort (a level's key, or empty), and the pain points and touchpoints it answers
/// (none: those of its own stage). The audit log records it.
#[server]
pub async fn set_opportunity(
    map: MapId,
    card: CardId,
    status: String,
    #[server(default)] owner: String,
    #[server(default)] impact: String,
    #[server(default)] effort: String,
    #[server(default)] links: Vec<CardId>,
) -> Result<(), AppError> {
    use crate::api::ctx::{accounts, authorize, backend};
    use crate::api::history::keep_beside;
    use crate::domain::access::Capability;
    use crate::domain::backlog::{Level, Status, TriageError};
    use crate::domain::beside::Beside;

    let (user, _) = authorize(map, Capability::Edit).await?;
    let invalid = |field: &str, message: String| AppError::Invalid {
        field: field.into(),
        message,
    };
    let status = Status::from_key(&status)
        .ok_or_else(|| invalid("status", format!("no status is called {status:?}")))?;
    let level = |field: &str, raw: &str| match raw {
        "" => Ok(None),
        key => Level::from_key(key)
            .map(Some)
            .ok_or_else(|| invalid(field, format!("choose low, medium or high, not {key:?}"))),
    };
    let (impact, effort) = (level("impact", &impact)?, level("effort", &effort)?);
    let owner = match owner.as_str() {
        "" => None,
        raw => {
            let members = accounts()?.map_members(map).await?;
            let member = raw
                .parse::<UserId>()
                .ok()
                .and_then(|id| members.into_iter().find(|m| m.user == id));
            let member =
                member.ok_or_else(|| invalid("owner", "choose a member of the map".into()))?;
            Some(member.user)
        }
    };
    let backend = backend()?;
    let current = backend.load_map(map).await?.map;
    let triage = Triage {
        status,
        owner,
        impact,
        effort,
        links,
    }
    .check(&current, card)
    .map_err(|e| {
        let field = match e {
            TriageError::NotAnOpportunity => "card",
            TriageError::BadLink | TriageError::TooManyLinks => "links",
        };
        invalid(field, e.to_string())
    })?;
    let detail = format!("{}: {}", card_text(&current, card), status.label());
    keep_beside(map, Beside::Triage(card, Some(triage)), user.id, detail).await
}

#[cfg(feature = "ssr")]
fn card_text(map: &crate::domain::map::JourneyMap, card: CardId) -> String {
    map.card(card)
        .map(crate::domain::map::Card::excerpt)
        .unwrap_or_default()
}
