//! Web forms: what a form asks (its fields and where each one lands on the client's card), how a
//! submission is read, and what it makes: the person found by phone or e-mail (or a new one), their
//! open deal (or a new one) with the submission's attribution, and a note with every field typed,
//! so nothing a client wrote is lost.
//!
//! A submission is stored in one format whatever way it came (the hosted page, an HTML form on the
//! client's site, a signed server-to-server POST): `{"fields": {name: text}, "attribution":
//! {utm_source…}, "started_at": ms, "id": "…"}`. The spam checks (honeypot, fill time, origin, rate)
//! are the server's, before storing; here a submission is only read and applied.
use crate::error::{Result, StoreError};
use crate::intake::client::{self, EventCtx};
use crate::intake::Source;
use crate::rules::scalar_i64;
use crate::sql::col;
use crate::{Actor, Db};
use poryadok_core::domain::{CustomFieldType, IdentityKind};
use poryadok_core::error::FieldError;
use poryadok_core::intake::{display_phone, Attribution, Words};
use poryadok_core::msg::{words, Common, IntakeMsg};
use poryadok_core::schema::Entity;
use poryadok_core::types::{Email, Phone};
use poryadok_core::validate::{self, CustomDef, Mode};
use poryadok_core::Msg;
use sea_orm::ConnectionTrait;
use sea_query::{Expr, Order, Query};
use serde_json::{json, Map, Value as Json};

/// Where a form field's value may land.
pub const MAPS_TO: &[&str] =
    &["person.name", "person.phone", "person.email", "person.job_title", "organization.name", "deal.title", "deal.value", "note"];
pub const FIELD_TYPES: &[&str] = &["text", "email", "phone", "textarea", "number"];
pub const MAX_FIELDS: usize = 30;
pub const DEFAULT_MIN_FILL_SECONDS: i64 = 3;
pub const DEFAULT_RATE_PER_MINUTE: i64 = 10;
/// The hidden spam trap every hosted form carries; no real field may be called so.
pub const HONEYPOT: &str = "website";
/// What one field may hold; a longer text is clipped, never refused.
const VALUE_LIMIT: usize = 10_000;
const MAX_ORIGINS: usize = 20;
/// Custom field types a form can fill from typed text.
const FILLABLE_CUSTOM: &[CustomFieldType] = &[
    CustomFieldType::Text,
    CustomFieldType::Number,
    CustomFieldType::Money,
    CustomFieldType::Date,
    CustomFieldType::Enum,
    CustomFieldType::Bool,
    CustomFieldType::Url,
];

/// One field of a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormField {
    pub name: String,
    pub label: String,
    /// text, email, phone, textarea or number.
    pub kind: String,
    pub required: bool,
    pub maps_to: String,
}

/// A form's settings, read from its source's (checked) config.
#[derive(Debug, Clone, Default)]
pub struct FormConfig {
    pub title: String,
    pub fields: Vec<FormField>,
    /// `https://site.example` origins whose pages may embed the form and post to it.
    pub allowed_origins: Vec<String>,
    pub min_fill_seconds: i64,
    pub rate_per_minute: i64,
    pub success_message: Option<String>,
    pub redirect_url: Option<String>,
}

impl FormConfig {
    /// The form of a source; the title falls back to the source's name.
    pub fn of(source: &Source) -> FormConfig {
        let c = &source.config;
        let text = |k: &str| c.get(k).and_then(Json::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        let fields = c
            .get("fields")
            .and_then(Json::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|f| {
                        let s = |k: &str| f.get(k).and_then(Json::as_str).unwrap_or("").to_string();
                        let name = s("name");
                        (!name.is_empty()).then(|| FormField {
                            label: Some(s("label")).filter(|l| !l.is_empty()).unwrap_or_else(|| name.clone()),
                            kind: Some(s("type")).filter(|t| FIELD_TYPES.contains(&t.as_str())).unwrap_or_else(|| "text".into()),
                            required: f.get("required").and_then(Json::as_bool).unwrap_or(false),
                            maps_to: Some(s("maps_to")).filter(|m| !m.is_empty()).unwrap_or_else(|| "note".into()),
                            name,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        FormConfig {
            title: text("title").unwrap_or_else(|| source.name.clone()),
            fields,
            allowed_origins: c
                .get("allowed_origins")
                .and_then(Json::as_array)
                .map(|a| a.iter().filter_map(Json::as_str).map(str::to_string).collect())
                .unwrap_or_default(),
            min_fill_seconds: c.get("min_fill_seconds").and_then(Json::as_i64).unwrap_or(DEFAULT_MIN_FILL_SECONDS),
            rate_per_minute: c.get("rate_per_minute").and_then(Json::as_i64).unwrap_or(DEFAULT_RATE_PER_MINUTE),
            success_message: text("success_message"),
            redirect_url: text("redirect_url"),
        }
    }

    pub fn allows_origin(&self, origin: &str) -> bool {
        normal_origin(origin).is_ok_and(|o| self.allowed_origins.contains(&o))
    }
}

/// A submission in the one stored format.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Submission {
    /// Field name → typed text, trimmed; empty values are left out.
    pub fields: Map<String, Json>,
    pub attribution: Attribution,
    /// When the page was opened (Unix ms), from its signed token.
    pub started_at: Option<i64>,
    /// The sender's own id of a server-to-server submission: a replay of it is one event.
    pub id: Option<String>,
}

impl Submission {
    /// Reads the stored format (which is also what a server-to-server sender posts).
    pub fn from_body(body: &[u8]) -> std::result::Result<Submission, FieldError> {
        let v: Json = serde_json::from_slice(body).map_err(|e| FieldError::new("body", Common::BodyNotJson { why: e.to_string() }))?;
        let Json::Object(top) = v else {
            return Err(FieldError::new("body", IntakeMsg::SubmissionNotObject {}));
        };
        let Some(Json::Object(raw)) = top.get("fields") else {
            return Err(FieldError::new("fields", IntakeMsg::FieldsRequired {}));
        };
        let mut fields = Map::new();
        for (k, v) in raw {
            let text = match v {
                Json::Null => continue,
                Json::String(s) => s.clone(),
                Json::Number(n) => n.to_string(),
                Json::Bool(b) => b.to_string(),
                _ => return Err(FieldError::new(format!("fields.{k}"), IntakeMsg::ValueNotScalar {})),
            };
            if let Some(t) = clean(&text) {
                fields.insert(k.clone(), Json::String(t));
            }
        }
        let attribution = match top.get("attribution") {
            None | Some(Json::Null) => Attribution::default(),
            Some(Json::Object(a)) => Attribution::from_lookup(|name| match a.get(name) {
                Some(Json::String(s)) => Some(s.clone()),
                Some(Json::Number(n)) => Some(n.to_string()),
                _ => None,
            }),
            Some(_) => return Err(FieldError::new("attribution", IntakeMsg::AttributionNotObject {})),
        };
        let id = match top.get("id") {
            None | Some(Json::Null) => None,
            Some(Json::String(s)) if !s.trim().is_empty() && s.len() <= 200 => Some(s.trim().to_string()),
            Some(Json::Number(n)) => Some(n.to_string()),
            Some(_) => return Err(FieldError::new("id", IntakeMsg::TextUpTo { max: 200 })),
        };
        Ok(Submission { fields, attribution, started_at: top.get("started_at").and_then(Json::as_i64), id })
    }

    /// The stored format.
    pub fn to_body(&self) -> Vec<u8> {
        let attribution: Map<String, Json> =
            Attribution::FIELDS.iter().filter_map(|f| self.attribution.get(f).map(|v| ((*f).to_string(), json!(v)))).collect();
        let mut v = json!({"fields": self.fields, "attribution": attribution});
        if let Some(s) = self.started_at {
            v["started_at"] = json!(s);
        }
        if let Some(id) = &self.id {
            v["id"] = json!(id);
        }
        v.to_string().into_bytes()
    }

    /// Sets a field from typed text (a form post); an empty value is no value.
    pub fn set(&mut self, name: &str, text: &str) {
        if let Some(t) = clean(text) {
            self.fields.insert(name.to_string(), Json::String(t));
        }
    }

    pub fn value(&self, name: &str) -> Option<&str> {
        self.fields.get(name).and_then(Json::as_str)
    }
}

fn clean(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.chars().take(VALUE_LIMIT).collect())
}

/// What is wrong with a submission, for the person filling the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    Required,
    /// Neither a phone number nor an e-mail address.
    Contact,
    Phone,
    Email,
    Number,
    Invalid,
}

/// A submission's mistake: the form field, what kind of mistake, and the message for the inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormProblem {
    pub field: String,
    pub problem: Problem,
    pub msg: Msg,
}

impl FormProblem {
    fn new(field: &str, problem: Problem, msg: impl Into<Msg>) -> FormProblem {
        FormProblem { field: field.to_string(), problem, msg: msg.into() }
    }
}

impl From<FormProblem> for FieldError {
    fn from(p: FormProblem) -> FieldError {
        FieldError::new(p.field, p.msg)
    }
}

/// The first mistake, as the event keeps it.
fn first_error(problems: Vec<FormProblem>) -> FieldError {
    problems.into_iter().next().map_or_else(|| FieldError::new("fields", IntakeMsg::UnreadableSubmission {}), FieldError::from)
}

/// What a submission puts on the card.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct FormLead {
    pub title: String,
    pub name: Option<String>,
    /// E.164.
    pub phone: Option<String>,
    pub email: Option<String>,
    pub job_title: Option<String>,
    pub organization: Option<String>,
    pub deal_title: Option<String>,
    pub deal_value: Option<i64>,
    pub custom: Map<String, Json>,
    /// `Label: value`, every field in the form's order, then anything else the sender posted.
    pub lines: Vec<String>,
    pub attribution: Attribution,
}

fn clip(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// Reads a submission with the form's fields; the workspace's `region` reads local phone numbers.
pub(crate) fn lead_of(
    form: &FormConfig,
    defs: &[CustomDef],
    region: &str,
    sub: &Submission,
) -> std::result::Result<FormLead, Vec<FormProblem>> {
    let mut lead = FormLead { title: form.title.clone(), attribution: sub.attribution.clone(), ..Default::default() };
    let mut custom_of: Vec<(String, String)> = Vec::new();
    // Every mistake at once, so the person filling the form fixes them in one go.
    let mut problems = Vec::new();
    for f in &form.fields {
        let Some(v) = sub.value(&f.name) else {
            if f.required {
                problems.push(FormProblem::new(&f.name, Problem::Required, Common::Required {}));
            }
            continue;
        };
        lead.lines.push(format!("{}: {v}", f.label));
        if let Err(p) = read_field(f, v, defs, region, &mut lead) {
            problems.push(p);
        } else if let Some(key) = f.maps_to.strip_prefix("custom.") {
            custom_of.push((key.to_string(), f.name.clone()));
        }
    }
    for (k, v) in &sub.fields {
        if !form.fields.iter().any(|f| &f.name == k) {
            lead.lines.push(format!("{k}: {}", v.as_str().unwrap_or_default()));
        }
    }
    if !lead.custom.is_empty() {
        let ctx = validate::Ctx { region, custom_defs: defs };
        if let Err(e) = validate::check(Entity::Deal, &json!({"custom": lead.custom}), Mode::Update, &ctx) {
            let key = e.field.strip_prefix("custom.").unwrap_or(&e.field);
            let field = custom_of.iter().find(|(k, _)| k == key).map_or(e.field.as_str(), |(_, name)| name.as_str());
            problems.push(FormProblem::new(field, Problem::Invalid, e.msg));
        }
    }
    if problems.is_empty() && lead.phone.is_none() && lead.email.is_none() {
        let contact =
            form.fields.iter().find(|f| f.maps_to == "person.phone").or_else(|| form.fields.iter().find(|f| f.maps_to == "person.email"));
        problems.push(FormProblem::new(contact.map_or("fields", |f| f.name.as_str()), Problem::Contact, IntakeMsg::LeaveContact {}));
    }
    if problems.is_empty() {
        Ok(lead)
    } else {
        Err(problems)
    }
}

/// Reads one filled field into the lead.
fn read_field(f: &FormField, v: &str, defs: &[CustomDef], region: &str, lead: &mut FormLead) -> std::result::Result<(), FormProblem> {
    let bad = |p: Problem, e: Msg| FormProblem::new(&f.name, p, e);
    let phone = if f.kind == "phone" || f.maps_to == "person.phone" {
        Some(Phone::parse(v, region).map_err(|e| bad(Problem::Phone, e))?.into_string())
    } else {
        None
    };
    let email = if f.kind == "email" || f.maps_to == "person.email" {
        Some(Email::parse(v).map_err(|e| bad(Problem::Email, e))?.into_string())
    } else {
        None
    };
    if f.kind == "number" && parse_number(v).is_none() {
        return Err(bad(Problem::Number, IntakeMsg::NotANumber { s: v.to_string() }.into()));
    }
    match f.maps_to.as_str() {
        "person.name" => lead.name = Some(clip(v, 255)),
        "person.phone" => lead.phone = phone,
        "person.email" => lead.email = email,
        "person.job_title" => lead.job_title = Some(clip(v, 255)),
        "organization.name" => lead.organization = Some(clip(v, 255)),
        "deal.title" => lead.deal_title = Some(clip(v, 255)),
        "deal.value" => {
            lead.deal_value = Some(parse_amount(v).ok_or_else(|| bad(Problem::Number, IntakeMsg::NotAnAmount { s: v.to_string() }.into()))?)
        }
        m => {
            // A custom field deleted since the form was saved is skipped: its value is still in the note.
            if let Some(def) = m.strip_prefix("custom.").and_then(|key| defs.iter().find(|d| d.key == key)) {
                let value = custom_json(def, v).map_err(|e| bad(Problem::Invalid, e))?;
                lead.custom.insert(def.key.clone(), value);
            }
        }
    }
    Ok(())
}

/// A typed number: `12`, `1 500,5`, `-3.25`.
fn parse_number(s: &str) -> Option<f64> {
    let t: String = s.chars().filter(|c| !c.is_whitespace() && *c != '\u{202f}').collect();
    let t = if t.contains('.') { t.replace(',', "") } else { t.replace(',', ".") };
    t.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// A typed amount in minor units: `150000`, `1 500,50`, `1,500.50`, `1.500,50`; at most two decimals.
pub fn parse_amount(s: &str) -> Option<i64> {
    let t: String = s.chars().filter(|c| !c.is_whitespace() && *c != '\u{202f}').collect();
    let t = t.trim_end_matches('.').trim_end_matches("руб").trim_end_matches(['₽', '$', '€']);
    // The last separator followed by one or two digits is the decimal one; the others group thousands.
    let (units, frac) = match t.rfind([',', '.']) {
        Some(i) if (1..=2).contains(&(t.len() - i - 1)) => (&t[..i], &t[i + 1..]),
        _ => (t, ""),
    };
    let units: String = units.chars().filter(|c| *c != ',' && *c != '.').collect();
    if units.is_empty() || !units.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let cents: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().ok()? };
    let amount = units.parse::<i64>().ok()?.checked_mul(100)?.checked_add(cents)?;
    (amount <= 1_000_000_000_000_000).then_some(amount)
}

/// Typed text as a custom field's JSON value; the store's validation checks it further.
fn custom_json(def: &CustomDef, v: &str) -> std::result::Result<Json, Msg> {
    Ok(match def.field_type {
        CustomFieldType::Number => {
            let n = parse_number(v).ok_or_else(|| IntakeMsg::NotANumber { s: v.to_string() })?;
            // "3" is the whole number 3, as the API would store it.
            if n.fract() == 0.0 && n.abs() < 9.0e15 {
                json!(n as i64)
            } else {
                json!(n)
            }
        }
        CustomFieldType::Money => json!(parse_amount(v).ok_or_else(|| IntakeMsg::NotAnAmount { s: v.to_string() })?),
        CustomFieldType::Bool => match v.to_lowercase().as_str() {
            "1" | "true" | "yes" | "on" | "да" => json!(true),
            "0" | "false" | "no" | "off" | "нет" => json!(false),
            _ => return Err(IntakeMsg::NotYesNo { s: v.to_string() }.into()),
        },
        _ => json!(v),
    })
}

/// An origin as the browser sends it: `https://site.example[:port]`, lower case, no path.
pub fn normal_origin(s: &str) -> std::result::Result<String, Msg> {
    let t = s.trim().trim_end_matches('/').to_lowercase();
    let bad = || Msg::from(IntakeMsg::NotOrigin { s: s.to_string() });
    let rest = t.strip_prefix("https://").or_else(|| t.strip_prefix("http://")).ok_or_else(bad)?;
    let (host, port) = rest.split_once(':').map_or((rest, None), |(h, p)| (h, Some(p)));
    let host_ok = !host.is_empty() && host.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|n| n > 0));
    if host_ok && port_ok {
        Ok(t)
    } else {
        Err(bad())
    }
}

fn is_reserved(name: &str) -> bool {
    name == HONEYPOT || Attribution::FIELDS.contains(&name)
}

fn check_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic()) && chars.all(|c| c.is_ascii_alphanumeric() || c == '_') && name.len() <= 40
}

/// The type a mapping expects when the field does not say.
fn default_type(maps_to: &str) -> &'static str {
    match maps_to {
        "person.phone" => "phone",
        "person.email" => "email",
        "deal.value" => "number",
        _ => "text",
    }
}

/// Types that fit a mapping: a contact must be read as one, an amount as a number.
fn type_fits(kind: &str, maps_to: &str) -> bool {
    match maps_to {
        "person.phone" => matches!(kind, "phone" | "text"),
        "person.email" => matches!(kind, "email" | "text"),
        "deal.value" => matches!(kind, "number" | "text"),
        "note" => true,
        m if m.starts_with("custom.") => true,
        _ => !matches!(kind, "phone" | "email" | "number"),
    }
}

/// Checks and normalises a form source's config (fields, origins, spam limits, texts).
pub(crate) async fn check_config(db: &Db, actor: &Actor, c: &mut Map<String, Json>) -> Result<()> {
    let optional_text = |c: &Map<String, Json>, key: &str, max: usize| -> Result<Option<String>> {
        match c.get(key) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::String(s)) if s.chars().count() <= max => Ok(Some(s.trim().to_string()).filter(|s| !s.is_empty())),
            Some(_) => Err(StoreError::invalid(format!("config.{key}"), IntakeMsg::TextUpTo { max: max as i64 })),
        }
    };
    let title = optional_text(c, "title", 200)?;
    let success = optional_text(c, "success_message", 1000)?;
    let redirect = optional_text(c, "redirect_url", 2000)?
        .map(|u| poryadok_core::types::parse_url(&u).map_err(|e| StoreError::invalid("config.redirect_url", e)))
        .transpose()?;
    let defs = db.custom_defs(actor.ws_id(), Entity::Deal).await?;
    let fields = check_fields(c.get("fields"), &defs)?;
    let origins = match c.get("allowed_origins") {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::Array(a)) if a.len() <= MAX_ORIGINS => {
            let mut out = Vec::new();
            for (i, o) in a.iter().enumerate() {
                let o = o.as_str().ok_or_else(|| StoreError::invalid(format!("config.allowed_origins.{i}"), IntakeMsg::OriginShape {}))?;
                let o = normal_origin(o).map_err(|e| StoreError::invalid(format!("config.allowed_origins.{i}"), e))?;
                if !out.contains(&o) {
                    out.push(o);
                }
            }
            out
        }
        Some(_) => return Err(StoreError::invalid("config.allowed_origins", IntakeMsg::OriginList { max: MAX_ORIGINS as i64 })),
    };
    let number = |c: &Map<String, Json>, key: &str, default: i64, range: std::ops::RangeInclusive<i64>| -> Result<i64> {
        match c.get(key) {
            None | Some(Json::Null) => Ok(default),
            Some(v) => v.as_i64().filter(|n| range.contains(n)).ok_or_else(|| {
                StoreError::invalid(format!("config.{key}"), IntakeMsg::WholeFromTo { min: *range.start(), max: *range.end() })
            }),
        }
    };
    let min_fill = number(c, "min_fill_seconds", DEFAULT_MIN_FILL_SECONDS, 0..=3600)?;
    let rate = number(c, "rate_per_minute", DEFAULT_RATE_PER_MINUTE, 1..=1000)?;
    let put = |c: &mut Map<String, Json>, key: &str, v: Option<String>| {
        match v {
            Some(v) => c.insert(key.into(), json!(v)),
            None => c.remove(key),
        };
    };
    put(c, "title", title);
    put(c, "success_message", success);
    put(c, "redirect_url", redirect);
    c.insert("fields".into(), Json::Array(fields));
    c.insert("allowed_origins".into(), json!(origins));
    c.insert("min_fill_seconds".into(), json!(min_fill));
    c.insert("rate_per_minute".into(), json!(rate));
    Ok(())
}

fn check_fields(raw: Option<&Json>, defs: &[CustomDef]) -> Result<Vec<Json>> {
    let Some(Json::Array(list)) = raw else {
        return Err(StoreError::invalid("config.fields", IntakeMsg::FieldsListRequired {}));
    };
    if list.is_empty() || list.len() > MAX_FIELDS {
        return Err(StoreError::invalid("config.fields", IntakeMsg::FieldCount { max: MAX_FIELDS as i64 }));
    }
    let mut out: Vec<Json> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut targets: Vec<String> = Vec::new();
    for (i, f) in list.iter().enumerate() {
        let at = |part: &str| format!("config.fields.{i}.{part}");
        let Json::Object(f) = f else {
            return Err(StoreError::invalid(format!("config.fields.{i}"), IntakeMsg::FieldNotObject {}));
        };
        let text = |k: &str| f.get(k).and_then(Json::as_str).map(str::trim).unwrap_or("");
        let name = text("name");
        if !check_name(name) {
            return Err(StoreError::invalid(at("name"), IntakeMsg::FieldNameShape {}));
        }
        if is_reserved(name) {
            return Err(StoreError::invalid(at("name"), IntakeMsg::NameReserved { name: name.to_string() }));
        }
        if names.iter().any(|n| n == name) {
            return Err(StoreError::invalid(at("name"), IntakeMsg::NameTaken { name: name.to_string() }));
        }
        let label = text("label");
        if label.is_empty() || label.chars().count() > 200 {
            return Err(StoreError::invalid(at("label"), IntakeMsg::RequiredTextUpTo { max: 200 }));
        }
        let maps_to = match text("maps_to") {
            "" => "note",
            m => m,
        };
        if let Some(key) = maps_to.strip_prefix("custom.") {
            match defs.iter().find(|d| d.key == key) {
                None => return Err(StoreError::invalid(at("maps_to"), IntakeMsg::NoDealCustomField { key: key.to_string() })),
                Some(d) if !FILLABLE_CUSTOM.contains(&d.field_type) => {
                    return Err(StoreError::invalid(at("maps_to"), IntakeMsg::CustomFieldIsReference { key: key.to_string() }))
                }
                Some(_) => {}
            }
        } else if !MAPS_TO.contains(&maps_to) {
            return Err(StoreError::invalid(at("maps_to"), IntakeMsg::NotTarget { target: maps_to.to_string(), targets: words(MAPS_TO) }));
        }
        if maps_to != "note" && targets.iter().any(|t| t == maps_to) {
            return Err(StoreError::invalid(at("maps_to"), IntakeMsg::TargetTaken { target: maps_to.to_string() }));
        }
        let kind =
            match f.get("type") {
                None | Some(Json::Null) => default_type(maps_to),
                Some(Json::String(t)) => FIELD_TYPES.iter().find(|k| **k == t.as_str()).copied().ok_or_else(|| {
                    StoreError::invalid(at("type"), IntakeMsg::NotFieldType { kind: t.clone(), types: words(FIELD_TYPES) })
                })?,
                Some(_) => return Err(StoreError::invalid(at("type"), Common::OneOf { list: words(FIELD_TYPES) })),
            };
        if !type_fits(kind, maps_to) {
            return Err(StoreError::invalid(at("type"), IntakeMsg::TypeCannotFill { kind: kind.to_string(), target: maps_to.to_string() }));
        }
        let required = match f.get("required") {
            None | Some(Json::Null) => false,
            Some(Json::Bool(b)) => *b,
            Some(_) => return Err(StoreError::invalid(at("required"), Common::NotBool {})),
        };
        names.push(name.to_string());
        targets.push(maps_to.to_string());
        out.push(json!({"name": name, "label": label, "type": kind, "required": required, "maps_to": maps_to}));
    }
    if !targets.iter().any(|t| t == "person.phone" || t == "person.email") {
        return Err(StoreError::invalid("config.fields", IntakeMsg::NeedsContactField {}));
    }
    Ok(out)
}

impl Db {
    /// What is wrong with a submission to a form (nothing when empty), as processing will find it.
    pub async fn form_problems(&self, source: &Source, sub: &Submission) -> Result<Vec<FormProblem>> {
        let actor = self.system_actor(source.workspace_id, poryadok_core::domain::Channel::Intake).await?;
        let defs = self.custom_defs(source.workspace_id, Entity::Deal).await?;
        Ok(lead_of(&FormConfig::of(source), &defs, &actor.ws.region, sub).err().unwrap_or_default())
    }
}

/// A stored submission as the lead it makes.
pub(crate) async fn read(ctx: &EventCtx<'_>, body: &[u8]) -> Result<std::result::Result<FormLead, FieldError>> {
    let sub = match Submission::from_body(body) {
        Ok(s) => s,
        Err(e) => return Ok(Err(e)),
    };
    let defs = ctx.db.custom_defs(ctx.actor.ws_id(), Entity::Deal).await?;
    Ok(lead_of(&FormConfig::of(ctx.source), &defs, &ctx.actor.ws.region, &sub).map_err(first_error))
}

/// Where a lead landed: the event's result, as the inbox shows it.
#[derive(Debug, serde::Serialize)]
pub(crate) struct LeadLanded {
    pub person_id: i64,
    pub person_created: bool,
    pub deal_id: Option<i64>,
    pub deal_created: bool,
    pub note_id: i64,
    /// Why the sender is not a lead, when marked so (then only the note is written).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_lead: Option<String>,
}

/// Puts a lead on the client's card; returns what it created, for the event's record.
pub(crate) async fn apply(ctx: &EventCtx<'_>, conn: &impl ConnectionTrait, lead: &FormLead) -> Result<LeadLanded> {
    let by_phone = match &lead.phone {
        Some(p) => client::person_by_identity(ctx, conn, IdentityKind::Phone, p).await?,
        None => None,
    };
    let found = match (by_phone, &lead.email) {
        (Some(p), _) => Some(p),
        (None, Some(e)) => client::person_by_identity(ctx, conn, IdentityKind::Email, e).await?,
        (None, None) => None,
    };
    let who = lead.name.clone().or_else(|| lead.phone.as_deref().map(display_phone)).or_else(|| lead.email.clone()).unwrap_or_default();
    let (person, new_person) = match found {
        Some(p) => {
            if let Some(phone) = &lead.phone {
                attach(ctx, conn, p, "phone", IdentityKind::Phone, phone).await?;
            }
            if let Some(email) = &lead.email {
                attach(ctx, conn, p, "email", IdentityKind::Email, email).await?;
            }
            (p, false)
        }
        None => {
            let owner = client::assign_owner(ctx, conn).await?;
            let mut fields = Map::new();
            for (k, v) in [("phone", &lead.phone), ("email", &lead.email), ("job_title", &lead.job_title)] {
                if let Some(v) = v {
                    fields.insert(k.into(), json!(v));
                }
            }
            if let Some(name) = &lead.organization {
                fields.insert("organization_id".into(), json!(organization(ctx, conn, name, owner).await?));
            }
            (client::create_person(ctx, conn, &who, fields, &[], owner).await?, true)
        }
    };
    let title = lead.deal_title.clone().unwrap_or_else(|| Words::new(&ctx.actor.ws.locale).lead_deal(&lead.title, &who));
    let (deal, new_deal, not_lead) = match client::landing(ctx, conn, (person, new_person), &title, &lead.attribution).await? {
        client::Landing::Deal { id, created, .. } => (Some(id), created, None),
        // A lead from someone marked as not a client: only a note on their card.
        client::Landing::NotLead { reason } => (None, false, Some(reason)),
    };
    if let (true, Some(deal)) = (new_deal && (lead.deal_value.is_some() || !lead.custom.is_empty()), deal) {
        let mut patch = Map::new();
        if let Some(v) = lead.deal_value {
            patch.insert("value".into(), json!(v));
        }
        if !lead.custom.is_empty() {
            patch.insert("custom".into(), Json::Object(lead.custom.clone()));
        }
        ctx.db.update_in(conn, ctx.actor, Entity::Deal, deal, &Json::Object(patch)).await?;
    }
    if let Some(deal) = deal {
        client::record_touch(ctx, conn, deal, person, "form", &lead.attribution, ctx.received_at, new_deal).await?;
    }
    let mut content = vec![format!("«{}»", lead.title)];
    content.extend(lead.lines.iter().cloned());
    let note = json!({"content": content.join("\n"), "deal_id": deal, "person_id": person});
    let note = ctx.db.create_in(conn, ctx.actor, Entity::Note, &note).await?;
    Ok(LeadLanded { person_id: person, person_created: new_person, deal_id: deal, deal_created: new_deal, note_id: note.id(), not_lead })
}

/// Gives a known person a contact they left when nobody has it yet: in the empty field (which
/// records the identity), or as one more identity.
async fn attach(ctx: &EventCtx<'_>, conn: &impl ConnectionTrait, person: i64, field: &str, kind: IdentityKind, value: &str) -> Result<()> {
    if client::person_by_identity(ctx, conn, kind, value).await?.is_some() {
        return Ok(());
    }
    let row = ctx.db.get_in(conn, ctx.actor, Entity::Person, person).await?;
    if row.get(field).is_null() {
        ctx.db.update_in(conn, ctx.actor, Entity::Person, person, &json!({ field: value })).await?;
    } else {
        client::add_identity(ctx, conn, person, kind, value).await?;
    }
    Ok(())
}

/// A live organization of this exact name, or a new one.
async fn organization(ctx: &EventCtx<'_>, conn: &impl ConnectionTrait, name: &str, owner: Option<i64>) -> Result<i64> {
    let q = Query::select()
        .column(col("id"))
        .from(col("organizations"))
        .and_where(Expr::col(col("workspace_id")).eq(ctx.actor.ws_id()))
        .and_where(Expr::col(col("name")).eq(name))
        .and_where(Expr::col(col("deleted_at")).is_null())
        .and_where(Expr::col(col("merged_into")).is_null())
        .order_by(col("id"), Order::Asc)
        .limit(1)
        .to_owned();
    if let Some(id) = scalar_i64(conn, ctx.db.backend, &q).await? {
        return Ok(id);
    }
    let mut body = json!({"name": name});
    if let Some(o) = owner {
        body["owner_id"] = json!(o);
    }
    Ok(ctx.db.create_in(conn, ctx.actor, Entity::Organization, &body).await?.id())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> FormConfig {
        let field = |name: &str, kind: &str, required: bool, maps_to: &str| FormField {
            name: name.into(),
            label: name.to_uppercase(),
            kind: kind.into(),
            required,
            maps_to: maps_to.into(),
        };
        FormConfig {
            title: "Заявка".into(),
            fields: vec![
                field("name", "text", true, "person.name"),
                field("phone", "phone", false, "person.phone"),
                field("email", "email", false, "person.email"),
                field("budget", "number", false, "deal.value"),
                field("comment", "textarea", false, "note"),
            ],
            ..Default::default()
        }
    }

    fn sub(pairs: &[(&str, &str)]) -> Submission {
        let mut s = Submission::default();
        for (k, v) in pairs {
            s.set(k, v);
        }
        s
    }

    #[test]
    fn amounts_are_read_as_people_type_them() {
        assert_eq!(parse_amount("150000"), Some(15_000_000));
        assert_eq!(parse_amount("1 500,50"), Some(150_050));
        assert_eq!(parse_amount("1,500.5"), Some(150_050));
        assert_eq!(parse_amount("1.500.000"), Some(150_000_000));
        assert_eq!(parse_amount("2 000 ₽"), Some(200_000));
        assert_eq!(parse_amount("много"), None);
        assert_eq!(parse_amount("-5"), None);
    }

    #[test]
    fn a_submission_becomes_a_lead_or_names_the_field() {
        let lead =
            lead_of(&form(), &[], "RU", &sub(&[("name", "Анна"), ("phone", "8 999 111-22-33"), ("budget", "1 500"), ("extra", "x")]))
                .unwrap();
        assert_eq!((lead.phone.as_deref(), lead.deal_value), (Some("+79991112233"), Some(150_000)));
        assert_eq!(lead.lines, vec!["NAME: Анна", "PHONE: 8 999 111-22-33", "BUDGET: 1 500", "extra: x"]);
        let err = |pairs: &[(&str, &str)]| lead_of(&form(), &[], "RU", &sub(pairs)).unwrap_err().remove(0);
        assert_eq!(err(&[("phone", "89991112233")]).problem, Problem::Required);
        assert_eq!(err(&[("name", "A"), ("phone", "12")]), FormProblem::new("phone", Problem::Phone, Common::Phone { s: "12".into() }));
        assert_eq!(err(&[("name", "A"), ("phone", "12")]).msg.english(), "'12' is not a valid phone number");
        assert_eq!(err(&[("name", "A"), ("email", "nope")]).field, "email");
        assert_eq!(err(&[("name", "A"), ("comment", "hi")]).problem, Problem::Contact);
        assert_eq!(err(&[("name", "A"), ("email", "a@b.ru"), ("budget", "lots")]).problem, Problem::Number);
        let all = lead_of(&form(), &[], "RU", &sub(&[("phone", "12"), ("email", "x")])).unwrap_err();
        let fields: Vec<_> = all.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, vec!["name", "phone", "email"], "every mistake at once");
    }

    #[test]
    fn the_stored_format_round_trips() {
        let mut s = sub(&[("name", " Анна "), ("empty", "  ")]);
        s.attribution.utm_source = Some("ya".into());
        s.started_at = Some(5);
        let back = Submission::from_body(&s.to_body()).unwrap();
        assert_eq!(back, s);
        assert_eq!(back.value("name"), Some("Анна"));
        assert_eq!(Submission::from_body(b"{\"fields\": [1]}").unwrap_err().field, "fields");
        assert_eq!(Submission::from_body(b"{\"fields\": {\"a\": {}}}").unwrap_err().field, "fields.a");
    }

    #[test]
    fn origins_are_normalised() {
        assert_eq!(normal_origin("HTTPS://Site.Example/").as_deref(), Ok("https://site.example"));
        assert_eq!(normal_origin("http://localhost:8080").as_deref(), Ok("http://localhost:8080"));
        assert!(normal_origin("https://site.example/path").is_err());
        assert!(normal_origin("site.example").is_err());
    }
}
