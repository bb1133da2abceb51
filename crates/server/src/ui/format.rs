//! How values read on a page: money with grouped thousands, dates in the workspace's zone and
//! the reader's language.
use super::i18n::Lang;
use poryadok_core::zone;

/// `12 345,67 ₽`: grouped thousands, two decimals, the currency sign where there is a common one.
pub fn money(minor: i64, currency: &str) -> String {
    let (units, cents) = (minor.unsigned_abs() / 100, minor.unsigned_abs() % 100);
    let digits = units.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push('\u{a0}');
        }
        grouped.push(c);
    }
    let sign = if minor < 0 { "-" } else { "" };
    let cur = match currency {
        "RUB" => "₽",
        "USD" => "$",
        "EUR" => "€",
        other => other,
    };
    if cents == 0 {
        format!("{sign}{grouped}\u{a0}{cur}")
    } else {
        format!("{sign}{grouped},{cents:02}\u{a0}{cur}")
    }
}

/// Formats values for one reader: their language, the workspace's time zone.
#[derive(Clone, Debug)]
pub struct Fmt {
    pub lang: Lang,
    pub tz: String,
}

const MONTHS_EN: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

impl Fmt {
    pub fn money(&self, minor: i64, currency: &str) -> String {
        money(minor, currency)
    }

    /// A count with its thousands grouped as the reader's language writes them: `12 345`, `12,345`.
    pub fn count(&self, n: i64) -> String {
        let digits = n.unsigned_abs().to_string();
        let sep = match self.lang {
            Lang::Ru => '\u{a0}',
            Lang::En => ',',
        };
        let mut out = String::from(if n < 0 { "-" } else { "" });
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(sep);
            }
            out.push(c);
        }
        out
    }

    /// A day: `23.11.2026` or `Nov 23, 2026`.
    pub fn day(&self, y: i32, m: u8, d: u8) -> String {
        match self.lang {
            Lang::Ru => format!("{d:02}.{m:02}.{y}"),
            Lang::En => format!("{} {d}, {y}", MONTHS_EN[usize::from(m.clamp(1, 12)) - 1]),
        }
    }

    /// A month, `YYYY-MM`, as a heading: `Декабрь 2026`, `December 2026` (unchanged if it does
    /// not parse).
    pub fn month(&self, ym: &str) -> String {
        const RU: [&str; 12] =
            ["Январь", "Февраль", "Март", "Апрель", "Май", "Июнь", "Июль", "Август", "Сентябрь", "Октябрь", "Ноябрь", "Декабрь"];
        const EN: [&str; 12] =
            ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
        let (y, m) = (ym.get(..4).and_then(|y| y.parse::<i32>().ok()), ym.get(5..7).and_then(|m| m.parse::<usize>().ok()));
        match (y, m) {
            (Some(y), Some(m)) if (1..=12).contains(&m) => {
                let names = if self.lang == Lang::Ru { RU } else { EN };
                format!("{} {y}", names[m - 1])
            }
            _ => ym.to_string(),
        }
    }

    /// An instant as its local date.
    pub fn date(&self, ms: i64) -> String {
        let l = zone::local(&self.tz, ms);
        self.day(l.year(), l.month() as u8, l.day())
    }

    /// An instant as local date and time: `23.11.2026 14:05`.
    pub fn datetime(&self, ms: i64) -> String {
        let l = zone::local(&self.tz, ms);
        format!("{} {:02}:{:02}", self.day(l.year(), l.month() as u8, l.day()), l.hour(), l.minute())
    }

    /// A stored `YYYY-MM-DD` date as the reader writes it (unchanged if it does not parse).
    pub fn date_str(&self, s: &str) -> String {
        let mut it = s.splitn(3, '-').map(|p| p.parse::<i32>().ok());
        match (it.next().flatten(), it.next().flatten(), it.next().flatten()) {
            (Some(y), Some(m), Some(d)) if (1..=12).contains(&m) => self.day(y, m as u8, d as u8),
            _ => s.to_string(),
        }
    }

    /// The value for an `<input type="datetime-local">`: local `YYYY-MM-DDTHH:MM`.
    pub fn input_datetime(&self, ms: i64) -> String {
        let l = zone::local(&self.tz, ms);
        format!("{:04}-{:02}-{:02}T{:02}:{:02}", l.year(), l.month() as u8, l.day(), l.hour(), l.minute())
    }

    /// A local `YYYY-MM-DDTHH:MM` from a form, as UTC milliseconds.
    pub fn parse_input_datetime(&self, s: &str) -> Option<i64> {
        let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
        let local = time::PrimitiveDateTime::parse(s.trim(), &fmt).ok()?;
        // The offset at that wall-clock time: read it at the naive UTC instant and correct once.
        let naive_ms = (local.assume_utc().unix_timestamp_nanos() / 1_000_000) as i64;
        let off = zone::offset_at(&self.tz, naive_ms).whole_seconds() as i64 * 1000;
        let guess = naive_ms - off;
        let off2 = zone::offset_at(&self.tz, guess).whole_seconds() as i64 * 1000;
        Some(naive_ms - off2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_grouped_with_its_sign() {
        assert_eq!(money(123_456_789, "RUB"), "1\u{a0}234\u{a0}567,89\u{a0}₽");
        assert_eq!(money(5, "USD"), "0,05\u{a0}$");
        assert_eq!(money(-100_000, "KZT"), "-1\u{a0}000\u{a0}KZT");
    }

    #[test]
    fn dates_read_in_the_reader_language_and_the_workspace_zone() {
        let ru = Fmt { lang: Lang::Ru, tz: "Europe/Moscow".into() };
        let en = Fmt { lang: Lang::En, tz: "Europe/Moscow".into() };
        let ms = 1_795_473_000_000; // 2026-11-23T22:30Z = 24th 01:30 in Moscow
        assert_eq!(ru.datetime(ms), "24.11.2026 01:30");
        assert_eq!(en.date(ms), "Nov 24, 2026");
        assert_eq!(ru.date_str("2026-03-08"), "08.03.2026");
        assert_eq!(ru.parse_input_datetime(&ru.input_datetime(ms)), Some(ms));
        assert_eq!(ru.parse_input_datetime("tomorrow"), None);
    }
}
