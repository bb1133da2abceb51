//! The stage regulation, stage gates, naming, entry tasks, SLAs and the working calendar.
use super::{catalogue, FieldName};

catalogue! {
    /// Refusals and notices of the stage regulation and the calendar.
    RegulationMsg {
        StageNeedsFields { stage: String, fields: Vec<FieldName> } = "stage_needs_fields",
            en "to enter stage '{stage}' fill in: {fields}", ru "чтобы перейти на этап «{stage}», заполните: {fields}";
        BeyondRoleRange { role: String, limit: String, stage: String } = "beyond_role_range",
            en "role {role} moves deals only up to stage '{limit}'; stage '{stage}' is beyond it",
            ru "роль «{role}» переводит сделки только до этапа «{limit}»; этап «{stage}» дальше";
    }
}
