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
}

fn views(t: &T, quiz: &Quiz, chosen: &dyn Fn(&str) -> Vec<usize>, shown: Option<&quiz::Score>) -> Vec<QuestionView> {
    quiz.spec
        .questions
        .iter()
        .enumerate()
        .map(|(n, q)| {
            let mine = chosen(&q.key);
            QuestionView {
                key: q.key.clone(),
                number: n + 1,
                text: question_text(t, q),
                multiple: q.multiple,
                options: q
                    .options
                    .iter()
                    .enumerate()
                    .map(|(i, o)| OptionView {
                        index: i,
                        text: option_text(t, o),
                        chosen: mine.contains(&i),
                        right: shown.is_some() && o.right,
                    })
                    .collect(),
                correct: shown.and_then(|s| s.questions.iter().find(|r| r.key == q.key)).map(|r| r.correct),
                explanation: shown.and_then(|_| explanation(t, q)),
            }
        })
        .collect()
}

async fn take(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>) -> UiResult {
    let quiz = st.db.quiz(&ui.actor, id).await.or_ui(&ui)?;
    let questions = views(&ui.t, &quiz, &|_| Vec::new(), None);
    let page = TakePage {
        ctx: ui.ctx("quizzes", quiz.spec.title.clone()),
        t: ui.t,
        csrf: ui.csrf.clone(),
        id,
        title: quiz.spec.title.clone(),
        pass_percent: quiz.spec.pass_percent,
        questions,
        outcome: None,
        error: None,
    };
    Ok(render(&page))
}

async fn submit(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let form = form_pairs(&body);
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
    match st.db.submit_quiz(&ui.actor, id, &json!({"answers": answers.clone()})).await {
        Ok(a) => {
            let questions = views(&ui.t, &a.quiz, &chosen, Some(&a.score));
            let outcome = Outcome {
                percent: a.score.percent,
                right: a.score.right,
                total: a.score.total,
                passed: a.score.passed,
                pass_percent: a.pass_percent,
            };
            let page = TakePage {
                ctx: ui.ctx("quizzes", a.quiz.spec.title.clone()),
                t: ui.t,
                csrf: ui.csrf.clone(),
                id,
                title: a.quiz.spec.title.clone(),
                pass_percent: a.pass_percent,
                questions,
                outcome: Some(outcome),
                error: None,
            };
            Ok(render(&page))
        }
        Err(e @ StoreError::Validation(_)) => {
            let quiz = st.db.quiz(&ui.actor, id).await.or_ui(&ui)?;
            let page = TakePage {
                ctx: ui.ctx("quizzes", quiz.spec.title.clone()),
                t: ui.t,
                csrf: ui.csrf.clone(),
                id,
                title: quiz.spec.title.clone(),
                pass_percent: quiz.spec.pass_percent,
                questions: views(&ui.t, &quiz, &chosen, None),
                outcome: None,
                error: super::messages::refusal_line(&ui.t, &e),
            };
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(ui.fail(e)),
    }
}
