//! End-to-end analytics: what advertising cost (`marketing_spend`) beside what it brought — the
//! leads of the period, the deals and sales among them and the revenue — per channel, campaign or
//! keyword of the touch each deal is credited to ([`poryadok_core::attribution`]).
//!
//! * **Leads** are the scope's deals created in the period (never those closed as not a lead);
//!   **deals** are the leads a manager took past the first stage of their pipeline, or won.
//! * **Sales and revenue**, `basis = created`: of those leads, the ones won (`revenue = won`: their
//!   value) or that paid (`revenue = paid`: the payments of their live invoices, whenever paid);
//!   `basis = paid`: the scope's deals won in the period (their value), or the payments dated in
//!   the period on the scope's deals — whenever those deals were created.
//! * **Spend**, impressions and clicks: the workspace's `marketing_spend` rows of the period's
//!   days, whatever the pipeline, manager or filter (spend belongs to no deal).
//!
//! The database picks each deal's credited touch (a correlated lookup by the `touches (workspace_id,
//! deal_id, occurred_at)` index, falling back to the deal's own UTM fields when it has no touch)
//! and groups the deals by that touch's raw source, campaign and keyword; channel names, aliases
//! and case are folded here over those few groups, where Unicode case and the workspace's aliases
//! are at hand.
use super::ReportScope;
use crate::actor::Actor;
use crate::error::Result;
use crate::sql::col;
use crate::Db;
use poryadok_core::attribution::{text_key, Channels, Figures, Model};
use poryadok_core::domain::DealStatus;
use sea_orm::ConnectionTrait;
use sea_query::{Alias, Expr, JoinType, Order, Query, SelectStatement};
use std::collections::{BTreeMap, HashMap};

/// What rows the report has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum GroupBy {
    Source,
    Campaign,
    Term,
}

impl GroupBy {
    pub const ALL: [GroupBy; 3] = [GroupBy::Source, GroupBy::Campaign, GroupBy::Term];

    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Source => "source",
            GroupBy::Campaign => "campaign",
            GroupBy::Term => "term",
        }
    }

    pub fn parse(s: &str) -> Option<GroupBy> {
        GroupBy::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

/// Which date puts a sale in the period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Basis {
    /// The lead's creation: the period's leads and what they have bought since.
    Created,
    /// The sale's: deals won, or payments made, in the period.
    Paid,
}

impl Basis {
    pub const ALL: [Basis; 2] = [Basis::Created, Basis::Paid];

    pub fn as_str(self) -> &'static str {
        match self {
            Basis::Created => "created",
            Basis::Paid => "paid",
        }
    }

    pub fn parse(s: &str) -> Option<Basis> {
        Basis::ALL.into_iter().find(|b| b.as_str() == s)
    }
}

/// What a sale is and what it brings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Revenue {
    /// A won deal, for its value.
    Won,
    /// A deal with payments on its invoices, for their sum.
    Paid,
}

impl Revenue {
    pub const ALL: [Revenue; 2] = [Revenue::Won, Revenue::Paid];

    pub fn as_str(self) -> &'static str {
        match self {
            Revenue::Won => "won",
            Revenue::Paid => "paid",
        }
    }

    pub fn parse(s: &str) -> Option<Revenue> {
        Revenue::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// The report's own parameters besides the scope.
#[derive(Clone, Debug)]
pub struct MarketingQuery {
    pub model: Model,
    pub basis: Basis,
    pub revenue: Revenue,
    pub group_by: GroupBy,
    /// Every pipeline when none.
    pub pipeline: Option<i64>,
    /// Only this channel's rows (a channel key, as rows name it).
    pub channel: Option<String>,
    /// Only this campaign's rows (a campaign key).
    pub campaign: Option<String>,
    /// The period's first and last local days (`YYYY-MM-DD`), for spend and payments.
    pub from_day: String,
    pub to_day: String,
    /// Whether the reader sees spend (heads, administrators, analysts).
    pub spend: bool,
}

/// What a row is of: a channel (none: no source), and to the depth of the grouping its campaign
/// and keyword keys (none: not given).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct RowKey {
    pub channel: Option<String>,
    pub campaign: Option<String>,
    pub term: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct MarketingRow {
    pub key: RowKey,
    /// The campaign and keyword as first written (a cabinet's spelling first).
    pub campaign_name: Option<String>,
    pub term_name: Option<String>,
    pub figures: Figures,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct MarketingReport {
    pub rows: Vec<MarketingRow>,
    pub total: Figures,
    /// Spend, impressions and clicks are zero when the reader may not see them.
    pub spend_visible: bool,
    /// The first stage of each pipeline: a lead there is not a deal yet (for drill-down links).
    pub first_stages: Vec<i64>,
}

/// Deals grouped by their credited touch's marks as stored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Touched {
    pub source: Option<String>,
    pub campaign: Option<String>,
    pub term: Option<String>,
    pub leads: i64,
    pub deals: i64,
    pub won: i64,
    pub revenue: i64,
}

/// Spend grouped by its row's channel, campaign and keyword as stored (empty: not given).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Spent {
    pub channel: String,
    pub campaign: String,
    pub term: String,
    pub amount: i64,
    pub impressions: i64,
    pub clicks: i64,
}

/// Whether the touch `t` (an alias of `touches`) is direct: no source and no referrer, or a
/// source saying so — the test of [`poryadok_core::attribution::is_direct`] in SQL.
pub fn direct(t: &str) -> String {
    format!(
        "((({t}.utm_source IS NULL OR TRIM({t}.utm_source) = '') AND ({t}.referrer IS NULL OR TRIM({t}.referrer) = '')) \
         OR LOWER(TRIM({t}.utm_source)) IN ('direct', '(direct)'))"
    )
}

/// The order in which `model` takes a deal's touches (alias `t`), the credited one first.
pub fn touch_order(model: Model, t: &str) -> String {
    match model {
        Model::First => format!("{t}.occurred_at ASC, {t}.id ASC"),
        Model::Last => format!("{t}.occurred_at DESC, {t}.id DESC"),
        Model::LastNonDirect => format!("CASE WHEN {} THEN 1 ELSE 0 END ASC, {t}.occurred_at DESC, {t}.id DESC", direct(t)),
    }
}

/// The id of the touch `model` credits the deal `deals` (an alias of `deals`, or of rows with
/// its `workspace_id` and `id`) with; NULL for a deal without touches. A walk of the `touches
/// (workspace_id, deal_id, occurred_at)` index from either end: the last non-direct touch is the
/// latest one that is not direct, or else the latest (two walks, each stopping at its first
/// match, beat sorting each deal's touches by directness: 0.44 s against 0.73 s for a year of
/// 100,000 deals on SQLite).
pub fn credited_touch(model: Model, deals: &str) -> String {
    let walk = |cond: &str, order: &str| {
        format!(
            "(SELECT t.id FROM touches t WHERE t.workspace_id = {deals}.workspace_id AND t.deal_id = {deals}.id{cond} \
             ORDER BY t.occurred_at {order}, t.id {order} LIMIT 1)"
        )
    };
    match model {
        Model::First => walk("", "ASC"),
        Model::Last => walk("", "DESC"),
        Model::LastNonDirect => format!("COALESCE({}, {})", walk(&format!(" AND NOT {}", direct("t")), "DESC"), walk("", "DESC")),
    }
}

impl Db {
    /// The workspace's channel aliases over the built-in ones.
    pub async fn channels(&self, actor: &Actor) -> Result<Channels> {
        let q = Query::select()
            .columns(["alias", "channel"].map(col))
            .from(col("channel_aliases"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .to_owned();
        let rows = self.read.query_all(self.backend.build(&q)).await?;
        let pairs = rows.iter().map(|r| Ok((r.try_get("", "alias")?, r.try_get("", "channel")?))).collect::<Result<Vec<_>>>()?;
        Ok(Channels::new(pairs))
    }

    /// The first stage of each of the workspace's pipelines: a lead still there is no deal yet.
    pub async fn first_stages(&self, actor: &Actor) -> Result<Vec<i64>> {
        let q = Query::select()
            .columns(["id", "pipeline_id", "position"].map(col))
            .from(col("stages"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("deleted_at")).is_null())
            .order_by(col("position"), Order::Asc)
            .order_by(col("id"), Order::Asc)
            .to_owned();
        let mut first: BTreeMap<i64, i64> = BTreeMap::new();
        for r in self.read.query_all(self.backend.build(&q)).await? {
            first.entry(r.try_get("", "pipeline_id")?).or_insert(r.try_get("", "id")?);
        }
        Ok(first.into_values().collect())
    }

    /// The report over the scope's period.
    pub async fn marketing_report(&self, actor: &Actor, scope: &ReportScope, q: &MarketingQuery) -> Result<MarketingReport> {
        let channels = self.channels(actor).await?;
        let first = self.first_stages(actor).await?;
        let mut touched = self.marketing_leads(actor, scope, q, &first).await?;
        if q.basis == Basis::Paid {
            touched.extend(self.marketing_sales(actor, scope, q).await?);
        }
        let spent = if q.spend { self.marketing_spend_groups(actor, &q.from_day, &q.to_day).await? } else { Vec::new() };
        let mut report = fold(q, &channels, &touched, &spent);
        report.first_stages = first;
        Ok(report)
    }

    /// The period's leads by their credited touch: leads, deals and (`basis = created`) sales.
    /// `first`: the first stage of each pipeline ([`Db::first_stages`]).
    pub async fn marketing_leads(&self, actor: &Actor, scope: &ReportScope, q: &MarketingQuery, first: &[i64]) -> Result<Vec<Touched>> {
        let won = format!("deals.status = '{}'", DealStatus::Won.as_str());
        let taken = match first.is_empty() {
            true => "1".to_string(),
            false => format!(
                "CASE WHEN {won} OR deals.stage_id NOT IN ({}) THEN 1 ELSE 0 END",
                first.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
            ),
        };
        let mut inner = self.credited(actor, scope, q);
        inner
            .and_where(Expr::col((col("deals"), col("created_at"))).gte(scope.from))
            .and_where(Expr::col((col("deals"), col("created_at"))).lt(scope.to))
            .expr_as(Expr::cust(taken), Alias::new("taken"));
        let sale = match (q.basis, q.revenue) {
            (Basis::Paid, _) => None,
            (Basis::Created, Revenue::Won) => {
                Some((format!("CASE WHEN {won} THEN 1 ELSE 0 END"), format!("CASE WHEN {won} THEN deals.value ELSE 0 END")))
            }
            (Basis::Created, Revenue::Paid) => {
                // What each deal's live invoices have been paid, summed once for the workspace
                // (a column, so no lookup is repeated where the database inlines the query).
                let paid = Query::select()
                    .column(col("deal_id"))
                    .expr_as(Expr::cust("SUM(paid_amount)"), Alias::new("paid"))
                    .from(col("invoices"))
                    .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
                    .and_where(Expr::col(col("deleted_at")).is_null())
                    .and_where(Expr::col(col("status")).ne("cancelled"))
                    .and_where(Expr::col(col("deal_id")).is_not_null())
                    .group_by_col(col("deal_id"))
                    .to_owned();
                inner.join_subquery(
                    JoinType::LeftJoin,
                    paid,
                    Alias::new("pi"),
                    Expr::col((Alias::new("pi"), col("deal_id"))).equals((col("deals"), col("id"))),
                );
                Some(("CASE WHEN COALESCE(pi.paid, 0) > 0 THEN 1 ELSE 0 END".to_string(), "COALESCE(pi.paid, 0)".to_string()))
            }
        };
        if let Some((n, v)) = &sale {
            inner.expr_as(Expr::cust(n), Alias::new("sold")).expr_as(Expr::cust(v), Alias::new("revenue"));
        } else {
            inner.expr_as(Expr::cust("0"), Alias::new("sold")).expr_as(Expr::cust("0"), Alias::new("revenue"));
        }
        self.touched(inner, q.model, true).await
    }

    /// `basis = paid`: the sales of the period by their deal's credited touch.
    pub async fn marketing_sales(&self, actor: &Actor, scope: &ReportScope, q: &MarketingQuery) -> Result<Vec<Touched>> {
        let mut inner = self.credited(actor, scope, q);
        inner.expr_as(Expr::cust("0"), Alias::new("taken"));
        match q.revenue {
            Revenue::Won => {
                inner
                    .and_where(Expr::col((col("deals"), col("status"))).eq(DealStatus::Won.as_str()))
                    .and_where(Expr::col((col("deals"), col("closed_at"))).gte(scope.from))
                    .and_where(Expr::col((col("deals"), col("closed_at"))).lt(scope.to))
                    .expr_as(Expr::cust("1"), Alias::new("sold"))
                    .expr_as(Expr::col((col("deals"), col("value"))), Alias::new("revenue"));
            }
            Revenue::Paid => {
                let paid_in = |select: &str| {
                    Query::select()
                        .expr(Expr::cust(select))
                        .from_as(col("payments"), Alias::new("p"))
                        .join_as(
                            JoinType::InnerJoin,
                            col("invoices"),
                            Alias::new("i"),
                            Expr::col((Alias::new("i"), col("id"))).equals((Alias::new("p"), col("invoice_id"))),
                        )
                        .and_where(Expr::col((Alias::new("p"), col("workspace_id"))).eq(actor.ws_id()))
                        .and_where(Expr::col((Alias::new("i"), col("workspace_id"))).eq(actor.ws_id()))
                        .and_where(Expr::col((Alias::new("p"), col("deleted_at"))).is_null())
                        .and_where(Expr::col((Alias::new("i"), col("deleted_at"))).is_null())
                        .and_where(Expr::col((Alias::new("i"), col("status"))).ne("cancelled"))
                        .and_where(Expr::col((Alias::new("p"), col("paid_on"))).gte(q.from_day.as_str()))
                        .and_where(Expr::col((Alias::new("p"), col("paid_on"))).lte(q.to_day.as_str()))
                        .to_owned()
                };
                let mut sum = paid_in("SUM(p.amount)");
                sum.and_where(Expr::col((Alias::new("i"), col("deal_id"))).equals((col("deals"), col("id"))));
                inner
                    .and_where(Expr::col((col("deals"), col("id"))).in_subquery(paid_in("i.deal_id")))
                    .expr_as(Expr::cust("1"), Alias::new("sold"))
                    .expr_as(sea_query::SimpleExpr::SubQuery(None, Box::new(sum.into_sub_query_statement())), Alias::new("revenue"));
            }
        }
        self.touched(inner, q.model, false).await
    }

    /// The scope's deals with their own marks: the start of the report's queries.
    fn credited(&self, actor: &Actor, scope: &ReportScope, q: &MarketingQuery) -> SelectStatement {
        Query::select()
            .columns(["workspace_id", "id", "utm_source", "utm_campaign", "utm_term"].map(|c| (col("deals"), col(c))))
            .from(col("deals"))
            .cond_where(self.report_deals_in(actor, scope, q.pipeline))
            .to_owned()
    }

    /// Groups the deals of `inner` (with `taken`, `sold`, `revenue`) by the marks of the touch
    /// `model` credits each with, or by the deal's own marks when it has no touches. `leads`:
    /// the deals are leads (else sales only).
    ///
    /// The credited touch is one walk of the `touches (workspace_id, deal_id, occurred_at)` index
    /// per deal: on PostgreSQL a `LATERAL` join (joining by the touch's id instead makes it hash
    /// every touch of the workspace: 590 ms against 134 ms for a month of 100,000 deals); on
    /// SQLite, which has no `LATERAL`, a join by the id the lookup finds — written in the join so
    /// it runs once per deal (SQLite inlines a subquery's columns, and a looked-up id used by
    /// three expressions was looked up three times).
    async fn touched(&self, inner: SelectStatement, model: Model, leads: bool) -> Result<Vec<Touched>> {
        let pick = |c: &str| format!("CASE WHEN tc.id IS NULL THEN x.{c} ELSE tc.{c} END");
        let mut mid = Query::select();
        mid.expr_as(Expr::cust(pick("utm_source")), Alias::new("src"))
            .expr_as(Expr::cust(pick("utm_campaign")), Alias::new("cmp"))
            .expr_as(Expr::cust(pick("utm_term")), Alias::new("trm"))
            .columns(["taken", "sold", "revenue"].map(|c| (Alias::new("x"), col(c))))
            .from_subquery(inner, Alias::new("x"));
        if self.backend == sea_orm::DbBackend::Postgres {
            let t = Alias::new("t");
            let mut credited = Query::select();
            credited
                .columns(["id", "utm_source", "utm_campaign", "utm_term"].map(|c| (t.clone(), col(c))))
                .from_as(col("touches"), t.clone())
                .and_where(Expr::col((t.clone(), col("workspace_id"))).equals((Alias::new("x"), col("workspace_id"))))
                .and_where(Expr::col((t.clone(), col("deal_id"))).equals((Alias::new("x"), col("id"))))
                .limit(1);
            if model == Model::LastNonDirect {
                credited.order_by_expr(Expr::cust(format!("CASE WHEN {} THEN 1 ELSE 0 END", direct("t"))), Order::Asc);
            }
            let way = || if model == Model::First { Order::Asc } else { Order::Desc };
            credited.order_by((t.clone(), col("occurred_at")), way()).order_by((t, col("id")), way());
            mid.join_lateral(JoinType::LeftJoin, credited, Alias::new("tc"), Expr::cust("TRUE"));
        } else {
            mid.join_as(
                JoinType::LeftJoin,
                col("touches"),
                Alias::new("tc"),
                Expr::col((Alias::new("tc"), col("id"))).eq(Expr::cust(credited_touch(model, "x"))),
            );
        }
        let sum = |e: &str| Expr::cust(format!("CAST(COALESCE(SUM({e}), 0) AS BIGINT)"));
        let q = Query::select()
            .columns(["src", "cmp", "trm"].map(col))
            .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
            .expr_as(sum("taken"), Alias::new("taken"))
            .expr_as(sum("sold"), Alias::new("sold"))
            .expr_as(sum("revenue"), Alias::new("revenue"))
            .from_subquery(mid.to_owned(), Alias::new("m"))
            .group_by_columns(["src", "cmp", "trm"].map(col))
            .to_owned();
        let mut out = Vec::new();
        for r in self.read.query_all(self.backend.build(&q)).await? {
            let n: i64 = r.try_get("", "n")?;
            out.push(Touched {
                source: r.try_get("", "src")?,
                campaign: r.try_get("", "cmp")?,
                term: r.try_get("", "trm")?,
                leads: if leads { n } else { 0 },
                deals: r.try_get("", "taken")?,
                won: r.try_get("", "sold")?,
                revenue: r.try_get("", "revenue")?,
            });
        }
        Ok(out)
    }

    /// Spend, impressions and clicks of the days `from`..=`to` by channel, campaign and keyword.
    pub async fn marketing_spend_groups(&self, actor: &Actor, from: &str, to: &str) -> Result<Vec<Spent>> {
        let sum = |e: &str| Expr::cust(format!("CAST(COALESCE(SUM({e}), 0) AS BIGINT)"));
        let q = Query::select()
            .columns(["channel", "campaign", "term"].map(col))
            .expr_as(sum("amount"), Alias::new("amount"))
            .expr_as(sum("impressions"), Alias::new("impressions"))
            .expr_as(sum("clicks"), Alias::new("clicks"))
            .from(col("marketing_spend"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("day")).gte(from))
            .and_where(Expr::col(col("day")).lte(to))
            .group_by_columns(["channel", "campaign", "term"].map(col))
            .to_owned();
        self.read
            .query_all(self.backend.build(&q))
            .await?
            .iter()
            .map(|r| {
                Ok(Spent {
                    channel: r.try_get("", "channel")?,
                    campaign: r.try_get("", "campaign")?,
                    term: r.try_get("", "term")?,
                    amount: r.try_get("", "amount")?,
                    impressions: r.try_get("", "impressions")?,
                    clicks: r.try_get("", "clicks")?,
                })
            })
            .collect()
    }
}

/// The report's rows from the grouped deals and spend: channel names and aliases, case and
/// spaces folded; narrowed to `q.channel` and `q.campaign`; the most ROMI first.
pub fn fold(q: &MarketingQuery, channels: &Channels, touched: &[Touched], spent: &[Spent]) -> MarketingReport {
    let mut rows: HashMap<RowKey, Figures> = HashMap::new();
    let mut names: HashMap<(Option<String>, Option<String>), String> = HashMap::new();
    let mut key_of = |channel: Option<String>, campaign: Option<&str>, term: Option<&str>| -> Option<RowKey> {
        let (ck, tk) = (text_key(campaign), text_key(term));
        if q.channel.is_some() && q.channel != channel {
            return None;
        }
        if q.campaign.is_some() && q.campaign != ck {
            return None;
        }
        let name = |raw: Option<&str>| raw.map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "));
        if let (Some(k), Some(n)) = (&ck, name(campaign)) {
            names.entry((Some(k.clone()), None)).or_insert(n);
        }
        if let (Some(k), Some(n)) = (&tk, name(term)) {
            names.entry((ck.clone(), Some(k.clone()))).or_insert(n);
        }
        Some(RowKey {
            channel,
            campaign: if q.group_by >= GroupBy::Campaign { ck } else { None },
            term: if q.group_by >= GroupBy::Term { tk } else { None },
        })
    };
    for s in spent {
        let Some(channel) = channels.spend_channel(&s.channel) else { continue };
        let nonempty = |v: &str| Some(v).filter(|v| !v.trim().is_empty()).map(str::to_string);
        let Some(key) = key_of(Some(channel), nonempty(&s.campaign).as_deref(), nonempty(&s.term).as_deref()) else { continue };
        let f = rows.entry(key).or_default();
        f.spend += s.amount;
        f.impressions += s.impressions;
        f.clicks += s.clicks;
    }
    for t in touched {
        let Some(key) = key_of(channels.channel(t.source.as_deref()), t.campaign.as_deref(), t.term.as_deref()) else { continue };
        let f = rows.entry(key).or_default();
        f.leads += t.leads;
        f.deals += t.deals;
        f.won += t.won;
        f.revenue += t.revenue;
    }
    let mut total = Figures::default();
    let mut out: Vec<MarketingRow> = rows
        .into_iter()
        .map(|(key, figures)| {
            total.add(&figures);
            let campaign_name = key.campaign.as_ref().map(|c| names.get(&(Some(c.clone()), None)).cloned().unwrap_or_else(|| c.clone()));
            let term_name =
                key.term.as_ref().map(|t| names.get(&(key.campaign.clone(), Some(t.clone()))).cloned().unwrap_or_else(|| t.clone()));
            MarketingRow { key, campaign_name, term_name, figures }
        })
        .collect();
    sort(&mut out, Sort::default());
    MarketingReport { rows: out, total, spend_visible: q.spend, first_stages: Vec::new() }
}

/// A column the rows can be sorted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    Name,
    Spend,
    Impressions,
    Clicks,
    Leads,
    Deals,
    Won,
    Revenue,
    CostPerLead,
    CostPerSale,
    Conversion,
    AverageCheck,
    Romi,
    SpendShare,
}

impl SortKey {
    pub const ALL: [SortKey; 14] = [
        SortKey::Name,
        SortKey::Spend,
        SortKey::Impressions,
        SortKey::Clicks,
        SortKey::Leads,
        SortKey::Deals,
        SortKey::Won,
        SortKey::Revenue,
        SortKey::CostPerLead,
        SortKey::CostPerSale,
        SortKey::Conversion,
        SortKey::AverageCheck,
        SortKey::Romi,
        SortKey::SpendShare,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Spend => "spend",
            SortKey::Impressions => "impressions",
            SortKey::Clicks => "clicks",
            SortKey::Leads => "leads",
            SortKey::Deals => "deals",
            SortKey::Won => "won",
            SortKey::Revenue => "revenue",
            SortKey::CostPerLead => "cost_per_lead",
            SortKey::CostPerSale => "cost_per_sale",
            SortKey::Conversion => "conversion",
            SortKey::AverageCheck => "average_check",
            SortKey::Romi => "romi",
            SortKey::SpendShare => "spend_share",
        }
    }

    /// A row's value in this column (none sorts last either way).
    fn value(self, f: &Figures) -> Option<f64> {
        let i = |v: i64| Some(v as f64);
        match self {
            SortKey::Name => None,
            SortKey::Spend => i(f.spend),
            SortKey::Impressions => i(f.impressions),
            SortKey::Clicks => i(f.clicks),
            SortKey::Leads => i(f.leads),
            SortKey::Deals => i(f.deals),
            SortKey::Won => i(f.won),
            SortKey::Revenue => i(f.revenue),
            SortKey::CostPerLead => f.cost_per_lead().map(|v| v as f64),
            SortKey::CostPerSale => f.cost_per_sale().map(|v| v as f64),
            SortKey::Conversion => f.conversion(),
            SortKey::AverageCheck => f.average_check().map(|v| v as f64),
            SortKey::Romi => f.romi(),
            SortKey::SpendShare => f.spend_share(),
        }
    }
}

/// The rows' order: a column, and whether the largest comes first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sort {
    pub key: SortKey,
    pub desc: bool,
}

impl Default for Sort {
    /// The best return first.
    fn default() -> Self {
        Sort { key: SortKey::Romi, desc: true }
    }
}

impl Sort {
    /// `romi` (ascending) or `-romi` (descending).
    pub fn parse(s: &str) -> Option<Sort> {
        let (desc, name) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        SortKey::ALL.into_iter().find(|k| k.as_str() == name).map(|key| Sort { key, desc })
    }

    pub fn as_param(self) -> String {
        format!("{}{}", if self.desc { "-" } else { "" }, self.key.as_str())
    }
}

/// Sorts rows by `by`; rows without a value (nothing to divide by) last either way, then the
/// most spend, then by name with "no source" last.
pub fn sort(rows: &mut [MarketingRow], by: Sort) {
    use std::cmp::Ordering;
    let by_name = |a: &MarketingRow, b: &MarketingRow| {
        let k = |r: &MarketingRow| {
            (
                r.key.channel.is_none(),
                r.key.channel.clone(),
                r.key.campaign.is_none(),
                r.key.campaign.clone(),
                r.key.term.is_none(),
                r.key.term.clone(),
            )
        };
        k(a).cmp(&k(b))
    };
    rows.sort_by(|a, b| {
        let first = if by.key == SortKey::Name {
            let o = by_name(a, b);
            if by.desc {
                o.reverse()
            } else {
                o
            }
        } else {
            match (by.key.value(&a.figures), by.key.value(&b.figures)) {
                (Some(x), Some(y)) => {
                    let o = x.partial_cmp(&y).unwrap_or(Ordering::Equal);
                    if by.desc {
                        o.reverse()
                    } else {
                        o
                    }
                }
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            }
        };
        first.then(b.figures.spend.cmp(&a.figures.spend)).then_with(|| by_name(a, b))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(group_by: GroupBy) -> MarketingQuery {
        MarketingQuery {
            model: Model::First,
            basis: Basis::Created,
            revenue: Revenue::Won,
            group_by,
            pipeline: None,
            channel: None,
            campaign: None,
            from_day: "2026-11-01".into(),
            to_day: "2026-11-30".into(),
            spend: true,
        }
    }

    fn touched(source: Option<&str>, campaign: Option<&str>, term: Option<&str>, leads: i64, won: i64, revenue: i64) -> Touched {
        let s = |v: Option<&str>| v.map(str::to_string);
        Touched { source: s(source), campaign: s(campaign), term: s(term), leads, deals: won, won, revenue }
    }

    fn spent(channel: &str, campaign: &str, term: &str, amount: i64) -> Spent {
        Spent { channel: channel.into(), campaign: campaign.into(), term: term.into(), amount, impressions: 10, clicks: 2 }
    }

    #[test]
    fn marks_fold_into_channels_campaigns_and_keywords() {
        let touches = [
            touched(Some("yandex"), Some("Brand"), Some("crm"), 3, 2, 200),
            touched(Some("Яндекс.Директ"), Some("brand "), Some("CRM"), 1, 1, 100),
            touched(Some("ya.ru"), None, None, 1, 0, 0),
            touched(Some("(direct)"), None, None, 2, 1, 50),
            touched(None, None, None, 4, 0, 0),
            touched(Some("vk"), Some("spring"), None, 5, 1, 10),
        ];
        let spend = [spent("yandex", "brand", "crm", 1000), spent("yandex", "", "", 500), spent("google", "search", "", 700)];
        let c = Channels::default();
        let r = fold(&query(GroupBy::Source), &c, &touches, &spend);
        let by: HashMap<Option<&str>, Figures> = r.rows.iter().map(|x| (x.key.channel.as_deref(), x.figures)).collect();
        assert_eq!((by[&Some("yandex")].leads, by[&Some("yandex")].won, by[&Some("yandex")].spend), (5, 3, 1500));
        assert_eq!((by[&None].leads, by[&None].won, by[&None].revenue), (6, 1, 50), "direct and unmarked are no source");
        assert_eq!((by[&Some("google")].spend, by[&Some("google")].leads, by[&Some("google")].cost_per_lead()), (700, 0, None));
        assert_eq!((r.total.leads, r.total.spend, r.total.clicks), (16, 2200, 6));
        assert_eq!(r.rows.last().map(|x| x.key.channel.clone()), Some(None), "no ROMI sorts last, no source last of those");

        let mut q = query(GroupBy::Term);
        q.channel = Some("yandex".into());
        let r = fold(&q, &c, &touches, &spend);
        let crm = r.rows.iter().find(|x| x.key.term.as_deref() == Some("crm")).unwrap();
        assert_eq!(
            (crm.key.campaign.as_deref(), crm.campaign_name.as_deref(), crm.term_name.as_deref()),
            (Some("brand"), Some("brand"), Some("crm"))
        );
        assert_eq!((crm.figures.leads, crm.figures.won, crm.figures.spend), (4, 3, 1000));
        assert_eq!(r.rows.len(), 2, "brand/crm and the unnamed rest");
        assert_eq!(r.total.leads, 5);
        q.campaign = Some("brand".into());
        assert_eq!(fold(&q, &c, &touches, &spend).rows.len(), 1);
    }

    #[test]
    fn rows_sort_by_any_column_with_nothing_last() {
        let touches =
            [touched(Some("a"), None, None, 10, 10, 5000), touched(Some("b"), None, None, 50, 5, 2500), touched(None, None, None, 3, 0, 0)];
        let spend = [spent("a", "", "", 1000), spent("b", "", "", 1000), spent("c", "", "", 1000)];
        let mut r = fold(&query(GroupBy::Source), &Channels::default(), &touches, &spend).rows;
        let order = |rows: &[MarketingRow]| rows.iter().map(|r| r.key.channel.clone().unwrap_or_default()).collect::<Vec<_>>();
        assert_eq!(order(&r), ["a", "b", "c", ""]);
        sort(&mut r, Sort::parse("cost_per_sale").unwrap());
        assert_eq!(order(&r), ["a", "b", "c", ""], "no sales: no cost per sale, last (the most spend first)");
        sort(&mut r, Sort::parse("-leads").unwrap());
        assert_eq!(order(&r), ["b", "a", "", "c"]);
        sort(&mut r, Sort::parse("name").unwrap());
        assert_eq!(order(&r), ["a", "b", "c", ""]);
        assert_eq!(Sort::parse("-romi"), Some(Sort::default()));
        assert_eq!((Sort::parse("size"), Sort::default().as_param()), (None, "-romi".to_string()));
    }
}
