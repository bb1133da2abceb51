//! The regulation as one file: parsing, references, plan and apply.
use super::{catalogue, FieldName, FilterMistake};

catalogue! {
    /// The regulation file (`poryadok regulation export / plan / apply`).
    RegFileMsg {
        Syntax { detail: String } = "regulation_file_syntax",
            en "the file does not read as the regulation: {detail}",
            ru "файл не читается как регламент: {detail}";
        Format { found: i64 } = "regulation_file_format",
            en "format {found} is not known; this version reads format 1",
            ru "формат {found} неизвестен; эта версия читает формат 1";
        KeyTwice { key: String } = "regulation_key_twice",
            en "key '{key}' is used twice", ru "ключ «{key}» указан дважды";
        NoStage { key: String } = "regulation_no_stage",
            en "this pipeline has no stage with key '{key}'", ru "в этой воронке нет этапа с ключом «{key}»";
        NoField { name: String } = "regulation_no_field",
            en "there is no deal field '{name}' in the file's fields", ru "в полях файла нет поля сделки «{name}»";
        NoPipeline { key: String } = "regulation_no_pipeline",
            en "there is no pipeline with key '{key}'", ru "нет воронки с ключом «{key}»";
        Criticality {} = "regulation_criticality",
            en "must be 1 (critical) or 2 (important)", ru "нужно 1 (критичное) или 2 (важное)";
        StageHoldsDeals { stage: String, n: i64 } = "regulation_stage_holds_deals",
            en "stage '{stage}' holds {n} deals: name the stage they move to (move_deals_to)",
            ru "на этапе «{stage}» сделок: {n}; укажите, куда их перенести (move_deals_to)";
        PipelineHoldsDeals { pipeline: String, n: i64 } = "regulation_pipeline_holds_deals",
            en "pipeline '{pipeline}' holds {n} deals: move them to another pipeline first",
            ru "в воронке «{pipeline}» сделок: {n}; сначала перенесите их в другую воронку";
        FieldChangesType { key: String } = "regulation_field_type_changes",
            en "field '{key}' exists with another entity or type; a field's type is fixed — add a field with a new key",
            ru "поле «{key}» уже есть с другой сущностью или типом; тип поля не меняется — добавьте поле с новым ключом";
        Expression { detail: FilterMistake } = "regulation_expression",
            en "the expression does not check: {detail}", ru "выражение не проходит проверку: {detail}";
        NoVersion { n: i64 } = "regulation_no_version",
            en "there is no version {n} of the regulation", ru "версии регламента {n} нет";
        // The plan's impacts on today's data.
        ImpactStageDeals { stage: String, n: i64 } = "regulation_impact_stage_deals",
            en "stage '{stage}' is removed; it holds {n} deals", ru "этап «{stage}» удаляется; на нём сделок: {n}";
        ImpactMoveDeals { stage: String, n: i64, target: String } = "regulation_impact_move_deals",
            en "{n} deals of removed stage '{stage}' move to '{target}'",
            ru "{n} сделок удаляемого этапа «{stage}» переходят на этап «{target}»";
        ImpactRequired { field: FieldName, stage: String, n: i64 } = "regulation_impact_required",
            en "new required field {field} at stage '{stage}' blocks {n} open deals from entering it",
            ru "новое обязательное поле {field} на этапе «{stage}» не пустит туда открытых сделок: {n}";
        ImpactRule { rule: String, n: i64, managers: i64 } = "regulation_impact_rule",
            en "rule '{rule}' would list {n} records of {managers} managers",
            ru "правило «{rule}» покажет записей: {n} у менеджеров: {managers}";
        ImpactFieldValues { key: String, n: i64 } = "regulation_impact_field_values",
            en "field '{key}' is removed; {n} records hold a value in it",
            ru "поле «{key}» удаляется; значение в нём есть у записей: {n}";
        Applied { version: i64 } = "regulation_applied",
            en "the regulation is applied: version {version}", ru "регламент применён: версия {version}";
        NothingToApply {} = "regulation_nothing_to_apply",
            en "the file matches the current regulation; nothing to apply",
            ru "файл совпадает с текущим регламентом; применять нечего";
    }
}
