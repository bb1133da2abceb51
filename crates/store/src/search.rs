//! Global search over deals, persons and organizations (`GET /api/v1/search`, the top bar).
//!
//! Names are found by word prefixes through `search_terms`: each deal title, person name and
//! organization name is kept there as its words ([`poryadok_core::search::terms`]), written by
//! the rules after every write of the record, so a query is one range of an index per word,
//! joined to the record with the caller's visibility. A phone number (in any spelling), an
//! e-mail address and a tax id are exact lookups in `identities` and `organizations`, the keys
//! intake finds clients by. Nothing here scans a table.
use crate::actor::{scope_condition, Actor};
use crate::error::{Result, StoreError};
use crate::sql::{aliased, col};
use crate::Db;
use poryadok_core::schema::Entity;
use poryadok_core::search::{prefix_end, terms, SearchQuery};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, TransactionTrait};
use sea_query::{Alias, Expr, JoinType, Order, Query, SelectStatement};
use serde::Serialize;

/// Results per group the top bar shows.
pub const DEFAULT_LIMIT: u64 = 8;
pub const MAX_LIMIT: u64 = 50;

/// The entities search finds, with the field each is found by.
pub const SEARCHED: [(Entity, &str); 3] = [(Entity::Deal, "title"), (Entity::Person, "name"), (Entity::Organization, "name")];

fn indexed_field(entity: Entity) -> Option<&'static str> {
    SEARCHED.iter().find(|(e, _)| *e == entity).map(|(_, f)| *f)
}

/// A deal found.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DealHit {
    pub id: i64,
    pub title: String,
    pub status: String,
    pub value: i64,
    pub currency: String,
    pub person_id: Option<i64>,
}

/// A person found.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PersonHit {
    pub id: i64,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub organization_id: Option<i64>,
}

/// An organization found.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct OrganizationHit {
    pub id: i64,
    pub name: String,
    pub tax_id: Option<String>,
}

/// What one query found, grouped; exact matches (phone, e-mail, tax id) come first in a group.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SearchResults {
    pub query: String,
    pub deals: Vec<DealHit>,
    pub persons: Vec<PersonHit>,
    pub organizations: Vec<OrganizationHit>,
}

impl SearchResults {
    pub fn is_empty(&self) -> bool {
        self.deals.is_empty() && self.persons.is_empty() && self.organizations.is_empty()
    }
}

trait Hit: Sized {
    const ENTITY: Entity;
    const COLUMNS: &'static [&'static str];
    fn id(&self) -> i64;
    fn read(row: &QueryResult) -> std::result::Result<Self, sea_orm::DbErr>;
}

impl Hit for DealHit {
    const ENTITY: Entity = Entity::Deal;
    const COLUMNS: &'static [&'static str] = &["id", "title", "status", "value", "currency", "person_id"];
    fn id(&self) -> i64 {
        self.id
    }
    fn read(r: &QueryResult) -> std::result::Result<Self, sea_orm::DbErr> {
        Ok(DealHit {
            id: r.try_get("", "id")?,
            title: r.try_get("", "title")?,
            status: r.try_get("", "status")?,
            value: r.try_get("", "value")?,
            currency: r.try_get("", "currency")?,
            person_id: r.try_get("", "person_id")?,
        })
    }
}

impl Hit for PersonHit {
    const ENTITY: Entity = Entity::Person;
    const COLUMNS: &'static [&'static str] = &["id", "name", "phone", "email", "organization_id"];
    fn id(&self) -> i64 {
        self.id
    }
    fn read(r: &QueryResult) -> std::result::Result<Self, sea_orm::DbErr> {
        Ok(PersonHit {
            id: r.try_get("", "id")?,
            name: r.try_get("", "name")?,
            phone: r.try_get("", "phone")?,
            email: r.try_get("", "email")?,
            organization_id: r.try_get("", "organization_id")?,
        })
    }
}

impl Hit for OrganizationHit {
    const ENTITY: Entity = Entity::Organization;
    const COLUMNS: &'static [&'static str] = &["id", "name", "tax_id"];
    fn id(&self) -> i64 {
        self.id
    }
    fn read(r: &QueryResult) -> std::result::Result<Self, sea_orm::DbErr> {
        Ok(OrganizationHit { id: r.try_get("", "id")?, name: r.try_get("", "name")?, tax_id: r.try_get("", "tax_id")? })
    }
}

/// `SELECT <hit columns> FROM <table> AS r` limited to the caller's live, visible records.
fn visible_hits<H: Hit>(actor: &Actor) -> SelectStatement {
    let mut q = Query::select();
    q.from_as(col(H::ENTITY.table()), col("r"));
    visible_hit_columns::<H>(&mut q, actor);
    q
}

/// The hit columns of `r`, and the conditions that keep it to the caller's live, visible records.
fn visible_hit_columns<H: Hit>(q: &mut SelectStatement, actor: &Actor) {
    q.columns(H::COLUMNS.iter().map(|c| (col("r"), col(c))))
        .and_where(Expr::col((col("r"), col("workspace_id"))).eq(actor.ws_id()))
        .and_where(Expr::col((col("r"), col("deleted_at"))).is_null());
    // The visibility condition names the record's own columns unqualified (`owner_id`, `id`);
    // no other table of these queries has them, so they resolve to `r`.
    if let Some(cond) = scope_condition(H::ENTITY, &actor.caller) {
        q.and_where(cond);
    }
}

fn term_range(q: &mut SelectStatement, alias: &str, word: &str) {
    q.and_where(Expr::col((col(alias), col("term"))).gte(word)).and_where(Expr::col((col(alias), col("term"))).lt(prefix_end(word)));
}

/// The visible records of `H` having a word that begins with each of `words`. The first word's
/// index range drives the query: on SQLite a `CROSS JOIN` keeps it the outer loop whatever the
/// statistics say (a new index on the records' table once made the planner walk every deal).
fn by_words<H: Hit>(actor: &Actor, backend: DbBackend, words: &[String], limit: u64) -> Option<SelectStatement> {
    let (first, rest) = words.split_first()?;
    let entity = H::ENTITY.name();
    let join = if backend == DbBackend::Sqlite { JoinType::CrossJoin } else { JoinType::InnerJoin };
    let mut q = Query::select();
    q.from_as(col("search_terms"), col("t")).join(
        join,
        aliased(H::ENTITY.table(), "r"),
        Expr::col((col("r"), col("id"))).equals((col("t"), col("record_id"))),
    );
    visible_hit_columns::<H>(&mut q, actor);
    q.and_where(Expr::col((col("t"), col("workspace_id"))).eq(actor.ws_id())).and_where(Expr::col((col("t"), col("entity"))).eq(entity));
    term_range(&mut q, "t", first);
    for (i, word) in rest.iter().enumerate() {
        let alias = format!("t{i}");
        let mut other = Query::select();
        other
            .expr(Expr::val(1))
            .from_as(col("search_terms"), Alias::new(&alias))
            .and_where(Expr::col((col(&alias), col("workspace_id"))).eq(actor.ws_id()))
            .and_where(Expr::col((col(&alias), col("entity"))).eq(entity))
            .and_where(Expr::col((col(&alias), col("record_id"))).equals((col("t"), col("record_id"))));
        term_range(&mut other, &alias, word);
        q.and_where(Expr::exists(other));
    }
    // A record with two words of one prefix ("Иван Иванов", `ив`) comes twice; room for that.
    q.order_by((col("t"), col("term")), Order::Asc).order_by((col("t"), col("record_id")), Order::Asc).limit(limit * 2);
    Some(q)
}

/// Visible persons holding a phone (or WhatsApp) or e-mail identity of exactly `value`.
fn persons_by_identity(actor: &Actor, kinds: &[&str], value: &str) -> SelectStatement {
    let mut q = visible_hits::<PersonHit>(actor);
    q.inner_join(aliased("identities", "i"), Expr::col((col("i"), col("person_id"))).equals((col("r"), col("id"))))
        .and_where(Expr::col((col("i"), col("workspace_id"))).eq(actor.ws_id()))
        .and_where(Expr::col((col("i"), col("kind"))).is_in(kinds.iter().copied()))
        .and_where(Expr::col((col("i"), col("value"))).eq(value));
    q
}

async fn fetch<H: Hit>(db: &Db, q: &SelectStatement) -> Result<Vec<H>> {
    let rows = db.read.query_all(db.backend.build(q)).await?;
    rows.iter().map(|r| H::read(r).map_err(StoreError::from)).collect()
}

/// Appends `more` to `hits`, skipping records already there, up to `limit`.
fn merge<H: Hit>(hits: &mut Vec<H>, more: Vec<H>, limit: u64) {
    for h in more {
        if hits.len() as u64 >= limit {
            return;
        }
        if !hits.iter().any(|x| x.id() == h.id()) {
            hits.push(h);
        }
    }
}

impl Db {
    /// Finds what the caller may see by a query typed in the top bar: word prefixes of names and
    /// titles, a phone number in any spelling, an e-mail address, a tax id. `limit` per group.
    pub async fn search(&self, actor: &Actor, raw: &str, limit: Option<u64>) -> Result<SearchResults> {
        let q = SearchQuery::parse(raw, &actor.ws.region).map_err(|m| StoreError::invalid("q", m))?;
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(StoreError::invalid("limit", poryadok_core::msg::Common::Between { min: 1, max: MAX_LIMIT as i64 }));
        }
        let mut out = SearchResults { query: q.text.clone(), deals: Vec::new(), persons: Vec::new(), organizations: Vec::new() };
        let contact = match (&q.phone, &q.email) {
            (Some(phone), _) => Some((&["phone", "whatsapp"][..], phone.as_str())),
            (None, Some(email)) => Some((&["email"][..], email.as_str())),
            _ => None,
        };
        if let Some((kinds, value)) = contact {
            let mut p = persons_by_identity(actor, kinds, value);
            p.limit(limit);
            merge(&mut out.persons, fetch(self, &p).await?, limit);
            // The client's deals come with them: the call is usually about one of those.
            if !out.persons.is_empty() {
                let mut d = visible_hits::<DealHit>(actor);
                d.and_where(Expr::col((col("r"), col("person_id"))).is_in(out.persons.iter().map(|p| p.id)))
                    .order_by((col("r"), col("updated_at")), Order::Desc)
                    .limit(limit);
                merge(&mut out.deals, fetch(self, &d).await?, limit);
            }
        }
        if let Some(tax_id) = &q.tax_id {
            let mut o = visible_hits::<OrganizationHit>(actor);
            o.and_where(Expr::col((col("r"), col("tax_id"))).eq(tax_id.as_str())).limit(limit);
            merge(&mut out.organizations, fetch(self, &o).await?, limit);
        }
        // A phone number, an address or a tax id is a key, not words: its digit groups would
        // only find unrelated titles.
        if q.phone.is_some() || q.email.is_some() || q.tax_id.is_some() {
            return Ok(out);
        }
        let words = self.rarest_first::<DealHit>(actor, &q.words).await?;
        if let Some(sel) = by_words::<DealHit>(actor, self.backend, &words, limit) {
            merge(&mut out.deals, fetch(self, &sel).await?, limit);
        }
        let words = self.rarest_first::<PersonHit>(actor, &q.words).await?;
        if let Some(sel) = by_words::<PersonHit>(actor, self.backend, &words, limit) {
            merge(&mut out.persons, fetch(self, &sel).await?, limit);
        }
        let words = self.rarest_first::<OrganizationHit>(actor, &q.words).await?;
        if let Some(sel) = by_words::<OrganizationHit>(actor, self.backend, &words, limit) {
            merge(&mut out.organizations, fetch(self, &sel).await?, limit);
        }
        Ok(out)
    }

    /// The query's words, the one that begins the fewest words of `H` first: the query then
    /// walks the shortest index range and checks the other words per record ("георгий валиев"
    /// is driven by the surname, not by one of many Georges). Counts stop at a cap, so each
    /// estimate is a short index-only range.
    async fn rarest_first<H: Hit>(&self, actor: &Actor, words: &[String]) -> Result<Vec<String>> {
        const CAP: u64 = 2_000;
        if words.len() < 2 {
            return Ok(words.to_vec());
        }
        let mut counted = Vec::with_capacity(words.len());
        for w in words {
            let mut inner = Query::select();
            inner
                .expr(Expr::val(1))
                .from_as(col("search_terms"), col("t"))
                .and_where(Expr::col((col("t"), col("workspace_id"))).eq(actor.ws_id()))
                .and_where(Expr::col((col("t"), col("entity"))).eq(H::ENTITY.name()))
                .limit(CAP);
            term_range(&mut inner, "t", w);
            let q = Query::select().expr_as(Expr::cust("COUNT(*)"), col("n")).from_subquery(inner, col("x")).to_owned();
            let n = crate::rules::scalar_i64(&self.read, self.backend, &q).await?.unwrap_or(0);
            counted.push((n, w.clone()));
        }
        counted.sort_by_key(|(n, _)| *n);
        Ok(counted.into_iter().map(|(_, w)| w).collect())
    }
}

impl Db {
    /// Rebuilds the search words of one workspace (or all): after a bulk load that bypassed the
    /// write path, and `poryadok search reindex`. `progress` hears each page's record count.
    pub async fn reindex_search(&self, ws: Option<i64>, progress: &mut (dyn FnMut(u64) + Send)) -> Result<()> {
        reindex_with(&self.write, ws, progress).await
    }
}

fn insert_terms(backend: DbBackend, rows: &[(i64, &str, i64, String)]) -> Result<Option<sea_orm::Statement>> {
    if rows.is_empty() {
        return Ok(None);
    }
    let mut ins = Query::insert();
    ins.into_table(col("search_terms")).columns(["workspace_id", "entity", "term", "record_id"].map(col));
    for (ws, entity, term, id) in rows.iter().map(|(ws, e, id, t)| (*ws, *e, t.clone(), *id)) {
        ins.values([ws.into(), entity.into(), term.into(), id.into()]).map_err(|e| StoreError::Internal(e.to_string()))?;
    }
    Ok(Some(backend.build(&ins)))
}

async fn forget(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, entity: Entity, id: i64) -> Result<()> {
    let q = Query::delete()
        .from_table(col("search_terms"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .and_where(Expr::col(col("entity")).eq(entity.name()))
        .and_where(Expr::col(col("record_id")).eq(id))
        .to_owned();
    conn.execute(backend.build(&q)).await?;
    Ok(())
}

/// Keeps a record's words in step with its name after a write (`old` is the row before an
/// update, `None` for a create).
pub(crate) async fn after_write(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    ws: i64,
    row: &crate::records::Row,
    old: Option<&crate::records::Row>,
) -> Result<()> {
    let Some(field) = indexed_field(row.entity) else { return Ok(()) };
    let text = row.get(field).as_text().unwrap_or_default();
    if old.is_some_and(|o| o.get(field).as_text().unwrap_or_default() == text) {
        return Ok(());
    }
    if old.is_some() {
        forget(conn, backend, ws, row.entity, row.id()).await?;
    }
    let rows: Vec<_> = terms(text).into_iter().map(|t| (ws, row.entity.name(), row.id(), t)).collect();
    if let Some(stmt) = insert_terms(backend, &rows)? {
        conn.execute(stmt).await?;
    }
    Ok(())
}

/// [`after_write`] for records just created, many at once: their words in a few multi-row
/// inserts instead of one a record.
pub(crate) async fn after_create_many(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    ws: i64,
    rows: &[crate::records::Row],
) -> Result<()> {
    /// Rows per INSERT: four values each, under SQLite's limit of bound values.
    const PER_INSERT: usize = 4_000;
    let mut all = Vec::new();
    for row in rows {
        let Some(field) = indexed_field(row.entity) else { continue };
        let text = row.get(field).as_text().unwrap_or_default();
        all.extend(terms(text).into_iter().map(|t| (ws, row.entity.name(), row.id(), t)));
    }
    for chunk in all.chunks(PER_INSERT) {
        if let Some(stmt) = insert_terms(backend, chunk)? {
            conn.execute(stmt).await?;
        }
    }
    Ok(())
}

/// A deleted record is no longer found.
pub(crate) async fn after_delete(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, entity: Entity, id: i64) -> Result<()> {
    if indexed_field(entity).is_some() {
        forget(conn, backend, ws, entity, id).await?;
    }
    Ok(())
}

/// Rebuilds the words of every live deal, person and organization of every workspace (the
/// migration that brought search, and `poryadok search reindex`). Pages by id, so memory stays
/// flat at any size; `progress` hears each page's record count.
pub async fn reindex_all<C: ConnectionTrait + TransactionTrait>(conn: &C) -> Result<()> {
    reindex_with(conn, None, &mut |_| {}).await
}

pub(crate) async fn reindex_with<C>(conn: &C, ws: Option<i64>, progress: &mut (dyn FnMut(u64) + Send)) -> Result<()>
where
    C: ConnectionTrait + TransactionTrait,
{
    /// Records per page, each page one transaction: one commit per some 30 000 words.
    const PAGE: u64 = 10_000;
    /// Rows per INSERT: four values each, under SQLite's default limit of bound values.
    const PER_INSERT: usize = 4_000;
    let backend = conn.get_database_backend();
    let mut del = Query::delete();
    del.from_table(col("search_terms"));
    if let Some(ws) = ws {
        del.and_where(Expr::col(col("workspace_id")).eq(ws));
    }
    conn.execute(backend.build(&del)).await?;
    for (entity, field) in SEARCHED {
        let mut after = 0i64;
        loop {
            let mut q = Query::select();
            q.columns(["id", "workspace_id", field].map(col))
                .from(col(entity.table()))
                .and_where(Expr::col(col("id")).gt(after))
                .and_where(Expr::col(col("deleted_at")).is_null())
                .order_by(col("id"), Order::Asc)
                .limit(PAGE);
            if let Some(ws) = ws {
                q.and_where(Expr::col(col("workspace_id")).eq(ws));
            }
            let tx = conn.begin().await?;
            let page = tx.query_all(backend.build(&q)).await?;
            let Some(last) = page.last() else { break };
            after = last.try_get("", "id")?;
            let mut rows = Vec::new();
            for r in &page {
                let (id, ws, text): (i64, i64, String) = (r.try_get("", "id")?, r.try_get("", "workspace_id")?, r.try_get("", field)?);
                rows.extend(terms(&text).into_iter().map(|t| (ws, entity.name(), id, t)));
            }
            for chunk in rows.chunks(PER_INSERT) {
                if let Some(stmt) = insert_terms(backend, chunk)? {
                    tx.execute(stmt).await?;
                }
            }
            tx.commit().await?;
            progress(page.len() as u64);
        }
    }
    Ok(())
}

impl Db {
    /// The benchmark's yardstick: what [`Db::search`] runs for a one-word query or a phone number
    /// of a caller who sees the whole workspace, written by hand. Returns the rows found.
    pub async fn search_raw_sql(&self, ws: i64, word: Option<&str>, phone: Option<&str>) -> Result<usize> {
        let mut found = 0;
        let run = |sql: &str, values: Vec<sea_orm::Value>| {
            let sql = if self.is_postgres() { sql.to_string() } else { sql.replace('$', "?") };
            sea_orm::Statement::from_sql_and_values(self.backend, sql, values)
        };
        if let Some(w) = word {
            let join = if self.is_postgres() { "JOIN" } else { "CROSS JOIN" };
            for (table, entity, cols) in [
                ("deals", "deal", "r.id, r.title, r.status, r.value, r.currency, r.person_id"),
                ("persons", "person", "r.id, r.name, r.phone, r.email, r.organization_id"),
                ("organizations", "organization", "r.id, r.name, r.tax_id"),
            ] {
                let sql = format!(
                    "SELECT {cols} FROM search_terms t {join} {table} r ON r.id = t.record_id \
                     WHERE t.workspace_id = $1 AND t.entity = '{entity}' AND t.term >= $2 AND t.term < $3 \
                     AND r.workspace_id = $1 AND r.deleted_at IS NULL ORDER BY t.term, t.record_id LIMIT 16"
                );
                found += self.read.query_all(run(&sql, vec![ws.into(), w.into(), prefix_end(w).into()])).await?.len();
            }
        }
        if let Some(p) = phone {
            let sql = "SELECT r.id, r.name, r.phone, r.email, r.organization_id FROM persons r JOIN identities i ON i.person_id = r.id \
                       WHERE i.workspace_id = $1 AND i.kind IN ('phone', 'whatsapp') AND i.value = $2 AND r.workspace_id = $1 \
                       AND r.deleted_at IS NULL LIMIT 8";
            let persons = self.read.query_all(run(sql, vec![ws.into(), p.into()])).await?;
            found += persons.len();
            if let Some(id) = persons.first().map(|r| r.try_get::<i64>("", "id")).transpose()? {
                let sql = "SELECT id, title, status, value, currency, person_id FROM deals WHERE workspace_id = $1 AND deleted_at IS NULL \
                           AND person_id = $2 ORDER BY updated_at DESC LIMIT 8";
                found += self.read.query_all(run(sql, vec![ws.into(), id.into()])).await?.len();
            }
        }
        Ok(found)
    }
}
