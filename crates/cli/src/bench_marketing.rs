//! End-to-end analytics over the first workspace, as its head: the marketing report (per
//! channel, and per keyword) over the last 30 days and the last year, under the first-touch and
//! the last-non-direct models, beside the same aggregates written by hand in the same run — the
//! credited touch picked with a window function (`ROW_NUMBER() OVER (PARTITION BY deal_id …)`)
//! rather than the report's lookup per deal, and the spend grouped.
//!
//! The demo generator makes no touches and no spend, so the first run adds them (and later runs
//! find them): three touches per deal — ten and three days before it and at its creation, the
//! last one a direct visit for a third of the deals — over 200 campaigns of five channels, and a
//! year of daily spend for each of those campaigns.
use crate::bench::time;
use anyhow::{Context, Result};
use poryadok_core::attribution::Model;
use poryadok_core::domain::Channel;
use poryadok_core::report::Period;
use poryadok_server::report::{params, run as run_report, Data};
use poryadok_server::ui::i18n::T;
use poryadok_store::Db;
use serde_json::json;
use std::time::Instant;

const CHANNELS: [&str; 5] = ["yandex", "google", "vk", "promopages", "telegram"];
const CAMPAIGNS: i64 = 200;
const DAY_MS: i64 = 86_400_000;

/// A campaign's channel, in SQL over an integer campaign number `n`.
fn channel_of(n: &str) -> String {
    let arms: String = CHANNELS.iter().enumerate().map(|(i, c)| format!(" WHEN {i} THEN '{c}'")).collect();
    format!("CASE ({n}) % {}{arms} END", CHANNELS.len())
}

/// Three touches per deal (`$1` the workspace, `$2` unused but bound), unless there are touches.
fn touches_sql() -> Vec<String> {
    let cols = "workspace_id, deal_id, person_id, channel, utm_source, utm_medium, utm_campaign, utm_term, occurred_at";
    let from = "FROM deals WHERE workspace_id = $1 AND deleted_at IS NULL AND $2 > 0";
    let marked = |n: &str, when: &str| {
        format!(
            "INSERT INTO touches ({cols}) SELECT workspace_id, id, person_id, 'call', {}, 'cpc', 'c' || ({n}), 't' || (id % 7), {when} {from}",
            channel_of(n)
        )
    };
    vec![
        marked(&format!("id % {CAMPAIGNS}"), &format!("created_at - {}", 10 * DAY_MS)),
        marked(&format!("(id * 7) % {CAMPAIGNS}"), &format!("created_at - {}", 3 * DAY_MS)),
        format!(
            "INSERT INTO touches ({cols}) SELECT workspace_id, id, person_id, 'call', \
             CASE WHEN id % 3 = 0 THEN NULL ELSE {} END, CASE WHEN id % 3 = 0 THEN NULL ELSE 'cpc' END, \
             CASE WHEN id % 3 = 0 THEN NULL ELSE 'c' || ((id * 13) % {CAMPAIGNS}) END, NULL, created_at {from}",
            channel_of(&format!("(id * 13) % {CAMPAIGNS}"))
        ),
    ]
}

/// A year of daily spend up to `today` for every campaign, in statements of 1,000 rows.
fn spend_sql(today: time::Date) -> Vec<String> {
    let mut rows = Vec::new();
    for back in 0..365i64 {
        let day = today - time::Duration::days(back);
        let key = format!("{:04}-{:02}-{:02}", day.year(), day.month() as u8, day.day());
        for n in 0..CAMPAIGNS {
            let clicks = 20 + (n * 7 + back * 3) % 80;
            let amount = clicks * (1_500 + (n * 37) % 4_000);
            rows.push(format!(
                "($1, '{key}', '{}', 'cpc', 'c{n}', '', {}, {clicks}, {amount}, 0, 0)",
                CHANNELS[(n % CHANNELS.len() as i64) as usize],
                clicks * 30
            ));
        }
    }
    rows.chunks(1_000)
        .map(|c| {
            format!(
                "INSERT INTO marketing_spend (workspace_id, day, channel, medium, campaign, term, impressions, clicks, amount, \
                 created_at, updated_at) VALUES {} ON CONFLICT DO NOTHING",
                c.join(", ")
            )
        })
        .collect()
}

/// The report's aggregates by hand, two ways: the period's leads by their credited touch picked
/// with a window function (a deal without touches by its own marks) or looked up per deal by the
/// touches' index; and the spend of its days.
fn hand_sql(model: Model, p: &Period, first_stages: &[i64], pg: bool) -> [String; 3] {
    let order = match model {
        Model::First => "t.occurred_at, t.id".to_string(),
        Model::Last => "t.occurred_at DESC, t.id DESC".to_string(),
        Model::LastNonDirect => "CASE WHEN ((t.utm_source IS NULL OR t.utm_source = '') AND (t.referrer IS NULL OR t.referrer = '')) \
             OR LOWER(t.utm_source) IN ('direct', '(direct)') THEN 1 ELSE 0 END, t.occurred_at DESC, t.id DESC"
            .to_string(),
    };
    let (from, to) = (p.from, p.to);
    let stages = first_stages.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
    let taken = if stages.is_empty() {
        "1".to_string()
    } else {
        format!("CASE WHEN d.status = 'won' OR d.stage_id NOT IN ({stages}) THEN 1 ELSE 0 END")
    };
    let pick = |c: &str| format!("CASE WHEN r.deal_id IS NULL THEN d.{c} ELSE r.{c} END");
    // The lookup: PostgreSQL's LATERAL walk of the index; SQLite's join by the id it finds.
    let lookup = if pg {
        let lnd = if model == Model::LastNonDirect {
            order.rsplit_once(", t.occurred_at").map_or("", |(c, _)| c).to_string() + ", "
        } else {
            String::new()
        };
        let way = if model == Model::First { "" } else { " DESC" };
        format!(
            "LEFT JOIN LATERAL (SELECT t.id, t.deal_id, t.utm_source, t.utm_campaign, t.utm_term FROM touches t \
             WHERE t.workspace_id = d.workspace_id AND t.deal_id = d.id ORDER BY {lnd}t.occurred_at{way}, t.id{way} LIMIT 1) r ON TRUE"
        )
    } else {
        format!("LEFT JOIN touches r ON r.id = {}", poryadok_store::report::marketing::credited_touch(model, "d"))
    };
    [
        format!(
            "SELECT src, cmp, trm, COUNT(*) AS n, SUM(taken) AS taken, SUM(sold) AS sold, SUM(rev) AS rev FROM (\
             SELECT {} AS src, {} AS cmp, {} AS trm, {taken} AS taken, \
             CASE WHEN d.status = 'won' THEN 1 ELSE 0 END AS sold, CASE WHEN d.status = 'won' THEN d.value ELSE 0 END AS rev \
             FROM deals d LEFT JOIN (\
               SELECT t.deal_id, t.utm_source, t.utm_campaign, t.utm_term, ROW_NUMBER() OVER (PARTITION BY t.deal_id ORDER BY {order}) AS k \
               FROM touches t WHERE t.workspace_id = $1 AND t.deal_id IN \
               (SELECT id FROM deals WHERE workspace_id = $1 AND created_at >= {from} AND created_at < {to})) r \
             ON r.deal_id = d.id AND r.k = 1 \
             WHERE d.workspace_id = $1 AND d.deleted_at IS NULL AND d.status <> 'not_lead' AND d.created_at >= {from} AND d.created_at < {to}\
             ) x GROUP BY src, cmp, trm",
            pick("utm_source"),
            pick("utm_campaign"),
            pick("utm_term")
        ),
        format!(
            "SELECT src, cmp, trm, COUNT(*) AS n, SUM(taken) AS taken, SUM(sold) AS sold, SUM(rev) AS rev FROM (\
             SELECT {} AS src, {} AS cmp, {} AS trm, {taken} AS taken, \
             CASE WHEN d.status = 'won' THEN 1 ELSE 0 END AS sold, CASE WHEN d.status = 'won' THEN d.value ELSE 0 END AS rev \
             FROM deals d {lookup} \
             WHERE d.workspace_id = $1 AND d.deleted_at IS NULL AND d.status <> 'not_lead' AND d.created_at >= {from} AND d.created_at < {to}\
             ) x GROUP BY src, cmp, trm",
            pick("utm_source").replace("r.deal_id IS NULL", "r.id IS NULL"),
            pick("utm_campaign").replace("r.deal_id IS NULL", "r.id IS NULL"),
            pick("utm_term").replace("r.deal_id IS NULL", "r.id IS NULL"),
        ),
        format!(
            "SELECT channel, campaign, term, SUM(amount), SUM(impressions), SUM(clicks) FROM marketing_spend \
             WHERE workspace_id = $1 AND day >= '{}' AND day <= '{}' GROUP BY channel, campaign, term",
            p.from_date, p.to_date
        ),
    ]
}

pub async fn run(db: &Db, iterations: usize) -> Result<()> {
    let ws = *db.workspace_ids().await?.first().context("no workspace; generate one first")?;
    let head = db.system_actor(ws, Channel::Api).await?;
    let t = T::new(head.ws_lang());
    let now = db.clock.now_ms();
    let tz = head.ws.timezone.clone();

    // The touches and the spend, once.
    let have = db.raw_count("SELECT COUNT(*) FROM touches WHERE workspace_id = $1 AND $2 > 0", ws, now).await?;
    if have == 0 {
        let started = Instant::now();
        let made: u64 = db.raw_execute(&touches_sql(), ws, now).await?.iter().sum();
        db.analyze().await?;
        println!(
            "{}",
            json!({"name": "marketing: touches made", "unit": "rows/s", "median": made as f64 / started.elapsed().as_secs_f64(), "rows": made})
        );
    }
    let today = poryadok_core::zone::local(&tz, now).date();
    let started = Instant::now();
    let mut spent = 0;
    for sql in spend_sql(today) {
        spent += db.raw_write(&sql, ws).await?;
    }
    if spent > 0 {
        db.analyze().await?;
        println!(
            "{}",
            json!({"name": "marketing: spend rows made", "unit": "rows/s", "median": spent as f64 / started.elapsed().as_secs_f64(), "rows": spent})
        );
    }
    let touches = db.raw_count("SELECT COUNT(*) FROM touches WHERE workspace_id = $1 AND $2 > 0", ws, now).await?;
    let spend_rows = db.raw_count("SELECT COUNT(*) FROM marketing_spend WHERE workspace_id = $1 AND $2 > 0", ws, now).await?;

    let date = |ms: i64| {
        let l = poryadok_core::zone::local(&tz, ms);
        format!("{:04}-{:02}-{:02}", l.year(), l.month() as u8, l.day())
    };
    let first_stages = db.first_stages(&head).await?;
    for (label, days) in [("30 days", 30), ("year", 365)] {
        let period = Period::parse(&date(now - (days - 1) * DAY_MS), &date(now), &tz).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        for (model, group_by) in [(Model::LastNonDirect, "source"), (Model::First, "source"), (Model::LastNonDirect, "term")] {
            let pairs: Vec<(String, String)> = vec![
                ("from".into(), period.from_date.clone()),
                ("to".into(), period.to_date.clone()),
                ("attribution".into(), model.as_str().into()),
                ("group_by".into(), group_by.into()),
            ];
            let report = || async {
                let p = params(db, &head, "marketing", &pairs).await?;
                Ok(run_report(db, &head, p, &t).await?)
            };
            let (r50, r99) = time(iterations, report).await?;
            let hand = hand_sql(model, &period, &first_stages, db.is_postgres());
            let (w50, w99) = time(iterations, || async { Ok(db.raw_rows(&hand[0], ws).await? + db.raw_rows(&hand[2], ws).await?) }).await?;
            let (l50, l99) = time(iterations, || async { Ok(db.raw_rows(&hand[1], ws).await? + db.raw_rows(&hand[2], ws).await?) }).await?;
            let ((h50, h99), limit_name) = if l50 <= w50 {
                ((l50, l99), "hand-written SQL (the touch looked up per deal; a window function took the other figure)")
            } else {
                ((w50, w99), "hand-written SQL (a window function; the lookup per deal took the other figure)")
            };
            // Both count the same leads and sales.
            let Data::Marketing(d) = report().await? else { anyhow::bail!("not the marketing report") };
            let (mut leads, mut sold) = (0, 0);
            for sql in &hand[..2] {
                let totals = |what: &str| format!("SELECT CAST(COALESCE(SUM({what}), 0) AS BIGINT) FROM ({sql}) h WHERE $2 > 0");
                (leads, sold) = (db.raw_count(&totals("n"), ws, now).await?, db.raw_count(&totals("sold"), ws, now).await?);
                anyhow::ensure!(
                    (leads, sold) == (d.report.total.leads, d.report.total.won),
                    "the report and the hand-written SQL disagree: {:?} vs {:?}",
                    (d.report.total.leads, d.report.total.won),
                    (leads, sold)
                );
            }
            println!(
                "{}",
                json!({"name": format!("report marketing: {label}, {}, by {group_by}", model.as_str()), "unit": "ms", "median": r50, "p99": r99,
                       "limit": h50, "limit_p99": h99, "limit_name": limit_name, "other_hand_written": l50.max(w50), "leads": leads, "won": sold,
                       "rows": d.report.rows.len(), "touches": touches, "spend_rows": spend_rows})
            );
        }
    }
    Ok(())
}
