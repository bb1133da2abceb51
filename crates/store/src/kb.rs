//! The knowledge base: articles (`kb_articles`), every saved text as a version (`kb_versions`,
//! written with the article in one transaction, with its author and time), and links from the
//! regulation's objects by their stable keys (`kb_links`).
//!
//! Everyone in a workspace reads; administrators and heads of sales write
//! ([`poryadok_core::domain::Role::can_configure_regulation`]). Every write is one transaction
//! that also appends a history event (`entity = "kb_article"`). A deleted article is marked
//! deleted, its versions stay; creating its key again revives it with its history.
//!
//! [`export_articles`] and [`apply_articles`] are the regulation file's section `[[articles]]`:
//! apply runs inside the caller's transaction and makes the workspace's articles match the file
//! (creates, changes, deletes), keeping versions.
//!
//! Search is a word match anywhere in the title, section or body: every word of the query must
//! occur in `search_text` (the three in lower case, folded in Rust so Cyrillic folds on SQLite
//! too). A knowledge base holds hundreds of articles, not millions; the scan is scoped by workspace.
use crate::actor::Actor;
use crate::error::{Result, StoreError};
use crate::records::append_history;
use crate::sql::{col, insert_id};
use crate::Db;
use poryadok_core::domain::HistoryAction;
use poryadok_core::kb::{check_all, slug, ArticleKind, ArticleSpec, Link, LinkKind};
use poryadok_core::msg::KbMsg;
use sea_orm::{ConnectionTrait, QueryResult};
use sea_query::{Alias, Expr, JoinType, LikeExpr, Order, Query, SelectStatement};
use serde::Serialize;
use serde_json::{json, Map};
use std::collections::HashMap;

/// History's entity name for an article.
pub const ENTITY: &str = "kb_article";

/// An article in a list: no body.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ArticleSummary {
    pub id: i64,
    pub key: String,
    pub section: String,
    pub title: String,
    pub kind: String,
    pub version: i64,
    #[serde(serialize_with = "crate::serde_time::ms")]
    pub updated_at: i64,
}

/// An article with its text and links.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Article {
    pub id: i64,
    pub key: String,
    pub section: String,
    pub title: String,
    pub kind: String,
    pub body: String,
    pub links: Vec<String>,
    pub version: i64,
    pub updated_by: Option<i64>,
    pub updated_by_name: Option<String>,
    #[serde(serialize_with = "crate::serde_time::ms")]
    pub created_at: i64,
    #[serde(serialize_with = "crate::serde_time::ms")]
    pub updated_at: i64,
}

impl Article {
    pub fn is_script(&self) -> bool {
        self.kind == ArticleKind::Script.as_str()
    }
}

/// One saved text of an article.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ArticleVersion {
    pub version: i64,
    pub section: String,
    pub title: String,
    pub kind: String,
    pub body: String,
    pub links: Vec<String>,
    pub author_id: Option<i64>,
    pub author_name: Option<String>,
    #[serde(serialize_with = "crate::serde_time::ms")]
    pub created_at: i64,
}

/// A section and how many articles it holds.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Section {
    pub name: String,
    pub articles: i64,
}

/// An article linked from an object: which object (its key) and the article.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LinkedArticle {
    pub target_key: String,
    pub key: String,
    pub title: String,
    pub kind: String,
}

/// An object an article may link to, as the editor's picker offers it: the link (`stage:clients/new`),
/// its kind and a label a person reads (`Клиенты → Новый`, a rule's name, a template's key).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LinkTarget {
    pub link: String,
    pub kind: String,
    pub label: String,
}

/// Everything articles of the workspace may link to, by kind: the keyed stages of live pipelines
/// in board order (as `stage:` and as `entry_task:`, by `<pipeline key>/<stage key>`), the
/// workspace's rules (by key, or catalogue key) and the built-in catalogue's, the message templates.
async fn link_targets(conn: &impl ConnectionTrait, ws: i64, lang: poryadok_core::msg::Lang) -> Result<Vec<LinkTarget>> {
    let backend = conn.get_database_backend();
    let q = keyed_stages(ws)
        .column((col("s"), col("name")))
        .expr_as(Expr::col((col("p"), col("name"))), Alias::new("pipeline_name"))
        .and_where(Expr::col((col("s"), col("deleted_at"))).is_null())
        .and_where(Expr::col((col("p"), col("deleted_at"))).is_null())
        .order_by((col("p"), col("position")), Order::Asc)
        .order_by((col("p"), col("id")), Order::Asc)
        .order_by((col("s"), col("position")), Order::Asc)
        .order_by((col("s"), col("id")), Order::Asc)
        .to_owned();
    let (mut stages, mut tasks) = (Vec::new(), Vec::new());
    for r in conn.query_all(backend.build(&q)).await? {
        let key: String = r.try_get("", "key")?;
        let full = match r.try_get::<Option<String>>("", "pipeline_key")? {
            Some(p) => format!("{p}/{key}"),
            None => key,
        };
        let label = format!("{} → {}", r.try_get::<String>("", "pipeline_name")?, r.try_get::<String>("", "name")?);
        stages.push(LinkTarget { link: format!("stage:{full}"), kind: LinkKind::Stage.as_str().into(), label: label.clone() });
        tasks.push(LinkTarget { link: format!("entry_task:{full}"), kind: LinkKind::EntryTask.as_str().into(), label });
    }
    let mut out = stages;
    out.append(&mut tasks);
    let q = Query::select()
        .columns(["key", "catalogue_key", "name"].map(col))
        .from(col("rules"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .and_where(Expr::col(col("deleted_at")).is_null())
        .order_by(col("position"), Order::Asc)
        .order_by(col("id"), Order::Asc)
        .to_owned();
    let mut rule_keys = Vec::new();
    for r in conn.query_all(backend.build(&q)).await? {
        let key = r.try_get::<Option<String>>("", "key")?.or(r.try_get::<Option<String>>("", "catalogue_key")?);
        if let Some(k) = key {
            rule_keys.push(k.clone());
            out.push(LinkTarget { link: format!("rule:{k}"), kind: LinkKind::Rule.as_str().into(), label: r.try_get("", "name")? });
        }
    }
    for c in poryadok_core::hygiene::catalogue() {
        if !rule_keys.iter().any(|k| k == c.key) {
            out.push(LinkTarget { link: format!("rule:{}", c.key), kind: LinkKind::Rule.as_str().into(), label: c.name(lang).to_string() });
        }
    }
    let q = Query::select()
        .column(col("key"))
        .distinct()
        .from(col("message_templates"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .order_by(col("key"), Order::Asc)
        .to_owned();
    for r in conn.query_all(backend.build(&q)).await? {
        let key: String = r.try_get("", "key")?;
        out.push(LinkTarget { link: format!("template:{key}"), kind: LinkKind::Template.as_str().into(), label: key });
    }
    Ok(out)
}

/// Refuses a link naming nothing in the workspace (`kb_link_unknown`). A stage may be named by its
/// key alone, a rule by its key or catalogue key; links the article already has are not checked
/// again (an object removed since keeps its link until the editor drops it).
async fn check_links_known(
    conn: &impl ConnectionTrait,
    ws: i64,
    lang: poryadok_core::msg::Lang,
    links: &[Link],
    had: &[String],
) -> Result<()> {
    let fresh: Vec<&Link> = links.iter().filter(|l| !had.contains(&l.to_string())).collect();
    if fresh.is_empty() {
        return Ok(());
    }
    let targets = link_targets(conn, ws, lang).await?;
    let mut known: std::collections::HashSet<String> = targets.iter().map(|t| t.link.clone()).collect();
    for t in &targets {
        // `stage:<stage key>` and `entry_task:<stage key>` match that key in any pipeline.
        if let Some((kind, rest)) = t.link.split_once(':') {
            if let Some((_, stage)) = rest.split_once('/') {
                known.insert(format!("{kind}:{stage}"));
            }
        }
    }
    let q = Query::select()
        .columns(["key", "catalogue_key"].map(col))
        .from(col("rules"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .and_where(Expr::col(col("deleted_at")).is_null())
        .to_owned();
    for r in conn.query_all(conn.get_database_backend().build(&q)).await? {
        for k in [r.try_get::<Option<String>>("", "key")?, r.try_get::<Option<String>>("", "catalogue_key")?].into_iter().flatten() {
            known.insert(format!("rule:{k}"));
        }
    }
    match fresh.into_iter().find(|l| !known.contains(&l.to_string())) {
        Some(l) => Err(StoreError::invalid("links", KbMsg::LinkUnknown { link: l.to_string() })),
        None => Ok(()),
    }
}

/// What an editor sends: an article without a key gets one made from its title.
#[derive(Debug, Clone, Default)]
pub struct ArticleInput {
    pub key: Option<String>,
    pub section: String,
    pub title: String,
    pub kind: ArticleKind,
    pub body: String,
    pub links: Vec<Link>,
}

fn search_text(section: &str, title: &str, body: &str) -> String {
    format!("{title}\n{section}\n{body}").to_lowercase()
}

fn links_text(links: &[Link]) -> String {
    links.iter().map(Link::to_string).collect::<Vec<_>>().join("\n")
}

fn links_from_text(s: &str) -> Vec<String> {
    s.lines().filter(|l| !l.is_empty()).map(str::to_string).collect()
}

fn can_edit(actor: &Actor) -> Result<()> {
    if actor.caller.role.can_configure_regulation() {
        Ok(())
    } else {
        Err(StoreError::forbidden(KbMsg::EditorsOnly {}))
    }
}

const ARTICLE_COLS: [&str; 11] =
    ["id", "key", "section", "title", "kind", "body", "version", "created_at", "updated_at", "updated_by", "deleted_at"];

fn article_select(ws: i64) -> SelectStatement {
    let mut q = Query::select();
    q.columns(ARTICLE_COLS.map(|c| (col("a"), col(c))))
        .expr_as(Expr::col((col("u"), col("name"))), Alias::new("author_name"))
        .from_as(col("kb_articles"), col("a"))
        .join_as(
            JoinType::LeftJoin,
            col("users"),
            col("u"),
            Expr::col((col("u"), col("id"))).equals((col("a"), col("updated_by"))).and(Expr::col((col("u"), col("workspace_id"))).eq(ws)),
        )
        .and_where(Expr::col((col("a"), col("workspace_id"))).eq(ws));
    q
}

struct Row {
    article: Article,
    deleted: bool,
}

fn article_from(r: &QueryResult) -> Result<Row> {
    Ok(Row {
        article: Article {
            id: r.try_get("", "id")?,
            key: r.try_get("", "key")?,
            section: r.try_get("", "section")?,
            title: r.try_get("", "title")?,
            kind: r.try_get("", "kind")?,
            body: r.try_get("", "body")?,
            links: Vec::new(),
            version: r.try_get("", "version")?,
            updated_by: r.try_get("", "updated_by")?,
            updated_by_name: r.try_get("", "author_name")?,
            created_at: r.try_get("", "created_at")?,
            updated_at: r.try_get("", "updated_at")?,
        },
        deleted: r.try_get::<Option<i64>>("", "deleted_at")?.is_some(),
    })
}

async fn links_of(conn: &impl ConnectionTrait, ws: i64, ids: &[i64]) -> Result<HashMap<i64, Vec<String>>> {
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let q = Query::select()
        .columns(["article_id", "target_kind", "target_key"].map(col))
        .from(col("kb_links"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .and_where(Expr::col(col("article_id")).is_in(ids.iter().copied()))
        .order_by(col("target_kind"), Order::Asc)
        .order_by(col("target_key"), Order::Asc)
        .to_owned();
    for r in conn.query_all(conn.get_database_backend().build(&q)).await? {
        let (id, kind, key): (i64, String, String) =
            (r.try_get("", "article_id")?, r.try_get("", "target_kind")?, r.try_get("", "target_key")?);
        out.entry(id).or_default().push(format!("{kind}:{key}"));
    }
    Ok(out)
}

/// The article with this key, deleted ones included (for reviving), with its links.
async fn find(conn: &impl ConnectionTrait, ws: i64, key: &str, with_deleted: bool) -> Result<Option<Row>> {
    let mut q = article_select(ws);
    q.and_where(Expr::col((col("a"), col("key"))).eq(key)).order_by((col("a"), col("id")), Order::Desc).limit(1);
    if !with_deleted {
        q.and_where(Expr::col((col("a"), col("deleted_at"))).is_null());
    }
    let Some(r) = conn.query_one(conn.get_database_backend().build(&q)).await? else { return Ok(None) };
    let mut row = article_from(&r)?;
    row.article.links = links_of(conn, ws, &[row.article.id]).await?.remove(&row.article.id).unwrap_or_default();
    Ok(Some(row))
}

async fn replace_links(conn: &impl ConnectionTrait, ws: i64, id: i64, links: &[Link]) -> Result<()> {
    let backend = conn.get_database_backend();
    let del = Query::delete()
        .from_table(col("kb_links"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .and_where(Expr::col(col("article_id")).eq(id))
        .to_owned();
    conn.execute(backend.build(&del)).await?;
    if links.is_empty() {
        return Ok(());
    }
    let mut q = Query::insert();
    q.into_table(col("kb_links")).columns(["workspace_id", "article_id", "target_kind", "target_key"].map(col));
    for l in links {
        q.values([ws.into(), id.into(), l.kind.as_str().into(), l.key.clone().into()]).map_err(|e| StoreError::Internal(e.to_string()))?;
    }
    conn.execute(backend.build(&q)).await?;
    Ok(())
}

async fn insert_version(conn: &impl ConnectionTrait, actor: &Actor, id: i64, version: i64, spec: &ArticleSpec, now: i64) -> Result<()> {
    let q = Query::insert()
        .into_table(col("kb_versions"))
        .columns(["workspace_id", "article_id", "version", "section", "title", "kind", "body", "links", "author_id", "created_at"].map(col))
        .values([
            actor.ws_id().into(),
            id.into(),
            version.into(),
            spec.section.clone().into(),
            spec.title.clone().into(),
            spec.kind.as_str().into(),
            spec.body.clone().into(),
            links_text(&spec.normalized_links()).into(),
            (actor.user_id() != 0).then_some(actor.user_id()).into(),
            now.into(),
        ])
        .map_err(|e| StoreError::Internal(e.to_string()))?
        .to_owned();
    conn.execute(conn.get_database_backend().build(&q)).await?;
    Ok(())
}

fn spec_of(a: &Article) -> ArticleSpec {
    ArticleSpec {
        key: a.key.clone(),
        section: a.section.clone(),
        title: a.title.clone(),
        kind: ArticleKind::parse(&a.kind).unwrap_or_default(),
        body: a.body.clone(),
        // Sorted here, not by the database: PostgreSQL's collation and SQLite's byte order differ.
        links: {
            let mut l: Vec<Link> = a.links.iter().filter_map(|l| Link::parse(l)).collect();
            l.sort();
            l
        },
    }
}

/// Writes one article to match `spec`: a new row, a revived deleted one, or a change of the
/// live one (`current`). Nothing happens when the text and links are unchanged. Returns the id.
async fn save(conn: &impl ConnectionTrait, actor: &Actor, current: Option<Row>, spec: &ArticleSpec, now: i64) -> Result<i64> {
    let backend = conn.get_database_backend();
    let ws = actor.ws_id();
    let by = (actor.user_id() != 0).then_some(actor.user_id());
    let links = spec.normalized_links();
    match current {
        None => {
            let q = Query::insert()
                .into_table(col("kb_articles"))
                .columns(
                    [
                        "workspace_id",
                        "key",
                        "section",
                        "title",
                        "kind",
                        "body",
                        "search_text",
                        "version",
                        "created_by",
                        "created_at",
                        "updated_by",
                        "updated_at",
                    ]
                    .map(col),
                )
                .values([
                    ws.into(),
                    spec.key.clone().into(),
                    spec.section.trim().into(),
                    spec.title.trim().into(),
                    spec.kind.as_str().into(),
                    spec.body.clone().into(),
                    search_text(&spec.section, &spec.title, &spec.body).into(),
                    1i64.into(),
                    by.into(),
                    now.into(),
                    by.into(),
                    now.into(),
                ])
                .map_err(|e| StoreError::Internal(e.to_string()))?
                .to_owned();
            let id = insert_id(conn, backend, &q).await?;
            replace_links(conn, ws, id, &links).await?;
            insert_version(conn, actor, id, 1, spec, now).await?;
            let mut changes = Map::new();
            changes.insert("key".into(), json!({"from": null, "to": spec.key}));
            changes.insert("title".into(), json!({"from": null, "to": spec.title}));
            append_history(conn, backend, actor, ENTITY, id, HistoryAction::Create, changes, now).await?;
            Ok(id)
        }
        Some(Row { article: old, deleted }) => {
            let old_spec = spec_of(&old);
            let same = old_spec.section == spec.section.trim()
                && old_spec.title == spec.title.trim()
                && old_spec.kind == spec.kind
                && old_spec.body == spec.body
                && old_spec.normalized_links() == links;
            if same && !deleted {
                return Ok(old.id);
            }
            let version = old.version + 1;
            let q = Query::update()
                .table(col("kb_articles"))
                .value(col("section"), spec.section.trim())
                .value(col("title"), spec.title.trim())
                .value(col("kind"), spec.kind.as_str())
                .value(col("body"), spec.body.clone())
                .value(col("search_text"), search_text(&spec.section, &spec.title, &spec.body))
                .value(col("version"), version)
                .value(col("updated_by"), by)
                .value(col("updated_at"), now)
                .value(col("deleted_at"), Option::<i64>::None)
                .and_where(Expr::col(col("workspace_id")).eq(ws))
                .and_where(Expr::col(col("id")).eq(old.id))
                .to_owned();
            conn.execute(backend.build(&q)).await?;
            replace_links(conn, ws, old.id, &links).await?;
            insert_version(conn, actor, old.id, version, spec, now).await?;
            let mut changes = Map::new();
            for (k, from, to) in [
                ("section", old_spec.section.as_str(), spec.section.trim()),
                ("title", old_spec.title.as_str(), spec.title.trim()),
                ("kind", old_spec.kind.as_str(), spec.kind.as_str()),
            ] {
                if from != to {
                    changes.insert(k.into(), json!({"from": from, "to": to}));
                }
            }
            if old_spec.body != spec.body {
                changes.insert("body".into(), json!({"from_version": old.version, "to_version": version}));
            }
            if old_spec.normalized_links() != links {
                changes.insert("links".into(), json!({"from": old.links, "to": links_text(&links).lines().collect::<Vec<_>>()}));
            }
            if deleted {
                changes.insert("deleted".into(), json!({"from": true, "to": false}));
            }
            append_history(conn, backend, actor, ENTITY, old.id, HistoryAction::Update, changes, now).await?;
            Ok(old.id)
        }
    }
}

async fn remove(conn: &impl ConnectionTrait, actor: &Actor, a: &Article, now: i64) -> Result<()> {
    let backend = conn.get_database_backend();
    crate::sql::soft_delete(conn, backend, "kb_articles", actor.ws_id(), a.id, now).await?;
    replace_links(conn, actor.ws_id(), a.id, &[]).await?;
    let mut changes = Map::new();
    changes.insert("key".into(), json!({"from": a.key, "to": null}));
    append_history(conn, backend, actor, ENTITY, a.id, HistoryAction::Delete, changes, now).await
}

/// The workspace's live articles as the regulation file writes them, ordered by section, title
/// and key (a stable order, so an export diffs cleanly).
pub async fn export_articles(conn: &impl ConnectionTrait, ws: i64) -> Result<Vec<ArticleSpec>> {
    let mut q = article_select(ws);
    q.and_where(Expr::col((col("a"), col("deleted_at"))).is_null())
        .order_by((col("a"), col("section")), Order::Asc)
        .order_by((col("a"), col("title")), Order::Asc)
        .order_by((col("a"), col("key")), Order::Asc);
    let rows: Vec<Article> = conn
        .query_all(conn.get_database_backend().build(&q))
        .await?
        .iter()
        .map(|r| article_from(r).map(|r| r.article))
        .collect::<Result<_>>()?;
    let mut links = links_of(conn, ws, &rows.iter().map(|a| a.id).collect::<Vec<_>>()).await?;
    let mut specs: Vec<ArticleSpec> = rows
        .into_iter()
        .map(|mut a| {
            a.links = links.remove(&a.id).unwrap_or_default();
            spec_of(&a)
        })
        .collect();
    specs.sort_by(|a, b| (&a.section, &a.title, &a.key).cmp(&(&b.section, &b.title, &b.key)));
    Ok(specs)
}

/// Makes the workspace's articles match `specs` inside the caller's transaction: new keys are
/// created, changed ones get a new version, keys the file lacks are deleted (their versions
/// stay). The set is checked first (shape, keys twice); nothing is written when it fails. Only
/// editors may apply.
pub async fn apply_articles(conn: &impl ConnectionTrait, actor: &Actor, specs: &[ArticleSpec], now: i64) -> Result<()> {
    can_edit(actor)?;
    check_all(specs)?;
    let ws = actor.ws_id();
    let existing = export_keys(conn, ws).await?;
    for spec in specs {
        let current = find(conn, ws, &spec.key, true).await?;
        save(conn, actor, current, spec, now).await?;
    }
    for key in existing {
        if !specs.iter().any(|s| s.key == key) {
            if let Some(row) = find(conn, ws, &key, false).await? {
                remove(conn, actor, &row.article, now).await?;
            }
        }
    }
    Ok(())
}

async fn export_keys(conn: &impl ConnectionTrait, ws: i64) -> Result<Vec<String>> {
    let q = Query::select()
        .column(col("key"))
        .from(col("kb_articles"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .and_where(Expr::col(col("deleted_at")).is_null())
        .to_owned();
    conn.query_all(conn.get_database_backend().build(&q)).await?.iter().map(|r| Ok(r.try_get("", "key")?)).collect()
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// The articles linked from objects of one kind with these keys (e.g. the stages on a board).
pub async fn linked(conn: &impl ConnectionTrait, ws: i64, kind: LinkKind, keys: &[String]) -> Result<Vec<LinkedArticle>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let q = Query::select()
        .column((col("l"), col("target_key")))
        .columns(["key", "title", "kind"].map(|c| (col("a"), col(c))))
        .from_as(col("kb_links"), col("l"))
        .join_as(
            JoinType::InnerJoin,
            col("kb_articles"),
            col("a"),
            Expr::col((col("a"), col("id"))).equals((col("l"), col("article_id"))).and(Expr::col((col("a"), col("workspace_id"))).eq(ws)),
        )
        .and_where(Expr::col((col("l"), col("workspace_id"))).eq(ws))
        .and_where(Expr::col((col("l"), col("target_kind"))).eq(kind.as_str()))
        .and_where(Expr::col((col("l"), col("target_key"))).is_in(keys.iter().cloned()))
        .and_where(Expr::col((col("a"), col("deleted_at"))).is_null())
        .order_by((col("a"), col("title")), Order::Asc)
        .to_owned();
    conn.query_all(conn.get_database_backend().build(&q))
        .await?
        .iter()
        .map(|r| {
            Ok(LinkedArticle {
                target_key: r.try_get("", "target_key")?,
                key: r.try_get("", "key")?,
                title: r.try_get("", "title")?,
                kind: r.try_get("", "kind")?,
            })
        })
        .collect()
}

/// How links may name a stage (the regulation file's keys): `<pipeline key>/<stage key>`, or the
/// stage key alone (then it matches that key in any pipeline).
fn link_keys(stage: String, pipeline: Option<String>) -> Vec<String> {
    match pipeline {
        Some(p) => vec![format!("{p}/{stage}"), stage],
        None => vec![stage],
    }
}

/// The workspace's stages that have a key, with their id, key and pipeline's key; narrowed by
/// the caller. Stages get keys on the first export of the regulation.
fn keyed_stages(ws: i64) -> SelectStatement {
    Query::select()
        .columns(["id", "key"].map(|c| (col("s"), col(c))))
        .expr_as(Expr::col((col("p"), col("key"))), Alias::new("pipeline_key"))
        .from_as(col("stages"), col("s"))
        .join_as(
            JoinType::InnerJoin,
            col("pipelines"),
            col("p"),
            Expr::col((col("p"), col("id"))).equals((col("s"), col("pipeline_id"))).and(Expr::col((col("p"), col("workspace_id"))).eq(ws)),
        )
        .and_where(Expr::col((col("s"), col("workspace_id"))).eq(ws))
        .and_where(Expr::col((col("s"), col("key"))).is_not_null())
        .to_owned()
}

/// The keys links may name one stage by; empty while the stage has no key yet.
async fn stage_link_keys(conn: &impl ConnectionTrait, ws: i64, stage_id: i64) -> Result<Vec<String>> {
    let q = keyed_stages(ws).and_where(Expr::col((col("s"), col("id"))).eq(stage_id)).to_owned();
    let Some(r) = conn.query_one(conn.get_database_backend().build(&q)).await? else { return Ok(Vec::new()) };
    Ok(link_keys(r.try_get("", "key")?, r.try_get("", "pipeline_key")?))
}

impl Db {
    fn kb_input(input: ArticleInput, key: String) -> ArticleSpec {
        ArticleSpec { key, section: input.section, title: input.title, kind: input.kind, body: input.body, links: input.links }
    }

    /// Articles of the workspace, by section and title; `q` keeps those holding every word of it
    /// (title, section or body), most relevant first ([`poryadok_core::kb::relevance`]), and
    /// `section` those of one section.
    pub async fn kb_list(&self, actor: &Actor, q: Option<&str>, section: Option<&str>) -> Result<Vec<ArticleSummary>> {
        let ws = actor.ws_id();
        let mut s = Query::select();
        s.columns(["id", "key", "section", "title", "kind", "version", "updated_at"].map(col))
            .from(col("kb_articles"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("deleted_at")).is_null())
            .order_by(col("section"), Order::Asc)
            .order_by(col("title"), Order::Asc)
            .limit(500);
        if let Some(section) = section.map(str::trim).filter(|s| !s.is_empty()) {
            s.and_where(Expr::col(col("section")).eq(section));
        }
        for word in q.unwrap_or("").to_lowercase().split_whitespace().take(8) {
            s.and_where(Expr::col(col("search_text")).like(LikeExpr::new(format!("%{}%", escape_like(word))).escape('\\')));
        }
        let mut found = self
            .read
            .query_all(self.backend.build(&s))
            .await?
            .iter()
            .map(|r| {
                Ok(ArticleSummary {
                    id: r.try_get("", "id")?,
                    key: r.try_get("", "key")?,
                    section: r.try_get("", "section")?,
                    title: r.try_get("", "title")?,
                    kind: r.try_get("", "kind")?,
                    version: r.try_get("", "version")?,
                    updated_at: r.try_get("", "updated_at")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        if let Some(q) = q.filter(|q| !q.trim().is_empty()) {
            // Stable: equally relevant articles keep their section and title order.
            found.sort_by_cached_key(|a| std::cmp::Reverse(poryadok_core::kb::relevance(q, &a.title, &a.section)));
        }
        Ok(found)
    }

    /// The sections with their article counts, by name.
    pub async fn kb_sections(&self, actor: &Actor) -> Result<Vec<Section>> {
        let q = Query::select()
            .column(col("section"))
            .expr_as(Expr::col(col("id")).count(), Alias::new("n"))
            .from(col("kb_articles"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("deleted_at")).is_null())
            .group_by_col(col("section"))
            .order_by(col("section"), Order::Asc)
            .to_owned();
        self.read
            .query_all(self.backend.build(&q))
            .await?
            .iter()
            .map(|r| Ok(Section { name: r.try_get("", "section")?, articles: r.try_get("", "n")? }))
            .collect()
    }

    /// One live article by key ([`StoreError::NotFound`] for another workspace's or a deleted one).
    pub async fn kb_get(&self, actor: &Actor, key: &str) -> Result<Article> {
        Ok(find(&self.read, actor.ws_id(), key, false).await?.ok_or(StoreError::NotFound)?.article)
    }

    /// Creates an article; without a key one is made from the title (`-2`, `-3`… when taken).
    /// A key in use is a conflict naming it.
    pub async fn kb_create(&self, actor: &Actor, input: ArticleInput) -> Result<Article> {
        can_edit(actor)?;
        let given = input.key.clone().map(|k| k.trim().to_string()).filter(|k| !k.is_empty());
        let now = self.clock.now_ms();
        let (actor2, ws, lang) = (actor.clone(), actor.ws_id(), actor.ws_lang());
        let key = self
            .write_tx(move |tx| {
                Box::pin(async move {
                    let key = match given {
                        Some(k) => {
                            if find(tx, ws, &k, false).await?.is_some() {
                                return Err(StoreError::conflict("key", KbMsg::KeyTaken { key: k }));
                            }
                            k
                        }
                        None => {
                            let base = slug(&input.title);
                            let mut k = base.clone();
                            let mut n = 2;
                            while find(tx, ws, &k, false).await?.is_some() {
                                k = format!("{base}-{n}");
                                n += 1;
                            }
                            k
                        }
                    };
                    let spec = Db::kb_input(input, key.clone());
                    spec.check()?;
                    let current = find(tx, ws, &key, true).await?;
                    check_links_known(tx, ws, lang, &spec.links, &[]).await?;
                    save(tx, &actor2, current, &spec, now).await?;
                    Ok(key)
                })
            })
            .await?;
        self.kb_get_written(actor, &key).await
    }

    async fn kb_get_written(&self, actor: &Actor, key: &str) -> Result<Article> {
        Ok(find(&self.write, actor.ws_id(), key, false).await?.ok_or(StoreError::NotFound)?.article)
    }

    /// Saves a new text of an article (a new version when anything changed). `if_match`, when
    /// given, must be the current version ([`StoreError::Stale`] otherwise).
    pub async fn kb_update(&self, actor: &Actor, key: &str, input: ArticleInput, if_match: Option<i64>) -> Result<Article> {
        can_edit(actor)?;
        let spec = Db::kb_input(input, key.to_string());
        spec.check()?;
        let now = self.clock.now_ms();
        let (actor2, ws, key2, lang) = (actor.clone(), actor.ws_id(), key.to_string(), actor.ws_lang());
        self.write_tx(move |tx| {
            Box::pin(async move {
                let current = find(tx, ws, &key2, false).await?.ok_or(StoreError::NotFound)?;
                check_links_known(tx, ws, lang, &spec.links, &current.article.links).await?;
                if let Some(expected) = if_match {
                    if expected != current.article.version {
                        return Err(StoreError::Stale { current: current.article.version });
                    }
                }
                save(tx, &actor2, Some(current), &spec, now).await?;
                Ok(())
            })
        })
        .await?;
        self.kb_get_written(actor, key).await
    }

    /// Deletes an article (its versions stay; creating the key again revives them).
    pub async fn kb_delete(&self, actor: &Actor, key: &str) -> Result<()> {
        can_edit(actor)?;
        let now = self.clock.now_ms();
        let (actor2, ws, key) = (actor.clone(), actor.ws_id(), key.to_string());
        self.write_tx(move |tx| {
            Box::pin(async move {
                let row = find(tx, ws, &key, false).await?.ok_or(StoreError::NotFound)?;
                remove(tx, &actor2, &row.article, now).await
            })
        })
        .await
    }

    /// An article's saved texts, newest first.
    pub async fn kb_versions(&self, actor: &Actor, key: &str) -> Result<Vec<ArticleVersion>> {
        let a = self.kb_get(actor, key).await?;
        self.kb_versions_of(actor.ws_id(), a.id, None).await
    }

    /// One saved text of an article.
    pub async fn kb_version(&self, actor: &Actor, key: &str, n: i64) -> Result<ArticleVersion> {
        let a = self.kb_get(actor, key).await?;
        self.kb_versions_of(actor.ws_id(), a.id, Some(n)).await?.into_iter().next().ok_or(StoreError::NotFound)
    }

    async fn kb_versions_of(&self, ws: i64, article_id: i64, n: Option<i64>) -> Result<Vec<ArticleVersion>> {
        let mut q = Query::select();
        q.columns(["version", "section", "title", "kind", "body", "links", "author_id", "created_at"].map(|c| (col("v"), col(c))))
            .expr_as(Expr::col((col("u"), col("name"))), Alias::new("author_name"))
            .from_as(col("kb_versions"), col("v"))
            .join_as(
                JoinType::LeftJoin,
                col("users"),
                col("u"),
                Expr::col((col("u"), col("id")))
                    .equals((col("v"), col("author_id")))
                    .and(Expr::col((col("u"), col("workspace_id"))).eq(ws)),
            )
            .and_where(Expr::col((col("v"), col("workspace_id"))).eq(ws))
            .and_where(Expr::col((col("v"), col("article_id"))).eq(article_id))
            .order_by((col("v"), col("version")), Order::Desc);
        if let Some(n) = n {
            q.and_where(Expr::col((col("v"), col("version"))).eq(n));
        }
        self.read
            .query_all(self.backend.build(&q))
            .await?
            .iter()
            .map(|r| {
                Ok(ArticleVersion {
                    version: r.try_get("", "version")?,
                    section: r.try_get("", "section")?,
                    title: r.try_get("", "title")?,
                    kind: r.try_get("", "kind")?,
                    body: r.try_get("", "body")?,
                    links: links_from_text(&r.try_get::<String>("", "links")?),
                    author_id: r.try_get("", "author_id")?,
                    author_name: r.try_get("", "author_name")?,
                    created_at: r.try_get("", "created_at")?,
                })
            })
            .collect()
    }

    /// Makes version `n`'s text the current one, as a new version (history keeps both).
    pub async fn kb_restore(&self, actor: &Actor, key: &str, n: i64) -> Result<Article> {
        can_edit(actor)?;
        let v = match self.kb_version(actor, key, n).await {
            Err(StoreError::NotFound) => return Err(StoreError::invalid("version", KbMsg::VersionMissing { n })),
            other => other?,
        };
        let input = ArticleInput {
            key: None,
            section: v.section,
            title: v.title,
            kind: ArticleKind::parse(&v.kind).unwrap_or_default(),
            body: v.body,
            links: v.links.iter().filter_map(|l| Link::parse(l)).collect(),
        };
        self.kb_update(actor, key, input, None).await
    }

    /// What an article may link to, for the editor's picker (see [`link_targets`]). Stages and
    /// rules without a key get one first, as the regulation file's first export gives them.
    pub async fn kb_link_targets(&self, actor: &Actor) -> Result<Vec<LinkTarget>> {
        let ws = actor.ws_id();
        if crate::regulation_file::needs_keys(&self.read, self.backend, ws).await? {
            let backend = self.backend;
            self.write_tx(move |tx| Box::pin(async move { crate::regulation_file::ensure_keys(tx, backend, ws).await })).await?;
        }
        link_targets(&self.write, ws, actor.ws_lang()).await
    }

    /// The key links name a hygiene rule by (its key, given now when it has none yet).
    pub async fn kb_rule_key(&self, actor: &Actor, rule_id: i64) -> Result<String> {
        let ws = actor.ws_id();
        if crate::regulation_file::needs_keys(&self.read, self.backend, ws).await? {
            let backend = self.backend;
            self.write_tx(move |tx| Box::pin(async move { crate::regulation_file::ensure_keys(tx, backend, ws).await })).await?;
        }
        let q = Query::select()
            .columns(["key", "catalogue_key"].map(col))
            .from(col("rules"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("id")).eq(rule_id))
            .and_where(Expr::col(col("deleted_at")).is_null())
            .to_owned();
        let r = self.write.query_one(self.backend.build(&q)).await?.ok_or(StoreError::NotFound)?;
        r.try_get::<Option<String>>("", "key")?.or(r.try_get::<Option<String>>("", "catalogue_key")?).ok_or(StoreError::NotFound)
    }

    /// Links an article to a hygiene rule (`on`) or unlinks it: a new version of the article
    /// with `rule:<key>` added or removed (editors only, as any save).
    pub async fn kb_link_rule(&self, actor: &Actor, rule_id: i64, article: &str, on: bool) -> Result<Article> {
        let link = format!("rule:{}", self.kb_rule_key(actor, rule_id).await?);
        let a = self.kb_get(actor, article).await?;
        let mut links: Vec<Link> = a.links.iter().filter(|l| **l != link).filter_map(|l| Link::parse(l)).collect();
        if on {
            links.extend(Link::parse(&link));
        }
        let input = ArticleInput {
            key: None,
            section: a.section.clone(),
            title: a.title.clone(),
            kind: ArticleKind::parse(&a.kind).unwrap_or_default(),
            body: a.body.clone(),
            links,
        };
        self.kb_update(actor, article, input, None).await
    }

    /// The articles linked from objects of one kind (stage keys on a board, rule keys in the inbox).
    pub async fn kb_linked(&self, actor: &Actor, kind: LinkKind, keys: &[String]) -> Result<Vec<LinkedArticle>> {
        linked(&self.read, actor.ws_id(), kind, keys).await
    }

    /// The articles linked to each hygiene rule of the workspace (their FAQ), by rule id. A rule
    /// is named in links by its key (the regulation file's), or by its catalogue key before it has one.
    pub async fn kb_rule_articles(&self, actor: &Actor) -> Result<HashMap<i64, Vec<LinkedArticle>>> {
        let ws = actor.ws_id();
        let q = Query::select()
            .columns(["id", "key", "catalogue_key"].map(col))
            .from(col("rules"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("deleted_at")).is_null())
            .to_owned();
        let mut by_key: HashMap<String, Vec<i64>> = HashMap::new();
        for r in self.read.query_all(self.backend.build(&q)).await? {
            let id: i64 = r.try_get("", "id")?;
            for k in [r.try_get::<Option<String>>("", "key")?, r.try_get::<Option<String>>("", "catalogue_key")?].into_iter().flatten() {
                let ids = by_key.entry(k).or_default();
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
        let keys: Vec<String> = by_key.keys().cloned().collect();
        let mut out: HashMap<i64, Vec<LinkedArticle>> = HashMap::new();
        for l in linked(&self.read, ws, LinkKind::Rule, &keys).await? {
            for id in by_key.get(&l.target_key).into_iter().flatten() {
                let list = out.entry(*id).or_default();
                if !list.iter().any(|a| a.key == l.key) {
                    list.push(l.clone());
                }
            }
        }
        Ok(out)
    }

    /// What the deal card shows for a deal at a stage: the call scripts linked to the stage, with
    /// their text, and the other articles linked to it or to its entry tasks (instructions), as links.
    pub async fn kb_for_stage(&self, actor: &Actor, stage_id: i64) -> Result<(Vec<Article>, Vec<LinkedArticle>)> {
        let ws = actor.ws_id();
        let keys = stage_link_keys(&self.read, ws, stage_id).await?;
        let (mut scripts, mut others): (Vec<Article>, Vec<LinkedArticle>) = (Vec::new(), Vec::new());
        for l in linked(&self.read, ws, LinkKind::Stage, &keys).await? {
            if l.kind == ArticleKind::Script.as_str() {
                if !scripts.iter().any(|a| a.key == l.key) {
                    if let Some(row) = find(&self.read, ws, &l.key, false).await? {
                        scripts.push(row.article);
                    }
                }
            } else if !others.iter().any(|a| a.key == l.key) {
                others.push(l);
            }
        }
        // Articles about the stage's entry tasks (how to do the task the stage sets).
        for l in linked(&self.read, ws, LinkKind::EntryTask, &keys).await? {
            if !others.iter().any(|a| a.key == l.key) && !scripts.iter().any(|a| a.key == l.key) {
                others.push(l);
            }
        }
        Ok((scripts, others))
    }

    /// The articles linked to each stage of a pipeline (by the stage's key or `pipeline/stage`),
    /// for the board's column headers: two reads whatever the number of stages.
    pub async fn kb_for_pipeline_stages(&self, actor: &Actor, pipeline_id: i64) -> Result<HashMap<i64, Vec<LinkedArticle>>> {
        let ws = actor.ws_id();
        let q = keyed_stages(ws).and_where(Expr::col((col("s"), col("pipeline_id"))).eq(pipeline_id)).to_owned();
        let mut stage_keys: Vec<(i64, Vec<String>)> = Vec::new();
        for r in self.read.query_all(self.backend.build(&q)).await? {
            stage_keys.push((r.try_get("", "id")?, link_keys(r.try_get("", "key")?, r.try_get("", "pipeline_key")?)));
        }
        let all: Vec<String> = stage_keys.iter().flat_map(|(_, k)| k.iter().cloned()).collect();
        let found = linked(&self.read, ws, LinkKind::Stage, &all).await?;
        let mut out: HashMap<i64, Vec<LinkedArticle>> = HashMap::new();
        for (id, keys) in stage_keys {
            let mut articles: Vec<LinkedArticle> = Vec::new();
            for l in found.iter().filter(|l| keys.contains(&l.target_key)) {
                if !articles.iter().any(|a| a.key == l.key) {
                    articles.push(l.clone());
                }
            }
            if !articles.is_empty() {
                out.insert(id, articles);
            }
        }
        Ok(out)
    }

    /// "How to do this" for tasks on deals (the Today page): per deal, the articles linked to its
    /// stage's entry tasks first, then those linked to the stage (scripts included). Three reads
    /// whatever the number of deals.
    pub async fn kb_for_deals(&self, actor: &Actor, deal_ids: &[i64]) -> Result<HashMap<i64, Vec<LinkedArticle>>> {
        let ws = actor.ws_id();
        let mut out: HashMap<i64, Vec<LinkedArticle>> = HashMap::new();
        if deal_ids.is_empty() {
            return Ok(out);
        }
        let q = Query::select()
            .columns(["id", "stage_id"].map(col))
            .from(col("deals"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("id")).is_in(deal_ids.iter().copied()))
            .to_owned();
        let mut stage_of: Vec<(i64, i64)> = Vec::new();
        for r in self.read.query_all(self.backend.build(&q)).await? {
            if let Some(stage) = r.try_get::<Option<i64>>("", "stage_id")? {
                stage_of.push((r.try_get("", "id")?, stage));
            }
        }
        let stage_ids: Vec<i64> = stage_of.iter().map(|(_, s)| *s).collect();
        if stage_ids.is_empty() {
            return Ok(out);
        }
        let q = keyed_stages(ws).and_where(Expr::col((col("s"), col("id"))).is_in(stage_ids)).to_owned();
        let mut keys_of: HashMap<i64, Vec<String>> = HashMap::new();
        for r in self.read.query_all(self.backend.build(&q)).await? {
            keys_of.insert(r.try_get("", "id")?, link_keys(r.try_get("", "key")?, r.try_get("", "pipeline_key")?));
        }
        let all: Vec<String> = keys_of.values().flatten().cloned().collect();
        let tasks = linked(&self.read, ws, LinkKind::EntryTask, &all).await?;
        let stages = linked(&self.read, ws, LinkKind::Stage, &all).await?;
        for (deal, stage) in stage_of {
            let Some(keys) = keys_of.get(&stage) else { continue };
            let mut list: Vec<LinkedArticle> = Vec::new();
            for l in tasks.iter().chain(stages.iter()).filter(|l| keys.contains(&l.target_key)) {
                if !list.iter().any(|a| a.key == l.key) {
                    list.push(l.clone());
                }
            }
            if !list.is_empty() {
                out.insert(deal, list);
            }
        }
        Ok(out)
    }

    /// The call scripts (with their text) linked to a stage, for the deal card of a deal at it.
    pub async fn kb_scripts_for_stage(&self, actor: &Actor, stage_id: i64) -> Result<Vec<Article>> {
        Ok(self.kb_for_stage(actor, stage_id).await?.0)
    }
}

/// The demo department's knowledge base: a call script on the first stages, how to name a deal,
/// rule FAQs and what a proposal needs — linked to the demo's stages (by the regulation file's
/// keys, given by the export) and rules (by their catalogue keys).
const DEMO_FIRST_CALL: &str = "Цель звонка — подтвердить интерес и назначить демонстрацию.\n\n\
## 1. Представиться\n\
«Здравствуйте, {имя}! Меня зовут … , компания «Порядок». Вы оставили заявку на сайте — удобно сейчас говорить две минуты?»\n\n\
## 2. Выяснить задачу\n\
- Сколько человек в отделе продаж?\n\
- В чём сейчас ведёте сделки (Excel, другая CRM)?\n\
- Что мешает больше всего: потерянные заявки, нет контроля задач, нет отчётов?\n\n\
## 3. Договориться о демо\n\
«Давайте я покажу на ваших данных, как это будет выглядеть. Удобно завтра в 11:00 или в 15:00?»\n\n\
> После звонка поставьте задачу «Демо» с датой и переведите сделку на этап **«Принял в работу»**.\n\n\
Если клиент говорит «дорого» — см. kb:objections.";

const DEMO_OBJECTIONS: &str = "## «Дорого»\n\
«Понимаю. Давайте посчитаем: сколько сделок в месяц теряется без задачи? Даже одна сохранённая сделка окупает подписку.»\n\n\
## «Нам нужно подумать»\n\
«Конечно. Что именно нужно обдумать — цену, сроки внедрения или кто будет работать в системе? Назначим созвон в четверг?»\n\n\
## «Уже есть CRM»\n\
«Что в ней не устраивает? Мы переносим данные из Битрикс24, amoCRM и Excel за один день.»";

const DEMO_NAMING: &str = "Название сделки видно на доске, в отчётах и в поиске, поэтому пишем его одинаково:\n\n\
**Компания — продукт — город**, например: `ООО «Вектор» — CRM на 10 мест — Казань`.\n\n\
- без слов «сделка», «новая», «срочно»;\n\
- компания — как в реквизитах, без кавычек-ёлочек внутри;\n\
- если компании нет (физлицо) — фамилия и имя.\n\n\
Правило «Название не по шаблону» в аудите находит сделки, названные иначе.";

const DEMO_TASK_RULE: &str = "У каждой открытой сделки есть следующий шаг — задача с датой. Сделка без задачи — забытая сделка: \
клиент ждёт звонка, а менеджер о нём не помнит.\n\n\
**Как исправить:** откройте сделку, нажмите «Задача», укажите, что и когда делаете. Если сделка больше не актуальна — \
закройте её с причиной или заморозьте с датой возврата.";

const DEMO_PROPOSAL: &str = "Перед переводом на этап **«Отправлено КП»** заполните:\n\n\
1. **Сумму** сделки — как в КП, без НДС.\n\
2. **Ссылку на КП** — документ в общей папке (поле «Ссылка на КП»).\n\n\
Без этих полей CRM не переведёт сделку: так руководитель видит прогноз, а коллега может подхватить клиента.";

impl Db {
    /// Adds the demo knowledge base to a demo workspace (see the constants above).
    pub async fn demo_articles(&self, sys: &Actor) -> Result<()> {
        let file = self.regulation_export(sys).await?;
        let stage = |name: &str| {
            file.pipelines
                .iter()
                .filter(|p| p.name == "Клиенты")
                .flat_map(|p| p.stages.iter().filter(|s| s.name == name).map(move |s| format!("stage:{}/{}", p.key, s.key)))
                .next()
        };
        let links = |l: Vec<Option<String>>, rules: &[&str]| -> Vec<Link> {
            l.into_iter().flatten().chain(rules.iter().map(|r| format!("rule:{r}"))).filter_map(|s| Link::parse(&s)).collect()
        };
        let specs = vec![
            ArticleSpec {
                key: "first-call".into(),
                section: "Скрипты продаж".into(),
                title: "Первый звонок по заявке".into(),
                kind: ArticleKind::Script,
                body: DEMO_FIRST_CALL.into(),
                links: links(vec![stage("Новый"), stage("Принял в работу")], &[]),
            },
            ArticleSpec {
                key: "objections".into(),
                section: "Скрипты продаж".into(),
                title: "Ответы на возражения".into(),
                kind: ArticleKind::Script,
                body: DEMO_OBJECTIONS.into(),
                links: links(vec![stage("Коммуникация"), stage("Проведено демо")], &[]),
            },
            ArticleSpec {
                key: "deal-name".into(),
                section: "Правила CRM".into(),
                title: "Как называть сделку".into(),
                kind: ArticleKind::Article,
                body: DEMO_NAMING.into(),
                links: links(vec![], &["malformed_name"]),
            },
            ArticleSpec {
                key: "next-task".into(),
                section: "Правила CRM".into(),
                title: "Почему у открытой сделки всегда есть задача".into(),
                kind: ArticleKind::Article,
                body: DEMO_TASK_RULE.into(),
                links: links(vec![], &["open_without_task", "frozen_without_task"]),
            },
            ArticleSpec {
                key: "proposal".into(),
                section: "Правила CRM".into(),
                title: "Что заполнить перед отправкой КП".into(),
                kind: ArticleKind::Article,
                body: DEMO_PROPOSAL.into(),
                links: links(vec![stage("Отправлено КП")], &["no_proposal_link", "no_value_after_proposal"]),
            },
        ];
        let now = self.clock.now_ms();
        let sys = sys.clone();
        self.write_tx(move |tx| Box::pin(async move { apply_articles(tx, &sys, &specs, now).await })).await
    }
}
