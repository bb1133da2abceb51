//! Hygiene rules, audit rounds, violations and answers.
use super::catalogue;

catalogue! {
    /// Hygiene rules, audit rounds, violations and answers.
    AuditMsg {
        NotRuleParam {} = "not_rule_param", en "is not a parameter of the rule catalogue", ru "не параметр каталога правил";
        // The rule catalogue's parameters.
        UnclosedTemplate {} = "rule_template_unclosed",
            en "has an unclosed brace in its template", ru "в шаблоне правила не закрыта фигурная скобка";
        ParamNotDeclared { rule: String } = "rule_param_not_declared",
            en "is not declared by rule {rule}", ru "не объявлен в правиле {rule}";
        StageName {} = "rule_param_stage", en "must name a stage", ru "укажите название этапа";
        PipelineName {} = "rule_param_pipeline", en "must name a pipeline", ru "укажите название воронки";
        MarkerEmpty {} = "rule_param_marker_empty", en "must not be empty", ru "не может быть пустым";
        FieldKey {} = "rule_param_field_key",
            en "must be a custom field key (letters, digits and _)", ru "нужен ключ дополнительного поля (буквы, цифры и _)";
        ParamDays { max: i64 } = "rule_param_days",
            en "must be a whole number of days from 0 to {max}", ru "укажите целое число дней от 0 до {max}";
        RuleDoesNotFit { error: String } = "rule_does_not_fit",
            en "does not fit this workspace: {error}; set its parameters",
            ru "не подходит к этому рабочему пространству: {error}; задайте параметры правила";
        // Rules.
        Criticality {} = "rule_criticality", en "must be 1 (critical) or 2 (important)", ru "1 (критичное) или 2 (важное)";
        Responsible { roles: Vec<String> } = "rule_responsible",
            en "must be owner or a role: {roles}", ru "ответственный — владелец записи (owner) или роль: {roles}";
        ParamsObject {} = "rule_params_object", en "must be an object of names", ru "нужен объект с названиями";
        // Access.
        ManageForbidden {} = "audit_manage_forbidden",
            en "only heads and administrators manage rules, rounds and reviews",
            ru "правила, раунды и проверки ведут только руководители и администраторы";
        AnswerForbidden {} = "violation_answer_forbidden",
            en "only the responsible user answers a violation", ru "ответить по нарушению может только ответственный";
        ReviewForbidden {} = "violation_review_forbidden", en "only heads review violations", ru "проверяют нарушения только руководители";
        ExportForbidden {} = "round_export_forbidden",
            en "only heads, administrators and analysts export rounds", ru "выгружать раунды могут только руководители, администраторы и аналитики";
        // Rounds and violations.
        RoundRunning {} = "round_running", en "a round is already running in this workspace", ru "раунд аудита уже идёт";
        RoundTask { round: i64, n: i64, when: String } = "round_task",
            en "Answer your {n} violations of audit round {round} by {when}", ru "Ответить по нарушениям аудита №{round} ({n}) до {when}";
        ViolationClosed {} = "violation_closed", en "the violation is closed", ru "нарушение закрыто";
        ViolationAlreadyClosed {} = "violation_already_closed", en "the violation is already closed", ru "нарушение уже закрыто";
        CommentNotFixed {} = "violation_comment_not_fixed",
            en "is required when the violation is not fixed", ru "напишите комментарий: почему нарушение не исправлено";
        CommentWarning {} = "violation_comment_warning",
            en "is required with a warning", ru "к предупреждению нужен комментарий";
    }
}
