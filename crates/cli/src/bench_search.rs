//! Global search over the first workspace: typical queries of the top bar through the store (as
//! the head, who sees everything, and as a manager, who sees their own), each beside the same
//! lookup written by hand in SQL.
use crate::bench::time;
use anyhow::{Context, Result};
use poryadok_core::domain::{Channel, Role};
use poryadok_core::schema::Entity;
use poryadok_store::{Db, ListQuery};
use serde_json::json;

pub async fn run(db: &Db, iterations: usize) -> Result<()> {
    let ws = *db.workspace_ids().await?.first().context("no workspace; generate one first")?;
    let head = db.system_actor(ws, Channel::Api).await?;
    let first = ListQuery { limit: Some("1".into()), sort: Some("id".into()), ..Default::default() };
    let person = db.list(&head, Entity::Person, &first).await?.data.into_iter().next().context("no person")?;
    let name = person.get("name").as_text().unwrap_or_default().to_string();
    let phone = person.get("phone").as_text().context("the first person has no phone")?.to_string();
    // +79161234567 written the way a manager reads it off a business card.
    let spelled = match phone.strip_prefix("+7") {
        Some(n) if n.len() == 10 => format!("8 {} {}-{}-{}", &n[0..3], &n[3..6], &n[6..8], &n[8..10]),
        _ => phone.clone(),
    };
    let deal = db.list(&head, Entity::Deal, &first).await?.data.into_iter().next().context("no deal")?;
    let title_word = poryadok_core::search::terms(deal.get("title").as_text().unwrap_or_default())
        .into_iter()
        .max_by_key(|w| w.chars().count())
        .unwrap_or_else(|| "сделка".into());
    let surname = name.split_whitespace().last().unwrap_or("иван").to_lowercase();
    let prefix: String = surname.chars().take(4).collect();
    let managers = db
        .list(&head, Entity::User, &ListQuery { filters: vec![("role".into(), Role::Manager.as_str().into())], ..Default::default() })
        .await?;
    let manager = match managers.data.first() {
        Some(m) => Some(db.actor_for_user(m.id(), Channel::Api).await?),
        None => None,
    };
    let cases: Vec<(&str, String, Option<String>, Option<String>)> = vec![
        ("search: surname prefix", prefix.clone(), Some(prefix.clone()), None),
        ("search: full name", name.clone(), None, None),
        ("search: phone in another spelling", spelled.clone(), None, Some(phone.clone())),
        ("search: deal title word", title_word.clone(), Some(title_word.clone()), None),
    ];
    for (label, q, word, raw_phone) in cases {
        let (s50, s99) = time(iterations, || async { Ok(db.search(&head, &q, None).await?) }).await?;
        let found = db.search(&head, &q, None).await?;
        let n = found.deals.len() + found.persons.len() + found.organizations.len();
        let mut line = json!({"name": label, "unit": "ms", "median": s50, "p99": s99, "query": q, "found": n});
        if word.is_some() || raw_phone.is_some() {
            let (h50, h99) = time(iterations, || async { Ok(db.search_raw_sql(ws, word.as_deref(), raw_phone.as_deref()).await?) }).await?;
            line["limit"] = json!(h50);
            line["limit_p99"] = json!(h99);
            line["limit_name"] = json!("hand-written SQL");
        }
        println!("{line}");
        if let Some(m) = &manager {
            let (m50, m99) = time(iterations, || async { Ok(db.search(m, &q, None).await?) }).await?;
            println!("{}", json!({"name": format!("{label} (manager)"), "unit": "ms", "median": m50, "p99": m99, "query": q}));
        }
    }
    Ok(())
}
