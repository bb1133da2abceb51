//! Records in Pipedrive's shapes and back: field names (`org_id`, `add_time`, `order_nr`…),
//! money in major units, times in the form each API version writes, e-mails and phones as
//! `[{value, primary, label}]`, and custom fields under 40-character hash keys (inside
//! `custom_fields` in v2, at the object's root in v1, money with `<key>_currency`).
//! Pure functions over the native JSON, so every mapping is tested without a server.
use poryadok_core::schema::Entity;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// Which API's conventions apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// `/v1` (and `/api/v1` with a Pipedrive token form): `PUT`, `start`/`limit`, times as
    /// `YYYY-MM-DD HH:MM:SS`, related records as objects, custom fields at the root.
    V1,
    /// `/api/v2`: `PATCH`, cursors, RFC 3339 times, plain ids, `custom_fields`.
    V2,
}

/// A custom field definition as the compatible API names it.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomDef {
    /// The native key (`budget`).
    pub key: String,
    pub label: String,
    /// The native type (`text`, `money`…).
    pub field_type: String,
    pub options: Vec<String>,
    pub id: i64,
    /// Its 40-character key ([`hash_key`]), computed once when the definition is read rather
    /// than for every record a list renders.
    pub hash: String,
}

impl CustomDef {
    /// A workspace's definition of a custom field of `entity` (`id` 0 where it is not known).
    pub fn new(ws: i64, entity: Entity, id: i64, d: poryadok_core::validate::CustomDef) -> Self {
        let hash = hash_key(ws, entity, &d.key);
        CustomDef { key: d.key, label: d.label, field_type: d.field_type.as_str().to_string(), options: d.options, id, hash }
    }
}

/// The 40-character key Pipedrive's clients expect of a custom field: stable for the workspace,
/// the entity and the native key.
pub fn hash_key(ws: i64, entity: Entity, key: &str) -> String {
    let digest = Sha256::digest(format!("poryadok:{ws}:{}:{key}", entity.name()).as_bytes());
    hex::encode(digest)[..40].to_string()
}

/// Where a record's native values come from: a row as the store read it (lists and reads, with
/// no JSON object of the whole record built first) or its API JSON (a webhook's stored payload).
/// A field the record does not have, or may not show, is `null`.
pub trait Native {
    fn value(&self, field: &str) -> Value;
}

impl Native for Value {
    fn value(&self, field: &str) -> Value {
        self.get(field).cloned().unwrap_or(Value::Null)
    }
}

impl Native for poryadok_store::Row {
    fn value(&self, field: &str) -> Value {
        self.json(field)
    }
}

/// What a mapping needs to know about the workspace.
pub struct Ctx<'a> {
    pub ws: i64,
    pub version: Version,
    pub custom: &'a [CustomDef],
}

/// A native `YYYY-MM-DDTHH:MM:SS.mmmZ` in the version's form (v1: `YYYY-MM-DD HH:MM:SS`, v2:
/// RFC 3339 to the second).
pub fn time_out(v: &Value, version: Version) -> Value {
    let Some(s) = v.as_str() else { return Value::Null };
    let base = s.get(..19).unwrap_or(s);
    match version {
        Version::V1 => Value::String(base.replace('T', " ")),
        Version::V2 => Value::String(format!("{base}Z")),
    }
}

/// Minor units to the major-unit number Pipedrive writes.
pub fn money_out(v: &Value) -> Value {
    match v.as_i64() {
        Some(m) if m % 100 == 0 => json!(m / 100),
        Some(m) => json!(m as f64 / 100.0),
        None => Value::Null,
    }
}

/// A major-unit number (or numeric text) to minor units; `None` when it is not a number.
pub fn money_in(v: &Value) -> Option<Value> {
    match v {
        Value::Null => Some(Value::Null),
        Value::Number(n) => n.as_f64().filter(|f| f.is_finite()).map(|f| json!((f * 100.0).round() as i64)),
        Value::String(s) if s.trim().is_empty() => Some(Value::Null),
        Value::String(s) => {
            s.trim().replace(',', ".").parse::<f64>().ok().filter(|f| f.is_finite()).map(|f| json!((f * 100.0).round() as i64))
        }
        _ => None,
    }
}

/// A related record's id as v1 writes it (`{"value": id}`) or v2 (the id).
fn related(v: &Value, version: Version) -> Value {
    match (v.as_i64(), version) {
        (None, _) => Value::Null,
        (Some(id), Version::V2) => json!(id),
        (Some(id), Version::V1) => json!({"value": id}),
    }
}

/// An owner as v1 writes it (`{"id", "value"}`) or v2 (the id).
fn owner(v: &Value, version: Version) -> Value {
    match (v.as_i64(), version) {
        (None, _) => Value::Null,
        (Some(id), Version::V2) => json!(id),
        (Some(id), Version::V1) => json!({"id": id, "value": id}),
    }
}

/// A person's e-mails or phones as the list Pipedrive writes: the main one (primary) and then
/// the others (empty when there is none).
fn contact_list(main: &Value, others: &Value) -> Value {
    let main = main.as_str().filter(|s| !s.is_empty()).map(|s| json!({"value": s, "primary": true, "label": "work"}));
    let others =
        others.as_array().into_iter().flatten().filter_map(Value::as_str).map(|s| json!({"value": s, "primary": false, "label": "other"}));
    Value::Array(main.into_iter().chain(others).collect())
}

/// Pipedrive's deal status for ours: a frozen deal is still open, not a lead is lost.
pub fn status_out(s: &str) -> &'static str {
    match s {
        "won" => "won",
        "lost" | "not_lead" => "lost",
        _ => "open",
    }
}

/// The custom values of a native record under their hash keys, money as major units.
fn custom_out<N: Native + ?Sized>(native: &N, ctx: &Ctx) -> Map<String, Value> {
    let mut out = Map::new();
    let mut values = match native.value("custom") {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    for d in ctx.custom {
        let v = values.remove(&d.key).unwrap_or(Value::Null);
        let hash = d.hash.clone();
        if d.field_type == "money" {
            // A money field holds minor units in the record's currency (a deal's own).
            let currency = native.value("currency");
            let amount = money_out(&v);
            match ctx.version {
                Version::V1 => {
                    out.insert(format!("{hash}_currency"), currency);
                    out.insert(hash, amount);
                }
                Version::V2 => {
                    out.insert(hash, if amount.is_null() { Value::Null } else { json!({"value": amount, "currency": currency}) });
                }
            }
        } else {
            out.insert(hash, v);
        }
    }
    out
}

/// A native record (a stored row or its API JSON) in Pipedrive's shape.
pub fn out<N: Native + ?Sized>(entity: Entity, native: &N, ctx: &Ctx) -> Value {
    let g = |k: &str| native.value(k);
    let v = ctx.version;
    let common = |m: &mut Map<String, Value>| {
        m.insert("id".into(), g("id"));
        m.insert("add_time".into(), time_out(&g("created_at"), v));
        m.insert("update_time".into(), time_out(&g("updated_at"), v));
    };
    let mut m = Map::new();
    common(&mut m);
    match entity {
        Entity::Deal => {
            let status = g("status");
            let status = status.as_str().unwrap_or("open");
            let closed = g("closed_at");
            m.insert("title".into(), g("title"));
            m.insert(if v == Version::V1 { "user_id" } else { "owner_id" }.into(), owner(&g("owner_id"), v));
            if v == Version::V1 {
                m.insert("owner_id".into(), g("owner_id"));
            }
            m.insert("person_id".into(), related(&g("person_id"), v));
            m.insert("org_id".into(), related(&g("organization_id"), v));
            m.insert("pipeline_id".into(), g("pipeline_id"));
            m.insert("stage_id".into(), g("stage_id"));
            m.insert("value".into(), money_out(&g("value")));
            m.insert("currency".into(), g("currency"));
            m.insert("status".into(), json!(status_out(status)));
            m.insert("poryadok_status".into(), json!(status));
            m.insert("stage_change_time".into(), time_out(&g("stage_entered_at"), v));
            m.insert("close_time".into(), time_out(&closed, v));
            m.insert("won_time".into(), if status == "won" { time_out(&closed, v) } else { Value::Null });
            m.insert("lost_time".into(), if status_out(status) == "lost" { time_out(&closed, v) } else { Value::Null });
            m.insert("lost_reason".into(), g("lost_reason"));
            m.insert("expected_close_date".into(), g("expected_close_date"));
            m.insert("probability".into(), Value::Null);
            m.insert("origin".into(), g("source"));
            m.insert("label_ids".into(), json!([]));
            m.insert("is_deleted".into(), json!(false));
            m.insert("visible_to".into(), visible_to(v));
        }
        Entity::Person => {
            let name = g("name");
            let (first, last) = split_name(name.as_str().unwrap_or(""));
            m.insert("name".into(), name);
            m.insert("first_name".into(), json!(first));
            m.insert("last_name".into(), json!(last));
            m.insert("owner_id".into(), owner(&g("owner_id"), v));
            m.insert("org_id".into(), related(&g("organization_id"), v));
            m.insert("job_title".into(), g("job_title"));
            let (emails, phones) = if v == Version::V1 { ("email", "phone") } else { ("emails", "phones") };
            m.insert(emails.into(), contact_list(&g("email"), &g("other_emails")));
            m.insert(phones.into(), contact_list(&g("phone"), &g("other_phones")));
            m.insert("label_ids".into(), json!([]));
            m.insert("is_deleted".into(), json!(false));
            m.insert("visible_to".into(), visible_to(v));
        }
        Entity::Organization => {
            m.insert("name".into(), g("name"));
            m.insert("owner_id".into(), owner(&g("owner_id"), v));
            m.insert(
                "address".into(),
                match v {
                    Version::V1 => g("address"),
                    Version::V2 => g("address").as_str().map_or(Value::Null, |a| json!({"value": a})),
                },
            );
            m.insert("label_ids".into(), json!([]));
            m.insert("is_deleted".into(), json!(false));
            m.insert("visible_to".into(), visible_to(v));
        }
        Entity::Activity => {
            let due = g("due_at");
            let due = due.as_str().unwrap_or("");
            m.insert("subject".into(), g("subject"));
            m.insert("type".into(), g("type"));
            m.insert(if v == Version::V1 { "user_id" } else { "owner_id" }.into(), g("owner_id"));
            m.insert("deal_id".into(), g("deal_id"));
            m.insert("person_id".into(), g("person_id"));
            m.insert("org_id".into(), g("organization_id"));
            m.insert("due_date".into(), due.get(..10).map_or(Value::Null, |d| json!(d)));
            m.insert("due_time".into(), due.get(11..16).map_or(Value::Null, |t| json!(t)));
            m.insert("duration".into(), g("duration_min").as_i64().map_or(Value::Null, |d| json!(format!("{:02}:{:02}", d / 60, d % 60))));
            m.insert("done".into(), g("done"));
            m.insert("marked_as_done_time".into(), time_out(&g("done_at"), v));
            m.insert("note".into(), g("description"));
            m.insert("busy".into(), json!(false));
            m.insert("is_deleted".into(), json!(false));
        }
        Entity::Note => {
            m.insert("content".into(), g("content"));
            m.insert("user_id".into(), g("author_id"));
            m.insert("deal_id".into(), g("deal_id"));
            m.insert("person_id".into(), g("person_id"));
            m.insert("org_id".into(), g("organization_id"));
            m.insert("active_flag".into(), json!(true));
            m.insert("pinned_to_deal_flag".into(), json!(false));
        }
        Entity::Pipeline => {
            m.insert("name".into(), g("name"));
            m.insert("order_nr".into(), g("position"));
            m.insert("active".into(), g("active"));
            m.insert("is_deleted".into(), json!(false));
            m.insert("is_deal_probability_enabled".into(), json!(true));
        }
        Entity::Stage => {
            let rot = g("rotting_days");
            m.insert("name".into(), g("name"));
            m.insert("order_nr".into(), g("position"));
            m.insert("pipeline_id".into(), g("pipeline_id"));
            m.insert("deal_probability".into(), g("probability"));
            m.insert("is_deal_rot_enabled".into(), json!(rot.as_i64().is_some_and(|d| d > 0)));
            m.insert("days_to_rotten".into(), rot);
            m.insert("is_deleted".into(), json!(false));
            if v == Version::V1 {
                m.insert("active_flag".into(), json!(true));
            }
        }
        Entity::User => {
            m.remove("add_time");
            m.remove("update_time");
            m.insert("name".into(), g("name"));
            m.insert("email".into(), g("email"));
            m.insert("phone".into(), g("phone"));
            m.insert("is_admin".into(), json!(g("role").as_str() == Some("admin")));
            m.insert("role".into(), g("role"));
            m.insert("active_flag".into(), g("active"));
            m.insert("lang".into(), g("locale"));
            m.insert("locale".into(), g("locale"));
            m.insert("created".into(), time_out(&g("created_at"), Version::V1));
            m.insert("modified".into(), time_out(&g("updated_at"), Version::V1));
        }
        _ => {}
    }
    if poryadok_core::schema::CUSTOM_FIELD_ENTITIES.contains(&entity.name()) {
        let custom = custom_out(native, ctx);
        match v {
            Version::V1 => m.extend(custom),
            Version::V2 => {
                m.insert("custom_fields".into(), Value::Object(custom));
            }
        }
    }
    Value::Object(m)
}

fn visible_to(v: Version) -> Value {
    // Everyone the workspace's rules let see it (Pipedrive's "3": the entire company).
    match v {
        Version::V1 => json!("3"),
        Version::V2 => json!(3),
    }
}

/// `Иван Петров` → (`Иван`, `Петров`); one word is a first name.
fn split_name(name: &str) -> (String, String) {
    match name.trim().split_once(' ') {
        Some((f, l)) => (f.to_string(), l.trim().to_string()),
        None => (name.trim().to_string(), String::new()),
    }
}

/// A body refused before it reaches the record rules: the field and why.
#[derive(Debug, Clone, PartialEq)]
pub struct BadField {
    pub field: String,
    pub why: &'static str,
}

fn bad(field: &str, why: &'static str) -> BadField {
    BadField { field: field.to_string(), why }
}

/// An e-mail or phone list as Pipedrive clients send it — a string, a list of strings, or a list
/// of `{value, primary}` — as our main value and the others: the primary one (else the first) is
/// the main, the rest in their order.
fn contact_in(v: &Value, field: &str) -> Result<(Value, Value), BadField> {
    let items: Vec<(String, bool)> = match v {
        Value::Null => return Ok((Value::Null, Value::Null)),
        Value::String(s) => return Ok((if s.trim().is_empty() { Value::Null } else { json!(s.trim()) }, Value::Null)),
        Value::Array(a) => a
            .iter()
            .filter_map(|x| match x {
                Value::String(s) => Some((s.trim().to_string(), false)),
                Value::Object(o) => {
                    Some((o.get("value")?.as_str()?.trim().to_string(), o.get("primary").and_then(Value::as_bool).unwrap_or(false)))
                }
                _ => None,
            })
            .filter(|(s, _)| !s.is_empty())
            .collect(),
        _ => return Err(bad(field, "a list of {value, primary, label} is expected")),
    };
    let main = items.iter().position(|(_, primary)| *primary).unwrap_or(0);
    let Some((first, _)) = items.get(main) else { return Ok((Value::Null, Value::Null)) };
    let others: Vec<&str> = items.iter().enumerate().filter(|(i, _)| *i != main).map(|(_, (s, _))| s.as_str()).collect();
    Ok((json!(first), if others.is_empty() { Value::Null } else { json!(others) }))
}

fn id_in(v: &Value, field: &str) -> Result<Value, BadField> {
    match v {
        Value::Null => Ok(Value::Null),
        Value::Number(n) if n.as_i64().is_some() => Ok(v.clone()),
        Value::String(s) => s.trim().parse::<i64>().map(|i| json!(i)).map_err(|_| bad(field, "an id is a whole number")),
        // v1 answers related records as objects; a client may send one back.
        Value::Object(o) => id_in(o.get("value").or_else(|| o.get("id")).unwrap_or(&Value::Null), field),
        _ => Err(bad(field, "an id is a whole number")),
    }
}

/// `0`/`1`, `true`/`false`, `"0"`/`"1"` as Pipedrive clients send a flag.
fn flag_in(v: &Value, field: &str) -> Result<Value, BadField> {
    match v {
        Value::Bool(_) | Value::Null => Ok(v.clone()),
        Value::Number(n) => Ok(json!(n.as_i64() == Some(1))),
        Value::String(s) if s == "1" || s == "true" => Ok(json!(true)),
        Value::String(s) if s == "0" || s == "false" => Ok(json!(false)),
        _ => Err(bad(field, "expected true or false")),
    }
}

/// A Pipedrive body as the native body of `entity` (for create, or the fields of an update).
/// Keys a native record does not have are ignored, as Pipedrive ignores what it does not know.
pub fn body_in(entity: Entity, body: &Value, ctx: &Ctx) -> Result<Value, BadField> {
    let Some(src) = body.as_object() else { return Err(bad("body", "a JSON object is expected")) };
    let mut n = Map::new();
    let mut put = |k: &str, v: Value| {
        n.insert(k.to_string(), v);
    };
    let plain = |k: &str| src.get(k).cloned();
    match entity {
        Entity::Deal => {
            for k in ["title", "currency", "lost_reason", "expected_close_date", "status"] {
                if let Some(v) = plain(k) {
                    put(k, v);
                }
            }
            if let Some(v) = src.get("value") {
                put("value", money_in(v).ok_or_else(|| bad("value", "a number is expected"))?);
            }
            for (pd, native) in
                [("person_id", "person_id"), ("org_id", "organization_id"), ("pipeline_id", "pipeline_id"), ("stage_id", "stage_id")]
            {
                if let Some(v) = src.get(pd) {
                    put(native, id_in(v, pd)?);
                }
            }
            if let Some((k, v)) = src.get_key_value("owner_id").or_else(|| src.get_key_value("user_id")) {
                put("owner_id", id_in(v, k)?);
            }
        }
        Entity::Person => {
            let first = src.get("first_name").and_then(Value::as_str).unwrap_or("").trim();
            let last = src.get("last_name").and_then(Value::as_str).unwrap_or("").trim();
            if let Some(v) = plain("name") {
                put("name", v);
            } else if !first.is_empty() || !last.is_empty() {
                put("name", json!(format!("{first} {last}").trim()));
            }
            if let Some(v) = plain("job_title") {
                put("job_title", v);
            }
            for (keys, native, others) in [(["emails", "email"], "email", "other_emails"), (["phones", "phone"], "phone", "other_phones")] {
                if let Some((k, v)) = keys.iter().find_map(|k| src.get_key_value(*k)) {
                    let (main, rest) = contact_in(v, k)?;
                    put(native, main);
                    put(others, rest);
                }
            }
            if let Some(v) = src.get("org_id") {
                put("organization_id", id_in(v, "org_id")?);
            }
            if let Some(v) = src.get("owner_id") {
                put("owner_id", id_in(v, "owner_id")?);
            }
        }
        Entity::Organization => {
            if let Some(v) = plain("name") {
                put("name", v);
            }
            match src.get("address") {
                Some(Value::Object(a)) => put("address", a.get("value").cloned().unwrap_or(Value::Null)),
                Some(v) => put("address", v.clone()),
                None => {}
            }
            if let Some(v) = src.get("owner_id") {
                put("owner_id", id_in(v, "owner_id")?);
            }
        }
        Entity::Activity => {
            for k in ["subject", "type"] {
                if let Some(v) = plain(k) {
                    put(k, v);
                }
            }
            if let Some(v) = src.get("note").or_else(|| src.get("public_description")) {
                put("description", v.clone());
            }
            if let Some(v) = src.get("done") {
                put("done", flag_in(v, "done")?);
            }
            match (src.get("due_date").and_then(Value::as_str), src.get("due_time").and_then(Value::as_str)) {
                (Some(d), t) if !d.is_empty() => {
                    let t = t.filter(|t| !t.is_empty()).unwrap_or("00:00");
                    let t = if t.len() == 5 { format!("{t}:00") } else { t.to_string() };
                    put("due_at", json!(format!("{d}T{t}Z")));
                }
                (Some(_), _) => put("due_at", Value::Null),
                _ => {}
            }
            if let Some(v) = src.get("duration") {
                let minutes = match v {
                    Value::Null => Ok(Value::Null),
                    Value::String(s) if s.is_empty() => Ok(Value::Null),
                    Value::String(s) => s
                        .split_once(':')
                        .and_then(|(h, m)| Some(h.parse::<i64>().ok()? * 60 + m.parse::<i64>().ok()?))
                        .map(|m| json!(m))
                        .ok_or_else(|| bad("duration", "a duration is HH:MM")),
                    _ => Err(bad("duration", "a duration is HH:MM")),
                }?;
                put("duration_min", minutes);
            }
            for (pd, native) in [("deal_id", "deal_id"), ("person_id", "person_id"), ("org_id", "organization_id")] {
                if let Some(v) = src.get(pd) {
                    put(native, id_in(v, pd)?);
                }
            }
            if let Some((k, v)) = src.get_key_value("owner_id").or_else(|| src.get_key_value("user_id")) {
                put("owner_id", id_in(v, k)?);
            }
        }
        Entity::Note => {
            if let Some(v) = plain("content") {
                put("content", v);
            }
            for (pd, native) in [("deal_id", "deal_id"), ("person_id", "person_id"), ("org_id", "organization_id")] {
                if let Some(v) = src.get(pd) {
                    put(native, id_in(v, pd)?);
                }
            }
        }
        Entity::Pipeline => {
            if let Some(v) = plain("name") {
                put("name", v);
            }
            if let Some(v) = plain("order_nr") {
                put("position", v);
            }
            if let Some(v) = src.get("active") {
                put("active", flag_in(v, "active")?);
            }
        }
        Entity::Stage => {
            if let Some(v) = plain("name") {
                put("name", v);
            }
            if let Some(v) = src.get("pipeline_id") {
                put("pipeline_id", id_in(v, "pipeline_id")?);
            }
            for (pd, native) in [("order_nr", "position"), ("deal_probability", "probability"), ("days_to_rotten", "rotting_days")] {
                if let Some(v) = plain(pd) {
                    put(native, v);
                }
            }
        }
        _ => {}
    }
    let custom = custom_in(entity, src, ctx)?;
    if !custom.is_empty() {
        n.insert("custom".into(), Value::Object(custom));
    }
    Ok(Value::Object(n))
}

/// The custom values a body carries under hash keys (v2: in `custom_fields`; v1: at the root),
/// by their native keys.
fn custom_in(entity: Entity, src: &Map<String, Value>, ctx: &Ctx) -> Result<Map<String, Value>, BadField> {
    let mut out = Map::new();
    if !poryadok_core::schema::CUSTOM_FIELD_ENTITIES.contains(&entity.name()) {
        return Ok(out);
    }
    let nested = src.get("custom_fields").and_then(Value::as_object);
    for d in ctx.custom {
        let hash = &d.hash;
        let found = nested.and_then(|m| m.get(hash)).or_else(|| src.get(hash));
        let Some(v) = found else { continue };
        let value = if d.field_type == "money" {
            // `{value, currency}` (v2) or the amount (v1, its currency beside it): the amount is
            // kept, in the record's currency.
            let amount = match v {
                Value::Object(o) => o.get("value").cloned().unwrap_or(Value::Null),
                other => other.clone(),
            };
            money_in(&amount).ok_or_else(|| bad(hash, "a number is expected"))?
        } else {
            v.clone()
        };
        out.insert(d.key.clone(), value);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(version: Version, custom: &[CustomDef]) -> Ctx<'_> {
        Ctx { ws: 1, version, custom }
    }

    fn budget() -> CustomDef {
        let d = poryadok_core::validate::CustomDef {
            key: "budget".into(),
            label: "Бюджет".into(),
            field_type: poryadok_core::domain::CustomFieldType::Money,
            options: vec![],
        };
        CustomDef::new(1, Entity::Deal, 7, d)
    }

    #[test]
    fn a_deal_reads_in_pipedrive_names_in_each_version() {
        let native = json!({"id": 5, "title": "Ромашка", "owner_id": 2, "person_id": 3, "organization_id": 4, "pipeline_id": 1,
            "stage_id": 2, "value": 1_500_050, "currency": "RUB", "status": "won", "closed_at": "2026-12-01T10:00:00.000Z",
            "created_at": "2026-11-01T09:30:00.123Z", "updated_at": "2026-12-01T10:00:00.000Z", "custom": {"budget": 250_000}});
        let defs = [budget()];
        let v2 = out(Entity::Deal, &native, &ctx(Version::V2, &defs));
        assert_eq!(v2["org_id"], json!(4));
        assert_eq!(v2["value"], json!(15000.5));
        assert_eq!(v2["add_time"], json!("2026-11-01T09:30:00Z"));
        assert_eq!(v2["won_time"], json!("2026-12-01T10:00:00Z"));
        let hash = hash_key(1, Entity::Deal, "budget");
        assert_eq!(hash.len(), 40);
        assert_eq!(v2["custom_fields"][&hash], json!({"value": 2500, "currency": "RUB"}));
        let v1 = out(Entity::Deal, &native, &ctx(Version::V1, &defs));
        assert_eq!(v1["org_id"], json!({"value": 4}));
        assert_eq!(v1["user_id"], json!({"id": 2, "value": 2}));
        assert_eq!(v1["add_time"], json!("2026-11-01 09:30:00"));
        assert_eq!(v1[&hash], json!(2500));
        assert_eq!(v1[format!("{hash}_currency")], json!("RUB"));
        assert!(v1.get("custom_fields").is_none());
    }

    #[test]
    fn a_pipedrive_body_becomes_a_native_one() {
        let defs = [budget()];
        let hash = hash_key(1, Entity::Deal, "budget");
        let body = json!({"title": "T", "value": "1500.5", "org_id": "4", "user_id": 2, "visible_to": 3, "custom_fields": {hash.clone(): {"value": 10, "currency": "EUR"}}});
        let n = body_in(Entity::Deal, &body, &ctx(Version::V2, &defs)).unwrap();
        assert_eq!(n, json!({"title": "T", "value": 150050, "organization_id": 4, "owner_id": 2, "custom": {"budget": 1000}}));
        let v1 = json!({"title": "T", hash.clone(): 10, format!("{hash}_currency"): "RUB"});
        assert_eq!(body_in(Entity::Deal, &v1, &ctx(Version::V1, &defs)).unwrap()["custom"], json!({"budget": 1000}));
        let person = json!({"name": "Иван", "phones": [{"value": "+79001234567", "primary": true, "label": "work"}], "emails": ["a@b.ru"]});
        assert_eq!(
            body_in(Entity::Person, &person, &ctx(Version::V2, &[])).unwrap(),
            json!({"name": "Иван", "email": "a@b.ru", "other_emails": null, "phone": "+79001234567", "other_phones": null})
        );
        // More than one: the primary is the main value, the rest are the others, in order.
        let person = json!({"phones": [{"value": "8 912 000-00-01", "primary": false}, {"value": "+79120000002", "primary": true}, {"value": "+79120000003"}]});
        let n = body_in(Entity::Person, &person, &ctx(Version::V1, &[])).unwrap();
        assert_eq!((&n["phone"], &n["other_phones"]), (&json!("+79120000002"), &json!(["8 912 000-00-01", "+79120000003"])));
        let act =
            json!({"subject": "Звонок", "type": "call", "due_date": "2026-12-07", "due_time": "10:30", "duration": "01:15", "done": 0});
        assert_eq!(
            body_in(Entity::Activity, &act, &ctx(Version::V1, &[])).unwrap(),
            json!({"subject": "Звонок", "type": "call", "due_at": "2026-12-07T10:30:00Z", "duration_min": 75, "done": false})
        );
        let bad_value = body_in(Entity::Deal, &json!({"value": "много"}), &ctx(Version::V2, &[])).unwrap_err();
        assert_eq!(bad_value.field, "value");
    }
}
