//! Messages are codes with typed arguments, never prose.
//!
//! Every refusal, validation error, notice, task text and explanation the core or the store
//! produces is a [`Msg`]: a stable `code` (what API clients match on) and typed arguments. One
//! catalogue — the `catalogue!` invocations in this module's files, one per area — gives each code
//! its Russian and English text, so a missing translation does not compile. Readers see a message
//! in their language ([`Msg::render`]), with field names shown as their labels ([`Labels`]); the
//! API answers the code, the English text and the arguments ([`Msg::args_json`]).
//!
//! Which language: a reader sees their own choice, then the workspace's locale
//! ([`Lang::for_reader`]); text stored into a workspace's records (task subjects, reasons, deal
//! titles) is written in the workspace's locale ([`Lang::from_locale`]).
//!
//! To add a message: add a variant to the area's `catalogue!` with both texts; `{name}` in a text
//! is the argument `name`, and `{{` / `}}` are literal braces. Tests check that every placeholder names an argument and that every
//! code is unique.
use serde_json::{Map, Value as Json};

mod api;
mod assistants;
mod audit;
mod calls;
mod channels;
mod common;
mod documents;
mod files;
mod filter;
mod imports;
mod intake;
mod invoices;
mod kb;
mod plan;
mod quiz;
mod records;
mod regulation;
mod regulation_doc;
mod regulation_file;
mod report;
mod review;
mod spend;
mod team;

pub use api::ApiMsg;
pub use assistants::AssistantMsg;
pub use audit::AuditMsg;
pub use calls::CallMsg;
pub use channels::ChannelMsg;
pub use common::{fields, words, Common};
pub use documents::{DocPlace, DocumentMsg};
pub use files::{FileMsg, RequisiteMsg};
pub use filter::{EntityWord, FilterMistake, FilterMsg, Found, Kind as FilterKind};
pub use imports::ImportMsg;
pub use intake::IntakeMsg;
pub use invoices::InvoiceMsg;
pub use kb::KbMsg;
pub use plan::PlanMsg;
pub use quiz::QuizMsg;
pub use records::RecordMsg;
pub use regulation::RegulationMsg;
pub use regulation_doc::RegDocMsg;
pub use regulation_file::RegFileMsg;
pub use report::ReportMsg;
pub use review::ReviewMsg;
pub use spend::SpendMsg;
pub use team::TeamMsg;

/// A language the product speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lang {
    Ru,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "ru" => Some(Lang::Ru),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }

    /// A workspace's or a user's locale as a language: English for `en…`, Russian otherwise.
    pub fn from_locale(locale: &str) -> Lang {
        if locale.starts_with("en") {
            Lang::En
        } else {
            Lang::Ru
        }
    }

    /// The one rule for who reads what: the reader's own choice, then the workspace's locale.
    pub fn for_reader(user_locale: Option<&str>, workspace_locale: &str) -> Lang {
        user_locale.and_then(Lang::parse).unwrap_or_else(|| Lang::from_locale(workspace_locale))
    }
}

/// How field names become labels for a reader (built-ins translated, custom fields by label).
pub trait Labels {
    /// The label of `field` (a key such as `title` or `custom.budget`), if there is one.
    fn label(&self, field: &str) -> Option<String>;
    /// The reader's name for a term of a closed vocabulary (`kind` `role`, key `manager`).
    fn term(&self, _kind: &str, _key: &str) -> Option<String> {
        None
    }
}

/// Field names as their keys: what the API's English `message` uses.
pub struct Keys;

impl Labels for Keys {
    fn label(&self, _: &str) -> Option<String> {
        None
    }
}

/// A field's key in a message: a reader sees its label. A custom field carries the label its
/// workspace gave it; built-in fields are labelled by the reader's catalogue ([`Labels`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldName {
    pub key: String,
    pub label: Option<String>,
}

impl FieldName {
    pub fn labelled(key: impl Into<String>, label: impl Into<String>) -> Self {
        FieldName { key: key.into(), label: Some(label.into()) }
    }
}

impl<S: Into<String>> From<S> for FieldName {
    fn from(s: S) -> Self {
        FieldName { key: s.into(), label: None }
    }
}

/// A role's key in a message: a reader sees the role's name in their language.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleName(pub String);

impl Arg for RoleName {
    fn show(&self, _: Lang, labels: &dyn Labels) -> String {
        labels.term("role", &self.0).unwrap_or_else(|| self.0.clone())
    }
    fn json(&self) -> Json {
        Json::String(self.0.clone())
    }
}

/// One argument of a message: how it reads and how the API carries it.
pub trait Arg {
    fn show(&self, lang: Lang, labels: &dyn Labels) -> String;
    fn json(&self) -> Json;
}

impl Arg for String {
    fn show(&self, _: Lang, _: &dyn Labels) -> String {
        self.clone()
    }
    fn json(&self) -> Json {
        Json::String(self.clone())
    }
}

impl Arg for i64 {
    fn show(&self, _: Lang, _: &dyn Labels) -> String {
        self.to_string()
    }
    fn json(&self) -> Json {
        Json::from(*self)
    }
}

impl Arg for Vec<String> {
    fn show(&self, _: Lang, _: &dyn Labels) -> String {
        self.join(", ")
    }
    fn json(&self) -> Json {
        Json::from(self.clone())
    }
}

impl Arg for FieldName {
    fn show(&self, _: Lang, labels: &dyn Labels) -> String {
        self.label.clone().or_else(|| labels.label(&self.key)).unwrap_or_else(|| self.key.clone())
    }
    fn json(&self) -> Json {
        Json::String(self.key.clone())
    }
}

impl Arg for Vec<FieldName> {
    fn show(&self, lang: Lang, labels: &dyn Labels) -> String {
        self.iter().map(|f| f.show(lang, labels)).collect::<Vec<_>>().join(", ")
    }
    fn json(&self) -> Json {
        Json::from(self.iter().map(|f| f.key.clone()).collect::<Vec<_>>())
    }
}

/// An argument read back from its JSON form ([`Arg::json`]): how a stored message is rebuilt.
pub trait FromArgJson: Sized {
    fn from_arg_json(v: &Json) -> Option<Self>;
}

/// A large argument is boxed, so every message stays small (errors carry one).
impl<T: FromArgJson> FromArgJson for Box<T> {
    fn from_arg_json(v: &Json) -> Option<Self> {
        T::from_arg_json(v).map(Box::new)
    }
}

impl<T: Arg> Arg for Box<T> {
    fn show(&self, lang: Lang, labels: &dyn Labels) -> String {
        (**self).show(lang, labels)
    }
    fn json(&self) -> Json {
        (**self).json()
    }
}

impl FromArgJson for String {
    fn from_arg_json(v: &Json) -> Option<Self> {
        v.as_str().map(str::to_string)
    }
}

impl FromArgJson for i64 {
    fn from_arg_json(v: &Json) -> Option<Self> {
        v.as_i64()
    }
}

impl FromArgJson for Vec<String> {
    fn from_arg_json(v: &Json) -> Option<Self> {
        v.as_array()?.iter().map(String::from_arg_json).collect()
    }
}

impl FromArgJson for FieldName {
    fn from_arg_json(v: &Json) -> Option<Self> {
        v.as_str().map(FieldName::from)
    }
}

impl FromArgJson for RoleName {
    fn from_arg_json(v: &Json) -> Option<Self> {
        v.as_str().map(|s| RoleName(s.to_string()))
    }
}

impl FromArgJson for Vec<FieldName> {
    fn from_arg_json(v: &Json) -> Option<Self> {
        v.as_array()?.iter().map(FieldName::from_arg_json).collect()
    }
}

/// Declares one area's messages: `Variant { arg: Type, … } = "code", en "…", ru "…";`.
macro_rules! catalogue {
    ($(#[$meta:meta])* $name:ident { $( $(#[$doc:meta])* $variant:ident { $($arg:ident : $ty:ty),* $(,)? } = $code:literal, en $en:literal, ru $ru:literal; )* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum $name {
            $( $(#[$doc])* $variant { $($arg: $ty),* }, )*
        }

        impl $name {
            pub fn code(&self) -> &'static str {
                match self { $( Self::$variant { .. } => $code, )* }
            }
            pub fn template(&self, lang: $crate::msg::Lang) -> &'static str {
                match self { $( Self::$variant { .. } => match lang { $crate::msg::Lang::En => $en, $crate::msg::Lang::Ru => $ru }, )* }
            }
            #[allow(unused_variables)]
            pub fn args(&self) -> Vec<(&'static str, &dyn $crate::msg::Arg)> {
                match self { $( Self::$variant { $($arg),* } => vec![$((stringify!($arg), $arg as &dyn $crate::msg::Arg)),*], )* }
            }
            /// Every message of the area with default arguments (for the catalogue's tests).
            pub fn samples() -> Vec<Self> {
                vec![$( Self::$variant { $($arg: Default::default()),* }, )*]
            }
            /// The message of `code` with its arguments as the API carries them ([`Self::args`] as
            /// JSON); `None` for a code not in this area or arguments that do not fit.
            #[allow(unused_variables)]
            pub fn from_code(code: &str, args: &serde_json::Map<String, serde_json::Value>) -> Option<Self> {
                match code {
                    $( $code => Some(Self::$variant { $($arg: <$ty as $crate::msg::FromArgJson>::from_arg_json(args.get(stringify!($arg))?)?),* }), )*
                    _ => None,
                }
            }
        }

        impl $name {
            /// As a message of any area.
            pub fn into_msg(self) -> $crate::msg::Msg {
                self.into()
            }
        }

        impl From<$name> for $crate::msg::Msg {
            fn from(m: $name) -> Self {
                $crate::msg::Msg::$name(m)
            }
        }
    };
}
pub(crate) use catalogue;

/// The areas of the catalogue: the `Msg` enum and its dispatch.
macro_rules! areas {
    ($($area:ident),*) => {
        /// Any message of any area.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Msg {
            $($area($area),)*
        }

        macro_rules! each_area {
            ($self:expr, $m:ident => $e:expr) => {
                match $self {
                    $(Msg::$area($m) => $e,)*
                }
            };
        }

        fn any_from_code(code: &str, args: &Map<String, Json>) -> Option<Msg> {
            $(if let Some(m) = $area::from_code(code, args) { return Some(m.into()); })*
            None
        }

        fn all_samples() -> Vec<Msg> {
            let mut all: Vec<Msg> = Vec::new();
            $(all.extend($area::samples().into_iter().map(Msg::from));)*
            all
        }
    };
}

areas!(
    Common,
    RegulationMsg,
    RegFileMsg,
    RegDocMsg,
    IntakeMsg,
    ChannelMsg,
    CallMsg,
    InvoiceMsg,
    AssistantMsg,
    AuditMsg,
    RecordMsg,
    ReportMsg,
    PlanMsg,
    SpendMsg,
    TeamMsg,
    ReviewMsg,
    ImportMsg,
    DocumentMsg,
    FileMsg,
    RequisiteMsg,
    QuizMsg,
    KbMsg,
    FilterMsg,
    ApiMsg
);

impl Msg {
    /// The stable code API clients match on.
    pub fn code(&self) -> &'static str {
        each_area!(self, m => m.code())
    }

    pub fn template(&self, lang: Lang) -> &'static str {
        each_area!(self, m => m.template(lang))
    }

    pub fn args(&self) -> Vec<(&'static str, &dyn Arg)> {
        each_area!(self, m => m.args())
    }

    /// The message for a reader: their language, fields by their labels.
    pub fn render(&self, lang: Lang, labels: &dyn Labels) -> String {
        fill(self.template(lang), &self.args(), lang, labels)
    }

    /// The message in `lang` with field keys (stored texts, logs).
    pub fn text(&self, lang: Lang) -> String {
        self.render(lang, &Keys)
    }

    /// The API's `message`: English, fields by key.
    pub fn english(&self) -> String {
        self.text(Lang::En)
    }

    /// The arguments as the API carries them.
    pub fn args_json(&self) -> Map<String, Json> {
        self.args().into_iter().map(|(k, v)| (k.to_string(), v.json())).collect()
    }

    /// Every message of every area with default arguments.
    pub fn samples() -> Vec<Msg> {
        all_samples()
    }

    /// A message rebuilt from its code and its arguments as [`Msg::args_json`] gave them (a
    /// message stored in a record); `None` for an unknown code or arguments that do not fit.
    pub fn from_code(code: &str, args: &Map<String, Json>) -> Option<Msg> {
        any_from_code(code, args)
    }
}

impl From<Box<Msg>> for Msg {
    fn from(b: Box<Msg>) -> Self {
        *b
    }
}

impl std::fmt::Display for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.english())
    }
}

/// A template's pieces: literal text (braces unescaped) and `{name}` placeholders.
enum Piece<'a> {
    Text(&'a str),
    Arg(&'a str),
}

fn pieces(template: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push(Piece::Text(&rest[..i]));
        let after = &rest[i + 1..];
        if after.starts_with(&rest[i..i + 1]) {
            // `{{` or `}}`: one literal brace.
            out.push(Piece::Text(&rest[i..i + 1]));
            rest = &after[1..];
        } else if let (b'{', Some(close)) = (rest.as_bytes()[i], after.find('}')) {
            out.push(Piece::Arg(&after[..close]));
            rest = &after[close + 1..];
        } else {
            out.push(Piece::Text(&rest[i..i + 1]));
            rest = after;
        }
    }
    out.push(Piece::Text(rest));
    out
}

/// `template` with each `{name}` replaced by the argument's reading.
fn fill(template: &str, args: &[(&'static str, &dyn Arg)], lang: Lang, labels: &dyn Labels) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    for piece in pieces(template) {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Arg(name) => match args.iter().find(|(n, _)| *n == name) {
                Some((_, a)) => out.push_str(&a.show(lang, labels)),
                None => {
                    out.push('{');
                    out.push_str(name);
                    out.push('}');
                }
            },
        }
    }
    out
}

/// The placeholders of a template, in order.
pub fn placeholders(template: &str) -> Vec<&str> {
    pieces(template)
        .into_iter()
        .filter_map(|p| match p {
            Piece::Arg(a) => Some(a),
            Piece::Text(_) => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeSet, HashSet};

    #[test]
    fn every_code_is_unique_and_has_both_languages_naming_only_its_arguments() {
        let mut codes = HashSet::new();
        let mut problems = Vec::new();
        for m in Msg::samples() {
            if !codes.insert(m.code()) {
                problems.push(format!("{}: the code is used twice", m.code()));
            }
            let args: BTreeSet<&str> = m.args().iter().map(|(n, _)| *n).collect();
            for lang in [Lang::Ru, Lang::En] {
                let t = m.template(lang);
                if t.trim().is_empty() {
                    problems.push(format!("{}: no {} text", m.code(), lang.code()));
                }
                let used: BTreeSet<&str> = placeholders(t).into_iter().collect();
                if let Some(x) = used.difference(&args).next() {
                    problems.push(format!("{} ({}): {{{x}}} is not an argument", m.code(), lang.code()));
                }
            }
            // Each argument shows in at least one language, so nothing the API carries is lost to readers.
            let shown: BTreeSet<&str> = [Lang::Ru, Lang::En].iter().flat_map(|l| placeholders(m.template(*l))).collect();
            if let Some(x) = args.difference(&shown).next() {
                problems.push(format!("{}: argument {x} is never shown", m.code()));
            }
            if !m.code().chars().all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit()) {
                problems.push(format!("{}: a code is snake_case", m.code()));
            }
        }
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn every_message_renders_with_sample_arguments_in_both_languages() {
        for m in Msg::samples() {
            for lang in [Lang::Ru, Lang::En] {
                let text = m.render(lang, &Keys);
                let braces = m.template(lang).matches("{{").count();
                assert_eq!(text.matches('{').count(), braces, "{} ({}): {text}", m.code(), lang.code());
            }
        }
    }

    struct Ru;
    impl Labels for Ru {
        fn label(&self, field: &str) -> Option<String> {
            (field == "value").then(|| "Сумма".to_string())
        }
    }

    #[test]
    fn fields_read_as_labels_and_the_api_keeps_keys_and_arguments() {
        let m: Msg = Common::Between { min: 0, max: 100 }.into();
        assert_eq!(m.render(Lang::Ru, &Keys), "должно быть от 0 до 100");
        assert_eq!(m.english(), "must be between 0 and 100");
        assert_eq!(Json::Object(m.args_json()), serde_json::json!({"min": 0, "max": 100}));
        let gate: Msg = RegulationMsg::StageNeedsFields {
            stage: "КП".into(),
            fields: vec!["value".into(), FieldName::labelled("custom.x", "Бюджет")],
        }
        .into();
        assert_eq!(gate.render(Lang::Ru, &Ru), "чтобы перейти на этап «КП», заполните: Сумма, Бюджет");
        assert_eq!(gate.english(), "to enter stage 'КП' fill in: value, Бюджет");
        assert_eq!(Json::Object(gate.args_json())["fields"], serde_json::json!(["value", "custom.x"]), "the API carries keys");
    }

    #[test]
    fn every_message_is_rebuilt_from_its_code_and_arguments() {
        for m in Msg::samples() {
            assert_eq!(Msg::from_code(m.code(), &m.args_json()).as_ref(), Some(&m), "{}", m.code());
        }
        let phone: Msg = Common::Phone { s: "12".into() }.into();
        assert_eq!(Msg::from_code("phone", &phone.args_json()), Some(phone));
        assert_eq!(Msg::from_code("phone", &Map::new()), None);
        assert_eq!(Msg::from_code("no_such_code", &Map::new()), None);
    }

    #[test]
    fn the_reader_language_rule() {
        assert_eq!(Lang::for_reader(Some("en"), "ru"), Lang::En);
        assert_eq!(Lang::for_reader(None, "en"), Lang::En);
        assert_eq!(Lang::for_reader(Some("xx"), "ru"), Lang::Ru);
        assert_eq!(Lang::from_locale("en-GB"), Lang::En);
    }
}
