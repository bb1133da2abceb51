//! Sales plans: what a plan is set for (a metric, a month or a quarter), who may set one, and
//! what the plan-fact report computes from plans and facts — fulfilment and the run-rate
//! projection to the period's end in working days of the workspace's calendar.
//!
//! The run-rate counts today as elapsed when today is a working day (the day's facts are
//! already in), so on the first working day of a month the projection is that day's pace times
//! the month's working days. A period that has not begun has no projection; one that is over
//! projects its fact.
use crate::calendar::BusinessHours;
use crate::domain::Role;
use crate::msg::{Msg, PlanMsg};
use time::{Date, Month};

/// What a plan counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Metric {
    /// The value of the deals won in the period, minor units.
    Revenue,
    WonDeals,
    /// Outgoing calls.
    Calls,
    /// E-mails sent.
    Emails,
    /// Invoices issued.
    Invoices,
}

impl Metric {
    pub const ALL: [Metric; 5] = [Metric::Revenue, Metric::WonDeals, Metric::Calls, Metric::Emails, Metric::Invoices];

    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Revenue => "revenue",
            Metric::WonDeals => "won_deals",
            Metric::Calls => "calls",
            Metric::Emails => "emails",
            Metric::Invoices => "invoices",
        }
    }

    pub fn parse(s: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// Whether the metric is money (minor units) rather than a count.
    pub fn is_money(self) -> bool {
        self == Metric::Revenue
    }

    pub fn names() -> Vec<String> {
        Metric::ALL.iter().map(|m| m.as_str().to_string()).collect()
    }
}

/// The period a plan is set for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PlanPeriod {
    Month { year: i32, month: u8 },
    Quarter { year: i32, quarter: u8 },
}

const MONTHS_RU: [&str; 12] = ["январ", "феврал", "март", "апрел", "ма", "июн", "июл", "август", "сентябр", "октябр", "ноябр", "декабр"];
const MONTHS_EN: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

fn year_of(s: &str) -> Option<i32> {
    let s = s.trim();
    (s.len() == 4 && s.chars().all(|c| c.is_ascii_digit())).then(|| s.parse().ok()).flatten().filter(|y| (2000..=2999).contains(y))
}

fn month_of(s: &str) -> Option<u8> {
    let s = s.trim();
    (1..=2).contains(&s.len()).then(|| s.parse::<u8>().ok()).flatten().filter(|m| (1..=12).contains(m))
}

/// A month's name in Russian (any case ending: «ноябрь», «ноября») or English (`Nov`, `November`).
fn month_name(s: &str) -> Option<u8> {
    let s = s.trim().trim_end_matches('.').to_lowercase();
    if s.chars().count() < 3 {
        return None;
    }
    // «май» / «мая» share only «ма» with «март»: check March first.
    if s.starts_with("март") {
        return Some(3);
    }
    if let Some(i) = MONTHS_RU.iter().position(|p| s.starts_with(p)) {
        return Some(i as u8 + 1);
    }
    MONTHS_EN.iter().position(|p| s.starts_with(p)).map(|i| i as u8 + 1)
}

impl PlanPeriod {
    /// The canonical form: `2026-11` or `2026-Q4`.
    pub fn parse(s: &str) -> Result<PlanPeriod, Msg> {
        let bad = || Msg::from(PlanMsg::PeriodShape {});
        let (y, rest) = s.trim().split_once('-').ok_or_else(bad)?;
        let year = year_of(y).ok_or_else(bad)?;
        if let Some(q) = rest.strip_prefix(['Q', 'q']) {
            return match q.parse::<u8>() {
                Ok(quarter @ 1..=4) if q.len() == 1 => Ok(PlanPeriod::Quarter { year, quarter }),
                _ => Err(bad()),
            };
        }
        if rest.len() != 2 {
            return Err(bad());
        }
        Ok(PlanPeriod::Month { year, month: month_of(rest).ok_or_else(bad)? })
    }

    /// What people write in a sheet: the canonical forms, `11.2026`, `11/2026`, `Q4 2026`,
    /// `4 кв. 2026`, `ноябрь 2026`, `November 2026`, or a date (`2026-11-01`, `01.11.2026`)
    /// standing for its month.
    pub fn parse_loose(raw: &str) -> Option<PlanPeriod> {
        let s = raw.trim();
        if let Ok(p) = PlanPeriod::parse(s) {
            return Some(p);
        }
        let lower = s.to_lowercase();
        let words: Vec<&str> = lower.split(|c: char| c.is_whitespace() || c == ',').filter(|w| !w.is_empty()).collect();
        // Q4 2026, 2026 Q4, 4 кв. 2026, IV кв 2026 is not supported.
        match words.as_slice() {
            [q, y] if q.starts_with('q') => {
                let quarter = q[1..].parse::<u8>().ok().filter(|q| (1..=4).contains(q))?;
                return Some(PlanPeriod::Quarter { year: year_of(y)?, quarter });
            }
            [y, q] if q.starts_with('q') => {
                let quarter = q[1..].parse::<u8>().ok().filter(|q| (1..=4).contains(q))?;
                return Some(PlanPeriod::Quarter { year: year_of(y)?, quarter });
            }
            [q, kv, y] if kv.starts_with("кв") => {
                let quarter = q.parse::<u8>().ok().filter(|q| (1..=4).contains(q))?;
                return Some(PlanPeriod::Quarter { year: year_of(y)?, quarter });
            }
            [m, y] => {
                if let (Some(month), Some(year)) = (month_name(m), year_of(y)) {
                    return Some(PlanPeriod::Month { year, month });
                }
            }
            _ => {}
        }
        let parts: Vec<&str> = s.split(['.', '/', '-']).map(str::trim).collect();
        match parts.as_slice() {
            [m, y] => Some(PlanPeriod::Month { year: year_of(y)?, month: month_of(m)? }),
            // A day stands for its month (a date-formatted cell of a sheet).
            [y, m, d] if y.len() == 4 => {
                let (year, month) = (year_of(y)?, month_of(m)?);
                d.split([' ', 'T']).next()?.parse::<u8>().ok().filter(|d| (1..=31).contains(d))?;
                Some(PlanPeriod::Month { year, month })
            }
            [d, m, y] if y.len() == 4 => {
                d.parse::<u8>().ok().filter(|d| (1..=31).contains(d))?;
                Some(PlanPeriod::Month { year: year_of(y)?, month: month_of(m)? })
            }
            _ => None,
        }
    }

    pub fn key(&self) -> String {
        match self {
            PlanPeriod::Month { year, month } => format!("{year:04}-{month:02}"),
            PlanPeriod::Quarter { year, quarter } => format!("{year:04}-Q{quarter}"),
        }
    }

    pub fn is_quarter(&self) -> bool {
        matches!(self, PlanPeriod::Quarter { .. })
    }

    /// The month of a day.
    pub fn month_of(d: Date) -> PlanPeriod {
        PlanPeriod::Month { year: d.year(), month: d.month() as u8 }
    }

    /// The quarter of a day.
    pub fn quarter_of(d: Date) -> PlanPeriod {
        PlanPeriod::Quarter { year: d.year(), quarter: (d.month() as u8 - 1) / 3 + 1 }
    }

    /// The months of the period: itself, or a quarter's three.
    pub fn months(&self) -> Vec<PlanPeriod> {
        match *self {
            PlanPeriod::Month { .. } => vec![*self],
            PlanPeriod::Quarter { year, quarter } => (0..3).map(|i| PlanPeriod::Month { year, month: (quarter - 1) * 3 + 1 + i }).collect(),
        }
    }

    fn first_month(&self) -> (i32, u8) {
        match *self {
            PlanPeriod::Month { year, month } => (year, month),
            PlanPeriod::Quarter { year, quarter } => (year, (quarter - 1) * 3 + 1),
        }
    }

    fn last_month(&self) -> (i32, u8) {
        match *self {
            PlanPeriod::Month { year, month } => (year, month),
            PlanPeriod::Quarter { year, quarter } => (year, quarter * 3),
        }
    }

    pub fn first_day(&self) -> Option<Date> {
        let (y, m) = self.first_month();
        Date::from_calendar_date(y, Month::try_from(m).ok()?, 1).ok()
    }

    pub fn last_day(&self) -> Option<Date> {
        let (y, m) = self.last_month();
        let month = Month::try_from(m).ok()?;
        Date::from_calendar_date(y, month, month.length(y)).ok()
    }

    /// The period before (the previous month or quarter).
    pub fn previous(&self) -> PlanPeriod {
        match *self {
            PlanPeriod::Month { year, month: 1 } => PlanPeriod::Month { year: year - 1, month: 12 },
            PlanPeriod::Month { year, month } => PlanPeriod::Month { year, month: month - 1 },
            PlanPeriod::Quarter { year, quarter: 1 } => PlanPeriod::Quarter { year: year - 1, quarter: 4 },
            PlanPeriod::Quarter { year, quarter } => PlanPeriod::Quarter { year, quarter: quarter - 1 },
        }
    }

    /// The period after.
    pub fn next(&self) -> PlanPeriod {
        match *self {
            PlanPeriod::Month { year, month: 12 } => PlanPeriod::Month { year: year + 1, month: 1 },
            PlanPeriod::Month { year, month } => PlanPeriod::Month { year, month: month + 1 },
            PlanPeriod::Quarter { year, quarter: 4 } => PlanPeriod::Quarter { year: year + 1, quarter: 1 },
            PlanPeriod::Quarter { year, quarter } => PlanPeriod::Quarter { year, quarter: quarter + 1 },
        }
    }

    /// The month or quarter whose days are exactly `first`..=`last` (`YYYY-MM-DD`), if any.
    pub fn from_days(first: &str, last: &str) -> Option<PlanPeriod> {
        let fmt = time::macros::format_description!("[year]-[month]-[day]");
        let (a, b) = (Date::parse(first, &fmt).ok()?, Date::parse(last, &fmt).ok()?);
        [PlanPeriod::month_of(a), PlanPeriod::quarter_of(a)].into_iter().find(|p| p.first_day() == Some(a) && p.last_day() == Some(b))
    }
}

/// Who may set plans: a head of sales and an administrator.
pub fn may_write(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Head)
}

/// Working days of a period, and how many of them have passed by a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pace {
    pub total: i64,
    /// Working days from the first day up to today, today included.
    pub elapsed: i64,
}

impl Pace {
    /// The period's working days by the calendar `hours`, as of `today` (the workspace's local day).
    pub fn of(hours: &BusinessHours, period: &PlanPeriod, today: Date) -> Pace {
        let (Some(first), Some(last)) = (period.first_day(), period.last_day()) else { return Pace { total: 0, elapsed: 0 } };
        let (mut total, mut elapsed) = (0, 0);
        let mut d = first;
        while d <= last {
            if hours.is_working_day(d) {
                total += 1;
                if d <= today {
                    elapsed += 1;
                }
            }
            match d.next_day() {
                Some(n) => d = n,
                None => break,
            }
        }
        Pace { total, elapsed }
    }

    /// The fact carried on at its pace to the period's end: fact ÷ elapsed × total, rounded;
    /// none before the first working day.
    pub fn projection(&self, fact: i64) -> Option<i64> {
        if self.elapsed <= 0 {
            return None;
        }
        if self.elapsed >= self.total {
            return Some(fact);
        }
        Some(((fact as f64) * (self.total as f64) / (self.elapsed as f64)).round() as i64)
    }
}

/// A quarter's plan spread over `months` of it (those without a plan of their own) in
/// proportion to their working days by the calendar `hours`; evenly when none of them has a
/// working day. Shares are whole units (minor units for revenue) and add up to `value`
/// exactly: each month gets the floor of its share, and the units left over go one each to the
/// months with the largest remainders, the earlier month first on a tie.
pub fn spread(value: i64, months: &[PlanPeriod], hours: &BusinessHours) -> Vec<(PlanPeriod, i64)> {
    if months.is_empty() {
        return Vec::new();
    }
    let far = Date::from_calendar_date(9999, Month::January, 1).unwrap_or(Date::MAX);
    let days: Vec<i128> = months.iter().map(|m| Pace::of(hours, m, far).total as i128).collect();
    let weights: Vec<i128> = if days.iter().all(|d| *d == 0) { vec![1; months.len()] } else { days };
    let total: i128 = weights.iter().sum();
    let value = value.max(0) as i128;
    let mut parts: Vec<(usize, i128, i128)> = weights.iter().enumerate().map(|(i, w)| (i, value * w / total, value * w % total)).collect();
    let mut left = value - parts.iter().map(|p| p.1).sum::<i128>();
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by(|a, b| parts[*b].2.cmp(&parts[*a].2).then(a.cmp(b)));
    for i in order {
        if left <= 0 {
            break;
        }
        parts[i].1 += 1;
        left -= 1;
    }
    parts.into_iter().map(|(i, v, _)| (months[i], v as i64)).collect()
}

/// The fact as a share of the plan; none without a plan above zero.
pub fn fulfilment(fact: i64, plan: Option<i64>) -> Option<f64> {
    plan.filter(|p| *p > 0).map(|p| fact as f64 / p as f64)
}

/// A team's plan: its own when set, else the sum of its members' (none when none has one).
pub fn team_plan(own: Option<i64>, members: impl IntoIterator<Item = Option<i64>>) -> Option<i64> {
    own.or_else(|| members.into_iter().flatten().reduce(|a, b| a.saturating_add(b)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn day(s: &str) -> Date {
        Date::parse(s, &time::macros::format_description!("[year]-[month]-[day]")).unwrap()
    }

    #[test]
    fn periods_read_and_write_as_months_and_quarters() {
        assert_eq!(PlanPeriod::parse("2026-11").unwrap(), PlanPeriod::Month { year: 2026, month: 11 });
        assert_eq!(PlanPeriod::parse("2026-q4").unwrap().key(), "2026-Q4");
        for bad in ["2026-13", "2026-Q5", "2026-1", "26-11", "2026/11", "", "2026-Q", "2026-11-01"] {
            assert!(PlanPeriod::parse(bad).is_err(), "{bad}");
        }
        for (raw, key) in [
            ("11.2026", "2026-11"),
            ("ноябрь 2026", "2026-11"),
            ("Ноября 2026", "2026-11"),
            ("май 2026", "2026-05"),
            ("Март 2026", "2026-03"),
            ("November 2026", "2026-11"),
            ("2026-11-01", "2026-11"),
            ("01.11.2026", "2026-11"),
            ("Q4 2026", "2026-Q4"),
            ("4 кв. 2026", "2026-Q4"),
            ("2026 q1", "2026-Q1"),
        ] {
            assert_eq!(PlanPeriod::parse_loose(raw).map(|p| p.key()).as_deref(), Some(key), "{raw}");
        }
        assert_eq!(PlanPeriod::parse_loose("когда-нибудь"), None);
        let q = PlanPeriod::parse("2026-Q4").unwrap();
        assert_eq!(q.months().iter().map(|m| m.key()).collect::<Vec<_>>(), ["2026-10", "2026-11", "2026-12"]);
        assert_eq!((q.first_day(), q.last_day()), (Some(day("2026-10-01")), Some(day("2026-12-31"))));
        assert_eq!(PlanPeriod::from_days("2026-10-01", "2026-12-31"), Some(q));
        assert_eq!(PlanPeriod::from_days("2026-02-01", "2026-02-28").map(|p| p.key()).as_deref(), Some("2026-02"));
        assert_eq!(PlanPeriod::from_days("2026-11-02", "2026-11-30"), None);
        assert_eq!(PlanPeriod::parse("2026-01").unwrap().previous().key(), "2025-12");
        assert_eq!(q.next().key(), "2027-Q1");
    }

    #[test]
    fn a_quarter_spreads_to_its_months_by_working_days() {
        let hours =
            BusinessHours::parse(&json!({"days": [1, 2, 3, 4, 5], "start": "09:00", "end": "18:00", "holidays": ["2026-11-04"]})).unwrap();
        let q = PlanPeriod::parse("2026-Q4").unwrap();
        // October 2026: 22 weekdays; November: 21 less the holiday = 20; December: 23. 65 in all.
        let s = spread(6_500, &q.months(), &hours);
        assert_eq!(
            s.iter().map(|(m, v)| (m.key(), *v)).collect::<Vec<_>>(),
            [("2026-10".into(), 2_200), ("2026-11".to_string(), 2_000), ("2026-12".into(), 2_300)]
        );
        // Units that do not divide go to the largest remainders and the parts add up exactly.
        let s = spread(100, &q.months(), &hours);
        assert_eq!(s.iter().map(|(_, v)| *v).collect::<Vec<_>>(), [34, 31, 35]);
        assert_eq!(s.iter().map(|(_, v)| v).sum::<i64>(), 100);
        // Two months left to spread over; a calendar without working days spreads evenly.
        let s = spread(10, &q.months()[1..], &hours);
        assert_eq!(s.iter().map(|(_, v)| *v).collect::<Vec<_>>(), [5, 5]);
        let none = BusinessHours::parse(&json!({"days": [], "start": "09:00", "end": "18:00"}));
        if let Ok(none) = none {
            assert_eq!(spread(10, &q.months(), &none).iter().map(|(_, v)| *v).collect::<Vec<_>>(), [4, 3, 3]);
        }
        assert!(spread(10, &[], &hours).is_empty());
    }

    #[test]
    fn the_run_rate_counts_working_days_of_the_calendar() {
        let hours =
            BusinessHours::parse(&json!({"days": [1, 2, 3, 4, 5], "start": "09:00", "end": "18:00", "holidays": ["2026-11-04"]})).unwrap();
        let nov = PlanPeriod::parse("2026-11").unwrap();
        // November 2026: 21 weekdays, the 4th a holiday. By Monday the 23rd: 2–3, 5–6, 9–13,
        // 16–20 and the 23rd itself.
        let p = Pace::of(&hours, &nov, day("2026-11-23"));
        assert_eq!(p, Pace { total: 20, elapsed: 15 });
        assert_eq!(p.projection(900_000), Some(1_200_000));
        // A Saturday counts the days before it.
        assert_eq!(Pace::of(&hours, &nov, day("2026-11-21")).elapsed, 14);
        assert_eq!(Pace::of(&hours, &nov, day("2026-10-31")).projection(5), None);
        assert_eq!(Pace::of(&hours, &nov, day("2026-12-05")).projection(7), Some(7));
        assert_eq!(fulfilment(750, Some(1000)), Some(0.75));
        assert_eq!(fulfilment(750, Some(0)), None);
        assert_eq!(team_plan(None, [Some(3), None, Some(4)]), Some(7));
        assert_eq!(team_plan(Some(10), [Some(3)]), Some(10));
        assert_eq!(team_plan(None, [None]), None);
        assert!(may_write(Role::Head) && !may_write(Role::Manager) && !may_write(Role::Analyst));
    }
}
