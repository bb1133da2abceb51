//! What the lists do beyond showing a page: the count and value of the whole list, bulk actions
//! on the ticked rows, and exports of the list as CSV and XLSX — each over exactly the records the
//! list holds for this reader (its filter, its `field=value` filters, the reader's visibility).
//!
//! - `GET /{list}/totals?<view>` — "1 234 deals · 56 789 000 ₽" (loaded after the page);
//! - `GET /{list}/bulk/fields?action=` — the inputs an action needs (new owner, stage, task);
//! - `POST /{list}/bulk` — the action on each ticked record through the same writes as a single
//!   change; the list again with "N changed, M not: reason (records)";
//! - `GET /{list}/export.csv|xlsx?<view>` — every record of the list, the reader's columns.
use super::i18n::T;
use super::lists::{chosen_columns, pick, row_cells, Col, ListParams};
use super::messages::say;
use super::{render, store_error, Ui};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use poryadok_core::schema::Entity;
use poryadok_store::bulk::{BulkChange, BulkOutcome};
use poryadok_store::{ListQuery, Row, StoreError};
use serde::Deserialize;
use serde_json::{json, Map, Value};

pub fn routes() -> Router<AppState> {
    let mut r = Router::new();
    for entity in [Entity::Deal, Entity::Person, Entity::Organization] {
        let base = format!("/{}", entity.path());
        r = r
            .route(&format!("{base}/totals"), get(move |st: State<AppState>, ui: Ui, q: RawQuery| totals(st, ui, q, entity)))
            .route(&format!("{base}/bulk/fields"), get(bulk_fields))
            .route(
                &format!("{base}/bulk"),
                post(move |st: State<AppState>, ui: Ui, h: HeaderMap, f: Form<Vec<(String, String)>>| bulk(st, ui, h, f, entity)),
            )
            .route(
                &format!("{base}/export.csv"),
                get(move |st: State<AppState>, ui: Ui, h: HeaderMap, q: RawQuery| export(st, ui, h, q, entity, Format::Csv)),
            )
            .route(
                &format!("{base}/export.xlsx"),
                get(move |st: State<AppState>, ui: Ui, h: HeaderMap, q: RawQuery| export(st, ui, h, q, entity, Format::Xlsx)),
            );
    }
    r
}

fn count_key(entity: Entity) -> &'static str {
    match entity {
        Entity::Deal => "lists.total_deals",
        Entity::Person => "lists.total_persons",
        _ => "lists.total_organizations",
    }
}

async fn totals(State(st): State<AppState>, ui: Ui, RawQuery(q): RawQuery, entity: Entity) -> Response {
    let params = ListParams::parse(entity, q.as_deref().unwrap_or(""));
    match st.db.list_totals(&ui.actor, entity, &params.store_query(entity).0).await {
        Ok(t) => {
            let fmt = ui.fmt();
            let mut parts = vec![ui.t.fmt(count_key(entity), &[("n", &fmt.count(t.count))])];
            parts.extend(t.values.iter().map(|(currency, v)| fmt.money(*v, currency)));
            parts.join(" · ").into_response()
        }
        // A filter the list already reports as wrong: no totals to show.
        Err(StoreError::Filter { .. } | StoreError::Validation(_)) => String::new().into_response(),
        Err(e) => store_error(&ui, e),
    }
}

#[derive(Deserialize)]
struct FieldsQuery {
    #[serde(default)]
    action: String,
}

pub struct OptView {
    pub value: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "list_bulk_fields.html")]
struct BulkFields {
    t: T,
    action: String,
    options: Vec<OptView>,
}

async fn named(st: &AppState, ui: &Ui, entity: Entity, filters: Vec<(String, String)>, sort: &str) -> Result<Vec<Row>, StoreError> {
    let lq = ListQuery { limit: Some("500".into()), sort: Some(sort.into()), filters, ..ListQuery::default() };
    Ok(st.db.list(&ui.actor, entity, &lq).await?.data)
}

async fn bulk_fields(State(st): State<AppState>, ui: Ui, Query(q): Query<FieldsQuery>) -> Response {
    let text = |r: &Row, f: &str| r.get(f).as_text().unwrap_or("").to_string();
    let options = match q.action.as_str() {
        "owner" => named(&st, &ui, Entity::User, vec![("active".into(), "true".into())], "name")
            .await
            .map(|rows| rows.iter().map(|r| OptView { value: r.id().to_string(), label: text(r, "name") }).collect()),
        "stage" => {
            async {
                let pipelines = named(&st, &ui, Entity::Pipeline, Vec::new(), "position").await?;
                let stages = named(&st, &ui, Entity::Stage, Vec::new(), "position").await?;
                Ok(pipelines
                    .iter()
                    .flat_map(|p| {
                        stages.iter().filter(move |s| s.get("pipeline_id").as_int() == Some(p.id())).map(move |s| OptView {
                            value: s.id().to_string(),
                            label: format!("{} · {}", text(p, "name"), text(s, "name")),
                        })
                    })
                    .collect())
            }
            .await
        }
        _ => Ok(Vec::new()),
    };
    match options {
        Ok(options) => render(&BulkFields { t: ui.t, action: q.action, options }),
        Err(e) => store_error(&ui, e),
    }
}

/// The change an action makes to each record, from the bulk form; a missing input names itself.
async fn change_of(st: &AppState, ui: &Ui, given: &(dyn Fn(&str) -> String + Sync)) -> Result<BulkChange, StoreError> {
    let required = |field: &str| StoreError::invalid(field, poryadok_core::msg::Common::Required {});
    let id_of = |field: &str| given(field).parse::<i64>().map_err(|_| required(field));
    match given("action").as_str() {
        "owner" => Ok(BulkChange::Update(json!({"owner_id": id_of("owner_id")?}))),
        "stage" => {
            let stage = id_of("stage_id")?;
            let pipeline = st.db.get(&ui.actor, Entity::Stage, stage).await?.get("pipeline_id").as_int();
            Ok(BulkChange::Update(json!({"stage_id": stage, "pipeline_id": pipeline})))
        }
        "task" => {
            let subject = given("subject");
            if subject.trim().is_empty() {
                return Err(required("subject"));
            }
            let mut task = Map::new();
            task.insert("type".into(), json!("task"));
            task.insert("subject".into(), json!(subject.trim()));
            if let Some(due) = ui.fmt().parse_input_datetime(&given("due_at")) {
                task.insert("due_at".into(), json!(poryadok_core::types::format_ms(due)));
            }
            Ok(BulkChange::AddTask(Value::Object(task)))
        }
        "delete" => Ok(BulkChange::Delete),
        _ => Err(required("action")),
    }
}

/// "17 changed. 3 not changed — <reason>: #12, #15, #18", the reasons in the reader's language.
fn outcome_text(t: &T, o: &BulkOutcome) -> String {
    let mut out = t.fmt("lists.bulk_done", &[("n", &o.done.len().to_string())]);
    if o.refused.is_empty() {
        return out;
    }
    let total = o.done.len() + o.refused.len();
    out.push_str(". ");
    out.push_str(&t.fmt("lists.bulk_refused", &[("n", &o.refused.len().to_string()), ("total", &total.to_string())]));
    // The same reason for several records is said once.
    let mut reasons: Vec<(String, Vec<i64>)> = Vec::new();
    for (id, e) in &o.refused {
        let why = match e {
            StoreError::NotFound => t.t("error.not_found").to_string(),
            other => other.msg().map(|m| say(t, m)).unwrap_or_else(|| t.t("error.internal").to_string()),
        };
        match reasons.iter_mut().find(|(w, _)| *w == why) {
            Some((_, ids)) => ids.push(*id),
            None => reasons.push((why, vec![*id])),
        }
    }
    for (why, ids) in reasons {
        let list: Vec<String> = ids.iter().take(20).map(|i| format!("#{i}")).collect();
        let more = if ids.len() > 20 { format!(" +{}", ids.len() - 20) } else { String::new() };
        out.push_str(&format!(" — {why}: {}{more}", list.join(", ")));
    }
    out
}

async fn bulk(
    State(st): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
    entity: Entity,
) -> Response {
    let given = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let ids: Vec<i64> = pairs.iter().filter(|(k, _)| k == "id").filter_map(|(_, v)| v.parse().ok()).collect();
    let params = ListParams::parse(entity, &given("view"));
    let outcome = match change_of(&st, &ui, &given).await {
        Ok(change) => st.db.bulk(&ui.actor, entity, &ids, &change).await,
        Err(e) => Err(e),
    };
    let notice = match outcome {
        Ok(o) => outcome_text(&ui.t, &o),
        Err(e) => match e.msg() {
            Some(m) => format!("{}: {}", super::messages::field_label(&ui.t, e.field().unwrap_or("ids")), say(&ui.t, m)),
            None => return store_error(&ui, e),
        },
    };
    super::lists::respond(&st, &ui, &headers, entity, params, Default::default(), Some(notice)).await
}

/// Records one export holds (a file a spreadsheet still opens; its rows are held in memory).
const MAX_EXPORT: usize = 100_000;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Xlsx,
}

async fn export(State(st): State<AppState>, ui: Ui, headers: HeaderMap, RawQuery(q): RawQuery, entity: Entity, format: Format) -> Response {
    let params = ListParams::parse(entity, q.as_deref().unwrap_or(""));
    let cols = chosen_columns(entity, &headers, q.as_deref().unwrap_or(""));
    let mut rows: Vec<Row> = Vec::new();
    let collected = st
        .db
        .list_all(&ui.actor, entity, &params.store_query(entity).0, &mut |page| {
            rows.extend(page);
            // The whole file is built in memory: a list larger than this is narrowed first.
            if rows.len() > MAX_EXPORT {
                return Err(StoreError::invalid(
                    "q",
                    poryadok_core::msg::Common::AtMostAtATime { n: MAX_EXPORT as i64, what: entity.path().into() },
                ));
            }
            Ok(())
        })
        .await;
    if let Err(e) = collected {
        return store_error(&ui, e);
    }
    let mut table: Vec<Vec<String>> = Vec::with_capacity(rows.len() + 1);
    table.push(cols.iter().map(|c| ui.t.t(c.key).to_string()).collect());
    // Names are looked up a page at a time, as the list does.
    for chunk in rows.chunks(500) {
        match row_cells(&st, &ui, entity, chunk).await {
            Ok(cells) => table.extend(cells.into_iter().map(|c| pick(c, &cols).into_iter().map(|cell| cell.text).collect())),
            Err(e) => return store_error(&ui, e),
        }
    }
    let name = format!("{}-{}", entity.path(), ui.fmt().date(st.db.clock.now_ms()).replace(['.', '/', ' '], "-"));
    match format {
        Format::Csv => crate::ui::kit::download(csv(&table).into_bytes(), "text/csv; charset=utf-8", &format!("{name}.csv")),
        Format::Xlsx => match xlsx(&table, &cols) {
            Ok(bytes) => crate::ui::kit::download(
                bytes,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                &format!("{name}.xlsx"),
            ),
            Err(e) => store_error(&ui, StoreError::Internal(e.to_string())),
        },
    }
}

/// The list as the reports' CSV writes a table: a byte-order mark, every cell a spreadsheet
/// would take for a formula neutralised.
fn csv(table: &[Vec<String>]) -> String {
    let (head, rows) = table.split_first().map_or((&[][..], &[][..]), |(h, r)| (h.as_slice(), r));
    let rows = rows.iter().map(|r| r.iter().cloned().map(crate::report::Cell::Text).collect()).collect();
    crate::report::Table { headers: head.to_vec(), rows }.csv()
}

/// One sheet, the header row bold and frozen; every cell a string (never a formula).
fn xlsx(table: &[Vec<String>], cols: &[&Col]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (r, row) in table.iter().enumerate() {
        for (c, text) in row.iter().enumerate() {
            if r == 0 {
                sheet.write_string_with_format(0, c as u16, text, &bold)?;
            } else {
                sheet.write_string(r as u32, c as u16, text)?;
            }
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    for (c, col) in cols.iter().enumerate() {
        sheet.set_column_width(
            c as u16,
            if c == 0 {
                40
            } else if col.num {
                16
            } else {
                22
            },
        )?;
    }
    book.save_to_buffer()
}
