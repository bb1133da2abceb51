//! The assistants that watch money: unpaid orders (an invoice not paid `days` after issue → a
//! task for the owner and a reminder to the client) and debtors (an invoice past its due date →
//! the "debtor" label on the client, a reminder by e-mail and/or SMS from the workspace's
//! template, a task, and the head told after `escalate_after_days` more days). Each invoice is
//! acted on once per stage (its label), and a paid invoice clears its labels.
use super::support::{act, day, head, raw, Act, Planned, RunCtx, TaskSpec};
use crate::channels::ClientMessage;
use crate::error::Result;
use crate::notifications::NewNotification;
use poryadok_core::assistants::DAY_MS;
use poryadok_core::msg::AssistantMsg;
use sea_orm::{ConnectionTrait, QueryResult};
use serde_json::{json, Map, Value as Json};
use std::collections::HashSet;

pub const UNPAID: &str = "unpaid";
pub const OVERDUE: &str = "overdue";
pub const DEBTOR: &str = "debtor";

/// An open invoice with what a reminder needs.
struct Invoice {
    id: i64,
    number: String,
    org: Option<i64>,
    client: String,
    owner: Option<i64>,
    owner_name: String,
    owner_phone: String,
    deal: Option<i64>,
    amount: String,
    issued_on: String,
    due_on: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    contact: String,
}

const SELECT: &str = "SELECT i.id, i.number, i.organization_id, i.owner_id, i.deal_id, i.amount, i.paid_amount, i.currency, i.issued_on, i.due_on, \
    o.name AS org_name, u.name AS owner_name, u.phone AS owner_phone, \
    (SELECT p.email FROM persons p WHERE p.workspace_id = i.workspace_id AND p.organization_id = i.organization_id AND p.deleted_at IS NULL AND p.email IS NOT NULL ORDER BY p.id LIMIT 1) AS email, \
    (SELECT p.phone FROM persons p WHERE p.workspace_id = i.workspace_id AND p.organization_id = i.organization_id AND p.deleted_at IS NULL AND p.phone IS NOT NULL ORDER BY p.id LIMIT 1) AS phone, \
    (SELECT p.name FROM persons p WHERE p.workspace_id = i.workspace_id AND p.organization_id = i.organization_id AND p.deleted_at IS NULL ORDER BY p.id LIMIT 1) AS contact \
    FROM invoices i LEFT JOIN organizations o ON o.workspace_id = i.workspace_id AND o.id = i.organization_id \
    LEFT JOIN users u ON u.workspace_id = i.workspace_id AND u.id = i.owner_id \
    WHERE i.workspace_id = $1 AND i.deleted_at IS NULL AND i.status = 'open' AND i.paid_amount < i.amount";

fn money(minor: i64, currency: &str) -> String {
    let units = minor / 100;
    let mut digits = units.abs().to_string();
    let mut grouped = String::new();
    while digits.len() > 3 {
        let tail = digits.split_off(digits.len() - 3);
        grouped = format!(" {tail}{grouped}");
    }
    let sign = if minor < 0 { "-" } else { "" };
    format!("{sign}{digits}{grouped},{:02} {currency}", (minor % 100).abs())
}

fn decode(r: &QueryResult) -> Result<Invoice> {
    let amount: i64 = r.try_get("", "amount")?;
    let paid: i64 = r.try_get("", "paid_amount")?;
    let currency: String = r.try_get("", "currency")?;
    let number: String = r.try_get("", "number")?;
    let client: Option<String> = r.try_get("", "org_name")?;
    Ok(Invoice {
        id: r.try_get("", "id")?,
        org: r.try_get("", "organization_id")?,
        client: client.unwrap_or_else(|| number.clone()),
        number,
        owner: r.try_get("", "owner_id")?,
        owner_name: r.try_get::<Option<String>>("", "owner_name")?.unwrap_or_default(),
        owner_phone: r.try_get::<Option<String>>("", "owner_phone")?.unwrap_or_default(),
        deal: r.try_get("", "deal_id")?,
        amount: money(amount - paid, &currency),
        issued_on: r.try_get("", "issued_on")?,
        due_on: r.try_get("", "due_on")?,
        email: r.try_get("", "email")?,
        phone: r.try_get("", "phone")?,
        contact: r.try_get::<Option<String>>("", "contact")?.unwrap_or_default(),
    })
}

/// Labels whose invoice is paid (or gone) are cleared; a client with no overdue invoice left
/// stops being a debtor.
async fn clear_paid(ctx: &RunCtx<'_>) -> Result<()> {
    if ctx.dry_run {
        return Ok(());
    }
    let invoices = "UPDATE labels SET cleared_at = $1 WHERE workspace_id = $2 AND entity = 'invoice' AND cleared_at IS NULL \
                    AND record_id NOT IN (SELECT id FROM invoices WHERE workspace_id = $2 AND deleted_at IS NULL AND status = 'open' AND paid_amount < amount)";
    ctx.db.write.execute(raw(ctx.backend(), invoices, vec![ctx.now.into(), ctx.ws().into()])).await?;
    let debtors = "UPDATE labels SET cleared_at = $1 WHERE workspace_id = $2 AND entity = 'organization' AND label = $3 AND cleared_at IS NULL \
                   AND record_id NOT IN (SELECT i.organization_id FROM invoices i JOIN labels l ON l.workspace_id = i.workspace_id AND l.entity = 'invoice' \
                   AND l.record_id = i.id AND l.label = $4 AND l.cleared_at IS NULL WHERE i.workspace_id = $2 AND i.organization_id IS NOT NULL)";
    ctx.db.write.execute(raw(ctx.backend(), debtors, vec![ctx.now.into(), ctx.ws().into(), DEBTOR.into(), OVERDUE.into()])).await?;
    Ok(())
}

async fn labelled(ctx: &RunCtx<'_>, entity: &str, label: &str) -> Result<HashSet<i64>> {
    let sql = "SELECT record_id FROM labels WHERE workspace_id = $1 AND entity = $2 AND label = $3 AND cleared_at IS NULL";
    let rows = ctx.db.read.query_all(raw(ctx.backend(), sql, vec![ctx.ws().into(), entity.into(), label.into()])).await?;
    rows.iter().map(|r| r.try_get::<i64>("", "record_id").map_err(Into::into)).collect()
}

/// Which of the workspace's templates for `key` exist, by channel.
async fn templates(ctx: &RunCtx<'_>, key: &str) -> Result<HashSet<String>> {
    let sql = "SELECT channel FROM message_templates WHERE workspace_id = $1 AND key = $2";
    let rows = ctx.db.read.query_all(raw(ctx.backend(), sql, vec![ctx.ws().into(), key.into()])).await?;
    rows.iter().map(|r| r.try_get::<String>("", "channel").map_err(Into::into)).collect()
}

/// The reminders for an invoice by the assistant's channel setting, and what could not be sent.
fn reminders(
    ctx: &RunCtx<'_>,
    inv: &Invoice,
    key: &str,
    have: &HashSet<String>,
    days_overdue: i64,
) -> (Vec<ClientMessage>, Vec<AssistantMsg>) {
    let channel = ctx.settings.get("channel").and_then(Json::as_str).unwrap_or("email");
    let wanted: &[&str] = match channel {
        "both" => &["email", "sms"],
        "sms" => &["sms"],
        "none" => &[],
        _ => &["email"],
    };
    let vars: Map<String, Json> = [
        ("client", json!(inv.client)),
        ("contact", json!(inv.contact)),
        ("manager", json!(inv.owner_name)),
        ("manager_phone", json!(inv.owner_phone)),
        ("invoice", json!(inv.number)),
        ("amount", json!(inv.amount)),
        ("due_date", json!(inv.due_on.clone().unwrap_or_default())),
        ("days_overdue", json!(days_overdue)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let mut out = Vec::new();
    let mut missing = Vec::new();
    for ch in wanted {
        let to = if *ch == "email" { inv.email.clone() } else { inv.phone.clone() };
        match (to, have.contains(*ch)) {
            (Some(to), true) => out.push(ClientMessage {
                channel: (*ch).into(),
                recipient: to,
                template_key: key.into(),
                vars: vars.clone(),
                entity: Some("invoice"),
                record_id: Some(inv.id),
                dedupe_key: Some(format!("{}:{}:{ch}", ctx.name, inv.id)),
            }),
            (None, _) => missing.push(if *ch == "email" { AssistantMsg::NoEmail {} } else { AssistantMsg::NoPhone {} }),
            (_, false) => missing.push(if *ch == "email" { AssistantMsg::NoEmailTemplate {} } else { AssistantMsg::NoSmsTemplate {} }),
        }
    }
    (out, missing)
}

fn date_ms(ctx: &RunCtx<'_>, date: &str) -> i64 {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(date, &fmt)
        .map(|d| {
            let utc = (d.midnight().assume_utc().unix_timestamp_nanos() / 1_000_000) as i64;
            utc - i64::from(poryadok_core::zone::offset_at(&ctx.actor.ws.timezone, utc).whole_seconds()) * 1000
        })
        .unwrap_or(ctx.now)
}

pub(crate) async fn unpaid(ctx: &RunCtx<'_>) -> Result<Vec<Planned>> {
    clear_paid(ctx).await?;
    let days = ctx.setting("days");
    let issued_before = day(ctx, ctx.days_ago(days));
    let sql = format!("{SELECT} AND i.issued_on <= $2 ORDER BY i.id");
    let rows = ctx.db.read.query_all(raw(ctx.backend(), &sql, vec![ctx.ws().into(), issued_before.into()])).await?;
    let done = labelled(ctx, "invoice", UNPAID).await?;
    let have = templates(ctx, "unpaid_reminder").await?;
    let due = ctx.task_due().await?;
    let mut acts = Vec::new();
    for r in &rows {
        let inv = decode(r)?;
        if done.contains(&inv.id) {
            continue;
        }
        let age = (ctx.now - date_ms(ctx, &inv.issued_on)) / DAY_MS;
        let (messages, missing) = reminders(ctx, &inv, "unpaid_reminder", &have, 0);
        acts.push(Act {
            planned: Planned {
                action: if messages.is_empty() { "task" } else { "remind" },
                entity: "invoice",
                record_id: inv.id,
                title: format!("{} · {}", inv.number, inv.client),
                reason: ctx.texts.with_missing(ctx.texts.unpaid_reason(&inv.number, age), &missing),
                owner_id: inv.owner,
            },
            label: Some(UNPAID),
            task: Some(TaskSpec {
                subject: ctx.texts.unpaid_task(&inv.number, &inv.client),
                owner_id: inv.owner,
                due_at: due,
                organization_id: inv.org,
                deal_id: inv.deal,
            }),
            messages,
            ..Default::default()
        });
    }
    act(ctx, acts).await
}

pub(crate) async fn debtors(ctx: &RunCtx<'_>) -> Result<Vec<Planned>> {
    clear_paid(ctx).await?;
    let grace = ctx.setting("grace_days");
    let escalate_after = ctx.setting("escalate_after_days");
    let due_before = day(ctx, ctx.days_ago(grace));
    let sql = format!("{SELECT} AND i.due_on IS NOT NULL AND i.due_on < $2 ORDER BY i.id");
    let rows = ctx.db.read.query_all(raw(ctx.backend(), &sql, vec![ctx.ws().into(), due_before.into()])).await?;
    let overdue = labelled(ctx, "invoice", OVERDUE).await?;
    let debtors = labelled(ctx, "organization", DEBTOR).await?;
    let escalated = escalated_invoices(ctx).await?;
    let have = templates(ctx, "debt_reminder").await?;
    let due = ctx.task_due().await?;
    let mut acts = Vec::new();
    let mut new_debtors = HashSet::new();
    for r in &rows {
        let inv = decode(r)?;
        let days_overdue = inv.due_on.as_deref().map_or(0, |d| (ctx.now - date_ms(ctx, d)) / DAY_MS);
        let title = format!("{} · {}", inv.number, inv.client);
        if !overdue.contains(&inv.id) {
            let (messages, missing) = reminders(ctx, &inv, "debt_reminder", &have, days_overdue);
            acts.push(Act {
                planned: Planned {
                    action: if messages.is_empty() { "task" } else { "remind" },
                    entity: "invoice",
                    record_id: inv.id,
                    title: title.clone(),
                    reason: ctx.texts.with_missing(ctx.texts.debt_reason(&inv.number, days_overdue), &missing),
                    owner_id: inv.owner,
                },
                label: Some(OVERDUE),
                task: Some(TaskSpec {
                    subject: ctx.texts.debt_task(&inv.number, &inv.client),
                    owner_id: inv.owner,
                    due_at: due,
                    organization_id: inv.org,
                    deal_id: inv.deal,
                }),
                messages,
                ..Default::default()
            });
            if let Some(org) = inv.org.filter(|o| !debtors.contains(o) && new_debtors.insert(*o)) {
                acts.push(Act {
                    planned: Planned {
                        action: "label",
                        entity: "organization",
                        record_id: org,
                        title: inv.client.clone(),
                        reason: ctx.texts.debt_reason(&inv.number, days_overdue),
                        owner_id: inv.owner,
                    },
                    label: Some(DEBTOR),
                    task: None,
                    ..Default::default()
                });
            }
        } else if days_overdue >= grace + escalate_after && !escalated.contains(&inv.id) {
            let reason = ctx.texts.debt_escalation(&inv.number, &inv.client, days_overdue);
            let notices = match head(ctx, inv.owner).await? {
                Some(h) => vec![NewNotification {
                    workspace_id: ctx.ws(),
                    user_id: h,
                    kind: "debt_escalation".into(),
                    title: ctx.texts.title("debtors"),
                    body: reason.clone(),
                    link: inv.deal.map(|d| format!("/deals/{d}")).or_else(|| inv.org.map(|o| format!("/organizations/{o}"))),
                    dedupe_key: Some(format!("debt_escalation:{}", inv.id)),
                    ..Default::default()
                }],
                None => Vec::new(),
            };
            acts.push(Act {
                planned: Planned { action: "notify_head", entity: "invoice", record_id: inv.id, title, reason, owner_id: inv.owner },
                label: None,
                task: None,
                notices,
                ..Default::default()
            });
        }
    }
    act(ctx, acts).await
}

async fn escalated_invoices(ctx: &RunCtx<'_>) -> Result<HashSet<i64>> {
    let sql = "SELECT record_id FROM assistant_actions WHERE workspace_id = $1 AND assistant = 'debtors' AND action = 'notify_head' AND entity = 'invoice'";
    let rows = ctx.db.read.query_all(raw(ctx.backend(), sql, vec![ctx.ws().into()])).await?;
    rows.iter().map(|r| r.try_get::<i64>("", "record_id").map_err(Into::into)).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn money_is_grouped() {
        assert_eq!(super::money(123_456_789, "RUB"), "1 234 567,89 RUB");
        assert_eq!(super::money(5, "RUB"), "0,05 RUB");
    }
}
