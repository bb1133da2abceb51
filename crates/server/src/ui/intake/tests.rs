use super::*;
use crate::ui::i18n::Lang;
use poryadok_core::msg::{Common, IntakeMsg};
use poryadok_core::Msg;
use poryadok_store::intake::Failure;

fn source(kind: &str, config: Json) -> Source {
    Source {
        id: 1,
        workspace_id: 1,
        kind: kind.into(),
        name: "S".into(),
        hook_key: "k".into(),
        secret: "whsec_x".into(),
        config,
        state: json!({}),
        active: true,
        created_at: 0,
        updated_at: 0,
    }
}

fn form(pairs: &[(&str, &str)]) -> Fields {
    Fields(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
}

#[test]
fn the_form_replaces_only_its_own_keys() {
    let s = source("form", json!({"fields": [{"name": "phone"}], "pipeline_id": 3, "owner_id": 5}));
    let e = edit_of_form(&s, &form(&[("name", "Site"), ("pipeline_id", "4"), ("pool", "7"), ("pool", "8")]));
    assert_eq!(config_of(&e, &s.config), json!({"fields": [{"name": "phone"}], "pipeline_id": 4, "pool": [7, 8]}));
}

#[test]
fn telephony_overrides_and_bad_numbers_reach_the_store_as_typed() {
    let s = source("telephony", json!({"preset": "generic"}));
    let e = edit_of_form(&s, &form(&[("preset", "ringostat"), ("map_caller", " numA "), ("callback_minutes", "abc")]));
    assert_eq!(config_of(&e, &s.config), json!({"preset": "ringostat", "mapping": {"caller": "numA"}, "callback_minutes": "abc"}));
    let row = e.mapping.iter().find(|r| r.field == "caller").unwrap();
    assert_eq!((row.preset.as_str(), row.value.as_str()), ("caller", "numA"));
}

#[test]
fn a_stored_password_shows_as_stars_and_comes_back_as_them() {
    let s = source("email", json!({"imap": {"host": "imap.x", "port": 993, "username": "u", "password": "p", "security": "tls"}}));
    let e = edit_of_source(&s);
    assert_eq!((e.imap("imap_password"), e.imap("imap_port")), ("***", "993"));
    let c = config_of(&e, &s.config);
    assert_eq!(c["imap"]["password"], "***");
    assert_eq!(c["imap"]["port"], 993);
    let off = edit_of_form(&s, &form(&[("imap_password", "***")]));
    assert!(config_of(&off, &s.config).get("imap").is_none(), "no host and no user switch the mailbox off");
}

#[test]
fn store_fields_name_the_inputs() {
    assert_eq!(input_of("config.pool.2"), "pool");
    assert_eq!(input_of("config.imap.host"), "imap_host");
    assert_eq!(input_of("config.mapping.caller"), "map_caller");
    assert_eq!(input_of("name"), "name");
}

#[test]
fn intake_messages_are_translated() {
    let ru = T::new(Lang::Ru);
    let say = |m: Msg| messages::say(&ru, &m);
    assert_eq!(say(IntakeMsg::CallbackMinutes {}.into()), "целое число рабочих минут от 1 до 10080");
    assert!(say(Common::NotActiveUser { id: 7 }.into()).contains('7'));
    let refused = StoreError::invalid("config.stage_id", IntakeMsg::NoStageInPipeline { id: 4 });
    assert_eq!(field_error(&ru, &refused), Some(("config.stage_id".to_string(), "этап 4 не из выбранной воронки".to_string())));
}

/// An event as the store lists it, failed with `error` (its text and message) on `field`.
fn failed_event(error: &str, msg: Option<Msg>, field: Option<&str>) -> InboundEvent {
    InboundEvent {
        id: 1,
        source_id: 1,
        kind: "telephony".into(),
        external_id: "x".into(),
        received_at: 0,
        content_type: None,
        remote_addr: None,
        status: "failed".into(),
        failure: Failure { error: Some(error.into()), ..Failure::of_msg(msg) },
        error_field: field.map(str::to_string),
        attempts: 1,
        processed_at: None,
        result: None,
        outcome: Default::default(),
    }
}

#[test]
fn the_inbox_shows_a_refused_phone_number_in_the_readers_language() {
    let mapping = preset_mapping("generic").unwrap();
    let params = json!({"from": "12"}).as_object().cloned().unwrap();
    let e = poryadok_core::intake::parse_call(&params, &mapping, "RU", "UTC").unwrap_err();
    let ev = failed_event(&e.message(), Some(*e.msg.clone()), Some(&e.field));
    assert_eq!(error_text(&T::new(Lang::Ru), &ev).unwrap(), "caller: «12» — не номер телефона");
    assert_eq!(error_text(&T::new(Lang::En), &ev).unwrap(), "caller: '12' is not a valid phone number");
    // What was stored before messages had codes reads as it was stored.
    let old = failed_event("the body is empty", None, None);
    assert_eq!(error_text(&T::new(Lang::Ru), &old).unwrap(), "the body is empty");
    let ignored = json!({"ignored": "not a message update", "ignored_code": "telegram_not_a_message", "ignored_args": {}});
    let why = poryadok_store::intake::Outcome::of_result(&ignored).ignored.unwrap();
    assert_eq!(stored_text(&T::new(Lang::Ru), &why), "это обновление — не сообщение");
    let old = json!({"ignored": "not a message update"});
    let why = poryadok_store::intake::Outcome::of_result(&old).ignored.unwrap();
    assert_eq!(stored_text(&T::new(Lang::Ru), &why), "not a message update");
}
