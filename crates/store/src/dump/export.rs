//! A workspace's records as tables a spreadsheet opens: one per entity, every column of the
//! record with the names of what its ids point at beside them (owner, organization, person,
//! pipeline, stage, deal, author). Times (`…_at`) are written as UTC times
//! (`2026-11-23T09:00:00.000Z`); amounts stay in minor units (kopecks) as stored.
use super::{RowSink, Scope, Snapshot, TableInfo, TableSum};
use crate::error::Result;
use crate::Db;
use serde_json::{Map, Value as Json};
use std::collections::HashMap;

/// The entity tables an export writes as spreadsheets, with the file names they get.
pub const SHEETS: &[(&str, &str)] = &[
    ("deals", "deals"),
    ("persons", "persons"),
    ("organizations", "organizations"),
    ("activities", "activities"),
    ("notes", "notes"),
    ("messages", "messages"),
    ("history", "history"),
    ("pipelines", "pipelines"),
    ("stages", "stages"),
    ("users", "users"),
    ("teams", "teams"),
    ("invoices", "invoices"),
    ("payments", "payments"),
    ("custom_field_defs", "custom_fields"),
];

/// Which id columns name what, and the table and column the name is read from.
const NAMED: &[(&str, &str, &str)] = &[
    ("owner_id", "users", "name"),
    ("author_id", "users", "name"),
    ("actor_id", "users", "name"),
    ("user_id", "users", "name"),
    ("team_id", "teams", "name"),
    ("organization_id", "organizations", "name"),
    ("person_id", "persons", "name"),
    ("pipeline_id", "pipelines", "name"),
    ("stage_id", "stages", "name"),
    ("deal_id", "deals", "title"),
];

/// One entity's sheet: a header and rows of text cells (formulas not yet neutralised: the
/// writer of the file does that).
#[derive(Debug, Clone)]
pub struct Sheet {
    pub name: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Json>>,
}

/// A table's column names and rows.
type Collected = (Vec<String>, Vec<Map<String, Json>>);

struct Collect {
    tables: HashMap<String, Collected>,
}

#[async_trait::async_trait]
impl RowSink for Collect {
    async fn table(&mut self, t: &TableInfo, _: u64) -> Result<()> {
        self.tables.insert(t.name.clone(), (t.column_names(), Vec::new()));
        Ok(())
    }
    async fn rows(&mut self, t: &TableInfo, batch: Vec<Map<String, Json>>) -> Result<()> {
        if let Some(e) = self.tables.get_mut(&t.name) {
            e.1.extend(batch);
        }
        Ok(())
    }
    async fn done(&mut self, _: &TableInfo, _: &TableSum) -> Result<()> {
        Ok(())
    }
}

impl Db {
    /// The workspace's entities as sheets (held in memory: a spreadsheet of a few hundred
    /// thousand rows is the size this is for; the JSON-lines export streams).
    pub async fn export_sheets(&self, ws: i64) -> Result<Vec<Sheet>> {
        let mut snap = Snapshot::open(self).await?;
        let tables = snap.tables().await?;
        let mut sink = Collect { tables: HashMap::new() };
        for t in tables.iter().filter(|t| SHEETS.iter().any(|(n, _)| *n == t.name)) {
            snap.stream(t, Scope::Workspace(ws), 0, &mut sink).await?;
        }
        snap.close().await?;
        let mut names: HashMap<(&str, i64), String> = HashMap::new();
        for (_, table, col) in NAMED {
            if let Some((_, rows)) = sink.tables.get(*table) {
                for r in rows {
                    if let (Some(id), Some(Json::String(n))) = (r.get("id").and_then(Json::as_i64), r.get(*col)) {
                        names.insert((table, id), n.clone());
                    }
                }
            }
        }
        let mut out = Vec::new();
        for (table, file) in SHEETS {
            let Some((cols, rows)) = sink.tables.get(*table) else { continue };
            let mut headers = Vec::new();
            for c in cols {
                headers.push(c.clone());
                if let Some((_, _, _)) = NAMED.iter().find(|(k, _, _)| k == c) {
                    headers.push(format!("{}_name", c.trim_end_matches("_id")));
                }
            }
            let mut out_rows = Vec::with_capacity(rows.len());
            for r in rows {
                let mut cells = Vec::with_capacity(headers.len());
                for c in cols {
                    let mut v = r.get(c).cloned().unwrap_or(Json::Null);
                    // Times are Unix milliseconds in the database; a sheet shows them as UTC times.
                    if c.ends_with("_at") {
                        if let Some(ms) = v.as_i64() {
                            v = Json::String(poryadok_core::types::format_ms(ms));
                        }
                    }
                    let named = NAMED.iter().find(|(k, _, _)| k == c);
                    let id = v.as_i64();
                    cells.push(v);
                    if let Some((_, t, _)) = named {
                        cells.push(id.and_then(|id| names.get(&(*t, id))).map(|n| Json::String(n.clone())).unwrap_or(Json::Null));
                    }
                }
                out_rows.push(cells);
            }
            out.push(Sheet { name: file.to_string(), headers, rows: out_rows });
        }
        Ok(out)
    }
}
