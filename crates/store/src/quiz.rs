//! Quizzes on the regulation: the head's quizzes and the one generated from the stage regulation,
//! assignments (a new user's first day, again every `repeat_days`), attempts and their scores,
//! results per user and per question, and the attestation a role change waits for.
//!
//! Heads of sales and administrators write quizzes and read everyone's results; every user reads
//! the quizzes (without the right answers) and takes them. A quiz's questions are the JSON list
//! `poryadok_core::quiz` checks. The regulation file reads and writes quizzes through
//! [`export_quizzes`] and [`apply_quizzes`] (by key: the file is the whole list).
use crate::actor::Actor;
use crate::db::Db;
use crate::error::{Result, StoreError};
use crate::records::append_history;
use poryadok_core::domain::{HistoryAction, Role};
use poryadok_core::msg::{Common, QuizMsg};
use poryadok_core::quiz::{self, QuestionSpec, QuizSpec, RegulationFacts, Score};
use poryadok_core::regulation::StageRegulation;
use poryadok_core::types::format_ms;
use poryadok_core::Entity;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Value};
use serde::Serialize;
use serde_json::{json, Map, Value as Json};
use std::collections::{BTreeMap, HashMap};

/// The job that assigns quizzes again to users whose last assignment is `repeat_days` old.
pub const REASSIGN_JOB: &str = "quiz_reassign";
const DAY_MS: i64 = 86_400_000;

fn raw(backend: DbBackend, sql: &str, values: Vec<Value>) -> sea_orm::Statement {
    let sql = if backend == DbBackend::Postgres { sql.to_string() } else { sql.replace('$', "?") };
    sea_orm::Statement::from_sql_and_values(backend, sql, values)
}

fn heads_only(actor: &Actor) -> Result<()> {
    if matches!(actor.caller.role, Role::Admin | Role::Head) {
        Ok(())
    } else {
        Err(StoreError::forbidden(QuizMsg::HeadsOnly {}))
    }
}

/// A stored quiz.
#[derive(Debug, Clone, Serialize)]
pub struct Quiz {
    pub id: i64,
    #[serde(flatten)]
    pub spec: QuizSpec,
    pub version: i64,
    pub updated_at: String,
}

impl Quiz {
    /// The quiz as a taker sees it before answering: no right answers, no explanations.
    pub fn without_answers(mut self) -> Quiz {
        for q in &mut self.spec.questions {
            q.explanation = None;
            q.explanation_code = None;
            for o in &mut q.options {
                o.right = false;
            }
        }
        self
    }
}

/// A quiz in a user's own list.
#[derive(Debug, Clone, Serialize)]
pub struct MyQuiz {
    pub quiz_id: i64,
    pub key: String,
    pub title: String,
    pub pass_percent: i64,
    pub questions: usize,
    /// Assigned and not passed since.
    pub due: bool,
    pub assigned_at: Option<String>,
    pub attempts: i64,
    pub best_percent: Option<i64>,
    pub passed: bool,
    pub time_limit_minutes: Option<i64>,
    pub max_attempts: Option<i64>,
    /// Attempts left under the quiz's limit (a started attempt counts); none without a limit.
    pub attempts_left: Option<i64>,
}

/// An attempt begun: when its time ends and the order its questions and options are shown in
/// (shuffled by its id), with the quiz as the taker sees it (no right answers).
#[derive(Debug, Clone, Serialize)]
pub struct QuizStart {
    pub start_id: i64,
    pub quiz_id: i64,
    pub started_at: String,
    /// The last moment an answer is accepted; none without a time limit.
    pub deadline: Option<String>,
    #[serde(skip)]
    pub deadline_ms: Option<i64>,
    /// Attempts used, this one included, and the quiz's limit.
    pub attempts_used: i64,
    pub max_attempts: Option<i64>,
    /// The questions in this attempt's order, each with its options' indices in the order shown.
    pub order: Vec<StartQuestion>,
    pub quiz: Quiz,
}

#[derive(Debug, Clone, Serialize)]
pub struct StartQuestion {
    pub key: String,
    pub options: Vec<usize>,
}

/// An attempt's outcome: the score and the quiz with its right answers and explanations.
#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    pub id: i64,
    /// The start it answers (its id orders the questions), when it was started first.
    pub start_id: Option<i64>,
    pub quiz_id: i64,
    pub pass_percent: i64,
    #[serde(flatten)]
    pub score: Score,
    pub quiz: Quiz,
}

/// A user's standing in one quiz.
#[derive(Debug, Clone, Serialize)]
pub struct UserResult {
    pub user_id: i64,
    pub user_name: String,
    pub quiz_id: i64,
    pub quiz_title: String,
    pub due: bool,
    pub attempts: i64,
    pub best_percent: Option<i64>,
    pub last_percent: Option<i64>,
    pub passed: bool,
    pub last_at: Option<String>,
}

/// How often one question is answered wrong.
#[derive(Debug, Clone, Serialize)]
pub struct QuestionStat {
    pub quiz_id: i64,
    pub quiz_title: String,
    pub question_key: String,
    pub text: String,
    /// The question as asked (with the catalogue code of a generated one).
    pub question: QuestionSpec,
    pub answered: i64,
    pub failed: i64,
    pub failed_percent: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct QuizResults {
    pub users: Vec<UserResult>,
    /// The most failed first.
    pub questions: Vec<QuestionStat>,
}

const SELECT: &str = "SELECT id, quiz_key, title, pass_percent, required_for_role, assign_new_users, repeat_days, time_limit_minutes, max_attempts, questions, version, updated_at FROM quizzes";

fn quiz_of(r: &QueryResult) -> Result<Quiz> {
    let text: String = r.try_get("", "questions")?;
    let questions: Vec<QuestionSpec> = serde_json::from_str(&text).map_err(|e| StoreError::Internal(format!("quiz questions: {e}")))?;
    Ok(Quiz {
        id: r.try_get("", "id")?,
        spec: QuizSpec {
            key: r.try_get("", "quiz_key")?,
            title: r.try_get("", "title")?,
            pass_percent: r.try_get("", "pass_percent")?,
            required_for_role: r.try_get("", "required_for_role")?,
            assign_new_users: r.try_get("", "assign_new_users")?,
            repeat_days: r.try_get("", "repeat_days")?,
            time_limit_minutes: r.try_get("", "time_limit_minutes")?,
            max_attempts: r.try_get("", "max_attempts")?,
            questions,
        },
        version: r.try_get("", "version")?,
        updated_at: format_ms(r.try_get("", "updated_at")?),
    })
}

async fn load_all(conn: &impl ConnectionTrait, ws: i64) -> Result<Vec<Quiz>> {
    let backend = conn.get_database_backend();
    let rows = conn.query_all(raw(backend, &format!("{SELECT} WHERE workspace_id = $1 ORDER BY id"), vec![ws.into()])).await?;
    rows.iter().map(quiz_of).collect()
}

async fn load(conn: &impl ConnectionTrait, ws: i64, id: i64) -> Result<Quiz> {
    let backend = conn.get_database_backend();
    let r = conn.query_one(raw(backend, &format!("{SELECT} WHERE workspace_id = $1 AND id = $2"), vec![ws.into(), id.into()])).await?;
    quiz_of(&r.ok_or(StoreError::NotFound)?)
}

fn questions_text(spec: &QuizSpec) -> Result<String> {
    serde_json::to_string(&spec.questions).map_err(|e| StoreError::Internal(e.to_string()))
}

async fn insert(conn: &impl ConnectionTrait, actor: &Actor, spec: &QuizSpec, now: i64) -> Result<i64> {
    let backend = conn.get_database_backend();
    let taken = conn
        .query_one(raw(
            backend,
            "SELECT id FROM quizzes WHERE workspace_id = $1 AND quiz_key = $2",
            vec![actor.ws_id().into(), spec.key.clone().into()],
        ))
        .await?;
    if taken.is_some() {
        return Err(StoreError::conflict("key", QuizMsg::KeyTaken { key: spec.key.clone() }));
    }
    let sql = "INSERT INTO quizzes (workspace_id, quiz_key, title, pass_percent, required_for_role, assign_new_users, repeat_days, questions, version, created_by, created_at, updated_at, time_limit_minutes, max_attempts) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10, $10, $11, $12) RETURNING id";
    let values = vec![
        actor.ws_id().into(),
        spec.key.clone().into(),
        spec.title.clone().into(),
        spec.pass_percent.into(),
        spec.required_for_role.clone().into(),
        spec.assign_new_users.into(),
        spec.repeat_days.into(),
        questions_text(spec)?.into(),
        actor.user_id().into(),
        now.into(),
        spec.time_limit_minutes.into(),
        spec.max_attempts.into(),
    ];
    let id: i64 =
        conn.query_one(raw(backend, sql, values)).await?.ok_or_else(|| StoreError::Internal("no id".into()))?.try_get("", "id")?;
    let mut changes = Map::new();
    changes.insert("key".into(), json!([null, spec.key]));
    changes.insert("title".into(), json!([null, spec.title]));
    append_history(conn, backend, actor, "quiz", id, HistoryAction::Create, changes, now).await?;
    Ok(id)
}

async fn replace(conn: &impl ConnectionTrait, actor: &Actor, old: &Quiz, spec: &QuizSpec, now: i64) -> Result<()> {
    if &old.spec == spec {
        return Ok(());
    }
    let backend = conn.get_database_backend();
    if old.spec.key != spec.key {
        let taken = conn
            .query_one(raw(
                backend,
                "SELECT id FROM quizzes WHERE workspace_id = $1 AND quiz_key = $2 AND id <> $3",
                vec![actor.ws_id().into(), spec.key.clone().into(), old.id.into()],
            ))
            .await?;
        if taken.is_some() {
            return Err(StoreError::conflict("key", QuizMsg::KeyTaken { key: spec.key.clone() }));
        }
    }
    let sql = "UPDATE quizzes SET quiz_key = $1, title = $2, pass_percent = $3, required_for_role = $4, assign_new_users = $5, repeat_days = $6, \
               questions = $7, version = version + 1, updated_at = $8, time_limit_minutes = $11, max_attempts = $12 WHERE workspace_id = $9 AND id = $10";
    let values = vec![
        spec.key.clone().into(),
        spec.title.clone().into(),
        spec.pass_percent.into(),
        spec.required_for_role.clone().into(),
        spec.assign_new_users.into(),
        spec.repeat_days.into(),
        questions_text(spec)?.into(),
        now.into(),
        actor.ws_id().into(),
        old.id.into(),
        spec.time_limit_minutes.into(),
        spec.max_attempts.into(),
    ];
    conn.execute(raw(backend, sql, values)).await?;
    let mut changes = Map::new();
    let pairs: [(&str, Json, Json); 8] = [
        ("key", json!(old.spec.key), json!(spec.key)),
        ("title", json!(old.spec.title), json!(spec.title)),
        ("pass_percent", json!(old.spec.pass_percent), json!(spec.pass_percent)),
        ("required_for_role", json!(old.spec.required_for_role), json!(spec.required_for_role)),
        ("repeat_days", json!(old.spec.repeat_days), json!(spec.repeat_days)),
        ("time_limit_minutes", json!(old.spec.time_limit_minutes), json!(spec.time_limit_minutes)),
        ("max_attempts", json!(old.spec.max_attempts), json!(spec.max_attempts)),
        ("questions", json!(old.spec.questions.len()), json!(spec.questions.len())),
    ];
    for (k, a, b) in pairs {
        if a != b || (k == "questions" && old.spec.questions != spec.questions) {
            changes.insert(k.into(), json!([a, b]));
        }
    }
    append_history(conn, backend, actor, "quiz", old.id, HistoryAction::Update, changes, now).await
}

async fn remove(conn: &impl ConnectionTrait, actor: &Actor, quiz: &Quiz, now: i64) -> Result<()> {
    let backend = conn.get_database_backend();
    for table in ["quiz_attempts", "quiz_assignments", "quiz_starts"] {
        conn.execute(raw(
            backend,
            &format!("DELETE FROM {table} WHERE workspace_id = $1 AND quiz_id = $2"),
            vec![actor.ws_id().into(), quiz.id.into()],
        ))
        .await?;
    }
    conn.execute(raw(backend, "DELETE FROM quizzes WHERE workspace_id = $1 AND id = $2", vec![actor.ws_id().into(), quiz.id.into()]))
        .await?;
    let mut changes = Map::new();
    changes.insert("key".into(), json!([quiz.spec.key, null]));
    append_history(conn, backend, actor, "quiz", quiz.id, HistoryAction::Delete, changes, now).await
}

/// A spec checked as the API and the regulation file give it: the core's rules and a real role.
fn checked(spec: QuizSpec, prefix: &str) -> Result<QuizSpec> {
    quiz::check(spec).map_err(|mut e| {
        e.field = format!("{prefix}{}", e.field);
        StoreError::Validation(e)
    })
}

/// Every quiz of the workspace as the regulation file keeps it, by key.
pub async fn export_quizzes(conn: &impl ConnectionTrait, ws: i64) -> Result<Vec<QuizSpec>> {
    let mut all: Vec<QuizSpec> = load_all(conn, ws).await?.into_iter().map(|q| q.spec).collect();
    all.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(all)
}

/// Makes the workspace's quizzes exactly `specs` inside the caller's transaction (the regulation
/// file's apply): a quiz of a new key is created, one whose content differs is replaced (its
/// version goes up; attempts stay), and one whose key the list lacks is deleted with its
/// assignments and attempts. Each is checked first (errors name `quizzes.<n>.<field>`); nothing
/// is written when one is refused. History records every change.
pub async fn apply_quizzes(conn: &impl ConnectionTrait, actor: &Actor, specs: &[QuizSpec], now: i64) -> Result<()> {
    let mut list = Vec::with_capacity(specs.len());
    let mut seen = std::collections::BTreeSet::new();
    for (i, s) in specs.iter().enumerate() {
        let s = checked(s.clone(), &format!("quizzes.{i}."))?;
        if !seen.insert(s.key.clone()) {
            return Err(StoreError::invalid(format!("quizzes.{i}.key"), QuizMsg::KeyTaken { key: s.key }));
        }
        list.push(s);
    }
    let existing = load_all(conn, actor.ws_id()).await?;
    for q in existing.iter().filter(|q| !seen.contains(&q.spec.key)) {
        remove(conn, actor, q, now).await?;
    }
    for s in &list {
        match existing.iter().find(|q| q.spec.key == s.key) {
            Some(old) => replace(conn, actor, old, s, now).await?,
            None => {
                insert(conn, actor, s, now).await?;
            }
        }
    }
    Ok(())
}

async fn open_assignment(conn: &impl ConnectionTrait, ws: i64, quiz: i64, user: i64) -> Result<bool> {
    let backend = conn.get_database_backend();
    let sql = "SELECT id FROM quiz_assignments WHERE workspace_id = $1 AND quiz_id = $2 AND user_id = $3 AND done_at IS NULL";
    Ok(conn.query_one(raw(backend, sql, vec![ws.into(), quiz.into(), user.into()])).await?.is_some())
}

/// Assigns `quiz` to `user` unless it is already due for them; true when assigned.
async fn assign_one(conn: &impl ConnectionTrait, ws: i64, quiz: i64, user: i64, reason: &str, now: i64) -> Result<bool> {
    if open_assignment(conn, ws, quiz, user).await? {
        return Ok(false);
    }
    let backend = conn.get_database_backend();
    let sql = "INSERT INTO quiz_assignments (workspace_id, quiz_id, user_id, reason, assigned_at) VALUES ($1, $2, $3, $4, $5)";
    conn.execute(raw(backend, sql, vec![ws.into(), quiz.into(), user.into(), reason.into(), now.into()])).await?;
    Ok(true)
}

/// A new user's first day: every quiz meant for new users is assigned to them (in the
/// transaction that creates the user).
pub(crate) async fn assign_new_user(conn: &impl ConnectionTrait, ws: i64, user: i64, now: i64) -> Result<()> {
    for q in load_all(conn, ws).await?.iter().filter(|q| q.spec.assign_new_users) {
        assign_one(conn, ws, q.id, user, "new_user", now).await?;
    }
    Ok(())
}

async fn has_passed(conn: &impl ConnectionTrait, ws: i64, quiz: i64, user: i64) -> Result<bool> {
    let backend = conn.get_database_backend();
    let sql = "SELECT id FROM quiz_attempts WHERE workspace_id = $1 AND quiz_id = $2 AND user_id = $3 AND passed = $4";
    Ok(conn.query_one(raw(backend, sql, vec![ws.into(), quiz.into(), user.into(), true.into()])).await?.is_some())
}

/// The attestation: a user's role becomes `role` only once they have passed every quiz required
/// for it (`quiz_attestation_required` on the field `role` otherwise). The one check every role
/// change passes (the user write of the record pipeline).
pub(crate) async fn check_role_change(conn: &impl ConnectionTrait, ws: i64, user: i64, role: &str) -> Result<()> {
    for q in load_all(conn, ws).await? {
        if q.spec.required_for_role.as_deref() == Some(role) && !has_passed(conn, ws, q.id, user).await? {
            return Err(StoreError::invalid("role", QuizMsg::AttestationRequired { quiz: q.spec.title, role: role.to_string() }));
        }
    }
    Ok(())
}

/// Attempts `user` has used at `quiz`: every start (answered or not) and every answer sent
/// without a start.
async fn attempts_used(conn: &impl ConnectionTrait, ws: i64, quiz: i64, user: i64) -> Result<i64> {
    // Every answer sent (with a start or without) plus every start not answered.
    let sql = "SELECT (SELECT COUNT(*) FROM quiz_attempts WHERE workspace_id = $1 AND quiz_id = $2 AND user_id = $3) \
               + (SELECT COUNT(*) FROM quiz_starts WHERE workspace_id = $1 AND quiz_id = $2 AND user_id = $3 AND attempt_id IS NULL) AS used";
    let row = conn.query_one(raw(conn.get_database_backend(), sql, vec![ws.into(), quiz.into(), user.into()])).await?;
    Ok(row.map(|r| r.try_get::<i64>("", "used")).transpose()?.unwrap_or(0))
}

/// The user's start of `quiz` that is open (not answered, its time not over): `(id, started_at, deadline)`.
async fn open_start(conn: &impl ConnectionTrait, ws: i64, quiz: i64, user: i64, now: i64) -> Result<Option<(i64, i64, Option<i64>)>> {
    let backend = conn.get_database_backend();
    let sql = "SELECT id, started_at, deadline_at FROM quiz_starts WHERE workspace_id = $1 AND quiz_id = $2 AND user_id = $3 \
               AND attempt_id IS NULL AND (deadline_at IS NULL OR deadline_at >= $4) ORDER BY id DESC";
    let Some(r) = conn.query_one(raw(backend, sql, vec![ws.into(), quiz.into(), user.into(), now.into()])).await? else {
        return Ok(None);
    };
    Ok(Some((r.try_get("", "id")?, r.try_get("", "started_at")?, r.try_get("", "deadline_at")?)))
}

impl Db {
    /// Begins an attempt at a quiz (or returns the caller's open one: a reload neither restarts
    /// the time nor uses another attempt). Refused with `quiz_no_attempts_left` when the quiz's
    /// attempts are used. The time runs from now by the workspace's clock; the order of the
    /// questions and options is shuffled by the start's id.
    pub async fn start_quiz(&self, actor: &Actor, id: i64) -> Result<QuizStart> {
        let (db, a) = (self.clone(), actor.clone());
        let (start_id, started_at, deadline, used, quiz) = self
            .write_tx(move |tx| {
                Box::pin(async move {
                    let (ws, user, now) = (a.ws_id(), a.user_id(), db.clock.now_ms());
                    let q = load(tx, ws, id).await?;
                    if let Some((sid, at, deadline)) = open_start(tx, ws, id, user, now).await? {
                        let used = attempts_used(tx, ws, id, user).await?;
                        return Ok((sid, at, deadline, used, q));
                    }
                    let used = attempts_used(tx, ws, id, user).await?;
                    if let Some(max) = q.spec.max_attempts {
                        if used >= max {
                            return Err(StoreError::invalid("attempts", QuizMsg::NoAttemptsLeft { max }));
                        }
                    }
                    let deadline = q.spec.time_limit_minutes.map(|m| now + m * 60_000);
                    let sql = "INSERT INTO quiz_starts (workspace_id, quiz_id, user_id, started_at, deadline_at) VALUES ($1, $2, $3, $4, $5) RETURNING id";
                    let sid: i64 = tx
                        .query_one(raw(db.backend, sql, vec![ws.into(), id.into(), user.into(), now.into(), deadline.into()]))
                        .await?
                        .ok_or_else(|| StoreError::Internal("no id".into()))?
                        .try_get("", "id")?;
                    Ok((sid, now, deadline, used + 1, q))
                })
            })
            .await?;
        let quiz = quiz.without_answers();
        let order = quiz::shuffled(&quiz.spec, start_id as u64)
            .into_iter()
            .map(|(q, options)| StartQuestion { key: quiz.spec.questions[q].key.clone(), options })
            .collect();
        Ok(QuizStart {
            start_id,
            quiz_id: id,
            started_at: format_ms(started_at),
            deadline: deadline.map(format_ms),
            deadline_ms: deadline,
            attempts_used: used,
            max_attempts: quiz.spec.max_attempts,
            order,
            quiz,
        })
    }

    /// Whether the caller has an open start of the quiz (not answered, its time not over).
    pub async fn quiz_has_open_start(&self, actor: &Actor, id: i64) -> Result<bool> {
        Ok(open_start(&self.read, actor.ws_id(), id, actor.user_id(), self.clock.now_ms()).await?.is_some())
    }

    /// Every quiz; a user who does not write quizzes reads them without the right answers.
    pub async fn quizzes(&self, actor: &Actor) -> Result<Vec<Quiz>> {
        let all = load_all(&self.read, actor.ws_id()).await?;
        Ok(if heads_only(actor).is_ok() { all } else { all.into_iter().map(Quiz::without_answers).collect() })
    }

    pub async fn quiz(&self, actor: &Actor, id: i64) -> Result<Quiz> {
        let q = load(&self.read, actor.ws_id(), id).await?;
        Ok(if heads_only(actor).is_ok() { q } else { q.without_answers() })
    }

    /// Creates a quiz from its spec (heads and administrators); a taken key is a 409.
    pub async fn create_quiz(&self, actor: &Actor, body: &Json) -> Result<Quiz> {
        heads_only(actor)?;
        let spec = quiz::from_json(body).map_err(StoreError::Validation)?;
        let (db, a) = (self.clone(), actor.clone());
        let id = self.write_tx(move |tx| Box::pin(async move { insert(tx, &a, &spec, db.clock.now_ms()).await })).await?;
        let q = load(&self.write, actor.ws_id(), id).await?;
        self.schedule_reassign(actor.ws_id(), &q).await?;
        Ok(q)
    }

    /// Replaces a quiz with the spec given (its version goes up; attempts are kept).
    pub async fn update_quiz(&self, actor: &Actor, id: i64, body: &Json) -> Result<Quiz> {
        heads_only(actor)?;
        let spec = quiz::from_json(body).map_err(StoreError::Validation)?;
        let (db, a) = (self.clone(), actor.clone());
        self.write_tx(move |tx| {
            Box::pin(async move {
                let old = load(tx, a.ws_id(), id).await?;
                replace(tx, &a, &old, &spec, db.clock.now_ms()).await
            })
        })
        .await?;
        let q = load(&self.write, actor.ws_id(), id).await?;
        self.schedule_reassign(actor.ws_id(), &q).await?;
        Ok(q)
    }

    /// Deletes a quiz with its assignments and attempts.
    pub async fn delete_quiz(&self, actor: &Actor, id: i64) -> Result<()> {
        heads_only(actor)?;
        let (db, a) = (self.clone(), actor.clone());
        self.write_tx(move |tx| {
            Box::pin(async move {
                let old = load(tx, a.ws_id(), id).await?;
                remove(tx, &a, &old, db.clock.now_ms()).await
            })
        })
        .await
    }

    async fn schedule_reassign(&self, ws: i64, q: &Quiz) -> Result<()> {
        if q.spec.repeat_days.is_some() {
            self.upsert_schedule(ws, REASSIGN_JOB, REASSIGN_JOB, &json!({}), DAY_MS, self.clock.now_ms() + DAY_MS).await?;
        }
        Ok(())
    }

    /// What the regulation says, as generation reads it: the stages of active pipelines in
    /// order with their required fields, rotting period and goal (where stages have one), the
    /// deal fields, the lost reasons.
    async fn regulation_facts(&self, actor: &Actor) -> Result<RegulationFacts> {
        let ws = actor.ws_id();
        let sql = "SELECT s.* FROM stages s JOIN pipelines p ON p.workspace_id = s.workspace_id AND p.id = s.pipeline_id \
                   WHERE s.workspace_id = $1 AND s.deleted_at IS NULL AND p.deleted_at IS NULL ORDER BY p.position, p.id, s.position, s.id";
        let mut facts = RegulationFacts::default();
        for r in self.read.query_all(raw(self.backend, sql, vec![ws.into()])).await? {
            let regulation: Option<String> = r.try_get("", "regulation")?;
            let reg = regulation
                .and_then(|t| serde_json::from_str::<Json>(&t).ok())
                .and_then(|v| StageRegulation::parse(&v).ok())
                .unwrap_or_default();
            facts.stages.push(quiz::StageFacts {
                name: r.try_get("", "name")?,
                required_fields: reg.required_fields,
                rotting_days: r.try_get("", "rotting_days")?,
                // Stages have a goal once the regulation document's migration adds it.
                goal: r.try_get::<Option<String>>("", "goal").ok().flatten(),
            });
        }
        let custom: HashMap<String, String> = crate::records::read_custom_defs(&self.read, self.backend, ws, Some(Entity::Deal))
            .await?
            .into_iter()
            .map(|(_, d)| (format!("custom.{}", d.key), d.label))
            .collect();
        // Built-in deal fields a reader's catalogue labels, as distractors.
        const ASKED: [&str; 7] = ["title", "value", "person_id", "organization_id", "expected_close_date", "owner_id", "currency"];
        facts.fields = ASKED.iter().map(|k| quiz::FieldFacts { key: k.to_string(), label: k.to_string() }).collect();
        let mut custom_sorted: Vec<_> = custom.into_iter().collect();
        custom_sorted.sort();
        facts.fields.extend(custom_sorted.into_iter().map(|(key, label)| quiz::FieldFacts { key, label }));
        facts.lost_reasons = self.closing_reasons(actor).await?.lost;
        Ok(facts)
    }

    /// Generates the quiz [`quiz::GENERATED_KEY`] from the regulation, worded in the workspace's
    /// language, and saves it (replacing the questions of an earlier one, keeping its pass mark,
    /// role and repetition). The same regulation and `seed` give the same quiz.
    pub async fn generate_quiz(&self, actor: &Actor, seed: u64) -> Result<Quiz> {
        heads_only(actor)?;
        let facts = self.regulation_facts(actor).await?;
        let mut spec = quiz::generate(&facts, seed, actor.ws_lang())
            .ok_or_else(|| StoreError::invalid("regulation", QuizMsg::NothingToGenerate {}))?;
        let (db, a) = (self.clone(), actor.clone());
        let id = self
            .write_tx(move |tx| {
                Box::pin(async move {
                    let now = db.clock.now_ms();
                    let existing = load_all(tx, a.ws_id()).await?.into_iter().find(|q| q.spec.key == spec.key);
                    match existing {
                        Some(old) => {
                            spec.pass_percent = old.spec.pass_percent;
                            spec.required_for_role = old.spec.required_for_role.clone();
                            spec.assign_new_users = old.spec.assign_new_users;
                            spec.repeat_days = old.spec.repeat_days;
                            spec.title = old.spec.title.clone();
                            replace(tx, &a, &old, &spec, now).await?;
                            Ok(old.id)
                        }
                        None => insert(tx, &a, &spec, now).await,
                    }
                })
            })
            .await?;
        load(&self.write, actor.ws_id(), id).await
    }

    /// Assigns a quiz to the users named (every active user when none are): `{user_ids?: [..]}`.
    /// Returns how many were newly assigned (a user with the quiz already due is skipped).
    pub async fn assign_quiz(&self, actor: &Actor, id: i64, user_ids: Option<Vec<i64>>) -> Result<usize> {
        heads_only(actor)?;
        let (db, a) = (self.clone(), actor.clone());
        self.write_tx(move |tx| {
            Box::pin(async move {
                let ws = a.ws_id();
                load(tx, ws, id).await?;
                let now = db.clock.now_ms();
                let users = active_users(tx, ws).await?;
                let wanted: Vec<i64> = match user_ids {
                    Some(ids) => {
                        if let Some(bad) = ids.iter().find(|u| !users.iter().any(|(id, _)| id == *u)) {
                            return Err(StoreError::invalid("user_ids", Common::NoSuchRecord { what: "user".into(), id: *bad }));
                        }
                        ids
                    }
                    None => users.iter().map(|(id, _)| *id).collect(),
                };
                let mut n = 0;
                for u in wanted {
                    n += usize::from(assign_one(tx, ws, id, u, "head", now).await?);
                }
                Ok(n)
            })
        })
        .await
    }

    /// The periodic re-assignment (the [`REASSIGN_JOB`]): each quiz with `repeat_days` is assigned
    /// again to every active user whose last assignment of it is that old (or who never had it)
    /// and who has none open. Returns how many assignments were made.
    pub async fn reassign_quizzes(&self, ws: i64) -> Result<usize> {
        let db = self.clone();
        self.write_tx(move |tx| {
            Box::pin(async move {
                let now = db.clock.now_ms();
                let users = active_users(tx, ws).await?;
                let mut n = 0;
                for q in load_all(tx, ws).await? {
                    let Some(days) = q.spec.repeat_days else { continue };
                    let sql = "SELECT user_id, MAX(assigned_at) AS last FROM quiz_assignments WHERE workspace_id = $1 AND quiz_id = $2 GROUP BY user_id";
                    let mut last = HashMap::new();
                    for r in tx.query_all(raw(db.backend, sql, vec![ws.into(), q.id.into()])).await? {
                        last.insert(r.try_get::<i64>("", "user_id")?, r.try_get::<Option<i64>>("", "last")?.unwrap_or(0));
                    }
                    for (u, _) in &users {
                        let old_enough = last.get(u).is_none_or(|at| at + days * DAY_MS <= now);
                        if old_enough {
                            n += usize::from(assign_one(tx, ws, q.id, *u, "repeat", now).await?);
                        }
                    }
                }
                Ok(n)
            })
        })
        .await
    }

    /// The demo's quiz: generated from the demo regulation, passed before a manager becomes a
    /// consultant (seed 003's attestation), repeated every 90 days.
    pub(crate) async fn demo_quiz(&self, sys: &Actor) -> Result<()> {
        let mut q = self.generate_quiz(sys, 1).await?;
        q.spec.required_for_role = Some(Role::Consultant.as_str().to_string());
        q.spec.repeat_days = Some(90);
        let body = serde_json::to_value(&q.spec).map_err(|e| StoreError::Internal(e.to_string()))?;
        self.update_quiz(sys, q.id, &body).await?;
        Ok(())
    }

    /// The caller's quizzes: every quiz, with whether it is due and how they did.
    pub async fn my_quizzes(&self, actor: &Actor) -> Result<Vec<MyQuiz>> {
        let ws = actor.ws_id();
        let quizzes = load_all(&self.read, ws).await?;
        let sql = "SELECT quiz_id, assigned_at FROM quiz_assignments WHERE workspace_id = $1 AND user_id = $2 AND done_at IS NULL";
        let mut due: HashMap<i64, i64> = HashMap::new();
        for r in self.read.query_all(raw(self.backend, sql, vec![ws.into(), actor.user_id().into()])).await? {
            due.insert(r.try_get("", "quiz_id")?, r.try_get("", "assigned_at")?);
        }
        let attempts = attempts_of(&self.read, ws, Some(actor.user_id())).await?;
        // Attempts used (as `attempts_used` counts them): the answers below plus the starts not
        // answered, read for every quiz at once.
        let sql = "SELECT quiz_id, COUNT(*) AS n FROM quiz_starts WHERE workspace_id = $1 AND user_id = $2 AND attempt_id IS NULL GROUP BY quiz_id";
        let mut unanswered: HashMap<i64, i64> = HashMap::new();
        for r in self.read.query_all(raw(self.backend, sql, vec![ws.into(), actor.user_id().into()])).await? {
            unanswered.insert(r.try_get("", "quiz_id")?, r.try_get("", "n")?);
        }
        let mut out: Vec<MyQuiz> = quizzes
            .into_iter()
            .map(|q| {
                let mine: Vec<&AttemptRow> = attempts.iter().filter(|a| a.quiz_id == q.id).collect();
                MyQuiz {
                    quiz_id: q.id,
                    key: q.spec.key,
                    title: q.spec.title,
                    pass_percent: q.spec.pass_percent,
                    questions: q.spec.questions.len(),
                    due: due.contains_key(&q.id),
                    assigned_at: due.get(&q.id).map(|t| format_ms(*t)),
                    attempts: mine.len() as i64,
                    best_percent: mine.iter().map(|a| a.percent).max(),
                    passed: mine.iter().any(|a| a.passed),
                    time_limit_minutes: q.spec.time_limit_minutes,
                    max_attempts: q.spec.max_attempts,
                    attempts_left: q
                        .spec
                        .max_attempts
                        .map(|m| (m - mine.len() as i64 - unanswered.get(&q.id).copied().unwrap_or(0)).max(0)),
                }
            })
            .collect();
        out.sort_by_key(|q| (!q.due, q.quiz_id));
        Ok(out)
    }

    /// Takes a quiz: `{answers: {question key: [option index]}}`. The attempt is kept with its
    /// score; passing closes the caller's open assignment of the quiz.
    pub async fn submit_quiz(&self, actor: &Actor, id: i64, body: &Json) -> Result<Attempt> {
        let o = body.as_object().ok_or_else(|| StoreError::invalid("body", Common::BodyNotObject {}))?;
        if let Some(k) = o.keys().find(|k| !["answers", "start_id"].contains(&k.as_str())) {
            return Err(StoreError::invalid(
                k.as_str(),
                Common::UnknownField { expected: poryadok_core::msg::words(["answers", "start_id"]) },
            ));
        }
        let start = match o.get("start_id").filter(|v| !v.is_null()) {
            Some(v) => Some(v.as_i64().ok_or_else(|| StoreError::invalid("start_id", Common::NotInteger {}))?),
            None => None,
        };
        let answers_json = o.get("answers").cloned().unwrap_or_else(|| json!({}));
        let (db, a) = (self.clone(), actor.clone());
        self.write_tx(move |tx| {
            Box::pin(async move {
                let (ws, user, now) = (a.ws_id(), a.user_id(), db.clock.now_ms());
                let q = load(tx, ws, id).await?;
                let start_id = match start {
                    Some(sid) => {
                        let sql = "SELECT deadline_at FROM quiz_starts WHERE workspace_id = $1 AND id = $2 AND quiz_id = $3 AND user_id = $4 AND attempt_id IS NULL";
                        let r = tx
                            .query_one(raw(db.backend, sql, vec![ws.into(), sid.into(), id.into(), user.into()]))
                            .await?
                            .ok_or_else(|| StoreError::invalid("start_id", QuizMsg::StartUnknown {}))?;
                        let deadline: Option<i64> = r.try_get("", "deadline_at")?;
                        if deadline.is_some_and(|d| now > d) {
                            let minutes = q.spec.time_limit_minutes.unwrap_or_default();
                            return Err(StoreError::invalid("start_id", QuizMsg::TimeOver { minutes }));
                        }
                        Some(sid)
                    }
                    None => {
                        if q.spec.time_limit_minutes.is_some() {
                            return Err(StoreError::invalid("start_id", QuizMsg::NotStarted {}));
                        }
                        if let Some(max) = q.spec.max_attempts {
                            if attempts_used(tx, ws, id, user).await? >= max {
                                return Err(StoreError::invalid("attempts", QuizMsg::NoAttemptsLeft { max }));
                            }
                        }
                        None
                    }
                };
                let answers = quiz::parse_answers(&q.spec, &answers_json).map_err(StoreError::Validation)?;
                let score = quiz::score(&q.spec, &answers);
                let outcome: BTreeMap<&str, bool> = score.questions.iter().map(|r| (r.key.as_str(), r.correct)).collect();
                let sql = "INSERT INTO quiz_attempts (workspace_id, quiz_id, user_id, quiz_version, answers, outcome, right_count, total, percent, passed, created_at) \
                           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id";
                let values = vec![
                    ws.into(),
                    id.into(),
                    user.into(),
                    q.version.into(),
                    json!(answers).to_string().into(),
                    json!(outcome).to_string().into(),
                    score.right.into(),
                    score.total.into(),
                    score.percent.into(),
                    score.passed.into(),
                    now.into(),
                ];
                let attempt: i64 =
                    tx.query_one(raw(db.backend, sql, values)).await?.ok_or_else(|| StoreError::Internal("no id".into()))?.try_get("", "id")?;
                if let Some(sid) = start_id {
                    // One answer per start, even when two are sent at once.
                    let sql = "UPDATE quiz_starts SET attempt_id = $1 WHERE workspace_id = $2 AND id = $3 AND attempt_id IS NULL";
                    let done = tx.execute(raw(db.backend, sql, vec![attempt.into(), ws.into(), sid.into()])).await?;
                    if done.rows_affected() != 1 {
                        return Err(StoreError::invalid("start_id", QuizMsg::StartUnknown {}));
                    }
                }
                if score.passed {
                    let sql = "UPDATE quiz_assignments SET done_at = $1 WHERE workspace_id = $2 AND quiz_id = $3 AND user_id = $4 AND done_at IS NULL";
                    tx.execute(raw(db.backend, sql, vec![now.into(), ws.into(), id.into(), user.into()])).await?;
                }
                Ok(Attempt { id: attempt, start_id, quiz_id: id, pass_percent: q.spec.pass_percent, score, quiz: q })
            })
        })
        .await
    }

    /// Everyone's results (heads and administrators): per user and quiz — due, attempts, best and
    /// last score, passed — and per question how often it was answered wrong, most failed first.
    pub async fn quiz_results(&self, actor: &Actor) -> Result<QuizResults> {
        heads_only(actor)?;
        let ws = actor.ws_id();
        let quizzes = load_all(&self.read, ws).await?;
        let users = active_users(&self.read, ws).await?;
        let attempts = attempts_of(&self.read, ws, None).await?;
        let sql = "SELECT quiz_id, user_id FROM quiz_assignments WHERE workspace_id = $1 AND done_at IS NULL";
        let mut due = std::collections::HashSet::new();
        for r in self.read.query_all(raw(self.backend, sql, vec![ws.into()])).await? {
            due.insert((r.try_get::<i64>("", "quiz_id")?, r.try_get::<i64>("", "user_id")?));
        }
        let mut rows = Vec::new();
        for q in &quizzes {
            for (u, name) in &users {
                let mine: Vec<&AttemptRow> = attempts.iter().filter(|a| a.quiz_id == q.id && a.user_id == *u).collect();
                let is_due = due.contains(&(q.id, *u));
                if mine.is_empty() && !is_due {
                    continue;
                }
                let last = mine.iter().max_by_key(|a| (a.created_at, a.id));
                rows.push(UserResult {
                    user_id: *u,
                    user_name: name.clone(),
                    quiz_id: q.id,
                    quiz_title: q.spec.title.clone(),
                    due: is_due,
                    attempts: mine.len() as i64,
                    best_percent: mine.iter().map(|a| a.percent).max(),
                    last_percent: last.map(|a| a.percent),
                    passed: mine.iter().any(|a| a.passed),
                    last_at: last.map(|a| format_ms(a.created_at)),
                });
            }
        }
        let mut questions = Vec::new();
        for q in &quizzes {
            for question in &q.spec.questions {
                let (mut answered, mut failed) = (0, 0);
                for a in attempts.iter().filter(|a| a.quiz_id == q.id) {
                    if let Some(ok) = a.outcome.get(&question.key) {
                        answered += 1;
                        failed += i64::from(!ok);
                    }
                }
                if answered == 0 {
                    continue;
                }
                questions.push(QuestionStat {
                    quiz_id: q.id,
                    quiz_title: q.spec.title.clone(),
                    question_key: question.key.clone(),
                    text: question.text.clone(),
                    question: question.clone(),
                    answered,
                    failed,
                    failed_percent: failed * 100 / answered,
                });
            }
        }
        questions.sort_by(|a, b| b.failed_percent.cmp(&a.failed_percent).then(b.failed.cmp(&a.failed)).then(a.quiz_id.cmp(&b.quiz_id)));
        Ok(QuizResults { users: rows, questions })
    }
}

struct AttemptRow {
    id: i64,
    quiz_id: i64,
    user_id: i64,
    percent: i64,
    passed: bool,
    outcome: BTreeMap<String, bool>,
    created_at: i64,
}

async fn attempts_of(conn: &impl ConnectionTrait, ws: i64, user: Option<i64>) -> Result<Vec<AttemptRow>> {
    let backend = conn.get_database_backend();
    let mut sql =
        "SELECT id, quiz_id, user_id, percent, passed, outcome, created_at FROM quiz_attempts WHERE workspace_id = $1".to_string();
    let mut values: Vec<Value> = vec![ws.into()];
    if let Some(u) = user {
        sql.push_str(" AND user_id = $2");
        values.push(u.into());
    }
    let mut out = Vec::new();
    for r in conn.query_all(raw(backend, &sql, values)).await? {
        let outcome: String = r.try_get("", "outcome")?;
        out.push(AttemptRow {
            id: r.try_get("", "id")?,
            quiz_id: r.try_get("", "quiz_id")?,
            user_id: r.try_get("", "user_id")?,
            percent: r.try_get("", "percent")?,
            passed: r.try_get("", "passed")?,
            outcome: serde_json::from_str(&outcome).unwrap_or_default(),
            created_at: r.try_get("", "created_at")?,
        });
    }
    Ok(out)
}

async fn active_users(conn: &impl ConnectionTrait, ws: i64) -> Result<Vec<(i64, String)>> {
    let backend = conn.get_database_backend();
    let sql = "SELECT id, name FROM users WHERE workspace_id = $1 AND active = $2 ORDER BY name, id";
    let mut out = Vec::new();
    for r in conn.query_all(raw(backend, sql, vec![ws.into(), true.into()])).await? {
        out.push((r.try_get("", "id")?, r.try_get("", "name")?));
    }
    Ok(out)
}
