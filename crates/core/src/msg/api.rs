//! The HTTP API's own answers: the envelope's refusals that come from no record or rule (a
//! missing endpoint, a token, a body or query string that does not read, the database's state).
use super::catalogue;

catalogue! {
    /// The HTTP API's envelope: authentication, bodies, query strings, endpoints.
    ApiMsg {
        NotFound {} = "api_not_found",
            en "no such record", ru "такой записи нет";
        NoEndpoint {} = "api_no_endpoint",
            en "no such endpoint", ru "такого адреса в API нет";
        NoResource { path: String } = "api_no_resource",
            en "no resource '{path}'", ru "в API нет раздела «{path}»";
        MethodNotAllowed {} = "api_method_not_allowed",
            en "this method is not allowed here", ru "здесь этот метод не разрешён";
        PayloadTooLarge { max: i64 } = "api_payload_too_large",
            en "the body exceeds {max} bytes", ru "тело запроса длиннее {max} байт";
        Internal {} = "api_internal",
            en "internal error; see the server log", ru "внутренняя ошибка; подробности в журнале сервера";
        Unavailable {} = "api_unavailable",
            en "the database cannot take writes now; nothing was stored, try again later",
            ru "база данных сейчас не принимает записи; ничего не сохранено, попробуйте позже";
        Stale { current: i64 } = "api_stale",
            en "the record was changed by someone else since you read it (it is now at version {current}); read it again",
            ru "запись изменил кто-то другой, пока вы её читали (теперь это версия {current}); прочитайте её заново";
        IfMatch {} = "api_if_match",
            en "If-Match must be the ETag of the record as read, e.g. \"3\"",
            ru "If-Match должен быть ETag записи в том виде, в каком её прочитали, например \"3\"";
        AuthRequired {} = "api_auth_required",
            en "authentication required", ru "нужно войти";
        TokenInvalid {} = "api_token_invalid",
            en "the token or session is invalid, expired or revoked", ru "токен или сеанс недействителен, истёк или отозван";
        BearerExpected {} = "api_bearer_expected",
            en "expected 'Authorization: Bearer <token>'", ru "ожидался заголовок «Authorization: Bearer <токен>»";
        SignInOrBearer {} = "api_sign_in_or_bearer",
            en "sign in or send 'Authorization: Bearer <token>'", ru "войдите или пришлите заголовок «Authorization: Bearer <токен>»";
        Csrf {} = "api_csrf",
            en "missing or wrong CSRF token", ru "нет CSRF-токена или он неверен";
        WrongPassword {} = "api_wrong_password",
            en "wrong e-mail or password", ru "неверный e-mail или пароль";
        TooManyAttempts { minutes: i64 } = "api_too_many_attempts",
            en "too many failed sign-in attempts; try again in {minutes} min",
            ru "слишком много неудачных попыток входа; попробуйте через {minutes} мин";
        JobsAdminOnly {} = "api_jobs_admin_only",
            en "only administrators see the job queue", ru "очередь задач видят только администраторы";
        ObjectRequired {} = "api_object_required",
            en "a JSON object is required", ru "нужен объект JSON";
        NotJson { why: String } = "api_not_json",
            en "is not valid JSON: {why}", ru "это не JSON: {why}";
        NotUtf8File {} = "api_not_utf8_file",
            en "the file must be UTF-8 text", ru "файл должен быть текстом в UTF-8";
        FileDoesNotApply {} = "api_file_does_not_apply",
            en "the file does not apply", ru "файл не применяется";
        UnknownParameter { expected: Vec<String> } = "api_unknown_parameter",
            en "unknown parameter; expected one of: {expected}", ru "неизвестный параметр; можно: {expected}";
        NoParameters {} = "api_no_parameters",
            en "unknown parameter; this endpoint takes none", ru "неизвестный параметр; этот адрес параметров не принимает";
        GivenTwice {} = "api_given_twice",
            en "is given more than once", ru "указан больше одного раза";
        MustBeInteger {} = "api_must_be_integer",
            en "must be an integer", ru "должно быть целым числом";
        LimitRange { max: i64 } = "api_limit_range",
            en "must be an integer from 1 to {max}", ru "должно быть целым числом от 1 до {max}";
        NotCursor {} = "api_not_cursor",
            en "is not a cursor this list gave", ru "это не курсор этого списка";
        NotValid { why: String } = "api_not_valid",
            en "is not valid: {why}", ru "недопустимое значение: {why}";
        // The Pipedrive-compatible API.
        UnknownMethod { method: String } = "api_unknown_method",
            en "Unknown method: {method}", ru "Неизвестный метод: {method}";
        UsersManaged {} = "api_users_managed",
            en "users are managed in Poryadok's settings", ru "пользователями управляют в настройках Порядка";
        TermTooShort {} = "api_term_too_short",
            en "term must be at least 2 characters long", ru "строка поиска должна быть не короче 2 символов";
        PdAuthRequired {} = "api_pd_auth_required",
            en "You need to be authorized to make this request: send x-api-token, api_token or a Bearer token",
            ru "Для этого запроса нужна авторизация: пришлите x-api-token, api_token или токен Bearer";
        PdTokenInvalid {} = "api_pd_token_invalid",
            en "the API token is invalid, expired or revoked", ru "токен API недействителен, истёк или отозван";
    }
}
