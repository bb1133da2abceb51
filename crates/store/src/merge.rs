//! Duplicates of persons and organizations in existing data, and merging two records into one.
//!
//! The finder groups live records the caller sees by what makes two cards the same client:
//! persons by a phone (any identity kind: one person's phone may be another's WhatsApp), an
//! e-mail, or a similar name within one organization; organizations by tax id, website domain or
//! name. Phones and e-mails are grouped in SQL on their normalised form; names and domains need
//! word sorting and URL parsing, so one keyset-paged pass computes their keys here.
//!
//! A merge moves everything of the removed record to the kept one in one transaction — deals,
//! activities, notes, messages, touches, identities, an organization's people and custom
//! references — fills the kept record's empty fields, and soft-deletes the removed one with
//! `merged_into`, so its history stays readable from the kept card. Each of those records is
//! written through the write pipeline (see [`crate::records`]): a moved deal has its history
//! event and its webhook like any other change.
use crate::actor::{scope_condition, Actor};
use crate::error::{Result, StoreError};
use crate::records::{decode, fetch_one, read_custom_defs, system_view, visible_select, Row};
use crate::sql::{bump_version, col, to_json};
use crate::Db;
use poryadok_core::domain::CustomFieldType;
use poryadok_core::msg::{Common, RecordMsg};
use poryadok_core::schema::Entity;
use poryadok_core::types::Val;
use sea_orm::{ConnectionTrait, DbBackend, TransactionTrait};
use sea_query::{Expr, Func, Order, Query, SelectStatement, SimpleExpr};
use serde::Serialize;
use serde_json::{json, Map, Value as Json};
use std::collections::{HashMap, HashSet};

/// Most groups one search returns.
pub const MAX_DUPLICATE_GROUPS: usize = 1000;
/// Rows read per step of the name and domain pass.
const CHUNK: u64 = 5000;

/// Records that look like one client: why, the normalised value they share, and their ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DuplicateGroup {
    /// `phone`, `email`, `tax_id`, `domain` or `name`.
    pub reason: &'static str,
    pub key: String,
    pub ids: Vec<i64>,
}

/// A record that may be the same client as a given one, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    pub id: i64,
    pub reason: &'static str,
}

/// Legal forms that say nothing about which company it is ("ООО Ромашка" = "Ромашка").
const LEGAL_FORMS: &[&str] = &["ооо", "оао", "зао", "пао", "ао", "ип", "нко", "llc", "ltd", "inc", "gmbh", "corp", "co"];

/// Hosts whose first path segment names the company (a page on a social network).
const SHARED_HOSTS: &[&str] = &["vk.com", "facebook.com", "instagram.com", "t.me", "ok.ru", "youtube.com", "linkedin.com", "github.com"];

/// The words of a name, lower-case, `ё` read as `е`, punctuation dropped.
fn words(name: &str) -> Vec<String> {
    name.to_lowercase().replace('ё', "е").split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_string).collect()
}

/// A person's name as compared for duplicates: "Иванов Иван" and "иван  ИВАНОВ" give the same key.
pub fn name_key(name: &str) -> String {
    let mut w = words(name);
    w.sort_unstable();
    w.join(" ")
}

/// An organization's name as compared for duplicates: a person's key without legal forms
/// (`ООО «Ромашка»` = `Ромашка`), unless nothing else is left.
pub fn org_name_key(name: &str) -> String {
    let all = words(name);
    let mut w: Vec<String> = all.iter().filter(|w| !LEGAL_FORMS.contains(&w.as_str())).cloned().collect();
    if w.is_empty() {
        w = all;
    }
    w.sort_unstable();
    w.join(" ")
}

/// The site of a website address: no scheme, `www.`, port or path; a page on a social network
/// keeps its first path segment. `None` when nothing host-like is left.
pub fn domain_key(website: &str) -> Option<String> {
    let s = website.trim().to_lowercase();
    let rest = s.split_once("://").map_or(s.as_str(), |(_, r)| r);
    let (authority, path) = rest.split_once(['/', '?', '#']).map_or((rest, ""), |(a, p)| (a, p));
    let host = authority.rsplit('@').next().unwrap_or("");
    let host = host.split(':').next().unwrap_or("").trim_end_matches('.');
    let host = host.strip_prefix("www.").unwrap_or(host);
    if host.is_empty() || !host.contains('.') {
        return None;
    }
    if SHARED_HOSTS.contains(&host) {
        let page = path.split(['/', '?', '#']).next().unwrap_or("");
        return (!page.is_empty()).then(|| format!("{host}/{page}"));
    }
    Some(host.to_string())
}

fn mergeable(entity: Entity) -> Result<()> {
    match entity {
        Entity::Person | Entity::Organization => Ok(()),
        _ => Err(StoreError::invalid("entity", RecordMsg::NoDuplicates {})),
    }
}

/// `f("column")` in SQL. Placeholders in custom SQL differ between the backends; columns are
/// our own names, so they are written in place.
fn call(f: &str, column: &str) -> SimpleExpr {
    Expr::cust(format!("{f}(\"{column}\")"))
}

/// Digits of a stored phone (`+7 (916) 123-45-67` and `79161234567` compare equal).
fn phone_norm(column: &str) -> SimpleExpr {
    Expr::cust(format!("REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(\"{column}\", '+', ''), ' ', ''), '-', ''), '(', ''), ')', '')"))
}

fn email_norm(column: &str) -> SimpleExpr {
    Expr::cust(format!("LOWER(TRIM(\"{column}\"))"))
}

/// `SELECT id FROM <entity> WHERE` live, in the workspace and visible to the caller.
fn visible_ids(entity: Entity, actor: &Actor) -> SelectStatement {
    let mut q = Query::select();
    q.column(col("id"))
        .from(col(entity.table()))
        .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
        .and_where(Expr::col(col("deleted_at")).is_null());
    if let Some(cond) = scope_condition(entity, &actor.caller) {
        q.and_where(cond);
    }
    q
}

/// Identities of `kinds` as `(k, rid)`: the normalised value and the person. Deleting a person
/// deletes their identities, so only a caller who does not see everyone needs the persons read
/// here; [`Db::sql_groups`] checks the members it reports either way.
fn identity_keys(actor: &Actor, kinds: &[&str], norm: SimpleExpr) -> SelectStatement {
    let mut q = Query::select();
    q.expr_as(norm, col("k"))
        .expr_as(Expr::col(col("person_id")), col("rid"))
        .from(col("identities"))
        .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
        .and_where(Expr::col(col("kind")).is_in(kinds.iter().copied()));
    if scope_condition(Entity::Person, &actor.caller).is_some() {
        q.and_where(Expr::col(col("person_id")).in_subquery(visible_ids(Entity::Person, actor)));
    }
    q
}

/// Collects groups while keeping under the limit and dropping a set of ids already reported
/// for another reason.
struct Groups {
    out: Vec<DuplicateGroup>,
    seen: HashSet<Vec<i64>>,
    limit: usize,
}

impl Groups {
    fn left(&self) -> usize {
        self.limit.saturating_sub(self.out.len())
    }
    fn push(&mut self, reason: &'static str, key: String, mut ids: Vec<i64>) {
        ids.sort_unstable();
        ids.dedup();
        if ids.len() < 2 || self.left() == 0 || !self.seen.insert(ids.clone()) {
            return;
        }
        self.out.push(DuplicateGroup { reason, key, ids });
    }
    /// Groups of a key → ids map with more than one id, in key order.
    fn push_map(&mut self, reason: &'static str, map: HashMap<String, Vec<i64>>) {
        let mut found: Vec<(String, Vec<i64>)> = map.into_iter().filter(|(_, ids)| ids.len() > 1).collect();
        found.sort();
        for (key, ids) in found {
            self.push(reason, key, ids);
        }
    }
}

impl Db {
    /// Groups of live records of `entity` (persons or organizations) the caller sees that look like
    /// the same client, at most `limit` (1 to [`MAX_DUPLICATE_GROUPS`]). A set of records is
    /// reported once, for the first reason found: phone, e-mail, name (persons); tax id, domain,
    /// name (organizations).
    pub async fn find_duplicates(&self, actor: &Actor, entity: Entity, limit: usize) -> Result<Vec<DuplicateGroup>> {
        mergeable(entity)?;
        if !(1..=MAX_DUPLICATE_GROUPS).contains(&limit) {
            return Err(StoreError::invalid("limit", Common::Between { min: 1, max: MAX_DUPLICATE_GROUPS as i64 }));
        }
        let mut groups = Groups { out: Vec::new(), seen: HashSet::new(), limit };
        if entity == Entity::Person {
            let phones = identity_keys(actor, &["phone", "whatsapp"], phone_norm("value"));
            self.sql_groups(actor, entity, &mut groups, "phone", phones).await?;
            let emails = identity_keys(actor, &["email"], email_norm("value"));
            self.sql_groups(actor, entity, &mut groups, "email", emails).await?;
            self.person_name_groups(actor, &mut groups).await?;
        } else {
            let mut tax = visible_ids(Entity::Organization, actor);
            tax.clear_selects();
            tax.expr_as(call("TRIM", "tax_id"), col("k"))
                .expr_as(Expr::col(col("id")), col("rid"))
                .and_where(Expr::col(col("tax_id")).is_not_null());
            self.sql_groups(actor, entity, &mut groups, "tax_id", tax).await?;
            self.org_site_and_name_groups(actor, &mut groups).await?;
        }
        Ok(groups.out)
    }

    /// Groups of `keys` (a select of `k`, `rid`) sharing a non-empty `k`, grouped by the database.
    async fn sql_groups(
        &self,
        actor: &Actor,
        entity: Entity,
        groups: &mut Groups,
        reason: &'static str,
        keys: SelectStatement,
    ) -> Result<()> {
        if groups.left() == 0 {
            return Ok(());
        }
        let u = || col("u");
        let shared = Query::select()
            .column((u(), col("k")))
            .from_subquery(keys.clone(), u())
            .and_where(Expr::col((u(), col("k"))).ne(""))
            .group_by_col((u(), col("k")))
            // More than one record (cheaper than COUNT(DISTINCT)).
            .and_having(Expr::expr(Func::min(Expr::col((u(), col("rid"))))).ne(Expr::expr(Func::max(Expr::col((u(), col("rid")))))))
            .order_by((u(), col("k")), Order::Asc)
            // Sets already reported for an earlier reason are skipped, so ask for a few more.
            .limit((groups.left() * 2) as u64)
            .to_owned();
        let mut found: Vec<String> = Vec::new();
        for r in self.read.query_all(self.backend.build(&shared)).await? {
            found.push(r.try_get("", "k")?);
        }
        if found.is_empty() {
            return Ok(());
        }
        let members = Query::select()
            .columns([(u(), col("k")), (u(), col("rid"))])
            .from_subquery(keys, u())
            .and_where(Expr::col((u(), col("k"))).is_in(found.iter().map(String::as_str)))
            .order_by((u(), col("k")), Order::Asc)
            .order_by((u(), col("rid")), Order::Asc)
            .to_owned();
        let mut by_key: Vec<(String, Vec<i64>)> = Vec::new();
        for r in self.read.query_all(self.backend.build(&members)).await? {
            let (k, id): (String, i64) = (r.try_get("", "k")?, r.try_get("", "rid")?);
            match by_key.last_mut() {
                Some((last, ids)) if *last == k => ids.push(id),
                _ => by_key.push((k, vec![id])),
            }
        }
        let mut live = visible_ids(entity, actor);
        live.and_where(Expr::col(col("id")).is_in(by_key.iter().flat_map(|(_, ids)| ids.iter().copied())));
        let mut shown = HashSet::new();
        for r in self.read.query_all(self.backend.build(&live)).await? {
            shown.insert(r.try_get::<i64>("", "id")?);
        }
        for (k, ids) in by_key {
            groups.push(reason, k, ids.into_iter().filter(|i| shown.contains(i)).collect());
        }
        Ok(())
    }

    /// Persons of one organization with the same name key: one pass in organization order (the
    /// order of the organization index on both databases), whole organizations at a time, so
    /// only one organization's names are held at once.
    async fn person_name_groups(&self, actor: &Actor, groups: &mut Groups) -> Result<()> {
        let mut from: Option<i64> = None;
        while groups.left() > 0 {
            let mut rows = self.persons_by_org(actor, from, None).await?;
            let full = rows.len() as u64 == CHUNK;
            let (first, last) = (rows.first().map(|r| r.2), rows.last().map(|r| r.2));
            let next = match (full, first, last) {
                (false, _, _) | (_, None, _) | (_, _, None) => None,
                // One organization fills the chunk: read all of it.
                (true, Some(f), Some(l)) if f == l => {
                    rows = self.persons_by_org(actor, Some(l), Some(l)).await?;
                    Some(l + 1)
                }
                // The last organization may go on in the next chunk: it is read there whole.
                (true, _, Some(l)) => {
                    rows.retain(|r| r.2 != l);
                    Some(l)
                }
            };
            for chunk in rows.chunk_by(|a, b| a.2 == b.2) {
                let mut names: HashMap<String, Vec<i64>> = HashMap::new();
                for (id, name, _) in chunk {
                    let key = name_key(name);
                    if !key.is_empty() {
                        names.entry(key).or_default().push(*id);
                    }
                }
                groups.push_map("name", names);
            }
            match next {
                Some(n) => from = Some(n),
                None => break,
            }
        }
        Ok(())
    }

    /// Visible live persons with an organization from `from` on (up to `to`, or [`CHUNK`] of
    /// them), as (id, name, organization), in organization order.
    async fn persons_by_org(&self, actor: &Actor, from: Option<i64>, to: Option<i64>) -> Result<Vec<(i64, String, i64)>> {
        let mut q = visible_ids(Entity::Person, actor);
        q.columns(["name", "organization_id"].map(col))
            .and_where(Expr::col(col("organization_id")).is_not_null())
            .order_by(col("organization_id"), Order::Asc);
        if let Some(f) = from {
            q.and_where(Expr::col(col("organization_id")).gte(f));
        }
        match to {
            Some(t) => q.and_where(Expr::col(col("organization_id")).lte(t)),
            None => q.limit(CHUNK),
        };
        let rows = self.read.query_all(self.backend.build(&q)).await?;
        rows.iter().map(|r| Ok((r.try_get("", "id")?, r.try_get("", "name")?, r.try_get("", "organization_id")?))).collect()
    }

    /// Organizations with the same website domain, then with the same name key: one pass by id.
    async fn org_site_and_name_groups(&self, actor: &Actor, groups: &mut Groups) -> Result<()> {
        if groups.left() == 0 {
            return Ok(());
        }
        let (mut domains, mut names): (HashMap<String, Vec<i64>>, HashMap<String, Vec<i64>>) = Default::default();
        let mut after = 0i64;
        loop {
            let mut q = visible_ids(Entity::Organization, actor);
            q.columns(["name", "website"].map(col)).and_where(Expr::col(col("id")).gt(after)).order_by(col("id"), Order::Asc).limit(CHUNK);
            let rows = self.read.query_all(self.backend.build(&q)).await?;
            for r in &rows {
                let (id, name, site): (i64, String, Option<String>) =
                    (r.try_get("", "id")?, r.try_get("", "name")?, r.try_get("", "website")?);
                if let Some(d) = site.as_deref().and_then(domain_key) {
                    domains.entry(d).or_default().push(id);
                }
                let key = org_name_key(&name);
                if !key.is_empty() {
                    names.entry(key).or_default().push(id);
                }
                after = id;
            }
            if (rows.len() as u64) < CHUNK {
                break;
            }
        }
        groups.push_map("domain", domains);
        groups.push_map("name", names);
        Ok(())
    }

    /// Live records the caller sees that may be the same client as `entity` `id`: the finder's
    /// reasons, for one record (what its card offers to merge with).
    pub async fn duplicates_of(&self, actor: &Actor, entity: Entity, id: i64) -> Result<Vec<Candidate>> {
        mergeable(entity)?;
        let row = self.get(actor, entity, id).await?;
        let mut out: Vec<Candidate> = Vec::new();
        let mut add = |cid: i64, reason: &'static str| {
            if cid != id && !out.iter().any(|c| c.id == cid) {
                out.push(Candidate { id: cid, reason });
            }
        };
        if entity == Entity::Person {
            for (reason, kinds) in [("phone", &["phone", "whatsapp"][..]), ("email", &["email"][..])] {
                for (cid, _) in self.sharing_identities(actor, id, kinds).await? {
                    add(cid, reason);
                }
            }
            if let Some(org) = row.get("organization_id").as_int() {
                let key = name_key(row.get("name").as_text().unwrap_or(""));
                let mut q = visible_select(Entity::Person, actor, false);
                q.and_where(Expr::col(col("organization_id")).eq(org));
                for r in self.read.query_all(self.backend.build(&q)).await? {
                    let p = decode(Entity::Person, &r)?;
                    if !key.is_empty() && name_key(p.get("name").as_text().unwrap_or("")) == key {
                        add(p.id(), "name");
                    }
                }
            }
            return Ok(out);
        }
        let tax = row.get("tax_id").as_text().map(str::trim).filter(|t| !t.is_empty());
        let domain = row.get("website").as_text().and_then(domain_key);
        let key = org_name_key(row.get("name").as_text().unwrap_or(""));
        // The longest word narrows the scan in SQL; `е` matches `ё` too (`_` is any one letter).
        let word = key.split(' ').max_by_key(|w| w.chars().count()).unwrap_or("").replace('е', "_");
        let lower = if self.backend == DbBackend::Sqlite { crate::filter_sql::SQLITE_LOWER } else { "LOWER" };
        let mut any = Vec::new();
        if let Some(t) = tax {
            any.push(call("TRIM", "tax_id").eq(t));
        }
        if let Some(d) = &domain {
            any.push(call(lower, "website").like(format!("%{d}%")));
        }
        if !word.is_empty() {
            any.push(call(lower, "name").like(format!("%{word}%")));
        }
        let Some(cond) = any.into_iter().reduce(SimpleExpr::or) else { return Ok(out) };
        let mut q = visible_select(Entity::Organization, actor, false);
        q.and_where(cond).and_where(Expr::col(col("id")).ne(id)).order_by(col("id"), Order::Asc).limit(200);
        for r in self.read.query_all(self.backend.build(&q)).await? {
            let o = decode(Entity::Organization, &r)?;
            if tax.is_some() && o.get("tax_id").as_text().map(str::trim) == tax {
                add(o.id(), "tax_id");
            } else if domain.is_some() && o.get("website").as_text().and_then(domain_key) == domain {
                add(o.id(), "domain");
            } else if !key.is_empty() && org_name_key(o.get("name").as_text().unwrap_or("")) == key {
                add(o.id(), "name");
            }
        }
        Ok(out)
    }

    /// Visible live persons other than `id` holding an identity of `kinds` with one of its values.
    async fn sharing_identities(&self, actor: &Actor, id: i64, kinds: &[&str]) -> Result<Vec<(i64, String)>> {
        let own = Query::select()
            .column(col("value"))
            .from(col("identities"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("person_id")).eq(id))
            .and_where(Expr::col(col("kind")).is_in(kinds.iter().copied()))
            .to_owned();
        let q = Query::select()
            .columns(["person_id", "value"].map(col))
            .from(col("identities"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("kind")).is_in(kinds.iter().copied()))
            .and_where(Expr::col(col("value")).in_subquery(own))
            .and_where(Expr::col(col("person_id")).ne(id))
            .and_where(Expr::col(col("person_id")).in_subquery(visible_ids(Entity::Person, actor)))
            .order_by(col("person_id"), Order::Asc)
            .to_owned();
        let rows = self.read.query_all(self.backend.build(&q)).await?;
        rows.iter().map(|r| Ok((r.try_get("", "person_id")?, r.try_get("", "value")?))).collect()
    }

    /// Live records of `entity` among `ids` that the caller sees, in the order of `ids`.
    pub async fn rows_by_ids(&self, actor: &Actor, entity: Entity, ids: &[i64]) -> Result<Vec<Row>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = visible_select(entity, actor, false);
        q.and_where(Expr::col(col("id")).is_in(ids.iter().copied()));
        let mut rows = Vec::new();
        for r in self.read.query_all(self.backend.build(&q)).await? {
            rows.push(decode(entity, &r)?);
        }
        rows.sort_by_key(|r| ids.iter().position(|i| *i == r.id()));
        Ok(rows)
    }

    /// How many live deals the caller sees are linked to each of `ids` (persons or organizations).
    pub async fn deal_counts(&self, actor: &Actor, entity: Entity, ids: &[i64]) -> Result<HashMap<i64, i64>> {
        mergeable(entity)?;
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let link = if entity == Entity::Person { "person_id" } else { "organization_id" };
        let mut q = Query::select();
        q.expr_as(Expr::col(col(link)), col("rid"))
            .expr_as(Func::count(Expr::col(col("id"))), col("n"))
            .from(col("deals"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("deleted_at")).is_null())
            .and_where(Expr::col(col(link)).is_in(ids.iter().copied()))
            .group_by_col(col(link));
        if let Some(cond) = scope_condition(Entity::Deal, &actor.caller) {
            q.and_where(cond);
        }
        let rows = self.read.query_all(self.backend.build(&q)).await?;
        rows.iter().map(|r| Ok((r.try_get("", "rid")?, r.try_get("", "n")?))).collect()
    }

    /// Merges `remove_id` into `keep_id` (both persons or both organizations, live, and the
    /// caller's to see and change), in one transaction: everything linked to the removed record
    /// moves to the kept one, the kept record's empty fields take the removed one's values, and
    /// the removed record is soft-deleted with `merged_into`. Both get a history event. Returns
    /// the kept record.
    pub async fn merge(&self, actor: &Actor, entity: Entity, keep_id: i64, remove_id: i64) -> Result<Row> {
        mergeable(entity)?;
        actor.caller.may_write(entity).map_err(StoreError::forbidden)?;
        let tx = self.write.begin().await?;
        let row = self.merge_in(&tx, actor, entity, keep_id, remove_id).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// [`Db::merge`] inside the caller's transaction (intake merges a Telegram-only card into the
    /// card of the phone its owner shared).
    ///
    /// Every change goes through the write pipeline (rules, regulation, history, webhooks): each
    /// live record linked to `remove_id` is updated to point at `keep_id`, then `remove_id` is
    /// deleted and `keep_id` updated with the fields it lacked. The caller's right to merge was
    /// checked on both records, so the linked ones are written whoever's they are.
    pub(crate) async fn merge_in(
        &self,
        tx: &impl ConnectionTrait,
        actor: &Actor,
        entity: Entity,
        keep_id: i64,
        remove_id: i64,
    ) -> Result<Row> {
        mergeable(entity)?;
        if keep_id == remove_id {
            return Err(StoreError::invalid("merge_id", RecordMsg::MergeSelf {}));
        }
        let now = self.clock.now_ms();
        fetch_one(tx, self.backend, entity, actor, keep_id, false).await?;
        if let Err(e) = fetch_one(tx, self.backend, entity, actor, remove_id, false).await {
            return Err(match e {
                StoreError::NotFound => {
                    StoreError::invalid("merge_id", RecordMsg::NoRecord { what: entity.name().to_string(), id: remove_id })
                }
                other => other,
            });
        }
        self.claim(tx, actor, entity, keep_id, remove_id, now).await?;
        // Read again once both are held: what a concurrent write left is what gets filled.
        let keep = fetch_one(tx, self.backend, entity, actor, keep_id, false).await?;
        let remove = fetch_one(tx, self.backend, entity, actor, remove_id, false).await?;
        let defs = read_custom_defs(tx, self.backend, actor.ws_id(), Some(entity)).await?;
        let mut fills = filled_fields(&keep, &remove, &defs.iter().map(|(_, d)| d.key.as_str()).collect::<Vec<_>>());
        // A link the removed card kept to a since-deleted organization or a deactivated owner is
        // not carried over (the write would refuse it).
        for (name, table) in [("owner_id", "users"), ("organization_id", "organizations")] {
            let Some(id) = fills.get(name).and_then(Json::as_i64) else { continue };
            let mut q = Query::select();
            q.column(col("id"))
                .from(col(table))
                .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
                .and_where(Expr::col(col("id")).eq(id));
            if table == "users" {
                q.and_where(Expr::col(col("active")).eq(true));
            } else {
                q.and_where(Expr::col(col("deleted_at")).is_null());
            }
            if crate::rules::scalar_i64(tx, self.backend, &q).await?.is_none() {
                fills.remove(name);
            }
        }
        let system = system_view(actor);
        self.move_links(tx, &system, entity, keep_id, remove_id, now).await?;
        let chain = Query::update()
            .table(col(entity.table()))
            .value(col("merged_into"), keep_id)
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("merged_into")).eq(remove_id).or(Expr::col(col("id")).eq(remove_id)))
            .to_owned();
        tx.execute(self.backend.build(&chain)).await?;
        let noted = |k: &str, id: i64| Map::from_iter([(k.to_string(), json!(id))]);
        self.delete_noted(tx, &system, entity, remove_id, noted("merged_into", keep_id)).await?;
        self.update_noted(tx, &system, entity, keep_id, &Json::Object(fills), noted("merged_from", remove_id)).await?;
        fetch_one(tx, self.backend, entity, actor, keep_id, false).await
    }

    /// Takes both records for this merge: on PostgreSQL a concurrent merge of either waits here
    /// and then finds it gone.
    async fn claim(&self, tx: &impl ConnectionTrait, actor: &Actor, entity: Entity, keep: i64, remove: i64, now: i64) -> Result<()> {
        let q = Query::update()
            .table(col(entity.table()))
            .value(col("updated_at"), now)
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("id")).is_in([keep, remove]))
            .and_where(Expr::col(col("deleted_at")).is_null())
            .to_owned();
        if tx.execute(self.backend.build(&q)).await?.rows_affected() != 2 {
            return Err(StoreError::Conflict { field: Some("merge_id".into()), msg: RecordMsg::MergeBusy {}.into() });
        }
        Ok(())
    }

    /// Points every row linked to `remove` at `keep`: live records through the write pipeline
    /// (each with its history event and webhooks), deleted ones in place (their history names the
    /// kept record then), and rows that are no records (messages, touches, identities) in place.
    async fn move_links(&self, tx: &impl ConnectionTrait, actor: &Actor, entity: Entity, keep: i64, remove: i64, now: i64) -> Result<()> {
        let (link, records, rows): (&str, &[Entity], &[&str]) = if entity == Entity::Person {
            ("person_id", &[Entity::Deal, Entity::Activity, Entity::Note], &["messages", "touches", "identities"])
        } else {
            ("organization_id", &[Entity::Deal, Entity::Activity, Entity::Note, Entity::Person], &[])
        };
        // What the removed person's calls, notes and messages count for once they are the kept
        // person's: their clients' last activity (read before the move, touched after it).
        let touches = if entity == Entity::Person { self.person_touches(tx, actor.ws_id(), remove).await? } else { Vec::new() };
        self.relink(tx, actor, records, link, keep, remove, now).await?;
        for table in rows {
            let q = Query::update()
                .table(col(table))
                .value(col(link), keep)
                .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
                .and_where(Expr::col(col(link)).eq(remove))
                .to_owned();
            tx.execute(self.backend.build(&q)).await?;
        }
        for (organization_id, deal_id, at) in touches {
            let links = crate::activity_clock::Links { organization_id, deal_id, person_id: Some(keep) };
            crate::activity_clock::touch(tx, self.backend, actor.ws_id(), links, at).await?;
        }
        if entity == Entity::Organization {
            self.move_custom_refs(tx, actor, keep, remove).await?;
            // The client's last touch is the later of the two cards'.
            let sql = "UPDATE organizations SET last_activity_at = (SELECT r.last_activity_at FROM organizations r WHERE r.workspace_id = $1 AND r.id = $3) \
                       WHERE workspace_id = $1 AND id = $2 AND COALESCE(last_activity_at, 0) < \
                       (SELECT COALESCE(r.last_activity_at, 0) FROM organizations r WHERE r.workspace_id = $1 AND r.id = $3)";
            let sql = if self.is_postgres() { sql.to_string() } else { sql.replace('$', "?") };
            let values: Vec<sea_orm::Value> = vec![actor.ws_id().into(), keep.into(), remove.into()];
            tx.execute(sea_orm::Statement::from_sql_and_values(self.backend, sql, values)).await?;
        }
        Ok(())
    }

    /// A person's live records that count as a client's activity (done activities, notes,
    /// messages), grouped by what else they link to: `(organization_id, deal_id, latest instant)`.
    async fn person_touches(&self, tx: &impl ConnectionTrait, ws: i64, person: i64) -> Result<Vec<(Option<i64>, Option<i64>, i64)>> {
        let done = if self.is_postgres() { "done" } else { "done = 1" };
        let sqls = [
            (
                true,
                format!(
                    "SELECT organization_id, deal_id, MAX(COALESCE(done_at, created_at)) AS t FROM activities \
                 WHERE workspace_id = $1 AND person_id = $2 AND {done} AND deleted_at IS NULL GROUP BY organization_id, deal_id"
                ),
            ),
            (
                true,
                "SELECT organization_id, deal_id, MAX(created_at) AS t FROM notes \
                 WHERE workspace_id = $1 AND person_id = $2 AND deleted_at IS NULL GROUP BY organization_id, deal_id"
                    .to_string(),
            ),
            (
                false,
                "SELECT deal_id, MAX(sent_at) AS t FROM messages WHERE workspace_id = $1 AND person_id = $2 GROUP BY deal_id".to_string(),
            ),
        ];
        let mut out = Vec::new();
        for (has_org, sql) in sqls {
            let sql = if self.is_postgres() { sql } else { sql.replace('$', "?") };
            let values: Vec<sea_orm::Value> = vec![ws.into(), person.into()];
            for r in tx.query_all(sea_orm::Statement::from_sql_and_values(self.backend, sql, values)).await? {
                let org: Option<i64> = if has_org { r.try_get("", "organization_id")? } else { None };
                if let Some(t) = r.try_get::<Option<i64>>("", "t")? {
                    out.push((org, r.try_get("", "deal_id")?, t));
                }
            }
        }
        Ok(out)
    }

    /// Points the `link` of every record of `records` that names `remove` at `keep`: live ones
    /// through the write pipeline, as `actor` (each with its history event and webhooks), deleted
    /// ones in place.
    #[expect(clippy::too_many_arguments)]
    pub(crate) async fn relink(
        &self,
        tx: &impl ConnectionTrait,
        actor: &Actor,
        records: &[Entity],
        link: &str,
        keep: i64,
        remove: i64,
        now: i64,
    ) -> Result<()> {
        for linked in records {
            let live = Query::select()
                .column(col("id"))
                .from(col(linked.table()))
                .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
                .and_where(Expr::col(col(link)).eq(remove))
                .and_where(Expr::col(col("deleted_at")).is_null())
                .order_by(col("id"), Order::Asc)
                .to_owned();
            for r in tx.query_all(self.backend.build(&live)).await? {
                let id: i64 = r.try_get("", "id")?;
                self.update_in(tx, actor, *linked, id, &json!({ link: keep })).await?;
            }
            let deleted = Query::update()
                .table(col(linked.table()))
                .value(col(link), keep)
                .value(col("updated_at"), now)
                .value(col("version"), bump_version())
                .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
                .and_where(Expr::col(col(link)).eq(remove))
                .to_owned();
            tx.execute(self.backend.build(&deleted)).await?;
        }
        Ok(())
    }

    /// Custom fields of type organization that name `remove` name `keep` instead.
    async fn move_custom_refs(&self, tx: &impl ConnectionTrait, actor: &Actor, keep: i64, remove: i64) -> Result<()> {
        let defs = read_custom_defs(tx, self.backend, actor.ws_id(), None).await?;
        for (owner, def) in defs.iter().filter(|(_, d)| d.field_type == CustomFieldType::Organization) {
            // Stored compactly by serde_json, so the value follows the key directly.
            let needle = format!("%{}:{remove}%", Json::String(def.key.clone()));
            let q = Query::select()
                .columns(["id", "custom", "deleted_at"].map(col))
                .from(col(owner.table()))
                .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
                .and_where(Expr::col(col("custom")).like(needle))
                .to_owned();
            for r in tx.query_all(self.backend.build(&q)).await? {
                let (id, text): (i64, String) = (r.try_get("", "id")?, r.try_get("", "custom")?);
                let mut custom: Map<String, Json> = serde_json::from_str(&text).unwrap_or_default();
                if custom.get(&def.key).and_then(Json::as_i64) != Some(remove) {
                    continue;
                }
                if r.try_get::<Option<i64>>("", "deleted_at")?.is_none() {
                    self.update_in(tx, actor, *owner, id, &json!({"custom": { def.key.as_str(): keep }})).await?;
                    continue;
                }
                custom.insert(def.key.clone(), json!(keep));
                let upd = Query::update()
                    .table(col(owner.table()))
                    .value(col("custom"), Json::Object(custom).to_string())
                    .value(col("version"), bump_version())
                    .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
                    .and_where(Expr::col(col("id")).eq(id))
                    .to_owned();
                tx.execute(self.backend.build(&upd)).await?;
            }
        }
        Ok(())
    }
}

/// Fields of the kept record a merge may fill from the removed one when empty.
const PERSON_FILLS: &[&str] = &["name", "organization_id", "owner_id", "job_title", "phone", "email", "telegram", "whatsapp"];
const ORG_FILLS: &[&str] = &["name", "owner_id", "address", "website", "tax_id"];

fn is_empty(v: &Val) -> bool {
    match v {
        Val::Null => true,
        Val::Text(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// The kept record's empty fields that the removed one has, as the body of an update (custom
/// keys only those with a live definition among `custom_keys`). Contact fields need no new
/// identity: the removed person's identities move with it.
fn filled_fields(keep: &Row, remove: &Row, custom_keys: &[&str]) -> Map<String, Json> {
    let mut body = Map::new();
    let names = if keep.entity == Entity::Person { PERSON_FILLS } else { ORG_FILLS };
    for name in names {
        let (before, theirs) = (keep.get(name), remove.get(name));
        if let (true, false, Some(f)) = (is_empty(before), is_empty(theirs), keep.entity.field(name)) {
            body.insert(name.to_string(), to_json(f.kind, theirs));
        }
    }
    if keep.entity == Entity::Person {
        // The removed person's numbers and addresses stay visible on the kept card: those not
        // already its main one join its others (their identities move with the merge).
        for (main, others) in [("phone", "other_phones"), ("email", "other_emails")] {
            let list = |r: &Row| r.get(others).as_text().and_then(|s| serde_json::from_str::<Vec<String>>(s).ok()).unwrap_or_default();
            let kept_main = body.get(main).and_then(Json::as_str).or(keep.get(main).as_text()).map(str::to_string);
            let mut merged = list(keep);
            for v in remove.get(main).as_text().map(str::to_string).into_iter().chain(list(remove)) {
                if Some(&v) != kept_main.as_ref() && !merged.contains(&v) && merged.len() < poryadok_core::validate::MAX_CONTACTS {
                    merged.push(v);
                }
            }
            if merged != list(keep) {
                body.insert(others.to_string(), Json::from(merged));
            }
        }
    }
    let parse = |r: &Row| r.get("custom").as_text().and_then(|s| serde_json::from_str::<Map<String, Json>>(s).ok()).unwrap_or_default();
    let mine = parse(keep);
    let missing: Map<String, Json> = parse(remove)
        .into_iter()
        .filter(|(k, v)| !v.is_null() && mine.get(k).is_none_or(Json::is_null) && custom_keys.contains(&k.as_str()))
        .collect();
    if !missing.is_empty() {
        body.insert("custom".into(), Json::Object(missing));
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_by_sorted_words_without_case_or_punctuation() {
        assert_eq!(name_key("Иванов Иван"), name_key("иван  ИВАНОВ"));
        assert_eq!(name_key("Пётр Сёмин"), "петр семин");
        assert_eq!(name_key("Анна-Мария, Смит."), "анна мария смит");
        assert_ne!(name_key("Иван Иванов"), name_key("Иван Петров"));
        assert_eq!(name_key(" .,- "), "");
    }

    #[test]
    fn organization_names_ignore_legal_forms_unless_nothing_else_is_left() {
        assert_eq!(org_name_key("ООО «Ромашка»"), "ромашка");
        assert_eq!(org_name_key("Ромашка, ооо"), "ромашка");
        assert_eq!(org_name_key("Acme Corp."), "acme");
        assert_eq!(org_name_key("ООО"), "ооо");
        assert_ne!(org_name_key("Ромашка Плюс"), org_name_key("Ромашка"));
    }

    #[test]
    fn domains_drop_scheme_www_port_and_path() {
        for site in ["https://www.Romashka.ru/about", "http://romashka.ru", "romashka.ru:8080/?q=1", "https://user@www.romashka.ru."] {
            assert_eq!(domain_key(site).as_deref(), Some("romashka.ru"), "{site}");
        }
        assert_eq!(domain_key("https://vk.com/romashka?w=1").as_deref(), Some("vk.com/romashka"));
        assert_eq!(domain_key("https://vk.com/"), None);
        assert_eq!(domain_key("localhost"), None);
        assert_eq!(domain_key(""), None);
    }

    #[test]
    fn a_set_of_ids_is_reported_once_and_within_the_limit() {
        let mut g = Groups { out: Vec::new(), seen: HashSet::new(), limit: 2 };
        g.push("phone", "7916".into(), vec![3, 1]);
        g.push("email", "a@b.c".into(), vec![1, 3]);
        g.push("name", "x".into(), vec![5]);
        g.push("name", "y".into(), vec![5, 6]);
        g.push("name", "z".into(), vec![7, 8]);
        assert_eq!(g.out.iter().map(|x| (x.reason, x.ids.clone())).collect::<Vec<_>>(), [("phone", vec![1, 3]), ("name", vec![5, 6])]);
    }
}
