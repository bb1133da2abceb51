//! The regulation document (seed 004): its headings, the fixed sections every workspace shares,
//! the lines generated from the configuration, and the stage linter's findings with their advice.
use super::{catalogue, FieldName, RoleName};

catalogue! {
    /// The regulation document and the stage linter.
    RegDocMsg {
        // The stage linter.
        VagueActivity { stage: String } = "stage_name_vague",
            en "Stage '{stage}' names an activity, not a result: a manager cannot tell when it is done. Name the result the stage ends with, e.g. 'Proposal sent', 'Meeting scheduled'.",
            ru "Этап «{stage}» называет процесс, а не результат: менеджер не поймёт, когда он завершён. Назовите результат, которым этап заканчивается, например «Отправлено КП», «Назначена встреча».";
        VagueWaiting { stage: String } = "stage_name_waiting",
            en "Stage '{stage}' names a wait, not a result. Name what was done before waiting ('Proposal sent', 'Invoice issued') and give the stage an entry task with a due date to follow up.",
            ru "Этап «{stage}» называет ожидание, а не результат. Назовите то, что сделано перед ожиданием («Отправлено КП», «Выставлен счёт»), и поставьте на этапе задачу с дедлайном на контрольный звонок.";
        VagueThinking { stage: String } = "stage_name_thinking",
            en "Stage '{stage}' describes the client's mood, not a result. Name the step the client has passed, e.g. 'Presentation held', 'Budget agreed'.",
            ru "Этап «{stage}» описывает настроение клиента, а не результат. Назовите пройденный клиентом шаг, например «Проведена презентация», «Согласован бюджет».";
        NoGoal { stage: String } = "stage_no_goal",
            en "Stage '{stage}' has no goal: write its exit criterion — what must be true for a deal to leave it.",
            ru "У этапа «{stage}» нет цели: запишите критерий выхода — что должно быть сделано, чтобы сделка ушла с этапа.";
        // Headings.
        Title { workspace: String } = "doc_title", en "CRM regulation: {workspace}", ru "Регламент работы в CRM: {workspace}";
        VersionLine { version: i64, date: String } = "doc_version_line", en "Version {version} of {date}", ru "Версия {version} от {date}";
        HPurpose {} = "doc_h_purpose", en "1. Why we work in the CRM", ru "1. Цель работы в CRM";
        HContents {} = "doc_h_contents", en "2. Contents", ru "2. Оглавление";
        HTour {} = "doc_h_tour", en "3. A tour of the CRM", ru "3. Экскурсия по CRM";
        HNaming {} = "doc_h_naming", en "4. Deal names", ru "4. Названия сделок";
        HLeads {} = "doc_h_leads", en "5. Where leads come from and duplicates", ru "5. Откуда приходят лиды и что делать с дублями";
        HPipelines {} = "doc_h_pipelines", en "6. Deals through the pipeline", ru "6. Сделки по воронке продаж";
        HStatuses {} = "doc_h_statuses", en "7. Deal statuses and reasons", ru "7. Статусы сделок и причины";
        HRules {} = "doc_h_rules", en "8. Order in the CRM: the rules", ru "8. Порядок в CRM: правила";
        HComments {} = "doc_h_comments", en "9. Comments", ru "9. Комментарии";
        HTelephony {} = "doc_h_telephony", en "10. Telephony", ru "10. Телефония";
        HTasks {} = "doc_h_tasks", en "11. Tasks and reminders", ru "11. Задачи и напоминания";
        // 1. Purpose.
        Purpose1 {} = "doc_purpose_1",
            en "Every client, call, letter and deal lives in the CRM and only there: what is not in the CRM did not happen. Then nobody loses a client when a colleague is away, and the head sees the real pipeline, not a report written afterwards.",
            ru "Каждый клиент, звонок, письмо и сделка ведутся в CRM и только в ней: чего нет в CRM, того не было. Тогда клиент не теряется, когда коллега в отпуске, а руководитель видит настоящую воронку, а не отчёт, написанный задним числом.";
        Purpose2 {} = "doc_purpose_2",
            en "This regulation is generated from the CRM's own settings: every required field, task and deadline written here is what the CRM checks. When the settings change, the document changes with them, changes are highlighted in yellow for a while and everyone is notified.",
            ru "Этот регламент составлен из настроек самой CRM: каждое обязательное поле, задача и срок, описанные здесь, CRM проверяет. Когда настройки меняются, документ меняется вместе с ними, изменения на время выделяются жёлтым, и все получают уведомление.";
        // 3. Tour.
        TourBoard {} = "doc_tour_board", en "Pipeline: deals as cards by stage; drag a card to move the deal. A red mark means the deal is rotting or has no next task.", ru "Воронка: сделки карточками по этапам; перетащите карточку, чтобы перевести сделку. Красная отметка — сделка «протухает» или у неё нет следующей задачи.";
        TourCard {} = "doc_tour_card", en "Deal card: fields, participants, the timeline of calls, letters, notes and changes, the tasks and the documents.", ru "Карточка сделки: поля, участники, лента звонков, писем, заметок и изменений, задачи и документы.";
        TourToday {} = "doc_tour_today", en "Today: your tasks for today and the overdue ones — start the day here.", ru "«Сегодня»: ваши задачи на сегодня и просроченные — день начинается здесь.";
        TourLists {} = "doc_tour_lists", en "Lists of deals, people and organizations with filters and saved views: find the clients of a segment or the deals with a task on a date.", ru "Списки сделок, людей и организаций с фильтрами и сохранёнными видами: найдите клиентов сегмента или сделки с задачей на нужную дату.";
        TourNotifications {} = "doc_tour_notifications", en "Notifications (the bell): assigned tasks, missed deadlines, mentions and new versions of this regulation.", ru "Уведомления (колокольчик): назначенные задачи, нарушенные сроки, упоминания и новые версии этого регламента.";
        TourAudit {} = "doc_tour_audit", en "Violations: what the rules of section 8 found in your deals, with how to fix each.", ru "Нарушения: что правила раздела 8 нашли в ваших сделках и как исправить каждое.";
        TourSettings {} = "doc_tour_settings", en "Settings (heads and administrators): pipelines and stages, fields, rules, sources of leads.", ru "Настройки (руководители и администраторы): воронки и этапы, поля, правила, источники лидов.";
        // 4. Naming.
        NamingIntro {} = "doc_naming_intro",
            en "A deal's name tells what it is without opening it. At the stages below the CRM names deals itself (or checks the name) by a template.",
            ru "Название сделки говорит, что это за сделка, без открытия карточки. На этапах ниже CRM сама называет сделки (или проверяет название) по шаблону.";
        NamingNone {} = "doc_naming_none", en "No stage names deals by a template yet: name a deal 'what — for whom'.", ru "Пока ни один этап не называет сделки по шаблону: называйте сделку «что — для кого».";
        NamingApply { stage: String, template: String, example: String } = "doc_naming_apply",
            en "'{stage}': the CRM renames the deal to {template}. Example: {example}", ru "«{stage}»: CRM переименует сделку по шаблону {template}. Пример: {example}";
        NamingCheck { stage: String, template: String, example: String } = "doc_naming_check",
            en "'{stage}': name the deal as {template}; the CRM flags a name that does not follow it. Example: {example}",
            ru "«{stage}»: назовите сделку по шаблону {template}; CRM отметит название не по шаблону. Пример: {example}";
        // 5. Leads.
        LeadsIntro {} = "doc_leads_intro",
            en "Calls, forms, messages and letters from these sources become deals on their own, with the source recorded:",
            ru "Звонки, заявки, сообщения и письма из этих источников сами становятся сделками с указанием источника:";
        LeadsNone {} = "doc_leads_none", en "No sources are connected: leads are entered by hand.", ru "Источники не подключены: лиды заносятся вручную.";
        LeadSource { name: String, kind: String } = "doc_lead_source", en "{name} ({kind})", ru "{name} ({kind})";
        LeadsManual {} = "doc_leads_manual",
            en "A lead that came another way (a walk-in, a colleague's referral) is entered by hand with its source: the new-deal form on the pipeline.",
            ru "Лид, пришедший иначе (зашёл в офис, передал коллега), заносится вручную с указанием источника: форма новой сделки на воронке.";
        LeadsDuplicates {} = "doc_leads_duplicates",
            en "Duplicates: a call or message from a known phone or e-mail lands on that client's card, not a new one. Two cards of the same client are merged on the Duplicates page; the history of both is kept.",
            ru "Дубли: звонок или сообщение с известного телефона или e-mail попадает в карточку этого клиента, а не в новую. Две карточки одного клиента объединяются на странице «Дубли»; история обеих сохраняется.";
        LeadsNotLead {} = "doc_leads_not_lead",
            en "A call that is not a client (a wrong number, spam) is marked 'not a lead' with its reason, not deleted.",
            ru "Обращение не от клиента (ошиблись номером, спам) отмечается «не лид» с причиной, а не удаляется.";
        // 6. Pipelines and stages.
        PipelinesIntro {} = "doc_pipelines_intro",
            en "Each stage states its goal: the result a deal must reach to leave it. Fields marked * must be filled before a deal enters the stage — the CRM will not move it otherwise.",
            ru "У каждого этапа записана цель: результат, с которым сделка уходит с этапа. Поля, отмеченные *, нужно заполнить до перехода на этап — иначе CRM не переведёт сделку.";
        PipelineHeading { name: String } = "doc_pipeline", en "Pipeline '{name}'", ru "Воронка «{name}»";
        RoleRange { role: RoleName, stage: String } = "doc_role_range", en "{role} moves deals up to '{stage}'", ru "{role} переводит сделки до этапа «{stage}»";
        WonNeeds { fields: Vec<FieldName> } = "doc_won_needs", en "To win a deal: * {fields}", ru "Чтобы выиграть сделку: * {fields}";
        StageHeading { n: i64, name: String } = "doc_stage", en "{n}. {name}", ru "{n}. {name}";
        Goal { goal: String } = "doc_goal", en "Goal: {goal}", ru "Цель: {goal}";
        Probability { p: i64 } = "doc_probability", en "Probability of winning: {p} %", ru "Вероятность выигрыша: {p} %";
        Rotting { days: i64 } = "doc_rotting", en "A deal left here for {days} days without activity is marked as rotting.", ru "Сделка без активности {days} дн. на этапе отмечается как «протухшая».";
        RequiredHeading {} = "doc_required", en "Required to enter:", ru "Обязательно для перехода:";
        RequiredField { field: FieldName } = "doc_required_field", en "* {field}", ru "* {field}";
        RequiredFile { kind: String } = "doc_required_file", en "* file: {kind}", ru "* файл: {kind}";
        NoRequired {} = "doc_no_required", en "No required fields.", ru "Обязательных полей нет.";
        TasksHeading {} = "doc_tasks", en "Tasks the CRM sets on entry:", ru "Задачи, которые CRM ставит при переходе:";
        EntryTask { subject: String, due: String, who: String } = "doc_entry_task", en "{subject} — due {due}, for {who}", ru "{subject} — срок {due}, исполнитель: {who}";
        DueMinutes { n: i64 } = "doc_due_minutes", en "in {n} working minutes", ru "через {n} раб. мин.";
        DueHours { n: i64 } = "doc_due_hours", en "in {n} working hours", ru "через {n} раб. ч";
        DueDays { n: i64 } = "doc_due_days", en "in {n} working days", ru "через {n} раб. дн.";
        WhoOwner {} = "doc_who_owner", en "the deal's owner", ru "ответственный по сделке";
        WhoHead {} = "doc_who_head", en "the head", ru "руководитель";
        WhoParticipant { role: String } = "doc_who_participant", en "the participant '{role}'", ru "участник «{role}»";
        Sla { due: String } = "doc_sla", en "SLA: the deal must move on {due}; otherwise the head is notified.", ru "SLA: сделка должна уйти с этапа {due}, иначе руководитель получит уведомление.";
        // 7. Statuses.
        StatusesIntro {} = "doc_statuses_intro",
            en "A deal ends won, lost or frozen. Close a deal honestly: a lost deal with its reason is worth more to the head than an open deal that will never close.",
            ru "Сделка завершается выигрышем, проигрышем или заморозкой. Закрывайте сделки честно: проигранная сделка с причиной полезнее руководителю, чем открытая, которая никогда не закроется.";
        StatusWon {} = "doc_status_won", en "Won: check the amount, the contacts and the documents before closing.", ru "Выиграна: перед закрытием проверьте сумму, контакты и документы.";
        StatusLost {} = "doc_status_lost", en "Lost: choose the reason and write in a comment what happened.", ru "Проиграна: выберите причину и напишите в комментарии, что произошло.";
        StatusFrozen {} = "doc_status_frozen", en "Frozen: choose the reason and the date to come back; the CRM sets the task for that date.", ru "Заморожена: выберите причину и дату возврата; CRM поставит задачу на эту дату.";
        LostReasons { list: Vec<String> } = "doc_lost_reasons", en "Reasons for a lost deal: {list}", ru "Причины проигрыша: {list}";
        FrozenReasons { list: Vec<String> } = "doc_frozen_reasons", en "Reasons for freezing: {list}", ru "Причины заморозки: {list}";
        NotLeadReasons { list: Vec<String> } = "doc_not_lead_reasons", en "Reasons for 'not a lead': {list}", ru "Причины «не лид»: {list}";
        FreeReasons {} = "doc_free_reasons", en "Lost and frozen reasons are written in free text.", ru "Причины проигрыша и заморозки пишутся свободным текстом.";
        // 8. Rules.
        RulesIntro {} = "doc_rules_intro",
            en "The CRM checks these rules regularly; what breaks them appears in Violations for the responsible user.",
            ru "CRM регулярно проверяет эти правила; нарушения попадают в раздел «Нарушения» ответственного.";
        RulesNone {} = "doc_rules_none", en "No rules are enabled.", ru "Правила не включены.";
        RuleWhy { why: String } = "doc_rule_why", en "Why: {why}", ru "Зачем: {why}";
        RuleFix { fix: String } = "doc_rule_fix", en "How to fix: {fix}", ru "Как исправить: {fix}";
        // 9–11. Fixed sections.
        Comments1 {} = "doc_comments_1",
            en "After every contact write a note on the deal: who you spoke with, what was agreed and what happens next. 'Called' is not a note; 'Called Ivan, he asked for the proposal by Friday' is.",
            ru "После каждого контакта пишите заметку в сделке: с кем говорили, о чём договорились и что дальше. «Позвонил» — не заметка; «Позвонил Ивану, просит КП до пятницы» — заметка.";
        Comments2 {} = "doc_comments_2",
            en "To ask a colleague, mention them with @ in a note: they are notified and the question stays on the deal.",
            ru "Чтобы спросить коллегу, упомяните его через @ в заметке: он получит уведомление, а вопрос останется в сделке.";
        Telephony1 {} = "doc_telephony_1",
            en "Calls are made and received through the CRM's telephony: each call appears on the client's card with its recording.",
            ru "Звонки совершаются и принимаются через телефонию CRM: каждый звонок появляется в карточке клиента с записью разговора.";
        Telephony2 {} = "doc_telephony_2",
            en "A missed call becomes a task for the deal's owner: call back the same working day.",
            ru "Пропущенный звонок становится задачей ответственного: перезвонить в тот же рабочий день.";
        Tasks1 {} = "doc_tasks_1",
            en "Every open deal has a next task with a date. A deal without a task is marked on the pipeline and counted as a violation.",
            ru "У каждой открытой сделки есть следующая задача с датой. Сделка без задачи отмечается на воронке и считается нарушением.";
        Tasks2 {} = "doc_tasks_2",
            en "Close a task when it is done and set the next one at once. Today's and overdue tasks are on the Today page.",
            ru "Закрывайте задачу, когда она выполнена, и сразу ставьте следующую. Задачи на сегодня и просроченные — на странице «Сегодня».";
        // Changes and notifications.
        ChangedSince { date: String } = "doc_changed_since", en "Changes since {date} are highlighted.", ru "Изменения с {date} выделены.";
        Removed { item: String } = "doc_removed", en "Removed: {item}", ru "Удалено: {item}";
        NewVersionTitle { version: i64 } = "doc_new_version_title", en "The regulation has changed: version {version}", ru "Регламент изменился: версия {version}";
        NewVersionSummary { added: i64, changed: i64, removed: i64, items: Vec<String> } = "doc_new_version_summary",
            en "Added: {added}, changed: {changed}, removed: {removed}. {items}",
            ru "Добавлено: {added}, изменено: {changed}, удалено: {removed}. {items}";
    }
}
