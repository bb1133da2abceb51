//! What sales reports compute from counts: the period a report covers in the workspace's time
//! zone, conversion ratios, and the step of a funnel where a manager loses most against the
//! department.
use crate::error::FieldError;
use crate::msg::ReportMsg;
use crate::types::parse_date;

const DAY_MS: i64 = 86_400_000;

/// A report's period: whole local days from `from_date` to `to_date` inclusive, as
/// `[from, to)` in UTC milliseconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Period {
    pub from_date: String,
    pub to_date: String,
    pub from: i64,
    pub to: i64,
}

fn day_start(tz: &str, date: &str, field: &str) -> Result<i64, FieldError> {
    let iso = parse_date(date.trim()).map_err(|m| FieldError::new(field, m))?;
    let noon = crate::types::parse_timestamp(&format!("{iso}T12:00:00Z")).map_err(|m| FieldError::new(field, m))?;
    Ok(crate::zone::day_bounds(tz, noon).0)
}

fn date_of(tz: &str, ms: i64) -> String {
    let l = crate::zone::local(tz, ms);
    format!("{:04}-{:02}-{:02}", l.year(), u8::from(l.month()), l.day())
}

impl Period {
    /// The days `from`..=`to` (`YYYY-MM-DD`) in `tz`; `from` after `to` is refused on `from`.
    pub fn parse(from: &str, to: &str, tz: &str) -> Result<Period, FieldError> {
        let start = day_start(tz, from, "from")?;
        let last = day_start(tz, to, "to")?;
        if start > last {
            return Err(FieldError::new("from", ReportMsg::FromAfterTo {}));
        }
        if last - start > 3_700 * DAY_MS {
            return Err(FieldError::new("to", ReportMsg::PeriodTooLong { years: 10 }));
        }
        let end = crate::zone::day_bounds(tz, last + DAY_MS / 2).1;
        Ok(Period { from_date: date_of(tz, start), to_date: date_of(tz, last), from: start, to: end })
    }

    /// The calendar month containing `now`, up to its last day.
    pub fn month_of(now: i64, tz: &str) -> Period {
        let l = crate::zone::local(tz, now);
        let first = format!("{:04}-{:02}-01", l.year(), u8::from(l.month()));
        let days = l.month().length(l.year());
        let last = format!("{:04}-{:02}-{days:02}", l.year(), u8::from(l.month()));
        Period::parse(&first, &last, tz).unwrap_or(Period { from_date: first, to_date: last, from: now, to: now })
    }

    /// As many days just before this period, for comparison.
    pub fn previous(&self, tz: &str) -> Period {
        let days = ((self.to - self.from) + DAY_MS / 2) / DAY_MS;
        let last = self.from - DAY_MS / 2;
        let first = self.from - days * DAY_MS + DAY_MS / 2;
        Period::parse(&date_of(tz, first), &date_of(tz, last), tz).unwrap_or_else(|_| self.clone())
    }
}

/// `n / d` as a share, none when `d` is zero.
pub fn ratio(n: i64, d: i64) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

/// The conversions of a funnel's steps: from each stage to the next, and from the last to won.
pub fn step_conversions(reached: &[i64], won: i64) -> Vec<Option<f64>> {
    (0..reached.len()).map(|i| ratio(reached.get(i + 1).copied().unwrap_or(won), reached[i])).collect()
}

/// The step where a manager falls furthest below the department's conversion, counting only
/// steps the manager had at least `min_sample` deals at; none when they are at or above it
/// everywhere. Steps are those of [`step_conversions`].
pub fn weakest_step(manager: &[i64], manager_won: i64, department: &[i64], department_won: i64, min_sample: i64) -> Option<usize> {
    let mine = step_conversions(manager, manager_won);
    let all = step_conversions(department, department_won);
    let mut worst: Option<(usize, f64)> = None;
    for (i, (m, d)) in mine.iter().zip(&all).enumerate() {
        let (Some(m), Some(d)) = (m, d) else { continue };
        if manager[i] < min_sample {
            continue;
        }
        let gap = d - m;
        if gap > 1e-9 && worst.is_none_or(|(_, g)| gap > g) {
            worst = Some((i, gap));
        }
    }
    worst.map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_is_whole_local_days() {
        let p = Period::parse("2026-11-01", "2026-11-30", "Europe/Moscow").unwrap();
        assert_eq!((p.to - p.from) / DAY_MS, 30);
        assert_eq!(crate::zone::local("Europe/Moscow", p.from).hour(), 0);
        let prev = p.previous("Europe/Moscow");
        assert_eq!((prev.from_date.as_str(), prev.to_date.as_str()), ("2026-10-02", "2026-10-31"));
        assert_eq!(Period::parse("2026-12-02", "2026-12-01", "UTC").unwrap_err().field, "from");
        assert_eq!(Period::parse("2026-13-01", "2026-12-01", "UTC").unwrap_err().field, "from");
        let m = Period::month_of(p.from + 3 * DAY_MS, "Europe/Moscow");
        assert_eq!((m.from_date.as_str(), m.to_date.as_str()), ("2026-11-01", "2026-11-30"));
    }

    #[test]
    fn the_weakest_step_is_the_largest_shortfall_against_the_department() {
        // Department: 100 → 50 → 25, 10 won: 50 %, 50 %, 40 %.
        let dept = [100, 50, 25];
        // A manager who qualifies well but rarely closes: 20 → 12 → 8, 1 won: 60 %, 67 %, 12.5 %.
        assert_eq!(weakest_step(&[20, 12, 8], 1, &dept, 10, 3), Some(2));
        // One who loses at the first step.
        assert_eq!(weakest_step(&[20, 4, 3], 2, &dept, 10, 3), Some(0));
        // Too few deals at a step to judge it.
        assert_eq!(weakest_step(&[2, 0, 0], 0, &dept, 10, 3), None);
        assert_eq!(step_conversions(&[10, 5], 1), vec![Some(0.5), Some(0.2)]);
    }
}
