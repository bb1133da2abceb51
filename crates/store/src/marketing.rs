//! Marketing spend: what advertising cost per local day and channel / medium / campaign /
//! keyword (term), in the workspace currency's minor units, with impressions and clicks where
//! known — and the workspace's channel aliases that normalise channel names.
//!
//! One row per (day, channel, medium, campaign, term) (the table's unique key; empty text stands
//! for "not given"): writing a row whose key is stored replaces its figures, never adds to them,
//! so entering the same day twice or importing the same cabinet file again changes nothing.
//! Rows are entered one by one or as a period's total spread evenly over its days
//! ([`Db::save_spend`]), or imported from an ad cabinet's export ([`import`]).
//!
//! Heads of sales, administrators and analysts read and write spend
//! ([`poryadok_core::spend::may_write`]); everyone else is refused. Every query is scoped to
//! the caller's workspace. Every change of a row writes a history event (`marketing_spend`) in
//! the transaction that makes it; an alias change writes one too (`channel_alias`).
//!
//! What spend is measured against (leads, sales, revenue by channel) is the marketing report's.
pub mod import;

use crate::actor::Actor;
use crate::error::{Result, StoreError};
use crate::list::parse_limit;
use crate::records::{append_history, append_history_many};
use crate::sql::col;
use crate::{Db, Page};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use poryadok_core::domain::HistoryAction;
use poryadok_core::msg::{words, Common, SpendMsg};
use poryadok_core::spend::{self as core_spend, alias_key, Aliases, RawSpend, SpendLine};
use poryadok_core::types::format_ms;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, TransactionTrait};
use sea_query::{Alias, Expr, OnConflict, Order, Query, SelectStatement};
use serde_json::{json, Map, Value as Json};
use std::collections::{BTreeSet, HashMap};

const COLUMNS: [&str; 14] = [
    "id",
    "day",
    "channel",
    "medium",
    "campaign",
    "term",
    "impressions",
    "clicks",
    "amount",
    "import_id",
    "created_by",
    "created_at",
    "updated_at",
    "workspace_id",
];
/// Rows per multi-row statement (13 values each, well under SQLite's bound-parameter limit).
const CHUNK: usize = 500;
const ENTITY: &str = "marketing_spend";
const ALIAS_ENTITY: &str = "channel_alias";

/// One stored spend row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spend {
    pub id: i64,
    /// The workspace's local day, `YYYY-MM-DD`.
    pub day: String,
    pub channel: String,
    pub medium: String,
    pub campaign: String,
    pub term: String,
    pub impressions: Option<i64>,
    pub clicks: Option<i64>,
    /// Minor units of the workspace currency.
    pub amount: i64,
    /// The import that last wrote the row (none for rows entered by hand).
    pub import_id: Option<i64>,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Spend {
    pub fn to_json(&self) -> Json {
        json!({
            "id": self.id,
            "day": self.day,
            "channel": self.channel,
            "medium": self.medium,
            "campaign": self.campaign,
            "term": self.term,
            "impressions": self.impressions,
            "clicks": self.clicks,
            "amount": self.amount,
            "import_id": self.import_id,
            "created_by": self.created_by,
            "created_at": format_ms(self.created_at),
            "updated_at": format_ms(self.updated_at),
        })
    }

    fn key(&self) -> Key {
        (self.day.clone(), self.channel.clone(), self.medium.clone(), self.campaign.clone(), self.term.clone())
    }

    /// The history of a new row: every figure from nothing.
    fn created_changes(&self) -> Map<String, Json> {
        let mut m = Map::new();
        for (k, v) in [
            ("day", json!(self.day)),
            ("channel", json!(self.channel)),
            ("medium", json!(self.medium)),
            ("campaign", json!(self.campaign)),
            ("term", json!(self.term)),
            ("impressions", json!(self.impressions)),
            ("clicks", json!(self.clicks)),
            ("amount", json!(self.amount)),
        ] {
            m.insert(k.into(), json!({"from": null, "to": v}));
        }
        m
    }
}

type Key = (String, String, String, String, String);

fn decode(r: &QueryResult) -> Result<Spend> {
    Ok(Spend {
        id: r.try_get("", "id")?,
        day: r.try_get("", "day")?,
        channel: r.try_get("", "channel")?,
        medium: r.try_get("", "medium")?,
        campaign: r.try_get("", "campaign")?,
        term: r.try_get("", "term")?,
        impressions: r.try_get("", "impressions")?,
        clicks: r.try_get("", "clicks")?,
        amount: r.try_get("", "amount")?,
        import_id: r.try_get("", "import_id")?,
        created_by: r.try_get("", "created_by")?,
        created_at: r.try_get("", "created_at")?,
        updated_at: r.try_get("", "updated_at")?,
    })
}

fn may_write(actor: &Actor) -> Result<()> {
    if core_spend::may_write(actor.caller.role) {
        Ok(())
    } else {
        Err(StoreError::forbidden(SpendMsg::WritersOnly {}))
    }
}

fn may_read(actor: &Actor) -> Result<()> {
    if core_spend::may_read(actor.caller.role) {
        Ok(())
    } else {
        Err(StoreError::forbidden(SpendMsg::ReadersOnly {}))
    }
}

fn of_workspace(ws: i64) -> SelectStatement {
    Query::select().columns(COLUMNS.map(col)).from(col("marketing_spend")).and_where(Expr::col(col("workspace_id")).eq(ws)).to_owned()
}

/// Keyset position in the list (newest day first): the last row's day and id.
fn encode_cursor(day: &str, id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{day}|{id}"))
}

fn decode_cursor(raw: &str) -> Result<(String, i64)> {
    let bad = || StoreError::invalid("cursor", Common::BadCursor {});
    let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad())?;
    let s = std::str::from_utf8(&bytes).map_err(|_| bad())?;
    let (day, id) = s.split_once('|').ok_or_else(bad)?;
    let day = core_spend::parse_day(day).map_err(|_| bad())?;
    Ok((core_spend::day_key(day), id.parse::<i64>().map_err(|_| bad())?))
}

/// Narrowing of the spend list and its totals; every part optional.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SpendQuery {
    /// The first and last day, `YYYY-MM-DD`, inclusive.
    pub from: Option<String>,
    pub to: Option<String>,
    /// A channel as written anywhere (`Яндекс` finds `yandex`): normalised through the aliases.
    pub channel: Option<String>,
    pub medium: Option<String>,
    pub campaign: Option<String>,
    pub term: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

impl SpendQuery {
    pub const PARAMS: [&'static str; 8] = ["from", "to", "channel", "medium", "campaign", "term", "limit", "cursor"];

    /// Reads the query pairs; anything else, or a value that does not read, is a validation
    /// error naming it. Empty values are no filter.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>, also: &[&str]) -> Result<SpendQuery> {
        let mut q = SpendQuery::default();
        let day = |k: &str, v: &str| core_spend::parse_day(v).map(core_spend::day_key).map_err(|m| StoreError::invalid(k, m));
        for (k, v) in pairs {
            let v = v.trim();
            if also.contains(&k) {
                continue;
            }
            if v.is_empty() && SpendQuery::PARAMS.contains(&k) {
                continue;
            }
            match k {
                "from" => q.from = Some(day(k, v)?),
                "to" => q.to = Some(day(k, v)?),
                "channel" => q.channel = Some(v.to_string()),
                "medium" => q.medium = Some(v.to_string()),
                "campaign" => q.campaign = Some(v.to_string()),
                "term" => q.term = Some(v.to_string()),
                "limit" => q.limit = Some(v.to_string()),
                "cursor" => q.cursor = Some(v.to_string()),
                other => {
                    let mut expected = words(SpendQuery::PARAMS);
                    expected.extend(also.iter().map(|s| s.to_string()));
                    return Err(StoreError::invalid(other, Common::UnknownParameter { expected }));
                }
            }
        }
        if let (Some(f), Some(t)) = (&q.from, &q.to) {
            if t < f {
                return Err(StoreError::invalid("to", SpendMsg::PeriodOrder {}));
            }
        }
        Ok(q)
    }

    fn apply(&self, q: &mut SelectStatement, aliases: &Aliases) -> Result<()> {
        if let Some(f) = &self.from {
            q.and_where(Expr::col(col("day")).gte(f.as_str()));
        }
        if let Some(t) = &self.to {
            q.and_where(Expr::col(col("day")).lte(t.as_str()));
        }
        if let Some(c) = &self.channel {
            let channel = aliases.channel(c).map_err(|m| StoreError::invalid("channel", m))?;
            q.and_where(Expr::col(col("channel")).eq(channel));
        }
        if let Some(m) = &self.medium {
            q.and_where(Expr::col(col("medium")).eq(m.to_lowercase()));
        }
        if let Some(c) = &self.campaign {
            q.and_where(Expr::col(col("campaign")).eq(c.as_str()));
        }
        if let Some(t) = &self.term {
            q.and_where(Expr::col(col("term")).eq(t.as_str()));
        }
        Ok(())
    }
}

/// How totals are grouped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpendGroup {
    /// One line: everything matching.
    All,
    Channel,
    /// Channel and campaign.
    Campaign,
    /// Channel, campaign and term.
    Term,
    Day,
}

impl SpendGroup {
    pub const ALL: [SpendGroup; 5] = [SpendGroup::All, SpendGroup::Channel, SpendGroup::Campaign, SpendGroup::Term, SpendGroup::Day];

    pub fn as_str(self) -> &'static str {
        match self {
            SpendGroup::All => "all",
            SpendGroup::Channel => "channel",
            SpendGroup::Campaign => "campaign",
            SpendGroup::Term => "term",
            SpendGroup::Day => "day",
        }
    }

    pub fn parse(s: &str) -> Option<SpendGroup> {
        SpendGroup::ALL.into_iter().find(|g| g.as_str() == s)
    }

    fn columns(self) -> &'static [&'static str] {
        match self {
            SpendGroup::All => &[],
            SpendGroup::Channel => &["channel"],
            SpendGroup::Campaign => &["channel", "campaign"],
            SpendGroup::Term => &["channel", "campaign", "term"],
            SpendGroup::Day => &["day"],
        }
    }
}

/// A group's sums.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SpendTotal {
    /// The group's channel, campaign, term or day (empty where the grouping has none).
    pub channel: String,
    pub campaign: String,
    pub term: String,
    pub day: String,
    pub amount: i64,
    /// Sums of the rows that know them; none when no row does.
    pub impressions: Option<i64>,
    pub clicks: Option<i64>,
    pub rows: i64,
    pub first_day: Option<String>,
    pub last_day: Option<String>,
}

impl SpendTotal {
    pub fn to_json(&self, group: SpendGroup) -> Json {
        let mut m = Map::new();
        for c in group.columns() {
            let v = match *c {
                "channel" => &self.channel,
                "campaign" => &self.campaign,
                "term" => &self.term,
                _ => &self.day,
            };
            m.insert((*c).into(), json!(v));
        }
        for (k, v) in [
            ("amount", json!(self.amount)),
            ("impressions", json!(self.impressions)),
            ("clicks", json!(self.clicks)),
            ("rows", json!(self.rows)),
            ("first_day", json!(self.first_day)),
            ("last_day", json!(self.last_day)),
        ] {
            m.insert(k.into(), v);
        }
        Json::Object(m)
    }
}

/// What a write of spend rows did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SpendWrite {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// The rows as stored after the write, in the order written.
    pub rows: Vec<Spend>,
}

impl SpendWrite {
    pub fn to_json(&self) -> Json {
        json!({
            "data": self.rows.iter().map(Spend::to_json).collect::<Vec<_>>(),
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "amount": self.rows.iter().map(|r| r.amount).sum::<i64>(),
        })
    }
}

/// What happened to one row of a write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowAction {
    Created,
    Updated,
    Unchanged,
}

impl RowAction {
    pub fn as_str(self) -> &'static str {
        match self {
            RowAction::Created => "created",
            RowAction::Updated => "updated",
            RowAction::Unchanged => "unchanged",
        }
    }
}

/// A channel alias as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelAlias {
    pub id: i64,
    /// Lower-case, trimmed (see [`alias_key`]).
    pub alias: String,
    pub channel: String,
    pub created_at: i64,
}

impl ChannelAlias {
    pub fn to_json(&self) -> Json {
        json!({"id": self.id, "alias": self.alias, "channel": self.channel, "created_at": format_ms(self.created_at)})
    }
}

/// Inserts the built-in aliases a workspace lacks (never changes one it has); the number added.
pub(crate) async fn seed_default_aliases(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, now: i64) -> Result<u64> {
    let mut q = Query::insert();
    q.into_table(col("channel_aliases")).columns(["workspace_id", "alias", "channel", "created_at"].map(col));
    for (alias, channel) in core_spend::DEFAULT_ALIASES {
        q.values([ws.into(), alias_key(alias).into(), (*channel).into(), now.into()]).map_err(|e| StoreError::Internal(e.to_string()))?;
    }
    q.on_conflict(OnConflict::columns([col("workspace_id"), col("alias")]).do_nothing().to_owned());
    Ok(conn.execute(backend.build(&q)).await?.rows_affected())
}

/// A JSON value as text (`null` and absent are empty).
fn text_of(field: &str, v: &Json) -> Result<String> {
    match v {
        Json::Null => Ok(String::new()),
        Json::String(s) => Ok(s.clone()),
        _ => Err(StoreError::invalid(field, Common::NotString {})),
    }
}

fn count_of(field: &str, v: &Json) -> Result<Option<i64>> {
    match v {
        Json::Null => Ok(None),
        v => v.as_i64().filter(|n| *n >= 0).map(Some).ok_or_else(|| StoreError::invalid(field, SpendMsg::CountShape {})),
    }
}

fn amount_of(v: &Json) -> Result<i64> {
    match v.as_i64() {
        Some(n) if n < 0 => Err(StoreError::invalid("amount", SpendMsg::AmountNegative {})),
        Some(n) => core_spend::check_amount(n).map_err(|m| StoreError::invalid("amount", m)),
        None if v.as_f64().is_some_and(|f| f < 0.0) => Err(StoreError::invalid("amount", SpendMsg::AmountNegative {})),
        None => Err(StoreError::invalid("amount", SpendMsg::AmountShape {})),
    }
}

const WRITABLE: [&str; 11] = ["day", "from", "to", "channel", "medium", "campaign", "term", "amount", "impressions", "clicks", "currency"];

/// A spend body read: the rows it stands for (one, or a period's days).
fn read_body(body: &Json, aliases: &Aliases, currency: &str) -> Result<Vec<SpendLine>> {
    let obj = body.as_object().ok_or_else(|| StoreError::invalid("body", Common::BodyNotObject {}))?;
    let mut raw = RawSpend::default();
    let (mut day, mut from, mut to, mut amount) = (None, None, None, None);
    let date = |k: &str, v: &Json| -> Result<time::Date> {
        let s = v.as_str().ok_or_else(|| StoreError::invalid(k, SpendMsg::DayShape { raw: v.to_string() }))?;
        core_spend::parse_day(s).map_err(|m| StoreError::invalid(k, m))
    };
    for (k, v) in obj {
        match k.as_str() {
            "day" => day = Some(date(k, v)?),
            "from" => from = Some(date(k, v)?),
            "to" => to = Some(date(k, v)?),
            "channel" => raw.channel = text_of(k, v)?,
            "medium" => raw.medium = text_of(k, v)?,
            "campaign" => raw.campaign = text_of(k, v)?,
            "term" => raw.term = text_of(k, v)?,
            "amount" => amount = Some(amount_of(v)?),
            "impressions" => raw.impressions = count_of(k, v)?,
            "clicks" => raw.clicks = count_of(k, v)?,
            "currency" => raw.currency = Some(text_of(k, v)?),
            k if ["id", "created_by", "created_at", "updated_at", "import_id"].contains(&k) => {
                return Err(StoreError::invalid(k, Common::ReadOnly {}))
            }
            k => return Err(StoreError::invalid(k, Common::UnknownField { expected: words(WRITABLE) })),
        }
    }
    let days = match (day, from, to) {
        (Some(d), None, None) => vec![d],
        (None, Some(f), Some(t)) => core_spend::days_of(f, t).map_err(|m| StoreError::invalid("to", m))?,
        (None, Some(f), None) => vec![f],
        (None, None, Some(_)) => return Err(StoreError::invalid("from", Common::Required {})),
        (Some(_), _, _) => return Err(StoreError::invalid("day", SpendMsg::DayOrPeriod {})),
        (None, None, None) => return Err(StoreError::invalid("day", Common::RequiredOr { alt: "from, to".into() })),
    };
    raw.amount = amount.ok_or_else(|| StoreError::invalid("amount", Common::Required {}))?;
    let line = core_spend::check(&raw, aliases, currency).map_err(|(f, m)| StoreError::invalid(f, m))?;
    Ok(core_spend::spread(&line, &days))
}

async fn import_number(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64) -> Result<i64> {
    let q = Query::select()
        .expr_as(Expr::cust("CAST(COALESCE(MAX(import_id), 0) AS BIGINT)"), Alias::new("n"))
        .from(col("marketing_spend"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .to_owned();
    let n: i64 = conn.query_one(backend.build(&q)).await?.map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0);
    Ok(n + 1)
}

/// Days read back per query: a year of 200 campaigns is some 70 000 rows, and a driver's row
/// weighs a kilobyte or two before it is decoded.
const DAYS_PER_READ: usize = 16;

/// The stored rows with any of `keys`, by key (rows of other keys on the same days are skipped).
async fn stored(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, keys: &[Key]) -> Result<HashMap<Key, Spend>> {
    let mut out = HashMap::new();
    let wanted: std::collections::HashSet<&Key> = keys.iter().collect();
    let days: BTreeSet<&str> = keys.iter().map(|k| k.0.as_str()).collect();
    let channels: BTreeSet<&str> = keys.iter().map(|k| k.1.as_str()).collect();
    let days: Vec<&str> = days.into_iter().collect();
    for chunk in days.chunks(DAYS_PER_READ) {
        let mut q = of_workspace(ws);
        q.and_where(Expr::col(col("day")).is_in(chunk.iter().copied()));
        if channels.len() <= CHUNK {
            q.and_where(Expr::col(col("channel")).is_in(channels.iter().copied()));
        }
        for r in conn.query_all(backend.build(&q)).await? {
            let s = decode(&r)?;
            if wanted.contains(&s.key()) {
                out.insert(s.key(), s);
            }
        }
    }
    Ok(out)
}

/// Writes `lines` (distinct keys): new keys are inserted, stored ones get the new figures, the
/// same figures are left alone. History in the same transaction. The rows as stored after the
/// write are in the answer when `keep_rows` (an import's report only counts them). `progress`
/// hears `(done, total)`.
#[expect(clippy::too_many_arguments)]
pub(crate) async fn write_lines(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    actor: &Actor,
    lines: &[SpendLine],
    import_id: Option<i64>,
    now: i64,
    keep_rows: bool,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<(SpendWrite, Vec<RowAction>)> {
    let ws = actor.ws_id();
    let keys: Vec<Key> = lines.iter().map(SpendLine::key).collect();
    let current = stored(conn, backend, ws, &keys).await?;
    let by = (actor.user_id() != 0).then_some(actor.user_id());
    let mut report = SpendWrite::default();
    let mut actions = Vec::with_capacity(lines.len());
    let (mut inserts, mut updates): (Vec<&SpendLine>, Vec<(&Spend, &SpendLine)>) = (Vec::new(), Vec::new());
    for (line, key) in lines.iter().zip(&keys) {
        match current.get(key) {
            None => {
                inserts.push(line);
                actions.push(RowAction::Created);
            }
            Some(s) if s.amount == line.amount && s.impressions == line.impressions && s.clicks == line.clicks => {
                actions.push(RowAction::Unchanged);
                report.unchanged += 1;
            }
            Some(s) => {
                updates.push((s, line));
                actions.push(RowAction::Updated);
            }
        }
    }
    let total = lines.len() as u64;
    let mut done = report.unchanged;
    let new_row = |id: i64, l: &SpendLine| Spend {
        id,
        day: l.day.clone(),
        channel: l.channel.clone(),
        medium: l.medium.clone(),
        campaign: l.campaign.clone(),
        term: l.term.clone(),
        impressions: l.impressions,
        clicks: l.clicks,
        amount: l.amount,
        import_id,
        created_by: by,
        created_at: now,
        updated_at: now,
    };
    let mut created: HashMap<Key, i64> = HashMap::new();
    for chunk in inserts.chunks(CHUNK) {
        let mut q = Query::insert();
        q.into_table(col("marketing_spend")).columns(
            [
                "workspace_id",
                "day",
                "channel",
                "medium",
                "campaign",
                "term",
                "impressions",
                "clicks",
                "amount",
                "import_id",
                "created_by",
                "created_at",
                "updated_at",
            ]
            .map(col),
        );
        for l in chunk {
            q.values([
                ws.into(),
                l.day.clone().into(),
                l.channel.clone().into(),
                l.medium.clone().into(),
                l.campaign.clone().into(),
                l.term.clone().into(),
                l.impressions.into(),
                l.clicks.into(),
                l.amount.into(),
                import_id.into(),
                by.into(),
                now.into(),
                now.into(),
            ])
            .map_err(|e| StoreError::Internal(e.to_string()))?;
        }
        // A writer that stored the same key since it was read: its row takes these figures.
        q.on_conflict(
            OnConflict::columns(["workspace_id", "day", "channel", "medium", "campaign", "term"].map(col))
                .update_columns(["impressions", "clicks", "amount", "import_id", "updated_at"].map(col))
                .to_owned(),
        );
        q.returning(Query::returning().columns(["id", "day", "channel", "medium", "campaign", "term"].map(col)));
        let mut events = Vec::with_capacity(chunk.len());
        let mut by_key: HashMap<Key, i64> = HashMap::with_capacity(chunk.len());
        for r in conn.query_all(backend.build(&q)).await? {
            let key: Key = (
                r.try_get("", "day")?,
                r.try_get("", "channel")?,
                r.try_get("", "medium")?,
                r.try_get("", "campaign")?,
                r.try_get("", "term")?,
            );
            by_key.insert(key, r.try_get("", "id")?);
        }
        for l in chunk {
            let id = *by_key.get(&l.key()).ok_or_else(|| StoreError::Internal("an inserted spend row came back without its id".into()))?;
            events.push((id, new_row(id, l).created_changes()));
        }
        append_history_many(conn, backend, actor, ENTITY, HistoryAction::Create, events, now).await?;
        report.created += chunk.len() as u64;
        if keep_rows {
            created.extend(by_key);
        }
        done += chunk.len() as u64;
        progress(done, total);
    }
    let mut update_events = Vec::new();
    for (s, l) in &updates {
        let q = Query::update()
            .table(col("marketing_spend"))
            .value(col("amount"), l.amount)
            .value(col("impressions"), l.impressions)
            .value(col("clicks"), l.clicks)
            .value(col("import_id"), import_id.or(s.import_id))
            .value(col("updated_at"), now)
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("id")).eq(s.id))
            .to_owned();
        conn.execute(backend.build(&q)).await?;
        let mut changes = Map::new();
        for (k, from, to) in [
            ("amount", json!(s.amount), json!(l.amount)),
            ("impressions", json!(s.impressions), json!(l.impressions)),
            ("clicks", json!(s.clicks), json!(l.clicks)),
        ] {
            if from != to {
                changes.insert(k.into(), json!({"from": from, "to": to}));
            }
        }
        update_events.push((s.id, changes));
        report.updated += 1;
        if update_events.len() >= CHUNK {
            append_history_many(conn, backend, actor, ENTITY, HistoryAction::Update, std::mem::take(&mut update_events), now).await?;
        }
        done += 1;
        if done.is_multiple_of(100) {
            progress(done, total);
        }
    }
    append_history_many(conn, backend, actor, ENTITY, HistoryAction::Update, update_events, now).await?;
    progress(total, total);
    if keep_rows {
        for ((line, key), action) in lines.iter().zip(&keys).zip(&actions) {
            let row = match (action, current.get(key)) {
                (RowAction::Created, _) => new_row(created.get(key).copied().unwrap_or_default(), line),
                (RowAction::Updated, Some(s)) => Spend {
                    amount: line.amount,
                    impressions: line.impressions,
                    clicks: line.clicks,
                    import_id: import_id.or(s.import_id),
                    updated_at: now,
                    ..s.clone()
                },
                (_, Some(s)) => s.clone(),
                (_, None) => continue,
            };
            report.rows.push(row);
        }
    }
    Ok((report, actions))
}

fn decode_alias(r: &QueryResult) -> Result<ChannelAlias> {
    Ok(ChannelAlias {
        id: r.try_get("", "id")?,
        alias: r.try_get("", "alias")?,
        channel: r.try_get("", "channel")?,
        created_at: r.try_get("", "created_at")?,
    })
}

fn aliases_of(ws: i64) -> SelectStatement {
    Query::select()
        .columns(["id", "alias", "channel", "created_at"].map(col))
        .from(col("channel_aliases"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .order_by(col("channel"), Order::Asc)
        .order_by(col("alias"), Order::Asc)
        .to_owned()
}

impl Db {
    /// The workspace's channel aliases as a lookup: how any channel name becomes the channel it
    /// stands for (the marketing report normalises UTM sources with it too). No access check:
    /// the mapping is not spend.
    pub async fn channel_alias_map(&self, ws: i64) -> Result<Aliases> {
        let rows = self.read.query_all(self.backend.build(&aliases_of(ws))).await?;
        let pairs = rows.iter().map(decode_alias).collect::<Result<Vec<_>>>()?;
        Ok(Aliases::new(pairs.into_iter().map(|a| (a.alias, a.channel))))
    }

    /// The workspace's channel aliases, by channel then alias.
    pub async fn channel_aliases(&self, actor: &Actor) -> Result<Vec<ChannelAlias>> {
        may_read(actor)?;
        self.read.query_all(self.backend.build(&aliases_of(actor.ws_id()))).await?.iter().map(decode_alias).collect()
    }

    /// Sets an alias: `{alias, channel}`. The alias is kept lower-case and trimmed; the channel
    /// is normalised like any channel name (an alias of an alias leads to its channel). An
    /// alias already there is pointed at the new channel. Returns the alias and whether it is new.
    pub async fn put_channel_alias(&self, actor: &Actor, body: &Json) -> Result<(ChannelAlias, bool)> {
        may_write(actor)?;
        let obj = body.as_object().ok_or_else(|| StoreError::invalid("body", Common::BodyNotObject {}))?;
        let (mut alias, mut channel) = (None, None);
        for (k, v) in obj {
            match k.as_str() {
                "alias" => alias = Some(text_of(k, v)?),
                "channel" => channel = Some(text_of(k, v)?),
                "id" | "created_at" => return Err(StoreError::invalid(k, Common::ReadOnly {})),
                k => return Err(StoreError::invalid(k, Common::UnknownField { expected: words(["alias", "channel"]) })),
            }
        }
        let alias = alias_key(&alias.unwrap_or_default());
        if alias.is_empty() {
            return Err(StoreError::invalid("alias", SpendMsg::AliasEmpty {}));
        }
        if alias.chars().count() > core_spend::MAX_TEXT {
            return Err(StoreError::invalid("alias", SpendMsg::TextTooLong { max: core_spend::MAX_TEXT as i64 }));
        }
        let map = self.channel_alias_map(actor.ws_id()).await?;
        let target = map.channel(&channel.unwrap_or_default()).map_err(|m| StoreError::invalid("channel", m))?;
        let now = self.clock.now_ms();
        let tx = self.write.begin().await?;
        let mut q = aliases_of(actor.ws_id());
        q.and_where(Expr::col(col("alias")).eq(alias.as_str()));
        let existing = tx.query_one(self.backend.build(&q)).await?.map(|r| decode_alias(&r)).transpose()?;
        let (saved, created) = match existing {
            Some(a) if a.channel == target => return Ok((a, false)),
            Some(a) => {
                let q = Query::update()
                    .table(col("channel_aliases"))
                    .value(col("channel"), target.as_str())
                    .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
                    .and_where(Expr::col(col("id")).eq(a.id))
                    .to_owned();
                tx.execute(self.backend.build(&q)).await?;
                let mut changes = Map::new();
                changes.insert("channel".into(), json!({"from": a.channel, "to": target}));
                append_history(&tx, self.backend, actor, ALIAS_ENTITY, a.id, HistoryAction::Update, changes, now).await?;
                (ChannelAlias { channel: target, ..a }, false)
            }
            None => {
                let q = Query::insert()
                    .into_table(col("channel_aliases"))
                    .columns(["workspace_id", "alias", "channel", "created_at"].map(col))
                    .values([actor.ws_id().into(), alias.clone().into(), target.clone().into(), now.into()])
                    .map_err(|e| StoreError::Internal(e.to_string()))?
                    .to_owned();
                let id = match crate::sql::insert_id(&tx, self.backend, &q).await {
                    Err(e) if e.is_unique_violation() => {
                        return Err(StoreError::conflict("alias", SpendMsg::AliasExists { alias, channel: target }))
                    }
                    other => other?,
                };
                let mut changes = Map::new();
                changes.insert("alias".into(), json!({"from": null, "to": alias}));
                changes.insert("channel".into(), json!({"from": null, "to": target}));
                append_history(&tx, self.backend, actor, ALIAS_ENTITY, id, HistoryAction::Create, changes, now).await?;
                (ChannelAlias { id, alias, channel: target, created_at: now }, true)
            }
        };
        tx.commit().await?;
        Ok((saved, created))
    }

    /// Removes an alias: the name then stands for itself.
    pub async fn delete_channel_alias(&self, actor: &Actor, id: i64) -> Result<()> {
        may_write(actor)?;
        let tx = self.write.begin().await?;
        let mut q = aliases_of(actor.ws_id());
        q.and_where(Expr::col(col("id")).eq(id));
        let a = decode_alias(&tx.query_one(self.backend.build(&q)).await?.ok_or(StoreError::NotFound)?)?;
        let del = Query::delete()
            .from_table(col("channel_aliases"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("id")).eq(id))
            .to_owned();
        tx.execute(self.backend.build(&del)).await?;
        let mut changes = Map::new();
        changes.insert("alias".into(), json!({"from": a.alias, "to": null}));
        changes.insert("channel".into(), json!({"from": a.channel, "to": null}));
        append_history(&tx, self.backend, actor, ALIAS_ENTITY, id, HistoryAction::Delete, changes, self.clock.now_ms()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds back the built-in aliases the workspace lacks (ones it changed stay changed); the
    /// number added.
    pub async fn restore_default_aliases(&self, actor: &Actor) -> Result<u64> {
        may_write(actor)?;
        seed_default_aliases(&self.write, self.backend, actor.ws_id(), self.clock.now_ms()).await
    }

    /// One spend row.
    pub async fn spend_row(&self, actor: &Actor, id: i64) -> Result<Spend> {
        may_read(actor)?;
        let mut q = of_workspace(actor.ws_id());
        q.and_where(Expr::col(col("id")).eq(id));
        decode(&self.read.query_one(self.backend.build(&q)).await?.ok_or(StoreError::NotFound)?)
    }

    /// Spend rows, the latest day first, paged by cursor.
    pub async fn spend(&self, actor: &Actor, sq: &SpendQuery) -> Result<Page<Spend>> {
        may_read(actor)?;
        let limit = parse_limit(sq.limit.as_deref())?;
        let aliases = self.channel_alias_map(actor.ws_id()).await?;
        let mut q = of_workspace(actor.ws_id());
        sq.apply(&mut q, &aliases)?;
        if let Some(c) = &sq.cursor {
            let (day, id) = decode_cursor(c)?;
            q.and_where(Expr::col(col("day")).lt(day.as_str()).or(Expr::col(col("day")).eq(day.as_str()).and(Expr::col(col("id")).lt(id))));
        }
        q.order_by(col("day"), Order::Desc).order_by(col("id"), Order::Desc).limit(limit + 1);
        let mut data = self.read.query_all(self.backend.build(&q)).await?.iter().map(decode).collect::<Result<Vec<_>>>()?;
        let next_cursor = if data.len() as u64 > limit {
            data.truncate(limit as usize);
            data.last().map(|s| encode_cursor(&s.day, s.id))
        } else {
            None
        };
        Ok(Page { data, next_cursor })
    }

    /// Sums of the rows matching `sq` (paging ignored), grouped; groups by amount, largest first
    /// (by day, oldest first, for [`SpendGroup::Day`]).
    pub async fn spend_totals(&self, actor: &Actor, sq: &SpendQuery, group: SpendGroup) -> Result<Vec<SpendTotal>> {
        may_read(actor)?;
        let aliases = self.channel_alias_map(actor.ws_id()).await?;
        let mut q = Query::select();
        q.from(col("marketing_spend")).and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()));
        sq.apply(&mut q, &aliases)?;
        for c in group.columns() {
            q.column(col(c)).group_by_col(col(c));
        }
        q.expr_as(Expr::cust("CAST(COALESCE(SUM(amount), 0) AS BIGINT)"), Alias::new("amount"))
            .expr_as(Expr::cust("CAST(SUM(impressions) AS BIGINT)"), Alias::new("impressions"))
            .expr_as(Expr::cust("CAST(SUM(clicks) AS BIGINT)"), Alias::new("clicks"))
            .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
            .expr_as(Expr::cust("MIN(day)"), Alias::new("first_day"))
            .expr_as(Expr::cust("MAX(day)"), Alias::new("last_day"));
        let rows = self.read.query_all(self.backend.build(&q)).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let has = |c: &str| group.columns().contains(&c);
            let get = |c: &str| -> Result<String> {
                if has(c) {
                    Ok(r.try_get("", c)?)
                } else {
                    Ok(String::new())
                }
            };
            let n: i64 = r.try_get("", "n")?;
            if n == 0 && group != SpendGroup::All {
                continue;
            }
            out.push(SpendTotal {
                channel: get("channel")?,
                campaign: get("campaign")?,
                term: get("term")?,
                day: get("day")?,
                amount: r.try_get("", "amount")?,
                impressions: r.try_get("", "impressions")?,
                clicks: r.try_get("", "clicks")?,
                rows: n,
                first_day: r.try_get("", "first_day")?,
                last_day: r.try_get("", "last_day")?,
            });
        }
        if group == SpendGroup::Day {
            out.sort_by(|a, b| a.day.cmp(&b.day));
        } else {
            out.sort_by(|a, b| {
                b.amount.cmp(&a.amount).then_with(|| (&a.channel, &a.campaign, &a.term).cmp(&(&b.channel, &b.campaign, &b.term)))
            });
        }
        Ok(out)
    }

    /// The distinct channels with spend, for filters.
    pub async fn spend_channels(&self, actor: &Actor) -> Result<Vec<String>> {
        may_read(actor)?;
        let q = Query::select()
            .distinct()
            .column(col("channel"))
            .from(col("marketing_spend"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .order_by(col("channel"), Order::Asc)
            .to_owned();
        self.read.query_all(self.backend.build(&q)).await?.iter().map(|r| Ok(r.try_get("", "channel")?)).collect()
    }

    /// Enters spend: one day's row `{day, channel, medium?, campaign?, term?, amount,
    /// impressions?, clicks?, currency?}`, or a period's total `{from, to, …}` spread evenly over
    /// its days (the amount, impressions and clicks each, to the minor unit). A day already
    /// stored for the same channel, medium, campaign and term takes the new figures.
    pub async fn save_spend(&self, actor: &Actor, body: &Json) -> Result<SpendWrite> {
        may_write(actor)?;
        let aliases = self.channel_alias_map(actor.ws_id()).await?;
        let lines = read_body(body, &aliases, &actor.ws.currency)?;
        let tx = self.write.begin().await?;
        let (report, _) = write_lines(&tx, self.backend, actor, &lines, None, self.clock.now_ms(), true, &mut |_, _| {}).await?;
        tx.commit().await?;
        Ok(report)
    }

    /// Removes every row matching `sq` (a wrong import, a channel filed under an old name); a
    /// period (`from` and `to`) is required, so that no slip removes everything. Paging is
    /// ignored. The number removed; each row's removal is in its history.
    pub async fn delete_spend_matching(&self, actor: &Actor, sq: &SpendQuery) -> Result<u64> {
        may_write(actor)?;
        for (field, v) in [("from", &sq.from), ("to", &sq.to)] {
            if v.is_none() {
                return Err(StoreError::invalid(field, Common::Required {}));
            }
        }
        let aliases = self.channel_alias_map(actor.ws_id()).await?;
        let tx = self.write.begin().await?;
        let now = self.clock.now_ms();
        let mut removed = 0u64;
        loop {
            let mut q = of_workspace(actor.ws_id());
            sq.apply(&mut q, &aliases)?;
            q.order_by(col("id"), Order::Asc).limit(CHUNK as u64);
            let rows = tx.query_all(self.backend.build(&q)).await?.iter().map(decode).collect::<Result<Vec<_>>>()?;
            if rows.is_empty() {
                break;
            }
            let del = Query::delete()
                .from_table(col("marketing_spend"))
                .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
                .and_where(Expr::col(col("id")).is_in(rows.iter().map(|r| r.id)))
                .to_owned();
            tx.execute(self.backend.build(&del)).await?;
            removed += rows.len() as u64;
            let events = rows
                .iter()
                .map(|r| (r.id, r.created_changes().into_iter().map(|(k, v)| (k, json!({"from": v["to"], "to": null}))).collect()))
                .collect();
            append_history_many(&tx, self.backend, actor, ENTITY, HistoryAction::Delete, events, now).await?;
        }
        tx.commit().await?;
        Ok(removed)
    }

    /// Removes one spend row.
    pub async fn delete_spend(&self, actor: &Actor, id: i64) -> Result<()> {
        may_write(actor)?;
        let tx = self.write.begin().await?;
        let mut q = of_workspace(actor.ws_id());
        q.and_where(Expr::col(col("id")).eq(id));
        let row = decode(&tx.query_one(self.backend.build(&q)).await?.ok_or(StoreError::NotFound)?)?;
        let del = Query::delete()
            .from_table(col("marketing_spend"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("id")).eq(id))
            .to_owned();
        tx.execute(self.backend.build(&del)).await?;
        let changes = row.created_changes().into_iter().map(|(k, v)| (k, json!({"from": v["to"], "to": null}))).collect();
        append_history(&tx, self.backend, actor, ENTITY, id, HistoryAction::Delete, changes, self.clock.now_ms()).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The demo's campaigns: (channel, medium, campaign, keywords, a weekday's spend in roubles,
/// cost of a click in roubles). The channels and campaigns are the ones the demo's deals and
/// intake deliveries carry in their UTM marks.
type DemoCampaign = (&'static str, &'static str, &'static str, &'static [&'static str], i64, i64);
const DEMO_CAMPAIGNS: &[DemoCampaign] = &[
    ("yandex", "cpc", "crm_msk_search", &["внедрение crm", "сквозная аналитика"], 6_000, 85),
    ("yandex", "cpc", "kzn_poisk", &["разработка сайта", "контекстная реклама цена"], 2_500, 60),
    ("yandex", "cpc", "seo_spb", &["seo продвижение"], 1_800, 55),
    ("yandex", "cpc", "brand", &[], 900, 25),
    ("yandex", "cpc", "rsya_retarget", &[], 1_500, 18),
    ("google", "cpc", "", &[], 2_000, 70),
];
/// Days of demo spend, ending yesterday.
const DEMO_DAYS: i64 = 42;

impl Db {
    /// A few weeks of daily spend for the demo's channels and campaigns, so the spend page and
    /// the marketing report have figures from the first start. Deterministic: the same day
    /// always gets the same figures. Returns the rows written.
    pub async fn demo_spend(&self, ws: i64) -> Result<u64> {
        let sys = self.system_actor(ws, poryadok_core::domain::Channel::Demo).await?;
        let today = poryadok_core::zone::local(&sys.ws.timezone, self.clock.now_ms()).date();
        let mut lines = Vec::new();
        for back in (1..=DEMO_DAYS).rev() {
            let Some(day) = today.checked_sub(time::Duration::days(back)) else { continue };
            // Weekends cost less; every day wobbles by up to ±20 % (a hash of the date, not chance).
            let weekend = matches!(day.weekday(), time::Weekday::Saturday | time::Weekday::Sunday);
            for (i, (channel, medium, campaign, terms, base, cpc)) in DEMO_CAMPAIGNS.iter().enumerate() {
                let parts: Vec<&str> = if terms.is_empty() { vec![""] } else { terms.to_vec() };
                for (j, term) in parts.iter().enumerate() {
                    let seed = (day.to_julian_day() as i64).wrapping_mul(2_654_435_761).wrapping_add((i * 31 + j) as i64 * 40_503);
                    let wobble = 80 + seed.rem_euclid(41);
                    let roubles = base * wobble / 100 * if weekend { 55 } else { 100 } / 100 / parts.len() as i64;
                    let clicks = (roubles / cpc).max(1);
                    lines.push(SpendLine {
                        day: core_spend::day_key(day),
                        channel: (*channel).to_string(),
                        medium: (*medium).to_string(),
                        campaign: (*campaign).to_string(),
                        term: (*term).to_string(),
                        amount: roubles * 100 + seed.rem_euclid(100),
                        impressions: Some(clicks * (25 + seed.rem_euclid(20))),
                        clicks: Some(clicks),
                    });
                }
            }
        }
        let tx = self.write.begin().await?;
        let (w, _) = write_lines(&tx, self.backend, &sys, &lines, None, self.clock.now_ms(), false, &mut |_, _| {}).await?;
        tx.commit().await?;
        Ok(w.created + w.updated)
    }
}
