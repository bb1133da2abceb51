//! Small bridges between the schema and sea-query: column names come from the schema (never
//! from user input), values are always bound, typed NULLs keep PostgreSQL's binder happy.
use poryadok_core::schema::{Field, Kind};
use poryadok_core::types::{format_ms, Val};
use sea_orm::QueryResult;
use sea_query::{Alias, Value};
use serde_json::{Map, Value as Json};

pub fn col(name: &str) -> Alias {
    Alias::new(name)
}

/// Runs an insert of one row and returns its new id (the statement need not ask for it).
pub(crate) async fn insert_id(
    conn: &impl sea_orm::ConnectionTrait,
    backend: sea_orm::DbBackend,
    q: &sea_query::InsertStatement,
) -> crate::Result<i64> {
    let mut q = q.clone();
    q.returning_col(col("id"));
    let row = conn.query_one(backend.build(&q)).await?;
    Ok(row.ok_or_else(|| crate::StoreError::Internal("insert returned no id".into()))?.try_get("", "id")?)
}

/// Marks a row of a workspace's table deleted (its history and what points at it stay).
pub(crate) async fn soft_delete(
    conn: &impl sea_orm::ConnectionTrait,
    backend: sea_orm::DbBackend,
    table: &str,
    ws: i64,
    id: i64,
    now: i64,
) -> crate::Result<()> {
    let q = sea_query::Query::update()
        .table(col(table))
        .value(col("deleted_at"), now)
        .and_where(sea_query::Expr::col(col("workspace_id")).eq(ws))
        .and_where(sea_query::Expr::col(col("id")).eq(id))
        .to_owned();
    conn.execute(backend.build(&q)).await?;
    Ok(())
}

/// `table AS alias`, for joins.
pub fn aliased(table: &str, alias: &str) -> sea_query::TableRef {
    sea_query::TableRef::TableAlias(sea_query::SeaRc::new(col(table)), sea_query::SeaRc::new(col(alias)))
}

/// `version + 1`: every change of a record's own fields, whoever writes it, bumps its version
/// so a client's `If-Match` sees it.
pub fn bump_version() -> sea_query::SimpleExpr {
    sea_query::Expr::col(col("version")).add(1)
}

pub fn is_integer(kind: Kind) -> bool {
    matches!(kind, Kind::Id | Kind::Int { .. } | Kind::Money | Kind::Timestamp | Kind::Ref(_))
}

pub fn to_sea(kind: Kind, v: &Val) -> Value {
    match v {
        Val::Int(i) => Value::BigInt(Some(*i)),
        Val::Text(s) => Value::String(Some(Box::new(s.clone()))),
        Val::Bool(b) => Value::Bool(Some(*b)),
        Val::Null if is_integer(kind) => Value::BigInt(None),
        Val::Null if kind == Kind::Bool => Value::Bool(None),
        Val::Null => Value::String(None),
    }
}

pub fn get(row: &QueryResult, f: &Field) -> Result<Val, sea_orm::DbErr> {
    let c = f.column();
    Ok(if is_integer(f.kind) {
        row.try_get::<Option<i64>>("", c)?.map_or(Val::Null, Val::Int)
    } else if f.kind == Kind::Bool {
        row.try_get::<Option<bool>>("", c)?.map_or(Val::Null, Val::Bool)
    } else {
        row.try_get::<Option<String>>("", c)?.map_or(Val::Null, Val::Text)
    })
}

/// The wire form of one stored value.
pub fn to_json(kind: Kind, v: &Val) -> Json {
    match (kind, v) {
        (Kind::Custom, Val::Text(s)) => serde_json::from_str(s).unwrap_or_else(|_| Json::Object(Map::new())),
        (Kind::Custom, _) => Json::Object(Map::new()),
        (Kind::StringList | Kind::PhoneList | Kind::EmailList | Kind::Json(_), Val::Text(s)) => {
            serde_json::from_str(s).unwrap_or(Json::Null)
        }
        (Kind::Timestamp, Val::Int(ms)) => Json::String(format_ms(*ms)),
        (_, Val::Int(i)) => Json::from(*i),
        (_, Val::Text(s)) => Json::String(s.clone()),
        (_, Val::Bool(b)) => Json::Bool(*b),
        (_, Val::Null) => Json::Null,
    }
}

impl crate::Row {
    /// The wire form of one field as [`crate::Row::to_json`] writes it ([`to_json`]); `null` for
    /// a field the row does not hold or may not show. Reads a few fields without building the
    /// whole object (the Pipedrive-compatible API's lists).
    pub fn json(&self, name: &str) -> Json {
        self.values.iter().find(|(f, _)| f.name == name && f.readable()).map_or(Json::Null, |(f, v)| to_json(f.kind, v))
    }
}
