//! Call quality review: scorecards, the score of a reviewed call, and the weekly sample.
//!
//! A scorecard lists criteria grouped by the call's steps (contact, needs, presentation,
//! objections, next step); each has the points a reviewer may give (e.g. 0, 1, 2), a weight, and
//! may be critical: a critical criterion given 0 points zeroes the whole call (rudeness, a wrong
//! price). The score is Σ points × weight / Σ max × weight, in percent.
//!
//! The weekly sample takes, per manager and direction, a share of the answered calls of the week
//! (10 % inbound and 5 % outbound by default), at least a minimum duration; which calls is decided
//! by a hash of the workspace's stored seed and the call's id, so the same week samples the same
//! calls however often it is run.
use crate::error::FieldError;
use crate::msg::{Common, ReviewMsg as R};
use serde_json::Value;

pub const STEPS: [&str; 5] = ["contact", "needs", "presentation", "objections", "next_step"];
const MAX_CRITERIA: usize = 60;

/// One criterion of a scorecard; stored and answered as `{key, step, title, points, weight, critical}`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Criterion {
    pub key: String,
    pub step: String,
    pub title: String,
    /// The points a reviewer may give, ascending (e.g. 0, 1, 2).
    pub points: Vec<i64>,
    pub weight: i64,
    pub critical: bool,
}

impl Criterion {
    pub fn max(&self) -> i64 {
        self.points.iter().copied().max().unwrap_or(0)
    }
}

/// Reads `[{key, step, title, points: [0, 1, 2], weight, critical}]`. Refused: an unknown step,
/// points that are not whole numbers ≥ 0, a negative weight, a repeated key, and weights that are
/// all zero (`review_weights_zero`: such a card scores nothing).
pub fn parse_criteria(v: &Value) -> Result<Vec<Criterion>, FieldError> {
    let list = v.as_array().ok_or_else(|| FieldError::new("criteria", R::CriteriaShape {}))?;
    if list.is_empty() {
        return Err(FieldError::new("criteria", R::NoCriteria {}));
    }
    if list.len() > MAX_CRITERIA {
        return Err(FieldError::new("criteria", R::TooManyCriteria { n: MAX_CRITERIA as i64 }));
    }
    let mut out: Vec<Criterion> = Vec::with_capacity(list.len());
    for (i, c) in list.iter().enumerate() {
        let f = |k: &str| format!("criteria.{i}.{k}");
        let o = c.as_object().ok_or_else(|| FieldError::new(format!("criteria.{i}"), R::CriteriaShape {}))?;
        let text = |k: &str| -> Result<String, FieldError> {
            o.get(k)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .ok_or_else(|| FieldError::new(f(k), Common::Required {}))
        };
        let title = text("title")?;
        let step = text("step")?;
        if !STEPS.contains(&step.as_str()) {
            return Err(FieldError::new(f("step"), Common::OneOf { list: STEPS.iter().map(|s| s.to_string()).collect() }));
        }
        let key = o.get("key").and_then(Value::as_str).map(str::to_string).unwrap_or_else(|| format!("c{}", i + 1));
        if out.iter().any(|x| x.key == key) {
            return Err(FieldError::new(f("key"), R::DuplicateKey { key }));
        }
        let mut points: Vec<i64> = match o.get("points") {
            None => vec![0, 1, 2],
            Some(p) => p
                .as_array()
                .and_then(|a| a.iter().map(|x| x.as_i64().filter(|n| (0..=100).contains(n))).collect::<Option<Vec<_>>>())
                .filter(|a| a.len() >= 2)
                .ok_or_else(|| FieldError::new(f("points"), R::PointsShape {}))?,
        };
        points.sort_unstable();
        points.dedup();
        let weight = match o.get("weight") {
            None => 1,
            Some(w) => w.as_i64().filter(|n| (0..=100).contains(n)).ok_or_else(|| FieldError::new(f("weight"), R::WeightShape {}))?,
        };
        let critical = o.get("critical").and_then(Value::as_bool).unwrap_or(false);
        out.push(Criterion { key, step, title, points, weight, critical });
    }
    if out.iter().all(|c| c.weight == 0 || c.max() == 0) {
        return Err(FieldError::new("criteria", R::WeightsZero {}));
    }
    Ok(out)
}

/// The criteria as JSON (what [`parse_criteria`] reads back).
pub fn criteria_json(c: &[Criterion]) -> Value {
    serde_json::to_value(c).unwrap_or(Value::Null)
}

/// A reviewed call's score.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    /// Percent, 0–100, rounded to a tenth.
    pub pct: f64,
    /// The critical criteria that got 0 points (the call scores 0).
    pub failed_critical: Vec<String>,
}

/// Checks the points given (`{key: points}`; every criterion must be scored with one of its
/// options) and computes the score.
pub fn score(criteria: &[Criterion], given: &Value) -> Result<Score, FieldError> {
    let o = given.as_object().ok_or_else(|| FieldError::new("points", Common::NotObject {}))?;
    if let Some(k) = o.keys().find(|k| !criteria.iter().any(|c| &c.key == *k)) {
        return Err(FieldError::new(format!("points.{k}"), R::UnknownCriterion { key: k.clone() }));
    }
    let (mut got, mut max, mut failed) = (0i64, 0i64, Vec::new());
    for c in criteria {
        let p = o.get(&c.key).ok_or_else(|| FieldError::new(format!("points.{}", c.key), Common::Required {}))?;
        let p = p.as_i64().filter(|p| c.points.contains(p)).ok_or_else(|| {
            FieldError::new(format!("points.{}", c.key), R::PointsNotOption { options: c.points.iter().map(|p| p.to_string()).collect() })
        })?;
        if c.critical && p == 0 {
            failed.push(c.key.clone());
        }
        got += p * c.weight;
        max += c.max() * c.weight;
    }
    let pct = if !failed.is_empty() || max == 0 { 0.0 } else { (got as f64 * 1000.0 / max as f64).round() / 10.0 };
    Ok(Score { pct, failed_critical: failed })
}

/// The share of each criterion's points a set of reviews got: (key, Σ points × weight, Σ max × weight).
pub fn criterion_pct(got: i64, max: i64) -> f64 {
    if max == 0 {
        0.0
    } else {
        (got as f64 * 1000.0 / max as f64).round() / 10.0
    }
}

/// Sampling settings of a workspace.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SampleSettings {
    pub inbound_pct: f64,
    pub outbound_pct: f64,
    pub min_seconds: i64,
}

impl Default for SampleSettings {
    fn default() -> Self {
        SampleSettings { inbound_pct: 10.0, outbound_pct: 5.0, min_seconds: 30 }
    }
}

/// A share in percent from JSON: a number from 0 to 100 (`review_sample_pct` otherwise).
pub fn parse_pct(v: &Value, field: &str) -> Result<f64, FieldError> {
    v.as_f64().filter(|p| (0.0..=100.0).contains(p)).ok_or_else(|| FieldError::new(field, R::SamplePct {}))
}

/// A stable 64-bit mix of the seed and a call's id (splitmix64), the sample's order.
pub fn sample_key(seed: i64, call_id: i64) -> u64 {
    let mut z = (seed as u64) ^ (call_id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// How many of `n` calls a share of `pct` percent takes: rounded up, so a manager with any
/// calls and a share above zero gets at least one reviewed.
pub fn sample_size(n: usize, pct: f64) -> usize {
    if n == 0 || pct <= 0.0 {
        return 0;
    }
    (((n as f64) * pct / 100.0).ceil() as usize).min(n)
}

/// Picks the sample of one manager's calls of one direction: the `sample_size` calls with the
/// smallest keys. The same seed and calls give the same sample.
pub fn pick(seed: i64, calls: &[i64], pct: f64) -> Vec<i64> {
    let mut keyed: Vec<(u64, i64)> = calls.iter().map(|c| (sample_key(seed, *c), *c)).collect();
    keyed.sort_unstable();
    let mut out: Vec<i64> = keyed.into_iter().take(sample_size(calls.len(), pct)).map(|(_, c)| c).collect();
    out.sort_unstable();
    out
}

/// A default criterion: key, step, title (Russian), points, weight, critical.
type DefaultCriterion = (&'static str, &'static str, &'static str, &'static [i64], i64, bool);

/// The default scorecard's criteria.
const DEFAULT_RU: [DefaultCriterion; 10] = [
    ("greeting", "contact", "Поздоровался, назвал себя и компанию", &[0, 1, 2], 1, false),
    ("name", "contact", "Узнал имя клиента и обращался по имени", &[0, 1], 1, false),
    ("questions", "needs", "Задал открытые вопросы о задаче клиента", &[0, 1, 2], 2, false),
    ("summary", "needs", "Резюмировал потребность своими словами", &[0, 1], 1, false),
    ("benefits", "presentation", "Рассказал о выгодах под потребность, а не о товаре вообще", &[0, 1, 2], 2, false),
    ("price", "presentation", "Назвал верную цену и условия", &[0, 1], 1, true),
    ("objections", "objections", "Выслушал возражение, уточнил и ответил по существу", &[0, 1, 2], 2, false),
    ("politeness", "objections", "Был вежлив, не перебивал и не спорил", &[0, 1], 1, true),
    ("next_step", "next_step", "Договорился о следующем шаге с датой (встреча, счёт, звонок)", &[0, 1, 2], 2, false),
    ("task", "next_step", "Поставил задачу в CRM на этот шаг", &[0, 1], 1, false),
];

/// The default scorecard, in Russian: the steps of a sales call.
pub fn default_scorecard_ru() -> Vec<Criterion> {
    DEFAULT_RU
        .iter()
        .map(|(key, step, title, points, weight, critical)| Criterion {
            key: key.to_string(),
            step: step.to_string(),
            title: title.to_string(),
            points: points.to_vec(),
            weight: *weight,
            critical: *critical,
        })
        .collect()
}

/// [`default_scorecard_ru`] as the JSON a scorecard is put with.
pub fn default_criteria_ru() -> Value {
    criteria_json(&default_scorecard_ru())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_default_card_parses_and_a_critical_zero_zeroes_the_call() {
        let c = parse_criteria(&criteria_json(&default_scorecard_ru())).unwrap();
        assert_eq!(c, default_scorecard_ru(), "what is stored reads back the same");
        let mut given: serde_json::Map<String, Value> = c.iter().map(|c| (c.key.clone(), json!(c.max()))).collect();
        assert_eq!(score(&c, &Value::Object(given.clone())).unwrap().pct, 100.0);
        given.insert("questions".into(), json!(1));
        // One point less on a criterion of weight 2: (23 - 2) / 23 of the weighted maximum.
        let s = score(&c, &Value::Object(given.clone())).unwrap();
        assert_eq!(s.pct, 91.3);
        given.insert("politeness".into(), json!(0));
        let s = score(&c, &Value::Object(given.clone())).unwrap();
        assert_eq!((s.pct, s.failed_critical.clone()), (0.0, vec!["politeness".to_string()]));
        given.insert("price".into(), json!(2));
        assert_eq!(score(&c, &Value::Object(given)).unwrap_err().msg.code(), "review_points_not_option");
    }

    #[test]
    fn bad_cards_are_refused() {
        let zero = json!([{"step": "contact", "title": "A", "weight": 0}, {"step": "needs", "title": "B", "weight": 0}]);
        assert_eq!(parse_criteria(&zero).unwrap_err().msg.code(), "review_weights_zero");
        let step = json!([{"step": "smalltalk", "title": "A"}]);
        assert_eq!(parse_criteria(&step).unwrap_err().field, "criteria.0.step");
        assert_eq!(parse_pct(&json!(120), "inbound_pct").unwrap_err().msg.code(), "review_sample_pct");
        assert_eq!(parse_pct(&json!(-1), "inbound_pct").unwrap_err().msg.code(), "review_sample_pct");
        assert_eq!(parse_pct(&json!(12.5), "x").unwrap(), 12.5);
    }

    #[test]
    fn the_sample_takes_the_share_and_is_reproducible() {
        let calls: Vec<i64> = (1000..1040).collect();
        let a = pick(42, &calls, 10.0);
        assert_eq!(a.len(), 4);
        assert_eq!(a, pick(42, &calls, 10.0));
        assert_ne!(a, pick(43, &calls, 10.0));
        assert_eq!(pick(42, &calls, 5.0).len(), 2);
        assert_eq!(pick(42, &calls[..3], 5.0).len(), 1, "any calls: at least one");
        assert!(pick(42, &calls, 0.0).is_empty());
        assert_eq!(pick(42, &calls, 100.0).len(), 40);
        // A smaller share is a subset of a larger one (the same order).
        assert!(pick(42, &calls, 5.0).iter().all(|c| a.contains(c)));
    }
}
