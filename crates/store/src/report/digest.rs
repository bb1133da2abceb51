//! Scheduled reports: who gets the weekly summary and the monthly review (each user may switch
//! either off for themselves), the daily schedule that sends them, and the violations of a
//! month's audit rounds for the review.
use crate::actor::Actor;
use crate::error::Result;
use crate::sql::col;
use crate::Db;
use sea_orm::ConnectionTrait;
use sea_query::{Alias, Expr, Func, Order, Query};
use serde_json::json;

/// The daily job that sends what is due: the weekly summaries on Mondays, the monthly review on
/// the 1st.
pub const DIGEST_JOB: &str = "report_digest";

/// The hour (local) the daily job runs at.
pub const DIGEST_HOUR: i64 = 7;

/// The scheduled reports a user may switch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Subscriptions {
    pub weekly: bool,
    pub monthly_review: bool,
}

/// A recipient of a scheduled report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recipient {
    pub user_id: i64,
    pub sees_all: bool,
}

/// A manager's violations found in a month's rounds, by rule: how many, and how many fixed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ViolationLine {
    pub user_id: Option<i64>,
    pub rule: String,
    pub found: i64,
    pub fixed: i64,
}

impl Db {
    /// The caller's own switches.
    pub async fn report_subscriptions(&self, actor: &Actor) -> Result<Subscriptions> {
        let q = Query::select()
            .columns(["weekly_report", "monthly_review"].map(col))
            .from(col("users"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("id")).eq(actor.user_id()))
            .to_owned();
        let r = self.read.query_one(self.backend.build(&q)).await?.ok_or(crate::error::StoreError::NotFound)?;
        Ok(Subscriptions {
            weekly: r.try_get::<Option<bool>>("", "weekly_report")?.unwrap_or(true),
            monthly_review: r.try_get::<Option<bool>>("", "monthly_review")?.unwrap_or(true),
        })
    }

    /// Switches the caller's own scheduled reports; a switch not given stays as it is.
    pub async fn set_report_subscriptions(
        &self,
        actor: &Actor,
        weekly: Option<bool>,
        monthly_review: Option<bool>,
    ) -> Result<Subscriptions> {
        let mut q = Query::update();
        q.table(col("users"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("id")).eq(actor.user_id()));
        let mut any = false;
        for (c, v) in [("weekly_report", weekly), ("monthly_review", monthly_review)] {
            if let Some(v) = v {
                q.value(col(c), v);
                any = true;
            }
        }
        if any && self.write.execute(self.backend.build(&q)).await?.rows_affected() == 0 {
            return Err(crate::error::StoreError::NotFound);
        }
        self.report_subscriptions(actor).await
    }

    /// The active users of a workspace who get `kind` (`weekly_report` or `monthly_review`);
    /// the monthly review goes only to those who see every deal.
    pub async fn report_recipients(&self, ws: i64, kind: &str) -> Result<Vec<Recipient>> {
        let column = if kind == "monthly_review" { "monthly_review" } else { "weekly_report" };
        let q = Query::select()
            .columns(["id", "role"].map(col))
            .from(col("users"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("active")).eq(true))
            .and_where(Expr::col(col(column)).is_null().or(Expr::col(col(column)).eq(true)))
            .order_by(col("id"), Order::Asc)
            .to_owned();
        let mut out = Vec::new();
        for r in self.read.query_all(self.backend.build(&q)).await? {
            let role: String = r.try_get("", "role")?;
            let sees_all = poryadok_core::domain::Role::parse(&role).is_some_and(|r| r.sees_all());
            if column == "monthly_review" && !sees_all {
                continue;
            }
            out.push(Recipient { user_id: r.try_get("", "id")?, sees_all });
        }
        Ok(out)
    }

    /// Installs (or keeps) the daily schedule of a workspace's scheduled reports, first at the
    /// next `DIGEST_HOUR` o'clock in its time zone.
    pub async fn ensure_digest_schedule(&self, ws: i64) -> Result<()> {
        let info = self.workspace_info(ws).await?;
        let now = self.clock.now_ms();
        let (day_start, _) = poryadok_core::zone::day_bounds(&info.timezone, now);
        let mut first = day_start + DIGEST_HOUR * 3_600_000;
        if first <= now {
            first += 86_400_000;
        }
        self.upsert_schedule(ws, "report_digest", DIGEST_JOB, &json!({}), 86_400_000, first).await
    }

    /// The violations of the audit rounds started in `[from, to)` by responsible user and rule
    /// (all of them for those who review, the caller's own otherwise).
    pub async fn violations_by_user(&self, actor: &Actor, from: i64, to: i64) -> Result<Vec<ViolationLine>> {
        let ws = actor.ws_id();
        let rounds = Query::select()
            .column(col("id"))
            .from(col("audit_rounds"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("started_at")).gte(from))
            .and_where(Expr::col(col("started_at")).lt(to))
            .to_owned();
        let v = |c: &str| Expr::col((col("v"), col(c)));
        let mut q = Query::select();
        q.expr_as(v("user_id"), Alias::new("user_id"))
            .expr_as(Expr::col((col("r"), col("name"))), Alias::new("rule"))
            .expr_as(Func::count(v("id")), Alias::new("found"))
            .expr_as(
                Expr::cust("COALESCE(SUM(CASE WHEN v.status = 'fixed' AND (v.recheck IS NULL OR v.recheck <> 'still_matches') THEN 1 ELSE 0 END), 0)"),
                Alias::new("fixed"),
            )
            .from_as(col("violations"), col("v"))
            .inner_join(crate::sql::aliased("rules", "r"), Expr::col((col("r"), col("id"))).equals((col("v"), col("rule_id"))))
            .and_where(v("workspace_id").eq(ws))
            .and_where(v("round_id").in_subquery(rounds))
            .add_group_by([v("user_id").into(), Expr::col((col("r"), col("name"))).into()]);
        if !actor.caller.role.sees_all() {
            q.and_where(v("user_id").eq(actor.user_id()));
        }
        let mut out = self
            .read
            .query_all(self.backend.build(&q))
            .await?
            .iter()
            .map(|r| {
                Ok(ViolationLine {
                    user_id: r.try_get("", "user_id")?,
                    rule: r.try_get("", "rule")?,
                    found: r.try_get("", "found")?,
                    fixed: r.try_get::<Option<i64>>("", "fixed")?.unwrap_or(0),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        out.sort_by(|a, b| b.found.cmp(&a.found).then_with(|| a.rule.cmp(&b.rule)).then(a.user_id.cmp(&b.user_id)));
        Ok(out)
    }
}
