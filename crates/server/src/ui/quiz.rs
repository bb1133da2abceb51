//! Тесты / Quizzes (`/quizzes`): everyone's own quizzes (due ones first) to take on one page
//! (`/quizzes/{id}/take`), the score and the right answers after submitting; for a head of sales
//! or an administrator also the quizzes with their editor (`/quizzes/new`, `/quizzes/{id}/edit`:
//! the questions as text, see `poryadok_core::quiz::to_text`), the "generate from the regulation"
//! button and the results per user and per question.
//!
//! A generated question is shown in the reader's language (its catalogue code), and an option
//! naming a deal field with the field's label.
use super::i18n::T;
use super::kit::go_to;
use super::kit::{render, render_status, HeadOrAdmin, OrUi, UiResult};
use super::messages::{say, UiLabels};
use super::Ui;
use crate::AppState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use poryadok_core::domain::Role;
use poryadok_core::msg::Labels;
use poryadok_core::quiz::{self, QuestionSpec, QuizSpec};
use poryadok_store::quiz::Quiz;
use poryadok_store::StoreError;
use serde_json::json;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/quizzes", get(index))
        .route("/quizzes/generate", post(generate))
        .route("/quizzes/new", get(new_form).post(create))
        .route("/quizzes/{id}/edit", get(edit_form).post(save))
        .route("/quizzes/{id}/take", get(take).post(submit))
        .route("/quizzes/{id}/start", post(start))
}

fn form_pairs(body: &Bytes) -> Vec<(String, String)> {
    form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

fn field<'a>(form: &'a [(String, String)], key: &str) -> &'a str {
    form.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).unwrap_or("")
}

/// A question's wording in the reader's language.
fn question_text(t: &T, q: &QuestionSpec) -> String {
    q.msg().map(|m| say(t, &m)).unwrap_or_else(|| q.text.clone())
}

fn explanation(t: &T, q: &QuestionSpec) -> Option<String> {
    q.explanation_msg().map(|m| say(t, &m)).or_else(|| q.explanation.clone())
}

fn option_text(t: &T, o: &quiz::OptionSpec) -> String {
    if let Some(m) = o.msg() {
        return say(t, &m);
    }
    o.field.as_deref().and_then(|f| UiLabels(*t).label(f)).unwrap_or_else(|| o.text.clone())
}

/// The questions as the editor shows them: worded and labelled for the reader. The editor's text
/// is read back against these, so an unchanged generated question keeps its code and fields.
fn displayed(t: &T, questions: &[QuestionSpec]) -> Vec<QuestionSpec> {
    questions
        .iter()
        .map(|q| {
            let mut d = q.clone();
            d.text = question_text(t, q);
            d.explanation = explanation(t, q);
            for o in &mut d.options {
                o.text = option_text(t, o);
            }
            d
        })
        .collect()
}

pub struct MyRow {
    pub title: String,
    pub href: String,
    pub due: bool,
    pub passed: bool,
    pub best: String,
    pub questions: usize,
    /// «10 мин · осталось попыток: 2 из 3», empty without limits.
    pub limits: String,
}

pub struct QuizRow {
    pub title: String,
    pub key: String,
    pub questions: usize,
    pub pass_percent: i64,
    pub role: String,
    pub edit_href: String,
}

pub struct ResultRow {
    pub user: String,
    pub quiz: String,
    pub attempts: i64,
    pub best: String,
    pub status: &'static str,
    pub status_class: &'static str,
}

pub struct FailRow {
    pub text: String,
    pub quiz: String,
    pub failed: i64,
    pub answered: i64,
    pub percent: i64,
}

#[derive(Template)]
#[template(path = "quizzes.html")]
struct IndexPage {
    ctx: super::Ctx,
    t: T,
    csrf: String,
    mine: Vec<MyRow>,
    head: bool,
    quizzes: Vec<QuizRow>,
    results: Vec<ResultRow>,
    fails: Vec<FailRow>,
    notice: Option<String>,
    error: Option<String>,
}

/// A quiz's limits as the reader reads them: its time and the attempts left of its limit.
fn limits_line(t: &T, minutes: Option<i64>, max: Option<i64>, left: Option<i64>) -> String {
    let mut parts = Vec::new();
    if let Some(m) = minutes {
        parts.push(t.fmt("quiz.limit_minutes", &[("n", &m.to_string())]));
    }
    if let Some(max) = max {
        let left = left.unwrap_or(max);
        parts.push(t.fmt("quiz.attempts_left", &[("left", &left.to_string()), ("max", &max.to_string())]));
    }
    parts.join(" · ")
}

fn pct(p: Option<i64>) -> String {
    p.map(|p| format!("{p} %")).unwrap_or_else(|| "—".into())
}

fn role_label(t: &T, role: &str) -> String {
    UiLabels(*t).term("role", role).unwrap_or_else(|| role.to_string())
}

async fn index_page(st: &AppState, ui: &Ui, notice: Option<String>, error: Option<String>) -> Result<IndexPage, super::UiError> {
    let t = ui.t;
    let mine = st
        .db
        .my_quizzes(&ui.actor)
        .await
        .or_ui(ui)?
        .into_iter()
        .map(|q| MyRow {
            limits: limits_line(&t, q.time_limit_minutes, q.max_attempts, q.attempts_left),
            title: q.title,
            href: format!("/quizzes/{}/take", q.quiz_id),
            due: q.due,
            passed: q.passed,
            best: pct(q.best_percent),
            questions: q.questions,
        })
        .collect();
    let head = ui.is_admin() || ui.actor.caller.role == Role::Head;
    let (mut quizzes, mut results, mut fails) = (Vec::new(), Vec::new(), Vec::new());
    if head {
        quizzes = st
            .db
            .quizzes(&ui.actor)
            .await
            .or_ui(ui)?
            .into_iter()
            .map(|q| QuizRow {
                role: q.spec.required_for_role.as_deref().map(|r| role_label(&t, r)).unwrap_or_default(),
                title: q.spec.title,
                key: q.spec.key,
                questions: q.spec.questions.len(),
                pass_percent: q.spec.pass_percent,
                edit_href: format!("/quizzes/{}/edit", q.id),
            })
            .collect();
        let r = st.db.quiz_results(&ui.actor).await.or_ui(ui)?;
        results = r
            .users
            .into_iter()
            .map(|u| {
                let (status, status_class) = if u.passed {
                    ("quiz.passed", "ok")
                } else if u.attempts > 0 {
                    ("quiz.failed", "danger")
                } else {
                    ("quiz.due", "warn")
                };
                ResultRow { user: u.user_name, quiz: u.quiz_title, attempts: u.attempts, best: pct(u.best_percent), status, status_class }
            })
            .collect();
        fails = r
            .questions
            .into_iter()
            .filter(|q| q.failed > 0)
            .take(20)
            .map(|q| FailRow {
                text: question_text(&t, &q.question),
                quiz: q.quiz_title,
                failed: q.failed,
                answered: q.answered,
                percent: q.failed_percent,
            })
            .collect();
    }
    Ok(IndexPage {
        ctx: ui.ctx("quizzes", t.t("quiz.title")),
        t,
        csrf: ui.csrf.clone(),
        mine,
        head,
        quizzes,
        results,
        fails,
        notice,
        error,
    })
}

async fn index(State(st): State<AppState>, ui: Ui, RawQuery(q): RawQuery) -> UiResult {
    let notice = form_urlencoded::parse(q.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "saved" || k == "generated")
        .map(|(k, _)| ui.t.t(&format!("quiz.notice.{k}")).to_string());
    Ok(render(&index_page(&st, &ui, notice, None).await?))
}

async fn generate(State(st): State<AppState>, HeadOrAdmin(ui): HeadOrAdmin) -> UiResult {
    match st.db.generate_quiz(&ui.actor, 1).await {
        Ok(q) => Ok(go_to(&ui, &format!("/quizzes/{}/edit?generated=1", q.id))),
        Err(e @ StoreError::Validation(_)) => {
            let text = super::messages::refusal_line(&ui.t, &e).unwrap_or_default();
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &index_page(&st, &ui, None, Some(text)).await?))
        }
        Err(e) => Err(ui.fail(e)),
    }
}

pub struct RoleOption {
    pub value: &'static str,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "quiz_edit.html")]
struct EditPage {
    ctx: super::Ctx,
    t: T,
    csrf: String,
    action: String,
    key: String,
    title: String,
    pass_percent: String,
    repeat_days: String,
    time_limit: String,
    max_attempts: String,
    assign_new_users: bool,
    roles: Vec<RoleOption>,
    text: String,
    error: Option<(String, String)>,
    notice: Option<String>,
}

struct Draft {
    key: String,
    title: String,
    pass_percent: String,
    repeat_days: String,
    time_limit: String,
    max_attempts: String,
    role: String,
    assign_new_users: bool,
    text: String,
}

impl Draft {
    fn of(t: &T, spec: &QuizSpec) -> Draft {
        Draft {
            key: spec.key.clone(),
            title: spec.title.clone(),
            pass_percent: spec.pass_percent.to_string(),
            repeat_days: spec.repeat_days.map(|d| d.to_string()).unwrap_or_default(),
            time_limit: spec.time_limit_minutes.map(|d| d.to_string()).unwrap_or_default(),
            max_attempts: spec.max_attempts.map(|d| d.to_string()).unwrap_or_default(),
            role: spec.required_for_role.clone().unwrap_or_default(),
            assign_new_users: spec.assign_new_users,
            text: quiz::to_text(&displayed(t, &spec.questions)),
        }
    }

    fn read(form: &[(String, String)]) -> Draft {
        Draft {
            key: field(form, "key").trim().to_string(),
            title: field(form, "title").to_string(),
            pass_percent: field(form, "pass_percent").trim().to_string(),
            repeat_days: field(form, "repeat_days").trim().to_string(),
            time_limit: field(form, "time_limit_minutes").trim().to_string(),
            max_attempts: field(form, "max_attempts").trim().to_string(),
            role: field(form, "required_for_role").to_string(),
            assign_new_users: field(form, "assign_new_users") == "on",
            text: field(form, "questions").to_string(),
        }
    }

    /// The spec the draft says, or the field it fails on.
    fn spec(&self, old: &[QuestionSpec]) -> Result<serde_json::Value, StoreError> {
        let questions = quiz::from_text(&self.text, old).map_err(StoreError::Validation)?;
        let number = |s: &str, f: &str| -> Result<Option<i64>, StoreError> {
            if s.is_empty() {
                return Ok(None);
            }
            s.parse::<i64>().map(Some).map_err(|_| StoreError::invalid(f, poryadok_core::msg::Common::NotInteger {}))
        };
        Ok(json!({
            "key": self.key,
            "title": self.title,
            "pass_percent": number(&self.pass_percent, "pass_percent")?.unwrap_or(0),
            "required_for_role": (!self.role.is_empty()).then_some(&self.role),
            "assign_new_users": self.assign_new_users,
            "repeat_days": number(&self.repeat_days, "repeat_days")?,
            "time_limit_minutes": number(&self.time_limit, "time_limit_minutes")?,
            "max_attempts": number(&self.max_attempts, "max_attempts")?,
            "questions": questions,
        }))
    }
}

fn edit_page(ui: &Ui, action: String, d: Draft, error: Option<(String, String)>, notice: Option<String>) -> EditPage {
    let t = ui.t;
    let roles = Role::ALL
        .iter()
        .filter(|r| **r != "admin")
        .map(|r| RoleOption { value: r, label: role_label(&t, r), selected: d.role == *r })
        .collect();
    EditPage {
        ctx: ui.ctx("quizzes", t.t("quiz.edit_title")),
        t,
        csrf: ui.csrf.clone(),
        action,
        key: d.key,
        title: d.title,
        pass_percent: d.pass_percent,
        repeat_days: d.repeat_days,
        time_limit: d.time_limit,
        max_attempts: d.max_attempts,
        assign_new_users: d.assign_new_users,
        roles,
        text: d.text,
        error,
        notice,
    }
}

async fn new_form(HeadOrAdmin(ui): HeadOrAdmin) -> UiResult {
    let d = Draft {
        key: String::new(),
        title: String::new(),
        pass_percent: "80".into(),
        repeat_days: String::new(),
        time_limit: String::new(),
        max_attempts: String::new(),
        role: String::new(),
        assign_new_users: true,
        text: String::new(),
    };
    Ok(render(&edit_page(&ui, "/quizzes/new".into(), d, None, None)))
}

async fn edit_form(State(st): State<AppState>, HeadOrAdmin(ui): HeadOrAdmin, Path(id): Path<i64>, RawQuery(q): RawQuery) -> UiResult {
    let quiz = st.db.quiz(&ui.actor, id).await.or_ui(&ui)?;
    let notice = q.is_some_and(|q| q.contains("generated=1")).then(|| ui.t.t("quiz.notice.generated").to_string());
    Ok(render(&edit_page(&ui, format!("/quizzes/{id}/edit"), Draft::of(&ui.t, &quiz.spec), None, notice)))
}

fn refused(ui: &Ui, action: String, d: Draft, e: StoreError) -> UiResult {
    match super::messages::field_error(&ui.t, &e) {
        Some((f, m)) => {
            let label = ui.t.t(&format!("quiz.field.{}", f.split('.').next().unwrap_or(""))).to_string();
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &edit_page(ui, action, d, Some((label, m)), None)))
        }
        None => Err(ui.fail(e)),
    }
}

async fn create(State(st): State<AppState>, HeadOrAdmin(ui): HeadOrAdmin, body: Bytes) -> UiResult {
    let d = Draft::read(&form_pairs(&body));
    let saved = match d.spec(&[]) {
        Ok(spec) => st.db.create_quiz(&ui.actor, &spec).await,
        Err(e) => Err(e),
    };
    match saved {
        Ok(_) => Ok(go_to(&ui, "/quizzes?saved=1")),
        Err(e) => refused(&ui, "/quizzes/new".into(), d, e),
    }
}

async fn save(State(st): State<AppState>, HeadOrAdmin(ui): HeadOrAdmin, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let form = form_pairs(&body);
    let action = format!("/quizzes/{id}/edit");
    let old = st.db.quiz(&ui.actor, id).await.or_ui(&ui)?;
    if field(&form, "delete") == "1" {
        st.db.delete_quiz(&ui.actor, id).await.or_ui(&ui)?;
        return Ok(go_to(&ui, "/quizzes?saved=1"));
    }
    let d = Draft::read(&form);
    let saved = match d.spec(&displayed(&ui.t, &old.spec.questions)) {
        Ok(spec) => st.db.update_quiz(&ui.actor, id, &spec).await,
        Err(e) => Err(e),
    };
    match saved {
        Ok(_) => Ok(go_to(&ui, "/quizzes?saved=1")),
        Err(e) => refused(&ui, action, d, e),
    }
}

pub struct OptionView {
    pub index: usize,
    pub text: String,
    pub chosen: bool,
    pub right: bool,
}

pub struct QuestionView {
    pub key: String,
    pub number: usize,
    pub text: String,
    pub multiple: bool,
    pub options: Vec<OptionView>,
    /// After submitting: answered right or not, and the explanation.
    pub correct: Option<bool>,
    pub explanation: Option<String>,
}

pub struct Outcome {
    pub percent: i64,
    pub right: i64,
    pub total: i64,
    pub passed: bool,
    pub pass_percent: i64,
}

/// What the take page says about the attempt: its number of the limit and until when answers
/// are accepted (in the reader's zone).
pub struct AttemptInfo {
    pub start_id: i64,
    pub attempt: String,
    pub deadline: String,
    pub minutes_left: Option<i64>,
}

#[derive(Template)]
#[template(path = "quiz_take.html")]
struct TakePage {
    ctx: super::Ctx,
    t: T,
    csrf: String,
    id: i64,
    title: String,
    pass_percent: i64,
    questions: Vec<QuestionView>,
    outcome: Option<Outcome>,
    error: Option<String>,
    /// A quiz with limits not started yet: its limits and the start button.
    intro: Option<String>,
    /// The attempt being answered.
    info: Option<AttemptInfo>,
    /// The form is answered (shown after the time is over or the attempts are used: no submit).
    closed: bool,
}

/// The order of one attempt, `None` for the quiz's own order.
type Order<'a> = Option<&'a [(usize, Vec<usize>)]>;

fn views(t: &T, quiz: &Quiz, chosen: &dyn Fn(&str) -> Vec<usize>, shown: Option<&quiz::Score>, order: Order) -> Vec<QuestionView> {
    let natural: Vec<(usize, Vec<usize>)>;
    let order = match order {
        Some(o) => o,
        None => {
            natural = quiz.spec.questions.iter().enumerate().map(|(i, q)| (i, (0..q.options.len()).collect())).collect();
            &natural
        }
    };
    order
        .iter()
        .enumerate()
        .filter_map(|(n, (qi, opts))| {
            let q = quiz.spec.questions.get(*qi)?;
            let mine = chosen(&q.key);
            Some(QuestionView {
                key: q.key.clone(),
                number: n + 1,
                text: question_text(t, q),
                multiple: q.multiple,
                options: opts
                    .iter()
                    .filter_map(|i| {
                        let o = q.options.get(*i)?;
                        Some(OptionView { index: *i, text: option_text(t, o), chosen: mine.contains(i), right: shown.is_some() && o.right })
                    })
                    .collect(),
                correct: shown.and_then(|s| s.questions.iter().find(|r| r.key == q.key)).map(|r| r.correct),
                explanation: shown.and_then(|_| explanation(t, q)),
            })
        })
        .collect()
}

fn take_page(ui: &Ui, quiz: &Quiz, questions: Vec<QuestionView>) -> TakePage {
    TakePage {
        ctx: ui.ctx("quizzes", quiz.spec.title.clone()),
        t: ui.t,
        csrf: ui.csrf.clone(),
        id: quiz.id,
        title: quiz.spec.title.clone(),
        pass_percent: quiz.spec.pass_percent,
        questions,
        outcome: None,
        error: None,
        intro: None,
        info: None,
        closed: false,
    }
}

fn has_limits(q: &Quiz) -> bool {
    q.spec.time_limit_minutes.is_some() || q.spec.max_attempts.is_some()
}

/// A quiz without limits starts at once; one with limits shows them and a start button first
/// (a reload of a started attempt goes on with it: same time, same order).
async fn take(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>) -> UiResult {
    let quiz = st.db.quiz(&ui.actor, id).await.or_ui(&ui)?;
    if has_limits(&quiz) && !st.db.quiz_has_open_start(&ui.actor, id).await.or_ui(&ui)? {
        return Ok(render(&intro_page(&st, &ui, &quiz, None).await?));
    }
    match st.db.start_quiz(&ui.actor, id).await {
        Ok(s) => Ok(render(&started_page(&ui, &s, st.db.clock.now_ms()))),
        Err(e @ StoreError::Validation(_)) => {
            let page = intro_page(&st, &ui, &quiz, super::messages::refusal_line(&ui.t, &e)).await?;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(ui.fail(e)),
    }
}

async fn intro_page(st: &AppState, ui: &Ui, quiz: &Quiz, error: Option<String>) -> Result<TakePage, super::UiError> {
    let left = st.db.my_quizzes(&ui.actor).await.or_ui(ui)?.into_iter().find(|m| m.quiz_id == quiz.id).and_then(|m| m.attempts_left);
    let mut page = take_page(ui, quiz, Vec::new());
    page.intro = Some(limits_line(&ui.t, quiz.spec.time_limit_minutes, quiz.spec.max_attempts, left));
    page.closed = error.is_some() || left == Some(0);
    page.error = error;
    Ok(page)
}

fn attempt_info(ui: &Ui, s: &poryadok_store::quiz::QuizStart, now: i64) -> AttemptInfo {
    AttemptInfo {
        start_id: s.start_id,
        attempt: s
            .max_attempts
            .map(|m| ui.t.fmt("quiz.attempt_of", &[("n", &s.attempts_used.to_string()), ("max", &m.to_string())]))
            .unwrap_or_default(),
        deadline: s.deadline_ms.map(|d| ui.fmt().datetime(d)).unwrap_or_default(),
        // Whole minutes left, rounded up: «1» until the last second.
        minutes_left: s.deadline_ms.map(|d| ((d - now).max(0) + 59_999) / 60_000),
    }
}

fn started_page(ui: &Ui, s: &poryadok_store::quiz::QuizStart, now: i64) -> TakePage {
    let order = start_order(&s.quiz, s.start_id);
    let mut page = take_page(ui, &s.quiz, views(&ui.t, &s.quiz, &|_| Vec::new(), None, Some(&order)));
    page.info = Some(attempt_info(ui, s, now));
    page
}

fn start_order(quiz: &Quiz, start_id: i64) -> Vec<(usize, Vec<usize>)> {
    quiz::shuffled(&quiz.spec, start_id as u64)
}

/// «Начать»: begins the attempt and shows it.
async fn start(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>) -> UiResult {
    match st.db.start_quiz(&ui.actor, id).await {
        Ok(_) => Ok(go_to(&ui, &format!("/quizzes/{id}/take"))),
        Err(e @ StoreError::Validation(_)) => {
            let quiz = st.db.quiz(&ui.actor, id).await.or_ui(&ui)?;
            let page = intro_page(&st, &ui, &quiz, super::messages::refusal_line(&ui.t, &e)).await?;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(ui.fail(e)),
    }
}

async fn submit(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let form = form_pairs(&body);
    let start_id = field(&form, "start_id").parse::<i64>().ok();
    let mut answers = serde_json::Map::new();
    for (k, v) in &form {
        if let (Some(key), Ok(i)) = (k.strip_prefix("q."), v.parse::<u64>()) {
            let list = answers.entry(key.to_string()).or_insert_with(|| json!([]));
            if let Some(a) = list.as_array_mut() {
                a.push(json!(i));
            }
        }
    }
    let chosen = |key: &str| -> Vec<usize> {
        answers
            .get(key)
            .and_then(|a| a.as_array())
            .map(|a| a.iter().filter_map(|x| x.as_u64().map(|x| x as usize)).collect())
            .unwrap_or_default()
    };
    match st.db.submit_quiz(&ui.actor, id, &json!({"answers": answers.clone(), "start_id": start_id})).await {
        Ok(a) => {
            let order = a.start_id.map(|sid| start_order(&a.quiz, sid));
            let questions = views(&ui.t, &a.quiz, &chosen, Some(&a.score), order.as_deref());
            let mut page = take_page(&ui, &a.quiz, questions);
            page.pass_percent = a.pass_percent;
            page.outcome = Some(Outcome {
                percent: a.score.percent,
                right: a.score.right,
                total: a.score.total,
                passed: a.score.passed,
                pass_percent: a.pass_percent,
            });
            Ok(render(&page))
        }
        Err(e @ StoreError::Validation(_)) => {
            let quiz = st.db.quiz(&ui.actor, id).await.or_ui(&ui)?;
            let order = start_id.map(|sid| start_order(&quiz, sid));
            let mut page = take_page(&ui, &quiz, views(&ui.t, &quiz, &chosen, None, order.as_deref()));
            // The time is over or the attempts are used: the answers stay on the page, unsent.
            let code = match &e {
                StoreError::Validation(f) => f.msg.code(),
                _ => "",
            };
            if ["quiz_time_over", "quiz_no_attempts_left", "quiz_start_unknown", "quiz_not_started"].contains(&code) {
                page.closed = true;
            } else if let Some(sid) = start_id {
                page.info = Some(AttemptInfo { start_id: sid, attempt: String::new(), deadline: String::new(), minutes_left: None });
            }
            page.error = super::messages::refusal_line(&ui.t, &e);
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(ui.fail(e)),
    }
}
