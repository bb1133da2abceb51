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

/// The first day (`YYYY-MM-01`) of the month `back` months before the month of `date`.
fn month_start_before(date: &str, back: i64) -> String {
    let (y, m) = (date[..4].parse::<i64>().unwrap_or(1970), date[5..7].parse::<i64>().unwrap_or(1));
    let index = y * 12 + (m - 1) - back;
    format!("{:04}-{:02}-01", index.div_euclid(12), index.rem_euclid(12) + 1)
}

impl Period {
    /// The `months` whole calendar months just before the month this period starts in: the
    /// history a forecast learns from.
    pub fn months_before(&self, months: i64, tz: &str) -> Period {
        let first = month_start_before(&self.from_date, months.max(1));
        let last_ms = day_start(tz, &month_start_before(&self.from_date, 0), "from").unwrap_or(self.from) - DAY_MS / 2;
        Period::parse(&first, &date_of(tz, last_ms), tz).unwrap_or_else(|_| self.clone())
    }

    /// How many months the period spans: whole calendar months counted as such, other spans
    /// as days over an average month.
    pub fn months(&self) -> f64 {
        let whole_start = self.from_date.ends_with("-01");
        let next_day_is_first = {
            let (y, m, d) = (&self.to_date[..4], &self.to_date[5..7], &self.to_date[8..]);
            match (y.parse::<i32>(), m.parse::<u8>(), d.parse::<u8>()) {
                (Ok(y), Ok(m), Ok(d)) => time::Month::try_from(m).is_ok_and(|m| m.length(y) == d),
                _ => false,
            }
        };
        if whole_start && next_day_is_first {
            let ym = |d: &str| d[..4].parse::<i64>().unwrap_or(0) * 12 + d[5..7].parse::<i64>().unwrap_or(0);
            return (ym(&self.to_date) - ym(&self.from_date) + 1) as f64;
        }
        ((self.to - self.from) as f64 / DAY_MS as f64) / (365.25 / 12.0)
    }
}

/// The conversion forecast of seed 001 ("200 leads a month at 10 % conversion — expect 20
/// sales"): the leads a month and their conversion to won over a window of history, carried
/// over a period.
#[derive(Clone, Debug, PartialEq)]
pub struct ConversionForecast {
    pub leads_per_month: f64,
    /// Won ÷ leads of the window's cohort.
    pub conversion: Option<f64>,
    /// The average won deal of the window, minor units.
    pub average_won: Option<i64>,
    /// Sales expected in the period.
    pub expected_won: f64,
    /// Their value, minor units.
    pub expected_value: i64,
}

/// `leads` created over `window_months`, `won` of them won for `won_value`; the forecast over
/// a period of `period_months`.
pub fn conversion_forecast(leads: i64, won: i64, won_value: i64, window_months: f64, period_months: f64) -> ConversionForecast {
    let leads_per_month = if window_months > 0.0 { leads as f64 / window_months } else { 0.0 };
    let conversion = ratio(won, leads);
    let average_won = (won > 0).then(|| (won_value as f64 / won as f64).round() as i64);
    let expected_won = leads_per_month * conversion.unwrap_or(0.0) * period_months;
    let expected_value = (expected_won * average_won.unwrap_or(0) as f64).round() as i64;
    ConversionForecast { leads_per_month, conversion, average_won, expected_won, expected_value }
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
    fn a_forecast_carries_the_windows_leads_and_conversion_over_the_period() {
        // The seed: 200 leads a month at 10 % — expect 20 sales.
        let f = conversion_forecast(600, 60, 60 * 50_000, 3.0, 1.0);
        assert_eq!((f.leads_per_month, f.conversion, f.average_won), (200.0, Some(0.1), Some(50_000)));
        assert!((f.expected_won - 20.0).abs() < 1e-9);
        assert_eq!(f.expected_value, 1_000_000);
        // A quarter expects three months of it; no history expects nothing.
        assert!((conversion_forecast(600, 60, 0, 3.0, 3.0).expected_won - 60.0).abs() < 1e-9);
        assert_eq!(conversion_forecast(0, 0, 0, 3.0, 1.0).expected_won, 0.0);
        let p = Period::parse("2026-12-01", "2026-12-31", "Europe/Moscow").unwrap();
        assert_eq!(p.months(), 1.0);
        let w = p.months_before(3, "Europe/Moscow");
        assert_eq!((w.from_date.as_str(), w.to_date.as_str(), w.months()), ("2026-09-01", "2026-11-30", 3.0));
        let jan = Period::parse("2027-01-10", "2027-02-28", "UTC").unwrap().months_before(1, "UTC");
        assert_eq!((jan.from_date.as_str(), jan.to_date.as_str()), ("2026-12-01", "2026-12-31"));
        assert!((Period::parse("2026-12-01", "2026-12-15", "UTC").unwrap().months() - 15.0 / 30.4375).abs() < 1e-9);
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
