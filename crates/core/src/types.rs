//! Value types that parse rather than validate: once a value has one of these types it is valid.
use std::str::FromStr;
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use crate::msg::{Common, Msg};

/// A column value in its storage form: ids, money and timestamps (Unix ms) are integers,
/// dates are `YYYY-MM-DD` text, custom fields are JSON text.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    Int(i64),
    Text(String),
    Bool(bool),
}

impl Val {
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Val::Int(i) => Some(*i),
            _ => None,
        }
    }
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Val::Text(s) => Some(s),
            _ => None,
        }
    }
    pub fn is_null(&self) -> bool {
        matches!(self, Val::Null)
    }
}

pub fn to_ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

pub fn from_ms(ms: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000).ok()
}

/// RFC 3339 in UTC with millisecond precision, the wire form of every timestamp.
pub fn format_ms(ms: i64) -> String {
    let Some(t) = from_ms(ms) else { return ms.to_string() };
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    t.format(&fmt).unwrap_or_else(|_| ms.to_string())
}

pub fn parse_timestamp(s: &str) -> Result<i64, Msg> {
    OffsetDateTime::parse(s, &Rfc3339).map(to_ms).map_err(|_| Common::NotTime { s: s.to_string() }.into())
}

/// A calendar day as spreadsheets and CRM exports write it: `2026-11-23`, `23.11.2026`,
/// `23/11/2026` or `23.11.26` (years of two digits are this century's); none when it is not one.
pub fn parse_loose_day(token: &str) -> Option<Date> {
    let parts: Vec<&str> = token.trim().split(['.', '/', '-']).collect();
    let num = |x: &str| x.parse::<i32>().ok();
    let (y, m, d) = match parts.as_slice() {
        [y, m, d] if y.len() == 4 => (num(y)?, num(m)?, num(d)?),
        [d, m, y] if y.len() == 4 => (num(y)?, num(m)?, num(d)?),
        [d, m, y] if y.len() == 2 => (2000 + num(y)?, num(m)?, num(d)?),
        _ => return None,
    };
    let month = u8::try_from(m).ok().and_then(|m| time::Month::try_from(m).ok())?;
    Date::from_calendar_date(y, month, u8::try_from(d).ok()?).ok()
}

pub fn parse_date(s: &str) -> Result<String, Msg> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s, &fmt).map(|d| d.format(&fmt).unwrap_or_default()).map_err(|_| Common::NotDate { s: s.to_string() }.into())
}

/// A lower-cased e-mail address with one `@`, a non-empty local part and a dotted domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(s: &str) -> Result<Self, Msg> {
        let s = s.trim().to_lowercase();
        let err = || Msg::from(Common::Email { s: s.clone() });
        if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c == '<' || c == '>') {
            return Err(err());
        }
        let (local, domain) = s.split_once('@').ok_or_else(err)?;
        let domain_ok = !domain.contains('@') && domain.contains('.') && domain.split('.').all(|p| !p.is_empty() && !p.starts_with('-'));
        if local.is_empty() || local.len() > 64 || !domain_ok {
            return Err(err());
        }
        Ok(Self(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn into_string(self) -> String {
        self.0
    }
}

/// A phone number in E.164 (`+79161234567`), parsed with the workspace's default region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(s: &str, default_region: &str) -> Result<Self, Msg> {
        let err = || Msg::from(Common::Phone { s: s.to_string() });
        let region = phonenumber::country::Id::from_str(default_region).ok();
        let digits = s.chars().filter(|c| c.is_ascii_digit()).count();
        if !(5..=17).contains(&digits) {
            return Err(err());
        }
        let valid = |text: &str, region| phonenumber::parse(region, text).ok().filter(phonenumber::is_valid);
        let n = valid(s, region).or_else(|| Self::international(s).and_then(|t| valid(&t, None))).ok_or_else(err)?;
        Ok(Self(n.format().mode(phonenumber::Mode::E164).to_string()))
    }

    /// The number read as international when it was written without `+` (telephony providers
    /// such as Ringostat send `380671112233`) or with the `00` international prefix: `+` and the
    /// digits, or `None` when it already carries a `+`.
    fn international(s: &str) -> Option<String> {
        let t = s.trim();
        if t.starts_with('+') {
            return None;
        }
        let digits: String = t.chars().filter(char::is_ascii_digit).collect();
        let digits = digits.strip_prefix("00").unwrap_or(&digits);
        (!digits.is_empty() && !digits.starts_with('0')).then(|| format!("+{digits}"))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn into_string(self) -> String {
        self.0
    }
}

/// An ISO 4217 currency code: three upper-case Latin letters.
pub fn parse_currency(s: &str) -> Result<String, Msg> {
    let up = s.trim().to_ascii_uppercase();
    if up.len() == 3 && up.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(up)
    } else {
        Err(Common::Currency { s: s.to_string() }.into())
    }
}

/// An absolute http(s) URL with a host.
pub fn parse_url(s: &str) -> Result<String, Msg> {
    let t = s.trim();
    let rest =
        t.strip_prefix("https://").or_else(|| t.strip_prefix("http://")).ok_or_else(|| Msg::from(Common::Url { s: s.to_string() }))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || t.chars().any(char::is_whitespace) || t.len() > 2048 {
        return Err(Common::Url { s: s.to_string() }.into());
    }
    Ok(t.to_string())
}

/// Workspace time zone: an IANA name such as `Europe/Moscow` or a fixed `UTC±HH:MM` offset.
/// The name must be in the bundled zone database.
pub fn parse_timezone(s: &str) -> Result<String, Msg> {
    if crate::zone::is_known(s) {
        Ok(s.to_string())
    } else {
        Err(Common::Timezone { s: s.to_string() }.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_become_e164_in_the_default_region() {
        assert_eq!(Phone::parse("8 (916) 123-45-67", "RU").map(Phone::into_string), Ok("+79161234567".into()));
        assert_eq!(Phone::parse("+7 916 123 45 67", "US").map(Phone::into_string), Ok("+79161234567".into()));
        assert!(Phone::parse("12", "RU").is_err());
        assert_eq!(Phone::parse("8 968 481-03-92", "RU").map(Phone::into_string), Ok("+79684810392".into()));
    }

    #[test]
    fn international_numbers_without_plus_or_with_00_are_read_as_international() {
        for raw in ["380671112233", "00380671112233", "00 380 67 111-22-33"] {
            assert_eq!(Phone::parse(raw, "RU").map(Phone::into_string), Ok("+380671112233".into()), "{raw}");
        }
        assert_eq!(Phone::parse("79161234567", "US").map(Phone::into_string), Ok("+79161234567".into()));
        assert_eq!(Phone::parse("0049 30 901820", "RU").map(Phone::into_string), Ok("+4930901820".into()));
        // A number valid in the region keeps its regional reading.
        assert_eq!(Phone::parse("89161234567", "RU").map(Phone::into_string), Ok("+79161234567".into()));
        assert!(Phone::parse("00", "RU").is_err());
        assert!(Phone::parse("not a phone", "RU").is_err());
    }

    #[test]
    fn emails_are_lower_cased_and_checked() {
        assert_eq!(Email::parse(" Ivan@Example.RU ").map(Email::into_string), Ok("ivan@example.ru".into()));
        for bad in ["ivan", "ivan@", "@x.ru", "a@b", "a b@c.ru", "a@@c.ru", "a@.ru"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn timestamps_round_trip_in_milliseconds() {
        let ms = parse_timestamp("2026-01-31T09:00:00.250+03:00");
        assert_eq!(ms.map(format_ms), Ok("2026-01-31T06:00:00.250Z".to_string()));
        assert!(parse_timestamp("yesterday").is_err());
        assert_eq!(parse_date("2026-02-28"), Ok("2026-02-28".into()));
        assert!(parse_date("2026-02-30").is_err());
    }

    #[test]
    fn currencies_and_urls() {
        assert_eq!(parse_currency("rub"), Ok("RUB".into()));
        assert!(parse_currency("RUBL").is_err());
        assert!(parse_url("https://example.ru/rec.mp3").is_ok());
        assert!(parse_url("javascript:alert(1)").is_err());
        assert!(parse_url("https:///x").is_err());
    }
}
