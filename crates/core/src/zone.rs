//! Wall-clock time in a workspace's time zone: storage is UTC milliseconds, people read local time.
use time::{OffsetDateTime, UtcOffset};
use time_tz::OffsetDateTimeExt;

/// The UTC offset of `tz` at the instant `ms`. An unknown zone or a fixed `UTC±HH:MM` that does
/// not parse falls back to UTC; zones are checked when a workspace is saved.
pub fn offset_at(tz: &str, ms: i64) -> UtcOffset {
    let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    if let Some(zone) = time_tz::timezones::get_by_name(tz) {
        return at.to_timezone(zone).offset();
    }
    fixed_offset(tz).unwrap_or(UtcOffset::UTC)
}

fn fixed_offset(tz: &str) -> Option<UtcOffset> {
    let rest = tz.strip_prefix("UTC")?;
    if rest.is_empty() {
        return Some(UtcOffset::UTC);
    }
    let sign: i8 = if rest.starts_with('-') { -1 } else { 1 };
    let (h, m) = rest[1..].split_once(':').unwrap_or((&rest[1..], "0"));
    UtcOffset::from_hms(sign * h.parse::<i8>().ok()?, sign * m.parse::<i8>().ok()?, 0).ok()
}

/// `ms` as local date-time in `tz`.
pub fn local(tz: &str, ms: i64) -> OffsetDateTime {
    let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    at.to_offset(offset_at(tz, ms))
}

/// Whether `tz` names a zone this build knows.
pub fn is_known(tz: &str) -> bool {
    time_tz::timezones::get_by_name(tz).is_some() || fixed_offset(tz).is_some()
}

/// The local calendar day containing `ms`, as `[start, end)` in UTC milliseconds.
pub fn day_bounds(tz: &str, ms: i64) -> (i64, i64) {
    let l = local(tz, ms);
    let midnight = l.replace_time(time::Time::MIDNIGHT);
    let start = (midnight.unix_timestamp_nanos() / 1_000_000) as i64;
    let next = midnight + time::Duration::days(1);
    // Re-read the offset at the next midnight so a DST change inside the day is honoured.
    let next_local = next.replace_offset(offset_at(tz, (next.unix_timestamp_nanos() / 1_000_000) as i64));
    (start, (next_local.unix_timestamp_nanos() / 1_000_000) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moscow_is_three_hours_ahead_and_days_start_at_local_midnight() {
        // 2026-11-23T22:30:00Z is already the 24th in Moscow.
        let ms = 1_795_473_000_000;
        let l = local("Europe/Moscow", ms);
        assert_eq!((l.day(), l.hour(), l.minute()), (24, 1, 30));
        let (start, end) = day_bounds("Europe/Moscow", ms);
        assert_eq!(local("Europe/Moscow", start).hour(), 0);
        assert_eq!(end - start, 86_400_000);
        assert_eq!(local("UTC+05:00", ms).hour(), 3);
        assert!(is_known("Asia/Yekaterinburg") && !is_known("Mars/Olympus"));
    }
}
