//! What a filter box may say, for the condition builder and the autocomplete of `app.js`.
//!
//! `GET /filter/fields/{entity}` (`deal`/`deals`, `person`, `organization`, `activity`) answers
//! JSON: every field a filter on that entity may name — its own columns under the language's names
//! (`owner`, `stage`, `org`…), the workspace's custom fields, `last_activity_at` and the one-step
//! relations (`org.name`, `person.phone`, `owner.role`) — each with its label in the reader's
//! language, its kind, the operators the checker takes for it (as the language spells them, with
//! their labels) and, for closed sets, the values: enum options, the workspace's stages,
//! pipelines, teams and users. The collections (`exists activity(…)`) are listed for the
//! autocomplete. With `?q=`, the answer also reads that expression back into builder rows when it
//! is a plain AND or OR of simple comparisons (`rows`; absent when it is not).
//!
//! Everything comes from the caller's workspace through the same store calls the lists use, so a
//! reader is offered only names they could already see; nothing here writes.
use super::i18n::T;
use super::messages::field_label;
use super::{store_error, Ui};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use poryadok_core::domain::CustomFieldType;
use poryadok_core::filter::{parse, CmpOp, ExprKind, FilterSchema, Term, TermKind};
use poryadok_core::schema::{Entity, Kind};
use poryadok_core::types::Val;
use poryadok_store::{ListQuery, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub fn routes() -> Router<AppState> {
    Router::new().route("/filter/fields/{entity}", get(fields))
}

/// An operator as the language writes it, and how the builder names it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Op {
    pub op: &'static str,
    pub label: String,
}

/// A value a field may take: as written in a filter (before quoting) and as shown.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Choice {
    pub value: String,
    pub label: String,
    /// The pipeline of a stage, the builder's option group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FieldInfo {
    /// The name a filter writes: `status`, `owner`, `city`, `org.name`.
    pub name: String,
    pub label: String,
    /// `text`, `int`, `number`, `money`, `date`, `timestamp`, `bool`, `enum`, `user`, `stage`,
    /// `pipeline`, `team`, `ref` (a linked record by id) or `id`.
    pub kind: &'static str,
    /// `field` (the entity's own), `custom` (the workspace's) or `related` (`org.`, `owner.`…).
    pub group: &'static str,
    pub ops: Vec<Op>,
    /// The values of a closed set (enum, stage, pipeline, team, user, bool); empty otherwise.
    pub options: Vec<Choice>,
}

/// `exists activity(…)`: a collection the entity's filters may look into.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CollectionInfo {
    pub name: &'static str,
    /// The entity its condition is written over (`activity`, `deal`).
    pub entity: &'static str,
    pub label: String,
}

/// One builder row read back from an expression.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RowBack {
    pub field: String,
    pub op: &'static str,
    /// The value as the builder holds it: unquoted text, an option's value, a date, a number.
    pub value: String,
    /// The value is a time written as the language writes it (`now - 7d`), kept as is.
    pub raw: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RowsBack {
    /// `and` or `or`.
    pub join: &'static str,
    pub rows: Vec<RowBack>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FieldsAnswer {
    pub entity: &'static str,
    pub fields: Vec<FieldInfo>,
    pub collections: Vec<CollectionInfo>,
    /// The words that join conditions (`and`, `or`, `not`, `exists`, `count`), with what they do.
    pub words: Vec<Choice>,
    /// Points in time a date or time field compares with (`today`, `now - 7d`).
    pub times: Vec<Choice>,
    /// The builder's and the suggestions' texts in the reader's language.
    pub texts: BTreeMap<&'static str, String>,
    /// `?q=` read back as rows; `None` when there was no `q` or it is more than rows can say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<RowsBack>,
}

#[derive(Deserialize)]
struct FieldsQuery {
    q: Option<String>,
}

/// Users offered as values; a larger team still types `owner.name ~ "…"`.
const MAX_USERS: &str = "500";

fn entity_of(segment: &str) -> Option<Entity> {
    let e = Entity::from_name(segment).or_else(|| Entity::from_path(segment))?;
    matches!(e, Entity::Deal | Entity::Person | Entity::Organization | Entity::Activity).then_some(e)
}

async fn fields(State(st): State<AppState>, ui: Ui, Path(segment): Path<String>, Query(query): Query<FieldsQuery>) -> Response {
    let Some(entity) = entity_of(&segment) else {
        return store_error(&ui, StoreError::NotFound);
    };
    match answer(&st, &ui, entity, query.q.as_deref()).await {
        Ok(a) => Json(a).into_response(),
        Err(e) => store_error(&ui, e),
    }
}

/// The workspace's names a value may take, as the reader may see them.
struct Names {
    schema: FilterSchema,
    /// `(id, name, active)` of the workspace's users.
    users: Vec<(i64, String, bool)>,
}

async fn answer(st: &AppState, ui: &Ui, entity: Entity, q: Option<&str>) -> Result<FieldsAnswer, StoreError> {
    let schema = st.db.filter_schema(&ui.actor, entity).await?;
    let lq = ListQuery { limit: Some(MAX_USERS.into()), sort: Some("name".into()), ..ListQuery::default() };
    let users = st
        .db
        .list(&ui.actor, Entity::User, &lq)
        .await?
        .data
        .iter()
        .map(|r| (r.id(), r.get("name").as_text().unwrap_or("").to_string(), !matches!(r.get("active"), Val::Bool(false))))
        .collect();
    let names = Names { schema, users };
    let fields = field_list(&ui.t, entity, &names);
    let rows = q.map(|q| read_back(q, &fields)).unwrap_or(None);
    let t = &ui.t;
    let choice = |value: &str, key: &str| Choice { value: value.to_string(), label: t.t(key).to_string(), group: None };
    let mut words = vec![choice("and", "filter.kw.and"), choice("or", "filter.kw.or"), choice("not", "filter.kw.not")];
    if entity != Entity::Activity {
        words.extend([choice("exists", "filter.kw.exists"), choice("count", "filter.kw.count")]);
    }
    let times = vec![
        choice("today", "filter.kw.today"),
        choice("now", "filter.kw.now"),
        choice("now - 7d", "filter.kw.week_ago"),
        choice("now - 30d", "filter.kw.month_ago"),
        choice("today + 7d", "filter.kw.in_week"),
    ];
    let texts = TEXTS.iter().map(|(name, key)| (*name, t.t(key).to_string())).collect();
    Ok(FieldsAnswer { entity: entity.name(), collections: collections(t, entity), fields, words, times, texts, rows })
}

/// The texts `app.js` shows, by the name it asks for.
const TEXTS: &[(&str, &str)] = &[
    ("title", "filter.builder.title"),
    ("match", "filter.builder.match"),
    ("all", "filter.builder.all"),
    ("any", "filter.builder.any"),
    ("add", "filter.builder.add"),
    ("apply", "filter.builder.apply"),
    ("cancel", "filter.builder.cancel"),
    ("remove", "filter.builder.remove"),
    ("field", "filter.builder.field"),
    ("op", "filter.builder.op"),
    ("value", "filter.builder.value"),
    ("choose", "filter.builder.choose"),
    ("replaces", "filter.builder.replaces"),
    ("empty", "filter.builder.empty"),
    ("need_value", "filter.builder.need_value"),
    ("group_field", "filter.builder.group.field"),
    ("group_custom", "filter.builder.group.custom"),
    ("group_related", "filter.builder.group.related"),
    ("suggestions", "filter.ac.label"),
    ("hint", "filter.ac.hint"),
];

/// The language's short name for a reference column (`owner_id` is written `owner`).
fn alias(column: &str) -> &str {
    match column {
        "owner_id" => "owner",
        "stage_id" => "stage",
        "pipeline_id" => "pipeline",
        "organization_id" => "org",
        "person_id" => "person",
        "deal_id" => "deal",
        "team_id" => "team",
        other => other,
    }
}

/// A built-in field's label: the message catalogue's `field.*`, else the filter's own.
fn builtin_label(t: &T, column: &str) -> String {
    let label = field_label(t, column);
    if label != column {
        return label;
    }
    let own = format!("filter.field.{column}");
    match t.t(&own) {
        l if l == own => column.to_string(),
        l => l.to_string(),
    }
}

/// The first of `keys` the catalogue has, in the reader's language.
fn first_known(t: &T, keys: &[String]) -> Option<String> {
    keys.iter().find_map(|k| Some(t.t(k)).filter(|l| l != k).map(str::to_string))
}

/// How an enum value of a built-in field reads (`open` is «Открыта»); the value itself otherwise.
fn enum_label(t: &T, column: &str, value: &str) -> String {
    let mut keys = vec![format!("filter.value.{column}.{value}")];
    match column {
        "status" => keys.push(format!("lists.status.{value}")),
        "type" => keys.push(format!("card.type.{value}")),
        "role" => keys.push(format!("settings.role.{value}")),
        _ => {}
    }
    first_known(t, &keys).unwrap_or_else(|| value.to_string())
}

fn op(t: &T, op: &'static str, timeline: bool) -> Op {
    let key = match op {
        "=" => "eq",
        "!=" => "ne",
        "<" => "lt",
        "<=" => "le",
        ">" => "gt",
        ">=" => "ge",
        "~" => "contains",
        "!~" => "not_contains",
        "in" => "in",
        "not in" => "not_in",
        "is empty" => "empty",
        _ => "not_empty",
    };
    // Dates and stages read as "before" and "after", not "less" and "more".
    let ordered = ["lt", "le", "gt", "ge"].contains(&key);
    let name = if timeline && ordered { format!("filter.op.time.{key}") } else { format!("filter.op.{key}") };
    Op { op, label: t.t(&name).to_string() }
}

/// The operators the checker takes for a kind, in the order a reader wants them.
fn ops(t: &T, kind: &str) -> Vec<Op> {
    const EMPTY: [&str; 2] = ["is empty", "is not empty"];
    let list: Vec<&'static str> = match kind {
        "text" => ["~", "!~", "=", "!=", "in", "not in"].into_iter().chain(EMPTY).collect(),
        "int" | "number" | "money" => ["=", "!=", ">", ">=", "<", "<=", "in", "not in"].into_iter().chain(EMPTY).collect(),
        "date" | "timestamp" => ["<", "<=", ">", ">=", "=", "!="].into_iter().chain(EMPTY).collect(),
        "bool" => vec!["=", "!="],
        "enum" | "user" => ["=", "!=", "in", "not in"].into_iter().chain(EMPTY).collect(),
        "stage" => vec!["=", "!=", ">=", ">", "<=", "<", "in", "not in"],
        "pipeline" | "team" => vec!["=", "!=", "in", "not in"],
        "id" => vec!["=", "!=", "in", "not in"],
        _ => ["=", "!="].into_iter().chain(EMPTY).collect(),
    };
    let timeline = matches!(kind, "date" | "timestamp" | "stage");
    list.into_iter().map(|o| op(t, o, timeline)).collect()
}

/// A kind and its values for a built-in column of `target`; `None` for what a filter cannot name.
fn builtin_kind(t: &T, column: &str, kind: Kind, names: &Names) -> Option<(&'static str, Vec<Choice>)> {
    Some(match (column, kind) {
        ("version", _) => return None,
        ("stage_id", _) => ("stage", stage_choices(names)),
        ("pipeline_id", _) => ("pipeline", plain_choices(names.schema.pipelines.iter().map(|p| p.name.clone()))),
        ("team_id", _) => ("team", plain_choices(names.schema.teams.iter().map(|(_, n)| n.clone()))),
        (_, Kind::Ref(Entity::User)) => ("user", user_choices(t, names)),
        (_, Kind::Ref(_)) => ("ref", Vec::new()),
        (_, Kind::Id) => ("id", Vec::new()),
        (_, Kind::Text(_) | Kind::LongText(_) | Kind::Email | Kind::Phone | Kind::Url | Kind::Currency | Kind::Key) => ("text", Vec::new()),
        (_, Kind::Enum(values)) => {
            ("enum", values.iter().map(|v| Choice { value: v.to_string(), label: enum_label(t, column, v), group: None }).collect())
        }
        (_, Kind::Int { .. }) => ("int", Vec::new()),
        (_, Kind::Money) => ("money", Vec::new()),
        (_, Kind::Bool) => ("bool", bool_choices(t)),
        (_, Kind::Date) => ("date", Vec::new()),
        (_, Kind::Timestamp) => ("timestamp", Vec::new()),
        (_, Kind::Custom | Kind::StringList | Kind::PhoneList | Kind::EmailList | Kind::Password | Kind::Json(_)) => return None,
    })
}

fn custom_kind(t: &T, ty: CustomFieldType, options: &[String], names: &Names) -> (&'static str, Vec<Choice>) {
    match ty {
        CustomFieldType::Text | CustomFieldType::Url => ("text", Vec::new()),
        CustomFieldType::Number => ("number", Vec::new()),
        CustomFieldType::Money => ("money", Vec::new()),
        CustomFieldType::Date => ("date", Vec::new()),
        CustomFieldType::Enum => ("enum", plain_choices(options.iter().cloned())),
        CustomFieldType::Bool => ("bool", bool_choices(t)),
        CustomFieldType::User => ("user", user_choices(t, names)),
        CustomFieldType::Organization => ("ref", Vec::new()),
    }
}

fn plain_choices(values: impl Iterator<Item = String>) -> Vec<Choice> {
    let mut out: Vec<Choice> = Vec::new();
    for v in values {
        if !out.iter().any(|c| c.value == v) {
            out.push(Choice { label: v.clone(), value: v, group: None });
        }
    }
    out
}

fn bool_choices(t: &T) -> Vec<Choice> {
    [("true", "filter.yes"), ("false", "filter.no")]
        .iter()
        .map(|(v, k)| Choice { value: v.to_string(), label: t.t(k).to_string(), group: None })
        .collect()
}

/// `me` first, then the workspace's users (a deactivated one marked so).
fn user_choices(t: &T, names: &Names) -> Vec<Choice> {
    let mut out = vec![Choice { value: "me".into(), label: t.t("filter.me").to_string(), group: None }];
    out.extend(names.users.iter().map(|(id, name, active)| Choice {
        value: id.to_string(),
        label: if *active { name.clone() } else { format!("{name} ({})", t.t("filter.inactive")) },
        group: None,
    }));
    out
}

/// Stages by name under their pipeline, in the pipelines' and stages' order.
fn stage_choices(names: &Names) -> Vec<Choice> {
    let mut stages = names.schema.stages.clone();
    let pipeline_pos = |id: i64| names.schema.pipelines.iter().position(|p| p.id == id).unwrap_or(usize::MAX);
    stages.sort_by_key(|s| (pipeline_pos(s.pipeline_id), s.position, s.id));
    stages
        .iter()
        .map(|s| Choice {
            value: s.name.clone(),
            label: s.name.clone(),
            group: names.schema.pipelines.iter().find(|p| p.id == s.pipeline_id).map(|p| p.name.clone()),
        })
        .collect()
}

/// The relations a filter on `entity` may follow one step, with the label of each.
fn relations(entity: Entity) -> &'static [(&'static str, Entity, &'static str)] {
    const ORG: (&str, Entity, &str) = ("org", Entity::Organization, "organization_id");
    const PERSON: (&str, Entity, &str) = ("person", Entity::Person, "person_id");
    const OWNER: (&str, Entity, &str) = ("owner", Entity::User, "owner_id");
    match entity {
        Entity::Deal | Entity::Activity => &[ORG, PERSON, OWNER],
        Entity::Person => &[ORG, OWNER],
        _ => &[OWNER],
    }
}

/// The fields of `target` as named from `entity` through `prefix` (empty: its own).
fn fields_of(t: &T, target: Entity, prefix: &str, names: &Names, out: &mut Vec<FieldInfo>) {
    let related = !prefix.is_empty();
    let rel_label = relations(Entity::Deal).iter().find(|(p, _, _)| *p == prefix).map(|(_, _, col)| builtin_label(t, col));
    let name_of = |n: &str| if related { format!("{prefix}.{n}") } else { n.to_string() };
    let label_of = |l: String| match &rel_label {
        Some(r) => format!("{r} · {l}"),
        None => l,
    };
    let group = if related { "related" } else { "field" };
    for f in target.fields().iter().filter(|f| f.readable()) {
        // A related record's own id and links lead nowhere a reader filters by.
        if related && (matches!(f.kind, Kind::Id) || matches!(f.kind, Kind::Ref(e) if !matches!(e, Entity::User | Entity::Team))) {
            continue;
        }
        let Some((kind, options)) = builtin_kind(t, f.name, f.kind, names) else { continue };
        out.push(FieldInfo {
            name: name_of(alias(f.name)),
            label: label_of(if target == Entity::Organization && f.name == "name" {
                t.t("filter.field.organization_name").to_string()
            } else {
                builtin_label(t, f.name)
            }),
            kind,
            group,
            ops: ops(t, kind),
            options,
        });
    }
    if matches!(target, Entity::Deal | Entity::Person | Entity::Organization) {
        out.push(FieldInfo {
            name: name_of("last_activity_at"),
            label: label_of(builtin_label(t, "last_activity_at")),
            kind: "timestamp",
            group,
            ops: ops(t, "timestamp"),
            options: Vec::new(),
        });
    }
    let defs = names.schema.custom.iter().find(|(e, _)| *e == target).map(|(_, d)| d.as_slice()).unwrap_or(&[]);
    for d in defs {
        let (kind, options) = custom_kind(t, d.field_type, &d.options, names);
        out.push(FieldInfo {
            name: name_of(&d.key),
            label: label_of(if d.label.is_empty() { d.key.clone() } else { d.label.clone() }),
            kind,
            group: if related { "related" } else { "custom" },
            ops: ops(t, kind),
            options,
        });
    }
}

/// Every field a filter on `entity` may name: its own, its custom fields, then the related ones.
fn field_list(t: &T, entity: Entity, names: &Names) -> Vec<FieldInfo> {
    let mut own = Vec::new();
    fields_of(t, entity, "", names, &mut own);
    // Custom fields come after the built-in ones whatever the order above.
    own.sort_by_key(|f| f.group == "custom");
    for (prefix, target, _) in relations(entity) {
        fields_of(t, *target, prefix, names, &mut own);
    }
    // The touch a deal is credited to, per attribution model: its channel, campaign and keyword.
    if entity == Entity::Deal {
        use poryadok_core::attribution::Model;
        use poryadok_core::filter::{touch_relation, TouchPart};
        for m in Model::ALL {
            let model = t.t(&format!("analytics.attribution.{}", m.as_str())).to_string();
            for part in TouchPart::ALL {
                own.push(FieldInfo {
                    name: format!("{}.{}", touch_relation(m), part.as_str()),
                    label: format!("{model} · {}", t.t(&format!("analytics.col.{}", part.as_str()))),
                    kind: "text",
                    group: "related",
                    ops: ops(t, "text"),
                    options: Vec::new(),
                });
            }
        }
    }
    own
}

fn collections(t: &T, entity: Entity) -> Vec<CollectionInfo> {
    let activity = CollectionInfo { name: "activity", entity: "activity", label: t.t("filter.collection.activity").to_string() };
    let deal = CollectionInfo { name: "deal", entity: "deal", label: t.t("filter.collection.deal").to_string() };
    match entity {
        Entity::Deal => vec![activity],
        Entity::Person | Entity::Organization => vec![activity, deal],
        _ => Vec::new(),
    }
}

/// `q` as builder rows, when it is an AND (or an OR) of comparisons of known fields with plain
/// values; `None` when the builder cannot show it.
pub fn read_back(q: &str, fields: &[FieldInfo]) -> Option<RowsBack> {
    let q = q.trim();
    if q.is_empty() {
        return Some(RowsBack { join: "and", rows: Vec::new() });
    }
    if !super::lists::looks_like_expression(q) {
        return None;
    }
    let expr = parse(q).ok()?;
    let (join, items) = match &expr.kind {
        ExprKind::And(items) => ("and", items.iter().collect::<Vec<_>>()),
        ExprKind::Or(items) => ("or", items.iter().collect()),
        _ => ("and", vec![&expr]),
    };
    let rows = items.into_iter().map(|e| row_of(&e.kind, fields)).collect::<Option<Vec<_>>>()?;
    Some(RowsBack { join, rows })
}

fn field_named<'a>(term: &Term, fields: &'a [FieldInfo]) -> Option<&'a FieldInfo> {
    let TermKind::Path(parts) = &term.kind else { return None };
    let name = parts.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(".");
    // `organization.` is the long spelling of `org.`.
    let name = match name.strip_prefix("organization") {
        Some(rest) if rest.is_empty() || rest.starts_with('.') => format!("org{rest}"),
        _ => name,
    };
    fields.iter().find(|f| f.name == name)
}

fn row(field: &FieldInfo, op: &'static str, value: String, raw: bool) -> Option<RowBack> {
    field.ops.iter().any(|o| o.op == op).then(|| RowBack { field: field.name.clone(), op, value, raw })
}

fn row_of(kind: &ExprKind, fields: &[FieldInfo]) -> Option<RowBack> {
    match kind {
        ExprKind::Compare { left, op, right, .. } => {
            let f = field_named(left, fields)?;
            let (value, raw) = value_of(f, right)?;
            row(f, cmp(*op), value, raw)
        }
        ExprKind::Contains { left, negated, needle, .. } => {
            let f = field_named(left, fields)?;
            let TermKind::Str(s) = &needle.kind else { return None };
            row(f, if *negated { "!~" } else { "~" }, s.clone(), false)
        }
        ExprKind::IsEmpty { term, negated } => {
            let f = field_named(term, fields)?;
            row(f, if *negated { "is not empty" } else { "is empty" }, String::new(), false)
        }
        ExprKind::Truth(term) => {
            let f = field_named(term, fields).filter(|f| f.kind == "bool")?;
            row(f, "=", "true".into(), false)
        }
        _ => None,
    }
}

fn cmp(op: CmpOp) -> &'static str {
    op.as_str()
}

/// A value term as the builder holds it for `f`, and whether it is a time kept as written.
fn value_of(f: &FieldInfo, t: &Term) -> Option<(String, bool)> {
    let value = match &t.kind {
        TermKind::Str(s) => s.clone(),
        TermKind::Number(n) => n.clone(),
        TermKind::Bool(b) => b.to_string(),
        TermKind::Date(d) => d.clone(),
        TermKind::Me => "me".into(),
        TermKind::Path(parts) if parts.len() == 1 && f.kind == "enum" => parts[0].name.clone(),
        TermKind::Now | TermKind::Today | TermKind::Offset { .. } if matches!(f.kind, "date" | "timestamp") => {
            return Some((t.to_string(), true));
        }
        _ => return None,
    };
    if f.options.is_empty() {
        return match f.kind {
            "date" | "timestamp" if !matches!(t.kind, TermKind::Date(_)) => None,
            "int" | "number" | "money" | "id" | "ref" if !matches!(t.kind, TermKind::Number(_)) => None,
            "text" if !matches!(t.kind, TermKind::Str(_)) => None,
            _ => Some((value, false)),
        };
    }
    // A closed set: the option itself (enum values and names match ignoring case, as the checker does).
    let folded = value.to_lowercase();
    f.options
        .iter()
        .find(|o| o.value == value)
        .or_else(|| f.options.iter().find(|o| o.value.to_lowercase() == folded))
        .map(|o| (o.value.clone(), false))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, kind: &'static str, options: &[&str]) -> FieldInfo {
        let t = T::new(super::super::i18n::Lang::En);
        FieldInfo {
            name: name.into(),
            label: name.into(),
            kind,
            group: "field",
            ops: ops(&t, kind),
            options: options.iter().map(|o| Choice { value: o.to_string(), label: o.to_string(), group: None }).collect(),
        }
    }

    fn fields() -> Vec<FieldInfo> {
        vec![
            field("status", "enum", &["open", "won"]),
            field("value", "money", &[]),
            field("title", "text", &[]),
            field("stage", "stage", &["Новый", "Отправлено КП"]),
            field("owner", "user", &["me", "7"]),
            field("stage_entered_at", "timestamp", &[]),
            field("org.name", "text", &[]),
            field("is_agency", "bool", &["true", "false"]),
        ]
    }

    fn rows(q: &str) -> Option<Vec<(String, &'static str, String, bool)>> {
        read_back(q, &fields()).map(|r| r.rows.into_iter().map(|r| (r.field, r.op, r.value, r.raw)).collect())
    }

    #[test]
    fn simple_expressions_read_back_as_rows() {
        let r = read_back(r#"status = OPEN and value > 100000 and title ~ "a \"b\"""#, &fields()).unwrap();
        assert_eq!(r.join, "and");
        let got: Vec<_> = r.rows.iter().map(|r| (r.field.as_str(), r.op, r.value.as_str())).collect();
        assert_eq!(got, [("status", "=", "open"), ("value", ">", "100000"), ("title", "~", r#"a "b""#)]);
        assert_eq!(read_back(r#"stage >= "отправлено кп" or owner = me"#, &fields()).unwrap().join, "or");
        assert_eq!(
            rows("stage_entered_at < now - 7d and organization.name is empty and is_agency"),
            Some(vec![
                ("stage_entered_at".into(), "<", "now - 7d".into(), true),
                ("org.name".into(), "is empty", String::new(), false),
                ("is_agency".into(), "=", "true".into(), false),
            ])
        );
        assert_eq!(rows(""), Some(vec![]));
    }

    #[test]
    fn what_rows_cannot_say_is_not_read_back() {
        for q in [
            "status = open and (value > 1 or value < 0)",
            "not status = open",
            "exists activity(done = false)",
            "status = open or value > 5 and title ~ \"x\"",
            "status in (open, won)",
            "unknown = 5",
            "value > now",
            "stage = \"Нет такого\"",
            "Ромашка",
            "status = ",
        ] {
            assert_eq!(rows(q), None, "{q}");
        }
    }
}
