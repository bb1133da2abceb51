//! Any input: the filter parser and checker answer with an expression or a positioned error,
//! never a panic, and an error's caret rendering never panics either.
#![no_main]
use libfuzzer_sys::fuzz_target;
use poryadok_core::filter::{self, FilterSchema, PipelineInfo, StageInfo};
use poryadok_core::schema::Entity;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    let mut schema = FilterSchema::new(Entity::Deal);
    schema.pipelines.push(PipelineInfo { id: 1, name: "Клиенты".into() });
    for (i, name) in ["Новый", "Принял в работу", "Отправлено КП"].iter().enumerate() {
        schema.stages.push(StageInfo { id: i as i64 + 1, pipeline_id: 1, name: (*name).into(), position: i as i64 });
    }
    schema.me = Some(1);
    match filter::parse_and_check(src, &schema) {
        Ok(checked) => {
            let _ = filter::eval(&checked, &filter::EvalRecord::new(), 0);
        }
        Err(e) => {
            let _ = e.render(src);
        }
    }
});
