//! Client notifications as decisions: which events notify a client, on which channel, and when a
//! notification may go out given the workspace's quiet hours. Pure: the caller passes the
//! instant (from its [`crate::Clock`]) and the client's time zone; the store keeps the rules and
//! queues the messages.
use crate::schedule::{hm, minutes};
use crate::zone;

/// What happened to the client that may notify them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotifyEvent {
    /// A deal entered a stage (configured per stage): "your order is at stage X".
    StageEntry,
    /// A call from the client nobody answered: an apology with a call-back promise.
    MissedCall,
    /// The client's first answered call: the manager's business card.
    FirstCall,
}

impl NotifyEvent {
    pub const ALL: [NotifyEvent; 3] = [NotifyEvent::StageEntry, NotifyEvent::MissedCall, NotifyEvent::FirstCall];
    pub const NAMES: [&'static str; 3] = ["stage_entry", "missed_call", "first_call"];

    pub fn as_str(self) -> &'static str {
        match self {
            NotifyEvent::StageEntry => "stage_entry",
            NotifyEvent::MissedCall => "missed_call",
            NotifyEvent::FirstCall => "first_call",
        }
    }

    pub fn parse(s: &str) -> Option<NotifyEvent> {
        NotifyEvent::ALL.into_iter().find(|e| e.as_str() == s)
    }

    /// The template key a new rule of this event starts with (see the store's default templates).
    pub fn default_template(self) -> &'static str {
        match self {
            NotifyEvent::StageEntry => "stage_notice",
            NotifyEvent::MissedCall => "missed_call_apology",
            NotifyEvent::FirstCall => "business_card",
        }
    }
}

/// The channel a notification goes on: a fixed one, or the one the client last wrote on.
pub const NOTIFY_CHANNELS: [&str; 5] = ["sms", "email", "telegram", "whatsapp", "last"];

/// The channels "the client's last channel" may resolve to, as the client's inbound messages
/// name them; a client who never wrote gets SMS (they called or left a number).
pub fn resolve_channel(choice: &str, last_inbound: Option<&str>) -> &'static str {
    let fixed = |c: &str| NOTIFY_CHANNELS[..4].iter().copied().find(|x| *x == c);
    match choice {
        "last" => last_inbound.and_then(fixed).unwrap_or("sms"),
        other => fixed(other).unwrap_or("sms"),
    }
}

/// A daily window, in the client's local time, when no notification is sent: `from` to `to`,
/// minutes after midnight. `from > to` wraps past midnight (21:00–09:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub from: u16,
    pub to: u16,
}

impl QuietHours {
    /// `HH:MM-HH:MM` (a dash or an en dash); an empty window (from = to) is refused.
    pub fn parse(s: &str) -> Option<QuietHours> {
        let (a, b) = s.trim().split_once(['-', '–'])?;
        let (from, to) = (minutes(a.trim())?, minutes(b.trim())?);
        (from != to && from < 1440).then_some(QuietHours { from, to: to % 1440 })
    }

    pub fn text(&self) -> String {
        format!("{}-{}", hm(self.from), hm(self.to))
    }

    fn covers(&self, minute: u16) -> bool {
        if self.from < self.to {
            self.from <= minute && minute < self.to
        } else {
            minute >= self.from || minute < self.to
        }
    }

    /// When a notification due at `now` may go out in `tz`: `None` outside the window (at
    /// once), else the window's end in UTC milliseconds. Local minutes are counted from the
    /// current local time, so a change of the zone's offset inside the window shifts the end
    /// by that change at most.
    pub fn defer(&self, tz: &str, now: i64) -> Option<i64> {
        let local = zone::local(tz, now);
        let minute = local.hour() as u16 * 60 + local.minute() as u16;
        if !self.covers(minute) {
            return None;
        }
        let wait = (i64::from(self.to) - i64::from(minute)).rem_euclid(1440);
        let into_minute = i64::from(local.second()) * 1000 + i64::from(local.millisecond());
        let at = now + wait * 60_000 - into_minute;
        // Offset change (daylight saving) between now and then: keep the local wall time.
        let shift = (zone::offset_at(tz, now).whole_seconds() - zone::offset_at(tz, at).whole_seconds()) as i64 * 1000;
        Some(at + shift)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSK: &str = "Europe/Moscow";
    // 2026-12-07 00:00 UTC = 03:00 in Moscow.
    const MIDNIGHT_UTC: i64 = 1_796_601_600_000;

    fn at(h: i64, m: i64) -> i64 {
        // Moscow local time h:m on 2026-12-07 (UTC+3).
        MIDNIGHT_UTC + ((h - 3) * 60 + m) * 60_000
    }

    #[test]
    fn parses_and_prints() {
        let q = QuietHours::parse("21:00-09:00").unwrap();
        assert_eq!((q.from, q.to), (21 * 60, 9 * 60));
        assert_eq!(q.text(), "21:00-09:00");
        assert_eq!(QuietHours::parse("13:00 – 14:30").unwrap().text(), "13:00-14:30");
        assert_eq!(QuietHours::parse("09:00-09:00"), None);
        assert_eq!(QuietHours::parse("25:00-09:00"), None);
        assert_eq!(QuietHours::parse("nine"), None);
    }

    #[test]
    fn a_night_window_defers_to_its_morning() {
        let q = QuietHours::parse("21:00-09:00").unwrap();
        assert_eq!(q.defer(MSK, at(12, 0)), None, "midday goes at once");
        assert_eq!(q.defer(MSK, at(20, 59)), None);
        assert_eq!(q.defer(MSK, at(23, 30)), Some(at(24 + 9, 0)), "late evening waits for the next morning");
        assert_eq!(q.defer(MSK, at(5, 15)), Some(at(9, 0)), "early morning waits for 09:00 the same day");
        assert_eq!(q.defer(MSK, at(9, 0)), None, "the window's end is outside it");
        assert_eq!(q.defer(MSK, at(21, 0) + 1500), Some(at(24 + 9, 0)), "seconds into the minute do not leak");
    }

    #[test]
    fn the_clients_zone_decides() {
        let q = QuietHours::parse("21:00-09:00").unwrap();
        // 12:00 in Moscow is 19:00 in Vladivostok (UTC+10): fine; 15:00 in Moscow is 22:00 there.
        assert_eq!(q.defer("Asia/Vladivostok", at(12, 0)), None);
        let later = q.defer("Asia/Vladivostok", at(15, 0)).unwrap();
        assert_eq!(later, at(15 + 11, 0), "09:00 in Vladivostok is 02:00 in Moscow, 11 hours later");
    }

    #[test]
    fn a_daytime_window_does_not_wrap() {
        let q = QuietHours::parse("13:00-14:00").unwrap();
        assert_eq!(q.defer(MSK, at(13, 30)), Some(at(14, 0)));
        assert_eq!(q.defer(MSK, at(12, 59)), None);
        assert_eq!(q.defer(MSK, at(22, 0)), None);
    }

    #[test]
    fn the_last_channel_resolves() {
        assert_eq!(resolve_channel("last", Some("telegram")), "telegram");
        assert_eq!(resolve_channel("last", None), "sms");
        assert_eq!(resolve_channel("last", Some("form")), "sms");
        assert_eq!(resolve_channel("email", Some("telegram")), "email");
        assert_eq!(NotifyEvent::parse("missed_call"), Some(NotifyEvent::MissedCall));
        assert_eq!(NotifyEvent::NAMES, NotifyEvent::ALL.map(NotifyEvent::as_str));
    }
}
