//! Syntax tree to [`Checked`]: names resolved to columns and ids, literals converted to storage
//! units, types checked. What [`check`] returns is all that [`eval`](super::eval) and the SQL
//! compiler ever see.
use super::ast::{CmpOp, Collection, Expr, ExprKind, Ident, Sign, Span, Term, TermKind};
use super::{FilterError, MAX_DEPTH};
use crate::attribution::{text_key, Channels, Model};
use crate::domain::CustomFieldType;
use crate::msg::{EntityWord, FilterKind, FilterMsg as M, Found};
use crate::schema::{Entity, Kind};
use crate::types::{from_ms, to_ms};
use crate::validate::{edit_distance, CustomDef};

/// One day in milliseconds.
pub const DAY_MS: i64 = 86_400_000;

/// A stage as the checker needs it: `stage >= "X"` follows `position` within `pipeline_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageInfo {
    pub id: i64,
    pub pipeline_id: i64,
    pub name: String,
    pub position: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineInfo {
    pub id: i64,
    pub name: String,
}

/// What a filter is checked against: the entity it selects and the workspace's names.
#[derive(Debug, Clone)]
pub struct FilterSchema {
    /// Deal, Person, Organization or Activity.
    pub entity: Entity,
    /// Custom field definitions of each entity (those of related entities too: `org.city`).
    pub custom: Vec<(Entity, Vec<CustomDef>)>,
    pub stages: Vec<StageInfo>,
    pub pipelines: Vec<PipelineInfo>,
    /// `(id, name)` of every team, for `owner.team = "Казань"`.
    pub teams: Vec<(i64, String)>,
    /// The current user, for `me`; `None` makes `me` an error.
    pub me: Option<i64>,
    /// The workspace's channel aliases, for `first_touch.channel` and the like.
    pub channels: std::sync::Arc<Channels>,
}

impl FilterSchema {
    /// A schema for `entity` with no custom fields, pipelines, stages, teams or user.
    pub fn new(entity: Entity) -> Self {
        FilterSchema {
            entity,
            custom: Vec::new(),
            stages: Vec::new(),
            pipelines: Vec::new(),
            teams: Vec::new(),
            me: None,
            channels: std::sync::Arc::new(Channels::default()),
        }
    }

    fn custom_defs(&self, entity: Entity) -> &[CustomDef] {
        self.custom.iter().find(|(e, _)| *e == entity).map(|(_, d)| d.as_slice()).unwrap_or(&[])
    }
}

/// A filter that has passed [`check`]: only `check` makes one.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    entity: Entity,
    cond: Cond,
}

impl Checked {
    /// The entity whose rows the condition selects (the scope of [`Side::This`] at the top).
    pub fn entity(&self) -> Entity {
        self.entity
    }
    pub fn cond(&self) -> &Cond {
        &self.cond
    }
}

/// A checked condition over the rows of one entity (the *scope*: [`Checked::entity`] at the
/// top, the collection's entity inside [`Cond::Exists`] and [`Cond::Count`]).
///
/// # Contract for evaluation and SQL compilation
///
/// [`eval`](super::eval) implements exactly this; SQL compiled from a `Cond` must too, so that a
/// filter selects the same records in memory, on SQLite and on PostgreSQL.
///
/// **Every condition is true or false, never NULL.**
///
/// * An operand is NULL when its column is NULL; when the relation of its [`Side`] is missing
///   (no organization, deleted organization: all its columns are NULL); when a custom key is
///   absent, JSON `null`, or of a JSON type other than its [`CustomFieldType`] stores (see
///   [`Column::Custom`]); and [`Operand::LastActivityAt`] is NULL when there are no activities.
///   [`Operand::Lit`], [`Operand::Now`] and [`Operand::Today`] are never NULL.
/// * `Compare`, `In` and `Contains` — *including* `!=`, `negated` `In` (`not in`) and `negated`
///   `Contains` (`!~`) — are **false** when an operand is NULL. In SQL wrap each one:
///   `(L IS NOT NULL AND L op R)`, adding `R IS NOT NULL` when `R` is a column or
///   `LastActivityAt` too; `(L IS NOT NULL AND L NOT IN (…))`;
///   `(L IS NOT NULL AND NOT contains(L, needle))`.
/// * `IsEmpty(x)` is true when `x` is NULL, or is text equal to `''`: SQL
///   `(x IS NULL OR x = '')` when `x` is a custom column or its `ty` is `Text`, `Enum` or
///   `Date`; `x IS NULL` otherwise.
/// * `Not(c)` is the plain negation of `c`. Because no condition is NULL, SQL `NOT (…)` over
///   the wrapped forms above gives the same answer: `not (city ~ "x")` is true for a record
///   with no city, `city !~ "x"` is false for it.
/// * `And([])` is true, `Or([])` false (the checker never makes empty ones).
/// * `Exists` and `Count` are over the collection's rows that are not deleted
///   (`deleted_at IS NULL`) and whose [`Sub::fk`] column equals the scope row's `id`:
///   `EXISTS (SELECT 1 FROM activities a WHERE a.deal_id = d.id AND a.deleted_at IS NULL AND …)`,
///   `(SELECT COUNT(*) FROM … ) op n`. The records handed to the evaluator must likewise leave
///   deleted rows out.
///
/// Other rules:
///
/// * In `Compare`, `left` is always a [`Operand::Column`] or [`Operand::LastActivityAt`], and
///   `ty` is the type of both sides. `right` is a column (or `LastActivityAt`) of the same
///   type, a literal in the storage form of `ty`, or `Now`/`Today`, whose value is
///   [`Operand::constant`] at `now_ms` (Unix ms for [`Ty::Timestamp`], `YYYY-MM-DD` text for
///   [`Ty::Date`]).
///   Ordering operators appear only with `Int`, `Money`, `Number`, `Timestamp`, `Date` (dates
///   compare as text, which orders `YYYY-MM-DD` correctly; use a byte-wise collation).
/// * Text `=`/`!=`/`in` are exact (case-sensitive, byte-wise).
/// * `Contains.needle` is already lower-cased with Rust's `str::to_lowercase`; the column must
///   be folded the same way (Cyrillic included: SQLite's built-in `lower()` folds only ASCII) and
///   matched as a plain substring (LIKE would treat `%` and `_` in the needle as wildcards).
///   An empty needle matches every non-NULL value.
/// * `In.values` is never empty and has no duplicates.
/// * [`Operand::LastActivityAt`] of a row: over its non-deleted activities, the maximum of
///   `CASE WHEN done AND done_at IS NOT NULL THEN done_at ELSE created_at END`; NULL if none.
///   Activities of a deal are those with `deal_id` = its id; of a person, `person_id`; of an
///   organization, `organization_id`.
/// * [`Operand::Touch`] of a deal (a [`Ty::Text`]): of the deal's `touches` rows ordered by
///   `(occurred_at, id)` — or, when it has none, its own `utm_source`, `utm_campaign`,
///   `utm_term` as its one touch — the one [`crate::attribution::choose`] credits under the
///   model (direct as [`crate::attribution::is_direct`] over `utm_source` and `referrer`); the
///   value is that touch's channel ([`Channels::channel`] of its `utm_source`) or its campaign
///   or keyword ([`text_key`]); NULL when there is no touch or no such mark.
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
    Const(bool),
    Compare {
        left: Operand,
        op: CmpOp,
        right: Operand,
        ty: Ty,
    },
    /// `left` is one of `values` (`negated`: is none of them).
    In {
        left: Operand,
        values: Vec<Lit>,
        negated: bool,
    },
    IsEmpty(Operand),
    /// `left` folded to lower case contains `needle` (`negated`: does not).
    Contains {
        left: Operand,
        needle: String,
        negated: bool,
    },
    Exists {
        collection: Sub,
        cond: Box<Cond>,
    },
    /// The number of the collection's rows meeting `cond`, compared with `n`.
    Count {
        collection: Sub,
        cond: Box<Cond>,
        op: CmpOp,
        n: i64,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Column(ColumnRef),
    Lit(Lit),
    /// The current instant plus `offset_ms`.
    Now {
        offset_ms: i64,
    },
    /// The start (00:00 UTC) of the current UTC day plus `offset_ms`.
    Today {
        offset_ms: i64,
    },
    /// The derived `last_activity_at` (a [`Ty::Timestamp`]) of the row on that side.
    LastActivityAt(Side),
    /// A mark of the touch a deal is credited to (`first_touch.channel`).
    Touch(TouchRef),
}

/// Which touch of a deal, and which of its marks.
#[derive(Debug, Clone, PartialEq)]
pub struct TouchRef {
    pub model: Model,
    pub part: TouchPart,
    /// The workspace's aliases, for the channel.
    pub channels: std::sync::Arc<Channels>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TouchPart {
    Channel,
    Campaign,
    Term,
}

impl TouchPart {
    pub const ALL: [TouchPart; 3] = [TouchPart::Channel, TouchPart::Campaign, TouchPart::Term];

    pub fn as_str(self) -> &'static str {
        match self {
            TouchPart::Channel => "channel",
            TouchPart::Campaign => "campaign",
            TouchPart::Term => "term",
        }
    }

    /// The deal's own column (and a touch's) the mark is read from.
    pub fn column(self) -> &'static str {
        match self {
            TouchPart::Channel => "utm_source",
            TouchPart::Campaign => "utm_campaign",
            TouchPart::Term => "utm_term",
        }
    }
}

/// The relation a deal's credited touch is written as (`first_touch.`), per model.
pub fn touch_relation(model: Model) -> &'static str {
    match model {
        Model::First => "first_touch",
        Model::Last => "last_touch",
        Model::LastNonDirect => "last_non_direct_touch",
    }
}

impl TouchRef {
    /// The value of this mark for raw mark text as stored (`None`: no such mark).
    pub fn value(&self, raw: Option<&str>) -> Option<String> {
        match self.part {
            TouchPart::Channel => self.channels.channel(raw),
            TouchPart::Campaign | TouchPart::Term => text_key(raw),
        }
    }
}

impl Operand {
    /// The value of a literal, `Now` or `Today` at `now_ms`, in the storage form of `ty`
    /// (`Date`: the UTC date of the instant as `YYYY-MM-DD`; otherwise Unix ms). `None` for
    /// columns and `LastActivityAt`.
    pub fn constant(&self, ty: Ty, now_ms: i64) -> Option<Lit> {
        let ms = match self {
            Operand::Lit(l) => return Some(l.clone()),
            Operand::Now { offset_ms } => now_ms.saturating_add(*offset_ms),
            Operand::Today { offset_ms } => now_ms.div_euclid(DAY_MS).saturating_mul(DAY_MS).saturating_add(*offset_ms),
            Operand::Column(_) | Operand::LastActivityAt(_) | Operand::Touch(_) => return None,
        };
        Some(if ty == Ty::Date { Lit::Text(date_of_ms(ms)) } else { Lit::Int(ms) })
    }
}

/// A column of the row on `side`.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnRef {
    pub side: Side,
    pub column: Column,
    pub ty: Ty,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// A column of the side's table, by its storage name (`status`, `owner_id`, `stage_id`).
    Builtin(&'static str),
    /// A key of the side's `custom` JSON object (stored as JSON text). The value counts only
    /// when its JSON type is the one the field type stores: a string for text, url, date and
    /// enum; a number for number (integer or fraction); an integer for money (minor units),
    /// user and organization (ids); a boolean for bool. Any other value is NULL.
    Custom { key: String, ty: CustomFieldType },
}

/// Whose column: the scope row itself, or a row the scope row refers to (inside
/// `exists activity(owner.active)` the scope row is the activity). A missing or deleted related row
/// makes every column of that side NULL (SQL: a LEFT JOIN on the foreign key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    This,
    /// The organization of `organization_id`.
    Org,
    /// The person of `person_id`.
    Person,
    /// The user of `owner_id`.
    Owner,
}

impl Side {
    /// The column of the scope row that points at the related row (`None` for `This`).
    pub fn fk(self) -> Option<&'static str> {
        match self {
            Side::This => None,
            Side::Org => Some("organization_id"),
            Side::Person => Some("person_id"),
            Side::Owner => Some("owner_id"),
        }
    }
    /// The related entity (`None` for `This`); its table is `Entity::table()`.
    pub fn entity(self) -> Option<Entity> {
        match self {
            Side::This => None,
            Side::Org => Some(Entity::Organization),
            Side::Person => Some(Entity::Person),
            Side::Owner => Some(Entity::User),
        }
    }
}

/// A collection of rows belonging to the scope row: those of `entity` (table
/// `entity.table()`) whose column `fk` equals the scope row's `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sub {
    pub entity: Entity,
    pub fk: &'static str,
}

/// The type both sides of a comparison share, and its storage form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ty {
    /// A whole number ([`Lit::Int`]).
    Int,
    /// Minor units (kopecks) as a whole number ([`Lit::Int`]); literals are already converted.
    Money,
    /// A custom number field, integer or fraction, compared as a float ([`Lit::Number`]).
    Number,
    Text,
    /// Text from a closed set ([`Lit::Text`]).
    Enum,
    Bool,
    /// Unix milliseconds ([`Lit::Int`]).
    Timestamp,
    /// `YYYY-MM-DD` text ([`Lit::Text`]).
    Date,
    /// The id of a record of this entity ([`Lit::Int`]).
    Id(Entity),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    Int(i64),
    Number(f64),
    Text(String),
    Bool(bool),
}

/// The UTC date of an instant, `YYYY-MM-DD` (clamped to the years 1..=9999).
pub(crate) fn date_of_ms(ms: i64) -> String {
    const MIN: i64 = -62_135_596_800_000; // 0001-01-01T00:00:00Z
    const MAX: i64 = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    from_ms(ms.clamp(MIN, MAX)).and_then(|t| t.date().format(&fmt).ok()).unwrap_or_default()
}

/// Midnight UTC of a `YYYY-MM-DD` date, in Unix ms.
fn date_ms(d: &str) -> Option<i64> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(d, &fmt).ok().map(|d| to_ms(d.midnight().assume_utc()))
}

/// Checks a parsed filter against `schema`.
pub fn check(expr: &Expr, schema: &FilterSchema) -> Result<Checked, FilterError> {
    if !matches!(schema.entity, Entity::Deal | Entity::Person | Entity::Organization | Entity::Activity) {
        return Err(FilterError::new(expr.span, M::NotFilterable { entity: word(schema.entity) }).hint(M::HintFilterable {}));
    }
    let cond = Checker { schema }.expr(expr, schema.entity, 0)?;
    Ok(Checked { entity: schema.entity, cond })
}

type R<T> = Result<T, FilterError>;

/// Name resolution beyond a plain column.
#[derive(Debug, Clone, PartialEq)]
enum Special {
    Plain,
    /// `stage`: compared with stage names, ordered by position.
    Stage,
    /// `pipeline`: compared with pipeline names.
    Pipeline,
    /// `team` of a user: compared with team names.
    Team,
    /// Allowed values.
    Enum(Vec<String>),
    /// A mark of a deal's credited touch: text compared as the mark is folded.
    Touch,
}

/// A resolved field: what it reads, its type, and how it was written.
#[derive(Debug, Clone)]
struct Field {
    operand: Operand,
    ty: Ty,
    special: Special,
    name: String,
}

fn relations(scope: Entity) -> &'static [(&'static str, Side)] {
    match scope {
        Entity::Deal | Entity::Activity => {
            &[("org", Side::Org), ("organization", Side::Org), ("person", Side::Person), ("owner", Side::Owner)]
        }
        Entity::Person => &[("org", Side::Org), ("organization", Side::Org), ("owner", Side::Owner)],
        Entity::Organization => &[("owner", Side::Owner)],
        _ => &[],
    }
}

fn collections(scope: Entity) -> &'static [(&'static str, Sub)] {
    const fn sub(entity: Entity, fk: &'static str) -> Sub {
        Sub { entity, fk }
    }
    const DEAL: &[(&str, Sub)] = &[("activity", sub(Entity::Activity, "deal_id")), ("activities", sub(Entity::Activity, "deal_id"))];
    const PERSON: &[(&str, Sub)] = &[
        ("activity", sub(Entity::Activity, "person_id")),
        ("activities", sub(Entity::Activity, "person_id")),
        ("deal", sub(Entity::Deal, "person_id")),
        ("deals", sub(Entity::Deal, "person_id")),
    ];
    const ORGANIZATION: &[(&str, Sub)] = &[
        ("activity", sub(Entity::Activity, "organization_id")),
        ("activities", sub(Entity::Activity, "organization_id")),
        ("deal", sub(Entity::Deal, "organization_id")),
        ("deals", sub(Entity::Deal, "organization_id")),
    ];
    match scope {
        Entity::Deal => DEAL,
        Entity::Person => PERSON,
        Entity::Organization => ORGANIZATION,
        _ => &[],
    }
}

/// Short names for reference columns: `(alias, column, special)`.
const ALIASES: &[(&str, &str, Special)] = &[
    ("owner", "owner_id", Special::Plain),
    ("org", "organization_id", Special::Plain),
    ("organization", "organization_id", Special::Plain),
    ("person", "person_id", Special::Plain),
    ("deal", "deal_id", Special::Plain),
    ("pipeline", "pipeline_id", Special::Pipeline),
    ("stage", "stage_id", Special::Stage),
    ("team", "team_id", Special::Team),
];

const LAST_ACTIVITY: &str = "last_activity_at";

fn has_last_activity(e: Entity) -> bool {
    matches!(e, Entity::Deal | Entity::Person | Entity::Organization)
}

fn kind_ty(kind: Kind, own: Entity) -> Option<(Ty, Special)> {
    Some(match kind {
        Kind::Id => (Ty::Id(own), Special::Plain),
        Kind::Text(_) | Kind::LongText(_) | Kind::Email | Kind::Phone | Kind::Url | Kind::Currency | Kind::Key => {
            (Ty::Text, Special::Plain)
        }
        Kind::Enum(values) => (Ty::Enum, Special::Enum(values.iter().map(|v| v.to_string()).collect())),
        Kind::Int { .. } => (Ty::Int, Special::Plain),
        Kind::Money => (Ty::Money, Special::Plain),
        Kind::Bool => (Ty::Bool, Special::Plain),
        Kind::Date => (Ty::Date, Special::Plain),
        Kind::Timestamp => (Ty::Timestamp, Special::Plain),
        Kind::Ref(e) => (Ty::Id(e), Special::Plain),
        Kind::Custom | Kind::StringList | Kind::PhoneList | Kind::EmailList | Kind::Password | Kind::Json(_) => return None,
    })
}

fn custom_ty(def: &CustomDef) -> (Ty, Special) {
    match def.field_type {
        CustomFieldType::Text | CustomFieldType::Url => (Ty::Text, Special::Plain),
        CustomFieldType::Number => (Ty::Number, Special::Plain),
        CustomFieldType::Money => (Ty::Money, Special::Plain),
        CustomFieldType::Date => (Ty::Date, Special::Plain),
        CustomFieldType::Enum => (Ty::Enum, Special::Enum(def.options.clone())),
        CustomFieldType::Bool => (Ty::Bool, Special::Plain),
        CustomFieldType::User => (Ty::Id(Entity::User), Special::Plain),
        CustomFieldType::Organization => (Ty::Id(Entity::Organization), Special::Plain),
    }
}

/// The closest candidate to `word`, if close enough to be a likely typo.
fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let w = word.to_lowercase();
    let limit = (w.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (edit_distance(&w, &c.to_lowercase()), c))
        .filter(|(d, c)| *d <= limit && *d < c.chars().count().max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Names like `"Новый"` in a list for a hint: at most `max`, then "…".
fn list(names: &[String], max: usize) -> String {
    let mut shown: Vec<String> = names.iter().take(max).map(|n| format!("\"{n}\"")).collect();
    if names.len() > max {
        shown.push("…".into());
    }
    shown.join(", ")
}

/// A record kind as a message names it.
fn word(e: Entity) -> EntityWord {
    EntityWord(e.name().to_string())
}

fn ty_name(ty: Ty, special: &Special) -> Box<FilterKind> {
    Box::new(match (ty, special) {
        (_, Special::Enum(values)) => FilterKind::OneOf(values.clone()),
        (_, Special::Stage) => FilterKind::Stage,
        (_, Special::Pipeline) => FilterKind::Pipeline,
        (_, Special::Team) => FilterKind::Team,
        (Ty::Int, _) => FilterKind::WholeNumber,
        (Ty::Money, _) => FilterKind::Money,
        (Ty::Number, _) => FilterKind::Number,
        (Ty::Text | Ty::Enum, _) => FilterKind::Text,
        (Ty::Bool, _) => FilterKind::Bool,
        (Ty::Timestamp, _) => FilterKind::Time,
        (Ty::Date, _) => FilterKind::Date,
        (Ty::Id(Entity::User), _) => FilterKind::User,
        (Ty::Id(Entity::Organization), _) => FilterKind::Organization,
        (Ty::Id(e), _) => FilterKind::Record(e.name().to_string()),
    })
}

/// What to write instead, for a value of the wrong type.
fn ty_hint(f: &Field) -> M {
    let field = f.name.clone();
    match (&f.special, f.ty) {
        (Special::Enum(values), _) => M::HintOneOf { field, values: values.clone() },
        (Special::Stage, _) => M::HintStageQuoted { field },
        (Special::Pipeline, _) => M::HintPipelineQuoted { field },
        (Special::Team, _) => M::HintTeamQuoted { field },
        (_, Ty::Bool) => M::HintBool { field },
        (_, Ty::Timestamp) => M::HintTime { field },
        (_, Ty::Date) => M::HintDate { field },
        (_, Ty::Money) => M::HintMoney { field },
        (_, Ty::Int | Ty::Number) => M::HintNumber { field },
        (_, Ty::Text | Ty::Enum) => M::HintText { field },
        (_, Ty::Id(Entity::User)) => M::HintUser { field },
        (_, Ty::Id(_)) => M::HintId { field },
    }
}

/// How a value term is named in a type error.
fn value_kind(t: &Term) -> Box<FilterKind> {
    Box::new(match t.kind {
        TermKind::Str(_) => FilterKind::Text,
        TermKind::Number(_) => FilterKind::Number,
        TermKind::Bool(_) => FilterKind::Bool,
        TermKind::Date(_) => FilterKind::Date,
        TermKind::Duration { .. } => FilterKind::Duration,
        TermKind::Now | TermKind::Today | TermKind::Offset { .. } => FilterKind::Time,
        TermKind::Me => FilterKind::User,
        TermKind::Count(_) => FilterKind::Count,
        TermKind::Path(_) => FilterKind::Field,
    })
}

fn mismatch(f: &Field, value: &Term) -> FilterError {
    let msg =
        M::Mismatch { field: f.name.clone(), kind: ty_name(f.ty, &f.special), value: value.to_string(), value_kind: value_kind(value) };
    FilterError::new(value.span, msg).hint(ty_hint(f))
}

/// The hint for a value not among an enum field's: the nearest one, and all of them.
fn one_of_hint(f: &Field, written: &str, values: &[String]) -> M {
    match nearest(written, values.iter().map(String::as_str)) {
        Some(n) => M::HintDidYouMeanOneOf { name: n.to_string(), field: f.name.clone(), values: values.to_vec() },
        None => M::HintOneOf { field: f.name.clone(), values: values.to_vec() },
    }
}

/// `In` over `values` with duplicates dropped; an empty list is decided here.
fn in_cond(left: Operand, values: Vec<Lit>, negated: bool) -> Cond {
    let mut unique: Vec<Lit> = Vec::with_capacity(values.len());
    for v in values {
        if !unique.contains(&v) {
            unique.push(v);
        }
    }
    match (unique.is_empty(), negated) {
        (true, false) => Cond::Const(false),
        (true, true) => Cond::Not(Box::new(Cond::IsEmpty(left))),
        (false, _) => Cond::In { left, values: unique, negated },
    }
}

/// The allowed value `s` names: itself, or the one value equal to it ignoring case.
fn enum_value<'a>(values: &'a [String], s: &str) -> Option<&'a String> {
    if let Some(v) = values.iter().find(|v| *v == s) {
        return Some(v);
    }
    let key = s.to_lowercase();
    let mut folded = values.iter().filter(|v| v.to_lowercase() == key);
    match (folded.next(), folded.next()) {
        (Some(v), None) => Some(v),
        _ => None,
    }
}

fn path_parts(t: &Term) -> Option<&[Ident]> {
    match &t.kind {
        TermKind::Path(p) => Some(p),
        _ => None,
    }
}

struct Checker<'a> {
    schema: &'a FilterSchema,
}

impl Checker<'_> {
    fn expr(&self, e: &Expr, scope: Entity, depth: usize) -> R<Cond> {
        // The parser bounds nesting; this guards trees built by hand (And/Or add a level here).
        if depth > 2 * MAX_DEPTH + 2 {
            return Err(FilterError::new(e.span, M::TooDeep { max: MAX_DEPTH as i64 }));
        }
        Ok(match &e.kind {
            ExprKind::Or(items) => Cond::Or(items.iter().map(|i| self.expr(i, scope, depth + 1)).collect::<R<_>>()?),
            ExprKind::And(items) => Cond::And(items.iter().map(|i| self.expr(i, scope, depth + 1)).collect::<R<_>>()?),
            ExprKind::Not(inner) => Cond::Not(Box::new(self.expr(inner, scope, depth + 1)?)),
            ExprKind::Compare { left, op, op_span, right } => self.compare(e.span, left, *op, *op_span, right, scope, depth)?,
            ExprKind::Contains { left, negated, op_span, needle } => self.contains(left, *negated, *op_span, needle, scope)?,
            ExprKind::In { left, negated, values } => self.is_in(left, *negated, values, scope)?,
            ExprKind::IsEmpty { term, negated } => {
                let f = self.operand_field(term, scope, "is empty")?;
                let c = Cond::IsEmpty(f.operand);
                if *negated {
                    Cond::Not(Box::new(c))
                } else {
                    c
                }
            }
            ExprKind::Exists(c) => {
                let (collection, cond) = self.collection(c, scope, depth)?;
                Cond::Exists { collection, cond: Box::new(cond) }
            }
            ExprKind::Truth(t) => self.truth(t, scope)?,
        })
    }

    fn truth(&self, t: &Term, scope: Entity) -> R<Cond> {
        match &t.kind {
            TermKind::Bool(b) => Ok(Cond::Const(*b)),
            TermKind::Path(parts) => {
                let f = self.path(parts, scope)?;
                if f.ty != Ty::Bool {
                    return Err(FilterError::new(t.span, M::NotTruthField { field: f.name.clone() })
                        .hint(M::HintCompareWithValue { field: f.name }));
                }
                Ok(Cond::Compare { left: f.operand, op: CmpOp::Eq, right: Operand::Lit(Lit::Bool(true)), ty: Ty::Bool })
            }
            TermKind::Count(_) => Err(FilterError::new(t.span, M::CountNotCondition {}).hint(M::HintCountCompare {})),
            _ => Err(FilterError::new(t.span, M::NotCondition { value: t.to_string() }).hint(M::HintFieldEqValue {})),
        }
    }

    fn collection(&self, c: &Collection, scope: Entity, depth: usize) -> R<(Sub, Cond)> {
        let available = collections(scope);
        let Some((_, sub)) = available.iter().find(|(n, _)| *n == c.name.name) else {
            let e = FilterError::new(c.name.span, M::UnknownCollection { name: c.name.name.clone() });
            if available.is_empty() {
                return Err(e.hint(M::HintNoCollections { entity: word(scope) }));
            }
            let names: Vec<&str> = available.iter().map(|(n, _)| *n).filter(|n| !n.ends_with('s')).collect();
            return Err(match nearest(&c.name.name, names.iter().copied()) {
                Some(n) => e.hint(M::HintDidYouMean { name: n.to_string() }),
                None => e.hint(M::HintCollections { entity: word(scope), names: names.iter().map(|n| n.to_string()).collect() }),
            });
        };
        let cond = match &c.filter {
            Some(f) => self.expr(f, sub.entity, depth + 1)?,
            None => Cond::Const(true),
        };
        Ok((*sub, cond))
    }

    /// Resolves a dotted path in `scope`.
    fn path(&self, parts: &[Ident], scope: Entity) -> R<Field> {
        match parts {
            [one] => self.field(scope, Side::This, one, ""),
            [rel, name] if scope == Entity::Deal && Model::ALL.iter().any(|m| touch_relation(*m) == rel.name) => {
                let model = Model::ALL.into_iter().find(|m| touch_relation(*m) == rel.name).unwrap_or(Model::First);
                let shown = format!("{}.{}", rel.name, name.name);
                let Some(part) = TouchPart::ALL.into_iter().find(|p| p.as_str() == name.name) else {
                    let e = FilterError::new(name.span, M::UnknownField { name: shown });
                    let parts: Vec<&str> = TouchPart::ALL.iter().map(|p| p.as_str()).collect();
                    return Err(match nearest(&name.name, parts.iter().copied()) {
                        Some(n) => e.hint(M::HintDidYouMean { name: format!("{}.{n}", rel.name) }),
                        None => e.hint(M::HintTouchHas { parts: parts.iter().map(|p| p.to_string()).collect() }),
                    });
                };
                let touch = TouchRef { model, part, channels: self.schema.channels.clone() };
                Ok(Field { operand: Operand::Touch(touch), ty: Ty::Text, special: Special::Touch, name: shown })
            }
            [rel, name] => {
                let rels = relations(scope);
                let Some((_, side)) = rels.iter().find(|(n, _)| *n == rel.name) else {
                    let e = FilterError::new(rel.span, M::UnknownRelation { name: rel.name.clone() });
                    let mut names: Vec<&str> = rels.iter().map(|(n, _)| *n).filter(|n| *n != "organization").collect();
                    if scope == Entity::Deal {
                        names.extend(Model::ALL.map(touch_relation));
                    }
                    if names.is_empty() {
                        return Err(e.hint(M::HintNoRelations { entity: word(scope) }));
                    }
                    return Err(match nearest(&rel.name, names.iter().copied()) {
                        Some(n) => e.hint(M::HintDidYouMean { name: format!("{n}.{}", name.name) }),
                        None => e.hint(M::HintRelations { entity: word(scope), names: names.iter().map(|n| format!("{n}.")).collect() }),
                    });
                };
                let target = side.entity().unwrap_or(scope);
                self.field(target, *side, name, &rel.name)
            }
            [first, _, third, ..] => {
                Err(FilterError::new(third.span, M::OneRelationDeep { rel: first.name.clone() }).hint(M::HintTwoNames {}))
            }
            [] => Err(FilterError::new(Span::default(), M::EmptyFieldName {})),
        }
    }

    /// A field of `target` reached through `side`; `prefix` is the relation as written.
    fn field(&self, target: Entity, side: Side, ident: &Ident, prefix: &str) -> R<Field> {
        let name = ident.name.as_str();
        let shown = if prefix.is_empty() { name.to_string() } else { format!("{prefix}.{name}") };
        let column = |column: &'static str, ty: Ty, special: Special| Field {
            operand: Operand::Column(ColumnRef { side, column: Column::Builtin(column), ty }),
            ty,
            special,
            name: shown.clone(),
        };
        if let Some((_, col, special)) = ALIASES.iter().find(|(a, _, _)| *a == name) {
            if let Some(f) = target.field(col) {
                if let Kind::Ref(e) = f.kind {
                    return Ok(column(f.name, Ty::Id(e), special.clone()));
                }
            }
        }
        if let Some(f) = target.field(name).filter(|f| f.readable()) {
            if let Some((ty, special)) = kind_ty(f.kind, target) {
                return Ok(column(f.name, ty, special));
            }
        }
        if name == LAST_ACTIVITY && has_last_activity(target) {
            return Ok(Field { operand: Operand::LastActivityAt(side), ty: Ty::Timestamp, special: Special::Plain, name: shown });
        }
        let defs = self.schema.custom_defs(target);
        if let Some(def) = defs.iter().find(|d| d.key == name) {
            let (ty, special) = custom_ty(def);
            let col = Column::Custom { key: def.key.clone(), ty: def.field_type };
            return Ok(Field { operand: Operand::Column(ColumnRef { side, column: col, ty }), ty, special, name: shown });
        }
        let mut candidates: Vec<&str> = ALIASES.iter().filter(|(_, col, _)| target.field(col).is_some()).map(|(a, _, _)| *a).collect();
        candidates.extend(target.fields().iter().filter(|f| f.readable() && kind_ty(f.kind, target).is_some()).map(|f| f.name));
        if has_last_activity(target) {
            candidates.push(LAST_ACTIVITY);
        }
        candidates.extend(defs.iter().map(|d| d.key.as_str()));
        let e = FilterError::new(ident.span, M::UnknownField { name: shown.clone() });
        Err(match nearest(name, candidates) {
            Some(n) if prefix.is_empty() => e.hint(M::HintDidYouMean { name: n.to_string() }),
            Some(n) => e.hint(M::HintDidYouMean { name: format!("{prefix}.{n}") }),
            None if name.eq_ignore_ascii_case("null") || name.eq_ignore_ascii_case("none") => e.hint(M::HintTestEmpty {}),
            None => e,
        })
    }

    /// The term as a field, for operators that need one on their left.
    fn operand_field(&self, t: &Term, scope: Entity, what: &str) -> R<Field> {
        match &t.kind {
            TermKind::Path(parts) => self.path(parts, scope),
            _ => Err(FilterError::new(t.span, M::NeedsField { op: what.to_string(), value: t.to_string(), kind: value_kind(t) })),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn compare(&self, span: Span, left: &Term, op: CmpOp, op_span: Span, right: &Term, scope: Entity, depth: usize) -> R<Cond> {
        if let TermKind::Count(c) = &left.kind {
            return self.count(c, op, right, scope, depth);
        }
        if let TermKind::Count(c) = &right.kind {
            return self.count(c, op.flip(), left, scope, depth);
        }
        // The field is on the left, or else on the right (`100000 < value`).
        let l = path_parts(left).map(|p| self.path(p, scope));
        let (f, value, op) = match l {
            Some(Ok(f)) => (f, right, op),
            l => match path_parts(right).map(|p| self.path(p, scope)) {
                Some(Ok(f)) => (f, left, op.flip()),
                r => {
                    return Err(match (l, r) {
                        (Some(Err(e)), _) | (None, Some(Err(e))) => e,
                        _ => FilterError::new(span, M::ComparisonNeedsField {}).hint(M::HintCompareFieldValue {}),
                    })
                }
            },
        };
        match f.special {
            Special::Stage if matches!(value.kind, TermKind::Str(_)) => {
                let ids = self.stage_ids(value, op)?;
                let pipelines: Vec<i64> = self.schema.stages.iter().filter(|s| ids.contains(&s.id)).map(|s| s.pipeline_id).collect();
                let one_pipeline = pipelines.first().filter(|p| pipelines.iter().all(|q| q == *p)).copied();
                let cond = in_cond(f.operand.clone(), ids.into_iter().map(Lit::Int).collect(), op == CmpOp::Ne);
                // A deal's stage lies in its own pipeline, so naming the pipeline too changes no
                // answer and lets the database use the (pipeline, stage) index.
                return Ok(match (&f.operand, one_pipeline, op) {
                    (Operand::Column(ColumnRef { side: Side::This, .. }), Some(p), op)
                        if op != CmpOp::Ne && matches!(cond, Cond::In { .. }) =>
                    {
                        let pipeline = ColumnRef { side: Side::This, column: Column::Builtin("pipeline_id"), ty: Ty::Id(Entity::Pipeline) };
                        let same_pipeline = Cond::Compare {
                            left: Operand::Column(pipeline),
                            op: CmpOp::Eq,
                            right: Operand::Lit(Lit::Int(p)),
                            ty: Ty::Id(Entity::Pipeline),
                        };
                        Cond::And(vec![same_pipeline, cond])
                    }
                    _ => cond,
                });
            }
            Special::Pipeline | Special::Team if matches!(value.kind, TermKind::Str(_)) => {
                if !op.is_equality() {
                    return Err(self.unordered(&f, op, op_span));
                }
                let ids = self.named_ids(&f, value)?;
                return Ok(match ids.as_slice() {
                    [id] => Cond::Compare { left: f.operand, op, right: Operand::Lit(Lit::Int(*id)), ty: f.ty },
                    _ => in_cond(f.operand, ids.into_iter().map(Lit::Int).collect(), op == CmpOp::Ne),
                });
            }
            _ => {}
        }
        let right = self.value(&f, value, scope)?;
        let ordered = matches!(f.ty, Ty::Int | Ty::Money | Ty::Number | Ty::Timestamp | Ty::Date);
        if !op.is_equality() && !ordered {
            return Err(self.unordered(&f, op, op_span));
        }
        Ok(Cond::Compare { left: f.operand, op, right, ty: f.ty })
    }

    fn unordered(&self, f: &Field, op: CmpOp, op_span: Span) -> FilterError {
        let e = FilterError::new(op_span, M::Unordered { field: f.name.clone(), op: op.to_string() });
        match f.special {
            Special::Stage => e.hint(M::HintStageOrdered { field: f.name.clone() }),
            _ => e.hint(M::HintUseEquality {}),
        }
    }

    fn count(&self, c: &Collection, op: CmpOp, other: &Term, scope: Entity, depth: usize) -> R<Cond> {
        let n = match &other.kind {
            TermKind::Number(n) => n.parse::<i64>().ok(),
            _ => None,
        };
        let Some(n) = n else {
            return Err(FilterError::new(other.span, M::CountNeedsNumber { value: other.to_string(), kind: value_kind(other) })
                .hint(M::HintCountExample {}));
        };
        let (collection, cond) = self.collection(c, scope, depth + 1)?;
        Ok(Cond::Count { collection, cond: Box::new(cond), op, n })
    }

    fn contains(&self, left: &Term, negated: bool, op_span: Span, needle: &Term, scope: Entity) -> R<Cond> {
        let sym = if negated { "!~" } else { "~" };
        let f = self.operand_field(left, scope, sym)?;
        if f.special == Special::Stage {
            return Err(FilterError::new(op_span, M::ContainsOnStage { field: f.name.clone(), op: sym.into() })
                .hint(M::HintStageName { field: f.name }));
        }
        if f.ty != Ty::Text {
            let msg = M::ContainsNotText { op: sym.into(), field: f.name.clone(), kind: ty_name(f.ty, &f.special) };
            return Err(FilterError::new(op_span, msg).hint(match f.ty {
                Ty::Int | Ty::Money | Ty::Number | Ty::Timestamp | Ty::Date => M::HintCompareOrdered { field: f.name },
                _ => M::HintCompareEquality { field: f.name },
            }));
        }
        let TermKind::Str(s) = &needle.kind else {
            let msg = M::ContainsNeedsText { op: sym.into(), value: needle.to_string(), kind: value_kind(needle) };
            return Err(FilterError::new(needle.span, msg).hint(M::HintContainsExample { field: f.name, op: sym.into() }));
        };
        Ok(Cond::Contains { left: f.operand, needle: s.to_lowercase(), negated })
    }

    fn is_in(&self, left: &Term, negated: bool, values: &[Term], scope: Entity) -> R<Cond> {
        let f = self.operand_field(left, scope, "in")?;
        let mut lits = Vec::with_capacity(values.len());
        for v in values {
            match (&f.special, &v.kind) {
                (Special::Stage, TermKind::Str(_)) => lits.extend(self.stage_ids(v, CmpOp::Eq)?.into_iter().map(Lit::Int)),
                (Special::Pipeline | Special::Team, TermKind::Str(_)) => lits.extend(self.named_ids(&f, v)?.into_iter().map(Lit::Int)),
                _ => match self.value(&f, v, scope)? {
                    Operand::Lit(l) => lits.push(l),
                    _ => return Err(FilterError::new(v.span, M::InPlainValues {}).hint(M::HintInPlain {})),
                },
            }
        }
        Ok(in_cond(f.operand, lits, negated))
    }

    /// A value term as an operand of `f`'s type.
    fn value(&self, f: &Field, t: &Term, scope: Entity) -> R<Operand> {
        let lit = |l: Lit| Ok(Operand::Lit(l));
        match &t.kind {
            TermKind::Path(parts) => {
                if let (Special::Enum(values), [one]) = (&f.special, parts.as_slice()) {
                    if let Some(v) = enum_value(values, &one.name) {
                        return lit(Lit::Text(v.clone()));
                    }
                }
                match self.path(parts, scope) {
                    Ok(g) if g.ty == f.ty => Ok(g.operand),
                    Ok(g) => Err(FilterError::new(
                        t.span,
                        M::Incomparable {
                            field: f.name.clone(),
                            kind: ty_name(f.ty, &f.special),
                            other: g.name.clone(),
                            other_kind: ty_name(g.ty, &g.special),
                        },
                    )),
                    Err(e) => {
                        let [one] = parts.as_slice() else { return Err(e) };
                        if ["null", "nil", "none"].iter().any(|w| one.name.eq_ignore_ascii_case(w)) {
                            return Err(FilterError::new(t.span, M::NotAValue { word: one.name.clone() })
                                .hint(M::HintFieldIsEmpty { field: f.name.clone() }));
                        }
                        match (&f.special, f.ty) {
                            (Special::Enum(values), _) => {
                                let e = FilterError::new(
                                    t.span,
                                    M::NotEnumValue { value: Found::Word(one.name.clone()), field: f.name.clone() },
                                );
                                Err(e.hint(one_of_hint(f, &one.name, values)))
                            }
                            (Special::Stage | Special::Pipeline | Special::Team, _) | (_, Ty::Text) => {
                                Err(e.hint(M::HintQuoteText { word: one.name.clone() }))
                            }
                            _ => Err(e),
                        }
                    }
                }
            }
            TermKind::Str(s) => match (&f.special, f.ty) {
                (Special::Enum(values), _) => {
                    if let Some(v) = enum_value(values, s) {
                        return lit(Lit::Text(v.clone()));
                    }
                    let e = FilterError::new(t.span, M::NotEnumValue { value: Found::Literal(t.to_string()), field: f.name.clone() });
                    Err(e.hint(one_of_hint(f, s, values)))
                }
                (Special::Plain, Ty::Text) => lit(Lit::Text(s.clone())),
                // Written as a mark would be: `"Яндекс"` is the channel yandex, `"Brand "` the campaign brand.
                (Special::Touch, _) => match &f.operand {
                    Operand::Touch(r) => lit(Lit::Text(r.value(Some(s)).unwrap_or_else(|| crate::spend::alias_key(s)))),
                    _ => lit(Lit::Text(s.clone())),
                },
                (Special::Plain, Ty::Date) if crate::types::parse_date(s).is_ok() => lit(Lit::Text(s.clone())),
                _ => Err(mismatch(f, t)),
            },
            TermKind::Number(n) => self.number(f, t, n),
            TermKind::Bool(b) if f.ty == Ty::Bool => lit(Lit::Bool(*b)),
            TermKind::Date(d) if f.ty == Ty::Date => lit(Lit::Text(d.clone())),
            TermKind::Date(_) | TermKind::Now | TermKind::Today | TermKind::Offset { .. } if matches!(f.ty, Ty::Timestamp | Ty::Date) => {
                self.time(f, t)
            }
            TermKind::Duration { .. } if matches!(f.ty, Ty::Timestamp | Ty::Date) => {
                Err(FilterError::new(t.span, M::DurationNotTime { value: t.to_string() })
                    .hint(M::HintCountFromNow { field: f.name.clone(), value: t.to_string() }))
            }
            TermKind::Me if f.ty == Ty::Id(Entity::User) => match self.schema.me {
                Some(id) => lit(Lit::Int(id)),
                None => Err(FilterError::new(t.span, M::NoMe {})),
            },
            _ => Err(mismatch(f, t)),
        }
    }

    fn number(&self, f: &Field, t: &Term, n: &str) -> R<Operand> {
        let whole = || n.parse::<i64>().ok();
        let l = match (&f.special, f.ty) {
            (Special::Plain, Ty::Int) => {
                let v = whole().ok_or_else(|| FilterError::new(t.span, M::WholeNumbers { field: f.name.clone(), n: n.to_string() }))?;
                Lit::Int(v)
            }
            (Special::Plain, Ty::Id(_)) => match whole() {
                Some(v) if v > 0 => Lit::Int(v),
                _ => return Err(FilterError::new(t.span, M::NotId { n: n.to_string() }).hint(ty_hint(f))),
            },
            (Special::Plain, Ty::Money) => Lit::Int(
                minor_units(n).ok_or_else(|| FilterError::new(t.span, M::NotMoney { n: n.to_string() }).hint(M::HintMoneyDecimals {}))?,
            ),
            (Special::Plain, Ty::Number) => match n.parse::<f64>() {
                Ok(v) if v.is_finite() => Lit::Number(v),
                _ => return Err(FilterError::new(t.span, M::NotNumber { n: n.to_string() })),
            },
            _ => return Err(mismatch(f, t)),
        };
        Ok(Operand::Lit(l))
    }

    /// `now`, `today` or a date, shifted by durations, for a timestamp or date field.
    fn time(&self, f: &Field, t: &Term) -> R<Operand> {
        let (base, steps): (&Term, &[(Sign, Term)]) = match &t.kind {
            TermKind::Offset { base, steps } => (base, steps),
            _ => (t, &[]),
        };
        match base.kind {
            TermKind::Now | TermKind::Today | TermKind::Date(_) => {}
            TermKind::Duration { .. } => {
                return Err(FilterError::new(base.span, M::DurationNeedsBase {}).hint(M::HintAfterNow { value: base.to_string() }));
            }
            _ => {
                return Err(FilterError::new(base.span, M::OnlyShift { value: base.to_string() })
                    .hint(M::HintShiftExample { field: f.name.clone() }));
            }
        }
        let mut offset: i64 = 0;
        for (sign, step) in steps {
            let TermKind::Duration { ms, .. } = step.kind else {
                return Err(FilterError::new(step.span, M::NotDuration { value: step.to_string() }).hint(M::HintDurations {}));
            };
            let next = if *sign == Sign::Plus { offset.checked_add(ms) } else { offset.checked_sub(ms) };
            offset = next.ok_or_else(|| FilterError::new(step.span, M::ShiftTooLong {}))?;
        }
        Ok(match &base.kind {
            TermKind::Now => Operand::Now { offset_ms: offset },
            TermKind::Today => Operand::Today { offset_ms: offset },
            TermKind::Date(d) => {
                let ms = date_ms(d)
                    .and_then(|ms| ms.checked_add(offset))
                    .ok_or_else(|| FilterError::new(t.span, M::OutOfRange { value: t.to_string() }))?;
                Operand::Lit(if f.ty == Ty::Date { Lit::Text(date_of_ms(ms)) } else { Lit::Int(ms) })
            }
            _ => return Err(FilterError::new(base.span, M::OnlyShift { value: base.to_string() })),
        })
    }

    /// Ids of the stages `stage op "name"` selects: for `=`/`!=` the stages of that name; for an
    /// ordering, every stage of the same pipeline on that side of a stage of that name.
    fn stage_ids(&self, value: &Term, op: CmpOp) -> R<Vec<i64>> {
        let TermKind::Str(name) = &value.kind else { return Ok(Vec::new()) };
        let key = name.trim().to_lowercase();
        let stages = &self.schema.stages;
        let named: Vec<&StageInfo> = stages.iter().filter(|s| s.name.trim().to_lowercase() == key).collect();
        if named.is_empty() {
            let mut names: Vec<String> = Vec::new();
            for s in stages {
                if !names.contains(&s.name) {
                    names.push(s.name.clone());
                }
            }
            let e = FilterError::new(value.span, M::UnknownStage { value: value.to_string() });
            return Err(match nearest(name, names.iter().map(String::as_str)) {
                Some(n) => e.hint(M::HintDidYouMeanText { name: n.to_string() }),
                None if names.is_empty() => e.hint(M::HintNoStages {}),
                None => e.hint(M::HintStages { names: list(&names, 12) }),
            });
        }
        let mut ids: Vec<i64> = match op {
            CmpOp::Eq | CmpOp::Ne => named.iter().map(|s| s.id).collect(),
            ordering => named
                .iter()
                .flat_map(|x| {
                    stages
                        .iter()
                        .filter(move |s| s.pipeline_id == x.pipeline_id && ordering.holds((s.position, s.id).cmp(&(x.position, x.id))))
                        .map(|s| s.id)
                })
                .collect(),
        };
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }

    /// Ids of the pipelines or teams named by a string term (names match ignoring case).
    fn named_ids(&self, f: &Field, value: &Term) -> R<Vec<i64>> {
        let TermKind::Str(name) = &value.kind else { return Ok(Vec::new()) };
        let team = f.special == Special::Team;
        let all: Vec<(i64, &str)> = match team {
            true => self.schema.teams.iter().map(|(id, n)| (*id, n.as_str())).collect(),
            false => self.schema.pipelines.iter().map(|p| (p.id, p.name.as_str())).collect(),
        };
        let key = name.trim().to_lowercase();
        let mut ids: Vec<i64> = all.iter().filter(|(_, n)| n.trim().to_lowercase() == key).map(|(id, _)| *id).collect();
        if ids.is_empty() {
            let names: Vec<String> = all.iter().map(|(_, n)| n.to_string()).collect();
            let (value_span, value) = (value.span, value.to_string());
            let e = FilterError::new(value_span, if team { M::UnknownTeam { value } } else { M::UnknownPipeline { value } });
            return Err(match nearest(name, all.iter().map(|(_, n)| *n)) {
                Some(n) => e.hint(M::HintDidYouMeanText { name: n.to_string() }),
                None if names.is_empty() => e.hint(if team { M::HintNoTeams {} } else { M::HintNoPipelines {} }),
                None if team => e.hint(M::HintTeams { names: list(&names, 12) }),
                None => e.hint(M::HintPipelines { names: list(&names, 12) }),
            });
        }
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }
}

/// `1500.5` major units as minor units (`150050`); at most two decimal places.
fn minor_units(n: &str) -> Option<i64> {
    let (neg, digits) = match n.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, n),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if frac.len() > 2 || whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let cents = format!("{frac:0<2}").parse::<i64>().ok()?;
    let v = whole.parse::<i64>().ok()?.checked_mul(100)?.checked_add(cents)?;
    Some(if neg { -v } else { v })
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn money_is_converted_to_minor_units() {
        assert_eq!(minor_units("100000"), Some(10_000_000));
        assert_eq!(minor_units("1500.5"), Some(150_050));
        assert_eq!(minor_units("0.05"), Some(5));
        assert_eq!(minor_units("-2.10"), Some(-210));
        assert_eq!(minor_units("1.005"), None);
        assert_eq!(minor_units("99999999999999999999"), None);
    }

    #[test]
    fn dates_and_days() {
        assert_eq!(date_ms("2026-01-31"), Some(1_769_817_600_000));
        assert_eq!(date_of_ms(1_769_817_600_000 + DAY_MS - 1), "2026-01-31");
        assert_eq!(date_of_ms(i64::MAX), "9999-12-31");
        assert_eq!(date_of_ms(i64::MIN), "0001-01-01");
        let today = Operand::Today { offset_ms: DAY_MS };
        assert_eq!(today.constant(Ty::Timestamp, 1_769_817_600_000 + 5), Some(Lit::Int(1_769_817_600_000 + DAY_MS)));
        assert_eq!(today.constant(Ty::Date, 1_769_817_600_000 + 5), Some(Lit::Text("2026-02-01".into())));
    }
}
