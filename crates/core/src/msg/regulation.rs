//! The stage regulation, stage gates, naming, entry tasks, SLAs and the working calendar.
use super::{catalogue, FieldName, RoleName};

catalogue! {
    /// Refusals and notices of the stage regulation and the calendar.
    RegulationMsg {
        StageNeedsFields { stage: String, fields: Vec<FieldName> } = "stage_needs_fields",
            en "to enter stage '{stage}' fill in: {fields}", ru "чтобы перейти на этап «{stage}», заполните: {fields}";
        BeyondRoleRange { role: RoleName, limit: String, stage: String } = "beyond_role_range",
            en "role {role} moves deals only up to stage '{limit}'; stage '{stage}' is beyond it",
            ru "роль «{role}» переводит сделки только до этапа «{limit}»; этап «{stage}» дальше";
        WinNeedsFields { fields: Vec<FieldName> } = "win_needs_fields",
            en "to win the deal fill in: {fields}", ru "чтобы выиграть сделку, заполните: {fields}";
        UnclosedBrace { at: String } = "unclosed_brace", en "'{{' at '{at}' is never closed", ru "«{{» в «{at}» не закрыта";
        StrayBrace {} = "stray_brace", en "'}}' without a matching '{{'", ru "«}}» без парной «{{»";
        UnknownPlaceholder { name: String, known: Vec<String> } = "unknown_placeholder",
            en "unknown placeholder {name}; known: {known}", ru "неизвестная подстановка {name}; доступны: {known}";
        DurationShape {} = "duration_shape", en "must be an amount and a unit: minutes, hours or days", ru "нужны число и единица: минуты, часы или дни";
        NotRequirable { name: String, choices: Vec<String> } = "not_requirable",
            en "'{name}' cannot be required; choose from {choices}", ru "поле «{name}» нельзя сделать обязательным; можно: {choices}";
        NamingShape {} = "naming_shape", en "must have a template and a mode: apply or check", ru "нужны шаблон и режим: apply или check";
        MaxTasks { n: i64 } = "max_tasks", en "at most {n} tasks per stage", ru "не больше {n} задач на этап";
        AssigneeShape {} = "assignee_shape",
            en "choose the owner, the head or a participant and give the role in Latin letters (e.g. consultant)",
            ru "выберите ответственного, руководителя или участника и укажите его роль латиницей (например, consultant)";
        RoleRangesShape {} = "role_ranges_shape", en "must be a list of roles, each with the last stage it may reach", ru "нужен список ролей, у каждой — последний доступный этап";
        RoleUnlimited {} = "role_unlimited", en "administrators and heads move deals anywhere", ru "администраторы и руководители переводят сделки на любой этап";
        NoStageInPipeline { id: i64 } = "no_stage_in_pipeline", en "no stage {id} in this pipeline", ru "в этой воронке нет этапа {id}";
        NoDealCustomField { key: String } = "no_deal_custom_field", en "no deal custom field '{key}'", ru "у сделок нет дополнительного поля «{key}»";
        NamingEmpty { template: String } = "naming_empty", en "the template '{template}' filled with these values is empty", ru "шаблон «{template}» с этими значениями пуст";
        NamingMissing { fields: Vec<FieldName> } = "naming_missing",
            en "the deal's name needs: {fields}", ru "для названия сделки не хватает: {fields}";
        TitleOffTemplate { stage: String, expected: String } = "title_off_template",
            en "The title does not follow the naming of stage '{stage}': expected '{expected}'",
            ru "Название сделки не по шаблону этапа «{stage}»: ожидается «{expected}»";
        FutureDate {} = "future_date", en "must be a future date", ru "нужна дата в будущем";
        ReturnToDeal { reason: String } = "return_to_deal", en "Return to the deal: {reason}", ru "Вернуться к сделке: {reason}";
        // The working calendar.
        HoursShape {} = "hours_shape", en "must be a list of intervals from HH:MM to HH:MM", ru "нужен список интервалов с ЧЧ:ММ до ЧЧ:ММ";
        HoursFormat {} = "hours_format", en "write intervals as 09:00-13:00, separated by commas", ru "пишите интервалы как 09:00-13:00, через запятую";
        NoHours {} = "no_hours", en "needs at least one interval", ru "нужен хотя бы один интервал";
        MaxIntervals { n: i64 } = "max_intervals", en "allows at most {n} intervals a day", ru "не больше {n} интервалов в день";
        NotTimeHm { s: String } = "not_time_hm", en "{s} is not a time HH:MM", ru "{s} — не время ЧЧ:ММ";
        TimeHm {} = "time_hm", en "must be a time HH:MM", ru "нужно время ЧЧ:ММ";
        Backwards { a: String } = "backwards", en "interval {a} must end after it starts", ru "интервал {a} должен заканчиваться позже, чем начинается";
        Overlap { a: String, b: String } = "overlap", en "intervals {a} and {b} overlap", ru "интервалы {a} и {b} пересекаются";
        Touch { a: String, b: String, c: String } = "touch",
            en "intervals {a} and {b} touch; write them as one interval {c}", ru "интервалы {a} и {b} стыкуются; запишите их одним интервалом {c}";
        CalendarShape {} = "calendar_shape",
            en "must be an object with days, start and end (or hours), holidays, workdays",
            ru "нужны рабочие дни, начало и конец (или интервалы), праздники и рабочие выходные";
        Weekdays {} = "weekdays", en "must list distinct weekdays 1 (Monday) to 7", ru "нужны разные дни недели от 1 (понедельник) до 7";
        NoDays {} = "no_days", en "needs at least one working day", ru "нужен хотя бы один рабочий день";
        HoursOrStartEnd {} = "hours_or_start_end", en "give either start and end or hours, not both", ru "укажите либо начало и конец, либо интервалы, не то и другое";
        EndAfterStart {} = "end_after_start", en "must be later than start", ru "должно быть позже начала";
        NeedsStartEnd {} = "needs_start_end", en "needs start and end, or hours", ru "нужны начало и конец или интервалы";
        Dates {} = "dates", en "must be dates YYYY-MM-DD", ru "даты пишутся как ГГГГ-ММ-ДД";
        WorkdayHoliday { d: String } = "workday_holiday", en "{d} is also listed as a holiday", ru "{d} указан и праздником";
    }
}
