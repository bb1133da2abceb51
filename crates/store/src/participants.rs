//! Deal participants: users who work on a deal beside its owner, each with a role
//! (e.g. `consultant` for the later stages). Changes are recorded in the deal's history.
use crate::actor::Actor;
use crate::error::{Result, StoreError};
use crate::records::{append_history, check_refs, fetch_one};
use crate::sql::col;
use crate::Db;
use poryadok_core::domain::HistoryAction;
use poryadok_core::msg::{words, Common, RecordMsg};
use poryadok_core::schema::Entity;
use poryadok_core::validate::RefCheck;
use sea_orm::{ConnectionTrait, TransactionTrait};
use sea_query::{Expr, Order, Query};
use serde_json::{json, Map, Value as Json};

/// A user working on a deal beside its owner.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Participant {
    pub id: i64,
    pub deal_id: i64,
    pub user_id: i64,
    pub role: String,
    #[serde(serialize_with = "crate::serde_time::ms")]
    pub created_at: i64,
}

fn parse_role(v: Option<&Json>) -> Result<String> {
    let s = v.and_then(Json::as_str).map(str::trim).ok_or_else(|| StoreError::invalid("role", Common::Required {}))?;
    let ok = (1..=32).contains(&s.len()) && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(s.to_string())
    } else {
        Err(StoreError::invalid("role", RecordMsg::ParticipantRole {}))
    }
}

impl Db {
    pub async fn participants(&self, actor: &Actor, deal: i64) -> Result<Vec<Participant>> {
        fetch_one(&self.read, self.backend, Entity::Deal, actor, deal, false).await?;
        let q = Query::select()
            .columns(["id", "user_id", "role", "created_at"].map(col))
            .from(col("deal_participants"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("deal_id")).eq(deal))
            .order_by(col("id"), Order::Asc)
            .to_owned();
        let rows = self.read.query_all(self.backend.build(&q)).await?;
        rows.iter()
            .map(|r| {
                Ok(Participant {
                    id: r.try_get("", "id")?,
                    deal_id: deal,
                    user_id: r.try_get("", "user_id")?,
                    role: r.try_get("", "role")?,
                    created_at: r.try_get("", "created_at")?,
                })
            })
            .collect()
    }

    pub async fn add_participant(&self, actor: &Actor, deal: i64, body: &Json) -> Result<Participant> {
        actor.caller.may_write(Entity::Deal).map_err(StoreError::forbidden)?;
        let obj = body.as_object().ok_or_else(|| StoreError::invalid("body", Common::BodyNotObject {}))?;
        if let Some(k) = obj.keys().find(|k| !["user_id", "role"].contains(&k.as_str())) {
            return Err(StoreError::invalid(k, Common::UnknownField { expected: words(["user_id", "role"]) }));
        }
        let user = obj
            .get("user_id")
            .and_then(Json::as_i64)
            .filter(|i| *i > 0)
            .ok_or_else(|| StoreError::invalid("user_id", Common::IdOf { what: "user".into() }))?;
        let role = parse_role(obj.get("role"))?;
        let now = self.clock.now_ms();
        let tx = self.write.begin().await?;
        fetch_one(&tx, self.backend, Entity::Deal, actor, deal, false).await?;
        check_refs(&tx, self.backend, actor, &[RefCheck { field: "user_id".into(), entity: Entity::User, id: user }]).await?;
        let q = Query::insert()
            .into_table(col("deal_participants"))
            .columns(["workspace_id", "deal_id", "user_id", "role", "created_at"].map(col))
            .values([actor.ws_id().into(), deal.into(), user.into(), role.clone().into(), now.into()])
            .map_err(|e| StoreError::Internal(e.to_string()))?
            .returning_col(col("id"))
            .to_owned();
        let id: i64 = match tx.query_one(self.backend.build(&q)).await {
            Ok(Some(r)) => r.try_get("", "id")?,
            Ok(None) => return Err(StoreError::Internal("insert returned no id".into())),
            Err(e) => {
                let err = StoreError::Db(e);
                return Err(if err.is_unique_violation() { StoreError::conflict("user_id", RecordMsg::ParticipantTwice {}) } else { err });
            }
        };
        let mut changes = Map::new();
        changes.insert("participants".into(), json!({"from": null, "to": {"user_id": user, "role": role}}));
        append_history(&tx, self.backend, actor, Entity::Deal.name(), deal, HistoryAction::Update, changes, now).await?;
        tx.commit().await?;
        Ok(Participant { id, deal_id: deal, user_id: user, role, created_at: now })
    }

    pub async fn remove_participant(&self, actor: &Actor, deal: i64, participant: i64) -> Result<()> {
        actor.caller.may_write(Entity::Deal).map_err(StoreError::forbidden)?;
        let now = self.clock.now_ms();
        let tx = self.write.begin().await?;
        fetch_one(&tx, self.backend, Entity::Deal, actor, deal, false).await?;
        let q = Query::select()
            .columns(["user_id", "role"].map(col))
            .from(col("deal_participants"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("deal_id")).eq(deal))
            .and_where(Expr::col(col("id")).eq(participant))
            .to_owned();
        let row = tx.query_one(self.backend.build(&q)).await?.ok_or(StoreError::NotFound)?;
        let (user, role): (i64, String) = (row.try_get("", "user_id")?, row.try_get("", "role")?);
        let del = Query::delete()
            .from_table(col("deal_participants"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("id")).eq(participant))
            .to_owned();
        tx.execute(self.backend.build(&del)).await?;
        let mut changes = Map::new();
        changes.insert("participants".into(), json!({"from": {"user_id": user, "role": role}, "to": null}));
        append_history(&tx, self.backend, actor, Entity::Deal.name(), deal, HistoryAction::Update, changes, now).await?;
        tx.commit().await?;
        Ok(())
    }
}
