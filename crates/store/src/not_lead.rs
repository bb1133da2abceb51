//! Not a lead: a deal from someone who dialled a wrong number, sells to us or sends spam is
//! closed with a reason from the workspace's list. It leaves the funnel, the board, the reports
//! and the hygiene rules (they count open, won and lost deals), its open tasks are done, and the
//! person may be marked so that their later calls, messages and form leads land on their card
//! without a new deal (`crate::intake::client::landing`).
use crate::error::{Result, StoreError};
use crate::records::Row;
use crate::{Actor, Db};
use poryadok_core::domain::DealStatus;
use poryadok_core::schema::Entity;
use serde_json::{json, Value as Json};

/// How a deal is closed as not a lead.
#[derive(Clone, Debug, Default)]
pub struct NotLead {
    /// One of the workspace's not-a-lead reasons.
    pub reason: String,
    pub comment: String,
    /// Mark the deal's person too, so later touches from them create nothing.
    pub mark_person: bool,
}

/// The deal's write for closing it as not a lead; the other closing fields are cleared.
pub fn close_body(how: &NotLead) -> Json {
    let comment = how.comment.trim();
    json!({
        "status": DealStatus::NotLead.as_str(),
        "not_lead_reason": how.reason.trim(),
        "lost_reason": null,
        "frozen_reason": null,
        "return_on": null,
        "close_comment": if comment.is_empty() { Json::Null } else { json!(comment) },
    })
}

impl Db {
    /// Closes a deal as not a lead (at version `if_match` when given) and, when asked, marks its
    /// person with the same reason, in one transaction: both happen or neither does.
    pub async fn close_not_lead(&self, actor: &Actor, deal: i64, how: &NotLead, if_match: Option<i64>) -> Result<Row> {
        let (db, actor, how) = (self.clone(), actor.clone(), how.clone());
        self.write_tx(move |tx| {
            Box::pin(async move {
                let row = db.update_checked(tx, &actor, Entity::Deal, deal, &close_body(&how), if_match).await?;
                if how.mark_person {
                    let person = row
                        .get("person_id")
                        .as_int()
                        .ok_or_else(|| StoreError::invalid("mark_person", poryadok_core::msg::RecordMsg::NoPersonToMark {}))?;
                    db.update_in(tx, &actor, Entity::Person, person, &json!({"not_lead_reason": row.get("not_lead_reason").as_text()}))
                        .await?;
                }
                Ok(row)
            })
        })
        .await
    }
}
