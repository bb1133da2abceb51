//! Messages every area uses: the shapes of values, access, paging.
use super::{catalogue, FieldName};

catalogue! {
    /// Validation and refusals shared by every area.
    Common {
        Required {} = "required", en "is required", ru "обязательное поле";
        ReadOnly {} = "read_only", en "is read-only", ru "только для чтения";
        NotString {} = "not_string", en "must be a string", ru "должно быть строкой";
        NotBool {} = "not_bool", en "must be true or false", ru "должно быть «да» или «нет»";
        NotObject {} = "not_object", en "must be an object", ru "должно быть объектом";
        NotList {} = "not_list", en "must be a list", ru "должно быть списком";
        NotIdentifierKey {} = "not_identifier_key", en "must start with a-z and contain only a-z, 0-9 and _ (at most 64)", ru "должно начинаться с латинской буквы и содержать только a-z, 0-9 и _ (не больше 64)";
        DatabaseNotEmpty { table: String, rows: i64 } = "database_not_empty", en "the target database is not empty: table {table} holds {rows} rows; a restore or a copy goes into an empty database only", ru "целевая база не пуста: в таблице {table} строк: {rows}; восстановление и копирование — только в пустую базу";
        NoNul {} = "no_nul", en "must not contain NUL characters", ru "не может содержать символ NUL";
        MinorUnits {} = "minor_units", en "must be an integer amount in minor units (kopecks, cents)", ru "нужна целая сумма в копейках (центах)";
        MinorUnitsRange {} = "minor_units_range", en "must be between 0 and 10^18 minor units", ru "должно быть от 0 до 10^18 копеек";
        StringList {} = "string_list", en "must be an array of strings", ru "должно быть списком строк";
        OptionsShape {} = "options_shape", en "options must be non-empty strings of at most 255 characters", ru "варианты — непустые строки не длиннее 255 символов";
        ContactList { max: i64 } = "contact_list", en "must be a list of at most {max} values (or one text, comma-separated)", ru "нужен список не длиннее {max} значений (или одна строка через запятую)";
        OptionTwice { option: String } = "option_twice", en "option '{option}' is listed twice", ru "вариант «{option}» указан дважды";
        CustomNotObject {} = "custom_not_object", en "must be an object of custom field values", ru "должно быть объектом значений дополнительных полей";
        EitherNotBoth { a: String, b: String } = "either_not_both", en "give either {a} or {b}, not both", ru "укажите либо {a}, либо {b}, не оба";
        MustBeTrue {} = "must_be_true", en "must be true", ru "должно быть true";
        AtMostAtATime { n: i64, what: String } = "at_most_at_a_time", en "at most {n} {what} at a time", ru "не больше {n} ({what}) за раз";
        IdsOf { what: String } = "ids_of", en "must be an array of {what} ids", ru "нужен список идентификаторов ({what})";
        RequiredOr { alt: String } = "required_or", en "is required (or {alt})", ru "обязательное поле (или {alt})";
        PositiveInteger {} = "positive_integer", en "must be a positive integer", ru "должно быть целым положительным числом";
        WholeDays {} = "whole_days", en "must be a whole number of days", ru "нужно целое число дней";
        HistoryParams {} = "history_params", en "history takes only limit and cursor", ru "история принимает только limit и cursor";
        NotInteger {} = "not_integer", en "must be a whole number", ru "должно быть целым числом";
        NotNumber {} = "not_number", en "must be a number", ru "должно быть числом";
        NotDate { s: String } = "not_date", en "'{s}' is not a date YYYY-MM-DD", ru "«{s}» — не дата ГГГГ-ММ-ДД";
        NotTime { s: String } = "not_time", en "'{s}' is not a time (RFC 3339, e.g. 2026-12-01T10:00:00Z)", ru "«{s}» — не момент времени (RFC 3339, например 2026-12-01T10:00:00Z)";
        BodyNotObject {} = "body_not_object", en "must be a JSON object", ru "должно быть объектом JSON";
        BodyNotJson { why: String } = "body_not_json", en "the body is not valid JSON: {why}", ru "тело запроса — не JSON: {why}";
        Positive {} = "positive", en "must be positive", ru "должно быть больше нуля";
        NotNegative {} = "not_negative", en "must not be negative", ru "не может быть отрицательным";
        AtMost { n: i64 } = "at_most", en "must be at most {n}", ru "должно быть не больше {n}";
        AtLeast { n: i64 } = "at_least", en "must be at least {n}", ru "должно быть не меньше {n}";
        Between { min: i64, max: i64 } = "between", en "must be between {min} and {max}", ru "должно быть от {min} до {max}";
        Length { min: i64, max: i64 } = "length", en "must be {min} to {max} characters", ru "от {min} до {max} символов";
        SearchTooShort { min: i64 } = "search_too_short", en "type at least {min} letters or digits to search", ru "для поиска введите хотя бы {min} буквы или цифры";
        TooLong { max: i64 } = "too_long", en "is too long (at most {max} characters)", ru "слишком длинно (не больше {max} символов)";
        TooLongCount { n: i64, max: i64 } = "too_long_count", en "is too long ({n} characters, at most {max})", ru "слишком длинно ({n} симв., не больше {max})";
        OutOfRange {} = "out_of_range", en "is out of range", ru "вне допустимого диапазона";
        OneOf { list: Vec<String> } = "one_of", en "must be one of: {list}", ru "допустимые значения: {list}";
        IdOf { what: String } = "id_of", en "must be the integer id of a {what}", ru "нужен идентификатор записи ({what})";
        NoSuchRecord { what: String, id: i64 } = "no_such_record", en "there is no {what} {id}", ru "нет записи {what} {id}";
        ListedTwice {} = "listed_twice", en "is listed twice", ru "указано дважды";
        UnknownField { expected: Vec<String> } = "unknown_field", en "unknown field; expected {expected}", ru "неизвестное поле; допустимые: {expected}";
        UnknownKey { expected: Vec<String> } = "unknown_key", en "unknown key; expected {expected}", ru "неизвестный ключ; допустимые: {expected}";
        NoSuchCustomField {} = "no_such_custom_field", en "no such custom field", ru "нет такого дополнительного поля";
        NoSuchCustomFieldHint { suggestion: String } = "no_such_custom_field_hint", en "no such custom field; did you mean '{suggestion}'?", ru "нет такого дополнительного поля; может быть, «{suggestion}»?";
        NoCustomFields {} = "no_custom_fields", en "this entity has no custom fields", ru "у этой сущности нет дополнительных полей";
        Email { s: String } = "email", en "'{s}' is not an e-mail address", ru "«{s}» — не адрес электронной почты";
        Phone { s: String } = "phone", en "'{s}' is not a valid phone number", ru "«{s}» — не номер телефона";
        Url { s: String } = "url", en "'{s}' is not an http(s) URL", ru "«{s}» — не адрес http(s)";
        Currency { s: String } = "currency", en "'{s}' is not an ISO 4217 currency code such as RUB", ru "«{s}» — не код валюты ISO 4217, например RUB";
        Timezone { s: String } = "timezone", en "'{s}' is not a time zone such as Europe/Moscow", ru "«{s}» — не часовой пояс, например Europe/Moscow";
        Money {} = "money", en "must be an amount such as 1500 or 1500.50", ru "нужна сумма, например 1500 или 1500,50";
        BadCursor {} = "bad_cursor", en "is not a cursor returned by this list", ru "не курсор, выданный этим списком";
        UnknownParameter { expected: Vec<String> } = "unknown_parameter", en "unknown parameter; expected {expected}", ru "неизвестный параметр; допустимые: {expected}";
        // Passwords.
        PasswordShort { min: i64 } = "password_short", en "must be at least {min} characters long", ru "должен быть не короче {min} символов";
        PasswordLong { max: i64 } = "password_long", en "must be at most {max} characters long", ru "должен быть не длиннее {max} символов";
        PasswordBlank {} = "password_blank", en "must not be only spaces", ru "не может состоять из одних пробелов";
        PasswordRepeated {} = "password_repeated", en "must not be one character repeated", ru "не может быть одним повторённым символом";
        PasswordEmail {} = "password_email", en "must not be the e-mail address", ru "не может совпадать с адресом e-mail";
        PasswordCommon {} = "password_common", en "is a well-known password; choose another", ru "слишком распространённый пароль, выберите другой";
        // Access.
        AnalystReadOnly {} = "analyst_read_only", en "analysts have read-only access", ru "у аналитика доступ только на чтение";
        ExportAdminOnly {} = "export_admin_only", en "only administrators export the workspace", ru "выгружать рабочее пространство могут только администраторы";
        ExportFormat { given: String } = "export_format", en "'{given}' is not an export format: jsonl, csv or xlsx", ru "«{given}» — не формат выгрузки: jsonl, csv или xlsx";
        AdminOnly {} = "admin_only", en "only administrators change settings, users and teams", ru "настройки, пользователей и команды меняют только администраторы";
        RegulationHeadsOnly {} = "regulation_heads_only", en "only heads of sales and administrators change pipelines, stages and fields", ru "воронки, этапы и поля меняют только руководители и администраторы";
        HeadOnly {} = "head_only", en "only heads and administrators may do this", ru "это доступно только руководителям и администраторам";
        AssignSelf {} = "assign_self", en "you may assign records only to yourself", ru "назначать записи можно только на себя";
        AssignTeam {} = "assign_team", en "you may assign records only within your team", ru "назначать записи можно только в пределах своей команды";
        NotActiveUser { id: i64 } = "not_active_user", en "user {id} is not an active user of this workspace", ru "пользователь {id} не активен в этом рабочем пространстве";
    }
}

/// A list of field keys for a message argument.
pub fn fields<S: AsRef<str>>(keys: impl IntoIterator<Item = S>) -> Vec<FieldName> {
    keys.into_iter().map(|k| FieldName::from(k.as_ref())).collect()
}

/// A list of words for a message argument.
pub fn words<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> Vec<String> {
    items.into_iter().map(|k| k.as_ref().to_string()).collect()
}
