//! Assistants: their settings, reasons and task texts.
use super::catalogue;

catalogue! {
    /// Assistants' refusals, reasons and task texts.
    AssistantMsg {
        UnknownAssistant { name: String, known: Vec<String> } = "unknown_assistant", en "unknown assistant '{name}'; assistants: {known}", ru "нет помощника «{name}»; есть: {known}";
        // Settings and access.
        UnknownSetting { known: Vec<String> } = "assistant_unknown_setting",
            en "not a setting of this assistant; settings: {known}", ru "у помощника нет такой настройки; есть: {known}";
        Days { min: i64, max: i64 } = "assistant_days",
            en "must be a whole number of days from {min} to {max}", ru "укажите целое число дней от {min} до {max}";
        Factor {} = "assistant_factor", en "must be a number above 0 and at most 100", ru "укажите число больше 0 и не больше 100";
        PoolIds {} = "assistant_pool_ids", en "must be a list of users (ids or e-mails)", ru "нужен список пользователей (номера или e-mail)";
        PoolUnknownEmail { email: String } = "assistant_pool_unknown_email",
            en "no user with the e-mail {email} in this workspace", ru "в пространстве нет пользователя с e-mail {email}";
        PoolEmpty {} = "assistant_pool_empty",
            en "the pool mode needs at least one user in the pool", ru "для режима «из пула» нужен хотя бы один пользователь в пуле";
        PoolInactive {} = "assistant_pool_inactive", en "no user of the pool is active", ru "в пуле нет ни одного активного пользователя";
        AdminOnly {} = "assistant_admin_only",
            en "only an administrator changes or runs assistants", ru "менять и запускать помощников может только администратор";
        ViewForbidden {} = "assistant_view_forbidden",
            en "only an administrator or a head sees the assistants", ru "помощников видят только администратор и руководитель";
        RunForbidden {} = "assistant_run_forbidden",
            en "a dry run needs an administrator or a head; a run needs an administrator",
            ru "пробный прогон доступен администратору и руководителю, запуск — только администратору";
        // Names.
        TitleForgotten {} = "assistant_title_forgotten", en "Forgotten clients", ru "Забытые клиенты";
        TitleRelease {} = "assistant_title_release", en "Client release", ru "Освобождение клиентов";
        TitleChurned {} = "assistant_title_churned", en "Churned clients", ru "Ушедшие клиенты";
        TitleUnpaid {} = "assistant_title_unpaid", en "Unpaid orders", ru "Неоплаченные заказы";
        TitleDebtors {} = "assistant_title_debtors", en "Debtors", ru "Должники";
        TitleEscalation {} = "assistant_title_escalation", en "Escalation", ru "Эскалация";
        // Reasons, task subjects and notices, stored in the workspace's language.
        ForgottenReason { days: i64, last: String } = "forgotten_reason",
            en "no activity for {days} days: the last was on {last}", ru "нет активности {days} дн.: последняя — {last}";
        ForgottenReasonNever { days: i64 } = "forgotten_reason_never",
            en "no activity for {days} days: there has never been any", ru "нет активности {days} дн.: активности не было ни разу";
        Revived {} = "forgotten_revived",
            en "activity again: the forgotten label is cleared", ru "снова есть активность: метка «забыт» снята";
        ForgottenTask { client: String } = "forgotten_task",
            en "Forgotten client “{client}”: get in touch or leave a note", ru "Забытый клиент «{client}»: свяжитесь или оставьте комментарий";
        ReleaseReason { days: i64, from: String, to: String } = "release_reason",
            en "forgotten and untouched for {days} more days: moved from {from} to {to} with its people and open deals",
            ru "забыт и без действий ещё {days} дн.: клиент передан от {from} к {to} вместе с контактами и открытыми сделками";
        ReleaseNotice { client: String } = "release_notice",
            en "Client “{client}” moved to another user", ru "Клиент «{client}» передан другому менеджеру";
        ChurnedReason { quiet: i64, limit: i64, purchases: i64 } = "churned_reason",
            en "no purchase for {quiet} days; their usual interval gives a limit of {limit} days ({purchases} purchases)",
            ru "не покупает {quiet} дн. при обычном интервале, дающем порог {limit} дн. ({purchases} покупок)";
        ChurnedReasonOnce { quiet: i64, limit: i64 } = "churned_reason_once",
            en "one purchase and nothing for {quiet} days (limit {limit} days)", ru "одна покупка и ничего {quiet} дн. (порог {limit} дн.)";
        ChurnedTask { client: String } = "churned_task",
            en "Churned client “{client}”: find out why and offer to come back",
            ru "Ушедший клиент «{client}»: узнайте причину и предложите вернуться";
        UnpaidReason { number: String, days: i64 } = "unpaid_reason",
            en "invoice {number} unpaid {days} days after issue", ru "счёт {number} не оплачен {days} дн. после выставления";
        UnpaidTask { number: String, client: String } = "unpaid_task",
            en "Invoice {number} (“{client}”) is unpaid: ask when it will be paid", ru "Счёт {number} («{client}») не оплачен: уточните сроки оплаты";
        DebtReason { number: String, days: i64 } = "debt_reason",
            en "invoice {number} is {days} days overdue", ru "просрочена оплата счёта {number}: {days} дн.";
        DebtTask { number: String, client: String } = "debt_task",
            en "Overdue receivable: invoice {number} (“{client}”)", ru "Дебиторская задолженность: счёт {number} («{client}»)";
        DebtEscalation { number: String, client: String, days: i64 } = "debt_escalation",
            en "Invoice {number} (“{client}”) is {days} days overdue; reminders did not help",
            ru "Счёт {number} («{client}») просрочен на {days} дн., напоминания не помогли";
        Escalation { task: String, days: i64 } = "assistant_escalation",
            en "An assistant's task is {days} days overdue: “{task}”", ru "Задача помощника просрочена на {days} дн.: «{task}»";
        // What a reminder could not be sent for, added to its reason.
        WithMissing { reason: String, missing: Vec<String> } = "assistant_with_missing", en "{reason} ({missing})", ru "{reason} ({missing})";
        NoEmail {} = "reminder_no_email", en "no e-mail", ru "нет e-mail";
        NoPhone {} = "reminder_no_phone", en "no phone", ru "нет телефона";
        NoEmailTemplate {} = "reminder_no_email_template", en "no e-mail template", ru "нет шаблона письма";
        NoSmsTemplate {} = "reminder_no_sms_template", en "no SMS template", ru "нет шаблона SMS";
    }
}
