//! Assistants: robots that scan the whole base on a schedule, act, and explain themselves.
//! This module owns their names, their settings (with defaults and checks), the decisions that
//! do not need the database (a client's usual purchase interval, who gets a released client),
//! and the explanations they write, in the workspace's language.
use crate::error::FieldError;
use crate::msg::{words, AssistantMsg, Common, Lang, Msg};
use serde_json::{json, Map, Value as Json};

/// Every assistant, in the order they are shown.
pub const NAMES: &[&str] = &["forgotten", "release", "churned", "unpaid", "debtors", "escalation"];

/// How a released client finds a new owner.
pub const RELEASE_MODES: &[&str] = &["round_robin", "least_load", "pool"];
/// How a client is reminded.
pub const CHANNELS: &[&str] = &["email", "sms", "both", "none"];

/// The defaults of an assistant's settings; `None` for an unknown assistant.
pub fn defaults(name: &str) -> Option<Json> {
    Some(match name {
        // No activity of any kind for `days` → label and a task; never while a future task exists
        // when `skip_with_future_task` is on.
        "forgotten" => json!({"days": 60, "skip_with_future_task": true, "task_due_days": 1}),
        // Forgotten for `days` more with nothing done → the client moves to another user.
        "release" => json!({"days": 14, "mode": "round_robin", "pool": [], "skip_with_future_task": true}),
        // Bought before; no purchase for `factor` × their usual interval, or `days` when one purchase gives no interval.
        "churned" => json!({"factor": 2.0, "days": 180, "task_due_days": 1}),
        // An invoice not paid `days` after issue → a task for the owner and a reminder to the client.
        "unpaid" => json!({"days": 7, "channel": "email", "task_due_days": 1}),
        // Overdue receivables → a reminder to the client, a task, and the head after `escalate_after_days`.
        "debtors" => json!({"grace_days": 0, "channel": "both", "escalate_after_days": 7, "task_due_days": 1}),
        // An assistant's task overdue by `days` → the head is told.
        "escalation" => json!({"days": 2}),
        _ => return None,
    })
}

/// Checks settings for an assistant, filling what is missing from the defaults. Unknown keys are
/// refused so a typo does not silently keep the default.
pub fn check_settings(name: &str, given: &Json) -> Result<Json, FieldError> {
    let defaults = defaults(name).ok_or_else(|| FieldError::new("name", unknown(name)))?;
    let Json::Object(given) = given else {
        return Err(FieldError::new("settings", Common::NotObject {}));
    };
    let mut out = defaults.as_object().cloned().unwrap_or_default();
    for (k, v) in given {
        let Some(default) = defaults.get(k) else {
            return Err(FieldError::new(format!("settings.{k}"), AssistantMsg::UnknownSetting { known: words(out.keys()) }));
        };
        let field = format!("settings.{k}");
        let ok = match (k.as_str(), default) {
            ("mode", _) => v.as_str().is_some_and(|m| RELEASE_MODES.contains(&m)),
            ("channel", _) => v.as_str().is_some_and(|c| CHANNELS.contains(&c)),
            ("pool", _) => v.as_array().is_some_and(|a| a.iter().all(pool_entry_ok)),
            ("factor", _) => v.as_f64().is_some_and(|f| f > 0.0 && f <= 100.0),
            ("grace_days", _) => v.as_i64().is_some_and(|d| (0..=MAX_DAYS).contains(&d)),
            (_, Json::Bool(_)) => v.is_boolean(),
            (_, Json::Number(_)) => v.as_i64().is_some_and(|d| (1..=MAX_DAYS).contains(&d)),
            _ => false,
        };
        if !ok {
            let hint: Msg = match (k.as_str(), default) {
                ("mode", _) => Common::OneOf { list: words(RELEASE_MODES) }.into(),
                ("channel", _) => Common::OneOf { list: words(CHANNELS) }.into(),
                ("pool", _) => AssistantMsg::PoolIds {}.into(),
                ("factor", _) => AssistantMsg::Factor {}.into(),
                ("grace_days", _) => AssistantMsg::Days { min: 0, max: MAX_DAYS }.into(),
                (_, Json::Bool(_)) => Common::NotBool {}.into(),
                _ => AssistantMsg::Days { min: 1, max: MAX_DAYS }.into(),
            };
            return Err(FieldError::new(field, hint));
        }
        out.insert(k.clone(), v.clone());
    }
    if name == "release"
        && out.get("mode").and_then(Json::as_str) == Some("pool")
        && out.get("pool").and_then(Json::as_array).is_none_or(Vec::is_empty)
    {
        return Err(FieldError::new("settings.pool", AssistantMsg::PoolEmpty {}));
    }
    Ok(Json::Object(out))
}

/// A pool names a user by id (the settings page) or by e-mail (the regulation file, where ids
/// differ between workspaces).
fn pool_entry_ok(v: &Json) -> bool {
    v.as_i64().is_some_and(|i| i > 0) || v.as_str().is_some_and(|e| e.contains('@') && !e.trim().is_empty())
}

/// The refusal of a name that is no assistant's.
pub fn unknown(name: &str) -> AssistantMsg {
    AssistantMsg::UnknownAssistant { name: name.to_string(), known: words(NAMES) }
}

/// The longest period a day-count setting takes.
const MAX_DAYS: i64 = 3650;

pub fn int(settings: &Json, key: &str) -> i64 {
    settings.get(key).and_then(Json::as_i64).unwrap_or(0)
}

pub fn flag(settings: &Json, key: &str) -> bool {
    settings.get(key).and_then(Json::as_bool).unwrap_or(false)
}

pub const DAY_MS: i64 = 86_400_000;

/// How long a client may go without buying before they count as churned: `factor` times their
/// usual interval (the average gap between their purchases), or `days` when there is only one
/// purchase and so no interval.
pub fn churn_threshold_ms(purchases: i64, first_ms: i64, last_ms: i64, factor: f64, days: i64) -> i64 {
    if purchases >= 2 && last_ms > first_ms {
        let usual = (last_ms - first_ms) / (purchases - 1);
        // A client who buys daily is not churned after two quiet days: at least a week.
        ((usual as f64 * factor) as i64).max(7 * DAY_MS)
    } else {
        days * DAY_MS
    }
}

/// Who gets a released client: by `mode` among `candidates` (active users, sorted, the current
/// owner excluded by the caller); `loads` are open deals per candidate for `least_load`;
/// `last` is where round-robin stopped.
pub fn release_target(mode: &str, candidates: &[i64], loads: &Map<String, Json>, last: Option<i64>) -> Option<i64> {
    match mode {
        "least_load" => candidates.iter().copied().min_by_key(|c| (loads.get(&c.to_string()).and_then(Json::as_i64).unwrap_or(0), *c)),
        _ => last.and_then(|l| candidates.iter().copied().find(|c| *c > l)).or_else(|| candidates.first().copied()),
    }
}

/// Explanations in the workspace's language (or, for what a reader sees, the reader's).
pub struct Texts {
    lang: Lang,
}

impl Texts {
    /// Texts in a workspace's (or a user's) locale.
    pub fn new(locale: &str) -> Texts {
        Texts { lang: Lang::from_locale(locale) }
    }

    pub fn in_lang(lang: Lang) -> Texts {
        Texts { lang }
    }

    fn say(&self, m: AssistantMsg) -> String {
        Msg::from(m).text(self.lang)
    }

    pub fn title(&self, name: &str) -> String {
        self.say(match name {
            "forgotten" => AssistantMsg::TitleForgotten {},
            "release" => AssistantMsg::TitleRelease {},
            "churned" => AssistantMsg::TitleChurned {},
            "unpaid" => AssistantMsg::TitleUnpaid {},
            "debtors" => AssistantMsg::TitleDebtors {},
            _ => AssistantMsg::TitleEscalation {},
        })
    }

    pub fn forgotten_reason(&self, days: i64, last: Option<&str>) -> String {
        self.say(match last {
            Some(l) => AssistantMsg::ForgottenReason { days, last: l.to_string() },
            None => AssistantMsg::ForgottenReasonNever { days },
        })
    }

    pub fn revived(&self) -> String {
        self.say(AssistantMsg::Revived {})
    }

    pub fn forgotten_task(&self, client: &str) -> String {
        self.say(AssistantMsg::ForgottenTask { client: client.to_string() })
    }

    pub fn release_reason(&self, days: i64, from: &str, to: &str) -> String {
        self.say(AssistantMsg::ReleaseReason { days, from: from.to_string(), to: to.to_string() })
    }

    pub fn release_notice(&self, client: &str) -> String {
        self.say(AssistantMsg::ReleaseNotice { client: client.to_string() })
    }

    pub fn churned_reason(&self, days_quiet: i64, threshold_days: i64, purchases: i64) -> String {
        self.say(if purchases >= 2 {
            AssistantMsg::ChurnedReason { quiet: days_quiet, limit: threshold_days, purchases }
        } else {
            AssistantMsg::ChurnedReasonOnce { quiet: days_quiet, limit: threshold_days }
        })
    }

    pub fn churned_task(&self, client: &str) -> String {
        self.say(AssistantMsg::ChurnedTask { client: client.to_string() })
    }

    pub fn unpaid_reason(&self, number: &str, days: i64) -> String {
        self.say(AssistantMsg::UnpaidReason { number: number.to_string(), days })
    }

    pub fn unpaid_task(&self, number: &str, client: &str) -> String {
        self.say(AssistantMsg::UnpaidTask { number: number.to_string(), client: client.to_string() })
    }

    pub fn debt_reason(&self, number: &str, days: i64) -> String {
        self.say(AssistantMsg::DebtReason { number: number.to_string(), days })
    }

    pub fn debt_task(&self, number: &str, client: &str) -> String {
        self.say(AssistantMsg::DebtTask { number: number.to_string(), client: client.to_string() })
    }

    pub fn debt_escalation(&self, number: &str, client: &str, days: i64) -> String {
        self.say(AssistantMsg::DebtEscalation { number: number.to_string(), client: client.to_string(), days })
    }

    pub fn escalation(&self, task: &str, days: i64) -> String {
        self.say(AssistantMsg::Escalation { task: task.to_string(), days })
    }

    /// `reason` with what a reminder could not be sent for (`missing`, already in this language).
    pub fn with_missing(&self, reason: String, missing: &[AssistantMsg]) -> String {
        if missing.is_empty() {
            return reason;
        }
        let missing = missing.iter().map(|m| self.say(m.clone())).collect();
        self.say(AssistantMsg::WithMissing { reason, missing })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_fill_defaults_and_name_what_is_wrong() {
        let s = check_settings("forgotten", &json!({"days": 90})).unwrap();
        assert_eq!((int(&s, "days"), flag(&s, "skip_with_future_task")), (90, true));
        assert_eq!(check_settings("forgotten", &json!({"days": 0})).unwrap_err().field, "settings.days");
        assert_eq!(check_settings("forgotten", &json!({"days": -5})).unwrap_err().field, "settings.days");
        assert_eq!(check_settings("forgotten", &json!({"dayz": 5})).unwrap_err().field, "settings.dayz");
        assert_eq!(check_settings("release", &json!({"mode": "lottery"})).unwrap_err().field, "settings.mode");
        assert_eq!(check_settings("release", &json!({"mode": "pool"})).unwrap_err().field, "settings.pool");
        assert!(check_settings("release", &json!({"mode": "pool", "pool": [3]})).is_ok());
        assert!(check_settings("release", &json!({"mode": "pool", "pool": ["olga@firm.ru", 3]})).is_ok());
        assert_eq!(check_settings("release", &json!({"mode": "pool", "pool": ["olga"]})).unwrap_err().field, "settings.pool");
        assert_eq!(check_settings("robot", &json!({})).unwrap_err().field, "name");
        assert!(check_settings("debtors", &json!({"grace_days": 0})).is_ok());
        assert_eq!(
            check_settings("forgotten", &json!({"days": 0})).unwrap_err().msg,
            Box::new(AssistantMsg::Days { min: 1, max: 3650 }.into())
        );
        assert_eq!(check_settings("release", &json!({"mode": "pool"})).unwrap_err().msg, Box::new(AssistantMsg::PoolEmpty {}.into()));
    }

    #[test]
    fn texts_read_in_the_workspace_language() {
        assert_eq!(Texts::new("ru").forgotten_reason(60, None), "нет активности 60 дн.: активности не было ни разу");
        assert_eq!(Texts::new("en").forgotten_reason(60, Some("2026-11-01")), "no activity for 60 days: the last was on 2026-11-01");
        assert_eq!((Texts::new("ru").title("debtors"), Texts::new("en-GB").title("debtors")), ("Должники".into(), "Debtors".into()));
        let missing = [AssistantMsg::NoEmail {}, AssistantMsg::NoSmsTemplate {}];
        assert_eq!(Texts::new("ru").with_missing("счёт 1".into(), &missing), "счёт 1 (нет e-mail, нет шаблона SMS)");
        assert_eq!(Texts::new("en").with_missing("x".into(), &[]), "x");
    }

    #[test]
    fn the_usual_interval_sets_the_churn_limit() {
        // Four purchases 30 days apart: churned after 60 quiet days with a factor of 2.
        assert_eq!(churn_threshold_ms(4, 0, 90 * DAY_MS, 2.0, 180), 60 * DAY_MS);
        assert_eq!(churn_threshold_ms(1, 5, 5, 2.0, 180), 180 * DAY_MS);
        assert_eq!(churn_threshold_ms(3, 0, 2 * DAY_MS, 2.0, 180), 7 * DAY_MS);
    }

    #[test]
    fn release_targets() {
        let loads: Map<String, Json> =
            [("3".to_string(), json!(5)), ("4".to_string(), json!(1)), ("5".to_string(), json!(1))].into_iter().collect();
        assert_eq!(release_target("least_load", &[3, 4, 5], &loads, None), Some(4));
        assert_eq!(release_target("round_robin", &[3, 4, 5], &loads, Some(4)), Some(5));
        assert_eq!(release_target("round_robin", &[3, 4, 5], &loads, Some(5)), Some(3));
        assert_eq!(release_target("pool", &[], &loads, None), None);
    }
}
