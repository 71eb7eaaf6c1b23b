use super::*;
use crate::domain::feedback::{Summary, Tally};
use crate::domain::fixture::sample_map;
use crate::domain::journey::{Funnel, StageFigures};

/// The sample map's card whose text is `text`.
fn card(map: &JourneyMap, text: &str) -> CardId {
    map.cards()
        .iter()
        .find(|c| c.text.as_str() == text)
        .map(|c| c.id)
        .unwrap_or_else(|| panic!("no card {text:?}"))
}

/// NPS answers: `promoters` 10s, `detractors` 3s.
fn nps(promoters: u64, detractors: u64) -> Tally {
    let mut t = Tally::default();
    t.nps[10] = promoters;
    t.nps[3] = detractors;
    t.responses = promoters + detractors;
    t
}

struct Data {
    map: Summary,
    touchpoints: Vec<(CardId, Summary)>,
    pain_points: Vec<CardId>,
    funnel: Option<Funnel>,
}

impl Data {
    /// The map's summary and pain points from its touchpoints' tallies, as the server makes them.
    fn new(touchpoints: Vec<(CardId, Tally)>, funnel: Option<Funnel>) -> Data {
        let total: Tally = touchpoints.iter().map(|(_, t)| t.clone()).sum();
        Data {
            map: Summary::new(&total, 5),
            pain_points: crate::domain::feedback::pain_points(&touchpoints, 5),
            touchpoints: touchpoints
                .iter()
                .map(|(c, t)| (*c, Summary::new(t, 5)))
                .collect(),
            funnel,
        }
    }

    fn measures(&self) -> Measures<'_> {
        Measures {
            map: &self.map,
            touchpoints: &self.touchpoints,
            pain_points: &self.pain_points,
            funnel: self.funnel.as_ref(),
        }
    }
}

#[test]
fn an_opportunity_answers_its_own_stage_until_links_are_chosen() {
    let map = sample_map();
    let guest = card(&map, "Guest checkout");
    let own = linked(&map, guest, &Triage::default());
    assert_eq!(
        own,
        [
            card(&map, "Checkout"),
            card(&map, "Forced to create an account")
        ]
    );
    let chosen = Triage {
        links: vec![card(&map, "Size guide")],
        ..Triage::default()
    };
    assert_eq!(linked(&map, guest, &chosen), [card(&map, "Size guide")]);
}

#[test]
fn a_triage_links_only_pain_points_and_touchpoints_of_an_opportunity() {
    let map = sample_map();
    let guest = card(&map, "Guest checkout");
    let checkout = card(&map, "Checkout");
    let twice = Triage {
        links: vec![checkout, checkout],
        ..Triage::default()
    };
    assert_eq!(
        twice.check(&map, guest).map(|t| t.links),
        Ok(vec![checkout])
    );
    assert_eq!(
        Triage::default().check(&map, checkout),
        Err(TriageError::NotAnOpportunity)
    );
    let thought = Triage {
        links: vec![card(&map, "I hope delivery is quick")],
        ..Triage::default()
    };
    assert_eq!(thought.check(&map, guest), Err(TriageError::BadLink));
    let unknown = Triage {
        links: vec![CardId::from_uuid(uuid::Uuid::from_u128(9_999))],
        ..Triage::default()
    };
    assert_eq!(unknown.check(&map, guest), Err(TriageError::BadLink));
}

#[test]
fn priority_weighs_how_surely_a_touchpoint_scores_below_the_map_by_how_many_it_reaches() {
    let map = sample_map();
    let checkout = card(&map, "Checkout");
    let page = card(&map, "Product page");
    let instagram = card(&map, "Instagram post");
    // Checkout: NPS -60 on 200 answers; the others +60 and +50 on 200 each (map ≈ +17).
    let data = Data::new(
        vec![
            (checkout, nps(40, 160)),
            (page, nps(160, 40)),
            (instagram, nps(150, 50)),
        ],
        None,
    );
    let guest = evidence(
        &map,
        card(&map, "Guest checkout"),
        &Triage::default(),
        &data.measures(),
    );
    assert_eq!(guest.reach, Reach::Answers);
    let link = &guest.links[0];
    assert_eq!(link.card, checkout);
    assert!(link.significant);
    assert_eq!(link.reach, 200);
    // The map's +16.7 against the top of checkout's interval (about -49): about 66 of NPS's
    // 200 points, so a third of the range.
    assert!(
        (30.0..35.0).contains(&link.shortfall),
        "shortfall {}",
        link.shortfall
    );
    assert_eq!(
        guest.priority,
        (link.shortfall / 100.0 * 200.0).round() as u64
    );
    // The pain point has no score: listed, adding nothing.
    assert_eq!(guest.links[1].score, None);
    assert_eq!(guest.links[1].shortfall, 0.0);

    // A touchpoint above the map suggests nothing.
    let finder = evidence(
        &map,
        card(&map, "A fit finder with a width filter"),
        &Triage::default(),
        &data.measures(),
    );
    assert_eq!(finder.priority, 0);
    assert!(finder.links.iter().all(|l| l.shortfall == 0.0));
}

#[test]
fn too_few_answers_prove_nothing_and_reach_comes_from_the_funnel_where_there_is_one() {
    let map = sample_map();
    let checkout = card(&map, "Checkout");
    let page = card(&map, "Product page");
    // Three answers: under the minimum, so no score and no shortfall.
    let few = Data::new(vec![(checkout, nps(0, 3)), (page, nps(100, 0))], None);
    let guest = card(&map, "Guest checkout");
    let thin = evidence(&map, guest, &Triage::default(), &few.measures());
    assert_eq!(thin.priority, 0);

    let purchase = map.card(checkout).map(|c| c.stage).unwrap();
    let funnel = Funnel {
        customers: 5_000,
        stages: vec![StageFigures {
            stage: purchase,
            reach: 3_000,
            next: None,
        }],
        drop_off: None,
    };
    let many = Data::new(
        vec![(checkout, nps(40, 160)), (page, nps(160, 40))],
        Some(funnel),
    );
    let measured = evidence(&map, guest, &Triage::default(), &many.measures());
    assert_eq!(measured.reach, Reach::Customers);
    assert_eq!(measured.links[0].reach, 3_000);
    assert!(measured.priority > 300, "{}", measured.priority);
}

#[test]
fn the_backlog_ranks_by_evidence_then_impact_then_effort() {
    let evidence = |priority| Evidence {
        links: Vec::new(),
        reach: Reach::Answers,
        priority,
    };
    let sized = |impact, effort| Triage {
        impact: Some(impact),
        effort: Some(effort),
        ..Triage::default()
    };
    let mut items = [
        ("unsized", evidence(0), Triage::default()),
        ("costly", evidence(0), sized(Level::High, Level::High)),
        ("cheap", evidence(0), sized(Level::High, Level::Low)),
        ("proven", evidence(40), sized(Level::Low, Level::High)),
    ];
    items.sort_by(|a, b| rank((&a.1, &a.2), (&b.1, &b.2)));
    let names: Vec<&str> = items.iter().map(|i| i.0).collect();
    assert_eq!(names, ["proven", "cheap", "costly", "unsized"]);
    assert_eq!(quadrant(&sized(Level::High, Level::Low)), Some("Quick win"));
    assert_eq!(quadrant(&sized(Level::Low, Level::High)), Some("Money pit"));
    assert_eq!(quadrant(&Triage::default()), None);
    for status in Status::ALL {
        assert_eq!(Status::from_key(status.key()), Some(status));
    }
}
