//! Records, users, teams, custom fields, filters, merges, the workspace.
use super::catalogue;

catalogue! {
    /// Records, users, teams, custom fields, filters, merges, the workspace.
    RecordMsg {
        Immutable {} = "immutable", en "cannot be changed after creation", ru "нельзя изменить после создания";
        UnknownFieldOf { entity: String } = "unknown_field_of", en "unknown field of {entity}", ru "у записи «{entity}» нет такого поля";
        UnknownFieldHint { entity: String, suggestion: String } = "unknown_field_hint", en "unknown field of {entity}; did you mean '{suggestion}'?", ru "у записи «{entity}» нет такого поля; может быть, «{suggestion}»?";
        CallKept {} = "call_kept", en "a call is kept for good and cannot be deleted", ru "звонок хранится навсегда, его нельзя удалить";
        InUseStage { n: i64 } = "in_use_stage", en "{n} deals are in this stage; move them first", ru "в этом этапе сделок: {n}; сначала перенесите их";
        InUsePipeline { n: i64 } = "in_use_pipeline", en "{n} deals are in this pipeline; move them first", ru "в этой воронке сделок: {n}; сначала перенесите их";
        InUseTeam { n: i64 } = "in_use_team", en "{n} users are in this team; move them first", ru "в этой команде пользователей: {n}; сначала переведите их";
        DeactivateSelf {} = "deactivate_self", en "you cannot deactivate yourself", ru "нельзя отключить самого себя";
    }
}
