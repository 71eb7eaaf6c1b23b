use super::*;
use crate::domain::feedback::Tally;
use crate::domain::journey::{Conversion, StageFigures};
use uuid::Uuid;

fn stage(n: u128) -> StageId {
    StageId::from_uuid(Uuid::from_u128(n))
}

/// NPS answers: `promoters` 10s and `detractors` 0s.
fn nps(promoters: u64, detractors: u64) -> Summary {
    let mut t = Tally::default();
    t.nps[10] = promoters;
    t.nps[0] = detractors;
    t.responses = promoters + detractors;
    Summary::new(&t, 5)
}

#[test]
fn targets_are_kept_in_tenths_within_each_measures_range() {
    let ces = Target::new(None, Measure::Ces, 5.55).unwrap();
    assert_eq!(ces.tenths, 56);
    assert_eq!(ces.value(), 5.6);
    assert!(Target::new(None, Measure::Nps, 101.0).is_err());
    assert!(Target::new(None, Measure::Ces, 0.5).is_err());
    assert!(Target::new(None, Measure::Conversion, f64::NAN).is_err());
    assert!(Target::new(None, Measure::Csat, -1.0).is_err());
    let twice = [
        Target::new(Some(stage(1)), Measure::Nps, 10.0).unwrap(),
        Target::new(Some(stage(1)), Measure::Nps, 20.0).unwrap(),
    ];
    assert!(check(&twice).is_err());
    let apart = [
        Target::new(Some(stage(1)), Measure::Nps, 10.0).unwrap(),
        Target::new(None, Measure::Nps, 20.0).unwrap(),
    ];
    assert!(check(&apart).is_ok());
    // A file's value out of range is refused too.
    let forged = Target {
        stage: None,
        measure: Measure::Ces,
        tenths: 200,
        metric: None,
    };
    assert!(check(&[forged]).is_err());
    let many: Vec<Target> = (0..=MAX_TARGETS)
        .map(|i| Target::new(Some(stage(i as u128)), Measure::Nps, 0.0).unwrap())
        .collect();
    let refused = check(&many).unwrap_err();
    assert!(refused.message.contains(&MAX_TARGETS.to_string()));
    for m in Measure::ALL {
        assert_eq!(Measure::from_key(m.key()), Some(m));
    }
}

#[test]
fn on_target_only_when_the_whole_interval_says_so() {
    let map = nps(80, 20); // +60 on 100 answers, about ±16
    let few = nps(3, 0); // under the minimum: no score shown
    let stages = [(stage(1), nps(30, 70)), (stage(2), few)]; // -40
    let funnel = Funnel {
        customers: 1_000,
        stages: vec![
            StageFigures {
                stage: stage(1),
                reach: 1_000,
                next: Some(Conversion {
                    to: stage(2),
                    converted: 300,
                    rate: wilson(300, 1_000),
                    time: None,
                }),
            },
            StageFigures {
                stage: stage(2),
                reach: 300,
                next: None,
            },
        ],
        drop_off: None,
    };
    let figures = Figures {
        map: &map,
        stages: &stages,
        funnel: Some(&funnel),
    };
    let target = |s, m, v| Target::new(s, m, v).unwrap();
    let read = assess(
        &[
            target(None, Measure::Nps, 30.0),
            target(None, Measure::Nps, 60.0),
            target(Some(stage(1)), Measure::Nps, 0.0),
            target(Some(stage(2)), Measure::Nps, 0.0),
            target(Some(stage(1)), Measure::Conversion, 25.0),
            target(None, Measure::Conversion, 35.0),
            target(None, Measure::Csat, 80.0),
        ],
        &figures,
    );
    let standings: Vec<Option<Standing>> = read.iter().map(|a| a.standing).collect();
    assert_eq!(
        standings,
        [
            Some(Standing::On),     // +60 ± 16 is above +30
            Some(Standing::Unsure), // the interval spans +60
            Some(Standing::Below),  // -40 ± 18 is under 0
            None,                   // too few answers to tell
            Some(Standing::On),     // 30% (27–33%) is above 25%
            Some(Standing::Below),  // 300 of 1,000 reach the last stage: under 35%
            None,                   // nobody was asked CSAT
        ]
    );
    assert_eq!(read[4].actual.map(|a| a.value().round()), Some(30.0));
}
