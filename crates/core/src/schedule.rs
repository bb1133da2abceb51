//! Work schedules: who is on shift at an instant.
//!
//! A user's schedule is a weekly pattern of shifts in the workspace's local time (several a day
//! allowed, never overlapping), plus dated exceptions — vacation, sick leave, a day off, an extra
//! shift — and the workspace's holidays from its business calendar ([`BusinessHours`]). A user
//! without a pattern works the workspace's business hours. Everything here is a pure function of
//! (schedule, exceptions, holidays, instant); the store keeps the data and the clock gives `now`.
use crate::calendar::BusinessHours;
use crate::error::FieldError;
use crate::msg::{Common, TeamMsg as T};
use crate::regulation::WorkingTime;
use crate::zone;
use serde_json::{json, Value};
use time::{Date, Duration};

/// At most this many shifts in a week (three a day).
pub const MAX_SHIFTS: usize = 21;
/// An exception lasts at most this many days.
pub const MAX_EXCEPTION_DAYS: i64 = 366;
/// How far ahead [`next_on_shift`] looks.
const HORIZON_DAYS: i64 = 62;
const DATE: &[time::format_description::BorrowedFormatItem<'static>] = time::macros::format_description!("[year]-[month]-[day]");

/// One shift of the weekly pattern: ISO weekday (1 = Monday) and `[start, end)` in minutes after
/// local midnight. A shift never crosses midnight; a night shift is two shifts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Shift {
    pub day: u8,
    pub start: u16,
    pub end: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExceptionKind {
    Vacation,
    SickLeave,
    DayOff,
    ExtraShift,
}

impl ExceptionKind {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "vacation" => Self::Vacation,
            "sick_leave" => Self::SickLeave,
            "day_off" => Self::DayOff,
            "extra_shift" => Self::ExtraShift,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Vacation => "vacation",
            Self::SickLeave => "sick_leave",
            Self::DayOff => "day_off",
            Self::ExtraShift => "extra_shift",
        }
    }

    /// Whether the user is away for the whole of the exception's days.
    pub fn is_absence(self) -> bool {
        !matches!(self, Self::ExtraShift)
    }
}

/// A dated exception to the weekly pattern, `from..=to` in local days; an extra shift has hours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception {
    pub kind: ExceptionKind,
    pub from: Date,
    pub to: Date,
    pub hours: Option<(u16, u16)>,
}

impl Exception {
    pub fn covers(&self, d: Date) -> bool {
        self.from <= d && d <= self.to
    }
}

/// Minutes after midnight of `HH:MM` (24:00 is the end of the day).
pub fn minutes(s: &str) -> Option<u16> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m).or((h == 24 && m == 0).then_some(1440))
}

pub fn hm(m: u16) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

fn span(s: u16, e: u16) -> String {
    format!("{}–{}", hm(s), hm(e))
}

pub fn date_text(d: Date) -> String {
    d.format(DATE).unwrap_or_default()
}

pub fn parse_date(s: &str) -> Option<Date> {
    Date::parse(s, DATE).ok()
}

fn time_of(v: Option<&Value>, field: &str) -> Result<u16, FieldError> {
    let v = v.ok_or_else(|| FieldError::new(field, Common::Required {}))?;
    v.as_str()
        .and_then(minutes)
        .ok_or_else(|| FieldError::new(field, T::NotTime { s: v.as_str().map_or_else(|| v.to_string(), str::to_string) }))
}

/// The weekly pattern from `[{day, start, end}, …]`, sorted; overlapping shifts of one day are
/// refused with the day and both shifts named.
pub fn parse_shifts(v: &Value) -> Result<Vec<Shift>, FieldError> {
    let list = v.as_array().ok_or_else(|| FieldError::new("shifts", T::ShiftShape {}))?;
    if list.len() > MAX_SHIFTS {
        return Err(FieldError::new("shifts", T::TooManyShifts { n: MAX_SHIFTS as i64 }));
    }
    let mut out = Vec::with_capacity(list.len());
    for (i, s) in list.iter().enumerate() {
        let f = |k: &str| format!("shifts.{i}.{k}");
        let o = s.as_object().ok_or_else(|| FieldError::new(format!("shifts.{i}"), T::ShiftShape {}))?;
        let day = o
            .get("day")
            .and_then(Value::as_u64)
            .filter(|d| (1..=7).contains(d))
            .ok_or_else(|| FieldError::new(f("day"), T::ShiftDay {}))?;
        let (start, end) = (time_of(o.get("start"), &f("start"))?, time_of(o.get("end"), &f("end"))?);
        if end <= start {
            return Err(FieldError::new(f("end"), T::ShiftBackwards { a: span(start, end) }));
        }
        out.push(Shift { day: day as u8, start, end });
    }
    out.sort_unstable();
    for w in out.windows(2) {
        if w[0].day == w[1].day && w[1].start < w[0].end {
            return Err(FieldError::new(
                "shifts",
                T::ShiftOverlap { day: i64::from(w[0].day), a: span(w[0].start, w[0].end), b: span(w[1].start, w[1].end) },
            ));
        }
    }
    Ok(out)
}

/// A shift on the wire and in storage: `{day, start: "HH:MM", end: "HH:MM"}`.
impl serde::Serialize for Shift {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        json!({"day": self.day, "start": hm(self.start), "end": hm(self.end)}).serialize(s)
    }
}

/// An exception from `{kind, from, to, start?, end?}`; `to` defaults to `from`.
pub fn parse_exception(v: &Value) -> Result<Exception, FieldError> {
    let o = v.as_object().ok_or_else(|| FieldError::new("body", Common::BodyNotObject {}))?;
    let kind = o.get("kind").ok_or_else(|| FieldError::new("kind", Common::Required {}))?;
    let kind = kind.as_str().and_then(ExceptionKind::parse).ok_or_else(|| FieldError::new("kind", T::ExceptionKind {}))?;
    let day = |k: &str| -> Result<Option<Date>, FieldError> {
        match o.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => parse_date(s).map(Some).ok_or_else(|| FieldError::new(k, Common::NotDate { s: s.clone() })),
            Some(other) => Err(FieldError::new(k, Common::NotDate { s: other.to_string() })),
        }
    };
    let from = day("from")?.ok_or_else(|| FieldError::new("from", Common::Required {}))?;
    let to = day("to")?.unwrap_or(from);
    if to < from {
        return Err(FieldError::new("to", T::ExceptionDates {}));
    }
    if (to - from).whole_days() >= MAX_EXCEPTION_DAYS {
        return Err(FieldError::new("to", T::ExceptionTooLong { days: MAX_EXCEPTION_DAYS }));
    }
    let hours = if kind == ExceptionKind::ExtraShift {
        let (Some(_), Some(_)) = (o.get("start"), o.get("end")) else { return Err(FieldError::new("start", T::ExtraShiftHours {})) };
        let (s, e) = (time_of(o.get("start"), "start")?, time_of(o.get("end"), "end")?);
        if e <= s {
            return Err(FieldError::new("end", T::ShiftBackwards { a: span(s, e) }));
        }
        Some((s, e))
    } else {
        None
    };
    Ok(Exception { kind, from, to, hours })
}

/// A user's whole schedule as routing reads it. `shifts: None` is "no pattern set": the
/// workspace's business hours apply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schedule {
    pub shifts: Option<Vec<Shift>>,
    pub exceptions: Vec<Exception>,
}

/// The working intervals of local day `d` (minutes after midnight, sorted); none on a day of absence.
pub fn day_hours(s: &Schedule, cal: &BusinessHours, d: Date) -> Vec<(u16, u16)> {
    if s.exceptions.iter().any(|e| e.kind.is_absence() && e.covers(d)) {
        return Vec::new();
    }
    let mut out: Vec<(u16, u16)> = match &s.shifts {
        // The workspace's own calendar already knows its holidays and moved working days.
        None => {
            if cal.is_working_day(d) {
                cal.hours.clone()
            } else {
                Vec::new()
            }
        }
        Some(_) if cal.holidays.binary_search(&d).is_ok() => Vec::new(),
        Some(shifts) => {
            let wd = d.weekday().number_from_monday();
            shifts.iter().filter(|x| x.day == wd).map(|x| (x.start, x.end)).collect()
        }
    };
    out.extend(s.exceptions.iter().filter(|e| e.covers(d)).filter_map(|e| e.hours));
    out.sort_unstable();
    out
}

fn local_parts(tz: &str, ms: i64) -> (Date, u16) {
    let l = zone::local(tz, ms);
    (l.date(), u16::from(l.hour()) * 60 + u16::from(l.minute()))
}

/// The UTC instant of local `date` at `minute` after midnight in `tz` (a wall time skipped by a
/// DST change lands just after the change).
pub fn to_utc(tz: &str, date: Date, minute: u16) -> i64 {
    let naive = date.midnight().assume_utc().unix_timestamp() * 1000 + i64::from(minute) * 60_000;
    let first = naive - i64::from(zone::offset_at(tz, naive).whole_seconds()) * 1000;
    naive - i64::from(zone::offset_at(tz, first).whole_seconds()) * 1000
}

/// Whether the user with `schedule` is on shift at the instant `at` (UTC ms) in zone `tz`, with
/// the workspace's calendar `cal` for holidays (and for the hours of a user without a pattern).
pub fn on_shift(schedule: &Schedule, cal: &BusinessHours, tz: &str, at: i64) -> bool {
    let (d, m) = local_parts(tz, at);
    day_hours(schedule, cal, d).iter().any(|&(s, e)| s <= m && m < e)
}

/// The first instant at or after `at` when the user is on shift, within about two months.
pub fn next_on_shift(schedule: &Schedule, cal: &BusinessHours, tz: &str, at: i64) -> Option<i64> {
    if on_shift(schedule, cal, tz, at) {
        return Some(at);
    }
    let (today, m) = local_parts(tz, at);
    let mut d = today;
    for _ in 0..HORIZON_DAYS {
        for (s, _) in day_hours(schedule, cal, d) {
            if d > today || s > m {
                return Some(to_utc(tz, d, s).max(at));
            }
        }
        d = d.checked_add(Duration::days(1))?;
    }
    None
}

/// How far ahead [`add_shift_time`] looks: an SLA of many working days over a long vacation.
const SLA_HORIZON_DAYS: i64 = 400;

/// The instant `due` of the user's shift time after `from` (an SLA clock running on the owner's
/// shift instead of the workspace's business hours). Minutes and hours count only minutes on
/// shift; days count the days the user works (a shift that day, not absent, not a holiday) and
/// land at the same local time of day, or at the end of that day's last shift when that time is
/// off shift (as [`BusinessHours::add_working_days`]). A start off shift first moves to the next
/// shift. `None` when the user has no shift within the horizon: the caller falls back to the
/// workspace's hours.
pub fn add_shift_time(schedule: &Schedule, cal: &BusinessHours, tz: &str, from: i64, due: WorkingTime) -> Option<i64> {
    let (start_day, _) = local_parts(tz, from);
    let mut intervals = (0..SLA_HORIZON_DAYS)
        .filter_map(move |i| start_day.checked_add(Duration::days(i)))
        .flat_map(move |d| day_hours(schedule, cal, d).into_iter().map(move |(s, e)| (d, to_utc(tz, d, s), to_utc(tz, d, e))));
    match due.minutes() {
        Some(minutes) => {
            let mut left = minutes.max(0) * 60_000;
            for (_, a, b) in intervals.by_ref() {
                let a = a.max(from);
                if a >= b {
                    continue;
                }
                if left <= b - a {
                    return Some(a + left);
                }
                left -= b - a;
            }
            None
        }
        None => {
            let (first_day, a, _) = intervals.find(|&(_, _, b)| b > from)?;
            let start = a.max(from);
            let (_, minute) = local_parts(tz, start);
            let mut left = due.amount;
            let mut d = first_day;
            for _ in 0..SLA_HORIZON_DAYS {
                d = d.checked_add(Duration::days(1))?;
                let hours = day_hours(schedule, cal, d);
                if hours.is_empty() {
                    continue;
                }
                left -= 1;
                if left <= 0 {
                    if hours.iter().any(|&(s, e)| s <= minute && minute < e) {
                        return Some(to_utc(tz, d, minute));
                    }
                    return hours.last().map(|&(_, e)| to_utc(tz, d, e));
                }
            }
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::to_ms;
    use time::macros::{date, datetime};

    const MSK: &str = "Europe/Moscow";
    const BERLIN: &str = "Europe/Berlin";

    fn office() -> BusinessHours {
        BusinessHours::parse(&json!({"days": [1, 2, 3, 4, 5], "start": "09:00", "end": "18:00", "holidays": ["2026-12-31"]})).unwrap()
    }

    /// Monday–Friday 09:00–18:00 with a lunch break on Monday, Saturday 10:00–14:00.
    fn pattern() -> Schedule {
        let shifts = parse_shifts(&json!([
            {"day": 1, "start": "09:00", "end": "13:00"}, {"day": 1, "start": "14:00", "end": "18:00"},
            {"day": 2, "start": "09:00", "end": "18:00"}, {"day": 3, "start": "09:00", "end": "18:00"},
            {"day": 4, "start": "09:00", "end": "18:00"}, {"day": 5, "start": "09:00", "end": "18:00"},
            {"day": 6, "start": "10:00", "end": "14:00"}
        ]))
        .unwrap();
        Schedule { shifts: Some(shifts), exceptions: Vec::new() }
    }

    #[test]
    fn an_sla_on_the_owners_shift_counts_only_time_at_work() {
        use crate::regulation::TimeUnit;
        let hours = |n| WorkingTime { amount: n, unit: TimeUnit::Hours };
        // Friday 2026-12-04 17:00 Moscow + 4 h: one hour on Friday, three on the Saturday shift.
        let friday = to_ms(datetime!(2026-12-04 14:00 UTC));
        let due = add_shift_time(&pattern(), &office(), MSK, friday, hours(4)).unwrap();
        assert_eq!(due, to_ms(datetime!(2026-12-05 10:00 UTC)), "Saturday 13:00 Moscow");
        // The workspace's hours would give Monday 12:00.
        assert_eq!(office().add_working_minutes(MSK, friday, 240), to_ms(datetime!(2026-12-07 09:00 UTC)));
        // Monday's lunch break is not counted: 11:00 + 3 h = 15:00.
        let monday = to_ms(datetime!(2026-12-07 08:00 UTC));
        assert_eq!(add_shift_time(&pattern(), &office(), MSK, monday, hours(3)), Some(to_ms(datetime!(2026-12-07 12:00 UTC))));
        // A vacation stops the clock: Saturday and the next week are skipped.
        let mut away = pattern();
        away.exceptions.push(Exception {
            kind: ExceptionKind::Vacation,
            from: date!(2026 - 12 - 05),
            to: date!(2026 - 12 - 13),
            hours: None,
        });
        assert_eq!(add_shift_time(&away, &office(), MSK, friday, hours(4)), Some(to_ms(datetime!(2026-12-14 09:00 UTC))));
        // Days: the same time on the next day at work, or that day's last shift's end.
        let days = |n| WorkingTime { amount: n, unit: TimeUnit::Days };
        assert_eq!(add_shift_time(&pattern(), &office(), MSK, friday, days(1)), Some(to_ms(datetime!(2026-12-05 11:00 UTC))));
        assert_eq!(add_shift_time(&pattern(), &office(), MSK, friday, days(2)), Some(to_ms(datetime!(2026-12-07 14:00 UTC))));
        // Nobody works: no deadline on the shift (the store falls back to business hours).
        let never = Schedule { shifts: Some(Vec::new()), exceptions: Vec::new() };
        assert_eq!(add_shift_time(&never, &office(), MSK, friday, hours(1)), None);
    }

    #[test]
    fn shifts_parse_sorted_and_overlaps_name_the_day() {
        let s = parse_shifts(&json!([{"day": 2, "start": "14:00", "end": "18:00"}, {"day": 2, "start": "09:00", "end": "13:00"}])).unwrap();
        assert_eq!(s[0], Shift { day: 2, start: 540, end: 780 });
        let e =
            parse_shifts(&json!([{"day": 3, "start": "09:00", "end": "13:00"}, {"day": 3, "start": "12:00", "end": "18:00"}])).unwrap_err();
        assert_eq!(e.field, "shifts");
        assert_eq!(e.msg.code(), "schedule_shift_overlap");
        assert_eq!(e.msg.args_json()["day"], json!(3));
        assert_eq!(parse_shifts(&json!([{"day": 8, "start": "09:00", "end": "13:00"}])).unwrap_err().field, "shifts.0.day");
        assert_eq!(
            parse_shifts(&json!([{"day": 1, "start": "18:00", "end": "09:00"}])).unwrap_err().msg.code(),
            "schedule_shift_backwards"
        );
        assert_eq!(parse_shifts(&json!([{"day": 1, "start": "9", "end": "18:00"}])).unwrap_err().field, "shifts.0.start");
        // Touching shifts do not overlap.
        assert!(parse_shifts(&json!([{"day": 1, "start": "09:00", "end": "13:00"}, {"day": 1, "start": "13:00", "end": "24:00"}])).is_ok());
    }

    #[test]
    fn on_shift_follows_the_pattern_in_moscow() {
        let (s, cal) = (pattern(), office());
        // Monday 2026-12-07 in Moscow (UTC+3, no DST).
        assert!(on_shift(&s, &cal, MSK, to_ms(datetime!(2026-12-07 06:00 UTC)))); // 09:00 local
        assert!(!on_shift(&s, &cal, MSK, to_ms(datetime!(2026-12-07 10:30 UTC)))); // 13:30 lunch
        assert!(!on_shift(&s, &cal, MSK, to_ms(datetime!(2026-12-07 15:00 UTC)))); // 18:00 — over
        assert!(on_shift(&s, &cal, MSK, to_ms(datetime!(2026-12-12 08:00 UTC)))); // Saturday 11:00
        assert!(!on_shift(&s, &cal, MSK, to_ms(datetime!(2026-12-13 08:00 UTC)))); // Sunday
                                                                                   // A holiday of the workspace stops the pattern.
        assert!(!on_shift(&s, &cal, MSK, to_ms(datetime!(2026-12-31 08:00 UTC))));
    }

    #[test]
    fn exceptions_take_days_off_and_add_shifts() {
        let mut s = pattern();
        let cal = office();
        s.exceptions.push(parse_exception(&json!({"kind": "vacation", "from": "2026-12-08", "to": "2026-12-09"})).unwrap());
        s.exceptions
            .push(parse_exception(&json!({"kind": "extra_shift", "from": "2026-12-13", "start": "10:00", "end": "16:00"})).unwrap());
        assert!(!on_shift(&s, &cal, MSK, to_ms(datetime!(2026-12-08 08:00 UTC))));
        assert!(!on_shift(&s, &cal, MSK, to_ms(datetime!(2026-12-09 08:00 UTC))));
        assert!(on_shift(&s, &cal, MSK, to_ms(datetime!(2026-12-10 08:00 UTC))));
        assert!(on_shift(&s, &cal, MSK, to_ms(datetime!(2026-12-13 08:00 UTC))));
        // From Monday evening the next shift is Thursday 09:00, after the vacation.
        let next = next_on_shift(&s, &cal, MSK, to_ms(datetime!(2026-12-07 16:00 UTC))).unwrap();
        assert_eq!(next, to_ms(datetime!(2026-12-10 06:00 UTC)));
        // During lunch the next is 14:00 the same day.
        let next = next_on_shift(&s, &cal, MSK, to_ms(datetime!(2026-12-07 10:30 UTC))).unwrap();
        assert_eq!(next, to_ms(datetime!(2026-12-07 11:00 UTC)));
        let e = parse_exception(&json!({"kind": "holiday", "from": "2026-12-08"})).unwrap_err();
        assert_eq!((e.field.as_str(), e.msg.code()), ("kind", "schedule_exception_kind"));
        let e = parse_exception(&json!({"kind": "vacation", "from": "2026-12-08", "to": "2026-12-01"})).unwrap_err();
        assert_eq!(e.msg.code(), "schedule_exception_dates");
        assert_eq!(
            parse_exception(&json!({"kind": "extra_shift", "from": "2026-12-08"})).unwrap_err().msg.code(),
            "schedule_extra_shift_hours"
        );
    }

    #[test]
    fn local_hours_hold_across_a_dst_change_in_berlin() {
        let (s, cal) = (pattern(), office());
        // Berlin moves to summer time on Sunday 2027-03-28: 09:00 local is 08:00 UTC before, 07:00 after.
        assert!(on_shift(&s, &cal, BERLIN, to_ms(datetime!(2027-03-26 08:00 UTC))));
        assert!(!on_shift(&s, &cal, BERLIN, to_ms(datetime!(2027-03-26 07:30 UTC))));
        assert!(on_shift(&s, &cal, BERLIN, to_ms(datetime!(2027-03-29 07:00 UTC))));
        assert!(!on_shift(&s, &cal, BERLIN, to_ms(datetime!(2027-03-29 06:30 UTC))));
        let next = next_on_shift(&s, &cal, BERLIN, to_ms(datetime!(2027-03-28 12:00 UTC))).unwrap();
        assert_eq!(next, to_ms(datetime!(2027-03-29 07:00 UTC)));
        assert_eq!(to_utc(BERLIN, date!(2027 - 03 - 28), 150), to_ms(datetime!(2027-03-28 01:30 UTC)));
    }

    #[test]
    fn without_a_pattern_the_business_hours_apply() {
        let s = Schedule::default();
        let cal = office();
        assert!(on_shift(&s, &cal, MSK, to_ms(datetime!(2026-12-07 06:00 UTC))));
        assert!(!on_shift(&s, &cal, MSK, to_ms(datetime!(2026-12-12 08:00 UTC))));
        assert!(!on_shift(&s, &cal, MSK, to_ms(datetime!(2026-12-31 08:00 UTC))));
    }
}
