//! The filter language end to end: parse, check against a fixture workspace, evaluate.
use super::*;
use crate::domain::CustomFieldType;
use crate::msg::{FilterMsg as M, Found, Lang};
use crate::schema::Entity;
use crate::types::Val;
use crate::validate::CustomDef;
use serde_json::json;

const H: i64 = 3_600_000;
const D: i64 = DAY_MS;
/// 2026-02-10T12:00:00Z.
const NOW: i64 = 1_770_724_800_000;
/// 2026-02-10T00:00:00Z.
const TODAY: i64 = NOW - 12 * H;
const ME: i64 = 3;

fn def(key: &str, field_type: CustomFieldType) -> CustomDef {
    CustomDef { key: key.into(), label: key.into(), field_type, options: vec![] }
}

fn schema(entity: Entity) -> FilterSchema {
    let clients = ["Новый", "Принял в работу", "Коммуникация", "Проведено демо", "Отправлено КП", "Договор"];
    let partners = ["Новый", "Переговоры", "Отправлено КП", "Договор подписан"];
    let mut stages = Vec::new();
    for (i, name) in clients.iter().enumerate() {
        stages.push(StageInfo { id: 11 + i as i64, pipeline_id: 1, name: name.to_string(), position: i as i64 });
    }
    for (i, name) in partners.iter().enumerate() {
        stages.push(StageInfo { id: 21 + i as i64, pipeline_id: 2, name: name.to_string(), position: i as i64 });
    }
    let mut segment = def("segment", CustomFieldType::Enum);
    segment.options = vec!["SMB".into(), "Enterprise".into()];
    FilterSchema {
        entity,
        custom: vec![
            (
                Entity::Deal,
                vec![
                    def("budget", CustomFieldType::Money),
                    def("traffic", CustomFieldType::Number),
                    def("city", CustomFieldType::Text),
                    def("demo_link", CustomFieldType::Url),
                    def("proposal_link", CustomFieldType::Url),
                    segment,
                ],
            ),
            (
                Entity::Organization,
                vec![
                    def("city", CustomFieldType::Text),
                    def("partner_org", CustomFieldType::Organization),
                    def("is_agency", CustomFieldType::Bool),
                    def("founded", CustomFieldType::Date),
                ],
            ),
            (Entity::Person, vec![def("city", CustomFieldType::Text), def("curator", CustomFieldType::User)]),
        ],
        stages,
        pipelines: vec![PipelineInfo { id: 1, name: "Клиенты".into() }, PipelineInfo { id: 2, name: "Партнеры".into() }],
        teams: vec![(1, "Центральный офис".into()), (2, "Казань".into())],
        me: Some(ME),
        channels: Default::default(),
    }
}

fn checked_in(entity: Entity, src: &str) -> Checked {
    match parse_and_check(src, &schema(entity)) {
        Ok(c) => c,
        Err(e) => panic!("{src}\n{}", e.render(src)),
    }
}

fn deal_filter(src: &str) -> Checked {
    checked_in(Entity::Deal, src)
}

fn error_in(entity: Entity, src: &str) -> FilterError {
    match parse_and_check(src, &schema(entity)) {
        Ok(c) => panic!("accepted {src}: {c:?}"),
        Err(e) => e,
    }
}

fn rendered(entity: Entity, src: &str) -> String {
    error_in(entity, src).render(src)
}

fn t(s: &str) -> Val {
    Val::Text(s.into())
}

fn col(column: &'static str, ty: Ty) -> Operand {
    Operand::Column(ColumnRef { side: Side::This, column: Column::Builtin(column), ty })
}

fn deal(status: &str) -> EvalRecord {
    EvalRecord::new()
        .with("id", Val::Int(100))
        .with("status", t(status))
        .with("pipeline_id", Val::Int(1))
        .with("stage_id", Val::Int(11))
        .with("owner_id", Val::Int(ME))
        .with("created_at", Val::Int(NOW - 90 * D))
}

fn activity(done: bool, created_at: i64) -> EvalRecord {
    EvalRecord::new().with("done", Val::Bool(done)).with("created_at", Val::Int(created_at)).with("type", t("call"))
}

fn user(id: i64) -> EvalRecord {
    EvalRecord::new().with("id", Val::Int(id)).with("active", Val::Bool(true)).with("role", t("manager")).with("team_id", Val::Int(1))
}

/// Asserts which of `records` the filter selects, by index.
fn selects(c: &Checked, records: &[EvalRecord], expected: &[usize]) {
    let got: Vec<usize> = (0..records.len()).filter(|i| eval(c, &records[*i], NOW)).collect();
    assert_eq!(got, expected, "{c:?}");
}

// ---- the examples ----------------------------------------------------------------------------

#[test]
fn open_deals_without_open_activities() {
    let c = deal_filter("status = open and not exists activity(done = false)");
    let activities_deal = Sub { entity: Entity::Activity, fk: "deal_id" };
    assert_eq!(
        c.cond(),
        &Cond::And(vec![
            Cond::Compare { left: col("status", Ty::Enum), op: CmpOp::Eq, right: Operand::Lit(Lit::Text("open".into())), ty: Ty::Enum },
            Cond::Not(Box::new(Cond::Exists {
                collection: activities_deal,
                cond: Box::new(Cond::Compare {
                    left: col("done", Ty::Bool),
                    op: CmpOp::Eq,
                    right: Operand::Lit(Lit::Bool(false)),
                    ty: Ty::Bool
                }),
            })),
        ])
    );
    let mut with_open_task = deal("open");
    with_open_task.activities = vec![activity(true, NOW - D), activity(false, NOW - D)];
    let mut all_done = deal("open");
    all_done.activities = vec![activity(true, NOW - D)];
    let mut frozen = deal("frozen");
    frozen.activities = vec![activity(true, NOW - D)];
    selects(&c, &[deal("open"), with_open_task, all_done, frozen], &[0, 2]);
}

#[test]
fn frozen_deals_counting_open_activities() {
    let c = deal_filter("status = frozen and count activity(done = false) = 0");
    assert!(matches!(c.cond(), Cond::And(v) if matches!(&v[1], Cond::Count { op: CmpOp::Eq, n: 0, .. })));
    let mut busy = deal("frozen");
    busy.activities = vec![activity(false, NOW)];
    let mut idle = deal("frozen");
    idle.activities = vec![activity(true, NOW)];
    selects(&c, &[busy, idle, deal("open")], &[1]);

    let two = deal_filter("count activity(done = false) >= 2");
    let flipped = deal_filter("2 <= count activity(done = false)");
    assert_eq!(two.cond(), flipped.cond());
    let mut d = deal("open");
    d.activities = vec![activity(false, NOW), activity(false, NOW), activity(true, NOW)];
    selects(&two, &[d, deal("open")], &[0]);
}

#[test]
fn stage_order_follows_each_pipeline() {
    let c = deal_filter(r#"stage >= "Отправлено КП" and (budget is empty or traffic is empty)"#);
    let Cond::And(parts) = c.cond() else { panic!("{c:?}") };
    assert_eq!(
        parts[0],
        Cond::In { left: col("stage_id", Ty::Id(Entity::Stage)), values: [15, 16, 23, 24].map(Lit::Int).to_vec(), negated: false }
    );
    let budget = Operand::Column(ColumnRef {
        side: Side::This,
        column: Column::Custom { key: "budget".into(), ty: CustomFieldType::Money },
        ty: Ty::Money,
    });
    assert!(matches!(&parts[1], Cond::Or(v) if v.len() == 2 && v[0] == Cond::IsEmpty(budget)));
    let at = |stage: i64| deal("open").with("stage_id", Val::Int(stage));
    let full = |stage: i64| at(stage).with_custom("budget", json!(5_000_000)).with_custom("traffic", json!(1200.5));
    let records = [
        at(14),                                   // before the stage
        at(15),                                   // at it, nothing filled
        full(16),                                 // after it, both filled
        at(16).with_custom("budget", json!(100)), // traffic missing
        at(24).with_custom("traffic", json!("")), // wrong JSON type counts as empty
        at(22),                                   // partners' pipeline, before
        deal("open").with("stage_id", Val::Null), // no stage
        at(23).with_custom("budget", json!(null)).with_custom("traffic", json!(5)),
    ];
    selects(&c, &records, &[1, 3, 4, 7]);

    let eq = deal_filter(r#"stage = "новый""#);
    assert_eq!(
        eq.cond(),
        &Cond::In { left: col("stage_id", Ty::Id(Entity::Stage)), values: vec![Lit::Int(11), Lit::Int(21)], negated: false }
    );
    let before = deal_filter(r#"stage < "Коммуникация""#);
    // All of one pipeline: the pipeline is named too, so the (pipeline, stage) index applies.
    let Cond::And(parts) = before.cond() else { panic!("{:?}", before.cond()) };
    assert!(matches!(&parts[0], Cond::Compare { right: Operand::Lit(Lit::Int(1)), .. }), "{parts:?}");
    assert!(matches!(&parts[1], Cond::In { values, .. } if values == &[Lit::Int(11), Lit::Int(12)]));
    let none_after_last = deal_filter(r#"stage > "Договор""#);
    assert_eq!(none_after_last.cond(), &Cond::Const(false));
    let not_new = deal_filter(r#"stage != "Новый""#);
    selects(&not_new, &[at(11), at(12), at(21), deal("open").with("stage_id", Val::Null)], &[1]);
    let listed = deal_filter(r#"stage in ("Новый", "Договор") and stage not in ("Договор подписан")"#);
    selects(&listed, &[at(11), at(16), at(21), at(24), at(13)], &[0, 1, 2]);
}

#[test]
fn time_in_stage() {
    let c = deal_filter(r#"stage = "Принял в работу" and stage_entered_at < now - 7d"#);
    let Cond::And(parts) = c.cond() else { panic!() };
    assert_eq!(
        parts[1],
        Cond::Compare {
            left: col("stage_entered_at", Ty::Timestamp),
            op: CmpOp::Lt,
            right: Operand::Now { offset_ms: -7 * D },
            ty: Ty::Timestamp
        }
    );
    let at = |entered: i64| deal("open").with("stage_id", Val::Int(12)).with("stage_entered_at", Val::Int(entered));
    selects(&c, &[at(NOW - 8 * D), at(NOW - 6 * D), at(NOW - 7 * D), deal("open").with("stage_id", Val::Int(12))], &[0]);
}

#[test]
fn overdue_tasks() {
    let c = deal_filter("status = open and exists activity(done = false and due_at < now)");
    let due = |done: bool, at: i64| activity(done, NOW - 10 * D).with("due_at", Val::Int(at));
    let mut late = deal("open");
    late.activities = vec![due(false, NOW - H), due(true, NOW + H)];
    let mut on_time = deal("open");
    on_time.activities = vec![due(false, NOW + H), due(true, NOW - H)];
    let mut no_due = deal("open");
    no_due.activities = vec![activity(false, NOW - D)];
    selects(&c, &[late, on_time, no_due], &[0]);
}

#[test]
fn contains_folds_cyrillic_case() {
    let c = deal_filter(r#"org.name ~ "от партнера" and org.partner_org is empty"#);
    let Cond::And(parts) = c.cond() else { panic!() };
    assert!(matches!(&parts[0], Cond::Contains { needle, negated: false, .. } if needle == "от партнера"));
    let upper = deal_filter(r#"org.name ~ "ОТ ПАРТНЕРА""#);
    assert!(matches!(upper.cond(), Cond::Contains { needle, .. } if needle == "от партнера"));

    let with_org = |name: &str, partner: Option<i64>| {
        let mut org = EvalRecord::new().with("name", t(name));
        if let Some(p) = partner {
            org = org.with_custom("partner_org", json!(p));
        }
        let mut d = deal("open");
        d.org = Some(Box::new(org));
        d
    };
    let records = [
        with_org("Лид От Партнера", None),
        with_org("ЛИД ОТ ПАРТНЕРА «Ромашка»", None),
        with_org("Лид от партнера", Some(7)),
        with_org("Прямой клиент", None),
        deal("open"),
    ];
    selects(&c, &records, &[0, 1]);
    selects(&upper, &records, &[0, 1, 2]);
    let negated = deal_filter(r#"org.name !~ "партнер""#);
    selects(&negated, &records, &[3]);
    let not_contains = deal_filter(r#"not org.name ~ "партнер""#);
    selects(&not_contains, &records, &[3, 4]);
}

#[test]
fn owners_compared_with_each_other_and_me() {
    let c = deal_filter("owner != org.owner or owner != person.owner");
    let Cond::Or(parts) = c.cond() else { panic!() };
    assert_eq!(
        parts[0],
        Cond::Compare {
            left: col("owner_id", Ty::Id(Entity::User)),
            op: CmpOp::Ne,
            right: Operand::Column(ColumnRef { side: Side::Org, column: Column::Builtin("owner_id"), ty: Ty::Id(Entity::User) }),
            ty: Ty::Id(Entity::User),
        }
    );
    let with = |org_owner: Option<i64>, person_owner: Option<i64>| {
        let mut d = deal("open");
        d.org = org_owner.map(|o| Box::new(EvalRecord::new().with("owner_id", Val::Int(o))));
        d.person = person_owner.map(|o| Box::new(EvalRecord::new().with("owner_id", Val::Int(o))));
        d
    };
    selects(&c, &[with(Some(ME), Some(ME)), with(Some(9), Some(ME)), with(None, Some(8)), with(None, None)], &[1, 2]);

    let mine = deal_filter("owner = me");
    assert!(matches!(mine.cond(), Cond::Compare { right: Operand::Lit(Lit::Int(ME)), .. }));
    selects(&mine, &[deal("open"), deal("open").with("owner_id", Val::Int(4)), deal("open").with("owner_id", Val::Null)], &[0]);
    let mut no_me = schema(Entity::Deal);
    no_me.me = None;
    assert!(parse_and_check("owner = me", &no_me).is_err());
}

#[test]
fn owner_relation_and_pipelines() {
    let inactive = deal_filter("owner.active = false");
    let team = deal_filter(r#"owner.team = "Казань" and owner.role = manager"#);
    let Cond::And(parts) = team.cond() else { panic!() };
    assert_eq!(
        parts[0],
        Cond::Compare {
            left: Operand::Column(ColumnRef { side: Side::Owner, column: Column::Builtin("team_id"), ty: Ty::Id(Entity::Team) }),
            op: CmpOp::Eq,
            right: Operand::Lit(Lit::Int(2)),
            ty: Ty::Id(Entity::Team),
        }
    );
    let owned = |u: EvalRecord| {
        let mut d = deal("open");
        d.owner = Some(Box::new(u));
        d
    };
    let records = [
        owned(user(3)),
        owned(user(4).with("active", Val::Bool(false)).with("team_id", Val::Int(2))),
        owned(user(5).with("team_id", Val::Int(2))),
        owned(user(6).with("team_id", Val::Int(2)).with("role", t("head"))),
        deal("open"),
    ];
    selects(&inactive, &records, &[1]);
    selects(&team, &records, &[1, 2]);

    let partners = deal_filter(r#"pipeline = "Партнеры""#);
    assert_eq!(
        partners.cond(),
        &Cond::Compare {
            left: col("pipeline_id", Ty::Id(Entity::Pipeline)),
            op: CmpOp::Eq,
            right: Operand::Lit(Lit::Int(2)),
            ty: Ty::Id(Entity::Pipeline)
        }
    );
    selects(&partners, &[deal("open"), deal("open").with("pipeline_id", Val::Int(2))], &[1]);
    let either = deal_filter(r#"pipeline in ("Партнеры", "клиенты")"#);
    assert!(matches!(either.cond(), Cond::In { values, negated: false, .. } if values.len() == 2));
}

#[test]
fn plain_fields() {
    let status = deal_filter("status in (open, frozen)");
    selects(&status, &[deal("open"), deal("won"), deal("frozen"), deal("open").with("status", Val::Null)], &[0, 2]);
    let not_in = deal_filter("status not in (open, frozen)");
    selects(&not_in, &[deal("open"), deal("won"), deal("open").with("status", Val::Null)], &[1]);

    let value = deal_filter("value > 100000");
    assert!(matches!(value.cond(), Cond::Compare { right: Operand::Lit(Lit::Int(10_000_000)), ty: Ty::Money, .. }));
    let v = |kopecks: i64| deal("open").with("value", Val::Int(kopecks));
    selects(&value, &[v(10_000_000), v(10_000_001), deal("open")], &[1]);
    let decimal = deal_filter("value >= 1500.5 and value <= 1500.50");
    selects(&decimal, &[v(150_050), v(150_049)], &[0]);
    let budget = deal_filter("budget > 50000");
    selects(&budget, &[deal("open").with_custom("budget", json!(5_000_001)), deal("open").with_custom("budget", json!(5_000_000))], &[0]);

    let city = deal_filter("city is empty");
    let records = [
        deal("open"),
        deal("open").with_custom("city", json!("")),
        deal("open").with_custom("city", json!(null)),
        deal("open").with_custom("city", json!("Казань")),
    ];
    selects(&city, &records, &[0, 1, 2]);
    selects(&deal_filter("city is not empty"), &records, &[3]);
    selects(&deal_filter(r#"city = "Казань""#), &records, &[3]);
    // An empty string is a value to comparisons; only `is empty` counts it as empty.
    selects(&deal_filter(r#"city != "Москва""#), &records, &[1, 3]);
    selects(&deal_filter(r#"not city = "Москва""#), &records, &[0, 1, 2, 3]);

    let text_empty = deal_filter("lost_reason is empty");
    selects(&text_empty, &[deal("lost").with("lost_reason", t("")), deal("lost").with("lost_reason", t("дорого")), deal("lost")], &[0, 2]);

    let traffic = deal_filter("traffic >= 1000.5");
    selects(&traffic, &[deal("open").with_custom("traffic", json!(1001)), deal("open").with_custom("traffic", json!(1000.25))], &[0]);
    let segment = deal_filter(r#"segment = SMB or segment = "Enterprise""#);
    selects(&segment, &[deal("open").with_custom("segment", json!("SMB")), deal("open").with_custom("segment", json!("Other"))], &[0]);

    let upper = deal_filter("segment = smb and status = OPEN");
    let exact = deal_filter("segment = SMB and status = open");
    assert_eq!(upper.cond(), exact.cond());
    assert_eq!(deal_filter("\"open\" = status").cond(), deal_filter("status = open").cond());

    let reversed = deal_filter("100000 < value");
    assert_eq!(reversed.cond(), value.cond());
}

#[test]
fn last_activity() {
    let c = deal_filter("last_activity_at < now - 60d");
    assert!(matches!(c.cond(), Cond::Compare { left: Operand::LastActivityAt(Side::This), .. }));
    let with = |acts: Vec<EvalRecord>| {
        let mut d = deal("open");
        d.activities = acts;
        d
    };
    let old_done = activity(true, NOW - 200 * D).with("done_at", Val::Int(NOW - 61 * D));
    let recent_done = activity(true, NOW - 200 * D).with("done_at", Val::Int(NOW - 5 * D));
    let old_open = activity(false, NOW - 70 * D);
    let records = [
        with(vec![old_done.clone(), old_open.clone()]),
        with(vec![old_done.clone(), recent_done]),
        with(vec![activity(false, NOW - D)]),
        with(vec![]),
        // done without done_at: its created_at counts
        with(vec![activity(true, NOW - 90 * D)]),
    ];
    selects(&c, &records, &[0, 4]);
    selects(&deal_filter("last_activity_at is empty"), &records, &[3]);

    let org = checked_in(Entity::Organization, "last_activity_at > now - 7d");
    let mut o = EvalRecord::new();
    o.activities = vec![activity(false, NOW - D)];
    selects(&org, &[o, EvalRecord::new()], &[0]);
    let via_org = deal_filter("org.last_activity_at is empty");
    assert!(matches!(via_org.cond(), Cond::IsEmpty(Operand::LastActivityAt(Side::Org))));
}

#[test]
fn organizations_with_open_partner_deals() {
    let c = checked_in(Entity::Organization, r#"exists deal(status = open and pipeline = "Партнеры")"#);
    assert!(matches!(c.cond(), Cond::Exists { collection: Sub { entity: Entity::Deal, fk: "organization_id" }, .. }));
    let org = |deals: Vec<EvalRecord>| {
        let mut o = EvalRecord::new().with("name", t("ООО Ромашка"));
        o.deals = deals;
        o
    };
    let records = [
        org(vec![deal("open").with("pipeline_id", Val::Int(2))]),
        org(vec![deal("won").with("pipeline_id", Val::Int(2)), deal("open")]),
        org(vec![]),
    ];
    selects(&c, &records, &[0]);

    let person = checked_in(Entity::Person, "count deal(status = won) >= 1 and org.city = \"Казань\" and owner = me");
    let Cond::And(parts) = person.cond() else { panic!() };
    assert!(matches!(&parts[0], Cond::Count { collection: Sub { entity: Entity::Deal, fk: "person_id" }, .. }));
    let nested = checked_in(Entity::Organization, "exists deal(exists activity(done = false))");
    let mut d = deal("open");
    d.activities = vec![activity(false, NOW)];
    selects(&nested, &[org(vec![d]), org(vec![deal("open")])], &[0]);
    let activities = checked_in(Entity::Activity, "type = call and done and owner.active and due_at < today");
    let a = activity(true, NOW).with("due_at", Val::Int(TODAY - 1)).with("owner_id", Val::Int(ME));
    let mut owned = a.clone();
    owned.owner = Some(Box::new(user(ME)));
    selects(&activities, &[a, owned], &[1]);
}

#[test]
fn times_and_dates() {
    let created = deal_filter("created_at >= 2026-01-31 and created_at < 2026-01-31 + 1d");
    let at = |ms: i64| deal("open").with("created_at", Val::Int(ms));
    let jan31 = 1_769_817_600_000;
    selects(&created, &[at(jan31 - 1), at(jan31), at(jan31 + D - 1), at(jan31 + D)], &[1, 2]);

    let today = deal_filter("created_at >= today and created_at < today + 1d");
    selects(&today, &[at(TODAY - 1), at(TODAY), at(NOW), at(TODAY + D)], &[1, 2]);
    let shifted = deal_filter("created_at > now - 1w - 12h + 30m");
    assert!(
        matches!(shifted.cond(), Cond::Compare { right: Operand::Now { offset_ms }, .. } if *offset_ms == -7 * D - 12 * H + 30 * 60_000)
    );
    let months = deal_filter("created_at < now - 3mo");
    assert!(matches!(months.cond(), Cond::Compare { right: Operand::Now { offset_ms }, .. } if *offset_ms == -90 * D));

    let close = deal_filter("expected_close_date < today + 7d and expected_close_date >= 2026-02-01");
    let on = |d: &str| deal("open").with("expected_close_date", t(d));
    selects(&close, &[on("2026-01-31"), on("2026-02-01"), on("2026-02-16"), on("2026-02-17"), deal("open")], &[1, 2]);
    let founded = checked_in(Entity::Organization, "founded < \"2020-01-01\" or founded = today");
    let f = |d: &str| EvalRecord::new().with_custom("founded", json!(d));
    selects(&founded, &[f("2019-12-31"), f("2026-02-10"), f("2021-01-01"), EvalRecord::new()], &[0, 1]);
}

#[test]
fn keywords_ignore_case_and_layout() {
    let a = deal_filter("status = open AND NOT Exists activity(done = FALSE) Or value > 5");
    let b = deal_filter("status = open and not exists activity(done = false) or value > 5");
    assert_eq!(a.cond(), b.cond());
    let multi = deal_filter("status = open\n  and\tvalue > 5\r\n");
    assert!(matches!(multi.cond(), Cond::And(_)));
    let empty_collection = deal_filter("exists activity and exists activities()");
    assert!(
        matches!(empty_collection.cond(), Cond::And(v) if v.iter().all(|c| matches!(c, Cond::Exists { cond, .. } if **cond == Cond::Const(true))))
    );
}

#[test]
fn null_semantics_are_two_valued() {
    let no_city = deal("open");
    let cases = [
        ("city = \"Москва\"", false),
        ("city != \"Москва\"", false),
        ("not city = \"Москва\"", true),
        ("city ~ \"x\"", false),
        ("city !~ \"x\"", false),
        ("not city ~ \"x\"", true),
        ("city in (\"a\")", false),
        ("city not in (\"a\")", false),
        ("not city in (\"a\")", true),
        ("city is empty", true),
        ("not city is empty", false),
        ("value > 0 or value <= 0", false),
        ("not (value > 0 or value <= 0)", true),
        ("org.name = \"x\"", false),
        ("org.name != \"x\"", false),
        ("org.name is empty", true),
        ("owner != org.owner", false),
        ("owner.active", false),
        ("not owner.active", true),
    ];
    for (src, expected) in cases {
        assert_eq!(eval(&deal_filter(src), &no_city, NOW), expected, "{src}");
    }
}

// ---- errors ----------------------------------------------------------------------------------

#[test]
fn error_positions_count_characters() {
    let e = error_in(Entity::Deal, "город = \"Казань\" and citty is empty");
    assert_eq!((e.line, e.column, e.offset, e.len), (1, 1, 0, 5));
    let e = error_in(Entity::Deal, "city = \"Казань\" and citty is empty");
    assert_eq!((e.line, e.column, e.offset, e.len), (1, 21, 20, 5));
    assert_eq!(*e.msg, M::UnknownField { name: "citty".into() });
    assert_eq!(e.msg.code(), "filter_unknown_field");
    assert_eq!(e.hint.as_deref(), Some(&M::HintDidYouMean { name: "city".into() }));
    assert_eq!(e.message(Lang::En), "unknown field 'citty'");
    assert_eq!(e.summary(Lang::Ru), "неизвестное поле «citty» — может быть, «city»?");
    let e = error_in(Entity::Deal, "status = open\n  and citty is empty");
    assert_eq!((e.line, e.column, e.offset, e.len), (2, 7, 20, 5));
}

#[test]
fn errors_are_rendered_with_a_caret() {
    assert_eq!(rendered(Entity::Deal, "citty is empty"), "unknown field 'citty' — did you mean 'city'?\n1 | citty is empty\n  | ^^^^^");
}

#[test]
fn rendered_errors() {
    let deep = format!("{}done{}", "(".repeat(33), ")".repeat(33));
    let long = format!("status = open{}", " or status = open".repeat(250));
    let cases: Vec<(&str, Entity, String)> = vec![
        ("unknown_field", Entity::Deal, "citty is empty".into()),
        ("unknown_field_on_line_two", Entity::Deal, "status = open\n  and citty is empty".into()),
        ("unknown_related_field", Entity::Deal, "org.nmae ~ \"x\"".into()),
        ("unknown_relation", Entity::Deal, "orgg.name ~ \"x\"".into()),
        ("unknown_relation_of_person", Entity::Person, "deal.title = \"x\"".into()),
        ("too_many_dots", Entity::Deal, "org.owner.active = true".into()),
        ("unknown_enum_value", Entity::Deal, "status = opne".into()),
        ("unknown_enum_string", Entity::Deal, "status in (open, \"closed\")".into()),
        ("unknown_stage", Entity::Deal, "stage >= \"Отправлено КПП\"".into()),
        ("unknown_stage_far", Entity::Deal, "stage = \"Архив\"".into()),
        ("unknown_pipeline", Entity::Deal, "pipeline = \"Партнёры\"".into()),
        ("unknown_team", Entity::Deal, "owner.team = \"Казн\"".into()),
        ("unknown_collection", Entity::Deal, "exists activty(done = false)".into()),
        ("no_collections", Entity::Activity, "exists deal(status = open)".into()),
        ("contains_on_money", Entity::Deal, "value ~ 5".into()),
        ("contains_on_stage", Entity::Deal, "stage ~ \"КП\"".into()),
        ("contains_needs_text", Entity::Deal, "title ~ 5".into()),
        ("bool_compared_with_text", Entity::Activity, "done = \"yes\"".into()),
        ("timestamp_compared_with_number", Entity::Deal, "stage_entered_at > 5".into()),
        ("timestamp_compared_with_duration", Entity::Deal, "created_at > 7d".into()),
        ("text_without_quotes", Entity::Deal, "city = Казань".into()),
        ("stage_without_quotes", Entity::Deal, "stage = Новый".into()),
        ("enum_ordered", Entity::Deal, "status > open".into()),
        ("money_precision", Entity::Deal, "value > 1.005".into()),
        ("count_with_text", Entity::Deal, "count activity(done = false) = \"x\"".into()),
        ("mixed_columns", Entity::Deal, "owner = org.name".into()),
        ("not_a_condition", Entity::Deal, "status".into()),
        ("null_keyword", Entity::Deal, "city = null".into()),
        ("unclosed_paren", Entity::Deal, "(status = open and value > 5".into()),
        ("unclosed_string", Entity::Deal, "title ~ \"Ромашка".into()),
        ("unmatched_paren", Entity::Deal, "status = open)".into()),
        ("trailing_input", Entity::Deal, "status = open open".into()),
        ("missing_value", Entity::Deal, "status = ".into()),
        ("double_equals", Entity::Deal, "status == open".into()),
        ("ampersands", Entity::Deal, "status = open && value > 5".into()),
        ("is_without_empty", Entity::Deal, "city is null".into()),
        ("bad_date", Entity::Deal, "created_at > 2026-02-30".into()),
        ("bad_unit", Entity::Deal, "created_at > now - 7y".into()),
        ("empty", Entity::Deal, "   ".into()),
        ("too_deep", Entity::Activity, deep),
        ("too_long", Entity::Deal, long),
    ];
    for (name, entity, src) in cases {
        let n = src.chars().count();
        let shown = if n > 200 { format!("{}… ({n} characters)", src.chars().take(60).collect::<String>()) } else { src.clone() };
        insta::assert_snapshot!(name, rendered(entity, &src), &shown);
    }
}

#[test]
fn long_lines_are_cut_around_the_position() {
    let src = format!("{}citty is empty and {}value > 6", "status = open and ".repeat(10), "value > 5 and ".repeat(10));
    let r = rendered(Entity::Deal, &src);
    let lines: Vec<&str> = r.lines().collect();
    assert_eq!(lines[0], "unknown field 'citty' — did you mean 'city'?");
    assert!(lines[1].starts_with("1 | …") && lines[1].ends_with('…'), "{r}");
    let caret = lines[2].chars().position(|c| c == '^').unwrap();
    let word: String = lines[1].chars().skip(caret).take(5).collect();
    assert_eq!(word, "citty");
    assert_eq!(lines[2].matches('^').count(), 5);
}

#[test]
fn limits() {
    let ok_deep = format!("{}done{}", "(".repeat(32), ")".repeat(32));
    assert!(parse_and_check(&ok_deep, &schema(Entity::Activity)).is_ok());
    let nots = format!("{}done", "not ".repeat(33));
    assert_eq!(*error_in(Entity::Activity, &nots).msg, M::TooDeep { max: MAX_DEPTH as i64 });
    let exactly = format!("value > {}", "1".repeat(MAX_LEN - 8));
    assert_eq!(exactly.chars().count(), MAX_LEN);
    assert!(parse(&exactly).is_ok());
    let cyrillic = format!("title = \"{}\"", "ж".repeat(MAX_LEN - 10));
    assert!(parse(&cyrillic).is_ok(), "the limit counts characters, not bytes");
    let e = parse(&format!("{exactly}1")).unwrap_err();
    assert_eq!((e.offset, e.len), (MAX_LEN, 1));
}

#[test]
fn only_filterable_entities() {
    let e = parse_and_check("name = \"x\"", &FilterSchema::new(Entity::Team)).unwrap_err();
    assert_eq!(e.msg.code(), "filter_not_filterable");
    assert_eq!(e.message(Lang::Ru), "записи «команда» фильтром не выбрать");
}

#[test]
fn errors_are_codes_with_arguments_read_in_both_languages() {
    // (filter, code, English summary, Russian summary)
    let cases = [
        (
            "a == b",
            "filter_unexpected",
            "unexpected '==' — equality is a single '='",
            "здесь не может стоять «==» — равенство пишется одним «=»",
        ),
        (
            "status = open )",
            "filter_unmatched_close",
            "unmatched ')' — remove it or add a '(' before it",
            "лишняя «)» — уберите её или добавьте «(» перед ней",
        ),
        (
            "(status = open",
            "filter_unclosed_paren",
            "unclosed '(' — add ')' to close it",
            "не закрыта «(» — добавьте «)», чтобы закрыть её",
        ),
        (
            "value ~ \"x\"",
            "filter_contains_not_text",
            "'~' (contains) works on text, but 'value' is money — compare value with =, <, > or in (…)",
            "«~» (содержит) работает с текстом, а «value» — деньги — сравнивайте value через =, <, > или in (…)",
        ),
        (
            "status = opne",
            "filter_not_enum_value",
            "'opne' is not a value of 'status' — did you mean 'open'? status is one of: open, won, lost, frozen, not_lead",
            "«opne» — не значение поля «status» — может быть, «open»? status — одно из: open, won, lost, frozen, not_lead",
        ),
        (
            "stage_entered_at < 7d",
            "filter_duration_not_time",
            "7d is a duration, not a point in time — count it from now or today: stage_entered_at < now - 7d",
            "7d — длительность, а не момент времени — отсчитайте её от now или today: stage_entered_at < now - 7d",
        ),
        (
            "status = open and",
            "filter_ends_early",
            "the filter ends too early — a field or a value should follow",
            "фильтр обрывается раньше времени — дальше должно идти поле или значение",
        ),
    ];
    for (src, code, en, ru) in cases {
        let e = error_in(Entity::Deal, src);
        assert_eq!(e.msg.code(), code, "{src}");
        assert_eq!(e.summary(Lang::En), en, "{src}");
        assert_eq!(e.summary(Lang::Ru), ru, "{src}");
    }
    // The arguments the API carries: what was found, typed.
    let e = error_in(Entity::Deal, "status in open");
    assert_eq!(*e.msg, M::ExpectedInParen { found: Found::Word("open".into()) });
    assert_eq!((*e.msg).clone().into_msg().args_json()["found"], json!({"word": "open"}));
    let e = error_in(Entity::Deal, "(status = open");
    assert_eq!(e.render_in(Lang::Ru, "(status = open"), "не закрыта «(» — добавьте «)», чтобы закрыть её\n1 | (status = open\n  | ^");
}

// ---- printing and robustness -----------------------------------------------------------------

#[test]
fn printing_round_trips() {
    for src in [
        "status = open and not exists activity(done = false)",
        "(a or b) and not (c and d) or e",
        "a and (b and c)",
        "not not x",
        "title ~ \"say \\\"hi\\\" \\\\ there\" and city !~ \"x\"",
        "count activity(done = false and due_at < now - 1d + 2h) >= -1",
        "created_at in (2026-01-31, today, now - 3mo) and x is not empty and y not in (open)",
        "exists activity",
    ] {
        let e = parse(src).unwrap();
        let printed = e.to_string();
        assert_eq!(parse(&printed).unwrap().to_string(), printed, "{src}");
    }
    assert_eq!(parse("(a OR b) AND NOT (c)").unwrap().to_string(), "(a or b) and not c");
}

mod props {
    use super::*;
    use crate::filter::ast::{Collection, ExprKind, Ident, Sign, Span, Term, TermKind};
    use proptest::prelude::*;

    const WORDS: &[&str] = &[
        "status",
        "open",
        "frozen",
        "stage",
        "pipeline",
        "value",
        "budget",
        "traffic",
        "city",
        "org",
        "person",
        "owner",
        "done",
        "due_at",
        "activity",
        "deal",
        "name",
        "team",
        "active",
        "role",
        "last_activity_at",
        "created_at",
        "partner_org",
        "segment",
        "SMB",
        "type",
        "call",
        "title",
        "citty",
        "x",
        "Казань",
        "Новый",
    ];
    const PIECES: &[&str] = &[
        "and",
        "or",
        "not",
        "in",
        "is",
        "empty",
        "exists",
        "count",
        "now",
        "today",
        "true",
        "false",
        "me",
        "(",
        ")",
        ",",
        ".",
        "=",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "~",
        "!~",
        "+",
        "-",
        "7d",
        "3mo",
        "1h",
        "2w",
        "5m",
        "2026-01-31",
        "100000",
        "1.5",
        "\"Отправлено КП\"",
        "\"Партнеры\"",
        "\"Казань\"",
        "\"\"",
        "\"",
        "\\",
        "activity(",
        "deal(",
        "org.",
        "owner.",
        "person.",
        "!",
        "&",
        "'",
    ];

    fn ident(name: &str) -> Ident {
        Ident { name: name.into(), span: Span::default() }
    }

    fn term(kind: TermKind) -> Term {
        Term { kind, span: Span::default() }
    }

    fn expr(kind: ExprKind) -> Expr {
        Expr { kind, span: Span::default() }
    }

    fn word() -> impl Strategy<Value = String> {
        proptest::sample::select(WORDS).prop_map(str::to_string)
    }

    fn op() -> impl Strategy<Value = CmpOp> {
        proptest::sample::select(&[CmpOp::Eq, CmpOp::Ne, CmpOp::Lt, CmpOp::Le, CmpOp::Gt, CmpOp::Ge][..])
    }

    fn duration() -> impl Strategy<Value = Term> {
        (
            0i64..1000,
            proptest::sample::select(&[("m", 60_000i64), ("h", 3_600_000), ("d", DAY_MS), ("w", 7 * DAY_MS), ("mo", 30 * DAY_MS)][..]),
        )
            .prop_map(|(n, (u, ms))| term(TermKind::Duration { ms: n * ms, text: format!("{n}{u}") }))
    }

    fn simple_term() -> impl Strategy<Value = Term> {
        prop_oneof![
            4 => proptest::collection::vec(word(), 1..3).prop_map(|p| term(TermKind::Path(p.iter().map(|w| ident(w)).collect()))),
            2 => "[a-zA-Zа-яА-ЯёЁ \"\\\\~%_]{0,12}".prop_map(|s| term(TermKind::Str(s))),
            2 => (-1_000_000i64..1_000_000, proptest::option::of(0u32..1000)).prop_map(|(n, f)| term(TermKind::Number(match f {
                Some(f) => format!("{n}.{f}"),
                None => n.to_string(),
            }))),
            1 => any::<bool>().prop_map(|b| term(TermKind::Bool(b))),
            1 => (2000i32..2100, 1u32..13, 1u32..29).prop_map(|(y, m, d)| term(TermKind::Date(format!("{y:04}-{m:02}-{d:02}")))),
            1 => duration(),
            1 => Just(term(TermKind::Now)),
            1 => Just(term(TermKind::Today)),
            1 => Just(term(TermKind::Me)),
        ]
    }

    fn value_term() -> impl Strategy<Value = Term> {
        prop_oneof![
            4 => simple_term(),
            1 => (prop_oneof![Just(TermKind::Now), Just(TermKind::Today)], proptest::collection::vec((any::<bool>(), duration()), 1..3)).prop_map(
                |(base, steps)| term(TermKind::Offset {
                    base: Box::new(term(base)),
                    steps: steps.into_iter().map(|(plus, d)| (if plus { Sign::Plus } else { Sign::Minus }, d)).collect(),
                })
            ),
        ]
    }

    fn arb_expr() -> impl Strategy<Value = Expr> {
        let leaf = prop_oneof![
            3 => (value_term(), op(), value_term()).prop_map(|(left, op, right)| expr(ExprKind::Compare { left, op, op_span: Span::default(), right })),
            1 => (value_term(), any::<bool>(), value_term())
                .prop_map(|(left, negated, needle)| expr(ExprKind::Contains { left, negated, op_span: Span::default(), needle })),
            1 => (value_term(), any::<bool>(), proptest::collection::vec(simple_term(), 1..4))
                .prop_map(|(left, negated, values)| expr(ExprKind::In { left, negated, values })),
            1 => (value_term(), any::<bool>()).prop_map(|(term, negated)| expr(ExprKind::IsEmpty { term, negated })),
            1 => simple_term().prop_map(|t| expr(ExprKind::Truth(t))),
            1 => word().prop_map(|w| expr(ExprKind::Exists(Collection { name: ident(&w), filter: None }))),
        ];
        leaf.prop_recursive(5, 40, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 2..4).prop_map(|v| expr(ExprKind::And(v))),
                proptest::collection::vec(inner.clone(), 2..4).prop_map(|v| expr(ExprKind::Or(v))),
                inner.clone().prop_map(|e| expr(ExprKind::Not(Box::new(e)))),
                (word(), inner.clone())
                    .prop_map(|(w, e)| expr(ExprKind::Exists(Collection { name: ident(&w), filter: Some(Box::new(e)) }))),
                (word(), inner, op(), -3i64..4).prop_map(|(w, e, op, n)| expr(ExprKind::Compare {
                    left: term(TermKind::Count(Collection { name: ident(&w), filter: Some(Box::new(e)) })),
                    op,
                    op_span: Span::default(),
                    right: term(TermKind::Number(n.to_string())),
                })),
            ]
        })
    }

    /// Parses and checks against every entity, renders any error and evaluates what passes:
    /// none of it may panic.
    fn exercise(src: &str) {
        let parsed = parse(src);
        if let Err(e) = &parsed {
            let _ = e.render(src);
        }
        let Ok(e) = parsed else { return };
        for entity in [Entity::Deal, Entity::Person, Entity::Organization, Entity::Activity] {
            match check(&e, &schema(entity)) {
                Ok(c) => {
                    let mut rec = deal("open").with_custom("city", json!("Казань"));
                    rec.activities = vec![activity(false, NOW)];
                    rec.owner = Some(Box::new(user(ME)));
                    let _ = eval(&c, &rec, NOW);
                    let _ = eval(&c, &EvalRecord::new(), i64::MIN);
                }
                Err(err) => {
                    let _ = err.render(src);
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn token_soup_never_panics(pieces in proptest::collection::vec(proptest::sample::select(PIECES), 0..40), words in proptest::collection::vec(word(), 0..10)) {
            let mut all: Vec<&str> = pieces;
            for (i, w) in words.iter().enumerate() {
                all.insert(i.min(all.len()), w);
            }
            exercise(&all.join(" "));
            exercise(&all.concat());
        }

        #[test]
        fn any_text_never_panics(src in "\\PC{0,200}") {
            exercise(&src);
        }

        #[test]
        fn printed_trees_round_trip_and_never_panic(e in arb_expr()) {
            let printed = e.to_string();
            prop_assume!(printed.chars().count() <= MAX_LEN);
            let reparsed = parse(&printed);
            prop_assert!(reparsed.is_ok(), "{printed}: {:?}", reparsed.err().map(|e| e.render(&printed)));
            if let Ok(r) = reparsed {
                prop_assert_eq!(r.to_string(), printed.clone());
            }
            exercise(&printed);
            for entity in [Entity::Deal, Entity::Activity] {
                let _ = check(&e, &schema(entity));
            }
        }
    }
}

// ---- the touch a deal is credited to (end-to-end analytics) -----------------------------------

fn touch(id: i64, at: i64, source: Option<&str>, campaign: Option<&str>, referrer: Option<&str>) -> EvalRecord {
    let mut r = EvalRecord::new().with("id", Val::Int(id)).with("occurred_at", Val::Int(at));
    for (k, v) in [("utm_source", source), ("utm_campaign", campaign), ("referrer", referrer)] {
        if let Some(v) = v {
            r = r.with(k, t(v));
        }
    }
    r
}

#[test]
fn each_model_names_its_touch() {
    let c = deal_filter("first_touch.channel = \"Яндекс.Директ\"");
    match c.cond() {
        Cond::Compare { left: Operand::Touch(r), right: Operand::Lit(Lit::Text(v)), .. } => {
            assert_eq!((r.part, v.as_str()), (TouchPart::Channel, "yandex"), "the value is folded as marks are");
        }
        other => panic!("{other:?}"),
    }
    // Yandex (Brand), then VK, then a direct visit; a deal without touches has its own marks;
    // one with neither has none.
    let mut came_twice = deal("won");
    came_twice.touches = vec![
        touch(3, NOW - D, None, None, None),
        touch(1, NOW - 9 * D, Some("ya.ru"), Some("Brand "), None),
        touch(2, NOW - 5 * D, Some("VK"), None, Some("https://vk.com/")),
    ];
    let own = deal("open").with("utm_source", t("vk")).with("utm_campaign", t("spring"));
    let none = deal("open");
    let records = [came_twice, own, none];
    selects(&deal_filter("first_touch.channel = \"yandex\""), &records, &[0]);
    selects(&deal_filter("first_touch.campaign = \"BRAND\""), &records, &[0]);
    selects(&deal_filter("last_touch.channel is empty"), &records, &[0, 2]);
    selects(&deal_filter("last_non_direct_touch.channel = \"vk\""), &records, &[0, 1]);
    selects(&deal_filter("last_touch.channel in (\"vk\", \"google\")"), &records, &[1]);
    selects(&deal_filter("not last_touch.campaign = \"spring\""), &records, &[0, 2]);
    selects(&deal_filter("first_touch.channel ~ \"and\""), &records, &[0]);
}

#[test]
fn a_touch_has_three_marks() {
    let e = rendered(Entity::Deal, "first_touch.chanel = \"vk\"");
    assert!(e.contains("unknown field 'first_touch.chanel'") && e.contains("did you mean 'first_touch.channel'?"), "{e}");
    let e = rendered(Entity::Deal, "first_tuch.channel = \"vk\"");
    assert!(e.contains("did you mean 'first_touch.channel'?"), "{e}");
    let e = rendered(Entity::Person, "first_touch.channel = \"vk\"");
    assert!(e.contains("unknown relation 'first_touch'"), "{e}");
    let e = rendered(Entity::Deal, "first_touch.term > \"a\"");
    assert!(e.contains("cannot be compared with '>'"), "{e}");
}
