//! Runs a [`Checked`] condition over a record held in memory, with the NULL rules written on
//! [`Cond`], so that it agrees with the SQL the store compiles from the same condition.
use super::check::{Checked, Column, Cond, Lit, Operand, Side, Sub, TouchRef, Ty};
use crate::domain::CustomFieldType;
use crate::schema::Entity;
use crate::types::Val;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::HashMap;

/// A record and what a filter may reach from it, in storage form.
///
/// `fields` are keyed by column name (`status`, `owner_id`, `stage_id`): ids, integers, money
/// (minor units) and timestamps (Unix ms) are `Val::Int`, text, enums and dates `Val::Text`,
/// booleans `Val::Bool`; a missing key is NULL. `custom` is the record's custom JSON object.
/// `org`, `person` and `owner` are the related rows (`None`: no such row, every field NULL);
/// `activities` and `deals` the record's own, deleted ones left out. Only what the filter
/// uses needs filling in.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EvalRecord {
    pub fields: HashMap<String, Val>,
    pub custom: Map<String, Value>,
    pub org: Option<Box<EvalRecord>>,
    pub person: Option<Box<EvalRecord>>,
    pub owner: Option<Box<EvalRecord>>,
    pub activities: Vec<EvalRecord>,
    pub deals: Vec<EvalRecord>,
    /// A deal's marketing touches (`utm_source`, `utm_campaign`, `utm_term`, `referrer` as text,
    /// `occurred_at` and `id` as integers), in any order.
    pub touches: Vec<EvalRecord>,
}

impl EvalRecord {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a column.
    pub fn with(mut self, column: &str, v: Val) -> Self {
        self.fields.insert(column.to_string(), v);
        self
    }

    /// Sets a custom field.
    pub fn with_custom(mut self, key: &str, v: Value) -> Self {
        self.custom.insert(key.to_string(), v);
        self
    }
}

/// Whether `record` meets the condition at the instant `now_ms` (Unix ms).
pub fn eval(checked: &Checked, record: &EvalRecord, now_ms: i64) -> bool {
    cond(checked.cond(), record, now_ms)
}

/// A value read for comparison; `Null` never compares.
#[derive(Debug, Clone, PartialEq)]
enum V<'a> {
    Null,
    Int(i64),
    Num(f64),
    Text(Cow<'a, str>),
    Bool(bool),
}

fn cond(c: &Cond, rec: &EvalRecord, now: i64) -> bool {
    match c {
        Cond::And(items) => items.iter().all(|i| cond(i, rec, now)),
        Cond::Or(items) => items.iter().any(|i| cond(i, rec, now)),
        Cond::Not(inner) => !cond(inner, rec, now),
        Cond::Const(b) => *b,
        Cond::Compare { left, op, right, ty } => {
            matches!(compare(&operand(left, *ty, rec, now), &operand(right, *ty, rec, now)), Some(o) if op.holds(o))
        }
        Cond::In { left, values, negated } => {
            let ty = operand_ty(left);
            match operand(left, ty, rec, now) {
                V::Null => false,
                l => values.iter().any(|v| compare(&l, &lit(v)) == Some(Ordering::Equal)) != *negated,
            }
        }
        Cond::IsEmpty(x) => match operand(x, operand_ty(x), rec, now) {
            V::Null => true,
            V::Text(s) => s.is_empty(),
            _ => false,
        },
        Cond::Contains { left, needle, negated } => match operand(left, Ty::Text, rec, now) {
            V::Text(s) => s.to_lowercase().contains(needle.as_str()) != *negated,
            _ => false,
        },
        Cond::Exists { collection, cond: inner } => rows(*collection, rec).iter().any(|r| cond(inner, r, now)),
        Cond::Count { collection, cond: inner, op, n } => {
            let count = rows(*collection, rec).iter().filter(|r| cond(inner, r, now)).count();
            op.holds(i64::try_from(count).unwrap_or(i64::MAX).cmp(n))
        }
    }
}

fn rows(sub: Sub, rec: &EvalRecord) -> &[EvalRecord] {
    match sub.entity {
        Entity::Activity => &rec.activities,
        Entity::Deal => &rec.deals,
        _ => &[],
    }
}

fn operand_ty(o: &Operand) -> Ty {
    match o {
        Operand::Column(c) => c.ty,
        Operand::LastActivityAt(_) | Operand::Now { .. } | Operand::Today { .. } => Ty::Timestamp,
        Operand::Touch(_) => Ty::Text,
        Operand::Lit(Lit::Int(_)) => Ty::Int,
        Operand::Lit(Lit::Number(_)) => Ty::Number,
        Operand::Lit(Lit::Text(_)) => Ty::Text,
        Operand::Lit(Lit::Bool(_)) => Ty::Bool,
    }
}

fn side(rec: &EvalRecord, s: Side) -> Option<&EvalRecord> {
    match s {
        Side::This => Some(rec),
        Side::Org => rec.org.as_deref(),
        Side::Person => rec.person.as_deref(),
        Side::Owner => rec.owner.as_deref(),
    }
}

fn operand<'a>(o: &'a Operand, ty: Ty, rec: &'a EvalRecord, now: i64) -> V<'a> {
    match o {
        Operand::Column(c) => {
            let Some(r) = side(rec, c.side) else { return V::Null };
            match &c.column {
                Column::Builtin(name) => r.fields.get(*name).map_or(V::Null, |v| stored(v, c.ty)),
                Column::Custom { key, ty } => r.custom.get(key).map_or(V::Null, |v| custom(v, *ty)),
            }
        }
        Operand::Lit(l) => lit(l),
        Operand::Now { .. } | Operand::Today { .. } => match o.constant(ty, now) {
            Some(Lit::Int(i)) => V::Int(i),
            Some(Lit::Text(s)) => V::Text(Cow::Owned(s)),
            _ => V::Null,
        },
        Operand::LastActivityAt(s) => side(rec, *s).and_then(last_activity_at).map_or(V::Null, V::Int),
        Operand::Touch(t) => touch_mark(t, rec).map_or(V::Null, |v| V::Text(Cow::Owned(v))),
    }
}

/// The mark of the touch the deal `rec` is credited to; its own marks when it has no touches.
fn touch_mark(t: &TouchRef, rec: &EvalRecord) -> Option<String> {
    let text = |r: &EvalRecord, k: &str| match r.fields.get(k) {
        Some(Val::Text(s)) => Some(s.clone()),
        _ => None,
    };
    let int = |r: &EvalRecord, k: &str| r.fields.get(k).and_then(Val::as_int).unwrap_or(0);
    if rec.touches.is_empty() {
        return t.value(text(rec, t.part.column()).as_deref());
    }
    let mut touches: Vec<&EvalRecord> = rec.touches.iter().collect();
    touches.sort_by_key(|r| (int(r, "occurred_at"), int(r, "id")));
    let direct = |r: &&EvalRecord| crate::attribution::is_direct(text(r, "utm_source").as_deref(), text(r, "referrer").as_deref());
    let chosen = crate::attribution::choose(&touches, t.model, direct)?;
    t.value(text(chosen, t.part.column()).as_deref())
}

fn lit(l: &Lit) -> V<'_> {
    match l {
        Lit::Int(i) => V::Int(*i),
        Lit::Number(n) => V::Num(*n),
        Lit::Text(s) => V::Text(Cow::Borrowed(s)),
        Lit::Bool(b) => V::Bool(*b),
    }
}

/// A column value as the type expects it; a value of another storage form is NULL.
fn stored(v: &Val, ty: Ty) -> V<'_> {
    match (ty, v) {
        (Ty::Int | Ty::Money | Ty::Timestamp | Ty::Id(_), Val::Int(i)) => V::Int(*i),
        (Ty::Number, Val::Int(i)) => V::Num(*i as f64),
        (Ty::Bool, Val::Bool(b)) => V::Bool(*b),
        (Ty::Bool, Val::Int(i)) => V::Bool(*i != 0),
        (Ty::Text | Ty::Enum | Ty::Date, Val::Text(s)) => V::Text(Cow::Borrowed(s)),
        _ => V::Null,
    }
}

/// A custom JSON value, if it has the JSON type its field type stores.
fn custom(v: &Value, ty: CustomFieldType) -> V<'_> {
    match (ty, v) {
        (CustomFieldType::Text | CustomFieldType::Url | CustomFieldType::Date | CustomFieldType::Enum, Value::String(s)) => {
            V::Text(Cow::Borrowed(s))
        }
        (CustomFieldType::Number, Value::Number(n)) => n.as_f64().map_or(V::Null, V::Num),
        (CustomFieldType::Money | CustomFieldType::User | CustomFieldType::Organization, Value::Number(n)) => {
            n.as_i64().map_or(V::Null, V::Int)
        }
        (CustomFieldType::Bool, Value::Bool(b)) => V::Bool(*b),
        _ => V::Null,
    }
}

fn compare(a: &V<'_>, b: &V<'_>) -> Option<Ordering> {
    match (a, b) {
        (V::Int(x), V::Int(y)) => Some(x.cmp(y)),
        (V::Num(x), V::Num(y)) => x.partial_cmp(y),
        (V::Int(x), V::Num(y)) => (*x as f64).partial_cmp(y),
        (V::Num(x), V::Int(y)) => x.partial_cmp(&(*y as f64)),
        (V::Text(x), V::Text(y)) => Some(x.as_ref().cmp(y.as_ref())),
        (V::Bool(x), V::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// The latest `done_at` of a done activity, or `created_at` of one not done (or done without
/// a `done_at`); `None` without activities.
fn last_activity_at(rec: &EvalRecord) -> Option<i64> {
    rec.activities
        .iter()
        .filter_map(|a| {
            let done =
                matches!(a.fields.get("done"), Some(Val::Bool(true))) || matches!(a.fields.get("done"), Some(Val::Int(i)) if *i != 0);
            let done_at = a.fields.get("done_at").and_then(Val::as_int);
            match (done, done_at) {
                (true, Some(t)) => Some(t),
                _ => a.fields.get("created_at").and_then(Val::as_int),
            }
        })
        .max()
}
