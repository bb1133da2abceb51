//! The pipeline board: a column per stage with its count and total, cards with what a manager
//! needs at a glance (organization, value, owner, the next task, marks for "no task" and
//! "rotting"), a filter box, "only mine", and moving a deal by dragging its card.
use super::format::Fmt;
use super::i18n::T;
use super::lists::{looks_like_expression, quoted};
use super::{render, store_error, Ui};
use crate::AppState;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use poryadok_core::schema::Entity;
use poryadok_store::reports::{Board, BoardCard, BoardOptions};
use poryadok_store::{ListQuery, Row, StoreError};
use serde::Deserialize;
use serde_json::json;

pub fn routes() -> Router<AppState> {
    Router::new().route("/board", get(board_page)).route("/board/move", post(move_deal))
}

const DAY_MS: i64 = 86_400_000;
const MAX_CARDS_PER_STAGE: u64 = 5_000;

/// What the board shows, as read from its query string (`pipeline`, `q`, `mine`).
#[derive(Default, Debug)]
pub struct BoardParams {
    pub pipeline: Option<i64>,
    pub q: String,
    pub mine: bool,
    /// Cards per column (default 50); "show all" asks for more.
    pub cards: Option<u64>,
}

impl BoardParams {
    pub fn parse(raw: &str) -> BoardParams {
        let mut p = BoardParams::default();
        for (k, v) in form_urlencoded::parse(raw.as_bytes()) {
            match k.as_ref() {
                "pipeline" => p.pipeline = v.parse().ok(),
                "q" => p.q = v.trim().to_string(),
                "mine" => p.mine = v == "1" || v == "on",
                "cards" => p.cards = v.parse::<u64>().ok().map(|n| n.clamp(1, MAX_CARDS_PER_STAGE)),
                _ => {}
            }
        }
        p
    }

    fn query_string(&self, pipeline: i64) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        s.append_pair("pipeline", &pipeline.to_string());
        if !self.q.is_empty() {
            s.append_pair("q", &self.q);
        }
        if self.mine {
            s.append_pair("mine", "1");
        }
        if let Some(n) = self.cards {
            s.append_pair("cards", &n.to_string());
        }
        s.finish()
    }
}

pub struct PipelineOption {
    pub id: i64,
    pub name: String,
    pub selected: bool,
}

pub struct CardView {
    pub id: i64,
    pub title: String,
    pub org: Option<String>,
    pub value: String,
    pub owner: String,
    pub next_task: Option<String>,
    pub task_overdue: bool,
    pub no_task: bool,
    pub rotting_days: Option<i64>,
}

pub struct ColumnView {
    pub stage_id: i64,
    pub name: String,
    pub count: i64,
    pub total: String,
    pub cards: Vec<CardView>,
    /// The user's role may not move deals here (beyond its role range).
    pub locked: bool,
    /// Knowledge-base articles linked to the stage: (key, title).
    pub articles: Vec<(String, String)>,
}

impl ColumnView {
    pub fn hidden(&self) -> i64 {
        self.count - self.cards.len() as i64
    }
}

pub struct BoardView {
    pub pipeline: i64,
    pub view: String,
    pub columns: Vec<ColumnView>,
    /// The filter box's text did not check: the message, with a caret line.
    pub filter_error: Option<String>,
    /// The text was read as a plain search in titles, not as an expression.
    pub plain_search: bool,
}

#[derive(Template)]
#[template(path = "board.html")]
struct BoardPage {
    ctx: super::Ctx,
    t: T,
    pipelines: Vec<PipelineOption>,
    params: BoardParams,
    board: BoardView,
}

#[derive(Template)]
#[template(path = "board_fragment.html")]
struct BoardFragment {
    t: T,
    board: BoardView,
}

pub async fn load_board(st: &AppState, ui: &Ui, params: &BoardParams) -> Result<BoardView, StoreError> {
    let pipeline = match params.pipeline {
        Some(p) => p,
        None => first_pipeline(st, ui).await?.ok_or(StoreError::NotFound)?,
    };
    let mut opts = BoardOptions { owner: params.mine.then(|| ui.actor.user_id()), ..BoardOptions::default() };
    if let Some(n) = params.cards {
        opts.cards_per_stage = n;
    }
    let (mut filter_error, mut plain_search) = (None, false);
    if !params.q.is_empty() {
        let expression = if looks_like_expression(&params.q) {
            params.q.clone()
        } else {
            plain_search = true;
            format!("title ~ {}", quoted(&params.q))
        };
        match st.db.check_filter(&ui.actor, Entity::Deal, &expression, "q").await {
            Ok(c) => opts.filter = Some(c),
            Err(StoreError::Filter { error, text, .. }) => filter_error = Some(super::lists::filter_message(&ui.t, &error, &text)),
            Err(e) => return Err(e),
        }
    }
    let data = st.db.board(&ui.actor, pipeline, &opts).await?;
    let view = params.query_string(pipeline);
    let locked = st.db.unreachable_stages(&ui.actor, pipeline).await?;
    let mut articles = st.db.kb_for_pipeline_stages(&ui.actor, pipeline).await?;
    let mut columns = columns(st, ui, &data).await?;
    for c in &mut columns {
        c.locked = locked.contains(&c.stage_id);
        c.articles = articles.remove(&c.stage_id).unwrap_or_default().into_iter().map(|a| (a.key, a.title)).collect();
    }
    Ok(BoardView { pipeline, view, columns, filter_error, plain_search })
}

async fn first_pipeline(st: &AppState, ui: &Ui) -> Result<Option<i64>, StoreError> {
    let lq = ListQuery { sort: Some("position".into()), limit: Some("1".into()), ..ListQuery::default() };
    Ok(st.db.list(&ui.actor, Entity::Pipeline, &lq).await?.data.first().map(|r| r.id()))
}

async fn columns(st: &AppState, ui: &Ui, data: &Board) -> Result<Vec<ColumnView>, StoreError> {
    let deals: Vec<&Row> = data.stages.iter().flat_map(|s| s.deals.iter().map(|c| &c.deal)).collect();
    let ids: Vec<i64> = deals.iter().map(|d| d.id()).collect();
    let owners = st.db.names(&ui.actor, Entity::User, deals.iter().filter_map(|d| d.get("owner_id").as_int())).await?;
    let orgs = st.db.names(&ui.actor, Entity::Organization, deals.iter().filter_map(|d| d.get("organization_id").as_int())).await?;
    let tasks = st.db.next_tasks(&ui.actor, &ids).await?;
    let now = st.db.clock.now_ms();
    let fmt = ui.fmt();
    let money = |v: i64, cur: Option<&str>| fmt.money(v, cur.unwrap_or(&ui.actor.ws.currency));
    Ok(data
        .stages
        .iter()
        .map(|s| {
            let cards = s
                .deals
                .iter()
                .map(|c| {
                    let value = money(c.deal.get("value").as_int().unwrap_or(0), c.deal.get("currency").as_text());
                    card(c, &fmt, now, &owners, &orgs, &tasks, value)
                })
                .collect();
            ColumnView {
                stage_id: s.stage_id,
                name: s.name.clone(),
                count: s.count,
                total: money(s.total_value, None),
                cards,
                locked: false,
                articles: Vec::new(),
            }
        })
        .collect())
}

fn card(
    c: &BoardCard,
    fmt: &Fmt,
    now: i64,
    owners: &std::collections::HashMap<i64, String>,
    orgs: &std::collections::HashMap<i64, String>,
    tasks: &poryadok_store::views::NextTasks,
    value: String,
) -> CardView {
    let d = &c.deal;
    let id = d.id();
    let task = tasks.get(&id);
    let idle_days = d.get("stage_entered_at").as_int().map(|e| (now - e) / DAY_MS);
    CardView {
        id,
        title: d.get("title").as_text().unwrap_or("").to_string(),
        org: d.get("organization_id").as_int().and_then(|o| orgs.get(&o).cloned()),
        value,
        owner: d.get("owner_id").as_int().and_then(|o| owners.get(&o).cloned()).unwrap_or_default(),
        next_task: task.and_then(|due| due.map(|ms| fmt.date(ms))),
        task_overdue: task.and_then(|due| *due).is_some_and(|ms| ms < now),
        no_task: task.is_none(),
        rotting_days: c.rotting.then_some(idle_days.unwrap_or(0)),
    }
}

async fn pipeline_options(st: &AppState, ui: &Ui, selected: i64) -> Result<Vec<PipelineOption>, StoreError> {
    let lq = ListQuery { sort: Some("position".into()), limit: Some("100".into()), ..ListQuery::default() };
    let rows = st.db.list(&ui.actor, Entity::Pipeline, &lq).await?.data;
    Ok(rows
        .iter()
        .map(|r| PipelineOption { id: r.id(), name: r.get("name").as_text().unwrap_or("").to_string(), selected: r.id() == selected })
        .collect())
}

/// Renders the board: the whole page, or for htmx only the `#board` fragment.
pub async fn render_board(st: &AppState, ui: &Ui, params: BoardParams) -> Response {
    let board = match load_board(st, ui, &params).await {
        Ok(b) => b,
        Err(e) => return store_error(ui, e),
    };
    if ui.htmx {
        return render(&BoardFragment { t: ui.t, board });
    }
    let pipelines = match pipeline_options(st, ui, board.pipeline).await {
        Ok(p) => p,
        Err(e) => return store_error(ui, e),
    };
    render(&BoardPage { ctx: ui.ctx("board", ui.t.t("nav.board")), t: ui.t, pipelines, params, board })
}

async fn board_page(State(st): State<AppState>, ui: Ui, RawQuery(q): RawQuery) -> Response {
    render_board(&st, &ui, BoardParams::parse(q.as_deref().unwrap_or(""))).await
}

#[derive(Deserialize)]
struct MoveForm {
    deal_id: i64,
    stage_id: i64,
    #[serde(default)]
    view: String,
}

/// Moves a deal to another stage, through the same rules as the API, and answers with the
/// refreshed board (counts and totals change) or with the reason the move was refused.
async fn move_deal(State(st): State<AppState>, ui: Ui, Form(form): Form<MoveForm>) -> Response {
    if let Err(e) = st.db.update(&ui.actor, Entity::Deal, form.deal_id, &json!({"stage_id": form.stage_id})).await {
        // A stage that needs fields asks for them in the dialog; saving it completes the move.
        return match super::card::missing_fields(&e) {
            Some(fields) => super::card::ask_for_fields(&st, &ui, form.deal_id, Some(form.stage_id), &fields).await,
            None => store_error(&ui, e),
        };
    }
    let ui = Ui { htmx: true, ..ui };
    render_board(&st, &ui, BoardParams::parse(&form.view)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_search_titles_and_operators_make_an_expression() {
        assert!(!looks_like_expression("Ромашка поставка"));
        assert!(looks_like_expression("value > 100000"));
        assert!(looks_like_expression("owner is empty"));
        assert_eq!(quoted(r#"a "b" \c"#), r#""a \"b\" \\c""#);
        let p = BoardParams::parse("pipeline=3&q=%D0%B0&mine=1");
        assert_eq!((p.pipeline, p.q.as_str(), p.mine), (Some(3), "а", true));
        assert_eq!(p.query_string(3), "pipeline=3&q=%D0%B0&mine=1");
    }
}
