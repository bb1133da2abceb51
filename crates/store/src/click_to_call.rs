//! Calling a client from their card: the telephony provider's callback API rings the user's
//! extension, then the client. The request is the telephony source's `config.callback`, the same
//! HTTP request template as the SMS and WhatsApp gateways ([`CALLBACK_SPEC`]'s placeholders).
//!
//! The store checks everything that can be known before calling: the card is the caller's to see
//! (else 404), it has a phone (the asked one must be one of its phones), a telephony source has
//! a callback request, and the user has an extension. The server sends the request; the call
//! itself comes back through the source's webhook like any call and lands on the card.
use crate::error::{Result, StoreError};
use crate::list::ListQuery;
use crate::sql::col;
use crate::{Actor, Db};
use poryadok_core::intake::display_phone;
use poryadok_core::msg::CallMsg;
use poryadok_core::schema::Entity;
use poryadok_core::template::{GatewayRequest, SmsGateway, CALLBACK_SPEC};
use poryadok_core::types::Phone;
use sea_orm::ConnectionTrait;
use sea_query::{Expr, Order, Query};
use serde::Serialize;
use serde_json::Value as Json;

/// A phone on a card: the number (E.164), how people read it, and whose it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CardPhone {
    pub phone: String,
    pub shown: String,
    pub person_id: i64,
    pub person_name: String,
}

/// What the card's "Call" buttons need: the phones, and whether a call can be placed (else the
/// numbers are `tel:` links) and why not.
#[derive(Debug, Clone, Serialize)]
pub struct CallOptions {
    pub phones: Vec<CardPhone>,
    /// Why "Call" cannot be used by this user: no callback request, no extension.
    #[serde(skip)]
    pub unavailable: Option<poryadok_core::Msg>,
}

/// A call ready to be placed.
#[derive(Debug, Clone)]
pub struct CallPlan {
    pub source_id: i64,
    pub client_phone: String,
    pub extension: String,
    pub request: GatewayRequest,
}

/// The caller's own numbers and address.
struct Caller {
    extension: Option<String>,
    phone: Option<String>,
    email: Option<String>,
}

fn phones_of(row: &Json) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(p) = row.get("phone").and_then(Json::as_str) {
        out.push(p.to_string());
    }
    if let Some(list) = row.get("other_phones").and_then(Json::as_array) {
        out.extend(list.iter().filter_map(Json::as_str).map(str::to_string));
    }
    out.retain(|p| !p.trim().is_empty());
    out
}

impl Db {
    /// The phones on a card: a person's own; a deal's person's; an organization's people's.
    pub async fn card_phones(&self, actor: &Actor, entity: Entity, id: i64) -> Result<Vec<CardPhone>> {
        let row = self.get(actor, entity, id).await?;
        let people: Vec<Json> = match entity {
            Entity::Person => vec![row.to_json()],
            Entity::Deal => match row.get("person_id").as_int() {
                Some(p) => match self.get(actor, Entity::Person, p).await {
                    Ok(r) => vec![r.to_json()],
                    Err(StoreError::NotFound) => Vec::new(),
                    Err(e) => return Err(e),
                },
                None => Vec::new(),
            },
            Entity::Organization => {
                let lq = ListQuery {
                    limit: Some("100".into()),
                    sort: Some("name".into()),
                    filters: vec![("organization_id".into(), id.to_string())],
                    ..ListQuery::default()
                };
                self.list(actor, Entity::Person, &lq).await?.data.iter().map(|r| r.to_json()).collect()
            }
            _ => return Err(StoreError::NotFound),
        };
        let mut out: Vec<CardPhone> = Vec::new();
        for p in &people {
            let person_id = p.get("id").and_then(Json::as_i64).unwrap_or_default();
            let person_name = p.get("name").and_then(Json::as_str).unwrap_or_default().to_string();
            for phone in phones_of(p) {
                if !out.iter().any(|c| c.phone == phone) {
                    out.push(CardPhone { shown: display_phone(&phone), phone, person_id, person_name: person_name.clone() });
                }
            }
        }
        Ok(out)
    }

    async fn call_caller(&self, actor: &Actor) -> Result<Caller> {
        let q = Query::select()
            .columns(["extension", "phone", "email"].map(col))
            .from(col("users"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("id")).eq(actor.caller.user_id))
            .to_owned();
        let r = self.read.query_one(self.backend.build(&q)).await?;
        let get = |k: &str| r.as_ref().and_then(|r| r.try_get::<Option<String>>("", k).ok().flatten()).filter(|s| !s.trim().is_empty());
        Ok(Caller { extension: get("extension"), phone: get("phone"), email: get("email") })
    }

    /// The live, active telephony sources with a click-to-call request, oldest first.
    async fn callback_sources(&self, ws: i64) -> Result<Vec<(i64, SmsGateway)>> {
        let q = Query::select()
            .columns(["id", "config"].map(col))
            .from(col("intake_sources"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("kind")).eq("telephony"))
            .and_where(Expr::col(col("active")).eq(true))
            .and_where(Expr::col(col("deleted_at")).is_null())
            .order_by(col("id"), Order::Asc)
            .to_owned();
        let mut out = Vec::new();
        for r in self.read.query_all(self.backend.build(&q)).await? {
            let config: String = r.try_get("", "config")?;
            let mut config: Json = serde_json::from_str(&config).unwrap_or(Json::Null);
            crate::intake::open_config(&self.secrets, &mut config)?;
            if let Some(g) = crate::intake::calls::callback_of(&config) {
                out.push((r.try_get("", "id")?, g));
            }
        }
        Ok(out)
    }

    /// The card's phones and whether this user can call them from Poryadok.
    pub async fn call_options(&self, actor: &Actor, entity: Entity, id: i64) -> Result<CallOptions> {
        let phones = self.card_phones(actor, entity, id).await?;
        let unavailable = if self.callback_sources(actor.ws_id()).await?.is_empty() {
            Some(CallMsg::NoCallbackSet {}.into())
        } else if self.call_caller(actor).await?.extension.is_none() {
            Some(CallMsg::NoExtension {}.into())
        } else {
            None
        };
        Ok(CallOptions { phones, unavailable })
    }

    /// Checks a call from the card (`{phone?, source_id?}`: the card's first phone and the first
    /// telephony source with a callback request by default) and fills the provider's request.
    pub async fn plan_call(&self, actor: &Actor, entity: Entity, id: i64, body: &Json) -> Result<CallPlan> {
        let phones = self.card_phones(actor, entity, id).await?;
        let asked = match body.get("phone") {
            None | Some(Json::Null) => None,
            Some(Json::String(s)) if s.trim().is_empty() => None,
            Some(Json::String(s)) => Some(s.trim().to_string()),
            Some(_) => return Err(StoreError::invalid("phone", poryadok_core::msg::Common::NotString {})),
        };
        let client_phone = match asked {
            None => phones.first().map(|p| p.phone.clone()).ok_or_else(|| StoreError::invalid("phone", CallMsg::NoPhoneOnCard {}))?,
            Some(raw) => {
                if phones.is_empty() {
                    return Err(StoreError::invalid("phone", CallMsg::NoPhoneOnCard {}));
                }
                let p = Phone::parse(&raw, &actor.ws.region).map_err(|m| StoreError::invalid("phone", m))?.into_string();
                if !phones.iter().any(|c| c.phone == p) {
                    return Err(StoreError::invalid("phone", CallMsg::PhoneNotOnCard { phone: raw }));
                }
                p
            }
        };
        let sources = self.callback_sources(actor.ws_id()).await?;
        let (source_id, gateway) = match body.get("source_id") {
            None | Some(Json::Null) => {
                sources.into_iter().next().ok_or_else(|| StoreError::invalid("source_id", CallMsg::NoCallbackSet {}))?
            }
            Some(v) => {
                let want = v.as_i64().ok_or_else(|| StoreError::invalid("source_id", poryadok_core::msg::IntakeMsg::MustBeId {}))?;
                sources
                    .into_iter()
                    .find(|(s, _)| *s == want)
                    .ok_or_else(|| StoreError::invalid("source_id", CallMsg::NotCallbackSource {}))?
            }
        };
        let me = self.call_caller(actor).await?;
        let extension = me.extension.clone().ok_or_else(|| StoreError::invalid("extension", CallMsg::NoExtension {}))?;
        let (deal, person, org) = match entity {
            Entity::Deal => {
                let row = self.get(actor, Entity::Deal, id).await?;
                (Some(id), row.get("person_id").as_int(), row.get("organization_id").as_int())
            }
            Entity::Person => {
                let row = self.get(actor, Entity::Person, id).await?;
                (None, Some(id), row.get("organization_id").as_int())
            }
            _ => (None, phones.iter().find(|p| p.phone == client_phone).map(|p| p.person_id), Some(id)),
        };
        let num = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
        let (deal, person, org) = (num(deal), num(person), num(org));
        let vars = [
            ("manager_extension", extension.as_str()),
            ("manager_phone", me.phone.as_deref().unwrap_or("")),
            ("manager_email", me.email.as_deref().unwrap_or("")),
            ("client_phone", client_phone.as_str()),
            ("deal_id", deal.as_str()),
            ("person_id", person.as_str()),
            ("organization_id", org.as_str()),
        ];
        debug_assert_eq!(vars.len(), CALLBACK_SPEC.placeholders.len());
        let request = gateway.request_with(&vars);
        Ok(CallPlan { source_id, client_phone, extension, request })
    }
}
