//! Any input: the filter parser and checker answer with an expression or a positioned error,
//! never a panic, and an error's caret rendering never panics either. An input is checked
//! against one of the four entities a filter may be written over (picked by its length, so
//! the fuzzer reaches all four while an execution stays one parse and one check), in a
//! workspace with pipelines, stages, teams and custom fields of every kind, and an accepted
//! filter is evaluated.
#![no_main]
use libfuzzer_sys::fuzz_target;
use poryadok_core::domain::CustomFieldType;
use poryadok_core::filter::{self, EvalRecord, FilterSchema, PipelineInfo, StageInfo};
use poryadok_core::schema::Entity;
use poryadok_core::validate::CustomDef;
use std::sync::OnceLock;

/// 2026-02-10T12:00:00Z.
const NOW: i64 = 1_770_724_800_000;

fn def(key: &str, field_type: CustomFieldType) -> CustomDef {
    CustomDef { key: key.into(), label: key.into(), field_type, options: vec![] }
}

fn schemas() -> &'static [FilterSchema] {
    static SCHEMAS: OnceLock<Vec<FilterSchema>> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        let mut segment = def("segment", CustomFieldType::Enum);
        segment.options = vec!["SMB".into(), "Enterprise".into()];
        let custom = vec![
            (
                Entity::Deal,
                vec![
                    def("budget", CustomFieldType::Money),
                    def("traffic", CustomFieldType::Number),
                    def("city", CustomFieldType::Text),
                    def("demo_link", CustomFieldType::Url),
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
        ];
        let mut stages = Vec::new();
        for (i, name) in ["Новый", "Принял в работу", "Отправлено КП", "Договор"].iter().enumerate() {
            stages.push(StageInfo { id: i as i64 + 1, pipeline_id: 1, name: (*name).into(), position: i as i64 });
        }
        stages.push(StageInfo { id: 10, pipeline_id: 2, name: "Новый".into(), position: 0 });
        [Entity::Deal, Entity::Person, Entity::Organization, Entity::Activity]
            .into_iter()
            .map(|entity| FilterSchema {
                entity,
                custom: custom.clone(),
                stages: stages.clone(),
                pipelines: vec![PipelineInfo { id: 1, name: "Клиенты".into() }, PipelineInfo { id: 2, name: "Партнеры".into() }],
                teams: vec![(1, "Центральный офис".into()), (2, "Казань".into())],
                me: Some(1),
                channels: Default::default(),
            })
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    let with_related = EvalRecord {
        activities: vec![EvalRecord::new()],
        deals: vec![EvalRecord::new()],
        org: Some(Box::new(EvalRecord::new())),
        person: Some(Box::new(EvalRecord::new())),
        owner: Some(Box::new(EvalRecord::new())),
        ..EvalRecord::new()
    };
    let schemas = schemas();
    match filter::parse_and_check(src, &schemas[data.len() % schemas.len()]) {
        Ok(checked) => {
            let _ = filter::eval(&checked, &EvalRecord::new(), NOW);
            let _ = filter::eval(&checked, &with_related, NOW);
        }
        Err(e) => {
            let _ = e.render(src);
        }
    }
});
