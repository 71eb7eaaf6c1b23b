//! The statistics of feedback scores: NPS with an adjusted-Wald interval, CSAT with a Wilson
//! interval, CES with a t-interval, and the tests that decide whether a difference is real.
//!
//! Pure arithmetic over score histograms (counts per score), which is what the server keeps per
//! touchpoint and day, so a summary of a million answers is a sum of a few thousand rows.

use serde::{Deserialize, Serialize};

/// z for a two-sided 95% interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// Counts of NPS answers by score 0..=10.
pub type NpsHistogram = [u64; 11];
/// Counts of CSAT answers by score 1..=5 (index 0 is score 1).
pub type CsatHistogram = [u64; 5];
/// Counts of CES answers by score 1..=7 (index 0 is score 1).
pub type CesHistogram = [u64; 7];

/// A value with its 95% interval, and the sample behind it.
///
/// Invariant (checked by `Estimate::new`, which deserializing goes through too): every number is
/// finite, and `low <= value <= high`. JSON has no NaN or infinity (serde_json writes them as
/// `null`), so a non-finite number here would make the browser refuse the whole summary.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "EstimateFields")]
pub struct Estimate {
    n: u64,
    value: f64,
    low: f64,
    high: f64,
    /// The variance of `value`'s estimator, for comparing two estimates; absent when the
    /// sample cannot tell (a mean of one answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    variance: Option<f64>,
}

/// An estimate as it arrives, before its check.
#[derive(Deserialize)]
struct EstimateFields {
    n: u64,
    value: f64,
    low: f64,
    high: f64,
    #[serde(default)]
    variance: Option<f64>,
}

impl TryFrom<EstimateFields> for Estimate {
    type Error = String;
    fn try_from(raw: EstimateFields) -> Result<Estimate, String> {
        Estimate::new(raw.n, raw.value, raw.low, raw.high, raw.variance)
            .ok_or_else(|| "an estimate needs finite numbers with low ≤ value ≤ high".to_owned())
    }
}

impl Estimate {
    /// `None` unless every number is finite (and the variance not negative) and the interval
    /// holds the value.
    pub fn new(n: u64, value: f64, low: f64, high: f64, variance: Option<f64>) -> Option<Estimate> {
        let finite = value.is_finite() && low.is_finite() && high.is_finite();
        let variance_ok = variance.is_none_or(|v| v.is_finite() && v >= 0.0);
        (finite && variance_ok && low <= value && value <= high).then_some(Estimate {
            n,
            value,
            low,
            high,
            variance,
        })
    }

    pub fn n(&self) -> u64 {
        self.n
    }

    pub fn value(&self) -> f64 {
        self.value
    }

    pub fn low(&self) -> f64 {
        self.low
    }

    pub fn high(&self) -> f64 {
        self.high
    }

    pub fn variance(&self) -> Option<f64> {
        self.variance
    }

    /// Half the interval's width: the margin of error.
    pub fn margin(&self) -> f64 {
        (self.high - self.low) / 2.0
    }
}

/// NPS: % promoters (9–10) minus % detractors (0–6), from -100 to 100. The interval is the
/// adjusted-Wald one: three answers added (0.75 promoter, 0.75 detractor, 1.5 passive), which
/// behaves well even for small samples; it is clipped to ±100.
pub fn nps(histogram: &NpsHistogram) -> Option<Estimate> {
    let n: u64 = histogram.iter().sum();
    if n == 0 {
        return None;
    }
    let promoters = (histogram[9] + histogram[10]) as f64;
    let detractors: f64 = histogram[..=6].iter().sum::<u64>() as f64;
    let value = (promoters - detractors) / n as f64 * 100.0;
    let adjusted_n = n as f64 + 3.0;
    let p = (promoters + 0.75) / adjusted_n;
    let d = (detractors + 0.75) / adjusted_n;
    let centre = p - d;
    let variance = (p + d - centre * centre) / adjusted_n;
    let margin = Z95 * variance.sqrt();
    // The adjusted interval is centred off the raw value; it always holds it in theory, and
    // the clamps keep rounding from ever putting the value outside.
    let low = ((centre - margin) * 100.0).clamp(-100.0, value);
    let high = ((centre + margin) * 100.0).clamp(value, 100.0);
    Estimate::new(n, value, low, high, Some(variance * 10_000.0))
}

/// Wilson score interval for a proportion `hits / n`, in percent.
pub fn wilson(hits: u64, n: u64) -> Option<Estimate> {
    if n == 0 {
        return None;
    }
    let (nf, p) = (n as f64, hits as f64 / n as f64);
    let z2 = Z95 * Z95;
    let denominator = 1.0 + z2 / nf;
    let centre = (p + z2 / (2.0 * nf)) / denominator;
    let half = Z95 * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt() / denominator;
    let value = p * 100.0;
    let low = ((centre - half).max(0.0) * 100.0).min(value);
    let high = ((centre + half).min(1.0) * 100.0).max(value);
    Estimate::new(n, value, low, high, Some(p * (1.0 - p) / nf * 10_000.0))
}

/// CSAT: % of answers that are 4 or 5, with a Wilson interval.
pub fn csat(histogram: &CsatHistogram) -> Option<Estimate> {
    let n = histogram.iter().sum();
    wilson(histogram[3] + histogram[4], n)
}

/// The mean of a histogram whose index 0 stands for score `first`, with a t-interval.
pub fn mean(histogram: &[u64], first: i32) -> Option<Estimate> {
    let n: u64 = histogram.iter().sum();
    if n == 0 {
        return None;
    }
    let score = |i: usize| f64::from(first + i as i32);
    let nf = n as f64;
    let sum: f64 = histogram
        .iter()
        .enumerate()
        .map(|(i, c)| score(i) * *c as f64)
        .sum();
    let value = sum / nf;
    if n == 1 {
        // One answer says nothing of the spread: no interval, and no variance to test with.
        return Estimate::new(n, value, value, value, None);
    }
    let squares: f64 = histogram
        .iter()
        .enumerate()
        .map(|(i, c)| (score(i) - value).powi(2) * *c as f64)
        .sum();
    let variance_of_mean = squares / (nf - 1.0) / nf;
    let margin = t95(n - 1) * variance_of_mean.sqrt();
    Estimate::new(
        n,
        value,
        value - margin,
        value + margin,
        Some(variance_of_mean),
    )
}

/// CSAT's mean score (1–5), shown beside the percentage.
pub fn csat_mean(histogram: &CsatHistogram) -> Option<Estimate> {
    mean(histogram, 1)
}

/// CES: the mean effort score (1–7), with a t-interval.
pub fn ces(histogram: &CesHistogram) -> Option<Estimate> {
    mean(histogram, 1)
}

/// The two-sided 95% quantile of Student's t with `df` degrees of freedom.
pub fn t95(df: u64) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::INFINITY,
        1..=30 => TABLE[(df - 1) as usize],
        _ => {
            // Cornish–Fisher expansion around the normal quantile; exact to 3 decimals here.
            let (z, d) = (Z95, df as f64);
            z + (z.powi(3) + z) / (4.0 * d)
                + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * d * d)
        }
    }
}

/// Whether two estimates differ at the 95% level (a z-test on their difference).
pub fn differs(a: &Estimate, b: &Estimate) -> bool {
    let (Some(va), Some(vb)) = (a.variance, b.variance) else {
        return false;
    };
    let spread = (va + vb).sqrt();
    spread.is_finite() && spread > 0.0 && (a.value - b.value).abs() > Z95 * spread
}

/// Whether two proportions (`hits` of `n` in two independent samples) differ at the 95% level:
/// the pooled two-proportion z-test, which (unlike comparing two Wilson estimates) also tells
/// 0 of 50 from 50 of 50.
pub fn proportions_differ((hits_a, n_a): (u64, u64), (hits_b, n_b): (u64, u64)) -> bool {
    if n_a == 0 || n_b == 0 {
        return false;
    }
    let (na, nb) = (n_a as f64, n_b as f64);
    let pooled = (hits_a + hits_b) as f64 / (na + nb);
    let spread = (pooled * (1.0 - pooled) * (1.0 / na + 1.0 / nb)).sqrt();
    let gap = (hits_a as f64 / na - hits_b as f64 / nb).abs();
    spread > 0.0 && gap > Z95 * spread
}

/// How much weight a score can bear, by its sample size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// Fewer answers than the minimum: the score is not shown, only the count.
    Hidden,
    /// Shown, marked "low confidence" (fewer than 30 answers).
    Low,
    Normal,
}

/// Below this many answers a score carries a "low confidence" mark.
pub const LOW_CONFIDENCE_BELOW: u64 = 30;
/// The default minimum sample below which a score is hidden.
pub const DEFAULT_MINIMUM: u64 = 5;
/// The default minimum number of comments before any is shown (anonymity).
pub const DEFAULT_COMMENT_MINIMUM: u64 = 8;

pub fn confidence(n: u64, minimum: u64) -> Confidence {
    if n < minimum {
        Confidence::Hidden
    } else if n < LOW_CONFIDENCE_BELOW {
        Confidence::Low
    } else {
        Confidence::Normal
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::{prop_oneof, Just};

    #[track_caller]
    fn close(actual: f64, expected: f64) {
        assert!(
            (actual - expected).abs() < 0.01,
            "{actual} is not {expected}"
        );
    }

    /// 10 answers: 5 promoters, 3 passives, 2 detractors. NPS = 50% - 20% = 30.
    /// Adjusted: n' = 13, p' = 5.75/13 = 0.44231, d' = 2.75/13 = 0.21154, centre = 0.23077,
    /// variance = (0.44231 + 0.21154 - 0.23077²)/13 = 0.046199, margin = 1.96 × 0.21494 = 0.42128.
    #[test]
    fn two_proportions_differ_by_the_pooled_test() {
        // 40/100 against 55/100: z = 0.15 / 0.0706 = 2.12; against 50/100: 0.10 / 0.0704 = 1.42.
        assert!(proportions_differ((40, 100), (55, 100)));
        assert!(!proportions_differ((40, 100), (50, 100)));
        // None against all: each Wilson estimate has no variance, the pooled test sees it.
        assert!(proportions_differ((0, 50), (50, 50)));
        assert!(!differs(&wilson(0, 50).unwrap(), &wilson(50, 50).unwrap()));
        // Nothing to compare.
        assert!(!proportions_differ((0, 0), (5, 10)));
        assert!(!proportions_differ((10, 10), (10, 10)));
    }

    #[test]
    fn nps_by_hand() {
        let mut h = [0; 11];
        h[10] = 3;
        h[9] = 2;
        h[8] = 2;
        h[7] = 1;
        h[5] = 1;
        h[0] = 1;
        let e = nps(&h).unwrap();
        assert_eq!(e.n, 10);
        close(e.value, 30.0);
        close(e.low, (0.230_77 - 0.421_28) * 100.0);
        close(e.high, (0.230_77 + 0.421_28) * 100.0);
        assert_eq!(nps(&[0; 11]), None);
    }

    #[test]
    fn nps_interval_is_clipped() {
        let mut h = [0; 11];
        h[10] = 2;
        let e = nps(&h).unwrap();
        close(e.value, 100.0);
        assert_eq!(e.high, 100.0);
        assert!(e.low < 100.0 && e.low > -100.0);
        let mut all_detractors = [0; 11];
        all_detractors[0] = 2;
        assert_eq!(nps(&all_detractors).unwrap().low, -100.0);
    }

    /// 8 of 10 satisfied: p = 0.8; Wilson centre = (0.8 + 0.19207)/1.38415 = 0.71674,
    /// half = 1.96 × sqrt(0.016 + 0.0096037)/1.38415 = 0.22657 → [49.02, 94.33].
    #[test]
    fn csat_by_hand() {
        let e = csat(&[1, 0, 1, 4, 4]).unwrap();
        assert_eq!(e.n, 10);
        close(e.value, 80.0);
        close(e.low, 49.02);
        close(e.high, 94.33);
        close(csat_mean(&[1, 0, 1, 4, 4]).unwrap().value, 4.0);
    }

    /// Scores 2, 4, 4, 6: mean 4, s² = 8/3, SE = sqrt(8/3/4) = 0.8165, t(3) = 3.182 → ±2.598.
    #[test]
    fn ces_by_hand() {
        let e = ces(&[0, 1, 0, 2, 0, 1, 0]).unwrap();
        close(e.value, 4.0);
        close(e.low, 4.0 - 2.598);
        close(e.high, 4.0 + 2.598);
        let single = ces(&[0, 0, 1, 0, 0, 0, 0]).unwrap();
        assert_eq!((single.low, single.high), (3.0, 3.0));
        assert_eq!(
            single.variance, None,
            "one answer has no spread to test with"
        );
        assert!(!differs(&single, &e));
    }

    /// What the browser got for a touchpoint with one answer: `null` where a number belongs.
    #[test]
    fn an_estimate_with_a_missing_or_odd_number_does_not_decode() {
        let one = ces(&[0, 0, 1, 0, 0, 0, 0]).unwrap();
        let json = serde_json::to_string(&one).unwrap();
        assert!(!json.contains("null"), "{json}");
        assert_eq!(serde_json::from_str::<Estimate>(&json).unwrap(), one);
        for odd in [
            r#"{"n":1,"value":3.0,"low":3.0,"high":3.0,"variance":null}"#,
            r#"{"n":1,"value":null,"low":3.0,"high":3.0}"#,
            r#"{"n":2,"value":5.0,"low":3.0,"high":4.0}"#,
            r#"{"n":2,"value":3.0,"low":3.0,"high":4.0,"variance":-1.0}"#,
        ] {
            let decoded = serde_json::from_str::<Estimate>(odd);
            assert!(
                decoded.is_err() || decoded.as_ref().is_ok_and(|e| e.variance.is_none()),
                "{odd} gave {decoded:?}"
            );
        }
        assert!(Estimate::new(1, f64::NAN, 0.0, 1.0, None).is_none());
        assert!(Estimate::new(1, 0.5, 0.0, 1.0, Some(f64::INFINITY)).is_none());
    }

    proptest::proptest! {
        /// Every histogram, however small or lopsided, gives finite estimates that survive JSON.
        #[test]
        fn estimates_are_always_finite(
            nps_counts in proptest::array::uniform11(0u64..4),
            csat_counts in proptest::array::uniform5(0u64..4),
            ces_counts in proptest::array::uniform7(prop_oneof![Just(0u64), Just(1), Just(1_000_000_000)]),
        ) {
            let estimates = [
                nps(&nps_counts),
                csat(&csat_counts),
                csat_mean(&csat_counts),
                ces(&ces_counts),
            ];
            for e in estimates.into_iter().flatten() {
                proptest::prop_assert!(e.value.is_finite() && e.low.is_finite() && e.high.is_finite());
                proptest::prop_assert!(e.low <= e.value && e.value <= e.high);
                let json = serde_json::to_string(&e).unwrap();
                // serde_json may round the last digit, so compare the shape, not the bits.
                let back = serde_json::from_str::<Estimate>(&json);
                proptest::prop_assert!(back.is_ok_and(|b| b.n == e.n && (b.value - e.value).abs() < 1e-9), "{}", json);
            }
        }
    }

    #[test]
    fn t_quantiles_match_tables() {
        close(t95(1), 12.706);
        close(t95(30), 2.042);
        close(t95(40), 2.021);
        close(t95(120), 1.980);
        close(t95(100_000), 1.960);
    }

    #[test]
    fn the_minimum_sample_rule() {
        assert_eq!(confidence(4, DEFAULT_MINIMUM), Confidence::Hidden);
        assert_eq!(confidence(5, DEFAULT_MINIMUM), Confidence::Low);
        assert_eq!(confidence(29, DEFAULT_MINIMUM), Confidence::Low);
        assert_eq!(confidence(30, DEFAULT_MINIMUM), Confidence::Normal);
        assert_eq!(confidence(10, 20), Confidence::Hidden);
    }

    #[test]
    fn differences_are_tested_for_significance() {
        let mut good = [0; 11];
        good[10] = 80;
        good[0] = 20;
        let mut bad = [0; 11];
        bad[10] = 20;
        bad[0] = 80;
        assert!(differs(&nps(&good).unwrap(), &nps(&bad).unwrap()));
        let mut near = [0; 11];
        near[10] = 78;
        near[0] = 22;
        assert!(!differs(&nps(&good).unwrap(), &nps(&near).unwrap()));
    }
}
