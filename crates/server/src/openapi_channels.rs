//! The channels' endpoints in the OpenAPI document: message templates, the SMS gateway, the
//! outbox of messages to clients, and outbound webhooks with their delivery log.
use super::{any_object, body, error_ref, id_param, item, json_response, query_param, simple};
use utoipa::openapi::path::HttpMethod;
use utoipa::openapi::{PathItem, Paths};

const TEMPLATE: &str = "{data: {id, key, channel: email|sms, subject, body, placeholders: [name], created_at, updated_at}}";
const MESSAGE: &str = "{id, channel, recipient, subject, body, template_key, entity, record_id, dedupe_key, status: queued|sent|failed, error, attempts, created_at, sent_at}";
const WEBHOOK: &str = "{data: {id, url, events: [event], active, created_at, updated_at}} (secret only on creation)";
const DELIVERY: &str = "{id, webhook_id, event, payload: {event, entity, id, action, changes, occurred_at, workspace_id}, status: queued|delivered|failed, attempts, response_code, error, created_at, delivered_at}";
const GATEWAY: &str = "{url (http(s); {to} and {text} may stand in it), method: POST|GET, headers: {name: value}, content_type, body (POST; values JSON-escaped in a JSON body, percent-encoded in a form)}";

pub(super) fn add(paths: &mut Paths) {
    let object = |d: &str| Some(any_object(d));
    let mut add = |path: &str, it: PathItem| {
        paths.paths.insert(path.to_string(), it);
    };
    let invalid = |what: &str| json_response(what, Some(error_ref()));
    add(
        "/api/v1/message_templates",
        item([
            (
                HttpMethod::Get,
                simple("channels", "list_templates", "The workspace's message templates (administrators)", "200", "templates and the placeholders they may use", object("{data: [template], placeholders: [{name, description}]}")),
            ),
            (
                HttpMethod::Post,
                simple("channels", "create_template", "Create a template", "201", "the template", object(TEMPLATE))
                    .request_body(Some(body(any_object("{key, channel: email|sms, subject (e-mail only, required there), body}; placeholders {client}, {contact}, {company}, {manager}, {manager_phone}, {manager_email}, {deal}, {stage}, {invoice}, {amount}, {due_date}, {days_overdue}"))))
                    .response("409", invalid("a template with this key and channel exists (field key)"))
                    .response("422", invalid("an unknown placeholder or an unclosed brace (field body or subject, listing the known ones), a bad key or channel")),
            ),
        ]),
    );
    add(
        "/api/v1/message_templates/{id}",
        item([
            (
                HttpMethod::Get,
                simple("channels", "get_template", "One template", "200", "the template", object(TEMPLATE)).parameter(id_param()),
            ),
            (
                HttpMethod::Patch,
                simple(
                    "channels",
                    "update_template",
                    "Change key, channel, subject or body (checked as a whole)",
                    "200",
                    "the template",
                    object(TEMPLATE),
                )
                .parameter(id_param())
                .request_body(Some(body(any_object("any of key, channel, subject, body"))))
                .response("422", invalid("as on creation")),
            ),
            (
                HttpMethod::Delete,
                simple("channels", "delete_template", "Delete a template (queued messages keep their text)", "204", "deleted", None)
                    .parameter(id_param()),
            ),
        ]),
    );
    add(
        "/api/v1/message_templates/preview",
        item([(
            HttpMethod::Post,
            simple(
                "channels",
                "preview_template",
                "Fill a template with values without saving it",
                "200",
                "the filled subject and body",
                object("{data: {subject, body}}"),
            )
            .request_body(Some(body(any_object("{channel, subject, body, vars: {placeholder: value}}"))))
            .response("422", invalid("what a save would refuse")),
        )]),
    );
    add(
        "/api/v1/message_templates/defaults",
        item([(
            HttpMethod::Post,
            simple(
                "channels",
                "default_templates",
                "Add the standard templates the workspace lacks (unpaid_reminder, debt_reminder; e-mail and SMS)",
                "200",
                "all templates and how many were added",
                object("{data: [template], added}"),
            ),
        )]),
    );
    add(
        "/api/v1/sms_gateway",
        item([
            (
                HttpMethod::Get,
                simple(
                    "channels",
                    "get_sms_gateway",
                    "The SMS gateway (header values masked as ***), or null",
                    "200",
                    "the gateway",
                    object(&format!("{{data: {GATEWAY}}}")),
                ),
            ),
            (
                HttpMethod::Put,
                simple(
                    "channels",
                    "put_sms_gateway",
                    "Set the SMS gateway; null removes it; a header sent back as *** keeps its value",
                    "200",
                    "the gateway",
                    object(&format!("{{data: {GATEWAY}}}")),
                )
                .request_body(Some(body(any_object(GATEWAY))))
                .response(
                    "422",
                    invalid("a bad part, named like sms_gateway.url or sms_gateway.body (unknown placeholder, {to} or {text} missing)"),
                ),
            ),
        ]),
    );
    add(
        "/api/v1/sms_gateway/test",
        item([(
            HttpMethod::Post,
            simple(
                "channels",
                "test_sms",
                "Send an SMS through the gateway at once (logged in the outbox)",
                "200",
                "what the gateway answered",
                object("{data: {message_id, to, status: sent|failed, response_code, error}}"),
            )
            .request_body(Some(body(any_object("{to, text}"))))
            .response("422", invalid("no gateway, a bad number or an empty text")),
        )]),
    );
    add(
        "/api/v1/outbound_messages",
        item([
            (
                HttpMethod::Get,
                simple(
                    "channels",
                    "list_outbound_messages",
                    "E-mail and SMS to clients, newest first (administrators and heads)",
                    "200",
                    "messages",
                    object(&format!("{{data: [{MESSAGE}], next_before_id, counts: {{queued, sent, failed}}}}")),
                )
                .parameter(query_param("status", "queued, sent or failed"))
                .parameter(query_param("channel", "email or sms"))
                .parameter(query_param("entity", "organization, person, deal, invoice or activity"))
                .parameter(query_param("record_id", "only messages about this record"))
                .parameter(query_param("limit", "1 to 500 (default 100)"))
                .parameter(query_param("before_id", "the page after this id")),
            ),
            (
                HttpMethod::Post,
                simple(
                    "channels",
                    "queue_message",
                    "Queue a message from a template; sent by a job, marked sent only when the mail server or gateway accepted it",
                    "202",
                    "the queued message",
                    object(&format!("{{data: {MESSAGE}}}")),
                )
                .request_body(Some(body(any_object(
                    "{channel: email|sms, recipient, template_key, vars: {placeholder: value}, entity, record_id, dedupe_key}",
                ))))
                .response(
                    "200",
                    json_response("the dedupe key was used before: the earlier message", object("{data: message, duplicate: true}")),
                )
                .response("422", invalid("no such template (field template), a bad recipient or channel")),
            ),
        ]),
    );
    add(
        "/api/v1/outbound_messages/{id}",
        item([(
            HttpMethod::Get,
            simple("channels", "get_outbound_message", "One message", "200", "the message", object(&format!("{{data: {MESSAGE}}}")))
                .parameter(id_param()),
        )]),
    );
    add(
        "/api/v1/outbound_messages/{id}/retry",
        item([(
            HttpMethod::Post,
            simple(
                "channels",
                "retry_outbound_message",
                "Queue a failed message again",
                "200",
                "the message, queued",
                object(&format!("{{data: {MESSAGE}}}")),
            )
            .parameter(id_param())
            .response("409", invalid("the message is not failed")),
        )]),
    );
    add(
        "/api/v1/webhooks",
        item([
            (HttpMethod::Get, simple("channels", "list_webhooks", "Outbound webhooks (administrators)", "200", "webhooks", object("{data: [webhook]}"))),
            (
                HttpMethod::Post,
                simple("channels", "create_webhook", "Create a webhook; its signing secret is in this answer only", "201", "the webhook with its secret", object(WEBHOOK))
                    .description(Some("Each matching record event is POSTed as JSON with X-Poryadok-Signature: sha256=<hex HMAC-SHA256(secret, body)>, X-Poryadok-Event and X-Poryadok-Delivery; a non-2xx answer or none within 10 s is retried with a back-off, then the delivery is failed."))
                    .request_body(Some(body(any_object("{url (http(s)), events: [\"*\" | \"<record>.*\" | \"<record>.<created|updated|deleted>\"], active}; records: deal, person, organization, activity, note, invoice, payment"))))
                    .response("422", invalid("a bad url or event (field url, events or events.N)")),
            ),
        ]),
    );
    add(
        "/api/v1/webhooks/{id}",
        item([
            (
                HttpMethod::Get,
                simple("channels", "get_webhook", "One webhook (without its secret)", "200", "the webhook", object(WEBHOOK))
                    .parameter(id_param()),
            ),
            (
                HttpMethod::Patch,
                simple("channels", "update_webhook", "Change url, events or active", "200", "the webhook", object(WEBHOOK))
                    .parameter(id_param())
                    .request_body(Some(body(any_object("any of url, events, active"))))
                    .response("422", invalid("as on creation")),
            ),
            (
                HttpMethod::Delete,
                simple(
                    "channels",
                    "delete_webhook",
                    "Delete a webhook (its log stays; waiting deliveries end failed)",
                    "204",
                    "deleted",
                    None,
                )
                .parameter(id_param()),
            ),
        ]),
    );
    add(
        "/api/v1/webhooks/{id}/deliveries",
        item([(
            HttpMethod::Get,
            simple(
                "channels",
                "list_deliveries",
                "A webhook's delivery log, newest first",
                "200",
                "deliveries",
                object(&format!("{{data: [{DELIVERY}], next_before_id}}")),
            )
            .parameter(id_param())
            .parameter(query_param("status", "queued, delivered or failed"))
            .parameter(query_param("limit", "1 to 500 (default 100)"))
            .parameter(query_param("before_id", "the page after this id")),
        )]),
    );
    add(
        "/api/v1/webhook_deliveries/{id}",
        item([(
            HttpMethod::Get,
            simple(
                "channels",
                "get_delivery",
                "One delivery with its body",
                "200",
                "the delivery",
                object(&format!("{{data: {DELIVERY}}}")),
            )
            .parameter(id_param()),
        )]),
    );
    add(
        "/api/v1/webhook_deliveries/{id}/redeliver",
        item([(
            HttpMethod::Post,
            simple(
                "channels",
                "redeliver",
                "Send a delivery's body again, as a new delivery",
                "202",
                "the new delivery, queued",
                object(&format!("{{data: {DELIVERY}}}")),
            )
            .parameter(id_param())
            .response("409", invalid("the webhook is switched off")),
        )]),
    );
}
