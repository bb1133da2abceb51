//! The filter language's mistakes and the hints that go with them.
//!
//! A message names what the reader wrote as they wrote it (field names, operators, values are
//! filter text and stay so in both languages); the words around them — the kinds of values, the
//! records, "the end of the filter" — are typed arguments read in the reader's language.
use super::{catalogue, Arg, FromArgJson, Labels, Lang};
use serde_json::{json, Value as Json};

/// What a value or a field is, as a type error names it (`a whole number`, `one of open, won`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Kind {
    #[default]
    Text,
    WholeNumber,
    Money,
    Number,
    Bool,
    Time,
    Date,
    Duration,
    Count,
    Field,
    User,
    Organization,
    Stage,
    Pipeline,
    Team,
    /// A value from a closed set.
    OneOf(Vec<String>),
    /// The id of a record of another entity (its key: `person`, `deal`).
    Record(String),
}

impl Kind {
    const SIMPLE: [(Kind, &'static str, &'static str, &'static str); 15] = [
        (Kind::Text, "text", "text", "текст"),
        (Kind::WholeNumber, "whole_number", "a whole number", "целое число"),
        (Kind::Money, "money", "money", "деньги"),
        (Kind::Number, "number", "a number", "число"),
        (Kind::Bool, "bool", "true or false", "true или false"),
        (Kind::Time, "time", "a point in time", "момент времени"),
        (Kind::Date, "date", "a date", "дата"),
        (Kind::Duration, "duration", "a duration", "длительность"),
        (Kind::Count, "count", "a count", "число записей"),
        (Kind::Field, "field", "a field", "поле"),
        (Kind::User, "user", "a user", "пользователь"),
        (Kind::Organization, "organization", "an organization", "компания"),
        (Kind::Stage, "stage", "a stage", "этап"),
        (Kind::Pipeline, "pipeline", "a pipeline", "воронка"),
        (Kind::Team, "team", "a team", "команда"),
    ];
}

impl Arg for Kind {
    fn show(&self, lang: Lang, _: &dyn Labels) -> String {
        match self {
            Kind::OneOf(values) => match lang {
                Lang::En => format!("one of {}", values.join(", ")),
                Lang::Ru => format!("одно из: {}", values.join(", ")),
            },
            Kind::Record(e) => match lang {
                Lang::En => format!("a {e}"),
                Lang::Ru => entity_ru(e).to_string(),
            },
            simple => {
                let (_, _, en, ru) = Kind::SIMPLE.iter().find(|(k, ..)| k == simple).cloned().unwrap_or((Kind::Text, "", "", ""));
                match lang {
                    Lang::En => en.to_string(),
                    Lang::Ru => ru.to_string(),
                }
            }
        }
    }
    fn json(&self) -> Json {
        match self {
            Kind::OneOf(values) => json!({ "one_of": values }),
            Kind::Record(e) => json!({ "record": e }),
            simple => Json::from(Kind::SIMPLE.iter().find(|(k, ..)| k == simple).map(|(_, key, ..)| *key).unwrap_or("text")),
        }
    }
}

impl FromArgJson for Kind {
    fn from_arg_json(v: &Json) -> Option<Self> {
        if let Some(s) = v.as_str() {
            return Kind::SIMPLE.iter().find(|(_, key, ..)| *key == s).map(|(k, ..)| k.clone());
        }
        if let Some(values) = v.get("one_of") {
            return Vec::<String>::from_arg_json(values).map(Kind::OneOf);
        }
        v.get("record")?.as_str().map(|e| Kind::Record(e.to_string()))
    }
}

/// A record kind by its key (`deal`), read as the reader's word for it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntityWord(pub String);

fn entity_ru(key: &str) -> &str {
    match key {
        "deal" => "сделка",
        "person" => "контакт",
        "organization" => "компания",
        "activity" => "дело",
        "user" => "пользователь",
        "team" => "команда",
        "pipeline" => "воронка",
        "stage" => "этап",
        other => other,
    }
}

impl Arg for EntityWord {
    fn show(&self, lang: Lang, _: &dyn Labels) -> String {
        match lang {
            Lang::En => self.0.clone(),
            Lang::Ru => entity_ru(&self.0).to_string(),
        }
    }
    fn json(&self) -> Json {
        Json::String(self.0.clone())
    }
}

impl FromArgJson for EntityWord {
    fn from_arg_json(v: &Json) -> Option<Self> {
        v.as_str().map(|s| EntityWord(s.to_string()))
    }
}

/// What stands where something else was expected: the end of the filter, a word or symbol
/// (shown in quotes), or a literal shown as written (`"text"`, `7d`, `2026-01-31`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Found {
    #[default]
    End,
    Word(String),
    Literal(String),
}

impl Arg for Found {
    fn show(&self, lang: Lang, _: &dyn Labels) -> String {
        match (self, lang) {
            (Found::End, Lang::En) => "the end of the filter".into(),
            (Found::End, Lang::Ru) => "конец фильтра".into(),
            (Found::Word(w), Lang::En) => format!("'{w}'"),
            (Found::Word(w), Lang::Ru) => format!("«{w}»"),
            (Found::Literal(l), _) => l.clone(),
        }
    }
    fn json(&self) -> Json {
        match self {
            Found::End => json!({ "end": true }),
            Found::Word(w) => json!({ "word": w }),
            Found::Literal(l) => json!({ "literal": l }),
        }
    }
}

impl FromArgJson for Found {
    fn from_arg_json(v: &Json) -> Option<Self> {
        if v.get("end").is_some() {
            return Some(Found::End);
        }
        if let Some(w) = v.get("word") {
            return w.as_str().map(|w| Found::Word(w.to_string()));
        }
        v.get("literal")?.as_str().map(|l| Found::Literal(l.to_string()))
    }
}

catalogue! {
    /// The filter language (`status = open and not exists activity(done = false)`): its
    /// mistakes (`filter_…`) and the hints shown after them (`filter_hint_…`).
    FilterMsg {
        // Characters and tokens.
        Unexpected { token: String } = "filter_unexpected",
            en "unexpected '{token}'", ru "здесь не может стоять «{token}»";
        UnexpectedChar { ch: String } = "filter_unexpected_char",
            en "unexpected character '{ch}'", ru "недопустимый символ «{ch}»";
        BadUnit { unit: String, number: String } = "filter_bad_unit",
            en "unknown duration unit '{unit}' in '{number}{unit}'", ru "неизвестная единица времени «{unit}» в «{number}{unit}»";
        NotWholeUnits { value: String } = "filter_not_whole_units",
            en "'{value}' is not a whole number of units", ru "«{value}» — не целое число единиц";
        DurationTooLong { value: String } = "filter_duration_too_long",
            en "duration '{value}' is too long", ru "длительность «{value}» слишком велика";
        UnclosedString {} = "filter_unclosed_string",
            en "unclosed string", ru "текст в кавычках не закрыт";
        UnknownEscape { escape: String } = "filter_unknown_escape",
            en "unknown escape '\\{escape}' in a string", ru "неизвестное экранирование «\\{escape}» в тексте";
        // Syntax.
        TooLong { n: i64, max: i64 } = "filter_too_long",
            en "the filter is too long: {n} characters, at most {max}", ru "фильтр слишком длинный: символов {n}, можно не больше {max}";
        Empty {} = "filter_empty",
            en "the filter is empty", ru "фильтр пуст";
        UnmatchedClose {} = "filter_unmatched_close",
            en "unmatched ')'", ru "лишняя «)»";
        AfterComplete { found: Found } = "filter_after_complete",
            en "unexpected {found} after a complete condition", ru "после законченного условия стоит {found}";
        TooDeep { max: i64 } = "filter_too_deep",
            en "the filter is nested too deeply (more than {max} levels)", ru "слишком глубокая вложенность (больше {max} уровней)";
        UnclosedParen {} = "filter_unclosed_paren",
            en "unclosed '('", ru "не закрыта «(»";
        ExpectedClose { found: Found } = "filter_expected_close",
            en "expected ')' but found {found}", ru "ожидалась «)», а стоит {found}";
        ExpectedInParen { found: Found } = "filter_expected_in_paren",
            en "expected '(' after 'in' but found {found}", ru "после «in» ожидалась «(», а стоит {found}";
        ExpectedEmpty { found: Found } = "filter_expected_empty",
            en "expected 'empty' but found {found}", ru "ожидалось «empty», а стоит {found}";
        NotADate { value: String } = "filter_not_a_date",
            en "'{value}' is not a date", ru "«{value}» — не дата";
        ExpectedValue { found: Found } = "filter_expected_value",
            en "expected a field or a value but found {found}", ru "ожидалось поле или значение, а стоит {found}";
        ExpectedFieldAfterDot { found: Found } = "filter_expected_field_after_dot",
            en "expected a field name after '.' but found {found}", ru "после «.» ожидалось имя поля, а стоит {found}";
        EndsEarly {} = "filter_ends_early",
            en "the filter ends too early", ru "фильтр обрывается раньше времени";
        ExpectedCollection { found: Found } = "filter_expected_collection",
            en "expected a collection such as 'activity' but found {found}", ru "ожидалась коллекция, например «activity», а стоит {found}";
        // Names.
        NotFilterable { entity: EntityWord } = "filter_not_filterable",
            en "{entity} records cannot be filtered", ru "записи «{entity}» фильтром не выбрать";
        UnknownCollection { name: String } = "filter_unknown_collection",
            en "unknown collection '{name}'", ru "неизвестная коллекция «{name}»";
        UnknownField { name: String } = "filter_unknown_field",
            en "unknown field '{name}'", ru "неизвестное поле «{name}»";
        UnknownRelation { name: String } = "filter_unknown_relation",
            en "unknown relation '{name}'", ru "неизвестная связь «{name}»";
        OneRelationDeep { rel: String } = "filter_one_relation_deep",
            en "'{rel}.' goes one relation deep", ru "через «{rel}.» можно пройти только по одной связи";
        EmptyFieldName {} = "filter_empty_field_name",
            en "empty field name", ru "пустое имя поля";
        UnknownStage { value: String } = "filter_unknown_stage",
            en "unknown stage {value}", ru "неизвестный этап {value}";
        UnknownPipeline { value: String } = "filter_unknown_pipeline",
            en "unknown pipeline {value}", ru "неизвестная воронка {value}";
        UnknownTeam { value: String } = "filter_unknown_team",
            en "unknown team {value}", ru "неизвестная команда {value}";
        NoMe {} = "filter_no_me",
            en "'me' is unknown here: there is no current user", ru "«me» здесь не определено: нет текущего пользователя";
        // Conditions and types.
        NotTruthField { field: String } = "filter_not_truth_field",
            en "'{field}' is not a true/false field, so it is no condition by itself",
            ru "«{field}» — не поле «true/false», поэтому само по себе оно не условие";
        CountNotCondition {} = "filter_count_not_condition",
            en "a count is not a condition", ru "число записей — не условие";
        NotCondition { value: String } = "filter_not_condition",
            en "{value} is not a condition", ru "{value} — не условие";
        NeedsField { op: String, value: String, kind: Box<Kind> } = "filter_needs_field",
            en "'{op}' needs a field on its left, but {value} is {kind}", ru "слева от «{op}» должно стоять поле, а {value} — {kind}";
        ComparisonNeedsField {} = "filter_comparison_needs_field",
            en "a comparison needs a field", ru "в сравнении должно быть поле";
        Unordered { field: String, op: String } = "filter_unordered",
            en "'{field}' cannot be compared with '{op}': its values have no order",
            ru "«{field}» нельзя сравнивать через «{op}»: у его значений нет порядка";
        CountNeedsNumber { value: String, kind: Box<Kind> } = "filter_count_needs_number",
            en "a count is compared with a whole number, but {value} is {kind}", ru "число записей сравнивают с целым числом, а {value} — {kind}";
        ContainsOnStage { field: String, op: String } = "filter_contains_on_stage",
            en "'{field}' cannot be compared with '{op}'", ru "«{field}» нельзя сравнивать через «{op}»";
        ContainsNotText { op: String, field: String, kind: Box<Kind> } = "filter_contains_not_text",
            en "'{op}' (contains) works on text, but '{field}' is {kind}", ru "«{op}» (содержит) работает с текстом, а «{field}» — {kind}";
        ContainsNeedsText { op: String, value: String, kind: Box<Kind> } = "filter_contains_needs_text",
            en "'{op}' needs text in double quotes, but {value} is {kind}", ru "после «{op}» нужен текст в двойных кавычках, а {value} — {kind}";
        InPlainValues {} = "filter_in_plain_values",
            en "'in (…)' lists plain values", ru "в «in (…)» перечисляют только значения";
        Incomparable { field: String, kind: Box<Kind>, other: String, other_kind: Box<Kind> } = "filter_incomparable",
            en "'{field}' is {kind} and '{other}' is {other_kind}: they cannot be compared",
            ru "«{field}» — {kind}, а «{other}» — {other_kind}: их нельзя сравнить";
        NotAValue { word: String } = "filter_not_a_value",
            en "'{word}' is not a value", ru "«{word}» — не значение";
        NotEnumValue { value: Found, field: String } = "filter_not_enum_value",
            en "{value} is not a value of '{field}'", ru "{value} — не значение поля «{field}»";
        Mismatch { field: String, kind: Box<Kind>, value: String, value_kind: Box<Kind> } = "filter_mismatch",
            en "'{field}' is {kind}, but {value} is {value_kind}", ru "«{field}» — {kind}, а {value} — {value_kind}";
        DurationNotTime { value: String } = "filter_duration_not_time",
            en "{value} is a duration, not a point in time", ru "{value} — длительность, а не момент времени";
        WholeNumbers { field: String, n: String } = "filter_whole_numbers",
            en "'{field}' takes whole numbers, not {n}", ru "«{field}» принимает целые числа, а не {n}";
        NotId { n: String } = "filter_not_id",
            en "{n} is not an id", ru "{n} — не номер записи";
        NotMoney { n: String } = "filter_not_money",
            en "{n} is not an amount of money", ru "{n} — не денежная сумма";
        NotNumber { n: String } = "filter_not_number",
            en "{n} is not a number", ru "{n} — не число";
        DurationNeedsBase {} = "filter_duration_needs_base",
            en "a duration needs a point in time to count from", ru "длительность отсчитывают от момента времени";
        OnlyShift { value: String } = "filter_only_shift",
            en "only now, today and dates can be shifted, not {value}", ru "сдвигать можно только now, today и даты, а не {value}";
        NotDuration { value: String } = "filter_not_duration",
            en "{value} is not a duration", ru "{value} — не длительность";
        ShiftTooLong {} = "filter_shift_too_long",
            en "the duration is too long", ru "длительность слишком велика";
        OutOfRange { value: String } = "filter_out_of_range",
            en "{value} is out of range", ru "{value} — вне допустимых дат";
        // Hints: what to write instead.
        HintSingleEquals {} = "filter_hint_single_equals",
            en "equality is a single '='", ru "равенство пишется одним «=»";
        HintNotEqual {} = "filter_hint_not_equal",
            en "write '!=' for 'not equal'", ru "«не равно» пишется «!=»";
        HintBang {} = "filter_hint_bang",
            en "write 'not', '!=' or '!~'", ru "пишите «not», «!=» или «!~»";
        HintWrite { word: String } = "filter_hint_write",
            en "write '{word}'", ru "пишите «{word}»";
        HintDoubleQuotes {} = "filter_hint_double_quotes",
            en "put text in double quotes: \"…\"", ru "текст пишут в двойных кавычках: \"…\"";
        HintUnits {} = "filter_hint_units",
            en "units are m (minutes), h, d, w and mo (30 days), as in 7d",
            ru "единицы: m (минуты), h (часы), d (дни), w (недели) и mo (30 дней), например 7d";
        HintWholeUnits {} = "filter_hint_whole_units",
            en "write 90m instead of 1.5h", ru "пишите 90m вместо 1.5h";
        HintCloseString {} = "filter_hint_close_string",
            en "end the text with a double quote '\"'", ru "закончите текст двойной кавычкой «\"»";
        HintEscapes {} = "filter_hint_escapes",
            en "only \\\" and \\\\ are escapes", ru "экранировать можно только \\\" и \\\\";
        HintExample {} = "filter_hint_example",
            en "write a condition such as status = open", ru "напишите условие, например status = open";
        HintUnmatchedClose {} = "filter_hint_unmatched_close",
            en "remove it or add a '(' before it", ru "уберите её или добавьте «(» перед ней";
        HintJoin {} = "filter_hint_join",
            en "join conditions with 'and' or 'or'", ru "соединяйте условия словами «and» или «or»";
        HintSimplify {} = "filter_hint_simplify",
            en "simplify the parentheses, 'not', 'exists' and 'count'", ru "упростите скобки, «not», «exists» и «count»";
        HintAddClose {} = "filter_hint_add_close",
            en "add ')' to close it", ru "добавьте «)», чтобы закрыть её";
        HintClosesAt { line: i64, column: i64 } = "filter_hint_closes_at",
            en "to close the '(' at line {line}, column {column}", ru "чтобы закрыть «(» в строке {line}, позиции {column}";
        HintInList {} = "filter_hint_in_list",
            en "list the values in parentheses: status in (open, frozen)", ru "перечислите значения в скобках: status in (open, frozen)";
        HintIsEmpty {} = "filter_hint_is_empty",
            en "write 'is empty' or 'is not empty'", ru "пишите «is empty» или «is not empty»";
        HintDateFormat {} = "filter_hint_date_format",
            en "dates are written YYYY-MM-DD", ru "даты пишут в виде YYYY-MM-DD (год-месяц-день)";
        HintMinus {} = "filter_hint_minus",
            en "only a number may follow a leading minus", ru "после минуса в начале может стоять только число";
        HintFollow {} = "filter_hint_follow",
            en "a field or a value should follow", ru "дальше должно идти поле или значение";
        HintFilterable {} = "filter_hint_filterable",
            en "filters select deals, persons, organizations and activities", ru "фильтр выбирает сделки, контакты, компании и дела";
        HintCompareWithValue { field: String } = "filter_hint_compare_with_value",
            en "compare it with a value: {field} = …", ru "сравните его со значением: {field} = …";
        HintCountCompare {} = "filter_hint_count_compare",
            en "compare it with a number: count activity(…) > 0", ru "сравните его с числом: count activity(…) > 0";
        HintFieldEqValue {} = "filter_hint_field_eq_value",
            en "compare a field with it: field = value", ru "сравните с ним поле: field = value";
        HintNoCollections { entity: EntityWord } = "filter_hint_no_collections",
            en "{entity} records have no collections to look into", ru "у записей «{entity}» нет коллекций";
        HintDidYouMean { name: String } = "filter_hint_did_you_mean",
            en "did you mean '{name}'?", ru "может быть, «{name}»?";
        HintDidYouMeanText { name: String } = "filter_hint_did_you_mean_text",
            en "did you mean \"{name}\"?", ru "может быть, \"{name}\"?";
        HintCollections { entity: EntityWord, names: Vec<String> } = "filter_hint_collections",
            en "a {entity} has: {names}", ru "у записи «{entity}» есть: {names}";
        HintTouchHas { parts: Vec<String> } = "filter_hint_touch_has",
            en "a touch has {parts}", ru "у касания есть: {parts}";
        HintTestEmpty {} = "filter_hint_test_empty",
            en "test for no value with 'is empty'", ru "отсутствие значения проверяют через «is empty»";
        HintNoRelations { entity: EntityWord } = "filter_hint_no_relations",
            en "{entity} records have no relations", ru "у записей «{entity}» нет связей";
        HintRelations { entity: EntityWord, names: Vec<String> } = "filter_hint_relations",
            en "a {entity} has the relations {names}", ru "у записи «{entity}» есть связи: {names}";
        HintTwoNames {} = "filter_hint_two_names",
            en "write at most two names, such as org.name", ru "пишите не больше двух имён, например org.name";
        HintCompareFieldValue {} = "filter_hint_compare_field_value",
            en "compare a field with a value: status = open", ru "сравните поле со значением: status = open";
        HintStageOrdered { field: String } = "filter_hint_stage_ordered",
            en "stages are ordered when compared with a stage name: {field} >= \"…\"",
            ru "этапы упорядочены, если сравнивать с названием этапа: {field} >= \"…\"";
        HintUseEquality {} = "filter_hint_use_equality",
            en "use =, != or in (…)", ru "используйте =, != или in (…)";
        HintCountExample {} = "filter_hint_count_example",
            en "count activity(done = false) = 0", ru "например: count activity(done = false) = 0";
        HintStageName { field: String } = "filter_hint_stage_name",
            en "compare it with a stage name: {field} = \"…\" or {field} >= \"…\"",
            ru "сравните его с названием этапа: {field} = \"…\" или {field} >= \"…\"";
        HintCompareOrdered { field: String } = "filter_hint_compare_ordered",
            en "compare {field} with =, <, > or in (…)", ru "сравнивайте {field} через =, <, > или in (…)";
        HintCompareEquality { field: String } = "filter_hint_compare_equality",
            en "compare {field} with = or in (…)", ru "сравнивайте {field} через = или in (…)";
        HintContainsExample { field: String, op: String } = "filter_hint_contains_example",
            en "{field} {op} \"…\"", ru "например: {field} {op} \"…\"";
        HintInPlain {} = "filter_hint_in_plain",
            en "compare with fields or times using = and or", ru "с полями и моментами времени сравнивайте через = и or";
        HintFieldIsEmpty { field: String } = "filter_hint_field_is_empty",
            en "test for no value with '{field} is empty'", ru "отсутствие значения проверяют так: «{field} is empty»";
        HintDidYouMeanOneOf { name: String, field: String, values: Vec<String> } = "filter_hint_did_you_mean_one_of",
            en "did you mean '{name}'? {field} is one of: {values}", ru "может быть, «{name}»? {field} — одно из: {values}";
        HintOneOf { field: String, values: Vec<String> } = "filter_hint_one_of",
            en "{field} is one of: {values}", ru "{field} — одно из: {values}";
        HintQuoteText { word: String } = "filter_hint_quote_text",
            en "to compare with text, put it in double quotes: \"{word}\"", ru "чтобы сравнить с текстом, возьмите его в двойные кавычки: \"{word}\"";
        HintCountFromNow { field: String, value: String } = "filter_hint_count_from_now",
            en "count it from now or today: {field} < now - {value}", ru "отсчитайте её от now или today: {field} < now - {value}";
        HintMoneyDecimals {} = "filter_hint_money_decimals",
            en "at most two decimal places: 1500.50", ru "не больше двух знаков после точки: 1500.50";
        HintAfterNow { value: String } = "filter_hint_after_now",
            en "put it after now or today: now - {value}", ru "поставьте её после now или today: now - {value}";
        HintShiftExample { field: String } = "filter_hint_shift_example",
            en "{field} < now - 7d", ru "например: {field} < now - 7d";
        HintDurations {} = "filter_hint_durations",
            en "add or take durations such as 7d, 12h, 2w, 3mo", ru "прибавляйте и вычитайте длительности, например 7d, 12h, 2w, 3mo";
        HintNoStages {} = "filter_hint_no_stages",
            en "there are no stages", ru "этапов нет";
        HintStages { names: String } = "filter_hint_stages",
            en "stages: {names}", ru "этапы: {names}";
        HintNoPipelines {} = "filter_hint_no_pipelines",
            en "there are no pipelines", ru "воронок нет";
        HintPipelines { names: String } = "filter_hint_pipelines",
            en "pipelines: {names}", ru "воронки: {names}";
        HintNoTeams {} = "filter_hint_no_teams",
            en "there are no teams", ru "команд нет";
        HintTeams { names: String } = "filter_hint_teams",
            en "teams: {names}", ru "команды: {names}";
        // What to write for a value of the wrong type, by the field's type.
        HintStageQuoted { field: String } = "filter_hint_stage_quoted",
            en "compare it with a stage name in double quotes: {field} = \"…\"", ru "сравните его с названием этапа в двойных кавычках: {field} = \"…\"";
        HintPipelineQuoted { field: String } = "filter_hint_pipeline_quoted",
            en "compare it with a pipeline name in double quotes: {field} = \"…\"", ru "сравните его с названием воронки в двойных кавычках: {field} = \"…\"";
        HintTeamQuoted { field: String } = "filter_hint_team_quoted",
            en "compare it with a team name in double quotes: {field} = \"…\"", ru "сравните его с названием команды в двойных кавычках: {field} = \"…\"";
        HintBool { field: String } = "filter_hint_bool",
            en "write {field} = true or {field} = false", ru "пишите {field} = true или {field} = false";
        HintTime { field: String } = "filter_hint_time",
            en "compare it with a time such as now - 7d, today or 2026-01-31: {field} < now - 7d",
            ru "сравните его с моментом времени, например now - 7d, today или 2026-01-31: {field} < now - 7d";
        HintDate { field: String } = "filter_hint_date",
            en "compare it with a date such as 2026-01-31 or today + 7d: {field} < today",
            ru "сравните его с датой, например 2026-01-31 или today + 7d: {field} < today";
        HintMoney { field: String } = "filter_hint_money",
            en "write the amount in major units: {field} > 100000", ru "пишите сумму целыми единицами валюты, не в копейках: {field} > 100000";
        HintNumber { field: String } = "filter_hint_number",
            en "write a number: {field} > 10", ru "пишите число: {field} > 10";
        HintText { field: String } = "filter_hint_text",
            en "put the text in double quotes: {field} = \"…\"", ru "возьмите текст в двойные кавычки: {field} = \"…\"";
        HintUser { field: String } = "filter_hint_user",
            en "compare it with me or with another user field: {field} = me", ru "сравните его с me или с другим полем-пользователем: {field} = me";
        HintId { field: String } = "filter_hint_id",
            en "compare it with an id or another field of the same kind: {field} = 5", ru "сравните его с номером записи или с полем того же вида: {field} = 5";
    }
}

/// A filter's mistake and its hint as one argument of another message (a rule's expression in
/// the regulation file): read in the reader's language, carried as codes with their arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterMistake {
    pub msg: Box<FilterMsg>,
    pub hint: Option<Box<FilterMsg>>,
}

impl Default for FilterMistake {
    fn default() -> Self {
        FilterMistake { msg: Box::new(FilterMsg::Empty {}), hint: None }
    }
}

fn coded(m: &FilterMsg) -> Json {
    json!({ "code": m.code(), "args": m.clone().into_msg().args_json() })
}

fn from_coded(v: &Json) -> Option<FilterMsg> {
    FilterMsg::from_code(v.get("code")?.as_str()?, v.get("args")?.as_object()?)
}

impl Arg for FilterMistake {
    fn show(&self, lang: Lang, labels: &dyn Labels) -> String {
        let mut out = self.msg.clone().into_msg().render(lang, labels);
        if let Some(h) = &self.hint {
            out.push_str(" — ");
            out.push_str(&h.clone().into_msg().render(lang, labels));
        }
        out
    }
    fn json(&self) -> Json {
        let mut v = coded(&self.msg);
        v["hint"] = self.hint.as_deref().map(coded).unwrap_or(Json::Null);
        v
    }
}

impl FromArgJson for FilterMistake {
    fn from_arg_json(v: &Json) -> Option<Self> {
        let hint = match v.get("hint") {
            None | Some(Json::Null) => None,
            Some(h) => Some(Box::new(from_coded(h)?)),
        };
        Some(FilterMistake { msg: Box::new(from_coded(v)?), hint })
    }
}
