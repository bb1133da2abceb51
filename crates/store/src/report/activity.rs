//! What each manager did over a period: calls in, out and missed with their talk time, messages
//! in and out, meetings, tasks done and let go overdue, invoices issued and paid. One `GROUP BY`
//! per table (activities, messages, invoices) counts them per owner; the rows are put together
//! here, with a row of zeros for each working user of the scope who did nothing (a head wants
//! to see that too).
//!
//! Whose a figure is: an activity's and an invoice's owner; a message's deal's owner (its
//! person's owner when it has no deal). The scope's manager and team pick those owners, not the
//! deals'. Everything counted is what the caller may see (an activity or an invoice by its own
//! visibility, even on a colleague's deal; a message by its deal's, or its person's), and nothing
//! of a deal closed as not a lead or of a person marked so counts. A chosen pipeline or a filter narrows every figure to
//! the records linked to the scope's deals (then records without a deal drop out). Each figure
//! is defined in `docs/REPORTS.md`.
use super::ReportScope;
use crate::actor::{scope_condition, Actor};
use crate::error::Result;
use crate::sql::col;
use crate::Db;
use poryadok_core::access::Scope;
use poryadok_core::domain::{ActivityType, CallDirection, CallOutcome, Role};
use poryadok_core::report::ratio;
use poryadok_core::schema::Entity;
use sea_orm::{ConnectionTrait, QueryResult};
use sea_query::{Alias, Cond, Expr, Func, Query, SelectStatement, SimpleExpr};
use std::collections::BTreeMap;

/// The figures of one manager (or of the department).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ActivityCounts {
    /// Incoming calls answered (or logged without an outcome).
    pub calls_in: i64,
    /// Outgoing calls, whether the client answered or not.
    pub calls_out: i64,
    /// Incoming calls nobody answered (missed, busy, failed).
    pub calls_missed: i64,
    /// The length of the answered calls, in and out, in seconds.
    pub talk_seconds: i64,
    pub messages_in: i64,
    /// Outgoing messages on the clients' cards and e-mails logged as done activities.
    pub messages_out: i64,
    /// The e-mails among `messages_out`.
    pub emails_out: i64,
    /// Meetings, demos and lunches held (done).
    pub meetings: i64,
    /// Tasks (every activity but a call's record) marked done in the period.
    pub tasks_done: i64,
    /// Tasks due in the period that are past due and still open now (as the load report and
    /// the Today page count them: a task done late is done).
    pub tasks_overdue: i64,
    /// Invoices issued in the period (cancelled ones aside), and their amount in minor units.
    pub invoices_issued: i64,
    pub invoices_issued_value: i64,
    /// Invoices paid in full in the period (their last payment's day), and their amount.
    pub invoices_paid: i64,
    pub invoices_paid_value: i64,
}

impl ActivityCounts {
    /// Every call: in, out and missed.
    pub fn calls(&self) -> i64 {
        self.calls_in + self.calls_out + self.calls_missed
    }

    /// The share of incoming calls answered: in ÷ (in + missed); none without incoming calls.
    pub fn answered_share(&self) -> Option<f64> {
        ratio(self.calls_in, self.calls_in + self.calls_missed)
    }

    pub fn is_empty(&self) -> bool {
        *self == ActivityCounts::default()
    }

    pub fn add(&mut self, o: &ActivityCounts) {
        self.calls_in += o.calls_in;
        self.calls_out += o.calls_out;
        self.calls_missed += o.calls_missed;
        self.talk_seconds += o.talk_seconds;
        self.messages_in += o.messages_in;
        self.messages_out += o.messages_out;
        self.emails_out += o.emails_out;
        self.meetings += o.meetings;
        self.tasks_done += o.tasks_done;
        self.tasks_overdue += o.tasks_overdue;
        self.invoices_issued += o.invoices_issued;
        self.invoices_issued_value += o.invoices_issued_value;
        self.invoices_paid += o.invoices_paid;
        self.invoices_paid_value += o.invoices_paid_value;
    }

    /// How much was done, to rank the managers: contacts and tasks done.
    fn work(&self) -> i64 {
        self.calls() + self.messages_out + self.meetings + self.tasks_done
    }
}

/// One owner's figures (none: records without an owner).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ActivityRow {
    pub owner_id: Option<i64>,
    pub counts: ActivityCounts,
}

/// The period's figures per owner, the busiest first (records without an owner last), and the
/// department's total.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ActivityReport {
    pub rows: Vec<ActivityRow>,
    pub total: ActivityCounts,
}

impl ActivityReport {
    pub fn owner(&self, owner: Option<i64>) -> ActivityCounts {
        self.rows.iter().find(|r| r.owner_id == owner).map(|r| r.counts).unwrap_or_default()
    }
}

/// The roles that work clients: a user of these gets a row even with nothing done (anyone else
/// only with something done).
const WORKING_ROLES: [Role; 3] = [Role::Manager, Role::Consultant, Role::PartnerManager];
/// Activities that are meetings with the client.
const MEETINGS: [ActivityType; 3] = [ActivityType::Meeting, ActivityType::Demo, ActivityType::Lunch];

/// The owner an activity is counted for. The unary plus keeps SQLite from reading the period's
/// activities in owner order through the owner index — a random read of every activity of the
/// workspace, 8 s at three million — rather than scanning them and grouping the few owners (1.3 s).
const MANAGER: &str = "+activities.owner_id";

/// `SUM(CASE WHEN c THEN value ELSE 0 END)` as a BIGINT on both backends.
fn sum_if(c: SimpleExpr, value: SimpleExpr) -> SimpleExpr {
    Func::cast_as(Func::sum(Expr::case(c, value).finally(Expr::val(0i64))), Alias::new("BIGINT")).into()
}

fn count_if(c: SimpleExpr) -> SimpleExpr {
    sum_if(c, Expr::val(1i64).into())
}

fn qcol(table: &str, c: &str) -> Expr {
    Expr::col((col(table), col(c)))
}

/// `[from, to)` on a column.
fn within(c: Expr, from: impl Into<sea_query::Value> + Clone, to: impl Into<sea_query::Value> + Clone) -> SimpleExpr {
    c.clone().gte(from).and(c.lt(to))
}

fn get(r: &QueryResult, name: &str) -> Result<i64> {
    Ok(r.try_get::<Option<i64>>("", name)?.unwrap_or(0))
}

impl Db {
    /// The activity of the scope's period over every pipeline (`scope.pipeline` is not read):
    /// what the plans' facts count.
    pub async fn activity_report(&self, actor: &Actor, scope: &ReportScope) -> Result<ActivityReport> {
        self.activity_report_in(actor, scope, None).await
    }

    /// The activity of the scope's period, narrowed to the deals of `pipeline` when one is given.
    pub async fn activity_report_in(&self, actor: &Actor, scope: &ReportScope, pipeline: Option<i64>) -> Result<ActivityReport> {
        let q = Figures { db: self, actor, scope, pipeline };
        let mut by_owner: BTreeMap<Option<i64>, ActivityCounts> = BTreeMap::new();
        for r in self.read.query_all(self.backend.build(&q.activities())).await? {
            let c = by_owner.entry(r.try_get("", "owner_id")?).or_default();
            c.calls_in += get(&r, "calls_in")?;
            c.calls_out += get(&r, "calls_out")?;
            c.calls_missed += get(&r, "calls_missed")?;
            c.talk_seconds += get(&r, "talk")?;
            c.messages_out += get(&r, "emails")?;
            c.emails_out += get(&r, "emails")?;
            c.meetings += get(&r, "meetings")?;
            c.tasks_done += get(&r, "tasks_done")?;
            c.tasks_overdue += get(&r, "tasks_overdue")?;
        }
        for r in self.read.query_all(self.backend.build(&q.messages())).await? {
            let c = by_owner.entry(r.try_get("", "owner_id")?).or_default();
            let (direction, channel, n): (String, String, i64) = (r.try_get("", "direction")?, r.try_get("", "channel")?, get(&r, "n")?);
            if direction == "in" {
                c.messages_in += n;
            } else {
                c.messages_out += n;
                if channel == "email" {
                    c.emails_out += n;
                }
            }
        }
        for r in self.read.query_all(self.backend.build(&q.invoices())).await? {
            let c = by_owner.entry(r.try_get("", "owner_id")?).or_default();
            c.invoices_issued += get(&r, "issued")?;
            c.invoices_issued_value += get(&r, "issued_value")?;
            c.invoices_paid += get(&r, "paid")?;
            c.invoices_paid_value += get(&r, "paid_value")?;
        }
        for r in self.read.query_all(self.backend.build(&q.users())).await? {
            by_owner.entry(Some(r.try_get("", "id")?)).or_default();
        }
        let mut total = ActivityCounts::default();
        let mut rows: Vec<ActivityRow> = by_owner
            .into_iter()
            .filter(|(o, c)| o.is_some() || !c.is_empty())
            .map(|(owner_id, counts)| {
                total.add(&counts);
                ActivityRow { owner_id, counts }
            })
            .collect();
        rows.sort_by(|a, b| {
            (a.owner_id.is_none(), -a.counts.work(), -a.counts.invoices_issued, a.owner_id).cmp(&(
                b.owner_id.is_none(),
                -b.counts.work(),
                -b.counts.invoices_issued,
                b.owner_id,
            ))
        });
        Ok(ActivityReport { rows, total })
    }
}

/// The queries of one report.
struct Figures<'a> {
    db: &'a Db,
    actor: &'a Actor,
    scope: &'a ReportScope,
    pipeline: Option<i64>,
}

impl Figures<'_> {
    fn ws(&self) -> i64 {
        self.actor.ws_id()
    }

    /// A chosen pipeline or filter: only what is linked to the scope's deals counts.
    fn narrowed(&self) -> bool {
        self.pipeline.is_some() || self.scope.filter.is_some()
    }

    /// The deal `table.deal_id` is one of the report's deals (whoever owns it), one the caller
    /// may see when `seen` — a record seen for its own sake (an activity, an invoice by its owner)
    /// counts on a deal the caller does not see: a manager's call on a colleague's client is theirs.
    fn deal_counts(&self, table: &str, seen: bool) -> SimpleExpr {
        let deals = ReportScope { owner: None, team: None, filter: None, ..self.scope.clone() };
        let mut anyone = self.actor.clone();
        anyone.caller.role = Role::Admin;
        let mut q = Query::select()
            .expr(Expr::val(1))
            .from(col("deals"))
            .and_where(qcol("deals", "id").equals((col(table), col("deal_id"))))
            .cond_where(self.db.report_deals_in(if seen { self.actor } else { &anyone }, &deals, self.pipeline))
            .to_owned();
        // The filter is the caller's own: what it looks into is restricted to what they see.
        if let Some(f) = &self.scope.filter {
            q.and_where(self.db.filter_condition(self.actor, f, self.db.clock.now_ms()));
        }
        Expr::exists(q)
    }

    /// `table.person_id` (when given) is not marked as not a lead.
    fn person_is_lead(&self, table: &str) -> SimpleExpr {
        let marked = Query::select()
            .expr(Expr::val(1))
            .from(col("persons"))
            .and_where(qcol("persons", "id").equals((col(table), col("person_id"))))
            .and_where(qcol("persons", "not_lead_reason").is_not_null())
            .and_where(qcol("persons", "not_lead_reason").ne(""))
            .to_owned();
        qcol(table, "person_id").is_null().or(Expr::exists(marked).not())
    }

    /// Whose a record is: `owner` is the scope's manager, or a member of its team.
    fn owner_in_scope(&self, owner: Expr) -> Cond {
        let mut c = Cond::all();
        if let Some(o) = self.scope.owner {
            c = c.add(owner.clone().eq(o));
        }
        if let Some(t) = self.scope.team {
            c = c.add(owner.in_subquery(team(self.ws(), t)));
        }
        c
    }

    fn activities(&self) -> SelectStatement {
        let (from, to) = (self.scope.from, self.scope.to);
        let a = |c: &str| qcol("activities", c);
        // A contact happened at its due time, or when it was marked done if it has none.
        let held = within(a("due_at"), from, to).or(a("due_at").is_null().and(within(a("done_at"), from, to)));
        let done = a("done").eq(true);
        let call = a("type").eq(ActivityType::Call.as_str()).and(a("call_direction").is_not_null()).and(done.clone()).and(held.clone());
        let inbound = a("call_direction").eq(CallDirection::Inbound.as_str());
        let answered = a("call_outcome").is_null().or(a("call_outcome").eq(CallOutcome::Answered.as_str()));
        let task = a("call_direction").is_null();
        let now = self.db.clock.now_ms();
        let talk: SimpleExpr = Func::coalesce([a("call_seconds").into(), a("duration_min").mul(60), Expr::val(0i64).into()]).into();
        let mut q = Query::select()
            .expr_as(Expr::cust(MANAGER), Alias::new("owner_id"))
            .expr_as(count_if(call.clone().and(inbound.clone()).and(answered.clone())), Alias::new("calls_in"))
            .expr_as(count_if(call.clone().and(a("call_direction").eq(CallDirection::Outbound.as_str()))), Alias::new("calls_out"))
            .expr_as(count_if(call.clone().and(inbound).and(answered.clone().not())), Alias::new("calls_missed"))
            .expr_as(sum_if(call.and(answered), talk), Alias::new("talk"))
            .expr_as(count_if(a("type").eq(ActivityType::Email.as_str()).and(done.clone()).and(held.clone())), Alias::new("emails"))
            .expr_as(count_if(a("type").is_in(MEETINGS.map(|t| t.as_str())).and(done.clone()).and(held)), Alias::new("meetings"))
            .expr_as(count_if(task.clone().and(done).and(within(a("done_at"), from, to))), Alias::new("tasks_done"))
            .expr_as(count_if(task.and(a("done").eq(false)).and(within(a("due_at"), from, to.min(now)))), Alias::new("tasks_overdue"))
            .from(col("activities"))
            .and_where(a("workspace_id").eq(self.ws()))
            .and_where(a("deleted_at").is_null())
            .cond_where(Cond::any().add(within(a("due_at"), from, to)).add(within(a("done_at"), from, to)))
            .cond_where(self.owner_in_scope(a("owner_id")))
            .cond_where(self.linked("activities", true, false))
            .add_group_by([Expr::cust(MANAGER)])
            .to_owned();
        if let Some(s) = scope_condition(Entity::Activity, &self.actor.caller) {
            q.and_where(s);
        }
        q
    }

    /// The record `table` is linked to the report's deals (see [`Figures::deal_counts`] for
    /// `seen`): to one of them, or (unless narrowed) to no deal at all, its person (when
    /// `person`) not marked as not a lead.
    fn linked(&self, table: &str, person: bool, seen: bool) -> Cond {
        let on_deal = self.deal_counts(table, seen);
        if self.narrowed() {
            return Cond::all().add(qcol(table, "deal_id").is_not_null()).add(on_deal);
        }
        let mut no_deal = Cond::all().add(qcol(table, "deal_id").is_null());
        if person {
            no_deal = no_deal.add(self.person_is_lead(table));
        }
        Cond::any().add(no_deal).add(on_deal)
    }

    fn messages(&self) -> SelectStatement {
        let m = |c: &str| qcol("messages", c);
        // A message without a deal is seen by whoever sees its person.
        let mut person = Query::select()
            .expr(Expr::val(1))
            .from(col("persons"))
            .and_where(qcol("persons", "id").equals((col("messages"), col("person_id"))))
            .and_where(qcol("persons", "deleted_at").is_null())
            .to_owned();
        if let Some(s) = scope_condition(Entity::Person, &self.actor.caller) {
            person.and_where(s);
        }
        let visible = Cond::any().add(m("deal_id").is_not_null()).add(Expr::exists(person));
        let rows = Query::select()
            .expr_as(
                Func::coalesce([
                    SimpleExpr::SubQuery(
                        None,
                        Box::new(
                            Query::select()
                                .column((col("deals"), col("owner_id")))
                                .from(col("deals"))
                                .and_where(qcol("deals", "id").equals((col("messages"), col("deal_id"))))
                                .to_owned()
                                .into_sub_query_statement(),
                        ),
                    ),
                    SimpleExpr::SubQuery(
                        None,
                        Box::new(
                            Query::select()
                                .column((col("persons"), col("owner_id")))
                                .from(col("persons"))
                                .and_where(qcol("persons", "id").equals((col("messages"), col("person_id"))))
                                .to_owned()
                                .into_sub_query_statement(),
                        ),
                    ),
                ]),
                Alias::new("owner_id"),
            )
            .columns([(col("messages"), col("direction")), (col("messages"), col("channel"))])
            .from(col("messages"))
            .and_where(m("workspace_id").eq(self.ws()))
            .and_where(within(m("sent_at"), self.scope.from, self.scope.to))
            .cond_where(self.linked("messages", true, true))
            .cond_where(visible)
            .to_owned();
        Query::select()
            .columns(["owner_id", "direction", "channel"].map(col))
            .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
            .from_subquery(rows, Alias::new("m"))
            .cond_where(self.owner_in_scope(Expr::col(col("owner_id"))))
            .group_by_columns(["owner_id", "direction", "channel"].map(col))
            .to_owned()
    }

    fn invoices(&self) -> SelectStatement {
        let i = |c: &str| qcol("invoices", c);
        // Invoices carry local days of the workspace: the period's are [first day, the day after).
        let tz = self.actor.ws.timezone.as_str();
        let (first, after) = (crate::activity_clock::local_day(tz, self.scope.from), crate::activity_clock::local_day(tz, self.scope.to));
        let issued = within(i("issued_on"), first.clone(), after.clone());
        let paid = i("status").eq("paid").and(within(i("paid_on"), first, after));
        let amount: SimpleExpr = i("amount").into();
        let mut q = Query::select()
            .column(col("owner_id"))
            .expr_as(count_if(issued.clone()), Alias::new("issued"))
            .expr_as(sum_if(issued.clone(), amount.clone()), Alias::new("issued_value"))
            .expr_as(count_if(paid.clone()), Alias::new("paid"))
            .expr_as(sum_if(paid.clone(), amount), Alias::new("paid_value"))
            .from(col("invoices"))
            .and_where(i("workspace_id").eq(self.ws()))
            .and_where(i("deleted_at").is_null())
            .and_where(i("status").ne("cancelled"))
            .cond_where(Cond::any().add(issued).add(paid))
            .cond_where(self.owner_in_scope(i("owner_id")))
            .cond_where(self.linked("invoices", false, false))
            .group_by_col(col("owner_id"))
            .to_owned();
        // As the invoices' own list: the owner within the caller's scope, or a deal they take part in.
        if let Some(own) = scope_condition(Entity::Organization, &self.actor.caller) {
            let taking_part = Query::select()
                .column(col("deal_id"))
                .from(col("deal_participants"))
                .and_where(Expr::col(col("workspace_id")).eq(self.ws()))
                .and_where(Expr::col(col("user_id")).eq(self.actor.user_id()))
                .to_owned();
            q.cond_where(Cond::any().add(own).add(i("deal_id").in_subquery(taking_part)));
        }
        q
    }

    /// The working users of the scope the caller may see: each gets a row.
    fn users(&self) -> SelectStatement {
        let u = |c: &str| qcol("users", c);
        let mut q = Query::select()
            .column(col("id"))
            .from(col("users"))
            .and_where(u("workspace_id").eq(self.ws()))
            .and_where(u("active").eq(true))
            .and_where(u("role").is_in(WORKING_ROLES.map(|r| r.as_str())))
            .cond_where(self.owner_in_scope(u("id")))
            .to_owned();
        match self.actor.caller.scope() {
            Scope::All => {}
            Scope::OwnedBy(user) => {
                q.and_where(u("id").eq(user));
            }
            Scope::Team { team_id, user_id } => {
                q.cond_where(Cond::any().add(u("team_id").eq(team_id)).add(u("id").eq(user_id)));
            }
        }
        q
    }
}

/// The ids of a team's members.
fn team(ws: i64, team: i64) -> SelectStatement {
    Query::select()
        .column(col("id"))
        .from(col("users"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .and_where(Expr::col(col("team_id")).eq(team))
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::not_lead::NotLead;
    use crate::DatabaseUrl;
    use poryadok_core::domain::{Channel, Visibility};
    use poryadok_core::types::format_ms;
    use poryadok_core::FixedClock;
    use serde_json::json;
    use std::sync::Arc;

    const HOUR: i64 = 3_600_000;

    /// A fresh migrated database: SQLite, or PostgreSQL when PORYADOK_TEST_POSTGRES is set.
    async fn temp_db(postgres: bool) -> Option<(Db, Option<std::path::PathBuf>)> {
        let unique = format!("{}_{}", std::process::id(), rand::random::<u32>());
        let (url, file) = if postgres {
            let admin = std::env::var("PORYADOK_TEST_POSTGRES").ok()?;
            let conn = sea_orm::Database::connect(&admin).await.unwrap();
            conn.execute_unprepared(&format!("CREATE DATABASE poryadok_activity_{unique}")).await.unwrap();
            conn.close().await.unwrap();
            let (prefix, _) = admin.rsplit_once('/').unwrap();
            (format!("{prefix}/poryadok_activity_{unique}"), None)
        } else {
            let path = std::env::temp_dir().join(format!("activity-{unique}.db"));
            (format!("sqlite://{}", path.display()), Some(path))
        };
        // Monday 23 November 2026, 12:00 UTC.
        let clock = Arc::new(FixedClock::new(time::macros::datetime!(2026-11-23 12:00 UTC)));
        let db = Db::connect(&DatabaseUrl::new(url), clock).await.unwrap();
        db.migrate().await.unwrap();
        Some((db, file))
    }

    #[tokio::test]
    async fn each_managers_calls_messages_tasks_and_invoices_are_counted_on_sqlite() {
        counts_each_figure(false).await;
    }

    #[tokio::test]
    async fn each_managers_calls_messages_tasks_and_invoices_are_counted_on_postgres() {
        counts_each_figure(true).await;
    }

    async fn counts_each_figure(postgres: bool) {
        let Some((db, file)) = temp_db(postgres).await else {
            eprintln!("PostgreSQL variant not run: PORYADOK_TEST_POSTGRES is not set");
            return;
        };
        let ws = db.create_workspace(&crate::workspace::NewWorkspace { name: "Т".into(), ..Default::default() }).await.unwrap().id;
        let sys = db.system_actor(ws, Channel::Cli).await.unwrap();
        let create = |entity: Entity, body: serde_json::Value| {
            let (db, sys) = (db.clone(), sys.clone());
            async move { db.create(&sys, entity, &body).await.unwrap().id() }
        };
        let m1 = create(Entity::User, json!({"email": "m1@t.test", "name": "m1", "role": "manager"})).await;
        let m2 = create(Entity::User, json!({"email": "m2@t.test", "name": "m2", "role": "manager"})).await;
        create(Entity::User, json!({"email": "an@t.test", "name": "an", "role": "analyst"})).await;
        let pipeline = create(Entity::Pipeline, json!({"name": "Клиенты"})).await;
        create(Entity::Stage, json!({"pipeline_id": pipeline, "name": "Новый"})).await;
        let person = create(Entity::Person, json!({"name": "Клиент", "owner_id": m2})).await;
        let deal = |owner: i64| create(Entity::Deal, json!({"title": "Сделка", "owner_id": owner, "pipeline_id": pipeline}));
        let (d1, d2, spam) = (deal(m1).await, deal(m2).await, deal(m1).await);
        let now = db.clock.now_ms();
        let at = |h: i64| format_ms(now + h * HOUR);
        let call = |owner: i64, deal: i64, dir: &str, outcome: &str, seconds: Option<i64>, minutes: Option<i64>| {
            json!({"type": "call", "subject": "+7", "done": true, "due_at": at(-2), "owner_id": owner, "deal_id": deal,
                   "call_direction": dir, "call_outcome": outcome, "call_seconds": seconds, "duration_min": minutes})
        };
        for body in [
            call(m1, d1, "inbound", "answered", Some(120), Some(2)),
            call(m1, d1, "inbound", "missed", None, None),
            // m1 calls m2's client: the call is m1's. Three minutes without seconds: 180 s.
            call(m1, d2, "outbound", "answered", None, Some(3)),
            call(m1, d2, "outbound", "missed", None, None),
            call(m1, spam, "inbound", "answered", Some(60), None),
            json!({"type": "meeting", "subject": "Встреча", "done": true, "due_at": at(-3), "owner_id": m1, "deal_id": d1}),
            json!({"type": "email", "subject": "КП", "done": true, "due_at": at(-1), "owner_id": m1, "deal_id": d1}),
            json!({"type": "task", "subject": "Перезвонить", "done": false, "due_at": at(-1), "owner_id": m2, "deal_id": d2}),
            json!({"type": "task", "subject": "Позже", "done": false, "due_at": at(5), "owner_id": m2, "deal_id": d2}),
            json!({"type": "task", "subject": "Без сделки", "done": true, "due_at": at(1), "owner_id": m2, "person_id": person}),
            // Last month: not in the week.
            json!({"type": "call", "subject": "+7", "done": true, "due_at": at(-24 * 30), "owner_id": m2, "deal_id": d2,
                   "call_direction": "outbound", "call_outcome": "answered"}),
        ] {
            create(Entity::Activity, body).await;
        }
        db.close_not_lead(&sys, spam, &NotLead { reason: "Спам".into(), ..Default::default() }, None).await.unwrap();
        for (deal, person, direction, channel) in
            [(Some(d1), None, "in", "telegram"), (None, Some(person), "in", "email"), (Some(d1), None, "out", "email")]
        {
            let q = Query::insert()
                .into_table(col("messages"))
                .columns(["workspace_id", "channel", "direction", "person_id", "deal_id", "body", "sent_at", "created_at"].map(col))
                .values_panic([
                    ws.into(),
                    channel.into(),
                    direction.into(),
                    person.into(),
                    deal.into(),
                    "…".into(),
                    (now - HOUR).into(),
                    now.into(),
                ])
                .to_owned();
            db.write.execute(db.backend.build(&q)).await.unwrap();
        }
        for (number, owner, issued, paid) in [("1", m1, "2026-11-23", true), ("2", m2, "2026-11-01", true), ("3", m2, "2026-11-24", false)]
        {
            let inv = db
                .create_invoice(
                    &sys,
                    &json!({"number": number, "owner_id": owner, "amount": 10_000, "currency": "RUB", "issued_on": issued}),
                )
                .await
                .unwrap();
            if paid {
                db.add_payment(&sys, inv.id, &json!({"amount": 10_000, "paid_on": "2026-11-23"})).await.unwrap();
            }
        }

        // The week of Monday 23 November (Moscow), as the plans read it: no pipeline.
        let p = poryadok_core::report::Period::parse("2026-11-23", "2026-11-29", &sys.ws.timezone).unwrap();
        let scope = ReportScope { from: p.from, to: p.to, ..Default::default() };
        let r = db.activity_report(&sys, &scope).await.unwrap();
        let m1c = ActivityCounts {
            calls_in: 1,
            calls_out: 2,
            calls_missed: 1,
            talk_seconds: 300,
            messages_in: 1,
            messages_out: 2,
            emails_out: 2,
            meetings: 1,
            tasks_done: 2,
            invoices_issued: 1,
            invoices_issued_value: 10_000,
            invoices_paid: 1,
            invoices_paid_value: 10_000,
            ..Default::default()
        };
        let m2c = ActivityCounts {
            messages_in: 1,
            tasks_done: 1,
            tasks_overdue: 1,
            invoices_issued: 1,
            invoices_issued_value: 10_000,
            invoices_paid: 1,
            invoices_paid_value: 10_000,
            ..Default::default()
        };
        assert_eq!(r.rows, vec![ActivityRow { owner_id: Some(m1), counts: m1c }, ActivityRow { owner_id: Some(m2), counts: m2c }]);
        assert_eq!((r.total.calls(), r.total.tasks_done, r.total.invoices_paid), (4, 3, 2));
        assert_eq!(m1c.answered_share(), Some(0.5));

        // One pipeline: only what is on its deals (the task and the message without a deal drop out).
        let r = db.activity_report_in(&sys, &scope, Some(pipeline)).await.unwrap();
        assert_eq!((r.owner(Some(m2)).tasks_done, r.owner(Some(m2)).messages_in, r.owner(Some(m2)).invoices_issued), (0, 0, 0));
        assert_eq!(r.owner(Some(m1)).calls(), 4);

        // A manager who sees their own records: their row only.
        let mut m2_actor = db.actor_for_user(m2, Channel::Api).await.unwrap();
        m2_actor.caller.visibility = Visibility::Own;
        let r = db.activity_report(&m2_actor, &scope).await.unwrap();
        assert_eq!(r.rows, vec![ActivityRow { owner_id: Some(m2), counts: m2c }]);
        // m1 alone, by the scope's manager.
        let r = db.activity_report(&sys, &ReportScope { owner: Some(m1), ..scope.clone() }).await.unwrap();
        assert_eq!(r.total, m1c);
        drop(db);
        if let Some(f) = file {
            for ext in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{ext}", f.display()));
            }
        }
    }
}
