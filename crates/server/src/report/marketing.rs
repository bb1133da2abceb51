//! End-to-end analytics: spend beside leads, deals, sales and revenue per channel, campaign or
//! keyword of the touch each deal is credited to, with cost per lead and per sale, conversion,
//! the average check, ROMI and the share of spend in revenue. Where there is nothing to divide
//! by the figure is null (a dash on the page), never an error.
use super::{pct, period_json, Cell, Params, Table};
use crate::ui::i18n::T;
use poryadok_core::attribution::{Figures, Model};
use poryadok_store::report::marketing::{sort, Basis, GroupBy, MarketingQuery, MarketingReport, MarketingRow, Revenue, Sort};
use poryadok_store::{Actor, Db, StoreError};
use serde_json::{json, Value};

/// The marketing report's own parameters.
#[derive(Clone, Debug)]
pub struct MarketingParams {
    pub group_by: GroupBy,
    pub model: Model,
    pub basis: Basis,
    pub revenue: Revenue,
    pub sort: Sort,
    /// The drill-down: only this channel's campaigns (and keywords), only this campaign's keywords.
    pub channel: Option<String>,
    pub campaign: Option<String>,
}

impl Default for MarketingParams {
    fn default() -> Self {
        MarketingParams {
            group_by: GroupBy::Source,
            model: Model::LastNonDirect,
            basis: Basis::Created,
            revenue: Revenue::Won,
            sort: Sort::default(),
            channel: None,
            campaign: None,
        }
    }
}

/// The report with what its page and files show around it.
pub struct MarketingData {
    pub params: Params,
    pub report: MarketingReport,
}

pub async fn marketing(db: &Db, actor: &Actor, params: Params) -> Result<MarketingData, StoreError> {
    let m = &params.marketing;
    let q = MarketingQuery {
        model: m.model,
        basis: m.basis,
        revenue: m.revenue,
        group_by: m.group_by,
        pipeline: params.pipeline(),
        channel: m.channel.clone(),
        campaign: m.campaign.clone(),
        from_day: params.period.from_date.clone(),
        to_day: params.period.to_date.clone(),
        spend: poryadok_core::spend::may_read(actor.caller.role),
    };
    let mut report = db.marketing_report(actor, &params.scope, &q).await?;
    sort(&mut report.rows, m.sort);
    Ok(MarketingData { params, report })
}

/// Money or a count where spend is hidden from the reader: null.
fn seen(visible: bool, v: Option<i64>) -> Value {
    if visible {
        json!(v)
    } else {
        Value::Null
    }
}

/// A row's (or the total's) figures as the API answers them.
pub fn figures_json(f: &Figures, spend: bool) -> Value {
    let hidden = |v: Option<f64>| if spend { pct(v) } else { Value::Null };
    json!({
        "spend": seen(spend, Some(f.spend)),
        "impressions": seen(spend, Some(f.impressions)),
        "clicks": seen(spend, Some(f.clicks)),
        "leads": f.leads,
        "deals": f.deals,
        "won": f.won,
        "revenue": f.revenue,
        "cost_per_lead": seen(spend, f.cost_per_lead()),
        "cost_per_sale": seen(spend, f.cost_per_sale()),
        "conversion": pct(f.conversion()),
        "average_check": f.average_check(),
        "romi": hidden(f.romi()),
        "spend_share": hidden(f.spend_share()),
    })
}

impl MarketingData {
    pub fn spend_visible(&self) -> bool {
        self.report.spend_visible
    }

    /// A row's channel as shown: its name, or "no source".
    pub fn channel_label(&self, t: &T, r: &MarketingRow) -> String {
        r.key.channel.clone().unwrap_or_else(|| t.t("reports.no_source").to_string())
    }

    pub fn campaign_label(&self, t: &T, r: &MarketingRow) -> String {
        r.campaign_name.clone().unwrap_or_else(|| t.t("analytics.no_campaign").to_string())
    }

    pub fn term_label(&self, t: &T, r: &MarketingRow) -> String {
        r.term_name.clone().unwrap_or_else(|| t.t("analytics.no_term").to_string())
    }

    /// The row's name in the grouping's own column: its channel, campaign or keyword.
    pub fn label(&self, t: &T, r: &MarketingRow) -> String {
        match self.params.marketing.group_by {
            GroupBy::Source => self.channel_label(t, r),
            GroupBy::Campaign => self.campaign_label(t, r),
            GroupBy::Term => self.term_label(t, r),
        }
    }

    pub fn json(&self) -> Value {
        let p = &self.params;
        let m = &p.marketing;
        let spend = self.spend_visible();
        let rows: Vec<Value> = self
            .report
            .rows
            .iter()
            .map(|r| {
                let mut v = figures_json(&r.figures, spend);
                v["channel"] = json!(r.key.channel);
                if m.group_by >= GroupBy::Campaign {
                    v["campaign"] = json!(r.campaign_name);
                    v["campaign_key"] = json!(r.key.campaign);
                }
                if m.group_by >= GroupBy::Term {
                    v["term"] = json!(r.term_name);
                    v["term_key"] = json!(r.key.term);
                }
                v
            })
            .collect();
        json!({
            "report": "marketing",
            "pipeline_id": p.pipeline(),
            "period": period_json(&p.period),
            "group_by": m.group_by.as_str(),
            "attribution": m.model.as_str(),
            "basis": m.basis.as_str(),
            "revenue": m.revenue.as_str(),
            "sort": m.sort.as_param(),
            "channel": m.channel,
            "campaign": m.campaign,
            "spend_visible": spend,
            "rows": rows,
            "total": figures_json(&self.report.total, spend),
        })
    }

    /// The column heads after the row's name(s), in the order of [`Self::cells`].
    pub fn heads(t: &T) -> Vec<String> {
        COLUMNS.iter().map(|(_, k)| t.t(k).to_string()).collect()
    }

    /// A row's figures as cells, in the order of [`Self::heads`].
    pub fn cells(&self, f: &Figures) -> Vec<Cell> {
        let spend = self.spend_visible();
        let money = |v: Option<i64>| v.map_or(Cell::Empty, Cell::Money);
        let hidden = |c: Cell| if spend { c } else { Cell::Empty };
        vec![
            hidden(Cell::Money(f.spend)),
            hidden(Cell::Int(f.impressions)),
            hidden(Cell::Int(f.clicks)),
            Cell::Int(f.leads),
            Cell::Int(f.deals),
            Cell::Int(f.won),
            Cell::Money(f.revenue),
            hidden(money(f.cost_per_lead())),
            hidden(money(f.cost_per_sale())),
            Cell::Pct(f.conversion()),
            money(f.average_check()),
            hidden(Cell::Pct(f.romi())),
            hidden(Cell::Pct(f.spend_share())),
        ]
    }

    /// The name columns of the grouping: channel, then campaign, then keyword.
    pub fn name_heads(&self, t: &T) -> Vec<String> {
        let mut h = vec![t.t("analytics.col.channel").to_string()];
        if self.params.marketing.group_by >= GroupBy::Campaign {
            h.push(t.t("analytics.col.campaign").to_string());
        }
        if self.params.marketing.group_by >= GroupBy::Term {
            h.push(t.t("analytics.col.term").to_string());
        }
        h
    }

    /// A row per group and the total; a dash (an empty cell) where there is nothing to divide by.
    pub fn table(&self, t: &T) -> Table {
        let names = self.name_heads(t);
        let width = names.len();
        let mut heads = names;
        heads.extend(Self::heads(t));
        let mut table = Table::new(heads);
        for r in &self.report.rows {
            let mut row = vec![Cell::Text(self.channel_label(t, r))];
            if width > 1 {
                row.push(Cell::Text(self.campaign_label(t, r)));
            }
            if width > 2 {
                row.push(Cell::Text(self.term_label(t, r)));
            }
            row.extend(self.cells(&r.figures));
            table.rows.push(row);
        }
        let mut total = vec![Cell::Text(t.t("reports.total").to_string())];
        total.extend((1..width).map(|_| Cell::Empty));
        total.extend(self.cells(&self.report.total));
        table.rows.push(total);
        table
    }
}

/// The figure columns: their `sort` name and their head's message key.
pub const COLUMNS: [(&str, &str); 13] = [
    ("spend", "analytics.col.spend"),
    ("impressions", "analytics.col.impressions"),
    ("clicks", "analytics.col.clicks"),
    ("leads", "analytics.col.leads"),
    ("deals", "analytics.col.deals"),
    ("won", "analytics.col.won"),
    ("revenue", "analytics.col.revenue"),
    ("cost_per_lead", "analytics.col.cost_per_lead"),
    ("cost_per_sale", "analytics.col.cost_per_sale"),
    ("conversion", "analytics.col.conversion"),
    ("average_check", "analytics.col.average_check"),
    ("romi", "analytics.col.romi"),
    ("spend_share", "analytics.col.spend_share"),
];
