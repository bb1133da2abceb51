use super::*;
use crate::types::to_ms;
use time::macros::{date, datetime};

const MSK: &str = "Europe/Moscow";
const BERLIN: &str = "Europe/Berlin";

fn cal(v: Value) -> BusinessHours {
    BusinessHours::parse(&v).unwrap()
}

/// Monday–Friday 09:00–18:00 with Monday 2026-11-30 off.
fn office() -> BusinessHours {
    cal(json!({"days": [1, 2, 3, 4, 5], "start": "09:00", "end": "18:00", "holidays": ["2026-11-30"]}))
}

fn lunch() -> BusinessHours {
    cal(json!({"days": [1, 2, 3, 4, 5], "hours": [["09:00", "13:00"], ["14:00", "18:00"]]}))
}

#[test]
fn parses_and_normalises() {
    let h = BusinessHours::parse(&json!({"days": [5, 1, 2], "start": "09:30", "end": "18:00", "holidays": ["2026-01-07", "2026-01-01"]}))
        .unwrap();
    assert_eq!(h.days, vec![1, 2, 5]);
    assert_eq!(h.hours, vec![(570, 1080)]);
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

#[test]
fn several_intervals_round_trip_in_canonical_form() {
    let h = cal(json!({"days": [1, 2], "hours": [["14:00", "18:00"], ["09:00", "13:00"]], "workdays": ["2026-11-28"]}));
    assert_eq!(h.hours, vec![(540, 780), (840, 1080)]);
    assert_eq!(h.workdays, vec![date!(2026 - 11 - 28)]);
    let j = h.to_json();
    assert_eq!(j, json!({"days": [1, 2], "hours": [["09:00", "13:00"], ["14:00", "18:00"]], "holidays": [], "workdays": ["2026-11-28"]}));
    assert_eq!(BusinessHours::parse(&j).unwrap(), h);

    // One interval is written as start/end whichever way it came in, so older clients keep reading it.
    let one = cal(json!({"days": [1], "hours": [["09:00", "24:00"]]}));
    assert_eq!(one.to_json(), json!({"days": [1], "start": "09:00", "end": "24:00", "holidays": [], "workdays": []}));
    assert_eq!(BusinessHours::parse(&one.to_json()).unwrap(), one);
    assert_eq!(BusinessHours::parse(&office().to_json()).unwrap(), office());
}

#[test]
fn rejects_bad_intervals_and_dates() {
    let fail = |v: Value| {
        let e = BusinessHours::parse(&v).unwrap_err();
        (e.field.clone(), e.message())
    };
    let days = |extra: Value| {
        let mut v = json!({"days": [1, 2, 3, 4, 5]});
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        v
    };
    assert_eq!(
        fail(days(json!({"hours": [["09:00", "13:00"], ["12:00", "18:00"]]}))),
        ("business_hours.hours".into(), "intervals 09:00–13:00 and 12:00–18:00 overlap".into())
    );
    let (field, msg) = fail(days(json!({"hours": [["13:00", "18:00"], ["09:00", "13:00"]]})));
    assert_eq!((field.as_str(), msg.contains("09:00–18:00")), ("business_hours.hours", true));
    let (field, msg) = fail(days(json!({"start": "09:00", "end": "18:00", "hours": [["09:00", "18:00"]]})));
    assert_eq!((field.as_str(), msg.as_str()), ("business_hours.hours", "give either start and end or hours, not both"));
    assert_eq!(fail(days(json!({"holidays": []}))).0, "business_hours.start");
    assert_eq!(fail(days(json!({"start": "09:00"}))).0, "business_hours.end");
    assert_eq!(fail(days(json!({"hours": [["13:00", "12:00"]]}))).1, "interval 13:00–12:00 must end after it starts");
    assert_eq!(fail(days(json!({"hours": [["09:00", "25:00"]]}))).1, "\"25:00\" is not a time HH:MM");
    assert_eq!(fail(days(json!({"hours": [["09:00"]]}))).0, "business_hours.hours");
    assert_eq!(fail(days(json!({"hours": []}))).0, "business_hours.hours");
    assert_eq!(fail(days(json!({"hours": "09:00-18:00"}))).0, "business_hours.hours");
    assert_eq!(fail(days(json!({"start": "09:00", "end": "18:00", "workdays": ["2026-02-30"]}))).0, "business_hours.workdays");
    assert_eq!(
        fail(days(json!({"start": "09:00", "end": "18:00", "holidays": ["2026-11-28"], "workdays": ["2026-11-28"]}))),
        ("business_hours.workdays".into(), "2026-11-28 is also listed as a holiday".into())
    );
    assert_eq!(fail(days(json!({"start": "09:00", "end": "18:00", "weekends": [6, 7]}))).0, "business_hours.weekends");
}

#[test]
fn an_hour_sla_late_on_friday_runs_over_the_holiday_into_tuesday() {
    let start = to_ms(datetime!(2026-11-27 17:30 +3));
    let due = office().add_working_minutes(MSK, start, 60);
    assert_eq!(due, to_ms(datetime!(2026-12-01 09:30 +3)));
    assert_eq!(office().working_minutes_between(MSK, start, due), 60);
    assert_eq!(office().working_minutes_between(MSK, due, start), 0);
    // Using up the rest of a day ends at closing time, not at the next opening.
    assert_eq!(office().add_working_minutes(MSK, start, 30), to_ms(datetime!(2026-11-27 18:00 +3)));
    assert_eq!(office().add_working_minutes(MSK, start, 0), start);
    assert_eq!(office().add_working_minutes(MSK, start, -5), start);
}

#[test]
fn a_working_day_sla_keeps_the_time_of_day() {
    let h = office();
    let start = to_ms(datetime!(2026-11-27 17:30 +3));
    assert_eq!(h.add_working_days(MSK, start, 1), to_ms(datetime!(2026-12-01 17:30 +3)));
    assert_eq!(h.add_working_days(MSK, start, 3), to_ms(datetime!(2026-12-03 17:30 +3)));
    assert_eq!(h.add_working_days(MSK, start, 0), start);
    // After hours the count starts from the next opening.
    let evening = to_ms(datetime!(2026-11-26 20:15 +3));
    assert_eq!(h.add_working_days(MSK, evening, 1), to_ms(datetime!(2026-12-01 09:00 +3)));
    // Seconds survive: the deadline is the same instant of the day.
    let odd = to_ms(datetime!(2026-11-25 10:07:33.250 +3));
    assert_eq!(h.add_working_days(MSK, odd, 1), to_ms(datetime!(2026-11-26 10:07:33.250 +3)));
}

#[test]
fn the_lunch_break_is_not_working_time() {
    let h = lunch();
    let at = |t: time::OffsetDateTime| to_ms(t);
    assert_eq!(h.add_working_minutes(MSK, at(datetime!(2026-11-25 12:30 +3)), 60), at(datetime!(2026-11-25 14:30 +3)));
    assert_eq!(h.add_working_minutes(MSK, at(datetime!(2026-11-25 13:15 +3)), 30), at(datetime!(2026-11-25 14:30 +3)));
    assert!(!h.is_working_time(MSK, at(datetime!(2026-11-25 13:00 +3))));
    assert!(h.is_working_time(MSK, at(datetime!(2026-11-25 12:59:59.999 +3))));
    assert!(h.is_working_time(MSK, at(datetime!(2026-11-25 14:00 +3))));
    assert_eq!(h.working_minutes_between(MSK, at(datetime!(2026-11-25 08:00 +3)), at(datetime!(2026-11-26 08:00 +3))), 480);
    // A whole day lands on the same time in the afternoon interval.
    assert_eq!(h.add_working_days(MSK, at(datetime!(2026-11-25 15:00 +3)), 1), at(datetime!(2026-11-26 15:00 +3)));
    assert_eq!(h.add_working_days(MSK, at(datetime!(2026-11-25 13:20 +3)), 1), at(datetime!(2026-11-26 14:00 +3)));
}

#[test]
fn a_saturday_night_start_waits_for_monday() {
    let h = lunch();
    let saturday_night = to_ms(datetime!(2026-11-28 23:40 +3));
    assert!(!h.is_working_time(MSK, saturday_night));
    assert_eq!(h.add_working_minutes(MSK, saturday_night, 30), to_ms(datetime!(2026-11-30 09:30 +3)));
    assert_eq!(h.add_working_days(MSK, saturday_night, 1), to_ms(datetime!(2026-12-01 09:00 +3)));
    // With that Monday a holiday it is Tuesday.
    assert_eq!(office().add_working_minutes(MSK, saturday_night, 30), to_ms(datetime!(2026-12-01 09:30 +3)));
}

#[test]
fn a_moved_working_saturday_works() {
    let h = cal(json!({"days": [1, 2, 3, 4, 5], "start": "09:00", "end": "18:00", "workdays": ["2026-11-28"]}));
    assert!(h.is_working_day(date!(2026 - 11 - 28)));
    assert!(!h.is_working_day(date!(2026 - 11 - 29)));
    assert!(!office().is_working_day(date!(2026 - 11 - 30)) && office().is_working_day(date!(2026 - 12 - 01)));
    assert!(h.is_working_time(MSK, to_ms(datetime!(2026-11-28 10:00 +3))));
    let friday = to_ms(datetime!(2026-11-27 17:30 +3));
    assert_eq!(h.add_working_minutes(MSK, friday, 60), to_ms(datetime!(2026-11-28 09:30 +3)));
    assert_eq!(h.add_working_days(MSK, friday, 1), to_ms(datetime!(2026-11-28 17:30 +3)));
}

#[test]
fn deadlines_follow_the_zones_dst_changes() {
    let h = cal(json!({"days": [1, 2, 3, 4, 5], "start": "09:00", "end": "18:00"}));
    // Berlin leaves summer time on Sunday 2026-10-25: Friday closes at 16:00Z, Monday opens at 08:00Z.
    let friday = to_ms(datetime!(2026-10-23 17:00 +2));
    assert_eq!(h.add_working_minutes(BERLIN, friday, 120), to_ms(datetime!(2026-10-26 10:00 +1)));
    assert_eq!(h.add_working_minutes(BERLIN, friday, 120), to_ms(datetime!(2026-10-26 09:00 UTC)));
    assert_eq!(h.add_working_days(BERLIN, to_ms(datetime!(2026-10-23 10:00 +2)), 1), to_ms(datetime!(2026-10-26 10:00 +1)));
    assert!(h.is_working_time(BERLIN, to_ms(datetime!(2026-10-26 08:00 UTC))));
    assert!(!h.is_working_time(BERLIN, to_ms(datetime!(2026-10-26 07:59 UTC))));

    // Round the clock: the autumn Sunday has 25 working hours, the spring one 23.
    let always = cal(json!({"days": [1, 2, 3, 4, 5, 6, 7], "start": "00:00", "end": "24:00"}));
    let day = |from, to| always.working_minutes_between(BERLIN, to_ms(from), to_ms(to));
    assert_eq!(day(datetime!(2026-10-25 00:00 +2), datetime!(2026-10-26 00:00 +1)), 25 * 60);
    assert_eq!(day(datetime!(2026-03-29 00:00 +1), datetime!(2026-03-30 00:00 +2)), 23 * 60);

    // An interval across the change lasts as long as the wall clock says; one inside the skipped hour vanishes.
    let night = cal(json!({"days": [7], "hours": [["02:00", "03:00"], ["04:00", "05:00"]]}));
    let sunday = |from, to| night.working_minutes_between(BERLIN, to_ms(from), to_ms(to));
    assert_eq!(sunday(datetime!(2026-10-25 00:00 +2), datetime!(2026-10-26 00:00 +1)), 180);
    assert_eq!(sunday(datetime!(2026-03-29 00:00 +1), datetime!(2026-03-30 00:00 +2)), 60);
    assert_eq!(night.add_working_minutes(BERLIN, to_ms(datetime!(2026-03-28 12:00 +1)), 30), to_ms(datetime!(2026-03-29 04:30 +2)));
    assert_eq!(night.add_working_minutes(BERLIN, to_ms(datetime!(2026-10-24 12:00 +2)), 90), to_ms(datetime!(2026-10-25 02:30 +1)));
}

#[test]
fn without_working_time_the_answer_falls_back_to_plain_time() {
    let never = BusinessHours { days: vec![1], hours: vec![], holidays: vec![], workdays: vec![] };
    let start = to_ms(datetime!(2026-11-27 17:30 +3));
    assert_eq!(never.add_working_minutes(MSK, start, 90), start + 90 * MINUTE_MS);
    assert_eq!(never.add_working_days(MSK, start, 2), start + 2 * DAY_MS);
    assert_eq!(never.working_minutes_between(MSK, start, start + DAY_MS), 0);
    assert!(!never.is_working_time(MSK, start));
    // Durations beyond the horizon and instants beyond the representable years do not overflow.
    assert_eq!(office().add_working_minutes(MSK, start, i64::MAX), i64::MAX);
    assert_eq!(office().add_working_minutes(MSK, i64::MAX - 5, 1), i64::MAX);
    assert_eq!(office().working_minutes_between(MSK, i64::MIN, i64::MAX), 0);
}

/// SplitMix64, so the randomised checks are the same on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: i64) -> i64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % n as u64) as i64
    }
}

#[test]
fn counting_back_undoes_adding() {
    let calendars = [
        (
            MSK,
            cal(json!({"days": [1, 2, 3, 4, 5], "hours": [["09:00", "13:00"], ["14:00", "18:00"]],
                "holidays": ["2026-01-01", "2026-01-02", "2026-01-07", "2026-11-30"], "workdays": ["2026-11-28"]})),
        ),
        (BERLIN, cal(json!({"days": [1, 2, 3, 4, 5], "hours": [["08:00", "12:00"], ["12:30", "17:00"]]}))),
        (BERLIN, cal(json!({"days": [6, 7], "hours": [["01:30", "02:30"], ["02:45", "03:15"], ["22:00", "24:00"]]}))),
        ("America/New_York", cal(json!({"days": [1, 3, 5], "start": "00:00", "end": "24:00"}))),
        ("Asia/Kathmandu", cal(json!({"days": [1, 2, 3, 4, 5, 6], "start": "10:00", "end": "17:00"}))),
    ];
    let from = to_ms(datetime!(2025-06-01 00:00 UTC));
    let mut rng = Rng(20_261_127);
    for (tz, h) in &calendars {
        for _ in 0..400 {
            let start = from + rng.below(2 * 365 * DAY_MS);
            let m = 1 + if rng.below(10) == 0 { rng.below(40_000) } else { rng.below(1_500) };
            let due = h.add_working_minutes(tz, start, m);
            let case = format!("{tz} start {start} + {m}");
            assert!(due > start, "{case}");
            assert_eq!(h.working_minutes_between(tz, start, due), m, "{case}");
            // The deadline is the first instant with m minutes done: a millisecond earlier was still working time.
            assert_eq!(h.working_minutes_between(tz, start, due - 1), m - 1, "{case}");
            assert!(h.is_working_time(tz, due - 1), "{case}");
        }
    }
}

#[test]
fn agrees_with_counting_minute_by_minute() {
    // Moscow keeps UTC+3 all year, so local time is plain arithmetic here, independent of the walk.
    let h = cal(json!({"days": [1, 2, 3, 4, 5], "hours": [["09:00", "13:00"], ["14:00", "18:00"]],
        "holidays": ["2026-11-30"], "workdays": ["2026-11-28"]}));
    let works = |t: i64| {
        let local = t + 3 * 3_600_000;
        let d = Date::from_julian_day((local.div_euclid(DAY_MS) + 2_440_588) as i32).unwrap();
        let minute = (local.rem_euclid(DAY_MS) / MINUTE_MS) as u16;
        let day = (h.days.contains(&d.weekday().number_from_monday()) && !h.holidays.contains(&d)) || h.workdays.contains(&d);
        day && h.hours.iter().any(|&(a, b)| a <= minute && minute < b)
    };
    let from = to_ms(datetime!(2026-11-20 00:00 +3));
    let mut rng = Rng(7);
    for _ in 0..300 {
        let start = from + rng.below(20 * 24 * 60) * MINUTE_MS;
        let m = 1 + rng.below(2_000);
        let (mut t, mut done) = (start, 0);
        while done < m {
            done += i64::from(works(t));
            t += MINUTE_MS;
        }
        assert_eq!(h.add_working_minutes(MSK, start, m), t, "start {start} + {m}");
        assert_eq!(h.is_working_time(MSK, start), works(start), "at {start}");
    }
}
