//! Which partners bring clients and money: per partner organization — the organization a client
//! names in its "partner organization" field — how many clients it referred, how many deals of
//! those clients were created in the period, and how many of them were won in the period and for
//! how much. Deals are the scope's (pipeline, team, manager, filter, what the caller may see);
//! also counted: the period's clients that name no partner.
use super::load::custom_int;
use super::ReportScope;
use crate::actor::{scope_condition, Actor};
use crate::error::Result;
use crate::sql::col;
use crate::Db;
use poryadok_core::domain::{CustomFieldType, DealStatus};
use poryadok_core::schema::Entity;
use sea_orm::ConnectionTrait;
use sea_query::{Alias, Expr, Query, SelectStatement};
use std::collections::BTreeMap;

/// The organization field naming a client's partner (every workspace starts with it; the audit
/// rules read the same field).
pub const PARTNER_FIELD: &str = "partner_org";

/// A partner's figures (or all partners').
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct PartnerCounts {
    /// Organizations naming the partner, whenever they came.
    pub clients: i64,
    /// Deals of those clients created in the period, and their value.
    pub deals: i64,
    pub deals_value: i64,
    /// Deals of those clients won in the period, and the revenue.
    pub won: i64,
    pub won_value: i64,
}

impl PartnerCounts {
    fn add(&mut self, o: &PartnerCounts) {
        self.clients += o.clients;
        self.deals += o.deals;
        self.deals_value += o.deals_value;
        self.won += o.won;
        self.won_value += o.won_value;
    }
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PartnerRow {
    pub partner_id: i64,
    pub counts: PartnerCounts,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PartnersReport {
    /// The partners with a client, the most revenue first, then the most deals.
    pub rows: Vec<PartnerRow>,
    pub total: PartnerCounts,
    /// Organizations with a deal created in the period, and how many of them name no partner.
    pub period_clients: i64,
    pub period_clients_without: i64,
    /// Whether the workspace has the partner field at all.
    pub field: bool,
}

impl Db {
    /// The partners' clients, deals and revenue over the scope's period, in `pipeline` (none:
    /// every one).
    pub async fn partners_report(&self, actor: &Actor, scope: &ReportScope, pipeline: Option<i64>) -> Result<PartnersReport> {
        let defs = crate::records::read_custom_defs(&self.read, self.backend, actor.ws_id(), Some(Entity::Organization)).await?;
        let field = defs.iter().any(|(_, d)| d.key == PARTNER_FIELD && d.field_type == CustomFieldType::Organization);
        let mut report =
            PartnersReport { rows: Vec::new(), total: PartnerCounts::default(), period_clients: 0, period_clients_without: 0, field };
        if !field {
            return Ok(report);
        }
        let partner_of_org = custom_int(self.backend, "custom", PARTNER_FIELD);
        let sum = |e: &str| Expr::cust(format!("CAST(COALESCE(SUM({e}), 0) AS BIGINT)"));
        let mut rows: BTreeMap<i64, PartnerCounts> = BTreeMap::new();

        // The deals of the period with their client's partner, looked up by key per deal.
        let partner_of_deal = format!(
            "(SELECT {} FROM organizations o WHERE o.id = deals.organization_id AND o.workspace_id = deals.workspace_id AND o.deleted_at IS NULL)",
            custom_int(self.backend, "o.custom", PARTNER_FIELD)
        );
        let deals = |when: &str, won: bool| -> SelectStatement {
            let mut q = Query::select();
            q.expr_as(Expr::cust(&partner_of_deal), Alias::new("p"))
                .columns(["organization_id", "value"].map(col))
                .from(col("deals"))
                .cond_where(self.report_deals_in(actor, scope, pipeline))
                .and_where(Expr::col(col("organization_id")).is_not_null())
                .and_where(Expr::col(col(when)).gte(scope.from))
                .and_where(Expr::col(col(when)).lt(scope.to));
            if won {
                q.and_where(Expr::col(col("status")).eq(DealStatus::Won.as_str()));
            }
            Query::select()
                .column(col("p"))
                .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
                .expr_as(sum("value"), Alias::new("total"))
                .expr_as(Expr::cust("COUNT(DISTINCT organization_id)"), Alias::new("orgs"))
                .from_subquery(q, Alias::new("d"))
                .group_by_col(col("p"))
                .to_owned()
        };
        for r in self.read.query_all(self.backend.build(&deals("created_at", false))).await? {
            let (p, n, total, orgs): (Option<i64>, i64, i64, i64) =
                (r.try_get("", "p")?, r.try_get("", "n")?, r.try_get("", "total")?, r.try_get("", "orgs")?);
            report.period_clients += orgs;
            match p {
                Some(p) => {
                    let c = rows.entry(p).or_default();
                    c.deals = n;
                    c.deals_value = total;
                }
                None => report.period_clients_without = orgs,
            }
        }
        for r in self.read.query_all(self.backend.build(&deals("closed_at", true))).await? {
            if let Some(p) = r.try_get::<Option<i64>>("", "p")? {
                let c = rows.entry(p).or_default();
                c.won = r.try_get("", "n")?;
                c.won_value = r.try_get("", "total")?;
            }
        }

        let mut orgs = Query::select();
        orgs.expr_as(Expr::cust(&partner_of_org), Alias::new("p"))
            .from(col("organizations"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("deleted_at")).is_null())
            // A text match before the JSON is parsed: most organizations name no partner (a
            // quarter of the scan's time at a million deals).
            .and_where(Expr::cust(format!("custom LIKE '%\"{PARTNER_FIELD}\"%'")));
        if let Some(s) = scope_condition(Entity::Organization, &actor.caller) {
            orgs.and_where(s);
        }
        if let Some(o) = scope.owner {
            orgs.and_where(Expr::col(col("owner_id")).eq(o));
        }
        if let Some(t) = scope.team {
            orgs.and_where(super::team_owners(actor.ws_id(), t));
        }
        let clients = Query::select()
            .column(col("p"))
            .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
            .from_subquery(orgs, Alias::new("c"))
            .and_where(Expr::col(col("p")).is_not_null())
            .group_by_col(col("p"))
            .to_owned();
        for r in self.read.query_all(self.backend.build(&clients)).await? {
            rows.entry(r.try_get("", "p")?).or_default().clients = r.try_get("", "n")?;
        }

        for c in rows.values() {
            report.total.add(c);
        }
        report.rows = rows.into_iter().map(|(partner_id, counts)| PartnerRow { partner_id, counts }).collect();
        report.rows.sort_by(|a, b| {
            (b.counts.won_value, b.counts.won, b.counts.deals, b.counts.clients)
                .cmp(&(a.counts.won_value, a.counts.won, a.counts.deals, a.counts.clients))
                .then(a.partner_id.cmp(&b.partner_id))
        });
        Ok(report)
    }
}
