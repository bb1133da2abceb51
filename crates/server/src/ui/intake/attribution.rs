//! The deal card's attribution block: where the deal came from.
use super::*;

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

/// A deal's first touch (its own attribution fields) and every touch since.
#[derive(Default)]
pub struct Attribution {
    pub lines: Vec<AttrLine>,
    pub touches: Vec<TouchView>,
}

impl Attribution {
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty() && self.touches.is_empty()
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
    let touches = st
        .db
        .touches(&ui.actor, row.id())
        .await?
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
    Ok(Attribution { lines, touches })
}
