//! Marketing spend: what advertising cost per local day and channel / medium / campaign /
//! keyword (term), in the workspace currency's minor units — the checks a row passes before it
//! is stored, a period's total spread over its days, and channel names normalised through the
//! workspace's aliases (`Яндекс.Директ`, `ya.ru`, `direct` → `yandex`).
//!
//! Who writes spend: heads of sales, administrators and analysts (the marketer's role); the
//! same roles read it. Managers neither read nor write it.
use crate::domain::Role;
use crate::msg::{Msg, SpendMsg};
use std::collections::HashMap;
use time::Date;

/// The first and last days a spend row may be for.
pub const FIRST_DAY: &str = "2000-01-01";
pub const LAST_DAY: &str = "2100-12-31";
/// The largest amount of one row: ten trillion currency units in minor units.
pub const MAX_AMOUNT: i64 = 1_000_000_000_000_000;
/// The largest count of impressions or clicks of one row.
pub const MAX_COUNT: i64 = 1_000_000_000_000;
/// Characters of a channel, medium, campaign or term at most.
pub const MAX_TEXT: usize = 255;
/// The longest period a total is spread over.
pub const MAX_PERIOD_DAYS: i64 = 366;

/// Who enters spend: heads of sales, administrators and analysts.
pub fn may_write(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Head | Role::Analyst)
}

/// Who reads spend: the same roles.
pub fn may_read(role: Role) -> bool {
    may_write(role)
}

const DAY_FMT: &[time::format_description::FormatItem<'static>] = time::macros::format_description!("[year]-[month]-[day]");

/// A day as `YYYY-MM-DD`.
pub fn day_key(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day())
}

/// A day written `YYYY-MM-DD`, within [`FIRST_DAY`] … [`LAST_DAY`].
pub fn parse_day(raw: &str) -> Result<Date, Msg> {
    let s = raw.trim();
    let d = Date::parse(s, DAY_FMT).map_err(|_| SpendMsg::DayShape { raw: s.to_string() })?;
    check_day(d)
}

/// A day within [`FIRST_DAY`] … [`LAST_DAY`].
pub fn check_day(d: Date) -> Result<Date, Msg> {
    if (2000..=2100).contains(&d.year()) {
        Ok(d)
    } else {
        Err(SpendMsg::DayRange { raw: day_key(d) }.into())
    }
}

/// An amount in minor units: zero or more, at most [`MAX_AMOUNT`].
pub fn check_amount(amount: i64) -> Result<i64, Msg> {
    if amount < 0 {
        Err(SpendMsg::AmountNegative {}.into())
    } else if amount > MAX_AMOUNT {
        Err(SpendMsg::AmountTooLarge {}.into())
    } else {
        Ok(amount)
    }
}

/// Impressions or clicks: zero or more.
pub fn check_count(n: i64) -> Result<i64, Msg> {
    if (0..=MAX_COUNT).contains(&n) {
        Ok(n)
    } else {
        Err(SpendMsg::CountShape {}.into())
    }
}

/// The currency a row names: only the workspace's own is accepted (spend is never converted).
pub fn check_currency(given: &str, workspace: &str) -> Result<(), Msg> {
    let g = given.trim();
    let known = match g.to_lowercase().trim_end_matches('.') {
        "руб" | "рубль" | "рубли" | "рублей" | "р" | "₽" | "rur" => "RUB".to_string(),
        "$" => "USD".to_string(),
        "€" => "EUR".to_string(),
        other => other.to_ascii_uppercase(),
    };
    if known == workspace.to_ascii_uppercase() {
        Ok(())
    } else {
        Err(SpendMsg::Currency { currency: workspace.to_string(), given: g.to_string() }.into())
    }
}

/// A medium, campaign or term as stored: trimmed, inner runs of spaces as one, at most
/// [`MAX_TEXT`] characters; empty stands for "not given".
pub fn clean_text(raw: &str) -> Result<String, Msg> {
    let s = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() > MAX_TEXT {
        return Err(SpendMsg::TextTooLong { max: MAX_TEXT as i64 }.into());
    }
    Ok(s)
}

/// A medium as stored: like [`clean_text`], lower-cased (`CPC` is `cpc`, as UTM marks are written).
pub fn clean_medium(raw: &str) -> Result<String, Msg> {
    clean_text(raw).map(|s| s.to_lowercase())
}

/// How a channel name is looked up: trimmed, lower-case, inner runs of spaces as one, `ё` as `е`.
pub fn alias_key(raw: &str) -> String {
    raw.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase().replace('ё', "е")
}

/// The aliases every workspace starts with: how the common sources are written in UTM marks,
/// cabinets and by hand, and the channel each stands for. Editable per workspace.
pub const DEFAULT_ALIASES: &[(&str, &str)] = &[
    ("yandex", "yandex"),
    ("ya.ru", "yandex"),
    ("yandex.ru", "yandex"),
    ("яндекс", "yandex"),
    ("яндекс.директ", "yandex"),
    ("яндекс директ", "yandex"),
    ("yandex direct", "yandex"),
    ("yandex.direct", "yandex"),
    ("direct", "yandex"),
    ("директ", "yandex"),
    ("vk", "vk"),
    ("vk.com", "vk"),
    ("vkontakte", "vk"),
    ("вконтакте", "vk"),
    ("вк", "vk"),
    ("vk ads", "vk"),
    ("vk реклама", "vk"),
    ("google", "google"),
    ("google ads", "google"),
    ("google.com", "google"),
    ("adwords", "google"),
    ("гугл", "google"),
];

/// A workspace's channel aliases: alias key (see [`alias_key`]) → channel.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Aliases(HashMap<String, String>);

impl Aliases {
    pub fn new(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        Aliases(pairs.into_iter().map(|(a, c)| (alias_key(&a), c)).collect())
    }

    /// The built-in aliases alone.
    pub fn defaults() -> Self {
        Aliases::new(DEFAULT_ALIASES.iter().map(|(a, c)| (a.to_string(), c.to_string())))
    }

    /// The channel a name stands for: its alias's channel, else the name itself as a key
    /// (trimmed, lower-case). An empty name is refused.
    pub fn channel(&self, raw: &str) -> Result<String, Msg> {
        let key = alias_key(raw);
        if key.is_empty() {
            return Err(SpendMsg::ChannelEmpty {}.into());
        }
        let channel = self.0.get(&key).cloned().unwrap_or(key);
        if channel.chars().count() > MAX_TEXT {
            return Err(SpendMsg::TextTooLong { max: MAX_TEXT as i64 }.into());
        }
        Ok(channel)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// `total` spread over `days` days in whole minor units: each day gets `total / days`, and the
/// first `total % days` days one more, so the parts add up to the total exactly.
pub fn split_evenly(total: i64, days: usize) -> Vec<i64> {
    if days == 0 {
        return Vec::new();
    }
    let n = days as i64;
    let (each, rest) = (total.div_euclid(n), total.rem_euclid(n));
    (0..n).map(|i| each + i64::from(i < rest)).collect()
}

/// The days `from` … `to` inclusive, at most [`MAX_PERIOD_DAYS`]; the field named is `to`.
pub fn days_of(from: Date, to: Date) -> Result<Vec<Date>, Msg> {
    if to < from {
        return Err(SpendMsg::PeriodOrder {}.into());
    }
    let n = (to - from).whole_days() + 1;
    if n > MAX_PERIOD_DAYS {
        return Err(SpendMsg::PeriodTooLong { max: MAX_PERIOD_DAYS }.into());
    }
    let mut out = Vec::with_capacity(n as usize);
    let mut d = from;
    while d <= to {
        out.push(d);
        match d.next_day() {
            Some(next) => d = next,
            None => break,
        }
    }
    Ok(out)
}

/// One spend row as entered or read from a file, before its checks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RawSpend {
    pub channel: String,
    pub medium: String,
    pub campaign: String,
    pub term: String,
    pub amount: i64,
    pub impressions: Option<i64>,
    pub clicks: Option<i64>,
    /// The currency the row is in, when it says.
    pub currency: Option<String>,
}

/// A checked spend row of one day, as stored: the channel normalised, the texts cleaned.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SpendLine {
    pub day: String,
    pub channel: String,
    pub medium: String,
    pub campaign: String,
    pub term: String,
    pub amount: i64,
    pub impressions: Option<i64>,
    pub clicks: Option<i64>,
}

impl SpendLine {
    /// What makes a row one of its kind: the day, channel, medium, campaign and term.
    pub fn key(&self) -> (String, String, String, String, String) {
        (self.day.clone(), self.channel.clone(), self.medium.clone(), self.campaign.clone(), self.term.clone())
    }
}

/// The checks of a row's parts besides the day, in a fixed order; a refusal names its field.
pub fn check(raw: &RawSpend, aliases: &Aliases, currency: &str) -> Result<SpendLine, (&'static str, Msg)> {
    if let Some(c) = raw.currency.as_deref().filter(|c| !c.trim().is_empty()) {
        check_currency(c, currency).map_err(|m| ("currency", m))?;
    }
    let channel = aliases.channel(&raw.channel).map_err(|m| ("channel", m))?;
    let medium = clean_medium(&raw.medium).map_err(|m| ("medium", m))?;
    let campaign = clean_text(&raw.campaign).map_err(|m| ("campaign", m))?;
    let term = clean_text(&raw.term).map_err(|m| ("term", m))?;
    let amount = check_amount(raw.amount).map_err(|m| ("amount", m))?;
    let impressions = raw.impressions.map(check_count).transpose().map_err(|m| ("impressions", m))?;
    let clicks = raw.clicks.map(check_count).transpose().map_err(|m| ("clicks", m))?;
    Ok(SpendLine { day: String::new(), channel, medium, campaign, term, amount, impressions, clicks })
}

/// A period's row spread over its days: the amount, impressions and clicks each split evenly.
pub fn spread(line: &SpendLine, days: &[Date]) -> Vec<SpendLine> {
    let amounts = split_evenly(line.amount, days.len());
    let impressions = line.impressions.map(|n| split_evenly(n, days.len()));
    let clicks = line.clicks.map(|n| split_evenly(n, days.len()));
    days.iter()
        .enumerate()
        .map(|(i, d)| SpendLine {
            day: day_key(*d),
            amount: amounts[i],
            impressions: impressions.as_ref().map(|v| v[i]),
            clicks: clicks.as_ref().map(|v| v[i]),
            ..line.clone()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Date {
        Date::parse(s, DAY_FMT).unwrap()
    }

    #[test]
    fn a_total_is_spread_to_the_minor_unit() {
        assert_eq!(split_evenly(1000, 3), vec![334, 333, 333]);
        assert_eq!(split_evenly(2, 3), vec![1, 1, 0]);
        assert_eq!(split_evenly(0, 2), vec![0, 0]);
        assert_eq!(split_evenly(5, 0), Vec::<i64>::new());
        for (total, n) in [(100_000_001, 30), (7, 31), (99_999, 7), (1, 366)] {
            let parts = split_evenly(total, n);
            assert_eq!(parts.iter().sum::<i64>(), total);
            assert!(parts.iter().max().unwrap() - parts.iter().min().unwrap() <= 1);
        }
        let days = days_of(day("2026-11-01"), day("2026-11-30")).unwrap();
        assert_eq!(days.len(), 30);
        let line = SpendLine {
            day: String::new(),
            channel: "yandex".into(),
            medium: String::new(),
            campaign: "brand".into(),
            term: String::new(),
            amount: 1_000_000,
            impressions: Some(45),
            clicks: None,
        };
        let rows = spread(&line, &days);
        assert_eq!((rows[0].day.as_str(), rows[0].amount, rows[0].impressions), ("2026-11-01", 33_334, Some(2)));
        assert_eq!((rows[29].day.as_str(), rows[29].amount, rows[29].impressions), ("2026-11-30", 33_333, Some(1)));
        assert_eq!(rows.iter().map(|r| r.amount).sum::<i64>(), 1_000_000);
        assert_eq!(rows.iter().filter_map(|r| r.impressions).sum::<i64>(), 45);
        assert_eq!(days_of(day("2026-11-02"), day("2026-11-01")).unwrap_err().code(), "spend_period_order");
        assert_eq!(days_of(day("2026-01-01"), day("2027-01-02")).unwrap_err().code(), "spend_period_too_long");
        assert_eq!(days_of(day("2028-01-01"), day("2028-12-31")).unwrap().len(), 366);
    }

    #[test]
    fn channels_are_normalised_through_aliases() {
        let a = Aliases::defaults();
        for raw in ["yandex", " Yandex ", "YA.RU", "Яндекс.Директ", "яндекс  директ", "Direct"] {
            assert_eq!(a.channel(raw).unwrap(), "yandex", "{raw}");
        }
        for raw in ["VK", "vk.com", "ВКонтакте", "VK Ads", "vkontakte"] {
            assert_eq!(a.channel(raw).unwrap(), "vk", "{raw}");
        }
        for raw in ["Google Ads", "AdWords", "google"] {
            assert_eq!(a.channel(raw).unwrap(), "google", "{raw}");
        }
        assert_eq!(a.channel(" PromoPages ").unwrap(), "promopages");
        assert_eq!(a.channel("  ").unwrap_err().code(), "spend_channel_empty");
        let custom = Aliases::new([("Дзен".to_string(), "promopages".to_string())]);
        assert_eq!(custom.channel("дзен").unwrap(), "promopages");
    }

    #[test]
    fn a_row_is_checked_field_by_field() {
        let a = Aliases::defaults();
        let ok = RawSpend {
            channel: "Яндекс".into(),
            medium: " CPC ".into(),
            campaign: " brand  msk ".into(),
            amount: 150_000,
            ..Default::default()
        };
        let line = check(&ok, &a, "RUB").unwrap();
        assert_eq!((line.channel.as_str(), line.medium.as_str(), line.campaign.as_str()), ("yandex", "cpc", "brand msk"));
        let field = |r: RawSpend| check(&r, &a, "RUB").unwrap_err();
        let (f, m) = field(RawSpend { amount: -1, ..ok.clone() });
        assert_eq!((f, m.code()), ("amount", "spend_amount_negative"));
        let (f, m) = field(RawSpend { currency: Some("USD".into()), ..ok.clone() });
        assert_eq!((f, m.code()), ("currency", "spend_currency"));
        assert!(check(&RawSpend { currency: Some("руб.".into()), ..ok.clone() }, &a, "RUB").is_ok());
        assert!(check(&RawSpend { currency: Some("rub".into()), ..ok.clone() }, &a, "RUB").is_ok());
        let (f, m) = field(RawSpend { channel: String::new(), ..ok.clone() });
        assert_eq!((f, m.code()), ("channel", "spend_channel_empty"));
        let (f, _) = field(RawSpend { clicks: Some(-3), ..ok.clone() });
        assert_eq!(f, "clicks");
        let (f, _) = field(RawSpend { term: "x".repeat(300), ..ok.clone() });
        assert_eq!(f, "term");
        assert_eq!(parse_day("1999-12-31").unwrap_err().code(), "spend_day_range");
        assert_eq!(parse_day("2101-01-01").unwrap_err().code(), "spend_day_range");
        assert_eq!(parse_day("23.11.2026").unwrap_err().code(), "spend_day_shape");
        assert_eq!(day_key(parse_day(" 2026-11-23 ").unwrap()), "2026-11-23");
        assert!(may_write(Role::Analyst) && may_write(Role::Head) && !may_write(Role::Manager) && !may_read(Role::Consultant));
    }
}
