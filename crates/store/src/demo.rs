//! Demo data: a deterministic, realistic Russian-language B2B sales workspace of any size,
//! shared by `poryadok demo`, `serve --demo`, tests and benchmarks.
//!
//! Speed matters more than reuse here, so the rows bypass the record layer (no validation, no
//! reference checks, no per-row history writes): they go in as multi-row `INSERT`s (SQL text from
//! sea-query, every value bound), ids assigned up front, in large transactions. A blocking thread
//! generates the rows straight into the driver's argument buffers while the async side executes
//! the previous statement, so generation and the database's own work overlap. Every record
//! draws from its own random stream keyed by (seed, kind, index): the output depends on the seed
//! only, never on batch sizes or timing.
//!
//! It assumes nobody else inserts into the touched tables while it runs (ids continue after
//! `MAX(id)`); on PostgreSQL the identity sequences are moved past the new ids at the end. If it
//! fails half way, the rows committed so far stay (they belong to the new workspace only).
use crate::auth::hash_password;
use crate::error::{Result, StoreError};
use crate::sql::col;
use crate::workspace::NewWorkspace;
use crate::{Db, WorkspaceInfo};
use poryadok_core::calendar::BusinessHours;
use poryadok_core::domain::{ActivityType, CallDirection, CallOutcome, Channel, DealStatus, HistoryAction, IdentityKind, Role};
use poryadok_core::msg::{Common, RecordMsg};
use poryadok_core::schema::Entity;
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, Statement, TransactionTrait};
use sea_query::{Expr, Func, Query, SimpleExpr, Value};
use sqlx::postgres::PgArguments;
use sqlx::sqlite::SqliteArguments;
use sqlx::Arguments as _;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoOptions {
    /// Number of deals; organizations (≈ deals/3), persons (≈ 2·deals/3), activities
    /// (3 per deal) and notes (≈ deals/5) scale with it.
    pub deals: u64,
    /// The same seed always gives the same workspace.
    pub seed: u64,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions { deals: 1_000, seed: 1 }
    }
}

/// A login of the demo workspace, with its password in clear (it is demo data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoUser {
    pub email: String,
    pub name: String,
    pub role: String,
    pub password: String,
}

#[derive(Debug, Clone)]
pub struct DemoReport {
    pub workspace_id: i64,
    pub users: Vec<DemoUser>,
    /// Every row inserted, the workspace, its custom fields, history and identities included.
    pub rows: u64,
    pub deals: u64,
    pub activities: u64,
    pub elapsed: Duration,
}

/// Bound parameters per statement: SQLite's default limit (PostgreSQL allows 65535).
const MAX_PARAMS: usize = 32_766;
/// Rows per transaction: large enough to amortise commits and SQLite's checkpoints (at a million
/// deals 50 000 spent a third of the time committing, 200 000 a sixth), small enough to keep the
/// WAL to some tens of megabytes.
const ROWS_PER_TX: u64 = 200_000;
/// Statements the generator may run ahead of the database.
const AHEAD: usize = 4;
/// More than this is surely a typo (and would exhaust the phone-number space).
const MAX_DEALS: u64 = 100_000_000;

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
/// Moscow is UTC+3 all year; dates shown to users are Moscow dates.
const MSK: i64 = 3 * HOUR;

const DOMAIN: &str = "demo.poryadok.local";

/// (e-mail local part, name, role) of the demo logins, in insertion order.
const USERS: &[(&str, &str, Role)] = &[
    ("admin", "Ольга Смирнова", Role::Admin),
    ("head", "Андрей Волков", Role::Head),
    ("manager1", "Иван Петров", Role::Manager),
    ("manager2", "Мария Кузнецова", Role::Manager),
    ("manager3", "Рустам Галиев", Role::Manager),
    ("manager4", "Алина Хабибуллина", Role::Manager),
    ("consultant", "Сергей Морозов", Role::Consultant),
    ("partner", "Екатерина Лебедева", Role::PartnerManager),
    ("analyst", "Павел Орлов", Role::Analyst),
];
const U_HEAD: u8 = 1;
const U_MANAGERS: [u8; 4] = [2, 3, 4, 5];
const U_CONSULTANT: u8 = 6;
const U_PARTNER: u8 = 7;
/// A manager who has left (deactivated, no password): not a login, but some deals still carry
/// their name, for the "deal owned by a deactivated user" rule.
const FORMER: (&str, &str, Role) = ("former", "Дмитрий Соколов", Role::Manager);
const U_FORMER: u8 = 9;
/// One deal in this many was left with the former manager (by index, so no random draw shifts).
const FORMER_EVERY: u64 = 97;
/// Team of each user: 0 none, 1 "Центральный офис", 2 "Казань".
const USER_TEAM: [u8; 9] = [0, 1, 1, 1, 2, 2, 1, 1, 0];
const TEAMS: [&str; 2] = ["Центральный офис", "Казань"];

/// (name, probability %, rotting days) of each stage.
const CLIENT_STAGES: [(&str, i64, i64); 6] = [
    ("Новый", 10, 3),
    ("Принял в работу", 20, 7),
    ("Коммуникация", 30, 14),
    ("Проведено демо", 50, 14),
    ("Отправлено КП", 70, 14),
    ("Договор", 90, 30),
];
const PARTNER_STAGES: [(&str, i64, i64); 4] =
    [("Новый партнер", 10, 7), ("Переговоры", 30, 14), ("Пилот", 60, 30), ("Договор подписан", 90, 30)];
const CLIENT_DEMO_DONE: usize = 3;
const CLIENT_PROPOSAL_SENT: usize = 4;

/// Stage weights of the "Клиенты" pipeline per status (won deals are at the last stage).
const CLIENT_OPEN_W: [u32; 6] = [15, 20, 25, 15, 15, 10];
const CLIENT_LOST_W: [u32; 6] = [25, 25, 20, 10, 15, 5];
const CLIENT_FROZEN_W: [u32; 6] = [5, 15, 25, 15, 25, 15];
const PARTNER_OPEN_W: [u32; 4] = [30, 30, 25, 15];
const PARTNER_LOST_W: [u32; 4] = [40, 35, 25, 0];
const PARTNER_FROZEN_W: [u32; 4] = [20, 40, 40, 0];

#[rustfmt::skip]
const FIRST_M: &[&str] = &[
    "Александр", "Дмитрий", "Максим", "Сергей", "Андрей", "Алексей", "Артем", "Илья", "Кирилл",
    "Михаил", "Никита", "Матвей", "Роман", "Егор", "Иван", "Денис", "Евгений", "Павел", "Владимир",
    "Тимур", "Руслан", "Олег", "Константин", "Антон", "Виктор", "Николай", "Юрий", "Игорь", "Вадим",
    "Георгий", "Рустам", "Ильдар", "Артур", "Станислав", "Григорий",
];
#[rustfmt::skip]
const FIRST_F: &[&str] = &[
    "Анна", "Мария", "Елена", "Ольга", "Наталья", "Екатерина", "Татьяна", "Ирина", "Светлана",
    "Юлия", "Анастасия", "Дарья", "Алина", "Ксения", "Виктория", "Полина", "Евгения", "Марина",
    "Надежда", "Валерия", "Софья", "Диана", "Алсу", "Гульнара", "Кристина", "Людмила", "Вера",
];
/// Male forms; the female form adds "а" to each of these.
#[rustfmt::skip]
const LAST: &[&str] = &[
    "Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов",
    "Новиков", "Федоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семенов", "Егоров", "Павлов",
    "Козлов", "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин", "Захаров", "Зайцев",
    "Соловьев", "Борисов", "Яковлев", "Григорьев", "Романов", "Воробьев", "Сергеев", "Кузьмин",
    "Фролов", "Александров", "Дмитриев", "Королев", "Гусев", "Киселев", "Ильин", "Максимов",
    "Поляков", "Сорокин", "Виноградов", "Ковалев", "Белов", "Медведев", "Антонов", "Тарасов",
    "Жуков", "Баранов", "Филиппов", "Комаров", "Давыдов", "Беляев", "Герасимов", "Богданов",
    "Осипов", "Сидоров", "Матвеев", "Титов", "Марков", "Миронов", "Крылов", "Куликов", "Карпов",
    "Власов", "Мельников", "Денисов", "Галиев", "Сафин", "Хабибуллин", "Зарипов", "Гарипов",
    "Шарипов", "Ахметов", "Валиев", "Нуриев", "Исаев",
];
const JOB_TITLES: &[&str] = &[
    "Генеральный директор",
    "Коммерческий директор",
    "Директор по маркетингу",
    "Маркетолог",
    "Руководитель отдела продаж",
    "Директор по развитию",
    "Менеджер по закупкам",
    "Главный бухгалтер",
    "ИТ-директор",
    "Владелец бизнеса",
    "Офис-менеджер",
    "Руководитель интернет-магазина",
    "Финансовый директор",
    "Интернет-маркетолог",
];
#[rustfmt::skip]
const MAIL_DOMAINS: &[&str] = &[
    "mail.ru", "yandex.ru", "gmail.com", "bk.ru", "list.ru", "inbox.ru", "rambler.ru", "ya.ru",
];

/// (city, country); Moscow repeats because most clients are there.
#[rustfmt::skip]
const CITIES: &[(&str, &str)] = &[
    ("Москва", "Россия"), ("Москва", "Россия"), ("Москва", "Россия"), ("Москва", "Россия"),
    ("Санкт-Петербург", "Россия"), ("Санкт-Петербург", "Россия"), ("Казань", "Россия"),
    ("Казань", "Россия"), ("Казань", "Россия"), ("Новосибирск", "Россия"),
    ("Екатеринбург", "Россия"), ("Нижний Новгород", "Россия"), ("Самара", "Россия"),
    ("Краснодар", "Россия"), ("Уфа", "Россия"), ("Ростов-на-Дону", "Россия"), ("Воронеж", "Россия"),
    ("Пермь", "Россия"), ("Набережные Челны", "Россия"), ("Минск", "Беларусь"),
    ("Алматы", "Казахстан"), ("Ташкент", "Узбекистан"),
];
#[rustfmt::skip]
const STREETS: &[&str] = &[
    "Ленина", "Мира", "Советская", "Гагарина", "Пушкина", "Тверская", "Баумана", "Профсоюзная",
    "Садовая", "Лесная", "Центральная", "Набережная", "Кремлевская", "Московская",
];
#[rustfmt::skip]
const ORG_ROOTS: &[&str] = &[
    "Альфа", "Вега", "Гранит", "Север", "Восток", "Меридиан", "Орион", "Сириус", "Импульс",
    "Прогресс", "Феникс", "Атлант", "Кедр", "Эталон", "Континент", "Магистраль", "Спектр", "Лидер",
    "Горизонт", "Азимут", "Байкал", "Волга", "Ладога", "Урал", "Алтай", "Паритет", "Стандарт",
    "Капитал", "Старт", "Сфера", "Интеграл", "Квант", "Оптима", "Престиж", "Ресурс", "Регион",
    "Альянс", "Союз", "Фортуна", "Эверест", "Олимп", "Полюс", "Титан", "Зенит", "Аврора", "Дельта",
    "Омега", "Гамма", "Техно", "Евро", "Эко", "Гео", "Нова", "Мега",
];
#[rustfmt::skip]
const ORG_SUFFIXES: &[&str] = &[
    "", "", "", "Строй", "Торг", "Сервис", "Групп", "Логистик", "Пром", "Инвест", "Трейд", "Тех",
    "Мед", "Агро", "Снаб", "Маркет", "Авто", "Энерго", "Проект", "Консалт", "Плюс", "Лайн",
];
#[rustfmt::skip]
const ORG_FORMS: &[&str] = &[
    "ООО", "ООО", "ООО", "ООО", "ООО", "АО", "ИП", "ИП", "Клиника", "Интернет-магазин", "Автосалон",
    "Фабрика мебели", "Учебный центр", "Стоматология", "ГК",
];
const PRODUCTS: &[&str] = &[
    "Контекстная реклама",
    "SEO-продвижение",
    "Разработка сайта",
    "Интернет-магазин под ключ",
    "Техподдержка сайта",
    "SMM-продвижение",
    "Внедрение CRM",
    "Сквозная аналитика",
    "Колл-трекинг",
    "Таргетированная реклама",
];
const PARTNER_PRODUCTS: &[&str] = &["Партнерская программа", "Реферальное соглашение", "White label"];
/// (source, weight); `None` leaves the deal without a source on purpose.
const SOURCES: &[(Option<&str>, u32)] = &[
    (Some("Звонок"), 25),
    (Some("Сайт"), 20),
    (Some("Яндекс.Директ"), 20),
    (Some("Рекомендация"), 15),
    (Some("Выставка"), 5),
    (Some("Партнер"), 10),
    (None, 5),
];
const UTM_CAMPAIGNS: &[&str] = &["crm_msk_search", "rsya_retarget", "brand", "seo_spb", "kzn_poisk"];
const UTM_TERMS: &[&str] = &["разработка сайта", "контекстная реклама цена", "seo продвижение", "внедрение crm", "сквозная аналитика"];
const LOST_REASONS: &[&str] = &["Дорого", "Выбрали конкурента", "Нет бюджета", "Не отвечает", "Неактуально", "Не подошли сроки"];
const NOT_LEAD_REASONS: &[&str] = &["Ошиблись номером", "Продают нам", "Спам", "Ищут работу", "Повторное обращение"];
const FROZEN_REASONS: &[&str] = &["Сайт в разработке", "Не сезон", "Сменилось контактное лицо", "Согласование бюджета"];
const CLIENT_TASKS: [&str; 6] = [
    "Связаться с клиентом и квалифицировать заявку",
    "Выявить потребности и ЛПР",
    "Назначить демонстрацию",
    "Подготовить и отправить КП",
    "Обсудить КП и снять возражения",
    "Подписать договор и выставить счет",
];
const PARTNER_TASKS: [&str; 4] = [
    "Провести знакомство с партнером",
    "Согласовать условия партнерства",
    "Подвести итоги пилота",
    "Передать партнеру материалы и доступы",
];
const TASK_DESCRIPTIONS: &[&str] = &[
    "Уточнить бюджет, сроки и кто принимает решение; зафиксировать в карточке.",
    "Перед звонком посмотреть историю переписки и прошлые КП.",
    "Если клиент не отвечает — написать в мессенджер и перезвонить через день.",
    "Согласовать время с консультантом, приложить запись прошлой встречи.",
];
const MALFORMED_TITLES: &[&str] = &["новая сделка", "Сделка", "заявка", "ТЕСТ"];

/// Random streams, one per kind of record.
const S_ORG: u64 = 1;
const S_AGENCY: u64 = 2;
const S_PERSON: u64 = 3;
const S_PERSON_NAME: u64 = 4;
const S_DEAL: u64 = 5;
const S_ACTIVITY: u64 = 6;
const S_NOTE: u64 = 7;
const S_PHONE: u64 = 8;

/// The demo logins for a seed. With seed 1 the addresses are plain (`manager1@demo.poryadok.local`);
/// other seeds carry the seed (`manager1+s42@…`) so several demo workspaces fit in one database.
pub fn demo_users(seed: u64) -> Vec<DemoUser> {
    USERS
        .iter()
        .map(|(local, name, role)| DemoUser {
            email: demo_email(local, seed),
            name: (*name).to_string(),
            role: role.as_str().to_string(),
            password: format!("demo-{local}-{seed}"),
        })
        .collect()
}

fn demo_email(local: &str, seed: u64) -> String {
    if seed == 1 {
        format!("{local}@{DOMAIN}")
    } else {
        format!("{local}+s{seed}@{DOMAIN}")
    }
}

/// Won deals that get an invoice in the demo workspace (the most recent ones).
const DEMO_INVOICES: u64 = 300;

impl Db {
    /// Creates a new workspace filled with demo data; see the module docs.
    pub async fn generate_demo(&self, opts: &DemoOptions) -> Result<DemoReport> {
        let started = Instant::now();
        if opts.deals > MAX_DEALS {
            return Err(StoreError::invalid("deals", Common::AtMost { n: MAX_DEALS as i64 }));
        }
        let users = demo_users(opts.seed);
        let emails: Vec<String> = users.iter().map(|u| u.email.clone()).collect();
        let taken =
            Query::select().column(col("email")).from(col("users")).and_where(Expr::col(col("email")).is_in(emails)).limit(1).to_owned();
        if let Some(r) = self.write.query_one(self.backend.build(&taken)).await? {
            let email: String = r.try_get("", "email")?;
            return Err(StoreError::conflict("seed", RecordMsg::DemoSeedTaken { email, seed: opts.seed as i64 }));
        }
        let passwords: Vec<String> = users.iter().map(|u| u.password.clone()).collect();
        let hashes = tokio::task::spawn_blocking(move || passwords.iter().map(|p| hash_password(p)).collect::<Result<Vec<String>>>())
            .await
            .map_err(|e| StoreError::Internal(format!("password hashing failed: {e}")))??;

        let ws = self.create_workspace(&NewWorkspace { name: "ООО «Вектор» (демо)".into(), ..Default::default() }).await?;
        let mut rows = 1 + crate::workspace::DEFAULT_CUSTOM_FIELDS.len() as u64;
        let now = self.clock.now_ms();
        let plan = Plan::new(self, opts, &ws, now).await?;
        rows += self.insert_setup(&plan, &users, &hashes).await?;
        let (deals, activities) = (plan.deals, plan.deals * 3);
        rows += self.run_bulk(move |sink| Producer::new(plan, sink).run()).await?;
        self.sync_sequences(&BULK_TABLES).await?;
        // The demo department keeps order: every built-in hygiene rule is on.
        let sys = self.system_actor(ws.id, Channel::Demo).await?;
        rows += self.install_catalogue(&sys, &Default::default()).await?.len() as u64;
        // Bulk rows bypass the writes that keep each client's last activity; compute it once.
        self.backfill_last_activity(ws.id).await?;
        // Bulk rows bypass the write path's per-day aggregate too: it is counted once.
        self.rebuild_deal_stats(Some(ws.id), &mut |_| {}).await?;
        Ok(DemoReport { workspace_id: ws.id, users, rows, deals, activities, elapsed: started.elapsed() })
    }

    /// The seed department's process on the demo workspace, so the product shows it at work:
    /// closing reasons, an SLA on new leads, a task on accepting one, what a sent proposal needs,
    /// managers passing deals to consultants after "Коммуникация", invoices for the latest won
    /// deals (some unpaid), and a first audit round.
    /// Kept apart from the data generator so that tests creating records in a demo workspace are
    /// not bound by it.
    pub async fn apply_demo_process(&self, ws: i64) -> Result<()> {
        let sys = self.system_actor(ws, Channel::Demo).await?;
        self.update_workspace(
            &sys,
            &serde_json::json!({
                "lost_reasons": ["Дорого", "Выбрали конкурента", "Нет бюджета", "Не наш клиент", "Пропал"],
                "frozen_reasons": ["Сайт в разработке", "Несезон", "Сменилось контактное лицо", "Согласование бюджета"],
            }),
        )
        .await?;
        let pipelines = self.list(&sys, Entity::Pipeline, &crate::ListQuery::default()).await?.data;
        let Some(clients) = pipelines.iter().find(|p| p.get("name").as_text() == Some("Клиенты")) else { return Ok(()) };
        let lq = crate::ListQuery {
            filters: vec![("pipeline_id".into(), clients.id().to_string())],
            limit: Some("100".into()),
            ..Default::default()
        };
        let stages = self.list(&sys, Entity::Stage, &lq).await?.data;
        let id_of = |name: &str| stages.iter().find(|s| s.get("name").as_text() == Some(name)).map(|s| s.id());
        let rules = [
            ("Новый", serde_json::json!({"sla": {"amount": 1, "unit": "hours"}})),
            (
                "Принял в работу",
                serde_json::json!({"entry_tasks": [{"type": "call", "subject": "Связаться с {org} и назначить демо",
                    "description": "Лид принят в работу. Созвонитесь, выясните задачу и договоритесь о демонстрации.",
                    "due": {"amount": 1, "unit": "days"}}], "sla": {"amount": 1, "unit": "days"}}),
            ),
            ("Отправлено КП", serde_json::json!({"required_fields": ["value", "custom.proposal_link"]})),
        ];
        for (name, regulation) in rules {
            if let Some(id) = id_of(name) {
                self.update(&sys, Entity::Stage, id, &serde_json::json!({"regulation": regulation})).await?;
            }
        }
        if let Some(limit) = id_of("Коммуникация") {
            let ranges = serde_json::json!({"role_ranges": [{"role": "manager", "up_to_stage_id": limit}]});
            self.update(&sys, Entity::Pipeline, clients.id(), &ranges).await?;
        }
        self.demo_invoices(ws, DEMO_INVOICES).await?;
        // Requisites, products and line items, so documents can be made at once (issue 21).
        self.demo_documents(ws).await?;
        self.demo_plans(ws).await?;
        self.demo_spend(ws).await?;
        // The call quality scorecard the head reviews sampled calls with (issue 22).
        crate::reviews::ensure_default_scorecard(&self.write, self.backend, ws, self.clock.now_ms()).await?;
        // The bonus split by role on the client pipeline, consultants on some won deals (issue 22).
        self.demo_bonus(ws, clients.id()).await?;
        // The regulation quiz, the attestation before a manager becomes a consultant (issue 23).
        self.demo_quiz(&sys).await?;
        // The knowledge base: call scripts on the first stages, deal naming, rule FAQs (issue 23).
        self.demo_articles(&sys).await?;
        let round = self.start_round(&sys).await?;
        self.run_round(ws, round).await?;
        self.add_default_templates(&sys).await?;
        // The demo department lets the assistants watch its clients, as a real one would.
        for name in poryadok_core::assistants::NAMES {
            self.update_assistant(&sys, name, &serde_json::json!({"enabled": true})).await?;
        }
        self.demo_intake(ws, clients.id()).await
    }

    /// Plain-row bulk insert through the same driver and batching with no application logic, the
    /// "raw limit" a benchmark compares [`Db::generate_demo`] with: fills a scratch table
    /// `bench_raw` with `rows` rows, returns the time the inserts took and drops the table.
    pub async fn raw_insert_limit(&self, rows: u64) -> Result<Duration> {
        let drop = Statement::from_string(self.backend, "DROP TABLE IF EXISTS bench_raw");
        self.write.execute(drop.clone()).await?;
        self.write
            .execute(Statement::from_string(
                self.backend,
                "CREATE TABLE bench_raw (id BIGINT, workspace_id BIGINT, a TEXT, b BIGINT, c BIGINT)",
            ))
            .await?;
        let started = Instant::now();
        let inserted = self
            .run_bulk(move |sink| {
                let mut b = Batch::new("bench_raw", &["id", "workspace_id", "a", "b", "c"]);
                for i in 0..rows {
                    let n = i as i64;
                    b.push([int(n + 1), int(0), text(format!("строка {n}")), int(n * 7), int(n % 1000)], sink)?;
                }
                b.flush(sink)
            })
            .await;
        let elapsed = started.elapsed();
        self.write.execute(drop).await?;
        inserted?;
        Ok(elapsed)
    }

    /// Teams, users, pipelines and stages, in one transaction; returns the rows inserted.
    async fn insert_setup(&self, p: &Plan, users: &[DemoUser], hashes: &[String]) -> Result<u64> {
        let (ws, t) = (p.ws, p.setup_at);
        let tx = self.write.begin().await?;
        let mut rows = 0;
        let mut teams = Vec::new();
        for (i, name) in TEAMS.iter().enumerate() {
            let head = (i == 0).then_some(p.users[U_HEAD as usize]);
            teams.extend([int(p.team_ids[i]), int(ws), text(*name), oint(head), int(t), int(t)]);
        }
        rows += self.exec_rows(&tx, "teams", &["id", "workspace_id", "name", "head_id", "created_at", "updated_at"], teams).await?;
        let mut vals = Vec::new();
        for (i, (u, hash)) in users.iter().zip(hashes).enumerate() {
            let team = match USER_TEAM[i] {
                0 => None,
                n => Some(p.team_ids[n as usize - 1]),
            };
            vals.extend([
                int(p.users[i]),
                int(ws),
                text(u.email.as_str()),
                text(u.name.as_str()),
                otext(None),
                text(u.role.as_str()),
                oint(team),
                boolean(true),
                text("ru"),
                text(hash.as_str()),
                int(t),
                int(t),
            ]);
        }
        let (local, name, role) = FORMER;
        vals.extend([
            int(p.users[U_FORMER as usize]),
            int(ws),
            text(demo_email(local, p.seed)),
            text(name),
            otext(None),
            text(role.as_str()),
            oint(Some(p.team_ids[0])),
            boolean(false),
            text("ru"),
            otext(None),
            int(t),
            int(t),
        ]);
        let cols = [
            "id",
            "workspace_id",
            "email",
            "name",
            "phone",
            "role",
            "team_id",
            "active",
            "locale",
            "password_hash",
            "created_at",
            "updated_at",
        ];
        rows += self.exec_rows(&tx, "users", &cols, vals).await?;
        let pipelines = [
            int(p.clients),
            int(ws),
            text("Клиенты"),
            int(0),
            boolean(true),
            int(t),
            int(t),
            int(p.partners),
            int(ws),
            text("Партнеры"),
            int(1),
            boolean(true),
            int(t),
            int(t),
        ];
        let cols = ["id", "workspace_id", "name", "position", "active", "created_at", "updated_at"];
        rows += self.exec_rows(&tx, "pipelines", &cols, pipelines.into()).await?;
        let mut stages = Vec::new();
        let all = CLIENT_STAGES.iter().zip(p.client_stages).map(|(s, id)| (p.clients, s, id));
        let all = all.chain(PARTNER_STAGES.iter().zip(p.partner_stages).map(|(s, id)| (p.partners, s, id)));
        let mut position = [0i64; 2];
        for (pipeline, (name, prob, rot), id) in all {
            let pos = &mut position[usize::from(pipeline == p.partners)];
            stages.extend([int(id), int(ws), int(pipeline), text(*name), int(*pos), int(*prob), int(*rot), int(t), int(t)]);
            *pos += 1;
        }
        let cols = ["id", "workspace_id", "pipeline_id", "name", "position", "probability", "rotting_days", "created_at", "updated_at"];
        rows += self.exec_rows(&tx, "stages", &cols, stages).await?;
        tx.commit().await?;
        Ok(rows)
    }

    async fn exec_rows(&self, tx: &DatabaseTransaction, table: &str, cols: &[&str], vals: Vec<Cell>) -> Result<u64> {
        let n = vals.len() / cols.len();
        let sql = insert_sql(self.backend, table, cols, n)?;
        tx.execute(Statement::from_sql_and_values(self.backend, sql, vals.into_iter().map(Value::from))).await?;
        Ok(n as u64)
    }

    /// Runs `produce` on a blocking thread and executes the statements it sends, committing
    /// every [`ROWS_PER_TX`] rows; returns the rows inserted.
    ///
    /// The statements go to sqlx directly rather than through SeaORM, whose `execute` clones
    /// every bound value on this side of the driver while the database waits (a fifth of the
    /// time at 400 000 deals): the generator builds the driver's arguments itself, on its own
    /// thread, and they move through untouched.
    async fn run_bulk<F>(&self, produce: F) -> Result<u64>
    where
        F: FnOnce(&Sink) -> Result<(), Halt> + Send + 'static,
    {
        // Opened before the generator starts, so a wrong backend fails before any work.
        let mut txn = Some(self.begin_bulk().await?);
        let (tx, mut rx) = mpsc::channel::<Result<Chunk>>(AHEAD);
        let backend = self.backend;
        let producer = tokio::task::spawn_blocking(move || {
            let sink = Sink { tx, backend };
            if let Err(Halt::Failed(e)) = produce(&sink) {
                let _ = sink.tx.blocking_send(Err(e));
            }
        });
        let (mut rows, mut in_tx) = (0u64, 0u64);
        while let Some(chunk) = rx.recv().await {
            let chunk = chunk?;
            let t = match txn {
                Some(ref mut t) => t,
                None => txn.insert(self.begin_bulk().await?),
            };
            t.execute(&chunk.sql, chunk.args).await?;
            rows += chunk.rows;
            in_tx += chunk.rows;
            if in_tx >= ROWS_PER_TX {
                if let Some(t) = txn.take() {
                    t.commit().await?;
                }
                in_tx = 0;
            }
        }
        if let Some(t) = txn.take() {
            t.commit().await?;
        }
        producer.await.map_err(|e| StoreError::Internal(format!("demo data generator failed: {e}")))?;
        Ok(rows)
    }

    async fn begin_bulk(&self) -> Result<BulkTx> {
        Ok(match &self.write {
            DatabaseConnection::SqlxSqlitePoolConnection(_) => BulkTx::Sqlite(self.write.get_sqlite_connection_pool().begin().await?),
            DatabaseConnection::SqlxPostgresPoolConnection(_) => BulkTx::Postgres(self.write.get_postgres_connection_pool().begin().await?),
            _ => return Err(StoreError::Internal("demo data needs a SQLite or PostgreSQL connection".into())),
        })
    }

    /// PostgreSQL identity sequences do not see explicit ids; move them past the largest.
    async fn sync_sequences(&self, tables: &[&str]) -> Result<()> {
        if self.backend != DbBackend::Postgres {
            return Ok(());
        }
        for t in tables {
            let sql = format!("SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT MAX(id) FROM {t}))");
            self.write.execute(Statement::from_string(self.backend, sql)).await?;
        }
        Ok(())
    }

    async fn max_id(&self, table: &str) -> Result<i64> {
        let q = Query::select().expr_as(Func::max(Expr::col(col("id"))), col("m")).from(col(table)).to_owned();
        Ok(match self.write.query_one(self.backend.build(&q)).await? {
            Some(r) => r.try_get::<Option<i64>>("", "m")?.unwrap_or(0),
            None => 0,
        })
    }
}

/// Tables that get explicit ids (and so need their PostgreSQL sequences moved).
#[rustfmt::skip]
const BULK_TABLES: [&str; 11] = [
    "teams", "users", "pipelines", "stages", "organizations", "persons", "identities", "deals",
    "activities", "notes", "history",
];

/// One multi-row INSERT ready for the driver.
struct Chunk {
    sql: Arc<str>,
    args: Args,
    rows: u64,
}

/// Where the generator sends its statements.
struct Sink {
    tx: mpsc::Sender<Result<Chunk>>,
    backend: DbBackend,
}

/// Why the generator stopped early.
enum Halt {
    /// The receiving side is gone (it failed and reports its own error).
    Closed,
    Failed(StoreError),
}

impl From<StoreError> for Halt {
    fn from(e: StoreError) -> Self {
        Halt::Failed(e)
    }
}

/// One value of a generated row; every column of the schema is an integer, a text or a boolean.
enum Cell {
    Int(Option<i64>),
    Text(Option<String>),
    Bool(bool),
}

impl From<Cell> for Value {
    fn from(c: Cell) -> Value {
        match c {
            Cell::Int(v) => Value::BigInt(v),
            Cell::Text(v) => Value::String(v.map(Box::new)),
            Cell::Bool(v) => Value::Bool(Some(v)),
        }
    }
}

fn int(v: i64) -> Cell {
    Cell::Int(Some(v))
}
fn oint(v: Option<i64>) -> Cell {
    Cell::Int(v)
}
fn text(s: impl Into<String>) -> Cell {
    Cell::Text(Some(s.into()))
}
fn otext(s: Option<String>) -> Cell {
    Cell::Text(s)
}
fn boolean(b: bool) -> Cell {
    Cell::Bool(b)
}

/// The bound values of one statement, in the driver's own form.
enum Args {
    Sqlite(SqliteArguments<'static>),
    Postgres(PgArguments),
}

impl Args {
    fn new(backend: DbBackend) -> Self {
        match backend {
            DbBackend::Postgres => Args::Postgres(PgArguments::default()),
            _ => Args::Sqlite(SqliteArguments::default()),
        }
    }

    fn add(&mut self, c: Cell) -> Result<()> {
        let added = match (self, c) {
            (Args::Sqlite(a), Cell::Int(v)) => a.add(v),
            (Args::Sqlite(a), Cell::Text(v)) => a.add(v),
            (Args::Sqlite(a), Cell::Bool(v)) => a.add(v),
            (Args::Postgres(a), Cell::Int(v)) => a.add(v),
            (Args::Postgres(a), Cell::Text(v)) => a.add(v),
            (Args::Postgres(a), Cell::Bool(v)) => a.add(v),
        };
        added.map_err(|e| StoreError::Internal(format!("binding a demo value: {e}")))
    }
}

/// A transaction on the writer connection, in the driver's own form.
enum BulkTx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl BulkTx {
    async fn execute(&mut self, sql: &str, args: Args) -> Result<()> {
        match (self, args) {
            (BulkTx::Sqlite(t), Args::Sqlite(a)) => {
                sqlx::query_with(sql, a).execute(&mut **t).await?;
            }
            (BulkTx::Postgres(t), Args::Postgres(a)) => {
                sqlx::query_with(sql, a).execute(&mut **t).await?;
            }
            _ => return Err(StoreError::Internal("demo statement built for another backend".into())),
        }
        Ok(())
    }

    async fn commit(self) -> Result<()> {
        match self {
            BulkTx::Sqlite(t) => t.commit().await?,
            BulkTx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
}

/// The text of a multi-row INSERT of `rows` rows into `cols`, every value a bound parameter.
fn insert_sql(backend: DbBackend, table: &str, cols: &[&str], rows: usize) -> Result<String> {
    let mut q = Query::insert();
    q.into_table(col(table)).columns(cols.iter().map(|c| col(c)));
    for _ in 0..rows {
        q.values(cols.iter().map(|_| SimpleExpr::Value(Value::BigInt(None)))).map_err(|e| StoreError::Internal(format!("{table}: {e}")))?;
    }
    Ok(backend.build(&q).sql)
}

/// Rows of one table waiting to become a statement.
struct Batch {
    table: &'static str,
    cols: &'static [&'static str],
    per_stmt: usize,
    args: Option<Args>,
    rows: usize,
    /// The SQL of a full batch, built once: only the values change from statement to statement.
    full_sql: Option<Arc<str>>,
}

impl Batch {
    fn new(table: &'static str, cols: &'static [&'static str]) -> Self {
        Batch { table, cols, per_stmt: (MAX_PARAMS / cols.len()).max(1), args: None, rows: 0, full_sql: None }
    }

    fn push<const N: usize>(&mut self, row: [Cell; N], sink: &Sink) -> Result<(), Halt> {
        if N != self.cols.len() {
            return Err(Halt::Failed(StoreError::Internal(format!("{}: {N} values for {} columns", self.table, self.cols.len()))));
        }
        let args = self.args.get_or_insert_with(|| Args::new(sink.backend));
        for c in row {
            args.add(c)?;
        }
        self.rows += 1;
        if self.rows >= self.per_stmt {
            self.flush(sink)?;
        }
        Ok(())
    }

    fn flush(&mut self, sink: &Sink) -> Result<(), Halt> {
        let Some(args) = self.args.take() else { return Ok(()) };
        let sql = match &self.full_sql {
            Some(sql) if self.rows == self.per_stmt => sql.clone(),
            _ => {
                let sql: Arc<str> = insert_sql(sink.backend, self.table, self.cols, self.rows)?.into();
                if self.rows == self.per_stmt {
                    self.full_sql = Some(sql.clone());
                }
                sql
            }
        };
        let rows = std::mem::take(&mut self.rows) as u64;
        sink.tx.blocking_send(Ok(Chunk { sql, args, rows })).map_err(|_| Halt::Closed)
    }
}

/// splitmix64: tiny, fast, and good enough for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }
    /// Uniform in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    /// Uniform in `lo..=hi` (`lo` when the range is empty).
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            lo
        } else {
            lo + self.below((hi - lo) as u64 + 1) as i64
        }
    }
    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
        let mut x = self.below(total);
        for (i, w) in weights.iter().enumerate() {
            if x < u64::from(*w) {
                return i;
            }
            x -= u64::from(*w);
        }
        0
    }
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The random stream of record `index` of one kind.
fn rng_for(seed: u64, stream: u64, index: u64) -> Rng {
    Rng(mix(mix(seed ^ stream.wrapping_mul(0xA076_1D64_78BD_642F)) ^ index.wrapping_mul(0xE703_7ED1_A0B4_28DB)))
}

/// Ids of the created setup rows and the first id of every bulk table, plus the sizes.
struct Plan {
    seed: u64,
    ws: i64,
    now: i64,
    setup_at: i64,
    deals: u64,
    orgs: u64,
    persons: u64,
    /// The logins in [`USERS`] order, then the former manager.
    users: [i64; 10],
    team_ids: [i64; 2],
    clients: i64,
    partners: i64,
    client_stages: [i64; 6],
    partner_stages: [i64; 4],
    /// Largest existing id of each bulk table: organizations, persons, identities, deals,
    /// activities, notes, history.
    base: [i64; 7],
    phone_offset: u64,
    /// The workspace's zone and working calendar: tasks and meetings fall in working hours.
    tz: String,
    hours: BusinessHours,
    /// Working minutes of a working day (at least 1).
    day_minutes: i64,
}

impl Plan {
    async fn new(db: &Db, opts: &DemoOptions, workspace: &WorkspaceInfo, now: i64) -> Result<Plan> {
        let ws = workspace.id;
        let hours = crate::regulation::workspace_calendar(&db.read, db.backend, ws).await?;
        let day_minutes = hours.hours.iter().map(|&(s, e)| i64::from(e - s)).sum::<i64>().max(1);
        let team = db.max_id("teams").await?;
        let user = db.max_id("users").await?;
        let pipeline = db.max_id("pipelines").await?;
        let stage = db.max_id("stages").await?;
        let mut base = [0; 7];
        for (b, t) in base.iter_mut().zip(["organizations", "persons", "identities", "deals", "activities", "notes", "history"]) {
            *b = db.max_id(t).await?;
        }
        Ok(Plan {
            seed: opts.seed,
            ws,
            now,
            setup_at: now - 400 * DAY,
            deals: opts.deals,
            orgs: (opts.deals / 3).max(1),
            persons: (opts.deals * 2 / 3).max(1),
            users: std::array::from_fn(|i| user + 1 + i as i64),
            team_ids: [team + 1, team + 2],
            clients: pipeline + 1,
            partners: pipeline + 2,
            client_stages: std::array::from_fn(|i| stage + 1 + i as i64),
            partner_stages: std::array::from_fn(|i| stage + 7 + i as i64),
            base,
            phone_offset: rng_for(opts.seed, S_PHONE, 0).below(1_000_000_000),
            tz: workspace.timezone.clone(),
            hours,
            day_minutes,
        })
    }

    /// `at` moved into the workspace's working hours, where people plan their tasks and meetings:
    /// kept when it is working time, else a moment of the next working interval, spread over the
    /// working day (so moved tasks do not all fall at 09:00). When that is outside
    /// `earliest..=latest` (a task done before now), the same is tried from a day earlier, two…,
    /// a week at most; failing that, the next working moment is taken anyway.
    fn in_hours(&self, r: &mut Rng, at: i64, earliest: i64, latest: i64) -> i64 {
        let (hours, tz) = (&self.hours, self.tz.as_str());
        if hours.is_working_time(tz, at) {
            return at;
        }
        // `+ 1` then `- MINUTE`: a moment strictly inside an interval, never its end (18:00 is
        // already after hours).
        let into = r.range(0, self.day_minutes - 1);
        let moved = |from: i64| hours.add_working_minutes(tz, from, into + 1) - MINUTE;
        (0..=7).map(|days| moved(at - days * DAY)).find(|t| (earliest..=latest).contains(t)).unwrap_or_else(|| moved(at))
    }

    /// A point of the last 365 days: `num/den` of the way from a year ago to now.
    fn timeline(&self, num: u64, den: u64) -> i64 {
        let span = 365 * DAY;
        self.now - span + (i128::from(span) * i128::from(num) / i128::from(den.max(1))) as i64
    }

    /// When a record created at `created` was last changed: for `stale_percent` of records soon
    /// after creation (within `window`), for the rest within the last `window`. Besides being
    /// realistic, this keeps the `updated_at` indexes' inserts near two moving ends instead of
    /// spread over the whole year, which is what makes large workspaces fast to insert.
    fn touched(&self, r: &mut Rng, created: i64, window: i64, stale_percent: u64) -> i64 {
        let t = if r.chance(stale_percent) { created + r.range(0, window) } else { self.now - r.range(0, window) };
        t.clamp(created.min(self.now), self.now)
    }

    fn is_agency(&self, org: u64) -> bool {
        rng_for(self.seed, S_AGENCY, org).chance(8)
    }

    /// A mobile number of its own for every person: `index ↦ index·M + offset (mod 10⁹)` is a
    /// bijection because M is coprime with 10⁹.
    fn phone(&self, person: u64) -> String {
        const M: u64 = 387_420_489; // 3¹⁸
        format!("+79{:09}", (person % 1_000_000_000 * M + self.phone_offset) % 1_000_000_000)
    }

    /// The person's name, and its transliteration for the e-mail address.
    fn person_name(&self, person: u64) -> (String, String) {
        let mut r = rng_for(self.seed, S_PERSON_NAME, person);
        let female = r.chance(45);
        let first = if female { *r.pick(FIRST_F) } else { *r.pick(FIRST_M) };
        let last = *r.pick(LAST);
        let suffix = if female { "а" } else { "" };
        let latin = format!("{}.{}{}", translit(first), translit(last), if female { "a" } else { "" });
        let name = match r.below(100) {
            // Malformed on purpose, for the naming rules: a bare lower-case first name, or shouting.
            0 => first.to_lowercase(),
            1 => format!("{first} {last}{suffix}").to_uppercase(),
            _ => format!("{first} {last}{suffix}"),
        };
        (name, latin)
    }

    /// The first person of an organization, if it has one.
    fn first_person_of(&self, org: u64) -> Option<u64> {
        let p = (u128::from(org) * u128::from(self.persons)).div_ceil(u128::from(self.orgs)) as u64;
        (p < self.persons && self.org_of_person(p) == org).then_some(p)
    }

    fn org_of_person(&self, person: u64) -> u64 {
        (u128::from(person) * u128::from(self.orgs) / u128::from(self.persons)) as u64
    }
}

struct OrgInfo {
    name: String,
    owner: u8,
    city: Option<u8>,
}

struct PersonInfo {
    owner: u8,
    has_org: bool,
}

/// Generates every bulk row in a fixed order and feeds the batches.
struct Producer<'a> {
    p: Plan,
    sink: &'a Sink,
    orgs: Vec<OrgInfo>,
    persons: Vec<PersonInfo>,
    next_history: i64,
    b_org: Batch,
    b_person: Batch,
    b_identity: Batch,
    b_deal: Batch,
    b_activity: Batch,
    b_note: Batch,
    b_history: Batch,
    b_stay: Batch,
    b_terms: Batch,
}

const ORG_COLS: &[&str] = &["id", "workspace_id", "name", "owner_id", "address", "website", "tax_id", "custom", "created_at", "updated_at"];
const PERSON_COLS: &[&str] =
    &["id", "workspace_id", "name", "organization_id", "owner_id", "job_title", "phone", "email", "created_at", "updated_at"];
const IDENTITY_COLS: &[&str] = &["id", "workspace_id", "person_id", "kind", "value", "created_at"];
const DEAL_COLS: &[&str] = &[
    "id",
    "workspace_id",
    "title",
    "pipeline_id",
    "stage_id",
    "status",
    "value",
    "currency",
    "owner_id",
    "person_id",
    "organization_id",
    "source",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "tracking_number",
    "expected_close_date",
    "stage_entered_at",
    "lost_reason",
    "frozen_reason",
    "not_lead_reason",
    "closed_at",
    "custom",
    "created_at",
    "updated_at",
];
const ACTIVITY_COLS: &[&str] = &[
    "id",
    "workspace_id",
    "type",
    "subject",
    "description",
    "due_at",
    "duration_min",
    "done",
    "done_at",
    "owner_id",
    "deal_id",
    "person_id",
    "organization_id",
    "call_direction",
    "call_outcome",
    "phone",
    "recording_url",
    "created_at",
    "updated_at",
];
const NOTE_COLS: &[&str] = &["id", "workspace_id", "content", "author_id", "deal_id", "created_at", "updated_at"];
const HISTORY_COLS: &[&str] = &["id", "workspace_id", "entity", "record_id", "action", "actor_id", "channel", "changes", "created_at"];

/// One generated activity before it becomes a row.
struct Act {
    kind: ActivityType,
    subject: String,
    description: Option<String>,
    due: i64,
    duration: Option<i64>,
    done_at: Option<i64>,
    call: Option<(CallDirection, CallOutcome)>,
    created: i64,
}

impl<'a> Producer<'a> {
    fn new(p: Plan, sink: &'a Sink) -> Self {
        let next_history = p.base[6] + 1;
        Producer {
            orgs: Vec::with_capacity(p.orgs as usize),
            persons: Vec::with_capacity(p.persons as usize),
            p,
            sink,
            next_history,
            b_org: Batch::new("organizations", ORG_COLS),
            b_person: Batch::new("persons", PERSON_COLS),
            b_identity: Batch::new("identities", IDENTITY_COLS),
            b_deal: Batch::new("deals", DEAL_COLS),
            b_activity: Batch::new("activities", ACTIVITY_COLS),
            b_note: Batch::new("notes", NOTE_COLS),
            b_history: Batch::new("history", HISTORY_COLS),
            b_stay: Batch::new("stage_stays", &crate::stage_history::COLUMNS),
            b_terms: Batch::new("search_terms", &["workspace_id", "entity", "term", "record_id"]),
        }
    }

    fn run(mut self) -> Result<(), Halt> {
        for k in 0..self.p.orgs {
            self.org(k)?;
        }
        self.b_org.flush(self.sink)?;
        for i in 0..self.p.persons {
            self.person(i)?;
        }
        self.b_person.flush(self.sink)?;
        self.b_identity.flush(self.sink)?;
        for j in 0..self.p.deals {
            self.deal(j)?;
        }
        for b in [&mut self.b_deal, &mut self.b_activity, &mut self.b_note, &mut self.b_history, &mut self.b_stay, &mut self.b_terms] {
            b.flush(self.sink)?;
        }
        Ok(())
    }

    fn history(&mut self, entity: Entity, id: i64, field: &str, value: &str, at: i64) -> Result<(), Halt> {
        let mut changes = String::with_capacity(value.len() + 32);
        changes.push_str("{\"");
        changes.push_str(field);
        changes.push_str("\":{\"from\":null,\"to\":");
        json_str(&mut changes, value);
        changes.push_str("}}");
        let hid = self.next_history;
        self.next_history += 1;
        let row = [
            int(hid),
            int(self.p.ws),
            text(entity.name()),
            int(id),
            text(HistoryAction::Create.as_str()),
            oint(None),
            text(Channel::Demo.as_str()),
            text(changes),
            int(at),
        ];
        self.b_history.push(row, self.sink)?;
        // A record's name or title is what global search finds it by: its words go in as well.
        if crate::search::SEARCHED.contains(&(entity, field)) {
            for term in poryadok_core::search::terms(value) {
                self.b_terms.push([int(self.p.ws), text(entity.name()), text(term), int(id)], self.sink)?;
            }
        }
        Ok(())
    }

    fn org(&mut self, k: u64) -> Result<(), Halt> {
        let p = &self.p;
        let id = p.base[0] + 1 + k as i64;
        let mut r = rng_for(p.seed, S_ORG, k);
        let agency = p.is_agency(k);
        let city = r.chance(98).then(|| r.below(CITIES.len() as u64) as u8);
        let root = *r.pick(ORG_ROOTS);
        let suffix = *r.pick(ORG_SUFFIXES);
        let brand = format!("{root}{suffix}");
        let form = *r.pick(ORG_FORMS);
        let from_partner = !agency && r.chance(6);
        let mut name = if agency {
            match r.below(3) {
                0 => format!("Рекламное агентство «{brand}»"),
                1 => format!("Digital-агентство «{root}»"),
                _ => format!("ООО «{root} Медиа»"),
            }
        } else if form == "ИП" {
            let first = r.pick(FIRST_M).chars().next().unwrap_or('А');
            let middle = r.pick(FIRST_M).chars().next().unwrap_or('А');
            format!("ИП {} {first}. {middle}.", r.pick(LAST))
        } else if r.chance(2) {
            // Malformed on purpose: no quotes, lower case.
            format!("{} {}", form.to_lowercase(), brand.to_lowercase())
        } else {
            format!("{form} «{brand}»")
        };
        if from_partner {
            name.push_str(" (от партнера)");
        }
        let owner = if agency && r.chance(70) {
            U_PARTNER
        } else {
            match r.below(100) {
                0..=87 => *r.pick(&U_MANAGERS),
                88..=93 => U_CONSULTANT,
                _ => U_PARTNER,
            }
        };
        let address = match city {
            Some(c) if r.chance(65) => Some(format!("г. {}, ул. {}, д. {}", CITIES[c as usize].0, r.pick(STREETS), r.range(1, 120))),
            _ => None,
        };
        let website = (form != "ИП" && r.chance(55)).then(|| format!("https://{}.ru", translit(&brand)));
        let tax_id = r.chance(70).then(|| inn(&mut r, form == "ИП" && !agency));
        // A partner organization: for most "от партнера" organizations (the rest break a rule),
        // and for a few others.
        let partner = if (from_partner && r.chance(85)) || (!from_partner && r.chance(3)) {
            (0..30).map(|_| r.below(k)).find(|m| k > 0 && p.is_agency(*m))
        } else {
            None
        };
        let mut custom = JsonObject::new();
        if let Some(c) = city {
            let (city, country) = CITIES[c as usize];
            custom.str("city", city);
            if r.chance(98) {
                custom.str("country", country);
            }
        }
        if agency || r.chance(60) {
            custom.bool("is_agency", agency);
        }
        if let Some(m) = partner {
            custom.int("partner_org", p.base[0] + 1 + m as i64);
        }
        let created = p.timeline(k, p.orgs) - 30 * DAY - r.range(0, 5 * DAY);
        let updated = p.touched(&mut r, created, 30 * DAY, 70);
        let row = [
            int(id),
            int(p.ws),
            text(name.as_str()),
            int(p.users[owner as usize]),
            otext(address),
            otext(website),
            otext(tax_id),
            text(custom.finish()),
            int(created),
            int(updated),
        ];
        self.b_org.push(row, self.sink)?;
        self.history(Entity::Organization, id, "name", &name, created)?;
        self.orgs.push(OrgInfo { name, owner, city });
        Ok(())
    }

    fn person(&mut self, i: u64) -> Result<(), Halt> {
        let p = &self.p;
        let id = p.base[1] + 1 + i as i64;
        let mut r = rng_for(p.seed, S_PERSON, i);
        let org = p.org_of_person(i);
        let has_org = r.chance(96);
        let owner = match self.orgs.get(org as usize) {
            Some(o) if has_org && r.chance(95) => o.owner,
            _ => *r.pick(&U_MANAGERS),
        };
        let (name, latin) = p.person_name(i);
        let job = (has_org && r.chance(85)).then(|| *r.pick(JOB_TITLES));
        let phone = p.phone(i);
        let email = format!("{latin}{}@{}", i + 1, r.pick(MAIL_DOMAINS));
        let created = p.timeline(i, p.persons) - 10 * DAY - r.range(0, 5 * DAY);
        let updated = p.touched(&mut r, created, 30 * DAY, 70);
        let org_id = has_org.then_some(p.base[0] + 1 + org as i64);
        let (ws, identity) = (p.ws, p.base[2] + 1 + 2 * i as i64);
        let row = [
            int(id),
            int(ws),
            text(name.as_str()),
            oint(org_id),
            int(p.users[owner as usize]),
            otext(job.map(str::to_string)),
            text(phone.as_str()),
            text(email.as_str()),
            int(created),
            int(updated),
        ];
        self.b_person.push(row, self.sink)?;
        let phone_row = [int(identity), int(ws), int(id), text(IdentityKind::Phone.as_str()), text(phone), int(created)];
        self.b_identity.push(phone_row, self.sink)?;
        let email_row = [int(identity + 1), int(ws), int(id), text(IdentityKind::Email.as_str()), text(email), int(created)];
        self.b_identity.push(email_row, self.sink)?;
        self.history(Entity::Person, id, "name", &name, created)?;
        self.persons.push(PersonInfo { owner, has_org });
        Ok(())
    }

    fn deal(&mut self, j: u64) -> Result<(), Halt> {
        let p = &self.p;
        let id = p.base[3] + 1 + j as i64;
        let mut r = rng_for(p.seed, S_DEAL, j);
        // The first ten deals cover every stage of both pipelines, so even a tiny workspace shows them all.
        let partners = match j {
            0..=5 => false,
            6..=9 => true,
            _ => r.chance(15),
        };
        let status = match j {
            0..=9 => DealStatus::Open,
            // A department in decent shape closes its deals: older ones are mostly won or lost,
            // the open ones are mostly the last five weeks' (the newest tenth of the timeline).
            _ if j * 10 < p.deals * 9 => {
                [DealStatus::Open, DealStatus::Won, DealStatus::Lost, DealStatus::Frozen][r.weighted(&[2, 46, 45, 7])]
            }
            _ => [DealStatus::Open, DealStatus::Won, DealStatus::Lost, DealStatus::Frozen][r.weighted(&[78, 8, 8, 6])],
        };
        let (stages, last): (&[i64], usize) =
            if partners { (&p.partner_stages, PARTNER_STAGES.len() - 1) } else { (&p.client_stages, CLIENT_STAGES.len() - 1) };
        let pos = match (j, status, partners) {
            (0..=5, _, _) => j as usize,
            (6..=9, _, _) => j as usize - 6,
            (_, DealStatus::Won, _) => last,
            (_, DealStatus::Open, false) => r.weighted(&CLIENT_OPEN_W),
            (_, DealStatus::Lost | DealStatus::NotLead, false) => r.weighted(&CLIENT_LOST_W),
            (_, DealStatus::Frozen, false) => r.weighted(&CLIENT_FROZEN_W),
            (_, DealStatus::Open, true) => r.weighted(&PARTNER_OPEN_W),
            (_, DealStatus::Lost | DealStatus::NotLead, true) => r.weighted(&PARTNER_LOST_W),
            (_, DealStatus::Frozen, true) => r.weighted(&PARTNER_FROZEN_W),
        };
        let stage = stages[pos];
        // A few of the lost ones were never leads (a wrong number, a vendor); they draw the same
        // random numbers as a lost deal, so the rest of the base stays as it was.
        let status = if status == DealStatus::Lost && j % 29 == 11 { DealStatus::NotLead } else { status };
        // Who: the person in the same part of the timeline, and their organization.
        let mut person = Some((u128::from(j) * u128::from(p.persons) / u128::from(p.deals)) as u64);
        let mut org_idx = person.filter(|i| self.persons.get(*i as usize).is_some_and(|x| x.has_org)).map(|i| p.org_of_person(i));
        if partners && r.chance(85) {
            // Partnership deals are mostly with agencies; the rest break the "is agency" rule.
            let start = org_idx.unwrap_or_else(|| p.org_of_person(person.unwrap_or(0)));
            if let Some(m) = (0..=start.min(60)).map(|d| start - d).find(|m| p.is_agency(*m)) {
                org_idx = Some(m);
                person = p.first_person_of(m).filter(|i| self.persons.get(*i as usize).is_some_and(|x| x.has_org));
            }
        }
        if r.chance(2) {
            person = None;
        }
        if org_idx.is_some() && r.chance(2) {
            org_idx = None;
        }
        let org_info = org_idx.and_then(|k| self.orgs.get(k as usize));
        let org_owner = org_info.map(|o| o.owner);
        let owner = if partners {
            if r.chance(85) {
                U_PARTNER
            } else {
                org_owner.unwrap_or(U_MANAGERS[0])
            }
        } else if r.chance(3) {
            U_HEAD
        } else if r.chance(98) {
            org_owner.or_else(|| person.and_then(|i| self.persons.get(i as usize)).map(|x| x.owner)).unwrap_or(U_MANAGERS[1])
        } else {
            *r.pick(&[U_MANAGERS[0], U_MANAGERS[1], U_MANAGERS[2], U_MANAGERS[3], U_CONSULTANT, U_PARTNER])
        };
        let owner = if j % FORMER_EVERY == FORMER_EVERY / 2 { U_FORMER } else { owner };
        let product = if partners { *r.pick(PARTNER_PRODUCTS) } else { *r.pick(PRODUCTS) };
        let title = if r.chance(2) {
            (*r.pick(MALFORMED_TITLES)).to_string()
        } else if let Some(o) = org_info {
            format!("{} — {product}", o.name)
        } else if let Some(i) = person {
            format!("{} — {product}", p.person_name(i).0)
        } else {
            format!("Заявка №{id} — {product}")
        };
        let late = (partners && pos >= 2) || (!partners && pos >= CLIENT_PROPOSAL_SENT);
        let value = if status == DealStatus::Won || r.chance(if late { 92 } else { 65 }) {
            let rubles = match r.weighted(&[35, 35, 20, 10]) {
                0 => r.range(50, 150),
                1 => r.range(150, 500),
                2 => r.range(500, 1_500),
                _ => r.range(1_500, 5_000),
            };
            rubles * 1_000 * 100
        } else {
            0
        };
        let source = if partners && r.chance(70) { Some("Партнер") } else { SOURCES[r.weighted(&SOURCE_W)].0 };
        let (mut utm_source, mut utm_medium, mut utm_campaign, mut utm_term, mut utm_content) = (None, None, None, None, None);
        match source {
            Some("Сайт") => {
                utm_source = Some(if r.chance(70) { "yandex" } else { "google" }.to_string());
                utm_medium = Some("organic".to_string());
            }
            Some("Яндекс.Директ") => {
                utm_source = Some("yandex".to_string());
                utm_medium = Some("cpc".to_string());
                utm_campaign = Some((*r.pick(UTM_CAMPAIGNS)).to_string());
                utm_term = Some((*r.pick(UTM_TERMS)).to_string());
                utm_content = Some(format!("ad_{}", r.range(1, 12)));
            }
            _ => {}
        }
        let tracking =
            (matches!(source, Some("Звонок" | "Яндекс.Директ")) && r.chance(60)).then(|| format!("+7495{:07}", r.below(10_000_000)));

        // When: deals follow the timeline, so ids grow with creation time.
        let slot = (365 * DAY / p.deals.max(1) as i64).max(1);
        let created = (p.timeline(j, p.deals) + r.range(0, slot - 1)).min(p.now);
        let (updated, stage_entered, closed) = match status {
            DealStatus::Won | DealStatus::Lost | DealStatus::NotLead => {
                let closed = (created + r.range(0, 60 * DAY)).min(p.now);
                let updated = (closed + r.range(0, 2 * DAY)).min(p.now);
                (updated, r.range(created, closed), Some(closed))
            }
            DealStatus::Frozen => {
                let updated = (created + r.range(0, 45 * DAY)).min(p.now);
                (updated, r.range(created, updated), None)
            }
            DealStatus::Open => {
                // Most open deals are worked on: touched lately, moved on within the last weeks.
                let updated = p.touched(&mut r, created, 10 * DAY, 12);
                let entered = if r.chance(90) { r.range(created.max(updated - 4 * DAY), updated) } else { r.range(created, updated) };
                (updated, entered, None)
            }
        };
        let expected = r.chance(90).then(|| date(created + r.range(14, 120) * DAY));
        let (lost_reason, frozen_reason, not_lead_reason) = match status {
            DealStatus::Lost => (Some((*r.pick(LOST_REASONS)).to_string()), None, None),
            DealStatus::Frozen => (None, Some((*r.pick(FROZEN_REASONS)).to_string()), None),
            DealStatus::NotLead => (None, None, Some((*r.pick(NOT_LEAD_REASONS)).to_string())),
            _ => (None, None, None),
        };

        // Custom fields, with gaps on purpose (the hygiene rules look for them).
        let mut custom = JsonObject::new();
        if let Some(c) = org_info.and_then(|o| o.city) {
            if r.chance(70) {
                custom.str("city", CITIES[c as usize].0);
            }
        }
        if r.chance(if late { 85 } else { 40 }) {
            custom.int("budget", r.range(30, 500) * 1_000 * 100);
        }
        if r.chance(if late { 85 } else { 35 }) {
            custom.int("traffic", r.range(500, 200_000));
        }
        let demo_done = !partners && pos >= CLIENT_DEMO_DONE;
        if (late || status == DealStatus::Won) && r.chance(85) {
            custom.str("proposal_link", &format!("https://docs.{DOMAIN}/kp/{id}.pdf"));
        }
        if demo_done && r.chance(85) {
            custom.str("demo_link", &format!("https://records.{DOMAIN}/demo/{id}.mp4"));
        }
        if r.chance(90) {
            custom.str("product", product);
        }

        let ws = p.ws;
        let owner_id = p.users[owner as usize];
        let person_id = person.map(|i| p.base[1] + 1 + i as i64);
        let org_id = org_idx.map(|k| p.base[0] + 1 + k as i64);
        let row = [
            int(id),
            int(ws),
            text(title.as_str()),
            int(if partners { p.partners } else { p.clients }),
            int(stage),
            text(status.as_str()),
            int(value),
            text("RUB"),
            int(owner_id),
            oint(person_id),
            oint(org_id),
            otext(source.map(str::to_string)),
            otext(utm_source),
            otext(utm_medium),
            otext(utm_campaign),
            otext(utm_term),
            otext(utm_content),
            otext(tracking),
            otext(expected),
            int(stage_entered),
            otext(lost_reason),
            otext(frozen_reason),
            otext(not_lead_reason),
            oint(closed),
            text(custom.finish()),
            int(created),
            int(updated),
        ];
        self.b_deal.push(row, self.sink)?;
        // Its way through the pipeline: every stage up to the current one, evenly between its
        // creation and its entering the current stage (no random numbers drawn).
        for k in 0..=pos {
            let at = |k: usize| if pos == 0 { created } else { created + (stage_entered - created) * k as i64 / pos as i64 };
            let row = [
                int(ws),
                int(id),
                int(if partners { p.partners } else { p.clients }),
                int(stages[k]),
                oint((k > 0).then(|| stages[k - 1])),
                int(at(k)),
                oint((k < pos).then(|| at(k + 1))),
            ];
            self.b_stay.push(row, self.sink)?;
        }

        let deal = DealCtx { status, partners, pos, created, updated, closed, inbound: source == Some("Звонок") };
        let acts = self.activities(j, &deal);
        let phone = person.map(|i| self.p.phone(i));
        let base_act = self.p.base[4] + 1 + 3 * j as i64;
        for (n, a) in acts.into_iter().enumerate() {
            let act_id = base_act + n as i64;
            let (direction, outcome) = match a.call {
                Some((d, o)) => (Some(d.as_str().to_string()), Some(o)),
                None => (None, None),
            };
            let recording = (outcome == Some(CallOutcome::Answered)).then(|| format!("https://records.{DOMAIN}/{act_id}.mp3"));
            let updated = a.done_at.map_or(a.created, |d| d.max(a.created));
            let row = [
                int(act_id),
                int(ws),
                text(a.kind.as_str()),
                text(a.subject),
                otext(a.description),
                int(a.due),
                oint(a.duration),
                boolean(a.done_at.is_some()),
                oint(a.done_at),
                int(owner_id),
                int(id),
                oint(person_id),
                oint(org_id),
                otext(direction),
                otext(outcome.map(|o| o.as_str().to_string())),
                otext(a.call.and(phone.clone())),
                otext(recording),
                int(a.created),
                int(updated),
            ];
            self.b_activity.push(row, self.sink)?;
        }
        if j % 5 == 2 {
            let mut r = rng_for(self.p.seed, S_NOTE, j);
            let at = r.range(created, updated.min(created + 30 * DAY));
            let row =
                [int(self.p.base[5] + 1 + (j / 5) as i64), int(ws), text(note_text(&mut r, at)), int(owner_id), int(id), int(at), int(at)];
            self.b_note.push(row, self.sink)?;
        }
        self.history(Entity::Deal, id, "title", &title, created)
    }

    /// Three activities of a deal: the first call, a later touch, and the next step. The touch
    /// and the step are planned by people, so they fall in the workspace's working hours; the
    /// first call answers the lead whenever it came.
    fn activities(&self, j: u64, d: &DealCtx) -> [Act; 3] {
        let now = self.p.now;
        let mut r = rng_for(self.p.seed, S_ACTIVITY, j);
        let call = |r: &mut Rng, inbound: bool, at: i64| -> Act {
            let answered = r.chance(78);
            let minutes = if answered { r.range(1, 25) } else { 0 };
            let subject = match (inbound, answered) {
                (true, true) => "Входящий звонок",
                (true, false) => "Пропущенный звонок",
                (false, true) => "Исходящий звонок",
                (false, false) => "Исходящий звонок: не дозвонились",
            };
            let outcome = if answered { CallOutcome::Answered } else { CallOutcome::Missed };
            let direction = if inbound { CallDirection::Inbound } else { CallDirection::Outbound };
            Act {
                kind: ActivityType::Call,
                subject: subject.to_string(),
                description: None,
                due: at,
                duration: Some(minutes),
                done_at: Some((at + minutes * MINUTE).min(now)),
                call: Some((direction, outcome)),
                created: at,
            }
        };
        let first_at = (d.created + r.range(2 * MINUTE, 3 * HOUR)).min(now);
        let inbound = d.inbound || r.chance(30);
        let first = call(&mut r, inbound, first_at);

        let end = d.closed.unwrap_or(d.updated);
        let mid_at = r.range(d.created, end.min(d.created + 21 * DAY));
        let mid_at = self.p.in_hours(&mut r, mid_at, d.created, end);
        let second = if (!d.partners && d.pos >= CLIENT_DEMO_DONE) || (d.partners && d.pos >= 2 && r.chance(50)) {
            let minutes = r.range(30, 90);
            Act {
                kind: if d.partners { ActivityType::Meeting } else { ActivityType::Demo },
                subject: if d.partners { "Встреча с партнером" } else { "Демонстрация продукта" }.to_string(),
                description: r.chance(40).then(|| "Показали отчеты, воронку и интеграцию с телефонией.".to_string()),
                due: mid_at,
                duration: Some(minutes),
                done_at: Some((mid_at + minutes * MINUTE).min(now)),
                call: None,
                created: (mid_at - r.range(0, 2 * DAY)).max(d.created),
            }
        } else {
            match r.weighted(&[40, 30, 30]) {
                0 => call(&mut r, false, mid_at),
                1 => Act {
                    kind: ActivityType::Email,
                    subject: if d.pos >= CLIENT_PROPOSAL_SENT {
                        "Отправить КП по почте"
                    } else {
                        "Письмо с презентацией"
                    }
                    .to_string(),
                    description: None,
                    due: mid_at,
                    duration: None,
                    done_at: Some(mid_at),
                    call: None,
                    created: mid_at,
                },
                _ => {
                    let minutes = r.range(30, 60);
                    Act {
                        kind: ActivityType::Meeting,
                        subject: "Встреча с клиентом".to_string(),
                        description: None,
                        due: mid_at,
                        duration: Some(minutes),
                        done_at: Some((mid_at + minutes * MINUTE).min(now)),
                        call: None,
                        created: (mid_at - r.range(0, 3 * DAY)).max(d.created),
                    }
                }
            }
        };

        // The next step: open for most live deals (a few have none, for the "no open task" rule),
        // done for closed ones; due in working hours, as a manager sets it.
        let subject = if d.partners { PARTNER_TASKS[d.pos.min(3)] } else { CLIENT_TASKS[d.pos.min(5)] };
        let task_created = (d.updated - r.range(0, 3 * DAY)).max(d.created);
        let description = r.chance(30).then(|| (*r.pick(TASK_DESCRIPTIONS)).to_string());
        let (subject, due, done_at) = match d.status {
            DealStatus::Open if r.chance(94) => {
                let due = if r.chance(5) {
                    let overdue = (now - r.range(DAY, 20 * DAY)).max(task_created + HOUR);
                    self.p.in_hours(&mut r, overdue, task_created, now - MINUTE)
                } else {
                    let ahead = now + r.range(HOUR, 14 * DAY);
                    self.p.in_hours(&mut r, ahead, now, i64::MAX)
                };
                (subject.to_string(), due, None)
            }
            DealStatus::Frozen if r.chance(92) => {
                let back = now + r.range(7 * DAY, 90 * DAY);
                ("Вернуться к клиенту после заморозки".to_string(), self.p.in_hours(&mut r, back, now, i64::MAX), None)
            }
            _ => {
                let due = r.range(task_created, end.max(task_created));
                let due = self.p.in_hours(&mut r, due, task_created, now);
                (subject.to_string(), due, Some(due.min(now)))
            }
        };
        let third = Act { kind: ActivityType::Task, subject, description, due, duration: None, done_at, call: None, created: task_created };
        [first, second, third]
    }
}

const SOURCE_W: [u32; 7] = [SOURCES[0].1, SOURCES[1].1, SOURCES[2].1, SOURCES[3].1, SOURCES[4].1, SOURCES[5].1, SOURCES[6].1];

/// What activities need to know about their deal.
struct DealCtx {
    status: DealStatus,
    partners: bool,
    pos: usize,
    created: i64,
    updated: i64,
    closed: Option<i64>,
    inbound: bool,
}

fn note_text(r: &mut Rng, at: i64) -> String {
    let later = date_ru(at + r.range(3, 30) * DAY);
    match r.below(10) {
        0 => format!("Клиент попросил перезвонить после {later}, сейчас закрывают квартал."),
        1 => format!("Обсудили бюджет: около {} тыс. ₽ в месяц. Решение после согласования с директором.", r.range(3, 50) * 10),
        2 => "Отправили КП, клиент сравнивает нас с двумя конкурентами. Главный критерий — цена.".to_string(),
        3 => "Провели демо. Вопросы по интеграции с 1С и по срокам запуска, ответы отправил на почту.".to_string(),
        4 => "Клиент недоволен текущим подрядчиком: нет отчетности, растет стоимость заявки.".to_string(),
        5 => "Договорились о пилоте на месяц, по итогам — решение по годовому договору.".to_string(),
        6 => format!("ЛПР в отпуске до {later}, вернуться к обсуждению после."),
        7 => "Нужен счет на предоплату 50 %, реквизиты прислали в мессенджер.".to_string(),
        8 => "Попросили кейсы из их отрасли, отправил три примера с цифрами.".to_string(),
        _ => format!("Трафик сайта около {} визитов в месяц, конверсия в заявку низкая. Предложить аудит.", r.range(2, 200) * 100),
    }
}

/// A compact JSON object written by hand: much faster than building `serde_json` values.
struct JsonObject(String);

impl JsonObject {
    fn new() -> Self {
        JsonObject(String::from("{"))
    }
    fn key(&mut self, k: &str) {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        json_str(&mut self.0, k);
        self.0.push(':');
    }
    fn str(&mut self, k: &str, v: &str) {
        self.key(k);
        json_str(&mut self.0, v);
    }
    fn int(&mut self, k: &str, v: i64) {
        self.key(k);
        let _ = write!(self.0, "{v}");
    }
    fn bool(&mut self, k: &str, v: bool) {
        self.key(k);
        self.0.push_str(if v { "true" } else { "false" });
    }
    fn finish(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

fn json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Russian → Latin for e-mail addresses and domains (lower case).
fn translit(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        let t = match c {
            'а' => "a",
            'б' => "b",
            'в' => "v",
            'г' => "g",
            'д' => "d",
            'е' | 'ё' | 'э' => "e",
            'ж' => "zh",
            'з' => "z",
            'и' => "i",
            'й' | 'ы' => "y",
            'к' => "k",
            'л' => "l",
            'м' => "m",
            'н' => "n",
            'о' => "o",
            'п' => "p",
            'р' => "r",
            'с' => "s",
            'т' => "t",
            'у' => "u",
            'ф' => "f",
            'х' => "kh",
            'ц' => "ts",
            'ч' => "ch",
            'ш' => "sh",
            'щ' => "shch",
            'ъ' | 'ь' => "",
            'ю' => "yu",
            'я' => "ya",
            c if c.is_ascii_alphanumeric() => {
                out.push(c);
                continue;
            }
            _ => "",
        };
        out.push_str(t);
    }
    out
}

/// A taxpayer number with valid check digits: 10 digits for companies, 12 for sole traders.
fn inn(r: &mut Rng, person: bool) -> String {
    const W10: [u32; 9] = [2, 4, 10, 3, 5, 9, 4, 6, 8];
    const W11: [u32; 10] = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8];
    const W12: [u32; 11] = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8];
    let check = |d: &[u32], w: &[u32]| d.iter().zip(w).map(|(a, b)| a * b).sum::<u32>() % 11 % 10;
    let mut d: Vec<u32> = (0..if person { 10 } else { 9 }).map(|_| r.below(10) as u32).collect();
    // Region code 77 (Moscow), 78 or 16 (Tatarstan) keeps it plausible.
    let region = [[7, 7], [7, 8], [1, 6]][r.below(3) as usize];
    d[0] = region[0];
    d[1] = region[1];
    if person {
        let c1 = check(&d, &W11);
        d.push(c1);
        let c2 = check(&d, &W12);
        d.push(c2);
    } else {
        let c = check(&d, &W10);
        d.push(c);
    }
    d.iter().filter_map(|x| char::from_digit(*x, 10)).collect()
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian.
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `YYYY-MM-DD` of a moment, in Moscow.
fn date(ms: i64) -> String {
    let (y, m, d) = civil((ms + MSK).div_euclid(DAY));
    format!("{y:04}-{m:02}-{d:02}")
}

/// `DD.MM.YYYY`, the Russian way, for note texts.
fn date_ru(ms: i64) -> String {
    let (y, m, d) = civil((ms + MSK).div_euclid(DAY));
    format!("{d:02}.{m:02}.{y:04}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DatabaseUrl;
    use poryadok_core::FixedClock;
    use sea_orm::QueryResult;
    use std::collections::{HashMap, HashSet};
    use std::sync::atomic::{AtomicU64, Ordering};

    #[derive(Debug, Clone, Copy)]
    enum Backend {
        Sqlite,
        Postgres,
    }
    const BACKENDS: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

    struct TempDb {
        db: Db,
        file: Option<std::path::PathBuf>,
    }

    impl Drop for TempDb {
        fn drop(&mut self) {
            if let Some(path) = &self.file {
                for ext in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
                }
            }
        }
    }

    /// A fresh migrated database: a temporary SQLite file, or a new PostgreSQL database when
    /// PORYADOK_TEST_POSTGRES is set (`None` otherwise, the quick local loop).
    async fn temp_db(backend: Backend) -> Option<TempDb> {
        static N: AtomicU64 = AtomicU64::new(0);
        let unique = format!("{}_{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed));
        let (url, file) = match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("demo-{unique}.db"));
                (format!("sqlite://{}", path.display()), Some(path))
            }
            Backend::Postgres => {
                let Ok(admin) = std::env::var("PORYADOK_TEST_POSTGRES") else {
                    eprintln!("PostgreSQL variant not run: PORYADOK_TEST_POSTGRES is not set");
                    return None;
                };
                let conn = sea_orm::Database::connect(&admin).await.unwrap();
                let name = format!("poryadok_demo_{unique}_{}", rand::random::<u32>());
                conn.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
                conn.close().await.unwrap();
                let (prefix, _) = admin.rsplit_once('/').unwrap();
                (format!("{prefix}/{name}"), None)
            }
        };
        let clock = Arc::new(FixedClock::new(time::macros::datetime!(2026-11-23 12:00 UTC)));
        let db = Db::connect(&DatabaseUrl::new(url), clock).await.unwrap();
        db.migrate().await.unwrap();
        Some(TempDb { db, file })
    }

    async fn rows(db: &Db, q: &sea_query::SelectStatement) -> Vec<QueryResult> {
        db.read.query_all(db.backend.build(q)).await.unwrap()
    }

    async fn count(db: &Db, table: &str, ws: i64) -> u64 {
        let q = Query::select()
            .expr_as(Expr::cust("COUNT(*)"), col("n"))
            .from(col(table))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .to_owned();
        rows(db, &q).await[0].try_get::<i64>("", "n").unwrap() as u64
    }

    async fn deals_of(db: &Db, ws: i64) -> Vec<(String, i64, i64, String)> {
        let q = Query::select()
            .columns(["title", "value", "owner_id", "custom"].map(col))
            .from(col("deals"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .order_by(col("id"), sea_query::Order::Asc)
            .to_owned();
        rows(db, &q)
            .await
            .iter()
            .map(|r| {
                (
                    r.try_get("", "title").unwrap(),
                    r.try_get("", "value").unwrap(),
                    r.try_get("", "owner_id").unwrap(),
                    r.try_get("", "custom").unwrap(),
                )
            })
            .collect()
    }

    #[tokio::test]
    async fn the_same_seed_gives_the_same_workspace() {
        for backend in BACKENDS {
            let (Some(a), Some(b), Some(other)) = (temp_db(backend).await, temp_db(backend).await, temp_db(backend).await) else {
                continue;
            };
            let opts = DemoOptions { deals: 200, seed: 7 };
            let ra = a.db.generate_demo(&opts).await.unwrap();
            let rb = b.db.generate_demo(&opts).await.unwrap();
            assert_eq!(ra.rows, rb.rows);
            assert_eq!(ra.users, rb.users);
            let (da, db) = (deals_of(&a.db, ra.workspace_id).await, deals_of(&b.db, rb.workspace_id).await);
            assert_eq!(da.len(), 200);
            assert_eq!(da, db, "{backend:?}");
            assert!(da.iter().any(|d| d.0.contains(" — ")), "titles look like '<org> — <product>'");
            let rc = other.db.generate_demo(&DemoOptions { deals: 200, seed: 8 }).await.unwrap();
            assert_ne!(deals_of(&other.db, rc.workspace_id).await, da, "another seed gives other data");
        }
    }

    #[tokio::test]
    async fn a_workspace_has_the_promised_shape() {
        for backend in BACKENDS {
            let Some(t) = temp_db(backend).await else { continue };
            check_shape(&t.db).await;
        }
    }

    async fn check_shape(db: &Db) {
        let report = db.generate_demo(&DemoOptions { deals: 300, seed: 1 }).await.unwrap();
        let ws = report.workspace_id;
        assert_eq!((report.deals, report.activities), (300, 900));
        assert_eq!(count(db, "deals", ws).await, 300);
        assert_eq!(count(db, "activities", ws).await, 900);
        assert_eq!(count(db, "organizations", ws).await, 100);
        let persons = count(db, "persons", ws).await;
        assert_eq!(persons, 200);
        assert_eq!(count(db, "identities", ws).await, 2 * persons);
        assert_eq!(count(db, "notes", ws).await, 60);
        assert_eq!(count(db, "history", ws).await, 100 + 200 + 300);
        assert_eq!(count(db, "users", ws).await, 10, "nine logins and the manager who left");
        assert_eq!(report.users.len(), 9);
        let mut total = 1;
        for t in ["custom_field_defs", "teams", "users", "pipelines", "stages", "organizations", "persons", "rules"] {
            total += count(db, t, ws).await;
        }
        for t in ["identities", "deals", "activities", "notes", "history", "stage_stays", "search_terms"] {
            total += count(db, t, ws).await;
        }
        assert_eq!(report.rows, total, "rows counts every inserted row");
        assert_eq!(report.users[0].email, "admin@demo.poryadok.local");
        assert!(report.users.iter().all(|u| u.password.len() >= 8));
        let (_, user) = db.user_by_email("partner@demo.poryadok.local").await.unwrap().unwrap();
        let actor = db.actor_for_user(user, Channel::Demo).await.unwrap();
        assert_eq!(actor.caller.role, Role::PartnerManager);
        let (token, _, _) = db.login("manager1@demo.poryadok.local", "demo-manager1-1").await.unwrap();
        assert!(!token.is_empty());

        // Every deal's stage belongs to its pipeline; every stage has deals.
        let stages = Query::select()
            .columns(["id", "pipeline_id", "name"].map(col))
            .from(col("stages"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .to_owned();
        let stages: HashMap<i64, (i64, String)> = rows(db, &stages)
            .await
            .iter()
            .map(|r| (r.try_get("", "id").unwrap(), (r.try_get("", "pipeline_id").unwrap(), r.try_get("", "name").unwrap())))
            .collect();
        assert_eq!(stages.len(), CLIENT_STAGES.len() + PARTNER_STAGES.len());
        let q = Query::select()
            .columns(["id", "pipeline_id", "stage_id", "status", "created_at", "updated_at", "stage_entered_at"].map(col))
            .from(col("deals"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .to_owned();
        let deals = rows(db, &q).await;
        let mut per_stage: HashMap<i64, u64> = HashMap::new();
        let mut statuses = HashSet::new();
        let now = db.clock.now_ms();
        for d in &deals {
            let (pipeline, stage): (i64, i64) = (d.try_get("", "pipeline_id").unwrap(), d.try_get("", "stage_id").unwrap());
            assert_eq!(stages[&stage].0, pipeline);
            *per_stage.entry(stage).or_default() += 1;
            statuses.insert(d.try_get::<String>("", "status").unwrap());
            let (c, u, s): (i64, i64, i64) =
                (d.try_get("", "created_at").unwrap(), d.try_get("", "updated_at").unwrap(), d.try_get("", "stage_entered_at").unwrap());
            assert!(c <= s && s <= u && u <= now && c >= now - 366 * DAY);
        }
        assert_eq!(statuses, DealStatus::ALL.iter().map(|s| s.to_string()).collect());
        for (id, (_, name)) in &stages {
            assert!(per_stage.get(id).copied().unwrap_or(0) > 0, "no deal in stage {name}");
        }

        // Identities are unique and well-formed.
        let q = Query::select()
            .columns(["kind", "value"].map(col))
            .from(col("identities"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .to_owned();
        let ids: HashSet<(String, String)> =
            rows(db, &q).await.iter().map(|r| (r.try_get("", "kind").unwrap(), r.try_get("", "value").unwrap())).collect();
        assert_eq!(ids.len() as u64, 2 * persons);
        assert!(ids.iter().all(|(k, v)| (k == "phone" && v.starts_with("+79") && v.len() == 12) || (k == "email" && v.contains('@'))));

        // Most open deals have an open task, some do not.
        let q = Query::select()
            .column(col("deal_id"))
            .from(col("activities"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("done")).eq(false))
            .to_owned();
        let with_task: HashSet<i64> = rows(db, &q).await.iter().map(|r| r.try_get("", "deal_id").unwrap()).collect();
        let open: Vec<i64> =
            deals.iter().filter(|d| d.try_get::<String>("", "status").unwrap() == "open").map(|d| d.try_get("", "id").unwrap()).collect();
        let covered = open.iter().filter(|id| with_task.contains(id)).count();
        assert!(covered * 10 >= open.len() * 8 && covered < open.len(), "{covered} of {} open deals have an open task", open.len());

        // The record layer keeps working after explicit ids (PostgreSQL's sequences were moved).
        let sys = db.system_actor(ws, Channel::Api).await.unwrap();
        let org = db.create(&sys, Entity::Organization, &serde_json::json!({"name": "ООО «После демо»"})).await.unwrap();
        assert!(org.id() > 100);
        let deal = db.create(&sys, Entity::Deal, &serde_json::json!({"title": "После демо"})).await.unwrap();
        assert!(deal.id() > 300);
    }

    #[tokio::test]
    async fn every_task_and_meeting_falls_in_working_hours() {
        for backend in BACKENDS {
            let Some(t) = temp_db(backend).await else { continue };
            let db = &t.db;
            let report = db.generate_demo(&DemoOptions { deals: 400, seed: 5 }).await.unwrap();
            let ws = report.workspace_id;
            let sys = db.system_actor(ws, Channel::Demo).await.unwrap();
            let info = db.workspace_json(&sys).await.unwrap();
            let tz = info["timezone"].as_str().unwrap().to_string();
            let hours = BusinessHours::parse(&info["business_hours"]).unwrap();
            let q = Query::select()
                .columns(["id", "type", "due_at", "created_at", "done"].map(col))
                .from(col("activities"))
                .and_where(Expr::col(col("workspace_id")).eq(ws))
                .order_by(col("id"), sea_query::Order::Asc)
                .to_owned();
            let acts = rows(db, &q).await;
            let (mut tasks, mut open, mut times) = (0, 0, HashSet::new());
            for (i, a) in acts.iter().enumerate() {
                let (id, kind, due, created): (i64, String, i64, i64) = (
                    a.try_get("", "id").unwrap(),
                    a.try_get("", "type").unwrap(),
                    a.try_get("", "due_at").unwrap(),
                    a.try_get("", "created_at").unwrap(),
                );
                // Of each deal's three, the first is the call answering the lead, at any hour.
                if i % 3 == 0 {
                    assert_eq!(kind, "call", "{backend:?}: activity {id}");
                    continue;
                }
                let local = poryadok_core::zone::local(&tz, due);
                assert!(hours.is_working_time(&tz, due), "{backend:?}: {kind} {id} is due at {local} in {tz}, after hours");
                assert!(created <= due, "{backend:?}: {kind} {id} is due before it was created");
                if kind == "task" {
                    tasks += 1;
                    open += usize::from(!a.try_get::<bool>("", "done").unwrap());
                    times.insert((local.hour(), local.minute()));
                }
            }
            assert_eq!(tasks, 400, "{backend:?}: one next step a deal");
            assert!(open > 40, "{backend:?}: {open} open tasks");
            assert!(times.len() > 100, "{backend:?}: tasks are spread over the day, not stacked at its start: {times:?}");
        }
    }

    #[tokio::test]
    async fn different_seeds_share_a_database() {
        for backend in BACKENDS {
            let Some(t) = temp_db(backend).await else { continue };
            let one = t.db.generate_demo(&DemoOptions { deals: 50, seed: 1 }).await.unwrap();
            let two = t.db.generate_demo(&DemoOptions { deals: 50, seed: 42 }).await.unwrap();
            assert_ne!(one.workspace_id, two.workspace_id);
            assert_eq!(two.users[2].email, "manager1+s42@demo.poryadok.local");
            for ws in [one.workspace_id, two.workspace_id] {
                assert_eq!(count(&t.db, "deals", ws).await, 50);
                assert_eq!(count(&t.db, "identities", ws).await, 2 * count(&t.db, "persons", ws).await);
            }
            let again = t.db.generate_demo(&DemoOptions { deals: 50, seed: 42 }).await.unwrap_err();
            assert!(matches!(again, StoreError::Conflict { .. }), "{again:?}");
            assert_eq!(t.db.workspace_ids().await.unwrap().len(), 2, "a refused run creates no workspace");
        }
    }

    #[tokio::test]
    async fn the_raw_limit_cleans_up_after_itself() {
        for backend in BACKENDS {
            let Some(t) = temp_db(backend).await else { continue };
            t.db.raw_insert_limit(10_000).await.unwrap();
            let sql = match backend {
                Backend::Sqlite => "SELECT name FROM sqlite_master WHERE name = 'bench_raw'",
                Backend::Postgres => "SELECT table_name FROM information_schema.tables WHERE table_name = 'bench_raw'",
            };
            assert!(t.db.read.query_all(Statement::from_string(t.db.backend, sql)).await.unwrap().is_empty());
        }
    }

    #[test]
    fn helpers_are_right() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(1_795_435_200_000), "2026-11-23");
        assert_eq!(date(951_782_400_000 - MSK), "2000-02-29");
        assert_eq!(date_ru(951_782_400_000 - MSK), "29.02.2000");
        assert_eq!(translit("Щукина Юлия"), "shchukinayuliya");
        let mut r = Rng(1);
        for _ in 0..100 {
            let i = inn(&mut r, false);
            assert_eq!(i.len(), 10);
            assert!(i.bytes().all(|b| b.is_ascii_digit()));
            assert_eq!(inn(&mut r, true).len(), 12);
        }
        let mut o = JsonObject::new();
        o.str("a", "x\"y");
        o.int("b", 5);
        o.bool("c", true);
        let v: serde_json::Value = serde_json::from_str(&o.finish()).unwrap();
        assert_eq!(v, serde_json::json!({"a": "x\"y", "b": 5, "c": true}));
        let p = Plan {
            seed: 1,
            ws: 1,
            now: 0,
            setup_at: 0,
            deals: 3_000,
            orgs: 1_000,
            persons: 2_000,
            users: [0; 10],
            team_ids: [0; 2],
            clients: 0,
            partners: 0,
            client_stages: [0; 6],
            partner_stages: [0; 4],
            base: [0; 7],
            phone_offset: 999_999_999,
            tz: "Europe/Moscow".into(),
            hours: BusinessHours::parse(&crate::workspace::default_business_hours()).unwrap(),
            day_minutes: 540,
        };
        let phones: HashSet<String> = (0..2_000).map(|i| p.phone(i)).collect();
        assert_eq!(phones.len(), 2_000);
        for m in 0..1_000 {
            if let Some(first) = p.first_person_of(m) {
                assert_eq!(p.org_of_person(first), m);
                assert!(first == 0 || p.org_of_person(first - 1) < m);
            }
        }
    }
}
