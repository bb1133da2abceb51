//! The team: work schedules and routing by who is on shift.
use super::catalogue;

catalogue! {
    /// Work schedules, their exceptions and the routing decisions that read them.
    TeamMsg {
        ShiftShape {} = "schedule_shift_shape",
            en "a shift is {{day: 1–7 (1 = Monday), start: \"HH:MM\", end: \"HH:MM\"}}",
            ru "смена задаётся как {{day: 1–7 (1 — понедельник), start: \"ЧЧ:ММ\", end: \"ЧЧ:ММ\"}}";
        ShiftDay {} = "schedule_shift_day",
            en "the day of a shift is 1 (Monday) to 7 (Sunday)",
            ru "день смены — от 1 (понедельник) до 7 (воскресенье)";
        ShiftBackwards { a: String } = "schedule_shift_backwards",
            en "the shift {a} ends before it starts; a night shift is two shifts, one each day",
            ru "смена {a} заканчивается раньше, чем начинается; ночную смену задайте двумя сменами, по одной на день";
        ShiftOverlap { day: i64, a: String, b: String } = "schedule_shift_overlap",
            en "the shifts {a} and {b} overlap on weekday {day} (1 = Monday)",
            ru "смены {a} и {b} пересекаются в день недели {day} (1 — понедельник)";
        TooManyShifts { n: i64 } = "schedule_too_many_shifts",
            en "at most {n} shifts a week", ru "не больше {n} смен в неделю";
        ExceptionKind {} = "schedule_exception_kind",
            en "must be vacation, sick_leave, day_off or extra_shift",
            ru "допустимо: vacation (отпуск), sick_leave (больничный), day_off (выходной), extra_shift (дополнительная смена)";
        ExceptionDates {} = "schedule_exception_dates",
            en "the last day comes before the first", ru "последний день раньше первого";
        ExceptionTooLong { days: i64 } = "schedule_exception_too_long",
            en "an exception lasts at most {days} days", ru "исключение длится не больше {days} дней";
        ExtraShiftHours {} = "schedule_extra_shift_hours",
            en "an extra shift needs its start and end (HH:MM)", ru "для дополнительной смены укажите начало и конец (ЧЧ:ММ)";
        NotTime { s: String } = "schedule_not_time",
            en "'{s}' is not a time HH:MM", ru "«{s}» — не время ЧЧ:ММ";
        HeadsOnly {} = "schedule_heads_only",
            en "only a head of sales or an administrator changes schedules",
            ru "графики меняют руководитель отдела продаж и администратор";
        // Why routing chose whom it chose (an intake event's result, the routing answer).
        RouteOwnerOnShift {} = "route_owner_on_shift",
            en "the client's manager is on shift", ru "менеджер клиента на смене";
        RouteNextOnShift {} = "route_next_on_shift",
            en "the client's manager is not on shift: the next colleague on shift in the team",
            ru "менеджер клиента не на смене: следующий коллега на смене из его команды";
        RouteNewClient {} = "route_new_client",
            en "a new client: the next manager on shift", ru "новый клиент: следующий менеджер на смене";
        RouteHeadNobodyOnShift {} = "route_head_nobody_on_shift",
            en "nobody of the team is on shift: the team's head",
            ru "никого из команды нет на смене: руководитель команды";
    }
}
