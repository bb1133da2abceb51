//! Assistants: robots that scan the whole base on a schedule, act, and explain themselves.
//! This module owns their names, their settings (with defaults and checks), the decisions that
//! do not need the database (a client's usual purchase interval, who gets a released client),
//! and the explanations they write, in the workspace's language.
use crate::error::FieldError;
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
    let defaults =
        defaults(name).ok_or_else(|| FieldError::new("name", format!("unknown assistant '{name}'; assistants: {}", NAMES.join(", "))))?;
    let Json::Object(given) = given else {
        return Err(FieldError::new("settings", "must be an object"));
    };
    let Json::Object(mut out) = defaults.clone() else {
        return Err(FieldError::new("settings", "no defaults"));
    };
    for (k, v) in given {
        let Some(default) = defaults.get(k) else {
            let known: Vec<&String> = out.keys().collect();
            return Err(FieldError::new(format!("settings.{k}"), format!("not a setting of this assistant; settings: {known:?}")));
        };
        let field = format!("settings.{k}");
        let ok = match (k.as_str(), default) {
            ("mode", _) => v.as_str().is_some_and(|m| RELEASE_MODES.contains(&m)),
            ("channel", _) => v.as_str().is_some_and(|c| CHANNELS.contains(&c)),
            ("pool", _) => v.as_array().is_some_and(|a| a.iter().all(|i| i.as_i64().is_some_and(|i| i > 0))),
            ("factor", _) => v.as_f64().is_some_and(|f| f > 0.0 && f <= 100.0),
            ("grace_days", _) => v.as_i64().is_some_and(|d| (0..=3650).contains(&d)),
            (_, Json::Bool(_)) => v.is_boolean(),
            (_, Json::Number(_)) => v.as_i64().is_some_and(|d| (1..=3650).contains(&d)),
            _ => false,
        };
        if !ok {
            let hint = match (k.as_str(), default) {
                ("mode", _) => format!("must be one of {}", RELEASE_MODES.join(", ")),
                ("channel", _) => format!("must be one of {}", CHANNELS.join(", ")),
                ("pool", _) => "must be a list of user ids".to_string(),
                ("factor", _) => "must be a number above 0".to_string(),
                ("grace_days", _) => "must be a whole number of days from 0".to_string(),
                (_, Json::Bool(_)) => "must be true or false".to_string(),
                _ => "must be a whole number of days from 1 to 3650".to_string(),
            };
            return Err(FieldError::new(field, hint));
        }
        out.insert(k.clone(), v.clone());
    }
    if name == "release"
        && out.get("mode").and_then(Json::as_str) == Some("pool")
        && out.get("pool").and_then(Json::as_array).is_none_or(Vec::is_empty)
    {
        return Err(FieldError::new("settings.pool", "the pool mode needs at least one user in the pool"));
    }
    Ok(Json::Object(out))
}

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

/// Explanations in the workspace's language.
pub struct Texts {
    ru: bool,
}

impl Texts {
    pub fn new(locale: &str) -> Texts {
        Texts { ru: !locale.starts_with("en") }
    }

    pub fn title(&self, name: &str) -> &'static str {
        match (name, self.ru) {
            ("forgotten", true) => "Забытые клиенты",
            ("forgotten", false) => "Forgotten clients",
            ("release", true) => "Освобождение клиентов",
            ("release", false) => "Client release",
            ("churned", true) => "Ушедшие клиенты",
            ("churned", false) => "Churned clients",
            ("unpaid", true) => "Неоплаченные заказы",
            ("unpaid", false) => "Unpaid orders",
            ("debtors", true) => "Должники",
            ("debtors", false) => "Debtors",
            ("escalation", true) => "Эскалация",
            _ => "Escalation",
        }
    }

    pub fn forgotten_reason(&self, days: i64, last: Option<&str>) -> String {
        match (self.ru, last) {
            (true, Some(l)) => format!("нет активности {days} дн.: последняя — {l}"),
            (true, None) => format!("нет активности {days} дн.: активности не было ни разу"),
            (false, Some(l)) => format!("no activity for {days} days: the last was on {l}"),
            (false, None) => format!("no activity for {days} days: there has never been any"),
        }
    }

    pub fn revived(&self) -> &'static str {
        if self.ru {
            "снова есть активность: метка «забыт» снята"
        } else {
            "activity again: the forgotten label is cleared"
        }
    }

    pub fn forgotten_task(&self, client: &str) -> String {
        if self.ru {
            format!("Забытый клиент «{client}»: свяжитесь или оставьте комментарий")
        } else {
            format!("Forgotten client “{client}”: get in touch or leave a note")
        }
    }

    pub fn release_reason(&self, days: i64, from: &str, to: &str) -> String {
        if self.ru {
            format!("забыт и без действий ещё {days} дн.: клиент передан от {from} к {to} вместе с контактами и открытыми сделками")
        } else {
            format!("forgotten and untouched for {days} more days: moved from {from} to {to} with its people and open deals")
        }
    }

    pub fn release_notice(&self, client: &str) -> String {
        if self.ru {
            format!("Клиент «{client}» передан другому менеджеру")
        } else {
            format!("Client “{client}” moved to another user")
        }
    }

    pub fn churned_reason(&self, days_quiet: i64, threshold_days: i64, purchases: i64) -> String {
        match (self.ru, purchases >= 2) {
            (true, true) => {
                format!("не покупает {days_quiet} дн. при обычном интервале, дающем порог {threshold_days} дн. ({purchases} покупок)")
            }
            (true, false) => format!("одна покупка и ничего {days_quiet} дн. (порог {threshold_days} дн.)"),
            (false, true) => format!(
                "no purchase for {days_quiet} days; their usual interval gives a limit of {threshold_days} days ({purchases} purchases)"
            ),
            (false, false) => format!("one purchase and nothing for {days_quiet} days (limit {threshold_days} days)"),
        }
    }

    pub fn churned_task(&self, client: &str) -> String {
        if self.ru {
            format!("Ушедший клиент «{client}»: узнайте причину и предложите вернуться")
        } else {
            format!("Churned client “{client}”: find out why and offer to come back")
        }
    }

    pub fn unpaid_reason(&self, number: &str, days: i64) -> String {
        if self.ru {
            format!("счёт {number} не оплачен {days} дн. после выставления")
        } else {
            format!("invoice {number} unpaid {days} days after issue")
        }
    }

    pub fn unpaid_task(&self, number: &str, client: &str) -> String {
        if self.ru {
            format!("Счёт {number} («{client}») не оплачен: уточните сроки оплаты")
        } else {
            format!("Invoice {number} (“{client}”) is unpaid: ask when it will be paid")
        }
    }

    pub fn debt_reason(&self, number: &str, days: i64) -> String {
        if self.ru {
            format!("просрочена оплата счёта {number}: {days} дн.")
        } else {
            format!("invoice {number} is {days} days overdue")
        }
    }

    pub fn debt_task(&self, number: &str, client: &str) -> String {
        if self.ru {
            format!("Дебиторская задолженность: счёт {number} («{client}»)")
        } else {
            format!("Overdue receivable: invoice {number} (“{client}”)")
        }
    }

    pub fn debt_escalation(&self, number: &str, client: &str, days: i64) -> String {
        if self.ru {
            format!("Счёт {number} («{client}») просрочен на {days} дн., напоминания не помогли")
        } else {
            format!("Invoice {number} (“{client}”) is {days} days overdue; reminders did not help")
        }
    }

    pub fn escalation(&self, task: &str, days: i64) -> String {
        if self.ru {
            format!("Задача помощника просрочена на {days} дн.: «{task}»")
        } else {
            format!("An assistant's task is {days} days overdue: “{task}”")
        }
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
        assert_eq!(check_settings("robot", &json!({})).unwrap_err().field, "name");
        assert!(check_settings("debtors", &json!({"grace_days": 0})).is_ok());
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
