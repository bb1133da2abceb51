//! Webhooks registered through `/v1/webhooks`: their registration in Pipedrive's terms
//! (`event_action` × `event_object`, `version` "1.0" or "2.0", basic auth), and the bodies their
//! deliveries carry — v1's `{meta, current, previous, event}` and v2's `{meta, data, previous}` —
//! made from the record stored with the delivery when the change was written. Sending, retries
//! and the delivery log are the outbound webhook engine's.
use super::shape::{out, Ctx, CustomDef, Version};
use poryadok_core::schema::Entity;
use poryadok_store::channels::webhooks::DeliveryTask;
use poryadok_store::Db;
use serde_json::{json, Map, Value};

/// Pipedrive's objects and ours.
pub const OBJECTS: &[(&str, &str)] =
    &[("deal", "deal"), ("person", "person"), ("organization", "organization"), ("activity", "activity"), ("note", "note")];

/// Our event patterns for a Pipedrive `event_action` and `event_object` (either may be `*`);
/// `None` names what is unknown.
pub fn events_for(action: &str, object: &str) -> Result<Vec<String>, &'static str> {
    let verb = match action {
        "added" | "create" => Some("created"),
        "updated" | "change" => Some("updated"),
        "deleted" | "delete" => Some("deleted"),
        "*" => None,
        _ => return Err("event_action"),
    };
    let objects: Vec<&str> = match object {
        "*" => OBJECTS.iter().map(|(_, ours)| *ours).collect(),
        o => vec![OBJECTS.iter().find(|(pd, _)| *pd == o).map(|(_, ours)| *ours).ok_or("event_object")?],
    };
    Ok(objects.iter().map(|o| format!("{o}.{}", verb.unwrap_or("*"))).collect())
}

/// A registered webhook as `/v1/webhooks` lists it.
pub fn webhook_json(h: &poryadok_store::channels::webhooks::Webhook, ws: i64) -> Value {
    let (action, object) = describe(&h.events);
    json!({
        "id": h.id, "company_id": ws, "owner_id": h.user_id, "user_id": h.user_id, "event_action": action, "event_object": object,
        "subscription_url": h.url, "version": if h.format.as_deref() == Some("pipedrive_v2") { "2.0" } else { "1.0" },
        "is_active": i64::from(h.active), "add_time": super::shape::time_out(&json!(poryadok_core::types::format_ms(h.created_at)), Version::V1),
        "remove_time": null, "type": "general", "http_auth_user": h.http_user, "http_auth_password": h.http_user.as_ref().map(|_| "********"),
        "name": h.name, "last_delivery_time": null, "last_http_status": null,
    })
}

/// The Pipedrive action and object our patterns stand for.
fn describe(events: &[String]) -> (String, String) {
    let (objects, verbs): (Vec<&str>, Vec<&str>) = events.iter().filter_map(|e| e.split_once('.')).unzip();
    let object = if objects.len() > 1 { "*" } else { objects.first().copied().unwrap_or("*") };
    let action = match verbs.first().copied() {
        Some("created") => "added",
        Some("updated") => "updated",
        Some("deleted") => "deleted",
        _ => "*",
    };
    (action.to_string(), object.to_string())
}

/// The record as it was before the change: the current one with each changed field's old value.
fn previous_native(current: &Value, changes: &Map<String, Value>) -> Value {
    let mut prev = current.clone();
    for (field, change) in changes {
        let from = change.get("from").cloned().unwrap_or(Value::Null);
        match field.strip_prefix("custom.") {
            Some(key) => {
                if !prev["custom"].is_object() {
                    prev["custom"] = json!({});
                }
                prev["custom"][key] = from;
            }
            None => prev[field.as_str()] = from,
        }
    }
    prev
}

/// The body sent for a delivery to a Pipedrive-shaped webhook.
pub async fn delivery_body(db: &Db, ws: i64, d: &DeliveryTask) -> String {
    let native: Value = serde_json::from_str(&d.payload).unwrap_or(Value::Null);
    let entity_name = native["entity"].as_str().unwrap_or("");
    let Some(entity) = Entity::from_name(entity_name) else { return d.payload.clone() };
    let defs = db.custom_defs_for(ws, entity).await.unwrap_or_default();
    let custom: Vec<CustomDef> = defs.into_iter().map(|c| CustomDef::new(ws, entity, 0, c)).collect();
    let v2 = d.format.as_deref() == Some("pipedrive_v2");
    let version = if v2 { Version::V2 } else { Version::V1 };
    let ctx = Ctx { ws, version, custom: &custom };
    let action = native["action"].as_str().unwrap_or("update");
    let changes = native["changes"].as_object().cloned().unwrap_or_default();
    let stored = &native["current"];
    let shaped = |v: &Value| if v.is_object() { out(entity, v, &ctx) } else { Value::Null };
    let (current, previous) = match action {
        "create" => (shaped(stored), Value::Null),
        "delete" => (Value::Null, shaped(stored)),
        _ => (shaped(stored), shaped(&previous_native(stored, &changes))),
    };
    let id = native["id"].clone();
    let at = native["occurred_at"].as_str().unwrap_or("").to_string();
    if v2 {
        // v2's `previous` holds only what changed.
        let previous = match (&previous, &current) {
            (Value::Object(p), Value::Object(c)) => {
                Value::Object(p.iter().filter(|(k, v)| c.get(*k) != Some(v)).map(|(k, v)| (k.clone(), v.clone())).collect())
            }
            (p, _) => p.clone(),
        };
        let verb = match action {
            "create" => "create",
            "delete" => "delete",
            _ => "change",
        };
        json!({
            "meta": {"action": verb, "entity": entity_name, "entity_id": id.to_string(), "company_id": ws.to_string(), "id": d.id.to_string(),
                "correlation_id": d.id.to_string(), "is_bulk_edit": false, "timestamp": at, "type": "general", "version": "2.0",
                "webhook_id": d.webhook_id.to_string(), "attempt": d.attempts + 1, "host": "poryadok"},
            "data": if verb == "delete" { previous.clone() } else { current },
            "previous": if verb == "create" { Value::Null } else { previous },
        })
        .to_string()
    } else {
        let verb = match action {
            "create" => "added",
            "delete" => "deleted",
            _ => "updated",
        };
        let secs = poryadok_core::types::parse_timestamp(&at).map(|ms| ms / 1000).unwrap_or(0);
        json!({
            "v": 1, "matches_filters": {"current": []},
            "meta": {"v": 1, "action": verb, "object": entity_name, "id": id, "company_id": ws, "host": "poryadok", "timestamp": secs,
                "permitted_user_ids": [], "is_bulk_update": false, "webhook_id": d.webhook_id.to_string(), "pipedrive_service_name": false},
            "current": current, "previous": previous, "event": format!("{verb}.{entity_name}"), "retry": d.attempts,
        })
        .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipedrive_events_map_to_ours() {
        assert_eq!(events_for("updated", "deal").unwrap(), vec!["deal.updated"]);
        assert_eq!(events_for("*", "person").unwrap(), vec!["person.*"]);
        assert_eq!(events_for("added", "*").unwrap().len(), OBJECTS.len());
        assert_eq!(events_for("merged", "deal"), Err("event_action"));
        assert_eq!(events_for("added", "product"), Err("event_object"));
        assert_eq!(describe(&["deal.updated".to_string()]), ("updated".into(), "deal".into()));
    }

    #[test]
    fn the_previous_record_takes_each_changed_fields_old_value() {
        let current = json!({"id": 1, "title": "New", "custom": {"budget": 5}});
        let changes = json!({"title": {"from": "Old", "to": "New"}, "custom.budget": {"from": 3, "to": 5}});
        let prev = previous_native(&current, changes.as_object().unwrap());
        assert_eq!(prev, json!({"id": 1, "title": "Old", "custom": {"budget": 3}}));
    }
}
