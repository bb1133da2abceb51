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
        WorkspaceAdminOnly {} = "workspace_admin_only", en "only administrators change workspace settings", ru "настройки рабочего пространства меняют только администраторы";
        Region {} = "region", en "must be an ISO 3166 region code such as RU", ru "нужен код страны ISO 3166, например RU";
        UnknownSetting {} = "unknown_setting", en "unknown workspace setting", ru "нет такой настройки рабочего пространства";
        ParticipantRole {} = "participant_role", en "must be 1 to 32 characters of a-z, 0-9 and _ (e.g. consultant)", ru "от 1 до 32 символов a-z, 0-9 и _ (например, consultant)";
        ParticipantTwice {} = "participant_twice", en "this user already takes part in the deal with this role", ru "этот пользователь уже участвует в сделке в этой роли";
        EmailTaken {} = "email_taken", en "this e-mail cannot be used", ru "этот e-mail нельзя использовать";
        KeyTaken {} = "key_taken", en "a custom field with this key already exists for this entity", ru "поле с таким ключом уже есть у этой сущности";
        Clash {} = "clash", en "the record clashes with an existing one", ru "запись совпадает с уже существующей";
        NoPersonToMark {} = "no_person_to_mark", en "the deal has no person to mark", ru "у сделки нет контакта, которого можно пометить";
        NoRecord { what: String, id: i64 } = "no_record", en "no {what} with id {id} in this workspace", ru "нет записи «{what}» с номером {id} в этом рабочем пространстве";
        CursorOtherSort {} = "cursor_other_sort", en "belongs to a different sort order; start again without a cursor", ru "относится к другой сортировке; начните сначала без курсора";
        CannotSort { name: String, sortable: Vec<String> } = "cannot_sort", en "cannot sort by '{name}'; sortable: {sortable} (prefix - for descending)", ru "нельзя сортировать по «{name}»; можно: {sortable} (минус — по убыванию)";
        UnknownFilter { entity: String } = "unknown_filter", en "unknown filter for {entity}", ru "нет такого фильтра для «{entity}»";
        NoDuplicates {} = "no_duplicates", en "only persons and organizations have duplicates and merge", ru "дубли и слияние есть только у контактов и компаний";
        MergeSelf {} = "merge_self", en "a record cannot be merged with itself", ru "запись нельзя объединить с самой собой";
        MergeBusy {} = "merge_busy", en "one of the records was just changed; try again", ru "одну из записей только что изменили; попробуйте ещё раз";
        TokensAdminOnly {} = "tokens_admin_only", en "only administrators see other users' tokens", ru "чужие токены видят только администраторы";
        UnlockAdminOnly {} = "unlock_admin_only", en "only administrators lift sign-in lockouts", ru "снимать блокировку входа могут только администраторы";
        NoTimeline {} = "no_timeline", en "only deals, persons and organizations have a timeline", ru "лента есть только у сделок, контактов и компаний";
        LocalLink {} = "local_link", en "must be a local path such as /deals/5", ru "нужен путь внутри системы, например /deals/5";
        PositiveInterval {} = "positive_interval", en "must be a positive interval", ru "нужен положительный интервал";
        RetryFailedOnly {} = "retry_failed_only", en "only a failed job can be retried", ru "повторить можно только задание с ошибкой";
        NotFilterable { entity: String } = "not_filterable", en "{entity} cannot be filtered with an expression", ru "«{entity}» нельзя отбирать выражением";
        UnknownEntity {} = "unknown_entity", en "unknown entity", ru "нет такого типа записей";
        DealNeedsPipeline {} = "deal_needs_pipeline", en "a deal must be in a pipeline", ru "сделка должна быть в воронке";
        DealNeedsStage {} = "deal_needs_stage", en "a deal must be in a stage", ru "сделка должна быть на этапе";
        StageNotInPipeline { stage: i64, pipeline: i64 } = "stage_not_in_pipeline", en "stage {stage} is not in pipeline {pipeline}", ru "этап {stage} не из воронки {pipeline}";
        PipelineNoStages { pipeline: i64 } = "pipeline_no_stages", en "pipeline {pipeline} has no stages (or does not exist)", ru "в воронке {pipeline} нет этапов (или её нет)";
        NoActivePipeline {} = "no_active_pipeline", en "the workspace has no active pipeline with stages; create one first", ru "в рабочем пространстве нет активной воронки с этапами; сначала создайте её";
        EnumOptions {} = "enum_options", en "an enum field needs at least one option", ru "у поля-списка должен быть хотя бы один вариант";
        OptionsEnumOnly {} = "options_enum_only", en "only enum fields have options", ru "варианты бывают только у поля-списка";
        FilterOwner {} = "filter_owner", en "only the owner changes a saved filter", ru "сохранённый фильтр меняет только его автор";
        IdentityTaken { id: i64, what: String } = "identity_taken", en "person {id} already has this {what}", ru "это значение ({what}) уже есть у контакта {id}";
        OwnAdminRole {} = "own_admin_role", en "you cannot take away your own administrator role", ru "нельзя снять с себя роль администратора";
        DemoSeedTaken { email: String, seed: i64 } = "demo_seed_taken",
            en "{email} already exists: demo data for seed {seed} is already here; use another seed",
            ru "{email} уже есть: демо-данные с зерном {seed} уже загружены; выберите другое зерно";
        DeactivateSelf {} = "deactivate_self", en "you cannot deactivate yourself", ru "нельзя отключить самого себя";
        UnknownMention { handle: String } = "unknown_mention",
            en "@{handle} is not a user of this workspace (mention a colleague by the first part of their e-mail)",
            ru "@{handle} — нет такого пользователя (упоминайте коллегу по первой части его e-mail)";
        InactiveMention { handle: String } = "inactive_mention", en "@{handle} is deactivated and would not see the note", ru "@{handle} отключён и не увидит заметку";
    }
}
