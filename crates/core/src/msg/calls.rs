//! Calling a client from their card (click-to-call) and meeting recordings.
use super::catalogue;

catalogue! {
    /// Click-to-call through a telephony source's callback request, and meeting recordings.
    CallMsg {
        // Refused before anything is sent.
        NoCallbackSet {} = "no_callback_set",
            en "no telephony source has a click-to-call request set (Settings → Intake → the telephony source); dial the number yourself",
            ru "ни у одного источника телефонии не задан запрос обратного звонка (Настройки → Приём заявок → источник телефонии); наберите номер сами";
        NoExtension {} = "no_extension",
            en "you have no telephony extension; an administrator sets it in Settings → Users",
            ru "у вас не указан внутренний номер телефонии; его задаёт администратор в Настройках → Пользователи";
        NoPhoneOnCard {} = "no_phone_on_card",
            en "this card has no phone number to call", ru "на карточке нет номера телефона, на который можно позвонить";
        PhoneNotOnCard { phone: String } = "phone_not_on_card",
            en "{phone} is not a phone of this card", ru "{phone} — не номер с этой карточки";
        NotCallbackSource {} = "not_callback_source",
            en "that source is not a telephony source with a click-to-call request", ru "у этого источника нет запроса обратного звонка";
        // The provider's answer.
        ProviderAnswered { code: i64, answer: String } = "callback_provider_answered",
            en "the telephony provider refused the call: HTTP {code} {answer}", ru "провайдер телефонии не принял звонок: HTTP {code} {answer}";
        ProviderTimeout { seconds: i64 } = "callback_provider_timeout",
            en "the telephony provider did not answer within {seconds} s", ru "провайдер телефонии не ответил за {seconds} с";
        ProviderUnreachable { why: String } = "callback_provider_unreachable",
            en "the telephony provider is unreachable: {why}", ru "провайдер телефонии недоступен: {why}";
        // Meeting recordings.
        MeetingNoId {} = "meeting_no_id",
            en "the delivery names no meeting id (generic: id; Zoom: payload.object.uuid)",
            ru "в событии нет идентификатора встречи (generic: id; Zoom: payload.object.uuid)";
        MeetingNoRecording {} = "meeting_no_recording",
            en "the delivery has no http(s) recording link", ru "в событии нет ссылки на запись (http или https)";
        MeetingNoParticipant { who: Vec<String> } = "meeting_no_participant",
            en "no client of this workspace among the meeting's participants ({who}); add the e-mail or phone to a person and re-process",
            ru "среди участников встречи нет клиента ({who}); добавьте e-mail или телефон человеку и обработайте событие заново";
        MeetingFieldShape { field: String } = "meeting_field_shape",
            en "{field} has an unexpected shape", ru "у поля {field} неожиданный вид";
        UnknownMeetingPreset { preset: String, known: Vec<String> } = "unknown_meeting_preset",
            en "unknown meeting preset '{preset}'; known: {known}", ru "неизвестный шаблон встреч «{preset}»; есть: {known}";
        NotMeetingField { field: String, known: Vec<String> } = "not_meeting_field",
            en "'{field}' is not a meeting field; known: {known}", ru "«{field}» — не поле встречи; есть: {known}";
        MeetingSubject { topic: String } = "meeting_subject",
            en "Meeting recording: {topic}", ru "Запись встречи: {topic}";
        MeetingNoTopic {} = "meeting_no_topic", en "online meeting", ru "онлайн-встреча";
    }
}
