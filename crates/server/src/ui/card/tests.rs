use super::*;
use crate::ui::i18n::Lang;

fn names() -> Names {
    let mut n = Names::default();
    n.users.insert(7, "Анна".into());
    n.stages.insert(1, "Новый".into());
    n.stages.insert(2, "Переговоры".into());
    n
}

fn defs() -> Vec<Def> {
    vec![
        Def { key: "budget".into(), label: "Бюджет".into(), ty: CustomFieldType::Money, options: vec![] },
        Def { key: "vip".into(), label: "VIP".into(), ty: CustomFieldType::Bool, options: vec![] },
    ]
}

#[test]
fn history_changes_read_as_labels_and_names() {
    let (n, d) = (names(), defs());
    let show =
        Show { t: T::new(Lang::Ru), fmt: Fmt { lang: Lang::Ru, tz: "Europe/Moscow".into() }, names: &n, defs: &d, currency: "RUB".into() };
    let c = json!({
        "stage_id": {"from": 1, "to": 2},
        "owner_id": {"from": null, "to": 7},
        "value": {"from": 0, "to": 15_000_000},
        "status": {"from": "open", "to": "lost"},
        "stage_entered_at": {"from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00:00Z"},
        "custom.budget": {"from": null, "to": 500_000},
        "custom.vip": {"from": false, "to": true},
        "expected_close_date": {"from": null, "to": "2026-12-31"},
        "participants": {"from": null, "to": {"user_id": 7, "role": "consultant"}},
    });
    let lines = changes(&show, &c);
    let find = |label: &str| lines.iter().find(|l| l.label == label).map(|l| (l.from.as_str(), l.to.as_str()));
    assert_eq!(find("Этап"), Some(("Новый", "Переговоры")));
    assert_eq!(find("Ответственный"), Some(("—", "Анна")));
    assert_eq!(find("Сумма"), Some(("0\u{a0}₽", "150\u{a0}000\u{a0}₽")));
    assert_eq!(find("Статус"), Some(("Открыта", "Проиграна")));
    assert_eq!(find("Бюджет"), Some(("—", "5\u{a0}000\u{a0}₽")));
    assert_eq!(find("VIP"), Some(("Нет", "Да")));
    assert_eq!(find("Ожидаемая дата закрытия"), Some(("—", "31.12.2026")));
    assert_eq!(find("Участники"), Some(("—", "Анна (consultant)")));
    assert!(find("stage_entered_at").is_none(), "derived stamps are not listed: {lines:?}");
    assert_eq!(lines.len(), 8);
}

#[test]
fn amounts_are_read_as_typed_and_written_back_the_same() {
    assert_eq!(parse_money("1 500,50"), Ok(Some(150_050)));
    assert_eq!(parse_money("1500.5"), Ok(Some(150_050)));
    assert_eq!(parse_money("\u{a0}"), Ok(None));
    assert_eq!(parse_money(",5"), Ok(Some(50)));
    for bad in ["1.234", "abc", "-5", "1.2.3", "."] {
        assert_eq!(parse_money(bad), Err(()), "{bad}");
    }
    assert_eq!(money_input(150_050), "1500.50");
    assert_eq!(money_input(150_000), "1500");
    assert_eq!(parse_money(&money_input(7)), Ok(Some(7)));
}

#[test]
fn every_generated_key_is_translated() {
    let t = T::new(Lang::En);
    let fields = [Entity::Deal, Entity::Person, Entity::Organization, Entity::Activity, Entity::Note]
        .iter()
        .flat_map(|e| e.fields().iter().map(|f| f.name))
        .chain(["participants"]);
    let mut keys: Vec<&str> = fields.filter_map(field_key).collect();
    keys.extend(DealStatus::ALL.iter().map(|s| status_key(s)));
    keys.extend(ActivityType::ALL.iter().map(|s| type_key(s)));
    keys.extend(["inbound", "outbound", "answered", "missed", "busy", "failed"].map(call_key));
    keys.extend([Entity::Deal, Entity::Person, Entity::Organization].map(created_key));
    for k in keys {
        assert_ne!(t.t(k), k, "{k} is not in the catalogue");
    }
}

#[test]
fn status_writes_carry_the_right_reason() {
    let form = |reason: &str, comment: &str| StatusForm {
        status: String::new(),
        reason: reason.into(),
        comment: comment.into(),
        return_on: String::new(),
        mark_person: None,
    };
    assert_eq!(
        status_body(DealStatus::Lost, &form(" Дорого ", "Бюджет")),
        json!({"status": "lost", "lost_reason": "Дорого", "frozen_reason": null, "not_lead_reason": null, "close_comment": "Бюджет",
            "return_on": null})
    );
    assert_eq!(
        status_body(DealStatus::NotLead, &form(" Спам ", "")),
        json!({"status": "not_lead", "not_lead_reason": "Спам", "lost_reason": null, "frozen_reason": null, "close_comment": null,
            "return_on": null})
    );
    assert_eq!(
        status_body(DealStatus::Open, &form("x", "y")),
        json!({"status": "open", "lost_reason": null, "frozen_reason": null, "not_lead_reason": null, "close_comment": null,
            "return_on": null})
    );
}

#[test]
fn the_next_step_is_offered_for_the_next_working_morning() {
    use poryadok_core::calendar::BusinessHours;
    let fmt = Fmt { lang: Lang::Ru, tz: "Europe/Moscow".into() };
    let week =
        BusinessHours::parse(&json!({"days": [1, 2, 3, 4, 5], "start": "09:00", "end": "18:00", "holidays": ["2026-11-30"]})).unwrap();
    let at = |s: &str| parse_timestamp(s).unwrap();
    // Monday noon in Moscow: Tuesday.
    assert_eq!(timeline::next_working_morning(&week, &fmt, at("2026-11-23T09:00:00Z")), "2026-11-24T10:00");
    // Friday 23:30 in Moscow (20:30 UTC): past the weekend and Monday's holiday.
    assert_eq!(timeline::next_working_morning(&week, &fmt, at("2026-11-27T20:30:00Z")), "2026-12-01T10:00");
    // Thursday 00:30 in Moscow is still Thursday there, though Wednesday in UTC: Friday.
    assert_eq!(timeline::next_working_morning(&week, &fmt, at("2026-11-25T21:30:00Z")), "2026-11-27T10:00");
}
