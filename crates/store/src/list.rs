//! Lists with keyset (cursor) pagination, sorting by a sortable field and equality filters,
//! and the history of one record. A cursor is opaque to clients and fully re-validated here:
//! a forged one is a validation error, never a query.
use crate::actor::Actor;
use crate::error::{Result, StoreError};
use crate::records::{decode, fetch_one, visible_select, Row};
use crate::sql::{col, is_integer, to_sea};
use crate::Db;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use poryadok_core::msg::{words, Common, Msg, RecordMsg};
use poryadok_core::schema::{Entity, Field, Kind};
use poryadok_core::types::{self, Val};
use sea_orm::ConnectionTrait;
use sea_query::{Expr, Order, Query};
use serde_json::{json, Value as Json};

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 500;

#[derive(Debug, Default, Clone)]
pub struct ListQuery {
    pub limit: Option<String>,
    pub cursor: Option<String>,
    pub sort: Option<String>,
    /// A filter-language expression (see docs/FILTERS.md).
    pub filter: Option<String>,
    /// `field=value` pairs, AND-ed.
    pub filters: Vec<(String, String)>,
    /// Rows to skip before the page (without a cursor): the Pipedrive-compatible API's `start`.
    pub offset: Option<u64>,
}

/// A list's size over all its pages: the count, and for deals the value per currency.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ListTotals {
    pub count: i64,
    /// `(currency, total in minor units)`, largest first; empty for persons and organizations.
    pub values: Vec<(String, i64)>,
}

#[derive(Debug)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}

pub fn parse_limit(raw: Option<&str>) -> Result<u64> {
    match raw {
        None => Ok(DEFAULT_LIMIT),
        Some(s) => match s.parse::<i64>() {
            Ok(n) if (1..=MAX_LIMIT as i64).contains(&n) => Ok(n as u64),
            _ => Err(StoreError::invalid("limit", Common::Between { min: 1, max: MAX_LIMIT as i64 })),
        },
    }
}

struct Cursor {
    sort: String,
    value: Val,
    id: i64,
}

fn encode_cursor(sort: &str, value: &Val, id: i64) -> String {
    let v = match value {
        Val::Int(i) => json!(i),
        Val::Text(s) => json!(s),
        Val::Bool(b) => json!(b),
        Val::Null => Json::Null,
    };
    URL_SAFE_NO_PAD.encode(json!([sort, v, id]).to_string())
}

fn decode_cursor(raw: &str, sort: &str, kind: Kind) -> Result<Cursor> {
    let bad = || StoreError::invalid("cursor", Common::BadCursor {});
    let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad())?;
    let parts: Vec<Json> = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    let [s, v, id] = parts.as_slice() else { return Err(bad()) };
    if s.as_str() != Some(sort) {
        return Err(StoreError::invalid("cursor", RecordMsg::CursorOtherSort {}));
    }
    let id = id.as_i64().ok_or_else(bad)?;
    let value = if v.is_null() {
        Val::Null
    } else if is_integer(kind) {
        Val::Int(v.as_i64().ok_or_else(bad)?)
    } else {
        Val::Text(v.as_str().ok_or_else(bad)?.to_string())
    };
    Ok(Cursor { sort: s.as_str().unwrap_or_default().to_string(), value, id })
}

/// A filter value from a query string, typed by the field's kind.
fn filter_value(kind: Kind, raw: &str, region: &str) -> std::result::Result<Val, Msg> {
    if raw == "null" {
        return Ok(Val::Null);
    }
    Ok(match kind {
        Kind::Id | Kind::Int { .. } | Kind::Money | Kind::Ref(_) => Val::Int(raw.parse().map_err(|_| Common::NotInteger {})?),
        Kind::Timestamp => Val::Int(types::parse_timestamp(raw)?),
        Kind::Bool => match raw {
            "true" => Val::Bool(true),
            "false" => Val::Bool(false),
            _ => return Err(Common::NotBool {}.into()),
        },
        Kind::Enum(allowed) if !allowed.contains(&raw) => return Err(Common::OneOf { list: words(allowed.iter()) }.into()),
        Kind::Email => Val::Text(types::Email::parse(raw)?.into_string()),
        Kind::Phone => Val::Text(types::Phone::parse(raw, region)?.into_string()),
        Kind::Date => Val::Text(types::parse_date(raw)?),
        _ => Val::Text(raw.to_string()),
    })
}

/// Whether a field always has a value: required ones and the record's timestamps.
fn never_empty(f: &Field) -> bool {
    f.required || matches!(f.name, "created_at" | "updated_at")
}

impl Db {
    pub async fn list(&self, actor: &Actor, entity: Entity, lq: &ListQuery) -> Result<Page<Row>> {
        let limit = parse_limit(lq.limit.as_deref())?;
        let sort_raw = lq.sort.clone().unwrap_or_else(|| entity.default_sort().to_string());
        let (desc, sort_name) = match sort_raw.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, sort_raw.as_str()),
        };
        let sort_field = entity.field(sort_name).filter(|f| f.sortable).ok_or_else(|| {
            let names: Vec<_> = entity.fields().iter().filter(|f| f.sortable).map(|f| f.name).collect();
            StoreError::invalid("sort", RecordMsg::CannotSort { name: sort_name.to_string(), sortable: words(names.iter()) })
        })?;
        let mut q = self.listed(actor, entity, lq).await?;
        let order = if desc { Order::Desc } else { Order::Asc };
        if let Some(raw) = &lq.cursor {
            let c = decode_cursor(raw, &sort_raw, sort_field.kind)?;
            debug_assert_eq!(c.sort, sort_raw);
            let tie = if desc { Expr::col(col("id")).lt(c.id) } else { Expr::col(col("id")).gt(c.id) };
            if sort_field.name == "id" {
                q.and_where(tie);
            } else if c.value.is_null() {
                // Empty values come last in either direction: past one, only empties remain.
                q.and_where(Expr::col(col(sort_field.column())).is_null().and(tie));
            } else {
                let v = to_sea(sort_field.kind, &c.value);
                let s = Expr::col(col(sort_field.column()));
                let beyond = if desc { s.clone().lt(v.clone()) } else { s.clone().gt(v.clone()) };
                let after = beyond.or(s.clone().eq(v).and(tie));
                q.and_where(if never_empty(sort_field) { after } else { after.or(s.is_null()) });
            }
        }
        if sort_field.name != "id" {
            // Both backends put empty values last (SQLite would put them first when ascending).
            // A column that is never empty needs no such term, and without it the index on the
            // column gives the order: a page of the newest deals at 100k read 51 rows instead
            // of sorting them all (130 ms → under 1 ms).
            if !never_empty(sort_field) {
                q.order_by_expr(Expr::col(col(sort_field.column())).is_null(), Order::Asc);
            }
            q.order_by(col(sort_field.column()), order.clone());
        }
        q.order_by(col("id"), order).limit(limit + 1);
        if let (Some(n), None) = (lq.offset.filter(|n| *n > 0), &lq.cursor) {
            q.offset(n);
        }
        let rows = self.read.query_all(self.backend.build(&q)).await?;
        let mut data = rows.iter().map(|r| decode(entity, r)).collect::<Result<Vec<_>>>()?;
        let next_cursor = if data.len() as u64 > limit {
            data.truncate(limit as usize);
            data.last().map(|last| encode_cursor(&sort_raw, last.get(sort_field.name), last.id()))
        } else {
            None
        };
        Ok(Page { data, next_cursor })
    }

    /// `SELECT` of the records a list shows (visible, live, its `field=value` filters and its
    /// filter expression), unordered and unpaged: [`Db::list`] pages it, [`Db::list_totals`]
    /// counts it, exports walk it.
    async fn listed(&self, actor: &Actor, entity: Entity, lq: &ListQuery) -> Result<sea_query::SelectStatement> {
        let mut q = visible_select(entity, actor, false);
        for (name, raw) in &lq.filters {
            let f = entity
                .field(name)
                .filter(|f| f.filterable() && f.readable())
                .ok_or_else(|| StoreError::invalid(name, RecordMsg::UnknownFilter { entity: entity.path().to_string() }))?;
            let v = filter_value(f.kind, raw, &actor.ws.region).map_err(|m| StoreError::invalid(name, m))?;
            if v.is_null() {
                q.and_where(Expr::col(col(f.column())).is_null());
            } else {
                q.and_where(Expr::col(col(f.column())).eq(to_sea(f.kind, &v)));
            }
        }
        if let Some(src) = lq.filter.as_deref().filter(|s| !s.trim().is_empty()) {
            let checked = self.check_filter(actor, entity, src, "filter").await?;
            q.and_where(self.filter_condition(actor, &checked, self.clock.now_ms()));
        }
        Ok(q)
    }

    /// How many records a list holds in all its pages, and for deals their value per currency
    /// (largest first). One aggregate over the same conditions as [`Db::list`]; deals are
    /// counted from the covering `deals_ws_totals` index.
    pub async fn list_totals(&self, actor: &Actor, entity: Entity, lq: &ListQuery) -> Result<ListTotals> {
        let mut q = self.listed(actor, entity, lq).await?;
        q.clear_selects().expr_as(Expr::cust("COUNT(*)"), col("n"));
        let deals = entity == Entity::Deal;
        if deals {
            q.column(col("currency"))
                .expr_as(Expr::cust("CAST(COALESCE(SUM(value), 0) AS BIGINT)"), col("total"))
                .group_by_col(col("currency"));
        }
        let rows = self.read.query_all(self.backend.build(&q)).await?;
        let mut totals = ListTotals::default();
        for r in &rows {
            let n: i64 = r.try_get("", "n")?;
            totals.count += n;
            if deals {
                totals.values.push((r.try_get("", "currency")?, r.try_get("", "total")?));
            }
        }
        totals.values.sort_by_key(|(_, v)| std::cmp::Reverse(*v));
        Ok(totals)
    }

    /// Every record a list holds, in its order, a page at a time (exports; the caller's
    /// visibility applies as to the list itself). `each` hears each page.
    pub async fn list_all(
        &self,
        actor: &Actor,
        entity: Entity,
        lq: &ListQuery,
        each: &mut (dyn FnMut(Vec<Row>) -> Result<()> + Send),
    ) -> Result<()> {
        let mut page = ListQuery { limit: Some(MAX_LIMIT.to_string()), cursor: None, ..lq.clone() };
        loop {
            let p = self.list(actor, entity, &page).await?;
            each(p.data)?;
            match p.next_cursor {
                Some(c) => page.cursor = Some(c),
                None => return Ok(()),
            }
        }
    }

    /// The history of one record, newest first. Deleted records keep their history readable.
    pub async fn history(&self, actor: &Actor, entity: Entity, id: i64, lq: &ListQuery) -> Result<Page<Json>> {
        fetch_one(&self.read, self.backend, entity, actor, id, true).await?;
        let limit = parse_limit(lq.limit.as_deref())?;
        let mut q = history_select(actor, entity, id);
        if let Some(raw) = &lq.cursor {
            let c = decode_cursor(raw, "-id", Kind::Id)?;
            q.and_where(Expr::col(col("id")).lt(c.id));
        }
        q.order_by(col("id"), Order::Desc).limit(limit + 1);
        let rows = self.read.query_all(self.backend.build(&q)).await?;
        let mut data = Vec::with_capacity(rows.len());
        let mut last_id = 0;
        for r in rows.iter().take(limit as usize) {
            let hid: i64 = r.try_get("", "id")?;
            let changes: String = r.try_get("", "changes")?;
            let at: i64 = r.try_get("", "created_at")?;
            last_id = hid;
            data.push(json!({
                "id": hid,
                "action": r.try_get::<String>("", "action")?,
                "actor_id": r.try_get::<Option<i64>>("", "actor_id")?,
                "channel": r.try_get::<String>("", "channel")?,
                "changes": serde_json::from_str::<Json>(&changes).unwrap_or(Json::Null),
                "created_at": types::format_ms(at),
            }));
        }
        let next_cursor = (rows.len() as u64 > limit).then(|| encode_cursor("-id", &Val::Int(last_id), last_id));
        Ok(Page { data, next_cursor })
    }
}

/// The history events of one record (unordered), for the history list and the timeline.
pub(crate) fn history_select(actor: &Actor, entity: Entity, id: i64) -> sea_query::SelectStatement {
    Query::select()
        .columns(["id", "action", "actor_id", "channel", "changes", "created_at"].map(col))
        .from(col("history"))
        .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
        .and_where(Expr::col(col("entity")).eq(entity.name()))
        .and_where(Expr::col(col("record_id")).eq(id))
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_forgeries_are_rejected() {
        let c = encode_cursor("-updated_at", &Val::Int(42), 7);
        let back = decode_cursor(&c, "-updated_at", Kind::Timestamp).unwrap();
        assert_eq!((back.value, back.id), (Val::Int(42), 7));
        assert!(decode_cursor(&c, "title", Kind::Text(10)).is_err());
        assert!(decode_cursor("not-base64!!", "id", Kind::Id).is_err());
        let forged = URL_SAFE_NO_PAD.encode(r#"["-updated_at","1; DROP TABLE deals",1]"#);
        assert!(decode_cursor(&forged, "-updated_at", Kind::Timestamp).is_err());
    }

    #[test]
    fn limits_are_bounded() {
        assert_eq!(parse_limit(None).unwrap(), 50);
        assert_eq!(parse_limit(Some("10")).unwrap(), 10);
        for bad in ["-1", "0", "501", "ten"] {
            assert!(parse_limit(Some(bad)).is_err(), "{bad}");
        }
    }
}
