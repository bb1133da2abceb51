//! Sales plans, their import and the plan-fact report.
use super::catalogue;

catalogue! {
    /// Sales plans: targets per manager or team per month or quarter.
    PlanMsg {
        PeriodShape {} = "plan_period_shape",
            en "must be a month such as 2026-11 or a quarter such as 2026-Q4",
            ru "укажите месяц (например, 2026-11) или квартал (например, 2026-Q4)";
        ReportPeriod {} = "plan_fact_period",
            en "plan vs fact covers a whole calendar month or quarter (from its first day to its last)",
            ru "план-факт строится за целый календарный месяц или квартал (с первого по последний день)";
        ValueShape {} = "plan_value_shape",
            en "must be a whole number, zero or more (revenue in minor units)",
            ru "нужно целое число не меньше нуля (выручка — в копейках)";
        ValueTooLarge {} = "plan_value_too_large", en "is too large", ru "слишком большое число";
        OneTarget {} = "plan_one_target",
            en "a plan is for one manager (user_id) or one team (team_id)",
            ru "план ставится одному менеджеру (user_id) или одной команде (team_id)";
        NoUser { id: i64 } = "plan_no_user", en "no active user {id} in this workspace", ru "в пространстве нет активного пользователя {id}";
        NoTeam { id: i64 } = "plan_no_team", en "no team {id} in this workspace", ru "в пространстве нет команды {id}";
        Exists { id: i64 } = "plan_exists",
            en "this plan is already set (plan {id}); change that one instead",
            ru "такой план уже задан (план {id}); измените его";
        HeadsOnly {} = "plan_heads_only",
            en "only a head of sales or an administrator sets plans",
            ru "планы ставят руководитель отдела продаж и администратор";
        ChangeByValue {} = "plan_change_value",
            en "only the value of a plan changes; delete it and create another for a different manager, period or metric",
            ru "у плана меняется только значение; для другого менеджера, периода или показателя удалите его и создайте новый";
        // The import of a plan sheet.
        MissingColumns { columns: Vec<String> } = "plan_import_missing_columns",
            en "the file has no column {columns}", ru "в файле нет столбца {columns}";
        NoMetricColumns {} = "plan_import_no_metrics",
            en "the file has no plan column: revenue, won deals, calls, e-mails or invoices",
            ru "в файле нет ни одного столбца плана: выручка, сделки, звонки, письма или счета";
        UnknownManager { raw: String } = "plan_import_unknown_manager",
            en "no active user named “{raw}” or with that e-mail", ru "нет активного пользователя с именем или e-mail «{raw}»";
        AmbiguousManager { raw: String } = "plan_import_ambiguous_manager",
            en "several users are named “{raw}”; give the e-mail", ru "пользователей с именем «{raw}» несколько; укажите e-mail";
        NotCount { raw: String } = "plan_import_not_count",
            en "“{raw}” is not a whole number zero or more", ru "«{raw}» — не целое число не меньше нуля";
        NotPeriod { raw: String } = "plan_import_not_period",
            en "“{raw}” is not a month (2026-11, 11.2026, November 2026) or a quarter (2026-Q4)",
            ru "«{raw}» — не месяц (2026-11, 11.2026, ноябрь 2026) и не квартал (2026-Q4)";
        DuplicateRow { first: i64 } = "plan_import_duplicate",
            en "the same manager and period as line {first}", ru "тот же менеджер и период, что в строке {first}";
    }
}
