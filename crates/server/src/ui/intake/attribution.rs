//! The deal card's attribution block: where the deal came from — its own attribution fields, the
//! channel, campaign and keyword each attribution model credits it to (as the marketing report
//! counts it), and the path of its touches.
use super::*;
use poryadok_core::attribution::{choose, is_direct, text_key, Channels, Model};

pub struct AttrLine {
    pub label: &'static str,
    pub value: String,
}

pub struct TouchView {
    pub channel: String,
    pub when: String,
    /// "source / medium / campaign", the parts the touch has.
    pub utm: String,
}

/// What one attribution model credits the deal to.
pub struct ModelLine {
    pub label: String,
    /// "channel · campaign · keyword", the parts there are; "no source" without a channel.
    pub value: String,
}

/// A deal's first touch (its own attribution fields) and every touch since.
#[derive(Default)]
pub struct Attribution {
    pub lines: Vec<AttrLine>,
    pub touches: Vec<TouchView>,
    /// First, last and last non-direct touch.
    pub models: Vec<ModelLine>,
    /// The touches' channels in order, "yandex → vk → no source" (empty without touches).
    pub path: String,
}

impl Attribution {
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty() && self.touches.is_empty()
    }
}

/// One touch's marks as attribution reads them.
struct Marks {
    source: Option<String>,
    campaign: Option<String>,
    term: Option<String>,
    referrer: Option<String>,
}

/// "channel · campaign · keyword" of a touch, or "no source".
fn credited(t: &T, channels: &Channels, m: &Marks) -> String {
    match channels.channel(m.source.as_deref()) {
        None => t.t("reports.no_source").to_string(),
        Some(c) => {
            [Some(c), text_key(m.campaign.as_deref()), text_key(m.term.as_deref())].into_iter().flatten().collect::<Vec<_>>().join(" · ")
        }
    }
}

/// The attribution block of the deal `row` (already read with the signed-in user's rights).
pub async fn deal_attribution(st: &AppState, ui: &Ui, row: &Row) -> Result<Attribution, StoreError> {
    let lines = Touch::FIELDS
        .iter()
        .filter_map(|f| {
            let value = row.get(f).as_text().map(str::trim).filter(|v| !v.is_empty())?;
            Some(AttrLine { label: attribution_label(&ui.t, f), value: value.to_string() })
        })
        .collect();
    let stored = st.db.touches(&ui.actor, row.id()).await?;
    let touches = stored
        .iter()
        .map(|t| TouchView {
            channel: channel_label(&ui.t, &t.channel),
            when: ui.fmt().datetime(t.occurred_at),
            utm: [&t.attribution.utm_source, &t.attribution.utm_medium, &t.attribution.utm_campaign]
                .into_iter()
                .flatten()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(" / "),
        })
        .collect();
    // The touches attribution reads: the recorded ones, or the deal's own marks as its one touch.
    let own = |f: &str| row.get(f).as_text().map(str::to_string);
    let marks: Vec<Marks> = if stored.is_empty() {
        vec![Marks { source: own("utm_source"), campaign: own("utm_campaign"), term: own("utm_term"), referrer: own("referrer") }]
    } else {
        stored
            .iter()
            .map(|t| Marks {
                source: t.attribution.utm_source.clone(),
                campaign: t.attribution.utm_campaign.clone(),
                term: t.attribution.utm_term.clone(),
                referrer: t.attribution.referrer.clone(),
            })
            .collect()
    };
    let channels = st.db.channels(&ui.actor).await?;
    let models = Model::ALL
        .into_iter()
        .filter_map(|m| {
            let chosen = choose(&marks, m, |x| is_direct(x.source.as_deref(), x.referrer.as_deref()))?;
            let label = ui.t.t(&format!("analytics.attribution.{}", m.as_str())).to_string();
            Some(ModelLine { label, value: credited(&ui.t, &channels, chosen) })
        })
        .collect();
    let path = if stored.len() > 1 {
        marks
            .iter()
            .map(|m| channels.channel(m.source.as_deref()).unwrap_or_else(|| ui.t.t("reports.no_source").to_string()))
            .collect::<Vec<_>>()
            .join(" → ")
    } else {
        String::new()
    };
    Ok(Attribution { lines, touches, models, path })
}
