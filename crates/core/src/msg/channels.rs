//! Outbound webhooks, the SMS gateway, message channels.
use super::catalogue;

catalogue! {
    /// Outbound webhooks, the SMS gateway, message channels.
    ChannelMsg {
        // Who may.
        TemplatesAdminOnly {} = "templates_admin_only",
            en "only an administrator manages message templates", ru "шаблонами сообщений управляет только администратор";
        GatewayAdminOnly {} = "gateway_admin_only",
            en "only an administrator manages the SMS gateway", ru "SMS-шлюзом управляет только администратор";
        WebhooksAdminOnly {} = "webhooks_admin_only", en "only an administrator manages webhooks", ru "вебхуками управляет только администратор";
        OutboxHeadsOnly {} = "outbox_heads_only",
            en "only an administrator or a head sees messages to clients", ru "сообщения клиентам видят только администратор и руководитель";
        // Templates.
        StrayClose { at: String } = "template_stray_close",
            en "a closing brace without an opening one at '{at}'", ru "закрывающая скобка без открывающей в «{at}»";
        Unclosed { at: String } = "template_unclosed", en "a brace at '{at}' is never closed", ru "скобка в «{at}» не закрыта";
        UnknownPlaceholder { placeholder: String, known: Vec<String> } = "template_unknown_placeholder",
            en "unknown placeholder {{{placeholder}}}; known: {known}", ru "неизвестная подстановка {{{placeholder}}}; можно: {known}";
        SmsNoSubject {} = "sms_no_subject", en "an SMS has no subject", ru "у SMS нет темы";
        TemplateTaken {} = "template_taken",
            en "a template with this key and channel already exists", ru "шаблон с таким ключом и каналом уже есть";
        NoEmailTemplate { key: String } = "no_email_template",
            en "no e-mail template '{key}' in this workspace; add it in the settings", ru "нет шаблона письма «{key}»; добавьте его в настройках";
        NoSmsTemplate { key: String } = "no_sms_template",
            en "no SMS template '{key}' in this workspace; add it in the settings", ru "нет шаблона SMS «{key}»; добавьте его в настройках";
        TemplateEmpty { key: String } = "template_empty",
            en "the template '{key}' filled with these values is empty", ru "шаблон «{key}» с этими значениями пуст";
        // Messages to clients.
        NonEmptyString {} = "message_non_empty_string", en "must be a non-empty string", ru "должно быть непустой строкой";
        VarsNotObject {} = "vars_not_object", en "must be an object of placeholder values", ru "должно быть объектом значений подстановок";
        RecordId {} = "message_record_id", en "must be a record id", ru "нужен идентификатор записи";
        OnlyFailedRetried { status: String } = "only_failed_retried",
            en "only a failed message is retried; this one is {status}",
            ru "повторить можно только сообщение с ошибкой; у этого статус {status}";
        // The SMS gateway's settings.
        GatewayNotObject {} = "gateway_not_object",
            en "must be an object with url, method, headers, body and content_type",
            ru "должно быть объектом с url, method, headers, body и content_type";
        TooManyHeaders { max: i64 } = "gateway_too_many_headers", en "at most {max} headers", ru "не больше {max} заголовков";
        NotHeaderName {} = "not_header_name", en "is not a header name", ru "недопустимое имя заголовка";
        ContentTypeHeader {} = "content_type_header",
            en "set the Content-Type with content_type", ru "тип содержимого задаётся отдельным полем, а не заголовком";
        NoStoredValue {} = "no_stored_value", en "has no stored value to keep; type it", ru "сохранённого значения нет; введите его";
        OneLine {} = "header_one_line", en "must be one line", ru "должно быть одной строкой";
        HeadersNotObject {} = "headers_not_object",
            en "must be an object of header names and values", ru "должно быть объектом «имя заголовка → значение»";
        HeaderLine {} = "gateway_header_line", en "each line is Name: value", ru "каждая строка — «Имя: значение»";
        GetHasNoBody {} = "get_has_no_body",
            en "a GET request has no body; put {{to}} and {{text}} in the URL", ru "у GET-запроса нет тела; поставьте {{to}} и {{text}} в адрес";
        BodyForContentType {} = "body_for_content_type",
            en "is required with this content_type", ru "обязательно для такого типа содержимого";
        MediaType {} = "gateway_media_type", en "must be a media type such as application/json", ru "нужен тип содержимого вида application/json";
        MustContain { placeholder: String } = "must_contain_placeholder",
            en "must contain {{{placeholder}}}", ru "должно содержать {{{placeholder}}}";
        NoGateway {} = "no_gateway", en "no SMS gateway is set; save one first", ru "SMS-шлюз не настроен; сначала сохраните его";
        // Sending.
        NoSmtp {} = "no_smtp",
            en "this server has no mail server configured (PORYADOK_SMTP_URL)",
            ru "на сервере не настроена почта для отправки (PORYADOK_SMTP_URL)";
        NoGatewaySet {} = "no_gateway_set",
            en "no SMS gateway is set for this workspace (Settings → SMS gateway)", ru "SMS-шлюз не настроен (Настройки → SMS-шлюз)";
        NoChannel { channel: String } = "no_message_channel", en "no channel '{channel}'", ru "нет канала «{channel}»";
        SendFailed { why: String } = "send_failed", en "sending failed: {why}", ru "отправить не удалось: {why}";
        HttpClientFailed { why: String } = "http_client_failed",
            en "the HTTP client cannot start: {why}", ru "HTTP-клиент не запускается: {why}";
        GatewayAnswered { code: i64, answer: String } = "gateway_answered",
            en "the SMS gateway answered {code}: {answer}", ru "SMS-шлюз ответил {code}: {answer}";
        GatewayTimeout { seconds: i64 } = "gateway_timeout",
            en "the SMS gateway did not answer within {seconds} s", ru "SMS-шлюз не ответил за {seconds} с";
        GatewayUnreachable { why: String } = "gateway_unreachable",
            en "the SMS gateway is unreachable: {why}", ru "SMS-шлюз недоступен: {why}";
        ReceiverAnswered { code: i64, answer: String } = "receiver_answered",
            en "the receiver answered {code}: {answer}", ru "получатель ответил {code}: {answer}";
        ReceiverTimeout { seconds: i64 } = "receiver_timeout",
            en "the receiver did not answer within {seconds} s", ru "получатель не ответил за {seconds} с";
        ReceiverUnreachable { why: String } = "receiver_unreachable",
            en "the receiver is unreachable: {why}", ru "получатель недоступен: {why}";
        // Webhooks.
        EventsNotList {} = "events_not_list",
            en "must be a list such as [\"deal.created\", \"person.*\"]", ru "нужен список вида [\"deal.created\", \"person.*\"]";
        NoEvents {} = "no_events",
            en "is required: name at least one event, or \"*\" for all", ru "укажите хотя бы одно событие или * для всех";
        TooManyEvents { max: i64 } = "too_many_events", en "at most {max} events", ru "не больше {max} событий";
        NotEvent { event: String, records: Vec<String>, actions: Vec<String> } = "not_webhook_event",
            en "'{event}' is not an event; use *, <record>.* or <record>.<action> with record one of {records} and action one of {actions}",
            ru "«{event}» — не событие; укажите *, <запись>.* или <запись>.<действие>, где запись — одно из: {records}, действие — одно из: {actions}";
        WebhookOff {} = "webhook_off", en "the webhook is switched off; switch it on first", ru "вебхук выключен; сначала включите его";
        WebhookGone {} = "webhook_gone", en "the webhook was deleted or switched off", ru "вебхук удалён или выключен";
        // Replies from the card.
        ClientLacksChannel { channel: String } = "client_lacks_channel",
            en "the client has no {channel} to write to; add it to the contact or choose another channel",
            ru "у клиента нет канала «{channel}»; добавьте его в контакт или выберите другой канал";
        NoTelegramChat {} = "no_telegram_chat",
            en "the client has not written to the company's Telegram bot yet, and a bot cannot start a chat",
            ru "клиент ещё не писал в Telegram-бот компании, а бот не может начать переписку первым";
        NoBotToken { source: String } = "no_bot_token",
            en "the Telegram source '{source}' has no bot token (Intake → the source → bot_token)",
            ru "у источника Telegram «{source}» не указан токен бота (Входящие → источник → bot_token)";
        NoWhatsappGateway {} = "no_whatsapp_gateway",
            en "no WhatsApp provider is set for this workspace (Settings → WhatsApp)", ru "WhatsApp-провайдер не настроен (Настройки → WhatsApp)";
        NoClientPerson {} = "no_client_person",
            en "the deal has no contact person to write to", ru "у сделки нет контактного лица, которому можно написать";
        EmptyPlaceholder { placeholder: String } = "empty_placeholder",
            en "the template needs {{{placeholder}}}, which is empty for this card; fill it in or write the text yourself",
            ru "шаблону нужна подстановка {{{placeholder}}}, а у этой карточки она пустая; заполните её или напишите текст сами";
        TemplateOtherChannel { channel: String } = "template_other_channel",
            en "this template is not for {channel}", ru "этот шаблон не для канала «{channel}»";
        TextOrTemplate {} = "text_or_template", en "write a text or choose a template", ru "напишите текст или выберите шаблон";
        TelegramAnswered { code: i64, answer: String } = "telegram_answered",
            en "the Telegram Bot API answered {code}: {answer}", ru "Telegram Bot API ответил {code}: {answer}";
        WhatsappAnswered { code: i64, answer: String } = "whatsapp_answered",
            en "the WhatsApp provider answered {code}: {answer}", ru "WhatsApp-провайдер ответил {code}: {answer}";
        ProviderTimeout { provider: String, seconds: i64 } = "provider_timeout",
            en "{provider} did not answer within {seconds} s", ru "{provider} не ответил за {seconds} с";
        ProviderUnreachable { provider: String, why: String } = "provider_unreachable",
            en "{provider} is unreachable: {why}", ru "{provider} недоступен: {why}";
        // Client notifications, attachments, the user's own mail account.
        NotifyAdminOnly {} = "client_notify_admin_only",
            en "only an administrator sets up client notifications", ru "уведомления клиентам настраивает только администратор";
        NotifyNoTemplate { key: String } = "notify_no_template",
            en "there is no message template '{key}' (Settings → Message templates)",
            ru "нет шаблона сообщения «{key}» (Настройки → Шаблоны сообщений)";
        QuietHoursShape {} = "quiet_hours_shape",
            en "quiet hours are HH:MM-HH:MM, for example 21:00-09:00", ru "тихие часы задаются как ЧЧ:ММ-ЧЧ:ММ, например 21:00-09:00";
        NotifyStageOnly {} = "notify_stage_only",
            en "only a stage-entry notification names a stage", ru "этап указывается только у уведомления о переходе на этап";
        AttachmentsEmailOnly { channel: String } = "attachments_email_only",
            en "files can be attached only to an e-mail; {channel} gets text only — send by e-mail or paste a link",
            ru "файлы прикладываются только к письму; в канал «{channel}» уходит только текст — отправьте письмом или вставьте ссылку";
        AttachmentsTooLarge { max_mb: i64 } = "attachments_too_large",
            en "the attached files are larger than {max_mb} MB together", ru "приложенные файлы вместе больше {max_mb} МБ";
        TooManyAttachments { max: i64 } = "too_many_attachments", en "at most {max} files in one message", ru "не больше {max} файлов в одном письме";
        OwnSmtpTls { list: Vec<String> } = "own_smtp_tls",
            en "the TLS mode is one of {list}", ru "режим TLS — одно из: {list}";
    }
}
