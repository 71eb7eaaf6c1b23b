use super::*;
use crate::domain::ids::CardId;

const NOW: Millis = 1_795_000_000_000; // 2026-11-18

fn day_at(year: i64, month: u32, day: u32) -> Day {
    crate::domain::time::day_from_civil(year, month, day).unwrap()
}

fn card() -> CardId {
    CardId::from_uuid(uuid::Uuid::from_u128(7))
}

fn input(nps: Option<i64>) -> ResponseInput {
    ResponseInput {
        touchpoint: "checkout".into(),
        nps,
        ..ResponseInput::default()
    }
}

fn check(input: ResponseInput) -> Result<Response, ResponseError> {
    input.check(|t| (t == "checkout").then(card), NOW)
}

#[test]
fn a_good_response_is_checked_and_normalised() {
    let r = check(ResponseInput {
        at: Some(When::Text("2026-11-02T10:30:00+01:00".into())),
        csat: Some(4),
        comment: Some("  quick and easy  ".into()),
        channel: Some(" web ".into()),
        segment: Some(String::new()),
        ..input(Some(9))
    })
    .unwrap();
    assert_eq!(r.touchpoint, card());
    assert_eq!(r.nps, Some(9));
    assert_eq!(r.csat, Some(4));
    assert_eq!(r.comment.as_deref(), Some("quick and easy"));
    assert_eq!(r.channel, "web");
    assert_eq!(r.segment, "");
    assert_eq!(
        r.at,
        day_at(2026, 11, 2) * 86_400_000 + (9 * 3600 + 30 * 60) * 1000
    );
    assert_eq!(check(input(Some(0))).unwrap().at, NOW, "no time means now");
}

#[test]
fn bad_responses_are_refused_with_the_field_named() {
    let field = |i: ResponseInput| check(i).unwrap_err().field;
    assert_eq!(field(input(Some(11))), "nps");
    assert_eq!(field(input(Some(-1))), "nps");
    assert_eq!(
        field(ResponseInput {
            csat: Some(0),
            ..input(None)
        }),
        "csat"
    );
    assert_eq!(
        field(ResponseInput {
            ces: Some(8),
            ..input(None)
        }),
        "ces"
    );
    assert_eq!(field(input(None)), "nps", "nothing answered");
    assert_eq!(
        field(ResponseInput {
            comment: Some("   ".into()),
            ..input(None)
        }),
        "nps",
        "a blank comment is no answer"
    );
    assert_eq!(
        field(ResponseInput {
            touchpoint: "nowhere".into(),
            ..input(Some(5))
        }),
        "touchpoint"
    );
    let long = "x".repeat(MAX_COMMENT_CHARS + 1);
    let error = check(ResponseInput {
        comment: Some(long),
        ..input(Some(5))
    })
    .unwrap_err();
    assert_eq!(error.field, "comment");
    assert!(error.message.contains("2001"), "{error}");
    assert_eq!(
        field(ResponseInput {
            channel: Some("c".repeat(61)),
            ..input(Some(5))
        }),
        "channel"
    );
    assert_eq!(
        field(ResponseInput {
            at: Some(When::Millis(NOW + 2 * 86_400_000)),
            ..input(Some(5))
        }),
        "at"
    );
    assert_eq!(
        field(ResponseInput {
            at: Some(When::Text("yesterday".into())),
            ..input(Some(5))
        }),
        "at"
    );
}

/// Weeks start on Monday; months on the 1st. 2026-11-26 is a Thursday.
#[test]
fn trend_buckets_by_week_and_month() {
    let thursday = day_at(2026, 11, 26);
    assert_eq!(Period::Week.start(thursday), day_at(2026, 11, 23));
    assert_eq!(
        Period::Week.start(day_at(2026, 11, 23)),
        day_at(2026, 11, 23)
    );
    assert_eq!(
        Period::Week.start(day_at(2026, 11, 29)),
        day_at(2026, 11, 23)
    );
    assert_eq!(
        Period::Week.start(day_at(2026, 11, 30)),
        day_at(2026, 11, 30)
    );
    assert_eq!(Period::Week.start(0), day_at(1969, 12, 29));
    assert_eq!(Period::Month.start(thursday), day_at(2026, 11, 1));
    assert_eq!(Period::Month.label(day_at(2026, 11, 1)), "2026-11");
    assert_eq!(
        Period::Week.label(day_at(2026, 11, 23)),
        "Week of 2026-11-23"
    );

    let mut monday = Tally {
        responses: 2,
        ..Tally::default()
    };
    monday.nps[10] = 2;
    let mut sunday = Tally {
        responses: 1,
        ..Tally::default()
    };
    sunday.nps[0] = 1;
    let days = [
        (day_at(2026, 11, 23), monday.clone()),
        (day_at(2026, 11, 29), sunday),
        (day_at(2026, 11, 30), monday),
    ];
    let trend = trend(&days, Period::Week, 1);
    let counts: Vec<_> = trend
        .points
        .iter()
        .map(|p| (p.label.as_str(), p.summary.responses))
        .collect();
    assert_eq!(
        counts,
        [("Week of 2026-11-23", 3), ("Week of 2026-11-30", 2)]
    );
    assert_eq!(trend.direction, None, "three answers prove nothing");
}

fn nps_tally(promoters: u64, passives: u64, detractors: u64) -> Tally {
    let mut t = Tally::default();
    t.nps[10] = promoters;
    t.nps[8] = passives;
    t.nps[3] = detractors;
    t.responses = promoters + passives + detractors;
    t
}

#[test]
fn a_trend_arrow_needs_a_significant_change() {
    let days = |a: Tally, b: Tally| [(day_at(2026, 10, 5), a), (day_at(2026, 11, 5), b)];
    let up = trend(
        &days(nps_tally(20, 20, 60), nps_tally(60, 20, 20)),
        Period::Month,
        5,
    );
    assert_eq!(up.direction, Some(Direction::Up));
    let down = trend(
        &days(nps_tally(60, 20, 20), nps_tally(20, 20, 60)),
        Period::Month,
        5,
    );
    assert_eq!(down.direction, Some(Direction::Down));
    let noise = trend(
        &days(nps_tally(30, 40, 30), nps_tally(33, 40, 27)),
        Period::Month,
        5,
    );
    assert_eq!(noise.direction, None);
}

#[test]
fn summaries_hide_scores_below_the_minimum() {
    let small = Summary::new(&nps_tally(3, 0, 1), 5);
    assert_eq!(small.responses, 4);
    let nps = small.nps.as_ref().unwrap();
    assert_eq!(
        (nps.n, nps.confidence, nps.estimate),
        (4, Confidence::Hidden, None)
    );
    assert_eq!(small.distribution, None);
    assert_eq!(small.headline().and_then(Score::value), None);

    let low = Summary::new(&nps_tally(3, 1, 1), 5);
    let nps = low.nps.as_ref().unwrap();
    assert_eq!(nps.confidence, Confidence::Low);
    assert_eq!(nps.value(), Some(40.0));
    assert!(low.csat.is_none(), "no CSAT asked");
    assert_eq!(low.headline().unwrap().metric, Metric::Nps);

    let csat_only = Tally {
        csat: [0, 0, 10, 20, 10],
        responses: 40,
        ..Tally::default()
    };
    let summary = Summary::new(&csat_only, 5);
    let headline = summary.headline().unwrap();
    assert_eq!(
        (headline.metric, headline.confidence),
        (Metric::Csat, Confidence::Normal)
    );
    assert_eq!(headline.value(), Some(75.0));
    assert_eq!(summary.csat_mean.as_ref().and_then(Score::value), Some(4.0));
}

#[test]
fn tallies_record_and_add() {
    let response = check(ResponseInput {
        csat: Some(5),
        ces: Some(1),
        comment: Some("slow".into()),
        ..input(Some(10))
    })
    .unwrap();
    let mut a = Tally::default();
    a.record(&response, true);
    a.record(&check(input(Some(0))).unwrap(), false);
    assert_eq!((a.responses, a.comments, a.negative), (2, 1, 1));
    assert_eq!((a.nps[10], a.nps[0], a.csat[4], a.ces[0]), (1, 1, 1, 1));
    let total: Tally = [a.clone(), a].into_iter().sum();
    assert_eq!((total.responses, total.nps[10], total.negative), (4, 2, 2));
    let summary = Summary::new(&total, 1);
    assert_eq!(summary.negative_share(), Some(100.0));
}

#[test]
fn pain_points_are_significantly_below_the_rest() {
    let id = |n| CardId::from_uuid(uuid::Uuid::from_u128(n));
    let touchpoints = [
        (id(1), nps_tally(50, 30, 20)),
        (id(2), nps_tally(45, 35, 20)),
        (id(3), nps_tally(10, 20, 70)),
        (id(4), nps_tally(0, 0, 3)), // terrible but too few answers to say
    ];
    assert_eq!(pain_points(&touchpoints, 5), [id(3)]);
    assert_eq!(pain_points(&[(id(1), nps_tally(1, 1, 1))], 5), []);
}

#[test]
fn metrics_normalise_onto_one_scale() {
    assert_eq!(Metric::Nps.normalise(-100.0), 0.0);
    assert_eq!(Metric::Nps.normalise(100.0), 1.0);
    assert_eq!(Metric::Csat.normalise(50.0), 0.5);
    assert_eq!(Metric::Ces.normalise(7.0), 1.0);
    assert_eq!(Metric::Ces.normalise(0.0), 0.0, "clamped");
    assert_eq!(Metric::Nps.format(32.4), "+32");
    assert_eq!(Metric::Nps.format(-5.0), "-5");
    assert_eq!(Metric::Csat.format(84.0), "84%");
}

#[test]
fn surveys_ask_something() {
    assert!(Survey::new(None, None, None, None).is_err());
    let survey = Survey::default_for("Checkout page\nsecond line");
    assert!(survey.csat.unwrap().as_str().contains("“Checkout page”"));
    assert!(FeedbackSettings::default().check().is_ok());
    let zero = FeedbackSettings {
        minimum: 0,
        ..FeedbackSettings::default()
    };
    assert!(zero.check().is_err());
}

#[test]
fn surveys_and_responses_deserialize_through_their_checks() {
    assert!(
        serde_json::from_str::<Survey>("{}").is_err(),
        "an empty survey"
    );
    let survey: Survey = serde_json::from_str(r#"{"nps":"Recommend us?"}"#).unwrap();
    assert!(survey.nps.is_some());
    let edit = r#"{"set_card_survey":{"id":"00000000-0000-0000-0000-000000000007","survey":{}}}"#;
    assert!(serde_json::from_str::<crate::domain::edit::Edit>(edit).is_err());

    let good = check(input(Some(9))).unwrap();
    let json = serde_json::to_string(&good).unwrap();
    assert_eq!(serde_json::from_str::<Response>(&json).unwrap(), good);
    for bad in [
        json.replace(r#""nps":9"#, r#""nps":11"#),
        json.replace(r#""nps":9"#, r#""nps":null"#),
        json.replace(
            r#""channel":"""#,
            &format!(r#""channel":"{}""#, "x".repeat(500)),
        ),
    ] {
        assert!(serde_json::from_str::<Response>(&bad).is_err(), "{bad}");
    }
}
