//! Turns a JSON body into checked column values for one entity, or a [`FieldError`] naming the
//! first field that is wrong. References are returned for the store to check (existence,
//! workspace, visibility); everything that needs no database is decided here.
use crate::domain::CustomFieldType;
use crate::error::FieldError;
use crate::msg::{words, Common, Msg, RecordMsg};
use crate::schema::{Entity, Field, JsonShape, Kind};
use crate::types::{self, Email, Phone, Val};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Create,
    Update,
}

/// One custom field definition, as the validator needs it.
#[derive(Debug, Clone)]
pub struct CustomDef {
    pub key: String,
    pub label: String,
    pub field_type: CustomFieldType,
    pub options: Vec<String>,
}

pub struct Ctx<'a> {
    /// ISO 3166 region used for phone numbers written without a country code.
    pub region: &'a str,
    pub custom_defs: &'a [CustomDef],
}

/// A reference the store must resolve: the record must exist in the caller's workspace,
/// not be deleted, and be visible to the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct RefCheck {
    pub field: String,
    pub entity: Entity,
    pub id: i64,
}

#[derive(Debug, Default)]
pub struct Checked {
    pub values: Vec<(&'static Field, Val)>,
    /// Custom field changes: a key mapped to `null` removes the value.
    pub custom: Option<Map<String, Value>>,
    pub refs: Vec<RefCheck>,
}

impl Checked {
    pub fn get(&self, name: &str) -> Option<&Val> {
        self.values.iter().find(|(f, _)| f.name == name).map(|(_, v)| v)
    }
    pub fn set(&mut self, field: &'static Field, v: Val) {
        match self.values.iter_mut().find(|(f, _)| f.name == field.name) {
            Some(slot) => slot.1 = v,
            None => self.values.push((field, v)),
        }
    }
}

pub fn check(entity: Entity, body: &Value, mode: Mode, ctx: &Ctx<'_>) -> Result<Checked, FieldError> {
    let obj = body.as_object().ok_or_else(|| FieldError::new("body", Common::BodyNotObject {}))?;
    let mut out = Checked::default();
    for (key, raw) in obj {
        let field = entity.field(key).ok_or_else(|| FieldError::new(key, unknown_field_message(entity, key)))?;
        let writable = match mode {
            Mode::Create => field.writable_on_create(),
            Mode::Update => field.writable_on_update(),
        };
        if !writable {
            let why: Msg = if field.writable_on_create() { RecordMsg::Immutable {}.into() } else { Common::ReadOnly {}.into() };
            return Err(FieldError::new(key, why));
        }
        if field.kind == Kind::Custom {
            out.custom = Some(check_custom(raw, ctx, &mut out.refs)?);
            continue;
        }
        let v = match field.kind {
            // A structured setting names the part that is wrong (`regulation.naming.template`).
            Kind::Json(shape) if !raw.is_null() => Val::Text(json_setting_at(shape, raw)?.to_string()),
            _ => value(field, raw, ctx).map_err(|m| FieldError::new(key, m))?,
        };
        if v.is_null() && field.required {
            return Err(FieldError::new(key, Common::Required {}));
        }
        if let (Kind::Ref(target), Val::Int(id)) = (field.kind, &v) {
            out.refs.push(RefCheck { field: key.clone(), entity: target, id: *id });
        }
        out.values.push((field, v));
    }
    // A password must not be the e-mail written next to it; on an update without the e-mail the
    // store checks against the stored one.
    if let (Some(Val::Text(pw)), Some(Val::Text(email))) = (out.get("password"), out.get("email")) {
        crate::password::check(pw, Some(email)).map_err(|p| FieldError::new("password", p.msg()))?;
    }
    if mode == Mode::Create {
        if let Some(missing) = entity.fields().iter().find(|f| f.required && out.get(f.name).is_none()) {
            return Err(FieldError::new(missing.name, Common::Required {}));
        }
    }
    Ok(out)
}

fn unknown_field_message(entity: Entity, key: &str) -> Msg {
    let near =
        entity.fields().iter().filter(|f| f.readable() || f.writable_on_create()).map(|f| (edit_distance(f.name, key), f.name)).min();
    match near {
        Some((d, name)) if d <= 2 => RecordMsg::UnknownFieldHint { entity: entity.name().into(), suggestion: name.into() }.into(),
        _ => RecordMsg::UnknownFieldOf { entity: entity.name().into() }.into(),
    }
}

/// Levenshtein distance, for "did you mean" hints.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

fn text(raw: &Value, max: usize, trim: bool) -> Result<Val, Msg> {
    let s = raw.as_str().ok_or(Common::NotString {})?;
    let s = if trim { s.trim() } else { s };
    let n = s.chars().count();
    if n > max {
        return Err(Common::TooLongCount { n: n as i64, max: max as i64 }.into());
    }
    if s.chars().any(|c| c == '\0') {
        return Err(Common::NoNul {}.into());
    }
    Ok(if s.is_empty() { Val::Null } else { Val::Text(s.to_string()) })
}

fn string(raw: &Value) -> Result<&str, Msg> {
    raw.as_str().ok_or_else(|| Common::NotString {}.into())
}

/// One value checked against its field, outside a whole-record check (settings stored elsewhere).
pub fn field_value(field: &Field, raw: &Value, region: &str) -> Result<Val, Msg> {
    value(field, raw, &Ctx { region, custom_defs: &[] })
}

/// The most extra phones or e-mails a person holds.
pub const MAX_CONTACTS: usize = 10;

/// A list of phones or e-mails: an array of strings, or one string with the values separated by
/// commas, semicolons or new lines (a form's field, a spreadsheet's cell). Each value is
/// normalised by `parse`; repeats are dropped; an empty list is no value.
fn contact_list(raw: &Value, parse: impl Fn(&str) -> Result<String, Msg>) -> Result<Val, Msg> {
    let items: Vec<&str> = match raw {
        Value::String(s) => s.split([',', ';', '\n']).collect(),
        Value::Array(a) => {
            a.iter().map(|v| v.as_str().ok_or(Msg::from(Common::ContactList { max: MAX_CONTACTS as i64 }))).collect::<Result<_, _>>()?
        }
        _ => return Err(Common::ContactList { max: MAX_CONTACTS as i64 }.into()),
    };
    let mut out: Vec<String> = Vec::new();
    for item in items.into_iter().map(str::trim).filter(|s| !s.is_empty()) {
        let v = parse(item)?;
        if !out.contains(&v) {
            out.push(v);
        }
    }
    if out.len() > MAX_CONTACTS {
        return Err(Common::ContactList { max: MAX_CONTACTS as i64 }.into());
    }
    Ok(if out.is_empty() { Val::Null } else { Val::Text(Value::from(out).to_string()) })
}

fn value(field: &Field, raw: &Value, ctx: &Ctx<'_>) -> Result<Val, Msg> {
    if raw.is_null() {
        return Ok(Val::Null);
    }
    Ok(match field.kind {
        Kind::Id | Kind::Custom => return Err(Common::ReadOnly {}.into()),
        Kind::Text(max) => text(raw, max, true)?,
        Kind::LongText(max) => text(raw, max, false)?,
        Kind::Enum(allowed) => {
            let s = string(raw)?;
            if !allowed.contains(&s) {
                return Err(Common::OneOf { list: words(allowed.iter()) }.into());
            }
            Val::Text(s.to_string())
        }
        Kind::Int { min, max } => {
            let i = raw.as_i64().ok_or(Common::NotInteger {})?;
            if i < min || i > max {
                return Err(Common::Between { min, max }.into());
            }
            Val::Int(i)
        }
        Kind::Money => {
            let i = raw.as_i64().ok_or(Common::MinorUnits {})?;
            if !(0..=1_000_000_000_000_000).contains(&i) {
                return Err(Common::MinorUnitsRange {}.into());
            }
            Val::Int(i)
        }
        Kind::Currency => Val::Text(types::parse_currency(string(raw)?)?),
        Kind::Bool => Val::Bool(raw.as_bool().ok_or(Common::NotBool {})?),
        Kind::Date => Val::Text(types::parse_date(string(raw)?)?),
        Kind::Timestamp => Val::Int(types::parse_timestamp(string(raw)?)?),
        Kind::Ref(target) => {
            let id_of = || Msg::from(Common::IdOf { what: target.name().to_string() });
            let id = raw.as_i64().ok_or_else(id_of)?;
            if id <= 0 {
                return Err(id_of());
            }
            Val::Int(id)
        }
        Kind::Email => Val::Text(Email::parse(string(raw)?)?.into_string()),
        Kind::Phone => Val::Text(Phone::parse(string(raw)?, ctx.region)?.into_string()),
        Kind::Url => Val::Text(types::parse_url(string(raw)?)?),
        Kind::StringList => {
            let items = raw.as_array().ok_or(Common::StringList {})?;
            let mut seen = Vec::with_capacity(items.len());
            for item in items {
                let s = item.as_str().map(str::trim).ok_or(Common::StringList {})?;
                if s.is_empty() || s.chars().count() > 255 {
                    return Err(Common::OptionsShape {}.into());
                }
                if seen.contains(&s) {
                    return Err(Common::OptionTwice { option: s.to_string() }.into());
                }
                seen.push(s);
            }
            Val::Text(Value::from(seen).to_string())
        }
        Kind::PhoneList => contact_list(raw, |s| Ok(Phone::parse(s, ctx.region)?.into_string()))?,
        Kind::EmailList => contact_list(raw, |s| Ok(Email::parse(s)?.into_string()))?,
        Kind::Password => {
            let s = string(raw)?;
            crate::password::check(s, None).map_err(|p| p.msg())?;
            Val::Text(s.to_string())
        }
        Kind::Json(shape) => Val::Text(json_setting(shape, raw)?.to_string()),
        Kind::Key => {
            let s = string(raw)?;
            let ok = s.len() <= 64
                && s.starts_with(|c: char| c.is_ascii_lowercase())
                && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !ok {
                return Err(Common::NotIdentifierKey {}.into());
            }
            Val::Text(s.to_string())
        }
    })
}

/// A structured setting in its canonical form, or what is wrong with it.
fn json_setting(shape: JsonShape, raw: &Value) -> Result<Value, crate::msg::Msg> {
    json_setting_at(shape, raw).map_err(|e| *e.msg)
}

/// A structured setting in its canonical form; the error names the part that is wrong.
fn json_setting_at(shape: JsonShape, raw: &Value) -> Result<Value, FieldError> {
    match shape {
        JsonShape::StageRegulation => crate::regulation::StageRegulation::parse(raw).map(|r| r.to_json()),
        JsonShape::RoleRanges => crate::regulation::parse_role_ranges(raw).map(|r| crate::regulation::role_ranges_json(&r)),
        JsonShape::Requisites => crate::requisites::Requisites::parse(raw, "requisites").map(|r| r.to_json()),
    }
}

fn check_custom(raw: &Value, ctx: &Ctx<'_>, refs: &mut Vec<RefCheck>) -> Result<Map<String, Value>, FieldError> {
    let obj = raw.as_object().ok_or_else(|| FieldError::new("custom", Common::CustomNotObject {}))?;
    let mut out = Map::new();
    for (key, v) in obj {
        let path = format!("custom.{key}");
        let def = ctx.custom_defs.iter().find(|d| &d.key == key).ok_or_else(|| {
            let near = ctx.custom_defs.iter().map(|d| (edit_distance(&d.key, key), d.key.as_str())).min();
            match near {
                Some((d, k)) if d <= 2 => FieldError::new(&path, Common::NoSuchCustomFieldHint { suggestion: k.to_string() }),
                _ => FieldError::new(&path, Common::NoSuchCustomField {}),
            }
        })?;
        let checked = custom_value(def, v).map_err(|m| FieldError::new(&path, m).labelled(def.label.as_str()))?;
        if let Some((entity, id)) = match def.field_type {
            CustomFieldType::User => checked.as_i64().map(|id| (Entity::User, id)),
            CustomFieldType::Organization => checked.as_i64().map(|id| (Entity::Organization, id)),
            _ => None,
        } {
            refs.push(RefCheck { field: path, entity, id });
        }
        out.insert(key.clone(), checked);
    }
    Ok(out)
}

fn custom_value(def: &CustomDef, v: &Value) -> Result<Value, Msg> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    let as_str = || v.as_str().ok_or_else(|| Msg::from(Common::NotString {}));
    Ok(match def.field_type {
        CustomFieldType::Text => match text(v, 10_000, true)? {
            Val::Text(s) => Value::String(s),
            _ => Value::Null,
        },
        CustomFieldType::Number => {
            let n = v.as_f64().filter(|f| f.is_finite()).ok_or(Common::NotNumber {})?;
            if let Some(i) = v.as_i64() {
                Value::from(i)
            } else {
                Value::from(n)
            }
        }
        CustomFieldType::Money => Value::from(v.as_i64().ok_or(Common::MinorUnits {})?),
        CustomFieldType::Date => Value::String(types::parse_date(as_str()?)?),
        CustomFieldType::Enum => {
            let s = as_str()?;
            if !def.options.iter().any(|o| o == s) {
                return Err(Common::OneOf { list: def.options.clone() }.into());
            }
            Value::String(s.to_string())
        }
        CustomFieldType::Bool => Value::Bool(v.as_bool().ok_or(Common::NotBool {})?),
        CustomFieldType::Url => Value::String(types::parse_url(as_str()?)?),
        CustomFieldType::User | CustomFieldType::Organization => {
            let id = v.as_i64().filter(|i| *i > 0).ok_or(Common::IdOf { what: "record".into() })?;
            Value::from(id)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx(defs: &[CustomDef]) -> Ctx<'_> {
        Ctx { region: "RU", custom_defs: defs }
    }

    fn defs() -> Vec<CustomDef> {
        vec![
            CustomDef { key: "city".into(), label: "Город".into(), field_type: CustomFieldType::Text, options: vec![] },
            CustomDef {
                key: "segment".into(),
                label: "Сегмент".into(),
                field_type: CustomFieldType::Enum,
                options: vec!["SMB".into(), "Enterprise".into()],
            },
            CustomDef { key: "partner".into(), label: "Партнёр".into(), field_type: CustomFieldType::Organization, options: vec![] },
        ]
    }

    fn err(entity: Entity, body: Value, mode: Mode) -> FieldError {
        match check(entity, &body, mode, &ctx(&defs())) {
            Err(e) => e,
            Ok(c) => panic!("accepted {body}: {c:?}"),
        }
    }

    #[test]
    fn a_good_deal_is_checked_into_columns_and_refs() {
        let body = json!({"title": " Поставка ", "value": 150000, "owner_id": 7, "custom": {"city": "Казань", "partner": 3}});
        let c = check(Entity::Deal, &body, Mode::Create, &ctx(&defs())).unwrap();
        assert_eq!(c.get("title"), Some(&Val::Text("Поставка".into())));
        assert_eq!(c.get("value"), Some(&Val::Int(150000)));
        let mut fields: Vec<_> = c.refs.iter().map(|r| (r.field.as_str(), r.entity, r.id)).collect();
        fields.sort_by_key(|f| f.0);
        assert_eq!(fields, [("custom.partner", Entity::Organization, 3), ("owner_id", Entity::User, 7)]);
    }

    #[test]
    fn a_bad_custom_value_carries_its_label_for_readers() {
        let e = err(Entity::Deal, json!({"custom": {"segment": "Mid"}}), Mode::Create);
        assert_eq!((e.field.as_str(), e.label.as_deref()), ("custom.segment", Some("Сегмент")));
        assert_eq!(*e.msg, crate::msg::Common::OneOf { list: vec!["SMB".into(), "Enterprise".into()] }.into());
    }

    #[test]
    fn bad_input_names_the_field() {
        assert_eq!(err(Entity::Deal, json!({"titel": "x"}), Mode::Create).field, "titel");
        assert!(err(Entity::Deal, json!({"titel": "x"}), Mode::Create).message().contains("did you mean 'title'"));
        assert_eq!(err(Entity::Deal, json!({}), Mode::Create).field, "title");
        assert_eq!(err(Entity::Deal, json!({"title": "x", "value": "100"}), Mode::Create).field, "value");
        assert_eq!(err(Entity::Deal, json!({"title": "x", "value": -1}), Mode::Create).field, "value");
        assert_eq!(err(Entity::Deal, json!({"title": "x", "status": "maybe"}), Mode::Create).field, "status");
        assert_eq!(err(Entity::Deal, json!({"title": "x", "id": 5}), Mode::Create).field, "id");
        assert_eq!(err(Entity::Deal, json!({"title": "x".repeat(256)}), Mode::Create).field, "title");
        assert_eq!(err(Entity::Deal, json!({"title": "  "}), Mode::Create).field, "title");
        assert_eq!(err(Entity::Person, json!({"name": "x", "phone": "123"}), Mode::Create).field, "phone");
        assert_eq!(err(Entity::Person, json!({"name": "x", "email": "nope"}), Mode::Create).field, "email");
        assert_eq!(err(Entity::Deal, json!({"title": "x", "custom": {"citty": "x"}}), Mode::Create).field, "custom.citty");
        assert_eq!(err(Entity::Deal, json!({"title": "x", "custom": {"segment": "Huge"}}), Mode::Create).field, "custom.segment");
        assert_eq!(err(Entity::Stage, json!({"pipeline_id": 2}), Mode::Update).field, "pipeline_id");
        assert_eq!(err(Entity::Deal, json!({"title": null}), Mode::Update).field, "title");
        assert_eq!(err(Entity::Deal, json!([1, 2]), Mode::Create).field, "body");
    }

    #[test]
    fn values_are_normalised() {
        let body = json!({"name": "Иван", "phone": "8 916 123-45-67", "email": "Ivan@Mail.RU"});
        let c = check(Entity::Person, &body, Mode::Create, &ctx(&[])).unwrap();
        assert_eq!(c.get("phone"), Some(&Val::Text("+79161234567".into())));
        assert_eq!(c.get("email"), Some(&Val::Text("ivan@mail.ru".into())));
    }

    #[test]
    fn distance() {
        assert_eq!(edit_distance("citty", "city"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
