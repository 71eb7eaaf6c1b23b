//! The journey landscape: every map a person can see, with what the home page sorts and
//! filters them by (owner, status, tags, personas, last edited, last reviewed) and the figures
//! only Waymark has (the headline feedback score and the funnel's conversion from the first
//! stage to the last, each with its interval, and whether either shows measured pain).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::error::AppError;
use crate::api::maps::MapSummary;
use crate::domain::catalog::Status;
use crate::domain::feedback::Score;
use crate::domain::ids::{MapId, StageId};
use crate::domain::stats::Estimate;
use crate::domain::targets::Standing;

/// What the landscape reads of a map itself.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Outline {
    pub personas: Vec<String>,
    pub stages: Vec<(StageId, String)>,
}

/// A map another one links to, by its title.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Related {
    pub id: MapId,
    pub title: String,
    /// The stage of the parent a sub-journey details, by its name.
    pub stage: Option<String>,
    /// The card of the parent it details, if one, by its text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<String>,
    /// Its headline score, when it has one to show.
    #[serde(default, deserialize_with = "crate::domain::lenient::optional")]
    pub headline: Option<Score>,
}

/// How a map hangs together with the others the person can see (`domain::hierarchy`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Family {
    /// The maps above a sub-journey, top first; the last one's stage is the one it details.
    pub breadcrumb: Vec<Related>,
    /// Its sub-journeys, with their figures.
    pub children: Vec<Related>,
    /// The as-is map a to-be map was made from.
    pub as_is: Option<Related>,
}

/// One map on the landscape.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The map's listing, with its status and tags.
    pub map: MapSummary,
    /// Its personas' names.
    pub personas: Vec<String>,
    /// Its stages (what a sub-journey can hang under).
    #[serde(default)]
    pub stages: Vec<(StageId, String)>,
    #[serde(default)]
    pub family: Family,
    /// Its headline score (NPS where asked, else CSAT, else CES), once enough answers came.
    #[serde(default, deserialize_with = "crate::domain::lenient::optional")]
    pub score: Option<Score>,
    pub responses: u64,
    /// Of the customers who reached its first stage, the percentage who reached its last.
    #[serde(default, deserialize_with = "crate::domain::lenient::optional")]
    pub conversion: Option<Estimate>,
    /// Touchpoints scoring significantly below the rest of the map.
    pub pain_points: u32,
    /// Whether the funnel shows a significant drop-off between two stages.
    pub drop_off: bool,
    /// Its targets against its figures, each described ("NPS target +20: … below target").
    #[serde(default)]
    pub targets: Vec<(Option<Standing>, String)>,
}

impl Entry {
    /// Significant low scores or a significant drop-off.
    pub fn measured_pain(&self) -> bool {
        self.pain_points > 0 || self.drop_off
    }

    /// Some figure is surely below its target.
    pub fn below_target(&self) -> bool {
        self.targets
            .iter()
            .any(|(s, _)| *s == Some(Standing::Below))
    }
}

/// How the landscape is ordered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sort {
    /// Most recently edited first.
    #[default]
    Edited,
    Title,
    Status,
    /// Lowest headline score first (the ones that need attention); maps without one last.
    Score,
    /// Lowest conversion first; maps without a funnel last.
    Conversion,
    /// Least recently reviewed first; maps without reviews last.
    Reviewed,
}

impl Sort {
    pub const ALL: [Sort; 6] = [
        Sort::Edited,
        Sort::Title,
        Sort::Status,
        Sort::Score,
        Sort::Conversion,
        Sort::Reviewed,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Sort::Edited => "edited",
            Sort::Title => "title",
            Sort::Status => "status",
            Sort::Score => "score",
            Sort::Conversion => "conversion",
            Sort::Reviewed => "reviewed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sort::Edited => "Last edited",
            Sort::Title => "Title",
            Sort::Status => "Status",
            Sort::Score => "Lowest score",
            Sort::Conversion => "Lowest conversion",
            Sort::Reviewed => "Longest since review",
        }
    }

    pub fn from_key(key: &str) -> Option<Sort> {
        Sort::ALL.into_iter().find(|s| s.key() == key)
    }
}

/// What the landscape shows: every filter that is set must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    /// Words the title, a tag, an owner or a persona contains (any case).
    pub text: String,
    pub status: Option<Status>,
    pub tag: Option<String>,
    pub owner: Option<String>,
    pub persona: Option<String>,
    pub pain_only: bool,
    pub due_only: bool,
    pub below_target_only: bool,
    /// Archived maps show only when asked for by status.
    pub sort: Sort,
}

impl Query {
    /// The entries this query shows, in its order.
    pub fn select<'a>(&self, entries: &'a [Entry]) -> Vec<&'a Entry> {
        let words: Vec<String> = self
            .text
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        let mut shown: Vec<&Entry> = entries
            .iter()
            .filter(|e| match self.status {
                Some(status) => e.map.catalog.status == status,
                None => e.map.catalog.status != Status::Archived,
            })
            .filter(|e| {
                self.tag
                    .as_ref()
                    .is_none_or(|tag| e.map.catalog.tags.iter().any(|t| t.as_str() == tag))
            })
            .filter(|e| self.owner.as_ref().is_none_or(|o| e.map.owners.contains(o)))
            .filter(|e| self.persona.as_ref().is_none_or(|p| e.personas.contains(p)))
            .filter(|e| !self.pain_only || e.measured_pain())
            .filter(|e| !self.due_only || e.map.review_due)
            .filter(|e| !self.below_target_only || e.below_target())
            .filter(|e| words.iter().all(|w| haystack(e).contains(w.as_str())))
            .collect();
        let last = f64::INFINITY;
        match self.sort {
            Sort::Edited => shown.sort_by_key(|e| std::cmp::Reverse(e.map.updated_at)),
            Sort::Title => shown.sort_by_key(|e| e.map.title.to_lowercase()),
            Sort::Status => shown.sort_by_key(|e| e.map.catalog.status),
            Sort::Score => shown.sort_by(|a, b| {
                let value = |e: &Entry| {
                    e.score
                        .as_ref()
                        .and_then(|s| s.estimate)
                        .map_or(last, |x| x.value())
                };
                value(a).total_cmp(&value(b))
            }),
            Sort::Conversion => shown.sort_by(|a, b| {
                let value = |e: &Entry| e.conversion.map_or(last, |c| c.value());
                value(a).total_cmp(&value(b))
            }),
            Sort::Reviewed => shown.sort_by_key(|e| {
                e.map.review.as_ref().map_or(i64::MAX, |r| {
                    r.last.as_ref().map_or(i64::MIN, |(at, _)| *at)
                })
            }),
        }
        shown
    }
}

fn haystack(entry: &Entry) -> String {
    let mut text = entry.map.title.to_lowercase();
    for part in entry
        .map
        .catalog
        .tags
        .iter()
        .map(|t| t.as_str())
        .chain(entry.map.owners.iter().map(String::as_str))
        .chain(entry.personas.iter().map(String::as_str))
    {
        text.push('\n');
        text.push_str(&part.to_lowercase());
    }
    text
}

/// Every map the caller can see, with its figures.
#[server]
pub async fn landscape() -> Result<Vec<Entry>, AppError> {
    use crate::api::ctx::{backend, feedback, require_user};
    use crate::api::feedback::Filter;

    let user = require_user()?;
    let backend = backend()?;
    let feedback = feedback()?;
    let maps = backend.list_maps(&user).await?;
    let metrics = backend.metric_library().await?;
    let mut entries = Vec::with_capacity(maps.len());
    for map in maps {
        let id = map.id;
        // A map deleted meanwhile is left out.
        let Ok(Outline { personas, stages }) = backend.outline_of(id).await else {
            continue;
        };
        let targets = backend.targets_of(id).await.unwrap_or_default();
        let mut entry = Entry {
            map,
            personas,
            stages,
            family: Family::default(),
            score: None,
            responses: 0,
            conversion: None,
            pain_points: 0,
            drop_off: false,
            targets: Vec::new(),
        };
        // A map whose figures cannot be read now is listed without them, not the whole page
        // refused (the failure is logged where it happened).
        if let Ok(figures) = feedback.map_feedback(id, Filter::default()).await {
            let funnel = figures.funnel.as_ref();
            entry.conversion = funnel.and_then(|f| f.end_to_end());
            entry.drop_off = funnel.is_some_and(|f| f.drop_off.is_some());
            entry.score = figures.map.headline().cloned();
            entry.responses = figures.map.responses;
            entry.pain_points = u32::try_from(figures.pain_points.len()).unwrap_or(u32::MAX);
            // The whole map's targets: a stage's show on its map and in presentations.
            let on_map: Vec<_> = targets.into_iter().filter(|t| t.stage.is_none()).collect();
            entry.targets = figures
                .assess(&on_map)
                .into_iter()
                .map(|a| (a.standing, crate::api::targets::described(&a, &metrics).1))
                .collect();
        }
        entries.push(entry);
    }
    let links = backend.links().await?;
    // The parents (those the person sees) of sub-journeys that detail a card, as they are now:
    // where the card is, and its text.
    let mut parents = std::collections::HashMap::new();
    for link in &links {
        let seen = entries.iter().any(|e| e.map.id == link.parent);
        if link.card.is_some() && seen && !parents.contains_key(&link.parent) {
            if let Ok(open) = backend.load_map(link.parent).await {
                parents.insert(link.parent, open.map);
            }
        }
    }
    let families: Vec<Family> = entries
        .iter()
        .map(|e| family(&entries, &links, &parents, e.map.id))
        .collect();
    for (entry, family) in entries.iter_mut().zip(families) {
        entry.family = family;
    }
    Ok(entries)
}

/// Map `id`'s family among `entries` (the maps the person can see; links to others are left
/// out, so a breadcrumb names only maps its reader may open). `parents` holds, as they are
/// now, the parents of sub-journeys that detail a card (`MapLink::place`).
#[cfg(feature = "ssr")]
fn family(
    entries: &[Entry],
    links: &[crate::domain::hierarchy::MapLink],
    parents: &std::collections::HashMap<MapId, crate::domain::map::JourneyMap>,
    id: MapId,
) -> Family {
    use crate::domain::hierarchy::{ancestors, LinkKind, MapLink};

    let related = |map: MapId, parent: Option<MapId>, link: Option<&MapLink>| {
        let entry = entries.iter().find(|e| e.map.id == map)?;
        let (stage, card) = link.map_or((None, None), |l| l.place(parents.get(&l.parent)));
        let stage = parent
            .and_then(|p| entries.iter().find(|e| e.map.id == p))
            .and_then(|p| p.stages.iter().find(|(s, _)| Some(*s) == stage))
            .map(|(_, name)| name.clone());
        Some(Related {
            id: map,
            title: entry.map.title.clone(),
            stage,
            card: card.map(|c| c.excerpt()),
            headline: entry.score.clone().filter(|s| s.estimate.is_some()),
        })
    };
    let breadcrumb = ancestors(links, id)
        .into_iter()
        .map(|l| related(l.parent, Some(l.parent), Some(l)))
        .collect::<Option<Vec<_>>>()
        .unwrap_or_default();
    let children = links
        .iter()
        .filter(|l| l.parent == id && l.kind == LinkKind::SubJourney)
        .filter_map(|l| related(l.map, Some(id), Some(l)))
        .collect();
    let as_is = links
        .iter()
        .find(|l| l.map == id && l.kind == LinkKind::ToBe)
        .and_then(|l| related(l.parent, None, None));
    Family {
        breadcrumb,
        children,
        as_is,
    }
}

/// Sets map `id`'s status (a `Status` key) and tags (separated by commas); the audit log
/// records the change.
#[server]
pub async fn set_catalog(
    id: crate::domain::ids::MapId,
    status: String,
    tags: String,
) -> Result<(), AppError> {
    use crate::api::ctx::authorize;
    use crate::api::history::keep_beside;
    use crate::domain::access::Capability;
    use crate::domain::beside::Beside;
    use crate::domain::catalog::{parse_tags, Catalog};

    let (user, _) = authorize(id, Capability::Edit).await?;
    let status = Status::from_key(&status).ok_or_else(|| AppError::Invalid {
        field: "status".into(),
        message: format!("no status is called {status:?}"),
    })?;
    let tags = parse_tags(&tags).map_err(|e| AppError::invalid("tags", e))?;
    let detail = std::iter::once(status.label().to_owned())
        .chain(tags.iter().map(|t| t.to_string()))
        .collect::<Vec<_>>()
        .join(", ");
    keep_beside(
        id,
        Beside::Catalog(Catalog { status, tags }),
        user.id,
        detail,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::{parse_tags, Catalog};
    use crate::domain::ids::MapId;
    use crate::domain::review::Review;

    fn entry(title: &str, status: Status, tags: &str, edited: i64) -> Entry {
        Entry {
            map: MapSummary {
                id: MapId::from_uuid(uuid::Uuid::new_v4()),
                title: title.into(),
                stage_count: 5,
                updated_at: edited,
                review: None,
                review_due: false,
                owners: vec!["Ada".into()],
                catalog: Catalog {
                    status,
                    tags: parse_tags(tags).unwrap(),
                },
            },
            personas: vec!["Shopper".into()],
            stages: Vec::new(),
            family: Family::default(),
            score: None,
            responses: 0,
            conversion: None,
            pain_points: 0,
            drop_off: false,
            targets: Vec::new(),
        }
    }

    fn titles(shown: &[&Entry]) -> Vec<String> {
        shown.iter().map(|e| e.map.title.clone()).collect()
    }

    #[test]
    fn filters_combine_and_archived_maps_show_only_when_asked_for() {
        let mut onboarding = entry("Onboarding", Status::Validated, "b2b, retention", 3);
        onboarding.pain_points = 2;
        let mut checkout = entry("Checkout", Status::Draft, "b2c", 2);
        checkout.map.owners = vec!["Bob".into()];
        checkout.map.review_due = true;
        let old = entry("Old support", Status::Archived, "b2b", 1);
        let all = [onboarding, checkout, old];

        assert_eq!(
            titles(&Query::default().select(&all)),
            ["Onboarding", "Checkout"]
        );
        let archived = Query {
            status: Some(Status::Archived),
            ..Query::default()
        };
        assert_eq!(titles(&archived.select(&all)), ["Old support"]);
        let b2b = Query {
            tag: Some("b2b".into()),
            ..Query::default()
        };
        assert_eq!(titles(&b2b.select(&all)), ["Onboarding"]);
        let pain = Query {
            pain_only: true,
            ..Query::default()
        };
        assert_eq!(titles(&pain.select(&all)), ["Onboarding"]);
        let mut off = entry("Off target", Status::Draft, "", 0);
        off.targets = vec![(Some(Standing::Below), "NPS target +20: …".into())];
        let behind = Query {
            below_target_only: true,
            ..Query::default()
        };
        assert_eq!(titles(&behind.select(&[off])), ["Off target"]);
        assert!(behind.select(&all).is_empty());
        let due = Query {
            due_only: true,
            ..Query::default()
        };
        assert_eq!(titles(&due.select(&all)), ["Checkout"]);
        let bob = Query {
            owner: Some("Bob".into()),
            ..Query::default()
        };
        assert_eq!(titles(&bob.select(&all)), ["Checkout"]);
        let words = Query {
            text: "RETENTION onboard".into(),
            ..Query::default()
        };
        assert_eq!(titles(&words.select(&all)), ["Onboarding"]);
        let nobody = Query {
            text: "bob b2b".into(),
            ..Query::default()
        };
        assert!(nobody.select(&all).is_empty());
    }

    #[test]
    fn sorting_puts_what_needs_attention_first_and_the_unmeasured_last() {
        let low = crate::domain::stats::wilson(10, 100);
        let high = crate::domain::stats::wilson(90, 100);
        let mut a = entry("A", Status::Validated, "", 1);
        a.conversion = high;
        a.map.review = Some(Review::new(30, 0, Some((50, "Ada".into()))));
        let mut b = entry("B", Status::Draft, "", 2);
        b.conversion = low;
        b.map.review = Some(Review::new(30, 0, None));
        let c = entry("C", Status::InReview, "", 3);
        let all = [a, b, c];
        let sorted = |sort| {
            titles(
                &Query {
                    sort,
                    ..Query::default()
                }
                .select(&all),
            )
        };
        assert_eq!(sorted(Sort::Edited), ["C", "B", "A"]);
        assert_eq!(sorted(Sort::Title), ["A", "B", "C"]);
        assert_eq!(sorted(Sort::Status), ["B", "C", "A"]);
        assert_eq!(sorted(Sort::Conversion), ["B", "A", "C"]);
        assert_eq!(sorted(Sort::Reviewed), ["B", "A", "C"]);
        for sort in Sort::ALL {
            assert_eq!(Sort::from_key(sort.key()), Some(sort));
        }
    }
}
