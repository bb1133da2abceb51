//! Where the calendar's local working intervals fall in UTC: the day-by-day walk shared by
//! the deadline functions, and the reading of a local wall-clock time across DST changes.
use super::{BusinessHours, MINUTE_MS};
use crate::zone;
use time::Date;

pub(super) const DAY_MS: i64 = 86_400_000;
/// How many calendar days a walk looks ahead (about three years) before it gives up, so that
/// a calendar without working time or an absurd duration cannot loop for long.
pub(super) const HORIZON_DAYS: u32 = 1100;

const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;

/// The UTC instant at which the wall clock of `tz` shows `ms_of_day` on `date`.
///
/// A DST change makes some wall-clock times happen twice or never. A repeated time is read
/// as its first occurrence and a skipped time as the moment the clocks jump; both keep the
/// mapping monotonic, so intervals stay ordered and disjoint in UTC (an interval inside a
/// skipped hour becomes empty), and an interval spanning a change lasts as long as the wall
/// clock says people are at work.
pub(super) fn to_utc(tz: &str, date: Date, ms_of_day: i64) -> i64 {
    let wall = (i64::from(date.to_julian_day()) - UNIX_EPOCH_JULIAN_DAY) * DAY_MS + ms_of_day;
    let off = |ms: i64| i64::from(zone::offset_at(tz, ms).whole_seconds()) * 1000;
    // Zones change offset at most once within a couple of days, so the offsets a day either
    // side bracket every reading of `wall`.
    let (before, after) = (off(wall - DAY_MS), off(wall + DAY_MS));
    let reads_as = |o: i64| (off(wall - o) == o).then_some(wall - o);
    if before == after {
        if let Some(at) = reads_as(before) {
            return at;
        }
    }
    match (reads_as(before), reads_as(after)) {
        (Some(a), Some(b)) => a.min(b),
        (Some(a), None) | (None, Some(a)) => a,
        (None, None) => {
            // Skipped: the clocks jump somewhere in (wall - after, wall - before]; find the jump.
            let (mut lo, mut hi) = (wall - after, wall - before);
            if lo >= hi || off(hi) != after {
                return hi;
            }
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if off(mid) == after {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            hi
        }
    }
}

/// The working intervals in UTC, `[start, end)`, in time order, starting with the local day
/// that contains the given instant (earlier intervals of that day included) and ending after
/// [`HORIZON_DAYS`] further days.
pub(super) struct Intervals<'a> {
    hours: &'a BusinessHours,
    tz: &'a str,
    date: Date,
    working: bool,
    next: usize,
    days_left: u32,
}

impl<'a> Intervals<'a> {
    pub(super) fn new(hours: &'a BusinessHours, tz: &'a str, from_ms: i64) -> Self {
        // An instant outside the representable years yields nothing; callers fall back.
        let date = crate::types::from_ms(from_ms).map(|_| zone::local(tz, from_ms).date());
        Intervals {
            hours,
            tz,
            date: date.unwrap_or(Date::MIN),
            working: date.is_some_and(|d| hours.is_working_day(d)),
            next: 0,
            days_left: if date.is_some() { HORIZON_DAYS } else { 0 },
        }
    }
}

impl Iterator for Intervals<'_> {
    type Item = (i64, i64);

    fn next(&mut self) -> Option<(i64, i64)> {
        loop {
            if self.working {
                if let Some(&(s, e)) = self.hours.hours.get(self.next) {
                    self.next += 1;
                    let a = to_utc(self.tz, self.date, i64::from(s) * MINUTE_MS);
                    let b = to_utc(self.tz, self.date, i64::from(e) * MINUTE_MS);
                    if b > a {
                        return Some((a, b));
                    }
                    continue;
                }
            }
            if self.days_left == 0 {
                return None;
            }
            self.days_left -= 1;
            self.date = self.date.next_day()?;
            self.next = 0;
            self.working = self.hours.is_working_day(self.date);
        }
    }
}
