//! Importing organizations, persons and deals (with their notes and tasks) from another CRM's
//! export: amoCRM, Bitrix24, Pipedrive, or any spreadsheet.
//!
//! An import goes in two steps. [`Db::upload_import`] reads the file (any shape
//! [`crate::tabular`] reads), keeps its rows, and proposes a column mapping (from the preset its
//! headers match) and a value mapping (the file's stages, pipelines, owners and lost reasons to
//! the workspace's, by name). [`Db::run_import`] takes the confirmed mappings and writes — or, in
//! a dry run, only counts — the records:
//! - each row is read and checked first; a row with a broken phone, an unknown stage, a bad date
//!   or amount is a failed row naming its line and column, and is not written;
//! - a row whose own id (the file's `ID` column) was imported before from the same CRM finds its
//!   record again (`import_keys`), so importing the same file twice changes nothing;
//! - a person is found by any of its phones (in any spelling) and e-mails, an organization by
//!   its tax id, its site's domain or its exact name, as intake finds them; what happens to a
//!   found record is the import's choice: skip it, update it, or create a new one anyway;
//! - new records are inserted in batches, each with its history event (the channel `import`, and
//!   the import's id) — deals are placed on their stage without the stage's gates or entry
//!   tasks: history is not re-lived;
//! - the whole run is one transaction: a failure leaves nothing behind, and a dry run is rolled
//!   back at its end, so it counts exactly what the run would do.
//!
//! [`Db::rollback_import`] deletes what an import created and restores the fields it updated.
use crate::error::{Result, StoreError};
use crate::records::{append_history_many, decode, inserted_row, system_view, visible_select, Row};
use crate::sql::{col, to_json, to_sea};
use crate::tabular::{read_any, Table};
use crate::{Actor, Db};
use poryadok_core::domain::{DealStatus, HistoryAction, Role};
use poryadok_core::import::{
    detect_preset, normalise, parse_datetime, parse_money, propose_columns, same_name, site_domain, status_of, Duplicates, ImportEntity,
    Preset, ValueKind,
};
use poryadok_core::msg::{words, ImportMsg};
use poryadok_core::schema::{Entity, Field, Kind};
use poryadok_core::types::Val;
use poryadok_core::validate::{self, Mode};
use poryadok_core::Msg;
use sea_orm::{ConnectionTrait, DatabaseTransaction, TransactionTrait};
use sea_query::{Expr, Order, Query};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value as Json};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The largest file an import takes.
pub const MAX_BYTES: usize = 100 * 1024 * 1024;
/// Data rows one import takes at most.
pub const MAX_ROWS: usize = 300_000;
/// Rows an insert statement of what an import did (its records, its keys) carries.
const CHUNK: usize = 1_000;
/// Values a look-up of records already there binds at most.
const LOOKUP: usize = 1_000;
/// Distinct values of one kind offered for mapping.
const MAX_VALUES: usize = 500;
/// Rows shown in an upload's preview.
const PREVIEW: usize = 5;

/// What the user confirmed: a target per column (by position), a target per file value of each
/// mapped list, and what to do with duplicates.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ImportSettings {
    /// One per header: a target (`title`, `person_phone`, `custom.<key>`…) or `None`.
    pub columns: Vec<Option<String>>,
    /// `stage`/`pipeline`/`owner`/`lost_reason`/`status` → the file's value → the target: a stage,
    /// pipeline or user id, `won`/`lost`/`open` for a stage or status, a lost reason's text; an
    /// empty target leaves the field to its default.
    #[serde(default)]
    pub values: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default = "default_duplicates")]
    pub duplicates: String,
    /// Columns to keep in new text custom fields (of the import's entity), named by their header.
    #[serde(default)]
    pub new_custom: Vec<usize>,
}

fn default_duplicates() -> String {
    Duplicates::Skip.as_str().to_string()
}

/// A failed row: its line in the file (as a spreadsheet counts), its column's header and why.
#[derive(Debug, Clone, PartialEq)]
pub struct FailedRow {
    pub line: u64,
    pub column: String,
    /// A stable code: required, bad_phone, bad_email, bad_date, bad_amount, unmapped_value,
    /// duplicate_id, invalid.
    pub code: &'static str,
    pub message: Box<Msg>,
}

impl FailedRow {
    pub fn to_json(&self) -> Json {
        json!({"line": self.line, "column": self.column, "code": self.code, "message": self.message.english(),
            "message_code": self.message.code(), "args": Json::Object(self.message.args_json())})
    }
    fn from_json(v: &Json) -> Option<FailedRow> {
        let code = match v["code"].as_str()? {
            "required" => "required",
            "bad_phone" => "bad_phone",
            "bad_email" => "bad_email",
            "bad_date" => "bad_date",
            "bad_amount" => "bad_amount",
            "unmapped_value" => "unmapped_value",
            "duplicate_id" => "duplicate_id",
            _ => "invalid",
        };
        let empty = Map::new();
        let message = v["message_code"]
            .as_str()
            .and_then(|c| Msg::from_code(c, v["args"].as_object().unwrap_or(&empty)))
            .or_else(|| Some(ImportMsg::BadValue { why: v["message"].as_str()?.to_string() }.into()))?;
        Some(FailedRow { line: v["line"].as_u64()?, column: v["column"].as_str()?.to_string(), code, message: Box::new(message) })
    }
}

/// What a run did (or, dry, would do).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportReport {
    pub dry_run: bool,
    pub rows: u64,
    /// Rows whose record is new.
    pub created: u64,
    /// Rows that updated a record already there.
    pub updated: u64,
    /// Rows whose record was there already and was left as it is (a duplicate skipped, or a
    /// re-import with nothing new).
    pub skipped: u64,
    pub failed: u64,
    pub persons_created: u64,
    pub organizations_created: u64,
    pub notes_created: u64,
    pub tasks_created: u64,
    pub custom_fields_created: u64,
    pub errors: Vec<FailedRow>,
}

impl ImportReport {
    pub fn to_json(&self) -> Json {
        json!({
            "dry_run": self.dry_run, "rows": self.rows, "created": self.created, "updated": self.updated,
            "skipped": self.skipped, "failed": self.failed, "persons_created": self.persons_created,
            "organizations_created": self.organizations_created, "notes_created": self.notes_created,
            "tasks_created": self.tasks_created, "custom_fields_created": self.custom_fields_created,
            "errors": self.errors.iter().map(FailedRow::to_json).collect::<Vec<_>>(),
        })
    }
    fn from_json(v: &Json) -> ImportReport {
        let n = |k: &str| v[k].as_u64().unwrap_or(0);
        ImportReport {
            dry_run: v["dry_run"].as_bool().unwrap_or(false),
            rows: n("rows"),
            created: n("created"),
            updated: n("updated"),
            skipped: n("skipped"),
            failed: n("failed"),
            persons_created: n("persons_created"),
            organizations_created: n("organizations_created"),
            notes_created: n("notes_created"),
            tasks_created: n("tasks_created"),
            custom_fields_created: n("custom_fields_created"),
            errors: v["errors"].as_array().map(|a| a.iter().filter_map(FailedRow::from_json).collect()).unwrap_or_default(),
        }
    }
}

/// An import as the API and the UI show it.
#[derive(Debug, Clone)]
pub struct Import {
    pub id: i64,
    pub entity: ImportEntity,
    pub preset: Preset,
    pub file_name: String,
    pub file_kind: String,
    /// `uploaded`, `done` or `rolled_back`.
    pub status: String,
    pub headers: Vec<String>,
    pub rows: u64,
    pub settings: ImportSettings,
    /// The distinct values of each mapped list found in the file.
    pub values_found: BTreeMap<String, Vec<String>>,
    pub preview: Vec<Vec<String>>,
    pub report: Option<ImportReport>,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
    pub rolled_back_at: Option<i64>,
}

impl Import {
    pub fn to_json(&self) -> Json {
        json!({
            "id": self.id, "entity": self.entity.as_str(), "preset": self.preset.as_str(), "file_name": self.file_name,
            "file_kind": self.file_kind, "status": self.status, "headers": self.headers, "rows": self.rows,
            "settings": self.settings, "values_found": self.values_found, "preview": self.preview,
            "report": self.report.as_ref().map(ImportReport::to_json), "created_by": self.created_by,
            "created_at": poryadok_core::types::format_ms(self.created_at), "finished_at": self.finished_at.map(poryadok_core::types::format_ms),
            "rolled_back_at": self.rolled_back_at.map(poryadok_core::types::format_ms),
        })
    }
}

/// A file to import.
#[derive(Debug, Clone)]
pub struct Upload<'a> {
    pub file_name: &'a str,
    pub content_type: Option<&'a str>,
    pub bytes: &'a [u8],
    pub entity: ImportEntity,
    /// `None`: told by the headers.
    pub preset: Option<Preset>,
}

/// What a rollback undid.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RollbackReport {
    pub deleted: u64,
    pub restored: u64,
}

impl RollbackReport {
    pub fn to_json(&self) -> Json {
        json!({"deleted": self.deleted, "restored": self.restored})
    }
}

/// The workspace's lists a value mapping chooses from.
#[derive(Debug, Clone, Default)]
pub struct Choices {
    /// `(id, name)`, in their order.
    pub pipelines: Vec<(i64, String)>,
    /// `(id, pipeline id, name)`, in their order.
    pub stages: Vec<(i64, i64, String)>,
    /// Active users: `(id, name, email)`.
    pub users: Vec<(i64, String, String)>,
    pub lost_reasons: Vec<String>,
    /// Custom fields of the import's entity: `(key, label)`.
    pub custom: Vec<(String, String)>,
}

impl Choices {
    pub fn to_json(&self) -> Json {
        json!({
            "pipelines": self.pipelines.iter().map(|(id, n)| json!({"id": id, "name": n})).collect::<Vec<_>>(),
            "stages": self.stages.iter().map(|(id, p, n)| json!({"id": id, "pipeline_id": p, "name": n})).collect::<Vec<_>>(),
            "users": self.users.iter().map(|(id, n, e)| json!({"id": id, "name": n, "email": e})).collect::<Vec<_>>(),
            "lost_reasons": self.lost_reasons,
            "custom_fields": self.custom.iter().map(|(k, l)| json!({"key": k, "label": l})).collect::<Vec<_>>(),
        })
    }
}

fn entity_of(e: ImportEntity) -> Entity {
    match e {
        ImportEntity::Deal => Entity::Deal,
        ImportEntity::Person => Entity::Person,
        ImportEntity::Organization => Entity::Organization,
    }
}

fn may_import(actor: &Actor) -> Result<()> {
    if matches!(actor.caller.role, Role::Admin | Role::Head) {
        Ok(())
    } else {
        Err(StoreError::forbidden(ImportMsg::AdminsOnly {}))
    }
}

fn internal(e: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(e.to_string())
}

/// Which list a target's values are mapped in.
fn value_kind(target: &str) -> Option<ValueKind> {
    match target {
        "stage" => Some(ValueKind::Stage),
        "pipeline" => Some(ValueKind::Pipeline),
        "owner" => Some(ValueKind::Owner),
        "lost_reason" => Some(ValueKind::LostReason),
        "status" => Some(ValueKind::Status),
        _ => None,
    }
}

/// The header row (the first row) and the data rows after it.
/// Data rows: the line each starts on and its cells.
type Rows<'a> = &'a [(u64, Vec<String>)];

fn split_header(table: &Table) -> Result<(Vec<String>, Rows<'_>)> {
    let (_, header) = table.rows.first().ok_or_else(|| StoreError::invalid("file", ImportMsg::NoHeader {}))?;
    let headers: Vec<String> = header.iter().map(|h| h.trim().trim_start_matches('\u{feff}').to_string()).collect();
    if headers.iter().all(String::is_empty) {
        return Err(StoreError::invalid("file", ImportMsg::NoHeader {}));
    }
    Ok((headers, &table.rows[1..]))
}

/// The distinct values each mapped list's columns hold.
fn values_found(rows: &[(u64, Vec<String>)], columns: &[Option<String>]) -> BTreeMap<String, Vec<String>> {
    let mut found: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (i, target) in columns.iter().enumerate() {
        let Some(kind) = target.as_deref().and_then(value_kind) else { continue };
        let set = found.entry(kind.as_str().to_string()).or_default();
        for (_, cells) in rows {
            if let Some(v) = cells.get(i).map(|c| c.trim()).filter(|c| !c.is_empty()) {
                if set.len() < MAX_VALUES {
                    set.insert(v.to_string());
                }
            }
        }
    }
    found.into_iter().map(|(k, v)| (k, v.into_iter().collect())).collect()
}

/// The proposed target of each value found: by name, case and spaces ignored.
fn propose_values(found: &BTreeMap<String, Vec<String>>, choices: &Choices) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for (kind, values) in found {
        let mut map = BTreeMap::new();
        for v in values {
            let target = match ValueKind::parse(kind) {
                Some(ValueKind::Stage) => status_of(v)
                    .filter(|s| *s != DealStatus::Open)
                    .map(|s| s.as_str().to_string())
                    .or_else(|| choices.stages.iter().find(|(_, _, n)| same_name(n, v)).map(|(id, _, _)| id.to_string())),
                Some(ValueKind::Pipeline) => choices.pipelines.iter().find(|(_, n)| same_name(n, v)).map(|(id, _)| id.to_string()),
                Some(ValueKind::Owner) => {
                    choices.users.iter().find(|(_, n, e)| same_name(n, v) || same_name(e, v)).map(|(id, _, _)| id.to_string())
                }
                Some(ValueKind::LostReason) => {
                    Some(choices.lost_reasons.iter().find(|r| same_name(r, v)).cloned().unwrap_or_else(|| v.clone()))
                }
                Some(ValueKind::Status) => status_of(v).map(|s| s.as_str().to_string()),
                None => None,
            };
            if let Some(t) = target {
                map.insert(v.clone(), t);
            }
        }
        out.insert(kind.clone(), map);
    }
    out
}

/// One organization a row names.
#[derive(Debug, Clone, Default)]
struct OrgIn {
    ext: Option<String>,
    name: Option<String>,
    tax_id: Option<String>,
    website: Option<String>,
    address: Option<String>,
}

/// One person a row names.
#[derive(Debug, Clone, Default)]
struct PersonIn {
    ext: Option<String>,
    name: Option<String>,
    /// Every phone of the row's phone columns and cells, normalised, each once, in the file's
    /// order: the first is the person's phone, the others its other phones.
    phones: Vec<String>,
    /// The same for e-mails.
    emails: Vec<String>,
    job_title: Option<String>,
}

/// The phones or e-mails a person may have at most: the main one and the others.
const MAX_CONTACTS: usize = 1 + poryadok_core::validate::MAX_CONTACTS;

/// A row read and checked.
#[derive(Debug, Clone, Default)]
struct RowIn {
    line: u64,
    /// The record's own id in the other CRM.
    ext: Option<String>,
    org: Option<OrgIn>,
    person: Option<PersonIn>,
    /// Deal fields (deal imports only), ready to store.
    deal: Vec<(&'static str, Val)>,
    stage: Option<i64>,
    pipeline: Option<i64>,
    status: Option<DealStatus>,
    owner: Option<i64>,
    created_at: Option<i64>,
    custom: Map<String, Json>,
    notes: Vec<String>,
    task: Option<(String, Option<i64>)>,
}

/// Everything a run needs to read rows.
struct Reading<'a> {
    entity: ImportEntity,
    headers: &'a [String],
    settings: &'a ImportSettings,
    choices: &'a Choices,
    region: &'a str,
    tz: &'a str,
    /// custom key → definition, for checking values.
    custom_defs: &'a [poryadok_core::validate::CustomDef],
}

fn fail(line: u64, column: &str, code: &'static str, message: impl Into<Msg>) -> FailedRow {
    FailedRow { line, column: column.to_string(), code, message: Box::new(message.into()) }
}

fn field(entity: Entity, name: &str) -> Result<&'static Field> {
    entity.field(name).ok_or_else(|| StoreError::Internal(format!("{} has no field {name}", entity.name())))
}

/// A text cell checked as a schema field (its length, a URL's shape), or the row's failure.
fn text_val(entity: Entity, name: &str, raw: &str, line: u64, column: &str, region: &str) -> std::result::Result<Val, FailedRow> {
    let f = entity.field(name).ok_or_else(|| fail(line, column, "invalid", ImportMsg::UnknownTarget { target: name.to_string() }))?;
    poryadok_core::validate::field_value(f, &Json::String(raw.to_string()), region).map_err(|m| {
        let code = match f.kind {
            Kind::Phone => "bad_phone",
            Kind::Email => "bad_email",
            _ => "invalid",
        };
        let msg: Msg = match f.kind {
            Kind::Phone => ImportMsg::BadPhone { raw: raw.to_string() }.into(),
            Kind::Email => ImportMsg::BadEmail { raw: raw.to_string() }.into(),
            _ => m,
        };
        fail(line, column, code, msg)
    })
}

fn text_of(v: Val) -> Option<String> {
    match v {
        Val::Text(s) => Some(s),
        _ => None,
    }
}

impl Reading<'_> {
    /// Reads one row; every problem of the row is reported (the row is then not written).
    fn row(&self, line: u64, cells: &[String]) -> std::result::Result<RowIn, Vec<FailedRow>> {
        let mut errors = Vec::new();
        let mut r = RowIn { line, ..Default::default() };
        let (mut org, mut person) = (OrgIn::default(), PersonIn::default());
        let (mut first, mut last) = (None::<String>, None::<String>);
        let mut task_due = None;
        let region = self.region;
        for (i, target) in self.settings.columns.iter().enumerate() {
            let Some(target) = target.as_deref() else { continue };
            let raw = cells.get(i).map(|c| c.trim()).unwrap_or("");
            if raw.is_empty() {
                continue;
            }
            let column = self.headers.get(i).map_or("", String::as_str);
            let mut put = |v: std::result::Result<Val, FailedRow>| -> Option<String> {
                match v {
                    Ok(v) => text_of(v),
                    Err(e) => {
                        errors.push(e);
                        None
                    }
                }
            };
            let mapped = |kind: ValueKind| -> std::result::Result<Option<String>, FailedRow> {
                match self.settings.values.get(kind.as_str()).and_then(|m| m.get(raw)) {
                    Some(t) if t.is_empty() => Ok(None),
                    Some(t) => Ok(Some(t.clone())),
                    None => Err(fail(
                        line,
                        column,
                        "unmapped_value",
                        ImportMsg::UnmappedValue { kind: value_field(kind.as_str()), value: raw.into() },
                    )),
                }
            };
            let ext = || raw.strip_suffix(".0").unwrap_or(raw).to_string();
            match target {
                "external_id" => r.ext = Some(ext()),
                "person_external_id" => person.ext = Some(ext()),
                "org_external_id" => org.ext = Some(ext()),
                "title" => {
                    if let Ok(v) = text_val(Entity::Deal, "title", raw, line, column, region).map_err(|e| errors.push(e)) {
                        r.deal.push(("title", v));
                    }
                }
                "value" => match parse_money(raw) {
                    Ok(v) => r.deal.push(("value", Val::Int(v))),
                    Err(m) => errors.push(fail(line, column, "bad_amount", m)),
                },
                "currency" => match poryadok_core::types::parse_currency(raw) {
                    Ok(c) => r.deal.push(("currency", Val::Text(c))),
                    Err(m) => errors.push(fail(line, column, "invalid", m)),
                },
                "source" | "utm_source" | "utm_medium" | "utm_campaign" | "utm_term" | "utm_content" => {
                    let name: &'static str = poryadok_core::import::TARGETS.iter().find(|t| **t == target).copied().unwrap_or("source");
                    if let Ok(v) = text_val(Entity::Deal, name, raw, line, column, region).map_err(|e| errors.push(e)) {
                        r.deal.push((name, v));
                    }
                }
                "expected_close_date" => match parse_datetime(raw, "UTC") {
                    Ok(ms) => {
                        r.deal.push(("expected_close_date", Val::Text(poryadok_core::types::format_ms(ms).chars().take(10).collect())))
                    }
                    Err(m) => errors.push(fail(line, column, "bad_date", m)),
                },
                "created_at" => match parse_datetime(raw, self.tz) {
                    Ok(ms) => r.created_at = Some(ms),
                    Err(m) => errors.push(fail(line, column, "bad_date", m)),
                },
                "stage" => match mapped(ValueKind::Stage) {
                    Ok(Some(t)) => match (DealStatus::parse(&t), t.parse::<i64>()) {
                        (Some(s), _) => r.status = Some(s),
                        (None, Ok(id)) if self.choices.stages.iter().any(|(s, _, _)| *s == id) => r.stage = Some(id),
                        _ => errors.push(fail(
                            line,
                            column,
                            "unmapped_value",
                            ImportMsg::UnmappedValue { kind: value_field("stage"), value: raw.into() },
                        )),
                    },
                    Ok(None) => {}
                    Err(e) => errors.push(e),
                },
                "pipeline" => match mapped(ValueKind::Pipeline) {
                    Ok(Some(t)) => match t.parse::<i64>() {
                        Ok(id) if self.choices.pipelines.iter().any(|(p, _)| *p == id) => r.pipeline = Some(id),
                        _ => errors.push(fail(
                            line,
                            column,
                            "unmapped_value",
                            ImportMsg::UnmappedValue { kind: value_field("pipeline"), value: raw.into() },
                        )),
                    },
                    Ok(None) => {}
                    Err(e) => errors.push(e),
                },
                "status" => match mapped(ValueKind::Status) {
                    Ok(Some(t)) => match DealStatus::parse(&t) {
                        Some(s) => r.status = Some(s),
                        None => errors.push(fail(
                            line,
                            column,
                            "unmapped_value",
                            ImportMsg::UnmappedValue { kind: value_field("status"), value: raw.into() },
                        )),
                    },
                    Ok(None) => {}
                    Err(e) => errors.push(e),
                },
                "owner" => match mapped(ValueKind::Owner) {
                    Ok(Some(t)) => match t.parse::<i64>() {
                        Ok(id) if self.choices.users.iter().any(|(u, _, _)| *u == id) => r.owner = Some(id),
                        _ => errors.push(fail(
                            line,
                            column,
                            "unmapped_value",
                            ImportMsg::UnmappedValue { kind: value_field("owner"), value: raw.into() },
                        )),
                    },
                    Ok(None) => {}
                    Err(e) => errors.push(e),
                },
                "lost_reason" => match mapped(ValueKind::LostReason) {
                    Ok(Some(t)) => {
                        if let Ok(v) = text_val(Entity::Deal, "lost_reason", &t, line, column, region).map_err(|e| errors.push(e)) {
                            r.deal.push(("lost_reason", v));
                        }
                    }
                    Ok(None) => {}
                    Err(e) => errors.push(e),
                },
                "person_name" => person.name = put(text_val(Entity::Person, "name", raw, line, column, region)),
                "person_first_name" => first = Some(raw.to_string()),
                "person_last_name" => last = Some(raw.to_string()),
                "person_phone" | "person_email" => {
                    // Several values in one cell (amoCRM, Bitrix24 and Pipedrive write them
                    // separated by commas or semicolons): each is checked and kept once.
                    let (name, list) = if target == "person_phone" { ("phone", &mut person.phones) } else { ("email", &mut person.emails) };
                    for one in raw.split([',', ';', '\n']).map(str::trim).filter(|p| !p.is_empty()) {
                        match text_val(Entity::Person, name, one, line, column, region) {
                            Ok(v) => {
                                if let Some(v) = text_of(v).filter(|v| !list.contains(v)) {
                                    list.push(v);
                                }
                            }
                            Err(e) => errors.push(e),
                        }
                    }
                    if list.len() > MAX_CONTACTS {
                        let max = MAX_CONTACTS as i64;
                        errors.push(fail(line, column, "invalid", poryadok_core::msg::Common::ContactList { max }));
                    }
                }
                "person_job_title" => person.job_title = put(text_val(Entity::Person, "job_title", raw, line, column, region)),
                "org_name" => org.name = put(text_val(Entity::Organization, "name", raw, line, column, region)),
                "org_tax_id" => {
                    let digits: String = raw.split('/').next().unwrap_or("").chars().filter(|c| !c.is_whitespace()).collect();
                    org.tax_id =
                        put(text_val(Entity::Organization, "tax_id", digits.strip_suffix(".0").unwrap_or(&digits), line, column, region));
                }
                "org_website" => org.website = put(text_val(Entity::Organization, "website", raw, line, column, region)),
                "org_address" => org.address = put(text_val(Entity::Organization, "address", raw, line, column, region)),
                "note" => r.notes.push(raw.to_string()),
                "task" => r.task = Some((raw.chars().take(255).collect(), None)),
                "task_due" => match parse_datetime(raw, self.tz) {
                    Ok(ms) => task_due = Some(ms),
                    Err(m) => errors.push(fail(line, column, "bad_date", m)),
                },
                t => {
                    if let Some(key) = t.strip_prefix("custom.") {
                        r.custom.insert(key.to_string(), Json::String(raw.to_string()));
                    }
                }
            }
        }
        if person.name.is_none() && (first.is_some() || last.is_some()) {
            let full = [first, last].into_iter().flatten().collect::<Vec<_>>().join(" ");
            person.name = Some(full.chars().take(255).collect());
        }
        if let Some((_, due)) = r.task.as_mut() {
            *due = task_due;
        }
        // Custom values are checked as their fields check them.
        if !r.custom.is_empty() {
            let ctx = poryadok_core::validate::Ctx { region, custom_defs: self.custom_defs };
            let body = json!({"custom": Json::Object(r.custom.clone())});
            match poryadok_core::validate::check(entity_of(self.entity), &body, poryadok_core::validate::Mode::Update, &ctx) {
                Ok(c) => r.custom = c.custom.unwrap_or_default(),
                Err(e) => {
                    let key = e.field.strip_prefix("custom.").unwrap_or(&e.field).to_string();
                    let column = self
                        .settings
                        .columns
                        .iter()
                        .position(|t| t.as_deref() == Some(format!("custom.{key}").as_str()))
                        .and_then(|i| self.headers.get(i))
                        .cloned()
                        .unwrap_or(e.field.clone());
                    errors.push(fail(line, &column, "invalid", e.msg.clone()));
                }
            }
        }
        let person_given = person.name.is_some() || !person.phones.is_empty() || !person.emails.is_empty() || person.ext.is_some();
        if person_given && person.name.is_none() {
            person.name = person.phones.first().or(person.emails.first()).or(person.ext.as_ref()).cloned();
        }
        let org_given = org.name.is_some() || org.tax_id.is_some() || org.ext.is_some();
        let column_of = |target: &str| {
            self.settings
                .columns
                .iter()
                .position(|t| t.as_deref() == Some(target))
                .and_then(|i| self.headers.get(i))
                .cloned()
                .unwrap_or_default()
        };
        match self.entity {
            ImportEntity::Deal => {
                if !r.deal.iter().any(|(n, _)| *n == "title") && errors.is_empty() {
                    errors.push(fail(line, &column_of("title"), "required", ImportMsg::Required { field: "title".into() }));
                }
            }
            ImportEntity::Person => {
                if person.name.is_none() && errors.is_empty() {
                    errors.push(fail(line, &column_of("person_name"), "required", ImportMsg::Required { field: "name".into() }));
                }
            }
            ImportEntity::Organization => {
                if org.name.is_none() && errors.is_empty() {
                    errors.push(fail(line, &column_of("org_name"), "required", ImportMsg::Required { field: "name".into() }));
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        if person_given || self.entity == ImportEntity::Person {
            r.person = Some(person);
        }
        if org_given || self.entity == ImportEntity::Organization {
            if org.name.is_none() {
                org.name = org.tax_id.clone().or(org.ext.clone());
            }
            r.org = Some(org);
        }
        Ok(r)
    }
}

/// A record found for a row, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    /// By the other CRM's id imported before.
    Key(i64),
    /// By a phone, e-mail, tax id, site or name.
    Identity(i64),
    /// Created by this import (an earlier row).
    Here(i64),
}

/// Whose a phone or e-mail is during a run: a person already there, or the `n`th new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    There(i64),
    Here(usize),
}

/// Phones and e-mails, normalised, the first of each the main one.
#[derive(Debug, Clone, Default)]
struct Contacts {
    phones: Vec<String>,
    emails: Vec<String>,
}

impl Contacts {
    /// Adds the values not there yet, up to the most a person holds.
    fn add(&mut self, more: &Contacts) {
        for (list, new) in [(&mut self.phones, &more.phones), (&mut self.emails, &more.emails)] {
            for v in new {
                if !list.contains(v) && list.len() < MAX_CONTACTS {
                    list.push(v.clone());
                }
            }
        }
    }

    /// The person's fields: `phone` and `email` the first of each, `other_phones` and
    /// `other_emails` the rest.
    fn fields(&self) -> Vec<(&'static str, Val)> {
        let mut out = Vec::new();
        for (main, others, list) in [("phone", "other_phones", &self.phones), ("email", "other_emails", &self.emails)] {
            if let Some((first, rest)) = list.split_first() {
                out.push((main, Val::Text(first.clone())));
                if !rest.is_empty() {
                    out.push((others, Val::Text(Json::from(rest.to_vec()).to_string())));
                }
            }
        }
        out
    }

    /// The fields that merge these values into a person's `row` without losing any it has:
    /// a value becomes the main one where there is none, else joins the others.
    fn merged_into(&self, row: &Row) -> Map<String, Json> {
        let mut body = Map::new();
        for (main, others, new) in [("phone", "other_phones", &self.phones), ("email", "other_emails", &self.emails)] {
            let old_main = row.get(main).as_text().map(str::to_string);
            let old_others: Vec<String> = row.get(others).as_text().and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default();
            let (mut first, mut list) = (old_main.clone(), old_others.clone());
            for v in new {
                if first.is_none() {
                    first = Some(v.clone());
                } else if first.as_ref() != Some(v) && !list.contains(v) && list.len() < poryadok_core::validate::MAX_CONTACTS {
                    list.push(v.clone());
                }
            }
            if first != old_main {
                body.insert(main.into(), json!(first));
            }
            if list != old_others {
                body.insert(others.into(), json!(list));
            }
        }
        body
    }
}

/// A person this import creates, waiting for its batch.
struct NewPerson {
    values: Vec<(&'static str, Val)>,
    created_at: Option<i64>,
    contacts: Contacts,
}

/// Lookups of records already in the workspace, filled in batches.
#[derive(Default)]
struct Known {
    keys: HashMap<(Entity, String), i64>,
    /// Identity (`phone:+7…`, `email:…`) → person.
    identities: HashMap<String, i64>,
    org_tax: HashMap<String, i64>,
    org_name: HashMap<String, i64>,
    /// Site domain → organization (the first by id).
    org_domain: HashMap<String, i64>,
}

async fn query_pairs(conn: &impl ConnectionTrait, db: &Db, q: &sea_query::SelectStatement, a: &str, b: &str) -> Result<Vec<(String, i64)>> {
    let rows = conn.query_all(db.backend.build(q)).await?;
    rows.iter().map(|r| Ok((r.try_get::<String>("", a)?, r.try_get::<i64>("", b)?))).collect()
}

impl Known {
    async fn load(conn: &impl ConnectionTrait, db: &Db, ws: i64, source: &str, rows: &[RowIn], entity: ImportEntity) -> Result<Known> {
        let mut k = Known::default();
        let mut by_entity: BTreeMap<&'static str, BTreeSet<String>> = BTreeMap::new();
        let (mut phones, mut emails, mut taxes, mut names) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
        let mut with_site = false;
        for r in rows {
            if let Some(e) = &r.ext {
                by_entity.entry(entity_of(entity).name()).or_default().insert(e.clone());
            }
            if let Some(p) = &r.person {
                if let Some(e) = &p.ext {
                    by_entity.entry("person").or_default().insert(e.clone());
                }
                phones.extend(p.phones.iter().cloned());
                emails.extend(p.emails.iter().cloned());
            }
            if let Some(o) = &r.org {
                if let Some(e) = &o.ext {
                    by_entity.entry("organization").or_default().insert(e.clone());
                }
                taxes.extend(o.tax_id.clone());
                names.extend(o.name.clone());
                with_site |= o.website.is_some();
            }
        }
        for (name, ids) in &by_entity {
            let e = Entity::from_name(name).ok_or_else(|| internal(name))?;
            let ids: Vec<&String> = ids.iter().collect();
            for chunk in ids.chunks(LOOKUP) {
                // Only keys whose record is still there: a record deleted since is imported anew.
                // Joined by the record's id, so only the chunk's records are read.
                let q = Query::select()
                    .column((col("k"), col("external_id")))
                    .column((col("k"), col("record_id")))
                    .from_as(col("import_keys"), col("k"))
                    .inner_join(
                        crate::sql::aliased(e.table(), "r"),
                        Expr::col((col("r"), col("id")))
                            .equals((col("k"), col("record_id")))
                            .and(Expr::col((col("r"), col("workspace_id"))).eq(ws))
                            .and(Expr::col((col("r"), col("deleted_at"))).is_null()),
                    )
                    .and_where(Expr::col((col("k"), col("workspace_id"))).eq(ws))
                    .and_where(Expr::col((col("k"), col("source"))).eq(source))
                    .and_where(Expr::col((col("k"), col("entity"))).eq(*name))
                    .and_where(Expr::col((col("k"), col("external_id"))).is_in(chunk.iter().map(|s| s.as_str())))
                    .to_owned();
                for (ext, id) in query_pairs(conn, db, &q, "external_id", "record_id").await? {
                    k.keys.insert((e, ext), id);
                }
            }
        }
        for (kind, values) in [("phone", &phones), ("email", &emails)] {
            let values: Vec<&String> = values.iter().collect();
            for chunk in values.chunks(LOOKUP) {
                let q = Query::select()
                    .column((col("i"), col("value")))
                    .column((col("i"), col("person_id")))
                    .from_as(col("identities"), col("i"))
                    .inner_join(
                        crate::sql::aliased("persons", "p"),
                        Expr::col((col("p"), col("id")))
                            .equals((col("i"), col("person_id")))
                            .and(Expr::col((col("p"), col("deleted_at"))).is_null()),
                    )
                    .and_where(Expr::col((col("i"), col("workspace_id"))).eq(ws))
                    .and_where(Expr::col((col("i"), col("kind"))).eq(kind))
                    .and_where(Expr::col((col("i"), col("value"))).is_in(chunk.iter().map(|s| s.as_str())))
                    .to_owned();
                for (v, id) in query_pairs(conn, db, &q, "value", "person_id").await? {
                    k.identities.insert(format!("{kind}:{v}"), id);
                }
            }
        }
        for (column, values, map) in [("tax_id", &taxes, &mut k.org_tax), ("name", &names, &mut k.org_name)] {
            let values: Vec<&String> = values.iter().collect();
            for chunk in values.chunks(LOOKUP) {
                let q = Query::select()
                    .columns([column, "id"].map(col))
                    .from(col("organizations"))
                    .and_where(Expr::col(col("workspace_id")).eq(ws))
                    .and_where(Expr::col(col("deleted_at")).is_null())
                    .and_where(Expr::col(col(column)).is_in(chunk.iter().map(|s| s.as_str())))
                    .order_by(col("id"), Order::Asc)
                    .to_owned();
                for (v, id) in query_pairs(conn, db, &q, column, "id").await? {
                    map.entry(v).or_insert(id);
                }
            }
        }
        // Sites are matched by their domain, which no index holds: the workspace's sites are
        // read once, when the file has any.
        if with_site {
            let q = Query::select()
                .columns(["id", "website"].map(col))
                .from(col("organizations"))
                .and_where(Expr::col(col("workspace_id")).eq(ws))
                .and_where(Expr::col(col("deleted_at")).is_null())
                .and_where(Expr::col(col("website")).is_not_null())
                .order_by(col("id"), Order::Asc)
                .to_owned();
            for r in conn.query_all(db.backend.build(&q)).await? {
                let site: Option<String> = r.try_get("", "website")?;
                if let Some(d) = site.as_deref().and_then(site_domain) {
                    k.org_domain.entry(d).or_insert(r.try_get("", "id")?);
                }
            }
        }
        Ok(k)
    }
}

/// The records an update-mode run may change, as stored: every record [`Known`] found (by the
/// file's ids, identities, tax ids, names, sites), read before the rows are walked in one
/// statement per thousand ids and entity — not a read per row — and locked on PostgreSQL until
/// the run ends. Each update puts the record's new state back, so a record several rows name is
/// compared with what the run made of it.
type Olds = HashMap<(Entity, i64), Row>;

async fn load_olds(conn: &impl ConnectionTrait, db: &Db, actor: &Actor, known: &Known, main: Entity) -> Result<Olds> {
    let mut wanted: HashMap<Entity, BTreeSet<i64>> = HashMap::new();
    for ((e, _), id) in &known.keys {
        wanted.entry(*e).or_default().insert(*id);
    }
    wanted.entry(Entity::Person).or_default().extend(known.identities.values());
    for map in [&known.org_tax, &known.org_name, &known.org_domain] {
        wanted.entry(Entity::Organization).or_default().extend(map.values());
    }
    // A deal import updates deals only by their ids in the file; persons and organizations are
    // updated in any import.
    wanted.retain(|e, ids| !ids.is_empty() && (*e != Entity::Deal || main == Entity::Deal));
    let view = system_view(actor);
    let mut olds = Olds::new();
    for (e, ids) in &wanted {
        let ids: Vec<i64> = ids.iter().copied().collect();
        for chunk in ids.chunks(LOOKUP) {
            let mut q = visible_select(*e, &view, false);
            q.and_where(Expr::col(col("id")).is_in(chunk.iter().copied()));
            if db.is_postgres() {
                q.lock(sea_query::LockType::Update);
            }
            for r in conn.query_all(db.backend.build(&q)).await? {
                let row = decode(*e, &r)?;
                olds.insert((*e, row.id()), row);
            }
        }
    }
    Ok(olds)
}

/// Whether `body` would leave `old` as it is: the body checked as the write path checks it
/// first (the schema, the custom fields, a phone's spelling), then compared with the stored
/// values in memory, custom values merged as an update merges them. An update that changes
/// nothing writes nothing (no version, no history), so such a row is skipped without a
/// statement; anything else — a change, or a body the check refuses — goes through the write
/// path, which decides.
fn leaves_as_is(entity: Entity, old: &Row, body: &Map<String, Json>, defs: &[validate::CustomDef], region: &str) -> bool {
    let ctx = validate::Ctx { region, custom_defs: defs };
    let Ok(mut checked) = validate::check(entity, &Json::Object(body.clone()), Mode::Update, &ctx) else { return false };
    if checked.values.iter().any(|(f, v)| old.get(f.name) != v || f.kind == Kind::Password) {
        return false;
    }
    let Some(patch) = checked.custom.take() else { return true };
    let stored = old.get("custom").as_text().unwrap_or("{}");
    crate::records::merged_custom(Some(stored), patch) == stored
}

/// New records of one entity waiting for their batch insert.
struct Pending {
    entity: Entity,
    fields: Vec<&'static str>,
    rows: Vec<(Vec<Val>, Option<i64>)>,
}

impl Pending {
    fn new(entity: Entity, fields: &[&'static str]) -> Pending {
        Pending { entity, fields: fields.to_vec(), rows: Vec::new() }
    }
    /// Queues a row (`values` by field name; missing ones are NULL); its index in the batch.
    fn push(&mut self, values: &[(&'static str, Val)], created_at: Option<i64>) -> usize {
        let row = self.fields.iter().map(|f| values.iter().rev().find(|(n, _)| n == f).map_or(Val::Null, |(_, v)| v.clone())).collect();
        self.rows.push((row, created_at));
        self.rows.len() - 1
    }
}

/// Rows one multi-row statement carries with `binds` bound values a row: under the database's
/// limit of bound values (PostgreSQL 65,535, SQLite 32,766), at most 2,000.
fn rows_per_statement(db: &Db, binds: usize) -> usize {
    let limit = if db.is_postgres() { 65_535 } else { 32_766 };
    (limit / binds.max(1)).clamp(1, 2_000)
}

/// Inserts a batch of new records with their history (the channel `import`, the import's id)
/// and the rules that follow every write (identities, search words, the stage's clock); the new
/// ids in row order. No stage gates, no entry tasks.
async fn insert_pending(conn: &DatabaseTransaction, db: &Db, actor: &Actor, p: &Pending, import_id: i64, now: i64) -> Result<Vec<i64>> {
    let fields: Vec<&'static Field> = p.fields.iter().map(|n| field(p.entity, n)).collect::<Result<_>>()?;
    let mut all = Vec::with_capacity(p.rows.len());
    // The history insert binds eight values a row; the record's three more than its fields.
    let per = rows_per_statement(db, (fields.len() + 3).max(8));
    for chunk in p.rows.chunks(per) {
        let mut insert = Query::insert();
        insert.into_table(col(p.entity.table()));
        let mut cols = vec![col("workspace_id"), col("created_at"), col("updated_at")];
        cols.extend(fields.iter().map(|f| col(f.column())));
        insert.columns(cols);
        for (vals, created) in chunk {
            let mut v: Vec<sea_query::SimpleExpr> = vec![actor.ws_id().into(), created.unwrap_or(now).into(), now.into()];
            v.extend(fields.iter().zip(vals).map(|(f, x)| sea_query::SimpleExpr::from(to_sea(f.kind, x))));
            insert.values(v).map_err(internal)?;
        }
        insert.returning_col(col("id"));
        let mut ids: Vec<i64> = conn
            .query_all(db.backend.build(&insert))
            .await?
            .iter()
            .map(|r| r.try_get::<i64>("", "id"))
            .collect::<std::result::Result<_, _>>()?;
        ids.sort_unstable();
        let mut events = Vec::with_capacity(ids.len());
        let mut written = Vec::with_capacity(ids.len());
        for (id, (vals, created)) in ids.iter().zip(chunk) {
            let typed: Vec<(&'static Field, Val)> = fields.iter().copied().zip(vals.iter().cloned()).collect();
            let mut row: Row = inserted_row(p.entity, *id, now, &typed);
            if let Some(c) = created {
                for (f, v) in row.values.iter_mut() {
                    if f.name == "created_at" {
                        *v = Val::Int(*c);
                    }
                }
            }
            written.push(row);
            let mut changes = Map::new();
            for (f, v) in &typed {
                if !matches!(v, Val::Null) && f.readable() {
                    changes.insert(f.name.to_string(), json!({"from": null, "to": to_json(f.kind, v)}));
                }
            }
            changes.insert("import_id".into(), json!(import_id));
            events.push((*id, changes));
        }
        crate::rules::after_create_many(conn, db.backend, actor, &written).await?;
        append_history_many(conn, db.backend, actor, p.entity.name(), HistoryAction::Create, events, now).await?;
        all.extend(ids);
    }
    Ok(all)
}

/// What an import did to one record, for its rollback: `created`, or `updated` with the fields'
/// values before.
type Done = (Entity, i64, &'static str, Option<Json>);

/// Inserts the pending records, if any ([`insert_pending`]), and notes each as created by the
/// import; their ids in row order.
async fn insert_new(
    conn: &DatabaseTransaction,
    db: &Db,
    actor: &Actor,
    p: &Pending,
    import_id: i64,
    now: i64,
    records: &mut Vec<Done>,
) -> Result<Vec<i64>> {
    if p.rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids = insert_pending(conn, db, actor, p, import_id, now).await?;
    records.extend(ids.iter().map(|id| (p.entity, *id, "created", None)));
    Ok(ids)
}

/// The id of a row's record: found, or the `i`th of the new ones.
fn record_of(f: Option<Found>, new_ids: &[i64]) -> Option<i64> {
    match f? {
        Found::Key(id) | Found::Identity(id) => Some(id),
        Found::Here(i) => new_ids.get(i as usize).copied(),
    }
}

/// What became of a row whose record was found and updated ([`Db::update_recorded`]):
/// `updated` (noted for the rollback), `skipped` (nothing changed) or `failed` (the update was
/// refused; the reason joins the report's errors).
fn row_outcome(
    updated: std::result::Result<Option<Json>, Msg>,
    entity: Entity,
    id: i64,
    line: u64,
    records: &mut Vec<Done>,
    errors: &mut Vec<FailedRow>,
) -> &'static str {
    match updated {
        Ok(Some(before)) => {
            records.push((entity, id, "updated", Some(before)));
            "updated"
        }
        Ok(None) => "skipped",
        Err(e) => {
            errors.push(fail(line, "", "invalid", e));
            "failed"
        }
    }
}

/// A stored import's row.
struct Stored {
    import: Import,
    data: Option<Json>,
}

fn decode_stored(r: &sea_orm::QueryResult, with_data: bool) -> Result<Stored> {
    let entity: String = r.try_get("", "entity")?;
    let preset: String = r.try_get("", "preset")?;
    let headers: Vec<String> = serde_json::from_str(&r.try_get::<String>("", "headers")?).map_err(internal)?;
    let settings: ImportSettings = serde_json::from_str(&r.try_get::<String>("", "settings")?).map_err(internal)?;
    let report: Option<String> = r.try_get("", "report")?;
    let data: Option<Json> = if with_data {
        r.try_get::<Option<String>>("", "data")?.map(|d| serde_json::from_str(&d)).transpose().map_err(internal)?
    } else {
        None
    };
    let rows: Vec<(u64, Vec<String>)> = data.as_ref().map(rows_of).unwrap_or_default();
    let import = Import {
        id: r.try_get("", "id")?,
        entity: ImportEntity::parse(&entity).ok_or_else(|| internal(&entity))?,
        preset: Preset::parse(&preset).ok_or_else(|| internal(&preset))?,
        file_name: r.try_get("", "file_name")?,
        file_kind: r.try_get("", "file_kind")?,
        status: r.try_get("", "status")?,
        rows: r.try_get::<i64>("", "row_count")?.max(0) as u64,
        values_found: values_found(&rows, &settings.columns),
        preview: rows.iter().take(PREVIEW).map(|(_, c)| c.clone()).collect(),
        headers,
        settings,
        report: report.and_then(|s| serde_json::from_str::<Json>(&s).ok()).map(|v| ImportReport::from_json(&v)),
        created_by: r.try_get("", "created_by")?,
        created_at: r.try_get("", "created_at")?,
        finished_at: r.try_get("", "finished_at")?,
        rolled_back_at: r.try_get("", "rolled_back_at")?,
    };
    Ok(Stored { import, data })
}

fn rows_of(data: &Json) -> Vec<(u64, Vec<String>)> {
    data.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| {
                    let line = r[0].as_u64()?;
                    let cells = r[1].as_array()?.iter().map(|c| c.as_str().unwrap_or("").to_string()).collect();
                    Some((line, cells))
                })
                .collect()
        })
        .unwrap_or_default()
}

const IMPORT_COLUMNS: [&str; 16] = [
    "id",
    "entity",
    "preset",
    "file_name",
    "file_kind",
    "status",
    "headers",
    "settings",
    "report",
    "row_count",
    "created_by",
    "created_at",
    "finished_at",
    "rolled_back_at",
    "workspace_id",
    "updated_at",
];

impl Db {
    /// The workspace's pipelines, stages, users, lost reasons and custom fields of `entity`.
    pub async fn import_choices(&self, actor: &Actor, entity: ImportEntity) -> Result<Choices> {
        let ws = actor.ws_id();
        let mut c = Choices::default();
        let live = |table: &str, cols: &[&str]| {
            Query::select()
                .columns(cols.iter().map(|c| col(c)))
                .from(col(table))
                .and_where(Expr::col(col("workspace_id")).eq(ws))
                .and_where(Expr::col(col("deleted_at")).is_null())
                .order_by(col("position"), Order::Asc)
                .order_by(col("id"), Order::Asc)
                .to_owned()
        };
        for r in self.read.query_all(self.backend.build(&live("pipelines", &["id", "name"]))).await? {
            c.pipelines.push((r.try_get("", "id")?, r.try_get("", "name")?));
        }
        for r in self.read.query_all(self.backend.build(&live("stages", &["id", "pipeline_id", "name"]))).await? {
            c.stages.push((r.try_get("", "id")?, r.try_get("", "pipeline_id")?, r.try_get("", "name")?));
        }
        let q = Query::select()
            .columns(["id", "name", "email"].map(col))
            .from(col("users"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("active")).eq(true))
            .order_by(col("name"), Order::Asc)
            .to_owned();
        for r in self.read.query_all(self.backend.build(&q)).await? {
            c.users.push((r.try_get("", "id")?, r.try_get("", "name")?, r.try_get::<Option<String>>("", "email")?.unwrap_or_default()));
        }
        let q = Query::select().column(col("lost_reasons")).from(col("workspaces")).and_where(Expr::col(col("id")).eq(ws)).to_owned();
        if let Some(r) = self.read.query_one(self.backend.build(&q)).await? {
            let text: Option<String> = r.try_get("", "lost_reasons")?;
            c.lost_reasons = text.and_then(|t| serde_json::from_str::<Vec<String>>(&t).ok()).unwrap_or_default();
        }
        c.custom = self.custom_defs(ws, entity_of(entity)).await?.into_iter().map(|d| (d.key, d.label)).collect();
        Ok(c)
    }

    /// Reads a file and keeps it as a new import, with the proposed mappings (see the module).
    pub async fn upload_import(&self, actor: &Actor, up: &Upload<'_>) -> Result<Import> {
        may_import(actor)?;
        if up.bytes.len() > MAX_BYTES {
            return Err(StoreError::invalid("file", ImportMsg::TooLarge { max_mb: (MAX_BYTES / 1024 / 1024) as i64 }));
        }
        let (table, kind) = read_any(up.bytes, up.content_type, MAX_ROWS)?;
        let (headers, rows) = split_header(&table)?;
        let preset = up.preset.unwrap_or_else(|| detect_preset(&headers, up.entity));
        let choices = self.import_choices(actor, up.entity).await?;
        let columns = propose_columns(&headers, preset, up.entity, &choices.custom);
        let found = values_found(rows, &columns);
        let settings =
            ImportSettings { values: propose_values(&found, &choices), columns, duplicates: default_duplicates(), new_custom: Vec::new() };
        let data = Json::Array(rows.iter().map(|(l, c)| json!([l, c])).collect());
        let now = self.clock.now_ms();
        let q = Query::insert()
            .into_table(col("imports"))
            .columns(
                [
                    "workspace_id",
                    "entity",
                    "preset",
                    "file_name",
                    "file_kind",
                    "status",
                    "headers",
                    "data",
                    "settings",
                    "row_count",
                    "created_by",
                    "created_at",
                    "updated_at",
                ]
                .map(col),
            )
            .values([
                actor.ws_id().into(),
                up.entity.as_str().into(),
                preset.as_str().into(),
                up.file_name.chars().take(255).collect::<String>().into(),
                kind.as_str().into(),
                "uploaded".into(),
                Json::from(headers.clone()).to_string().into(),
                data.to_string().into(),
                serde_json::to_string(&settings).map_err(internal)?.into(),
                (rows.len() as i64).into(),
                (actor.user_id() != 0).then_some(actor.user_id()).into(),
                now.into(),
                now.into(),
            ])
            .map_err(internal)?
            .returning_col(col("id"))
            .to_owned();
        let id: i64 = self.write.query_one(self.backend.build(&q)).await?.ok_or_else(|| internal("no id"))?.try_get("", "id")?;
        Ok(Import {
            id,
            entity: up.entity,
            preset,
            file_name: up.file_name.chars().take(255).collect(),
            file_kind: kind.as_str().into(),
            status: "uploaded".into(),
            rows: rows.len() as u64,
            values_found: found,
            preview: rows.iter().take(PREVIEW).map(|(_, c)| c.clone()).collect(),
            headers,
            settings,
            report: None,
            created_by: (actor.user_id() != 0).then_some(actor.user_id()),
            created_at: now,
            finished_at: None,
            rolled_back_at: None,
        })
    }

    async fn stored_import(&self, conn: &impl ConnectionTrait, actor: &Actor, id: i64, with_data: bool) -> Result<Stored> {
        let mut q = Query::select();
        q.columns(IMPORT_COLUMNS.map(col))
            .from(col("imports"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("id")).eq(id));
        q.column(col("data"));
        let r = conn.query_one(self.backend.build(&q)).await?.ok_or_else(|| StoreError::NotFound)?;
        decode_stored(&r, with_data)
    }

    /// One import with its mappings, preview and last report.
    pub async fn import(&self, actor: &Actor, id: i64) -> Result<Import> {
        may_import(actor)?;
        Ok(self.stored_import(&self.read, actor, id, true).await?.import)
    }

    /// The workspace's imports, the latest first.
    pub async fn imports(&self, actor: &Actor, limit: u64) -> Result<Vec<Import>> {
        may_import(actor)?;
        let q = Query::select()
            .columns(IMPORT_COLUMNS.map(col))
            .from(col("imports"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .order_by(col("id"), Order::Desc)
            .limit(limit.clamp(1, 500))
            .to_owned();
        self.read.query_all(self.backend.build(&q)).await?.iter().map(|r| decode_stored(r, false).map(|s| s.import)).collect()
    }

    /// What an import created or updated, first `limit` of them: `(entity, id, created|updated)`.
    pub async fn import_records(&self, actor: &Actor, id: i64, limit: u64) -> Result<Vec<(Entity, i64, String)>> {
        may_import(actor)?;
        let q = Query::select()
            .columns(["entity", "record_id", "action"].map(col))
            .from(col("import_records"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("import_id")).eq(id))
            .and_where(Expr::col(col("entity")).is_in(["deal", "person", "organization"]))
            .order_by(col("id"), Order::Asc)
            .limit(limit)
            .to_owned();
        let mut out = Vec::new();
        for r in self.read.query_all(self.backend.build(&q)).await? {
            let e: String = r.try_get("", "entity")?;
            out.push((Entity::from_name(&e).ok_or_else(|| internal(&e))?, r.try_get("", "record_id")?, r.try_get("", "action")?));
        }
        Ok(out)
    }

    /// Runs an uploaded import with the confirmed settings (see the module). A dry run writes
    /// nothing but the report; a run writes the records and marks the import done. `progress`
    /// hears `(rows done, rows)`.
    pub async fn run_import(
        &self,
        actor: &Actor,
        id: i64,
        settings: &ImportSettings,
        dry_run: bool,
        progress: &mut (dyn FnMut(u64, u64) + Send),
    ) -> Result<ImportReport> {
        may_import(actor)?;
        let actor = &actor.clone().with_channel(poryadok_core::domain::Channel::Import);
        let stored = self.stored_import(&self.read, actor, id, true).await?;
        let imp = stored.import;
        if imp.status != "uploaded" {
            return Err(StoreError::Conflict { field: None, msg: ImportMsg::AlreadyRun {}.into() });
        }
        let duplicates =
            Duplicates::parse(&settings.duplicates).ok_or_else(|| StoreError::invalid("duplicates", ImportMsg::UnknownDuplicates {}))?;
        for (i, t) in settings.columns.iter().enumerate() {
            if let Some(t) = t.as_deref().filter(|t| !poryadok_core::import::is_target(t)) {
                return Err(StoreError::invalid(format!("columns.{i}"), ImportMsg::UnknownTarget { target: t.to_string() }));
            }
        }
        let mut settings = settings.clone();
        settings.columns.resize(imp.headers.len(), None);
        let required = match imp.entity {
            ImportEntity::Deal => "title",
            ImportEntity::Person => "person_name",
            ImportEntity::Organization => "org_name",
        };
        let has = |t: &str| settings.columns.iter().any(|c| c.as_deref() == Some(t));
        if !has(required) && !(imp.entity == ImportEntity::Person && (has("person_first_name") || has("person_last_name"))) {
            return Err(StoreError::invalid("columns", ImportMsg::RequiredColumn { field: required.into() }));
        }
        let rows = rows_of(stored.data.as_ref().unwrap_or(&Json::Null));
        let total = rows.len() as u64;
        let now = self.clock.now_ms();
        let tx = self.write.begin().await?;
        if self.is_postgres() {
            // The run sends the same look-up (`… IN ($1, …, $1000)`) once a chunk. From its sixth
            // execution PostgreSQL may switch a prepared statement to a generic plan, which
            // compares every candidate row with the thousand parameters one by one instead of
            // hashing them as it does with the values in hand: the look-up of the file's ids in
            // `import_keys` went from 5–15 ms to 1–1.8 s a chunk (34,000 keys). Each statement
            // of this transaction is planned with its values.
            tx.execute_unprepared("SET LOCAL plan_cache_mode = force_custom_plan").await?;
        }
        let result = self.run_in(&tx, actor, &imp, &mut settings, duplicates, &rows, dry_run, now, progress).await;
        let report = match result {
            Ok(r) => r,
            Err(e) => {
                let _ = tx.rollback().await;
                return Err(e);
            }
        };
        let conn_report = serde_json::to_string(&report.to_json()).map_err(internal)?;
        let mut upd = Query::update();
        upd.table(col("imports"))
            .value(col("report"), conn_report)
            .value(col("settings"), serde_json::to_string(&settings).map_err(internal)?)
            .value(col("created_count"), report.created as i64)
            .value(col("updated_count"), report.updated as i64)
            .value(col("skipped_count"), report.skipped as i64)
            .value(col("failed_count"), report.failed as i64)
            .value(col("updated_at"), now)
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("id")).eq(id));
        if dry_run {
            tx.rollback().await?;
            self.write.execute(self.backend.build(&upd)).await?;
        } else {
            upd.value(col("status"), "done").value(col("finished_at"), now).value(col("data"), Option::<String>::None);
            tx.execute(self.backend.build(&upd)).await?;
            tx.commit().await?;
        }
        progress(total, total);
        Ok(report)
    }

    #[allow(clippy::too_many_arguments)]
    async fn run_in(
        &self,
        tx: &DatabaseTransaction,
        actor: &Actor,
        imp: &Import,
        settings: &mut ImportSettings,
        duplicates: Duplicates,
        rows: &[(u64, Vec<String>)],
        dry_run: bool,
        now: i64,
        progress: &mut (dyn FnMut(u64, u64) + Send),
    ) -> Result<ImportReport> {
        let ws = actor.ws_id();
        let main = entity_of(imp.entity);
        let source = imp.preset.as_str();
        let mut report = ImportReport { dry_run, rows: rows.len() as u64, ..Default::default() };
        let total = rows.len() as u64;
        // New custom fields from unmapped columns: text fields named by the header.
        for &i in &settings.new_custom.clone() {
            let Some(header) = imp.headers.get(i) else { continue };
            if settings.columns.get(i).is_some_and(Option::is_some) || header.trim().is_empty() {
                continue;
            }
            let mut key: String = normalise(header)
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect::<String>()
                .trim_matches('_')
                .to_string();
            if key.is_empty() || !key.starts_with(|c: char| c.is_ascii_alphabetic()) {
                key = format!("import_{}_{}", imp.id, i + 1);
            }
            key.truncate(40);
            let existing = self.custom_defs(ws, main).await?;
            if !existing.iter().any(|d| d.key == key) {
                let body =
                    json!({"entity": main.name(), "key": key, "label": header.chars().take(100).collect::<String>(), "field_type": "text"});
                self.create_in(tx, actor, Entity::CustomField, &body).await?;
                report.custom_fields_created += 1;
            }
            settings.columns[i] = Some(format!("custom.{key}"));
        }
        let choices = self.import_choices(actor, imp.entity).await?;
        let mut custom_defs = self.custom_defs(ws, main).await?;
        if report.custom_fields_created > 0 {
            custom_defs = crate::records::read_custom_defs(tx, self.backend, ws, Some(main)).await?.into_iter().map(|(_, d)| d).collect();
        }
        let reading = Reading {
            entity: imp.entity,
            headers: &imp.headers,
            settings,
            choices: &choices,
            region: &actor.ws.region,
            tz: &actor.ws.timezone,
            custom_defs: &custom_defs,
        };
        // 1. Read and check every row.
        let mut good: Vec<RowIn> = Vec::with_capacity(rows.len());
        let mut seen_ext: HashMap<String, u64> = HashMap::new();
        for (line, cells) in rows {
            match reading.row(*line, cells) {
                Ok(r) => {
                    if let Some(e) = &r.ext {
                        if let Some(first) = seen_ext.get(e) {
                            let column = settings
                                .columns
                                .iter()
                                .position(|t| t.as_deref() == Some("external_id"))
                                .and_then(|i| imp.headers.get(i))
                                .cloned()
                                .unwrap_or_default();
                            report.errors.push(fail(*line, &column, "duplicate_id", ImportMsg::DuplicateInFile { line: *first as i64 }));
                            continue;
                        }
                        seen_ext.insert(e.clone(), *line);
                    }
                    good.push(r)
                }
                Err(mut e) => report.errors.append(&mut e),
            }
        }
        report.failed = rows.len() as u64 - good.len() as u64;
        // 2. What is already there.
        let known = Known::load(tx, self, ws, source, &good, imp.entity).await?;
        let mut olds = if duplicates == Duplicates::Update { load_olds(tx, self, actor, &known, main).await? } else { Olds::new() };
        let main_defs = custom_defs.clone();
        let defs_of = |e: Entity| if e == main { main_defs.as_slice() } else { &[] };
        let default_pipeline = choices.pipelines.first().map(|(id, _)| *id);
        let first_stage = |p: i64| choices.stages.iter().find(|(_, sp, _)| *sp == p).map(|(id, _, _)| *id);
        let last_stage = |p: i64| choices.stages.iter().rev().find(|(_, sp, _)| *sp == p).map(|(id, _, _)| *id);
        let owner_default = (actor.user_id() != 0).then_some(actor.user_id());
        let mut records: Vec<Done> = Vec::new();
        let mut keys: Vec<(Entity, String, i64)> = Vec::new();

        // 3. Organizations: found, or new (one per name / tax id / id in the file).
        let mut orgs = Pending::new(Entity::Organization, &["name", "owner_id", "tax_id", "website", "address", "custom"]);
        let mut org_of_row: Vec<Option<Found>> = vec![None; good.len()];
        let mut org_new_key: HashMap<String, usize> = HashMap::new();
        let mut org_outcome: Vec<Option<&'static str>> = vec![None; good.len()];
        for (n, r) in good.iter().enumerate() {
            let Some(o) = &r.org else { continue };
            let is_main = imp.entity == ImportEntity::Organization;
            let mut found = None;
            // In an organization import the row's own id is the organization's.
            let ext = if is_main { r.ext.as_ref().or(o.ext.as_ref()) } else { o.ext.as_ref() };
            if let Some(e) = ext {
                if let Some(id) = known.keys.get(&(Entity::Organization, e.clone())) {
                    found = Some(Found::Key(*id));
                }
            }
            if found.is_none() {
                let by_identity = o.tax_id.as_ref().and_then(|t| known.org_tax.get(t)).copied().or_else(|| {
                    if is_main {
                        None
                    } else {
                        o.name.as_ref().and_then(|nm| known.org_name.get(nm)).copied()
                    }
                });
                let by_identity =
                    by_identity.or_else(|| o.website.as_deref().and_then(site_domain).and_then(|d| known.org_domain.get(&d)).copied());
                found = by_identity.map(Found::Identity);
            }
            // The same organization named again in the file.
            let here_key = ext
                .map(|e| format!("id:{e}"))
                .or(o.tax_id.clone().map(|t| format!("tax:{t}")))
                .or(o.name.as_ref().map(|nm| format!("name:{}", normalise(nm))));
            if found.is_none() || (is_main && duplicates == Duplicates::Create && matches!(found, Some(Found::Identity(_)))) {
                if let Some(i) = here_key.as_ref().and_then(|k| org_new_key.get(k)) {
                    org_of_row[n] = Some(Found::Here(*i as i64));
                    org_outcome[n] = Some("skipped");
                    continue;
                }
                let mut values = vec![
                    ("name", Val::Text(o.name.clone().unwrap_or_default())),
                    ("owner_id", r.owner.or(owner_default).map_or(Val::Null, Val::Int)),
                    ("custom", Val::Text(if is_main { Json::Object(r.custom.clone()).to_string() } else { "{}".into() })),
                ];
                values.extend(o.tax_id.clone().map(|t| ("tax_id", Val::Text(t))));
                values.extend(o.website.clone().map(|t| ("website", Val::Text(t))));
                values.extend(o.address.clone().map(|t| ("address", Val::Text(t))));
                let i = orgs.push(&values, if is_main { r.created_at } else { None });
                if let Some(k) = here_key {
                    org_new_key.insert(k, i);
                }
                org_of_row[n] = Some(Found::Here(i as i64));
                org_outcome[n] = Some("created");
                continue;
            }
            let Some(f) = found else { continue };
            org_of_row[n] = Some(f);
            let id = match f {
                Found::Key(id) | Found::Identity(id) | Found::Here(id) => id,
            };
            if is_main && duplicates == Duplicates::Update {
                let mut body = Map::new();
                if let Some(nm) = &o.name {
                    body.insert("name".into(), json!(nm));
                }
                for (k, v) in [("tax_id", &o.tax_id), ("website", &o.website), ("address", &o.address)] {
                    if let Some(v) = v {
                        body.insert(k.into(), json!(v));
                    }
                }
                if let Some(ow) = r.owner {
                    body.insert("owner_id".into(), json!(ow));
                }
                if !r.custom.is_empty() {
                    body.insert("custom".into(), Json::Object(r.custom.clone()));
                }
                let updated =
                    self.update_recorded(tx, actor, Entity::Organization, id, body, None, &mut olds, defs_of(Entity::Organization)).await?;
                org_outcome[n] = Some(row_outcome(updated, Entity::Organization, id, r.line, &mut records, &mut report.errors));
            } else {
                org_outcome[n] = Some("skipped");
            }
        }
        let org_ids = insert_new(tx, self, actor, &orgs, imp.id, now, &mut records).await?;
        report.organizations_created = org_ids.len() as u64;
        let org_id = |f: Option<Found>| record_of(f, &org_ids);
        progress(total / 4, total);

        // 4. Persons: found by id, phone or e-mail, or new. Every phone and e-mail is one
        // person's (identities are unique): `claimed` says whose each is — a person already there
        // or one this import creates — so no number is given to two persons, and a person named
        // on several rows gathers the numbers of all of them.
        let mut claimed: HashMap<String, Owner> = known.identities.iter().map(|(k, id)| (k.clone(), Owner::There(*id))).collect();
        let mut new_persons: Vec<NewPerson> = Vec::new();
        let mut person_new_ext: HashMap<String, usize> = HashMap::new();
        let mut updated_persons: std::collections::HashSet<i64> = std::collections::HashSet::new();
        let mut person_of_row: Vec<Option<Found>> = vec![None; good.len()];
        let mut person_outcome: Vec<Option<&'static str>> = vec![None; good.len()];
        for (n, r) in good.iter().enumerate() {
            let Some(p) = &r.person else { continue };
            let is_main = imp.entity == ImportEntity::Person;
            let contacts: Vec<(bool, &String)> = p.phones.iter().map(|v| (true, v)).chain(p.emails.iter().map(|v| (false, v))).collect();
            let key_of = |(phone, v): &(bool, &String)| if *phone { format!("phone:{v}") } else { format!("email:{v}") };
            // In a person import the row's own id is the person's.
            let ext = if is_main { r.ext.as_ref().or(p.ext.as_ref()) } else { p.ext.as_ref() };
            let by_key = ext.and_then(|e| known.keys.get(&(Entity::Person, e.clone()))).copied().map(Found::Key);
            let by_identity = contacts.iter().find_map(|c| match claimed.get(&key_of(c)) {
                Some(Owner::There(id)) => Some(Found::Identity(*id)),
                _ => None,
            });
            let by_here = ext.and_then(|e| person_new_ext.get(e)).copied().or_else(|| {
                contacts.iter().find_map(|c| match claimed.get(&key_of(c)) {
                    Some(Owner::Here(i)) => Some(*i),
                    _ => None,
                })
            });
            // `create`: a new person anyway, without the numbers that are someone else's.
            let create_anyway = duplicates == Duplicates::Create && is_main && by_key.is_none() && by_identity.is_some();
            let found = if create_anyway {
                by_here.map(|i| Found::Here(i as i64))
            } else {
                by_key.or(by_identity).or(by_here.map(|i| Found::Here(i as i64)))
            };
            // The row's numbers nobody else has; those claimed by `owner` count as free for it.
            let free = |claimed: &HashMap<String, Owner>, owner: Owner| -> Contacts {
                let mut c = Contacts::default();
                for x in &contacts {
                    if claimed.get(&key_of(x)).is_none_or(|o| *o == owner) {
                        if x.0 {
                            c.phones.push(x.1.clone())
                        } else {
                            c.emails.push(x.1.clone())
                        }
                    }
                }
                c
            };
            match found {
                None => {
                    let i = new_persons.len();
                    let mine = free(&claimed, Owner::Here(i));
                    for x in &contacts {
                        claimed.entry(key_of(x)).or_insert(Owner::Here(i));
                    }
                    if let Some(e) = ext {
                        person_new_ext.insert(e.clone(), i);
                    }
                    let mut values = vec![
                        ("name", Val::Text(p.name.clone().unwrap_or_default())),
                        ("organization_id", org_id(org_of_row[n]).map_or(Val::Null, Val::Int)),
                        ("owner_id", r.owner.or(owner_default).map_or(Val::Null, Val::Int)),
                        ("custom", Val::Text(if is_main { Json::Object(r.custom.clone()).to_string() } else { "{}".into() })),
                    ];
                    values.extend(p.job_title.clone().map(|t| ("job_title", Val::Text(t))));
                    new_persons.push(NewPerson { values, created_at: if is_main { r.created_at } else { None }, contacts: mine });
                    person_of_row[n] = Some(Found::Here(i as i64));
                    person_outcome[n] = Some("created");
                }
                Some(Found::Here(i)) => {
                    // The same person again: the numbers this row adds join the new card.
                    let i = i as usize;
                    let more = free(&claimed, Owner::Here(i));
                    for x in &contacts {
                        claimed.entry(key_of(x)).or_insert(Owner::Here(i));
                    }
                    if let Some(np) = new_persons.get_mut(i) {
                        np.contacts.add(&more);
                    }
                    person_of_row[n] = Some(Found::Here(i as i64));
                    person_outcome[n] = Some("skipped");
                }
                Some(f @ (Found::Key(id) | Found::Identity(id))) => {
                    person_of_row[n] = Some(f);
                    if duplicates == Duplicates::Update && (is_main || matches!(f, Found::Identity(_))) {
                        let mut body = Map::new();
                        if let Some(nm) = p.name.as_ref().filter(|nm| is_main || p.phones.first() != Some(*nm)) {
                            body.insert("name".into(), json!(nm));
                        }
                        if let Some(v) = &p.job_title {
                            body.insert("job_title".into(), json!(v));
                        }
                        if let Some(o) = org_id(org_of_row[n]) {
                            body.insert("organization_id".into(), json!(o));
                        }
                        if is_main {
                            if let Some(ow) = r.owner {
                                body.insert("owner_id".into(), json!(ow));
                            }
                            if !r.custom.is_empty() {
                                body.insert("custom".into(), Json::Object(r.custom.clone()));
                            }
                        }
                        // A person several rows name takes the fields of the first (as a new
                        // one does), and the numbers of all: so a re-import changes nothing.
                        if !updated_persons.insert(id) {
                            body.clear();
                        }
                        let more = free(&claimed, Owner::There(id));
                        let updated = self
                            .update_recorded(tx, actor, Entity::Person, id, body, Some(&more), &mut olds, defs_of(Entity::Person))
                            .await?;
                        let outcome = row_outcome(updated, Entity::Person, id, r.line, &mut records, &mut report.errors);
                        if outcome != "failed" {
                            for x in &contacts {
                                claimed.entry(key_of(x)).or_insert(Owner::There(id));
                            }
                        }
                        person_outcome[n] = Some(outcome);
                    } else {
                        person_outcome[n] = Some("skipped");
                    }
                }
            }
        }
        let mut persons = Pending::new(
            Entity::Person,
            &["name", "organization_id", "owner_id", "job_title", "phone", "other_phones", "email", "other_emails", "custom"],
        );
        for np in new_persons {
            let mut values = np.values;
            values.extend(np.contacts.fields());
            persons.push(&values, np.created_at);
        }
        let person_ids = insert_new(tx, self, actor, &persons, imp.id, now, &mut records).await?;
        report.persons_created = person_ids.len() as u64;
        let person_id = |f: Option<Found>| record_of(f, &person_ids);
        progress(total / 2, total);

        // 5. Deals: found by id (a re-import), or new.
        let mut deals = Pending::new(
            Entity::Deal,
            &[
                "title",
                "pipeline_id",
                "stage_id",
                "status",
                "value",
                "currency",
                "owner_id",
                "person_id",
                "organization_id",
                "source",
                "utm_source",
                "utm_medium",
                "utm_campaign",
                "utm_term",
                "utm_content",
                "expected_close_date",
                "lost_reason",
                "stage_entered_at",
                "closed_at",
                "custom",
            ],
        );
        let mut deal_of_row: Vec<Option<Found>> = vec![None; good.len()];
        let mut deal_outcome: Vec<Option<&'static str>> = vec![None; good.len()];
        if imp.entity == ImportEntity::Deal {
            for (n, r) in good.iter().enumerate() {
                if let Some(id) = r.ext.as_ref().and_then(|e| known.keys.get(&(Entity::Deal, e.clone()))) {
                    deal_of_row[n] = Some(Found::Key(*id));
                    if duplicates == Duplicates::Update {
                        // An update changes the deal's fields, never its place in the funnel.
                        let mut body = Map::new();
                        for (k, v) in &r.deal {
                            body.insert(k.to_string(), to_json(field(Entity::Deal, k)?.kind, v));
                        }
                        if let Some(o) = r.owner {
                            body.insert("owner_id".into(), json!(o));
                        }
                        if !r.custom.is_empty() {
                            body.insert("custom".into(), Json::Object(r.custom.clone()));
                        }
                        let updated =
                            self.update_recorded(tx, actor, Entity::Deal, *id, body, None, &mut olds, defs_of(Entity::Deal)).await?;
                        deal_outcome[n] = Some(row_outcome(updated, Entity::Deal, *id, r.line, &mut records, &mut report.errors));
                    } else {
                        deal_outcome[n] = Some("skipped");
                    }
                    continue;
                }
                let mut pipeline = r
                    .pipeline
                    .or_else(|| r.stage.and_then(|s| choices.stages.iter().find(|(id, _, _)| *id == s).map(|(_, p, _)| *p)))
                    .or(default_pipeline);
                let mut stage = r.stage;
                if let (Some(p), Some(s)) = (pipeline, stage) {
                    // A stage named the same in the deal's own pipeline.
                    let in_pipeline = choices.stages.iter().any(|(id, sp, _)| *id == s && *sp == p);
                    if !in_pipeline {
                        let name = choices.stages.iter().find(|(id, _, _)| *id == s).map(|(_, _, nm)| nm.clone()).unwrap_or_default();
                        stage = choices.stages.iter().find(|(_, sp, nm)| *sp == p && same_name(nm, &name)).map(|(id, _, _)| *id);
                    }
                }
                let status = r.status.unwrap_or(DealStatus::Open);
                if stage.is_none() {
                    stage = pipeline.and_then(|p| if status == DealStatus::Open { first_stage(p) } else { last_stage(p) });
                }
                let (Some(p), Some(s)) = (pipeline.take(), stage) else {
                    let column = settings
                        .columns
                        .iter()
                        .position(|t| t.as_deref() == Some("stage"))
                        .and_then(|i| imp.headers.get(i))
                        .cloned()
                        .unwrap_or_default();
                    report.errors.push(fail(
                        r.line,
                        &column,
                        "unmapped_value",
                        ImportMsg::UnmappedValue { kind: value_field("stage"), value: String::new() },
                    ));
                    deal_outcome[n] = Some("failed");
                    continue;
                };
                let at = r.created_at.unwrap_or(now);
                let mut values: Vec<(&'static str, Val)> = vec![
                    ("pipeline_id", Val::Int(p)),
                    ("stage_id", Val::Int(s)),
                    ("status", Val::Text(status.as_str().into())),
                    ("value", Val::Int(0)),
                    ("currency", Val::Text(actor.ws.currency.clone())),
                    ("owner_id", r.owner.or(owner_default).map_or(Val::Null, Val::Int)),
                    ("person_id", person_id(person_of_row[n]).map_or(Val::Null, Val::Int)),
                    ("organization_id", org_id(org_of_row[n]).map_or(Val::Null, Val::Int)),
                    ("stage_entered_at", Val::Int(at)),
                    ("closed_at", if status == DealStatus::Open { Val::Null } else { Val::Int(at) }),
                    ("custom", Val::Text(Json::Object(r.custom.clone()).to_string())),
                ];
                values.extend(r.deal.iter().cloned());
                let i = deals.push(&values, r.created_at);
                deal_of_row[n] = Some(Found::Here(i as i64));
                deal_outcome[n] = Some("created");
            }
        }
        let deal_ids = insert_new(tx, self, actor, &deals, imp.id, now, &mut records).await?;
        let deal_id = |f: Option<Found>| record_of(f, &deal_ids);
        progress(total * 3 / 4, total);

        // 6. Counts, keys, notes and tasks of the rows whose record is new.
        let mut notes = Pending::new(Entity::Note, &["content", "author_id", "deal_id", "person_id", "organization_id"]);
        let mut tasks =
            Pending::new(Entity::Activity, &["type", "subject", "due_at", "done", "owner_id", "deal_id", "person_id", "organization_id"]);
        for (n, r) in good.iter().enumerate() {
            let (outcome, found) = match imp.entity {
                ImportEntity::Deal => (deal_outcome[n], deal_of_row[n].map(|f| (Entity::Deal, f))),
                ImportEntity::Person => (person_outcome[n], person_of_row[n].map(|f| (Entity::Person, f))),
                ImportEntity::Organization => (org_outcome[n], org_of_row[n].map(|f| (Entity::Organization, f))),
            };
            match outcome {
                Some("created") => report.created += 1,
                Some("updated") => report.updated += 1,
                Some("failed") => {
                    report.failed += 1;
                    continue;
                }
                _ => report.skipped += 1,
            }
            let record = match found {
                Some((Entity::Deal, f)) => deal_id(Some(f)),
                Some((Entity::Person, f)) => person_id(Some(f)),
                Some((_, f)) => org_id(Some(f)),
                None => None,
            };
            let Some(record) = record else { continue };
            let fresh = matches!(found, Some((_, Found::Here(_)))) && outcome == Some("created");
            if let Some(e) = &r.ext {
                if !matches!(found, Some((_, Found::Key(_)))) {
                    keys.push((main, e.clone(), record));
                }
            }
            // The linked person's and organization's own ids.
            if imp.entity != ImportEntity::Person {
                if let (Some(p), Some(pid)) = (r.person.as_ref().and_then(|p| p.ext.clone()), person_id(person_of_row[n])) {
                    if !matches!(person_of_row[n], Some(Found::Key(_))) {
                        keys.push((Entity::Person, p, pid));
                    }
                }
            }
            if imp.entity != ImportEntity::Organization {
                if let (Some(o), Some(oid)) = (r.org.as_ref().and_then(|o| o.ext.clone()), org_id(org_of_row[n])) {
                    if !matches!(org_of_row[n], Some(Found::Key(_))) {
                        keys.push((Entity::Organization, o, oid));
                    }
                }
            }
            if !fresh {
                continue;
            }
            let link = |deal: Option<i64>| -> Vec<(&'static str, Val)> {
                vec![
                    ("deal_id", deal.map_or(Val::Null, Val::Int)),
                    ("person_id", person_id(person_of_row[n]).map_or(Val::Null, Val::Int)),
                    ("organization_id", org_id(org_of_row[n]).map_or(Val::Null, Val::Int)),
                ]
            };
            let deal = (imp.entity == ImportEntity::Deal).then_some(record);
            for note in &r.notes {
                let mut v = vec![
                    ("content", Val::Text(note.chars().take(100_000).collect())),
                    ("author_id", owner_default.map_or(Val::Null, Val::Int)),
                ];
                v.extend(link(deal));
                notes.push(&v, r.created_at);
            }
            if let Some((subject, due)) = &r.task {
                let mut v = vec![
                    ("type", Val::Text("task".into())),
                    ("subject", Val::Text(subject.clone())),
                    ("due_at", due.map_or(Val::Null, Val::Int)),
                    ("done", Val::Bool(false)),
                    ("owner_id", r.owner.or(owner_default).map_or(Val::Null, Val::Int)),
                ];
                v.extend(link(deal));
                tasks.push(&v, None);
            }
        }
        report.failed = report.errors.iter().map(|e| e.line).collect::<BTreeSet<_>>().len() as u64;
        report.skipped = report.rows - report.created - report.updated - report.failed;
        report.notes_created = insert_new(tx, self, actor, &notes, imp.id, now, &mut records).await?.len() as u64;
        report.tasks_created = insert_new(tx, self, actor, &tasks, imp.id, now, &mut records).await?.len() as u64;
        report.errors.sort_by_key(|e| e.line);

        // 7. What this import did, for its rollback, and the other CRM's ids.
        for chunk in records.chunks(CHUNK) {
            let mut q = Query::insert();
            q.into_table(col("import_records")).columns(["workspace_id", "import_id", "entity", "record_id", "action", "before"].map(col));
            for (e, id, action, before) in chunk {
                q.values([
                    ws.into(),
                    imp.id.into(),
                    e.name().into(),
                    (*id).into(),
                    (*action).into(),
                    before.as_ref().map(Json::to_string).into(),
                ])
                .map_err(internal)?;
            }
            tx.execute(self.backend.build(&q)).await?;
        }
        let mut seen = BTreeSet::new();
        keys.retain(|(e, k, _)| seen.insert((e.name(), k.clone())));
        for chunk in keys.chunks(CHUNK) {
            let mut q = Query::insert();
            q.into_table(col("import_keys"))
                .columns(["workspace_id", "source", "entity", "external_id", "record_id", "import_id"].map(col));
            for (e, k, id) in chunk {
                q.values([ws.into(), source.into(), e.name().into(), k.clone().into(), (*id).into(), imp.id.into()]).map_err(internal)?;
            }
            // A key of a record deleted since gives way to the new one (by the unique index: a
            // look-up of this run's keys in the table it is filling would scan on PostgreSQL,
            // see `rules::after_create_many`).
            q.on_conflict(
                sea_query::OnConflict::columns(["workspace_id", "source", "entity", "external_id"].map(col))
                    .update_columns(["record_id", "import_id"].map(col))
                    .to_owned(),
            );
            tx.execute(self.backend.build(&q)).await?;
        }
        Ok(report)
    }

    /// Updates a record found for a row in a savepoint, so a refused update fails its row only:
    /// `Ok(Some(before))` with the changed fields' old values, `Ok(None)` when nothing changed.
    /// A person's `contacts` are merged into the phones and e-mails it has (none is lost).
    /// The record as stored comes from `olds` (read for the whole run, [`load_olds`]); a row
    /// that would change nothing ([`leaves_as_is`]) runs no statement, so re-importing a file
    /// costs a read per thousand rows. A change goes through the write path (its rules, the
    /// stage regulation, its history event in this transaction).
    #[allow(clippy::too_many_arguments)]
    async fn update_recorded(
        &self,
        tx: &DatabaseTransaction,
        actor: &Actor,
        entity: Entity,
        id: i64,
        mut body: Map<String, Json>,
        contacts: Option<&Contacts>,
        olds: &mut Olds,
        defs: &[validate::CustomDef],
    ) -> Result<std::result::Result<Option<Json>, Msg>> {
        if body.is_empty() && contacts.is_none_or(|c| c.phones.is_empty() && c.emails.is_empty()) {
            return Ok(Ok(None));
        }
        let old = match olds.get(&(entity, id)) {
            Some(r) => r.clone(),
            None => self.get_in(tx, &system_view(actor), entity, id).await?,
        };
        if let Some(c) = contacts {
            body.extend(c.merged_into(&old));
        }
        if body.is_empty() || leaves_as_is(entity, &old, &body, defs, &actor.ws.region) {
            return Ok(Ok(None));
        }
        let sp = tx.begin().await?;
        match self.update_in(&sp, actor, entity, id, &Json::Object(body.clone())).await {
            Ok(new) => {
                if new.get("version") == old.get("version") {
                    sp.rollback().await?;
                    return Ok(Ok(None));
                }
                let mut before = Map::new();
                for k in body.keys() {
                    if let Some(f) = entity.field(k) {
                        before.insert(k.clone(), to_json(f.kind, old.get(k)));
                    }
                }
                sp.commit().await?;
                olds.insert((entity, id), new);
                Ok(Ok(Some(Json::Object(before))))
            }
            Err(e) if !e.is_internal() && !e.ends_transaction() => {
                sp.rollback().await?;
                Ok(Err(e.msg().cloned().unwrap_or_else(|| ImportMsg::BadValue { why: e.to_string() }.into())))
            }
            Err(e) => Err(e),
        }
    }

    /// Deletes what an import created (deals, tasks and notes first, then persons, then
    /// organizations) and puts back the fields it updated; each through the ordinary write path,
    /// with its history.
    pub async fn rollback_import(&self, actor: &Actor, id: i64) -> Result<RollbackReport> {
        may_import(actor)?;
        let imp = self.stored_import(&self.read, actor, id, false).await?.import;
        match imp.status.as_str() {
            "done" => {}
            "rolled_back" => return Err(StoreError::Conflict { field: None, msg: ImportMsg::AlreadyRolledBack {}.into() }),
            _ => return Err(StoreError::Conflict { field: None, msg: ImportMsg::NotRun {}.into() }),
        }
        let actor = &actor.clone().with_channel(poryadok_core::domain::Channel::Import);
        let ws = actor.ws_id();
        let now = self.clock.now_ms();
        let tx = self.write.begin().await?;
        let run = async {
            let q = Query::select()
                .columns(["entity", "record_id", "action", "before"].map(col))
                .from(col("import_records"))
                .and_where(Expr::col(col("workspace_id")).eq(ws))
                .and_where(Expr::col(col("import_id")).eq(id))
                .order_by(col("id"), Order::Desc)
                .to_owned();
            let mut created: BTreeMap<u8, Vec<(Entity, i64)>> = BTreeMap::new();
            let mut updated = Vec::new();
            for r in tx.query_all(self.backend.build(&q)).await? {
                let e: String = r.try_get("", "entity")?;
                let e = Entity::from_name(&e).ok_or_else(|| internal(&e))?;
                let rid: i64 = r.try_get("", "record_id")?;
                let action: String = r.try_get("", "action")?;
                if action == "created" {
                    let order = match e {
                        Entity::Activity | Entity::Note => 0,
                        Entity::Deal => 1,
                        Entity::Person => 2,
                        _ => 3,
                    };
                    created.entry(order).or_default().push((e, rid));
                } else {
                    let before: Option<String> = r.try_get("", "before")?;
                    updated.push((e, rid, before.and_then(|b| serde_json::from_str::<Json>(&b).ok())));
                }
            }
            let mut out = RollbackReport::default();
            for (e, rid, before) in updated {
                if let Some(before) = before.filter(|b| b.as_object().is_some_and(|m| !m.is_empty())) {
                    match self.update_in(&tx, actor, e, rid, &before).await {
                        Ok(_) => out.restored += 1,
                        Err(StoreError::NotFound) => {}
                        Err(err) => return Err(err),
                    }
                }
            }
            for (_, list) in created {
                let Some(entity) = list.first().map(|(e, _)| *e) else { continue };
                let ids: Vec<i64> = list.iter().map(|(_, i)| *i).collect();
                for chunk in ids.chunks(CHUNK) {
                    let live = Query::select()
                        .column(col("id"))
                        .from(col(entity.table()))
                        .and_where(Expr::col(col("workspace_id")).eq(ws))
                        .and_where(Expr::col(col("deleted_at")).is_null())
                        .and_where(Expr::col(col("id")).is_in(chunk.to_vec()))
                        .to_owned();
                    let live: Vec<i64> = tx
                        .query_all(self.backend.build(&live))
                        .await?
                        .iter()
                        .map(|r| r.try_get::<i64>("", "id"))
                        .collect::<std::result::Result<_, _>>()?;
                    if live.is_empty() {
                        continue;
                    }
                    let upd = Query::update()
                        .table(col(entity.table()))
                        .value(col("deleted_at"), now)
                        .value(col("updated_at"), now)
                        .value(col("version"), crate::sql::bump_version())
                        .and_where(Expr::col(col("workspace_id")).eq(ws))
                        .and_where(Expr::col(col("id")).is_in(live.clone()))
                        .to_owned();
                    tx.execute(self.backend.build(&upd)).await?;
                    if entity == Entity::Person {
                        let q = Query::delete()
                            .from_table(col("identities"))
                            .and_where(Expr::col(col("workspace_id")).eq(ws))
                            .and_where(Expr::col(col("person_id")).is_in(live.clone()))
                            .to_owned();
                        tx.execute(self.backend.build(&q)).await?;
                    }
                    for rid in &live {
                        crate::search::after_delete(&tx, self.backend, ws, entity, *rid).await?;
                    }
                    let events = live.iter().map(|rid| (*rid, Map::from_iter([("import_id".to_string(), json!(id))]))).collect();
                    append_history_many(&tx, self.backend, actor, entity.name(), HistoryAction::Delete, events, now).await?;
                    out.deleted += live.len() as u64;
                }
            }
            let del = Query::delete()
                .from_table(col("import_keys"))
                .and_where(Expr::col(col("workspace_id")).eq(ws))
                .and_where(Expr::col(col("import_id")).eq(id))
                .to_owned();
            tx.execute(self.backend.build(&del)).await?;
            let upd = Query::update()
                .table(col("imports"))
                .value(col("status"), "rolled_back")
                .value(col("rolled_back_at"), now)
                .value(col("updated_at"), now)
                .and_where(Expr::col(col("workspace_id")).eq(ws))
                .and_where(Expr::col(col("id")).eq(id))
                .to_owned();
            tx.execute(self.backend.build(&upd)).await?;
            Ok(out)
        }
        .await;
        match run {
            Ok(out) => {
                tx.commit().await?;
                Ok(out)
            }
            Err(e) => {
                let _ = tx.rollback().await;
                Err(e)
            }
        }
    }
}

/// The preset names, for messages.
pub fn preset_names() -> Vec<String> {
    words(Preset::ALL.iter().copied())
}

/// The deal field a value mapping fills (`stage` → `stage_id`), so a message names it by the
/// reader's label.
fn value_field(kind: &str) -> poryadok_core::msg::FieldName {
    match kind {
        "stage" | "pipeline" | "owner" => format!("{kind}_id").into(),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DatabaseUrl;
    use poryadok_core::domain::Channel;
    use poryadok_core::FixedClock;
    use std::sync::Arc;

    /// A fresh migrated database: SQLite, or PostgreSQL when PORYADOK_TEST_POSTGRES is set.
    async fn temp_db(postgres: bool) -> Option<Db> {
        let unique = format!("{}_{}", std::process::id(), rand::random::<u32>());
        let url = if postgres {
            let admin = std::env::var("PORYADOK_TEST_POSTGRES").ok()?;
            let conn = sea_orm::Database::connect(&admin).await.unwrap();
            conn.execute_unprepared(&format!("CREATE DATABASE poryadok_imports_{unique}")).await.unwrap();
            conn.close().await.unwrap();
            let (prefix, _) = admin.rsplit_once('/').unwrap();
            format!("{prefix}/poryadok_imports_{unique}")
        } else {
            format!("sqlite://{}", std::env::temp_dir().join(format!("imports-{unique}.db")).display())
        };
        let clock = Arc::new(FixedClock::new(time::macros::datetime!(2026-12-01 12:00 UTC)));
        let db = Db::connect(&DatabaseUrl::new(url), clock).await.unwrap();
        db.migrate().await.unwrap();
        Some(db)
    }

    /// An amoCRM export of contacts: two phone columns, a cell with two numbers, two e-mail
    /// columns (one repeating the other's address in another case); Анна is in the base under
    /// the number the file gives as her second; «Б. Иванов» is Борис again, by his second number.
    const CONTACTS: &str = "ID;Полное имя;Рабочий телефон;Мобильный телефон;Рабочий email;Личный email\n\
        1;Борис;\"+7 (912) 000-00-01; 8 912 000-00-02\";+7 912 000-00-03;boris@work.ru;\"boris@home.ru, BORIS@work.ru\"\n\
        2;Анна Сергеевна;+7 495 222-33-44;8 (903) 111-22-33;anna@new.ru;\n\
        3;Б. Иванов;;+79120000002;;\n";

    fn list(row: &Row, name: &str) -> Vec<String> {
        row.get(name).as_text().map(|s| serde_json::from_str(s).unwrap()).unwrap_or_default()
    }

    async fn every_phone_and_email_of_a_row(postgres: bool) {
        let Some(db) = temp_db(postgres).await else {
            eprintln!("PostgreSQL variant not run: PORYADOK_TEST_POSTGRES is not set");
            return;
        };
        let ws = db.create_workspace(&crate::workspace::NewWorkspace { name: "Т".into(), ..Default::default() }).await.unwrap().id;
        let sys = db.system_actor(ws, Channel::Cli).await.unwrap();
        let anna = db
            .create(&sys, Entity::Person, &json!({"name": "Анна", "phone": "8 903 111-22-33", "email": "anna@old.ru"}))
            .await
            .unwrap()
            .id();
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(CONTACTS);
        let up =
            Upload { file_name: "amocrm.csv", content_type: Some("text/csv"), bytes: &bytes, entity: ImportEntity::Person, preset: None };
        let imp = db.upload_import(&sys, &up).await.unwrap();
        assert_eq!(imp.preset, Preset::AmoCrm);
        let targets: Vec<Option<&str>> = imp.settings.columns.iter().map(Option::as_deref).collect();
        assert_eq!(
            targets,
            [
                Some("external_id"),
                Some("person_name"),
                Some("person_phone"),
                Some("person_phone"),
                Some("person_email"),
                Some("person_email")
            ]
        );

        // Skipping duplicates: Анна is found by her second number and left as she is; row 3 is Борис.
        let dry = db.run_import(&sys, imp.id, &imp.settings, true, &mut |_, _| {}).await.unwrap();
        assert_eq!((dry.created, dry.updated, dry.skipped, dry.failed, dry.persons_created), (1, 0, 2, 0, 1), "{:?}", dry.errors);

        // Updating them: Анна keeps her number and address and gains the file's.
        let settings = ImportSettings { duplicates: "update".into(), ..imp.settings.clone() };
        let r = db.run_import(&sys, imp.id, &settings, false, &mut |_, _| {}).await.unwrap();
        assert_eq!((r.created, r.updated, r.skipped, r.failed, r.persons_created), (1, 1, 1, 0, 1), "{:?}", r.errors);
        let view = crate::records::system_view(&sys);
        let created = db.import_records(&sys, imp.id, 10).await.unwrap();
        let boris = created.iter().find(|(e, _, a)| *e == Entity::Person && a == "created").unwrap().1;
        let b = db.get_in(&db.read, &view, Entity::Person, boris).await.unwrap();
        assert_eq!((b.get("name").as_text(), b.get("phone").as_text()), (Some("Борис"), Some("+79120000001")));
        assert_eq!(list(&b, "other_phones"), ["+79120000002", "+79120000003"]);
        assert_eq!((b.get("email").as_text(), list(&b, "other_emails")), (Some("boris@work.ru"), vec!["boris@home.ru".to_string()]));
        let a = db.get_in(&db.read, &view, Entity::Person, anna).await.unwrap();
        assert_eq!((a.get("name").as_text(), a.get("phone").as_text()), (Some("Анна Сергеевна"), Some("+79031112233")));
        assert_eq!(list(&a, "other_phones"), ["+74952223344"]);
        assert_eq!((a.get("email").as_text(), list(&a, "other_emails")), (Some("anna@old.ru"), vec!["anna@new.ru".to_string()]));
        // Every number is an identity: nobody else gets one, in any spelling.
        for phone in ["8 (912) 000-00-03", "+7 495 222 33 44"] {
            let err = db.create(&sys, Entity::Person, &json!({"name": "Клон", "phone": phone})).await.unwrap_err();
            assert!(matches!(err, StoreError::Conflict { .. }), "{phone}: {err:?}");
        }

        // The same file again changes nothing; its rows are found by their ids.
        let again = db.upload_import(&sys, &up).await.unwrap();
        let r2 = db.run_import(&sys, again.id, &settings, false, &mut |_, _| {}).await.unwrap();
        assert_eq!((r2.created, r2.updated, r2.skipped, r2.persons_created), (0, 0, 3, 0), "{:?}", r2.errors);

        // The rollback removes Борис and gives Анна back her own fields; the numbers are free.
        let rb = db.rollback_import(&sys, imp.id).await.unwrap();
        assert_eq!((rb.deleted, rb.restored), (1, 1));
        let a = db.get_in(&db.read, &view, Entity::Person, anna).await.unwrap();
        assert_eq!(
            (a.get("name").as_text(), a.get("phone").as_text(), a.get("email").as_text()),
            (Some("Анна"), Some("+79031112233"), Some("anna@old.ru"))
        );
        assert!(a.get("other_phones").is_null() && a.get("other_emails").is_null(), "{a:?}");
        for phone in ["8 (912) 000-00-03", "+7 495 222 33 44"] {
            db.create(&sys, Entity::Person, &json!({"name": "Новый", "phone": phone})).await.unwrap();
        }
    }

    #[tokio::test]
    async fn every_phone_and_email_of_a_row_on_sqlite() {
        every_phone_and_email_of_a_row(false).await;
    }

    #[tokio::test]
    async fn every_phone_and_email_of_a_row_on_postgres() {
        every_phone_and_email_of_a_row(true).await;
    }
}
