//! A workspace's working calendar: working weekdays, opening hours and holidays.
//! Parsed once at the edge; deadlines in working hours are computed from it.
use crate::error::FieldError;
use crate::types::parse_date;
use serde_json::{json, Value};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessHours {
    /// ISO weekdays, 1 = Monday … 7 = Sunday, ascending, no repeats.
    pub days: Vec<u8>,
    /// Minutes after midnight, `start < end`.
    pub start: u16,
    pub end: u16,
    /// `YYYY-MM-DD`, ascending.
    pub holidays: Vec<String>,
}

fn minutes(s: &str) -> Option<u16> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m).or((h == 24 && m == 0).then_some(1440))
}

impl BusinessHours {
    pub fn parse(v: &Value) -> Result<Self, FieldError> {
        let err = |sub: &str, msg: &str| FieldError::new(format!("business_hours.{sub}"), msg);
        let obj = v.as_object().ok_or_else(|| FieldError::new("business_hours", "must be an object with days, start, end, holidays"))?;
        if let Some(k) = obj.keys().find(|k| !["days", "start", "end", "holidays"].contains(&k.as_str())) {
            return Err(err(k, "unknown key; expected days, start, end, holidays"));
        }
        let mut days: Vec<u8> = Vec::new();
        for d in obj.get("days").and_then(Value::as_array).ok_or_else(|| err("days", "must be a list of weekdays 1 (Monday) to 7"))? {
            match d.as_u64() {
                Some(n @ 1..=7) if !days.contains(&(n as u8)) => days.push(n as u8),
                _ => return Err(err("days", "must list distinct weekdays 1 (Monday) to 7")),
            }
        }
        if days.is_empty() {
            return Err(err("days", "needs at least one working day"));
        }
        days.sort_unstable();
        let time = |k: &str| obj.get(k).and_then(Value::as_str).and_then(minutes).ok_or_else(|| err(k, "must be a time HH:MM"));
        let (start, end) = (time("start")?, time("end")?);
        if start >= end {
            return Err(err("end", "must be later than start"));
        }
        let mut holidays = Vec::new();
        if let Some(h) = obj.get("holidays") {
            for d in h.as_array().ok_or_else(|| err("holidays", "must be a list of dates"))? {
                holidays.push(
                    d.as_str()
                        .ok_or("")
                        .and_then(|s| parse_date(s).map_err(|_| ""))
                        .map_err(|_| err("holidays", "must be dates YYYY-MM-DD"))?,
                );
            }
        }
        holidays.sort();
        holidays.dedup();
        Ok(BusinessHours { days, start, end, holidays })
    }

    pub fn to_json(&self) -> Value {
        let hm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
        json!({"days": self.days, "start": hm(self.start), "end": hm(self.end), "holidays": self.holidays})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_normalises() {
        let h =
            BusinessHours::parse(&json!({"days": [5, 1, 2], "start": "09:30", "end": "18:00", "holidays": ["2026-01-07", "2026-01-01"]}))
                .unwrap();
        assert_eq!(h.days, vec![1, 2, 5]);
        assert_eq!((h.start, h.end), (570, 1080));
        assert_eq!(h.to_json()["holidays"], json!(["2026-01-01", "2026-01-07"]));
    }

    #[test]
    fn rejects_nonsense_naming_the_part() {
        let field = |v: Value| BusinessHours::parse(&v).unwrap_err().field;
        assert_eq!(field(json!({"days": [0], "start": "09:00", "end": "18:00"})), "business_hours.days");
        assert_eq!(field(json!({"days": [1], "start": "9", "end": "18:00"})), "business_hours.start");
        assert_eq!(field(json!({"days": [1], "start": "19:00", "end": "18:00"})), "business_hours.end");
        assert_eq!(field(json!({"days": [1], "start": "09:00", "end": "18:00", "holidays": ["31.12.2026"]})), "business_hours.holidays");
        assert_eq!(field(json!({"days": [1], "start": "09:00", "end": "18:00", "lunch": 1})), "business_hours.lunch");
        assert_eq!(field(json!("always")), "business_hours");
    }
}
