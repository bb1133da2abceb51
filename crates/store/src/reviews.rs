//! Call quality review: the workspace's versioned scorecard, sampling settings, the weekly
//! sample into a review queue, reviews, disputes and the report.
//!
//! A scorecard is never changed in place: saving one adds the next version, and a review keeps
//! the version it was scored with. The sample of a week is decided by `poryadok_core::review`
//! from the workspace's stored seed, so sampling a week again adds nothing new. Heads of sales and
//! administrators review and resolve; a manager reads their own reviews and may dispute each once.
use crate::actor::Actor;
use crate::db::Db;
use crate::error::{Result, StoreError};
use crate::records::append_history;
use poryadok_core::domain::{HistoryAction, Role};
use poryadok_core::msg::{Common, ReviewMsg};
use poryadok_core::review::{self, Criterion, SampleSettings};
use poryadok_core::types::format_ms;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, TransactionTrait, Value};
use serde::Serialize;
use serde_json::{json, Map, Value as Json};
use std::collections::{BTreeMap, HashMap};
use time::{Date, Duration, Weekday};

fn raw(backend: DbBackend, sql: &str, values: Vec<Value>) -> sea_orm::Statement {
    let sql = if backend == DbBackend::Postgres { sql.to_string() } else { sql.replace('$', "?") };
    sea_orm::Statement::from_sql_and_values(backend, sql, values)
}

/// The sampling settings as stored; `None` before the first use (nothing is written).
pub(crate) async fn sampling_on(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64) -> Result<Option<ReviewSettings>> {
    let sql = "SELECT inbound_bp, outbound_bp, min_seconds, seed, lost_deals FROM review_settings WHERE workspace_id = $1";
    let Some(r) = conn.query_one(raw(backend, sql, vec![ws.into()])).await? else { return Ok(None) };
    Ok(Some(ReviewSettings {
        inbound_pct: r.try_get::<i64>("", "inbound_bp")? as f64 / 100.0,
        outbound_pct: r.try_get::<i64>("", "outbound_bp")? as f64 / 100.0,
        min_seconds: r.try_get("", "min_seconds")?,
        seed: r.try_get("", "seed")?,
        lost_deals: r.try_get("", "lost_deals")?,
    }))
}

/// Writes the sampling settings (the queue page's form and a regulation file alike), with a
/// history event of the workspace's `review_settings` when they change.
pub(crate) async fn put_sampling_on(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    actor: &Actor,
    s: &ReviewSettings,
    now: i64,
) -> Result<()> {
    let ws = actor.ws_id();
    let before = sampling_on(conn, backend, ws).await?;
    let bp = |p: f64| (p * 100.0).round() as i64;
    let shown = |s: &ReviewSettings| {
        json!({"inbound_pct": bp(s.inbound_pct) as f64 / 100.0, "outbound_pct": bp(s.outbound_pct) as f64 / 100.0,
               "min_seconds": s.min_seconds, "seed": s.seed, "lost_deals": s.lost_deals})
    };
    if before.as_ref().map(shown) == Some(shown(s)) {
        return Ok(());
    }
    let sql = "INSERT INTO review_settings (workspace_id, inbound_bp, outbound_bp, min_seconds, seed, updated_at, lost_deals) \
               VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (workspace_id) DO UPDATE SET inbound_bp = EXCLUDED.inbound_bp, \
               outbound_bp = EXCLUDED.outbound_bp, min_seconds = EXCLUDED.min_seconds, seed = EXCLUDED.seed, \
               updated_at = EXCLUDED.updated_at, lost_deals = EXCLUDED.lost_deals";
    let values = vec![
        ws.into(),
        bp(s.inbound_pct).into(),
        bp(s.outbound_pct).into(),
        s.min_seconds.into(),
        s.seed.into(),
        now.into(),
        s.lost_deals.into(),
    ];
    conn.execute(raw(backend, sql, values)).await?;
    let mut changes = Map::new();
    changes.insert("review_sampling".into(), json!({"from": before.as_ref().map(shown), "to": shown(s)}));
    append_history(conn, backend, actor, "review_settings", ws, HistoryAction::Update, changes, now).await
}

fn is_head(actor: &Actor) -> bool {
    matches!(actor.caller.role, Role::Admin | Role::Head)
}

fn heads_only(actor: &Actor) -> Result<()> {
    if is_head(actor) {
        Ok(())
    } else {
        Err(StoreError::forbidden(ReviewMsg::HeadsOnly {}))
    }
}

/// An ISO week (`2026-W48`): its Monday.
pub fn parse_week(s: &str) -> Option<Date> {
    let (y, w) = s.split_once("-W")?;
    Date::from_iso_week_date(y.parse().ok()?, w.parse().ok()?, Weekday::Monday).ok()
}

pub fn week_key(d: Date) -> String {
    let (y, w, _) = d.to_iso_week_date();
    format!("{y}-W{w:02}")
}

#[derive(Debug, Clone, Serialize)]
pub struct Scorecard {
    pub id: i64,
    pub name: String,
    pub version: i64,
    pub criteria: Json,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReviewSettings {
    pub inbound_pct: f64,
    pub outbound_pct: f64,
    pub min_seconds: i64,
    pub seed: i64,
    /// Every answered call of a deal that is lost goes to the queue too.
    pub lost_deals: bool,
}

/// One manager's share of a week's sample.
#[derive(Debug, Clone, Serialize, Default)]
pub struct SampleLine {
    pub manager_id: i64,
    pub inbound_calls: usize,
    pub inbound_sampled: usize,
    pub outbound_calls: usize,
    pub outbound_sampled: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct SampleReport {
    pub week: String,
    pub calls: usize,
    pub sampled: usize,
    /// Reviews new to the queue (a week sampled again adds none).
    pub queued: usize,
    pub managers: Vec<SampleLine>,
}

/// A call in the review queue, with the call and its client for the review screen.
#[derive(Debug, Clone, Serialize)]
pub struct CallReview {
    pub id: i64,
    pub activity_id: i64,
    pub manager_id: i64,
    pub manager_name: String,
    pub week: String,
    pub direction: String,
    /// queued, reviewed, disputed, resolved.
    pub status: String,
    pub scorecard_id: Option<i64>,
    pub reviewer_id: Option<i64>,
    pub points: Json,
    pub score_pct: Option<f64>,
    pub failed_critical: Json,
    pub comment: Option<String>,
    pub comment_second: Option<i64>,
    pub dispute: Option<String>,
    pub resolution: Option<String>,
    pub resolution_comment: Option<String>,
    pub call_at: Option<String>,
    pub call_seconds: Option<i64>,
    pub recording_url: Option<String>,
    pub phone: Option<String>,
    pub deal_id: Option<i64>,
    pub deal_title: Option<String>,
    pub person_id: Option<i64>,
    pub person_name: Option<String>,
    pub version: i64,
}

/// A manager's or a criterion's line of the report.
#[derive(Debug, Clone, Serialize)]
pub struct ScoreLine {
    pub key: String,
    pub label: String,
    pub reviews: i64,
    pub score_pct: f64,
}

/// The report of a period: per manager, per criterion (where the team is weak), and the trend
/// per week.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewReport {
    pub from: String,
    pub to: String,
    pub managers: Vec<ScoreLine>,
    pub criteria: Vec<ScoreLine>,
    pub weeks: Vec<ScoreLine>,
    /// Per manager per week, and per manager per month (`2026-11`, the month holding the
    /// week's Thursday, as ISO weeks are counted): the trend of each manager.
    pub manager_weeks: Vec<PeriodLine>,
    pub manager_months: Vec<PeriodLine>,
    /// The columns of the manager × criterion table: the criteria of the scorecards the
    /// period's reviews were scored with, the newest version's order first.
    pub criterion_columns: Vec<CriterionColumn>,
    /// Per manager (by name), a cell per column of `criterion_columns`, in that order.
    pub manager_criteria: Vec<ManagerCriteria>,
}

/// A column of the manager × criterion table.
#[derive(Debug, Clone, Serialize)]
pub struct CriterionColumn {
    pub key: String,
    pub title: String,
    /// The call's step (contact, needs, presentation, objections, next_step).
    pub step: String,
}

/// A manager's row of the manager × criterion table.
#[derive(Debug, Clone, Serialize)]
pub struct ManagerCriteria {
    pub manager_id: i64,
    pub manager_name: String,
    /// The manager's reviews in the period.
    pub reviews: i64,
    pub cells: Vec<CriterionCell>,
}

/// One manager's results on one criterion.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CriterionCell {
    pub key: String,
    /// Reviews scored on this criterion (0: the manager's calls were scored on cards without it).
    pub reviews: i64,
    /// Σ points ÷ Σ maximum points, percent (none without reviews).
    pub score_pct: Option<f64>,
    /// The share of those reviews given the criterion's maximum, percent.
    pub passed_pct: Option<f64>,
}

/// A manager's average over one week or month.
#[derive(Debug, Clone, Serialize)]
pub struct PeriodLine {
    pub manager_id: i64,
    pub manager_name: String,
    pub period: String,
    pub reviews: i64,
    pub score_pct: f64,
}

/// The job that draws last week's sample every Monday (one schedule per workspace).
pub const SAMPLE_JOB: &str = "review_sample";
/// The hour of Monday, local time, the weekly sample is drawn.
const SAMPLE_HOUR: u16 = 3;

/// The Monday of the week before the one holding the local day of `now_ms`.
pub fn last_week(tz: &str, now_ms: i64) -> Date {
    let today = poryadok_core::zone::local(tz, now_ms).date();
    today - Duration::days(i64::from(today.weekday().number_days_from_monday()) + 7)
}

/// The month (`2026-11`) an ISO week belongs to: the month of its Thursday.
pub fn month_of_week(week: &str) -> String {
    match parse_week(week) {
        Some(monday) => {
            let thu = monday + Duration::days(3);
            format!("{:04}-{:02}", thu.year(), u8::from(thu.month()))
        }
        None => String::new(),
    }
}

const REVIEW_SELECT: &str = "SELECT r.id, r.activity_id, r.manager_id, u.name AS manager_name, r.week, r.direction, r.status, r.scorecard_id, \
    r.reviewer_id, r.points, r.score_tenths, r.failed_critical, r.comment, r.comment_second, r.dispute, r.resolution, r.resolution_comment, r.version, \
    a.due_at, a.call_seconds, a.recording_url, a.phone, a.deal_id, d.title AS deal_title, a.person_id, p.name AS person_name \
    FROM call_reviews r JOIN activities a ON a.workspace_id = r.workspace_id AND a.id = r.activity_id \
    LEFT JOIN users u ON u.workspace_id = r.workspace_id AND u.id = r.manager_id \
    LEFT JOIN deals d ON d.workspace_id = r.workspace_id AND d.id = a.deal_id \
    LEFT JOIN persons p ON p.workspace_id = r.workspace_id AND p.id = a.person_id \
    WHERE r.workspace_id = $1";

fn json_of(r: &QueryResult, col: &str) -> Result<Json> {
    let t: Option<String> = r.try_get("", col)?;
    Ok(t.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or(Json::Null))
}

fn review_of(r: &QueryResult) -> Result<CallReview> {
    let tenths: Option<i64> = r.try_get("", "score_tenths")?;
    Ok(CallReview {
        id: r.try_get("", "id")?,
        activity_id: r.try_get("", "activity_id")?,
        manager_id: r.try_get("", "manager_id")?,
        manager_name: r.try_get::<Option<String>>("", "manager_name")?.unwrap_or_default(),
        week: r.try_get("", "week")?,
        direction: r.try_get("", "direction")?,
        status: r.try_get("", "status")?,
        scorecard_id: r.try_get("", "scorecard_id")?,
        reviewer_id: r.try_get("", "reviewer_id")?,
        points: json_of(r, "points")?,
        score_pct: tenths.map(|t| t as f64 / 10.0),
        failed_critical: json_of(r, "failed_critical")?,
        comment: r.try_get("", "comment")?,
        comment_second: r.try_get("", "comment_second")?,
        dispute: r.try_get("", "dispute")?,
        resolution: r.try_get("", "resolution")?,
        resolution_comment: r.try_get("", "resolution_comment")?,
        call_at: r.try_get::<Option<i64>>("", "due_at")?.map(format_ms),
        call_seconds: r.try_get("", "call_seconds")?,
        recording_url: r.try_get("", "recording_url")?,
        phone: r.try_get("", "phone")?,
        deal_id: r.try_get("", "deal_id")?,
        deal_title: r.try_get("", "deal_title")?,
        person_id: r.try_get("", "person_id")?,
        person_name: r.try_get("", "person_name")?,
        version: r.try_get("", "version")?,
    })
}

fn scorecard_of(r: &QueryResult) -> Result<Scorecard> {
    Ok(Scorecard {
        id: r.try_get("", "id")?,
        name: r.try_get("", "name")?,
        version: r.try_get("", "version")?,
        criteria: json_of(r, "criteria")?,
        created_at: format_ms(r.try_get("", "created_at")?),
    })
}

/// Creates the default Russian scorecard when the workspace has none (the demo and a new head).
pub(crate) async fn ensure_default_scorecard(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, now: i64) -> Result<()> {
    let has = conn.query_one(raw(backend, "SELECT id FROM scorecards WHERE workspace_id = $1", vec![ws.into()])).await?;
    if has.is_none() {
        let sql = "INSERT INTO scorecards (workspace_id, name, version, criteria, created_by, created_at) VALUES ($1, $2, 1, $3, NULL, $4)";
        let criteria = review::default_criteria_ru().to_string();
        conn.execute(raw(backend, sql, vec![ws.into(), "Оценка звонка".into(), criteria.into(), now.into()])).await?;
    }
    Ok(())
}

/// The workspace's latest scorecard read on `conn`, `None` when it has none.
pub(crate) async fn latest_scorecard_on(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64) -> Result<Option<Scorecard>> {
    let sql = "SELECT id, name, version, criteria, created_at FROM scorecards WHERE workspace_id = $1 ORDER BY version DESC LIMIT 1";
    conn.query_one(raw(backend, sql, vec![ws.into()])).await?.as_ref().map(scorecard_of).transpose()
}

/// Adds `criteria` (already checked) as the scorecard's next version on `conn`, with its history
/// event; returns the new scorecard's id.
pub(crate) async fn put_scorecard_on(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    actor: &Actor,
    name: &str,
    criteria: &[Criterion],
    now: i64,
) -> Result<i64> {
    let ws = actor.ws_id();
    let last = conn.query_one(raw(backend, "SELECT MAX(version) AS v FROM scorecards WHERE workspace_id = $1", vec![ws.into()])).await?;
    let version = last.map(|r| r.try_get::<Option<i64>>("", "v")).transpose()?.flatten().unwrap_or(0) + 1;
    let sql = "INSERT INTO scorecards (workspace_id, name, version, criteria, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
    let text = review::criteria_json(criteria).to_string();
    let id: i64 = conn
        .query_one(raw(
            backend,
            sql,
            vec![ws.into(), name.into(), version.into(), text.into(), Some(actor.user_id()).filter(|u| *u != 0).into(), now.into()],
        ))
        .await?
        .ok_or_else(|| StoreError::Internal("no id".into()))?
        .try_get("", "id")?;
    let mut changes = Map::new();
    changes.insert("version".into(), json!([version - 1, version]));
    append_history(conn, backend, actor, "scorecard", id, HistoryAction::Create, changes, now).await?;
    Ok(id)
}

impl Db {
    /// The workspace's current scorecard (its latest version).
    pub async fn scorecard(&self, actor: &Actor) -> Result<Scorecard> {
        let sql = "SELECT id, name, version, criteria, created_at FROM scorecards WHERE workspace_id = $1 ORDER BY version DESC LIMIT 1";
        let r = self.read.query_one(raw(self.backend, sql, vec![actor.ws_id().into()])).await?;
        scorecard_of(&r.ok_or_else(|| StoreError::invalid("scorecard", ReviewMsg::NoScorecard {}))?)
    }

    async fn scorecard_by_id(&self, conn: &impl ConnectionTrait, ws: i64, id: i64) -> Result<(Scorecard, Vec<Criterion>)> {
        let sql = "SELECT id, name, version, criteria, created_at FROM scorecards WHERE workspace_id = $1 AND id = $2";
        let r = conn.query_one(raw(self.backend, sql, vec![ws.into(), id.into()])).await?.ok_or(StoreError::NotFound)?;
        let card = scorecard_of(&r)?;
        let criteria = review::parse_criteria(&card.criteria).map_err(StoreError::Validation)?;
        Ok((card, criteria))
    }

    /// Saves `{name?, criteria}` as the scorecard's next version (heads and administrators).
    pub async fn put_scorecard(&self, actor: &Actor, body: &Json) -> Result<Scorecard> {
        heads_only(actor)?;
        let o = body.as_object().ok_or_else(|| StoreError::invalid("body", Common::BodyNotObject {}))?;
        let criteria = review::parse_criteria(o.get("criteria").unwrap_or(&Json::Null)).map_err(StoreError::Validation)?;
        let name = o
            .get("name")
            .and_then(Json::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or("Оценка звонка")
            .chars()
            .take(200)
            .collect::<String>();
        let tx = self.write.begin().await?;
        put_scorecard_on(&tx, self.backend, actor, &name, &criteria, self.clock.now_ms()).await?;
        tx.commit().await?;
        self.scorecard(actor).await
    }

    async fn settings_in(&self, conn: &impl ConnectionTrait, ws: i64) -> Result<ReviewSettings> {
        let sql = "SELECT inbound_bp, outbound_bp, min_seconds, seed, lost_deals FROM review_settings WHERE workspace_id = $1";
        if let Some(r) = conn.query_one(raw(self.backend, sql, vec![ws.into()])).await? {
            return Ok(ReviewSettings {
                inbound_pct: r.try_get::<i64>("", "inbound_bp")? as f64 / 100.0,
                outbound_pct: r.try_get::<i64>("", "outbound_bp")? as f64 / 100.0,
                min_seconds: r.try_get("", "min_seconds")?,
                seed: r.try_get("", "seed")?,
                lost_deals: r.try_get("", "lost_deals")?,
            });
        }
        // The seed is fixed at the first use, from the workspace and the moment; stored so every
        // later sample of a week is the same.
        let d = SampleSettings::default();
        let seed = (review::sample_key(ws, self.clock.now_ms()) >> 1) as i64;
        let sql = "INSERT INTO review_settings (workspace_id, inbound_bp, outbound_bp, min_seconds, seed, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
                   ON CONFLICT (workspace_id) DO NOTHING";
        let bp = |p: f64| (p * 100.0).round() as i64;
        conn.execute(raw(
            self.backend,
            sql,
            vec![
                ws.into(),
                bp(d.inbound_pct).into(),
                bp(d.outbound_pct).into(),
                d.min_seconds.into(),
                seed.into(),
                self.clock.now_ms().into(),
            ],
        ))
        .await?;
        Box::pin(self.settings_in(conn, ws)).await
    }

    pub async fn review_settings(&self, actor: &Actor) -> Result<ReviewSettings> {
        self.settings_in(&self.write, actor.ws_id()).await
    }

    /// Changes `{inbound_pct?, outbound_pct?, min_seconds?, seed?}`; a share outside 0–100 is
    /// `review_sample_pct`.
    pub async fn put_review_settings(&self, actor: &Actor, body: &Json) -> Result<ReviewSettings> {
        heads_only(actor)?;
        let o = body.as_object().ok_or_else(|| StoreError::invalid("body", Common::BodyNotObject {}))?;
        let mut s = self.review_settings(actor).await?;
        for (k, v) in o {
            match k.as_str() {
                "inbound_pct" => s.inbound_pct = review::parse_pct(v, k).map_err(StoreError::Validation)?,
                "outbound_pct" => s.outbound_pct = review::parse_pct(v, k).map_err(StoreError::Validation)?,
                "min_seconds" => {
                    s.min_seconds = v
                        .as_i64()
                        .filter(|n| (0..=36_000).contains(n))
                        .ok_or_else(|| StoreError::invalid(k.as_str(), ReviewMsg::MinSeconds {}))?
                }
                "seed" => s.seed = v.as_i64().ok_or_else(|| StoreError::invalid(k.as_str(), Common::NotInteger {}))?,
                "lost_deals" => s.lost_deals = v.as_bool().ok_or_else(|| StoreError::invalid(k.as_str(), Common::NotBool {}))?,
                other => {
                    return Err(StoreError::invalid(
                        other,
                        Common::UnknownField {
                            expected: poryadok_core::msg::words(["inbound_pct", "outbound_pct", "min_seconds", "seed", "lost_deals"]),
                        },
                    ))
                }
            }
        }
        let (a, settings, backend, now) = (actor.clone(), s.clone(), self.backend, self.clock.now_ms());
        self.write_tx(move |tx| Box::pin(async move { put_sampling_on(tx, backend, &a, &settings, now).await })).await?;
        Ok(s)
    }

    /// Samples the week starting on local Monday `monday` into the review queue: per manager and
    /// direction the share of the answered calls at least `min_seconds` long. Reproducible: the
    /// same week gives the same calls, and calls already queued stay as they are.
    pub async fn sample_week(&self, actor: &Actor, monday: Date) -> Result<SampleReport> {
        let ws = actor.ws_id();
        let settings = self.settings_in(&self.write, ws).await?;
        let tz = &actor.ws.timezone;
        let from = poryadok_core::schedule::to_utc(tz, monday, 0);
        let to = poryadok_core::schedule::to_utc(tz, monday + Duration::days(7), 0);
        // The deal's status is read only when lost deals' calls are wanted.
        let (status, join) = if settings.lost_deals {
            ("d.status", "LEFT JOIN deals d ON d.workspace_id = a.workspace_id AND d.id = a.deal_id")
        } else {
            ("NULL", "")
        };
        let sql = format!(
            "SELECT a.id, a.owner_id, a.call_direction, {status} AS deal_status FROM activities a {join} \
             WHERE a.workspace_id = $1 AND a.type = 'call' AND a.due_at >= $2 AND a.due_at < $3 \
             AND a.deleted_at IS NULL AND a.call_outcome = 'answered' AND a.owner_id IS NOT NULL AND COALESCE(a.call_seconds, 0) >= $4"
        );
        let sql = sql.as_str();
        let rows = self
            .reader()
            .read
            .query_all(raw(self.backend, sql, vec![ws.into(), from.into(), to.into(), settings.min_seconds.into()]))
            .await?;
        let mut by: BTreeMap<(i64, bool), Vec<i64>> = BTreeMap::new();
        let mut lost: std::collections::HashSet<i64> = std::collections::HashSet::new();
        for r in &rows {
            if settings.lost_deals && r.try_get::<Option<String>>("", "deal_status")?.as_deref() == Some("lost") {
                lost.insert(r.try_get("", "id")?);
            }
            let dir: Option<String> = r.try_get("", "call_direction")?;
            let inbound = match dir.as_deref() {
                Some("inbound") => true,
                Some("outbound") => false,
                _ => continue,
            };
            by.entry((r.try_get("", "owner_id")?, inbound)).or_default().push(r.try_get("", "id")?);
        }
        let week = week_key(monday);
        let mut lines: BTreeMap<i64, SampleLine> = BTreeMap::new();
        let mut picked: Vec<(i64, i64, bool)> = Vec::new();
        for ((manager, inbound), calls) in &by {
            let pct = if *inbound { settings.inbound_pct } else { settings.outbound_pct };
            let mut chosen = review::pick(settings.seed, calls, pct);
            // Every call of a lost deal, beside the share drawn (the reason it was lost is in them).
            chosen.extend(calls.iter().filter(|c| lost.contains(c) && !chosen.contains(c)).copied().collect::<Vec<_>>());
            let line = lines.entry(*manager).or_insert_with(|| SampleLine { manager_id: *manager, ..Default::default() });
            if *inbound {
                (line.inbound_calls, line.inbound_sampled) = (calls.len(), chosen.len());
            } else {
                (line.outbound_calls, line.outbound_sampled) = (calls.len(), chosen.len());
            }
            picked.extend(chosen.into_iter().map(|c| (c, *manager, *inbound)));
        }
        let now = self.clock.now_ms();
        let mut queued = 0;
        let tx = self.write.begin().await?;
        // Calls already in the queue are left out before writing (a week drawn again, the job
        // retried): the insert below would skip them anyway, but a conflict per row costs more
        // than one read of the week's queue. The insert keeps its `ON CONFLICT` for a race.
        let sql = "SELECT activity_id FROM call_reviews WHERE workspace_id = $1 AND week = $2";
        let queued_before: std::collections::HashSet<i64> = tx
            .query_all(raw(self.backend, sql, vec![ws.into(), week.clone().into()]))
            .await?
            .iter()
            .map(|r| r.try_get::<i64>("", "activity_id"))
            .collect::<std::result::Result<_, _>>()?;
        let sampled = picked.len();
        picked.retain(|(call, _, _)| !queued_before.contains(call));
        for chunk in picked.chunks(200) {
            let mut sql = String::from(
                "INSERT INTO call_reviews (workspace_id, activity_id, manager_id, week, direction, status, created_at, version) VALUES ",
            );
            let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 5);
            for (i, (call, manager, inbound)) in chunk.iter().enumerate() {
                let b = i * 5;
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!(
                    "(${}, ${}, ${}, ${}, ${}, 'queued', ${}, 1)",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    chunk.len() * 5 + 1
                ));
                values.extend([
                    ws.into(),
                    (*call).into(),
                    (*manager).into(),
                    week.clone().into(),
                    (if *inbound { "inbound" } else { "outbound" }).into(),
                ]);
            }
            values.push(now.into());
            sql.push_str(" ON CONFLICT (workspace_id, activity_id) DO NOTHING");
            queued += tx.execute(raw(self.backend, &sql, values)).await?.rows_affected() as usize;
        }
        tx.commit().await?;
        Ok(SampleReport { week, calls: rows.len(), sampled, queued, managers: lines.into_values().collect() })
    }

    /// The review queue and results: heads see all, a manager their own. Filters: `status`,
    /// `manager_id`, `week`.
    pub async fn reviews(&self, actor: &Actor, status: Option<&str>, manager: Option<i64>, week: Option<&str>) -> Result<Vec<CallReview>> {
        let mut sql = REVIEW_SELECT.to_string();
        let mut values: Vec<Value> = vec![actor.ws_id().into()];
        let mut add = |cond: &str, v: Value, sql: &mut String| {
            values.push(v);
            sql.push_str(&format!(" AND {cond} ${}", values.len()));
        };
        if !is_head(actor) && actor.caller.role != Role::Analyst {
            add("r.manager_id =", actor.user_id().into(), &mut sql);
        }
        if let Some(s) = status {
            add("r.status =", s.into(), &mut sql);
        }
        if let Some(m) = manager {
            add("r.manager_id =", m.into(), &mut sql);
        }
        if let Some(w) = week {
            add("r.week =", w.into(), &mut sql);
        }
        sql.push_str(" ORDER BY r.week DESC, r.id LIMIT 500");
        let rows = self.read.query_all(raw(self.backend, &sql, values)).await?;
        rows.iter().map(review_of).collect()
    }

    pub async fn review(&self, actor: &Actor, id: i64) -> Result<CallReview> {
        self.review_in(&self.read, actor, id).await
    }

    async fn review_in(&self, conn: &impl ConnectionTrait, actor: &Actor, id: i64) -> Result<CallReview> {
        let sql = format!("{REVIEW_SELECT} AND r.id = $2");
        let r = conn.query_one(raw(self.backend, &sql, vec![actor.ws_id().into(), id.into()])).await?.ok_or(StoreError::NotFound)?;
        let rv = review_of(&r)?;
        if !is_head(actor) && actor.caller.role != Role::Analyst && rv.manager_id != actor.user_id() {
            return Err(StoreError::NotFound);
        }
        Ok(rv)
    }

    /// Scores a queued call: `{points: {key: n}, comment?, comment_second?}` against the current
    /// scorecard (heads and administrators).
    pub async fn score_review(&self, actor: &Actor, id: i64, body: &Json) -> Result<CallReview> {
        heads_only(actor)?;
        let current = self.review(actor, id).await?;
        if current.status != "queued" {
            return Err(StoreError::conflict("status", ReviewMsg::AlreadyReviewed {}));
        }
        let card = self.scorecard(actor).await?;
        self.write_score(actor, id, card.id, body, "reviewed", None).await
    }

    async fn write_score(
        &self,
        actor: &Actor,
        id: i64,
        card_id: i64,
        body: &Json,
        status: &str,
        resolution: Option<(&str, Option<String>)>,
    ) -> Result<CallReview> {
        let o = body.as_object().ok_or_else(|| StoreError::invalid("body", Common::BodyNotObject {}))?;
        let (ws, now) = (actor.ws_id(), self.clock.now_ms());
        let tx = self.write.begin().await?;
        let (_, criteria) = self.scorecard_by_id(&tx, ws, card_id).await?;
        let given = o.get("points").cloned().unwrap_or(Json::Null);
        let s = review::score(&criteria, &given).map_err(StoreError::Validation)?;
        let comment = o.get("comment").and_then(Json::as_str).map(|c| c.chars().take(5000).collect::<String>());
        let second = match o.get("comment_second") {
            None | Some(Json::Null) => None,
            Some(v) => {
                Some(v.as_i64().filter(|n| *n >= 0).ok_or_else(|| StoreError::invalid("comment_second", ReviewMsg::CommentSecond {}))?)
            }
        };
        let sql = "UPDATE call_reviews SET status = $1, scorecard_id = $2, reviewer_id = $3, points = $4, score_tenths = $5, failed_critical = $6, \
                   comment = COALESCE($7, comment), comment_second = COALESCE($8, comment_second), reviewed_at = $9, resolution = $10, \
                   resolution_comment = $11, resolved_at = $12, version = version + 1 WHERE workspace_id = $13 AND id = $14";
        let (res, res_comment) = resolution.map_or((None, None), |(r, c)| (Some(r.to_string()), c));
        let resolved_at = res.as_ref().map(|_| now);
        let values = vec![
            status.into(),
            card_id.into(),
            actor.user_id().into(),
            given.to_string().into(),
            ((s.pct * 10.0).round() as i64).into(),
            json!(s.failed_critical).to_string().into(),
            comment.into(),
            second.into(),
            now.into(),
            res.into(),
            res_comment.into(),
            resolved_at.into(),
            ws.into(),
            id.into(),
        ];
        tx.execute(raw(self.backend, sql, values)).await?;
        let mut changes = Map::new();
        changes.insert("status".into(), json!([null, status]));
        changes.insert("score_pct".into(), json!([null, s.pct]));
        append_history(&tx, self.backend, actor, "call_review", id, HistoryAction::Update, changes, now).await?;
        tx.commit().await?;
        self.review(actor, id).await
    }

    /// The criteria a review is scored on: the scorecard version it was scored with, the
    /// current one while it waits in the queue.
    pub async fn review_criteria(&self, actor: &Actor, review: &CallReview) -> Result<Vec<Criterion>> {
        match review.scorecard_id {
            Some(card) => Ok(self.scorecard_by_id(&self.read, actor.ws_id(), card).await?.1),
            None => review::parse_criteria(&self.scorecard(actor).await?.criteria).map_err(StoreError::Validation),
        }
    }

    /// Installs the workspace's weekly sample: every Monday at 03:00 local time the week before
    /// is drawn ([`SAMPLE_JOB`]). An existing schedule keeps its next run.
    pub async fn ensure_review_sample_schedule(&self, ws: i64) -> Result<()> {
        let info = self.workspace_info(ws).await?;
        let now = self.clock.now_ms();
        let next_monday = last_week(&info.timezone, now) + Duration::days(14);
        let first = poryadok_core::schedule::to_utc(&info.timezone, next_monday, SAMPLE_HOUR * 60);
        self.upsert_schedule(ws, SAMPLE_JOB, SAMPLE_JOB, &json!({}), 7 * 86_400_000, first).await
    }

    /// The job: draws last week's sample of the workspace (idempotent: a week drawn again
    /// queues nothing new, so a retried or doubled run changes nothing).
    pub async fn scheduled_sample(&self, ws: i64) -> Result<SampleReport> {
        let actor = self.system_actor(ws, poryadok_core::domain::Channel::System).await?;
        let monday = last_week(&actor.ws.timezone, self.clock.now_ms());
        self.sample_week(&actor, monday).await
    }

    /// The manager of the call disputes its review once: `{text}`.
    pub async fn dispute_review(&self, actor: &Actor, id: i64, body: &Json) -> Result<CallReview> {
        let r = self.review(actor, id).await?;
        if r.manager_id != actor.user_id() {
            return Err(StoreError::forbidden(ReviewMsg::DisputeOwnOnly {}));
        }
        match r.status.as_str() {
            "queued" => return Err(StoreError::conflict("status", ReviewMsg::NotReviewed {})),
            "reviewed" => {}
            _ => return Err(StoreError::conflict("status", ReviewMsg::DisputeOnce {})),
        }
        let text = body
            .get("text")
            .and_then(Json::as_str)
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| StoreError::invalid("text", Common::Required {}))?;
        let now = self.clock.now_ms();
        let tx = self.write.begin().await?;
        let sql = "UPDATE call_reviews SET status = 'disputed', dispute = $1, disputed_at = $2, version = version + 1 WHERE workspace_id = $3 AND id = $4 AND status = 'reviewed'";
        let n = tx
            .execute(raw(
                self.backend,
                sql,
                vec![text.chars().take(5000).collect::<String>().into(), now.into(), actor.ws_id().into(), id.into()],
            ))
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::conflict("status", ReviewMsg::DisputeOnce {}));
        }
        let mut changes = Map::new();
        changes.insert("status".into(), json!(["reviewed", "disputed"]));
        append_history(&tx, self.backend, actor, "call_review", id, HistoryAction::Update, changes, now).await?;
        tx.commit().await?;
        self.review(actor, id).await
    }

    /// The head resolves a dispute: `{resolution: upheld|changed, comment?, points? (when changed)}`.
    pub async fn resolve_review(&self, actor: &Actor, id: i64, body: &Json) -> Result<CallReview> {
        heads_only(actor)?;
        let r = self.review(actor, id).await?;
        if r.status != "disputed" {
            return Err(StoreError::conflict("status", ReviewMsg::NotDisputed {}));
        }
        let comment = body.get("comment").and_then(Json::as_str).map(str::to_string);
        match body.get("resolution").and_then(Json::as_str) {
            Some("changed") => {
                let card = r.scorecard_id.ok_or_else(|| StoreError::Internal("no scorecard".into()))?;
                let mut b = body.as_object().cloned().unwrap_or_default();
                b.remove("comment");
                self.write_score(actor, id, card, &Json::Object(b), "resolved", Some(("changed", comment))).await
            }
            Some("upheld") => {
                let now = self.clock.now_ms();
                let tx = self.write.begin().await?;
                let sql = "UPDATE call_reviews SET status = 'resolved', resolution = 'upheld', resolution_comment = $1, resolved_at = $2, version = version + 1 \
                           WHERE workspace_id = $3 AND id = $4";
                tx.execute(raw(self.backend, sql, vec![comment.into(), now.into(), actor.ws_id().into(), id.into()])).await?;
                let mut changes = Map::new();
                changes.insert("status".into(), json!(["disputed", "resolved"]));
                append_history(&tx, self.backend, actor, "call_review", id, HistoryAction::Update, changes, now).await?;
                tx.commit().await?;
                self.review(actor, id).await
            }
            _ => Err(StoreError::invalid("resolution", ReviewMsg::Resolution {})),
        }
    }

    /// Scores of the weeks `from..to` (ISO week keys, inclusive): per manager, per criterion and
    /// per week. A manager sees their own lines; heads everyone's.
    pub async fn review_report(&self, actor: &Actor, from: &str, to: &str) -> Result<ReviewReport> {
        let mut sql = "SELECT r.manager_id, u.name, r.week, r.points, r.score_tenths, r.scorecard_id FROM call_reviews r \
                       LEFT JOIN users u ON u.workspace_id = r.workspace_id AND u.id = r.manager_id \
                       WHERE r.workspace_id = $1 AND r.status <> 'queued' AND r.week >= $2 AND r.week <= $3"
            .to_string();
        let mut values: Vec<Value> = vec![actor.ws_id().into(), from.into(), to.into()];
        if !is_head(actor) && actor.caller.role != Role::Analyst {
            sql.push_str(" AND r.manager_id = $4");
            values.push(actor.user_id().into());
        }
        let rows = self.read.query_all(raw(self.backend, &sql, values)).await?;
        let mut cards: BTreeMap<i64, Vec<Criterion>> = BTreeMap::new();
        let mut managers: BTreeMap<i64, (String, i64, i64)> = BTreeMap::new();
        let mut weeks: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        let mut crit: BTreeMap<String, (String, i64, i64, i64)> = BTreeMap::new();
        let mut by_week: BTreeMap<(i64, String), (i64, i64)> = BTreeMap::new();
        let mut by_month: BTreeMap<(i64, String), (i64, i64)> = BTreeMap::new();
        // (manager, criterion) → (reviews, points, max points, reviews given the maximum).
        let mut cells: HashMap<(i64, String), (i64, i64, i64, i64)> = HashMap::new();
        for r in &rows {
            let m: i64 = r.try_get("", "manager_id")?;
            let tenths: i64 = r.try_get::<Option<i64>>("", "score_tenths")?.unwrap_or(0);
            let e = managers.entry(m).or_insert_with(|| (String::new(), 0, 0));
            e.0 = r.try_get::<Option<String>>("", "name")?.unwrap_or_default();
            (e.1, e.2) = (e.1 + 1, e.2 + tenths);
            let week: String = r.try_get("", "week")?;
            for (map, key) in [(&mut by_week, week.clone()), (&mut by_month, month_of_week(&week))] {
                let p = map.entry((m, key)).or_default();
                (p.0, p.1) = (p.0 + 1, p.1 + tenths);
            }
            let w = weeks.entry(week).or_default();
            (w.0, w.1) = (w.0 + 1, w.1 + tenths);
            if let Some(card) = r.try_get::<Option<i64>>("", "scorecard_id")? {
                if let std::collections::btree_map::Entry::Vacant(slot) = cards.entry(card) {
                    slot.insert(self.scorecard_by_id(&self.read, actor.ws_id(), card).await.map(|c| c.1).unwrap_or_default());
                }
                let points = json_of(r, "points")?;
                for c in cards.get(&card).map(Vec::as_slice).unwrap_or(&[]) {
                    let got = points.get(&c.key).and_then(Json::as_i64).unwrap_or(0);
                    let e = crit.entry(c.key.clone()).or_insert_with(|| (c.title.clone(), 0, 0, 0));
                    (e.1, e.2, e.3) = (e.1 + 1, e.2 + got * c.weight, e.3 + c.max() * c.weight);
                    let cell = cells.entry((m, c.key.clone())).or_default();
                    (cell.0, cell.1, cell.2, cell.3) = (cell.0 + 1, cell.1 + got, cell.2 + c.max(), cell.3 + i64::from(got >= c.max()));
                }
            }
        }
        let avg = |n: i64, sum: i64| if n == 0 { 0.0 } else { (sum as f64 / n as f64).round() / 10.0 };
        let mut criteria: Vec<ScoreLine> = crit
            .into_iter()
            .map(|(k, (label, n, got, max))| ScoreLine { key: k, label, reviews: n, score_pct: review::criterion_pct(got, max) })
            .collect();
        criteria.sort_by(|a, b| a.score_pct.total_cmp(&b.score_pct));
        let name_of = |m: i64| managers.get(&m).map(|e| e.0.clone()).unwrap_or_default();
        let lines = |map: BTreeMap<(i64, String), (i64, i64)>| -> Vec<PeriodLine> {
            map.into_iter()
                .map(|((m, period), (n, sum))| PeriodLine {
                    manager_id: m,
                    manager_name: name_of(m),
                    period,
                    reviews: n,
                    score_pct: avg(n, sum),
                })
                .collect()
        };
        let (manager_weeks, manager_months) = (lines(by_week), lines(by_month));
        // The columns: the newest card's criteria in its order, then any only older cards had.
        let mut criterion_columns: Vec<CriterionColumn> = Vec::new();
        for card in cards.values().rev() {
            for c in card {
                if !criterion_columns.iter().any(|k| k.key == c.key) {
                    criterion_columns.push(CriterionColumn { key: c.key.clone(), title: c.title.clone(), step: c.step.clone() });
                }
            }
        }
        let mut manager_criteria: Vec<ManagerCriteria> = managers
            .iter()
            .map(|(id, (name, n, _))| ManagerCriteria {
                manager_id: *id,
                manager_name: name.clone(),
                reviews: *n,
                cells: criterion_columns
                    .iter()
                    .map(|c| {
                        let (n, got, max, passed) = cells.get(&(*id, c.key.clone())).copied().unwrap_or_default();
                        CriterionCell {
                            key: c.key.clone(),
                            reviews: n,
                            score_pct: (n > 0).then(|| review::criterion_pct(got, max)),
                            passed_pct: (n > 0).then(|| (passed as f64 * 1000.0 / n as f64).round() / 10.0),
                        }
                    })
                    .collect(),
            })
            .collect();
        manager_criteria.sort_by(|a, b| a.manager_name.cmp(&b.manager_name).then(a.manager_id.cmp(&b.manager_id)));
        Ok(ReviewReport {
            criterion_columns,
            manager_criteria,
            manager_weeks,
            manager_months,
            from: from.into(),
            to: to.into(),
            managers: managers
                .into_iter()
                .map(|(id, (name, n, sum))| ScoreLine { key: id.to_string(), label: name, reviews: n, score_pct: avg(n, sum) })
                .collect(),
            criteria,
            weeks: weeks
                .into_iter()
                .map(|(w, (n, sum))| ScoreLine { key: w.clone(), label: w, reviews: n, score_pct: avg(n, sum) })
                .collect(),
        })
    }
}

/// Only http(s) recordings are played (a `javascript:` or `data:` URL is not a recording).
pub fn playable(url: &str) -> bool {
    let l = url.trim_start().to_ascii_lowercase();
    l.starts_with("https://") || l.starts_with("http://")
}
