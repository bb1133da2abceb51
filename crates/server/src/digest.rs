//! Scheduled reports, sent by the daily `report_digest` job: on Mondays each subscribed user
//! gets the past week's summary (a manager their own figures, a head the department's), on the
//! 1st each subscribed head gets the monthly review of the month before. Both are notifications
//! — in the app, and by e-mail when the server has a mail server — so they are durable, retried
//! and sent once (a key per user and period).
use crate::report::dashboard::{dashboard, Dashboard};
use crate::report::review::review_workbook;
use crate::ui::format::Fmt;
use crate::ui::i18n::T;
use crate::worker::JobContext;
use poryadok_core::domain::Channel;
use poryadok_core::plan::Metric;
use poryadok_core::report::{ratio, Period};
use poryadok_store::jobs::Job;
use poryadok_store::notifications::NewNotification;
use poryadok_store::{Actor, Db, StoreError};

/// What the job sends today: `(weekly, monthly)` by the workspace's local date.
pub fn due_today(tz: &str, now: i64) -> (bool, bool) {
    let l = poryadok_core::zone::local(tz, now);
    (l.weekday() == time::Weekday::Monday, l.day() == 1)
}

/// The week (Monday to Sunday) before the one containing `now`.
pub fn last_week(tz: &str, now: i64) -> Period {
    let l = poryadok_core::zone::local(tz, now);
    let back = i64::from(l.weekday().number_days_from_monday()) + 7;
    let (today, _) = poryadok_core::zone::day_bounds(tz, now);
    let date = |ms: i64| {
        let d = poryadok_core::zone::local(tz, ms);
        format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
    };
    let first = today - back * 86_400_000 + 43_200_000;
    Period::parse(&date(first), &date(first + 6 * 86_400_000), tz).unwrap_or_else(|_| Period::month_of(now, tz))
}

pub async fn digest_job(ctx: &JobContext<'_>, job: &Job) -> Result<(), String> {
    let db = ctx.db;
    let info = db.workspace_info(job.workspace_id).await.map_err(|e| e.to_string())?;
    let now = db.clock.now_ms();
    let (weekly, monthly) = due_today(&info.timezone, now);
    if weekly {
        send_weekly(db, job.workspace_id, &last_week(&info.timezone, now), ctx.smtp.is_some()).await.map_err(|e| e.to_string())?;
    }
    if monthly {
        let month = Period::month_of(now, &info.timezone).months_before(1, &info.timezone);
        send_monthly(db, job.workspace_id, &month, ctx.smtp.is_some()).await.map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Sends each subscribed user of `ws` their summary of `week`; returns how many were sent.
pub async fn send_weekly(db: &Db, ws: i64, week: &Period, email: bool) -> Result<usize, StoreError> {
    let mut sent = 0;
    for r in db.report_recipients(ws, "weekly_report").await? {
        let actor = match db.actor_for_user(r.user_id, Channel::System).await {
            Ok(a) => a,
            Err(StoreError::Unauthorized) => continue,
            Err(e) => return Err(e),
        };
        let t = T::new(actor.reader_lang());
        let pairs = vec![("from".to_string(), week.from_date.clone()), ("to".to_string(), week.to_date.clone())];
        let d = dashboard(db, &actor, &pairs, &t).await?;
        let month_plan = month_plan(db, &actor, &t, week).await?;
        let fmt = Fmt { lang: t.lang, tz: actor.reader_tz().to_string() };
        let title =
            t.fmt("digest.weekly.title", &[("from", fmt.date_str(&week.from_date).as_str()), ("to", fmt.date_str(&week.to_date).as_str())]);
        let n = NewNotification {
            workspace_id: ws,
            user_id: r.user_id,
            kind: "weekly_report".into(),
            title,
            body: weekly_text(&actor, &t, &fmt, &d, month_plan),
            link: Some(format!("/dashboard?from={}&to={}", week.from_date, week.to_date)),
            deal_id: None,
            dedupe_key: Some(format!("weekly_report:{}", week.from_date)),
            email,
        };
        if db.notify(&n).await?.is_some() {
            sent += 1;
        }
    }
    Ok(sent)
}

/// The revenue plan of the month the week ends in: plan, fact and the projection, if planned.
async fn month_plan(db: &Db, actor: &Actor, t: &T, week: &Period) -> Result<Option<(i64, i64, Option<i64>)>, StoreError> {
    let month = Period::month_of(week.to - 1, &actor.ws.timezone);
    let mut pairs = vec![("from".to_string(), month.from_date.clone()), ("to".to_string(), month.to_date.clone())];
    if !actor.caller.role.sees_all() {
        pairs.push(("owner_id".into(), actor.user_id().to_string()));
    }
    let p = crate::report::params(db, actor, "plan_fact", &pairs).await?;
    let crate::report::Data::PlanFact(d) = crate::report::run(db, actor, p, t).await? else { return Ok(None) };
    Ok(d.now.total.figures.get(&Metric::Revenue).and_then(|f| Some((f.plan?, f.fact.unwrap_or(0), f.projection))))
}

/// The summary as plain text, line by line.
fn weekly_text(actor: &Actor, t: &T, fmt: &Fmt, d: &Dashboard, plan: Option<(i64, i64, Option<i64>)>) -> String {
    let cur = &actor.ws.currency;
    let money = |v: i64| fmt.money(v, cur);
    let s = &d.sales.now.total;
    let mut lines = vec![t.t(if d.own { "digest.weekly.own" } else { "digest.weekly.department" }).to_string()];
    lines.push(t.fmt(
        "digest.weekly.revenue",
        &[
            ("value", money(s.won_value).as_str()),
            ("won", fmt.count(s.won).as_str()),
            ("previous", money(d.sales.previous.as_ref().map_or(0, |p| p.total.won_value)).as_str()),
        ],
    ));
    let c = &d.funnel.now.cohort;
    lines.push(t.fmt("digest.weekly.leads", &[("deals", fmt.count(c.deals).as_str()), ("lost", fmt.count(s.lost).as_str())]));
    if let Some((plan, fact, projection)) = plan {
        let share = crate::ui::reports::pct(t, ratio(fact, plan));
        lines.push(t.fmt(
            "digest.weekly.plan",
            &[
                ("plan", money(plan).as_str()),
                ("share", share.as_str()),
                ("projection", projection.map(money).unwrap_or_else(|| "—".into()).as_str()),
            ],
        ));
    }
    lines.push(t.fmt("digest.weekly.overdue", &[("n", fmt.count(d.load.now.total.overdue_tasks).as_str())]));
    if let Some(r) = d.trend.last() {
        lines.push(t.fmt("digest.weekly.violations", &[("n", fmt.count(r.violations).as_str()), ("fixed", fmt.count(r.fixed).as_str())]));
    }
    if !d.own {
        lines.push(String::new());
        lines.push(t.t("digest.weekly.managers").to_string());
        for row in &d.sales.now.rows {
            let name = d.sales.label(t, row, |x| x.to_string());
            lines.push(format!("— {name}: {} · {}", money(row.counts.won_value), fmt.count(row.counts.won)));
        }
    }
    lines.join("\n")
}

/// Tells each subscribed head that the review of `month` is ready (after building it, so a
/// review that cannot be built fails the job and is retried); returns how many were told.
pub async fn send_monthly(db: &Db, ws: i64, month: &Period, email: bool) -> Result<usize, StoreError> {
    let mut sent = 0;
    for r in db.report_recipients(ws, "monthly_review").await? {
        let actor = match db.actor_for_user(r.user_id, Channel::System).await {
            Ok(a) => a,
            Err(StoreError::Unauthorized) => continue,
            Err(e) => return Err(e),
        };
        let t = T::new(actor.reader_lang());
        review_workbook(db, &actor, &t, month).await?;
        let fmt = Fmt { lang: t.lang, tz: actor.reader_tz().to_string() };
        let name = fmt.month(&month.from_date[..7]);
        let n = NewNotification {
            workspace_id: ws,
            user_id: r.user_id,
            kind: "monthly_review".into(),
            title: t.fmt("digest.monthly.title", &[("month", name.as_str())]),
            body: t.t("digest.monthly.body").to_string(),
            link: Some(format!("/reports/review?month={}", &month.from_date[..7])),
            deal_id: None,
            dedupe_key: Some(format!("monthly_review:{}", &month.from_date[..7])),
            email,
        };
        if db.notify(&n).await?.is_some() {
            sent += 1;
        }
    }
    Ok(sent)
}
