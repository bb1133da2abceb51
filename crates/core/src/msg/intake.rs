//! Calls, web forms, messages: what intake refuses and the texts it writes.
use super::catalogue;

catalogue! {
    /// Intake's refusals and the texts it writes into a workspace.
    IntakeMsg {
        // Reading a delivery's body.
        BodyNotUtf8 {} = "body_not_utf8", en "the body is not UTF-8 text", ru "тело запроса — не текст UTF-8";
        BodyEmpty {} = "body_empty", en "the body is empty", ru "тело запроса пустое";
        BodyNotValidJson {} = "body_not_valid_json", en "the body is not valid JSON", ru "тело запроса — не JSON";
        BodyNotParams {} = "body_not_params", en "the body is neither a JSON object nor form fields",
            ru "тело запроса — не объект JSON и не поля формы";
        // Calls and their mapping.
        UnknownPreset { preset: String, known: Vec<String> } = "unknown_call_preset",
            en "unknown preset '{preset}'; known presets: {known}", ru "неизвестный набор параметров «{preset}»; известные: {known}";
        NotCallField { field: String, known: Vec<String> } = "not_call_field",
            en "'{field}' is not a call field; call fields: {known}", ru "«{field}» — не поле звонка; поля звонка: {known}";
        BadDirection { value: String, param: String } = "call_direction",
            en "'{value}' (parameter '{param}') is not a call direction: use in or out",
            ru "«{value}» (параметр «{param}») — не направление звонка: укажите in или out";
        BadDuration { value: String, param: String } = "call_duration",
            en "'{value}' (parameter '{param}') is not a number of seconds",
            ru "«{value}» (параметр «{param}») — не число секунд";
        BadOutcome { value: String, param: String } = "call_outcome",
            en "'{value}' (parameter '{param}') is not a call outcome: use answered, missed, busy or failed",
            ru "«{value}» (параметр «{param}») — не итог звонка: укажите answered, missed, busy или failed";
        NoClientNumber { param: String } = "call_no_client_number",
            en "the call has no client number (parameter '{param}')", ru "в звонке нет номера клиента (параметр «{param}»)";
        NoClientNumberMapped {} = "call_client_number_not_mapped",
            en "the call has no client number (not mapped)", ru "в звонке нет номера клиента (параметр не сопоставлен)";
        BadStartTime { value: String, param: String } = "call_start_time",
            en "'{value}' (parameter '{param}') is not a time: use RFC 3339, YYYY-MM-DD HH:MM:SS or Unix seconds",
            ru "«{value}» (параметр «{param}») — не время: укажите RFC 3339, ГГГГ-ММ-ДД ЧЧ:ММ:СС или секунды Unix";
        PresetName {} = "call_preset_name", en "must be a preset name", ru "укажите название набора параметров";
        MappingNotObject {} = "call_mapping_not_object",
            en "must be an object of call field → provider parameter", ru "должно быть объектом «поле звонка → параметр провайдера»";
        ParamName {} = "call_param_name", en "must be a parameter name", ru "укажите имя параметра";
        // Sources and their routing.
        SourcesAdminOnly {} = "sources_admin_only",
            en "only an administrator manages intake sources", ru "источниками заявок управляет только администратор";
        InboxHeadsOnly {} = "inbox_heads_only",
            en "only an administrator or a head sees the intake inbox", ru "входящие события видят только администратор и руководитель";
        ReprocessAdminOnly {} = "reprocess_admin_only",
            en "only an administrator re-processes events", ru "повторно обрабатывает события только администратор";
        OnlyFailedReprocessed { status: String } = "only_failed_reprocessed",
            en "only a failed event is re-processed; this one is {status}",
            ru "повторно обрабатывается только событие с ошибкой; у этого статус {status}";
        NotSourceKind { kind: String, kinds: Vec<String> } = "not_source_kind",
            en "'{kind}' is not a source kind; kinds: {kinds}", ru "«{kind}» — не вид источника; виды: {kinds}";
        NotEventStatus { status: String, statuses: Vec<String> } = "not_event_status",
            en "'{status}' is not an event status; statuses: {statuses}", ru "«{status}» — не статус события; статусы: {statuses}";
        SourceName {} = "source_name",
            en "must be a non-empty text of at most 100 characters", ru "непустой текст до 100 символов";
        MustBeId {} = "routing_id", en "must be an id", ru "выберите значение из списка";
        NoPipeline { id: i64 } = "routing_no_pipeline", en "there is no pipeline {id}", ru "воронки {id} нет";
        NoStageInPipeline { id: i64 } = "routing_no_stage",
            en "there is no stage {id} in the source's pipeline", ru "этап {id} не из выбранной воронки";
        MustBeUserId {} = "routing_user_id", en "must be a user id", ru "нужен идентификатор пользователя";
        UserIdList {} = "routing_user_ids", en "must be a list of user ids", ru "нужен список идентификаторов пользователей";
        CallbackMinutes {} = "callback_minutes",
            en "must be a whole number of working minutes from 1 to 10080", ru "целое число рабочих минут от 1 до 10080";
        ImapNotObject {} = "imap_not_object",
            en "must be an object: host, port, security, username, password, mailbox",
            ru "должно быть объектом: host, port, security, username, password, mailbox";
        ImapSecurity {} = "imap_security", en "must be tls, starttls or plain", ru "TLS, STARTTLS или без шифрования";
        PortNumber {} = "imap_port", en "must be a port number", ru "номер порта от 1 до 65535";
        EveryMinutes {} = "imap_every_minutes", en "must be 1 to 1440", ru "от 1 до 1440 минут";
        // Processing.
        NoWebhookDeliveries { kind: String } = "no_webhook_deliveries",
            en "'{kind}' sources take no webhook deliveries", ru "источники вида «{kind}» не принимают вебхуки";
        NoIntakeFor { kind: String } = "no_intake_for", en "no intake for '{kind}' sources", ru "источники вида «{kind}» не обрабатываются";
        SourceDeleted {} = "event_source_deleted", en "the event's source was deleted", ru "источник события удалён";
        ProcessingFailed { why: String } = "processing_failed", en "processing failed: {why}", ru "обработка не удалась: {why}";
        MessagesOnDealsAndPersons {} = "messages_on_deals_and_persons",
            en "messages are on deals and persons", ru "сообщения бывают только у сделок и людей";
        // Telegram and e-mail.
        UpdateNotJson { why: String } = "telegram_update_not_json",
            en "the update is not valid JSON: {why}", ru "обновление Telegram — не JSON: {why}";
        NoUpdateId {} = "telegram_no_update_id",
            en "a Telegram update has a numeric update_id", ru "в обновлении Telegram нет числового update_id";
        NotAMessageUpdate {} = "telegram_not_a_message", en "not a message update", ru "это обновление — не сообщение";
        NoSender {} = "telegram_no_sender", en "the message has no sender", ru "у сообщения нет отправителя";
        SenderNoId {} = "telegram_sender_no_id", en "the sender has no numeric id", ru "у отправителя нет числового id";
        MessageNamesNoSender {} = "message_no_sender", en "the message names no sender", ru "в сообщении не указан отправитель";
        NotMime { why: String } = "email_not_mime", en "{why}", ru "тело запроса — не письмо MIME";
        EmailNoSender { why: String } = "email_no_sender", en "{why}", ru "в письме нет корректного адреса отправителя (From)";
        // Web forms: the form's settings.
        TextUpTo { max: i64 } = "intake_text_up_to", en "must be a text of at most {max} characters", ru "текст не длиннее {max} символов";
        RequiredTextUpTo { max: i64 } = "intake_required_text_up_to",
            en "required: a text of at most {max} characters", ru "обязательно: текст не длиннее {max} символов";
        WholeFromTo { min: i64, max: i64 } = "intake_whole_from_to",
            en "must be a whole number from {min} to {max}", ru "целое число от {min} до {max}";
        OriginList { max: i64 } = "origin_list",
            en "must be a list of at most {max} origins such as https://site.example",
            ru "нужен список не больше чем из {max} адресов сайтов вида https://site.example";
        OriginShape {} = "origin_shape", en "must be an origin such as https://site.example", ru "нужен адрес сайта вида https://site.example";
        NotOrigin { s: String } = "not_origin",
            en "'{s}' is not an origin: write https://site.example (scheme and host, no path)",
            ru "«{s}» — не адрес сайта: укажите https://site.example (схема и домен, без пути)";
        FieldsListRequired {} = "form_fields_required",
            en "required: a list of fields with name, label, type, required and maps_to",
            ru "обязательно: список полей с name, label, type, required и maps_to";
        FieldCount { max: i64 } = "form_field_count", en "a form has 1 to {max} fields", ru "в форме от 1 до {max} полей";
        FieldNotObject {} = "form_field_not_object",
            en "must be an object with name, label, type, required and maps_to",
            ru "должно быть объектом с name, label, type, required и maps_to";
        FieldNameShape {} = "form_field_name",
            en "required: a letter, then letters, digits or _ (at most 40)",
            ru "обязательно: латинская буква, затем буквы, цифры или _ (не длиннее 40)";
        NameReserved { name: String } = "form_field_name_reserved",
            en "'{name}' is reserved (the spam trap and the attribution fields); choose another name",
            ru "имя «{name}» занято (ловушка для спама и поля атрибуции); выберите другое";
        NameTaken { name: String } = "form_field_name_taken",
            en "'{name}' is used by another field", ru "имя «{name}» уже есть у другого поля";
        NoDealCustomField { key: String } = "form_no_deal_custom_field",
            en "there is no deal custom field '{key}'", ru "у сделок нет дополнительного поля «{key}»";
        CustomFieldIsReference { key: String } = "form_custom_field_reference",
            en "the custom field '{key}' holds a record reference; a form cannot fill it",
            ru "поле «{key}» — ссылка на запись; форма не может его заполнить";
        NotTarget { target: String, targets: Vec<String> } = "form_not_target",
            en "'{target}' is not a target; targets: {targets}, custom.<deal custom field>",
            ru "«{target}» — не место для значения; допустимые: {targets}, custom.<поле сделки>";
        TargetTaken { target: String } = "form_target_taken",
            en "another field already fills {target}", ru "{target} уже заполняет другое поле";
        NotFieldType { kind: String, types: Vec<String> } = "form_not_field_type",
            en "'{kind}' is not a field type; types: {types}", ru "«{kind}» — не тип поля; типы: {types}";
        TypeCannotFill { kind: String, target: String } = "form_type_cannot_fill",
            en "a {kind} field cannot fill {target}", ru "поле типа {kind} не может заполнить {target}";
        NeedsContactField {} = "form_needs_contact_field",
            en "map a field to person.phone or person.email: a lead needs a way to reach them",
            ru "сопоставьте поле с person.phone или person.email: с клиентом нужно как-то связаться";
        // Web forms: a submission.
        SubmissionNotObject {} = "submission_not_object",
            en "the body must be a JSON object with fields and attribution", ru "тело запроса должно быть объектом JSON с fields и attribution";
        FieldsRequired {} = "submission_fields_required",
            en "required: an object of form field name → value", ru "обязательно: объект «имя поля формы → значение»";
        ValueNotScalar {} = "submission_value", en "must be text, a number or true/false", ru "должно быть текстом, числом или true/false";
        AttributionNotObject {} = "submission_attribution",
            en "must be an object: utm_source, utm_medium, …, landing_page, referrer",
            ru "должно быть объектом: utm_source, utm_medium, …, landing_page, referrer";
        UnreadableSubmission {} = "unreadable_submission", en "unreadable submission", ru "заявку не удалось прочитать";
        LeaveContact {} = "leave_contact", en "leave a phone number or an e-mail address", ru "оставьте телефон или e-mail";
        NotANumber { s: String } = "form_not_number", en "'{s}' is not a number", ru "«{s}» — не число";
        NotAnAmount { s: String } = "form_not_amount", en "'{s}' is not an amount", ru "«{s}» — не сумма";
        NotYesNo { s: String } = "form_not_yes_no", en "'{s}' is not yes or no", ru "«{s}» — не «да» и не «нет»";
        FormBodyNotObject {} = "form_body_not_object",
            en "the body must be a JSON object of field name → value", ru "тело запроса должно быть объектом JSON «имя поля → значение»";
        FormContentType {} = "form_content_type",
            en "send the form as application/x-www-form-urlencoded or application/json",
            ru "отправьте форму как application/x-www-form-urlencoded или application/json";
        NoSuchForm {} = "no_such_form", en "no such form", ru "такой формы нет";
        ForeignOrigin {} = "form_foreign_origin",
            en "this form does not take posts from this site; add its origin to allowed_origins",
            ru "эта форма не принимает отправки с этого сайта; добавьте его адрес в allowed_origins";
        TooManySubmissions { wait: i64 } = "form_rate_limited",
            en "too many submissions; try again in {wait} s", ru "слишком много отправок; попробуйте через {wait} с";
        // Spam: why a submission was rejected.
        HoneypotFilled {} = "spam_honeypot", en "honeypot filled", ru "заполнена ловушка для ботов";
        NoStartToken { min: i64 } = "spam_no_start_token",
            en "no valid start token (the form was not opened from its page); the form needs {min} s to fill",
            ru "нет действительной метки открытия (форму открыли не с её страницы); на заполнение нужно {min} с";
        TooFast { ms: i64, min: i64 } = "spam_too_fast",
            en "submitted {ms} ms after opening; the form needs {min} s", ru "отправлена через {ms} мс после открытия; на заполнение нужно {min} с";
        // Webhook authentication.
        NoSuchSource {} = "no_such_source", en "no such intake source", ru "такого источника заявок нет";
        TelegramTokenMismatch {} = "telegram_token_mismatch",
            en "the X-Telegram-Bot-Api-Secret-Token does not match this source's secret",
            ru "X-Telegram-Bot-Api-Secret-Token не совпадает с секретом источника";
        TelegramTokenMissing {} = "telegram_token_missing",
            en "this source needs the X-Telegram-Bot-Api-Secret-Token header (set secret_token in setWebhook)",
            ru "этому источнику нужен заголовок X-Telegram-Bot-Api-Secret-Token (задайте secret_token в setWebhook)";
        SignatureShape {} = "signature_shape",
            en "X-Poryadok-Signature must be sha256=<hex HMAC-SHA256 of the body>",
            ru "X-Poryadok-Signature должен иметь вид sha256=<HMAC-SHA256 тела в hex>";
        SignatureMismatch {} = "signature_mismatch",
            en "the signature does not match the body and this source's secret", ru "подпись не совпадает с телом запроса и секретом источника";
        TokenMismatch {} = "token_mismatch",
            en "the X-Poryadok-Token does not match this source's secret", ru "X-Poryadok-Token не совпадает с секретом источника";
        AuthMissing {} = "hook_auth_missing",
            en "this source needs X-Poryadok-Signature (sha256=<hex HMAC-SHA256 of the body>) or X-Poryadok-Token",
            ru "этому источнику нужен X-Poryadok-Signature (sha256=<HMAC-SHA256 тела в hex>) или X-Poryadok-Token";
        // Texts intake writes into a workspace: deal titles and tasks.
        CallDeal { phone: String } = "deal_title_call", en "Call {phone}", ru "Звонок {phone}";
        MissedCallDeal { phone: String } = "deal_title_missed_call", en "Missed call {phone}", ru "Пропущенный звонок {phone}";
        CallbackTask { phone: String } = "task_call_back", en "Call back {phone}: missed call", ru "Перезвонить {phone}: пропущенный звонок";
        LeadDeal { form: String, who: String } = "deal_title_lead", en "Lead “{form}”: {who}", ru "Заявка «{form}»: {who}";
        EmailDeal { who: String } = "deal_title_email", en "E-mail: {who}", ru "Письмо: {who}";
        TelegramDeal { who: String } = "deal_title_telegram", en "Telegram: {who}", ru "Telegram: {who}";
        WhatsappDeal { who: String } = "deal_title_whatsapp", en "WhatsApp: {who}", ru "WhatsApp: {who}";
        WhatsappNoSender {} = "whatsapp_no_sender",
            en "the message names no sender's number (from, or messages[0].chatId)", ru "в сообщении нет номера отправителя (from или messages[0].chatId)";
        WhatsappEcho {} = "whatsapp_echo", en "our own outgoing message, echoed by the provider", ru "наше же исходящее сообщение, которое вернул провайдер";
    }
}
