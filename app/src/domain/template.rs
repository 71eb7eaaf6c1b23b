//! Starting points for new maps, built from the journeys in the product's source documents:
//! the five-stage customer journey, the four-stage experience journey, and a blank map.
//!
//! Templates are built through `edit::apply`, so they obey exactly the rules a user's edits do;
//! the tests build every template.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::edit::{apply, Edit};
use crate::domain::ids::{CardId, LaneId, MapId, PersonaId, StageId};
use crate::domain::map::{
    Card, Channel, Emotion, Evidence, JourneyMap, Lane, LaneKind, Persona, Stage,
};
use crate::domain::position::Position;
use crate::domain::text::{Name, Text};
use crate::domain::time::Millis;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Template {
    CustomerJourney,
    ExperienceJourney,
    Blank,
}

impl Template {
    pub const ALL: [Template; 3] = [
        Template::CustomerJourney,
        Template::ExperienceJourney,
        Template::Blank,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Template::CustomerJourney => "Customer journey (5 stages)",
            Template::ExperienceJourney => "Experience journey (4 stages)",
            Template::Blank => "Blank map",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Template::CustomerJourney => {
                "Awareness, Consideration, Purchase, Retention, Advocacy — with an example \
                 shoe-store journey to show what a good map looks like."
            }
            Template::ExperienceJourney => {
                "Awareness, Consideration, Purchase, Post-purchase — with an example coffee-shop \
                 journey."
            }
            Template::Blank => {
                "Three empty stages and the usual lanes, ready for your own journey."
            }
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Template::CustomerJourney => "customer_journey",
            Template::ExperienceJourney => "experience_journey",
            Template::Blank => "blank",
        }
    }

    pub fn from_key(key: &str) -> Option<Template> {
        Template::ALL.into_iter().find(|t| t.key() == key)
    }

    /// Builds a new map from this template. `title` replaces the template's own title;
    /// `fresh` supplies a new random id each time it is called.
    pub fn build(
        self,
        id: MapId,
        title: Option<Name>,
        now: Millis,
        fresh: &mut dyn FnMut() -> Uuid,
    ) -> JourneyMap {
        let spec = match self {
            Template::CustomerJourney => customer_journey(),
            Template::ExperienceJourney => experience_journey(),
            Template::Blank => blank(),
        };
        spec.build(id, title, now, fresh)
    }
}

struct Spec {
    title: &'static str,
    scenario: &'static str,
    goals: &'static str,
    persona: [&'static str; 5],
    stages: &'static [&'static str],
    lanes: &'static [(&'static str, LaneKind)],
    cards: Vec<CardSpec>,
}

struct CardSpec {
    lane: usize,
    stage: usize,
    text: &'static str,
    channel: Option<Channel>,
    emotion: Option<i8>,
    evidence: Option<Evidence>,
}

/// A card in lane `lane` of stage `stage` (both indexes into the spec's lists).
fn card(lane: usize, stage: usize, text: &'static str) -> CardSpec {
    CardSpec {
        lane,
        stage,
        text,
        channel: None,
        emotion: None,
        evidence: None,
    }
}

impl CardSpec {
    fn channel(mut self, channel: Channel) -> Self {
        self.channel = Some(channel);
        self
    }
    fn emotion(mut self, score: i8) -> Self {
        self.emotion = Some(score);
        self
    }
    fn evidence(mut self, evidence: Evidence) -> Self {
        self.evidence = Some(evidence);
        self
    }
}

impl Spec {
    fn build(
        self,
        id: MapId,
        title: Option<Name>,
        now: Millis,
        fresh: &mut dyn FnMut() -> Uuid,
    ) -> JourneyMap {
        // The spec is constant data checked by this module's tests, so these can't fail.
        let name = |s: &str| Name::parse(s).expect("template names are valid");
        let text = |s: &str| Text::parse(s).expect("template texts are valid");
        let [p_name, p_role, p_goals, p_motivations, p_frustrations] = self.persona;
        let persona = Persona {
            id: PersonaId::from(fresh()),
            name: name(p_name),
            position: Position::first(),
            role: text(p_role),
            goals: text(p_goals),
            motivations: text(p_motivations),
            frustrations: text(p_frustrations),
        };
        let mut map = JourneyMap::new(id, title.unwrap_or_else(|| name(self.title)), persona, now);
        map.scenario = text(self.scenario);
        map.goals = text(self.goals);

        let mut edits = Vec::new();
        let stage_ids: Vec<StageId> = self.stages.iter().map(|_| fresh().into()).collect();
        let positions = Position::sequence(None, self.stages.len());
        for ((stage, id), position) in self.stages.iter().zip(&stage_ids).zip(positions) {
            edits.push(Edit::AddStage {
                stage: Stage {
                    id: *id,
                    name: name(stage),
                    position,
                },
            });
        }
        let lane_ids: Vec<LaneId> = self.lanes.iter().map(|_| fresh().into()).collect();
        let positions = Position::sequence(None, self.lanes.len());
        for (((lane, kind), id), position) in self.lanes.iter().zip(&lane_ids).zip(positions) {
            edits.push(Edit::AddLane {
                lane: Lane {
                    id: *id,
                    name: name(lane),
                    kind: *kind,
                    position,
                },
            });
        }
        let positions = Position::sequence(None, self.cards.len());
        for (spec, position) in self.cards.into_iter().zip(positions) {
            edits.push(Edit::AddCard {
                card: Card {
                    id: CardId::from(fresh()),
                    stage: stage_ids[spec.stage],
                    lane: lane_ids[spec.lane],
                    position,
                    text: text(spec.text),
                    channel: spec.channel,
                    emotion: spec
                        .emotion
                        .map(|e| Emotion::new(e).expect("template emotions are valid")),
                    evidence: spec.evidence,
                    survey: None,
                },
            });
        }
        for edit in &edits {
            apply(&mut map, edit).expect("template edits apply to the new map");
        }
        map
    }
}

const ACTIONS: usize = 0;
const TOUCHPOINTS: usize = 1;
const THOUGHTS: usize = 2;
const EMOTIONS: usize = 3;
const PAIN: usize = 4;
const OPPORTUNITIES: usize = 5;
const SEVENTH: usize = 6;

fn customer_journey() -> Spec {
    use Channel::*;
    use Evidence::*;
    Spec {
        title: "Customer journey — online shoe store",
        scenario: "Maya needs new everyday shoes. She spots a pair in a friend's Instagram post, \
                   researches them online, buys them, and later recommends the store.",
        goals: "See where first-time buyers hesitate, and what turns a buyer into an advocate.",
        persona: [
            "Maya, the busy commuter",
            "Marketing manager, 34, walks to work",
            "Comfortable shoes that look good at the office, bought without losing a weekend.",
            "Comfort, quality, honest reviews from people like her.",
            "Sizes that don't fit, slow returns, pushy promotions.",
        ],
        stages: &[
            "Awareness",
            "Consideration",
            "Purchase",
            "Retention",
            "Advocacy",
        ],
        lanes: &[
            ("Customer actions", LaneKind::CustomerActions),
            ("Touchpoints", LaneKind::Touchpoints),
            ("Thoughts", LaneKind::Thoughts),
            ("Emotions", LaneKind::Emotions),
            ("Pain points", LaneKind::PainPoints),
            ("Opportunities", LaneKind::Opportunities),
            ("Backstage", LaneKind::Backstage),
        ],
        cards: vec![
            card(ACTIONS, 0, "Sees a friend's post about her new shoes"),
            card(TOUCHPOINTS, 0, "Instagram post").channel(Social),
            card(THOUGHTS, 0, "Those look comfortable — where are they from?"),
            card(EMOTIONS, 0, "Curious").emotion(1),
            card(PAIN, 0, "Can't tell the brand from the photo").evidence(Assumption),
            card(OPPORTUNITIES, 0, "Tag products in customers' posts"),
            card(ACTIONS, 1, "Compares models and reads reviews"),
            card(TOUCHPOINTS, 1, "Product page")
                .channel(Web)
                .evidence(ResearchBacked),
            card(TOUCHPOINTS, 1, "Size guide").channel(Web),
            card(THOUGHTS, 1, "Will they fit my wide feet?"),
            card(EMOTIONS, 1, "Unsure").emotion(-1),
            card(PAIN, 1, "No sizing advice for wide feet").evidence(PartlyValidated),
            card(OPPORTUNITIES, 1, "A fit finder with a width filter"),
            card(ACTIONS, 2, "Orders online with free returns"),
            card(TOUCHPOINTS, 2, "Checkout").channel(Web),
            card(THOUGHTS, 2, "I hope delivery is quick"),
            card(EMOTIONS, 2, "Relieved").emotion(0),
            card(PAIN, 2, "Forced to create an account").evidence(ResearchBacked),
            card(OPPORTUNITIES, 2, "Guest checkout"),
            card(SEVENTH, 2, "Payment provider and stock sync"),
            card(ACTIONS, 3, "Wears them daily; gets a care-tips email"),
            card(TOUCHPOINTS, 3, "Care-tips email").channel(Email),
            card(THOUGHTS, 3, "Nice that they remember me"),
            card(EMOTIONS, 3, "Happy").emotion(2),
            card(PAIN, 3, "Too many promotional emails").evidence(Assumption),
            card(OPPORTUNITIES, 3, "Let customers choose how often we write"),
            card(SEVENTH, 3, "CRM segment for first-time buyers"),
            card(ACTIONS, 4, "Posts a photo and recommends the store"),
            card(TOUCHPOINTS, 4, "Review request").channel(Email),
            card(THOUGHTS, 4, "My friends should try these"),
            card(EMOTIONS, 4, "Proud").emotion(1),
            card(PAIN, 4, "Referral link is hard to find"),
            card(OPPORTUNITIES, 4, "Share-a-discount button after a review"),
        ],
    }
}

fn experience_journey() -> Spec {
    use Channel::*;
    use Evidence::*;
    Spec {
        title: "Experience journey — neighbourhood coffee shop",
        scenario: "Sam has just moved in. A social post about a new coffee shop catches their \
                   eye; they look it up, visit, try a drink and join the email list.",
        goals: "Turn first visits into regular visits.",
        persona: [
            "Sam, the newcomer",
            "Remote worker, 28, new to the area",
            "A cosy place nearby to work from and meet people.",
            "Good coffee, friendly staff, reliable wifi.",
            "Queues at peak times, unclear opening hours.",
        ],
        stages: &["Awareness", "Consideration", "Purchase", "Post-purchase"],
        lanes: &[
            ("Customer actions", LaneKind::CustomerActions),
            ("Touchpoints", LaneKind::Touchpoints),
            ("Thoughts", LaneKind::Thoughts),
            ("Emotions", LaneKind::Emotions),
            ("Pain points", LaneKind::PainPoints),
            ("Opportunities", LaneKind::Opportunities),
            ("Moments of truth", LaneKind::MomentsOfTruth),
        ],
        cards: vec![
            card(ACTIONS, 0, "Scrolls past a post about the shop's opening"),
            card(TOUCHPOINTS, 0, "Local social post").channel(Social),
            card(EMOTIONS, 0, "Intrigued").emotion(1),
            card(ACTIONS, 1, "Checks the menu, reviews and opening hours"),
            card(TOUCHPOINTS, 1, "Map listing").channel(MobileApp),
            card(THOUGHTS, 1, "Is there space to work?"),
            card(EMOTIONS, 1, "Hesitant").emotion(-1),
            card(
                PAIN,
                1,
                "Opening hours differ between website and map listing",
            )
            .evidence(ResearchBacked),
            card(OPPORTUNITIES, 1, "One source of truth for opening hours"),
            card(ACTIONS, 2, "Visits and samples a drink"),
            card(TOUCHPOINTS, 2, "Counter and barista").channel(Store),
            card(EMOTIONS, 2, "Delighted").emotion(2),
            card(PAIN, 2, "Long queue at 9am").evidence(PartlyValidated),
            card(SEVENTH, 2, "The first sip"),
            card(ACTIONS, 3, "Joins the email list for a loyalty card"),
            card(TOUCHPOINTS, 3, "Welcome email").channel(Email),
            card(EMOTIONS, 3, "Welcome").emotion(1),
            card(OPPORTUNITIES, 3, "Invite regulars to tasting evenings"),
        ],
    }
}

fn blank() -> Spec {
    Spec {
        title: "Untitled journey",
        scenario: "",
        goals: "",
        persona: ["Primary persona", "", "", "", ""],
        stages: &["Stage 1", "Stage 2", "Stage 3"],
        lanes: &[
            ("Customer actions", LaneKind::CustomerActions),
            ("Touchpoints", LaneKind::Touchpoints),
            ("Emotions", LaneKind::Emotions),
            ("Pain points", LaneKind::PainPoints),
            ("Opportunities", LaneKind::Opportunities),
        ],
        cards: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counter() -> impl FnMut() -> Uuid {
        let mut n = 0u128;
        move || {
            n += 1;
            Uuid::from_u128(n)
        }
    }

    #[test]
    fn every_template_builds() {
        for template in Template::ALL {
            let map = template.build(MapId::from_uuid(Uuid::nil()), None, 0, &mut counter());
            assert!(!map.stages().is_empty(), "{template:?}");
            assert!(!map.lanes().is_empty(), "{template:?}");
            assert_eq!(map.personas().len(), 1);
            assert_eq!(Template::from_key(template.key()), Some(template));
        }
    }

    #[test]
    fn the_five_stage_journey_has_the_source_stages_and_a_curve() {
        let map =
            Template::CustomerJourney.build(MapId::from_uuid(Uuid::nil()), None, 0, &mut counter());
        let stages: Vec<&str> = map.stages().iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            stages,
            [
                "Awareness",
                "Consideration",
                "Purchase",
                "Retention",
                "Advocacy"
            ]
        );
        let emotions = map.cards().iter().filter(|c| c.emotion.is_some()).count();
        assert_eq!(emotions, 5, "one point of the emotion curve per stage");
    }

    #[test]
    fn a_given_title_replaces_the_templates() {
        let title = Name::parse("Onboarding").unwrap();
        let map = Template::ExperienceJourney.build(
            MapId::from_uuid(Uuid::nil()),
            Some(title.clone()),
            0,
            &mut counter(),
        );
        assert_eq!(map.title, title);
        assert_eq!(map.stages().len(), 4);
        assert_eq!(map.stages()[3].name.as_str(), "Post-purchase");
    }
}
