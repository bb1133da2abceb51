//! End-to-end analytics: which of a deal's marketing touches gets the credit for it, the
//! channel, campaign and keyword that touch names, and what a marketing report computes from
//! spend, leads, sales and revenue.
//!
//! * A deal's **touches** are the rows intake records for it (a call, a form, a message with its
//!   UTM marks), oldest first. A deal with no such row (entered by hand, through the API or an
//!   import) has its own UTM fields as its one touch; a deal with neither has none.
//! * **Models**: the first touch, the last touch, or the last non-direct touch — the latest
//!   touch that is not [direct](is_direct), or the last touch when every one is direct.
//! * A touch's **channel** is its `utm_source` through the workspace's channel aliases (every
//!   workspace starts with [`crate::spend::DEFAULT_ALIASES`] and edits them; spend rows go through
//!   the same table), looked up as [`crate::spend::alias_key`] writes it. A direct touch and a
//!   touch without a source have no channel: the report's "no source", like a deal without any
//!   touch.
//! * **Campaign** and **keyword** (`utm_campaign`, `utm_term`) are compared the same way (trimmed,
//!   case and inner spaces ignored), so `Brand ` in a mark and `brand` in a cabinet are one.
//!
//! The store picks the touches in SQL by these same rules; the report's tests compare.
use crate::spend::{alias_key, DEFAULT_ALIASES};
use std::collections::HashMap;

/// Which touch gets the credit for a deal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Model {
    First,
    Last,
    LastNonDirect,
}

impl Model {
    pub const ALL: [Model; 3] = [Model::First, Model::Last, Model::LastNonDirect];

    pub fn as_str(self) -> &'static str {
        match self {
            Model::First => "first",
            Model::Last => "last",
            Model::LastNonDirect => "last_non_direct",
        }
    }

    pub fn parse(s: &str) -> Option<Model> {
        Model::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// `utm_source` values that say the visitor came directly.
pub const DIRECT_SOURCES: [&str; 2] = ["direct", "(direct)"];

fn given(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|v| !v.is_empty())
}

/// A direct touch: no source and no referrer, or a source that says "direct".
pub fn is_direct(source: Option<&str>, referrer: Option<&str>) -> bool {
    match given(source) {
        Some(s) => DIRECT_SOURCES.contains(&alias_key(s).as_str()),
        None => given(referrer).is_none(),
    }
}

/// The touch of `touches` (oldest first) that `model` credits; `direct` tells a direct touch.
pub fn choose<T>(touches: &[T], model: Model, direct: impl Fn(&T) -> bool) -> Option<&T> {
    match model {
        Model::First => touches.first(),
        Model::Last => touches.last(),
        Model::LastNonDirect => touches.iter().rev().find(|t| !direct(t)).or_else(|| touches.last()),
    }
}

/// Channel names through a workspace's aliases: alias key → channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Channels {
    aliases: HashMap<String, String>,
}

impl Default for Channels {
    /// The built-in aliases a workspace starts with.
    fn default() -> Self {
        Channels::new(DEFAULT_ALIASES.iter().map(|(a, c)| (a.to_string(), c.to_string())))
    }
}

impl Channels {
    /// A workspace's `(alias, channel)` rows.
    pub fn new(rows: impl IntoIterator<Item = (String, String)>) -> Self {
        let aliases =
            rows.into_iter().map(|(a, c)| (alias_key(&a), alias_key(&c))).filter(|(a, c)| !a.is_empty() && !c.is_empty()).collect();
        Channels { aliases }
    }

    /// The channel a `utm_source` stands for; none for no source or a direct one.
    pub fn channel(&self, source: Option<&str>) -> Option<String> {
        let key = alias_key(given(source)?);
        if DIRECT_SOURCES.contains(&key.as_str()) {
            return None;
        }
        Some(self.aliases.get(&key).cloned().unwrap_or(key))
    }

    /// The channel of a spend row's channel name (no direct sources there: `direct` in a cabinet
    /// is Yandex Direct when an alias says so).
    pub fn spend_channel(&self, name: &str) -> Option<String> {
        let key = alias_key(name);
        (!key.is_empty()).then(|| self.aliases.get(&key).cloned().unwrap_or(key))
    }

    /// Every alias and its channel, sorted by alias (for SQL that normalises in the database).
    pub fn pairs(&self) -> Vec<(&str, &str)> {
        let mut v: Vec<(&str, &str)> = self.aliases.iter().map(|(a, c)| (a.as_str(), c.as_str())).collect();
        v.sort();
        v
    }
}

/// How a campaign or keyword is compared: trimmed, lower-case, inner spaces as one; none when empty.
pub fn text_key(v: Option<&str>) -> Option<String> {
    given(v).map(alias_key).filter(|k| !k.is_empty())
}

/// A row of a marketing report: what was spent and what came of it. Money in minor units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Figures {
    pub spend: i64,
    pub impressions: i64,
    pub clicks: i64,
    /// Leads: deals created (not closed as not a lead).
    pub leads: i64,
    /// Of them, deals: taken past the first stage of their pipeline, or won.
    pub deals: i64,
    /// Sales: won deals (or deals that paid), and their revenue.
    pub won: i64,
    pub revenue: i64,
}

fn per(n: i64, d: i64) -> Option<i64> {
    (d > 0).then(|| (n as f64 / d as f64).round() as i64)
}

fn share(n: i64, d: i64) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

impl Figures {
    pub fn add(&mut self, o: &Figures) {
        self.spend += o.spend;
        self.impressions += o.impressions;
        self.clicks += o.clicks;
        self.leads += o.leads;
        self.deals += o.deals;
        self.won += o.won;
        self.revenue += o.revenue;
    }

    /// Spend ÷ leads, minor units; none without spend (leads that cost no advertising have no
    /// price to compare).
    pub fn cost_per_lead(&self) -> Option<i64> {
        per(self.spend, self.leads).filter(|_| self.spend > 0)
    }

    /// Spend ÷ sales, minor units; none without spend.
    pub fn cost_per_sale(&self) -> Option<i64> {
        per(self.spend, self.won).filter(|_| self.spend > 0)
    }

    /// Sales ÷ leads.
    pub fn conversion(&self) -> Option<f64> {
        share(self.won, self.leads)
    }

    /// Revenue ÷ sales, minor units.
    pub fn average_check(&self) -> Option<i64> {
        per(self.revenue, self.won)
    }

    /// Return on marketing investment: (revenue − spend) ÷ spend.
    pub fn romi(&self) -> Option<f64> {
        share(self.revenue - self.spend, self.spend)
    }

    /// The share of spend in revenue: spend ÷ revenue.
    pub fn spend_share(&self) -> Option<f64> {
        share(self.spend, self.revenue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct T(Option<&'static str>, Option<&'static str>);

    fn pick(touches: &[T], model: Model) -> Option<Option<&'static str>> {
        choose(touches, model, |t| is_direct(t.0, t.1)).map(|t| t.0)
    }

    #[test]
    fn each_model_credits_its_touch() {
        let path = [T(Some("yandex"), None), T(Some("vk"), None), T(None, None), T(Some("(direct)"), Some("https://x.example/"))];
        assert_eq!(pick(&path, Model::First), Some(Some("yandex")));
        assert_eq!(pick(&path, Model::Last), Some(Some("(direct)")));
        assert_eq!(pick(&path, Model::LastNonDirect), Some(Some("vk")), "direct visits after vk leave the credit with vk");
        // A referral without marks is not direct.
        let referred = [T(Some("yandex"), None), T(None, Some("https://blog.example/"))];
        assert_eq!(pick(&referred, Model::LastNonDirect), Some(None));
        // Only direct touches: the last one.
        let direct = [T(None, None), T(Some("Direct"), None)];
        assert_eq!(pick(&direct, Model::LastNonDirect), Some(Some("Direct")));
        assert_eq!(pick(&[], Model::First), None);
        assert!(is_direct(Some(" DIRECT "), Some("https://x.example/")) && is_direct(Some(""), Some(" ")));
        assert!(!is_direct(Some("yandex"), None) && !is_direct(None, Some("https://x.example/")));
        for m in Model::ALL {
            assert_eq!(Model::parse(m.as_str()), Some(m));
        }
        assert_eq!(Model::parse("linear"), None);
    }

    #[test]
    fn channels_go_through_the_aliases() {
        let c = Channels::default();
        for raw in ["yandex", " Ya.ru", "Яндекс.Директ", "ЯНДЕКС"] {
            assert_eq!(c.channel(Some(raw)).as_deref(), Some("yandex"), "{raw}");
        }
        for raw in ["vk", "VK.com", "ВКонтакте"] {
            assert_eq!(c.channel(Some(raw)).as_deref(), Some("vk"), "{raw}");
        }
        assert_eq!(c.channel(Some("AdWords")).as_deref(), Some("google"));
        assert_eq!(c.channel(Some(" PromoPages ")).as_deref(), Some("promopages"));
        assert_eq!((c.channel(None), c.channel(Some("  ")), c.channel(Some("(direct)"))), (None, None, None));
        assert_eq!(c.spend_channel("Direct").as_deref(), Some("yandex"), "a cabinet's Direct is Yandex Direct");
        // A workspace's own rows: what it kept, changed and added.
        let w = Channels::new([("ya.ru".to_string(), "Yandex Search".to_string()), ("Дзен".to_string(), "PromoPages".to_string())]);
        assert_eq!(w.channel(Some("ya.ru")).as_deref(), Some("yandex search"));
        assert_eq!(w.channel(Some("дзен")).as_deref(), Some("promopages"));
        assert_eq!(w.channel(Some("Яндекс")).as_deref(), Some("яндекс"), "an alias it removed is a channel of its own");
        assert_eq!(text_key(Some("  Brand  Moscow ")).as_deref(), Some("brand moscow"));
        assert_eq!(text_key(Some(" ")), None);
    }

    #[test]
    fn the_seed_ranks_by_sales_not_leads() {
        // Four channels, 10 000 ₽ each; Yandex: 10 leads, all buy; PromoPages: 50 leads, 5 buy;
        // every sale 5 000 ₽.
        let yandex = Figures { spend: 1_000_000, leads: 10, deals: 10, won: 10, revenue: 5_000_000, ..Figures::default() };
        let promo = Figures { spend: 1_000_000, leads: 50, deals: 20, won: 5, revenue: 2_500_000, ..Figures::default() };
        assert_eq!((yandex.cost_per_lead(), promo.cost_per_lead()), (Some(100_000), Some(20_000)), "PromoPages looks cheaper");
        assert_eq!((yandex.cost_per_sale(), promo.cost_per_sale()), (Some(100_000), Some(200_000)), "until sales are counted");
        assert_eq!((yandex.romi(), promo.romi()), (Some(4.0), Some(1.5)));
        assert_eq!((yandex.conversion(), promo.conversion()), (Some(1.0), Some(0.1)));
        assert_eq!((yandex.spend_share(), yandex.average_check()), (Some(0.2), Some(500_000)));
        // Nothing to divide by: none, never a division error.
        let idle = Figures { spend: 1_000_000, ..Figures::default() };
        assert_eq!((idle.cost_per_lead(), idle.cost_per_sale(), idle.conversion(), idle.average_check()), (None, None, None, None));
        assert_eq!((idle.romi(), idle.spend_share()), (Some(-1.0), None));
        assert_eq!(Figures::default().romi(), None);
        let free = Figures { leads: 4, won: 1, revenue: 500_000, ..Figures::default() };
        assert_eq!((free.cost_per_lead(), free.cost_per_sale(), free.romi(), free.spend_share()), (None, None, None, Some(0.0)));
    }
}
