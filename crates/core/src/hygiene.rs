//! The built-in catalogue of hygiene rules ("order in the CRM", PRODUCT.md §2): every rule of
//! the seed's list as data — name, criticality, the FAQ (why it matters, how to fix it) and a
//! filter-language template whose workspace-specific parts (stage and pipeline names, custom
//! field keys, day counts, marker texts) are parameters — and [`bind`], which fills a template
//! into an expression the filter checker accepts.
//!
//! A parameter key means the same thing in every rule that uses it, so a workspace whose stages
//! or fields are named differently maps each key once ([`PARAMS`] lists them all) and every rule
//! follows. The defaults are the names of the demo workspace.
//!
//! Deal rules about work in progress (fields a stage needs, owners, names, source) look at open
//! deals only: a won or lost deal is history, and listing it would bury a manager's real
//! violations under ones no one can act on.
use crate::error::FieldError;
use crate::filter::quote;
use crate::msg::{AuditMsg, Common, Lang};
use crate::schema::Entity;
use std::collections::HashMap;

/// What a parameter stands for, which decides how [`bind`] writes it into the expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// A stage name, written as a string literal.
    Stage,
    /// A pipeline name, written as a string literal.
    Pipeline,
    /// The key of a custom field of that entity, written as a field name.
    Field(Entity),
    /// A whole number of days, written bare (`{days}d` becomes `7d`).
    Number,
    /// Free text, written as a string literal.
    Text,
}

impl ParamKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ParamKind::Stage => "stage",
            ParamKind::Pipeline => "pipeline",
            ParamKind::Field(_) => "field",
            ParamKind::Number => "number",
            ParamKind::Text => "text",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param {
    pub key: &'static str,
    pub kind: ParamKind,
    /// The value in the demo workspace.
    pub default: &'static str,
    pub label_ru: &'static str,
    pub label_en: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogueRule {
    pub key: &'static str,
    pub entity: Entity,
    /// 1 critical, 2 important.
    pub criticality: u8,
    pub name_ru: &'static str,
    pub name_en: &'static str,
    /// Why it matters (the FAQ's first half).
    pub why_ru: &'static str,
    pub why_en: &'static str,
    /// How to fix a hit (the FAQ's second half).
    pub fix_ru: &'static str,
    pub fix_en: &'static str,
    /// A filter expression with `{param}` placeholders.
    pub template: &'static str,
    /// The parameters `template` uses, each once.
    pub params: &'static [Param],
}

impl CatalogueRule {
    /// The rule's name in `lang`.
    pub fn name(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Ru => self.name_ru,
            Lang::En => self.name_en,
        }
    }

    /// Why the rule matters, in `lang`.
    pub fn why(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Ru => self.why_ru,
            Lang::En => self.why_en,
        }
    }

    /// How to fix a hit, in `lang`.
    pub fn fix(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Ru => self.fix_ru,
            Lang::En => self.fix_en,
        }
    }
}

const fn param(key: &'static str, kind: ParamKind, default: &'static str, label_ru: &'static str, label_en: &'static str) -> Param {
    Param { key, kind, default, label_ru, label_en }
}

const STAGE_ACCEPTED: Param =
    param("stage_accepted", ParamKind::Stage, "Принял в работу", "Этап «Принял в работу»", "The \"accepted\" stage");
const STAGE_DEMO_DONE: Param =
    param("stage_demo_done", ParamKind::Stage, "Проведено демо", "Этап «Проведено демо»", "The \"demo done\" stage");
const STAGE_PROPOSAL_SENT: Param =
    param("stage_proposal_sent", ParamKind::Stage, "Отправлено КП", "Этап «Отправлено КП»", "The \"proposal sent\" stage");
// The demo pipeline has no stage of its own for the free trial: the trial starts with the demo.
const STAGE_TRIAL: Param = param(
    "stage_trial",
    ParamKind::Stage,
    "Проведено демо",
    "Этап, на котором идет бесплатный тестовый период",
    "The stage during which the free trial runs",
);
const PIPELINE_CLIENTS: Param = param("pipeline_clients", ParamKind::Pipeline, "Клиенты", "Воронка «Клиенты»", "The \"Clients\" pipeline");
const PIPELINE_PARTNERS: Param =
    param("pipeline_partners", ParamKind::Pipeline, "Партнеры", "Воронка «Партнеры»", "The \"Partners\" pipeline");
const FIELD_CITY: Param =
    param("field_city", ParamKind::Field(Entity::Organization), "city", "Поле «Город» организации", "The organization's \"city\" field");
const FIELD_COUNTRY: Param = param(
    "field_country",
    ParamKind::Field(Entity::Organization),
    "country",
    "Поле «Страна» организации",
    "The organization's \"country\" field",
);
const FIELD_TRAFFIC: Param =
    param("field_traffic", ParamKind::Field(Entity::Deal), "traffic", "Поле «Посещаемость» сделки", "The deal's \"site traffic\" field");
const FIELD_BUDGET: Param =
    param("field_budget", ParamKind::Field(Entity::Deal), "budget", "Поле «Бюджет» сделки", "The deal's \"budget\" field");
const FIELD_DEMO_LINK: Param = param(
    "field_demo_link",
    ParamKind::Field(Entity::Deal),
    "demo_link",
    "Поле «Ссылка на запись демо» сделки",
    "The deal's \"demo recording link\" field",
);
const FIELD_PROPOSAL_LINK: Param = param(
    "field_proposal_link",
    ParamKind::Field(Entity::Deal),
    "proposal_link",
    "Поле «Ссылка на КП» сделки",
    "The deal's \"proposal link\" field",
);
const FIELD_IS_AGENCY: Param = param(
    "field_is_agency",
    ParamKind::Field(Entity::Organization),
    "is_agency",
    "Поле «Агентство ли это» организации (да/нет)",
    "The organization's \"is agency\" field (yes/no)",
);
const FIELD_PARTNER_ORG: Param = param(
    "field_partner_org",
    ParamKind::Field(Entity::Organization),
    "partner_org",
    "Поле «Партнерская организация» организации",
    "The organization's \"partner organization\" field",
);
const DAYS_ACCEPTED: Param = param(
    "days_accepted",
    ParamKind::Number,
    "7",
    "Сколько дней сделка может быть «Принята в работу»",
    "Days a deal may stay \"accepted\"",
);
const DAYS_NO_PROGRESS: Param = param(
    "days_no_progress",
    ParamKind::Number,
    "14",
    "Сколько дней сделка может стоять на одном этапе",
    "Days a deal may stay at one stage",
);
const DAYS_TRIAL: Param =
    param("days_trial", ParamKind::Number, "14", "Длительность бесплатного тестового периода, дней", "Length of the free trial, in days");
const TEXT_FROM_PARTNER: Param = param(
    "text_from_partner",
    ParamKind::Text,
    "от партнера",
    "Текст в названии организации, пришедшей от партнера",
    "Text in the name of an organization referred by a partner",
);
// The naming convention of deals is "<organization> — <product>" (a stage's naming template).
const TITLE_MARK: Param =
    param("title_mark", ParamKind::Text, " — ", "Что обязательно есть в названии сделки", "Text every well-formed deal title contains");
const ORG_NAME_MARK: Param = param(
    "org_name_mark",
    ParamKind::Text,
    "«",
    "Что обязательно есть в названии организации (кавычки вокруг названия)",
    "Text every well-formed organization name contains (the quotes around the name)",
);
// Sole traders are written without quotes ("ИП Иванов А. Б."), so they are let off the mark.
const SOLE_TRADER_PREFIX: Param = param(
    "sole_trader_prefix",
    ParamKind::Text,
    "ИП ",
    "С чего начинается название индивидуального предпринимателя",
    "How the name of a sole trader starts",
);

/// Every parameter of the catalogue, once each.
pub const PARAMS: &[Param] = &[
    STAGE_ACCEPTED,
    STAGE_DEMO_DONE,
    STAGE_PROPOSAL_SENT,
    STAGE_TRIAL,
    PIPELINE_CLIENTS,
    PIPELINE_PARTNERS,
    FIELD_CITY,
    FIELD_COUNTRY,
    FIELD_TRAFFIC,
    FIELD_BUDGET,
    FIELD_DEMO_LINK,
    FIELD_PROPOSAL_LINK,
    FIELD_IS_AGENCY,
    FIELD_PARTNER_ORG,
    DAYS_ACCEPTED,
    DAYS_NO_PROGRESS,
    DAYS_TRIAL,
    TEXT_FROM_PARTNER,
    TITLE_MARK,
    ORG_NAME_MARK,
    SOLE_TRADER_PREFIX,
];

/// Open deal with no open task. Any activity not done counts as the next step, as on the board.
const OPEN_WITHOUT_TASK: CatalogueRule = CatalogueRule {
    key: "open_without_task",
    entity: Entity::Deal,
    criticality: 1,
    name_ru: "Сделка в работе без задач",
    name_en: "Open deal with no open task",
    why_ru: "Сделка в работе без задачи — значит, работа по ней не ведется: клиент забыт и уйдет к конкуренту.",
    why_en: "An open deal without a task is a deal nobody works on: the client is forgotten and goes to a competitor.",
    fix_ru: "Поставьте задачу со сроком на следующий шаг (звонок, встреча, КП) или закройте сделку с причиной.",
    fix_en: "Add a task with a due date for the next step (a call, a meeting, a proposal), or close the deal with a reason.",
    template: "status = open and not exists activity(done = false)",
    params: &[],
};

const FROZEN_WITHOUT_TASK: CatalogueRule = CatalogueRule {
    key: "frozen_without_task",
    entity: Entity::Deal,
    criticality: 1,
    name_ru: "Замороженная сделка без задач",
    name_en: "Frozen deal with no task",
    why_ru: "Замороженная сделка временно проиграна, и к ней нужно обязательно вернуться: сайт клиента в разработке, \
             несезон, сменился маркетолог, клиент утверждает бюджет. Без задачи к ней никто не вернется.",
    why_en: "A frozen deal is lost for now and must be picked up again (the site is being built, off-season, a new \
             marketer, the budget is being approved). Without a task nobody comes back to it.",
    fix_ru: "Поставьте задачу «вернуться к клиенту» на дату, когда причина заморозки отпадет.",
    fix_en: "Add a \"get back to the client\" task for the date the reason for freezing goes away.",
    template: "status = frozen and not exists activity(done = false)",
    params: &[],
};

/// The seed's "proposal sent or any other action at a deeper stage" is the stage order: the
/// proposal stage and every stage after it. A value of 0 is no value.
const NO_VALUE_AFTER_PROPOSAL: CatalogueRule = CatalogueRule {
    key: "no_value_after_proposal",
    entity: Entity::Deal,
    criticality: 1,
    name_ru: "Нет суммы сделки после отправки КП",
    name_en: "No deal value after the proposal",
    why_ru: "Без суммы не посчитать прогноз, план-факт и воронку в деньгах, а после КП сумма уже известна.",
    why_en: "Without a value there is no forecast, no plan vs fact and no funnel in money; once a proposal is sent the value is known.",
    fix_ru: "Укажите сумму сделки из отправленного коммерческого предложения.",
    fix_en: "Enter the deal value from the proposal you sent.",
    template: "status = open and (stage >= {stage_proposal_sent} and (value is empty or value = 0))",
    params: &[STAGE_PROPOSAL_SENT],
};

const NO_TRAFFIC_OR_BUDGET: CatalogueRule = CatalogueRule {
    key: "no_traffic_or_budget",
    entity: Entity::Deal,
    criticality: 1,
    name_ru: "После КП не заполнены «Посещаемость» или «Бюджет»",
    name_en: "No traffic or budget after the proposal",
    why_ru: "Посещаемость сайта и бюджет клиента определяют, что ему предлагать, и нужны, чтобы понять, \
             какие клиенты покупают.",
    why_en: "The client's site traffic and budget decide what to offer, and show which clients buy.",
    fix_ru: "Узнайте у клиента посещаемость сайта и бюджет и заполните оба поля.",
    fix_en: "Ask the client for the site traffic and the budget and fill in both fields.",
    template: "status = open and (stage >= {stage_proposal_sent} and ({field_traffic} is empty or {field_budget} is empty))",
    params: &[STAGE_PROPOSAL_SENT, FIELD_TRAFFIC, FIELD_BUDGET],
};

/// The seed's "incorrect name of a deal, contact or organization" against the naming rules the
/// language can see (it has no case or length tests), all on the deal's sheet:
/// * a deal title without the naming template's separator (`<organization> — <product>`), which
///   catches placeholders such as "Сделка", "новая сделка", "ТЕСТ";
/// * a contact name without a space, i.e. not "first name last name" (a name in capitals is
///   not caught);
/// * an organization name without the quotes around the name, sole traders excepted
///   ("ооо альфастрой" is caught, "ООО «Альфастрой»" and "ИП Иванов А. Б." are not).
///
/// A contact or organization with a bad name but no deal is not listed.
const MALFORMED_NAME: CatalogueRule = CatalogueRule {
    key: "malformed_name",
    entity: Entity::Deal,
    criticality: 1,
    name_ru: "Некорректное название сделки, контакта или организации",
    name_en: "Malformed deal, contact or organization name",
    why_ru: "По названию сделку, контакт и организацию ищут и узнают в списках, отчетах и на доске; «Сделка» или \
             «заявка» ни о чем не говорят и плодят дубли.",
    why_en: "Names are how deals, contacts and organizations are found and recognised in lists, reports and on the \
             board; \"Deal\" or \"request\" says nothing and breeds duplicates.",
    fix_ru: "Назовите сделку по шаблону «Организация — продукт», контакт — «Имя Фамилия», организацию — \
             «ООО «Название»» (ИП — «ИП Фамилия И. О.»).",
    fix_en: "Name the deal \"Organization — product\", the contact \"First Last\", the organization \
             \"LLC «Name»\" (a sole trader: \"ИП Last F. M.\").",
    template: "status = open and (title !~ {title_mark} or person.name !~ \" \" \
               or (org.name !~ {org_name_mark} and org.name !~ {sole_trader_prefix}))",
    params: &[TITLE_MARK, ORG_NAME_MARK, SOLE_TRADER_PREFIX],
};

/// About the organization, so it is listed once however many deals it has.
const FROM_PARTNER_WITHOUT_PARTNER_ORG: CatalogueRule = CatalogueRule {
    key: "from_partner_without_partner_org",
    entity: Entity::Organization,
    criticality: 1,
    name_ru: "Организация «от партнера» без партнерской организации",
    name_en: "Organization \"from partner\" with no partner organization",
    why_ru: "Без партнерской организации партнер не получит вознаграждение, а отчет по партнерскому каналу \
             окажется неполным.",
    why_en: "Without the partner organization the partner is not paid and the partner channel's report is incomplete.",
    fix_ru: "Укажите в поле «Партнерская организация» агентство, которое привело клиента.",
    fix_en: "Set the \"partner organization\" field to the agency that brought the client.",
    template: "name ~ {text_from_partner} and {field_partner_org} is empty",
    params: &[TEXT_FROM_PARTNER, FIELD_PARTNER_ORG],
};

/// A deal without an organization or contact is not compared on that side.
const OWNERS_DIFFER: CatalogueRule = CatalogueRule {
    key: "owners_differ",
    entity: Entity::Deal,
    criticality: 1,
    name_ru: "Сделка, ее организация и контакт у разных сотрудников",
    name_en: "Deal, its organization and contact owned by different users",
    why_ru: "У клиента должен быть один ответственный менеджер; иначе звонки, задачи и напоминания уходят не тому, \
             и клиента ведут двое или никто.",
    why_en: "A client has one responsible manager; otherwise calls, tasks and reminders go to the wrong person, and \
             two people or nobody look after the client.",
    fix_ru: "Назначьте организацию и контакт на ответственного за сделку (или передайте сделку ответственному за клиента).",
    fix_en: "Give the organization and the contact to the deal's owner (or the deal to the client's owner).",
    template: "status = open and (owner != org.owner or owner != person.owner)",
    params: &[],
};

const NO_SOURCE: CatalogueRule = CatalogueRule {
    key: "no_source",
    entity: Entity::Deal,
    criticality: 1,
    name_ru: "Не указан источник сделки",
    name_en: "No deal source",
    why_ru: "Без источника не понять, какие каналы приводят покупателей, и бюджет на рекламу тратится вслепую.",
    why_en: "Without a source nobody knows which channels bring buyers, and the ad budget is spent blind.",
    fix_ru: "Укажите источник: входящий звонок, чат, сайт, рекомендация текущего клиента и т. д.",
    fix_en: "Set the source: an inbound call, a chat, the site, a referral from a client, and so on.",
    template: "status = open and (source is empty)",
    params: &[],
};

const NO_DEMO_LINK: CatalogueRule = CatalogueRule {
    key: "no_demo_link",
    entity: Entity::Deal,
    criticality: 1,
    name_ru: "После демо нет ссылки на запись демо",
    name_en: "No demo recording link after the demo",
    why_ru: "По записи демонстрации руководитель проверяет качество показа, а коллега, принимающий клиента, \
             знает, что ему обещали.",
    why_en: "The recording lets the head check the demo and lets a colleague taking over know what was promised.",
    fix_ru: "Вставьте ссылку на запись демонстрации в поле сделки.",
    fix_en: "Paste the link to the demo recording into the deal's field.",
    template: "status = open and (stage >= {stage_demo_done} and {field_demo_link} is empty)",
    params: &[STAGE_DEMO_DONE, FIELD_DEMO_LINK],
};

/// The seed names only the empty field; a proposal link can only exist once a proposal was sent,
/// so the rule looks at the proposal stage and later.
const NO_PROPOSAL_LINK: CatalogueRule = CatalogueRule {
    key: "no_proposal_link",
    entity: Entity::Deal,
    criticality: 1,
    name_ru: "Не заполнено поле «Ссылка на КП»",
    name_en: "No proposal link",
    why_ru: "Без ссылки на КП не проверить, что и по какой цене предложили клиенту, и не продолжить работу \
             в отсутствие менеджера.",
    why_en: "Without the proposal link nobody can check what was offered at what price, or carry on while the manager is away.",
    fix_ru: "Вставьте ссылку на отправленное коммерческое предложение.",
    fix_en: "Paste the link to the proposal you sent.",
    template: "status = open and (stage >= {stage_proposal_sent} and {field_proposal_link} is empty)",
    params: &[STAGE_PROPOSAL_SENT, FIELD_PROPOSAL_LINK],
};

const OPEN_WITHOUT_ORG: CatalogueRule = CatalogueRule {
    key: "open_without_org",
    entity: Entity::Deal,
    criticality: 1,
    name_ru: "Открытая сделка в «Клиентах» или «Партнерах» без организации",
    name_en: "Open deal in \"Clients\" or \"Partners\" with no organization",
    why_ru: "Сделка без организации выпадает из истории клиента, отчетов по клиентам и поиска дублей.",
    why_en: "A deal without an organization drops out of the client's history, the client reports and duplicate search.",
    fix_ru: "Привяжите сделку к организации клиента (создайте ее, если ее еще нет).",
    fix_en: "Link the deal to the client's organization (create it if it does not exist yet).",
    template: "status = open and pipeline in ({pipeline_clients}, {pipeline_partners}) and org is empty",
    params: &[PIPELINE_CLIENTS, PIPELINE_PARTNERS],
};

/// Over organizations. "Is agency = no" includes an unset flag: the field should say yes.
const PARTNER_DEAL_NOT_AGENCY: CatalogueRule = CatalogueRule {
    key: "partner_deal_not_agency",
    entity: Entity::Organization,
    criticality: 1,
    name_ru: "Открытая сделка в «Партнерах», но «Агентство ли это» — нет",
    name_en: "Open \"Partners\" deal but \"is agency\" is no",
    why_ru: "Партнеры — это агентства; без отметки организация не попадает в партнерские отчеты и ее нельзя \
             выбрать партнерской организацией клиента.",
    why_en: "Partners are agencies; without the flag the organization is missing from partner reports and cannot be \
             chosen as a client's partner organization.",
    fix_ru: "Поставьте «Агентство ли это» = «Да» (или перенесите сделку в нужную воронку).",
    fix_en: "Set \"is agency\" to yes (or move the deal to the right pipeline).",
    template: "exists deal(status = open and pipeline = {pipeline_partners}) and not {field_is_agency} = true",
    params: &[PIPELINE_PARTNERS, FIELD_IS_AGENCY],
};

/// "Is agency = no" includes an unset flag, as in `partner_deal_not_agency`; a deal with no
/// organization is left to `open_without_org`.
const PARTNER_MANAGER_CLIENT_DEAL: CatalogueRule = CatalogueRule {
    key: "partner_manager_client_deal",
    entity: Entity::Deal,
    criticality: 1,
    name_ru: "Клиентская сделка партнер-менеджера без агентства и партнера",
    name_en: "Partner manager's client deal with no agency or partner",
    why_ru: "Менеджер по партнерам ведет клиентов, пришедших от партнеров; если организация не агентство и партнер \
             не указан, либо сделка не его, либо партнер останется без вознаграждения.",
    why_en: "A partner manager works clients referred by partners; if the organization is no agency and no partner is \
             set, either the deal is not theirs or the partner goes unpaid.",
    fix_ru: "Укажите партнерскую организацию клиента или передайте сделку менеджеру по продажам.",
    fix_en: "Set the client's partner organization, or hand the deal to a sales manager.",
    template: "status = open and (pipeline = {pipeline_clients} and stage >= {stage_demo_done} and owner.role = partner_manager \
               and org is not empty and not org.{field_is_agency} = true and org.{field_partner_org} is empty)",
    params: &[PIPELINE_CLIENTS, STAGE_DEMO_DONE, FIELD_IS_AGENCY, FIELD_PARTNER_ORG],
};

/// City and country are the client's (the organization card's), as in the seed's example.
const NO_CITY_OR_COUNTRY: CatalogueRule = CatalogueRule {
    key: "no_city_or_country",
    entity: Entity::Organization,
    criticality: 2,
    name_ru: "Не заполнены «Город» и «Страна»",
    name_en: "City or country empty",
    why_ru: "Маркетолог выбирает регионы для рекламы по выигранным и проигранным сделкам; если у половины клиентов \
             регион неизвестен, реклама уйдет не туда и бюджет сольется.",
    why_en: "The marketer picks the regions to advertise in from won and lost deals; with half the regions unknown the \
             ads go to the wrong places and the budget is wasted.",
    fix_ru: "Заполните город и страну в карточке организации.",
    fix_en: "Fill in the city and the country on the organization's card.",
    template: "{field_city} is empty or {field_country} is empty",
    params: &[FIELD_CITY, FIELD_COUNTRY],
};

const STUCK_ACCEPTED: CatalogueRule = CatalogueRule {
    key: "stuck_accepted",
    entity: Entity::Deal,
    criticality: 2,
    name_ru: "Сделка «Принята в работу» более 7 дней",
    name_en: "\"Accepted\" for more than 7 days",
    why_ru: "Принятого клиента нужно быстро довести до разговора. Бывают объективные причины (маркетолог клиента \
             в отпуске), но если менеджер не связывался с клиентом, объективных причин нет.",
    why_en: "An accepted lead must be brought to a conversation quickly. There are good reasons (the client's marketer \
             is on holiday), but if the manager has not contacted the client there is none.",
    fix_ru: "Свяжитесь с клиентом и переведите сделку дальше, или напишите в комментарии причину задержки.",
    fix_en: "Contact the client and move the deal on, or comment on the reason for the delay.",
    template: "status = open and stage = {stage_accepted} and stage_entered_at < now - {days_accepted}d",
    params: &[STAGE_ACCEPTED, DAYS_ACCEPTED],
};

const OVERDUE_TASKS: CatalogueRule = CatalogueRule {
    key: "overdue_tasks",
    entity: Entity::Deal,
    criticality: 2,
    name_ru: "Сделка в работе с просроченными задачами",
    name_en: "Open deal with overdue tasks",
    why_ru: "Просроченная задача — обещание клиенту или себе, которое не выполнено; клиент ждет звонка, которого нет.",
    why_en: "An overdue task is a promise to the client or to oneself that was broken; the client waits for a call that never comes.",
    fix_ru: "Выполните задачу и отметьте ее, или перенесите на реальный срок с комментарием.",
    fix_en: "Do the task and mark it done, or move it to a real date with a comment.",
    template: "status = open and exists activity(done = false and due_at < now)",
    params: &[],
};

/// The free trial is a stage (`stage_trial`): a deal there is let off while the trial runs, and
/// from its end the usual limit applies, so it is listed after trial + limit days at the stage.
const NO_PROGRESS: CatalogueRule = CatalogueRule {
    key: "no_progress",
    entity: Entity::Deal,
    criticality: 2,
    name_ru: "Сделка без продвижения по этапам более двух недель",
    name_en: "No stage change for two weeks",
    why_ru: "Сделка, которая две недели стоит на месте, остывает; исключение — бесплатный тестовый период (14 дней).",
    why_en: "A deal that has not moved for two weeks goes cold; the free trial (14 days) is the exception.",
    fix_ru: "Сделайте следующий шаг и переведите сделку на следующий этап, или закройте/заморозьте ее с причиной.",
    fix_en: "Take the next step and move the deal on, or close or freeze it with a reason.",
    template: "status = open and stage_entered_at < now - {days_no_progress}d \
               and (stage != {stage_trial} or stage_entered_at < now - {days_trial}d - {days_no_progress}d)",
    params: &[DAYS_NO_PROGRESS, STAGE_TRIAL, DAYS_TRIAL],
};

/// Not in the seed's list; PRODUCT.md adds it. Closed deals keep their owner as history, so only
/// open and frozen ones count.
const DEACTIVATED_OWNER: CatalogueRule = CatalogueRule {
    key: "deactivated_owner",
    entity: Entity::Deal,
    criticality: 2,
    name_ru: "Сделка у отключенного сотрудника",
    name_en: "Deal owned by a deactivated user",
    why_ru: "Сотрудник ушел, а его сделки остались без хозяина: задачи никто не выполнит, клиент никому не нужен.",
    why_en: "The user has left and their deals have no one: nobody does the tasks, nobody looks after the client.",
    fix_ru: "Передайте сделку действующему сотруднику (руководитель может сделать это списком).",
    fix_en: "Give the deal to an active user (a head can do it for the whole list).",
    template: "status in (open, frozen) and owner.active = false",
    params: &[],
};

const CATALOGUE: &[CatalogueRule] = &[
    OPEN_WITHOUT_TASK,
    FROZEN_WITHOUT_TASK,
    NO_VALUE_AFTER_PROPOSAL,
    NO_TRAFFIC_OR_BUDGET,
    MALFORMED_NAME,
    FROM_PARTNER_WITHOUT_PARTNER_ORG,
    OWNERS_DIFFER,
    NO_SOURCE,
    NO_DEMO_LINK,
    NO_PROPOSAL_LINK,
    OPEN_WITHOUT_ORG,
    PARTNER_DEAL_NOT_AGENCY,
    PARTNER_MANAGER_CLIENT_DEAL,
    NO_CITY_OR_COUNTRY,
    STUCK_ACCEPTED,
    OVERDUE_TASKS,
    NO_PROGRESS,
    DEACTIVATED_OWNER,
];

/// Every built-in rule, critical ones first, in the seed's order.
pub fn catalogue() -> &'static [CatalogueRule] {
    CATALOGUE
}

pub fn rule(key: &str) -> Option<&'static CatalogueRule> {
    CATALOGUE.iter().find(|r| r.key == key)
}

/// Every parameter of the catalogue with its demo value: a complete map for [`bind`], to be
/// overridden where a workspace's names differ.
pub fn default_params() -> HashMap<String, String> {
    PARAMS.iter().map(|p| (p.key.to_string(), p.default.to_string())).collect()
}

/// Longest parameter value accepted, in characters; well under the filter's own limit.
const MAX_VALUE: usize = 200;
/// More days than this is surely a mistake (and keeps `now - Nd` in range).
const MAX_DAYS: u32 = 36_500;

/// `rule`'s template with every placeholder replaced by its value in `params`: stage, pipeline
/// and text values as quoted strings, field keys as names, numbers bare.
///
/// `params` may hold the whole workspace's mapping: keys of other catalogue parameters are
/// ignored, but a key that is no catalogue parameter (a typo) is an error, as is a missing one.
/// The result still has to pass the filter checker against the workspace (a stage or field may
/// not exist there).
pub fn bind(rule: &CatalogueRule, params: &HashMap<String, String>) -> Result<String, FieldError> {
    let mut unknown: Vec<&str> = params.keys().map(String::as_str).filter(|k| !PARAMS.iter().any(|p| p.key == *k)).collect();
    unknown.sort_unstable();
    if let Some(k) = unknown.first() {
        return Err(FieldError::new(format!("params.{k}"), AuditMsg::NotRuleParam {}));
    }
    let mut out = String::with_capacity(rule.template.len() + 64);
    let mut rest = rule.template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or_else(|| FieldError::new(format!("rules.{}", rule.key), AuditMsg::UnclosedTemplate {}))?;
        let key = &after[..close];
        let p = rule
            .params
            .iter()
            .find(|p| p.key == key)
            .ok_or_else(|| FieldError::new(format!("params.{key}"), AuditMsg::ParamNotDeclared { rule: rule.key.to_string() }))?;
        let value = params.get(key).ok_or_else(|| FieldError::new(format!("params.{key}"), Common::Required {}))?;
        out.push_str(&render(p, value)?);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// `rule` bound with the demo values.
pub fn bind_defaults(rule: &CatalogueRule) -> Result<String, FieldError> {
    bind(rule, &default_params())
}

fn render(p: &Param, value: &str) -> Result<String, FieldError> {
    let field = || format!("params.{}", p.key);
    if value.chars().count() > MAX_VALUE {
        return Err(FieldError::new(field(), Common::TooLong { max: MAX_VALUE as i64 }));
    }
    match p.kind {
        ParamKind::Stage | ParamKind::Pipeline => {
            if value.trim().is_empty() {
                let m = if p.kind == ParamKind::Stage { AuditMsg::StageName {} } else { AuditMsg::PipelineName {} };
                return Err(FieldError::new(field(), m));
            }
            Ok(quote(value))
        }
        // An empty marker would match every name and so make the rule meaningless.
        ParamKind::Text if value.is_empty() => Err(FieldError::new(field(), AuditMsg::MarkerEmpty {})),
        ParamKind::Text => Ok(quote(value)),
        ParamKind::Field(_) => {
            let mut chars = value.chars();
            let well_formed = chars.next().is_some_and(|c| c.is_alphabetic() || c == '_') && chars.all(|c| c.is_alphanumeric() || c == '_');
            if well_formed {
                Ok(value.to_string())
            } else {
                Err(FieldError::new(field(), AuditMsg::FieldKey {}))
            }
        }
        ParamKind::Number => match value.trim().parse::<u32>() {
            Ok(n) if n <= MAX_DAYS && value.trim().chars().all(|c| c.is_ascii_digit()) => Ok(n.to_string()),
            _ => Err(FieldError::new(field(), AuditMsg::ParamDays { max: i64::from(MAX_DAYS) })),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CustomFieldType;
    use crate::filter::{parse_and_check, FilterSchema, PipelineInfo, StageInfo};
    use crate::validate::CustomDef;
    use std::collections::HashSet;

    fn def(key: &str, field_type: CustomFieldType) -> CustomDef {
        CustomDef { key: key.into(), label: key.into(), field_type, options: vec![] }
    }

    /// The demo workspace's names, as the store loads them.
    fn demo_schema(entity: Entity) -> FilterSchema {
        let clients = ["Новый", "Принял в работу", "Коммуникация", "Проведено демо", "Отправлено КП", "Договор"];
        let partners = ["Новый партнер", "Переговоры", "Пилот", "Договор подписан"];
        let mut schema = FilterSchema::new(entity);
        for (pipeline, names) in [(1, &clients[..]), (2, &partners[..])] {
            for (i, name) in names.iter().enumerate() {
                schema.stages.push(StageInfo {
                    id: pipeline * 10 + i as i64,
                    pipeline_id: pipeline,
                    name: name.to_string(),
                    position: i as i64,
                });
            }
        }
        schema.pipelines = vec![PipelineInfo { id: 1, name: "Клиенты".into() }, PipelineInfo { id: 2, name: "Партнеры".into() }];
        schema.custom = vec![
            (
                Entity::Organization,
                vec![
                    def("city", CustomFieldType::Text),
                    def("country", CustomFieldType::Text),
                    def("partner_org", CustomFieldType::Organization),
                    def("is_agency", CustomFieldType::Bool),
                ],
            ),
            (
                Entity::Deal,
                vec![
                    def("city", CustomFieldType::Text),
                    def("budget", CustomFieldType::Money),
                    def("traffic", CustomFieldType::Number),
                    def("proposal_link", CustomFieldType::Url),
                    def("demo_link", CustomFieldType::Url),
                    def("product", CustomFieldType::Text),
                ],
            ),
        ];
        schema
    }

    fn placeholders(template: &str) -> Vec<&str> {
        template.split('{').skip(1).filter_map(|s| s.split_once('}').map(|(k, _)| k)).collect()
    }

    #[test]
    fn the_catalogue_is_productmd_s_list() {
        // PRODUCT.md §2: 13 critical and 5 important (the seed's 13 + 4, and "deactivated owner").
        let rules = catalogue();
        assert_eq!(rules.len(), 18);
        assert_eq!(rules.iter().filter(|r| r.criticality == 1).count(), 13);
        assert_eq!(rules.iter().filter(|r| r.criticality == 2).count(), 5);
        let keys: HashSet<&str> = rules.iter().map(|r| r.key).collect();
        assert_eq!(keys.len(), rules.len(), "keys are unique");
        assert!(rules.windows(2).all(|w| w[0].criticality <= w[1].criticality), "critical rules come first");
        for r in rules {
            assert!(matches!(r.entity, Entity::Deal | Entity::Organization | Entity::Person), "{}", r.key);
            for text in [r.name_ru, r.name_en, r.why_ru, r.why_en, r.fix_ru, r.fix_en] {
                assert!(!text.trim().is_empty() && !text.contains("  "), "{}: {text:?}", r.key);
            }
            assert_eq!(rule(r.key).map(|x| x.key), Some(r.key));
        }
    }

    #[test]
    fn every_rule_binds_with_the_defaults_and_checks_against_the_demo_names() {
        for r in catalogue() {
            let expr = match bind_defaults(r) {
                Ok(e) => e,
                Err(e) => panic!("{}: {e}", r.key),
            };
            assert!(!expr.contains('{') && !expr.contains('}'), "{}: {expr}", r.key);
            if let Err(e) = parse_and_check(&expr, &demo_schema(r.entity)) {
                panic!("{}: {}", r.key, e.render(&expr));
            }
        }
    }

    #[test]
    fn templates_and_params_agree() {
        for r in catalogue() {
            let used = placeholders(r.template);
            let declared: Vec<&str> = r.params.iter().map(|p| p.key).collect();
            let used_set: HashSet<&str> = used.iter().copied().collect();
            assert_eq!(used_set, declared.iter().copied().collect::<HashSet<_>>(), "{}", r.key);
            assert_eq!(declared.len(), used_set.len(), "{}: a parameter is declared twice", r.key);
            for p in r.params {
                assert_eq!(PARAMS.iter().find(|q| q.key == p.key), Some(p), "{}: {} differs from PARAMS", r.key, p.key);
            }
        }
        let keys: HashSet<&str> = PARAMS.iter().map(|p| p.key).collect();
        assert_eq!(keys.len(), PARAMS.len(), "parameter keys are unique");
        for p in PARAMS {
            assert!(catalogue().iter().any(|r| r.params.contains(p)), "{} is used by no rule", p.key);
            assert!(render(p, p.default).is_ok(), "{}'s default binds", p.key);
        }
    }

    #[test]
    fn defaults_bind_to_the_expected_expressions() {
        let bound = |key: &str| rule(key).map(bind_defaults);
        assert_eq!(
            bound("stuck_accepted"),
            Some(Ok("status = open and stage = \"Принял в работу\" and stage_entered_at < now - 7d".to_string()))
        );
        assert_eq!(
            bound("open_without_org"),
            Some(Ok("status = open and pipeline in (\"Клиенты\", \"Партнеры\") and org is empty".to_string()))
        );
        assert_eq!(
            bound("partner_deal_not_agency"),
            Some(Ok("exists deal(status = open and pipeline = \"Партнеры\") and not is_agency = true".to_string()))
        );
    }

    #[test]
    fn values_are_quoted_or_checked_by_kind() {
        let Some(r) = rule("partner_manager_client_deal") else { panic!("missing rule") };
        let mut params = default_params();
        params.insert("stage_demo_done".into(), "Демо \"онлайн\" \\ офлайн".into());
        params.insert("field_is_agency".into(), "агентство".into());
        let Ok(expr) = bind(r, &params) else { panic!("does not bind") };
        assert!(expr.contains("stage >= \"Демо \\\"онлайн\\\" \\\\ офлайн\""), "{expr}");
        assert!(expr.contains("org.агентство = true"), "{expr}");

        let Some(stuck) = rule("stuck_accepted") else { panic!("missing rule") };
        for bad in ["-1", "7d", "1.5", "", "99999999999"] {
            let mut p = default_params();
            p.insert("days_accepted".into(), bad.into());
            assert_eq!(bind(stuck, &p).map_err(|e| e.field), Err("params.days_accepted".to_string()), "{bad:?}");
        }
        for bad in ["is_agency = true or 1", "", "a.b", "1abc"] {
            let mut p = default_params();
            p.insert("field_is_agency".into(), bad.into());
            assert_eq!(bind(r, &p).map_err(|e| e.field), Err("params.field_is_agency".to_string()), "{bad:?}");
        }
        let mut p = default_params();
        p.insert("stage_demo_done".into(), "  ".into());
        assert_eq!(bind(r, &p).map_err(|e| e.field), Err("params.stage_demo_done".to_string()));
    }

    #[test]
    fn missing_and_unknown_params_are_named() {
        let Some(r) = rule("no_demo_link") else { panic!("missing rule") };
        let mut p = default_params();
        p.remove("field_demo_link");
        let e = bind(r, &p).err();
        assert_eq!(e.map(|e| (e.field, *e.msg)), Some(("params.field_demo_link".to_string(), Common::Required {}.into())));

        // Another rule's parameter is fine (one mapping serves the whole catalogue), a typo is not.
        let only: HashMap<String, String> = [("stage_demo_done", "Проведено демо"), ("field_demo_link", "demo_link"), ("days_trial", "14")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert!(bind(r, &only).is_ok());
        let mut p = default_params();
        p.insert("stage_demo_dne".into(), "x".into());
        assert_eq!(bind(r, &p).map_err(|e| e.field), Err("params.stage_demo_dne".to_string()));

        // A rule without parameters binds from an empty map.
        let Some(no_source) = rule("no_source") else { panic!("missing rule") };
        assert_eq!(bind(no_source, &HashMap::new()), Ok("status = open and (source is empty)".to_string()));
    }
}
