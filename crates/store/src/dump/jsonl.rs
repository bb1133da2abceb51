//! The dump as JSON lines: a first line naming the format, then per table a header line, one
//! line per row and a closing line with the table's count and checksum:
//!
//! ```text
//! {"format":"poryadok-dump","version":1,"scope":"all","created_at":1764979200000}
//! {"table":"deals","columns":["id","workspace_id",…],"rows":2000}
//! {"table":"deals","row":{"id":1,"workspace_id":1,"title":"…",…}}
//! {"table":"deals","count":2000,"sha256":"…"}
//! ```
//!
//! A restore reads it back into an empty database and compares each table's count and checksum
//! after the load with the closing lines.
use super::{not_empty, verify, Loader, RowSink, Scope, TableInfo, TableSum, Verified, BATCH};
use crate::error::{Result, StoreError};
use crate::Db;
use serde_json::{json, Map, Value as Json};
use std::io::{BufRead, Write};

pub const FORMAT: &str = "poryadok-dump";

/// Where a dump's bytes go, a chunk at a time (a file, an HTTP response body).
#[async_trait::async_trait]
pub trait ChunkOut: Send {
    async fn write(&mut self, chunk: Vec<u8>) -> Result<()>;
}

/// A [`ChunkOut`] over anything `Write` (a file, a buffer).
pub struct WriteOut<W: Write + Send>(pub W);

#[async_trait::async_trait]
impl<W: Write + Send> ChunkOut for WriteOut<W> {
    async fn write(&mut self, chunk: Vec<u8>) -> Result<()> {
        self.0.write_all(&chunk).map_err(io)
    }
}

/// Told after each batch written: the table and how many rows.
pub type BoxedProgress = Box<dyn FnMut(&str, u64) + Send>;

/// Writes a dump's lines to `out`, a batch of rows at a time.
pub struct JsonlSink<O: ChunkOut> {
    pub out: O,
    buf: Vec<u8>,
    pub progress: BoxedProgress,
}

impl<O: ChunkOut> JsonlSink<O> {
    /// Starts the dump with its first line.
    pub async fn new(out: O, scope: Scope, now_ms: i64) -> Result<Self> {
        let scope = match scope {
            Scope::All => json!("all"),
            Scope::Workspace(ws) => json!({"workspace": ws}),
        };
        let mut s = JsonlSink { out, buf: Vec::new(), progress: Box::new(|_, _| {}) };
        line(&mut s.buf, &json!({"format": FORMAT, "version": 1, "scope": scope, "created_at": now_ms}))?;
        s.flush().await?;
        Ok(s)
    }

    async fn flush(&mut self) -> Result<()> {
        let chunk = std::mem::take(&mut self.buf);
        self.out.write(chunk).await
    }
}

fn io(e: std::io::Error) -> StoreError {
    StoreError::Internal(format!("writing the dump: {e}"))
}

fn line(out: &mut Vec<u8>, v: &Json) -> Result<()> {
    serde_json::to_writer(&mut *out, v).map_err(|e| StoreError::Internal(e.to_string()))?;
    out.push(b'\n');
    Ok(())
}

#[async_trait::async_trait]
impl<O: ChunkOut> RowSink for JsonlSink<O> {
    async fn table(&mut self, t: &TableInfo, rows: u64) -> Result<()> {
        line(&mut self.buf, &json!({"table": t.name, "columns": t.column_names(), "rows": rows}))
    }
    async fn rows(&mut self, t: &TableInfo, batch: Vec<Map<String, Json>>) -> Result<()> {
        let n = batch.len() as u64;
        for r in batch {
            line(&mut self.buf, &json!({"table": t.name, "row": r}))?;
        }
        self.flush().await?;
        (self.progress)(&t.name, n);
        Ok(())
    }
    async fn done(&mut self, _: &TableInfo, sum: &TableSum) -> Result<()> {
        line(&mut self.buf, &json!({"table": sum.table, "count": sum.rows, "sha256": sum.sha256}))?;
        self.flush().await
    }
}

/// What a dump's first lines say.
#[derive(Debug, Clone)]
pub struct DumpHeader {
    pub scope: Json,
    pub created_at: Option<i64>,
}

fn bad(n: usize, why: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(format!("line {n} of the dump: {why}"))
}

impl Db {
    /// Loads a JSON-lines dump into this database, which must be empty; keeps ids, fixes the
    /// sequences, and answers each table's count and checksum as the dump states it beside what
    /// the database holds after the load. `progress` gets the table and the rows of each batch.
    pub async fn restore_jsonl(&self, input: impl BufRead, progress: super::Progress<'_>) -> Result<Vec<Verified>> {
        if let Some((table, rows)) = self.first_nonempty_table().await? {
            return Err(not_empty(table, rows));
        }
        let loader = Loader::new(self).await?;
        let mut expected: Vec<TableSum> = Vec::new();
        let mut batch: Vec<Map<String, Json>> = Vec::with_capacity(BATCH);
        let mut current: Option<String> = None;
        let mut seen_header = false;
        for (i, l) in input.lines().enumerate() {
            let n = i + 1;
            let l = l.map_err(|e| bad(n, e))?;
            if l.trim().is_empty() {
                continue;
            }
            let v: Json = serde_json::from_str(&l).map_err(|e| bad(n, e))?;
            if !seen_header {
                if v.get("format").and_then(Json::as_str) != Some(FORMAT) {
                    return Err(bad(n, "not a Poryadok dump (the first line names no format \"poryadok-dump\")"));
                }
                seen_header = true;
                continue;
            }
            let table = v.get("table").and_then(Json::as_str).ok_or_else(|| bad(n, "no \"table\""))?.to_string();
            if let Some(row) = v.get("row") {
                let Json::Object(row) = row.clone() else { return Err(bad(n, "\"row\" is not an object")) };
                if current.as_deref() != Some(&table) {
                    return Err(bad(n, format!("a row of {table} outside its table's lines")));
                }
                batch.push(row);
                if batch.len() >= BATCH {
                    loader.insert(&table, &batch).await.map_err(|e| bad(n, e))?;
                    progress(&table, batch.len() as u64);
                    batch.clear();
                }
            } else if v.get("columns").is_some() {
                current = Some(table);
            } else if let Some(count) = v.get("count").and_then(Json::as_u64) {
                if !batch.is_empty() {
                    loader.insert(&table, &batch).await.map_err(|e| bad(n, e))?;
                    progress(&table, batch.len() as u64);
                    batch.clear();
                }
                let sha256 = v.get("sha256").and_then(Json::as_str).unwrap_or_default().to_string();
                expected.push(TableSum { table, rows: count, sha256 });
                current = None;
            } else {
                return Err(bad(n, "neither a table's header, a row nor a table's count"));
            }
        }
        if current.is_some() || !batch.is_empty() {
            return Err(StoreError::Internal("the dump ends inside a table (truncated?)".into()));
        }
        self.fix_sequences().await?;
        let after = self.table_sums().await?;
        Ok(verify(&expected, &after))
    }
}
