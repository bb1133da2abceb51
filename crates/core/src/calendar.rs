//! A workspace's working calendar and deadlines counted in working time.
//!
//! The calendar holds working weekdays, the working intervals of a day (a lunch break splits
//! a day in two), holidays and moved working days. It is parsed once at the edge and turned
//! back into its canonical JSON with [`BusinessHours::to_json`]. The deadline functions answer
//! stage SLAs ("a new lead is accepted within 1 working hour") and task due offsets. Instants
//! are UTC milliseconds; every calendar rule is read in the workspace's local time, so nights,
//! weekends and DST changes fall where the people of the workspace see them.
mod walk;

#[cfg(test)]
mod tests;

use crate::error::FieldError;
use crate::msg::{words, Common, Msg, RegulationMsg as R};
use serde_json::{json, Value};
use time::Date;
use walk::{to_utc, Intervals, DAY_MS, HORIZON_DAYS};

const MINUTE_MS: i64 = 60_000;
const MAX_INTERVALS: usize = 12;
const KEYS: [&str; 6] = ["days", "start", "end", "hours", "holidays", "workdays"];
const DATE: &[time::format_description::BorrowedFormatItem<'static>] = time::macros::format_description!("[year]-[month]-[day]");

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessHours {
    /// ISO weekdays, 1 = Monday … 7 = Sunday, ascending, no repeats.
    pub days: Vec<u8>,
    /// The working intervals of every working day, `[start, end)` in minutes after local
    /// midnight: ascending, `start < end <= 1440`, with a break between neighbours.
    pub hours: Vec<(u16, u16)>,
    /// Days off although their weekday works; ascending.
    pub holidays: Vec<Date>,
    /// Days that work although their weekday does not (a moved working Saturday); ascending,
    /// never also a holiday.
    pub workdays: Vec<Date>,
}

fn minutes(s: &str) -> Option<u16> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m).or((h == 24 && m == 0).then_some(1440))
}

fn hm(m: u16) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

fn span((s, e): (u16, u16)) -> String {
    format!("{}–{}", hm(s), hm(e))
}

fn date_text(d: &Date) -> String {
    d.format(DATE).unwrap_or_default()
}

/// The intervals of `"hours"`, sorted; the message names the offending interval.
fn parse_hours(v: &Value) -> Result<Vec<(u16, u16)>, Msg> {
    let list = v.as_array().ok_or(R::HoursShape {})?;
    if list.is_empty() {
        return Err(R::NoHours {}.into());
    }
    if list.len() > MAX_INTERVALS {
        return Err(R::MaxIntervals { n: MAX_INTERVALS as i64 }.into());
    }
    let time = |t: &Value| t.as_str().and_then(minutes).ok_or_else(|| Msg::from(R::NotTimeHm { s: t.to_string() }));
    let mut out = Vec::with_capacity(list.len());
    for pair in list {
        let Some([s, e]) = pair.as_array().map(Vec::as_slice) else { return Err(R::HoursShape {}.into()) };
        let (s, e) = (time(s)?, time(e)?);
        if e <= s {
            return Err(R::Backwards { a: span((s, e)) }.into());
        }
        out.push((s, e));
    }
    out.sort_unstable();
    for w in out.windows(2) {
        let [a, b] = [w[0], w[1]];
        if b.0 < a.1 {
            return Err(R::Overlap { a: span(a), b: span(b) }.into());
        }
        // Two ways of writing one interval would break parse(to_json(x)) == x.
        if b.0 == a.1 {
            return Err(R::Touch { a: span(a), b: span(b), c: span((a.0, b.1)) }.into());
        }
    }
    Ok(out)
}

impl BusinessHours {
    /// Reads `{"days": [1..7], "start": "HH:MM", "end": "HH:MM", "holidays": [..], "workdays": [..]}`,
    /// or the same with `"hours": [["09:00", "13:00"], ["14:00", "18:00"]]` instead of start and end.
    /// `holidays` and `workdays` are optional lists of `YYYY-MM-DD`. Errors name the sub-field
    /// as `business_hours.<key>`.
    pub fn parse(v: &Value) -> Result<Self, FieldError> {
        let err = |sub: &str, msg: Msg| FieldError::new(format!("business_hours.{sub}"), msg);
        let obj = v.as_object().ok_or_else(|| FieldError::new("business_hours", R::CalendarShape {}))?;
        if let Some(k) = obj.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(err(k, Common::UnknownKey { expected: words(KEYS) }.into()));
        }
        let mut days: Vec<u8> = Vec::new();
        for d in obj.get("days").and_then(Value::as_array).ok_or_else(|| err("days", R::Weekdays {}.into()))? {
            match d.as_u64() {
                Some(n @ 1..=7) if !days.contains(&(n as u8)) => days.push(n as u8),
                _ => return Err(err("days", R::Weekdays {}.into())),
            }
        }
        if days.is_empty() {
            return Err(err("days", R::NoDays {}.into()));
        }
        days.sort_unstable();
        let hours = match (obj.get("hours"), obj.contains_key("start") || obj.contains_key("end")) {
            (Some(_), true) => return Err(err("hours", R::HoursOrStartEnd {}.into())),
            (Some(h), false) => parse_hours(h).map_err(|m| err("hours", m))?,
            (None, true) => {
                let time = |k: &str| obj.get(k).and_then(Value::as_str).and_then(minutes).ok_or_else(|| err(k, R::TimeHm {}.into()));
                let (start, end) = (time("start")?, time("end")?);
                if start >= end {
                    return Err(err("end", R::EndAfterStart {}.into()));
                }
                vec![(start, end)]
            }
            (None, false) => return Err(err("start", R::NeedsStartEnd {}.into())),
        };
        let dates = |k: &str| -> Result<Vec<Date>, FieldError> {
            let mut out = Vec::new();
            if let Some(list) = obj.get(k) {
                for d in list.as_array().ok_or_else(|| err(k, R::Dates {}.into()))? {
                    out.push(d.as_str().and_then(|s| Date::parse(s, DATE).ok()).ok_or_else(|| err(k, R::Dates {}.into()))?);
                }
            }
            out.sort_unstable();
            out.dedup();
            Ok(out)
        };
        let (holidays, workdays) = (dates("holidays")?, dates("workdays")?);
        if let Some(d) = workdays.iter().find(|d| holidays.binary_search(d).is_ok()) {
            return Err(err("workdays", R::WorkdayHoliday { d: date_text(d) }.into()));
        }
        Ok(BusinessHours { days, hours, holidays, workdays })
    }

    /// The canonical form: `start`/`end` for a single interval (the shape older clients know),
    /// `hours` for several; `holidays` and `workdays` always present.
    pub fn to_json(&self) -> Value {
        let dates = |l: &[Date]| l.iter().map(date_text).collect::<Vec<_>>();
        let mut v = json!({"days": self.days, "holidays": dates(&self.holidays), "workdays": dates(&self.workdays)});
        match self.hours.as_slice() {
            [(s, e)] => {
                v["start"] = json!(hm(*s));
                v["end"] = json!(hm(*e));
            }
            many => v["hours"] = many.iter().map(|&(s, e)| json!([hm(s), hm(e)])).collect(),
        }
        v
    }

    /// Whether the local calendar day `date` is a working day: a listed workday, or a working
    /// weekday that is not a holiday.
    pub fn is_working_day(&self, date: Date) -> bool {
        self.workdays.binary_search(&date).is_ok()
            || (self.days.contains(&date.weekday().number_from_monday()) && self.holidays.binary_search(&date).is_err())
    }

    /// Whether the instant `ms` falls inside a working interval in zone `tz`. Intervals are
    /// half-open: 18:00 is already after hours for a day that ends at 18:00.
    pub fn is_working_time(&self, tz: &str, ms: i64) -> bool {
        Intervals::new(self, tz, ms).take_while(|&(a, _)| a <= ms).any(|(_, b)| ms < b)
    }

    /// The instant at which `minutes` of working time have passed since `start_ms`. A start
    /// outside working time begins counting at the next working interval; a deadline that
    /// uses up an interval exactly is that interval's end (18:00, not 09:00 the next day).
    /// `minutes <= 0` returns `start_ms`. Working time further than about three years of
    /// calendar days ahead (a calendar without working time, or an absurd duration) is not
    /// searched: the answer then falls back to `start_ms + minutes` of plain time.
    pub fn add_working_minutes(&self, tz: &str, start_ms: i64, minutes: i64) -> i64 {
        if minutes <= 0 {
            return start_ms;
        }
        let fallback = start_ms.saturating_add(minutes.saturating_mul(MINUTE_MS));
        let Some(mut left) = minutes.checked_mul(MINUTE_MS) else { return fallback };
        for (a, b) in Intervals::new(self, tz, start_ms) {
            let a = a.max(start_ms);
            if a >= b {
                continue;
            }
            if left <= b - a {
                return a + left;
            }
            left -= b - a;
        }
        fallback
    }

    /// "Within `days` working days": the same local time of day on the `days`-th working day
    /// after the start. A start outside working time is first moved to the start of the next
    /// working interval (so Saturday 11:00 + 1 day = Tuesday 09:00 for a Monday–Friday
    /// 09:00–18:00 week). Should that time of day not be working time on the target day (a DST
    /// change moved it), the deadline is the end of that day's last interval. `days <= 0`
    /// returns `start_ms`; beyond the search horizon of about three years the answer falls
    /// back to `start_ms + days` of plain 24-hour days.
    pub fn add_working_days(&self, tz: &str, start_ms: i64, days: i64) -> i64 {
        if days <= 0 {
            return start_ms;
        }
        let fallback = start_ms.saturating_add(days.saturating_mul(DAY_MS));
        let Some(from) = Intervals::new(self, tz, start_ms).find(|&(_, b)| b > start_ms).map(|(a, _)| a.max(start_ms)) else {
            return fallback;
        };
        let local = crate::zone::local(tz, from);
        let time_of_day = (local.time() - time::Time::MIDNIGHT).whole_milliseconds() as i64;
        let (mut date, mut left) = (local.date(), days);
        for _ in 0..HORIZON_DAYS {
            let Some(next) = date.next_day() else { return fallback };
            date = next;
            if self.is_working_day(date) {
                left -= 1;
                if left == 0 {
                    let at = to_utc(tz, date, time_of_day);
                    if self.is_working_time(tz, at) {
                        return at;
                    }
                    return self.hours.last().map_or(at, |&(_, e)| to_utc(tz, date, i64::from(e) * MINUTE_MS));
                }
            }
        }
        fallback
    }

    /// Working minutes (whole, rounded down) between two instants; 0 unless `to_ms > from_ms`.
    /// The inverse of [`Self::add_working_minutes`]: `working_minutes_between(s,
    /// add_working_minutes(s, m)) == m`. Counts at most about three years of calendar days
    /// after `from_ms`.
    pub fn working_minutes_between(&self, tz: &str, from_ms: i64, to_ms: i64) -> i64 {
        if to_ms <= from_ms {
            return 0;
        }
        let mut total = 0;
        for (a, b) in Intervals::new(self, tz, from_ms) {
            if a >= to_ms {
                break;
            }
            total += (b.min(to_ms) - a.max(from_ms)).max(0);
        }
        total / MINUTE_MS
    }
}
